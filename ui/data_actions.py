"""What the Data page does to the workspace: switch the data source, apply a column mapping,
install a starter or imported config. Logic lives in ``calibration``; this only orchestrates
and is testable without a browser (the functions take the workspace)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import streamlit as st

from calibration.accounts import AccountTable, prepare, quality_with_factors
from calibration.autoconfig.outcome_values import CountedValues, count_values
from calibration.autoconfig.roles import initial_roles
from calibration.autoconfig.starter import (
    candidate_factor_columns,
    default_factor_columns,
    with_roles,
)
from calibration.config import ColumnRoles, Config, MappingRule, check_columns, load_config
from calibration.configfile import import_config
from calibration.data_files import read_table
from calibration.data_quality import DataError, QualityReport
from calibration.demo import DEMO_CONFIG, DEMO_DATA
from calibration.limits import LimitError
from calibration.sandbox import SqlRefused, check_select, run_select
from ui import deployment, jobs, state
from ui.jobs import Job
from ui.state import Workspace

WIDGET_PREFIX = "data::map::"
@st.cache_resource(max_entries=4, show_spinner="Reading the file...")
def _read(key: str, _path: str, _name: str) -> pd.DataFrame:
    return read_table(_path, _name)


def read_source(ws: Workspace) -> pd.DataFrame:
    """The workspace's raw data as read (shared, do not modify); raises DataError.

    When the loaded table (:func:`ui.state.load_table`, cached for every session) kept every
    row, its frame *is* the file's rows in order: no second read of a 1.8M-row file."""
    try:
        key = state.data_key(ws)
    except OSError:
        report = QualityReport(ws.source_name)
        report.add("error", "the data file is gone: load the data again")
        raise DataError(report) from None
    table = loaded_table(ws)
    if table is not None and table.report.n_rows_used == table.report.n_rows_read:
        return table.frame
    return _read(key, ws.source_path, ws.source_name)


UNLOADABLE = "data::unloadable"
"""Session key: the data key and roles whose table could not be loaded (not retried)."""


def loaded_table(ws: Workspace) -> AccountTable | None:
    """The workspace's table with the draft's roles (cached for all sessions), or None
    when that mapping does not load (remembered per data and roles for this session, so
    a failing load is not repeated on every rerun of the page)."""
    attempt = (state.data_key(ws), ws.draft.columns.model_dump_json())
    if st.session_state.get(UNLOADABLE) == attempt:
        return None
    try:
        return state.load_table(ws)
    except (DataError, OSError):
        st.session_state[UNLOADABLE] = attempt
        return None


@st.cache_resource(max_entries=8, show_spinner="Checking data quality...")
def _quality(key: str, roles_json: str, rules_key: str, _frame: pd.DataFrame,
             _config: Config | None, _name: str) -> QualityReport:
    roles = ColumnRoles.model_validate_json(roles_json)
    try:
        return prepare(_frame, roles, _config, source=_name).report
    except DataError as error:
        return error.report


@st.cache_resource(max_entries=8, show_spinner=False)
def _table_quality(key: str, roles_json: str, rules_key: str, _table: AccountTable,
                   _frame: pd.DataFrame, _config: Config | None) -> QualityReport:
    return quality_with_factors(_table, _frame, _config)


def quality_report(ws: Workspace, frame: pd.DataFrame, roles: ColumnRoles) -> QualityReport:
    """Data-quality report of the source under ``roles`` (never raises).

    The draft's factors are checked too (blank and unreadable values) when the data has
    their columns. Under the loaded table's own roles the load's report is reused and only
    the factor checks read the rows (the same report as preparing again).
    """
    config = ws.draft if not check_columns(ws.draft, frame.columns) else None
    rules_key = quality_key(config) if config else ""
    table = loaded_table(ws)
    if table is not None and roles == table.roles:
        return _table_quality(state.data_key(ws), roles.model_dump_json(), rules_key, table,
                              frame, config)
    return _quality(state.data_key(ws), roles.model_dump_json(), rules_key, frame, config,
                    ws.source_name)


def quality_job(ws: Workspace, frame: pd.DataFrame, roles: ColumnRoles) -> Job | None:
    """:func:`quality_report` as a background job shared by every session (:mod:`ui.jobs`)
    when ``roles`` are the loaded table's own: the factor checks read every row (about a
    second at 1.8M rows), so the page shows the report when it is ready. None under other
    roles (a mapping being edited): call :func:`quality_report`."""
    table = loaded_table(ws)
    if table is None or roles != table.roles:
        return None
    config = ws.draft if not check_columns(ws.draft, frame.columns) else None
    rules_key = quality_key(config) if config else ""
    data_key, roles_json = state.data_key(ws), roles.model_dump_json()
    return jobs.start(("data-quality", data_key, roles_json, rules_key),
                      "Checking the factors' values", lambda _progress: _table_quality(
                          data_key, roles_json, rules_key, table, frame, config), keep=4)


def quality_key(config: Config) -> str:
    """What the quality report reads from a config: each factor's name, column, how its
    values are read (rule kind; a mapping's categories and default) and missing policy, and
    the columns of guardrails and segments. A threshold, weight or band change keeps the
    key (the report is not recomputed over every row)."""
    factors = [[f.name, f.column, f.rule.kind, f.missing, f.missing_points,
                sorted(f.rule.points) if isinstance(f.rule, MappingRule) else None,
                f.rule.default if isinstance(f.rule, MappingRule) else None]
               for f in config.factors]
    parts = {"factors": factors,
             "guardrails": [[g.name, g.column] for g in config.guardrails],
             "segments": [[s.name, s.match.column] for s in config.segments]}
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@st.cache_resource(max_entries=8, show_spinner=False)
def _counted(key: str, column: str, _frame: pd.DataFrame) -> CountedValues:
    return count_values(_frame[column])


def counted_values(ws: Workspace, frame: pd.DataFrame, column: str) -> CountedValues:
    """A column of the source counted once per data for every session (the outcome
    column's counts, detected meaning, description and roles all read it; read-only)."""
    return _counted(state.data_key(ws), column, frame)


@st.cache_data(max_entries=8, show_spinner="Looking for factor columns...")
def _default_columns(key: str, roles_json: str, _frame: pd.DataFrame) -> list[str]:
    return default_factor_columns(_frame, ColumnRoles.model_validate_json(roles_json))


def starter_columns(ws: Workspace, frame: pd.DataFrame, roles: ColumnRoles) -> list[str]:
    """Candidate factor columns to pre-select for a starter config (cached)."""
    return _default_columns(state.data_key(ws), roles.model_dump_json(), frame)


@st.cache_data(max_entries=8, show_spinner="Guessing column roles...")
def _initial_roles(key: str, roles_json: str, _frame: pd.DataFrame) -> str:
    return initial_roles(_frame, ColumnRoles.model_validate_json(roles_json)).model_dump_json()


def guess_roles(ws: Workspace, frame: pd.DataFrame) -> ColumnRoles:
    """Roles to pre-fill the mapping with (draft's where they fit, else detected; cached)."""
    return ColumnRoles.model_validate_json(
        _initial_roles(state.data_key(ws), ws.draft.columns.model_dump_json(), frame))


@st.cache_data(max_entries=8, show_spinner=False)
def _candidates(key: str, roles_json: str, _frame: pd.DataFrame) -> list[str]:
    return candidate_factor_columns(_frame, ColumnRoles.model_validate_json(roles_json))


def candidate_columns(ws: Workspace, frame: pd.DataFrame, roles: ColumnRoles) -> list[str]:
    """Columns that could become factors under ``roles`` (cached)."""
    return _candidates(state.data_key(ws), roles.model_dump_json(), frame)


def clear_mapping_widgets() -> None:
    """Forget the Data page's mapping controls so they are pre-filled again."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(WIDGET_PREFIX):
            del st.session_state[key]


def _set_source(ws: Workspace, name: str, path: Path | str) -> None:
    ws.source_name = name
    ws.source_path = str(path)
    ws.renewals_path = ws.renewals_name = None  # a renewals table belongs to its data
    ws.save()
    clear_mapping_widgets()


# --------------------------------------------------------------------------- renewals table
def _use_renewals(ws: Workspace, name: str, raw: bytes, frame: pd.DataFrame) -> QualityReport:
    """Check a renewals table against the draft's roles, keep it and attach it."""
    from calibration.renewals import prepare_renewals

    _, report = prepare_renewals(frame, ws.draft.columns, name)  # raises DataError
    ws.renewals_path = str(state.save_upload(name, raw))
    ws.renewals_name = name
    ws.save()
    return report


def use_renewals_upload(ws: Workspace, name: str, raw: bytes) -> QualityReport:
    """Attach an uploaded renewals table (one row per renewal: account id, renewal date,
    outcome, optional ARR); outcomes then come from it. Returns its quality report.

    Raises DataError (the workspace is unchanged) when it cannot be read or used.
    """
    return _use_renewals(ws, name, raw, read_table(raw, name))


def use_renewals_sql(ws: Workspace, query: str) -> QualityReport:
    """Attach the result of one sandboxed SELECT (over :func:`sql_tables`) as the renewals
    table. Raises DataError (the workspace is unchanged) when refused, failed or unusable."""
    try:
        frame = run_select(query, sql_tables(ws))
    except (SqlRefused, LimitError) as error:
        raise _sql_error("SQL", str(error)) from None
    if frame.shape[1] == 0 or frame.empty:
        raise _sql_error("SQL", "the query returned no rows")
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, index=False)
    except (ValueError, TypeError, ImportError) as error:
        raise _sql_error("SQL", f"the query result cannot be stored ({error})") from None
    return _use_renewals(ws, "renewals query.parquet", buffer.getvalue(), frame)


def drop_renewals(ws: Workspace) -> None:
    """Take outcomes from the accounts data again."""
    ws.renewals_path = ws.renewals_name = None
    ws.save()


def renewals_report(ws: Workspace) -> QualityReport | None:
    """The attached renewals table's quality report (None without one; never raises)."""
    from calibration.renewals import prepare_renewals

    if not ws.renewals_path:
        return None
    name = ws.renewals_name or "renewals table"
    try:
        return prepare_renewals(read_table(ws.renewals_path, name), ws.draft.columns, name)[1]
    except DataError as error:
        return error.report


def use_upload(ws: Workspace, name: str, raw: bytes) -> pd.DataFrame:
    """Read an uploaded CSV/Parquet file, keep it beside the drafts and make it the source.

    Raises DataError (the workspace is unchanged) when the file cannot be read.
    """
    frame = read_table(raw, name)
    if frame.shape[1] == 0 or frame.empty:
        report = QualityReport(name)
        report.add("error", "the file has no data rows")
        raise DataError(report)
    _set_source(ws, name, _saved(name, raw))
    return frame


def _saved(name: str, raw: bytes) -> Path:
    """Save an upload (or query result); DataError when the disk refuses (e.g. full)."""
    try:
        return state.save_upload(name, raw)
    except OSError as error:
        report = QualityReport(name)
        report.add("error", f"the file could not be saved on the server ({error.strerror}); "
                   "nothing was changed. Ask your administrator to free disk space")
        raise DataError(report) from None


def sql_tables(ws: Workspace) -> dict[str, str]:
    """The tables the SQL box may read: the workspace's current data and the demo data.

    Nothing else (no other file, no other user's upload) is readable from the box.
    """
    return {"accounts": ws.source_path, "demo_accounts": str(DEMO_DATA)}


def _sql_error(label: str, message: str) -> DataError:
    report = QualityReport(label)
    report.add("error", message)
    return DataError(report)


def use_sql(ws: Workspace, query: str) -> pd.DataFrame:
    """Run one SELECT in the SQL sandbox over :func:`sql_tables`, keep its result as a
    Parquet upload and make it the source.

    Raises DataError (the workspace is unchanged) when the query is refused, fails or
    returns nothing.
    """
    try:
        frame = run_select(query, sql_tables(ws))
    except (SqlRefused, LimitError) as error:
        raise _sql_error("SQL", str(error)) from None
    return _use_query_result(ws, "SQL", query, frame)


def use_team_query(ws: Workspace, connection: str, query: str) -> pd.DataFrame:
    """Run one read-only SELECT on the operator-configured team database ``connection``
    (``st.connection`` + a SQLAlchemy URL in secrets) and make the result the source."""
    from calibration.team_db import run_readonly

    try:
        check_select(query)
        # the settings are passed explicitly (same values as [connections.<name>] in
        # secrets) so the connection also works where secrets come from st.secrets only
        engine = st.connection(connection, type="sql",
                               **deployment.connection_settings(connection)).engine
        frame = run_readonly(engine, query)
    except (SqlRefused, LimitError) as error:
        raise _sql_error("Team database", str(error)) from None
    except Exception as error:  # driver missing, bad URL, server down: say so, no traceback
        raise _sql_error("Team database", "the team database connection "
                         f"{connection!r} is not usable: {type(error).__name__}") from None
    return _use_query_result(ws, "Team database", query, frame)


def _use_query_result(ws: Workspace, label: str, query: str,
                      frame: pd.DataFrame) -> pd.DataFrame:
    if frame.shape[1] == 0 or frame.empty:
        raise _sql_error(label, "the query returned no rows")
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, index=False)
    except (ValueError, TypeError, ImportError) as error:
        raise _sql_error(label, f"the query result cannot be stored ({error}); cast unusual "
                         "columns to text or numbers in the query") from None
    short = " ".join(query.split())
    short = short if len(short) <= 60 else short[:57] + "..."
    prefix = "SQL" if label == "SQL" else "Team database"
    _set_source(ws, f"{prefix}: {short}", _saved("query.parquet", buffer.getvalue()))
    return frame


def use_demo(ws: Workspace) -> bool:
    """Switch to the demo data; the demo config becomes baseline and draft when the current
    draft does not fit it. Returns True when the configs were replaced."""
    _set_source(ws, state.DEMO_NAME, DEMO_DATA)
    columns = read_table(DEMO_DATA).columns
    roles = ws.draft.columns
    role_columns = [getattr(roles, r) for r in ("account_id", "snapshot_date", "segment",
                                                "arr", "outcome", "renewal_date",
                                                "reference_label", "account_name")]
    fits = not check_columns(ws.draft, columns) and all(
        c in columns for c in role_columns if c)
    if fits:
        return False
    use_config(ws, load_config(DEMO_CONFIG))
    return True


def apply_roles(ws: Workspace, roles: ColumnRoles) -> None:
    """Give both the baseline and the draft these column roles, and autosave."""
    ws.baseline = with_roles(ws.baseline, roles)
    ws.set_draft(with_roles(ws.draft, roles), reset_widgets=True)
    ws.save()


def use_config(ws: Workspace, config: Config) -> None:
    """Make ``config`` both the baseline and the draft (e.g. a starter config), and autosave."""
    ws.baseline = config
    ws.set_draft(config, reset_widgets=True)
    ws.save()


def import_baseline(ws: Workspace, name: str, raw: bytes) -> Config:
    """Set an uploaded config file as the baseline.

    Raises ConfigError listing every problem; the workspace is then left untouched.
    """
    config = import_config(raw, name)
    ws.baseline = config
    ws.save()
    return config


def baseline_as_draft(ws: Workspace) -> None:
    """Start the draft from the baseline."""
    ws.set_draft(ws.baseline, reset_widgets=True)
    ws.save()
