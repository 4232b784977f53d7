"""What every command shares: exit codes, the one-line ``UsageError``, the parser, the run flags and the reports.

The command modules (``train``, ``sweep``, ``inspect``) import this one and nothing else of the command line.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Sequence

from ..config import (
    ACTIVATIONS,
    ARCHITECTURES,
    CONFIG_FLAGS,
    DATASETS,
    DEFAULT_TORCH_THREADS,
    DEVICES,
    FLAG_OF_FIELD,
    LIVE_SETTINGS,
    LOSSES,
    NOISE_TYPES,
    OPTIMIZERS,
    OUTPUT_ACTIVATIONS,
    RunConfig,
)
from ..lessons import LESSONS, lesson
from ..records import Summary

EXIT_OK, EXIT_TRAINING_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """A command line that cannot be run as given; main() prints it as one ``error:`` line."""


class Parser(argparse.ArgumentParser):
    """argparse without the usage block and exit: errors become one fixable line."""

    def error(self, message: str):
        if message.startswith(("argument ", "the following")):
            message = f"{message}. Run '{self.prog} --help' to see the flags."
        raise UsageError(message)


# --- argument types: each says what it wants and what it got ------------------------------------
def parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def parse_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def parse_widths(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer widths such as '128,64' (or '' for none), got {text!r}"
        ) from None


# --- the run flags: every one defaults to None, so only given flags override RunConfig() -------------
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
    data.add_argument(
        "--n-samples",
        type=parse_int,
        metavar="N",
        help=f"rows generated, or photo patches (default {d.data.n_samples})",
    )
    data.add_argument(
        "--n-features", type=parse_int, metavar="N", help=f"synthetic columns (default {d.data.n_features})"
    )
    data.add_argument(
        "--patch-size",
        type=parse_int,
        metavar="N",
        help=f"photos: side of the square patches in pixels (default {d.data.patch_size})",
    )
    data.add_argument(
        "--images",
        dest="images_path",
        metavar="PATH",
        help="your own pictures: a zip or a folder of PNG/JPEG files, labelled by sub-folder; implies --dataset images",
    )
    data.add_argument(
        "--image-size",
        type=parse_int,
        metavar="N",
        help=f"images: side in pixels each picture is cropped square and resized to (default {d.data.image_size})",
    )
    data.add_argument(
        "--color", action="store_true", default=None, help="images: keep colour (3 channels) instead of grayscale"
    )
    data.add_argument(
        "--data-seed", type=parse_int, metavar="N", help=f"data and split seed (default {d.data.data_seed})"
    )

    model = cmd.add_argument_group("model")
    model.add_argument(
        "--architecture",
        choices=ARCHITECTURES,
        help=f"dense layers, or conv: convolutions over image data (default {d.model.architecture})",
    )
    model.add_argument(
        "--hidden-dim",
        type=parse_int,
        metavar="N",
        help=f"dense: code size (default {d.model.hidden_dim})",
    )
    model.add_argument(
        "--conv-channels",
        type=parse_widths,
        metavar="C1,C2",
        help="conv: channels of each stride-2 stage, comma-separated "
        f"(default {','.join(map(str, d.model.conv_channels))})",
    )
    model.add_argument(
        "--code-channels",
        type=parse_int,
        metavar="N",
        help=f"conv: the code's channels (code = channels x height x width; default {d.model.code_channels})",
    )
    model.add_argument(
        "--hidden-layers",
        type=parse_widths,
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
        type=parse_float,
        metavar="X",
        help=f"gaussian: sigma in scaled units; masking, salt_pepper: fraction of entries "
        f"(default {d.noise.noise_level})",
    )

    training = cmd.add_argument_group("training")
    training.add_argument("--loss", choices=LOSSES, help=f"reconstruction loss (default {d.train.loss})")
    training.add_argument("--optimizer", choices=OPTIMIZERS, help=f"optimizer (default {d.train.optimizer})")
    training.add_argument("--lr", type=parse_float, metavar="X", help=f"learning rate (default {d.train.lr:g})")
    training.add_argument(
        "--weight-decay", type=parse_float, metavar="X", help=f"L2 penalty (default {d.train.weight_decay:g})"
    )
    training.add_argument(
        "--batch-size",
        type=parse_int,
        metavar="N",
        help=f"rows per step, 0 for full batch (default {d.train.batch_size})",
    )
    training.add_argument(
        "--epochs", type=parse_int, metavar="N", help=f"passes over the data (default {d.train.epochs})"
    )
    training.add_argument(
        "--patience",
        type=parse_int,
        metavar="N",
        help=f"epochs without test improvement before stopping, 0 for off (default {d.train.patience})",
    )
    training.add_argument(
        "--seed", type=parse_int, metavar="N", help=f"init, batch order and noise seed (default {d.train.seed})"
    )
    training.add_argument("--device", choices=DEVICES, help=f"auto picks CUDA when present (default {d.train.device})")
    training.add_argument(
        "--threads",
        type=parse_int,
        metavar="N",
        help=f"torch CPU threads (default {DEFAULT_TORCH_THREADS}: fastest for small MLPs)",
    )
    if not lists:  # a sweep trains its runs batched, each under fixed settings: it takes no schedule
        training.add_argument(
            "--schedule",
            metavar="NAME@EPOCH=VALUE,...",
            help="change live settings mid-run, as the dashboard's live changes do: each item sets NAME ("
            + " or ".join(LIVE_SETTINGS)
            + ") to VALUE after EPOCH epochs, so from epoch EPOCH+1 on; e.g. 'lr@400=0.01,noise_level@600=0.5' "
            "(default: none)",
        )

    if lists:
        for action in cmd._actions:
            if not action.option_strings or action.dest in ("help", "tied_weights", "color", "lesson"):
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


def config_from_args(args: argparse.Namespace) -> RunConfig:
    given = {name: getattr(args, name) for name in CONFIG_FLAGS.values() if getattr(args, name) is not None}
    if "csv_path" in given and given.get("dataset", "csv") != "csv":
        raise UsageError(f"--csv reads a table, but --dataset is {given['dataset']!r}. Drop one of the two.")
    if "csv_path" in given:
        given["dataset"] = "csv"
        if os.path.isdir(given["csv_path"]):  # else the engine reads it as a file that does not exist
            folder, example = given["csv_path"], os.path.join(given["csv_path"], "table.csv")
            raise UsageError(f"--csv {folder!r} is a folder. Give a CSV file, e.g. {example!r}.")
    if "images_path" in given and given.get("dataset", "images") != "images":
        raise UsageError(f"--images reads pictures, but --dataset is {given['dataset']!r}. Drop one of the two.")
    if "images_path" in given:
        given["dataset"] = "images"
        if not os.path.exists(given["images_path"]):
            raise UsageError(
                f"--images {given['images_path']!r} does not exist. Give a zip or a folder of PNG/JPEG pictures."
            )
        from ..images import images_digest

        given["images_digest"] = images_digest(given["images_path"])  # the run names the pictures it trained on
    if "label_column" in given and given.get("dataset") != "csv":
        raise UsageError("--label-column only applies to a CSV table. Add --csv PATH or drop --label-column.")
    slug = getattr(args, "lesson", None)
    base = lesson(slug).config if slug else RunConfig()  # a lesson's preset; the flags given change it
    return base.replace(**given)


# --- the --json report ---------------------------------------------------------------------------
def run_report(summary: Summary, history, train_seconds: float, stop_reason: str, device: str) -> dict:
    """A run's ``--json`` numbers (``sweep`` reports each of its runs with the same keys)."""
    return json_safe(
        summary.to_dict()
        | {
            "psnr": summary.test_psnr,
            "baselines": summary.baselines,
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
