"""The pool of training worker processes, the queue of work waiting for room in them, and how long the wait is.

``WorkerPool`` starts ``size`` processes, forked from a fork server (``worker_context``) that has imported PyTorch and
the engine once, so that they share that memory and start in milliseconds; each trains up to ``runs_per_worker`` jobs
at a time (they share the process's core, so every run of a class
shows its first epochs at once). Work enters the server here: ``submit`` admits it against the limits (the one check
of its size, and of how many runs its visitor has going) and queues it, first come first served. The pool talks to
each job through the small interface of ``dae_core.serving.remote.RemoteWork``.

Whether a job is still watched is asked of its page when the page says how: a job whose page is open is never stopped
by the idle rule, and a queued job whose page has closed leaves the queue within ``TOUCH_SECONDS``.
"""

from __future__ import annotations

import atexit
import collections
import heapq
import itertools
import math
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from ..config import RunConfig
from ..errors import ConfigError
from .limits import LIMITS_TABLE, Limits
from .messages import Progress, Ready, RunUpdate, SweepUpdate
from .snapshot import FINAL_STATES, INTERRUPTED, STOPPED
from .worker import TOUCH_SECONDS, worker_main


class RemoteWork(Protocol):
    """What the pool needs of a job it queues and hands to a worker, and nothing else (``serving.remote``)."""

    configs: list[RunConfig]  # one run's config, or a sweep's members'
    limits: Limits
    visitor: str  # who started it, for ``limits.runs_per_session``; "": no one in particular (no cap)

    def data_size(self) -> tuple[int | None, int | None]: ...  # (columns, rows) of its data, when known
    def seconds_left(self, rows_per_second: float | None) -> float | None: ...
    def seconds_unread(self) -> float: ...
    @property
    def has_page(self) -> bool: ...  # its page can say whether it is open
    def watched(self) -> bool: ...
    def touch(self) -> None: ...  # tell the worker it is watched
    def assign(self, job_id: int, send: Callable) -> None: ...  # a worker takes it
    def apply(self, update: RunUpdate | SweepUpdate) -> None: ...  # what its worker reported
    def end_here(self, status: str, reason: str) -> None: ...  # ended with no worker training it
    def queue_changed(self) -> None: ...


START_SECONDS = 120.0  # how long the pool waits for its workers to import torch and report ready
WORKER_DIED = "its training process ended unexpectedly (out of memory?); the epochs it had are kept"
WARMING_UP = "warming up: the training processes are starting (a few seconds after the server starts)"
PRELOAD = "dae_core.serving.preload"


def worker_context():
    """Where the workers come from: a fork server (a single-threaded process, started once, that imports ``PRELOAD``
    and forks a worker on each request; a server with threads must not fork itself), or, where the platform has
    none, a fresh interpreter per worker that imports everything itself."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    return context


def start_times(free_at: Sequence[float], lengths: Sequence[float | None]) -> list[float]:
    """When each queued job would start: ``free_at`` holds, for each slot, the seconds until it is free; ``lengths``
    how long each queued job will train, in queue order (None: unknown). Each job takes the earliest free slot in
    turn; the estimates stop at the first job of unknown length, or when no slot will ever free."""
    free = list(free_at)
    heapq.heapify(free)
    starts = []
    for length in lengths:
        if not free:
            break
        starts.append(heapq.heappop(free))
        if length is None:
            break
        heapq.heappush(free, starts[-1] + length)
    return starts


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def queue_text(place: tuple[int, float | None] | None) -> str:
    """What a queued job says about its wait: "3rd in line, about 20 s"."""
    if place is None:
        return "starting"
    position, seconds = place
    if seconds is None:
        return f"{ordinal(position)} in line"
    about = f"{max(1, round(seconds))} s" if seconds < 90 else f"{round(seconds / 60)} min"
    return f"{ordinal(position)} in line, about {about}"


class Worker:
    """One training process, the pipe to it, and the jobs it trains now (by id)."""

    def __init__(self, context, limits: Limits):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=worker_main, args=(child, limits), name="dae-worker", daemon=True)
        self.process.start()
        child.close()
        self.ready = threading.Event()
        self.jobs: dict[int, RemoteWork] = {}
        self._send_lock = threading.Lock()

    def send(self, message) -> None:
        with self._send_lock:
            self.connection.send(message)


class WorkerPool:
    """``size`` worker processes, ``runs_per_worker`` jobs each, and the queue of jobs waiting for room."""

    def __init__(self, size: int, limits: Limits | None = None, *, runs_per_worker: int = 1):
        self.size, self.limits, self.runs_per_worker = size, limits or Limits(), runs_per_worker
        self._context = worker_context()
        self._lock = threading.Lock()
        self._queue: collections.deque[RemoteWork] = collections.deque()
        self._workers: list[Worker] = []
        self._ids = itertools.count(1)
        self._started, self._closed, self._all_started = False, threading.Event(), threading.Event()
        self._rows_per_second: float | None = None  # training speed of one run, as last seen: for wait estimates

    @classmethod
    def for_limits(cls, limits: Limits) -> WorkerPool:
        """``limits.workers`` processes (one per core unless set), sharing ``limits.max_concurrent_jobs`` runs."""
        size = min(limits.workers, limits.max_concurrent_jobs)
        return cls(size, limits, runs_per_worker=math.ceil(limits.max_concurrent_jobs / size))

    @property
    def workers(self) -> list[Worker]:
        """The worker processes now (a dead one is replaced by a new one)."""
        with self._lock:
            return list(self._workers)

    @property
    def warming_up(self) -> bool:
        """Whether the pool has started and no worker is ready yet (the fork server is importing PyTorch)."""
        with self._lock:
            return self._started and self.size > 0 and not any(worker.ready.is_set() for worker in self._workers)

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._queue)

    def start(self, wait: bool = True) -> WorkerPool:
        """Start the processes (once, in the background: the first one starts the fork server, which imports torch
        for a second or two); with ``wait``, return when each has reported ready."""
        with self._lock:
            if not self._started and not self._closed.is_set():
                self._started = True
                threading.Thread(target=self._start_workers, name="dae-worker-start", daemon=True).start()
                threading.Thread(target=self._watch, name="dae-worker-watch", daemon=True).start()
                atexit.register(self.close)  # no worker is started, or replaced, while the process exits
        if wait:
            self._all_started.wait(START_SECONDS)
            for worker in self.workers:
                worker.ready.wait(START_SECONDS)
        return self

    def _start_workers(self) -> None:
        for _ in range(self.size):
            worker = self._spawn()
            with self._lock:
                if self._closed.is_set():
                    worker.process.terminate()
                    break
                self._workers.append(worker)
                self._dispatch_locked()  # it may have reported ready before it was listed
        self._all_started.set()

    def _spawn(self) -> Worker:
        worker = Worker(self._context, self.limits)
        threading.Thread(target=self._listen, args=(worker,), name="dae-worker-reader", daemon=True).start()
        return worker

    def submit(self, job: RemoteWork, replacing: RemoteWork | None = None) -> None:
        """Admit ``job`` against its limits and queue it; a ``ConfigError`` naming the limit when it is past one, when
        its visitor already has ``limits.runs_per_session`` jobs training or waiting (not counting ``replacing``, one
        of theirs that the caller stops once ``job`` is admitted), or when ``limits.max_queue`` jobs already wait."""
        job.limits.admit(job.configs, *job.data_size())
        self.start(wait=False)
        with self._lock:
            if job.visitor:
                job.limits.check_runs_of_visitor(self._runs_of_locked(job.visitor, replacing))
            if len(self._queue) >= self.limits.max_queue:
                waiting = f"{len(self._queue)} run is" if len(self._queue) == 1 else f"{len(self._queue)} runs are"
                raise ConfigError(
                    f"The training queue is full: {waiting} waiting, the limit here "
                    f"({LIMITS_TABLE['max_queue'][0]}). Try again in a minute."
                )
            self._queue.append(job)
            self._dispatch_locked()

    def _runs_of_locked(self, visitor: str, replacing: RemoteWork | None) -> int:
        """How many of ``visitor``'s jobs wait in the queue or train in a worker, ``replacing`` left out."""
        jobs = [*self._queue, *(job for worker in self._workers for job in worker.jobs.values())]
        return sum(1 for job in jobs if job.visitor == visitor and job is not replacing)

    def withdraw(self, job: RemoteWork) -> bool:
        """Take a queued job out of the queue; False if it has a worker already (or has ended)."""
        with self._lock:
            if job not in self._queue:
                return False
            self._queue.remove(job)
            self._notify_queue_locked()
            return True

    def place(self, job: RemoteWork) -> tuple[int, float | None] | None:
        """A queued job's place in line and about how many seconds until it starts (None: no way to tell yet)."""
        with self._lock:
            if job not in self._queue:
                return None
            index = self._queue.index(job)
            starts = self._start_times_locked()
            return index + 1, starts[index] if index < len(starts) else None

    def _start_times_locked(self) -> list[float]:
        """``start_times`` for the queue: a free slot is free now, a training job's slot when it has trained its
        remaining epochs (a paused one keeps its slot: it never frees)."""
        speed = self._rows_per_second
        free = [0.0] * sum(self.runs_per_worker - len(w.jobs) for w in self._workers if w.ready.is_set())
        for worker in self._workers:
            free += [left for job in worker.jobs.values() if (left := job.seconds_left(speed)) is not None]
        return start_times(free, [job.seconds_left(speed) for job in self._queue])

    def _dispatch_locked(self) -> None:
        while self._queue:
            room = [w for w in self._workers if w.ready.is_set() and len(w.jobs) < self.runs_per_worker]
            if not room:
                break
            job = self._queue.popleft()
            if not job.has_page and (reason := job.limits.must_stop(False, job.seconds_unread(), 0.0)):
                job.end_here(STOPPED, f"{reason} while it was queued")  # a slow page still reads it: it stays
                continue
            worker = min(room, key=lambda w: len(w.jobs))
            job_id = next(self._ids)
            worker.jobs[job_id] = job
            job.assign(job_id, worker.send)
        self._notify_queue_locked()

    def _notify_queue_locked(self) -> None:
        for job in self._queue:
            job.queue_changed()

    def _listen(self, worker: Worker) -> None:
        """Apply what one worker sends; when it dies, fail its jobs and start another worker in its place."""
        while True:
            try:
                message = worker.connection.recv()
            except (EOFError, OSError):
                break
            if isinstance(message, Ready):
                worker.ready.set()
            elif isinstance(message, Progress) and message.job_id in worker.jobs:
                job, update = worker.jobs[message.job_id], message.update
                if getattr(update, "new_records", ()):  # a search's update carries trials, not epochs
                    self._rows_per_second = update.new_records[-1].samples_per_second
                if update.status in FINAL_STATES:
                    with self._lock:
                        worker.jobs.pop(message.job_id, None)
                job.apply(update)
            with self._lock:
                self._dispatch_locked()
        with self._lock:
            jobs, worker.jobs = list(worker.jobs.values()), {}
            if worker in self._workers and not self._closed.is_set():
                self._workers[self._workers.index(worker)] = self._spawn()
        for job in jobs:
            job.end_here(INTERRUPTED, WORKER_DIED)

    def _watch(self) -> None:
        """Ask each job's page whether it is still open: closed ones leave the queue, open ones keep training."""
        while not self._closed.wait(min(TOUCH_SECONDS, self.limits.idle_seconds / 4)):
            with self._lock:
                closed = [job for job in self._queue if not job.watched()]
                for job in closed:
                    self._queue.remove(job)
                if closed:
                    self._notify_queue_locked()
                training = [job for worker in self._workers for job in worker.jobs.values()]
            for job in closed:
                job.end_here(STOPPED, "left the queue: the page that started it was closed")
            for job in training:
                if job.has_page and job.watched():
                    job.touch()

    def close(self) -> None:
        """Stop every worker (their jobs end with them); a closed pool starts no more."""
        with self._lock:
            self._closed.set()
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.process.terminate()
