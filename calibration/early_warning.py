"""Early warning: how long before churn the churned renewal decisions first turned red.

Lead time looks back from each churn date over the whole look-back window, so it uses
snapshots *after* the judge date (renewal date - horizon) too: it says how early a red band
appeared at all, not what validation saw. Beside it, :func:`red_at_judge_date` gives the
point-in-time figure: the share of churned decisions that were already red on the snapshot
they were judged on.

Pure computation on pandas/numpy; never imports streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibration.decisions import decided_renewals
from calibration.history import (
    ACCOUNT,
    BAND,
    CHURNED,
    RED,
    RENEWAL,
    account_codes,
    bands,
    check_int,
    date_ns,
    require_columns,
)

_NAT = np.iinfo(np.int64).min
_DAY_NS = 86_400 * 10**9
_BUCKET_DAYS = 30
DEFINITION = (
    "For each churned renewal: days from the first red snapshot in the look-back window "
    "before the churn date to the churn date. Uses every snapshot before the churn date, "
    "including those after the judge date; 'red at the judge date' is the point-in-time "
    "share of churned renewals already red on the snapshot they were judged on.")


def _empty(lookback: int, reason: str, **counts: Any) -> dict[str, Any]:
    """Lead-time result whose statistics are undefined, with a ``reason``."""
    result: dict[str, Any] = {
        "lookback_days": lookback, "n_churned": 0, "n_no_renewal_date": 0,
        "n_with_history": None, "n_ever_red": None, "n_never_red": None,
        "median_days": None, "p25_days": None, "p75_days": None, "distribution": [],
        "per_account": [], "uses_snapshots_after_judge_date": True,
        "definition": DEFINITION, "reason": reason,
    }
    result.update(counts)
    return result


def _distribution(lead: np.ndarray, lookback: int) -> list[dict[str, int]]:
    """Histogram of lead days in 30-day buckets ``[from, to)``; the last bucket ends at
    lookback inclusive."""
    edges = np.array([*range(0, lookback, _BUCKET_DAYS), lookback])
    counts, _ = np.histogram(lead, bins=edges)
    return [{"from_days": int(lo), "to_days": int(hi), "accounts": int(c)}
            for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True)]


@dataclass(frozen=True, eq=False)
class LeadTimePlan:
    """Everything :func:`lead_time` needs that does not depend on the scores: the churned
    decisions and, per decision, the snapshot rows in its look-back window.

    Built once per data (:func:`lead_time_plan`); :func:`lead_time_from_bands` then needs the
    band of ``rows`` only, so a new config is scored on those rows instead of every snapshot.
    """

    lookback: int
    churn: pd.DataFrame  # the churned decisions (decided_renewals rows)
    empty: dict[str, Any] | None  # the result when there is nothing to measure
    renewal: np.ndarray  # churn date per decision (ns)
    has_date: np.ndarray
    rows: np.ndarray  # sorted distinct row positions (into the frame) inside some window
    pair_decision: np.ndarray  # per (decision, window row) pair, sorted by decision then date
    pair_row: np.ndarray  # index into ``rows``
    pair_snap: np.ndarray  # snapshot date (ns)
    with_history: np.ndarray


def lead_time_plan(frame: pd.DataFrame, lookback_days: int = 365,
                   renewals: pd.DataFrame | None = None) -> LeadTimePlan:
    """The score-independent part of :func:`lead_time` (``frame`` needs no band column).

    Row positions in the plan are positions in ``frame``.
    """
    require_columns(frame, (ACCOUNT,))
    lookback = check_int(lookback_days, "lookback_days", minimum=1)
    acc = account_codes(frame)
    # lead time reads no ARR; the account codes just found, not found again
    churn = decided_renewals(frame, renewals, with_arr=False, codes=acc)
    churn = churn[churn["outcome"] == CHURNED]
    n_churned = len(churn)
    none = np.empty(0, dtype=np.int64)
    empty = None
    if n_churned == 0:
        empty = _empty(lookback, "No churned accounts, so there is no lead time to measure.")
    elif acc.cross_sectional:
        empty = _empty(lookback, "Snapshot dates are missing (single-snapshot data), so lead "
                       "time cannot be measured.", n_churned=n_churned)
    if empty is not None:
        return LeadTimePlan(lookback, churn, empty, none, np.zeros(0, dtype=bool), none, none,
                            none, none, np.zeros(0, dtype=bool))
    renewal = date_ns(churn, RENEWAL)
    has_date = renewal != _NAT
    codes = pd.Index(acc.ids).get_indexer(pd.Index(churn[ACCOUNT].to_numpy(dtype=object)))
    decisions = pd.DataFrame({"d": np.arange(n_churned), "code": codes, "end": renewal})
    decisions = decisions[has_date & (codes >= 0)]
    rows = pd.DataFrame({"code": acc.codes, "snap": acc.snap,
                         "pos": np.arange(len(acc.codes), dtype=np.int64)})
    rows = rows[rows["snap"] != _NAT]
    pairs = decisions.merge(rows, on="code")
    pairs = pairs[(pairs["snap"] < pairs["end"])
                  & (pairs["snap"] >= pairs["end"] - lookback * _DAY_NS)]
    d = pairs["d"].to_numpy(dtype=np.int64)
    snap = pairs["snap"].to_numpy(dtype=np.int64)
    pos = pairs["pos"].to_numpy(dtype=np.int64)
    order = np.lexsort((snap, d))
    d, snap, pos = d[order], snap[order], pos[order]
    with_history = np.zeros(n_churned, dtype=bool)
    with_history[d] = True
    needed, pair_row = np.unique(pos, return_inverse=True)
    return LeadTimePlan(lookback, churn, None, renewal, has_date, needed, d,
                        pair_row.reshape(-1), snap, with_history)


def lead_time_from_bands(plan: LeadTimePlan, band_at_rows: np.ndarray) -> dict[str, Any]:
    """:func:`lead_time` from a plan and the band of each of ``plan.rows`` (0 red, ...)."""
    if plan.empty is not None:
        return {**plan.empty, "distribution": [], "per_account": []}
    n_churned = len(plan.churn)
    red = np.asarray(band_at_rows)[plan.pair_row] == RED
    # pairs are sorted by decision then date: the first red pair of a decision is its earliest
    decision, first = np.unique(plan.pair_decision[red], return_index=True)
    first_red = plan.pair_snap[red][first]
    ever_red = np.zeros(n_churned, dtype=bool)
    ever_red[decision] = True
    lead = np.full(n_churned, -1, dtype=np.int64)
    lead[decision] = (plan.renewal[decision] - first_red) // _DAY_NS
    return _result(plan.churn, plan.has_date, plan.with_history, ever_red, lead, plan.lookback)


def lead_time(frame: pd.DataFrame, lookback_days: int = 365,
              renewals: pd.DataFrame | None = None) -> dict[str, Any]:
    """How long before churn churned renewal decisions first turned red.

    Definition: for each churned decision with renewal (churn) date ``R`` (see
    :func:`calibration.decisions.decided_renewals`, from ``frame``'s rows or the ``renewals``
    table), its *window* is the account's snapshots dated in ``[R - lookback_days, R)``. The
    decision "has history" if the window is non-empty. Its lead time is
    ``floor((R - first red snapshot date in the window) / 1 day)``; with history but no red
    snapshot it is "never red". Percentiles (numpy linear interpolation) and the histogram
    use the ever-red decisions only. Snapshots after the judge date count (see module doc).

    Computed as :func:`lead_time_plan` + :func:`lead_time_from_bands`.

    Returns
    -------
    dict
        JSON-able: ``lookback_days``, ``n_churned``, ``n_no_renewal_date``,
        ``n_with_history``, ``n_ever_red``, ``n_never_red``, ``median_days``, ``p25_days``,
        ``p75_days``, ``distribution`` (30-day buckets), ``per_account`` (list of
        ``{"account_id", "renewal_date", "lead_days", "has_history"}``, sorted),
        ``uses_snapshots_after_judge_date`` (True), ``definition`` and ``reason`` (None, or
        why the statistics are None). Never contains NaN.
    """
    require_columns(frame, (ACCOUNT, BAND))
    plan = lead_time_plan(frame, lookback_days, renewals)
    return lead_time_from_bands(plan, bands(frame)[plan.rows])


def _result(churn: pd.DataFrame, has_date: np.ndarray, with_history: np.ndarray,
            ever_red: np.ndarray, lead: np.ndarray, lookback: int) -> dict[str, Any]:
    """Assemble the JSON-able lead-time dict from per-decision arrays."""
    n_history, n_red = int(with_history.sum()), int(ever_red.sum())
    leads = lead[ever_red]
    stats: dict[str, Any] = {"median_days": None, "p25_days": None, "p75_days": None}
    reason = None
    if n_history == 0:
        reason = f"No churned account has a snapshot in the {lookback} days before its churn date."
    elif n_red == 0:
        reason = f"None of the churned accounts was red in the {lookback} days before churning."
    else:
        p25, p50, p75 = np.percentile(leads, [25, 50, 75])
        stats = {"median_days": float(p50), "p25_days": float(p25), "p75_days": float(p75)}
    dates = churn[RENEWAL].to_numpy(dtype="datetime64[ns]")
    per_account = [
        {"account_id": account, "renewal_date": None if np.isnat(day) else str(day)[:10],
         "lead_days": int(lead[i]) if ever_red[i] else None,
         "has_history": bool(with_history[i])}
        for i, (account, day) in enumerate(zip(churn[ACCOUNT].tolist(), dates, strict=True))]
    return {
        "lookback_days": lookback, "n_churned": len(churn),
        "n_no_renewal_date": int((~has_date).sum()), "n_with_history": n_history,
        "n_ever_red": n_red, "n_never_red": n_history - n_red, **stats,
        "distribution": _distribution(leads, lookback) if n_history else [],
        "per_account": per_account, "uses_snapshots_after_judge_date": True,
        "definition": DEFINITION, "reason": reason,
    }


def red_at_judge_date(band_at_judged_row: np.ndarray, churned: np.ndarray) -> dict[str, Any]:
    """Share of churned decisions that were red on the snapshot they were judged on (recall of
    the red band, point in time)."""
    churned = np.asarray(churned, dtype=bool)
    n = int(churned.sum())
    red = int((np.asarray(band_at_judged_row)[churned] == RED).sum())
    return {"n_churned": n, "n_red": red, "recall": red / n if n else None}
