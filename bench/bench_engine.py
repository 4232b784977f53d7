"""Benchmark: the dae_core engine against a minimal hand-written PyTorch loop and scikit-learn's MLPRegressor.

All sides train the same architecture on the same scaled data with the same batch size, epochs and
Adam at lr 1e-3, on one CPU thread. They run alternately in one process (engine, bare, bare fused,
sklearn, engine, ...) so that drift in machine load hits every side alike; the table shows medians.

    python bench/bench_engine.py              # both cases, 8 rounds; writes bench/RESULTS.md
    python bench/bench_engine.py --rounds 3 --case seed
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sklearn
import torch
from threadpoolctl import threadpool_limits
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from dae_core import RunConfig, Trainer, load_dataset
from dae_core.metrics import mse, pca_mse
from dae_core.noise import corrupt_array
from dae_core.training import TEST_NOISE_SEED_OFFSET

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")


@dataclass(frozen=True)
class Case:
    name: str
    config: RunConfig
    sklearn_layers: tuple[int, ...]  # MLPRegressor's hidden_layer_sizes: encoder, code, mirrored decoder


CASES = {
    "seed": Case("seed: 1000x20, 20-8-20, Gaussian 0.2, 50 epochs", RunConfig(), (8,)),
    "digits": Case(
        "digits: 1797x64, 64-128-16-128-64, Gaussian 0.4 clipped, 100 epochs",
        RunConfig().replace(dataset="digits", hidden_layers=(128,), hidden_dim=16, noise_level=0.4, epochs=100),
        (128, 16, 128),
    ),
    "wide": Case(
        "synthetic 20000x100, 100-32-100, Gaussian 0.2, batch 128, 10 epochs",
        RunConfig().replace(n_samples=25_000, n_features=100, hidden_dim=32, batch_size=128, epochs=10),
        (32,),
    ),
}


@dataclass
class Run:
    seconds: float  # wall clock
    cpu_seconds: float  # this process's CPU time: with one thread, wall time minus waiting for other processes
    test_mse: float


class Timer:
    """Starts on creation; ``run`` stops it and packs the result."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def run(self, test_mse: float) -> Run:
        return Run(time.perf_counter() - self.wall, time.process_time() - self.cpu, test_mse)


# --- the three sides --------------------------------------------------------------------------------
def run_engine(config: RunConfig, dataset) -> Run:
    timer = Timer()
    trainer = Trainer(config, dataset)
    *_, record = trainer.epochs()
    return timer.run(record.test_mse)


def bare_model(config: RunConfig, input_dim: int, bounded: bool) -> nn.Sequential:
    """The engine's architecture written out by hand: Linear + LeakyReLU, mirrored, Sigmoid for [0,1] data."""
    widths = [input_dim, *config.model.hidden_layers, config.model.hidden_dim]
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.LeakyReLU()]
    back = widths[::-1]
    for a, b in zip(back[:-1], back[1:]):
        layers += [nn.Linear(a, b), nn.LeakyReLU()]
    layers[-1] = nn.Sigmoid() if bounded else nn.Identity()
    return nn.Sequential(*layers)


def run_bare(config: RunConfig, dataset, noisy_test: np.ndarray, *, fused: bool) -> Run:
    """A minimal loop as a tutorial would write it, plus the engine's once-per-epoch test evaluation."""
    timer = Timer()
    torch.manual_seed(config.train.seed)
    X = torch.as_tensor(dataset.X_train)
    X_test, X_noisy_test = torch.as_tensor(dataset.X_test), torch.as_tensor(noisy_test)
    model = bare_model(config, X.shape[1], dataset.bounded)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.train.lr, fused=fused or None)
    sigma, batch, n = config.noise.noise_level, config.train.batch_size, X.shape[0]
    for _ in range(config.train.epochs):
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, batch):
            clean = X[perm[i : i + batch]]
            noisy = clean + sigma * torch.randn_like(clean)
            if dataset.bounded:
                noisy = noisy.clamp(0, 1)
            loss = nn.functional.mse_loss(model(noisy), clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            test_mse = nn.functional.mse_loss(model(X_noisy_test), X_test).item()
    return timer.run(test_mse)


def run_sklearn(case: Case, dataset, noisy_test: np.ndarray) -> Run:
    """MLPRegressor (adam) with one partial_fit per epoch on a freshly noised copy: fresh noise every epoch."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    config = case.config
    timer = Timer()
    rng = np.random.default_rng(config.train.seed)
    mlp = MLPRegressor(
        hidden_layer_sizes=case.sklearn_layers,
        activation="relu",  # scikit-learn has no leaky ReLU
        solver="adam",
        learning_rate_init=config.train.lr,
        batch_size=config.train.batch_size,
        alpha=0.0,
        random_state=config.train.seed,
    )
    X = dataset.X_train
    for _ in range(config.train.epochs):
        noisy = X + config.noise.noise_level * rng.standard_normal(X.shape, dtype=np.float32)
        if dataset.bounded:
            np.clip(noisy, 0, 1, out=noisy)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.partial_fit(noisy, X)
        test_mse = mse(dataset.X_test, mlp.predict(noisy_test))
    return timer.run(test_mse)


# --- running and reporting --------------------------------------------------------------------------
def bench_case(case: Case, rounds: int) -> dict[str, list[Run]]:
    config = case.config
    dataset = load_dataset(config.data)
    # the engine's own fixed noisy test inputs (same generator and seed), so every side is scored alike
    noisy_test = corrupt_array(
        dataset.X_test,
        config.noise.noise,
        config.noise.noise_level,
        config.train.seed + TEST_NOISE_SEED_OFFSET,
        low=dataset.low,
        high=dataset.high,
        clip=dataset.bounded,
    )
    sides: dict[str, Callable[[RunConfig], Run]] = {
        "engine": lambda cfg: run_engine(cfg, dataset),
        "bare": lambda cfg: run_bare(cfg, dataset, noisy_test, fused=False),
        "bare_fused": lambda cfg: run_bare(cfg, dataset, noisy_test, fused=True),
        "sklearn": lambda cfg: run_sklearn(Case(case.name, cfg, case.sklearn_layers), dataset, noisy_test),
    }
    warmup = config.replace(epochs=2)
    for side in sides.values():  # first calls pay for lazy imports and kernel selection
        side(warmup)
    runs: dict[str, list[Run]] = {name: [] for name in sides}
    names = list(sides)
    for round_ in range(rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:  # rotate who goes first
            runs[name].append(sides[name](config))
            print(f"  round {round_ + 1}/{rounds} {name:<10} {runs[name][-1].seconds:7.3f} s", file=sys.stderr)
    runs["pca"] = [Run(0.0, 0.0, pca_mse(dataset.X_train, noisy_test, dataset.X_test, config.model.hidden_dim))]
    return runs


def median(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def paired_ratio(engine: list[Run], other: list[Run], attr: str) -> float:
    """Median over rounds of engine / other within the same round: neighbours in time share the machine's state."""
    return statistics.median(getattr(a, attr) / getattr(b, attr) for a, b in zip(engine, other))


def ratio_range(engine: list[Run], other: list[Run]) -> str:
    """The lowest and highest per-round wall-clock ratio: the spread behind the median."""
    ratios = [a.seconds / b.seconds for a, b in zip(engine, other)]
    return f"{min(ratios):.2f}–{max(ratios):.2f}"


def table(results: dict[str, dict[str, list[Run]]], rounds: int) -> str:
    sides = ("engine", "bare", "bare_fused", "sklearn")
    lines = [
        "| case | engine s | bare loop s | bare loop, fused Adam s | MLPRegressor s "
        "| engine / bare | engine / bare fused | engine / MLPRegressor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, runs in results.items():
        wall = [median(runs[k], "seconds") for k in sides]
        ratios = " | ".join(
            f"{paired_ratio(runs['engine'], runs[k], 'seconds'):.2f}x "
            f"({ratio_range(runs['engine'], runs[k])}; CPU {paired_ratio(runs['engine'], runs[k], 'cpu_seconds'):.2f}x)"
            for k in sides[1:]
        )
        lines.append(f"| {CASES[name].name} | " + " | ".join(f"{w:.3f}" for w in wall) + f" | {ratios} |")
    lines += [
        "",
        "Test MSE against the clean test rows, from the same fixed noisy test inputs (median over rounds):",
        "",
        "| case | engine | bare loop | bare loop, fused Adam | MLPRegressor | PCA-k baseline |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, runs in results.items():
        values = [median(runs[k], "test_mse") for k in ("engine", "bare", "bare_fused", "sklearn", "pca")]
        lines.append(f"| {CASES[name].name.split(':')[0]} | " + " | ".join(f"{v:.4f}" for v in values) + " |")
    lines += [
        "",
        f"Seconds are medians of {rounds} alternating rounds (wall clock; the side that goes first rotates). "
        "Ratios are medians of the per-round ratios, wall clock first with its range, and CPU seconds "
        "(`time.process_time`, which waiting for other processes does not inflate) in brackets. One thread for every "
        "side (`torch.set_num_threads(1)`, BLAS limited to 1 thread for scikit-learn); "
        f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores ({platform.machine()}).",
        "",
        "- Every side evaluates test MSE once per epoch, as the engine does (the engine records it in each "
        "`EpochRecord`); the bare loop and MLPRegressor include that same evaluation in their time.",
        "- Engine time includes building the `Trainer` (model, optimizer, the fixed noisy test set and the PCA "
        "baseline) and its per-epoch bookkeeping (train loss, a finite-weights check and a copy of the weights "
        "for restoring after a non-finite loss). Loading the dataset is outside every timer.",
        "- The bare loop is `nn.Sequential` of `Linear` + `LeakyReLU` (+ `Sigmoid` for [0,1] data), "
        "`X[perm[i:i+B]]` batches, fresh `randn` noise every batch, `torch.optim.Adam(lr=1e-3)`; "
        "the fused column passes `fused=True`, as the engine does.",
        "- MLPRegressor: `solver='adam'`, ReLU (it has no leaky ReLU), `alpha=0`, the same batch size and "
        "layers (encoder, code, decoder as `hidden_layer_sizes`), one `partial_fit` per epoch on a freshly "
        "noised copy, so its noise is fresh every epoch rather than every batch.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--no-write", action="store_true", help="print the table without writing RESULTS.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    threadpool_limits(1)  # scikit-learn's matrix products run on BLAS threads otherwise
    names = list(CASES) if args.case == "all" else [args.case]
    results = {}
    for name in names:
        print(f"{CASES[name].name}", file=sys.stderr)
        results[name] = bench_case(CASES[name], args.rounds)
    text = table(results, args.rounds)
    print(text)
    if not args.no_write:
        with open(RESULTS, "w", encoding="utf-8") as handle:
            handle.write("# Engine benchmark results\n\nProduced by `python bench/bench_engine.py`.\n\n" + text + "\n")


if __name__ == "__main__":
    main()
