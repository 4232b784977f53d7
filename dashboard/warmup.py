"""Paying the server's one-off costs before anyone waits for them: imports, torch's first step, Plotly's code.

``app.py``'s server runs :func:`preload` before it answers; served another way (tests), the first page view
starts it in a background thread (:func:`warm_up`). :func:`preload_charts` makes the browser load Plotly's code
while someone reads Home, so Train can draw its live chart at once.
"""

from __future__ import annotations

import gc
import threading
import time

import streamlit as st

from dae_core import RunConfig

from . import server

WARM_UP_DELAY_SECONDS = 0.1  # lets the first page's own script run (~30 ms) go before the one-off imports
TINY_RUN = RunConfig().replace(n_samples=100, n_features=4, hidden_dim=2, epochs=1)

_preloaded = threading.Event()


def preloaded() -> bool:
    """Whether :func:`preload` has paid the one-off costs in this process."""
    return _preloaded.is_set()


def preload() -> None:
    """Pay the process's one-off costs: importing PyTorch and scikit-learn (about a second each on a small
    machine), torch's first optimizer (it imports ``torch._dynamo``, another second) and plotly's figure code.
    A tiny run goes through a real job, so the job's own setup (torch's threads) is in place too, and the
    training workers start and warm up meanwhile. Later calls return at once."""
    if _preloaded.is_set():
        return
    from dae_core import figures
    from dae_core.serving.job import TrainingJob

    server.store()  # opened and checked at the start: a folder it cannot use is in the log and on every page
    workers = server.pool().start(wait=False)  # they import torch in their own processes, alongside the lines below
    job = TrainingJob(TINY_RUN).start()  # the server builds models for the pages: warm it too
    job.join()
    figures.loss_curves(job.snapshot().history)  # plotly's figure machinery, first used by Train's live chart
    workers.start(wait=True)
    # Everything loaded so far (modules, their functions and constants) lives as long as the process: move it
    # out of the collector's generations, so that a collection only walks what the visitors' runs made.
    gc.collect()
    gc.freeze()
    _preloaded.set()


def _warm_up() -> None:
    if not _preloaded.is_set():
        time.sleep(WARM_UP_DELAY_SECONDS)  # importing torch holds the interpreter lock: let the page's run go first
        preload()


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Once per server, in a background thread: :func:`preload`, unless the server's start has done it."""
    import pandas  # noqa: F401  here, not in the thread: plotly's optional-import helper would take a pandas
    # that the other thread is halfway through importing (AttributeError: partially initialized module 'pandas')

    thread = threading.Thread(target=_warm_up, name="dae-warm-up", daemon=True)
    thread.start()
    return thread


def preload_charts() -> None:
    """Draw an invisible Plotly chart at the end of Home, so the browser fetches and parses Plotly's code (about
    1.5 s on a small machine) while someone reads Home rather than when Train opens its live chart.

    Not a timed fragment: a ``run_every`` timer keeps sending fragment reruns for Home after "Train with defaults"
    was pressed, and when the server is busy one of them runs after the switch to Train. Streamlit 1.67 then tells
    the browser a run of Home has started (a ``new_session`` with Home's page hash), the browser empties the page,
    and Train's next fragment update points into the emptied tree ("Bad delta path index"): React unmounts the app
    and the page stays blank.
    """
    import plotly.graph_objects as go

    hidden = {"visible": False}
    blank = go.Figure(layout={"height": 10, "margin": dict.fromkeys("lrtb", 0), "xaxis": hidden, "yaxis": hidden})
    st.plotly_chart(blank, key="preload_charts", config={"staticPlot": True, "displayModeBar": False})
