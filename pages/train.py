"""Train: the settings, the run buttons and the live loss chart of the session's background training job."""

import streamlit as st

from dae_core import figures
from dae_core.job import FINAL_STATES, PAUSED, QUEUED
from pages import common, layout

ss = st.session_state
BUTTONS = {  # label: what it does
    "Train": "Start a fresh run with these settings (a running one is stopped and kept in Experiments).",
    "Pause": "Hold after the current epoch.",
    "Resume": "Continue a paused run.",
    "Step": "Train exactly one more epoch, then hold (starts a new, paused run if none is going).",
    "Stop": "End the run; its model stays on the other pages.",
    "Reset": "Stop and clear the current run, keeping the settings.",
}
LIVE_SETTINGS = ("lr", "noise_level")  # reach a running job; every other change waits for Train


def controls_ui(config) -> None:
    action = ss.pop("clicked", None)
    if action and common.run_action(action, config):
        st.rerun()  # redraw everything, the sidebar and these buttons included, from the new state
    job = ss.job
    status = job.status if job else None
    alive = status is not None and status not in FINAL_STATES
    invalid = not ss.get("settings_valid", True)
    disabled = {
        "Train": invalid,
        "Pause": not alive or status == PAUSED,
        "Resume": status != PAUSED,
        "Step": status == QUEUED or (invalid and not alive),
        "Stop": not alive,
        "Reset": job is None,
    }
    row = st.container(horizontal=True, gap="small")  # wraps onto two lines on a narrow screen
    for label, help_text in BUTTONS.items():
        row.button(
            label,
            key=f"btn_{label.lower()}",
            type="primary" if label == "Train" else "secondary",
            disabled=disabled[label],
            help=help_text,
            on_click=ss.__setitem__,
            args=("clicked", label),  # acted on before the buttons are drawn, so they show the new state
        )
    if alive and drop_live(config.to_flat()) != drop_live(job.config.to_flat()):
        st.caption("Changed settings apply when you press **Train**; lr and noise level reach this run at once.")


def drop_live(flat: dict) -> dict:
    return {name: value for name, value in flat.items() if name not in LIVE_SETTINGS}


def status_ui(snapshot) -> None:
    notes = {  # status: (how, what); running needs no note
        QUEUED: (st.warning, "Queued: every training slot on this server is busy. The run starts when one frees up."),
        PAUSED: (st.info, "Paused. **Resume** continues, **Step** trains one epoch."),
        "done": (st.success, "Done: {}."),
        "stopped": (st.warning, "Run stopped: {}."),
        "failed": (st.error, "{}"),
    }
    if snapshot.status in notes:
        show, text = notes[snapshot.status]
        show(text.format(snapshot.reason))


def progress_ui(snapshot) -> None:
    last = snapshot.history[-1] if snapshot.history else None
    parts = [f"Epoch {snapshot.epoch}/{snapshot.total_epochs}", f"{snapshot.elapsed_seconds:.1f} s elapsed"]
    if snapshot.eta_seconds is not None and not snapshot.finished:
        parts.append(f"ETA {snapshot.eta_seconds:.0f} s")
    if last:
        parts.append(f"{last.samples_per_second:,.0f} samples/s")
    parts.append(snapshot.status)
    st.progress(min(1.0, snapshot.epoch / snapshot.total_epochs), text=" · ".join(parts))


def metrics_ui(snapshot, bounded: bool) -> None:
    history = snapshot.history
    numbers = common.summary_numbers(history[-1] if history else None)
    before = common.summary_numbers(history[-2] if len(history) > 1 else None)["test_mse"]
    cards = common.metric_row(4 if bounded else 3)
    test_mse = numbers["test_mse"]
    cards[0].metric(
        "Test MSE",
        "—" if test_mse is None else f"{test_mse:.4f}",
        delta=None if before is None else f"{test_mse - before:+.4f}",
        delta_color="inverse",
        help="Mean squared error of the reconstructions of noisy test rows, against the clean rows.",
    )
    gain = numbers["gain_over_identity"]
    cards[1].metric(
        "Gain over identity",
        "—" if gain is None else f"{gain:.2f}×",
        help="Identity MSE ÷ test MSE: how many times closer to the clean data than the noisy input itself. "
        "Below 1× the model is worse than doing nothing.",
    )
    ratio = numbers["ratio_to_pca"]
    cards[2].metric(
        "Ratio to PCA",
        "—" if ratio is None else f"{ratio:.2f}×",
        help="Test MSE ÷ PCA's, with as many components as the code. Below 1× the model beats PCA.",
    )
    if bounded:
        psnr = numbers["test_psnr"]
        cards[3].metric("PSNR", "—" if psnr is None else f"{psnr:.1f} dB", help="Peak signal-to-noise ratio.")


def live_frame() -> None:
    job = ss.job
    if job is None:
        return
    snapshot = job.snapshot()
    if snapshot.status != ss.get("drawn_status"):
        common.archive_job()
        st.rerun()  # a full rerun redraws the buttons and starts or ends the polling
    status_ui(snapshot)
    st.caption(f"Run {ss.job_name}")
    progress_ui(snapshot)
    figure = figures.loss_curves(snapshot.history, events=snapshot.events, title=f"Loss of run #{ss.job_serial}")
    st.plotly_chart(figure, key="loss")
    metrics_ui(snapshot, job.dataset is not None and job.dataset.bounded)


layout.page(
    "Train",
    "Choose data, model, noise and training settings, then watch a denoising autoencoder learn: train loss, "
    "test MSE against the clean data, and the identity and PCA baselines it has to beat.",
    "press **Train**; while it runs, change the learning rate or noise level (the chart marks the change), "
    "then **Pause**, **Step** one epoch and **Resume**.",
    changes_settings=True,
)
live, settings = st.columns([5, 3], gap="large")  # a narrow screen stacks them: the chart comes first
with settings:
    config = common.config_ui(ss.config)
layout.settings_sidebar()  # after the widgets, so the link and the command show the settings just chosen
with live:
    controls_ui(config)
    if ss.job is None:
        st.plotly_chart(figures.loss_curves([], title="Loss"), key="loss")
    else:
        ss.drawn_status = ss.job.status
        st.fragment(run_every=None if ss.drawn_status in FINAL_STATES else common.POLL_SECONDS)(live_frame)()
if ss.pop("start_on_arrival", False) and common.start_job(config):  # Home's one-click start, now the page is out
    st.rerun()
