"""The engine's boundaries: it never imports streamlit, and importing it stays cheap."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
MODULES = [
    "dae_core",
    "dae_core.analysis",
    "dae_core.cli",
    "dae_core.estimator",
    "dae_core.figures",
    "dae_core.io",
    "dae_core.job",
    "dae_core.share",
    "dae_core.training",
]


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return set(result.stdout.split())


@pytest.mark.parametrize("module", MODULES)
def test_engine_never_imports_streamlit(module):
    loaded = _loaded_after(f"import {module}")
    assert module in loaded
    assert not {name for name in loaded if name.split(".")[0] == "streamlit"}


def test_the_config_and_the_cli_flag_table_load_without_torch():
    """The dashboard's first page needs only these; torch (about 1.5 s) loads in the background."""
    loaded = _loaded_after("from dae_core import RunConfig; from dae_core.share import to_cli_command")
    assert "torch" not in loaded and "sklearn" not in loaded
