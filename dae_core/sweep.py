"""Sweeps: runs that differ in a few settings, trained together, as one batched model wherever they can be.

Members that share an architecture and data (the same dataset, layers, batch size, epochs, loss, optimizer and
device; see :func:`architecture`) form a group, and a group trains as one model with stacked weights: each step
stacks the members' weights layer by layer, runs all members' forward passes as one batched matmul per layer
(``torch.baddbmm``), and sums the members' losses, so one backward pass gives each member exactly its own
gradient. Each member keeps what makes it a separate run: its initial weights (drawn from its own seed, as its
single run draws them), its noise stream, noise type and level, learning rate, optimizer state, stop rules and
evaluation. Only the batch order is shared (the first member's). A member's results therefore match its separate
run within noise, and a group of one *is* its separate run (``Trainer.epochs``).

``Sweep`` trains in this process and yields every member's ``EpochRecord``s as they come, so a page can draw K live
curves. :func:`train_group` trains one group anywhere (another process, a Dask worker) and returns plain data.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .config import MAX_SWEEP_RUNS, SWEEPABLE, RunConfig
from .data import Dataset, load_dataset
from .dense_step import BatchedDenseStep
from .errors import ConfigError
from .noise import noisy_batches_each
from .optim import make_optimizer
from .records import EpochRecord
from .training import (
    FINISHED,
    GATHER_FLOATS,
    LOSS_FUNCTIONS,
    Outcome,
    TrainedModel,
    Trainer,
    batch_rows,
    use_torch_threads,
)


def expand(base: RunConfig, lists: dict[str, Sequence], max_members: int = MAX_SWEEP_RUNS) -> list[RunConfig]:
    """Every combination of the listed values applied to ``base``: their product, the last name varying fastest.

    Raises ``ConfigError`` naming the problem: an empty list, a setting that cannot vary, too many runs, or a
    combination that is not a valid config.
    """
    for name, values in lists.items():
        if name not in SWEEPABLE:
            raise ConfigError(f"'{name}' cannot vary in a sweep; these can: {', '.join(SWEEPABLE)}.")
        if not values:
            raise ConfigError(f"The list of values for '{name}' is empty. Give at least one value.")
    count = int(np.prod([len(values) for values in lists.values()])) if lists else 1
    if count > max_members:
        sizes = " x ".join(f"{len(values)} {name}" for name, values in lists.items() if len(values) > 1)
        raise ConfigError(f"This sweep has {count} runs ({sizes}); the limit is {max_members}. Give fewer values.")
    names = list(lists)
    return [base.replace(**dict(zip(names, values))) for values in itertools.product(*lists.values())]


def architecture(config: RunConfig, index: int = 0) -> tuple:
    """What the members of one batched group share: data, layers, batch size, epochs, loss, optimizer, device. A
    conv member (``index``: its place in the sweep) trains in a group of its own, as its separate run does."""
    train = config.train
    alone = (index,) if config.model.architecture == "conv" else ()
    return config.data, config.model, train.batch_size, train.epochs, train.loss, train.optimizer, train.device, alone


def groups_of(configs: Sequence[RunConfig]) -> list[list[int]]:
    """Indices of ``configs`` grouped by :func:`architecture`, in order of first appearance."""
    groups: dict[tuple, list[int]] = {}
    for index, config in enumerate(configs):
        groups.setdefault(architecture(config, index), []).append(index)
    return list(groups.values())


class BatchedSteps:
    """The training steps of several ``Trainer``s of one architecture, taken together as one batched model.

    The members' parameters live stacked, (K, *shape), in leaves of their own: members with the same optimizer
    settings (learning rate, weight decay, momentum) share one set of stacked leaves and one optimizer, so a
    sweep over noise or seeds takes one fused optimizer step per batch whatever K is. After each epoch the
    members' own models receive their slices, and everything else (evaluation, divergence, stop rules, the saved
    model) works on those, as in a single run.
    """

    def __init__(self, trainers: Sequence[Trainer]):
        lead = trainers[0]
        self.loss_fn = LOSS_FUNCTIONS[lead.config.train.loss]
        self.X, self.device, self.plan = lead.X_train, lead.device, lead.model.layer_plan()
        self.batch_generator = lead.batch_generator  # the shared batch order
        self.clip, self.low, self.high = lead.dataset.bounded, lead.low, lead.high
        by_settings: dict[tuple, list[Trainer]] = {}
        for trainer in trainers:
            train = trainer.config.train
            by_settings.setdefault((train.lr, train.weight_decay, train.momentum), []).append(trainer)
        self.trainers = [trainer for group in by_settings.values() for trainer in group]  # the stacking order
        self.stacks = []  # (members, {name: stacked leaf}, optimizer)
        for group in by_settings.values():
            leaves = {name: _stacked([dict(t.model.named_parameters())[name] for t in group]) for name in _names(lead)}
            self.stacks.append((group, leaves, make_optimizer(leaves.values(), group[0].config.train)))
        by_hand = lead.dense_step is not None  # the single runs' hand-derived steps cover this model and loss
        self.by_hand = BatchedDenseStep(lead.model, lead.config.train.loss) if by_hand else None

    def params(self) -> dict[str, torch.Tensor]:
        """Every member's parameters, stacked in ``self.trainers`` order: weights (K, in, out), biases (K, 1, out)."""
        if len(self.stacks) == 1:
            return self.stacks[0][1]
        return {name: torch.cat([leaves[name] for _, leaves, _ in self.stacks]) for name in self.stacks[0][1]}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(K, B, D) inputs, one slice per member, to (K, B, D) outputs, each through its member's weights."""
        params = self.params()
        for weight, transposed, bias, activation in self.plan:
            x = torch.baddbmm(params[bias], x, params[weight].transpose(1, 2) if transposed else params[weight])
            if activation is not None:
                x = activation(x)
        return x

    def epoch(self, live: set[Trainer]) -> tuple[dict[Trainer, float], float]:
        """One epoch of the members in ``live`` (the others sit still): their train losses, and its seconds."""
        start = time.perf_counter()
        n = self.X.shape[0]
        batch = self.trainers[0].config.train.batch_size or n
        order = torch.randperm(n, generator=self.batch_generator, device=self.device)
        resting = [trainer not in live for trainer in self.trainers]
        noises = [t.config.noise.noise for t in self.trainers]
        levels = [0.0 if rest else t.settings.noise.noise_level for t, rest in zip(self.trainers, resting)]
        generators = [t.noise_generator for t in self.trainers]
        training = torch.tensor([not rest for rest in resting], device=self.device)
        weights = training.to(self.X.dtype)
        bounds = {"low": self.low, "high": self.high, "clip": self.clip}
        per_gather = max(1, GATHER_FLOATS // (len(levels) * batch * self.X.shape[1])) * batch  # (K, rows, D) at once
        losses = []
        with torch.inference_mode() if self.by_hand is not None else contextlib.nullcontext():
            for first in range(0, n, per_gather):
                rows = self.X[order[first : first + per_gather]]  # the same rows for every member
                noisy_rows = noisy_batches_each(rows, batch, noises, levels, generators, **bounds)  # (K, B, D) each
                for clean, noisy in zip(rows.split(batch), noisy_rows, strict=True):
                    per_member = self._step(noisy, clean, training, weights, any(resting))
                    losses.append(per_member.detach())
        train_losses = ((torch.stack(losses).double().T @ batch_rows(n, batch, self.device)) / n).tolist()
        self._hand_back(live)
        return dict(zip(self.trainers, train_losses)), time.perf_counter() - start

    def _step(self, noisy: torch.Tensor, clean: torch.Tensor, training: torch.Tensor, weights: torch.Tensor,
              resting: bool) -> torch.Tensor:  # fmt: skip
        """One step of every member on its noisy copy of the batch; each member's loss (K,). A resting member's
        gradient is zero (``training``: which members train, ``weights``: the same as 1s and 0s)."""
        if self.by_hand is not None:
            per_member, grads = self.by_hand.step(self.params(), noisy, clean, weights)
            start = 0
            for members, leaves, optimizer in self.stacks:
                optimizer.step([grads[name][start : start + len(members)] for name in leaves])
                start += len(members)
            return per_member
        out = self.forward(noisy)
        per_member = self.loss_fn(out, clean.expand_as(out), reduction="none").mean(dim=(1, 2))  # (K,)
        for _, _, optimizer in self.stacks:
            optimizer.zero_grad(set_to_none=True)
        total = per_member[training].sum() if resting else per_member.sum()
        total.backward()  # each member's slice of the gradient is its own loss's
        for _, _, optimizer in self.stacks:
            optimizer.step()
        return per_member

    @torch.no_grad()
    def _hand_back(self, live: set[Trainer]) -> None:
        """Copy each live member's slice of the stacked leaves into its own model."""
        for members, leaves, _ in self.stacks:
            for position, trainer in enumerate(members):
                if trainer in live:
                    for name, parameter in trainer.model.named_parameters():
                        stacked = leaves[name][position]  # (in, out) or (1, out)
                        parameter.copy_(stacked.t() if parameter.dim() == 2 else stacked[0])


def _names(trainer: Trainer) -> list[str]:
    return [name for name, _ in trainer.model.named_parameters()]


def _stacked(parameters: list[torch.Tensor]) -> torch.Tensor:
    """A new leaf holding ``parameters`` stacked for ``torch.baddbmm``: weights (K, in, out), biases (K, 1, out)."""
    stacked = torch.stack([p.detach() for p in parameters])
    stacked = stacked.transpose(1, 2).contiguous() if stacked.dim() == 3 else stacked.unsqueeze(1).contiguous()
    return stacked.requires_grad_()


@dataclass
class SweepRun:
    """One member's outcome: its settings, trained model, and the seconds its group trained for."""

    config: RunConfig
    trained: TrainedModel
    seconds: float  # wall time of its group: batched members share it
    group: int
    batched: bool
    diverged: bool = False  # training stopped on a runaway loss; ``trained`` holds the last finite weights
    worker: str = "local"


class Sweep:
    """Train ``configs`` as a sweep; ``epochs()`` yields ``(member index, EpochRecord)`` for every member's epochs.

    ``dataset``: the data for members whose ``DataConfig`` it was loaded from (say, an uploaded table); other data
    is loaded once per distinct ``DataConfig``.
    """

    def __init__(self, configs: Sequence[RunConfig], dataset: Dataset | None = None):
        if not configs:
            raise ConfigError("A sweep needs at least one run.")
        self.configs = list(configs)
        self.groups = groups_of(self.configs)
        self.runs: list[SweepRun | None] = [None] * len(self.configs)
        self.seconds = 0.0
        self._datasets: dict = {} if dataset is None else {configs[0].data: dataset}
        self._built: dict[tuple[int, ...], list[Trainer]] = {}

    @property
    def batched(self) -> bool:
        return any(len(group) > 1 for group in self.groups)

    def dataset(self, config: RunConfig) -> Dataset:
        if config.data not in self._datasets:
            self._datasets[config.data] = load_dataset(config.data)
        return self._datasets[config.data]

    def prepare(self) -> Sweep:
        """Load the data and build every member's model and optimizer now (``epochs`` does it otherwise, group by
        group): the command line starts its clock after this, as ``train`` starts it after building its run."""
        for members in self.groups:
            self._trainers(members)
        return self

    def _trainers(self, members: list[int]) -> list[Trainer]:
        key = tuple(members)
        if key not in self._built:
            dataset = self.dataset(self.configs[members[0]])
            self._built[key] = [Trainer(self.configs[index], dataset) for index in members]
        return self._built[key]

    def epochs(self) -> Iterator[tuple[int, EpochRecord]]:
        start = time.perf_counter()
        for number, members in enumerate(self.groups):
            yield from self._train_group(number, members)
        self.seconds = time.perf_counter() - start

    def run(self) -> list[SweepRun]:
        """Train every member to the end; the members' results, in the order of ``configs``."""
        for _ in self.epochs():
            pass
        return list(self.runs)

    def _train_group(self, number: int, members: list[int]) -> Iterator[tuple[int, EpochRecord]]:
        trainers = self._trainers(members)
        start = time.perf_counter()
        if len(trainers) == 1:
            for record in trainers[0].epochs():
                yield members[0], record
        else:
            yield from _batched_epochs(members, trainers)
        seconds = time.perf_counter() - start
        del self._built[tuple(members)]  # the results below hold copies; the trainers can go
        for index, trainer in zip(members, trainers):
            diverged = trainer.outcome is not None and trainer.outcome.diverged
            self.runs[index] = SweepRun(trainer.config, trainer.result(), seconds, number, len(trainers) > 1, diverged)


def _batched_epochs(members: list[int], trainers: list[Trainer]) -> Iterator[tuple[int, EpochRecord]]:
    """``Trainer.epochs`` for a group: each member ends by itself (finished, stopped by a rule, or diverged)."""
    steps = BatchedSteps(trainers)
    while True:
        for trainer in trainers:
            if trainer.outcome is None and trainer.epoch >= trainer.config.train.epochs:
                trainer.outcome = Outcome(FINISHED, f"finished {trainer.epoch} epochs")
        live = {trainer for trainer in trainers if trainer.outcome is None}
        if not live:
            return
        losses, seconds = steps.epoch(live)
        for index, trainer in zip(members, trainers):
            if trainer in live and (record := trainer.end_epoch(losses[trainer], seconds)) is not None:
                yield index, record  # None: it diverged, its last finite weights are back, and it trains no more
                trainer.stopped_by_rule(record)


def train_group(configs: Sequence[RunConfig], table: bytes | None = None) -> list[dict]:
    """Train one group of a sweep here and return plain data, for another process or a Dask worker to send back.

    Each member: ``TrainedModel.to_plain()`` with its config, seconds, whether it was batched or diverged, and where
    it trained.
    """
    use_torch_threads(1)
    dataset = load_dataset(configs[0].data, table)
    sweep = Sweep(configs, dataset)
    runs = sweep.run()
    where = _worker_address()
    return [
        run.trained.to_plain()
        | {
            "config": run.config.to_dict(),
            "seconds": run.seconds,
            "batched": run.batched,
            "diverged": run.diverged,
            "worker": where,
        }
        for run in runs
    ]


def _worker_address() -> str:
    """The Dask worker this runs on, or "local"."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):  # no Dask, or not inside a Dask worker
        return "local"
