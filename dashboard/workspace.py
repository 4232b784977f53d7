"""The visitor's workspace: their runs and models kept on the server (``dae_core.serving.store``), found again by
the token their own address carries (``?ws=…``), so a reload, a second tab or a server restart loses nothing. The
token opens a workspace only in the browser that made it (``SQLiteStore.access``, with the browser's cookie): an
address with another browser's token offers to copy that workspace's runs, and never adds the visitor's to it.

A run belongs to the workspace, not to the browser tab that started it: while it trains it is a ``LiveRun``, which
a reloaded page or a second tab joins (``LiveRuns.join``), and when it ends it is filed once, in every session that
shows it and in the store. A run the server's stop cuts off is kept as ``interrupted`` with the epochs it had
(``interrupt_live_runs``). The share link never carries the token: it gives the settings, not the runs.

The store never takes a page down (``dae_core.serving.store.FallbackStore``): a run it could not save stays in the
Experiments of each session that shows it, and those sessions say so where the run's status shows (``save_error``);
a table, a deletion or a forget it could not keep is said once, on the next page (``Lab.store_notes``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from dae_core import share
from dae_core.errors import DAEError
from dae_core.records import RunRecord, run_record
from dae_core.serving.job import KeptJob
from dae_core.serving.remote import RemoteJob
from dae_core.serving.snapshot import FINAL_STATES, INTERRUPTED, JobSnapshot
from dae_core.serving.store import FOREIGN, MISSING, OWN, StoreError
from dae_core.serving.worker import cached_dataset

from . import server
from .server import store
from .state import UPLOADED_DATASETS, Lab, Run, UploadedFile

SERVER_STOPPED = "the server stopped while it trained; the epochs it had are kept"
UNSAVED = (
    "Run #{serial} could not be saved: {reason}. It stays in Experiments until this tab closes; download its model "
    "from the sidebar to keep it."
)
UNREADABLE = (
    "The runs saved under this address cannot be opened while the store is out of use (see above). New runs are "
    "kept until the server stops."
)
FILE_SECONDS = 2.0  # how long a page that shows a run ending waits for it to be filed, to say at once if it failed

KEY = share.WORKSPACE_KEY  # the address bar's parameter


def open_workspace(state: Lab, token: str | None) -> list[str]:
    """Give the new session ``state`` its workspace: the one ``token`` names, with its runs and the last run's
    model restored, if it is this browser's own; else a new one. Another browser's workspace is never opened for
    writing: its runs are only offered to copy (``state.foreign``, see ``copy_foreign``). Returns what to tell the
    visitor."""
    access = store().access(token, state.browser) if token is not None else MISSING
    if access == OWN:
        state.workspace = token
        restore(state)
        return []
    state.workspace = store().new_workspace(state.browser)
    if access == FOREIGN:
        state.foreign = token
        return []
    if token is None:
        return []
    if server.store_problem():
        return [UNREADABLE]
    return [
        "The runs saved under this address are gone: they were forgotten, or not opened for "
        f"{server.LIMITS.retention_days:g} days. New runs are kept from now on."
    ]


def foreign_runs(state: Lab) -> int | None:
    """How many runs the other browser's workspace of the opening link holds, while they are still offered: until
    the visitor copies them or starts their own (by choice, or by a run); None when none are offered."""
    if state.foreign and (state.runs or state.run is not None):
        state.foreign = ""  # the visitor's own work has begun: the offer is over
    return store().run_count(state.foreign) if state.foreign else None


def copy_foreign(state: Lab) -> None:
    """Copy the offered workspace's runs, models and table into the visitor's own (the original is only read), and
    show them as a reload would."""
    try:
        store().copy(state.foreign, state.workspace)
    except StoreError as exc:
        state.store_notes.append(f"The runs could not be copied: {exc}. Try again later.")
        return
    state.foreign = ""
    restore(state)


def decline_foreign(state: Lab) -> None:
    state.foreign = ""


def restore(state: Lab) -> None:
    """Put the workspace's runs in Experiments, its last model on the analysis pages and its uploads in use."""
    table, pictures = store().table(state.workspace), store().table(state.workspace, "pictures")
    if table is not None:
        state.csv = UploadedFile.from_upload(*table)
    if pictures is not None:
        state.pictures = UploadedFile.from_upload(*pictures)
    saved = store().runs(state.workspace)
    state.runs[:] = saved
    state.serial = max((run.run for run in saved), default=0)
    if saved:
        state.run = kept_run(state, saved[-1])


def kept_run(state: Lab, record: RunRecord) -> Run:
    """The workspace's run ``record`` as the session's current run, ended: every page shows it as it did when it
    ended (its chart, its verdict, its model), and names it the same."""
    from dae_core import model_file

    model, trained = store().model(state.workspace, record.run), None
    with contextlib.suppress(DAEError):  # a file written by an older version: the record still shows
        trained = model_file.load(model) if model is not None else None
    snapshot = JobSnapshot.of_record(record, trained.weights_epoch if trained is not None else None)
    data = snapshot.config.data
    upload = state.uploaded(data.dataset)
    digest = data.images_digest if data.dataset == "images" else data.csv_digest

    def dataset():
        if upload is None and data.dataset in UPLOADED_DATASETS:
            return None  # its table or pictures are not in use now (never a path from the record): the pages say so
        if upload is not None and digest and not upload.digest.startswith(digest):
            return None  # another upload is in use now: the pages ask for the one it trained on
        try:
            return cached_dataset(snapshot.config.data, upload.data if upload else None)
        except DAEError:  # data this server cannot load now (MNIST's files gone): the pages say so
            return None

    return Run(record.run, KeptJob(snapshot, trained, dataset))


def last_saved_run(token: str) -> int:
    """The highest run number the workspace holds, so that two tabs on one address never reuse a number."""
    return store().last_run(token) if token else 0


def keep(token: str, record: RunRecord, trained) -> None:
    """Save a run that ended, with its model; called from the job's thread (no session there)."""
    from dae_core import model_file

    store().add_run(token, record, model_file.to_bytes(trained) if trained is not None else None)


# --- runs that train now ---------------------------------------------------------------------------------
@dataclass
class LiveRun:
    """A run training for a workspace, and the sessions that show it: the one that started it, and any reload or
    second tab of the same address since. It is filed once when it ends (``file``)."""

    token: str
    serial: int
    job: RemoteJob | None = None
    sessions: set[str] = field(default_factory=set)
    lists: list[list[RunRecord]] = field(default_factory=list)  # each session's Experiments
    filed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def watched(self, is_open: Callable[[str], bool]) -> bool:
        """Whether any session that shows the run is still open."""
        return any(is_open(session) for session in list(self.sessions))

    def file(self, snapshot: JobSnapshot, status: str | None = None, reason: str | None = None) -> None:
        """File the run that ended (the job's ``on_end``), once: in each session's Experiments and in the store,
        with its model, if it trained an epoch. Called from a job's or the pool's thread, with no session."""
        with self.lock:  # held while it files: a second caller (the server stopping) waits until it is kept
            if self.filed or not snapshot.history:
                self.filed = True
                return
            self.filed = True
            if reason is not None:
                snapshot = dataclasses.replace(snapshot, status=status, reason=reason)
            record = run_record(self.serial, snapshot)
            for runs in self.lists:
                runs.append(record)
            if self.token:
                try:
                    keep(self.token, record, self.job.trained_model() if self.job else None)
                except StoreError as exc:  # a full disk must not lose the run from the sessions: they say so
                    logging.getLogger(__name__).warning("could not save run %s: %s", self.serial, exc)
                    if self.job is not None:
                        _UNSAVED[self.job] = UNSAVED.format(serial=self.serial, reason=exc)


_UNSAVED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # job -> why its run could not be saved


def save_error(run: Run | None) -> str:
    """Why the session's run ``run`` could not be saved ("" when it was, or has not ended). A run that has just
    ended may still be being filed: the page that shows it ending waits for that a moment, to say it at once."""
    if run is None:
        return ""
    job = run.job
    if isinstance(job, RemoteJob) and job.status in FINAL_STATES:
        job.join(FILE_SECONDS)
    return _UNSAVED.get(job, "")


class LiveRuns:
    """Every run training now, by workspace; what a new session of the same address joins."""

    def __init__(self):
        self._lock = threading.Lock()
        self._runs: list[LiveRun] = []

    def add(self, live: LiveRun) -> None:
        with self._lock:
            self._runs = [run for run in self._runs if not run.filed] + [live]

    def join(self, token: str, session: str, runs: list[RunRecord]) -> LiveRun | None:
        """The newest run of workspace ``token`` that has not been filed, now shown by ``session`` too (whose
        Experiments list ``runs`` gets it when it ends); None if there is none."""
        with self._lock:
            live = next((run for run in reversed(self._runs) if run.token == token and not run.filed), None)
            if live is not None and live.job is not None:
                live.sessions.add(session)
                if all(runs is not other for other in live.lists):
                    live.lists.append(runs)
                return live
        return None

    def all(self) -> list[LiveRun]:
        with self._lock:
            return list(self._runs)


@functools.cache
def live_runs() -> LiveRuns:
    return LiveRuns()


def interrupt_live_runs() -> int:
    """The server is stopping: keep every run that trains now as ``interrupted``, with the epochs and the weights it
    has, and wait for any run being filed meanwhile (its workers may be stopping too). Returns how many it kept."""
    kept = 0
    for live in live_runs().all():
        if live.job is None:
            continue
        snapshot = live.job.snapshot()
        if snapshot.finished:
            live.file(snapshot)  # filed already, or being filed by the pool's thread: wait until it is kept
        else:
            kept += not live.filed
            live.file(snapshot, INTERRUPTED, SERVER_STOPPED)
    return kept


def delete_runs(state: Lab, numbers: list[int]) -> None:
    """Delete the runs ``numbers`` from Experiments and from the workspace."""
    state.runs[:] = [run for run in state.runs if run.run not in numbers]
    try:
        store().delete_runs(state.workspace, numbers)
    except StoreError as exc:
        names, one = ", ".join(f"#{number}" for number in numbers), len(numbers) == 1
        state.store_notes.append(
            f"{'Run' if one else 'Runs'} {names} could not be deleted from the store: {exc}. "
            f"{'It is' if one else 'They are'} gone from this tab; a reload may show {'it' if one else 'them'} again."
        )


def forget(state: Lab) -> None:
    """Delete the workspace and start an empty one: Experiments empties, and a kept run on show goes."""
    try:
        store().forget(state.workspace)
    except StoreError as exc:
        state.store_notes.append(f"Your runs could not be forgotten: {exc}. They are still kept; try again later.")
        return
    state.runs.clear()
    if state.run is not None and isinstance(state.run.job, KeptJob):
        state.run = None
    state.workspace = store().new_workspace(state.browser)


def keep_table(state: Lab, kind: str = "table") -> None:
    """Keep the upload of ``kind`` in use ("table" or "pictures"), or its removal, in the workspace, for the next
    reload."""
    upload = state.csv if kind == "table" else state.pictures
    try:
        if upload is None:
            store().delete_table(state.workspace, kind)
        else:
            store().put_table(state.workspace, upload.name, upload.data, kind)
    except StoreError as exc:
        noun = "table" if kind == "table" else "pictures"
        what = (
            f"The {noun} {upload.name}"
            if upload
            else ("The table's" if kind == "table" else "The pictures'") + " removal"
        )
        state.store_notes.append(f"{what} could not be kept for a reload: {exc}. This tab goes on with it as it is.")
