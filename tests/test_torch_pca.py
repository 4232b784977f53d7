"""The PCA baseline in PyTorch (for runs on a GPU) against the engine's NumPy one and scikit-learn's PCA."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from dae_core import RunConfig, Trainer
from dae_core.metrics import CHUNK_ROWS, PCABaseline
from dae_core.torch_pca import TorchPCA


@pytest.fixture(scope="module")
def rows():
    """(train, noisy test, clean test) float32 rows with a few strong directions, more rows than one chunk."""
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(6, 40))
    train = (rng.normal(size=(CHUNK_ROWS + 500, 6)) * [5, 4, 3, 2, 1, 0.5]) @ basis + rng.normal(size=(1, 40))
    test = (rng.normal(size=(700, 6)) * [5, 4, 3, 2, 1, 0.5]) @ basis
    noisy = test + rng.normal(scale=0.5, size=test.shape)
    return train.astype(np.float32), noisy.astype(np.float32), test.astype(np.float32)


@pytest.mark.parametrize("k", [1, 3, 6, 40])
def test_torch_pca_scores_as_scikit_learn_s_pca_and_the_numpy_baseline(rows, k):
    train, noisy, clean = rows
    fitted = TorchPCA(k).fit(torch.as_tensor(train))
    got = fitted.mse(torch.as_tensor(noisy), torch.as_tensor(clean))
    reference = PCA(k, svd_solver="full").fit(train.astype(np.float64))
    expected = float(np.mean((reference.inverse_transform(reference.transform(noisy)) - clean) ** 2))
    assert got == pytest.approx(expected, rel=1e-4)
    assert got == pytest.approx(PCABaseline(k).fit(train).mse(noisy, clean), rel=1e-6)  # float32 products
    assert fitted.components_.shape == (k, 40) and fitted.components_.dtype == torch.float64


def test_the_dataset_keeps_one_fit_per_key():
    trainer = Trainer(RunConfig().replace(n_samples=200, epochs=1))
    dataset, calls = trainer.dataset, []
    first = dataset.baseline(("pca", 8, "test"), lambda: calls.append(1) or TorchPCA(8).fit(trainer.X_train))
    again = dataset.baseline(("pca", 8, "test"), lambda: calls.append(1) or TorchPCA(8).fit(trainer.X_train))
    assert first is again and calls == [1]
    assert dataset.pca(8) is dataset.pca(8)
