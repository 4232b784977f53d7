"""Metrics against independent references: scikit-learn's PCA and hand-computed values."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from dae_core.metrics import (
    PCABaseline,
    field_alignment,
    identity_mse,
    linear_probe,
    mse,
    pca_mse,
    per_sample_psnr,
    posterior_mean,
    psnr,
)


def test_pca_baseline_agrees_with_sklearn():
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12))
    X_test = rng.normal(size=(80, 12)) @ rng.normal(size=(12, 12))
    noisy = X_test + rng.normal(scale=0.3, size=X_test.shape)
    reference = PCA(n_components=4).fit(X_train)
    expected = reference.inverse_transform(reference.transform(noisy))
    np.testing.assert_allclose(PCABaseline(4).fit(X_train).reconstruct(noisy), expected, atol=1e-9)
    assert pca_mse(X_train, noisy, X_test, 4) == pytest.approx(np.mean((expected - X_test) ** 2))


def test_pca_baseline_of_float32_rows_agrees_with_sklearn_s_in_float64():
    """The engine's rows are float32: the covariance's products are then float32, summed in float64."""
    rng = np.random.default_rng(2)
    X = (rng.normal(size=(20_000, 60)) @ rng.normal(size=(60, 60))).astype(np.float32)
    X_train, X_test = X[:16_000], X[16_000:]
    noisy = X_test + rng.normal(scale=0.5, size=X_test.shape).astype(np.float32)
    reference = PCA(n_components=16).fit(X_train.astype(np.float64))
    expected = np.mean((reference.inverse_transform(reference.transform(noisy.astype(np.float64))) - X_test) ** 2)
    assert pca_mse(X_train, noisy, X_test, 16) == pytest.approx(expected, rel=1e-6)


def test_pca_with_all_components_is_the_identity():
    X = np.random.default_rng(1).normal(size=(50, 5))
    assert pca_mse(X, X, X, 5) == pytest.approx(0.0, abs=1e-20)


def test_hand_computed_values():
    clean, estimate = np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[0.0, 0.5], [1.0, 1.0]])
    assert mse(clean, estimate) == 0.0625
    assert identity_mse(clean, estimate) == 0.0625
    assert psnr(clean, estimate) == pytest.approx(10 * np.log10(16))
    np.testing.assert_allclose(per_sample_psnr(clean, estimate), [10 * np.log10(8), np.inf])


def test_linear_probe_separates_separable_data_and_not_noise():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    separable = y[:, None] * 3.0 + rng.normal(size=(400, 2))
    noise = rng.normal(size=(400, 2))
    assert linear_probe(separable[:300], y[:300], separable[300:], y[300:]) > 0.9
    assert linear_probe(noise[:300], y[:300], noise[300:], y[300:]) < 0.7


def test_posterior_mean_by_hand():
    """Clean points (0, 0) and (2, 0), σ = 1, noisy point (0.5, 0): distances² 0.25 and 2.25, so weights
    e^-0.125 and e^-1.125, and E[x] = 2·e^-1.125 / (e^-0.125 + e^-1.125) along the first axis."""
    train = np.array([[0.0, 0.0], [2.0, 0.0]])
    near, far = np.exp(-0.125), np.exp(-1.125)
    expected = [2 * far / (near + far), 0.0]
    np.testing.assert_allclose(posterior_mean(np.array([[0.5, 0.0]]), train, 1.0), [expected], rtol=1e-12)


def test_field_alignment_by_hand():
    """From (0.5, 0) the best step points to x ≈ 0.538 (right, +x). A model stepping right scores 1, one stepping
    left scores −1, one stepping up scores 0; their mean is 0."""
    train = np.array([[0.0, 0.0], [2.0, 0.0]])
    noisy = np.array([[0.5, 0.0]] * 3)
    steps = np.array([[0.3, 0.0], [-0.1, 0.0], [0.0, 0.2]])
    assert field_alignment(noisy[:1], noisy[:1] + steps[:1], train, 1.0) == pytest.approx(1.0)
    assert field_alignment(noisy[1:2], noisy[1:2] + steps[1:2], train, 1.0) == pytest.approx(-1.0)
    assert field_alignment(noisy[2:], noisy[2:] + steps[2:], train, 1.0) == pytest.approx(0.0, abs=1e-12)
    assert field_alignment(noisy, noisy + steps, train, 1.0) == pytest.approx(0.0, abs=1e-12)


def test_filter_smoothness_is_the_correlation_of_neighbouring_weights():
    from dae_core.metrics import filter_smoothness

    ramp = np.arange(4.0).reshape(1, 4)  # one 2×2 filter [[0, 1], [2, 3]], scaled to its peak 3
    # neighbour pairs (right, then below): (0, 1), (2, 3), (0, 2), (1, 3), all divided by 3
    first, second = np.array([0, 2, 0, 1]) / 3, np.array([1, 3, 2, 3]) / 3
    assert filter_smoothness(ramp, (2, 2)) == pytest.approx(np.corrcoef(first, second)[0, 1])
    checkerboard = np.array([[1.0, -1.0, -1.0, 1.0]])  # every neighbour has the opposite sign
    assert filter_smoothness(checkerboard, (2, 2)) == pytest.approx(-1.0)
    assert filter_smoothness(np.zeros((3, 4)), (2, 2)) == 0.0


def _gabor(size, theta, wavelength, sigma, phase=0.0):
    """A hand-made Gabor of size x size pixels: a cosine grating across direction ``theta`` under a Gaussian."""
    y, x = np.mgrid[:size, :size] - (size - 1) / 2
    across = x * np.cos(theta) + y * np.sin(theta)
    return np.exp(-(x**2 + y**2) / (2 * sigma**2)) * np.cos(2 * np.pi * across / wavelength + phase)


def _gabor_bank(size=12):
    return np.array(
        [
            _gabor(size, theta, wavelength, sigma, phase).ravel()
            for theta in np.linspace(0, np.pi, 8, endpoint=False)
            for wavelength, sigma, phase in [(4, 2, 0.0), (5, 2.5, np.pi / 2), (6, 3, 1.0)]
        ]
    )


def test_gabors_are_edge_like_and_white_noise_is_not():
    from dae_core.metrics import edge_likeness, orientation_concentration

    gabors = _gabor_bank()  # 24 filters, 8 orientations
    noise = np.random.default_rng(0).normal(size=(64, 144))
    assert edge_likeness(gabors, (12, 12)) >= 0.9
    assert edge_likeness(noise, (12, 12)) <= 0.2
    gabor_concentration = orientation_concentration(gabors, (12, 12))
    noise_concentration = orientation_concentration(noise, (12, 12))
    assert gabor_concentration.shape == (24,) and noise_concentration.shape == (64,)
    assert np.all((gabor_concentration >= 0) & (gabor_concentration <= 1))
    assert gabor_concentration.min() > noise_concentration.max()
    assert orientation_concentration(gabors[:1], (12, 12))[0] > noise_concentration.mean()


def test_edge_likeness_is_read_only_for_filters_large_enough_to_beat_chance():
    from dae_core.metrics import MIN_ORIENTED_SIDE, edge_likeness, edge_likeness_if_readable

    gabors = _gabor_bank(MIN_ORIENTED_SIDE)
    shape = (MIN_ORIENTED_SIDE, MIN_ORIENTED_SIDE, 1)  # a dataset's image_shape: (height, width, channels)
    assert edge_likeness_if_readable(gabors, shape) == edge_likeness(gabors, shape) >= 0.9
    noise = np.random.default_rng(0).normal(size=(64, 9))
    assert edge_likeness(noise, (3, 3)) > 0.2  # 3 x 3 kernels: noise alone looks oriented (a third of them)
    assert edge_likeness_if_readable(noise, (3, 3)) is None and edge_likeness_if_readable(noise, None) is None


def test_orientation_concentration_by_hand():
    """A vertical edge has all its power along the horizontal frequency axis: concentration 1. A 4 x 4
    checkerboard's power lies at the corner frequency (½, ½) alone, which is also (½, -½): both diagonals at once,
    so no one orientation, 0 (like its 90-degree turn, itself). An isotropic Gaussian blob's power spreads evenly
    over orientations: near 0."""
    from dae_core.metrics import orientation_concentration

    edge = np.repeat([[0.0, 0.0, 1.0, 1.0]], 4, axis=0)
    checkerboard = (np.indices((4, 4)).sum(axis=0) % 2).astype(float)
    y, x = np.mgrid[:12, :12] - 5.5
    blob = np.exp(-(x**2 + y**2) / 8)
    result = orientation_concentration(np.array([edge.ravel(), checkerboard.ravel()]), (4, 4))
    np.testing.assert_allclose(result, [1.0, 0.0], atol=1e-12)
    assert orientation_concentration(blob.reshape(1, -1), (12, 12))[0] < 0.05


def test_a_rotated_gabor_counts_the_same():
    from dae_core.metrics import edge_likeness, orientation_concentration

    gabor = _gabor(12, np.pi / 6, 5, 2.5)
    turned = np.rot90(gabor)  # 90 degrees: the same shape across the other way
    assert orientation_concentration(np.array([turned.ravel()]), (12, 12))[0] == pytest.approx(
        orientation_concentration(np.array([gabor.ravel()]), (12, 12))[0], abs=1e-9
    )
    assert edge_likeness(np.array([gabor.ravel(), turned.ravel()]), (12, 12)) == 1.0


def test_constant_and_tiny_filters():
    from dae_core.metrics import edge_likeness, orientation_concentration

    constant = np.full((3, 144), 0.1, np.float32)  # float32 rounding leaves the mean-removed filter not exactly 0
    constant[1], constant[2] = 0.0, -7.3
    np.testing.assert_array_equal(orientation_concentration(constant, (12, 12)), [0.0, 0.0, 0.0])
    assert edge_likeness(constant, (12, 12)) == 0.0
    vertical = np.array([[-1.0, 0.0, 1.0]] * 3).ravel()  # 3 x 3 Sobel-like edges
    horizontal = np.array([[-1.0, 0.0, 1.0]] * 3).T.ravel()
    dot = np.array([[0.0, 0, 0], [0, 1, 0], [0, 0, 0]]).ravel()
    concentration = orientation_concentration(np.array([vertical, horizontal, dot]), (3, 3))
    assert concentration[0] > 0.9 and concentration[1] > 0.9 and concentration[2] < 0.1
    assert edge_likeness(np.array([vertical, horizontal, dot]), (3, 3)) == pytest.approx(2 / 3)


def test_channels_average_their_power_spectra():
    """Weights are flattened in (height, width, channels) order; the channels' spectra are averaged."""
    from dae_core.metrics import edge_likeness, orientation_concentration

    gabors = _gabor_bank()  # (24, 144)
    same = np.repeat(gabors[:, :, None], 3, axis=2).reshape(24, -1)  # every channel the same Gabor
    np.testing.assert_allclose(
        orientation_concentration(same, (12, 12, 3)), orientation_concentration(gabors, (12, 12)), atol=1e-12
    )
    assert orientation_concentration(gabors, (12, 12, 1)) == pytest.approx(orientation_concentration(gabors, (12, 12)))
    # one channel a horizontal edge-detector, one vertical: power along two orientations 90 degrees apart, no
    # single orientation
    vertical, horizontal = _gabor(12, 0.0, 5, 2.5), _gabor(12, np.pi / 2, 5, 2.5)
    crossed = np.stack([vertical, horizontal], axis=2).reshape(1, -1)
    assert orientation_concentration(crossed, (12, 12, 2))[0] < 0.05
    noise = np.random.default_rng(1).normal(size=(64, 12 * 12 * 3))
    assert edge_likeness(noise, (12, 12, 3)) <= 0.2


@pytest.mark.parametrize(
    ("weights", "shape", "message"),
    [
        (np.zeros((4, 144)), (12, 11), "hold 132 numbers"),
        (np.zeros((4, 144)), (12, 12, 3), "hold 432 numbers"),
        (np.zeros(144), (12, 12), "one filter a row"),
        (np.zeros((4, 12)), (1, 12), "at least 2"),
        (np.zeros((4, 144)), (144,), "filter_shape"),
        (np.zeros((4, 144)), (12.0, 12.0), "filter_shape"),
        (np.zeros((0, 144)), (12, 12), "no filters"),
        (np.full((2, 4), np.nan), (2, 2), "non-finite"),
    ],
)
def test_bad_shapes_are_refused_clearly(weights, shape, message):
    from dae_core.metrics import edge_likeness

    with pytest.raises(ValueError, match=message):
        edge_likeness(weights, shape)


def test_orientation_histogram_puts_a_gratings_power_in_its_bin():
    from dae_core.metrics import orientation_histogram

    x = np.arange(8.0)
    vertical_bars = np.tile(np.cos(np.pi * x / 2), (8, 1))  # varies along x: frequency (0, ¼), angle 0
    horizontal_bars = vertical_bars.T  # angle π/2: bin 4 of 8
    hist = orientation_histogram(np.array([vertical_bars.ravel(), horizontal_bars.ravel(), np.zeros(64)]), (8, 8))
    assert hist.shape == (3, 8)
    np.testing.assert_allclose(hist[0], np.eye(8)[0], atol=1e-12)
    np.testing.assert_allclose(hist[1], np.eye(8)[4], atol=1e-12)
    np.testing.assert_array_equal(hist[2], np.zeros(8))
