"""A trained DAE as a generative model: MMD² to held-out data of walk-back chain samples and annealed samples, beside
uniform noise over the same box and the training rows themselves (``dae_core.generate``), over seeds.

    python bench/bench_generate.py                      # moons and digits, the views' settings, seeds 0-2 (~1 min)
    python bench/bench_generate.py --data moons --seeds 0 --epochs 100

What to look for: on moons, each member's chain samples score an MMD² well below uniform noise's (below half of it in
14 of 15 seed × level runs here), and near the training rows' own score.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from dae_core.generate import generation
from dae_core.sweep import Sweep, expand
from dae_core.views import VIEWS


def measure(slug: str, seed: int, epochs: int | None) -> dict:
    spec = VIEWS[slug]
    base = spec.config.replace(seed=seed) if epochs is None else spec.config.replace(seed=seed, epochs=epochs)
    started = time.perf_counter()
    sweep = Sweep(expand(base, {"noise_level": list(spec.levels)}))
    runs = sweep.run()
    trained_seconds = time.perf_counter() - started
    dataset = sweep.dataset(base)
    started = time.perf_counter()
    result = generation([run.trained for run in runs], dataset.X_train, dataset.X_test, seed=seed)
    return {
        "levels": result.levels,
        "chains": result.mmd,
        "annealed": result.annealed_mmd,
        "uniform": result.ends.uniform,
        "training": result.ends.training,
        "test_mse": [run.trained.kept_record.test_mse for run in runs],
        "train_s": trained_seconds,
        "measure_s": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["generate", "generate-digits"], help="view slugs to measure")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None, help="fewer than the view's own for a quick look")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for slug in args.data:
        print(f"## {slug}: MMD² to held-out data (RBF kernel, median-heuristic width of the held-out rows)")
        print("| seed | " + " | ".join(f"chain σ={level:g}" for level in VIEWS[slug].levels)
              + " | annealed | uniform | training rows | chain / uniform (best) | train s | measure s |")  # fmt: skip
        print("|---" * (len(VIEWS[slug].levels) + 7) + "|")
        for seed in args.seeds:
            row = measure(slug, seed, args.epochs)
            chains = " | ".join(f"{value:.4f}" for value in row["chains"])
            annealed = "–" if row["annealed"] is None else f"{row['annealed']:.4f}"
            ratio = min(row["chains"]) / row["uniform"]
            print(f"| {seed} | {chains} | {annealed} | {row['uniform']:.4f} | {row['training']:.4f} | {ratio:.3f} | "
                  f"{row['train_s']:.1f} | {row['measure_s']:.1f} |", flush=True)  # fmt: skip
        print()


if __name__ == "__main__":
    main()
