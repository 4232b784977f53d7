"""A training worker process: it imports torch once, then trains the runs and sweeps the server starts in it.

Each job trains in a thread of its own (``TrainingJob`` or ``SweepJob``), and a publisher thread per job pushes what
changed to the server (``Progress``), batched for ``PUBLISH_SECONDS`` so a fast run sends at most 20 messages a
second. Controls arrive as ``Control`` and ``Retune`` messages (``dae_core.serving.messages``); the server has
validated and admitted everything it sends, so the worker trusts it.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..config import DataConfig, RunConfig
from ..errors import DAEError
from .job import SweepJob, TrainingJob, TuneJob
from .limits import Limits
from .messages import Action, Control, Progress, Ready, Retune, RunUpdate, Start, SweepUpdate, TuneUpdate
from .snapshot import FAILED, FINAL_STATES, JobSnapshot, SweepSnapshot, TuneSnapshot

if TYPE_CHECKING:
    from ..data import Dataset

PUBLISH_SECONDS = 0.05  # a worker batches what changed for this long: at most 20 messages a second per run
TOUCH_SECONDS = 1.0  # how often a watched run tells its worker so (the worker's idle rule counts these)


@functools.lru_cache(maxsize=4)
def cached_dataset(data: DataConfig, table: bytes | None) -> Dataset:
    """The dataset of ``data`` (an uploaded table's bytes for 'csv'), loaded once per process for its last few."""
    from ..data import load_dataset

    return load_dataset(data, table)


def _differs(key: Callable, last: tuple | None, snapshot) -> bool:
    return key(snapshot) != last


def _publish_run(job_id: int, job: TrainingJob, send: Callable) -> None:
    """Push the run's changes to the server until it ends; reading for this is not watching."""
    from ..training import arrays_of

    def key(snapshot: JobSnapshot) -> tuple:
        return snapshot.status, snapshot.reason, snapshot.epoch, len(snapshot.events), snapshot.weights_epoch

    sent, last, last_weights = 0, None, -1
    while True:
        snapshot = job.wait_for(functools.partial(_differs, key, last), timeout=TOUCH_SECONDS)
        if key(snapshot) == last:
            continue
        epoch, state = job.published_weights()
        fresh = state is not None and epoch != last_weights
        update = RunUpdate(
            snapshot.status,
            snapshot.reason,
            snapshot.history[sent:],
            snapshot.elapsed_seconds,
            snapshot.events,
            snapshot.weights_epoch,
            arrays_of(state) if fresh else None,
            job.stop_reason,
        )
        send(Progress(job_id, update))
        sent, last, last_weights = snapshot.epoch, key(snapshot), epoch if fresh else last_weights
        if snapshot.finished:
            return
        time.sleep(PUBLISH_SECONDS)  # batch the epochs of a fast run into fewer messages


def _publish_sweep(job_id: int, job: SweepJob, send: Callable) -> None:
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
        update = SweepUpdate(snapshot.status, snapshot.reason, members, records, snapshot.elapsed_seconds,
                             snapshot.result)  # fmt: skip
        send(Progress(job_id, update))
        sent, last = [len(history) for history in snapshot.histories], key(snapshot)
        if snapshot.finished:
            return
        time.sleep(PUBLISH_SECONDS)


def _publish_tune(job_id: int, job: TuneJob, send: Callable) -> None:
    """Push a search's trials and status to the server until it ends: the whole table each time (at most a few
    hundred rows), batched like a run's epochs."""

    def key(snapshot: TuneSnapshot) -> tuple:
        return snapshot.status, snapshot.reason, snapshot.result

    last = None
    while True:
        snapshot = job.wait_for(functools.partial(_differs, key, last), timeout=TOUCH_SECONDS)
        if key(snapshot) == last:
            continue
        send(Progress(job_id, TuneUpdate(snapshot.status, snapshot.reason, snapshot.elapsed_seconds, snapshot.result)))
        last = key(snapshot)
        if snapshot.finished:
            return
        time.sleep(PUBLISH_SECONDS)


def _start(message: Start, limits: Limits) -> tuple[TrainingJob | SweepJob | TuneJob, Callable]:
    """The job a ``Start`` asks for (a run, or a sweep's spec), and how its changes are published. It keeps to the
    limits it was admitted under (its stop rules: the wall time, paused or not, and the idle time), else ``limits``."""
    spec, limits = message.spec, message.limits or limits
    if isinstance(spec, RunConfig):
        dataset = cached_dataset(spec.data, message.table)
        job = TrainingJob(spec, dataset, limits=limits, start_paused=message.start_paused, initial=message.initial)
        return job, _publish_run
    dataset = cached_dataset(spec.configs()[0].data, message.table)
    if hasattr(spec, "space"):  # a search (tune.TuneSpec): its module loads only where a search runs
        return TuneJob(spec, dataset, limits=limits), _publish_tune
    return SweepJob(spec, dataset, limits=limits), _publish_sweep


def _failed(spec, message: str) -> RunUpdate | SweepUpdate | TuneUpdate:
    if isinstance(spec, RunConfig):
        return RunUpdate(FAILED, message, stop_reason=message)
    if hasattr(spec, "space"):
        return TuneUpdate(FAILED, message)
    return SweepUpdate(FAILED, message)


def _obey(job: TrainingJob | SweepJob | TuneJob, message: Control | Retune) -> None:
    if isinstance(message, Retune):
        job.update(message.settings)
    elif message.action is Action.TOUCH:
        job.snapshot()  # reading counts as watching
    elif message.action is Action.STOP:
        job.stop()
    elif message.action is Action.PAUSE:
        job.pause()
    elif message.action is Action.RESUME:
        job.resume()
    elif message.action is Action.STEP:
        job.step()


def worker_main(connection, limits: Limits) -> None:
    """A worker: warm up, then run each job the server starts here and obey its controls."""
    from ..training import Trainer, use_torch_threads

    use_torch_threads(limits.torch_threads)
    warm_up = RunConfig().replace(n_samples=100, n_features=4, hidden_dim=2, epochs=1)
    list(Trainer(warm_up).epochs())  # torch's thread pool and first kernels start here, after the fork
    lock = threading.Lock()

    def send(message) -> None:
        with lock, contextlib.suppress(OSError):  # the server has gone: recv() below ends this process
            connection.send(message)

    send(Ready())
    jobs: dict[int, TrainingJob | SweepJob | TuneJob] = {}  # the runs this worker trains now, each in its own thread
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):  # the server has gone: so does the worker
            return
        if isinstance(message, Start):
            try:
                job, publish = _start(message, limits)
            except DAEError as exc:
                send(Progress(message.job_id, _failed(message.spec, str(exc))))
                continue
            jobs = {i: other for i, other in jobs.items() if other.status not in FINAL_STATES}
            jobs[message.job_id] = job
            job.start()
            threading.Thread(target=publish, args=(message.job_id, job, send), daemon=True).start()
        elif message.job_id in jobs and jobs[message.job_id].status not in FINAL_STATES:
            _obey(jobs[message.job_id], message)
