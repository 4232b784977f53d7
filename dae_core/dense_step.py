"""A dense autoencoder's training step with its backward pass written out, for models too small to pay autograd.

For the engine's usual models (a few layers of a few dozen units, batches of 32), most of a training step's time is
PyTorch's fixed cost per operation, and autograd adds its own: recording the graph as the forward pass runs, then
walking it (about 120 µs a step for the tutorial's 20-8-20 model, more than the arithmetic). :class:`DenseStep` runs
the same forward pass under ``torch.no_grad`` and derives the gradients itself, layer by layer, with the very kernels
autograd would call (``aten.*_backward`` for the activations and losses, two matrix products and a sum per layer).

The gradients agree with autograd's to float rounding (``tests/test_dense_step.py`` checks every activation, output
activation and loss to 1e-6); only the order of a few sums differs. Models it does not cover (tied weights, conv)
train through autograd as before: :func:`dense_step` says which.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from .model import DenoisingAutoencoder

_aten = torch.ops.aten
LEAKY_SLOPE = 0.01  # F.leaky_relu's default, which the model uses
MEAN = 1  # aten's code for reduction="mean"

_FORWARD: dict[str, Callable | None] = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "elu": F.elu,
    "leaky_relu": torch._C._nn.leaky_relu,  # what F.leaky_relu calls, without its Python wrapper (2 µs a call)
    "identity": None,
}
# d(loss)/d(pre-activation) from d(loss)/d(output) g, the pre-activation z and the output a: autograd's own formulas
_BACKWARD: dict[str, Callable | None] = {
    "relu": lambda g, z, a: _aten.threshold_backward.default(g, a, 0),
    "tanh": lambda g, z, a: _aten.tanh_backward.default(g, a),
    "sigmoid": lambda g, z, a: _aten.sigmoid_backward.default(g, a),
    "gelu": lambda g, z, a: _aten.gelu_backward.default(g, z),
    "elu": lambda g, z, a: _aten.elu_backward.default(g, 1.0, 1, 1, False, z),
    "leaky_relu": lambda g, z, a: _aten.leaky_relu_backward.default(g, z, LEAKY_SLOPE, False),
    "identity": None,
}
# (loss, d(loss)/d(output)) for an output y and its target t, the loss averaged over every element as F.*_loss does
# (``one``: a 1 of the output's dtype and device, the loss's own gradient)
_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]] = {
    "mse": lambda y, t, one: (_aten.mse_loss.default(y, t, MEAN), _aten.mse_loss_backward.default(one, y, t, MEAN)),
    "l1": lambda y, t, one: (F.l1_loss(y, t), torch.sgn(y - t).div_(y.numel())),
    "huber": lambda y, t, one: (
        _aten.huber_loss.default(y, t, MEAN, 1.0),
        _aten.huber_loss_backward.default(one, y, t, MEAN, 1.0),
    ),
}


class DenseStep:
    """The loss and the gradients of an untied dense autoencoder for one batch, without autograd.

    ``step(noisy, clean)``, under ``torch.no_grad()``, returns (the batch's loss as a 0-d tensor, one gradient per
    parameter in the order of ``model.parameters()``), for an optimizer's ``step(grads)``.
    """

    def __init__(self, model: DenoisingAutoencoder, loss: str):
        self.layers = [(layer.weight, layer.bias) for layer in [*model.encoder, *model.decoder]]
        assert [t for pair in self.layers for t in pair] == list(model.parameters()), "the optimizer's order"
        names = [model.activation] * (len(self.layers) - 1) + [model.output_activation]
        self.forward_acts = [_FORWARD[name] for name in names]
        self.backward_acts = [_BACKWARD[name] for name in names]
        self.loss = _LOSSES[loss]
        self.one = self.layers[0][0].new_ones(())

    def step(self, noisy: torch.Tensor, clean: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Call it under ``torch.no_grad()`` (the trainer holds it for the whole epoch: entering it costs a few µs)."""
        x, inputs, pre, out = noisy, [], [], []
        for (weight, bias), act in zip(self.layers, self.forward_acts):
            inputs.append(x)
            z = F.linear(x, weight, bias)
            x = z if act is None else act(z)
            pre.append(z)
            out.append(x)
        loss, grad = self.loss(x, clean, self.one)
        grads: list[torch.Tensor] = [grad] * (2 * len(self.layers))
        for i in range(len(self.layers) - 1, -1, -1):
            if self.backward_acts[i] is not None:
                grad = self.backward_acts[i](grad, pre[i], out[i])
            grads[2 * i] = torch.mm(grad.t(), inputs[i])  # (out, in), as the weight
            grads[2 * i + 1] = grad.sum(0)
            if i:
                grad = torch.mm(grad, self.layers[i][0])
        return loss, grads


def dense_step(model, loss: str) -> DenseStep | None:
    """A :class:`DenseStep` for ``model``, or None where autograd must do it (tied weights, conv models)."""
    if type(model) is not DenoisingAutoencoder or model.tied_weights or loss not in _LOSSES:
        return None
    return DenseStep(model, loss)


class BatchedDenseStep:
    """The same, for K models of one architecture trained at once as one batched model (``dae_core.sweep``).

    Parameters are stacked (weights (K, in, out), biases (K, 1, out)) and named as in ``model.layer_plan()``, where a
    tied decoder layer uses an encoder weight transposed (its two gradients add up). Each member's loss is its own
    mean; ``weights`` (K,) scales each member's gradient (1 for a member that trains this epoch, 0 for one that
    rests), as the gradient of ``sum(weights * losses)``.
    """

    def __init__(self, model: DenoisingAutoencoder, loss: str):
        self.plan = [(weight, transposed, bias) for weight, transposed, bias, _ in model.layer_plan()]
        names = [model.activation] * (len(self.plan) - 1) + [model.output_activation]
        self.forward_acts = [_FORWARD[name] for name in names]
        self.backward_acts = [_BACKWARD[name] for name in names]
        self.loss = loss

    def step(self, params: dict[str, torch.Tensor], noisy: torch.Tensor, clean: torch.Tensor, weights: torch.Tensor
             ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:  # fmt: skip
        """(K, B, D) noisy inputs, (B, D) clean rows: (each member's loss (K,), each parameter's gradient by name).
        Call it under ``torch.no_grad()``."""
        x, inputs, pre, out = noisy, [], [], []
        for (weight, transposed, bias), act in zip(self.plan, self.forward_acts):
            inputs.append(x)
            matrix = params[weight].transpose(1, 2) if transposed else params[weight]
            z = torch.baddbmm(params[bias], x, matrix)
            x = z if act is None else act(z)
            pre.append(z)
            out.append(x)
        target = clean.expand_as(x)
        diff = x - target
        scale = (weights / (x.shape[1] * x.shape[2])).view(-1, 1, 1)  # d(sum of weighted means)/d(each element's loss)
        if self.loss == "mse":
            losses, grad = diff.square().mean(dim=(1, 2)), diff.mul(2.0).mul_(scale)
        elif self.loss == "l1":
            losses, grad = diff.abs().mean(dim=(1, 2)), torch.sgn(diff).mul_(scale)
        else:
            losses = F.huber_loss(x, target, reduction="none").mean(dim=(1, 2))
            grad = _aten.huber_loss_backward.default(scale.expand_as(x), x, target, 0, 1.0)
        grads: dict[str, torch.Tensor] = {}
        for i in range(len(self.plan) - 1, -1, -1):
            if self.backward_acts[i] is not None:
                grad = self.backward_acts[i](grad, pre[i], out[i])
            weight, transposed, bias = self.plan[i]
            matrix_grad = torch.bmm(inputs[i].transpose(1, 2), grad)  # (K, in, out) of the matrix as used
            matrix_grad = matrix_grad.transpose(1, 2) if transposed else matrix_grad
            grads[weight] = grads[weight] + matrix_grad if weight in grads else matrix_grad
            grads[bias] = grad.sum(dim=1, keepdim=True)
            if i:
                matrix = params[weight].transpose(1, 2) if transposed else params[weight]
                grad = torch.bmm(grad, matrix.transpose(1, 2))
        return losses, grads
