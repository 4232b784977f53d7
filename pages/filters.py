"""Filters: the encoder's first-layer weights, one filter per hidden unit, redrawn live while a run trains."""

import streamlit as st

from dae_core import figures, metrics
from dashboard import frame, runs
from dashboard.session import lab
from dashboard.widgets import remembered

MAX_TILES, MAX_ROWS = 64, 128  # units drawn as image tiles, or as heatmap rows

frame.page(
    "Filters",
    "Each unit of the first encoder layer weighs every input feature; its row of weights is what the unit looks "
    "for. For images (digits, photo patches) each unit is drawn at the image's size (red: positive, blue: negative "
    "weight).",
    "train on digits with masking noise and watch the filters turn from speckle into strokes; compare with "
    "Gaussian noise.",
    live_view=True,
)
live = runs.require_model(redrawn_live=True).live  # the run on show still trains: its page follows it
normalize = st.toggle(
    "Scale each filter to its own range", help="Keeps weak units visible.", **remembered("filters_normalize", True)
)


def draw() -> None:
    if live:
        runs.redraw_if_changed(lab().run)
    shown = runs.shown_model()  # while a run trains: its latest epoch
    kept = shown.trained.kept_record  # early stopping keeps an earlier epoch's weights than the last
    epoch, weights = (kept.epoch if kept else 0), shown.trained.model.first_layer_weights.detach().numpy()
    dataset = shown.dataset
    title = f"Encoder filters after epoch {epoch}"
    shape = getattr(shown.trained.model, "filter_shape", None) or dataset.image_shape  # conv: 3 x 3 kernels
    if dataset.image_shape:
        figure = figures.filter_tiles(weights, shape, max_units=MAX_TILES, normalize=normalize, title=title)
    else:
        figure = figures.filter_heatmap(weights, dataset.feature_names, max_units=MAX_ROWS, title=title)
    st.plotly_chart(figure, key="filters")
    if dataset.image_shape and dataset.image_shape[2] == 3:
        st.caption("Colour filters are drawn in grayscale: each pixel the mean of its red, green and blue weights.")
    edges = metrics.edge_likeness_if_readable(weights, shape if dataset.image_shape else None)
    if edges is not None:
        oriented = f"{round(edges * len(weights))} of {len(weights)} filters"
        tip = f"The share tuned to one orientation (edges, bars): {oriented}. Near 0 for speckle and blobs."
        st.metric("Edge-likeness", f"{edges:.3f}", help=tip)
    limit = MAX_TILES if dataset.image_shape else MAX_ROWS
    if len(weights) > limit:
        st.caption(f"The first {limit} of {len(weights)} units.")


st.fragment(run_every=runs.follow(lab().run) if live else None)(draw)()
