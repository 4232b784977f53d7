"""TrainingJob without any UI: controls, statuses, snapshots and the limits a job enforces itself.

Every wait here is on the job's own condition (``wait_for``), never a sleep, and the time limits run on a clock
the test moves, so a loaded machine cannot make these tests flaky.
"""

import threading
import weakref

import numpy as np
import pytest
import torch

from dae_core import Trainer
from dae_core.records import SettingChange
from dae_core.serving.job import DONE, FAILED, PAUSED, RUNNING, STOPPED, TrainingJob
from dae_core.serving.limits import Limits

WAIT = 30.0  # seconds before a wait gives up; only reached when something is broken


def wait_for(job, predicate):
    snapshot = job.wait_for(predicate, WAIT)
    assert predicate(snapshot), f"gave up waiting; the job says {snapshot.status}: {snapshot.reason}"
    return snapshot


class Clock:
    """A clock the test moves by hand: the job's time limits read it."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_runs_to_done_and_history_matches_a_plain_run(tiny_config, tiny_dataset):
    from dae_core import train

    ended = []
    job = TrainingJob(tiny_config, tiny_dataset, on_end=ended.append).start()
    assert job.join(WAIT)
    snap = job.snapshot()
    assert (snap.status, snap.reason, snap.epoch, snap.total_epochs) == (DONE, "finished 3 epochs", 3, 3)
    expected = [r.train_loss for r in train(tiny_config, tiny_dataset)]
    assert [r.train_loss for r in snap.history] == expected
    assert snap.finished and snap.elapsed_seconds > 0
    assert [(s.status, s.epoch) for s in ended] == [(DONE, 3)]  # told once, with the final snapshot


def test_pause_holds_step_adds_exactly_one_epoch_and_resume_continues(tiny_config, tiny_dataset):
    job = TrainingJob(tiny_config.replace(epochs=1000), tiny_dataset, start_paused=True).start()
    assert wait_for(job, lambda s: s.status == PAUSED).epoch == 0
    job.step()
    # The job reports PAUSED again only once it holds; had it run on, the count would be past 1 by then.
    after_step = wait_for(job, lambda s: s.epoch >= 1 and s.status == PAUSED)
    assert after_step.epoch == 1
    job.resume()
    assert wait_for(job, lambda s: s.epoch >= 5).status == RUNNING
    job.pause()
    held = wait_for(job, lambda s: s.status == PAUSED).epoch
    job.step()
    assert wait_for(job, lambda s: s.epoch > held and s.status == PAUSED).epoch == held + 1
    job.stop()
    assert job.join(WAIT)
    snap = job.snapshot()
    assert (snap.status, snap.reason, snap.epoch) == (STOPPED, "stopped by the user", held + 1)


def test_a_step_on_the_last_epoch_ends_the_run(tiny_config, tiny_dataset):
    job = TrainingJob(tiny_config.replace(epochs=1), tiny_dataset, start_paused=True).start()
    job.step()
    assert job.join(WAIT)
    assert (job.status, job.snapshot().epoch) == (DONE, 1)


def test_elapsed_time_and_eta_stand_still_while_paused(tiny_config, tiny_dataset):
    clock = Clock()
    job = TrainingJob(tiny_config.replace(epochs=100), tiny_dataset, start_paused=True, clock=clock)
    job.start()
    wait_for(job, lambda s: s.status == PAUSED)
    job.step()
    paused = wait_for(job, lambda s: s.epoch == 1 and s.status == PAUSED)
    clock.now += 500  # half an hour of coffee: neither the elapsed time nor an ETA may count it
    later = job.snapshot()
    assert later.elapsed_seconds == paused.elapsed_seconds
    assert later.eta_seconds is None  # nothing to estimate while nothing trains
    job.stop()
    assert job.join(WAIT)


def test_wait_for_epochs_returns_once_the_epochs_are_done(tiny_config, tiny_dataset):
    job = TrainingJob(tiny_config.replace(epochs=1000), tiny_dataset).start()
    try:
        assert job.wait_for_epochs(2, timeout=WAIT)
        assert job.snapshot().epoch >= 2
    finally:
        job.stop()
        job.join(WAIT)


def test_wait_for_epochs_gives_up_at_the_timeout(tiny_config, tiny_dataset):
    from dae_core.serving.pool import WorkerPool
    from dae_core.serving.remote import RemoteJob

    job = RemoteJob(tiny_config, tiny_dataset, pool=WorkerPool(0)).start()  # no worker: it can never train
    assert not job.wait_for_epochs(1, timeout=0.05)
    assert not job.join(timeout=0.01)
    job.stop()
    assert job.join(WAIT) and job.snapshot().reason == "stopped before it started"


def test_wait_for_epochs_returns_at_once_when_the_run_ends_first(tiny_config, tiny_dataset):
    job = TrainingJob(tiny_config, tiny_dataset, start_paused=True).start()
    wait_for(job, lambda s: s.status == PAUSED)
    stopper = threading.Thread(target=job.stop)
    stopper.start()
    assert not job.wait_for_epochs(1, timeout=WAIT)  # woken by the stop: a timeout would fail the suite's time
    assert job.status == STOPPED


def test_an_early_stopped_run_keeps_and_reports_its_best_epoch(tiny_config, tiny_dataset):
    job = TrainingJob(tiny_config.replace(epochs=200, patience=2, lr=0.05), tiny_dataset).start()
    assert job.join(60)
    snap = job.snapshot()
    best = min(snap.history, key=lambda record: record.test_mse)
    assert snap.reason.startswith("Early stop") and snap.epoch > best.epoch
    assert snap.weights_epoch == best.epoch and snap.kept_record == best
    trained = job.trained_model()
    assert trained.weights_epoch == best.epoch and trained.kept_record == best


def test_live_changes_are_applied_from_the_next_epoch_and_marked(tiny_config, tiny_dataset):
    job = TrainingJob(tiny_config.replace(epochs=4), tiny_dataset, start_paused=True).start()
    job.step()
    wait_for(job, lambda s: s.epoch == 1 and s.status == PAUSED)
    job.update(job.snapshot().settings.replace_live(lr=0.01, noise_level=0.4))
    assert job.snapshot().settings.live() == {"lr": 0.01, "noise_level": 0.4}
    job.resume()
    assert job.join(WAIT)
    snap = job.snapshot()
    assert [r.lr for r in snap.history] == [1e-3, 0.01, 0.01, 0.01]
    assert [r.noise_level for r in snap.history] == [0.2, 0.4, 0.4, 0.4]
    assert snap.events == (SettingChange(1, "lr", 1e-3, 0.01), SettingChange(1, "noise_level", 0.2, 0.4))
    assert [event.text for event in snap.events] == ["learning rate 0.001 → 0.01", "noise level 0.2 → 0.4"]
    assert snap.config.train.lr == 1e-3  # the starting settings stay; the change is an event


def test_nan_loss_fails_with_reason_and_finite_weights(tiny_config, tiny_dataset):
    job = TrainingJob(tiny_config.replace(lr=1e6, optimizer="sgd"), tiny_dataset).start()
    assert job.join(WAIT)
    snap = job.snapshot()
    assert snap.status == FAILED and "non-finite" in snap.reason and "epoch 1" in snap.reason
    assert job.trained_model() is not None
    assert all(np.isfinite(p.detach().numpy()).all() for p in job.trained_model().model.parameters())


def test_bad_data_fails_with_the_engine_message(tiny_config):
    job = TrainingJob(tiny_config.replace(dataset="csv", csv_path="missing.csv")).start()
    assert job.join(WAIT)
    assert job.snapshot().status == FAILED
    assert job.snapshot().reason == "CSV file 'missing.csv' does not exist. Check the path and try again."


@pytest.mark.parametrize(
    ("error", "where"),
    [
        (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), "the GPU had free"),
        (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 8 GB"), "this machine had"),
    ],
)  # fmt: skip
def test_a_run_out_of_memory_fails_saying_what_to_lower_and_the_next_run_trains(monkeypatch, tiny_config,
                                                                                tiny_dataset, error, where):  # fmt: skip
    train_epoch, scratch = Trainer._train_epoch, []

    def out_of_memory(self):
        step = torch.zeros(1000)  # what a failed step holds in its frame
        scratch.append(weakref.ref(step))
        raise type(error)(*error.args)

    freed = []  # whether the failed step's tensors were gone when the card's cache was emptied
    monkeypatch.setattr(Trainer, "_train_epoch", out_of_memory)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: freed.append(scratch[0]() is None))
    job = TrainingJob(tiny_config, tiny_dataset).start()
    assert job.join(WAIT)
    reason = job.snapshot().reason
    assert job.status == FAILED and where in reason and "Lower the batch size, the code size" in reason
    assert "\n" not in reason and "Tried to allocate" not in reason
    assert freed == [True]  # emptied before the job said it failed
    monkeypatch.setattr(Trainer, "_train_epoch", train_epoch)
    again = TrainingJob(tiny_config, tiny_dataset).start()
    assert again.join(WAIT) and again.status == DONE


def test_stops_itself_when_nobody_reads_it(tiny_config, tiny_dataset):
    clock = Clock()
    limits = Limits(idle_seconds=300)
    job = TrainingJob(tiny_config.replace(epochs=10_000), tiny_dataset, limits=limits, clock=clock)
    job.start()
    wait_for(job, lambda s: s.epoch >= 1)  # read at the clock's start, so a run this fresh is watched
    clock.now += 301
    assert job.join(WAIT)
    assert (job.status, job.snapshot().reason) == (STOPPED, "stopped: nobody looked at it for 300 s")


def test_a_paused_run_that_nobody_reads_stops_too(tiny_config, tiny_dataset):
    clock = Clock()
    limits = Limits(idle_seconds=300)
    job = TrainingJob(tiny_config, tiny_dataset, limits=limits, clock=clock, start_paused=True)
    job.start()
    wait_for(job, lambda s: s.status == PAUSED)
    clock.now += 301
    job.resume()  # any change wakes the held job, which then sees the limit
    assert job.join(WAIT)
    assert job.snapshot().reason == "stopped: nobody looked at it for 300 s"


def test_stops_itself_after_the_wall_time_limit(tiny_config, tiny_dataset):
    clock = Clock()
    limits = Limits(wall_seconds=900)
    job = TrainingJob(tiny_config.replace(epochs=10_000), tiny_dataset, limits=limits, clock=clock)
    job.start()
    wait_for(job, lambda s: s.epoch >= 1)
    clock.now += 901
    job.snapshot()  # someone is watching: only the wall-time limit applies
    assert job.join(WAIT)
    assert job.snapshot().reason == "stopped: it ran past the 900 s limit"


def test_a_paused_run_stops_at_the_wall_time_limit_with_no_control_given(tiny_config, tiny_dataset):
    """Nothing wakes the held job but its own deadline (a real clock here): it ends stopped, saying why."""
    limits = Limits(wall_seconds=0.5)
    job = TrainingJob(tiny_config.replace(epochs=10_000), tiny_dataset, limits=limits, start_paused=True).start()
    snapshot = wait_for(job, lambda s: s.finished)
    assert (snapshot.status, snapshot.reason, snapshot.epoch) == (STOPPED, "stopped: it ran past the 0.5 s limit", 0)


def test_snapshots_and_models_are_safe_while_training(tiny_config, tiny_dataset):
    job = TrainingJob(tiny_config.replace(epochs=100), tiny_dataset).start()
    seen, errors = [], []

    def reader():
        try:
            while not job.snapshot().finished:
                snap = job.snapshot()
                assert [r.epoch for r in snap.history] == list(range(1, snap.epoch + 1))
                model = job.trained_model()
                if model is not None:
                    seen.append(model.weights_epoch)
                    assert model.denoise(tiny_dataset.X_test[:2]).shape == (2, 8)
        except Exception as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    assert job.join(60)
    for thread in threads:
        thread.join(10)
    assert not errors
    assert seen, "the readers never saw published weights"
    assert job.snapshot().status == DONE


def test_trained_model_is_a_copy_of_the_published_weights(tiny_config, tiny_dataset):
    job = TrainingJob(tiny_config, tiny_dataset).start()
    assert job.join(WAIT)
    first, second = job.trained_model(), job.trained_model()
    assert len(first.history) == 3
    before = second.denoise(tiny_dataset.X_test)
    for parameter in first.model.parameters():
        parameter.data.zero_()
    np.testing.assert_array_equal(second.denoise(tiny_dataset.X_test), before)
