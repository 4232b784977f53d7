"""Datasets, the split, the scaler fitted on training rows only, and CSV errors."""

import io
import tracemalloc

import numpy as np
import pytest

from dae_core import ConfigError, DataConfig, DataError, Scaler, load_dataset
from dae_core.config import DATASETS
from dae_core.data import TableSize, csv_columns, csv_size, read_csv
from dae_core.serving.limits import Limits

GENERATED = [name for name in DATASETS if name not in ("csv", "images", "mnist", "fashion-mnist")]  # no files needed


@pytest.mark.parametrize("name", GENERATED)
def test_every_dataset_splits_80_20_and_is_float32(name):
    data = load_dataset(DataConfig(dataset=name, n_samples=200))
    n = len(data.X_train) + len(data.X_test)
    assert len(data.X_test) == int(np.ceil(0.2 * n))  # scikit-learn rounds the test share up
    assert data.X_train.dtype == np.float32 and data.X_train.shape[1] == len(data.feature_names)
    assert np.isfinite(data.X_train).all() and np.isfinite(data.X_test).all()
    assert data.y_train is not None and len(data.y_train) == len(data.X_train)


def test_synthetic_matches_the_seed_split():
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, _ = make_classification(n_samples=1000, n_features=20, n_classes=2, random_state=42)
    X_train, X_test = train_test_split(X, test_size=0.2, random_state=42)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    data = load_dataset(DataConfig())
    np.testing.assert_allclose(data.X_test, (X_test - mean) / std, atol=1e-5)


def test_standard_scaler_is_fitted_on_training_rows_only(tiny_dataset):
    np.testing.assert_allclose(tiny_dataset.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(tiny_dataset.X_train.std(axis=0), 1, atol=1e-4)
    assert np.abs(tiny_dataset.X_test.mean(axis=0)).max() > 1e-3  # test rows were not used to fit


def test_digits_are_images_in_unit_range(digits_dataset):
    assert digits_dataset.image_shape == (8, 8, 1) and digits_dataset.n_features == 64
    assert digits_dataset.bounded
    assert digits_dataset.X_train.min() == 0.0 and digits_dataset.X_train.max() == 1.0
    assert len(digits_dataset.X_train) + len(digits_dataset.X_test) == 1797


def _grayscale_sample_photos():
    """The two sample photographs in grayscale, computed here from the RGB bytes (ITU-R 601 luma)."""
    from sklearn.datasets import load_sample_images

    return [image.astype(np.float64) @ [0.299, 0.587, 0.114] for image in load_sample_images().images]


def test_photos_are_patches_of_the_two_photographs_in_unit_range():
    data = load_dataset(DataConfig(dataset="photos", n_samples=300, patch_size=8))
    assert data.image_shape == (8, 8, 1) and data.n_features == 64 and data.bounded and data.scaler.kind == "range"
    assert data.feature_names[:3] == ["px0_0", "px0_1", "px0_2"] and data.feature_names[-1] == "px7_7"
    assert len(data.X_train) + len(data.X_test) == 300
    assert data.X_test.min() >= 0.0 and data.X_test.max() <= 1.0
    assert data.X_train.min() == 0.0 and data.X_train.max() == 1.0  # one global min/max, from the training rows
    labels = np.concatenate([data.y_train, data.y_test])
    assert sorted(np.unique(labels).tolist()) == [0, 1] and np.count_nonzero(labels == 0) == 150  # half each
    photos = _grayscale_sample_photos()
    raw = data.scaler.inverse_transform(data.X_train[:4]).reshape(-1, 8, 8)
    for patch, label in zip(raw, data.y_train[:4]):  # each is a window of the photograph its label names
        windows = np.lib.stride_tricks.sliding_window_view(photos[label], (8, 8))  # (420, 633, 8, 8)
        distance = np.abs(windows - patch).max(axis=(2, 3))
        assert distance.min() < 1e-2, f"no 8x8 window of photo {label} matches"


def test_photos_are_seeded_by_the_data_seed():
    first = load_dataset(DataConfig(dataset="photos", n_samples=101, patch_size=5))
    again = load_dataset(DataConfig(dataset="photos", n_samples=101, patch_size=5))
    other = load_dataset(DataConfig(dataset="photos", n_samples=101, patch_size=5, data_seed=7))
    assert first.X_train.shape == (80, 25) and first.image_shape == (5, 5, 1)
    np.testing.assert_array_equal(first.X_train, again.X_train)
    np.testing.assert_array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.X_train, other.X_train)
    assert np.count_nonzero(np.concatenate([first.y_train, first.y_test]) == 0) in (50, 51)  # the odd one: seeded


@pytest.mark.parametrize("size", [3, 33, 8.0])
def test_patch_size_is_validated(size):
    with pytest.raises(ConfigError) as info:
        DataConfig(dataset="photos", patch_size=size)
    assert (
        str(info.value) == f"The 'patch_size' parameter of DataConfig must be an int in [4, 32]. Got {size!r} instead."
    )


def test_zero_variance_column_does_not_divide_by_zero():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    scaler = Scaler("standard").fit(X)
    Z = scaler.transform(X)
    assert np.isfinite(Z).all() and (Z[:, 1] == 0).all()
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-6)


def test_inverse_transform_returns_original_units():
    data = load_dataset(DataConfig(dataset="digits"))
    raw = data.scaler.inverse_transform(data.X_train)
    assert raw.max() == pytest.approx(16.0)
    assert Scaler.from_dict(data.scaler.to_dict()).transform(raw).tolist() == data.X_train.tolist()


def _write(tmp_path, text):
    path = tmp_path / "table.csv"
    path.write_text(text)
    return str(path)


def _table(rows=12):
    lines = ["a,b,label"] + [f"{i},{i * 2 % 7},{i % 2}" for i in range(rows)]
    return "\n".join(lines) + "\n"


def test_csv_with_label_column(tmp_path):
    data = load_dataset(DataConfig(dataset="csv", csv_path=_write(tmp_path, _table()), label_column="label"))
    assert data.feature_names == ["a", "b"]
    assert set(np.concatenate([data.y_train, data.y_test])) == {0, 1}


def test_csv_from_bytes():
    data = load_dataset(DataConfig(dataset="csv"), source=_table().encode())
    assert data.feature_names == ["a", "b", "label"] and data.y_train is None


@pytest.mark.parametrize(
    ("text", "label", "message"),
    [
        ("a,b\n1,2\n,3\n" + "1,2\n" * 10, "", "Column 'a' has 1 empty cells (rows 3). Fill or drop them and upload again."),
        (
            "a,name\n" + "1,x\n" * 12,
            "",
            "Column(s) 'name' are not numeric. Remove them from the table, or name one as the label column "
            "(--label-column on the command line, Label column in the app).",
        ),
        (_table(), "target", "Label column 'target' is not in the CSV. Its columns are: a, b, label."),
        ("a,b\n1,2\n", "", "The CSV has 1 rows; at least 10 are needed to train and test."),
        ("a\n" + "1\n" * 12, "", "The CSV has 1 numeric feature column(s); a DAE needs at least 2."),
        ("", "", "The CSV file is empty. Upload a table with a header row and at least 10 rows of numbers."),
        ("a,b,c\n", "", "The CSV has a header ('a', 'b', 'c') but no rows. Add at least 10 rows of numbers and upload again."),
        ("a,b\n" + "1e308,1\n-1e308,2\n" * 6, "", "Column 'a' holds values as large as 1e+308; this app takes values up to 1e+30 in size (their mean and spread would overflow). Rescale the column, for example by dividing it by a power of ten, and upload again."),
    ],
)  # fmt: skip
def test_malformed_csv_says_what_and_how_to_fix(tmp_path, text, label, message):
    with pytest.raises(DataError) as err:
        load_dataset(DataConfig(dataset="csv", csv_path=_write(tmp_path, text), label_column=label))
    assert str(err.value) == message


def test_missing_csv_path():
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(DataConfig(dataset="csv", csv_path="no-such-file.csv"))
    with pytest.raises(DataError, match="needs a table"):
        load_dataset(DataConfig(dataset="csv"))


def test_binary_garbage_is_a_clear_error():
    with pytest.raises(DataError, match="not UTF-8"):
        load_dataset(DataConfig(dataset="csv"), source=b"\xff\xfe\x00\x81" * 50)


# --- a table's size, counted before it is parsed -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n3,4\n",
        "a,b\n1,2\n3,4",  # no newline at the end
        "a,b\r\n1,2\r\n\r\n3,4\r\n",  # Windows line ends and a blank line
        "\n  \na,b\n1,2\n\n   \n3,4\n\n\n",  # blank lines (spaces too) before, between and after
        '"a,x","b\nc",d\n1,2,3\n',  # a comma and a newline inside quoted names
        'a,b\n"x\ny",2\n"",3\n"say ""hi"", then\n go",4\n',  # quoted cells: newlines, empty, escaped quotes
        "a,b,\n1,2,\n",  # an empty last name: pandas calls it 'Unnamed: 2'
        "a,b\n",
        "x\n1\n2\n3\n",
        "a,b\r1,2\r3,4\r",  # an old Mac's lone CR line ends
        'x"y,c0,c1,z"q\n1,2,3,4\n',  # a quote in the middle of a field opens nothing
        'a,b\n1,2"\n3,4\n5,6\n',
    ],
)
def test_csv_size_counts_what_pandas_parses(text):
    import pandas as pd

    frame = pd.read_csv(io.StringIO(text))
    assert csv_size(text.encode()) == TableSize(frame.shape[1], frame.shape[0])


def test_a_quote_in_the_middle_of_a_field_never_hides_columns_or_rows():
    header = 'x"y,' + ",".join(f"c{i}" for i in range(200_000)) + ',z"q'  # counted as 1 column if it opened a field
    assert csv_size(f"{header}\n{','.join(['1'] * 200_002)}\n".encode()) == TableSize(200_002, 1)
    rows = 'a,b\n1,2"\n' + "3,4\n" * 30_000  # counted as 1 row if the quote opened a field
    assert csv_size(rows.encode()) == TableSize(2, 30_001)


def test_csv_size_of_a_table_larger_than_its_chunks():
    header = '"' + "x" * 300_000 + '\n,y",' + ",".join(f"c{i}" for i in range(100_000))  # one quoted name of 300 KB
    rows = ['"a\nb",' + "2," * 99_999 + "3"] * 4 + ["", "   ", ",".join(["1"] * 100_001)]
    text = "\n".join([header, *rows])
    assert csv_size(text.encode()) == csv_size(memoryview(text.encode())) == TableSize(100_001, 5)
    assert csv_size(b"") == csv_size(b"\n \n") == TableSize(0, 0)


PUBLIC = Limits.from_env({"DAE_PROFILE": "public"})  # 256 columns, 20,000 rows


def _wide(columns: int, rows: int = 10) -> bytes:
    return (",".join(f"c{i}" for i in range(columns)) + "\n" + (",".join(["1"] * columns) + "\n") * rows).encode()


@pytest.mark.parametrize(
    ("data", "label", "message"),
    [
        (_wide(258), None, "This table has 258 columns; at most 256 feature columns and a label column are allowed "
                           "here (DAE_MAX_FEATURES). Keep fewer columns and upload it again."),
        (_wide(257), "", "This table has 257 columns; at most 256 are allowed here (DAE_MAX_FEATURES). Keep fewer "
                         "columns and upload it again."),
        (b"a,b\n" + b"1,2\n" * 20_001, "", "This table has 20,001 rows; at most 20,000 are allowed here "
                                           "(DAE_MAX_ROWS). Upload a sample of its rows."),
        (_wide(300, rows=20_001), "c0", "This table has 300 columns; at most 256 feature columns and a label column "
                                        "are allowed here (DAE_MAX_FEATURES). Keep fewer columns and upload it again. "
                                        "This table has 20,001 rows; at most 20,000 are allowed here (DAE_MAX_ROWS). "
                                        "Upload a sample of its rows."),
    ],
)  # fmt: skip
def test_a_table_past_the_size_limits_is_refused_before_it_is_parsed(monkeypatch, data, label, message):
    import pandas as pd

    monkeypatch.setattr(pd, "read_csv", lambda *args, **kwargs: pytest.fail("the table was parsed"))
    with pytest.raises(ConfigError) as err:
        if label is None:  # the upload: no label column chosen yet
            csv_columns(data, limits=PUBLIC)
        else:
            read_csv(data, label, limits=PUBLIC)
    assert str(err.value) == message


def test_a_table_within_the_limits_is_read_and_a_path_is_counted_too(tmp_path):
    limits = Limits(max_features=2, max_rows=12)
    assert read_csv(_table().encode(), "label", limits=limits)[2] == ["a", "b"]  # 3 columns: 2 features and the label
    assert csv_columns(_table().encode(), limits=limits) == ["a", "b", "label"]
    with pytest.raises(ConfigError, match="^This table has 3 columns; at most 2 are allowed here"):
        read_csv(_write(tmp_path, _table()), limits=limits)
    with pytest.raises(ConfigError, match="^This table has 13 rows; at most 12 are allowed here"):
        read_csv(io.BytesIO(_table(rows=13).encode()), "label", limits=limits)


def test_refusing_360000_columns_costs_a_few_mb():
    data = _wide(360_000)  # 9.5 MB; parsing even its header took pandas a minute and a gigabyte
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError, match="^This table has 360,000 columns; at most 256 feature columns"):
            csv_columns(data, limits=PUBLIC)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"{peak / 2**20:.1f} MB"
