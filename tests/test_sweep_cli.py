"""``python -m dae_core sweep``: the table, the JSON line, saved models, local processes, a Dask cluster, and
one-line errors for bad sweeps."""

import json

import pytest

from dae_core import model_file
from dae_core.cli import main

TINY = ["--epochs", "3", "--n-samples", "200", "--n-features", "8", "--hidden-dim", "3"]
TRAIN_KEYS = {"test_mse", "identity_mse", "pca_mse", "test_psnr", "psnr", "baselines", "ratio_to_identity", "ratio_to_pca", "train_loss",
              "epochs", "train_seconds", "stop_reason", "device", "saved", "config"}  # fmt: skip


def run(capsys, *argv):
    code = main(["sweep", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_json_has_a_run_per_combination_with_the_train_keys(capsys):
    code, out, err = run(capsys, *TINY, "--noise-level", "0.1,0.3", "--seed", "0,1", "--json")
    assert code == 0 and err == []
    report = json.loads(out[-1])
    assert set(report) == {"runs", "sweep_seconds", "batched", "groups", "jobs", "scheduler"}
    assert (report["batched"], report["groups"], report["jobs"], report["scheduler"]) == (True, 1, 1, None)
    runs = report["runs"]
    assert [(r["config"]["noise"]["noise_level"], r["config"]["train"]["seed"]) for r in runs] == [
        (0.1, 0), (0.1, 1), (0.3, 0), (0.3, 1)
    ]  # fmt: skip
    for r in runs:
        assert TRAIN_KEYS | {"worker", "group", "batched"} == set(r)
        assert (r["worker"], r["epochs"], r["batched"]) == ("local", 3, True)
        assert r["test_mse"] > 0 and r["identity_mse"] > 0 and r["pca_mse"] > 0


def test_json_run_matches_train_json_for_a_sweep_of_one(capsys):
    code, out, _ = run(capsys, *TINY, "--noise-level", "0.2", "--json")
    swept = json.loads(out[-1])["runs"][0]
    assert code == 0 and not swept["batched"]
    assert main(["train", *TINY, "--noise-level", "0.2", "--json"]) == 0
    alone = json.loads(capsys.readouterr().out.splitlines()[-1])
    for key in ("test_mse", "identity_mse", "pca_mse", "train_loss", "config"):
        assert swept[key] == alone[key], key


def test_the_table_has_a_row_per_run(capsys):
    code, out, _ = run(capsys, *TINY, "--hidden-dim", "2,3", "--lr", "0.001,0.01")
    header = next(i for i, line in enumerate(out) if line.lstrip().startswith("#"))
    rows = out[header + 1 : header + 5]
    assert code == 0 and out[header + 5].startswith("* trained batched")
    assert [row.split()[0] for row in rows] == ["1", "2", "3", "4"]
    # the product in a fixed order of the settings (noise, level, seed, lr, code, layers), the last fastest
    assert [(row.split()[4], row.split()[5]) for row in rows] == [("0.001", "2"), ("0.001", "3"), ("0.01", "2"),
                                                                  ("0.01", "3")]  # fmt: skip
    assert all(row.split()[-1] == "local" and row.split()[-2].endswith("*") for row in rows)


def test_hidden_layer_lists_are_separated_by_semicolons(capsys):
    code, out, _ = run(capsys, *TINY, "--hidden-layers", "6;6,4", "--json")
    runs = json.loads(out[-1])["runs"]
    assert code == 0 and [r["config"]["model"]["hidden_layers"] for r in runs] == [[6], [6, 4]]


def test_save_writes_every_model(capsys, tmp_path):
    folder = tmp_path / "models"
    code, out, _ = run(capsys, *TINY, "--seed", "0,1", "--save", str(folder), "--json")
    runs = json.loads(out[-1])["runs"]
    assert code == 0 and [r["saved"] for r in runs] == [str(folder / "run-01.dae"), str(folder / "run-02.dae")]
    for r in runs:
        assert model_file.load(r["saved"]).config.train.seed == r["config"]["train"]["seed"]


def test_jobs_spread_groups_over_local_processes_with_the_same_results(capsys):
    argv = [*TINY, "--hidden-dim", "2,3", "--noise-level", "0.1,0.3", "--json"]
    code, out, _ = run(capsys, *argv, "--jobs", "2")
    spread = json.loads(out[-1])
    assert code == 0 and (spread["groups"], spread["jobs"]) == (2, 2)
    _, out, _ = run(capsys, *argv)
    here = json.loads(out[-1])
    assert [r["test_mse"] for r in spread["runs"]] == [r["test_mse"] for r in here["runs"]]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--noise-level", "0.1,,0.3"], "argument --noise-level: empty item in '0.1,,0.3'; give values separated by "
                                        "single ','"),
        (["--epochs", "3,5"], "argument --epochs: takes one value in a sweep, got '3,5'; only --noise, --noise-level, "
                              "--seed, --lr, --hidden-dim, --hidden-layers take lists"),
        (["--seed", "0,1,2", "--lr", "0.001,0.01", "--max-runs", "4"], "This sweep has 6 runs (3 seed x 2 lr); the "
                                                                        "limit is 4. Give fewer values."),
        (["--noise", "gaussian,blur"], "argument --noise: invalid choice 'blur' (choose from gaussian, masking, "
                                       "salt_pepper)"),
        (["--noise-level", "0.1,x"], "argument --noise-level: expected a number, got 'x'"),
        (["--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"], "--jobs runs groups in local processes and --scheduler "
                                                              "sends them to Dask: give one."),
    ],
)  # fmt: skip
def test_bad_sweeps_exit_2_with_one_error_line(capsys, argv, message):
    code, out, err = run(capsys, *TINY, *argv)
    assert code == 2 and out == []
    assert len(err) == 1 and err[0].startswith("error: ")
    assert message in err[0], err[0]


def test_a_scheduler_that_does_not_answer_exits_2(capsys):
    code, _, err = run(capsys, *TINY, "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and len(err) == 1
    assert err[0].startswith("error: --scheduler 'tcp://127.0.0.1:9': no Dask scheduler answered")


def test_a_sweep_on_a_dask_cluster_matches_the_local_sweep(capsys):
    distributed = pytest.importorskip("distributed")
    argv = [*TINY, "--hidden-dim", "2,3", "--noise-level", "0.1,0.3", "--json"]
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster:
        code, out, err = run(capsys, *argv, "--scheduler", cluster.scheduler_address)
        workers = set(cluster.scheduler_info["workers"])
    assert code == 0, err
    remote = json.loads(out[-1])
    assert remote["scheduler"] == cluster.scheduler_address and len(remote["runs"]) == 4
    assert {r["worker"] for r in remote["runs"]} <= workers  # each run says which worker trained it
    _, out, _ = run(capsys, *argv)
    here = json.loads(out[-1])
    assert [r["test_mse"] for r in remote["runs"]] == [r["test_mse"] for r in here["runs"]]


def test_a_conv_sweep_on_pictures_in_a_folder_trains_the_same_in_other_processes(capsys, tmp_path):
    """Workers get the pictures' bytes (a folder packed into a zip), not a path they may not have."""
    import io
    import zipfile

    from app_driver import picture_zip

    with zipfile.ZipFile(io.BytesIO(picture_zip(per_folder=6, size=8))) as archive:
        archive.extractall(tmp_path / "pictures")
    argv = ["--images", str(tmp_path / "pictures"), "--image-size", "8", "--architecture", "conv",
            "--conv-channels", "4", "--code-channels", "2", "--epochs", "2", "--noise-level", "0.1,0.3", "--json"]  # fmt: skip
    code, out, err = run(capsys, *argv, "--jobs", "2")
    spread = json.loads(out[-1])
    assert code == 0, err
    assert spread["groups"] == 2  # conv members train alone
    assert {r["config"]["model"]["architecture"] for r in spread["runs"]} == {"conv"}
    _, out, _ = run(capsys, *argv)
    assert [r["test_mse"] for r in spread["runs"]] == [r["test_mse"] for r in json.loads(out[-1])["runs"]]
    from dae_core import RunConfig
    from dae_core.cli.sweep import _table

    sent = _table(RunConfig().replace(dataset="images", images_path=str(tmp_path / "pictures")))
    with zipfile.ZipFile(io.BytesIO(sent)) as archive:
        assert sorted(archive.namelist()) == [f"{f}/{i:02d}.png" for f in ("checks", "stripes") for i in range(6)]
