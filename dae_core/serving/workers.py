"""Training in worker processes, so that no epoch of any run competes with the web server for its interpreter.

``WorkerPool`` starts ``size`` processes (spawned: a server with threads must not fork), each of which imports
torch once and trains up to ``runs_per_worker`` runs at a time, each a ``TrainingJob`` thread of its own (they share
the process's core, so every run of a class shows its first epochs at once). The server holds a ``RemoteJob`` per
run, with the controls and snapshots of a ``TrainingJob``: reads are answered from a local mirror that the worker
keeps current by pushing what changed (at most ``1 / PUBLISH_SECONDS`` times a second), and controls travel the
other way as messages. Runs beyond the workers' room wait, first come first served, in the pool's queue, and know
their place in it and about how long until they start.

Whether a run is still watched is asked of its page when the page says how (``page_open``): a run whose page is
open is never stopped by the idle rule, and a queued run whose page has closed leaves the queue within
``TOUCH_SECONDS``. Without it, reading a snapshot counts as watching.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import functools
import heapq
import itertools
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..config import DataConfig, RunConfig
from ..errors import ConfigError, DAEError
from ..records import EpochRecord, SettingChange
from .job import FAILED, FINAL_STATES, QUEUED, RUNNING, STOPPED, JobSnapshot, SweepSnapshot
from .limits import Limits

if TYPE_CHECKING:
    from ..data import Dataset
    from ..training import TrainedModel
    from .job import SweepJob, TrainingJob

PUBLISH_SECONDS = 0.05  # a worker batches what changed for this long: at most 20 messages a second per run
TOUCH_SECONDS = 1.0  # how often a watched run tells its worker so (the worker's idle rule counts these)
START_SECONDS = 120.0  # how long the pool waits for its workers to import torch and report ready


@dataclass(frozen=True)
class Update:
    """What a worker sends about its run: a snapshot without the records the server already has."""

    status: str
    reason: str
    new_records: tuple[EpochRecord, ...]
    elapsed_seconds: float
    events: tuple[SettingChange, ...]
    weights_epoch: int
    weights: dict[str, Any] | None  # numpy arrays of the epoch's weights, when they changed
    stop_reason: str  # why training stopped before its last epoch, for the model it leaves


@dataclass(frozen=True)
class SweepUpdate:
    """What a worker sends about a sweep: its members' new records, and its measured result once done."""

    status: str
    reason: str
    members: tuple[int, ...]  # which member each new record belongs to
    new_records: tuple[EpochRecord, ...]
    elapsed_seconds: float
    result: Any  # ``spec.measure``'s result, once the sweep is done


# --- the worker process ------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _dataset(data: DataConfig, table: bytes | None) -> Dataset:
    from ..data import load_dataset

    return load_dataset(data, table)


def _differs(key: Callable, last: tuple | None, snapshot: JobSnapshot) -> bool:
    return key(snapshot) != last


def _publish(job_id: int, job: TrainingJob, send: Callable[[tuple], None]) -> None:
    """Push the run's changes to the server until it ends; reading for this is not watching."""

    def key(snapshot: JobSnapshot) -> tuple:
        return snapshot.status, snapshot.reason, snapshot.epoch, len(snapshot.events), snapshot.weights_epoch

    sent, last, last_weights = 0, None, -1
    while True:
        snapshot = job.wait_for(functools.partial(_differs, key, last), timeout=TOUCH_SECONDS)
        if key(snapshot) == last:
            continue
        epoch, state = job.published_weights()
        fresh = state is not None and epoch != last_weights
        weights = {name: tensor.numpy() for name, tensor in state.items()} if fresh else None
        update = Update(
            snapshot.status,
            snapshot.reason,
            snapshot.history[sent:],
            snapshot.elapsed_seconds,
            snapshot.events,
            snapshot.weights_epoch,
            weights,
            job.stop_reason,
        )
        send(("update", job_id, update))
        sent, last, last_weights = snapshot.epoch, key(snapshot), epoch if weights is not None else last_weights
        if snapshot.finished:
            return
        time.sleep(PUBLISH_SECONDS)  # batch the epochs of a fast run into fewer messages


def _publish_sweep(job_id: int, job: SweepJob, send: Callable[[tuple], None]) -> None:
    """Push a sweep's new records and status to the server until it ends."""

    def key(snapshot: SweepSnapshot) -> tuple:
        return snapshot.status, snapshot.reason, snapshot.epoch

    sent, last = [0] * len(job.configs), None
    while True:
        snapshot = job.wait_for(functools.partial(_differs, key, last), timeout=TOUCH_SECONDS)
        if key(snapshot) == last:
            continue
        new = [
            (member, record) for member, history in enumerate(snapshot.histories) for record in history[sent[member] :]
        ]
        members, records = (tuple(column) for column in zip(*new)) if new else ((), ())
        send(("update", job_id, SweepUpdate(snapshot.status, snapshot.reason, members, records,
                                            snapshot.elapsed_seconds, snapshot.result)))  # fmt: skip
        sent, last = [len(history) for history in snapshot.histories], key(snapshot)
        if snapshot.finished:
            return
        time.sleep(PUBLISH_SECONDS)


def _start(spec: Any, table: bytes | None, start_paused: bool, limits: Limits) -> tuple[Any, Callable]:
    """The job a "start" message asks for, and how its changes are published: a run, or a sweep's spec."""
    from .job import JobSlots, SweepJob, TrainingJob

    if isinstance(spec, RunConfig):
        dataset = _dataset(spec.data, table)
        return TrainingJob(spec, dataset, limits=limits, slots=JobSlots(1), start_paused=start_paused), _publish
    dataset = _dataset(spec.configs()[0].data, table)
    return SweepJob(spec, dataset, limits=limits), _publish_sweep


def _failed(spec: Any, message: str):
    if isinstance(spec, RunConfig):
        return Update(FAILED, message, (), 0.0, (), 0, None, message)
    return SweepUpdate(FAILED, message, (), (), 0.0, None)


def _worker_main(connection, limits: Limits) -> None:
    """A worker: warm up, then run each job the server starts here and obey its controls."""
    from ..training import Trainer, use_torch_threads

    use_torch_threads(limits.torch_threads)
    warm_up = RunConfig().replace(n_samples=100, n_features=4, hidden_dim=2, epochs=1)
    list(Trainer(warm_up).epochs())  # the first optimizer step imports torch._dynamo: pay it now
    lock = threading.Lock()

    def send(message: tuple) -> None:
        with lock, contextlib.suppress(OSError):  # the server has gone: recv() below ends this process
            connection.send(message)

    send(("ready", None))
    jobs: dict[int, TrainingJob | SweepJob] = {}  # the runs this worker trains now, each in its own thread
    while True:
        try:
            kind, job_id, *args = connection.recv()
        except (EOFError, OSError):  # the server has gone: so does the worker
            return
        if kind == "start":
            spec, table, start_paused = args
            try:
                job, publish = _start(spec, table, start_paused, limits)
            except DAEError as exc:
                send(("update", job_id, _failed(spec, str(exc))))
                continue
            jobs = {i: other for i, other in jobs.items() if other.status not in FINAL_STATES}
            jobs[job_id] = job
            job.start()
            threading.Thread(target=publish, args=(job_id, job, send), daemon=True).start()
        elif job_id in jobs:
            job = jobs[job_id]
            if kind == "update":
                with contextlib.suppress(DAEError):  # the server validated it; only the run's end can race it
                    job.update(**args[0])
            elif kind == "touch":
                job.snapshot()
            else:
                getattr(job, kind)()  # pause, resume, step, stop


# --- the server's side ---------------------------------------------------------------------------------
class _Worker:
    def __init__(self, context, limits: Limits):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, limits), name="dae-worker", daemon=True)
        self.process.start()
        child.close()
        self.ready = threading.Event()
        self.jobs: dict[int, RemoteJob] = {}  # by id: the runs it trains now
        self._send_lock = threading.Lock()

    def send(self, message: tuple) -> None:
        with self._send_lock:
            self.connection.send(message)


class WorkerPool:
    """``size`` worker processes, ``runs_per_worker`` runs each, and the queue of runs waiting for room."""

    def __init__(self, size: int, limits: Limits | None = None, *, runs_per_worker: int = 1):
        self.size, self.limits, self.runs_per_worker = size, limits or Limits(), runs_per_worker
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._queue: collections.deque[RemoteJob] = collections.deque()
        self._workers: list[_Worker] = []
        self._ids = itertools.count(1)
        self._started, self._closed = False, threading.Event()
        self._rows_per_second: float | None = None  # training speed of one run, as last seen: for wait estimates

    @classmethod
    def for_limits(cls, limits: Limits) -> WorkerPool:
        """One process per core at most, sharing ``limits.max_concurrent_jobs`` runs between them."""
        size = max(1, min(os.cpu_count() or 1, limits.max_concurrent_jobs))
        return cls(size, limits, runs_per_worker=math.ceil(limits.max_concurrent_jobs / size))

    def start(self, wait: bool = True) -> WorkerPool:
        """Start the processes (once); with ``wait``, return when each has imported torch and reported ready."""
        with self._lock:
            if not self._started and not self._closed.is_set():
                self._started = True
                self._workers = [self._spawn() for _ in range(self.size)]
                threading.Thread(target=self._watch, name="dae-worker-watch", daemon=True).start()
                atexit.register(self.close)  # no worker is started, or replaced, while the process exits
        if wait:
            for worker in list(self._workers):
                worker.ready.wait(START_SECONDS)
        return self

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context, self.limits)
        threading.Thread(target=self._listen, args=(worker,), name="dae-worker-reader", daemon=True).start()
        return worker

    def submit(self, job: RemoteJob) -> None:
        """Queue ``job``; a ``ConfigError`` that names the limit when ``limits.max_queue`` runs already wait."""
        self.start(wait=False)
        with self._lock:
            if len(self._queue) >= self.limits.max_queue:
                raise ConfigError(
                    f"The training queue is full: {len(self._queue)} runs are waiting, the limit here "
                    f"(DAE_MAX_QUEUE). Try again in a minute."
                )
            job._id = next(self._ids)
            self._queue.append(job)
            self._dispatch_locked()

    def withdraw(self, job: RemoteJob) -> bool:
        """Take a queued run out of the queue; False if it has a worker already (or has ended)."""
        with self._lock:
            if job not in self._queue:
                return False
            self._queue.remove(job)
            self._notify_queue_locked()
            return True

    def place(self, job: RemoteJob) -> tuple[int, float | None] | None:
        """A queued run's place in line and about how many seconds until it starts (None: no way to tell yet)."""
        with self._lock:
            if job not in self._queue:
                return None
            return self._queue.index(job) + 1, self._waits_locked().get(job)

    def _waits_locked(self) -> dict[RemoteJob, float]:
        """When each queued run would start if runs take as long as the speed seen so far says.

        Every slot is free at the time its run has left (a paused run keeps its slot: it counts as never free);
        the queue then takes the earliest free slot in turn.
        """
        free = [0.0] * sum(self.runs_per_worker - len(w.jobs) for w in self._workers if w.ready.is_set())
        for worker in self._workers:
            free += [left for job in worker.jobs.values() if (left := self._seconds_left(job)) is not None]
        heapq.heapify(free)
        waits = {}
        for job in self._queue:
            if not free:
                break
            waits[job] = heapq.heappop(free)
            length = self._seconds_left(job)
            if length is None:
                break
            heapq.heappush(free, waits[job] + length)
        return waits

    def _seconds_left(self, job: RemoteJob) -> float | None:
        """How long ``job`` still trains: at its own pace once it has one, else at the pool's last seen speed."""
        status, epoch, elapsed = job._progress()
        if status not in (QUEUED, RUNNING):
            return None
        left = job.config.train.epochs - epoch
        if epoch > 0 and elapsed > 0:
            return left * elapsed / epoch
        rows = job._train_rows()
        if self._rows_per_second is None or rows is None:
            return None
        return left * rows / self._rows_per_second

    def _dispatch_locked(self) -> None:
        now = time.monotonic()
        while self._queue:
            room = [w for w in self._workers if w.ready.is_set() and len(w.jobs) < self.runs_per_worker]
            if not room:
                break
            job = self._queue.popleft()
            idle = job.limits.idle_seconds  # the same rule as for a run that trains: a slow page is still open
            if job._page_open is None and now - job._last_read > idle:
                job._end_locally(STOPPED, f"stopped: nobody looked at it for {idle:g} s while it was queued")
                continue
            worker = min(room, key=lambda w: len(w.jobs))
            worker.jobs[job._id] = job
            job._assign(worker)
        self._notify_queue_locked()

    def _notify_queue_locked(self) -> None:
        for job in self._queue:
            job._queue_changed()

    def _listen(self, worker: _Worker) -> None:
        """Apply what one worker sends; when it dies, fail its runs and start another worker in its place."""
        while True:
            try:
                kind, job_id, *args = worker.connection.recv()
            except (EOFError, OSError):
                break
            if kind == "ready":
                worker.ready.set()
            elif kind == "update" and job_id in worker.jobs:
                job, update = worker.jobs[job_id], args[0]
                if update.new_records:
                    self._rows_per_second = update.new_records[-1].samples_per_second
                if update.status in FINAL_STATES:
                    with self._lock:
                        worker.jobs.pop(job_id, None)
                job._apply(update)
            with self._lock:
                self._dispatch_locked()
        with self._lock:
            jobs, worker.jobs = list(worker.jobs.values()), {}
            if worker in self._workers and not self._closed.is_set():
                self._workers[self._workers.index(worker)] = self._spawn()
        for job in jobs:
            job._end_locally(FAILED, "The training process ended unexpectedly (out of memory?). Train again.")

    def _watch(self) -> None:
        """Ask each run's page whether it is still open: closed ones leave the queue, open ones keep training."""
        while not self._closed.wait(min(TOUCH_SECONDS, self.limits.idle_seconds / 4)):
            with self._lock:
                closed = [job for job in self._queue if not job._watched()]
                for job in closed:
                    self._queue.remove(job)
                if closed:
                    self._notify_queue_locked()
                training = [job for worker in self._workers for job in worker.jobs.values()]
            for job in closed:
                job._end_locally(STOPPED, "left the queue: the page that started it was closed")
            for job in training:
                if job._page_open is not None and job._watched():
                    job._touch()

    def close(self) -> None:
        """Stop every worker (their runs end with them); a closed pool starts no more."""
        with self._lock:
            self._closed.set()
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.process.terminate()


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def queue_text(place: tuple[int, float | None] | None) -> str:
    """What a queued run says about its wait: "3rd in line, about 20 s"."""
    if place is None:
        return "starting"
    position, seconds = place
    if seconds is None:
        return f"{ordinal(position)} in line"
    about = f"{max(1, round(seconds))} s" if seconds < 90 else f"{round(seconds / 60)} min"
    return f"{ordinal(position)} in line, about {about}"


class _Remote:
    """What the pool needs of the work it queues and hands to a worker: a ``RemoteJob`` (one run) or a
    ``RemoteSweep``. ``spec`` is what the worker's "start" message carries (a ``RunConfig`` or a sweep's spec)."""

    def __init__(
        self,
        config: RunConfig,
        spec: Any,
        *,
        pool: WorkerPool,
        table: bytes | None,
        limits: Limits | None,
        start_paused: bool,
        on_end: Callable | None,
        page_open: Callable[[], bool] | None,
        state: Any,
    ):
        self.config, self.limits = config, limits or pool.limits
        self._spec, self._page_open = spec, page_open
        self._table, self._pool, self._on_end = table, pool, on_end
        self._start_paused = start_paused
        self._id = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._state = state  # the latest Update (or SweepUpdate) from the worker, without its new records
        self._worker: _Worker | None = None
        self._pending: list[tuple] = []  # controls given while queued, sent once a worker takes the run
        self._last_read = self._last_touch = time.monotonic()

    # --- controls --------------------------------------------------------------------------------
    def start(self):
        self._pool.submit(self)
        return self

    def stop(self) -> None:
        if self._pool.withdraw(self):
            self._end_locally(STOPPED, "stopped before it started")
        else:
            self._control("stop")

    def _control(self, *message) -> None:
        with self._lock:
            if self._state.status in FINAL_STATES:
                return
            if self._worker is None:
                self._pending.append(message)
                return
            worker = self._worker
        worker.send((message[0], self._id, *message[1:]))

    # --- waiting and reading ---------------------------------------------------------------------
    def wait_for(self, predicate: Callable, timeout: float):
        with self._lock:
            self._changed.wait_for(lambda: predicate(self._snapshot_locked()), timeout)
            return self._snapshot_locked()

    def join(self, timeout: float | None = None) -> bool:
        return self.wait_for(lambda s: s.finished, timeout).finished

    @property
    def status(self) -> str:
        with self._lock:
            return self._state.status

    def snapshot(self):
        """The work as last reported by its worker. Reading counts as watching; the worker is told now and then."""
        with self._lock:
            self._last_read = time.monotonic()
            snapshot = self._snapshot_locked()
        if time.monotonic() - self._last_touch > TOUCH_SECONDS and not snapshot.finished:
            self._touch()
        if snapshot.status == QUEUED:
            snapshot = replace(snapshot, reason=queue_text(self._pool.place(self)))
        return snapshot

    def _snapshot_locked(self):
        raise NotImplementedError

    def _touch(self) -> None:
        """Tell the worker the run is watched (its idle rule counts these)."""
        with self._lock:
            self._last_touch, worker = time.monotonic(), self._worker
        if worker is not None:
            with contextlib.suppress(OSError):  # a dead worker: the pool fails the run
                worker.send(("touch", self._id))

    def _watched(self) -> bool:
        """False only when the run's page says it has closed."""
        return self._page_open is None or bool(self._page_open())

    def _progress(self) -> tuple[str, int, float]:
        """(status, epochs done, seconds trained), for the pool's wait estimates."""
        raise NotImplementedError

    def _train_rows(self) -> int | None:
        return None

    # --- called by the pool ----------------------------------------------------------------------
    def _assign(self, worker: _Worker) -> None:
        with self._lock:
            self._worker, pending, self._pending = worker, self._pending, []
        worker.send(("start", self._id, self._spec, self._table, self._start_paused))
        for message in pending:
            worker.send((message[0], self._id, *message[1:]))

    def _queue_changed(self) -> None:
        with self._lock:
            self._changed.notify_all()

    def _apply(self, update) -> None:
        with self._lock:
            self._take_locked(update)
            self._changed.notify_all()
            snapshot = self._snapshot_locked()
        if snapshot.finished and self._on_end is not None:
            self._on_end(snapshot)

    def _take_locked(self, update) -> None:
        raise NotImplementedError

    def _end_locally(self, status: str, reason: str) -> None:
        """End a run that no worker is training (stopped while queued, or its worker died)."""
        with self._lock:
            if self._state.status in FINAL_STATES:
                return
            self._state = replace(self._state, status=status, reason=reason)
            self._changed.notify_all()
            snapshot = self._snapshot_locked()
        if self._on_end is not None:
            self._on_end(snapshot)


class RemoteJob(_Remote):
    """A run trained by a ``WorkerPool``'s worker, with the interface of ``dae_core.serving.job.TrainingJob``."""

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
    ):
        """``page_open``: whether the page that watches this run is still open (asked about once a second, from
        another thread); without it, reading a snapshot counts as watching."""
        state = Update(QUEUED, "waiting for a free training slot", (), 0.0, (), 0, None, "")
        super().__init__(
            config,
            config,
            pool=pool,
            table=table,
            limits=limits,
            start_paused=start_paused,
            on_end=on_end,
            page_open=page_open,
            state=state,
        )
        if dataset is not None:
            self.limits.check_model(config.model, dataset.n_features)
        self._dataset = dataset
        self._settings = config
        self._history: list[EpochRecord] = []
        self._weights: tuple[int, dict | None] = (-1, None)

    def pause(self) -> None:
        self._control("pause")

    def resume(self) -> None:
        self._control("resume")

    def step(self) -> None:
        self._control("step")

    def update(self, **changes: float) -> None:
        """Change live settings from the next epoch on; validated here, so a bad value raises to the caller."""
        with self._lock:
            self._settings = self._settings.replace_live(**changes)
        self._control("update", changes)

    def wait_for_epochs(self, count: int, timeout: float) -> bool:
        return self.wait_for(lambda s: s.epoch >= count or s.finished, timeout).epoch >= count

    def _progress(self) -> tuple[str, int, float]:
        with self._lock:
            return self._state.status, len(self._history), self._state.elapsed_seconds

    def _train_rows(self) -> int | None:
        dataset = self._dataset
        return None if dataset is None else len(dataset.X_train)

    def _snapshot_locked(self) -> JobSnapshot:
        state = self._state
        return JobSnapshot(
            status=state.status,
            reason=state.reason,
            history=tuple(self._history),
            elapsed_seconds=state.elapsed_seconds,
            config=self.config,
            settings=self._settings,
            events=state.events,
            weights_epoch=max(state.weights_epoch, 0),
        )

    def _take_locked(self, update: Update) -> None:
        self._history += update.new_records
        if update.weights is not None:
            self._weights = (update.weights_epoch, update.weights)
        self._state = replace(update, new_records=(), weights=None)

    def trained_model(self) -> TrainedModel | None:
        """A TrainedModel of the latest weights the worker sent; None before the first epoch's."""
        import torch

        from ..training import TrainedModel

        with self._lock:
            self._last_read = time.monotonic()
            (epoch, weights), history, stop_reason = self._weights, list(self._history), self._state.stop_reason
        if weights is None or self.dataset is None:
            return None
        return TrainedModel.of_dataset(
            self.config,
            self.dataset,
            weights={name: torch.from_numpy(array) for name, array in weights.items()},
            history=history,
            stop_reason=stop_reason,
            weights_epoch=epoch,
        )

    @property
    def dataset(self) -> Dataset | None:
        if self._dataset is None:
            self._dataset = _dataset(self.config.data, self._table)
        return self._dataset


class RemoteSweep(_Remote):
    """A sweep (``job.SweepJob``) trained by a pool's worker as one run: its members' curves arrive as they
    train, and the measured result (``spec.measure``'s) when it is done. Controls: start and stop."""

    def __init__(
        self,
        spec: Any,
        *,
        pool: WorkerPool,
        limits: Limits | None = None,
        page_open: Callable[[], bool] | None = None,
    ):
        configs = spec.configs()
        limit = (limits or pool.limits).max_sweep_members
        if len(configs) > limit:
            raise ConfigError(
                f"This sweep trains {len(configs)} models; the limit here is {limit} (DAE_MAX_SWEEP_MEMBERS). "
                "Give fewer values."
            )
        state = SweepUpdate(QUEUED, "waiting for a free training slot", (), (), 0.0, None)
        super().__init__(
            configs[0],
            spec,
            pool=pool,
            table=None,
            limits=limits,
            start_paused=False,
            on_end=None,
            page_open=page_open,
            state=state,
        )
        self.spec, self.configs = spec, configs
        self._histories: list[list[EpochRecord]] = [[] for _ in configs]

    def _progress(self) -> tuple[str, int, float]:
        with self._lock:  # the members of a batched group advance together: the slowest counts
            return self._state.status, min(map(len, self._histories)), self._state.elapsed_seconds

    def _snapshot_locked(self) -> SweepSnapshot:
        state = self._state
        return SweepSnapshot(
            status=state.status,
            reason=state.reason,
            histories=tuple(tuple(history) for history in self._histories),
            elapsed_seconds=state.elapsed_seconds,
            total_epochs=sum(config.train.epochs for config in self.configs),
            result=state.result,
        )

    def _take_locked(self, update: SweepUpdate) -> None:
        for member, record in zip(update.members, update.new_records):
            self._histories[member].append(record)
        self._state = replace(update, members=(), new_records=())
