"""RemoteJob and WorkerPool: a run trained in a worker process behaves like a TrainingJob seen from the server.

The pool's two processes are started once for the module (each imports torch: a few seconds). Every wait is on the
job's own condition, never a sleep.
"""

import os
import signal

import numpy as np
import pytest

from dae_core import ConfigError, Trainer, train
from dae_core.job import DONE, FAILED, PAUSED, QUEUED, RUNNING, STOPPED
from dae_core.records import SettingChange
from dae_core.workers import RemoteJob, WorkerPool

WAIT = 60.0  # seconds before a wait gives up; only reached when something is broken


@pytest.fixture(scope="module")
def pool():
    workers = WorkerPool(2).start()
    yield workers
    workers.close()


def wait_for(job, predicate):
    snapshot = job.wait_for(predicate, WAIT)
    assert predicate(snapshot), f"gave up waiting; the job says {snapshot.status}: {snapshot.reason}"
    return snapshot


def test_a_run_in_a_worker_matches_a_run_in_this_process(tiny_config, tiny_dataset, pool):
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
    job.update(lr=0.01)
    job.resume()
    assert wait_for(job, lambda s: s.epoch >= 5).status == RUNNING
    job.stop()
    assert job.join(WAIT)
    snapshot = job.snapshot()
    assert (snapshot.status, snapshot.reason) == (STOPPED, "stopped by the user")
    assert snapshot.events == (SettingChange(1, "lr", 1e-3, 0.01),)
    assert snapshot.history[0].lr == 1e-3 and snapshot.history[1].lr == 0.01


def test_a_bad_live_value_is_refused_in_the_callers_process(tiny_config, pool):
    job = RemoteJob(tiny_config, pool=pool)
    with pytest.raises(ConfigError, match="'lr' parameter of TrainConfig"):
        job.update(lr=-1)


def test_runs_beyond_the_workers_wait_in_order_and_a_stop_leaves_the_queue(tiny_config, tiny_dataset, pool):
    long = tiny_config.replace(epochs=10_000)
    busy = [RemoteJob(long, tiny_dataset, pool=pool).start() for _ in range(2)]
    for job in busy:
        wait_for(job, lambda s: s.epoch > 0)
    first, second = (RemoteJob(tiny_config, tiny_dataset, pool=pool).start() for _ in range(2))
    assert [(job.status, job.snapshot().reason) for job in (first, second)] == [
        (QUEUED, "number 1 in line"),
        (QUEUED, "number 2 in line"),
    ]
    first.stop()
    assert first.status == STOPPED and first.snapshot().reason == "stopped before it started"
    assert second.snapshot().reason == "number 1 in line"
    busy[0].stop()
    assert second.join(WAIT) and second.status == DONE
    busy[1].stop()
    assert busy[1].join(WAIT)


def test_a_worker_that_dies_fails_its_run_and_is_replaced(tiny_config, tiny_dataset, pool):
    job = RemoteJob(tiny_config.replace(epochs=10_000), tiny_dataset, pool=pool).start()
    wait_for(job, lambda s: s.epoch > 0)
    worker = next(w for w in pool._workers if w.job is job)
    os.kill(worker.process.pid, signal.SIGKILL)
    assert job.join(WAIT)
    assert (job.status, job.snapshot().reason) == (
        FAILED,
        "The training process ended unexpectedly (out of memory?). Train again.",
    )
    after = RemoteJob(tiny_config, tiny_dataset, pool=pool).start()
    assert after.join(WAIT) and after.status == DONE  # the pool has two workers again


def test_bad_data_fails_with_the_engine_message(tiny_config, pool):
    job = RemoteJob(tiny_config.replace(dataset="csv"), pool=pool, table=b"a,b\n1,x\n").start()
    assert job.join(WAIT)
    assert job.status == FAILED and "not numeric" in job.snapshot().reason
