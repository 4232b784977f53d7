"""A link restores page state too: Reconstructions' test noise and Latent space's projection."""

from app_driver import open_app, stop_job, train


def test_a_link_restores_the_test_noise_and_the_projection():
    at = open_app(test_noise="masking", test_noise_level="0.3", test_noise_seed="7", projection="tsne", n_samples="200")
    try:
        assert not at.warning, [w.value for w in at.warning]
        train(at, epochs=2)
        at.switch_page("pages/reconstructions.py").run()
        assert (at.selectbox(key="test_noise").value, at.slider(key="test_noise_level").value) == ("masking", 0.3)
        assert at.number_input(key="test_noise_seed").value == 7
        at.switch_page("pages/latent.py").run()
        assert at.radio(key="latent_method").value == "t-SNE"
        assert {k: at.query_params[k] for k in ("test_noise", "test_noise_level", "test_noise_seed", "projection")} == {
            "test_noise": "masking", "test_noise_level": "0.3", "test_noise_seed": "7", "projection": "tsne"
        }  # fmt: skip
    finally:
        stop_job(at)


def test_choosing_a_test_noise_puts_it_in_the_link(app):
    train(app, n_samples=200, epochs=2)
    app.switch_page("pages/reconstructions.py").run()
    assert "test_noise" not in app.query_params  # it follows the training noise: nothing to say
    app.slider(key="test_noise_level").set_value(0.5).run()
    assert (app.query_params["test_noise"], app.query_params["test_noise_level"]) == ("gaussian", "0.5")


def test_bad_page_state_in_a_link_says_what_was_wrong():
    at = open_app(test_noise="blur", projection="umap")
    assert [w.value for w in at.warning] == [
        "The link's test noise was ignored: 'blur' is not a noise type; use one of gaussian, masking, salt_pepper. "
        "Reconstructions uses the training noise.",
        "Link parameter 'projection' was ignored: use pca or tsne.",
    ]
    at = open_app(test_noise="masking", test_noise_level="2")
    assert [w.value for w in at.warning] == [
        "The link's test noise was ignored: a masking test noise level is between 0 and 1, not 2. Reconstructions "
        "uses the training noise."
    ]
