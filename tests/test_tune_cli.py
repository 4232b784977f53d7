"""``python -m dae_core tune``: the report, the best as a command and a model file, one-line errors for bad search
input, and two processes sharing one SQLite study."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dae_core import model_file
from dae_core.cli import main

TINY = ["--epochs", "4", "--n-samples", "200", "--n-features", "8", "--hidden-dim", "3", "--jobs", "1"]
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DAE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DAE_MAX_TRIALS", raising=False)
    monkeypatch.delenv("DAE_PROFILE", raising=False)


def run(capsys, *argv):
    code = main(["tune", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_json_reports_the_best_with_the_train_keys_and_every_trial(capsys, tmp_path):
    code, out, err = run(capsys, *TINY, "--search", "lr=1e-4..1e-1:log", "--trials", "3", "--save", str(tmp_path),
                         "--json")  # fmt: skip
    assert code == 0 and err == []
    report = json.loads(out[-1])
    assert {"test_mse", "identity_mse", "pca_mse", "baselines", "ratio_to_pca", "config", "epochs"} <= set(report)
    assert {"n_pruned", "n_complete", "n_failed", "best_trial", "best_params", "command", "study", "trials"} <= set(
        report
    )
    assert [trial["state"] for trial in report["trials"]] == ["complete"] * 3 and report["n_pruned"] == 0
    best = min(report["trials"], key=lambda trial: trial["value"])
    assert report["best_trial"] == best["number"] and report["test_mse"] == pytest.approx(best["value"], rel=1e-6)
    assert report["command"].startswith("python -m dae_core train ") and "--lr" in report["command"]
    assert report["storage"].endswith("studies.db") and (tmp_path / "data" / "studies.db").exists()
    saved = model_file.load(tmp_path / "best.dae")
    assert saved.config.train.lr == pytest.approx(report["best_params"]["lr"])
    assert any(line.startswith("Train it: python -m dae_core train") for line in out)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--search", "hiden_dim=2..64"], "error: --search: There is no setting 'hiden_dim' to search."),
        (["--search", "hidden_dim=8..8"], "error: --search: 'hidden_dim=8..8' is an empty range"),
        (["--search", "lr=0.1..0.001"], "error: --search: 'lr=0.1..0.001': the low end is above the high end."),
        (["--search", "lr=0..0.1:log"], "error: --search: 'lr=0..0.1:log': a log scale needs both ends above 0"),
        (
            ["--trials", "201"],
            "error: --trials must be between 1 and 200, the most one search runs here (DAE_MAX_TRIALS)",
        ),
        (["--trials", "0"], "error: --trials must be between 1 and 200"),
        (["--test-noise", "masking"], "error: --test-noise: A test noise is TYPE:LEVEL"),
        (["--metric", "probe_accuracy", "--pruner", "median"], "error: Pruning needs a number at every epoch"),
        (["--schedule", "lr@2=0.01"], "error: tune trains every trial under fixed settings; drop --schedule."),
        (["--timeout", "0"], "error: --timeout must be above 0 seconds"),
        (["--save", "no/such/folder"], "error: --save 'no/such/folder' is not a folder"),
        (["--storage", "nosuchdb://x"], "error: The study's storage 'nosuchdb://x' cannot be opened"),
    ],
)
def test_bad_search_input_exits_2_with_one_error_line(capsys, argv, message):
    code, out, err = run(capsys, *TINY, "--search", "lr=1e-3..1e-2", *argv)
    assert code == 2 and len(err) == 1 and err[0].startswith(message), err


def test_the_trial_budget_follows_the_server_s_limit(capsys, monkeypatch):
    monkeypatch.setenv("DAE_MAX_TRIALS", "5")
    code, _, err = run(capsys, *TINY, "--trials", "6")
    assert code == 2 and err == ["error: --trials must be between 1 and 5, the most one search runs here "
                                 "(DAE_MAX_TRIALS). Got 6."]  # fmt: skip


def test_two_processes_on_one_sqlite_study_keep_every_trial_once(tmp_path):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    command = [sys.executable, "-m", "dae_core", "tune", *TINY, "--search", "lr=1e-4..1e-1:log hidden_dim=2..6",
               "--trials", "4", "--pruner", "none", "--storage", storage, "--study", "shared", "--json"]  # fmt: skip
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                  cwd=tmp_path) for _ in range(2)]  # fmt: skip
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        reports.append(json.loads(out.splitlines()[-1]))
    import optuna

    study = optuna.load_study(study_name="shared", storage=storage)
    numbers = sorted(trial.number for trial in study.trials)
    assert numbers == list(range(8))  # the union of both: 4 + 4, none lost, none twice
    assert all(trial.state == optuna.trial.TrialState.COMPLETE for trial in study.trials)
    assert len({trial._trial_id for trial in study.trials}) == 8
    last = max(reports, key=lambda report: report["n_trials"])
    assert last["n_trials"] == 8  # the process that ended last saw every trial


def test_the_help_says_how_to_write_a_search(capsys):
    with pytest.raises(SystemExit):
        main(["tune", "--help"])
    out = capsys.readouterr().out
    assert "NAME=LOW..HIGH" in out and "--storage" in out and "hidden_layers" in out
