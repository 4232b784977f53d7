"""Masking makes a dense DAE's first-layer filters on natural-image patches more edge-like (Vincent et al. 2010).

Measured in this test's setting (the photos preset on 500 patches of 12 x 12, tied weights, lr 3e-3, 200 epochs,
one thread, seeds 0-11): the unmasked model has 0-2 of its 64 filters oriented (edge-likeness 0-0.031), the model
trained with half the pixels masked 6-11 (0.094-0.172), in every seed; mean concentration 0.14-0.19 against
0.25-0.29. At lr 1e-3 the same 200 epochs leave the gap small (0-0.063 against 0.063-0.109); the preset's 2,000
patches for 100 and 400 epochs are in bench/bench_edges.py.
"""

import numpy as np
import pytest

from dae_core import RunConfig, Trainer
from dae_core.lessons import PRESETS
from dae_core.metrics import edge_likeness, orientation_concentration


def _trained_filters(noise_level: float, seed: int) -> np.ndarray:
    config = RunConfig().replace(dataset="photos", **PRESETS["photos"])
    config = config.replace(n_samples=500, epochs=200, lr=3e-3, noise="masking", noise_level=noise_level, seed=seed)
    trainer = Trainer(config)
    for _ in trainer.epochs():
        pass
    return trainer.model.first_layer_weights.detach().cpu().numpy()


@pytest.mark.parametrize("seed", [0, 1])
def test_masking_makes_photo_filters_more_edge_like(seed):
    clean, masked = _trained_filters(0.0, seed), _trained_filters(0.5, seed)
    assert clean.shape == masked.shape == (64, 144)
    assert edge_likeness(masked, (12, 12)) > edge_likeness(clean, (12, 12))
    assert orientation_concentration(masked, (12, 12)).mean() > orientation_concentration(clean, (12, 12)).mean()
