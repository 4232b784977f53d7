"""Runs name their data: a CSV run carries its table's file name and content hash in its name, its record (and so
runs.json) and Experiments, so three runs with the same settings on three tables never read alike."""

import hashlib
import json

from app_driver import open_app, session, stop_job, train, upload_csv

from dae_core import RunConfig
from dae_core.records import data_name, run_name

TABLES = {  # three tables of the same shape, with other numbers
    name: "a,b,c\n" + "\n".join(f"{i * k % 7},{i % 3},{(i * k) % 5}" for i in range(40)) + "\n"
    for name, k in (("first.csv", 1), ("second.csv", 2), ("third.csv", 3))
}


def test_a_run_names_its_table_and_the_start_of_its_hash():
    config = RunConfig().replace(dataset="csv", csv_path="data/iris.csv", csv_digest="1a2b3c4d5e6f")
    assert data_name(config) == "iris.csv 1a2b3c4d"
    assert run_name(4, config).startswith("#4 iris.csv 1a2b3c4d, code 8, Gaussian 0.2")
    assert data_name(RunConfig().replace(dataset="csv")) == "csv"  # a table nobody named
    assert data_name(RunConfig().replace(dataset="digits")) == "digits"


def test_runs_on_three_tables_with_the_same_settings_name_each_table():
    app = open_app()
    try:
        for name, text in TABLES.items():
            app.switch_page("pages/train.py").run()
            upload_csv(app, name, text)
            train(app, dataset="csv", epochs=2)
        names = [record.name for record in session(app).runs]
        digests = [hashlib.sha256(text.encode()).hexdigest()[:8] for text in TABLES.values()]
        assert [n.split(",")[0] for n in names] == [
            f"#{i} {name} {digest}" for i, (name, digest) in enumerate(zip(TABLES, digests), 1)
        ]
        exported = json.loads(json.dumps([record.to_dict() for record in session(app).runs]))  # runs.json
        assert [run["config"]["data"]["csv_path"] for run in exported] == list(TABLES)
        assert [run["config"]["data"]["csv_digest"][:8] for run in exported] == digests
        app.switch_page("pages/experiments.py").run()
        assert app.dataframe[0].value["name"].tolist() == names
        assert "csv_path" not in app.query_params and "csv_digest" not in app.query_params  # links name no file
    finally:
        stop_job(app)
