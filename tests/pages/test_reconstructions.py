"""Reconstructions: the right figure for each kind of data, test-time noise, the per-sample error table, and for a
model of photo patches, a whole photograph denoised tile by tile."""

import io
import json
import re
import zipfile

import numpy as np
import pytest
from app_driver import current_job, current_settings, has_element, open_app, stop_job, train

from dae_core import analysis


def open_reconstructions(app, **settings):
    train(app, **settings)
    app.switch_page("pages/reconstructions.py").run()
    assert not app.exception and not app.error
    return app


def test_without_a_model_it_says_what_to_do(app):
    app.switch_page("pages/reconstructions.py").run()
    assert not app.exception
    assert app.info[0].value == "Train a model on the Train page first, or upload one in the sidebar."
    assert not has_element(app, "reconstruction")


@pytest.mark.parametrize(
    ("settings", "charts"),
    [
        ({"dataset": "synthetic"}, {"reconstruction", "heatmap"}),
        ({"dataset": "digits", "epochs": 1}, {"reconstruction"}),
        ({"dataset": "moons"}, {"reconstruction", "vector_field", "best_field"}),
        ({"dataset": "photos", "patch_size": 8, "epochs": 1}, {"reconstruction", "whole_photo"}),
    ],
    ids=["tabular", "digits", "2-D", "photos"],
)
def test_each_kind_of_data_gets_its_figures(app, settings, charts):
    open_reconstructions(app, **settings)
    keys = ("reconstruction", "heatmap", "vector_field", "best_field", "whole_photo")
    drawn = {key for key in keys if has_element(app, key)}
    assert drawn == charts
    table = app.dataframe[0].value
    errors = table["reconstruction MSE"].to_numpy()
    assert np.all(errors[:-1] >= errors[1:])  # worst first


def test_the_model_is_fed_the_noisy_input_and_the_numbers_match(app):
    open_reconstructions(app)
    job = current_job(app)
    trained, dataset = job.trained_model(), job.dataset
    expected = analysis.evaluate_as_trained(trained, dataset)  # the run's own noisy test inputs
    cards = {metric.label: metric.value for metric in app.metric}
    assert float(cards["Test MSE"]) == pytest.approx(expected.mse, abs=1e-4)
    assert float(cards["Identity baseline"]) == pytest.approx(expected.identity_mse, abs=1e-4)
    assert expected.mse != pytest.approx(analysis.reconstruct(trained, dataset.X_test, "gaussian", 0.0).mse)
    app.number_input(key="test_noise_seed").set_value(3).run()
    other = analysis.reconstruct(trained, dataset.X_test, "gaussian", 0.2, 3, low=dataset.low, high=dataset.high)
    assert float(app.metric[0].value) == pytest.approx(other.mse, abs=1e-4)


def test_a_link_to_another_test_noise_round_trips(app):
    """Seed 0 is the run's own draw and stays out of the link; another seed or level goes in, and opens again."""
    open_reconstructions(app)
    assert "test_noise" not in app.query_params and "test_noise_seed" not in app.query_params
    app.slider(key="test_noise_level").set_value(0.5).run()
    app.number_input(key="test_noise_seed").set_value(7).run()
    query = {key: app.query_params[key] for key in ("test_noise", "test_noise_level", "test_noise_seed")}
    assert query == {"test_noise": "gaussian", "test_noise_level": "0.5", "test_noise_seed": "7"}
    seen = (app.metric[0].value, [info.value for info in app.info])
    assert seen[1][0].startswith("Test noise differs from training (level, seed): MSE ")
    app.number_input(key="test_noise_seed").set_value(0).run()  # the run's own stream, at another level
    assert "test_noise_seed" not in app.query_params and app.query_params["test_noise_level"] == "0.5"
    assert app.info[0].value.startswith("Test noise differs from training (level): MSE ")

    again = open_app(**query, n_samples="200")
    try:
        open_reconstructions(again, epochs=3)
        assert (again.slider(key="test_noise_level").value, again.number_input(key="test_noise_seed").value) == (0.5, 7)
        assert (again.metric[0].value, [info.value for info in again.info]) == seen  # the same run, the same numbers
    finally:
        stop_job(again)


def test_test_time_noise_is_independent_of_training_and_redraws_at_once(app):
    open_reconstructions(app)
    before = float(app.metric[0].value)
    app.slider(key="test_noise_level").set_value(1.0).run()
    louder = float(app.metric[0].value)
    assert louder > before
    app.selectbox(key="test_noise").set_value("masking").run()
    assert not app.exception
    assert current_settings(app).noise.noise == "gaussian"  # training settings untouched
    assert app.session_state.test_noise_level == 1.0


def test_samples_across_the_range_first_and_worst_first_on_request(app):
    """A fair first look: the best sample leads, not the worst; "worst first" shows where the model struggles."""
    open_reconstructions(app)
    table = app.dataframe[0]  # worst first
    best, worst = int(table.value["test sample"].iloc[-1]), int(table.value["test sample"].iloc[0])
    assert f"Test sample {best}:" in _title(app)
    app.button_group(key="recon_samples").set_value("worst first").run()
    assert f"Test sample {worst}:" in _title(app)
    app.switch_page("pages/train.py").run()
    app.switch_page("pages/reconstructions.py").run()
    assert app.button_group(key="recon_samples").value == "worst first"  # the choice survives a page switch


def test_choosing_a_row_shows_that_sample(app):
    open_reconstructions(app)
    table = app.dataframe[0]
    third = int(table.value["test sample"].iloc[2])
    app.session_state[table.key] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    app.run()
    assert f"Test sample {third}:" in _title(app)


def _title(app) -> str:
    return json.loads(app.get_by_key("reconstruction").proto.spec)["layout"]["title"]["text"]


def test_2d_data_sets_the_model_s_field_beside_the_best_denoiser_s(app):
    open_reconstructions(app, dataset="moons", noise_level=0.3)
    [note] = [m.value for m in app.markdown if m.value.startswith("**Field alignment ")]
    assert re.match(r"\*\*Field alignment -?\d\.\d\d\*\*: the mean cosine", note), note
    flow = json.loads(app.get_by_key("flow").proto.spec)
    assert len(flow["frames"]) == 21 and flow["frames"][12]["name"] == "12"
    app.selectbox(key="test_noise").set_value("masking").run()  # no closed form for masking: no best field
    assert not has_element(app, "best_field") and has_element(app, "vector_field")


def _spec(app, key: str) -> dict:
    return json.loads(app.get_by_key(key).proto.spec)


def test_a_photos_run_denoises_a_whole_photograph_under_the_test_noise(app):
    open_reconstructions(app, dataset="photos", patch_size=8, epochs=1)
    assert "The whole photograph" in [header.value for header in app.subheader]
    first = _spec(app, "whole_photo")
    assert [trace["type"] for trace in first["data"]] == ["heatmap"] * 3
    assert first["layout"]["title"]["text"] == "Temple, central 256 × 256 pixels"
    [caption] = [c.value for c in app.caption if c.value.startswith("The photograph corrupted once")]
    assert "8 × 8 tiles (the model's patches) every 4 pixels" in caption
    app.button_group(key="recon_photo").set_value("flower").run()
    assert not app.exception
    assert _spec(app, "whole_photo")["layout"]["title"]["text"] == "Flower, central 256 × 256 pixels"
    noisy_header = _spec(app, "whole_photo")["layout"]["xaxis"]["ticktext"][1]
    app.slider(key="test_noise_level").set_value(0.8).run()  # the page's test noise reaches the photograph
    assert not app.exception
    assert _spec(app, "whole_photo")["layout"]["xaxis"]["ticktext"][1] != noisy_header


def _colour_pictures_zip(n=12, size=6) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(n):
            picture = io.BytesIO()
            rgb = np.random.default_rng(i).integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(rgb).save(picture, "PNG")
            archive.writestr(f"p{i:02d}.png", picture.getvalue())
    return buffer.getvalue()


def test_a_colour_images_run_is_drawn_in_colour(app, monkeypatch):
    """A model of colour pictures (made here: the page only needs a model and its data) draws RGB images."""
    import dashboard.runs
    from dae_core import RunConfig, Trainer
    from dae_core.data import load_dataset

    config = RunConfig().replace(dataset="images", image_size=6, color=True, hidden_dim=8, epochs=1)
    dataset = load_dataset(config.data, _colour_pictures_zip())
    assert dataset.image_shape == (6, 6, 3)
    trainer = Trainer(config, dataset)
    list(trainer.epochs())
    shown = dashboard.runs.Shown(trainer.result(), dataset, "colour pictures", ("colour", 1), False, config)
    monkeypatch.setattr(dashboard.runs, "shown_model", lambda: shown)
    app.switch_page("pages/reconstructions.py").run()
    assert not app.exception and not app.error
    [image] = _spec(app, "reconstruction")["data"]
    assert image["type"] == "image" and image["colormodel"] == "rgba256"
    assert not has_element(app, "whole_photo")
