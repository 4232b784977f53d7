"""A user's own pictures (a zip of PNG and JPEG files, or a folder of them) as rows for a denoising autoencoder:
each picture centre-cropped to a square, resized to size×size, grayscale or colour, scaled to [0, 1].

Labels come from top-level sub-folder names (``cats/a.png``, ``dogs/b.png``). Nothing is extracted to disk: zip
members are read in memory, after the archive's declared entry count, each member's declared size and their total
are checked, and each picture's pixel count is checked from its header before it is decoded.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

import numpy as np

from .errors import ConfigError, DataError

MIN_SIZE, MAX_SIZE = 4, 64  # pixels on a side of the resized pictures
MIN_IMAGES = 10  # enough to split into training and test rows
MAX_IMAGES = 20_000  # picture files in one zip or folder
MAX_IMAGE_PIXELS = 4096 * 4096  # width × height of one picture, checked from its header before it is decoded
MAX_FILE_BYTES = 20 * 2**20  # one picture file
MAX_TOTAL_BYTES = 256 * 2**20  # all picture files together (a zip's declared unpacked sizes)
MAX_ZIP_ENTRIES = 2 * MAX_IMAGES + 1_000  # entries of any kind: a Mac adds a __MACOSX/._name beside each file
ZIP_DIRECTORY_BYTES = 512  # central-directory bytes allowed per allowed entry: names of a few hundred characters
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")
IGNORED_NAMES = frozenset({"__macosx", "thumbs.db", "desktop.ini"})  # system files, compared in lower case
REZIP = "on a Mac: right-click the folder, Compress; on Windows: right-click it, Send to, Compressed (zipped) folder"
_CHUNK = 2**20  # bytes hashed at a time


class TableLimits(Protocol):
    """What the pictures' table size is checked against (``dae_core.serving.limits.Limits``)."""

    def check_table(self, columns: int, rows: int, labelled: bool | None = None) -> None: ...


@dataclass(frozen=True)
class ImageSet:
    """A user's pictures as rows: pixels float32 in [0, 1], labels from sub-folder names when there are two or more."""

    X: np.ndarray  # (N, size*size*channels), each picture flattened in (height, width, channels) order
    y: np.ndarray | None  # (N,) int64 in 0..len(class_names)-1, or None without labels
    class_names: list[str]  # the sub-folder names in label order; [] without labels
    file_names: list[str]  # each row's path inside the zip or folder, sorted
    image_shape: tuple[int, int, int]  # (size, size, channels): 1 for grayscale, 3 for colour


@dataclass(frozen=True)
class _Entry:
    """One picture file: its path inside the zip or folder, its declared size, and how to read its bytes."""

    name: str  # "cats/a.png"
    parts: tuple[str, ...]  # ("cats", "a.png")
    size: int  # bytes (a zip member's declared unpacked size)
    member: zipfile.ZipInfo | None  # None in a folder
    path: Path | None  # None in a zip


def read_images(source, size: int, color: bool, limits: TableLimits | None = None) -> ImageSet:
    """The pictures in ``source`` (a path to a .zip or a folder, or a zip's bytes) as rows of ``size``×``size``
    pixels, grayscale or ``color``. ``limits``: the table of rows is refused past their size before any picture is
    decoded. Every way a source can be wrong is a DataError naming the file and what to do."""
    _check_options(size, color)
    channels = 3 if color else 1
    with _Source(source) as src:
        entries = src.entries()
        class_names, labels = _labels(src.label, entries)
        if limits is not None:  # every column is a pixel: the labels are folder names, not a column
            limits.check_table(size * size * channels, len(entries), labelled=False)
        X = np.empty((len(entries), size * size * channels), np.float32)  # (N, D)
        for row, entry in enumerate(entries):
            X[row] = _picture(entry.name, src.read(entry), size, color).reshape(-1)
    y = None if labels is None else np.asarray(labels, np.int64)  # (N,)
    return ImageSet(X, y, class_names, [e.name for e in entries], (size, size, channels))


def images_digest(source) -> str:
    """The first 12 hex digits of the SHA-256 of a zip's bytes, or of a folder's files (the ones ``read_images``
    does not ignore) as sorted (relative path, bytes) pairs: names the pictures a run trained on."""
    digest = hashlib.sha256()
    if isinstance(source, (bytes, bytearray, memoryview)):
        digest.update(source)
        return digest.hexdigest()[:12]
    path = _existing(source)
    if path.is_dir():
        for name, file in _folder_files(path):
            encoded = name.encode("utf-8", "surrogateescape")
            digest.update(struct.pack("<QQ", len(encoded), file.stat().st_size) + encoded)
            _hash_file(digest, file)
    else:
        _hash_file(digest, path)
    return digest.hexdigest()[:12]


def _hash_file(digest, path: Path) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)


def _check_options(size, color) -> None:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not MIN_SIZE <= size <= MAX_SIZE:
        raise ConfigError(
            f"The picture size must be a whole number of pixels from {MIN_SIZE} to {MAX_SIZE} (each picture is "
            f"resized to size × size). Got {size!r} instead."
        )
    if not isinstance(color, (bool, np.bool_)):
        raise ConfigError(f"'color' must be True (colour pictures) or False (grayscale). Got {color!r} instead.")


def _existing(source) -> Path:
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(
            f"Pictures come from a path (a .zip file or a folder) or a zip's bytes, not {type(source).__name__}."
        )
    path = Path(source)
    if not path.exists():
        raise DataError(
            f"'{path}' does not exist. Check the path: give a .zip of PNG or JPEG pictures, or a folder of them."
        )
    return path


def _cap(label: str) -> str:
    """``label`` to open a sentence."""
    return label[:1].upper() + label[1:]


def _ignored(parts: tuple[str, ...]) -> bool:
    """System files no one means as data: __MACOSX/, hidden names (.DS_Store, ._a.png, .git/), Thumbs.db."""
    return any(part.startswith(".") or part.lower() in IGNORED_NAMES for part in parts)


def _parts(name: str) -> tuple[str, ...]:
    """A member's path as components; some Windows tools write backslashes."""
    return tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))


def _folder_files(folder: Path) -> list[tuple[str, Path]]:
    """(relative posix path, path) of every file under ``folder`` not ignored, sorted by path; stops past the
    entry cap (the caller refuses that many)."""
    found = []
    for root, dirs, files in os.walk(folder, onerror=_unreadable):
        dirs[:] = [d for d in dirs if not _ignored((d,))]
        for file in files:
            path = Path(root) / file
            if not _ignored((file,)) and path.is_file():  # a broken link is no file
                found.append((PurePosixPath(path.relative_to(folder)).as_posix(), path))
        if len(found) > MAX_ZIP_ENTRIES:
            break
    return sorted(found)


def _unreadable(exc: OSError) -> None:
    raise DataError(f"'{exc.filename}' cannot be read ({exc.strerror}). Check its permissions and try again.")


class _Source:
    """A zip (path or bytes) or a folder: its picture entries, checked, and each one's bytes."""

    def __init__(self, source):
        self._archive: zipfile.ZipFile | None = None
        self._stream = None  # the zip's bytes or file, closed on exit (a ZipFile leaves a stream it is given open)
        self._folder: Path | None = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            self.label, stream = "the uploaded file", io.BytesIO(source)
        else:
            path = _existing(source)
            if path.is_dir():
                self.label, self._folder = f"the folder '{path.name}'", path
                return
            self.label, stream = f"'{path.name}'", path.open("rb")
        self._stream = stream
        try:
            self._archive = _open_zip(stream, self.label)
        except BaseException:
            stream.close()
            raise

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *_exc) -> None:
        if self._archive is not None:
            self._archive.close()
        if self._stream is not None:
            self._stream.close()

    def entries(self) -> list[_Entry]:
        """The picture files, sorted by path, after every check that needs no decoding."""
        if self._folder is not None:
            found = [(name, file.stat().st_size, None, file) for name, file in _folder_files(self._folder)]
        else:
            infos = [i for i in self._archive.infolist() if not i.is_dir()]
            found = sorted(((i.filename, i.file_size, i, None) for i in infos), key=lambda f: f[0])
        if len(found) > MAX_ZIP_ENTRIES:
            raise DataError(
                f"{_cap(self.label)} holds more than {MAX_ZIP_ENTRIES:,} files; at most {MAX_IMAGES:,} pictures are "
                "read. Keep fewer and try again."
            )
        entries, others = [], []
        for name, size, member, path in found:
            parts = _parts(name)
            if not parts or _ignored(parts):
                continue
            if PurePosixPath(parts[-1]).suffix.lower() in PICTURE_SUFFIXES:
                entries.append(_Entry("/".join(parts), parts, size, member, path))
            else:
                others.append("/".join(parts))
        if others:
            more = f" (and {len(others) - 1:,} more files that are not pictures)" if len(others) > 1 else ""
            raise DataError(
                f"{others[0]}{more} is not a PNG or JPEG picture: only .png, .jpg and .jpeg files are read. "
                "Remove it, or save it again as PNG, and try again."
            )
        self._check_counts(entries)
        return entries

    def _check_counts(self, entries: list[_Entry]) -> None:
        if len(entries) > MAX_IMAGES:
            raise DataError(
                f"{_cap(self.label)} holds {len(entries):,} pictures, more than the {MAX_IMAGES:,} read at once. "
                "Keep fewer and try again."
            )
        if not entries:
            raise DataError(
                f"{_cap(self.label)} holds no PNG or JPEG pictures. Put your .png or .jpg files in it (one "
                "sub-folder per class for labels) and try again."
            )
        if len(entries) < MIN_IMAGES:
            pictures = f"{len(entries)} picture{'s' if len(entries) != 1 else ''}"
            raise DataError(
                f"{_cap(self.label)} holds {pictures}; at least {MIN_IMAGES} are needed to train and test. Add more "
                "pictures and try again."
            )
        for entry in entries:
            if entry.member is not None and entry.member.flag_bits & 0x1:
                raise DataError(
                    f"{entry.name} is encrypted (password-protected). Zip the pictures again without a password and "
                    "try again."
                )
            if entry.size > MAX_FILE_BYTES:
                raise DataError(
                    f"{entry.name} is {entry.size / 2**20:.1f} MB, more than the {MAX_FILE_BYTES // 2**20} MB read "
                    "from one picture. Shrink it (or save it as JPEG) and try again."
                )
        total = sum(entry.size for entry in entries)
        if total > MAX_TOTAL_BYTES:
            raise DataError(
                f"The pictures in {self.label} add up to {total / 2**20:,.0f} MB, more than the "
                f"{MAX_TOTAL_BYTES // 2**20} MB read at once. Use fewer or smaller pictures and try again."
            )

    def read(self, entry: _Entry) -> bytes:
        """One picture file's bytes, never more than its declared size (a zip member that inflates to more fails its
        checksum)."""
        try:
            if entry.path is not None:
                with entry.path.open("rb") as handle:
                    data = handle.read(MAX_FILE_BYTES + 1)
            else:
                with self._archive.open(entry.member) as handle:
                    data = handle.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
            raise DataError(
                f"{entry.name} cannot be read from {self.label} ({exc}). Zip the folder of pictures again ({REZIP}) "
                "and try again."
            ) from None
        if len(data) > MAX_FILE_BYTES:  # a folder's file grew since it was listed
            raise DataError(
                f"{entry.name} is more than the {MAX_FILE_BYTES // 2**20} MB read from one picture. Shrink it and "
                "try again."
            )
        return data


def _open_zip(stream, label: str) -> zipfile.ZipFile:
    """The zip in ``stream``, refused before ``zipfile`` lists it when its end record declares too many entries or
    too large a central directory (zipfile builds an object per entry)."""
    declared = _declared_entries(stream)
    if declared is not None:
        entries, directory_bytes = declared
        if entries > MAX_ZIP_ENTRIES or directory_bytes > MAX_ZIP_ENTRIES * ZIP_DIRECTORY_BYTES:
            raise DataError(
                f"{_cap(label)} declares {entries:,} entries in a directory of {directory_bytes:,} bytes; at most "
                f"{MAX_IMAGES:,} pictures are read. Zip a folder of fewer pictures and try again."
            )
    try:
        return zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise DataError(
            f"{_cap(label)} is not a zip file ({exc}). Zip the folder of pictures again ({REZIP})."
        ) from None


def _declared_entries(stream) -> tuple[int, int] | None:
    """(entries, central-directory bytes) that the zip's end-of-central-directory record declares: its last 22 bytes
    before any comment, or the ZIP64 record it points to when a field is full. None when no record is found
    (``zipfile`` then says what is wrong)."""
    length = stream.seek(0, os.SEEK_END)
    start = max(0, length - 22 - 0xFFFF)  # the record, then a comment of at most 65,535 bytes
    stream.seek(start)
    tail = stream.read()
    at = tail.rfind(b"PK\x05\x06", 0, len(tail) - 18)  # the last one with the record's 22 bytes after it
    if at < 0:
        return None
    entries, directory_bytes = struct.unpack_from("<HI", tail, at + 10)
    if entries != 0xFFFF and directory_bytes != 0xFFFFFFFF:
        return entries, directory_bytes
    locator = start + at - 20  # ZIP64: a locator just before the record gives the ZIP64 record's offset
    if locator < 0:
        return entries, directory_bytes
    stream.seek(locator)
    found = stream.read(20)
    if len(found) < 20 or found[:4] != b"PK\x06\x07":
        return entries, directory_bytes
    (offset,) = struct.unpack_from("<Q", found, 8)
    stream.seek(min(offset, length))
    record = stream.read(56)
    if len(record) < 56 or record[:4] != b"PK\x06\x06":
        return entries, directory_bytes
    return struct.unpack_from("<QQ", record, 32)  # total entries, then the central directory's size


def _labels(label: str, entries: list[_Entry]) -> tuple[list[str], list[int] | None]:
    """(class names, each entry's label) from folder names, or ([], None) without labels. A folder that wraps
    everything (a zipped folder) is looked inside; then all files at one level have no labels, two or more
    folders are the classes (a picture's first folder below that level, however deep it sits)."""
    depth = 0
    while all(len(e.parts) > depth + 1 for e in entries) and len({e.parts[depth] for e in entries}) == 1:
        depth += 1  # one folder holds everything: one class teaches nothing, so look inside it
    loose = [e for e in entries if len(e.parts) == depth + 1]
    if len(loose) == len(entries):
        return [], None
    if loose:
        folders = sorted({e.parts[depth] for e in entries if len(e.parts) > depth + 1})
        shown = ", ".join(f"{f}/" for f in folders[:4]) + (", ..." if len(folders) > 4 else "")
        raise DataError(
            f"{loose[0].name} sits outside a folder, but other pictures in {label} sit in folders ({shown}) whose "
            "names are the labels. Move it into one of those folders (or put every picture at the top level for no "
            "labels) and try again."
        )
    class_names = sorted({e.parts[depth] for e in entries})
    index = {name: i for i, name in enumerate(class_names)}
    return class_names, [index[e.parts[depth]] for e in entries]


def _picture(name: str, data: bytes, size: int, color: bool) -> np.ndarray:
    """One PNG or JPEG as (size, size) or (size, size, 3) float32 in [0, 1]: its pixel count checked from its header
    before it is decoded, transparency composited onto white, the largest centred square cropped (the aspect is
    kept: a wide picture loses its sides, a tall one its top and bottom), then resized with Lanczos filtering."""
    return _decoded(name, data, MAX_IMAGE_PIXELS, lambda image: _pixels(image, size, color))


def read_grayscale(name: str, data: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """One PNG or JPEG at its full size as (height, width) float32 grayscale in [0, 1] (Pillow's "L": ITU-R BT.601
    luma), with the checks every picture gets: at most ``max_pixels``, read from its header first."""

    def gray(image) -> np.ndarray:
        converted, scale = _converted(image, color=False)
        return np.asarray(converted, np.float32) * np.float32(scale)

    return _decoded(name, data, max_pixels, gray)


def _decoded(name: str, data: bytes, max_pixels: int, convert):
    """``convert(image)`` of the PNG or JPEG in ``data``, once its header says it has at most ``max_pixels``; a
    picture Pillow cannot read, or one too large, is a DataError that names it and says what to do."""
    from PIL import Image, UnidentifiedImageError

    limit = f"{max_pixels:,} pixels" + (" (4096×4096)" if max_pixels == MAX_IMAGE_PIXELS else "")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise DataError(
                        f"{name} is {width:,}×{height:,} pixels, more than the {limit} decoded from one picture. "
                        "Shrink it and try again."
                    )
                return convert(image)
    except DataError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(
            f"{name} declares more than the {limit} decoded from one picture. Shrink it and try again."
        ) from None
    except UnidentifiedImageError:
        reason = "its contents are not a PNG or JPEG image"
    except (OSError, ValueError, SyntaxError, EOFError, struct.error) as exc:
        reason = str(exc) or type(exc).__name__
    raise DataError(
        f"{name} is not a PNG or JPEG image Pillow can read ({reason}). Remove it or save it again as PNG and try "
        "again."
    )


def _converted(image, color: bool):
    """(image, scale): the decoded picture as "RGB" or "L" with 1/255 to reach [0, 1], or, for 16-bit grayscale, as
    "F" already in [0, 1] (Pillow's convert("L") would clip it at 255); transparency composited onto white."""
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return Image.fromarray(np.asarray(image, np.float32) / 65535), 1.0
    transparent = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if transparent:  # composited onto white: a cut-out's background reads as paper, not as black
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image.convert("RGBA"))
    return image.convert("RGB" if color else "L"), 1 / 255


def _pixels(image, size: int, color: bool) -> np.ndarray:
    """The decoded, converted, cropped and resized picture as float32 in [0, 1]."""
    from PIL import Image

    width, height = image.size
    side = min(width, height)
    if image.format == "JPEG":  # decode at a reduced scale when the square stays at least 2×size on a side
        scale = max(1, side // (2 * size))
        image.draft("L" if not color else "RGB", (-(-width // scale), -(-height // scale)))
        width, height = image.size
        side = min(width, height)
    image, scale = _converted(image, color)
    left, top = (width - side) // 2, (height - side) // 2
    square = image.crop((left, top, left + side, top + side))  # cropped first: the filter reads nothing outside it
    resized = square.resize((size, size), Image.Resampling.LANCZOS)
    pixels = np.asarray(resized, np.float32) * np.float32(scale)  # (size, size) or (size, size, 3)
    if pixels.ndim == 2 and color:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    return np.clip(pixels, 0, 1)  # Lanczos overshoots in mode "F"
