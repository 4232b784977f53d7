"""The CSV upload of the Data settings: the uploader, the table in use, its label column and what is wrong with it.

The table lives in the session (and the visitor's workspace), never only in the uploader, so a page switch or a
reload keeps it; a refused upload leaves no table in use and says why.
"""

from __future__ import annotations

import streamlit as st

from dae_core import DataConfig, RunConfig
from dae_core.data import csv_columns
from dae_core.errors import DAEError

from . import server, workspace
from .data import NEEDS_TABLE, dataset_for
from .fields import NO_LABEL, Field, draw_field
from .link import set_config
from .session import lab
from .state import CsvTable
from .widgets import memo, plain


def _csv_upload_changed(key: str) -> None:
    """The uploader's file becomes the table in use; a refused one leaves none, and says why until the next.

    Then the uploader is replaced by an empty one (a new key): Streamlit copies a file uploader's value on every run
    that draws it (9.5 MB and 80 ms for a 9.5 MB table, each poll of the live chart), so the file lives only in the
    table in use, and a refused file is let go at once."""
    state = lab()
    upload = st.session_state.get(key)
    state.link_messages, state.csv_error, state.csv = [], None, None  # removed with the uploader's ✕, or refused
    if upload is not None:
        data = upload.getvalue()  # the uploader's own bytes, shared (getbuffer() would copy them all)
        try:
            server.LIMITS.check_upload(len(data), "table")
            csv_columns(data, limits=server.LIMITS)  # its columns and rows counted and limited before any parse
            state.csv = CsvTable.from_upload(upload.name, data)
        except DAEError as exc:
            state.csv_error = f"The table {upload.name} was not used: {exc}"
        state.csv_uploads += 1
    workspace.keep_table(state)


def csv_uploader_key(uploads: int) -> str:
    """The CSV uploader's widget key after ``uploads`` files: a new, empty uploader after each (``w_csv_file``,
    ``w_csv_file_1``, ...)."""
    return "w_csv_file" + (f"_{uploads}" if uploads else "")


def _remove_table() -> None:
    state = lab()
    state.csv, state.csv_error = None, None
    workspace.keep_table(state)


def csv_ui(config: RunConfig) -> None:
    """The CSV uploader, the table in use and its label column; notes in ``lab().data_problem`` why it cannot
    train, if it cannot."""
    state = lab()
    key = csv_uploader_key(state.csv_uploads)
    st.file_uploader(
        "CSV table",
        type=["csv"],
        key=key,
        on_change=_csv_upload_changed,
        args=(key,),
        help=f"Numeric columns, one row per sample, up to {server.LIMITS.upload_mb} MB.",
        max_upload_size=server.LIMITS.upload_mb,
    )
    if state.csv_error:
        state.data_problem = state.csv_error
        st.error(plain(state.csv_error))
        return
    if state.csv is None:
        state.data_problem = NEEDS_TABLE
        st.info("Upload a CSV table with numeric columns to train on it.")
        return
    if st.session_state.get(key) is None:  # the uploader empties once it has handed its file over
        st.caption(f"In use: **{plain(state.csv.name)}**")
        st.button("Remove the table", key="btn_remove_table", on_click=_remove_table, icon=":material/close:",
                  type="tertiary")  # fmt: skip
    try:
        # Counted and limited once per table (one kept from before the limits changed may be past them), not per run
        columns = memo(("csv_columns", state.csv.digest), lambda: csv_columns(state.csv.data, limits=server.LIMITS))
    except DAEError as exc:
        state.data_problem = str(exc)
        st.error(plain(str(exc)))
        return
    label = Field("label_column", "select", "Optional: a column of class labels, kept out of the "
                  "features and used to colour the codes.", (NO_LABEL, *columns))  # fmt: skip
    if config.data.label_column not in columns and config.data.label_column:
        set_config(config.replace(label_column=""))  # a link's or an earlier table's label: not in this one
        config = state.config
    draw_field(st, label, config)
    try:
        dataset = dataset_for(DataConfig(dataset="csv", label_column=config.data.label_column))
        server.LIMITS.check_config(config, dataset.n_features, len(dataset.X_train) + len(dataset.X_test))
    except DAEError as exc:
        state.data_problem = f"{state.csv.name}: {exc}"
        st.error(plain(state.data_problem))
        return
    rows = len(dataset.X_train) + len(dataset.X_test)
    st.caption(f"{plain(state.csv.name)}: {rows} rows × {dataset.n_features} features")
