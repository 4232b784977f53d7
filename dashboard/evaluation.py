"""Evaluating a model on test samples: the test-time noise, chosen apart from the training noise, and the figures
Reconstructions draws from a reconstruction (one helper per kind of data: images, 2-D points, other tables).

The test noise starts from the noise the model trains with now (live changes included) and follows it, until the
user picks another here; the choice lives in the session's state, so it survives a visit to another page.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import streamlit as st

from dae_core import RunConfig, analysis, figures, metrics
from dae_core.config import NOISE_LABELS, NOISE_TYPES, noise_level_range, noise_level_within

from .session import lab
from .state import TestNoise
from .widgets import memo

if TYPE_CHECKING:
    from .runs import Shown

TEST_NOISE_KEYS = {"noise": "test_noise", "noise_level": "test_noise_level", "seed": "test_noise_seed"}
SHOWN_IMAGES = 16  # the chosen digit and 15 more: two blocks of eight rows, as wide as the page
HEATMAP_ROWS = 30
SHOWN_SAMPLES = max(SHOWN_IMAGES, HEATMAP_ROWS)  # how many samples a figure below may take from the order given
FLOW_STEPS = 20  # the flow animation's steps, all computed at once


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


def image_grid_ui(shown: Shown, rec: analysis.Reconstruction, chosen: int, order: list[int], worst_first: bool) -> None:
    """Image data: test sample ``chosen`` and the next ones of ``order`` as rows of original, noisy input,
    reconstruction and residual."""
    rows = [chosen, *[i for i in order if i != chosen][: SHOWN_IMAGES - 1]]
    figure = figures.image_grid(
        rec.clean[rows], rec.noisy[rows], rec.reconstructed[rows], shown.dataset.image_shape,
        psnr=rec.per_sample_psnr[rows], labels=rows, pixel_size=9,
        title=f"Test digit {chosen} first, then {'the worst' if worst_first else 'best to worst'}: "
        "original | noisy | reconstructed | residual",
    )  # fmt: skip
    st.plotly_chart(figure, key="reconstruction")


def plane_views_ui(shown: Shown, rec: analysis.Reconstruction, test: TestNoise, chosen: int) -> None:
    """2-D data, where the model can be drawn as a map of the plane: each test point's way from clean to noisy to
    reconstructed, the model's vector field r(x) − x, for Gaussian test noise the best possible denoiser's field
    and how well the model's agrees with it, the flow of random points under the model, and sample ``chosen``."""
    trained, dataset = shown.trained, shown.dataset
    noise, level, seed = test.noise, test.noise_level, test.seed
    points, displacement = memo(("field", shown.token), lambda: analysis.vector_field(trained, dataset.X_train))
    scatter, field = st.columns(2)
    scatter.plotly_chart(figures.scatter_arrows(rec.clean, rec.noisy, rec.reconstructed), key="reconstruction")
    field.plotly_chart(figures.vector_field(points, displacement, data=dataset.X_train), key="vector_field")
    if noise == "gaussian" and level > 0:  # the best possible denoiser is known for Gaussian noise
        best, note = st.columns(2, vertical_alignment="center")
        ideal = memo(
            ("best field", shown.token[:2], level), lambda: analysis.best_field(points, dataset.X_train, level)
        )
        title = f"The best possible denoiser's field E[x | x̃] − x̃ (σ = {level:g})"
        best.plotly_chart(figures.vector_field(points, ideal, data=dataset.X_train, title=title), key="best_field")
        alignment = memo(
            ("alignment", shown.token, level, seed),
            lambda: metrics.field_alignment(rec.noisy, rec.reconstructed, dataset.X_train, level),
        )
        note.markdown(
            f"**Field alignment {alignment:.2f}**: the mean cosine, over the noisy test points, between the "
            "model's step and the best possible one, which averages the training points weighted by how likely "
            "each is to have become the noisy point. 1: every step points the right way; 0: no better than a "
            "random direction."
        )
    path = memo(
        ("flow", shown.token), lambda: analysis.flow(trained, analysis.random_points(dataset.X_train), FLOW_STEPS)
    )
    st.plotly_chart(figures.flow_animation(dataset.X_train, path), key="flow")
    st.caption(
        "Press **Play**, or drag the slider: random points, carried by the model again and again (x ← r(x)), "
        "settle onto the data."
    )
    clean, noisy, rebuilt = (
        f"({a[chosen, 0]:.2f}, {a[chosen, 1]:.2f})" for a in (rec.clean, rec.noisy, rec.reconstructed)
    )
    st.caption(f"Test sample {chosen}: clean {clean}, noisy {noisy}, reconstructed {rebuilt}.")


def feature_views_ui(
    shown: Shown, rec: analysis.Reconstruction, chosen: int, order: list[int], worst_first: bool
) -> None:
    """Other tables: test sample ``chosen`` as curves over the features, then the first samples of ``order`` as a
    heatmap of clean, noisy, reconstructed and residual values."""
    feature_names = shown.dataset.feature_names
    title = f"Test sample {chosen}: original, noisy and reconstructed"
    figure = figures.sample_comparison(
        rec.clean[chosen], rec.noisy[chosen], rec.reconstructed[chosen], feature_names, title=title
    )
    st.plotly_chart(figure, key="reconstruction")
    worst = order[:HEATMAP_ROWS]
    which = "worst test samples" if worst_first else "test samples, best to worst"
    heatmap = figures.samples_heatmap(
        rec.clean[worst], rec.noisy[worst], rec.reconstructed[worst], feature_names, row_labels=worst,
        title=f"{len(worst)} {which}: clean | noisy | reconstructed | residual",
    )  # fmt: skip
    st.plotly_chart(heatmap, key="heatmap")
