"""The Tune page's work: a search started in the worker pool for the visitor's workspace, found again by any session
of that workspace (a reload, a second tab), read back from its stored study after a restart, and drawn live."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

import streamlit as st

from dae_core import figures
from dae_core.config import RunConfig
from dae_core.errors import ConfigError, DAEError
from dae_core.serving.limits import LIMITS_TABLE
from dae_core.serving.remote import RemoteTune
from dae_core.tune import (
    COMPLETE,
    FAILED,
    PRUNED,
    RUNNING,
    TuneResult,
    TuneSpec,
    default_storage,
    latest_stored,
    new_study_name,
    parse_search,
    parse_test_noise,
)

from . import runs, server
from .session import current_session, lab
from .widgets import metric_row, plain

POLL_SECONDS = 1.0
DEFAULT_TRIALS = 20
_STATE_LABELS = {RUNNING: "running", COMPLETE: "done", PRUNED: "pruned", FAILED: "failed"}


@dataclass
class Search:
    """A search training for a workspace, and the sessions that show it."""

    sessions: set[str] = field(default_factory=set)
    job: RemoteTune | None = None  # set once the pool has taken it


_LOCK = threading.Lock()
_SEARCHES: dict[str, Search] = {}  # by workspace: the newest search each one started on this server


def owner() -> str:
    """Whose searches these are: the workspace (every tab and reload of its address), else this browser."""
    state = lab()
    return hashlib.sha256((state.workspace or state.browser).encode()).hexdigest()[:16]


def study_prefix() -> str:
    """The names of this workspace's studies begin with it, so a restarted server finds the newest."""
    return f"web-{owner()}-"


def most_trials() -> int:
    return server.LIMITS.max_trials


def make_spec(base: RunConfig, search: str, trials: int, metric: str, test_noise: str) -> TuneSpec:
    """The search the form describes, or a ``ConfigError`` with the message the command line gives for it."""
    limit = most_trials()
    if not 1 <= trials <= limit:
        raise ConfigError(
            f"Trials must be between 1 and {limit:,}, the most one search runs here "
            f"({LIMITS_TABLE['max_trials'][0]}). Got {trials:,}."
        )
    space = parse_search(search, base)
    noise = parse_test_noise(test_noise)
    pruner = "none" if metric == "probe_accuracy" else "median"
    return TuneSpec(base, space, trials, metric, noise, "tpe", pruner, base.train.seed,
                    storage=default_storage(), study=new_study_name(base, study_prefix()))  # fmt: skip


def start(spec: TuneSpec) -> RemoteTune | None:
    """Run ``spec`` in the pool for this workspace, stopping its earlier search; None, with the reason on the page,
    if it is refused (past a limit, the queue full, or the visitor's runs all going)."""
    key, session = owner(), current_session()
    with _LOCK:
        earlier = _SEARCHES.get(key)
    entry = Search({session})
    try:
        job = RemoteTune(spec, pool=server.pool(), limits=server.LIMITS, page_open=_open_check(entry),
                         visitor=runs.visitor_key())  # fmt: skip
        job.start(replacing=earlier.job if earlier else None)  # one of the visitor's runs, replacing the last
    except DAEError as exc:
        st.error(plain(str(exc)))
        return None
    entry.job = job
    if earlier is not None and earlier.job is not None:
        earlier.job.stop()
    with _LOCK:
        _SEARCHES[key] = entry
    return job


def _open_check(entry: Search):
    """Whether any session that shows the search is still open (its idle rule), askable from any thread."""
    from streamlit import runtime

    if not runtime.exists():
        return None
    instance = runtime.get_instance()
    return lambda: any(instance.is_active_session(session) for session in list(entry.sessions))


def current() -> RemoteTune | None:
    """This workspace's newest search on this server, now shown by this session too; None if it has started none."""
    with _LOCK:
        entry = _SEARCHES.get(owner())
        if entry is None or entry.job is None:
            return None
        entry.sessions.add(current_session())
        return entry.job


def stored() -> tuple[TuneSpec, TuneResult] | None:
    """This workspace's newest study as its storage keeps it (after a restart of the server)."""
    return latest_stored(default_storage(), study_prefix())


def progress_ui(job: RemoteTune, drawn_status: str) -> None:
    """The search's progress, its trials and its figures, redrawn every poll; the page reruns when it ends."""
    snapshot = job.snapshot()
    if snapshot.status != drawn_status:
        st.rerun()
    done = min(1.0, snapshot.epoch / max(1, snapshot.total_trials))
    st.progress(done, text=f"Trial {snapshot.epoch} of {snapshot.total_trials} ended · {plain(snapshot.reason)}")
    if snapshot.result is not None:
        result_ui(snapshot.result, live=True)


def result_ui(result: TuneResult, *, live: bool = False) -> None:
    """The best trial, the table of trials and Optuna's figures."""
    best = result.best
    cards = metric_row(4)
    cards[0].metric("Trials", len(result.trials))
    cards[1].metric("Complete", result.count(COMPLETE))
    cards[2].metric("Pruned", result.n_pruned, help="Stopped early: behind the median of the earlier trials.")
    cards[3].metric(f"Best {result.metric.replace('_', ' ')}", "–" if best is None else f"{best.value:.4g}")
    st.dataframe(trials_table(result), hide_index=True, key="tune_trials" + ("_live" if live else ""))
    drawn = figures.tune_figures(result)
    left, right = st.columns(2)
    if drawn.history is not None:
        left.plotly_chart(drawn.history, key="tune_history")
    if drawn.importances is not None:
        right.plotly_chart(drawn.importances, key="tune_importances")
    if drawn.parallel is not None:
        st.plotly_chart(drawn.parallel, key="tune_parallel")
    for note in drawn.notes:
        st.caption(note)


def best_text(result: TuneResult) -> str:
    """The best trial in words: its number, metric and settings."""
    best = result.best
    settings = ", ".join(f"{name} = {_value(value)}" for name, value in best.params.items())
    return f"trial {best.number}, {result.metric.replace('_', ' ')} {best.value:.4g}: {settings}"


def trials_table(result: TuneResult) -> list[dict]:
    """One row per trial: its state, settings and numbers."""
    rows = []
    for row in sorted(result.trials, key=lambda row: row.number):
        shown = {"trial": row.number, "state": _STATE_LABELS.get(row.state, row.state)}
        shown |= {name: _value(value) for name, value in row.params.items()}
        shown |= {
            result.metric.replace("_", " "): row.value,
            "epochs": row.epochs,
            "seconds": round(row.seconds, 1),
            "why": row.reason,
        }
        rows.append(shown)
    return rows


def _value(value) -> str | float | int:
    return float(f"{value:.4g}") if isinstance(value, float) else value
