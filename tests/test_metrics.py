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
