"""The deploy recipe, tested as far as this machine allows (no container registry here): the Dockerfile's exact
server command, run in a fresh virtual environment holding only ``requirements.txt``, on a copy of exactly the
files the image gets, with the image's environment (the public profile). Its health check answers, its first page
draws, and a link asking for more than the public limits is refused with a message naming them.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_SECONDS = 900  # a fresh environment: pip installs torch, streamlit and the rest
START_SECONDS = 120  # the first start of a fresh environment compiles every module it imports


def dockerfile() -> tuple[dict[str, str], list[str], list[str]]:
    """The Dockerfile's ENV settings, its CMD (exec form) and the paths its COPY lines put in the image."""
    text = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env, command, copied = {}, None, []
    for line in text.splitlines():
        word, _, rest = line.strip().partition(" ")
        if word == "ENV":
            env |= dict(part.split("=", 1) for part in shlex.split(rest))
        elif word == "CMD":
            command = json.loads(rest)
        elif word == "COPY":
            sources = [part for part in shlex.split(rest) if not part.startswith("--")][:-1]
            copied += sources
    assert command is not None, "the Dockerfile has no CMD in exec form"
    return env, command, copied


def test_the_dockerfile_sets_up_a_public_non_root_server_with_a_health_check():
    text = (REPO_ROOT / "Dockerfile").read_text()
    env, command, copied = dockerfile()
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.M)
    assert re.search(r"^ARG PIP_INDEX_URL$", text, re.M) and re.search(r"^ARG PIP_EXTRA_INDEX_URL$", text, re.M)
    assert "--build-arg PIP_INDEX_URL=" in text  # the builder passes the CPU-only torch index, the top says how
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    assert "HEALTHCHECK" in text and "/_stcore/health" in text
    assert env["DAE_PROFILE"] == "public" and f"VOLUME {env['DAE_DATA_DIR']}" in text
    assert "--server.address=0.0.0.0" in command and command[:3] == ["streamlit", "run", "app.py"]
    assert {"app.py", "dae_core", "dashboard", "pages", ".streamlit", "requirements.txt"} <= set(copied)


def test_the_apps_user_cannot_rewrite_its_code_and_owns_only_its_data():
    text = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if not line.lstrip().startswith("#")]
    user = re.search(r"^USER (\w+)", text, re.M).group(1)
    copies = [line for line in lines if line.startswith(("COPY", "ADD"))]
    assert copies and not [line for line in copies if "--chown" in line or "--chmod" in line]  # all root's
    assert [line for line in lines if "chown" in line or "chmod" in line] == [
        f"RUN useradd --create-home --uid 10001 {user} && mkdir /data && chown {user} /data"
    ]


INDEX_HOSTS = ("pypi" + ".org", "download." + "pytorch.org", "files." + "pythonhosted.org")  # split: not named here


def test_no_committed_file_names_a_package_index():
    """Where packages come from is the builder's choice (build arguments, pip's configuration), never the repo's."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    named = []
    for name in filter(None, files.decode().split("\0")):
        path = REPO_ROOT / name
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            named += [f"{name}: {host}" for host in INDEX_HOSTS if host in text]
    assert named == []


def test_the_images_server_command_serves_the_app_with_the_public_limits(app_on, tmp_path):
    env, command, copied = dockerfile()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "-r", str(REPO_ROOT / "requirements.txt")],
        capture_output=True, text=True, timeout=INSTALL_SECONDS,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    image = tmp_path / "app"  # what the image holds: the COPY lines' files, nothing else
    image.mkdir()
    for path in copied:
        source = REPO_ROOT / path
        if source.is_dir():
            shutil.copytree(source, image / path, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, image / path)
    env = env | {"DAE_DATA_DIR": str(tmp_path / "data"), "PATH": f"{venv / 'bin'}:/usr/bin:/bin"}

    def image_command(port: int) -> list[str]:  # the CMD as written, on a free port of this machine
        return [str(venv / "bin" / command[0])] + [re.sub(r"^--server\.port=\d+$", f"--server.port={port}", part)
                                                    for part in command[1:]]  # fmt: skip

    with app_on(env=env, command=image_command, cwd=image, start_seconds=START_SECONDS) as app:
        page = app.new_page()
        app.open(page, "/")
        page.get_by_role("heading", name="Denoising Autoencoder Lab").wait_for()
        app.assert_no_exception(page)
        app.open(page, "/train?n_samples=1000000000000&epochs=1000000000")
        warnings = page.locator('[data-testid="stAlertContentWarning"]').all_inner_texts()
        text = " ".join(warnings)
        assert "limited to 20,000 rows here (DAE_MAX_ROWS)" in text, warnings
        assert "limited to 2,000 epochs here (DAE_MAX_EPOCHS)" in text, warnings
        assert page.locator(".st-key-w_n_samples input").input_value() == "1000"  # the defaults, nothing started
        app.screenshot(page, "public-profile-refusal-1280")
