"""Classic denoisers as baselines for image data: a Gaussian blur, a median filter and, for photographs, non-local
means (Buades, Coll & Morel 2005, as scikit-image implements it).

Each filter's width is chosen on the noisy training rows at the run's noise (scored against the clean training
rows), then scored on the same noisy test inputs as the model, beside the identity and PCA baselines of
``dae_core.metrics``. Rows are flattened images, (N, h*w*c), in the data's scaled units; each image is filtered over
its height and width only, never across images (non-local means compares patches over all channels at once).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError, DataError
from .metrics import CHUNK_ROWS, mse

BLUR_SIGMAS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)  # pixels; 0 leaves the image as it is (the identity)
MEDIAN_SIZES = (1, 2, 3, 5)  # window side in pixels; 1 leaves the image as it is (the identity)
CHOICE_ROWS = 2_000  # the first training rows that choose a width: enough to choose, fast at any dataset size
MODE = "reflect"  # image edges mirror, so a border pixel is not pulled toward zero

# Non-local means: each pixel becomes a weighted mean of the pixels whose 5 x 5 neighbourhoods look like its own,
# within 6 pixels of it. Its strength h is chosen among these multiples of the noise's size, measured on the training
# rows as the RMS of noisy − clean (the true σ for unclipped Gaussian noise). On a whole photograph at Gaussian
# σ = 25/255 (china, 427 x 640), h = 0.6σ, 0.8σ, 1.0σ score 25.67, 25.32, 24.50 dB; patch 7 within 11 pixels
# scores less (25.49 dB at 0.6σ) in three times the time. Small images and clipped noise can want less than 0.6σ.
NL_MEANS_H = (0.4, 0.6, 0.8, 1.0)
NL_MEANS_PATCH, NL_MEANS_DISTANCE = 5, 6
NL_MEANS_DATASETS = ("photos", "images")  # pictures of the world, where repeated patches are what it relies on
# It filters one image at a time (0.6 ms for 12 x 12 pixels, 1.7 ms for 32 x 32, 5-9 ms for 64 x 64 in colour, on
# one core), so it chooses h on the first training rows and is scored on the first test rows (the split is shuffled:
# a random sample of them) up to a budget of numbers, (most rows, fewest rows, numbers): 300 and 2,000 rows of small
# pictures, 24 and 244 of 64 x 64 colour ones. A new noise level's evaluation then takes 1-3 s.
NL_MEANS_CHOICE = (300, 20, 300_000)
NL_MEANS_TEST = (2_000, 100, 3_000_000)


def nl_means_rows(budget: tuple[int, int, int], numbers_per_row: int) -> int:
    """How many rows of ``numbers_per_row`` non-local means filters within ``budget`` (most, fewest, numbers)."""
    most, fewest, numbers = budget
    return min(most, max(fewest, numbers // numbers_per_row))


@dataclass(frozen=True)
class ClassicBaseline:
    """One classic denoiser, its width chosen on the training rows, scored on the noisy test inputs."""

    name: str  # "gaussian_blur", "median" or "nl_means"
    width: float  # the blur's sigma in pixels, the median's window side (an int), or non-local means' h
    test_mse: float  # MSE against the clean test rows of the filtered noisy test inputs


def _image_shape(image_shape, caller: str) -> tuple[int, int, int]:
    """(h, w, c) from (h, w) or (h, w, c); a bad shape is a ConfigError, no shape at all a DataError."""
    if image_shape is None:
        raise DataError(
            "Classic denoisers filter images over their height and width, and this data has no image shape "
            "(a table of features). Use an image dataset, or leave these baselines out."
        )
    dims = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else ()
    whole = all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1 for d in dims)
    if len(dims) not in (2, 3) or not whole:
        raise ConfigError(
            f"The 'image_shape' parameter of {caller} must be (height, width) or (height, width, channels) of whole "
            f"numbers >= 1. Got {image_shape!r} instead."
        )
    h, w, c = (*map(int, dims), 1)[:3]
    if h < 2 or w < 2:
        raise DataError(
            f"An image of {h} x {w} pixels has no neighbours to filter over: classic denoisers need at least 2 x 2 "
            "pixels. Is this data really images?"
        )
    return h, w, c


def _rows(rows, what: str, shape: tuple[int, int, int]) -> np.ndarray:
    """The rows as a 2-D float array whose width is h*w*c pixels."""
    rows = np.asarray(rows)
    if rows.ndim != 2 or not np.issubdtype(rows.dtype, np.floating):
        raise DataError(
            f"The {what} must be a 2-D float array of flattened images, (rows, pixels). "
            f"Got a {rows.ndim}-D array of {rows.dtype} instead."
        )
    h, w, c = shape
    if rows.shape[1] != h * w * c:
        raise DataError(
            f"The {what} have {rows.shape[1]} columns, but images of {h} x {w} x {c} have {h * w * c} pixels. "
            "Pass the image shape of this data."
        )
    if len(rows) == 0:
        raise DataError(f"The {what} are empty: there is no image to filter.")
    return rows


def _pair(noisy, clean, what: str, shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    noisy, clean = _rows(noisy, f"noisy {what} rows", shape), _rows(clean, f"clean {what} rows", shape)
    if noisy.shape != clean.shape:
        raise DataError(
            f"The noisy {what} rows {noisy.shape} and the clean ones {clean.shape} must have the same shape: "
            "row i of one is the noisy copy of row i of the other."
        )
    return noisy, clean


def blur(rows: np.ndarray, sigma: float, image_shape) -> np.ndarray:
    """(N, h*w*c) each image blurred by a Gaussian of ``sigma`` pixels over its height and width; 0 is the identity."""
    shape = _image_shape(image_shape, "blur")
    rows = _rows(rows, "rows", shape)
    images = rows.reshape(len(rows), *shape)  # (N, h, w, c)
    from scipy import ndimage  # here: a table's run never pays for importing it (0.2 s)

    return ndimage.gaussian_filter(images, sigma=(0, sigma, sigma, 0), mode=MODE).reshape(rows.shape)


def median(rows: np.ndarray, size: int, image_shape) -> np.ndarray:
    """(N, h*w*c) each image's median over a ``size`` x ``size`` window of its height and width; 1 is the identity."""
    shape = _image_shape(image_shape, "median")
    rows = _rows(rows, "rows", shape)
    images = rows.reshape(len(rows), *shape)  # (N, h, w, c)
    from scipy import ndimage

    return ndimage.median_filter(images, size=(1, size, size, 1), mode=MODE).reshape(rows.shape)


def nl_means(rows: np.ndarray, h: float, image_shape, sigma: float = 0.0) -> np.ndarray:
    """(N, h*w*c) each image denoised by non-local means of strength ``h`` (data units), for noise of standard
    deviation ``sigma``; h = 0 is the identity. scikit-image's fast mode, 5 x 5 patches within 6 pixels."""
    shape = _image_shape(image_shape, "nl_means")
    rows = _rows(rows, "rows", shape)
    if not h > 0:
        return rows
    images = rows.reshape(len(rows), *shape)  # (N, h, w, c)
    from skimage.restoration import denoise_nl_means  # here: only photographs' runs pay for importing it

    channels = {"channel_axis": -1} if shape[2] > 1 else {}
    out = np.empty(images.shape if shape[2] > 1 else images.shape[:3], np.float32)
    for i, image in enumerate(images if shape[2] > 1 else images[..., 0]):
        out[i] = denoise_nl_means(
            image, h=h, sigma=sigma, patch_size=NL_MEANS_PATCH, patch_distance=NL_MEANS_DISTANCE, fast_mode=True,
            **channels,
        )  # fmt: skip
    return out.reshape(rows.shape)


def noise_size(noisy: np.ndarray, clean: np.ndarray) -> float:
    """The RMS of ``noisy`` − ``clean``: σ for Gaussian noise, what any other noise amounts to in the same units."""
    return float(np.sqrt(mse(noisy, clean)))


def _filtered_mse(apply: Callable, width, noisy: np.ndarray, clean: np.ndarray, shape) -> float:
    """MSE against ``clean`` of the filtered ``noisy`` rows, a chunk of rows at a time: memory stays flat."""
    total = 0.0
    for start in range(0, len(noisy), CHUNK_ROWS):
        rows = slice(start, start + CHUNK_ROWS)
        total += mse(apply(noisy[rows], width, shape), clean[rows]) * clean[rows].size
    return total / clean.size


def _choose(apply: Callable, widths, noisy_train, clean_train, image_shape, caller: str):
    shape = _image_shape(image_shape, caller)
    noisy, clean = _pair(noisy_train, clean_train, "training", shape)
    noisy, clean = noisy[:CHOICE_ROWS], clean[:CHOICE_ROWS]
    scores = [_filtered_mse(apply, width, noisy, clean, shape) for width in widths]
    return widths[int(np.argmin(scores))]  # argmin takes the first of equal scores: the smallest width


def fit_blur(noisy_train: np.ndarray, clean_train: np.ndarray, image_shape) -> float:
    """The sigma of ``BLUR_SIGMAS`` whose blur of the noisy training rows comes closest to the clean ones."""
    return float(_choose(blur, BLUR_SIGMAS, noisy_train, clean_train, image_shape, "fit_blur"))


def fit_median(noisy_train: np.ndarray, clean_train: np.ndarray, image_shape) -> int:
    """The size of ``MEDIAN_SIZES`` whose median of the noisy training rows comes closest to the clean ones."""
    return int(_choose(median, MEDIAN_SIZES, noisy_train, clean_train, image_shape, "fit_median"))


def fit_nl_means(noisy_train: np.ndarray, clean_train: np.ndarray, image_shape) -> tuple[float, float]:
    """(h, sigma): the noise's size on the first training rows (``NL_MEANS_CHOICE``), and the strength among
    ``NL_MEANS_H`` times it whose non-local means of those noisy rows comes closest to the clean ones."""
    shape = _image_shape(image_shape, "fit_nl_means")
    noisy, clean = _pair(noisy_train, clean_train, "training", shape)
    rows = nl_means_rows(NL_MEANS_CHOICE, noisy.shape[1])
    noisy, clean = noisy[:rows], clean[:rows]
    sigma = noise_size(noisy, clean)
    strengths = tuple(factor * sigma for factor in NL_MEANS_H)
    return float(
        _choose(functools.partial(nl_means, sigma=sigma), strengths, noisy, clean, shape, "fit_nl_means")
    ), sigma


def classic_baselines(
    noisy_train: np.ndarray,
    clean_train: np.ndarray,
    noisy_test: np.ndarray,
    clean_test: np.ndarray,
    image_shape,
    *,
    with_nl_means: bool = False,
) -> list[ClassicBaseline]:
    """The blur and the median (and non-local means, ``with_nl_means``), each with its width chosen on the training
    rows, scored on the noisy test inputs the model is scored on (non-local means on the first
    test rows that ``NL_MEANS_TEST`` allows)."""
    shape = _image_shape(image_shape, "classic_baselines")
    noisy_train, clean_train = _pair(noisy_train, clean_train, "training", shape)
    noisy_test, clean_test = _pair(noisy_test, clean_test, "test", shape)
    sigma = fit_blur(noisy_train, clean_train, shape)
    size = fit_median(noisy_train, clean_train, shape)
    baselines = [
        ClassicBaseline("gaussian_blur", sigma, _filtered_mse(blur, sigma, noisy_test, clean_test, shape)),
        ClassicBaseline("median", size, _filtered_mse(median, size, noisy_test, clean_test, shape)),
    ]
    if with_nl_means:
        h, noise = fit_nl_means(noisy_train, clean_train, shape)
        rows = slice(0, nl_means_rows(NL_MEANS_TEST, noisy_test.shape[1]))
        apply = functools.partial(nl_means, sigma=noise)
        baselines.append(
            ClassicBaseline("nl_means", h, _filtered_mse(apply, h, noisy_test[rows], clean_test[rows], shape))
        )
    return baselines
