"""Build the Dockerfile's image with podman and check it end to end, on a machine that reaches no image registry.

No base image is pulled: the base is a Debian system that ``debootstrap`` builds from Debian's packages (through the
machine's own apt settings; nothing here names a host), imported into podman, and put in place of the Dockerfile's
``FROM`` with ``podman build --from``. The Python packages come from a folder of wheels that ``pip download`` fills on
this machine (with its own pip settings), mounted into the build, so the build needs no network either. Then:

1. run the image with ``--memory=1g`` and a named volume for ``/data``; its health check answers ``ok``;
2. Home is served; the code is root's and read-only to the app's user, who may write only ``/data``;
3. one visitor trains the tutorial's setup (a client that speaks Streamlit's websocket protocol, as a browser does)
   and the page shows the run done; the run is in the store in the volume;
4. the container restarts with the same volume, answers again, and the store still holds the run;
5. the container's memory stays under its limit (``podman stats``), and the figures are printed.

    sudo python bench/container_check.py                    # everything: base, wheels, image, checks
    sudo python bench/container_check.py --keep             # leave the container running afterwards

Needs root, Debian's ``podman``, ``runc`` and ``debootstrap``. This machine's sandbox refuses podman's default
rlimits and crun's cgroup mode, so every podman call runs with ``--runtime runc`` and a ``containers.conf`` whose
``default_ulimits`` is empty (written to the work folder). Exits 0 when every check passes, 1 naming the first that
failed, 2 when a tool is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_class import free_port
from bench_class_ws import run_class

REPO_ROOT = Path(__file__).resolve().parents[1]
BASE, IMAGE, NAME, VOLUME = "localhost/dae-base", "localhost/dae-lab", "dae-lab-check", "dae-lab-check-data"
SUITE = "bookworm"  # Debian 12, whose Python is 3.11 like the Dockerfile's
COUNT_RUNS = "import sqlite3; print(sqlite3.connect('/data/workspaces.sqlite3').execute('select count(*) from runs').fetchone()[0])"  # noqa: E501


class CheckFailed(Exception):
    pass


def step(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def podman(*args: str, check: bool = True, capture: bool = True) -> str:
    result = subprocess.run(["podman", "--runtime", "runc", *args], capture_output=capture, text=True)
    if check and result.returncode != 0:
        raise CheckFailed(f"podman {' '.join(args[:3])} failed: {(result.stderr or '').strip()[-800:]}")
    return (result.stdout or "").strip()


def build_base(work: Path) -> None:
    """A minimal Debian with Python 3.11 and its venv module, imported as ``BASE``."""
    root = work / "root"
    if not (root / "usr/bin/python3").exists():
        step(f"debootstrap {SUITE} into {root} (a few minutes)")
        command = ["debootstrap", "--variant=minbase", "--include=python3,python3-venv", SUITE, str(root)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    step(f"import {root} as {BASE}")
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["podman", "import", "-", BASE], stdin=tar.stdout, check=True, stdout=subprocess.DEVNULL)
    tar.wait()


def build_image(work: Path) -> float:
    wheels = work / "wheels"
    step(f"pip download the requirements into {wheels}")
    pip = [sys.executable, "-m", "pip", "download", "-q", "-r", str(REPO_ROOT / "requirements.txt"), "-d", str(wheels)]
    subprocess.run(pip, check=True)
    step(f"podman build --from {BASE} (offline, from the wheels)")
    start = time.monotonic()
    offline = ["--network", "none", "-v", f"{wheels}:/wheels:ro", "--build-arg", "PIP_FIND_LINKS=/wheels"]
    podman("build", "--format", "docker", "--from", BASE, *offline, "--build-arg", "PIP_NO_INDEX=1", "-t", IMAGE,
           str(REPO_ROOT))  # fmt: skip
    return time.monotonic() - start


def wait_health(url: str, limit: float = 120.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.1)
    raise CheckFailed(f"the container's health check did not answer ok within {limit:g} s")


def in_container(command: str, user: str | None = None) -> tuple[int, str]:
    args = ["exec", *(["--user", user] if user else []), NAME, "sh", "-c", command]
    result = subprocess.run(["podman", "--runtime", "runc", *args], capture_output=True, text=True)
    return result.returncode, (result.stdout + result.stderr).strip()


def memory_mb() -> tuple[float, float]:
    """(used, limit) in MB, as ``podman stats`` reads the container's cgroup."""
    stats = json.loads(podman("stats", "--no-stream", "--format", "json", NAME))[0]
    used, limit = (part.strip() for part in stats["mem_usage"].split("/"))
    units = {"kB": 1e-3, "MB": 1.0, "GB": 1e3, "B": 1e-6}

    def mb(text: str) -> float:
        for unit, factor in units.items():
            if text.endswith(unit):
                return float(text[: -len(unit)]) * factor
        return float(text) * 1e-6

    return mb(used), mb(limit)


def check(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)
    step(f"ok: {what}")


def run_checks(port: int) -> dict:
    url = f"http://127.0.0.1:{port}"
    figures = {}
    podman("volume", "rm", "-f", VOLUME, check=False)
    podman("run", "-d", "--memory=1g", "-p", f"127.0.0.1:{port}:8501", "-v", f"{VOLUME}:/data", "--name", NAME, IMAGE)
    figures["start_to_health_s"] = round(wait_health(url), 2)
    check(True, f"health answers ok, {figures['start_to_health_s']} s after the container started")
    with urllib.request.urlopen(url + "/", timeout=10) as response:
        check(response.status == 200 and b'<div id="root">' in response.read(), "Home is served")
    code, owner = in_container("stat -c %U /app/dae_core/training.py /app/pages/home.py /venv/bin/python3")
    check(code == 0 and set(owner.split()) == {"root"}, "the code and the packages belong to root")
    code, _ = in_container("touch /app/dae_core/training.py")
    check(code != 0, "the app's user cannot change the code")
    code, who = in_container("id -un && touch /data/.writable && rm /data/.writable")
    check(code == 0 and who.startswith("lab"), "the app runs as 'lab', who may write /data")
    result = asyncio.run(run_class(url, 1, -1, 180.0))
    figures["first_chart_s"], figures["done_s"] = result["first_chart_s_p50"], result["done_s_max"]
    check(result["shown_done"] == 1 and not result["errors"], f"one run trained and was shown done: {result}")
    figures["memory_mb"], figures["limit_mb"] = (round(v) for v in memory_mb())
    check(figures["limit_mb"] <= 1100, f"the memory limit holds: {figures['memory_mb']} of {figures['limit_mb']} MB")
    code, runs = in_container(f'python -c "{COUNT_RUNS}"')
    check(code == 0 and runs == "1", f"the store in the volume holds the run ({runs})")
    podman("restart", NAME)
    figures["restart_to_health_s"] = round(wait_health(url), 2)
    code, runs = in_container(f'python -c "{COUNT_RUNS}"')
    check(code == 0 and runs == "1", f"after a restart with the same volume the run is kept ({runs})")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default=os.path.join(os.path.expanduser("~"), ".cache", "dae-lab-container"),
                        help="where the Debian base, the wheels and containers.conf go")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="leave the container running")
    parser.add_argument("--rebuild-base", action="store_true", help="import the base again even if podman has it")
    args = parser.parse_args()
    missing = [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]
    if missing:
        print(f"error: needs {', '.join(missing)} (apt-get install -y podman runc debootstrap)", file=sys.stderr)
        return 2
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    conf = work / "containers.conf"
    conf.write_text("[containers]\ndefault_ulimits = []\n")
    os.environ["CONTAINERS_CONF"] = str(conf)
    try:
        if args.rebuild_base or subprocess.run(["podman", "image", "exists", BASE]).returncode != 0:
            build_base(work)
        build_seconds = build_image(work)
        step(f"built {IMAGE} in {build_seconds:.0f} s")
        podman("rm", "-f", NAME, check=False)
        figures = run_checks(free_port())
    except (CheckFailed, subprocess.CalledProcessError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            podman("rm", "-f", NAME, check=False)
            podman("volume", "rm", "-f", VOLUME, check=False)
    print(json.dumps({"image": IMAGE, "build_s": round(build_seconds), **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
