"""Factor points scored with flat weights the way the scorer does, and the input checks and
weight rounding every fitting step shares."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from calibration import metrics
from calibration.config import Config
from calibration.scoring import FactorMatrix


def group_index(groups: Sequence[Any] | np.ndarray | Config | None, k: int) -> np.ndarray:
    """Group number per factor (K ints) from group names, a config, or None (one group per
    factor: plain per-row renormalisation over all factors)."""
    if groups is None:
        return np.arange(k)
    if isinstance(groups, Config):
        names = groups.group_names()
        groups = [names.index(f.group) for f in groups.factors]
    labels = np.asarray(groups)
    if labels.shape != (k,):
        raise ValueError(f"groups must name one group per factor ({k}), got shape {labels.shape}")
    return np.unique(labels, return_inverse=True)[1].reshape(k)


def _points(points: ArrayLike | FactorMatrix, names: Sequence[str] | None
            ) -> tuple[np.ndarray, list[str]]:
    """Validated N x K float points and K factor names."""
    if isinstance(points, FactorMatrix):
        names = points.names if names is None else names
        points = points.points
    p = np.asarray(points, dtype=float)
    if p.ndim != 2 or p.shape[1] == 0:
        raise ValueError(f"points must be an N x K matrix with K >= 1, got shape {p.shape}")
    finite = p[~np.isnan(p)]
    if finite.size and (finite.min() < 0 or finite.max() > 100):
        raise ValueError("factor points must lie in 0-100 (NaN for missing)")
    names = [f"factor {j + 1}" for j in range(p.shape[1])] if names is None else list(names)
    if len(names) != p.shape[1] or len(set(names)) != len(names):
        raise ValueError(f"need {p.shape[1]} unique factor names, got {names!r}")
    return p, names


def _churned(churned: ArrayLike, n: int) -> np.ndarray:
    """Churn flags as a bool vector of length ``n`` with both outcomes present."""
    c = np.asarray(churned)
    if c.shape != (n,):
        raise ValueError(f"churned must have one flag per row ({n}), got shape {c.shape}")
    if c.dtype != bool:
        if not np.isin(c, (0, 1)).all():
            raise ValueError("churned must hold booleans (or 0/1)")
        c = c.astype(bool)
    if c.all() or not c.any():
        raise ValueError("need both churned and renewed accounts to fit or compare")
    return c


def _weight_vector(weights: Mapping[str, float] | ArrayLike, names: list[str]) -> np.ndarray:
    """Flat weights as fractions summing to 1 (K vector)."""
    if isinstance(weights, Mapping):
        unknown = set(weights) - set(names)
        if unknown:
            raise ValueError(f"unknown factor(s) in weights: {', '.join(sorted(unknown))}")
        w = np.array([float(weights.get(n, 0.0)) for n in names])
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(names),):
            raise ValueError(f"need {len(names)} weights, got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be finite, >= 0, with a positive total")
    return w / w.sum()


def _as_dict(w: np.ndarray, names: list[str]) -> dict[str, float]:
    return {n: float(v) for n, v in zip(names, w, strict=True)}


def score_points(points: ArrayLike | FactorMatrix, weights: Mapping[str, float] | ArrayLike,
                 groups: Sequence[Any] | np.ndarray | Config | None = None,
                 names: Sequence[str] | None = None) -> np.ndarray:
    """Scores 0-100 from factor points and flat weights, renormalising per row like the scorer.

    With ``groups`` (group per factor, or the config) a group weighs the sum of its factors'
    weights and missing factors are renormalised within their group first; without, all
    factors are renormalised together. NaN where no weighted factor is present.
    """
    _names_for(weights, points, names)
    p, names = _points(points, names)
    w = _weight_vector(weights, names)
    return _score(p, w, group_index(groups, p.shape[1]))


def _names_for(weights: Any, points: Any, names: Sequence[str] | None) -> None:
    """Refuse named weights when the columns have no names to match them to."""
    if isinstance(weights, Mapping) and names is None and not isinstance(points, FactorMatrix):
        raise ValueError("weights are given by factor name: pass names (one per points "
                         "column) or a FactorMatrix so they can be matched to columns")


def _score(p: np.ndarray, w: np.ndarray, group_of: np.ndarray) -> np.ndarray:
    present = ~np.isnan(p)
    filled = np.where(present, p, 0.0)
    onehot = np.eye(group_of.max() + 1)[group_of]
    wp = present * w
    a = wp @ onehot
    b = (filled * wp) @ onehot
    full = w @ onehot
    on = a > 0
    sub = np.where(on, b / np.where(on, a, 1.0), 0.0)
    total = on @ full
    with np.errstate(invalid="ignore", divide="ignore"):
        score = (on * sub) @ full / total
    return np.clip(np.where(total > 0, score, np.nan), 0.0, 100.0)


def _auc(score: np.ndarray, churned: np.ndarray) -> float | None:
    value = metrics.auc(score, churned)["value"]
    return None if value is None else float(value)


def _round_weights(w: np.ndarray, lo: np.ndarray | None = None, hi: np.ndarray | None = None,
                   fixed: np.ndarray | None = None) -> np.ndarray:
    """Percentages rounded to 2 decimals, summing to exactly 100, within [lo, hi] (in %) where
    the 0.01 grid allows; ``fixed`` entries are only rounded."""
    k = w.shape[0]
    lo = np.zeros(k) if lo is None else lo
    hi = np.full(k, 100.0) if hi is None else hi
    fixed = np.zeros(k, dtype=bool) if fixed is None else fixed
    cents = np.rint(w * 100.0)
    lo_c, hi_c = np.ceil(lo * 100 - 1e-6), np.floor(hi * 100 + 1e-6)
    cents = np.where(fixed, cents, np.clip(cents, lo_c, hi_c))
    error = int(10_000 - cents.sum())
    order = np.argsort(-cents, kind="stable")
    step = 1 if error > 0 else -1
    while error:
        moved = False
        for j in order:
            if fixed[j] or not (lo_c[j] <= cents[j] + step <= hi_c[j]):
                continue
            cents[j] += step
            error -= step
            moved = True
            if not error:
                break
        if not moved:
            break
    return cents / 100.0 + 0.0  # no -0.0
