"""Adam, AdamW and SGD with momentum: the steps ``torch.optim`` takes, without its compiler hooks.

Every ``torch.optim`` optimizer imports ``torch._dynamo``, PyTorch's compiler (about a second on a small machine),
the first time it is built or steps, only to mark its own steps as not to be compiled. The engine never compiles,
so it calls the same kernels directly (``torch._fused_adam_`` and ``torch._fused_adamw_``, the ones
``torch.optim.Adam(fused=True)`` calls, and SGD's few tensor operations), and a command-line run or a fresh worker
starts that much sooner. ``tests/test_optim.py`` checks each step against ``torch.optim``'s, bit for bit.

Only what the engine uses is here: one group of parameters on one device, a learning rate that may change between
steps (``param_groups[0]["lr"]``, as in ``torch.optim``), no AMSGrad, no gradient scaling and no state dict: a run
that resumes starts its optimizer afresh.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class Optimizer:
    """The parameters and the learning rate, kept where ``torch.optim`` keeps them (``param_groups``)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float, weight_decay: float):
        self.params = list(params)
        self.weight_decay = weight_decay
        self.param_groups = [{"params": self.params, "lr": lr}]
        self.steps = 0  # steps taken

    @property
    def lr(self) -> float:
        return self.param_groups[0]["lr"]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every gradient (``torch.optim``'s default, ``set_to_none``: the next backward writes fresh ones)."""
        if not set_to_none:
            raise ValueError("zero_grad keeps no zeroed gradients: call it with set_to_none=True")
        for param in self.params:
            param.grad = None

    def _with_grads(self) -> list[int]:
        """Which parameters have a gradient now (a parameter the loss did not reach is skipped, as in torch.optim)."""
        return [i for i, param in enumerate(self.params) if param.grad is not None]


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) in one fused kernel per step; ``decoupled``: AdamW (Loshchilov and Hutter, 2019)."""

    def __init__(self, params, lr: float, weight_decay: float = 0.0, *, decoupled: bool = False,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):  # fmt: skip
        super().__init__(params, lr, weight_decay)
        self.betas, self.eps = betas, eps
        self._kernel = torch._fused_adamw_ if decoupled else torch._fused_adam_
        self._means = [torch.zeros_like(param) for param in self.params]
        self._squares = [torch.zeros_like(param) for param in self.params]
        device = self.params[0].device if self.params else None
        self._counts = torch.zeros(len(self.params), dtype=torch.float32, device=device)  # steps, per parameter
        self._steps = list(self._counts.unbind())  # a view of each: the kernel reads them, one add moves them all
        self._one = self._counts.new_ones(())  # adding a tensor: adding the Python number 1 costs ~3 µs more

    def step(self, grads: list[torch.Tensor] | None = None) -> None:
        """One step, with each parameter's ``.grad``, or with ``grads`` (one per parameter, in order). A parameter
        without a gradient keeps its value, its moments and its step count, as in torch.optim."""
        if torch.is_grad_enabled():  # the trainer's hand-derived steps already run without it: no context to enter
            with torch.no_grad():
                return self.step(grads)
        self.steps += 1
        if grads is not None:
            every, params = True, self.params
        else:
            indices = self._with_grads()
            every = len(indices) == len(self.params)
            params = self.params if every else [self.params[i] for i in indices]
            grads = [param.grad for param in params]
        if not params:
            return
        if every:
            self._counts.add_(self._one)
            means, squares, steps = self._means, self._squares, self._steps
        else:
            state = (self._means, self._squares, self._steps)
            means, squares, steps = ([column[i] for i in indices] for column in state)
            torch._foreach_add_(steps, 1)
        self._kernel(
            params,
            grads,
            means,
            squares,
            [],
            steps,
            amsgrad=False,
            lr=self.lr,
            beta1=self.betas[0],
            beta2=self.betas[1],
            weight_decay=self.weight_decay,
            eps=self.eps,
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )


class SGD(Optimizer):
    """Stochastic gradient descent with heavy-ball momentum (no dampening, no Nesterov), as ``torch.optim.SGD``."""

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr, weight_decay)
        self.momentum = momentum
        self._buffers: dict[int, torch.Tensor] = {}

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor] | None = None) -> None:
        """One step, with each parameter's ``.grad``, or with ``grads`` (one per parameter, in order)."""
        self.steps += 1
        for i in range(len(self.params)) if grads is not None else self._with_grads():
            param = self.params[i]
            grad = grads[i] if grads is not None else param.grad
            grad = grad if self.weight_decay == 0 else grad.add(param, alpha=self.weight_decay)
            if self.momentum != 0:
                buffer = self._buffers.get(i)
                if buffer is None:
                    buffer = self._buffers[i] = torch.clone(grad).detach()
                else:
                    buffer.mul_(self.momentum).add_(grad)
                grad = buffer
            param.add_(grad, alpha=-self.lr)


def make_optimizer(params, cfg) -> Optimizer:
    """The optimizer ``cfg`` (a ``TrainConfig``) names, over ``params`` (a model's, or a sweep's stacked ones)."""
    if cfg.optimizer in ("adam", "adamw"):
        return Adam(params, cfg.lr, cfg.weight_decay, decoupled=cfg.optimizer == "adamw")
    return SGD(params, cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
