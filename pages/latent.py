"""Latent space: the codes of the test samples projected to 2-D, and how linearly separable their classes are."""

import numpy as np
import streamlit as st

from dae_core import analysis, figures
from dashboard import evaluation, frame, runs
from dashboard.widgets import memo, metric_row, remembered

frame.page(
    "Latent space",
    "Every dot is one test sample's code (the bottleneck of the autoencoder), projected to two dimensions and "
    "coloured by its label. A linear probe says how much class information the codes keep compared with the raw input.",
    "switch between PCA and t-SNE; train with a larger code size or another noise type and compare the probe.",
)
shown = runs.require_model()
trained, dataset = shown.trained, shown.dataset

method = st.radio(
    "Projection",
    ["PCA", "t-SNE"],
    horizontal=True,
    **remembered("latent_method", "PCA"),
    help="PCA is linear and fast; t-SNE keeps neighbours together and takes a few seconds.",
)
rows = analysis.subsample(len(dataset.X_test))
codes = memo(("codes", shown.token), lambda: analysis.codes(trained, dataset.X_test[rows]))
with st.spinner(f"Projecting {len(rows)} codes with {method}…"):
    projection = memo(
        ("projection", shown.token, method),
        lambda: analysis.project(codes, method.lower().replace("-", ""), seed=0),
    )
labels = None if dataset.y_test is None else dataset.y_test[rows]
names = dataset.class_names  # picture folders: the legend and the hover name them
hover = [
    f"test sample {i}" + ("" if labels is None else f", label {figures.class_name(label, names)}")
    for i, label in zip(rows, labels if labels is not None else np.zeros(len(rows)))
]
figure = figures.latent_scatter(projection, labels=labels, hover=hover, method=method, ids=rows, class_names=names)
event = st.plotly_chart(figure, key="latent", on_select="rerun", selection_mode="points")
picked = [point.get("customdata") for point in (event or {}).get("selection", {}).get("points", [])]
picked = [int(i[0] if isinstance(i, list) else i) for i in picked if i is not None]
if picked:
    evaluation.sample_ui(shown, picked[0])  # the linked view: the chosen sample, as the model sees and rebuilds it
else:
    st.caption("Click a point to see that sample: its original, the noisy input and the reconstruction.")

st.subheader("Linear-probe accuracy")
probe = memo(("probe", shown.token), lambda: analysis.probe(trained, dataset))
if probe is None:
    st.caption("No labels in this dataset, so there is nothing to probe.")
else:
    cards = metric_row(3)
    cards[0].metric(
        f"Codes ({trained.model.hidden_dim} dims)",
        f"{probe['code_accuracy']:.1%}",
        help="Logistic regression trained on the training codes, scored on the test codes.",
    )
    cards[1].metric(
        f"Raw input ({dataset.n_features} dims)",
        f"{probe['raw_accuracy']:.1%}",
        help="The same probe on the scaled input features.",
    )
    cards[2].metric(
        "Chance",
        f"{probe['chance_accuracy']:.1%}",
        help=f"Always guessing the commonest of the {probe['n_classes']} classes.",
    )
    st.caption("A code that keeps the accuracy of the raw input with far fewer dimensions has kept what matters.")
