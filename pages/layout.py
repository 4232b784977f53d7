"""The frame of every page: page setup, session state, the sidebar (run, model import, export, share), the intro.

Each page calls :func:`page` first, so a page works the same whether ``app.py`` routed to it or Streamlit ran
the file on its own (Streamlit runs files in a folder named ``pages/`` directly in some cases, e.g. in tests).
"""

import streamlit as st

from dae_core import share
from pages import common

ss = st.session_state
SIDEBAR_POLL_SECONDS = 1.0  # keeps a run alive (reading counts as watching) while you look at other pages


def run_status() -> None:
    job = ss.job
    if job is None:
        st.caption("No run yet: press **Train** on the Train page.")
        return
    snapshot = job.snapshot()
    if snapshot.finished and ss.job_serial not in ss.archived:
        common.archive_job()
        st.rerun()  # the other pages now show the final model
    fraction = min(1.0, snapshot.epoch / snapshot.total_epochs)
    st.progress(fraction, text=f"Run {ss.job_name}: epoch {snapshot.epoch}/{snapshot.total_epochs}, {snapshot.status}")


def model_ui() -> None:
    st.subheader("Model")
    upload = st.file_uploader(
        "Import a model file",
        key="model_file",
        help="A .dae file saved here or by `python -m dae_core train --save`. It is checked and never unpickled.",
    )
    if upload is not None:
        error = common.load_uploaded_model(upload.name, upload.getvalue())
        if error:
            st.error(error)
    choices = [name for name, present in (("job", ss.job is not None), ("upload", ss.uploaded)) if present]
    if len(choices) == 2:
        ss.show_choice = ss.show
        st.radio(
            "Show on the pages",
            choices,
            format_func={"job": "the trained run", "upload": f"the file {ss.uploaded['name']}"}.get,
            key="show_choice",
            on_change=lambda: setattr(ss, "show", ss.show_choice),
        )
    if ss.uploaded:
        summary = ss.uploaded["summary"]
        with st.expander(f"Inspect {ss.uploaded['name']}"):
            st.markdown(
                f"**{summary['input_dim']} → {' → '.join(str(w) for w in summary['hidden_layers'])}"
                f"{' → ' if summary['hidden_layers'] else ''}{summary['hidden_dim']}** (code), mirrored back  \n"
                f"{summary['n_parameters']:,} parameters · {summary['epochs']} epochs{_kept(summary)} · "
                f"dataset {summary['config']['data']['dataset']}  \n"
                f"test MSE {_number(summary['test_mse'])} · identity {_number(summary['identity_mse'])} · "
                f"PCA {_number(summary['pca_mse'])}"
            )
            st.json(summary, expanded=False)


def _kept(summary: dict) -> str:
    """Names the kept epoch when it is not the last (early stopping keeps the best epoch's weights)."""
    kept = summary["weights_epoch"]
    return "" if kept in (None, summary["epochs"]) else f" (weights and metrics of epoch {kept})"


def _number(value) -> str:
    return "—" if value is None else f"{value:.4f}"


def model_bytes(trained) -> bytes:
    from dae_core import io as model_io  # imports torch: only when someone downloads

    return model_io.to_bytes(trained)


def export_ui() -> None:
    shown = common.shown_model()
    with st.expander("Export"):
        if shown is None:
            st.caption("Train or import a model to download it.")
            config = ss.config
        else:
            trained = shown.trained
            config = trained.config
            st.caption(f"Downloads of {shown.label}.")
            common.download_ui(st, "Model file (.dae)", lambda: model_bytes(trained), "model.dae", "download_model")
            common.download_ui(st, "Config (JSON)", config.to_json(), "config.json", "download_config")
            history = common.history_csv(trained.history)
            common.download_ui(st, "History (CSV)", history, "history.csv", "download_history")
        st.caption("The same run from the command line:")
        st.markdown(code_span(share.to_cli_command(config)))


def code_span(text: str) -> str:
    """Inline code: wraps, selects with a triple click, and, unlike st.code, needs no 1.5 MB highlighter on load."""
    return f"`{text}`"


def share_ui() -> None:
    with st.expander("Share these settings"):
        st.caption("The address bar always holds the current settings. This link restores them:")
        st.markdown(code_span(common.share_url()))


def sidebar_ui(with_settings: bool = True) -> None:
    with st.sidebar:
        if common.live_job() is not None:
            st.fragment(run_every=SIDEBAR_POLL_SECONDS)(run_status)()
        else:
            run_status()
        model_ui()
        if with_settings:
            settings_sidebar()


def settings_sidebar() -> None:
    """The sidebar's last part, which shows the current settings: export's command and the share link."""
    with st.sidebar:
        export_ui()
        share_ui()


def leave_legacy_pages_mode() -> None:
    """Put app.py's navigation in charge from a fresh server's very first run.

    Streamlit treats a folder named ``pages/`` as old-style pages until ``st.navigation`` has run once in the
    server process. A first request for ``/train`` would run ``pages/train.py`` alone, with every file of the
    folder (``common``, ``layout``, ...) listed as a page; a first request for ``/`` runs ``app.py`` inside that
    mode, where the page's timed fragments never fire. Switching the mode off and rerunning runs ``app.py``
    as usual. ``AppTest`` resets the mode before every run and drives pages its own way, so it is left alone.
    """
    from streamlit.runtime import Runtime
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and type(Runtime.instance()) is Runtime:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page(title: str, what: str, try_this: str, *, changes_settings: bool = False) -> None:
    """Set up the page and open it with two lines: what you are looking at, and what to try.

    ``changes_settings``: the page draws the settings widgets, so it calls :func:`settings_sidebar` after them.
    """
    leave_legacy_pages_mode()
    st.set_page_config(page_title=f"{title} · DAE Lab", page_icon=":material/blur_on:", layout="wide")
    common.init_state()
    common.archive_job()
    common.sync_link()
    sidebar_ui(with_settings=not changes_settings)
    st.title(title)
    st.markdown(f"{what}  \n**Try:** {try_this}")
    for message in st.session_state.link_messages:
        st.warning(message)
