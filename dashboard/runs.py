"""Runs: starting, controlling and ending the session's training job, and the model the analysis pages show.

Training never runs in a page, nor in the web server's interpreter: each run is a ``dae_core.serving.remote.RemoteJob``
trained by one of the pool's worker processes, and the pages poll its local mirror. A run that ends
adds itself to the session's list of runs (the job's ``on_end``), in one place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from dae_core import RunConfig, records
from dae_core.config import LIVE_SETTINGS
from dae_core.errors import DAEError
from dae_core.serving.pool import WARMING_UP
from dae_core.serving.remote import RemoteJob
from dae_core.serving.snapshot import FINAL_STATES, PAUSED, QUEUED, RUNNING, JobSnapshot

from . import server, workspace
from .data import dataset_for
from .session import current_session, lab
from .state import Run, UploadedModel
from .widgets import plain
from .workspace import LiveRun, last_saved_run, live_runs

if TYPE_CHECKING:
    from dae_core.data import Dataset
    from dae_core.training import TrainedModel

POLL_SECONDS = 0.5  # a page with a live view polls a training run twice a second
SLOW_POLL_SECONDS = 1.0  # the sidebar, and a run waiting in line: only its place changes
RESTING_POLL_SECONDS = 5.0  # a paused run: it changes by itself only when a limit (its wall time) stops it
ANSWER_SECONDS = 1.0  # a run button waits this long for the run to do as asked, so the page redraws once, after
FIRST_POINT_SECONDS = 1.0  # a new run's page waits up to this long for its first epoch, to open on a drawn chart
STOP_SECONDS = 5.0  # how long Train or Reset waits for a replaced run to end and file itself in Experiments
NO_MODEL = "Train a model on the Train page first, or upload one in the sidebar."
NEEDS_ITS_UPLOAD = {
    "csv": "This model was trained on a CSV table. Upload the same table on the Train page to see it here.",
    "images": "This model was trained on uploaded pictures. Upload the same zip on the Train page to see it here.",
}
NO_DATA = "This run's data cannot be loaded on this server now; train it again on data that is here."
MAKE_ONE_HERE = "To make one, train a run here and download it from the sidebar's Export (Model file)."


def live_job() -> RemoteJob | None:
    """The session's job if it has not ended."""
    run = lab().run
    return run.job if run is not None and run.job.status not in FINAL_STATES else None


def poll_seconds(run: Run | None, snapshot: JobSnapshot | None = None, fastest: float = POLL_SECONDS) -> float | None:
    """How often a page polls ``run``: while it trains or waits in line, or is about to train (resumed, or with a
    stepped epoch on its way); seldom while it rests paused, so that the page says so when the wall-time limit (or
    another tab) stops it; never once it has ended."""
    if run is None:
        return None
    snapshot = snapshot or run.job.snapshot()
    about_to_train = not run.held or snapshot.epoch < run.until_epoch
    if snapshot.status == RUNNING or (snapshot.status == PAUSED and about_to_train):
        return fastest
    if snapshot.status == QUEUED:  # warming up: it starts in a moment; in line: only its place changes
        return fastest if snapshot.reason == WARMING_UP else max(fastest, SLOW_POLL_SECONDS)
    if snapshot.status == PAUSED:
        return RESTING_POLL_SECONDS
    return None


def follow(run: Run, fastest: float = POLL_SECONDS) -> float | None:
    """Note the run's status as this page draws it, and say how often the page's one timer should poll it."""
    snapshot = run.job.snapshot()
    run.drawn = (snapshot.status, poll_seconds(run, snapshot, fastest))
    return run.drawn[1]


def redraw_if_changed(run: Run, fastest: float = POLL_SECONDS) -> JobSnapshot:
    """In a polling fragment: the run's snapshot, unless its status or poll rate changed since the page was
    drawn, in which case the whole page is redrawn (its buttons, sidebar and timer follow the new state)."""
    snapshot = run.job.snapshot()
    if (snapshot.status, poll_seconds(run, snapshot, fastest)) != run.drawn:
        st.rerun()
    return snapshot


def visitor_key() -> str:
    """Who is starting work, for the pool's cap of runs one visitor may have going (``Limits.runs_per_session``):
    the one place a run or a view's sweep gets its visitor. It is the browser (its cookie's hash), so every tab of
    one browser counts together; a browser that sends no cookie counts per session."""
    return hashlib.sha256(lab().browser.encode()).hexdigest()[:32]


def start(config: RunConfig, *, paused: bool = False, initial: dict | None = None) -> bool:
    """Start a fresh run of ``config`` for the workspace (the previous one is stopped and kept in Experiments);
    False, with the reason on the page, if it cannot start."""
    state, config = lab(), with_table(config)
    try:
        dataset = dataset_for(config.data)
        serial = max(state.serial, last_saved_run(state.workspace)) + 1  # a second tab's runs keep their numbers
        live = LiveRun(state.workspace, serial, sessions={current_session()}, lists=[state.runs])
        upload = state.uploaded(config.data.dataset)
        live.job = RemoteJob(
            config,
            dataset,
            pool=server.pool(),
            table=upload.data if upload else None,
            limits=server.LIMITS,
            start_paused=paused,
            on_end=live.file,
            page_open=page_open(live),
            initial=initial,
            visitor=visitor_key(),
        )
        live.job.start(replacing=live_job())  # admitted, or refused naming a limit: the current run then goes on
    except DAEError as exc:
        st.error(plain(str(exc)))
        return False
    discard()
    live_runs().add(live)  # a reload or a second tab of this address joins it from now on
    state.serial, state.run, state.show = serial, Run(serial, live.job, held=paused), "run"
    if not paused:
        live.job.wait_for_epochs(1, FIRST_POINT_SECONDS)
    return True


def with_table(config: RunConfig) -> RunConfig:
    """``config`` naming the upload in use when it trains on a CSV table or pictures (file name and content hash), so
    that its run, record and Experiments say which it was; the form's settings leave it out (a link never names a
    file)."""
    upload = lab().uploaded(config.data.dataset)
    if upload is None:
        return config
    if config.data.dataset == "images":
        return config.replace(images_path=upload.name, images_digest=upload.digest[:12])
    return config.replace(csv_path=upload.name, csv_digest=upload.digest[:12])


def page_open(live: LiveRun | None = None):
    """Whether a page that shows ``live`` (or, without it, this session's page) is still connected, askable from any
    thread; None outside a server."""
    from streamlit import runtime

    if not runtime.exists():
        return None
    instance, session = runtime.get_instance(), current_session()
    if live is None:
        return lambda: instance.is_active_session(session)
    return lambda: live.watched(instance.is_active_session)


def act(action: str, config: RunConfig) -> bool:
    """What a run button does (Train, Pause, Resume, Step, Stop, Reset); False if a run could not start."""
    run = lab().run
    if action == "Train":
        return start(config)
    if action == "Step":
        if live_job() is None and not start(config, paused=True):
            return False
        run = lab().run
        run.held, run.until_epoch = True, run.job.snapshot().epoch + 1
        run.job.step()
        run.job.wait_for(lambda s: s.epoch >= run.until_epoch or s.finished, ANSWER_SECONDS)
    elif action == "Reset":
        discard()
    elif action == "Continue":
        return continue_interrupted()
    elif action == "Discard":
        workspace.delete_runs(lab(), [run.serial])
        lab().run = None
    elif run is not None:
        job = run.job
        if action == "Pause":
            run.held = True
            job.pause()
            job.wait_for(lambda s: s.status != RUNNING, ANSWER_SECONDS)
        elif action == "Resume":
            run.held = False
            job.resume()
            job.wait_for(lambda s: s.status != PAUSED, ANSWER_SECONDS)
        elif action == "Stop":
            job.stop()
            job.join(ANSWER_SECONDS)
    return True


def continue_interrupted() -> bool:
    """Train on from where an interrupted run was cut off: a new run that starts from its kept weights, under the
    settings it ended with, for the epochs it had left (the optimizer's state starts afresh)."""
    from dae_core.training import arrays_of

    run = lab().run
    snapshot, trained = run.job.snapshot(), run.job.trained_model()
    if trained is None:
        st.error("This run kept no weights to go on from. Press **Train** to start afresh.")
        return False
    config = trained.settings.replace(epochs=max(1, snapshot.total_epochs - snapshot.weights_epoch))
    if not start(config, initial=arrays_of(trained.model.state_dict())):
        return False
    st.toast(f"Run #{lab().serial} goes on from run #{run.serial} at its epoch {snapshot.weights_epoch}.")
    return True


def discard() -> None:
    """Stop the current run and let it file itself in Experiments; the Train page then starts afresh."""
    state = lab()
    if state.run is not None:
        state.run.job.stop()
        state.run.job.join(STOP_SECONDS)  # at most the rest of one epoch
        state.run = None


def send_live_changes(old: RunConfig, new: RunConfig) -> None:
    """A changed learning rate or noise level reaches a running job at its next epoch; the chart marks when."""
    job = live_job()
    if job is None:
        return
    try:
        settings, changes = job.snapshot().settings.take_live(old, new)
    except DAEError as exc:
        st.warning(f"The running job kept its value: {plain(exc)}")
        return
    if not changes:
        return
    job.update(settings)
    for name, value in changes.items():
        st.toast(f"{LIVE_SETTINGS[name].capitalize()} {value:g} from the next epoch")


# --- the model on show -------------------------------------------------------------------------------
@dataclass
class Shown:
    """The model the analysis pages show, with the dataset it was trained on."""

    trained: TrainedModel
    dataset: Dataset | None
    label: str
    token: tuple  # changes whenever the weights change, for memo keys
    live: bool  # its job is still training
    settings: RunConfig  # the settings the weights were trained under at the end: live changes included
    missing_data: str = ""  # why ``dataset`` is None


def shown_model() -> Shown | None:
    state = lab()
    if state.upload and (state.show == "upload" or state.run is None):
        return _uploaded_model(state.upload)
    run = state.run
    if run is None:
        return None
    snapshot = run.job.snapshot()
    epoch = snapshot.weights_epoch
    if run_model(run, snapshot) is None:
        return None
    live = not snapshot.finished
    state_now = {RUNNING: " (still training)", PAUSED: " (paused)", QUEUED: " (queued)"}.get(snapshot.status, "")
    label = f"run {records.run_name(run.serial, snapshot.settings)} at epoch {epoch}{state_now}"
    dataset = run.job.dataset
    missing = "" if dataset is not None else NEEDS_ITS_UPLOAD.get(snapshot.config.data.dataset, NO_DATA)
    return Shown(run.model[1], dataset, label, ("run", run.serial, epoch), live, snapshot.settings, missing)


def run_model(run: Run, snapshot: JobSnapshot) -> TrainedModel | None:
    """The run's model at the epoch whose weights it holds now, built once per epoch; None before its first."""
    epoch = snapshot.weights_epoch
    if epoch < 1:  # the initial weights: nothing trained to show yet
        return None
    if run.model is None or run.model[0] != epoch:
        trained = run.job.trained_model()
        if trained is None:
            return None
        run.model = (epoch, trained)
    return run.model[1]


def _uploaded_model(upload: UploadedModel) -> Shown:
    trained = upload.trained
    dataset, missing = None, ""
    name = trained.config.data.dataset
    if name in NEEDS_ITS_UPLOAD and not lab().uploaded(name):
        missing = NEEDS_ITS_UPLOAD[name]
    else:
        try:
            dataset = dataset_for(trained.config.data)
        except DAEError as exc:
            missing = str(exc)
    if dataset is not None and list(dataset.feature_names) != list(trained.feature_names):
        dataset = None
        missing = (
            f"The model expects the features {', '.join(trained.feature_names[:6])}…, "
            "but the current table has other columns. Upload the table it was trained on."
        )
    return Shown(trained, dataset, upload.label, ("upload", upload.digest), False, trained.settings, missing)


def require_model(*, redrawn_live: bool = False) -> Shown:
    """The model on show and its data, or an explanation and the end of the page.

    ``redrawn_live``: the page follows a training run by itself; otherwise it offers a button to catch up.
    """
    shown = shown_model()
    if shown is None:
        if live_job() is not None:
            st.info("Training is starting; the first epoch appears here in a moment. Press **Refresh** to see it.")
            st.button("Refresh", key="btn_refresh", icon=":material/refresh:")
        else:
            st.info(NO_MODEL)
        st.stop()
    if shown.dataset is None:
        st.info(plain(shown.missing_data))
        st.stop()
    if shown.live and not redrawn_live:
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.caption(f"Showing {plain(shown.label)}. Press **Refresh** or change a setting here to see a later epoch.")
        button.button("Refresh", key="btn_refresh", icon=":material/refresh:", width="stretch")
    else:
        st.caption(f"Showing {plain(shown.label)}.")
    return shown


def load_upload(file_name: str, data: bytes) -> str | None:
    """Read an uploaded model file and show it; returns the error message instead if it is not a model file."""
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    state = lab()
    if state.upload and state.upload.digest == digest:
        return None
    from dae_core import model_file

    try:
        server.LIMITS.check_upload(len(data), "model file")
        trained = model_file.load(data, max_parameters=server.LIMITS.max_parameters)  # refused before it is allocated
    except DAEError as exc:  # the engine's advice names the command line; here the app makes model files itself
        return str(exc).replace(model_file.MAKE_ONE, MAKE_ONE_HERE)
    state.upload, state.show = UploadedModel(file_name, digest, trained, model_file.describe(trained)), "upload"
    return None
