"""dae_core: the engine of the Denoising Autoencoder Lab (data, noise, model, training, metrics).

It never imports streamlit, so everything the dashboard shows can be computed from a notebook,
a test or the command line (``python -m dae_core``).
"""

from .config import DataConfig, ModelConfig, NoiseConfig, RunConfig, TrainConfig
from .data import Dataset, Scaler, load_dataset
from .errors import ConfigError, DAEError, DataError, ModelFileError
from .model import DenoisingAutoencoder
from .training import EpochRecord, TrainedModel, Trainer, train

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
    # DAETransformer pulls in scikit-learn (about 2 s); import it only when asked for.
    if name == "DAETransformer":
        from .estimator import DAETransformer

        return DAETransformer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
