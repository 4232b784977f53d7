"""The command line: the seed's output lines, the JSON summary, save/inspect, the plot, and one-line errors."""

import json
import math
import os
import pickle
import re
import subprocess
import sys

import pytest
import torch

from dae_core import RunConfig, Trainer, model_file
from dae_core.cli import build_parser, main
from dae_core.cli.flags import config_from_args, json_safe
from dae_core.cli.train import baseline_line
from dae_core.records import Summary

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--epochs", "3", "--n-samples", "200"]
EPOCH_LINE = re.compile(r"^Epoch \[(\d+)/(\d+)\], Loss: \d+\.\d{4}$")
TEST_LINE = re.compile(r"^Test MSE: \d+\.\d{4}$")
BASELINE_LINE = re.compile(
    r"^Baselines on the same noisy test inputs: identity \d\.\d{4}, PCA-(\d+) \d\.\d{4}; "
    r"this model is \d+\.\d\dx PCA-\1 and \d+\.\d\dx identity \(lower is better\), so it beats [a-zA-Z0-9 ()-]+\.$"
)


def run(capsys, *argv):
    """main(argv) in-process: (exit code, stdout lines, stderr lines)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_train_prints_the_seed_lines_every_10_epochs(capsys):
    code, out, err = run(capsys, "train", "--epochs", "20", "--n-samples", "200")
    assert code == 0 and err == []
    assert [EPOCH_LINE.match(line).groups() for line in out[:2]] == [("10", "20"), ("20", "20")]
    assert TEST_LINE.match(out[2]), out[2]
    assert BASELINE_LINE.match(out[3]), out[3]
    assert len(out) == 4


def test_train_prints_the_last_epoch_when_it_is_not_a_multiple_of_10(capsys):
    code, out, _ = run(capsys, "train", *TINY)
    assert code == 0
    assert EPOCH_LINE.match(out[0]).groups() == ("3", "3")
    assert TEST_LINE.match(out[1]) and BASELINE_LINE.match(out[2])


def test_no_command_means_train(capsys):
    code, out, _ = run(capsys, *TINY)
    assert code == 0 and TEST_LINE.match(out[1])


def test_no_flags_gives_the_default_run_config():
    args = build_parser().parse_args(["train"])
    assert config_from_args(args) == RunConfig()


def test_flags_override_only_what_they_name():
    args = build_parser().parse_args(
        ["train", "--hidden-layers", "128,16", "--hidden-dim", "4", "--noise", "masking", "--noise-level", "0.3"]
    )
    assert config_from_args(args) == RunConfig().replace(
        hidden_layers=(128, 16), hidden_dim=4, noise="masking", noise_level=0.3
    )


def test_empty_hidden_layers_means_none():
    args = build_parser().parse_args(["train", "--hidden-layers", "", "--tied-weights"])
    assert config_from_args(args) == RunConfig().replace(hidden_layers=(), tied_weights=True)


def test_json_is_the_last_line_and_matches_the_printed_numbers(capsys):
    code, out, _ = run(capsys, "train", *TINY, "--hidden-dim", "4", "--json")
    assert code == 0
    summary = json.loads(out[-1])
    assert out[-2].startswith("Baselines")
    assert out[1] == f"Test MSE: {summary['test_mse']:.4f}"
    assert f"identity {summary['identity_mse']:.4f}, PCA-4 {summary['pca_mse']:.4f}" in out[2]
    assert summary["epochs"] == 3 and summary["train_seconds"] > 0 and summary["stop_reason"] == ""
    assert summary["test_psnr"] is None  # standardized data has no PSNR
    assert RunConfig.from_dict(summary["config"]) == RunConfig().replace(n_samples=200, epochs=3, hidden_dim=4)


def test_json_has_psnr_for_images(capsys):
    code, out, _ = run(capsys, "train", "--dataset", "digits", "--epochs", "1", "--json")
    summary = json.loads(out[-1])
    assert code == 0 and summary["test_psnr"] == pytest.approx(10 * math.log10(1 / summary["test_mse"]))


def test_photos_train_from_the_command_line(capsys):
    argv = ["--dataset", "photos", "--patch-size", "8", "--n-samples", "300", "--epochs", "2", "--json"]
    code, out, err = run(capsys, "train", *argv)
    summary = json.loads(out[-1])
    assert code == 0 and err == []
    assert (
        summary["config"]["data"] | {"dataset": "photos", "patch_size": 8, "n_samples": 300}
        == summary["config"]["data"]
    )
    assert summary["epochs"] == 2 and math.isfinite(summary["test_mse"])
    assert summary["test_psnr"] == pytest.approx(10 * math.log10(1 / summary["test_mse"]))  # [0, 1] images


def test_csv_implies_the_csv_dataset(capsys, tmp_path):
    path = tmp_path / "table.csv"
    rows = ["a,b,c,label"] + [f"{i},{i % 7},{(i * 3) % 11},{i % 2}" for i in range(60)]
    path.write_text("\n".join(rows) + "\n")
    code, out, _ = run(capsys, "train", "--csv", str(path), "--label-column", "label", "--hidden-dim", "2", "--json")
    config = RunConfig.from_dict(json.loads(out[-1])["config"])
    assert code == 0
    assert (config.data.dataset, config.data.csv_path, config.data.label_column) == ("csv", str(path), "label")


def test_early_stopping_is_reported_and_is_not_a_failure(capsys):
    code, out, err = run(capsys, "train", "--n-samples", "200", "--epochs", "200", "--lr", "0.5", "--patience", "2")
    assert code == 0 and err == []
    assert any(line.startswith("Early stop at epoch") for line in out)
    assert TEST_LINE.match(out[-2])


def test_inspect_of_an_early_stopped_model_names_the_kept_epoch(capsys, tmp_path):
    path = str(tmp_path / "model.dae")
    args = ("--n-samples", "200", "--epochs", "200", "--lr", "0.5", "--patience", "2", "--save", path, "--json")
    code, out, _ = run(capsys, "train", *args)
    trained = json.loads(out[-1])
    best = int(re.search(r"at epoch (\d+)\)\.$", trained["stop_reason"]).group(1))
    assert code == 0 and best < trained["epochs"]
    code, out, _ = run(capsys, "inspect", path)
    assert code == 0
    assert f"Test MSE at epoch {best}, whose weights were kept: {trained['test_mse']:.4f}" in out[-2]


def test_non_finite_loss_reports_the_restored_model_and_exits_1(capsys):
    code, out, err = run(capsys, "train", *TINY, "--optimizer", "sgd", "--lr", "1e6", "--json")
    assert code == 1
    assert len(err) == 1 and err[0].startswith("Training stopped at epoch 1: the loss became nan (non-finite).")
    summary = json.loads(out[-1])
    assert summary["epochs"] == 0 and summary["stop_reason"] == err[0]
    assert out[0] == f"Test MSE: {summary['test_mse']:.4f}" and summary["test_mse"] < 10  # initial, finite weights


def test_json_summary_turns_non_finite_numbers_into_null():
    summary = json_safe({"test_mse": float("inf"), "pca_mse": 0.5, "train_loss": float("nan"), "epochs": 3})
    assert json.loads(json.dumps(summary, allow_nan=False)) == {
        "test_mse": None,
        "pca_mse": 0.5,
        "train_loss": None,
        "epochs": 3,
    }


def test_save_then_inspect(capsys, tmp_path):
    path = str(tmp_path / "model.dae")
    code, out, _ = run(capsys, "train", *TINY, "--hidden-layers", "16", "--save", path, "--json")
    assert code == 0 and f"Saved the model to {path}" in out
    trained_summary = json.loads(out[-1])

    code, out, err = run(capsys, "inspect", path)
    assert code == 0 and err == []
    assert out[0] == f"Model file: {path}"
    assert "Layers (956 parameters):" in out
    assert "  encoder.0: 20 -> 16, leaky_relu, weight (16, 20)" in out
    assert f"Final test MSE {trained_summary['test_mse']:.4f}" in out[-1]

    code, out, _ = run(capsys, "inspect", path, "--json")
    described = json.loads(out[-1])
    assert code == 0 and len(out) == 1
    assert described == model_file.describe(model_file.load(path))
    assert described["config"] == trained_summary["config"]
    assert described["test_mse"] == pytest.approx(trained_summary["test_mse"], rel=1e-6)


def test_plot_writes_an_offline_plotly_page(capsys, tmp_path):
    pytest.importorskip("dae_core.figures")
    path = tmp_path / "seed.html"
    code, out, _ = run(capsys, "train", *TINY, "--plot", str(path))
    page = path.read_text(encoding="utf-8")
    assert code == 0 and out[-1] == f"Wrote the plot to {path}"
    assert page.startswith("<!DOCTYPE html>") and "plotly" in page.lower()
    assert page.count('class="plotly-graph-div"') == 2  # the seed's comparison and the loss curves


def test_baseline_line_states_which_baselines_it_beats():
    line = lambda test, identity, pca: baseline_line(Summary(test, identity, pca), 8)  # noqa: E731
    assert line(0.5, 0.04, 0.51).endswith(
        "this model is 0.98x PCA-8 and 12.50x identity (lower is better), so it beats PCA-8 but not the identity "
        "(the noisy input itself is closer to the clean data)."
    )
    assert line(0.01, 0.04, 0.51).endswith("so it beats both.")
    assert line(0.03, 0.04, 0.01).endswith("so it beats the identity but not PCA-8.")
    assert line(0.6, 0.04, 0.51).endswith("so it beats neither.")


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


HELP = "Run 'python -m dae_core train --help' to see the flags."


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--hidden-dim", "abc"], f"argument --hidden-dim: expected an integer, got 'abc'. {HELP}"),
        (["train", "--lr", "fast"], f"argument --lr: expected a number, got 'fast'. {HELP}"),
        (["train", "--lr", "nan"], f"argument --lr: expected a finite number, got 'nan'. {HELP}"),
        (
            ["train", "--hidden-layers", "128;16"],
            "argument --hidden-layers: expected comma-separated layer widths such as '128,64' (or '' for none), "
            f"got '128;16'. {HELP}",
        ),
        (
            ["train", "--noise", "speckle"],
            "argument --noise: invalid choice: 'speckle' (choose from 'gaussian', 'masking', 'salt_pepper'). " + HELP,
        ),
        (["train", "--hiden-dim", "4"], "unknown flag '--hiden-dim'; did you mean '--hidden-dim'?"),
        (["train", "--epochs"], f"argument --epochs: expected one argument. {HELP}"),
        (
            ["train", "--hidden-dim", "0"],
            "--hidden-dim: The 'hidden_dim' parameter of ModelConfig must be an int in [1, 4096]. Got 0 instead.",
        ),
        (
            ["train", "--noise-level", "5", "--epochs", "0"],
            "--noise-level: The 'noise_level' parameter of NoiseConfig must be a float in [0, 3]. Got 5.0 instead. "
            "--epochs: The 'epochs' parameter of TrainConfig must be an int in [1, 10000]. Got 0 instead.",
        ),
        (
            ["train", "--dataset", "cifar"],
            "argument --dataset: invalid choice: 'cifar' (choose from 'synthetic', 'digits', 'moons', 'circles', "
            f"'spiral', 'photos', 'mnist', 'fashion-mnist', 'images', 'csv'). {HELP}",
        ),
        (
            ["train", "--csv", "t.csv", "--dataset", "digits"],
            "--csv reads a table, but --dataset is 'digits'. Drop one of the two.",
        ),
        (
            ["train", "--label-column", "y"],
            "--label-column only applies to a CSV table. Add --csv PATH or drop --label-column.",
        ),
        (
            ["train", "--dataset", "csv"],
            "The 'csv' dataset needs a table: pass --csv PATH or upload a file.",
        ),
        (["train", "--csv", "missing.csv"], "CSV file 'missing.csv' does not exist. Check the path and try again."),
        (["train", "--plot", "plot.png"], "--plot writes an HTML page; give a path ending in .html, not 'plot.png'."),
        (["train", "--threads", "0"], "--threads must be an int in [1, 256]. Got 0 instead."),
        (
            ["inspect"],
            "the following arguments are required: MODEL. Run 'python -m dae_core inspect --help' to see the flags.",
        ),
    ],
)
def test_bad_flags_exit_2_with_one_error_line(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert (code, out, err) == (2, [], [f"error: {message}"])


def test_bad_csv_exits_2(capsys, tmp_path):
    path = _write(tmp_path, "bad.csv", "a,b,name\n" + "".join(f"{i},{i},row{i}\n" for i in range(20)))
    code, out, err = run(capsys, "train", "--csv", path)
    assert (code, out) == (2, [])
    assert err == [
        "error: Column(s) 'name' are not numeric. Remove them from the table, or name one as the label column "
        "(--label-column on the command line, Label column in the app)."
    ]


def test_save_into_a_missing_folder_exits_2_before_training(capsys, tmp_path):
    path = str(tmp_path / "nowhere" / "model.dae")
    code, out, err = run(capsys, "train", "--save", path)
    folder = str(tmp_path / "nowhere")
    assert (code, out) == (2, [])
    assert err == [f"error: --save '{path}': folder '{folder}' does not exist. Create it or choose another path."]


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_csv_given_a_folder_says_so_and_exits_2(capsys, tmp_path, command):
    code, out, err = run(capsys, command, "--csv", str(tmp_path))
    table = str(tmp_path / "table.csv")
    assert (code, out) == (2, [])
    assert err == [f"error: --csv '{tmp_path}' is a folder. Give a CSV file, e.g. '{table}'."]


def test_save_onto_a_folder_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "train", "--save", str(tmp_path))
    assert code == 2 and err[0].startswith(f"error: --save '{tmp_path}' is a folder.") and len(err) == 1


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("broken.dae", b"PK\x03\x04 not really a zip", None),
        ("pickled.pt", pickle.dumps({"weights": [1.0, 2.0]}), "is a pickle-based file"),
        ("text.dae", "hello", None),
    ],
)
def test_inspect_rejects_bad_model_files_with_one_line(capsys, tmp_path, name, content, reason):
    path = _write(tmp_path, name, content)
    code, out, err = run(capsys, "inspect", path)
    assert (code, out, len(err)) == (2, [], 1)
    assert err[0].startswith(f"error: Model file '{path}'")
    assert reason is None or reason in err[0]


def test_inspect_a_missing_file_exits_2(capsys, tmp_path):
    path = str(tmp_path / "missing.dae")
    code, out, err = run(capsys, "inspect", path)
    assert (code, out, len(err)) == (2, [], 1)
    assert err[0].startswith(f"error: Model file '{path}' does not exist.")


def test_python_dash_m_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "dae_core", "train", "--epochs", "2", "--n-samples", "100"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stderr
    assert EPOCH_LINE.match(lines[0]) and TEST_LINE.match(lines[1]) and BASELINE_LINE.match(lines[2])


def test_the_entry_point_flushes_its_output_and_runs_exit_handlers_before_it_ends():
    """It ends without the interpreter's teardown (``dae_core.__main__.exit_now``); nothing the user sees is lost."""
    code = (
        "import atexit, runpy, sys; atexit.register(print, 'exit handler ran'); "
        "sys.argv = ['dae_core', 'train', '--epochs', '2', '--n-samples', '100', '--json']; "
        "runpy.run_module('dae_core', run_name='__main__', alter_sys=True)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    lines = result.stdout.splitlines()  # a pipe: block-buffered, so unflushed lines would be missing
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(lines[-2])["epochs"] == 2 and lines[-1] == "exit handler ran"


@pytest.mark.parametrize(
    "words",
    [["train", "--epochs", "2", "--n-samples", "100"], ["datasets", "list"]],  # each line flushed; all at the end
)
def test_a_reader_that_leaves_early_ends_the_command_quietly(words):
    """``python -m dae_core train | head -1``: the shell's status for a closed pipe, and no traceback, whether the
    output meets the closed pipe as it is printed or when it is flushed at the end."""
    command = [sys.executable, "-m", "dae_core", *words]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout block-buffered, as usual
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                          env=env) as process:  # fmt: skip
        process.stdout.close()  # before the command writes its first line
        stderr = process.stderr.read()
        assert (process.wait(timeout=120), stderr) == (141, "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n" + "\n".join(f"{'1e308' if i % 2 else '-1e308'},{i}" for i in range(20)),
         "error: Column 'a' holds values as large as 1e+308; this app takes values up to 1e+30 in size"),
        ("a,b,c\n", "error: The CSV has a header ('a', 'b', 'c') but no rows. Add at least 10 rows of numbers"),
        ("", "error: The CSV file is empty. Upload a table with a header row and at least 10 rows of numbers."),
    ],
)  # fmt: skip
def test_tables_that_cannot_train_exit_2_with_one_line(capsys, tmp_path, text, message):
    table = tmp_path / "table.csv"
    table.write_text(text)
    code, out, err = run(capsys, "train", "--csv", str(table), "--epochs", "1")
    assert code == 2 and out == [] and len(err) == 1 and err[0].startswith(message), err


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("lrr@3=0.01", "'lrr@3=0.01': 'lrr' is not a setting that can change while a run trains; did you mean 'lr'?"),
        ("lr@x=0.01", "'lr@x=0.01': the epoch must be a whole number, like lr@400=0.01."),
        ("lr@3", "'lr@3': write each item as NAME@EPOCH=VALUE, like lr@400=0.01."),
        ("lr@6=0.01", "'lr@6=0.01': the epoch must be between 0 and 5: the change applies after that many of the "
                      "run's 6 epochs."),
        ("lr@-1=0.01", "'lr@-1=0.01': the epoch must be between 0 and 5: the change applies after that many of the "
                       "run's 6 epochs."),
        ("noise_level@2=4", "'noise_level@2=4': Noise level (noise_level) must be a float in [0, 3]. Got 4.0 instead."),
        ("lr@2=inf", "'lr@2=inf': Learning rate (lr) must be a float in (0, 1e+07]. Got inf instead."),
    ],
)  # fmt: skip
def test_bad_schedules_exit_2_with_one_error_line_before_training(capsys, schedule, message):
    code, out, err = run(capsys, "train", "--epochs", "6", "--n-samples", "200", "--schedule", schedule)
    assert (code, out, err) == (2, [], [f"error: --schedule {message}"])


def test_a_schedule_changes_the_settings_from_the_epoch_after_it(capsys, tmp_path):
    path = str(tmp_path / "scheduled.dae")
    argv = ["train", "--epochs", "6", "--n-samples", "200", "--schedule", "lr@3=0.01,noise_level@5=0.4"]
    code, out, _ = run(capsys, *argv, "--save", path, "--json")
    assert code == 0
    report = json.loads(out[-1])
    assert report["schedule"] == "lr@3=0.01,noise_level@5=0.4"
    assert (report["config"]["train"]["lr"], report["config"]["noise"]["noise_level"]) == (1e-3, 0.2)  # the start
    history = model_file.load(path).history
    assert [record.lr for record in history] == [1e-3] * 3 + [0.01] * 3
    assert [record.noise_level for record in history] == [0.2] * 5 + [0.4]
    assert report["test_mse"] == pytest.approx(history[-1].test_mse)  # measured at the level it ended with


def test_sweep_takes_no_schedule(capsys):
    code, out, err = run(capsys, "sweep", "--schedule", "lr@3=0.01")
    assert (code, out) == (2, []) and err[0].startswith("error: unknown flag '--schedule'") and len(err) == 1


def test_a_run_out_of_gpu_memory_exits_2_with_one_line_naming_what_to_lower(capsys, monkeypatch):
    def out_of_memory(self):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.1 GiB total)")

    monkeypatch.setattr(Trainer, "_train_epoch", out_of_memory)
    code, out, err = run(capsys, "train", *TINY)
    assert (code, out, len(err)) == (2, [], 1)
    assert err[0].startswith("error: This run needed more memory than the GPU had free. Lower the batch size")
    assert "train on the CPU (device: cpu)" in err[0]
