"""Shared ground of the metrics: constants, result dicts, argument checks and scores
grouped by distinct value (see :mod:`calibration.metrics` for the conventions)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

MIN_CHURNED = 20
"""Fewer churned accounts than this and results carry a "too few churned accounts" warning."""

BAND_NAMES = ("red", "yellow", "green")
RED, YELLOW, GREEN, UNSCORED = 0, 1, 2, -1

Result = dict[str, Any]


# ----------------------------------------------------------------------------- result helpers


def _ok(value: Any, **extra: Any) -> Result:
    """Defined metric: ``{"value": value, "reason": None, **extra}``."""
    return {"value": value, "reason": None, **extra}


def _undefined(reason: str, **extra: Any) -> Result:
    """Undefined metric: ``{"value": None, "reason": reason, **extra}``."""
    return {"value": None, "reason": reason, **extra}


def _num(x: Any) -> float | None:
    """Plain float, or None when not finite (callers only pass finite values)."""
    x = float(x)
    return x if math.isfinite(x) else None


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of ``a * b`` without BLAS (threaded BLAS wake-ups cost ~30 ms on small vectors)."""
    return float(np.einsum("i,i->", a, b))


def _rate(num: float, den: float) -> float | None:
    """``num / den`` as a float, None when ``den`` is 0."""
    return float(num) / float(den) if den > 0 else None


def too_few_churned_warning(n_churned: int) -> str | None:
    """Warning text when fewer than :data:`MIN_CHURNED` churned accounts, else None."""
    if n_churned >= MIN_CHURNED:
        return None
    return f"too few churned accounts to judge: {n_churned} (minimum {MIN_CHURNED})"


# ----------------------------------------------------------------------------- argument checks


def _vector(name: str, x: ArrayLike, n: int | None = None) -> np.ndarray:
    """1-D numpy view of ``x``; ValueError if not 1-D or not length ``n``."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} rows but score has {n}")
    return arr


def _check_score(score: ArrayLike, name: str = "score") -> np.ndarray:
    """Float64 scores in [0, 100] or NaN."""
    s = _vector(name, score)
    if s.dtype == bool or not (np.issubdtype(s.dtype, np.number)):
        raise ValueError(f"{name} must be numeric, got dtype {s.dtype}")
    s = s.astype(np.float64, copy=False)
    finite = s[~np.isnan(s)]
    if finite.size and (np.isinf(finite).any() or finite.min() < 0 or finite.max() > 100):
        raise ValueError(f"{name} must be within 0-100 (NaN allowed for unscored)")
    return s


def _check_churned(churned: ArrayLike, n: int) -> np.ndarray:
    """Bool churn flags; 0/1 numbers are accepted, anything else is a ValueError."""
    c = _vector("churned", churned, n)
    if c.dtype == bool:
        return c
    if not np.issubdtype(c.dtype, np.number):
        raise ValueError(f"churned must be bool (True = churned), got dtype {c.dtype}")
    if not np.isin(c, (0, 1)).all():
        raise ValueError("churned must be bool or 0/1 (open accounts must be removed first)")
    return c.astype(bool)


def _check_band(band: ArrayLike, n: int | None = None) -> np.ndarray:
    """Band codes in {-1, 0, 1, 2} as int8."""
    b = _vector("band", band, n)
    if not np.issubdtype(b.dtype, np.integer):
        raise ValueError(f"band must be integer codes 0/1/2 or -1, got dtype {b.dtype}")
    if b.size and (b.min() < UNSCORED or b.max() > GREEN):
        raise ValueError("band codes must be -1 (unscored), 0 (red), 1 (yellow) or 2 (green)")
    return b.astype(np.int8, copy=False)


def _check_arr(arr: ArrayLike | None, n: int, name: str = "arr") -> np.ndarray | None:
    """Float64 non-negative revenue, NaN = unknown; None passes through."""
    if arr is None:
        return None
    a = _vector(name, arr, n)
    if a.dtype == bool or not np.issubdtype(a.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {a.dtype}")
    a = a.astype(np.float64, copy=False)
    known = a[~np.isnan(a)]
    if known.size and (np.isinf(known).any() or known.min() < 0):
        raise ValueError(f"{name} must be finite and >= 0 (NaN for unknown)")
    return a


def _check_score_band(s: np.ndarray, b: np.ndarray) -> None:
    """Band must be -1 exactly where the score is NaN."""
    if not np.array_equal(np.isnan(s), b == UNSCORED):
        raise ValueError("band must be -1 exactly where score is NaN (unscored accounts)")


def _check_n_bins(n_bins: int, name: str = "n_bins") -> None:
    """Positive integer bin count."""
    if not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"{name} must be a positive integer, got {n_bins!r}")


# ----------------------------------------------------------------------------- grouped scores


@dataclass(frozen=True)
class _Groups:
    """Scores collapsed to sorted distinct values with churned/renewed counts (or weights)."""

    values: np.ndarray
    churned: np.ndarray
    renewed: np.ndarray

    @property
    def n_churned(self) -> float:
        return float(self.churned.sum())

    @property
    def n_renewed(self) -> float:
        return float(self.renewed.sum())

    @property
    def n(self) -> float:
        return self.n_churned + self.n_renewed


def _group(s: np.ndarray, c: np.ndarray, weights: np.ndarray | None = None) -> _Groups:
    """Group finite scores ``s`` (already NaN-free) by distinct value."""
    values, inverse = np.unique(s, return_inverse=True)
    w = np.ones(s.shape[0]) if weights is None else weights
    k = values.shape[0]
    churned = np.bincount(inverse, weights=np.where(c, w, 0.0), minlength=k)
    renewed = np.bincount(inverse, weights=np.where(c, 0.0, w), minlength=k)
    return _Groups(values, churned, renewed)


def _groups_with_arr(s: np.ndarray, c: np.ndarray, a: np.ndarray) -> tuple[_Groups, _Groups]:
    """``_group(s, c)`` and ``_group(s[known], c[known], a[known])`` (``known``: ARR not NaN)
    from one sort of the scores instead of two.

    The results are the same arrays, bit for bit: both sum each value's weights in row
    order (``np.bincount``), a row without ARR adds an exact 0.0 to its value's ARR sums,
    and values held only by rows without ARR are dropped, as sorting the known rows alone
    never sees them.
    """
    values, inverse = np.unique(s, return_inverse=True)
    k = values.shape[0]
    counts = _Groups(values, np.bincount(inverse, weights=np.where(c, 1.0, 0.0), minlength=k),
                     np.bincount(inverse, weights=np.where(c, 0.0, 1.0), minlength=k))
    known = ~np.isnan(a)
    if not known.any():  # nothing to sort (and the empty arrays keep _group's dtype)
        return counts, _group(s[known], c[known], a[known])
    a0 = np.where(known, a, 0.0)
    present = np.bincount(inverse[known], minlength=k) > 0
    churned = np.bincount(inverse, weights=np.where(c, a0, 0.0), minlength=k)
    renewed = np.bincount(inverse, weights=np.where(c, 0.0, a0), minlength=k)
    return counts, _Groups(values[present], churned[present], renewed[present])


def _class_reason(n_churned: float, n_renewed: float, weighted: bool = False) -> str | None:
    """Why a two-class metric is undefined, or None when both classes are present."""
    what = "ARR" if weighted else "accounts"
    if n_churned + n_renewed == 0:
        return "no scored accounts" if not weighted else "no scored accounts with known ARR"
    if n_churned == 0:
        return f"only one outcome class (no churned {what})"
    if n_renewed == 0:
        return f"only one outcome class (no renewed {what})"
    return None


def _auc_groups(g: _Groups) -> float:
    """Exact renewal AUC from grouped counts: sum_v r_v (C_below(v) + c_v / 2) / (R C)."""
    below = np.cumsum(g.churned) - g.churned
    u = _dot(g.renewed, below + 0.5 * g.churned)
    return u / (g.n_renewed * g.n_churned)


def _auc_result(g: _Groups, weighted: bool = False) -> Result:
    """AUC + Gini dict from groups with reasons for undefined cases."""
    extra = _class_sizes(g, weighted)
    reason = _class_reason(g.n_churned, g.n_renewed, weighted)
    if reason:
        return _undefined(reason, gini=None, **extra)
    value = _auc_groups(g)
    return _ok(value, gini=2.0 * value - 1.0, **extra)


def _class_sizes(g: _Groups, weighted: bool) -> dict[str, float | int]:
    """Class sizes: account counts, or weight totals when weighted."""
    if weighted:
        return {"churned_weight": g.n_churned, "renewed_weight": g.n_renewed}
    return {"n_churned": round(g.n_churned), "n_renewed": round(g.n_renewed)}


def _scored(score: ArrayLike, churned: ArrayLike) -> tuple[np.ndarray, np.ndarray, int]:
    """Validated (scores, churn flags) of scored rows and the number of unscored rows."""
    s = _check_score(score)
    c = _check_churned(churned, s.shape[0])
    keep = ~np.isnan(s)
    return s[keep], c[keep], int((~keep).sum())


def _check_ids(ids: ArrayLike | None, n: int) -> np.ndarray | None:
    """Account ids as a 1-D array of length ``n`` (None passes through)."""
    if ids is None:
        return None
    return _vector("ids", ids, n)
