"""The autoencoder module: shapes, mirrored decoder, tied weights, output activation and seeded init."""

import pytest
import torch

from dae_core import DenoisingAutoencoder, ModelConfig
from dae_core.config import ACTIVATIONS
from dae_core.model import parameter_count, resolve_output_activation


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("tied", [False, True])
def test_shapes_for_every_activation(activation, tied):
    model = DenoisingAutoencoder(12, 3, (16, 8), activation=activation, tied_weights=tied)
    x = torch.randn(5, 12)
    assert model.encode(x).shape == (5, 3)
    assert model.decode(model.encode(x)).shape == (5, 12)
    assert torch.equal(model(x), model.decode(model.encode(x)))


def test_decoder_mirrors_encoder():
    model = DenoisingAutoencoder(64, 16, (128,))
    assert [tuple(layer.weight.shape) for layer in model.encoder] == [(128, 64), (16, 128)]
    assert [tuple(layer.weight.shape) for layer in model.decoder] == [(128, 16), (64, 128)]


def test_tied_weights_share_the_encoder_matrices():
    tied = DenoisingAutoencoder(10, 4, (6,), tied_weights=True)
    untied = DenoisingAutoencoder(10, 4, (6,))
    n_params = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n_params(untied) - n_params(tied) == 10 * 6 + 6 * 4  # only the decoder matrices are gone
    tied(torch.randn(3, 10)).sum().backward()
    assert tied.encoder[0].weight.grad is not None


def test_auto_output_is_sigmoid_for_unit_range_and_identity_for_standardized():
    assert resolve_output_activation("auto", bounded=True) == "sigmoid"
    assert resolve_output_activation("auto", bounded=False) == "identity"
    assert resolve_output_activation("auto", bounded=True, architecture="conv") == "identity"  # no saturating stall
    assert resolve_output_activation("sigmoid", bounded=True, architecture="conv") == "sigmoid"  # asked for: kept
    standardized = DenoisingAutoencoder.from_config(ModelConfig(), 20, bounded=False)
    images = DenoisingAutoencoder.from_config(ModelConfig(), 64, bounded=True)
    out = images(torch.randn(50, 64) * 10)
    assert out.min() >= 0 and out.max() <= 1
    # The seed's bug: a sigmoid cannot produce standardized values below 0; identity can.
    assert standardized(torch.randn(200, 20) * 3).min() < 0


def test_same_generator_seed_gives_identical_weights():
    make = lambda: DenoisingAutoencoder(7, 3, (5,), generator=torch.Generator().manual_seed(11))  # noqa: E731
    torch.manual_seed(123)
    first = make()
    torch.manual_seed(456)  # the global RNG must not matter
    second = make()
    for a, b in zip(first.parameters(), second.parameters()):
        assert torch.equal(a, b)


def test_init_bound_matches_nn_linear():
    model = DenoisingAutoencoder(100, 10, generator=torch.Generator().manual_seed(0))
    assert model.encoder[0].weight.abs().max() <= 1 / 100**0.5
    assert model.encoder[0].weight.abs().max() > 0.9 / 100**0.5


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("layers", [(), (16,), (32, 8)])
def test_parameter_count_matches_the_built_model(layers, tied):
    cfg = ModelConfig(hidden_dim=3, hidden_layers=layers, tied_weights=tied)
    model = DenoisingAutoencoder.from_config(cfg, 12, bounded=False)
    assert parameter_count(12, cfg) == sum(p.numel() for p in model.parameters())
