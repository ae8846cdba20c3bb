"""The app's working state: dataset, baseline and draft configs, cached evaluation.

Only orchestration lives here: loading and scoring are done by ``calibration`` and cached
with bounded caches (``max_entries``) so memory stays flat with many sessions.

The draft itself (restore from ``?draft=<id>``, autosave to the workspace store, conflicts)
lives in :mod:`ui.drafts`; its names are re-exported here for the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from calibration import alarms, metrics
from calibration.accounts import AccountTable, prepare
from calibration.config import ColumnRoles, Config, missing_column_notes
from calibration.data_files import read_table
from calibration.data_quality import DataError
from calibration.decisions import Decisions
from calibration.explain import explained_rows
from calibration.reference_tags import apply_tags
from calibration.renewals import attach_renewals, prepare_renewals, snapshot_roles
from calibration.scoring import (
    FactorMatrix,
    GuardrailHits,
    ScoreResult,
    assign_segments,
    combine,
    factor_points,
    guardrail_hits,
)
from calibration.validation import judged_rows
from ui import reference_tags
from ui.drafts import (  # noqa: F401 - re-exported for pages and ui modules
    DEMO_NAME,
    DRAFT_ID,
    SESSION_KEY,
    WIDGET_PREFIXES,
    Workspace,
    clear_widgets,
    workspace,
)
from ui.store import save_upload  # noqa: F401 - re-exported for ui.data_actions
from ui.text import md_escape


# --------------------------------------------------------------------------- cached work
def _file_key(path: str) -> str:
    stat = Path(path).stat()
    return f"{path}:{stat.st_mtime_ns}:{stat.st_size}"


def data_key(ws: Workspace) -> str:
    """Cache key of the workspace's data: the data file and, when one is attached, the
    renewals table (path, modification time, size)."""
    key = _file_key(ws.source_path)
    return f"{key}|{_file_key(ws.renewals_path)}" if ws.renewals_path else key


@st.cache_resource(max_entries=6, show_spinner="Loading accounts...")
def _load_table(file_key: str, roles_json: str, _path: str, _name: str,
                _renewals_path: str | None = None, _renewals_name: str | None = None
                ) -> AccountTable:
    roles = ColumnRoles.model_validate_json(roles_json)
    frame = read_table(_path, _name)
    if not _renewals_path:
        return prepare(frame, roles, None, source=_name)
    table = prepare(frame, snapshot_roles(frame, roles), None, source=_name)
    renewals, _ = prepare_renewals(read_table(_renewals_path, _renewals_name), roles,
                                   _renewals_name or "renewals table")
    return attach_renewals(table, renewals)


def load_table(ws: Workspace) -> AccountTable:
    """The workspace's accounts, with its renewals table attached when it has one (raises
    DataError with the quality report)."""
    return _load_table(data_key(ws), ws.draft.columns.model_dump_json(), ws.source_path,
                       ws.source_name, ws.renewals_path, ws.renewals_name)


# Everything below is cached with ``st.cache_resource``: shared by every session on the server
# (a second tab or user on the same data and rules costs nothing) and bounded by
# ``max_entries``. The slider path works on the judged rows only (one per renewal decision,
# e.g. 80k of 1.8M snapshot rows at 100k accounts); pages that need every snapshot (history,
# exports) ask for :meth:`Evaluation.result` and friends, computed once per config.
@dataclass(frozen=True)
class JudgedView:
    """The judged rows of a table and their columns, cut out once per data and horizon."""

    judged: Decisions
    frame: pd.DataFrame  # table.frame.iloc[judged.rows]: the row each decision is judged on
    churned: np.ndarray  # per decision (outcomes, ARR and ids come from the decisions)
    arr: np.ndarray
    ids: np.ndarray
    reference: np.ndarray


@st.cache_resource(max_entries=6, show_spinner="Finding the rows to judge...")
def _judged_view(file_key: str, roles_json: str, horizon: int,
                 _table: AccountTable) -> JudgedView:
    judged = judged_rows(_table, horizon)
    rows = judged.rows
    reference = np.asarray(_table.reference[rows], dtype=str)  # checked once, not per rerun
    return JudgedView(judged, _table.frame.iloc[rows], judged.churned, judged.arr,
                      judged.account_id, reference)


def judged_view(ws: Workspace, table: AccountTable | None = None) -> JudgedView:
    """The workspace's judged rows (point in time at its horizon), cached for all sessions."""
    table = table or load_table(ws)
    return _judged_view(data_key(ws), ws.draft.columns.model_dump_json(),
                        ws.horizon_days, table)


@st.cache_resource(max_entries=16, show_spinner=False)
def _judged_points(file_key: str, roles_json: str, horizon: int, rules_key: str,
                   _view: JudgedView, _config: Config
                   ) -> tuple[FactorMatrix, np.ndarray, GuardrailHits]:
    segments = assign_segments(_view.frame, _config)
    return (factor_points(_view.frame, _config, segments), segments,
            guardrail_hits(_view.frame, _config))


@st.cache_resource(max_entries=2, show_spinner="Scoring every snapshot...")
def _full_points(file_key: str, roles_json: str, rules_key: str, _table: AccountTable,
                 _config: Config) -> tuple[FactorMatrix, np.ndarray, GuardrailHits]:
    segments = assign_segments(_table.frame, _config)
    return (factor_points(_table.frame, _config, segments), segments,
            guardrail_hits(_table.frame, _config))


def row_by_row(frame: pd.DataFrame, config: Config) -> bool:
    """Whether scoring some of ``frame``'s rows gives those rows' every-row factor points:
    no column the config reads holds Python objects (an object column's type is inferred
    from its values, so a subset could read differently; any other dtype reads the same in
    every subset, and the rules score each row by itself)."""
    columns = ([f.column for f in config.factors] + [g.column for g in config.guardrails]
               + [s.match.column for s in config.segments])
    return all(frame[column].dtype != object for column in dict.fromkeys(columns))


@st.cache_resource(max_entries=4, show_spinner="Scoring every snapshot...")
def _full_result(file_key: str, config_key: str, _table: AccountTable,
                 _config: Config) -> ScoreResult:
    frame = _table.frame
    segments = assign_segments(frame, _config)
    # the points of every row (1.8M x 13: 190 MB) are combined and dropped, not cached:
    # pages need the scores; the few rows they explain are scored by themselves
    return combine(factor_points(frame, _config, segments), _config, segments,
                   guardrail_hits(frame, _config))


@dataclass(frozen=True)
class Evaluation:
    """One config scored on the workspace data, with its fast validation metrics.

    ``judged_matrix`` / ``judged_result`` hold the judged rows only (row ``i`` is table row
    ``rows[i]``); ``matrix``, ``segments``, ``hits`` and ``result`` cover every row of the
    table and are computed on first use (cached per config for all sessions).
    """

    config: Config
    view: JudgedView
    judged_matrix: FactorMatrix
    judged_result: ScoreResult
    metrics: dict[str, Any]
    table: AccountTable
    file_key: str
    reference: np.ndarray  # per judged decision: the data's label, or the account's tag
    tags_fingerprint: str = ""  # of the tags in ``reference`` (cache key of evidence)

    @property
    def judged(self) -> Decisions:
        """Which rows are judged, and why others are not."""
        return self.view.judged

    @property
    def rows(self) -> np.ndarray:
        """Per judged renewal decision, the position of the snapshot row it is judged on
        (outcomes, renewal dates and ARR: ``judged``, never the row)."""
        return self.view.judged.rows

    @property
    def churned(self) -> np.ndarray:
        """Outcome of each judged decision (True: churned)."""
        return self.view.churned

    def _full_points(self) -> tuple[FactorMatrix, np.ndarray, GuardrailHits]:
        return _full_points(self.file_key, self.config.columns.model_dump_json(),
                            self.config.rules_fingerprint(), self.table, self.config)

    @property
    def matrix(self) -> FactorMatrix:
        """Factor points of every row."""
        return self._full_points()[0]

    @property
    def segments(self) -> np.ndarray:
        """Segment index of every row."""
        return self._full_points()[1]

    @property
    def hits(self) -> GuardrailHits:
        """Guardrail caps of every row."""
        return self._full_points()[2]

    @property
    def result(self) -> ScoreResult:
        """Scores and bands of every row (no contributions: see :func:`explain_rows`)."""
        return _full_result(self.file_key, self.config.cache_key(), self.table, self.config)


def judged_points(evaluation: Evaluation) -> tuple[FactorMatrix, np.ndarray, GuardrailHits]:
    """Factor points, segment index and guardrail hits of the judged rows (row ``i`` is
    decision ``i``), cached per scoring rules: never every snapshot."""
    config = evaluation.config
    return _judged_points(evaluation.file_key, config.columns.model_dump_json(),
                          evaluation.judged.horizon_days or 0, config.rules_fingerprint(),
                          evaluation.view, config)


def explain_rows(evaluation: Evaluation, rows: np.ndarray
                 ) -> tuple[FactorMatrix, ScoreResult]:
    """Points and an explained result (contributions, sub-scores) for a few table rows:
    row ``i`` of both is table row ``rows[i]``. Scored from those rows alone when that
    gives the same points (:func:`row_by_row`), else cut out of every row's points."""
    rows = np.asarray(rows)
    if row_by_row(evaluation.table.frame, evaluation.config):
        return score_rows(evaluation, rows, explain=True)
    matrix = FactorMatrix(evaluation.matrix.points[rows], evaluation.matrix.names)
    hits = evaluation.hits
    some_hits = GuardrailHits(hits.cap[rows], hits.rule[rows], hits.names)
    return matrix, combine(matrix, evaluation.config, evaluation.segments[rows], some_hits,
                           explain=True)


def scores_of_rows(evaluation: Evaluation, rows: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Scores and bands of some table rows (``rows[i]`` -> element ``i``): from those rows
    alone when that gives the every-row numbers (:func:`row_by_row`), else cut out of every
    row's result (a column of Python objects could read differently in a subset)."""
    if row_by_row(evaluation.table.frame, evaluation.config):
        result = score_rows(evaluation, rows)[1]
        return result.score, result.band
    return evaluation.result.score[rows], evaluation.result.band[rows]


def score_rows(evaluation: Evaluation, rows: np.ndarray, *, explain: bool = False
               ) -> tuple[FactorMatrix, ScoreResult]:
    """Points and scores of a few table rows computed from those rows alone (scoring is
    row by row, so the numbers are those of every-row scoring): one account's history
    without scoring all 1.8M snapshots. Row ``i`` of both is table row ``rows[i]``;
    ``explain`` adds contributions and sub-scores."""
    config = evaluation.config
    frame = evaluation.table.frame
    # the columns scoring reads only (Config.required_columns): a copy of those rows, not of
    # every column
    frame = frame[[c for c in config.required_columns() if c in frame.columns]].iloc[
        np.asarray(rows)]
    segments = assign_segments(frame, config)
    matrix = factor_points(frame, config, segments)
    return matrix, combine(matrix, config, segments, guardrail_hits(frame, config),
                           explain=explain)


@st.cache_resource(max_entries=4, show_spinner=False)
def _explained_accounts(file_key: str, roles_json: str, horizon: int, _table: AccountTable,
                        _rows: np.ndarray) -> tuple[dict[Any, int], list[Any]]:
    row_of = explained_rows(_table.account_id, _table.snapshot_date, _rows)
    return row_of, sorted(row_of, key=str)


def explained_accounts(evaluation: Evaluation) -> tuple[dict[Any, int], list[Any]]:
    """Account id -> the row that explains it (its judged row, else its latest), and the
    ids sorted as text; cached per data and horizon for all sessions (read-only)."""
    return _explained_accounts(evaluation.file_key, evaluation.config.columns.model_dump_json(),
                               evaluation.judged.horizon_days or 0, evaluation.table,
                               evaluation.rows)


@st.cache_resource(max_entries=4, show_spinner=False)
def _latest_rows(file_key: str, roles_json: str, _table: AccountTable) -> np.ndarray:
    from calibration.history import latest_rows as latest

    return latest(_table.canonical())


def latest_rows(evaluation: Evaluation) -> np.ndarray:
    """Sorted positions of each account's latest snapshot, cached per data and the roles
    the table was read with (another snapshot date or id column, other excluded rows:
    other positions) for every session (read-only)."""
    table = evaluation.table
    return _latest_rows(evaluation.file_key, table.roles.model_dump_json(), table)


def evaluate(ws: Workspace, config: Config, table: AccountTable | None = None,
             *, explain: bool = False) -> Evaluation:
    """Score ``config`` on the workspace's judged rows and compute the slider-speed metrics.

    Factor points are cached per scoring rules, so a weight or band change only redoes the
    weighted sum and the metrics; whole evaluations are cached per config, so the baseline
    (and an undone draft) cost nothing on a rerun. ``explain`` is accepted for callers that
    still pass it; use :func:`explain_rows` for contributions.
    """
    table = table or load_table(ws)
    file_key = data_key(ws)
    view = _judged_view(file_key, config.columns.model_dump_json(), ws.horizon_days, table)
    tags, fingerprint = reference_tags.tagged(ws, table)
    return _evaluate(file_key, config.cache_key(), ws.horizon_days, fingerprint, view,
                     table, config, tags)


@st.cache_resource(max_entries=64, show_spinner=False)
def _evaluate(file_key: str, config_key: str, horizon: int, tags_fingerprint: str,
              _view: JudgedView, _table: AccountTable, _config: Config,
              _tags: dict[str, str]) -> Evaluation:
    matrix, segments, hits = _judged_points(file_key, _config.columns.model_dump_json(),
                                            horizon, _config.rules_fingerprint(), _view,
                                            _config)
    result = combine(matrix, _config, segments, hits)
    reference = apply_tags(_view.reference, _view.ids, _tags)
    fast = metrics.evaluate(
        result.score, _view.churned, result.band, arr=_view.arr, ids=_view.ids,
        reference=reference, include_logit=False, include_factors=False,
    )
    return Evaluation(_config, _view, matrix, result, fast, _table, file_key, reference,
                      tags_fingerprint)


@st.cache_resource(max_entries=16, show_spinner=False)
def _config_alarms(file_key: str, roles_json: str, horizon: int, columns: tuple[str, ...],
                   _table: AccountTable, _config: Config,
                   _judged: Decisions) -> list[dict[str, Any]]:
    return alarms.config_alarms(_table, _config, _judged)


def config_alarms(evaluation: Evaluation) -> list[dict[str, Any]]:
    """Leak and fairness alarms for the columns the evaluated config uses (cached per data,
    horizon and columns: a weight, band or threshold change costs nothing)."""
    config = evaluation.config
    columns = tuple([f.column for f in config.factors] + [g.column for g in config.guardrails])
    return _config_alarms(evaluation.file_key, config.columns.model_dump_json(),
                          evaluation.judged.horizon_days or 0, columns, evaluation.table,
                          config, evaluation.judged)


@st.cache_resource(max_entries=4, show_spinner=False)
def _account_names(file_key: str, roles_json: str, column: str, _table: AccountTable
                   ) -> dict[Any, Any]:
    # the column as it is stored: a Python string per account's name, not per row
    frame = pd.DataFrame({"id": _table.account_id, "name": _table.frame[column].array})
    last = frame.drop_duplicates("id", keep="last")  # the latest row's name, as dict(zip())
    return dict(zip(last["id"].tolist(), last["name"].tolist(), strict=True))


def account_names(ws: Workspace, table: AccountTable, column: str | None) -> dict[Any, Any]:
    """Account id -> name (from its last row), built once per data and column roles for all
    sessions (the ids are those of the account-id column the session maps)."""
    return {} if column is None else _account_names(data_key(ws), table.roles.model_dump_json(),
                                                    column, table)


@st.cache_resource(max_entries=8, show_spinner=False)
def _history_signals(file_key: str, config_key: str, horizon: int, min_drop: float,
                     window: int, _evaluation: Evaluation) -> tuple[pd.DataFrame, dict]:
    from calibration import validation

    result = _evaluation.result
    return (validation.falling_accounts(_evaluation.table, result, min_drop, window),
            validation.drop_signal(_evaluation.table, result, _evaluation.judged, min_drop,
                                   window))


def history_signals(evaluation: Evaluation, min_drop: float, window: int
                    ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Falling open accounts and the drop-before-churn check (cached per config and
    settings: seconds at 100k accounts). Treat the results as read-only."""
    # cache_key, not fingerprint: the fingerprint leaves out the outcome, renewal-date and
    # ARR columns, which change both results
    return _history_signals(evaluation.file_key, evaluation.config.cache_key(),
                            evaluation.judged.horizon_days or 0, min_drop, window, evaluation)


def load_or_report(ws: Workspace) -> AccountTable | None:
    """The table, or None after showing why it cannot be used (never a traceback)."""
    try:
        table = load_table(ws)
    except FileNotFoundError:
        st.error(f"The data file of this draft (**{md_escape(ws.source_name)}**) is no longer "
                 "on the server. Your draft and its configs are kept: load the data again "
                 "on the **Data** page (or switch to the demo data there).")
        return None
    except DataError as error:
        st.error(f"**{md_escape(ws.source_name)}** cannot be used yet. Fix the column "
                 "mapping on the Data page or the file itself:")
        st.code(error.report.describe(), language=None)
        return None
    problems = missing_column_notes(ws.draft, table.frame.columns)
    if problems:
        st.error("The draft config uses columns this data does not have:\n\n" + "\n".join(
            f"- {md_escape(p)}" for p in problems) + "\n\nMap the columns on the Data page or "
            "import a matching config.")
        return None
    return table


def workspace_and_table() -> tuple[Workspace, AccountTable]:
    """This session's workspace and its usable data. When the data cannot be used, the page
    says why (:func:`load_or_report`) and stops there."""
    ws = workspace()
    table = load_or_report(ws)
    if table is None:
        st.stop()
    return ws, table
