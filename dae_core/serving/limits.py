"""Resource limits: how much one run may cost, how many may train at once, what a visitor may keep, and threads.

One frozen ``Limits`` holds every number, and ``LIMITS_TABLE`` says, for each, its environment variable and its
value in the two profiles: ``local`` (one person on their own machine, the default) and ``public`` (a shared demo
on a small server, ``DAE_PROFILE=public``). ``Limits.from_env`` reads the profile and then each variable. A job
stops itself by :meth:`Limits.must_stop`; :meth:`Limits.admit` refuses work past a size limit where it enters the
server (the pool's ``submit``), with a message that names the limit and its variable, and a link or the settings
form is told the same before anything starts (:meth:`Limits.refusal`, :meth:`Limits.check_config`). There too, a
visitor's run or sweep past their share of the training slots is refused (:meth:`Limits.check_runs_of_visitor`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

from ..config import DEFAULT_TORCH_THREADS, MAX_SWEEP_RUNS, ModelConfig, RunConfig
from ..errors import ConfigError


def _cpu_count() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Limits:
    idle_seconds: float = 300.0  # a run nobody has looked at for this long stops itself
    wall_seconds: float = 1800.0  # a run stops after training this long, pauses included
    max_parameters: int = 5_000_000  # ~80 MB with Adam's state: keeps one run on a shared server affordable
    max_concurrent_jobs: int = field(default_factory=_cpu_count)  # later runs wait, queued
    workers: int = field(default_factory=_cpu_count)  # training processes; the concurrent runs share them
    torch_threads: int = DEFAULT_TORCH_THREADS  # each training process's torch threads
    max_rows: int = 100_000  # rows of a generated dataset or an uploaded table
    max_features: int = 1_000  # columns of a dataset
    max_epochs: int = 10_000  # epochs of one run
    upload_mb: int = 50  # an uploaded table or model file
    max_queue: int = 200  # runs waiting for a free slot; past it a new run is refused until the queue shortens
    runs_per_session: int = 8  # runs and views' sweeps one visitor has training or waiting; past it one is refused
    max_sweep_members: int = MAX_SWEEP_RUNS  # models one sweep (or view) trains
    max_trials: int = 200  # trials one hyperparameter search runs
    workspace_runs: int = 50  # runs a visitor's workspace keeps; the oldest go first
    workspace_mb: int = 200  # bytes a visitor's workspace keeps (models and histories); the oldest go first
    store_mb: int = 2_000  # MB all workspaces together keep; past it whole workspaces go, the oldest untouched first
    retention_days: float = 30.0  # a workspace untouched this long is deleted
    sessions_per_minute: int = 600  # new browser sessions one network address may open a minute

    def __post_init__(self):
        problems = []
        for name in ("idle_seconds", "wall_seconds", "retention_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, (int, float)) and value > 0):
                problems.append(f"The '{name}' parameter of Limits must be a positive number. Got {value!r} instead.")
        for name in [f.name for f in fields(self) if f.type == "int"]:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"The '{name}' parameter of Limits must be an int >= 1. Got {value!r} instead.")
        if problems:
            raise ConfigError("\n".join(problems))

    @classmethod
    def from_env(cls, environ=None, **defaults) -> Limits:
        """The profile ``DAE_PROFILE`` names (``local`` unless set), over ``defaults``, then every limit's own
        variable (``LIMITS_TABLE``). A bad value raises a ``ConfigError`` that names the variable."""
        environ = os.environ if environ is None else environ
        profile = environ.get("DAE_PROFILE", "local").strip() or "local"
        if profile not in PROFILES:
            raise ConfigError(f"DAE_PROFILE must be one of {', '.join(PROFILES)}. Got {profile!r} instead.")
        values = defaults | PROFILES[profile]
        for name, (variable, _) in LIMITS_TABLE.items():
            text = environ.get(variable, "").strip()
            if not text:
                continue
            kind = int if name in _INTS else float
            try:
                values[name] = kind(text)
            except ValueError:
                what = "an int >= 1" if kind is int else "a positive number"
                raise ConfigError(f"{variable} must be {what}. Got {text!r} instead. Fix or unset it.") from None
        return cls(**values)

    # --- when a job must stop --------------------------------------------------------------------------
    def must_stop(self, stop_requested: bool, idle_seconds: float, running_seconds: float) -> str:
        """Why a job must stop now (asked to, nobody watching, or past its time), or "" when it may go on: the one
        rule of every job, queued or training, here or in a worker."""
        if stop_requested:
            return "stopped by the user"
        if idle_seconds > self.idle_seconds:
            return f"stopped: nobody looked at it for {self.idle_seconds:g} s"
        if running_seconds > self.wall_seconds:
            return f"stopped: it ran past the {self.wall_seconds:g} s limit"
        return ""

    # --- refusing work past the limits -----------------------------------------------------------------
    def admit(self, configs: list[RunConfig], n_features: int | None = None, n_rows: int | None = None) -> None:
        """Refuse work past a limit before it starts: a run (one config) or a sweep (its members), for data of
        ``n_features`` columns and ``n_rows`` rows when they are known. The one check of the sizes of a job, made
        where work enters the server (``WorkerPool.submit``)."""
        if len(configs) > self.max_sweep_members:
            raise ConfigError(
                f"This sweep trains {len(configs)} models; the limit here is {self.max_sweep_members} "
                f"({LIMITS_TABLE['max_sweep_members'][0]}). Give fewer values."
            )
        for config in configs:
            self.check_config(config, n_features, n_rows)

    def ceiling(self, name: str) -> int | None:
        """The largest value the limits allow for the RunConfig field ``name``; None when no limit applies."""
        limit = _LIMIT_OF_FIELD.get(name)
        return None if limit is None else getattr(self, limit)

    def refusal(self, name: str, value: float) -> str | None:
        """Why a setting's value is past a limit, naming it; None when it is within. ``name``: a RunConfig
        field (``n_samples``, ``n_features``, ``epochs``)."""
        ceiling = self.ceiling(name)
        if ceiling is None or value <= ceiling:
            return None
        return self.past(_LIMIT_OF_FIELD[name], value)

    def past(self, limit: str, value: float) -> str:
        """``value`` is past the limit ``limit``: the message that says so, and how to stay within it."""
        variable, (what, unit) = LIMITS_TABLE[limit][0], _WORDS[limit]
        return (
            f"{what} is limited to {getattr(self, limit):,} {unit} here ({variable}); {value:,} {unit} asked. "
            f"Ask for at most {getattr(self, limit):,}."
        )

    def check_config(self, config: RunConfig, n_features: int | None = None, n_rows: int | None = None) -> None:
        """Refuse ``config`` if any of its settings is past a limit; ``n_features`` and ``n_rows``: the loaded
        data's size (an uploaded table's), for the parameter budget and the size limits."""
        problems = []
        data = config.data
        if n_rows is not None:
            problems.append(self.refusal("n_samples", n_rows))
        elif data.dataset in ("synthetic", "moons", "circles", "spiral", "photos", "mnist", "fashion-mnist"):
            problems.append(self.refusal("n_samples", data.n_samples))
        if n_features is None and data.dataset == "synthetic":
            problems.append(self.refusal("n_features", data.n_features))
        elif n_features is None and data.dataset == "photos":
            problems.append(self.refusal("n_features", data.patch_size**2))
        elif n_features is not None:
            problems.append(self.refusal("n_features", n_features))
        problems.append(self.refusal("epochs", config.train.epochs))
        problems = [problem for problem in problems if problem]
        if problems:
            raise ConfigError(" ".join(problems))
        if n_features is not None:
            self.check_model(config.model, n_features)

    def check_model(self, model: ModelConfig, n_features: int) -> None:
        """Refuse the model ``model`` describes for ``n_features`` inputs if it is past the parameter limit."""
        from ..model import parameter_count  # imports torch: only when a run is about to train anyway

        self.check_parameters(parameter_count(n_features, model))

    def check_runs_of_visitor(self, active: int) -> None:
        """Refuse one more run or sweep of a visitor who has ``active`` training or waiting already, once that is
        ``runs_per_session``: one visitor cannot take every training slot while other visitors' runs wait."""
        if active >= self.runs_per_session:
            runs = "1 run" if active == 1 else f"{active:,} runs"
            raise ConfigError(
                f"You have {runs} training or waiting, the most one visitor may have here "
                f"({LIMITS_TABLE['runs_per_session'][0]}). Stop one, or wait for one to end."
            )

    def check_parameters(self, count: int) -> None:
        """Refuse a model with more parameters than a run may have, saying how to make it smaller."""
        if count > self.max_parameters:
            raise ConfigError(
                f"This model has {count:,} parameters; the limit here is {self.max_parameters:,} "
                f"({LIMITS_TABLE['max_parameters'][0]}). Use a smaller code size or fewer, narrower hidden layers."
            )

    def check_upload(self, size_bytes: int, what: str = "file") -> None:
        """Refuse an upload larger than ``upload_mb``."""
        if size_bytes > self.upload_mb * 2**20:
            raise ConfigError(
                f"This {what} is {size_bytes / 2**20:,.1f} MB; uploads are limited to {self.upload_mb} MB here "
                f"({LIMITS_TABLE['upload_mb'][0]}). Upload a smaller one."
            )

    def check_table(self, columns: int, rows: int, labelled: bool | None = None) -> None:
        """Refuse a table of ``columns`` and ``rows`` (``dae_core.data.csv_size``, counted before it is parsed) past
        the column or row limit. ``labelled``: whether one column is the label rather than a feature; None when that
        is not chosen yet, and one column more is allowed for it."""
        problems = []
        features = columns - (0 if labelled is False else 1)
        if features > self.max_features:
            allowed = f"{self.max_features:,}" + ("" if labelled is False else " feature columns and a label column")
            problems.append(
                f"This table has {columns:,} columns; at most {allowed} are allowed here "
                f"({LIMITS_TABLE['max_features'][0]}). Keep fewer columns and upload it again."
            )
        if rows > self.max_rows:
            problems.append(
                f"This table has {rows:,} rows; at most {self.max_rows:,} are allowed here "
                f"({LIMITS_TABLE['max_rows'][0]}). Upload a sample of its rows."
            )
        if problems:
            raise ConfigError(" ".join(problems))


# name: (environment variable, what it limits). The README's table of limits is this one, with both profiles.
LIMITS_TABLE = {
    "max_rows": ("DAE_MAX_ROWS", "rows of a dataset (generated or uploaded)"),
    "max_features": ("DAE_MAX_FEATURES", "columns of a dataset"),
    "max_parameters": ("DAE_MAX_PARAMETERS", "parameters of one model (a model file too)"),
    "max_epochs": ("DAE_MAX_EPOCHS", "epochs of one run"),
    "wall_seconds": ("DAE_WALL_SECONDS", "seconds one run trains, pauses included"),
    "idle_seconds": ("DAE_IDLE_SECONDS", "seconds a run trains once its page has closed"),
    "upload_mb": ("DAE_UPLOAD_MB", "MB of an uploaded table or model file"),
    "max_concurrent_jobs": ("DAE_MAX_CONCURRENT_JOBS", "runs training at once (the rest wait in line)"),
    "workers": ("DAE_WORKERS", "training processes those runs share (about 45 MB each, PyTorch shared)"),
    "max_queue": ("DAE_MAX_QUEUE", "runs waiting in line"),
    "runs_per_session": ("DAE_RUNS_PER_SESSION", "runs one visitor has training or waiting (a view's sweep is one)"),
    "max_sweep_members": ("DAE_MAX_SWEEP_MEMBERS", "models one sweep trains"),
    "max_trials": ("DAE_MAX_TRIALS", "trials one hyperparameter search runs (Tune page and `tune`)"),
    "workspace_runs": ("DAE_WORKSPACE_RUNS", "runs a visitor's workspace keeps"),
    "workspace_mb": ("DAE_WORKSPACE_MB", "MB a visitor's workspace keeps"),
    "store_mb": ("DAE_STORE_MB", "MB all workspaces together keep (the oldest untouched go first)"),
    "retention_days": ("DAE_RETENTION_DAYS", "days an untouched workspace is kept"),
    "sessions_per_minute": ("DAE_SESSIONS_PER_MINUTE", "new sessions one address opens a minute (see below)"),
}
_LIMIT_OF_FIELD = {"n_samples": "max_rows", "n_features": "max_features", "epochs": "max_epochs"}
_INTS = {f.name for f in fields(Limits) if f.type == "int"}
_WORDS = {  # how a refusal names the limit and its unit
    "max_rows": ("The number of samples", "rows"),
    "max_features": ("The number of features", "columns"),
    "max_epochs": ("The number of epochs", "epochs"),
}

PROFILES = {
    "local": {"idle_seconds": 120.0, "wall_seconds": 900.0, "max_concurrent_jobs": 4 * _cpu_count()},
    "public": {
        "idle_seconds": 60.0,
        "wall_seconds": 300.0,
        "max_concurrent_jobs": 2 * _cpu_count(),
        "max_parameters": 1_000_000,
        "max_rows": 20_000,
        "max_features": 256,
        "max_epochs": 2_000,
        "upload_mb": 10,
        "max_queue": 50,
        "runs_per_session": 2,
        "max_sweep_members": 16,
        "max_trials": 20,
        "workspace_runs": 20,
        "workspace_mb": 50,
        "store_mb": 500,
        "retention_days": 7.0,
        "sessions_per_minute": 60,
    },
}
