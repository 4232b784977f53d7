"""What the whole server shares, made once per process: its limits, its training workers and its workspace store.

Every other dashboard module may import this one; it imports nothing of the dashboard, so no session can be
needed to make them.
"""

from __future__ import annotations

import functools

from dae_core.serving.limits import Limits
from dae_core.serving.pool import WorkerPool
from dae_core.serving.store import SQLiteStore, default_folder

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
def store() -> SQLiteStore:
    """The visitors' workspaces (``DAE_DATA_DIR``), opened on first use."""
    return SQLiteStore(default_folder(), LIMITS)
