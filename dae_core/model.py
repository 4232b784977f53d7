"""The denoising autoencoders: dense (input → hidden layers → code, and a mirrored decoder back to input) and
convolutional (stride-2 convolutions down to a code of channels × height × width, transposed convolutions back up).

Both take and give flat rows, (B, D): a conv model reads each row as an image in (height, width, channels) order,
so the data, the noise, the trainer, the baselines and every view treat the two alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig

_ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "elu": F.elu,
    "leaky_relu": torch._C._nn.leaky_relu,  # what F.leaky_relu calls (slope 0.01), without its Python wrapper
    "identity": None,
}


def resolve_output_activation(name: str, bounded: bool, architecture: str = "dense") -> str:
    """'auto' means sigmoid for a dense model of data in [0, 1], and identity for standardized data or a conv model.

    A conv model's sigmoid output can stall for good: MNIST at Gaussian 0.4 (2,000 digits, defaults, 3 epochs), two
    seeds of three drove every output logit below -1 (all-background first), where the sigmoid's gradient vanishes,
    and stayed at "predict zeros" (test MSE 0.115; the noisy input itself scores 0.080). With an identity output all
    three trained (0.012-0.014), and the third seed's sigmoid run was no better (0.011)."""
    if name == "auto":
        return "sigmoid" if bounded and architecture == "dense" else "identity"
    return name


ImageShape = tuple[int, int, int]  # (height, width, channels)
KERNEL = 3  # every conv layer's kernel side: 3 x 3, padding 1


def parameter_count(input_dim: int, cfg: ModelConfig, image_shape: ImageShape | None = None) -> int:
    """Weights and biases of the model ``cfg`` describes, without building it (to refuse oversized ones cheaply)."""
    if cfg.architecture == "conv":
        channels = [(*(image_shape or ()), 1, 1, 1)[2], *cfg.conv_channels, cfg.code_channels]  # sizes do not count
        pairs = list(zip(channels[:-1], channels[1:]))
        kernels = sum(a * b * KERNEL * KERNEL for a, b in pairs)
        return (1 if cfg.tied_weights else 2) * kernels + sum(b for _, b in pairs) + sum(a for a, _ in pairs)
    widths = [input_dim, *cfg.hidden_layers, cfg.hidden_dim]
    matrices = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    encoder_biases, decoder_biases = sum(widths[1:]), sum(widths[:-1])
    return (1 if cfg.tied_weights else 2) * matrices + encoder_biases + decoder_biases


class DenoisingAutoencoder(nn.Module):
    """An MLP autoencoder. ``encode`` maps (B, D) to codes (B, hidden_dim); ``decode`` maps back.

    With ``tied_weights`` the decoder uses the transposed encoder matrices and has only its own biases.
    Initialization matches ``nn.Linear`` (U(±1/√fan_in)) but draws from an explicit generator, so
    two models built with the same seed are identical whatever else uses torch's global RNG.
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int,
        hidden_layers: tuple[int, ...] = (),
        activation: str = "relu",
        output_activation: str = "identity",
        tied_weights: bool = False,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.input_dim, self.hidden_dim = input_dim, hidden_dim
        self.hidden_layers = tuple(hidden_layers)
        self.activation, self.output_activation = activation, output_activation
        self.tied_weights = tied_weights
        widths = [input_dim, *self.hidden_layers, hidden_dim]
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        back = widths[::-1]
        if tied_weights:
            self.decoder = nn.ModuleList()
            self.decoder_bias = nn.ParameterList(nn.Parameter(torch.zeros(b)) for b in back[1:])
        else:
            self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(back[:-1], back[1:]))
            self.decoder_bias = nn.ParameterList()
        self._act = _ACTIVATIONS[activation]
        self._out = _ACTIVATIONS[output_activation]
        self.filter_shape: ImageShape | None = None  # a first-layer filter's (h, w, c): the data's image shape, if any
        self.reset_parameters(generator)

    @classmethod
    def from_config(
        cls, cfg: ModelConfig, input_dim: int, bounded: bool, generator: torch.Generator | None = None
    ) -> DenoisingAutoencoder:
        return cls(
            input_dim,
            cfg.hidden_dim,
            cfg.hidden_layers,
            cfg.activation,
            resolve_output_activation(cfg.output_activation, bounded, cfg.architecture),
            cfg.tied_weights,
            generator,
        )

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        for layer in [*self.encoder, *self.decoder]:
            bound = 1.0 / math.sqrt(layer.in_features)
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
        for bias, layer in zip(self.decoder_bias, reversed(self.encoder)):
            bound = 1.0 / math.sqrt(layer.out_features)  # fan-in of the transposed matrix
            bias.uniform_(-bound, bound, generator=generator)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.encoder:
            x = F.linear(x, layer.weight, layer.bias)  # not layer(x): a module call costs a few µs of hooks
            if self._act is not None:
                x = self._act(x)
        return x

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        x = code
        if self.tied_weights:
            steps = [(layer.weight.t(), bias) for layer, bias in zip(reversed(self.encoder), self.decoder_bias)]
        else:
            steps = [(layer.weight, layer.bias) for layer in self.decoder]
        last = len(steps) - 1
        for i, (weight, bias) in enumerate(steps):
            x = F.linear(x, weight, bias)
            act = self._out if i == last else self._act
            if act is not None:
                x = act(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def layer_plan(self) -> list[tuple[str, bool, str, Callable | None]]:
        """``forward`` by parameter names: (weight name, used transposed, bias name, activation or None) per layer,
        input to output. A tied decoder layer uses an encoder weight, transposed. A batched sweep runs the same
        plan over its members' stacked parameters."""
        layers = range(len(self.encoder))
        plan = [(f"encoder.{i}.weight", False, f"encoder.{i}.bias", self._act) for i in layers]
        if self.tied_weights:
            back = [(f"encoder.{i}.weight", True, f"decoder_bias.{j}") for j, i in enumerate(reversed(layers))]
        else:
            back = [(f"decoder.{i}.weight", False, f"decoder.{i}.bias") for i in range(len(self.decoder))]
        last = len(back) - 1
        plan += [(*step, self._out if i == last else self._act) for i, step in enumerate(back)]
        return plan

    @property
    def first_layer_weights(self) -> torch.Tensor:
        """(width, input_dim): the encoder's input filters, one row per unit."""
        return self.encoder[0].weight


def conv_image_shape(cfg: ModelConfig, image_shape, input_dim: int) -> ImageShape:
    """The (height, width, channels) a conv model reads its rows as; a ConfigError says why there is none."""
    from .errors import ConfigError

    if image_shape is None:
        raise ConfigError(
            "A conv model needs image data: this data is a table of features with no height and width. "
            "Choose an image dataset (digits, photos, mnist, fashion-mnist, images) or the dense architecture."
        )
    h, w, c = (*image_shape, 1)[:3]
    if h * w * c != input_dim:
        raise ConfigError(f"Images of {h} x {w} x {c} hold {h * w * c} numbers, but the rows hold {input_dim}.")
    stages, allowed = len(cfg.conv_channels), int(math.log2(min(h, w)))  # each stage halves: keep 2 pixels a side
    if stages > allowed:
        fix = (f"Use at most {allowed} conv channel stages, or larger images." if allowed else
               "Use the dense architecture, or images at least 2 pixels on each side.")  # fmt: skip
        raise ConfigError(f"{stages} stride-2 stages halve {h} x {w} pixels {stages} times, past one pixel. {fix}")
    return int(h), int(w), int(c)


def stage_sizes(height: int, width: int, stages: int) -> list[tuple[int, int]]:
    """(height, width) after each stride-2 stage, input first: each halves, rounding up (kernel 3, padding 1)."""
    sizes = [(height, width)]
    for _ in range(stages):
        h, w = sizes[-1]
        sizes.append(((h + 1) // 2, (w + 1) // 2))
    return sizes


class ConvDenoisingAutoencoder(nn.Module):
    """A convolutional autoencoder on flat rows that are images (B, h*w*c), in (height, width, channels) order.

    Encoder: one 3 x 3 stride-2 convolution per ``conv_channels`` stage (each halves height and width), then a
    3 x 3 convolution to ``code_channels`` channels: the code, (B, code_channels, h', w'), given flat by ``encode``
    as (B, hidden_dim) with ``hidden_dim`` = code_channels × h' × w'.
    Decoder: a 3 x 3 transposed convolution back to the last stage's channels, then one stride-2 transposed
    convolution per stage up to the image's size and channels. With ``tied_weights`` each decoder layer uses the
    weight of its mirror encoder layer (a transposed convolution with a convolution's weight is its adjoint) and
    has only its own bias. Initial weights are U(±1/√fan_in), like ``nn.Conv2d``, from an explicit generator.
    """

    def __init__(
        self,
        image_shape: ImageShape,
        code_channels: int,
        conv_channels: tuple[int, ...] = (32,),
        activation: str = "relu",
        output_activation: str = "identity",
        tied_weights: bool = False,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.image_shape = tuple(image_shape)
        h, w, c = self.image_shape
        self.input_dim, self.code_channels, self.conv_channels = h * w * c, code_channels, tuple(conv_channels)
        self.hidden_layers = ()  # a dense model's widths: none here (model summaries read it)
        self.activation, self.output_activation, self.tied_weights = activation, output_activation, tied_weights
        self.sizes = stage_sizes(h, w, len(self.conv_channels))
        self.code_shape = (code_channels, *self.sizes[-1])  # (channels, height, width)
        self.hidden_dim = math.prod(self.code_shape)  # the code's size, flat
        channels = [c, *self.conv_channels, code_channels]
        self.encoder = nn.ModuleList(
            nn.Conv2d(a, b, KERNEL, stride=2 if i < len(self.conv_channels) else 1, padding=1)
            for i, (a, b) in enumerate(zip(channels[:-1], channels[1:]))
        )
        back = channels[::-1]
        if tied_weights:
            self.decoder = nn.ModuleList()
            self.decoder_bias = nn.ParameterList(nn.Parameter(torch.zeros(b)) for b in back[1:])
        else:
            self.decoder = nn.ModuleList(
                nn.ConvTranspose2d(a, b, KERNEL, padding=1) for a, b in zip(back[:-1], back[1:])
            )
            self.decoder_bias = nn.ParameterList()
        self._act = _ACTIVATIONS[activation]
        self._out = _ACTIVATIONS[output_activation]
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        for layer in [*self.encoder, *self.decoder]:
            bound = 1.0 / math.sqrt(layer.weight[0].numel())  # a Conv2d's fan-in; a transposed one's fan-out
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
        for bias, layer in zip(self.decoder_bias, reversed(self.encoder)):
            bound = 1.0 / math.sqrt(layer.weight[:, 0].numel())  # fan-in of the transposed convolution
            bias.uniform_(-bound, bound, generator=generator)

    def _steps(self):
        """The decoder as (weight, bias, stride, output size) per layer, code to image."""
        if self.tied_weights:
            pairs = [(layer.weight, bias) for layer, bias in zip(reversed(self.encoder), self.decoder_bias)]
        else:
            pairs = [(layer.weight, layer.bias) for layer in self.decoder]
        stages = len(self.conv_channels)
        sizes = [self.sizes[-1], *self.sizes[::-1][1:]]  # the code's size, then each stage's output back up
        strides = [1] + [2] * stages
        return [(weight, bias, stride, size) for (weight, bias), stride, size in zip(pairs, strides, sizes)]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        h, w, c = self.image_shape
        x = x.reshape(-1, h, w, c).permute(0, 3, 1, 2)  # (B, c, h, w)
        for layer in self.encoder:
            x = F.conv2d(x, layer.weight, layer.bias, stride=layer.stride, padding=1)
            if self._act is not None:
                x = self._act(x)
        return x.flatten(1)  # (B, code_channels * h' * w')

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        x = code.reshape(-1, *self.code_shape)
        steps = self._steps()
        for i, (weight, bias, stride, (out_h, out_w)) in enumerate(steps):
            extra = (out_h - (2 * x.shape[2] - 1), out_w - (2 * x.shape[3] - 1)) if stride == 2 else 0
            x = F.conv_transpose2d(x, weight, bias, stride=stride, padding=1, output_padding=extra)
            act = self._out if i == len(steps) - 1 else self._act
            if act is not None:
                x = act(x)
        return x.permute(0, 2, 3, 1).flatten(1)  # (B, h * w * c) in (height, width, channels) order

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    @property
    def filter_shape(self) -> ImageShape:
        """(height, width, channels) of one first-layer filter: a 3 x 3 kernel over the image's channels."""
        return KERNEL, KERNEL, self.image_shape[2]

    @property
    def first_layer_weights(self) -> torch.Tensor:
        """(conv_channels[0], 3*3*c): the first convolution's kernels, one row per channel, (h, w, c) order."""
        return self.encoder[0].weight.permute(0, 2, 3, 1).flatten(1)


AnyAutoencoder = DenoisingAutoencoder | ConvDenoisingAutoencoder


def build_model(
    cfg: ModelConfig,
    input_dim: int,
    bounded: bool,
    image_shape=None,
    generator: torch.Generator | None = None,
) -> AnyAutoencoder:
    """The model ``cfg`` names for rows of ``input_dim`` (images of ``image_shape`` for a conv model)."""
    if cfg.architecture == "conv":
        return ConvDenoisingAutoencoder(
            conv_image_shape(cfg, image_shape, input_dim),
            cfg.code_channels,
            cfg.conv_channels,
            cfg.activation,
            resolve_output_activation(cfg.output_activation, bounded, cfg.architecture),
            cfg.tied_weights,
            generator,
        )
    model = DenoisingAutoencoder.from_config(cfg, input_dim, bounded, generator)
    if image_shape is not None:
        model.filter_shape = (*image_shape, 1)[:3]
    return model
