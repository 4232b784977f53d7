"""Workspaces: each visitor's runs kept on the server, so that a reload or a restart loses nothing.

A workspace is named by an unguessable token (256 random bits, URL-safe) that only its visitor's own address
carries; the store keeps only the token's SHA-256, so its file names no workspace anyone could open. A workspace
also belongs to the browser that made it: its ``owner`` is the SHA-256 of a second secret that browser keeps (the
dashboard's HttpOnly cookie) and an address cannot carry. ``access`` tells the owner's browser from any other, so
a link with someone else's token never adds a visitor's runs to that workspace (it can only copy them, ``copy``).
Each run is kept as its ``RunRecord`` (JSON) and its model file (``dae_core.model_file``'s format: safetensors and
JSON, never a pickle), and the uploaded table in use as its bytes. Per workspace at most ``Limits.workspace_runs``
runs and ``Limits.workspace_mb`` megabytes are kept, the oldest going first, and a workspace untouched for
``Limits.retention_days`` is deleted.

``Store`` is the small interface the dashboard uses; ``SQLiteStore`` implements it with the standard library's
SQLite in one file of a data folder (``DAE_DATA_DIR``), which is enough for one server. Several replicas behind one
address need a store they share (a server database implementing the same methods).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import sqlite3
import threading
import time

from ..records import RunRecord
from .limits import Limits

TOKEN_BYTES = 32  # 256 bits
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
PRUNE_SECONDS = 3600.0  # how often old workspaces are looked for
OWN, FOREIGN, MISSING = "own", "foreign", "missing"  # how a browser may open a workspace (SQLiteStore.access)


def default_folder(environ=None) -> str:
    """Where the store lives: ``DAE_DATA_DIR``, else ``~/.dae-lab``."""
    environ = os.environ if environ is None else environ
    return environ.get("DAE_DATA_DIR", "").strip() or os.path.join(os.path.expanduser("~"), ".dae-lab")


def is_token(text: str) -> bool:
    """Whether ``text`` has the shape of a workspace token (it may still name no workspace)."""
    return isinstance(text, str) and bool(TOKEN_PATTERN.match(text))


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _owner(secret: str) -> str | None:
    """What the store keeps of a browser's secret: its SHA-256, or None for no owner yet."""
    return _key(secret) if secret else None


class SQLiteStore:
    """Workspaces in one SQLite file in ``folder``; safe to share between the server's threads."""

    def __init__(self, folder: str, limits: Limits | None = None, clock=time.time):
        self.limits, self._clock = limits or Limits(), clock
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, "workspaces.sqlite3")
        self._lock = threading.Lock()
        self._pruned = 0.0
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS workspaces (key TEXT PRIMARY KEY, touched REAL NOT NULL, owner TEXT)"
            )
            if "owner" not in [row[1] for row in db.execute("PRAGMA table_info(workspaces)")]:
                db.execute("ALTER TABLE workspaces ADD COLUMN owner TEXT")  # a store made before owners: none yet
            db.execute(
                "CREATE TABLE IF NOT EXISTS runs (key TEXT NOT NULL, run INTEGER NOT NULL, record TEXT NOT NULL, "
                "model BLOB, bytes INTEGER NOT NULL, saved REAL NOT NULL, PRIMARY KEY (key, run))"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS tables (key TEXT PRIMARY KEY, name TEXT NOT NULL, data BLOB NOT NULL)"
            )
        self.prune()

    @contextlib.contextmanager
    def _connect(self):
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:  # one transaction: committed, or rolled back on an error
                yield db
        finally:
            db.close()

    def new_workspace(self, owner: str = "") -> str:
        """A new, empty workspace, belonging to the browser whose secret is ``owner`` ("": to the first that opens
        it with ``access``)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self._lock, self._connect() as db:
            db.execute("INSERT INTO workspaces VALUES (?, ?, ?)", (_key(token), self._clock(), _owner(owner)))
        self._prune_now_and_then()
        return token

    def access(self, token: str, owner: str) -> str:
        """How the browser whose secret is ``owner`` may open workspace ``token``: ``OWN`` (its own: opening it counts
        as using it), ``FOREIGN`` (made in another browser: its runs may be copied, never added to) or ``MISSING``.
        A workspace kept before workspaces had owners becomes the first opener's."""
        if not is_token(token):
            return MISSING
        with self._lock, self._connect() as db:
            row = db.execute("SELECT owner FROM workspaces WHERE key = ?", (_key(token),)).fetchone()
            if row is None:
                return MISSING
            if row[0] is not None and (not owner or not secrets.compare_digest(row[0], _owner(owner))):
                return FOREIGN
            now, key = self._clock(), _key(token)
            db.execute("UPDATE workspaces SET touched = ?, owner = ? WHERE key = ?", (now, _owner(owner), key))
        return OWN

    def copy(self, source: str, target: str) -> int:
        """Copy workspace ``source``'s runs, models and table in use into ``target`` (whose runs of the same numbers
        they replace); ``source`` is only read. Returns how many runs were copied."""
        with self._lock, self._connect() as db:
            copied = db.execute(
                "INSERT OR REPLACE INTO runs SELECT ?, run, record, model, bytes, saved FROM runs WHERE key = ?",
                (_key(target), _key(source)),
            ).rowcount
            db.execute(
                "INSERT OR REPLACE INTO tables SELECT ?, name, data FROM tables WHERE key = ?",
                (_key(target), _key(source)),
            )
        return copied

    def run_count(self, token: str) -> int:
        with self._lock, self._connect() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM runs WHERE key = ?", (_key(token),)).fetchone()
        return int(count)

    def exists(self, token: str) -> bool:
        """Whether ``token`` names a workspace; opening one counts as using it (retention starts again)."""
        if not is_token(token):
            return False
        with self._lock, self._connect() as db:
            found = db.execute("UPDATE workspaces SET touched = ? WHERE key = ?", (self._clock(), _key(token)))
            return found.rowcount == 1

    def add_run(self, token: str, record: RunRecord, model: bytes | None) -> None:
        """Keep a run, then drop the oldest runs past the workspace's caps (the new one is kept if it fits)."""
        key, text = _key(token), json.dumps(record.to_dict())
        size = len(text) + (len(model) if model else 0)
        if size > self.limits.workspace_mb * 2**20:
            model, size = None, len(text)  # a model larger than the whole workspace: keep the record alone
        with self._lock, self._connect() as db:
            now = self._clock()
            db.execute("INSERT OR IGNORE INTO workspaces VALUES (?, ?, NULL)", (key, now))
            db.execute("UPDATE workspaces SET touched = ? WHERE key = ?", (now, key))
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)", (key, record.run, text, model, size, now)
            )
            kept = db.execute("SELECT run, bytes FROM runs WHERE key = ? ORDER BY saved DESC, run DESC", (key,))
            total, drop = 0, []
            for number, (run, nbytes) in enumerate(kept.fetchall()):
                total += nbytes
                if number >= self.limits.workspace_runs or total > self.limits.workspace_mb * 2**20:
                    drop.append(run)
            db.executemany("DELETE FROM runs WHERE key = ? AND run = ?", [(key, run) for run in drop])

    def runs(self, token: str) -> list[RunRecord]:
        with self._lock, self._connect() as db:
            rows = db.execute("SELECT record FROM runs WHERE key = ? ORDER BY run", (_key(token),)).fetchall()
        return [RunRecord.from_dict(json.loads(text)) for (text,) in rows]

    def last_run(self, token: str) -> int:
        """The highest run number kept in the workspace (0 when none): another tab may have saved runs since."""
        with self._lock, self._connect() as db:
            (number,) = db.execute("SELECT COALESCE(MAX(run), 0) FROM runs WHERE key = ?", (_key(token),)).fetchone()
        return int(number)

    def model(self, token: str, run: int) -> bytes | None:
        with self._lock, self._connect() as db:
            row = db.execute("SELECT model FROM runs WHERE key = ? AND run = ?", (_key(token), run)).fetchone()
        return None if row is None else row[0]

    def delete_runs(self, token: str, runs: list[int]) -> None:
        with self._lock, self._connect() as db:
            db.executemany("DELETE FROM runs WHERE key = ? AND run = ?", [(_key(token), run) for run in runs])

    def put_table(self, token: str, name: str, data: bytes) -> None:
        """Keep the uploaded table in use (one per workspace; its size is capped by the upload limit)."""
        with self._lock, self._connect() as db:
            db.execute("INSERT OR REPLACE INTO tables VALUES (?, ?, ?)", (_key(token), name, data))

    def table(self, token: str) -> tuple[str, bytes] | None:
        """(file name, bytes) of the table in use, or None."""
        with self._lock, self._connect() as db:
            row = db.execute("SELECT name, data FROM tables WHERE key = ?", (_key(token),)).fetchone()
        return None if row is None else (row[0], row[1])

    def delete_table(self, token: str) -> None:
        with self._lock, self._connect() as db:
            db.execute("DELETE FROM tables WHERE key = ?", (_key(token),))

    def forget(self, token: str) -> None:
        """Delete the workspace and everything in it."""
        key = _key(token)
        with self._lock, self._connect() as db:
            for table in ("runs", "tables", "workspaces"):
                db.execute(f"DELETE FROM {table} WHERE key = ?", (key,))

    def prune(self) -> int:
        """Delete the workspaces untouched for longer than the retention period; how many went."""
        cutoff = self._clock() - self.limits.retention_days * 86400
        with self._lock, self._connect() as db:
            old = [key for (key,) in db.execute("SELECT key FROM workspaces WHERE touched < ?", (cutoff,))]
            for table in ("runs", "tables", "workspaces"):
                db.executemany(f"DELETE FROM {table} WHERE key = ?", [(key,) for key in old])
            self._pruned = self._clock()
        return len(old)

    def _prune_now_and_then(self) -> None:
        if self._clock() - self._pruned > PRUNE_SECONDS:
            self.prune()
