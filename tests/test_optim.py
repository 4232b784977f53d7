"""The engine's optimizers take torch.optim's steps bit for bit, without importing PyTorch's compiler."""

import subprocess
import sys

import pytest
import torch

from dae_core.config import TrainConfig
from dae_core.optim import make_optimizer


def reference(name: str, params, lr: float, weight_decay: float, momentum: float):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=True)
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def train(optimizer, params, steps: int, change_lr_at: int) -> None:
    generator = torch.Generator().manual_seed(1)
    for step in range(steps):
        if step == change_lr_at:
            optimizer.param_groups[0]["lr"] *= 0.3
        x = torch.randn(16, 5, generator=generator)
        loss = ((x @ params[0] + params[1]).tanh() @ params[2]).pow(2).mean()
        if step % 4 == 3:  # a step where one parameter gets no gradient: it keeps its value and its moments
            loss = (x @ params[0]).pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


@pytest.mark.parametrize(
    "name, weight_decay, momentum",
    [("adam", 0.0, 0.0), ("adam", 1e-3, 0.0), ("adamw", 1e-2, 0.0), ("sgd", 0.0, 0.9), ("sgd", 1e-3, 0.0),
     ("sgd", 1e-3, 0.9)],
)  # fmt: skip
def test_every_step_matches_torch_optim_bit_for_bit(name, weight_decay, momentum):
    generator = torch.Generator().manual_seed(0)
    start = [torch.randn(shape, generator=generator) for shape in ((5, 7), (7,), (7, 3))]
    ours = [t.clone().requires_grad_() for t in start]
    theirs = [t.clone().requires_grad_() for t in start]
    config = TrainConfig(optimizer=name, lr=0.01, weight_decay=weight_decay, momentum=momentum)
    train(make_optimizer(ours, config), ours, steps=12, change_lr_at=6)
    train(reference(name, theirs, 0.01, weight_decay, momentum), theirs, steps=12, change_lr_at=6)
    for mine, torchs in zip(ours, theirs, strict=True):
        assert torch.equal(mine, torchs)
    assert not torch.equal(ours[0], start[0])  # it did train


def test_zero_grad_keeps_no_zeroed_gradients():
    optimizer = make_optimizer([torch.zeros(2, requires_grad=True)], TrainConfig())
    with pytest.raises(ValueError, match="set_to_none=True"):
        optimizer.zero_grad(set_to_none=False)


def test_a_training_run_does_not_import_the_compiler():
    code = (
        "import sys; from dae_core import RunConfig, train; "
        "train(RunConfig().replace(n_samples=200, epochs=2)); "
        "print(sorted(m for m in sys.modules if m.startswith(('torch._dynamo', 'sklearn'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
