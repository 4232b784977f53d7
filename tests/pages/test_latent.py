"""Latent space: the projected codes coloured by label, and the linear probe against the raw input."""

import base64
import json

import numpy as np
from app_driver import has_element, train


def test_without_a_model_it_says_what_to_do(app):
    app.switch_page("pages/latent.py").run()
    assert not app.exception
    assert app.info[0].value == "Train a model on the Train page first, or upload one in the sidebar."


def test_codes_are_projected_with_pca_and_probed(app):
    train(app, dataset="moons")
    app.switch_page("pages/latent.py").run()
    assert not app.exception and not app.error
    assert app.radio(key="latent_method").value == "PCA"
    assert has_element(app, "latent")
    cards = {metric.label: metric.value for metric in app.metric}
    assert set(cards) == {"Codes (8 dims)", "Raw input (2 dims)", "Chance"}
    assert all(value.endswith("%") for value in cards.values())


def test_tsne_projection_draws_too(app):
    train(app, dataset="moons", n_samples=100)
    app.switch_page("pages/latent.py").run()
    app.radio(key="latent_method").set_value("t-SNE").run()
    assert not app.exception and not app.error
    assert has_element(app, "latent")


def test_clicking_a_point_shows_that_sample(app):
    """The linked view: a selected code shows its sample's original, noisy input and reconstruction."""
    train(app, dataset="digits", epochs=2)
    app.switch_page("pages/latent.py").run()
    assert not has_element(app, "latent_sample")
    spec = json.loads(app.get_by_key("latent").proto.spec)
    ids = spec["data"][1]["customdata"]  # a NumPy array travels base64-packed
    sample = int(np.frombuffer(base64.b64decode(ids["bdata"]), dtype=ids["dtype"])[0])  # the second class's first
    app.session_state["latent"] = {"selection": {"points": [{"customdata": sample}], "point_indices": [0],
                                                 "box": [], "lasso": []}}  # fmt: skip
    app.run()
    assert not app.exception
    title = json.loads(app.get_by_key("latent_sample").proto.spec)["layout"]["title"]["text"]
    assert title == f"Test sample {sample}: original, noisy (gaussian 0.2) and reconstructed"
