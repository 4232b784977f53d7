"""The views from the papers: their levels, the sweep job that trains one, and what it measures."""

import numpy as np
import pytest

from dae_core import ConfigError
from dae_core.analysis import probe, reconstruct
from dae_core.config import RunConfig
from dae_core.lessons import LESSONS, preset_for
from dae_core.metrics import edge_likeness, filter_smoothness
from dae_core.serving.job import SweepJob
from dae_core.serving.limits import Limits
from dae_core.serving.pool import WorkerPool
from dae_core.serving.remote import RemoteSweep
from dae_core.serving.snapshot import DONE, RUNNING, STOPPED
from dae_core.sweep import Sweep
from dae_core.views import MAX_LEVELS, VIEWS, ViewSweep, parse_levels, view

WAIT = 120.0


def finished(job: SweepJob):
    snapshot = job.wait_for(lambda s: s.finished, WAIT)
    assert snapshot.finished, f"gave up waiting; the sweep says {snapshot.status}: {snapshot.reason}"
    return snapshot


@pytest.mark.parametrize(
    ("text", "levels"), [("0, 0.25, 0.5", (0.0, 0.25, 0.5)), ("0.5;0.1 0.1", (0.1, 0.5)), (" 1 ", (1.0,))]
)
def test_levels_are_read_sorted_and_distinct(text, levels):
    assert parse_levels(text) == levels


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0, a", "The noise levels must be numbers between 0 and 1, separated by commas (like 0, 0.25, 0.5). "
                 "Got '0, a' instead."),
        (" , ", "Give at least one noise level (like 0, 0.25, 0.5)."),
        ("0 0.1 0.2 0.3 0.4 0.5 0.6", f"Give at most {MAX_LEVELS} noise levels; got 7."),
    ],
)  # fmt: skip
def test_bad_levels_say_what_to_type(text, message):
    with pytest.raises(ConfigError) as error:
        parse_levels(text)
    assert str(error.value) == message


def test_a_view_sweep_checks_its_view_and_levels():
    message = r"There is no view 'nope'\. The views are: filters, noise-grid, probe, edges, robust, "  # and the rest
    with pytest.raises(ConfigError, match=message):
        ViewSweep("nope", (0.0,))
    with pytest.raises(ConfigError, match=r"A view sweeps 1 to 6 noise levels in \[0, 1\]. Got \[1.5\] instead."):
        ViewSweep("probe", (1.5,))
    with pytest.raises(ConfigError, match="There is no view"):
        view("nope")


def test_each_view_sweeps_its_base_config_over_the_training_level():
    for slug, spec in VIEWS.items():
        configs = ViewSweep(slug, spec.levels, epochs=2).configs()
        assert [c.noise.noise_level for c in configs] == list(spec.levels)
        assert all(c.replace(noise_level=spec.config.noise.noise_level, epochs=spec.config.train.epochs)
                   == spec.config for c in configs)  # fmt: skip
    assert VIEWS["filters"].config.model.hidden_dim > 64  # overcomplete on 8×8 digits, as in the paper's figure


def test_the_filters_view_measures_what_its_sweep_trained(digits_dataset):
    spec = ViewSweep("filters", (0.0, 0.5), epochs=2)
    snapshot = finished(SweepJob(spec, digits_dataset).start())
    assert snapshot.status == DONE and snapshot.reason.startswith("trained 2 models in ")
    assert [len(h) for h in snapshot.histories] == [2, 2] and snapshot.epoch == snapshot.total_epochs == 4
    result = snapshot.result
    runs = Sweep(spec.configs(), digits_dataset).run()  # the same sweep again, here: the same numbers
    for member, run in zip(result.members, runs):
        assert member.test_mse == pytest.approx(run.trained.kept_record.test_mse, rel=1e-5)
        assert member.filters.shape == (100, 64)
        assert member.smoothness == filter_smoothness(member.filters, (8, 8))
        assert member.edge_likeness == edge_likeness(member.filters, (8, 8)) and 0 <= member.edge_likeness <= 1
        scores = probe(run.trained, digits_dataset, seed=run.config.train.seed)
        assert member.probe_accuracy == pytest.approx(scores["code_accuracy"], abs=0.01)
    assert result.raw_probe_accuracy == pytest.approx(scores["raw_accuracy"])
    assert result.image_shape == (8, 8, 1) and result.test_levels == ()


def test_the_noise_grid_scores_each_model_at_each_test_level(digits_dataset):
    spec = ViewSweep("noise-grid", (0.0, 0.3), epochs=2)
    result = finished(SweepJob(spec, digits_dataset).start()).result
    runs = Sweep(spec.configs(), digits_dataset).run()
    assert result.test_levels == VIEWS["noise-grid"].test_levels
    for member, run in zip(result.members, runs):
        expected = [reconstruct(run.trained, digits_dataset.X_test, "gaussian", level, seed=0).mse
                    for level in result.test_levels]  # fmt: skip
        np.testing.assert_allclose(member.test_mse_by_level, expected, rtol=1e-4)
        assert member.probe_accuracy is None and member.filters is None
        assert member.smoothness is None and member.edge_likeness is None  # no filters kept: nothing to measure


def test_the_edges_view_trains_the_photos_preset_s_model_as_the_edges_lesson_does():
    spec = VIEWS["edges"]
    preset = preset_for(RunConfig().replace(dataset="photos"))
    assert spec.config.data == preset.data and spec.config.model == preset.model  # 12 x 12 patches → 64 tied units
    assert spec.config.noise.noise == "masking" and spec.levels == (0.0, 0.3, 0.5)
    assert spec.filters and not spec.probe and spec.test_levels == ()
    lesson = LESSONS["edges"].config  # the lesson's steps quote the numbers the view's text does
    assert spec.config.replace(noise_level=lesson.noise.noise_level) == lesson
    configs = ViewSweep("edges", spec.levels).configs()
    assert [c.noise.noise_level for c in configs] == [0.0, 0.3, 0.5]
    public = Limits.from_env({"DAE_PROFILE": "public"})
    public.admit(configs, n_features=preset.data.patch_size**2, n_rows=preset.data.n_samples)


def test_the_edges_view_measures_each_members_edge_likeness():
    spec = ViewSweep("edges", (0.0, 0.5), epochs=2)
    result = finished(SweepJob(spec).start()).result  # loads the view's own photo patches
    assert result.image_shape == (12, 12, 1) and result.raw_probe_accuracy is None
    assert [member.level for member in result.members] == [0.0, 0.5]
    for member in result.members:
        assert member.filters.shape == (64, 144) and member.probe_accuracy is None
        assert member.edge_likeness == edge_likeness(member.filters, (12, 12)) and 0 <= member.edge_likeness <= 1
        assert member.smoothness == filter_smoothness(member.filters, (12, 12))


def test_the_robust_view_trains_the_robust_lesson_s_model_within_the_public_limits():
    spec = VIEWS["robust"]
    lesson = LESSONS["robust"]
    assert spec.config.replace(noise_level=lesson.config.noise.noise_level) == lesson.config  # its steps quote the view
    assert spec.levels == (0.0, 0.25, 0.5) and spec.test_levels == lesson.robustness == (0.0, 0.25, 0.5, 0.75)
    assert spec.robustness and not spec.probe and not spec.filters and spec.config.noise.noise == "masking"
    configs = ViewSweep("robust", spec.levels).configs()
    public = Limits.from_env({"DAE_PROFILE": "public"})
    public.admit(configs, n_features=64, n_rows=1797)  # 3 models of 16,576 parameters, 100 epochs


def test_the_robust_view_reads_damaged_digits_through_each_member(digits_dataset):
    from dae_core.robustness import of_runs

    spec = ViewSweep("robust", (0.0, 0.5), epochs=2)
    result = finished(SweepJob(spec, digits_dataset).start()).result
    robust = result.robustness
    assert robust.model_levels == (0.0, 0.5) and robust.test_levels == result.test_levels == (0.0, 0.25, 0.5, 0.75)
    assert list(robust.paths()) == ["raw", "autoencoder", "0.5"] and robust.shown_reconstructed.shape == (2, 10, 64)
    again = of_runs(Sweep(spec.configs(), digits_dataset).run(), digits_dataset)  # the same sweep, here
    assert robust.raw == again.raw  # one classifier, one noise draw per level: exactly the same
    for ours, theirs in zip(robust.through, again.through):
        assert ours == pytest.approx(theirs, abs=0.01)
    assert all(len(member.test_mse_by_level) == 4 for member in result.members)


def test_a_sweep_job_streams_each_members_records_and_stops_when_asked(digits_dataset):
    job = SweepJob(ViewSweep("probe", (0.0, 0.5), epochs=10_000), digits_dataset).start()
    snapshot = job.wait_for(lambda s: all(len(h) >= 2 for h in s.histories), WAIT)
    assert snapshot.status == RUNNING
    job.stop()
    snapshot = finished(job)
    assert (snapshot.status, snapshot.reason, snapshot.result) == (STOPPED, "stopped by the user", None)


def test_a_sweep_nobody_reads_stops_itself(digits_dataset):
    job = SweepJob(ViewSweep("probe", (0.0,), epochs=10_000), digits_dataset, limits=Limits(idle_seconds=0.2))
    snapshot = job.start().wait_for(lambda s: s.finished, WAIT)  # waiting is not reading
    assert (snapshot.status, snapshot.reason) == (STOPPED, "stopped: nobody looked at it for 0.2 s")


def test_a_view_past_the_parameter_limit_is_refused_where_work_enters():
    no_room = WorkerPool(0, Limits(max_parameters=100))
    message = r"This model has 12,964 parameters; the limit here is 100 \(DAE_MAX_PARAMETERS\)\."
    with pytest.raises(ConfigError, match=message):
        RemoteSweep(ViewSweep("filters", (0.0,)), pool=no_room).start()
    assert no_room.queued == 0
