"""An exported command reproduces a dashboard run that had live changes: the job's test MSE, to 1e-4.

A run trains in a ``TrainingJob`` (the dashboard's background job), held after some epochs while a live setting
changes; ``share.to_cli_command`` with the run's history writes the command, with its ``--schedule``, and the
command line trains it again.
"""

import json
import shlex

import pytest

from dae_core import RunConfig
from dae_core.cli import main
from dae_core.serving.job import DONE, PAUSED, TrainingJob
from dae_core.share import to_cli_command

WAIT = 60.0  # seconds before a wait gives up; only reached when something is broken
CONFIG = RunConfig().replace(n_samples=300, epochs=8)


def train_in_a_job(config: RunConfig, changes: dict[int, dict[str, float]]):
    """The job's final snapshot after training ``config``, taking ``changes[k]`` live once k epochs are done."""
    job = TrainingJob(config, start_paused=True).start()
    for epoch in range(config.train.epochs):
        snapshot = job.wait_for(lambda s, n=epoch: s.epoch == n and s.status == PAUSED, WAIT)
        assert (snapshot.epoch, snapshot.status) == (epoch, PAUSED), snapshot.reason
        if epoch in changes:
            job.update(snapshot.settings.replace_live(**changes[epoch]))
        job.step()
    assert job.join(WAIT)
    snapshot = job.snapshot()
    assert (snapshot.status, snapshot.epoch) == (DONE, config.train.epochs)
    return snapshot


def run_command(command: str, capsys) -> dict:
    """The exported command's ``train`` run in-process with ``--json``: its JSON report."""
    words = shlex.split(command)
    assert words[:4] == ["python", "-m", "dae_core", "train"]
    capsys.readouterr()
    assert main([*words[3:], "--json"]) == 0
    return json.loads(capsys.readouterr().out.splitlines()[-1])


@pytest.mark.parametrize(
    ("changes", "schedule"),
    [
        ({3: {"lr": 0.01}}, "lr@3=0.01"),
        ({2: {"noise_level": 0.5}, 5: {"lr": 0.003, "noise_level": 0.3}}, "noise_level@2=0.5,lr@5=0.003,noise_level@5=0.3"),
    ],
    ids=["lr", "noise-level-and-lr"],
)  # fmt: skip
def test_an_exported_command_reproduces_a_run_with_live_changes(capsys, changes, schedule):
    snapshot = train_in_a_job(CONFIG, changes)
    command = to_cli_command(snapshot.config, history=snapshot.history)
    assert command == f"python -m dae_core train --n-samples 300 --epochs 8 --schedule {schedule}"
    report = run_command(command, capsys)
    difference = abs(report["test_mse"] - snapshot.kept_record.test_mse)
    assert difference < 1e-4, (command, report["test_mse"], snapshot.kept_record.test_mse)
    # Without the schedule the command trains another run: the check above would catch a dropped schedule.
    plain = run_command(to_cli_command(snapshot.config), capsys)
    assert abs(plain["test_mse"] - snapshot.kept_record.test_mse) > 1e-4
