"""Classic denoisers against independent references: scipy.ndimage on one 2-D image at a time, hand-built images."""

import numpy as np
import pytest
from scipy import ndimage
from sklearn.datasets import load_digits

from dae_core.classic import (
    BLUR_SIGMAS,
    NL_MEANS_CHOICE,
    NL_MEANS_TEST,
    ClassicBaseline,
    blur,
    classic_baselines,
    fit_blur,
    fit_median,
    fit_nl_means,
    median,
    nl_means,
    nl_means_rows,
    noise_size,
)
from dae_core.errors import ConfigError, DataError
from dae_core.metrics import identity_mse, mse


def _tiny(n=3, c=1, seed=0):
    """(n, 16 * c) float32 rows of 4 x 4 images with c channels."""
    return np.random.default_rng(seed).random((n, 4 * 4 * c)).astype(np.float32)


@pytest.fixture(scope="module")
def digits():
    """scikit-learn's digits in [0, 1]: (train, test) clean rows, float32."""
    X = (load_digits().data / 16).astype(np.float32)
    return X[:1400], X[1400:]


def _gaussian_clipped(X, sigma, seed):
    return np.clip(X + np.random.default_rng(seed).normal(scale=sigma, size=X.shape), 0, 1).astype(np.float32)


def test_a_blur_of_sigma_0_is_the_identity():
    clean, noisy = _tiny(seed=1), _tiny(seed=2)
    assert np.array_equal(blur(noisy, 0.0, (4, 4, 1)), noisy)
    assert np.array_equal(median(noisy, 1, (4, 4, 1)), noisy)
    assert mse(blur(noisy, 0.0, (4, 4, 1)), clean) == identity_mse(clean, noisy)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 3.0])
def test_the_blur_of_each_image_and_channel_is_scipy_s_2d_blur_of_it_alone(sigma):
    rows = _tiny(n=3, c=2)
    out = blur(rows, sigma, (4, 4, 2)).reshape(3, 4, 4, 2)
    for i in range(3):
        for channel in range(2):
            image = rows.reshape(3, 4, 4, 2)[i, :, :, channel].astype(np.float64)
            expected = ndimage.gaussian_filter(image, sigma, mode="reflect")
            np.testing.assert_allclose(out[i, :, :, channel], expected, rtol=1e-6, atol=1e-7)


def test_the_median_of_each_image_is_scipy_s_2d_median_of_it_alone():
    rows = _tiny(n=3)
    out = median(rows, 3, (4, 4))
    for i in range(3):
        expected = ndimage.median_filter(rows[i].reshape(4, 4), size=3, mode="reflect")
        np.testing.assert_array_equal(out[i].reshape(4, 4), expected)


@pytest.mark.parametrize("apply, width", [(blur, 1.0), (blur, 3.0), (median, 3), (median, 5)])
def test_nothing_bleeds_across_images_or_channels(apply, width):
    """Image 0 all zeros, image 1 all ones; in a second run, channel 0 zeros and channel 1 ones: each stays flat."""
    images = np.stack([np.zeros(16), np.ones(16)]).astype(np.float32)
    np.testing.assert_allclose(apply(images, width, (4, 4, 1)), images, atol=1e-7)
    channels = np.tile(np.array([0.0, 1.0], np.float32), (2, 16))  # (2, 4 * 4 * 2), pixels (h, w, c) in row order
    np.testing.assert_allclose(apply(channels, width, (4, 4, 2)), channels, atol=1e-7)


def test_the_median_removes_isolated_salt_and_pepper_exactly():
    clean = np.full((2, 4, 4), 0.5, np.float32)
    noisy = clean.copy()
    noisy[0, 0, 0], noisy[0, 2, 3] = 1.0, 0.0  # a corner and an edge pixel
    noisy[1, 1, 1] = 1.0
    clean, noisy = clean.reshape(2, 16), noisy.reshape(2, 16)
    assert mse(median(noisy, 3, (4, 4)), clean) == 0.0
    assert mse(median(noisy, 1, (4, 4)), clean) > 0.0
    assert mse(median(noisy, fit_median(noisy, clean, (4, 4)), (4, 4)), clean) == 0.0


def test_equal_scores_choose_the_smallest_width():
    """On flat images every width scores 0: the choice is the identity."""
    flat = np.full((3, 16), 0.25, np.float32)
    assert fit_blur(flat, flat, (4, 4)) == 0.0
    assert fit_median(flat, flat, (4, 4)) == 1


def test_on_digits_both_beat_the_identity_and_the_blur_is_chosen(digits):
    clean_train, clean_test = digits
    noisy_train, noisy_test = _gaussian_clipped(clean_train, 0.4, 0), _gaussian_clipped(clean_test, 0.4, 1)
    baselines = classic_baselines(noisy_train, clean_train, noisy_test, clean_test, (8, 8, 1))
    assert [b.name for b in baselines] == ["gaussian_blur", "median"]
    assert all(isinstance(b, ClassicBaseline) for b in baselines)
    blurred, median_baseline = baselines
    assert blurred.width > 0
    identity = identity_mse(clean_test, noisy_test)
    assert blurred.test_mse < identity and median_baseline.test_mse < identity
    # test_mse is the filter of the chosen width on the test inputs, scored by hand
    expected = np.mean((blur(noisy_test, blurred.width, (8, 8)).astype(np.float64) - clean_test) ** 2)
    assert blurred.test_mse == pytest.approx(expected, rel=1e-9)


def test_the_width_follows_the_training_noise_not_the_test_noise(digits):
    clean_train, clean_test = digits
    noisy_train = _gaussian_clipped(clean_train, 0.05, 0)  # nearly clean: little or no blur pays
    noisy_test = _gaussian_clipped(clean_test, 0.6, 1)  # very noisy: a wide blur would pay here
    on_train = fit_blur(noisy_train, clean_train, (8, 8))
    on_test = fit_blur(noisy_test, clean_test, (8, 8))
    assert on_train < on_test
    blurred, median_baseline = classic_baselines(noisy_train, clean_train, noisy_test, clean_test, (8, 8))
    assert blurred.width == on_train
    assert median_baseline.width == fit_median(noisy_train, clean_train, (8, 8))


def test_the_width_is_chosen_from_the_first_training_rows_only():
    """Rows past the cap do not count: the first rows are flat (sigma 0 wins), the rest noisy."""
    from dae_core.classic import CHOICE_ROWS

    rng = np.random.default_rng(0)
    clean = np.full((CHOICE_ROWS + 500, 16), 0.5, np.float32)
    noisy = clean.copy()
    noisy[CHOICE_ROWS:] += rng.normal(scale=0.5, size=(500, 16)).astype(np.float32)
    assert fit_blur(noisy, clean, (4, 4)) == 0.0
    assert fit_blur(noisy[CHOICE_ROWS - 10 :], clean[CHOICE_ROWS - 10 :], (4, 4)) == max(BLUR_SIGMAS)


@pytest.mark.parametrize(
    "image_shape, message",
    [
        (
            (8, 0),
            "The 'image_shape' parameter of fit_blur must be (height, width) or (height, width, channels) of whole "
            "numbers >= 1. Got (8, 0) instead.",
        ),
        (
            (8, 8, 1, 1),
            "The 'image_shape' parameter of fit_blur must be (height, width) or (height, width, channels) of whole "
            "numbers >= 1. Got (8, 8, 1, 1) instead.",
        ),
        (
            (8.0, 8.0),
            "The 'image_shape' parameter of fit_blur must be (height, width) or (height, width, channels) of whole "
            "numbers >= 1. Got (8.0, 8.0) instead.",
        ),
    ],
)
def test_a_bad_image_shape_is_a_config_error(image_shape, message):
    with pytest.raises(ConfigError) as error:
        fit_blur(_tiny(), _tiny(), image_shape)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: fit_median(_tiny(), _tiny(), None),
            "Classic denoisers filter images over their height and width, and this data has no image shape "
            "(a table of features). Use an image dataset, or leave these baselines out.",
        ),
        (
            lambda: fit_blur(np.zeros((3, 20), np.float32), np.zeros((3, 20), np.float32), (1, 20)),
            "An image of 1 x 20 pixels has no neighbours to filter over: classic denoisers need at least 2 x 2 "
            "pixels. Is this data really images?",
        ),
        (
            lambda: fit_blur(_tiny(), _tiny(), (8, 8)),
            "The noisy training rows have 16 columns, but images of 8 x 8 x 1 have 64 pixels. "
            "Pass the image shape of this data.",
        ),
        (
            lambda: classic_baselines(_tiny(), _tiny(), _tiny(), _tiny(n=2), (4, 4)),
            "The noisy test rows (3, 16) and the clean ones (2, 16) must have the same shape: "
            "row i of one is the noisy copy of row i of the other.",
        ),
        (
            lambda: blur(_tiny().reshape(3, 4, 4), 1.0, (4, 4)),
            "The rows must be a 2-D float array of flattened images, (rows, pixels). "
            "Got a 3-D array of float32 instead.",
        ),
        (
            lambda: fit_blur(_tiny()[:0], _tiny()[:0], (4, 4)),
            "The noisy training rows are empty: there is no image to filter.",
        ),
    ],
)
def test_data_that_is_not_these_images_is_a_data_error(call, message):
    with pytest.raises(DataError) as error:
        call()
    assert str(error.value) == message


def _photo_patches(n, side, sigma, seed=0):
    """(clean, noisy) float32 rows of ``side`` x ``side`` patches of the china photograph, Gaussian noise clipped."""
    from dae_core.data import sample_photo

    photo, rng = sample_photo("china"), np.random.default_rng(seed)
    tops, lefts = rng.integers(0, photo.shape[0] - side, n), rng.integers(0, photo.shape[1] - side, n)
    clean = np.stack([photo[t : t + side, left : left + side].ravel() for t, left in zip(tops, lefts)])
    return clean.astype(np.float32), _gaussian_clipped(clean, sigma, seed + 1)


def test_non_local_means_of_each_image_is_scikit_image_s_of_it_alone():
    from skimage.restoration import denoise_nl_means

    clean, noisy = _photo_patches(3, 12, 0.1)
    out = nl_means(noisy, 0.06, (12, 12), sigma=0.1)
    for i in range(3):
        expected = denoise_nl_means(noisy[i].reshape(12, 12), h=0.06, sigma=0.1, patch_size=5, patch_distance=6)
        np.testing.assert_allclose(out[i].reshape(12, 12), expected, rtol=1e-5, atol=1e-6)
    assert np.array_equal(nl_means(noisy, 0.0, (12, 12)), noisy)  # no strength: the identity


def test_non_local_means_filters_colour_images_with_their_channels_together():
    from skimage.restoration import denoise_nl_means

    rows = _tiny(n=2, c=3)
    out = nl_means(rows, 0.2, (4, 4, 3), sigma=0.1).reshape(2, 4, 4, 3)
    expected = denoise_nl_means(rows[1].reshape(4, 4, 3), h=0.2, sigma=0.1, patch_size=5, patch_distance=6,
                                channel_axis=-1)  # fmt: skip
    np.testing.assert_allclose(out[1], expected, rtol=1e-5, atol=1e-6)


def test_non_local_means_measures_the_noise_and_beats_the_blur_on_photo_patches():
    clean, noisy = _photo_patches(700, 12, 0.1)
    h, sigma = fit_nl_means(noisy[:500], clean[:500], (12, 12))
    assert sigma == pytest.approx(noise_size(noisy[:300], clean[:300])) and 0.07 < sigma < 0.1  # clipping trims it
    assert 0 < h <= sigma
    named = {b.name: b for b in classic_baselines(noisy[:500], clean[:500], noisy[500:], clean[500:], (12, 12),
                                                  with_nl_means=True)}  # fmt: skip
    assert named["nl_means"].width == h
    assert named["nl_means"].test_mse == pytest.approx(mse(nl_means(noisy[500:], h, (12, 12), sigma), clean[500:]))
    assert named["nl_means"].test_mse < named["gaussian_blur"].test_mse < identity_mse(clean[500:], noisy[500:])


def test_non_local_means_filters_fewer_rows_of_larger_pictures():
    assert [nl_means_rows(NL_MEANS_TEST, values) for values in (64, 144, 784, 32 * 32 * 3, 64 * 64 * 3)] == [
        2000, 2000, 2000, 976, 244
    ]  # fmt: skip
    assert [nl_means_rows(NL_MEANS_CHOICE, values) for values in (144, 784, 64 * 64 * 3)] == [300, 300, 24]
    assert nl_means_rows((10, 5, 100), 1000) == 5  # never fewer than the fewest
