"""A class at once: N people open Home in their own browser session and press "The original tutorial's setup" together.

For each person it measures, from the moment the page was asked for or the button pressed:
- Home usable: the page's first script run is over and the button is there;
- first chart: the live loss chart shows at least one epoch;
- shown done: the page says the run is done (or stopped or failed, which counts as an error).

It also reports the server's CPU seconds (the server and every process it started) and the peak resident memory
of those processes. Run it by hand, for example:

    python bench/bench_class.py --people 2 8 30
    python bench/bench_class.py --people 8 --server-flag=--runner.postScriptGC=true   # the old default
    python bench/bench_class.py --people --sequential 50   # memory growth over 50 runs in one session

Every size gets a fresh server. Needs Debian's chromium and Playwright for Python.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
POINTS_JS = """() => {
    const chart = document.querySelector('.st-key-loss .js-plotly-plot');
    return chart && chart._fullData && chart._fullData[0] ? (chart._fullData[0].x || []).length : 0;
}"""
PROGRESS_JS = """() => {
    const bar = document.querySelector('[data-testid="stMain"] [data-testid="stProgress"]');
    return bar ? bar.innerText : '';
}"""
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def group_usage(pgid: int | None) -> tuple[float, int]:
    """(CPU seconds, resident kB) summed over the live processes of a process group; None: every Chromium process
    (the browser shares the machine with the server, so its load slows what the server shows)."""
    cpu, rss = 0.0, 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if (int(fields[2]) != pgid) if pgid is not None else not stat.split("(", 1)[1].startswith("chrom"):
                continue
            cpu += (int(fields[11]) + int(fields[12])) / TICKS
            status = (entry / "status").read_text()
            rss += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) if "VmRSS" in status else 0
        except (OSError, AttributeError, IndexError, ValueError):
            continue
    return cpu, rss


def start_server(port: int, flags: list[str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--browser.gatherUsageStats", "false", *flags]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return process
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


def _console(trouble: dict[int, list[str]], page: int, message) -> None:
    # Outside addresses (fonts, telemetry) fail on a machine without internet; everything else is worth seeing.
    if message.type == "error" and "ERR_NAME_NOT_RESOLVED" not in message.text:
        trouble.setdefault(page, []).append(f"console: {message.text}"[:300])


def run_class(browser, url: str, people: int, pgid: int, limit: float) -> dict:
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(people)]
    pages = [context.new_page() for context in contexts]
    trouble: dict[int, list[str]] = {}  # what the browser said went wrong in a page: a crash, an error
    for i, page in enumerate(pages):
        page.on("crash", lambda _page, i=i: trouble.setdefault(i, []).append("the page crashed"))
        page.on("pageerror", lambda error, i=i: trouble.setdefault(i, []).append(f"page error: {error}"[:300]))
        page.on("console", lambda message, i=i: _console(trouble, i, message))
    cpu_before, _ = group_usage(pgid)
    browser_before, _ = group_usage(None)
    peak_kb = 0
    asked = {}
    for i, page in enumerate(pages):
        asked[i] = time.monotonic()
        page.goto(url + "/", wait_until="commit")
    usable, clicked, first_chart, done, errors = {}, {}, {}, {}, {}
    deadline = time.monotonic() + limit
    while len(done) + len(errors) < people and time.monotonic() < deadline:
        for i, page in enumerate(pages):
            if i in done or i in errors:
                continue
            try:
                if i not in usable:
                    if page.locator(IDLE).count() and page.locator(".st-key-btn_train_tutorial button").count():
                        usable[i] = time.monotonic() - asked[i]
                        page.locator(".st-key-btn_train_tutorial button").first.click(no_wait_after=True)
                        clicked[i] = time.monotonic()
                    continue
                if i not in first_chart and page.evaluate(POINTS_JS) > 0:
                    first_chart[i] = time.monotonic() - clicked[i]
                text = page.evaluate(PROGRESS_JS)
                if re.search(r"\bdone\b", text):
                    done[i] = time.monotonic() - clicked[i]
                elif re.search(r"\b(stopped|failed)\b", text) or page.locator('[data-testid="stException"]').count():
                    errors[i] = text or "exception"
            except Exception as exc:  # a page in the middle of a redraw: look again next round
                if "Target closed" in str(exc):
                    errors[i] = str(exc)
        peak_kb = max(peak_kb, group_usage(pgid)[1])
        time.sleep(0.1)
    stuck = {}
    for i, page in enumerate(pages):
        if i not in done and i not in errors:
            if os.environ.get("BENCH_SHOTS"):
                page.screenshot(path=f"{os.environ['BENCH_SHOTS']}/stuck-{people}-{i}.png")
            try:
                stuck[i] = page.evaluate(PROGRESS_JS) or page.locator('[data-testid="stMain"]').inner_text()[:200]
            except Exception as exc:  # the page is gone or redrawing
                stuck[i] = str(exc)[:200]
    cpu_after, _ = group_usage(pgid)
    browser_after, _ = group_usage(None)
    for context in contexts:
        context.close()
    return {
        "people": people,
        "home_usable_s_max": round(max(usable.values()), 2) if usable else None,
        "first_chart_s_p50": percentile(list(first_chart.values()), 0.5),
        "first_chart_s_p95": percentile(list(first_chart.values()), 0.95),
        "shown_done": len(done),
        "done_s_max": round(max(done.values()), 2) if done else None,
        "errors": errors,
        "never_usable": people - len(usable),
        "not_shown_done": stuck,
        "browser_trouble": trouble,
        "server_cpu_s": round(cpu_after - cpu_before, 1),
        "browser_cpu_s": round(browser_after - browser_before, 1),
        "server_peak_mb": round(peak_kb / 1024),
    }


def process_rss_kb(pid: int) -> int:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))


def run_sequence(browser, url: str, runs: int, pgid: int) -> dict:
    """One person trains ``runs`` small runs one after another: how much do the server and its workers grow?"""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(url + "/train?n_samples=300&epochs=20")
    page.wait_for_selector(IDLE)
    sizes = []
    for i in range(runs + 1):
        page.locator(".st-key-btn_train button:visible").click()
        deadline = time.monotonic() + 60
        while not re.search(r"Epoch 20/20 .*\bdone\b", page.evaluate(PROGRESS_JS) or ""):
            if time.monotonic() > deadline:
                raise SystemExit(f"run {i} was not shown done: {page.evaluate(PROGRESS_JS)!r}")
            time.sleep(0.1)
        page.wait_for_selector(IDLE)
        sizes.append((process_rss_kb(pgid), group_usage(pgid)[1]))
    page.context.close()
    (server_first, all_first), (server_last, all_last) = sizes[0], sizes[-1]  # the first run warms the caches
    return {
        "sequential_runs": runs,
        "server_growth_mb": round((server_last - server_first) / 1024, 1),
        "server_and_workers_growth_mb": round((all_last - all_first) / 1024, 1),
        "server_mb_after": round(server_last / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="*", default=[2, 8])
    parser.add_argument("--limit", type=float, default=180.0, help="seconds to wait for every run to be shown done")
    parser.add_argument("--sequential", type=int, default=0, help="then one person trains this many runs in a row")
    parser.add_argument("--server-flag", action="append", default=[], help="an extra flag for streamlit run")
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=19,
        help="niceness of the browser (default 19: in a class each browser runs on its own machine, so here the "
        "browser only gets what the server leaves; 0 lets them compete as equals)",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        wrapper = Path(tempfile.mkdtemp()) / "chromium"
        wrapper.write_text(f'#!/bin/sh\nexec nice -n {args.browser_nice} {shutil.which("chromium")} "$@"\n')
        wrapper.chmod(0o755)
        browser = playwright.chromium.launch(executable_path=str(wrapper), args=CHROMIUM_ARGS)
        for people in args.people:
            port = free_port()
            server = start_server(port, args.server_flag)
            try:
                result = run_class(browser, f"http://localhost:{port}", people, server.pid, args.limit)
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
            result["server_flags"], result["browser_nice"] = args.server_flag, args.browser_nice
            results.append(result)
            print(json.dumps(result), flush=True)
        if args.sequential:
            port = free_port()
            server = start_server(port, args.server_flag)
            try:
                print(json.dumps(run_sequence(browser, f"http://localhost:{port}", args.sequential, server.pid)))
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
        browser.close()
    for key in ("first_chart_s_p50", "first_chart_s_p95"):
        values = [r[key] for r in results if r[key] is not None]
        if values:
            print(f"{key}: median over sizes {statistics.median(values):.2f}")


if __name__ == "__main__":
    main()
