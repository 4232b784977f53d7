"""The tutorial's data and the split, drawn without scikit-learn, are scikit-learn's to the bit."""

import numpy as np
import pytest
from sklearn.datasets import make_classification as sklearn_make_classification
from sklearn.model_selection import train_test_split

from dae_core.sampling import make_classification, split_indices


@pytest.mark.parametrize(
    "n_samples, n_features, n_informative, n_redundant, class_sep, seed",
    [
        (1000, 20, 2, 2, 1.0, 0),  # the seed tutorial: 4 of 4 vertices (reservoir sampling)
        (333, 7, 3, 2, 0.5, 5),  # 4 of 8 vertices (a permutation)
        (50, 12, 9, 2, 2.0, 1),  # 4 of 512 (tracking selection)
        (40, 40, 33, 0, 1.0, 2),  # more than 30 informative columns
        (17, 5, 5, 0, 1.5, 3),  # no redundant or noise columns, rows not a multiple of 4
    ],
)
def test_make_classification_is_sklearns(n_samples, n_features, n_informative, n_redundant, class_sep, seed):
    X, y = make_classification(n_samples, n_features, n_informative, n_redundant, class_sep, seed)
    X_ref, y_ref = sklearn_make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=n_redundant,
        n_classes=2,
        class_sep=class_sep,
        random_state=seed,
    )
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_make_classification_refuses_what_sklearn_refuses():
    with pytest.raises(ValueError, match="outnumber"):
        make_classification(10, 3, 2, 2, 1.0, 0)
    with pytest.raises(ValueError, match="at least 2 informative"):
        make_classification(10, 3, 1, 0, 1.0, 0)


@pytest.mark.parametrize("n_rows, fraction, seed", [(1000, 0.2, 0), (101, 0.05, 7), (10, 0.5, 3), (1797, 0.33, 11)])
def test_split_is_train_test_splits(n_rows, fraction, seed):
    rows = np.arange(n_rows)
    train_ref, test_ref = train_test_split(rows, test_size=fraction, random_state=seed)
    train, test = split_indices(n_rows, fraction, seed)
    np.testing.assert_array_equal(train, train_ref)
    np.testing.assert_array_equal(test, test_ref)
