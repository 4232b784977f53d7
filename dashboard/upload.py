"""The uploads of the Data settings: a CSV table (with its label column) or a zip of pictures, the one in use, and
what is wrong with it.

An upload lives in the session (and the visitor's workspace), never only in the uploader, so a page switch or a
reload keeps it; a refused upload leaves none in use and says why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from dae_core import DataConfig, RunConfig
from dae_core.data import csv_columns
from dae_core.errors import DAEError

from . import server, workspace
from .data import NEEDS_PICTURES, NEEDS_TABLE, dataset_for
from .fields import NO_LABEL, Field, draw_field
from .link import set_config
from .session import lab
from .state import UploadedFile
from .widgets import memo, plain


@dataclass(frozen=True)
class _Kind:
    """One kind of upload: the name its state goes by in ``Lab`` (``csv``, ``csv_error``, ``csv_uploads``), what it
    is called, and how its bytes are checked before they are used."""

    attribute: str  # "csv" or "pictures"
    store_kind: str  # the workspace store's name for it (``store.UPLOADS``)
    noun: str  # "table" or "zip of pictures"
    check: Callable[[bytes], object]  # raises a DAEError that says what is wrong

    def key(self, uploads: int) -> str:
        """The uploader's widget key after ``uploads`` files: a new, empty uploader after each."""
        return f"w_{self.attribute}_file" + (f"_{uploads}" if uploads else "")


def _check_pictures(data: bytes) -> None:
    """Every picture read once at its size and colour (the row and column limits apply before any is decoded), so a
    bad file is named now, not when a run starts."""
    from dae_core.images import read_images

    config = lab().config.data
    read_images(data, config.image_size, config.color, limits=server.LIMITS)


TABLE = _Kind("csv", "table", "table", lambda data: csv_columns(data, limits=server.LIMITS))
PICTURES = _Kind("pictures", "pictures", "zip of pictures", _check_pictures)


def _upload_changed(key: str, kind: _Kind) -> None:
    """The uploader's file becomes the upload in use; a refused one leaves none, and says why until the next.

    Then the uploader is replaced by an empty one (a new key): Streamlit copies a file uploader's value on every run
    that draws it (9.5 MB and 80 ms for a 9.5 MB table, each poll of the live chart), so the file lives only in the
    upload in use, and a refused file is let go at once."""
    state = lab()
    upload = st.session_state.get(key)
    state.link_messages, error, kept = [], None, None  # removed with the uploader's ✕, or refused
    if upload is not None:
        data = upload.getvalue()  # the uploader's own bytes, shared (getbuffer() would copy them all)
        try:
            server.LIMITS.check_upload(len(data), kind.noun)
            kind.check(data)  # counted and limited before any parse or decode
            kept = UploadedFile.from_upload(upload.name, data)
        except DAEError as exc:
            error = f"The {kind.noun} {upload.name} was not used: {exc}"
        setattr(state, f"{kind.attribute}_uploads", getattr(state, f"{kind.attribute}_uploads") + 1)
    setattr(state, kind.attribute, kept)
    setattr(state, f"{kind.attribute}_error", error)
    workspace.keep_table(state, kind.store_kind)


def csv_uploader_key(uploads: int) -> str:
    """The CSV uploader's widget key after ``uploads`` files (``w_csv_file``, ``w_csv_file_1``, ...)."""
    return TABLE.key(uploads)


def _remove(kind: _Kind) -> None:
    state = lab()
    setattr(state, kind.attribute, None)
    setattr(state, f"{kind.attribute}_error", None)
    workspace.keep_table(state, kind.store_kind)


def _uploader_ui(kind: _Kind, label: str, file_type: str, help_text: str, missing: str, needs: str):
    """The uploader of ``kind`` and the upload in use with its Remove button; None, with the reason in
    ``lab().data_problem`` and on the page, when none can be used."""
    state = lab()
    key = kind.key(getattr(state, f"{kind.attribute}_uploads"))
    st.file_uploader(
        label,
        type=[file_type],
        key=key,
        on_change=_upload_changed,
        args=(key, kind),
        help=f"{help_text} Up to {server.LIMITS.upload_mb} MB.",
        max_upload_size=server.LIMITS.upload_mb,
    )
    error, upload = getattr(state, f"{kind.attribute}_error"), getattr(state, kind.attribute)
    if error:
        state.data_problem = error
        st.error(plain(error))
        return None
    if upload is None:
        state.data_problem = needs
        st.info(missing)
        return None
    if st.session_state.get(key) is None:  # the uploader empties once it has handed its file over
        st.caption(f"In use: **{plain(upload.name)}**")
        st.button(f"Remove the {kind.noun}", key=f"btn_remove_{kind.store_kind}", on_click=_remove, args=(kind,),
                  icon=":material/close:", type="tertiary")  # fmt: skip
    return upload


def csv_ui(config: RunConfig) -> None:
    """The CSV uploader, the table in use and its label column; notes in ``lab().data_problem`` why it cannot
    train, if it cannot."""
    state = lab()
    table = _uploader_ui(TABLE, "CSV table", "csv", "Numeric columns, one row per sample.",
                         "Upload a CSV table with numeric columns to train on it.", NEEDS_TABLE)  # fmt: skip
    if table is None:
        return
    try:
        # Counted and limited once per table (one kept from before the limits changed may be past them), not per run
        columns = memo(("csv_columns", table.digest), lambda: csv_columns(table.data, limits=server.LIMITS))
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
    dataset = _checked_dataset(table, DataConfig(dataset="csv", label_column=config.data.label_column), config)
    if dataset is not None:
        rows = len(dataset.X_train) + len(dataset.X_test)
        st.caption(f"{plain(table.name)}: {rows} rows × {dataset.n_features} features")


def pictures_ui(config: RunConfig) -> None:
    """The pictures uploader and the zip in use, read at the chosen size and colour; notes in
    ``lab().data_problem`` why it cannot train, if it cannot."""
    pictures = _uploader_ui(
        PICTURES,
        "Pictures (zip)",
        "zip",
        "PNG or JPEG files; put each class in its own folder inside the zip to label them (Latent space colours the "
        "codes by folder). Each picture is centre-cropped square and resized to the picture size.",
        "Upload a zip of PNG or JPEG pictures to train on them.",
        NEEDS_PICTURES,
    )
    if pictures is None:
        return
    data = dataclasses.replace(config.data, images_path="", images_digest="")
    dataset = _checked_dataset(pictures, data, config)
    if dataset is not None:
        rows = len(dataset.X_train) + len(dataset.X_test)
        height, width, channels = dataset.image_shape
        classes = dataset.class_names
        labelled = f", {len(classes)} folders ({plain(', '.join(classes[:6]))}{', …' if len(classes) > 6 else ''})"
        colour = "colour" if channels == 3 else "grayscale"
        st.caption(
            f"{plain(pictures.name)}: {rows} pictures of {height}×{width} {colour}" + (labelled if classes else "")
        )


def _checked_dataset(upload: UploadedFile, data: DataConfig, config: RunConfig):
    """The dataset of ``upload`` read as ``data``, checked against the server's limits for ``config``'s model; None,
    saying why on the page and in ``lab().data_problem``, when it cannot train."""
    try:
        dataset = dataset_for(data)
        server.LIMITS.check_config(config, dataset.n_features, len(dataset.X_train) + len(dataset.X_test))
    except DAEError as exc:
        lab().data_problem = f"{upload.name}: {exc}"
        st.error(plain(lab().data_problem))
        return None
    return dataset
