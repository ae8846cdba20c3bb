"""The Renewals page's evidence, in parts that render as they are ready.

:func:`calibration.validation.validate` computes everything at once: every segment, the
logistic fit, the factor table, lead time over every snapshot, and the bootstrap. The page
shows one selection (all accounts or one segment) and its first numbers need none of the slow
parts, so here each part is computed on its own, for the shown selection only, from what
:func:`ui.state.evaluate` already cached (the judged rows' scores):

- ``fast``: the outcome cards, AUC, KS, correlations, ROC and calibration (milliseconds);
- ``logit``: the logistic fit (cached per config);
- ``factors``: the factor table (cached per scoring rules: weights and bands do not change
  it);
- lead time: scores only the snapshots inside the churned decisions' look-back windows
  (:func:`calibration.validation.lead_time_plan`, cached per data);
- ``checked``: the bootstrap intervals.

The four slow parts run as background jobs (:func:`slow_parts`, :mod:`ui.jobs`), shared by
every session: the page draws its first numbers and charts at once, shows each slow part
when its job is done and a progress bar until then.

Every number is the one :func:`~calibration.validation.validate` reports for the selection
(same inputs, same functions, the team's reference tags counted as in
:func:`calibration.reference_tags.with_tags`); every part is cached for all sessions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from calibration import early_warning, metrics
from calibration.accounts import AccountTable
from calibration.evidence_words import ALL_ACCOUNTS
from calibration.validation import lead_time_plan, segment_labels
from ui import jobs, state
from ui.evidence import BOOTSTRAP_RESAMPLES, LOOKBACK_DAYS
from ui.jobs import Job
from ui.state import Evaluation

NO_HISTORY = {"reason": "single-snapshot data: no history, so no early-warning lead time"}
PARTS = {  # part -> (include_logit, include_factors, bootstrap resamples)
    "fast": (False, False, 0),
    "logit": (True, False, 0),
    "factors": (False, True, 0),
    "checked": (False, False, BOOTSTRAP_RESAMPLES),
}


@st.cache_resource(max_entries=6, show_spinner=False)
def _judged_labels(file_key: str, roles_json: str, horizon: int, _table: AccountTable,
                   _rows: np.ndarray) -> np.ndarray | None:
    return segment_labels(_table, _rows)


def judged_labels(evaluation: Evaluation) -> np.ndarray | None:
    """The segment label of each judged decision's row (None: the data has no segments)."""
    return _judged_labels(evaluation.file_key, evaluation.config.columns.model_dump_json(),
                          evaluation.judged.horizon_days or 0, evaluation.table,
                          evaluation.rows)


def segment_names(evaluation: Evaluation) -> list[str]:
    """The segments with judged decisions, sorted (empty: no segment column)."""
    labels = judged_labels(evaluation)
    return [] if labels is None else sorted(str(name) for name in set(labels.tolist()))


def _mask(evaluation: Evaluation, choice: str) -> np.ndarray | slice:
    if choice == ALL_ACCOUNTS:
        return slice(None)
    labels = judged_labels(evaluation)
    if labels is None or choice not in set(labels.tolist()):
        raise KeyError(f"no evidence for segment {choice!r}")
    return labels == choice


@st.cache_resource(max_entries=32, show_spinner=False)
def _selection_metrics(file_key: str, config_key: str, horizon: int, choice: str, part: str,
                       _evaluation: Evaluation) -> dict[str, Any]:
    logit, factors, resamples = PARTS[part]
    mask = _mask(_evaluation, choice)
    judged, result = _evaluation.judged, _evaluation.judged_result
    config = _evaluation.config
    return metrics.evaluate(
        result.score[mask], judged.churned[mask], result.band[mask], arr=judged.arr[mask],
        ids=judged.account_id[mask], reference=_evaluation.reference[mask],
        factor_scores=_evaluation.judged_matrix.points[mask] if factors else None,
        factor_names=config.factor_names if factors else None,
        bootstrap_resamples=resamples, seed=0, include_logit=logit, include_factors=factors)


def _metrics(evaluation: Evaluation, choice: str, part: str) -> dict[str, Any]:
    config = evaluation.config
    # the factor table depends on the factor points only: a weight or band change reuses it
    key = (f"rules:{config.rules_fingerprint()}" if part == "factors"
           else f"config:{config.cache_key()}:tags:{evaluation.tags_fingerprint}")
    return _selection_metrics(evaluation.file_key, key, evaluation.judged.horizon_days or 0,
                              choice, part, evaluation)


def selection_metrics(evaluation: Evaluation, choice: str, *, checked: bool = False
                      ) -> dict[str, Any]:
    """:func:`calibration.metrics.evaluate` on the judged decisions of ``choice`` (all
    accounts or one segment) as :func:`~calibration.validation.validate` computes them:
    without the logistic fit and the factor table, and with the bootstrap intervals only
    when ``checked``. Cached for all sessions: treat the result as read-only."""
    return _metrics(evaluation, choice, "checked" if checked else "fast")


def logit(evaluation: Evaluation, choice: str) -> dict[str, Any]:
    """The logistic fit of churn on the score for ``choice`` (cached per config)."""
    return _metrics(evaluation, choice, "logit")["logit"]


def factor_signal(evaluation: Evaluation, choice: str) -> dict[str, Any]:
    """The factor table (each factor's own signal) for ``choice``, cached per scoring rules
    (weights and bands do not change it)."""
    return _metrics(evaluation, choice, "factors")["factors"]


@st.cache_resource(max_entries=6, show_spinner=False)
def _lead_plan(file_key: str, roles_json: str, choice: str, lookback: int,
               _table: AccountTable) -> tuple[early_warning.LeadTimePlan, np.ndarray]:
    return lead_time_plan(_table, lookback, None if choice == ALL_ACCOUNTS else choice)


@st.cache_resource(max_entries=16, show_spinner=False)
def _lead_time(file_key: str, config_key: str, horizon: int, choice: str, lookback: int,
               _evaluation: Evaluation) -> dict[str, Any]:
    table, config = _evaluation.table, _evaluation.config
    if _evaluation.judged.cross_sectional:
        return dict(NO_HISTORY)
    plan, rows = _lead_plan(file_key, config.columns.model_dump_json(), choice, lookback,
                            table)
    band = state.scores_of_rows(_evaluation, rows)[1]  # the columns the config reads only
    lead = early_warning.lead_time_from_bands(plan, band)
    if choice == ALL_ACCOUNTS:
        lead["red_at_judge_date"] = early_warning.red_at_judge_date(
            _evaluation.judged_result.band, _evaluation.churned)
    return lead


def lead_time(evaluation: Evaluation, choice: str) -> dict[str, Any]:
    """The early-warning lead time of ``choice`` (all accounts or one segment), as
    :func:`~calibration.validation.validate` reports it, scoring only the snapshots in the
    churned decisions' look-back windows. Cached for all sessions: treat as read-only."""
    return _lead_time(evaluation.file_key, evaluation.config.cache_key(),
                      evaluation.judged.horizon_days or 0, choice, LOOKBACK_DAYS, evaluation)


SLOW_PARTS = {  # part -> what its progress bar says while it runs
    "logit": "Fitting the logistic regression",
    "factors": "Measuring each factor's signal",
    "lead": "Measuring how early churned accounts turned red",
    "checked": f"Likely ranges: {BOOTSTRAP_RESAMPLES:,} bootstrap resamples",
}


def _part(evaluation: Evaluation, choice: str, part: str) -> Any:
    if part == "logit":
        return logit(evaluation, choice)
    if part == "factors":
        return factor_signal(evaluation, choice)
    if part == "lead":
        return lead_time(evaluation, choice)
    return selection_metrics(evaluation, choice, checked=True)


def slow_parts(evaluation: Evaluation, choice: str) -> dict[str, Job]:
    """The logistic fit, factor table, lead time and bootstrap intervals of ``choice`` as
    background jobs (started now unless already running or done), each computing the
    cached function of its part (:func:`logit`, :func:`factor_signal`, :func:`lead_time`,
    ``selection_metrics(..., checked=True)``): the same values, shared by every session."""
    config = evaluation.config
    base = (evaluation.file_key, evaluation.judged.horizon_days or 0, choice)
    keys = {"logit": f"config:{config.cache_key()}:tags:{evaluation.tags_fingerprint}",
            "factors": f"rules:{config.rules_fingerprint()}",
            "lead": f"config:{config.cache_key()}",
            "checked": f"config:{config.cache_key()}:tags:{evaluation.tags_fingerprint}"}
    # the lead time reads the look-back windows' snapshots (its plan: every snapshot, once
    # per data): one memory-heavy job at a time (jobs.HEAVY_AT_ONCE)
    return {part: jobs.start((f"renewals-{part}", *base, keys[part]), label,
                             lambda _progress, part=part: _part(evaluation, choice, part),
                             heavy=part == "lead")
            for part, label in SLOW_PARTS.items()}
