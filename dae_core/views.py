"""Views from the DAE papers: each is one sweep over the training noise level, and what it measures afterwards.

- ``filters`` (Vincent et al. 2008, figure 3): an overcomplete one-layer model on digits; its filters at each
  masking level, with test MSE and linear-probe accuracy.
- ``noise-grid``: the test MSE of each training level's model at each test noise level, as a heatmap.
- ``probe``: linear-probe accuracy of the codes against the training level, with the raw pixels as a line.
- ``edges`` (Vincent et al. 2010, section 6; Olshausen & Field 1996): the photos preset's model on 12 x 12 patches
  of photographs; its filters at each masking level, with their edge-likeness beside their smoothness.

A ``ViewSweep`` (a view and its levels) is plain data: a worker process trains it (``job.SweepJob``) and sends
back a ``ViewResult`` of floats and arrays, which the dashboard caches for the session and draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import RunConfig
from .errors import ConfigError

MAX_LEVELS = 6  # training levels one view sweeps: one batched model of at most this many members


@dataclass(frozen=True)
class PaperView:
    """One view: its sweep's base settings and default levels, what it measures, and how to read it."""

    slug: str
    title: str
    source: str  # the figure or idea it reproduces
    config: RunConfig
    levels: tuple[float, ...]  # training noise levels, editable on the page
    what_you_see: str
    what_to_try: str
    filters: bool = False  # keep each member's first-layer weights
    probe: bool = False  # linear-probe accuracy of each member's codes, and of the raw pixels
    test_levels: tuple[float, ...] = ()  # score each member at these test noise levels too


DIGITS = RunConfig().replace(dataset="digits")
# The photos preset's data and model (lessons.PRESETS["photos"]: 2,000 patches of 12 x 12 into 64 tied units), at a
# learning rate of 3e-3: in 200 epochs its filters split by masking level more clearly than at the preset's 1e-3.
PHOTOS = RunConfig().replace(
    dataset="photos", n_samples=2000, patch_size=12, hidden_layers=(), hidden_dim=64, tied_weights=True, lr=3e-3
)

VIEWS = {
    view.slug: view
    for view in (
        PaperView(
            "filters",
            "Filters against noise level",
            "Vincent et al. (2008), figure 3",
            DIGITS.replace(hidden_dim=100, hidden_layers=(), noise="masking", epochs=100),
            (0.0, 0.25, 0.5),
            "The same overcomplete model (64 pixels → 100 units) trained on digits with more and more of each "
            "input masked. Without noise the filters are speckle: with more units than pixels the model can copy "
            "its input. With masking they turn into smoother strokes and blobs, because to fill in a missing pixel "
            "a unit has to look at its neighbours. The table's smoothness (the correlation of neighbouring "
            "weights) puts a number on it.",
            "add a level of 0.75, and compare the smoothness with the test MSE: the filters change more than the "
            "error does.",
            filters=True,
            probe=True,
        ),
        PaperView(
            "noise-grid",
            "Training noise × test noise",
            "the denoising criterion of Vincent et al. (2008, 2010)",
            DIGITS.replace(hidden_dim=32, hidden_layers=(128,), noise="gaussian", epochs=80),
            (0.0, 0.1, 0.2, 0.4),
            "Each row is one model, trained at one Gaussian noise level; each column scores it on test digits "
            "with another level. A model trained without noise is best on clean inputs and worst on noisy "
            "ones; a model trained with noise holds up, and costs a little on clean inputs.",
            "find each column's best row (outlined): it sits near the diagonal, where training noise matches "
            "test noise. Add a level of 0.6: its row is the flattest of all, and the worst on clean inputs.",
            test_levels=(0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
        ),
        PaperView(
            "probe",
            "Probe accuracy against noise",
            "denoising as pre-training (Vincent et al. 2008, 2010)",
            DIGITS.replace(hidden_dim=32, hidden_layers=(128,), noise="masking", epochs=40),
            (0.0, 0.1, 0.25, 0.5),
            "A logistic regression trained on each model's 32-number codes tries to recognise the digit; the "
            "dashed line is the same classifier on the 64 raw pixels. The codes keep most of what tells digits "
            "apart, in half the numbers.",
            "add a level of 0.75: heavy masking starts to cost accuracy. On 8×8 digits the gain that the papers "
            "report on larger images does not show: here noise moves the probe by less than a point.",
            probe=True,
        ),
        PaperView(
            "edges",
            "Edges from photographs",
            "Vincent et al. (2010), section 6; Olshausen & Field (1996)",
            PHOTOS.replace(noise="masking", epochs=200),
            (0.0, 0.3, 0.5),
            "The photos preset's model (a 12 × 12 patch of a photograph → 64 units, tied weights) trained with more "
            "and more of each patch masked. Without noise its filters are speckle: 1 of the 64 is oriented "
            "(edge-likeness 0.016). With masking many turn into edges, bars and stripes at one angle, as in the "
            "papers: 13 of 64 at 0.3 (0.203) and 16 at 0.5 (0.250), while smoothness rises from 0.42 to 0.70. "
            "Edge-likeness is the share of filters whose power spectrum (mean removed) lies mostly along one "
            "orientation: a concentration above 0.5, where a Gabor scores about 0.9 and white noise about 0.1.",
            "add levels of 0.1, 0.7 and 0.9: edge-likeness climbs with masking (0.062 at 0.1), peaks near half and "
            "falls again (0.219 at 0.7, 0.125 at 0.9) when too little of a patch is left to see an edge in.",
            filters=True,
        ),
    )
}


def view(slug: str) -> PaperView:
    """The view named ``slug``, or a ``ConfigError`` that lists the views."""
    if slug not in VIEWS:
        raise ConfigError(f"There is no view {slug!r}. The views are: {', '.join(VIEWS)}.")
    return VIEWS[slug]


def parse_levels(text: str) -> tuple[float, ...]:
    """ "0, 0.25, 0.5" to sorted distinct levels, or a ``ConfigError`` saying what to type."""
    parts = [part for part in text.replace(";", ",").replace(" ", ",").split(",") if part]
    try:
        levels = sorted({float(part) for part in parts})
    except ValueError:
        raise ConfigError(
            f"The noise levels must be numbers between 0 and 1, separated by commas (like 0, 0.25, 0.5). "
            f"Got {text!r} instead."
        ) from None
    if not levels:
        raise ConfigError("Give at least one noise level (like 0, 0.25, 0.5).")
    if len(levels) > MAX_LEVELS:
        raise ConfigError(f"Give at most {MAX_LEVELS} noise levels; got {len(levels)}.")
    return tuple(levels)


@dataclass(frozen=True)
class MemberResult:
    """What a view keeps of one trained member."""

    level: float
    test_mse: float
    identity_mse: float
    pca_mse: float
    epochs: int
    probe_accuracy: float | None = None
    filters: np.ndarray | None = None  # (units, features) first-layer weights
    smoothness: float | None = None  # metrics.filter_smoothness of the filters: speckle near 0, strokes higher
    edge_likeness: float | None = None  # metrics.edge_likeness of the filters: the share tuned to one orientation
    test_mse_by_level: tuple[float, ...] = ()  # at each of the view's test levels


@dataclass(frozen=True)
class ViewResult:
    """A view's sweep, measured: plain data for its figures."""

    slug: str
    members: tuple[MemberResult, ...]
    raw_probe_accuracy: float | None
    test_levels: tuple[float, ...]
    image_shape: tuple[int, int] | None
    seconds: float  # the sweep's training time


@dataclass(frozen=True)
class ViewSweep:
    """A view with its chosen training levels: what a worker trains (``job.SweepJob``) and measures."""

    slug: str
    levels: tuple[float, ...]
    epochs: int | None = None  # None: the view's own; fewer make a quick check

    def __post_init__(self):
        view(self.slug)  # raises for an unknown view
        bad = [level for level in self.levels if not 0 <= level <= 1]
        if bad or not self.levels or len(self.levels) > MAX_LEVELS:
            raise ConfigError(
                f"A view sweeps 1 to {MAX_LEVELS} noise levels in [0, 1]. Got {list(self.levels)} instead."
            )

    @property
    def view(self) -> PaperView:
        return view(self.slug)

    def configs(self) -> list[RunConfig]:
        from .sweep import expand  # imports torch: in the process that trains

        base = self.view.config if self.epochs is None else self.view.config.replace(epochs=self.epochs)
        return expand(base, {"noise_level": list(self.levels)})

    def measure(self, runs: Sequence, dataset, seconds: float) -> ViewResult:
        """Score each trained member (``sweep.SweepRun``) as the view asks."""
        from .analysis import probe, reconstruct
        from .metrics import edge_likeness, filter_smoothness

        spec = self.view
        members, raw = [], None
        for run in runs:
            trained, config = run.trained, run.config
            kept = trained.kept_record
            accuracy = None
            if spec.probe:
                scores = probe(trained, dataset, seed=config.train.seed, raw=raw is None)  # raw pixels: once
                accuracy, raw = scores["code_accuracy"], scores["raw_accuracy"] if raw is None else raw
            weights = trained.model.first_layer_weights.detach().cpu().numpy() if spec.filters else None
            by_level = tuple(
                reconstruct(trained, dataset.X_test, config.noise.noise, level, seed=config.train.seed).mse
                for level in spec.test_levels
            )
            members.append(
                MemberResult(
                    config.noise.noise_level,
                    kept.test_mse,
                    kept.identity_mse,
                    kept.pca_mse,
                    len(trained.history),
                    accuracy,
                    weights,
                    smoothness=None if weights is None else filter_smoothness(weights, dataset.image_shape),
                    edge_likeness=None if weights is None else edge_likeness(weights, dataset.image_shape),
                    test_mse_by_level=by_level,
                )
            )
        return ViewResult(self.slug, tuple(members), raw, spec.test_levels, dataset.image_shape, seconds)
