"""Driving the app under AppTest: open it with a link, move the Train page's controls, train a tiny model."""

import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TINY = {"n_samples": 200, "epochs": 3}  # trains in well under a second
WIDGETS = {  # RunConfig field -> the AppTest widget list that holds its control (key "w_<field>")
    "dataset": "selectbox",
    "n_samples": "number_input",
    "n_features": "number_input",
    "patch_size": "number_input",
    "image_size": "number_input",
    "color": "toggle",
    "architecture": "selectbox",
    "hidden_dim": "number_input",
    "hidden_layers": "text_input",
    "conv_channels": "text_input",
    "code_channels": "number_input",
    "activation": "selectbox",
    "noise": "selectbox",
    "noise_level": "slider",
    "loss": "selectbox",
    "optimizer": "selectbox",
    "lr": "number_input",
    "batch_size": "number_input",
    "epochs": "number_input",
    "seed": "number_input",
    "device": "selectbox",  # shown only on a server with a GPU
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
    if settings.get("dataset") in ("digits", "csv", "images"):
        del settings["n_samples"]  # fixed by the data; the page shows no control for it
    set_settings(at, **settings)
    at.button(key="btn_train").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert current_job(at).join(timeout=60), "the training job did not finish"
    return at.run()


def open_app(browser: str | None = None, **query: str) -> AppTest:
    """The app opened with a link carrying ``query``, after its first run; in ``browser`` (its cookie: "" for one
    that sends none) instead of the tests' one browser."""
    import dashboard.session

    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    if browser is None:
        return at.run()
    usual, dashboard.session.browser_cookie = dashboard.session.browser_cookie, lambda: browser
    try:
        return at.run()  # the session reads the cookie once, when it starts
    finally:
        dashboard.session.browser_cookie = usual


def stop_job(at: AppTest) -> None:
    """Stop the session's training job and its views' sweeps."""
    job = current_job(at)
    jobs = ([job] if job is not None else []) + list(sweeps(at).values())
    for job in jobs:
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


# --- what the tests may read of the session: the one place to adapt when the session state changes shape -------
def session(at: AppTest):
    """The session's typed state (``dashboard.state.Lab``)."""
    return at.session_state["lab"]


def current_job(at: AppTest):
    """The session's training job (``snapshot()``, ``status``, ``join``, ``stop``, ``config``), or None."""
    if "lab" not in at.session_state:
        return None
    run = session(at).run
    return run.job if run is not None else None


def sweeps(at: AppTest) -> dict:
    """The session's view sweeps by view (``dae_core.serving.remote.RemoteSweep``s)."""
    return session(at).sweeps if "lab" in at.session_state else {}


def run_config(at: AppTest):
    """The RunConfig the current job trains with."""
    job = current_job(at)
    assert job is not None, "no run has been started"
    return job.config


def current_settings(at: AppTest):
    """The current settings (a RunConfig): what the Train page's widgets stand for and the link mirrors."""
    return session(at).config


def address_settings(at: AppTest) -> dict:
    """What the address bar holds besides the visitor's own workspace token (``ws``)."""
    return {key: value for key, value in dict(at.query_params).items() if key != "ws"}


def share_link(at: AppTest) -> str:
    """The link the sidebar's "Share these settings" shows (AppTest knows no address: just its query string)."""
    [expander] = [e for e in at.sidebar.expander if e.label == "Share these settings"]
    return expander.markdown[0].value.strip("`")


# --- a browser's view of the widgets ---------------------------------------------------------------------------
# AppTest reads a widget's value from the server's session state, but a browser shows (and sends back on the next
# run) the value of its own widget. When a widget appears (first drawn, or drawn again after a run without it) the
# browser draws it from its element: the element's value when the server marks it to be set (``set_value``), and
# otherwise the element's default, which for these widgets (no ``value=``) is their minimum. ``open_in_browser``
# gives an AppTest whose widgets hold what a browser would hold, so the tests see, and the next run sends, that.
_DRAWN = "_browser_drawn_widget_ids"


def _browser_widgets(at: AppTest) -> list:
    try:
        return [*at.number_input, *at.slider, *at.text_input]
    except Exception:  # no run yet
        return []


def _element_default(widget):
    proto = widget.proto
    if widget.type == "text_input":
        return proto.default if proto.HasField("default") else ""
    if widget.type == "slider":
        values = [int(v) if proto.data_type == proto.INT else v for v in proto.default]
        return values[0] if len(values) == 1 else values
    if not proto.HasField("default"):
        return None
    return int(proto.default) if proto.data_type == proto.INT else proto.default


def _draw_like_a_browser(at: AppTest, drawn: set[str]) -> None:
    """After a run: widgets the browser had not drawn take their element's value, or else its default."""
    for widget in _browser_widgets(at):
        if widget.id not in drawn and not widget.proto.set_value:
            widget.set_value(_element_default(widget))
    setattr(at, _DRAWN, {widget.id for widget in _browser_widgets(at)})


def open_in_browser(**query: str) -> AppTest:
    """Like :func:`open_app`, but every later run leaves the widgets as a browser would show them (see above)."""
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    server_run = at._run  # every run goes through it: at.run(), widget.run(), switch_page(...).run()

    def browser_run(widget_state=None, timeout=None):
        drawn = getattr(at, _DRAWN, set())
        result = server_run(widget_state, timeout=timeout)
        _draw_like_a_browser(at, drawn)
        return result

    at._run = browser_run
    return at.run()


def rerun_before_drawn(at: AppTest, page: str) -> AppTest:
    """A rerun of ``page`` that reaches the server before the browser has drawn the widgets of the last run (a
    poll of the live chart, a timer tick): it carries none of their values, and the browser then draws every
    widget from this run's elements. Only for an AppTest from :func:`open_in_browser`."""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

    setattr(at, _DRAWN, set())
    at.switch_page(page)  # after a page's own st.switch_page, AppTest would rerun the page it last switched to
    return at._run(WidgetStates())


def upload_csv(at: AppTest, name: str, text: str) -> AppTest:
    """Pick the CSV dataset on Train (if needed) and upload ``text`` as the table ``name``."""
    if at.selectbox(key="w_dataset").value != "csv":
        set_settings(at, dataset="csv")
    csv_uploader(at).set_value((name, text.encode(), "text/csv"))
    return at.run()


def csv_uploader(at: AppTest):
    """The Train page's CSV uploader as it is now (each file handed over gets a new, empty one)."""
    from dashboard.upload import csv_uploader_key

    return at.file_uploader(key=csv_uploader_key(session(at).csv_uploads))


def trained_model_bytes(**changes) -> bytes:
    """A model file of a tiny run (one epoch of the defaults, with ``changes``)."""
    from dae_core import RunConfig, Trainer, model_file

    trainer = Trainer(RunConfig().replace(n_samples=200, epochs=1, **changes))
    list(trainer.epochs())
    return model_file.to_bytes(trainer.result())


def upload_model(app: AppTest, name: str, data: bytes) -> AppTest:
    """Import a model file in the sidebar, as a user drops one on the uploader."""
    model_uploader(app).set_value((name, data, "application/octet-stream")).run()
    assert not app.exception
    return app


def model_uploader(at: AppTest):
    """The sidebar's model uploader as it is now (each file handed over gets a new, empty one)."""
    from dashboard.frame import model_uploader_key

    return at.sidebar.file_uploader(key=model_uploader_key(session(at).model_uploads))


def picture_zip(folders=("stripes", "checks"), per_folder: int = 16, size: int = 12, color: bool = False) -> bytes:
    """A zip of PNGs in one sub-folder per class: horizontal stripes and a checkerboard, each with its own noise."""
    import io
    import zipfile

    import numpy as np
    from PIL import Image

    rows, columns = np.indices((size, size))
    patterns = [(rows // 2) % 2, (rows // 2 + columns // 2) % 2, (columns // 2) % 2]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for label, folder in enumerate(folders):
            for i in range(per_folder):
                noise = np.random.default_rng(100 * label + i).uniform(0, 0.3, (size, size))
                pixels = np.uint8(255 * np.clip(0.6 * patterns[label % 3] + noise, 0, 1))
                picture = Image.fromarray(np.stack([pixels, pixels[::-1], pixels.T], -1) if color else pixels)
                png = io.BytesIO()
                picture.save(png, "PNG")
                archive.writestr(f"{folder}/{i:02d}.png", png.getvalue())
    return buffer.getvalue()


def upload_pictures(at: AppTest, name: str, data: bytes) -> AppTest:
    """Pick the pictures dataset on Train (if needed) and upload ``data`` as the zip ``name``."""
    from dashboard.upload import PICTURES

    if at.selectbox(key="w_dataset").value != "images":
        set_settings(at, dataset="images")
    at.file_uploader(key=PICTURES.key(session(at).pictures_uploads)).set_value((name, data, "application/zip"))
    return at.run()
