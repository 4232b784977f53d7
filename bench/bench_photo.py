"""Benchmark: a conv DAE against the classic filters on a whole photograph, in both directions.

On scikit-learn's two sample photographs in grayscale (427 x 640), Gaussian noise σ = 25/255 clipped to [0, 1]:
the network of ``dae_core.photo_denoiser`` trains for a time budget on patches of one photograph (and, by
Recorrupted-to-Recorrupted, on the noisy other one) and denoises the other at full size. Beside it: the noisy
picture, the best Gaussian blur, the best median filter and non-local means at the true σ (each filter's width the
best against the clean picture). Prints a Markdown table, PSNR in dB, and writes one PNG per direction with a crop
of each picture side by side.

    python bench/bench_photo.py                          # 3 minutes per direction on the CPU (or a GPU, --device)
    python bench/bench_photo.py --seconds 60 --device cuda
    python bench/bench_photo.py --self-supervised 0      # the network sees only the clean training photograph
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from dae_core.data import PHOTOS, sample_photo
from dae_core.photo_denoiser import COLUMNS, HEADINGS, PhotoDenoiserConfig, compare, write_side_by_side


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU, {torch.get_num_threads()} thread(s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seconds", type=float, default=180.0, help="training budget per direction (default 180)")
    parser.add_argument("--self-supervised", type=float, default=PhotoDenoiserConfig.self_supervised,
                        help="share of each batch from the noisy test photograph (default %(default)s)")  # fmt: skip
    parser.add_argument("--no-ensemble", action="store_true", help="one pass instead of the mean over 8 views")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    parser.add_argument("--out", type=Path, default=None, help="write photo-TRAIN-to-TEST.png side by sides here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cfg = PhotoDenoiserConfig(seconds=args.seconds, self_supervised=args.self_supervised, ensemble=not args.no_ensemble)
    print(f"{device_name(device)}, torch {torch.__version__}; {cfg}\n")
    print_table(cfg, device, args.out)


def print_table(cfg: PhotoDenoiserConfig, device: torch.device, out: Path | None = None) -> None:
    """The Markdown table, a row per direction as it finishes, and the side-by-side PNGs in ``out``."""
    extra = ("conv DAE, one pass", "conv DAE − NLM", "conv DAE − best other", "steps")
    print("| train → test photograph | " + " | ".join(HEADINGS + extra) + " |")
    print("|---|" + "---:|" * (len(HEADINGS) + len(extra)))
    for train_name, test_name in (PHOTOS, PHOTOS[::-1]):
        result = compare(sample_photo(train_name), sample_photo(test_name), cfg=cfg, device=device,
                         names=(train_name, test_name))  # fmt: skip
        cells = [f"{result.by_name(name).psnr:.2f}" for name in COLUMNS]
        cells += [f"{result.single_pass_psnr:.2f}", f"{-result.gap_to_nl_means:+.2f}"]
        cells += [f"{result.over_best_other_classic:+.2f}", str(result.training.steps)]
        print(f"| {train_name} → {test_name} | " + " | ".join(cells) + " |", flush=True)
        widths = {name: result.by_name(name).width for name in COLUMNS[1:4]}
        print(f"<!-- widths on {test_name}: blur σ {widths['gaussian_blur']:g} px, median {widths['median']:g} px, "
              f"non-local means h {widths['nl_means']:.4f} -->")  # fmt: skip
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            write_side_by_side(result, out / f"photo-{train_name}-to-{test_name}.png")


if __name__ == "__main__":
    main()
