"""Plotly figure builders for every chart of the lab: pure functions, arrays or records in, a Figure out.

All figures share one look through :data:`TEMPLATE` and :func:`style`. Layout colours (paper, fonts,
grid) live only in the template, so Streamlit's theme can restyle them for dark mode; the few explicit
colours (the series palette) are mid-tone so they read on white and on dark backgrounds alike. Image-like
charts are one heatmap of a tiled array with NaN gaps: a grid of subplots costs ~50 ms to build.
The one exception, :func:`training_step_svg`, returns SVG text: Home's diagram must not wait for Plotly.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from .errors import ConfigError, DataError

# --- the one style ---------------------------------------------------------------------------------
PALETTE = (  # mid-luminance: readable on white and on Streamlit's dark background
    "#3B82F6",  # blue
    "#F97316",  # orange
    "#10B981",  # green
    "#EF4444",  # red
    "#8B5CF6",  # violet
    "#EAB308",  # yellow
    "#EC4899",  # pink
    "#14B8A6",  # teal
    "#A3A3A3",  # grey
    "#84CC16",  # lime
)
SERIES_COLORS = {  # the same thing has the same colour in every figure
    "clean": "#3B82F6",
    "noisy": "#A3A3A3",
    "reconstructed": "#F97316",
    "train_loss": "#3B82F6",
    "test_mse": "#F97316",
    "identity_mse": "#A3A3A3",
    "pca_mse": "#8B5CF6",
    "gaussian_blur_mse": "#10B981",  # the classic denoisers of image data
    "median_mse": "#EAB308",
    "nl_means_mse": "#EC4899",
    "event": "#A3A3A3",
    "arrow": "#EF4444",
}
DIVERGING = "RdBu_r"  # weights and residuals: blue < 0 < red, white at 0
GRAYSCALE = "Greys"  # images: 0 white, 1 black, as digits are drawn on paper
FONT_FAMILY = "Inter, 'Source Sans Pro', 'Helvetica Neue', Arial, sans-serif"

# Built on plotly_white's 2-D layout only: the full template (with defaults for every trace type, polar,
# geo, ...) costs ~8 ms to attach to each figure, this lean one ~1.5 ms.
_WHITE = pio.templates["plotly_white"].layout
TEMPLATE = go.layout.Template(
    layout={
        "autotypenumbers": "strict",
        "colorway": PALETTE,
        "colorscale": _WHITE.colorscale,
        "font": {"family": FONT_FAMILY, "size": 13, "color": _WHITE.font.color},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        # Title pinned to the top edge and the legend just above the plot, so a wrapped legend has room.
        "title": {
            "x": 0.0,
            "xanchor": "left",
            "yref": "container",
            "y": 1.0,
            "yanchor": "top",
            "pad": {"t": 12},
            "font": {"size": 16},
        },
        "xaxis": _WHITE.xaxis,
        "yaxis": _WHITE.yaxis,
        "margin": {"l": 64, "r": 24, "t": 84, "b": 56},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "left", "x": 0.0},
        "hoverlabel": {"align": "left", "namelength": -1},
        "shapedefaults": _WHITE.shapedefaults,
        "annotationdefaults": _WHITE.annotationdefaults,
        "coloraxis": _WHITE.coloraxis,
    }
)
pio.templates["dae_lab"] = TEMPLATE  # registered by name so notebooks can reuse it; never made the global default

SCALED_VALUE = "value (standardized)"
MSE_UNITS = "MSE (scaled units²)"
METRICS = {  # EpochRecord field -> axis title with units
    "test_mse": "test MSE vs clean (scaled units²)",
    "train_loss": "train loss (scaled units²)",
    "identity_mse": "identity baseline MSE (scaled units²)",
    "pca_mse": "PCA baseline MSE (scaled units²)",
    "test_psnr": "test PSNR (dB)",
    "seconds": "time per epoch (s)",
    "samples_per_second": "throughput (samples/s)",
    "lr": "learning rate",
    "noise_level": "noise level",
}
_IMAGE_AXIS = {"showgrid": False, "zeroline": False, "ticks": "", "showline": False, "constrain": "domain"}


def _layout(title: str, x_title: str = "", y_title: str = "", *, xaxis=None, yaxis=None, **extra) -> dict:
    """The layout of every figure: the lab's template, a title and axis titles, plus ``extra`` settings."""
    return {
        "template": TEMPLATE,
        "title": {"text": title},
        "xaxis": {"title": {"text": x_title}, **(xaxis or {})},
        "yaxis": {"title": {"text": y_title}, **(yaxis or {})},
        **extra,
    }


def _figure(traces: list, title: str, x_title: str = "", y_title: str = "", **layout) -> go.Figure:
    # One constructor call with plain dicts: each later update_* call would validate again (~1 ms each).
    return go.Figure(data=traces, layout=_layout(title, x_title, y_title, **layout))


def style(fig: go.Figure, title: str, x_title: str = "", y_title: str = "", **layout) -> go.Figure:
    """Give any figure the lab's look: template, title and axis titles (with units). Returns ``fig``."""
    fig.update_layout(_layout(title, x_title, y_title, **layout))
    return fig


def empty_figure(message: str, title: str = "", x_title: str = "", y_title: str = "", **layout) -> go.Figure:
    """A styled figure with axes and a centred message, for when there is nothing to draw yet."""
    return _figure([], title, x_title, y_title, annotations=[_message(message)], **layout)


def _message(text: str) -> dict:
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "showarrow": False,
        "font": {"size": 14},
        "opacity": 0.8,
    }


def _as_rows(array, *, what: str, width: int | None = None) -> np.ndarray:
    """A float (N, D) array, checked; ``width`` pins D."""
    rows = np.asarray(array, dtype=np.float64)
    if rows.ndim != 2 or (width is not None and rows.shape[1] != width):
        wanted = f"(N, {width})" if width is not None else "(N, D)"
        raise DataError(f"{what} must be a {wanted} array. Got shape {rows.shape} instead.")
    return rows


def user_text(value) -> str:
    """Text a visitor or a file gave (a column name, a class label, a run name) as a figure must hold it.

    Plotly reads ``<``, ``>`` and ``&`` in every title, tick label, legend name, annotation and hover text as markup:
    ``<a href=...>`` becomes a link, ``<b>`` bold. Escaped here, they show as typed (Plotly turns ``&lt;`` back into
    ``<`` on screen). Every builder passes such text through this one function where it enters a figure, and only
    such text: the lab's own markup (``<br>`` in a hover template, ``<b>`` around a name) stays markup.
    """
    return html.escape(str(value), quote=False)  # Plotly knows &lt; &gt; &amp; but not &quot;


def _names(names: Sequence | None, count: int) -> list[str]:
    """Feature names (or row labels) as a figure shows them, or their indices when the names do not match."""
    if names is not None and len(names) == count:
        return [user_text(n) for n in names]
    return [str(i) for i in range(count)]


# --- training curves -------------------------------------------------------------------------------
def _column(history: Sequence, name: str) -> np.ndarray:
    """One field of every record (EpochRecords or their dicts) as floats; a missing value is NaN."""
    if history and isinstance(history[0], Mapping):
        values = [record.get(name) for record in history]
    else:
        values = [getattr(record, name, None) for record in history]
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


EVENT_LANES = 4  # heights a change's label can take; a label that finds none free shows on hover only
_LANE_PX = 17  # one lane: an 11 px label and a gap
_CHAR_PX = 6.5  # a label character's average width at 11 px
_PLOT_PX = 360  # the plot width labels are measured against: a phone's, so labels apart there are apart everywhere


def _merged_changes(events: Sequence, span: float) -> list[list]:
    """Changes of one setting each within ``span`` epochs of the one before (a slider dragged with the arrow keys)
    as one group; changes that carry no ``name`` stay alone. Groups in the order they start."""
    groups: list[list] = []
    latest: dict[str, list] = {}  # setting -> its latest group
    for event in sorted(events, key=lambda e: e.after_epoch):
        name = getattr(event, "name", None)
        group = latest.get(name)
        if group is not None and event.after_epoch - group[-1].after_epoch <= span:
            group.append(event)
            continue
        groups.append([event])
        if name is not None:
            latest[name] = groups[-1]
    return groups


def _group_text(group: list) -> str:
    """``noise level 0.2 → 0.4``: the first old value and the last new one."""
    first, last = group[0], group[-1]
    return first.text if len(group) == 1 else dataclasses.replace(first, new=last.new).text


def _event_marks(events: Sequence, shown: tuple[float, float] = (1.0, 10.0), limit: int = 20) -> tuple[list, list]:
    """Dotted vertical lines between epochs ``after_epoch`` and ``after_epoch + 1``, each with its label.

    ``events`` are ``records.SettingChange``s (anything with ``after_epoch`` and ``text``); ``shown``: the first
    and last epoch on the chart. Changes of one setting in quick succession (each within 2% of the epochs shown,
    at least 3, of the one before) are one mark, labelled with the first old and the last new value. Labels take
    the highest of :data:`EVENT_LANES` heights where they clear every label before them (measured for a phone's
    width); one that fits nowhere shows as "…" at the foot of its line, its label on hover.
    """
    low, high = shown
    groups = _merged_changes(events, max(3.0, 0.02 * (high - low + 1)))[-limit:]
    xs = [group[0].after_epoch + 0.5 for group in groups]
    low, high = min([low, *xs]), max([high, *xs])
    epochs_per_px = max(high - low, 1.0) / _PLOT_PX
    lane_ends = [-math.inf] * EVENT_LANES  # the right end of the last label in each lane, in epochs
    shapes, annotations = [], []
    for group, x in zip(groups, xs):
        line = {"color": SERIES_COLORS["event"], "width": 1.5, "dash": "dot"}
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1, "line": line})
        text = _group_text(group)
        first, last = group[0].after_epoch + 1, group[-1].after_epoch + 1
        when = f"from epoch {first}" if len(group) == 1 else f"over epochs {first}–{last}, in {len(group)} changes"
        width = (len(text) * _CHAR_PX + 6) * epochs_per_px
        to_right = x + width <= high  # near the right edge the label reads leftwards from its line
        start, end = (x, x + width) if to_right else (x - width, x)
        lane = next((k for k, taken in enumerate(lane_ends) if taken < start), None)
        mark = {"xref": "x", "yref": "paper", "x": x, "showarrow": False, "hovertext": f"{text}<br>{when}"}
        if lane is None:  # crowded: a small sign at the line's foot, the label on hover
            mark |= {"text": "…", "y": 0, "yshift": 4, "xanchor": "center", "yanchor": "bottom", "font": {"size": 11},
                     "bordercolor": SERIES_COLORS["event"], "borderpad": 1}  # fmt: skip
        else:
            lane_ends[lane] = end
            mark |= {
                "text": text,
                "y": 1,
                "yshift": -2 - _LANE_PX * lane,
                "xanchor": "left" if to_right else "right",
                "yanchor": "top",
                "font": {"size": 11},
            }
        annotations.append(mark)
    return shapes, annotations


def _epoch_axis(epochs: np.ndarray) -> dict:
    """Whole epochs only: with a few epochs plotly would put ticks at 0.5, 1.5, ..."""
    return {"dtick": 1, "tick0": 0} if len(epochs) and np.nanmax(epochs) <= 10 else {}


def _value_range(traces: list[dict]) -> list[float]:
    """[0, top] with 6% headroom over every trace, so a line at the maximum (a baseline step) is not cut in half."""
    values = np.concatenate([np.asarray(trace["y"], dtype=np.float64) for trace in traces])
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size else 1.0
    return [0.0, top * 1.06 if top > 0 else 1.0]


LOSS_HEIGHT_BELOW = 520  # px: a loss chart with its legend below keeps a plot as tall as Streamlit's default 450


def loss_curves(history: Sequence, events: Sequence = (), title: str = "Loss") -> go.Figure:
    """Train loss and test MSE (vs clean) per epoch, with the identity and PCA baselines as dashed steps and, for
    image data, the classic denoisers (blur, median, non-local means) as dotted ones.

    ``history`` holds EpochRecords or their dicts. The baselines are drawn per epoch because they move
    when the noise level changes mid-run. ``events`` are ``records.SettingChange``s, drawn as dotted
    vertical lines (a quick run of changes to one setting as one line; see :func:`_event_marks`). Built for a
    redraw every half second: a few ms for 500 epochs.
    """
    if not len(history):
        return empty_figure(
            "No epochs yet.", title, "epoch", MSE_UNITS, xaxis={"range": [0, 10]}, yaxis={"range": [0, 1]}
        )
    epochs = _column(history, "epoch")
    mode = "lines" if len(epochs) > 1 else "lines+markers"  # a single epoch would draw nothing as a line
    series = (  # (record field, legend name, dash, line shape)
        ("train_loss", "train loss", "solid", "linear"),
        ("test_mse", "test MSE (vs clean)", "solid", "linear"),
        ("identity_mse", "identity baseline", "dash", "hv"),
        ("pca_mse", "PCA baseline", "dash", "hv"),
    )
    classic = (  # image data only: a record of a table has none of them
        ("gaussian_blur_mse", "Gaussian blur", "dot", "hv"),
        ("median_mse", "median filter", "dot", "hv"),
        ("nl_means_mse", "non-local means", "dot", "hv"),
    )
    series += tuple(line for line in classic if not np.isnan(_column(history, line[0])).all())
    traces = [
        {
            "type": "scatter",
            "x": epochs,
            "y": _column(history, key),
            "name": name,
            "mode": mode,
            "line": {"color": SERIES_COLORS[key], "dash": dash, "width": 2 if dash == "solid" else 1.5, "shape": shape},
            "hovertemplate": "%{y:.4f}",
        }
        for key, name, dash, shape in series
    ]
    shapes, annotations = _event_marks(events, (float(np.nanmin(epochs)), float(np.nanmax(epochs))))
    # With the classic denoisers, 5-7 entries wrap to 4 rows on a phone, over the title: the legend goes below.
    below = {"legend": LEGEND_BELOW, "margin": {"t": 56}, "height": LOSS_HEIGHT_BELOW} if len(series) > 4 else {}
    return _figure(
        traces,
        title,
        "epoch",
        MSE_UNITS,
        xaxis=_epoch_axis(epochs),
        yaxis={"range": _value_range(traces)},
        hovermode="x unified",
        shapes=shapes,
        annotations=annotations,
        **below,
    )


OVERLAY_HEIGHT, OVERLAY_ROW_PX = 420, 20  # runs_overlay: px without a legend, and per run in it
# A legend under the x axis: one referred to the container has its space reserved below the axis title, so it is
# never over the title or the curves however many rows it wraps to.
LEGEND_BELOW = {"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom", "x": 0.0, "xanchor": "left"}


def runs_overlay(runs: Sequence[tuple[str, Sequence]], metric: str = "test_mse") -> go.Figure:
    """One line per run of ``metric`` (an EpochRecord field) against epoch, to compare experiments."""
    if metric not in METRICS:
        options = ", ".join(repr(m) for m in METRICS)
        raise ConfigError(f"The 'metric' parameter of runs_overlay must be one of {options}. Got {metric!r} instead.")
    quantity = METRICS[metric].split(" (")[0]
    title = f"{quantity[0].upper()}{quantity[1:]} per run"
    y_title = METRICS[metric]
    if not runs:
        return empty_figure("No runs selected.", title, "epoch", y_title)
    traces = [
        {
            "type": "scatter",
            "x": _column(history, "epoch"),
            "y": _column(history, metric),
            "name": user_text(name),
            "mode": "lines" if len(history) > 1 else "lines+markers",
            "line": {"color": PALETTE[i % len(PALETTE)], "width": 2},
            "hovertemplate": "%{y:.4g}",
        }
        for i, (name, history) in enumerate(runs)
    ]
    return _figure(
        traces,
        title,
        "epoch",
        y_title,
        hovermode="x unified",
        # Run names are long: on a phone each takes a row, so the legend goes under the x axis, with at most a third
        # of the height before it scrolls. The figure grows a row per run, up to 12, to keep the plot.
        legend=LEGEND_BELOW | {"maxheight": 1 / 3},
        margin={"t": 56},
        height=OVERLAY_HEIGHT + OVERLAY_ROW_PX * min(len(traces), 12),
    )


# --- reconstructions -------------------------------------------------------------------------------
def sample_comparison(
    clean_row: np.ndarray,
    noisy_row: np.ndarray | None,
    reconstructed_row: np.ndarray,
    feature_names: Sequence[str],
    title: str | None = None,
    *,
    y_title: str = SCALED_VALUE,
) -> go.Figure:
    """The original tutorial's plot, done right: original, noisy input and reconstruction across features.

    ``noisy_row`` may be None to draw only original and reconstructed, as the tutorial did.
    """
    title = title or "Original vs noisy vs reconstructed"
    clean_row = np.asarray(clean_row, dtype=np.float64).ravel()
    if clean_row.size == 0:
        return empty_figure("No sample to show.", title, "feature", y_title)
    names = _names(feature_names, clean_row.size)
    rows = [("clean", "original", clean_row, "solid")]
    if noisy_row is not None:
        rows.append(("noisy", "noisy input", noisy_row, "dot"))
    rows.append(("reconstructed", "reconstructed", reconstructed_row, "solid"))
    traces = [
        {
            "type": "scatter",
            "x": names,
            "y": np.asarray(values, dtype=np.float64).ravel(),
            "name": name,
            "mode": "lines+markers",
            "line": {"color": SERIES_COLORS[key], "dash": dash, "width": 2},
            "marker": {"size": 6},
            "hovertemplate": "%{y:.3f}",
        }
        for key, name, values, dash in rows
    ]
    return _figure(traces, title, "feature", y_title, xaxis={"type": "category"}, hovermode="x unified")


def tile(tiles: np.ndarray, gap: int = 1) -> np.ndarray:
    """Lay a (rows, cols, h, w) stack of tiles out as one 2-D array, with ``gap`` NaN pixels between tiles.

    Tile (r, c) lands at ``[r*(h+gap) : r*(h+gap)+h, c*(w+gap) : c*(w+gap)+w]``; NaN draws as background.
    """
    tiles = np.asarray(tiles, dtype=np.float64)
    rows, cols, h, w = tiles.shape
    out = np.full((rows, h + gap, cols, w + gap), np.nan)
    out[:, :h, :, :w] = tiles.transpose(0, 2, 1, 3)  # (rows, h, cols, w)
    out = out.reshape(rows * (h + gap), cols * (w + gap))
    return out[: rows * (h + gap) - gap, : cols * (w + gap) - gap]


def tile_centres(count: int, size: int, gap: int = 1) -> list[float]:
    """Centre coordinates of ``count`` tiles of ``size`` pixels laid out by :func:`tile`."""
    return [i * (size + gap) + (size - 1) / 2 for i in range(count)]


def _symmetric_limit(values: np.ndarray, percentile: float = 100.0) -> float:
    """Half-width of a colour range centred at 0 that holds (``percentile`` % of) ``values``."""
    finite = np.abs(values[np.isfinite(values)])
    limit = float(np.percentile(finite, percentile)) if finite.size else 0.0
    return limit if limit > 0 else 1.0


def samples_heatmap(
    clean: np.ndarray,
    noisy: np.ndarray,
    reconstructed: np.ndarray,
    feature_names: Sequence[str],
    *,
    row_labels: Sequence | None = None,
    max_rows: int = 50,
    title: str = "Samples: clean | noisy | reconstructed | residual",
    value_title: str = "standardized",
) -> go.Figure:
    """One heatmap of up to ``max_rows`` samples, four panels side by side on one diverging scale.

    The residual is reconstructed − clean, in the same units, so a good model shows a pale last panel.
    """
    x_title = "feature (per panel)"
    clean = _as_rows(clean, what="clean")[:max_rows]
    if clean.size == 0:
        return empty_figure("No samples to show.", title, x_title, "sample")
    n, width = clean.shape
    noisy = _as_rows(noisy, what="noisy", width=width)[:n]
    reconstructed = _as_rows(reconstructed, what="reconstructed", width=width)[:n]
    headers = ["clean", "noisy", "reconstructed", "residual (rec. − clean)"]
    z = tile(np.stack([clean, noisy, reconstructed, reconstructed - clean])[None], gap=1)  # (n, 4*(width+1)-1)
    limit = _symmetric_limit(z, 99)  # robust: one wild noisy entry should not wash out the rest
    labels = _names(row_labels, n) if row_labels is not None else [str(i) for i in range(n)]
    if len(set(labels)) < n:  # category axes need unique names
        labels = [f"{i}: {label}" for i, label in enumerate(labels)]
    names = _names(feature_names, width)
    # Category axes carry the hover text: one name per column and row, not one string per cell.
    # The gap columns get distinct blank names.
    columns = [f"{headers[p]} · {name}" for p in range(4) for name in names]
    for p in range(3):
        columns.insert((p + 1) * (width + 1) - 1, " " * (p + 1))
    heatmap = {
        "type": "heatmap",
        "z": z,
        "x": columns,
        "y": labels,
        "colorscale": DIVERGING,
        "zmid": 0.0,
        "zmin": -limit,
        "zmax": limit,
        "hoverongaps": False,
        "hovertemplate": "sample %{y}<br>%{x}: %{z:.3f}<extra></extra>",
        "colorbar": {"title": {"text": value_title}, "thickness": 12},
    }
    return _figure(
        [heatmap],
        title,
        x_title,
        "sample",
        xaxis={
            "type": "category",
            "tickvals": [columns[round(c)] for c in tile_centres(4, width)],
            "ticktext": headers,
            "tickangle": 0,
            "side": "top",
            **_IMAGE_AXIS,
        },
        yaxis={"type": "category", "autorange": "reversed", "showgrid": False, "zeroline": False},
        height=max(280, 140 + 14 * n),
        margin={"t": 110},
    )


LABEL_PIXELS = 12  # blank image pixels left of each block of the image grid, where the row labels sit
FILTERS_HEIGHT = 400  # px: the least height of a gallery of filters, however small they are
PLOT_WIDTH = 740  # px: a chart's plot area in the dashboard's main column on a 1280 px screen


def _fitted_height(rows: int, columns: int, pixel_size: float, chrome: int, plot_width: int = PLOT_WIDTH) -> int:
    """The figure height that shows a ``rows`` x ``columns`` image at ``pixel_size`` screen pixels per pixel, or
    smaller where the plot area (``PLOT_WIDTH``) is narrower: an image pinned to square pixels shrinks to the width,
    and a height set for the full size leaves the rest blank above and below it. ``chrome``: title, headers, margins;
    ``plot_width``: the plot area's width where the figure is drawn (less in a column)."""
    return round(chrome + rows * min(pixel_size, plot_width / columns))


def image_origin(
    sample: int, panel: int, image_shape: tuple[int, int], rows_per_block: int = 8, label_pixels: int = LABEL_PIXELS
) -> tuple[int, int]:
    """(top, left) pixel of ``sample``'s ``panel`` (0 original … 3 residual) in :func:`image_grid`'s array.

    Samples run down a block of ``rows_per_block`` rows, then continue in the next block to the right.
    """
    h, w = image_shape[:2]
    block, row = divmod(sample, rows_per_block)
    return row * (h + 1), block * (label_pixels + 4 * (w + 1)) + label_pixels + panel * (w + 1)


def image_grid(
    clean: np.ndarray,
    noisy: np.ndarray,
    reconstructed: np.ndarray,
    image_shape: tuple[int, int],
    psnr: np.ndarray | None = None,
    *,
    labels: Sequence | None = None,
    max_images: int = 32,
    rows_per_block: int = 8,
    pixel_size: int = 7,
    title: str = "Original | noisy | reconstructed | absolute error",
    ink: bool = True,
    plot_width: int = PLOT_WIDTH,
) -> go.Figure:
    """A grid of images, one row per sample: original | noisy | reconstructed | |reconstructed − original|.

    Inputs are (N, h*w*c) rows in [0, 1], (h, w, c) order. Rows are labelled with ``labels`` (e.g. the test index)
    and their PSNR in dB when ``psnr`` is given. More than ``rows_per_block`` samples continue in a block to
    the right, so the grid stays about as wide as it is tall. It is all one tiled array: a grayscale heatmap, or for
    colour (c = 3) one RGBA image (the |error| panel per channel); :func:`image_origin` says where each image sits in
    it. ``ink`` (grayscale only): 1 is drawn dark, as digits on paper; else 1 is bright, as in a photograph.
    """
    h, w = image_shape[:2]
    colour = len(image_shape) == 3 and image_shape[2] == 3
    channels = 3 if colour else 1
    if not colour:
        clean, noisy, reconstructed = (gray(rows, image_shape) for rows in (clean, noisy, reconstructed))
    clean = _as_rows(clean, what="clean", width=h * w * channels)[:max_images]
    if clean.size == 0:
        return empty_figure("No images to show.", title)
    n = len(clean)
    noisy = _as_rows(noisy, what="noisy", width=h * w * channels)[:n]
    reconstructed = _as_rows(reconstructed, what="reconstructed", width=h * w * channels)[:n]
    panels = np.stack([clean, noisy, reconstructed, np.abs(reconstructed - clean)], axis=1)
    panels = panels.reshape(n, 4, h, w, channels)
    headers = ["original", "noisy", "recon.", "|error|"]  # short: a column is ~40 px wide in a half-width layout
    names = _names(labels, n) if labels is not None else [str(i) for i in range(n)]
    psnr_values = None if psnr is None else np.asarray(psnr, dtype=np.float64).ravel()[:n]
    # Two short lines fit the label space beside each block even at half width.
    row_text = [
        f"#{name}" + ("" if psnr_values is None else f"<br>{psnr_values[i]:.1f} dB") for i, name in enumerate(names)
    ]

    blocks, rows = math.ceil(n / rows_per_block), min(n, rows_per_block)
    block_width = LABEL_PIXELS + 4 * (w + 1)
    # float32 halves what is sent per redraw; the model's pixels are float32 anyway.
    z = np.full((rows * (h + 1) - 1, blocks * block_width - 1, channels), np.nan, dtype=np.float32)
    annotations = []
    for i in range(n):
        for panel in range(4):
            top, left = image_origin(i, panel, image_shape, rows_per_block)
            z[top : top + h, left : left + w] = panels[i, panel]
        top, left = image_origin(i, 0, image_shape, rows_per_block)
        annotations.append(
            {
                "text": row_text[i],
                "x": left - 1,  # just left of this row's original image, in the block's label space
                "y": top + (h - 1) / 2,
                "xanchor": "right",
                "align": "right",
                "showarrow": False,
                "font": {"size": 10},
            }
        )
    if colour:
        heatmap = _rgba_image(z)
    else:
        heatmap = _gray_heatmap(z[:, :, 0], ink)
    header_at = [
        image_origin(b * rows_per_block, p, image_shape, rows_per_block)[1] + (w - 1) / 2
        for b in range(blocks)
        for p in range(4)
    ]
    return _figure(
        [heatmap],
        title,
        xaxis={
            "tickvals": header_at,
            "ticktext": headers * blocks,
            "tickangle": 0,
            "tickfont": {"size": 10},
            "side": "top",
            **_IMAGE_AXIS,
        },
        yaxis={"showticklabels": False, "autorange": "reversed", "scaleanchor": "x", **_IMAGE_AXIS},
        annotations=annotations,
        height=_fitted_height(rows * (h + 1), z.shape[1], pixel_size, 130, plot_width),
        margin={"t": 90, "l": 16},
    )


def _rgba_image(z: np.ndarray) -> dict:
    """A (H, W, 3) array in [0, 1], NaN in the gaps, as one image trace: 8-bit RGB, the gaps transparent."""
    gaps = np.isnan(z).any(axis=2)
    rgba = np.empty((*z.shape[:2], 4), np.uint8)
    rgba[:, :, :3] = np.round(np.clip(np.nan_to_num(z), 0.0, 1.0) * 255)
    rgba[:, :, 3] = np.where(gaps, 0, 255)
    return {
        "type": "image",
        "z": rgba,
        "colormodel": "rgba256",
        "hovertemplate": "RGB %{z[0]}, %{z[1]}, %{z[2]} (0–255)<extra></extra>",
    }


def _gray_heatmap(z: np.ndarray, ink: bool) -> dict:
    """Tiled pictures in [0, 1] as one gray heatmap trace; ``ink``: 1 is drawn dark, as digits on paper."""
    return {
        "type": "heatmap",
        "z": z,
        "colorscale": GRAYSCALE,
        "reversescale": not ink,
        "zmin": 0.0,
        "zmax": 1.0,
        "hoverongaps": False,
        # Rows are labelled beside the grid; per-pixel hover text would cost ~10 ms and 200 kB per redraw.
        "hovertemplate": "intensity %{z:.2f} (0–1)<extra></extra>",
        "showscale": False,  # gray 0–1 needs no legend; the room goes to the images
    }


def photo_denoising(
    clean: np.ndarray,
    noisy: np.ndarray,
    denoised: np.ndarray,
    noisy_psnr: float,
    denoised_psnr: float,
    *,
    title: str = "The whole photograph: original | noisy | denoised tile by tile",
    pixel_size: float = 1.0,
) -> go.Figure:
    """Three (H, W) grayscale pictures in [0, 1] side by side at full size (``pixel_size`` screen pixels per pixel,
    where the page is wide enough), each headed by its PSNR against the original.

    Each picture is one heatmap of 8-bit values placed along one x axis with a gap between them: a third of the bytes
    of float32 (a 256 × 256 crop sends ~260 kB in all) and what a screen shows anyway.
    """
    pictures = [np.asarray(picture, np.float64) for picture in (clean, noisy, denoised)]
    if pictures[0].ndim != 2 or pictures[0].size == 0:
        return empty_figure("No photograph to show.", title)
    h, w = pictures[0].shape
    for name, picture in zip(("noisy", "denoised"), pictures[1:]):
        if picture.shape != (h, w):
            raise DataError(
                f"The {name} picture must have the original's shape ({h}, {w}). Got {picture.shape} instead."
            )
    gap = max(w // 32, 2)
    headers = ["original", f"noisy: {noisy_psnr:.1f} dB", f"denoised: {denoised_psnr:.1f} dB"]
    traces = [
        {
            "type": "heatmap",
            "z": np.round(np.clip(picture, 0.0, 1.0) * 255).astype(np.uint8),
            "x0": panel * (w + gap),
            "dx": 1,
            "name": headers[panel].split(":")[0],
            "colorscale": GRAYSCALE,
            "reversescale": True,  # a photograph: 1 is bright
            "zmin": 0,
            "zmax": 255,
            "showscale": False,
            "hovertemplate": "intensity %{z} of 255<extra>%{fullData.name}</extra>",
        }
        for panel, picture in enumerate(pictures)
    ]
    return _figure(
        traces,
        title,
        xaxis={
            "tickvals": [panel * (w + gap) + (w - 1) / 2 for panel in range(3)],
            "ticktext": headers,
            "tickangle": 0,
            "side": "top",
            "range": [-0.5, 3 * w + 2 * gap - 0.5],
            **_IMAGE_AXIS,
        },
        yaxis={"showticklabels": False, "autorange": "reversed", "scaleanchor": "x", **_IMAGE_AXIS},
        height=_fitted_height(h, 3 * w + 2 * gap, pixel_size, 110),
        margin={"t": 80, "l": 16, "r": 16, "b": 16},
    )


def _segments(starts: np.ndarray, ends: np.ndarray, head_size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and marker sizes for one line trace of arrows: (tail, head, NaN break) per arrow."""
    count = len(starts)
    x, y = np.full(3 * count, np.nan), np.full(3 * count, np.nan)
    x[0::3], x[1::3] = starts[:, 0], ends[:, 0]
    y[0::3], y[1::3] = starts[:, 1], ends[:, 1]
    sizes = np.zeros(3 * count)
    sizes[1::3] = head_size  # a head at the end of each arrow only
    return x, y, sizes


def _arrow_trace(starts: np.ndarray, ends: np.ndarray, *, name: str, color: str, head_size: float = 7) -> dict:
    # All arrows in one trace; 'arrow' markers with angleref='previous' point along their segment.
    x, y, sizes = _segments(starts, ends, head_size)
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "name": name,
        "mode": "lines+markers",
        "line": {"color": color, "width": 1.2},
        "marker": {"symbol": "arrow", "angleref": "previous", "size": sizes, "color": color, "line": {"width": 0}},
        "connectgaps": False,
        "hoverinfo": "skip",
    }


def _points_trace(points: np.ndarray, name: str, color: str, size: float, **extra) -> dict:
    return {
        "type": "scatter",
        "x": points[:, 0],
        "y": points[:, 1],
        "name": name,
        "mode": "markers",
        "marker": {"color": color, "size": size, "opacity": 0.8},
        **extra,
    }


PLANE_TITLES = ("x (standardized)", "y (standardized)")


def scatter_arrows(
    clean: np.ndarray,
    noisy: np.ndarray,
    reconstructed: np.ndarray,
    *,
    max_arrows: int = 200,
    title: str = "Clean, noisy and reconstructed points",
    axis_titles: tuple[str, str] = PLANE_TITLES,
) -> go.Figure:
    """Clean, noisy and reconstructed 2-D points as three series, with arrows noisy → reconstructed.

    Only the first ``max_arrows`` rows get an arrow, so the picture stays readable.
    """
    clean = _as_rows(clean, what="clean", width=2)
    if clean.size == 0:
        return empty_figure("No points to show.", title, *axis_titles)
    noisy = _as_rows(noisy, what="noisy", width=2)
    reconstructed = _as_rows(reconstructed, what="reconstructed", width=2)
    count = min(max_arrows, len(noisy), len(reconstructed))
    arrows = _arrow_trace(
        noisy[:count], reconstructed[:count], name="noisy → reconstructed", color=SERIES_COLORS["arrow"], head_size=9
    )
    arrows["line"]["width"] = 2  # readable on a chart 400 px wide (one of two columns at 1280 px, or a phone)
    arrows["marker"].update(opacity=1.0, symbol="arrow-wide")  # plotly.js draws markers sized one by one at 0.7
    traces = [arrows]
    for key, name, points, size in (
        ("clean", "clean", clean, 6),
        ("noisy", "noisy input", noisy, 5),
        ("reconstructed", "reconstructed", reconstructed, 6),
    ):
        hover = f"{name} #%{{pointNumber}}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"
        traces.append(_points_trace(points, name, SERIES_COLORS[key], size, hovertemplate=hover))
    return _figure(traces, title, *axis_titles, yaxis={"scaleanchor": "x", "scaleratio": 1})


def flow_animation(
    data: np.ndarray,
    path: Sequence[np.ndarray],
    *,
    axis_titles: tuple[str, str] = PLANE_TITLES,
    frame_ms: int = 300,
) -> go.Figure:
    """Points carried by the flow x ← r(x) (``path[k]``: the points after k steps), over the data, as an
    animation: a Play button and a step slider that run in the browser, where the start stays, faint."""
    data = _as_rows(data, what="data", width=2)
    path = [_as_rows(points, what="flow", width=2) for points in path]
    if not path:
        raise DataError("The flow needs at least its starting points.")
    title = "The flow x ← r(x): random points settle on the data"

    traces = [
        _points_trace(data, "data", SERIES_COLORS["clean"], 5, hoverinfo="skip"),
        _points_trace(path[0], "start", SERIES_COLORS["noisy"], 4, hoverinfo="skip", opacity=0.35),
        _points_trace(path[0], "carried by the flow", SERIES_COLORS["reconstructed"], 6),
    ]
    frames = [
        {"name": str(step), "traces": [2], "data": [{"x": points[:, 0], "y": points[:, 1]}]}
        for step, points in enumerate(path)
    ]
    everything = np.vstack([data, *path])
    low, high = everything.min(axis=0), everything.max(axis=0)
    pad = 0.05 * (high - low) + 1e-9
    still = {"mode": "immediate", "frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}}
    slider = {
        "active": 0,
        "currentvalue": {"prefix": "steps: "},
        "x": 0.0,  # under the buttons, the plot's full width: beside them it ran under Pause on a phone
        "len": 1.0,
        "y": 0.0,
        "yanchor": "top",
        "pad": {"t": 95},
        "steps": [{"label": str(step), "method": "animate", "args": [[str(step)], still]} for step in range(len(path))],
    }
    play = {
        "type": "buttons",
        "direction": "left",
        "x": 0.0,
        "y": 0.0,
        "xanchor": "left",
        "yanchor": "top",
        "pad": {"t": 45},
        "showactive": False,
        "buttons": [
            {
                "label": "▶ Play",
                "method": "animate",
                "args": [None, {"frame": {"duration": frame_ms, "redraw": False}, "fromcurrent": True,
                                "transition": {"duration": frame_ms // 2}}],
            },
            {"label": "❚❚ Pause", "method": "animate", "args": [[None], still]},
        ],
    }  # fmt: skip
    figure = _figure(
        traces,
        title,
        *axis_titles,
        xaxis={"range": [low[0] - pad[0], high[0] + pad[0]]},
        yaxis={"range": [low[1] - pad[1], high[1] + pad[1]], "scaleanchor": "x", "scaleratio": 1},
        sliders=[slider],
        updatemenus=[play],
        margin={"b": 190},
        height=610,
    )
    figure.frames = [go.Frame(frame) for frame in frames]
    return figure


# --- a DAE as a sampler (dae_core.generate) --------------------------------------------------------
def chain_animation(
    data: np.ndarray, path: Sequence[np.ndarray], steps: Sequence[int], *, title: str = "Walk-back chains"
) -> go.Figure:
    """Walk-back chains (``path[k]``: their states after ``steps[k]`` steps) over the data, as an animation:
    :func:`flow_animation`'s figure, with its slider counting chain steps. It opens on the last step, the samples;
    Play runs the chains from their start."""
    if len(steps) != len(path):
        raise DataError(f"Give one step number per state: {len(path)} states, {len(steps)} step numbers.")
    figure = flow_animation(data, path)
    figure.update_layout(title_text=title)
    last = _as_rows(path[-1], what="chains", width=2)
    figure.data[2].update(name="chains", x=last[:, 0], y=last[:, 1])
    figure.layout.sliders[0].active = len(path) - 1
    figure.layout.updatemenus[0].buttons[0].args[1]["fromcurrent"] = False
    for slider_step, step in zip(figure.layout.sliders[0].steps, steps):
        slider_step.label = str(step)
    return figure


def sample_mmd(
    names: Sequence[str],
    values: Sequence[float],
    uniform: float,
    training: float,
    *,
    title: str = "Samples against held-out data (MMD², lower is closer)",
) -> go.Figure:
    """Each sampler's MMD² to held-out data as a bar, between the two ends as dashed lines: uniform noise over the
    chains' box (a sampler that learned nothing) and the training points themselves (as close as data comes)."""
    if len(names) != len(values):
        raise DataError(f"Give one MMD² per sampler: {len(names)} names, {len(values)} values.")
    if not len(names):
        return empty_figure("No samplers to compare.", title, "sampler", "MMD²")
    bars = {
        "type": "bar",
        "x": [user_text(name) for name in names],
        "y": list(values),
        "name": "samples",
        "marker": {"color": SERIES_COLORS["reconstructed"]},
        "text": [f"{value:.4f}" for value in values],
        "textposition": "outside",
        "hovertemplate": "%{x}<br>MMD² %{y:.4f}<extra></extra>",
    }
    ends = [
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": value, "y1": value,
         "line": {"color": color, "width": 2, "dash": "dash"},
         "label": {"text": f"{label} {value:.4f}", "textposition": side, "yanchor": "bottom",
                   "font": {"color": color, "size": 11}}}
        for label, value, color, side in (("uniform noise", uniform, SERIES_COLORS["identity_mse"], "end"),
                                          ("training points", training, SERIES_COLORS["clean"], "start"))
    ]  # fmt: skip
    everything = [*values, uniform, training]
    low, high = min(0.0, *everything), max(everything)
    pad = 0.15 * (high - low) + 1e-9
    return _figure(
        [bars], title, "sampler", "MMD² to held-out data", shapes=ends, yaxis={"range": [low - pad / 3, high + pad]}
    )


def chain_grid(
    paths: Sequence[np.ndarray],
    steps: Sequence[int],
    image_shape: tuple[int, ...],
    names: Sequence[str],
    *,
    ink: bool = True,
    title: str = "Walk-back chains of pictures, one column per kept step",
) -> go.Figure:
    """Chains of pictures: one block per sampler (``paths[i]``: (len(steps), chains, h*w*c) states), one row per
    chain and one column per kept step, the blocks one under another and named at their left; one tiled heatmap.
    ``ink``: 1 is drawn dark, as digits on paper."""
    h, w = image_shape[:2]
    if len(paths) != len(names):
        raise DataError(f"Give one name per sampler: {len(paths)} samplers, {len(names)} names.")
    if not len(paths):
        return empty_figure("No samplers to compare.", title)
    blocks, centres, top = [], [], 0
    for path in paths:
        path = np.asarray(path, np.float64)
        if path.ndim != 3 or path.shape[0] != len(steps):
            raise DataError(f"Each path must be (steps, chains, pixels) with {len(steps)} steps. Got {path.shape}.")
        count, chains = path.shape[:2]
        pictures = gray(path.reshape(count * chains, -1), image_shape).reshape(count, chains, h, w)
        block = tile(pictures.transpose(1, 0, 2, 3))  # (chains, steps, h, w) tiled: a chain per row
        blocks += [block, np.full((h, block.shape[1]), np.nan)]  # a picture's height between samplers
        centres.append(top + (block.shape[0] - 1) / 2)
        top += block.shape[0] + h
    z = np.vstack(blocks[:-1])
    heatmap = {**_gray_heatmap(z, ink), "hoverinfo": "skip"}
    xaxis = {**_IMAGE_AXIS, "tickvals": tile_centres(len(steps), w), "ticktext": [str(s) for s in steps]}
    yaxis = {**_IMAGE_AXIS, "autorange": "reversed", "scaleanchor": "x", "tickvals": centres,
             "ticktext": [user_text(name) for name in names]}  # fmt: skip
    height = _fitted_height(z.shape[0], z.shape[1], PLOT_WIDTH / max(z.shape[1], 1), 140)
    return _figure([heatmap], title, "chain step", "", xaxis=xaxis, yaxis=yaxis, height=height)


def vector_field(
    points: np.ndarray,
    displacement: np.ndarray,
    data: np.ndarray | None = None,
    *,
    scale: float | None = None,
    title: str = "The model's field r(x̃) − x̃",
    axis_titles: tuple[str, str] = PLANE_TITLES,
) -> go.Figure:
    """Quiver plot of where a denoiser moves each grid point, over an optional scatter of the data.

    By default the arrows are drawn for the screen, not to scale: the longest step spans 0.9 of a grid cell and the
    others down to 0.45 of a cell, by their length, so the direction reads everywhere (to scale, the arrows near the
    data shrink to dots: far from the data the pull is much stronger); each grid point's colour gives the step's
    true size. Lines 2 px wide with heads of 10 px stay readable on a chart 400 px wide, the width of one of two
    columns at 1280 px and of a phone's screen, with a grid of 13 × 13 (``analysis.vector_field``'s default).
    ``scale=1.0`` draws the true displacement instead, ``scale=s`` the displacement times s.
    """
    points = _as_rows(points, what="points", width=2)
    if points.size == 0:
        return empty_figure("No grid to show.", title, *axis_titles)
    displacement = _as_rows(displacement, what="displacement", width=2)
    if displacement.shape != points.shape:
        raise DataError(
            f"vector_field needs one displacement per point. Got {len(points)} points and "
            f"{len(displacement)} displacements."
        )
    lengths = np.linalg.norm(displacement, axis=1)
    traces = []
    if data is not None and len(data):
        data = _as_rows(data, what="data", width=2)
        traces.append(_points_trace(data, "data", SERIES_COLORS["clean"], 5, hoverinfo="skip"))
    if scale is None:
        unit = displacement / np.where(lengths > 0, lengths, 1.0)[:, None]
        longest = lengths.max()
        shown = np.where(lengths > 0, 0.45 + 0.45 * lengths / (longest if longest > 0 else 1.0), 0.0)  # in cells
        ends, name = points + _grid_spacing(points) * shown[:, None] * unit, "direction of the step"
    else:
        ends, name = points + scale * displacement, "r(x̃) − x̃" if scale == 1.0 else f"r(x̃) − x̃ (×{scale:.2g})"
    arrows = _arrow_trace(points, ends, name=name, color=SERIES_COLORS["arrow"], head_size=10)
    arrows["line"]["width"] = 2
    arrows["marker"].update(opacity=1.0, symbol="arrow-wide")  # plotly.js draws markers sized one by one at 0.7
    traces.append(arrows)
    hover = "(%{x:.2f}, %{y:.2f})<br>step length %{customdata:.3f}<extra></extra>"
    marker = {"color": lengths, "colorscale": "Viridis", "size": 6, "showscale": True,
              "colorbar": {"title": {"text": "step length"}, "thickness": 12}}  # fmt: skip
    traces.append({"type": "scatter", "x": points[:, 0], "y": points[:, 1], "mode": "markers", "marker": marker,
                   "customdata": lengths, "hovertemplate": hover, "showlegend": False})  # fmt: skip
    return _figure(traces, title, *axis_titles, yaxis={"scaleanchor": "x", "scaleratio": 1})


def _grid_spacing(points: np.ndarray) -> float:
    """Smallest step between distinct x (or y) values: the spacing of a regular grid."""
    steps = [np.diff(np.unique(points[:, axis])) for axis in (0, 1)]
    steps = [s[s > 1e-9].min() for s in steps if (s > 1e-9).any()]
    return float(min(steps)) if steps else 1.0


# --- latent space ----------------------------------------------------------------------------------
def latent_scatter(
    projection: np.ndarray,
    labels: np.ndarray | None = None,
    hover: Sequence[str] | None = None,
    method: str = "PCA",
    *,
    title: str | None = None,
    max_classes: int = 20,
    ids: np.ndarray | None = None,
    class_names: Sequence[str] = (),
) -> go.Figure:
    """Codes projected to 2-D: one colour and legend entry per class, or a colour bar for many labels.

    ``hover`` gives one line of text per point (e.g. "test #12 · label 3 · MSE 0.041"); ``ids`` (one per point,
    say the test row) ride along as each point's ``customdata``, so a selected point says which row it is.
    ``class_names``: what each integer label means (a picture folder's name), shown in the legend in its place.
    """
    title = title or f"Latent space: {method} of the codes"
    axis_titles = (f"{method} 1 (arbitrary units)", f"{method} 2 (arbitrary units)")
    projection = _as_rows(projection, what="projection", width=2) if np.size(projection) else np.zeros((0, 2))
    if projection.size == 0:
        return empty_figure("No codes to show.", title, *axis_titles)
    n = len(projection)
    text = np.asarray([user_text(h) for h in hover] if hover is not None else [f"#{i}" for i in range(n)], dtype=object)
    common = {"hovertemplate": "%{text}<extra>%{fullData.name}</extra>"}
    ids = np.arange(n) if ids is None else np.asarray(ids)
    classes = None if labels is None else np.unique(np.asarray(labels))
    if labels is None:
        traces = [_points_trace(projection, "codes", PALETTE[0], 6, text=text, customdata=ids, **common)]
    elif len(classes) <= max_classes and _is_discrete(classes):
        labels = np.asarray(labels)
        traces = [
            _points_trace(
                projection[labels == value],
                user_text(class_name(value, class_names)),
                PALETTE[i % len(PALETTE)],
                6,
                text=text[labels == value],
                customdata=ids[labels == value],
                **common,
            )
            for i, value in enumerate(classes)
        ]
    else:  # many or continuous labels: one trace on a colour bar
        marker = {
            "color": np.asarray(labels, dtype=np.float64),
            "colorscale": "Viridis",
            "showscale": True,
            "size": 6,
            "opacity": 0.8,
            "colorbar": {"title": {"text": "label"}, "thickness": 12},
        }
        traces = [_points_trace(projection, "codes", PALETTE[0], 6, text=text, customdata=ids, **common)]
        traces[0]["marker"] = marker
    return _figure(
        traces,
        title,
        *axis_titles,
        yaxis={"scaleanchor": "x", "scaleratio": 1},
        # Classes listed down the right: ten entries across the top would wrap into the title.
        legend={
            "title": {"text": "label"},
            "orientation": "v",
            "x": 1.02,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "top",
        }
        if labels is not None
        else {},
    )


def class_name(value, class_names: Sequence[str]):
    """Label ``value``'s name in ``class_names`` when it indexes one, else the value itself."""
    index = int(value) if isinstance(value, (int, np.integer)) else -1
    return class_names[index] if 0 <= index < len(class_names) else value


def _is_discrete(classes: np.ndarray) -> bool:
    """Integers, strings or whole-number floats count as class labels."""
    if classes.dtype.kind in "biuUSO":
        return True
    return bool(np.all(np.mod(classes, 1) == 0))


def gray(rows, image_shape) -> np.ndarray:
    """Rows of colour images, (N, h*w*c), as (N, h*w) grayscale (the channels' mean); other rows as they are."""
    rows = np.asarray(rows)
    channels = image_shape[2] if len(image_shape) == 3 else 1
    if channels == 1 or rows.ndim != 2 or rows.shape[1] != math.prod(image_shape):
        return rows
    return rows.reshape(len(rows), -1, channels).mean(axis=2)


# --- filters ---------------------------------------------------------------------------------------
def _filter_canvas(weights: np.ndarray, image_shape: tuple[int, int], normalize: bool) -> tuple[np.ndarray, ...]:
    """(units, h*w) weights as one tiled array, NaN between tiles: (z, which unit each pixel shows, rows)."""
    h, w = image_shape[:2]
    units = len(weights)
    if normalize:
        peak = np.abs(weights).max(axis=1, keepdims=True)
        weights = weights / np.where(peak > 0, peak, 1.0)
    cols = math.ceil(math.sqrt(units))
    rows = math.ceil(units / cols)
    padded = np.full((rows * cols, h * w), np.nan)  # empty tiles after the last unit stay NaN
    padded[:units] = weights
    z = tile(padded.reshape(rows, cols, h, w), gap=1)
    unit_of = np.full(z.shape, -1)  # which unit each pixel belongs to, for the hover text
    for unit in range(units):
        r, c = divmod(unit, cols)
        unit_of[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = unit
    return z, unit_of, rows


def _filter_heatmap_trace(z: np.ndarray, unit_of: np.ndarray, limit: float, normalize: bool) -> dict:
    return {
        "type": "heatmap",
        "z": z,
        "customdata": unit_of,
        "colorscale": DIVERGING,
        "zmid": 0.0,
        "zmin": -limit,
        "zmax": limit,
        "hoverongaps": False,
        "hovertemplate": "unit %{customdata}<br>weight %{z:.3f}<extra></extra>",
        "colorbar": {"title": {"text": "weight / max|w|" if normalize else "weight"}, "thickness": 12},
    }


_NO_TICKS = {"showticklabels": False, **_IMAGE_AXIS}


def filter_tiles(
    weights: np.ndarray,
    image_shape: tuple[int, int],
    *,
    max_units: int = 64,
    normalize: bool = True,
    pixel_size: int = 9,
    title: str = "Encoder filters (first-layer weights)",
) -> go.Figure:
    """First-layer weights (units, h*w) as one image tile per unit, on a diverging scale centred at 0.

    With ``normalize`` each tile is divided by its own largest |weight|, so weak units stay visible.
    """
    weights = gray(weights, image_shape)
    h, w = image_shape = image_shape[:2]
    weights = _as_rows(weights, what="weights", width=h * w)[:max_units]
    if weights.size == 0:
        return empty_figure("No weights to show.", title)
    z, unit_of, rows = _filter_canvas(weights, image_shape, normalize)
    limit = 1.0 if normalize else _symmetric_limit(weights)
    return _figure(
        [_filter_heatmap_trace(z, unit_of, limit, normalize)],
        title,
        xaxis=_NO_TICKS,
        yaxis={"autorange": "reversed", "scaleanchor": "x", **_NO_TICKS},
        # small kernels (a conv model's 3 x 3) are drawn larger, to about FILTERS_HEIGHT px, so they can be read
        height=_fitted_height(z.shape[0], z.shape[1], max(pixel_size, FILTERS_HEIGHT / z.shape[0]), 120),
    )


def filter_galleries(
    galleries: Sequence[np.ndarray],
    image_shape: tuple[int, int],
    names: Sequence[str],
    *,
    max_units: int = 36,
    title: str = "Encoder filters",
) -> go.Figure:
    """Several models' first-layer weights side by side, one gallery each, named above it; each tile scaled to
    its own largest |weight|, on one diverging scale."""
    galleries = [gray(gallery, image_shape) for gallery in galleries]
    h, w = image_shape = image_shape[:2]
    if not galleries:
        return empty_figure("No models to compare.", title)
    canvases = [
        _filter_canvas(_as_rows(g, what="weights", width=h * w)[:max_units], image_shape, True) for g in galleries
    ]
    height = max(z.shape[0] for z, _, _ in canvases)
    gap = w  # one tile's width between galleries
    parts, owners, centres, left = [], [], [], 0
    for z, unit_of, _ in canvases:
        padded = np.full((height, z.shape[1] + gap), np.nan)
        padded[: z.shape[0], : z.shape[1]] = z
        owner = np.full(padded.shape, -1)
        owner[: z.shape[0], : z.shape[1]] = unit_of
        parts.append(padded)
        owners.append(owner)
        centres.append(left + (z.shape[1] - 1) / 2)
        left += padded.shape[1]
    z, unit_of = np.hstack(parts)[:, :-gap], np.hstack(owners)[:, :-gap]
    labels = [
        {"text": f"<b>{user_text(name)}</b>", "x": centre, "y": -1, "xref": "x", "yref": "y", "yanchor": "bottom",
         "showarrow": False}
        for name, centre in zip(names, centres)
    ]  # fmt: skip
    heatmap = _filter_heatmap_trace(z, unit_of, 1.0, True)
    heatmap["colorbar"] |= {"orientation": "h", "len": 0.5, "x": 0.5, "xanchor": "center", "y": -0.02,
                            "yanchor": "top", "title": {"text": "weight / max|w|", "side": "top"}}  # fmt: skip
    return _figure(
        [heatmap],
        title,
        xaxis=_NO_TICKS,
        yaxis={"autorange": "reversed", "scaleanchor": "x", **_NO_TICKS},
        annotations=labels,
        margin={"t": 100, "b": 90, "l": 16, "r": 16},
        height=480,
    )


def filter_heatmap(
    weights: np.ndarray,
    feature_names: Sequence[str],
    *,
    max_units: int = 128,
    title: str = "Encoder first-layer weights",
) -> go.Figure:
    """First-layer weights as a (hidden unit × input feature) heatmap on a diverging scale centred at 0."""
    weights = _as_rows(weights, what="weights")[:max_units] if np.size(weights) else np.zeros((0, 0))
    if weights.size == 0:
        return empty_figure("No weights to show.", title, "input feature", "hidden unit")
    units, width = weights.shape
    limit = _symmetric_limit(weights)
    heatmap = {
        "type": "heatmap",
        "z": weights,
        "x": _names(feature_names, width),
        "y": [f"unit {u}" for u in range(units)],
        "colorscale": DIVERGING,
        "zmid": 0.0,
        "zmin": -limit,
        "zmax": limit,
        "hovertemplate": "%{y} · %{x}<br>weight %{z:.3f}<extra></extra>",
        "colorbar": {"title": {"text": "weight"}, "thickness": 12},
    }
    return _figure(
        [heatmap],
        title,
        "input feature",
        "hidden unit",
        xaxis={"type": "category", "showgrid": False},
        yaxis={"type": "category", "autorange": "reversed", "showgrid": False},
        height=max(280, 150 + 16 * units),
    )


# --- views from the papers -------------------------------------------------------------------------
def noise_grid(
    train_levels: Sequence[float],
    test_levels: Sequence[float],
    mse: np.ndarray,
    *,
    title: str = "Test MSE by training noise and test noise",
) -> go.Figure:
    """A heatmap of test MSE, (training level × test level), each column's lowest value outlined."""
    mse = np.asarray(mse, dtype=float)
    if mse.shape != (len(train_levels), len(test_levels)):
        raise DataError(
            f"The MSE grid must have shape ({len(train_levels)}, {len(test_levels)}) (training levels × test "
            f"levels). Got {mse.shape} instead."
        )
    if mse.size == 0:
        return empty_figure("No models to compare.", title, "test noise level", "training noise level")
    rows = [f"{level:g}" for level in train_levels]
    columns = [f"{level:g}" for level in test_levels]
    heatmap = {
        "type": "heatmap",
        "z": mse,
        "x": columns,
        "y": rows,
        "colorscale": "Viridis",
        "reversescale": True,  # dark is good: low error
        "text": [[f"{value:.4f}" for value in row] for row in mse],
        "texttemplate": "%{text}",
        "hovertemplate": "trained at %{y}, tested at %{x}<br>test MSE %{z:.4f}<extra></extra>",
        "colorbar": {"title": {"text": "test MSE"}, "thickness": 12},
    }
    best = np.nanargmin(np.where(np.isnan(mse), np.inf, mse), axis=0)
    outlines = [
        {
            "type": "rect",
            "xref": "x",
            "yref": "y",
            "x0": column - 0.5,
            "x1": column + 0.5,
            "y0": row - 0.5,
            "y1": row + 0.5,
            "line": {"color": SERIES_COLORS["arrow"], "width": 3},
        }
        for column, row in enumerate(best)
    ]
    return _figure(
        [heatmap],
        title,
        "test noise level",
        "training noise level",
        xaxis={"type": "category", "showgrid": False},
        yaxis={"type": "category", "showgrid": False, "autorange": "reversed"},  # the diagonal runs down
        shapes=outlines,
        height=140 + 52 * len(rows),
    )


def probe_by_noise(
    levels: Sequence[float],
    accuracies: Sequence[float],
    raw_accuracy: float | None,
    *,
    title: str = "Linear-probe accuracy by training noise level",
) -> go.Figure:
    """Accuracy of a linear classifier on each model's codes against its training level; the raw features'
    accuracy as a dashed line."""
    if len(levels) != len(accuracies):
        raise DataError(f"Give one accuracy per level: {len(levels)} levels, {len(accuracies)} accuracies.")
    if not len(levels):
        return empty_figure("No models to compare.", title, "training noise level", "probe accuracy")
    traces = [
        {
            "type": "scatter",
            "x": list(levels),
            "y": list(accuracies),
            "name": "codes",
            "mode": "lines+markers",
            "line": {"color": SERIES_COLORS["reconstructed"], "width": 2},
            "marker": {"size": 9},
            "hovertemplate": "trained at %{x:g}<br>accuracy %{y:.3f}<extra>codes</extra>",
        }
    ]
    values = list(accuracies)
    if raw_accuracy is not None:
        traces.append(
            {
                "type": "scatter",
                "x": [min(levels), max(levels)] if len(levels) > 1 else [levels[0] - 0.05, levels[0] + 0.05],
                "y": [raw_accuracy, raw_accuracy],
                "name": "raw features",
                "mode": "lines",
                "line": {"color": SERIES_COLORS["identity_mse"], "width": 2, "dash": "dash"},
                "hovertemplate": "accuracy %{y:.3f}<extra>raw features</extra>",
            }
        )
        values.append(raw_accuracy)
    low, high = min(values), max(values)
    pad = max(0.01, (high - low) * 0.3)
    return _figure(
        traces, title, "training noise level", "probe accuracy", yaxis={"range": [low - pad, min(1.0, high + pad)]}
    )


def accuracy_by_labels(
    rows_per_class: Sequence[float],
    tick_labels: Sequence[str],
    curves: Sequence[tuple[str, Sequence[float], Sequence[float]]],
    *,
    title: str = "Test accuracy by labelled rows per class",
) -> go.Figure:
    """Accuracy against labelled rows per class (log axis), one line per method (name, means, standard deviations)
    with a band of ± one standard deviation around it (``pretrain.PretrainResult``)."""
    x = [float(value) for value in rows_per_class]
    if not x or not curves:
        return empty_figure("No results to draw.", title, "labelled rows per class", "test accuracy")
    traces = []
    for index, (name, means, stds) in enumerate(curves):
        if len(means) != len(x) or len(stds) != len(x):
            raise DataError(f"Give one mean and one spread per label count for {name!r}: {len(x)} counts.")
        color = PALETTE[index % len(PALETTE)]
        upper = [m + s for m, s in zip(means, stds)]
        lower = [m - s for m, s in zip(means, stds)]
        traces.append(
            {
                "type": "scatter",
                "x": x + x[::-1],
                "y": upper + lower[::-1],
                "fill": "toself",
                "fillcolor": color,
                "opacity": 0.18,
                "line": {"width": 0},
                "hoverinfo": "skip",
                "showlegend": False,
                "legendgroup": name,
            }
        )
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": [float(m) for m in means],
                "customdata": [[float(s)] for s in stds],
                "name": user_text(name),
                "legendgroup": name,
                "mode": "lines+markers",
                "line": {"color": color, "width": 2},
                "marker": {"size": 8},
                "hovertemplate": f"%{{x:.0f}} per class<br>accuracy %{{y:.3f}} ± %{{customdata[0]:.3f}}"
                f"<extra>{user_text(name)}</extra>",
            }
        )
    xaxis = {"type": "log", "tickvals": x, "ticktext": list(tick_labels)}
    return _figure(traces, title, "labelled rows per class (log scale)", "test accuracy", xaxis=xaxis)


def accuracy_by_test_noise(
    test_levels: Sequence[float],
    paths: Sequence[tuple[str, Sequence[float]]],
    raw: Sequence[float] | None = None,
    *,
    noise_label: str = "masking",
    title: str = "Accuracy of a classifier trained on clean inputs",
) -> go.Figure:
    """A classifier's accuracy against the test noise level: one line per path (``(name, accuracy per level)``, a
    model's reconstructions), and the damaged inputs read as they are (``raw``) dashed."""
    x_title = f"test noise level ({noise_label})"
    for name, accuracies in paths:
        if len(accuracies) != len(test_levels):
            raise DataError(
                f"Give one accuracy per test level: {len(test_levels)} levels, {len(accuracies)} for {name!r}."
            )
    if not len(test_levels):
        return empty_figure("No test levels to compare.", title, x_title, "accuracy")
    hover = "test noise %{x:g}<br>accuracy %{y:.3f}<extra>%{fullData.name}</extra>"
    traces = [
        {
            "type": "scatter",
            "x": list(test_levels),
            "y": list(accuracies),
            "name": user_text(name),
            "mode": "lines+markers",
            "line": {"color": PALETTE[i % len(PALETTE)], "width": 2},
            "marker": {"size": 8},
            "hovertemplate": hover,
        }
        for i, (name, accuracies) in enumerate(paths)
    ]
    if raw is not None:
        traces.append(
            {
                "type": "scatter",
                "x": list(test_levels),
                "y": list(raw),
                "name": "raw inputs",
                "mode": "lines+markers",
                "line": {"color": SERIES_COLORS["identity_mse"], "width": 2, "dash": "dash"},
                "marker": {"size": 7},
                "hovertemplate": hover,
            }
        )
    low = min(min(trace["y"]) for trace in traces)
    return _figure(traces, title, x_title, "accuracy", yaxis={"range": [max(0.0, low - 0.05), 1.0]})


def image_rows(
    rows: Sequence[np.ndarray],
    image_shape: tuple[int, ...],
    row_names: Sequence[str],
    *,
    column_names: Sequence | None = None,
    marked: np.ndarray | None = None,
    pixel_size: int = 6,
    title: str = "",
    ink: bool = True,
) -> go.Figure:
    """Rows of images, one tiled array: ``rows[k]`` is (n, h*w*c) in [0, 1], drawn left to right and named
    ``row_names[k]`` on the left; ``column_names`` head the columns. ``marked`` (k, n) bools outline images in red
    (say, those a classifier misreads). Colour images are drawn in gray."""
    h, w = image_shape[:2]
    if len(row_names) != len(rows):
        raise DataError(f"Give one name per row of images: {len(rows)} rows, {len(row_names)} names.")
    images = [
        _as_rows(gray(block, image_shape), what=f"row {name!r}", width=h * w) for block, name in zip(rows, row_names)
    ]
    if not images or not len(images[0]):
        return empty_figure("No images to show.", title)
    count = len(images[0])
    if any(len(block) != count for block in images):
        raise DataError(f"Every row of images must hold {count} images. Got {[len(block) for block in images]}.")
    z = tile(np.stack(images).reshape(len(images), count, h, w), gap=1).astype(np.float32)
    heatmap = _gray_heatmap(z, ink)
    shapes = []
    if marked is not None:
        for k, i in zip(*np.nonzero(np.asarray(marked, bool))):
            top, left = k * (h + 1), i * (w + 1)
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "y",
                    "x0": left - 0.5,
                    "x1": left + w - 0.5,
                    "y0": top - 0.5,
                    "y1": top + h - 0.5,
                    "line": {"color": SERIES_COLORS["arrow"], "width": 2},
                }
            )
    columns = _names(column_names, count) if column_names is not None else [""] * count
    return _figure(
        [heatmap],
        title,
        xaxis={"tickvals": tile_centres(count, w), "ticktext": columns, "tickangle": 0, "side": "top", **_IMAGE_AXIS},
        yaxis={
            "tickvals": tile_centres(len(images), h),
            "ticktext": [user_text(name) for name in row_names],
            "autorange": "reversed",
            "scaleanchor": "x",
            **_IMAGE_AXIS,
        },
        shapes=shapes,
        height=_fitted_height(len(images) * (h + 1), z.shape[1], pixel_size, 130),
        margin={"t": 90, "l": 120},
    )


def model_name(level: float) -> str:
    """A model as the robustness figures name it by its training noise level: the plain autoencoder at 0."""
    return "autoencoder" if level == 0 else f"DAE ν = {level:g}"


def robustness_curves(robust) -> go.Figure:
    """:func:`accuracy_by_test_noise` of a ``robustness.Robustness``: one line per model, the raw inputs dashed."""
    paths = [(model_name(level), accuracy) for level, accuracy in zip(robust.model_levels, robust.through)]
    return accuracy_by_test_noise(robust.test_levels, paths, robust.raw, noise_label=robust.noise_label)


def robustness_digits(robust, image_shape: tuple[int, ...]) -> go.Figure:
    """:func:`image_rows` of a ``robustness.Robustness``'s shown rows: clean, damaged, then each model's
    reconstruction of the damaged row; a red frame where the clean-trained classifier misreads what it is given."""
    rows = [robust.shown_clean, robust.shown_damaged, *robust.shown_reconstructed]
    names = ["clean", f"{robust.noise_label} {robust.shown_level:g}", *map(model_name, robust.model_levels)]
    misread = np.asarray(robust.shown_read) != np.asarray(robust.shown_labels)[None, :]  # (1 + models, n)
    marked = np.vstack([np.zeros((1, misread.shape[1]), bool), misread])
    title = "What each model makes of damaged test digits (red: the classifier misreads it)"
    return image_rows(rows, image_shape, names, column_names=list(robust.shown_labels), marked=marked, title=title)


# --- the home page's diagram -----------------------------------------------------------------------
_STEP_BOXES = (  # (label, fill): filled boxes with dark text read the same on a light or a dark theme
    ("clean x", "#dbeafe"),
    ("corrupted x̃", "#ffedd5"),
    ("code h", "#ede9fe"),
    ("reconstruction r(x̃)", "#d1fae5"),
    ("loss(r(x̃), x)", "#fee2e2"),
)
_STEP_ARROWS = ("corrupt", "encode", "decode", "compare")
_DIAGRAM_GREY = "#94a3b8"
_BOX_HEIGHT, _BOX_GAP, _DIAGRAM_WIDTH, _AXIS = 40, 34, 420, 150  # px; _AXIS: the x of the boxes' centre line


def _box_half_width(label: str) -> float:
    """Half the width of the box around ``label``: wide enough for its text at 15 px."""
    return 30 + 4 * len(label)


def training_step_svg() -> str:
    """One training step of a denoising autoencoder as an SVG document, top to bottom: clean x, corrupted x̃,
    code h, reconstruction r(x̃) and the loss; the clean input also feeds the loss (the dashed target).

    Plain SVG for an image rather than a Plotly figure, so the page that shows it loads no charting code and is
    ready sooner.
    """
    arrow = f'stroke="{_DIAGRAM_GREY}" stroke-width="1.6" marker-end="url(#head)"'
    note = f'font-size="13" fill="{_DIAGRAM_GREY}"'
    parts = [
        '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{_DIAGRAM_GREY}"/></marker></defs>'
    ]
    for i, (label, fill) in enumerate(_STEP_BOXES):
        top, half = 4 + i * (_BOX_HEIGHT + _BOX_GAP), _box_half_width(label)
        parts.append(
            f'<rect x="{_AXIS - half}" y="{top}" width="{2 * half}" height="{_BOX_HEIGHT}" rx="6" '
            f'fill="{fill}" stroke="#64748b"/>'
            f'<text x="{_AXIS}" y="{top + 26}" text-anchor="middle" font-size="15" fill="#0f172a">{label}</text>'
        )
        if i < len(_STEP_ARROWS):
            bottom = top + _BOX_HEIGHT
            parts.append(
                f'<line x1="{_AXIS}" y1="{bottom + 2}" x2="{_AXIS}" y2="{bottom + _BOX_GAP - 4}" {arrow}/>'
                f'<text x="{_AXIS + 8}" y="{bottom + _BOX_GAP // 2 + 5}" {note}>{_STEP_ARROWS[i]}</text>'
            )
    first_right = _AXIS + _box_half_width(_STEP_BOXES[0][0])
    last_right = _AXIS + _box_half_width(_STEP_BOXES[-1][0])
    last_middle = 4 + (len(_STEP_BOXES) - 1) * (_BOX_HEIGHT + _BOX_GAP) + _BOX_HEIGHT // 2
    bend = _DIAGRAM_WIDTH - 40  # the target's curve swings out right of the widest box
    parts.append(
        f'<path d="M {first_right + 2} 24 C {bend} 24, {bend} {last_middle}, {last_right + 6} {last_middle}" '
        f'fill="none" stroke-dasharray="6 4" {arrow}/>'
        f'<text x="{bend - 20}" y="{last_middle // 2 + 14}" {note}>target</text>'
    )
    height = len(_STEP_BOXES) * (_BOX_HEIGHT + _BOX_GAP) - _BOX_GAP + 8
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_DIAGRAM_WIDTH} {height}" width="{_DIAGRAM_WIDTH}" '
        f'height="{height}" font-family="sans-serif">{"".join(parts)}</svg>'
    )


# --- a hyperparameter search: Optuna's own figures, in the lab's look ----------------------------------------------
@dataclasses.dataclass(frozen=True)
class TuneFigures:
    """Optuna's figures of a search (``tune.TuneResult``), each None until there is enough to draw it, and why."""

    history: go.Figure | None = None
    parallel: go.Figure | None = None
    importances: go.Figure | None = None
    notes: tuple[str, ...] = ()


def tune_figures(result) -> TuneFigures:
    """The optimisation history, the parallel coordinates of the finished trials, and the settings' importances
    (fANOVA, Optuna's default), drawn by Optuna from ``result`` and restyled to match the other charts."""
    import optuna.visualization as vis

    from .tune import METRICS, study_of

    study = study_of(result)
    complete = sum(trial.state.name == "COMPLETE" for trial in study.trials)
    metric = result.metric.replace("_", " ")
    better = "lower is better" if METRICS[result.metric][0] == "minimize" else "higher is better"
    notes = []
    history = parallel = importances = None
    if complete:
        history = style(vis.plot_optimization_history(study), "Each trial, and the best so far", "trial",
                        f"{metric} ({better})")  # fmt: skip
        history.update_traces(marker={"color": SERIES_COLORS["test_mse"]}, name="a trial", selector={"mode": "markers"})
        history.update_traces(line={"color": SERIES_COLORS["clean"]}, name="best so far", selector={"mode": "lines"})
    else:
        notes.append("The history is drawn once a trial is complete.")
    if complete >= 2:
        parallel = style(vis.plot_parallel_coordinate(study), f"Settings of the complete trials, coloured by {metric}")
        parallel.update_traces(
            line={"colorscale": "Oranges", "reversescale": METRICS[result.metric][0] == "minimize",
                  "colorbar": {"title": {"text": metric}}},
            labelangle=0, labelside="bottom",
        )  # fmt: skip
        parallel.update_layout(margin={"l": 70, "r": 90, "t": 60, "b": 60})  # room for the colour bar
        labels = {"Objective Value": metric}
        for dimension in parallel.data[0].dimensions:
            dimension.label = labels.get(dimension.label, dimension.label).replace("_", " ")
    else:
        notes.append("The parallel coordinates are drawn once 2 trials are complete.")
    if complete >= 3 and len(result.space) >= 2:
        try:
            importances = style(vis.plot_param_importances(study), "How much each setting mattered (fANOVA)",
                                "importance for the metric")  # fmt: skip
            importances.update_traces(marker={"color": SERIES_COLORS["clean"]}, cliponaxis=False)
            importances.update_layout(margin={"r": 50})
        except (RuntimeError, ValueError) as exc:  # e.g. one setting never varied: nothing to attribute
            notes.append(f"Importances are not drawn yet ({exc}).")
    elif len(result.space) >= 2:
        notes.append("Importances are drawn once 3 trials are complete.")
    return TuneFigures(history, parallel, importances, tuple(notes))
