"""What a hostile upload costs the real server: memory above idle, and seconds until the page says it is refused.

It serves the app as a shared demo does (``streamlit run app.py`` with ``DAE_PROFILE=public``: 256 columns, 20,000
rows, 10 MB per upload, 1,000,000 parameters; a temporary ``DAE_DATA_DIR``), opens it in headless Chromium, and
uploads each file through the page's own uploader: a table on Train with the dataset "Table (CSV)", a model file
in the sidebar's "Import a model file". Files, made in a temporary folder:

- a CSV of 300 columns × 10 rows (8 KB), past the column limit: the control, what any refusal costs;
- a CSV of 360,000 columns × 10 rows (9.5 MB);
- a CSV of 31.5 MB, past the 10 MB cap;
- a CSV of 300,000 rows × 2 columns (2.5 MB), past the row limit;
- a model file of 118,000 zip members (9.4 MB: the browser's uploader counts 10 MB as 10,000,000 bytes);
- a model file whose meta.json nests 200,000 levels deep;
- a model file of a few KB whose config asks for 8 hidden layers of 4096 units;
- a valid model file of 109 million (zero) parameters, and one whose weights member unpacks to 500 MB of zeros.

Each upload is made in a fresh browser session, and each file is uploaded ``--trials`` times (rounds over all the
files). A thread reads VmRSS of the server and every process below it every 5 ms (from /proc), from just before the
upload until the refusal shows on the page. The table has the seconds from handing the file to the page until the
message, and the peak of that memory above its value just before the upload (the page open and idle): median and
maximum over the trials.

Goal: every file refused within 2 s and 20 MB above idle.

    python bench/bench_upload_memory.py
    python bench/bench_upload_memory.py --json upload.json

Needs Playwright for Python and Debian's ``chromium`` (the dev requirements).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

from bench_class import CHROMIUM_ARGS, free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
IDLE_JS = """() => document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    && !document.querySelector('[data-testid="stSkeleton"]')"""
# The refusal in the uploader's part of the page: the app's error, or the uploader's own note on a file it would
# not send (Streamlit's "File must be 10.0MB or smaller.").
MESSAGE_JS = """(where) => {
    const part = document.querySelector(where);
    if (!part) return '';
    const alert = part.querySelector('[data-testid="stAlertContentError"]');
    if (alert) return alert.innerText;
    const uploader = [...part.querySelectorAll('[data-testid="stFileUploader"]')]
        .find(element => /or smaller|not allowed/.test(element.innerText));
    return uploader ? uploader.innerText : '';
}"""
GOAL_SECONDS, GOAL_MB = 2.0, 20.0
SAMPLE_SECONDS = 0.005


# --- the files -------------------------------------------------------------------------------------------


def _csv_of_columns(columns: int, rows: int) -> bytes:
    return (",".join(f"c{i}" for i in range(columns)) + "\n" + (",".join(["1"] * columns) + "\n") * rows).encode()


def _csv_of_size(megabytes: float) -> bytes:
    line = b"0.123456789,0.987654321,0.5\n"
    return b"a,b,c\n" + line * int(megabytes * 2**20 // len(line))


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
        if not number:
            return digits


def _members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items() if isinstance(members, dict) else members:
            archive.writestr(name, content)
    return buffer.getvalue()


def model_files() -> dict[str, bytes]:
    import torch

    from dae_core import RunConfig, model_file
    from dae_core.data import load_dataset
    from dae_core.training import TrainedModel

    def model(config: RunConfig) -> TrainedModel:
        return TrainedModel.of_dataset(config, load_dataset(config.data))

    small = _members(model_file.to_bytes(model(RunConfig().replace(dataset="moons", hidden_dim=1, epochs=1))))
    meta = json.loads(small["meta.json"])
    meta["config"]["model"]["hidden_layers"] = [4096] * 8
    asks_for_more = _zip({**small, "meta.json": json.dumps(meta).encode()})
    many = [(_base36(i), b"") for i in range(118_000)] + list(small.items())  # 84 bytes a member: 9.5 MB
    nested = _zip({**small, "meta.json": b"[" * 200_000 + b"]" * 200_000})
    big = model(RunConfig().replace(n_features=1000, hidden_layers=(4096, 4096, 4096), hidden_dim=4096, epochs=1))
    with torch.no_grad():
        for parameter in big.model.parameters():
            parameter.zero_()
    return {
        "model: 118,000 zip members": _zip(many, zipfile.ZIP_STORED),
        "model: meta.json nested 200,000 deep": nested,
        "model: config asks for 8 × 4096": asks_for_more,
        "model: valid, 109 M zero parameters": model_file.to_bytes(big),
        "model: weights unpack to 500 MB": _zip({**small, "weights.safetensors": bytes(500 * 2**20)}),
    }


def hostile_files(folder: Path) -> list[tuple[str, Path]]:
    """(label, path) of every file, written to ``folder``: tables first, then model files."""
    long = b"a,b\n" + b"".join(b"%d,%d\n" % (i, i % 7) for i in range(300_000))
    made = {
        "csv: 300 columns × 10 rows (the control: small, refused)": ("control.csv", _csv_of_columns(300, 10)),
        "csv: 360,000 columns × 10 rows": ("wide.csv", _csv_of_columns(360_000, 10)),
        "csv: 31.5 MB": ("large.csv", _csv_of_size(31.5)),
        "csv: 300,000 rows × 2 columns": ("long.csv", long),
    }
    made |= {label: (f"model{i}.dae", content) for i, (label, content) in enumerate(model_files().items())}
    files = []
    for label, (name, content) in made.items():
        (folder / name).write_bytes(content)
        files.append((label, folder / name))
    return files


# --- the server and its memory ---------------------------------------------------------------------------


def wait_for_health(url: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not answer its health check within {timeout:g} s")


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (its children's children too), from /proc."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                queue += [int(child) for child in Path(f"/proc/{current}/task/{task}/children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    """The resident memory of a process and all below it, summed, every ``SAMPLE_SECONDS``; ``peak()`` since the
    last ``reset()``. The list of processes is read again every 100 ms (a worker may start)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.pids, self.listed = pid, [pid], 0.0
        self.current = self._peak = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stopping.is_set():
            now = time.monotonic()
            if now - self.listed > 0.1:
                self.pids, self.listed = _descendants(self.pid), now
            total = sum(_rss_kb(pid) for pid in self.pids)
            with self.lock:
                self.current, self._peak = total, max(self._peak, total)
            time.sleep(SAMPLE_SECONDS)

    def reset(self) -> int:
        """Start a new peak from the memory now; returns it (kB)."""
        time.sleep(3 * SAMPLE_SECONDS)
        with self.lock:
            self._peak = self.current
            return self.current

    def peak(self) -> int:
        with self.lock:
            return self._peak


# --- one upload ------------------------------------------------------------------------------------------


def upload(browser, url: str, sampler: RssSampler, path: Path, timeout: float) -> dict:
    """Open a fresh session on the uploader's page, hand it ``path``, and wait for the refusal: one measurement."""
    is_table = path.suffix == ".csv"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{url}/train?dataset=csv" if is_table else f"{url}/train")
    page.wait_for_function(IDLE_JS, polling=50)
    page.wait_for_timeout(1000)  # the page's own after-load work (a timer's first tick) is not the upload's
    where = '[data-testid="stMain"]' if is_table else '[data-testid="stSidebar"]'
    uploader = page.locator(f'[class*="st-key-{"w_csv_file" if is_table else "model_file"}"] input[type=file]')
    idle_kb = sampler.reset()
    started = time.monotonic()
    uploader.set_input_files(path)  # a path: the local browser reads the file itself, nothing goes through Playwright
    try:
        message = page.wait_for_function(MESSAGE_JS, arg=where, polling=10, timeout=timeout * 1000).json_value()
    except Exception as exc:  # a file that is never refused is a row of the table, not a crash
        message = f"(no message within {timeout:g} s: {type(exc).__name__})"
    seconds = time.monotonic() - started
    peak_kb = sampler.peak()
    context.close()
    return {"seconds": seconds, "idle_mb": idle_kb / 1024, "above_idle_mb": (peak_kb - idle_kb) / 1024,
            "message": " ".join(message.split())}  # fmt: skip


def summary(label: str, path: Path, trials: list[dict]) -> dict:
    seconds, above = [t["seconds"] for t in trials], [t["above_idle_mb"] for t in trials]
    return {
        "file": label,
        "size_bytes": path.stat().st_size,
        "seconds_median": round(statistics.median(seconds), 2),
        "seconds_max": round(max(seconds), 2),
        "idle_mb": round(trials[0]["idle_mb"], 1),
        "above_idle_mb_median": round(statistics.median(above), 1),
        "above_idle_mb_max": round(max(above), 1),
        "message": trials[-1]["message"],
        "trials": [{key: round(value, 3) for key, value in t.items() if key != "message"} for t in trials],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the rows as JSON to this file")
    parser.add_argument("--trials", type=int, default=3, help="uploads of each file (rounds over all files)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for one file's message")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        print("error: no chromium on PATH; on Debian: apt-get install chromium", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO_ROOT))
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        files = hostile_files(folder)
        measured: dict[str, list[dict]] = {label: [] for label, _ in files}
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DAE_PROFILE": "public", "DAE_DATA_DIR": str(folder / "data")}
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                   "--server.port", str(port), "--browser.gatherUsageStats", "false"]  # fmt: skip
        with (folder / "server.log").open("wb") as log:
            server = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)  # fmt: skip
        sampler = RssSampler(server.pid)
        try:
            wait_for_health(url, server)
            sampler.start()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                for round_ in range(args.trials):
                    for label, path in files:
                        measured[label].append(upload(browser, url, sampler, path, args.timeout))
                        print(f"round {round_ + 1}, {label}: {json.dumps(measured[label][-1])}", file=sys.stderr)
                browser.close()
        finally:
            sampler.stopping.set()
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        rows = [summary(label, path, measured[label]) for label, path in files]

    print(f"{os.cpu_count()} cores, DAE_PROFILE=public, {args.trials} uploads of each file, median (max); goal: "
          f"refused within {GOAL_SECONDS:g} s and {GOAL_MB:g} MB above idle\n")  # fmt: skip
    print("| file | size | seconds to message | peak above idle (MB) | message |")
    print("|---|---|---|---|---|")
    for row in rows:
        seconds = f"{row['seconds_median']:.2f} ({row['seconds_max']:.2f})"
        above = f"{row['above_idle_mb_median']:.1f} ({row['above_idle_mb_max']:.1f})"
        size = row["size_bytes"] / 2**20
        size = f"{size:.1f} MB" if size >= 0.1 else f"{row['size_bytes'] / 1024:.1f} KB"
        print(f"| {row['file']} | {size} | {seconds} | {above} | {row['message'][:80]} |")
    print(f"\nServer idle before the first upload: {rows[0]['idle_mb']:,.0f} MB (the server and its workers).")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    missed = [row["file"] for row in rows if row["seconds_max"] > GOAL_SECONDS or row["above_idle_mb_max"] > GOAL_MB]
    print(
        f"{len(rows) - len(missed)} of {len(rows)} within the goal in every upload; missed:",
        ", ".join(missed) or "none",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
