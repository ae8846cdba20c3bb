"""Bins for a fitted points curve: isotonic pre-binning, merged to a few readable steps.

Numeric values are cut into ~20 quantile pre-bins; renewal rate over them is fitted by
isotonic regression (scipy), rising or falling, or rising-then-falling when a likelihood-ratio
test says the data clearly needs it; adjacent blocks are then merged (smallest loss of
likelihood first) until at most ``MAX_STEPS`` remain, each with at least ``MIN_BIN_SHARE`` of
accounts. Categories too small to judge are pooled. Used by :mod:`calibration.curves`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from calibration.config import BooleanRule, MappingRule

Kind = Literal["numeric", "category", "boolean"]
MAX_STEPS = 6
MIN_BIN_SHARE = 0.05
MIN_CATEGORY_SHARE = 0.02
PRE_BINS = 20
UNIMODAL_CHI2 = stats.chi2.ppf(0.999, 1)
"""A rise-then-fall curve is used only when it beats the best monotone one by a likelihood-
ratio statistic above this (p < 0.001): "where the data clearly needs it"."""
OTHER = "(other)"
MISSING = "(missing)"


def _loglik(k: np.ndarray, n: np.ndarray) -> float:
    """Binomial log-likelihood of ``k`` renewals out of ``n`` at each group's own rate."""
    p = np.where(n > 0, k / np.maximum(n, 1), 0.0)
    return float(np.sum(special.xlogy(k, p) + special.xlogy(n - k, 1 - p)))


def _isotonic(rate: np.ndarray, n: np.ndarray, increasing: bool) -> np.ndarray:
    return optimize.isotonic_regression(rate, weights=n, increasing=increasing).x


def _shape_fit(k: np.ndarray, n: np.ndarray) -> tuple[str, np.ndarray, float]:
    """Best monotone fit of renewal rate over pre-bins, or a unimodal one when clearly
    better. Returns (shape, fitted rate per pre-bin, log-likelihood)."""
    rate = k / n

    def ll(fit: np.ndarray) -> float:
        f = np.clip(fit, 1e-12, 1 - 1e-12)
        return float(np.sum(k * np.log(f) + (n - k) * np.log(1 - f)))

    fits = {s: _isotonic(rate, n, s == "increasing") for s in ("increasing", "decreasing")}
    shape = max(fits, key=lambda s: ll(fits[s]))
    best, best_ll = fits[shape], ll(fits[shape])
    uni: tuple[str, np.ndarray, float] | None = None
    for p in range(1, rate.size - 1):
        for name, left in (("peak", True), ("valley", False)):
            fit = np.r_[_isotonic(rate[:p + 1], n[:p + 1], left),
                        _isotonic(rate[p + 1:], n[p + 1:], not left)]
            value = ll(fit)
            if uni is None or value > uni[2]:
                uni = (name, fit, value)
    if uni is not None and 2 * (uni[2] - best_ll) > UNIMODAL_CHI2:
        return uni
    return shape, best, best_ll


def _merge_blocks(k: np.ndarray, n: np.ndarray, fitted: np.ndarray, max_steps: int,
                  min_count: float) -> list[tuple[int, int]]:
    """Pre-bin ranges [start, end) of the final bins: blocks of equal fitted rate, merged
    (cheapest likelihood loss first) until at most ``max_steps`` remain, each with at least
    ``min_count`` accounts."""
    edges = np.flatnonzero(np.abs(np.diff(fitted)) > 1e-12) + 1
    blocks = [[int(a), int(b)] for a, b in zip(np.r_[0, edges], np.r_[edges, fitted.size],
                                               strict=True)]

    def stats_of(block: list[int]) -> tuple[float, float]:
        return float(k[block[0]:block[1]].sum()), float(n[block[0]:block[1]].sum())

    def cost(i: int) -> float:
        (ka, na), (kb, nb) = stats_of(blocks[i]), stats_of(blocks[i + 1])
        return (_loglik(np.array([ka, kb]), np.array([na, nb]))
                - _loglik(np.array([ka + kb]), np.array([na + nb])))

    while len(blocks) > 1:
        sizes = [stats_of(b)[1] for b in blocks]
        small = [i for i, s in enumerate(sizes) if s < min_count]
        if len(blocks) <= max_steps and not small:
            break
        if small:
            i = small[0]
            pairs = [j for j in (i - 1, i) if 0 <= j < len(blocks) - 1]
        else:
            pairs = list(range(len(blocks) - 1))
        j = min(pairs, key=cost)
        blocks[j] = [blocks[j][0], blocks[j + 1][1]]
        del blocks[j + 1]
    return [(a, b) for a, b in blocks]


def _nice_cut(below: float, above: float) -> float:
    """The roundest number r with below < r <= above (so every value keeps its bin)."""
    for digits in range(-6, 10):
        scale = 10.0 ** digits
        r = math.floor(above * scale) / scale
        if below < r <= above:
            return float(r)
    return float(above)


@dataclass(frozen=True)
class Bins:
    """How one factor's values are grouped for the fit."""

    kind: Kind
    shape: str  # increasing / decreasing / peak / valley / categories / boolean
    cutoffs: list[float] = field(default_factory=list)  # numeric: lower edges of bins 1..m
    categories: list[list[str]] = field(default_factory=list)  # category: members per bin
    has_missing: bool = False
    ranks: list[float | None] = field(default_factory=list)
    """Category / yes-no bins: the current rule's points per bin (bins sorted by them; None:
    not ranked). The fitted points keep that order, so the leader's judgement of which
    category is healthier is kept unless the data has no signal for it."""

    @property
    def n_bins(self) -> int:
        """Bins of known values."""
        if self.kind == "numeric":
            return len(self.cutoffs) + 1
        if self.kind == "boolean":
            return 2
        return len(self.categories)

    def assign(self, values: np.ndarray) -> np.ndarray:
        """Bin index per value; -1 for missing (and unknown categories)."""
        if self.kind == "numeric":
            out = np.searchsorted(np.asarray(self.cutoffs), values, side="right")
            return np.where(np.isnan(values), -1, out)
        if self.kind == "boolean":
            return np.where(np.isnan(values), -1, values).astype(int)
        lookup = {c: i for i, members in enumerate(self.categories) for c in members}
        other = lookup.get(OTHER, -1)
        values = np.asarray(values, dtype=object)
        # each distinct value looked up once (pandas groups values by hash and equality, as
        # a dict does)
        codes, distinct = pd.factorize(values)
        out = np.array([lookup.get(v, other) for v in distinct] + [-1], int)[codes]
        if (codes < 0).any():  # pandas' missing values: None is missing, any other is "other"
            gaps = np.flatnonzero(codes < 0)
            out[gaps] = [-1 if v is None else other for v in values[gaps]]
        return out


def fit_bins(kind: Kind, values: np.ndarray, churned: np.ndarray, *,
             max_steps: int = MAX_STEPS, min_bin_share: float = MIN_BIN_SHARE,
             min_category_share: float = MIN_CATEGORY_SHARE, current: Any = None) -> Bins:
    """Univariate bins of one factor (see the module docstring); ``current`` is the
    factor's current rule (orders categories and yes/no)."""
    renewed = ~np.asarray(churned, dtype=bool)
    if kind == "boolean":
        ranks = [None, None] if not isinstance(current, BooleanRule) else [
            current.false_points, current.true_points]
        return Bins("boolean", "boolean", has_missing=bool(np.isnan(values).any()),
                    ranks=ranks)
    if kind == "category":
        known = np.array([v is not None for v in values])
        counts = pd.Series(values[known]).value_counts()
        limit = max(min_category_share * known.sum(), 1)
        big = [str(c) for c, n in counts.items() if n >= limit]
        small = [str(c) for c, n in counts.items() if n < limit]
        table = ({k.strip().casefold(): v for k, v in current.points.items()}
                 if isinstance(current, MappingRule) else {})
        default = current.default if isinstance(current, MappingRule) else None
        rank_of = {c: table.get(c, default) for c in big}
        ranked = sorted((c for c in big if rank_of[c] is not None),
                        key=lambda c: (rank_of[c], -counts[c]))
        free = [c for c in big if rank_of[c] is None]
        groups = [[c] for c in ranked] + [[c] for c in free] + [[*small, OTHER]]
        ranks = [rank_of[c] for c in ranked] + [None] * (len(free) + 1)
        return Bins("category", "categories", categories=groups,
                    has_missing=bool((~known).any()), ranks=ranks)
    x = np.asarray(values, dtype=float)
    known = ~np.isnan(x)  # as the scorer reads them: only NaN is missing, ±inf is an extreme
    xs, r = x[known], renewed[known]
    finite = xs[np.isfinite(xs)]
    if np.unique(finite).size < 2:
        return Bins("numeric", "flat", [], has_missing=bool((~known).any()))
    xs = np.clip(xs, finite.min(), finite.max())  # ±inf share the extreme bins' points
    edges = np.unique(np.quantile(xs, np.linspace(0, 1, PRE_BINS + 1)[1:-1]))
    edges = edges[edges > xs.min()]
    pre = np.searchsorted(edges, xs, side="right")
    n = np.bincount(pre, minlength=edges.size + 1).astype(float)
    k = np.bincount(pre, weights=r.astype(float), minlength=edges.size + 1)
    keep = n > 0
    edges_kept = np.r_[-np.inf, edges][keep]  # lower edge of every non-empty pre-bin
    n, k = n[keep], k[keep]
    shape, fitted, _ = _shape_fit(k, n)
    blocks = _merge_blocks(k, n, fitted, max_steps, min_bin_share * xs.size)
    cuts = []
    for start, _end in blocks[1:]:
        lower = edges_kept[start]
        below = xs[xs < lower].max()
        cuts.append(_nice_cut(float(below), float(lower)))
    rates = [k[a:b].sum() / n[a:b].sum() for a, b in blocks]
    shape = _shape_of(rates)
    return Bins("numeric", shape, cuts, has_missing=bool((~known).any()))


def _shape_of(rates: list[float]) -> str:
    r = np.asarray(rates)
    if r.size < 2:
        return "flat"
    d = np.diff(r)
    if (d >= -1e-12).all():
        return "increasing"
    if (d <= 1e-12).all():
        return "decreasing"
    return "peak" if np.argmax(r) not in (0, r.size - 1) else "valley"
