"""Home: the introduction, the diagram, the page map, and the one-click start."""

from app_driver import current_job, current_settings, has_element, open_app, stop_job

from dae_core import RunConfig


def test_home_opens_with_intro_diagram_and_page_map(app):
    assert not app.exception
    assert app.title[0].value == "Denoising Autoencoder Lab"
    assert "**Try:**" in app.markdown[0].value
    assert len(app.get("image")) == 1  # the diagram of one training step
    titles = sorted(link.proto.label.split(":")[0].strip("*") for link in app.get("page_link"))
    assert titles == ["Experiments", "Filters", "Latent space", "Reconstructions", "Train", "Views from the papers"]


def test_train_with_defaults_starts_a_default_run_and_lands_on_train(app):
    app.button(key="btn_train_defaults").click().run()
    assert not app.exception
    assert app.title[0].value == "Train"
    job = current_job(app)
    assert job is not None and job.config == RunConfig()
    assert current_settings(app) == RunConfig()
    assert has_element(app, "loss")


def test_train_with_defaults_replaces_settings_from_a_link():
    app = open_app(hidden_dim="3")
    try:
        assert current_settings(app).model.hidden_dim == 3
        app.button(key="btn_train_defaults").click().run()
        assert current_job(app).config == RunConfig()
        assert app.number_input(key="w_hidden_dim").value == RunConfig().model.hidden_dim
    finally:
        stop_job(app)
