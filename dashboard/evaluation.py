"""Evaluating a model on test samples: the test-time noise, chosen apart from the training noise, and the figures
Reconstructions draws from a reconstruction (one helper per kind of data: images, 2-D points, other tables), plus, for
a model of photo patches, a whole photograph denoised tile by tile under the same test noise.

The test noise starts at the run's own: its noise type at the shown epoch's level (live changes included) and its
own draw (seed 0), the very noisy test inputs training scored it on, so the page's test MSE is Train's. It follows
that until the user picks another here, and then the page says how it differs and what the run's own number is.
The choice lives in the session's state, so it survives a visit to another page.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import streamlit as st

from dae_core import analysis, figures, metrics
from dae_core.config import NOISE_LABELS, NOISE_TYPES, noise_level_range, noise_level_within
from dae_core.data import PHOTOS

from . import runs
from .session import lab
from .state import Run, TestNoise
from .widgets import memo, remembered

if TYPE_CHECKING:
    from dae_core.serving.snapshot import JobSnapshot
    from dae_core.training import TrainedModel

    from .runs import Shown

OWN_DRAW = 0  # the seed that stands for the run's own draw: the noisy test inputs behind its test MSE
TEST_NOISE_KEYS = {"noise": "test_noise", "noise_level": "test_noise_level", "seed": "test_noise_seed"}
SHOWN_IMAGES = 16  # the chosen digit and 15 more: two blocks of eight rows, as wide as the page
HEATMAP_ROWS = 30
SHOWN_SAMPLES = max(SHOWN_IMAGES, HEATMAP_ROWS)  # how many samples a figure below may take from the order given
FLOW_STEPS = 20  # the flow animation's steps, all computed at once
LIVE_IMAGES = 8  # test images under Train's live chart: two blocks of four, one row each
PHOTO_NAMES = {"china": "Temple (china.jpg)", "flower": "Flower (flower.jpg)"}  # scikit-learn's sample photographs


def _test_noise_changed(name: str) -> None:
    state = lab()
    value = st.session_state[TEST_NOISE_KEYS[name]]
    changes = {name: value}
    if name == "noise":
        changes["noise_level"] = noise_level_within(value, state.test_noise.noise_level)
    state.test_noise = dataclasses.replace(state.test_noise, **changes)


def test_noise_ui(trained: TrainedModel) -> TestNoise:
    """Test noise type, level and seed, starting at the run's own test noise (``analysis.own_test_noise``: its noise
    at the level of the epoch whose weights ``trained`` holds) and its own draw (seed 0)."""
    state = lab()
    follows = analysis.own_test_noise(trained)
    if state.test_noise is None or state.test_noise.follows != follows:
        state.test_noise = TestNoise(*follows, seed=OWN_DRAW, follows=follows)
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
        "Noise seed", 0, 10_000, key="test_noise_seed", on_change=_test_noise_changed, args=("seed",),
        help="0: the run's own draw, the noisy test inputs training scored it on (Train's test MSE). Another "
        "number draws other noise.",
    )  # fmt: skip
    return chosen


def own_evaluation(shown: Shown) -> analysis.Reconstruction:
    """The model on its own evaluation (``analysis.evaluate_as_trained``): its test MSE is Train's."""
    return memo(("own evaluation", shown.token), lambda: analysis.evaluate_as_trained(shown.trained, shown.dataset))


def _draw_seed(shown: Shown, test: TestNoise) -> int:
    """The seed ``test`` stands for: seed 0 draws from the run's own test-noise stream."""
    return test.seed if test.seed != OWN_DRAW else analysis.own_draw_seed(shown.trained)


def reconstruction(shown: Shown, test: TestNoise) -> analysis.Reconstruction:
    """The test samples under ``test``: the run's own evaluation at its own test noise, else ``analysis.reconstruct``
    (seed 0 then draws from the run's own test-noise stream, at the chosen type and level)."""
    if not test.differences:
        return own_evaluation(shown)
    trained, dataset, noise, level = shown.trained, shown.dataset, test.noise, test.noise_level
    seed = _draw_seed(shown, test)
    return memo(
        ("test noise", shown.token, noise, level, test.seed),
        lambda: analysis.reconstruct(
            trained, dataset.X_test, noise, level, seed, low=dataset.low, high=dataset.high, clip=dataset.bounded
        ),
    )


def test_noise_note(shown: Shown, test: TestNoise, rec: analysis.Reconstruction) -> None:
    """Under the metric cards: at the run's own test noise, that this is Train's number; else how the test noise
    differs from training, with both numbers, so no one reads two numbers for one run without being told why."""
    noise, level = test.follows
    own = f"{NOISE_LABELS[noise]} {level:g}, its own draw"
    if not test.differences:
        st.caption(
            f"The run's own test noise ({own}): the noisy test inputs training scored it on, so this test MSE is "
            "the one Train shows. Change the type, level or seed to test it on other noise."
        )
        return
    st.info(
        f"Test noise differs from training ({', '.join(test.differences)}): MSE {rec.mse:.4f}. At the run's own "
        f"test noise ({own}) it is {own_evaluation(shown).mse:.4f}, the test MSE Train shows."
    )


LIVE_PLOT_WIDTH = 440  # px: the plot area beside Train's settings on a 1280 px screen


def live_images_ui(run: Run, snapshot: JobSnapshot) -> None:
    """For image data, beside the loss chart: a few noisy test images and what the run's model makes of them now,
    redrawn with the chart, so a learner sees the noise go as the test curve falls."""
    dataset, trained = run.job.dataset, runs.run_model(run, snapshot)
    if dataset is None or dataset.image_shape is None or trained is None:
        return
    if run.images is None or run.images[0] != snapshot.weights_epoch:  # a poll with no new weights reuses it
        run.images = snapshot.weights_epoch, _live_images(trained, dataset, snapshot.weights_epoch)
    st.plotly_chart(run.images[1], key="live_images")


def _live_images(trained, dataset, epoch: int):
    rec = analysis.evaluate_as_trained(trained, dataset)
    rows = list(range(min(LIVE_IMAGES, len(rec.clean))))  # a small upload may hold out fewer test pictures
    return figures.image_grid(
        rec.clean[rows], rec.noisy[rows], rec.reconstructed[rows], dataset.image_shape,
        psnr=rec.per_sample_psnr[rows] if rec.per_sample_psnr is not None else None, labels=rows,
        rows_per_block=max(1, LIVE_IMAGES // 2), pixel_size=6, plot_width=LIVE_PLOT_WIDTH,
        title=f"Test images at epoch {epoch}", ink=dataset.ink,
    )  # fmt: skip


def sample_ui(shown: Shown, index: int, key: str = "latent_sample") -> None:
    """Test sample ``index`` under its run's own test noise, the noisy input training scored it on: original, noisy
    input and reconstruction, as a row of images for image data and as curves over the features otherwise."""
    dataset, (noise, level) = shown.dataset, analysis.own_test_noise(shown.trained)
    rec = own_evaluation(shown)  # the noisy input training scored it on
    title = f"Test sample {index}: original, noisy ({noise} {level:g}) and reconstructed"
    if dataset.image_shape:
        view = figures.image_grid(rec.clean[[index]], rec.noisy[[index]], rec.reconstructed[[index]],
                                  dataset.image_shape, labels=[index], pixel_size=10, title=title,
                                  ink=dataset.ink)  # fmt: skip
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
        title=f"Test image {chosen} first, then {'the worst' if worst_first else 'best to worst'}",
        ink=shown.dataset.ink,
    )  # fmt: skip
    st.plotly_chart(figure, key="reconstruction")


def whole_photo_ui(shown: Shown, test: TestNoise) -> None:
    """A model of photo patches: a whole photograph (its central crop) corrupted once by the test noise, cut into
    tiles of the patch size, each denoised, and stitched back, beside the clean and noisy photograph."""
    st.subheader("The whole photograph")
    photo = st.segmented_control(
        "Photograph", list(PHOTO_NAMES), format_func=PHOTO_NAMES.get, **remembered("recon_photo", PHOTOS[0])
    )
    photo = photo or PHOTOS[0]  # the control can be cleared
    noise, level = test.noise, test.noise_level
    result = memo(
        ("whole photo", shown.token, photo, noise, level, test.seed),
        lambda: analysis.denoise_photo(shown.trained, photo, noise, level, _draw_seed(shown, test)),
    )
    size, stride = result.tile_size, result.stride
    title = f"{PHOTO_NAMES[photo].split()[0]}, central {result.clean.shape[0]} × {result.clean.shape[1]} pixels"
    figure = figures.photo_denoising(
        result.clean, result.noisy, result.denoised, result.noisy_psnr, result.denoised_psnr, title=title
    )
    st.plotly_chart(figure, key="whole_photo")
    st.caption(
        f"The photograph corrupted once by the test noise above ({NOISE_LABELS[noise]} {level:g}), cut into "
        f"{size} × {size} tiles (the model's patches) every {stride} pixels, each tile denoised, and the tiles put "
        f"back, overlaps averaged. PSNR against the original: noisy {result.noisy_psnr:.1f} dB, denoised "
        f"{result.denoised_psnr:.1f} dB."
    )


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
