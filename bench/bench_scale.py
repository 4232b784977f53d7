"""Benchmark: memory and time at scale, the engine against a minimal script on the same data and model.

Both sides generate the synthetic table with scikit-learn (N x 784), split it 80/20, standardize it with the
training rows' mean and deviation, keep it as float32, and train a 784-256-784 denoising autoencoder (leaky ReLU,
Gaussian noise 0.2, fused Adam at 1e-3, batch 256) for 2 epochs on one thread. The engine also does what it always
does: the identity and PCA-256 baselines and a test MSE after every epoch. Each side runs in a fresh process, and
the sides alternate; the peak is the process's resident high-water mark (VmHWM), imports included on both sides.

    python bench/bench_scale.py                          # 10k, 30k and 100k rows, 3 rounds
    python bench/bench_scale.py --rows 100000 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PEAK = """
def peak_mb():
    import re
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
"""
MINIMAL = (
    PEAK
    + """
import json, sys, time
import numpy as np, torch, torch.nn.functional as F
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from torch import nn

torch.set_num_threads(1)
n = int(sys.argv[1])
start = time.perf_counter()
X, _ = make_classification(n_samples=n, n_features=784, n_informative=2, n_redundant=2, random_state=42)
X_train, X_test = train_test_split(X, test_size=0.2, random_state=42)
del X
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
X_train = torch.from_numpy(((X_train - mean) / std).astype(np.float32))
X_test = torch.from_numpy(((X_test - mean) / std).astype(np.float32))
model = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(), nn.Linear(256, 784))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
generator = torch.Generator().manual_seed(0)
for epoch in range(2):
    order = torch.randperm(len(X_train), generator=generator)
    for i in range(0, len(X_train), 256):
        clean = X_train[order[i : i + 256]]
        noisy = clean + 0.2 * torch.randn(clean.shape, generator=generator)
        loss = F.mse_loss(model(noisy), clean)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak_mb()}))
"""
)
ENGINE = (
    PEAK
    + """
import json, sys, time
import sklearn.datasets, sklearn.model_selection  # imported before the clock, as the minimal script does
import torch
from dae_core import RunConfig, Trainer

torch.set_num_threads(1)
n = int(sys.argv[1])
config = RunConfig().replace(n_samples=n, n_features=784, hidden_dim=256, batch_size=256, epochs=2)
start = time.perf_counter()
trainer = Trainer(config)
*_, last = trainer.epochs()
seconds = time.perf_counter() - start
rows = len(trainer.dataset.X_train)
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "pca_mse": last.pca_mse, "test_mse": last.test_mse,
                  "first_epoch_s": trainer.history[0].seconds, "epoch_us_per_row": last.seconds / rows * 1e6}))
"""
)


def side(code: str, rows: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code, str(rows)], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000, 30_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("| rows | engine s | minimal s | engine / minimal time | engine peak MB | minimal peak MB "
          "| engine / minimal peak | engine µs per training row (an epoch, its evaluation included) |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        engine, minimal = [], []
        for round_ in range(args.rounds):
            order = [("engine", ENGINE), ("minimal", MINIMAL)]
            for name, code in order if round_ % 2 == 0 else order[::-1]:
                (engine if name == "engine" else minimal).append(side(code, rows))
                print(f"  {rows} rows, round {round_ + 1}: {name} {(engine if name == 'engine' else minimal)[-1]}",
                      file=sys.stderr)  # fmt: skip
        time_ratio = [e["seconds"] / m["seconds"] for e, m in zip(engine, minimal)]
        peak_ratio = [e["peak_mb"] / m["peak_mb"] for e, m in zip(engine, minimal)]
        e_s, m_s = statistics.median(e["seconds"] for e in engine), statistics.median(m["seconds"] for m in minimal)
        e_mb, m_mb = statistics.median(e["peak_mb"] for e in engine), statistics.median(m["peak_mb"] for m in minimal)
        per_row = statistics.median(e["epoch_us_per_row"] for e in engine)
        print(
            f"| {rows:,} | {e_s:.1f} | {m_s:.1f} | {statistics.median(time_ratio):.2f}× "
            f"({min(time_ratio):.2f}–{max(time_ratio):.2f}) | {e_mb:.0f} | {m_mb:.0f} "
            f"| {statistics.median(peak_ratio):.2f}× ({min(peak_ratio):.2f}–{max(peak_ratio):.2f}) | {per_row:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
