"""Numbers that say whether a DAE is any good: MSE against the clean data, and its baselines.

A DAE is only worth its training if it beats two free references on the *same* noisy inputs:
the identity (return the noisy input) and PCA with as many components as the code is wide.
"""

from __future__ import annotations

import numpy as np

CHUNK_ROWS = 4096  # rows at a time for sums over a whole table: memory stays flat however many rows there are


def row_chunks(n: int):
    """Slices of ``CHUNK_ROWS`` rows that cover ``n`` rows in order."""
    return (slice(i, min(i + CHUNK_ROWS, n)) for i in range(0, n, CHUNK_ROWS))


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared error over all entries, summed in float64 a chunk of rows at a time."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim < 2:
        return float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    total = sum(float(np.sum((a[rows].astype(np.float64) - b[rows]) ** 2)) for rows in row_chunks(len(a)))
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
        self.mean_ = sum(X[rows].sum(axis=0, dtype=np.float64) for rows in row_chunks(n)) / n
        scatter, mean = np.zeros((d, d)), self.mean_.astype(X.dtype)
        for rows in row_chunks(n):  # products in the rows' own precision (float32: twice as fast), summed in float64
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
            mse(X_clean[rows], self.reconstruct(X_noisy[rows])) * X_clean[rows].size
            for rows in row_chunks(len(X_clean))
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
    for rows in row_chunks(len(X_noisy)):
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
    h, w = image_shape[:2]
    tiles = np.asarray(weights, np.float64)
    tiles = tiles.reshape(len(tiles), h, w, -1).mean(axis=3)  # colour filters: their channels' mean
    peak = np.abs(tiles).reshape(len(tiles), -1).max(axis=1)
    tiles = tiles / np.where(peak > 0, peak, 1.0)[:, None, None]
    first = np.concatenate([tiles[:, :, :-1].ravel(), tiles[:, :-1, :].ravel()])
    second = np.concatenate([tiles[:, :, 1:].ravel(), tiles[:, 1:, :].ravel()])
    if first.std() == 0 or second.std() == 0:
        return 0.0
    return float(np.corrcoef(first, second)[0, 1])


# --- edge-likeness of first-layer filters ------------------------------------------------------------------------
# Threshold on a filter's orientation concentration above which it counts as oriented (edge- or bar-like). Chosen on
# hand-made filters, not on any trained model: 432 Gabors of 12 x 12 pixels (16 orientations, wavelength 4-6 px,
# sigma 2-3 px, three phases) score 0.77-0.96, mean 0.88; 4,000 seeded white-noise filters of 12 x 12 score mean
# 0.10, 99th percentile 0.24, at most 0.30. 0.5 sits between. Chance concentration grows as filters shrink: white
# noise passes 0.5 for 33% of 3 x 3 filters, 3% of 5 x 5 and none of 8 x 8 or larger, so for tiny filters read the
# number against noise of the same size.
ORIENTED_THRESHOLD = 0.5
MIN_ORIENTED_SIDE = 8  # filters at least this many pixels a side: white noise passes the threshold for none of them
_FLAT_ENERGY = 1e-12  # a filter whose mean-removed energy is below this share of its energy counts as constant


def _filter_spectra(weights: np.ndarray, filter_shape) -> tuple[np.ndarray, np.ndarray]:
    """Per-filter power spectra without DC, channels averaged, and the angles of their frequencies: ((units, h, w)
    power, (4, h, w) angle in [0, π)). A Nyquist frequency (±½ cycle per pixel, at an even height or width) is
    both +½ and -½; the four angles of a bin are those of its sign choices there, so no direction is favoured."""
    W = np.asarray(weights)
    shape = tuple(filter_shape) if isinstance(filter_shape, (tuple, list)) else None
    if shape is None or len(shape) not in (2, 3) or not all(isinstance(s, (int, np.integer)) for s in shape):
        raise ValueError(
            f"filter_shape must be (height, width) or (height, width, channels) of ints, not {filter_shape!r}."
        )
    h, w, c = (*(int(s) for s in shape), 1)[:3]
    if h < 2 or w < 2 or c < 1:
        raise ValueError(f"Filters of {h} x {w} x {c} have no orientation: height and width must be at least 2.")
    if W.ndim != 2:
        raise ValueError(f"weights must be (units, height*width*channels), one filter a row; got shape {W.shape}.")
    if W.shape[1] != h * w * c:
        raise ValueError(
            f"Filters of {h} x {w} x {c} hold {h * w * c} numbers, but the weights' rows hold {W.shape[1]}."
        )
    if len(W) == 0:
        raise ValueError("weights hold no filters.")
    tiles = W.astype(np.float64).reshape(len(W), h, w, c)
    if not np.all(np.isfinite(tiles)):
        raise ValueError("weights hold non-finite values (NaN or infinity).")
    centred = tiles - tiles.mean(axis=(1, 2), keepdims=True)  # each channel's DC removed
    power = (np.abs(np.fft.fft2(centred, axes=(1, 2))) ** 2).mean(axis=3)  # (units, h, w)
    energy, kept = np.sum(tiles**2, axis=(1, 2, 3)), np.sum(centred**2, axis=(1, 2, 3))
    flat = kept <= _FLAT_ENERGY * np.where(energy > 0, energy, 1.0)
    power[flat] = 0.0  # constant filters (up to rounding) carry no orientation
    power[:, 0, 0] = 0.0
    fy, fx = np.meshgrid(np.fft.fftfreq(h), np.fft.fftfreq(w), indexing="ij")  # cycles per pixel
    flip_y, flip_x = np.where(np.abs(fy) == 0.5, -fy, fy), np.where(np.abs(fx) == 0.5, -fx, fx)
    angles = [np.arctan2(y, x) for y in (fy, flip_y) for x in (fx, flip_x)]
    return power, np.mod(np.stack(angles), np.pi)


def orientation_concentration(weights: np.ndarray, filter_shape) -> np.ndarray:
    """(units,) how much of each filter's spectral power lies along one orientation, in [0, 1].

    Each row of ``weights`` (units, h·w·c) is one filter flattened in (height, width, channels) order;
    ``filter_shape`` is (h, w) or (h, w, c), with h, w >= 2. For each filter: subtract each channel's mean (removing
    DC), take the h x w discrete 2-D power spectrum P(k) = |FFT(channel)(k)|², and for c > 1 average the channels'
    spectra (so a filter oriented in every channel alike scores as its gray version would). With θ(k) in [0, π) the
    angle of frequency k = (ky/h, kx/w) in cycles per pixel, k ≠ 0, the concentration is the resultant length of the
    power-weighted doubled-angle mean,

        R = |Σₖ P(k)·exp(2iθ(k))| / Σₖ P(k),

    where at a Nyquist frequency (±½ cycle per pixel along an even side, which is both +½ and -½) exp(2iθ) is
    averaged over the signs, so a 90-degree turn of a square filter keeps R and a checkerboard scores 0.

    Doubling the angle makes k and -k, and any angle and itself plus π, the same orientation. R = 1 when all power
    lies along one line through the origin (a grating, an edge, a Gabor of narrow band), 0 when it is spread evenly
    over orientations (white noise on average, an isotropic blob, centre-surround). Constant filters have no power
    and score 0. This is the orientation selectivity of Olshausen & Field (1996, Nature 381:607) and of the
    edge-detector-like first-layer filters of Vincent et al. (2010, JMLR 11:3371, section 6, "filters") as one
    number.
    """
    power, angles = _filter_spectra(weights, filter_shape)
    total = power.sum(axis=(1, 2))
    resultant = np.abs(np.tensordot(power, np.exp(2j * angles).mean(axis=0), axes=([1, 2], [0, 1])))
    return np.where(total > 0, resultant / np.where(total > 0, total, 1.0), 0.0)


def orientation_histogram(weights: np.ndarray, filter_shape, bins: int = 8) -> np.ndarray:
    """(units, bins) each filter's share of spectral power per orientation of frequency, bins of π/bins over
    [0, π) centred on 0, π/bins, ...; the spectrum as in ``orientation_concentration``. Rows of constant filters
    are all zero."""
    power, angles = _filter_spectra(weights, filter_shape)
    index = np.floor(np.mod(angles + np.pi / (2 * bins), np.pi) / (np.pi / bins)).astype(int) % bins  # (4, h, w)
    hist = np.stack([sum(power[:, alias == b].sum(axis=1) for alias in index) / 4 for b in range(bins)], axis=1)
    total = hist.sum(axis=1, keepdims=True)
    return hist / np.where(total > 0, total, 1.0)


def edge_likeness(weights: np.ndarray, filter_shape, threshold: float = ORIENTED_THRESHOLD) -> float:
    """The share of filters, in [0, 1], that are oriented: whose ``orientation_concentration`` exceeds ``threshold``
    (``ORIENTED_THRESHOLD`` = 0.5, set on hand-made Gabors against white noise, see there).

    ``weights`` (units, h·w·c), one filter a row in (height, width, channels) order, e.g. a dense model's
    ``first_layer_weights``; ``filter_shape`` (h, w) or (h, w, c); channels' power spectra are averaged. Near 1:
    edge- and stroke-detector filters as a denoising autoencoder learns on natural images (Vincent et al. 2010,
    section 6; Olshausen & Field 1996); near 0: speckle or blobs. For the continuous number behind it, take
    ``orientation_concentration(...).mean()``.
    """
    return float(np.mean(orientation_concentration(weights, filter_shape) > threshold))


def edge_likeness_if_readable(weights: np.ndarray, filter_shape) -> float | None:
    """``edge_likeness`` of filters large enough for it to read against chance, at least ``MIN_ORIENTED_SIDE`` pixels
    on each side (photo patches, digits); None for smaller ones (a conv model's 3 x 3 kernels, where noise alone
    passes the threshold a third of the time) or without a shape (table data)."""
    if filter_shape is None or min(filter_shape[:2]) < MIN_ORIENTED_SIDE:
        return None
    return edge_likeness(weights, filter_shape)
