"""Training: reproducibility, records, the PCA oracle, stop rules and mid-run changes."""

import json
import math
import time

import numpy as np
import pytest

from dae_core import RunConfig, Trainer, load_dataset, train
from dae_core.config import LOSSES, OPTIMIZERS
from dae_core.metrics import pca_mse


def _losses(config):
    return [record.train_loss for record in train(config)]


def test_same_config_and_seed_give_identical_losses(tiny_config):
    first = [r.to_dict() for r in train(tiny_config)]
    second = [r.to_dict() for r in train(tiny_config)]
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("seconds", "samples_per_second")} for r in rows]  # noqa: E731
    assert strip(first) == strip(second)
    assert _losses(tiny_config.replace(seed=1)) != [r["train_loss"] for r in first]


def test_records_are_plain_json_safe_data(tiny_config):
    records = list(train(tiny_config))
    assert [r.epoch for r in records] == [1, 2, 3]
    row = records[-1].to_dict()
    assert json.loads(json.dumps(row)) == row
    assert all(type(v) in (int, float, type(None)) for v in row.values())
    assert row["lr"] == 1e-3 and row["noise_level"] == 0.2 and row["samples_per_second"] > 0


def test_baselines_in_records_are_the_identity_and_pca_on_the_same_noisy_inputs(tiny_config):
    trainer = Trainer(tiny_config)
    record = next(trainer.epochs())
    noisy, *_ = trainer.evaluation_set()
    noisy, clean = noisy.numpy(), trainer.dataset.X_test
    assert record.identity_mse == pytest.approx(np.mean((noisy - clean) ** 2), rel=1e-5)
    assert record.pca_mse == pytest.approx(pca_mse(trainer.dataset.X_train, noisy, clean, 3), rel=1e-9)


def test_linear_autoencoder_without_noise_converges_to_the_pca_subspace():
    """Baldi & Hornik (1989): a linear AE's optimum spans the top-k principal subspace."""
    config = RunConfig().replace(
        n_samples=600, n_features=10, n_informative=4, hidden_dim=3, activation="identity", noise_level=0.0,
        epochs=60, lr=0.01, batch_size=32,
    )  # fmt: skip
    records = list(train(config))
    final = records[-1]
    assert final.identity_mse == 0.0  # no noise: the noisy input is the clean input
    assert final.test_mse == pytest.approx(final.pca_mse, rel=0.03)


def test_seed_defaults_beat_the_zero_predictor_quickly():
    config = RunConfig().replace(epochs=15)
    final = list(train(config))[-1]
    zero_mse = float(np.mean(load_dataset(config.data).X_test ** 2))
    assert final.test_mse < zero_mse < 1.0  # the seed's sigmoid model stays above 1.17


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("loss", LOSSES)
def test_every_optimizer_and_loss_reduces_the_loss(tiny_config, optimizer, loss):
    config = tiny_config.replace(optimizer=optimizer, loss=loss, lr=0.01, epochs=8)
    losses = _losses(config)
    assert losses[-1] < losses[0]


def test_each_record_times_its_own_epoch(tiny_config):
    start = time.perf_counter()
    records = list(train(tiny_config.replace(epochs=3)))
    elapsed = time.perf_counter() - start
    assert all(0 < record.seconds <= elapsed for record in records)
    assert sum(record.seconds for record in records) <= elapsed
    rows = records[0].samples_per_second * records[0].seconds
    assert rows == pytest.approx(round(tiny_config.data.n_samples * (1 - tiny_config.data.test_fraction)), abs=1)


def test_full_batch_is_one_step_per_epoch(tiny_config):
    trainer = Trainer(tiny_config.replace(batch_size=0, epochs=2))
    list(trainer.epochs())
    assert trainer.optimizer.steps == 2


def test_nan_loss_stops_with_a_reason_and_leaves_finite_weights(tiny_config):
    trainer = Trainer(tiny_config.replace(lr=1e6, optimizer="sgd", epochs=5))
    records = list(trainer.epochs())
    assert records == [] and trainer.outcome.kind == "diverged"
    assert trainer.stop_reason.startswith("Training stopped at epoch 1: the loss became nan (non-finite).")
    assert "Lower the learning rate (now 1e+06)" in trainer.stop_reason
    assert all(np.isfinite(p.detach().numpy()).all() for p in trainer.model.parameters())


def test_nan_later_restores_the_last_finite_epoch(tiny_config):
    trainer = Trainer(tiny_config.replace(optimizer="sgd", lr=0.01, epochs=10))
    assert [record.epoch for _, record in zip(range(2), trainer.epochs())] == [1, 2]
    kept = trainer.state_copy()
    trainer.update(trainer.settings.replace_live(lr=1e6))
    assert list(trainer.epochs()) == [] and trainer.outcome.diverged
    assert "epoch 3" in trainer.stop_reason and "restored to epoch 2" in trainer.stop_reason
    for name, value in trainer.model.state_dict().items():
        assert np.array_equal(value.numpy(), kept[name].numpy())


def test_lr_and_noise_level_change_between_epochs(tiny_config):
    trainer = Trainer(tiny_config.replace(epochs=4))
    epochs = trainer.epochs()
    first = next(epochs)
    changes = trainer.update(trainer.settings.replace_live(lr=0.01, noise_level=0.5))
    assert changes == {"lr": (1e-3, 0.01), "noise_level": (0.2, 0.5)}
    second = next(epochs)
    assert trainer.config.train.lr == 1e-3  # the starting settings stay as they were
    assert (first.lr, first.noise_level) == (1e-3, 0.2)
    assert (second.lr, second.noise_level) == (0.01, 0.5)
    assert second.identity_mse > 4 * first.identity_mse  # sigma 0.5 vs 0.2: variance 6.25x
    assert trainer.optimizer.param_groups[0]["lr"] == 0.01


def test_bad_mid_run_values_are_rejected(tiny_config):
    with pytest.raises(ValueError, match="'lr' parameter"):
        tiny_config.replace_live(lr=-1)
    with pytest.raises(ValueError, match="'noise_level' parameter of NoiseConfig"):
        tiny_config.replace_live(noise_level=7)
    with pytest.raises(ValueError) as error:
        tiny_config.replace_live(hidden_dim=4)
    assert str(error.value) == (
        "Only 'lr', 'noise_level' can change while a run trains. Got 'hidden_dim': start a new run to change it."
    )


def test_early_stopping_stops_and_keeps_the_best_weights(tiny_config):
    config = tiny_config.replace(epochs=200, patience=2, lr=0.05)
    trainer = Trainer(config)
    records = list(trainer.epochs())
    assert len(records) < 200
    assert trainer.stop_reason.startswith(f"Early stop at epoch {records[-1].epoch}")
    best = min(r.test_mse for r in records)
    trainer.model.eval()
    noisy, *_ = trainer.evaluation_set()
    reconstruction = trainer.model(noisy).detach().numpy()
    assert float(np.mean((reconstruction - trainer.dataset.X_test) ** 2)) == pytest.approx(best, rel=1e-5)
    kept = trainer.result()
    assert kept.weights_epoch == min(records, key=lambda r: r.test_mse).epoch < records[-1].epoch
    assert kept.kept_record.test_mse == best


def test_a_full_run_keeps_the_last_epochs_weights(tiny_config):
    trainer = Trainer(tiny_config)
    list(trainer.epochs())
    assert trainer.result().weights_epoch == trainer.result().kept_record.epoch == 3


def test_consumer_can_stop_by_breaking_and_continue_later(tiny_config):
    trainer = Trainer(tiny_config.replace(epochs=5))
    for record in trainer.epochs():
        if record.epoch == 2:
            break
    assert trainer.outcome is None  # the consumer stopped it, not the loop
    assert [r.epoch for r in trainer.epochs()] == [3, 4, 5]
    assert (trainer.outcome.kind, trainer.outcome.reason) == ("finished", "finished 5 epochs")


def test_a_gate_holds_each_epoch_and_can_end_the_loop(tiny_config):
    trainer = Trainer(tiny_config.replace(epochs=5))
    asked = []
    gate = lambda: asked.append(trainer.epoch) or len(asked) <= 2  # noqa: E731
    assert [r.epoch for r in trainer.epochs(gate)] == [1, 2]
    assert asked == [0, 1, 2] and trainer.outcome is None


def test_a_stop_rule_ends_the_loop_with_its_reason(tiny_config):
    rule = lambda trainer, record: (record.epoch == 2, "enough")  # noqa: E731
    trainer = Trainer(tiny_config.replace(epochs=5), stop_rules=[rule])
    assert len(list(trainer.epochs())) == 2
    assert (trainer.outcome.kind, trainer.stop_reason) == ("stopped by a rule", "enough")


def test_the_result_is_independent_of_the_trainer(tiny_config, tiny_dataset):
    trainer = Trainer(tiny_config, tiny_dataset)
    list(trainer.epochs())
    result = trainer.result()
    before = result.denoise(tiny_dataset.X_test)
    trainer.model.encoder[0].weight.data.zero_()
    np.testing.assert_array_equal(result.denoise(tiny_dataset.X_test), before)


def test_digits_reports_psnr(digits_dataset):
    config = RunConfig().replace(dataset="digits", hidden_dim=8, epochs=1)
    record = next(Trainer(config, digits_dataset).epochs())
    assert record.test_psnr == pytest.approx(10 * math.log10(1 / record.test_mse))


def test_result_denoises_and_encodes(tiny_config, tiny_dataset):
    trainer = Trainer(tiny_config, tiny_dataset)
    list(trainer.epochs())
    result = trainer.result()
    assert result.denoise(tiny_dataset.X_test).shape == tiny_dataset.X_test.shape
    assert result.encode(tiny_dataset.X_test).shape == (len(tiny_dataset.X_test), 3)
    assert len(result.history) == 3


def test_adam_at_lr_1e6_diverges_to_a_finite_runaway_loss_and_is_stopped(tiny_config):
    """Adam's normalized steps keep every number finite at lr 1e6; the loss still explodes, and that stops too."""
    trainer = Trainer(tiny_config.replace(lr=1e6, epochs=5))
    assert list(trainer.epochs()) == []
    assert trainer.stop_reason.startswith("Training stopped at epoch 1: the loss became ")
    assert "times that of predicting all zeros" in trainer.stop_reason and "training diverged" in trainer.stop_reason
    initial = Trainer(tiny_config).model.state_dict()
    for name, value in trainer.model.state_dict().items():
        assert np.array_equal(value.numpy(), initial[name].numpy())  # restored to the initial weights


def test_a_slowly_rising_loss_is_not_called_divergence(tiny_config):
    trainer = Trainer(tiny_config.replace(lr=0.05, optimizer="sgd", epochs=3))
    assert len(list(trainer.epochs())) == 3 and trainer.stop_reason == ""


def test_a_trained_model_crosses_processes_as_plain_data_and_comes_back_the_same(tiny_config, tiny_dataset):
    trainer = Trainer(tiny_config, tiny_dataset)
    list(trainer.epochs())
    trained = trainer.result()
    plain = trained.to_plain()
    assert {type(array).__name__ for array in plain["weights"].values()} == {"ndarray"}
    assert json.loads(json.dumps(plain["history"])) == plain["history"]
    back = type(trained).from_plain(tiny_config, tiny_dataset, plain)
    assert back.history == trained.history and back.weights_epoch == trained.weights_epoch
    np.testing.assert_array_equal(back.denoise(tiny_dataset.X_test), trained.denoise(tiny_dataset.X_test))


def test_a_trained_model_knows_the_settings_it_ended_with(tiny_config, tiny_dataset):
    trainer = Trainer(tiny_config.replace(epochs=2), tiny_dataset)
    assert trainer.result().settings == trainer.config  # nothing trained yet: the config itself
    next(trainer.epochs())
    trainer.update(trainer.settings.replace_live(lr=0.01, noise_level=0.4))
    list(trainer.epochs())
    assert trainer.result().settings.live() == {"lr": 0.01, "noise_level": 0.4}
    assert trainer.result().settings.fixed_settings() == tiny_config.replace(epochs=2).fixed_settings()


def test_a_trainer_can_start_from_the_weights_of_another_run(tiny_config, tiny_dataset):
    first = Trainer(tiny_config.replace(epochs=30), tiny_dataset)
    last = list(first.epochs())[-1]
    weights = first.state_copy()
    again = Trainer(tiny_config.replace(epochs=1), tiny_dataset, initial=weights)
    np.testing.assert_array_equal(
        again.result().denoise(tiny_dataset.X_test), first.result().denoise(tiny_dataset.X_test)
    )
    fresh = Trainer(tiny_config.replace(epochs=1), tiny_dataset)
    [went_on], [started] = list(again.epochs()), list(fresh.epochs())
    assert abs(went_on.test_mse - last.test_mse) < abs(started.test_mse - last.test_mse)


def test_a_device_is_named_as_a_person_reads_it(monkeypatch):
    import torch

    from dae_core.config import device_label

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert [device_label(name) for name in ("cpu", "auto", "cuda")] == [
        "the CPU", "the CPU", "a CUDA GPU, which this machine does not have"
    ]  # fmt: skip
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=None: "NVIDIA H200")
    assert [device_label(name) for name in ("cpu", "auto", "cuda")] == [
        "the CPU", "NVIDIA H200 (CUDA)", "NVIDIA H200 (CUDA)"
    ]  # fmt: skip
