"""Config validation, error wording and the dict / JSON / flat round trips."""

import json

import pytest

from dae_core import ConfigError, DataConfig, ModelConfig, NoiseConfig, RunConfig, TrainConfig


def test_defaults_are_the_seed_tutorial():
    cfg = RunConfig()
    assert (cfg.data.dataset, cfg.data.n_samples, cfg.data.n_features, cfg.data.data_seed) == (
        "synthetic",
        1000,
        20,
        42,
    )
    assert (cfg.model.hidden_dim, cfg.noise.noise, cfg.noise.noise_level) == (8, "gaussian", 0.2)
    assert (cfg.train.optimizer, cfg.train.lr, cfg.train.epochs, cfg.data.test_fraction) == ("adam", 1e-3, 50, 0.2)


def test_bad_value_names_parameter_range_and_value():
    with pytest.raises(ConfigError) as err:
        NoiseConfig(noise="masking", noise_level=-0.1)
    assert str(err.value) == ("The 'noise_level' parameter of NoiseConfig must be a float in [0, 1]. Got -0.1 instead.")


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as err:
        TrainConfig(epochs=0, optimizer="adagrad")
    lines = str(err.value).splitlines()
    assert lines == [
        "The 'epochs' parameter of TrainConfig must be an int in [1, 10000]. Got 0 instead.",
        "The 'optimizer' parameter of TrainConfig must be one of 'adam', 'adamw', 'sgd'. Got 'adagrad' instead.",
    ]


@pytest.mark.parametrize(
    "build",
    [
        lambda: DataConfig(dataset="cifar"),
        lambda: DataConfig(n_samples=True),
        lambda: DataConfig(n_informative=30, n_features=20),
        lambda: NoiseConfig(noise_level=float("nan")),
        lambda: NoiseConfig(noise="gaussian", noise_level=3.5),
        lambda: ModelConfig(hidden_dim=0),
        lambda: ModelConfig(hidden_layers=(0,)),
        lambda: ModelConfig(activation="swish"),
        lambda: TrainConfig(lr=0),
        lambda: TrainConfig(batch_size=-1),
        lambda: TrainConfig(device="tpu"),
    ],
)
def test_out_of_range_values_are_rejected(build):
    with pytest.raises(ConfigError, match="must be"):
        build()


def test_gaussian_sigma_may_exceed_one_but_fractions_may_not():
    assert NoiseConfig(noise="gaussian", noise_level=1.5).noise_level == 1.5
    with pytest.raises(ConfigError, match=r"in \[0, 1\]"):
        NoiseConfig(noise="salt_pepper", noise_level=1.5)


def test_unknown_key_suggests_the_nearest_name():
    with pytest.raises(ConfigError) as err:
        RunConfig().replace(hiden_dim=4)
    assert str(err.value) == "Unknown key 'hiden_dim' for RunConfig. Did you mean 'hidden_dim'?"
    with pytest.raises(ConfigError, match="Did you mean 'noise_level'"):
        RunConfig.from_dict({"noise": {"noise_lvl": 0.3}})
    with pytest.raises(ConfigError, match="Did you mean 'model'"):
        RunConfig.from_dict({"modle": {}})


def test_dict_and_json_round_trip():
    cfg = RunConfig().replace(dataset="digits", hidden_layers=[128, 64], noise="masking", noise_level=0.3, lr=0.01)
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    assert RunConfig.from_json(cfg.to_json()) == cfg
    assert json.loads(cfg.to_json())["model"]["hidden_layers"] == [128, 64]


def test_flat_round_trip_with_every_field_changed():
    cfg = RunConfig().replace(
        dataset="moons", n_samples=500, manifold_noise=0.1, hidden_dim=2, hidden_layers=[16, 8], tied_weights=True,
        activation="tanh", noise="salt_pepper", noise_level=0.25, epochs=7, batch_size=0, lr=0.003, seed=5,
    )  # fmt: skip
    flat = cfg.to_flat()
    assert all(isinstance(v, str) for v in flat.values())
    assert flat["hidden_layers"] == "16,8" and flat["tied_weights"] == "true"
    assert RunConfig.from_flat(flat) == cfg
    assert RunConfig.from_flat(cfg.to_flat(only_changed=True)) == cfg


def test_flat_only_changed_is_short():
    assert RunConfig().to_flat(only_changed=True) == {}
    assert RunConfig().replace(hidden_dim=16).to_flat(only_changed=True) == {"hidden_dim": "16"}


def test_empty_hidden_layers_round_trips():
    cfg = RunConfig().replace(hidden_layers=[128])
    assert RunConfig.from_flat({"hidden_layers": ""}, base=cfg).model.hidden_layers == ()


def test_flat_reports_every_bad_value():
    with pytest.raises(ConfigError) as err:
        RunConfig.from_flat({"hidden_dim": "lots", "noise_level": "9", "flavour": "red"})
    assert str(err.value).splitlines() == [
        "The 'hidden_dim' parameter must be an int. Got 'lots' instead.",
        "Unknown key 'flavour' for RunConfig. Valid keys: " + ", ".join(RunConfig().to_flat()) + ".",
        "The 'noise_level' parameter of NoiseConfig must be a float in [0, 3]. Got 9.0 instead.",
    ]


def test_flat_range_errors_come_from_the_section():
    with pytest.raises(ConfigError, match="The 'noise_level' parameter of NoiseConfig must be a float in"):
        RunConfig.from_flat({"noise_level": "9"})


def test_from_json_rejects_non_json():
    with pytest.raises(ConfigError, match="not valid JSON"):
        RunConfig.from_json("{hidden_dim: 3")


def test_configs_are_hashable_for_caching():
    assert hash(RunConfig().data) == hash(RunConfig().data)
    assert len({RunConfig(), RunConfig()}) == 1


def test_a_live_change_is_validated_once_where_the_config_says_what_is_live():
    running = RunConfig().replace(noise="gaussian", noise_level=0.2, lr=1e-3)
    form = running.replace(hidden_dim=16)  # the form may also hold settings for the next run
    settings, changes = running.take_live(form, form.replace(lr=0.01, noise_level=0.4))
    assert changes == {"lr": 0.01, "noise_level": 0.4} and settings.live() == changes
    assert settings.model.hidden_dim == running.model.hidden_dim  # only live settings reach the run
    masked = form.replace(noise="masking", noise_level=0.5)  # a level chosen for another noise type waits
    assert running.take_live(form, masked) == (running, {})
    with pytest.raises(ConfigError, match="'lr' parameter of TrainConfig"):
        running.replace_live(lr=0)
    with pytest.raises(ConfigError, match="can change while a run trains"):
        running.replace_live(epochs=5)


def test_a_conv_code_size_is_channels_by_the_halved_height_and_width():
    from dae_core.model import ConvDenoisingAutoencoder

    for shape, stages in [((28, 28, 1), (32,)), ((12, 12, 1), (8, 8)), ((7, 9, 3), (4, 4)), ((8, 8, 1), (4, 4, 4))]:
        cfg = ModelConfig(architecture="conv", conv_channels=stages, code_channels=5)
        assert cfg.code_size(shape) == ConvDenoisingAutoencoder(shape, 5, stages).hidden_dim, shape
    assert ModelConfig(hidden_dim=7).code_size((8, 8, 1)) == 7 and ModelConfig(architecture="conv").code_size() == 8
