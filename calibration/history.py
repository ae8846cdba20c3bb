"""Score-history analytics and the row bookkeeping shared by history-aware modules.

Trends, sharp score drops and one account's band history. Which snapshot judges which renewal
decision lives in :mod:`calibration.decisions`; how long before churn accounts turned red in
:mod:`calibration.early_warning`. The helpers here (account codes, date columns as int64
nanoseconds, outcome codes) are shared by both.

Pure computation on pandas/numpy; this module must never import streamlit.

Input frames use the canonical columns ``account_id``, ``snapshot_date``, ``renewal_date``,
``outcome`` ("churned" / "renewed" / "open") and, for scored frames, ``score`` and ``band``
(0 red, 1 yellow, 2 green, -1 unscored). Other columns pass through untouched. Date columns
must be datetime64 (timezone-aware values are converted to UTC).
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
_DROP_TOLERANCE = 0.5e-9
"""Half a score step: scores are rounded to 1e-9 (:func:`calibration.scoring.round_score`),
so a true drop is a whole number of steps; floating-point noise (~1e-14) stays inside the
tolerance while a drop one step short of ``min_drop`` (14.999999999) stays out."""
MAX_SPAN_DAYS = 100_000
"""A ``within_days`` wider than any real history (callers that pre-select a window)."""


# ---------------------------------------------------------------------------
# Argument checks and column access
# ---------------------------------------------------------------------------


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Raise if ``frame`` is not a DataFrame or lacks one of ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"frame is missing required column(s): {', '.join(map(repr, missing))}")


def check_int(value: Any, name: str, minimum: int) -> int:
    """Return ``value`` as int, raising ValueError unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer number of days, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def date_ns(frame: pd.DataFrame, column: str) -> np.ndarray:
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


def scores(frame: pd.DataFrame) -> np.ndarray:
    """Return the ``score`` column as float64 (NaN = unscored)."""
    series = frame[SCORE]
    if not (pd.api.types.is_numeric_dtype(series.dtype) or series.isna().all()):
        raise ValueError(f"column {SCORE!r} must be numeric, got {series.dtype}")
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def bands(frame: pd.DataFrame) -> np.ndarray:
    """Return the ``band`` column as int64 (missing -> -1, unscored)."""
    series = frame[BAND]
    if not (pd.api.types.is_numeric_dtype(series.dtype) or series.isna().all()):
        raise ValueError(f"column {BAND!r} must be integer band codes, got {series.dtype}")
    return series.fillna(-1).to_numpy(dtype=np.int64)


def outcome_codes(frame: pd.DataFrame, default_open: bool = False) -> np.ndarray:
    """Return per-row outcome codes (0 churned, 1 renewed, 2 open); with ``default_open``
    missing or blank outcomes are open (not decided yet), else they raise."""
    series = frame[OUTCOME]
    if default_open:  # blank or missing: not decided yet (checked on the distinct values)
        codes, uniques = pd.factorize(series, use_na_sentinel=False)
        uniques = [OPEN if pd.isna(u) or str(u).strip() == "" else u for u in uniques]
        unknown = [u for u in uniques if u not in _OUTCOME_CODES]
        if unknown:
            raise ValueError(f"column {OUTCOME!r} has unexpected value(s) {unknown[:5]!r}; "
                             f"expected one of {sorted(_OUTCOME_CODES)}")
        lookup = np.array([_OUTCOME_CODES[u] for u in uniques], dtype=np.int8)
        return lookup[codes] if len(codes) else np.empty(0, dtype=np.int8)
    codes, uniques = pd.factorize(series)
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
class AccountCodes:
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


def last_row(codes: np.ndarray, snap: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Per account, the position of the masked row with the greatest (snapshot, position).

    Returns -1 for accounts without a masked row. Vectorised with ``np.maximum.at``.
    """
    best = np.full(n, _NAT, dtype=np.int64)
    np.maximum.at(best, codes[mask], snap[mask])
    top = mask & (snap == best[codes])
    out = np.full(n, -1, dtype=np.int64)
    np.maximum.at(out, codes[top], np.flatnonzero(top))
    return out


def account_codes(frame: pd.DataFrame) -> AccountCodes:
    """Factorize ``account_id`` and find each account's latest row."""
    codes, uniques = pd.factorize(frame[ACCOUNT])
    if (codes < 0).any():
        raise ValueError(
            f"column {ACCOUNT!r} has a missing value at row position {int(np.argmax(codes < 0))}"
        )
    codes = codes.astype(np.int64, copy=False)
    ids = np.asarray(uniques, dtype=object)
    snap = date_ns(frame, SNAPSHOT)
    latest = last_row(codes, snap, np.ones(len(codes), dtype=bool), len(ids))
    cross = bool(len(snap) > 0 and (snap == _NAT).all())
    return AccountCodes(codes, ids, snap, latest, cross)


def id_list(ids: np.ndarray) -> list:
    """Sorted plain-Python list of account ids."""
    return sorted(ids.tolist(), key=str)


def plural(count: int, singular: str, plural: str | None = None) -> str:
    """Format ``count`` with thousands separators and the right noun form."""
    word = singular if count == 1 else (plural or singular + "s")
    return f"{count:,} {word}"


def latest_rows(frame: pd.DataFrame) -> np.ndarray:
    """Return sorted positions of each account's latest snapshot.

    The latest snapshot is the row with the greatest ``snapshot_date`` (ties go to the later row
    position; an account with only undated rows gets its last row). In cross-sectional data (no
    snapshot dates) every row is returned. Use this for "current state" views only, never for
    validation (see :mod:`calibration.decisions`).
    """
    require_columns(frame, (ACCOUNT,))
    acc = account_codes(frame)
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


def _sorted_scored(acc: AccountCodes, score: np.ndarray) -> _Sorted:
    """Build the sorted view of dated rows with a non-NaN score."""
    keep = np.flatnonzero((acc.snap != _NAT) & ~np.isnan(score))
    dates, rank = np.unique(acc.snap[keep], return_inverse=True)
    key = acc.codes[keep] * (len(dates) + 1) + rank.reshape(-1)
    order = np.argsort(key, kind="stable")
    pos = keep[order]
    return _Sorted(pos, acc.codes[pos], acc.snap[pos], score[pos], key[order], dates)


def to_datetime(ns: np.ndarray) -> np.ndarray:
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
    require_columns(frame, (ACCOUNT, SCORE))
    window = check_int(window_days, "window_days", minimum=1)
    acc = account_codes(frame)
    score = scores(frame)
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
            "latest_date": to_datetime(latest_snap),
            "latest_score": latest_score,
            "earlier_date": to_datetime(earlier_snap),
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
    require_columns(frame, (ACCOUNT, SCORE))
    if isinstance(min_drop, bool) or not isinstance(min_drop, Real) or not min_drop > 0:
        raise ValueError(f"min_drop must be a positive number of points, got {min_drop!r}")
    within = check_int(within_days, "within_days", minimum=1)
    acc = account_codes(frame)
    srt = _sorted_scored(acc, scores(frame))
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
            "from_date": to_datetime(srt.snap[src]),
            "from_score": srt.score[src],
            "to_date": to_datetime(srt.snap[to]),
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
    require_columns(frame, (ACCOUNT, SCORE, BAND))
    rows = frame.loc[(frame[ACCOUNT] == account_id).to_numpy()]
    if rows.empty:
        raise ValueError(f"account_id {account_id!r} not found in column {ACCOUNT!r}")
    if SNAPSHOT in rows.columns:
        rows = rows.sort_values(SNAPSHOT, kind="stable", na_position="last")
    rows = rows.reset_index(drop=True)
    band = bands(rows)
    changed = np.zeros(len(rows), dtype=bool)
    changed[1:] = band[1:] != band[:-1]
    return rows.assign(band_changed=changed)
