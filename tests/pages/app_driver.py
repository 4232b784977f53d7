"""Driving the app under AppTest: open it with a link, move the Train page's controls, train a tiny model."""

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TINY = {"n_samples": 200, "epochs": 3}  # trains in well under a second
WIDGETS = {  # RunConfig field -> the AppTest widget list that holds its control (key "w_<field>")
    "dataset": "selectbox",
    "n_samples": "number_input",
    "n_features": "number_input",
    "hidden_dim": "number_input",
    "hidden_layers": "text_input",
    "activation": "selectbox",
    "noise": "selectbox",
    "noise_level": "slider",
    "loss": "selectbox",
    "optimizer": "selectbox",
    "lr": "number_input",
    "batch_size": "number_input",
    "epochs": "number_input",
    "seed": "number_input",
}


def set_settings(at: AppTest, **settings) -> AppTest:
    """Move the Train page's controls, one rerun each, in the order a user would (dataset first)."""
    for name in sorted(settings, key=lambda n: list(WIDGETS).index(n)):
        widgets = getattr(at, WIDGETS[name])
        widgets(key=f"w_{name}").set_value(settings[name]).run()
    return at


def train(at: AppTest, **settings) -> AppTest:
    """Train through the UI: Train page, settings (tiny by default), the Train button, wait for the job."""
    at.switch_page("pages/train.py").run()
    settings = {**TINY, **settings}
    if settings.get("dataset") in ("digits", "csv"):
        del settings["n_samples"]  # fixed by the data; the page shows no control for it
    set_settings(at, **settings)
    at.button(key="btn_train").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state.job.join(timeout=60), "the training job did not finish"
    return at.run()


def open_app(**query: str) -> AppTest:
    """The app opened with a link carrying ``query``, after its first run."""
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def stop_job(at: AppTest) -> None:
    job = at.session_state.job if "job" in at.session_state else None
    if job is not None:
        job.stop()
        job.join(timeout=10)


def has_element(at: AppTest, key: str) -> bool:
    """Whether the last run drew an element (a chart, a table) with this key."""
    try:
        at.get_by_key(key)
    except KeyError:
        return False
    return True


def wait_for(condition, timeout: float = 30.0) -> None:
    """Poll until ``condition()`` holds; the job runs in its own thread."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the job never reached the expected state"
        time.sleep(0.02)
