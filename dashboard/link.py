"""The link that mirrors the session's settings: the address bar, the share link, and the one way to set them.

The address bar also holds the visitor's workspace token; the share link (:func:`share_url`) leaves it out.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from dae_core import RunConfig, share

from .session import lab
from .workspace import KEY as WORKSPACE


def set_config(config: RunConfig) -> None:
    """Make ``config`` the session's settings; the widgets and the address bar follow on the next draw."""
    state = lab()
    if config != state.config:
        state.link_messages = []
    state.config, state.form_error = config, None
    sync_link()


def link_query() -> dict[str, str]:
    """The current settings as a link's parameters: the lesson and hidden settings first, then what differs from
    the lesson's preset (or from the defaults), then the page state (a chosen test noise, a t-SNE projection)."""
    state = lab()
    teaching, chosen = state.teaching, state.test_noise
    preset = teaching.lesson.config if teaching.lesson else None
    own_noise = chosen is not None and ((chosen.noise, chosen.noise_level) != chosen.follows or chosen.seed != 0)
    page = share.PageState(
        (chosen.noise, chosen.noise_level, chosen.seed) if own_noise else None, state.page_options.get("latent_method")
    )
    return teaching.to_query() | share.to_query(state.config, preset) | page.to_query()


def sync_link() -> None:
    """Mirror the current settings in the address bar, so the URL is a shareable link; the address bar also
    holds the visitor's workspace token (which the share link, :func:`share_url`, leaves out)."""
    workspace = lab().workspace
    wanted = link_query() | ({WORKSPACE: workspace} if workspace else {})
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def share_url() -> str:
    """The full link to the current settings (just the query string where the address is unknown)."""
    query = urlencode(link_query(), safe=",")  # a CSV column's name may hold any character
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{query}" if query else base or "(the defaults: no parameters)"
