"""How a lesson follows the learner: its steps, each with the condition on the workspace's runs that makes it done.

A run, as the conditions read it, is an ``Attempt`` (its settings, its epochs so far, whether it ended); the
``Workspace`` is the runs that ended and the current one. Conditions are small predicates and frozen objects, never
strings to evaluate. A step that only asks the learner to look (a page, a curve) is done once there is something to
look at; the cue of the step after it points there. ``Lesson.progress`` reads the runs: which steps are done, the
next one, and the cue to show now. The cue always speaks of the next step (or says the lesson is done), and no cue
or step shown names a setting the link hides: a step that asks for a hidden setting is skipped, and a cue that
names one is not said. The lessons themselves are in ``dae_core.lessons``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from .config import FIELD_LABELS, RunConfig
from .errors import ConfigError
from .records import EpochRecord, RunRecord, still_improving

SETTLE_EPOCHS = 5  # a run is said to lose to the identity only once it has trained more epochs than this
DIGIT_PIXELS = 64  # a digit's 8 × 8 pixels: a code at least this large can copy one


# --- a run, as the steps read it --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    """One run as a lesson's conditions read it: the settings it started with, its epochs so far, whether it ended."""

    config: RunConfig
    history: tuple[EpochRecord, ...] = ()
    finished: bool = False

    @classmethod
    def of_record(cls, record: RunRecord) -> Attempt | None:
        """A run that ended, from its record; None when its settings cannot be read (kept by an older version)."""
        try:
            config = RunConfig.from_dict(record.config)
        except ConfigError:
            return None
        return cls(config, tuple(record.history), finished=True)

    @property
    def last(self) -> EpochRecord | None:
        return self.history[-1] if self.history else None


RunTest = Callable[[Attempt], bool]  # what one run did, from its settings and its last epoch


def finished(run: Attempt) -> bool:
    return run.finished


def training(run: Attempt) -> bool:
    """Still going (training, paused or queued)."""
    return not run.finished


def trained(run: Attempt) -> bool:
    """Has trained at least one epoch."""
    return bool(run.history)


def beats_identity(run: Attempt) -> bool:
    """Its last epoch's test MSE is below the identity's (the noisy input itself)."""
    last = run.last
    return last is not None and last.test_mse < last.identity_mse


def beats_both(run: Attempt) -> bool:
    """Its last epoch's test MSE is below both baselines', the identity's and PCA's."""
    last = run.last
    return last is not None and last.test_mse < min(last.identity_mse, last.pca_mse)


def loses_to_identity(run: Attempt) -> bool:
    """Still at or above the identity after more than ``SETTLE_EPOCHS`` epochs."""
    last = run.last
    return last is not None and last.test_mse >= last.identity_mse and len(run.history) > SETTLE_EPOCHS


def without_noise(run: Attempt) -> bool:
    """Its last epoch trained at noise level 0."""
    return run.last is not None and run.last.noise_level == 0


def noisy(run: Attempt) -> bool:
    """Its last epoch trained at a noise level above 0."""
    return run.last is not None and run.last.noise_level > 0


@dataclass(frozen=True)
class NoiseAtLeast:
    """Its last epoch trained at a noise level of at least ``level`` (the level it ends at)."""

    level: float

    def __call__(self, run: Attempt) -> bool:
        return run.last is not None and run.last.noise_level >= self.level


@dataclass(frozen=True)
class ReachedNoise:
    """Some epoch of it trained at a noise level of at least ``level`` (raised while it trains counts)."""

    level: float

    def __call__(self, run: Attempt) -> bool:
        return any(record.noise_level >= self.level for record in run.history)


@dataclass(frozen=True)
class CodeSize:
    """Its code (``hidden_dim``) has from ``low`` to ``high`` numbers (no upper bound when ``high`` is None)."""

    low: int
    high: int | None = None

    def __call__(self, run: Attempt) -> bool:
        size = run.config.model.hidden_dim
        return self.low <= size and (self.high is None or size <= self.high)


# --- the workspace, and conditions on it ------------------------------------------------------------------------
@dataclass(frozen=True)
class Workspace:
    """The runs a lesson's steps are checked against: those that ended, oldest first, and the current one.

    The current run, once it has ended, may be among ``runs`` too: every condition asks whether some run did
    something, which counting a run twice does not change."""

    runs: tuple[Attempt, ...] = ()
    current: Attempt | None = None

    @property
    def every_run(self) -> tuple[Attempt, ...]:
        return self.runs + ((self.current,) if self.current is not None else ())


Condition = Callable[[Workspace], bool]


def _passes(run: Attempt, tests: Sequence[RunTest]) -> bool:
    return all(test(run) for test in tests)


@dataclass(frozen=True)
class SomeRun:
    """Some run of the workspace, the current one included, passes every test."""

    tests: tuple[RunTest, ...]

    def __call__(self, workspace: Workspace) -> bool:
        return any(_passes(run, self.tests) for run in workspace.every_run)


@dataclass(frozen=True)
class CurrentRun:
    """The current run passes every test (never when there is none)."""

    tests: tuple[RunTest, ...]

    def __call__(self, workspace: Workspace) -> bool:
        return workspace.current is not None and _passes(workspace.current, self.tests)


@dataclass(frozen=True)
class ThenAnother:
    """A run passes ``first``, and a later one (the current one included) passes ``then``."""

    first: tuple[RunTest, ...]
    then: tuple[RunTest, ...]

    def __call__(self, workspace: Workspace) -> bool:
        runs = workspace.every_run
        start = next((i for i, run in enumerate(runs) if _passes(run, self.first)), None)
        return start is not None and any(_passes(run, self.then) for run in runs[start + 1 :])


@dataclass(frozen=True)
class NoiseLevels:
    """Finished runs that ended at ``count`` or more different noise levels."""

    count: int

    def __call__(self, workspace: Workspace) -> bool:
        levels = {run.last.noise_level for run in workspace.every_run if run.finished and run.last is not None}
        return len(levels) >= self.count


def some_run(*tests: RunTest) -> SomeRun:
    return SomeRun(tests)


def current_run(*tests: RunTest) -> CurrentRun:
    return CurrentRun(tests)


# --- words that name a setting ----------------------------------------------------------------------------------
SETTING_WORDS = {name: (label.lower(),) for name, label in FIELD_LABELS.items()} | {"lr": ("learning rate", "lr")}
_NOT_A_SETTING = re.compile(r"`[^`]*`|\b(?:train|training|test) loss\b")  # a command; a loss value, not the setting


def names_setting(text: str, name: str) -> bool:
    """Whether ``text`` names the setting ``name`` as a learner would look for its control: by its label
    (``FIELD_LABELS``: "noise level", "code size", "epochs"), bold or not. A command in backticks and the train or
    test loss (numbers) do not count."""
    words = _NOT_A_SETTING.sub(" ", text.lower()).replace("*", "")
    return any(re.search(rf"\b{re.escape(word)}\b", words) for word in SETTING_WORDS.get(name, ()))


# --- steps, cues and a lesson's progress ------------------------------------------------------------------------
@dataclass(frozen=True)
class Cue:
    """What to say when every condition in ``when`` holds (always, when there is none). The text may name the current
    run's last epoch's numbers (``{test_mse:.4f}``, ``{identity_mse:.4f}``, ``{noise_level:g}``, ...): a cue that
    does asks for a current run with an epoch in ``when``."""

    text: str
    when: tuple[Condition, ...] = ()

    def holds(self, workspace: Workspace) -> bool:
        return all(condition(workspace) for condition in self.when)


@dataclass(frozen=True)
class Step:
    """One numbered step: what the learner does or looks at (Markdown), when it is done, the settings it asks them to
    change (RunConfig field names), and the cues said while it is the next step: the last whose conditions hold."""

    text: str
    done_when: Condition
    asks: tuple[str, ...] = ()
    cues: tuple[Cue, ...] = ()

    def __str__(self) -> str:
        return self.text


DONE, NEXT, TO_DO, SKIPPED = "done", "next", "to do", "skipped"
SKIPPED_TEXT = "*Not in this link: this step changes a setting that the link keeps as the lesson set it.*"
LESSON_DONE = "You have done every step of this lesson."
TRAIN_LONGER = "The test error was still falling at the end: raise the epochs and train again."


@dataclass(frozen=True)
class StepState:
    """A step as the lesson's panel shows it: its number, where the learner is with it, and its text (or, for a
    skipped step, why it is skipped)."""

    number: int
    state: str  # DONE, NEXT, TO_DO or SKIPPED
    text: str


@dataclass(frozen=True)
class Progress:
    """Where a learner is in a lesson: every step's state, and the cue to show under the live chart now."""

    steps: tuple[StepState, ...]
    cue: str | None

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(step.state for step in self.steps)

    @property
    def next_step(self) -> StepState | None:
        """The first step neither done nor skipped; None once the lesson is done."""
        return next((step for step in self.steps if step.state == NEXT), None)


def _on_data(run: Attempt | None, config: RunConfig) -> Attempt | None:
    return run if run is not None and run.config.data.dataset == config.data.dataset else None


@dataclass(frozen=True)
class Lesson:
    """A preset and the steps that go with it."""

    slug: str
    title: str
    summary: str  # one sentence: what the lesson shows
    config: RunConfig
    steps: tuple[Step, ...]  # in order
    hide: tuple[str, ...] = ()  # RunConfig fields the lesson's Train page does not show
    sweep: dict[str, list] = field(default_factory=dict)  # the lists of `sweep --lesson SLUG`, for lessons that compare
    probe: bool = False  # its sweep reports linear-probe accuracy of the codes
    robustness: tuple[float, ...] = ()  # its sweep reports a clean-trained classifier's accuracy at these test levels
    done_cues: tuple[Cue, ...] = ()  # said once every step is done (or skipped): the last that holds

    def workspace(self, runs: Sequence[RunRecord], current: Attempt | None = None) -> Workspace:
        """The runs the steps are checked against: those on the lesson's dataset (a run on other data shows
        nothing the steps speak of)."""
        ended = (_on_data(Attempt.of_record(record), self.config) for record in runs)
        return Workspace(tuple(run for run in ended if run is not None), _on_data(current, self.config))

    def progress(
        self, runs: Sequence[RunRecord], current: Attempt | None = None, hidden: Collection[str] = ()
    ) -> Progress:
        """Which steps the runs have done, the next one, and the cue to show now.

        ``runs`` are the runs that ended; ``current`` is the run on the Train page (None when there is none);
        ``hidden`` the settings the link hides. A step that asks for a hidden setting is skipped, done or not.
        The cue is the next step's (or, once none is left, the lesson's ``done_cues``): the last whose conditions
        hold and whose text names no hidden setting. A finished current run whose test error was still falling adds
        that more epochs would help, unless the epochs are hidden.
        """
        workspace, hidden = self.workspace(runs, current), set(hidden)
        done = [step.done_when(workspace) for step in self.steps]
        skipped = [bool(hidden & set(step.asks)) for step in self.steps]
        upcoming = next((i for i in range(len(self.steps)) if not done[i] and not skipped[i]), None)
        states = []
        for i, step in enumerate(self.steps):
            state = SKIPPED if skipped[i] else DONE if done[i] else NEXT if i == upcoming else TO_DO
            states.append(StepState(i + 1, state, SKIPPED_TEXT if state == SKIPPED else step.text))
        cues = self.done_cues if upcoming is None else self.steps[upcoming].cues
        text = self._say(cues, workspace, hidden) or (LESSON_DONE if upcoming is None else None)
        run = workspace.current
        if run is not None and run.finished and still_improving(run.history) and "epochs" not in hidden:
            text = f"{text} {TRAIN_LONGER}" if text else TRAIN_LONGER
        return Progress(tuple(states), text)

    @staticmethod
    def _say(cues: Sequence[Cue], workspace: Workspace, hidden: set[str]) -> str | None:
        said = [
            cue.text for cue in cues if cue.holds(workspace) and not any(names_setting(cue.text, n) for n in hidden)
        ]
        if not said:
            return None
        last = workspace.current.last if workspace.current is not None else None
        return said[-1].format(**last.to_dict()) if last is not None else said[-1]

    def to_dict(self) -> dict:
        return {
            "slug": self.slug,
            "title": self.title,
            "summary": self.summary,
            "config": self.config.to_dict(),
            "steps": [step.text for step in self.steps],
            "asks": [list(step.asks) for step in self.steps],
            "hide": list(self.hide),
            "sweep": self.sweep,
            "probe": self.probe,
            "robustness": list(self.robustness),
        }
