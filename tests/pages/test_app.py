"""Across pages: every page loads, links restore settings, models are imported and exported from the sidebar."""

import io
import pickle

import pytest
from app_driver import (
    address_settings,
    current_job,
    current_settings,
    open_app,
    session,
    stop_job,
    train,
    trained_model_bytes,
    upload_model,
)

from dae_core import RunConfig
from dae_core.share import to_cli_command
from dashboard.frame import PAGES

PAGE_FILES = [path for path, *_ in PAGES]


@pytest.mark.parametrize("path", PAGE_FILES)
def test_every_page_loads_before_and_after_training(app, path):
    app.switch_page(path).run()
    assert not app.exception and not app.error
    assert app.markdown[0].value.count("**Try:**") == 1  # two lines: what it shows, what to try
    train(app)
    app.switch_page(path).run()
    assert not app.exception and not app.error


def test_a_link_restores_its_settings():
    app = open_app(dataset="digits", hidden_dim="16", noise="masking", noise_level="0.3")
    expected = RunConfig().replace(dataset="digits", hidden_dim=16, noise="masking", noise_level=0.3)
    assert current_settings(app) == expected
    assert not app.warning
    app.switch_page("pages/train.py").run()
    assert app.number_input(key="w_hidden_dim").value == 16
    assert app.selectbox(key="w_noise").value == "masking"


def test_bad_link_values_are_named_and_the_rest_kept():
    app = open_app(hidden_dim="abc", lr="0.01")
    assert not app.exception
    assert [warning.value for warning in app.warning] == [
        "Link parameter 'hidden_dim=abc' was ignored: Code size (hidden_dim) must be an int. "
        "Got 'abc' instead. Kept the default (8)."
    ]
    assert current_settings(app) == RunConfig().replace(lr=0.01)
    assert address_settings(app) == {"lr": "0.01"}  # the address bar now holds the settings in use


def test_link_values_that_clash_fall_back_to_defaults():
    app = open_app(noise="masking", noise_level="2")
    assert current_settings(app) == RunConfig()
    assert "Using the defaults for all of them." in app.warning[0].value


def test_the_share_box_shows_the_link(app):
    app.switch_page("pages/train.py").run()
    app.number_input(key="w_hidden_dim").set_value(5).run()
    assert "?hidden_dim=5" in app.sidebar.markdown[-1].value


def test_a_broken_model_file_is_an_error_and_earlier_runs_stay(app):
    train(app)
    upload_model(app, "broken.dae", b"not a model")
    assert app.error[0].value.startswith("The model file is not a DAE model file (it is not a zip archive).")
    assert len(session(app).runs) == 1
    assert session(app).show == "run"


def test_a_pickle_file_is_refused_with_a_message(app):
    buffer = io.BytesIO()
    pickle.dump({"weights": [1, 2, 3]}, buffer)
    upload_model(app, "model.pkl", buffer.getvalue())
    assert "pickle" in app.error[0].value.lower()
    assert session(app).upload is None


def test_an_uploaded_model_is_inspected_and_shown_on_every_page(app):
    upload_model(app, "digits.dae", trained_model_bytes(dataset="digits", hidden_dim=12))
    assert not app.error
    assert session(app).show == "upload"
    summary = app.sidebar.expander[0]
    assert summary.label == "Inspect digits.dae"
    for path in PAGE_FILES[2:5]:
        app.switch_page(path).run()
        assert not app.exception and not app.error
        assert "Showing file digits.dae." in [caption.value for caption in app.caption]


def test_the_sidebar_chooses_between_a_run_and_an_uploaded_model(app):
    train(app)
    upload_model(app, "other.dae", trained_model_bytes(hidden_dim=3))
    app.sidebar.radio(key="show_choice").set_value("run").run()
    assert session(app).show == "run"
    app.switch_page("pages/reconstructions.py").run()
    assert any(caption.value.startswith("Showing run #1") for caption in app.caption)


def test_export_offers_the_model_config_history_and_command(app):
    train(app, hidden_layers="16")
    labels = {button.label for button in app.sidebar.get("download_button")}
    assert labels == {"Model file (.dae)", "Config (JSON)", "History (CSV)"}
    config = current_job(app).config
    assert f"`{to_cli_command(config)}`" in [text.value for text in app.sidebar.markdown]


def test_a_model_that_never_trained_an_epoch_shows_nothing_yet():
    app = open_app()
    try:
        app.switch_page("pages/train.py").run()
        app.number_input(key="w_epochs").set_value(50).run()
        app.button(key="btn_step").click().run()
        job = current_job(app)
        job.join(timeout=0.01)
        app.switch_page("pages/filters.py").run()
        assert not app.exception
    finally:
        stop_job(app)


def test_an_uploaded_model_past_the_parameter_limit_is_refused(app, monkeypatch):
    import dashboard.server
    from dae_core.serving.limits import Limits

    monkeypatch.setattr(dashboard.server, "LIMITS", Limits(max_parameters=100))
    upload_model(app, "big.dae", trained_model_bytes(hidden_dim=3))  # 20 → 3 → 20: 143 parameters
    assert app.error[0].value == (
        "The model file holds a model with 143 parameters; the limit here is 100. Train a smaller model (a smaller "
        "code size, fewer or narrower hidden layers) and export it again."
    )
    assert session(app).upload is None
