"""Cached heavy evidence (comparison, export bundle, scored CSV) for the pages; the Renewals
page's validation is computed in parts by :mod:`ui.renewal_evidence`.

Keyed by config fingerprint + data file + horizon, with bounded caches (``max_entries``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from calibration import history
from calibration.accounts import AccountTable
from calibration.compare import Comparison, compare_rows, with_bootstrap
from calibration.config import Config
from calibration.evidence import EvidenceBundle, gather, warm_report
from calibration.export import csv_bytes, neutralise_formulas
from calibration.reference_tags import tags_key, with_tags
from calibration.scored import scored_table
from calibration.scoring import (
    FactorMatrix,
    GuardrailHits,
    Scored,
    ScoreResult,
    assign_segments,
    combine,
    factor_points,
    guardrail_hits,
)
from ui import jobs, reference_tags
from ui.jobs import Job
from ui.state import Evaluation, Workspace, explain_rows

BOOTSTRAP_RESAMPLES = 1000
LOOKBACK_DAYS = 365


# --------------------------------------------------------------------------- export
def scored(evaluation: Evaluation) -> Scored:
    """Every row of the table scored with the evaluation's config (cached per config)."""
    return Scored(evaluation.matrix, evaluation.segments, evaluation.hits, evaluation.result)


@st.cache_resource(max_entries=4, show_spinner=False)
def _latest_rows(file_key: str, _table: AccountTable) -> tuple[np.ndarray, pd.DataFrame]:
    latest = history.latest_rows(_table.canonical())
    return latest, _table.frame.iloc[latest]


@st.cache_resource(max_entries=8, show_spinner=False)
def _latest_points(file_key: str, roles_json: str, rules_key: str, _table: AccountTable,
                   _config: Config) -> tuple[FactorMatrix, np.ndarray, GuardrailHits]:
    _, frame = _latest_rows(file_key, _table)
    segments = assign_segments(frame, _config)
    return (factor_points(frame, _config, segments), segments,
            guardrail_hits(frame, _config))


def _latest(evaluation: Evaluation, positions: np.ndarray | None = None,
            explain: bool = False) -> ScoreResult:
    """The config's scores on each account's latest row (or on ``positions`` of them),
    from factor points cached per scoring rules: the latest rows only, never every
    snapshot."""
    config = evaluation.config
    matrix, segments, hits = _latest_points(evaluation.file_key,
                                            config.columns.model_dump_json(),
                                            config.rules_fingerprint(), evaluation.table,
                                            config)
    if positions is not None:
        matrix = FactorMatrix(matrix.points[positions], matrix.names)
        segments = segments[positions]
        hits = GuardrailHits(hits.cap[positions], hits.rule[positions], hits.names)
    return combine(matrix, config, segments, hits, explain=explain)


@st.cache_resource(max_entries=8, show_spinner="Comparing the draft with the baseline...")
def _point_comparison(file_key: str, baseline_key: str, draft_key: str, horizon: int,
                      objective: str, _baseline: Evaluation, _draft: Evaluation
                      ) -> Comparison:
    latest, _ = _latest_rows(file_key, _draft.table)

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


def bootstrap_job(baseline: Evaluation, draft: Evaluation,
                  resamples: int = BOOTSTRAP_RESAMPLES, objective: str = "ranking") -> Job:
    """The paired bootstrap behind the verdict and the CIs, as a background job shared by
    every session (:mod:`ui.jobs`); its value is the checked :class:`Comparison`."""
    point = point_comparison(baseline, draft, objective)
    key = ("export-bootstrap", draft.file_key, baseline.config.cache_key(),
           draft.config.cache_key(), draft.judged.horizon_days or 0, resamples, objective)
    return jobs.start(key, f"Checking whether the change is real ({resamples:,} paired "
                           "bootstrap resamples)",
                      lambda progress: with_bootstrap(
                          point, baseline.judged_result, draft.judged_result, draft.judged,
                          resamples, 0, objective, progress))


def comparison(baseline: Evaluation, draft: Evaluation, resamples: int = 0,
               objective: str = "ranking") -> Comparison:
    """Draft vs baseline on the judged decisions; ``resamples=0``: point estimates only
    (fast), else with paired bootstrap CIs and the verdict (waits for
    :func:`bootstrap_job`). Cached for every session."""
    if not resamples:
        return point_comparison(baseline, draft, objective)
    return bootstrap_job(baseline, draft, resamples, objective).value()


def bundle_job(ws: Workspace, baseline: Evaluation, draft: Evaluation,
               resamples: int = BOOTSTRAP_RESAMPLES, objective: str = "ranking") -> Job:
    """The evidence an export carries (validation with bootstrap CIs on every snapshot, the
    checked comparison with the baseline; the team's reference tags counted), prepared in
    the background once the bootstrap is done; shared by every session."""
    tags = reference_tags.tags(ws, draft.table)
    check = bootstrap_job(baseline, draft, resamples, objective)
    horizon = ws.horizon_days

    def work(progress: Callable[[float], None]) -> EvidenceBundle:
        checked = check.value()  # the verdict first: it is what the page waits for
        bundle = gather(with_tags(draft.table, tags), draft.config, baseline.config,
                        horizon_days=horizon, bootstrap_resamples=resamples,
                        objective=objective, scored=scored(draft),
                        baseline_scored=scored(baseline), comparison=checked,
                        judged=draft.judged)
        warm_report()  # the report's chart library, so a click only lays out the HTML
        return bundle

    key = ("export-bundle", draft.file_key, baseline.config.cache_key(),
           draft.config.cache_key(), horizon, resamples, objective, tags_key(tags))
    return jobs.start(key, "Preparing the report and the exported evidence", work, keep=2)


def export_bundle(ws: Workspace, baseline: Evaluation, draft: Evaluation,
                  resamples: int = BOOTSTRAP_RESAMPLES,
                  objective: str = "ranking") -> EvidenceBundle:
    """:func:`bundle_job`'s bundle (waits for it)."""
    return bundle_job(ws, baseline, draft, resamples, objective).value()


CSV_CHUNK_ROWS = 200_000


def scored_csv(evaluation: Evaluation) -> bytes:
    """The scored-accounts CSV of every row (score, band, points per factor, sub-scores),
    built in chunks so the contributions of 1.8M rows are never all in memory."""
    table, config = evaluation.table, evaluation.config
    parts, columns = [], None
    for start in range(0, len(table), CSV_CHUNK_ROWS):
        rows = np.arange(start, min(len(table), start + CSV_CHUNK_ROWS))
        result = explain_rows(evaluation, rows)[1]
        frame = scored_table(table, config, result, rows=rows, aligned=True)
        columns = frame.columns if columns is None else columns
        frame = neutralise_formulas(frame.reindex(columns=columns))  # same columns per chunk
        parts.append(frame.to_csv(index=False, header=start == 0).encode("utf-8"))
    return b"".join(parts) if parts else csv_bytes(scored_table(
        table, config, evaluation.result))
