"""How a run config leaves Python and comes back: a shareable link's query string and the equivalent command.

A link is read leniently: each parameter is checked on its own, good ones are kept, and every bad one is
reported by name, so a typo in one value never throws the whole link away. A CSV path never travels in a
link, because a link must not make a server read one of its own files.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from .config import FIELD_SECTION, FLAG_OF_FIELD, RunConfig, in_words
from .errors import ConfigError
from .lessons import Lesson, lesson
from .records import EpochRecord, schedule_of


class Limits(Protocol):
    """What a link is checked against: ``dae_core.serving.limits.Limits`` on a server."""

    def refusal(self, name: str, value: float) -> str | None: ...  # why ``value`` is past a limit, or None


NOT_IN_LINKS = ("csv_path", "csv_digest")
WORKSPACE_KEY = "ws"  # the visitor's own workspace token: the dashboard's, never part of the settings
MAX_KEY_CHARS = 40  # longer than any setting's name
MAX_VALUE_CHARS = 200  # no setting needs more; a longer value is refused without being parsed or echoed
CSV_PLACEHOLDER = "TABLE.csv"  # shown in the command when the table's name is unknown
PICTURES_PLACEHOLDER = "PICTURES.zip"  # the same for pictures
TEACHING_KEYS = ("lesson", "hide")  # a teacher's link: see Teaching
PAGE_KEYS = ("test_noise", "test_noise_level", "test_noise_seed", "projection")  # page state: see PageState
PROJECTIONS = {"pca": "PCA", "tsne": "t-SNE"}  # Latent space's projection, as a link names it


def to_query(config: RunConfig, base: RunConfig | None = None) -> dict[str, str]:
    """The query parameters of a link to ``config``: only the fields that differ from ``base`` (a lesson's preset),
    or from the defaults."""
    if base is None:
        return {k: v for k, v in config.to_flat(only_changed=True).items() if k not in NOT_IN_LINKS}
    before = base.to_flat()
    return {k: v for k, v in config.to_flat().items() if v != before[k] and k not in NOT_IN_LINKS}


@dataclass(frozen=True)
class Teaching:
    """What a teacher's link adds to the settings: a lesson (``lesson=SLUG``) and settings to hide (``hide=a,b``)."""

    lesson: Lesson | None = None
    hide: tuple[str, ...] = ()  # the lesson's and the link's, in the form's order

    def to_query(self) -> dict[str, str]:
        extra = [name for name in self.hide if self.lesson is None or name not in self.lesson.hide]
        return ({"lesson": self.lesson.slug} if self.lesson else {}) | ({"hide": ",".join(extra)} if extra else {})


def teaching_from_query(params: Mapping[str, str]) -> tuple[Teaching, list[str]]:
    """The lesson and hidden settings a link names, plus one message per part that was not used."""
    messages, chosen = [], None
    slug = _last(params.get("lesson", ""))
    if slug:
        try:
            chosen = lesson(slug[:MAX_VALUE_CHARS])
        except ConfigError as exc:
            messages.append(f"Link parameter 'lesson' was ignored: {exc}")
    names = [name.strip() for name in _last(params.get("hide", ""))[:MAX_VALUE_CHARS].split(",") if name.strip()]
    unknown = [name for name in names if name not in FIELD_SECTION]
    if unknown:
        shown = ", ".join(f"'{name[:MAX_KEY_CHARS]}'" for name in unknown[:5])
        messages.append(f"Link parameter 'hide' named no setting {shown}; those are shown. Use setting names "
                        f"such as {', '.join(list(FIELD_SECTION)[:4])}.")  # fmt: skip
    wanted = set(chosen.hide if chosen else ()) | {name for name in names if name in FIELD_SECTION}
    return Teaching(chosen, tuple(name for name in FIELD_SECTION if name in wanted)), messages


@dataclass(frozen=True)
class PageState:
    """Page state a link restores: Reconstructions' test noise and Latent space's projection."""

    test_noise: tuple[str, float, int] | None = None  # (type, level, seed); seed 0 (left out): the run's own draw
    projection: str | None = None  # "PCA" or "t-SNE"

    def to_query(self) -> dict[str, str]:
        query = {}
        if self.test_noise is not None:
            noise, level, seed = self.test_noise
            query |= {"test_noise": noise, "test_noise_level": f"{level:g}"} | (
                {"test_noise_seed": str(seed)} if seed else {}
            )
        if self.projection is not None and self.projection != "PCA":
            query["projection"] = next(key for key, name in PROJECTIONS.items() if name == self.projection)
        return query


def page_state_from_query(params: Mapping[str, str]) -> tuple[PageState, list[str]]:
    """The page state a link names, plus one message per part that was not used."""
    from .config import NOISE_TYPES, noise_level_range

    messages, test_noise, projection = [], None, None
    text = {key: _last(params[key])[:MAX_VALUE_CHARS] for key in PAGE_KEYS if key in params}
    if "test_noise" in text or "test_noise_level" in text or "test_noise_seed" in text:
        noise = text.get("test_noise", "gaussian")
        try:
            if noise not in NOISE_TYPES:
                raise ValueError(f"'{noise}' is not a noise type; use one of {', '.join(NOISE_TYPES)}")
            low, high = noise_level_range(noise)
            level = float(text.get("test_noise_level", "0.2"))
            if not low <= level <= high:
                raise ValueError(f"a {noise} test noise level is between {low:g} and {high:g}, not {level:g}")
            seed = int(text.get("test_noise_seed", "0"))
            if not 0 <= seed <= 10_000:
                raise ValueError(f"the test noise seed is between 0 and 10000, not {seed}")
            test_noise = (noise, level, seed)
        except ValueError as exc:
            reason = (
                str(exc)
                if "could not convert" not in str(exc) and "invalid literal" not in str(exc)
                else ("the level must be a number and the seed a whole number")
            )
            messages.append(f"The link's test noise was ignored: {reason}. Reconstructions uses the training noise.")
    if "projection" in text:
        if text["projection"] in PROJECTIONS:
            projection = PROJECTIONS[text["projection"]]
        else:
            messages.append(f"Link parameter 'projection' was ignored: use {' or '.join(PROJECTIONS)}.")
    return PageState(test_noise, projection), messages


def _last(value) -> str:
    return str(value[-1] if isinstance(value, list) else value)


def config_from_query(
    params: Mapping[str, str], base: RunConfig | None = None, limits: Limits | None = None
) -> tuple[RunConfig, list[str]]:
    """Parse a link's query parameters into a config, plus one message per parameter that was not used.

    Each parameter is parsed alone over the defaults and kept if it is valid. If the kept parameters
    still do not fit together (e.g. ``noise=masking&noise_level=2``), the link is dropped as a whole and
    the defaults are used; the message says so. ``base`` (a lesson's preset) takes the defaults' place; the
    teaching parameters (``lesson``, ``hide``) are read by :func:`teaching_from_query`. A value past one of
    ``limits`` (rows, features, epochs) is refused with a message that names the limit, so a link can never
    start work past them. Messages name settings by their labels.
    """
    base = base or RunConfig()
    defaults = base.to_flat()
    kept: dict[str, str] = {}
    messages = []
    for key, text in params.items():
        if key in TEACHING_KEYS or key in PAGE_KEYS or key == WORKSPACE_KEY:
            continue
        text = text[-1] if isinstance(text, list) else str(text)
        if len(key) > MAX_KEY_CHARS:
            messages.append(
                f"Link parameter '{key[:MAX_KEY_CHARS]}…' was ignored: no setting has a name that long "
                f"({len(key):,} characters)."
            )
            continue
        if len(text) > MAX_VALUE_CHARS:
            fallback = f" Kept the default ({defaults[key] or 'none'})." if key in FIELD_SECTION else ""
            messages.append(
                f"Link parameter '{key}' was ignored: its value is {len(text):,} characters long; a setting takes at "
                f"most {MAX_VALUE_CHARS}.{fallback}"
            )
            continue
        if key in NOT_IN_LINKS:
            messages.append(f"Link parameter '{key}' was ignored: a link cannot name a file. Upload the table instead.")
            continue
        fallback = f" Kept the default ({defaults[key] or 'none'})." if key in FIELD_SECTION else ""
        number = _number(text) if limits is not None else None
        if number is not None and (refusal := limits.refusal(key, number)):
            messages.append(f"Link parameter '{key}={text}' was ignored: {refusal}{fallback}")
            continue
        try:
            RunConfig.from_flat({key: text})
        except ConfigError as exc:
            reason = in_words(" ".join(str(exc).split("\n")))
            messages.append(f"Link parameter '{key}={text}' was ignored: {reason}{fallback}")
            continue
        kept[key] = text
    try:
        return RunConfig.from_flat(defaults | kept), messages
    except ConfigError as exc:
        reason = in_words(" ".join(str(exc).split("\n")))
        messages.append(f"The link's parameters do not fit together: {reason} Using the defaults for all of them.")
        return base, messages


def _number(text: str) -> float | None:
    """A link value as a number (ints stay exact, however large), or None when it is not one."""
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return None
        return value if math.isfinite(value) else None


def to_cli_command(config: RunConfig, table_name: str | None = None, history: Sequence[EpochRecord] = ()) -> str:
    """The ``python -m dae_core train ...`` line that trains ``config``; only changed fields become flags.

    A CSV run names its table with ``--csv``, and a run on pictures its zip with ``--images``: ``table_name`` (an
    upload's file name), else the config's path, else a placeholder. ``history`` (the run's records) adds
    ``--schedule`` when its live settings changed mid-run (``records.schedule_of``), so the command trains the same
    run, not one that kept its starting settings.
    Fields the command line has no flag for are listed in a trailing shell comment.
    """
    changed = config.to_flat(only_changed=True)
    words = ["python", "-m", "dae_core", "train"]
    if config.data.dataset == "csv":
        changed.pop("dataset", None)  # --csv implies it
        changed["csv_path"] = table_name or config.data.csv_path or CSV_PLACEHOLDER
    if config.data.dataset == "images":
        changed.pop("dataset", None)  # --images implies it
        changed["images_path"] = table_name or config.data.images_path or PICTURES_PLACEHOLDER
    for digest in ("csv_digest", "images_digest"):
        changed.pop(digest, None)  # which upload it was: the command names the file itself
    unsupported = []
    for name, text in changed.items():
        flag = FLAG_OF_FIELD.get(name)
        if flag is None:
            unsupported.append(f"{name}={text}")
        elif isinstance(getattr(getattr(config, FIELD_SECTION[name]), name), bool):
            if text == "true":
                words.append(flag)  # a store_true flag; false is the default, so it is never changed-and-false
        else:
            words += [flag, text]
    schedule = schedule_of(history, config)
    if schedule:
        words += ["--schedule", schedule]
    command = " ".join(shlex.quote(word) for word in words)
    if unsupported:
        command += "  # no flag for: " + ", ".join(unsupported)
    return command
