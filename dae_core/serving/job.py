"""TrainingJob: one run in a background thread, with controls, live settings and thread-safe snapshots.

A page (or a test) never trains itself; it starts a job and polls ``snapshot()``. Reruns, widget changes and
page switches therefore cannot kill or restart training. The job enforces every ``Limits``: at most
``max_concurrent_jobs`` train at once (the rest wait in ``queued``), a model past ``max_parameters`` is
refused, and a run that nobody has looked at for ``idle_seconds``, or that has run for ``wall_seconds``, stops
itself. The epochs come from ``Trainer.epochs()``; the job only gates each one (pause, step, stop, limits)
and hands it the live settings.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import RunConfig
from ..errors import DAEError
from ..records import EpochRecord, SettingChange, kept_record
from .limits import Limits

if TYPE_CHECKING:  # the thread imports torch when it starts, so importing this module stays cheap
    from ..data import Dataset
    from ..training import TrainedModel, Trainer

QUEUED, RUNNING, PAUSED, DONE, STOPPED, FAILED = "queued", "running", "paused", "done", "stopped", "failed"
FINAL_STATES = (DONE, STOPPED, FAILED)


class JobSlots:
    """At most ``size`` jobs train at once; the others wait on a condition until a slot frees or they are stopped."""

    def __init__(self, size: int):
        self._free = size
        self._changed = threading.Condition()

    def acquire(self, give_up: Callable[[], bool]) -> bool:
        """Take a slot, waiting as long as needed; False, without a slot, once ``give_up()`` is true."""
        with self._changed:
            self._changed.wait_for(lambda: self._free > 0 or give_up())
            if give_up():
                return False
            self._free -= 1
            return True

    def release(self) -> None:
        with self._changed:
            self._free += 1
            self._changed.notify_all()

    def wake(self) -> None:
        """Make the waiting jobs look at ``give_up`` again (one of them was stopped)."""
        with self._changed:
            self._changed.notify_all()


def stop_reason(limits: Limits, stop_requested: bool, idle_seconds: float, running_seconds: float) -> str:
    """Why a job must stop now (asked to, nobody watching, or past its time), or "" when it may go on."""
    if stop_requested:
        return "stopped by the user"
    if idle_seconds > limits.idle_seconds:
        return f"stopped: nobody looked at it for {limits.idle_seconds:g} s"
    if running_seconds > limits.wall_seconds:
        return f"stopped: it ran past the {limits.wall_seconds:g} s limit"
    return ""


@functools.cache
def default_slots() -> JobSlots:
    """The process's slots, sized by ``Limits.from_env()`` (``DAE_MAX_CONCURRENT_JOBS``) on first use."""
    return JobSlots(Limits.from_env().max_concurrent_jobs)


@dataclass(frozen=True)
class JobSnapshot:
    """What a page needs to draw one frame: plain data, safe to keep after the job moves on."""

    status: str
    reason: str
    history: tuple[EpochRecord, ...]
    elapsed_seconds: float  # time spent training: queued and paused time do not count
    config: RunConfig  # the settings the run started with
    settings: RunConfig  # the settings now: the config with the latest live changes
    events: tuple[SettingChange, ...] = field(default_factory=tuple)
    weights_epoch: int = 0  # the epoch whose weights the run holds now (the best one after early stopping)

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
    def finished(self) -> bool:
        return self.status in FINAL_STATES

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the pace of the last ten epochs; None unless the run is training."""
        if self.status != RUNNING or not self.history:
            return None
        recent = self.history[-10:]
        return sum(r.seconds for r in recent) / len(recent) * (self.total_epochs - self.epoch)


class _Polled:
    """What pages and workers read of a job: its status, snapshots and waiting for a change. A job subclass holds
    ``_lock``, its condition ``_changed``, ``_status``, ``_last_read``, ``_clock`` and ``_snapshot_locked()``."""

    @property
    def status(self) -> str:
        with self._lock:
            return self._status

    def snapshot(self):
        """A consistent copy of the progress so far. Reading counts as someone watching."""
        with self._lock:
            self._last_read = self._clock()
            return self._snapshot_locked()

    def wait_for(self, predicate: Callable, timeout: float):
        """Wait until ``predicate(snapshot)`` holds or ``timeout`` seconds pass; the latest snapshot either way.

        Woken by every change of the job, so it never sleeps past the moment the predicate becomes true.
        """
        with self._lock:
            self._changed.wait_for(lambda: predicate(self._snapshot_locked()), timeout)
            return self._snapshot_locked()


class TrainingJob(_Polled):
    """Train ``config`` in a daemon thread. Controls: start, pause, resume, step, stop, update.

    All public methods are safe to call from any thread. Status is one of queued, running, paused, done, stopped
    or failed, and ``reason`` says why it is there. ``on_end(snapshot)`` is called once, from the job's thread,
    when the run has ended (not when it is refused before starting). ``clock`` is for tests.
    """

    def __init__(
        self,
        config: RunConfig,
        dataset: Dataset | None = None,
        *,
        limits: Limits | None = None,
        slots: JobSlots | None = None,
        start_paused: bool = False,
        on_end: Callable[[JobSnapshot], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.config = config
        self.limits = limits or Limits()
        if dataset is not None:  # refused here, in the caller's thread, so whoever started it is told
            self.limits.check_model(config.model, dataset.n_features)
        self._dataset = dataset
        self._slots = slots or default_slots()
        self._on_end = on_end
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # notified on every change of status, history or request
        self._status, self._reason = QUEUED, "waiting for a free training slot"
        self._history: list[EpochRecord] = []
        self._events: list[SettingChange] = []
        self._settings = config  # requested settings: the config with the live changes asked for so far
        self._pause_requested = start_paused
        self._stop_requested = False
        self._steps_allowed = 0  # epochs to run while paused (the Step button)
        self._trainer: Trainer | None = None
        self._state_epoch, self._state = -1, None  # latest weights copied at an epoch boundary
        self._started_at: float | None = None
        self._training_seconds = 0.0  # time in RUNNING before the current stretch
        self._running_since: float | None = None
        self._last_read = clock()
        self._thread = threading.Thread(target=self._run, name="dae-training", daemon=True)

    # --- controls ------------------------------------------------------------------------------
    def start(self) -> TrainingJob:
        self._thread.start()
        return self

    def pause(self) -> None:
        with self._lock:
            if self._status not in FINAL_STATES:
                self._pause_requested = True
                self._changed.notify_all()

    def resume(self) -> None:
        with self._lock:
            self._pause_requested = False
            self._steps_allowed = 0
            self._changed.notify_all()

    def step(self) -> None:
        """Run exactly one more epoch, then hold (pauses the job if it was running)."""
        with self._lock:
            self._pause_requested = True
            self._steps_allowed += 1
            self._changed.notify_all()

    def stop(self) -> None:
        with self._lock:
            self._stop_requested = True
            self._changed.notify_all()
        self._slots.wake()  # a queued job gives up its place

    def update(self, **changes: float) -> None:
        """Change live settings (``config.LIVE_SETTINGS``) from the next epoch on.

        Validated here, once, so a bad value raises ``ConfigError`` to whoever set it.
        """
        with self._lock:
            self._settings = self._settings.replace_live(**changes)
            self._changed.notify_all()

    def wait_for_epochs(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` epochs are done, the run has ended, or ``timeout`` seconds have passed;
        True if the epochs are done. A page that has just started a run uses it to open on a chart with points."""
        with self._lock:
            self._changed.wait_for(lambda: len(self._history) >= count or self._status in FINAL_STATES, timeout)
            return len(self._history) >= count

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # --- reading -------------------------------------------------------------------------------
    def _snapshot_locked(self) -> JobSnapshot:
        running = self._clock() - self._running_since if self._running_since is not None else 0.0
        return JobSnapshot(
            status=self._status,
            reason=self._reason,
            history=tuple(self._history),
            elapsed_seconds=self._training_seconds + running,
            config=self.config,
            settings=self._settings,
            events=tuple(self._events),
            weights_epoch=max(self._state_epoch, 0),
        )

    def trained_model(self) -> TrainedModel | None:
        """A TrainedModel with the latest epoch-boundary weights, independent of the live one; None before them."""
        with self._lock:
            self._last_read = self._clock()
            trainer, state, weights_epoch, history = self._trainer, self._state, self._state_epoch, list(self._history)
        if trainer is None or state is None:
            return None
        return trainer.result(weights=state, history=history, weights_epoch=weights_epoch)

    def published_weights(self) -> tuple[int, dict | None]:
        """(epoch, CPU state dict) of the latest epoch boundary, for a publisher; reading it is not watching."""
        with self._lock:
            return self._state_epoch, self._state

    @property
    def stop_reason(self) -> str:
        """Why training stopped before its last epoch (a rule or a divergence); "" otherwise or before it ends."""
        with self._lock:
            return self._trainer.stop_reason if self._trainer else ""

    @property
    def dataset(self) -> Dataset | None:
        with self._lock:
            return self._trainer.dataset if self._trainer else self._dataset

    # --- the thread ----------------------------------------------------------------------------
    def _set_locked(self, status: str, reason: str) -> None:
        """Change the status (holding the lock), counting training time only while running."""
        now = self._clock()
        if self._running_since is not None and status != RUNNING:
            self._training_seconds += now - self._running_since
            self._running_since = None
        elif self._running_since is None and status == RUNNING:
            self._running_since = now
        self._status, self._reason = status, reason
        self._changed.notify_all()

    def _end(self, status: str, reason: str) -> None:
        with self._lock:
            self._set_locked(status, reason)
            snapshot = self._snapshot_locked()
        if self._on_end is not None:
            self._on_end(snapshot)

    def _run(self) -> None:
        if not self._slots.acquire(give_up=lambda: self._stop_requested):
            with self._lock:
                self._set_locked(STOPPED, "stopped before it started")
            return
        try:
            self._train()
        except DAEError as exc:
            self._end(FAILED, str(exc))
        except Exception as exc:  # a job thread must report, never die silently
            self._end(FAILED, f"{type(exc).__name__}: {exc}")
        finally:
            self._slots.release()

    def _train(self) -> None:
        from ..training import Trainer, use_torch_threads

        use_torch_threads(self.limits.torch_threads)
        with self._lock:
            self._started_at = self._clock()
            self._set_locked(RUNNING, "loading data")
        trainer = Trainer(self.config, self._dataset)
        if self._dataset is None:
            self.limits.check_model(self.config.model, trainer.dataset.n_features)
        with self._lock:
            self._trainer = trainer
        self._publish_weights(trainer)
        for record in trainer.epochs(gate=lambda: self._wait_for_go(trainer)):
            with self._lock:
                self._history.append(record)
                self._changed.notify_all()
            self._publish_weights(trainer)
        self._publish_weights(trainer)  # a divergence restores earlier weights
        if trainer.outcome is not None:  # else the gate said stop, and the status says why
            self._end(FAILED if trainer.outcome.diverged else DONE, trainer.outcome.reason)

    def _limit_reached_locked(self, now: float) -> str:
        return stop_reason(self.limits, self._stop_requested, now - self._last_read, now - self._started_at)

    def _wait_for_go(self, trainer: Trainer) -> bool:
        """Before each epoch: hold while paused, then hand the trainer the latest live settings.

        False when the run must end (a stop, or the idle or wall-time limit), with the status saying why.
        """
        with self._lock:
            while True:
                now = self._clock()
                reason = self._limit_reached_locked(now)
                if reason:
                    break
                if not self._pause_requested:
                    self._set_locked(RUNNING, "training")
                    break
                if self._steps_allowed > 0:
                    self._steps_allowed -= 1
                    self._set_locked(RUNNING, "one step")
                    break
                if self._status != PAUSED:
                    self._set_locked(PAUSED, "paused by the user")
                # Sleep until a control changes, or until the nearer limit would be reached.
                deadline = min(self._last_read + self.limits.idle_seconds, self._started_at + self.limits.wall_seconds)
                self._changed.wait(timeout=max(deadline - now, 0.0) + 0.01)
            settings = self._settings
        if reason:
            self._end(STOPPED, reason)
            return False
        if settings != trainer.settings:
            changes = trainer.update(settings)
            with self._lock:
                self._events += [SettingChange(trainer.epoch, name, *values) for name, values in changes.items()]
        return True

    def _publish_weights(self, trainer: Trainer) -> None:
        state = {k: v.cpu() for k, v in trainer.state_copy().items()}
        with self._lock:
            self._state_epoch, self._state = trainer.weights_epoch, state


@dataclass(frozen=True)
class SweepSnapshot:
    """A sweep job's progress: every member's records so far, and the measured result once it is done."""

    status: str
    reason: str
    histories: tuple[tuple[EpochRecord, ...], ...]  # one per member, in the order of the sweep's configs
    elapsed_seconds: float
    total_epochs: int  # every member's epochs together
    result: Any = None  # what ``spec.measure`` returned, once the sweep is done

    @property
    def epoch(self) -> int:
        """Epochs done, all members together."""
        return sum(len(history) for history in self.histories)

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATES


class SweepJob(_Polled):
    """Train a sweep (``spec.configs()``) in a daemon thread, then measure it (``spec.measure``); stop, poll.

    The limits of a ``TrainingJob`` hold: the run stops when asked, when nobody has read it for ``idle_seconds``,
    or after ``wall_seconds``. ``spec`` is plain data (``views.ViewSweep``), so a worker process can receive it.
    """

    def __init__(self, spec: Any, dataset: Dataset | None = None, *, limits: Limits | None = None):
        self.spec, self.limits = spec, limits or Limits()
        self.configs = spec.configs()
        if dataset is not None:
            self.limits.check_model(self.configs[0].model, dataset.n_features)
        self._dataset = dataset
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._status, self._reason = QUEUED, "starting"
        self._histories: list[list[EpochRecord]] = [[] for _ in self.configs]
        self._result = None
        self._stop_requested = False
        self._clock = time.monotonic
        self._started = self._last_read = self._clock()
        self._seconds = 0.0
        self._thread = threading.Thread(target=self._run, name="dae-sweep", daemon=True)

    def start(self) -> SweepJob:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._stop_requested = True
            self._changed.notify_all()

    def _snapshot_locked(self) -> SweepSnapshot:
        running = self._clock() - self._started if self._status == RUNNING else 0.0
        return SweepSnapshot(
            status=self._status,
            reason=self._reason,
            histories=tuple(tuple(history) for history in self._histories),
            elapsed_seconds=self._seconds or running,
            total_epochs=sum(config.train.epochs for config in self.configs),
            result=self._result,
        )

    def _set(self, status: str, reason: str, result: Any = None) -> None:
        with self._lock:
            if status != RUNNING:
                self._seconds = self._clock() - self._started
            self._status, self._reason, self._result = status, reason, result
            self._changed.notify_all()

    def _limit_reached(self) -> str:
        now = self._clock()
        with self._lock:
            return stop_reason(self.limits, self._stop_requested, now - self._last_read, now - self._started)

    def _run(self) -> None:
        try:
            self._sweep()
        except DAEError as exc:
            self._set(FAILED, str(exc))
        except Exception as exc:  # a job thread must report, never die silently
            self._set(FAILED, f"{type(exc).__name__}: {exc}")

    def _sweep(self) -> None:
        from ..sweep import Sweep
        from ..training import use_torch_threads

        use_torch_threads(self.limits.torch_threads)
        self._started = self._clock()
        self._set(RUNNING, "loading data")
        sweep = Sweep(self.configs, self._dataset)
        dataset = sweep.dataset(self.configs[0])
        if self._dataset is None:  # else checked when the job was made, in the caller's thread
            self.limits.check_model(self.configs[0].model, dataset.n_features)
        self._set(RUNNING, "training")
        for index, record in sweep.epochs():
            with self._lock:
                self._histories[index].append(record)
                self._changed.notify_all()
            if reason := self._limit_reached():
                self._set(STOPPED, reason)
                return
        self._set(RUNNING, "measuring")
        result = self.spec.measure(sweep.runs, dataset, sweep.seconds)
        self._set(DONE, f"trained {len(self.configs)} models in {sweep.seconds:.1f} s", result)
