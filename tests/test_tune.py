"""The search (``dae_core.tune``): the space people type and what is wrong with it, trials scored on one fixed test
set, the first trial being the run asked for, pruning, the best trained again, studies shared through SQLite, and
Optuna's figures drawn from plain data."""

import math

import pytest

from dae_core import RunConfig
from dae_core.errors import ConfigError
from dae_core.figures import tune_figures
from dae_core.training import Trainer
from dae_core.tune import (
    COMPLETE,
    PRUNED,
    Dimension,
    TuneSpec,
    default_space,
    format_search,
    open_study,
    parse_search,
    parse_test_noise,
    result_of,
    retrain_best,
    run_study,
    trial_config,
)

TINY = RunConfig().replace(n_samples=200, n_features=8, hidden_dim=3, epochs=6)


@pytest.mark.parametrize(
    "text, message",
    [
        ("hiden_dim=2..64", "There is no setting 'hiden_dim' to search. Did you mean 'hidden_dim'?"),
        ("lr=", "'lr=' gives no values"),
        ("lr=1e-2..", "'lr=1e-2..' is an empty range. Give both ends"),
        ("hidden_dim=8..8", "'hidden_dim=8..8' is an empty range: one value, nothing to search"),
        ("lr=0.1..0.001", "'lr=0.1..0.001': the low end is above the high end. Write lr=0.001..0.1."),
        ("lr=0..0.1:log", "'lr=0..0.1:log': a log scale needs both ends above 0"),
        ("hidden_dim=2.5..8", "hidden_dim is a whole number"),
        ("lr=1e-3..1e-2:cubic", "the only scale is ':log'"),
        ("noise=gauss|masking", "'gauss' is not one of gaussian, masking, salt_pepper"),
        ("hidden_layers=64|64,x", "each choice is comma-separated widths, or 'none'"),
        ("lr=1e-3..1e-2 lr=1e-4..1e-1", "'lr' is searched twice"),
        ("hidden_dim", "'hidden_dim' has no '='"),
        ("   ", "The search space is empty"),
        ("noise_level=0..4", "'noise_level=0..4': noise_level must lie in [0, 3]."),
    ],
)
def test_a_bad_search_space_says_what_is_wrong_and_what_to_write(text, message):
    with pytest.raises(ConfigError) as info:
        parse_search(text, TINY.replace(noise="gaussian") if "noise_level" in text else TINY)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_masking_level_past_1_is_refused_unless_the_noise_type_is_searched_too():
    masked = TINY.replace(noise="masking", noise_level=0.5)
    with pytest.raises(ConfigError, match=r"must be a float in \[0, 1\]"):
        parse_search("noise_level=0..1.5", masked)
    space = parse_search("noise=gaussian|masking noise_level=0..1.5", masked)
    assert trial_config(masked, {"noise": "masking", "noise_level": 1.5}).noise.noise_level == 1.0
    assert trial_config(masked, {"noise": "gaussian", "noise_level": 1.5}).noise.noise_level == 1.5
    assert format_search(space) == "noise=gaussian|masking noise_level=0..1.5"


def test_the_space_reads_ranges_choices_and_layer_shapes():
    space = parse_search("noise_level=0..1 hidden_dim=2..64:log lr=1e-4..1e-1:log hidden_layers=none|64|128,64", TINY)
    assert space[1] == Dimension("hidden_dim", 2, 64, True)
    assert space[3].choices == ((), (64,), (128, 64)) and space[3].options() == ["none", "64", "128,64"]
    assert parse_search(format_search(space), TINY) == space  # what it prints reads back the same
    assert trial_config(TINY, {"hidden_layers": (128, 64), "hidden_dim": 5}).model.hidden_layers == (128, 64)
    assert Dimension("hidden_dim", 2, 64, True).grid() == [2, 6, 20, 64]
    assert parse_search(default_space(TINY), TINY)  # every dataset's default space is a valid one


def test_the_test_noise_is_type_colon_level():
    assert parse_test_noise("masking:0.5") == ("masking", 0.5)
    for text, message in [("masking", "TYPE:LEVEL"), ("blur:0.5", "no noise type 'blur'"), ("masking:2", "[0, 1]")]:
        with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
            parse_test_noise(text)


def test_probe_accuracy_is_not_pruned_on():
    with pytest.raises(ConfigError, match="Use pruner 'none' with metric probe_accuracy"):
        TuneSpec(TINY, parse_search("lr=1e-3..1e-2", TINY), metric="probe_accuracy", pruner="median")


def test_the_first_trial_is_the_run_asked_for_scored_as_train_scores_it():
    spec = TuneSpec(TINY, parse_search("lr=1e-4..1e-1:log hidden_dim=2..6", TINY), trials=3, pruner="none")
    result = run_study(spec)
    first = result.trials[0]
    assert first.params == {"lr": TINY.train.lr, "hidden_dim": TINY.model.hidden_dim}
    trainer = Trainer(TINY)
    list(trainer.epochs())
    assert first.value == pytest.approx(trainer.evaluate().test_mse, rel=1e-6)  # the same inputs, the same run
    assert [row.number for row in result.trials] == [0, 1, 2] and result.count(COMPLETE) == 3
    assert result.best.value == min(row.value for row in result.trials) <= first.value


def test_searching_the_training_noise_scores_every_trial_on_the_same_test_noise():
    spec = TuneSpec(TINY, parse_search("noise_level=0..1", TINY), trials=3, pruner="none", test_noise=("gaussian", 0.5))
    result = run_study(spec)
    assert len({row.params["noise_level"] for row in result.trials}) == 3
    trainer, summary = retrain_best(spec, result, Trainer(TINY).dataset)
    assert summary.test_mse == pytest.approx(result.best.value, rel=1e-6)  # the best, trained again, on those inputs
    assert trainer.settings.noise.noise_level == 0.5  # scored at the test level, trained at its own
    assert trainer.config.noise.noise_level == pytest.approx(result.best.params["noise_level"])


def test_hopeless_trials_are_pruned_before_their_last_epoch():
    config = TINY.replace(epochs=20)
    spec = TuneSpec(config, parse_search("lr=1e-6..1e-1:log", config), trials=12, sampler="random", pruner="median")
    result = run_study(spec)
    pruned = [row for row in result.trials if row.state == PRUNED]
    assert result.n_pruned == len(pruned) >= 1
    assert all(row.epochs < 20 and row.value is None and "pruned at epoch" in row.reason for row in pruned)


def test_a_trial_past_a_limit_fails_with_the_limit_s_message_and_the_search_goes_on():
    def check(config, dataset):
        if config.model.hidden_dim > 4:
            raise ConfigError("This model is too large here.")

    spec = TuneSpec(TINY, parse_search("hidden_dim=2|8", TINY), trials=4, sampler="grid", pruner="none")
    result = run_study(spec, check=check)
    failed = [row for row in result.trials if row.state == "failed"]
    assert failed and all(row.reason == "This model is too large here." for row in failed)
    assert result.best.params["hidden_dim"] == 2


def test_a_stop_ends_the_search_and_says_why():
    spec = TuneSpec(TINY, parse_search("lr=1e-4..1e-1:log", TINY), trials=5, pruner="none")
    result = run_study(spec, must_stop=lambda: "stopped by the user")
    assert [(row.state, row.reason) for row in result.trials] == [("failed", "stopped by the user")]


def test_a_study_in_sqlite_is_resumed_by_name(tmp_path):
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    spec = TuneSpec(TINY, parse_search("lr=1e-4..1e-1:log", TINY), trials=2, pruner="none", storage=storage, study="s")
    run_study(spec)
    again = run_study(spec)
    assert [row.number for row in again.trials] == [0, 1, 2, 3] and again.study == "s"
    assert result_of(open_study(spec), spec).trials == again.trials


def test_a_storage_that_cannot_be_opened_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    spec = TuneSpec(TINY, parse_search("lr=1e-4..1e-1", TINY), storage=f"sqlite:///{blocker / 'studies.db'}", study="s")
    with pytest.raises(ConfigError, match="cannot be made"):
        open_study(spec)


def test_optuna_s_figures_are_drawn_from_the_plain_result():
    spec = TuneSpec(TINY, parse_search("lr=1e-4..1e-1:log hidden_dim=2..6", TINY), trials=4, pruner="none")
    result = run_study(spec)
    drawn = tune_figures(result)
    assert drawn.history is not None and drawn.parallel is not None and drawn.importances is not None
    assert len(drawn.history.data[0].x) == 4
    dimensions = [dimension.label for dimension in drawn.parallel.data[0].dimensions]
    assert {"lr", "hidden dim", "test mse"} <= set(dimensions)
    assert math.isclose(min(drawn.history.data[0].y), result.best.value)
    early = tune_figures(type(result)(result.metric, result.direction, result.trials[:1], result.space))
    assert early.parallel is None and early.importances is None and len(early.notes) == 2
