"""The hand-derived training step gives autograd's loss and gradients, for every activation and loss."""

import pytest
import torch

from dae_core import RunConfig, Trainer
from dae_core.config import ACTIVATIONS, LOSSES
from dae_core.dense_step import BatchedDenseStep, dense_step
from dae_core.model import DenoisingAutoencoder
from dae_core.training import LOSS_FUNCTIONS


def autograd_step(model, loss_name, noisy, clean):
    model.zero_grad(set_to_none=True)
    loss = LOSS_FUNCTIONS[loss_name](model(noisy), clean)
    loss.backward()
    return loss.detach(), [param.grad for param in model.parameters()]


@pytest.mark.parametrize("loss_name", LOSSES)
@pytest.mark.parametrize("output", ["identity", "sigmoid"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_loss_and_every_gradient_match_autograd(activation, output, loss_name):
    generator = torch.Generator().manual_seed(3)
    model = DenoisingAutoencoder(7, 3, (5,), activation, output, generator=generator).double()
    noisy, clean = torch.randn(11, 7, generator=generator).double(), torch.rand(11, 7, generator=generator).double()
    clean[0, 0] = noisy[0, 0] = 0.5  # a tie for l1 and huber at the output, where their gradient is defined as 0
    loss, grads = dense_step(model, loss_name).step(noisy, clean)
    expected_loss, expected = autograd_step(model, loss_name, noisy, clean)
    torch.testing.assert_close(loss, expected_loss, rtol=1e-6, atol=1e-9)
    assert len(grads) == len(expected) == 8
    for mine, theirs in zip(grads, expected, strict=True):
        assert mine.shape == theirs.shape
        torch.testing.assert_close(mine, theirs, rtol=1e-6, atol=1e-9)


def test_float32_steps_agree_with_autograd_to_float_rounding():
    generator = torch.Generator().manual_seed(0)
    model = DenoisingAutoencoder(64, 16, (128,), "leaky_relu", "sigmoid", generator=generator)
    noisy, clean = torch.rand(32, 64, generator=generator), torch.rand(32, 64, generator=generator)
    _, grads = dense_step(model, "mse").step(noisy, clean)
    for mine, theirs in zip(grads, autograd_step(model, "mse", noisy, clean)[1], strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-7)


def test_tied_weights_and_conv_models_train_through_autograd():
    assert dense_step(DenoisingAutoencoder(6, 2, tied_weights=True), "mse") is None
    conv = Trainer(RunConfig().replace(dataset="digits", architecture="conv", n_samples=60, epochs=1))
    assert conv.dense_step is None


def test_a_run_by_hand_trains_as_a_run_through_autograd(tiny_config):
    by_hand, autograd = Trainer(tiny_config), Trainer(tiny_config)
    autograd.dense_step = None
    assert by_hand.dense_step is not None
    mine, theirs = list(by_hand.epochs()), list(autograd.epochs())
    assert [r.train_loss for r in mine] == pytest.approx([r.train_loss for r in theirs], rel=1e-4)
    assert mine[-1].test_mse == pytest.approx(theirs[-1].test_mse, rel=1e-4)


@pytest.mark.parametrize("loss_name", LOSSES)
@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("activation", ["leaky_relu", "tanh", "gelu"])
def test_a_batched_step_matches_autograd_for_every_member(activation, tied, loss_name):
    """Three members stacked, the middle one resting (its gradient is zero), tied weights summing two gradients."""
    generator = torch.Generator().manual_seed(5)
    model = DenoisingAutoencoder(6, 2, (4,), activation, "sigmoid", tied_weights=tied, generator=generator).double()
    plan = model.layer_plan()
    names = {name for weight, _, bias, _ in plan for name in (weight, bias)}
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    params = {  # weights (K, in, out), biases (K, 1, out), as the sweep stacks them
        name: torch.randn((3, *shapes[name][::-1]) if len(shapes[name]) == 2 else (3, 1, shapes[name][0]),
                          generator=generator, dtype=torch.float64).requires_grad_()
        for name in names
    }  # fmt: skip
    noisy = torch.randn(3, 9, 6, generator=generator, dtype=torch.float64)
    clean = torch.rand(9, 6, generator=generator, dtype=torch.float64)
    weights = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    losses, grads = BatchedDenseStep(model, loss_name).step(params, noisy, clean, weights)
    x = noisy
    for weight, transposed, bias, act in plan:
        x = torch.baddbmm(params[bias], x, params[weight].transpose(1, 2) if transposed else params[weight])
        x = act(x) if act is not None else x
    expected = LOSS_FUNCTIONS[loss_name](x, clean.expand_as(x), reduction="none").mean(dim=(1, 2))
    (expected * weights).sum().backward()
    torch.testing.assert_close(losses, expected.detach(), rtol=1e-6, atol=1e-9)
    assert set(grads) == names
    for name in names:
        torch.testing.assert_close(grads[name], params[name].grad, rtol=1e-6, atol=1e-9)
    assert not grads[plan[0][0]][1].any()  # the resting member's
