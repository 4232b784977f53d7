"""A DAE as a sampler: the MMD against a hand computation, the chains' shapes and seeding, fixed points of an identity,
the score and annealing with the best possible denoiser, and a trained sweep's generation result."""

import numpy as np
import pytest

from dae_core import ConfigError, RunConfig, load_dataset
from dae_core.data import Scaler
from dae_core.generate import (
    SAMPLES,
    anneal,
    chain,
    ends,
    generation,
    median_bandwidth,
    mmd_squared,
    score,
    uniform_box,
    walk,
)
from dae_core.metrics import posterior_mean


def test_mmd_matches_the_unbiased_estimate_computed_by_hand():
    X = np.array([[0.0], [1.0]])
    Y = np.array([[0.0], [2.0], [3.0]])
    h = 1.0
    k = lambda a, b: np.exp(-((a - b) ** 2) / (2 * h * h))  # noqa: E731
    within_x = (k(0, 1) + k(1, 0)) / (2 * 1)  # the pairs i != j
    within_y = 2 * (k(0, 2) + k(0, 3) + k(2, 3)) / (3 * 2)
    across = sum(k(x, y) for x in (0, 1) for y in (0, 2, 3)) / (2 * 3)
    assert mmd_squared(X, Y, bandwidth=h) == pytest.approx(within_x + within_y - 2 * across, abs=1e-12)


def test_the_median_heuristic_is_the_median_distance_between_pooled_rows():
    X, Y = np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 1.0]])
    # distances: 5 (X0-X1), 1 (X0-Y0), sqrt(9 + 9) (X1-Y0): the median is sqrt(18)
    assert median_bandwidth(X, Y) == pytest.approx(np.sqrt(18))
    Y = np.array([[0.0, 1.0], [1.0, 1.0]])
    assert mmd_squared(X, Y) == pytest.approx(mmd_squared(X, Y, bandwidth=median_bandwidth(X, Y)))


def test_mmd_is_near_zero_for_one_distribution_and_large_for_two():
    rng = np.random.default_rng(0)
    same = mmd_squared(rng.normal(size=(300, 2)), rng.normal(size=(300, 2)))
    apart = mmd_squared(rng.normal(size=(300, 2)), rng.normal(2.0, 1.0, size=(300, 2)))
    assert abs(same) < 0.01 and apart > 0.2, (same, apart)


def test_mmd_says_what_it_needs():
    with pytest.raises(ValueError, match="at least 2 rows in each sample"):
        mmd_squared(np.zeros((1, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="same width"):
        mmd_squared(np.zeros((3, 2)), np.zeros((3, 1)))


def identity(x):
    return x


def test_an_identity_without_noise_leaves_every_point_where_it_is():
    start = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    walked = walk(identity, start, 10, noise="gaussian", level=0.0, every=3)
    assert walked.steps == (0, 3, 6, 9, 10)
    assert all(np.array_equal(state, start) for state in walked.states)


def test_chains_keep_every_few_steps_and_a_seed_gives_one_chain():
    start = np.zeros((7, 3), np.float32)
    shrink = lambda x: 0.5 * x  # noqa: E731
    first = walk(shrink, start, 9, noise="gaussian", level=0.3, seed=4, every=2)
    again = walk(shrink, start, 9, noise="gaussian", level=0.3, seed=4, every=2)
    other = walk(shrink, start, 9, noise="gaussian", level=0.3, seed=5, every=2)
    assert first.steps == (0, 2, 4, 6, 8, 9) and [s.shape for s in first.states] == [(7, 3)] * 6
    assert all(np.array_equal(a, b) for a, b in zip(first.states, again.states))
    assert not np.array_equal(first.final, other.final)
    with pytest.raises(ConfigError, match="The 'steps' parameter must be an int in"):
        walk(shrink, start, -1, noise="gaussian", level=0.3)


def test_a_draw_from_p_x_given_noisy_adds_gaussian_noise_of_the_spread_around_the_reconstruction():
    start = np.zeros((4000, 2), np.float32)
    mean = walk(identity, start, 1, noise="gaussian", level=0.0, spread=0.0)
    drawn = walk(identity, start, 1, noise="gaussian", level=0.0, spread=0.3, seed=1)
    assert np.array_equal(mean.final, start)
    assert drawn.final.mean() == pytest.approx(0.0, abs=0.02) and drawn.final.std() == pytest.approx(0.3, rel=0.03)
    bounded = walk(identity, start + 0.5, 1, noise="gaussian", level=0.0, spread=2.0, clip=True)
    assert bounded.final.min() == 0.0 and bounded.final.max() == 1.0  # pictures stay in [0, 1]


class BestDenoiser:
    """The best possible denoiser of Gaussian noise at ``sigma`` for ``X`` (its posterior mean), with what the
    samplers read of a trained model."""

    def __init__(self, X: np.ndarray, sigma: float):
        self.X, self.sigma = X, sigma
        self.config = self.settings = RunConfig().replace(dataset="moons", noise="gaussian", noise_level=sigma)
        self.kept_record, self.scaler = None, Scaler("standard")
        self.model = type("Model", (), {"input_dim": X.shape[1]})()

    def denoise(self, points):
        return posterior_mean(points, self.X, self.sigma).astype(np.float32)


@pytest.fixture(scope="module")
def moons():
    return load_dataset(RunConfig().replace(dataset="moons").data)


def test_the_score_is_the_step_over_sigma_squared(moons):
    best = BestDenoiser(moons.X_train, 0.2)
    points = uniform_box(moons.X_train, 20)
    assert np.allclose(score(best, points), (best.denoise(points) - points) / 0.04, atol=1e-4)


def test_the_score_needs_gaussian_noise(moons):
    masked = BestDenoiser(moons.X_train, 0.2)
    masked.config = masked.settings = masked.config.replace(noise="masking")
    with pytest.raises(ConfigError, match="trained with masking noise at 0.2. Train one with Gaussian noise."):
        score(masked, moons.X_test)


def test_with_the_best_denoiser_chains_and_annealing_sample_the_moons(moons):
    """The samplers themselves, apart from what a model learns: with the posterior mean of the training points as the
    denoiser both land far closer to held-out points than uniform noise does (measured: chains about 0.000 at every
    level and annealing 0.001, against 0.017)."""
    limits = ends(moons.X_train, moons.X_test)
    start = uniform_box(moons.X_train, 200)
    chained = chain(BestDenoiser(moons.X_train, 0.2), start, 10)
    annealed = anneal([BestDenoiser(moons.X_train, s) for s in (0.1, 0.3)], start, 10)
    assert annealed.steps[-1] == 21  # 10 steps at each level, then one denoising step
    for samples in (chained.final, annealed.final):
        assert mmd_squared(samples, moons.X_test, limits.bandwidth) < 0.5 * limits.uniform
    assert abs(limits.training) < 0.25 * limits.uniform


def test_a_trained_sweep_s_generation_has_a_path_and_a_score_per_member(moons):
    from dae_core.sweep import Sweep, expand
    from dae_core.views import VIEWS

    configs = expand(VIEWS["generate"].config.replace(epochs=5), {"noise_level": [0.2, 0.5]})
    models = [run.trained for run in Sweep(configs, moons).run()]
    result = generation(models, moons.X_train, moons.X_test, seed=1)
    assert result.levels == (0.2, 0.5) and len(result.mmd) == 2 and result.samples == SAMPLES
    assert [path.shape for path in result.paths] == [(len(result.steps), SAMPLES, 2)] * 2
    assert result.annealed.shape == (SAMPLES, 2) and np.isfinite(result.annealed_mmd)
    again = generation(models, moons.X_train, moons.X_test, seed=1)
    assert again.mmd == result.mmd and np.array_equal(again.annealed, result.annealed)
