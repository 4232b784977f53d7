"""A class at once, measured at the server: each person is a client that speaks Streamlit's own websocket protocol
and renders nothing, so the figures are the server's share of what people wait for.

``bench_class.py`` runs the same class in headless Chromium on this machine, where the browsers' rendering takes
most of the two cores (a one-button Streamlit app already needs about 6 s there for eight tabs). In a class each
browser runs on its own machine; this bench leaves the server's cores to the server, as a class would.

Each person opens Home as a browser's first visit does (the page, then every script and style sheet it names,
then the websocket and a full script run), waits until it is drawn, presses **Train
with defaults** (a button press, as the browser sends it), then follows the Train page as the browser does: it runs
the page's timed fragments on the intervals the server gives (``auto_rerun``), exactly as the browser's timers do:
every interval, whether or not a run is in progress, and forgotten at each full run. It measures:
- Home usable: from asking for the page to the end of the first script run that drew the button;
- first chart: from the press to the first live loss chart whose curves hold at least one epoch;
- shown done: from the press to the first progress bar that says the run is done (stopped or failed: an error);
- what each watching page receives while its run trains: kB and deltas per second, from its first chart until done.

    python bench/bench_class_ws.py --people 2 8 30
    python bench/bench_class_ws.py --people 30 --profile server.txt   # and py-spy's samples of the server

Every size gets a fresh server. Needs only the app's own requirements.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

import websockets
from bench_class import free_port, group_usage, percentile, start_server
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

BUTTON_KEY = "btn_train_tutorial"
CHART_KEY = "-loss"  # element ids end with "-<key>"


def fetch_page(url: str) -> None:
    """What a browser downloads before it opens the websocket: the page and the files it names."""
    with urllib.request.urlopen(url + "/", timeout=60) as response:
        html = response.read().decode()
    for path in re.findall(r'(?:src|href)="\./(static/[^"]+)"', html):
        with urllib.request.urlopen(f"{url}/{path}", timeout=60) as response:
            response.read()


def points(spec: str) -> int:
    """How many x values the first curve of a Plotly figure's JSON holds (plain lists or base64 typed arrays)."""
    data = json.loads(spec).get("data") or [{}]
    x = data[0].get("x")
    if isinstance(x, dict) and "bdata" in x:
        size = {"f8": 8, "i4": 4, "i2": 2, "i1": 1, "u1": 1, "f4": 4, "u2": 2, "u4": 4, "i8": 8}[x["dtype"]]
        return len(base64.b64decode(x["bdata"])) // size
    return len(x or [])


class Person:
    def __init__(self, url: str):
        self.url = url
        self.page_hash = ""
        self.timers: dict[str, tuple[float, asyncio.Task]] = {}  # fragment id: (interval, timer)
        self.button_id: str | None = None
        self.asked = self.clicked = 0.0
        self.usable = self.first_chart = self.done = None
        self.error: str | None = None
        self.queued = self.told_place = False  # the run waited in line; the page said where
        self.socket = None
        self.sent_bytes = self.sent_deltas = 0  # what the server sent this page from its first chart until done

    async def send_rerun(self, *, fragment_id: str = "", trigger: str | None = None) -> None:
        message = BackMsg()
        state = message.rerun_script
        state.page_script_hash = self.page_hash
        if fragment_id:
            state.fragment_id, state.is_auto_rerun = fragment_id, True
        if trigger:
            widget = state.widget_states.widgets.add()
            widget.id, widget.trigger_value = trigger, True
        await self.socket.send(message.SerializeToString())

    async def tick(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.send_rerun(fragment_id=fragment_id)

    def stop_timers(self, fragment_ids=None) -> None:
        for fragment_id in list(fragment_ids if fragment_ids is not None else self.timers):
            _, task = self.timers.pop(fragment_id, (None, None))
            if task:
                task.cancel()

    def home_drawn(self, message: ForwardMsg) -> bool:
        finished = message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
        return finished and not self.clicked and self.button_id is not None

    async def handle(self, message: ForwardMsg, size: int = 0) -> None:
        kind = message.WhichOneof("type")
        now = time.monotonic()
        if self.first_chart is not None and self.done is None:
            self.sent_bytes += size
            self.sent_deltas += kind == "delta"
        if kind == "new_session":
            self.page_hash = message.new_session.page_script_hash
            if not message.metadata.run.fragment_ids:
                self.stop_timers()  # a full run: the page's timers are declared afresh
        elif kind == "auto_rerun":
            rerun = message.auto_rerun
            if self.timers.get(rerun.fragment_id, (None,))[0] != rerun.interval:
                self.stop_timers([rerun.fragment_id])
                task = asyncio.create_task(self.tick(rerun.fragment_id, rerun.interval))
                self.timers[rerun.fragment_id] = (rerun.interval, task)
        elif kind == "stop_auto_rerun":
            self.stop_timers(message.stop_auto_rerun.fragment_ids)
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            which = element.WhichOneof("type")
            if which == "button" and element.button.id.endswith(BUTTON_KEY):
                self.button_id = element.button.id
            elif which == "alert" and re.search(r"\d+(st|nd|rd|th) in line", element.alert.body):
                self.told_place = True
            elif which == "exception":
                self.error = f"exception: {element.exception.message}"[:200]
            elif self.clicked and which == "plotly_chart" and element.plotly_chart.id.endswith(CHART_KEY):
                if self.first_chart is None and points(element.plotly_chart.spec) > 0:
                    self.first_chart = now - self.clicked
            elif self.clicked and which == "progress":
                text = element.progress.text
                self.queued |= bool(re.search(r"\bqueued\b", text))
                if re.search(r"\bdone\b", text) and self.done is None:
                    self.done = now - self.clicked
                elif re.search(r"\b(stopped|failed)\b", text):
                    self.error = text
        elif kind == "script_finished" and self.home_drawn(message):  # press the button
            self.usable = now - self.asked
            self.clicked = time.monotonic()
            await self.send_rerun(trigger=self.button_id)

    async def attend(self, deadline: float) -> None:
        host = self.url.split("//", 1)[1]
        self.asked = time.monotonic()
        try:
            await asyncio.to_thread(fetch_page, self.url)
            async with websockets.connect(
                f"ws://{host}/_stcore/stream", subprotocols=["streamlit"], max_size=None, origin=self.url
            ) as socket:
                self.socket = socket
                await self.send_rerun()
                while self.done is None and self.error is None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        raw = await asyncio.wait_for(socket.recv(), left)
                    except TimeoutError:
                        break
                    if isinstance(raw, bytes):
                        await self.handle(ForwardMsg.FromString(raw), len(raw))
        except (OSError, websockets.WebSocketException) as exc:
            self.error = f"connection: {exc}"[:200]
        finally:
            self.stop_timers()


async def run_class(url: str, people: int, pgid: int, limit: float) -> dict:
    persons = [Person(url) for _ in range(people)]
    cpu_before, _ = group_usage(pgid)
    peak_kb = 0
    deadline = time.monotonic() + limit
    attending = asyncio.gather(*(person.attend(deadline) for person in persons))
    while not attending.done():
        peak_kb = max(peak_kb, group_usage(pgid)[1])
        await asyncio.sleep(0.2)
    await attending
    cpu_after, _ = group_usage(pgid)
    usable = [p.usable for p in persons if p.usable is not None]
    charts = [p.first_chart for p in persons if p.first_chart is not None]
    done = [p.done for p in persons if p.done is not None]
    watched = [(p.sent_bytes, p.sent_deltas, p.done - p.first_chart) for p in persons if p.done and p.first_chart]
    rates = [(size / seconds, deltas / seconds) for size, deltas, seconds in watched if seconds > 0]
    return {
        "people": people,
        "home_usable_s_max": round(max(usable), 2) if usable else None,
        "home_usable_s_p95": percentile(usable, 0.95),
        "first_chart_s_p50": percentile(charts, 0.5),
        "first_chart_s_p95": percentile(charts, 0.95),
        "shown_done": len(done),
        "done_s_max": round(max(done), 2) if done else None,
        "errors": {i: p.error for i, p in enumerate(persons) if p.error},
        "never_usable": people - len(usable),
        "queued": sum(p.queued for p in persons),
        "queued_and_told_their_place": sum(p.queued and p.told_place for p in persons),
        "server_cpu_s": round(cpu_after - cpu_before, 1),
        "kb_per_s_training_p50": round(percentile([r[0] for r in rates], 0.5) / 1024, 1) if rates else None,
        "deltas_per_s_training_p50": round(percentile([r[1] for r in rates], 0.5), 1) if rates else None,
        "server_peak_mb": round(peak_kb / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="*", default=[2, 8, 30])
    parser.add_argument("--limit", type=float, default=180.0, help="seconds to wait for every run to be shown done")
    parser.add_argument("--server-flag", action="append", default=[], help="an extra flag for streamlit run")
    parser.add_argument("--profile", help="record the server's threads with py-spy into this file (collapsed stacks)")
    args = parser.parse_args()
    for people in args.people:
        port = free_port()
        server = start_server(port, args.server_flag)
        profiler = None
        if args.profile:  # the server process only: its workers train, and are not what pages wait for
            command = ["py-spy", "record", "--pid", str(server.pid), "--format", "raw", "--rate", "50", "--nonblocking"]
            profiler = subprocess.Popen([*command, "--output", args.profile], stdout=subprocess.DEVNULL)
        try:
            result = asyncio.run(run_class(f"http://localhost:{port}", people, server.pid, args.limit))
        finally:
            if profiler:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(timeout=60)
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        result["server_flags"] = args.server_flag
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
