"""Tune: a hyperparameter search with Optuna around the settings on Train, run in the worker pool and drawn live."""

import streamlit as st

from dae_core.errors import ConfigError
from dae_core.tune import METRICS, default_space
from dashboard import frame, link, papers, tune
from dashboard.session import lab
from dashboard.widgets import plain, remembered

frame.page(
    "Tune",
    "Search hyperparameters with Optuna. Each trial trains the settings on **Train** with the searched ones changed, "
    "and is scored on one fixed noisy test set; a trial that falls behind the others stops early (pruned).",
    "press **Start search** with the ranges below, watch the trials fill in, then **Train this** on the best.",
)
base = lab().config
data = base.data
st.caption(
    f"Fixed for every trial (change them on **Train**): {data.dataset} data, {base.noise.noise} noise, "
    f"{base.train.epochs} epochs, seed {base.train.seed}."
)
search = st.text_area(
    "Search space",
    help="NAME=LOW..HIGH (add :log for a log scale) or NAME=A|B|C, separated by spaces. Settings: noise_level, lr, "
    "weight_decay, hidden_dim, code_channels, batch_size, noise, activation, optimizer, architecture, hidden_layers "
    "(widths such as 128,64, or none), conv_channels.",
    height=68,
    **remembered(f"tune_search_{data.dataset}_{base.model.architecture}", default_space(base)),
)
trials_col, metric_col, noise_col = st.columns(3)
trials = trials_col.number_input(
    "Trials",
    min_value=1,
    step=1,
    help=f"At most {tune.most_trials()} here.",
    **remembered("tune_trials", min(tune.DEFAULT_TRIALS, tune.most_trials())),
)
metric = metric_col.selectbox(
    "Metric", list(METRICS), help="; ".join(f"{name}: {what}" for name, (_, what) in METRICS.items()),
    **remembered("tune_metric", "test_mse"),
)  # fmt: skip
test_noise = noise_col.text_input(
    "Test noise",
    help="TYPE:LEVEL of the fixed noisy test inputs every trial is scored on, e.g. masking:0.5.",
    **remembered(f"tune_test_noise_{base.noise.noise}", f"{base.noise.noise}:{base.noise.noise_level:g}"),
)
try:
    spec = tune.make_spec(base, search, int(trials), metric, test_noise)
except ConfigError as exc:
    st.error(plain(str(exc)))
    spec = None

job = tune.current()
start_col, stop_col = st.columns([1, 1])
label = "Start search" if job is None else "Start a new search"
if start_col.button(label, key="btn_tune_start", type="primary", disabled=spec is None, width="stretch"):
    job = tune.start(spec) or job
snapshot = job.snapshot() if job is not None else None
if snapshot is not None and not snapshot.finished:
    if stop_col.button("Stop", key="btn_tune_stop", icon=":material/stop:", width="stretch"):
        papers.stop(job)  # as a view's sweep stops
    st.fragment(run_every=tune.POLL_SECONDS)(tune.progress_ui)(job, snapshot.status)
    st.stop()

if snapshot is not None:
    found, shown = job.spec, snapshot.result
    st.caption(f"Search ended: {plain(snapshot.reason)}.")
else:
    kept = tune.stored()
    if kept is None:
        st.info("Press **Start search**: each trial is one training run, a few seconds on the default data.")
        st.stop()
    found, shown = kept
    st.caption(f"Your last search, as its study keeps it ({found.study}).")
if shown is None:
    st.stop()
best = shown.best_config(found.base)
if best is not None:
    button_col, best_col = st.columns([1, 4], vertical_alignment="center")
    if button_col.button("Train this", key="btn_tune_train_this", icon=":material/model_training:", width="stretch"):
        link.set_config(best)
        st.switch_page("pages/train.py")
    best_col.markdown(f"**Best:** {tune.best_text(shown)}")
tune.result_ui(shown)
