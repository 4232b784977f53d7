"""Home: the introduction, the diagram, the page map, and the one-click start."""

from app_driver import current_job, current_settings, has_element, open_app, stop_job

from dae_core import RunConfig
from dae_core.lessons import FIRST_RUN, lesson
from dashboard import frame


def test_home_opens_with_intro_diagram_and_page_map(app):
    assert not app.exception
    assert app.title[0].value == "Denoising Autoencoder Lab"
    assert "**Try:**" in app.markdown[0].value
    assert len(app.get("image")) == 1  # the diagram of one training step
    titles = sorted(link.proto.label.split(":")[0].strip("*") for link in app.get("page_link"))
    assert titles == [
        "Experiments",
        "Filters",
        "Latent space",
        "Reconstructions",
        "Train",
        "Tune",
        "Views from the papers",
    ]


def test_home_page_map_fits_a_phone(app):
    """A page link's label never wraps: at 420 px "Views from the papers: ..., side by side" was cut. Each link is
    its title only (it fits on a phone), with the page's description in a caption, which wraps."""
    labels = [link.proto.label for link in app.get("page_link")]
    assert labels == [f"**{title}**" for _, title, _, _ in frame.PAGES[1:]]
    assert max(len(label.strip("*")) for label in labels) <= 30  # ~7 px a bold character: well within 420 px
    captions = [caption.value for caption in app.caption]
    assert all(description in captions for *_, description in frame.PAGES[1:])


def test_the_first_run_cleans_up_digits_and_lands_on_train(app):
    app.button(key="btn_train_defaults").click().run()
    assert not app.exception
    assert app.title[0].value == "Train"
    job = current_job(app)
    assert job is not None and job.config == FIRST_RUN == lesson("denoise").config.replace(epochs=800)
    assert current_settings(app) == FIRST_RUN
    assert has_element(app, "loss")
    weighted = job.wait_for(lambda s: (s.weights_epoch or 0) >= 1, 60)  # the images need weights: they may lag epochs
    assert weighted.weights_epoch >= 1
    app.run()
    assert has_element(app, "live_images")  # noisy digits and what the model makes of them, beside the chart
    stop_job(app)


def test_the_tutorial_setup_is_one_click_away_and_starts_a_default_run(app):
    app.button(key="btn_train_tutorial").click().run()
    assert not app.exception and app.title[0].value == "Train"
    assert current_job(app).config == RunConfig() == current_settings(app)
    assert not has_element(app, "live_images")  # a table: no images to show


def test_train_with_defaults_replaces_settings_from_a_link():
    app = open_app(hidden_dim="3")
    try:
        assert current_settings(app).model.hidden_dim == 3
        app.button(key="btn_train_tutorial").click().run()
        assert current_job(app).config == RunConfig()
        assert app.number_input(key="w_hidden_dim").value == RunConfig().model.hidden_dim
    finally:
        stop_job(app)
