"""Run configuration as data: one frozen dataclass per concern, validated at construction.

Every field name is unique across the four sections, so a whole run config flattens to one
``{name: string}`` dict (URL query parameters, CLI flags) and back without ambiguity.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError

DATASETS = ("synthetic", "digits", "moons", "circles", "spiral", "photos", "mnist", "fashion-mnist", "images", "csv")
IMAGE_DATASETS = ("digits", "photos", "mnist", "fashion-mnist", "images")  # rows are pictures: a conv model fits
PHOTOS = ("china", "flower")  # scikit-learn's two sample photographs, in ``load_sample_images`` order: label 0, 1
ARCHITECTURES = ("dense", "conv")
NOISE_TYPES = ("gaussian", "masking", "salt_pepper")
NOISE_LABELS = {"gaussian": "Gaussian", "masking": "masking", "salt_pepper": "salt and pepper"}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "elu", "leaky_relu", "identity")
OUTPUT_ACTIVATIONS = ("auto", "sigmoid", "identity")
OPTIMIZERS = ("adam", "adamw", "sgd")
LOSSES = ("mse", "l1", "huber")
DEVICES = ("auto", "cpu", "cuda")

MAX_GAUSSIAN_SIGMA = 3.0  # in units of the scaled data: 3 standard deviations drowns any signal

# The range of every numeric setting: validation, the link reader and the dashboard's widgets all read this table.
BOUNDS: dict[str, tuple[float, float]] = {
    "n_samples": (50, 100_000),
    "n_features": (2, 1000),
    "n_informative": (1, 1000),
    "class_sep": (0.0, 10.0),
    "manifold_noise": (0.0, 1.0),
    "patch_size": (4, 32),
    "image_size": (4, 64),
    "test_fraction": (0.05, 0.5),
    "data_seed": (0, 2**31 - 1),
    "hidden_dim": (1, 4096),
    "code_channels": (1, 256),
    "epochs": (1, 10_000),
    "batch_size": (0, 100_000),
    "lr": (0.0, 1e7),  # above 0: the check is open at the low end
    "weight_decay": (0.0, 1.0),
    "momentum": (0.0, 0.999),
    "patience": (0, 10_000),
    "seed": (0, 2**31 - 1),
}
LAYER_WIDTHS, MAX_LAYERS = (1, 4096), 8  # hidden_layers: up to 8 widths, each in this range
CONV_CHANNELS, MAX_CONV_STAGES = (1, 256), 4  # conv_channels: up to 4 stride-2 stages, each this many channels

# The settings a run takes while it trains, from its next epoch on, with the label a chart or a message uses.
LIVE_SETTINGS = {"lr": "learning rate", "noise_level": "noise level"}


def noise_level_range(noise: str) -> tuple[float, float]:
    """(low, high) of ``noise_level`` for a noise type: σ in scaled units for Gaussian, else a fraction."""
    return 0.0, MAX_GAUSSIAN_SIGMA if noise == "gaussian" else 1.0


def noise_level_within(noise: str, level: float) -> float:
    """``level`` brought within ``noise``'s range: a Gaussian σ of 2 becomes a fraction of 1 for masking."""
    low, high = noise_level_range(noise)
    return min(max(level, low), high)


def _check_int(problems, owner, name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"The '{name}' parameter of {owner} must be an int in [{low}, {high}]. Got {value!r} instead.")


def _check_float(problems, owner, name, value, low, high, *, low_open=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low < value if low_open else low <= value) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        problems.append(
            f"The '{name}' parameter of {owner} must be a float in {bracket}{low:g}, {high:g}]. Got {value!r} instead."
        )


def _check_choice(problems, owner, name, value, choices):
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        problems.append(f"The '{name}' parameter of {owner} must be one of {options}. Got {value!r} instead.")


def _check_widths(problems, config, name, fewest, most, bounds):
    """A tuple of ``fewest`` to ``most`` ints within ``bounds`` (a list becomes a tuple)."""
    widths = getattr(config, name)
    if isinstance(widths, list):
        widths = tuple(widths)
        object.__setattr__(config, name, widths)
    low, high = bounds
    valid = isinstance(widths, tuple) and fewest <= len(widths) <= most
    valid = valid and all(isinstance(w, int) and not isinstance(w, bool) and low <= w <= high for w in widths)
    if not valid:
        problems.append(
            f"The '{name}' parameter of {type(config).__name__} must be a list of {fewest} to {most} ints in "
            f"[{low}, {high}]. Got {widths!r} instead."
        )


def _raise_if(problems):
    if problems:
        raise ConfigError("\n".join(problems))


# A sweep (``dae_core.sweep``): the settings that may take a list of values, and how many runs one may hold.
SWEEPABLE = ("noise", "noise_level", "seed", "lr", "hidden_dim", "hidden_layers")
MAX_SWEEP_RUNS = 64  # a product of lists grows fast, and every run holds a model (the one constant: Limits uses it)
DEFAULT_TORCH_THREADS = 1  # small models train 1.3-3x faster on one thread, and runs do not fight over cores


def device_label(name: str) -> str:
    """Where a run set to ``device`` ``name`` trains, in words: "the CPU", or the GPU by its own name
    ("NVIDIA H100 80GB HBM3 (CUDA)"), as ``auto`` resolves on this machine. PyTorch loads only to ask about a GPU."""
    if name == "cpu":
        return "the CPU"
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (CUDA)"
    return "the CPU" if name == "auto" else "a CUDA GPU, which this machine does not have"


@dataclass(frozen=True)
class DataConfig:
    dataset: str = "synthetic"  # one of DATASETS
    n_samples: int = 1000  # rows generated (synthetic, 2-D sets, photo patches); the seed used 1000
    n_features: int = 20  # synthetic columns; the seed used 20
    n_informative: int = 2  # synthetic: informative columns (make_classification's default)
    class_sep: float = 1.0  # synthetic: distance between the classes
    manifold_noise: float = 0.05  # moons/circles/spiral: intrinsic noise of the manifold
    patch_size: int = 12  # photos: side of the square grayscale patches, in pixels (12 x 12 = 144 features)
    images_path: str = ""  # images: a zip or a folder of PNG/JPEG pictures on disk (the command line); the dashboard
    # passes the zip's bytes instead; pictures in sub-folders are labelled by folder
    image_size: int = 28  # images: each picture is centre-cropped to a square and resized to this side, in pixels
    color: bool = False  # images: keep red, green and blue (3 channels) instead of grayscale
    images_digest: str = ""  # images: the pictures' SHA-256, first 12 hex digits, so a run names what it trained on
    test_fraction: float = 0.2  # held-out share, 80/20 as in the seed
    data_seed: int = 42  # generation and split seed, the seed's random_state
    csv_path: str = ""  # csv: path of the table file on disk (the command line); the dashboard passes bytes instead
    label_column: str = ""  # csv: optional label column, excluded from the features
    csv_digest: str = ""  # csv: the table's SHA-256, first 12 hex digits, so a run names the table it trained on

    def __post_init__(self):
        p: list[str] = []
        owner = "DataConfig"
        _check_choice(p, owner, "dataset", self.dataset, DATASETS)
        _check_int(p, owner, "n_samples", self.n_samples, *BOUNDS["n_samples"])
        _check_int(p, owner, "n_features", self.n_features, *BOUNDS["n_features"])
        _check_int(p, owner, "n_informative", self.n_informative, *BOUNDS["n_informative"])
        _check_float(p, owner, "class_sep", self.class_sep, *BOUNDS["class_sep"])
        _check_float(p, owner, "manifold_noise", self.manifold_noise, *BOUNDS["manifold_noise"])
        _check_int(p, owner, "patch_size", self.patch_size, *BOUNDS["patch_size"])
        _check_int(p, owner, "image_size", self.image_size, *BOUNDS["image_size"])
        if not isinstance(self.color, bool):
            p.append(f"The 'color' parameter of {owner} must be a bool. Got {self.color!r} instead.")
        _check_float(p, owner, "test_fraction", self.test_fraction, *BOUNDS["test_fraction"])
        _check_int(p, owner, "data_seed", self.data_seed, *BOUNDS["data_seed"])
        if not p and self.n_informative > self.n_features:
            p.append(
                f"The 'n_informative' parameter of DataConfig must be at most n_features "
                f"({self.n_features}). Got {self.n_informative!r} instead."
            )
        for name in ("csv_path", "label_column", "csv_digest", "images_path", "images_digest"):
            if not isinstance(getattr(self, name), str):
                p.append(f"The '{name}' parameter of DataConfig must be a str. Got {getattr(self, name)!r} instead.")
        _raise_if(p)


@dataclass(frozen=True)
class NoiseConfig:
    noise: str = "gaussian"  # one of NOISE_TYPES; the seed used gaussian
    noise_level: float = 0.2  # gaussian: sigma in scaled units; masking/salt_pepper: fraction of entries

    def __post_init__(self):
        p: list[str] = []
        _check_choice(p, "NoiseConfig", "noise", self.noise, NOISE_TYPES)
        _check_float(p, "NoiseConfig", "noise_level", self.noise_level, *noise_level_range(self.noise))
        _raise_if(p)


@dataclass(frozen=True)
class ModelConfig:
    architecture: str = "dense"  # one of ARCHITECTURES: dense layers, or convolutions over image data
    hidden_dim: int = 8  # dense: code size; the seed used 8
    hidden_layers: tuple[int, ...] = ()  # dense: encoder widths between input and code; decoder mirrors them
    conv_channels: tuple[int, ...] = (32,)  # conv: channels of each stride-2 stage (each halves height and width)
    code_channels: int = 32  # conv: the code's channels; its size is channels x height x width
    activation: str = "leaky_relu"  # the seed used relu, but dead relu code units cost ~10% on digits
    output_activation: str = "auto"  # auto: sigmoid for [0,1] data (dense), identity for standardized data or conv
    tied_weights: bool = False  # decoder reuses the transposed encoder weights

    def __post_init__(self):
        p: list[str] = []
        owner = "ModelConfig"
        _check_choice(p, owner, "architecture", self.architecture, ARCHITECTURES)
        _check_int(p, owner, "hidden_dim", self.hidden_dim, *BOUNDS["hidden_dim"])
        _check_int(p, owner, "code_channels", self.code_channels, *BOUNDS["code_channels"])
        _check_widths(p, self, "hidden_layers", 0, MAX_LAYERS, LAYER_WIDTHS)
        _check_widths(p, self, "conv_channels", 1, MAX_CONV_STAGES, CONV_CHANNELS)
        _check_choice(p, owner, "activation", self.activation, ACTIVATIONS)
        _check_choice(p, owner, "output_activation", self.output_activation, OUTPUT_ACTIVATIONS)
        if not isinstance(self.tied_weights, bool):
            p.append(f"The 'tied_weights' parameter of {owner} must be a bool. Got {self.tied_weights!r} instead.")
        _raise_if(p)

    def code_size(self, image_shape: tuple[int, ...] | None = None) -> int:
        """Numbers in one code: ``hidden_dim``, or for a conv model on images of ``image_shape`` its channels x height
        x width (each stride-2 stage halves a side, rounding up)."""
        if self.architecture != "conv" or not image_shape:
            return self.hidden_dim
        shrink = 2 ** len(self.conv_channels)
        return self.code_channels * -(-image_shape[0] // shrink) * -(-image_shape[1] // shrink)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 50  # passes over the training rows; the seed used 50
    batch_size: int = 32  # rows per step; 0 means full batch, as in the seed
    lr: float = 1e-3  # learning rate; the seed used Adam at 1e-3
    optimizer: str = "adam"  # one of OPTIMIZERS
    loss: str = "mse"  # one of LOSSES
    weight_decay: float = 0.0  # L2 penalty (decoupled for adamw)
    momentum: float = 0.9  # sgd only
    patience: int = 0  # early stopping: epochs without test improvement; 0 turns it off
    seed: int = 0  # model init, batch order and noise draws
    device: str = "cpu"  # auto picks CUDA when present

    def __post_init__(self):
        p: list[str] = []
        owner = "TrainConfig"
        _check_int(p, owner, "epochs", self.epochs, *BOUNDS["epochs"])
        _check_int(p, owner, "batch_size", self.batch_size, *BOUNDS["batch_size"])
        _check_float(p, owner, "lr", self.lr, *BOUNDS["lr"], low_open=True)
        _check_choice(p, owner, "optimizer", self.optimizer, OPTIMIZERS)
        _check_choice(p, owner, "loss", self.loss, LOSSES)
        _check_float(p, owner, "weight_decay", self.weight_decay, *BOUNDS["weight_decay"])
        _check_float(p, owner, "momentum", self.momentum, *BOUNDS["momentum"])
        _check_int(p, owner, "patience", self.patience, *BOUNDS["patience"])
        _check_int(p, owner, "seed", self.seed, *BOUNDS["seed"])
        _check_choice(p, owner, "device", self.device, DEVICES)
        _raise_if(p)


SECTIONS = {"data": DataConfig, "noise": NoiseConfig, "model": ModelConfig, "train": TrainConfig}


def _field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


FIELD_SECTION = {name: section for section, cls in SECTIONS.items() for name in _field_names(cls)}

# How each setting is called where people see it: the dashboard's labels, and messages about a link or a form.
FIELD_LABELS = {
    "dataset": "Dataset", "n_samples": "Samples", "n_features": "Features", "n_informative": "Informative features",
    "class_sep": "Class separation", "manifold_noise": "Data noise", "patch_size": "Patch size",
    "images_path": "Pictures", "image_size": "Picture size", "color": "Colour", "images_digest": "Pictures hash",
    "architecture": "Architecture", "conv_channels": "Conv channels", "code_channels": "Code channels",
    "test_fraction": "Test fraction",
    "data_seed": "Data seed", "csv_path": "CSV file", "label_column": "Label column",
    "csv_digest": "CSV content hash", "noise": "Noise type",
    "noise_level": "Noise level", "hidden_dim": "Code size", "hidden_layers": "Hidden layers",
    "activation": "Activation", "output_activation": "Output activation", "tied_weights": "Tied weights",
    "epochs": "Epochs", "batch_size": "Batch size", "lr": "Learning rate", "optimizer": "Optimizer", "loss": "Loss",
    "weight_decay": "Weight decay", "momentum": "Momentum", "patience": "Patience", "seed": "Seed", "device": "Device",
}  # fmt: skip

# The command line's flag for each field it sets, and back: the parser (``dae_core.cli``) reads a command with it
# and ``share.to_cli_command`` writes one; here, beside the fields, so that neither imports the other for it.
CONFIG_FLAGS = {
    "--dataset": "dataset",
    "--csv": "csv_path",
    "--label-column": "label_column",
    "--n-samples": "n_samples",
    "--n-features": "n_features",
    "--patch-size": "patch_size",
    "--images": "images_path",
    "--image-size": "image_size",
    "--color": "color",
    "--architecture": "architecture",
    "--conv-channels": "conv_channels",
    "--code-channels": "code_channels",
    "--data-seed": "data_seed",
    "--hidden-dim": "hidden_dim",
    "--hidden-layers": "hidden_layers",
    "--activation": "activation",
    "--output-activation": "output_activation",
    "--tied-weights": "tied_weights",
    "--noise": "noise",
    "--noise-level": "noise_level",
    "--loss": "loss",
    "--optimizer": "optimizer",
    "--lr": "lr",
    "--weight-decay": "weight_decay",
    "--batch-size": "batch_size",
    "--epochs": "epochs",
    "--patience": "patience",
    "--seed": "seed",
    "--device": "device",
}
FLAG_OF_FIELD = {name: flag for flag, name in CONFIG_FLAGS.items()}
_PARAMETER_OF = re.compile(r"The '(\w+)' parameter(?: of \w+Config)?")


def in_words(message: str) -> str:
    """A validation message in the user's words: "The 'lr' parameter of TrainConfig must be ..." becomes
    "Learning rate (lr) must be ...", so a page or a link warning names the setting, not a class."""
    return _PARAMETER_OF.sub(lambda m: f"{FIELD_LABELS.get(m.group(1), m.group(1))} ({m.group(1)})", message)


def _unknown_key(key: str, valid: list[str], owner: str) -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else f" Valid keys: {', '.join(valid)}."
    return f"Unknown key '{key}' for {owner}.{hint}"


@dataclass(frozen=True)
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self):
        for section, cls in SECTIONS.items():
            if not isinstance(getattr(self, section), cls):
                raise ConfigError(f"The '{section}' parameter of RunConfig must be a {cls.__name__}.")

    # --- dict / JSON ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, dict[str, Any]]:
        out = dataclasses.asdict(self)
        out["model"]["hidden_layers"] = list(self.model.hidden_layers)
        out["model"]["conv_channels"] = list(self.model.conv_channels)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        if not isinstance(data, dict):
            raise ConfigError(f"A run config must be a JSON object. Got {type(data).__name__} instead.")
        problems = [_unknown_key(k, list(SECTIONS), "RunConfig") for k in data if k not in SECTIONS]
        _raise_if(problems)
        sections = {}
        for name, section_cls in SECTIONS.items():
            values = data.get(name, {})
            if not isinstance(values, dict):
                problems.append(f"The '{name}' section must be an object. Got {values!r} instead.")
                continue
            valid = _field_names(section_cls)
            problems += [_unknown_key(k, valid, section_cls.__name__) for k in values if k not in valid]
            try:
                sections[name] = section_cls(**{k: v for k, v in values.items() if k in valid})
            except ConfigError as exc:
                problems.append(str(exc))
        _raise_if(problems)
        return cls(**sections)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"The config is not valid JSON ({exc.msg} at line {exc.lineno}).") from None
        return cls.from_dict(data)

    # --- flat string dict (URL query, CLI) -------------------------------------------------------
    def to_flat(self, *, only_changed: bool = False) -> dict[str, str]:
        """Every field as ``{name: string}``; with ``only_changed`` just those that differ from defaults."""
        default = RunConfig().to_dict()
        flat = {}
        for section, values in self.to_dict().items():
            for name, value in values.items():
                if only_changed and default[section][name] == value:
                    continue
                flat[name] = _format_value(value)
        return flat

    @classmethod
    def from_flat(cls, flat: dict[str, str], base: RunConfig | None = None) -> RunConfig:
        """Parse ``{name: string}`` over ``base`` (defaults if None); every problem is reported at once."""
        data = (base or cls()).to_dict()
        problems = []
        for key, text in flat.items():
            section = FIELD_SECTION.get(key)
            if section is None:
                problems.append(_unknown_key(key, list(FIELD_SECTION), "RunConfig"))
                continue
            default = data[section][key]
            try:
                data[section][key] = _parse_value(text, default)
            except ValueError:
                kind = "a list of ints" if isinstance(default, list) else _KIND_NAMES[type(default)]
                problems.append(f"The '{key}' parameter must be {kind}. Got {text!r} instead.")
        try:
            config = cls.from_dict(data)
        except ConfigError as exc:
            problems.append(str(exc))
        _raise_if(problems)
        return config

    # --- the settings a running job takes --------------------------------------------------------
    def live(self) -> dict[str, float]:
        """The values of the live settings (see ``LIVE_SETTINGS``)."""
        return {name: getattr(getattr(self, FIELD_SECTION[name]), name) for name in LIVE_SETTINGS}

    def replace_live(self, **changes: Any) -> RunConfig:
        """A copy with some live settings changed; any other name is refused, since a run cannot take it."""
        fixed = [name for name in changes if name not in LIVE_SETTINGS]
        if fixed:
            names = ", ".join(f"'{name}'" for name in LIVE_SETTINGS)
            raise ConfigError(
                f"Only {names} can change while a run trains. Got {', '.join(map(repr, fixed))}: "
                "start a new run to change it."
            )
        return self.replace(**changes)

    def take_live(self, before: RunConfig, after: RunConfig) -> tuple[RunConfig, dict[str, float]]:
        """These settings (a run's, as it trains) with the live settings that changed from ``before`` to ``after``
        (the form's), and those changes by name. A noise level chosen for another noise type than the run's waits
        for the next run. Validated here, once: a job trusts the settings it is given."""
        old, new = before.live(), after.live()
        changes = {name: value for name, value in new.items() if value != old[name]}
        if after.noise.noise != self.noise.noise:
            changes.pop("noise_level", None)
        return (self.replace_live(**changes) if changes else self), changes

    def fixed_settings(self) -> dict[str, str]:
        """Every setting but the live ones, flat: two configs that differ here need a new run."""
        return {name: text for name, text in self.to_flat().items() if name not in LIVE_SETTINGS}

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed, named flat: ``cfg.replace(hidden_dim=16, lr=0.01)``."""
        data = self.to_dict()
        problems = []
        for key, value in changes.items():
            section = FIELD_SECTION.get(key)
            if section is None:
                problems.append(_unknown_key(key, list(FIELD_SECTION), "RunConfig"))
            else:
                data[section][key] = list(value) if key in ("hidden_layers", "conv_channels") else value
        _raise_if(problems)
        return RunConfig.from_dict(data)


_KIND_NAMES = {bool: "a bool (true or false)", int: "an int", float: "a float", str: "a str"}


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _parse_value(text: Any, default: Any) -> Any:
    text = str(text).strip()
    if isinstance(default, bool):
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(text)
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    if isinstance(default, list):
        return [int(part) for part in text.split(",") if part.strip()]
    return text
