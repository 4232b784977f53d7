"""Pre-training with few labels (Vincent et al. 2010, Erhan et al. 2010): greedy layer-wise pre-training of a stacked
DAE, then a classifier of the same shape fine-tuned on ``k`` labelled training rows per class.

Each layer of the stack is one DAE trained by the engine's ``Trainer`` on the codes of the layer below (the first on
the data itself). The classifier is the stack's encoder layers plus a softmax layer; it is compared with the same
network from a random start and with logistic regression on the raw pixels, over several seeds (each picks the
labelled rows and the initial weights), by accuracy on the test split. ``compare`` runs the whole table.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .config import RunConfig
from .data import Dataset, Scaler, load_dataset
from .errors import ConfigError

if TYPE_CHECKING:  # torch loads where a stack trains: the setup and the result are plain data a page imports cheaply
    import torch

    from .training import TrainedModel

ALL = 0  # labels_per_class 0: every labelled training row
LABELS_PER_CLASS = (1, 3, 10, 30, ALL)
METHODS = ("pre-trained", "random start", "logistic regression")  # the table's rows, in this order
CLASSIFIER_SEED_OFFSET = 104729  # the softmax layer's and the random start's weights: a stream apart from the DAE's

# The stack's first layer: digits in [0, 1] into 128 sigmoid units at masking 0.25 (the classic setting of the
# papers: sigmoid units, masking noise); each layer above takes the same settings with its own width.
DIGITS_STACK = RunConfig().replace(
    dataset="digits", hidden_layers=(), hidden_dim=128, activation="sigmoid", noise="masking", noise_level=0.25,
    epochs=30,
)  # fmt: skip


@dataclass(frozen=True)
class PretrainSetup:
    """What ``compare`` runs: the first layer's DAE settings, the stack's widths, the label counts and seeds, and the
    fine-tuning budget. Validated at construction; every problem is listed at once."""

    config: RunConfig = DIGITS_STACK  # data, noise and training of every layer; its hidden sizes are ignored
    widths: tuple[int, ...] = (128, 64)  # units of each layer, bottom first: 64 pixels -> 128 -> 64
    labels_per_class: tuple[int, ...] = LABELS_PER_CLASS  # k labelled rows of each class; ALL (0) for every row
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)  # each picks the labelled rows and every initial weight
    finetune_steps: int = 300  # Adam steps of fine-tuning: a fixed budget, since k = 1 leaves no rows to validate on
    finetune_batch: int = 64  # labelled rows per step (all of them when there are fewer)
    finetune_lr: float = 1e-2  # sigmoid units: at 1e-3, 300 steps left the random start at 0.77 with every label

    def __post_init__(self):
        for name in ("widths", "labels_per_class", "seeds"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        problems = []
        if not self.widths or any(not isinstance(w, int) or not 1 <= w <= 4096 for w in self.widths):
            problems.append(f"The 'widths' parameter of PretrainSetup must be 1 or more ints in [1, 4096]. Got "
                            f"{list(self.widths)!r} instead.")  # fmt: skip
        if not self.labels_per_class or any(not isinstance(k, int) or k < 0 for k in self.labels_per_class):
            problems.append(
                "The 'labels_per_class' parameter of PretrainSetup must be 1 or more ints >= 1 (0 for every row). "
                f"Got {list(self.labels_per_class)!r} instead."
            )
        if not self.seeds or len(set(self.seeds)) != len(self.seeds) or any(s < 0 for s in self.seeds):
            problems.append(f"The 'seeds' parameter of PretrainSetup must be distinct ints >= 0. Got "
                            f"{list(self.seeds)!r} instead.")  # fmt: skip
        for name in ("finetune_steps", "finetune_batch"):
            if getattr(self, name) < 1:
                problems.append(f"The '{name}' parameter of PretrainSetup must be an int >= 1. Got "
                                f"{getattr(self, name)!r} instead.")  # fmt: skip
        if not self.finetune_lr > 0:
            problems.append(f"The 'finetune_lr' parameter of PretrainSetup must be a float > 0. Got "
                            f"{self.finetune_lr!r} instead.")  # fmt: skip
        if self.config.model.architecture != "dense":
            problems.append("A stack is built of dense layers: set the architecture to 'dense'.")
        if problems:
            raise ConfigError("\n".join(problems))

    def layer_config(self, layer: int, seed: int) -> RunConfig:
        """The DAE settings of layer ``layer`` (0 at the bottom) for ``seed``: one hidden layer of its width."""
        return self.config.replace(hidden_layers=(), hidden_dim=self.widths[layer], seed=seed)


# --- pre-training ------------------------------------------------------------------------------------------------
def codes_dataset(layer: TrainedModel, dataset: Dataset) -> Dataset:
    """The codes of ``layer`` for ``dataset``'s rows, as the data the next layer trains on: the same split and labels.

    Codes of sigmoid units lie in [0, 1] and keep a [0, 1] scaler (noisy inputs clipped there, a sigmoid output);
    other units' codes keep an identity standard scaler. Either way the codes are used as they are."""
    train, test = layer.encode(dataset.X_train), layer.encode(dataset.X_test)  # (N, width)
    width = train.shape[1]
    bounded = layer.config.model.activation == "sigmoid"
    scaler = Scaler("range" if bounded else "standard")
    scaler.offset_, scaler.scale_ = np.zeros(width, np.float32), np.ones(width, np.float32)
    names = [f"h{i}" for i in range(width)]
    return Dataset("codes", train, test, dataset.y_train, dataset.y_test, scaler, names)


def train_layer(config: RunConfig, dataset: Dataset) -> TrainedModel:
    """One DAE of the stack, trained to the end by the engine's ``Trainer``."""
    from .training import Trainer

    trainer = Trainer(config, dataset)
    for _ in trainer.epochs():
        pass
    return trainer.result()


def pretrain_stack(
    setup: PretrainSetup, dataset: Dataset, seed: int, first: TrainedModel | None = None
) -> list[TrainedModel]:
    """Greedy layer-wise pre-training: each layer a DAE trained on the codes of the one below. ``first``: a bottom
    layer already trained with ``setup.layer_config(0, seed)`` (a view trains those as one batched sweep)."""
    layers: list[TrainedModel] = []
    data = dataset
    for index in range(len(setup.widths)):
        layer = first if index == 0 and first is not None else train_layer(setup.layer_config(index, seed), data)
        layers.append(layer)
        if index + 1 < len(setup.widths):
            data = codes_dataset(layer, data)
    return layers


# --- the classifier ----------------------------------------------------------------------------------------------
class Classifier:
    """The stack's encoder layers (each a linear map and the stack's activation) and a linear softmax layer, as
    weights (out, in) and biases (out,): ``logits`` gives (B, n_classes); cross-entropy applies the softmax."""

    def __init__(self, weights: list[torch.Tensor], biases: list[torch.Tensor], activation: str):
        self.weights, self.biases, self.activation = weights, biases, activation

    @classmethod
    def random(
        cls, input_dim: int, widths: Sequence[int], n_classes: int, activation: str, generator: torch.Generator
    ) -> Classifier:
        """Fresh weights: nn.Linear's U(±1/√fan_in), drawn from ``generator`` layer by layer, as the DAE's are."""
        import torch

        sizes = [input_dim, *widths, n_classes]
        weights, biases = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            weights.append(torch.empty(fan_out, fan_in).uniform_(-bound, bound, generator=generator))
            biases.append(torch.empty(fan_out).uniform_(-bound, bound, generator=generator))
        return cls(weights, biases, activation)

    @classmethod
    def from_stack(cls, layers: Sequence[TrainedModel], n_classes: int, generator: torch.Generator) -> Classifier:
        """The stack's encoders copied in; the softmax layer drawn from ``generator`` as ``random`` draws it (so the
        two networks of one seed start with the same softmax layer)."""
        first = layers[0].model
        net = cls.random(first.input_dim, [layer.model.hidden_dim for layer in layers], n_classes, first.activation,
                         generator)  # fmt: skip
        for index, layer in enumerate(layers):
            encoder = layer.model.encoder[0]
            net.weights[index] = encoder.weight.detach().cpu().clone()
            net.biases[index] = encoder.bias.detach().cpu().clone()
        return net

    def parameters(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases]

    @property
    def shapes(self) -> list[tuple[int, int]]:
        """(out, in) of each layer, input first: the last is (n_classes, top width)."""
        return [tuple(weight.shape) for weight in self.weights]

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        import torch.nn.functional as F

        from .model import _ACTIVATIONS

        act, last = _ACTIVATIONS[self.activation], len(self.weights) - 1
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = F.linear(x, weight, bias)
            if index < last and act is not None:
                x = act(x)
        return x

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        import torch

        with torch.no_grad():
            predicted = self.logits(torch.as_tensor(np.asarray(X, np.float32))).argmax(dim=1).numpy()
        return float((predicted == np.asarray(y)).mean())


def labelled_subset(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of ``per_class`` rows of each class of ``y`` (every row for ``ALL``), drawn by ``seed``; sorted.

    A ``ConfigError`` says so when a class has fewer rows than asked for."""
    y = np.asarray(y)
    if per_class == ALL:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    if per_class > counts.min():
        raise ConfigError(
            f"Class {classes[counts.argmin()].item()!r} has only {counts.min()} training rows; "
            f"ask for at most that many labels per class. Got {per_class} instead."
        )
    picked = [rng.choice(np.flatnonzero(y == label), per_class, replace=False) for label in classes]
    return np.sort(np.concatenate(picked))


def fine_tune(net: Classifier, X: np.ndarray, y: np.ndarray, setup: PretrainSetup, seed: int) -> Classifier:
    """Train every weight of ``net`` on the labelled rows (X, y) for ``setup.finetune_steps`` Adam steps of
    cross-entropy, drawing batches from a stream seeded ``seed``."""
    import torch
    import torch.nn.functional as F

    from .optim import Adam

    X_t, y_t = torch.as_tensor(np.asarray(X, np.float32)), torch.as_tensor(np.asarray(y), dtype=torch.long)
    n, batch = len(X_t), min(setup.finetune_batch, len(X_t))
    for tensor in net.parameters():
        tensor.requires_grad_(True)
    optimizer = Adam(net.parameters(), lr=setup.finetune_lr)
    generator = torch.Generator().manual_seed(seed)
    order, at = torch.randperm(n, generator=generator), 0
    for _ in range(setup.finetune_steps):
        if at + batch > n:  # a new pass over the labelled rows
            order, at = torch.randperm(n, generator=generator), 0
        rows = order[at : at + batch]
        at += batch
        loss = F.cross_entropy(net.logits(X_t[rows]), y_t[rows])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    for tensor in net.parameters():
        tensor.requires_grad_(False)
    return net


# --- the comparison ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PretrainResult:
    """Test accuracy of each method at each label count, per seed: plain data for the table and the figure."""

    labels_per_class: tuple[int, ...]  # as asked: ALL (0) for every row
    rows_per_class: tuple[float, ...]  # the labelled rows per class actually used: ALL's is the train split's mean
    seeds: tuple[int, ...]
    accuracy: dict[str, tuple[tuple[float, ...], ...]]  # method -> (seeds, label counts)
    widths: tuple[int, ...]
    seconds: float  # pre-training and fine-tuning, every seed
    pretrain_seconds: float = 0.0  # of which pre-training the stacks
    layer_test_mse: tuple[tuple[float, ...], ...] = field(default=())  # (seeds, layers) each DAE's final test MSE

    def mean(self, method: str) -> np.ndarray:
        """(label counts,) mean accuracy over the seeds."""
        return np.asarray(self.accuracy[method]).mean(axis=0)

    def std(self, method: str) -> np.ndarray:
        """(label counts,) standard deviation over the seeds (ddof 0)."""
        return np.asarray(self.accuracy[method]).std(axis=0)

    def label(self, index: int) -> str:
        """A label count as the table names it: "3", or "all (144)"."""
        k = self.labels_per_class[index]
        return f"all ({self.rows_per_class[index]:.0f})" if k == ALL else str(k)

    def gain(self) -> np.ndarray:
        """(label counts,) mean accuracy of the pre-trained network minus the random start's."""
        return self.mean(METHODS[0]) - self.mean(METHODS[1])

    def to_dict(self) -> dict:
        return {
            "labels_per_class": list(self.labels_per_class),
            "rows_per_class": list(self.rows_per_class),
            "seeds": list(self.seeds),
            "widths": list(self.widths),
            "accuracy": {method: [list(row) for row in rows] for method, rows in self.accuracy.items()},
            "mean": {method: self.mean(method).tolist() for method in self.accuracy},
            "std": {method: self.std(method).tolist() for method in self.accuracy},
            "layer_test_mse": [list(row) for row in self.layer_test_mse],
            "seconds": self.seconds,
            "pretrain_seconds": self.pretrain_seconds,
        }


def compare(
    setup: PretrainSetup,
    dataset: Dataset | None = None,
    *,
    first_layers: dict[int, TrainedModel] | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> PretrainResult | None:
    """The table: for each seed, pre-train a stack, then at each label count fine-tune it, fine-tune the same network
    from a random start, and fit logistic regression on the raw pixels; score all three on the test split.

    ``first_layers``: bottom layers already trained, by seed. ``keep_going()``, asked before each seed, may return
    False to end early: None is returned then."""
    import torch

    from . import metrics

    start = time.perf_counter()
    dataset = dataset if dataset is not None else load_dataset(setup.config.data)
    if dataset.y_train is None or dataset.y_test is None:
        raise ConfigError(f"The dataset {dataset.name!r} has no class labels to fine-tune on.")
    n_classes = int(np.unique(dataset.y_train).size)
    _, counts = np.unique(dataset.y_train, return_counts=True)
    rows = tuple(float(counts.mean()) if k == ALL else float(k) for k in setup.labels_per_class)
    for per_class in setup.labels_per_class:  # before anything trains: a count a class cannot give is refused
        labelled_subset(dataset.y_train, per_class, 0)
    accuracy: dict[str, list[list[float]]] = {method: [] for method in METHODS}
    layer_mse, pretrain_seconds = [], 0.0
    for seed in setup.seeds:
        if keep_going is not None and not keep_going():
            return None
        began = time.perf_counter()
        layers = pretrain_stack(setup, dataset, seed, (first_layers or {}).get(seed))
        pretrain_seconds += time.perf_counter() - began
        layer_mse.append(tuple(layer.kept_record.test_mse for layer in layers))
        scores = {method: [] for method in METHODS}
        for per_class in setup.labels_per_class:
            picked = labelled_subset(dataset.y_train, per_class, seed)
            X, y = dataset.X_train[picked], dataset.y_train[picked]
            init = torch.Generator().manual_seed(seed + CLASSIFIER_SEED_OFFSET)
            pretrained = Classifier.from_stack(layers, n_classes, init)
            init = torch.Generator().manual_seed(seed + CLASSIFIER_SEED_OFFSET)
            widths = [layer.model.hidden_dim for layer in layers]
            random_start = Classifier.random(dataset.n_features, widths, n_classes, setup.config.model.activation, init)
            for method, net in ((METHODS[0], pretrained), (METHODS[1], random_start)):
                fine_tune(net, X, y, setup, seed)
                scores[method].append(net.accuracy(dataset.X_test, dataset.y_test))
            scores[METHODS[2]].append(metrics.linear_probe(X, y, dataset.X_test, dataset.y_test, seed))
        for method in METHODS:
            accuracy[method].append(tuple(scores[method]))
    return PretrainResult(
        tuple(setup.labels_per_class),
        rows,
        tuple(setup.seeds),
        {method: tuple(rows) for method, rows in accuracy.items()},
        tuple(setup.widths),
        time.perf_counter() - start,
        pretrain_seconds,
        tuple(layer_mse),
    )


def table_text(result: PretrainResult) -> str:
    """The result as a Markdown table: mean ± standard deviation of test accuracy, one column per label count."""
    seeds = len(result.seeds)
    head = "| labels per class | " + " | ".join(result.label(i) for i in range(len(result.labels_per_class))) + " |"
    lines = [head, "|---" * (len(result.labels_per_class) + 1) + "|"]
    for method in METHODS:
        cells = [f"{m:.3f} ± {s:.3f}" for m, s in zip(result.mean(method), result.std(method))]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines.append(f"\nTest accuracy, mean ± standard deviation over {seeds} seeds.")
    return "\n".join(lines)
