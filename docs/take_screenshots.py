"""Screenshots of every page, every lesson and every view of the dashboard, 1280 and 420 px wide, in docs/screenshots/.

Run it by hand from anywhere, with the project's environment active (Playwright for Python, and Debian's
``chromium`` on PATH; no browser is ever downloaded)::

    python docs/take_screenshots.py [--out DIR] [--widths 1280,420] [--only photos,pictures] [--slugs robust,pretrain]

It starts its own ``streamlit run app.py`` on a free port, with ``DAE_DATA_DIR`` set to a temporary folder (so no
run of yours is touched and none is left behind), waits for its health check, and stops the server's whole process
group at the end, on an error too. Then, for each width, in a fresh browser context (a fresh session):

- ``page-home-before-run-<W>.png``: Home before any run;
- ``page-<name>-<W>.png`` for every page of the sidebar (home, train, reconstructions, latent, filters,
  experiments, papers), after a digits run with the digits preset has finished; the pages are reached through
  the sidebar's links, so the session and its run stay;
- ``lesson-<slug>-<W>.png``: Train as ``/?lesson=<slug>`` opens it, once the lesson's run is done;
  ``page-reconstructions-manifold-<W>.png``: Reconstructions for the manifold lesson's 2-D run;
- ``view-<slug>-<W>.png``: each view of the Views page, trained, with its figures drawn;
- ``page-train-photos-<W>.png`` and ``page-reconstructions-photos-<W>.png``: Train and Reconstructions after a conv
  run on photo patches (its loss chart with the classic denoisers, the whole photograph denoised tile by tile);
- ``page-train-pictures-<W>.png``: Train with a zip of pictures in use (PNGs in two folders, written to the
  temporary folder), once a small conv run on them is done.

``--only`` takes some of the groups of shots: ``pages`` (Home before a run, the digits run and every page),
``lessons``, ``views``, ``photos`` and ``pictures``; all of them by default.

Each shot covers the whole main area (Streamlit scrolls inside it, so the viewport grows to its height for the
shot, at most ``MAX_HEIGHT`` px). The waits are on the page's own signals (the app's ``data-test-script-state``,
the progress bar's "· done", the Plotly charts' data) and bounded; the script prints what it took and how long,
and exits with 1 when a shot failed or a page showed an exception (the shots it could take are still written).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT = REPO_ROOT / "docs" / "screenshots"
VIEWPORTS = {1280: {"width": 1280, "height": 800}, 420: {"width": 420, "height": 900}}
SERVER_START_SECONDS = 120.0
SCRIPT_SECONDS = 60.0  # one script run (the machine may be busy)
RUN_SECONDS = 120.0  # one training run, or one view's sweep
MAX_HEIGHT = 4000  # px: a taller main area is cut there
LARGE_BYTES = 400_000  # a shot above this is saved with 256 colours, and reported if still above
POLL = 0.2
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
PROGRESS = '[data-testid="stMain"] [data-testid="stProgress"]'
NAVIGATION_DRAWN = """() => {
    const nav = document.querySelector('[data-testid="stSidebarNav"]');
    return Boolean(nav && nav.innerText.includes('Latent space'));
}"""
# JS: the traces of the Plotly chart drawn by st.plotly_chart(key=...), or null before it is drawn.
TRACES_JS = """key => {
    const chart = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    if (!chart || !chart._fullData) return null;
    const length = a => (a && a.length) || 0;
    return chart._fullData.map(t => ({type: t.type, points: length(t.x) || length(t.z) || length(t.y)}));
}"""

# (url path, name, key of the chart it shows once a model is trained, or None)
PAGES = [
    ("/", "home", None),
    ("/train", "train", "loss"),
    ("/reconstructions", "reconstructions", "reconstruction"),
    ("/latent", "latent", "latent"),
    ("/filters", "filters", "filters"),
    ("/experiments", "experiments", "runs_overlay"),
    ("/papers", "papers", None),
]
LESSONS = ["denoise", "tutorial", "manifold", "bottleneck", "features", "edges", "robust", "pretrain", "generate"]
GROUPS = ("pages", "lessons", "views", "tune", "photos", "pictures")  # what --only may name, in the order taken
# A conv run on photo patches with the photos preset's data and noise, short enough for a screenshot.
PHOTOS_RUN = "dataset=photos&n_samples=1000&architecture=conv&noise=masking&noise_level=0.3&epochs=20"
# A small conv run on the zip of pictures (see picture_zip): 16 x 16 pictures, 2 folders.
PICTURES_RUN = "dataset=images&image_size=16&architecture=conv&conv_channels=16&code_channels=8&lr=0.003&epochs=200"
# The Tune page's search: the denoise lesson's digits at 60 epochs, 12 trials of the page's default space.
TUNE_RUN = "dataset=digits&noise=masking&noise_level=0.5&hidden_dim=32&hidden_layers=128&epochs=60"
TUNE_TRIALS = 12
PICTURES_IN_USE = "pictures.zip: 48 pictures of 16×16 grayscale, 2 folders (checks, stripes)"  # Train's caption
# slug: (the segmented control's label, the key of the chart its result draws)
VIEWS = {
    "filters": ("Filters against noise level", "view_filters"),
    "noise-grid": ("Training noise × test noise", "view_grid"),
    "probe": ("Probe accuracy against noise", "view_probe"),
    "edges": ("Edges from photographs", "view_filters"),
    "robust": ("Robustness to damaged inputs", "view_robust"),
    "pretrain": ("Pre-training with few labels", "view_pretrain"),
    "generate": ("Sampling from a DAE", "view_mmd"),
    "generate-digits": ("Sampling digits from a DAE", "view_mmd"),
}


# --- the server -------------------------------------------------------------------------------------
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


@contextlib.contextmanager
def running_server(log: Path, data_dir: Path):
    """``streamlit run app.py`` on a free port, its runs kept in ``data_dir``; yields its url, stops it after."""
    port = free_port()
    url = f"http://localhost:{port}"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
               str(port), "--browser.gatherUsageStats", "false"]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "DAE_DATA_DIR": str(data_dir)},
        )  # fmt: skip
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while health(url) != "ok":
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {process.returncode}:\n{tail(log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer {url}/_stcore/health in time:\n{tail(log)}")
            time.sleep(POLL)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the whole group: streamlit's own children too
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


# --- reading and driving the page -------------------------------------------------------------------
def wait_until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(POLL)
    raise TimeoutError(f"gave up after {seconds:.0f} s waiting for {what}")


def wait_idle(page) -> None:
    """Until the script run is over and drawn (Streamlit shows skeletons for a moment after a run ends)."""
    page.wait_for_function(IDLE_JS, polling=50, timeout=SCRIPT_SECONDS * 1000)


def open_path(page, url: str, path: str) -> None:
    page.goto(url + path)
    page.locator('[data-testid="stApp"]').wait_for(timeout=SCRIPT_SECONDS * 1000)
    wait_idle(page)


def progress_text(page) -> str:
    bar = page.locator(PROGRESS)
    try:
        return bar.first.inner_text(timeout=1000) if bar.count() else ""
    except PlaywrightError:  # redrawn meanwhile
        return ""


def wait_done(page, seconds: float = RUN_SECONDS) -> str:
    """Until the progress bar in the main area says the run is done."""
    text = wait_until(lambda: re.search(r"\bdone\b", t := progress_text(page)) and t, seconds, "'… · done'")
    wait_idle(page)
    return text


def traces(page, key: str):
    try:
        return page.evaluate(TRACES_JS, key)
    except PlaywrightError:
        return None


def wait_for_chart(page, key: str, seconds: float = SCRIPT_SECONDS) -> None:
    wait_until(lambda: (drawn := traces(page, key)) and drawn[0]["points"] > 0, seconds, f"chart {key}")


def button(page, key: str):
    return page.locator(f".st-key-{key} button:visible")  # each button also has a hidden twin for measuring


def sidebar_expanded(page) -> bool:
    return page.locator('[data-testid="stSidebar"][data-collapsed="false"]').count() > 0


def open_sidebar(page) -> None:
    if sidebar_expanded(page):
        return
    expand = '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
    page.locator(expand).first.click()
    page.wait_for_selector('[data-testid="stSidebar"][data-collapsed="false"]', timeout=10_000)
    page.wait_for_timeout(400)  # the sidebar slides in


def close_sidebar_if_narrow(page) -> None:
    """At a phone's width the sidebar covers the page: fold it for the shot (Streamlit usually does itself)."""
    if page.viewport_size["width"] >= 768 or not sidebar_expanded(page):
        return
    with contextlib.suppress(PlaywrightError):
        page.locator('[data-testid="stSidebarCollapseButton"] button').first.click(timeout=5000)
        page.wait_for_timeout(400)


def go_to(page, path: str) -> None:
    """Click the sidebar's link to ``path``, as a user switches pages (the session and its run stay)."""
    page.wait_for_function(NAVIGATION_DRAWN, polling=50, timeout=SCRIPT_SECONDS * 1000)
    link = page.locator(f'[data-testid="stSidebarNav"] a[href$="{path}"]').first
    open_sidebar(page)  # folded at a phone's width: its links are then off the screen
    link.click()
    page.wait_for_function("path => location.pathname === path", arg=path, timeout=SCRIPT_SECONDS * 1000)
    wait_idle(page)
    close_sidebar_if_narrow(page)  # it stays open over the page after the click


def picture_zip(path: Path, per_folder: int = 24, size: int = 16) -> Path:
    """A zip of grayscale PNGs in two folders, ``stripes`` and ``checks``, each picture with its own noise."""
    import io
    import zipfile

    import numpy as np
    from PIL import Image

    rows, columns = np.indices((size, size))
    patterns = {"stripes": (rows // 2) % 2, "checks": (rows // 4 + columns // 4) % 2}
    with zipfile.ZipFile(path, "w") as archive:
        for label, (folder, pattern) in enumerate(patterns.items()):
            for i in range(per_folder):
                noise = np.random.default_rng(100 * label + i).uniform(0, 0.3, (size, size))
                png = io.BytesIO()
                Image.fromarray(np.uint8(255 * np.clip(0.6 * pattern + noise, 0, 1))).save(png, "PNG")
                archive.writestr(f"{folder}/{i:02d}.png", png.getvalue())
    return path


def shrink(path: Path) -> int:
    """Rewrite a large shot with a palette of 256 colours (Pillow, which Streamlit installs); its new size."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return path.stat().st_size


# --- the shots --------------------------------------------------------------------------------------
class Shooter:
    def __init__(self, out: Path):
        self.out = out
        self.written: list[Path] = []
        self.problems: list[str] = []

    def shoot(self, page, name: str) -> None:
        """The whole main area as ``<name>.png``: the viewport grows to its height for the shot."""
        close_sidebar_if_narrow(page)
        page.mouse.move(0, 0)  # no tooltip of the last button clicked: neither hovered nor focused
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        wait_idle(page)
        errors = page.locator(EXCEPTION)
        if errors.count():
            self.problems.append(f"{name}: the page shows an exception: {errors.first.inner_text()[:300]!r}")
        viewport = page.viewport_size
        height = page.evaluate("""() => document.querySelector('[data-testid="stMain"]').scrollHeight""")
        if height > MAX_HEIGHT:
            self.problems.append(f"{name}: the main area is {height} px high; the shot stops at {MAX_HEIGHT}")
        tall = max(viewport["height"], min(height, MAX_HEIGHT))
        if tall != viewport["height"]:
            page.set_viewport_size({"width": viewport["width"], "height": tall})
        page.wait_for_timeout(700)  # the charts follow the new size
        wait_idle(page)
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled")
        if tall != viewport["height"]:
            page.set_viewport_size(viewport)
        size = path.stat().st_size
        if size > LARGE_BYTES:
            size = shrink(path)
        print(f"  {path.name}: {viewport['width']}×{tall}, {size / 1000:.0f} kB", flush=True)
        if size > LARGE_BYTES:
            self.problems.append(f"{name}: {size / 1000:.0f} kB, more than {LARGE_BYTES / 1000:.0f} kB")
        self.written.append(path)

    def step(self, what: str, action) -> None:
        """Run one shot's steps; a failure is reported and the next shot goes on."""
        start = time.monotonic()
        try:
            action()
        except Exception as exc:  # report it, and take the other shots
            self.problems.append(f"{what}: failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
            print(f"  {what}: FAILED: {exc}", flush=True)
        print(f"  ({what}: {time.monotonic() - start:.1f} s)", flush=True)


def shots_at(
    browser,
    url: str,
    width: int,
    shooter: Shooter,
    groups=GROUPS,
    pictures: Path | None = None,
    slugs: frozenset[str] | None = None,
) -> None:
    """The shots of ``groups`` at ``width``; ``slugs``, if given, keeps only those lessons and views."""
    wanted = lambda slug: slugs is None or slug in slugs  # noqa: E731
    context = browser.new_context(viewport=VIEWPORTS[width])
    context.set_default_timeout(SCRIPT_SECONDS * 1000)
    page = context.new_page()
    try:

        def home_before_run() -> None:
            open_path(page, url, "/")
            shooter.shoot(page, f"page-home-before-run-{width}")

        def train_digits() -> None:
            open_path(page, url, "/train?dataset=digits")
            button(page, "btn_preset").click()
            wait_idle(page)
            button(page, "btn_train").click()
            wait_done(page)

        if "pages" in groups:
            shooter.step(f"home before any run at {width}", home_before_run)
            shooter.step(f"digits run at {width}", train_digits)
        for path, name, chart in PAGES if "pages" in groups else []:

            def visit(path=path, name=name, chart=chart) -> None:
                go_to(page, path)
                if chart:
                    wait_for_chart(page, chart)
                shooter.shoot(page, f"page-{name}-{width}")

            shooter.step(f"page {name} at {width}", visit)

        for slug in [slug for slug in LESSONS if wanted(slug)] if "lessons" in groups else []:

            def lesson(slug=slug) -> None:
                open_path(page, url, f"/?lesson={slug}")
                page.wait_for_function("() => location.pathname === '/train'", timeout=SCRIPT_SECONDS * 1000)
                page.locator(".st-key-lesson").get_by_text("Step 1.").first.wait_for()
                wait_done(page)
                wait_for_chart(page, "loss")
                shooter.shoot(page, f"lesson-{slug}-{width}")
                if slug == "manifold":
                    go_to(page, "/reconstructions")
                    wait_for_chart(page, "reconstruction")
                    shooter.shoot(page, f"page-reconstructions-manifold-{width}")

            shooter.step(f"lesson {slug} at {width}", lesson)

        for slug, (label, chart) in [item for item in VIEWS.items() if wanted(item[0])] if "views" in groups else []:

            def view(slug=slug, label=label, chart=chart) -> None:
                if page.url == "about:blank":  # views alone (--only views): the first view opens the page
                    open_path(page, url, "/papers")
                elif page.evaluate("() => location.pathname") != "/papers":
                    go_to(page, "/papers")
                page.locator(".st-key-paper_view").get_by_text(label, exact=True).click()
                # The view's own page (no result yet), not the last view's charts still on screen.
                page.locator(".st-key-btn_view_train").get_by_text("Train this view").wait_for()
                wait_idle(page)
                button(page, "btn_view_train").click()
                page.locator(".st-key-btn_view_train").get_by_text("Train again").wait_for()
                wait_until(
                    lambda: page.locator(".st-key-btn_view_stop").count() == 0 and traces(page, chart),
                    RUN_SECONDS,
                    f"the {slug} view to finish and draw its result",
                )  # through the live curves, to the result
                wait_idle(page)
                shooter.shoot(page, f"view-{slug}-{width}")

            shooter.step(f"view {slug} at {width}", view)

        def photos() -> None:
            open_path(page, url, f"/train?{PHOTOS_RUN}")
            button(page, "btn_train").click()
            wait_done(page)
            wait_for_chart(page, "loss")
            shooter.shoot(page, f"page-train-photos-{width}")
            go_to(page, "/reconstructions")
            wait_for_chart(page, "reconstruction")
            wait_for_chart(page, "whole_photo")
            shooter.shoot(page, f"page-reconstructions-photos-{width}")

        def train_pictures() -> None:
            open_path(page, url, f"/train?{PICTURES_RUN}")
            page.locator('.st-key-w_pictures_file input[type="file"]').set_input_files(pictures)
            page.get_by_text(PICTURES_IN_USE).wait_for()
            wait_idle(page)
            button(page, "btn_train").click()
            wait_done(page)
            wait_for_chart(page, "loss")
            shooter.shoot(page, f"page-train-pictures-{width}")

        def tune() -> None:
            open_path(page, url, f"/train?{TUNE_RUN}")
            go_to(page, "/tune")
            trials = page.locator(".st-key-tune_trials input")
            trials.fill(str(TUNE_TRIALS))
            trials.press("Enter")
            wait_idle(page)
            button(page, "btn_tune_start").click()
            wait_until(lambda: button(page, "btn_tune_train_this").count(), RUN_SECONDS, "the search to end")
            wait_for_chart(page, "tune_history")
            wait_idle(page)
            shooter.shoot(page, f"page-tune-{width}")

        if "tune" in groups:
            shooter.step(f"a search on Tune at {width}", tune)
        if "photos" in groups:
            shooter.step(f"conv run on photos at {width}", photos)
        if "pictures" in groups:
            shooter.step(f"zip of pictures at {width}", train_pictures)
    finally:
        context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go (default: docs/screenshots)")
    parser.add_argument("--widths", default="1280,420", help="comma-separated, of: 1280, 420")
    parser.add_argument("--only", default=",".join(GROUPS), help=f"comma-separated, of: {', '.join(GROUPS)}")
    parser.add_argument("--slugs", default="", help="comma-separated lessons and views to take (default: all)")
    args = parser.parse_args()
    slugs = frozenset(slug for slug in args.slugs.split(",") if slug) or None
    if slugs and (unknown := slugs - set(LESSONS) - set(VIEWS)):
        parser.error(f"--slugs: no lesson or view {', '.join(sorted(unknown))}")
    widths = [int(w) for w in args.widths.split(",")]
    groups = [group for group in args.only.split(",") if group]
    if unknown := set(groups) - set(GROUPS):
        parser.error(f"--only: no group {', '.join(sorted(unknown))}; the groups are {', '.join(GROUPS)}")
    executable = shutil.which("chromium")
    if executable is None:
        sys.exit("No 'chromium' on PATH; on Debian: apt-get install chromium.")
    args.out.mkdir(parents=True, exist_ok=True)
    shooter = Shooter(args.out)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dae-screenshots-") as tmp:
        log = Path(tmp) / "server.log"
        data = Path(tmp) / "data"
        data.mkdir()
        pictures = picture_zip(Path(tmp) / "pictures.zip")
        try:
            with running_server(log, data) as url, sync_playwright() as playwright:
                print(f"Server ready at {url} after {time.monotonic() - start:.1f} s", flush=True)
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                try:
                    for width in widths:
                        print(f"At {width} px:", flush=True)
                        shots_at(browser, url, width, shooter, groups, pictures, slugs)
                finally:
                    browser.close()
        except Exception:
            if log.exists():
                print(f"--- server output ---\n{tail(log)}", file=sys.stderr)
            raise
        if shooter.problems and log.exists():
            print(f"--- server output (last lines) ---\n{tail(log)}")
    print(f"\n{len(shooter.written)} screenshots in {args.out}, in {time.monotonic() - start:.0f} s.")
    for problem in shooter.problems:
        print(f"PROBLEM: {problem}")
    return 1 if shooter.problems else 0


if __name__ == "__main__":
    sys.exit(main())
