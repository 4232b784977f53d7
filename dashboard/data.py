"""Datasets for the dashboard: built once per server and shared, with a CSV table or a zip of pictures taken from the
session's upload.

The dashboard never reads a CSV or pictures path from the settings: a link must not make the server open its files.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import streamlit as st

from dae_core import DataConfig
from dae_core.errors import DataError

from .session import lab

if TYPE_CHECKING:  # torch and scikit-learn load in the warm-up thread, after the first page is out
    from dae_core.data import Dataset

NEEDS_TABLE = "The 'csv' dataset needs a table: upload a CSV file in the Data settings on the Train page."
NEEDS_PICTURES = (
    "The 'images' dataset needs pictures: upload a zip of PNG or JPEG files in the Data settings on the Train page "
    "(one sub-folder per class labels them)."
)

NEEDS_UPLOAD = {"csv": NEEDS_TABLE, "images": NEEDS_PICTURES}  # the datasets that train on an upload


@st.cache_resource(max_entries=16, show_spinner="Loading the dataset…")
def _cached_dataset(data: DataConfig, upload_digest: str, _upload: bytes | None) -> Dataset:
    from dae_core.data import load_dataset

    return load_dataset(data, _upload)


def dataset_for(data: DataConfig) -> Dataset:
    """The split, scaled dataset for ``data``, shared by every session; a CSV table or pictures come from this
    session's upload."""
    upload = lab().uploaded(data.dataset)
    if upload is None and data.dataset in NEEDS_UPLOAD:
        raise DataError(NEEDS_UPLOAD[data.dataset])
    # which upload it is: the digest below says
    data = dataclasses.replace(data, csv_path="", csv_digest="", images_path="", images_digest="")
    return _cached_dataset(data, upload.digest if upload else "", upload.data if upload else None)
