"""What users ran into in the layout: a preset that kept the previous preset's settings, and a model file imported
twice without a word."""

from app_driver import current_settings, session, set_settings, train, trained_model_bytes, upload_model

from dae_core import RunConfig, lessons
from dashboard.frame import ALREADY_SHOWN


# --- presets ------------------------------------------------------------------------------------------------------
def test_a_dataset_preset_replaces_the_previous_presets_settings(app):
    """Digits' preset kept moons' learning rate 0.003 (and would have kept any setting it does not name)."""
    app.switch_page("pages/train.py").run()
    set_settings(app, dataset="moons")
    app.button(key="btn_preset").click().run()
    assert current_settings(app).train.lr == 3e-3
    set_settings(app, dataset="digits")
    app.button(key="btn_preset").click().run()
    assert not app.exception
    digits = RunConfig().replace(dataset="digits", **lessons.PRESETS["digits"])
    assert current_settings(app) == digits  # exactly the preset: the default lr 0.001, not moons' 0.003
    assert current_settings(app).train.lr == 1e-3 and app.number_input(key="w_lr").value == 1e-3


def test_a_preset_keeps_the_data_settings_and_nothing_else():
    before = RunConfig().replace(dataset="moons", n_samples=500, data_seed=7, lr=0.05, seed=3, loss="l1")
    preset = lessons.preset_for(before)
    assert preset.data == before.data  # which data, and how much of it, is not a preset's to change
    assert preset == RunConfig(data=before.data).replace(**lessons.PRESETS["moons"])
    assert lessons.preset_for(preset) == preset  # applying it again changes nothing


# --- importing the same model file again --------------------------------------------------------------------------
def _captions(app) -> list[str]:
    return [caption.value for caption in app.sidebar.caption]


def test_importing_the_model_on_show_again_says_so(app):
    data = trained_model_bytes()
    upload_model(app, "model.dae", data)
    assert session(app).upload.name == "model.dae"
    assert not any(ALREADY_SHOWN in c for c in _captions(app))  # the first import: the model is shown, no note
    app.run()
    assert not any(ALREADY_SHOWN in c for c in _captions(app))  # a rerun with the file still in the uploader

    upload_model(app, "model copy.dae", data)  # the same bytes again, under another name
    assert any(ALREADY_SHOWN in c for c in _captions(app))
    assert not app.error and session(app).upload.name == "model.dae"  # nothing read again
    app.run()
    assert any(ALREADY_SHOWN in c for c in _captions(app))  # said while the uploader holds that file

    upload_model(app, "broken.dae", b"not a model")
    assert app.error and not any(ALREADY_SHOWN in c for c in _captions(app))


def test_importing_the_same_file_again_puts_it_back_on_show(app):
    data = trained_model_bytes()
    train(app)
    upload_model(app, "model.dae", data)
    app.sidebar.radio(key="show_choice").set_value("run").run()
    assert session(app).show == "run"
    upload_model(app, "model.dae", data)
    assert session(app).show == "upload" and app.sidebar.radio(key="show_choice").value == "upload"
    assert any(ALREADY_SHOWN in c for c in _captions(app))
