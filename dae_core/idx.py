"""The IDX files of MNIST and Fashion-MNIST (gzipped or not): a reader that checks every header against the bytes
present before it allocates, the four files of a set as [0,1] rows, and a seeded stratified subset of rows.

Nothing here downloads anything; the files are read from ``<data_dir>/datasets/<name>``, put there by hand or by
``python -m dae_core datasets fetch <name>``, which takes its mirrors and checksums from the tables here.
"""

from __future__ import annotations

import io
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError

IDX_SETS = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}  # name -> how a message writes it
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
N_CLASSES = 10  # both sets: digits 0-9, or ten kinds of clothing
IDX_SHAPES = {  # stem -> the array its file holds in both sets; an uncompressed file is this plus its header
    "train-images-idx3-ubyte": (60_000, 28, 28),
    "train-labels-idx1-ubyte": (60_000,),
    "t10k-images-idx3-ubyte": (10_000, 28, 28),
    "t10k-labels-idx1-ubyte": (10_000,),
}

# Where each set's four gzipped files are published, tried in order: ``<mirror><stem>.gz``. MNIST: PyTorch's mirror
# first (Yann LeCun's own site has been refusing or failing downloads), then the original. Fashion-MNIST: Zalando
# Research's download site, then the copy in its GitHub repository (data/fashion/).
IDX_MIRRORS = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
}
# The MD5 of each published file, as torchvision lists them (torchvision/datasets/mnist.py: MNIST.resources and
# FashionMNIST.resources); Fashion-MNIST's README publishes the same four.
IDX_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}
DATA_DIR_VARIABLE = "DAE_DATA_DIR"  # the app's data folder; ~/.dae-lab without it

# One IDX file is read whole into memory; MNIST's largest holds 47,040,000 bytes of pixels.
MAX_IDX_BYTES = 256 * 2**20
UNSIGNED_BYTE = 0x08  # the one type code MNIST and Fashion-MNIST use
TYPE_NAMES = {
    0x08: "unsigned bytes",
    0x09: "signed bytes",
    0x0B: "16-bit integers",
    0x0C: "32-bit integers",
    0x0D: "32-bit floats",
    0x0E: "64-bit floats",
}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 2**16  # compressed bytes read at a time


@dataclass(frozen=True)
class IdxSet:
    """MNIST or Fashion-MNIST as rows: pixels float32 in [0, 1], labels int64 in 0..9."""

    name: str  # "mnist" or "fashion-mnist"
    X_train: np.ndarray  # (60_000, 784) for both sets
    y_train: np.ndarray  # (60_000,)
    X_test: np.ndarray  # (10_000, 784)
    y_test: np.ndarray  # (10_000,)
    image_shape: tuple[int, int, int]  # (height, width, channels): (28, 28, 1)


class _Inflater:
    """A gzip stream read like a file, inflating only as many bytes as asked for: a small header in front of a
    gzip bomb costs the bytes it declares, not the gigabytes behind it. Concatenated gzip members are one stream."""

    def __init__(self, raw):
        self._raw = raw
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)  # 16: expect a gzip header and trailer
        self._pending = b""  # compressed bytes read but not yet inflated
        self._exhausted = False  # the compressed input has no more bytes

    def _more_input(self) -> bool:
        if not self._exhausted:
            self._pending = self._raw.read(_CHUNK)
            self._exhausted = not self._pending
        return bool(self._pending)

    def read(self, size: int) -> bytearray:
        out = bytearray()
        while len(out) < size:
            if self._inflate.eof:  # a member ended: another may follow
                self._pending = self._inflate.unused_data
                if not self._pending and not self._more_input():
                    break
                self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif not self._pending and not self._more_input():
                out += self._inflate.decompress(b"", size - len(out))  # output zlib may still hold
                break
            out += self._inflate.decompress(self._pending, size - len(out))
            self._pending = self._inflate.unconsumed_tail
        return out

    @property
    def ended(self) -> bool:
        """True once the last member's end (its checksum) has been read."""
        return self._inflate.eof


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


def _what(dims: tuple[int, ...]) -> str:
    """The array a header declares, in words: '60,000 images of 28×28', '10,000 labels', 'an array of 2×3'."""
    if len(dims) == 3:
        return f"{_count(dims[0], 'image')} of {dims[1]:,}×{dims[2]:,}"
    if len(dims) == 1:
        return _count(dims[0], "label")
    return "an array of " + "×".join(f"{d:,}" for d in dims)


def _open(source, label: str | None):
    """(binary stream, its size in bytes, the name messages use) for a path or bytes."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise DataError(f"IDX file '{path}' does not exist. Check the path and try again.")
        return path.open("rb"), path.stat().st_size, label or path.name
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(source), memoryview(source).nbytes, label or "The IDX data"
    raise DataError(f"An IDX source is a path or bytes, not {type(source).__name__}.")


def read_idx(source, name: str | None = None) -> np.ndarray:
    """The uint8 array in an IDX file. ``source``: a path, or the file's bytes (gzipped or not; gzip is recognised
    by its magic 1f 8b); ``name``: what messages call it (a path's file name by default).

    The header is two zero bytes, a type code (0x08, unsigned bytes, the only one read here), the number of
    dimensions, then each dimension as a big-endian uint32. The size the header declares must match the bytes
    present exactly, and is checked before the array is allocated (a gzipped file is inflated no further than
    that size plus one byte)."""
    return _read(source, name, "Download it again.")


def _read(source, name: str | None, remedy: str) -> np.ndarray:
    raw, size, label = _open(source, name)
    with raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        stream = _Inflater(raw) if gzipped else raw
        try:
            return _parse(stream, None if gzipped else size, label, remedy)
        except zlib.error as exc:
            raise DataError(f"{label} is not a valid gzip file ({exc}). {remedy}") from None


def _parse(stream, size: int | None, label: str, remedy: str) -> np.ndarray:
    """The array behind an IDX header; ``size``: the stream's length in bytes, None when it is inflated."""
    opening = bytes(stream.read(4))
    if len(opening) < 4:
        raise DataError(
            f"{label} is not an IDX file: it holds {len(opening)} bytes, fewer than the 4 that open an IDX header. "
            f"{remedy}"
        )
    if opening[:2] != b"\x00\x00":
        raise DataError(
            f"{label} is not an IDX file: it starts with the bytes {opening[:2].hex(' ')}, not 00 00 (an IDX file) "
            f"or 1f 8b (a gzipped one). {remedy}"
        )
    code, ndim = opening[2], opening[3]
    if code != UNSIGNED_BYTE:
        kind = TYPE_NAMES.get(code, "not a type IDX defines")
        raise DataError(
            f"{label} holds IDX type code 0x{code:02x} ({kind}); this reader takes only 0x08 (unsigned bytes), "
            f"the type of MNIST and Fashion-MNIST. {remedy}"
        )
    if ndim == 0:
        raise DataError(f"{label} declares an array of 0 dimensions; an IDX array has at least 1. {remedy}")
    sizes = bytes(stream.read(4 * ndim))
    if len(sizes) < 4 * ndim:
        raise DataError(
            f"{label} is truncated: its header declares {ndim} dimensions ({4 * ndim} bytes of sizes) but only "
            f"{len(sizes)} bytes follow. {remedy}"
        )
    dims = tuple(int(d) for d in np.frombuffer(sizes, ">u4"))
    declared = math.prod(dims)  # Python ints: 4,294,967,295³ does not overflow
    what = f"{_what(dims)} ({declared:,} bytes)"
    if declared > MAX_IDX_BYTES:
        raise DataError(
            f"{label} declares {what}, more than the {MAX_IDX_BYTES // 2**20} MB this app reads from one IDX file. "
            f"{remedy}"
        )
    if size is not None:  # not compressed: its size tells, before anything is allocated
        present = size - 4 - 4 * ndim
        if present == declared:
            data = bytearray(declared)
            present = stream.readinto(data)  # fewer only if the file shrank since its size was read
    else:
        data = stream.read(declared + 1)  # one byte more than declared tells that there is more
        present = len(data)
        if present == declared and not stream.ended:
            raise DataError(f"{label} is truncated: its gzip stream stops before its end. {remedy}")
    if present < declared:
        raise DataError(f"{label} is truncated: its header declares {what} but it holds {present:,} bytes. {remedy}")
    if present > declared:
        holds = f"{present:,} bytes" if size is not None else f"more than {declared:,} bytes"
        raise DataError(f"{label} does not match its header: the header declares {what} but it holds {holds}. {remedy}")
    return np.frombuffer(data, np.uint8).reshape(dims)


def data_dir(environ=None) -> Path:
    """The app's data folder: ``$DAE_DATA_DIR``, else ``~/.dae-lab`` (the workspace store reads the same rule)."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(DATA_DIR_VARIABLE, "").strip() or Path.home() / ".dae-lab")


def idx_file_size(stem: str) -> int:
    """The size in bytes of the uncompressed file ``stem`` of MNIST or Fashion-MNIST: its header, then its bytes."""
    dims = IDX_SHAPES[stem]
    return 4 + 4 * len(dims) + math.prod(dims)


def idx_folder(data_dir, name: str) -> Path:
    """Where the files of the IDX set ``name`` live: ``<data_dir>/datasets/<name>``."""
    return Path(data_dir) / "datasets" / name


def _find(folder: Path, stem: str) -> Path | None:
    """The file of ``stem`` in ``folder``: the uncompressed one when both are there (it reads faster)."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def load_idx_set(folder, name: str) -> IdxSet:
    """The IDX set ``name`` ("mnist" or "fashion-mnist") from its four files in ``folder``, each gzipped or not:
    images as float32 rows in [0, 1], labels as int64."""
    if name not in IDX_SETS:
        raise DataError(f"Unknown IDX dataset {name!r}; use {' or '.join(map(repr, IDX_SETS))}.")
    title, folder = IDX_SETS[name], Path(folder)
    fetch = f"python -m dae_core datasets fetch {name}"
    paths = {stem: _find(folder, stem) for stem in IDX_FILES}
    missing = [f"{stem}.gz" for stem, path in paths.items() if path is None]
    if missing:
        raise DataError(
            f"{title} is not in {folder}: missing {', '.join(missing)}. Put the four files there (gzipped or not), "
            f"or run: {fetch}"
        )
    remedy = f"Download it again ({fetch})."
    arrays = {stem: _read(path, None, remedy) for stem, path in paths.items()}
    for images_stem, labels_stem in (IDX_FILES[:2], IDX_FILES[2:]):
        _check_pair(paths[images_stem].name, arrays[images_stem], paths[labels_stem].name, arrays[labels_stem], fetch)
    train, test = arrays[IDX_FILES[0]], arrays[IDX_FILES[2]]
    if train.shape[1:] != test.shape[1:]:
        raise DataError(
            f"{paths[IDX_FILES[2]].name} holds images of {test.shape[1]}×{test.shape[2]} but "
            f"{paths[IDX_FILES[0]].name} holds images of {train.shape[1]}×{train.shape[2]}; the two must match. "
            f"Download both again ({fetch})."
        )
    height, width = train.shape[1:]
    return IdxSet(
        name=name,
        X_train=_rows(train),
        y_train=arrays[IDX_FILES[1]].astype(np.int64),
        X_test=_rows(test),
        y_test=arrays[IDX_FILES[3]].astype(np.int64),
        image_shape=(height, width, 1),
    )


def _check_pair(images_file: str, images: np.ndarray, labels_file: str, labels: np.ndarray, fetch: str) -> None:
    """Images (n, h, w) and labels (n,) in 0..9, one label per image."""
    if images.ndim != 3:
        raise DataError(
            f"{images_file} holds {_what(images.shape)}, not images: an image file is 3-D (count, height, width). "
            f"Download it again ({fetch})."
        )
    if labels.ndim != 1:
        raise DataError(
            f"{labels_file} holds {_what(labels.shape)}, not labels: a label file is 1-D (count). "
            f"Download it again ({fetch})."
        )
    if len(images) != len(labels):
        raise DataError(
            f"{images_file} holds {_count(len(images), 'image')} but {labels_file} holds "
            f"{_what(labels.shape)}; there must be one label per image. Download both again ({fetch})."
        )
    if len(images) == 0:
        raise DataError(f"{images_file} holds no images. Download it again ({fetch}).")
    outside = np.flatnonzero(labels >= N_CLASSES)  # (k,) rows; uint8 labels are never below 0
    if outside.size:
        first = int(outside[0])
        raise DataError(
            f"{labels_file} holds {_count(outside.size, 'label')} outside 0..9 (the first, "
            f"{labels[first]}, at row {first:,}). Download it again ({fetch})."
        )


def _rows(images: np.ndarray) -> np.ndarray:
    """(n, h, w) uint8 pixels to (n, h*w) float32 in [0, 1]."""
    rows = images.reshape(len(images), -1).astype(np.float32)
    rows /= 255
    return rows


def stratified_subset(y, n: int, seed: int) -> np.ndarray:
    """The sorted indices of ``n`` rows of ``y`` picked at random (seeded), each class in proportion: its share of
    ``n`` rounded by largest remainder, so the counts add up to exactly ``n`` and each is within 1 of its share."""
    y = np.asarray(y)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(y):
        raise DataError(f"A subset of {n!r} rows cannot be taken from {len(y):,}; ask for 1 to {len(y):,} rows.")
    _classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    shares = counts * int(n) / len(y)  # (C,), what each class would get exactly
    quotas = np.floor(shares).astype(np.int64)
    by_remainder = np.argsort(-(shares - quotas), kind="stable")  # ties go to the class that sorts first
    quotas[by_remainder[: int(n) - int(quotas.sum())]] += 1  # never past a class's count: its share is at most that
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(inverse == c), quota, replace=False) for c, quota in enumerate(quotas)]
    return np.sort(np.concatenate(picked))
