"""Datasets, the seeded train/test split and the scaler (always fitted on the training rows only).

Nothing here downloads anything: every dataset is generated or ships with scikit-learn, or is files the user
supplies: a table, pictures, or MNIST-format files in the data folder (``python -m dae_core datasets fetch``).
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np

from .config import PHOTOS, DataConfig
from .errors import DataError
from .metrics import PCABaseline
from .sampling import make_classification, split_indices

T = TypeVar("T")


class TableLimits(Protocol):
    """What a table's size is checked against (``dae_core.serving.limits.Limits``; the engine needs only this)."""

    def check_table(self, columns: int, rows: int, labelled: bool | None = None) -> None: ...


MAX_CSV_BYTES = 50 * 1024 * 1024
MAX_CSV_MAGNITUDE = 1e30  # larger values overflow the scaler's float64 sums of squares and the model's float32
MIN_CSV_ROWS = 10


@dataclass
class Scaler:
    """Standardization (per column) or a [0,1] range (one global min/max, so images keep contrast)."""

    kind: str  # "standard" or "range"
    offset_: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # (D,)
    scale_: np.ndarray = field(default_factory=lambda: np.ones(0, np.float32))  # (D,), never 0

    def fit(self, X: np.ndarray) -> Scaler:
        X = np.asarray(X, dtype=np.float64)
        if self.kind == "standard":
            offset = X.mean(axis=0)
            chunks = range(0, len(X), 4096)  # the deviations a chunk at a time: no temporary copy of X
            scale = np.sqrt(sum(((X[i : i + 4096] - offset) ** 2).sum(axis=0) for i in chunks) / len(X))
        elif self.kind == "range":
            low, high = X.min(), X.max()
            offset, scale = np.full(X.shape[1], low), np.full(X.shape[1], high - low)
        else:
            raise DataError(f"Unknown scaler kind {self.kind!r}; use 'standard' or 'range'.")
        # A constant column carries no information; scaling it by 1 keeps it at 0 instead of NaN.
        scale = np.where(scale > 1e-12, scale, 1.0)
        self.offset_, self.scale_ = offset.astype(np.float32), scale.astype(np.float32)
        return self

    @property
    def bounded(self) -> bool:
        """True when scaled data lives in [0, 1] (images), so noisy inputs may be clipped there."""
        return self.kind == "range"

    def transform(self, X: np.ndarray) -> np.ndarray:
        """(N, D) raw rows to scaled float32 rows, in one new array (the arithmetic happens in place)."""
        Z = np.array(X, dtype=np.float32)  # a copy, even of float32 input
        Z -= self.offset_
        Z /= self.scale_
        return np.clip(Z, 0.0, 1.0, out=Z) if self.bounded else Z

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        return np.asarray(Z, dtype=np.float32) * self.scale_ + self.offset_

    def to_dict(self) -> dict:
        return {"kind": self.kind, "offset": self.offset_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Scaler:
        scaler = cls(kind=str(data["kind"]))
        scaler.offset_ = np.asarray(data["offset"], dtype=np.float32)
        scaler.scale_ = np.asarray(data["scale"], dtype=np.float32)
        if scaler.offset_.shape != scaler.scale_.shape or scaler.offset_.ndim != 1:
            raise DataError("The scaler's offset and scale must be two lists of the same length.")
        return scaler


@dataclass
class Dataset:
    """A split, scaled dataset. Arrays are float32 in the scaled space; ``*_raw`` keep original units."""

    name: str
    X_train: np.ndarray  # (N_train, D)
    X_test: np.ndarray  # (N_test, D)
    y_train: np.ndarray | None  # (N_train,) labels for colouring and the probe, if any
    y_test: np.ndarray | None
    scaler: Scaler
    feature_names: list[str]
    image_shape: tuple[int, int, int] | None = None  # (height, width, channels): (8, 8, 1) for digits
    class_names: tuple[str, ...] = ()  # what each label means, where the data names them (picture folders)
    _baselines: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def bounded(self) -> bool:
        return self.scaler.bounded

    @property
    def ink(self) -> bool:
        """Whether its images are ink on paper (digits: 1 is dark) rather than light (photos: 1 is bright)."""
        return self.name == "digits"

    def baseline(self, key, fit: Callable[[], T]) -> T:
        """A baseline fitted once per dataset: ``fit()`` the first time ``key`` is asked for, the same object after,
        so every noise level, live change and sweep member built on this dataset scores it with the same fit."""
        if key not in self._baselines:
            self._baselines[key] = fit()
        return self._baselines[key]

    def pca(self, components: int) -> PCABaseline:
        """PCA-``components`` fitted on the clean training rows, once per dataset and size."""
        return self.baseline(("pca", components), lambda: PCABaseline(components).fit(self.X_train))

    @property
    def low(self) -> np.ndarray:
        """Per-column low end in scaled space (salt-and-pepper's 'pepper')."""
        return np.zeros(self.n_features, np.float32) if self.bounded else self.X_train.min(axis=0)

    @property
    def high(self) -> np.ndarray:
        return np.ones(self.n_features, np.float32) if self.bounded else self.X_train.max(axis=0)


def _spiral(n_samples: int, noise: float, rng: np.random.Generator):
    """Two interleaved arms of an Archimedean spiral in 2-D, labelled by arm."""
    t = np.sqrt(rng.uniform(0.05, 1.0, n_samples)) * 3 * np.pi  # (N,), denser near the centre
    arm = rng.integers(0, 2, n_samples)
    angle = t + np.pi * arm
    X = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) / (3 * np.pi)
    return X + rng.normal(scale=noise, size=X.shape), arm


LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights of R, G, B in grayscale
PHOTO_PEAK = 255.0  # the photographs' raw pixel range is [0, 255]: the units of the ``photos`` patches


@functools.cache
def _grayscale_photos() -> tuple[np.ndarray, ...]:
    """The sample photographs as float32 grayscale in [0, 255], each (427, 640); read once per process."""
    from sklearn.datasets import load_sample_images

    images = load_sample_images().images  # two (427, 640, 3) uint8 arrays
    grays = tuple(np.asarray(image, np.float32) @ np.asarray(LUMA, np.float32) for image in images)
    for gray in grays:
        gray.flags.writeable = False  # shared by every load: a caller's change would reach the next one
    return grays


def sample_photo(name: str) -> np.ndarray:
    """One of scikit-learn's sample photographs (``PHOTOS``) in grayscale, (427, 640) float32 in [0, 1]: the picture
    the ``photos`` patches are cut from, divided by its peak value 255."""
    if name not in PHOTOS:
        raise DataError(f"The 'photo' parameter must be one of {', '.join(map(repr, PHOTOS))}. Got {name!r} instead.")
    return _grayscale_photos()[PHOTOS.index(name)] / np.float32(PHOTO_PEAK)


def _photo_patches(n_samples: int, patch_size: int, rng: np.random.Generator):
    """``n_samples`` square grayscale patches at random places, half from each photograph (the odd one from a seeded
    pick), labelled by photograph: (N, patch_size²) rows and (N,) labels."""
    photos = _grayscale_photos()
    label = np.repeat(np.arange(len(photos)), n_samples // len(photos))  # (N - N % 2,)
    label = np.concatenate([label, rng.integers(0, len(photos), n_samples - len(label))])
    rng.shuffle(label)
    rows = np.empty((n_samples, patch_size * patch_size), np.float32)
    for index, photo in enumerate(photos):
        taken = np.flatnonzero(label == index)
        top = rng.integers(0, photo.shape[0] - patch_size + 1, len(taken))
        left = rng.integers(0, photo.shape[1] - patch_size + 1, len(taken))
        windows = np.lib.stride_tricks.sliding_window_view(photo, (patch_size, patch_size))  # a view: no copy
        rows[taken] = windows[top, left].reshape(len(taken), -1)  # (n, patch_size²), row by row
    return rows, label


def _generate(cfg: DataConfig):
    """Raw (X, y, feature_names, image_shape) for the built-in datasets."""
    if cfg.dataset == "synthetic":  # the seed tutorial's data, drawn as scikit-learn draws it
        redundant = min(2, cfg.n_features - cfg.n_informative)
        X, y = make_classification(cfg.n_samples, cfg.n_features, cfg.n_informative, redundant, cfg.class_sep,
                                   cfg.data_seed)  # fmt: skip
        return X, y, [f"x{i}" for i in range(cfg.n_features)], None
    from sklearn import datasets

    if cfg.dataset == "digits":
        bunch = datasets.load_digits()
        return bunch.data, bunch.target, [f"px{r}{c}" for r in range(8) for c in range(8)], (8, 8, 1)
    if cfg.dataset == "photos":
        X, y = _photo_patches(cfg.n_samples, cfg.patch_size, np.random.default_rng(cfg.data_seed))
        size = cfg.patch_size
        return X, y, [f"px{r}_{c}" for r in range(size) for c in range(size)], (size, size, 1)
    if cfg.dataset == "moons":
        X, y = datasets.make_moons(cfg.n_samples, noise=cfg.manifold_noise, random_state=cfg.data_seed)
    elif cfg.dataset == "circles":
        X, y = datasets.make_circles(cfg.n_samples, noise=cfg.manifold_noise, factor=0.5, random_state=cfg.data_seed)
    elif cfg.dataset == "spiral":
        X, y = _spiral(cfg.n_samples, cfg.manifold_noise, np.random.default_rng(cfg.data_seed))
    else:
        raise DataError(f"Dataset {cfg.dataset!r} is not generated; pass a CSV table for 'csv'.")
    return X, y, ["x", "y"], None


@dataclass(frozen=True)
class TableSize:
    """A CSV table's size, counted from its bytes before any parse (:func:`csv_size`)."""

    columns: int  # fields of the header, its first line that is not blank
    rows: int  # lines after the header that are not blank; a newline inside a quoted field does not end a row


_CHUNK = 2**16  # bytes looked at a time: each temporary array is 64 KB at most (larger chunks are no faster)
_QUOTE, _COMMA, _NEWLINE, _RETURN = ord('"'), ord(","), ord("\n"), ord("\r")


def csv_size(data: bytes | bytearray | memoryview) -> TableSize:
    """The columns and rows of the CSV table in ``data``, counted without parsing it: one pass over the bytes in
    numpy, a chunk at a time, so it takes under 1 MB beyond them whatever the table holds, and a table past a size
    limit is refused before pandas spends a minute and a gigabyte on its 360,000 columns. A comma or newline inside a
    quoted field (a name or a cell) splits nothing; blank lines are no rows, as in pandas; a line may end in LF, CRLF
    or a lone CR. A quote in the middle of an unquoted field opens nothing for pandas: a table holding one is counted
    again with every quote ignored, which can only count more, so a hostile table is never counted small."""
    array = np.frombuffer(data, np.uint8)  # (N,), sharing the buffer's memory: no copy of the upload
    return _count(array, quotes=True) or _count(array, quotes=False)


def _count(array: np.ndarray, quotes: bool) -> TableSize | None:
    """``csv_size``'s pass; with ``quotes``, None as soon as a quote opens in the middle of a field."""
    lines, commas, inside, after_newline, in_header, header_started = 0, 0, 0, True, True, False
    before = _NEWLINE  # the byte before the chunk: a field starts at the very beginning
    for start in range(0, len(array), _CHUNK):
        chunk = array[start : start + _CHUNK]
        after = array[start + _CHUNK] if start + _CHUNK < len(array) else _NEWLINE
        if quotes:
            quote = chunk == _QUOTE
            quoted = np.cumsum(quote, dtype=np.uint8)  # quotes so far (mod 256: only their parity counts)
            quoted += inside
            quoted &= 1  # 1 inside a quoted field (its opening quote included)
            previous = np.concatenate(([before], chunk[:-1]))
            opening = quote & (quoted == 1) & (np.concatenate(([inside], quoted[:-1])) == 0)
            field_start = (previous == _COMMA) | (previous == _NEWLINE) | (previous == _RETURN)
            if (opening & ~field_start & (previous != _QUOTE)).any():  # after a quote: an escaped quote ("")
                return None
            inside = int(quoted[-1])
            outside = quoted == 0
        else:
            outside = np.ones(len(chunk), bool)
        lone_return = (chunk == _RETURN) & (np.concatenate((chunk[1:], [after])) != _NEWLINE)
        newline = ((chunk == _NEWLINE) | lone_return) & outside  # (C,), the ends of lines
        solid = (chunk != _NEWLINE) & (chunk != ord(" ")) & (chunk != ord("\t")) & (chunk != _RETURN)
        kinds = newline[newline | solid]  # in order: True where a line ends, False where it holds something
        if kinds.size:
            lines += int(np.count_nonzero(kinds[1:] < kinds[:-1])) + (after_newline and not kinds[0])
            after_newline = bool(kinds[-1])
        if in_header:  # the header is the first line that is not blank: its commas outside quotes
            started = np.logical_or.accumulate(solid) if not header_started else np.ones_like(solid)
            ends = newline & started
            stop = int(np.argmax(ends)) if ends.any() else len(chunk)
            commas += int(np.count_nonzero((chunk[:stop] == _COMMA) & outside[:stop]))
            header_started, in_header = header_started or bool(solid.any()), stop == len(chunk)
        before = int(chunk[-1])
    return TableSize(commas + 1 if lines else 0, max(lines - 1, 0))


def csv_columns(source, limits: TableLimits | None = None) -> list[str]:
    """The column names of a user's table (its header only), with the messages of :func:`read_csv`; ``limits``:
    refuse a table past their column or row limit first, from its counts (:func:`csv_size`)."""
    return [str(c) for c in _parse_csv(source, header_only=True, limits=limits).columns]


def _parse_csv(source, header_only: bool = False, limits: TableLimits | None = None, labelled: bool | None = None):
    """The table in ``source`` (a path, bytes, a memoryview or a file object) as a DataFrame; one message per way it
    can fail. ``limits``: a table past their size limits is refused before it is parsed (``labelled``: whether one
    column is the label, see ``Limits.check_table``)."""
    import pandas as pd

    if isinstance(source, (str, os.PathLike)):
        if not os.path.isfile(source):
            raise DataError(f"CSV file '{source}' does not exist. Check the path and try again.")
        if os.path.getsize(source) > MAX_CSV_BYTES:
            raise DataError(f"CSV file '{source}' is larger than {MAX_CSV_BYTES // 2**20} MB. Use a sample of it.")
        if limits is not None:  # counted first, so read here once
            with open(source, "rb") as handle:
                source = handle.read()
    elif hasattr(source, "read") and limits is not None:
        source = source.read(MAX_CSV_BYTES + 1)
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) > MAX_CSV_BYTES:
            raise DataError(f"The CSV upload is larger than {MAX_CSV_BYTES // 2**20} MB. Use a sample of it.")
        if limits is not None:
            size = csv_size(source)
            limits.check_table(size.columns, size.rows, labelled)
        source = io.BytesIO(source)
    try:
        return pd.read_csv(source, nrows=0 if header_only else None)
    except UnicodeDecodeError:
        raise DataError("The CSV file is not UTF-8 text. Save it as UTF-8 CSV and upload it again.") from None
    except pd.errors.EmptyDataError:
        raise DataError(
            f"The CSV file is empty. Upload a table with a header row and at least {MIN_CSV_ROWS} rows of numbers."
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "no columns"
        raise DataError(f"The CSV file could not be parsed ({first}). Check that it is comma-separated.") from None


def read_csv(source, label_column: str = "", limits: TableLimits | None = None):
    """Parse a user's table into (X, y, feature_names). ``source`` is a path, bytes or a file object; ``limits``: a
    table past their column or row limit is refused before it is parsed.

    Every problem says which column or rows are wrong and how to fix the table.
    """
    import pandas as pd

    frame = _parse_csv(source, limits=limits, labelled=bool(label_column))
    if frame.shape[0] == 0:
        names = ", ".join(f"'{c}'" for c in frame.columns[:5]) + (", ..." if frame.shape[1] > 5 else "")
        raise DataError(
            f"The CSV has a header ({names}) but no rows. Add at least {MIN_CSV_ROWS} rows of numbers and upload again."
        )

    y = None
    if label_column:
        if label_column not in frame.columns:
            names = ", ".join(map(str, frame.columns[:12]))
            raise DataError(f"Label column '{label_column}' is not in the CSV. Its columns are: {names}.")
        y = frame.pop(label_column).to_numpy()

    text_columns = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text_columns:
        shown = ", ".join(f"'{c}'" for c in text_columns[:5])
        raise DataError(
            f"Column(s) {shown} are not numeric. Remove them from the table, or name one as the label column "
            "(--label-column on the command line, Label column in the app)."
        )
    for column in frame.columns:
        empty = np.flatnonzero(frame[column].isna().to_numpy())
        if empty.size:
            rows = ", ".join(str(r + 2) for r in empty[:5]) + (", ..." if empty.size > 5 else "")
            raise DataError(
                f"Column '{column}' has {empty.size} empty cells (rows {rows}). Fill or drop them and upload again."
            )
    if frame.shape[1] < 2:
        raise DataError(f"The CSV has {frame.shape[1]} numeric feature column(s); a DAE needs at least 2.")
    if frame.shape[0] < MIN_CSV_ROWS:
        raise DataError(f"The CSV has {frame.shape[0]} rows; at least {MIN_CSV_ROWS} are needed to train and test.")
    X = frame.to_numpy(dtype=np.float64)
    if not np.isfinite(X).all():
        raise DataError("The CSV holds infinite values. Replace them with finite numbers and upload again.")
    largest = np.abs(X).max(axis=0)
    if (largest > MAX_CSV_MAGNITUDE).any():
        column = int(np.argmax(largest > MAX_CSV_MAGNITUDE))
        raise DataError(
            f"Column '{frame.columns[column]}' holds values as large as {largest[column]:.3g}; this app takes values "
            f"up to {MAX_CSV_MAGNITUDE:.0e} in size (their mean and spread would overflow). Rescale the column, "
            "for example by dividing it by a power of ten, and upload again."
        )
    return X, y, [str(c) for c in frame.columns]


def _pixel_names(image_shape: tuple[int, int, int]) -> list[str]:
    h, w, c = image_shape
    if c == 1:
        return [f"px{r}_{col}" for r in range(h) for col in range(w)]
    return [f"px{r}_{col}_{'rgb'[k] if c == 3 else k}" for r in range(h) for col in range(w) for k in range(c)]


def _idx_dataset(cfg: DataConfig) -> Dataset:
    """MNIST or Fashion-MNIST from the data folder, with their published split: ``n_samples`` rows in all, a seeded
    stratified ``test_fraction`` of them from the test files and the rest from the training files (as many as the
    files hold, at most)."""
    from .idx import data_dir, idx_folder, load_idx_set, stratified_subset

    full = load_idx_set(idx_folder(data_dir(), cfg.dataset), cfg.dataset)
    n_test = min(max(round(cfg.n_samples * cfg.test_fraction), 1), len(full.y_test))
    n_train = min(cfg.n_samples - n_test, len(full.y_train))
    train = stratified_subset(full.y_train, n_train, cfg.data_seed)
    test = stratified_subset(full.y_test, n_test, cfg.data_seed + 1)
    X_train, X_test = full.X_train[train], full.X_test[test]
    scaler = Scaler("range").fit(X_train)  # pixels in [0, 1] already: one global min and max, as for digits
    return Dataset(cfg.dataset, scaler.transform(X_train), scaler.transform(X_test), full.y_train[train],
                   full.y_test[test], scaler, _pixel_names(full.image_shape), full.image_shape)  # fmt: skip


def load_dataset(cfg: DataConfig, source=None) -> Dataset:
    """Build, split (seeded, ``test_fraction`` held out) and scale the dataset named by ``cfg``. ``source``: the
    bytes of an upload (a CSV table, or a zip of pictures) in place of ``cfg``'s path."""
    class_names: tuple[str, ...] = ()
    if cfg.dataset in ("mnist", "fashion-mnist"):
        return _idx_dataset(cfg)
    if cfg.dataset == "csv":
        source = source if source is not None else cfg.csv_path
        if source is None or (isinstance(source, str) and not source):
            raise DataError("The 'csv' dataset needs a table: pass --csv PATH or upload a file.")
        X, y, names = read_csv(source, cfg.label_column)
        image_shape = None
    elif cfg.dataset == "images":
        from .images import read_images

        source = source if source is not None else cfg.images_path
        if source is None or (isinstance(source, str) and not source):
            raise DataError(
                "The 'images' dataset needs pictures: pass --images PATH (a zip or a folder) or upload a zip."
            )
        pictures = read_images(source, cfg.image_size, cfg.color)
        X, y, image_shape, class_names = pictures.X, pictures.y, pictures.image_shape, tuple(pictures.class_names)
        names = _pixel_names(image_shape)
    else:
        X, y, names, image_shape = _generate(cfg)
        class_names = PHOTOS if cfg.dataset == "photos" else ()  # a patch's label: the photograph it was cut from

    train, test = split_indices(len(X), cfg.test_fraction, cfg.data_seed)  # as scikit-learn's train_test_split
    X_train, X_test = X[train], X[test]
    y_train, y_test = (y[train], y[test]) if y is not None else (None, None)
    del X  # the split holds copies: at 100,000 x 784 the full float64 table is 0.6 GB
    scaler = Scaler("range" if image_shape else "standard").fit(X_train)
    return Dataset(
        name=cfg.dataset,
        X_train=scaler.transform(X_train),
        X_test=scaler.transform(X_test),
        y_train=y_train,
        y_test=y_test,
        scaler=scaler,
        feature_names=names,
        image_shape=image_shape,
        class_names=class_names,
    )
