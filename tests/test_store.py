"""The store of workspaces: tokens, runs with their models, caps, retention and forgetting."""

import sqlite3

import pytest
from broken_store import KINDS, broken_folder, full_problem, not_saved

from dae_core import model_file
from dae_core.records import RunRecord, run_record
from dae_core.serving.limits import Limits
from dae_core.serving.store import FallbackStore, SQLiteStore, StoreError, is_token


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def record(serial: int, tiny_config, history=None) -> RunRecord:
    from dae_core.serving.snapshot import DONE, JobSnapshot

    history = tuple(history or ())
    snapshot = JobSnapshot(DONE, "finished", 1.5, history, tiny_config, tiny_config, weights_epoch=len(history))
    return run_record(serial, snapshot)


@pytest.fixture
def trained(tiny_config, tiny_dataset):
    from dae_core import Trainer

    trainer = Trainer(tiny_config, tiny_dataset)
    history = list(trainer.epochs())
    return trainer.result(), history


def test_a_workspace_keeps_runs_and_models_across_store_objects(tmp_path, tiny_config, trained):
    model, history = trained
    store = SQLiteStore(str(tmp_path))
    token = store.new_workspace()
    assert is_token(token) and len(token) == 43  # 256 bits, URL-safe
    store.add_run(token, record(1, tiny_config, history), model_file.to_bytes(model))
    store.add_run(token, record(2, tiny_config, history), None)
    again = SQLiteStore(str(tmp_path))  # a restarted server opens the same file
    assert again.exists(token)
    assert [r.run for r in again.runs(token)] == [1, 2] and again.last_run(token) == 2
    assert again.last_run(again.new_workspace()) == 0
    assert again.runs(token)[0] == record(1, tiny_config, history)  # the record round-trips whole
    restored = model_file.load(again.model(token, 1))
    assert restored.history == model.history
    assert again.model(token, 2) is None and again.model(token, 3) is None


def test_tokens_are_unguessable_and_the_file_holds_none(tmp_path, tiny_config, trained):
    store = SQLiteStore(str(tmp_path))
    tokens = {store.new_workspace() for _ in range(50)}
    assert len(tokens) == 50
    token = tokens.pop()
    store.add_run(token, record(1, tiny_config, trained[1]), None)
    with sqlite3.connect(store.path) as db:
        keys = [key for (key,) in db.execute("SELECT key FROM workspaces")]
    assert token not in keys and all(len(key) == 64 for key in keys)  # SHA-256 of each token, never the token
    other = SQLiteStore(str(tmp_path)).new_workspace()
    assert store.runs(other) == []  # another visitor's workspace lists nothing of this one
    for wrong in ("", "short", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 43 + "'; DROP TABLE runs;--"):
        assert not store.exists(wrong)


def test_caps_drop_the_oldest_runs(tmp_path, tiny_config, trained):
    clock = Clock()
    store = SQLiteStore(str(tmp_path), Limits(workspace_runs=3), clock=clock)
    token = store.new_workspace()
    for serial in range(1, 6):
        clock.now += 1
        store.add_run(token, record(serial, tiny_config, trained[1]), b"x" * 10)
    assert [r.run for r in store.runs(token)] == [3, 4, 5]
    small = SQLiteStore(str(tmp_path / "small"), Limits(workspace_mb=1), clock=clock)
    token = small.new_workspace()
    for serial in range(1, 4):
        clock.now += 1
        small.add_run(token, record(serial, tiny_config, trained[1]), b"x" * 400_000)
    assert [r.run for r in small.runs(token)] == [2, 3]  # three models would pass 1 MB
    small.add_run(token, record(4, tiny_config, trained[1]), b"x" * 2_000_000)  # larger than the whole workspace
    assert small.model(token, 4) is None and 4 in [r.run for r in small.runs(token)]


def test_untouched_workspaces_expire_and_forget_deletes_at_once(tmp_path, tiny_config, trained):
    clock = Clock()
    store = SQLiteStore(str(tmp_path), Limits(retention_days=1), clock=clock)
    old, used, gone = store.new_workspace(), store.new_workspace(), store.new_workspace()
    for token in (old, used, gone):
        store.add_run(token, record(1, tiny_config, trained[1]), b"model")
    clock.now += 0.9 * 86400
    assert store.exists(used)  # opening it starts its retention again
    clock.now += 0.2 * 86400
    assert store.prune() == 2
    assert not store.exists(old) and store.runs(old) == []
    assert store.exists(used) and [r.run for r in store.runs(used)] == [1]
    store.forget(used)
    assert not store.exists(used) and store.runs(used) == [] and store.model(used, 1) is None


def test_the_table_in_use_is_kept_replaced_and_forgotten(tmp_path):
    store = SQLiteStore(str(tmp_path))
    token = store.new_workspace()
    assert store.table(token) is None
    store.put_table(token, "a.csv", b"a,b\n1,2\n")
    store.put_table(token, "b.csv", b"x,y\n3,4\n")  # one table per workspace: the one in use
    assert SQLiteStore(str(tmp_path)).table(token) == ("b.csv", b"x,y\n3,4\n")
    store.delete_table(token)
    assert store.table(token) is None
    store.put_table(token, "c.csv", b"1")
    store.forget(token)
    assert store.table(token) is None


def test_a_workspace_opens_for_writing_only_in_the_browser_that_made_it(tmp_path, tiny_config, trained):
    store = SQLiteStore(str(tmp_path))
    mine, theirs = "m" * 43, "t" * 43
    token = store.new_workspace(mine)
    store.add_run(token, record(1, tiny_config, trained[1]), b"model")
    assert store.access(token, mine) == "own"
    assert store.access(token, theirs) == "foreign" and store.access(token, "") == "foreign"
    assert store.access("A" * 43, mine) == "missing" and store.access("../x", mine) == "missing"
    with sqlite3.connect(store.path) as db:
        owners = [owner for (owner,) in db.execute("SELECT owner FROM workspaces")]
    assert mine not in owners and all(len(owner) == 64 for owner in owners)  # the secret's SHA-256 only

    copy = store.new_workspace(theirs)
    store.put_table(token, "t.csv", b"a,b\n1,2\n")
    assert store.copy(token, copy) == 1
    assert [r.run for r in store.runs(copy)] == [1] and store.model(copy, 1) == b"model"
    assert store.table(copy) == ("t.csv", b"a,b\n1,2\n") and store.access(copy, theirs) == "own"
    store.delete_runs(copy, [1])
    assert [r.run for r in store.runs(token)] == [1]  # the original was only read


def test_a_workspace_kept_before_owners_becomes_its_first_openers(tmp_path, tiny_config, trained):
    with sqlite3.connect(tmp_path / "workspaces.sqlite3") as db:  # the schema of a store made before owners
        db.execute("CREATE TABLE workspaces (key TEXT PRIMARY KEY, touched REAL NOT NULL)")
    store = SQLiteStore(str(tmp_path))
    token = store.new_workspace()
    assert store.access(token, "f" * 43) == "own" and store.access(token, "s" * 43) == "foreign"


def test_past_the_store_quota_whole_workspaces_go_the_oldest_untouched_first(tmp_path, tiny_config, trained):
    clock = Clock()
    store = SQLiteStore(str(tmp_path), Limits(store_mb=1), clock=clock)
    oldest, older, recent = (store.new_workspace() for _ in range(3))
    for token in (oldest, older, recent):  # 3 × 330 kB: within 1 MB
        clock.now += 1
        store.add_run(token, record(1, tiny_config, trained[1]), b"x" * 330_000)
    clock.now += 1
    assert store.exists(oldest)  # opened again: now the most recently touched
    store.put_table(older, "t.csv", b"y" * 100_000)  # 1 MB passed: "recent" is the oldest untouched now
    assert not store.exists(recent, touch=False) and store.runs(recent) == []
    assert [r.run for r in store.runs(oldest)] == [1] and store.table(older) == ("t.csv", b"y" * 100_000)
    clock.now += 1
    store.add_run(older, record(2, tiny_config, trained[1]), b"x" * 550_000)  # only the one written may stay
    assert store.runs(oldest) == [] and [r.run for r in store.runs(older)] == [1, 2]
    clock.now += 1
    store.add_run(older, record(3, tiny_config, trained[1]), b"x" * 2_000_000)  # larger than the whole store
    assert store.model(older, 3) is None and [r.run for r in store.runs(older)] == [1, 2, 3]


@pytest.mark.parametrize("broken", KINDS)
def test_a_folder_it_cannot_use_leaves_the_workspaces_in_memory_and_says_why(tmp_path, monkeypatch, tiny_config,
                                                                             trained, broken):  # fmt: skip
    folder, problem = broken_folder(broken, tmp_path, monkeypatch)
    store = FallbackStore.open(str(folder))
    assert store.problem == problem and store.check() == problem
    mine = "m" * 43
    token = store.new_workspace(mine)  # every method works, in memory
    store.add_run(token, record(1, tiny_config, trained[1]), b"model")
    store.put_table(token, "t.csv", b"a\n1\n")
    assert store.access(token, mine) == "own" and [r.run for r in store.runs(token)] == [1]
    assert store.model(token, 1) == b"model" and store.table(token) == ("t.csv", b"a\n1\n")
    store.forget(token)
    assert not store.exists(token)


def test_a_disk_that_fills_is_told_and_opening_workspaces_keeps_working(tmp_path, monkeypatch, tiny_config, trained):
    store = FallbackStore.open(str(tmp_path))
    mine = "m" * 43
    token = store.new_workspace(mine)
    store.add_run(token, record(1, tiny_config, trained[1]), b"small")
    assert store.check() == ""
    with sqlite3.connect(tmp_path / "workspaces.sqlite3") as db:
        (pages,) = db.execute("PRAGMA page_count").fetchone()
    monkeypatch.setattr(SQLiteStore, "max_pages", pages)  # SQLite now says "database or disk is full", as a disk does
    with pytest.raises(StoreError, match=r"^the data folder is full \(database or disk is full\)$"):
        store.add_run(token, record(2, tiny_config, trained[1]), b"x" * 100_000)
    assert store.problem == full_problem(tmp_path) and store.check() == full_problem(tmp_path)
    assert store.access(token, mine) == "own" and store.exists(token)  # opening a workspace still works
    assert [r.run for r in store.runs(token)] == [1] and store.model(token, 1) == b"small"
    fresh = store.new_workspace(mine)  # in memory from now on
    store.add_run(fresh, record(1, tiny_config, trained[1]), b"x" * 100_000)
    assert store.copy(token, fresh) == 1 and store.model(fresh, 1) == b"small"  # from the disk's store to memory
    assert not SQLiteStore(str(tmp_path)).exists(fresh)


def test_a_store_that_turns_read_only_is_found_by_the_next_check(tmp_path, monkeypatch):
    store = FallbackStore.open(str(tmp_path))
    token = store.new_workspace()
    assert store.check() == ""
    monkeypatch.setattr(SQLiteStore, "open_mode", "ro")  # as a disk remounted read-only
    problem = not_saved(
        f"the data folder DAE_DATA_DIR={tmp_path} is read-only (attempt to write a readonly database)",
        "Make the folder writable and restart.",
    )
    assert store.check() == problem
    with pytest.raises(StoreError, match=r"^the data folder is read-only \(attempt to write a readonly database\)$"):
        store.delete_runs(token, [1])
    assert store.exists(token)  # the touch fails, the answer does not
