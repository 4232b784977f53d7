"""What the whole server shares, made once per process: its limits, its training workers and its workspace store.

Every other dashboard module may import this one; it imports nothing of the dashboard, so no session can be
needed to make them.
"""

from __future__ import annotations

import collections
import functools
import threading
import time

from dae_core.serving.limits import Limits
from dae_core.serving.pool import WorkerPool
from dae_core.serving.store import FallbackStore, default_folder

# Every limit, from the profile (DAE_PROFILE) and the environment: see LIMITS_TABLE in dae_core.serving.limits.
# Locally a run whose tab has closed stops after two minutes (a queued one leaves the queue at once), one run trains
# for at most fifteen, and four runs per core train at once, sharing it, so a class sees every run start.
# Read as ``server.LIMITS`` (never imported by name), so a test can replace it.
LIMITS = Limits.from_env()


@functools.cache
def pool() -> WorkerPool:
    """The server's training processes, one per run that may train at once; started by the warm-up."""
    return WorkerPool.for_limits(LIMITS)


@functools.cache
def store() -> FallbackStore:
    """The visitors' workspaces (``DAE_DATA_DIR``), opened and checked on first use (the server's start); kept in
    memory when the folder cannot keep them, and then :func:`store_problem` says why."""
    return FallbackStore.open(default_folder(), LIMITS)


def store_problem() -> str:
    """Why runs are not being saved, naming ``DAE_DATA_DIR`` and what to do ("" while they are): found when the
    store opened, or since (a disk that filled)."""
    return store().problem


class SessionGate:
    """New browser sessions per network address in the last minute, against ``Limits.sessions_per_minute``: one
    address cannot open sessions (each with its own runs and uploads) faster than a class of people would."""

    def __init__(self, clock=time.monotonic):
        self._clock, self._lock = clock, threading.Lock()
        self._opened: dict[str, collections.deque] = {}

    def admit(self, address: str | None) -> str | None:
        """Count a new session from ``address`` (None: unknown, as for this machine's own visitors) and return
        None, or why it is refused."""
        if not address:
            return None
        now, cap = self._clock(), LIMITS.sessions_per_minute
        with self._lock:
            opened = self._opened.setdefault(address, collections.deque())
            while opened and opened[0] <= now - 60:
                opened.popleft()
            if len(opened) >= cap:
                return (
                    f"Too many new sessions from your address: at most {cap:,} a minute here "
                    "(DAE_SESSIONS_PER_MINUTE). Wait a minute, then reload the page."
                )
            opened.append(now)
            if len(self._opened) > 10_000:  # forget addresses that have gone quiet
                self._opened = {key: times for key, times in self._opened.items() if times and times[-1] > now - 60}
        return None


SESSIONS = SessionGate()
