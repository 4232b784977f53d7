"""The settings form: its table of fields matches the config, and every widget is drawn from the session's config."""

import pytest
from app_driver import address_settings, current_settings, open_app, set_settings, stop_job

from dae_core import ConfigError, RunConfig
from dae_core.config import BOUNDS, FIELD_SECTION
from dashboard.settings import FIELDS

ITEMS = [item for rows in FIELDS.values() for row in rows for item in row]


def test_every_field_of_the_form_is_a_setting_of_the_config():
    assert all(item.name in FIELD_SECTION for item in ITEMS)
    assert len({item.key for item in ITEMS}) == len(ITEMS)


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_the_bounds_table_is_what_validation_allows(name):
    """Validation, the link reader and the widgets read one table; its edges are valid and just past them is not."""
    base = RunConfig().replace(n_informative=1, n_features=1000)  # n_informative may go up to n_features
    low, high = BOUNDS[name]
    step = 1 if isinstance(low, int) and isinstance(high, int) else 1e-9
    if name != "lr":  # lr's range is open at 0
        base.replace(**{name: low})
    base.replace(**{name: high})
    for outside in (low - step, high + step):
        with pytest.raises(ConfigError):
            base.replace(**{name: outside})


def test_every_number_widget_draws_from_the_bounds_table():
    assert {item.name for item in ITEMS if item.kind in ("int", "float")} <= set(BOUNDS)


def test_a_link_at_the_edge_of_the_config_draws_its_widgets():
    at = open_app(hidden_dim="4096", lr="100", epochs="10000")
    try:
        at.switch_page("pages/train.py").run()
        assert not at.exception and not at.error
        shown = {key: at.number_input(key=key).value for key in ("w_hidden_dim", "w_lr", "w_epochs")}
        assert shown == {"w_hidden_dim": 4096, "w_lr": 100.0, "w_epochs": 10_000}
    finally:
        stop_job(at)


def test_a_second_tab_has_settings_of_its_own(app):
    app.switch_page("pages/train.py").run()
    set_settings(app, hidden_dim=5)
    other = open_app()
    other.switch_page("pages/train.py").run()
    assert current_settings(other) == RunConfig()
    assert other.number_input(key="w_hidden_dim").value == 8
    assert current_settings(app).model.hidden_dim == 5


def test_default_settings_redraws_every_widget(app):
    app.switch_page("pages/train.py").run()
    set_settings(app, n_samples=300, hidden_dim=3, noise="masking", noise_level=0.5)
    app.button(key="btn_defaults").click().run()
    assert current_settings(app) == RunConfig()
    assert (app.number_input(key="w_n_samples").value, app.slider(key="w_noise_level").value) == (1000, 0.2)
    assert address_settings(app) == {}
