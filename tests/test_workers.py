"""RemoteJob and WorkerPool: a run trained in a worker process behaves like a TrainingJob seen from the server.

The pool's two processes are started once for the module (each imports torch: a few seconds). Every wait is on the
job's own condition, never a sleep.
"""

import os
import re
import signal

import numpy as np
import pytest

from dae_core import ConfigError, RunConfig, Trainer, train
from dae_core.records import SettingChange
from dae_core.serving.limits import Limits
from dae_core.serving.messages import RunUpdate
from dae_core.serving.pool import WARMING_UP, WorkerPool, ordinal, queue_text, start_times
from dae_core.serving.remote import RemoteJob, RemoteSweep
from dae_core.serving.snapshot import DONE, FAILED, INTERRUPTED, PAUSED, QUEUED, RUNNING, STOPPED

WAIT = 60.0  # seconds before a wait gives up; only reached when something is broken
SEARCH_BASE = RunConfig().replace(n_samples=200, n_features=8, hidden_dim=3, epochs=6)  # a search's fixed settings


@pytest.fixture(scope="module")
def pool():
    workers = WorkerPool(2).start()
    yield workers
    workers.close()


def wait_for(job, predicate):
    snapshot = job.wait_for(predicate, WAIT)
    assert predicate(snapshot), f"gave up waiting; the job says {snapshot.status}: {snapshot.reason}"
    return snapshot


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
def test_workers_are_forked_from_one_fork_server_not_from_the_server(pool):
    """The fork server imported torch once; the workers are its children, so they share what it loaded."""
    parents = {parent_of(worker.process.pid) for worker in pool.workers}
    assert len(parents) == 1 and parents != {os.getpid()}
    assert parent_of(parents.pop()) == os.getpid()


def test_a_run_in_a_worker_matches_a_run_in_this_process(tiny_config, tiny_dataset, pool):
    """Forked from the fork server, a worker trains the same run to the same numbers as this process."""
    ended = []
    job = RemoteJob(tiny_config, tiny_dataset, pool=pool, on_end=ended.append).start()
    assert job.join(WAIT)
    snapshot = job.snapshot()
    assert (snapshot.status, snapshot.reason, snapshot.epoch) == (DONE, "finished 3 epochs", 3)
    assert [r.train_loss for r in snapshot.history] == [r.train_loss for r in train(tiny_config, tiny_dataset)]
    assert [(s.status, s.epoch) for s in ended] == [(DONE, 3)]
    trained = job.trained_model()  # built here from the weights the worker sent
    assert trained.weights_epoch == 3 and trained.kept_record == snapshot.history[-1]
    here = Trainer(tiny_config, tiny_dataset)
    list(here.epochs())
    np.testing.assert_allclose(trained.denoise(tiny_dataset.X_test), here.result().denoise(tiny_dataset.X_test), 1e-6)


def test_pause_step_live_changes_resume_and_stop_reach_the_worker(tiny_config, tiny_dataset, pool):
    job = RemoteJob(tiny_config.replace(epochs=10_000), tiny_dataset, pool=pool, start_paused=True).start()
    assert wait_for(job, lambda s: s.status == PAUSED).epoch == 0
    job.step()
    assert wait_for(job, lambda s: s.epoch >= 1 and s.status == PAUSED).epoch == 1
    job.update(job.snapshot().settings.replace_live(lr=0.01))
    job.resume()
    assert wait_for(job, lambda s: s.epoch >= 5).status == RUNNING
    job.stop()
    assert job.join(WAIT)
    snapshot = job.snapshot()
    assert (snapshot.status, snapshot.reason) == (STOPPED, "stopped by the user")
    assert snapshot.events == (SettingChange(1, "lr", 1e-3, 0.01),)
    assert snapshot.history[0].lr == 1e-3 and snapshot.history[1].lr == 0.01


def test_a_model_past_the_parameter_limit_is_refused_where_work_enters(tiny_config, tiny_dataset):
    # 8 features, code 64: 2 × 8 × 64 weights + 64 + 8 biases = 1,096
    idle = WorkerPool(0, Limits(max_parameters=100))  # no worker: nothing would train anyway
    with pytest.raises(ConfigError) as error:
        RemoteJob(tiny_config.replace(hidden_dim=64), tiny_dataset, pool=idle).start()
    assert str(error.value) == (
        "This model has 1,096 parameters; the limit here is 100 (DAE_MAX_PARAMETERS). Use a smaller code size or "
        "fewer, narrower hidden layers."
    )
    assert idle.queued == 0


def test_runs_beyond_the_workers_wait_in_order_and_a_stop_leaves_the_queue(tiny_config, tiny_dataset, pool):
    long = tiny_config.replace(epochs=10_000)
    busy = [RemoteJob(long, tiny_dataset, pool=pool).start() for _ in range(2)]
    for job in busy:
        wait_for(job, lambda s: s.epoch > 0)
    first, second = (RemoteJob(tiny_config, tiny_dataset, pool=pool).start() for _ in range(2))
    reasons = [job.snapshot().reason for job in (first, second)]
    assert (first.status, second.status) == (QUEUED, QUEUED)
    assert re.fullmatch(r"1st in line, about \d+ (s|min)", reasons[0]), reasons
    assert re.fullmatch(r"2nd in line, about \d+ (s|min)", reasons[1]), reasons
    first.stop()
    assert first.status == STOPPED and first.snapshot().reason == "stopped before it started"
    assert second.snapshot().reason.startswith("1st in line")
    busy[0].stop()
    assert second.join(WAIT) and second.status == DONE
    busy[1].stop()
    assert busy[1].join(WAIT)


def test_a_worker_that_dies_fails_its_run_and_is_replaced(tiny_config, tiny_dataset, pool):
    job = RemoteJob(tiny_config.replace(epochs=10_000), tiny_dataset, pool=pool).start()
    wait_for(job, lambda s: s.epoch > 0)
    worker = next(w for w in pool.workers if job in w.jobs.values())
    os.kill(worker.process.pid, signal.SIGKILL)
    assert job.join(WAIT)
    assert (job.status, job.snapshot().reason) == (
        INTERRUPTED,
        "its training process ended unexpectedly (out of memory?); the epochs it had are kept",
    )
    after = RemoteJob(tiny_config, tiny_dataset, pool=pool).start()
    assert after.join(WAIT) and after.status == DONE  # the pool has two workers again


def test_bad_data_fails_with_the_engine_message(tiny_config, pool):
    job = RemoteJob(tiny_config.replace(dataset="csv"), pool=pool, table=b"a,b\n1,x\n").start()
    assert job.join(WAIT)
    assert job.status == FAILED and "not numeric" in job.snapshot().reason


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (101, "101st"),
        (111, "111th"),
    ],
)
def test_ordinals(number, text):
    assert ordinal(number) == text


def test_the_queue_text_gives_the_place_and_the_wait():
    assert queue_text((3, 19.6)) == "3rd in line, about 20 s"
    assert queue_text((1, 0.2)) == "1st in line, about 1 s"
    assert queue_text((2, 150.0)) == "2nd in line, about 2 min"
    assert queue_text((4, None)) == "4th in line"
    assert queue_text(None) == "starting"


def test_the_wait_estimate_adds_up_the_runs_ahead():
    """Two slots: one frees in 3 s, the other never (a paused run keeps it). Queued runs of 6 s start at 3 s and 9 s;
    behind a run of unknown length, or with no slot that will free, there is no estimate."""
    assert start_times([3.0], [6.0, 6.0]) == [3.0, 9.0]
    assert start_times([0.0, 3.0], [6.0, 6.0, 6.0]) == [0.0, 3.0, 6.0]
    assert start_times([3.0], [None, 6.0]) == [3.0]
    assert start_times([], [6.0]) == []


def test_a_run_knows_how_long_it_still_trains(tiny_config, tiny_dataset):
    """At its own pace once it has trained (3 of 6 epochs in 3 s: 3 s left), else at the pool's last seen speed;
    a paused run has no end in sight."""
    six = tiny_config.replace(epochs=6)
    records = tuple(train(tiny_config, tiny_dataset))  # three epochs
    running, fresh = (RemoteJob(six, tiny_dataset, pool=WorkerPool(0)) for _ in range(2))
    running.apply(RunUpdate(RUNNING, "", records, 3.0, (), 3))
    assert running.seconds_left(rows_per_second=None) == pytest.approx(3.0)
    assert fresh.seconds_left(rows_per_second=float(len(tiny_dataset.X_train))) == pytest.approx(6.0)  # 1 epoch/s
    assert fresh.seconds_left(rows_per_second=None) is None
    running.apply(RunUpdate(PAUSED, "", (), 3.0, (), 3))
    assert running.seconds_left(rows_per_second=None) is None


def test_queued_runs_say_their_place_and_wait(tiny_config, tiny_dataset):
    no_room = WorkerPool(0)  # no worker: every run waits; nobody has trained, so no estimate
    first, second = (RemoteJob(tiny_config, tiny_dataset, pool=no_room).start() for _ in range(2))
    assert [job.snapshot().reason for job in (first, second)] == ["1st in line", "2nd in line"]
    assert no_room.place(second) == (2, None)
    first.stop()
    assert second.snapshot().reason == "1st in line" and no_room.queued == 1


def test_a_run_queued_while_the_workers_start_says_they_are_warming_up(tiny_config, tiny_dataset):
    class Starting(WorkerPool):
        warming_up = True  # the fork server is still importing torch

    job = RemoteJob(tiny_config, tiny_dataset, pool=Starting(0)).start()
    assert (job.status, job.snapshot().reason) == (QUEUED, WARMING_UP)
    assert not WorkerPool(2).warming_up  # not started: nothing to wait for yet
    job.stop()


def test_a_queued_run_whose_page_closed_leaves_the_queue(tiny_config, tiny_dataset):
    full = WorkerPool(0).start()  # no worker: every run waits
    page = {"open": True}
    ended = []
    job = RemoteJob(tiny_config, tiny_dataset, pool=full, page_open=lambda: page["open"], on_end=ended.append)
    job.start()
    assert job.status == QUEUED
    page["open"] = False
    assert job.join(WAIT)
    assert (job.status, job.snapshot().reason) == (STOPPED, "left the queue: the page that started it was closed")
    assert [s.status for s in ended] == [STOPPED]
    full.close()


def test_the_idle_rule_never_stops_a_run_whose_page_is_open(tiny_config, tiny_dataset):
    """Nobody reads either run; the one whose page is open trains on, the other stops after the idle limit."""
    idle = WorkerPool(1, Limits(idle_seconds=0.5), runs_per_worker=2).start()
    long = tiny_config.replace(epochs=10_000)
    watched = RemoteJob(long, tiny_dataset, pool=idle, page_open=lambda: True).start()
    closed = RemoteJob(long, tiny_dataset, pool=idle, page_open=lambda: False).start()
    assert closed.join(WAIT)
    assert closed.snapshot().reason.startswith("stopped: nobody looked at it")
    assert wait_for(watched, lambda s: s.elapsed_seconds > 4 * 0.5 or s.finished).status == RUNNING
    watched.stop()
    assert watched.join(WAIT)
    idle.close()


def test_a_sweep_trains_in_a_worker_with_its_members_curves_and_result(pool, digits_dataset):
    from dae_core.serving.job import SweepJob
    from dae_core.views import ViewSweep

    spec = ViewSweep("noise-grid", (0.0, 0.4), epochs=3)
    job = RemoteSweep(spec, pool=pool).start()
    counts = []
    wait_for(job, lambda s: counts.append(s.epoch) or s.finished)  # every change of the mirror wakes the wait
    snapshot = job.snapshot()
    assert snapshot.status == DONE and [len(h) for h in snapshot.histories] == [3, 3]
    assert sorted(set(counts))[0] < 6  # curves arrived before the end
    here = SweepJob(spec, digits_dataset).start().wait_for(lambda s: s.finished, WAIT)
    np.testing.assert_allclose(
        [m.test_mse_by_level for m in snapshot.result.members], [m.test_mse_by_level for m in here.result.members], 1e-5
    )
    for remote, local in zip(snapshot.histories, here.histories):
        assert [r.test_mse for r in remote] == pytest.approx([r.test_mse for r in local], rel=1e-5)


def test_a_queued_sweep_knows_its_place_and_a_stop_ends_it(pool):
    from dae_core.views import ViewSweep

    spec = ViewSweep("probe", (0.0, 0.5), epochs=10_000)
    ahead = [RemoteSweep(spec, pool=pool).start() for _ in range(pool.size * pool.runs_per_worker)]
    for job in ahead:
        wait_for(job, lambda s: s.status == RUNNING)
    queued = RemoteSweep(spec, pool=pool).start()
    assert queued.snapshot().reason.startswith("1st in line")
    queued.stop()
    assert wait_for(queued, lambda s: s.finished).reason == "stopped before it started"
    for job in ahead:
        job.stop()
        assert wait_for(job, lambda s: s.finished).status == STOPPED


def test_a_full_queue_refuses_a_new_run_naming_the_limit(tiny_config, tiny_dataset):
    full = WorkerPool(0, Limits(max_queue=1))  # no worker: every run waits
    RemoteJob(tiny_config, tiny_dataset, pool=full).start()
    with pytest.raises(ConfigError, match=r"The training queue is full: 1 run is waiting, the limit here \(DAE_"):
        RemoteJob(tiny_config, tiny_dataset, pool=full).start()


def test_a_sweep_past_the_member_limit_is_refused(pool):
    from dae_core.views import ViewSweep

    with pytest.raises(ConfigError, match=r"This sweep trains 3 models; the limit here is 2 \(DAE_MAX_SWEEP_MEMBERS\)"):
        RemoteSweep(ViewSweep("filters", (0.0, 0.25, 0.5)), pool=pool, limits=Limits(max_sweep_members=2)).start()


def test_a_paused_run_stops_at_its_wall_time_limit_and_its_snapshot_says_so(tiny_config, tiny_dataset, pool):
    """Its worker keeps to the limits the run was admitted under (here stricter than the pool's), paused or not."""
    ended = []
    job = RemoteJob(
        tiny_config.replace(epochs=10_000), tiny_dataset, pool=pool, limits=Limits(wall_seconds=1),
        start_paused=True, on_end=ended.append,
    ).start()  # fmt: skip
    assert job.join(WAIT), f"still {job.status}: {job.snapshot().reason}"
    snapshot = job.snapshot()
    assert (snapshot.status, snapshot.reason, snapshot.epoch) == (STOPPED, "stopped: it ran past the 1 s limit", 0)
    assert [(s.status, s.reason) for s in ended] == [(STOPPED, "stopped: it ran past the 1 s limit")]


CAPPED = (
    "You have 1 run training or waiting, the most one visitor may have here (DAE_RUNS_PER_SESSION). Stop one, or "
    "wait for one to end."
)


def test_one_visitor_has_at_most_runs_per_session_going_and_others_still_get_in(tiny_config, tiny_dataset):
    from dae_core.views import ViewSweep

    no_room = WorkerPool(0)  # no worker: every run waits in line, and counts for its visitor
    limits = Limits(runs_per_session=1)

    def run(visitor: str) -> RemoteJob:
        return RemoteJob(tiny_config, tiny_dataset, pool=no_room, limits=limits, visitor=visitor)

    first = run("ann").start()
    with pytest.raises(ConfigError) as error:
        run("ann").start()
    assert str(error.value) == CAPPED
    with pytest.raises(ConfigError) as error:  # a view's sweep counts as a run
        RemoteSweep(ViewSweep("noise-grid", (0.0,), epochs=1), pool=no_room, limits=limits, visitor="ann").start()
    assert str(error.value) == CAPPED
    run("bob").start()  # another visitor is not held up by ann's runs
    run("").start()  # work of no visitor in particular has no cap
    replacement = run("ann").start(replacing=first)  # a run that replaces one of hers is not one more
    first.stop()
    assert no_room.queued == 3
    replacement.stop()  # a stopped run no longer counts
    run("ann").start()
    assert no_room.queued == 3


def test_a_search_runs_in_a_worker_its_trials_arriving_as_they_end(pool):
    from dae_core.serving.remote import RemoteTune
    from dae_core.tune import TuneSpec, parse_search, run_study

    base = SEARCH_BASE.replace(epochs=150)  # trials long enough (~0.1 s) that the page sees them one by one
    spec = TuneSpec(base, parse_search("lr=1e-4..1e-1:log hidden_dim=2..6", base), trials=4, pruner="none")
    job = RemoteTune(spec, pool=pool).start()
    counts = []
    wait_for(job, lambda s: counts.append(s.epoch) or s.finished)
    snapshot = job.snapshot()
    assert snapshot.status == DONE and snapshot.reason.startswith("4 trials in") and snapshot.epoch == 4
    assert 0 < min(count for count in counts if count) < 4  # trials arrived before the end
    here = run_study(spec)  # the same search here: the same trials, the same numbers
    assert [row.params for row in snapshot.result.trials] == [row.params for row in here.trials]
    assert [row.value for row in snapshot.result.trials] == pytest.approx([row.value for row in here.trials], 1e-5)


def test_a_search_s_trials_past_the_parameter_limit_fail_saying_so(pool):
    from dae_core.serving.remote import RemoteTune
    from dae_core.tune import TuneSpec, parse_search

    base = SEARCH_BASE
    spec = TuneSpec(base, parse_search("hidden_dim=3000|4000", base), trials=2, sampler="random", pruner="none")
    job = RemoteTune(spec, pool=pool, limits=Limits(max_parameters=1000)).start()
    snapshot = wait_for(job, lambda s: s.finished)
    assert snapshot.status == FAILED and snapshot.reason == "no trial finished (0 complete, 0 pruned, 2 failed)"
    assert all(
        "parameters; the limit here is 1,000 (DAE_MAX_PARAMETERS)" in row.reason for row in snapshot.result.trials
    )


def test_a_stop_ends_a_search_in_a_worker(pool):
    from dae_core.serving.remote import RemoteTune
    from dae_core.tune import TuneSpec, parse_search

    base = SEARCH_BASE.replace(epochs=10_000)
    job = RemoteTune(TuneSpec(base, parse_search("lr=1e-4..1e-1:log", base), trials=50), pool=pool).start()
    wait_for(job, lambda s: s.result is not None and s.result.trials)
    job.stop()
    snapshot = wait_for(job, lambda s: s.finished)
    assert snapshot.status == STOPPED and snapshot.reason.startswith("stopped by the user (")
    assert snapshot.result.trials[-1].reason == "stopped by the user"
