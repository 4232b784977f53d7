"""Two ways for a search to leave one process: Optuna's shared storage (every `tune` process opens one database) and
Optuna's Dask integration (``optuna_integration.DaskStorage``: the study lives in the Dask scheduler, trials run on
its workers). The same search on each, sides alternated: 2 warm worker processes each (a process pool on one SQLite
file, as `tune --jobs 2` or two machines on one database; a local Dask cluster of 2 workers).

    python bench/bench_tune_dask.py                 # 12 trials of the denoise lesson at 60 epochs, 2 rounds (~3 min)
    python bench/bench_tune_dask.py --trials 20 --rounds 3

Needs the dev requirements (Dask) and ``pip install optuna-integration`` for the Dask side. Both sides run the random
sampler without pruning, so each trial is the same amount of work; the table gives wall seconds per side and round,
and their ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout

from dae_core.lessons import lesson
from dae_core.tune import TuneSpec, open_study, parse_search, run_study

SEARCH = "noise_level=0..0.9 hidden_dim=2..128:log lr=1e-4..3e-2:log"


def shared_sqlite(processes, trials: int, epochs: int, folder: str, name: str) -> float:
    """Two warm local processes, each running half the trials of one study kept in one SQLite file."""
    storage = f"sqlite:///{os.path.join(folder, 'shared.db')}"
    spec = _spec(trials, epochs, storage, name)
    open_study(spec)  # made once here, as `tune` does before its processes start
    started = time.perf_counter()
    list(processes.map(_dask_share, [spec, spec]))
    return time.perf_counter() - started


def _spec(trials: int, epochs: int, storage, name: str) -> TuneSpec:
    base = lesson("denoise").config.replace(epochs=epochs)
    return TuneSpec(base, parse_search(SEARCH, base), trials // 2, sampler="random", pruner="none", storage=storage,
                    study=name)  # fmt: skip


def _warm() -> None:
    import dae_core.training  # noqa: F401


def _warm_one(_: int) -> None:
    _warm()


def _dask_share(spec: TuneSpec) -> int:
    from dae_core.training import use_torch_threads

    use_torch_threads(1)
    return len(run_study(spec).trials)


def dask_storage(client, trials: int, epochs: int, name: str) -> float:
    """The study in the Dask scheduler (DaskStorage), half the trials on each of the cluster's 2 workers."""
    from optuna.storages import InMemoryStorage
    from optuna_integration.dask import DaskStorage

    spec = _spec(trials, epochs, DaskStorage(InMemoryStorage(), name=name, client=client), name)
    open_study(spec)  # made once on the client, as on the other side
    started = time.perf_counter()
    futures = [client.submit(_dask_share, spec, pure=False) for _ in range(2)]
    client.gather(futures)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    import multiprocessing
    import warnings
    from concurrent.futures import ProcessPoolExecutor

    from distributed import Client, LocalCluster

    warnings.filterwarnings("ignore", message="DaskStorage is experimental")
    context = multiprocessing.get_context("spawn")
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
        Client(cluster) as client,
        ProcessPoolExecutor(2, mp_context=context) as processes,
    ):
        client.run(_warm)  # each worker imports the engine before the clock starts
        list(processes.map(_warm_one, [0, 1]))
        print("| round | shared SQLite, 2 processes (s) | Dask storage, 2 workers (s) | Dask / SQLite |")
        print("|---|---|---|---|")
        with tempfile.TemporaryDirectory() as folder:
            for round_ in range(args.rounds):
                sides = [("sqlite", lambda n: shared_sqlite(processes, args.trials, args.epochs, folder, n)),
                         ("dask", lambda n: dask_storage(client, args.trials, args.epochs, n))]  # fmt: skip
                if round_ % 2:
                    sides.reverse()  # who goes first alternates
                seconds = {side: run(f"{side}-{round_}") for side, run in sides}
                print(f"| {round_} | {seconds['sqlite']:.1f} | {seconds['dask']:.1f} | "
                      f"{seconds['dask'] / seconds['sqlite']:.2f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
