"""``python -m dae_core tune``: a hyperparameter search with Optuna (``dae_core.tune``). The train flags fix what
stays the same, ``--search`` says what varies; each trial is scored on one fixed noisy test set, hopeless trials are
pruned on their per-epoch test MSE, and the best settings come out as a ``train`` command (and, with ``--save``, a
model file). Studies live in SQLite in the data folder, or in any database ``--storage`` names, so several
processes, here (``--jobs``) or on several machines, can share one study.

Bad input exits with code 2 and one ``error:`` line, as every command does (see ``dae_core.cli``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from typing import TYPE_CHECKING

from ..config import DEFAULT_TORCH_THREADS
from ..errors import ConfigError
from .flags import EXIT_OK, UsageError, add_run_flags, config_from_args, json_safe, parse_float, parse_int, run_report

if TYPE_CHECKING:
    from ..tune import TuneResult, TuneSpec

METRICS = ("test_mse", "ratio_to_pca", "probe_accuracy")  # dae_core.tune.METRICS, named here without importing it
DEFAULT_TRIALS = 20
MAX_JOBS = 64


def add_tune_parser(commands) -> argparse.ArgumentParser:
    cmd = commands.add_parser(
        "tune",
        help="search for the best noise level, code size, learning rate, ... with Optuna",
        description="Search hyperparameters with Optuna. The train flags (or --lesson) fix what stays the same; "
        "--search says what varies, as NAME=LOW..HIGH (add :log for a log scale) or NAME=A|B|C items separated by "
        "spaces, e.g. --search 'noise_level=0..1 hidden_dim=2..64:log lr=1e-4..1e-1:log hidden_layers=none|64|128,64'. "
        "Every trial is scored on one fixed noisy test set (--test-noise, default the run's own noise), so a "
        "search over the training noise asks which training noise best denoises that test noise. Trials that fall "
        "behind are stopped early (--pruner). The first trial is the run the flags describe, when the space holds "
        "it. Studies are kept in SQLite in the data folder ($DAE_DATA_DIR, else ~/.dae-lab), or in the database "
        "--storage names; processes given the same --storage and --study share one study, on one machine or many.",
        epilog="Settings a search can vary: noise_level, lr, weight_decay, hidden_dim, code_channels, batch_size, "
        "noise, activation, optimizer, architecture, hidden_layers (widths, or none), conv_channels. "
        "Exit status: 0 when the search ends; 2 on bad input.",
        allow_abbrev=False,
    )
    cmd.prog = "python -m dae_core tune"
    add_run_flags(cmd)
    search = cmd.add_argument_group("search")
    search.add_argument(
        "--search",
        metavar="'NAME=LOW..HIGH[:log] NAME=A|B ...'",
        help="what varies (default: the noise level over its useful range, the code size 2..128 on a log scale, "
        "the learning rate 1e-4..3e-2 on a log scale, and hidden layers none|64|128|128,64)",
    )
    search.add_argument(
        "--trials", type=parse_int, metavar="N", help=f"trials this command runs (default {DEFAULT_TRIALS})"
    )
    search.add_argument("--timeout", type=parse_float, metavar="S", help="stop starting trials after S seconds")
    search.add_argument(
        "--metric", choices=METRICS, default="test_mse", help="what the search optimises (default test_mse)"
    )
    search.add_argument(
        "--test-noise",
        metavar="TYPE:LEVEL",
        help="the fixed test inputs' noise, e.g. masking:0.5 (default: the run's own noise type and level)",
    )
    search.add_argument(
        "--sampler", choices=("tpe", "random", "grid"), default="tpe", help="how trials are picked (default tpe)"
    )
    search.add_argument(
        "--pruner",
        choices=("median", "hyperband", "none"),
        help="how trials that fall behind are stopped early (default median; none with probe_accuracy)",
    )
    search.add_argument(
        "--jobs",
        type=parse_int,
        metavar="N",
        help="trials at once, in N local processes sharing the study (default: the number of CPU cores)",
    )
    where = cmd.add_argument_group("where the study lives")
    where.add_argument(
        "--storage",
        metavar="URL",
        help="a database URL Optuna accepts, e.g. sqlite:///studies.db or postgresql://user@host/db "
        "(default: studies.db in the data folder)",
    )
    where.add_argument("--study", metavar="NAME", help="resume, or join, the study of this name (default: a new one)")
    output = cmd.add_argument_group("output")
    output.add_argument("--save", metavar="DIR", help="train the best settings again and write DIR/best.dae")
    output.add_argument("--json", action="store_true", help="end with one line holding a JSON report")
    cmd.set_defaults(handler=run_tune)
    return cmd


def spec_from_args(args: argparse.Namespace) -> TuneSpec:
    """The search the flags describe, or a ``UsageError``/``ConfigError`` that says what to fix."""
    from ..serving.limits import LIMITS_TABLE, Limits
    from ..tune import TuneSpec, default_space, new_study_name, parse_search, parse_test_noise

    if args.schedule:
        raise UsageError("tune trains every trial under fixed settings; drop --schedule.")
    base = config_from_args(args)
    trials = DEFAULT_TRIALS if args.trials is None else args.trials
    limit = Limits.from_env().max_trials
    if not 1 <= trials <= limit:
        raise UsageError(
            f"--trials must be between 1 and {limit:,}, the most one search runs here "
            f"({LIMITS_TABLE['max_trials'][0]}). Got {trials:,}."
        )
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError(f"--timeout must be above 0 seconds. Got {args.timeout:g}.")
    try:
        space = parse_search(args.search if args.search is not None else default_space(base), base)
    except ConfigError as exc:
        raise UsageError(f"--search: {exc}") from None
    try:
        test_noise = parse_test_noise(args.test_noise) if args.test_noise else None
    except ConfigError as exc:
        raise UsageError(f"--test-noise: {exc}") from None
    pruner = args.pruner or ("none" if args.metric == "probe_accuracy" else "median")
    from ..tune import default_storage

    return TuneSpec(
        base=base,
        space=space,
        trials=trials,
        metric=args.metric,
        test_noise=test_noise,
        sampler=args.sampler,
        pruner=pruner,
        seed=base.train.seed,
        timeout=args.timeout,
        storage=args.storage or default_storage(),
        study=args.study or new_study_name(base),
    )


def run_tune(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    jobs = args.jobs if args.jobs is not None else max(1, os.cpu_count() or 1)
    if not 1 <= jobs <= MAX_JOBS:
        raise UsageError(f"--jobs must be between 1 and {MAX_JOBS}. Got {jobs}.")
    if args.threads is not None and not 1 <= args.threads <= 256:
        raise UsageError(f"--threads must be an int in [1, 256]. Got {args.threads} instead.")
    if args.save:
        _check_folder(args.save)
    from ..data import load_dataset
    from ..training import use_torch_threads
    from ..tune import open_study, retrain_best, run_study

    threads = args.threads or DEFAULT_TORCH_THREADS
    use_torch_threads(threads)
    dataset = load_dataset(spec.base.data)  # bad data fails here, before any process starts
    open_study(spec)  # made once here, before the processes that share it open it
    jobs = min(jobs, spec.trials)
    shares = [spec.trials // jobs + (i < spec.trials % jobs) for i in range(jobs)]
    print(f"Study {spec.study!r} in {_shown_storage(spec.storage)}: {spec.trials} trials in {jobs} process(es), "
          f"scored on {spec.noise[0]} {spec.noise[1]:g} test noise.", flush=True)  # fmt: skip
    helpers = _start_helpers(spec, shares[1:], threads)
    printed: set[int] = set()
    started = time.perf_counter()
    result = run_study(_with_trials(spec, shares[0]), dataset, on_change=lambda r: _print_new(r, printed))
    for helper in helpers:
        helper.join()
    failed_helpers = sum(helper.exitcode != 0 for helper in helpers)
    from ..tune import result_of

    result = result_of(open_study(spec), spec, time.perf_counter() - started)
    _print_new(result, printed)
    if failed_helpers:
        print(f"warning: {failed_helpers} of the {len(helpers)} helper processes ended with an error", file=sys.stderr)
    retrain_started = time.perf_counter()
    trainer, summary = retrain_best(spec, result, dataset)
    retrain_seconds = time.perf_counter() - retrain_started
    best = result.best
    print(_summary_line(result, spec))
    from ..share import to_cli_command

    command = to_cli_command(trainer.config)
    print(f"Train it: {command}")
    saved = None
    if args.save:
        from .. import model_file

        saved = os.path.join(args.save, "best.dae")
        try:
            model_file.save(trainer.result(), saved)
        except OSError as exc:
            raise UsageError(f"--save could not write {saved!r} ({exc.strerror}). Choose another folder.") from None
        print(f"Trained the best settings again (test MSE {summary.test_mse:.4f}) and saved them to {saved}")
    if args.json:
        report = run_report(summary, trainer.history, retrain_seconds, trainer.stop_reason, str(trainer.device))
        report |= {
            "search_seconds": result.seconds,
            "config": trainer.config.to_dict(),
            "command": command,
            "saved": saved,
            "best_trial": best.number,
            "best_params": best.params,
            "best_value": best.value,
            "metric": spec.metric,
            "direction": spec.direction,
            "test_noise": {"noise": spec.noise[0], "noise_level": spec.noise[1]},
            "search": " ".join(dimension.text() for dimension in spec.space),
            "study": spec.study,
            "storage": _shown_storage(spec.storage),
            "n_trials": len(result.trials),
            "n_complete": result.count("complete"),
            "n_pruned": result.n_pruned,
            "n_failed": result.count("failed"),
            "trials": [_trial_json(row) for row in result.trials],
        }
        print(json.dumps(json_safe(report)), flush=True)
    return EXIT_OK


def _with_trials(spec: TuneSpec, trials: int) -> TuneSpec:
    from dataclasses import replace

    return replace(spec, trials=trials)


def _start_helpers(spec: TuneSpec, shares: list[int], threads: int) -> list:
    """One process per share of the trials, each running its share of the same study."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no torch threads carried over by fork
    helpers = []
    for share in shares:
        helper = context.Process(target=_helper_main, args=(_with_trials(spec, share), threads), daemon=True)
        helper.start()
        helpers.append(helper)
    return helpers


def _helper_main(spec: TuneSpec, threads: int) -> None:
    from ..training import use_torch_threads
    from ..tune import run_study

    use_torch_threads(threads)
    run_study(spec)


def _print_new(result: TuneResult, printed: set[int]) -> None:
    """A line for each trial that has ended since the last call, whichever process ran it."""
    for row in sorted(result.trials, key=lambda row: row.number):
        if row.state == "running" or row.number in printed:
            continue
        printed.add(row.number)
        settings = ", ".join(f"{name}={_value(value)}" for name, value in row.params.items())
        if row.state == "complete":
            print(
                f"Trial {row.number}: {result.metric} {row.value:.4g} in {row.seconds:.1f} s ({settings})", flush=True
            )
        else:
            print(f"Trial {row.number}: {row.state}, {row.reason} ({settings})", flush=True)


def _summary_line(result: TuneResult, spec: TuneSpec) -> str:
    best = result.best
    states = f"{result.count('complete')} complete, {result.n_pruned} pruned, {result.count('failed')} failed"
    settings = ", ".join(f"{name}={_value(value)}" for name, value in best.params.items())
    value = f"{spec.metric} {best.value:.4g}"
    return f"Best of {len(result.trials)} trials ({states}): trial {best.number}, {value} ({settings})"


def _trial_json(row) -> dict:
    return json_safe(
        {
            "number": row.number,
            "state": row.state,
            "params": row.params,
            "value": row.value,
            "test_mse": row.test_mse,
            "epochs": row.epochs,
            "seconds": row.seconds,
            "reason": row.reason,
        }
    )


def _value(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _shown_storage(storage: str) -> str:
    """The storage URL without a password."""
    import re

    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", storage)


def _check_folder(folder: str) -> None:
    if not os.path.isdir(folder):
        raise UsageError(f"--save {folder!r} is not a folder. Create it first, or give another.")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"--save {folder!r} is not writable. Choose a folder you can write to.")
