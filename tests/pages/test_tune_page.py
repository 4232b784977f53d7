"""Tune: the form says what is wrong with a search before it starts (the command line's messages), a search runs
in the worker pool and its trials, figures and best arrive on the page, a reload of the workspace finds it again,
and **Train this** fills Train with the best settings."""

import pytest
from app_driver import open_app, set_settings, wait_for

from dashboard import tune

PAGE = "pages/tune.py"


def open_tune(app):
    app.switch_page(PAGE).run()
    assert not app.exception
    return app


def test_the_page_opens_with_a_default_space_for_the_data_and_says_how_to_start(app):
    open_tune(app)
    assert not app.error
    assert app.text_area[0].value.startswith("noise_level=0..1 hidden_dim=2..128:log lr=1e-4..3e-2:log")
    assert app.text_input[0].value == "gaussian:0.2"
    assert app.info[0].value.startswith("Press **Start search**")


@pytest.mark.parametrize(
    "search, trials, message",
    [
        ("hiden_dim=2..64", 5, "There is no setting 'hiden_dim' to search. Did you mean 'hidden_dim'?"),
        ("hidden_dim=8..8", 5, "'hidden_dim=8..8' is an empty range: one value, nothing to search."),
        ("lr=0.1..0.001", 5, "'lr=0.1..0.001': the low end is above the high end. Write lr=0.001..0.1."),
        ("lr=0..0.1:log", 5, "'lr=0..0.1:log': a log scale needs both ends above 0"),
        ("lr=1e-3..1e-2", 201, "Trials must be between 1 and 200, the most one search runs here (DAE_MAX_TRIALS)."),
    ],
)
def test_bad_search_input_is_said_as_the_command_line_says_it_and_cannot_start(app, search, trials, message):
    open_tune(app)
    app.text_area[0].set_value(search).run()
    app.number_input[0].set_value(trials).run()
    assert not app.exception
    assert message in app.error[0].value
    assert app.button(key="btn_tune_start").disabled


def test_a_search_fills_its_table_and_figures_and_train_this_fills_train(app):
    app.switch_page("pages/train.py").run()
    set_settings(app, n_samples=200, n_features=8, hidden_dim=3, epochs=5)
    open_tune(app)
    app.text_area[0].set_value("lr=1e-4..1e-1:log hidden_dim=2..6").run()
    app.number_input[0].set_value(4).run()
    app.button(key="btn_tune_start").click().run()
    assert not app.exception and not app.error
    job = next(search.job for search in tune._SEARCHES.values() if search.job.spec.trials == 4)
    assert job.join(timeout=120), "the search did not finish"
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert list(table["trial"]) == [0, 1, 2, 3] and set(table["state"]) == {"done"}
    best = job.snapshot().result.best
    assert app.metric[3].value == f"{best.value:.4g}"

    reloaded = open_app()  # another session of the same workspace: the search is found again
    reloaded.session_state["lab"].workspace = app.session_state["lab"].workspace
    reloaded.session_state["lab"].browser = app.session_state["lab"].browser
    reloaded.switch_page(PAGE).run()
    assert reloaded.dataframe and list(reloaded.dataframe[0].value["trial"]) == [0, 1, 2, 3]

    tune._SEARCHES.clear()  # the server restarted: the search is read back from its stored study
    restarted = open_app()
    restarted.session_state["lab"].workspace = app.session_state["lab"].workspace
    restarted.session_state["lab"].browser = app.session_state["lab"].browser
    restarted.switch_page(PAGE).run()
    assert any(c.value.startswith("Your last search, as its study keeps it") for c in restarted.caption)
    assert list(restarted.dataframe[0].value["trial"]) == [0, 1, 2, 3]
    assert restarted.button(key="btn_tune_train_this")

    app.button(key="btn_tune_train_this").click().run()
    assert not app.exception
    wait_for(lambda: app.session_state["lab"].config.train.lr == pytest.approx(best.params["lr"]))
    assert app.session_state["lab"].config.model.hidden_dim == best.params["hidden_dim"]
