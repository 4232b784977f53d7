"""What training in a worker process costs against training in a thread of the server, for one run.

Both sides train the same config to the end, started the way the dashboard starts them: a ``TrainingJob`` (a
thread in this process) and a ``RemoteJob`` (a ``WorkerPool`` process, warmed up beforehand), alternating, the side
that goes first rotating. Reported: seconds from start to a finished snapshot, median over rounds, and the median of
the per-round ratios (process / thread). The pool's start-up (spawning and importing torch) is reported apart.

    python bench/bench_workers.py --rounds 6
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from dae_core import RunConfig, load_dataset
from dae_core.serving.job import TrainingJob
from dae_core.serving.pool import WorkerPool
from dae_core.serving.remote import RemoteJob
from dae_core.training import use_torch_threads

CASES = {
    "tutorial: 1000x20, 20-8-20, 50 epochs": RunConfig(),
    "digits: 64-128-16-128-64, 100 epochs": RunConfig().replace(
        dataset="digits", hidden_layers=[128], hidden_dim=16, noise_level=0.4, epochs=100
    ),
}


def timed(job) -> tuple[float, float]:
    start = time.perf_counter()
    job.start()
    snapshot = job.wait_for(lambda s: s.finished, 600)
    return time.perf_counter() - start, snapshot.history[-1].test_mse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    use_torch_threads(1)
    started = time.perf_counter()
    pool = WorkerPool(1).start()
    print(f"pool start-up (1 worker: spawn, import torch, one tiny step): {time.perf_counter() - started:.2f} s")
    for name, config in CASES.items():
        dataset = load_dataset(config.data)
        sides = {
            "thread": lambda c=config, d=dataset: TrainingJob(c, d),
            "process": lambda c=config, d=dataset: RemoteJob(c, d, pool=pool),
        }
        seconds = {side: [] for side in sides}
        mse = {}
        for round_ in range(args.rounds):
            order = list(sides) if round_ % 2 == 0 else list(sides)[::-1]
            for side in order:
                elapsed, mse[side] = timed(sides[side]())
                seconds[side].append(elapsed)
        ratios = [p / t for p, t in zip(seconds["process"], seconds["thread"])]
        print(
            f"{name}: thread {statistics.median(seconds['thread']):.2f} s, process "
            f"{statistics.median(seconds['process']):.2f} s, process / thread {statistics.median(ratios):.2f}x "
            f"(range {min(ratios):.2f}-{max(ratios):.2f}); test MSE {mse['thread']:.4f} vs {mse['process']:.4f}"
        )
    pool.close()


if __name__ == "__main__":
    main()
