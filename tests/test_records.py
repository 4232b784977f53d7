"""Records: the kept epoch, the summary's ratios (one direction), run names, run records and the history table."""

import csv
import io
import json

import pytest

from dae_core import RunConfig
from dae_core.records import EpochRecord, RunRecord, Summary, format_ratio, history_csv, kept_record, run_name


def record(epoch: int, test_mse: float = 0.5, identity_mse: float = 0.04, pca_mse: float = 0.51) -> EpochRecord:
    return EpochRecord(epoch, 0.6, test_mse, identity_mse, pca_mse, 0.01, 1e4, 1e-3, 0.2)


def test_kept_record_is_the_named_epoch_or_the_last():
    history = [record(1), record(2), record(3)]
    assert kept_record(history, None) == history[-1]
    assert kept_record(history, 2) == history[1]
    assert kept_record(history, 0) is None  # the initial weights have no record
    assert kept_record([], None) is None


def test_ratios_are_the_models_error_over_the_baselines():
    summary = Summary.of(record(1, test_mse=0.5, identity_mse=0.04, pca_mse=0.51))
    assert summary.ratio_to_identity == pytest.approx(12.5)  # hand-computed: 0.5 / 0.04
    assert summary.ratio_to_pca == pytest.approx(0.5 / 0.51)
    assert summary.beats == (False, True)
    assert Summary.of(None).ratio_to_pca is None and Summary(0.1, 0.0, 0.2).ratio_to_identity is None


def test_summary_dict_is_strict_json():
    numbers = Summary(float("inf"), 0.04, 0.5).to_dict()
    assert numbers["test_mse"] is None and numbers["ratio_to_pca"] is None
    assert json.loads(json.dumps(numbers)) == numbers


def test_format_ratio():
    assert (format_ratio(0.984), format_ratio(12345.0), format_ratio(None)) == ("0.98×", "1.23e+04×", "—")


def test_run_name_shows_the_shape_noise_and_lr():
    config = RunConfig().replace(dataset="digits", hidden_layers=[128], hidden_dim=16, noise="masking", lr=0.01)
    assert run_name(3, config) == "#3 digits, code 128-16, masking 0.2, lr 0.01"


def test_a_run_record_row_and_dict():
    history = (record(1), record(2, test_mse=0.4))
    run = RunRecord(1, "#1 x", "done", "finished 2 epochs", 2, Summary.of(history[-1]), 1.234, {}, history)
    assert run.row() == {
        "run": 1,
        "name": "#1 x",
        "status": "done",
        "epochs": 2,
        "test_mse": 0.4,
        "identity_mse": 0.04,
        "pca_mse": 0.51,
        "test_psnr": None,
        "ratio_to_identity": pytest.approx(10.0),
        "ratio_to_pca": pytest.approx(0.4 / 0.51),
        "seconds": 1.23,
    }
    everything = run.to_dict()
    assert everything["history"][1]["test_mse"] == 0.4 and json.loads(json.dumps(everything))


def test_history_csv_has_one_row_per_epoch():
    rows = list(csv.DictReader(io.StringIO(history_csv([record(1), record(2)]))))
    assert [row["epoch"] for row in rows] == ["1", "2"]
    assert set(rows[0]) == set(record(1).to_dict())
