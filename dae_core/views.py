"""Views from the DAE papers: each is one sweep over the training noise level, and what it measures afterwards.

- ``filters`` (Vincent et al. 2008, figure 3): an overcomplete one-layer model on digits; its filters at each
  masking level, with test MSE and linear-probe accuracy.
- ``noise-grid``: the test MSE of each training level's model at each test noise level, as a heatmap.
- ``probe``: linear-probe accuracy of the codes against the training level, with the raw pixels as a line.
- ``edges`` (Vincent et al. 2010, section 6; Olshausen & Field 1996): the photos preset's model on 12 x 12 patches
  of photographs; its filters at each masking level, with their edge-likeness beside their smoothness.
- ``robust`` (Vincent et al. 2008, 2010): a classifier trained on clean digits reads masked test digits as they are,
  through the plain autoencoder and through each DAE (``dae_core.robustness``).
- ``pretrain`` (Vincent et al. 2010, Erhan et al. 2010): not a noise sweep. Its one member is the bottom layer of
  the first seed's stacked DAE; ``measure`` pre-trains every seed's stack and fine-tunes it with few labels, as
  ``python -m dae_core pretrain`` does (``dae_core.pretrain``), so the two give the same table.
- ``generate`` and ``generate-digits`` (Bengio et al. 2013; Alain & Bengio 2014; Song & Ermon 2019): each member as a
  sampler, its walk-back chains from uniform points and annealed sampling across the members, scored by MMD² to
  held-out data (``dae_core.generate``).

A ``ViewSweep`` (a view and its levels) is plain data: a worker process trains it (``job.SweepJob``) and sends
back a ``ViewResult`` of floats and arrays, which the dashboard caches for the session and draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .config import RunConfig
from .errors import ConfigError
from .pretrain import PretrainResult, PretrainSetup
from .robustness import TEST_LEVELS, Robustness

if TYPE_CHECKING:  # generate imports torch: only the process that trains needs it
    from .generate import Generation

MAX_LEVELS = 6  # training levels one view sweeps: one batched model of at most this many members


@dataclass(frozen=True)
class PaperView:
    """One view: its sweep's base settings and default levels, what it measures, and how to read it."""

    slug: str
    title: str
    source: str  # the figure or idea it reproduces
    config: RunConfig
    levels: tuple[float, ...]  # training noise levels, editable on the page
    what_you_see: str
    what_to_try: str
    filters: bool = False  # keep each member's first-layer weights
    probe: bool = False  # linear-probe accuracy of each member's codes, and of the raw pixels
    test_levels: tuple[float, ...] = ()  # score each member at these test noise levels too
    robustness: bool = False  # a clean-trained classifier's accuracy at the test levels: raw and through each member
    pretrain: bool = False  # not a noise sweep: its one member is the first seed's bottom layer, and measure builds
    # every seed's stack and fine-tunes it with few labels (``dae_core.pretrain``); its one level is not typed
    generate: bool = False  # each member's walk-back chains, and annealed sampling across them (dae_core.generate)


DIGITS = RunConfig().replace(dataset="digits")
# The photos preset's data and model (lessons.PRESETS["photos"]: 2,000 patches of 12 x 12 into 64 tied units), at a
# learning rate of 3e-3: in 200 epochs its filters split by masking level more clearly than at the preset's 1e-3.
PHOTOS = RunConfig().replace(
    dataset="photos", n_samples=2000, patch_size=12, hidden_layers=(), hidden_dim=64, tied_weights=True, lr=3e-3
)
# Robustness (the robust lesson's model, ``lessons.LESSONS["robust"]``): 64 pixels into 128 sigmoid units and back,
# 100 epochs, as measured in the lab's guide; a DAE at masking 0.25 or 0.5 lifts a clean-trained classifier on
# half-masked digits by about 0.15 over the raw pixels and the plain autoencoder.
ROBUST = DIGITS.replace(hidden_dim=128, hidden_layers=(), activation="sigmoid", noise="masking", epochs=100)
# Sampling (the manifold lesson's moons model, Gaussian noise): one model per level, each a sampler, and annealing
# across them. Levels 0.2, 0.35 and 0.5 rather than 0.1-0.3: the annealed samples need a large level to cross the
# box (bench/bench_generate.py has the numbers behind the views' text).
# A denoiser, not a compressor: 32 code units for 2-D points, and 4,000 of them so its errors along the moons (which
# a chain adds up step after step) stay small.
GENERATE = RunConfig().replace(
    dataset="moons", n_samples=4000, hidden_dim=32, hidden_layers=(64, 64), noise="gaussian", lr=3e-3, epochs=100
)
GENERATE_DIGITS = DIGITS.replace(hidden_dim=32, hidden_layers=(128,), noise="gaussian", epochs=80)

VIEWS = {
    view.slug: view
    for view in (
        PaperView(
            "filters",
            "Filters against noise level",
            "Vincent et al. (2008), figure 3",
            DIGITS.replace(hidden_dim=100, hidden_layers=(), noise="masking", epochs=100),
            (0.0, 0.25, 0.5),
            "The same overcomplete model (64 pixels → 100 units) trained on digits with more and more of each "
            "input masked. Without noise the filters are speckle: with more units than pixels the model can copy "
            "its input. With masking they turn into smoother strokes and blobs, because to fill in a missing pixel "
            "a unit has to look at its neighbours. The table's smoothness (the correlation of neighbouring "
            "weights) puts a number on it.",
            "add a level of 0.75, and compare the smoothness with the test MSE: the filters change more than the "
            "error does.",
            filters=True,
            probe=True,
        ),
        PaperView(
            "noise-grid",
            "Training noise × test noise",
            "the denoising criterion of Vincent et al. (2008, 2010)",
            DIGITS.replace(hidden_dim=32, hidden_layers=(128,), noise="gaussian", epochs=80),
            (0.0, 0.1, 0.2, 0.4),
            "Each row is one model, trained at one Gaussian noise level; each column scores it on test digits "
            "with another level. A model trained without noise is best on clean inputs and worst on noisy "
            "ones; a model trained with noise holds up, and costs a little on clean inputs.",
            "find each column's best row (outlined): it sits near the diagonal, where training noise matches "
            "test noise. Add a level of 0.6: its row is the flattest of all, and the worst on clean inputs.",
            test_levels=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
        ),
        PaperView(
            "probe",
            "Probe accuracy against noise",
            "denoising as pre-training (Vincent et al. 2008, 2010)",
            DIGITS.replace(hidden_dim=32, hidden_layers=(128,), noise="masking", epochs=40),
            (0.0, 0.1, 0.25, 0.5),
            "A logistic regression trained on each model's 32-number codes tries to recognise the digit; the "
            "dashed line is the same classifier on the 64 raw pixels. The codes keep most of what tells digits "
            "apart, in half the numbers.",
            "add a level of 0.75: heavy masking starts to cost accuracy. On 8×8 digits the gain that the papers "
            "report on larger images does not show: here noise moves the probe by less than a point.",
            probe=True,
        ),
        PaperView(
            "edges",
            "Edges from photographs",
            "Vincent et al. (2010), section 6; Olshausen & Field (1996)",
            PHOTOS.replace(noise="masking", epochs=200),
            (0.0, 0.3, 0.5),
            "The photos preset's model (a 12 × 12 patch of a photograph → 64 units, tied weights) trained with more "
            "and more of each patch masked. Without noise its filters are speckle: 1 of the 64 is oriented "
            "(edge-likeness 0.016). With masking many turn into edges, bars and stripes at one angle, as in the "
            "papers: 13 of 64 at 0.3 (0.203) and 16 at 0.5 (0.250), while smoothness rises from 0.42 to 0.70. "
            "Edge-likeness is the share of filters whose power spectrum (mean removed) lies mostly along one "
            "orientation: a concentration above 0.5, where a Gabor scores about 0.9 and white noise about 0.1.",
            "add levels of 0.1, 0.7 and 0.9: edge-likeness climbs with masking (0.062 at 0.1), peaks near half and "
            "falls again (0.219 at 0.7, 0.125 at 0.9) when too little of a patch is left to see an edge in.",
            filters=True,
        ),
        PaperView(
            "robust",
            "Robustness to damaged inputs",
            "Vincent et al. (2008, 2010): robustness to partial corruption of the input",
            ROBUST,
            (0.0, 0.25, 0.5),
            "A logistic regression trained on clean digits reads test digits with more and more of their pixels "
            "masked: as they are (dashed), and after each model (64 pixels → 128 sigmoid units → 64) has filled "
            "them in. The model trained without noise, a plain autoencoder, copies what it is given, holes and "
            "all: with half the pixels masked the classifier reads 0.581 of the digits through it and 0.606 as "
            "they are. Through the DAEs trained at masking 0.25 and 0.5 it reads 0.719 and 0.739, and 0.425 and "
            "0.431 with three quarters masked (raw 0.294); on clean digits they cost 3-5 points (0.936 and 0.922 "
            "against 0.967). Below, the first test digit of each class masked at 0.5, and what each model makes "
            "of it; a red frame marks a picture the classifier misreads.",
            "add levels of 0.1 and 0.75: a little masking already helps (0.689 at half masked), 0.75 gives the "
            "best score on the most damaged digits (0.444) for the worst on clean ones (0.881), and a level of 0.9 "
            "leaves too little to learn from (0.658 at half masked).",
            test_levels=TEST_LEVELS,
            robustness=True,
        ),
        PaperView(
            "pretrain",
            "Pre-training with few labels",
            "Vincent et al. (2010), section 7; Erhan et al. (2010)",
            PretrainSetup().config,
            (PretrainSetup().config.noise.noise_level,),
            "A stack of two DAEs (64 pixels → 128 → 64 sigmoid units, each trained at masking 0.25 on the codes of "
            "the one below, on every training digit and no labels) gets a softmax layer on top and is fine-tuned "
            "on k labelled digits per class; beside it the same network from a random start, and logistic "
            "regression on the raw pixels; 5 seeds, the band ± one standard deviation. Pre-training helps most with "
            "the fewest labels: 0.641 against 0.601 (random start) and 0.580 (logistic regression) at one label "
            "per class, 0.787 against 0.752 and 0.754 at three. With every label (144 a class) the three meet: "
            "0.971, 0.968 and 0.972.",
            "read the spread: at one label per class the seed (which digit is labelled) moves accuracy by ±0.06, "
            "more than pre-training adds (0.04). At 10 and 30 labels the pre-trained network stays 1 to 2 points "
            "above both (0.904 against 0.888 and 0.893 at 10), and logistic regression catches up by every label. "
            "On 8×8 digits the gain is small; the papers' is larger on larger images and deeper stacks.",
            pretrain=True,
        ),
        PaperView(
            "generate",
            "Sampling from a DAE",
            "Bengio et al. (2013); Alain & Bengio (2014); Song & Ermon (2019)",
            GENERATE,
            (0.2, 0.35, 0.5),
            "Each model (one per Gaussian noise level) becomes a sampler: 500 chains start at random points "
            "over the moons' box and walk back, 10 steps: corrupt with the model's own noise, then draw from its "
            "P(x | x̃), a Gaussian around the reconstruction as wide as its test error (Bengio et al. 2013). They "
            "land on the moons in three to five steps. The bars score each set of samples by MMD² to held-out "
            "points: about 0 for the training points themselves, 0.014-0.021 for uniform noise over the box. In "
            "seeds 0-4 the chains score -0.001 to 0.012 and are below half the uniform noise's in 14 of 15 (seed 4 at "
            "σ = 0.2 is the miss). Keeping the reconstruction instead of drawing, a chain of means piles up on the "
            "moons' cores (at σ = 0.5: 0.011-0.018); run longer, 30 steps, the chains drift along the moons where "
            "the model's small errors point (at σ = 0.2: 0.005-0.046). Annealing, 10 Langevin steps with each "
            "model from the largest level to the smallest, scores -0.001 to 0.013."
            "\n\nThe bridge to diffusion models: a DAE trained at noise σ reconstructs r(x̃) ≈ E[x | x̃], so its step "
            "(r(x̃) − x̃) / σ² estimates the score ∇ log p_σ(x̃) of the data blurred by that noise (Alain & Bengio "
            "2014). Following the score while σ shrinks is annealed Langevin sampling (Song & Ermon 2019); a "
            "diffusion model is the same idea with one network denoising at every σ and many more levels.",
            "press Play: the chains land on the moons in a few steps. Add a level of 0.1: its samples sit closest "
            "to the curve (a mean distance to the nearest training point of 0.03, against 0.15-0.17 at 0.5), yet "
            "its MMD² is the worst of the three (seeds 0, 1: 0.018 and 0.008, against 0.004 and 0.005 at 0.5): "
            "small steps cover the moons unevenly in 10 steps.",
            generate=True,
        ),
        PaperView(
            "generate-digits",
            "Sampling digits from a DAE",
            "Bengio et al. (2013); Song & Ermon (2019)",
            GENERATE_DIGITS,
            (0.2, 0.35, 0.5),
            "The same samplers on 8×8 digits: chains start from uniform noise over the pixels and walk back, "
            "corrupt → draw from P(x | x̃), 10 steps; the grid shows a few chains at every step, one row per "
            "chain. Noise turns into digit-like strokes within a few steps. By MMD² to held-out digits every "
            "model's samples sit far below uniform noise and well above the training digits themselves (seeds "
            "0-4: chains 0.016-0.046, annealed 0.011-0.027, uniform noise 0.246-0.250, training digits "
            "0.000-0.001): blurred, averaged shapes, near the mean of what a noisy input could have been.",
            "add a level of 0.1 or 0.7 and see where its bar lands between the two ends.",
            generate=True,
        ),
    )
}


def view(slug: str) -> PaperView:
    """The view named ``slug``, or a ``ConfigError`` that lists the views."""
    if slug not in VIEWS:
        raise ConfigError(f"There is no view {slug!r}. The views are: {', '.join(VIEWS)}.")
    return VIEWS[slug]


def parse_levels(text: str) -> tuple[float, ...]:
    """ "0, 0.25, 0.5" to sorted distinct levels, or a ``ConfigError`` saying what to type."""
    parts = [part for part in text.replace(";", ",").replace(" ", ",").split(",") if part]
    try:
        levels = sorted({float(part) for part in parts})
    except ValueError:
        raise ConfigError(
            f"The noise levels must be numbers between 0 and 1, separated by commas (like 0, 0.25, 0.5). "
            f"Got {text!r} instead."
        ) from None
    if not levels:
        raise ConfigError("Give at least one noise level (like 0, 0.25, 0.5).")
    if len(levels) > MAX_LEVELS:
        raise ConfigError(f"Give at most {MAX_LEVELS} noise levels; got {len(levels)}.")
    return tuple(levels)


@dataclass(frozen=True)
class MemberResult:
    """What a view keeps of one trained member."""

    level: float
    test_mse: float
    identity_mse: float
    pca_mse: float
    epochs: int
    probe_accuracy: float | None = None
    filters: np.ndarray | None = None  # (units, features) first-layer weights
    smoothness: float | None = None  # metrics.filter_smoothness of the filters: speckle near 0, strokes higher
    edge_likeness: float | None = None  # metrics.edge_likeness of the filters: the share tuned to one orientation
    test_mse_by_level: tuple[float, ...] = ()  # at each of the view's test levels


@dataclass(frozen=True)
class ViewResult:
    """A view's sweep, measured: plain data for its figures."""

    slug: str
    members: tuple[MemberResult, ...]
    raw_probe_accuracy: float | None
    test_levels: tuple[float, ...]
    image_shape: tuple[int, int] | None
    seconds: float  # the sweep's training time
    robustness: Robustness | None = None  # the views that score a clean-trained classifier on damaged inputs
    pretrain: PretrainResult | None = None  # the few-labels view: accuracy by labels per class, per method and seed
    generation: Generation | None = None  # the sampling views: chains, annealed samples and their MMD² to held-out data


@dataclass(frozen=True)
class ViewSweep:
    """A view with its chosen training levels: what a worker trains (``job.SweepJob``) and measures."""

    slug: str
    levels: tuple[float, ...]
    epochs: int | None = None  # None: the view's own; fewer make a quick check

    def __post_init__(self):
        view(self.slug)  # raises for an unknown view
        bad = [level for level in self.levels if not 0 <= level <= 1]
        if bad or not self.levels or len(self.levels) > MAX_LEVELS:
            raise ConfigError(
                f"A view sweeps 1 to {MAX_LEVELS} noise levels in [0, 1]. Got {list(self.levels)} instead."
            )

    @property
    def view(self) -> PaperView:
        return view(self.slug)

    def configs(self) -> list[RunConfig]:
        from .sweep import expand  # imports torch: in the process that trains

        base = self.view.config if self.epochs is None else self.view.config.replace(epochs=self.epochs)
        return expand(base, {"noise_level": list(self.levels)})

    def pretrain_setup(self) -> PretrainSetup:
        """A pre-training view's setup: the view's layer settings at its level (and epochs, if given)."""
        base = self.view.config if self.epochs is None else self.view.config.replace(epochs=self.epochs)
        return PretrainSetup(config=base.replace(noise_level=self.levels[0]))

    def measure(self, runs: Sequence, dataset, seconds: float) -> ViewResult:
        """Score each trained member (``sweep.SweepRun``) as the view asks."""
        from .analysis import probe, reconstruct
        from .metrics import edge_likeness, filter_smoothness

        spec = self.view
        if spec.pretrain:
            return self._measure_pretrain(runs, dataset, seconds)
        members, raw = [], None
        for run in runs:
            trained, config = run.trained, run.config
            kept = trained.kept_record
            accuracy = None
            if spec.probe:
                scores = probe(trained, dataset, seed=config.train.seed, raw=raw is None)  # raw pixels: once
                accuracy, raw = scores["code_accuracy"], scores["raw_accuracy"] if raw is None else raw
            weights = trained.model.first_layer_weights.detach().cpu().numpy() if spec.filters else None
            by_level = tuple(
                reconstruct(trained, dataset.X_test, config.noise.noise, level, seed=config.train.seed).mse
                for level in spec.test_levels
            )
            members.append(
                MemberResult(
                    config.noise.noise_level,
                    kept.test_mse,
                    kept.identity_mse,
                    kept.pca_mse,
                    len(trained.history),
                    accuracy,
                    weights,
                    smoothness=None if weights is None else filter_smoothness(weights, dataset.image_shape),
                    edge_likeness=None if weights is None else edge_likeness(weights, dataset.image_shape),
                    test_mse_by_level=by_level,
                )
            )
        robust = None
        if spec.robustness:  # one classifier, one noise draw per test level, every member read through it
            from .robustness import of_runs

            robust = of_runs(runs, dataset, spec.test_levels)
        generated = None
        if spec.generate:  # each member's chains from the same uniform points, and annealing across the members
            from .generate import generation

            models, seed = [run.trained for run in runs], runs[0].config.train.seed
            generated = generation(models, dataset.X_train, dataset.X_test, seed=seed)
        return ViewResult(
            self.slug, tuple(members), raw, spec.test_levels, dataset.image_shape, seconds, robustness=robust,
            generation=generated,
        )  # fmt: skip

    def _measure_pretrain(self, runs: Sequence, dataset, seconds: float) -> ViewResult:
        """Every seed's stack, the first seed's on the member trained, fine-tuned with few labels (``compare``).

        The other seeds' bottom layers train here, one at a time, as ``python -m dae_core pretrain`` trains them: as
        members of one batched sweep over seeds they did not match single runs (seed 1's weights were up to 0.15 off),
        and the view would not reproduce the command's table."""
        from .pretrain import compare

        first = {run.config.train.seed: run.trained for run in runs}
        result = compare(self.pretrain_setup(), dataset, first_layers=first)
        members = tuple(
            MemberResult(
                run.config.noise.noise_level, kept.test_mse, kept.identity_mse, kept.pca_mse, len(run.trained.history)
            )
            for run in runs
            for kept in (run.trained.kept_record,)
        )
        return ViewResult(self.slug, members, None, (), dataset.image_shape, seconds + result.seconds, pretrain=result)
