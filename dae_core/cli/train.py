"""``python -m dae_core train``: train one run, print the seed's lines and the baselines, save, plot, report JSON."""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import time
from typing import TYPE_CHECKING

from ..config import DEFAULT_TORCH_THREADS, RunConfig
from ..errors import ConfigError
from ..records import CLASSIC_NAMES, Schedule, Summary, classic_width, format_ratio, format_schedule, parse_schedule
from .flags import EXIT_OK, EXIT_TRAINING_FAILED, UsageError, config_from_args, run_report

if TYPE_CHECKING:  # torch loads only when a command trains: `--help` and the dashboard's flag table need none
    from ..training import Evaluation, TrainedModel, Trainer

PRINT_EVERY = 10  # the seed printed the loss every 10 epochs


def run_train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    for flag, path in (("--save", args.save), ("--plot", args.plot)):
        if path:
            _check_output_path(path, flag)
    if args.plot and not args.plot.lower().endswith((".html", ".htm")):
        raise UsageError(f"--plot writes an HTML page; give a path ending in .html, not {args.plot!r}.")
    if args.threads is not None and not 1 <= args.threads <= 256:
        raise UsageError(f"--threads must be an int in [1, 256]. Got {args.threads} instead.")
    schedule = _schedule(args.schedule, config)
    from ..training import Trainer, use_torch_threads

    use_torch_threads(args.threads or DEFAULT_TORCH_THREADS)
    trainer = Trainer(config)
    total = config.train.epochs
    start = time.perf_counter()
    for record in trainer.epochs(gate=_apply_schedule(trainer, schedule)):
        if record.epoch % PRINT_EVERY == 0 or record.epoch == total:
            print(f"Epoch [{record.epoch}/{total}], Loss: {record.train_loss:.4f}", flush=True)
    train_seconds = time.perf_counter() - start
    failed = trainer.outcome.diverged  # early stopping is a success
    if trainer.stop_reason:
        print(trainer.stop_reason, file=sys.stderr if failed else sys.stdout, flush=True)

    final = trainer.evaluate()  # the weights it ends with: best, last or restored
    summary = final.summary
    print(f"Test MSE: {final.test_mse:.4f}")
    print(baseline_line(summary, trainer.pca_components))
    if final.classic:
        print(classic_line(summary, final))
    alignment = _field_alignment(trainer, final)
    if alignment is not None:
        print(f"Field alignment with the best possible denoiser: {alignment:.2f} (1: every step points the right way)")
    trained = trainer.result()
    if args.save:
        from .. import model_file

        try:
            model_file.save(trained, args.save)
        except OSError as exc:
            raise UsageError(f"--save could not write {args.save!r} ({exc.strerror}). Choose another path.") from None
        print(f"Saved the model to {args.save}")
    if args.plot:
        write_plot(trainer, trained, final, args.plot)
        print(f"Wrote the plot to {args.plot}")
    if args.json:
        report = run_report(summary, trainer.history, train_seconds, trainer.stop_reason, str(trainer.device))
        report |= {"field_alignment": alignment} if alignment is not None else {}
        report |= {"saved": args.save, "config": config.to_dict(), "schedule": format_schedule(schedule)}
        dataset = trainer.dataset
        report |= {"image_shape": list(dataset.image_shape) if dataset.image_shape else None}
        report |= {"classic_widths": {baseline.name: baseline.width for baseline in final.classic}}
        report |= {"parameters": sum(p.numel() for p in trainer.model.parameters())}
        report |= {"code_size": trainer.model.hidden_dim}
        print(json.dumps(report), flush=True)
    return EXIT_TRAINING_FAILED if failed else EXIT_OK


def _schedule(text: str | None, config: RunConfig) -> Schedule:
    """``--schedule``'s changes, checked against the run before it trains (``records.parse_schedule``)."""
    try:
        return parse_schedule(text or "", config)
    except ConfigError as exc:
        raise UsageError(f"--schedule {exc}") from None


def _apply_schedule(trainer: Trainer, schedule: Schedule):
    """The gate that hands ``trainer`` each scheduled change before the epoch it starts at: a change after epoch
    k is taken once k epochs are done, as a dashboard job takes a live change (``TrainingJob._wait_for_go``)."""
    changes = dict(schedule)

    def gate() -> bool:
        named = changes.get(trainer.epoch)
        if named:
            trainer.update(trainer.settings.replace_live(**named))
        return True

    return gate


def _check_output_path(path: str, flag: str) -> None:
    """Fail before training, not after it, when an output file cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path!r} is a folder. Give a file name, e.g. {os.path.join(path, 'model.dae')!r}.")
    if not os.path.isdir(folder):
        raise UsageError(f"{flag} {path!r}: folder {folder!r} does not exist. Create it or choose another path.")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError(f"{flag} {path!r} is not writable. Choose a path you can write to.")


def baseline_line(summary: Summary, code_size: int) -> str:
    """One factual sentence: both baselines, the model's ratio to each, and which it beats."""
    pca_name = f"PCA-{code_size}"
    beats_identity, beats_pca = summary.beats
    if beats_pca and beats_identity:
        verdict = "it beats both"
    elif beats_pca:
        verdict = f"it beats {pca_name} but not the identity (the noisy input itself is closer to the clean data)"
    elif beats_identity:
        verdict = f"it beats the identity but not {pca_name}"
    else:
        verdict = "it beats neither"
    return (
        f"Baselines on the same noisy test inputs: identity {summary.identity_mse:.4f}, {pca_name} "
        f"{summary.pca_mse:.4f}; this model is {_ratio(summary.ratio_to_pca)} {pca_name} and "
        f"{_ratio(summary.ratio_to_identity)} identity (lower is better), so {verdict}."
    )


def classic_line(summary: Summary, final: Evaluation) -> str:
    """The classic denoisers on the same inputs, their widths, and how many dB the model is above the best."""
    parts = []
    for baseline in final.classic:
        width = classic_width(baseline.name, baseline.width)
        parts.append(f"{CLASSIC_NAMES[baseline.name]} ({width}) {baseline.test_mse:.4f}")
    margin = summary.db_over_classic
    verdict = f"this model is {margin:+.1f} dB against the best of them" if margin is not None else ""
    return f"Classic denoisers on the same inputs: {', '.join(parts)}; {verdict}."


def _ratio(ratio: float | None) -> str:
    return "n/a" if ratio is None else format_ratio(ratio).replace("×", "x")


def _field_alignment(trainer: Trainer, final: Evaluation) -> float | None:
    """For 2-D data under Gaussian noise: how well the model's steps r(x̃) − x̃ agree with the best possible
    denoiser's (``metrics.field_alignment``); None otherwise."""
    if trainer.dataset.n_features != 2 or trainer.config.noise.noise != "gaussian":
        return None
    from ..metrics import field_alignment

    level = trainer.settings.noise.noise_level
    return field_alignment(final.noisy, final.reconstructed, trainer.dataset.X_train, level)


def write_plot(trainer: Trainer, trained: TrainedModel, final: Evaluation, path: str) -> None:
    """The seed's original/noisy/reconstructed plot for test sample 0 and the loss curves, in one HTML page."""
    from .. import figures

    dataset = trainer.dataset
    figures_to_write = [
        figures.sample_comparison(
            dataset.X_test[0],
            final.noisy[0],
            final.reconstructed[0],
            list(dataset.feature_names),
            title="Test sample 0: original, noisy and reconstructed (scaled units)",
        ),
        figures.loss_curves(trained.history),
    ]
    if dataset.image_shape is not None:
        rows = slice(0, 8)
        figures_to_write.append(
            figures.image_grid(
                dataset.X_test[rows], final.noisy[rows], final.reconstructed[rows], dataset.image_shape, ink=dataset.ink
            )
        )
    parts = [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(figures_to_write)
    ]  # plotly.js is inlined once, so the page works offline
    title = html.escape(f"Denoising autoencoder on {dataset.name}")
    page = f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n<body>\n'
    page += "\n".join(parts) + "\n</body></html>\n"
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(page)
    except OSError as exc:
        raise UsageError(f"--plot could not write {path!r} ({exc.strerror}). Choose another path.") from None
