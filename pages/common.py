"""Shared pieces of the dashboard: session state, the settings widgets, the training job and the model on show.

Pages are glue: they call these helpers, ask ``dae_core`` for numbers and ``dae_core.figures`` for charts.
Training never runs here; it runs in a ``dae_core.job.TrainingJob`` kept in the session, and pages poll it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from dae_core import DataConfig, RunConfig, share
from dae_core.config import ACTIVATIONS, DATASETS, LOSSES, MAX_GAUSSIAN_SIGMA, NOISE_TYPES, OPTIMIZERS
from dae_core.errors import DAEError, DataError
from dae_core.job import FINAL_STATES, PAUSED, TrainingJob

if TYPE_CHECKING:  # torch and scikit-learn load in the warm-up thread, after the first page is out
    from dae_core.data import Dataset
    from dae_core.training import EpochRecord, TrainedModel

NO_MODEL = "Train a model on the Train page first, or upload one in the sidebar."
IDLE_TIMEOUT_SECONDS = 120.0  # pages poll the job while it runs, so a closed tab stops its job after two minutes
MAX_WALL_SECONDS = 900.0  # one run on the shared demo trains for at most 15 minutes
POLL_SECONDS = 0.5  # the live chart redraws twice a second
FIRST_POINT_SECONDS = 1.0  # a new run's page waits up to this long for its first epoch, to open on a drawn chart
MAX_PARAMETERS = 5_000_000  # ~80 MB with Adam's state: keeps one run on a shared server affordable
WARM_UP_DELAY_SECONDS = 0.1  # lets the first page's own script run (~30 ms) go before the one-off imports
MEMO_SIZE = 24  # derived results (reconstructions, projections, probes) kept per session

# (file, title, icon, what it shows): navigation and the Home page's map both read this list.
PAGES = [
    ("pages/home.py", "Home", ":material/home:", "What a denoising autoencoder is, and a one-click start."),
    ("pages/train.py", "Train", ":material/model_training:", "Settings, live loss chart, pause, step and stop."),
    ("pages/reconstructions.py", "Reconstructions", ":material/compare:", "Original, noisy and reconstructed."),
    ("pages/latent.py", "Latent space", ":material/scatter_plot:", "The codes in 2-D, and a linear probe."),
    ("pages/filters.py", "Filters", ":material/grid_on:", "What each hidden unit looks for, live."),
    ("pages/experiments.py", "Experiments", ":material/table_chart:", "Every finished run, compared."),
]
DATASET_LABELS = {
    "synthetic": "synthetic (tabular)",
    "digits": "digits (8×8 images)",
    "moons": "moons (2-D)",
    "circles": "circles (2-D)",
    "spiral": "spiral (2-D)",
    "csv": "CSV upload",
}
NOISE_LABELS = {"gaussian": "Gaussian", "masking": "masking", "salt_pepper": "salt and pepper"}


# --- session state -----------------------------------------------------------------------------------
def init_state() -> None:
    """Set up the session once; the first run reads the settings from the link it was opened with."""
    ss = st.session_state
    if "config" in ss:
        return
    config, messages = share.config_from_query(st.query_params.to_dict())
    ss.config = config
    ss.link_messages = messages  # shown until the settings change
    ss.job, ss.job_serial, ss.job_name = None, 0, ""
    ss.archived = set()  # job serials already copied to ss.runs
    ss.runs = []  # finished runs as plain data: config, final numbers, history
    ss.uploaded = None  # {"name", "trained", "summary"} of an imported model file
    ss.show = "job"  # which model the pages show: "job" or "upload"
    ss.csv = None  # {"name", "data", "digest"} of the uploaded table
    ss.memo = {}


def set_config(config: RunConfig, *, from_widgets: bool = False) -> None:
    """Make ``config`` the current settings; a change from outside the widgets redraws them from it."""
    ss = st.session_state
    if config != ss.config:
        ss.link_messages = []
    ss.config = config
    if not from_widgets:
        for key in list(ss.keys()):
            if str(key).startswith("w_") and key != "w_csv_file":
                del ss[key]
    sync_link()


def dismiss_link_messages() -> None:
    """Any change to the settings answers the notes about a link's bad values (a widget callback)."""
    st.session_state.link_messages = []


def sync_link() -> None:
    """Mirror the current settings in the address bar, so the URL is a shareable link."""
    wanted = share.to_query(st.session_state.config)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def share_url() -> str:
    """The full link to the current settings (just the query string where the address is unknown)."""
    query = "&".join(f"{k}={v}" for k, v in share.to_query(st.session_state.config).items())
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{query}" if query else base or "(the defaults: no parameters)"


MIME_TYPES = {".csv": "text/csv", ".json": "application/json", ".dae": "application/zip"}


def download_ui(where, label: str, data, file_name: str, key: str, help: str | None = None) -> None:
    """One full-width download button; ``data`` may be a callable, run only when someone clicks."""
    mime = MIME_TYPES[file_name[file_name.rindex(".") :]]
    where.download_button(
        label, data, file_name=file_name, mime=mime, key=key, on_click="ignore", width="stretch", help=help
    )


def metric_row(count: int) -> list:
    """``count`` slots for ``st.metric`` cards, side by side, wrapping onto more lines on a narrow screen."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width="content") for _ in range(count)]


def memo(key: tuple, compute):
    """A small per-session cache for results derived from one model (keys include the model's token)."""
    cache = st.session_state.memo
    if key not in cache:
        if len(cache) >= MEMO_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = compute()
    return cache[key]


_preloaded = threading.Event()


def preload() -> None:
    """Pay the process's one-off costs: importing PyTorch and scikit-learn (about a second each on a small
    machine), torch's first optimizer (it imports ``torch._dynamo``, another second) and plotly's figure code.
    ``app.py``'s server runs it before it answers; later calls return at once."""
    if _preloaded.is_set():
        return
    import torch

    from dae_core import figures
    from dae_core.training import Trainer

    torch.set_num_threads(1)  # small models train 1.3-3x faster on one thread; sessions do not fight over cores
    record = Trainer(RunConfig().replace(n_samples=100, n_features=4, hidden_dim=2, epochs=1)).run_epoch()
    figures.loss_curves([record])  # plotly's figure machinery, first used by Train's live chart
    _preloaded.set()


def _warm_up() -> None:
    if not _preloaded.is_set():
        time.sleep(WARM_UP_DELAY_SECONDS)  # importing torch holds the interpreter lock: let the page's run go first
        preload()


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Once per server, in a background thread: :func:`preload`, unless the server's start has done it."""
    thread = threading.Thread(target=_warm_up, name="dae-warm-up", daemon=True)
    thread.start()
    return thread


@st.fragment(run_every=1.0)
def preload_charts() -> None:
    """A second after the page is out, draw an invisible Plotly chart, and keep it drawn.

    The browser fetches and parses Plotly's code (about 1.5 s on a small machine) the first time a chart is
    drawn. Doing that while someone reads Home, rather than in their page load, lets Train draw its live chart
    as soon as it opens.
    """
    if not st.session_state.get("charts_preloaded"):
        st.session_state.charts_preloaded = True
        return
    import plotly.graph_objects as go

    hidden = {"visible": False}
    blank = go.Figure(layout={"height": 10, "margin": dict.fromkeys("lrtb", 0), "xaxis": hidden, "yaxis": hidden})
    st.plotly_chart(blank, key="preload_charts", config={"staticPlot": True, "displayModeBar": False})


# --- data ------------------------------------------------------------------------------------------
@st.cache_resource(max_entries=16, show_spinner="Loading the dataset…")
def _cached_dataset(data: DataConfig, csv_digest: str, _csv_data: bytes | None) -> Dataset:
    from dae_core.data import load_dataset

    return load_dataset(data, _csv_data)


def dataset_for(data: DataConfig) -> Dataset:
    """The split, scaled dataset for ``data``, shared by every session; a CSV comes from this session's upload.

    The dashboard never reads a CSV path from the settings: a link must not make the server open its files.
    """
    csv = st.session_state.csv if data.dataset == "csv" else None
    if data.dataset == "csv" and csv is None:
        raise DataError("The 'csv' dataset needs a table: upload a CSV file in the Data settings on the Train page.")
    data = dataclasses.replace(data, csv_path="")
    warm_up().join()  # it is paying the same one-off import costs; on 2 cores, wait rather than race it
    return _cached_dataset(data, csv["digest"] if csv else "", csv["data"] if csv else None)


def csv_columns(data: bytes) -> list[str]:
    """Column names of an uploaded table, for the label-column choice; raises DataError if it cannot be read."""
    import pandas as pd

    try:
        return [str(c) for c in pd.read_csv(io.BytesIO(data), nrows=0).columns]
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise DataError("The CSV file could not be read. Check that it is comma-separated UTF-8 text.") from None


def remember_csv(name: str, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if not st.session_state.csv or st.session_state.csv["digest"] != digest:
        st.session_state.csv = {"name": name, "data": data, "digest": digest}


# --- the settings widgets ----------------------------------------------------------------------------
def _widget_values(config: RunConfig) -> dict:
    d, n, m, t = config.data, config.noise, config.model, config.train
    return {
        "w_dataset": d.dataset,
        "w_n_samples": d.n_samples,
        "w_n_features": d.n_features,
        "w_label_column": d.label_column or "(none)",
        "w_hidden_dim": m.hidden_dim,
        "w_hidden_layers": ",".join(str(w) for w in m.hidden_layers),
        "w_activation": m.activation,
        "w_noise": n.noise,
        "w_noise_level": float(n.noise_level),
        "w_loss": t.loss,
        "w_optimizer": t.optimizer,
        "w_lr": float(t.lr),
        "w_batch_size": t.batch_size,
        "w_epochs": t.epochs,
        "w_seed": t.seed,
    }


def config_ui(current: RunConfig) -> RunConfig:
    """The settings widgets, drawn from ``current``; returns the new settings (``current`` if they are invalid).

    A change of lr or noise level while a run is going is sent to the job; other changes wait for Train.
    """
    ss = st.session_state
    for key, value in _widget_values(current).items():
        ss.setdefault(key, value)
    st.subheader("Data")
    dataset = st.selectbox(
        "Dataset",
        DATASETS,
        format_func=DATASET_LABELS.get,
        key="w_dataset",
        on_change=dismiss_link_messages,
        help="What the autoencoder learns.",
    )
    values = {"dataset": dataset, "label_column": "", "csv_path": ""}
    if dataset == "csv":
        values.update(_csv_ui())
    elif dataset != "digits":
        left, right = st.columns(2)
        values["n_samples"] = left.number_input(
            "Samples",
            50,
            100_000,
            step=50,
            key="w_n_samples",
            on_change=dismiss_link_messages,
            help="Rows generated; 20% are held out for testing.",
        )
        if dataset == "synthetic":
            values["n_features"] = right.number_input(
                "Features",
                2,
                1000,
                key="w_n_features",
                on_change=dismiss_link_messages,
                help="Columns of the synthetic table (the seed used 20).",
            )
    st.subheader("Model")
    left, right = st.columns(2)
    values["hidden_dim"] = left.number_input(
        "Code size",
        1,
        1024,
        key="w_hidden_dim",
        on_change=dismiss_link_messages,
        help="hidden_dim: width of the bottleneck code, 1 to 1024.",
    )
    values["activation"] = right.selectbox(
        "Activation",
        ACTIVATIONS,
        key="w_activation",
        on_change=dismiss_link_messages,
        help="Non-linearity after every hidden layer.",
    )
    layers_text = st.text_input(
        "Hidden layers",
        key="w_hidden_layers",
        on_change=dismiss_link_messages,
        placeholder="none, e.g. 128,64",
        help="Encoder widths between the input and the code, comma-separated; the decoder mirrors them. "
        "Empty for none; up to 8 layers of 1 to 4096 units.",
    )
    st.subheader("Noise")
    left, right = st.columns(2)
    noise = left.selectbox(
        "Noise type",
        NOISE_TYPES,
        format_func=NOISE_LABELS.get,
        key="w_noise",
        on_change=dismiss_link_messages,
        help="Gaussian adds N(0, σ²); masking zeroes a fraction of entries; salt and pepper sets a fraction "
        "to each column's low or high end.",
    )
    high = MAX_GAUSSIAN_SIGMA if noise == "gaussian" else 1.0
    ss.w_noise_level = min(ss.w_noise_level, high)  # switching from Gaussian may leave σ above a fraction's range
    values["noise_level"] = right.slider(
        "Noise level",
        0.0,
        high,
        step=0.05,
        key="w_noise_level",
        on_change=dismiss_link_messages,
        help="σ in scaled units for Gaussian (0 to 3), otherwise the fraction of entries hit (0 to 1). "
        "Can be changed while training.",
    )
    values["noise"] = noise
    st.subheader("Training")
    left, right = st.columns(2)  # one row per pair, so a narrow screen stacks them in reading order
    values["loss"] = left.selectbox(
        "Loss",
        LOSSES,
        key="w_loss",
        on_change=dismiss_link_messages,
        help="Reconstruction loss against the clean input.",
    )
    values["optimizer"] = right.selectbox(
        "Optimizer", OPTIMIZERS, key="w_optimizer", on_change=dismiss_link_messages, help="sgd uses momentum 0.9."
    )
    left, right = st.columns(2)
    values["lr"] = left.number_input(
        "Learning rate",
        1e-6,
        10.0,
        step=1e-4,
        format="%g",
        key="w_lr",
        on_change=dismiss_link_messages,
        help="Step size, 1e-6 to 10. Can be changed while training.",
    )
    values["batch_size"] = right.number_input(
        "Batch size",
        0,
        100_000,
        key="w_batch_size",
        on_change=dismiss_link_messages,
        help="Rows per step; 0 trains on the full batch.",
    )
    left, right = st.columns(2)
    values["epochs"] = left.number_input(
        "Epochs", 1, 10_000, key="w_epochs", on_change=dismiss_link_messages, help="Passes over the training rows."
    )
    values["seed"] = right.number_input(
        "Seed",
        0,
        2**31 - 1,
        key="w_seed",
        on_change=dismiss_link_messages,
        help="Model initialisation, batch order and noise draws.",
    )
    st.button(
        "Default settings",
        key="btn_defaults",
        on_click=set_config,
        args=(RunConfig(),),
        type="tertiary",
        icon=":material/restart_alt:",
        help="Put every setting back to its default.",
    )
    try:
        config = RunConfig.from_flat({"hidden_layers": layers_text}, base=current.replace(**values))
    except DAEError as exc:
        st.error(f"{exc}\n\nThe settings were not changed; fix the value above.")
        ss.settings_valid = False
        return current
    ss.settings_valid = True
    _send_live_changes(current, config)
    set_config(config, from_widgets=True)
    return config


def _csv_ui() -> dict:
    ss = st.session_state
    upload = st.file_uploader(
        "CSV table",
        type=["csv"],
        key="w_csv_file",
        on_change=dismiss_link_messages,
        help="Numeric columns, one row per sample, up to 50 MB.",
    )
    if upload is not None:
        remember_csv(upload.name, upload.getvalue())
    if not ss.csv:
        st.info("Upload a CSV table with numeric columns to train on it.")
        return {"csv_path": ""}
    try:
        columns = csv_columns(ss.csv["data"])
    except DataError as exc:
        st.error(str(exc))
        return {"csv_path": ss.csv["name"]}
    if ss.get("w_label_column") not in ["(none)", *columns]:
        ss.w_label_column = "(none)"
    label = st.selectbox(
        "Label column",
        ["(none)", *columns],
        key="w_label_column",
        on_change=dismiss_link_messages,
        help="Optional: a column of class labels, kept out of the features and used to colour the codes.",
    )
    values = {"csv_path": ss.csv["name"], "label_column": "" if label == "(none)" else label}
    try:
        dataset = dataset_for(DataConfig(dataset="csv", label_column=values["label_column"]))
        st.caption(
            f"{ss.csv['name']}: {len(dataset.X_train) + len(dataset.X_test)} rows × {dataset.n_features} features"
        )
    except DAEError as exc:
        st.error(str(exc))
    return values


def _send_live_changes(old: RunConfig, new: RunConfig) -> None:
    """lr and noise level reach a running job at its next epoch; the chart marks when."""
    job = live_job()
    if job is None:
        return
    try:
        if new.train.lr != old.train.lr:
            job.set_lr(new.train.lr)
            st.toast(f"Learning rate {new.train.lr:g} from the next epoch")
        if new.noise.noise_level != old.noise.noise_level and new.noise.noise == job.config.noise.noise:
            job.set_noise_level(new.noise.noise_level)
            st.toast(f"Noise level {new.noise.noise_level:g} from the next epoch")
    except DAEError as exc:
        st.warning(f"The running job kept its value: {exc}")


# --- the training job --------------------------------------------------------------------------------
def live_job() -> TrainingJob | None:
    """The session's job if it has not finished."""
    job = st.session_state.job
    return job if job is not None and job.status not in FINAL_STATES else None


def run_name(serial: int, config: RunConfig) -> str:
    layers = "-".join(str(w) for w in config.model.hidden_layers)
    shape = f"{layers}-{config.model.hidden_dim}" if layers else str(config.model.hidden_dim)
    noise = f"{NOISE_LABELS[config.noise.noise]} {config.noise.noise_level:g}"
    return f"#{serial} {config.data.dataset}, code {shape}, {noise}, lr {config.train.lr:g}"


def start_job(config: RunConfig, *, paused: bool = False) -> TrainingJob | None:
    """Start a fresh run of ``config`` (the previous one is stopped and kept in Experiments)."""
    ss = st.session_state
    try:
        dataset = dataset_for(config.data)
        from dae_core.model import parameter_count

        size = parameter_count(dataset.n_features, config.model)
        if size > MAX_PARAMETERS:
            raise DataError(
                f"This model has {size:,} parameters; the limit here is {MAX_PARAMETERS:,}. "
                "Use a smaller code size or fewer, narrower hidden layers."
            )
    except DAEError as exc:
        st.error(str(exc))
        return None
    import torch

    torch.set_num_threads(1)  # small models train 1.3-3x faster on one thread; sessions do not fight over cores
    discard_job()
    ss.job_serial += 1
    ss.job_name = run_name(ss.job_serial, config)
    ss.job = TrainingJob(
        config,
        dataset,
        idle_timeout=IDLE_TIMEOUT_SECONDS,
        max_wall_seconds=MAX_WALL_SECONDS,
        start_paused=paused,
    ).start()
    ss.show = "job"
    if not paused:
        ss.job.wait_for_epochs(1, FIRST_POINT_SECONDS)
    return ss.job


def run_action(action: str, config: RunConfig) -> bool:
    """What a run button does (Train, Pause, Resume, Step, Stop, Reset); False if a run could not start."""
    job = st.session_state.job
    if action == "Train":
        return start_job(config) is not None
    if action == "Step":
        if live_job() is None:
            job = start_job(config, paused=True)
        if job is not None:
            job.step()
        return job is not None
    if action == "Reset":
        discard_job()
    elif job is not None:
        {"Pause": job.pause, "Resume": job.resume, "Stop": job.stop}[action]()
    return True


def discard_job() -> None:
    """Stop the current job and keep what it did in Experiments; the Train page then starts afresh."""
    ss = st.session_state
    if ss.job is not None:
        ss.job.stop()
        archive_job(force=True)
        ss.job = None


def archive_job(force: bool = False) -> None:
    """Copy the current job to the runs table once it has finished (or now, with ``force``)."""
    ss = st.session_state
    job = ss.job
    if job is None or ss.job_serial in ss.archived:
        return
    snapshot = job.snapshot()
    if not (snapshot.finished or force):
        return
    ss.archived.add(ss.job_serial)
    if snapshot.history:
        status = snapshot.status if snapshot.finished else "stopped"
        ss.runs.append(run_record(ss.job_serial, ss.job_name, job.config, snapshot, status))


def summary_numbers(record: EpochRecord | None) -> dict:
    """The headline numbers of one epoch: test MSE, gain over the identity, ratio to PCA, PSNR.

    Both baselines are ratios: the gain is identity MSE ÷ test MSE (above 1× beats doing nothing), the ratio
    to PCA is test MSE ÷ PCA MSE (below 1× beats PCA).
    """
    if record is None:
        return {"test_mse": None, "gain_over_identity": None, "ratio_to_pca": None, "test_psnr": None}
    return {
        "test_mse": record.test_mse,
        "gain_over_identity": record.identity_mse / record.test_mse if record.test_mse else None,
        "ratio_to_pca": record.test_mse / record.pca_mse if record.pca_mse else None,
        "test_psnr": record.test_psnr,
    }


def run_record(serial: int, name: str, config: RunConfig, snapshot, status: str) -> dict:
    """One finished run as plain data (no model): what the Experiments page lists, plots and downloads."""
    history = snapshot.history
    last = snapshot.kept_record or history[-1]  # the epoch whose weights the run kept (the best, if stopped early)
    return {
        "run": serial,
        "name": name,
        "status": status,
        "reason": snapshot.reason,
        "epochs": len(history),
        **summary_numbers(last),
        "identity_mse": last.identity_mse,
        "pca_mse": last.pca_mse,
        "seconds": round(snapshot.elapsed_seconds, 2),
        "config": config.to_dict(),
        "history": [record.to_dict() for record in history],
    }


# --- the model on show -------------------------------------------------------------------------------
@dataclass
class Shown:
    """The model the analysis pages show, with the dataset it was trained on."""

    trained: TrainedModel
    dataset: Dataset | None
    label: str
    token: tuple  # changes whenever the weights change, for memo keys
    live: bool  # its job is still training
    missing_data: str = ""  # why ``dataset`` is None


def shown_model() -> Shown | None:
    ss = st.session_state
    if ss.show == "upload" and ss.uploaded:
        return _uploaded_model()
    job = ss.job
    if job is None:
        return _uploaded_model() if ss.uploaded else None
    epoch, _ = job.weights()
    if epoch < 1:
        return None
    cached = ss.get("job_model")
    if not cached or cached[:2] != (ss.job_serial, epoch):
        ss.job_model = (ss.job_serial, epoch, job.trained_model())
    live = job.status not in FINAL_STATES
    label = f"run {ss.job_name} at epoch {epoch}" + (" (still training)" if live else "")
    return Shown(ss.job_model[2], job.dataset, label, ("job", ss.job_serial, epoch), live)


def _uploaded_model() -> Shown:
    upload = st.session_state.uploaded
    trained = upload["trained"]
    dataset, missing = None, ""
    data = trained.config.data
    if data.dataset == "csv" and not st.session_state.csv:
        missing = "This model was trained on a CSV table. Upload the same table on the Train page to see it here."
    else:
        try:
            dataset = dataset_for(data)
        except DAEError as exc:
            missing = str(exc)
    if dataset is not None and list(dataset.feature_names) != list(trained.feature_names):
        dataset, missing = (
            None,
            (
                f"The model expects the features {', '.join(trained.feature_names[:6])}…, "
                "but the current table has other columns. Upload the table it was trained on."
            ),
        )
    return Shown(trained, dataset, f"file {upload['name']}", ("upload", upload["digest"]), False, missing)


def require_model(*, redrawn_live: bool = False) -> Shown:
    """The model on show and its data, or an explanation and the end of the page.

    ``redrawn_live``: the page follows a training run by itself; otherwise it offers a button to catch up.
    """
    shown = shown_model()
    if shown is None:
        job = st.session_state.job
        if job is not None and job.status not in FINAL_STATES:
            st.info("Training is starting; the first epoch appears here in a moment. Reload the page to see it.")
        else:
            st.info(NO_MODEL)
        st.stop()
    if shown.dataset is None:
        st.info(shown.missing_data)
        st.stop()
    if shown.live and not redrawn_live:
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.caption(f"Showing {shown.label}. Press **Refresh** or change a setting here to see a later epoch.")
        button.button("Refresh", key="btn_refresh", icon=":material/refresh:", width="stretch")
    else:
        st.caption(f"Showing {shown.label}.")
    return shown


def load_uploaded_model(name: str, data: bytes) -> str | None:
    """Read an uploaded model file and show it; returns the error message instead if it is not a model file."""
    digest = hashlib.sha256(data).hexdigest()
    current = st.session_state.uploaded
    if current and current["digest"] == digest:
        return None
    from dae_core import io as model_io

    try:
        trained = model_io.load(data)
    except DAEError as exc:
        return str(exc)
    summary = model_io.describe(trained)
    st.session_state.uploaded = {"name": name, "digest": digest, "trained": trained, "summary": summary}
    st.session_state.show = "upload"
    return None


def history_csv(history) -> str:
    import pandas as pd  # 0.3-0.5 s to import: not on the first page a visitor sees

    return pd.DataFrame([r if isinstance(r, dict) else r.to_dict() for r in history]).to_csv(index=False)


def is_paused(job: TrainingJob | None) -> bool:
    return job is not None and job.status == PAUSED
