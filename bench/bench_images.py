"""Benchmark: a conv DAE against a dense one, time per training epoch on photo patches of 8x8, 16x16 and 28x28.

Both sides are the engine's own runs: ``dae_core.Trainer`` on ``RunConfig(dataset="photos", patch_size=S)``
(grayscale patches from scikit-learn's two sample photographs, 2,000 by default, 80/20 split), masking 0.3 as the
photos preset, batch 32, Adam at 1e-3, seed 0:

- conv: ``architecture="conv"`` with the engine's defaults, ``conv_channels=(32,)`` and ``code_channels=32``: one
  3x3 stride-2 convolution to 32 channels, a 3x3 convolution to a 32-channel code of (S/2)x(S/2), and two
  transposed convolutions back (about 19k parameters at every size; the code is overcomplete, 8x the pixels);
- dense: ``architecture="dense"``, one layer of 64 units (the photos preset's code size), untied like the conv
  model. ``--dense-code match`` gives it the conv model's code size instead (512, 2048, 6272 units).

Each run trains for ``--epochs`` epochs through ``Trainer.epochs()``; an epoch's time is the wall (and CPU) time
between two records, so it includes the engine's per-epoch test evaluation and bookkeeping. The first epoch is
left out (warm-up: first kernels, and the classic baselines computed on its first evaluation); a run's time per
epoch is the median of the rest. Building the trainer and loading the data are outside the timer.

Conv and dense alternate within each round (the side that goes first rotates), once with one torch thread and
once with all cores (``torch.set_num_threads``). Reported per size and thread count: median seconds per epoch,
conv / dense (the median of the per-round ratios, with its range, and the CPU-time ratio), and the test MSE after
the last epoch (against the clean test patches, on the run's fixed noisy test inputs), so speed reads with quality.

    python bench/bench_images.py                      # 8, 16, 28; 1 thread and all cores; 8 epochs, 3 rounds
    python bench/bench_images.py --quick              # under a minute: 500 patches, 3 epochs, 1 round
    python bench/bench_images.py --sizes 28 --threads 1 --rounds 5 --dense-code match
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from dae_core import RunConfig, Trainer
from dae_core.data import load_dataset
from dae_core.model import parameter_count

SIZES = (8, 16, 28)
NOISE = {"noise": "masking", "noise_level": 0.3}  # the photos preset's corruption


@dataclass(frozen=True)
class Run:
    wall: float  # median seconds per epoch, epochs after the first
    cpu: float  # the same in CPU seconds (all threads of the process)
    test_mse: float  # after the last epoch
    params: int
    code: int


def configs(size: int, n_samples: int, epochs: int, batch: int, dense_code: str) -> dict[str, RunConfig]:
    base = RunConfig().replace(dataset="photos", patch_size=size, n_samples=n_samples, epochs=epochs,
                               batch_size=batch, seed=0, **NOISE)  # fmt: skip
    conv = base.replace(architecture="conv", conv_channels=(32,), code_channels=32)
    conv_code = 32 * ((size + 1) // 2) ** 2
    width = conv_code if dense_code == "match" else int(dense_code)
    dense = base.replace(architecture="dense", hidden_layers=(), hidden_dim=width, tied_weights=False)
    return {"conv": conv, "dense": dense}


def train(config: RunConfig, dataset) -> Run:
    trainer = Trainer(config, dataset)
    walls, cpus, records = [], [], []
    wall, cpu = time.perf_counter(), time.process_time()
    for record in trainer.epochs():
        now_wall, now_cpu = time.perf_counter(), time.process_time()
        walls.append(now_wall - wall)
        cpus.append(now_cpu - cpu)
        records.append(record)
        wall, cpu = time.perf_counter(), time.process_time()
    timed = slice(1, None) if len(walls) > 1 else slice(None)  # the first epoch is warm-up
    params = sum(p.numel() for p in trainer.model.parameters())
    assert params == parameter_count(dataset.n_features, config.model, dataset.image_shape)
    return Run(statistics.median(walls[timed]), statistics.median(cpus[timed]), records[-1].test_mse, params,
               trainer.model.hidden_dim)  # fmt: skip


def bench(size: int, threads: int, args) -> dict[str, list[Run]]:
    torch.set_num_threads(threads)
    sides = configs(size, args.samples, args.epochs, args.batch, args.dense_code)
    dataset = load_dataset(sides["conv"].data)
    for config in sides.values():  # warm-up: imports, first kernels at this size and thread count
        train(config.replace(epochs=2), dataset)
    runs: dict[str, list[Run]] = {name: [] for name in sides}
    names = list(sides)
    for round_ in range(args.rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            runs[name].append(train(sides[name], dataset))
            r = runs[name][-1]
            print(f"  {size}x{size} {threads} thread(s) round {round_ + 1}/{args.rounds} {name:<5} "
                  f"{r.wall * 1000:8.1f} ms/epoch  test MSE {r.test_mse:.5f}", file=sys.stderr)  # fmt: skip
    return runs


def ratio(conv: list[Run], dense: list[Run], attr: str) -> list[float]:
    return [getattr(c, attr) / getattr(d, attr) for c, d in zip(conv, dense)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="patch sides (default: 8 16 28)")
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="torch thread counts (default: 1 and all cores)")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=8, help="epochs per run; the first is not timed (default: 8)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=2000, help="photo patches, 80%% of them trained on")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--dense-code", default="64",
                        help="dense code: a width, or 'match' for the conv code's size (default: 64)")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="500 patches, 3 epochs, 1 round: under a minute")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.epochs, args.rounds = 500, 3, 1
    cores = os.cpu_count() or 1
    threads = args.threads or sorted({1, cores})
    conv_desc = "conv (32,) code 32"
    dense_desc = "dense, code = conv code" if args.dense_code == "match" else f"dense {args.dense_code}"
    print(f"photos: {args.samples} patches (80% train), masking 0.3, batch {args.batch}, {args.epochs} epochs "
          f"(first untimed), {args.rounds} round(s); {conv_desc} vs {dense_desc}; torch {torch.__version__}, "
          f"{cores} CPU cores\n")  # fmt: skip
    print("| size | threads | conv params / code | dense params / code | conv ms/epoch | dense ms/epoch "
          "| conv / dense | conv / dense, CPU | conv test MSE | dense test MSE |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        for count in threads:
            runs = bench(size, count, args)
            conv, dense = runs["conv"], runs["dense"]
            wall = ratio(conv, dense, "wall")
            cpu = ratio(conv, dense, "cpu")
            med = lambda rs, attr: statistics.median(getattr(r, attr) for r in rs)  # noqa: E731
            print(
                f"| {size}x{size} | {count} | {conv[0].params:,} / {conv[0].code:,} "
                f"| {dense[0].params:,} / {dense[0].code:,} "
                f"| {med(conv, 'wall') * 1000:.1f} | {med(dense, 'wall') * 1000:.1f} "
                f"| {statistics.median(wall):.2f}× ({min(wall):.2f}–{max(wall):.2f}) | {statistics.median(cpu):.2f}× "
                f"| {med(conv, 'test_mse'):.5f} | {med(dense, 'test_mse'):.5f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
