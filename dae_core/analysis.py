"""Looking inside a trained DAE: reconstructions of noisy inputs, a whole photograph denoised tile by tile, codes,
2-D projections, a linear probe and the reconstruction vector field.

Everything here works on arrays in the *scaled* space of the training data and returns plain NumPy
arrays or small dataclasses, so the dashboard, the command line and notebooks share it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import metrics
from .config import NoiseConfig
from .data import PHOTO_PEAK, Dataset, sample_photo
from .errors import ConfigError, DataError
from .noise import corrupt_array
from .training import TEST_NOISE_SEED_OFFSET, TrainedModel, fixed_noisy_test

PROJECTIONS = ("pca", "tsne")
MAX_TSNE_ROWS = 5000  # Barnes-Hut t-SNE takes a few seconds per 1000 rows on 2 cores
DEFAULT_PROJECTION_ROWS = 1000  # what the dashboard projects; see :func:`subsample`
TSNE_ITERATIONS = 500  # half of scikit-learn's default: 2-3 s for 1000 digits codes, the same neighbourhoods


@dataclass(frozen=True)
class Reconstruction:
    """Clean rows, the noisy inputs drawn from them, and the model's reconstructions of the noisy inputs."""

    clean: np.ndarray  # (N, D) scaled
    noisy: np.ndarray  # (N, D) what the model was fed
    reconstructed: np.ndarray  # (N, D) model(noisy)
    per_sample_mse: np.ndarray  # (N,) against the clean rows
    per_sample_psnr: np.ndarray | None  # (N,) dB with data range 1; None unless the data lives in [0, 1]

    @property
    def mse(self) -> float:
        """MSE over all entries of the reconstructions against the clean rows."""
        return metrics.mse(self.clean, self.reconstructed)

    @property
    def identity_mse(self) -> float:
        """MSE of the noisy inputs themselves: what doing nothing would score."""
        return metrics.identity_mse(self.clean, self.noisy)

    @property
    def psnr(self) -> float | None:
        """PSNR in dB over all entries, for [0, 1] data."""
        return None if self.per_sample_psnr is None else metrics.psnr(self.clean, self.reconstructed)

    @property
    def noisy_per_sample_mse(self) -> np.ndarray:
        """(N,) MSE of each noisy row against its clean row."""
        return metrics.per_sample_mse(self.clean, self.noisy)

    def worst_first(self) -> np.ndarray:
        """Row indices sorted by reconstruction error, largest first (ties keep their order)."""
        return np.argsort(-self.per_sample_mse, kind="stable")

    def representative(self, count: int) -> np.ndarray:
        """``count`` row indices spread evenly over the range of errors, best first: a fair first look, where
        the worst alone would make a good model look rough."""
        ranked = self.worst_first()[::-1]  # best first
        picks = np.unique(np.linspace(0, len(ranked) - 1, min(count, len(ranked))).round().astype(int))
        return ranked[picks]

    def error_table(self) -> list[dict]:
        """One plain dict per row, worst first: index, reconstruction MSE, noisy-input MSE and PSNR."""
        noisy_mse = self.noisy_per_sample_mse
        rows = []
        for i in self.worst_first():
            row = {"index": int(i), "mse": float(self.per_sample_mse[i]), "noisy_mse": float(noisy_mse[i])}
            if self.per_sample_psnr is not None:
                row["psnr_db"] = float(self.per_sample_psnr[i])
            rows.append(row)
        return rows


def _check_rows(trained: TrainedModel, X: np.ndarray, what: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    expected = trained.model.input_dim
    if X.ndim != 2 or X.shape[1] != expected:
        shape = "x".join(str(s) for s in X.shape)
        raise DataError(
            f"The {what} must be a 2-D array with {expected} columns (the model's input width). "
            f"Got shape ({shape}) instead. Pass rows scaled like the training data."
        )
    return X


def reconstruct(
    trained: TrainedModel,
    X_clean_scaled: np.ndarray,
    noise: str,
    level: float,
    seed: int = 0,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
    clip: bool | None = None,
) -> Reconstruction:
    """Corrupt clean rows with test-time noise (seeded) and reconstruct the *noisy* rows.

    The model always sees the noisy input; reconstructing the clean input would hide whether it
    denoises at all. ``clip`` defaults to whether the model's data lives in [0, 1]; ``low``/``high``
    are the per-column ends for salt-and-pepper (default: 0 and 1 for [0, 1] data, else the rows' own).
    """
    NoiseConfig(noise, level)  # validates the pair, raising ConfigError in the config's wording
    clean = _check_rows(trained, X_clean_scaled, "clean input")
    bounded = trained.scaler.bounded
    if clip is None:
        clip = bounded
    if bounded and low is None and high is None:
        low, high = np.zeros(clean.shape[1], np.float32), np.ones(clean.shape[1], np.float32)
    if len(clean) == 0:
        noisy = clean.copy()
    else:
        noisy = corrupt_array(clean, noise, level, seed, low=low, high=high, clip=clip)
    return _reconstruction(trained, clean, noisy)


def own_test_noise(trained: TrainedModel) -> tuple[str, float]:
    """(noise type, level) of a run's own evaluation: its noise at the level of the epoch whose weights it holds
    (a live change of the level moves it), the one behind that epoch's test MSE."""
    kept = trained.kept_record
    level = kept.noise_level if kept is not None else trained.settings.noise.noise_level
    return trained.config.noise.noise, float(level)


def own_draw_seed(trained: TrainedModel) -> int:
    """The seed of a run's own test-noise stream: :func:`reconstruct` with it draws, on the CPU, the noise
    :func:`evaluate_as_trained` draws, at any noise type and level."""
    return trained.config.train.seed + TEST_NOISE_SEED_OFFSET


def evaluate_as_trained(trained: TrainedModel, dataset: Dataset) -> Reconstruction:
    """What :func:`reconstruct` returns, on the model's own evaluation: the fixed noisy test inputs training drew
    (``training.fixed_noisy_test``) at :func:`own_test_noise`, so its ``mse`` is the test MSE of the epoch whose
    weights the model holds (``trained.kept_record.test_mse``), the number Train shows."""
    clean = _check_rows(trained, dataset.X_test, "clean input")
    noisy = fixed_noisy_test(trained.config, dataset, own_test_noise(trained)[1]).cpu().numpy()
    return _reconstruction(trained, clean, noisy)


def _reconstruction(trained: TrainedModel, clean: np.ndarray, noisy: np.ndarray) -> Reconstruction:
    reconstructed = trained.denoise(noisy)  # the noisy input, never the clean one
    per_sample_psnr = metrics.per_sample_psnr(clean, reconstructed) if trained.scaler.bounded else None
    return Reconstruction(
        clean=clean,
        noisy=noisy,
        reconstructed=reconstructed,
        per_sample_mse=metrics.per_sample_mse(clean, reconstructed),
        per_sample_psnr=per_sample_psnr,
    )


# --- a whole photograph, tile by tile ---------------------------------------------------------------
PHOTO_CROP = 256  # side of the central crop denoised by default: 5 ms (dense) to 30 ms (conv) on one thread, patch 12
PHOTO_BATCH = 4096  # tiles per model call: 4096 x 144 float32 is 2.4 MB


@dataclass(frozen=True)
class PhotoDenoising:
    """A photograph corrupted once as a whole and denoised tile by tile: (H, W) float32 arrays in the model's
    scaled space (for ``photos``, pixel / 255 through the model's scaler, as its training patches)."""

    clean: np.ndarray  # (H, W)
    noisy: np.ndarray  # (H, W) the whole picture corrupted once: what the tiles are cut from
    denoised: np.ndarray  # (H, W) the tiles' reconstructions, stitched, overlaps averaged
    tile_size: int  # the model's patch side
    stride: int  # pixels between neighbouring tiles; below tile_size they overlap

    @property
    def noisy_mse(self) -> float:
        return metrics.mse(self.clean, self.noisy)

    @property
    def denoised_mse(self) -> float:
        return metrics.mse(self.clean, self.denoised)

    @property
    def noisy_psnr(self) -> float:
        """PSNR of the noisy photograph against the clean one, in dB (data range 1)."""
        return metrics.psnr(self.clean, self.noisy)

    @property
    def denoised_psnr(self) -> float:
        return metrics.psnr(self.clean, self.denoised)


def tile_starts(length: int, size: int, stride: int) -> np.ndarray:
    """First pixels of tiles of ``size`` every ``stride`` pixels along ``length``; the last tile ends at the border,
    so every pixel is covered (that last step may be shorter than ``stride``)."""
    starts = np.arange(0, length - size + 1, stride)
    return starts if starts[-1] == length - size else np.append(starts, length - size)


def cut_tiles(image: np.ndarray, size: int, stride: int) -> np.ndarray:
    """(H, W) image to (rows, cols, size, size) tiles at :func:`tile_starts` along each side."""
    windows = np.lib.stride_tricks.sliding_window_view(image, (size, size))  # (H-size+1, W-size+1, size, size), a view
    tops, lefts = tile_starts(image.shape[0], size, stride), tile_starts(image.shape[1], size, stride)
    return windows[tops[:, None], lefts[None, :]]


def stitch(tiles: np.ndarray, shape: tuple[int, int], stride: int) -> np.ndarray:
    """(rows, cols, size, size) tiles cut by :func:`cut_tiles` back into one (H, W) float32 image, each pixel the
    mean of the tiles that cover it (summed in float64, so tiles that agree give back their pixels exactly)."""
    size = tiles.shape[-1]
    tops, lefts = tile_starts(shape[0], size, stride), tile_starts(shape[1], size, stride)
    total, count = np.zeros(shape), np.zeros(shape)
    for dy in range(size):  # size² vectorised steps rather than one per tile; within a step no pixel repeats
        for dx in range(size):
            cells = np.ix_(tops + dy, lefts + dx)
            total[cells] += tiles[:, :, dy, dx]
            count[cells] += 1
    return (total / count).astype(np.float32)


def denoise_tiled(denoise, image: np.ndarray, size: int, stride: int, batch_size: int = PHOTO_BATCH) -> np.ndarray:
    """Run ``denoise`` ((N, size²) rows to rows) over the (H, W) ``image`` tile by tile, ``batch_size`` tiles a call,
    and stitch the results: overlapping tiles (``stride`` < ``size``) are averaged, which hides the tiles' seams."""
    tiles = cut_tiles(image, size, stride)  # (rows, cols, size, size)
    rows = tiles.reshape(-1, size * size)
    out = np.concatenate([denoise(rows[i : i + batch_size]) for i in range(0, len(rows), batch_size)])
    return stitch(out.reshape(tiles.shape), image.shape, stride)


def _photo_in_model_scale(trained: TrainedModel, photo: np.ndarray) -> np.ndarray:
    """A [0, 1] photograph in the model's scaled space: its raw pixels (× 255) through the model's range scaler,
    which has one offset and one scale for every pixel."""
    offset, scale = float(trained.scaler.offset_[0]), float(trained.scaler.scale_[0])
    return np.clip((photo * np.float32(PHOTO_PEAK) - offset) / scale, 0.0, 1.0).astype(np.float32)


def denoise_photo(
    trained: TrainedModel,
    photo: str | np.ndarray,
    noise: str,
    level: float,
    seed: int = 0,
    *,
    crop: int | None = PHOTO_CROP,
    downscale: int = 1,
    stride: int | None = None,
    batch_size: int = PHOTO_BATCH,
) -> PhotoDenoising:
    """Corrupt a whole photograph once (seeded, like :func:`reconstruct`) and denoise it with a model trained on
    ``photos`` patches, tile by tile.

    ``photo``: a name in ``data.PHOTOS`` or an (H, W) grayscale array in [0, 1]. ``downscale``: shrink it first by
    this integer factor (block means); ``crop``: then keep its central ``crop`` × ``crop`` pixels (None: all of it).
    ``stride``: pixels between tiles, default half the patch side. Measured at patch 12, Gaussian 0.2, 256 × 256:
    half-overlapping tiles, averaged, scored 0.3-1.0 dB more than tiles side by side (no seams) for about twice the
    time; a quarter of the side or less added under 0.2 dB more for 2-4 times the time again.
    """
    NoiseConfig(noise, level)  # validates the pair, raising ConfigError in the config's wording
    shape = trained.image_shape
    if trained.config.data.dataset != "photos" or shape is None or shape[2] != 1:
        raise DataError(
            f"Denoising a whole photograph needs a model trained on the 'photos' dataset; this one was trained on "
            f"{trained.config.data.dataset!r}. Train one on photos."
        )
    size = shape[0]
    stride = max(size // 2, 1) if stride is None else stride
    for name, value, low in (("stride", stride, 1), ("downscale", downscale, 1), ("crop", crop, size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low):
            raise ConfigError(
                f"The '{name}' parameter of denoise_photo must be an int >= {low}. Got {value!r} instead."
            )
    image = sample_photo(photo) if isinstance(photo, str) else np.asarray(photo, np.float32)
    if image.ndim != 2:
        raise DataError(f"The photograph must be a 2-D grayscale array. Got {image.ndim} dimension(s) instead.")
    if downscale > 1:
        h, w = image.shape[0] // downscale, image.shape[1] // downscale
        image = image[: h * downscale, : w * downscale].reshape(h, downscale, w, downscale).mean(axis=(1, 3))
    if crop is not None:
        top, left = max((image.shape[0] - crop) // 2, 0), max((image.shape[1] - crop) // 2, 0)
        image = image[top : top + crop, left : left + crop]
    if min(image.shape) < size:
        raise DataError(
            f"The photograph is {image.shape[0]}x{image.shape[1]} pixels, smaller than the model's {size}x{size} "
            "patches. Use a larger crop or a smaller downscale."
        )
    clean = _photo_in_model_scale(trained, image)  # (H, W)
    ones = np.ones(clean.size, np.float32)
    noisy = corrupt_array(clean.reshape(1, -1), noise, level, seed, low=0 * ones, high=ones, clip=True)
    noisy = noisy.reshape(clean.shape)  # the whole picture corrupted once, before it is cut
    denoised = denoise_tiled(trained.denoise, noisy, size, stride, batch_size)
    return PhotoDenoising(clean, noisy, denoised, size, stride)


def codes(trained: TrainedModel, X: np.ndarray) -> np.ndarray:
    """(N, D) scaled rows to their (N, hidden_dim) codes."""
    return trained.encode(_check_rows(trained, X, "input"))


def subsample(n_rows: int, max_rows: int = DEFAULT_PROJECTION_ROWS, seed: int = 0) -> np.ndarray:
    """Sorted indices of at most ``max_rows`` of ``n_rows`` rows, the same for the same seed.

    Use it before :func:`project` with t-SNE: ``idx = subsample(len(z)); xy = project(z[idx], "tsne")``.
    """
    if n_rows <= max_rows:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=max_rows, replace=False))


def project(codes: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """(N, k) codes to (N, 2) coordinates by PCA or t-SNE, row for row.

    PCA is scikit-learn's (its sign convention is deterministic); a 1-wide code gets a zero second
    column. t-SNE uses perplexity min(30, (N - 1) / 3), fixed by ``seed``; subsample large inputs first.
    """
    method = method.lower()
    if method not in PROJECTIONS:
        raise ConfigError(f"The 'method' parameter of project must be one of 'pca', 'tsne'. Got {method!r} instead.")
    Z = np.asarray(codes, dtype=np.float64)
    if Z.ndim != 2:
        raise DataError(f"The codes must be a 2-D array (rows x code units). Got {Z.ndim} dimension(s) instead.")
    n, width = Z.shape
    if n < 2 or width == 0:
        return np.zeros((n, 2))
    if method == "tsne" and n > MAX_TSNE_ROWS:
        raise DataError(
            f"t-SNE on {n} rows would take minutes; at most {MAX_TSNE_ROWS} are allowed. "
            f"Pick rows with analysis.subsample(n_rows, {DEFAULT_PROJECTION_ROWS}) first."
        )
    if method == "pca" or n < 4:  # t-SNE needs a perplexity of at least 1, i.e. 4 rows
        from sklearn.decomposition import PCA

        components = min(2, n, width)
        with np.errstate(invalid="ignore", divide="ignore"):  # constant codes: explained-variance ratio 0/0
            projected = PCA(n_components=components, svd_solver="full").fit_transform(Z)
    else:
        from sklearn.manifold import TSNE

        tsne = TSNE(
            n_components=2,
            perplexity=min(30.0, (n - 1) / 3),
            init="pca" if width >= 2 else "random",  # PCA init needs 2 input columns
            max_iter=TSNE_ITERATIONS,
            random_state=seed,
        )
        projected = tsne.fit_transform(Z)
    if projected.shape[1] < 2:
        projected = np.hstack([projected, np.zeros((n, 2 - projected.shape[1]))])
    return projected


def probe(trained: TrainedModel, dataset: Dataset, seed: int = 0, *, raw: bool = True) -> dict | None:
    """Linear-probe accuracy (logistic regression) on the codes versus on the raw scaled features.

    Returns ``{"code_accuracy", "raw_accuracy", "chance_accuracy", "n_classes"}``, or None when the
    dataset has no class labels (none at all, a single class, or a continuous target). With ``raw=False`` the
    raw features are not scored (``raw_accuracy`` is None): several models of one dataset need that score once.
    """
    from sklearn.utils.multiclass import type_of_target

    if dataset.y_train is None or dataset.y_test is None:
        return None
    if type_of_target(dataset.y_train) not in ("binary", "multiclass"):
        return None
    classes, counts = np.unique(dataset.y_test, return_counts=True)
    n_classes = len(np.unique(dataset.y_train))
    if n_classes < 2 or len(dataset.y_test) == 0:
        return None
    code_accuracy = metrics.linear_probe(
        codes(trained, dataset.X_train), dataset.y_train, codes(trained, dataset.X_test), dataset.y_test, seed
    )
    raw_accuracy = (  # the same for every model of this dataset: ``raw=False`` skips it
        metrics.linear_probe(dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test, seed) if raw else None
    )
    return {
        "code_accuracy": code_accuracy,
        "raw_accuracy": raw_accuracy,
        "chance_accuracy": float(counts.max() / counts.sum()),  # always guessing the commonest test class
        "n_classes": int(n_classes),
    }


def grid(X_scaled: np.ndarray, grid_size: int = 21, margin: float = 0.5) -> np.ndarray:
    """(grid_size², 2) points on a regular grid over the bounding box of 2-D rows, widened by ``margin``."""
    if isinstance(grid_size, bool) or not isinstance(grid_size, (int, np.integer)) or not 2 <= grid_size <= 200:
        raise ConfigError(
            f"The 'grid_size' parameter of vector_field must be an int in [2, 200]. Got {grid_size!r} instead."
        )
    if not (isinstance(margin, (int, float)) and not isinstance(margin, bool) and 0 <= margin <= 100):
        raise ConfigError(
            f"The 'margin' parameter of vector_field must be a float in [0, 100]. Got {margin!r} instead."
        )
    X = np.asarray(X_scaled, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        width = X.shape[1] if X.ndim == 2 else X.ndim
        raise DataError(
            f"The reconstruction vector field needs 2-D data, but the data has {width} features. "
            f"Use the moons, circles or spiral dataset."
        )
    if len(X) == 0:
        raise DataError("The reconstruction vector field needs at least one data point to place its grid.")
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs = np.linspace(low[0], high[0], grid_size)
    ys = np.linspace(low[1], high[1], grid_size)
    gx, gy = np.meshgrid(xs, ys)  # (grid_size, grid_size) each, x varying fastest
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def vector_field(
    trained: TrainedModel, X_scaled: np.ndarray, grid_size: int = 13, margin: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """The reconstruction field r(x) − x on a grid over the data (+ ``margin`` in scaled units). The default 13 × 13
    arrows stay readable on a chart 400 px wide (21 × 21 left cells of 15 px: arrows no longer than their heads).

    Returns ``(points, displacement)``, both (grid_size², 2). Arrows point where the DAE moves a
    corrupted point, i.e. back towards the data manifold (Alain & Bengio, 2014).
    """
    points = grid(X_scaled, grid_size, margin)
    if trained.model.input_dim != 2:
        raise DataError(
            f"The reconstruction vector field needs a model of 2-D data, but this model takes "
            f"{trained.model.input_dim} features. Train on moons, circles or spiral."
        )
    return points, trained.denoise(points) - points


def best_field(points: np.ndarray, X_train: np.ndarray, sigma: float) -> np.ndarray:
    """(N, 2) E[x | x̃] − x̃ at each point: the step of the best possible denoiser of Gaussian noise of level
    ``sigma`` for this data (the training points as the prior), to set beside a model's field."""
    return metrics.posterior_mean(points, X_train, sigma) - np.asarray(points, np.float64)


def flow(trained: TrainedModel, start: np.ndarray, steps: int) -> list[np.ndarray]:
    """Iterate x ← r(x) from ``start`` (N, D scaled rows): the points after 0, 1, ..., ``steps`` steps.

    A DAE's reconstruction moves points toward where the data is dense, so repeated, it carries random points
    onto the data (Alain & Bengio, 2014): the flow of the lesson on manifolds.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= 1000:
        raise DataError(f"The 'steps' parameter of flow must be an int in [0, 1000]. Got {steps!r} instead.")
    path = [_check_rows(trained, start, "flow's start")]
    for _ in range(steps):
        path.append(trained.denoise(path[-1]))
    return path


def random_points(X_scaled: np.ndarray, count: int = 300, seed: int = 0, margin: float = 0.25) -> np.ndarray:
    """(count, D) points drawn uniformly over the data's bounding box (+ ``margin``): where a flow starts."""
    X = np.asarray(X_scaled, np.float64)
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    return np.random.default_rng(seed).uniform(low, high, size=(count, X.shape[1])).astype(np.float32)


def distance_to_data(points: np.ndarray, X: np.ndarray) -> np.ndarray:
    """(N,) distance from each point to its nearest row of ``X``."""
    return np.sqrt(np.maximum(metrics.squared_distances(points, X).min(axis=1), 0.0))
