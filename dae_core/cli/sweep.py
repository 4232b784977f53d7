"""``python -m dae_core sweep``: every combination of a few settings, trained as batched groups, here, in local
processes (``--jobs``) or on a Dask cluster (``--scheduler``), reported as a table or one JSON line.

Bad input exits with code 2 and one ``error:`` line, as every command does (see ``dae_core.cli``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
import zipfile
from typing import TYPE_CHECKING

from ..config import DEFAULT_TORCH_THREADS, MAX_SWEEP_RUNS, SWEEPABLE, RunConfig
from ..lessons import lesson
from ..records import Summary, format_ratio
from ..robustness import Robustness, mean_paths
from .flags import EXIT_OK, EXIT_TRAINING_FAILED, UsageError, config_from_args, run_report

if TYPE_CHECKING:  # dae_core.sweep loads torch: imported where a sweep runs, so that `--help` stays quick
    from ..sweep import Sweep, SweepRun

CONNECT_SECONDS = 10  # how long to wait for a Dask scheduler before saying it cannot be reached


def run_sweep(args: argparse.Namespace) -> int:
    from ..sweep import Sweep, expand, groups_of
    from ..training import use_torch_threads

    lists = {name: getattr(args, name) for name in SWEEPABLE if getattr(args, name) is not None}
    chosen = lesson(args.lesson) if args.lesson else None
    if chosen is not None:  # a lesson that compares brings its lists; a list given on the command line wins
        lists = {name: values for name, values in chosen.sweep.items() if name not in lists} | lists
    for name in lists:
        setattr(args, name, None)  # the rest of the flags make the base config
    for flag, value in (("--max-runs", args.max_runs), ("--jobs", args.jobs), ("--threads", args.threads)):
        if value is not None and not 1 <= value <= 256:
            raise UsageError(f"{flag} must be an int in [1, 256]. Got {value} instead.")
    if args.jobs and args.jobs > 1 and args.scheduler:
        raise UsageError("--jobs runs groups in local processes and --scheduler sends them to Dask: give one.")
    configs = expand(config_from_args(args), lists, args.max_runs or MAX_SWEEP_RUNS)
    if chosen is not None and chosen.robustness:
        _check_one_model_per_level(configs)
    if args.save:
        _check_folder(args.save)
    table = _table(configs[0])
    use_torch_threads(args.threads or DEFAULT_TORCH_THREADS)

    if args.scheduler or (args.jobs and args.jobs > 1):
        dataset = _dataset_loader(table)  # here, for the scalers and the probes; the workers load their own
        start = time.perf_counter()  # the workers load the data: it counts
        spread = _on_dask if args.scheduler else _in_processes
        runs = spread(configs, dataset, table, args.scheduler if args.scheduler else args.jobs)
    else:
        sweep = Sweep(configs).prepare()  # data and models built before the clock starts, as `train` does
        dataset = sweep.dataset
        start = time.perf_counter()
        runs = _here(sweep)
    sweep_seconds = time.perf_counter() - start

    saved = [None] * len(runs)
    if args.save:
        from .. import model_file

        for number, run in enumerate(runs, 1):
            saved[number - 1] = os.path.join(args.save, f"run-{number:02d}.dae")
            model_file.save(run.trained, saved[number - 1])
        print(f"Saved {len(runs)} models to {args.save}")
    print(table_text(runs))
    probes = _probes(runs, dataset) if chosen is not None and chosen.probe else None
    if probes is not None:
        codes = ", ".join(f"{run.config.noise.noise_level:g}: {p['code_accuracy']:.3f}" for run, p in zip(runs, probes))
        print(f"Linear probe accuracy of the codes, by training noise level: {codes}; "
              f"raw features {probes[0]['raw_accuracy']:.3f}")  # fmt: skip
    robust = _robustness(runs, dataset, chosen.robustness) if chosen is not None and chosen.robustness else None
    if robust is not None:
        print(robustness_text(robust))
    if args.json:
        reports = [_run_report(run, path) for run, path in zip(runs, saved)]
        if probes is not None:
            for report, probe in zip(reports, probes):
                report["probe_accuracy"] = probe["code_accuracy"]
        report = {
            "runs": reports,
            "sweep_seconds": sweep_seconds,
            "batched": any(run.batched for run in runs),
            "groups": len(groups_of(configs)),
            "jobs": args.jobs or 1,
            "scheduler": args.scheduler,
        }
        if probes is not None:
            report["raw_probe_accuracy"] = probes[0]["raw_accuracy"]
        if robust is not None:
            report |= _robustness_report(robust)
        print(json.dumps(report), flush=True)
    return EXIT_TRAINING_FAILED if any(run.diverged for run in runs) else EXIT_OK


def _check_folder(path: str) -> None:
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"--save {path!r} is a file; give a folder for the models (it is created if missing).")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(path) and not os.path.isdir(parent):
        raise UsageError(f"--save {path!r}: folder {parent!r} does not exist. Create it or choose another path.")
    os.makedirs(path, exist_ok=True)
    if not os.access(path, os.W_OK):
        raise UsageError(f"--save {path!r} is not writable. Choose a folder you can write to.")


def _table(config: RunConfig) -> bytes | None:
    """A CSV table's or the pictures' bytes (a zip; a folder is packed into one), read here once, so that workers
    on other machines need no copy of the files."""
    data = config.data
    if data.dataset not in ("csv", "images"):
        return None
    path, flag = (data.csv_path, "--csv") if data.dataset == "csv" else (data.images_path, "--images")
    try:
        if os.path.isdir(path):
            return _zipped(path)
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise UsageError(f"{flag} {path!r} could not be read ({exc.strerror}).") from None


def _zipped(folder: str) -> bytes:
    """The files under ``folder`` as an uncompressed zip's bytes, by their paths inside it (the reader of pictures
    takes a zip as it takes a folder: sub-folders are the labels, other files are ignored the same way)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for root, _, files in sorted(os.walk(folder)):
            for name in sorted(files):
                path = os.path.join(root, name)
                archive.write(path, os.path.relpath(path, folder))
    return buffer.getvalue()


# --- where the groups train --------------------------------------------------------------------------
def _here(sweep: Sweep) -> list[SweepRun]:
    configs, done = sweep.configs, set()
    for index, record in sweep.epochs():
        group = next(number for number, members in enumerate(sweep.groups) if index in members)
        if record.epoch == configs[index].train.epochs and group not in done:
            done.add(group)
            size = len(sweep.groups[group])
            how = f"{size} runs batched" if size > 1 else "1 run"
            print(f"Group {group + 1} of {len(sweep.groups)} ({how}): epoch {record.epoch}", flush=True)
    return sweep.runs


def _dataset_loader(table: bytes | None):
    """``config -> Dataset``, loading each distinct ``DataConfig`` once (``Sweep.dataset`` does the same)."""
    from ..data import load_dataset

    loaded = {}

    def dataset(config: RunConfig):
        if config.data not in loaded:
            loaded[config.data] = load_dataset(config.data, table)
        return loaded[config.data]

    return dataset


def _in_processes(configs: list[RunConfig], dataset, table: bytes | None, jobs: int) -> list[SweepRun]:
    import concurrent.futures
    import multiprocessing

    from ..sweep import groups_of, train_group

    groups = groups_of(configs)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(min(jobs, len(groups)), mp_context=context) as pool:
        futures = [pool.submit(train_group, [configs[i] for i in members], table) for members in groups]
        return _assemble(configs, groups, [future.result() for future in futures], dataset)


def _on_dask(configs: list[RunConfig], dataset, table: bytes | None, address: str) -> list[SweepRun]:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "--scheduler needs Dask: pip install 'dask[distributed]' (it is in requirements-dev.txt)."
        ) from None
    try:
        client = Client(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(
            f"--scheduler {address!r}: no Dask scheduler answered ({exc}). Check the address (tcp://HOST:PORT) and "
            "that the scheduler is running."
        ) from None
    from ..sweep import groups_of, train_group

    groups = groups_of(configs)
    with client:
        futures = [client.submit(train_group, [configs[i] for i in members], table, pure=False) for members in groups]
        payloads = client.gather(futures)
    return _assemble(configs, groups, payloads, dataset)


def _assemble(configs, groups, payloads, dataset) -> list[SweepRun]:
    """Sweep runs from the plain data each group sent back (``TrainedModel.to_plain``), in the order of ``configs``."""
    from ..sweep import SweepRun
    from ..training import TrainedModel

    runs = [None] * len(configs)
    for number, (members, payload) in enumerate(zip(groups, payloads)):
        for index, member in zip(members, payload):
            config = configs[index]
            trained = TrainedModel.from_plain(config, dataset(config), member)
            runs[index] = SweepRun(
                config, trained, member["seconds"], number, member["batched"], member["diverged"], member["worker"]
            )
    return runs


# --- the report --------------------------------------------------------------------------------------
def _probes(runs: list[SweepRun], dataset) -> list[dict]:
    """Each run's linear probe (``analysis.probe``): accuracy of a classifier on its codes, and on the raw rows."""
    from ..analysis import probe

    return [probe(run.trained, dataset(run.config), seed=run.config.train.seed) for run in runs]


def _check_one_model_per_level(configs: list[RunConfig]) -> None:
    """A robustness lesson reads each seed's models by their training level: they may differ in nothing else."""
    by_seed: dict[int, list[RunConfig]] = {}
    for config in configs:
        by_seed.setdefault(config.train.seed, []).append(config)
    for members in by_seed.values():
        levels = {config.noise.noise_level for config in members}
        if len(levels) < len(members) or len({config.replace(noise_level=0.0) for config in members}) > 1:
            raise UsageError(
                "This lesson compares one model per noise level: vary only --noise-level (and --seed, to repeat the "
                "comparison)."
            )


def _robustness(runs: list[SweepRun], dataset, test_levels: tuple[float, ...]) -> dict[int, Robustness]:
    """Per seed, its models read by one classifier trained on the clean rows (``robustness.of_runs``)."""
    from ..robustness import of_runs

    by_seed: dict[int, list[SweepRun]] = {}
    for run in runs:
        by_seed.setdefault(run.config.train.seed, []).append(run)
    return {seed: of_runs(members, dataset(members[0].config), test_levels) for seed, members in by_seed.items()}


def robustness_text(results: dict[int, Robustness]) -> str:
    """One line per seed (and their mean, for several): accuracy by path over the test levels."""
    first = next(iter(results.values()))
    levels = " / ".join(f"{level:g}" for level in first.test_levels)

    def paths(table: dict[str, list[float]]) -> str:
        return "; ".join(f"{name} " + " / ".join(f"{value:.3f}" for value in values) for name, values in table.items())

    lines = [f"Accuracy of a classifier trained on clean inputs, on test inputs with {first.noise_label} {levels} "
             "(raw: as they are; autoencoder and training levels: through each model):"]  # fmt: skip
    lines += [f"  seed {seed}: {paths(result.paths())}" for seed, result in results.items()]
    if len(results) > 1:
        lines.append(f"  mean: {paths(mean_paths(list(results.values())))}")
    return "\n".join(lines)


def _robustness_report(results: dict[int, Robustness]) -> dict:
    """``test_levels`` and ``accuracy`` (by path, a list over the test levels; the mean over the seeds), and for
    several seeds ``accuracy_by_seed``."""
    report = {
        "test_levels": list(next(iter(results.values())).test_levels),
        "accuracy": mean_paths(list(results.values())),
    }
    if len(results) > 1:
        report["accuracy_by_seed"] = {str(seed): result.paths() for seed, result in results.items()}
    return report


def _summary(run: SweepRun) -> Summary:
    return Summary.of(run.trained.kept_record)


def _run_report(run: SweepRun, saved: str | None) -> dict:
    """The keys of ``train --json``, plus where it ran and whether it was batched."""
    trained = run.trained
    report = run_report(_summary(run), trained.history, run.seconds, trained.stop_reason, run.config.train.device)
    extra = {"worker": run.worker, "group": run.group + 1, "batched": run.batched}
    return report | {"saved": saved, "config": run.config.to_dict()} | extra


def table_text(runs: list[SweepRun]) -> str:
    """One row per run: what varies, test MSE, the baselines, the ratio to PCA, and where and how it trained."""
    header = ["#", "noise", "level", "seed", "lr", "code", "layers", "test MSE", "identity", "PCA", "vs PCA"]
    header += ["epochs", "seconds", "group", "worker"]
    rows = [header]
    for number, run in enumerate(runs, 1):
        config, summary = run.config, _summary(run)
        rows.append(
            [
                str(number),
                config.noise.noise,
                f"{config.noise.noise_level:g}",
                str(config.train.seed),
                f"{config.train.lr:g}",
                str(config.model.hidden_dim),
                ",".join(map(str, config.model.hidden_layers)) or "-",
                _number(summary.test_mse),
                _number(summary.identity_mse),
                _number(summary.pca_mse),
                format_ratio(summary.ratio_to_pca).replace("×", "x"),
                str(len(run.trained.history)),
                f"{run.seconds:.2f}",
                f"{run.group + 1}{'*' if run.batched else ''}",
                run.worker,
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows]
    lines.append("* trained batched with the other runs of its group; seconds are the group's.")
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
