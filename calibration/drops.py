"""Does a sharp fall in score warn of churn? The score-drop check of validation, in two
parts: a plan per data (which snapshot rows each judged decision's window reads) and the
check from the scores of those rows only.

:func:`calibration.validation.drop_signal` is :func:`drop_plan` + :func:`drop_signal_from_scores`
on every row's scores; the app scores the plan's rows alone (about a fifth of the snapshots)
for a new config. Pure computation; never imports streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibration import history
from calibration.accounts import AccountTable
from calibration.decisions import Decisions


@dataclass(frozen=True, eq=False)
class DropPlan:
    """The score-independent part of the drop check for one table, its judged decisions
    and a window of ``within_days``.

    A decision reads its account's snapshots dated inside ``[judge - within_days, judge]``
    (``inside_*``, one entry per (decision, row) pair) and, as the score when the window
    opened, the latest scored snapshot before the window: ``before_*`` lists each
    decision's earlier snapshots, latest first (on equal dates the later row first).
    ``rows``: the rows to score first, the window rows and each decision's latest earlier
    snapshot (an earlier one is scored only when that one has no score).
    """

    within_days: int
    churned: np.ndarray  # per decision
    inside_decision: np.ndarray
    inside_row: np.ndarray
    inside_snap: np.ndarray  # datetime64[ns]
    before_decision: np.ndarray  # sorted by decision, then latest first
    before_row: np.ndarray
    before_snap: np.ndarray
    before_first: np.ndarray  # per before_* entry: True for each decision's first
    rows: np.ndarray  # sorted distinct table rows read first
    reason: str | None = None  # set when there is nothing to check


def drop_plan(table: AccountTable, judged: Decisions, within_days: int = 90) -> DropPlan:
    """Which rows the drop check reads for each judged decision (see :class:`DropPlan`)."""
    none = np.empty(0, dtype=np.int64)
    nat = np.empty(0, dtype="datetime64[ns]")
    if judged.cross_sectional:
        return DropPlan(within_days, judged.churned, none, none, nat, none, none, nat,
                        np.zeros(0, dtype=bool), none,
                        "single-snapshot data: no history, so no score drops")
    decision, row = _account_pairs(table.account_id, judged.account_id)
    snap = np.asarray(table.snapshot_date, dtype="datetime64[ns]")[row]
    judge = np.asarray(judged.judge_date, dtype="datetime64[ns]")[decision]
    upto = snap <= judge  # NaT on either side: False
    decision, row, snap, judge = decision[upto], row[upto], snap[upto], judge[upto]
    inside = snap >= judge - np.timedelta64(within_days, "D")
    del judge
    before = np.flatnonzero(~inside)
    # latest first; among equal dates the later pair (drop_signal's stable sort + tail(1))
    order = before[np.lexsort((-before, -snap[before].view(np.int64), decision[before]))]
    first = np.ones(order.size, dtype=bool)
    first[1:] = decision[order][1:] != decision[order][:-1]
    rows = np.unique(np.concatenate([row[inside], row[order[first]]]))
    return DropPlan(within_days, judged.churned, decision[inside], row[inside], snap[inside],
                    decision[order], row[order], snap[order], first, rows)


def _account_pairs(row_ids: np.ndarray, decision_ids: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Every (decision, row) pair of the same account, by decision, then row: the inner
    merge of the decisions' ids with the rows' ids, from integer codes (a merge on the ids
    made a Python string per row: ~120 MB at 1.8M rows)."""
    codes, ids = pd.factorize(row_ids, use_na_sentinel=False)  # a missing id: one more id
    wanted = pd.Index(ids).get_indexer(decision_ids)
    count = np.bincount(codes, minlength=len(ids))
    first = np.cumsum(count) - count
    by_account = np.argsort(codes, kind="stable")  # each account's rows, in row order
    per_decision = np.where(wanted >= 0, count[wanted], 0)
    decision = np.repeat(np.arange(len(decision_ids), dtype=np.int64), per_decision)
    offset = np.arange(decision.size, dtype=np.int64) - np.repeat(
        np.cumsum(per_decision) - per_decision, per_decision)
    row = by_account[first[wanted[decision]] + offset].astype(np.int64, copy=False)
    return decision, row


def drop_signal_from_scores(plan: DropPlan, score_of: Callable[[np.ndarray], np.ndarray],
                            min_drop: float = 15) -> dict[str, Any]:
    """The drop check (:func:`calibration.validation.drop_signal`'s result) from
    ``score_of(rows)``: the scores of the given table rows (NaN: unscored). It is asked for
    ``plan.rows`` and, only for decisions whose latest earlier snapshot is unscored, for
    their other earlier snapshots."""
    if plan.reason is not None:
        return {"reason": plan.reason}
    first_scores = score_of(plan.rows)

    def scores(rows: np.ndarray) -> np.ndarray:
        return first_scores[np.searchsorted(plan.rows, rows)]

    inside_score = scores(plan.inside_row)
    before_score = np.full(plan.before_row.size, np.nan)
    before_score[plan.before_first] = scores(plan.before_row[plan.before_first])
    unscored = np.unique(plan.before_decision[plan.before_first
                                              & np.isnan(before_score)])
    more = np.isin(plan.before_decision, unscored) & ~plan.before_first
    if more.any():  # rare: the latest earlier snapshot has no score, read older ones
        before_score[more] = score_of(plan.before_row[more])
    scored_before = np.flatnonzero(~np.isnan(before_score))
    decision = plan.before_decision[scored_before]
    opening = scored_before[np.r_[True, decision[1:] != decision[:-1]]] if decision.size \
        else scored_before
    keep = ~np.isnan(inside_score)
    pairs = pd.DataFrame({
        "account_id": np.concatenate([plan.before_decision[opening],
                                      plan.inside_decision[keep]]),
        "snapshot_date": np.concatenate([plan.before_snap[opening], plan.inside_snap[keep]]),
        "score": np.concatenate([before_score[opening], inside_score[keep]])})
    dropped = history.score_drops(pairs, min_drop, history.MAX_SPAN_DAYS)
    had = np.zeros(plan.churned.size, dtype=bool)
    had[dropped["account_id"].to_numpy(dtype=np.int64)] = True
    churned = plan.churned
    rates = {}
    for label, mask in (("with_drop", had), ("without_drop", ~had)):
        n = int(mask.sum())
        rates[label] = {"accounts": n, "churned": int((mask & churned).sum()),
                        "churn_rate": float((mask & churned).sum() / n) if n else None}
    within = plan.within_days
    return {"min_drop": min_drop, "within_days": within, **rates,
            "definition": f"the score fell by at least {min_drop:g} points during the "
                          f"{within} days up to the judge date (from the score as the "
                          "window opened or a later, higher one)", "reason": None}
