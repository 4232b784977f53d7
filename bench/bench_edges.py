"""Measurement: does training with more corruption make a dense DAE's first-layer filters more edge-like?

Trains the ``photos`` preset (2,000 grayscale patches of 12 x 12 from scikit-learn's sample photographs, one dense
layer of 64 units, tied weights, 100 epochs) at several corruption levels and seeds, and for each run reports the
test MSE (against the clean patches, on the run's own noisy test inputs) and two numbers of
``dae_core.metrics`` about ``model.first_layer_weights``:

- edge-likeness: the share of the 64 filters whose orientation concentration exceeds ``ORIENTED_THRESHOLD``;
- mean concentration: the mean over the filters of that concentration (the resultant length of the power-weighted
  doubled-angle mean of each filter's 2-D power spectrum), a continuous number in [0, 1].

The "init" row is the same model's untrained filters (seeded uniform noise): the chance level. It makes no timing
claims.

    python bench/bench_edges.py                         # masking 0, 0.1, 0.3, 0.5 and Gaussian 0.3, seeds 0-2
    python bench/bench_edges.py --untied --epochs 300   # the same with untied weights, trained longer
    python bench/bench_edges.py --levels masking:0 masking:0.5 --seeds 0 1 2 3 4 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from dae_core import RunConfig, Trainer
from dae_core.lessons import PRESETS
from dae_core.metrics import ORIENTED_THRESHOLD, edge_likeness, orientation_concentration

DEFAULT_LEVELS = ["masking:0", "masking:0.1", "masking:0.3", "masking:0.5", "gaussian:0.3"]
FILTER_SHAPE = (12, 12)


def parse_level(text: str) -> tuple[str, float]:
    noise, _, level = text.partition(":")
    if not level:
        raise argparse.ArgumentTypeError(f"{text!r}: write NOISE:LEVEL, e.g. masking:0.3")
    return noise, float(level)


def filter_numbers(weights: np.ndarray, threshold: float) -> tuple[float, float]:
    concentration = orientation_concentration(weights, FILTER_SHAPE)
    return edge_likeness(weights, FILTER_SHAPE, threshold), float(concentration.mean())


def run(noise: str, level: float, seed: int, epochs: int, tied: bool, threshold: float) -> dict:
    config = RunConfig().replace(dataset="photos", **PRESETS["photos"])
    config = config.replace(noise=noise, noise_level=level, seed=seed, epochs=epochs, tied_weights=tied)
    trainer = Trainer(config)
    initial = trainer.model.first_layer_weights.detach().cpu().numpy().copy()
    records = list(trainer.epochs())
    weights = trainer.model.first_layer_weights.detach().cpu().numpy()
    edges, concentration = filter_numbers(weights, threshold)
    init_edges, init_concentration = filter_numbers(initial, threshold)
    return {
        "noise": noise, "level": level, "seed": seed, "epochs": trainer.epoch, "tied": tied,
        "test_mse": records[-1].test_mse if records else float("nan"),
        "edge_likeness": edges, "mean_concentration": concentration,
        "init_edge_likeness": init_edges, "init_mean_concentration": init_concentration,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", nargs="+", type=parse_level, default=[parse_level(t) for t in DEFAULT_LEVELS],
                        metavar="NOISE:LEVEL", help="corruptions to train with (default: %(default)s)")  # fmt: skip
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=PRESETS["photos"]["epochs"])
    parser.add_argument("--untied", action="store_true", help="untied decoder weights (the preset ties them)")
    parser.add_argument("--threshold", type=float, default=ORIENTED_THRESHOLD,
                        help="concentration above which a filter is oriented (default: %(default)s)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the runs as JSON instead of a table")
    args = parser.parse_args()
    torch.set_num_threads(1)

    rows = [
        run(noise, level, seed, args.epochs, not args.untied, args.threshold)
        for noise, level in args.levels
        for seed in args.seeds
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    tied = "untied" if args.untied else "tied"
    print(f"photos preset, dense 144-64, {tied} weights, {args.epochs} epochs, threshold {args.threshold:g}")
    print(f"{'noise':>9} {'level':>5} {'seed':>4} {'test MSE':>9} {'edge-likeness':>13} {'mean conc.':>10}")
    for row in rows:
        print(
            f"{row['noise']:>9} {row['level']:>5g} {row['seed']:>4} {row['test_mse']:>9.5f} "
            f"{row['edge_likeness']:>13.3f} {row['mean_concentration']:>10.3f}"
        )
    print("\nmean over seeds (min-max)")
    for noise, level in args.levels:
        mine = [row for row in rows if (row["noise"], row["level"]) == (noise, level)]
        spans = [
            f"{statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})"
            for values in ([row["edge_likeness"] for row in mine], [row["mean_concentration"] for row in mine])
        ]
        print(f"{noise:>9} {level:>5g}  edge-likeness {spans[0]}  mean concentration {spans[1]}")
    init = [row["init_mean_concentration"] for row in rows[: len(args.seeds)]]
    init_edges = [row["init_edge_likeness"] for row in rows[: len(args.seeds)]]
    print(
        f"{'init':>15}  edge-likeness {statistics.mean(init_edges):.3f}  "
        f"mean concentration {statistics.mean(init):.3f} (untrained filters, seeds {args.seeds})"
    )


if __name__ == "__main__":
    main()
