"""The residual conv denoiser for whole photographs: its shapes, views, training pairs and scores, on small crops
against independent references (scikit-image's non-local means, scipy's filters, hand-computed PSNR)."""

import math

import numpy as np
import pytest
import torch

from dae_core.classic import blur, nl_means
from dae_core.data import sample_photo
from dae_core.errors import ConfigError, DataError
from dae_core.metrics import psnr
from dae_core.photo_denoiser import (
    NL_MEANS_H,
    PhotoDenoiserConfig,
    ResidualDenoiser,
    _crops,
    _unview,
    _views,
    add_noise,
    classic_filters,
    compare,
    denoise,
    recorrupt,
    train,
)

SIGMA = 25 / 255
TINY = PhotoDenoiserConfig(depth=3, channels=4, patch=16, batch_size=4, seconds=60.0)


@pytest.fixture(scope="module")
def crops():
    """(china, flower): 64 x 64 crops from the middle of the sample photographs."""
    return tuple(sample_photo(name)[180:244, 290:354].copy() for name in ("china", "flower"))


def test_the_network_keeps_any_picture_s_size_and_returns_its_input_minus_the_noise_it_sees():
    model = ResidualDenoiser(depth=4, channels=6)
    x = torch.rand(2, 1, 23, 37)
    assert model(x).shape == x.shape
    torch.nn.init.zeros_(model.noise[-1].weight)
    torch.nn.init.zeros_(model.noise[-1].bias)
    assert torch.equal(model(x), x)  # no noise found: the picture as it is


@pytest.mark.parametrize("k", range(8))
def test_each_of_the_eight_views_maps_back_to_the_picture(k):
    x = torch.arange(12.0).reshape(1, 1, 3, 4)
    assert torch.equal(_unview(_views(x, k), k), x)
    assert k == 0 or not torch.equal(_views(x, k)[..., :3, :3], x[..., :3, :3])  # the other seven move pixels


def test_crops_are_the_patches_at_their_corners_in_one_view():
    image = torch.arange(30.0 * 40).reshape(30, 40)
    crops = _crops(image, 5, 8, torch.Generator().manual_seed(3))
    generator = torch.Generator().manual_seed(3)  # the same draws, by hand
    tops = torch.randint(0, 23, (5, 1, 1), generator=generator).flatten().tolist()
    lefts = torch.randint(0, 33, (5, 1, 1), generator=generator).flatten().tolist()
    view = int(torch.randint(0, 8, (1,), generator=generator))
    for crop, top, left in zip(crops, tops, lefts):
        assert torch.equal(_unview(crop[0], view), image[top : top + 8, left : left + 8])


def test_recorrupted_pairs_have_independent_noises():
    """n + αz and n − z/α: their correlation is 0 within sampling error, each of the right size."""
    generator = torch.Generator().manual_seed(0)
    clean = torch.zeros(200_000)
    noisy = clean + SIGMA * torch.randn(clean.shape, generator=generator)
    inputs, targets = recorrupt(noisy, SIGMA, generator)
    correlation = torch.corrcoef(torch.stack([inputs, targets]))[0, 1]
    assert abs(float(correlation)) < 0.01
    assert float(inputs.std()) == pytest.approx(SIGMA * math.sqrt(1 + 0.5**2), rel=0.01)
    assert float(targets.std()) == pytest.approx(SIGMA * math.sqrt(1 + 1 / 0.5**2), rel=0.01)


def test_training_counts_its_steps_and_the_same_seed_gives_the_same_network(crops):
    clean, other = crops
    noisy = add_noise(other, SIGMA)
    first, stats = train(clean, SIGMA, TINY, noisy=noisy, max_steps=3)
    second, _ = train(clean, SIGMA, TINY, noisy=noisy, max_steps=3)
    assert (stats.steps, stats.patches, stats.device) == (3, 12, "cpu")
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    assert not first.training  # handed back ready to denoise: batch norm uses its running statistics


def test_a_learned_denoiser_beats_the_noisy_picture(crops):
    clean, other = crops
    noisy = add_noise(other, SIGMA, seed=1)
    cfg = PhotoDenoiserConfig(depth=4, channels=8, patch=24, batch_size=8, lr=1e-2, seconds=60.0, self_supervised=0.5)
    model, _ = train(clean, SIGMA, cfg, noisy=noisy, max_steps=150)
    assert psnr(other, denoise(model, noisy)) > psnr(other, noisy) + 2


def test_denoising_clips_to_the_picture_range_and_averages_the_views():
    model = ResidualDenoiser(depth=3, channels=4).eval()
    noisy = np.random.default_rng(0).uniform(-0.2, 1.2, (20, 30)).astype(np.float32)
    one, mean = denoise(model, noisy, ensemble=False), denoise(model, noisy)
    assert one.shape == mean.shape == (20, 30) and one.min() >= 0 and one.max() <= 1
    with torch.no_grad():
        x = torch.as_tensor(noisy)[None, None]
        views = [_unview(model(_views(x, k)), k) for k in range(8)]
    np.testing.assert_allclose(mean, (sum(views) / 8)[0, 0].clamp(0, 1).numpy(), atol=1e-6)


def test_the_classic_filters_are_given_their_best_width(crops):
    clean = crops[0]
    noisy = add_noise(clean, SIGMA)
    named = {result.name: result for result in classic_filters(clean, noisy, SIGMA)}
    for h in NL_MEANS_H:
        image = nl_means(noisy.reshape(1, -1), h * SIGMA, clean.shape, sigma=SIGMA).reshape(clean.shape)
        assert named["nl_means"].psnr >= psnr(clean, image)
    assert named["nl_means"].width in [h * SIGMA for h in NL_MEANS_H]
    chosen = blur(noisy.reshape(1, -1), named["gaussian_blur"].width, clean.shape).reshape(clean.shape)
    assert named["gaussian_blur"].psnr == pytest.approx(psnr(clean, chosen))
    assert named["nl_means"].psnr > named["gaussian_blur"].psnr > psnr(clean, noisy)


def test_a_comparison_scores_every_denoiser_on_the_same_noisy_picture(crops):
    clean, other = crops
    result = compare(clean, other, SIGMA, TINY, names=("china", "flower"), max_steps=2)
    assert [r.name for r in result.results] == ["noisy", "gaussian_blur", "median", "nl_means", "conv_dae"]
    noisy = add_noise(other, SIGMA)
    assert np.array_equal(result.by_name("noisy").image, noisy)
    mse = float(np.mean((noisy.astype(np.float64) - other) ** 2))
    assert result.by_name("noisy").psnr == pytest.approx(10 * math.log10(1 / mse))  # by hand
    assert result.gap_to_nl_means == pytest.approx(result.by_name("nl_means").psnr - result.by_name("conv_dae").psnr)
    assert (result.train_photo, result.test_photo, result.training.steps) == ("china", "flower", 2)


def test_bad_settings_and_pictures_say_what_is_wrong(crops):
    with pytest.raises(ConfigError, match="'channels' parameter must be an int in \\[1, 256\\]. Got 0"):
        PhotoDenoiserConfig(channels=0)
    with pytest.raises(ConfigError, match="'self_supervised' parameter must be a number in \\[0, 1\\]"):
        PhotoDenoiserConfig(self_supervised=1.5)
    with pytest.raises(DataError, match="at least 16 x 16 pixels"):
        train(np.zeros((10, 40), np.float32), SIGMA, TINY, max_steps=1)
    with pytest.raises(ConfigError, match="'sigma' parameter"):
        compare(crops[0], crops[1], 0.0, TINY, max_steps=1)
