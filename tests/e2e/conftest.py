"""Browser-test fixtures: the app served by ``streamlit run`` on a free port, and Debian's Chromium driven by Playwright.

No browser is ever downloaded: the tests use the system ``chromium``. Where it (or Playwright) is missing, the tests
are skipped on a developer's machine and fail where the ``CI`` environment variable is set, so CI cannot pass by
skipping them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SERVER_START_SECONDS = 60.0
SCRIPT_SECONDS = 30.0  # one script run, cold imports included
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 480, "height": 900}
MAX_SCREENSHOT_HEIGHT = 4000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
IDLE_JS = f"""() => document.querySelector('{APP_IDLE}') && !document.querySelector('[data-testid="stSkeleton"]')"""
EXCEPTION = '[data-testid="stException"]'


def missing(what: str) -> None:
    """Skip on a developer's machine, fail in CI: a browser suite that CI skips proves nothing."""
    message = f"{what}; on Debian: apt-get install chromium, and pip install -r requirements-dev.txt."
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so the browser tests must run: {message}")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health(url: str) -> str:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip()
    except OSError:
        return ""


class Server:
    """A running ``streamlit run app.py``; ``ready_at`` is when its health check first answered ``ok``."""

    def __init__(self, url: str, process: subprocess.Popen, log: Path, ready_at: float):
        self.url, self.process, self.log, self.ready_at = url, process, log, ready_at
        self.page_loads = 0  # the first load of a fresh server imports the pages' modules: a cold start

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def streamlit_command(port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
            str(port), "--browser.gatherUsageStats", "false"]  # fmt: skip


@contextlib.contextmanager
def running_server(
    log: Path, *, command=streamlit_command, cwd=REPO_ROOT, env=None, start_seconds=SERVER_START_SECONDS
):
    """Start ``command(port)`` (``streamlit run app.py``) on a free port with ``env`` added to this process's
    environment, wait for its health check, and stop it afterwards."""
    port = free_port()
    url = f"http://localhost:{port}"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command(port), cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
    deadline = time.monotonic() + start_seconds
    try:
        while health(url) != "ok":
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with code {process.returncode}:\n{log.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer {url}/_stcore/health within {start_seconds:.0f} s:\n"
                    f"{log.read_text(errors='replace')}"
                )
            time.sleep(0.2)
        yield Server(url, process, log, time.monotonic())
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the whole group: streamlit's own children too
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    with running_server(tmp_path_factory.mktemp("streamlit") / "server.log") as running:
        yield running


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python is not installed")
    executable = shutil.which("chromium")
    if executable is None:
        missing("No 'chromium' executable on PATH")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class App:
    """Opens pages of the served app in fresh browser sessions and waits for Streamlit to finish a run."""

    WIDE, NARROW = WIDE, NARROW

    def __init__(self, server: Server, browser):
        self.server, self.browser = server, browser
        self.contexts = []

    def new_page(self, viewport=WIDE, permissions: tuple[str, ...] = (), storage_state=None):
        """A page in a fresh browser context, hence a fresh Streamlit session (no run, no settings): another browser,
        or, given an earlier page's ``page.context.storage_state()``, the same browser (its cookie) again."""
        context = self.browser.new_context(
            viewport=viewport, permissions=list(permissions), storage_state=storage_state
        )
        context.set_default_timeout(SCRIPT_SECONDS * 1000)
        self.contexts.append(context)
        return context.new_page()

    def open(self, page, path: str = "/"):
        """Go to ``path`` (an ``st.Page`` url path, query allowed) and wait until its script has run."""
        page.goto(self.server.url + path)
        self.server.page_loads += 1
        self.wait_idle(page)
        return page

    def wait_idle(self, page) -> None:
        """Wait until the script run is over and drawn: Streamlit shows skeletons for a moment after the run ends."""
        page.wait_for_function(IDLE_JS, polling=50)
        self.assert_no_exception(page)

    def assert_no_exception(self, page) -> None:
        errors = page.locator(EXCEPTION)
        if errors.count():
            raise AssertionError(
                f"{page.url} shows an exception:\n{errors.first.inner_text()}\n--- server output ---\n"
                f"{self.server.output()}"
            )

    def screenshot(self, page, name: str, *, whole: bool = False) -> Path:
        """Save the viewport as ``screenshots/<name>.png``; ``whole``: the full height of the main area as well.

        The main area scrolls inside the page, so Playwright's full-page screenshot would still stop at the
        viewport: for ``whole`` the viewport grows to the main area's height for a moment.
        """
        SCREENSHOTS.mkdir(exist_ok=True)
        page.mouse.move(0, 0)  # no tooltip of the last button clicked: neither hovered nor focused
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.wait_for_timeout(300)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        if whole:
            viewport = page.viewport_size
            height = page.evaluate("""() => document.querySelector('[data-testid="stMain"]').scrollHeight""")
            page.set_viewport_size({"width": viewport["width"], "height": min(height, MAX_SCREENSHOT_HEIGHT)})
            page.wait_for_timeout(500)  # the charts follow the new size
            page.screenshot(path=str(SCREENSHOTS / f"{name}-whole.png"))
            page.set_viewport_size(viewport)
        return path

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def app(browser, server):  # the browser first: "server ready → Home usable" must not include Chromium's start
    opened = App(server, browser)
    yield opened
    opened.close()


@pytest.fixture
def fresh_app(browser, tmp_path):
    """The app on a server of its own that nobody has visited yet."""
    with running_server(tmp_path / "server.log") as fresh:
        opened = App(fresh, browser)
        yield opened
        opened.close()


@pytest.fixture(scope="session")
def timings():
    """Seconds measured in the browser, printed and written to screenshots/timings.json (no test asserts them)."""
    measured: dict[str, float] = {}
    yield measured
    if measured:
        # Other work on the machine slows every number down: keep the load next to them.
        measured["cpu_count"] = os.cpu_count() or 0
        measured["load_average_1min"] = round(os.getloadavg()[0], 2)
        SCREENSHOTS.mkdir(exist_ok=True)
        (SCREENSHOTS / "timings.json").write_text(json.dumps(measured, indent=2) + "\n")
        print("\nBrowser timings (s):", json.dumps(measured, indent=2))


@pytest.fixture
def app_on(browser, tmp_path):
    """``app_on(env=..., command=..., cwd=...)``: a context manager that serves the app on a server of its own
    (with ``env`` added to the environment) and yields an ``App`` on it; used twice, it restarts the server."""
    count = itertools.count(1)

    @contextlib.contextmanager
    def start(env=None, command=streamlit_command, cwd=REPO_ROOT, start_seconds=SERVER_START_SECONDS):
        log = tmp_path / f"server-{next(count)}.log"
        with running_server(log, command=command, cwd=cwd, env=env, start_seconds=start_seconds) as running:
            opened = App(running, browser)
            try:
                yield opened
            finally:
                opened.close()

    return start
