"""How often a page polls its run: only while something can change without the user's doing."""

from types import SimpleNamespace

import pytest

from dae_core.serving.pool import WARMING_UP
from dae_core.serving.snapshot import DONE, PAUSED, QUEUED, RUNNING, STOPPED
from dashboard import runs
from dashboard.state import Run


def run_at(status: str, epoch: int, until_epoch: int = 0, held: bool = True, reason: str = "") -> Run:
    job = SimpleNamespace(snapshot=lambda: SimpleNamespace(status=status, epoch=epoch, reason=reason))
    return Run(1, job, held=held, until_epoch=until_epoch)


@pytest.mark.parametrize(
    ("status", "epoch", "until_epoch", "page", "sidebar"),
    [
        (RUNNING, 3, 0, runs.POLL_SECONDS, runs.SLOW_POLL_SECONDS),
        (QUEUED, 0, 0, runs.SLOW_POLL_SECONDS, runs.SLOW_POLL_SECONDS),
        ((QUEUED, WARMING_UP), 0, 0, runs.POLL_SECONDS, runs.SLOW_POLL_SECONDS),  # it starts in a moment
        (PAUSED, 3, 0, runs.RESTING_POLL_SECONDS, runs.RESTING_POLL_SECONDS),  # only its wall-time limit ends it
        (PAUSED, 3, 4, runs.POLL_SECONDS, runs.SLOW_POLL_SECONDS),  # a Step's epoch is on its way
        (PAUSED, 4, 4, runs.RESTING_POLL_SECONDS, runs.RESTING_POLL_SECONDS),  # ... and has arrived
        (DONE, 50, 0, None, None),
        (STOPPED, 7, 0, None, None),
    ],
)
def test_a_page_polls_only_a_run_that_can_change_by_itself(status, epoch, until_epoch, page, sidebar):
    status, reason = status if isinstance(status, tuple) else (status, "")
    run = run_at(status, epoch, until_epoch, reason=reason)
    assert runs.poll_seconds(run) == page
    assert runs.poll_seconds(run, fastest=runs.SLOW_POLL_SECONDS) == sidebar


def test_a_resumed_run_is_polled_until_it_says_running():
    """Resume reaches the worker a moment after the page is redrawn: the page must not rest on "paused"."""
    assert runs.poll_seconds(run_at(PAUSED, 3, held=False)) == runs.POLL_SECONDS


def test_a_paused_run_that_its_wall_time_limit_stops_redraws_its_page(monkeypatch):
    """The limit ends a paused run without a click: the page must not go on saying "paused"."""
    run = run_at(PAUSED, 3)
    assert runs.follow(run) == runs.RESTING_POLL_SECONDS  # the page keeps a slow timer on a paused run
    run.job = SimpleNamespace(
        snapshot=lambda: SimpleNamespace(status=STOPPED, epoch=3, reason="")
    )  # the limit has ended it
    redrawn = []
    monkeypatch.setattr(runs.st, "rerun", lambda: redrawn.append(True))
    runs.redraw_if_changed(run)  # the timer's next tick
    assert redrawn == [True]


def test_no_run_no_polling():
    assert runs.poll_seconds(None) is None


def test_follow_notes_what_the_page_drew():
    run = run_at(RUNNING, 3)
    assert runs.follow(run) == runs.POLL_SECONDS
    assert run.drawn == (RUNNING, runs.POLL_SECONDS)
