"""Validation of a scored table: judge each decided account point-in-time, then measure.

Glue between :mod:`calibration.history` (which rows to judge) and :mod:`calibration.metrics`
(how well the score separates churned from renewed), overall and per segment.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from calibration import history, metrics
from calibration.accounts import AccountTable
from calibration.config import Config
from calibration.scoring import Scored, ScoreResult

DEFAULT_HORIZON_DAYS = 90


def judged_rows(table: AccountTable, horizon_days: int = DEFAULT_HORIZON_DAYS
                ) -> history.PointInTime:
    """Rows validation judges: each decided account ``horizon_days`` before its renewal
    (the single row per account for cross-sectional data)."""
    return history.point_in_time(table.canonical(), horizon_days)


def segment_labels(table: AccountTable) -> np.ndarray | None:
    """The segment column's values as text (None when the data has no segment role)."""
    column = table.roles.segment
    if not column or column not in table.frame.columns:
        return None
    return table.frame[column].astype("string").fillna("(blank)").to_numpy(dtype=object)


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
    lookback_days: int = 365,
) -> dict[str, Any]:
    """All validation evidence for one scored table as a JSON-able dict."""
    result = scored.result
    judged = judged_rows(table, horizon_days)
    rows = judged.rows
    evidence = _evaluate(table, config, scored, rows, bootstrap_resamples, seed,
                         include_logit, include_factors)
    evidence["sample"] = judged.summary()
    evidence["horizon_days"] = judged.horizon_days
    evidence["cross_sectional"] = judged.cross_sectional
    evidence["config_hash"] = config.fingerprint()
    labels = segment_labels(table) if by_segment else None
    no_history = {"reason": "single-snapshot data: no history, so no early-warning lead time"}
    segment_lead: dict[str, dict[str, Any]] = {}
    if judged.cross_sectional:
        evidence["lead_time_days"] = no_history
    else:
        over_time = table.canonical().assign(score=result.score, band=result.band)
        evidence["lead_time_days"] = history.lead_time(over_time, lookback_days)
        segment_lead = lead_time_by_segment(over_time, labels, lookback_days)
    evidence["score_drops"] = drop_signal(table, result, judged)
    if by_segment:
        evidence["segments"] = {} if labels is None else {
            str(name): _evaluate(table, config, scored, rows[labels[rows] == name],
                                 bootstrap_resamples, seed, include_logit, include_factors)
            for name in sorted(set(labels[rows]))
        }
        for name, segment in evidence["segments"].items():
            segment["lead_time_days"] = segment_lead.get(name, no_history)
    return evidence


def lead_time_by_segment(scored_history: pd.DataFrame, labels: np.ndarray | None,
                         lookback_days: int = 365) -> dict[str, dict[str, Any]]:
    """:func:`calibration.history.lead_time` per segment label (rows with that label).

    ``scored_history`` is ``AccountTable.canonical()`` with ``score`` and ``band`` columns;
    ``labels`` the segment label per row (None: no segments, empty result).
    """
    if labels is None:
        return {}
    return {str(name): history.lead_time(scored_history.loc[labels == name], lookback_days)
            for name in sorted(set(labels.tolist()))}


def _evaluate(table: AccountTable, config: Config, scored: Scored, rows: np.ndarray,
              bootstrap_resamples: int, seed: int, include_logit: bool,
              include_factors: bool) -> dict[str, Any]:
    result = scored.result
    return metrics.evaluate(
        result.score[rows], table.outcome[rows] == "churned", result.band[rows],
        arr=table.arr[rows], ids=table.account_id[rows], reference=table.reference[rows],
        factor_scores=scored.matrix.points[rows] if include_factors else None,
        factor_names=config.factor_names if include_factors else None,
        bootstrap_resamples=bootstrap_resamples, seed=seed, include_logit=include_logit,
        include_factors=include_factors,
    )


def by_config_segment(table: AccountTable, config: Config, scored: Scored,
                      horizon_days: int = DEFAULT_HORIZON_DAYS) -> list[dict[str, Any]]:
    """Fast metrics for the accounts each segment config (and the default) scores."""
    rows = judged_rows(table, horizon_days).rows
    result = scored.result
    names = [*(s.name for s in config.segments), "Default"]
    out = []
    for code, name in zip([*range(len(config.segments)), -1], names, strict=True):
        mine = rows[result.segment[rows] == code]
        evidence = metrics.evaluate(
            result.score[mine], table.outcome[mine] == "churned", result.band[mine],
            arr=table.arr[mine], ids=table.account_id[mine], include_logit=False,
            include_factors=False)
        out.append({"segment": name, "code": code, "metrics": evidence})
    return out


def drop_signal(table: AccountTable, result: ScoreResult, judged: history.PointInTime,
                min_drop: float = 15, within_days: int = 90) -> dict[str, Any]:
    """Does a sharp fall in score warn of churn? Point in time, never peeking ahead.

    For each judged account, only snapshots up to the one it is judged on count: an account
    "had a drop" when its score fell by at least ``min_drop`` points within ``within_days``
    at or before that snapshot. Returns counts and churn rates with and without a drop.
    """
    if judged.cross_sectional:
        return {"reason": "single-snapshot data: no history, so no score drops"}
    frame = table.canonical().assign(score=result.score, band=result.band)
    judged_at = pd.Series(table.snapshot_date[judged.rows], index=table.account_id[judged.rows])
    cutoff = judged_at.reindex(frame["account_id"]).to_numpy()
    before = frame[frame["snapshot_date"].to_numpy() <= cutoff]  # NaT (not judged) drops out
    dropped = set(history.score_drops(before, min_drop, within_days)["account_id"])
    ids = table.account_id[judged.rows]
    churned = table.outcome[judged.rows] == "churned"
    had = np.fromiter((i in dropped for i in ids), dtype=bool, count=ids.size)
    rates = {}
    for label, mask in (("with_drop", had), ("without_drop", ~had)):
        n = int(mask.sum())
        rates[label] = {"accounts": n, "churned": int((mask & churned).sum()),
                        "churn_rate": float((mask & churned).sum() / n) if n else None}
    return {"min_drop": min_drop, "within_days": within_days, **rates, "reason": None}


def falling_accounts(table: AccountTable, result: ScoreResult, min_drop: float = 10,
                     window_days: int = 90) -> pd.DataFrame:
    """Open accounts whose score fell by at least ``min_drop`` over the last ``window_days``
    (latest snapshot vs the snapshot ``window_days`` earlier): the accounts to act on now."""
    frame = table.canonical().assign(score=result.score, band=result.band)
    trend = history.score_trend(frame[frame["outcome"] == "open"], window_days)
    falling = trend[trend["change"] <= -min_drop].copy()
    latest = history.latest_rows(frame)
    bands = pd.Series(result.band[latest], index=table.account_id[latest])
    arr = pd.Series(table.arr[latest], index=table.account_id[latest])
    falling["band"] = bands.reindex(falling["account_id"]).to_numpy()
    falling["arr"] = arr.reindex(falling["account_id"]).to_numpy()
    return falling.sort_values("change").reset_index(drop=True)
