"""Small display helpers every page uses: download buttons, rows of metric cards, inline code and a memo."""

from __future__ import annotations

import streamlit as st

from .state import lab

MIME_TYPES = {".csv": "text/csv", ".json": "application/json", ".dae": "application/zip"}
MEMO_SIZE = 24  # derived results (reconstructions, projections, probes) kept per session


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


def number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def code_span(text: str) -> str:
    """Inline code: wraps, selects with a triple click, and, unlike st.code, needs no 1.5 MB highlighter on load."""
    return f"`{text}`"


def memo(key: tuple, compute):
    """A small per-session cache for results derived from one model (keys include the model's token)."""
    cache = lab().memo
    if key not in cache:
        if len(cache) >= MEMO_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = compute()
    return cache[key]


def remembered(key: str, default) -> dict:
    """Keyword arguments that draw the widget ``key`` with the value the user last gave it, on any page visit.

    Streamlit forgets the value of a widget that was not drawn in a run; the session's state keeps it.
    Use as ``st.toggle("Label", **remembered("filters_normalize", True))``.
    """
    views = lab().views
    st.session_state[key] = views.setdefault(key, default)
    return {"key": key, "on_change": _remember, "args": (key,)}


def _remember(key: str) -> None:
    lab().views[key] = st.session_state[key]
