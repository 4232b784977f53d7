"""Views from the papers: a view trains as one sweep in the worker pool, shows its progress, then its result,
which stays for the session; the levels typed and the view chosen survive a page switch."""

import json

from app_driver import has_element, session, sweeps

from dae_core.views import VIEWS

PAGE = "pages/papers.py"


def open_view(app, slug: str):
    app.switch_page(PAGE).run()
    app.button_group(key="paper_view").set_value(slug).run()
    assert not app.exception
    return app


def test_the_page_opens_on_the_first_view_and_says_how_to_start(app):
    app.switch_page(PAGE).run()
    assert not app.exception and not app.error
    assert app.button_group(key="paper_view").value == "filters"
    assert app.text_input(key="paper_levels_filters").value == "0, 0.25, 0.5"
    assert app.info[0].value.startswith("Press **Train this view**: 3 models of 100 epochs")
    assert any("**What you see:**" in m.value and "**Try:**" in m.value for m in app.markdown)


def test_bad_levels_say_what_to_type_and_cannot_be_trained(app):
    open_view(app, "probe")
    app.text_input(key="paper_levels_probe").set_value("0, lots").run()
    assert app.error[0].value.startswith("The noise levels must be numbers between 0 and 1")
    assert app.button(key="btn_view_train").disabled


def test_a_view_trains_shows_its_result_and_keeps_it_across_pages(app):
    open_view(app, "noise-grid")
    app.text_input(key="paper_levels_noise-grid").set_value("0.4, 0").run()
    app.button(key="btn_view_train").click().run()
    assert not app.exception and not app.error
    job = sweeps(app)["noise-grid"]
    assert job.spec.levels == (0.0, 0.4)
    assert job.join(timeout=120), "the view's sweep did not finish"
    app.run()
    grid = json.loads(app.get_by_key("view_grid").proto.spec)
    assert grid["data"][0]["y"] == ["0", "0.4"] and len(grid["data"][0]["x"]) == len(VIEWS["noise-grid"].test_levels)
    assert app.button(key="btn_view_train").label == "Train again"

    app.switch_page("pages/home.py").run()
    app.switch_page(PAGE).run()  # the view, its levels and its result are the session's: nothing trains again
    assert app.button_group(key="paper_view").value == "noise-grid"
    assert app.text_input(key="paper_levels_noise-grid").value == "0.4, 0"
    assert has_element(app, "view_grid") and sweeps(app)["noise-grid"] is job

    app.text_input(key="paper_levels_noise-grid").set_value("0, 0.2").run()  # the shown result names its levels
    assert any(c.value.startswith("Shown: the levels 0, 0.4. Press **Train again**") for c in app.caption)
    assert session(app).sweeps["noise-grid"] is job


def test_the_edges_view_trains_in_the_pool_and_shows_each_model_s_edge_likeness(app):
    open_view(app, "edges")
    assert app.text_input(key="paper_levels_edges").value == "0, 0.3, 0.5"
    assert any("Olshausen & Field" in m.value and "edge-likeness 0.016" in m.value for m in app.markdown)
    app.text_input(key="paper_levels_edges").set_value("0, 0.5").run()
    app.button(key="btn_view_train").click().run()
    assert not app.exception and not app.error
    job = sweeps(app)["edges"]
    assert job.join(timeout=120), "the view's sweep did not finish"
    app.run()
    assert not app.exception and not app.error
    gallery = json.loads(app.get_by_key("view_filters").proto.spec)
    assert [a["text"] for a in gallery["layout"]["annotations"]] == ["<b>ν = 0</b>", "<b>ν = 0.5</b>"]
    assert any(c.value.startswith("The first 36 of each model's 64 units") for c in app.caption)
    [table] = app.dataframe
    assert list(table.value.columns) == ["training noise level", "filter smoothness", "edge-likeness", "test MSE",
                                         "noisy input MSE"]  # fmt: skip
    members = job.snapshot().result.members
    assert list(table.value["edge-likeness"]) == [member.edge_likeness for member in members]
    assert all(0 <= member.edge_likeness <= 1 for member in members)
