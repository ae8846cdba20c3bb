"""Point-in-time selection and score-history analytics.

Validation must never leak the future: after a churn decision usage collapses, so judging an
account on its latest snapshot makes any score look prophetic. :func:`point_in_time` therefore
picks, for every decided account, the snapshot it had ``horizon_days`` before its renewal
decision. The other functions describe how scores moved over time (trends, drops, lead time of
red bands before churn, one account's band history).

Pure computation on pandas/numpy; this module must never import streamlit.

Input frames use the canonical columns ``account_id``, ``snapshot_date``, ``renewal_date``,
``outcome`` ("churned" / "renewed" / "open") and, for scored frames, ``score`` and ``band``
(0 red, 1 yellow, 2 green, -1 unscored). Other columns pass through untouched.

Account-level facts (outcome, renewal date) are read from each account's latest snapshot row
(latest ``snapshot_date``; ties and undated rows resolved by the later row position), so a
frame that repeats them on every row and one that only fills them on the latest row agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

ACCOUNT = "account_id"
SNAPSHOT = "snapshot_date"
RENEWAL = "renewal_date"
OUTCOME = "outcome"
SCORE = "score"
BAND = "band"

CHURNED = "churned"
RENEWED = "renewed"
OPEN = "open"
RED = 0

_OUTCOME_CODES = {CHURNED: 0, RENEWED: 1, OPEN: 2}
_CHURNED, _RENEWED, _OPEN = 0, 1, 2
_NAT = np.iinfo(np.int64).min
_DAY_NS = 86_400 * 10**9
_BUCKET_DAYS = 30
_DROP_TOLERANCE = 1e-9


# ---------------------------------------------------------------------------
# Argument checks and column access
# ---------------------------------------------------------------------------


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Raise if ``frame`` is not a DataFrame or lacks one of ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"frame is missing required column(s): {', '.join(map(repr, missing))}")


def _check_int(value: Any, name: str, minimum: int) -> int:
    """Return ``value`` as int, raising ValueError unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer number of days, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _date_ns(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return ``column`` as int64 nanoseconds with NaT as ``_NAT`` (all NaT if absent)."""
    if column not in frame.columns:
        return np.full(len(frame), _NAT, dtype=np.int64)
    series = frame[column]
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert(None)
    elif not pd.api.types.is_datetime64_dtype(series.dtype):
        if series.isna().all():
            return np.full(len(frame), _NAT, dtype=np.int64)
        raise ValueError(
            f"column {column!r} must be datetime64, got {series.dtype}; "
            "parse it with pd.to_datetime first"
        )
    return series.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _scores(frame: pd.DataFrame) -> np.ndarray:
    """Return the ``score`` column as float64 (NaN = unscored)."""
    series = frame[SCORE]
    if not (pd.api.types.is_numeric_dtype(series.dtype) or series.isna().all()):
        raise ValueError(f"column {SCORE!r} must be numeric, got {series.dtype}")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _bands(frame: pd.DataFrame) -> np.ndarray:
    """Return the ``band`` column as int64 (missing -> -1, unscored)."""
    series = frame[BAND]
    if not (pd.api.types.is_numeric_dtype(series.dtype) or series.isna().all()):
        raise ValueError(f"column {BAND!r} must be integer band codes, got {series.dtype}")
    return series.fillna(-1).to_numpy(dtype=np.int64)


def _outcome_codes(frame: pd.DataFrame) -> np.ndarray:
    """Return per-row outcome codes (0 churned, 1 renewed, 2 open)."""
    codes, uniques = pd.factorize(frame[OUTCOME])
    if (codes < 0).any():
        example = frame[ACCOUNT].iloc[int(np.argmax(codes < 0))]
        raise ValueError(
            f"column {OUTCOME!r} has missing values (e.g. account {example!r}); "
            f"expected one of {sorted(_OUTCOME_CODES)}"
        )
    unknown = [u for u in uniques if u not in _OUTCOME_CODES]
    if unknown:
        raise ValueError(
            f"column {OUTCOME!r} has unexpected value(s) {unknown[:5]!r}; "
            f"expected one of {sorted(_OUTCOME_CODES)}"
        )
    lookup = np.array([_OUTCOME_CODES[u] for u in uniques], dtype=np.int8)
    return lookup[codes]


# ---------------------------------------------------------------------------
# Shared account bookkeeping
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Accounts:
    """Dense account codes and each account's latest row."""

    codes: np.ndarray  # per row: account code 0..n_accounts-1 (first-appearance order)
    ids: np.ndarray  # per account code: account id (object array)
    snap: np.ndarray  # per row: snapshot date in ns, _NAT when missing
    latest: np.ndarray  # per account code: row position of its latest snapshot
    cross_sectional: bool  # no snapshot dates at all (and at least one row)

    @property
    def n(self) -> int:
        """Number of distinct accounts."""
        return len(self.ids)


def _last_row(codes: np.ndarray, snap: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Per account, the position of the masked row with the greatest (snapshot, position).

    Returns -1 for accounts without a masked row. Vectorised with ``np.maximum.at``.
    """
    best = np.full(n, _NAT, dtype=np.int64)
    np.maximum.at(best, codes[mask], snap[mask])
    top = mask & (snap == best[codes])
    out = np.full(n, -1, dtype=np.int64)
    np.maximum.at(out, codes[top], np.flatnonzero(top))
    return out


def _accounts(frame: pd.DataFrame) -> _Accounts:
    """Factorize ``account_id`` and find each account's latest row."""
    codes, uniques = pd.factorize(frame[ACCOUNT])
    if (codes < 0).any():
        raise ValueError(
            f"column {ACCOUNT!r} has a missing value at row position {int(np.argmax(codes < 0))}"
        )
    codes = codes.astype(np.int64, copy=False)
    ids = np.asarray(uniques, dtype=object)
    snap = _date_ns(frame, SNAPSHOT)
    latest = _last_row(codes, snap, np.ones(len(codes), dtype=bool), len(ids))
    cross = bool(len(snap) > 0 and (snap == _NAT).all())
    return _Accounts(codes, ids, snap, latest, cross)


def _id_list(ids: np.ndarray) -> list:
    """Sorted plain-Python list of account ids."""
    return sorted(ids.tolist(), key=str)


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    """Format ``count`` with thousands separators and the right noun form."""
    word = singular if count == 1 else (plural or singular + "s")
    return f"{count:,} {word}"


# ---------------------------------------------------------------------------
# Point-in-time selection
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PointInTime:
    """Which rows to judge when validating scores against renewal outcomes.

    Attributes
    ----------
    rows : np.ndarray
        Sorted integer positions into the frame (use ``frame.iloc[rows]``), one per judged
        account.
    n_accounts, n_decided, n_open : int
        Distinct accounts; accounts with outcome churned/renewed; open accounts (not validated).
    excluded_no_early_snapshot : list
        Decided accounts without a snapshot ``horizon_days`` before renewal (sorted ids).
    excluded_no_renewal_date : list
        Decided accounts whose renewal date is missing (sorted ids).
    horizon_days : int or None
        Horizon used; None in cross-sectional mode.
    cross_sectional : bool
        True when the frame has no snapshot dates (one row per account is judged as is).
    """

    rows: np.ndarray
    n_accounts: int
    n_decided: int
    n_open: int
    excluded_no_early_snapshot: list
    excluded_no_renewal_date: list
    horizon_days: int | None
    cross_sectional: bool

    @property
    def n_judged(self) -> int:
        """Number of accounts judged (``len(rows)``)."""
        return len(self.rows)

    def summary(self) -> dict[str, Any]:
        """Return a JSON-able dict of counts, exclusions and the plain-language description."""
        return {
            "horizon_days": self.horizon_days,
            "cross_sectional": self.cross_sectional,
            "n_accounts": self.n_accounts,
            "n_decided": self.n_decided,
            "n_open": self.n_open,
            "n_judged": self.n_judged,
            "n_excluded_no_early_snapshot": len(self.excluded_no_early_snapshot),
            "n_excluded_no_renewal_date": len(self.excluded_no_renewal_date),
            "excluded_no_early_snapshot": list(self.excluded_no_early_snapshot),
            "excluded_no_renewal_date": list(self.excluded_no_renewal_date),
            "description": self.describe(),
        }

    def describe(self) -> str:
        """Return a one-sentence plain-language account of what was judged and excluded."""
        parts = [self._judged_phrase()]
        if self.n_open:
            parts.append(f"{_plural(self.n_open, 'open account')} not validated")
        if self.excluded_no_early_snapshot:
            k = len(self.excluded_no_early_snapshot)
            verb = "was" if k == 1 else "were"
            parts.append(f"{_plural(k, 'account')} had no snapshot that early and {verb} excluded")
        if self.excluded_no_renewal_date:
            k = len(self.excluded_no_renewal_date)
            verb = "was" if k == 1 else "were"
            parts.append(f"{_plural(k, 'decided account')} had no renewal date and {verb} excluded")
        return "; ".join(parts) + "."

    def _judged_phrase(self) -> str:
        """First clause of :meth:`describe`."""
        n = self.n_judged
        judged = f"Judged {_plural(n, 'account')}"
        if self.cross_sectional:
            return (
                f"{judged} on their only snapshot (no snapshot dates, so no horizon was applied "
                "and scores may reflect what happened after the decision)"
            )
        they, their = ("it", "its") if n == 1 else ("they", "their")
        if self.horizon_days == 0:
            return f"{judged} as {they} stood on {their} renewal date"
        return (
            f"{judged} as {they} stood {_plural(self.horizon_days, 'day')} before {their} renewal"
        )


def point_in_time(frame: pd.DataFrame, horizon_days: int = 90) -> PointInTime:
    """Select, per decided account, the snapshot to judge it on.

    For each account with outcome churned/renewed the judged row is its latest snapshot with
    ``snapshot_date <= renewal_date - horizon_days`` (equality allowed; ties on the same date go
    to the later row position). Open accounts are counted but never judged. If the frame has no
    snapshot dates (column absent or all NaT) it is cross-sectional: every decided account must
    have exactly one row, which is judged as is, and ``horizon_days`` is recorded as None.

    Parameters
    ----------
    frame : pd.DataFrame
        Canonical frame with ``account_id``, ``outcome``, ``renewal_date`` and optionally
        ``snapshot_date``.
    horizon_days : int, default 90
        How many days before the renewal decision each account is judged.

    Returns
    -------
    PointInTime
        Selected row positions plus counts of open and excluded accounts.

    Raises
    ------
    ValueError
        On missing/ill-typed columns, unknown outcomes, a negative horizon, or (cross-sectional
        data) an account with several undated rows.
    """
    _require_columns(frame, (ACCOUNT, OUTCOME))
    horizon = _check_int(horizon_days, "horizon_days", minimum=0)
    acc = _accounts(frame)
    outcome = _outcome_codes(frame)[acc.latest] if acc.n else np.empty(0, dtype=np.int8)
    decided = outcome != _OPEN
    counts = {
        "n_accounts": acc.n,
        "n_decided": int(decided.sum()),
        "n_open": int(acc.n - decided.sum()),
    }
    if acc.cross_sectional:
        return _cross_sectional_pit(acc, decided, counts)
    _require_columns(frame, (RENEWAL,))
    renewal = _date_ns(frame, RENEWAL)[acc.latest]
    no_renewal = decided & (renewal == _NAT)
    judged = decided & ~no_renewal
    cutoff = np.where(judged, np.where(judged, renewal, 0) - horizon * _DAY_NS, _NAT)
    eligible = (acc.snap != _NAT) & judged[acc.codes] & (acc.snap <= cutoff[acc.codes])
    chosen = _last_row(acc.codes, acc.snap, eligible, acc.n)
    rows = np.sort(chosen[chosen >= 0])
    rows.flags.writeable = False
    return PointInTime(
        rows=rows,
        excluded_no_early_snapshot=_id_list(acc.ids[judged & (chosen < 0)]),
        excluded_no_renewal_date=_id_list(acc.ids[no_renewal]),
        horizon_days=horizon,
        cross_sectional=False,
        **counts,
    )


def _cross_sectional_pit(acc: _Accounts, decided: np.ndarray, counts: dict) -> PointInTime:
    """Point-in-time result for undated data: each decided account's single row."""
    per_account = np.bincount(acc.codes, minlength=acc.n)
    if (per_account > 1).any():
        code = int(np.argmax(per_account > 1))
        raise ValueError(
            f"column {SNAPSHOT!r} has no dates (single-snapshot data) but account_id "
            f"{acc.ids[code]!r} has {int(per_account[code])} rows; without dates there is no way "
            "to tell which row stood before the renewal decision"
        )
    rows = np.sort(acc.latest[decided])
    rows.flags.writeable = False
    return PointInTime(
        rows=rows,
        excluded_no_early_snapshot=[],
        excluded_no_renewal_date=[],
        horizon_days=None,
        cross_sectional=True,
        **counts,
    )


def latest_rows(frame: pd.DataFrame) -> np.ndarray:
    """Return sorted positions of each account's latest snapshot.

    The latest snapshot is the row with the greatest ``snapshot_date`` (ties go to the later row
    position; an account with only undated rows gets its last row). In cross-sectional data (no
    snapshot dates) every row is returned. Use this for "current state" views only, never for
    validation (see :func:`point_in_time`).
    """
    _require_columns(frame, (ACCOUNT,))
    acc = _accounts(frame)
    if acc.cross_sectional:
        return np.arange(len(frame), dtype=np.int64)
    return np.sort(acc.latest)


# ---------------------------------------------------------------------------
# Sorted score histories (trend and drops)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Sorted:
    """Scored, dated rows sorted by (account code, snapshot date, position)."""

    pos: np.ndarray  # row positions into the frame
    codes: np.ndarray
    snap: np.ndarray
    score: np.ndarray
    key: np.ndarray  # exact composite sort key: code * (n_dates + 1) + date rank
    dates: np.ndarray  # sorted unique snapshot dates (ns)

    def first_at_or_after(self, codes: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Index of each account's first row dated >= ``when`` (-1 if none)."""
        rank = np.searchsorted(self.dates, when, side="left")
        idx = np.searchsorted(self.key, codes * (len(self.dates) + 1) + rank, side="left")
        ok = idx < len(self.key)
        ok[ok] = self.codes[idx[ok]] == codes[ok]
        return np.where(ok, idx, -1)

    def last_at_or_before(self, codes: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Index of each account's last row dated <= ``when`` (-1 if none)."""
        rank = np.searchsorted(self.dates, when, side="right") - 1
        idx = np.searchsorted(self.key, codes * (len(self.dates) + 1) + rank, side="right") - 1
        ok = idx >= 0
        ok[ok] = self.codes[idx[ok]] == codes[ok]
        return np.where(ok, idx, -1)


def _sorted_scored(acc: _Accounts, score: np.ndarray) -> _Sorted:
    """Build the sorted view of dated rows with a non-NaN score."""
    keep = np.flatnonzero((acc.snap != _NAT) & ~np.isnan(score))
    dates, rank = np.unique(acc.snap[keep], return_inverse=True)
    key = acc.codes[keep] * (len(dates) + 1) + rank.reshape(-1)
    order = np.argsort(key, kind="stable")
    pos = keep[order]
    return _Sorted(pos, acc.codes[pos], acc.snap[pos], score[pos], key[order], dates)


def _to_datetime(ns: np.ndarray) -> np.ndarray:
    """int64 ns (``_NAT`` = missing) to datetime64[ns]."""
    return ns.astype(np.int64).view("datetime64[ns]")


def score_trend(frame: pd.DataFrame, window_days: int = 90) -> pd.DataFrame:
    """Per-account score trend over the last ``window_days``.

    Definitions (``latest`` = the account's latest snapshot, see :func:`latest_rows`):

    - ``latest_score``: score on the latest snapshot (NaN if that snapshot is unscored).
    - ``earlier_date`` / ``earlier_score``: the latest *scored* snapshot dated at or before
      ``latest_date - window_days`` (NaT/NaN if none).
    - ``change``: ``latest_score - earlier_score``.
    - ``slope_per_30d``: least-squares slope of score on date, in points per 30 days, over the
      scored snapshots dated in ``[latest_date - window_days, latest_date]`` (``n_points`` of
      them); NaN with fewer than 2 distinct dates.

    Cross-sectional data gives ``latest_score`` only (other columns NaN/NaT).

    Returns
    -------
    pd.DataFrame
        One row per account (first-appearance order): ``account_id``, ``latest_date``,
        ``latest_score``, ``earlier_date``, ``earlier_score``, ``change``, ``slope_per_30d``,
        ``n_points``.
    """
    _require_columns(frame, (ACCOUNT, SCORE))
    window = _check_int(window_days, "window_days", minimum=1)
    acc = _accounts(frame)
    score = _scores(frame)
    latest_snap = acc.snap[acc.latest]
    latest_score = score[acc.latest]
    earlier_snap = np.full(acc.n, _NAT, dtype=np.int64)
    earlier_score = np.full(acc.n, np.nan)
    slope = np.full(acc.n, np.nan)
    n_points = np.zeros(acc.n, dtype=np.int64)
    if not acc.cross_sectional and acc.n:
        srt = _sorted_scored(acc, score)
        dated = latest_snap != _NAT
        codes = np.flatnonzero(dated)
        idx = srt.last_at_or_before(codes, latest_snap[dated] - window * _DAY_NS)
        found = codes[idx >= 0]
        earlier_snap[found] = srt.snap[idx[idx >= 0]]
        earlier_score[found] = srt.score[idx[idx >= 0]]
        slope, n_points = _window_slope(srt, latest_snap, window, acc.n)
    return pd.DataFrame(
        {
            ACCOUNT: acc.ids,
            "latest_date": _to_datetime(latest_snap),
            "latest_score": latest_score,
            "earlier_date": _to_datetime(earlier_snap),
            "earlier_score": earlier_score,
            "change": latest_score - earlier_score,
            "slope_per_30d": slope,
            "n_points": n_points,
        }
    )


def _window_slope(
    srt: _Sorted, latest_snap: np.ndarray, window: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope (points per 30 days) and point count per account in the window."""
    anchor = latest_snap[srt.codes]
    inside = srt.snap >= anchor - window * _DAY_NS
    codes = srt.codes[inside]
    x = (srt.snap[inside] - anchor[inside]) / _DAY_NS
    y = srt.score[inside]
    count = np.bincount(codes, minlength=n).astype(np.float64)
    sx = np.bincount(codes, weights=x, minlength=n)
    sy = np.bincount(codes, weights=y, minlength=n)
    sxx = np.bincount(codes, weights=x * x, minlength=n)
    sxy = np.bincount(codes, weights=x * y, minlength=n)
    var = count * sxx - sx * sx
    ok = (count >= 2) & (var > 1e-12)
    slope = np.full(n, np.nan)
    slope[ok] = (count[ok] * sxy[ok] - sx[ok] * sy[ok]) / var[ok] * _BUCKET_DAYS
    return slope, count.astype(np.int64)


def _range_max(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple:
    """Max and argmax of ``values[lo:hi + 1]`` per query (sparse table, latest argmax on ties).

    Requires ``lo <= hi`` for every query. O(n log w) for maximal range length w.
    """
    length = hi - lo + 1
    levels = int(np.log2(length.max())) + 1 if len(length) else 1
    table_val, table_arg = [values], [np.arange(len(values))]
    for k in range(1, levels):
        half = 1 << (k - 1)
        prev_v, prev_a = table_val[-1], table_arg[-1]
        left_v, right_v = prev_v[:-half], prev_v[half:]
        take_right = right_v >= left_v
        table_val.append(np.where(take_right, right_v, left_v))
        table_arg.append(np.where(take_right, prev_a[half:], prev_a[:-half]))
    level = np.floor(np.log2(length)).astype(np.int64)
    best_v = np.empty(len(lo))
    best_a = np.empty(len(lo), dtype=np.int64)
    for k in np.unique(level):
        q = level == k
        a_lo, a_hi = lo[q], hi[q] - (1 << k) + 1
        v_lo, v_hi = table_val[k][a_lo], table_val[k][a_hi]
        take_hi = v_hi >= v_lo
        best_v[q] = np.where(take_hi, v_hi, v_lo)
        best_a[q] = np.where(take_hi, table_arg[k][a_hi], table_arg[k][a_lo])
    return best_v, best_a


_DROP_COLUMNS = [ACCOUNT, "from_date", "from_score", "to_date", "to_score", "drop"]


def score_drops(frame: pd.DataFrame, min_drop: float = 15, within_days: int = 90) -> pd.DataFrame:
    """Accounts whose score fell by at least ``min_drop`` points within ``within_days``.

    Each scored snapshot ("to") is compared with the highest score among the same account's
    scored snapshots dated strictly earlier and at most ``within_days`` before it (distance
    ``<= within_days`` counts; on equal highs the most recent one is the "from" snapshot).
    ``drop = from_score - to_score``; only drops ``>= min_drop`` are kept, and each account is
    reported once, at its largest drop (earliest "to" date on ties). Unscored (NaN) and undated
    snapshots are ignored, so cross-sectional data returns an empty frame.

    Vectorised: one sort plus a sparse-table range maximum, O(n log w).

    Returns
    -------
    pd.DataFrame
        Columns ``account_id``, ``from_date``, ``from_score``, ``to_date``, ``to_score``,
        ``drop``; sorted by ``drop`` descending, then ``account_id``.
    """
    _require_columns(frame, (ACCOUNT, SCORE))
    if isinstance(min_drop, bool) or not isinstance(min_drop, Real) or not min_drop > 0:
        raise ValueError(f"min_drop must be a positive number of points, got {min_drop!r}")
    within = _check_int(within_days, "within_days", minimum=1)
    acc = _accounts(frame)
    srt = _sorted_scored(acc, _scores(frame))
    lo = srt.first_at_or_after(srt.codes, srt.snap - within * _DAY_NS)
    hi = srt.first_at_or_after(srt.codes, srt.snap) - 1  # strictly earlier dates only
    to = np.flatnonzero(hi >= lo)
    if len(to) == 0:
        return _empty_drops(frame)
    peak, src = _range_max(srt.score, lo[to], hi[to])
    drop = peak - srt.score[to]
    keep = drop >= float(min_drop) - _DROP_TOLERANCE
    to, src, drop = to[keep], src[keep], drop[keep]
    best = np.lexsort((to, -drop, srt.codes[to]))  # per account: largest drop, earliest "to"
    first = np.ones(len(best), dtype=bool)
    first[1:] = srt.codes[to[best]][1:] != srt.codes[to[best]][:-1]
    to, src, drop = to[best[first]], src[best[first]], drop[best[first]]
    out = pd.DataFrame(
        {
            ACCOUNT: acc.ids[srt.codes[to]],
            "from_date": _to_datetime(srt.snap[src]),
            "from_score": srt.score[src],
            "to_date": _to_datetime(srt.snap[to]),
            "to_score": srt.score[to],
            "drop": drop,
        }
    )
    out["_id"] = out[ACCOUNT].astype(str)
    out = out.sort_values(["drop", "_id"], ascending=[False, True], kind="stable")
    return out.drop(columns="_id").reset_index(drop=True)


def _empty_drops(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty result of :func:`score_drops` with the right columns and dtypes."""
    return pd.DataFrame(
        {
            ACCOUNT: pd.Series([], dtype=frame[ACCOUNT].dtype),
            "from_date": pd.Series([], dtype="datetime64[ns]"),
            "from_score": pd.Series([], dtype=np.float64),
            "to_date": pd.Series([], dtype="datetime64[ns]"),
            "to_score": pd.Series([], dtype=np.float64),
            "drop": pd.Series([], dtype=np.float64),
        }
    )


# ---------------------------------------------------------------------------
# Lead time of red bands before churn
# ---------------------------------------------------------------------------


def _lead_time_empty(lookback: int, reason: str, **counts: Any) -> dict[str, Any]:
    """Lead-time result whose statistics are undefined, with a ``reason``."""
    result: dict[str, Any] = {
        "lookback_days": lookback,
        "n_churned": 0,
        "n_no_renewal_date": 0,
        "n_with_history": None,
        "n_ever_red": None,
        "n_never_red": None,
        "median_days": None,
        "p25_days": None,
        "p75_days": None,
        "distribution": [],
        "per_account": [],
        "reason": reason,
    }
    result.update(counts)
    return result


def _distribution(lead: np.ndarray, lookback: int) -> list[dict[str, int]]:
    """Histogram of lead days in 30-day buckets ``[from, to)``; the last bucket ends at lookback
    inclusive."""
    edges = np.array([*range(0, lookback, _BUCKET_DAYS), lookback])
    counts, _ = np.histogram(lead, bins=edges)
    return [
        {"from_days": int(lo), "to_days": int(hi), "accounts": int(c)}
        for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]


def lead_time(frame: pd.DataFrame, lookback_days: int = 365) -> dict[str, Any]:
    """How long before churn churned accounts first turned red.

    Definition: for each churned account with a renewal date ``R`` (its churn date), its
    *window* is the snapshots dated in ``[R - lookback_days, R)`` (strictly before ``R``). The
    account "has history" if the window is non-empty. Its lead time is
    ``floor((R - first red snapshot date in the window) / 1 day)``, where red means
    ``band == 0``; accounts with history but no red snapshot in the window are "never red"
    (``lead_days`` None). Percentiles (numpy linear interpolation) and the histogram use only
    the ever-red accounts. Red snapshots before the window or on/after ``R`` are ignored.

    Returns
    -------
    dict
        JSON-able: ``lookback_days``, ``n_churned``, ``n_no_renewal_date``,
        ``n_with_history``, ``n_ever_red``, ``n_never_red``, ``median_days``, ``p25_days``,
        ``p75_days``, ``distribution`` (list of ``{"from_days", "to_days", "accounts"}``,
        30-day buckets ``[from, to)``, the last one closed at ``lookback_days``),
        ``per_account`` (list of ``{"account_id", "lead_days", "has_history"}``, sorted by id)
        and ``reason`` (None, or why the statistics are None). Never contains NaN.
    """
    _require_columns(frame, (ACCOUNT, OUTCOME, RENEWAL, BAND))
    lookback = _check_int(lookback_days, "lookback_days", minimum=1)
    acc = _accounts(frame)
    band = _bands(frame)
    outcome = _outcome_codes(frame)[acc.latest] if acc.n else np.empty(0, dtype=np.int8)
    renewal = _date_ns(frame, RENEWAL)[acc.latest]
    churned = outcome == _CHURNED
    n_churned = int(churned.sum())
    if n_churned == 0:
        return _lead_time_empty(
            lookback, "No churned accounts, so there is no lead time to measure."
        )
    if acc.cross_sectional:
        return _lead_time_empty(
            lookback,
            "Snapshot dates are missing (single-snapshot data), so lead time cannot be measured.",
            n_churned=n_churned,
        )
    has_date = churned & (renewal != _NAT)
    end = np.where(has_date, renewal, _NAT)[acc.codes]
    start = np.where(has_date, np.where(has_date, renewal, 0) - lookback * _DAY_NS, _NAT)
    in_window = has_date[acc.codes] & (acc.snap >= start[acc.codes]) & (acc.snap < end)
    in_window &= acc.snap != _NAT
    with_history = np.bincount(acc.codes[in_window], minlength=acc.n) > 0
    first_red = np.full(acc.n, np.iinfo(np.int64).max, dtype=np.int64)
    red = in_window & (band == RED)
    np.minimum.at(first_red, acc.codes[red], acc.snap[red])
    ever_red = with_history & (first_red != np.iinfo(np.int64).max)
    lead = np.full(acc.n, -1, dtype=np.int64)
    lead[ever_red] = (renewal[ever_red] - first_red[ever_red]) // _DAY_NS
    return _lead_time_result(acc, churned, has_date, with_history, ever_red, lead, lookback)


def _lead_time_result(
    acc: _Accounts,
    churned: np.ndarray,
    has_date: np.ndarray,
    with_history: np.ndarray,
    ever_red: np.ndarray,
    lead: np.ndarray,
    lookback: int,
) -> dict[str, Any]:
    """Assemble the JSON-able lead-time dict from per-account arrays."""
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
    codes = np.flatnonzero(churned)
    per_account = sorted(
        (
            {
                "account_id": acc.ids[c],
                "lead_days": int(lead[c]) if ever_red[c] else None,
                "has_history": bool(with_history[c]),
            }
            for c in codes.tolist()
        ),
        key=lambda item: str(item["account_id"]),
    )
    return {
        "lookback_days": lookback,
        "n_churned": int(churned.sum()),
        "n_no_renewal_date": int((churned & ~has_date).sum()),
        "n_with_history": n_history,
        "n_ever_red": n_red,
        "n_never_red": n_history - n_red,
        **stats,
        "distribution": _distribution(leads, lookback) if n_history else [],
        "per_account": per_account,
        "reason": reason,
    }


# ---------------------------------------------------------------------------
# Drill-down
# ---------------------------------------------------------------------------


def band_history(frame: pd.DataFrame, account_id: Any) -> pd.DataFrame:
    """One account's snapshots sorted by date, with a ``band_changed`` flag.

    ``band_changed`` is True where ``band`` differs from the previous snapshot's band (any
    change, including to/from unscored -1); False on the first snapshot. Rows are sorted by
    ``snapshot_date`` (stable; undated rows last) with a fresh RangeIndex; all columns pass
    through.

    Raises
    ------
    ValueError
        If ``account_id`` does not occur in the frame.
    """
    _require_columns(frame, (ACCOUNT, SCORE, BAND))
    rows = frame.loc[(frame[ACCOUNT] == account_id).to_numpy()]
    if rows.empty:
        raise ValueError(f"account_id {account_id!r} not found in column {ACCOUNT!r}")
    if SNAPSHOT in rows.columns:
        rows = rows.sort_values(SNAPSHOT, kind="stable", na_position="last")
    rows = rows.reset_index(drop=True)
    band = _bands(rows)
    changed = np.zeros(len(rows), dtype=bool)
    changed[1:] = band[1:] != band[:-1]
    return rows.assign(band_changed=changed)
