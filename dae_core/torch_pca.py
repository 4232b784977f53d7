"""The PCA baseline on the device that holds the data: ``metrics.PCABaseline`` in PyTorch, for a run on a GPU.

The same method (the top eigenvectors of the training rows' covariance, products in the rows' precision summed a
chunk of rows at a time in float64), so the same subspace and the same MSE; only the place differs. A run on the GPU
then never copies its training rows to the host to score PCA, and the fit takes milliseconds there rather than
seconds on the CPU. ``tests/test_torch_pca.py`` checks it against ``PCABaseline`` and scikit-learn's PCA.
"""

from __future__ import annotations

import torch

from .metrics import row_chunks


class TorchPCA:
    """PCA with ``n_components`` fitted on clean (N, D) training rows, a tensor on any device, reconstructing noisy
    rows there. Its ``mse`` is one number; nothing else leaves the device."""

    def __init__(self, n_components: int):
        self.n_components = n_components

    @torch.no_grad()
    def fit(self, X_train_clean: torch.Tensor) -> TorchPCA:
        X = X_train_clean
        n, d = X.shape
        self.mean_ = sum(X[rows].sum(dim=0, dtype=torch.float64) for rows in row_chunks(n)) / n
        scatter, mean = torch.zeros(d, d, dtype=torch.float64, device=X.device), self.mean_.to(X.dtype)
        for rows in row_chunks(n):
            centred = X[rows] - mean
            scatter += (centred.T @ centred).double()
        _, vectors = torch.linalg.eigh(scatter)  # ascending
        k = min(self.n_components, n, d)
        self.components_ = vectors.flip(1)[:, :k].T.contiguous()  # (k, D), largest variance first
        return self

    @torch.no_grad()
    def reconstruct(self, X: torch.Tensor) -> torch.Tensor:
        centred = X.double() - self.mean_
        return centred @ self.components_.T @ self.components_ + self.mean_

    @torch.no_grad()
    def mse(self, X_noisy: torch.Tensor, X_clean: torch.Tensor) -> float:
        total = sum(
            (self.reconstruct(X_noisy[rows]) - X_clean[rows].double()).square().sum()
            for rows in row_chunks(len(X_clean))
        )
        return float(total) / X_clean.numel()
