"""Fixtures for the page tests."""

import pytest
from app_driver import open_app, stop_job


@pytest.fixture
def app():
    """The app after its first run, on Home; any job it started is stopped afterwards."""
    at = open_app()
    yield at
    stop_job(at)
