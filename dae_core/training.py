"""Training: a ``Trainer`` whose ``epochs()`` is the one epoch loop of the engine, yielding ``EpochRecord``s.

Stopping is cooperative: the consumer stops iterating, or a stop rule returns ``(stop, reason)``. When the loop
ends by itself, ``Trainer.outcome`` says how: every epoch done, stopped by a rule, or diverged (a non-finite or
runaway loss, after which the last finite weights are restored). The job, the command line, the estimator and
the benchmarks all consume this one loop.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from . import classic, metrics
from .classic import ClassicBaseline
from .config import RunConfig
from .data import Dataset, Scaler, load_dataset
from .dense_step import dense_step
from .errors import ConfigError
from .model import AnyAutoencoder, build_model
from .noise import corrupt, noisy_batches
from .optim import make_optimizer
from .records import EpochRecord, Summary, kept_record, settings_after

LOSS_FUNCTIONS = {"mse": F.mse_loss, "l1": F.l1_loss, "huber": F.huber_loss}  # config.LOSSES names them
DIVERGENCE_FACTOR = 1e6  # a loss this many times the all-zeros loss has diverged, finite or not
GATHER_FLOATS = 1 << 22  # an epoch's shuffled rows are copied out of the data 16 MB (float32) at a time
TEST_NOISE_SEED_OFFSET = 7919  # the fixed noisy test set uses its own stream, apart from training noise


@dataclass(frozen=True)
class Evaluation:
    """The model scored on the fixed noisy test inputs, with both baselines and the tensors behind them.

    The scores are numbers; the inputs and outputs stay where the model is (a GPU's memory) and reach the host only
    when something reads ``noisy`` or ``reconstructed``, not at every epoch.
    """

    test_mse: float
    identity_mse: float
    pca_mse: float
    test_psnr: float | None  # dB, only for data in [0, 1]
    inputs: torch.Tensor  # (N_test, D) the noisy inputs the model saw, on its device
    outputs: torch.Tensor  # (N_test, D) its outputs, on its device
    classic: tuple[ClassicBaseline, ...] = ()  # image data: the blur, the median (, non-local means) on the same inputs

    @property
    def noisy(self) -> np.ndarray:
        """The inputs as an array, copied to the host now (a view of them on the CPU)."""
        return self.inputs.cpu().numpy()

    @property
    def reconstructed(self) -> np.ndarray:
        return self.outputs.cpu().numpy()

    @property
    def summary(self) -> Summary:
        """Its headline numbers: test MSE, every baseline's and PSNR."""
        classic = {f"{baseline.name}_mse": baseline.test_mse for baseline in self.classic}
        return Summary(self.test_mse, self.identity_mse, self.pca_mse, self.test_psnr, **classic)


StopRule = Callable[["Trainer", EpochRecord], tuple[bool, str]]

FINISHED, STOPPED_BY_RULE, DIVERGED = "finished", "stopped by a rule", "diverged"


@dataclass(frozen=True)
class Outcome:
    """How a run's epoch loop ended by itself: ``kind`` is FINISHED, STOPPED_BY_RULE or DIVERGED."""

    kind: str
    reason: str  # "finished 50 epochs", the stop rule's reason, or what diverged and what was restored

    @property
    def diverged(self) -> bool:
        return self.kind == DIVERGED


class EarlyStopping:
    """Stop when test MSE has not improved for ``patience`` epochs; keeps the best weights."""

    def __init__(self, patience: int, min_delta: float = 0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best, self.best_epoch, self.best_state = math.inf, 0, None

    def __call__(self, trainer: Trainer, record: EpochRecord) -> tuple[bool, str]:
        if record.test_mse < self.best - self.min_delta:
            self.best, self.best_epoch = record.test_mse, record.epoch
            self.best_state = trainer.state_copy()
            return False, ""
        if record.epoch - self.best_epoch >= self.patience:
            trainer.model.load_state_dict(self.best_state)
            trainer.weights_epoch = self.best_epoch
            return True, (
                f"Early stop at epoch {record.epoch}: test MSE has not improved for {self.patience} epochs; "
                f"kept the best weights (test MSE {self.best:.4f} at epoch {self.best_epoch})."
            )
        return False, ""


def use_torch_threads(count: int) -> None:
    """Set torch's CPU thread count for this process (torch's setting is process-wide)."""
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("The 'device' parameter is 'cuda' but no CUDA GPU is available. Use 'auto' or 'cpu'.")
    return torch.device(name)


def fixed_noisy_test(
    config: RunConfig, dataset: Dataset, noise_level: float, device: torch.device | None = None
) -> torch.Tensor:
    """(N_test, D) a run's fixed noisy test inputs at ``noise_level``, the ones behind every record's test MSE:
    ``dataset.X_test`` corrupted with the run's noise type from the run's own stream (a generator seeded
    ``seed + TEST_NOISE_SEED_OFFSET``, apart from the training noise), on ``device``. ``Trainer.evaluation_set``
    draws them here, so anything that draws them here again scores a trained model on exactly what training did.

    ``device`` defaults to the run's own; where that is not present (a CUDA run looked at on a machine without a
    GPU) the CPU draws them, which gives other noise: a torch generator's stream depends on its device.
    """
    if device is None:
        try:
            device = resolve_device(config.train.device)
        except ConfigError:
            device = torch.device("cpu")
    as_tensor = lambda a: torch.as_tensor(np.asarray(a, np.float32), device=device)  # noqa: E731
    generator = torch.Generator(device).manual_seed(config.train.seed + TEST_NOISE_SEED_OFFSET)
    low, high = as_tensor(dataset.low), as_tensor(dataset.high)
    return corrupt(
        as_tensor(dataset.X_test), config.noise.noise, noise_level, generator, low=low, high=high, clip=dataset.bounded
    )


def arrays_of(weights: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """A state dict as plain NumPy arrays (on the host), to send to another process or machine."""
    return {name: tensor.detach().cpu().numpy() for name, tensor in weights.items()}


def tensors_of(arrays: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """The state dict ``arrays_of`` made, back as tensors (sharing the arrays' memory)."""
    return {name: torch.from_numpy(np.asarray(array)) for name, array in arrays.items()}


@dataclass
class TrainedModel:
    """Everything needed to use or save a trained DAE: config, weights, scaler and history."""

    config: RunConfig
    model: AnyAutoencoder
    scaler: Scaler
    feature_names: list[str]
    image_shape: tuple[int, int, int] | None = None
    history: list[EpochRecord] = field(default_factory=list)
    stop_reason: str = ""
    weights_epoch: int | None = None  # the epoch whose weights it holds (early stopping keeps an earlier one)

    @classmethod
    def build(
        cls,
        config: RunConfig,
        scaler: Scaler,
        feature_names: Sequence[str],
        image_shape: tuple[int, int, int] | None = None,
        *,
        weights: dict[str, torch.Tensor] | None = None,
        history: Sequence[EpochRecord] = (),
        stop_reason: str = "",
        weights_epoch: int | None = None,
    ) -> TrainedModel:
        """The one way to make a ``TrainedModel``: a model built from ``config`` for these features, holding
        ``weights`` (a state dict, copied) or, without them, fresh initial weights for the caller to load."""
        with torch.random.fork_rng(devices=[]):  # building layers draws initial weights; keep the caller's stream
            model = build_model(config.model, len(feature_names), scaler.bounded, image_shape)
        if weights is not None:
            model.load_state_dict(weights, strict=True)  # copies into the new model's own tensors
            model.to(next(iter(weights.values())).device)
        model.eval()
        return cls(config, model, scaler, list(feature_names), image_shape, list(history), stop_reason, weights_epoch)

    @classmethod
    def of_dataset(cls, config: RunConfig, dataset: Dataset, **parts) -> TrainedModel:
        """``build`` for a model trained on ``dataset``: its scaler, feature names and image shape."""
        return cls.build(config, dataset.scaler, dataset.feature_names, dataset.image_shape, **parts)

    def to_plain(self) -> dict:
        """The trained state as plain data (arrays, numbers, strings) that pickles or serialises anywhere: its
        weights (``arrays_of``), history, stop reason and kept epoch. :meth:`from_plain` reads it back."""
        return {
            "weights": arrays_of(self.model.state_dict()),
            "history": [record.to_dict() for record in self.history],
            "stop_reason": self.stop_reason,
            "weights_epoch": self.weights_epoch,
        }

    @classmethod
    def from_plain(cls, config: RunConfig, dataset: Dataset, plain: dict) -> TrainedModel:
        """The model :meth:`to_plain` described, trained with ``config`` on ``dataset``."""
        return cls.of_dataset(
            config,
            dataset,
            weights=tensors_of(plain["weights"]),
            history=[EpochRecord.from_dict(record) for record in plain["history"]],
            stop_reason=plain["stop_reason"],
            weights_epoch=plain["weights_epoch"],
        )

    @property
    def settings(self) -> RunConfig:
        """The settings it ended training under: its config with the live changes of its last epoch."""
        return settings_after(self.config, self.history)

    @property
    def kept_record(self) -> EpochRecord | None:
        """The history record of the epoch whose weights this model holds (see ``records.kept_record``)."""
        return kept_record(self.history, self.weights_epoch)

    @torch.no_grad()
    def denoise(self, X: np.ndarray) -> np.ndarray:
        """(N, D) scaled noisy inputs to (N, D) scaled reconstructions."""
        return self._apply(self.model, X)

    @torch.no_grad()
    def encode(self, X: np.ndarray) -> np.ndarray:
        """(N, D) scaled inputs to (N, hidden_dim) codes."""
        return self._apply(self.model.encode, X)

    def _apply(self, fn, X: np.ndarray) -> np.ndarray:
        device = next(self.model.parameters()).device
        return fn(torch.as_tensor(np.asarray(X, np.float32), device=device)).cpu().numpy()


class Trainer:
    """Holds the model, optimizer and random streams of one run, and trains it an epoch at a time.

    ``config`` is the run's starting settings; ``settings`` the current ones. ``update`` changes the live settings
    (learning rate, noise level) from the next epoch on, and the records show when.
    """

    def __init__(
        self,
        config: RunConfig,
        dataset: Dataset | None = None,
        *,
        stop_rules: list[StopRule] | None = None,
        initial: dict[str, torch.Tensor] | None = None,
    ):
        """``initial``: weights to start from (a state dict of the same model, e.g. a run that was cut off) instead of
        fresh ones; the optimizer's state starts afresh."""
        self.config = self.settings = config
        self.dataset = dataset if dataset is not None else load_dataset(config.data)
        self.device = resolve_device(config.train.device)
        seed = config.train.seed
        init = torch.Generator().manual_seed(seed)
        dataset = self.dataset
        self.model = build_model(config.model, dataset.n_features, dataset.bounded, dataset.image_shape, init)
        self.model = self.model.to(self.device)
        if initial is not None:
            self.model.load_state_dict(initial, strict=True)
        self.params = list(self.model.parameters())  # walking the modules for them costs ~30 µs a time
        self.optimizer = make_optimizer(self.params, config.train)
        self.dense_step = dense_step(self.model, config.train.loss)  # None: autograd takes the steps
        self.loss_fn = LOSS_FUNCTIONS[config.train.loss]
        self.noise_generator = torch.Generator(self.device).manual_seed(seed + 1)
        self.batch_generator = torch.Generator(self.device).manual_seed(seed + 2)
        as_tensor = lambda a: torch.as_tensor(np.asarray(a, np.float32), device=self.device)  # noqa: E731
        self.X_train = as_tensor(self.dataset.X_train)  # (N, D)
        self.X_test = as_tensor(self.dataset.X_test)
        self.low, self.high = as_tensor(self.dataset.low), as_tensor(self.dataset.high)  # (D,)
        self.epoch = 0
        self.weights_epoch = 0  # the epoch whose weights the model holds: 0 for the initial ones
        self.history: list[EpochRecord] = []
        self.outcome: Outcome | None = None  # set when epochs() ends by itself
        self.stop_rules = list(stop_rules or [])
        if config.train.patience:
            self.stop_rules.append(EarlyStopping(config.train.patience))
        self._last_finite = self.state_copy()
        self.zero_loss = self._zero_loss() or 1.0
        self._eval_cache: dict[float, tuple[torch.Tensor, float, float, tuple[ClassicBaseline, ...]]] = {}

    def _zero_loss(self) -> float:
        """The loss of predicting all zeros, the scale against which a runaway loss is judged; summed a chunk of
        rows at a time, so it never copies the training rows."""
        X, total = self.X_train, 0.0
        for i in range(0, len(X), metrics.CHUNK_ROWS):
            chunk = X[i : i + metrics.CHUNK_ROWS]
            total += self.loss_fn(torch.zeros_like(chunk), chunk, reduction="sum").item()
        return total / X.numel()

    # --- controls ------------------------------------------------------------------------------
    def update(self, settings: RunConfig) -> dict[str, tuple[float, float]]:
        """Take ``settings`` (made with ``RunConfig.replace_live``, so already valid) from the next epoch on.

        Returns ``{name: (old, new)}`` for the live settings that changed.
        """
        old, new = self.settings.live(), settings.live()
        assert settings.fixed_settings() == self.settings.fixed_settings(), "only live settings change mid-run"
        self.settings = settings
        for group in self.optimizer.param_groups:
            group["lr"] = settings.train.lr
        return {name: (old[name], new[name]) for name in new if new[name] != old[name]}

    def state_copy(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    # --- training ------------------------------------------------------------------------------
    def _noisy_batches(self, rows: torch.Tensor, batch: int, level: float) -> Iterator[torch.Tensor]:
        """``rows``, a batch at a time, corrupted from the training noise stream (``noise.noisy_batches``)."""
        noise, bounds = self.config.noise.noise, {"low": self.low, "high": self.high, "clip": self.dataset.bounded}
        return noisy_batches(rows, batch, noise, level, self.noise_generator, **bounds)

    def evaluation_set(self) -> tuple[torch.Tensor, float, float, tuple[ClassicBaseline, ...]]:
        """The fixed noisy test inputs of the current noise level, behind every record's test MSE (drawn once per
        level from their own seeded stream), with their identity and PCA MSEs and, for images, the classic
        denoisers' (each width chosen on the training rows at this noise)."""
        level = self.settings.noise.noise_level
        if level not in self._eval_cache:
            noisy = fixed_noisy_test(self.config, self.dataset, level, self.device)
            if self.device.type == "cpu":
                clean, noisy_np = self.dataset.X_test, noisy.numpy()
                identity = metrics.identity_mse(clean, noisy_np)
                pca = self.dataset.pca(self.pca_components).mse(noisy_np, clean)
            else:  # where the data is: only the two numbers cross to the host
                identity = float((noisy.double() - self.X_test.double()).square().mean())
                pca = self._device_pca().mse(noisy, self.X_test)
            self._eval_cache[level] = (noisy, identity, pca, self._classic(level, noisy))
        return self._eval_cache[level]

    def _device_pca(self):
        """The PCA baseline fitted on the training rows where they are, once per dataset, size and device."""
        from .torch_pca import TorchPCA

        k, X = self.pca_components, self.X_train
        return self.dataset.baseline(("pca", k, str(self.device)), lambda: TorchPCA(k).fit(X))

    @property
    def pca_components(self) -> int:
        """PCA's components in the PCA baseline: the code's size (a conv code's channels × height × width), at most
        the number of features."""
        return min(self.model.hidden_dim, self.dataset.n_features)

    def _classic(self, level: float, noisy_test: torch.Tensor) -> tuple[ClassicBaseline, ...]:
        """The blur and the median for image data in [0, 1], and non-local means for photographs (none for tables:
        they have no neighbouring pixels)."""
        dataset = self.dataset
        if dataset.image_shape is None or not dataset.bounded or min(dataset.image_shape[:2]) < 2:
            return ()
        rows = dataset.X_train[: classic.CHOICE_ROWS]
        generator = torch.Generator().manual_seed(self.config.train.seed + TEST_NOISE_SEED_OFFSET + 1)
        noisy_train = corrupt(
            torch.as_tensor(rows), self.config.noise.noise, level, generator,
            low=torch.zeros(rows.shape[1]), high=torch.ones(rows.shape[1]), clip=True,
        ).numpy()  # fmt: skip
        photographs = {"with_nl_means": dataset.name in classic.NL_MEANS_DATASETS}
        return tuple(
            classic.classic_baselines(
                noisy_train, rows, noisy_test.cpu().numpy(), dataset.X_test, dataset.image_shape, **photographs
            )
        )

    def epochs(self, gate: Callable[[], bool] | None = None) -> Iterator[EpochRecord]:
        """The epoch loop: yield one record per epoch until the configured total, a stop rule or a divergence.

        When it ends by itself, ``outcome`` says how. ``gate()``, if given, runs before each epoch and may wait
        (a paused job) or return False to end the loop; that, or a consumer that stops iterating, leaves
        ``outcome`` None, and calling ``epochs()`` again goes on from the next epoch.
        """
        while self.outcome is None:
            if self.epoch >= self.config.train.epochs:
                self.outcome = Outcome(FINISHED, f"finished {self.epoch} epochs")
                return
            if gate is not None and not gate():
                return
            record = self._train_epoch()
            if record is None:  # diverged: outcome set, weights restored
                return
            yield record
            if self.stopped_by_rule(record):
                return

    def stopped_by_rule(self, record: EpochRecord) -> bool:
        """Ask the stop rules about the epoch just recorded; the first that stops sets ``outcome``."""
        for rule in self.stop_rules:
            stop, reason = rule(self, record)
            if stop:
                self.outcome = Outcome(STOPPED_BY_RULE, reason)
                return True
        return False

    def _train_epoch(self) -> EpochRecord | None:
        """Train one epoch and evaluate; None, with ``outcome`` DIVERGED, if the loss ran away."""
        start = time.perf_counter()
        model, optimizer, X = self.model, self.optimizer, self.X_train
        noise_level = self.settings.noise.noise_level
        n = X.shape[0]
        batch = self.config.train.batch_size or n
        order = torch.randperm(n, generator=self.batch_generator, device=self.device)
        losses = []  # one detached scalar per batch, weighted and summed once after the loop
        by_hand = self.dense_step
        if by_hand is None:
            model.train()  # the hand-derived step has no modes (a dense model has no dropout or batch norm)
        per_gather = max(1, GATHER_FLOATS // (batch * X.shape[1])) * batch  # rows taken from X in one indexing
        no_autograd = torch.inference_mode  # no_grad, without the version counters' bookkeeping: 13 % less a step
        with no_autograd() if by_hand is not None else contextlib.nullcontext():
            for first in range(0, n, per_gather):
                rows = X[order[first : first + per_gather]]  # one gather for many batches, then views of it
                noisy_rows = self._noisy_batches(rows, batch, noise_level)
                for clean, noisy in zip(rows.split(batch), noisy_rows, strict=True):  # (B, D) each
                    if by_hand is not None:
                        loss, grads = by_hand.step(noisy, clean)
                        optimizer.step(grads)
                    else:
                        loss = self.loss_fn(model(noisy), clean)
                        optimizer.zero_grad(set_to_none=True)
                        loss.backward()
                        optimizer.step()
                    losses.append(loss.detach())  # 0.5 µs; a running `+= loss * B` costs 2 tensor ops (~4 µs)
        train_loss = float(torch.stack(losses).double() @ batch_rows(n, batch, self.device)) / n
        return self.end_epoch(train_loss, time.perf_counter() - start)

    def end_epoch(self, train_loss: float, train_seconds: float) -> EpochRecord | None:
        """Close an epoch whose steps took ``train_seconds``: check for divergence, evaluate and record it.

        None, with ``outcome`` DIVERGED and the last finite weights restored, if the loss ran away. A sweep that
        trains this run's steps batched with others (``dae_core.sweep``) closes its epochs through here too.
        """
        start = time.perf_counter()
        lr, noise_level, n = self.settings.train.lr, self.settings.noise.noise_level, self.X_train.shape[0]
        self.epoch += 1
        problem = self._divergence(train_loss)
        if problem:
            self.model.load_state_dict(self._last_finite)
            kept = f"epoch {self.epoch - 1}" if self.epoch > 1 else "their initial values"
            self.outcome = Outcome(
                DIVERGED,
                f"Training stopped at epoch {self.epoch}: {problem}. "
                f"Weights were restored to {kept}. Lower the learning rate (now {lr:g}) and train again.",
            )
            return None
        self._last_finite = self.state_copy()
        self.weights_epoch = self.epoch

        evaluation = self.evaluate()
        seconds = train_seconds + time.perf_counter() - start
        record = EpochRecord(
            epoch=self.epoch,
            train_loss=train_loss,
            test_mse=evaluation.test_mse,
            identity_mse=evaluation.identity_mse,
            pca_mse=evaluation.pca_mse,
            seconds=seconds,
            samples_per_second=n / seconds if seconds > 0 else 0.0,
            lr=lr,
            noise_level=noise_level,
            test_psnr=evaluation.test_psnr,
            **{f"{baseline.name}_mse": baseline.test_mse for baseline in evaluation.classic},
        )
        self.history.append(record)
        return record

    @torch.no_grad()
    def evaluate(self) -> Evaluation:
        """Score the model as it is now on the fixed noisy test inputs of the current noise level."""
        noisy, identity, pca, classics = self.evaluation_set()
        self.model.eval()
        reconstruction = self.model(noisy)
        test_mse = F.mse_loss(reconstruction, self.X_test).item()
        psnr = (10 * math.log10(1.0 / test_mse) if test_mse > 0 else None) if self.dataset.bounded else None
        return Evaluation(test_mse, identity, pca, psnr, noisy, reconstruction, classics)

    def _divergence(self, train_loss: float) -> str:
        """Why training has diverged, or "" if it has not: a non-finite loss or weight, or a runaway loss.

        Adam at an absurd learning rate can leave every number finite while the loss sits at 1e20; a loss a
        million times that of predicting all zeros is no longer training either.
        """
        if not math.isfinite(train_loss) or not self._weights_finite():
            return f"the loss became {train_loss} (non-finite)"
        if train_loss > DIVERGENCE_FACTOR * self.zero_loss:
            return (
                f"the loss became {train_loss:.3g}, over {DIVERGENCE_FACTOR:.0e} times that of predicting "
                f"all zeros ({self.zero_loss:.3g}): training diverged"
            )
        return ""

    def _weights_finite(self) -> bool:
        flat = torch.cat([param.detach().reshape(-1) for param in self.params])  # 3 ops, not 3 a tensor
        return bool(torch.isfinite(flat).all())

    @property
    def stop_reason(self) -> str:
        """Why the run stopped before its last epoch (a rule or a divergence); "" otherwise."""
        return self.outcome.reason if self.outcome and self.outcome.kind != FINISHED else ""

    def result(
        self,
        weights: dict[str, torch.Tensor] | None = None,
        history: Sequence[EpochRecord] | None = None,
        weights_epoch: int | None = None,
    ) -> TrainedModel:
        """The run as a ``TrainedModel``, independent of the trainer: a copy of the current weights, or of
        ``weights`` saved at an earlier epoch boundary with the ``history`` and ``weights_epoch`` of then."""
        return TrainedModel.of_dataset(
            self.config,
            self.dataset,
            weights=self.state_copy() if weights is None else weights,
            history=self.history if history is None else history,
            stop_reason=self.stop_reason,
            weights_epoch=self.weights_epoch if weights_epoch is None else weights_epoch,
        )


def batch_rows(n: int, batch: int, device: torch.device) -> torch.Tensor:
    """(steps,) float64 rows in each step of an epoch over ``n`` rows: the weights of the per-step losses."""
    return torch.tensor([min(batch, n - i) for i in range(0, n, batch)], dtype=torch.float64, device=device)


def train(config: RunConfig, dataset: Dataset | None = None) -> Iterator[EpochRecord]:
    """Yield one ``EpochRecord`` per epoch of a fresh run; see :class:`Trainer` to keep the model."""
    return Trainer(config, dataset).epochs()
