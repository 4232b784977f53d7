"""The views from the papers: each view's sweep, started in the worker pool and cached for the session, and how
its progress and result are drawn."""

from __future__ import annotations

import streamlit as st

from dae_core import figures
from dae_core.errors import ConfigError, DAEError
from dae_core.serving.limits import LIMITS_TABLE
from dae_core.serving.remote import RemoteSweep, RemoteWork
from dae_core.views import MAX_LEVELS, ViewResult, ViewSweep

from . import runs, server
from .session import lab
from .widgets import metric_row, plain

POLL_SECONDS = 0.5
STOP_WAIT_SECONDS = 1.0  # long enough for a stopped sweep to end, short enough not to hold the page
GALLERY_UNITS = 36  # filters drawn per model: 6 x 6 tiles, enough to see their kind; the table measures them all
_FORMATS = {
    "filter smoothness": st.column_config.NumberColumn(format="%.3f"),
    "edge-likeness": st.column_config.NumberColumn(
        format="%.3f", help="The share of filters tuned to one orientation (edges, bars): near 0 for speckle or blobs."
    ),
    "test MSE": st.column_config.NumberColumn(format="%.4f"),
    "noisy input MSE": st.column_config.NumberColumn(format="%.4f"),
    "probe accuracy": st.column_config.NumberColumn(format="%.3f"),
}


def most_levels() -> int:
    """How many training levels a view may sweep here: the views' own maximum, or fewer under the server's limit."""
    return min(MAX_LEVELS, server.LIMITS.max_sweep_members)


def check_levels(levels: tuple[float, ...]) -> tuple[float, ...]:
    """``levels``, or a ``ConfigError`` naming the limit's variable when the view would train more models than one
    sweep may here (one per level): said as the levels are typed, before anything trains."""
    limit = server.LIMITS.max_sweep_members
    if len(levels) > limit:
        raise ConfigError(
            f"This view trains one model per noise level, {len(levels)} models; the limit here is {limit} "
            f"({LIMITS_TABLE['max_sweep_members'][0]}). Give at most {limit} noise levels."
        )
    return levels


def start(spec: ViewSweep) -> RemoteSweep | None:
    """Train ``spec`` in the pool, replacing the view's earlier sweep; None, with the reason shown, if refused (the
    earlier sweep then goes on)."""
    sweeps = lab().sweeps
    earlier = sweeps.get(spec.slug)
    try:
        job = RemoteSweep(
            spec, pool=server.pool(), limits=server.LIMITS, page_open=runs.page_open(), visitor=runs.visitor_key()
        )
        job.start(replacing=earlier)  # refused when the queue is full, or the visitor has their most runs going
    except DAEError as exc:
        st.error(plain(str(exc)))
        return None
    if earlier is not None:
        earlier.stop()
    sweeps[spec.slug] = job
    job.wait_for(lambda s: s.epoch > 0 or s.finished, runs.FIRST_POINT_SECONDS)
    return job


def sweep(slug: str) -> RemoteSweep | None:
    """The view's latest sweep in this session (running, ended or stopped); None before its first."""
    return lab().sweeps.get(slug)


def stop(job: RemoteWork) -> None:
    """Stop ``job`` (a view's sweep, or a search) and draw the page again. It waits a moment for the job to end
    first, so the new run of the page finds it finished and shows why it stopped, not a progress bar that no longer
    moves."""
    job.stop()
    job.join(STOP_WAIT_SECONDS)
    st.rerun()


def progress_ui(job: RemoteSweep, drawn_status: str) -> None:
    """The sweep's progress and each member's test curve; redraws the page when its status changes."""
    snapshot = job.snapshot()
    if snapshot.status != drawn_status:
        st.rerun()
    done = min(1.0, snapshot.epoch / snapshot.total_epochs)
    st.progress(done, text=f"{len(job.configs)} models, trained as one batched model: {plain(snapshot.reason)}")
    curves = [
        (f"ν = {config.noise.noise_level:g}", history) for config, history in zip(job.configs, snapshot.histories)
    ]
    st.plotly_chart(figures.runs_overlay(curves, "test_mse"), key="view_curves")


def result_ui(result: ViewResult) -> None:
    """The view's figures and numbers."""
    if result.pretrain is not None:  # the few-labels view: no noise levels to compare
        pretrain_result_ui(result)
        return
    if result.robustness is not None:  # the robustness view: a classifier reads damaged digits
        robustness_result_ui(result)
        return
    if result.generation is not None:  # the sampling views: chains, annealed samples, their MMD²
        generation_result_ui(result)
        return
    members = result.members
    if members[0].filters is not None:  # the views that keep filters: filters, edges
        names = [f"ν = {member.level:g}" for member in members]
        galleries = [member.filters for member in members]
        units = len(galleries[0])
        shown = min(units, GALLERY_UNITS)
        title = "Encoder filters by training noise level"
        figure = figures.filter_galleries(galleries, result.image_shape, names, max_units=shown, title=title)
        st.plotly_chart(figure, key="view_filters")
        which = f"The first {shown} of each model's {units} units" if shown < units else f"Each model's {units} units"
        st.caption(f"{which}, each scaled to its own largest weight.")
        table = []
        for member in members:
            row = {
                "training noise level": member.level,
                "filter smoothness": member.smoothness,
                "edge-likeness": member.edge_likeness,
                "test MSE": member.test_mse,
                "noisy input MSE": member.identity_mse,
            }
            if result.raw_probe_accuracy is not None:  # a view that probes the codes
                row["probe accuracy"] = member.probe_accuracy
            table.append(row)
        st.dataframe(table, hide_index=True, column_config=_FORMATS)
    elif result.slug == "noise-grid":
        grid = [member.test_mse_by_level for member in members]
        levels = [member.level for member in members]
        st.plotly_chart(figures.noise_grid(levels, result.test_levels, grid), key="view_grid")
    else:
        levels = [member.level for member in members]
        accuracies = [member.probe_accuracy for member in members]
        st.plotly_chart(figures.probe_by_noise(levels, accuracies, result.raw_probe_accuracy), key="view_probe")
        best = max(members, key=lambda member: member.probe_accuracy)
        cards = metric_row(2)
        cards[0].metric(f"Best codes (ν = {best.level:g})", f"{best.probe_accuracy:.3f}")
        cards[1].metric("Raw pixels", f"{result.raw_probe_accuracy:.3f}")
    st.caption(f"Trained in {result.seconds:.1f} s as one batched model of {len(members)} members.")


def pretrain_work(view) -> str:
    """What a few-labels view trains, in words: "5 stacks of 2 layers (30 epochs a layer), then 50 fine-tunings"."""
    setup = ViewSweep(view.slug, view.levels).pretrain_setup()
    seeds, ks = len(setup.seeds), len(setup.labels_per_class)
    return (
        f"{seeds} stacks of {len(setup.widths)} layers ({setup.config.train.epochs} epochs a layer), then "
        f"{2 * seeds * ks} fine-tunings and {seeds * ks} logistic regressions"
    )


def pretrain_result_ui(result: ViewResult) -> None:
    """The few-labels view: test accuracy against labels per class for each method, its spread over the seeds as a
    band, and the same numbers as a table."""
    table = result.pretrain
    ticks = [table.label(i) for i in range(len(table.labels_per_class))]
    curves = [(method, table.mean(method), table.std(method)) for method in table.accuracy]
    st.plotly_chart(figures.accuracy_by_labels(table.rows_per_class, ticks, curves), key="view_pretrain")
    means = {method: table.mean(method) for method in table.accuracy}
    spreads = {method: table.std(method) for method in table.accuracy}
    rows = [
        {"labels per class": tick, **{m: f"{means[m][i]:.3f} ± {spreads[m][i]:.3f}" for m in table.accuracy}}
        for i, tick in enumerate(ticks)
    ]
    st.dataframe(rows, hide_index=True)
    gain = table.gain()
    cards = metric_row(2)
    cards[0].metric(f"Pre-training's gain at {ticks[0]} per class", f"{gain[0]:+.3f}")
    cards[1].metric(f"… at {ticks[-1]} per class", f"{gain[-1]:+.3f}")
    stack = " → ".join(str(width) for width in table.widths)
    st.caption(
        f"Test accuracy, mean ± standard deviation over {len(table.seeds)} seeds. Stacks of {stack} units pre-trained "
        f"in {table.pretrain_seconds:.1f} s; everything took {result.seconds:.1f} s."
    )


def robustness_result_ui(result: ViewResult) -> None:
    """The robustness view: a clean-trained classifier's accuracy against the test noise, raw and through each model;
    the numbers where the digits are shown; and the digits, damaged and filled in."""
    robust = result.robustness
    st.plotly_chart(figures.robustness_curves(robust), key="view_robust")
    level = robust.shown_level
    at = robust.at(level)
    best = robust.best_denoiser(level)
    cards = [(f"Raw inputs, {robust.noise_label} {level:g}", at["raw"])]
    if "autoencoder" in at:
        cards.append(("Through the autoencoder", at["autoencoder"]))
    if best is not None:
        cards.append((f"Through the DAE, ν = {best[0]:g}", best[1]))
    for number, (slot, (label, accuracy)) in enumerate(zip(metric_row(len(cards)), cards)):
        delta = f"{accuracy - at['raw']:+.3f} on raw" if number else None  # the first card is the raw inputs
        slot.metric(label, f"{accuracy:.3f}", delta)
    st.plotly_chart(figures.robustness_digits(robust, result.image_shape), key="view_robust_digits")
    st.caption(
        f"A logistic regression fitted on the clean training digits reads every line; each test level is one draw of "
        f"noise, the same for every line. Trained in {result.seconds:.1f} s as one batched model of "
        f"{len(result.members)} members."
    )


def generation_result_ui(result: ViewResult) -> None:
    """The sampling views: the chains (an animation on 2-D data, a grid of pictures else), and every sampler's MMD²
    to held-out data between uniform noise and the training points."""
    generated = result.generation
    names = [f"chain σ = {level:g}" for level in generated.levels]
    if result.image_shape is None:  # 2-D data: watch the chains land
        options = names + (["annealed"] if generated.annealed is not None else [])
        shown = st.segmented_control("Samples of", options, default=options[-1], key="view_chain_member") or options[-1]
        start = generated.paths[0][0]
        if shown == "annealed":
            path, steps = [start, generated.annealed], [0, generated.steps[-1]]
            title = "Annealed sampling across the models, largest σ first"
        else:
            path, steps = list(generated.paths[names.index(shown)]), list(generated.steps)
            title = f"Walk-back chains of the model trained at {shown.removeprefix('chain ')}"
        st.plotly_chart(figures.chain_animation(generated.data, path, steps, title=title), key="view_chains")
    else:
        figure = figures.chain_grid(generated.paths, generated.steps, result.image_shape, names)
        st.plotly_chart(figure, key="view_chains")
        every = "at every step" if generated.steps[1] == 1 else f"every {generated.steps[1]} steps"
        st.caption(f"{len(generated.paths[0][0])} chains per model, {every}: a draw from the model's P(x | x̃).")
    values = list(generated.mmd)
    if generated.annealed_mmd is not None:
        names, values = [*names, "annealed"], [*values, generated.annealed_mmd]
    ends = generated.ends
    st.plotly_chart(figures.sample_mmd(names, values, ends.uniform, ends.training), key="view_mmd")
    st.caption(
        f"MMD² of {generated.samples} samples to the {len(generated.data)} held-out points, RBF kernel of "
        f"width {ends.bandwidth:.3g} (the median distance between held-out points); the chains start from uniform "
        f"points over the data's box. Trained in {result.seconds:.1f} s as one batched model of "
        f"{len(result.members)} members."
    )
