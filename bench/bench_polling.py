"""What a watching tab costs the server: its CPU while tabs sit on a page and look at a run.

Each scenario starts a fresh server, opens ``--tabs`` browser sessions, puts each one's run in a state (paused
after one epoch, training, or done), leaves it on a page, and then measures the CPU time of the server process
alone (not its training workers) over ``--seconds``. It prints the percent of one core per watching tab:

    python bench/bench_polling.py                    # every scenario, 4 tabs, 20 s each
    python bench/bench_polling.py --scenarios paused-train --tabs 2 --seconds 10

Needs Debian's chromium and Playwright for Python.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

from bench_class import CHROMIUM_ARGS, IDLE, PROGRESS_JS, TICKS, free_port, start_server

# scenario: (link to open, button to press on Train, status to wait for, page to watch from)
SCENARIOS = {
    "paused-train": ("/train?epochs=200", "btn_step", "paused", None),
    "paused-reconstructions": ("/train?epochs=200", "btn_step", "paused", "Reconstructions"),
    "running-train": ("/train?epochs=2000&n_samples=300", "btn_train", "running", None),
    "running-reconstructions": ("/train?epochs=2000&n_samples=300", "btn_train", "running", "Reconstructions"),
    "done-train": ("/train?epochs=5&n_samples=300", "btn_train", "done", None),
}


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def sidebar_status(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def prepare(page, url: str, scenario: str) -> None:
    link, button, status, watch_from = SCENARIOS[scenario]
    page.goto(url + link)
    page.wait_for_selector(IDLE)
    page.locator(f".st-key-{button} button:visible").click()
    deadline = time.monotonic() + 60
    while not re.search(rf"\b{status}\b", page.evaluate(PROGRESS_JS) or ""):
        if time.monotonic() > deadline:
            raise SystemExit(f"{scenario}: the run never showed {status!r}: {page.evaluate(PROGRESS_JS)!r}")
        time.sleep(0.1)
    if watch_from:
        page.get_by_role("link", name=watch_from).click()
        page.wait_for_selector(f'h1:has-text("{watch_from}")')
        page.wait_for_selector(IDLE)


def measure(browser, scenario: str, tabs: int, seconds: float) -> dict:
    port = free_port()
    server = start_server(port, [])
    try:
        pages = [browser.new_context(viewport={"width": 1280, "height": 800}).new_page() for _ in range(tabs)]
        for page in pages:
            prepare(page, f"http://localhost:{port}", scenario)
        time.sleep(2.0)  # the last page's own redraw is over
        before, started = process_cpu_seconds(server.pid), time.monotonic()
        time.sleep(seconds)
        used, elapsed = process_cpu_seconds(server.pid) - before, time.monotonic() - started
        for page in pages:
            page.context.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {
        "scenario": scenario,
        "tabs": tabs,
        "server_cpu_percent_per_tab": round(100 * used / elapsed / tabs, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", nargs="*", default=list(SCENARIOS), choices=list(SCENARIOS))
    parser.add_argument("--tabs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        for scenario in args.scenarios:
            print(json.dumps(measure(browser, scenario, args.tabs, args.seconds)), flush=True)
        browser.close()


if __name__ == "__main__":
    main()
