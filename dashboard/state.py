"""The session's own state, as small dataclasses: what the user chose and what their runs did.

Streamlit forgets a widget's value when the widget is not drawn in a run (another page, a dataset that hides
it), so nothing a user set lives only in a widget key: it lives here, and widgets are drawn from it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dae_core import RunConfig
from dae_core.records import RunRecord
from dae_core.share import Teaching

if TYPE_CHECKING:
    from dae_core.serving.remote import RemoteJob, RemoteSweep
    from dae_core.training import TrainedModel


@dataclass(frozen=True)
class CsvTable:
    """An uploaded table: its file name, bytes and their SHA-256 (the dataset cache's key)."""

    name: str
    data: bytes
    digest: str

    @classmethod
    def from_upload(cls, name: str, data: bytes) -> CsvTable:
        return cls(name, data, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class UploadedModel:
    """An imported model file, checked and loaded, with ``dae_core.model_file.describe``'s summary."""

    name: str
    digest: str
    trained: TrainedModel
    summary: dict[str, Any]
    saved: bool = False  # a run kept in the visitor's workspace, restored after a reload, rather than a file

    @property
    def label(self) -> str:
        return f"saved {self.name}" if self.saved else f"file {self.name}"


@dataclass(frozen=True)
class FormError:
    """A settings value that could not be used: the field, what was typed, and why."""

    name: str
    text: Any
    message: str


@dataclass(frozen=True)
class TestNoise:
    """The noise Reconstructions applies to the test samples, chosen apart from the training noise."""

    noise: str
    noise_level: float
    seed: int
    follows: tuple[str, float]  # the training noise it started from: a new one starts it afresh


@dataclass
class Run:
    """The session's current run: its number in the session and the background job that trains it."""

    serial: int
    job: RemoteJob
    drawn: tuple[str, float | None] = ("", None)  # (status, poll interval) a page last drew; a change redraws it
    held: bool = False  # the user's last word was Pause or Step (or it started paused): a paused run rests
    until_epoch: int = 0  # a Step asked for this epoch: pages keep polling a held run until it arrives
    chart: tuple[tuple, Any] | None = None  # (what it shows, figure): the live loss chart, rebuilt on a new epoch
    model: tuple[int, TrainedModel] | None = None  # (epoch, model) last built from the job, for the pages


@dataclass
class Lab:
    """Everything one browser session holds."""

    config: RunConfig  # the settings, the single source for the widgets, the link and the next run
    link_messages: list[str] = field(default_factory=list)  # what the opening link got wrong; cleared on a change
    form_error: FormError | None = None  # a value typed into the settings that is not valid yet
    run: Run | None = None
    serial: int = 0  # runs started in this session
    runs: list[RunRecord] = field(default_factory=list)  # runs that ended, appended by their jobs
    upload: UploadedModel | None = None
    show: str = "run"  # which model the analysis pages show: "run" or "upload"
    csv: CsvTable | None = None  # the table in use: the uploader's, or the last one uploaded in this session
    csv_error: str | None = None  # why the last upload was refused (no table is in use then)
    data_problem: str | None = None  # why the chosen data cannot train now (this run's draw of the form says)
    memo: dict[tuple, Any] = field(default_factory=dict)  # derived results, see widgets.memo
    test_noise: TestNoise | None = None
    page_options: dict[str, Any] = field(default_factory=dict)  # what each page shows (projection, curve), by key
    start_on_arrival: bool = False  # Home's one-click start: Train starts the run once its page is out
    teaching: Teaching = field(default_factory=Teaching)  # the lesson a link opened, and the settings it hides
    sweeps: dict[str, RemoteSweep] = field(default_factory=dict)  # the latest sweep of each paper view, by slug
    workspace: str = ""  # the token of the visitor's saved runs (dashboard.workspace); only their address holds it
