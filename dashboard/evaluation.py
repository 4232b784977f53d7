"""The test-time noise under which Reconstructions evaluates a model, chosen apart from the training noise.

It starts from the noise the model trains with now (live changes included) and follows it, until the user picks
another here; the choice lives in the session's state, so it survives a visit to another page.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import streamlit as st

from dae_core import RunConfig, analysis, figures
from dae_core.config import NOISE_LABELS, NOISE_TYPES, noise_level_range, noise_level_within

from .state import TestNoise, lab
from .widgets import memo

if TYPE_CHECKING:
    from .runs import Shown

TEST_NOISE_KEYS = {"noise": "test_noise", "noise_level": "test_noise_level", "seed": "test_noise_seed"}


def _test_noise_changed(name: str) -> None:
    state = lab()
    value = st.session_state[TEST_NOISE_KEYS[name]]
    changes = {name: value}
    if name == "noise":
        changes["noise_level"] = noise_level_within(value, state.test_noise.noise_level)
    state.test_noise = dataclasses.replace(state.test_noise, **changes)


def test_noise_ui(training: RunConfig) -> TestNoise:
    """Test noise type, level and seed, starting from the noise ``training`` uses now (live changes included)."""
    state = lab()
    follows = (training.noise.noise, float(training.noise.noise_level))
    if state.test_noise is None or state.test_noise.follows != follows:
        state.test_noise = TestNoise(*follows, seed=state.test_noise.seed if state.test_noise else 0, follows=follows)
    chosen = state.test_noise
    for name, key in TEST_NOISE_KEYS.items():
        st.session_state[key] = getattr(chosen, name)
    left, middle, right = st.columns([2, 3, 1])
    left.selectbox(
        "Test noise type", NOISE_TYPES, format_func=NOISE_LABELS.get, key="test_noise", help="Used only here.",
        on_change=_test_noise_changed, args=("noise",),
    )  # fmt: skip
    middle.slider(
        "Test noise level", *noise_level_range(chosen.noise), step=0.05, key="test_noise_level",
        help="σ for Gaussian, else the fraction hit.", on_change=_test_noise_changed, args=("noise_level",),
    )  # fmt: skip
    right.number_input(
        "Noise seed", 0, 10_000, key="test_noise_seed", help="Draw other noise.",
        on_change=_test_noise_changed, args=("seed",),
    )  # fmt: skip
    return chosen


def sample_ui(shown: Shown, index: int, key: str = "latent_sample") -> None:
    """Test sample ``index`` under the noise its model trained with: original, noisy input and reconstruction, as
    a row of images for image data and as curves over the features otherwise."""
    trained, dataset, noise = shown.trained, shown.dataset, shown.settings.noise
    rec = memo(
        ("reconstruct", shown.token, noise.noise, noise.noise_level, 0),
        lambda: analysis.reconstruct(trained, dataset.X_test, noise.noise, noise.noise_level, 0,
                                     low=dataset.low, high=dataset.high, clip=dataset.bounded),
    )  # fmt: skip
    title = f"Test sample {index}: original, noisy ({noise.noise} {noise.noise_level:g}) and reconstructed"
    if dataset.image_shape:
        view = figures.image_grid(rec.clean[[index]], rec.noisy[[index]], rec.reconstructed[[index]],
                                  dataset.image_shape, labels=[index], pixel_size=10, title=title)  # fmt: skip
    else:
        view = figures.sample_comparison(rec.clean[index], rec.noisy[index], rec.reconstructed[index],
                                         dataset.feature_names, title=title)  # fmt: skip
    st.plotly_chart(view, key=key)
