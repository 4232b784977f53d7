"""Numbers that say whether a DAE is any good: MSE against the clean data, and its baselines.

A DAE is only worth its training if it beats two free references on the *same* noisy inputs:
the identity (return the noisy input) and PCA with as many components as the code is wide.
"""

from __future__ import annotations

import numpy as np

CHUNK_ROWS = 4096  # rows at a time for sums over a whole table: memory stays flat however many rows there are


def _chunks(n: int):
    return (slice(i, min(i + CHUNK_ROWS, n)) for i in range(0, n, CHUNK_ROWS))


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared error over all entries, summed in float64 a chunk of rows at a time."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim < 2:
        return float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    total = sum(float(np.sum((a[rows].astype(np.float64) - b[rows]) ** 2)) for rows in _chunks(len(a)))
    return total / a.size


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

    The components are the top eigenvectors of the training rows' covariance, summed a chunk of rows at a time
    into float64: the same subspace as ``sklearn.decomposition.PCA``'s SVD, in memory that does not grow with the
    rows (a full SVD of 80,000 x 784 rows took 2.5 GB and 11 s; this takes a few MB and about half a second).
    """

    def __init__(self, n_components: int):
        self.n_components = n_components

    def fit(self, X_train_clean: np.ndarray) -> PCABaseline:
        X = np.asarray(X_train_clean)
        n, d = X.shape
        self.mean_ = sum(X[rows].sum(axis=0, dtype=np.float64) for rows in _chunks(n)) / n
        scatter, mean = np.zeros((d, d)), self.mean_.astype(X.dtype)
        for rows in _chunks(n):  # products in the rows' own precision (float32: twice as fast), summed in float64
            centred = X[rows] - mean
            scatter += centred.T @ centred
        values, vectors = np.linalg.eigh(scatter)  # ascending
        k = min(self.n_components, n, d)
        self.components_ = vectors[:, ::-1][:, :k].T  # (k, D), largest variance first
        return self

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        centred = np.asarray(X, np.float64) - self.mean_
        return centred @ self.components_.T @ self.components_ + self.mean_

    def mse(self, X_noisy: np.ndarray, X_clean: np.ndarray) -> float:
        X_noisy, X_clean = np.asarray(X_noisy), np.asarray(X_clean)
        total = sum(
            mse(X_clean[rows], self.reconstruct(X_noisy[rows])) * X_clean[rows].size for rows in _chunks(len(X_clean))
        )
        return total / X_clean.size


def pca_mse(X_train_clean: np.ndarray, X_test_noisy: np.ndarray, X_test_clean: np.ndarray, n_components: int) -> float:
    """Test MSE against clean data of PCA-k fitted on the clean training rows."""
    return PCABaseline(n_components).fit(X_train_clean).mse(X_test_noisy, X_test_clean)


def squared_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """(len(A), len(B)) squared Euclidean distances between the rows of A and of B, in float64."""
    A, B = np.asarray(A, np.float64), np.asarray(B, np.float64)
    return np.sum(A**2, axis=1)[:, None] - 2 * A @ B.T + np.sum(B**2, axis=1)[None, :]


def posterior_mean(X_noisy: np.ndarray, X_train_clean: np.ndarray, sigma: float) -> np.ndarray:
    """(N, D) E[x | x̃] for each noisy row under Gaussian noise of level ``sigma``, with the clean training rows as
    the prior: their mean weighted by exp(−‖x̃ − xᵢ‖² / 2σ²), the best possible denoiser for this data."""
    X_train = np.asarray(X_train_clean, np.float64)
    out = np.empty((len(X_noisy), X_train.shape[1]))
    for rows in _chunks(len(X_noisy)):
        logits = -squared_distances(X_noisy[rows], X_train) / (2 * sigma**2)
        weights = np.exp(logits - logits.max(axis=1, keepdims=True))
        out[rows] = weights @ X_train / weights.sum(axis=1, keepdims=True)
    return out


def field_alignment(X_noisy: np.ndarray, X_reconstructed: np.ndarray, X_train_clean: np.ndarray, sigma: float) -> float:
    """Mean cosine between the model's step r(x̃) − x̃ and the best possible one, E[x | x̃] − x̃, over noisy rows.

    1 means the model pulls every noisy point the way the data says it should; 0, no better than a random direction.
    Rows where either step is zero are left out.
    """
    noisy = np.asarray(X_noisy, np.float64)
    model_step = np.asarray(X_reconstructed, np.float64) - noisy
    best_step = posterior_mean(noisy, X_train_clean, sigma) - noisy
    lengths = np.linalg.norm(model_step, axis=1) * np.linalg.norm(best_step, axis=1)
    keep = lengths > 0
    return float(np.mean(np.sum(model_step[keep] * best_step[keep], axis=1) / lengths[keep]))


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


def filter_smoothness(weights: np.ndarray, image_shape: tuple[int, int]) -> float:
    """How much filters look like strokes rather than speckle: the correlation between the weights of neighbouring
    pixels (right and below), over all units, each unit scaled to its largest |weight|. Near 0: speckle; toward 1:
    smooth, local shapes."""
    h, w = image_shape
    tiles = np.asarray(weights, np.float64).reshape(-1, h, w)
    peak = np.abs(tiles).reshape(len(tiles), -1).max(axis=1)
    tiles = tiles / np.where(peak > 0, peak, 1.0)[:, None, None]
    first = np.concatenate([tiles[:, :, :-1].ravel(), tiles[:, :-1, :].ravel()])
    second = np.concatenate([tiles[:, :, 1:].ravel(), tiles[:, 1:, :].ravel()])
    if first.std() == 0 or second.std() == 0:
        return 0.0
    return float(np.corrcoef(first, second)[0, 1])
