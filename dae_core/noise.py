"""Corruption processes q(x̃|x) of Vincent et al. (2008): gaussian, masking and salt-and-pepper.

All draws come from an explicit ``torch.Generator`` so runs are reproducible. Only data with a
bounded range (images in [0, 1]) is clipped; standardized data is left unclipped, which is the
fix for the seed tutorial's ``clamp(x + noise, 0, 1)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from .config import NOISE_TYPES

ALIGNMENT = 64  # bytes: where PyTorch's CPU allocator starts every tensor


def gaussian(x: torch.Tensor, sigma: float, generator: torch.Generator) -> torch.Tensor:
    """x + N(0, sigma²), element-wise."""
    return x + sigma * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def masking(x: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """Set a random ``fraction`` of the entries to 0, the neutral value of both scaled spaces."""
    hit = torch.rand(x.shape, generator=generator, device=x.device) < fraction
    return x.masked_fill(hit, 0.0)


def salt_pepper(
    x: torch.Tensor, fraction: float, generator: torch.Generator, low: torch.Tensor, high: torch.Tensor
) -> torch.Tensor:
    """Set a random ``fraction`` of the entries to their column's low or high end, half each."""
    draws = torch.rand((2, *x.shape), generator=generator, device=x.device)
    salted = torch.where(draws[1] < 0.5, high, low).to(x.dtype)  # (B, D)
    return torch.where(draws[0] < fraction, salted, x)


def corrupt(
    x: torch.Tensor,
    noise: str,
    level: float,
    generator: torch.Generator,
    *,
    low: torch.Tensor | None = None,
    high: torch.Tensor | None = None,
    clip: bool = False,
) -> torch.Tensor:
    """Apply the named noise at ``level``; ``clip`` keeps the result in [low, high] (bounded data)."""
    if level == 0:
        return x
    if noise == "gaussian":
        out = gaussian(x, level, generator)
        return out.clamp(0.0, 1.0) if clip else out
    if noise == "masking":
        return masking(x, level, generator)
    if noise == "salt_pepper":
        if low is None or high is None:
            low, high = x.amin(dim=0), x.amax(dim=0)
        return salt_pepper(x, level, generator, low, high)
    raise ValueError(f"Unknown noise {noise!r}; use one of {', '.join(NOISE_TYPES)}.")


def noisy_batches(
    rows: torch.Tensor, batch: int, noise: str, level: float, generator: torch.Generator, **bounds
) -> Iterator[torch.Tensor]:
    """``rows[i : i + batch]`` corrupted by :func:`corrupt` (``bounds``: its ``low``, ``high`` and ``clip``), batch
    after batch: the same numbers as calling it batch by batch, and the generator left in the same state.

    Where that gives the very same tensors, the whole of ``rows`` is drawn in one call (3 tensor ops an epoch
    instead of 3 a batch, ~15 µs a step for a small model) and the batches are views of it; otherwise each batch is
    drawn as it is taken, as before.
    """
    if level == 0 or len(rows) <= batch or not _same_draws_at_once(rows, batch, noise):
        for i in range(0, len(rows), batch):
            yield corrupt(rows[i : i + batch], noise, level, generator, **bounds)
        return
    yield from corrupt(rows, noise, level, generator, **bounds).split(batch)


def _same_draws_at_once(rows: torch.Tensor, batch: int, noise: str) -> bool:
    """Whether one draw for ``rows``, cut into batches, gives the tensors one draw per batch gives, on PyTorch's CPU
    generator.

    ``rand`` takes one number from the stream per element, however it is split. ``randn`` turns its uniform draws
    into normals 16 at a time and redraws a short tail, so the stream splits cleanly where every batch but the
    last holds a multiple of 16 numbers and the last at least 16 (``tests/test_noise.py`` checks both against
    batch-by-batch draws). And every batch must start 64 bytes into its memory, as a tensor of its own does: a
    matrix product's last bits can depend on where its input starts. A CUDA generator counts its draws
    differently, and salt and pepper's draws come in pairs.
    """
    if rows.device.type != "cpu":
        return False
    row_size = rows[0].numel()
    if batch * row_size * rows.element_size() % ALIGNMENT:  # float32 rows that pass the 16 rule below pass this
        return False
    if noise == "masking":
        return True
    last = len(rows) - (len(rows) - 1) // batch * batch
    return noise == "gaussian" and batch * row_size % 16 == 0 and last * row_size >= 16


def corrupt_array(
    X: np.ndarray,
    noise: str,
    level: float,
    seed: int,
    *,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
    clip: bool = False,
) -> np.ndarray:
    """NumPy convenience over :func:`corrupt` for display and evaluation code."""
    generator = torch.Generator().manual_seed(int(seed))
    as_tensor = lambda a: None if a is None else torch.as_tensor(np.asarray(a, np.float32))  # noqa: E731
    out = corrupt(
        torch.as_tensor(np.asarray(X, np.float32)),
        noise,
        level,
        generator,
        low=as_tensor(low),
        high=as_tensor(high),
        clip=clip,
    )
    return out.numpy()


def corrupt_each(
    x: torch.Tensor,
    noises: list[str],
    levels: list[float],
    generators: list[torch.Generator],
    *,
    low: torch.Tensor | None = None,
    high: torch.Tensor | None = None,
    clip: bool = False,
) -> torch.Tensor:
    """(K, B, D): the (B, D) batch ``x`` corrupted K times, the k-th with ``noises[k]`` at ``levels[k]`` drawn from
    ``generators[k]``; each draws exactly what :func:`corrupt` would. Gaussian members share one fused add."""
    if _all_gaussian(noises, levels):
        draws, sigma = _gaussian_draws(x, levels, generators)
        out = torch.addcmul(x, draws, sigma)
        return out.clamp_(0.0, 1.0) if clip else out
    return torch.stack(
        [
            corrupt(x, noise, level, g, low=low, high=high, clip=clip)
            for noise, level, g in zip(noises, levels, generators)
        ]
    )


def noisy_batches_each(
    rows: torch.Tensor, batch: int, noises: list[str], levels: list[float], generators: list[torch.Generator], **bounds
) -> Iterator[torch.Tensor]:
    """(K, B, D) after (K, B, D): :func:`corrupt_each` of ``rows[i : i + batch]``, batch after batch, with each
    member's generator left where that leaves it. Where every member's stream splits cleanly (as in
    :func:`noisy_batches`), each member draws for all of ``rows`` in one call, and each batch is then a fresh
    tensor made as :func:`corrupt_each` makes it, from the same numbers."""
    if len(rows) <= batch or not (_all_gaussian(noises, levels) and _same_draws_at_once(rows, batch, "gaussian")):
        for i in range(0, len(rows), batch):
            yield corrupt_each(rows[i : i + batch], noises, levels, generators, **bounds)
        return
    draws, sigma = _gaussian_draws(rows, levels, generators)
    for i in range(0, len(rows), batch):
        out = torch.addcmul(rows[i : i + batch], draws[:, i : i + batch], sigma)  # a fresh (K, B, D), as before
        yield out.clamp_(0.0, 1.0) if bounds.get("clip") else out


def _all_gaussian(noises: list[str], levels: list[float]) -> bool:
    return all(noise == "gaussian" and level > 0 for noise, level in zip(noises, levels))


def _gaussian_draws(
    x: torch.Tensor, levels: list[float], generators: list[torch.Generator]
) -> tuple[torch.Tensor, torch.Tensor]:
    """(K, *x.shape) standard normals, the k-th from ``generators[k]``, and the levels as (K, 1, 1) sigmas."""
    draws = torch.empty((len(levels), *x.shape), device=x.device, dtype=x.dtype)
    for k, generator in enumerate(generators):
        torch.randn(x.shape, generator=generator, out=draws[k])
    return draws, torch.tensor(levels, device=x.device, dtype=x.dtype).view(-1, 1, 1)
