"""Renewal decisions: the unit of validation.

A *renewal decision* is one account's renewal date with a decided outcome (churned or
renewed). It is judged on the account as it stood ``horizon_days`` before: the *judge date*
is ``renewal date - horizon_days`` and the *judged snapshot* is the account's latest snapshot
dated on or before it. Every consumer (metrics, scored CSV, suggestions, time split, compare,
evidence, the app's pages) reads the outcome, renewal date and ARR from the decision, never
from the judged snapshot row: in many real layouts that row says ``open`` or is blank.

Decisions come from the snapshot table in any of these layouts, or from a separate renewals
table (one row per renewal, joined by account id, see :mod:`calibration.renewals`):

- outcome and renewal date repeated on every snapshot row;
- outcome only on the last row of a cycle (earlier rows blank);
- rows saying ``open`` / ``pending`` until the decision;
- several cycles per account: each distinct renewal date with a decided outcome is one
  decision, judged at its own horizon;
- rows in any order.

If rows of one cycle disagree (churned on one, renewed on another) the row with the latest
snapshot wins and the conflict is counted. A decision's ARR is the renewals table's ARR when
given, else the last known ARR on a snapshot dated on or before the renewal date (the revenue
at stake), else the judged snapshot's.

Public API: :func:`for_table` (an :class:`~calibration.accounts.AccountTable`),
:func:`derive` (canonical frames), :class:`Decisions`, :func:`decided_renewals` (every
decision before a horizon is applied), :func:`check_horizon`.
Pure computation; never imports streamlit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from calibration.history import (
    ACCOUNT,
    CHURNED,
    OUTCOME,
    RENEWAL,
    SNAPSHOT,
    AccountCodes,
    account_codes,
    date_ns,
    id_list,
    outcome_codes,
    plural,
    require_columns,
)

if TYPE_CHECKING:
    from calibration.accounts import AccountTable

DEFAULT_HORIZON_DAYS = 90
MAX_HORIZON_DAYS = 3650
"""Ten years: a longer horizon judges accounts before most of them existed."""
ARR = "arr"
_NAT = np.iinfo(np.int64).min
_DAY_NS = 86_400 * 10**9
_CHURN, _OPEN = 0, 2  # outcome codes of calibration.history.outcome_codes


def check_horizon(horizon_days: Any, name: str = "horizon") -> int:
    """Return ``horizon_days`` as an int, or raise ValueError saying what is allowed.

    A horizon is a whole number of days from 0 (judge on the renewal date itself) to
    :data:`MAX_HORIZON_DAYS`.
    """
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, Integral):
        raise ValueError(f"the {name} must be a whole number of days, got {horizon_days!r}")
    if not 0 <= horizon_days <= MAX_HORIZON_DAYS:
        raise ValueError(
            f"the {name} must be between 0 and {MAX_HORIZON_DAYS:,} days (how long before "
            f"each renewal an account is judged), got {int(horizon_days):,}")
    return int(horizon_days)


@dataclass(frozen=True, eq=False)
class Decisions:
    """The judged renewal decisions, one entry per decision (sorted by account id, then
    renewal date), plus counts of what could not be judged.

    Attributes
    ----------
    account_id, renewal_date, judge_date, outcome, arr : np.ndarray
        Per judged decision: account id, renewal date (datetime64[ns], NaT only in
        cross-sectional data), judge date (renewal date - horizon; NaT when
        cross-sectional), ``"churned"``/``"renewed"``, ARR at stake (NaN unknown).
    rows : np.ndarray
        Per judged decision: position of the judged snapshot row in the snapshot frame (use
        ``score[rows]``). Two decisions of one account may share a row.
    horizon_days : int or None
        None in cross-sectional mode (no snapshot dates: each account's single row judged).
    source : str
        ``"snapshots"`` or ``"renewals table"``.
    n_accounts, n_open : int
        Accounts in the snapshot table; those without any decided renewal (not validated).
    n_open_renewals : int
        Renewal cycles still open (open/pending/blank on every row, or in the renewals table).
    n_conflicting : int
        Cycles whose rows disagree on the outcome (the latest row's outcome was used).
    excluded_no_early_snapshot, excluded_no_renewal_date, excluded_no_snapshots : list
        Account ids (once per decision) of decisions without a snapshot on or before the judge
        date, of decided accounts with no renewal date, and of renewals-table decisions whose
        account has no snapshot at all.
    """

    account_id: np.ndarray
    renewal_date: np.ndarray
    judge_date: np.ndarray
    outcome: np.ndarray
    arr: np.ndarray
    rows: np.ndarray
    horizon_days: int | None
    cross_sectional: bool
    source: str
    n_accounts: int
    n_open: int
    n_open_renewals: int
    n_conflicting: int
    excluded_no_early_snapshot: list
    excluded_no_renewal_date: list
    excluded_no_snapshots: list

    @property
    def churned(self) -> np.ndarray:
        """Boolean churn flag per judged decision."""
        return self.outcome == CHURNED

    @property
    def n_judged(self) -> int:
        """Number of judged decisions."""
        return len(self.rows)

    @functools.cached_property
    def n_judged_accounts(self) -> int:
        """Distinct accounts among the judged decisions (counted once per object: a page
        caption asks on every visit, 80k ids at 100k accounts)."""
        return int(pd.unique(self.account_id).size)

    @property
    def n_decided(self) -> int:
        """Decisions found, judged or excluded."""
        return (self.n_judged + len(self.excluded_no_early_snapshot)
                + len(self.excluded_no_renewal_date) + len(self.excluded_no_snapshots))

    def frame(self) -> pd.DataFrame:
        """One row per judged decision: ``account_id``, ``renewal_date``, ``judge_date``,
        ``outcome``, ``arr``, ``row`` (the judged snapshot's position)."""
        return pd.DataFrame({
            ACCOUNT: self.account_id, RENEWAL: self.renewal_date,
            "judge_date": self.judge_date, OUTCOME: self.outcome, ARR: self.arr,
            "row": self.rows})

    def summary(self) -> dict[str, Any]:
        """JSON-able counts, exclusions and the plain-language description."""
        return {
            "horizon_days": self.horizon_days,
            "cross_sectional": self.cross_sectional,
            "source": self.source,
            "n_accounts": self.n_accounts,
            "n_decided": self.n_decided,
            "n_open": self.n_open,
            "n_open_renewals": self.n_open_renewals,
            "n_judged": self.n_judged,
            "n_judged_accounts": self.n_judged_accounts,
            "n_churned": int(self.churned.sum()),
            "n_conflicting": self.n_conflicting,
            "n_excluded_no_early_snapshot": len(self.excluded_no_early_snapshot),
            "n_excluded_no_renewal_date": len(self.excluded_no_renewal_date),
            "n_excluded_no_snapshots": len(self.excluded_no_snapshots),
            "excluded_no_early_snapshot": list(self.excluded_no_early_snapshot),
            "excluded_no_renewal_date": list(self.excluded_no_renewal_date),
            "excluded_no_snapshots": list(self.excluded_no_snapshots),
            "first_judge_date": _day(self.judge_date.min()) if self.n_judged else None,
            "last_renewal_date": _day(self.renewal_date.max()) if self.n_judged else None,
            "description": self.describe(),
        }

    def describe(self) -> str:
        """One plain-language sentence: what was judged and what was left out."""
        parts = [self._judged_phrase()]
        if self.n_open:
            parts.append(f"{plural(self.n_open, 'open account')} not validated")
        for ids, text in ((self.excluded_no_early_snapshot, "had no snapshot that early"),
                          (self.excluded_no_renewal_date, "had no renewal date"),
                          (self.excluded_no_snapshots,
                           "had no snapshot at all (renewals table only)")):
            if ids:
                verb = "was" if len(ids) == 1 else "were"
                parts.append(f"{plural(len(ids), 'decision')} {text} and {verb} excluded")
        if self.n_conflicting:
            parts.append(f"{plural(self.n_conflicting, 'renewal')} had conflicting outcomes "
                         "on different rows (the latest row's outcome was used)")
        return "; ".join(parts) + "."

    def _judged_phrase(self) -> str:
        n = self.n_judged
        accounts = self.n_judged_accounts
        what = plural(n, "renewal decision")
        if accounts != n:
            what += f" of {plural(accounts, 'account')}"
        where = " (from the renewals table)" if self.source == "renewals table" else ""
        if self.cross_sectional:
            return (f"Judged {what}{where} on each account's only snapshot (no snapshot dates, "
                    "so no horizon was applied and scores may reflect what happened after the "
                    "decision)")
        if self.horizon_days == 0:
            return f"Judged {what}{where} as each account stood on its renewal date"
        return (f"Judged {what}{where} as each account stood "
                f"{plural(self.horizon_days, 'day')} before its renewal")


def _day(value: np.datetime64) -> str | None:
    return None if np.isnat(value) else str(value)[:10]


def for_table(table: AccountTable, horizon_days: int = DEFAULT_HORIZON_DAYS) -> Decisions:
    """The decisions of an :class:`~calibration.accounts.AccountTable`: from its renewals
    table when one is attached, else from its snapshot rows. Row positions index
    ``table.frame`` and every role array of the table."""
    return derive(table.canonical(), horizon_days, renewals=table.renewals)


def derive(snapshots: pd.DataFrame, horizon_days: int = DEFAULT_HORIZON_DAYS,
           renewals: pd.DataFrame | None = None) -> Decisions:
    """Find every renewal decision and the snapshot row to judge it on.

    Parameters
    ----------
    snapshots : pd.DataFrame
        Canonical snapshot rows: ``account_id``, optional ``snapshot_date`` (datetime64;
        absent or all NaT = cross-sectional), and, without ``renewals``, ``outcome``
        (churned/renewed/open) and ``renewal_date``; optional ``arr``.
    horizon_days : int, default 90
        How many days before each renewal its account is judged (0 to 3650).
    renewals : pd.DataFrame, optional
        Canonical renewals table (``account_id``, ``renewal_date``, ``outcome``, optional
        ``arr``). When given, decisions come from it only.

    Returns
    -------
    Decisions

    Raises
    ------
    ValueError
        Bad horizon, missing columns, unknown outcomes, or undated data with several rows per
        account.
    """
    require_columns(snapshots, (ACCOUNT,))
    horizon = check_horizon(horizon_days)
    acc = account_codes(snapshots)
    source = snapshots if renewals is None else renewals
    require_columns(source, (ACCOUNT, OUTCOME) if acc.cross_sectional else (
        ACCOUNT, OUTCOME, RENEWAL))
    cycles, counts = _cycles(acc, snapshots, renewals)
    if acc.cross_sectional:
        _single_row_per_account(acc)
    code = cycles["code"].to_numpy()
    renewal = cycles["renewal"].to_numpy()
    known = code >= 0
    no_date = known & (renewal == _NAT) & (not acc.cross_sectional)
    judge = np.where(renewal == _NAT, _NAT, renewal - horizon * _DAY_NS)
    if acc.cross_sectional:
        row = np.where(known, acc.latest[np.where(known, code, 0)], -1)
        judge = np.full(len(code), _NAT, dtype=np.int64)
    else:
        row = np.full(len(code), -1, dtype=np.int64)
        dated = known & ~no_date
        row[dated] = _last_at_or_before(acc, code[dated], judge[dated])
    arr = _decision_arr(acc, snapshots, cycles, row)
    judged = row >= 0
    ids = cycles["account"].to_numpy(dtype=object)
    out_rows = row[judged]
    out_rows.flags.writeable = False
    return Decisions(
        account_id=ids[judged], renewal_date=_datetime(renewal[judged]),
        judge_date=_datetime(judge[judged]),
        outcome=np.where(cycles["outcome"].to_numpy()[judged] == _CHURN, CHURNED,
                         "renewed").astype(object),
        arr=arr[judged], rows=out_rows,
        horizon_days=None if acc.cross_sectional else horizon,
        cross_sectional=acc.cross_sectional,
        source="snapshots" if renewals is None else "renewals table",
        excluded_no_early_snapshot=id_list(ids[known & ~no_date & ~judged]),
        excluded_no_renewal_date=id_list(ids[no_date]),
        excluded_no_snapshots=id_list(ids[~known]),
        **counts,
    )


def _datetime(ns: np.ndarray) -> np.ndarray:
    return ns.astype(np.int64).view("datetime64[ns]")


def _single_row_per_account(acc) -> None:
    per_account = np.bincount(acc.codes, minlength=acc.n)
    if (per_account > 1).any():
        code = int(np.argmax(per_account > 1))
        raise ValueError(
            f"column {SNAPSHOT!r} has no dates (single-snapshot data) but account_id "
            f"{acc.ids[code]!r} has {int(per_account[code])} rows; without dates there is no way "
            "to tell which row stood before the renewal decision")


def _cycles(acc, snapshots: pd.DataFrame, renewals: pd.DataFrame | None
            ) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per decided renewal cycle (``account``, ``code`` (-1: not in the snapshot
    table), ``renewal`` ns, ``outcome`` code, ``arr``), sorted by account id then renewal
    date; plus the counts of open accounts, open cycles and conflicts.

    Vectorised on integer keys (one lexsort), so 2M snapshot rows take well under a second.
    """
    if renewals is None:
        source, key, keys = snapshots, acc.codes, acc.ids
        code = acc.codes
        order = acc.snap
    else:
        source = renewals
        ids = renewals[ACCOUNT].to_numpy(dtype=object)
        code = pd.Index(acc.ids).get_indexer(pd.Index(ids)) if len(ids) else np.empty(
            0, np.int64)
        extra, extra_ids = pd.factorize(pd.Index(ids)[code < 0]) if len(ids) else (
            np.empty(0, np.int64), [])
        key = code.astype(np.int64).copy()
        key[code < 0] = acc.n + extra
        keys = np.concatenate([acc.ids, np.asarray(extra_ids, dtype=object)])
        order = np.zeros(len(ids), dtype=np.int64)
    outcome = outcome_codes(source, default_open=True)
    renewal = date_ns(source, RENEWAL)
    arr = (source[ARR].to_numpy(dtype=np.float64, na_value=np.nan) if renewals is not None
           and ARR in source.columns else np.full(len(source), np.nan))
    decided = outcome != _OPEN
    dated = renewal != _NAT
    # A decided row without a renewal date joins its account's dated decision if there is
    # one; an account with no dated decision at all is "decided without a renewal date".
    has_dated = np.zeros(len(keys), dtype=bool)
    has_dated[key[decided & dated]] = True
    use = decided if acc.cross_sectional else decided & (dated | ~has_dated[key])
    rows = np.flatnonzero(use)
    rows = rows[_cycle_order(key[rows], renewal[rows], order[rows])]
    k, r = key[rows], renewal[rows]
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = (k[1:] != k[:-1]) | (r[1:] != r[:-1])
    starts = np.flatnonzero(np.concatenate([[True], last[:-1]])) if len(rows) else rows
    o = outcome[rows].astype(np.int64)
    conflicting = 0
    if len(rows):
        conflicting = int((np.minimum.reduceat(o, starts) != np.maximum.reduceat(o, starts))
                          .sum())
    chosen = rows[last]
    label = np.asarray(keys, dtype=object)[key[chosen]]
    by_id = np.argsort(np.asarray([str(i) for i in keys], dtype=object), kind="stable")
    id_rank = np.empty(len(keys), dtype=np.int64)
    id_rank[by_id] = np.arange(len(keys))
    final = np.lexsort((renewal[chosen], id_rank[key[chosen]]))
    chosen, label = chosen[final], label[final]
    cycles = pd.DataFrame({"account": label, "code": code[chosen], "renewal": renewal[chosen],
                           "outcome": outcome[chosen], "arr": arr[chosen]})
    counts = {"n_accounts": acc.n,
              "n_open": acc.n - int(np.unique(code[use & (code >= 0)]).size),
              "n_open_renewals": _open_cycles(key, renewal, ~decided & dated,
                                              key[chosen], renewal[chosen]),
              "n_conflicting": conflicting}
    return cycles, counts


def _rank(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Each value's rank among the distinct values (0 = smallest) and how many there are."""
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64, copy=False), len(uniques)


def _cycle_order(key: np.ndarray, renewal: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The permutation ``np.lexsort((positions, order, renewal, key))`` gives: by key, then
    renewal, then order, then position (int64 arrays).

    One stable sort of a single combined key (each column replaced by its rank among its
    few distinct values: renewal and snapshot dates) instead of a lexsort of four keys,
    which took 0.4 s of 1.8M rows; the lexsort when the combined key could overflow.
    """
    renewal_rank, n_renewal = _rank(renewal)
    order_rank, n_order = _rank(order)
    n_key = int(key.max()) + 1 if len(key) else 0
    if len(key) and (key.min() < 0 or n_key * n_renewal * n_order >= 2 ** 62):
        return np.lexsort((np.arange(len(key)), order, renewal, key))
    combined = (key * n_renewal + renewal_rank) * n_order + order_rank
    return np.argsort(combined, kind="stable")


def _open_cycles(key: np.ndarray, renewal: np.ndarray, open_rows: np.ndarray,
                 decided_keys: np.ndarray, decided_renewals: np.ndarray) -> int:
    """Distinct (account, renewal date) pairs seen only on open rows."""
    dates = np.unique(np.concatenate([renewal[open_rows], decided_renewals]))
    width = len(dates) + 1
    pair_open = key[open_rows] * width + np.searchsorted(dates, renewal[open_rows])
    pair_decided = decided_keys * width + np.searchsorted(dates, decided_renewals)
    return int(np.setdiff1d(np.unique(pair_open), pair_decided).size)


def _last_at_or_before(acc, codes: np.ndarray, when: np.ndarray,
                       mask: np.ndarray | None = None) -> np.ndarray:
    """Per query, the row position of account ``codes[i]``'s latest (masked, dated) snapshot
    on or before ``when[i]`` (-1 if none); ties on a date go to the later row position."""
    keep = acc.snap != _NAT
    if mask is not None:
        keep &= mask
    pos = np.flatnonzero(keep)
    if len(pos) == 0 or len(codes) == 0:
        return np.full(len(codes), -1, dtype=np.int64)
    dates, rank = np.unique(acc.snap[pos], return_inverse=True)
    width = len(dates) + 1
    key = acc.codes[pos] * width + rank.reshape(-1)
    order = np.lexsort((pos, key))
    key, pos = key[order], pos[order]
    query_rank = np.searchsorted(dates, when, side="right") - 1
    idx = np.searchsorted(key, codes * width + query_rank, side="right") - 1
    ok = (idx >= 0) & (query_rank >= 0)
    ok[ok] = acc.codes[pos[idx[ok]]] == codes[ok]
    return np.where(ok, pos[np.where(ok, idx, 0)], -1)


def _decision_arr(acc, snapshots: pd.DataFrame, cycles: pd.DataFrame,
                  row: np.ndarray) -> np.ndarray:
    """ARR per cycle: renewals table's, else the last known on or before the renewal date,
    else the judged row's."""
    arr = cycles["arr"].to_numpy(dtype=np.float64).copy()
    if ARR not in snapshots.columns or len(arr) == 0:
        return arr
    row_arr = snapshots[ARR].to_numpy(dtype=np.float64, na_value=np.nan)
    code = cycles["code"].to_numpy()
    renewal = cycles["renewal"].to_numpy()
    need = np.isnan(arr) & (code >= 0) & (renewal != _NAT) & (not acc.cross_sectional)
    if need.any():
        at = _last_at_or_before(acc, code[need], renewal[need], ~np.isnan(row_arr))
        arr[np.flatnonzero(need)[at >= 0]] = row_arr[at[at >= 0]]
    fallback = np.isnan(arr) & (row >= 0)
    arr[fallback] = row_arr[row[fallback]]
    return arr


def decided_renewals(snapshots: pd.DataFrame, renewals: pd.DataFrame | None = None,
                     *, with_arr: bool = True, codes: AccountCodes | None = None
                     ) -> pd.DataFrame:
    """Every decided renewal, judged or not: ``account_id``, ``renewal_date`` (NaT when the
    data has none), ``outcome`` (churned/renewed), ``arr`` (left out when not
    ``with_arr``: finding each decision's ARR reads every snapshot again); sorted by account
    id then renewal date. The same decisions :func:`derive` judges, before any horizon is
    applied. ``codes``: ``account_codes(snapshots)`` when the caller has it already (0.2 s
    at 1.8M rows)."""
    require_columns(snapshots, (ACCOUNT,))
    acc = account_codes(snapshots) if codes is None else codes
    cycles, _ = _cycles(acc, snapshots, renewals)
    out = pd.DataFrame({
        ACCOUNT: cycles["account"].to_numpy(dtype=object),
        RENEWAL: _datetime(cycles["renewal"].to_numpy()),
        OUTCOME: np.where(cycles["outcome"].to_numpy() == _CHURN, CHURNED, "renewed")})
    if with_arr:
        out[ARR] = _decision_arr(acc, snapshots, cycles, np.full(len(cycles), -1, np.int64))
    return out


__all__ = ["DEFAULT_HORIZON_DAYS", "MAX_HORIZON_DAYS", "Decisions", "check_horizon",
           "decided_renewals", "derive", "for_table"]
