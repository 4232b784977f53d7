"""Datasets for the dashboard: built once per server and shared, with a CSV table taken from the session's upload.

The dashboard never reads a CSV path from the settings: a link must not make the server open its files.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import streamlit as st

from dae_core import DataConfig
from dae_core.errors import DataError

from .session import lab
from .warmup import warm_up

if TYPE_CHECKING:  # torch and scikit-learn load in the warm-up thread, after the first page is out
    from dae_core.data import Dataset

NEEDS_TABLE = "The 'csv' dataset needs a table: upload a CSV file in the Data settings on the Train page."
NEEDS_PICTURES = (
    "The dashboard does not read pictures yet: train on your own pictures from the command line, "
    "python -m dae_core train --images PICTURES.zip --architecture conv, and open the saved model with --save."
)


@st.cache_resource(max_entries=16, show_spinner="Loading the dataset…")
def _cached_dataset(data: DataConfig, csv_digest: str, _csv_data: bytes | None) -> Dataset:
    from dae_core.data import load_dataset

    return load_dataset(data, _csv_data)


def dataset_for(data: DataConfig) -> Dataset:
    """The split, scaled dataset for ``data``, shared by every session; a CSV comes from this session's upload."""
    table = lab().csv if data.dataset == "csv" else None
    if data.dataset == "csv" and table is None:
        raise DataError(NEEDS_TABLE)
    if data.dataset == "images":
        raise DataError(NEEDS_PICTURES)
    warm_up().join()  # it is paying the same one-off import costs; on 2 cores, wait rather than race it
    data = dataclasses.replace(data, csv_path="", csv_digest="")  # which table it is: the digest below says
    return _cached_dataset(data, table.digest if table else "", table.data if table else None)
