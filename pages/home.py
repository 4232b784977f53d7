"""Home: what a denoising autoencoder is, a diagram of one training step, a one-click start and a map of pages."""

import streamlit as st

from dae_core import RunConfig, figures
from dae_core.lessons import FIRST_RUN
from dashboard import frame, link
from dashboard.session import lab
from dashboard.warmup import preload_charts


def train(config: RunConfig) -> None:
    """A start button's callback: it runs before the next script run, so a rerun that interrupts one cannot lose it."""
    link.set_config(config)
    lab().start_on_arrival = True  # Train starts the run once its page is out


frame.page(
    "Denoising Autoencoder Lab",
    "Train small denoising autoencoders in your browser and look inside them: live loss curves, reconstructions "
    "of noisy samples, the learned codes and the filters.",
    "press **Watch a DAE clean up digits** below; while it trains, try **Pause** and **Step**.",
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
        "Watch a DAE clean up digits", type="primary", key="btn_train_defaults", icon=":material/play_arrow:",
        on_click=train, args=(FIRST_RUN,),
    )  # fmt: skip
    st.caption(
        f"Handwritten 8×8 digits with {FIRST_RUN.noise.noise_level:.0%} of their pixels wiped out: the model fills "
        f"them back in, beside its live loss chart, for {FIRST_RUN.train.epochs} epochs (10 to 20 s), and beats both "
        "baselines within its first epochs."
    )
    d = RunConfig()
    st.button(
        "The original tutorial's setup", key="btn_train_tutorial", icon=":material/history_edu:", on_click=train,
        args=(d,), type="tertiary",
    )  # fmt: skip
    st.caption(
        f"A {d.data.n_samples} × {d.data.n_features} synthetic table, code size {d.model.hidden_dim}, "
        f"{d.noise.noise} noise {d.noise.noise_level:g}, {d.train.epochs} epochs: with noise this mild on columns "
        "that are mostly independent noise, returning the input unchanged wins, and the verdict says so; at "
        "noise level 1.0 the DAE beats both baselines."
    )
with picture:
    st.image(figures.training_step_svg())  # an image, not a chart: Home shows before Plotly's code loads
    st.caption("One training step: corrupt, encode, decode, and compare with the clean input.")

st.subheader("The pages")
links = frame.PAGES[1:]
for row in range(0, len(links), 2):  # one row per pair, so a narrow screen keeps the order
    for column, (path, title, icon, description) in zip(st.columns(2), links[row : row + 2]):
        # A page link's label never wraps (a long one is cut at a phone's width): the title is the link, and the
        # description a caption under it, which wraps; a card holds the two together.
        card = column.container(border=True, gap="small")
        card.page_link(path, label=f"**{title}**", icon=icon)
        card.caption(description)
preload_charts()
