"""The command line: ``python -m dae_core train`` does the seed tutorial's job right, ``inspect`` reads a model file,
``datasets fetch mnist`` downloads a dataset into the data folder.

Every default comes from ``RunConfig()``; a flag only overrides what it names. Bad input (a flag, a CSV
table, a model file, an output path) exits with code 2 and one ``error: ...`` line on stderr. Training
that diverges (a non-finite or runaway loss) still reports the restored model, then exits with code 1.

This package holds the parser and ``main``; each command lives in its own module (``train``, ``sweep``,
``inspection``, ``datasets``, ``pretrain``, ``tune``, ``photo``), and what they share in ``flags``. Only this module
imports the command modules.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Sequence

from ..config import FLAG_OF_FIELD, MAX_SWEEP_RUNS, SWEEPABLE
from ..errors import DAEError, out_of_memory
from .datasets import run_datasets
from .flags import EXIT_BAD_INPUT, Parser, UsageError, add_run_flags, parse_int
from .inspection import run_inspect
from .photo import add_photo_parser
from .pretrain import add_pretrain_parser
from .sweep import run_sweep
from .train import run_train
from .tune import add_tune_parser


def build_parser() -> Parser:
    parser = Parser(
        prog="python -m dae_core",
        description="Train and inspect denoising autoencoders. Without a command, 'train' is run.",
        allow_abbrev=False,
    )
    commands = parser.add_subparsers(dest="command", metavar="{train,sweep,inspect,datasets,pretrain,tune,photo}")

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
        "--jobs", type=parse_int, metavar="N", help="spread the batched groups over N local processes (default 1: here)"
    )
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="send the groups to this Dask scheduler (needs: pip install 'dask[distributed]')",
    )
    where.add_argument(
        "--max-runs",
        type=parse_int,
        metavar="N",
        help=f"refuse a sweep of more runs than this (default {MAX_SWEEP_RUNS})",
    )
    output = sweep_cmd.add_argument_group("output")
    output.add_argument("--save", metavar="DIR", help="write every trained model into DIR as run-01.dae, ...")
    output.add_argument("--json", action="store_true", help="end with one line holding a JSON summary")
    sweep_cmd.set_defaults(handler=run_sweep)

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

    datasets_cmd = commands.add_parser(
        "datasets",
        help="download MNIST or Fashion-MNIST into the data folder, or list what is there",
        description="Download the IDX files of MNIST or Fashion-MNIST (checked against their published MD5s) into "
        "the data folder, $DAE_DATA_DIR or else ~/.dae-lab, under datasets/NAME; or list what is there.",
        epilog="Exit status: 0 when done; 2 when a download fails (no network, an HTTP error, a wrong checksum: the "
        "message says where to put the files by hand) or on bad input.",
        allow_abbrev=False,
    )
    datasets_cmd.prog = "python -m dae_core datasets"
    datasets_cmd.set_defaults(handler=run_datasets)
    actions = datasets_cmd.add_subparsers(dest="datasets_command", metavar="{fetch,list}")
    fetch_cmd = actions.add_parser(
        "fetch",
        help="download a dataset's four files, keeping those already there",
        description="Download the four gzipped IDX files of a dataset from its mirrors, in order, checking each "
        "against its published MD5; files already there with the right checksum are kept. Then load the set.",
        allow_abbrev=False,
    )
    fetch_cmd.prog = "python -m dae_core datasets fetch"
    fetch_cmd.add_argument("name", metavar="NAME", help="the dataset: mnist or fashion-mnist")
    fetch_cmd.add_argument(
        "--to",
        metavar="DIR",
        help="put the four files in DIR (default: <data folder>/datasets/NAME, where the app looks for them)",
    )
    fetch_cmd.add_argument("--force", action="store_true", help="download every file again, even one already there")
    list_cmd = actions.add_parser(
        "list",
        help="each dataset's folder, and whether its files are there and right",
        description="Each dataset, its folder in the data folder, and whether its four files are there and right.",
        allow_abbrev=False,
    )
    list_cmd.prog = "python -m dae_core datasets list"
    pretrain_cmd = add_pretrain_parser(commands)
    tune_cmd = add_tune_parser(commands)
    photo_cmd = add_photo_parser(commands)
    parser.commands = {
        "train": train_cmd,
        "sweep": sweep_cmd,
        "inspect": inspect_cmd,
        "datasets": datasets_cmd,
        "datasets fetch": fetch_cmd,
        "datasets list": list_cmd,
        "pretrain": pretrain_cmd,
        "tune": tune_cmd,
        "photo": photo_cmd,
    }  # to name a command's flags in errors
    return parser


# --- entry point ----------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "train")  # `python -m dae_core` alone does the seed's job
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # reported by the command's own parser, so the hint lists that command's flags
            command = " ".join(filter(None, (args.command, getattr(args, "datasets_command", None))))
            raise UsageError(_unknown_flags_message(unknown, parser.commands[command]))
        return args.handler(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except DAEError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except (RuntimeError, MemoryError) as exc:
        memory = out_of_memory(exc)
        if memory is None:
            raise
        print(f"error: {memory}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _unknown_flags_message(words: list[str], parser: argparse.ArgumentParser) -> str:
    known = [option for action in parser._actions for option in action.option_strings]
    flags = [w for w in words if w.startswith("-")]
    if not flags:
        return f"unexpected argument(s) {' '.join(words)}. Run '{parser.prog} --help' to see the usage."
    first = flags[0].split("=")[0]
    close = difflib.get_close_matches(first, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"run '{parser.prog} --help' to see the flags."
    return f"unknown flag '{first}'; {hint}"


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
