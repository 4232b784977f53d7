"""Hyperparameter search with Optuna: a search space people can type, trials trained by the engine's ``Trainer`` and
pruned on their per-epoch test MSE, every trial scored on one fixed noisy test set, and the study as plain data.

A search space is written as ``NAME=RANGE`` items separated by spaces (``parse_search``)::

    noise_level=0..1.5 hidden_dim=2..64:log lr=1e-4..1e-1:log hidden_layers=none|64|128,64

``LOW..HIGH`` is a range (``:log`` samples it on a log scale; a setting that is an int draws ints), and ``A|B|C`` a
choice (``none`` is an empty list of layers). Every trial trains ``TuneSpec.base`` with the sampled settings and is
scored on the same test inputs: the test rows corrupted once by ``TuneSpec.test_noise`` (by default the base run's
own noise), so that searching the training noise asks which training noise best denoises that test noise, never
which task is easiest. The first trial of a new study is the base run itself, when it lies in the space, so the best
found is never worse than what was asked for.

A study lives where ``TuneSpec.storage`` says: a database URL Optuna accepts (``sqlite:///path``, or a server's),
shared by every process pointed at it, or memory. ``TuneResult`` is what the study holds, as plain data a worker
process can send and a page can draw: one ``TrialRow`` per trial. Optuna is imported only when a search runs or a
figure is drawn.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config import (
    ACTIVATIONS,
    ARCHITECTURES,
    BOUNDS,
    CONV_CHANNELS,
    FIELD_SECTION,
    LAYER_WIDTHS,
    NOISE_TYPES,
    OPTIMIZERS,
    RunConfig,
    noise_level_range,
    noise_level_within,
)
from .errors import ConfigError

if TYPE_CHECKING:
    import optuna

    from .data import Dataset
    from .training import Trainer

# What a search may vary, and how: a float or int range, a choice of names, or a choice of layer widths. The data
# and the epochs stay fixed: a search compares models on one task, for one training budget.
FLOAT, INT, NAMES, WIDTHS = "float", "int", "names", "widths"
SEARCHABLE: dict[str, tuple[str, Any]] = {
    "noise_level": (FLOAT, None),  # its range is the noise type's (config.noise_level_range)
    "lr": (FLOAT, (1e-6, 10.0)),
    "weight_decay": (FLOAT, BOUNDS["weight_decay"]),
    "hidden_dim": (INT, BOUNDS["hidden_dim"]),
    "code_channels": (INT, BOUNDS["code_channels"]),
    "batch_size": (INT, (1, BOUNDS["batch_size"][1])),
    "noise": (NAMES, NOISE_TYPES),
    "activation": (NAMES, ACTIVATIONS),
    "optimizer": (NAMES, OPTIMIZERS),
    "architecture": (NAMES, ARCHITECTURES),
    "hidden_layers": (WIDTHS, LAYER_WIDTHS),
    "conv_channels": (WIDTHS, CONV_CHANNELS),
}
METRICS = {  # name: (direction, what it is)
    "test_mse": ("minimize", "test MSE on the fixed noisy test inputs"),
    "ratio_to_pca": ("minimize", "test MSE over PCA's on the same inputs, PCA keeping as many numbers as the code"),
    "probe_accuracy": ("maximize", "accuracy of a logistic regression on the codes of the clean test rows"),
}
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")
GRID_POINTS = 4  # a range in a grid search: this many values, evenly spaced (on a log scale with :log)
REPORTS_PER_TRIAL = 20  # a trial tells the pruner its test MSE this often: each report is a write to the storage
STARTUP_TRIALS = 5  # the median pruner prunes nothing before this many trials have finished
RUNNING, COMPLETE, PRUNED, FAILED = "running", "complete", "pruned", "failed"
INTERRUPTED = "interrupted: the search stopped with the server"


# --- the search space ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dimension:
    """One searched setting: a range (``low``, ``high``, ``log``) or a choice of ``choices``."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()

    @property
    def kind(self) -> str:
        return SEARCHABLE[self.name][0]

    def text(self) -> str:
        """The dimension as ``parse_search`` reads it."""
        if self.choices:
            return f"{self.name}=" + "|".join(_choice_text(choice) for choice in self.choices)
        return f"{self.name}={self.low:g}..{self.high:g}" + (":log" if self.log else "")

    def suggest(self, trial: optuna.Trial) -> Any:
        if self.choices:
            return _choice_value(self.kind, trial.suggest_categorical(self.name, self.options()))
        if self.kind == INT:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)

    def grid(self) -> list:
        """The values a grid search tries: every choice, or ``GRID_POINTS`` across the range (distinct ints)."""
        import numpy as np

        if self.choices:
            return self.options()
        if self.log:
            values = np.geomspace(self.low, self.high, GRID_POINTS)
        else:
            values = np.linspace(self.low, self.high, GRID_POINTS)
        if self.kind == INT:
            return sorted({int(round(value)) for value in values})
        return [float(value) for value in values]

    def holds(self, value: Any) -> bool:
        """Whether ``value`` (a config's) is one this dimension can give."""
        if self.choices:
            return _shown(self.kind, value) in self.options()
        return self.low <= value <= self.high

    def options(self) -> list:
        """The choices as Optuna keeps them: names, numbers, or layer widths as text ("128,64", "none")."""
        return [_shown(self.kind, choice) for choice in self.choices]


def _choice_text(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value)) or "none"
    return str(value)


def _shown(kind: str, value: Any) -> Any:
    """A setting's value as a trial keeps it: layer widths as text, anything else as it is."""
    return _choice_text(value) if kind == WIDTHS else value


def _choice_value(kind: str, shown: Any) -> Any:
    """A trial's kept value as the config takes it: layer widths from their text."""
    if kind == WIDTHS:
        return () if shown == "none" else tuple(int(part) for part in str(shown).split(","))
    return shown


def parse_search(text: str, base: RunConfig | None = None) -> tuple[Dimension, ...]:
    """``NAME=LOW..HIGH[:log]`` and ``NAME=A|B|C`` items, separated by spaces, as dimensions; every problem at once
    in one ``ConfigError``, each saying what to write instead. ``base``: the run whose settings the search changes
    (its noise type bounds a searched noise level, and both ends of each range are checked as its settings)."""
    base = base or RunConfig()
    items = text.split()
    if not items:
        raise ConfigError(
            "The search space is empty. Give NAME=LOW..HIGH or NAME=A|B items separated by spaces, "
            "e.g. 'noise_level=0..1 lr=1e-4..1e-1:log'."
        )
    problems, dimensions, seen = [], [], set()
    for item in items:
        try:
            dimension = _parse_item(item)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        if dimension.name in seen:
            problems.append(f"'{dimension.name}' is searched twice. Give each setting once.")
        seen.add(dimension.name)
        dimensions.append(dimension)
    if problems:
        raise ConfigError(" ".join(problems))
    space = tuple(dimensions)
    for dimension in space:
        if dimension.name == "noise_level" and "noise" in seen:
            continue  # bounded by each trial's noise type instead (``trial_config``)
        _check_ends(dimension, base)
    return space


def _parse_item(item: str) -> Dimension:
    name, equals, values = item.partition("=")
    if not equals:
        raise ConfigError(f"'{item}' has no '='. Write NAME=LOW..HIGH or NAME=A|B, e.g. 'lr=1e-4..1e-1:log'.")
    if name not in SEARCHABLE:
        import difflib

        close = difflib.get_close_matches(name, list(SEARCHABLE), n=1)
        hint = f"Did you mean '{close[0]}'? " if close else ""
        raise ConfigError(
            f"There is no setting '{name}' to search. {hint}The settings a search can vary: {', '.join(SEARCHABLE)}."
        )
    kind, allowed = SEARCHABLE[name]
    if not values:
        raise ConfigError(f"'{item}' gives no values. Write {name}=LOW..HIGH or {name}=A|B.")
    if kind in (NAMES, WIDTHS) or ".." not in values:
        return _parse_choices(name, kind, allowed, values, item)
    return _parse_range(name, kind, values, item)


def _parse_choices(name: str, kind: str, allowed, values: str, item: str) -> Dimension:
    parts = values.split("|")
    if any(not part for part in parts) and kind != WIDTHS:
        raise ConfigError(f"'{item}' has an empty choice. Separate the choices by single '|'.")
    if kind == NAMES:
        wrong = [part for part in parts if part not in allowed]
        if wrong:
            raise ConfigError(f"'{item}': {', '.join(map(repr, wrong))} is not one of {', '.join(allowed)}.")
        choices = tuple(parts)
    elif kind == WIDTHS:
        try:
            choices = tuple(_choice_value(WIDTHS, part or "none") for part in parts)
        except ValueError:
            raise ConfigError(
                f"'{item}': each choice is comma-separated widths, or 'none' (e.g. {name}=none|64|128,64)."
            ) from None
        low, high = allowed
        if any(not low <= width <= high for choice in choices for width in choice):
            raise ConfigError(f"'{item}': each width must be in [{low}, {high}].")
    else:  # a number setting given as a list of values
        try:
            choices = tuple((int if kind == INT else float)(part) for part in parts)
        except ValueError:
            what = "ints" if kind == INT else "numbers"
            raise ConfigError(f"'{item}': give {what} separated by '|', or a range LOW..HIGH.") from None
    if len(set(map(_choice_text, choices))) < 2:
        raise ConfigError(f"'{item}' gives one value: nothing to search. Set it with its train flag instead.")
    return Dimension(name, choices=choices)


def _parse_range(name: str, kind: str, values: str, item: str) -> Dimension:
    bounds, _, scale = values.partition(":")
    if scale not in ("", "log"):
        raise ConfigError(f"'{item}': the only scale is ':log' (got ':{scale}').")
    low_text, _, high_text = bounds.partition("..")
    if not low_text or not high_text:
        raise ConfigError(f"'{item}' is an empty range. Give both ends: {name}=LOW..HIGH.")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ConfigError(f"'{item}': the ends of a range must be numbers, e.g. {name}=1..10.") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ConfigError(f"'{item}': the ends of a range must be finite numbers.")
    if kind == INT and not (low.is_integer() and high.is_integer()):
        raise ConfigError(f"'{item}': {name} is a whole number; give whole ends, e.g. {name}=2..64.")
    if low > high:
        raise ConfigError(f"'{item}': the low end is above the high end. Write {name}={high_text}..{low_text}.")
    if low == high:
        raise ConfigError(f"'{item}' is an empty range: one value, nothing to search. Give LOW < HIGH.")
    if scale == "log" and low <= 0:
        raise ConfigError(f"'{item}': a log scale needs both ends above 0 (the low end is {low_text}).")
    allowed = SEARCHABLE[name][1] or (0.0, max(noise_level_range(kind)[1] for kind in NOISE_TYPES))
    if not (allowed[0] <= low and high <= allowed[1]):
        raise ConfigError(f"'{item}': {name} must lie in [{allowed[0]:g}, {allowed[1]:g}].")
    return Dimension(name, low, high, scale == "log")


def _check_ends(dimension: Dimension, base: RunConfig) -> None:
    """Both ends of a range, or every choice, must make a valid run of ``base`` (the config's own checks)."""
    values = dimension.choices or (dimension.low, dimension.high)
    for value in values:
        if dimension.kind == INT and not dimension.choices:
            value = int(value)
        try:
            base.replace(**{dimension.name: value})
        except ConfigError as exc:
            raise ConfigError(f"'{dimension.text()}': {exc}") from None


def format_search(space: Sequence[Dimension]) -> str:
    return " ".join(dimension.text() for dimension in space)


def trial_config(base: RunConfig, params: dict[str, Any]) -> RunConfig:
    """``base`` with a trial's settings (``params`` by setting name, as ``Dimension.suggest`` gives them). A searched
    noise level is brought within a searched noise type's range (a σ of 1.5 is a fraction of 1 for masking)."""
    changes = dict(params)
    if "noise_level" in changes:
        noise = changes.get("noise", base.noise.noise)
        changes["noise_level"] = noise_level_within(noise, changes["noise_level"])
    return base.replace(**changes)


def default_space(base: RunConfig) -> str:
    """A search space that suits ``base``'s data: its noise level across the noise type's useful range, the code
    size around the data's width, the learning rate over three decades, and a few layer shapes."""
    low, high = noise_level_range(base.noise.noise)
    top = min(high, 0.9 if base.noise.noise != "gaussian" else 1.0)
    if base.model.architecture == "conv":
        return f"noise_level={low:g}..{top:g} code_channels=4..64:log lr=1e-4..1e-2:log conv_channels=16|32|32,64"
    return f"noise_level={low:g}..{top:g} hidden_dim=2..128:log lr=1e-4..3e-2:log hidden_layers=none|64|128|128,64"


# --- what a search is, as plain data --------------------------------------------------------------
@dataclass(frozen=True)
class TuneSpec:
    """A search: what stays fixed (``base``), what varies (``space``), how many trials, what it measures and where
    the study lives. Plain data, so a worker process can receive it."""

    base: RunConfig
    space: tuple[Dimension, ...]
    trials: int = 20
    metric: str = "test_mse"
    test_noise: tuple[str, float] | None = None  # (type, level) of the fixed test inputs; None: the base run's
    sampler: str = "tpe"
    pruner: str = "median"
    seed: int = 0
    timeout: float | None = None  # seconds, for this process's trials
    storage: Any = None  # a database URL Optuna accepts (or a storage object, e.g. Dask's); None: memory
    study: str | None = None  # the study's name in the storage; None: a new one

    def __post_init__(self):
        problems = []
        if self.metric not in METRICS:
            problems.append(f"There is no metric {self.metric!r}. The metrics: {', '.join(METRICS)}.")
        if self.sampler not in SAMPLERS:
            problems.append(f"There is no sampler {self.sampler!r}. The samplers: {', '.join(SAMPLERS)}.")
        if self.pruner not in PRUNERS:
            problems.append(f"There is no pruner {self.pruner!r}. The pruners: {', '.join(PRUNERS)}.")
        if isinstance(self.trials, bool) or not isinstance(self.trials, int) or self.trials < 1:
            problems.append(f"A search needs at least 1 trial. Got {self.trials!r}.")
        if self.timeout is not None and not self.timeout > 0:
            problems.append(f"The time limit must be above 0 seconds. Got {self.timeout!r}.")
        if self.metric == "probe_accuracy" and self.pruner != "none":
            problems.append(
                "Pruning needs a number at every epoch, and probe accuracy is measured once a trial ends. "
                "Use pruner 'none' with metric probe_accuracy, or prune on test_mse."
            )
        if self.test_noise is not None:
            kind, level = self.test_noise
            if kind not in NOISE_TYPES:
                problems.append(f"There is no noise type {kind!r}. The types: {', '.join(NOISE_TYPES)}.")
            else:
                low, high = noise_level_range(kind)
                if not low <= level <= high:
                    problems.append(f"A {kind} test noise level must lie in [{low:g}, {high:g}]. Got {level:g}.")
        if problems:
            raise ConfigError(" ".join(problems))

    @property
    def direction(self) -> str:
        return METRICS[self.metric][0]

    @property
    def noise(self) -> tuple[str, float]:
        """The fixed test inputs' noise: type and level."""
        return self.test_noise or (self.base.noise.noise, self.base.noise.noise_level)

    def configs(self) -> list[RunConfig]:
        """The run the pool admits (its data and epochs): the base; each trial is checked as it starts."""
        return [self.base]


def parse_test_noise(text: str) -> tuple[str, float]:
    """``TYPE:LEVEL`` (e.g. ``masking:0.5``) as a test noise, or a ``ConfigError`` that says how to write it."""
    kind, colon, level = text.partition(":")
    try:
        value = float(level)
    except ValueError:
        value = None
    if not colon or value is None or not math.isfinite(value):
        raise ConfigError(f"A test noise is TYPE:LEVEL, e.g. masking:0.5 or gaussian:0.3. Got {text!r}.")
    if kind not in NOISE_TYPES:
        raise ConfigError(f"There is no noise type {kind!r} in {text!r}. The types: {', '.join(NOISE_TYPES)}.")
    low, high = noise_level_range(kind)
    if not low <= value <= high:
        raise ConfigError(f"A {kind} test noise level must lie in [{low:g}, {high:g}]. Got {value:g}.")
    return kind, value


@dataclass(frozen=True)
class TrialRow:
    """One trial as the study holds it: its settings, state and numbers."""

    number: int
    state: str  # RUNNING, COMPLETE, PRUNED or FAILED
    params: dict[str, Any]  # by setting name; layer widths as text ("128,64", "none")
    value: float | None  # the metric, once complete
    test_mse: float | None = None  # on the fixed noisy test inputs, at the last epoch it trained
    epochs: int = 0
    seconds: float = 0.0
    reason: str = ""  # why a trial failed or was pruned
    curve: tuple[float, ...] = ()  # the test MSE reported to the pruner, every few epochs


@dataclass(frozen=True)
class TuneResult:
    """A study's trials and its best, as plain data."""

    metric: str
    direction: str
    trials: tuple[TrialRow, ...] = ()
    space: tuple[Dimension, ...] = ()
    study: str = ""
    seconds: float = 0.0

    @property
    def best(self) -> TrialRow | None:
        complete = [row for row in self.trials if row.state == COMPLETE and row.value is not None]
        if not complete:
            return None
        pick = min if self.direction == "minimize" else max
        return pick(complete, key=lambda row: row.value)

    def count(self, state: str) -> int:
        return sum(row.state == state for row in self.trials)

    @property
    def n_pruned(self) -> int:
        return self.count(PRUNED)

    def best_config(self, base: RunConfig) -> RunConfig | None:
        best = self.best
        return None if best is None else trial_config(base, params_of(self.space, best.params))


def params_of(space: Sequence[Dimension], shown: dict[str, Any]) -> dict[str, Any]:
    """A trial's settings as a config takes them, from the row's (layer widths from their text)."""
    kinds = {dimension.name: dimension.kind for dimension in space}
    return {name: _choice_value(kinds.get(name, FLOAT), value) for name, value in shown.items()}


# --- scoring on one fixed test set -------------------------------------------------------------------
class FixedTest:
    """The test rows corrupted once by the search's test noise, and a trained model's numbers on them."""

    def __init__(self, spec: TuneSpec, dataset: Dataset):
        from .training import fixed_noisy_test

        kind, level = spec.noise
        # The base run's own stream: with its own noise, these are the inputs `train` scores the base run on.
        test_config = spec.base.replace(noise=kind, noise_level=level)
        self.noisy = fixed_noisy_test(test_config, dataset, level, _device(spec.base))
        self.dataset = dataset
        self._pca: dict[int, float] = {}

    def test_mse(self, trainer: Trainer) -> float:
        import torch

        with torch.no_grad():
            trainer.model.eval()
            noisy = self.noisy.to(trainer.device)
            return float(torch.nn.functional.mse_loss(trainer.model(noisy), trainer.X_test).item())

    def pca_mse(self, components: int) -> float:
        if components not in self._pca:
            baseline = self.dataset.pca(components)
            self._pca[components] = baseline.mse(self.noisy.cpu().numpy(), self.dataset.X_test)
        return self._pca[components]

    def probe_accuracy(self, trainer: Trainer) -> float:
        from . import metrics

        dataset = self.dataset
        if dataset.y_train is None:
            raise ConfigError(f"Probe accuracy needs labels, and {dataset.name} has none. Search on test_mse.")
        trained = trainer.result()
        return metrics.linear_probe(
            trained.encode(dataset.X_train), dataset.y_train, trained.encode(dataset.X_test), dataset.y_test
        )


def _device(config: RunConfig):
    from .training import resolve_device

    return resolve_device(config.train.device)


# --- running a search ------------------------------------------------------------------------------
class TrialFailed(Exception):
    """A trial that cannot give a number: a setting the run refuses, or a loss that ran away."""


class SearchStopped(Exception):
    """Raised inside a trial when the search must end (asked to, or past a limit)."""


def run_study(
    spec: TuneSpec,
    dataset: Dataset | None = None,
    *,
    on_change: Callable[[TuneResult], None] | None = None,
    must_stop: Callable[[], str] | None = None,
    check: Callable[[RunConfig, Dataset], None] | None = None,
    live: bool = False,
) -> TuneResult:
    """Run ``spec.trials`` trials of the study ``spec`` names (created if new, resumed if not) and return what the
    study then holds. ``on_change(result)``: after each trial starts and ends and, if ``live``, every few epochs.
    ``must_stop()``: a reason to end the search now ("" to go on), asked every epoch; the trial then ends as failed
    with that reason, and so does the search. ``check(config, dataset)``: refuses a trial's settings by raising a
    ``ConfigError`` (a server's limits), and the trial fails with its message."""
    import optuna

    from .data import load_dataset
    from .training import Trainer

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dataset = dataset if dataset is not None else load_dataset(spec.base.data)
    fixed = FixedTest(spec, dataset)
    study = open_study(spec)
    if not study.trials:  # a new study: kept with what it searches, and started from the settings asked for
        study.set_user_attr("spec", spec_text(spec))
        start = {dimension.name: getattr(getattr(spec.base, FIELD_SECTION[dimension.name]), dimension.name)
                 for dimension in spec.space}  # fmt: skip
        if all(dimension.holds(start[dimension.name]) for dimension in spec.space):
            shown = {dimension.name: _shown(dimension.kind, start[dimension.name]) for dimension in spec.space}
            study.enqueue_trial(shown, skip_if_exists=True)
    epochs = spec.base.train.epochs
    every = max(1, epochs // REPORTS_PER_TRIAL)
    started = time.perf_counter()
    stop_reason = ""

    def changed() -> None:
        if on_change is not None:
            on_change(result_of(study, spec, time.perf_counter() - started))

    def objective(trial: optuna.Trial) -> float:
        nonlocal stop_reason
        trial_started = time.perf_counter()
        params = {dimension.name: dimension.suggest(trial) for dimension in spec.space}
        changed()
        try:
            config = trial_config(spec.base, params)
            if check is not None:
                check(config, dataset)
        except ConfigError as exc:
            trial.set_user_attr("reason", str(exc))
            raise TrialFailed(str(exc)) from None
        trainer = Trainer(config, dataset)
        curve: list[float] = []
        for record in trainer.epochs():
            stop_reason = must_stop() if must_stop is not None else ""
            if stop_reason:
                trial.set_user_attr("reason", stop_reason)
                raise SearchStopped(stop_reason)
            if record.epoch % every and record.epoch != epochs:
                continue
            value = fixed.test_mse(trainer)
            curve.append(value)
            trial.set_user_attr("curve", curve)
            trial.set_user_attr("epochs", record.epoch)
            trial.set_user_attr("seconds", time.perf_counter() - trial_started)
            trial.report(value if spec.metric != "ratio_to_pca" else value / fixed.pca_mse(trainer.pca_components),
                         record.epoch)  # fmt: skip
            if live:
                changed()
            if spec.pruner != "none" and trial.should_prune():
                trial.set_user_attr("test_mse", value)
                trial.set_user_attr("reason", f"pruned at epoch {record.epoch}: behind the other trials there")
                raise optuna.TrialPruned()
        if trainer.outcome is not None and trainer.outcome.diverged:
            trial.set_user_attr("reason", trainer.outcome.reason)
            raise TrialFailed(trainer.outcome.reason)
        test_mse = fixed.test_mse(trainer)
        trial.set_user_attr("test_mse", test_mse)
        trial.set_user_attr("epochs", trainer.epoch)
        trial.set_user_attr("seconds", time.perf_counter() - trial_started)
        if spec.metric == "ratio_to_pca":
            return test_mse / fixed.pca_mse(trainer.pca_components)
        if spec.metric == "probe_accuracy":
            return fixed.probe_accuracy(trainer)
        return test_mse

    with contextlib.suppress(SearchStopped):  # the trial that saw it has ended as failed, saying why
        study.optimize(
            objective,
            n_trials=spec.trials,
            timeout=spec.timeout,
            catch=(TrialFailed,),
            callbacks=[lambda *_: changed()],
        )
    result = result_of(study, spec, time.perf_counter() - started)
    if on_change is not None:
        on_change(result)
    return result


def spec_text(spec: TuneSpec) -> str:
    """``spec`` as JSON, kept with its study so that a page can show a stored study without the spec it began with."""
    import json

    return json.dumps(
        {
            "base": spec.base.to_dict(),
            "search": format_search(spec.space),
            "trials": spec.trials,
            "metric": spec.metric,
            "test_noise": list(spec.noise),
            "sampler": spec.sampler,
            "pruner": spec.pruner,
            "seed": spec.seed,
        }
    )


def spec_of_text(text: str, storage: str | None, study: str) -> TuneSpec:
    """The spec ``spec_text`` wrote, for ``study`` in ``storage``."""
    import json

    data = json.loads(text)
    base = RunConfig.from_dict(data["base"])
    noise = (data["test_noise"][0], float(data["test_noise"][1]))
    space = parse_search(data["search"], base)
    return TuneSpec(base, space, data["trials"], data["metric"], noise, data["sampler"], data["pruner"], data["seed"],
                    storage=storage, study=study)  # fmt: skip


def latest_stored(storage: str, prefix: str) -> tuple[TuneSpec, TuneResult] | None:
    """The newest study in ``storage`` whose name starts with ``prefix`` (names end with when they started), as its
    spec and what it holds; None when there is none, or the storage cannot be read."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        names = sorted(name for name in optuna.get_all_study_names(storage) if name.startswith(prefix))
        if not names:
            return None
        study = optuna.load_study(study_name=names[-1], storage=storage)
        text = study.user_attrs.get("spec")
        if text is None:
            return None
        spec = spec_of_text(text, storage, names[-1])
        result = result_of(study, spec)
    except Exception:  # a storage that is not there yet, or unreadable: nothing kept to show
        return None
    # Read back with no process running it: a trial still marked running was cut off (the server stopped).
    rows = tuple(dataclasses.replace(row, state=FAILED, reason=INTERRUPTED) if row.state == RUNNING else row
                 for row in result.trials)  # fmt: skip
    return spec, dataclasses.replace(result, trials=rows)


def default_storage(environ=None) -> str:
    """Where studies live unless told otherwise: one SQLite file in the data folder (``DAE_DATA_DIR``)."""
    from .idx import data_dir

    return f"sqlite:///{data_dir(environ) / 'studies.db'}"


def new_study_name(base: RunConfig, prefix: str = "") -> str:
    """A fresh study's name: ``prefix``, its data and when it started, e.g. ``digits-20261205-171502-3f9a``."""
    import secrets

    return f"{prefix}{base.data.dataset}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def open_study(spec: TuneSpec, attempts: int = 3) -> optuna.Study:
    """The study ``spec`` names in its storage, created if it is not there; a ``ConfigError`` when the storage cannot
    be opened or holds a study of this name that searched for the other direction. Processes that open one new
    SQLite file at once may race to create its tables: the loser tries again."""
    for attempt in range(attempts):
        try:
            return _open_study(spec)
        except ConfigError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _open_study(spec: TuneSpec) -> optuna.Study:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the command line and the page say what happens

    if isinstance(spec.storage, str) and spec.storage.startswith("sqlite:///"):
        from pathlib import Path

        folder = Path(spec.storage.removeprefix("sqlite:///")).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"The study's folder {str(folder)!r} cannot be made ({exc.strerror}). Set DAE_DATA_DIR to a folder "
                "you can write to, or give --storage."
            ) from None
    try:
        return optuna.create_study(
            storage=spec.storage,
            study_name=spec.study,
            direction=spec.direction,
            sampler=_sampler(spec),
            pruner=_pruner(spec),
            load_if_exists=True,
        )
    except ValueError as exc:  # a study of this name exists with another direction
        raise ConfigError(f"The study {spec.study!r} cannot be resumed for {spec.metric}: {exc}") from None
    except Exception as exc:  # the storage URL names no database this machine can open
        if type(exc).__module__.startswith(("sqlalchemy", "optuna")) or isinstance(exc, (ImportError, OSError)):
            raise ConfigError(f"The study's storage {spec.storage!r} cannot be opened ({_first_line(exc)}).") from None
        raise


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _sampler(spec: TuneSpec):
    import optuna

    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=spec.seed)
    if spec.sampler == "grid":
        grid = {dimension.name: dimension.grid() for dimension in spec.space}
        return optuna.samplers.GridSampler(grid, seed=spec.seed)
    return optuna.samplers.TPESampler(seed=spec.seed, n_startup_trials=min(10, max(2, spec.trials // 3)))


def _pruner(spec: TuneSpec):
    import optuna

    if spec.pruner == "none":
        return optuna.pruners.NopPruner()
    epochs = spec.base.train.epochs
    if spec.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=max(1, epochs // 10), max_resource=epochs)
    every = max(1, epochs // REPORTS_PER_TRIAL)
    return optuna.pruners.MedianPruner(
        n_startup_trials=STARTUP_TRIALS, n_warmup_steps=epochs // 5, interval_steps=every
    )


def result_of(study: optuna.Study, spec: TuneSpec, seconds: float = 0.0) -> TuneResult:
    """What ``study`` holds now, as plain data."""
    import optuna

    states = {
        optuna.trial.TrialState.RUNNING: RUNNING,
        optuna.trial.TrialState.WAITING: RUNNING,
        optuna.trial.TrialState.COMPLETE: COMPLETE,
        optuna.trial.TrialState.PRUNED: PRUNED,
        optuna.trial.TrialState.FAIL: FAILED,
    }
    rows = []
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        reason = attrs.get("reason", "")
        if trial.state == optuna.trial.TrialState.FAIL and not reason:
            reason = "the trial raised an error"
        rows.append(
            TrialRow(
                number=trial.number,
                state=states[trial.state],
                params=dict(trial.params),
                value=trial.value if trial.state == optuna.trial.TrialState.COMPLETE else None,
                test_mse=attrs.get("test_mse"),
                epochs=int(attrs.get("epochs", 0)),
                seconds=float(attrs.get("seconds", 0.0)),
                reason=reason,
                curve=tuple(attrs.get("curve", ())),
            )
        )
    return TuneResult(spec.metric, spec.direction, tuple(rows), spec.space, study.study_name, seconds)


# --- the figures: Optuna's own, from plain data ------------------------------------------------------
def study_of(result: TuneResult) -> optuna.Study:
    """An in-memory study holding ``result``'s finished trials, for Optuna's figures (a page draws them without the
    storage the search ran on)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=result.direction)
    distributions = _distributions(result.space)
    states = {COMPLETE: optuna.trial.TrialState.COMPLETE, PRUNED: optuna.trial.TrialState.PRUNED}
    for row in result.trials:
        if row.state not in states or set(row.params) != set(distributions):
            continue
        intermediate = dict(enumerate(row.curve))
        study.add_trial(
            optuna.trial.create_trial(
                params=row.params,
                distributions=distributions,
                value=row.value if row.state == COMPLETE else None,
                intermediate_values=intermediate,
                state=states[row.state],
            )
        )
    return study


def _distributions(space: Sequence[Dimension]) -> dict:
    import optuna

    out = {}
    for dimension in space:
        if dimension.choices:
            out[dimension.name] = optuna.distributions.CategoricalDistribution(dimension.options())
        elif dimension.kind == INT:
            out[dimension.name] = optuna.distributions.IntDistribution(
                int(dimension.low), int(dimension.high), log=dimension.log
            )
        else:
            out[dimension.name] = optuna.distributions.FloatDistribution(
                dimension.low, dimension.high, log=dimension.log
            )
    return out


def retrain_best(spec: TuneSpec, result: TuneResult, dataset: Dataset) -> tuple[Trainer, Any]:
    """Train the best trial's settings again (the same seed: the same run) and score it on the search's test inputs:
    the trainer, and its ``records.Summary`` there (test MSE, identity, PCA and, for images, the classic denoisers).
    A ``ConfigError`` when no trial is complete."""
    from . import metrics
    from .records import Summary
    from .training import Trainer

    config = result.best_config(spec.base)
    if config is None:
        raise ConfigError("No trial finished, so there is no best to train. Give more trials or a longer time limit.")
    trainer = Trainer(config, dataset)
    for _ in trainer.epochs():
        pass
    kind, level = spec.noise
    if kind == config.noise.noise:  # the trainer's own evaluation at the test level: the very inputs FixedTest draws
        if level != trainer.settings.noise.noise_level:
            trainer.update(trainer.settings.replace_live(noise_level=level))
        return trainer, trainer.evaluate().summary
    fixed = FixedTest(spec, dataset)
    test_mse = fixed.test_mse(trainer)
    noisy = fixed.noisy.cpu().numpy()
    psnr = 10 * math.log10(1.0 / test_mse) if dataset.bounded and test_mse > 0 else None
    identity = metrics.identity_mse(dataset.X_test, noisy)
    return trainer, Summary(test_mse, identity, fixed.pca_mse(trainer.pca_components), psnr)
