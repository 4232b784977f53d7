"""The messages between the server and a training worker process: one frozen dataclass per kind, nothing else.

The server sends ``Start`` (a run's config, a sweep's spec or a search's), ``Control`` (pause, resume, step, stop,
or touch: the run is watched) and ``Retune`` (live settings); the worker answers ``Ready`` once, then ``Progress``
with a ``RunUpdate``, ``SweepUpdate`` or ``TuneUpdate`` whenever its job changes. Each is plain data that pickles
across the pipe.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import RunConfig
from ..records import EpochRecord, SettingChange

if TYPE_CHECKING:
    import numpy as np

    from .limits import Limits


class Action(enum.Enum):
    PAUSE = "pause"
    RESUME = "resume"
    STEP = "step"
    STOP = "stop"
    TOUCH = "touch"  # someone is watching the run: it resets the worker's idle clock


# --- server → worker -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Start:
    job_id: int
    spec: Any  # a RunConfig (one run), a sweep's spec (``views.ViewSweep``) or a search's (``tune.TuneSpec``)
    table: bytes | None  # an uploaded CSV table's bytes, for a run on 'csv' data
    start_paused: bool = False
    initial: dict[str, np.ndarray] | None = None  # weights to start from (``training.arrays_of``), to continue a run
    limits: Limits | None = None  # the limits the job was admitted under, which it keeps to; None: the worker's


@dataclass(frozen=True)
class Control:
    job_id: int
    action: Action


@dataclass(frozen=True)
class Retune:
    """Live settings for a run from its next epoch on: its settings made by ``RunConfig.replace_live``."""

    job_id: int
    settings: RunConfig


# --- worker → server -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ready:
    """The worker has imported torch and trained its warm-up run."""


@dataclass(frozen=True)
class RunUpdate:
    """What a worker sends about its run: a snapshot without the records the server already has."""

    status: str
    reason: str
    new_records: tuple[EpochRecord, ...] = ()
    elapsed_seconds: float = 0.0
    events: tuple[SettingChange, ...] = ()
    weights_epoch: int = 0
    weights: dict[str, np.ndarray] | None = None  # the epoch's weights (``training.arrays_of``), when they changed
    stop_reason: str = ""  # why training stopped before its last epoch, for the model it leaves


@dataclass(frozen=True)
class SweepUpdate:
    """What a worker sends about a sweep: its members' new records, and its measured result once done."""

    status: str
    reason: str
    members: tuple[int, ...] = ()  # which member each new record belongs to
    new_records: tuple[EpochRecord, ...] = ()
    elapsed_seconds: float = 0.0
    result: Any = None  # ``spec.measure``'s result, once the sweep is done


@dataclass(frozen=True)
class TuneUpdate:
    """What a worker sends about a hyperparameter search: its study's trials so far (a ``tune.TuneResult``)."""

    status: str
    reason: str
    elapsed_seconds: float = 0.0
    result: Any = None


@dataclass(frozen=True)
class Progress:
    job_id: int
    update: RunUpdate | SweepUpdate | TuneUpdate
