"""A residual convolutional denoiser for whole photographs, scored against the classic filters on the same picture.

The network is DnCNN's (Zhang et al. 2017): 3 x 3 convolutions, batch norm between them, and an output that is the
input minus what the network takes for the noise. It is a denoising autoencoder without a bottleneck: it learns to
map corrupted pixels back to clean ones, and being fully convolutional it denoises a photograph of any size.

It learns from two sources at once, in a time budget:
- random patches of a clean photograph (flipped and rotated: 8 views of each) with fresh Gaussian noise, the
  classic supervised DAE;
- optionally, patches of the noisy photograph it is asked to denoise, by Recorrupted-to-Recorrupted (Pang et al.
  2021): input y + αz, target y − z/α with a fresh z of the same σ. For Gaussian noise the target's noise is then
  independent of the input's, so the loss is the supervised one plus a constant: the noisy picture teaches the
  network its own textures without a clean copy. Measured in 60 s on 2 CPU cores: +0.9 dB on china and +2.8 dB on
  flower over a network that saw only the other photograph.

The classic filters are given their best case: each filter's width is the one that scores best against the clean
photograph (an oracle no real denoiser has), and non-local means knows the true σ.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import classic
from .errors import ConfigError, DataError
from .metrics import psnr

COLUMNS = ("noisy", "gaussian_blur", "median", "nl_means", "conv_dae")  # a comparison's results, in order
HEADINGS = ("noisy", "best blur", "best median", "non-local means", "conv DAE")  # each one's name in a table
CROP = 192  # side of the crop each picture shows in a side-by-side PNG, in pixels
NL_MEANS_H = (0.6, 0.8, 1.0)  # non-local means' strength, times the true σ: the best of these is its score
R2R_ALPHA = 0.5  # Recorrupted-to-Recorrupted's α: input noise σ·√(1 + α²), target noise σ·√(1 + 1/α²)
ENSEMBLE_VIEWS = 8  # the flips and quarter turns of a square: the network's output averaged over all 8


@dataclass(frozen=True)
class PhotoDenoiserConfig:
    """The network, its training and its budget. ``self_supervised``: the share of each batch cut from the noisy
    photograph being denoised (0: only the clean training photograph)."""

    depth: int = 8  # convolutions, the first and last included
    channels: int = 32
    patch: int = 40  # side of the square training patches, in pixels
    batch_size: int = 32
    lr: float = 3e-3  # Adam's, falling to 0 on a cosine over the budget
    seconds: float = 180.0  # the training budget, wall time
    self_supervised: float = 0.75
    ensemble: bool = True  # average the network's output over the 8 flips and rotations of the photograph
    seed: int = 0

    def __post_init__(self):
        problems = []
        for name, low, high in (("depth", 3, 30), ("channels", 1, 256), ("patch", 8, 128), ("batch_size", 1, 1024)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.append(f"The '{name}' parameter must be an int in [{low}, {high}]. Got {value!r} instead.")
        for name, low, high in (("lr", 0.0, 1.0), ("seconds", 0.0, 86_400.0), ("self_supervised", 0.0, 1.0)):
            value = getattr(self, name)
            zero = name == "self_supervised"  # a share may be 0; a learning rate or a budget may not
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
            if not ok or not (zero or value > 0):
                bracket = "[" if zero else "("
                problems.append(
                    f"The '{name}' parameter must be a number in {bracket}{low:g}, {high:g}]. Got {value!r} instead."
                )
        if problems:
            raise ConfigError("\n".join(problems))


class ResidualDenoiser(nn.Module):
    """DnCNN: conv + ReLU, then ``depth`` − 2 × (conv, batch norm, ReLU), then conv to one channel, the noise;
    ``forward`` returns the input minus it. Inputs and outputs are (B, 1, H, W) grayscale in [0, 1]."""

    def __init__(self, depth: int = 8, channels: int = 32):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(1, channels, 3, padding=1), nn.ReLU()]
        for _ in range(depth - 2):
            layers += [nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.ReLU()]
        layers.append(nn.Conv2d(channels, 1, 3, padding=1))
        self.noise = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.noise(x)


@dataclass(frozen=True)
class PhotoTraining:
    steps: int
    patches: int  # patches seen: steps × batch size
    seconds: float  # wall time of the training loop
    device: str


def _views(x: torch.Tensor, k: int) -> torch.Tensor:
    """The ``k``-th of the 8 flips and quarter turns of (…, H, W) images."""
    x = torch.rot90(x, k % 4, (-2, -1))
    return x.flip(-1) if k >= 4 else x


def _unview(x: torch.Tensor, k: int) -> torch.Tensor:
    x = x.flip(-1) if k >= 4 else x
    return torch.rot90(x, -(k % 4), (-2, -1))


def _crops(image: torch.Tensor, n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """(n, 1, size, size) random crops of the (H, W) ``image``, the batch in one of its 8 views. ``generator`` is a
    CPU one: the corners and the view are drawn on the host, and the crops gathered on the image's device in one go."""
    height, width = image.shape
    tops = torch.randint(0, height - size + 1, (n, 1, 1), generator=generator)
    lefts = torch.randint(0, width - size + 1, (n, 1, 1), generator=generator)
    view = int(torch.randint(0, ENSEMBLE_VIEWS, (1,), generator=generator))
    offsets = torch.arange(size)
    rows, cols = (tops + offsets[:, None]).to(image.device), (lefts + offsets).to(image.device)
    return _views(image[rows, cols][:, None], view)  # (n, 1, size, size)


def recorrupt(noisy: torch.Tensor, sigma: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Recorrupted-to-Recorrupted's (input, target) for a picture y with Gaussian noise of ``sigma``: y + αz and
    y − z/α, z ~ N(0, σ²) fresh. Their noises n + αz and n − z/α are uncorrelated (σ² − σ² = 0), and being Gaussian,
    independent: the network cannot predict the target's noise, so it learns the clean picture's expectation."""
    z = sigma * torch.randn(noisy.shape, generator=generator, device=noisy.device)
    return noisy + R2R_ALPHA * z, noisy - z / R2R_ALPHA


def _photo(image, what: str, size: int) -> np.ndarray:
    image = np.asarray(image, np.float32)
    if image.ndim != 2 or min(image.shape) < size:
        raise DataError(
            f"The {what} must be a 2-D grayscale array of at least {size} x {size} pixels (the training patches). "
            f"Got shape {image.shape} instead."
        )
    return image


def train(
    clean: np.ndarray,
    sigma: float,
    cfg: PhotoDenoiserConfig = PhotoDenoiserConfig(),
    device: str | torch.device = "cpu",
    noisy: np.ndarray | None = None,
    max_steps: int | None = None,
) -> tuple[ResidualDenoiser, PhotoTraining]:
    """A :class:`ResidualDenoiser` trained for ``cfg.seconds`` (or ``max_steps`` steps, whichever ends first) on
    patches of the clean (H, W) photograph with Gaussian noise of ``sigma``, and, for ``cfg.self_supervised`` of
    each batch, on patches of the ``noisy`` photograph by Recorrupted-to-Recorrupted. On a GPU it runs in bf16
    autocast. With ``max_steps`` the learning rate's cosine runs over the steps, so the same seed and step count
    give the same network on the same device; over a time budget, the machine's speed decides how far it gets."""
    device = torch.device(device)
    clean_t = torch.as_tensor(_photo(clean, "clean photograph", cfg.patch), device=device)
    own = round(cfg.batch_size * cfg.self_supervised) if noisy is not None else 0
    noisy_t = torch.as_tensor(_photo(noisy, "noisy photograph", cfg.patch), device=device) if own else None
    torch.manual_seed(cfg.seed)  # the layers' initial weights
    model = ResidualDenoiser(cfg.depth, cfg.channels).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    generator = torch.Generator(device).manual_seed(cfg.seed)  # the noise, drawn where the model is
    places = torch.Generator().manual_seed(cfg.seed)  # which patches, and which view of them
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    steps, start = 0, time.perf_counter()
    model.train()
    while (elapsed := time.perf_counter() - start) < cfg.seconds and (max_steps is None or steps < max_steps):
        progress = steps / max_steps if max_steps else elapsed / cfg.seconds  # steps: the same on any machine
        for group in optimizer.param_groups:  # cosine from lr to 0 over the budget
            group["lr"] = cfg.lr * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        inputs, targets = [], []
        if own < cfg.batch_size:  # supervised: clean patches, fresh noise
            x = _crops(clean_t, cfg.batch_size - own, cfg.patch, places)
            inputs.append(x + sigma * torch.randn(x.shape, generator=generator, device=device))
            targets.append(x)
        if own:  # patches of the noisy photograph itself
            pair = recorrupt(_crops(noisy_t, own, cfg.patch, places), sigma, generator)
            inputs.append(pair[0])
            targets.append(pair[1])
        inputs, targets = torch.cat(inputs), torch.cat(targets)
        with autocast:
            loss = F.mse_loss(model(inputs).float(), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        steps += 1
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    return model.eval(), PhotoTraining(steps, steps * cfg.batch_size, seconds, str(device))


@torch.no_grad()
def denoise(model: ResidualDenoiser, noisy: np.ndarray, ensemble: bool = True) -> np.ndarray:
    """The (H, W) noisy photograph denoised at full size, clipped to [0, 1]; with ``ensemble``, the mean of the
    network's outputs over the picture's 8 flips and rotations (each mapped back)."""
    parameter = next(model.parameters())
    x = torch.as_tensor(_photo(noisy, "noisy photograph", 1), device=parameter.device)[None, None]
    views = range(ENSEMBLE_VIEWS) if ensemble else range(1)
    out = sum(_unview(model(_views(x, k)).float(), k) for k in views) / len(views)
    return out[0, 0].clamp(0, 1).cpu().numpy()


@dataclass(frozen=True)
class Denoised:
    """One denoiser's result on the test photograph: its PSNR against the clean one and its picture."""

    name: str  # "noisy", "gaussian_blur", "median", "nl_means" or "conv_dae"
    width: float | None  # the classic filter's chosen width (σ px, window side px, h); None otherwise
    psnr: float
    image: np.ndarray  # (H, W) in [0, 1]


def _best(clean: np.ndarray, name: str, widths, apply: Callable[[float], np.ndarray]) -> Denoised:
    """The width whose output scores best against the clean photograph, its PSNR and its picture."""
    results = [(width, apply(width)) for width in widths]
    width, image = max(results, key=lambda result: psnr(clean, result[1]))
    return Denoised(name, width, psnr(clean, image), image)


def classic_filters(clean: np.ndarray, noisy: np.ndarray, sigma: float) -> list[Denoised]:
    """The best Gaussian blur, the best median filter and non-local means at the true ``sigma`` (best of
    ``NL_MEANS_H`` strengths) on the (H, W) noisy photograph, scored against the clean one."""
    shape, row = noisy.shape, noisy.reshape(1, -1)

    def filtered(apply, **kwargs) -> Callable[[float], np.ndarray]:
        return lambda width: apply(row, width, shape, **kwargs).reshape(shape)

    return [
        _best(clean, "gaussian_blur", classic.BLUR_SIGMAS[1:], filtered(classic.blur)),
        _best(clean, "median", classic.MEDIAN_SIZES[1:], filtered(classic.median)),
        _best(clean, "nl_means", [h * sigma for h in NL_MEANS_H], filtered(classic.nl_means, sigma=sigma)),
    ]


def add_noise(clean: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """The (H, W) photograph with Gaussian noise of ``sigma``, clipped to [0, 1] as a stored picture would be."""
    rng = np.random.default_rng(seed)
    return np.clip(clean + rng.normal(0.0, sigma, clean.shape), 0.0, 1.0).astype(np.float32)


@dataclass(frozen=True)
class PhotoComparison:
    """Every denoiser on one noisy test photograph, and how the network was trained."""

    train_photo: str
    test_photo: str
    sigma: float
    clean: np.ndarray
    results: tuple[Denoised, ...]  # noisy, the three classic filters, the conv DAE
    training: PhotoTraining
    single_pass_psnr: float  # the conv DAE's PSNR from one pass, without the 8 views' mean

    def by_name(self, name: str) -> Denoised:
        return next(result for result in self.results if result.name == name)

    @property
    def gap_to_nl_means(self) -> float:
        """dB the conv DAE is below non-local means (negative: above it)."""
        return self.by_name("nl_means").psnr - self.by_name("conv_dae").psnr

    @property
    def over_best_other_classic(self) -> float:
        """dB the conv DAE is above the better of the blur and the median."""
        best = max(self.by_name("gaussian_blur").psnr, self.by_name("median").psnr)
        return self.by_name("conv_dae").psnr - best


def compare(
    train_photo: np.ndarray,
    test_photo: np.ndarray,
    sigma: float = 25 / 255,
    cfg: PhotoDenoiserConfig = PhotoDenoiserConfig(),
    device: str | torch.device = "cpu",
    *,
    names: tuple[str, str] = ("train", "test"),
    noise_seed: int = 0,
    max_steps: int | None = None,
) -> PhotoComparison:
    """Corrupt the (H, W) test photograph once, train the network on the clean training photograph (and the noisy
    test one, as ``cfg`` says), and score it with the classic filters on the same noisy picture."""
    if not 0 < sigma <= 1:
        raise ConfigError(f"The 'sigma' parameter must be a number in (0, 1]. Got {sigma!r} instead.")
    clean = _photo(test_photo, "test photograph", cfg.patch)
    noisy = add_noise(clean, sigma, noise_seed)
    model, training = train(train_photo, sigma, cfg, device, noisy=noisy, max_steps=max_steps)
    image, single = denoise(model, noisy, cfg.ensemble), denoise(model, noisy, ensemble=False)
    results = (
        Denoised("noisy", None, psnr(clean, noisy), noisy),
        *classic_filters(clean, noisy, sigma),
        Denoised("conv_dae", None, psnr(clean, image), image),
    )
    return PhotoComparison(*names, sigma, clean, results, training, psnr(clean, single))


def write_side_by_side(comparison: PhotoComparison, path) -> None:
    """A ``CROP`` x ``CROP`` crop from the middle of each picture (smaller pictures whole), clean first, in one
    grayscale PNG at ``path``: each at twice its size under its name and PSNR, with white gutters."""
    from PIL import Image, ImageDraw, ImageFont

    height, width = comparison.clean.shape
    crop = min(CROP, height, width)
    top, left = (height - crop) // 2, (width - crop) // 2
    pictures = [("clean", comparison.clean)]
    pictures += [(f"{title}, {comparison.by_name(name).psnr:.2f} dB", comparison.by_name(name).image)
                 for name, title in zip(COLUMNS, HEADINGS)]  # fmt: skip
    side, gutter, label = 2 * crop, 8, 28
    sheet = Image.new("L", (len(pictures) * (side + gutter) - gutter, side + label), 255)
    draw, font = ImageDraw.Draw(sheet), ImageFont.load_default(size=18)
    for i, (title, image) in enumerate(pictures):
        part = np.round(image[top : top + crop, left : left + crop] * 255).astype(np.uint8)
        sheet.paste(Image.fromarray(part, mode="L").resize((side, side), Image.NEAREST), (i * (side + gutter), label))
        draw.text((i * (side + gutter) + 2, 3), title, fill=0, font=font)
    sheet.save(path)
