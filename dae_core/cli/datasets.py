"""``python -m dae_core datasets``: fetch MNIST or Fashion-MNIST into the data folder, and list what is there.

``fetch NAME`` downloads the four gzipped IDX files of a set from its mirrors (``idx.IDX_MIRRORS``, in order), each
streamed to a ``.part`` file beside its place, checked against its published MD5 (``idx.IDX_MD5``) and only then
renamed into place; a file already there with the right checksum is kept. Any failure (no network, an HTTP error, a
checksum that no mirror matches) is one ``error:`` line that says what failed and where to put the files by hand,
and leaves no ``.part`` file behind. ``list`` says, for each set, its folder and which of its files are there.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import tempfile
from pathlib import Path

from ..errors import DataError
from ..idx import IDX_FILES, IDX_MD5, IDX_MIRRORS, IDX_SETS, data_dir, idx_file_size, idx_folder, load_idx_set
from .flags import EXIT_OK, UsageError

TIMEOUT_S = 30  # seconds a mirror may take to answer, or between two reads of a download
MAX_DOWNLOAD_BYTES = 64 * 2**20  # per file; the largest published file, MNIST's training images, is about 26 MB
_CHUNK = 2**16  # bytes read at a time


class _Refused(Exception):
    """One mirror could not give one file; the message says why, and the next mirror is tried."""


class _LocalFailure(Exception):
    """The file could not be written here (disk full, no permission); no mirror would do better."""


def run_datasets(args: argparse.Namespace) -> int:
    if args.datasets_command == "fetch":
        return fetch(args.name, Path(args.to) if args.to else None, force=args.force)
    if args.datasets_command == "list":
        return list_sets()
    raise UsageError("say what to do: 'python -m dae_core datasets fetch NAME' or 'python -m dae_core datasets list'.")


def check_name(name: str) -> str:
    """``name`` if it is an IDX set, else a UsageError naming the sets (and the closest one)."""
    if name in IDX_SETS:
        return name
    close = difflib.get_close_matches(name.lower(), IDX_SETS, n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise UsageError(f"unknown dataset {name!r}; the datasets that can be fetched are {_names()}.{hint}")


def fetch(name: str, folder: Path | None = None, force: bool = False) -> int:
    """Download the four files of the IDX set ``name`` into ``folder`` (default ``<data folder>/datasets/<name>``),
    keeping files already there with the published checksum unless ``force``; then load the set to prove it."""
    name = check_name(name)
    folder = folder or idx_folder(data_dir(), name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"Cannot create the folder {folder} for {IDX_SETS[name]} ({_reason(exc)}). Set DAE_DATA_DIR to a "
            "folder you can write to, or pass --to DIR."
        ) from None
    for file_name, md5 in IDX_MD5[name].items():
        target = folder / file_name
        if not force and target.is_file() and _md5_of(target) == md5:
            print(f"{file_name}: {target.stat().st_size:,} bytes, already present", flush=True)
            continue
        size, url, failures = _fetch_file(name, file_name, md5, folder)
        note = f" (after {'; '.join(failures)})" if failures else ""
        print(f"{file_name}: {size:,} bytes from {url}, ok{note}", flush=True)
    data = load_idx_set(folder, name)  # a DataError (what is wrong, and how to fix it) if the files do not load
    height, width, _ = data.image_shape
    print(
        f"{IDX_SETS[name]} is ready in {folder}: {len(data.X_train):,} training and {len(data.X_test):,} test images "
        f"of {height}×{width}."
    )
    return EXIT_OK


def _fetch_file(name: str, file_name: str, md5: str, folder: Path) -> tuple[int, str, list[str]]:
    """Download ``file_name`` from the first mirror that gives it with checksum ``md5`` and rename it into
    ``folder``: (its size, the URL, why earlier mirrors failed). A DataError when every mirror fails."""
    failures = []
    for mirror in IDX_MIRRORS[name]:
        url = mirror + file_name
        try:
            part = _part_file(folder, file_name)
        except OSError as exc:
            raise DataError(_cannot_write(name, folder, file_name, exc)) from None
        try:
            size, digest = _download(url, part)
            if digest != md5:
                raise _Refused(f"{url} gave a file whose MD5 is {digest}, not the published {md5}")
            os.replace(part, folder / file_name)
            return size, url, failures
        except _Refused as exc:
            failures.append(str(exc))
        except _LocalFailure as exc:
            raise DataError(_cannot_write(name, folder, file_name, exc.__cause__ or exc)) from None
        finally:
            part.unlink(missing_ok=True)  # after os.replace it is gone already
    raise DataError(
        f"Could not download {IDX_SETS[name]}'s {file_name}: {'; '.join(failures)}. {_by_hand(name, folder)}"
    )


def _part_file(folder: Path, file_name: str) -> Path:
    """A new empty ``<file_name>.<random>.part`` in ``folder``: a download in progress, never read as the file."""
    handle, path = tempfile.mkstemp(dir=folder, prefix=f"{file_name}.", suffix=".part")
    os.close(handle)
    return Path(path)


def _download(url: str, part: Path) -> tuple[int, str]:
    """Stream ``url`` into ``part``: (bytes written, their MD5). _Refused when the mirror cannot give it."""
    import http.client  # here: every other command starts without the web client (about 40 ms)
    import urllib.error
    import urllib.parse
    import urllib.request

    digest, size = hashlib.md5(usedforsecurity=False), 0
    host = urllib.parse.urlsplit(url).netloc or url
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, part.open("wb") as out:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_DOWNLOAD_BYTES:
                raise _Refused(f"{url} offers {int(declared):,} bytes, more than the {_cap()} a file may be")
            while chunk := response.read(_CHUNK):
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise _Refused(f"{url} sent more than the {_cap()} a file may be")
                digest.update(chunk)
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise _LocalFailure() from exc
    except urllib.error.HTTPError as exc:
        raise _Refused(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise _Refused(f"this machine could not reach {host} ({_reason(exc.reason)})") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:  # a timeout, a dropped connection, a bad URL
        if isinstance(exc, OSError) and exc.filename == str(part):
            raise _LocalFailure() from exc  # opening the .part file failed
        raise _Refused(f"the download from {host} failed ({_reason(exc)})") from None
    return size, digest.hexdigest()


def list_sets() -> int:
    """Each IDX set, its folder, and each of its four files: there and right, wrong, or missing."""
    root = data_dir()
    print(f"Data folder: {root} (set DAE_DATA_DIR to change it)")
    for name, title in IDX_SETS.items():
        folder = idx_folder(root, name)
        states = [_file_state(folder, name, stem) for stem in IDX_FILES]
        ready = all(ok for _, ok in states)
        fix = "ready" if ready else f"not ready; run: python -m dae_core datasets fetch {name}"
        print(f"{name} ({title}): {folder}: {fix}")
        for line, _ in states:
            print(f"  {line}")
    return EXIT_OK


def _file_state(folder: Path, name: str, stem: str) -> tuple[str, bool]:
    """(a line on the file of ``stem`` in ``folder``, whether it is usable). Like the loader, an uncompressed file
    is read before a gzipped one: it is checked by its size, a gzipped one by its published MD5."""
    plain, gzipped = folder / stem, folder / f"{stem}.gz"
    if plain.is_file():
        size, expected = plain.stat().st_size, idx_file_size(stem)
        if size == expected:
            return f"{stem}: {size:,} bytes, ok", True
        return f"{stem}: {size:,} bytes, not the {expected:,} it should hold; delete it and fetch again", False
    if gzipped.is_file():
        size = gzipped.stat().st_size
        if _md5_of(gzipped) == IDX_MD5[name][gzipped.name]:
            return f"{gzipped.name}: {size:,} bytes, ok", True
        return f"{gzipped.name}: {size:,} bytes, not the published file (its MD5 differs); fetch it with --force", False
    return f"{gzipped.name}: missing", False


def _md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def _by_hand(name: str, folder: Path) -> str:
    """Where to put the files of ``name`` by hand, and where they are published."""
    files = ", ".join(IDX_MD5[name])
    return (
        f"Download the four files yourself ({files}) from {' or '.join(IDX_MIRRORS[name])}, put them in {folder} "
        "(gzipped or not), then run: python -m dae_core datasets list"
    )


def _cannot_write(name: str, folder: Path, file_name: str, exc: BaseException) -> str:
    return (
        f"Cannot write {file_name} in {folder} ({_reason(exc)}). Free some space or fix the folder's permissions, "
        f"set DAE_DATA_DIR to another folder, or pass --to DIR; then run: python -m dae_core datasets fetch {name}"
    )


def _reason(exc) -> str:
    """An exception (or a URLError's reason) in a few words, on one line."""
    if isinstance(exc, BaseException):
        text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    else:
        text = str(exc)
    if isinstance(exc, TimeoutError) or "timed out" in text:
        return f"no answer within {TIMEOUT_S} s"
    return " ".join(text.split())


def _names() -> str:
    return " and ".join(f"'{n}'" for n in IDX_SETS)


def _cap() -> str:
    mb, rest = divmod(MAX_DOWNLOAD_BYTES, 2**20)
    return f"{mb} MB" if mb and not rest else f"{MAX_DOWNLOAD_BYTES:,} bytes"
