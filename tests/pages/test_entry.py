"""app.py as the server: ``streamlit run app.py`` must find its ``app`` and warm the process before answering."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_run_serves_the_app_with_the_start_up_hook():
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(REPO_ROOT / "app.py")
    assert found.is_asgi_app and found.import_string == "app:app"


def test_the_start_up_hook_answers_at_once_and_warms_up_in_the_background():
    # A fresh interpreter, as the server is: importing app.py must not load torch; the start-up hook returns before
    # anything heavy is loaded (the server answers), and its background thread then starts the workers (forked from
    # a fork server that imports torch) and loads torch here; scikit-learn loads where a page needs it.
    code = """
import asyncio, sys
import app
from dashboard import server
from dashboard.warmup import preloaded, warm_up
import streamlit as st
assert isinstance(app.app, st.App)
before = "torch" in sys.modules, preloaded()

async def start():
    async with app.preload_on_start(app.app):
        started = warm_up().is_alive() or preloaded()
        warm_up().join()
        return started, "torch" in sys.modules, preloaded(), len(server.pool().workers) == server.pool().size

print(before, asyncio.run(start()))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "(False, False) (True, True, True, True)"
