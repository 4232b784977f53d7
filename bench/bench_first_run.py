"""How long a new user waits: Home on a freshly started server, then "The original tutorial's setup" until the
chart has points.

Each trial starts its own ``streamlit run app.py`` (so every trial is the server's very first visitor, who pays the
one-off imports of PyTorch and scikit-learn), opens Home in a fresh headless-Chromium profile (nothing cached),
reads Home for a set time, clicks **The original tutorial's setup**, and waits for the live loss chart to hold at
least one epoch. The reading times rotate from trial to trial, so each one meets the machine in the same
range of states.

    python bench/bench_first_run.py                            # reads of 0, 1, 2 and 3 s, 3 trials each
    python bench/bench_first_run.py --python .venv/bin/python  # the server from another environment

Needs Playwright for Python and Debian's ``chromium`` (the dev requirements); prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CHART_HAS_POINTS = """() => {
    const chart = document.querySelector('.st-key-loss .js-plotly-plot');
    return Boolean(chart && chart._fullData && chart._fullData.some(trace => trace.x && trace.x.length > 0));
}"""
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TRAIN_WITH_DEFAULTS = ".st-key-btn_train_tutorial button"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the server at {url} did not answer its health check within {timeout:g} s")


def trial(browser, python: str, read_seconds: float) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [python, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true"]
    spawned = time.monotonic()
    server = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_for_health(url)
        ready = time.monotonic()
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(url)
        page.locator(TRAIN_WITH_DEFAULTS).wait_for(state="visible")
        page.wait_for_selector(APP_IDLE)
        home = time.monotonic()
        page.wait_for_timeout(read_seconds * 1000)
        clicked = time.monotonic()
        page.locator(TRAIN_WITH_DEFAULTS).click()
        page.wait_for_function(CHART_HAS_POINTS, polling=20, timeout=60_000)
        charted = time.monotonic()
        context.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
    return {"server_start": ready - spawned, "home_usable": home - ready, "click_to_chart": charted - clicked}


def span(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs the server")
    parser.add_argument("--reads", type=float, nargs="+", default=[0.0, 1.0, 2.0, 3.0], help="seconds on Home")
    parser.add_argument("--trials", type=int, default=3, help="trials per reading time")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        print("error: no chromium on PATH; on Debian: apt-get install chromium", file=sys.stderr)
        return 2
    results: dict[float, list[dict]] = {read: [] for read in args.reads}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for round_ in range(args.trials):
            shift = round_ % len(args.reads)
            for read in args.reads[shift:] + args.reads[:shift]:
                results[read].append(trial(browser, args.python, read))
                print(f"trial {round_ + 1}, read {read:g} s: {results[read][-1]}", file=sys.stderr)
        browser.close()

    print(f"{os.cpu_count()} cores, {args.trials} trials each; median (range), seconds\n")
    print("| reads Home for | server start → health ok | ready → Home usable | click → chart with points |")
    print("|---|---|---|---|")
    for read, rows in results.items():
        cells = [span([row[key] for row in rows]) for key in ("server_start", "home_usable", "click_to_chart")]
        print(f"| {read:g} s | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
