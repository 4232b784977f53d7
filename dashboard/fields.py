"""One setting's widget: how it is drawn from the session's config, and how a change goes back into it.

Every widget is drawn from ``lab().config`` on every run, and its callback takes a change into the config (or keeps
what was typed, with the reason it cannot be used). A widget Streamlit forgot therefore comes back with the user's
value, not its minimum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from dae_core import RunConfig
from dae_core.config import (
    BOUNDS,
    FIELD_LABELS,
    FIELD_SECTION,
    IMAGE_DATASETS,
    in_words,
    noise_level_range,
    noise_level_within,
)
from dae_core.errors import ConfigError, DAEError

from . import runs, server
from .data import dataset_for
from .link import set_config
from .session import lab
from .state import FormError

NO_LABEL = "(none)"
BUILT_IN_FEATURES = {
    "digits": 64,
    "moons": 2,
    "circles": 2,
    "spiral": 2,
    "mnist": 784,
    "fashion-mnist": 784,
}  # columns of the data that has fixed ones
SIZE_THE_MODEL = (
    "dataset",
    "n_features",
    "patch_size",
    "image_size",
    "color",
    "hidden_dim",
    "hidden_layers",
    "architecture",
    "conv_channels",
    "code_channels",
)  # a change may take it past max_parameters


@dataclass(frozen=True)
class Field:
    """One setting's widget: a ``RunConfig`` field, how it is drawn, and when it is shown."""

    name: str
    kind: str  # "select", "int", "float", "slider", "toggle" or "text"
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


def _value(config: RunConfig, name: str) -> Any:
    """What the widget of field ``name`` shows for ``config``."""
    if name in ("hidden_layers", "conv_channels"):
        return ",".join(str(width) for width in getattr(config.model, name))
    if name == "label_column":
        return config.data.label_column or NO_LABEL
    value = config.to_dict()[FIELD_SECTION[name]][name]
    return float(value) if name in ("lr", "noise_level") else value


def _n_features(config: RunConfig) -> int | None:
    """The number of columns the model of ``config`` takes in: fixed for built-in data, the table's for a CSV in use;
    None when not known yet (no table, or one that cannot be read: the Data settings say why)."""
    data = config.data
    if data.dataset == "synthetic":
        return data.n_features
    if data.dataset == "photos":
        return data.patch_size**2
    if data.dataset == "images":
        return data.image_size**2 * (3 if data.color else 1)
    if data.dataset != "csv":
        return BUILT_IN_FEATURES[data.dataset]
    if lab().csv is None:
        return None
    try:  # the table's dataset, cached: the Data settings load it on every run anyway
        return dataset_for(data).n_features
    except DAEError:
        return None


def _check_model_size(config: RunConfig) -> None:
    """Refuse ``config`` if its model has more parameters than a run may have here, for the data it trains on."""
    n_features = _n_features(config)
    if n_features is not None:
        server.LIMITS.check_model(config.model, n_features)  # the message names DAE_MAX_PARAMETERS


def _changed(name: str) -> None:
    """A widget's callback: take its new value into the config, or keep what was typed and say what is wrong."""
    state = lab()
    text = st.session_state[f"w_{name}"]
    old = state.config
    try:
        if isinstance(text, int) and not isinstance(text, bool) and (refusal := server.LIMITS.refusal(name, text)):
            raise ConfigError(refusal)  # before the config's own range: a value past a limit may be past both
        if name in ("hidden_layers", "conv_channels"):
            new = RunConfig.from_flat({name: text}, base=old)
        elif name == "label_column":
            new = old.replace(label_column="" if text == NO_LABEL else text)
        elif name == "noise":  # a Gaussian σ may be past a fraction's range: bring it within
            new = old.replace(noise=text, noise_level=noise_level_within(text, old.noise.noise_level))
        else:
            new = old.replace(**{name: text})
        if new.model.architecture == "conv" and new.data.dataset not in IMAGE_DATASETS:
            new = new.replace(architecture="dense")  # a table has no pixels to convolve
        if name in SIZE_THE_MODEL:
            _check_model_size(new)
    except DAEError as exc:
        state.form_error = FormError(name, text, in_words(str(exc)))
        return
    runs.send_live_changes(old, new)
    set_config(new)


def draw_field(where, item: Field, config: RunConfig) -> None:
    """Draw ``item``'s widget in ``where`` from ``config`` (or from a value typed there that is not valid yet)."""
    error = lab().form_error
    st.session_state[item.key] = error.text if error and error.name == item.name else _value(config, item.name)
    common = {"key": item.key, "help": item.help, "on_change": _changed, "args": (item.name,)}
    if item.kind == "select":
        where.selectbox(item.label, item.options, format_func=lambda o: item.labels.get(o, o), **common)
    elif item.kind == "int":
        # The config's own range (a link's valid value always draws); a field with a limit has no top, so a value past
        # it reaches ``_changed`` and is refused there, naming the limit, rather than by the browser with no word.
        low, high = BOUNDS[item.name]
        high = None if server.LIMITS.ceiling(item.name) is not None else int(high)
        where.number_input(item.label, int(low), high, step=int(item.step or 1), **common)
    elif item.kind == "float":
        low, high = BOUNDS[item.name]
        where.number_input(item.label, float(low), float(high), step=item.step, format="%g", **common)
    elif item.kind == "toggle":
        where.toggle(item.label, **common)
    elif item.kind == "slider":
        low, high = noise_level_range(config.noise.noise)
        where.slider(item.label, low, high, step=item.step, **common)
    else:
        where.text_input(item.label, placeholder="none, e.g. 128,64", **common)
