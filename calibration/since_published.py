"""How a published version has done since: the renewal decisions after its publish date,
scored by that version as each account stood before its renewal (no hindsight).

Pure computation; never imports streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from calibration.accounts import AccountTable
from calibration.config import Config
from calibration.outcomes import cs_numbers
from calibration.scoring import score_frame
from calibration.validation import judged_rows


@dataclass(frozen=True)
class SincePublished:
    """The outcome of the decisions since a publish date (``numbers`` None when there are
    none, with ``summary`` saying why)."""

    published_at: datetime
    decisions: int
    churned: int
    numbers: dict[str, Any] | None
    summary: str


def performance_since(table: AccountTable, config: Config, published_at: datetime, *,
                      horizon_days: int = 90) -> SincePublished:
    """Renewal decisions dated after ``published_at`` (timezone-aware), each judged
    ``horizon_days`` before its renewal with ``config``: share of churned ARR (and accounts)
    that was red, surprise churn (churned while green), green churn rate."""
    if published_at.tzinfo is None:
        raise ValueError("published_at must be timezone-aware")
    day = f"{published_at:%d %b %Y}"
    decisions = judged_rows(table, horizon_days)
    if decisions.cross_sectional:
        return SincePublished(published_at, 0, 0, None,
                              "This data has no snapshot dates, so it cannot tell which "
                              f"renewals came after {day}.")
    cutoff = np.datetime64(published_at.astimezone(UTC).replace(tzinfo=None), "ns")
    after = decisions.renewal_date > cutoff
    n = int(after.sum())
    churned = decisions.outcome[after] == "churned"
    if n == 0:
        return SincePublished(published_at, 0, 0, None,
                              f"No renewal decided after {day} in this data yet: load "
                              "newer data to see how this version did.")
    band = score_frame(table.frame, config, explain=False).result.band[decisions.rows][after]
    arr = decisions.arr[after]
    numbers = cs_numbers(band, churned, None if np.isnan(arr).all() else arr)
    share = numbers["red_churned_arr_share"]
    if share is None:
        share = numbers["red_churned_share"]
        caught = "of churned accounts" if share is not None else ""
    else:
        caught = "of churned ARR"
    caught_text = (f"{share:.0%} {caught} was red {horizon_days} days before renewal"
                   if share is not None else "no account churned")
    surprise = numbers["surprise_churn_count"]
    surprise_arr = numbers["surprise_churn_arr"]
    money = f" (${surprise_arr:,.0f} ARR)" if surprise_arr is not None else ""
    decisions = "renewal decision" if n == 1 else "renewal decisions"
    accounts = "account" if surprise == 1 else "accounts"
    summary = (f"{n:,} {decisions} after {day}, {int(churned.sum()):,} churned: "
               f"{caught_text}; surprise churn (churned while green): {surprise:,} "
               f"{accounts}{money}.")
    return SincePublished(published_at, n, int(churned.sum()), numbers, summary)
