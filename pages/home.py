"""Home: what a denoising autoencoder is, a diagram of one training step, a one-click start and a map of pages."""

import streamlit as st

from dae_core import RunConfig
from dashboard import frame, settings
from dashboard.state import lab
from dashboard.warmup import preload_charts

STEPS = [  # (label, fill): filled boxes with dark text read the same on a light or a dark theme
    ("clean x", "#dbeafe"),
    ("corrupted x̃", "#ffedd5"),
    ("code h", "#ede9fe"),
    ("reconstruction r(x̃)", "#d1fae5"),
    ("loss(r(x̃), x)", "#fee2e2"),
]
ARROWS = ["corrupt", "encode", "decode", "compare"]
GREY = "#94a3b8"
BOX_HEIGHT, GAP, WIDTH, AXIS = 40, 34, 420, 150  # px; AXIS: the x of the boxes' centre line


def box_half_width(label: str) -> float:
    return 30 + 4 * len(label)  # fits ``label`` at 15 px


def diagram() -> str:
    """One training step as SVG, top to bottom; the clean input also feeds the loss (the dashed target).

    Plain SVG in an image, not a chart: Home then loads no charting code and is ready sooner.
    """
    arrow = f'stroke="{GREY}" stroke-width="1.6" marker-end="url(#head)"'
    note = f'font-size="13" fill="{GREY}"'
    parts = [
        '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{GREY}"/></marker></defs>'
    ]
    for i, (label, fill) in enumerate(STEPS):
        top, half = 4 + i * (BOX_HEIGHT + GAP), box_half_width(label)
        parts.append(
            f'<rect x="{AXIS - half}" y="{top}" width="{2 * half}" height="{BOX_HEIGHT}" rx="6" '
            f'fill="{fill}" stroke="#64748b"/>'
            f'<text x="{AXIS}" y="{top + 26}" text-anchor="middle" font-size="15" fill="#0f172a">{label}</text>'
        )
        if i < len(ARROWS):
            bottom = top + BOX_HEIGHT
            parts.append(
                f'<line x1="{AXIS}" y1="{bottom + 2}" x2="{AXIS}" y2="{bottom + GAP - 4}" {arrow}/>'
                f'<text x="{AXIS + 8}" y="{bottom + GAP // 2 + 5}" {note}>{ARROWS[i]}</text>'
            )
    first_right = AXIS + box_half_width(STEPS[0][0])
    last_right = AXIS + box_half_width(STEPS[-1][0])
    last_middle = 4 + (len(STEPS) - 1) * (BOX_HEIGHT + GAP) + BOX_HEIGHT // 2
    bend = WIDTH - 40
    parts.append(
        f'<path d="M {first_right + 2} 24 C {bend} 24, {bend} {last_middle}, {last_right + 6} {last_middle}" '
        f'fill="none" stroke-dasharray="6 4" {arrow}/>'
        f'<text x="{bend - 20}" y="{last_middle // 2 + 14}" {note}>target</text>'
    )
    height = len(STEPS) * (BOX_HEIGHT + GAP) - GAP + 8
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" font-family="sans-serif">{"".join(parts)}</svg>'
    )


def train_with_defaults() -> None:
    """The button's callback: it runs before the next script run, so a rerun that interrupts one cannot lose it."""
    settings.set_config(RunConfig())
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
    st.image(diagram())
    st.caption("One training step: corrupt, encode, decode, and compare with the clean input.")

st.subheader("The pages")
links = frame.PAGES[1:]
for row in range(0, len(links), 2):  # one row per pair, so a narrow screen keeps the order
    for column, (path, title, icon, description) in zip(st.columns(2), links[row : row + 2]):
        column.page_link(path, label=f"**{title}**: {description}", icon=icon)
preload_charts()
