"""The last bad inputs: each gets a message that says what was wrong and how to fix it, the table in use is the one
the uploader shows, and an earlier run is still there afterwards."""

import io

import pandas as pd
import pytest
from app_driver import csv_uploader, model_uploader, session, train, upload_csv

import dashboard.server
from dae_core.serving.limits import Limits

GOOD = "a,b,c\n" + "\n".join(f"{i},{i % 3},{i % 5}" for i in range(30)) + "\n"
HUGE = "a,b,c\n" + "\n".join(f"{'1e308' if i % 2 else '-1e308'},{i},{i % 7}" for i in range(30)) + "\n"


@pytest.fixture
def trained_app(app):
    """The app with one run already in Experiments: every bad input below must leave it there."""
    return train(app)


def errors(app) -> list[str]:
    return [error.value for error in app.error]


def still_there(app) -> None:
    assert not app.exception
    assert [run.run for run in session(app).runs] == [1], "the earlier run was lost"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("huge.csv", HUGE, "huge.csv: Column 'a' holds values as large as 1e+308; this app takes values up to 1e+30 "
                           "in size (their mean and spread would overflow). Rescale the column"),
        ("header.csv", "a,b,c\n", "header.csv: The CSV has a header ('a', 'b', 'c') but no rows. Add at least 10 "
                                  "rows of numbers and upload again."),
        ("empty.csv", "", "The table empty.csv was not used: The CSV file is empty. Upload a table with a header row "
                          "and at least 10 rows of numbers."),
    ],
)  # fmt: skip
def test_a_table_that_cannot_train_says_why_and_train_waits(trained_app, name, text, message):
    app = upload_csv(trained_app, name, text)
    assert len(errors(app)) == 1 and errors(app)[0].startswith(message), errors(app)
    assert app.button(key="btn_train").disabled
    still_there(app)


def test_removing_the_table_stops_using_it(trained_app):
    app = upload_csv(trained_app, "good.csv", GOOD)
    assert session(app).csv.name == "good.csv" and not app.button(key="btn_train").disabled
    app.button(key="btn_remove_table").click().run()
    assert session(app).csv is None and not errors(app)
    assert app.info[-1].value == "Upload a CSV table with numeric columns to train on it."
    assert app.button(key="btn_train").disabled  # nothing left to train on: no run on the removed table
    still_there(app)


def test_a_table_kept_from_an_earlier_visit_is_named_and_can_be_removed(trained_app):
    app = upload_csv(trained_app, "good.csv", GOOD)
    app.switch_page("pages/home.py").run()
    app.switch_page("pages/train.py").run()  # the uploader is empty now; the table is still in use, and says so
    assert any("In use: **good.csv**" in caption.value for caption in app.caption)
    app.button(key="btn_remove_table").click().run()
    assert session(app).csv is None
    still_there(app)


def test_an_upload_past_the_limit_is_refused_and_no_earlier_table_stays_in_use(trained_app, monkeypatch):
    app = upload_csv(trained_app, "good.csv", GOOD)
    monkeypatch.setattr(dashboard.server, "LIMITS", Limits(upload_mb=1))
    big = "a,b\n" + "1,2\n" * 300_000  # 1.2 MB
    csv_uploader(app).set_value(("big.csv", big.encode(), "text/csv"))
    app.run()
    assert errors(app) == [
        "The table big.csv was not used: This table is 1.1 MB; uploads are limited to 1 MB here (DAE_UPLOAD_MB). "
        "Upload a smaller one."
    ]
    assert session(app).csv is None and app.button(key="btn_train").disabled
    still_there(app)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("wide.csv", ",".join(f"c{i}" for i in range(3_000)) + "\n" + ("1," * 2_999 + "1\n") * 12,
         "This table has 3,000 columns; at most 256 feature columns and a label column are allowed here "
         "(DAE_MAX_FEATURES). Keep fewer columns and upload it again."),
        ("long.csv", "a,b\n" + "1,2\n" * 20_001,
         "This table has 20,001 rows; at most 20,000 are allowed here (DAE_MAX_ROWS). Upload a sample of its rows."),
    ],
)  # fmt: skip
def test_a_table_past_the_column_or_row_limit_is_refused_before_it_is_parsed(trained_app, monkeypatch, name, text,
                                                                              message):  # fmt: skip
    monkeypatch.setattr(dashboard.server, "LIMITS", Limits.from_env({"DAE_PROFILE": "public"}))
    app = upload_csv(trained_app, "good.csv", GOOD)
    monkeypatch.setattr(pd, "read_csv", lambda *args, **kwargs: pytest.fail("the table was parsed"))
    csv_uploader(app).set_value((name, text.encode(), "text/csv"))
    app.run()
    assert errors(app) == [f"The table {name} was not used: {message}"]
    assert session(app).csv is None and app.button(key="btn_train").disabled
    still_there(app)


def test_a_broken_model_file_points_at_the_apps_own_export(trained_app):
    app = trained_app
    model_uploader(app).set_value(("broken.dae", b"not a model", "application/zip")).run()
    assert errors(app) == [
        "The model file is not a DAE model file (it is not a zip archive). To make one, train a run here and "
        "download it from the sidebar's Export (Model file)."
    ]
    still_there(app)


def test_the_reconstructions_table_neutralises_formula_labels(trained_app):
    labels = ["=HYPERLINK(1)", "@SUM(1)", "+1", "-1", "plain"] * 6
    text = "a,b,label\n" + "\n".join(f"{i},{i % 4},{label}" for i, label in enumerate(labels)) + "\n"
    app = upload_csv(trained_app, "labels.csv", text)
    app.selectbox(key="w_label_column").set_value("label").run()
    train(app, dataset="csv")
    app.switch_page("pages/reconstructions.py").run()
    shown = app.dataframe[0].value
    written = pd.read_csv(io.StringIO(shown.to_csv(index=False)))["label"].tolist()  # what its download writes
    assert set(written) <= {"'=HYPERLINK(1)", "'@SUM(1)", "'+1", "'-1", "plain"}
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in written)
    assert [run.run for run in session(app).runs][0] == 1
