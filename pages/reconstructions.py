"""Reconstructions: what the model makes of noisy test samples, under a test-time noise of your choice."""

import pandas as pd
import streamlit as st

from dae_core import analysis, figures, metrics, records
from dashboard import evaluation, frame, runs
from dashboard.widgets import memo, metric_row, remembered

SHOWN_IMAGES = 16  # the chosen digit and 15 more: two blocks of eight rows, as wide as the page
HEATMAP_ROWS = 30
FLOW_STEPS = 20  # the flow animation's steps, all computed at once
COLUMNS = {"index": "test sample", "mse": "reconstruction MSE", "noisy_mse": "noisy-input MSE", "psnr_db": "PSNR (dB)"}

frame.page(
    "Reconstructions",
    "Held-out test samples: the clean original, the noisy version the model is fed, and its reconstruction. "
    "The noise here is chosen at test time, independently of the noise the model was trained with.",
    "raise the test noise level or change its type and see where the model breaks down; click a row of the "
    "error table to look at that sample.",
)
shown = runs.require_model()
trained, dataset = shown.trained, shown.dataset

test = evaluation.test_noise_ui(shown.settings)
noise, level, seed = test.noise, test.noise_level, test.seed
rec = memo(
    ("reconstruct", shown.token, noise, level, seed),
    lambda: analysis.reconstruct(
        trained, dataset.X_test, noise, level, seed, low=dataset.low, high=dataset.high, clip=dataset.bounded
    ),
)
k = trained.config.model.hidden_dim
pca_mse = memo(
    ("pca", shown.token[:2], noise, level, seed), lambda: metrics.pca_mse(dataset.X_train, rec.noisy, rec.clean, k)
)
cards = metric_row(4 if rec.psnr is not None else 3)
cards[0].metric("Test MSE", f"{rec.mse:.4f}", help="Reconstructions against the clean samples, at this test noise.")
cards[1].metric("Identity baseline", f"{rec.identity_mse:.4f}", help="MSE of the noisy input itself.")
cards[2].metric(f"PCA-{k} baseline", f"{pca_mse:.4f}", help=f"PCA with {k} components on the same noisy input.")
if rec.psnr is not None:
    cards[3].metric("PSNR", f"{rec.psnr:.1f} dB", help="Peak signal-to-noise ratio of the reconstructions.")

figure_area = st.container()
st.subheader("Error per test sample, worst first")
table = pd.DataFrame(rec.error_table())
if dataset.y_test is not None:  # a table's labels are the user's text: the table's own download must not run them
    table.insert(1, "label", dataset.y_test[table["index"].to_numpy()])
    table = records.spreadsheet_safe_frame(table)
table = table.rename(columns=COLUMNS)
picked = st.dataframe(
    table,
    on_select="rerun",
    selection_mode="single-row",
    key=f"error_table_{abs(hash((shown.token, noise, level, seed)))}",  # a new table starts unselected
    hide_index=True,
    height=280,
    column_config={
        "reconstruction MSE": st.column_config.NumberColumn(format="%.4f"),
        "noisy-input MSE": st.column_config.NumberColumn(format="%.4f"),
        "PSNR (dB)": st.column_config.NumberColumn(format="%.1f"),
    },
).selection.rows
order = table["test sample"].tolist()
spread = figure_area.segmented_control(  # above the figure it chooses for
    "Samples shown",
    ["across the range", "worst first"],
    help="Across the range: samples from the best to the worst reconstruction, a fair first look. Worst first: "
    "where the model struggles.",
    **remembered("recon_samples", "across the range"),
)
if spread != "worst first":  # the segmented control can be cleared: the range is the default
    order = [int(i) for i in rec.representative(max(SHOWN_IMAGES, HEATMAP_ROWS))]
chosen = table["test sample"].tolist()[picked[0]] if picked else order[0]

with figure_area:
    if dataset.image_shape:
        rows = [chosen, *[i for i in order if i != chosen][: SHOWN_IMAGES - 1]]
        figure = figures.image_grid(
            rec.clean[rows], rec.noisy[rows], rec.reconstructed[rows], dataset.image_shape,
            psnr=rec.per_sample_psnr[rows], labels=rows, pixel_size=9,
            title=f"Test digit {chosen} first, then {'the worst' if spread == 'worst first' else 'best to worst'}: "
            "original | noisy | reconstructed | residual",
        )  # fmt: skip
        st.plotly_chart(figure, key="reconstruction")
    elif dataset.n_features == 2:
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
    else:
        title = f"Test sample {chosen}: original, noisy and reconstructed"
        figure = figures.sample_comparison(
            rec.clean[chosen], rec.noisy[chosen], rec.reconstructed[chosen], dataset.feature_names, title=title
        )
        st.plotly_chart(figure, key="reconstruction")
        worst = order[:HEATMAP_ROWS]
        which = "worst test samples" if spread == "worst first" else "test samples, best to worst"
        heatmap = figures.samples_heatmap(
            rec.clean[worst], rec.noisy[worst], rec.reconstructed[worst], dataset.feature_names, row_labels=worst,
            title=f"{len(worst)} {which}: clean | noisy | reconstructed | residual",
        )  # fmt: skip
        st.plotly_chart(heatmap, key="heatmap")
