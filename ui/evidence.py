"""Cached heavy evidence (comparison, export bundle, scored CSV) for the pages; the Renewals
page's validation is computed in parts by :mod:`ui.renewal_evidence`.

Keyed by config fingerprint + data file + horizon, with bounded caches (``max_entries``).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from calibration import history
from calibration.accounts import AccountTable
from calibration.compare import Comparison, compare_scored
from calibration.evidence import EvidenceBundle, gather
from calibration.export import csv_bytes, neutralise_formulas
from calibration.reference_tags import tags_key, with_tags
from calibration.scored import scored_table
from calibration.scoring import Scored
from ui import reference_tags
from ui.state import Evaluation, Workspace, explain_rows

BOOTSTRAP_RESAMPLES = 1000
LOOKBACK_DAYS = 365


# --------------------------------------------------------------------------- export
def scored(evaluation: Evaluation) -> Scored:
    """Every row of the table scored with the evaluation's config (cached per config)."""
    return Scored(evaluation.matrix, evaluation.segments, evaluation.hits, evaluation.result)


@st.cache_resource(max_entries=4, show_spinner=False)
def _latest_rows(file_key: str, _table: AccountTable):
    return history.latest_rows(_table.canonical())


@st.cache_resource(max_entries=4, show_spinner="Comparing the draft with the baseline...")
def _comparison(file_key: str, baseline_key: str, draft_key: str, horizon: int,
                resamples: int, objective: str, _baseline: Evaluation,
                _draft: Evaluation) -> Comparison:
    table = _draft.table

    def explained(rows):
        return explain_rows(_baseline, rows)[1], explain_rows(_draft, rows)[1]

    return compare_scored(table, _baseline.config, _draft.config, _baseline.result,
                          _draft.result, _draft.judged, resamples, seed=0,
                          objective=objective, latest=_latest_rows(file_key, table),
                          explain_rows=explained)


def comparison(baseline: Evaluation, draft: Evaluation, resamples: int = 0,
               objective: str = "ranking") -> Comparison:
    """Draft vs baseline on the judged decisions; ``resamples=0``: point estimates only
    (fast), else with paired bootstrap CIs and the verdict. Cached for every session."""
    return _comparison(draft.file_key, baseline.config.cache_key(), draft.config.cache_key(),
                       draft.judged.horizon_days or 0, resamples, objective, baseline, draft)


@st.cache_resource(max_entries=4, show_spinner=False)
def _bundle(file_key: str, baseline_key: str, draft_key: str, horizon: int, resamples: int,
            objective: str, tags_fingerprint: str, _baseline: Evaluation, _draft: Evaluation,
            _tags: dict[str, str]) -> EvidenceBundle:
    return gather(with_tags(_draft.table, _tags), _draft.config, _baseline.config,
                  horizon_days=horizon, bootstrap_resamples=resamples, objective=objective,
                  scored=scored(_draft),
                  baseline_scored=scored(_baseline),
                  comparison=comparison(_baseline, _draft, resamples, objective),
                  judged=_draft.judged)


def export_bundle(ws: Workspace, baseline: Evaluation, draft: Evaluation,
                  resamples: int = BOOTSTRAP_RESAMPLES,
                  objective: str = "ranking") -> EvidenceBundle:
    """The evidence an export carries (validation with bootstrap CIs, comparison with the
    baseline; the team's reference tags counted), built from the cached scoring; cached for
    every session."""
    tags = reference_tags.tags(ws, draft.table)
    return _bundle(draft.file_key, baseline.config.cache_key(), draft.config.cache_key(),
                   ws.horizon_days, resamples, objective, tags_key(tags), baseline, draft, tags)


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
