"""Per-factor signal and factor pairs that may double count."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from calibration.metrics.bands import _calibration_groups
from calibration.metrics.base import (
    Result,
    _auc_result,
    _check_churned,
    _check_n_bins,
    _check_score,
    _dot,
    _group,
    _rate,
    _vector,
)
from calibration.metrics.separation import _correlations_groups

DOUBLE_COUNTING_R = 0.8
"""Factor pairs with |Pearson r| above this are reported as possible double counting."""


def _check_factors(
    factor_scores: ArrayLike, factor_names: Sequence[str], n: int
) -> tuple[np.ndarray, list[str]]:
    """N x K float matrix of factor points 0-100 (NaN allowed) and K unique names."""
    f = np.asarray(factor_scores)
    if f.ndim != 2 or f.shape[0] != n:
        raise ValueError(f"factor_scores must be N x K with N = {n} rows, got shape {f.shape}")
    names = [str(x) for x in factor_names]
    if len(names) != f.shape[1]:
        raise ValueError(f"{len(names)} factor_names for {f.shape[1]} factor columns")
    if len(set(names)) != len(names):
        raise ValueError("factor_names must be unique")
    for j, name in enumerate(names):
        _check_score(f[:, j], f"factor {name!r}")
    return f.astype(np.float64, copy=False), names


def _one_factor(col: np.ndarray, c: np.ndarray, name: str, n_bins: int) -> dict[str, Any]:
    """Signal of one factor's points: AUC, r, missing rate, churn by decile."""
    known = ~np.isnan(col)
    g = _group(col[known], c[known])
    cors = _correlations_groups(g)
    return {
        "factor": name,
        "missing_rate": _rate(int((~known).sum()), col.shape[0]),
        "n": int(known.sum()),
        "auc": _auc_result(g),
        "point_biserial_r": cors["point_biserial_r"],
        "calibration": _calibration_groups(g, n_bins),
    }


def _pair_r(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson r over rows where both are known; None if fewer than 3 or constant."""
    both = ~(np.isnan(x) | np.isnan(y))
    if both.sum() < 3:
        return None
    xs, ys = x[both] - x[both].mean(), y[both] - y[both].mean()
    den = math.sqrt(_dot(xs, xs) * _dot(ys, ys))
    return max(-1.0, min(1.0, _dot(xs, ys) / den)) if den > 0 else None


def _centred(x: np.ndarray) -> tuple[np.ndarray, float] | None:
    """A column without missing values (and at least 3 rows) minus its mean, and its sum of
    squares, computed as :func:`_pair_r` does (on a contiguous copy); None otherwise."""
    if x.shape[0] < 3 or np.isnan(x).any():
        return None
    values = x.copy()
    xs = values - values.mean()
    return xs, _dot(xs, xs)


def factor_signal(
    factor_scores: ArrayLike,
    factor_names: Sequence[str],
    churned: ArrayLike,
    n_bins: int = 10,
) -> Result:
    """Per-factor separation and pairs of factors that may double count.

    Returns
    -------
    dict
        ``factors``: per factor ``auc`` (renewal AUC of its points alone, NaN rows
        excluded), ``point_biserial_r``, ``missing_rate``, ``calibration`` (churn by factor
        quantile bin with ``monotone``); ``correlation``: K x K pairwise-complete Pearson r
        (None where undefined); ``double_counting``: pairs with |r| > 0.8 of their points
        (which carry the configured directions), ``effect`` ``count_twice`` (r > 0) or
        ``cancel_out`` (r < 0: the directions oppose what the columns do together).
    """
    _check_n_bins(n_bins)
    c = _vector("churned", churned)
    f, names = _check_factors(factor_scores, factor_names, c.shape[0])
    c = _check_churned(c, c.shape[0])
    per = [_one_factor(f[:, j], c, names[j], int(n_bins)) for j in range(len(names))]
    k = len(names)
    matrix: list[list[float | None]] = [[None] * k for _ in range(k)]
    pairs = []
    centred = [_centred(f[:, j]) for j in range(k)]

    def pair_r(i: int, j: int) -> float | None:
        """:func:`_pair_r` of factors i and j; two columns without missing values reuse
        their centred values (the same numbers _pair_r computes for every pair)."""
        if centred[i] is None or centred[j] is None:
            return _pair_r(f[:, i], f[:, j])
        (xs, sx), (ys, sy) = centred[i], centred[j]
        den = math.sqrt(sx * sy)
        return max(-1.0, min(1.0, _dot(xs, ys) / den)) if den > 0 else None

    for i in range(k):
        matrix[i][i] = 1.0 if pair_r(i, i) is not None else None
        for j in range(i + 1, k):
            r = pair_r(i, j)
            matrix[i][j] = matrix[j][i] = r
            if r is not None and abs(r) > DOUBLE_COUNTING_R:
                # points already carry each factor's configured direction: moving together
                # they count one signal twice; moving opposite they cancel each other out
                pairs.append({"a": names[i], "b": names[j], "r": r,
                              "effect": "count_twice" if r > 0 else "cancel_out"})
    return {"factors": per, "correlation": matrix, "double_counting": pairs, "names": names}
