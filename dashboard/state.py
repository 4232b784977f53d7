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
    from dae_core.serving.job import KeptJob
    from dae_core.serving.remote import RemoteJob, RemoteSweep
    from dae_core.training import TrainedModel


@dataclass(frozen=True)
class UploadedFile:
    """An uploaded table or zip of pictures: its file name, bytes and their SHA-256 (the dataset cache's key)."""

    name: str
    data: bytes
    digest: str

    @classmethod
    def from_upload(cls, name: str, data: bytes) -> UploadedFile:
        return cls(name, data, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class UploadedModel:
    """An imported model file, checked and loaded, with ``dae_core.model_file.describe``'s summary."""

    name: str
    digest: str
    trained: TrainedModel
    summary: dict[str, Any]

    @property
    def label(self) -> str:
        return f"file {self.name}"


@dataclass(frozen=True)
class FormError:
    """A settings value that could not be used: the field, what was typed, and why."""

    name: str
    text: Any
    message: str


@dataclass(frozen=True)
class TestNoise:
    """The noise Reconstructions applies to the test samples. It starts at the run's own test noise: its noise type
    at the shown epoch's level (``follows``) and seed 0, the run's own draw, i.e. the noisy test inputs training
    scored the model on, so the page's test MSE is Train's. Any other type, level or seed is a test noise of its own.
    """

    noise: str
    noise_level: float
    seed: int  # 0: the run's own draw (its fixed noisy test inputs, or at another noise, its test-noise stream)
    follows: tuple[str, float]  # the run's own test noise it started from: a new one starts it afresh

    @property
    def differences(self) -> tuple[str, ...]:
        """What differs from the run's own test noise: some of "noise", "level" and "seed"; none at its own."""
        noise, level = self.follows
        differs = {"noise": self.noise != noise, "level": abs(self.noise_level - level) > 1e-9, "seed": self.seed != 0}
        return tuple(name for name, differ in differs.items() if differ)


@dataclass
class Run:
    """The session's current run: its number in the workspace and its job: the one that trains it (also shown by any
    other session of the workspace), or, for a run that ended before this session opened, the run as it was kept."""

    serial: int
    job: RemoteJob | KeptJob
    drawn: tuple[str, float | None] = ("", None)  # (status, poll interval) a page last drew; a change redraws it
    held: bool = False  # the user's last word was Pause or Step (or it started paused): a paused run rests
    until_epoch: int = 0  # a Step asked for this epoch: pages keep polling a held run until it arrives
    chart: tuple[tuple, Any] | None = None  # (what it shows, figure): the live loss chart, rebuilt on a new epoch
    images: tuple[int, Any] | None = None  # (weights epoch, figure): image data's live reconstructions on Train
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
    model_uploads: int = 0  # model files the sidebar's uploader has handed over (each gets a new, empty uploader)
    model_note: tuple[str, str] | None = None  # ("error" or "again", text): what the last model file came to
    show: str = "run"  # which model the analysis pages show: "run" or "upload"
    csv: UploadedFile | None = None  # the table in use: the uploader's, or the last one uploaded in this session
    csv_uploads: int = 0  # files the CSV uploader has handed over (each gets a new, empty uploader)
    csv_error: str | None = None  # why the last upload was refused (no table is in use then)
    pictures: UploadedFile | None = None  # the zip of pictures in use, as for the table
    pictures_uploads: int = 0  # zips the pictures uploader has handed over
    pictures_error: str | None = None  # why the last zip was refused
    data_problem: str | None = None  # why the chosen data cannot train now (this run's draw of the form says)
    memo: dict[tuple, Any] = field(default_factory=dict)  # derived results, see widgets.memo
    test_noise: TestNoise | None = None
    page_options: dict[str, Any] = field(default_factory=dict)  # what each page shows (projection, curve), by key
    start_on_arrival: bool = False  # Home's one-click start: Train starts the run once its page is out
    teaching: Teaching = field(default_factory=Teaching)  # the lesson a link opened, and the settings it hides
    sweeps: dict[str, RemoteSweep] = field(default_factory=dict)  # the latest sweep of each paper view, by slug
    workspace: str = ""  # the token of the visitor's saved runs (dashboard.workspace); only their address holds it
    browser: str = ""  # the secret of the browser the workspace belongs to (dashboard.session.browser_cookie)
    foreign: str = ""  # the token of another browser's workspace the opening link named, while its runs are offered
    store_notes: list[str] = field(default_factory=list)  # what the store could not keep; the next page says it once

    def uploaded(self, dataset: str) -> UploadedFile | None:
        """The upload a run on ``dataset`` trains on: the table for 'csv', the pictures for 'images', else None."""
        return {"csv": self.csv, "images": self.pictures}.get(dataset)


UPLOADED_DATASETS = ("csv", "images")  # the datasets a run trains on from an upload (``Lab.uploaded``)
