"""The IDX reader (MNIST, Fashion-MNIST): round trips, every refusal's message, a gzip bomb, the stratified subset."""

import gzip
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

from dae_core.errors import DataError
from dae_core.idx import IDX_FILES, IdxSet, idx_folder, load_idx_set, read_idx, stratified_subset

FETCH = "python -m dae_core datasets fetch mnist"


def idx_bytes(array, dims=None, code=0x08, gz=False) -> bytes:
    """An IDX file: two zero bytes, the type code, the number of dimensions, each dimension as a big-endian uint32
    (``dims``: the header's own, true or not), then the array's bytes."""
    array = np.asarray(array, np.uint8)
    dims = array.shape if dims is None else dims
    data = bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + array.tobytes()
    return gzip.compress(data) if gz else data


def write_idx(path, array, dims=None, code=0x08, gz=False):
    path.write_bytes(idx_bytes(array, dims, code, gz))
    return path


def write_set(folder, n_train=12, n_test=5, shape=(4, 3), gz=(True, False, False, True), seed=0):
    """The four files of a small set in ``folder``; returns their arrays in IDX_FILES' order."""
    rng = np.random.default_rng(seed)
    arrays = [
        rng.integers(0, 256, (n_train, *shape)),
        np.arange(n_train) % 10,
        rng.integers(0, 256, (n_test, *shape)),
        np.arange(n_test) % 10,
    ]
    folder.mkdir(parents=True, exist_ok=True)
    for stem, array, zipped in zip(IDX_FILES, arrays, gz):
        write_idx(folder / (f"{stem}.gz" if zipped else stem), array, gz=zipped)
    return arrays


# --- read_idx: round trips ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("shape", [(7,), (3, 4, 5), (2, 3), (1, 1, 1, 2)])
def test_read_idx_round_trips_from_a_path_and_from_bytes(tmp_path, shape, gz):
    array = np.random.default_rng(1).integers(0, 256, shape).astype(np.uint8)
    path = write_idx(tmp_path / "file", array, gz=gz)
    for source in (path, str(path), path.read_bytes()):
        result = read_idx(source)
        assert result.dtype == np.uint8 and result.shape == shape
        np.testing.assert_array_equal(result, array)
    assert read_idx(path).flags.writeable


def test_read_idx_reads_concatenated_gzip_members():
    data = idx_bytes(np.arange(100) % 256)
    assert np.array_equal(read_idx(gzip.compress(data[:30]) + gzip.compress(data[30:])), np.arange(100))


def test_read_idx_of_an_empty_array():
    assert read_idx(idx_bytes(np.zeros((0, 28, 28)))).shape == (0, 28, 28)


# --- read_idx: refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_a_truncated_file_is_refused_with_what_it_declares_and_holds(tmp_path, gz):
    name = "train-images-idx3-ubyte" + (".gz" if gz else "")
    path = write_idx(tmp_path / name, np.zeros(1000), dims=(60000, 28, 28), gz=gz)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert str(info.value) == (
        f"{name} is truncated: its header declares 60,000 images of 28×28 (47,040,000 bytes) but it holds "
        "1,000 bytes. Download it again."
    )


def test_a_header_that_declares_more_than_the_data_is_refused():
    with pytest.raises(DataError) as info:
        read_idx(idx_bytes(np.arange(10), dims=(100,)))
    assert str(info.value) == (
        "The IDX data is truncated: its header declares 100 labels (100 bytes) but it holds 10 bytes. Download it again."
    )


@pytest.mark.parametrize("gz", [False, True])
def test_a_header_that_declares_less_than_the_data_is_refused(gz):
    with pytest.raises(DataError) as info:
        read_idx(idx_bytes(np.arange(11), dims=(2, 5), gz=gz), name="part.idx")
    holds = "more than 10 bytes" if gz else "11 bytes"
    assert str(info.value) == (
        f"part.idx does not match its header: the header declares an array of 2×5 (10 bytes) but it holds {holds}. "
        "Download it again."
    )


@pytest.mark.parametrize("gz", [False, True])
def test_absurdly_large_dimensions_are_refused_before_anything_is_read(gz):
    with pytest.raises(DataError) as info:
        read_idx(idx_bytes(np.zeros(16), dims=(2**32 - 1,) * 3, gz=gz))
    assert str(info.value) == (
        "The IDX data declares 4,294,967,295 images of 4,294,967,295×4,294,967,295 "
        "(79,228,162,458,924,105,385,300,197,375 bytes), more than the 256 MB this app reads from one IDX file. "
        "Download it again."
    )


def test_one_byte_past_the_limit_is_refused_too():
    with pytest.raises(DataError, match=r"declares 268,435,457 labels \(268,435,457 bytes\), more than the 256 MB"):
        read_idx(idx_bytes([], dims=(256 * 2**20 + 1,)))


@pytest.mark.parametrize(
    ("code", "kind"), [(0x0D, "32-bit floats"), (0x09, "signed bytes"), (0x42, "not a type IDX defines")]
)
def test_a_type_code_other_than_unsigned_bytes_is_refused_by_name(code, kind):
    with pytest.raises(DataError) as info:
        read_idx(idx_bytes(np.zeros(4), code=code))
    assert str(info.value) == (
        f"The IDX data holds IDX type code 0x{code:02x} ({kind}); this reader takes only 0x08 (unsigned bytes), "
        "the type of MNIST and Fashion-MNIST. Download it again."
    )


@pytest.mark.parametrize("gz", [False, True])
def test_a_file_that_is_not_idx_is_refused_by_its_first_bytes(tmp_path, gz):
    data = b"PK\x03\x04 a zip file, not IDX"
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert str(info.value) == (
        "train-labels-idx1-ubyte is not an IDX file: it starts with the bytes 50 4b, not 00 00 (an IDX file) "
        "or 1f 8b (a gzipped one). Download it again."
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The IDX data is not an IDX file: it holds 0 bytes, fewer than the 4 that open an IDX header."),
        (
            b"\x00\x00\x08",
            "The IDX data is not an IDX file: it holds 3 bytes, fewer than the 4 that open an IDX header.",
        ),
        (b"\x00\x00\x08\x00", "The IDX data declares an array of 0 dimensions; an IDX array has at least 1."),
        (
            b"\x00\x00\x08\x03\x00\x00\x00\x02\x00",
            "The IDX data is truncated: its header declares 3 dimensions (12 bytes of sizes) but only 5 bytes follow.",
        ),
    ],
)
def test_a_short_or_empty_header_is_refused(data, message):
    with pytest.raises(DataError) as info:
        read_idx(data)
    assert str(info.value) == f"{message} Download it again."


def test_a_damaged_gzip_stream_is_refused():
    data = bytearray(gzip.compress(idx_bytes(np.arange(200) % 7)))
    data[-6] ^= 0xFF  # in the CRC-32 of the trailer
    with pytest.raises(DataError) as info:
        read_idx(bytes(data))
    assert str(info.value) == (
        "The IDX data is not a valid gzip file (Error -3 while decompressing data: incorrect data check). "
        "Download it again."
    )
    with pytest.raises(DataError, match=r"^The IDX data is not a valid gzip file \(Error -3 .*\)\. Download it again"):
        read_idx(b"\x1f\x8b but not deflate")


def test_a_gzip_stream_cut_after_its_data_is_refused():
    with pytest.raises(DataError) as info:
        read_idx(gzip.compress(idx_bytes(np.arange(50)))[:-8])  # all the data, but not the checksum at its end
    assert str(info.value) == "The IDX data is truncated: its gzip stream stops before its end. Download it again."


def test_a_missing_path_and_a_wrong_source_are_refused(tmp_path):
    with pytest.raises(DataError) as info:
        read_idx(tmp_path / "nothing")
    assert str(info.value) == f"IDX file '{tmp_path / 'nothing'}' does not exist. Check the path and try again."
    with pytest.raises(DataError) as info:
        read_idx(12)
    assert str(info.value) == "An IDX source is a path or bytes, not int."


def _gzip_bomb(header: bytes, zeros: int) -> bytes:
    """A gzip of ``header`` followed by ``zeros`` zero bytes, built a megabyte at a time (about 1,000:1)."""
    compressor, block = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS), bytes(2**20)
    parts = [compressor.compress(header)]
    parts += [compressor.compress(block) for _ in range(zeros // len(block))]
    return b"".join([*parts, compressor.flush()])


@pytest.mark.parametrize("from_path", [False, True])
def test_a_gzip_bomb_is_refused_without_inflating_it(tmp_path, from_path):
    header = bytes([0, 0, 8, 3]) + struct.pack(">3I", 10, 28, 28)  # declares 7,840 bytes
    bomb = _gzip_bomb(header, 50 * 2**20)  # ... and holds 50 MB
    assert len(bomb) < 100_000
    source = tmp_path / "bomb.gz" if from_path else bomb
    if from_path:
        source.write_bytes(bomb)
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as info:
            read_idx(source)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"peak {peak:,} bytes: the bomb was inflated"  # inflating it all would take 50 MB
    label = "bomb.gz" if from_path else "The IDX data"
    assert str(info.value) == (
        f"{label} does not match its header: the header declares 10 images of 28×28 (7,840 bytes) but it holds "
        "more than 7,840 bytes. Download it again."
    )


# --- load_idx_set ---------------------------------------------------------------------------------------------------


def test_load_idx_set_returns_rows_in_0_1_and_the_image_shape(tmp_path):
    images, labels, test_images, test_labels = write_set(tmp_path)
    data = load_idx_set(tmp_path, "mnist")
    assert isinstance(data, IdxSet) and data.name == "mnist" and data.image_shape == (4, 3, 1)
    assert data.X_train.dtype == np.float32 and data.X_train.shape == (12, 12) and data.X_test.shape == (5, 12)
    np.testing.assert_allclose(data.X_train, images.reshape(12, -1) / 255, rtol=1e-6)
    np.testing.assert_allclose(data.X_test, test_images.reshape(5, -1) / 255, rtol=1e-6)
    assert data.y_train.dtype == np.int64
    np.testing.assert_array_equal(data.y_train, labels)
    np.testing.assert_array_equal(data.y_test, test_labels)
    assert data.X_train.min() >= 0.0 and data.X_train.max() <= 1.0
    with pytest.raises(AttributeError):
        data.name = "fashion-mnist"


def test_load_idx_set_takes_the_uncompressed_file_when_both_are_there(tmp_path):
    write_set(tmp_path, gz=(True,) * 4)
    write_idx(tmp_path / IDX_FILES[1], np.full(12, 9))
    assert (load_idx_set(tmp_path, "fashion-mnist").y_train == 9).all()


def test_the_idx_folder_is_under_datasets(tmp_path):
    assert idx_folder(tmp_path, "fashion-mnist") == tmp_path / "datasets" / "fashion-mnist"


def test_missing_files_are_named_in_one_message(tmp_path):
    folder = idx_folder(tmp_path, "mnist")
    folder.mkdir(parents=True)
    write_idx(folder / "train-labels-idx1-ubyte", np.arange(10))
    with pytest.raises(DataError) as info:
        load_idx_set(folder, "mnist")
    assert str(info.value) == (
        f"MNIST is not in {folder}: missing train-images-idx3-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        f"t10k-labels-idx1-ubyte.gz. Put the four files there (gzipped or not), or run: {FETCH}"
    )
    with pytest.raises(DataError) as info:
        load_idx_set(tmp_path / "nowhere", "fashion-mnist")
    assert str(info.value) == (
        f"Fashion-MNIST is not in {tmp_path / 'nowhere'}: missing train-images-idx3-ubyte.gz, "
        "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz. Put the four files there "
        "(gzipped or not), or run: python -m dae_core datasets fetch fashion-mnist"
    )


def test_a_truncated_file_of_a_set_says_how_to_get_it_again(tmp_path):
    write_set(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros(1000), dims=(60000, 28, 28), gz=True)
    with pytest.raises(DataError) as info:
        load_idx_set(tmp_path, "mnist")
    assert str(info.value) == (
        "train-images-idx3-ubyte.gz is truncated: its header declares 60,000 images of 28×28 (47,040,000 bytes) but "
        f"it holds 1,000 bytes. Download it again ({FETCH})."
    )


@pytest.mark.parametrize(
    ("stem", "array", "message"),
    [
        (
            "train-images-idx3-ubyte",
            np.zeros((12, 12)),
            "train-images-idx3-ubyte holds an array of 12×12, not images: an image file is 3-D (count, height, width). "
            f"Download it again ({FETCH}).",
        ),
        (
            "t10k-labels-idx1-ubyte",
            np.zeros((5, 1)),
            "t10k-labels-idx1-ubyte holds an array of 5×1, not labels: a label file is 1-D (count). "
            f"Download it again ({FETCH}).",
        ),
        (
            "train-labels-idx1-ubyte",
            np.zeros(11),
            "train-images-idx3-ubyte holds 12 images but train-labels-idx1-ubyte holds 11 labels; there must be one "
            f"label per image. Download both again ({FETCH}).",
        ),
        (
            "t10k-labels-idx1-ubyte",
            [3, 10, 2, 255, 12],
            "t10k-labels-idx1-ubyte holds 3 labels outside 0..9 (the first, 10, at row 1). "
            f"Download it again ({FETCH}).",
        ),
        (
            "t10k-images-idx3-ubyte",
            np.zeros((5, 4, 4)),
            "t10k-images-idx3-ubyte holds images of 4×4 but train-images-idx3-ubyte holds images of 4×3; the two must "
            f"match. Download both again ({FETCH}).",
        ),
        (
            "train-images-idx3-ubyte",
            np.zeros((0, 4, 3)),
            "train-images-idx3-ubyte holds 0 images but train-labels-idx1-ubyte holds 12 labels; there must be one "
            f"label per image. Download both again ({FETCH}).",
        ),
    ],
)
def test_files_that_do_not_make_a_set_are_refused(tmp_path, stem, array, message):
    write_set(tmp_path, gz=(False,) * 4)
    write_idx(tmp_path / stem, array)
    with pytest.raises(DataError) as info:
        load_idx_set(tmp_path, "mnist")
    assert str(info.value) == message


def test_an_empty_set_is_refused(tmp_path):
    write_set(tmp_path, n_train=0, gz=(False,) * 4)
    with pytest.raises(DataError) as info:
        load_idx_set(tmp_path, "mnist")
    assert str(info.value) == f"train-images-idx3-ubyte holds no images. Download it again ({FETCH})."


def test_an_unknown_set_is_refused(tmp_path):
    with pytest.raises(DataError) as info:
        load_idx_set(tmp_path, "cifar10")
    assert str(info.value) == "Unknown IDX dataset 'cifar10'; use 'mnist' or 'fashion-mnist'."


# --- stratified_subset ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7, 100, 333, 999, 1000])
def test_a_stratified_subset_has_exactly_n_rows_each_class_within_1_of_its_share(n):
    y = np.repeat(np.arange(10), [300, 200, 150, 100, 80, 70, 50, 30, 15, 5])  # (1000,)
    rng = np.random.default_rng(3)
    y = y[rng.permutation(len(y))]
    rows = stratified_subset(y, n, seed=0)
    assert len(rows) == n and len(np.unique(rows)) == n and (np.diff(rows) > 0).all()
    counts = np.bincount(y[rows], minlength=10)
    shares = np.bincount(y, minlength=10) * n / len(y)
    assert np.abs(counts - shares).max() < 1


def test_a_stratified_subset_rounds_by_largest_remainder():
    y = np.array([0] * 5 + [1] * 3 + [2] * 2)  # shares of 4: 2.0, 1.2, 0.8
    assert np.bincount(y[stratified_subset(y, 4, seed=0)], minlength=3).tolist() == [2, 1, 1]


def test_the_same_seed_picks_the_same_rows_and_another_seed_others():
    y = np.arange(5000) % 10
    first = stratified_subset(y, 500, seed=7)
    np.testing.assert_array_equal(first, stratified_subset(y.tolist(), 500, seed=7))
    assert not np.array_equal(first, stratified_subset(y, 500, seed=8))


@pytest.mark.parametrize("n", [0, 101, 2.5, True])
def test_a_subset_outside_1_to_the_rows_is_refused(n):
    with pytest.raises(DataError) as info:
        stratified_subset(np.arange(100) % 10, n, seed=0)
    assert str(info.value) == f"A subset of {n!r} rows cannot be taken from 100; ask for 1 to 100 rows."
