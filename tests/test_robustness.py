"""Robustness to damaged inputs: a clean-trained classifier read on damaged rows, raw and through denoisers."""

import numpy as np
import pytest

from dae_core import DataError
from dae_core.robustness import (
    TEST_LEVELS,
    clean_classifier,
    damage,
    first_of_each_class,
    mean_paths,
    measure,
)


def _measure(dataset, denoisers, levels, **kwargs):
    return measure(dataset.X_train, dataset.y_train, dataset.X_test, dataset.y_test, denoisers, levels, **kwargs)


def identity(rows):
    return rows


def test_an_identity_reconstruction_scores_exactly_the_raw_inputs(digits_dataset):
    robust = _measure(digits_dataset, [identity, identity], [0.0, 0.5], seed=3)
    assert robust.through == (robust.raw, robust.raw)
    classifier = clean_classifier(digits_dataset.X_train, digits_dataset.y_train, seed=3)
    expected = [classifier.score(damage(digits_dataset.X_test, "masking", level, 3, True), digits_dataset.y_test)
                for level in TEST_LEVELS]  # fmt: skip
    assert list(robust.raw) == pytest.approx(expected, abs=0)
    assert robust.raw[0] > 0.95 and robust.raw[0] > robust.raw[1] > robust.raw[2] > robust.raw[3] > 0.1


def test_a_denoiser_that_returns_the_clean_rows_scores_the_clean_accuracy_at_every_level(digits_dataset):
    clean = digits_dataset.X_test

    def oracle(damaged):
        return clean.copy()

    robust = _measure(digits_dataset, [oracle], [0.5])
    assert robust.through == ((robust.raw[0],) * len(TEST_LEVELS),)


def test_the_result_holds_every_path_at_every_level_and_the_rows_shown(digits_dataset):
    robust = _measure(digits_dataset, [identity, identity, identity], [0.0, 0.25, 0.5])
    assert robust.noise == "masking" and robust.noise_label == "masking" and robust.test_levels == TEST_LEVELS
    assert robust.model_levels == (0.0, 0.25, 0.5) and len(robust.raw) == 4 and len(robust.through) == 3
    assert list(robust.paths()) == ["raw", "autoencoder", "0.25", "0.5"]
    assert all(len(values) == 4 for values in robust.paths().values())
    assert robust.at(0.5) == {name: values[2] for name, values in robust.paths().items()}
    assert robust.best_denoiser(0.5) == (0.5, robust.raw[2])  # a tie: the higher level
    assert robust.shown_level == 0.5 and list(robust.shown_labels) == list(range(10))  # the first of each digit
    assert robust.shown_clean.shape == robust.shown_damaged.shape == (10, 64)
    assert robust.shown_reconstructed.shape == (3, 10, 64) and robust.shown_read.shape == (4, 10)
    np.testing.assert_array_equal(robust.shown_reconstructed[1], robust.shown_damaged)  # identity
    inked = robust.shown_clean > 0
    assert 0.35 < np.mean(robust.shown_damaged[inked] == 0) < 0.65  # about half of each digit's ink masked
    no_autoencoder = _measure(digits_dataset, [identity], [0.25])
    assert list(no_autoencoder.paths()) == ["raw", "0.25"] and no_autoencoder.best_denoiser(0.5) == (
        0.25,
        no_autoencoder.raw[2],
    )
    assert _measure(digits_dataset, [identity], [0.0]).best_denoiser(0.5) is None


def test_the_noise_draws_are_seeded_and_shared_by_every_path(digits_dataset):
    seen = []

    def record(damaged):
        seen.append(damaged)
        return damaged

    first = _measure(digits_dataset, [record, record], [0.0, 0.5], seed=1)
    np.testing.assert_array_equal(seen[4], seen[5])  # the same draw at 0.5 for both models
    assert _measure(digits_dataset, [identity], [0.5], seed=1).raw == first.raw  # reproducible
    assert _measure(digits_dataset, [identity], [0.5], seed=2).raw != first.raw  # another draw
    masked = damage(digits_dataset.X_test, "masking", 0.25, 1, True) == 0
    more = damage(digits_dataset.X_test, "masking", 0.5, 1, True) == 0
    assert np.all(more[masked]) and more.mean() > masked.mean()  # at one seed a higher level hides more


def test_the_test_noise_follows_the_noise_type(digits_dataset):
    robust = _measure(digits_dataset, [identity], [0.3], noise="gaussian", test_levels=(0.0, 0.3), shown_level=0.3)
    assert robust.noise_label == "Gaussian" and robust.shown_level == 0.3
    assert np.all((robust.shown_damaged >= 0) & (robust.shown_damaged <= 1))  # [0, 1] data: clipped
    assert not np.array_equal(robust.shown_damaged, robust.shown_clean)


def test_the_mean_of_several_results_and_a_table_without_labels(digits_dataset):
    one = _measure(digits_dataset, [identity], [0.0], seed=0)
    two = _measure(digits_dataset, [identity], [0.0], seed=1)
    mean = mean_paths([one, two])
    assert mean["raw"] == pytest.approx([(a + b) / 2 for a, b in zip(one.raw, two.raw)])
    assert list(first_of_each_class(np.array([3, 1, 1, 3, 2]), 2)) == [1, 4]
    with pytest.raises(DataError, match="needs class labels"):
        measure(digits_dataset.X_train, None, digits_dataset.X_test, None, [identity], [0.0])
