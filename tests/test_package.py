"""The code's boundaries: the engine never imports streamlit, importing it stays cheap, and pages/ holds only pages."""

import ast
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
    "dae_core.model_file",
    "dae_core.photo_denoiser",
    "dae_core.serving.job",
    "dae_core.serving.remote",
    "dae_core.serving.snapshot",
    "dae_core.serving.limits",
    "dae_core.records",
    "dae_core.robustness",
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


def test_the_command_line_s_parser_loads_without_torch():
    """``python -m dae_core --help`` and a bad flag answer before PyTorch would have loaded."""
    loaded = _loaded_after("from dae_core.cli import build_parser; build_parser()")
    assert "torch" not in loaded and "sklearn" not in loaded


def test_the_records_and_the_job_load_without_torch():
    """A page reads run records and polls a job before the engine's heavy parts have loaded."""
    loaded = _loaded_after("import dae_core.records, dae_core.serving.job, dae_core.serving.limits")
    assert "torch" not in loaded and "sklearn" not in loaded


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_pages_holds_page_scripts_only_and_nothing_imports_from_it():
    from dashboard.frame import PAGES

    page_files = {str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "pages").glob("*.py")}
    assert page_files == {path for path, *_ in PAGES}
    sources = [REPO_ROOT / "app.py", *REPO_ROOT.glob("dae_core/*.py"), *REPO_ROOT.glob("dashboard/*.py")]
    sources += [*REPO_ROOT.glob("pages/*.py"), *REPO_ROOT.glob("tests/**/*.py")]
    importers = [str(path) for path in sources if any(n.split(".")[0] == "pages" for n in _imported_modules(path))]
    assert importers == []
