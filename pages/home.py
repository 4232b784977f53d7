"""Home: what a denoising autoencoder is, a diagram of one training step, a one-click start and a map of pages."""

import plotly.graph_objects as go
import streamlit as st

from dae_core import RunConfig
from pages import common, layout

STEPS = [  # (label, fill): filled boxes with dark text read the same on a light or a dark theme
    ("clean x", "#dbeafe"),
    ("corrupted x̃", "#ffedd5"),
    ("code h", "#ede9fe"),
    ("reconstruction r(x̃)", "#d1fae5"),
    ("loss(r(x̃), x)", "#fee2e2"),
]
ARROWS = ["corrupt", "encode", "decode", "compare"]
GREY = "#94a3b8"
ARROW = {"xref": "x", "yref": "y", "axref": "x", "ayref": "y", "text": "", "showarrow": True, "arrowhead": 2}
ARROW |= {"arrowsize": 1.2, "arrowwidth": 1.6, "arrowcolor": GREY}


def box_width(label: str) -> float:
    """Half the width of a box, in axis units, that fits ``label`` at 14 px."""
    return 0.2 + 0.045 * len(label)


def diagram() -> go.Figure:
    """One training step as boxes and arrows, top to bottom; the clean input also feeds the loss (dashed)."""
    figure = go.Figure()
    for i, (label, fill) in enumerate(STEPS):
        y = 4 - i
        width = box_width(label)
        figure.add_shape(
            type="rect", x0=-width, x1=width, y0=y - 0.28, y1=y + 0.28, fillcolor=fill, line={"color": "#64748b"}
        )
        figure.add_annotation(x=0, y=y, text=label, showarrow=False, font={"size": 14, "color": "#0f172a"})
    for i, verb in enumerate(ARROWS):
        top = 4 - i
        figure.add_annotation(x=0, y=top - 0.7, ax=0, ay=top - 0.3, **ARROW)
        figure.add_annotation(x=0.08, y=top - 0.5, text=verb, showarrow=False, xanchor="left", font={"color": GREY})
    start, end = box_width(STEPS[0][0]) + 0.03, box_width(STEPS[-1][0]) + 0.04
    figure.add_shape(
        type="path",
        path=f"M {start},4 C 1.6,4 1.6,0 {end + 0.2},0.03",
        line={"color": GREY, "dash": "dash", "width": 1.6},
    )
    figure.add_annotation(x=end, y=0, ax=end + 0.22, ay=0.03, **ARROW)
    figure.add_annotation(x=1.45, y=2, text="target", showarrow=False, xanchor="left", font={"color": GREY})
    hidden = {"visible": False, "fixedrange": True}
    figure.update_layout(
        height=360, margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False, dragmode=False, hovermode=False
    )
    figure.update_xaxes(range=[-1.3, 2.1], **hidden)
    figure.update_yaxes(range=[-0.45, 4.45], **hidden)
    return figure


layout.page(
    "Denoising Autoencoder Lab",
    "Train small denoising autoencoders in your browser and look inside them: live loss curves, reconstructions "
    "of noisy samples, the learned codes and the filters.",
    "press **Train with defaults** below, then open **Reconstructions** while it trains.",
)
text, picture = st.columns([5, 6], gap="large")
with text:
    st.markdown(
        "A **denoising autoencoder** (Vincent et al., 2008) learns to undo corruption. Each training step "
        "takes a clean sample **x**, corrupts it into **x̃** (Gaussian noise, masked entries, or salt and "
        "pepper), squeezes **x̃** through a narrow **code h**, and decodes a reconstruction **r(x̃)**.\n\n"
        "The loss compares the reconstruction with the *clean* **x**, never with **x̃**: the only way to do "
        "well is to learn how the values of the data go together. A useful DAE beats two free baselines on "
        "the same noisy inputs: the identity (return **x̃** unchanged) and PCA with as many components as the code."
    )
    if st.button("Train with defaults", type="primary", key="btn_train_defaults", icon=":material/play_arrow:"):
        common.set_config(RunConfig())
        if common.start_job(RunConfig()):
            st.switch_page("pages/train.py")
    d = RunConfig()
    st.caption(
        f"The defaults: a {d.data.n_samples} × {d.data.n_features} synthetic table, code size {d.model.hidden_dim}, "
        f"{d.noise.noise} noise {d.noise.noise_level:g}, {d.train.optimizer} lr {d.train.lr:g}, "
        f"{d.train.epochs} epochs."
    )
with picture:
    # A Plotly figure, not graphviz: it also loads the charting code while you read, so Train draws at once.
    st.plotly_chart(diagram(), key="diagram", config={"displayModeBar": False, "staticPlot": True})
    st.caption("One training step: corrupt, encode, decode, and compare with the clean input.")

st.subheader("The pages")
links = common.PAGES[1:]
for row in range(0, len(links), 2):  # one row per pair, so a narrow screen keeps the order
    for column, (path, title, icon, description) in zip(st.columns(2), links[row : row + 2]):
        column.page_link(path, label=f"**{title}**: {description}", icon=icon)
