"""A server whose data folder cannot keep runs, in a real browser: it starts and serves, Home says why runs are not
being saved, Streamlit's health check stays ``ok`` and ``/ready`` answers 503 with the same words."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from broken_store import broken_folder

pytestmark = pytest.mark.e2e


def test_a_data_folder_under_a_file_is_said_on_home_and_ready_answers_503(app_on, tmp_path, monkeypatch):
    folder, problem = broken_folder("under a file", tmp_path, monkeypatch)
    with app_on(env={"DAE_DATA_DIR": str(folder)}) as app:
        page = app.open(app.new_page())
        alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
        assert any(problem in text for text in alerts), alerts
        assert get(app.server.url, "/_stcore/health") == (200, "ok")  # it serves: nothing should restart it
        assert get(app.server.url, "/ready") == (503, {"store": problem})


def test_a_server_whose_store_works_is_ready(app):
    assert get(app.server.url, "/ready") == (200, {"store": "ok"})


def get(url: str, path: str) -> tuple[int, str | dict]:
    """The status of ``path`` and its body: JSON read, or text."""
    try:
        with urllib.request.urlopen(url + path, timeout=10) as response:
            status, body, kind = response.status, response.read(), response.headers.get_content_type()
    except urllib.error.HTTPError as refused:
        status, body, kind = refused.code, refused.read(), refused.headers.get_content_type()
    return status, json.loads(body) if kind == "application/json" else body.decode()
