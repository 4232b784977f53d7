"""Check that the engine trains, evaluates, saves and reloads on a CUDA GPU, and agrees with the CPU.

Run by hand on a machine with a GPU: ``python bench/cuda_check.py``. It needs torch, numpy, scikit-learn and
safetensors (not plotly or streamlit). It prints one line per check and exits non-zero on the first failure.
"""

from __future__ import annotations

import io
import json
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

from dae_core import RunConfig, Trainer, model_file
from dae_core.cli import main
from dae_core.serving.job import TrainingJob
from dae_core.sweep import Sweep, expand


def check(name: str, ok: bool, detail: str) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)
    if not ok:
        sys.exit(1)


def final_metrics(config: RunConfig) -> tuple[float, float, float, Trainer]:
    start = time.perf_counter()
    trainer = Trainer(config)
    records = list(trainer.epochs())
    return records[-1].test_mse, records[-1].pca_mse, time.perf_counter() - start, trainer


def main_check() -> None:
    check("cuda available", torch.cuda.is_available(), f"torch {torch.__version__}")
    print(f"     device: {torch.cuda.get_device_name(0)}")
    for name, config in {
        "seed defaults": RunConfig(),
        "digits 64-128-16": RunConfig().replace(dataset="digits", hidden_layers=[128], hidden_dim=16, noise_level=0.4),
    }.items():
        cpu_mse, pca, cpu_s, _ = final_metrics(config.replace(device="cpu"))
        gpu_mse, _, gpu_s, trainer = final_metrics(config.replace(device="cuda"))
        param_device = next(trainer.model.parameters()).device.type
        check(f"{name} trains on cuda", param_device == "cuda", f"parameters on {param_device}")
        # Different RNG streams and kernels: the two devices agree in quality, not bit for bit.
        close = abs(gpu_mse - cpu_mse) <= 0.1 * cpu_mse
        check(
            f"{name} cuda vs cpu",
            close,
            f"test MSE cuda {gpu_mse:.4f} vs cpu {cpu_mse:.4f} (PCA {pca:.4f}); {gpu_s:.1f} s vs {cpu_s:.1f} s",
        )
        trained = trainer.result()
        X = trainer.dataset.X_test
        reloaded = model_file.load(model_file.to_bytes(trained))
        same = np.allclose(reloaded.denoise(X), trained.denoise(X), atol=1e-5)
        check(f"{name} save on cuda, reload on cpu", same, "outputs agree within 1e-5")

    job = TrainingJob(RunConfig().replace(device="cuda", epochs=20)).start()
    job.join(120)
    snapshot = job.snapshot()
    check("background job on cuda", snapshot.status == "done", f"{snapshot.status}: {snapshot.reason}")

    digits = RunConfig().replace(dataset="digits", hidden_layers=[128], hidden_dim=16, epochs=30)
    configs = expand(digits.replace(device="cuda"), {"noise_level": [0.2, 0.4, 0.6]})
    runs = Sweep(configs).run()
    on_gpu = {next(run.trained.model.parameters()).device.type for run in runs}
    check("sweep batched on cuda", all(run.batched for run in runs) and on_gpu == {"cuda"}, f"devices {on_gpu}")
    for config, run in zip(configs, runs):
        cpu_mse, _, _, _ = final_metrics(config.replace(device="cpu"))
        gpu_mse = run.trained.history[-1].test_mse
        level = config.noise.noise_level
        check(f"sweep member {level} cuda vs its cpu run", abs(gpu_mse - cpu_mse) <= 0.1 * cpu_mse,
              f"test MSE {gpu_mse:.4f} vs {cpu_mse:.4f}")  # fmt: skip

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["train", "--device", "auto", "--epochs", "5", "--json"])
    summary = json.loads(out.getvalue().splitlines()[-1])
    check("cli --device auto", code == 0 and summary["config"]["train"]["device"] == "auto", f"exit {code}")

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["sweep", "--device", "auto", "--epochs", "5", "--seed", "0,1,2", "--json"])
    report = json.loads(out.getvalue().splitlines()[-1])
    check("cli sweep --device auto", code == 0 and report["batched"] and len(report["runs"]) == 3, f"exit {code}")


if __name__ == "__main__":
    main_check()
