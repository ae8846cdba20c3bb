"""The export's validation evidence from the parts the other pages already cache.

:func:`calibration.validation.validate` scores every snapshot (1.8M rows at 100k accounts)
to read the judged rows, the lead-time windows and the score-drop windows. Here each part
comes from the app's caches, shared with Calibrate and Renewals and by every session:

- the judged rows' scores and factor points (:func:`ui.state.evaluate`: Calibrate's);
- per selection (all accounts, each segment) the metrics, the logistic fit, the factor
  table and the bootstrap intervals (:mod:`ui.renewal_evidence`: the Renewals page's);
- the lead time from the snapshots in the churned decisions' look-back windows
  (:func:`ui.renewal_evidence.lead_time`);
- the score drops from the rows of a drop plan (:mod:`calibration.drops`), scored alone.

The result equals ``validate``'s for the same config, data, tags and options (tested), so
an exported config or report carries the same evidence whether the app or the CLI made it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from calibration import metrics
from calibration.accounts import AccountTable
from calibration.decisions import Decisions
from calibration.drops import DropPlan, drop_plan, drop_signal_from_scores
from calibration.evidence_words import ALL_ACCOUNTS
from ui import renewal_evidence, state
from ui.evidence import BOOTSTRAP_RESAMPLES
from ui.state import Evaluation

BASELINE = {"resamples": 0, "by_segment": False, "include_factors": False}
"""The baseline's options in an export (:data:`calibration.evidence.BASELINE_OPTIONS`)."""


@st.cache_resource(max_entries=4, show_spinner=False)
def _drop_plan(file_key: str, roles_json: str, horizon: int, _table: AccountTable,
               _judged: Decisions) -> DropPlan:
    return drop_plan(_table, _judged)


@st.cache_resource(max_entries=8, show_spinner=False)
def _drop_signal(file_key: str, config_key: str, horizon: int,
                 _evaluation: Evaluation) -> dict[str, Any]:
    config = _evaluation.config
    plan = _drop_plan(file_key, config.columns.model_dump_json(), horizon,
                      _evaluation.table, _evaluation.judged)
    if plan.reason is not None:
        return drop_signal_from_scores(plan, lambda rows: np.empty(0))
    # the plan's rows of the columns the config reads (state.score_rows): not every column
    # of a fifth of the snapshots kept per data (~80 MB at 1.8M rows)
    planned = state.scores_of_rows(_evaluation, plan.rows)[0]

    def score_of(rows: np.ndarray) -> np.ndarray:
        if rows.size and np.array_equal(rows, plan.rows):
            return planned
        return state.scores_of_rows(_evaluation, rows)[0]  # rare: older snapshots

    return drop_signal_from_scores(plan, score_of)


def drop_signal(evaluation: Evaluation) -> dict[str, Any]:
    """:func:`calibration.validation.drop_signal` (defaults) of the evaluated config, from
    the drop plan's rows only (cached per config for all sessions; read-only)."""
    return _drop_signal(evaluation.file_key, evaluation.config.cache_key(),
                        evaluation.judged.horizon_days or 0, evaluation)


@st.cache_resource(max_entries=16, show_spinner=False)
def _bootstrap(file_key: str, config_key: str, horizon: int, choice: str, resamples: int,
               _evaluation: Evaluation) -> dict[str, Any]:
    labels = renewal_evidence.judged_labels(_evaluation)
    mask = slice(None) if choice == ALL_ACCOUNTS else labels == choice
    result, judged = _evaluation.judged_result, _evaluation.judged
    return metrics.evaluate(result.score[mask], judged.churned[mask], result.band[mask],
                            include_logit=False, include_factors=False,
                            bootstrap_resamples=resamples, seed=0)


def _selection(evaluation: Evaluation, choice: str, resamples: int, logit: bool,
               factors: bool) -> dict[str, Any]:
    """``metrics.evaluate`` of one selection as ``validate`` calls it, from the parts."""
    out = dict(renewal_evidence.selection_metrics(evaluation, choice))
    if logit:
        out["logit"] = renewal_evidence.logit(evaluation, choice)
    if factors:
        out["factors"] = renewal_evidence.factor_signal(evaluation, choice)
    if resamples:
        checked = (renewal_evidence.selection_metrics(evaluation, choice, checked=True)
                   if resamples == BOOTSTRAP_RESAMPLES else
                   _bootstrap(evaluation.file_key, evaluation.config.cache_key(),
                              evaluation.judged.horizon_days or 0, choice, resamples,
                              evaluation))
        out["bootstrap"] = checked["bootstrap"]
        out["auc_ci"] = checked["auc_ci"]
    return out


def validation(evaluation: Evaluation, *, resamples: int = 0, by_segment: bool = True,
               include_logit: bool = True, include_factors: bool = True) -> dict[str, Any]:
    """``validate(table, config, scored, bootstrap_resamples=resamples, seed=0, ...)`` of
    the evaluated config on the workspace's data (its reference tags counted), without
    scoring every snapshot. A new dict and new dicts per segment; what they hold is shared
    with the pages' caches (read-only: copy before changing it)."""
    judged = evaluation.judged
    evidence = _selection(evaluation, ALL_ACCOUNTS, resamples, include_logit,
                          include_factors)
    evidence["sample"] = judged.summary()
    evidence["horizon_days"] = judged.horizon_days
    evidence["cross_sectional"] = judged.cross_sectional
    evidence["config_hash"] = evaluation.config.fingerprint()
    evidence["alarms"] = state.config_alarms(evaluation)
    evidence["lead_time_days"] = renewal_evidence.lead_time(evaluation, ALL_ACCOUNTS)
    evidence["score_drops"] = drop_signal(evaluation)
    if by_segment:
        evidence["segments"] = {
            name: {**_selection(evaluation, name, resamples, include_logit, include_factors),
                   "lead_time_days": renewal_evidence.lead_time(evaluation, name)}
            for name in renewal_evidence.segment_names(evaluation)}
    return evidence
