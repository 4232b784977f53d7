"""Reconstructions: what the model makes of noisy test samples, under a test-time noise of your choice."""

import pandas as pd
import streamlit as st

from dae_core import figures, metrics, records
from dashboard import evaluation, frame, runs
from dashboard.widgets import memo, metric_row, remembered

COLUMNS = {"index": "test sample", "mse": "reconstruction MSE", "noisy_mse": "noisy-input MSE", "psnr_db": "PSNR (dB)"}

frame.page(
    "Reconstructions",
    "Held-out test samples: the clean original, the noisy version the model is fed, and its reconstruction. "
    "It opens on the run's own noisy test inputs, the ones behind Train's test MSE; choose any other test noise.",
    "raise the test noise level or change its type and see where the model breaks down; click a row of the "
    "error table to look at that sample.",
)
shown = runs.require_model()
trained, dataset = shown.trained, shown.dataset

test = evaluation.test_noise_ui(trained)
noise, level, seed = test.noise, test.noise_level, test.seed
rec = evaluation.reconstruction(shown, test)
k = min(trained.model.hidden_dim, dataset.n_features)  # the code's size, as training's PCA baseline
pca_mse = memo(
    ("pca", shown.token[:2], noise, level, seed), lambda: metrics.pca_mse(dataset.X_train, rec.noisy, rec.clean, k)
)
cards = metric_row(4 if rec.psnr is not None else 3)
cards[0].metric("Test MSE", f"{rec.mse:.4f}", help="Reconstructions against the clean samples, at this test noise.")
cards[1].metric("Identity baseline", f"{rec.identity_mse:.4f}", help="MSE of the noisy input itself.")
cards[2].metric(f"PCA-{k} baseline", f"{pca_mse:.4f}", help=f"PCA with {k} components on the same noisy input.")
if rec.psnr is not None:
    cards[3].metric("PSNR", f"{rec.psnr:.1f} dB", help="Peak signal-to-noise ratio of the reconstructions.")
evaluation.test_noise_note(shown, test, rec)

figure_area = st.container()
st.subheader("Error per test sample, worst first")
table = pd.DataFrame(rec.error_table())
if dataset.y_test is not None:  # a table's labels are the user's text: the table's own download must not run them
    labels = dataset.y_test[table["index"].to_numpy()]
    table.insert(1, "label", [figures.class_name(label, dataset.class_names) for label in labels])
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
worst_first = spread == "worst first"  # the segmented control can be cleared: the range is the default
if not worst_first:
    order = [int(i) for i in rec.representative(evaluation.SHOWN_SAMPLES)]
chosen = table["test sample"].tolist()[picked[0]] if picked else order[0]

with figure_area:
    if dataset.image_shape:
        evaluation.image_grid_ui(shown, rec, chosen, order, worst_first)
    elif dataset.n_features == 2:
        evaluation.plane_views_ui(shown, rec, test, chosen)
    else:
        evaluation.feature_views_ui(shown, rec, chosen, order, worst_first)

if dataset.name == "photos":  # a model of patches can denoise a whole photograph, tile by tile
    evaluation.whole_photo_ui(shown, test)
