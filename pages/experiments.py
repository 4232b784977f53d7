"""Experiments: every run of this workspace that ended, as a table and as overlaid curves, with downloads."""

import json

import pandas as pd
import streamlit as st

from dae_core import RunConfig, figures, records
from dashboard import frame, link, workspace
from dashboard.session import lab
from dashboard.widgets import download_ui, remembered

COLUMNS = {  # RunRecord.row() key -> column shown
    "name": st.column_config.TextColumn("run", width="medium"),
    "status": st.column_config.TextColumn("status"),
    "epochs": st.column_config.NumberColumn("epochs", format="%d"),
    "test_mse": st.column_config.NumberColumn("test MSE", format="%.4f"),
    "ratio_to_identity": st.column_config.NumberColumn("ratio to identity", format="%.2f×"),
    "ratio_to_pca": st.column_config.NumberColumn("ratio to PCA", format="%.2f×"),
    "test_psnr": st.column_config.TextColumn(
        "PSNR (dB)", alignment="right", help="Only for data in [0, 1] (digits): — for the others."
    ),  # text: a table draws a missing number as "None"
    "identity_mse": st.column_config.NumberColumn("identity MSE", format="%.4f"),
    "pca_mse": st.column_config.NumberColumn("PCA MSE", format="%.4f"),
    "seconds": st.column_config.NumberColumn("seconds", format="%.1f"),
}
state = lab()


def psnr_text(value: float | None) -> str:
    """``  21.3``, or ``—`` for a run whose data is not in [0, 1]; padded so the column sorts by number."""
    return "—" if value is None or pd.isna(value) else f"{value:6.1f}"


frame.page(
    "Experiments",
    "Every run that finished or was stopped: its settings, final numbers and loss history. They are kept on the "
    "server for this address (with the last model), so a reload, a second tab or a restart loses none of them; "
    "the share link gives others your settings, never your runs.",
    "select rows to overlay their curves; load one run's settings back into the Train page, change one thing, "
    "and train again.",
)
if not state.runs:
    st.info("No finished runs yet. Train a model on the Train page; each run appears here when it ends.")
    st.stop()

runs = list(state.runs)  # a job may add one while this page draws
rows = pd.DataFrame([{key: run.row()[key] for key in COLUMNS} for run in runs]).dropna(axis=1, how="all")  # PSNR
table = rows.assign(test_psnr=rows["test_psnr"].map(psnr_text)) if "test_psnr" in rows else rows  # CSV: numbers
picked = st.dataframe(
    table,
    column_config={key: column for key, column in COLUMNS.items() if key in rows},
    on_select="rerun",
    selection_mode="multi-row",
    key=f"runs_table_{len(runs)}_{runs[-1].run}",  # a new table after an addition or a delete starts unselected
    hide_index=True,
).selection.rows
selected = [runs[i] for i in picked]
shown_runs = selected or runs

metric = st.selectbox(
    "Curve", list(figures.METRICS), format_func=figures.METRICS.get, help="Which number to overlay.",
    **remembered("runs_metric", "test_mse"),
)  # fmt: skip
st.plotly_chart(
    figures.runs_overlay([(run.name, run.history) for run in shown_runs], metric=metric), key="runs_overlay"
)
st.caption(
    "Showing the selected runs." if selected else "Showing every run; select rows in the table to compare a few."
)


csv_col, json_col, load_col, delete_col = st.columns(4)
download_ui(
    csv_col, "Download CSV", lambda: records.spreadsheet_safe_frame(rows).to_csv(index=False), "runs.csv",
    "download_runs_csv",
    help="The table above, one row per run.",
)  # fmt: skip
download_ui(
    json_col, "Download JSON", lambda: json.dumps([run.to_dict() for run in shown_runs], indent=1), "runs.json",
    "download_runs_json", help="The selected runs (or all) with their full settings and per-epoch history.",
)  # fmt: skip
if load_col.button(
    "Load settings", key="btn_load_settings", disabled=len(selected) != 1, width="stretch", help="Select one run."
):
    link.set_config(RunConfig.from_dict(selected[0].config))
    st.switch_page("pages/train.py")
delete_col.button(
    "Delete selected", key="btn_delete_runs", disabled=not selected, on_click=workspace.delete_runs,
    args=(state, [run.run for run in selected]), width="stretch",
)  # fmt: skip

with st.expander("Forget my runs"):
    st.caption(
        f"Deletes every run kept for this address ({len(runs)}) and the saved model, on this server, now. "
        "Runs you train afterwards are kept again, under a new address."
    )
    st.button("Forget my runs", key="btn_forget", on_click=workspace.forget, args=(state,), type="primary",
              icon=":material/delete_forever:")  # fmt: skip
