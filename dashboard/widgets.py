"""Small display helpers every page uses: download buttons, rows of metric cards, inline code and a memo."""

from __future__ import annotations

import html
import re

import streamlit as st

from .session import lab

MIME_TYPES = {".csv": "text/csv", ".json": "application/json", ".dae": "application/zip"}
MEMO_SIZE = 24  # derived results (reconstructions, projections, probes) kept per session


def download_ui(where, label: str, data, file_name: str, key: str, help: str | None = None) -> None:
    """One full-width download button, made when someone clicks: ``data`` is bytes, text or a callable.

    Never sent ahead: the browser fetches every ready-made download's address each time the page is drawn, so a
    file sent with each redraw is a file downloaded with each redraw (or a 404 once a later redraw replaced it).
    """
    mime = MIME_TYPES[file_name[file_name.rindex(".") :]]
    deferred = data if callable(data) else lambda: data
    where.download_button(
        label, deferred, file_name=file_name, mime=mime, key=key, on_click="ignore", width="stretch", help=help
    )


def metric_row(count: int) -> list:
    """``count`` slots for ``st.metric`` cards, side by side, wrapping onto more lines on a narrow screen."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width="content") for _ in range(count)]


def number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def code_span(text: str) -> str:
    """Inline code: wraps, selects with a triple click, and, unlike st.code, needs no 1.5 MB highlighter on load.

    The fence is one backtick longer than any run of backticks in ``text``, so a backtick in a user's text (a CSV
    column name in a link, say) cannot end the span early (CommonMark's rule for code spans).
    """
    text = " ".join(text.splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_MARKUP = re.compile(r"([\\`*~\[\]<>$|])")
_AUTOLINK = re.compile(r"(?i)(?<=[a-z]):(?=//)|(?<=www)\.|@")  # what starts an autolink: "http://", "www.", "a@b"
WORD_JOINER = "\u2060"  # invisible, and breaks what Markdown would read as a URL or an e-mail address


def plain(text: str) -> str:
    """``text`` from a link, a file or a table, made safe to show in Markdown (alerts, captions, labels).

    It keeps its words but loses every construct that could make a link, an image, HTML, a formula, code or
    emphasis (a phishing link in a link's value, an image the browser would fetch), and its line breaks.
    """
    text = " ".join(str(text).splitlines())
    # A backslash does not stop the renderer's autolinks (GFM finds "https://…" in the text after escapes): a word
    # joiner right before the ":" of "://", the "." of "www." or the "@" does, and reads the same.
    return _AUTOLINK.sub(lambda m: WORD_JOINER + m.group(0), _MARKUP.sub(r"\\\1", text))


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
    options = lab().page_options
    st.session_state[key] = options.setdefault(key, default)
    return {"key": key, "on_change": _remember, "args": (key,)}


def _remember(key: str) -> None:
    lab().page_options[key] = st.session_state[key]


_COPY_BUTTON = """<button type="button" class="dae-copy" data-text="{text}" data-label="{label}"
title="{tooltip}">{label}</button>
<style>.dae-copy{{font:inherit;font-size:0.9rem;padding:0.3rem 0.8rem;border-radius:0.5rem;cursor:pointer;
border:1px solid rgba(128,128,128,0.4);background:transparent;color:inherit}}
.dae-copy:hover{{border-color:#8C2130;color:#8C2130}}</style>
<script>
document.querySelectorAll("button.dae-copy:not([data-bound])").forEach(function (button) {{
  button.dataset.bound = "1";
  button.addEventListener("click", function () {{
    var text = button.dataset.text;
    var done = function () {{
      button.textContent = "Copied";
      setTimeout(function () {{ button.textContent = button.dataset.label; }}, 1500);
    }};
    if (navigator.clipboard && window.isSecureContext) {{
      navigator.clipboard.writeText(text).then(done);
    }} else {{  // plain http: the old way
      var area = document.createElement("textarea");
      area.value = text;
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      done();
    }}
  }});
}});
</script>"""


def copy_button_ui(where, text: str, label: str = "Copy link", tooltip: str = "Copy to the clipboard") -> None:
    """A button that copies ``text`` to the clipboard in the browser, without a rerun.

    ``text`` travels HTML-escaped in a data attribute and is read back by the click handler, so no character of
    a link (a CSV column's name is the user's) can break out of it. Without a secure context (a server on plain
    http), the copy falls back to selecting a hidden text area.
    """
    where.html(
        _COPY_BUTTON.format(text=html.escape(text, quote=True), label=html.escape(label), tooltip=html.escape(tooltip)),
        unsafe_allow_javascript=True,
    )
