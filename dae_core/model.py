"""The denoising autoencoder: input → hidden layers → code, and a mirrored decoder back to input."""

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
    "leaky_relu": F.leaky_relu,
    "identity": None,
}


def resolve_output_activation(name: str, bounded: bool) -> str:
    """'auto' means sigmoid for data in [0, 1] and identity for standardized data."""
    if name == "auto":
        return "sigmoid" if bounded else "identity"
    return name


def parameter_count(input_dim: int, cfg: ModelConfig) -> int:
    """Weights and biases of the model ``cfg`` describes, without building it (to refuse oversized ones cheaply)."""
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
            resolve_output_activation(cfg.output_activation, bounded),
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
