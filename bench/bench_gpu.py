"""Benchmark: the engine on a GPU against a bare PyTorch loop on the same tensors, building a run, and a sweep.

Three measurements on the synthetic table at scale (100k x 784 by default, split 80/20, standardized), with a
784-256-784 dense DAE (leaky ReLU, Gaussian noise 0.2, Adam at 1e-3):

1. ``Trainer.epochs()`` against a bare loop with fused Adam that trains the same model on the same device tensors
   (a shuffled gather, noise, forward, loss, backward, step per batch, nothing else), at batch 256 and 4096; the
   sides alternate round by round, and each side's clock stops after the device has finished its work.
2. Building a run: loading the data, the split and the scaling, the model, and the baselines (identity and PCA-256
   on the fixed noisy test set), as ``Trainer(config)`` and its first evaluation do.
3. A batched sweep of 8 noise levels (batch 1024, 3 epochs) against one run of the same settings.
4. The conv DAE on a whole photograph against blur, median and non-local means, both directions
   (``bench_photo.py``), trained ``--photo-seconds`` per direction.

    python bench/bench_gpu.py                                        # on the GPU (about 4 minutes on an H200)
    python bench/bench_gpu.py --device cpu --rows 5000 --epochs 2 --rounds 1 --photo-seconds 5   # end to end, CPU
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
import torch.nn.functional as F
from bench_photo import device_name, print_table
from torch import nn

from dae_core import RunConfig, Trainer
from dae_core.data import load_dataset
from dae_core.photo_denoiser import PhotoDenoiserConfig
from dae_core.sweep import Sweep, expand

LEVELS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]


def finished(device: torch.device) -> float:
    """The clock, once everything queued on ``device`` has run."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def engine_seconds(config: RunConfig, dataset) -> float:
    trainer = Trainer(config, dataset)
    trainer.evaluation_set()  # the baselines are part of building a run, timed in part 2
    start = finished(trainer.device)
    list(trainer.epochs())
    return finished(trainer.device) - start


def bare_seconds(config: RunConfig, dataset) -> float:
    """The same model, data and steps with nothing around them: no evaluation, no records, no checks."""
    trainer = Trainer(config, dataset)  # for the same device tensors; its model is not used
    X, device, batch = trainer.X_train, trainer.device, config.train.batch_size
    width, code = dataset.n_features, config.model.hidden_dim
    model = nn.Sequential(nn.Linear(width, code), nn.LeakyReLU(), nn.Linear(code, width)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.train.lr, fused=True)
    generator = torch.Generator(device).manual_seed(0)
    start = finished(device)
    for _ in range(config.train.epochs):
        order = torch.randperm(len(X), generator=generator, device=device)
        for i in range(0, len(X), batch):
            clean = X[order[i : i + batch]]
            noisy = clean + 0.2 * torch.randn(clean.shape, generator=generator, device=device)
            loss = F.mse_loss(model(noisy), clean)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return finished(device) - start


def build_seconds(config: RunConfig) -> float:
    start = time.perf_counter()
    trainer = Trainer(config)
    trainer.evaluation_set()
    return finished(trainer.device) - start


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--photo-seconds", type=float, default=60.0, help="conv DAE training per direction (0: skip)")
    parser.add_argument("--out", type=Path, default=None, help="write the photographs' side-by-side PNGs here")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("error: no CUDA GPU here; run with --device cpu to try the script on the CPU.")
    name = device_name(torch.device(args.device))
    base = RunConfig().replace(
        n_samples=args.rows, n_features=784, hidden_dim=256, epochs=args.epochs, device=args.device
    )
    dataset = load_dataset(base.data)
    print(f"{name}; torch {torch.__version__}; {args.rows:,} x 784, 784-256-784, {args.epochs} epochs\n")
    print("| measurement | engine s | bare loop s | engine / bare |\n|---|---:|---:|---:|")
    for batch in (256, 4096):
        config = base.replace(batch_size=batch)
        engine_seconds(config.replace(epochs=1), dataset)  # kernels, allocator and caches warm for both sides
        engine, bare = [], []
        for _ in range(args.rounds):
            engine.append(engine_seconds(config, dataset))
            bare.append(bare_seconds(config, dataset))
        ratios = [e / b for e, b in zip(engine, bare)]
        print(f"| batch {batch}, {args.epochs} epochs | {spread(engine)} | {spread(bare)} | {spread(ratios)}× |")
    builds = [build_seconds(base) for _ in range(args.rounds)]
    print(f"| building the run (data, split, scaling, model, baselines) | {spread(builds)} | — | — |")
    sweep_config = base.replace(batch_size=1024, epochs=3)
    sweeps, singles = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        Sweep(expand(sweep_config, {"noise_level": LEVELS}), dataset).run()
        sweeps.append(time.perf_counter() - start)
        singles.append(engine_seconds(sweep_config, dataset))
    ratios = [s / o for s, o in zip(sweeps, singles)]
    print(f"| sweep of 8 noise levels vs one run (batch 1024, 3 epochs) | {spread(sweeps)} | {spread(singles)} "
          f"| {spread(ratios)}× |")  # fmt: skip
    if args.photo_seconds > 0:
        cfg = PhotoDenoiserConfig(seconds=args.photo_seconds)
        print(f"\nA whole photograph, Gaussian σ 25/255, PSNR in dB; {cfg}\n")
        print_table(cfg, torch.device(args.device), args.out)


if __name__ == "__main__":
    main()
