"""Churn by group: band table with Wilson CIs, lift, monotonicity, surprise churn, alert
precision/recall, and churn by score quantile bin (calibration)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from calibration.metrics.base import (
    BAND_NAMES,
    GREEN,
    RED,
    YELLOW,
    Result,
    _check_arr,
    _check_band,
    _check_churned,
    _check_ids,
    _check_n_bins,
    _group,
    _Groups,
    _ok,
    _rate,
    _scored,
    _undefined,
)


def wilson_ci(k: ArrayLike, n: ArrayLike, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``k`` successes of ``n`` (n > 0), vectorised.

    The closed form statsmodels' ``proportion_confint(method="wilson")`` uses (tests check
    the two agree), without importing statsmodels.stats (~1 s)."""
    from statistics import NormalDist

    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = NormalDist().inv_cdf(1 - alpha / 2)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        q = k / n
        denom = 1 + z2 / n
        center = (q + z2 / (2 * n)) / denom
        half = z * np.sqrt(q * (1 - q) / n + z2 / (4 * n * n)) / denom
    return np.clip(center - half, 0, 1), np.clip(center + half, 0, 1)


def _arr_sums(b: np.ndarray, c: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per band: total ARR, churned ARR, rows with unknown ARR."""
    known = ~np.isnan(a)
    a0 = np.where(known, a, 0.0)
    total = np.bincount(b, weights=a0, minlength=3)
    churned = np.bincount(b, weights=np.where(c, a0, 0.0), minlength=3)
    missing = np.bincount(b, weights=(~known).astype(float), minlength=3)
    return total, churned, missing


def _band_row(code: int, n: int, k: int, ci: tuple[float, float] | None) -> dict[str, Any]:
    """Account-count part of one band row."""
    return {
        "band": BAND_NAMES[code],
        "code": code,
        "accounts": n,
        "churned": k,
        "renewed": n - k,
        "churn_rate": _rate(k, n),
        "churn_rate_ci": None if ci is None else [float(ci[0]), float(ci[1])],
        "notes": [] if n else ["empty band"],
    }


def _add_arr(row: dict[str, Any], total: float, churned: float, missing: int | None) -> None:
    """ARR part of one band row (``missing`` None means no ARR supplied)."""
    if missing is None:
        row.update(arr=None, churned_arr=None, arr_churn_rate=None, arr_unknown=None)
        row["notes"].append("no ARR supplied")
        return
    row.update(arr=float(total), churned_arr=float(churned), arr_churn_rate=_rate(churned, total))
    row["arr_unknown"] = int(missing)
    if total <= 0 and row["accounts"]:
        row["notes"].append("no known ARR in band")


def _lift(rows: list[dict[str, Any]]) -> Result:
    """Red churn rate divided by green churn rate."""
    red, green = rows[RED]["churn_rate"], rows[GREEN]["churn_rate"]
    if red is None:
        return _undefined("red band is empty")
    if green is None:
        return _undefined("green band is empty")
    if green == 0:
        return _undefined("no churn in the green band (lift is unbounded)")
    return _ok(red / green)


def _monotone(rates: Sequence[float | None], labels: Sequence[str],
              cis: Sequence[Sequence[float] | None] | None = None) -> Result:
    """Whether defined churn rates never rise along ``rates`` (None entries skipped).

    With ``cis`` (95% CI per group), ``noise_only`` says whether every rise is within noise:
    True when no later group's CI lies entirely above an earlier group's CI.
    """
    cis = cis if cis is not None else [None] * len(rates)
    kept = [(r, lab, ci) for r, lab, ci in zip(rates, labels, cis, strict=True)
            if r is not None]
    if len(kept) < 2:
        return _undefined("fewer than 2 non-empty groups to compare", compared=[])
    values = [r for r, _, _ in kept]
    flag = all(a >= b for a, b in itertools.pairwise(values))
    extra: dict[str, Any] = {"compared": [lab for _, lab, _ in kept]}
    if all(ci is not None for _, _, ci in kept):
        bounds = [ci for _, _, ci in kept]
        clear = [f"{kept[j][1]} above {kept[i][1]}" for i in range(len(kept))
                 for j in range(i + 1, len(kept)) if bounds[j][0] > bounds[i][1]]
        extra["noise_only"] = not flag and not clear
        extra["clear_reversals"] = clear
    return _ok(flag, **extra)


def band_table(band: ArrayLike, churned: ArrayLike, arr: ArrayLike | None = None) -> Result:
    """Churn by band: counts, churn rate with Wilson 95% CI, ARR, lift and monotonicity.

    Returns
    -------
    dict
        ``rows`` (red, yellow, green; each ``accounts``, ``churned``, ``renewed``,
        ``churn_rate``, ``churn_rate_ci``, ``arr``, ``churned_arr``, ``arr_churn_rate``,
        ``arr_unknown``, ``notes``), ``lift`` (red rate / green rate), ``monotone`` (churn
        rate non-increasing red -> yellow -> green over non-empty bands), ``n_unscored``.
    """
    b = _check_band(band)
    c = _check_churned(churned, b.shape[0])
    a = _check_arr(arr, b.shape[0])
    scored = b >= 0
    bs, cs = b[scored], c[scored]
    n = np.bincount(bs, minlength=3)
    k = np.bincount(bs, weights=cs.astype(float), minlength=3).round().astype(np.int64)
    has = n > 0
    lo, hi = np.zeros(3), np.zeros(3)
    if has.any():
        lo[has], hi[has] = wilson_ci(k[has], n[has])
    cis = [(lo[i], hi[i]) if has[i] else None for i in range(3)]
    rows = [_band_row(i, int(n[i]), int(k[i]), cis[i]) for i in range(3)]
    sums = None if a is None else _arr_sums(bs, cs, a[scored])
    for i, row in enumerate(rows):
        if sums is None:
            _add_arr(row, 0.0, 0.0, None)
        else:
            _add_arr(row, sums[0][i], sums[1][i], int(sums[2][i]))
    return {
        "rows": rows,
        "lift": _lift(rows),
        "monotone": _monotone([r["churn_rate"] for r in rows], BAND_NAMES,
                              [r.get("churn_rate_ci") for r in rows]),
        "n_unscored": int((~scored).sum()),
    }


def _id_list(ids: np.ndarray | None, mask: np.ndarray) -> list[Any]:
    """Plain-Python ids (row positions when ``ids`` is None) where ``mask``."""
    if ids is None:
        return np.flatnonzero(mask).tolist()
    return ids[mask].tolist()


def _account_set(mask: np.ndarray, a: np.ndarray | None, ids: np.ndarray | None) -> Result:
    """Count, ARR and ids of the accounts in ``mask``."""
    arr_sum = None if a is None else float(np.nansum(a[mask]))
    return {"count": int(mask.sum()), "arr": arr_sum, "ids": _id_list(ids, mask)}


def surprise_churn(
    band: ArrayLike,
    churned: ArrayLike,
    arr: ArrayLike | None = None,
    ids: ArrayLike | None = None,
) -> dict[str, Result]:
    """Misses of the bands: churned while green, and renewed while red (false alarms).

    Returns
    -------
    dict
        ``{"surprise_churn": {...}, "false_alarms": {...}}``, each with ``count``, ``arr``
        (None without ARR; unknown ARR counts as 0) and ``ids`` (row positions if no ids).
    """
    b = _check_band(band)
    c = _check_churned(churned, b.shape[0])
    a = _check_arr(arr, b.shape[0])
    id_arr = _check_ids(ids, b.shape[0])
    return {
        "surprise_churn": _account_set(c & (b == GREEN), a, id_arr),
        "false_alarms": _account_set(~c & (b == RED), a, id_arr),
    }


def _precision_recall(flagged: np.ndarray, c: np.ndarray) -> dict[str, Result]:
    """Precision and recall of ``flagged`` as a churn alert."""
    hits = int((flagged & c).sum())
    n_flagged, n_churned = int(flagged.sum()), int(c.sum())
    precision = _ok(hits / n_flagged) if n_flagged else _undefined("no accounts flagged")
    recall = _ok(hits / n_churned) if n_churned else _undefined("no churned accounts")
    return {"precision": precision, "recall": recall, "flagged": n_flagged, "caught": hits}


def alert_precision_recall(band: ArrayLike, churned: ArrayLike) -> dict[str, Any]:
    """Precision and recall of red, and of red + yellow, as a churn alert (scored rows only).

    Returns
    -------
    dict
        ``{"red": {...}, "red_or_yellow": {...}}`` with ``precision``, ``recall`` (each
        ``{"value", "reason"}``), ``flagged`` and ``caught`` counts.
    """
    b = _check_band(band)
    c = _check_churned(churned, b.shape[0])
    scored = b >= 0
    b, c = b[scored], c[scored]
    return {
        "red": _precision_recall(b == RED, c),
        "red_or_yellow": _precision_recall(b <= YELLOW, c),
    }


# ----------------------------------------------------------------------------- calibration


def _quantile_bins(g: _Groups, n_bins: int) -> np.ndarray:
    """Bin index per distinct value: equal-count quantile bins, merged on ties."""
    counts = g.renewed + g.churned
    cum = np.cumsum(counts)
    targets = np.arange(n_bins + 1) * (cum[-1] / n_bins)
    edge_idx = np.minimum(np.searchsorted(cum, targets - 1e-9, side="left"), cum.shape[0] - 1)
    edges = np.unique(g.values[edge_idx])
    return np.searchsorted(edges[1:-1], g.values, side="left")


def _calibration_groups(g: _Groups, n_bins: int) -> Result:
    """Churn rate by score quantile bin from groups."""
    if g.n == 0:
        return _undefined("no scored accounts", bins=[], monotone=_undefined("no bins"))
    _, idx = np.unique(_quantile_bins(g, n_bins), return_inverse=True)
    m = int(idx.max()) + 1
    counts = g.renewed + g.churned
    n = np.bincount(idx, weights=counts, minlength=m)
    k = np.bincount(idx, weights=g.churned, minlength=m)
    total = np.bincount(idx, weights=counts * g.values, minlength=m)
    lows = g.values[np.searchsorted(idx, np.arange(m), side="left")]
    highs = g.values[np.searchsorted(idx, np.arange(m), side="right") - 1]
    lo, hi = wilson_ci(k, n)
    bins = [
        {
            "bin": i,
            "score_min": float(lows[i]),
            "score_max": float(highs[i]),
            "accounts": round(n[i]),
            "churned": round(k[i]),
            "churn_rate": float(k[i] / n[i]),
            "churn_rate_ci": [float(lo[i]), float(hi[i])],
            "mean_score": float(total[i] / n[i]),
        }
        for i in range(m)
    ]
    rates = [b["churn_rate"] for b in bins]
    labels = [f"bin {i}" for i in range(m)]
    notes = [] if m == n_bins else [f"{m} bins instead of {n_bins}: tied scores share a bin"]
    cis = [b["churn_rate_ci"] for b in bins]
    return _ok(m, bins=bins, monotone=_monotone(rates, labels, cis), notes=notes)


def calibration_table(score: ArrayLike, churned: ArrayLike, n_bins: int = 10) -> Result:
    """Churn rate by score quantile bin (deciles by default).

    Bins hold about equal numbers of accounts; tied scores never straddle a bin edge, so
    heavy ties give fewer bins. Each bin: ``score_min``, ``score_max``, ``accounts``,
    ``churned``, ``churn_rate`` with Wilson 95% ``churn_rate_ci``, ``mean_score``.

    Returns
    -------
    dict
        ``value`` (number of bins), ``bins``, ``monotone`` (churn rate never rises as the
        score rises), ``notes``, ``reason``.
    """
    _check_n_bins(n_bins)
    s, c, _ = _scored(score, churned)
    return _calibration_groups(_group(s, c), int(n_bins))
