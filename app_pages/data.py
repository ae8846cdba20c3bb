"""Data: choose the accounts (demo, upload, sandboxed DuckDB SQL, team database), map
columns, check data quality, build a starter config or import last quarter's config as the
baseline."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from calibration.autoconfig.outcome_values import (
    BLANK_LABEL,
    describe_outcomes,
    detect_outcome_values,
    outcome_counts,
)
from calibration.autoconfig.roles import ROLE_NAMES, roles_with_outcomes
from calibration.autoconfig.starter import starter_config
from calibration.config import ColumnRoles, ConfigError, missing_column_notes
from calibration.data_quality import DataError, QualityReport
from calibration.demo import DEMO_DATA
from ui import data_actions as actions
from ui import deployment, jobs, state
from ui.data_actions import WIDGET_PREFIX
from ui.flash import Kind, show_flash
from ui.flash import flash as keep_message
from ui.text import issue_text, md_escape

DEMO, UPLOAD, SQL = "Demo data", "Upload a file (CSV or Parquet)", "SQL query (DuckDB)"
TEAM = "Team database"
NONE = "(none)"
ROLE_LABELS = {
    "account_id": "Account id (required)", "snapshot_date": "Snapshot date",
    "renewal_date": "Renewal date", "segment": "Segment", "arr": "ARR (annual revenue)",
    "outcome": "Outcome (churned / renewed)", "reference_label": "Reference label",
    "account_name": "Account name",
}
ROLE_HELP = {
    "snapshot_date": "When the row was observed. Leave empty for one row per account "
                     "(single snapshot).",
    "arr": "Annual recurring revenue. Monthly charges are not ARR: leave empty if the data "
           "has no annual revenue.",
    "outcome": "Which accounts churned and which renewed; validation needs it.",
    "reference_label": "known_healthy / known_struggling labels the team already trusts.",
}
FLASH = "data::flash"
SOURCE_ERROR = "data::source_error"
BASELINE_PROBLEMS = "data::baseline_problems"
RENEWALS_ERROR = "data::renewals_error"
QUALITY_WAIT_SECONDS = 0.5  # a small file's report is ready by then: shown at once
QUALITY_WAIT_UP_TO_ROWS = 200_000  # larger: the page draws at once, a progress bar meanwhile

ws = state.workspace()


# --------------------------------------------------------------------------- helpers
def flash(kind: Kind, text: str) -> None:
    keep_message(FLASH, text, kind)


def show_report(report: QualityReport) -> None:
    """Every issue in its own box, with the rows it concerns; never a traceback."""
    st.caption(f"{report.n_rows_read:,} rows read · {report.n_rows_used:,} used · "
               f"{report.n_accounts:,} accounts")
    boxes = {"error": st.error, "warning": st.warning, "info": st.info}
    for issue in report.issues:
        boxes[issue.severity](issue_text(issue), icon={"error": ":material/error:",
                                                 "warning": ":material/warning:",
                                                 "info": ":material/info:"}[issue.severity])
    if not report.issues:
        st.success("No data problems found.", icon=":material/check_circle:")


def role_key(role: str) -> str:
    return f"{WIDGET_PREFIX}{role}"


def chosen_roles() -> dict[str, str | None]:
    return {role: (None if (v := st.session_state.get(role_key(role))) in (None, NONE) else v)
            for role in ROLE_NAMES}


def on_outcome_column() -> None:
    for key in ("churned", "renewed"):
        st.session_state.pop(role_key(key), None)


def build_roles(frame: pd.DataFrame) -> ColumnRoles:
    roles = chosen_roles()
    series = actions.counted_values(ws, frame, roles["outcome"]) if roles["outcome"] else None
    return roles_with_outcomes(roles, series,
                               st.session_state.get(role_key("churned"), []),
                               st.session_state.get(role_key("renewed"), []))


# --------------------------------------------------------------------------- callbacks
def on_upload() -> None:
    upload = st.session_state.get("data::upload")
    if upload is None:
        return
    st.session_state.pop(SOURCE_ERROR, None)
    try:
        frame = actions.use_upload(ws, upload.name, upload.getvalue())
    except DataError as error:
        st.session_state[SOURCE_ERROR] = error.report
        return
    flash("success", f"Loaded {md_escape(upload.name)}: {len(frame):,} rows, "
          f"{frame.shape[1]} columns. Check the column mapping below.")


def on_sql(team: str | None = None) -> None:
    st.session_state.pop(SOURCE_ERROR, None)
    try:
        if team:
            frame = actions.use_team_query(ws, team, st.session_state.get("data::team_sql", ""))
        elif deployment.sql_box_enabled():
            frame = actions.use_sql(ws, st.session_state.get("data::sql", ""))
        else:
            return
    except DataError as error:
        st.session_state[SOURCE_ERROR] = error.report
        return
    flash("success", f"Query returned {len(frame):,} rows, {frame.shape[1]} columns. Check "
          "the column mapping below.")


def on_renewals_upload() -> None:
    upload = st.session_state.get("data::renewals_upload")
    if upload is None:
        return
    st.session_state.pop(RENEWALS_ERROR, None)
    try:
        report = actions.use_renewals_upload(ws, upload.name, upload.getvalue())
    except DataError as error:
        st.session_state[RENEWALS_ERROR] = error.report
        return
    flash("success", f"Outcomes now come from {md_escape(upload.name)} "
          f"({report.n_rows_used:,} renewals of {report.n_accounts:,} accounts).")


def on_renewals_sql() -> None:
    st.session_state.pop(RENEWALS_ERROR, None)
    try:
        report = actions.use_renewals_sql(ws, st.session_state.get("data::renewals_sql", ""))
    except DataError as error:
        st.session_state[RENEWALS_ERROR] = error.report
        return
    flash("success", f"Outcomes now come from the query ({report.n_rows_used:,} renewals).")


def on_renewals_remove() -> None:
    actions.drop_renewals(ws)
    flash("success", "Outcomes come from the accounts data again.")


def on_demo() -> None:
    st.session_state.pop(SOURCE_ERROR, None)
    replaced = actions.use_demo(ws)
    flash("success", "Using the demo data" + (
        " with the demo config as baseline and draft (the previous draft used other "
        "columns)." if replaced else "."))


def on_apply_mapping(frame: pd.DataFrame) -> None:
    try:
        roles = build_roles(frame)
    except ValueError as error:
        flash("error", f"Mapping not applied: {error}")
        return
    actions.apply_roles(ws, roles)
    flash("success", "Column mapping applied to both the baseline and the draft.")


def on_starter(frame: pd.DataFrame) -> None:
    try:
        roles = build_roles(frame)
        config = starter_config(frame, roles,
                                st.session_state.get(role_key("starter_columns"), []),
                                st.session_state.get(role_key("starter_name")) or
                                "Starter config")
    except ConfigError as error:
        flash("error", "Starter config not built:\n\n" + "\n".join(
            f"- {md_escape(p)}" for p in error.problems))
        return
    except ValueError as error:
        flash("error", f"Starter config not built: {error}")
        return
    actions.use_config(ws, config)
    flash("success", f"Starter config **{md_escape(config.name)}** ({len(config.factors)} "
          "factors, equal weights, bands 30/70) is now both the **baseline** and the "
          "**draft**: open the Calibrate page to tune it.")


def on_baseline_upload() -> None:
    upload = st.session_state.get("data::baseline_upload")
    st.session_state.pop(BASELINE_PROBLEMS, None)
    if upload is None:
        return
    try:
        config = actions.import_baseline(ws, upload.name, upload.getvalue())
    except ConfigError as error:
        st.session_state[BASELINE_PROBLEMS] = (upload.name, error.problems)
        return
    flash("success", f"Baseline set to **{md_escape(config.name)}** from {md_escape(upload.name)}. "
          "The draft is unchanged.")


def on_baseline_as_draft() -> None:
    actions.baseline_as_draft(ws)
    flash("success", "The draft now starts from the baseline.")


# --------------------------------------------------------------------------- page
st.title("Data")
show_flash(FLASH)

st.header("1. Accounts")
team_db = deployment.team_database()
sources = [DEMO, UPLOAD, *([SQL] if deployment.sql_box_enabled() else []),
           *([TEAM] if team_db else [])]
default_source = DEMO if ws.source_path == str(DEMO_DATA) else (
    SQL if ws.source_name.startswith("SQL:") else
    TEAM if ws.source_name.startswith("Team database:") else UPLOAD)
if st.session_state.get("data::source") not in sources:
    st.session_state["data::source"] = default_source if default_source in sources else UPLOAD
source = st.radio("Where do the accounts come from?", sources, key="data::source",
                  horizontal=True)
if source == DEMO:
    if ws.source_path == str(DEMO_DATA):
        st.caption("Using the demo data: 3,000 generated B2B SaaS accounts with monthly "
                   "snapshots and renewal outcomes.")
    else:
        st.button("Use the demo data", on_click=on_demo, key="data::use_demo")
elif source == UPLOAD:
    st.file_uploader("CSV or Parquet file: one row per account (or per account and snapshot "
                     "date), with an outcome column", type=["csv", "parquet", "pq", "txt", "tsv"],
                     key="data::upload", on_change=on_upload)
    st.caption("The delimiter (comma, semicolon, tab, pipe) and encoding are detected. The file "
               "is kept beside your draft, so a reload finds it again.")
elif source == SQL:
    st.text_area("DuckDB query (one SELECT)", key="data::sql", height=120,
                 placeholder="SELECT * FROM accounts WHERE arr > 0")
    st.button("Run query", on_click=on_sql, key="data::run_sql")
    st.caption("Reshape the data with one DuckDB SELECT over two tables: `accounts` (the "
               "data in use now) and `demo_accounts` (the demo data). The query runs in a "
               "sandbox: it cannot read other files, write files, attach databases, load "
               "extensions or change settings. The result is stored as a Parquet file "
               "beside your draft.")
else:
    st.text_area(f"Query for the team database `{md_escape(team_db)}` (one SELECT)",
                 key="data::team_sql", height=120,
                 placeholder="SELECT * FROM cs.account_health_snapshots")
    st.button("Run query", on_click=on_sql, args=(team_db,), key="data::run_team_sql")
    st.caption("Runs read-only on the database your administrator configured. The result "
               "is stored as a Parquet file beside your draft.")
if (error_report := st.session_state.get(SOURCE_ERROR)) is not None:
    st.error("That data was not loaded (the current data is unchanged):")
    show_report(error_report)

st.markdown("**Renewals table** (optional)",
            help="CRMs often keep renewal opportunities apart from usage data. Add them here: "
                 "one row per renewal with the account id, renewal date, outcome (churned / "
                 "renewed / open) and optionally ARR, joined to the accounts by account id. "
                 "Outcomes then come from this table, not from the accounts data.")
if ws.renewals_path:
    left, right = st.columns([0.75, 0.25], vertical_alignment="center")
    left.caption(f"Outcomes come from **{md_escape(ws.renewals_name)}**, joined by account id.")
    right.button("Remove", key="data::renewals_remove", on_click=on_renewals_remove)
    renewals_quality = actions.renewals_report(ws)
    if renewals_quality is not None:
        with st.expander("Renewals table quality"):
            show_report(renewals_quality)
else:
    st.file_uploader("Renewals file (CSV or Parquet)", type=["csv", "parquet", "pq", "txt",
                                                             "tsv"],
                     key="data::renewals_upload", on_change=on_renewals_upload)
    if deployment.sql_box_enabled():
        st.text_area("...or a DuckDB query for the renewals (one SELECT over `accounts` and "
                     "`demo_accounts`)", key="data::renewals_sql", height=80)
        st.button("Use as renewals", on_click=on_renewals_sql, key="data::renewals_run_sql")
if (renewals_error := st.session_state.get(RENEWALS_ERROR)) is not None:
    st.error("That renewals table was not attached:")
    show_report(renewals_error)

try:
    frame = actions.read_source(ws)
except DataError as error:
    st.error(f"**{md_escape(ws.source_name)}** cannot be read:")
    show_report(error.report)
    st.stop()

delimiter = frame.attrs.get("delimiter")
st.markdown(f"**{md_escape(ws.source_name)}** · {len(frame):,} rows · {frame.shape[1]} columns"
            + (f" · delimiter `{delimiter!r}`, encoding {frame.attrs.get('encoding')}"
               if delimiter else ""))
PREVIEW_COLUMNS = 8  # what fits a 1280 px screen without scrolling sideways
with st.expander("Preview (first 20 rows)"):
    columns = [str(c) for c in frame.columns]
    shown = columns
    if len(columns) > PREVIEW_COLUMNS:
        shown = st.multiselect(
            "Columns shown", columns, default=columns[:PREVIEW_COLUMNS], key="data::preview",
            help="The preview shows a few columns at a time so none hides off the side; "
                 "add or remove columns here.") or columns[:PREVIEW_COLUMNS]
        st.caption(f"Showing {len(shown)} of {len(columns)} columns: pick others above.")
    st.dataframe(frame.head(20).set_axis(columns, axis=1)[shown], hide_index=True,
                 width="stretch")

# --------------------------------------------------------------------------- mapping
st.header("2. Column mapping")
st.caption("Which column is which. Pre-filled from the draft config where this data has its "
           "columns, otherwise guessed from names and values.")
guess = actions.guess_roles(ws, frame)
columns = [str(c) for c in frame.columns]
cols = st.columns(4)
for index, role in enumerate(ROLE_NAMES):
    options = columns if role == "account_id" else [NONE, *columns]
    key = role_key(role)
    if st.session_state.get(key) not in options:
        st.session_state[key] = getattr(guess, role) or options[0]
    cols[index % 4].selectbox(ROLE_LABELS[role], options, key=key, help=ROLE_HELP.get(role),
                              on_change=on_outcome_column if role == "outcome" else None)

outcome_column = chosen_roles()["outcome"]
if outcome_column:
    series = actions.counted_values(ws, frame, outcome_column)  # the column read once
    counts = outcome_counts(series)
    values = [v for v in counts["value"] if v != BLANK_LABEL]
    detected = detect_outcome_values(series)
    if guess.outcome == outcome_column:
        start_churned, start_renewed = guess.churned_values, guess.renewed_values
    else:
        start_churned, start_renewed = detected.churned_values, detected.renewed_values
    by_key = {v.strip().casefold(): v for v in values}
    for name, start in (("churned", start_churned), ("renewed", start_renewed)):
        key = role_key(name)
        current = st.session_state.get(key)
        if current is None or any(v not in values for v in current):
            st.session_state[key] = [by_key[k] for k in dict.fromkeys(
                s.strip().casefold() for s in (current or start)) if k in by_key]
    left, right = st.columns([0.35, 0.65])
    with left:
        st.dataframe(counts.rename(columns={"value": f"{outcome_column} value", "rows": "Rows"}),
                     hide_index=True, width="stretch")
    with right:
        st.multiselect("Means churned", values, key=role_key("churned"))
        st.multiselect("Means renewed", values, key=role_key("renewed"))
        st.caption("Every other value (and blank) means the account is still open: scored but "
                   "not used to validate.")
    if detected.reason:
        st.warning(md_escape(detected.reason), icon=":material/help:")
    st.markdown(md_escape(describe_outcomes(series, st.session_state[role_key("churned")],
                                        st.session_state[role_key("renewed")])))
else:
    st.info("No outcome column in the accounts data: " + (
        "outcomes come from the renewals table." if ws.renewals_path else
        "accounts can be scored but not validated against churn (add a renewals table "
        "above, or map an outcome column)."))

try:
    pending = build_roles(frame)
    mapping_problem = None
except ValueError as error:
    pending, mapping_problem = None, str(error)
if mapping_problem:
    st.error(md_escape(mapping_problem))
applied = pending is not None and pending == ws.draft.columns
st.button("Apply this mapping", key="data::apply_mapping", type="primary",
          on_click=on_apply_mapping, args=(frame,), disabled=pending is None or applied,
          help="Updates the column roles of both the baseline and the draft")
st.caption("The draft and baseline use this mapping." if applied else
           "Not applied yet: the draft still uses its own mapping.")

# --------------------------------------------------------------------------- quality
st.header("3. Data quality")
st.caption("For the mapping above" + (" (as applied)." if applied else
           ", before it is applied." if pending is not None else
           ": the guessed one, as the chosen one is incomplete."))
if (pending or guess).snapshot_date is None:
    st.info("No snapshot date column: single-snapshot (cross-sectional) data, one row per "
            "account. Validation judges each account as is, without a horizon or history.",
            icon=":material/info:")
# the factor checks read every row: a background job (shared by every session) under the
# loaded table's roles, shown when done; a small file is done within the wait
quality = actions.quality_job(ws, frame, pending or guess)
if quality is None:
    show_report(actions.quality_report(ws, frame, pending or guess))
else:
    if len(frame) <= QUALITY_WAIT_UP_TO_ROWS:
        quality.wait(QUALITY_WAIT_SECONDS)
    if quality.done():
        show_report(quality.value())
    else:
        jobs.wait_then_rerun(quality, key="data-quality")

# --------------------------------------------------------------------------- starter
missing = missing_column_notes(ws.draft, frame.columns)
baseline_missing = missing_column_notes(ws.baseline, frame.columns)
st.header("4. Config")
if missing:
    both = " and the baseline use" if baseline_missing == missing else " uses"
    st.warning("The draft config **" + md_escape(ws.draft.name) + f"**{both} columns this "
               "data does not have:\n\n" + "\n".join(f"- {md_escape(p)}" for p in missing[:12])
               + (f"\n- … and {len(missing) - 12} more" if len(missing) > 12 else ""))
# Only an open expander runs (on_change="rerun"): the column ranking reads every row (minutes
# at 1.8M rows), so it waits until a starter is wanted. It opens by itself when the draft does
# not fit the data (the key follows that, so the default applies again when the data changes).
starter = st.expander("Build a starter config from this data", expanded=bool(missing),
                      key=f"data::starter::{bool(missing)}", on_change="rerun")
with starter:
    if not starter.open:
        pass
    elif pending is None:
        st.info("Fix the column mapping above first.")
    else:
        candidates = actions.candidate_columns(ws, frame, pending)
        key = role_key("starter_columns")
        if key not in st.session_state or any(
                c not in candidates for c in st.session_state[key]):
            st.session_state[key] = actions.starter_columns(ws, frame, pending)
        st.multiselect("Columns to score (ids, roles, constant columns and free text are left "
                       "out; at most 12 pre-selected, the strongest first)", candidates,
                       key=key)
        name_key = role_key("starter_name")
        if name_key not in st.session_state:
            st.session_state[name_key] = f"Starter config ({ws.source_name})"[:80]
        st.text_input("Name", key=name_key)
        st.caption("One factor per column, equal weights, bands red <= 30 < yellow <= 70 < "
                   "green. Numbers score linearly between their 10th and 90th percentiles; "
                   "categories score by their renewal rate in this data. It replaces **both** "
                   "the baseline and the draft, and applies the mapping above.")
        st.button("Build a starter config from this data", key="data::build_starter",
                  type="primary" if missing else "secondary", on_click=on_starter,
                  args=(frame,))

# --------------------------------------------------------------------------- baseline
st.header("5. Baseline config")
st.caption("The baseline is what the draft is compared with: now "
           f"**{md_escape(ws.baseline.name)}** "
           f"`{ws.baseline.fingerprint()}`. Load last quarter's exported config (JSON or YAML).")
st.file_uploader("Last quarter's config", type=["json", "yaml", "yml"],
                 key="data::baseline_upload", on_change=on_baseline_upload)
if (problems := st.session_state.get(BASELINE_PROBLEMS)) is not None:
    name, listing = problems
    st.error(f"**{md_escape(name)}** was not loaded ({len(listing)} problem(s)); the baseline and "
             "draft are unchanged:\n\n" + "\n".join(f"- {md_escape(p)}" for p in listing))
if baseline_missing and baseline_missing != missing:  # the same list is said once, above
    st.warning("The baseline uses columns this data does not have:\n\n" + "\n".join(
        f"- {md_escape(p)}" for p in baseline_missing[:12]))
if ws.baseline.fingerprint() != ws.draft.fingerprint():
    st.button("Also use the baseline as the draft", key="data::baseline_as_draft",
              on_click=on_baseline_as_draft,
              help="Replace the draft with the baseline (Undo in the sidebar goes back)")
