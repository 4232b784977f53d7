"""Pre-training with few labels: the stack's layers are the engine's DAE runs, the classifier has the stack's shape,
the labelled rows are k per class and seeded, and the command line reports the table."""

import json

import numpy as np
import pytest
import torch

from dae_core import ConfigError
from dae_core.cli import main
from dae_core.figures import accuracy_by_labels
from dae_core.pretrain import (
    ALL,
    DIGITS_STACK,
    METHODS,
    Classifier,
    PretrainSetup,
    compare,
    fine_tune,
    labelled_subset,
    pretrain_stack,
    table_text,
)
from dae_core.training import Trainer
from dae_core.views import VIEWS, ViewSweep

TINY = DIGITS_STACK.replace(epochs=2)  # two epochs a layer: enough to move every weight


def tiny(**changes) -> PretrainSetup:
    return PretrainSetup(**{"config": TINY, "widths": (16, 8), "finetune_steps": 5, **changes})


def test_a_one_layer_stack_is_a_single_dae_run_with_the_same_seed(digits_dataset):
    setup = tiny(widths=(16,))
    [layer] = pretrain_stack(setup, digits_dataset, seed=3)
    trainer = Trainer(TINY.replace(hidden_dim=16, seed=3), digits_dataset)
    for _ in trainer.epochs():
        pass
    assert layer.config == trainer.config and len(layer.history) == 2
    mine, theirs = layer.model.state_dict(), trainer.model.state_dict()
    assert mine.keys() == theirs.keys() and all(torch.equal(mine[name], theirs[name]) for name in mine)
    assert [r.test_mse for r in layer.history] == [r.test_mse for r in trainer.history]


def test_the_view_trains_the_first_seed_s_bottom_layer_and_measures_the_command_s_setup():
    spec = ViewSweep("pretrain", VIEWS["pretrain"].levels, epochs=2)
    setup = spec.pretrain_setup()
    assert spec.configs() == [setup.layer_config(0, setup.seeds[0])]  # the member pretrain_stack would train
    assert setup == PretrainSetup(config=DIGITS_STACK.replace(epochs=2))  # the command's defaults


def test_each_layer_trains_on_the_codes_of_the_one_below(digits_dataset):
    first, second = pretrain_stack(tiny(), digits_dataset, seed=0)
    assert (first.model.input_dim, first.model.hidden_dim) == (64, 16)
    assert (second.model.input_dim, second.model.hidden_dim) == (16, 8)
    assert second.feature_names == [f"h{i}" for i in range(16)] and second.scaler.bounded  # sigmoid codes


def test_the_classifier_has_the_stack_s_shape_and_its_weights(digits_dataset):
    layers = pretrain_stack(tiny(), digits_dataset, seed=0)
    net = Classifier.from_stack(layers, 10, torch.Generator().manual_seed(0))
    assert net.shapes == [(16, 64), (8, 16), (10, 8)]
    assert torch.equal(net.weights[1], layers[1].model.encoder[0].weight)
    assert net.logits(torch.zeros(5, 64)).shape == (5, 10)
    fresh = Classifier.random(64, [16, 8], 10, "sigmoid", torch.Generator().manual_seed(0))
    assert fresh.shapes == net.shapes and torch.equal(fresh.weights[2], net.weights[2])  # the same softmax start
    before = [tensor.clone() for tensor in net.parameters()]
    picked = labelled_subset(digits_dataset.y_train, 2, seed=0)
    fine_tune(net, digits_dataset.X_train[picked], digits_dataset.y_train[picked], tiny(), seed=0)
    assert all(not torch.equal(a, b) for a, b in zip(before, net.parameters()))  # every layer is fine-tuned
    assert 0.0 <= net.accuracy(digits_dataset.X_test, digits_dataset.y_test) <= 1.0


def test_the_labelled_subset_has_k_rows_of_each_class_and_is_seeded():
    y = np.repeat(np.arange(4), [5, 6, 7, 8])
    picked = labelled_subset(y, 3, seed=1)
    assert np.bincount(y[picked]).tolist() == [3, 3, 3, 3] and len(set(picked)) == 12
    assert np.array_equal(picked, labelled_subset(y, 3, seed=1))
    assert not np.array_equal(picked, labelled_subset(y, 3, seed=2))
    assert np.array_equal(labelled_subset(y, ALL, seed=1), np.arange(len(y)))
    with pytest.raises(ConfigError, match=r"^Class 0 has only 5 training rows; ask for at most that many labels per "
                                          r"class\. Got 6 instead\.$"):  # fmt: skip
        labelled_subset(y, 6, seed=0)


def test_a_setup_lists_every_problem_at_once():
    with pytest.raises(ConfigError) as info:
        PretrainSetup(widths=(), seeds=(1, 1), finetune_steps=0)
    assert str(info.value).splitlines() == [
        "The 'widths' parameter of PretrainSetup must be 1 or more ints in [1, 4096]. Got [] instead.",
        "The 'seeds' parameter of PretrainSetup must be distinct ints >= 0. Got [1, 1] instead.",
        "The 'finetune_steps' parameter of PretrainSetup must be an int >= 1. Got 0 instead.",
    ]


def test_compare_scores_every_method_at_every_label_count_for_every_seed(digits_dataset):
    result = compare(tiny(labels_per_class=(1, ALL), seeds=(0, 1)), digits_dataset)
    assert tuple(result.accuracy) == METHODS
    assert all(np.asarray(rows).shape == (2, 2) for rows in result.accuracy.values())
    assert all(0.0 <= value <= 1.0 for rows in result.accuracy.values() for row in rows for value in row)
    assert result.rows_per_class[0] == 1 and result.rows_per_class[1] == pytest.approx(len(digits_dataset.y_train) / 10)
    assert result.label(1) == "all (144)" and np.allclose(
        result.gain(), result.mean(METHODS[0]) - result.mean(METHODS[1])
    )
    assert table_text(result).splitlines()[0] == "| labels per class | 1 | all (144) |"
    figure = accuracy_by_labels(
        result.rows_per_class, ["1", "all"], [(m, result.mean(m), result.std(m)) for m in METHODS]
    )
    assert figure.layout.xaxis.type == "log" and len(figure.data) == 2 * len(METHODS)  # a band and a line each


def test_the_command_reports_the_table_as_json(capsys):
    argv = ["pretrain", "--seeds", "2", "--labels", "1,all", "--widths", "8", "--epochs", "1", "--steps", "3"]
    assert main([*argv, "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "| labels per class | 1 | all (144) |"
    report = json.loads(out[-1])
    assert set(report) >= {"dataset", "noise", "noise_level", "pretrain_epochs", "finetune_steps", "methods",
                           "labels_per_class", "rows_per_class", "seeds", "widths", "accuracy", "mean", "std",
                           "layer_test_mse", "seconds"}  # fmt: skip
    assert report["labels_per_class"] == [1, 0] and report["seeds"] == [0, 1] and report["widths"] == [8]
    assert report["methods"] == list(METHODS) and len(report["accuracy"]["pre-trained"]) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dataset", "photos"], "error: a photos patch is labelled by the photograph it was cut from, not by what it "
                                  "shows, so few labels per class mean nothing there. Use --dataset digits."),
        (["--labels", "1,0"], "error: --labels takes comma-separated whole numbers of at least 1 or 'all'. Got '1,0' "
                              "instead."),
        (["--seeds", "0"], "error: --seeds must be an int in [1, 20]. Got 0 instead."),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_error_line(capsys, argv, message):
    assert main(["pretrain", *argv]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [message] and out == ""
