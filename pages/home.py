"""Home: what a denoising autoencoder is, a diagram of one training step, a one-click start and a map of pages."""

import streamlit as st

from dae_core import RunConfig, figures
from dashboard import frame, link
from dashboard.session import lab
from dashboard.warmup import preload_charts


def train_with_defaults() -> None:
    """The button's callback: it runs before the next script run, so a rerun that interrupts one cannot lose it."""
    link.set_config(RunConfig())
    lab().start_on_arrival = True  # Train starts the run once its page is out


frame.page(
    "Denoising Autoencoder Lab",
    "Train small denoising autoencoders in your browser and look inside them: live loss curves, reconstructions "
    "of noisy samples, the learned codes and the filters.",
    "press **Train with defaults** below, then open **Reconstructions** while it trains.",
)
if lab().start_on_arrival:
    st.switch_page("pages/train.py")
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
    st.button(
        "Train with defaults", type="primary", key="btn_train_defaults", icon=":material/play_arrow:",
        on_click=train_with_defaults,
    )  # fmt: skip
    d = RunConfig()
    st.caption(
        f"The defaults: a {d.data.n_samples} × {d.data.n_features} synthetic table, code size {d.model.hidden_dim}, "
        f"{d.noise.noise} noise {d.noise.noise_level:g}, {d.train.optimizer} lr {d.train.lr:g}, "
        f"{d.train.epochs} epochs. They are the original tutorial's, and with noise this mild on a table whose "
        "columns are mostly independent noise, returning the input unchanged wins; set the noise level to 1.0 "
        "and the DAE beats both baselines."
    )
with picture:
    st.image(figures.training_step_svg())  # an image, not a chart: Home shows before Plotly's code loads
    st.caption("One training step: corrupt, encode, decode, and compare with the clean input.")

st.subheader("The pages")
links = frame.PAGES[1:]
for row in range(0, len(links), 2):  # one row per pair, so a narrow screen keeps the order
    for column, (path, title, icon, description) in zip(st.columns(2), links[row : row + 2]):
        column.page_link(path, label=f"**{title}**: {description}", icon=icon)
preload_charts()
