"""Cached heavy evidence (comparison, export bundle, scored CSV) for the pages; the Renewals
page's validation is computed in parts by :mod:`ui.renewal_evidence`.

Keyed by config fingerprint + data file + horizon, with bounded caches (``max_entries``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from calibration.accounts import AccountTable
from calibration.compare import Comparison, compare_rows, with_bootstrap
from calibration.config import Config
from calibration.evidence import EvidenceBundle, assemble, report_html, warm_report
from calibration.export import csv_bytes
from calibration.reference_tags import tags_key, with_tags
from calibration.scored import scored_table
from calibration.scoring import (
    FactorMatrix,
    GuardrailHits,
    ScoreResult,
    assign_segments,
    combine,
    factor_points,
    guardrail_hits,
)
from ui import jobs, reference_tags, state
from ui.jobs import Job
from ui.state import Evaluation, Workspace, explain_rows

BOOTSTRAP_RESAMPLES = 1000
LOOKBACK_DAYS = 365


# --------------------------------------------------------------------------- export
@st.cache_resource(max_entries=4, show_spinner=False)
def _latest_frame(file_key: str, roles_json: str, _table: AccountTable,
                  _latest: np.ndarray) -> pd.DataFrame:
    return _table.frame.iloc[_latest]


def _latest_rows(evaluation: Evaluation) -> tuple[np.ndarray, pd.DataFrame]:
    """Each account's latest row (positions shared with the other pages'
    :func:`ui.state.latest_rows`) and those rows of the data, cached per data."""
    latest = state.latest_rows(evaluation)
    table = evaluation.table
    return latest, _latest_frame(evaluation.file_key, table.roles.model_dump_json(), table,
                                 latest)


@st.cache_resource(max_entries=8, show_spinner=False)
def _latest_points(file_key: str, roles_json: str, rules_key: str,
                   _evaluation: Evaluation) -> tuple[FactorMatrix, np.ndarray, GuardrailHits]:
    latest, frame = _latest_rows(_evaluation)
    config = _evaluation.config
    if not state.row_by_row(_evaluation.table.frame, config):  # cut out of every row's
        hits = _evaluation.hits
        return (FactorMatrix(_evaluation.matrix.points[latest], _evaluation.matrix.names),
                _evaluation.segments[latest],
                GuardrailHits(hits.cap[latest], hits.rule[latest], hits.names))
    segments = assign_segments(frame, config)
    return (factor_points(frame, config, segments), segments,
            guardrail_hits(frame, config))


def _latest(evaluation: Evaluation, positions: np.ndarray | None = None,
            explain: bool = False) -> ScoreResult:
    """The config's scores on each account's latest row (or on ``positions`` of them),
    from factor points cached per scoring rules: the latest rows only, never every
    snapshot."""
    config = evaluation.config
    matrix, segments, hits = _latest_points(evaluation.file_key,
                                            config.columns.model_dump_json(),
                                            config.rules_fingerprint(), evaluation)
    if positions is not None:
        matrix = FactorMatrix(matrix.points[positions], matrix.names)
        segments = segments[positions]
        hits = GuardrailHits(hits.cap[positions], hits.rule[positions], hits.names)
    return combine(matrix, config, segments, hits, explain=explain)


@st.cache_resource(max_entries=8, show_spinner=False)
def _point_comparison(file_key: str, baseline_key: str, draft_key: str, horizon: int,
                      objective: str, _baseline: Evaluation, _draft: Evaluation
                      ) -> Comparison:
    latest, _ = _latest_rows(_draft)

    def explained(positions: np.ndarray) -> tuple[ScoreResult, ScoreResult]:
        return (_latest(_baseline, positions, explain=True),
                _latest(_draft, positions, explain=True))

    return compare_rows(_baseline.config, _draft.config, _draft.judged,
                        _baseline.judged_result, _draft.judged_result,
                        _draft.table.account_id[latest], _latest(_baseline).band,
                        _latest(_draft).band, explained, 0, 0, objective)


def point_comparison(baseline: Evaluation, draft: Evaluation,
                     objective: str = "ranking") -> Comparison:
    """Draft vs baseline without the bootstrap (point estimates, migration, movers, no
    verdict): scores the judged rows (cached) and each account's latest row only, so it is
    fast. Cached for every session."""
    return _point_comparison(draft.file_key, baseline.config.cache_key(),
                             draft.config.cache_key(), draft.judged.horizon_days or 0,
                             objective, baseline, draft)


def point_job(baseline: Evaluation, draft: Evaluation, objective: str = "ranking") -> Job:
    """:func:`point_comparison` as a background job shared by every session: the first
    comparison of a config scores each account's latest row (cached per data and scoring
    rules), seconds at 100k accounts, so the page does not wait for it either."""
    key = ("export-point", draft.file_key, baseline.config.cache_key(),
           draft.config.cache_key(), draft.judged.horizon_days or 0, objective)
    return jobs.start(key, "Comparing the draft with the baseline",
                      lambda progress: point_comparison(baseline, draft, objective))


def bootstrap_job(baseline: Evaluation, draft: Evaluation,
                  resamples: int = BOOTSTRAP_RESAMPLES, objective: str = "ranking") -> Job:
    """The paired bootstrap behind the verdict and the CIs, as a background job shared by
    every session (:mod:`ui.jobs`); its value is the checked :class:`Comparison`. It starts
    from the point comparison (cached: computed once, whichever job asks first)."""
    key = ("export-bootstrap", draft.file_key, baseline.config.cache_key(),
           draft.config.cache_key(), draft.judged.horizon_days or 0, resamples, objective)

    def work(progress: Callable[[float], None]) -> Comparison:
        point = point_comparison(baseline, draft, objective)
        return with_bootstrap(point, baseline.judged_result, draft.judged_result,
                              draft.judged, resamples, 0, objective, progress)

    return jobs.start(key, f"Checking whether the change is real ({resamples:,} paired "
                           "bootstrap resamples)", work, heavy=True)


def comparison(baseline: Evaluation, draft: Evaluation, resamples: int = 0,
               objective: str = "ranking") -> Comparison:
    """Draft vs baseline on the judged decisions; ``resamples=0``: point estimates only
    (fast), else with paired bootstrap CIs and the verdict (waits for
    :func:`bootstrap_job`). Cached for every session."""
    if not resamples:
        return point_comparison(baseline, draft, objective)
    return bootstrap_job(baseline, draft, resamples, objective).value()


@dataclass(frozen=True)
class PreparedExport:
    """What :func:`bundle_job` prepares: the evidence and the report's bytes, built with
    the draft's name, author and notes as they were (``details``)."""

    bundle: EvidenceBundle
    report: bytes
    details: tuple[str, str | None, str | None]

    def report_for(self, config: Config) -> bytes:
        """The HTML report for ``config`` (this evidence's config with, maybe, other name,
        author or notes): the prepared bytes when its details are unchanged, else built
        now (laying out the HTML only: the evidence and charts' library are ready)."""
        if _details(config) == self.details:
            return self.report
        return report_html(dataclasses.replace(self.bundle, config=config)).encode()


def _details(config: Config) -> tuple[str, str | None, str | None]:
    return config.name, config.author, config.notes


def bundle_job(ws: Workspace, baseline: Evaluation, draft: Evaluation,
               resamples: int = BOOTSTRAP_RESAMPLES, objective: str = "ranking") -> Job:
    """The evidence an export carries (validation with bootstrap CIs, the checked
    comparison with the baseline; the team's reference tags counted) and the HTML report
    built from it, prepared in the background (its value: :class:`PreparedExport`) so a
    download click only hands over bytes; shared by every session. It waits for
    :func:`bootstrap_job`'s verdict (what the page shows first). The job is keyed by what
    changes a number, not by the draft's name, author or notes: the report is built with
    those as they were when the job started (:meth:`PreparedExport.report_for`)."""
    tags = reference_tags.tags(ws, draft.table)
    check = bootstrap_job(baseline, draft, resamples, objective)
    horizon = ws.horizon_days
    named = ws.draft

    def work(progress: Callable[[float], None]) -> PreparedExport:
        from ui import export_evidence  # imports this module

        # everything that does not need the verdict first, while the bootstrap runs: the
        # scored CSV, the report's chart library (once per process) and validate()'s
        # evidence of both configs from the cached parts (judged rows, look-back and drop
        # windows: never every snapshot); after the verdict only the report's layout is left
        latest_scored_csv(draft)
        warm_report()
        progress(0.2)
        evidence = export_evidence.validation(draft, resamples=resamples)
        progress(0.6)
        base_evidence = export_evidence.validation(baseline, **export_evidence.BASELINE)
        progress(0.7)
        checked = check.value()
        bundle = assemble(with_tags(draft.table, tags), named, evidence, horizon,
                          draft.judged, judged_result=draft.judged_result,
                          baseline=baseline.config, baseline_evidence=base_evidence,
                          comparison=checked, objective=objective)
        progress(0.9)
        return PreparedExport(bundle, report_html(bundle).encode(), _details(named))

    key = ("export-bundle", draft.file_key, baseline.config.cache_key(),
           draft.config.cache_key(), horizon, resamples, objective, tags_key(tags))
    return jobs.start(key, "Preparing the report and the exported evidence", work, keep=2,
                      heavy=True)


def export_bundle(ws: Workspace, baseline: Evaluation, draft: Evaluation,
                  resamples: int = BOOTSTRAP_RESAMPLES,
                  objective: str = "ranking") -> EvidenceBundle:
    """:func:`bundle_job`'s evidence (waits for it), with the draft's current details."""
    prepared = bundle_job(ws, baseline, draft, resamples, objective).value()
    return dataclasses.replace(prepared.bundle, config=ws.draft)


CSV_CHUNK_ROWS = 200_000


@st.cache_resource(max_entries=4, show_spinner=False)
def _latest_csv(file_key: str, config_key: str, _evaluation: Evaluation) -> bytes:
    latest, _ = _latest_rows(_evaluation)
    result = _latest(_evaluation, explain=True)
    return csv_bytes(scored_table(_evaluation.table, _evaluation.config, result, rows=latest,
                                  aligned=True))


def latest_scored_csv(evaluation: Evaluation) -> bytes:
    """The primary scored-accounts CSV: one row per account, its latest snapshot (score,
    band, guardrail, points per factor, sub-scores), scored from the latest rows' factor
    points cached per scoring rules (the comparison's), never every snapshot. Cached per
    config for all sessions."""
    return _latest_csv(evaluation.file_key, evaluation.config.cache_key(), evaluation)


def scored_csv(evaluation: Evaluation,
               progress: Callable[[float], None] | None = None) -> bytes:
    """The scored-accounts CSV of every snapshot row (score, band, points per factor,
    sub-scores), scored and written in chunks so the contributions of 1.8M rows are never
    all in memory (:func:`ui.state.explain_rows`: a chunk's numbers are the every-row ones).
    ``progress`` is called with the share of rows done."""
    table, config = evaluation.table, evaluation.config
    # the columns of the whole file, whichever rows a chunk holds
    renewal_column = not np.isnat(np.asarray(table.renewal_date, dtype="datetime64[ns]")).all()
    parts = []
    for start in range(0, len(table), CSV_CHUNK_ROWS):
        rows = np.arange(start, min(len(table), start + CSV_CHUNK_ROWS))
        result = explain_rows(evaluation, rows)[1]
        frame = scored_table(table, config, result, rows=rows, aligned=True,
                             renewal_column=renewal_column)
        parts.append(csv_bytes(frame, header=start == 0))
        if progress is not None:
            progress(rows[-1] / len(table))
    return b"".join(parts) if parts else csv_bytes(scored_table(
        table, config, evaluation.result))


def scored_csv_job(evaluation: Evaluation) -> Job:
    """:func:`scored_csv` (every snapshot) as a background job shared by every session,
    keyed by data and config; the newest one is kept (the file is hundreds of MB at 1.8M
    rows)."""
    key = ("export-scored-csv", evaluation.file_key, evaluation.config.cache_key())
    return jobs.start(key, f"Scoring and writing every snapshot ({len(evaluation.table):,} "
                           "rows)", lambda progress: scored_csv(evaluation, progress), keep=1,
                      heavy=True)
