"""Jobs: training in a background thread with controls, limits and thread-safe snapshots, behind one interface.

A page (or a test) never trains itself; it starts a job and polls ``snapshot()``. Reruns, widget changes and page
switches therefore cannot kill or restart training. ``PolledJob`` is what every job answers, here or in a worker
process (``dae_core.serving.remote``): ``status``, ``snapshot()``, ``wait_for``, ``wait_for_epochs``, ``join`` and
``stop``. ``TrainingJob`` trains one run, ``SweepJob`` a sweep, ``TuneJob`` a hyperparameter search. Each stops
itself by the one rule of ``Limits.must_stop``: asked to, nobody watching for ``idle_seconds``, or past
``wall_seconds``. How many jobs train
at once, and what each may cost, is decided where work enters the server (``WorkerPool.submit``), not here.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..config import RunConfig
from ..errors import DAEError, out_of_memory
from ..records import EpochRecord, SettingChange
from .limits import Limits
from .snapshot import (
    DONE,
    FAILED,
    FINAL_STATES,
    PAUSED,
    QUEUED,
    RUNNING,
    STOPPED,
    JobSnapshot,
    Snapshot,
    SweepSnapshot,
    TuneSnapshot,
)

if TYPE_CHECKING:  # the thread imports torch when it starts, so importing this module stays cheap
    from ..data import Dataset
    from ..training import TrainedModel, Trainer


def _reporting(work: Callable[[], None], end: Callable[[str, str], None]) -> None:
    """A job thread's body: ``work()``, and any failure ended as FAILED with its message (``end``), never a thread
    that dies silently."""
    memory = failure = None
    try:
        work()
    except DAEError as exc:
        failure = str(exc)
    except Exception as exc:
        memory = out_of_memory(exc)
        failure = str(memory) if memory is not None else f"{type(exc).__name__}: {exc}"
    if memory is not None and "torch" in sys.modules:  # out of the except block, the failed step's tensors are
        sys.modules["torch"].cuda.empty_cache()  # freed: their cached blocks go back to the card, for other workers
    if failure is not None:
        end(FAILED, failure)


class PolledJob:
    """What pages, the pool and tests read of any job: its status, snapshots, and waiting for a change.

    A subclass draws its snapshot under ``_lock`` (``_snapshot_locked``) and notifies ``_changed`` on every change,
    so a wait wakes at once. Reading a snapshot counts as someone watching (the idle rule).
    """

    def __init__(self, limits: Limits | None, clock: Callable[[], float] = time.monotonic):
        self.limits = limits or Limits()
        self._clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # notified on every change of status, history or request
        self._last_read = clock()

    def _snapshot_locked(self) -> Snapshot:
        raise NotImplementedError

    def _status_locked(self) -> str:
        return self._status

    @property
    def status(self) -> str:
        with self._lock:
            return self._status_locked()

    def snapshot(self):
        """A consistent copy of the progress so far. Reading counts as someone watching."""
        with self._lock:
            self._last_read = self._clock()
            return self._snapshot_locked()

    def seconds_unread(self) -> float:
        """How long since anyone read a snapshot (the idle rule's measure)."""
        with self._lock:
            return self._clock() - self._last_read

    def wait_for(self, predicate: Callable, timeout: float | None):
        """Wait until ``predicate(snapshot)`` holds or ``timeout`` seconds pass; the latest snapshot either way.

        Woken by every change of the job, so it never sleeps past the moment the predicate becomes true.
        """
        with self._lock:
            self._changed.wait_for(lambda: predicate(self._snapshot_locked()), timeout)
            return self._snapshot_locked()

    def wait_for_epochs(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` epochs are done, the job has ended, or ``timeout`` seconds have passed; True if the
        epochs are done. A page that has just started a run uses it to open on a chart with points."""
        return self.wait_for(lambda s: s.epoch >= count or s.finished, timeout).epoch >= count

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the job to end; True if it has."""
        return self.wait_for(lambda s: s.finished, timeout).finished

    def stop(self) -> None:
        raise NotImplementedError


class TrainingJob(PolledJob):
    """Train ``config`` in a daemon thread. Controls: start, pause, resume, step, stop, update.

    All public methods are safe to call from any thread. Status is one of queued, running, paused, done, stopped
    or failed, and ``reason`` says why it is there. ``on_end(snapshot)`` is called once, from the job's thread,
    when the run has ended. ``clock`` is for tests.
    """

    def __init__(
        self,
        config: RunConfig,
        dataset: Dataset | None = None,
        *,
        limits: Limits | None = None,
        start_paused: bool = False,
        on_end: Callable[[JobSnapshot], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        initial: dict | None = None,
    ):
        """``initial``: weights to start from (``training.arrays_of`` of a state dict), e.g. to continue a run."""
        super().__init__(limits, clock)
        self.config = config
        self._initial = initial
        self._dataset = dataset
        self._on_end = on_end
        self._status, self._reason = QUEUED, "starting"
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
        self._thread = threading.Thread(
            target=_reporting, args=(self._train, self._end), name="dae-training", daemon=True
        )

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

    def update(self, settings: RunConfig) -> None:
        """Train under ``settings`` from the next epoch on: the run's settings with some live ones changed, made
        (and so validated, once) by ``RunConfig.replace_live``."""
        with self._lock:
            self._settings = settings
            self._changed.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end (the run has then also called ``on_end``); True if it did."""
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

    def _train(self) -> None:
        from ..training import Trainer, use_torch_threads

        use_torch_threads(self.limits.torch_threads)
        with self._lock:
            self._started_at = self._clock()
            self._set_locked(RUNNING, "loading data")
        from ..training import tensors_of

        initial = tensors_of(self._initial) if self._initial is not None else None
        trainer = Trainer(self.config, self._dataset, initial=initial)
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
        return self.limits.must_stop(self._stop_requested, now - self._last_read, now - self._started_at)

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


class SpecJob(PolledJob):
    """A job that works through a plain-data ``spec`` in a daemon thread (``_work``), with start, stop and the limits
    of every job: it stops when asked, when nobody has read it for ``idle_seconds``, or after ``wall_seconds``.
    ``spec`` is plain data, so a worker process can receive it; ``spec.configs()`` names the runs it admits."""

    thread_name = "dae-job"

    def __init__(self, spec: Any, dataset: Dataset | None = None, *, limits: Limits | None = None):
        super().__init__(limits)
        self.spec = spec
        self.configs = spec.configs()
        self._dataset = dataset
        self._status, self._reason = QUEUED, "starting"
        self._result = None
        self._stop_requested = False
        self._started = self._clock()
        self._seconds = 0.0
        self._thread = threading.Thread(
            target=_reporting, args=(self._work, self._set), name=self.thread_name, daemon=True
        )

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._stop_requested = True
            self._changed.notify_all()

    def _set(self, status: str, reason: str, result: Any = None) -> None:
        with self._lock:
            if status != RUNNING:
                self._seconds = self._clock() - self._started
            self._status, self._reason = status, reason
            if result is not None:
                self._result = result
            self._changed.notify_all()

    def _limit_reached(self) -> str:
        now = self._clock()
        with self._lock:
            return self.limits.must_stop(self._stop_requested, now - self._last_read, now - self._started)

    def _work(self) -> None:
        raise NotImplementedError


class SweepJob(SpecJob):
    """Train a sweep (``spec.configs()``, e.g. ``views.ViewSweep``) in a daemon thread, then measure it
    (``spec.measure``); stop, poll."""

    thread_name = "dae-sweep"

    def __init__(self, spec: Any, dataset: Dataset | None = None, *, limits: Limits | None = None):
        super().__init__(spec, dataset, limits=limits)
        self._histories: list[list[EpochRecord]] = [[] for _ in self.configs]

    def _snapshot_locked(self) -> SweepSnapshot:
        running = self._clock() - self._started if self._status == RUNNING else 0.0
        return SweepSnapshot(
            status=self._status,
            reason=self._reason,
            elapsed_seconds=self._seconds or running,
            histories=tuple(tuple(history) for history in self._histories),
            total_epochs=sum(config.train.epochs for config in self.configs),
            result=self._result,
        )

    def _work(self) -> None:
        from ..sweep import Sweep
        from ..training import use_torch_threads

        use_torch_threads(self.limits.torch_threads)
        self._started = self._clock()
        self._set(RUNNING, "loading data")
        sweep = Sweep(self.configs, self._dataset)
        dataset = sweep.dataset(self.configs[0])
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


class TuneJob(SpecJob):
    """Run a hyperparameter search (``tune.TuneSpec``) in a daemon thread: its trials one after another, the study
    read back after each and every few epochs; stop, poll. The limits of every job hold for the whole search (asked
    to stop, nobody watching, past the wall time), and each trial's model must fit the parameter limit, else that
    trial fails saying so and the search goes on."""

    thread_name = "dae-tune"

    def _snapshot_locked(self) -> TuneSnapshot:
        running = self._clock() - self._started if self._status == RUNNING else 0.0
        return TuneSnapshot(self._status, self._reason, self._seconds or running, self._result, self.spec.trials)

    def _take(self, result: Any) -> None:
        with self._lock:
            self._result = result
            self._changed.notify_all()

    def _work(self) -> None:
        from ..data import load_dataset
        from ..training import use_torch_threads
        from ..tune import COMPLETE, run_study
        from ..tune import FAILED as TRIAL_FAILED

        use_torch_threads(self.limits.torch_threads)
        self._started = self._clock()
        self._set(RUNNING, "loading data")
        dataset = self._dataset if self._dataset is not None else load_dataset(self.spec.base.data)
        self._set(RUNNING, "searching")
        check = lambda config, data: self.limits.check_config(config, data.n_features)  # noqa: E731
        result = run_study(self.spec, dataset, on_change=self._take, must_stop=self._limit_reached, check=check,
                           live=True)  # fmt: skip
        stopped = self._limit_reached()
        counts = f"{result.count(COMPLETE)} complete, {result.n_pruned} pruned, {result.count(TRIAL_FAILED)} failed"
        if stopped:
            self._set(STOPPED, f"{stopped} ({counts})")
        elif result.best is None:
            self._set(FAILED, f"no trial finished ({counts})")
        else:
            self._set(DONE, f"{len(result.trials)} trials in {result.seconds:.0f} s: {counts}")


class KeptJob(PolledJob):
    """A run that ended earlier, kept in a workspace, with the interface of a job that has just ended: its snapshot
    and its model. A reloaded page shows it as it showed the run when it ended, so every page names the same run."""

    def __init__(self, snapshot: JobSnapshot, trained: TrainedModel | None, dataset: Callable[[], Dataset | None]):
        super().__init__(None)
        self.config = snapshot.config
        self._snapshot, self._trained, self._dataset = snapshot, trained, dataset

    def _status_locked(self) -> str:
        return self._snapshot.status

    def _snapshot_locked(self) -> JobSnapshot:
        return self._snapshot

    def trained_model(self) -> TrainedModel | None:
        return self._trained

    @property
    def dataset(self) -> Dataset | None:
        return self._dataset()

    def stop(self) -> None:
        """It has ended already."""

    pause = resume = step = stop
