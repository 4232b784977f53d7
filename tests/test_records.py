"""Records: the kept epoch, the summary's ratios (one direction), run names, run records and the history table."""

import csv
import io
import json

import pytest

from dae_core import RunConfig
from dae_core.records import EpochRecord, RunRecord, Summary, format_ratio, history_csv, kept_record, run_name, verdict


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


def _epoch(epoch: int, test_mse: float, identity: float = 0.5, pca: float = 0.4) -> EpochRecord:
    return EpochRecord(epoch, test_mse, test_mse, identity, pca, 0.1, 1000.0, 1e-3, 0.2)


@pytest.mark.parametrize(
    ("test_mse", "identity", "pca", "sentence"),
    [
        (0.3, 0.5, 0.4, "Beats both baselines (test MSE 0.3000 against identity 0.5000 and PCA 0.4000)."),
        (0.3, 0.1, 0.4, "Loses to the identity (test MSE 0.3000 against identity 0.1000 and PCA 0.4000): the noise is "
                        "too mild for this data, so the noisy input itself is hard to beat. Try a higher noise level."),
        (0.3, 0.5, 0.2, "Beats the identity but not PCA (test MSE 0.3000 against identity 0.5000 and PCA 0.2000): a "
                        "linear summary does as well. Try hidden layers, a larger code or more epochs."),
        (0.6, 0.5, 0.4, "Loses to both baselines (test MSE 0.6000 against identity 0.5000 and PCA 0.4000). Try more "
                        "epochs, a larger code or a higher noise level."),
    ],
)  # fmt: skip
def test_the_verdict_says_which_baselines_a_run_beats_and_what_to_try(test_mse, identity, pca, sentence):
    history = [_epoch(e, test_mse, identity, pca) for e in range(1, 11)]  # flat: not improving
    assert verdict(history) == sentence


def test_a_run_still_improving_is_told_to_train_longer():
    falling = [_epoch(e, 0.4 - 0.01 * e) for e in range(1, 11)]
    assert verdict(falling).endswith(" It was still improving: train longer.")
    settled = [_epoch(e, 0.3 + 0.0001 * (e < 5)) for e in range(1, 11)]
    assert not verdict(settled).endswith("train longer.")
    early_stopped = verdict(falling, weights_epoch=5)  # its kept weights are not the last epoch's
    assert early_stopped.startswith("Beats both baselines (test MSE 0.3500") and "train longer" not in early_stopped


def test_no_verdict_before_the_first_epoch():
    assert verdict([]) == "No epoch trained yet."


def test_table_cells_that_a_spreadsheet_would_run_are_neutralised():
    import pandas as pd

    from dae_core.records import spreadsheet_safe, spreadsheet_safe_frame

    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert spreadsheet_safe(f"{start}cmd") == f"'{start}cmd"
    assert spreadsheet_safe("plain") == "plain" and spreadsheet_safe(-1.5) == -1.5
    frame = pd.DataFrame({"name": ["=1+1", "ok"], "mse": [-0.5, 0.25]})
    safe = spreadsheet_safe_frame(frame)
    assert safe["name"].tolist() == ["'=1+1", "ok"] and safe["mse"].tolist() == [-0.5, 0.25]  # numbers stay
    assert frame["name"].tolist() == ["=1+1", "ok"]  # the shown table is not changed
