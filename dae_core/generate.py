"""A trained DAE as a generative model: the walk-back chain, the score it estimates, annealed sampling over noise
levels, and a kernel two-sample statistic (MMD) that says how close samples come to held-out data.

- The chain of Bengio, Yao, Alain & Vincent (2013): x → corrupt (the model's own noise type and level) → draw from
  the model's P(x | x̃) → corrupt → ... A model trained with the MSE loss is a Gaussian P(x | x̃) = N(r(x̃), v·I)
  whose mean is the reconstruction r(x̃) and whose variance v is the mean squared error it makes on held-out rows.
  Drawing from it, not taking the mean, is what the chain's theorem asks for: a chain of means x ← r(x̃) is a noisy
  mean shift, and it piles up where the model's small errors point (on moons, within 30 steps).
- The score (Alain & Bengio 2014): a DAE trained with Gaussian noise of level σ has r(x̃) ≈ E[x | x̃], so by
  Tweedie's formula (r(x̃) − x̃) / σ² estimates ∇ log p_σ(x̃), the score of the data blurred by that noise.
- Annealed sampling (Song & Ermon 2019): Langevin steps along the score at a few levels, largest first. Each level's
  score comes from the model *trained* at that level (a sweep's members), because a model trained at σ estimates
  the score of the data blurred by σ, whatever level it is then used at: one model at decreasing σ would follow the
  same field with smaller steps. The large levels' fields reach far from the data and carry points across the box;
  the small ones are sharp near it. This is what a diffusion model does, with one network conditioned on σ.

Everything works on rows in the model's *scaled* space and returns NumPy arrays or small frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .errors import ConfigError, DataError
from .metrics import squared_distances
from .noise import corrupt

MAX_STEPS = 1000  # of a chain or of one level of annealing: the dashboard's chains take 30
MAX_BANDWIDTH_ROWS = 1000  # rows the median heuristic looks at: its pairwise distances cost rows² numbers
SAMPLES = 500  # chains a measurement runs: enough for an MMD whose spread over seeds is well below its gap
MARGIN = 0.25  # the box the chains start in: the data's bounding box widened by this (scaled units)


@dataclass(frozen=True)
class Chain:
    """The states of chains started from ``states[0]``: ``states[k]`` (N, D) after ``steps[k]`` steps."""

    steps: tuple[int, ...]
    states: tuple[np.ndarray, ...]

    @property
    def final(self) -> np.ndarray:
        """(N, D) the chains' last states: the samples."""
        return self.states[-1]


def _check_count(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ConfigError(f"The '{name}' parameter must be an int in [{low}, {high}]. Got {value!r} instead.")
    return int(value)


def _rows(start, width: int | None = None) -> np.ndarray:
    rows = np.asarray(start, np.float32)
    if rows.ndim != 2 or (width is not None and rows.shape[1] != width):
        shape = "x".join(str(s) for s in rows.shape)
        wanted = f"{width} columns (the model's input width)" if width is not None else "rows"
        raise DataError(f"The chains' start must be a 2-D array with {wanted}. Got shape ({shape}) instead.")
    return rows


def walk(
    denoise: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    steps: int,
    *,
    noise: str,
    level: float,
    seed: int = 0,
    every: int = 1,
    clip: bool = False,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
    spread: float = 0.0,
) -> Chain:
    """Run the walk-back chain x ← denoise(corrupt(x)) + ``spread`` · z, z ~ N(0, I), for ``steps`` steps from
    ``start`` (N, D), keeping the states every ``every`` steps (and the last). ``spread`` 0 keeps the means. One
    seeded generator draws every step's noise, so a seed gives one chain. ``clip``, ``low`` and ``high`` are
    :func:`noise.corrupt`'s (bounded data is clipped to [0, 1], as in training, after each draw too)."""
    steps, every = _check_count("steps", steps, 0, MAX_STEPS), _check_count("every", every, 1, MAX_STEPS)
    generator = torch.Generator().manual_seed(int(seed))
    as_tensor = lambda a: None if a is None else torch.as_tensor(np.asarray(a, np.float32))  # noqa: E731
    low_t, high_t = as_tensor(low), as_tensor(high)
    x = _rows(start)
    kept_steps, states = [0], [x]
    for step in range(1, steps + 1):
        noisy = corrupt(torch.as_tensor(x), noise, level, generator, low=low_t, high=high_t, clip=clip)
        x = np.asarray(denoise(noisy.numpy()), np.float32)  # (N, D)
        if spread > 0:
            x = x + np.float32(spread) * torch.randn(x.shape, generator=generator).numpy()
            x = np.clip(x, 0.0, 1.0) if clip else x
        if step % every == 0 or step == steps:
            kept_steps.append(step)
            states.append(x)
    return Chain(tuple(kept_steps), tuple(states))


def _noise_of(trained) -> tuple[str, float, bool, np.ndarray | None, np.ndarray | None]:
    """A model's own corruption: its noise type and the level of the epoch whose weights it holds, and the clipping
    and column ends its training applied."""
    kept = trained.kept_record
    level = kept.noise_level if kept is not None else trained.settings.noise.noise_level
    bounded = trained.scaler.bounded
    width = trained.model.input_dim
    low, high = (np.zeros(width, np.float32), np.ones(width, np.float32)) if bounded else (None, None)
    return trained.config.noise.noise, float(level), bounded, low, high


def reconstruction_spread(trained) -> float:
    """√v, v the model's held-out mean squared error at its own noise level (of the epoch whose weights it holds):
    the standard deviation of its Gaussian P(x | x̃) around the reconstruction. 0 for a model with no record."""
    kept = trained.kept_record
    return float(np.sqrt(max(kept.test_mse, 0.0))) if kept is not None else 0.0


def chain(
    trained,
    start: np.ndarray,
    steps: int,
    *,
    seed: int = 0,
    every: int = 1,
    level: float | None = None,
    draw: bool = True,
) -> Chain:
    """The walk-back chain of a trained model (``training.TrainedModel``) from ``start``: corrupted with the model's
    own noise type at its own level (or ``level``), then a draw from its P(x | x̃) (:func:`reconstruction_spread`;
    with ``draw`` False, the reconstruction itself), and again. See :func:`walk`."""
    noise, own, bounded, low, high = _noise_of(trained)
    start = _rows(start, trained.model.input_dim)
    level = own if level is None else level
    spread = reconstruction_spread(trained) if draw else 0.0
    return walk(trained.denoise, start, steps, noise=noise, level=level, seed=seed, every=every, clip=bounded,
                low=low, high=high, spread=spread)  # fmt: skip


def _gaussian_level(trained) -> float:
    noise, level, *_ = _noise_of(trained)
    if noise != "gaussian" or level <= 0:
        raise ConfigError(
            f"The score needs a model trained with Gaussian noise of a level above 0; this one was trained with "
            f"{noise} noise at {level:g}. Train one with Gaussian noise."
        )
    return level


def score(trained, points: np.ndarray) -> np.ndarray:
    """(N, D) (r(x̃) − x̃) / σ² at each point, σ the model's Gaussian training level: its estimate of ∇ log p_σ(x̃),
    the score of the data blurred by that noise (Alain & Bengio 2014; Tweedie's formula)."""
    sigma = _gaussian_level(trained)
    points = _rows(points, trained.model.input_dim)
    return (trained.denoise(points) - points) / np.float32(sigma**2)


def anneal(
    models: Sequence,
    start: np.ndarray,
    steps_per_level: int = 20,
    *,
    step_ratio: float = 0.5,
    seed: int = 0,
    every: int = 1,
    denoise_last: bool = True,
) -> Chain:
    """Annealed Langevin sampling (Song & Ermon 2019) with each model's score at its own Gaussian training level.

    The models go from the largest level to the smallest; at level σᵢ each step is x ← x + αᵢ/2 · sᵢ(x) + √αᵢ · z
    with αᵢ = ε σᵢ² / σ_L² (σ_L the smallest level) and ε = ``step_ratio`` · σ_L², so the drift is the same share
    ``step_ratio`` / 2 of the way to rᵢ(x) at every level while the noise shrinks with σᵢ. ``denoise_last`` ends with
    one step x ← r_L(x) onto the data, as the last model's reconstruction (Tweedie's denoising step); without it the
    samples carry noise of about σ_L. States are kept every ``every`` steps, counted over all levels.
    """
    if not models:
        raise ConfigError("Annealed sampling needs at least one model.")
    if not 0 < step_ratio <= 1:
        raise ConfigError(f"The 'step_ratio' parameter must be a float in (0, 1]. Got {step_ratio!r} instead.")
    steps_per_level = _check_count("steps_per_level", steps_per_level, 1, MAX_STEPS)
    every = _check_count("every", every, 1, MAX_STEPS * len(models))
    ranked = sorted(models, key=_gaussian_level, reverse=True)  # largest level first
    smallest = _gaussian_level(ranked[-1])
    epsilon = step_ratio * smallest**2
    rng = np.random.default_rng(seed)
    x = _rows(start, ranked[0].model.input_dim)
    kept_steps, states, step = [0], [x], 0
    for trained in ranked:
        sigma = _gaussian_level(trained)
        alpha = epsilon * sigma**2 / smallest**2
        for _ in range(steps_per_level):
            step += 1
            drift = alpha / 2 * score(trained, x)  # = step_ratio / 2 · (r(x) − x)
            x = (x + drift + np.sqrt(alpha) * rng.standard_normal(x.shape)).astype(np.float32)
            if step % every == 0:
                kept_steps.append(step)
                states.append(x)
    if denoise_last:
        step += 1
        x = ranked[-1].denoise(x)
    if kept_steps[-1] != step:
        kept_steps.append(step)
        states.append(x)
    return Chain(tuple(kept_steps), tuple(states))


# --- how close samples come to data: the maximum mean discrepancy --------------------------------------------------
def median_bandwidth(X: np.ndarray, Y: np.ndarray | None = None, seed: int = 0) -> float:
    """The median heuristic: the median distance between distinct rows of ``X`` (and ``Y``, pooled), over at most
    ``MAX_BANDWIDTH_ROWS`` rows drawn with ``seed``. It sets the RBF kernel's width to the data's own scale."""
    pooled = _rows(X) if Y is None else np.vstack([_rows(X), _rows(Y)])
    if len(pooled) < 2:
        raise DataError("The median heuristic needs at least 2 rows.")
    if len(pooled) > MAX_BANDWIDTH_ROWS:
        pooled = pooled[np.random.default_rng(seed).choice(len(pooled), MAX_BANDWIDTH_ROWS, replace=False)]
    distances = np.sqrt(np.maximum(squared_distances(pooled, pooled), 0.0))
    median = float(np.median(distances[np.triu_indices(len(pooled), k=1)]))
    return median if median > 0 else 1.0


def mmd_squared(X: np.ndarray, Y: np.ndarray, bandwidth: float | None = None) -> float:
    """The unbiased estimate of MMD² between the samples ``X`` (m, D) and ``Y`` (n, D) (Gretton et al. 2012) with the
    RBF kernel k(x, y) = exp(−‖x − y‖² / 2h²), h = ``bandwidth`` or the median heuristic on both samples pooled:

        1/(m(m−1)) Σ_{i≠j} k(xᵢ, xⱼ) + 1/(n(n−1)) Σ_{i≠j} k(yᵢ, yⱼ) − 2/(mn) Σ_{i,j} k(xᵢ, yⱼ)

    Near 0 (it can dip below) when both come from one distribution; larger the further apart they are."""
    X, Y = _rows(X), _rows(Y)
    if X.shape[1] != Y.shape[1]:
        raise DataError(f"The two samples must have the same width. Got {X.shape[1]} and {Y.shape[1]} columns.")
    m, n = len(X), len(Y)
    if m < 2 or n < 2:
        raise DataError(f"The MMD needs at least 2 rows in each sample. Got {m} and {n}.")
    h = median_bandwidth(X, Y) if bandwidth is None else float(bandwidth)
    if not h > 0:
        raise ConfigError(f"The 'bandwidth' parameter must be a float > 0. Got {bandwidth!r} instead.")
    kernel = lambda A, B: np.exp(-np.maximum(squared_distances(A, B), 0.0) / (2 * h * h))  # noqa: E731
    xx, yy, xy = kernel(X, X), kernel(Y, Y), kernel(X, Y)
    within_x = (xx.sum() - np.trace(xx)) / (m * (m - 1))
    within_y = (yy.sum() - np.trace(yy)) / (n * (n - 1))
    return float(within_x + within_y - 2 * xy.mean())


@dataclass(frozen=True)
class Ends:
    """The two ends a sampler's MMD² to held-out data lies between, with the kernel width they share."""

    uniform: float  # uniform noise over the box the chains start in: a sampler that learned nothing
    training: float  # the training rows themselves: as close as samples of the data can come
    bandwidth: float  # the median heuristic on the held-out rows, used for every MMD² compared with these


def uniform_box(X: np.ndarray, count: int = SAMPLES, seed: int = 0, margin: float = MARGIN) -> np.ndarray:
    """(count, D) points uniform over the bounding box of ``X`` widened by ``margin``: where the chains start. For
    data in [0, 1] (pictures) the box is clipped to [0, 1]."""
    X = _rows(X)
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    if X.min() >= 0 and X.max() <= 1:
        low, high = np.maximum(low, 0.0), np.minimum(high, 1.0)
    return np.random.default_rng(seed).uniform(low, high, size=(count, X.shape[1])).astype(np.float32)


def ends(X_train: np.ndarray, X_test: np.ndarray, count: int = SAMPLES, seed: int = 0) -> Ends:
    """MMD² to the held-out rows of uniform noise over the chains' box and of ``count`` training rows."""
    bandwidth = median_bandwidth(X_test)
    uniform = uniform_box(X_train, count, seed + 1)  # not the chains' own start: another draw of the same box
    rows = np.random.default_rng(seed).choice(len(X_train), min(count, len(X_train)), replace=False)
    return Ends(mmd_squared(uniform, X_test, bandwidth), mmd_squared(X_train[rows], X_test, bandwidth), bandwidth)


# --- a sweep's members as samplers: what the Generation view shows ------------------------------------------------
CHAIN_STEPS = 10  # walk-back steps: the chains land on the moons in 3-5; longer chains drift (see the README)
KEEP_EVERY = 1  # chain states kept for the animation and the picture grid
ANNEAL_STEPS = 10  # Langevin steps per level of annealing
PICTURE_CHAINS = 8  # chains of pictures kept for the grid; 2-D data keeps every chain


@dataclass(frozen=True)
class Generation:
    """Each member's walk-back chains and annealed sampling across the members, scored by MMD² to held-out data."""

    levels: tuple[float, ...]  # each member's training noise level
    steps: tuple[int, ...]  # chain steps kept
    paths: tuple[np.ndarray, ...]  # per member, (len(steps), N, D): N = SAMPLES for 2-D data, PICTURE_CHAINS else
    mmd: tuple[float, ...]  # per member: its chains' last states against the held-out rows
    annealed: np.ndarray | None  # (SAMPLES or PICTURE_CHAINS, D) annealed samples; None unless 2+ Gaussian members
    annealed_mmd: float | None
    ends: Ends
    data: np.ndarray  # (N_test, D) the held-out rows, drawn under the chains
    samples: int = SAMPLES  # chains run per sampler: what each MMD² is of


def generation(models: Sequence, X_train: np.ndarray, X_test: np.ndarray, seed: int = 0) -> Generation:
    """Run :data:`SAMPLES` chains per model from uniform points over the data's box (:func:`uniform_box`, seeded) for
    :data:`CHAIN_STEPS` steps, anneal across the models when two or more were trained with Gaussian noise, and score
    every set of samples against ``X_test`` (with :func:`ends` beside them)."""
    start = uniform_box(X_train, SAMPLES, seed)
    shown = SAMPLES if X_train.shape[1] == 2 else PICTURE_CHAINS
    paths, scores = [], []
    limits = ends(X_train, X_test, SAMPLES, seed)
    for trained in models:
        walked = chain(trained, start, CHAIN_STEPS, seed=seed, every=KEEP_EVERY)
        paths.append(np.stack([state[:shown] for state in walked.states]))
        scores.append(mmd_squared(walked.final, X_test, limits.bandwidth))
    gaussian = [trained for trained in models if _noise_of(trained)[0] == "gaussian" and _noise_of(trained)[1] > 0]
    annealed = annealed_mmd = None
    if len(gaussian) >= 2:
        samples = anneal(gaussian, start, ANNEAL_STEPS, seed=seed, every=ANNEAL_STEPS * len(gaussian)).final
        annealed, annealed_mmd = samples[:shown], mmd_squared(samples, X_test, limits.bandwidth)
    levels = tuple(_noise_of(trained)[1] for trained in models)
    return Generation(
        levels, chain_steps(), tuple(paths), tuple(scores), annealed, annealed_mmd, limits, X_test, SAMPLES
    )


def chain_steps() -> tuple[int, ...]:
    """The steps :func:`generation` keeps: 0, KEEP_EVERY, 2·KEEP_EVERY, ..., CHAIN_STEPS."""
    return tuple(sorted({*range(0, CHAIN_STEPS + 1, KEEP_EVERY), CHAIN_STEPS}))
