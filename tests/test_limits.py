"""Limits: validated at construction, read from the environment, and the parameter budget's message."""

import pytest

from dae_core import ConfigError
from dae_core.serving.limits import Limits


def test_limits_come_from_the_environment():
    assert Limits.from_env({"DAE_MAX_CONCURRENT_JOBS": "3"}).max_concurrent_jobs == 3
    assert Limits.from_env({}, idle_seconds=120).idle_seconds == 120


def test_a_bad_environment_value_says_what_to_fix():
    with pytest.raises(ConfigError) as error:
        Limits.from_env({"DAE_MAX_CONCURRENT_JOBS": "many"})
    assert str(error.value) == "DAE_MAX_CONCURRENT_JOBS must be an int >= 1. Got 'many' instead. Fix or unset it."


def test_bad_limits_are_all_reported_at_once():
    with pytest.raises(ConfigError) as error:
        Limits(idle_seconds=0, max_parameters=0)
    assert str(error.value).splitlines() == [
        "The 'idle_seconds' parameter of Limits must be a positive number. Got 0 instead.",
        "The 'max_parameters' parameter of Limits must be an int >= 1. Got 0 instead.",
    ]


def test_the_parameter_budget():
    Limits(max_parameters=10).check_parameters(10)
    with pytest.raises(ConfigError, match=r"This model has 11 parameters; the limit here is 10 \(DAE_MAX_PARAMETERS\)"):
        Limits(max_parameters=10).check_parameters(11)


def test_the_public_profile_and_each_variable():
    from dae_core.serving.limits import LIMITS_TABLE, PROFILES

    public = Limits.from_env({"DAE_PROFILE": "public"})
    assert all(getattr(public, name) == value for name, value in PROFILES["public"].items())
    assert Limits.from_env({"DAE_PROFILE": "public", "DAE_MAX_EPOCHS": "30"}).max_epochs == 30  # a variable wins
    for name, (variable, _) in LIMITS_TABLE.items():
        value = getattr(Limits(), name)
        read = Limits.from_env({variable: str(value + 1)})
        assert getattr(read, name) == value + 1, variable
    with pytest.raises(ConfigError, match="DAE_PROFILE must be one of local, public. Got 'shared' instead."):
        Limits.from_env({"DAE_PROFILE": "shared"})
    with pytest.raises(ConfigError, match="DAE_RETENTION_DAYS must be a positive number. Got 'soon' instead."):
        Limits.from_env({"DAE_RETENTION_DAYS": "soon"})


def test_settings_past_a_limit_are_refused_naming_it(tiny_config):
    limits = Limits(max_rows=1000, max_epochs=100)
    assert limits.refusal("n_samples", 1000) is None and limits.refusal("lr", 1e6) is None
    assert limits.refusal("n_samples", 10**12) == (
        "The number of samples is limited to 1,000 rows here (DAE_MAX_ROWS); 1,000,000,000,000 rows asked. "
        "Ask for at most 1,000."
    )
    with pytest.raises(ConfigError, match=r"The number of epochs is limited to 100 epochs here \(DAE_MAX_EPOCHS\)"):
        limits.check_config(tiny_config.replace(epochs=101))
    with pytest.raises(ConfigError, match=r"The number of samples is limited .* \(DAE_MAX_ROWS\); 5,000 rows"):
        limits.check_config(tiny_config.replace(dataset="csv"), n_features=3, n_rows=5000)
    with pytest.raises(ConfigError, match="uploads are limited to 1 MB here"):
        Limits(upload_mb=1).check_upload(2 * 2**20)


def test_the_readme_table_has_a_row_for_every_limit():
    from pathlib import Path

    from dae_core.serving.limits import LIMITS_TABLE, PROFILES

    readme = Path(__file__).resolve().parents[1].joinpath("README.md").read_text()
    for name, (variable, _) in LIMITS_TABLE.items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{variable}` |")), None)
        assert row is not None, f"README has no row for {variable}"
        public = PROFILES["public"].get(name)
        if public is not None and name not in ("max_concurrent_jobs",):
            shown = f"{public:,}" if isinstance(public, int) else f"{public:g}"
            assert f"| {shown} |" in row, (variable, row)


def test_a_visitor_past_their_runs_is_refused_naming_the_variable():
    limits = Limits.from_env({"DAE_PROFILE": "public"})
    limits.check_runs_of_visitor(1)
    with pytest.raises(ConfigError) as error:
        limits.check_runs_of_visitor(2)
    assert str(error.value) == (
        "You have 2 runs training or waiting, the most one visitor may have here (DAE_RUNS_PER_SESSION). Stop one, "
        "or wait for one to end."
    )
    assert Limits().runs_per_session == 8 and Limits.from_env({"DAE_RUNS_PER_SESSION": "3"}).runs_per_session == 3
