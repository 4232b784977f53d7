"""Records: the kept epoch, the summary's ratios (one direction), run names, run records and the history table."""

import csv
import io
import json

import pytest

from dae_core import RunConfig
from dae_core.errors import ConfigError
from dae_core.records import (
    EpochRecord,
    RunRecord,
    Summary,
    format_ratio,
    format_schedule,
    history_csv,
    kept_record,
    parse_schedule,
    run_name,
    schedule_of,
    verdict,
)


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


def _live(epoch: int, lr: float, noise_level: float) -> EpochRecord:
    return EpochRecord(epoch, 0.6, 0.5, 0.04, 0.51, 0.01, 1e4, lr, noise_level)


def test_a_schedule_reads_into_changes_by_epoch_and_back():
    text = "noise_level@600=0.5, lr@400=0.01,lr@600=0.003"
    schedule = parse_schedule(text, RunConfig().replace(epochs=1000))
    assert schedule == [(400, {"lr": 0.01}), (600, {"noise_level": 0.5, "lr": 0.003})]
    assert format_schedule(schedule) == "lr@400=0.01,noise_level@600=0.5,lr@600=0.003"
    assert parse_schedule(format_schedule(schedule)) == schedule
    assert parse_schedule("") == [] and format_schedule([]) == ""


def test_a_historys_schedule_replays_its_live_changes():
    start = RunConfig()  # lr 0.001, noise level 0.2
    history = [_live(1, 1e-3, 0.2), _live(2, 1e-3, 0.2), _live(3, 1e-3, 0.2), _live(4, 0.01, 0.2)]
    history += [_live(5, 0.01, 0.4), _live(6, 1 / 3, 0.35)]
    text = schedule_of(history, start)
    assert text == "lr@3=0.01,noise_level@4=0.4,lr@5=0.3333333333333333,noise_level@5=0.35"
    replayed, settings = dict(parse_schedule(text, start.replace(epochs=6))), start
    for record in history:  # each epoch trains under the settings the schedule gives it: the history's
        settings = settings.replace_live(**replayed.get(record.epoch - 1, {}))
        assert settings.live() == {"lr": record.lr, "noise_level": record.noise_level}
    assert schedule_of(history[:3], start) == "" and schedule_of([], start) == ""
    assert schedule_of([_live(1, 0.05, 0.2)], start) == "lr@0=0.05"  # changed before the first epoch
    assert schedule_of([_live(1, 0.05, 0.2)]) == ""  # no start: the first record is the start


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lrr@3=0.01", "'lrr@3=0.01': 'lrr' is not a setting that can change while a run trains; did you mean 'lr'?"),
        ("seed@3=1", "'seed@3=1': 'seed' is not a setting that can change while a run trains; name lr or noise_level."),
        ("lr@x=0.01", "'lr@x=0.01': the epoch must be a whole number, like lr@400=0.01."),
        ("lr@10=0.01", "'lr@10=0.01': the epoch must be between 0 and 9: the change applies after that many of the "
                       "run's 10 epochs."),
        ("lr@3=fast", "'lr@3=fast': the value must be a number, like lr@400=0.01."),
        ("lr@3=0", "'lr@3=0': Learning rate (lr) must be a float in (0, 1e+07]. Got 0.0 instead."),
        ("lr=0.01", "'lr=0.01': write each item as NAME@EPOCH=VALUE, like lr@400=0.01."),
        ("lr@3=0.01,", "'lr@3=0.01,': an empty item; separate items with single commas, like "
                       "lr@400=0.01,noise_level@600=0.5."),
        ("lr@3=0.01,lr@3=0.02", "'lr@3=0.02': lr is set twice after epoch 3. Keep one value for each setting and "
                                "epoch."),
    ],
)  # fmt: skip
def test_a_bad_schedule_says_what_is_wrong_and_how_to_fix_it(text, message):
    with pytest.raises(ConfigError) as error:
        parse_schedule(text, RunConfig().replace(epochs=10))
    assert str(error.value) == message


def test_a_schedules_noise_level_is_checked_against_the_runs_noise_type():
    masking = RunConfig().replace(noise="masking", noise_level=0.3)
    assert parse_schedule("noise_level@1=2") == [(1, {"noise_level": 2.0})]  # no run to check it against
    with pytest.raises(ConfigError, match=r"Noise level \(noise_level\) must be a float in \[0, 1\]. Got 2.0"):
        parse_schedule("noise_level@1=2", masking)
