"""Numbers that say whether a DAE is any good: MSE against the clean data, and its baselines.

A DAE is only worth its training if it beats two free references on the *same* noisy inputs:
the identity (return the noisy input) and PCA with as many components as the code is wide.
"""

from __future__ import annotations

import numpy as np


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared error over all entries."""
    return float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


def per_sample_mse(clean: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """(N,) mean squared error of each row."""
    return np.mean((np.asarray(clean, np.float64) - np.asarray(estimate, np.float64)) ** 2, axis=1)


def psnr(clean: np.ndarray, estimate: np.ndarray, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB over all entries, for data in a known range."""
    error = mse(clean, estimate)
    return float("inf") if error == 0 else float(10 * np.log10(data_range**2 / error))


def per_sample_psnr(clean: np.ndarray, estimate: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    """(N,) PSNR of each row in dB."""
    with np.errstate(divide="ignore"):
        return 10 * np.log10(data_range**2 / per_sample_mse(clean, estimate))


def identity_mse(X_clean: np.ndarray, X_noisy: np.ndarray) -> float:
    """The do-nothing denoiser: return the noisy input."""
    return mse(X_clean, X_noisy)


class PCABaseline:
    """PCA with ``n_components`` fitted on clean training rows, reconstructing noisy inputs.

    It is computed with an SVD of the centred data so it agrees with ``sklearn.decomposition.PCA``.
    """

    def __init__(self, n_components: int):
        self.n_components = n_components

    def fit(self, X_train_clean: np.ndarray) -> PCABaseline:
        X = np.asarray(X_train_clean, np.float64)
        self.mean_ = X.mean(axis=0)
        _, _, vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        self.components_ = vt[: min(self.n_components, vt.shape[0])]  # (k, D)
        return self

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        centred = np.asarray(X, np.float64) - self.mean_
        return centred @ self.components_.T @ self.components_ + self.mean_

    def mse(self, X_noisy: np.ndarray, X_clean: np.ndarray) -> float:
        return mse(X_clean, self.reconstruct(X_noisy))


def pca_mse(X_train_clean: np.ndarray, X_test_noisy: np.ndarray, X_test_clean: np.ndarray, n_components: int) -> float:
    """Test MSE against clean data of PCA-k fitted on the clean training rows."""
    return PCABaseline(n_components).fit(X_train_clean).mse(X_test_noisy, X_test_clean)


def linear_probe(
    train_features: np.ndarray, y_train: np.ndarray, test_features: np.ndarray, y_test: np.ndarray, seed: int = 0
) -> float:
    """Test accuracy of a standardized logistic regression trained on the given features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    probe.fit(train_features, y_train)
    return float(probe.score(test_features, y_test))
