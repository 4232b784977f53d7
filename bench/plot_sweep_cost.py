"""The plot in the README's Speed section: what a sweep of K runs costs, batched, against K runs one after another.

For each K it trains a K-seed sweep on digits (64-128-16-128-64, 50 epochs) as one batched group and one run of
the same setup, alternately, on one thread; the cost is sweep seconds / one-run seconds (median of the rounds).
It writes the figure as HTML and, with Debian's chromium and Playwright, as the PNG the README shows:

    python bench/plot_sweep_cost.py                       # K = 1, 2, 3, 4, 8, 16; 3 rounds
    python bench/plot_sweep_cost.py --ks 1 2 4 --rounds 1
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

import plotly.graph_objects as go
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from dae_core import RunConfig, Trainer  # noqa: E402
from dae_core.data import load_dataset  # noqa: E402
from dae_core.figures import style  # noqa: E402
from dae_core.sweep import Sweep, expand  # noqa: E402

OUT = REPO_ROOT / "docs" / "screenshots" / "sweep-cost.png"
CONFIG = RunConfig().replace(dataset="digits", hidden_layers=(128,), hidden_dim=16, noise_level=0.4, epochs=50)


def seconds(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def measure(ks: list[int], rounds: int) -> dict[int, float]:
    dataset = load_dataset(CONFIG.data)
    one = lambda: list(Trainer(CONFIG, dataset).epochs())  # noqa: E731
    costs = {}
    for k in ks:
        configs = expand(CONFIG, {"seed": list(range(k))})
        sweep = lambda configs=configs: Sweep(configs, dataset).run()  # noqa: E731
        sweep(), one()  # warm-up
        ratios = []
        for round_ in range(rounds):  # the side that goes first alternates
            if round_ % 2 == 0:
                swept, alone = seconds(sweep), seconds(one)
            else:
                alone, swept = seconds(one), seconds(sweep)
            ratios.append(swept / alone)
        costs[k] = statistics.median(ratios)
        print(f"K = {k:2d}: sweep / one run {costs[k]:.2f} ({min(ratios):.2f}–{max(ratios):.2f})", flush=True)
    return costs


def figure(costs: dict[int, float]) -> go.Figure:
    ks = list(costs)
    fig = go.Figure(
        [
            go.Scatter(x=ks, y=ks, name="K runs one after another", mode="lines+markers", line={"dash": "dash"}),
            go.Scatter(x=ks, y=[costs[k] for k in ks], name="a K-run sweep, batched", mode="lines+markers"),
        ]
    )
    return style(
        fig,
        "What comparing K settings costs (digits, 50 epochs, one thread)",
        "runs in the sweep (K)",
        "time ÷ one run",
        width=760,
        height=420,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="*", default=[1, 2, 3, 4, 8, 16])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    fig = figure(measure(args.ks, args.rounds))
    html = OUT.with_suffix(".html")
    fig.write_html(html, include_plotlyjs=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 800, "height": 460})
        page.goto(html.as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg")
        page.screenshot(path=str(OUT))
        browser.close()
    html.unlink()
    print(f"wrote {OUT.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
