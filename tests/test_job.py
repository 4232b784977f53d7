"""TrainingJob without any UI: controls, statuses, snapshots, limits and the slot pool."""

import threading
import time

import numpy as np
import pytest

from dae_core import ConfigError
from dae_core.job import DONE, FAILED, PAUSED, QUEUED, RUNNING, STOPPED, SlotPool, TrainingJob


def _wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def slots():
    return SlotPool(2)  # a private pool, so tests do not queue behind each other


def test_runs_to_done_and_history_matches_a_plain_run(tiny_config, tiny_dataset, slots):
    from dae_core import train

    job = TrainingJob(tiny_config, tiny_dataset, slots=slots).start()
    assert job.join(20)
    snap = job.snapshot()
    assert (snap.status, snap.reason, snap.epoch, snap.total_epochs) == (DONE, "finished 3 epochs", 3, 3)
    expected = [r.train_loss for r in train(tiny_config, tiny_dataset)]
    assert [r.train_loss for r in snap.history] == expected
    assert snap.finished and snap.elapsed_seconds > 0


def test_pause_holds_the_epoch_count_step_adds_one_and_resume_continues(tiny_config, tiny_dataset, slots):
    job = TrainingJob(tiny_config.replace(epochs=1000), tiny_dataset, slots=slots, start_paused=True).start()
    assert _wait_until(lambda: job.status == PAUSED)
    time.sleep(0.2)
    assert job.snapshot().epoch == 0
    job.step()
    assert _wait_until(lambda: job.snapshot().epoch == 1 and job.status == PAUSED)
    time.sleep(0.2)
    assert job.snapshot().epoch == 1
    job.resume()
    assert _wait_until(lambda: job.snapshot().epoch >= 5)
    assert job.status == RUNNING
    job.pause()
    assert _wait_until(lambda: job.status == PAUSED)
    held = job.snapshot().epoch
    time.sleep(0.2)
    assert job.snapshot().epoch == held
    job.stop()
    assert job.join(10)
    assert (job.status, job.snapshot().reason) == (STOPPED, "stopped by the user")


def test_wait_for_epochs_returns_once_the_epochs_are_done(tiny_config, tiny_dataset, slots):
    job = TrainingJob(tiny_config.replace(epochs=1000), tiny_dataset, slots=slots).start()
    try:
        assert job.wait_for_epochs(2, timeout=20)
        assert job.snapshot().epoch >= 2
    finally:
        job.stop()
        job.join(10)


def test_wait_for_epochs_gives_up_at_the_timeout_on_a_paused_run(tiny_config, tiny_dataset, slots):
    job = TrainingJob(tiny_config, tiny_dataset, slots=slots, start_paused=True).start()
    started = time.monotonic()
    assert not job.wait_for_epochs(1, timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 5
    assert job.snapshot().epoch == 0
    job.stop()
    assert job.join(10)


def test_wait_for_epochs_returns_at_once_when_the_run_ends_first(tiny_config, tiny_dataset, slots):
    job = TrainingJob(tiny_config, tiny_dataset, slots=slots, start_paused=True).start()
    assert _wait_until(lambda: job.status == PAUSED)
    threading.Timer(0.1, job.stop).start()
    started = time.monotonic()
    assert not job.wait_for_epochs(1, timeout=30)
    assert time.monotonic() - started < 5  # woken by the stop, not by the timeout
    assert job.status == STOPPED


def test_an_early_stopped_run_keeps_and_reports_its_best_epoch(tiny_config, tiny_dataset, slots):
    job = TrainingJob(tiny_config.replace(epochs=200, patience=2, lr=0.05), tiny_dataset, slots=slots).start()
    assert job.join(60)
    snap = job.snapshot()
    best = min(snap.history, key=lambda record: record.test_mse)
    assert snap.reason.startswith("Early stop") and snap.epoch > best.epoch
    assert snap.weights_epoch == best.epoch and snap.kept_record == best
    assert job.weights()[0] == best.epoch
    trained = job.trained_model()
    assert trained.weights_epoch == best.epoch and trained.kept_record == best


def test_mid_run_changes_are_applied_and_marked(tiny_config, tiny_dataset, slots):
    job = TrainingJob(tiny_config.replace(epochs=4), tiny_dataset, slots=slots, start_paused=True).start()
    job.step()
    assert _wait_until(lambda: job.snapshot().epoch == 1 and job.status == PAUSED)
    job.set_lr(0.01)
    job.set_noise_level(0.4)
    job.resume()
    assert job.join(20)
    snap = job.snapshot()
    assert [r.lr for r in snap.history] == [1e-3, 0.01, 0.01, 0.01]
    assert [r.noise_level for r in snap.history] == [0.2, 0.4, 0.4, 0.4]
    assert snap.events == ((1, "lr 0.001 → 0.01"), (1, "noise_level 0.2 → 0.4"))


def test_bad_mid_run_value_is_reported_to_the_caller(tiny_config, slots):
    job = TrainingJob(tiny_config, slots=slots)
    with pytest.raises(ConfigError, match="'lr' parameter of TrainConfig"):
        job.set_lr(0)


def test_nan_loss_fails_with_reason_and_finite_weights(tiny_config, tiny_dataset, slots):
    job = TrainingJob(tiny_config.replace(lr=1e6, optimizer="sgd"), tiny_dataset, slots=slots).start()
    assert job.join(20)
    snap = job.snapshot()
    assert snap.status == FAILED and "non-finite" in snap.reason and "epoch 1" in snap.reason
    _, state = job.weights()
    assert all(np.isfinite(v.numpy()).all() for v in state.values())


def test_bad_data_fails_with_the_engine_message(tiny_config, slots):
    job = TrainingJob(tiny_config.replace(dataset="csv", csv_path="missing.csv"), slots=slots).start()
    assert job.join(10)
    assert job.snapshot().status == FAILED
    assert job.snapshot().reason == "CSV file 'missing.csv' does not exist. Check the path and try again."


def test_stops_itself_when_nobody_reads_it(tiny_config, tiny_dataset, slots):
    job = TrainingJob(tiny_config.replace(epochs=10_000), tiny_dataset, slots=slots, idle_timeout=0.3).start()
    assert job.join(20)
    assert job.status == STOPPED
    assert job.snapshot().reason == "stopped: nobody looked at it for 0.3 s"


def test_stops_itself_after_the_wall_time_limit(tiny_config, tiny_dataset, slots):
    job = TrainingJob(tiny_config.replace(epochs=10_000), tiny_dataset, slots=slots, max_wall_seconds=0.3).start()
    assert job.join(20)
    assert job.snapshot().reason == "stopped: it ran past the 0.3 s limit"


def test_jobs_beyond_the_slot_pool_wait_in_queued(tiny_config, tiny_dataset):
    pool = SlotPool(1)
    first = TrainingJob(tiny_config.replace(epochs=10_000), tiny_dataset, slots=pool).start()
    assert _wait_until(lambda: first.snapshot().epoch > 0)
    second = TrainingJob(tiny_config, tiny_dataset, slots=pool).start()
    time.sleep(0.3)
    assert second.status == QUEUED
    first.stop()
    assert second.join(20) and second.status == DONE


def test_snapshots_and_weights_are_safe_while_training(tiny_config, tiny_dataset, slots):
    job = TrainingJob(tiny_config.replace(epochs=100), tiny_dataset, slots=slots).start()
    seen, errors = [], []

    def reader():
        try:
            while not job.snapshot().finished:
                snap = job.snapshot()
                assert [r.epoch for r in snap.history] == list(range(1, snap.epoch + 1))
                epoch, state = job.weights()
                if state is not None:
                    seen.append(epoch)
                    model = job.trained_model()
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


def test_trained_model_is_independent_of_the_live_model(tiny_config, tiny_dataset, slots):
    job = TrainingJob(tiny_config, tiny_dataset, slots=slots).start()
    assert job.join(20)
    result = job.trained_model()
    assert len(result.history) == 3
    before = result.denoise(tiny_dataset.X_test)
    job._trainer.model_.encoder[0].weight.data.zero_()
    np.testing.assert_array_equal(result.denoise(tiny_dataset.X_test), before)
