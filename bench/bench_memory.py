"""How much memory the server takes: the proportional set size (PSS) of the server and every process it started.

PSS counts a page shared by n processes as 1/n in each, so the sum over the server, the fork server and the training
workers is the memory they take together, pages shared copy-on-write counted once. Three figures, on one fresh
``streamlit run app.py`` with its data folder in a temporary directory:

- idle: once the server has warmed up (its process count and PSS steady for ``STEADY_SECONDS``), before any visitor;
- 8 people: the peak while a class of 8 trains the tutorial's setup at once (``bench_class_ws.Person``: clients
  that speak Streamlit's websocket protocol, as a browser does, and render nothing);
- after 50 runs: idle again once 50 people in all have each trained a run and left.

    python bench/bench_memory.py
    python bench/bench_memory.py --people 8 --runs 50 --env DAE_WORKERS=1

Prints a Markdown table and one JSON line. Needs only the app's own requirements; reads /proc (Linux).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_class import free_port, start_server
from bench_class_ws import run_class

STEADY_SECONDS = 3.0  # idle means: no process started or ended, and PSS within STEADY_MB, for this long
STEADY_MB = 2.0
SAMPLE_SECONDS = 0.25


def group(pgid: int) -> dict[int, str]:
    """The live processes of a process group: {pid: command name}."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                found[int(entry.name)] = stat.split("(", 1)[1].rsplit(")", 1)[0]
        except (OSError, IndexError, ValueError):
            continue
    return found


def pss_mb(pid: int) -> float:
    """One process's PSS in MB (0 if it has ended)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def total(pgid: int) -> tuple[float, dict[int, float]]:
    """(total PSS in MB, PSS of each process) of the group."""
    each = {pid: pss_mb(pid) for pid in group(pgid)}
    return sum(each.values()), each


def roles(server_pid: int, each: dict[int, float]) -> dict[str, float]:
    """The PSS by role: the server, the fork server (the server's child that has children), its workers, the rest."""
    parents = {}
    for pid in each:
        try:
            parents[pid] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    fork_servers = {pid for pid, parent in parents.items() if parent == server_pid and pid in parents.values()}
    out = {"server": each.get(server_pid, 0.0), "fork server": 0.0, "workers": 0.0, "other": 0.0}
    for pid, mb in each.items():
        if pid == server_pid:
            continue
        role = "fork server" if pid in fork_servers else "workers" if parents.get(pid) in fork_servers else "other"
        out[role] += mb
    return {role: round(mb) for role, mb in out.items()}


def wait_steady(pgid: int, limit: float = 180.0) -> tuple[float, dict[int, float]]:
    """Wait until the group's processes and PSS have held still for ``STEADY_SECONDS``; return that state."""
    deadline = time.monotonic() + limit
    history: list[tuple[float, frozenset, float]] = []
    while time.monotonic() < deadline:
        mb, each = total(pgid)
        now = time.monotonic()
        history = [h for h in history if now - h[0] <= STEADY_SECONDS] + [(now, frozenset(each), mb)]
        span = now - history[0][0]
        if span >= STEADY_SECONDS * 0.9 and len({h[1] for h in history}) == 1:
            values = [h[2] for h in history]
            if max(values) - min(values) <= STEADY_MB:
                return mb, each
        time.sleep(SAMPLE_SECONDS)
    raise SystemExit(f"the server's memory did not settle within {limit:g} s")


async def class_peak(url: str, people: int, pgid: int, limit: float) -> tuple[dict, float]:
    """Run a class of ``people`` and sample the group's total PSS meanwhile: (the class's result, peak MB)."""
    peak = 0.0
    attending = asyncio.ensure_future(run_class(url, people, pgid, limit))
    while not attending.done():
        peak = max(peak, total(pgid)[0])
        await asyncio.sleep(SAMPLE_SECONDS)
    return await attending, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=8, help="the class that trains at once")
    parser.add_argument("--runs", type=int, default=50, help="runs in all, in classes of --people, before 'after'")
    parser.add_argument("--limit", type=float, default=240.0, help="seconds a class may take to be shown done")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (DAE_WORKERS=1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        os.environ["DAE_DATA_DIR"] = data
        os.environ.update(item.split("=", 1) for item in args.env)
        port = free_port()
        server = start_server(port, [])
        url = f"http://localhost:{port}"
        try:
            idle, idle_each = wait_steady(server.pid)
            idle_roles = roles(server.pid, idle_each)
            result, peak = asyncio.run(class_peak(url, args.people, server.pid, args.limit))
            trained, classes = result["shown_done"], [result]
            while sum(c["people"] for c in classes) < args.runs:
                size = min(args.people, args.runs - sum(c["people"] for c in classes))
                more, _ = asyncio.run(class_peak(url, size, server.pid, args.limit))
                classes.append(more)
                trained += more["shown_done"]
            after, after_each = wait_steady(server.pid)
            after_roles = roles(server.pid, after_each)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    env = " ".join(args.env) or "defaults"
    print(f"Server and all its processes, total PSS in MB (2 cores; {env}):\n")
    print(f"| idle after start | {args.people} people training at once (peak) | after {trained} runs (idle) |")
    print("|---:|---:|---:|")
    print(f"| {idle:.0f} ({len(idle_each)} processes) | {peak:.0f} | {after:.0f} ({after - idle:+.0f}) |")
    print(f"\nidle by role: {idle_roles}; after: {after_roles}")
    errors = [c["errors"] for c in classes if c["errors"]]
    runs = sum(c["people"] for c in classes)
    summary = {"idle_mb": round(idle), "class_peak_mb": round(peak), "after_mb": round(after), "runs_done": trained,
               "runs": runs, "first_class": result, "errors": errors, "env": args.env}  # fmt: skip
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
