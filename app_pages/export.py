"""Export: draft vs baseline, then the config (with evidence), scored accounts, SQL, report."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from calibration import charts, formatting
from calibration.config import ConfigError
from calibration.configfile import config_text, export_config, import_config
from calibration.cs_metrics import METRIC_LABELS
from calibration.objectives import OBJECTIVE_LABELS, OBJECTIVES
from calibration.sql import DIALECTS, compile_sql
from calibration.verdicts import direction_word, format_value
from ui import evidence, jobs, layout, state
from ui.sidebar import details_editor
from ui.text import judged_when, md_escape

ws, table = state.workspace_and_table()

st.title("Export")
st.caption(f"Draft **{md_escape(ws.draft.name)}** `{ws.draft.fingerprint()}` against baseline "
           f"**{md_escape(ws.baseline.name)}** `{ws.baseline.fingerprint()}`, on the same accounts "
           f"each judged {judged_when(table, ws.horizon_days)}.")


CHECK_WAIT_SECONDS = 0.5  # the bootstrap of a few thousand decisions is done by then
WAIT_UP_TO_DECISIONS = 20_000  # larger data: draw at once, with progress bars meanwhile

objective = st.selectbox(
    "Judge the draft by", OBJECTIVES, key="ex::objective",
    index=OBJECTIVES.index(st.session_state.get("goal::applied", "ranking")),
    format_func=OBJECTIVE_LABELS.get,
    help="The goal the draft was tuned for. 'Improvement is real' needs this goal to improve "
         "beyond noise and no outcome to get significantly worse; otherwise the verdict is a "
         "trade-off that names what got worse.")

baseline_eval = state.evaluate(ws, ws.baseline, table)
draft_eval = state.evaluate(ws, ws.draft, table)
identical = ws.draft.fingerprint() == ws.baseline.fingerprint()
# Point estimates (judged rows and each account's latest row, cached), then the paired
# bootstrap behind the verdict and the CIs, then the export's evidence and report: each a
# background job shared by every session (ui.jobs). A small data set is done within the wait
# and shows at once; a large one shows a progress bar and the page reruns with the results
# when a job is done, so none of them holds the page up.
point = evidence.point_job(baseline_eval, draft_eval, objective=objective)
check = evidence.bootstrap_job(baseline_eval, draft_eval, objective=objective)
export_job = evidence.bundle_job(ws, baseline_eval, draft_eval, objective=objective)
if draft_eval.judged.n_judged <= WAIT_UP_TO_DECISIONS:
    jobs.pending([point, check], CHECK_WAIT_SECONDS)
checked = check.done()
comparison = check.value() if checked else point.value() if point.done() else None

ORDER = ["red_churned_arr_share", "red_churned_share", "surprise_churn_count",
         "surprise_churn_arr", "green_churn_rate", "red_churn_rate", "auc", "lift",
         "point_biserial_r", "red_share", "yellow_share", "green_share"]
COLOURS = {"better": "background-color: #d7f0dd; color: #0b5e22",
           "worse": "background-color: #f9d6d5; color: #8a1c17",
           "changed": "background-color: #eef0f4", "no real change": "color: #5b6270"}
CHECKING = "checking..."


def show_comparison(comparison, checked: bool) -> None:
    """Verdict, metric table and config differences; CIs and results once ``checked``
    (the bootstrap has run)."""
    if identical:
        st.info("The draft is still identical to the baseline: tune it on **Calibrate** or "
                "take a suggestion on **Suggest**, then come back to compare and export.")
    elif checked:
        label = comparison.verdict_detail.get("label")
        show = {"improvement is real": st.success, "trade-off": st.warning,
                "worse": st.error}.get(label, st.info)
        show(comparison.verdict)
    rows = []
    for key in ([] if identical else ORDER):
        metric = comparison.metrics.get(key)
        if metric is None:
            continue
        ci = metric.get("ci") or [None, None]
        rows.append({"Measure": METRIC_LABELS[key][:1].upper() + METRIC_LABELS[key][1:],
                     "Baseline": format_value(key, metric["baseline"]),
                     "Draft": format_value(key, metric["draft"]),
                     "Change": format_value(key, metric["diff"], signed=True),
                     "Likely range of change": f"{format_value(key, ci[0], True)} to "
                                         f"{format_value(key, ci[1], True)}"
                                         if checked else CHECKING,
                     "Result": metric.get("status", "n/a") if checked else CHECKING,
                     "Direction": direction_word(key)})
    if rows:
        frame = pd.DataFrame(rows)
        st.dataframe(frame.style.map(lambda v: COLOURS.get(v, ""), subset=["Result"]),
                     hide_index=True, width="stretch")
    st.caption("CS outcomes first, then the statistics. The likely range of each change comes "
               "from a paired bootstrap: both configs are re-scored on the same resampled "
               "accounts, so it shows whether the change is real or noise. **better / "
               "worse**: the range excludes 0 (a real change, judged by the measure's "
               "direction); **no real change**: it includes 0. Band sizes have no better or "
               "worse: they are your choice.")
    if comparison.differences:
        st.markdown("**What changed**")
        st.markdown("\n".join(f"- {line}" for line in comparison.differences))


# --------------------------------------------------------------------------- comparison
st.header("Is the draft better?")
if comparison is None:  # the first comparison of this config: seconds at 100k accounts
    jobs.wait_then_rerun(point, key="export-point")
else:
    if not checked and not identical:
        jobs.wait_then_rerun(check, key="export-bootstrap")
    show_comparison(comparison, checked=checked)
    left, _ = layout.panes([0.45, 0.55], key="export-migration")
    with left:
        st.markdown("**Band migration** (each account's latest snapshot)")
        st.altair_chart(charts.migration_chart(comparison.migration_latest), width="stretch")
    st.markdown(f"**Accounts that change band** ({len(comparison.movers):,} judged)")
    st.dataframe(formatting.for_display(comparison.movers), hide_index=True, width="stretch",
                 height=260)

# --------------------------------------------------------------------------- downloads
st.header("Download")
st.caption("The draft's name, author and notes go into every file below and the report "
           "(also editable in the sidebar under *Draft details*).")
details_editor(ws, "export", notes_height=100)
if not export_job.done():  # the config's evidence and the report, prepared in the background
    jobs.wait_then_rerun(export_job, key="export-bundle")
stem = "".join(c if c.isalnum() else "-" for c in ws.draft.name.lower()).strip("-") or "config"
fingerprint = ws.draft.fingerprint()  # the exported config's too (evidence is not hashed)


def bundle():
    """The export evidence (bootstrap CIs), prepared in the background since the page opened
    (a click waits for it if needed). The job is keyed by what changes a score: the name,
    author and notes are the draft's as they are."""
    return dataclasses.replace(export_job.value().bundle, config=ws.draft)


def exported_config(fmt: str) -> str:
    return config_text(export_config(ws.draft, bundle().evidence), fmt)


def every_snapshot_csv() -> None:
    """The second scored file, every snapshot row: prepared in the background on request
    (hundreds of MB at 1.8M rows), with a progress bar, then offered for download."""
    if table.cross_sectional:  # one snapshot per account: the file above is every row
        return
    n_rows = len(table)
    wanted = st.session_state.get("ex::every_snapshot") == draft_eval.config.cache_key()
    st.caption(f"Each account's history: every snapshot scored ({n_rows:,} rows).")
    if not wanted:
        st.button("Prepare history", key="ex::prepare_csv",
                  on_click=st.session_state.__setitem__,
                  args=("ex::every_snapshot", draft_eval.config.cache_key()),
                  help="Each account's history: every snapshot scored, for trend analysis. "
                       "Prepared in the background; the download appears here when ready.")
        return
    job = evidence.scored_csv_job(draft_eval)
    if not job.done():
        jobs.wait_then_rerun(job, key="export-scored-csv")
        return
    st.download_button("History (CSV)", job.value,
                       file_name=f"scored-snapshots-{fingerprint}.csv", mime="text/csv",
                       on_click="ignore", key="ex::csv_all")


cols = st.columns(4)
with cols[0]:
    fmt = st.radio("Config format", ["json", "yaml"], horizontal=True, key="ex::format")
    st.download_button("Config with evidence", lambda: exported_config(fmt),
                       file_name=f"{stem}-{fingerprint}.{fmt}",
                       mime="application/json" if fmt == "json" else "application/yaml",
                       type="primary", on_click="ignore", key="ex::config")
with cols[1]:
    st.caption("One row per account, as of its latest snapshot: score, band, sub-scores and "
               "factor points.")
    st.download_button(
        "Scored accounts (CSV)", lambda: evidence.latest_scored_csv(draft_eval),
        file_name=f"scored-{fingerprint}.csv", mime="text/csv",
        on_click="ignore", key="ex::csv")
    every_snapshot_csv()
with cols[2]:
    dialect = st.selectbox("SQL dialect", DIALECTS, key="ex::dialect")
    st.download_button("SQL for the warehouse",
                       lambda: compile_sql(ws.draft, "accounts", dialect),
                       file_name=f"health_score_{dialect}.sql", mime="text/plain",
                       on_click="ignore", key="ex::sql")
with cols[3]:
    st.caption("One self-contained HTML file for the quarterly record.")
    st.download_button("Calibration report (HTML)", lambda: export_job.value().report_for(ws.draft),
                       file_name=f"calibration-report-{fingerprint}.html",
                       mime="text/html", on_click="ignore", key="ex::report")
with st.expander("Preview the SQL", key="ex::sql_preview", on_change="rerun") as preview:
    if preview.open:  # compiled only when looked at (the first compile builds a fold table)
        st.code(compile_sql(ws.draft, "accounts", dialect), language="sql")

# --------------------------------------------------------------------------- import
st.header("Import a config")
upload = st.file_uploader("Config JSON or YAML (e.g. last quarter's export)",
                          type=["json", "yaml", "yml"], key="ex::import")
if upload is not None:
    try:
        imported = import_config(upload.getvalue(), upload.name)
    except ConfigError as error:
        st.error(f"**{md_escape(upload.name)}** was not imported; your draft is unchanged.\n\n"
                 + "\n".join(f"- {md_escape(p)}" for p in error.problems))
    else:
        st.success(f"{md_escape(upload.name)}: **{md_escape(imported.name)}** "
                   f"`{imported.fingerprint()}` is valid.")
        left, right = st.columns(2)
        if left.button("Use as the draft", key="ex::as_draft"):
            ws.set_draft(imported, reset_widgets=True)
            st.rerun()
        if right.button("Use as the baseline", key="ex::as_baseline"):
            ws.baseline = imported
            ws.save()
            st.rerun()
