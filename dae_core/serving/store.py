"""Workspaces: each visitor's runs kept on the server, so that a reload or a restart loses nothing.

A workspace is named by an unguessable token (256 random bits, URL-safe) that only its visitor's own address
carries; the store keeps only the token's SHA-256, so its file names no workspace anyone could open. A workspace
also belongs to the browser that made it: its ``owner`` is the SHA-256 of a second secret that browser keeps (the
dashboard's HttpOnly cookie) and an address cannot carry. ``access`` tells the owner's browser from any other, so
a link with someone else's token never adds a visitor's runs to that workspace (it can only copy them, ``copy``).
Each run is kept as its ``RunRecord`` (JSON) and its model file (``dae_core.model_file``'s format: safetensors and
JSON, never a pickle), and the uploads in use (a CSV table, a zip of pictures) as their bytes. Per workspace at most
``Limits.workspace_runs`` runs and ``Limits.workspace_mb`` megabytes are kept, the oldest going first, and a
workspace untouched for ``Limits.retention_days`` is deleted.

All workspaces together keep at most ``Limits.store_mb`` megabytes: a save that would pass it deletes whole
workspaces first, the oldest untouched first, never the one being written.

``SQLiteStore`` keeps workspaces with the standard library's SQLite in one file of a data folder (``DAE_DATA_DIR``),
which is enough for one server, or in memory. ``FallbackStore`` is what the dashboard uses: the folder's store,
checked when it opens (``PRAGMA quick_check`` and a write rolled back), and a store in memory for what that one
cannot take. A folder that is read-only, a file, full, or holds a damaged file never takes the app down: workspaces
then live in memory until the server stops, and ``FallbackStore.problem`` says why, naming ``DAE_DATA_DIR``, so
that every page can say so. Several replicas behind one address need a store they share (a server database
implementing the same methods).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
import urllib.parse

from ..errors import DAEError
from ..records import RunRecord
from .limits import Limits

TOKEN_BYTES = 32  # 256 bits
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
PRUNE_SECONDS = 3600.0  # how often old workspaces are looked for
NOBODY = "-"  # the owner of a workspace no browser may write to (no SHA-256 is "-")
OWN, FOREIGN, MISSING = "own", "foreign", "missing"  # how a browser may open a workspace (SQLiteStore.access)
FILE_NAME = "workspaces.sqlite3"  # the store's one file in the data folder
MEMORY_STORE_MB = 256  # at most this much of the server's memory holds workspaces while the data folder cannot
UPLOADS = {"table": "tables", "pictures": "pictures"}  # each kind of upload a workspace keeps, and its SQL table
WORKSPACE_TABLES = ("runs", *UPLOADS.values(), "workspaces")  # what holds a workspace: deleting it clears each
PROBE_KEY = "probe"  # the key of the row a check writes and rolls back (a real key is 64 hex digits)
log = logging.getLogger(__name__)


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


class StoreError(DAEError):
    """A write the store could not make; ``str()`` says why in a few words ("the data folder is full (...)")."""


class DamagedStoreError(sqlite3.DatabaseError):
    """``PRAGMA quick_check`` found the store's file damaged; the message is what it found."""


class SQLiteStore:
    """Workspaces in one SQLite file in ``folder`` (None: in memory, for as long as the object lives); safe to share
    between the server's threads."""

    # How connections open the file, as a test may set them: SQLite's URI ``mode`` ("ro" opens an existing file
    # read-only, as a read-only mount does, where permissions cannot stop root), and a cap on the file's pages
    # (SQLite then raises "database or disk is full" exactly as a full disk does).
    open_mode = "rwc"
    max_pages: int | None = None

    def __init__(self, folder: str | None, limits: Limits | None = None, clock=time.time):
        self.limits, self._clock = limits or Limits(), clock
        self._lock = threading.Lock()
        self._pruned = 0.0
        self._memory: sqlite3.Connection | None = None
        if folder is None:
            self.path = ":memory:"
            self._memory = sqlite3.connect(":memory:", check_same_thread=False)  # used under self._lock only
        else:
            os.makedirs(folder, exist_ok=True)
            self.path = os.path.join(folder, FILE_NAME)
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
            for uploads in UPLOADS.values():  # one upload of each kind per workspace
                db.execute(
                    f"CREATE TABLE IF NOT EXISTS {uploads} "
                    "(key TEXT PRIMARY KEY, name TEXT NOT NULL, data BLOB NOT NULL)"
                )
            # Each run's size without reading past its model (a column after a blob lies behind the blob's pages).
            db.execute("CREATE INDEX IF NOT EXISTS runs_size ON runs (key, saved, run, bytes)")
        self.prune()

    @classmethod
    def in_memory(cls, limits: Limits | None = None, clock=time.time) -> SQLiteStore:
        """A store that keeps its workspaces in this process's memory until it goes, with every method the same."""
        return cls(None, limits, clock)

    def _open(self, autocommit: bool = False) -> sqlite3.Connection:
        uri = f"file:{urllib.parse.quote(self.path)}?mode={self.open_mode}"
        db = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None if autocommit else "")
        if self.max_pages is not None:
            db.execute(f"PRAGMA max_page_count = {int(self.max_pages)}")
        return db

    @contextlib.contextmanager
    def _connect(self):
        db = self._memory or self._open()
        try:
            with db:  # one transaction: committed, or rolled back on an error
                yield db
        finally:
            if db is not self._memory:
                db.close()

    def verify(self) -> None:
        """Check the store before use: its file's integrity (``PRAGMA quick_check``) and a write, rolled back.
        Raises ``DamagedStoreError`` or what SQLite raises."""
        with self._lock, self._connect() as db:
            found = [row[0] for row in db.execute("PRAGMA quick_check")]
        if found != ["ok"]:
            raise DamagedStoreError("; ".join(found[:3]))
        self.probe()

    def probe(self) -> None:
        """A cheap check that the store can still be read and written: a row read, and one written and rolled back
        (no integrity check). Raises what SQLite raises."""
        if self._memory is not None:
            return
        with self._lock:
            db = self._open(autocommit=True)
            try:
                db.execute("SELECT COUNT(*) FROM workspaces WHERE key = ?", (PROBE_KEY,)).fetchone()
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.execute("INSERT OR REPLACE INTO workspaces VALUES (?, 0, NULL)", (PROBE_KEY,))
                finally:
                    db.execute("ROLLBACK")
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

    def access(self, token: str, owner: str, touch: bool = True) -> str:
        """How the browser whose secret is ``owner`` may open workspace ``token``: ``OWN`` (its own: opening it counts
        as using it, unless not ``touch``), ``FOREIGN`` (made in another browser: its runs may be copied, never added
        to) or ``MISSING``. A workspace kept before workspaces had owners becomes the first opener's."""
        if not is_token(token):
            return MISSING
        with self._lock, self._connect() as db:
            row = db.execute("SELECT owner FROM workspaces WHERE key = ?", (_key(token),)).fetchone()
            if row is None:
                return MISSING
            if row[0] is not None and (not owner or not secrets.compare_digest(row[0], _owner(owner))):
                return FOREIGN
            if touch:
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
            for uploads in UPLOADS.values():
                db.execute(
                    f"INSERT OR REPLACE INTO {uploads} SELECT ?, name, data FROM {uploads} WHERE key = ?",
                    (_key(target), _key(source)),
                )
            self._make_room(db, _key(target))
        return copied

    def run_count(self, token: str) -> int:
        with self._lock, self._connect() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM runs WHERE key = ?", (_key(token),)).fetchone()
        return int(count)

    def exists(self, token: str, touch: bool = True) -> bool:
        """Whether ``token`` names a workspace; opening one counts as using it (retention starts again), unless not
        ``touch``."""
        if not is_token(token):
            return False
        with self._lock, self._connect() as db:
            if not touch:
                return db.execute("SELECT 1 FROM workspaces WHERE key = ?", (_key(token),)).fetchone() is not None
            found = db.execute("UPDATE workspaces SET touched = ? WHERE key = ?", (self._clock(), _key(token)))
            return found.rowcount == 1

    def add_run(self, token: str, record: RunRecord, model: bytes | None) -> None:
        """Keep a run, then drop the oldest runs past the workspace's caps (the new one is kept if it fits), and
        other workspaces past the store's (``_make_room``)."""
        key, text = _key(token), json.dumps(record.to_dict())
        size = len(text) + (len(model) if model else 0)
        cap = min(self.limits.workspace_mb, self.limits.store_mb) * 2**20  # one workspace fits in the whole store
        if size > cap:
            model, size = None, len(text)  # a model larger than the whole workspace: keep the record alone
        with self._lock, self._connect() as db:
            now = self._clock()
            # A workspace forgotten or pruned while this run trained comes back as nobody's: its runs can be copied by
            # whoever has the token, never opened for writing (no owner at all would let the first opener claim it).
            db.execute("INSERT OR IGNORE INTO workspaces VALUES (?, ?, ?)", (key, now, NOBODY))
            db.execute("UPDATE workspaces SET touched = ? WHERE key = ?", (now, key))
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?)", (key, record.run, text, model, size, now)
            )
            kept = db.execute("SELECT run, bytes FROM runs WHERE key = ? ORDER BY saved DESC, run DESC", (key,))
            total, drop = 0, []
            for number, (run, nbytes) in enumerate(kept.fetchall()):
                total += nbytes
                if number >= self.limits.workspace_runs or total > cap:
                    drop.append(run)
            db.executemany("DELETE FROM runs WHERE key = ? AND run = ?", [(key, run) for run in drop])
            self._make_room(db, key)

    def _make_room(self, db: sqlite3.Connection, key: str) -> int:
        """Past ``Limits.store_mb`` for all workspaces together (runs and tables): delete whole workspaces, the
        oldest untouched first, never ``key``'s, the one being written, until the rest fits. How many went."""
        quota = self.limits.store_mb * 2**20
        uploaded = " + ".join(f"(SELECT COALESCE(SUM(LENGTH(data)), 0) FROM {uploads})" for uploads in UPLOADS.values())
        (total,) = db.execute(f"SELECT (SELECT COALESCE(SUM(bytes), 0) FROM runs) + {uploaded}").fetchone()
        gone = 0
        if total <= quota:
            return gone
        oldest = db.execute("SELECT key FROM workspaces WHERE key != ? ORDER BY touched, key", (key,)).fetchall()
        for (old,) in oldest:
            sizes = [
                f"(SELECT COALESCE(SUM(LENGTH(data)), 0) FROM {uploads} WHERE key = ?)" for uploads in UPLOADS.values()
            ]
            (size,) = db.execute(
                "SELECT (SELECT COALESCE(SUM(bytes), 0) FROM runs WHERE key = ?) + " + " + ".join(sizes),
                (old,) * (1 + len(sizes)),
            ).fetchone()
            for table in WORKSPACE_TABLES:
                db.execute(f"DELETE FROM {table} WHERE key = ?", (old,))
            total, gone = total - size, gone + 1
            if total <= quota:
                break
        log.info("the store passed DAE_STORE_MB=%s: deleted the %d oldest untouched workspaces", quota // 2**20, gone)
        return gone

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

    def put_table(self, token: str, name: str, data: bytes, kind: str = "table") -> None:
        """Keep the upload of ``kind`` in use ("table" or "pictures", one of each per workspace; its size is capped by
        the upload limit)."""
        with self._lock, self._connect() as db:
            db.execute(f"INSERT OR REPLACE INTO {UPLOADS[kind]} VALUES (?, ?, ?)", (_key(token), name, data))
            self._make_room(db, _key(token))

    def table(self, token: str, kind: str = "table") -> tuple[str, bytes] | None:
        """(file name, bytes) of the upload of ``kind`` in use, or None."""
        with self._lock, self._connect() as db:
            row = db.execute(f"SELECT name, data FROM {UPLOADS[kind]} WHERE key = ?", (_key(token),)).fetchone()
        return None if row is None else (row[0], row[1])

    def delete_table(self, token: str, kind: str = "table") -> None:
        with self._lock, self._connect() as db:
            db.execute(f"DELETE FROM {UPLOADS[kind]} WHERE key = ?", (_key(token),))

    def forget(self, token: str) -> None:
        """Delete the workspace and everything in it."""
        key = _key(token)
        with self._lock, self._connect() as db:
            for table in WORKSPACE_TABLES:
                db.execute(f"DELETE FROM {table} WHERE key = ?", (key,))

    def prune(self) -> int:
        """Delete the workspaces untouched for longer than the retention period; how many went."""
        cutoff = self._clock() - self.limits.retention_days * 86400
        with self._lock, self._connect() as db:
            old = [key for (key,) in db.execute("SELECT key FROM workspaces WHERE touched < ?", (cutoff,))]
            for table in WORKSPACE_TABLES:
                db.executemany(f"DELETE FROM {table} WHERE key = ?", [(key,) for key in old])
            self._pruned = self._clock()
        return len(old)

    def _prune_now_and_then(self) -> None:
        if self._clock() - self._pruned > PRUNE_SECONDS:
            self.prune()


# --- when the data folder cannot keep workspaces --------------------------------------------------------------
FULL, READ_ONLY, NOT_A_FOLDER, DAMAGED, BUSY, UNUSABLE = "full", "read-only", "not a folder", "damaged", "busy", "?"
NOT_SAVED = "Runs are not being saved: {what}. Runs last until the server stops. {fix}"


def problem_kind(exc: BaseException, folder: str) -> str:
    """What an error of the data folder's store means: one of the kinds above."""
    if isinstance(exc, DamagedStoreError):
        return DAMAGED
    name, text = getattr(exc, "sqlite_errorname", "") or "", str(exc).lower()  # sqlite_errorname: Python 3.11+
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return FULL
        if exc.errno in (errno.ENOTDIR, errno.EEXIST) or _file_in_the_way(folder):
            return NOT_A_FOLDER
        return READ_ONLY if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else UNUSABLE
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return FULL
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return READ_ONLY
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return DAMAGED
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "is locked" in text:
        return BUSY
    if _file_in_the_way(folder):
        return NOT_A_FOLDER
    if os.path.isdir(folder) and not os.access(folder, os.W_OK):
        return READ_ONLY
    return UNUSABLE


def _file_in_the_way(folder: str) -> str:
    """The file that stands where ``folder`` or a folder above it should be ("" when none does)."""
    path = os.path.abspath(folder)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return "" if os.path.isdir(path) else path


def _detail(exc: BaseException) -> str:
    return (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)


def describe_problem(exc: BaseException, folder: str) -> str:
    """Why runs are not being saved, naming ``DAE_DATA_DIR`` and its value, what is wrong and what to do."""
    kind, detail, where = problem_kind(exc, folder), _detail(exc), f"DAE_DATA_DIR={folder}"
    if kind == NOT_A_FOLDER:
        blocker = _file_in_the_way(folder)
        under = "" if blocker in ("", os.path.abspath(folder)) else f"under {blocker}, which is "
        what = f"the data folder {where} is {under}a file, not a folder"
        fix = "Point DAE_DATA_DIR at a folder and restart."
    elif kind == DAMAGED:
        what = f"the store's file {os.path.join(folder, FILE_NAME)} is damaged or not a database ({detail})"
        fix = f"Move it out of the data folder {where} (the next start makes a new, empty one) and restart."
    elif kind == READ_ONLY:
        what, fix = f"the data folder {where} is read-only ({detail})", "Make the folder writable and restart."
    elif kind == FULL:
        what = f"the data folder {where} is full ({detail})"
        fix = "Free space there, or set DAE_STORE_MB below the space it has, and restart."
    else:
        what = f"the store in the data folder {where} cannot be used ({detail})"
        fix = "The server's log says more; fix the folder and restart."
    return NOT_SAVED.format(what=what, fix=fix)


def short_reason(kind: str, exc: BaseException) -> str:
    """Why one write failed, in a few words for the visitor whose run or table it was."""
    detail = _detail(exc)
    return {
        FULL: f"the data folder is full ({detail})",
        READ_ONLY: f"the data folder is read-only ({detail})",
        NOT_A_FOLDER: "the data folder is not a folder",
        DAMAGED: f"the store's file is damaged ({detail})",
        BUSY: f"the store was busy ({detail})",
    }.get(kind, f"the store cannot be used ({detail})")


class FallbackStore:
    """The workspaces the dashboard uses: in the data folder's ``SQLiteStore`` while it works, and in one kept in
    memory for what it cannot take, with ``SQLiteStore``'s methods.

    Opened (:meth:`open`) with a check of the folder's store; when that fails, every workspace lives in memory.
    When a write fails later (a disk that fills), the failure is told: a run's or a table's save raises a
    ``StoreError`` that says why, reads and the touches of opening a workspace never raise, and new workspaces live
    in memory from then on. ``problem`` says why runs are not being saved ("" while they are).
    """

    def __init__(self, folder: str, disk: SQLiteStore | None, memory: SQLiteStore, problem: str = ""):
        self.folder, self.disk, self.memory, self.problem = folder, disk, memory, problem
        self._in_memory: set[str] = set()  # keys of the workspaces made in memory while the disk's store works
        self._lock = threading.Lock()

    @classmethod
    def open(cls, folder: str, limits: Limits | None = None, clock=time.time) -> FallbackStore:
        """The store of ``folder``, checked (``SQLiteStore.verify``); in memory, with its ``problem``, when it
        cannot be used."""
        limits = limits or Limits()
        memory = SQLiteStore.in_memory(
            dataclasses.replace(limits, store_mb=min(limits.store_mb, MEMORY_STORE_MB)), clock
        )
        try:
            disk = SQLiteStore(folder, limits, clock)
            disk.verify()
        except (OSError, sqlite3.Error) as exc:
            problem = describe_problem(exc, folder)
            log.error("%s (%s: %s)", problem, type(exc).__name__, exc)
            return cls(folder, None, memory, problem)
        return cls(folder, disk, memory)

    def check(self) -> str:
        """Why runs are not being saved ("" when they are), checked now: the problem found before, else a read and a
        write rolled back on the folder's store (``SQLiteStore.probe``: cheap, no integrity check)."""
        if self.disk is not None and not self.problem:
            try:
                self.disk.probe()
            except (OSError, sqlite3.Error) as exc:
                self._failed(exc, self.disk)
        return self.problem

    def _failed(self, exc: BaseException, store: SQLiteStore) -> str:
        """Note a failure of ``store``: a failure of the folder's store (unless it was only busy) becomes the
        ``problem``, so new workspaces go to memory. Returns why, in a few words."""
        if store is self.memory:
            log.warning("the store in memory failed: %s", exc)
            return short_reason(UNUSABLE, exc)
        kind = problem_kind(exc, self.folder)
        with self._lock:
            first = kind != BUSY and not self.problem
            if first:
                self.problem = describe_problem(exc, self.folder)
        if first:
            log.error("%s (%s: %s)", self.problem, type(exc).__name__, exc)
        else:
            log.warning("the store failed: %s", exc)
        return short_reason(kind, exc)

    def _of(self, token: str) -> SQLiteStore:
        if self.disk is None or _key(token) in self._in_memory:
            return self.memory
        return self.disk

    def _read(self, token: str, method: str, *args, default=None):
        store = self._of(token)
        try:
            return getattr(store, method)(token, *args)
        except (OSError, sqlite3.Error) as exc:
            self._failed(exc, store)
            return default

    def _write(self, token: str, method: str, *args):
        store = self._of(token)
        try:
            return getattr(store, method)(token, *args)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(self._failed(exc, store)) from exc

    # --- opening a workspace: never raises -----------------------------------------------------------
    def new_workspace(self, owner: str = "") -> str:
        if self.disk is not None and not self.problem:
            try:
                return self.disk.new_workspace(owner)
            except (OSError, sqlite3.Error) as exc:
                self._failed(exc, self.disk)
        token = self.memory.new_workspace(owner)
        if self.disk is not None:
            with self._lock:
                self._in_memory.add(_key(token))
        return token

    def access(self, token: str, owner: str) -> str:
        store = self._of(token)
        for touch in (True, False):  # a store that cannot take the touch still opens the workspace
            try:
                return store.access(token, owner, touch=touch)
            except (OSError, sqlite3.Error) as exc:
                self._failed(exc, store)
        return MISSING

    def exists(self, token: str) -> bool:
        store = self._of(token)
        for touch in (True, False):
            try:
                return store.exists(token, touch=touch)
            except (OSError, sqlite3.Error) as exc:
                self._failed(exc, store)
        return False

    # --- reads: what cannot be read shows as nothing (``problem`` says why) ------------------------
    def run_count(self, token: str) -> int:
        return self._read(token, "run_count", default=0)

    def runs(self, token: str) -> list[RunRecord]:
        return self._read(token, "runs", default=[])

    def last_run(self, token: str) -> int:
        return self._read(token, "last_run", default=0)

    def model(self, token: str, run: int) -> bytes | None:
        return self._read(token, "model", run)

    def table(self, token: str, kind: str = "table") -> tuple[str, bytes] | None:
        return self._read(token, "table", kind)

    # --- writes: a failure raises a StoreError that says why ----------------------------------------
    def add_run(self, token: str, record: RunRecord, model: bytes | None) -> None:
        self._write(token, "add_run", record, model)

    def delete_runs(self, token: str, runs: list[int]) -> None:
        self._write(token, "delete_runs", runs)

    def put_table(self, token: str, name: str, data: bytes, kind: str = "table") -> None:
        self._write(token, "put_table", name, data, kind)

    def delete_table(self, token: str, kind: str = "table") -> None:
        self._write(token, "delete_table", kind)

    def forget(self, token: str) -> None:
        self._write(token, "forget")

    def copy(self, source: str, target: str) -> int:
        """Copy ``source``'s runs, models and table into ``target``, which may live in the other store."""
        origin, store = self._of(source), self._of(target)
        if origin is store:
            return self._write(source, "copy", target)
        runs = self.runs(source)
        for record in runs:
            self.add_run(target, record, self.model(source, record.run))
        table = self.table(source)
        if table is not None:
            self.put_table(target, *table)
        return len(runs)

    def prune(self) -> int:
        gone = 0
        for store in (self.disk, self.memory):
            if store is not None:
                try:
                    gone += store.prune()
                except (OSError, sqlite3.Error) as exc:
                    self._failed(exc, store)
        return gone
