"""Train: the settings, the run buttons and the live loss chart of the session's background training job."""

import streamlit as st

from dashboard import controls, frame, runs, settings
from dashboard.session import lab

frame.page(
    "Train",
    "Choose data, model, noise and training settings, then watch a denoising autoencoder learn: train loss, "
    "test MSE against the clean data, and the identity and PCA baselines it has to beat.",
    "press **Train**; while it runs, change the learning rate or noise level (the chart marks the change), "
    "then **Pause**, **Step** one epoch and **Resume**.",
    changes_settings=True,
    live_view=True,
)
live, form = st.columns([5, 3], gap="large")  # a narrow screen stacks them: the chart comes first
with form:
    controls.lesson_ui()  # a lesson's steps, beside the live view
    config = settings.settings_ui()
frame.settings_sidebar()  # after the widgets, so the link and the command show the settings just chosen
with live:
    controls.controls_ui(config)
    controls.live_view_ui()
state = lab()
if state.start_on_arrival:  # Home's one-click start, now that the page is out
    started = runs.start(state.config)  # a rerun that interrupts this leaves the request for the next run
    state.start_on_arrival = False
    if started:
        st.rerun()
