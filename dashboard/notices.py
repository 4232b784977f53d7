"""What the store could not do, said where the visitor looks: on every page, that runs are not being saved and why
(``server.store_problem``); once, what this session's workspace could not keep (``Lab.store_notes``); and beside a
run's status, that it could not be saved (``workspace.save_error``)."""

from __future__ import annotations

import streamlit as st

from . import server, workspace
from .session import lab
from .state import Run
from .widgets import plain


def store_ui() -> None:
    """The banner under every page's title while runs are not being saved, and the session's notes, once."""
    problem = server.store_problem()
    if problem:
        st.warning(plain(problem), icon=":material/cloud_off:")
    state = lab()
    for note in state.store_notes:
        st.error(plain(note))
    state.store_notes.clear()


def unsaved_ui(run: Run | None) -> None:
    """Under a run's status: that the run could not be saved, and how to keep it."""
    message = workspace.save_error(run)
    if message:
        st.error(plain(message))
