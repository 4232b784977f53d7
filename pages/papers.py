"""Views from the papers: each view trains several models at once (one per noise level) and compares them."""

import streamlit as st

from dae_core.errors import ConfigError
from dae_core.views import VIEWS, ViewSweep, parse_levels
from dashboard import frame, papers
from dashboard.widgets import plain, remembered

frame.page(
    "Views from the papers",
    "Classic comparisons from the denoising autoencoder papers. Each trains one model per noise level, all "
    "at once as one batched model, and keeps the result for this session.",
    "start with **Filters against noise level**, then see what a DAE is for: a classifier that reads damaged "
    "digits (**Robustness to damaged inputs**), a network with few labels (**Pre-training with few labels**) and "
    "new points drawn from the data (**Sampling from a DAE**).",
)
slug = st.segmented_control(
    "View", list(VIEWS), format_func=lambda s: VIEWS[s].title, required=True, **remembered("paper_view", "filters")
)
view = VIEWS[slug]
st.subheader(view.title)
st.markdown(f"*After {view.source}.*  \n**What you see:** {view.what_you_see}  \n**Try:** {view.what_to_try}")

default = ", ".join(f"{level:g}" for level in view.levels)
typed, button = st.columns([4, 1], vertical_alignment="bottom")
text = default  # pretrain is not a noise sweep: no levels to type
if not view.pretrain:
    text = typed.text_input(
        "Training noise levels",
        help=f"Up to {papers.most_levels()} levels in [0, 1], separated by commas. The view's own: {default}.",
        **remembered(f"paper_levels_{slug}", default),
    )
try:
    spec = ViewSweep(slug, papers.check_levels(parse_levels(text)))
except ConfigError as exc:
    st.error(plain(str(exc)))
    spec = None
job = papers.sweep(slug)
label = "Train again" if job else "Train this view"
if button.button(label, key="btn_view_train", type="primary", disabled=spec is None, width="stretch"):
    job = papers.start(spec) or job
if job is None and view.pretrain:
    st.info(f"Press **Train this view**: {papers.pretrain_work(view)}, about half a minute.")
    st.stop()
if job is None:
    st.info(
        f"Press **Train this view**: {len(view.levels)} models of {view.config.train.epochs} epochs, a few seconds."
    )
    st.stop()
if spec is not None and job.spec.levels != spec.levels:
    levels = ", ".join(f"{level:g}" for level in job.spec.levels)
    st.caption(f"Shown: the levels {levels}. Press **Train again** for the levels above.")

snapshot = job.snapshot()
if not snapshot.finished:
    if st.button("Stop", key="btn_view_stop", icon=":material/stop:"):
        papers.stop(job)
    st.fragment(run_every=papers.POLL_SECONDS)(papers.progress_ui)(job, snapshot.status)
elif snapshot.result is None:
    st.warning(f"The view did not finish ({plain(snapshot.reason)}). Press **Train again**.")
else:
    papers.result_ui(snapshot.result)
