"""Resource limits: how much one run may cost, how many may train at once, and how threads are used.

One frozen ``Limits`` holds every number; ``TrainingJob`` enforces all of them. The defaults suit one person on
their own machine; a shared server sets them from the environment (``Limits.from_env``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .config import ModelConfig
from .errors import ConfigError


def _cpu_count() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Limits:
    idle_seconds: float = 300.0  # a run nobody has looked at for this long stops itself
    wall_seconds: float = 1800.0  # a run stops after training this long, pauses included
    max_parameters: int = 5_000_000  # ~80 MB with Adam's state: keeps one run on a shared server affordable
    max_concurrent_jobs: int = field(default_factory=_cpu_count)  # later runs wait, queued
    torch_threads: int = 1  # small models train 1.3-3x faster on one thread, and runs do not fight over cores

    def __post_init__(self):
        problems = []
        for name in ("idle_seconds", "wall_seconds"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0):
                problems.append(f"The '{name}' parameter of Limits must be a positive number. Got {value!r} instead.")
        for name in ("max_parameters", "max_concurrent_jobs", "torch_threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"The '{name}' parameter of Limits must be an int >= 1. Got {value!r} instead.")
        if problems:
            raise ConfigError("\n".join(problems))

    @classmethod
    def from_env(cls, environ=None, **defaults) -> Limits:
        """``defaults`` overridden by ``DAE_MAX_CONCURRENT_JOBS`` (the only limit a deployment sets today)."""
        environ = os.environ if environ is None else environ
        text = environ.get("DAE_MAX_CONCURRENT_JOBS", "").strip()
        if text:
            try:
                defaults["max_concurrent_jobs"] = int(text)
            except ValueError:
                raise ConfigError(
                    f"DAE_MAX_CONCURRENT_JOBS must be an int >= 1. Got {text!r} instead. Fix or unset it."
                ) from None
        return cls(**defaults)

    def check_model(self, model: ModelConfig, n_features: int) -> None:
        """Refuse the model ``model`` describes for ``n_features`` inputs if it is past the parameter limit."""
        from .model import parameter_count  # imports torch: only when a run is about to train anyway

        self.check_parameters(parameter_count(n_features, model))

    def check_parameters(self, count: int) -> None:
        """Refuse a model with more parameters than a run may have, saying how to make it smaller."""
        if count > self.max_parameters:
            raise ConfigError(
                f"This model has {count:,} parameters; the limit here is {self.max_parameters:,}. "
                "Use a smaller code size or fewer, narrower hidden layers."
            )


def use_torch_threads(count: int) -> None:
    """Set torch's CPU thread count for this process (torch's setting is process-wide)."""
    import torch

    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
