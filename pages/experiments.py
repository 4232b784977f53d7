"""Experiments: every run of this session that ended, as a table and as overlaid curves, with downloads."""

import json

import pandas as pd
import streamlit as st

from dae_core import RunConfig, figures
from pages import common, layout

ss = st.session_state
COLUMNS = {  # run record key -> column shown
    "name": st.column_config.TextColumn("run", width="medium"),
    "status": st.column_config.TextColumn("status"),
    "epochs": st.column_config.NumberColumn("epochs", format="%d"),
    "test_mse": st.column_config.NumberColumn("test MSE", format="%.4f"),
    "gain_over_identity": st.column_config.NumberColumn("gain over identity", format="%.2f×"),
    "ratio_to_pca": st.column_config.NumberColumn("ratio to PCA", format="%.2f×"),
    "test_psnr": st.column_config.NumberColumn("PSNR (dB)", format="%.1f"),
    "identity_mse": st.column_config.NumberColumn("identity MSE", format="%.4f"),
    "pca_mse": st.column_config.NumberColumn("PCA MSE", format="%.4f"),
    "seconds": st.column_config.NumberColumn("seconds", format="%.1f"),
}

layout.page(
    "Experiments",
    "Every run of this session that finished or was stopped: its settings, final numbers and loss history. "
    "The models themselves are not kept; export the one on show from the sidebar.",
    "select rows to overlay their curves; load one run's settings back into the Train page, change one thing, "
    "and train again.",
)
if not ss.runs:
    st.info("No finished runs yet. Train a model on the Train page; each run appears here when it ends.")
    st.stop()

ss.setdefault("runs_table_version", 0)
table = pd.DataFrame([{key: run[key] for key in COLUMNS} for run in ss.runs]).dropna(axis=1, how="all")  # PSNR
picked = st.dataframe(
    table,
    column_config={key: column for key, column in COLUMNS.items() if key in table},
    on_select="rerun",
    selection_mode="multi-row",
    key=f"runs_table_{ss.runs_table_version}",  # a new version after a delete starts unselected
    hide_index=True,
).selection.rows
selected = [ss.runs[i] for i in picked]
shown_runs = selected or ss.runs

metric = st.selectbox(
    "Curve", list(figures.METRICS), format_func=figures.METRICS.get, key="runs_metric", help="Which number to overlay."
)
figure = figures.runs_overlay([(run["name"], run["history"]) for run in shown_runs], metric=metric)
st.plotly_chart(figure, key="runs_overlay")
st.caption(
    "Showing the selected runs." if selected else "Showing every run; select rows in the table to compare a few."
)


def delete(run_ids: list[int]) -> None:
    ss.runs = [run for run in ss.runs if run["run"] not in run_ids]
    ss.runs_table_version += 1


csv_col, json_col, load_col, delete_col = st.columns(4)
common.download_ui(
    csv_col, "Download CSV", table.to_csv(index=False), "runs.csv", "download_runs_csv",
    help="The table above, one row per run.",
)  # fmt: skip
common.download_ui(
    json_col, "Download JSON", json.dumps(shown_runs, indent=1), "runs.json", "download_runs_json",
    help="The selected runs (or all) with their full settings and per-epoch history.",
)  # fmt: skip
if load_col.button(
    "Load settings", key="btn_load_settings", disabled=len(selected) != 1, width="stretch", help="Select one run."
):
    common.set_config(RunConfig.from_dict(selected[0]["config"]))
    st.switch_page("pages/train.py")
delete_col.button(
    "Delete selected",
    key="btn_delete_runs",
    disabled=not selected,
    on_click=delete,
    args=([run["run"] for run in selected],),
    width="stretch",
)
