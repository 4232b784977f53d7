"""``python -m dae_core pretrain``: the few-labels table (``dae_core.pretrain``): a stacked DAE pre-trained on every
training row, fine-tuned on k labelled rows per class, against the same network from a random start and logistic
regression on the raw features; test accuracy, mean and spread over seeds. Printed as a table, or one JSON line.

Bad input exits with code 2 and one ``error:`` line, as every command does (see ``dae_core.cli``).
"""

from __future__ import annotations

import argparse
import json

from ..config import DEFAULT_TORCH_THREADS
from .flags import EXIT_OK, UsageError, parse_float, parse_int

# Labelled datasets whose labels are classes of what a row shows. Not photos: a patch's label is the photograph it
# was cut from; not csv: its label column is optional.
DATASETS = ("digits", "synthetic", "moons", "circles", "spiral", "mnist", "fashion-mnist")
MAX_SEEDS = 20


def add_pretrain_parser(commands) -> argparse.ArgumentParser:
    from ..pretrain import PretrainSetup

    d = PretrainSetup()
    cmd = commands.add_parser(
        "pretrain",
        help="pre-train a stacked DAE, fine-tune it on a few labels per class, and compare",
        description="Greedy layer-wise pre-training of a stacked DAE (each layer trained on the codes of the one "
        "below), then the same network with a softmax layer fine-tuned on k labelled training rows per class, "
        "against the network from a random start and logistic regression on the raw features. Prints test "
        "accuracy, mean and standard deviation over the seeds.",
        epilog="Exit status: 0 when done; 2 on bad input.",
        allow_abbrev=False,
    )
    cmd.prog = "python -m dae_core pretrain"
    cmd.add_argument("--dataset", default="digits", help=f"one of {', '.join(DATASETS)} (default digits)")
    cmd.add_argument(
        "--seeds",
        type=parse_int,
        default=len(d.seeds),
        metavar="N",
        help=f"seeds 0..N-1, each picks the labelled rows and the initial weights (default {len(d.seeds)})",
    )
    cmd.add_argument(
        "--labels",
        default="1,3,10,30,all",
        metavar="K,K,...",
        help="labelled rows per class, comma-separated; 'all' for every row (default 1,3,10,30,all)",
    )
    cmd.add_argument(
        "--widths",
        default=",".join(map(str, d.widths)),
        metavar="W,W,...",
        help=f"units of each layer of the stack, bottom first (default {','.join(map(str, d.widths))})",
    )
    cmd.add_argument(
        "--noise-level",
        type=parse_float,
        metavar="NU",
        help=f"masking fraction while pre-training (default {d.config.noise.noise_level:g}; 0: plain autoencoders)",
    )
    cmd.add_argument(
        "--epochs",
        type=parse_int,
        metavar="N",
        help=f"pre-training epochs of each layer (default {d.config.train.epochs})",
    )
    cmd.add_argument(
        "--steps", type=parse_int, metavar="N", help=f"fine-tuning Adam steps (default {d.finetune_steps})"
    )
    cmd.add_argument(
        "--threads", type=parse_int, metavar="N", help=f"torch CPU threads (default {DEFAULT_TORCH_THREADS})"
    )
    cmd.add_argument("--json", action="store_true", help="end with one line holding a JSON report")
    cmd.set_defaults(handler=run_pretrain)
    return cmd


def _ints(text: str, flag: str, all_word: bool = False) -> tuple[int, ...]:
    from ..pretrain import ALL

    values = []
    for part in (p.strip() for p in text.split(",")):
        if all_word and part == "all":
            values.append(ALL)
            continue
        if not part.isdigit() or int(part) < 1:
            extra = " or 'all'" if all_word else ""
            raise UsageError(f"{flag} takes comma-separated whole numbers of at least 1{extra}. Got {text!r} instead.")
        values.append(int(part))
    return tuple(values)


def setup_from_args(args: argparse.Namespace):
    """The ``PretrainSetup`` the flags describe; a ``UsageError`` or ``ConfigError`` for bad input."""
    from ..pretrain import PretrainSetup

    if args.dataset == "photos":
        raise UsageError(
            "a photos patch is labelled by the photograph it was cut from, not by what it shows, so few labels per "
            "class mean nothing there. Use --dataset digits."
        )
    if args.dataset not in DATASETS:
        raise UsageError(f"--dataset must be one of {', '.join(DATASETS)}. Got {args.dataset!r} instead.")
    if not 1 <= args.seeds <= MAX_SEEDS:
        raise UsageError(f"--seeds must be an int in [1, {MAX_SEEDS}]. Got {args.seeds} instead.")
    if args.threads is not None and not 1 <= args.threads <= 256:
        raise UsageError(f"--threads must be an int in [1, 256]. Got {args.threads} instead.")
    base = PretrainSetup()
    changes = {"dataset": args.dataset}
    for name, value in (("noise_level", args.noise_level), ("epochs", args.epochs)):
        if value is not None:
            changes[name] = value
    steps = {} if args.steps is None else {"finetune_steps": args.steps}
    return PretrainSetup(
        config=base.config.replace(**changes),
        widths=_ints(args.widths, "--widths"),
        labels_per_class=_ints(args.labels, "--labels", all_word=True),
        seeds=tuple(range(args.seeds)),
        **steps,
    )


def run_pretrain(args: argparse.Namespace) -> int:
    setup = setup_from_args(args)
    from ..pretrain import compare, table_text
    from ..training import use_torch_threads

    use_torch_threads(args.threads or DEFAULT_TORCH_THREADS)
    result = compare(setup)
    config = setup.config
    print(
        f"{config.data.dataset}, stack {' -> '.join(map(str, setup.widths))} {config.model.activation} units, "
        f"pre-trained {config.train.epochs} epochs a layer at {config.noise.noise} {config.noise.noise_level:g}; "
        f"fine-tuned {setup.finetune_steps} Adam steps (lr {setup.finetune_lr:g}); "
        f"{result.seconds:.1f} s ({result.pretrain_seconds:.1f} s pre-training)"
    )
    print(table_text(result))
    if args.json:
        report = {
            "dataset": config.data.dataset,
            "noise": config.noise.noise,
            "noise_level": config.noise.noise_level,
            "activation": config.model.activation,
            "pretrain_epochs": config.train.epochs,
            "finetune_steps": setup.finetune_steps,
            "finetune_lr": setup.finetune_lr,
            "methods": list(result.accuracy),
            **result.to_dict(),
        }
        print(json.dumps(report), flush=True)
    return EXIT_OK
