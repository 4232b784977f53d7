"""Benchmark: K conv DAEs that differ only in noise level, trained as a loop of K models or as one batched model.

The engine's sweep (``dae_core.sweep``) batches dense members with ``torch.baddbmm`` but trains each conv member
alone. This measures whether batching conv members would pay, three ways, on 16x16 grayscale photo patches
(``RunConfig(dataset="photos", patch_size=16)``, 2,000 patches, 80/20 split), batch 64, fused Adam at 1e-3:

- loop: K of the engine's ``ConvDenoisingAutoencoder`` (its defaults: ``conv_channels=(32,)``, ``code_channels=32``,
  leaky ReLU, sigmoid output), each with its own optimizer, trained one after another within each epoch;
- grouped: the same K members as one model with the members stacked on the channel axis, (B, K*c, h, w), every
  ``conv2d`` and ``conv_transpose2d`` called with ``groups=K`` over the members' weights concatenated on dim 0;
- vmap: ``torch.func.functional_call`` on the engine's model, vectorised with ``torch.func.vmap`` over the
  members' parameters stacked by ``torch.func.stack_module_state``.

What makes them K separate runs: member k has its own initial weights (seed k), its own Gaussian noise level
(0.1 to 0.6, clipped to [0, 1]) and noise stream (the same draws on every side), its own fixed noisy test inputs
and its own Adam state: the batched sides minimise the sum of the members' mean losses, whose gradient with respect
to member k's weights is member k's own, and Adam works element by element, so one fused Adam over the stacked
weights takes each member's own step. Only the batch order is shared, as in the engine's sweep. Before timing, each
batched forward pass is checked against the K separate models on the same weights (max abs difference < 1e-5), and
the table of final test MSEs shows that the three sides train the same members.

An epoch is every member's steps over the training rows plus each member's test MSE, timed on the wall (and CPU)
clock; the first epoch is warm-up and left out, and a side's time per epoch is the median of the rest. The three
sides alternate within each round (the side that goes first rotates), with one torch thread and with all cores;
ratios are medians of the per-round ratios, with their range.

    python bench/bench_conv_sweep.py                  # K = 3 and 6; 1 thread and all cores; 6 epochs, 3 rounds
    python bench/bench_conv_sweep.py --quick          # under a minute: 500 patches, 3 epochs, 1 round
    python bench/bench_conv_sweep.py --k 6 --threads 1 --rounds 5
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from dae_core.config import DataConfig, TrainConfig
from dae_core.data import load_dataset
from dae_core.model import ConvDenoisingAutoencoder, resolve_output_activation
from dae_core.noise import corrupt, corrupt_each
from dae_core.training import TEST_NOISE_SEED_OFFSET, make_optimizer

SIDES = ("loop", "grouped", "vmap")
TOLERANCE = 1e-5


def levels_for(k: int) -> list[float]:
    return [round(float(v), 3) for v in np.linspace(0.1, 0.6, k)]


@dataclass
class Data:
    X: torch.Tensor  # (N, D) clean training patches
    X_test: torch.Tensor  # (N_test, D) clean test patches
    noisy_test: torch.Tensor  # (K, N_test, D) each member's fixed noisy test inputs
    image_shape: tuple[int, int, int]
    bounded: bool
    levels: list[float]


def members(data: Data) -> list[ConvDenoisingAutoencoder]:
    """The K members' models with their initial weights: member k draws them from seed k."""
    output = resolve_output_activation("auto", data.bounded)
    seeded = lambda k: torch.Generator().manual_seed(k)  # noqa: E731
    return [
        ConvDenoisingAutoencoder(data.image_shape, 32, (32,), "leaky_relu", output, False, seeded(k))
        for k in range(len(data.levels))
    ]


def noise_generators(k: int) -> list[torch.Generator]:
    return [torch.Generator().manual_seed(1 + 1000 * i) for i in range(k)]


# --- the batched models ---------------------------------------------------------------------------------
class Grouped:
    """K conv members as one model: members stacked on the channel axis, every convolution with ``groups=K``.

    A grouped ``conv2d``'s weight is (K*out, in, 3, 3) and a grouped ``conv_transpose2d``'s (K*in, out, 3, 3):
    both are the members' own weights concatenated on dim 0, so each leaf holds all members' copies of one weight.
    """

    def __init__(self, models: list[ConvDenoisingAutoencoder]):
        self.ref, self.k = models[0], len(models)
        stack = lambda tensors: torch.cat([t.detach() for t in tensors]).requires_grad_()  # noqa: E731
        self.encoder = [
            (stack([m.encoder[i].weight for m in models]), stack([m.encoder[i].bias for m in models]), layer.stride)
            for i, layer in enumerate(self.ref.encoder)
        ]
        self.decoder = [
            (stack([m.decoder[i].weight for m in models]), stack([m.decoder[i].bias for m in models]))
            for i in range(len(self.ref.decoder))
        ]
        # the engine's decoder plan, for each layer's stride and output size (its weights are member 0's: unused)
        self.plan = [(stride, size) for _, _, stride, size in self.ref._steps()]

    def parameters(self) -> list[torch.Tensor]:
        return [t for layer in self.encoder + self.decoder for t in layer[:2]]

    def images(self, x: torch.Tensor) -> torch.Tensor:
        """(K, B, D) rows, one slice per member, to (B, K*c, h, w): the members side by side on the channels."""
        h, w, c = self.ref.image_shape
        return x.reshape(self.k, -1, h, w, c).permute(1, 0, 4, 2, 3).reshape(-1, self.k * c, h, w)

    def forward_images(self, x: torch.Tensor) -> torch.Tensor:
        """(B, K*c, h, w) to (B, K*c, h, w), each member's channels through its own weights."""
        act, out = self.ref._act, self.ref._out
        for weight, bias, stride in self.encoder:
            x = act(F.conv2d(x, weight, bias, stride=stride, padding=1, groups=self.k))
        for i, ((weight, bias), (stride, (out_h, out_w))) in enumerate(zip(self.decoder, self.plan)):
            extra = (out_h - (2 * x.shape[2] - 1), out_w - (2 * x.shape[3] - 1)) if stride == 2 else 0
            x = F.conv_transpose2d(x, weight, bias, stride=stride, padding=1, output_padding=extra, groups=self.k)
            x = out(x) if i == len(self.decoder) - 1 else act(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(K, B, D) to (K, B, D), as the K separate models would map their slices."""
        h, w, c = self.ref.image_shape
        y = self.forward_images(self.images(x))
        return y.reshape(-1, self.k, c, h, w).permute(1, 0, 3, 4, 2).reshape(self.k, -1, h * w * c)

    def member_losses(self, noisy: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
        """(K,) each member's mean squared error on the batch, in the channel-stacked layout (no copy back)."""
        h, w, c = self.ref.image_shape
        y = self.forward_images(self.images(noisy))  # (B, K*c, h, w)
        target = clean.reshape(-1, 1, h, w, c).permute(0, 1, 4, 2, 3)  # (B, 1, c, h, w), broadcast over members
        err = (y.reshape(-1, self.k, c, h, w) - target).square()
        return err.mean(dim=(0, 2, 3, 4))


class Vmapped:
    """K conv members as one model: ``vmap`` of ``functional_call`` on the engine's model over stacked parameters."""

    def __init__(self, models: list[ConvDenoisingAutoencoder]):
        self.params, self.buffers = stack_module_state(models)  # leaves (K, *shape), requiring grad
        base = copy.deepcopy(models[0]).to("meta")

        def one(params, buffers, x):
            return functional_call(base, (params, buffers), (x,))

        self._forward = vmap(one)

    def parameters(self) -> list[torch.Tensor]:
        return list(self.params.values())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._forward(self.params, self.buffers, x)

    def member_losses(self, noisy: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
        out = self.forward(noisy)
        return F.mse_loss(out, clean.expand_as(out), reduction="none").mean(dim=(1, 2))


# --- the check and the sides ---------------------------------------------------------------------------------
def check_forward(data: Data) -> dict[str, float]:
    """Max abs difference between each batched forward pass and the K separate models, on the same weights."""
    models = members(data)
    with torch.no_grad():
        separate = torch.stack([m(x) for m, x in zip(models, data.noisy_test)])  # (K, N_test, D)
        diffs = {
            "grouped": (Grouped(models).forward(data.noisy_test) - separate).abs().max().item(),
            "vmap": (Vmapped(models).forward(data.noisy_test) - separate).abs().max().item(),
        }
    for name, diff in diffs.items():
        assert diff < TOLERANCE, f"{name} forward differs from the separate models by {diff:.3g}"
    return diffs


@dataclass(frozen=True)
class Run:
    wall: float  # median seconds per epoch, epochs after the first
    cpu: float
    test_mse: list[float]  # each member's, after the last epoch


def train(side: str, data: Data, epochs: int, batch: int) -> Run:
    k, n = len(data.levels), data.X.shape[0]
    models = members(data)
    generators = noise_generators(k)
    order_generator = torch.Generator().manual_seed(2)  # the batch order, shared by the members
    optimizer_config = TrainConfig(batch_size=batch)  # fused Adam, lr 1e-3, as the engine makes it
    low, high = torch.zeros(data.X.shape[1]), torch.ones(data.X.shape[1])
    clip = data.bounded
    if side == "loop":
        optimizers = [make_optimizer(m.parameters(), optimizer_config) for m in models]
    else:
        batched = Grouped(models) if side == "grouped" else Vmapped(models)
        optimizer = make_optimizer(batched.parameters(), optimizer_config)
    walls, cpus, test_mse = [], [], []
    for _ in range(epochs):
        wall, cpu = time.perf_counter(), time.process_time()
        order = torch.randperm(n, generator=order_generator)
        if side == "loop":
            for model, opt, level, generator in zip(models, optimizers, data.levels, generators):
                model.train()
                for i in range(0, n, batch):
                    clean = data.X[order[i : i + batch]]
                    noisy = corrupt(clean, "gaussian", level, generator, low=low, high=high, clip=clip)
                    loss = F.mse_loss(model(noisy), clean)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
            with torch.no_grad():
                for model in models:
                    model.eval()
                test_mse = [F.mse_loss(m(x), data.X_test).item() for m, x in zip(models, data.noisy_test)]
        else:
            noises = ["gaussian"] * k
            for i in range(0, n, batch):
                clean = data.X[order[i : i + batch]]
                noisy = corrupt_each(clean, noises, data.levels, generators, low=low, high=high, clip=clip)
                loss = batched.member_losses(noisy, clean).sum()  # each member's gradient is its own loss's
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                out = batched.forward(data.noisy_test)
                test_mse = F.mse_loss(out, data.X_test.expand_as(out), reduction="none").mean(dim=(1, 2)).tolist()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    timed = slice(1, None) if epochs > 1 else slice(None)  # the first epoch is warm-up
    return Run(statistics.median(walls[timed]), statistics.median(cpus[timed]), test_mse)


def load(samples: int, k: int) -> Data:
    dataset = load_dataset(DataConfig(dataset="photos", n_samples=samples, patch_size=16))
    X, X_test = torch.as_tensor(dataset.X_train), torch.as_tensor(dataset.X_test)
    levels = levels_for(k)
    low, high = torch.zeros(X.shape[1]), torch.ones(X.shape[1])
    noisy_test = torch.stack([
        corrupt(X_test, "gaussian", level, torch.Generator().manual_seed(TEST_NOISE_SEED_OFFSET + i),
                low=low, high=high, clip=dataset.bounded)
        for i, level in enumerate(levels)
    ])  # fmt: skip
    return Data(X, X_test, noisy_test, dataset.image_shape, dataset.bounded, levels)


def bench(data: Data, threads: int, args) -> dict[str, list[Run]]:
    torch.set_num_threads(threads)
    for side in SIDES:  # warm-up: first kernels at this K and thread count
        train(side, data, 2, args.batch)
    runs: dict[str, list[Run]] = {side: [] for side in SIDES}
    k = len(data.levels)
    for round_ in range(args.rounds):
        for side in SIDES[round_ % len(SIDES) :] + SIDES[: round_ % len(SIDES)]:
            runs[side].append(train(side, data, args.epochs, args.batch))
            print(f"  K={k} {threads} thread(s) round {round_ + 1}/{args.rounds} {side:<7} "
                  f"{runs[side][-1].wall * 1000:8.1f} ms/epoch", file=sys.stderr)  # fmt: skip
    return runs


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}× ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=[3, 6], help="members per sweep (default: 3 6)")
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="torch thread counts (default: 1 and all cores)")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=6, help="epochs per run; the first is not timed (default: 6)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=2000, help="16x16 photo patches, 80%% of them trained on")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="500 patches, 3 epochs, 1 round: under a minute")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.epochs, args.rounds = 500, 3, 1
    cores = os.cpu_count() or 1
    threads = args.threads or sorted({1, cores})
    print(f"photos 16x16: {args.samples} patches (80% train), batch {args.batch}, {args.epochs} epochs (first "
          f"untimed), {args.rounds} round(s); conv (32,) code 32; Gaussian noise 0.1-0.6, one level per member; "
          f"torch {torch.__version__}, {cores} CPU cores\n")  # fmt: skip
    results = []
    for k in args.k:
        data = load(args.samples, k)
        torch.set_num_threads(1)
        diffs = check_forward(data)
        print(f"K={k} forward check, max abs difference from the separate models: grouped {diffs['grouped']:.1e}, "
              f"vmap {diffs['vmap']:.1e} (< {TOLERANCE:g})")  # fmt: skip
        for count in threads:
            results.append((k, count, data.levels, bench(data, count, args)))
    print("\n| K | threads | loop ms/epoch | grouped ms/epoch | vmap ms/epoch | grouped / loop | vmap / loop "
          "| grouped / loop, CPU | vmap / loop, CPU |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k, count, _, runs in results:
        med = {side: statistics.median(r.wall for r in runs[side]) * 1000 for side in SIDES}
        wall = {side: [r.wall / loop.wall for r, loop in zip(runs[side], runs["loop"])] for side in SIDES[1:]}
        cpu = {side: [r.cpu / loop.cpu for r, loop in zip(runs[side], runs["loop"])] for side in SIDES[1:]}
        print(f"| {k} | {count} | {med['loop']:.1f} | {med['grouped']:.1f} | {med['vmap']:.1f} "
              f"| {spread(wall['grouped'])} | {spread(wall['vmap'])} | {statistics.median(cpu['grouped']):.2f}× "
              f"| {statistics.median(cpu['vmap']):.2f}× |")  # fmt: skip
    print(f"\nEach member's test MSE after {args.epochs} epochs (last round), loop / grouped / vmap:\n")
    print("| K | threads | noise σ | loop | grouped | vmap | max rel. difference from loop |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for k, count, levels, runs in results:
        last = {side: runs[side][-1].test_mse for side in SIDES}
        for i, level in enumerate(levels):
            loop = last["loop"][i]
            rel = max(abs(last[side][i] - loop) / loop for side in SIDES[1:])
            print(f"| {k} | {count} | {level:g} | {loop:.5f} | {last['grouped'][i]:.5f} | {last['vmap'][i]:.5f} "
                  f"| {rel:.1e} |")  # fmt: skip


if __name__ == "__main__":
    main()
