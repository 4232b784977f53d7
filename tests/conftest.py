"""Shared fixtures: a fixed seed for every test, and tiny configs and datasets that train in milliseconds."""

import os
import tempfile

import numpy as np
import pytest
import torch

from dae_core import RunConfig, load_dataset

torch.set_num_threads(1)  # tiny models train faster on one thread, and results do not depend on it
# The visitors' saved runs (dae_core.serving.store) go to a folder of this test session, never the user's own; the browser
# tests' servers inherit it.
os.environ["DAE_DATA_DIR"] = tempfile.mkdtemp(prefix="dae-lab-tests-")


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)
    torch.manual_seed(0)


@pytest.fixture
def tiny_config() -> RunConfig:
    """The seed's setup shrunk to 200 rows, 8 features and 3 epochs."""
    return RunConfig().replace(n_samples=200, n_features=8, hidden_dim=3, epochs=3)


@pytest.fixture
def tiny_dataset(tiny_config):
    return load_dataset(tiny_config.data)


@pytest.fixture(scope="session")
def digits_dataset():
    return load_dataset(RunConfig().replace(dataset="digits").data)


THIS_BROWSER = "b" * 43  # the browser secret (dashboard.headers' cookie) of every AppTest session, unless told


@pytest.fixture(autouse=True)
def _one_browser(monkeypatch):
    """AppTest sends no cookies: its sessions are one browser's, as a reload's or a second tab's would be
    (``app_driver.open_app(browser=...)`` opens another browser's)."""
    import dashboard.session

    monkeypatch.setattr(dashboard.session, "browser_cookie", lambda: THIS_BROWSER)


@pytest.fixture
def app():
    """The dashboard under AppTest after its first run, on Home; any job it started is stopped afterwards.

    The browser tests (tests/e2e) have a fixture of the same name that serves the real app instead.
    """
    from app_driver import open_app, stop_job

    at = open_app()
    yield at
    stop_job(at)
