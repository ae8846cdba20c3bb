"""Validation of a scored table: judge each renewal decision point-in-time, then measure.

Glue between :mod:`calibration.decisions` (which decisions, judged on which snapshot) and
:mod:`calibration.metrics` (how well the score separates churned from renewed), overall and
per segment. Outcomes, renewal dates and ARR always come from the decisions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from calibration import alarms, drops, early_warning, history, metrics
from calibration import decisions as decisions_module
from calibration.accounts import AccountTable
from calibration.config import Config
from calibration.decisions import DEFAULT_HORIZON_DAYS, Decisions
from calibration.scoring import Scored, ScoreResult

__all__ = ["DEFAULT_HORIZON_DAYS", "by_config_segment", "drop_signal", "falling_accounts",
           "judged_rows", "lead_time_by_segment", "lead_time_plan", "segment_config_metrics",
           "segment_labels", "validate"]


def judged_rows(table: AccountTable, horizon_days: int = DEFAULT_HORIZON_DAYS) -> Decisions:
    """The renewal decisions validation judges, each on the account's snapshot
    ``horizon_days`` before its renewal (see :func:`calibration.decisions.for_table`)."""
    return decisions_module.for_table(table, horizon_days)


def segment_labels(table: AccountTable, rows: np.ndarray | None = None) -> np.ndarray | None:
    """The segment column's values as text (None when the data has no segment role), of
    every row or of the row positions ``rows``."""
    column = table.roles.segment
    if not column or column not in table.frame.columns:
        return None
    values = table.frame[column]
    if rows is not None:
        values = values.iloc[rows]
    return values.astype("string").fillna("(blank)").to_numpy(dtype=object)


def segment_positions(table: AccountTable, segment: str) -> np.ndarray:
    """Positions of the rows whose :func:`segment_labels` value is ``segment`` (none when
    the data has no segment role), compared as text column-wise: no Python string per row
    (~130 MB at 1.8M rows)."""
    column = table.roles.segment
    if not column or column not in table.frame.columns:
        return np.empty(0, dtype=np.int64)
    text = table.frame[column].astype("string").fillna("(blank)")
    return np.flatnonzero((text == segment).to_numpy(dtype=bool))


def validate(
    table: AccountTable,
    config: Config,
    scored: Scored,
    *,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    bootstrap_resamples: int = 0,
    seed: int = 0,
    by_segment: bool = True,
    include_logit: bool = True,
    include_factors: bool = True,
    p_values: bool = True,
    lookback_days: int = 365,
    judged: Decisions | None = None,
) -> dict[str, Any]:
    """All validation evidence for one scored table as a JSON-able dict (``judged``: the
    table's decisions at ``horizon_days`` when already known, else derived here;
    ``include_logit``, ``include_factors``, ``p_values``: see
    :func:`calibration.metrics.evaluate`)."""
    result = scored.result
    judged = judged_rows(table, horizon_days) if judged is None else judged
    rows = judged.rows
    everything = np.ones(judged.n_judged, dtype=bool)
    evidence = _evaluate(table, config, scored, judged, everything, bootstrap_resamples, seed,
                         include_logit, include_factors, p_values)
    evidence["sample"] = judged.summary()
    evidence["horizon_days"] = judged.horizon_days
    evidence["cross_sectional"] = judged.cross_sectional
    evidence["config_hash"] = config.fingerprint()
    evidence["alarms"] = alarms.config_alarms(table, config, judged)
    labels = segment_labels(table) if by_segment else None
    no_history = {"reason": "single-snapshot data: no history, so no early-warning lead time"}
    segment_lead: dict[str, dict[str, Any]] = {}
    if judged.cross_sectional:
        evidence["lead_time_days"] = no_history
    else:
        over_time = table.canonical().assign(score=result.score, band=result.band)
        evidence["lead_time_days"] = early_warning.lead_time(over_time, lookback_days,
                                                             table.renewals)
        evidence["lead_time_days"]["red_at_judge_date"] = early_warning.red_at_judge_date(
            result.band[rows], judged.churned)
        segment_lead = lead_time_by_segment(over_time, labels, lookback_days, table.renewals)
    evidence["score_drops"] = drop_signal(table, result, judged)
    if by_segment:
        evidence["segments"] = {} if labels is None else {
            str(name): _evaluate(table, config, scored, judged, labels[rows] == name,
                                 bootstrap_resamples, seed, include_logit, include_factors,
                                 p_values)
            for name in sorted(set(labels[rows]))
        }
        for name, segment in evidence["segments"].items():
            segment["lead_time_days"] = segment_lead.get(name, no_history)
    return evidence


def lead_time_by_segment(scored_history: pd.DataFrame, labels: np.ndarray | None,
                         lookback_days: int, renewals: pd.DataFrame | None = None
                         ) -> dict[str, dict[str, Any]]:
    """:func:`calibration.early_warning.lead_time` per segment label (rows with that label).

    ``scored_history`` is ``AccountTable.canonical()`` with ``score`` and ``band`` columns;
    ``labels`` the segment label per row (None: no segments, empty result); ``renewals``
    the table's renewals table, if any (restricted to each segment's accounts).
    """
    if labels is None:
        return {}
    out = {}
    for name in sorted(set(labels.tolist())):
        rows = scored_history.loc[labels == name]
        mine = None if renewals is None else renewals[
            renewals["account_id"].isin(set(rows["account_id"]))]
        out[str(name)] = early_warning.lead_time(rows, lookback_days, mine)
    return out


def lead_time_plan(table: AccountTable, lookback_days: int,
                   segment: str | None = None) -> tuple[early_warning.LeadTimePlan, np.ndarray]:
    """The score-independent part of the lead time :func:`validate` reports, for every
    account (``segment`` None) or one segment label's rows, and the table row positions of
    the plan's ``rows``: score those rows and call
    :func:`calibration.early_warning.lead_time_from_bands` for the same result as
    :func:`validate`'s ``lead_time_days`` (overall or per segment)."""
    frame = table.canonical()
    if segment is None:
        plan = early_warning.lead_time_plan(frame, lookback_days, table.renewals)
        return plan, plan.rows
    positions = segment_positions(table, segment)
    rows = frame.iloc[positions]
    renewals = table.renewals
    mine = None if renewals is None else renewals[
        renewals["account_id"].isin(set(rows["account_id"]))]
    plan = early_warning.lead_time_plan(rows, lookback_days, mine)
    return plan, positions[plan.rows]


def _evaluate(table: AccountTable, config: Config, scored: Scored, judged: Decisions,
              mask: np.ndarray, bootstrap_resamples: int, seed: int, include_logit: bool,
              include_factors: bool, p_values: bool = True) -> dict[str, Any]:
    result = scored.result
    rows = judged.rows[mask]
    return metrics.evaluate(
        result.score[rows], judged.churned[mask], result.band[rows],
        arr=judged.arr[mask], ids=judged.account_id[mask], reference=table.reference[rows],
        factor_scores=scored.matrix.points[rows] if include_factors else None,
        factor_names=config.factor_names if include_factors else None,
        bootstrap_resamples=bootstrap_resamples, seed=seed, include_logit=include_logit,
        include_factors=include_factors, p_values=p_values,
    )


def by_config_segment(table: AccountTable, config: Config, scored: Scored,
                      horizon_days: int = DEFAULT_HORIZON_DAYS) -> list[dict[str, Any]]:
    """Fast metrics for the accounts each segment config (and the default) scores."""
    judged = judged_rows(table, horizon_days)
    rows = judged.rows
    result = scored.result
    return segment_config_metrics(config, judged, result.score[rows], result.band[rows],
                                  result.segment[rows])


def segment_config_metrics(config: Config, judged: Decisions, score: np.ndarray,
                           band: np.ndarray, segment: np.ndarray) -> list[dict[str, Any]]:
    """:func:`by_config_segment` from the judged decisions and their rows' ``score``,
    ``band`` and segment config index (one entry per decision, e.g. the app's cached
    judged-row scores)."""
    names = [*(s.name for s in config.segments), "Default"]
    out = []
    for code, name in zip([*range(len(config.segments)), -1], names, strict=True):
        mask = segment == code
        evidence = metrics.evaluate(
            score[mask], judged.churned[mask], band[mask],
            arr=judged.arr[mask], ids=judged.account_id[mask], include_logit=False,
            include_factors=False)
        out.append({"segment": name, "code": code, "metrics": evidence})
    return out


def drop_signal(table: AccountTable, result: ScoreResult, judged: Decisions,
                min_drop: float = 15, within_days: int = 90) -> dict[str, Any]:
    """Does a sharp fall in score warn of churn? Point in time, never peeking ahead.

    A judged decision "had a drop" when its account's score fell by at least ``min_drop``
    points during the ``within_days`` days up to and including its judge date (renewal date -
    horizon): some snapshot in that window scores ``min_drop`` below an earlier one, where the
    earlier one is in the window too or is the account's last snapshot before the window
    starts (its score as the window opened). Nothing after the judge date counts. Returns
    counts and churn rates of decisions with and without a drop.

    Computed as :func:`calibration.drops.drop_plan` + its
    :func:`~calibration.drops.drop_signal_from_scores` (the rows it reads only).
    """
    plan = drops.drop_plan(table, judged, within_days)
    return drops.drop_signal_from_scores(plan, lambda rows: result.score[rows], min_drop)


def falling_accounts(table: AccountTable, result: ScoreResult, min_drop: float = 10,
                     window_days: int = 90) -> pd.DataFrame:
    """Undecided accounts (no churned or renewed renewal yet) whose score fell by at least
    ``min_drop`` over the last ``window_days`` (latest snapshot vs the snapshot
    ``window_days`` earlier): the accounts to act on now."""
    frame = table.canonical().assign(score=result.score, band=result.band)
    decided = set(decisions_module.decided_renewals(frame, table.renewals,
                                                   with_arr=False)["account_id"])
    trend = history.score_trend(frame[~frame["account_id"].isin(decided)], window_days)
    falling = trend[trend["change"] <= -min_drop].copy()
    latest = history.latest_rows(frame)
    bands = pd.Series(result.band[latest], index=table.account_id[latest])
    arr = pd.Series(table.arr[latest], index=table.account_id[latest])
    falling["band"] = bands.reindex(falling["account_id"]).to_numpy()
    falling["arr"] = arr.reindex(falling["account_id"]).to_numpy()
    return falling.sort_values("change").reset_index(drop=True)
