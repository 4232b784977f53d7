"""Limits: validated at construction, read from the environment, and the parameter budget's message."""

import pytest

from dae_core import ConfigError
from dae_core.limits import Limits


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
    with pytest.raises(ConfigError, match="This model has 11 parameters; the limit here is 10."):
        Limits(max_parameters=10).check_parameters(11)
