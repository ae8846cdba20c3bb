"""Fitted point curves: each factor's points rule and all the weights, fitted together.

Weights alone cannot bend a factor's curve: if renewal jumps once NPS passes 6, a straight
line from 0 to 10 wastes most of the signal. This module suggests, per factor,

- numeric factors: a steps rule (at most ``max_steps`` steps, each holding at least
  ``min_bin_share`` of accounts) whose points rise (or fall) monotonically with the value,
  or rise then fall (unimodal) when the data clearly needs it;
- categories: a mapping, with categories too small to judge pooled into one "other" value;
- yes/no factors: true/false points;
- missing values: their own points when the factor has gaps (missing is often telling),

and weights for all of them, from one **binned logistic regression** of renewal: every
factor's bins enter as thermometer columns whose coefficients are sign-constrained (that is
what makes the curve monotone or unimodal), with a small ridge penalty chosen by
cross-validation. Each factor's fitted log-odds are rescaled to 0-100 points and its weight
is its log-odds range, so the points table ranks accounts exactly as the regression does:
the best additive score the data supports.

Bins come from a univariate isotonic fit (scipy) of renewal on ~20 quantile pre-bins, then
adjacent blocks are merged (smallest loss of likelihood first) until the step and size
limits hold. Layout-independent: takes raw value arrays per factor. Never imports streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibration.binning import (
    MAX_STEPS,
    MIN_BIN_SHARE,
    MIN_CATEGORY_SHARE,
    MISSING,
    OTHER,
    UNIMODAL_CHI2,
    Bins,
    Kind,
    fit_bins,
)
from calibration.config import BooleanRule, Config, Factor, MappingRule, StepsRule
from calibration.logistic import fit_newton, newton_path
from calibration.values import as_boolean, as_number, normalise_text

__all__ = ["MAX_STEPS", "MIN_BIN_SHARE", "MIN_CATEGORY_SHARE", "MISSING", "OTHER",
           "UNIMODAL_CHI2", "Bins", "CurveFit", "FittedCurve", "Kind", "chart_data",
           "config_rules", "curve_points", "factor_values", "fit_bins", "fit_curves",
           "fit_logistic", "read_values"]

L2_GRID = (1e-4, 1e-3, 1e-2)


def factor_kind(factor: Factor) -> Kind:
    """How a factor's values are read: numbers, categories or yes/no."""
    kind = factor.rule.kind
    if kind == "mapping":
        return "category"
    if kind == "boolean":
        return "boolean"
    return "numeric"


def read_values(values: pd.Series | np.ndarray, kind: Kind) -> np.ndarray:
    """Raw values as the scorer reads them: floats (NaN missing) or normalised text (None)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if kind == "numeric":
        return as_number(series)[0]
    if kind == "boolean":
        return as_boolean(series)[0]
    return normalise_text(series).to_numpy(dtype=object)


def config_rules(config: Config) -> dict[str, Any]:
    """Factor name -> its current rule (for :func:`fit_curves`)."""
    return {f.name: f.rule for f in config.factors}


def factor_values(frame: pd.DataFrame, config: Config, rows: np.ndarray | None = None
                  ) -> dict[str, tuple[Kind, np.ndarray]]:
    """Each factor's kind and raw values on ``rows`` of ``frame``."""
    out = {}
    for factor in config.factors:
        column = frame[factor.column]
        if rows is not None:
            column = column.iloc[rows]
        kind = factor_kind(factor)
        out[factor.name] = (kind, read_values(column.reset_index(drop=True), kind))
    return out


# --------------------------------------------------------------------------- joint fit
@dataclass(frozen=True)
class _Design:
    """Thermometer / one-hot columns with their sign constraints."""

    x: np.ndarray
    bounds: list[tuple[float | None, float | None]]
    slices: dict[str, slice]


def _columns(bins: Bins, idx: np.ndarray) -> tuple[np.ndarray, list[tuple]]:
    """Design columns of one factor and the bounds of their renewal coefficients.

    Numeric bins enter as thermometer columns (value in bin j or above), so coefficient j is
    the step from bin j-1 to bin j: >= 0 keeps a rising curve rising, <= 0 a falling one
    (peaks and valleys are set in :func:`_design`). Ranked categories (and yes/no) enter the
    same way in the order of the current rule's points: a step between two categories the
    leader scored differently cannot reverse their order. Unranked categories enter one-hot
    (free). A missing value gets its own free column.
    """
    m = bins.n_bins
    cols, bounds = [], []
    if bins.kind == "numeric":
        for j in range(1, m):
            cols.append((idx >= j).astype(float))
            bounds.append((None, 0.0) if bins.shape == "decreasing" else (0.0, None))
    else:
        ranks = bins.ranks or [None] * m
        ranked = [j for j in range(m) if ranks[j] is not None]
        last = ranked[-1] if ranked else -1
        for j in range(1, m):
            if j <= last:  # ranked bins are first, in order
                cols.append(((idx >= j) & (idx <= last)).astype(float))
                step = ranks[j] - ranks[j - 1]
                bounds.append((0.0, None) if step > 0 else (None, None))
            else:
                cols.append((idx == j).astype(float))
                bounds.append((None, None))
    if bins.has_missing:
        cols.append((idx == -1).astype(float))
        bounds.append((None, None))
    return (np.column_stack(cols) if cols else np.zeros((idx.size, 0))), bounds


def _design(bins: dict[str, Bins], idx: dict[str, np.ndarray],
            peaks: dict[str, int]) -> _Design:
    blocks, bounds, slices, at = [], [], {}, 0
    for name, b in bins.items():
        cols, bnd = _columns(b, idx[name])
        if b.kind == "numeric" and b.shape in ("peak", "valley"):
            p = peaks[name]
            up = b.shape == "peak"
            bnd = [((0.0, None) if (j <= p) == up else (None, 0.0))
                   for j in range(1, b.n_bins)] + bnd[b.n_bins - 1:]
        blocks.append(cols)
        bounds += bnd
        slices[name] = slice(at, at + cols.shape[1])
        at += cols.shape[1]
    x = np.column_stack(blocks) if at else np.zeros((len(next(iter(idx.values()))), 0))
    return _Design(x, bounds, slices)


def fit_logistic(x: np.ndarray, y: np.ndarray, bounds: list, l2: float,
                 sample_weight: np.ndarray | None = None,
                 start: np.ndarray | None = None) -> np.ndarray:
    """Renewal log-odds model with box-constrained coefficients: minimises the (weighted)
    mean log-loss + l2 * |beta|^2 (intercept free, unpenalised) by projected Newton
    (:func:`calibration.logistic.fit_newton`; ``start``: a warm start). Returns
    [intercept, beta]."""
    return fit_newton(x, y, bounds, l2, sample_weight, start)


# --------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class FittedCurve:
    """One factor's fitted rule, its log-odds per bin and what the bins hold."""

    name: str
    kind: Kind
    shape: str
    rule: Any  # StepsRule / MappingRule / BooleanRule (None: factor left as it is)
    missing_points: float | None  # points for a missing value (None: no missing values)
    weight: float  # flat % of the score
    table: pd.DataFrame  # bin, accounts, churn rate, points

    def apply_to(self, config: Config) -> Config:
        """``config`` with this factor's rule (and missing-value points) replaced."""
        if self.rule is None:
            return config
        return config.with_rule(self.name, self.rule, missing_points=self.missing_points)


@dataclass(frozen=True)
class CurveFit:
    """Rules and weights fitted together; ``points``/``score`` reproduce the scorer."""

    curves: dict[str, FittedCurve]
    weights: dict[str, float]
    bins: dict[str, Bins]
    peaks: dict[str, int]
    coef: dict[str, np.ndarray]
    intercept: float
    l2: float
    notes: list[str]

    def log_odds(self, values: dict[str, tuple[Kind, np.ndarray]]) -> np.ndarray:
        """Renewal log-odds of the binned logistic regression (the reference model)."""
        idx = {n: self.bins[n].assign(values[n][1]) for n in self.bins}
        design = _design(self.bins, idx, self.peaks)
        beta = np.concatenate([self.coef[n] for n in self.bins]) if self.bins else np.zeros(0)
        return self.intercept + design.x @ beta

    def apply_to(self, config: Config, factors: list[str] | None = None) -> Config:
        """Config with the fitted rules of ``factors`` (default: all) and, when all are
        taken, the fitted weights too (they belong together)."""
        from calibration.weights import apply_flat_weights

        chosen = list(self.curves) if factors is None else factors
        for name in chosen:
            config = self.curves[name].apply_to(config)
        if set(chosen) >= {n for n, c in self.curves.items() if c.rule is not None}:
            config = apply_flat_weights(config, self.weights)
        return config


def _rule_for(name: str, bins: Bins, contrib: np.ndarray, lo: float, span: float,
              missing_contrib: float | None) -> tuple[Any, float | None]:
    """Points rule from per-bin log-odds (0-100 over the factor's range)."""

    def pts(v: float) -> float:
        return round(100.0 * (v - lo) / span, 1) if span > 0 else 50.0

    if span <= 1e-9:  # no signal once the other factors are known: keep the current rule
        return None, None
    missing = None if missing_contrib is None else pts(missing_contrib)
    if bins.kind == "numeric":
        if not bins.cutoffs:
            return None, missing
        return StepsRule(cutoffs=bins.cutoffs, points=[pts(v) for v in contrib]), missing
    if bins.kind == "boolean":
        return BooleanRule(false_points=pts(contrib[0]), true_points=pts(contrib[1])), missing
    mapping, default = {}, None
    for members, value in zip(bins.categories, contrib, strict=True):
        for member in members:
            if member == OTHER:
                default = pts(value)
            else:
                mapping[member] = pts(value)
    return MappingRule(points=mapping, default=default), missing


def fit_curves(values: dict[str, tuple[Kind, np.ndarray]], churned: np.ndarray, *,
               l2: float | None = None, max_steps: int = MAX_STEPS,
               min_bin_share: float = MIN_BIN_SHARE, folds: int = 5, seed: int = 0,
               current: dict[str, Any] | None = None,
               progress: Callable[[float], None] | None = None) -> CurveFit:
    """Fit every factor's curve and all weights together (binned logistic regression).

    ``values``: factor name -> (kind, raw values) as :func:`factor_values` gives them.
    ``l2``: ridge penalty per coefficient; None picks it from ``L2_GRID`` by ``folds``-fold
    cross-validated log-loss. ``current``: factor name -> current rule (keeps the order the
    leader gave categories and yes/no values; see :func:`config_rules`). ``progress`` is
    called with the share of logistic fits done (it may raise to stop the fit).
    """
    c = np.asarray(churned, dtype=bool)
    if c.all() or not c.any():
        raise ValueError("need both churned and renewed decisions to fit curves")
    y = (~c).astype(float)
    current = current or {}
    bins = {n: fit_bins(k, v, c, max_steps=max_steps, min_bin_share=min_bin_share,
                        current=current.get(n)) for n, (k, v) in values.items()}
    idx = {n: bins[n].assign(values[n][1]) for n in bins}
    peaks = {n: _peak(bins[n], idx[n], y) for n in bins}
    design = _design(bins, idx, peaks)
    notes = []
    start = None
    if l2 is None:
        l2, start = _choose_l2(design, y, c, folds, seed, progress)
        notes.append(f"curves smoothed just enough to hold on accounts they were not fitted on "
                     f"({folds}-fold cross-validation; ridge penalty {l2:g})")
    w = fit_logistic(design.x, y, design.bounds, l2, start=start)
    if progress is not None:
        progress(1.0)
    coef = {n: w[1:][s] for n, s in design.slices.items()}
    curves, spans = {}, {}
    for name, b in bins.items():
        beta = coef[name]
        rep = _design({name: b}, {name: np.r_[np.arange(b.n_bins), -1]}, peaks).x @ beta
        contrib = rep[:b.n_bins]
        missing_contrib = float(rep[-1]) if b.has_missing else None
        every = np.r_[contrib, [] if missing_contrib is None else [missing_contrib]]
        lo, span = float(every.min()), float(every.max() - every.min())
        spans[name] = span
        rule, missing_points = _rule_for(name, b, contrib, lo, span, missing_contrib)
        curves[name] = (b, rule, missing_points)
    total = sum(spans.values())
    weights = {n: (100.0 * s / total if total > 0 else 100.0 / len(spans))
               for n, s in spans.items()}
    out = {}
    for name, (b, rule, missing_points) in curves.items():
        table = _bin_table(name, b, idx[name], c, rule, missing_points)
        out[name] = FittedCurve(name, b.kind, b.shape, rule, missing_points,
                                weights[name], table)
    flat = [n for n, s in spans.items() if s <= 1e-9]
    if flat:
        notes.append(f"no signal left once the others are known (weight 0): {', '.join(flat)}")
    return CurveFit(out, weights, bins, peaks, coef, float(w[0]), float(l2), notes)


def _peak(bins: Bins, idx: np.ndarray, y: np.ndarray) -> int:
    """Bin with the highest (peak) or lowest (valley) renewal rate."""
    if bins.kind != "numeric" or bins.shape not in ("peak", "valley"):
        return 0
    m = bins.n_bins
    n = np.bincount(idx[idx >= 0], minlength=m)
    k = np.bincount(idx[idx >= 0], weights=y[idx >= 0], minlength=m)
    rate = k / np.maximum(n, 1)
    return int(np.argmax(rate) if bins.shape == "peak" else np.argmin(rate))


def _choose_l2(design: _Design, y: np.ndarray, c: np.ndarray, folds: int, seed: int,
               progress: Callable[[float], None] | None = None) -> tuple[float, np.ndarray]:
    """The penalty of ``L2_GRID`` with the lowest ``folds``-fold cross-validated log-loss,
    and the mean of its fold fits (a warm start for the fit on every row).

    Each fold's fitting rows are cut out once and fitted along the grid, each fit starting
    from the previous penalty's (:func:`calibration.logistic.newton_path`: a warm start, the
    same optima in fewer Newton steps); the held-out losses are summed per penalty in fold
    order."""
    from calibration.fitting.out_of_sample import _folds

    fold = _folds(c, folds, seed)
    losses = [0.0] * len(L2_GRID)
    fits = [[] for _ in L2_GRID]
    total = len(L2_GRID) * folds + 1  # and the final fit
    for f in range(folds):
        train, test = fold != f, fold == f
        path = newton_path(design.x[train], y[train], design.bounds, L2_GRID)
        for g in range(len(L2_GRID)):
            if progress is not None:
                progress((f * len(L2_GRID) + g) / total)
            w = next(path)
            z = w[0] + design.x[test] @ w[1:]
            losses[g] += float(np.sum(np.logaddexp(0, z) - y[test] * z))
            fits[g].append(w)
    best = min(range(len(L2_GRID)), key=lambda g: (losses[g], g))  # first of equal losses
    return L2_GRID[best], np.mean(fits[best], axis=0)


def _bin_table(name: str, bins: Bins, idx: np.ndarray, c: np.ndarray, rule: Any,
               missing_points: float | None) -> pd.DataFrame:
    """One row per bin: label, lower edge, accounts, churn rate, fitted points."""
    rows = []
    if bins.kind == "numeric":
        edges = [-math.inf, *bins.cutoffs]
        labels = ([f"< {bins.cutoffs[0]:g}"] if bins.cutoffs else ["all values"]) + [
            f"{a:g} to < {b:g}" for a, b in zip(bins.cutoffs, bins.cutoffs[1:], strict=False)
        ] + ([f">= {bins.cutoffs[-1]:g}"] if bins.cutoffs else [])
        points = rule.points if rule is not None else [None] * len(labels)
        for j, label in enumerate(labels):
            rows.append({"bin": label, "from": edges[j], "index": j, "points": points[j]})
    elif bins.kind == "boolean":
        rows = [{"bin": "no", "from": 0.0, "index": 0,
                 "points": None if rule is None else rule.false_points},
                {"bin": "yes", "from": 1.0, "index": 1,
                 "points": None if rule is None else rule.true_points}]
    else:
        for j, members in enumerate(bins.categories):
            shown = [m for m in members if m != OTHER] or [OTHER]
            key = shown[0]
            value = None if rule is None else (
                rule.points.get(key, rule.default) if key != OTHER else rule.default)
            rows.append({"bin": ", ".join(shown), "from": float(j), "index": j,
                         "points": value})
    if bins.has_missing:
        rows.append({"bin": MISSING, "from": math.nan, "index": -1, "points": missing_points})
    index = np.array([r["index"] for r in rows], int)
    # accounts and churned accounts per bin in one pass each (missing, -1, counted last)
    n = np.bincount(idx + 1, minlength=index.max(initial=0) + 2)[index + 1]
    k = np.bincount(idx + 1, weights=c, minlength=index.max(initial=0) + 2)[index + 1]
    return pd.DataFrame({
        "factor": [name] * len(rows), "bin": [r["bin"] for r in rows],
        "from": [r["from"] for r in rows], "points": [r["points"] for r in rows],
        "accounts": n, "churn_rate": np.where(n > 0, k / np.maximum(n, 1), np.nan)})


def curve_points(fit: CurveFit, values: dict[str, tuple[Kind, np.ndarray]],
                 config: Config) -> np.ndarray:
    """N x K points of the fitted rules through the scorer's own rule code (columns in
    ``config.factor_names`` order; factors without a fitted rule keep their current one)."""
    from calibration.scoring import numeric_rule_points, rule_points

    cols = []
    for factor in config.factors:
        kind, raw = values[factor.name]
        curve = fit.curves.get(factor.name)
        rule = factor.rule if curve is None or curve.rule is None else curve.rule
        if kind == "numeric":
            pts = numeric_rule_points(np.asarray(raw, float), rule, factor.direction) \
                if rule.kind != "mapping" else rule_points(pd.Series(raw), factor, rule)
        else:
            series = pd.Series(raw, dtype=object) if kind == "category" else pd.Series(
                np.where(np.isnan(raw), None, raw == 1.0), dtype=object)
            pts = rule_points(series, factor, rule)
        if curve is not None and curve.missing_points is not None:
            pts = np.where(np.isnan(pts), curve.missing_points, pts)
        elif factor.missing == "points":
            pts = np.where(np.isnan(pts), factor.missing_points, pts)
        cols.append(pts)
    return np.column_stack(cols)


def chart_data(curve: FittedCurve, factor: Factor, raw: np.ndarray) -> pd.DataFrame:
    """Points of the current rule and the fitted curve for :func:`calibration.charts.
    curve_chart`: over the 1st-99th percentile of the values (numeric) or per category."""
    from calibration.scoring import numeric_rule_points, rule_points

    if curve.rule is None:
        return pd.DataFrame(columns=["x", "points", "rule"])
    if curve.kind == "numeric":
        known = np.asarray(raw, float)
        known = known[np.isfinite(known)]
        lo, hi = np.percentile(known, [1, 99]) if known.size else (0.0, 1.0)
        grid = np.unique(np.r_[np.linspace(lo, hi, 120),
                               [c for c in curve.rule.cutoffs if lo <= c <= hi]])
        current = rule_points(pd.Series(grid), factor)
        fitted = numeric_rule_points(grid, curve.rule, factor.direction)
        labels = grid
    elif curve.kind == "boolean":
        labels = np.array(["no", "yes"], dtype=object)
        current = rule_points(pd.Series([False, True], dtype=object), factor)
        fitted = np.array([curve.rule.false_points, curve.rule.true_points])
    else:
        labels = np.array(list(curve.rule.points), dtype=object)
        current = rule_points(pd.Series(labels, dtype=object), factor)
        fitted = np.array([curve.rule.points[k] for k in labels])
    return pd.concat([
        pd.DataFrame({"x": labels, "points": current, "rule": "current rule"}),
        pd.DataFrame({"x": labels, "points": fitted, "rule": "fitted curve"})],
        ignore_index=True)
