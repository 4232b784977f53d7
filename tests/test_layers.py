"""The import order of the code: every module of dae_core/ and dashboard/ has a layer, imports only from its own
layer or lower ones, and no chain of imports comes back to where it started.

Every import counts, at the top of a module or inside a function (a lazy import only delays the cost; it does not
make a circle go away), and so do imports made for type hints only.
"""

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

LAYERS = [  # bottom first
    # the engine: data, model, training, and what is built on them; it never imports the serving side or the CLI
    {"dae_core.errors"},
    {"dae_core.config"},
    {
        "dae_core",
        "dae_core.records",
        "dae_core.noise",
        "dae_core.model",
        "dae_core.data",
        "dae_core.idx",
        "dae_core.images",
        "dae_core.metrics",
        "dae_core.torch_pca",
        "dae_core.classic",
        "dae_core.sampling",
        "dae_core.optim",
        "dae_core.dense_step",
    },
    {"dae_core.training"},
    {
        "dae_core.sweep",
        "dae_core.model_file",
        "dae_core.analysis",
        "dae_core.estimator",
        "dae_core.lesson_steps",
        "dae_core.robustness",
        "dae_core.pretrain",
        "dae_core.generate",
        "dae_core.tune",
        "dae_core.photo_denoiser",
    },
    {"dae_core.lessons", "dae_core.views", "dae_core.figures", "dae_core.share"},
    # serving runs to many people: limits, snapshots and messages, then the jobs, the workers, the pool, the proxies
    {"dae_core.serving", "dae_core.serving.limits", "dae_core.serving.snapshot", "dae_core.serving.messages"},
    {"dae_core.serving.store", "dae_core.serving.job"},
    {"dae_core.serving.worker"},
    {
        "dae_core.serving.pool",
        "dae_core.serving.preload",
    },  # the pool names preload's module; the fork server imports it
    {"dae_core.serving.remote"},
    # the command line: what the commands share, the commands, the parser that wires them
    {"dae_core.cli.flags"},
    {
        "dae_core.cli.train",
        "dae_core.cli.inspection",
        "dae_core.cli.sweep",
        "dae_core.cli.datasets",
        "dae_core.cli.pretrain",
        "dae_core.cli.tune",
        "dae_core.cli.photo",
    },
    {"dae_core.cli", "dae_core.__main__"},
    # the dashboard: server-wide singletons and session dataclasses, the session, then what pages call
    {"dashboard", "dashboard.state", "dashboard.server", "dashboard.headers", "dashboard.readiness"},
    {"dashboard.workspace"},
    {"dashboard.session"},
    {"dashboard.widgets", "dashboard.warmup", "dashboard.link", "dashboard.notices"},
    {"dashboard.data"},
    {"dashboard.runs"},
    {
        "dashboard.fields",
        "dashboard.evaluation",
        "dashboard.papers",
        "dashboard.tune",
        "dashboard.controls",
        "dashboard.frame",
    },
    {"dashboard.upload"},
    {"dashboard.settings"},
]
LAYER = {module: number for number, layer in enumerate(LAYERS) for module in layer}


def _module_files() -> dict[str, Path]:
    files = {}
    for path in [*REPO_ROOT.glob("dae_core/**/*.py"), *REPO_ROOT.glob("dashboard/**/*.py")]:
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``module`` imports, anywhere in its file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:  # `from . import metrics` names a module; `from .config import X` does not
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source)
    return (found & known) - {module}


def _graph() -> dict[str, set[str]]:
    files = _module_files()
    return {module: _imports(module, path, set(files)) for module, path in files.items()}


def test_every_module_has_a_layer():
    assert set(_graph()) - set(LAYER) == set(), "add the new module to LAYERS, at the height of what it imports"
    assert set(LAYER) - set(_graph()) == set(), "a module in LAYERS no longer exists"


@pytest.mark.parametrize("module", sorted(LAYER))
def test_imports_go_down_or_across_never_up(module):
    upward = {other for other in _graph()[module] if LAYER[other] > LAYER[module]}
    assert upward == set(), f"{module} (layer {LAYER[module]}) imports from higher layers: {sorted(upward)}"


def test_no_import_circles():
    graph = _graph()
    visiting, done, circles = [], set(), []

    def visit(module):
        if module in visiting:
            circles.append(visiting[visiting.index(module) :] + [module])
            return
        if module in done:
            return
        visiting.append(module)
        for other in sorted(graph[module]):
            visit(other)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    assert circles == []


def test_the_layer_check_sees_lazy_imports_and_circles(tmp_path):
    """The reader itself: an import inside a function counts, and a circle is found."""
    one, two = tmp_path / "one.py", tmp_path / "two.py"
    one.write_text("def f():\n    from .two import g\n")
    two.write_text("from . import one\n")
    known = {"pkg.one", "pkg.two"}
    assert _imports("pkg.one", one, known) == {"pkg.two"}
    assert _imports("pkg.two", two, known) == {"pkg.one"}
