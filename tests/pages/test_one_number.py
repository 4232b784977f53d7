"""One number per run: Reconstructions opens at the run's own evaluation, so its test MSE is the one Train shows.

Users saw Run #5's test MSE as 0.7243 on Train and 0.7147 on Reconstructions "at the same noise": Reconstructions
drew its own noise. It now opens on the noisy test inputs training scored the run on, and says so when it does not.
"""

import numpy as np
import pytest
from app_driver import current_job, session, set_settings, train, upload_csv

TABLE = "a,b,c,d\n" + "\n".join(
    ",".join(f"{v:.3f}" for v in row) for row in np.random.default_rng(3).normal(size=(80, 4)).cumsum(axis=1)
)
DATASETS = ["synthetic", "digits", "moons", "circles", "spiral", "photos", "csv"]


def cards(app) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def own_evaluation(app):
    """The reconstruction the page drew its default cards from (its per-session memo)."""
    [rec] = [value for key, value in session(app).memo.items() if key[0] == "own evaluation"]
    return rec


@pytest.mark.parametrize("dataset", DATASETS)
def test_reconstructions_opens_at_the_run_s_own_test_mse(app, dataset):
    app.switch_page("pages/train.py").run()
    if dataset == "csv":
        upload_csv(app, "table.csv", TABLE)
    train(app, dataset=dataset, epochs=2 if dataset == "digits" else 3)
    train_card = cards(app)["Test MSE"]
    kept = current_job(app).snapshot().kept_record

    app.switch_page("pages/reconstructions.py").run()
    assert not app.exception and not app.error
    shown = cards(app)["Test MSE"]
    rec = own_evaluation(app)
    print(f"{dataset}: Train {kept.test_mse:.7f} ({train_card}), Reconstructions {rec.mse:.7f} ({shown})")
    assert shown == train_card == f"{kept.test_mse:.4f}"
    assert rec.mse == pytest.approx(kept.test_mse, rel=1e-6)
    assert rec.identity_mse == pytest.approx(kept.identity_mse, rel=1e-6)
    captions = [caption.value for caption in app.caption]
    assert any(text.startswith("The run's own test noise (") for text in captions), captions
    assert not app.info

    app.number_input(key="test_noise_seed").set_value(7).run()
    other = cards(app)["Test MSE"]
    [drawn] = [value for key, value in session(app).memo.items() if key[0] == "test noise" and key[-1] == 7]
    assert other == f"{drawn.mse:.4f}" and drawn.mse != pytest.approx(rec.mse, rel=1e-6)  # other noise, other MSE
    print(f"{dataset}: seed 7 {drawn.mse:.7f} ({other})")
    [note] = [info.value for info in app.info]
    assert note.startswith(f"Test noise differs from training (seed): MSE {other}. At the run's own test noise (")
    assert note.endswith(f") it is {shown}, the test MSE Train shows.")

    app.number_input(key="test_noise_seed").set_value(0).run()  # back to the run's own draw
    assert cards(app)["Test MSE"] == shown and not app.info


def test_a_live_noise_change_opens_at_the_shown_epoch_s_level(app):
    """The run's own test noise is the level its shown weights were scored at, not the one it trains at now."""
    app.switch_page("pages/train.py").run()
    set_settings(app, n_samples=200, epochs=6, noise_level=0.3)
    app.button(key="btn_step").click().run()  # one epoch at 0.3, then paused
    set_settings(app, noise_level=0.6)  # from the next epoch on
    app.switch_page("pages/reconstructions.py").run()
    assert app.slider(key="test_noise_level").value == 0.3
    kept = current_job(app).snapshot().kept_record
    assert (kept.epoch, kept.noise_level) == (1, 0.3)
    assert cards(app)["Test MSE"] == f"{kept.test_mse:.4f}" and not app.info
