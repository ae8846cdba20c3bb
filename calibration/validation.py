"""Validation of a scored table: judge each decided account point-in-time, then measure.

Glue between :mod:`calibration.history` (which rows to judge) and :mod:`calibration.metrics`
(how well the score separates churned from renewed), overall and per segment.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from calibration import history, metrics
from calibration.accounts import AccountTable
from calibration.config import Config
from calibration.scoring import Scored

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
    if judged.cross_sectional:
        evidence["lead_time_days"] = {"reason": "single-snapshot data: no history, so no "
                                      "early-warning lead time"}
    else:
        over_time = table.canonical().assign(score=result.score, band=result.band)
        evidence["lead_time_days"] = history.lead_time(over_time, lookback_days)
    if by_segment:
        labels = segment_labels(table)
        evidence["segments"] = {} if labels is None else {
            str(name): _evaluate(table, config, scored, rows[labels[rows] == name],
                                 bootstrap_resamples, seed, include_logit, include_factors)
            for name in sorted(set(labels[rows]))
        }
    return evidence


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
