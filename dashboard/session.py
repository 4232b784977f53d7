"""The session's bootstrap: ``lab()`` makes this browser session's state once, from the link it was opened with
and the visitor's workspace, and returns it on every later call."""

from __future__ import annotations

import secrets

import streamlit as st

from dae_core import share
from dae_core.serving.snapshot import PAUSED
from dae_core.serving.store import is_token

from . import server
from .headers import BROWSER_COOKIE
from .state import Lab, Run, TestNoise
from .workspace import KEY as WORKSPACE
from .workspace import live_runs, open_workspace

KEY = "lab"  # the one st.session_state entry this app owns, besides its widget keys


def lab() -> Lab:
    """This session's state; the first call reads the settings from the link the session was opened with."""
    if KEY not in st.session_state:
        refused = server.SESSIONS.admit(st.context.ip_address)
        if refused:
            st.error(refused)
            st.stop()
        params = st.query_params.to_dict()
        teaching, teaching_messages = share.teaching_from_query(params)
        preset = teaching.lesson.config if teaching.lesson else None
        config, messages = share.config_from_query(params, preset, server.LIMITS)
        page, page_messages = share.page_state_from_query(params)
        cookie = browser_cookie()
        state = Lab(
            config=config,
            link_messages=teaching_messages + messages + page_messages,
            teaching=teaching,
            # A lesson's link lands in it with training started, but only in a page of this site's own: a page that
            # another site frames (or a browser without cookies) sends no cookie, and trains only on a click.
            start_on_arrival=teaching.lesson is not None and bool(cookie),
            browser=cookie or secrets.token_urlsafe(32),  # no cookie: the workspace is this session's alone
        )
        if teaching.lesson is not None and not cookie:
            state.link_messages.append(f"Press Train to start the lesson's run ({teaching.lesson.title}).")
        if page.test_noise is not None:  # chosen for the run these settings train
            follows = (config.noise.noise, float(config.noise.noise_level))
            state.test_noise = TestNoise(*page.test_noise, follows=follows)
        if page.projection is not None:
            state.page_options["latent_method"] = page.projection
        state.link_messages += open_workspace(state, params.get(WORKSPACE))
        live = live_runs().join(state.workspace, current_session(), state.runs)
        if live is not None:  # a reload, or another tab, of an address whose run trains: follow it here too
            held = live.job.status == PAUSED
            state.run, state.serial = Run(live.serial, live.job, held=held), max(state.serial, live.serial)
        st.session_state[KEY] = state
    return st.session_state[KEY]


def browser_cookie() -> str:
    """This browser's secret: the HttpOnly cookie the server set on its first page (``dashboard.headers``); "" where
    the browser sent none (cookies off, or a page that another site frames)."""
    cookie = st.context.cookies.get(BROWSER_COOKIE, "")
    return cookie if is_token(cookie) else ""


def current_session() -> str:
    """This browser session's id ("" outside a script run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    return context.session_id if context is not None else ""
