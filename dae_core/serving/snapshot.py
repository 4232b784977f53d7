"""What a job looks like from outside: its status names and the snapshot a page draws one frame from.

Every job (a run or a sweep, trained here or in a worker process) answers ``snapshot()`` with a ``Snapshot``: a
``JobSnapshot`` for one run, a ``SweepSnapshot`` for a sweep. Snapshots are plain frozen data, safe to keep after the
job has moved on, and importing this module costs no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import RunConfig
from ..records import EpochRecord, RunRecord, SettingChange, changes_in, kept_record, settings_after

QUEUED, RUNNING, PAUSED, DONE, STOPPED, FAILED = "queued", "running", "paused", "done", "stopped", "failed"
INTERRUPTED = "interrupted"  # cut off from outside: its worker died, or the server stopped; kept with its epochs
FINAL_STATES = (DONE, STOPPED, FAILED, INTERRUPTED)


@dataclass(frozen=True)
class Snapshot:
    """What every job reports: where it is (``status``), why (``reason``) and how long it has trained."""

    status: str  # one of QUEUED, RUNNING, PAUSED, DONE, STOPPED, FAILED, INTERRUPTED
    reason: str
    elapsed_seconds: float  # time spent training: queued and paused time do not count

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATES


@dataclass(frozen=True)
class JobSnapshot(Snapshot):
    """One run's progress: its records, its settings and when they changed."""

    history: tuple[EpochRecord, ...] = ()
    config: RunConfig = field(default_factory=RunConfig)  # the settings the run started with
    settings: RunConfig = field(default_factory=RunConfig)  # the settings now: with the latest live changes
    events: tuple[SettingChange, ...] = ()
    weights_epoch: int = 0  # the epoch whose weights the run holds now (the best one after early stopping)

    @classmethod
    def of_record(cls, record: RunRecord, weights_epoch: int | None = None) -> JobSnapshot:
        """The snapshot a kept run ended with, read back from its record."""
        config = RunConfig.from_dict(record.config)
        history = tuple(record.history)
        settings, events = settings_after(config, history), changes_in(history)
        kept = len(history) if weights_epoch is None else weights_epoch
        return cls(record.status, record.reason, record.seconds, history, config, settings, events, kept)

    @property
    def epoch(self) -> int:
        return len(self.history)

    @property
    def total_epochs(self) -> int:
        return self.config.train.epochs

    @property
    def kept_record(self) -> EpochRecord | None:
        """The record of the epoch whose weights the run holds; None before the first epoch."""
        return kept_record(self.history, self.weights_epoch)

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the pace of the last ten epochs; None unless the run is training."""
        if self.status != RUNNING or not self.history:
            return None
        recent = self.history[-10:]
        return sum(r.seconds for r in recent) / len(recent) * (self.total_epochs - self.epoch)


@dataclass(frozen=True)
class SweepSnapshot(Snapshot):
    """A sweep's progress: every member's records so far, and the measured result once it is done."""

    histories: tuple[tuple[EpochRecord, ...], ...] = ()  # one per member, in the order of the sweep's configs
    total_epochs: int = 0  # every member's epochs together
    result: Any = None  # what ``spec.measure`` returned, once the sweep is done

    @property
    def epoch(self) -> int:
        """Epochs done, all members together."""
        return sum(len(history) for history in self.histories)


@dataclass(frozen=True)
class TuneSnapshot(Snapshot):
    """A hyperparameter search's progress: its study's trials so far (``tune.TuneResult``), and how many it runs."""

    result: Any = None  # a ``tune.TuneResult``, once the study is open
    total_trials: int = 0

    @property
    def epoch(self) -> int:
        """Trials that have ended (a search's unit of progress)."""
        if self.result is None:
            return 0
        return sum(row.state != "running" for row in self.result.trials)
