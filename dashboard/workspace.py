"""The visitor's workspace: their runs and models kept on the server (``dae_core.serving.store``), found again by
the token their own address carries (``?ws=…``), so a reload, a second tab or a server restart loses nothing.

The share link never carries the token: it gives the settings, not the runs.
"""

from __future__ import annotations

import hashlib

from dae_core import share
from dae_core.errors import DAEError
from dae_core.records import RunRecord
from dae_core.serving.store import is_token

from . import server
from .server import store
from .state import CsvTable, Lab, UploadedModel

KEY = share.WORKSPACE_KEY  # the address bar's parameter


def open_workspace(state: Lab, token: str | None) -> list[str]:
    """Give the new session ``state`` its workspace: the one ``token`` names, with its runs and the last run's
    model restored, or a new one. Returns what to tell the visitor."""
    if token is not None and is_token(token) and store().exists(token):
        state.workspace = token
        restore(state)
        return []
    state.workspace = store().new_workspace()
    if token is None:
        return []
    return [
        "The runs saved under this address are gone: they were forgotten, or not opened for "
        f"{server.LIMITS.retention_days:g} days. New runs are kept from now on."
    ]


def restore(state: Lab) -> None:
    """Put the workspace's runs in Experiments, its last model on the analysis pages and its table in use."""
    table = store().table(state.workspace)
    if table is not None:
        state.csv = CsvTable.from_upload(*table)
    saved = store().runs(state.workspace)
    state.runs[:] = saved
    state.serial = max((run.run for run in saved), default=0)
    for record in reversed(saved):
        model = store().model(state.workspace, record.run)
        if model is not None:
            _show(state, record, model)
            return


def _show(state: Lab, record: RunRecord, model: bytes) -> None:
    from dae_core import model_file

    try:
        trained = model_file.load(model)
    except DAEError:  # written by an older version: the record still shows in Experiments
        return
    digest = hashlib.sha256(model).hexdigest()
    state.upload = UploadedModel(f"run {record.name}", digest, trained, model_file.describe(trained), saved=True)
    state.show = "upload"


def last_saved_run(token: str) -> int:
    """The highest run number the workspace holds, so that two tabs on one address never reuse a number."""
    return store().last_run(token) if token else 0


def keep(token: str, record: RunRecord, trained) -> None:
    """Save a run that ended, with its model; called from the job's thread (no session there)."""
    from dae_core import model_file

    store().add_run(token, record, model_file.to_bytes(trained) if trained is not None else None)


def delete_runs(state: Lab, numbers: list[int]) -> None:
    """Delete the runs ``numbers`` from Experiments and from the workspace."""
    state.runs[:] = [run for run in state.runs if run.run not in numbers]
    store().delete_runs(state.workspace, numbers)


def forget(state: Lab) -> None:
    """Delete the workspace and start an empty one: Experiments empties, a saved model on show goes."""
    store().forget(state.workspace)
    state.runs.clear()
    if state.upload is not None and state.upload.saved:
        state.upload, state.show = None, "run"
    state.workspace = store().new_workspace()


def keep_table(state: Lab) -> None:
    """Keep the table in use (or its removal) in the workspace, for the next reload."""
    if state.csv is None:
        store().delete_table(state.workspace)
    else:
        store().put_table(state.workspace, state.csv.name, state.csv.data)
