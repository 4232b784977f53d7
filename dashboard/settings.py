"""The settings form: its sections and fields in one table, drawn from the session's config, and the presets.

How one field is drawn and takes a change is in ``fields``, the CSV and pictures uploads in ``upload``, the link in
``link``.
"""

from __future__ import annotations

import sys

import streamlit as st

from dae_core import RunConfig, lessons, share
from dae_core.config import (
    ACTIVATIONS,
    ARCHITECTURES,
    DATASETS,
    DEVICES,
    IMAGE_DATASETS,
    LOSSES,
    NOISE_LABELS,
    NOISE_TYPES,
    OPTIMIZERS,
)

from .fields import Field, draw_field
from .link import set_config
from .session import lab
from .upload import csv_ui, pictures_ui
from .widgets import plain

DATASET_LABELS = {
    "synthetic": "synthetic (tabular)",
    "digits": "digits (8×8 images)",
    "moons": "moons (2-D)",
    "circles": "circles (2-D)",
    "spiral": "spiral (2-D)",
    "photos": "Photo patches (grayscale)",
    "mnist": "MNIST (28×28, from the data folder)",
    "fashion-mnist": "Fashion-MNIST (28×28, from the data folder)",
    "images": "Your pictures (zip upload)",
    "csv": "CSV upload",
}


ARCHITECTURE_LABELS = {"dense": "dense", "conv": "convolutional"}
DEVICE_LABELS = {"auto": "auto (the GPU, if there is one)", "cpu": "CPU", "cuda": "GPU (CUDA)"}


def _conv(config: RunConfig) -> bool:
    return config.model.architecture == "conv" and config.data.dataset in IMAGE_DATASETS


def _dense(config: RunConfig) -> bool:
    return not _conv(config)


def _pictures(config: RunConfig) -> bool:
    return config.data.dataset == "images"


def _generated(config: RunConfig) -> bool:
    return config.data.dataset not in ("digits", "csv", "images")


FIELDS = {  # section -> rows of one or two fields; a narrow screen stacks each row in reading order
    "Data": [
        [Field("dataset", "select", "What the autoencoder learns.", DATASETS, DATASET_LABELS)],
        [
            Field("n_samples", "int", "Rows generated (patches, for photos); 20% are held out for testing.", step=50,
                  shown=_generated),
            Field("n_features", "int", "Columns of the synthetic table (the seed used 20).",
                  shown=lambda config: config.data.dataset == "synthetic"),
            Field("patch_size", "int", "Side of the square patches cut from the two photographs, 4 to 32 pixels.",
                  shown=lambda config: config.data.dataset == "photos"),
        ],
        [
            Field("image_size", "int", "Side each picture is centre-cropped square and resized to, 4 to 64 pixels.",
                  shown=_pictures),
            Field("color", "toggle", "Keep the three colour channels (three times the inputs) instead of grayscale.",
                  shown=_pictures),
        ],
    ],
    "Model": [
        [
            Field("architecture", "select", "Dense layers see each pixel as its own input; a convolutional model "
                  "slides small 3×3 filters over the image.", ARCHITECTURES, ARCHITECTURE_LABELS,
                  shown=lambda config: config.data.dataset in IMAGE_DATASETS),
            Field("activation", "select", "Non-linearity after every hidden layer.", ACTIVATIONS),
        ],
        [
            Field("hidden_dim", "int", "hidden_dim: width of the bottleneck code, 1 to 4096.", shown=_dense),
            Field("hidden_layers", "text", "Encoder widths between the input and the code, "
                  "comma-separated; the decoder mirrors them. Empty for none; up to 8 layers of 1 to 4096 units.",
                  shown=_dense),
        ],
        [
            Field("conv_channels", "text", "Channels of each 3×3 stride-2 stage, comma-separated; each stage halves "
                  "the height and width. 1 to 4 stages of 1 to 256 channels.", shown=_conv),
            Field("code_channels", "int", "Channels of the code: its size is channels × height × width.",
                  shown=_conv),
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
        [
            Field("device", "select", "Where the run trains; auto picks the GPU. Small models often train faster "
                  "on the CPU: a GPU pays off from wide layers and large batches.", DEVICES, DEVICE_LABELS,
                  shown=lambda config: gpu_here()),
        ],
    ],
}  # fmt: skip


def gpu_here() -> bool:
    """Whether this server has a CUDA GPU, once the warm-up has loaded PyTorch (the form does not wait for it)."""
    torch = sys.modules.get("torch")
    return torch is not None and torch.cuda.is_available()


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
                draw_field(place, item, config)
        if section == "Data" and config.data.dataset == "csv" and "dataset" not in hidden:
            csv_ui(config)
        if section == "Data" and _pictures(config) and "dataset" not in hidden:
            pictures_ui(config)
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
