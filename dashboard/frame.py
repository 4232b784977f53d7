"""The frame of every page: the page list, page setup, the sidebar (run, model import, export, share), the intro.

Each page calls :func:`page` first, so a page works the same whether ``app.py`` routed to it or a test ran it.
"""

from __future__ import annotations

import streamlit as st

from dae_core import records, share

from . import notices, runs, server, workspace
from .link import share_url, sync_link
from .session import lab
from .widgets import code_span, copy_button_ui, download_ui, number, plain

# (file, title, icon, what it shows): navigation and the Home page's map both read this list.
PAGES = [
    ("pages/home.py", "Home", ":material/home:", "What a denoising autoencoder is, and a one-click start."),
    ("pages/train.py", "Train", ":material/model_training:", "Settings, live loss chart, pause, step and stop."),
    ("pages/reconstructions.py", "Reconstructions", ":material/compare:", "Original, noisy and reconstructed."),
    ("pages/latent.py", "Latent space", ":material/scatter_plot:", "The codes in 2-D, and a linear probe."),
    ("pages/filters.py", "Filters", ":material/grid_on:", "What each hidden unit looks for, live."),
    ("pages/experiments.py", "Experiments", ":material/table_chart:", "Every finished run, compared."),
    ("pages/papers.py", "Views from the papers", ":material/menu_book:", "Filters, noise and probes, side by side."),
    ("pages/tune.py", "Tune", ":material/tune:", "Search noise level, code size and learning rate with Optuna."),
]


def run_status(live_here: bool = False) -> None:
    """The current run's progress bar; ``live_here``: the page shows the run's progress itself, so the sidebar
    names the run and its status without an epoch count that it would not keep current."""
    run = lab().run
    if run is None:
        st.caption("No run yet: press **Train** on the Train page.")
        return
    snapshot = run.job.snapshot()
    name = records.run_name(run.serial, snapshot.settings)
    if live_here and not snapshot.finished:
        st.caption(f"Run {name}: {snapshot.status}, followed live on this page.")
        return
    text = f"Run {name}: epoch {snapshot.epoch}/{snapshot.total_epochs}, {snapshot.status}"
    st.progress(min(1.0, snapshot.epoch / snapshot.total_epochs), text=text)
    notices.unsaved_ui(run)


def live_run_status() -> None:
    """The progress of a run that trains or waits, polled; when that changes, the whole page is redrawn."""
    runs.redraw_if_changed(lab().run, runs.SLOW_POLL_SECONDS)
    run_status()


ALREADY_SHOWN = "This file is already imported, and on show."


def model_uploader_key(uploads: int) -> str:
    """The model uploader's widget key after ``uploads`` files: each file handed over gets a new, empty uploader
    (Streamlit copies an uploader's value on every run that draws it: a 9 MB file, 9 MB more on every run)."""
    return "model_file" + (f"_{uploads}" if uploads else "")


def _model_upload_changed(key: str) -> None:
    """Import the file the uploader got (or say why not, or that it is the model on show already), then empty it."""
    state = lab()
    upload = st.session_state.get(key)
    if upload is None:
        return
    shown = state.upload
    error = runs.load_upload(upload.name, upload.getvalue())
    again = not error and shown is not None and state.upload is shown  # the very file on show: nothing read again
    if again:
        state.show = "upload"
    state.model_note = ("error", error) if error else ("again", ALREADY_SHOWN) if again else None
    state.model_uploads += 1


def model_ui() -> None:
    state = lab()
    st.subheader("Model")
    key = model_uploader_key(state.model_uploads)
    st.file_uploader(
        "Import a model file",
        key=key,
        on_change=_model_upload_changed,
        args=(key,),
        help="A .dae file saved here or by `python -m dae_core train --save`. It is checked and never unpickled.",
        max_upload_size=server.LIMITS.upload_mb,
    )
    if state.model_note is not None:  # what the last file came to, until the next
        kind, text = state.model_note
        if kind == "error":
            st.error(plain(text))
        else:
            st.caption(f":material/info: {text}")
    if state.run is not None and state.upload is not None:
        st.session_state.show_choice = state.show
        st.radio(
            "Show on the pages",
            ["run", "upload"],
            format_func={"run": "the trained run", "upload": f"the {plain(state.upload.label)}"}.get,
            key="show_choice",
            on_change=lambda: setattr(state, "show", st.session_state.show_choice),
        )
    if state.upload:
        summary = state.upload.summary
        with st.expander(f"Inspect {plain(state.upload.name)}"):
            layers = " → ".join(str(w) for w in summary["hidden_layers"])
            st.markdown(
                f"**{summary['input_dim']} → {layers}{' → ' if layers else ''}{summary['hidden_dim']}** (code), "
                f"mirrored back  \n{summary['n_parameters']:,} parameters · {summary['epochs']} epochs"
                f"{_kept(summary)} · dataset {summary['config']['data']['dataset']}  \n"
                f"test MSE {number(summary['test_mse'])} · identity {number(summary['identity_mse'])} · "
                f"PCA {number(summary['pca_mse'])}"
            )
            st.json(summary, expanded=False)


def _kept(summary: dict) -> str:
    """Names the kept epoch when it is not the last (early stopping keeps the best epoch's weights)."""
    kept = summary["weights_epoch"]
    return "" if kept in (None, summary["epochs"]) else f" (weights and metrics of epoch {kept})"


def _model_bytes(trained) -> bytes:
    from dae_core import model_file  # imports torch: only when someone downloads

    return model_file.to_bytes(trained)


def export_ui() -> None:
    shown = runs.shown_model()
    state = lab()
    with st.expander("Export"):
        history = ()  # the shown model's records: its live changes become the command's --schedule
        if shown is None:
            st.caption("Train or import a model to download it.")
            config = state.config
        else:
            trained = shown.trained
            config = trained.config
            st.caption(f"Downloads of {plain(shown.label)}.")
            download_ui(st, "Model file (.dae)", lambda: _model_bytes(trained), "model.dae", "download_model")
            download_ui(st, "Config (JSON)", config.to_json, "config.json", "download_config")
            history = trained.history
            download_ui(st, "History (CSV)", lambda: records.history_csv(history), "history.csv", "download_history")
        st.caption("The same run from the command line:")
        upload = state.uploaded(config.data.dataset)
        table = upload.name if upload else None
        st.markdown(code_span(share.to_cli_command(config, table_name=table, history=history)))


def share_ui() -> None:
    with st.expander("Share these settings"):
        st.caption("The address bar always holds the current settings. This link restores them:")
        link = share_url()
        st.markdown(code_span(link))
        copy_button_ui(st, link)


def sidebar_ui(with_settings: bool = True, polls: bool = True) -> None:
    """``polls``: the sidebar is the page's one timer (pages with a live view of their own poll there instead)."""
    run = lab().run
    with st.sidebar:
        if polls and run is not None and runs.follow(run, runs.SLOW_POLL_SECONDS):
            st.fragment(run_every=run.drawn[1])(live_run_status)()
        else:
            run_status(live_here=not polls)
        model_ui()
        if with_settings:
            settings_sidebar()


def settings_sidebar() -> None:
    """The sidebar's last part, which shows the current settings: export's command and the share link."""
    with st.sidebar:
        export_ui()
        share_ui()


def page(title: str, what: str, try_this: str, *, changes_settings: bool = False, live_view: bool = False) -> None:
    """Set up the page and open it with two lines: what you are looking at, and what to try.

    ``changes_settings``: the page draws the settings widgets, so it calls :func:`settings_sidebar` after them.
    ``live_view``: the page polls the run itself, so the sidebar does not.
    """
    st.set_page_config(page_title=f"{title} · DAE Lab", page_icon=":material/blur_on:", layout="wide")
    state = lab()
    sync_link()
    sidebar_ui(with_settings=not changes_settings, polls=not live_view)
    st.title(title)
    notices.store_ui()  # runs not being saved, and what this session's workspace could not keep
    st.markdown(f"{what}  \n**Try:** {try_this}")
    for message in state.link_messages:
        st.warning(plain(message))
    offered = workspace.foreign_runs(state)
    if offered is not None:
        foreign_workspace_ui(offered)


def foreign_workspace_ui(count: int) -> None:
    """The opening link named another browser's workspace: offer a copy of its runs, or a start of one's own. The
    session's runs go to its own workspace whatever the visitor chooses."""
    state = lab()
    if count:
        st.info(
            f"This address holds {count} run{'s' * (count != 1)} made in another browser. They stay there as they "
            "are, read-only to you: what you do here is kept in a workspace of your own. Open a copy of them to go "
            "on from them here, or start your own.",
            icon=":material/devices:",
        )
    else:
        st.info("This address was made in another browser: your runs are kept in a workspace of your own.",
                icon=":material/devices:")  # fmt: skip
    choice = st.container(horizontal=True)
    if count:
        choice.button("Open a copy of them", key="btn_copy_foreign", on_click=workspace.copy_foreign,
                      args=(state,), icon=":material/content_copy:", type="primary")  # fmt: skip
    choice.button("Start your own", key="btn_own_workspace", on_click=workspace.decline_foreign, args=(state,))
