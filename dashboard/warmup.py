"""Paying the server's one-off costs in the background, so the server answers as soon as Streamlit is up.

:func:`warm_up` starts :func:`preload` in a thread, once per process: ``app.py``'s start-up hook calls it, and so
does the first page view when the server was started another way (tests). The training workers come first: their
fork server imports PyTorch in its own process, and a run started before they are ready waits in line saying
"warming up". :func:`preload_charts` makes the browser load Plotly's code while someone reads Home, so Train can draw
its live chart at once.
"""

from __future__ import annotations

import gc
import threading

import streamlit as st

from dae_core import RunConfig

from . import server

TINY_RUN = RunConfig().replace(n_samples=100, n_features=4, hidden_dim=2, epochs=1)

_preloaded = threading.Event()
_started = threading.Lock()
_thread: threading.Thread | None = None


def preloaded() -> bool:
    """Whether :func:`preload` has paid the one-off costs in this process."""
    return _preloaded.is_set()


def preload() -> None:
    """Pay the process's one-off costs: start the training workers (their fork server imports PyTorch once, in its
    own process, about 1.5 s on a small machine), meanwhile import PyTorch and Plotly's figure code here too, for the
    pages that build models and charts in the server, then wait until the workers are ready. A tiny run goes through
    a real job, so the job's own setup (torch's threads) is in place too. scikit-learn loads where a page first needs
    it. Later calls return at once."""
    if _preloaded.is_set():
        return
    server.store()  # opened and checked at the start: a folder it cannot use is in the log and on every page
    workers = server.pool().start(wait=False)  # their fork server imports PyTorch in its own process, meanwhile

    from dae_core import figures
    from dae_core.serving.job import TrainingJob

    job = TrainingJob(TINY_RUN).start()  # the server builds models for the pages: warm it too
    job.join()
    figures.loss_curves(job.snapshot().history)  # plotly's figure machinery, first used by Train's live chart
    workers.start(wait=True)
    # Everything loaded so far (modules, their functions and constants) lives as long as the process: move it
    # out of the collector's generations, so that a collection only walks what the visitors' runs made.
    gc.freeze()
    _preloaded.set()


def warm_up() -> threading.Thread:
    """Once per process, in a background thread: :func:`preload`. Returns that thread."""
    global _thread
    with _started:
        if _thread is None:
            import pandas  # noqa: F401  here, not in the thread: plotly's optional-import helper would take a pandas
            # that the other thread is halfway through importing (AttributeError: partially initialized module)

            _thread = threading.Thread(target=preload, name="dae-warm-up", daemon=True)
            _thread.start()
        return _thread


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
