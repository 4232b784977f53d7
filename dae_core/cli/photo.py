"""``python -m dae_core photo``: denoise a whole photograph with the conv DAE of ``dae_core.photo_denoiser`` and
score it against the best Gaussian blur, the best median filter and non-local means on the same noisy picture.

The photographs are scikit-learn's samples by name (china, flower) or your own PNG or JPEG files, read in grayscale.
Bad input exits with code 2 and one ``error:`` line, as every command does (see ``dae_core.cli``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

from ..config import DEVICES, PHOTOS
from ..errors import ConfigError
from .flags import EXIT_OK, UsageError, parse_float, parse_int

MAX_PHOTO_PIXELS = 2_000_000  # about 1600 x 1200: a pass of the network over it takes seconds on a CPU
SIGMA_LEVELS = (1.0, 100.0)  # the noise's standard deviation, in 8-bit levels
# PhotoDenoiserConfig's defaults, named here so that --help does not import PyTorch (tests/test_cli.py checks them)
DEFAULT_SECONDS, DEFAULT_SELF_SUPERVISED = 180.0, 0.75


def add_photo_parser(commands) -> argparse.ArgumentParser:
    cmd = commands.add_parser(
        "photo",
        help="denoise a whole photograph with a conv DAE and compare it with blur, median and non-local means",
        description="Add Gaussian noise to a photograph, train a residual conv DAE for a time budget on a clean "
        "photograph and on the noisy one itself, denoise the noisy one at full size, and print its PSNR beside the "
        "noisy picture's, the best Gaussian blur's, the best median filter's and non-local means' (each filter at "
        "the width that scores best against the clean picture, non-local means told the true noise level).",
        epilog="Exit status: 0 when done; 2 on bad input.",
        allow_abbrev=False,
    )
    cmd.prog = "python -m dae_core photo"
    names = " or ".join(PHOTOS)
    cmd.add_argument(
        "--train",
        default=PHOTOS[0],
        metavar="PHOTO",
        help=f"the clean photograph it learns from: {names}, or a PNG/JPEG file (default {PHOTOS[0]})",
    )
    cmd.add_argument(
        "--test",
        default=PHOTOS[1],
        metavar="PHOTO",
        help=f"the photograph to corrupt and denoise: {names}, or a PNG/JPEG file (default {PHOTOS[1]})",
    )
    cmd.add_argument(
        "--sigma",
        type=parse_float,
        default=25.0,
        metavar="LEVELS",
        help="the noise's standard deviation in 8-bit levels, 1 to 100 (default 25)",
    )
    cmd.add_argument(
        "--seconds",
        type=parse_float,
        default=DEFAULT_SECONDS,
        metavar="S",
        help=f"training time (default {DEFAULT_SECONDS:g})",
    )
    cmd.add_argument(
        "--self-supervised",
        type=parse_float,
        default=DEFAULT_SELF_SUPERVISED,
        metavar="SHARE",
        help=f"share of each batch cut from the noisy photograph itself, 0 to 1 (default {DEFAULT_SELF_SUPERVISED:g})",
    )
    cmd.add_argument(
        "--no-ensemble",
        action="store_true",
        help="one pass of the network instead of the mean over the picture's 8 flips and rotations",
    )
    cmd.add_argument("--seed", type=parse_int, default=0, metavar="N", help="the noise's and the training's seed")
    cmd.add_argument(
        "--device", default="auto", choices=DEVICES, help="where it trains (default auto: CUDA if present)"
    )
    cmd.add_argument(
        "--threads", type=parse_int, metavar="N", help="torch CPU threads (default: all of this machine's cores)"
    )
    cmd.add_argument("--png", metavar="PATH.png", help="write a crop of each picture side by side")
    cmd.add_argument("--json", action="store_true", help="end with one line holding a JSON report")  # fmt: skip
    cmd.set_defaults(handler=run_photo)
    return cmd


def load_photo(name: str, flag: str):
    """A sample photograph by name, or a PNG/JPEG file in grayscale, as (H, W) float32 in [0, 1]."""
    from ..data import sample_photo
    from ..images import read_grayscale

    if name in PHOTOS:
        return sample_photo(name)
    path = Path(name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(
            f"{flag} {name!r} is neither {' nor '.join(PHOTOS)} nor a file it can read ({reason})."
        ) from None
    return read_grayscale(path.name, data, MAX_PHOTO_PIXELS)


def run_photo(args: argparse.Namespace) -> int:
    low, high = SIGMA_LEVELS
    if not low <= args.sigma <= high:
        raise UsageError(
            f"--sigma must be a number of 8-bit levels in [{low:g}, {high:g}]. Got {args.sigma:g} instead."
        )
    if args.threads is not None and not 1 <= args.threads <= 256:
        raise UsageError(f"--threads must be an int in [1, 256]. Got {args.threads} instead.")
    from ..photo_denoiser import HEADINGS, PhotoDenoiserConfig, compare, write_side_by_side

    try:
        cfg = PhotoDenoiserConfig(
            seconds=args.seconds, self_supervised=args.self_supervised, ensemble=not args.no_ensemble, seed=args.seed
        )
    except ConfigError as exc:  # in the flags' words: "--self-supervised must be ..."
        flags = re.sub(r"The '(\w+)' parameter", lambda m: "--" + m.group(1).replace("_", "-"), str(exc))
        raise UsageError(" ".join(flags.splitlines())) from None
    train_photo, test_photo = load_photo(args.train, "--train"), load_photo(args.test, "--test")
    from ..config import device_label
    from ..records import classic_width
    from ..training import resolve_device, use_torch_threads

    use_torch_threads(args.threads or os.cpu_count() or 1)
    device = resolve_device(args.device)
    sigma = args.sigma / 255
    print(f"Training the conv DAE on {args.train} (clean) and the noisy {args.test} for {cfg.seconds:g} s on "
          f"{device_label(str(device))}...", flush=True)  # fmt: skip
    result = compare(train_photo, test_photo, sigma, cfg, device, names=(args.train, args.test), noise_seed=args.seed)
    training = result.training
    print(f"Trained {training.steps:,} steps ({training.patches:,} patches) in {training.seconds:.1f} s.")
    parts = []
    for denoised, heading in zip(result.results, HEADINGS):
        width = f" ({classic_width(denoised.name, denoised.width)})" if denoised.width is not None else ""
        parts.append(f"{heading}{width} {denoised.psnr:.2f}")
    print(f"PSNR on {args.test}, dB: {', '.join(parts)}.")
    print(f"The conv DAE is {-result.gap_to_nl_means:+.2f} dB against non-local means and "
          f"{result.over_best_other_classic:+.2f} dB against the better of the blur and the median.")  # fmt: skip
    if args.png:
        try:
            write_side_by_side(result, args.png)
        except (OSError, ValueError) as exc:
            raise UsageError(
                f"--png could not write {args.png!r} ({exc}). Choose another path ending in .png."
            ) from None
        print(f"Wrote the pictures side by side to {args.png}")
    if args.json:
        report = {
            "train": args.train,
            "test": args.test,
            "sigma": args.sigma,
            "shape": list(result.clean.shape),
            "psnr": {denoised.name: denoised.psnr for denoised in result.results},
            "single_pass_psnr": result.single_pass_psnr,
            "widths": {denoised.name: denoised.width for denoised in result.results if denoised.width is not None},
            "gap_to_nl_means": result.gap_to_nl_means,
            "over_best_other_classic": result.over_best_other_classic,
            "steps": training.steps,
            "train_seconds": training.seconds,
            "device": training.device,
            "config": {name: getattr(cfg, name) for name in cfg.__dataclass_fields__},
        }
        print(json.dumps(report), flush=True)
    return EXIT_OK
