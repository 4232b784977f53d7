"""dae_core: the engine of the Denoising Autoencoder Lab (data, noise, model, training, metrics).

It never imports streamlit, so everything the dashboard shows can be computed from a notebook,
a test or the command line (``python -m dae_core``).
"""

import importlib

from .config import DataConfig, ModelConfig, NoiseConfig, RunConfig, TrainConfig
from .errors import ConfigError, DAEError, DataError, ModelFileError
from .records import EpochRecord

# Names whose modules import torch, scikit-learn or pandas (1-2 s): imported on first use, so that a page or a
# tool that only needs the config does not pay for them.
_LAZY = {
    "Dataset": "data",
    "Scaler": "data",
    "load_dataset": "data",
    "DenoisingAutoencoder": "model",
    "TrainedModel": "training",
    "Trainer": "training",
    "train": "training",
    "DAETransformer": "estimator",
}

__all__ = [
    "ConfigError",
    "DAEError",
    "DAETransformer",
    "DataConfig",
    "DataError",
    "Dataset",
    "DenoisingAutoencoder",
    "EpochRecord",
    "ModelConfig",
    "ModelFileError",
    "NoiseConfig",
    "RunConfig",
    "Scaler",
    "TrainConfig",
    "TrainedModel",
    "Trainer",
    "load_dataset",
    "train",
]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value
