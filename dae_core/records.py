"""A run as plain data: per-epoch records, the summary numbers and ratios, the history table and a run's name.

Every ratio here has one direction, the model's error divided by a baseline's: below 1× the model beats that
baseline. The command line, the dashboard and the downloads all read these, and only format them. Nothing
here imports torch, so a page can use it before the engine has loaded.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .config import LIVE_SETTINGS, NOISE_LABELS, RunConfig, in_words
from .errors import ConfigError


@dataclass(frozen=True)
class EpochRecord:
    """One epoch's numbers, all Python floats and ints, so a history is JSON-safe."""

    epoch: int  # 1-based
    train_loss: float  # mean training loss over the epoch's batches (noisy in, clean target)
    test_mse: float  # MSE against clean test rows, from the fixed noisy test inputs
    identity_mse: float  # MSE of the noisy test inputs themselves
    pca_mse: float  # PCA with hidden_dim components on the same noisy test inputs
    seconds: float  # wall time of the epoch, evaluation included
    samples_per_second: float  # training rows per second
    lr: float  # learning rate used in this epoch
    noise_level: float  # training noise level used in this epoch
    test_psnr: float | None = None  # dB, only for data in [0, 1]
    gaussian_blur_mse: float | None = None  # image data: a Gaussian blur, its width chosen on the training rows
    median_mse: float | None = None  # image data: a median filter, its window chosen on the training rows
    nl_means_mse: float | None = None  # photographs: non-local means, its strength chosen on the training rows

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> EpochRecord:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def kept_record(history: Sequence[EpochRecord], weights_epoch: int | None) -> EpochRecord | None:
    """The record of the epoch whose weights a run holds: ``weights_epoch``, or the last one when that is None.

    Early stopping and a divergence keep an earlier epoch's weights than the last; ``weights_epoch`` 0 means
    the initial weights, which have no record.
    """
    if weights_epoch is None:
        return history[-1] if history else None
    return next((record for record in reversed(history) if record.epoch == weights_epoch), None)


NO_ERROR = 1e-12  # a baseline's MSE below this is round-off of an exact reconstruction (PCA with every component)


def _ratio(value: float | None, baseline: float | None) -> float | None:
    """``value / baseline``; None when the baseline makes no error, so no ratio to it means anything."""
    if value is None or baseline is None or not math.isfinite(value) or not baseline > NO_ERROR:
        return None
    return value / baseline


CLASSIC_NAMES = {"gaussian_blur": "Gaussian blur", "median": "median filter", "nl_means": "non-local means"}
_CLASSIC_WIDTHS = {"gaussian_blur": "σ {:g} px", "median": "{0:g}×{0:g} px", "nl_means": "h {:.3g}"}


def classic_width(name: str, width: float) -> str:
    """A classic denoiser's chosen width in words: "σ 1 px" (blur), "5×5 px" (median), "h 0.0588" (non-local
    means, in the data's units)."""
    return _CLASSIC_WIDTHS[name].format(width)


@dataclass(frozen=True)
class Summary:
    """The headline numbers of one set of weights: test MSE, both baselines on the same inputs, and PSNR."""

    test_mse: float | None
    identity_mse: float | None
    pca_mse: float | None
    test_psnr: float | None = None
    gaussian_blur_mse: float | None = None  # image data: the classic denoisers on the same noisy test inputs
    median_mse: float | None = None
    nl_means_mse: float | None = None  # photographs only

    @classmethod
    def of(cls, record: EpochRecord | None) -> Summary:
        if record is None:
            return cls(None, None, None, None)
        return cls(
            record.test_mse, record.identity_mse, record.pca_mse, record.test_psnr,
            record.gaussian_blur_mse, record.median_mse, record.nl_means_mse,
        )  # fmt: skip

    @property
    def baselines(self) -> dict[str, float]:
        """Every baseline's test MSE on the model's noisy test inputs, by name: identity, pca and, for images,
        gaussian_blur and median (and nl_means for photographs)."""
        named = {"identity": self.identity_mse, "pca": self.pca_mse}
        named |= {"gaussian_blur": self.gaussian_blur_mse, "median": self.median_mse, "nl_means": self.nl_means_mse}
        return {name: value for name, value in named.items() if value is not None}

    @property
    def best_classic(self) -> tuple[str, float] | None:
        """(name, test MSE) of the better classic denoiser, or None for data that is not images."""
        classic = {name: v for name, v in self.baselines.items() if name in CLASSIC_NAMES}
        return min(classic.items(), key=lambda item: item[1]) if classic else None

    @property
    def db_over_classic(self) -> float | None:
        """How many dB the model's PSNR is above the best classic denoiser's (10·log10 of their MSE ratio)."""
        best = self.best_classic
        if best is None or not self.test_mse or not best[1] > 0 or not math.isfinite(self.test_mse):
            return None
        return 10 * math.log10(best[1] / self.test_mse)

    @property
    def ratio_to_identity(self) -> float | None:
        """Test MSE ÷ the identity's (the noisy input itself): below 1× the model beats doing nothing."""
        return _ratio(self.test_mse, self.identity_mse)

    @property
    def ratio_to_pca(self) -> float | None:
        """Test MSE ÷ PCA's with as many components as the code: below 1× the model beats PCA."""
        return _ratio(self.test_mse, self.pca_mse)

    @property
    def beats(self) -> tuple[bool, bool]:
        """(beats the identity, beats PCA)."""
        return (
            self.ratio_to_identity is not None and self.ratio_to_identity < 1,
            self.ratio_to_pca is not None and self.ratio_to_pca < 1,
        )

    def to_dict(self) -> dict[str, float | None]:
        numbers = dataclasses.asdict(self) | {
            "ratio_to_identity": self.ratio_to_identity,
            "ratio_to_pca": self.ratio_to_pca,
            "db_over_classic": self.db_over_classic,
        }
        for name in ("gaussian_blur_mse", "median_mse", "nl_means_mse", "db_over_classic"):  # image data only
            if numbers[name] is None:
                del numbers[name]
        return {k: v if v is None or math.isfinite(v) else None for k, v in numbers.items()}  # strict JSON


STILL_IMPROVING = 0.01  # test MSE fell by more than this share over the last tenth of the epochs


def verdict(
    history: Sequence[EpochRecord],
    weights_epoch: int | None = None,
    *,
    code_size: int | None = None,
    input_size: int | None = None,
) -> str:
    """One sentence on a run, in words and with its numbers: which baselines it beats, what to try when it loses,
    and whether it was still improving when it stopped. A larger code is suggested only when the run's code
    (``code_size``, its ``hidden_dim``) is smaller than its input (``input_size`` columns), or either is unknown: a
    code as large as the input can already copy it."""
    larger_code = ["a larger code"] if code_size is None or input_size is None or code_size < input_size else []
    kept = kept_record(history, weights_epoch)
    if kept is None:
        return "No epoch trained yet."
    summary = Summary.of(kept)
    beats_identity, beats_pca = summary.beats
    numbers = f"test MSE {kept.test_mse:.4f} against identity {kept.identity_mse:.4f} and PCA {kept.pca_mse:.4f}"
    if beats_identity and beats_pca:
        text = f"Beats both baselines ({numbers})."
    elif beats_pca:
        text = (
            f"Loses to the identity ({numbers}): the noise is too mild for this data, so the noisy input itself is "
            "hard to beat. Try a higher noise level."
        )
    elif beats_identity:
        text = (
            f"Beats the identity but not PCA ({numbers}): a linear summary does as well. "
            f"Try {_one_of('hidden layers', *larger_code, 'more epochs')}."
        )
    else:
        to_try = _one_of("more epochs", *larger_code, "a higher noise level")
        text = f"Loses to both baselines ({numbers}). Try {to_try}."
    best, margin = summary.best_classic, summary.db_over_classic
    if best is not None and margin is not None:
        name = CLASSIC_NAMES[best[0]]
        if margin > 0:
            text += f" It beats the best classic denoiser ({name}, MSE {best[1]:.4f}) by {margin:.1f} dB."
        else:
            text += (
                f" The best classic denoiser ({name}, MSE {best[1]:.4f}) does {-margin:.1f} dB better than it: "
                "train longer or larger."
            )
    if still_improving(history, weights_epoch):
        text += " It was still improving: train longer."
    return text


def _one_of(*options: str) -> str:
    """``a, b or c``."""
    return f"{', '.join(options[:-1])} or {options[-1]}" if len(options) > 1 else options[0]


def still_improving(history: Sequence[EpochRecord], weights_epoch: int | None = None) -> bool:
    """Whether the test MSE fell by more than ``STILL_IMPROVING`` over the last tenth of the epochs (and the run
    keeps its last epoch): more epochs would likely help."""
    kept = kept_record(history, weights_epoch)
    if len(history) < 5 or kept is not history[-1]:
        return False
    earlier = history[max(0, len(history) - 1 - max(1, len(history) // 10))]
    return kept.test_mse < (1 - STILL_IMPROVING) * earlier.test_mse


def format_ratio(ratio: float | None) -> str:
    """``0.98×``; three significant digits past 1000×; ``—`` when there is no ratio."""
    if ratio is None:
        return "—"
    return f"{ratio:.2f}×" if ratio < 1000 else f"{ratio:.3g}×"


def run_name(serial: int, config: RunConfig) -> str:
    """``#3 digits, code 128-16, masking 0.3, lr 0.001``: what a list of runs shows for one. A CSV run names its
    table and the start of its content hash (``#4 iris.csv 1a2b3c4d, ...``), so runs on two tables never read alike."""
    model = config.model
    if model.architecture == "conv":
        shape = "conv " + "-".join(str(c) for c in (*model.conv_channels, model.code_channels))
    else:
        layers = "-".join(str(w) for w in model.hidden_layers)
        shape = f"{layers}-{model.hidden_dim}" if layers else str(model.hidden_dim)
    noise = f"{NOISE_LABELS[config.noise.noise]} {config.noise.noise_level:g}"
    return f"#{serial} {data_name(config)}, code {shape}, {noise}, lr {config.train.lr:g}"


def data_name(config: RunConfig) -> str:
    """The data a run trains on, as a list of runs names it: the dataset, or a CSV table's file and hash."""
    data = config.data
    if data.dataset != "csv" or not (data.csv_path or data.csv_digest):
        return data.dataset
    name = data.csv_path.replace("\\", "/").rsplit("/", 1)[-1] or "csv"
    return f"{name} {data.csv_digest[:8]}".strip()


@dataclass(frozen=True)
class RunRecord:
    """One run that ended, as plain data (no weights): what Experiments lists, overlays and downloads."""

    run: int  # the run's number in its session
    name: str
    status: str
    reason: str
    epochs: int
    summary: Summary  # of the epoch whose weights the run kept
    seconds: float  # training time, pauses excluded
    config: dict[str, Any]  # the settings it started with (RunConfig.to_dict)
    history: tuple[EpochRecord, ...]

    def row(self) -> dict[str, Any]:
        """One flat row of the runs table."""
        base = {"run": self.run, "name": self.name, "status": self.status, "epochs": self.epochs}
        return base | self.summary.to_dict() | {"seconds": round(self.seconds, 2)}

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-safe: the row plus the reason, the config and every epoch."""
        return self.row() | {
            "reason": self.reason,
            "config": self.config,
            "history": [record.to_dict() for record in self.history],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """The record :meth:`to_dict` wrote (its time is kept to the row's two decimals)."""
        numbers = {f.name: data.get(f.name) for f in dataclasses.fields(Summary)}
        return cls(
            run=int(data["run"]),
            name=str(data["name"]),
            status=str(data["status"]),
            reason=str(data["reason"]),
            epochs=int(data["epochs"]),
            summary=Summary(**numbers),
            seconds=float(data["seconds"]),
            config=dict(data["config"]),
            history=tuple(EpochRecord.from_dict(record) for record in data["history"]),
        )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs a cell that starts with one of these


def spreadsheet_safe(value):
    """A table cell that no spreadsheet will run: text starting like a formula gets a leading apostrophe
    (OWASP's advice on CSV injection); numbers, negative ones included, stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_safe_frame(frame):
    """``frame`` (a pandas DataFrame) with every text cell made :func:`spreadsheet_safe`."""
    from pandas.api.types import is_numeric_dtype

    frame = frame.copy()
    for column in frame.columns:
        if not is_numeric_dtype(frame[column]):  # text, in whichever dtype pandas holds it
            frame[column] = frame[column].map(spreadsheet_safe)
    return frame


def history_csv(history: Sequence[EpochRecord]) -> str:
    """A history as CSV text, one row per epoch, one column per ``EpochRecord`` field."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [f.name for f in dataclasses.fields(EpochRecord)], lineterminator="\n")
    writer.writeheader()
    writer.writerows(record.to_dict() for record in history)
    return buffer.getvalue()


@dataclass(frozen=True)
class SettingChange:
    """A live setting changed mid-run: it took effect from epoch ``after_epoch + 1`` on."""

    after_epoch: int
    name: str  # a key of config.LIVE_SETTINGS
    old: float
    new: float

    @property
    def text(self) -> str:
        """``learning rate 0.001 → 0.01``: what a chart marks and a list shows."""
        return f"{LIVE_SETTINGS[self.name]} {self.old:g} → {self.new:g}"


def settings_after(config: RunConfig, history: Sequence[EpochRecord]) -> RunConfig:
    """The settings a run of ``config`` ended training under: with the live values of its last epoch."""
    if not history:
        return config
    return config.replace_live(lr=history[-1].lr, noise_level=history[-1].noise_level)


def changes_in(history: Sequence[EpochRecord], start: RunConfig | None = None) -> tuple[SettingChange, ...]:
    """The live changes a run's records show: a setting that differs between epochs k and k + 1 changed after k.
    With ``start`` (the settings the run began with), a change made before its first epoch too (after epoch 0)."""
    first = [(None, history[0])] if start is not None and history else []
    return tuple(
        SettingChange(after.epoch - 1, name, old, getattr(after, name))
        for before, after in [*first, *zip(history, history[1:])]
        for name in LIVE_SETTINGS
        if (old := start.live()[name] if before is None else getattr(before, name)) != getattr(after, name)
    )


# --- a schedule: live changes written down, so a command line can replay them -----------------------------------
# ``lr@400=0.01,noise_level@600=0.5``: each item NAME@EPOCH=VALUE sets live setting NAME to VALUE after EPOCH epochs,
# i.e. from epoch EPOCH + 1 on, as a job applies a live change before its next epoch.
Schedule = list[tuple[int, dict[str, float]]]  # (after_epoch, {name: value}), ascending after_epoch
SCHEDULE_EXAMPLE = "lr@400=0.01"
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")


def parse_schedule(text: str, config: RunConfig | None = None) -> Schedule:
    """``lr@400=0.01,noise_level@600=0.5`` as ``[(400, {"lr": 0.01}), (600, {"noise_level": 0.5})]``, by epoch.

    With ``config`` (the run's starting settings) every epoch must be in [0, epochs) and every value valid for the
    run (``RunConfig.replace_live``). Empty text is no schedule. A problem raises ``ConfigError`` whose message
    starts with the item in quotes and says how to fix it; a caller prefixes where the text came from.
    """
    changes: dict[int, dict[str, float]] = {}
    items = [item.strip() for item in text.split(",")] if text.strip() else []
    for item in items:
        if not item:
            raise ConfigError(
                f"{text.strip()!r}: an empty item; separate items with single commas, like "
                f"{SCHEDULE_EXAMPLE},noise_level@600=0.5."
            )
        epoch, name, value = _schedule_item(item, config)
        if name in changes.get(epoch, {}):
            raise ConfigError(
                f"{item!r}: {name} is set twice after epoch {epoch}. Keep one value for each setting and epoch."
            )
        changes.setdefault(epoch, {})[name] = value
    return sorted(changes.items())


def _schedule_item(item: str, config: RunConfig | None) -> tuple[int, str, float]:
    """One ``NAME@EPOCH=VALUE`` item as (epoch, name, value), checked against ``config`` when there is one."""
    match = re.fullmatch(r"([^@=]*)@([^@=]*)=([^@=]*)", item)
    if match is None:
        raise ConfigError(f"{item!r}: write each item as NAME@EPOCH=VALUE, like {SCHEDULE_EXAMPLE}.")
    name, epoch_text, value_text = (part.strip() for part in match.groups())
    if name not in LIVE_SETTINGS:
        close = difflib.get_close_matches(name, list(LIVE_SETTINGS), n=1, cutoff=0.6)
        names = " or ".join(LIVE_SETTINGS)
        hint = f"did you mean '{close[0]}'?" if close else f"name {names}."
        raise ConfigError(f"{item!r}: {name!r} is not a setting that can change while a run trains; {hint}")
    if not _WHOLE_NUMBER.fullmatch(epoch_text):
        raise ConfigError(f"{item!r}: the epoch must be a whole number, like {SCHEDULE_EXAMPLE}.")
    epoch = int(epoch_text)
    if config is None and epoch < 0:
        raise ConfigError(f"{item!r}: the epoch must be 0 or more: the change applies after that many epochs.")
    if config is not None and not 0 <= epoch < config.train.epochs:
        raise ConfigError(
            f"{item!r}: the epoch must be between 0 and {config.train.epochs - 1}: the change applies after that "
            f"many of the run's {config.train.epochs} epochs."
        )
    try:
        value = float(value_text)
    except ValueError:
        raise ConfigError(f"{item!r}: the value must be a number, like {SCHEDULE_EXAMPLE}.") from None
    if config is not None:  # a live setting's range depends only on fixed ones (the noise type), never on the other
        try:
            config.replace_live(**{name: value})
        except ConfigError as exc:
            raise ConfigError(f"{item!r}: {in_words(' '.join(str(exc).split()))}") from None
    return epoch, name, value


def format_schedule(schedule: Schedule) -> str:
    """A schedule as the text :func:`parse_schedule` reads; values keep every digit, so it reads back the same."""
    return ",".join(f"{name}@{epoch}={float(value)!r}" for epoch, named in schedule for name, value in named.items())


def schedule_of(history: Sequence[EpochRecord], start: RunConfig | None = None) -> str:
    """The schedule text that replays a history's live changes: a record whose ``lr`` or ``noise_level`` differs
    from the record before it (or, for the first, from ``start``'s value) gives ``NAME@(its epoch - 1)=value``.
    "" when nothing changed."""
    by_epoch: dict[int, dict[str, float]] = {}
    for change in changes_in(history, start):
        by_epoch.setdefault(change.after_epoch, {})[change.name] = change.new
    return format_schedule(list(by_epoch.items()))


def run_record(serial: int, snapshot, *, status: str | None = None) -> RunRecord:
    """A run's ``RunRecord`` from a job's ``JobSnapshot``; ``status`` overrides its own."""
    history = tuple(snapshot.history)
    kept = kept_record(history, snapshot.weights_epoch) or (history[-1] if history else None)
    return RunRecord(
        run=serial,
        name=run_name(serial, snapshot.settings),
        status=status or snapshot.status,
        reason=snapshot.reason,
        epochs=len(history),
        summary=Summary.of(kept),
        seconds=snapshot.elapsed_seconds,
        config=snapshot.config.to_dict(),
        history=history,
    )
