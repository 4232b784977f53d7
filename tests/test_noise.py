"""Corruption processes: rates, ranges, clipping only for bounded data, and reproducibility."""

import numpy as np
import pytest
import torch

from dae_core.config import NOISE_TYPES
from dae_core.noise import (
    _same_draws_at_once,
    corrupt,
    corrupt_array,
    corrupt_each,
    noisy_batches,
    noisy_batches_each,
)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("noise", NOISE_TYPES)
def test_same_seed_same_noise_and_fresh_draws_differ(noise):
    x = torch.rand(64, 10)
    gen = _gen()
    first, second = corrupt(x, noise, 0.3, gen), corrupt(x, noise, 0.3, gen)
    assert torch.equal(first, corrupt(x, noise, 0.3, _gen()))
    assert not torch.equal(first, second)  # every batch gets fresh noise from the stream


@pytest.mark.parametrize("noise", NOISE_TYPES)
def test_level_zero_is_identity(noise):
    x = torch.randn(8, 4)
    assert torch.equal(corrupt(x, noise, 0.0, _gen()), x)


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.7])
def test_masking_hits_nu_of_the_entries(fraction):
    x = torch.ones(500, 100)  # 50 000 entries: the hit rate's std is ~0.002
    hit_rate = (corrupt(x, "masking", fraction, _gen()) == 0).float().mean().item()
    assert hit_rate == pytest.approx(fraction, abs=0.01)


def test_salt_pepper_uses_each_columns_low_and_high_end_half_each():
    x = torch.zeros(2000, 3)
    low, high = torch.tensor([-1.0, -2.0, -3.0]), torch.tensor([1.0, 2.0, 3.0])
    out = corrupt(x, "salt_pepper", 0.4, _gen(), low=low, high=high)
    changed = out != 0
    assert changed.float().mean().item() == pytest.approx(0.4, abs=0.02)
    for column in range(3):
        values = out[changed[:, column], column]
        assert set(values.tolist()) == {low[column].item(), high[column].item()}
        assert (values > 0).float().mean().item() == pytest.approx(0.5, abs=0.05)


def test_gaussian_has_the_requested_sigma_and_is_unclipped_for_standardized_data():
    x = torch.zeros(20000, 5)
    out = corrupt(x, "gaussian", 0.5, _gen())
    assert out.std().item() == pytest.approx(0.5, rel=0.02)
    assert out.min() < 0  # the seed clamped to [0, 1] even for standardized data


def test_gaussian_is_clipped_for_bounded_data():
    x = torch.full((1000, 4), 0.5)
    out = corrupt(x, "gaussian", 1.0, _gen(), clip=True)
    assert out.min().item() == 0.0 and out.max().item() == 1.0


def test_corrupt_array_matches_tensor_version():
    X = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    expected = corrupt(torch.as_tensor(X), "masking", 0.5, _gen(3)).numpy()
    np.testing.assert_array_equal(corrupt_array(X, "masking", 0.5, seed=3), expected)


def test_unknown_noise_is_rejected():
    with pytest.raises(ValueError, match="Unknown noise 'speckle'"):
        corrupt(torch.zeros(2, 2), "speckle", 0.1, _gen())


@pytest.mark.parametrize("noise", NOISE_TYPES)
@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize(
    ("rows", "width", "batch"),
    [(800, 20, 32), (801, 20, 32), (50, 8, 2), (801, 3, 32), (100, 7, 9), (100, 8, 10), (30, 5, 64), (17, 1, 16),
     (64, 784, 16)],
)  # fmt: skip
def test_an_epoch_corrupted_at_once_equals_it_corrupted_batch_by_batch(noise, clip, rows, width, batch):
    """Same numbers, and the generator left where batch-by-batch draws leave it, whether or not it drew at once."""
    x = torch.rand(rows, width, generator=_gen(9))
    low, high = torch.zeros(width), torch.ones(width)
    together_gen, apart_gen = _gen(), _gen()
    together = list(noisy_batches(x, batch, noise, 0.3, together_gen, low=low, high=high, clip=clip))
    apart = [
        corrupt(x[i : i + batch], noise, 0.3, apart_gen, low=low, high=high, clip=clip) for i in range(0, rows, batch)
    ]
    assert len(together) == len(apart) and all(map(torch.equal, together, apart))
    assert all(part.data_ptr() % 64 == 0 for part in together)  # each starts where a tensor of its own would
    assert torch.equal(torch.randn(40, generator=together_gen), torch.randn(40, generator=apart_gen))


@pytest.mark.parametrize(
    ("noise", "rows", "width", "batch", "at_once"),
    [
        ("gaussian", 800, 20, 32, True),  # the tutorial: 640 numbers a batch
        ("gaussian", 801, 20, 32, True),  # a last batch of 20
        ("gaussian", 801, 3, 32, False),  # a last batch of 3: randn's short path
        ("masking", 100, 16, 9, True),  # 576 bytes a batch
        ("masking", 100, 7, 9, False),  # 252 bytes a batch: every batch after the first would start mid-line
        ("salt_pepper", 800, 20, 32, False),
    ],
)  # fmt: skip
def test_an_epoch_is_drawn_at_once_only_where_the_stream_splits_cleanly(noise, rows, width, batch, at_once):
    assert _same_draws_at_once(torch.zeros(rows, width), batch, noise) is at_once


@pytest.mark.parametrize("levels", [[0.1, 0.3, 0.5], [0.2, 0.0, 0.4]])  # the 0: a resting member of a sweep
@pytest.mark.parametrize(("rows", "width", "batch"), [(800, 20, 32), (801, 3, 32), (100, 7, 9)])
def test_a_sweeps_epoch_corrupted_at_once_equals_it_corrupted_batch_by_batch(levels, rows, width, batch):
    x = torch.rand(rows, width, generator=_gen(9))
    noises = ["gaussian"] * len(levels)
    together_gens, apart_gens = [_gen(k) for k in range(3)], [_gen(k) for k in range(3)]
    together = list(noisy_batches_each(x, batch, noises, levels, together_gens))
    apart = [corrupt_each(x[i : i + batch], noises, levels, apart_gens) for i in range(0, rows, batch)]
    assert len(together) == len(apart) and all(map(torch.equal, together, apart))
    for mine, theirs in zip(together_gens, apart_gens):
        assert torch.equal(torch.randn(40, generator=mine), torch.randn(40, generator=theirs))
