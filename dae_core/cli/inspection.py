"""``python -m dae_core inspect``: a saved model file's summary, as text or as one JSON object."""

from __future__ import annotations

import argparse
import json

from ..config import RunConfig
from .flags import EXIT_OK


def run_inspect(args: argparse.Namespace) -> int:
    from .. import model_file  # it loads torch: only when a file is inspected

    summary = model_file.describe(model_file.load(args.model))  # load raises ModelFileError with what, why and fix
    print(json.dumps(summary) if args.json else summary_text(summary, args.model))
    return EXIT_OK


def summary_text(summary: dict, name: str) -> str:
    """A human reading of ``model_file.describe``: data, layers, parameters, training and final metrics."""
    cfg = RunConfig.from_dict(summary["config"])
    image = summary["image_shape"]
    lines = [
        f"Model file: {name}",
        f"Data: {cfg.data.dataset}, {summary['input_dim']} features, scaler {summary['scaler']}"
        + (f", images {image[0]}x{image[1]}" if image else ""),
        f"Noise: {cfg.noise.noise} at {cfg.noise.noise_level:g}",
        f"Layers ({summary['n_parameters']:,} parameters):",
    ]
    for layer in summary["layers"]:
        tied = f", tied to {layer['tied_to']}" if layer["tied_to"] else ""
        lines.append(
            f"  {layer['name']}: {layer['in_features']} -> {layer['out_features']}, {layer['activation']}, "
            f"weight {tuple(layer['weight_shape'])}{tied}"
        )
    lines.append(
        f"Training: {cfg.train.optimizer} lr {cfg.train.lr:g}, {cfg.train.loss} loss, batch {cfg.train.batch_size}, "
        f"seed {cfg.train.seed}; {summary['epochs']} of {cfg.train.epochs} epochs run"
    )
    if summary["test_mse"] is not None:
        psnr = f", PSNR {summary['test_psnr']:.2f} dB" if summary["test_psnr"] is not None else ""
        kept = summary["weights_epoch"]
        label = "Final test MSE" if kept == summary["epochs"] else f"Test MSE at epoch {kept}, whose weights were kept:"
        lines.append(
            f"{label} {summary['test_mse']:.4f}{psnr} (identity {_fmt(summary['identity_mse'])}, "
            f"PCA-{summary['hidden_dim']} {_fmt(summary['pca_mse'])}); train loss {_fmt(summary['train_loss'])}"
        )
    if summary["stop_reason"]:
        lines.append(f"Stopped: {summary['stop_reason']}")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
