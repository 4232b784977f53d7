"""Benchmark: a sweep trained as one batched model against one run, and per model against MLPRegressor.

Sides, alternated within each round (the side that goes first rotates), all on one CPU thread:
- sweep: ``dae_core.sweep.Sweep`` over K settings that share an architecture, so one batched group;
- one run: ``Trainer`` on the same data, with the setting the issue names (noise 0.4 on digits, seed 0 otherwise);
- MLPRegressor: scikit-learn, one model, as in ``bench_engine.py`` (adam, same layers, batch and epochs, fresh
  noise each epoch).

Each side's time includes building its models (after a warm-up round, so no side pays for imports). Reported per
case: sweep / one run and (sweep / K) / MLPRegressor, median and range over the rounds, and each member's test
MSE against its separate run's.

    python bench/bench_sweep.py                  # every case, 3 rounds
    python bench/bench_sweep.py --case digits-noise --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass

import torch
from bench_engine import CASES, Case, run_sklearn
from threadpoolctl import threadpool_limits

from dae_core import RunConfig, Trainer
from dae_core.data import load_dataset
from dae_core.noise import corrupt_array
from dae_core.sweep import Sweep, expand
from dae_core.training import TEST_NOISE_SEED_OFFSET


@dataclass(frozen=True)
class SweepCase:
    name: str
    base: Case  # the single run, and MLPRegressor's layers
    lists: dict  # what the sweep varies
    single: RunConfig  # the one run it is measured against


DIGITS = CASES["digits"]
SEED = CASES["seed"]
SWEEPS = {
    "digits-noise": SweepCase(
        "digits, K = 3 noise levels 0.2/0.4/0.6 (64-128-16-128-64, 100 epochs)",
        DIGITS,
        {"noise_level": [0.2, 0.4, 0.6]},
        DIGITS.config.replace(noise_level=0.4),
    ),
    "seed-3": SweepCase("tutorial setup, K = 3 seeds (20-8-20, 50 epochs)", SEED, {"seed": [0, 1, 2]}, SEED.config),
    "seed-8": SweepCase("tutorial setup, K = 8 seeds", SEED, {"seed": list(range(8))}, SEED.config),
    "digits-seed-8": SweepCase("digits, K = 8 seeds", DIGITS, {"seed": list(range(8))}, DIGITS.config),
}


def timed(work) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def bench(case: SweepCase, rounds: int) -> dict:
    configs = expand(case.base.config, case.lists)
    dataset = load_dataset(case.single.data)
    noisy_test = corrupt_array(
        dataset.X_test, case.single.noise.noise, case.single.noise.noise_level,
        case.single.train.seed + TEST_NOISE_SEED_OFFSET, low=dataset.low, high=dataset.high, clip=dataset.bounded,
    )  # fmt: skip

    def one_run():
        trainer = Trainer(case.single, dataset)
        return list(trainer.epochs())

    sides = {
        "sweep": lambda: Sweep(configs, dataset).run(),
        "one run": one_run,
        "MLPRegressor": lambda: run_sklearn(
            Case(case.base.name, case.single, case.base.sklearn_layers), dataset, noisy_test
        ),  # fmt: skip
    }
    for work in sides.values():  # warm-up: imports and first kernels
        work()
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    last = {}
    names = list(sides)
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            took, last[name] = timed(sides[name])
            seconds[name].append(took)
            print(f"  round {round_ + 1}/{rounds} {name:<12} {took:7.3f} s", file=sys.stderr)
    k = len(configs)
    vs_one = [s / o for s, o in zip(seconds["sweep"], seconds["one run"])]
    per_model_vs_mlp = [s / k / m for s, m in zip(seconds["sweep"], seconds["MLPRegressor"])]
    members = []
    for config, run in zip(configs, last["sweep"]):
        alone = Trainer(config, dataset)
        list(alone.epochs())
        members.append((run.trained.history[-1].test_mse, alone.history[-1].test_mse))
    return {
        "k": k,
        "sweep_s": statistics.median(seconds["sweep"]),
        "one_s": statistics.median(seconds["one run"]),
        "mlp_s": statistics.median(seconds["MLPRegressor"]),
        "vs_one": (statistics.median(vs_one), min(vs_one), max(vs_one)),
        "per_model_vs_mlp": (statistics.median(per_model_vs_mlp), min(per_model_vs_mlp), max(per_model_vs_mlp)),
        "members": members,
    }


def spread(triple) -> str:
    median, low, high = triple
    return f"{median:.2f}× ({low:.2f}–{high:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--case", choices=[*SWEEPS, "all"], default="all")
    args = parser.parse_args()
    torch.set_num_threads(1)
    threadpool_limits(1)
    names = list(SWEEPS) if args.case == "all" else [args.case]
    print("| case | K | sweep s | one run s | MLPRegressor s | sweep / one run | per model / MLPRegressor "
          "| member test MSE / its separate run's |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name in names:
        print(SWEEPS[name].name, file=sys.stderr)
        r = bench(SWEEPS[name], args.rounds)
        ratios = [swept / alone for swept, alone in r["members"]]
        members = f"{min(ratios):.3f}–{max(ratios):.3f}"
        print(
            f"| {SWEEPS[name].name} | {r['k']} | {r['sweep_s']:.2f} | {r['one_s']:.2f} | {r['mlp_s']:.2f} "
            f"| {spread(r['vs_one'])} | {spread(r['per_model_vs_mlp'])} | {members} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
