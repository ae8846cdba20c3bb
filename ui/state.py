"""The app's working state: dataset, baseline and draft configs, autosaved drafts.

Only orchestration lives here: loading and scoring are done by ``calibration`` and cached
with bounded caches (``max_entries``) so memory stays flat with many sessions.

A workspace is saved as ``drafts/<id>.json`` after every change and its id is kept in the URL
(``?draft=<id>``), so a browser reload or an app restart restores the tuned draft.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from calibration import alarms, metrics
from calibration.accounts import AccountTable, DataError, prepare, read_table
from calibration.config import ColumnRoles, Config, check_columns, config_from_dict, load_config
from calibration.decisions import Decisions
from calibration.demo import DEMO_CONFIG, DEMO_DATA
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
from ui.text import md_escape

ROOT = Path(__file__).resolve().parents[1]
DRAFTS_DIR = Path(os.environ.get("HSC_DRAFTS_DIR", ROOT / "drafts"))
DEMO_NAME = "Demo data (3,000 B2B SaaS accounts)"
SESSION_KEY = "workspace"
DRAFT_ID = re.compile(r"^[a-z0-9]{8,32}$")
WIDGET_PREFIXES = ("w::", "lock::", "rule::", "band::", "rail::", "seg::", "group::")


@dataclass
class Workspace:
    """What one user is working on; saved to ``drafts/<draft_id>.json`` on every change."""

    draft_id: str
    source_name: str
    source_path: str
    baseline: Config
    draft: Config
    horizon_days: int = 90
    saved_at: str | None = None
    history: list[str] = field(default_factory=list)  # earlier drafts (JSON) for undo
    renewals_path: str | None = None  # separate renewals table (calibration.renewals)
    renewals_name: str | None = None

    # ---- persistence ---------------------------------------------------------------
    @property
    def path(self) -> Path:
        """The autosave file."""
        return DRAFTS_DIR / f"{self.draft_id}.json"

    def save(self) -> None:
        """Write atomically (a crash mid-write never leaves a half file)."""
        DRAFTS_DIR.mkdir(parents=True, exist_ok=True)
        self.saved_at = datetime.now(UTC).isoformat(timespec="seconds")
        payload = {
            "draft_id": self.draft_id, "source_name": self.source_name,
            "source_path": self.source_path, "horizon_days": self.horizon_days,
            "renewals_path": self.renewals_path, "renewals_name": self.renewals_name,
            "saved_at": self.saved_at,
            "baseline": json.loads(self.baseline.to_json()),
            "draft": json.loads(self.draft.to_json()),
        }
        fd, tmp = tempfile.mkstemp(dir=DRAFTS_DIR, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, indent=1)
            os.replace(tmp, self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def restore(cls, draft_id: str) -> Workspace | None:
        """Load a saved workspace; None when absent or unreadable."""
        path = DRAFTS_DIR / f"{draft_id}.json"
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                draft_id=draft_id, source_name=payload["source_name"],
                source_path=payload["source_path"],
                baseline=config_from_dict(payload["baseline"], "saved baseline"),
                draft=config_from_dict(payload["draft"], "saved draft"),
                horizon_days=_saved_horizon(payload.get("horizon_days", 90)),
                saved_at=payload.get("saved_at"),
                renewals_path=payload.get("renewals_path"),
                renewals_name=payload.get("renewals_name"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    # ---- changes -------------------------------------------------------------------
    def set_draft(self, config: Config, *, reset_widgets: bool = False) -> None:
        """Replace the draft and autosave; ``reset_widgets`` re-reads every control."""
        if config == self.draft:
            return
        self.history = [*self.history[-19:], self.draft.to_json()]
        self.draft = config
        try:
            self.save()
        except OSError as error:  # e.g. disk full: keep working in memory, say so loudly
            st.session_state["autosave_error"] = (
                f"Your draft could not be autosaved to {self.path} ({error.strerror}); it is "
                "kept in this browser tab only. Export it from the Export page to be safe.")
        else:
            st.session_state.pop("autosave_error", None)
        if reset_widgets:
            clear_widgets()

    def undo(self) -> bool:
        """Go back to the previous draft (True when there was one)."""
        if not self.history:
            return False
        self.draft = config_from_dict(json.loads(self.history.pop()))
        self.save()
        clear_widgets()
        return True


def _saved_horizon(value: Any) -> int:
    """A saved horizon, or the default 90 when the file holds something unusable (a hand-edited
    draft must not break the sidebar's 0-730 day input)."""
    try:
        horizon = int(value)
    except (TypeError, ValueError):
        return 90
    return horizon if 0 <= horizon <= 730 else 90


def clear_widgets() -> None:
    """Forget control values so they are re-read from the draft on the next render."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(WIDGET_PREFIXES):
            del st.session_state[key]


def workspace() -> Workspace:
    """This session's workspace: from session state, else from the URL's draft id, else a
    new one on the demo data with the shipped gut-feel config as baseline."""
    ws = st.session_state.get(SESSION_KEY)
    if ws is not None:
        return ws
    draft_id = st.query_params.get("draft", "")
    ws = Workspace.restore(draft_id) if DRAFT_ID.match(draft_id or "") else None
    if ws is not None and not Path(ws.source_path).exists():
        ws = None  # the saved upload is gone: fall back to a fresh demo workspace
    if ws is not None and ws.renewals_path and not Path(ws.renewals_path).exists():
        ws.renewals_path = ws.renewals_name = None  # its renewals table is gone
    if ws is None:
        demo = load_config(DEMO_CONFIG)
        ws = Workspace(draft_id=secrets.token_hex(6), source_name=DEMO_NAME,
                       source_path=str(DEMO_DATA), baseline=demo, draft=demo)
        try:
            ws.save()
        except OSError as error:  # e.g. disk full on the first visit: work in memory
            st.session_state["autosave_error"] = (
                f"Your draft cannot be autosaved on the server ({error.strerror}); it is "
                "kept in this browser tab only. Export it from the Export page to be safe.")
    st.query_params["draft"] = ws.draft_id
    st.session_state[SESSION_KEY] = ws
    return ws


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


@st.cache_resource(max_entries=4, show_spinner="Scoring every snapshot...")
def _full_result(file_key: str, config_key: str, _table: AccountTable,
                 _config: Config) -> ScoreResult:
    matrix, segments, hits = _full_points(file_key, _config.columns.model_dump_json(),
                                          _config.rules_fingerprint(), _table, _config)
    return combine(matrix, _config, segments, hits)


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
        return _full_result(self.file_key, self.config.fingerprint(), self.table, self.config)


def explain_rows(evaluation: Evaluation, rows: np.ndarray
                 ) -> tuple[FactorMatrix, ScoreResult]:
    """Points and an explained result (contributions, sub-scores) for a few table rows:
    row ``i`` of both is table row ``rows[i]``."""
    rows = np.asarray(rows)
    matrix = FactorMatrix(evaluation.matrix.points[rows], evaluation.matrix.names)
    hits = evaluation.hits
    some_hits = GuardrailHits(hits.cap[rows], hits.rule[rows], hits.names)
    return matrix, combine(matrix, evaluation.config, evaluation.segments[rows], some_hits,
                           explain=True)


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
    return _evaluate(file_key, config.fingerprint(), ws.horizon_days, view, table, config)


@st.cache_resource(max_entries=64, show_spinner=False)
def _evaluate(file_key: str, config_key: str, horizon: int, _view: JudgedView,
              _table: AccountTable, _config: Config) -> Evaluation:
    matrix, segments, hits = _judged_points(file_key, _config.columns.model_dump_json(),
                                            horizon, _config.rules_fingerprint(), _view,
                                            _config)
    result = combine(matrix, _config, segments, hits)
    fast = metrics.evaluate(
        result.score, _view.churned, result.band, arr=_view.arr, ids=_view.ids,
        reference=_view.reference, include_logit=False, include_factors=False,
    )
    return Evaluation(_config, _view, matrix, result, fast, _table, file_key)


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
def _account_names(file_key: str, column: str, _table: AccountTable) -> dict[Any, Any]:
    frame = pd.DataFrame({"id": _table.account_id, "name": _table.frame[column].to_numpy()})
    last = frame.drop_duplicates("id", keep="last")  # the latest row's name, as dict(zip())
    return dict(zip(last["id"].tolist(), last["name"].tolist(), strict=True))


def account_names(ws: Workspace, table: AccountTable, column: str | None) -> dict[Any, Any]:
    """Account id -> name (from its last row), built once per data for all sessions."""
    return {} if column is None else _account_names(data_key(ws), column, table)


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
    return _history_signals(evaluation.file_key, evaluation.config.fingerprint(),
                            evaluation.judged.horizon_days or 0, min_drop, window, evaluation)


def load_or_report(ws: Workspace) -> AccountTable | None:
    """The table, or None after showing why it cannot be used (never a traceback)."""
    try:
        table = load_table(ws)
    except DataError as error:
        st.error(f"**{md_escape(ws.source_name)}** cannot be used yet. Fix the column "
                 "mapping on the Data page or the file itself:")
        st.code(error.report.describe(), language=None)
        return None
    problems = check_columns(ws.draft, table.frame.columns)
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


def save_upload(name: str, raw: bytes) -> Path:
    """Keep an uploaded file beside the drafts so reloads and restarts find it again.

    Files are named by content hash, written to a temporary file and renamed into place,
    then read back and checked: a failed or partial write never leaves a broken file under
    that name. Raises OSError (e.g. disk full) with nothing left behind.
    """
    import hashlib

    uploads = DRAFTS_DIR / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in (
        ".csv", ".parquet", ".pq", ".txt", ".tsv") else ".csv"
    digest = hashlib.sha256(raw).hexdigest()
    path = uploads / f"{digest[:16]}{suffix}"
    if _sha256_of(path) == digest:
        return path
    fd, tmp = tempfile.mkstemp(dir=uploads, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
    if _sha256_of(path) != digest:
        path.unlink(missing_ok=True)
        raise OSError(errno.EIO, "the saved copy does not match the upload")
    return path


def _sha256_of(path: Path) -> str | None:
    import hashlib

    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None
