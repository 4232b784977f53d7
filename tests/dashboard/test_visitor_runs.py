"""One visitor cannot hold every training slot: past ``DAE_RUNS_PER_SESSION`` runs and views' sweeps going at once,
a new one is refused with a message naming the variable, and what they had goes on."""

import pytest
from app_driver import current_job, sweeps

import dashboard.server
from dae_core.serving.limits import Limits
from dae_core.serving.pool import WorkerPool
from dae_core.serving.snapshot import QUEUED

CAPPED = (
    "You have 1 run training or waiting, the most one visitor may have here (DAE_RUNS_PER_SESSION). Stop one, or "
    "wait for one to end."
)


@pytest.fixture
def no_room(monkeypatch):
    """One visitor's share of the slots is one run, and no slot is free: whatever starts waits in line, and counts."""
    pool = WorkerPool(0)
    monkeypatch.setattr(dashboard.server, "LIMITS", Limits.from_env({"DAE_RUNS_PER_SESSION": "1"}))
    monkeypatch.setattr(dashboard.server, "pool", lambda: pool)
    yield pool
    pool.close()


def test_a_visitor_at_their_cap_who_starts_a_views_sweep_is_told_why_not(app, no_room):
    app.switch_page("pages/train.py").run()
    app.button(key="btn_train").click().run()
    run = current_job(app)
    assert run.status == QUEUED
    app.button(key="btn_train").click().run()  # Train again replaces the run: not one more
    assert not app.error and current_job(app) is not run and current_job(app).status == QUEUED
    app.switch_page("pages/papers.py").run()
    app.button(key="btn_view_train").click().run()
    assert [error.value for error in app.error] == [CAPPED]
    assert not app.exception and not sweeps(app) and no_room.queued == 1
    assert current_job(app).status == QUEUED  # the run they had goes on


def test_a_visitor_at_their_cap_who_starts_a_run_is_told_why_not(app, no_room):
    app.switch_page("pages/papers.py").run()
    app.button(key="btn_view_train").click().run()
    (sweep,) = sweeps(app).values()
    assert sweep.status == QUEUED and not app.error
    app.switch_page("pages/train.py").run()
    app.button(key="btn_train").click().run()
    assert [error.value for error in app.error] == [CAPPED]
    assert not app.exception and current_job(app) is None and no_room.queued == 1
    assert sweep.status == QUEUED  # the view's sweep goes on
