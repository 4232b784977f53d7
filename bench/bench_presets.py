"""Each built-in dataset's preset (``lessons.PRESETS``) against the best a hyperparameter search finds for the same
data, noise type, test noise and epochs: is the preset within 5% of the best test MSE?

    python bench/bench_presets.py                         # every built-in dataset, 20 trials each (~6 minutes)
    python bench/bench_presets.py --data digits moons --trials 30

Each search is ``python -m dae_core tune`` on the preset's own settings (its flags from ``share.to_cli_command``),
scored on the preset's own fixed noisy test set (the default test noise), over the training noise level, the code
size, the learning rate and the hidden layers. The preset is trial 0 of each search when the space holds it; it is
also trained on its own with ``train --json``, and its test MSE is compared with the best of the search. MNIST and
Fashion-MNIST are measured only when their files are in the data folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from dae_core.config import RunConfig, noise_level_range
from dae_core.lessons import PRESETS, preset_for
from dae_core.share import to_cli_command

TOLERANCE = 0.05


def search_space(preset: RunConfig) -> str:
    """The search around a preset: its noise type's useful levels, code size, learning rate and a few layer shapes
    that include its own."""
    low, high = noise_level_range(preset.noise.noise)
    top = max(preset.noise.noise_level, min(high, 0.9 if preset.noise.noise != "gaussian" else 1.0))
    if preset.model.architecture == "conv":
        return f"noise_level={low:g}..{top:g} code_channels=4..64:log lr=1e-4..1e-2:log conv_channels=16|32|32,64"
    shapes = {"none", "64", "128", "128,64", ",".join(map(str, preset.model.hidden_layers)) or "none"}
    return (f"noise_level={low:g}..{top:g} hidden_dim=2..128:log lr=1e-4..3e-2:log "
            f"hidden_layers={'|'.join(sorted(shapes))}")  # fmt: skip


def flags_of(preset: RunConfig) -> list[str]:
    return shlex.split(to_cli_command(preset).split("  #")[0])[4:]  # after `python -m dae_core train`


def run_json(args: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-m", "dae_core", *args, "--json"], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def available(dataset: str) -> bool:
    if dataset not in ("mnist", "fashion-mnist"):
        return True
    from dae_core.idx import data_dir

    return (data_dir() / "datasets" / dataset).is_dir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=list(PRESETS), help="datasets to measure")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"| dataset | preset test MSE | best found | best settings | preset / best | within {TOLERANCE:.0%} | s |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        storage = f"sqlite:///{os.path.join(folder, 'presets.db')}"
        for dataset in args.data:
            if not available(dataset):
                print(f"| {dataset} | – | – | its files are not in the data folder | – | – | – |", flush=True)
                continue
            preset = preset_for(RunConfig().replace(dataset=dataset)).replace(seed=args.seed)
            started = time.perf_counter()
            own = run_json(["train", *flags_of(preset)])["test_mse"]
            tuned = run_json(["tune", *flags_of(preset), "--search", search_space(preset), "--trials",
                              str(args.trials), "--storage", storage, "--study", dataset])  # fmt: skip
            best = min(tuned["best_value"], own)
            settings = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                                 for k, v in tuned["best_params"].items())  # fmt: skip
            ratio = own / best
            print(f"| {dataset} | {own:.4g} | {tuned['best_value']:.4g} | {settings} | {ratio:.3f} | "
                  f"{'yes' if ratio <= 1 + TOLERANCE else 'no'} | {time.perf_counter() - started:.0f} |",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
