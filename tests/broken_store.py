"""Data folders a store cannot use, made on purpose, with the exact problem each must be reported as."""

import os

from dae_core.serving.store import SQLiteStore

KINDS = ["under a file", "a file", "garbage", "truncated", "read-only"]


def not_saved(what: str, fix: str) -> str:
    return f"Runs are not being saved: {what}. Runs last until the server stops. {fix}"


def full_problem(folder) -> str:
    return not_saved(
        f"the data folder DAE_DATA_DIR={folder} is full (database or disk is full)",
        "Free space there, or set DAE_STORE_MB below the space it has, and restart.",
    )


def broken_folder(kind: str, base, monkeypatch) -> tuple:
    """A data folder under ``base`` that cannot be used in the way ``kind`` names: (the folder, the exact problem)."""
    point_at_a_folder = "Point DAE_DATA_DIR at a folder and restart."
    if kind in ("under a file", "a file"):
        (base / "a-file").write_text("not a folder")
        if kind == "a file":
            return base / "a-file", not_saved(f"the data folder DAE_DATA_DIR={base}/a-file is a file, not a folder",
                                              point_at_a_folder)  # fmt: skip
        folder = base / "a-file" / "data"
        what = f"the data folder DAE_DATA_DIR={folder} is under {base}/a-file, which is a file, not a folder"
        return folder, not_saved(what, point_at_a_folder)
    folder = base / kind
    if kind == "read-only":
        make_read_only(folder, monkeypatch)
        what = f"the data folder DAE_DATA_DIR={folder} is read-only (attempt to write a readonly database)"
        return folder, not_saved(what, "Make the folder writable and restart.")
    error = {"garbage": "file is not a database", "truncated": "database disk image is malformed"}[kind]
    damage(folder, kind)
    return folder, not_saved(
        f"the store's file {folder}/workspaces.sqlite3 is damaged or not a database ({error})",
        f"Move it out of the data folder DAE_DATA_DIR={folder} (the next start makes a new, empty one) and restart.",
    )


def damage(folder, how: str) -> None:
    """Make the store's file in ``folder`` garbage, or a real store cut in half."""
    path = folder / "workspaces.sqlite3"
    if how == "garbage":
        folder.mkdir()
        path.write_bytes(b"not a database " * 1000)
        return
    store = SQLiteStore(str(folder))
    token = store.new_workspace()
    for number in range(1, 20):
        store.put_table(token, f"{number}.csv", bytes(range(256)) * 40)
    del store  # every connection is closed: the write-ahead log is back in the file
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def make_read_only(folder, monkeypatch) -> None:
    """A data folder holding a store that cannot be written. Permissions stop everyone but root; where they do not
    (tests running as root), the store's file is opened read-only, as SQLite opens a file on a read-only mount."""
    SQLiteStore(str(folder)).new_workspace()
    (folder / "workspaces.sqlite3").chmod(0o444)
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        monkeypatch.setattr(SQLiteStore, "open_mode", "ro")
