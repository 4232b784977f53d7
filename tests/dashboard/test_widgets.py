"""View options a user sets on a page (projection, filter scaling, overlaid curve) survive a visit elsewhere."""

from app_driver import train


def test_view_options_survive_a_page_switch(app):
    train(app)
    app.switch_page("pages/filters.py").run()
    app.toggle(key="filters_normalize").set_value(False).run()
    app.switch_page("pages/latent.py").run()
    app.radio(key="latent_method").set_value("t-SNE").run()
    app.switch_page("pages/experiments.py").run()
    app.selectbox(key="runs_metric").set_value("train_loss").run()

    app.switch_page("pages/home.py").run()
    app.switch_page("pages/filters.py").run()
    assert app.toggle(key="filters_normalize").value is False
    app.switch_page("pages/latent.py").run()
    assert app.radio(key="latent_method").value == "t-SNE"
    app.switch_page("pages/experiments.py").run()
    assert app.selectbox(key="runs_metric").value == "train_loss"
    assert not app.exception
