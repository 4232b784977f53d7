"""Experiments: finished runs kept as plain data, compared, downloaded and deleted."""

import json

from app_driver import current_settings, has_element, session, train

from dae_core import RunConfig


def test_without_runs_it_says_what_to_do(app):
    app.switch_page("pages/experiments.py").run()
    assert not app.exception
    assert app.info[0].value.startswith("No finished runs yet.")


def two_runs(app):
    train(app)
    train(app, hidden_dim=2, lr=0.01)
    app.switch_page("pages/experiments.py").run()
    assert not app.exception and not app.error
    return app


def test_runs_are_listed_overlaid_and_downloadable(app):
    two_runs(app)
    table = app.dataframe[0].value
    assert len(table) == 2 and list(table["status"]) == ["done", "done"]
    assert has_element(app, "runs_overlay")
    assert {button.label for button in app.get("download_button")} >= {"Download CSV", "Download JSON"}
    runs = [run.to_dict() for run in session(app).runs]
    json.dumps(runs)  # plain data, no model
    assert RunConfig.from_dict(runs[1]["config"]) == RunConfig().replace(n_samples=200, epochs=3, hidden_dim=2, lr=0.01)
    assert len(runs[1]["history"]) == 3


def test_selected_runs_can_be_deleted(app):
    two_runs(app)
    key = app.dataframe[0].key
    app.session_state[key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    app.button(key="btn_delete_runs").click().run()
    assert [run.config["model"]["hidden_dim"] for run in session(app).runs] == [2]
    assert len(app.dataframe[0].value) == 1


def test_a_run_settings_can_be_loaded_back(app):
    two_runs(app)
    app.session_state[app.dataframe[0].key] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    app.run()
    app.button(key="btn_load_settings").click().run()
    assert app.title[0].value == "Train"
    assert current_settings(app).model.hidden_dim == 2
    assert app.number_input(key="w_hidden_dim").value == 2


def test_psnr_reads_a_dash_for_runs_without_one(app):
    """A table of a digits run and a tabular run showed "None" as the tabular run's PSNR."""
    train(app, dataset="digits", epochs=2)
    train(app, dataset="synthetic")  # standardized: no PSNR
    app.switch_page("pages/experiments.py").run()
    assert not app.exception
    psnr = list(app.dataframe[0].value["test_psnr"])
    digits_psnr = session(app).runs[0].summary.test_psnr
    assert psnr == [f"{digits_psnr:6.1f}", "—"]
    assert sorted([f"{9.8:6.1f}", "—", f"{21.3:6.1f}"]) == ["   9.8", "  21.3", "—"]  # the text sorts as numbers
