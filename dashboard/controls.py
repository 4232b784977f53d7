"""The live view of a run on the Train page: the run buttons, its status, progress, metric cards and loss chart."""

from __future__ import annotations

import streamlit as st

from dae_core import RunConfig, figures, lesson_steps, records
from dae_core.config import FIELD_LABELS, device_label
from dae_core.serving.pool import WARMING_UP
from dae_core.serving.snapshot import DONE, FAILED, FINAL_STATES, INTERRUPTED, PAUSED, QUEUED, STOPPED, JobSnapshot
from dae_core.share import Teaching

from . import evaluation, notices, runs
from .link import share_url, sync_link
from .session import lab
from .widgets import copy_button_ui, metric_row, plain

BUTTONS = {  # label: what it does
    "Train": "Start a fresh run with these settings (a running one is stopped and kept in Experiments).",
    "Pause": "Hold after the current epoch.",
    "Resume": "Continue a paused run.",
    "Step": "Train exactly one more epoch, then hold (starts a new, paused run if none is going).",
    "Stop": "End the run; its model stays on the other pages.",
    "Reset": "Stop and clear the current run, keeping the settings.",
}
INTERRUPTED_BUTTONS = {
    "Continue": "A new run that starts from this run's weights, under its last settings, for the epochs it had left.",
    "Discard": "Delete this run from the workspace.",
}
NOTES = {  # status: (how, what); running needs no note
    QUEUED: (st.warning, "Queued ({}): every training slot on this server is busy. The run starts when one frees up."),
    PAUSED: (st.info, "Paused. **Resume** continues, **Step** trains one epoch."),
    DONE: (st.success, "Done: {}."),
    STOPPED: (st.warning, "Run stopped: {}."),
    INTERRUPTED: (st.warning, "Run interrupted: {}."),
    FAILED: (st.error, "{}"),
}


def controls_ui(config: RunConfig) -> None:
    """The run buttons; a click is acted on before they are drawn, so they show the new state."""
    action = st.session_state.pop("clicked", None)
    refused = _refused(action)
    if action and not refused and runs.act(action, config):
        st.rerun()  # redraw everything, the sidebar included, from the new state
    state = lab()
    job = state.run.job if state.run else None
    status = job.status if job else None
    alive = status is not None and status not in FINAL_STATES
    invalid = state.form_error is not None or state.data_problem is not None  # said beside the settings
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
            on_click=st.session_state.__setitem__,
            args=("clicked", label),
        )
    if status == INTERRUPTED:  # cut off by a stopped server or a dead worker: go on from its weights, or let it go
        row = st.container(horizontal=True, gap="small")
        for label, help_text in INTERRUPTED_BUTTONS.items():
            row.button(label, key=f"btn_{label.lower()}", help=help_text, on_click=st.session_state.__setitem__,
                       args=("clicked", label))  # fmt: skip
    if refused:
        st.error(refused)
    if state.data_problem is not None and not alive:
        st.caption("**Train** waits for data it can use: see the Data settings.")
    if alive and runs.with_table(config).fixed_settings() != job.config.fixed_settings():
        st.caption("Changed settings apply when you press **Train**; lr and noise level reach this run at once.")


def _refused(action: str | None) -> str | None:
    """Why a click that would start a run starts none: a value typed into the settings that cannot be used (the
    button is disabled then, but a value typed and the button clicked at once arrive together). The run would
    otherwise train the settings from before it."""
    error = lab().form_error
    if error is None or action not in ("Train", "Step") or (action == "Step" and runs.live_job() is not None):
        return None
    return (
        f"**{action}** started no run: {plain(FIELD_LABELS.get(error.name, error.name))} holds a value that cannot "
        f"be used (see the message under the settings). Fix it, then press **{action}** again."
    )


def progress_ui(snapshot: JobSnapshot) -> None:
    if snapshot.status == QUEUED and snapshot.reason == WARMING_UP:
        st.info("Warming up… the server has just started and its training processes are loading PyTorch; this run "
                "starts in a few seconds.")  # fmt: skip
    elif snapshot.status in NOTES:
        show, text = NOTES[snapshot.status]
        show(text.format(plain(snapshot.reason)))
    last = snapshot.history[-1] if snapshot.history else None
    parts = [f"Epoch {snapshot.epoch}/{snapshot.total_epochs}", f"{snapshot.elapsed_seconds:.1f} s training"]
    if snapshot.eta_seconds is not None:
        parts.append(f"ETA {snapshot.eta_seconds:.0f} s")
    if last:
        parts.append(f"{last.samples_per_second:,.0f} samples/s")
    parts.append(snapshot.status)
    st.progress(min(1.0, snapshot.epoch / snapshot.total_epochs), text=" · ".join(parts))


def metrics_ui(snapshot: JobSnapshot, bounded: bool) -> None:
    history = snapshot.history
    now = records.Summary.of(history[-1] if history else None)
    before = records.Summary.of(history[-2] if len(history) > 1 else None).test_mse
    cards = metric_row(4 if bounded else 3)
    change = None if before is None or now.test_mse is None else round(now.test_mse - before, 4)
    cards[0].metric(
        "Test MSE",
        "—" if now.test_mse is None else f"{now.test_mse:.4f}",
        delta=None if change is None else f"{change:+.4f}" if change else "±0.0000",
        delta_color="inverse" if change else "off",
        delta_arrow="auto" if change else "off",
        help="Mean squared error of the reconstructions of noisy test rows, against the clean rows.",
    )
    cards[1].metric(
        "Ratio to identity",
        records.format_ratio(now.ratio_to_identity),
        help="Test MSE ÷ the identity's (the noisy input itself). Below 1× the model beats doing nothing.",
    )
    cards[2].metric(
        "Ratio to PCA",
        records.format_ratio(now.ratio_to_pca),
        help="Test MSE ÷ PCA's, with as many components as the code. Below 1× the model beats PCA.",
    )
    if bounded:
        psnr = now.test_psnr
        cards[3].metric("PSNR", "—" if psnr is None else f"{psnr:.1f} dB", help="Peak signal-to-noise ratio.")


def live_frame() -> None:
    """One frame of the current run, redrawn by a timer while it trains; a new status or poll rate redraws the
    whole page (the buttons, the sidebar, and the timer itself)."""
    run = lab().run
    if run is None:
        return
    snapshot = runs.redraw_if_changed(run)
    on = device_label(snapshot.config.train.device)
    st.caption(f"Run {records.run_name(run.serial, snapshot.settings)}, on {on}")
    progress_ui(snapshot)
    notices.unsaved_ui(run)
    dataset = run.job.dataset
    progress = lesson_progress(snapshot)
    if progress is not None and progress.states != st.session_state.get(STEPS_DRAWN):
        st.rerun()  # a step is done: redraw the whole page, the lesson's panel included
    if progress is not None and progress.cue:  # the lesson reacts to the run, redrawn with it
        st.info(progress.cue, icon=":material/school:")
    if snapshot.finished and snapshot.history:
        said = records.verdict(
            snapshot.history,
            snapshot.weights_epoch,
            code_size=snapshot.config.model.code_size(dataset.image_shape if dataset is not None else None),
            input_size=dataset.n_features if dataset is not None else None,
        )
        st.markdown(f"**Verdict:** {said}")
    shows = (snapshot.epoch, len(snapshot.events))
    if run.chart is None or run.chart[0] != shows:  # a poll with no new epoch reuses the figure
        run.chart = shows, figures.loss_curves(snapshot.history, snapshot.events, f"Loss of run #{run.serial}")
    st.plotly_chart(run.chart[1], key="loss")
    evaluation.live_images_ui(run, snapshot)  # images: a few noisy test images and what the model makes of them
    metrics_ui(snapshot, dataset is not None and dataset.bounded)


def live_view_ui() -> None:
    """The Train page's live column under the buttons: an empty chart, or the run's frame, polled while it trains.

    This is the page's only timer: the sidebar of a page with a live view of its own does not poll."""
    run = lab().run
    if run is None:
        st.plotly_chart(figures.loss_curves([], title="Loss"), key="loss")
        return
    st.fragment(run_every=runs.follow(run))(live_frame)()


STEP_BADGES = {  # a step's state: (label, icon, colour) of its badge
    lesson_steps.DONE: ("Done", ":material/check:", "green"),
    lesson_steps.NEXT: ("Next", ":material/arrow_forward:", "blue"),
    lesson_steps.TO_DO: ("To do", ":material/radio_button_unchecked:", "gray"),
    lesson_steps.SKIPPED: ("Skipped", ":material/block:", "gray"),
}
STEPS_DRAWN = "lesson_steps_drawn"  # session key: the step states the lesson's panel last drew


def lesson_progress(snapshot: JobSnapshot | None = None) -> lesson_steps.Progress | None:
    """Where the learner is in the lesson a link opened, from the session's runs and the current run (``snapshot``,
    or the run's own); None when no lesson is open."""
    state = lab()
    chosen = state.teaching.lesson
    if chosen is None:
        return None
    if snapshot is None and state.run is not None:
        snapshot = state.run.job.snapshot()
    current = None if snapshot is None else lesson_steps.Attempt(snapshot.config, snapshot.history, snapshot.finished)
    return chosen.progress(list(state.runs), current, state.teaching.hide)


def lesson_ui() -> None:
    """The lesson a link opened: what it shows, its numbered steps with where the learner is, and a way out."""
    chosen = lab().teaching.lesson
    if chosen is None:
        return
    progress = lesson_progress()
    st.session_state[STEPS_DRAWN] = progress.states
    with st.container(border=True, key="lesson"):
        st.markdown(f"**Lesson: {chosen.title}**  \n{chosen.summary}")
        for step in progress.steps:
            label, icon, colour = STEP_BADGES[step.state]
            row = st.container(horizontal=True, gap="small")
            row.badge(label, icon=icon, color=colour)
            row.markdown(f"**Step {step.number}.** {step.text}")
        copy_button_ui(st, share_url(), "Copy the lesson's link", "A link that opens this lesson, as set up now")
        st.button(
            "Leave the lesson",
            key="btn_leave_lesson",
            on_click=_leave_lesson,
            type="tertiary",
            icon=":material/logout:",
            help="Show every setting again. The settings and the run stay as they are.",
        )


def _leave_lesson() -> None:
    lab().teaching = Teaching()
    sync_link()
