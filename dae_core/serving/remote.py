"""Jobs trained by a worker process, seen from the server: ``RemoteJob`` (one run), ``RemoteSweep`` (a sweep) and
``RemoteTune`` (a hyperparameter search).

Each is a ``PolledJob`` with the controls of its local twin (``TrainingJob``, ``SweepJob``, ``TuneJob``). Reads are
answered from a local mirror that its worker keeps current (``Progress`` messages), and controls travel the other
way. What the pool needs of a job, and nothing else, is the public part of ``RemoteWork``: its configs and data size
(to admit it), ``assign``, ``apply``, ``end_here``, ``queue_changed``, ``seconds_left``, ``has_page``, ``watched``,
``touch``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..config import RunConfig
from ..records import EpochRecord
from .job import PolledJob
from .limits import Limits
from .messages import Action, Control, Retune, RunUpdate, Start, SweepUpdate, TuneUpdate
from .pool import WARMING_UP, WorkerPool, queue_text
from .snapshot import FINAL_STATES, QUEUED, RUNNING, STOPPED, JobSnapshot, SweepSnapshot, TuneSnapshot
from .worker import TOUCH_SECONDS, cached_dataset

if TYPE_CHECKING:
    from ..data import Dataset
    from ..training import TrainedModel


class RemoteWork(PolledJob):
    """What a job queued in a ``WorkerPool`` and trained by one of its workers shares: the queue, the controls
    and the mirror; the pool's side of it is ``pool.RemoteWork``. ``spec`` is what the worker's ``Start`` carries
    (a ``RunConfig`` or a sweep's spec)."""

    def __init__(
        self,
        configs: list[RunConfig],
        spec: Any,
        *,
        pool: WorkerPool,
        state: RunUpdate | SweepUpdate,
        limits: Limits | None = None,
        page_open: Callable[[], bool] | None = None,
        table: bytes | None = None,
        start_paused: bool = False,
        on_end: Callable | None = None,
        visitor: str = "",
    ):
        super().__init__(limits or pool.limits)
        self.configs, self.config = configs, configs[0]
        self.visitor = visitor  # who started it: the pool counts a visitor's jobs (``Limits.runs_per_session``)
        self._spec, self._page_open = spec, page_open
        self._table, self._pool, self._on_end = table, pool, on_end
        self._start_paused = start_paused
        self._initial: dict | None = None  # weights a continued run starts from
        self._state = state  # the latest update from the worker, without its new records
        self._job_id, self._send = 0, None  # given by the pool when a worker takes the job
        self._pending: list = []  # controls given while queued, sent once a worker takes the job
        self._last_touch = self._clock()
        self._ended = threading.Event()  # set once the job has ended and ``on_end`` has filed it

    # --- controls --------------------------------------------------------------------------------
    def start(self, replacing: RemoteWork | None = None):
        """Queue the job in its pool; a ``ConfigError`` naming the limit if it is past one. ``replacing``: the
        visitor's job that this one replaces (the caller stops it once this one is admitted), not counted against
        their ``runs_per_session``."""
        self._pool.submit(self, replacing)
        return self

    def stop(self) -> None:
        if self._pool.withdraw(self):
            self.end_here(STOPPED, "stopped before it started")
        else:
            self._control(Action.STOP)

    def _control(self, action: Action | None, settings: RunConfig | None = None) -> None:
        """Send a control (or, with ``settings``, a live change) to the worker, or keep it until one has the job."""
        with self._lock:
            if self._state.status in FINAL_STATES:
                return
            make = _message_for(action, settings)
            if self._send is None:
                self._pending.append(make)
                return
            send, job_id = self._send, self._job_id
        send(make(job_id))

    # --- reading ---------------------------------------------------------------------------------
    def _status_locked(self) -> str:
        return self._state.status

    def snapshot(self):
        """The job as last reported by its worker. Reading counts as watching; the worker is told now and then."""
        snapshot = super().snapshot()
        if self._clock() - self._last_touch > TOUCH_SECONDS and not snapshot.finished:
            self.touch()
        if snapshot.status == QUEUED:
            reason = WARMING_UP if self._pool.warming_up else queue_text(self._pool.place(self))
            snapshot = replace(snapshot, reason=reason)
        return snapshot

    # --- what the pool asks and tells ------------------------------------------------------------
    @property
    def has_page(self) -> bool:
        """Whether the page that watches the job can say if it is open (else reading counts as watching)."""
        return self._page_open is not None

    def watched(self) -> bool:
        """False only when the job's page says it has closed."""
        return self._page_open is None or bool(self._page_open())

    def touch(self) -> None:
        """Tell the worker the job is watched (its idle rule counts these)."""
        with self._lock:
            self._last_touch, send, job_id = self._clock(), self._send, self._job_id
        if send is not None:
            with contextlib.suppress(OSError):  # a dead worker: the pool fails the job
                send(Control(job_id, Action.TOUCH))

    def data_size(self) -> tuple[int | None, int | None]:
        """(columns, rows) of the job's data when known here, for the pool's admission."""
        return None, None

    def seconds_left(self, rows_per_second: float | None) -> float | None:
        """How long the job still trains: at its own pace once it has one, else at ``rows_per_second`` (the pool's
        last seen speed); None when it cannot tell, or the job is not queued or training."""
        status, epoch, elapsed = self._progress()
        if status not in (QUEUED, RUNNING):
            return None
        left = self.config.train.epochs - epoch
        if epoch > 0 and elapsed > 0:
            return left * elapsed / epoch
        rows = self._train_rows()
        if rows_per_second is None or rows is None:
            return None
        return left * rows / rows_per_second

    def _progress(self) -> tuple[str, int, float]:
        """(status, epochs done, seconds trained)."""
        raise NotImplementedError

    def _train_rows(self) -> int | None:
        return None

    def assign(self, job_id: int, send: Callable) -> None:
        """A worker takes the job: start it there, then send the controls given while it waited."""
        with self._lock:
            self._job_id, self._send, pending, self._pending = job_id, send, self._pending, []
        send(Start(job_id, self._spec, self._table, self._start_paused, self._initial, self.limits))
        for make in pending:
            send(make(job_id))

    def queue_changed(self) -> None:
        with self._lock:
            self._changed.notify_all()

    def apply(self, update: RunUpdate | SweepUpdate) -> None:
        """Take an update from the worker into the mirror; a final one files the job (``on_end``)."""
        with self._lock:
            self._take_locked(update)
            self._changed.notify_all()
            snapshot = self._snapshot_locked()
        if snapshot.finished:
            self._filed(snapshot)

    def _filed(self, snapshot) -> None:
        """The job has ended: call ``on_end`` (it files the run), then let ``join`` return."""
        try:
            if self._on_end is not None:
                self._on_end(snapshot)
        finally:
            self._ended.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the job to end and be filed (its ``on_end`` has returned); True if it has."""
        return self._ended.wait(timeout)

    def _take_locked(self, update) -> None:
        raise NotImplementedError

    def end_here(self, status: str, reason: str) -> None:
        """End a job that no worker is training (stopped while queued, or its worker died)."""
        with self._lock:
            if self._state.status in FINAL_STATES:
                return
            self._state = replace(self._state, status=status, reason=reason)
            self._changed.notify_all()
            snapshot = self._snapshot_locked()
        self._filed(snapshot)


def _message_for(action: Action | None, settings: RunConfig | None) -> Callable[[int], Control | Retune]:
    """The message for a control, once the job's id is known."""
    if settings is not None:
        return lambda job_id: Retune(job_id, settings)
    return lambda job_id: Control(job_id, action)


class RemoteJob(RemoteWork):
    """A run trained by a ``WorkerPool``'s worker, with the interface of ``TrainingJob``."""

    def __init__(
        self,
        config: RunConfig,
        dataset: Dataset | None = None,
        *,
        pool: WorkerPool,
        table: bytes | None = None,
        limits: Limits | None = None,
        start_paused: bool = False,
        on_end: Callable[[JobSnapshot], None] | None = None,
        page_open: Callable[[], bool] | None = None,
        initial: dict | None = None,
        visitor: str = "",
    ):
        """``page_open``: whether the page that watches this run is still open (asked about once a second, from
        another thread); without it, reading a snapshot counts as watching. ``initial``: weights to start from
        (``training.arrays_of`` of a state dict), to continue a run that was cut off. ``visitor``: who starts it, for
        their cap of runs (``Limits.runs_per_session``); "" for none."""
        super().__init__(
            [config],
            config,
            pool=pool,
            table=table,
            limits=limits,
            start_paused=start_paused,
            on_end=on_end,
            page_open=page_open,
            state=RunUpdate(QUEUED, "waiting for a free training slot"),
            visitor=visitor,
        )
        self._dataset, self._initial = dataset, initial
        self._settings = config  # the settings asked for: the config with the live changes so far
        self._history: list[EpochRecord] = []
        self._weights: tuple[int, dict | None] = (-1, None)

    def pause(self) -> None:
        self._control(Action.PAUSE)

    def resume(self) -> None:
        self._control(Action.RESUME)

    def step(self) -> None:
        self._control(Action.STEP)

    def update(self, settings: RunConfig) -> None:
        """Train under ``settings`` (made by ``RunConfig.replace_live``) from the next epoch on."""
        with self._lock:
            self._settings = settings
        self._control(None, settings)

    def data_size(self) -> tuple[int | None, int | None]:
        dataset = self._dataset
        return (None, None) if dataset is None else (dataset.n_features, len(dataset.X_train) + len(dataset.X_test))

    def _progress(self) -> tuple[str, int, float]:
        with self._lock:
            return self._state.status, len(self._history), self._state.elapsed_seconds

    def _train_rows(self) -> int | None:
        return None if self._dataset is None else len(self._dataset.X_train)

    def _snapshot_locked(self) -> JobSnapshot:
        state = self._state
        return JobSnapshot(
            status=state.status,
            reason=state.reason,
            elapsed_seconds=state.elapsed_seconds,
            history=tuple(self._history),
            config=self.config,
            settings=self._settings,
            events=state.events,
            weights_epoch=max(state.weights_epoch, 0),
        )

    def _take_locked(self, update: RunUpdate) -> None:
        self._history += update.new_records
        if update.weights is not None:
            self._weights = (update.weights_epoch, update.weights)
        self._state = replace(update, new_records=(), weights=None)

    def trained_model(self) -> TrainedModel | None:
        """A TrainedModel of the latest weights the worker sent; None before the first epoch's."""
        from ..training import TrainedModel, tensors_of

        with self._lock:
            self._last_read = self._clock()
            (epoch, weights), history, stop_reason = self._weights, list(self._history), self._state.stop_reason
        if weights is None or self.dataset is None:
            return None
        return TrainedModel.of_dataset(
            self.config,
            self.dataset,
            weights=tensors_of(weights),
            history=history,
            stop_reason=stop_reason,
            weights_epoch=epoch,
        )

    @property
    def dataset(self) -> Dataset | None:
        if self._dataset is None:
            self._dataset = cached_dataset(self.config.data, self._table)
        return self._dataset


class RemoteSweep(RemoteWork):
    """A sweep (``SweepJob``) trained by a pool's worker as one job: its members' curves arrive as they train, and
    the measured result (``spec.measure``'s) when it is done. Controls: start and stop."""

    def __init__(
        self,
        spec: Any,
        *,
        pool: WorkerPool,
        limits: Limits | None = None,
        page_open: Callable[[], bool] | None = None,
        visitor: str = "",
    ):
        configs = spec.configs()
        state = SweepUpdate(QUEUED, "waiting for a free training slot")
        super().__init__(configs, spec, pool=pool, state=state, limits=limits, page_open=page_open, visitor=visitor)
        self.spec = spec
        self._histories: list[list[EpochRecord]] = [[] for _ in configs]

    def data_size(self) -> tuple[int | None, int | None]:
        return builtin_size(self.config)

    def _progress(self) -> tuple[str, int, float]:
        with self._lock:  # the members of a batched group advance together: the slowest counts
            return self._state.status, min(map(len, self._histories)), self._state.elapsed_seconds

    def _snapshot_locked(self) -> SweepSnapshot:
        state = self._state
        return SweepSnapshot(
            status=state.status,
            reason=state.reason,
            elapsed_seconds=state.elapsed_seconds,
            histories=tuple(tuple(history) for history in self._histories),
            total_epochs=sum(config.train.epochs for config in self.configs),
            result=state.result,
        )

    def _take_locked(self, update: SweepUpdate) -> None:
        for member, record in zip(update.members, update.new_records):
            self._histories[member].append(record)
        self._state = replace(update, members=(), new_records=())


class RemoteTune(RemoteWork):
    """A hyperparameter search (``TuneJob``) run by a pool's worker as one job: its trials one after another, the
    table of trials arriving as they go. Controls: start and stop."""

    def __init__(
        self,
        spec: Any,
        *,
        pool: WorkerPool,
        limits: Limits | None = None,
        page_open: Callable[[], bool] | None = None,
        visitor: str = "",
    ):
        state = TuneUpdate(QUEUED, "waiting for a free training slot")
        configs = spec.configs()
        super().__init__(configs, spec, pool=pool, state=state, limits=limits, page_open=page_open, visitor=visitor)
        self.spec = spec

    def data_size(self) -> tuple[int | None, int | None]:
        return builtin_size(self.config)

    def _progress(self) -> tuple[str, int, float]:
        with self._lock:
            snapshot = self._snapshot_locked()
        return snapshot.status, snapshot.epoch, snapshot.elapsed_seconds

    def seconds_left(self, rows_per_second: float | None) -> float | None:
        """At the pace of its trials so far; before one has ended, as long as one trial of the base run per trial."""
        status, done, elapsed = self._progress()
        if status not in (QUEUED, RUNNING):
            return None
        if done > 0 and elapsed > 0:
            return (self.spec.trials - done) * elapsed / done
        rows = self._train_rows()
        one = super().seconds_left(rows_per_second)
        return None if one is None or rows is None else one * self.spec.trials

    def _train_rows(self) -> int | None:
        return int(self.data_size()[1] * (1 - self.config.data.test_fraction))

    def _snapshot_locked(self) -> TuneSnapshot:
        state = self._state
        return TuneSnapshot(state.status, state.reason, state.elapsed_seconds, state.result, self.spec.trials)

    def _take_locked(self, update: TuneUpdate) -> None:
        self._state = update


def builtin_size(config: RunConfig) -> tuple[int, int]:
    """(columns, rows) of a built-in dataset (what a view's sweep or a search runs on), loaded once per process."""
    dataset = cached_dataset(config.data, None)
    return dataset.n_features, len(dataset.X_train) + len(dataset.X_test)
