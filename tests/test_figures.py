"""Tests for dae_core.figures: every builder returns a styled Figure with the expected series and shapes."""

import dataclasses
import json
from xml.etree import ElementTree

import numpy as np
import plotly.graph_objects as go
import pytest

from dae_core import figures
from dae_core.errors import ConfigError, DataError
from dae_core.records import EpochRecord, SettingChange


def _history(n_epochs: int, noise_change_at: int | None = None) -> list[EpochRecord]:
    records = []
    for epoch in range(1, n_epochs + 1):
        late = noise_change_at is not None and epoch > noise_change_at
        records.append(
            EpochRecord(
                epoch=epoch,
                train_loss=1.0 / epoch,
                test_mse=0.5 + 1.0 / epoch,
                identity_mse=0.16 if late else 0.04,
                pca_mse=0.6 if late else 0.51,
                seconds=0.01,
                samples_per_second=8e4,
                lr=1e-3,
                noise_level=0.4 if late else 0.2,
            )
        )
    return records


def _rows(n: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(size=(n, width))


def _titles(fig: go.Figure) -> tuple[str, str, str]:
    layout = fig.layout
    return layout.title.text, layout.xaxis.title.text, layout.yaxis.title.text


def _messages(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


# --- style ------------------------------------------------------------------------------------------
def test_style_applies_the_template_and_titles():
    fig = figures.style(go.Figure(go.Bar(x=[1], y=[2])), "Title", "epoch", "MSE (scaled units²)")
    assert _titles(fig) == ("Title", "epoch", "MSE (scaled units²)")
    assert fig.layout.template.layout.colorway == figures.PALETTE


def test_every_builder_shares_the_template():
    built = [
        figures.loss_curves(_history(3)),
        figures.runs_overlay([("a", _history(3))]),
        figures.sample_comparison(_rows(1, 4)[0], None, _rows(1, 4)[0], list("abcd")),
        figures.samples_heatmap(_rows(3, 4), _rows(3, 4), _rows(3, 4), list("abcd")),
        figures.image_grid(_rows(2, 4), _rows(2, 4), _rows(2, 4), (2, 2)),
        figures.scatter_arrows(_rows(5, 2), _rows(5, 2), _rows(5, 2)),
        figures.vector_field(_rows(4, 2), _rows(4, 2)),
        figures.latent_scatter(_rows(5, 2)),
        figures.filter_tiles(_rows(3, 4), (2, 2)),
        figures.filter_heatmap(_rows(3, 4), list("abcd")),
    ]
    for fig in built:
        assert fig.layout.template.layout.colorway == figures.PALETTE
        assert fig.layout.title.text
        json.loads(fig.to_json())  # serializable, NaN gaps included


# --- loss curves ------------------------------------------------------------------------------------
def test_loss_curves_draw_both_losses_and_both_baselines():
    history = _history(40)
    fig = figures.loss_curves(history, title="Training")
    assert [trace.name for trace in fig.data] == [
        "train loss",
        "test MSE (vs clean)",
        "identity baseline",
        "PCA baseline",
    ]
    assert _titles(fig) == ("Training", "epoch", "MSE (scaled units²)")
    np.testing.assert_array_equal(fig.data[0].x, np.arange(1, 41))
    np.testing.assert_allclose(fig.data[1].y, [r.test_mse for r in history])
    assert [trace.line.dash for trace in fig.data] == ["solid", "solid", "dash", "dash"]
    assert fig.layout.yaxis.range == (0, pytest.approx(1.5 * 1.06))  # from zero, with headroom
    assert not fig.layout.shapes
    assert fig.layout.legend.yref is None and fig.layout.height is None  # four entries: the template's legend on top


def test_loss_curves_of_image_data_add_its_classic_denoisers_as_dotted_steps():
    history = [dataclasses.replace(r, gaussian_blur_mse=0.03, median_mse=0.05, nl_means_mse=0.02) for r in _history(4)]
    fig = figures.loss_curves(history)
    names = [trace.name for trace in fig.data]
    assert names[4:] == ["Gaussian blur", "median filter", "non-local means"]
    assert [trace.line.dash for trace in fig.data[4:]] == ["dot"] * 3
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0  # below the axis, clear of the title
    np.testing.assert_allclose(fig.data[6].y, [0.02] * 4)
    without_nl_means = [dataclasses.replace(r, nl_means_mse=None) for r in history]  # digits: blur and median only
    assert [trace.name for trace in figures.loss_curves(without_nl_means).data][4:] == [
        "Gaussian blur",
        "median filter",
    ]


def test_loss_curves_baselines_follow_a_noise_change_as_steps():
    fig = figures.loss_curves(_history(10, noise_change_at=5), events=[SettingChange(5, "noise_level", 0.2, 0.4)])
    identity = fig.data[2]
    assert identity.line.shape == "hv"
    np.testing.assert_allclose(identity.y, [0.04] * 5 + [0.16] * 5)
    (line,) = fig.layout.shapes
    assert (line.x0, line.x1, line.line.dash) == (5.5, 5.5, "dot")
    assert _messages(fig) == ["noise level 0.2 → 0.4"]  # the setting's label, not its field name


def test_loss_curves_leave_headroom_above_every_line():
    """A baseline that steps up to the chart's maximum must not sit on the top edge, cut in half."""
    history = [
        EpochRecord(epoch, 0.3, 0.4, 0.9 if epoch > 3 else 0.1, 0.5, 0.01, 1e4, 1e-3, 0.2) for epoch in range(1, 7)
    ]
    fig = figures.loss_curves(history, events=[SettingChange(3, "noise_level", 0.2, 0.6)])
    low, high = fig.layout.yaxis.range
    assert low == 0 and high == pytest.approx(0.9 * 1.06)


def test_loss_curves_label_only_whole_epochs():
    """After one Step the x axis must not read 0.5 and 1.5 epochs."""
    one_epoch = figures.loss_curves(_history(1)).layout.xaxis
    assert (one_epoch.dtick, one_epoch.tick0) == (1, 0)
    assert figures.loss_curves(_history(40)).layout.xaxis.dtick is None  # plotly's own ticks once there are many


def test_loss_curves_accept_dicts():
    history = _history(5)
    from_dicts = figures.loss_curves([r.to_dict() for r in history])
    from_records = figures.loss_curves(history)
    for a, b in zip(from_dicts.data, from_records.data):
        np.testing.assert_array_equal(a.y, b.y)


def test_loss_curves_of_one_epoch_show_markers():
    fig = figures.loss_curves(_history(1))
    assert all(trace.mode == "lines+markers" for trace in fig.data)


def test_loss_curves_without_epochs_show_empty_axes_and_a_note():
    fig = figures.loss_curves([], events=[SettingChange(3, "lr", 0.001, 0.01)])
    assert len(fig.data) == 0
    assert _messages(fig) == ["No epochs yet."]
    assert _titles(fig) == ("Loss", "epoch", "MSE (scaled units²)")


def test_loss_curves_keep_only_the_latest_events():
    events = [SettingChange(10 * i, "lr", i, i + 1) for i in range(30)]  # apart: none merge
    fig = figures.loss_curves(_history(300), events=events)
    assert len(fig.layout.shapes) == 20
    assert fig.layout.shapes[-1].x0 == 290.5
    assert fig.layout.annotations[-1].hovertext.startswith("learning rate 29 → 30<br>")


def test_loss_curves_merge_a_dragged_slider_into_one_marker():
    """Arrow keys on the noise slider over epochs 10-13: one marker from the first old to the last new value."""
    steps = [0.2, 0.25, 0.3, 0.35, 0.4]
    events = [SettingChange(10 + i, "noise_level", old, new) for i, (old, new) in enumerate(zip(steps, steps[1:]))]
    fig = figures.loss_curves(_history(40), events=events)
    (line,) = fig.layout.shapes
    assert line.x0 == 10.5  # where the change began
    assert _messages(fig) == ["noise level 0.2 → 0.4"]
    assert "epochs 11–14, in 4 changes" in fig.layout.annotations[0].hovertext


def test_loss_curves_merge_only_changes_of_one_setting_close_together():
    events = [
        SettingChange(10, "noise_level", 0.2, 0.3),
        SettingChange(11, "lr", 0.001, 0.01),  # another setting between them does not split the drag
        SettingChange(12, "noise_level", 0.3, 0.4),
        SettingChange(30, "noise_level", 0.4, 0.5),  # long after: a marker of its own
    ]
    fig = figures.loss_curves(_history(40), events=events)
    assert [shape.x0 for shape in fig.layout.shapes] == [10.5, 11.5, 30.5]
    texts = [a.hovertext.split("<br>")[0] for a in fig.layout.annotations]
    assert texts == ["noise level 0.2 → 0.4", "learning rate 0.001 → 0.01", "noise level 0.4 → 0.5"]


def test_loss_curves_span_for_merging_grows_with_the_epochs_shown():
    events = [SettingChange(100, "lr", 0.001, 0.002), SettingChange(108, "lr", 0.002, 0.003)]
    assert len(figures.loss_curves(_history(200), events=events).layout.shapes) == 2  # 8 > 3 epochs (2% of 200: 4)
    assert len(figures.loss_curves(_history(500), events=events).layout.shapes) == 1  # 8 <= 10 epochs (2% of 500)


def _label_boxes(fig: go.Figure) -> list[tuple[float, float, float]]:
    """(lane yshift, left, right) of every label drawn in full, in epochs, as figures measures them."""
    low, high = 1.0, max(fig.data[0].x)
    per_px = (high - low) / figures._PLOT_PX
    boxes = []
    for a in fig.layout.annotations:
        if a.text == "…":
            continue
        width = (len(a.text) * figures._CHAR_PX + 6) * per_px
        left = a.x if a.xanchor == "left" else a.x - width
        boxes.append((a.yshift, left, left + width))
    return boxes


def test_loss_curves_stagger_labels_of_changes_at_the_same_epoch():
    events = [SettingChange(10, "lr", 0.001, 0.01), SettingChange(10, "noise_level", 0.2, 0.4)]
    fig = figures.loss_curves(_history(40), events=events)
    assert len(fig.layout.shapes) == 2 and _messages(fig) == ["learning rate 0.001 → 0.01", "noise level 0.2 → 0.4"]
    first, second = fig.layout.annotations
    assert first.x == second.x == 10.5
    assert (first.y, first.yshift) != (second.y, second.yshift)  # one under the other
    assert second.yshift < first.yshift


def test_loss_curves_labels_never_overlap_and_crowded_ones_show_on_hover():
    events = [SettingChange(5 * i, "lr" if i % 2 else "noise_level", 0.1, 0.2) for i in range(1, 13)]
    fig = figures.loss_curves(_history(80), events=events)
    assert len(fig.layout.shapes) == 12 and len(fig.layout.annotations) == 12
    boxes = _label_boxes(fig)
    for i, (lane, left, right) in enumerate(boxes):
        for other_lane, other_left, other_right in boxes[i + 1 :]:
            assert lane != other_lane or right < other_left or other_right < left, (boxes[i], (other_lane, other_left))
    assert len({lane for lane, _, _ in boxes}) <= figures.EVENT_LANES
    hidden = [a for a in fig.layout.annotations if a.text == "…"]
    assert hidden and all(a.hovertext.startswith(("learning rate", "noise level")) for a in hidden)


def test_loss_curves_label_near_the_right_edge_reads_leftwards():
    fig = figures.loss_curves(_history(40), events=[SettingChange(39, "lr", 0.001, 0.01)])
    (label,) = fig.layout.annotations
    assert (label.x, label.xanchor) == (39.5, "right")  # inside the plot, not off its right edge


# --- runs overlay -----------------------------------------------------------------------------------
def test_runs_overlay_draws_one_line_per_run():
    fig = figures.runs_overlay([("small", _history(5)), ("large", [r.to_dict() for r in _history(8)])])
    assert [trace.name for trace in fig.data] == ["small", "large"]
    assert len(fig.data[1].x) == 8
    assert _titles(fig) == ("Test MSE vs clean per run", "epoch", "test MSE vs clean (scaled units²)")
    psnr = figures.runs_overlay([("a", _history(3))], metric="test_psnr")
    assert psnr.layout.yaxis.title.text == "test PSNR (dB)"
    assert np.isnan(psnr.data[0].y).all()  # standardized runs have no PSNR: drawn as gaps


def test_runs_overlay_keeps_its_legend_under_the_plot():
    """Long run names, one per row on a phone: the legend goes under the x axis, off the title and the curves."""
    fig = figures.runs_overlay([(f"#{i} digits, code 128-32, masking 0.5, lr 0.001", _history(5)) for i in range(8)])
    legend = fig.layout.legend
    assert (legend.orientation, legend.yref, legend.y, legend.yanchor) == ("h", "container", 0, "bottom")
    title = fig.layout.template.layout.title
    assert (title.yref, title.y, title.yanchor) == ("container", 1, "top")  # the title: the other end of the figure
    assert 0 < legend.maxheight <= 0.5  # many runs scroll in the legend instead of squeezing the plot away
    assert fig.layout.margin.t < figures.TEMPLATE.layout.margin.t  # no room kept above the plot for a legend
    few = figures.runs_overlay([("a", _history(5))])
    assert fig.layout.height > few.layout.height  # a row per run, so the plot keeps its height on a phone


def test_runs_overlay_without_runs_and_with_a_bad_metric():
    assert _messages(figures.runs_overlay([])) == ["No runs selected."]
    with pytest.raises(ConfigError) as error:
        figures.runs_overlay([("a", _history(3))], metric="accuracy")
    assert str(error.value).startswith("The 'metric' parameter of runs_overlay must be one of 'test_mse', 'train_loss'")
    assert str(error.value).endswith("Got 'accuracy' instead.")


# --- the seed's plot --------------------------------------------------------------------------------
def test_sample_comparison_is_the_seed_plot_plus_the_noisy_input():
    clean, noisy, reconstructed = _rows(3, 5)
    names = ["age", "income", "height", "weight", "score"]
    fig = figures.sample_comparison(clean, noisy, reconstructed, names, title="Test sample 0")
    assert [trace.name for trace in fig.data] == ["original", "noisy input", "reconstructed"]
    assert list(fig.data[0].x) == names
    np.testing.assert_allclose(fig.data[2].y, reconstructed)
    assert _titles(fig) == ("Test sample 0", "feature", "value (standardized)")
    without_noisy = figures.sample_comparison(clean, None, reconstructed, names)
    assert [trace.name for trace in without_noisy.data] == ["original", "reconstructed"]


def test_sample_comparison_falls_back_to_indices_and_handles_empty_rows():
    fig = figures.sample_comparison(np.zeros(3), np.zeros(3), np.zeros(3), ["only", "two"])
    assert list(fig.data[0].x) == ["0", "1", "2"]
    assert _messages(figures.sample_comparison([], [], [], [])) == ["No sample to show."]


# --- tiling and heatmaps ----------------------------------------------------------------------------
def test_tile_places_each_tile_and_leaves_nan_gaps():
    tiles = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    out = figures.tile(tiles, gap=1)
    assert out.shape == (2 * 5 - 1, 3 * 6 - 1)
    for r in range(2):
        for c in range(3):
            np.testing.assert_array_equal(out[r * 5 : r * 5 + 4, c * 6 : c * 6 + 5], tiles[r, c])
    assert np.isnan(out[4]).all() and np.isnan(out[:, 5]).all()
    assert np.isnan(out).sum() == out.size - tiles.size


def test_samples_heatmap_is_one_heatmap_of_four_panels():
    clean, noisy, reconstructed = _rows(6, 4, 0), _rows(6, 4, 1), _rows(6, 4, 2)
    fig = figures.samples_heatmap(
        clean, noisy, reconstructed, ["a", "b", "c", "d"], row_labels=[10, 11, 12, 13, 14, 15]
    )
    (heatmap,) = fig.data
    z = np.asarray(heatmap.z, dtype=float)
    assert z.shape == (6, 4 * 5 - 1)
    for panel, expected in enumerate([clean, noisy, reconstructed, reconstructed - clean]):
        np.testing.assert_allclose(z[:, panel * 5 : panel * 5 + 4], expected)
    assert heatmap.zmid == 0 and heatmap.zmin == -heatmap.zmax
    assert list(heatmap.y) == ["10", "11", "12", "13", "14", "15"]
    assert heatmap.x[5] == "noisy · a" and heatmap.x[4].strip() == ""
    assert list(fig.layout.xaxis.ticktext) == ["clean", "noisy", "reconstructed", "residual (rec. − clean)"]
    assert _titles(fig)[2] == "sample"


def test_samples_heatmap_caps_rows_and_handles_empty_input():
    rows = _rows(80, 3)
    fig = figures.samples_heatmap(rows, rows, rows, ["a", "b", "c"], max_rows=50)
    assert np.asarray(fig.data[0].z).shape[0] == 50
    assert _messages(figures.samples_heatmap(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3)), list("abc"))) == [
        "No samples to show."
    ]
    duplicate_labels = figures.samples_heatmap(rows[:2], rows[:2], rows[:2], list("abc"), row_labels=[1, 1])
    assert list(duplicate_labels.data[0].y) == ["0: 1", "1: 1"]


def test_image_grid_places_every_image_where_image_origin_says():
    n, shape = 11, (8, 8)
    clean, noisy, reconstructed = _rows(n, 64, 0), _rows(n, 64, 1), _rows(n, 64, 2)
    psnr = np.linspace(10, 20, n)
    fig = figures.image_grid(clean, noisy, reconstructed, shape, psnr=psnr, labels=range(100, 111), rows_per_block=8)
    (heatmap,) = fig.data
    z = np.asarray(heatmap.z, dtype=float)
    panels = [clean, noisy, reconstructed, np.abs(reconstructed - clean)]
    for i in range(n):
        for panel in range(4):
            top, left = figures.image_origin(i, panel, shape, rows_per_block=8)
            np.testing.assert_allclose(z[top : top + 8, left : left + 8], panels[panel][i].reshape(8, 8), rtol=1e-6)
    assert np.isnan(z).sum() == z.size - n * 4 * 64  # everything else is gap or label space
    assert heatmap.colorscale is not None and (heatmap.zmin, heatmap.zmax) == (0, 1)
    assert _messages(fig)[0] == "#100<br>10.0 dB" and _messages(fig)[-1] == "#110<br>20.0 dB"
    assert list(fig.layout.xaxis.ticktext) == ["original", "noisy", "recon.", "|error|"] * 2
    assert fig.layout.yaxis.scaleanchor == "x"  # square pixels
    assert fig.layout.yaxis.showticklabels is False


def test_image_grid_without_psnr_and_empty_and_wrong_shape():
    rows = _rows(2, 4)
    assert _messages(figures.image_grid(rows, rows, rows, (2, 2))) == ["#0", "#1"]
    assert _messages(figures.image_grid(np.zeros((0, 4)), np.zeros((0, 4)), np.zeros((0, 4)), (2, 2))) == [
        "No images to show."
    ]
    with pytest.raises(DataError) as error:
        figures.image_grid(rows, rows, rows, (3, 3))
    assert str(error.value) == "clean must be a (N, 9) array. Got shape (2, 4) instead."


# --- 2-D data ---------------------------------------------------------------------------------------
def test_scatter_arrows_has_three_series_and_arrows_from_noisy_to_reconstructed():
    clean, noisy, reconstructed = _rows(30, 2, 0), _rows(30, 2, 1), _rows(30, 2, 2)
    fig = figures.scatter_arrows(clean, noisy, reconstructed, max_arrows=10)
    names = [trace.name for trace in fig.data]
    assert names == ["noisy → reconstructed", "clean", "noisy input", "reconstructed"]
    arrows = fig.data[0]
    assert len(arrows.x) == 30  # (tail, head, break) for the first 10 rows only
    np.testing.assert_allclose(arrows.x[0::3], noisy[:10, 0])
    np.testing.assert_allclose(arrows.y[1::3], reconstructed[:10, 1])
    assert np.isnan(arrows.x[2::3]).all()
    assert arrows.marker.angleref == "previous"
    assert arrows.line.width >= 2 and arrows.marker.opacity == 1  # readable on a chart 400 px wide
    assert set(arrows.marker.size[1::3]) == {9} and arrows.marker.symbol == "arrow-wide"
    np.testing.assert_allclose(fig.data[1].x, clean[:, 0])
    assert fig.layout.yaxis.scaleanchor == "x"
    assert _titles(fig)[1:] == ("x (standardized)", "y (standardized)")


def test_scatter_arrows_empty_and_not_2d():
    empty = np.zeros((0, 2))
    assert _messages(figures.scatter_arrows(empty, empty, empty)) == ["No points to show."]
    with pytest.raises(DataError) as error:
        figures.scatter_arrows(_rows(3, 3), _rows(3, 3), _rows(3, 3))
    assert str(error.value) == "clean must be a (N, 2) array. Got shape (3, 3) instead."


def test_vector_field_draws_arrows_for_the_screen_coloured_by_the_step():
    """To scale, the arrows near the data shrink to dots (×0.09 on moons); all of one length (0.8 of a cell, on
    21 × 21), they were too small to read on a chart 400 px wide. Now the longest step spans 0.9 of a grid cell and
    the others down to 0.45 of one by their length, along the step; the grid point's colour is the step's length."""
    xs, ys = np.meshgrid(np.linspace(0, 1, 3), np.linspace(0, 1, 3))
    points = np.stack([xs.ravel(), ys.ravel()], axis=1)  # spacing 0.5
    displacement = -(points - 0.5)  # everything pulled to the centre: corners 0.71, edges 0.5
    displacement[4] = [0.0, 0.0]  # the centre does not move
    data = _rows(7, 2)
    fig = figures.vector_field(points, displacement, data)
    assert [trace.name for trace in fig.data][:2] == ["data", "direction of the step"]
    arrows = fig.data[1]
    heads = np.stack([arrows.x[1::3], arrows.y[1::3]], axis=1)
    lengths = np.linalg.norm(heads - points, axis=1) / 0.5  # in grid cells
    steps = np.linalg.norm(displacement, axis=1)
    corners, edges = [0, 2, 6, 8], [1, 3, 5, 7]
    np.testing.assert_allclose(lengths[corners], 0.9)  # the longest step: 0.9 of a cell
    np.testing.assert_allclose(lengths[edges], 0.45 + 0.45 * 0.5 / np.sqrt(0.5))  # shorter steps, shorter arrows
    np.testing.assert_allclose(lengths[4], 0.0)
    moving = np.delete(np.arange(9), 4)
    cosines = np.sum((heads - points)[moving] * displacement[moving], axis=1) / (lengths[moving] * 0.5 * steps[moving])
    np.testing.assert_allclose(cosines, 1.0)  # along the step
    np.testing.assert_allclose(fig.data[2].marker.color, steps)
    assert fig.data[2].marker.colorbar.title.text == "step length"
    assert fig.layout.title.text == "The model's field r(x̃) − x̃"
    true_size = figures.vector_field(points, displacement, scale=1.0)
    assert [trace.name for trace in true_size.data][0] == "r(x̃) − x̃"
    np.testing.assert_allclose(np.stack([true_size.data[0].x[1::3], true_size.data[0].y[1::3]], axis=1),
                               points + displacement)  # fmt: skip
    assert true_size.layout.yaxis.scaleanchor == "x"


def test_the_field_on_reconstructions_has_13_by_13_arrows_a_cell_long_with_heads_that_show():
    """Reconstructions draws ``analysis.vector_field``'s default grid: 169 arrows (441 on the old 21 × 21 grid left
    cells of 15 px on a chart 400 px wide, at 1280 px as on a phone). The longest spans about one cell, none is
    longer, and none is shorter than 0.45 of one; lines 2 px wide, opaque heads of 10 px."""
    import torch

    from dae_core import RunConfig, analysis
    from dae_core.data import Scaler
    from dae_core.training import TrainedModel

    data = np.random.default_rng(0).normal(size=(200, 2))
    config = RunConfig().replace(dataset="moons", hidden_dim=2, hidden_layers=(16,))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        trained = TrainedModel.build(config, Scaler("standard").fit(data), ["x", "y"])
    points, displacement = analysis.vector_field(trained, data)
    fig = figures.vector_field(points, displacement, data=data)
    [arrows] = [trace for trace in fig.data if trace.name == "direction of the step"]
    assert len(points) == 13 * 13 and len(arrows.x) == 3 * 13 * 13  # (tail, head, break) per grid point
    spacing = np.diff(np.unique(points[:, 0]))[0]
    tails, heads = points, np.stack([arrows.x[1::3], arrows.y[1::3]], axis=1)
    cells = np.linalg.norm(heads - tails, axis=1) / spacing
    assert cells.max() == pytest.approx(0.9) and cells.min() >= 0.45 - 1e-9
    assert arrows.line.width >= 2
    assert set(arrows.marker.size[1::3]) == {10} and arrows.marker.opacity == 1  # plotly.js: 0.7 unless set
    assert arrows.marker.symbol == "arrow-wide" and arrows.marker.angleref == "previous"


def test_vector_field_checks_its_inputs():
    assert _messages(figures.vector_field(np.zeros((0, 2)), np.zeros((0, 2)))) == ["No grid to show."]
    with pytest.raises(DataError) as error:
        figures.vector_field(np.zeros((4, 2)), np.zeros((3, 2)))
    assert str(error.value) == "vector_field needs one displacement per point. Got 4 points and 3 displacements."


# --- latent space -----------------------------------------------------------------------------------
def test_latent_scatter_gives_each_class_a_named_series():
    projection = _rows(30, 2)
    labels = np.repeat([0, 1, 2], 10)
    hover = [f"test #{i}" for i in range(30)]
    fig = figures.latent_scatter(projection, labels, hover, method="t-SNE")
    assert [trace.name for trace in fig.data] == ["0", "1", "2"]
    assert sum(len(trace.x) for trace in fig.data) == 30
    assert list(fig.data[1].text) == hover[10:20]
    assert len({trace.marker.color for trace in fig.data}) == 3
    assert _titles(fig) == (
        "Latent space: t-SNE of the codes",
        "t-SNE 1 (arbitrary units)",
        "t-SNE 2 (arbitrary units)",
    )


def test_latent_scatter_with_continuous_or_no_labels():
    projection = _rows(30, 2)
    continuous = figures.latent_scatter(projection, np.linspace(0, 1, 30))
    assert len(continuous.data) == 1 and continuous.data[0].marker.showscale
    unlabelled = figures.latent_scatter(projection)
    assert [trace.name for trace in unlabelled.data] == ["codes"]
    assert _messages(figures.latent_scatter(np.zeros((0, 2)))) == ["No codes to show."]


# --- filters ----------------------------------------------------------------------------------------
def test_filter_tiles_show_each_unit_as_a_normalized_tile():
    weights = np.random.default_rng(0).normal(size=(10, 64))
    fig = figures.filter_tiles(weights, (8, 8))
    (heatmap,) = fig.data
    z = np.asarray(heatmap.z, dtype=float)
    assert z.shape == (3 * 9 - 1, 4 * 9 - 1)  # 10 units in a 4-wide grid, 3 rows
    for unit in range(10):
        r, c = divmod(unit, 4)
        expected = weights[unit] / np.abs(weights[unit]).max()
        np.testing.assert_allclose(z[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8], expected.reshape(8, 8))
        assert np.asarray(heatmap.customdata)[r * 9, c * 9] == unit
    assert np.isnan(z[18:, 18:]).all()  # the two empty tiles after unit 9
    assert (heatmap.zmid, heatmap.zmin, heatmap.zmax) == (0, -1, 1)
    raw = figures.filter_tiles(weights, (8, 8), normalize=False)
    assert raw.data[0].zmax == pytest.approx(np.abs(weights).max())


def test_filter_tiles_check_the_image_width():
    with pytest.raises(DataError) as error:
        figures.filter_tiles(np.zeros((4, 20)), (8, 8))
    assert str(error.value) == "weights must be a (N, 64) array. Got shape (4, 20) instead."
    assert _messages(figures.filter_tiles(np.zeros((0, 64)), (8, 8))) == ["No weights to show."]


def test_filter_heatmap_is_units_by_features():
    weights = np.random.default_rng(0).normal(size=(3, 4))
    fig = figures.filter_heatmap(weights, ["a", "b", "c", "d"])
    (heatmap,) = fig.data
    np.testing.assert_allclose(heatmap.z, weights)
    assert list(heatmap.x) == ["a", "b", "c", "d"] and list(heatmap.y) == ["unit 0", "unit 1", "unit 2"]
    assert heatmap.zmid == 0 and heatmap.zmax == pytest.approx(np.abs(weights).max())
    assert _titles(fig) == ("Encoder first-layer weights", "input feature", "hidden unit")
    assert _messages(figures.filter_heatmap(np.zeros((0, 4)), list("abcd"))) == ["No weights to show."]


def test_the_flow_animation_steps_through_the_path_in_the_browser():
    data, start = _rows(20, 2), _rows(10, 2)
    path = [start, start * 0.5, start * 0.25]
    fig = figures.flow_animation(data, path)
    assert [trace.name for trace in fig.data] == ["data", "start", "carried by the flow"]
    assert [frame.name for frame in fig.frames] == ["0", "1", "2"]
    moved = fig.frames[2].data[0]
    np.testing.assert_allclose(np.stack([moved.x, moved.y], axis=1), path[2])
    assert [step.label for step in fig.layout.sliders[0].steps] == ["0", "1", "2"]
    assert [button.label for button in fig.layout.updatemenus[0].buttons] == ["▶ Play", "❚❚ Pause"]
    low, high = fig.layout.xaxis.range  # fixed, so the view holds still while the points move
    assert low < min(data[:, 0].min(), start[:, 0].min()) and high > max(data[:, 0].max(), start[:, 0].max())
    with pytest.raises(DataError, match="The flow needs at least its starting points."):
        figures.flow_animation(data, [])


def test_chains_open_on_their_samples_and_play_from_their_start():
    data = np.zeros((5, 2))
    path = [np.full((3, 2), float(k)) for k in range(4)]
    fig = figures.chain_animation(data, path, [0, 2, 4, 6], title="Chains")
    assert list(fig.data[2].x) == [3.0] * 3 and fig.data[2].name == "chains"  # the last state: the samples
    assert list(fig.data[1].x) == [0.0] * 3  # the start stays, faint
    slider = fig.layout.sliders[0]
    assert slider.active == 3 and [step.label for step in slider.steps] == ["0", "2", "4", "6"]
    assert fig.layout.updatemenus[0].buttons[0].args[1]["fromcurrent"] is False
    with pytest.raises(DataError, match="one step number per state"):
        figures.chain_animation(data, path, [0, 2])


def test_the_noise_grid_outlines_each_columns_lowest_error():
    mse = np.array([[0.1, 0.5, 0.9], [0.2, 0.3, 0.4]])
    fig = figures.noise_grid([0.0, 0.4], [0.0, 0.2, 0.4], mse)
    heatmap = fig.data[0]
    assert list(heatmap.y) == ["0", "0.4"] and list(heatmap.x) == ["0", "0.2", "0.4"]
    outlined = sorted((round(s.x0 + 0.5), round(s.y0 + 0.5)) for s in fig.layout.shapes)  # (column, row)
    assert outlined == [(0, 0), (1, 1), (2, 1)]
    assert heatmap.text[1][2] == "0.4000"
    with pytest.raises(DataError, match=r"The MSE grid must have shape \(2, 3\)"):
        figures.noise_grid([0.0, 0.4], [0.0, 0.2, 0.4], mse.T)


def test_probe_by_noise_draws_the_codes_and_the_raw_features_line():
    fig = figures.probe_by_noise([0.0, 0.5], [0.96, 0.97], 0.972)
    codes, raw = fig.data
    assert list(codes.y) == [0.96, 0.97] and list(raw.y) == [0.972, 0.972] and list(raw.x) == [0.0, 0.5]
    low, high = fig.layout.yaxis.range
    assert low < 0.96 and 0.972 < high <= 1.0
    assert len(figures.probe_by_noise([0.25], [0.9], None).data) == 1
    with pytest.raises(DataError, match="Give one accuracy per level: 2 levels, 1 accuracies."):
        figures.probe_by_noise([0.0, 0.5], [0.9], None)


def test_accuracy_by_test_noise_draws_a_line_per_path_and_the_raw_inputs_dashed():
    fig = figures.accuracy_by_test_noise([0.0, 0.5], [("DAE <b>", [0.92, 0.74]), ("autoencoder", [0.97, 0.58])],
                                         [0.97, 0.6])  # fmt: skip
    dae, plain, raw = fig.data
    assert dae.name == "DAE &lt;b&gt;" and list(plain.y) == [0.97, 0.58] and raw.line.dash == "dash"
    assert fig.layout.xaxis.title.text == "test noise level (masking)" and fig.layout.yaxis.range[1] == 1.0
    assert fig.layout.yaxis.range[0] == pytest.approx(0.53)
    with pytest.raises(DataError, match="Give one accuracy per test level: 2 levels, 1 for 'a'."):
        figures.accuracy_by_test_noise([0.0, 0.5], [("a", [0.9])])


def test_image_rows_tile_each_row_of_images_and_frame_the_marked_ones():
    rows = [np.zeros((3, 4)), np.ones((3, 4))]  # two rows of three 2×2 images
    fig = figures.image_rows(rows, (2, 2), ["clean", "masked"], column_names=[7, 8, 9],
                             marked=[[False, False, False], [False, True, False]])  # fmt: skip
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (5, 8) and np.isnan(z[2]).all() and np.isnan(z[:, 2]).all()  # 1-pixel gaps
    assert z[0, 0] == 0 and z[3, 0] == 1
    assert list(fig.layout.yaxis.ticktext) == ["clean", "masked"] and list(fig.layout.xaxis.ticktext) == ["7", "8", "9"]
    [frame] = fig.layout.shapes
    assert (frame.x0, frame.x1, frame.y0, frame.y1) == (2.5, 4.5, 2.5, 4.5)  # the second image of the second row
    with pytest.raises(DataError, match="Every row of images must hold 3 images"):
        figures.image_rows([np.zeros((3, 4)), np.zeros((2, 4))], (2, 2), ["a", "b"])


def test_the_robustness_figures_name_each_model_by_its_training_level(digits_dataset):
    from dae_core.robustness import measure

    data = digits_dataset
    robust = measure(data.X_train, data.y_train, data.X_test, data.y_test, [lambda x: x] * 2, [0.0, 0.5])
    curves = figures.robustness_curves(robust)
    assert [trace.name for trace in curves.data] == ["autoencoder", "DAE ν = 0.5", "raw inputs"]
    digits = figures.robustness_digits(robust, data.image_shape)
    assert list(digits.layout.yaxis.ticktext) == ["clean", "masking 0.5", "autoencoder", "DAE ν = 0.5"]
    assert list(digits.layout.xaxis.ticktext) == [str(d) for d in range(10)]
    misread = int(np.sum(robust.shown_read[0] != robust.shown_labels))  # identity "models" misread what raw rows do
    assert misread > 0 and len(digits.layout.shapes) == 3 * misread


def test_filter_galleries_put_each_models_filters_side_by_side():
    first, second = np.ones((4, 4)), -np.ones((9, 4))  # 4 and 9 filters of 2×2: 2×2 and 3×3 tiles
    fig = figures.filter_galleries([first, second], (2, 2), ["ν = 0", "ν = 0.5"])
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (8, 5 + 2 + 8)  # tallest gallery: 3 tiles of 2 and their gaps; a 2-wide gap between
    assert np.nansum(z == 1) == 16 and np.nansum(z == -1) == 36
    assert [a.text for a in fig.layout.annotations] == ["<b>ν = 0</b>", "<b>ν = 0.5</b>"]
    assert figures.filter_galleries([], (2, 2), []).layout.annotations[0].text == "No models to compare."


def test_training_step_svg_draws_five_labelled_boxes_and_the_dashed_target():
    svg = ElementTree.fromstring(figures.training_step_svg())  # well-formed XML, or this raises
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    boxes = svg.findall("svg:rect", ns)
    assert len(boxes) == 5
    labels = [text.text for text in svg.findall("svg:text", ns) if text.get("text-anchor") == "middle"]
    assert labels == ["clean x", "corrupted x̃", "code h", "reconstruction r(x̃)", "loss(r(x̃), x)"]
    notes = [text.text for text in svg.findall("svg:text", ns) if text.get("text-anchor") is None]
    assert notes == ["corrupt", "encode", "decode", "compare", "target"]
    assert len(svg.findall("svg:line", ns)) == 4  # one arrow between each pair of boxes
    (target,) = [path for path in svg.findall("svg:path", ns) if path.get("stroke-dasharray")]
    assert target.get("marker-end") == "url(#head)" and target.get("fill") == "none"
    width, height = float(svg.get("width")), float(svg.get("height"))
    assert svg.get("viewBox") == f"0 0 {svg.get('width')} {svg.get('height')}"
    for box in boxes:  # every box lies inside the picture
        x, y, w, h = (float(box.get(name)) for name in ("x", "y", "width", "height"))
        assert x >= 0 and x + w <= width and y >= 0 and y + h <= height


HOSTILE = '<a href="https://evil.example">x</a>'  # a CSV column name, class label or file name


def _strings(value):
    """Every string anywhere in a figure's dict (layout, traces, their arrays)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple, np.ndarray)):
        for item in value:
            yield from _strings(item)


_WITH_USER_TEXT = {  # every builder that takes text a visitor or a file gave, given that text
    "sample_comparison": lambda: figures.sample_comparison(_rows(1, 2)[0], None, _rows(1, 2)[0], [HOSTILE, "b"]),
    "samples_heatmap": lambda: figures.samples_heatmap(
        _rows(2, 2), _rows(2, 2), _rows(2, 2), [HOSTILE, "b"], row_labels=[HOSTILE, "<b>2</b>"]
    ),
    "image_grid": lambda: figures.image_grid(
        _rows(2, 4), _rows(2, 4), _rows(2, 4), (2, 2), psnr=np.array([20.0, 21.0]), labels=[HOSTILE, "b"]
    ),
    "runs_overlay": lambda: figures.runs_overlay([(f"#1 {HOSTILE}.csv", _history(3))]),
    "latent_scatter": lambda: figures.latent_scatter(
        _rows(3, 2), labels=np.array([HOSTILE, "b", "b"]), hover=[f"label {HOSTILE}", "b", "b"]
    ),
    "filter_galleries": lambda: figures.filter_galleries([np.ones((4, 4))], (2, 2), [HOSTILE]),
    "filter_heatmap": lambda: figures.filter_heatmap(np.ones((2, 2)), [HOSTILE, "b"]),
}


@pytest.mark.parametrize("builder", sorted(_WITH_USER_TEXT))
def test_user_text_shows_as_typed_never_as_markup(builder):
    """Plotly renders <a href> in a label as a link: a column named so must show as text, in every text field."""
    fig = _WITH_USER_TEXT[builder]()
    strings = list(_strings(fig.to_dict()))
    assert not [text for text in strings if "<a" in text or "<b>2" in text]
    assert not [text for text in strings if "</a>" in text]
    assert any(figures.user_text(HOSTILE) in text for text in strings)  # still shown, escaped
    assert "<a" not in fig.to_json()


def test_user_text_escapes_what_plotly_reads_as_markup_and_keeps_the_labs_own():
    assert figures.user_text(HOSTILE) == '&lt;a href="https://evil.example"&gt;x&lt;/a&gt;'
    assert figures.user_text("R&D <5%") == "R&amp;D &lt;5%"
    assert figures.user_text(3) == "3"
    fig = figures.image_grid(_rows(1, 4), _rows(1, 4), _rows(1, 4), (2, 2), psnr=np.array([20.0]), labels=["<i>"])
    assert fig.layout.annotations[0].text == "#&lt;i&gt;<br>20.0 dB"  # the row's label escaped, the line break kept
    galleries = figures.filter_galleries([np.ones((4, 4))], (2, 2), ["<i>"])
    assert galleries.layout.annotations[0].text == "<b>&lt;i&gt;</b>"


def test_an_image_grid_draws_ink_dark_and_a_photograph_bright():
    rows = np.zeros((1, 4), np.float32)
    digits = figures.image_grid(rows, rows, rows, (2, 2)).to_dict()["data"][0]
    photo = figures.image_grid(rows, rows, rows, (2, 2), ink=False).to_dict()["data"][0]
    assert digits["colorscale"] == photo["colorscale"] and not digits["reversescale"] and photo["reversescale"]


# --- colour images and the whole photograph ---------------------------------------------------------
def test_a_colour_image_grid_is_one_rgb_image_with_transparent_gaps():
    n, shape = 3, (4, 5, 3)
    clean, noisy, reconstructed = (np.random.default_rng(seed).random((n, 60)) for seed in range(3))
    fig = figures.image_grid(clean, noisy, reconstructed, shape, psnr=np.ones(n), labels=range(n))
    (image,) = fig.data
    assert image.type == "image" and image.colormodel == "rgba256"
    z = np.asarray(image.z)
    assert z.dtype == np.uint8 and z.shape == (3 * 5 - 1, figures.LABEL_PIXELS + 4 * 6 - 1, 4)
    panels = [clean, noisy, reconstructed, np.abs(reconstructed - clean)]
    for i in range(n):
        for panel in range(4):
            top, left = figures.image_origin(i, panel, shape)
            expected = np.round(panels[panel][i].reshape(4, 5, 3) * 255)  # (h, w, c) rows: red, green, blue
            np.testing.assert_array_equal(z[top : top + 4, left : left + 5, :3], expected)
    assert (z[:, :, 3] == 255).sum() == n * 4 * 20 and set(np.unique(z[:, :, 3])) == {0, 255}  # gaps see-through
    assert fig.layout.yaxis.scaleanchor == "x" and _messages(fig)[0] == "#0<br>1.0 dB"
    gray = figures.image_grid(clean[:, :20], clean[:, :20], clean[:, :20], (4, 5, 1))
    assert gray.data[0].type == "heatmap"  # grayscale stays a heatmap


def test_photo_denoising_shows_three_pictures_at_full_size_headed_by_psnr():
    rng = np.random.default_rng(0)
    clean, noisy, denoised = rng.random((3, 40, 60))
    fig = figures.photo_denoising(clean, noisy, denoised, 15.04, 21.96, pixel_size=2)
    assert [trace.type for trace in fig.data] == ["heatmap"] * 3
    for trace, picture in zip(fig.data, (clean, noisy, denoised)):
        z = np.asarray(trace.z)
        assert z.dtype == np.uint8 and z.shape == (40, 60)
        np.testing.assert_array_equal(z, np.round(picture * 255))
        assert (trace.zmin, trace.zmax, trace.reversescale) == (0, 255, True)  # 1 is bright
    assert [trace.x0 for trace in fig.data] == [0, 62, 124]  # side by side, a gap of 2 between
    assert list(fig.layout.xaxis.ticktext) == ["original", "noisy: 15.0 dB", "denoised: 22.0 dB"]
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.height == 110 + 80
    json.loads(fig.to_json())
    with pytest.raises(DataError) as error:
        figures.photo_denoising(clean, noisy[:5], denoised, 1, 2)
    assert str(error.value) == "The noisy picture must have the original's shape (40, 60). Got (5, 60) instead."


def test_a_wide_image_grid_is_as_tall_as_its_images_at_the_plot_width_not_at_full_size():
    """Square pixels pin the images to the plot's width: a height for 7 px per pixel would leave the rest blank."""
    rows = np.random.default_rng(0).uniform(0, 1, (16, 28 * 28))
    fig = figures.image_grid(rows, rows, rows, (28, 28, 1))  # two blocks of 8 rows, each 12 + 4 x 29 pixels wide
    image_rows, image_columns = 8 * 29, 2 * (figures.LABEL_PIXELS + 4 * 29) - 1  # a gap after each, but the last
    assert fig.layout.height == round(130 + image_rows * figures.PLOT_WIDTH / image_columns)  # 800 px, not 1,754
    small = figures.image_grid(rows[:2, :64], rows[:2, :64], rows[:2, :64], (8, 8, 1))  # narrow: full size
    assert small.layout.height == 130 + 2 * 9 * 7


def test_tiny_kernels_are_drawn_large_enough_to_read():
    kernels = np.random.default_rng(0).normal(size=(32, 9))  # a conv model's 3 x 3 first layer: a 23 x 23 canvas
    fig = figures.filter_tiles(kernels, (3, 3, 1))
    assert fig.layout.height == round(120 + 23 * figures.FILTERS_HEIGHT / 23)  # 17 px per weight, not 9
    digits = figures.filter_tiles(np.ones((64, 64)), (8, 8, 1))  # 8 x 8 tiles of 8 x 8: 71 px square, 9 px each
    assert digits.layout.height == 120 + 71 * 9
