"""Your pictures on the Train page: a zip upload, read at the chosen size and colour, trained, kept for a reload, and
coloured by folder in Latent space; a bad zip says what is wrong and loses nothing."""

import json

from app_driver import (
    current_job,
    current_settings,
    open_app,
    picture_zip,
    run_config,
    session,
    set_settings,
    train,
    upload_pictures,
)

WAIT = 60.0  # seconds before a wait on the job gives up; only reached when something is broken


def test_without_a_zip_the_data_settings_ask_for_one(app):
    set_settings(app.switch_page("pages/train.py").run(), dataset="images")
    assert not app.exception
    assert "Upload a zip of PNG or JPEG pictures to train on them." in [info.value for info in app.info]
    assert app.button(key="btn_train").disabled  # nothing to train on yet
    assert "upload a zip of PNG or JPEG files in the Data settings" in session(app).data_problem


def test_a_zip_in_two_folders_trains_a_conv_model_and_latent_space_names_the_folders(app):
    app.switch_page("pages/train.py").run()
    upload_pictures(app, "shapes.zip", picture_zip(per_folder=10))
    set_settings(app, image_size=12)
    captions = [caption.value for caption in app.caption]
    assert "shapes.zip: 20 pictures of 12×12 grayscale, 2 folders (checks, stripes)" in captions
    train(app, dataset="images", architecture="conv", conv_channels="4", code_channels=2, epochs=2)
    config = run_config(app)
    assert config.data.images_path == "shapes.zip" and len(config.data.images_digest) == 12
    assert config.model.architecture == "conv" and current_job(app).dataset.image_shape == (12, 12, 1)
    app.switch_page("pages/latent.py").run()
    assert not app.exception and not app.error
    legend = [trace["name"] for trace in json.loads(app.get_by_key("latent").proto.spec)["data"]]
    assert legend == ["checks", "stripes"]  # the folders, not 0 and 1
    for page in ("pages/reconstructions.py", "pages/filters.py"):
        app.switch_page(page).run()
        assert not app.exception and not app.error, page


def test_colour_pictures_have_three_channels_and_the_toggle_changes_the_inputs(app):
    app.switch_page("pages/train.py").run()
    upload_pictures(app, "colour.zip", picture_zip(per_folder=6, color=True))
    set_settings(app, image_size=8, color=True)
    assert "colour.zip: 12 pictures of 8×8 colour, 2 folders (checks, stripes)" in [c.value for c in app.caption]
    assert current_settings(app).data.color
    train(app, dataset="images", hidden_dim=4, hidden_layers="")
    assert current_job(app).dataset.n_features == 8 * 8 * 3


def test_a_bad_zip_is_refused_by_name_and_the_pictures_in_use_stay_until_then(app):
    app.switch_page("pages/train.py").run()
    upload_pictures(app, "good.zip", picture_zip(per_folder=6))
    upload_pictures(app, "broken.zip", b"this is not a zip")
    assert not app.exception
    errors = [error.value for error in app.error]
    assert any(e.startswith("The zip of pictures broken.zip was not used:") for e in errors), errors
    assert session(app).pictures is None  # a refused upload leaves none in use, as for a table
    upload_pictures(app, "good.zip", picture_zip(per_folder=6))
    assert not app.error and session(app).pictures.name == "good.zip"


def test_the_pictures_in_use_come_back_after_a_reload_and_a_trained_run_still_shows(app):
    app.switch_page("pages/train.py").run()
    data = picture_zip(per_folder=6)
    upload_pictures(app, "kept.zip", data)
    set_settings(app, image_size=8)
    train(app, dataset="images", image_size=8, hidden_dim=4, hidden_layers="")
    reloaded = open_app(ws=app.query_params["ws"], dataset="images")
    assert session(reloaded).pictures.name == "kept.zip" and session(reloaded).pictures.data == data
    reloaded.switch_page("pages/reconstructions.py").run()
    assert not reloaded.exception and not reloaded.error
    assert "Test MSE" in [metric.label for metric in reloaded.metric]  # the kept run's model, on its pictures
    reloaded.switch_page("pages/train.py").run()
    reloaded.button(key="btn_remove_pictures").click().run()
    assert session(open_app(ws=app.query_params["ws"])).pictures is None
