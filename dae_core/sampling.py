"""The seed tutorial's data and the engine's train/test split, drawn exactly as scikit-learn draws them, without
importing scikit-learn (about a second on a small machine, the largest part of a command-line run's start).

:func:`make_classification` is ``sklearn.datasets.make_classification`` for the arguments the engine passes (two
classes, two clusters each, ``flip_y`` 0.01, no weights, shift or scale), and :func:`split_indices` is the
permutation ``train_test_split`` takes; both use ``numpy.random.RandomState(seed)`` in the same order of draws, so
they give the same arrays to the bit. ``tests/test_sampling.py`` compares them with scikit-learn over many settings.
"""

from __future__ import annotations

import math

import numpy as np

N_CLASSES = 2
CLUSTERS_PER_CLASS = 2
FLIP_Y = 0.01


def _distinct(population: int, count: int, rng: np.random.RandomState) -> np.ndarray:
    """``count`` distinct integers below ``population``: scikit-learn's ``sample_without_replacement(method='auto')``,
    which picks one of three methods by the share drawn, and so the draws."""
    ratio = count / population
    if 0.01 < ratio < 0.99:
        return rng.permutation(population)[:count]
    if ratio < 0.2:  # tracking selection: draw again on a repeat
        chosen: set[int] = set()
        out = np.empty(count, np.int64)
        for i in range(count):
            value = rng.randint(population)
            while value in chosen:
                value = rng.randint(population)
            chosen.add(value)
            out[i] = value
        return out
    out = np.arange(count, dtype=np.int64)  # reservoir sampling
    for i in range(count, population):
        j = rng.randint(0, i + 1)
        if j < count:
            out[j] = i
    return out


def _hypercube(count: int, dimensions: int, rng: np.random.RandomState) -> np.ndarray:
    """``count`` distinct vertices of the unit hypercube in ``dimensions`` dimensions, as 0/1 rows."""
    if dimensions > 30:
        return np.hstack([rng.randint(2, size=(count, dimensions - 30)), _hypercube(count, 30, rng)])
    vertices = _distinct(2**dimensions, count, rng).astype(">u4", copy=False)
    return np.unpackbits(vertices.view(">u1")).reshape((-1, 32))[:, -dimensions:]


def make_classification(n_samples: int, n_features: int, n_informative: int, n_redundant: int, class_sep: float,
                        seed: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Two classes of two Gaussian clusters each on the vertices of a hypercube in ``n_informative`` dimensions, with
    ``n_redundant`` linear mixtures of them and noise columns for the rest, 1% of labels flipped, rows and columns
    shuffled: (X float64 (n_samples, n_features), y int (n_samples,))."""
    if n_informative + n_redundant > n_features:
        raise ValueError("informative and redundant columns must not outnumber the columns")
    n_clusters = N_CLASSES * CLUSTERS_PER_CLASS
    if n_informative < math.log2(n_clusters):
        raise ValueError(f"{n_clusters} clusters need at least 2 informative columns")
    rng = np.random.RandomState(seed)
    per_cluster = [int(n_samples * (1.0 / N_CLASSES) / CLUSTERS_PER_CLASS) for _ in range(n_clusters)]
    for i in range(n_samples - sum(per_cluster)):
        per_cluster[i % n_clusters] += 1
    X = np.zeros((n_samples, n_features))
    y = np.zeros(n_samples, dtype=int)
    centroids = _hypercube(n_clusters, n_informative, rng).astype(float, copy=False)
    centroids *= 2 * class_sep
    centroids -= class_sep
    X[:, :n_informative] = rng.standard_normal(size=(n_samples, n_informative))
    stop = 0
    for k, centroid in enumerate(centroids):
        start, stop = stop, stop + per_cluster[k]
        y[start:stop] = k % N_CLASSES
        cluster = X[start:stop, :n_informative]
        mixing = 2 * rng.uniform(size=(n_informative, n_informative)) - 1
        cluster[...] = np.dot(cluster, mixing)  # a random covariance
        cluster += centroid
    if n_redundant > 0:
        mixing = 2 * rng.uniform(size=(n_informative, n_redundant)) - 1
        X[:, n_informative : n_informative + n_redundant] = np.dot(X[:, :n_informative], mixing)
    n_random = n_features - n_informative - n_redundant
    if n_random > 0:
        X[:, -n_random:] = rng.standard_normal(size=(n_samples, n_random))
    flipped = rng.uniform(size=n_samples) < FLIP_Y
    y[flipped] = rng.randint(N_CLASSES, size=flipped.sum())
    rows = np.arange(n_samples)
    rng.shuffle(rows)
    columns = np.arange(n_features)
    rng.shuffle(columns)
    # the same rows and columns as scikit-learn's X[rows] then X[:, columns]; np.take copies 5x faster at 100k x 784
    return np.take(np.take(X, rows, axis=0), columns, axis=1), y[rows]


def split_indices(n_rows: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, test rows) as ``train_test_split(..., test_size=test_fraction, random_state=seed)`` takes them:
    ``ceil(test_fraction * n_rows)`` test rows first in one seeded permutation, the rest for training."""
    n_test = math.ceil(test_fraction * n_rows)
    if n_test < 1 or n_test >= n_rows:
        raise ValueError(f"a test share of {test_fraction:g} leaves no rows on one side of {n_rows}")
    permutation = np.random.RandomState(seed).permutation(n_rows)
    return permutation[n_test:], permutation[:n_test]
