"""The command line: ``python -m dae_core train`` does the seed tutorial's job right, ``inspect`` reads a model file.

Every default comes from ``RunConfig()``; a flag only overrides what it names. Bad input (a flag, a CSV
table, a model file, an output path) exits with code 2 and one ``error: ...`` line on stderr. Training
that diverges (a non-finite or runaway loss) still reports the restored model, then exits with code 1.
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
import math
import os
import re
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .config import (
    ACTIVATIONS,
    DATASETS,
    DEVICES,
    LOSSES,
    MAX_SWEEP_RUNS,
    NOISE_TYPES,
    OPTIMIZERS,
    OUTPUT_ACTIVATIONS,
    SWEEPABLE,
    RunConfig,
)
from .errors import DAEError
from .lessons import LESSONS, lesson
from .records import Summary, format_ratio
from .serving.limits import Limits

if TYPE_CHECKING:  # torch loads only when a command trains: the dashboard imports the flag table below
    from .training import Evaluation, TrainedModel, Trainer

EXIT_OK, EXIT_TRAINING_FAILED, EXIT_BAD_INPUT = 0, 1, 2
PRINT_EVERY = 10  # the seed printed the loss every 10 epochs
COMMANDS = ("train", "sweep", "inspect")


class UsageError(Exception):
    """A command line that cannot be run as given; main() prints it as one ``error:`` line."""


class Parser(argparse.ArgumentParser):
    """argparse without the usage block and exit: errors become one fixable line."""

    def error(self, message: str):
        if message.startswith(("argument ", "the following")):
            message = f"{message}. Run '{self.prog} --help' to see the flags."
        raise UsageError(message)


def _unknown_flags_message(words: list[str], parser: argparse.ArgumentParser) -> str:
    known = [option for action in parser._actions for option in action.option_strings]
    flags = [w for w in words if w.startswith("-")]
    if not flags:
        return f"unexpected argument(s) {' '.join(words)}. Run '{parser.prog} --help' to see the usage."
    first = flags[0].split("=")[0]
    close = difflib.get_close_matches(first, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"run '{parser.prog} --help' to see the flags."
    return f"unknown flag '{first}'; {hint}"


# --- argument types: each says what it wants and what it got ------------------------------------
def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _widths(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer widths such as '128,64' (or '' for none), got {text!r}"
        ) from None


# --- the parser -----------------------------------------------------------------------------------
# Flag name -> RunConfig field; every flag here defaults to None, so only given flags override RunConfig().
CONFIG_FLAGS = {
    "--dataset": "dataset",
    "--csv": "csv_path",
    "--label-column": "label_column",
    "--n-samples": "n_samples",
    "--n-features": "n_features",
    "--data-seed": "data_seed",
    "--hidden-dim": "hidden_dim",
    "--hidden-layers": "hidden_layers",
    "--activation": "activation",
    "--output-activation": "output_activation",
    "--tied-weights": "tied_weights",
    "--noise": "noise",
    "--noise-level": "noise_level",
    "--loss": "loss",
    "--optimizer": "optimizer",
    "--lr": "lr",
    "--weight-decay": "weight_decay",
    "--batch-size": "batch_size",
    "--epochs": "epochs",
    "--patience": "patience",
    "--seed": "seed",
    "--device": "device",
}
FLAG_OF_FIELD = {name: flag for flag, name in CONFIG_FLAGS.items()}


def add_run_flags(cmd: argparse.ArgumentParser, lists: Sequence[str] = ()) -> None:
    """The flags that set a run's config, in groups. ``lists``: the flags (by config field) that take a
    comma-separated list of values (a sweep); every other flag then refuses a list with a message."""
    d = RunConfig()  # the single source of defaults; help texts only quote it
    cmd.add_argument(
        "--lesson",
        choices=list(LESSONS),
        help="start from a lesson's preset (the other flags change it): " + ", ".join(LESSONS),
    )
    data = cmd.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS, help=f"dataset (default {d.data.dataset})")
    data.add_argument("--csv", dest="csv_path", metavar="PATH", help="numeric CSV table; implies --dataset csv")
    data.add_argument("--label-column", metavar="NAME", help="CSV column holding labels, kept out of the features")
    data.add_argument("--n-samples", type=_int, metavar="N", help=f"rows generated (default {d.data.n_samples})")
    data.add_argument("--n-features", type=_int, metavar="N", help=f"synthetic columns (default {d.data.n_features})")
    data.add_argument("--data-seed", type=_int, metavar="N", help=f"data and split seed (default {d.data.data_seed})")

    model = cmd.add_argument_group("model")
    model.add_argument("--hidden-dim", type=_int, metavar="N", help=f"code size (default {d.model.hidden_dim})")
    model.add_argument(
        "--hidden-layers",
        type=_widths,
        metavar="W1,W2",
        help="encoder widths between input and code, comma-separated; '' for none "
        f"(default {','.join(map(str, d.model.hidden_layers)) or 'none'})",
    )
    model.add_argument("--activation", choices=ACTIVATIONS, help=f"hidden activation (default {d.model.activation})")
    model.add_argument(
        "--output-activation",
        choices=OUTPUT_ACTIVATIONS,
        help=f"auto: sigmoid for [0,1] data, identity for standardized data (default {d.model.output_activation})",
    )
    model.add_argument("--tied-weights", action="store_true", default=None, help="decoder reuses encoder weights")

    noise = cmd.add_argument_group("noise")
    noise.add_argument("--noise", choices=NOISE_TYPES, help=f"corruption type (default {d.noise.noise})")
    noise.add_argument(
        "--noise-level",
        type=_float,
        metavar="X",
        help=f"gaussian: sigma in scaled units; masking, salt_pepper: fraction of entries "
        f"(default {d.noise.noise_level})",
    )

    training = cmd.add_argument_group("training")
    training.add_argument("--loss", choices=LOSSES, help=f"reconstruction loss (default {d.train.loss})")
    training.add_argument("--optimizer", choices=OPTIMIZERS, help=f"optimizer (default {d.train.optimizer})")
    training.add_argument("--lr", type=_float, metavar="X", help=f"learning rate (default {d.train.lr:g})")
    training.add_argument(
        "--weight-decay", type=_float, metavar="X", help=f"L2 penalty (default {d.train.weight_decay:g})"
    )
    training.add_argument(
        "--batch-size", type=_int, metavar="N", help=f"rows per step, 0 for full batch (default {d.train.batch_size})"
    )
    training.add_argument("--epochs", type=_int, metavar="N", help=f"passes over the data (default {d.train.epochs})")
    training.add_argument(
        "--patience",
        type=_int,
        metavar="N",
        help=f"epochs without test improvement before stopping, 0 for off (default {d.train.patience})",
    )
    training.add_argument(
        "--seed", type=_int, metavar="N", help=f"init, batch order and noise seed (default {d.train.seed})"
    )
    training.add_argument("--device", choices=DEVICES, help=f"auto picks CUDA when present (default {d.train.device})")
    training.add_argument(
        "--threads", type=_int, metavar="N", help="torch CPU threads (default 1: fastest for small MLPs)"
    )

    if lists:
        for action in cmd._actions:
            if not action.option_strings or action.dest in ("help", "tied_weights", "lesson"):
                continue
            flag, item = action.option_strings[0], action.type or str
            if action.dest in lists:
                action.type = _ListOf(flag, item, action.choices, ";" if action.dest == "hidden_layers" else ",")
                action.choices, action.metavar = None, f"{action.metavar or 'X'},..."
                action.help += "; a list sweeps it" + (
                    ", alternatives separated by ';'" if flag == "--hidden-layers" else ""
                )
            else:
                action.type = _OneValue(flag, item, lists)


class _ListOf:
    """A flag's comma-separated values, each read as the flag reads one; an empty item is refused."""

    def __init__(self, flag: str, item, choices, separator: str):
        self.flag, self.item, self.choices, self.separator = flag, item, choices, separator
        self.__name__ = "list"  # argparse names a type by it in messages

    def __call__(self, text: str) -> list:
        parts = text.split(self.separator)
        if any(not part.strip() for part in parts) and not (self.flag == "--hidden-layers" and len(parts) == 1):
            raise argparse.ArgumentTypeError(
                f"empty item in {text!r}; give values separated by single '{self.separator}'"
            )
        values = [self.item(part.strip()) for part in parts]
        for value in values:
            if self.choices is not None and value not in self.choices:
                raise argparse.ArgumentTypeError(f"invalid choice {value!r} (choose from {', '.join(self.choices)})")
        return values


class _OneValue:
    """A flag that takes one value in a sweep: a list there is refused, naming the flags that take lists."""

    def __init__(self, flag: str, item, lists: Sequence[str]):
        self.flag, self.item, self.lists = flag, item, lists
        self.__name__ = getattr(item, "__name__", "value")

    def __call__(self, text: str):
        if "," in text:
            named = ", ".join(FLAG_OF_FIELD[name] for name in self.lists)
            raise argparse.ArgumentTypeError(f"takes one value in a sweep, got {text!r}; only {named} take lists")
        return self.item(text)


def build_parser() -> Parser:
    parser = Parser(
        prog="python -m dae_core",
        description="Train and inspect denoising autoencoders. Without a command, 'train' is run.",
        allow_abbrev=False,
    )
    commands = parser.add_subparsers(dest="command", metavar="{train,sweep,inspect}")

    train_cmd = commands.add_parser(
        "train",
        help="train a DAE and report test MSE against the identity and PCA baselines",
        description="Train a denoising autoencoder. With no flags: the seed tutorial's 1000x20 synthetic data, "
        "code size 8, Gaussian noise 0.2, Adam lr 1e-3, 50 epochs.",
        epilog="Exit status: 0 when training ends (early stopping included); 1 when it diverges (a non-finite or "
        "runaway loss; the model restored to its last good weights is still reported, and saved with --save); "
        "2 on bad input.",
        allow_abbrev=False,
    )
    train_cmd.prog = "python -m dae_core train"
    add_run_flags(train_cmd)
    output = train_cmd.add_argument_group("output")
    output.add_argument("--save", metavar="PATH", help="write the trained model to PATH (a .dae file)")
    output.add_argument("--plot", metavar="PATH.html", help="write the seed's plot and the loss curves as Plotly HTML")
    output.add_argument("--json", action="store_true", help="end with one line holding a JSON summary")
    train_cmd.set_defaults(handler=run_train)

    sweep_cmd = commands.add_parser(
        "sweep",
        help="train every combination of a few settings, batched where they share an architecture",
        description="Train a sweep: the train flags, where --noise, --noise-level, --seed, --lr, --hidden-dim and "
        "--hidden-layers take comma-separated lists (--hidden-layers: alternatives separated by ';'). The sweep is "
        "the product of the lists. Runs that share an architecture train as one batched model.",
        epilog="Exit status: 0 when every run ends; 1 when one diverges; 2 on bad input.",
        allow_abbrev=False,
    )
    sweep_cmd.prog = "python -m dae_core sweep"
    add_run_flags(sweep_cmd, lists=SWEEPABLE)
    where = sweep_cmd.add_argument_group("where it runs")
    where.add_argument(
        "--jobs", type=_int, metavar="N", help="spread the batched groups over N local processes (default 1: here)"
    )
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="send the groups to this Dask scheduler (needs: pip install 'dask[distributed]')",
    )
    where.add_argument(
        "--max-runs", type=_int, metavar="N", help=f"refuse a sweep of more runs than this (default {MAX_SWEEP_RUNS})"
    )
    output = sweep_cmd.add_argument_group("output")
    output.add_argument("--save", metavar="DIR", help="write every trained model into DIR as run-01.dae, ...")
    output.add_argument("--json", action="store_true", help="end with one line holding a JSON summary")
    sweep_cmd.set_defaults(handler=_run_sweep)

    inspect_cmd = commands.add_parser(
        "inspect",
        help="summarise a saved model file",
        description="Summarise a model file written by 'train --save'.",
        allow_abbrev=False,
    )
    inspect_cmd.prog = "python -m dae_core inspect"
    inspect_cmd.add_argument("model", metavar="MODEL", help="a .dae model file")
    inspect_cmd.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    inspect_cmd.set_defaults(handler=run_inspect)
    parser.commands = {
        "train": train_cmd,
        "sweep": sweep_cmd,
        "inspect": inspect_cmd,
    }  # to name a command's flags in errors
    return parser


def _run_sweep(args: argparse.Namespace) -> int:
    from .sweep_cli import run_sweep  # the sweep's own module: it imports this one

    return run_sweep(args)


# --- train ----------------------------------------------------------------------------------------
def config_from_args(args: argparse.Namespace) -> RunConfig:
    given = {name: getattr(args, name) for name in CONFIG_FLAGS.values() if getattr(args, name) is not None}
    if "csv_path" in given and given.get("dataset", "csv") != "csv":
        raise UsageError(f"--csv reads a table, but --dataset is {given['dataset']!r}. Drop one of the two.")
    if "csv_path" in given:
        given["dataset"] = "csv"
    if "label_column" in given and given.get("dataset") != "csv":
        raise UsageError("--label-column only applies to a CSV table. Add --csv PATH or drop --label-column.")
    slug = getattr(args, "lesson", None)
    base = lesson(slug).config if slug else RunConfig()  # a lesson's preset; the flags given change it
    return base.replace(**given)


def _check_output_path(path: str, flag: str) -> None:
    """Fail before training, not after it, when an output file cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path!r} is a folder. Give a file name, e.g. {os.path.join(path, 'model.dae')!r}.")
    if not os.path.isdir(folder):
        raise UsageError(f"{flag} {path!r}: folder {folder!r} does not exist. Create it or choose another path.")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError(f"{flag} {path!r} is not writable. Choose a path you can write to.")


def _one_line(error: Exception) -> str:
    """A config error lists one problem per line; name the flag that sets each, on one line."""
    parts = []
    for line in str(error).splitlines():
        if not line.strip():
            continue
        named = re.search(r"The '(\w+)' parameter", line)
        flag = FLAG_OF_FIELD.get(named.group(1)) if named else None
        parts.append(f"{flag}: {line.strip()}" if flag else line.strip())
    return " ".join(parts)


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


def _ratio(ratio: float | None) -> str:
    return "n/a" if ratio is None else format_ratio(ratio).replace("×", "x")


def run_train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    for flag, path in (("--save", args.save), ("--plot", args.plot)):
        if path:
            _check_output_path(path, flag)
    if args.plot and not args.plot.lower().endswith((".html", ".htm")):
        raise UsageError(f"--plot writes an HTML page; give a path ending in .html, not {args.plot!r}.")
    if args.threads is not None and not 1 <= args.threads <= 256:
        raise UsageError(f"--threads must be an int in [1, 256]. Got {args.threads} instead.")
    from .training import Trainer, use_torch_threads

    use_torch_threads(args.threads or Limits().torch_threads)
    trainer = Trainer(config)
    total = config.train.epochs
    start = time.perf_counter()
    for record in trainer.epochs():
        if record.epoch % PRINT_EVERY == 0 or record.epoch == total:
            print(f"Epoch [{record.epoch}/{total}], Loss: {record.train_loss:.4f}", flush=True)
    train_seconds = time.perf_counter() - start
    failed = trainer.outcome.diverged  # early stopping is a success
    if trainer.stop_reason:
        print(trainer.stop_reason, file=sys.stderr if failed else sys.stdout, flush=True)

    final = trainer.evaluate()  # the weights it ends with: best, last or restored
    summary = Summary(final.test_mse, final.identity_mse, final.pca_mse, final.test_psnr)
    print(f"Test MSE: {final.test_mse:.4f}")
    print(baseline_line(summary, config.model.hidden_dim))
    alignment = _field_alignment(trainer, final)
    if alignment is not None:
        print(f"Field alignment with the best possible denoiser: {alignment:.2f} (1: every step points the right way)")
    trained = trainer.result()
    if args.save:
        from . import model_file

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
        print(json.dumps(report | {"saved": args.save, "config": config.to_dict()}), flush=True)
    return EXIT_TRAINING_FAILED if failed else EXIT_OK


def _field_alignment(trainer: Trainer, final: Evaluation) -> float | None:
    """For 2-D data under Gaussian noise: how well the model's steps r(x̃) − x̃ agree with the best possible
    denoiser's (``metrics.field_alignment``); None otherwise."""
    if trainer.dataset.n_features != 2 or trainer.config.noise.noise != "gaussian":
        return None
    from .metrics import field_alignment

    level = trainer.settings.noise.noise_level
    return field_alignment(final.noisy, final.reconstructed, trainer.dataset.X_train, level)


def run_report(summary: Summary, history, train_seconds: float, stop_reason: str, device: str) -> dict:
    """A run's ``--json`` numbers (``sweep`` reports each of its runs with the same keys)."""
    return json_safe(
        summary.to_dict()
        | {
            "train_loss": history[-1].train_loss if history else None,
            "epochs": len(history),
            "train_seconds": train_seconds,
            "stop_reason": stop_reason,
            "device": device,
        }
    )


def json_safe(summary: dict) -> dict:
    """Strict JSON has no NaN or Infinity: a diverged run's non-finite numbers become null."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in summary.items()}


def write_plot(trainer: Trainer, trained: TrainedModel, final: Evaluation, path: str) -> None:
    """The seed's original/noisy/reconstructed plot for test sample 0 and the loss curves, in one HTML page."""
    from . import figures

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
            figures.image_grid(dataset.X_test[rows], final.noisy[rows], final.reconstructed[rows], dataset.image_shape)
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


# --- inspect --------------------------------------------------------------------------------------
def run_inspect(args: argparse.Namespace) -> int:
    from . import model_file

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


# --- entry point ----------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "train")  # `python -m dae_core` alone does the seed's job
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # reported by the command's own parser, so the hint lists that command's flags
            raise UsageError(_unknown_flags_message(unknown, parser.commands[args.command]))
        return args.handler(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except DAEError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return EXIT_BAD_INPUT
