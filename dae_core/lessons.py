"""Lessons: named presets with numbered steps, for a teacher to link to (``/?lesson=SLUG``) or run from the command
line (``python -m dae_core train --lesson SLUG``; ``sweep --lesson SLUG`` for those that compare).

Each lesson sets the data, model, noise and training settings, names the settings its Train page hides, and says
in steps what to look at and what to change next. Every preset here was measured to show its effect; the numbers
in the steps are those measurements (``tests/test_lessons.py`` checks the claims that the done-when list makes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .config import RunConfig
from .errors import ConfigError
from .records import EpochRecord, still_improving

CONDITIONS = ("beats identity", "beats both", "loses to identity", "no noise", "noisy", "finished")
DATA_SETTINGS = ("dataset", "n_samples", "n_features", "data_seed", "csv_path", "label_column")
TRAINING_DETAILS = ("loss", "optimizer", "weight_decay", "batch_size", "patience", "seed", "device",
                    "output_activation", "tied_weights", "activation")  # fmt: skip


@dataclass(frozen=True)
class Lesson:
    """A preset and the steps that go with it."""

    slug: str
    title: str
    summary: str  # one sentence: what the lesson shows
    config: RunConfig
    steps: tuple[str, ...]  # Markdown, one per step, in order
    hide: tuple[str, ...] = ()  # RunConfig fields the lesson's Train page does not show
    sweep: dict[str, list] = field(default_factory=dict)  # the lists of `sweep --lesson SLUG`, for lessons that compare
    probe: bool = False  # its sweep reports linear-probe accuracy of the codes
    cues: tuple[tuple[str, str], ...] = ()  # (when, what to do now), see ``cue``; the last that holds is shown

    def cue(self, history: Sequence[EpochRecord], finished: bool) -> str | None:
        """What to look at or do now, given the run so far: the text of the last cue whose ``when`` holds.

        ``when`` names one or more of ``CONDITIONS``, joined by " and "; the text may name the last epoch's
        numbers (``{test_mse:.4f}``, ``{identity_mse:.4f}``, ``{noise_level:g}``, ...). A finished run whose test
        error was still falling says so too.
        """
        last = history[-1] if history else None
        holds = {
            "beats identity": last is not None and last.test_mse < last.identity_mse,
            "beats both": last is not None and last.test_mse < min(last.identity_mse, last.pca_mse),
            "loses to identity": last is not None and last.test_mse >= last.identity_mse and len(history) > 5,
            "no noise": last is not None and last.noise_level == 0,
            "noisy": last is not None and last.noise_level > 0,
            "finished": finished,
        }
        said = [text for when, text in self.cues if all(holds[part] for part in when.split(" and "))]
        text = said[-1].format(**last.to_dict()) if said else None
        if finished and still_improving(history):
            text = f"{text or ''} The test error was still falling at the end: raise the epochs and train again."
        return text.strip() if text else None

    def to_dict(self) -> dict:
        return {
            "slug": self.slug,
            "title": self.title,
            "summary": self.summary,
            "config": self.config.to_dict(),
            "steps": list(self.steps),
            "hide": list(self.hide),
            "sweep": self.sweep,
            "probe": self.probe,
        }


DIGITS = RunConfig().replace(dataset="digits", hidden_layers=(128,), hidden_dim=32)

LESSONS = {
    lesson.slug: lesson
    for lesson in (
        Lesson(
            "denoise",
            "What denoising is",
            "A DAE on handwritten digits with half the pixels wiped out fills them back in, far better than both "
            "baselines.",
            DIGITS.replace(noise="masking", noise_level=0.5, epochs=200),
            (
                "Watch the **test MSE** (the model's error on masked test digits, against the clean ones) fall below "
                "the dashed **identity** line (the masked digit itself) and the **PCA** line (the best linear "
                "32-number summary).",
                "Open **Reconstructions**: each row is a clean digit, the same digit with half its pixels set to 0, "
                "and the model's guess. The model never saw the clean test digits.",
                "Back on **Train**, raise the **noise level** to 0.7 while it trains: the chart marks the change, "
                "and the identity line jumps while the model's error rises much less.",
            ),
            hide=DATA_SETTINGS + TRAINING_DETAILS,
            cues=(
                ("beats both", "The test curve is below both dashed lines: the model now beats both baselines."),
                (
                    "finished",
                    "Done. Open **Reconstructions** to see the digits it filled in, then come back and "
                    "raise the noise level to 0.7.",
                ),
            ),  # fmt: skip
        ),
        Lesson(
            "tutorial",
            "The original tutorial, and why the identity wins there",
            "The tutorial's own setup: Gaussian noise of 0.2 on standardized data is so mild that returning the "
            "noisy input is hard to beat.",
            RunConfig(),
            (
                "Press **Train** and compare the test MSE with the dashed **identity** line: the noisy input itself "
                "is off by only σ² = 0.04 per feature, while the model must squeeze 20 numbers through 8.",
                "The model does about as well as **PCA** with 8 components: on this data a linear summary is all "
                "there is to learn.",
                "Raise the **noise level** to 1.0 and train again: now the identity is off by 1.0 per feature and "
                "the model beats it.",
            ),
            hide=DATA_SETTINGS + TRAINING_DETAILS,
            cues=(
                (
                    "loses to identity",
                    "The test curve stays above the identity line: with noise this mild, "
                    "returning the noisy input is hard to beat.",
                ),
                (
                    "beats identity",
                    "The test curve has crossed the identity line: with this much noise the model "
                    "wins. Open Reconstructions to see how.",
                ),
                ("finished", "Done. Now raise the noise level to 1.0 and press Train: watch the identity line jump."),
            ),  # fmt: skip
        ),
        Lesson(
            "manifold",
            "Denoising pulls points back onto the data",
            "On the two moons, a DAE learns a field of steps r(x̃) − x̃ that points from noisy points back to the "
            "moons, nearly the way the best possible denoiser does.",
            RunConfig().replace(
                dataset="moons", hidden_dim=2, hidden_layers=(64, 64), noise_level=0.3, lr=3e-3, epochs=300
            ),
            (
                "Watch the test MSE fall below the **identity** line: the model moves noisy points closer to where "
                "they came from.",
                "Open **Reconstructions**: the arrows are the model's steps from noisy points. They point toward "
                "the moons, not in one general direction.",
                "Try a **code size** of 1 and train again: the points collapse onto one curve, which looks tidy but "
                "loses to the identity.",
            ),
            cues=(
                (
                    "loses to identity",
                    "The test curve is still above the identity line: the model has not found the moons yet. "
                    "Give it its 300 epochs.",
                ),
                (
                    "beats identity",
                    "The test curve has crossed the identity line: the model moves noisy points closer to the moons.",
                ),
                (
                    "finished",
                    "Done. Open **Reconstructions** and compare the model's field with the best possible denoiser's.",
                ),
            ),  # fmt: skip
            hide=("n_features", "csv_path", "label_column", *TRAINING_DETAILS),
        ),
        Lesson(
            "bottleneck",
            "Why the noise matters when the code is large",
            "With a code larger than the input a plain autoencoder can learn the identity; trained on noisy inputs "
            "it cannot, and it denoises.",
            RunConfig().replace(dataset="digits", hidden_dim=128, noise="gaussian", noise_level=0.3, epochs=60),
            (
                "This model's code (128 numbers) is larger than a digit (64 pixels): nothing forces it to summarise.",
                "Set the **noise level** to 0 and train: the train loss falls to about 0.002, yet on "
                "**Reconstructions** with test noise 0.3 it removes only part of the noise (test MSE about 0.030, "
                "against 0.052 for the noisy digit itself).",
                "Set it back to 0.3 and train: the same large model, trained on noisy digits, reaches about 0.019.",
            ),
            hide=DATA_SETTINGS + TRAINING_DETAILS,
            cues=(
                (
                    "noisy",
                    "Trained on noisy digits: the test MSE ({test_mse:.4f}) is measured on test digits with the "
                    "same noise, against {identity_mse:.4f} for the noisy digit itself.",
                ),
                (
                    "no noise",
                    "No noise: the train loss falls toward 0, because a code of 128 numbers can simply copy 64 "
                    "pixels. Nothing here says whether it can denoise.",
                ),
                (
                    "finished and no noise",
                    "Done without noise. Open **Reconstructions** and set the test noise to Gaussian 0.3: this "
                    "model removes only part of it. Then set the noise level back to 0.3 and train again.",
                ),
                (
                    "finished and noisy",
                    "Done with noise {noise_level:g}: test MSE {test_mse:.4f} against {identity_mse:.4f} for the "
                    "noisy digit. Compare it on **Experiments** with the run trained without noise.",
                ),
            ),
        ),
        Lesson(
            "features",
            "Denoising as pre-training",
            "The codes of a DAE feed a linear classifier: how its accuracy on digits depends on the training noise.",
            DIGITS.replace(noise="masking", noise_level=0.25, epochs=40),
            (
                "The **Latent space** page's linear probe scores the codes: a logistic regression trained on them "
                "to recognise the digit.",
                "Compare the probe on the codes with the probe on the raw pixels, shown beside it.",
                "Change the **noise level** and train again, or run `python -m dae_core sweep --lesson features` to "
                "train every level at once as one batched model.",
            ),
            hide=DATA_SETTINGS + TRAINING_DETAILS,
            sweep={"noise_level": [0.0, 0.1, 0.25, 0.5]},
            probe=True,
            cues=(
                (
                    "finished",
                    "Done. Open **Latent space**: the probe's accuracy on these 32-number codes stands beside its "
                    "accuracy on the 64 raw pixels. **Views from the papers** then trains every noise level at "
                    "once (*Probe accuracy against noise*).",
                ),
            ),
        ),
    )
}


# Per dataset, settings that show the effect, measured like the lessons' presets: a 2-D set needs hidden layers
# and a 1- or 2-number code to pull points back onto its curve; digits a hidden layer and a code of 16 to 32.
PRESETS = {
    "synthetic": {"noise_level": 1.0, "epochs": 100},  # σ 0.2 is too mild on this table: see the tutorial lesson
    "digits": {"hidden_layers": (128,), "hidden_dim": 32, "noise": "masking", "noise_level": 0.5, "epochs": 100},
    "moons": {"hidden_layers": (64, 64), "hidden_dim": 2, "noise": "gaussian", "noise_level": 0.3, "lr": 3e-3,
              "epochs": 300},
    "circles": {"hidden_layers": (64, 64), "hidden_dim": 2, "noise": "gaussian", "noise_level": 0.3, "lr": 3e-3,
                "epochs": 300},
    "spiral": {"hidden_layers": (64, 64), "hidden_dim": 2, "noise": "gaussian", "noise_level": 0.3, "lr": 3e-3,
               "epochs": 300},
}  # fmt: skip


def preset_for(config: RunConfig) -> RunConfig | None:
    """``config`` with its dataset's preset applied, or None when there is none (a CSV table)."""
    changes = PRESETS.get(config.data.dataset)
    return None if changes is None else config.replace(**changes)


def lesson(slug: str) -> Lesson:
    """The lesson named ``slug``, or a ``ConfigError`` that lists the lessons."""
    if slug not in LESSONS:
        raise ConfigError(f"There is no lesson {slug!r}. The lessons are: {', '.join(LESSONS)}.")
    return LESSONS[slug]
