"""Lesson links: ``/?lesson=SLUG`` lands in the lesson with training started; ``hide=`` hides settings."""

import pytest
from app_driver import current_job, has_element, open_app, stop_job

from dae_core.lessons import LESSONS


def steps(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**Step ")]


@pytest.mark.parametrize("slug", list(LESSONS))
def test_a_lesson_link_lands_in_the_lesson_with_training_started(slug):
    chosen = LESSONS[slug]
    at = open_app(lesson=slug)
    try:
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert at.title[0].value == "Train"
        job = current_job(at)
        assert job is not None and job.config == chosen.config  # started on arrival, with the lesson's preset
        assert steps(at) == [f"**Step {n}.** {text}" for n, text in enumerate(chosen.steps, 1)]
        for name in chosen.hide:
            assert not has_element(at, f"w_{name}"), f"{slug} shows {name}"
        assert has_element(at, "w_noise_level")  # what the lesson is about stays
        assert at.query_params["lesson"] == slug  # the address bar still names it
    finally:
        stop_job(at)


def test_hide_hides_what_it_names_and_the_link_keeps_it():
    at = open_app(hide="lr,epochs")
    at.switch_page("pages/train.py").run()
    assert not has_element(at, "w_lr") and not has_element(at, "w_epochs")
    assert has_element(at, "w_seed") and has_element(at, "w_noise_level")
    assert at.query_params["hide"] == "epochs,lr"  # in the order of the settings
    assert current_job(at) is None  # no lesson: nothing starts by itself


def test_a_link_to_no_lesson_says_so_and_the_app_works():
    at = open_app(lesson="gan", hide="lr,colour")
    assert [w.value for w in at.warning] == [
        "Link parameter 'lesson' was ignored: There is no lesson 'gan'. The lessons are: denoise, tutorial, "
        "manifold, bottleneck, features, edges, robust, pretrain, generate.",
        "Link parameter 'hide' named no setting 'colour'; those are shown. Use setting names such as dataset, "
        "n_samples, n_features, n_informative.",
    ]
    assert current_job(at) is None and at.title[0].value == "Denoising Autoencoder Lab"  # Home, as usual


def test_leaving_the_lesson_shows_every_setting_and_keeps_them():
    at = open_app(lesson="manifold")
    try:
        config = current_job(at).config
        at.button(key="btn_leave_lesson").click().run()
        assert not steps(at) and has_element(at, "w_lr") and has_element(at, "w_dataset")
        assert "lesson" not in at.query_params
        assert at.number_input(key="w_hidden_dim").value == config.model.hidden_dim
    finally:
        stop_job(at)
