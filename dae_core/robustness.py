"""Robustness to damaged inputs (Vincent et al. 2008, 2010: robustness to partial corruption of the input): a
classifier trained on clean training rows reads test rows damaged by noise, as they are and through each model's
reconstruction of them.

A denoising autoencoder's payoff at this scale is here, not in its codes: on 8 x 8 digits a classifier that never
saw a damaged digit reads half-masked ones far better after a DAE has filled them in. Everything here takes plain
arrays and ``denoise`` callables (rows to rows), so a view, the command line and a test share it: a model's is
``TrainedModel.denoise``, and a hand-made identity "reconstruction" scores exactly what the damaged rows do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .config import NOISE_LABELS
from .errors import DataError

TEST_LEVELS = (0.0, 0.25, 0.5, 0.75)  # test noise levels: clean, then more and more damaged
SHOWN_LEVEL = 0.5  # the test level of the digits a figure shows (the lesson's claim is made there)
SHOWN_COUNT = 10  # test rows a figure shows: the first of each class, in order (0-9 for digits)

Denoise = Callable[[np.ndarray], np.ndarray]  # (N, D) rows to (N, D) rows in the same scaled space


@dataclass(frozen=True)
class Robustness:
    """Accuracy of one clean-trained classifier on damaged test rows: raw, and through each model, at each test
    level; and a few damaged rows with what each model makes of them, at ``shown_level``."""

    noise: str  # the test noise type (``config.NOISE_TYPES``)
    test_levels: tuple[float, ...]
    model_levels: tuple[float, ...]  # each model's training noise level (0: a plain autoencoder)
    raw: tuple[float, ...]  # accuracy on the damaged rows themselves, one per test level
    through: tuple[tuple[float, ...], ...]  # (models, test levels): on each model's reconstructions of them
    shown_level: float
    shown_clean: np.ndarray  # (n, D) the rows a figure shows, undamaged
    shown_damaged: np.ndarray  # (n, D) damaged at ``shown_level``
    shown_reconstructed: np.ndarray  # (models, n, D) each model's reconstruction of the damaged rows
    shown_labels: np.ndarray  # (n,) their true classes
    shown_read: np.ndarray  # (1 + models, n) the classifier's reading of the damaged rows, then of each model's

    @property
    def noise_label(self) -> str:
        return NOISE_LABELS[self.noise]

    def paths(self) -> dict[str, list[float]]:
        """Accuracy by path, each a list over ``test_levels``: ``raw``, ``autoencoder`` (the model trained without
        noise, if there is one), and one entry per other model, named by its training level (``"0.25"``)."""
        table = {"raw": list(self.raw)}
        for level, accuracy in zip(self.model_levels, self.through):
            table["autoencoder" if level == 0 else f"{level:g}"] = list(accuracy)
        return table

    def at(self, test_level: float) -> dict[str, float]:
        """:meth:`paths` at one test level."""
        column = self.test_levels.index(test_level)
        return {name: accuracies[column] for name, accuracies in self.paths().items()}

    def best_denoiser(self, test_level: float) -> tuple[float, float] | None:
        """(training level, accuracy) of the best model trained with noise at ``test_level``; None without one."""
        column = self.test_levels.index(test_level)
        scored = [(accuracy[column], level) for level, accuracy in zip(self.model_levels, self.through) if level > 0]
        if not scored:
            return None
        accuracy, level = max(scored)
        return level, accuracy


def clean_classifier(X_train: np.ndarray, y_train: np.ndarray, seed: int = 0):
    """A logistic regression fitted on the clean training rows as they are.

    Not standardized, unlike ``metrics.linear_probe``: scaling each pixel by its spread turns a masked 0 in a pixel
    that is nearly always blank into a large value. Measured on digits (engine split, noise seed 0), accuracy on
    test digits masked at 0 / 0.25 / 0.5 / 0.75: 0.967 / 0.825 / 0.628 / 0.319 as here, 0.972 / 0.783 / 0.528 /
    0.236 standardized."""
    from sklearn.linear_model import LogisticRegression

    with _one_blas_thread():  # its coefficients, to the last bit, do not depend on the machine's cores
        return LogisticRegression(max_iter=2000, random_state=seed).fit(X_train, y_train)


def _one_blas_thread():
    """BLAS on one thread while a classifier fits and reads: on a busy 2-core machine two threads made its fit on
    digits take 3-6 s instead of 0.05-0.15 s (measured), and a fit's last digits depend on the thread count."""
    from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

    return threadpool_limits(1)


def damage(X: np.ndarray, noise: str, level: float, seed: int, bounded: bool) -> np.ndarray:
    """``X`` corrupted by ``noise`` at ``level``, drawn from ``seed``: [0, 1] data (``bounded``) is clipped and its
    salt and pepper are 0 and 1, as ``analysis.reconstruct`` draws them. At one seed a higher masking level hides
    every pixel a lower one does, and more."""
    from .noise import corrupt_array  # imports torch: in the process that measures

    if level == 0 or len(X) == 0:
        return np.asarray(X, np.float32).copy()
    width = X.shape[1]
    low, high = (np.zeros(width, np.float32), np.ones(width, np.float32)) if bounded else (None, None)
    return corrupt_array(X, noise, level, seed, low=low, high=high, clip=bounded)


def first_of_each_class(y: np.ndarray, count: int = SHOWN_COUNT) -> np.ndarray:
    """Indices of the first row of each class, classes in sorted order, at most ``count`` of them."""
    classes, first = np.unique(y, return_index=True)
    return first[np.argsort(classes, kind="stable")][:count]


def measure(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    denoisers: Sequence[Denoise],
    model_levels: Sequence[float],
    noise: str = "masking",
    test_levels: Sequence[float] = TEST_LEVELS,
    seed: int = 0,
    *,
    bounded: bool = True,
    shown_level: float = SHOWN_LEVEL,
    shown_count: int = SHOWN_COUNT,
) -> Robustness:
    """Fit :func:`clean_classifier` on the clean training rows, damage the test rows at each of ``test_levels``
    (one draw per level from ``seed``, the same for every path, so the paths differ only in what reads them), and
    score the classifier on the damaged rows and on each denoiser's reconstruction of them.

    ``denoisers[k]`` was trained at ``model_levels[k]``. The rows shown are damaged at the highest test level at
    most ``shown_level`` (the lowest test level if none is)."""
    if y_train is None or y_test is None or len(np.unique(y_train)) < 2:
        raise DataError("Robustness to damaged inputs needs class labels to score a classifier; this data has none.")
    if len(denoisers) != len(model_levels):
        raise ValueError(
            f"Give one training level per denoiser: {len(denoisers)} denoisers, {len(model_levels)} levels."
        )
    test_levels = tuple(float(level) for level in test_levels)
    below = [level for level in test_levels if level <= shown_level]
    shown_level = max(below) if below else min(test_levels)
    shown = first_of_each_class(y_test, shown_count)
    raw, through = [], [[] for _ in denoisers]
    with _one_blas_thread():
        classifier = clean_classifier(X_train, y_train, seed)
        for level in test_levels:
            damaged = damage(X_test, noise, level, seed, bounded)  # (N, D)
            rebuilt = [np.asarray(denoise(damaged), np.float32) for denoise in denoisers]  # (N, D) each
            raw.append(float(classifier.score(damaged, y_test)))
            for scores, rows in zip(through, rebuilt):
                scores.append(float(classifier.score(rows, y_test)))
            if level == shown_level:
                shown_damaged = damaged[shown]  # (n, D)
                shown_reconstructed = np.array([rows[shown] for rows in rebuilt]).reshape(-1, *shown_damaged.shape)
                shown_read = np.stack([classifier.predict(rows) for rows in (shown_damaged, *shown_reconstructed)])
    return Robustness(
        noise,
        test_levels,
        tuple(float(level) for level in model_levels),
        tuple(raw),
        tuple(tuple(scores) for scores in through),
        shown_level,
        np.asarray(X_test, np.float32)[shown],
        shown_damaged,
        shown_reconstructed,
        np.asarray(y_test)[shown],
        shown_read,
    )


def of_runs(runs: Sequence, dataset, test_levels: Sequence[float] = TEST_LEVELS, seed: int | None = None) -> Robustness:
    """:func:`measure` for trained sweep members (``sweep.SweepRun``) of one dataset, in their order. The test noise is
    the first member's noise type, drawn from ``seed`` (default: the first member's seed, as a view draws the test
    noise of its other scores)."""
    first = runs[0].config
    seed = first.train.seed if seed is None else seed
    return measure(
        dataset.X_train,
        dataset.y_train,
        dataset.X_test,
        dataset.y_test,
        [run.trained.denoise for run in runs],
        [run.config.noise.noise_level for run in runs],
        first.noise.noise,
        test_levels,
        seed,
        bounded=dataset.bounded,
    )


def mean_paths(results: Sequence[Robustness]) -> dict[str, list[float]]:
    """:meth:`Robustness.paths` averaged over several results with the same paths (one per seed, say)."""
    tables = [result.paths() for result in results]
    return {name: [float(v) for v in np.mean([table[name] for table in tables], axis=0)] for name in tables[0]}
