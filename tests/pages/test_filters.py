"""Filters: encoder weights as image tiles for digits and as a heatmap for tables."""

import json

import pytest
from app_driver import current_job, has_element, train, wait_for

from dae_core.metrics import edge_likeness


def test_without_a_model_it_says_what_to_do(app):
    app.switch_page("pages/filters.py").run()
    assert not app.exception
    assert app.info[0].value == "Train a model on the Train page first, or upload one in the sidebar."


@pytest.mark.parametrize(
    "settings",
    [{"dataset": "digits", "epochs": 1}, {"dataset": "synthetic"}, {"dataset": "photos", "patch_size": 8, "epochs": 1}],
)
def test_filters_are_drawn_for_the_trained_model(app, settings):
    train(app, **settings)
    app.switch_page("pages/filters.py").run()
    assert not app.exception and not app.error
    assert has_element(app, "filters")
    title = json.loads(app.get_by_key("filters").proto.spec)["layout"]["title"]["text"]
    assert title == f"Encoder filters after epoch {settings.get('epochs', 3)}"
    edges = [metric for metric in app.metric if metric.label == "Edge-likeness"]
    if settings["dataset"] == "synthetic":
        assert edges == []  # a table's columns have no orientation
    else:
        weights = current_job(app).trained_model().model.first_layer_weights.detach().numpy()
        side = settings.get("patch_size", 8)  # 8 x 8: digits, and the photo patches here
        assert [metric.value for metric in edges] == [f"{edge_likeness(weights, (side, side)):.3f}"]


def test_filters_follow_a_run_while_it_trains(app):
    app.switch_page("pages/train.py").run()
    app.number_input(key="w_epochs").set_value(10_000).run()
    app.button(key="btn_train").click().run()
    job = current_job(app)
    wait_for(lambda: job.snapshot().epoch >= 2)
    app.switch_page("pages/filters.py").run()
    assert has_element(app, "filters")
    assert current_job(app).status == "running"  # switching pages did not stop training
