"""Lessons: every preset is a valid config, and the presets show what their lessons claim."""

import json

import pytest

from dae_core import ConfigError, RunConfig
from dae_core.cli import main
from dae_core.config import FIELD_SECTION
from dae_core.lessons import LESSONS, lesson
from dae_core.records import EpochRecord


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


@pytest.mark.parametrize("slug", list(LESSONS))
def test_every_lesson_is_a_valid_preset_with_steps(slug):
    chosen = lesson(slug)
    assert chosen.slug == slug and chosen.title and chosen.summary and len(chosen.steps) >= 3
    assert RunConfig.from_dict(chosen.config.to_dict()) == chosen.config
    assert set(chosen.hide) <= set(FIELD_SECTION), set(chosen.hide) - set(FIELD_SECTION)
    assert set(chosen.sweep) <= {"noise", "noise_level", "seed", "lr", "hidden_dim", "hidden_layers"}
    assert json.loads(json.dumps(chosen.to_dict()))["slug"] == slug


def test_an_unknown_lesson_names_the_lessons():
    with pytest.raises(ConfigError) as info:
        lesson("gan")
    assert (
        str(info.value)
        == "There is no lesson 'gan'. The lessons are: denoise, tutorial, manifold, bottleneck, features."
    )


def test_an_unknown_lesson_on_the_command_line_exits_2(capsys):
    code, out, err = run(capsys, "train", "--lesson", "gan")
    assert code == 2 and out == [] and len(err) == 1 and "argument --lesson: invalid choice: 'gan'" in err[0]


def test_flags_change_a_lesson_s_preset(capsys):
    code, out, _ = run(capsys, "train", "--lesson", "denoise", "--epochs", "2", "--json")
    config = json.loads(out[-1])["config"]
    assert code == 0
    assert (config["train"]["epochs"], config["noise"]["noise"], config["data"]["dataset"]) == (2, "masking", "digits")


def test_denoise_beats_the_better_baseline_by_a_fifth(capsys):
    code, out, _ = run(capsys, "train", "--lesson", "denoise", "--json")
    report = json.loads(out[-1])
    assert code == 0
    assert report["test_mse"] <= 0.8 * min(report["identity_mse"], report["pca_mse"]), report


def test_manifold_pulls_points_the_way_the_best_denoiser_does(capsys):
    code, out, _ = run(capsys, "train", "--lesson", "manifold", "--json")
    report = json.loads(out[-1])
    assert code == 0
    assert report["field_alignment"] >= 0.8 and report["test_mse"] < report["identity_mse"], report
    assert any(line.startswith("Field alignment with the best possible denoiser: ") for line in out)


def test_the_features_sweep_reports_probe_accuracy_per_level_and_for_raw_features(capsys):
    code, out, _ = run(capsys, "sweep", "--lesson", "features", "--epochs", "3", "--json")
    report = json.loads(out[-1])
    assert code == 0 and report["batched"]
    assert [r["config"]["noise"]["noise_level"] for r in report["runs"]] == [0.0, 0.1, 0.25, 0.5]
    assert all(0.1 < r["probe_accuracy"] <= 1 for r in report["runs"])  # ten digits: chance is about 0.1
    assert 0.9 < report["raw_probe_accuracy"] <= 1
    assert out[-2].startswith("Linear probe accuracy of the codes, by training noise level: 0: ")


def _epoch(epoch: int, test_mse: float) -> EpochRecord:
    return EpochRecord(epoch, test_mse, test_mse, 0.5, 0.4, 0.1, 1000.0, 1e-3, 0.2)


def test_a_lesson_reacts_to_the_run():
    tutorial = lesson("tutorial")
    assert tutorial.cue([], finished=False) is None
    losing = [_epoch(e, 0.9) for e in range(1, 8)]
    assert tutorial.cue(losing, finished=False).startswith("The test curve stays above the identity line")
    crossed = [*losing, _epoch(8, 0.45)]
    assert tutorial.cue(crossed, finished=False).startswith("The test curve has crossed the identity line")
    assert tutorial.cue(crossed, finished=True).startswith("Done. Now raise the noise level to 1.0")
    assert lesson("denoise").cue([_epoch(1, 0.3)], finished=False).startswith("The test curve is below both")


def _noisy_epoch(epoch: int, test_mse: float, noise_level: float) -> EpochRecord:
    return EpochRecord(epoch, test_mse, test_mse, 0.05, 0.04, 0.1, 1000.0, 1e-3, noise_level)


def test_the_bottleneck_lesson_follows_the_noise_the_run_trains_with():
    bottleneck = lesson("bottleneck")
    clean = [_noisy_epoch(e, 0.01, 0.0) for e in range(1, 4)]
    assert bottleneck.cue(clean, finished=False).startswith("No noise: the train loss falls toward 0")
    assert bottleneck.cue(clean, finished=True).startswith("Done without noise. Open **Reconstructions**")
    noisy = [_noisy_epoch(e, 0.0192, 0.3) for e in range(1, 4)]
    assert bottleneck.cue(noisy, finished=False) == (
        "Trained on noisy digits: the test MSE (0.0192) is measured on test digits with the same noise, against "
        "0.0500 for the noisy digit itself."
    )
    assert bottleneck.cue(noisy, finished=True).startswith("Done with noise 0.3: test MSE 0.0192 against 0.0500")


def test_a_finished_run_still_improving_is_told_to_train_longer():
    falling = [_epoch(e, 0.5 - 0.02 * e) for e in range(1, 11)]  # 0.30 at the end, 0.32 one epoch earlier
    said = lesson("tutorial").cue(falling, finished=True)
    assert said.startswith("Done. Now raise the noise level to 1.0")
    assert said.endswith("The test error was still falling at the end: raise the epochs and train again.")
    flat = [_epoch(e, 0.3) for e in range(1, 11)]
    assert "still falling" not in lesson("tutorial").cue(flat, finished=True)
    assert lesson("features").cue(falling, finished=False) is None  # nothing to say while it trains


@pytest.mark.parametrize("slug", list(LESSONS))
def test_every_cue_names_known_conditions_and_numbers(slug):
    from dae_core.lessons import CONDITIONS

    for when, text in LESSONS[slug].cues:
        assert set(when.split(" and ")) <= set(CONDITIONS), when
        text.format(**_epoch(3, 0.2).to_dict())  # every placeholder is a record's field


@pytest.mark.parametrize("slug", list(LESSONS))
def test_every_lesson_fits_the_public_limits(slug):
    from dae_core.serving.limits import Limits

    public = Limits.from_env({"DAE_PROFILE": "public"})
    config = LESSONS[slug].config
    public.check_config(config, n_features=64 if config.data.dataset == "digits" else config.data.n_features)
