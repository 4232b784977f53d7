"""Links and commands: a config survives the query string and the command line, and bad links are explained."""

import shlex

import pytest

from dae_core import RunConfig
from dae_core.cli import build_parser
from dae_core.cli.flags import config_from_args
from dae_core.records import EpochRecord
from dae_core.share import config_from_query, to_cli_command, to_query

CHANGED = RunConfig().replace(
    dataset="digits",
    hidden_dim=16,
    hidden_layers=[128, 64],
    activation="tanh",
    noise="masking",
    noise_level=0.3,
    loss="huber",
    optimizer="sgd",
    lr=0.05,
    batch_size=0,
    epochs=7,
    seed=3,
    tied_weights=True,
)


def parse_command(command: str) -> RunConfig:
    words = shlex.split(command.split("  #")[0])
    assert words[:4] == ["python", "-m", "dae_core", "train"]
    args = build_parser().parse_args(words[3:])
    return config_from_args(args)


@pytest.mark.parametrize(
    "config",
    [
        RunConfig(),
        CHANGED,
        RunConfig().replace(dataset="moons", n_samples=300, hidden_layers=[]),
        RunConfig().replace(n_features=12, hidden_dim=2, noise="salt_pepper", noise_level=0.1, optimizer="adamw"),
    ],
)
def test_link_and_command_round_trip(config):
    assert config_from_query(to_query(config)) == (config, [])
    assert parse_command(to_cli_command(config)) == config


def test_link_holds_only_changed_fields():
    assert to_query(RunConfig()) == {}
    assert to_query(RunConfig().replace(hidden_dim=16, lr=0.01)) == {"hidden_dim": "16", "lr": "0.01"}


def test_command_names_only_changed_flags():
    assert to_cli_command(RunConfig()) == "python -m dae_core train"
    assert to_cli_command(RunConfig().replace(hidden_layers=[128, 64], lr=0.01)) == (
        "python -m dae_core train --hidden-layers 128,64 --lr 0.01"
    )


def test_csv_command_names_the_table_and_quotes_it():
    config = RunConfig().replace(dataset="csv", csv_path="my table.csv", label_column="class")
    command = to_cli_command(config)
    assert command == "python -m dae_core train --csv 'my table.csv' --label-column class"
    assert parse_command(command) == config
    assert "--csv TABLE.csv" in to_cli_command(RunConfig().replace(dataset="csv"))


def test_command_lists_fields_without_a_flag():
    command = to_cli_command(RunConfig().replace(class_sep=2.0))
    assert command == "python -m dae_core train  # no flag for: class_sep=2.0"


def _history(*lrs: float, noise_level: float = 0.2) -> tuple[EpochRecord, ...]:
    return tuple(EpochRecord(i, 0.6, 0.5, 0.04, 0.51, 0.01, 1e4, lr, noise_level) for i, lr in enumerate(lrs, 1))


def test_command_replays_a_runs_live_changes_with_a_schedule():
    config = RunConfig().replace(epochs=6)
    command = to_cli_command(config, history=_history(1e-3, 1e-3, 1e-3, 0.01, 0.01, 0.01))
    assert command == "python -m dae_core train --epochs 6 --schedule lr@3=0.01"
    args = build_parser().parse_args(shlex.split(command)[3:])
    assert (config_from_args(args), args.schedule) == (config, "lr@3=0.01")
    assert to_cli_command(config, history=_history(*[1e-3] * 6)) == "python -m dae_core train --epochs 6"
    assert to_cli_command(config, history=()) == "python -m dae_core train --epochs 6"


def test_link_never_carries_a_csv_path():
    config = RunConfig().replace(dataset="csv", csv_path="data.csv")
    assert to_query(config) == {"dataset": "csv"}
    restored, messages = config_from_query({"dataset": "csv", "csv_path": "/any/file.csv"})
    assert restored == RunConfig().replace(dataset="csv")
    assert messages == ["Link parameter 'csv_path' was ignored: a link cannot name a file. Upload the table instead."]


def test_bad_link_values_are_named_and_the_good_ones_kept():
    restored, messages = config_from_query({"hidden_dim": "abc", "lr": "0.01", "hidden_dm": "3"})
    assert restored == RunConfig().replace(lr=0.01)
    assert messages == [
        "Link parameter 'hidden_dim=abc' was ignored: Code size (hidden_dim) must be an int. "
        "Got 'abc' instead. Kept the default (8).",
        "Link parameter 'hidden_dm=3' was ignored: Unknown key 'hidden_dm' for RunConfig. Did you mean 'hidden_dim'?",
    ]


def test_out_of_range_link_value_names_the_range():
    restored, messages = config_from_query({"epochs": "0"})
    assert restored == RunConfig()
    assert messages == [
        "Link parameter 'epochs=0' was ignored: Epochs (epochs) must be an int in "
        "[1, 10000]. Got 0 instead. Kept the default (50)."
    ]


def test_link_values_that_clash_fall_back_to_defaults():
    restored, messages = config_from_query({"noise": "masking", "noise_level": "2"})
    assert restored == RunConfig()
    assert messages == [
        "The link's parameters do not fit together: Noise level (noise_level) must be a float "
        "in [0, 1]. Got 2.0 instead. Using the defaults for all of them."
    ]


def test_repeated_link_parameter_uses_the_last_value():
    assert config_from_query({"hidden_dim": ["4", "6"]}) == (RunConfig().replace(hidden_dim=6), [])


def test_a_long_link_value_or_key_is_refused_without_being_echoed():
    config, messages = config_from_query({"epochs": "9" * 10_000, "x" * 5000: "1", "lr": "0.01"})
    assert config == RunConfig().replace(lr=0.01)
    assert messages == [
        "Link parameter 'epochs' was ignored: its value is 10,000 characters long; a setting takes at most 200. "
        "Kept the default (50).",
        f"Link parameter '{'x' * 40}…' was ignored: no setting has a name that long (5,000 characters).",
    ]
