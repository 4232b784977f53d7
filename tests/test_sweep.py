"""Sweeps: the product of lists, the groups, and batched members that match their separate runs."""

import numpy as np
import pytest
import torch

from dae_core import ConfigError, RunConfig, Trainer
from dae_core.data import load_dataset
from dae_core.metrics import PCABaseline, pca_mse
from dae_core.records import EpochRecord
from dae_core.sweep import BatchedSteps, Sweep, architecture, expand, groups_of, train_group
from dae_core.training import fixed_noisy_test

REL = 0.03  # "within noise": a batched member shares the lead's batch order, not its own


def final_mse(history) -> float:
    return history[-1].test_mse


def separate(config: RunConfig, dataset) -> list[EpochRecord]:
    trainer = Trainer(config, dataset)
    return list(trainer.epochs())


@pytest.fixture
def base(tiny_config):
    return tiny_config.replace(epochs=5)


def test_expand_is_the_product_with_the_last_list_varying_fastest(base):
    configs = expand(base, {"noise_level": [0.1, 0.3], "seed": [0, 1, 2]})
    assert [(c.noise.noise_level, c.train.seed) for c in configs] == [
        (0.1, 0), (0.1, 1), (0.1, 2), (0.3, 0), (0.3, 1), (0.3, 2)
    ]  # fmt: skip
    assert all(c.replace(noise_level=base.noise.noise_level, seed=0) == base.replace(seed=0) for c in configs)


@pytest.mark.parametrize(
    ("lists", "message"),
    [
        ({"noise_level": []}, "The list of values for 'noise_level' is empty. Give at least one value."),
        ({"epochs": [1, 2]}, "'epochs' cannot vary in a sweep; these can: noise, noise_level, seed, lr, hidden_dim, "
                             "hidden_layers."),
        ({"seed": list(range(9)), "lr": [1e-3, 1e-2]}, "This sweep has 18 runs (9 seed x 2 lr); the limit is 16. "
                                                        "Give fewer values."),
    ],
)  # fmt: skip
def test_a_bad_sweep_is_refused_with_what_to_change(base, lists, message):
    with pytest.raises(ConfigError) as info:
        expand(base, lists, max_members=16)
    assert str(info.value) == message


def test_a_value_that_makes_no_valid_config_is_refused(base):
    with pytest.raises(ConfigError, match="'noise_level' parameter of NoiseConfig"):
        expand(base, {"noise_level": [0.2, -1.0]})


def test_runs_that_share_an_architecture_form_one_group(base):
    configs = expand(base, {"hidden_dim": [2, 3], "noise_level": [0.1, 0.2], "lr": [1e-3, 1e-2]})
    groups = groups_of(configs)
    assert [len(group) for group in groups] == [4, 4]
    assert all(len({architecture(configs[i]) for i in group}) == 1 for group in groups)
    assert {configs[i].model.hidden_dim for i in groups[0]} == {2}


def test_a_group_of_one_is_its_separate_run(base, tiny_dataset):
    [run] = Sweep([base], tiny_dataset).run()
    alone = separate(base, tiny_dataset)
    assert not run.batched
    assert [r.test_mse for r in run.trained.history] == [r.test_mse for r in alone]


@pytest.mark.parametrize(
    "lists",
    [
        {"noise_level": [0.1, 0.3, 0.5]},  # one optimizer stack
        {"lr": [1e-3, 3e-3], "seed": [0, 1]},  # two stacks, and members with another batch order than their own
        {"noise": ["gaussian", "masking"]},  # members that draw other noise
    ],
)
def test_each_batched_member_matches_its_separate_run(base, tiny_dataset, lists):
    configs = expand(base, lists)
    runs = Sweep(configs, tiny_dataset).run()
    assert all(run.batched for run in runs)
    for config, run in zip(configs, runs):
        alone = separate(config, tiny_dataset)
        assert len(run.trained.history) == len(alone) == base.train.epochs
        assert final_mse(run.trained.history) == pytest.approx(final_mse(alone), rel=REL), config.to_dict()
        # the weights the member ends with are the ones its record was scored on
        trainer = Trainer(config, tiny_dataset)
        trainer.model.load_state_dict(run.trained.model.state_dict())
        assert trainer.evaluate().test_mse == pytest.approx(final_mse(run.trained.history), rel=1e-6)


def test_members_with_the_lead_s_seed_train_exactly_as_alone(base, tiny_dataset):
    """Same seed, so the same batch order: only the batched arithmetic differs from the separate run."""
    configs = expand(base, {"noise_level": [0.1, 0.3]})
    runs = Sweep(configs, tiny_dataset).run()
    for config, run in zip(configs, runs):
        alone = separate(config, tiny_dataset)
        np.testing.assert_allclose(
            [r.train_loss for r in run.trained.history], [r.train_loss for r in alone], rtol=1e-4
        )


def test_tied_weights_train_batched(base, tiny_dataset):
    tied = base.replace(tied_weights=True, hidden_layers=(6,))
    configs = expand(tied, {"noise_level": [0.1, 0.3]})
    runs = Sweep(configs, tiny_dataset).run()
    for config, run in zip(configs, runs):
        assert final_mse(run.trained.history) == pytest.approx(final_mse(separate(config, tiny_dataset)), rel=REL)


def test_batched_forward_is_each_member_s_own_forward(base, tiny_dataset):
    configs = expand(base.replace(hidden_layers=(5,)), {"seed": [0, 1, 2]})
    trainers = [Trainer(c, tiny_dataset) for c in configs]
    steps = BatchedSteps(trainers)
    x = torch.randn(3, 7, tiny_dataset.n_features)
    with torch.no_grad():
        batched = steps.forward(x)
        for k, trainer in enumerate(steps.trainers):
            torch.testing.assert_close(batched[k], trainer.model(x[k]), rtol=1e-5, atol=1e-6)


def test_a_member_that_diverges_stops_alone_and_the_others_train_on(base, tiny_dataset):
    configs = expand(base.replace(epochs=8), {"lr": [1e-3, 1e6]})
    sweep = Sweep(configs, tiny_dataset)
    runs = sweep.run()
    calm, wild = runs
    assert wild.diverged and "Lower the learning rate (now 1e+06)" in wild.trained.stop_reason
    assert all(torch.isfinite(p).all() for p in wild.trained.model.parameters())  # its last finite weights
    assert not calm.diverged and len(calm.trained.history) == 8
    assert final_mse(calm.trained.history) == pytest.approx(final_mse(separate(configs[0], tiny_dataset)), rel=REL)


def test_early_stopping_ends_a_member_alone(base, tiny_dataset):
    configs = expand(base.replace(epochs=60, patience=2, lr=0.05), {"seed": [0, 1]})
    runs = Sweep(configs, tiny_dataset).run()
    for config, run in zip(configs, runs):
        alone = Trainer(config, tiny_dataset)
        list(alone.epochs())
        assert alone.stop_reason.startswith("Early stop at epoch")
        assert run.trained.stop_reason.startswith("Early stop at epoch")
        assert run.trained.weights_epoch < len(run.trained.history) < 60  # it kept its best epoch's weights
        assert abs(len(run.trained.history) - len(alone.history)) <= 3


def test_every_member_s_epochs_are_yielded_as_they_come(base, tiny_dataset):
    configs = expand(base, {"noise_level": [0.1, 0.3], "hidden_dim": [2, 3]})
    seen = list(Sweep(configs, tiny_dataset).epochs())
    assert sorted({index for index, _ in seen}) == [0, 1, 2, 3]
    for index in range(4):
        assert [record.epoch for i, record in seen if i == index] == [1, 2, 3, 4, 5]


def test_train_group_sends_back_plain_data(base):
    configs = expand(base, {"noise_level": [0.1, 0.3]})
    payload = train_group(configs)
    assert [member["config"] for member in payload] == [c.to_dict() for c in configs]
    assert all(isinstance(a, np.ndarray) for member in payload for a in member["weights"].values())
    assert {member["worker"] for member in payload} == {"local"}
    here = Sweep(configs, load_dataset(base.data)).run()
    assert [member["history"][-1]["test_mse"] for member in payload] == [final_mse(r.trained.history) for r in here]


def test_a_noise_sweep_fits_its_pca_baseline_once_and_scores_each_level_with_it(monkeypatch, tiny_config):
    fitted = []
    fit = PCABaseline.fit
    monkeypatch.setattr(PCABaseline, "fit", lambda self, X: fitted.append(self.n_components) or fit(self, X))
    levels = [0.1, 0.3, 0.5]
    runs = Sweep(expand(tiny_config, {"noise_level": levels})).run()
    assert fitted == [tiny_config.model.hidden_dim]  # one fit for three levels
    dataset = load_dataset(tiny_config.data)
    for run in runs:  # each level's baseline as a fresh fit scores it
        noisy = fixed_noisy_test(run.config, dataset, run.config.noise.noise_level, torch.device("cpu")).numpy()
        expected = pca_mse(dataset.X_train, noisy, dataset.X_test, tiny_config.model.hidden_dim)
        assert run.trained.history[-1].pca_mse == pytest.approx(expected, rel=1e-12)
    assert len({run.trained.history[-1].pca_mse for run in runs}) == len(levels)
