"""The settings form, drawn from a table of fields and from the session's config, and the link that mirrors it.

Every widget is drawn from ``lab().config`` on every run, and a change goes back into it through the widget's
callback. A widget Streamlit forgot (another page, a dataset that hides it) therefore comes back with the
user's value, not its minimum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from dae_core import DataConfig, RunConfig, lessons, share
from dae_core.config import (
    ACTIVATIONS,
    BOUNDS,
    DATASETS,
    FIELD_LABELS,
    FIELD_SECTION,
    LOSSES,
    NOISE_LABELS,
    NOISE_TYPES,
    OPTIMIZERS,
    in_words,
    noise_level_range,
    noise_level_within,
)
from dae_core.errors import ConfigError, DAEError

from . import runs, workspace
from .data import NEEDS_TABLE, csv_columns, dataset_for, table_from_upload
from .state import FormError, lab
from .widgets import plain
from .workspace import KEY as WORKSPACE

DATASET_LABELS = {
    "synthetic": "synthetic (tabular)",
    "digits": "digits (8×8 images)",
    "moons": "moons (2-D)",
    "circles": "circles (2-D)",
    "spiral": "spiral (2-D)",
    "csv": "CSV upload",
}
NO_LABEL = "(none)"


@dataclass(frozen=True)
class Field:
    """One setting's widget: a ``RunConfig`` field, how it is drawn, and when it is shown."""

    name: str
    kind: str  # "select", "int", "float", "slider" or "text"
    help: str
    options: tuple = ()  # select: the choices
    labels: dict = field(default_factory=dict)  # select: how each choice reads
    step: float | None = None
    shown: Callable[[RunConfig], bool] = lambda config: True

    @property
    def key(self) -> str:
        return f"w_{self.name}"

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.name]


def _generated(config: RunConfig) -> bool:
    return config.data.dataset not in ("digits", "csv")


FIELDS = {  # section -> rows of one or two fields; a narrow screen stacks each row in reading order
    "Data": [
        [Field("dataset", "select", "What the autoencoder learns.", DATASETS, DATASET_LABELS)],
        [
            Field("n_samples", "int", "Rows generated; 20% are held out for testing.", step=50,
                  shown=_generated),
            Field("n_features", "int", "Columns of the synthetic table (the seed used 20).",
                  shown=lambda config: config.data.dataset == "synthetic"),
        ],
    ],
    "Model": [
        [
            Field("hidden_dim", "int", "hidden_dim: width of the bottleneck code, 1 to 4096."),
            Field("activation", "select", "Non-linearity after every hidden layer.", ACTIVATIONS),
        ],
        [
            Field("hidden_layers", "text", "Encoder widths between the input and the code, "
                  "comma-separated; the decoder mirrors them. Empty for none; up to 8 layers of 1 to 4096 units."),
        ],
    ],
    "Noise": [
        [
            Field("noise", "select", "Gaussian adds N(0, σ²); masking zeroes a fraction of entries; "
                  "salt and pepper sets a fraction to each column's low or high end.", NOISE_TYPES, NOISE_LABELS),
            Field("noise_level", "slider", "σ in scaled units for Gaussian (0 to 3), otherwise the "
                  "fraction of entries hit (0 to 1). Can be changed while training.", step=0.05),
        ],
    ],
    "Training": [
        [
            Field("loss", "select", "Reconstruction loss against the clean input.", LOSSES),
            Field("optimizer", "select", "sgd uses momentum 0.9.", OPTIMIZERS),
        ],
        [
            Field("lr", "float", "Step size, above 0 and up to 1e7. Can be changed while training.",
                  step=1e-4),
            Field("batch_size", "int", "Rows per step; 0 trains on the full batch."),
        ],
        [
            Field("epochs", "int", "Passes over the training rows."),
            Field("seed", "int", "Model initialisation, batch order and noise draws."),
        ],
    ],
}  # fmt: skip


# --- the config and the link ---------------------------------------------------------------------------
def set_config(config: RunConfig) -> None:
    """Make ``config`` the session's settings; the widgets and the address bar follow on the next draw."""
    state = lab()
    if config != state.config:
        state.link_messages = []
    state.config, state.form_error = config, None
    sync_link()


def link_query() -> dict[str, str]:
    """The current settings as a link's parameters: the lesson and hidden settings first, then what differs from
    the lesson's preset (or from the defaults), then the page state (a chosen test noise, a t-SNE projection)."""
    state = lab()
    teaching, chosen = state.teaching, state.test_noise
    preset = teaching.lesson.config if teaching.lesson else None
    own_noise = chosen is not None and ((chosen.noise, chosen.noise_level) != chosen.follows or chosen.seed != 0)
    views = share.PageViews(
        (chosen.noise, chosen.noise_level, chosen.seed) if own_noise else None, state.views.get("latent_method")
    )
    return teaching.to_query() | share.to_query(state.config, preset) | views.to_query()


def sync_link() -> None:
    """Mirror the current settings in the address bar, so the URL is a shareable link; the address bar also
    holds the visitor's workspace token (which the share link, :func:`share_url`, leaves out)."""
    workspace = lab().workspace
    wanted = link_query() | ({WORKSPACE: workspace} if workspace else {})
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def share_url() -> str:
    """The full link to the current settings (just the query string where the address is unknown)."""
    query = urlencode(link_query(), safe=",")  # a CSV column's name may hold any character
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{query}" if query else base or "(the defaults: no parameters)"


def _value(config: RunConfig, name: str) -> Any:
    """What the widget of field ``name`` shows for ``config``."""
    if name == "hidden_layers":
        return ",".join(str(width) for width in config.model.hidden_layers)
    if name == "label_column":
        return config.data.label_column or NO_LABEL
    value = config.to_dict()[FIELD_SECTION[name]][name]
    return float(value) if name in ("lr", "noise_level") else value


def _changed(name: str) -> None:
    """A widget's callback: take its new value into the config, or keep what was typed and say what is wrong."""
    state = lab()
    text = st.session_state[f"w_{name}"]
    old = state.config
    try:
        if name == "hidden_layers":
            new = RunConfig.from_flat({name: text}, base=old)
        elif name == "label_column":
            new = old.replace(label_column="" if text == NO_LABEL else text)
        elif name == "noise":  # a Gaussian σ may be past a fraction's range: bring it within
            new = old.replace(noise=text, noise_level=noise_level_within(text, old.noise.noise_level))
        else:
            new = old.replace(**{name: text})
        if refusal := runs.LIMITS.refusal(name, text) if isinstance(text, int) else None:
            raise ConfigError(refusal)
    except DAEError as exc:
        state.form_error = FormError(name, text, in_words(str(exc)))
        return
    runs.send_live_changes(old, new)
    set_config(new)


def _draw(where, item: Field, config: RunConfig) -> None:
    error = lab().form_error
    st.session_state[item.key] = error.text if error and error.name == item.name else _value(config, item.name)
    common = {"key": item.key, "help": item.help, "on_change": _changed, "args": (item.name,)}
    if item.kind == "select":
        where.selectbox(item.label, item.options, format_func=lambda o: item.labels.get(o, o), **common)
    elif item.kind == "int":
        low, high = BOUNDS[item.name]  # the config's own range (a link's valid value always draws), within limits
        high = min(high, runs.LIMITS.ceiling(item.name) or high)
        where.number_input(item.label, int(low), int(high), step=int(item.step or 1), **common)
    elif item.kind == "float":
        low, high = BOUNDS[item.name]
        where.number_input(item.label, float(low), float(high), step=item.step, format="%g", **common)
    elif item.kind == "slider":
        low, high = noise_level_range(config.noise.noise)
        where.slider(item.label, low, high, step=item.step, **common)
    else:
        where.text_input(item.label, placeholder="none, e.g. 128,64", **common)


# --- the form --------------------------------------------------------------------------------------------
def settings_ui() -> RunConfig:
    """The settings widgets, drawn from the session's config; returns the config (unchanged while a typed value
    is invalid, which is then shown with its reason)."""
    state = lab()
    config, hidden = state.config, set(state.teaching.hide)
    state.data_problem = None  # the form's Data section says again, below, if the data cannot train
    for section, rows in FIELDS.items():
        if all(item.name in hidden for row in rows for item in row):
            continue  # a lesson or a link hides the whole section
        st.subheader(section)
        for row in rows:
            shown = [item for item in row if item.shown(config) and item.name not in hidden]
            if not shown:
                continue
            if len(row) == 1:
                places = [st]
            else:
                places = st.columns(2)
            for place, item in zip(places, shown):
                _draw(place, item, config)
        if section == "Data" and config.data.dataset == "csv" and "dataset" not in hidden:
            _csv_ui(config)
        if section == "Data" and "dataset" not in hidden:
            _preset_ui(config)
    preset = state.teaching.lesson.config if state.teaching.lesson else None
    st.button(
        "The lesson's settings" if preset else "Default settings",
        key="btn_defaults",
        on_click=set_config,
        args=(preset or RunConfig(),),
        type="tertiary",
        icon=":material/restart_alt:",
        help="Put every setting back to the lesson's preset." if preset else "Put every setting back to its default.",
    )
    if state.form_error:
        st.error(f"{plain(state.form_error.message)}\n\nThe settings were not changed; fix the value above.")
    return config


def _preset_ui(config: RunConfig) -> None:
    """Offer the chosen dataset's preset, settings measured to show the effect, unless they are already set."""
    preset = lessons.preset_for(config)
    if preset is None or preset == config:
        return
    changed = share.to_query(preset, config)
    label = DATASET_LABELS.get(config.data.dataset, config.data.dataset)
    st.button(
        f"Use the preset for {label}",
        key="btn_preset",
        on_click=set_config,
        args=(preset,),
        type="secondary",
        icon=":material/auto_fix_high:",
        help="Settings that show what a DAE does on this data: " + ", ".join(f"{k} {v}" for k, v in changed.items()),
    )


def _csv_upload_changed() -> None:
    """The uploader's file becomes the table in use; a refused one leaves none, and says why until the next."""
    state = lab()
    upload = st.session_state.get("w_csv_file")
    state.link_messages, state.csv_error, state.csv = [], None, None  # removed with the uploader's ✕, or refused
    if upload is not None:
        data = upload.getvalue()
        try:
            runs.LIMITS.check_upload(len(data), "table")
            csv_columns(data)
            state.csv = table_from_upload(upload.name, data)
        except DAEError as exc:
            state.csv_error = f"The table {upload.name} was not used: {exc}"
    workspace.keep_table(state)


def _remove_table() -> None:
    state = lab()
    state.csv, state.csv_error = None, None
    workspace.keep_table(state)


def _csv_ui(config: RunConfig) -> None:
    state = lab()
    st.file_uploader(
        "CSV table",
        type=["csv"],
        key="w_csv_file",
        on_change=_csv_upload_changed,
        help=f"Numeric columns, one row per sample, up to {runs.LIMITS.upload_mb} MB.",
    )
    if state.csv_error:
        state.data_problem = state.csv_error
        st.error(plain(state.csv_error))
        return
    if state.csv is None:
        state.data_problem = NEEDS_TABLE
        st.info("Upload a CSV table with numeric columns to train on it.")
        return
    if st.session_state.get("w_csv_file") is None:  # uploaded on an earlier visit: the uploader is empty now
        st.caption(f"In use: **{plain(state.csv.name)}**, uploaded earlier in this session.")
        st.button("Remove the table", key="btn_remove_table", on_click=_remove_table, icon=":material/close:",
                  type="tertiary")  # fmt: skip
    try:
        columns = csv_columns(state.csv.data)
    except DAEError as exc:
        state.data_problem = str(exc)
        st.error(plain(str(exc)))
        return
    label = Field("label_column", "select", "Optional: a column of class labels, kept out of the "
                  "features and used to colour the codes.", (NO_LABEL, *columns))  # fmt: skip
    if config.data.label_column not in columns and config.data.label_column:
        set_config(config.replace(label_column=""))  # a link's or an earlier table's label: not in this one
        config = state.config
    _draw(st, label, config)
    try:
        dataset = dataset_for(DataConfig(dataset="csv", label_column=config.data.label_column))
        runs.LIMITS.check_config(config, dataset.n_features, len(dataset.X_train) + len(dataset.X_test))
    except DAEError as exc:
        state.data_problem = f"{state.csv.name}: {exc}"
        st.error(plain(state.data_problem))
        return
    rows = len(dataset.X_train) + len(dataset.X_test)
    st.caption(f"{plain(state.csv.name)}: {rows} rows × {dataset.n_features} features")
