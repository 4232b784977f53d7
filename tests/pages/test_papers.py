"""Views from the papers: a view trains as one sweep in the worker pool, shows its progress, then its result,
which stays for the session; the levels typed and the view chosen survive a page switch."""

import json

import pytest
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


@pytest.mark.parametrize("slug", ["generate", "generate-digits"])
def test_a_sampling_view_draws_its_chains_and_each_sampler_s_mmd(app, slug):
    open_view(app, slug)
    assert any("The bridge to diffusion models" in m.value for m in app.markdown) or slug != "generate"
    app.text_input(key=f"paper_levels_{slug}").set_value("0.2, 0.5").run()
    app.button(key="btn_view_train").click().run()
    job = sweeps(app)[slug]
    assert job.join(timeout=120), "the view's sweep did not finish"
    app.run()
    assert not app.exception and not app.error
    generated = job.snapshot().result.generation
    bars = json.loads(app.get_by_key("view_mmd").proto.spec)["data"][0]
    assert bars["x"] == ["chain σ = 0.2", "chain σ = 0.5", "annealed"]
    assert bars["y"] == pytest.approx([*generated.mmd, generated.annealed_mmd])
    chains = json.loads(app.get_by_key("view_chains").proto.spec)
    if slug == "generate":  # an animation: the annealed samples first, then a frame per kept step of a chain
        assert len(chains["frames"]) == 2 and chains["layout"]["title"]["text"].startswith("Annealed sampling")
        app.button_group(key="view_chain_member").set_value("chain σ = 0.5").run()
        assert not app.exception
        chains = json.loads(app.get_by_key("view_chains").proto.spec)
        assert len(chains["frames"]) == len(generated.steps)
        assert "trained at σ = 0.5" in chains["layout"]["title"]["text"]
    else:  # a grid of pictures, a column per kept step
        assert chains["layout"]["xaxis"]["ticktext"] == [str(step) for step in generated.steps]


def _draw_pretrain_result():  # an AppTest script: its imports live inside
    from dae_core.pretrain import METHODS, PretrainResult
    from dae_core.views import ViewResult
    from dashboard import papers

    accuracy = {method: ((0.6 + i / 20, 0.9, 0.97), (0.62, 0.91, 0.96)) for i, method in enumerate(METHODS)}
    table = PretrainResult((1, 10, 0), (1.0, 10.0, 143.7), (0, 1), accuracy, (128, 64), 30.0, 9.0, ((0.03, 0.008),) * 2)
    papers.pretrain_result_ui(ViewResult("pretrain", (), None, (), (8, 8, 1), 31.0, pretrain=table))


def test_the_pretrain_view_hides_the_levels_and_its_result_draws(app):
    from streamlit.testing.v1 import AppTest

    open_view(app, "pretrain")
    assert not app.text_input and not app.error  # not a noise sweep: no levels to type
    assert app.info[0].value.startswith("Press **Train this view**: 5 stacks of 2 layers (30 epochs a layer)")
    assert any("0.641 against 0.601" in m.value for m in app.markdown)
    drawn = AppTest.from_function(_draw_pretrain_result).run()
    assert not drawn.exception
    figure = json.loads(drawn.get_by_key("view_pretrain").proto.spec)
    assert figure["layout"]["xaxis"]["type"] == "log" and len(figure["data"]) == 6
    [table] = drawn.dataframe
    assert list(table.value.columns) == ["labels per class", "pre-trained", "random start", "logistic regression"]
    assert list(table.value["labels per class"]) == ["1", "10", "all (144)"]
    assert table.value["random start"][0] == "0.635 ± 0.015"


def test_the_robust_view_draws_accuracy_against_test_noise_and_the_digits_each_model_fills_in(app):
    open_view(app, "robust")
    assert app.text_input(key="paper_levels_robust").value == "0, 0.25, 0.5"
    assert any("**What you see:**" in m.value and "0.739" in m.value for m in app.markdown)  # its measured numbers
    app.text_input(key="paper_levels_robust").set_value("0, 0.5").run()
    app.button(key="btn_view_train").click().run()
    job = sweeps(app)["robust"]
    assert job.join(timeout=120), "the view's sweep did not finish"
    app.run()
    assert not app.exception and not app.error
    robust = job.snapshot().result.robustness
    curves = json.loads(app.get_by_key("view_robust").proto.spec)["data"]
    assert [trace["name"] for trace in curves] == ["autoencoder", "DAE ν = 0.5", "raw inputs"]
    assert curves[2]["y"] == list(robust.raw) and curves[2]["line"]["dash"] == "dash"
    digits = json.loads(app.get_by_key("view_robust_digits").proto.spec)["layout"]
    assert digits["yaxis"]["ticktext"] == ["clean", "masking 0.5", "autoencoder", "DAE ν = 0.5"]
    assert [m.label for m in app.metric] == ["Raw inputs, masking 0.5", "Through the autoencoder",
                                             "Through the DAE, ν = 0.5"]  # fmt: skip
    assert app.metric[2].value == f"{robust.at(0.5)['0.5']:.3f}"
