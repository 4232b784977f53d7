"""TrainingJob: one run in a background thread, with controls and thread-safe snapshots.

A page (or a test) never trains itself; it starts a job and polls ``snapshot()``. Reruns, widget
changes and page switches therefore cannot kill or restart training. On a shared server the jobs
share a small pool of slots: a job waits in ``queued`` until a slot is free, and a job that nobody
has looked at for ``idle_timeout`` seconds, or that ran past ``max_wall_seconds``, stops itself.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .config import RunConfig
from .errors import DAEError

if TYPE_CHECKING:  # the thread imports torch when it starts, so importing this module stays cheap
    from .data import Dataset
    from .training import EpochRecord, TrainedModel, Trainer

QUEUED, RUNNING, PAUSED, DONE, STOPPED, FAILED = "queued", "running", "paused", "done", "stopped", "failed"
FINAL_STATES = (DONE, STOPPED, FAILED)


class SlotPool:
    """At most ``size`` jobs train at once; the rest wait their turn in ``queued``."""

    def __init__(self, size: int):
        self.size = size
        self._semaphore = threading.BoundedSemaphore(size)

    def acquire(self, timeout: float) -> bool:
        return self._semaphore.acquire(timeout=timeout)

    def release(self) -> None:
        self._semaphore.release()


DEFAULT_SLOTS = SlotPool(int(os.environ.get("DAE_MAX_CONCURRENT_JOBS", max(1, (os.cpu_count() or 2)))))


@dataclass(frozen=True)
class JobSnapshot:
    """What a page needs to draw one frame: plain data, safe to keep after the job moves on."""

    status: str
    reason: str
    epoch: int
    total_epochs: int
    history: tuple[EpochRecord, ...]
    elapsed_seconds: float
    lr: float
    noise_level: float
    events: tuple[tuple[int, str], ...] = field(default_factory=tuple)  # (after epoch, "lr 0.001 → 0.01")
    weights_epoch: int = 0  # the epoch whose weights the run holds now (the best one after early stopping)

    @property
    def kept_record(self) -> EpochRecord | None:
        """The record of the epoch whose weights the run holds; None before the first epoch."""
        return next((record for record in reversed(self.history) if record.epoch == self.weights_epoch), None)

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATES

    @property
    def eta_seconds(self) -> float | None:
        if not self.history or self.epoch == 0:
            return None
        per_epoch = sum(r.seconds for r in self.history[-10:]) / len(self.history[-10:])
        return per_epoch * (self.total_epochs - self.epoch)


class TrainingJob:
    """Train ``config`` in a daemon thread. Controls: start, pause, resume, step, stop.

    All public methods are safe to call from any thread. Status is one of queued, running, paused,
    done, stopped or failed, and ``reason`` says why it is there.
    """

    def __init__(
        self,
        config: RunConfig,
        dataset: Dataset | None = None,
        *,
        csv_source=None,
        idle_timeout: float = 300.0,
        max_wall_seconds: float = 1800.0,
        slots: SlotPool | None = None,
        start_paused: bool = False,
    ):
        self.config = config
        self.idle_timeout, self.max_wall_seconds = idle_timeout, max_wall_seconds
        self._dataset, self._csv_source = dataset, csv_source
        self._slots = slots or DEFAULT_SLOTS
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._status, self._reason = QUEUED, "waiting for a free training slot"
        self._history: list[EpochRecord] = []
        self._events: list[tuple[int, str]] = []
        self._pause_requested = start_paused
        self._stop_requested = False
        self._steps_allowed = 0  # epochs to run while paused (the Step button)
        self._pending: dict[str, float] = {}  # lr / noise_level changes for the next epoch
        self._trainer: Trainer | None = None
        self._state_epoch, self._state = -1, None  # latest weights copied at an epoch boundary
        self._started_at: float | None = None
        self._finished_at: float | None = None
        self._last_read = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="dae-training", daemon=True)

    # --- controls ------------------------------------------------------------------------------
    def start(self) -> TrainingJob:
        self._thread.start()
        return self

    def pause(self) -> None:
        with self._lock:
            if self._status not in FINAL_STATES:
                self._pause_requested = True
                self._wake.notify_all()

    def resume(self) -> None:
        with self._lock:
            self._pause_requested = False
            self._steps_allowed = 0
            self._wake.notify_all()

    def step(self) -> None:
        """Run exactly one more epoch, then hold (pauses the job if it was running)."""
        with self._lock:
            self._pause_requested = True
            self._steps_allowed += 1
            self._wake.notify_all()

    def stop(self) -> None:
        with self._lock:
            self._stop_requested = True
            self._wake.notify_all()

    def set_lr(self, lr: float) -> None:
        self._queue_change("lr", lr)

    def set_noise_level(self, level: float) -> None:
        self._queue_change("noise_level", level)

    def _queue_change(self, name: str, value: float) -> None:
        # Validate now, in the caller's thread, so a bad value is reported to whoever set it.
        if name == "lr":
            self.config.replace(lr=value)
        else:
            self.config.replace(noise_level=value)
        with self._lock:
            self._pending[name] = float(value)
            self._wake.notify_all()

    def wait_for_epochs(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` epochs are done, the run has ended, or ``timeout`` seconds have passed;
        True if the epochs are done. A page that has just started a run uses it to open on a chart with points."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._history) < count and self._status not in FINAL_STATES:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._wake.wait(left)
            return len(self._history) >= count

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # --- reading -------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        with self._lock:
            return self._status

    def snapshot(self) -> JobSnapshot:
        """A consistent copy of the progress so far. Reading counts as someone watching."""
        with self._lock:
            self._last_read = time.monotonic()
            trainer = self._trainer
            end = self._finished_at or time.monotonic()
            return JobSnapshot(
                status=self._status,
                reason=self._reason,
                epoch=len(self._history),
                total_epochs=self.config.train.epochs,
                history=tuple(self._history),
                elapsed_seconds=(end - self._started_at) if self._started_at else 0.0,
                lr=trainer.lr if trainer else self.config.train.lr,
                noise_level=trainer.noise_level if trainer else self.config.noise.noise_level,
                events=tuple(self._events),
                weights_epoch=max(self._state_epoch, 0),
            )

    def weights(self) -> tuple[int, dict | None]:
        """(epoch, state dict copy) of the latest epoch boundary; (-1, None) before the first epoch."""
        with self._lock:
            self._last_read = time.monotonic()
            return self._state_epoch, self._state

    def trained_model(self) -> TrainedModel | None:
        """A TrainedModel with the latest epoch-boundary weights, independent of the live one."""
        with self._lock:
            trainer, state, weights_epoch = self._trainer, self._state, self._state_epoch
        if trainer is None or state is None:
            return None
        from .model import DenoisingAutoencoder
        from .training import TrainedModel

        model = DenoisingAutoencoder.from_config(self.config.model, trainer.dataset.n_features, trainer.dataset.bounded)
        model.load_state_dict(state)
        model.eval()
        with self._lock:
            history = list(self._history)
        dataset = trainer.dataset
        return TrainedModel(
            config=self.config,
            model=model,
            scaler=dataset.scaler,
            feature_names=list(dataset.feature_names),
            image_shape=dataset.image_shape,
            history=history,
            stop_reason=trainer.stop_reason,
            weights_epoch=weights_epoch,
        )

    @property
    def dataset(self) -> Dataset | None:
        with self._lock:
            return self._trainer.dataset if self._trainer else self._dataset

    # --- the thread ----------------------------------------------------------------------------
    def _set(self, status: str, reason: str) -> None:
        with self._lock:
            self._status, self._reason = status, reason
            if status in FINAL_STATES:
                self._finished_at = time.monotonic()
            self._wake.notify_all()

    def _run(self) -> None:
        while not self._slots.acquire(timeout=0.2):
            with self._lock:
                if self._stop_requested:
                    self._status, self._reason = STOPPED, "stopped before it started"
                    self._wake.notify_all()
                    return
        try:
            self._train()
        except DAEError as exc:
            self._set(FAILED, str(exc))
        except Exception as exc:  # a job thread must report, never die silently
            self._set(FAILED, f"{type(exc).__name__}: {exc}")
        finally:
            self._slots.release()

    def _train(self) -> None:
        from .training import Trainer

        with self._lock:
            self._started_at = time.monotonic()
            self._status, self._reason = RUNNING, "loading data"
        trainer = Trainer(self.config, self._dataset, csv_source=self._csv_source)
        with self._lock:
            self._trainer = trainer
            self._reason = "training"
        self._publish_weights(trainer)
        while not trainer.finished:
            if not self._wait_for_go():
                return
            self._apply_pending(trainer)
            record = trainer.run_epoch()
            if record is None:  # non-finite loss: weights already restored
                self._publish_weights(trainer)
                self._set(FAILED, trainer.stop_reason)
                return
            stop = trainer.check_stop_rules(record)
            with self._lock:
                self._history.append(record)
                self._wake.notify_all()
            self._publish_weights(trainer)
            if stop:
                self._set(DONE, trainer.stop_reason)
                return
        self._set(DONE, f"finished {trainer.epoch} epochs")

    def _wait_for_go(self) -> bool:
        """Block while paused; False when the job must end (stop, idle or wall-time limits)."""
        with self._lock:
            while True:
                now = time.monotonic()
                if self._stop_requested:
                    reason = "stopped by the user"
                elif now - self._last_read > self.idle_timeout:
                    reason = f"stopped: nobody looked at it for {self.idle_timeout:g} s"
                elif now - self._started_at > self.max_wall_seconds:
                    reason = f"stopped: it ran past the {self.max_wall_seconds:g} s limit"
                else:
                    reason = ""
                if reason:
                    self._status, self._reason, self._finished_at = STOPPED, reason, now
                    self._wake.notify_all()
                    return False
                if not self._pause_requested:
                    self._status, self._reason = RUNNING, "training"
                    return True
                if self._steps_allowed > 0:
                    self._steps_allowed -= 1
                    self._status, self._reason = RUNNING, "one step"
                    return True
                self._status, self._reason = PAUSED, "paused by the user"
                self._wake.wait(timeout=0.5)

    def _apply_pending(self, trainer: Trainer) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for name, value in pending.items():
            old = trainer.lr if name == "lr" else trainer.noise_level
            if value == old:
                continue
            (trainer.set_lr if name == "lr" else trainer.set_noise_level)(value)
            with self._lock:
                self._events.append((trainer.epoch, f"{name} {old:g} → {value:g}"))

    def _publish_weights(self, trainer: Trainer) -> None:
        state = {k: v.cpu() for k, v in trainer.state_copy().items()}
        with self._lock:
            self._state_epoch, self._state = trainer.weights_epoch, state
