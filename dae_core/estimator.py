"""``DAETransformer``: the denoising autoencoder as a scikit-learn transformer (fit, transform to codes, invert).

It drives the same engine as the dashboard and the CLI: its parameters become a ``RunConfig``, the rows
are standardized by the engine's ``Scaler`` and trained by the engine's ``Trainer``. ``transform`` returns
the codes, so it can sit in a ``Pipeline`` before a classifier. The model is the engine's dense autoencoder or,
with ``architecture="conv"`` and the rows' ``image_shape``, its convolutional one; rows stay flat either way.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .config import RunConfig
from .data import Dataset, Scaler
from .metrics import mse
from .model import ImageShape
from .training import Trainer

MAX_SEED = 2**31 - 1  # TrainConfig's seed range
FLOAT_DTYPES = [np.float64, np.float32]  # float32 input stays float32; anything else becomes float64


class DAETransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Denoising autoencoder (Vincent et al. 2008) that maps rows to codes: ``hidden_dim`` of them, or a conv code.

    ``fit`` standardizes the columns (mean 0, standard deviation 1, fitted on the rows it is given) and
    trains the network to rebuild clean rows from corrupted ones. Because the inputs are standardized,
    ``output_activation="auto"`` means identity (a sigmoid could not reach values outside [0, 1]).

    All rows passed to ``fit`` are used for training, as scikit-learn estimators do: choose parameters
    by cross-validation from outside. ``history_`` therefore reports in-sample numbers; its ``test_mse``
    is the reconstruction error of the fitted rows from a fixed noisy copy of them.

    Parameters mirror the engine's ``ModelConfig``, ``NoiseConfig`` and ``TrainConfig`` fields; an invalid
    value raises ``ValueError`` (``ConfigError``) at ``fit``. ``architecture`` is ``"dense"`` (``hidden_layers``
    then a code of ``hidden_dim``) or ``"conv"``: one 3 x 3 stride-2 convolution per ``conv_channels`` stage (each
    halves height and width, rounding up), then a code of ``code_channels`` channels, given flat by ``transform``
    as code_channels × code height × code width numbers (``model_.code_shape`` is that (channels, height, width);
    ``hidden_dim`` and ``hidden_layers`` are unused). A conv model reads each row as an image of ``image_shape``:
    (height, width, channels), or (height, width) for one channel, whose product is the number of features, the
    row holding the pixels in (height, width, channels) order, as the engine's image datasets do. It is required
    for ``"conv"``; for ``"dense"`` it is optional and only recorded (``image_shape_``, saved with the model).
    Columns are standardized one by one for both. ``random_state`` seeds weight initialization,
    batch order and noise: an int in [0, 2**31 - 1] is used as the engine's seed as is, so the result
    matches ``Trainer`` with ``seed=random_state``; None or a ``RandomState`` draws a seed.

    Training runs on the CPU with torch's thread setting, which is left to the caller: these small networks
    train fastest with ``torch.set_num_threads(1)`` (on a busy 2-core machine, 0.6 s instead of 7 s for
    100 epochs of 200 rows), as the CLI and the dashboard do.

    Fitted attributes: ``model_`` (the ``DenoisingAutoencoder`` or ``ConvDenoisingAutoencoder``), ``scaler_``,
    ``history_`` (one ``EpochRecord`` per epoch), ``config_`` (the ``RunConfig`` used), ``image_shape_`` (the
    (height, width, channels) of the rows, or None), ``trained_`` (a ``TrainedModel`` that
    ``dae_core.model_file.save`` can write), ``n_features_in_`` and, for DataFrame input, ``feature_names_in_``.
    """

    def __init__(
        self,
        hidden_dim=8,
        hidden_layers=(),
        architecture="dense",
        image_shape=None,
        conv_channels=(32,),
        code_channels=32,
        activation="leaky_relu",
        output_activation="auto",
        noise="gaussian",
        noise_level=0.2,
        epochs=50,
        batch_size=32,
        lr=1e-3,
        optimizer="adam",
        loss="mse",
        weight_decay=0.0,
        tied_weights=False,
        random_state=None,
    ):
        self.hidden_dim = hidden_dim
        self.hidden_layers = hidden_layers
        self.architecture = architecture
        self.image_shape = image_shape
        self.conv_channels = conv_channels
        self.code_channels = code_channels
        self.activation = activation
        self.output_activation = output_activation
        self.noise = noise
        self.noise_level = noise_level
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.loss = loss
        self.weight_decay = weight_decay
        self.tied_weights = tied_weights
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # --- fitting -----------------------------------------------------------------------------------

    def _seed(self) -> int:
        state = self.random_state
        if isinstance(state, (int, np.integer)) and not isinstance(state, bool) and 0 <= state <= MAX_SEED:
            return int(state)
        return int(check_random_state(state).randint(0, MAX_SEED))

    def _config(self) -> RunConfig:
        """The engine's run config for these parameters; a bad value raises ConfigError (a ValueError)."""
        layers, channels = _plain_ints(self.hidden_layers), _plain_ints(self.conv_channels)
        # from_dict collects the problems of every section into one error
        return RunConfig.from_dict(
            {
                "data": {"dataset": "csv"},  # rows come from the caller, as with a user's table
                "noise": {"noise": self.noise, "noise_level": self.noise_level},
                "model": {
                    "hidden_dim": self.hidden_dim,
                    "hidden_layers": layers,
                    "architecture": self.architecture,
                    "conv_channels": channels,
                    "code_channels": _plain_ints(self.code_channels),
                    "activation": self.activation,
                    "output_activation": self.output_activation,
                    "tied_weights": self.tied_weights,
                },
                "train": {
                    "epochs": self.epochs,
                    "batch_size": self.batch_size,
                    "lr": self.lr,
                    "optimizer": self.optimizer,
                    "loss": self.loss,
                    "weight_decay": self.weight_decay,
                    "seed": self._seed(),
                    "device": "cpu",
                },
            }
        )

    def _image_shape(self, n_features: int, architecture: str) -> ImageShape | None:
        """``image_shape`` as (height, width, channels) for rows of ``n_features``; None if not given (dense only)."""
        shape = self.image_shape
        if shape is None:
            if architecture == "conv":
                raise ValueError(
                    "architecture='conv' reads each row as an image: pass image_shape=(height, width, channels), "
                    "or (height, width) for one channel, with height × width × channels = the number of features."
                )
            return None
        sides = tuple(shape) if isinstance(shape, (tuple, list)) else ()
        if not (
            len(sides) in (2, 3)
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in sides)
        ):
            raise ValueError(
                f"image_shape must be (height, width, channels) or (height, width) of positive ints. Got {shape!r} "
                "instead."
            )
        h, w, c = (*(int(v) for v in sides), 1)[:3]
        if h * w * c != n_features:
            raise ValueError(
                f"image_shape {(h, w, c)} holds {h * w * c} numbers per row (height × width × channels), but X has "
                f"{n_features} features."
            )
        return h, w, c

    def fit(self, X, y=None):
        """Standardize ``X`` (N, D) and train the autoencoder on it; ``y`` is ignored."""
        X = validate_data(self, X, dtype=FLOAT_DTYPES)
        config = self._config()
        image_shape = self._image_shape(X.shape[1], config.model.architecture)
        scaler = Scaler("standard").fit(X)
        X_scaled = scaler.transform(X)  # (N, D) float32
        names = [str(n) for n in getattr(self, "feature_names_in_", [f"x{i}" for i in range(X.shape[1])])]
        # Evaluation reuses the training rows (see the class docstring): every row given is trained on.
        dataset = Dataset("csv", X_scaled, X_scaled, None, None, scaler, names, image_shape)
        trainer = Trainer(config, dataset)
        for _ in trainer.epochs():
            pass
        trained = trainer.result()
        if trained.stop_reason:
            warnings.warn(trained.stop_reason, UserWarning, stacklevel=2)
        self.config_ = config
        self.image_shape_ = image_shape
        self.trained_ = trained
        self.model_ = trained.model
        self.scaler_ = trained.scaler
        self.history_ = trained.history
        return self

    @property
    def _n_features_out(self) -> int:
        return self.model_.hidden_dim  # a conv model's code size, flat: code_channels × height × width

    # --- using the fitted model ----------------------------------------------------------------------

    def _scaled(self, X):
        """(validated X, its standardized float32 copy) after checking the fit and the columns."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        return X, self.scaler_.transform(X)

    @torch.no_grad()
    def transform(self, X):
        """Codes (N, code size) of the rows ``X`` (N, D), in ``X``'s float dtype: ``hidden_dim`` numbers per row, or a
        conv model's code flat, (channels, height, width) in C order (``model_.code_shape``)."""
        X, X_scaled = self._scaled(X)
        return self.trained_.encode(X_scaled).astype(X.dtype, copy=False)

    @torch.no_grad()
    def inverse_transform(self, X):
        """Rows (N, D) in the original units decoded from codes ``X`` (N, code size), as ``transform`` gives them."""
        check_is_fitted(self)
        codes = check_array(X, dtype=FLOAT_DTYPES)
        if codes.shape[1] != self.model_.hidden_dim:
            size = "hidden_dim" if self.config_.model.architecture == "dense" else "code_channels × height × width"
            raise ValueError(
                f"X has {codes.shape[1]} features, but {type(self).__name__}.inverse_transform expects codes with "
                f"{self.model_.hidden_dim} features ({size}). Pass the output of transform()."
            )
        decoded = self.model_.decode(torch.as_tensor(codes, dtype=torch.float32)).numpy()  # (N, D) scaled
        return self.scaler_.inverse_transform(decoded).astype(codes.dtype, copy=False)

    def denoise(self, X):
        """Reconstructions (N, D), in the original units, of the possibly noisy rows ``X`` (N, D)."""
        X, X_scaled = self._scaled(X)
        return self.scaler_.inverse_transform(self.trained_.denoise(X_scaled)).astype(X.dtype, copy=False)

    def score(self, X, y=None):
        """Negative mean squared error between ``X`` and its reconstruction, in original units (higher is better)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        return -mse(X, self.denoise(X))


def _plain_ints(value):
    """``value`` with numpy ints made Python ints, alone or in a list or tuple (GridSearchCV may hand numpy ints);
    anything else as it is, for the config to judge."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (list, tuple)):
        return tuple(int(v) if isinstance(v, np.integer) else v for v in value)
    return value
