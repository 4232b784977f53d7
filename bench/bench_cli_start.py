"""How long the command line takes, set beside the one cost it cannot cut: Python importing PyTorch.

Each round runs, in turn, ``python -m dae_core train`` (the original tutorial's job: 50 epochs on its 1,000 rows),
a process that only imports PyTorch (and ends at once, as ``train`` ends without the interpreter's teardown), the
same import ended the usual way, and ``python -m dae_core train --help``, each as a fresh process, and times its
wall clock from start to exit. The sides alternate within a round, so a busy moment on a shared machine weighs on
all of them alike; the table gives each one's median and range, and ``train`` minus the bare import, round by round.

    python bench/bench_cli_start.py              # 7 rounds (~40 s on 2 cores)
    python bench/bench_cli_start.py --rounds 11
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "python -m dae_core train": ["-m", "dae_core", "train"],
    "import PyTorch, then end": ["-c", "import os, torch; os._exit(0)"],
    'python -c "import torch"': ["-c", "import torch"],
    "python -m dae_core train --help": ["-m", "dae_core", "train", "--help"],
}


def wall_seconds(args: list[str], python: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as a user's shell runs it
    start = time.perf_counter()
    subprocess.run([python, *args], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--python", default=sys.executable, help="the interpreter to time (default: this one)")
    args = parser.parse_args()
    for command in COMMANDS.values():  # compiled bytecode and a warm page cache for every side, as after one use
        wall_seconds(command, args.python)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.rounds):
        for name, command in COMMANDS.items():
            times[name].append(wall_seconds(command, args.python))
    own = [t - b for t, b in zip(times["python -m dae_core train"], times["import PyTorch, then end"])]
    print(f"{args.rounds} rounds, sides alternated; wall seconds, median (range)\n")
    print("| command | wall |\n|---|---|")
    for name, values in [*times.items(), ("train minus the bare import, per round", own)]:
        print(f"| {name} | {statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f}) |")


if __name__ == "__main__":
    main()
