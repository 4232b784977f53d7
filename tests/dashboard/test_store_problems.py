"""A store the test breaks: the app starts and serves, every page says why runs are not being saved, a run that could
not be saved is told where its status shows and stays in Experiments, and ``/ready`` answers 503 with the problem."""

import json
import sqlite3

import pytest
from app_driver import current_job, open_app, session, set_settings, stop_job, train, upload_csv
from broken_store import KINDS, broken_folder, full_problem, not_saved

from dae_core.serving.store import SQLiteStore
from dashboard import readiness, server
from dashboard.frame import PAGES
from dashboard.workspace import UNREADABLE

UNSAVED_FULL = (
    "Run #2 could not be saved: the data folder is full (database or disk is full). It stays in Experiments until "
    "this tab closes; download its model from the sidebar to keep it."
)


@pytest.fixture
def data_folder(monkeypatch):
    """``data_folder(path)``: the server's store opens ``path`` instead (``DAE_DATA_DIR``); the usual one comes back
    after the test."""

    def use(folder) -> None:
        monkeypatch.setenv("DAE_DATA_DIR", str(folder))
        server.store.cache_clear()

    yield use
    server.store.cache_clear()


def ready() -> tuple[int, dict]:
    response = readiness.ready(None)
    return response.status_code, json.loads(response.body)


def banners(app) -> list[str]:
    return [warning.value for warning in app.warning]


@pytest.mark.parametrize("kind", KINDS)
def test_a_data_folder_it_cannot_use_is_said_and_runs_are_kept_in_memory(tmp_path, monkeypatch, data_folder, kind):
    folder, problem = broken_folder(kind, tmp_path, monkeypatch)
    data_folder(folder)
    app = open_app()
    try:
        assert not app.exception and banners(app) == [problem]
        assert ready() == (503, {"store": problem})
        train(app)  # trains, ends, and is kept, in memory
        assert [run.run for run in session(app).runs] == [1] and not app.error and banners(app) == [problem]
        token = app.query_params["ws"]
        reloaded = open_app(ws=token)  # a reload finds it while the server runs
        assert not reloaded.exception and [run.run for run in session(reloaded).runs] == [1]
        assert banners(reloaded) == [problem]
    finally:
        stop_job(app)


def test_every_page_shows_the_banner(tmp_path, monkeypatch, data_folder):
    folder, problem = broken_folder("under a file", tmp_path, monkeypatch)
    data_folder(folder)
    app = open_app()
    for path, title, _, _ in PAGES:
        app.switch_page(path).run()
        assert not app.exception, title
        assert problem in banners(app), title
    stale = open_app(ws="A" * 43)  # an address from before: its runs are in the folder it cannot read
    assert banners(stale) == [problem, UNREADABLE]


def test_a_store_that_works_is_ready(tmp_path, data_folder):
    data_folder(tmp_path)
    app = open_app()
    assert not app.exception and banners(app) == []
    assert ready() == (200, {"store": "ok"})


def _page_count(folder) -> int:
    with sqlite3.connect(folder / "workspaces.sqlite3") as db:
        return db.execute("PRAGMA page_count").fetchone()[0]


def test_runs_past_a_full_disk_are_told_unsaved_stay_in_experiments_and_pages_still_open(tmp_path, monkeypatch,
                                                                                        data_folder):  # fmt: skip
    data_folder(tmp_path)
    app = open_app()
    newcomer = None
    try:
        train(app)
        token = app.query_params["ws"]
        assert ready() == (200, {"store": "ok"})
        # The file may not grow any more: SQLite says "database or disk is full", as a full disk makes it say.
        monkeypatch.setattr(SQLiteStore, "max_pages", _page_count(tmp_path))
        set_settings(app, n_features=50, hidden_dim=32)  # a run too large for what is left
        app.button(key="btn_train").click().run()
        assert current_job(app).join(timeout=60)
        app.run()
        assert [error.value for error in app.main.error] == [UNSAVED_FULL]  # where Train shows the run's status
        assert [error.value for error in app.sidebar.error] == [UNSAVED_FULL]
        assert [run.run for run in session(app).runs] == [1, 2] and banners(app) == [full_problem(tmp_path)]
        assert ready() == (503, {"store": full_problem(tmp_path)})

        app.switch_page("pages/experiments.py").run()
        assert not app.exception and len(app.dataframe[0].value) == 2  # still in Experiments
        assert [error.value for error in app.sidebar.error] == [UNSAVED_FULL]

        app.switch_page("pages/train.py").run()
        upload_csv(app, "big.csv", "a,b\n" + "".join(f"{i},{i * 7}\n" for i in range(5000)))
        assert [error.value for error in app.main.error] == [
            "The table big.csv could not be kept for a reload: the data folder is full (database or disk is full). "
            "This tab goes on with it as it is.",
            UNSAVED_FULL,
        ]
        assert session(app).csv.name == "big.csv"

        reloaded = open_app(ws=token)  # a reload opens what was saved
        assert not reloaded.exception and [run.run for run in session(reloaded).runs] == [1]
        assert banners(reloaded) == [full_problem(tmp_path)]
        newcomer = open_app(browser="n" * 43)  # a new visitor: a workspace in memory
        assert not newcomer.exception and banners(newcomer) == [full_problem(tmp_path)]
        train(newcomer)
        assert not newcomer.error and [run.run for run in session(newcomer).runs] == [1]
    finally:
        stop_job(app)
        if newcomer is not None:
            stop_job(newcomer)


def test_a_delete_or_a_forget_the_store_cannot_make_is_told(tmp_path, monkeypatch, data_folder):
    data_folder(tmp_path)
    app = open_app()
    try:
        train(app)
        train(app)
    finally:
        stop_job(app)
    monkeypatch.setattr(SQLiteStore, "open_mode", "ro")  # as a disk remounted read-only
    read_only = "the data folder is read-only (attempt to write a readonly database)"
    app.switch_page("pages/experiments.py").run()
    app.session_state[app.dataframe[0].key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    app.button(key="btn_delete_runs").click().run()
    [kept] = [run.run for run in session(app).runs]
    assert not app.exception and [error.value for error in app.main.error] == [
        f"Run #{3 - kept} could not be deleted from the store: {read_only}. It is gone from this tab; a reload may "
        "show it again."
    ]
    problem = not_saved(
        f"the data folder DAE_DATA_DIR={tmp_path} is read-only (attempt to write a readonly database)",
        "Make the folder writable and restart.",
    )
    assert banners(app) == [problem] and ready() == (503, {"store": problem})
    app.button(key="btn_forget").click().run()
    assert not app.exception and [error.value for error in app.main.error] == [
        f"Your runs could not be forgotten: {read_only}. They are still kept; try again later."
    ]
    assert [run.run for run in session(app).runs] == [kept]
