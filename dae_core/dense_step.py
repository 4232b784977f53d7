"""A dense autoencoder's training step with its backward pass written out, for models too small to pay autograd.

For the engine's usual models (a few layers of a few dozen units, batches of 32), most of a training step's time is
PyTorch's fixed cost per operation, and autograd adds its own: recording the graph as the forward pass runs, then
walking it (about 120 µs a step for the tutorial's 20-8-20 model, more than the arithmetic). :class:`DenseStep` runs
the same forward pass without autograd and derives the gradients itself, layer by layer, with the very kernels
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
# the loss of an output y against its target t, averaged over every element as F.*_loss does (huber's delta 1)
_nn = torch._C._nn  # what F.*_loss call, without their Python wrappers (3 µs a call)
_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mse": lambda y, t: _nn.mse_loss(y, t, MEAN),
    "l1": lambda y, t: _nn.l1_loss(y, t, MEAN),
    "huber": lambda y, t: _nn.huber_loss(y, t, MEAN, 1.0),
}


class DenseStep:
    """The loss and the gradients of an untied dense autoencoder for one batch, without autograd.

    ``step(noisy, clean)``, with autograd off, returns (the batch's loss as a 0-d tensor, one gradient per parameter
    in the order of ``model.parameters()``), for an optimizer's ``step(grads)``. The forward pass is the model's own
    (``model.layer_plan()``: its layers and activations).
    """

    def __init__(self, model: DenoisingAutoencoder, loss: str):
        params = dict(model.named_parameters())
        plan = model.layer_plan()
        self.forward = [(params[weight], params[bias], act) for weight, _, bias, act in plan]
        assert [t for weight, bias, _ in self.forward for t in (weight, bias)] == list(params.values()), "the order"
        names = [model.activation] * (len(plan) - 1) + [model.output_activation]
        # the walk back, output to input: (layer index, its weight, its activation's backward)
        self.backward = [(i, self.forward[i][0], _BACKWARD[names[i]]) for i in reversed(range(len(plan)))]
        self.loss_name, self.loss = loss, _LOSSES[loss]
        self.one = self.forward[0][0].new_ones(())
        self._scales: dict[int, torch.Tensor] = {}  # the loss gradient's factor, by the batch's element count

    def step(self, noisy: torch.Tensor, clean: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Call it without autograd: the trainer holds ``torch.inference_mode()`` for a whole epoch, where each op
        skips autograd's and the version counter's bookkeeping (a step of the tutorial's model: 13 % less)."""
        x, saved = noisy, []
        for weight, bias, act in self.forward:
            z = F.linear(x, weight, bias)
            saved.append((x, z))
            x = z if act is None else act(z)
        loss, grad = self.loss(x, clean), self._loss_gradient(x, clean)
        grads: list[torch.Tensor] = [grad] * (2 * len(saved))
        out = x
        for i, weight, act_backward in self.backward:
            inputs, z = saved[i]
            if act_backward is not None:
                grad = act_backward(grad, z, out)
            grads[2 * i] = torch.mm(grad.t(), inputs)  # (out, in), as the weight
            grads[2 * i + 1] = grad.sum(0)
            if i:
                grad = torch.mm(grad, weight)
            out = inputs
        return loss, grads

    def _loss_gradient(self, y: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """d(loss)/d(y) as aten's ``*_loss_backward`` computes it: mse 2/N times (y - t), l1 sign(y - t)/N."""
        n = y.numel()
        scale = self._scales.get(n)
        if scale is None:  # a tensor: multiplying by a Python number costs ~3 µs more
            scale = self._scales[n] = self.one * ((2 if self.loss_name == "mse" else 1) / n)
        if self.loss_name == "mse":
            return torch.sub(y, t).mul_(scale)
        if self.loss_name == "l1":
            return torch.sgn(y - t).mul_(scale)
        return _aten.huber_loss_backward.default(self.one, y, t, MEAN, 1.0)


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
        plan = model.layer_plan()
        self.plan = [(weight, transposed, bias) for weight, transposed, bias, _ in plan]
        self.forward_acts = [act for *_, act in plan]
        names = [model.activation] * (len(self.plan) - 1) + [model.output_activation]
        self.backward_acts = [_BACKWARD[name] for name in names]
        self.loss = loss
        self._weights: torch.Tensor | None = None  # the ``weights`` the scales below were made for
        self._scales: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def _scale(self, weights: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(weights / n, 2 weights / n) as (K, 1, 1), made once while the caller passes the same ``weights`` (the
        sweep makes one per epoch): 2 ops, one with a Python number, saved on every step."""
        if self._weights is not weights:
            self._weights, self._scales = weights, {}
        if n not in self._scales:
            scale = (weights / n).view(-1, 1, 1)
            self._scales[n] = (scale, scale * 2)
        return self._scales[n]

    def step(self, params: dict[str, torch.Tensor], noisy: torch.Tensor, clean: torch.Tensor, weights: torch.Tensor
             ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:  # fmt: skip
        """(K, B, D) noisy inputs, (B, D) clean rows: (each member's loss (K,), each parameter's gradient by name).
        Call it without autograd, as :meth:`DenseStep.step`."""
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
        scale, twice = self._scale(weights, x.shape[1] * x.shape[2])  # d(sum of weighted means)/d(an element's loss)
        if self.loss == "mse":
            losses, grad = diff.square().mean(dim=(1, 2)), diff.mul(twice)  # 2 diff w/n, as (2 diff) w/n: bit for bit
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
