"""Suggested flat weights: a logistic regression (:func:`suggest_logit`) or a smooth AUC
maximised under weight constraints (:func:`suggest_auc`)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from calibration.config import Config
from calibration.fitting.points import (
    _as_dict,
    _auc,
    _churned,
    _points,
    _round_weights,
    _score,
    _weight_vector,
    group_index,
)
from calibration.scoring import FactorMatrix

Method = Literal["logit", "auc"]
METHODS = ("logit", "auc")
MAX_PAIRS = 200_000
"""Churned x renewed pairs the AUC surrogate uses at most (a seeded sample beyond this)."""
RIDGE_FALLBACK = 1e-3
"""L2 penalty used when the plain logit cannot be fitted (separation, collinear factors)."""


@dataclass(frozen=True)
class WeightSuggestion:
    """Suggested flat weights (factor name -> % of the score, summing to 100).

    ``auc`` is the exact in-sample renewal AUC of the suggested weights on the fitting rows
    (scored as :func:`score_points` does); ``details`` holds method specifics (logit
    coefficients and p-values, optimiser status).
    """

    weights: dict[str, float]
    method: str
    auc: float | None
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)

    def describe(self) -> str:
        """Plain-text weights, largest first, with the AUC and notes."""
        auc = "n/a" if self.auc is None else f"{self.auc:.3f}"
        lines = [f"{self.method} suggestion (in-sample AUC {auc}):"]
        for name, w in sorted(self.weights.items(), key=lambda kv: -kv[1]):
            if w > 0:
                lines.append(f"  {name:<24} {w:6.2f}%")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def suggest_logit(points: ArrayLike | FactorMatrix, churned: ArrayLike,
                  names: Sequence[str] | None = None, l2: float = 0.0,
                  groups: Sequence[Any] | np.ndarray | Config | None = None
                  ) -> WeightSuggestion:
    """Weights from a logistic regression of churn on factor points.

    The model is ``churned ~ 1 + points / 100`` (statsmodels ``Logit``; coefficients are
    log-odds per full 0->100 swing of a factor). Missing points are filled with the column
    mean of the fitting rows (the scorer instead renormalises; the reported AUC uses the
    scorer's way). Factors with no data or one constant value are dropped with a note. With
    ``l2 > 0`` the fit is ``GLM(Binomial).fit_regularized(alpha=l2, L1_wt=0)`` (ridge; the
    intercept is not penalised). If the plain fit fails (perfect separation, collinear
    factors) a small ridge penalty is used and noted. Weights are the coefficients predicting
    *renewal* (minus the churn coefficients), clipped at 0 and normalised to 100%.
    """
    p, names = _points(points, names)
    c = _churned(churned, p.shape[0])
    if not (isinstance(l2, int | float) and math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    group_of = group_index(groups, p.shape[1])
    notes: list[str] = []
    x = p / 100.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(x, axis=0)
    keep = np.isfinite(means)
    x = np.where(np.isnan(x), means, x)
    spread = np.ptp(np.where(np.isfinite(x), x, 0.0), axis=0)
    keep &= spread > 0
    dropped = [n for n, k in zip(names, keep, strict=True) if not k]
    if dropped:
        notes.append(f"left out (no data or the same points for every account): "
                     f"{', '.join(dropped)}")
    if not keep.any():
        raise ValueError("no factor varies across accounts: nothing to fit")
    n_missing = int(np.isnan(p[:, keep]).sum())
    if n_missing:
        notes.append(f"{n_missing:,} missing factor values filled with the factor's mean "
                     "points for the fit")
    kept = [n for n, k in zip(names, keep, strict=True) if k]
    exog = np.column_stack([np.ones(len(x)), x[:, keep]])
    fit, info = _fit_logit(c.astype(float), exog, float(l2), notes)
    coef = np.asarray(fit.params, dtype=float)
    renewal = np.zeros(p.shape[1])
    renewal[keep] = -coef[1:]
    positive = np.clip(renewal, 0.0, None)
    negative = [n for n, r, k in zip(names, renewal, keep, strict=True) if k and r <= 0]
    if negative:
        notes.append(f"weight 0 (higher points go with more churn, or no effect): "
                     f"{', '.join(negative)}")
    if positive.sum() <= 0:
        notes.append("no factor predicts renewal: equal weights returned")
        positive = keep.astype(float)
    w = _round_weights(positive / positive.sum() * 100.0)
    labels = ["const", *kept]
    details = {
        "params": dict(zip(labels, map(float, coef), strict=True)),
        "pvalues": info.get("pvalues") and dict(zip(labels, info["pvalues"], strict=True)),
        "bse": info.get("bse") and dict(zip(labels, info["bse"], strict=True)),
        "l2": info["l2"], "converged": info["converged"], "dropped": dropped,
        "scale": "log-odds of churn per 100 factor points",
    }
    score = _score(p, w / 100.0, group_of)
    return WeightSuggestion(_as_dict(w, names), "logit", _auc(score, c), notes, details)


def _fit_logit(y: np.ndarray, exog: np.ndarray, l2: float, notes: list[str]):
    """Plain or ridge logit; falls back to a small ridge when the plain fit fails."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    if l2 == 0:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fit = sm.Logit(y, exog).fit(disp=0, maxiter=200)
                problem = next((str(w.message).splitlines()[0] for w in caught
                                if "separation" in str(w.message).lower()), None)
                bad = not np.isfinite(fit.params).all() or not np.isfinite(fit.bse).all()
                if problem is None and bad:
                    problem = "singular information matrix (collinear factors)"
            except (PerfectSeparationError, np.linalg.LinAlgError) as exc:
                problem = str(exc).splitlines()[0] or type(exc).__name__
        if problem is None:
            converged = bool(fit.mle_retvals.get("converged", False))
            if not converged:
                notes.append("the logistic fit did not fully converge")
            return fit, {"pvalues": [float(v) for v in fit.pvalues],
                         "bse": [float(v) for v in fit.bse], "l2": 0.0, "converged": converged}
        notes.append(f"plain logistic fit failed ({problem}); refitted with a small ridge "
                     f"penalty (l2={RIDGE_FALLBACK:g})")
        l2 = RIDGE_FALLBACK
    alpha = np.r_[0.0, np.full(exog.shape[1] - 1, l2)]
    model = sm.GLM(y, exog, family=sm.families.Binomial())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit_regularized(method="elastic_net", alpha=alpha, L1_wt=0.0)
    return fit, {"pvalues": None, "bse": None, "l2": l2, "converged": True}


class _Surrogate:
    """Smooth AUC: mean sigmoid((s_renewed - s_churned) / tau) over sampled pairs, with its
    exact gradient in the flat weights (scores renormalised per row like the scorer)."""

    def __init__(self, p: np.ndarray, c: np.ndarray, group_of: np.ndarray, max_pairs: int,
                 seed: int, tau: float) -> None:
        self.present = ~np.isnan(p)
        self.filled = np.where(self.present, p / 100.0, 0.0)
        self.group_of = group_of
        self.onehot = np.eye(group_of.max() + 1)[group_of]
        ren, chu = np.flatnonzero(~c), np.flatnonzero(c)
        if ren.size * chu.size <= max_pairs:
            self.pr = np.repeat(ren, chu.size)
            self.pc = np.tile(chu, ren.size)
        else:
            rng = np.random.default_rng(seed)
            self.pr = ren[rng.integers(ren.size, size=max_pairs)]
            self.pc = chu[rng.integers(chu.size, size=max_pairs)]
        self.n = p.shape[0]
        self.tau = tau

    def scores(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scores 0-1, N x K gradient of each score in w, and rows with a score."""
        g = self.group_of
        wp = self.present * w
        a = wp @ self.onehot
        b = (self.filled * wp) @ self.onehot
        full = w @ self.onehot
        on = a > 0
        sub = np.where(on, b / np.where(on, a, 1.0), 0.0)
        total = on @ full
        ok = total > 0
        t = np.where(ok, total, 1.0)[:, None]
        s = (on * sub) @ full / t[:, 0]
        sub_k, a_k, on_k = sub[:, g], a[:, g], on[:, g]
        grad_on = ((sub_k - s[:, None]) + full[g] * self.present * (self.filled - sub_k)
                   / np.where(on_k, a_k, 1.0)) / t
        grad_off = np.where((full[g] == 0) & self.present, (self.filled - s[:, None]) / t, 0.0)
        grad = np.where(on_k, grad_on, grad_off)
        grad[~ok] = 0.0
        return s, grad, ok

    def __call__(self, w: np.ndarray) -> tuple[float, np.ndarray]:
        """Minus the surrogate AUC and its gradient."""
        s, grad, ok = self.scores(w)
        valid = ok[self.pr] & ok[self.pc]
        sig = special.expit((s[self.pr] - s[self.pc]) / self.tau) * valid
        slope = sig * (1.0 - sig) / self.tau
        coef = (np.bincount(self.pr, slope, self.n) - np.bincount(self.pc, slope, self.n))
        m = self.pr.shape[0]
        return -float(sig.sum() / m), -(coef @ grad) / m


def _project(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, total: float) -> np.ndarray:
    """Closest-shift of ``x`` into the box [lo, hi] with sum ``total`` (bisection on a shift)."""
    if x.size == 0:
        return x
    a, b = float((lo - x).min()) - 1.0, float((hi - x).max()) + 1.0
    for _ in range(100):
        mid = (a + b) / 2
        if np.clip(x + mid, lo, hi).sum() < total:
            a = mid
        else:
            b = mid
    return np.clip(x + (a + b) / 2, lo, hi)


def _constraints(names: list[str], locked: Mapping[str, float],
                 bounds: Mapping[str, tuple[float, float]]) -> tuple[np.ndarray, ...]:
    """Lower/upper bounds in % and the locked mask, checked for feasibility."""
    k = len(names)
    unknown = (set(locked) | set(bounds)) - set(names)
    if unknown:
        raise ValueError(f"unknown factor(s) in locked/bounds: {', '.join(sorted(unknown))}")
    lo, hi = np.zeros(k), np.full(k, 100.0)
    fixed = np.zeros(k, dtype=bool)
    for name, pair in bounds.items():
        j = names.index(name)
        try:
            low, high = (float(v) for v in pair)
        except (TypeError, ValueError):
            raise ValueError(f"bounds[{name!r}] must be a (min, max) pair, got {pair!r}") \
                from None
        if not (0 <= low <= high <= 100):
            raise ValueError(f"bounds[{name!r}] must satisfy 0 <= min <= max <= 100, "
                             f"got ({low:g}, {high:g})")
        lo[j], hi[j] = low, high
    for name, value in locked.items():
        j = names.index(name)
        value = float(value)
        if not 0 <= value <= 100:
            raise ValueError(f"locked weight of {name!r} must be 0-100%, got {value:g}")
        if name in bounds and not lo[j] <= value <= hi[j]:
            raise ValueError(f"locked weight of {name!r} ({value:g}%) is outside its bounds "
                             f"({lo[j]:g}-{hi[j]:g}%)")
        lo[j] = hi[j] = value
        fixed[j] = True
    if lo.sum() > 100 + 1e-9:
        raise ValueError(f"locked weights and minimums add up to {lo.sum():g}%, over 100%")
    if hi.sum() < 100 - 1e-9:
        raise ValueError(f"locked weights and maximums add up to {hi.sum():g}%, under 100%: "
                         "the weights cannot reach 100%")
    return lo, hi, fixed


def suggest_auc(points: ArrayLike | FactorMatrix, churned: ArrayLike,
                names: Sequence[str] | None = None,
                start: Mapping[str, float] | None = None,
                locked: Mapping[str, float] | None = None,
                bounds: Mapping[str, tuple[float, float]] | None = None,
                groups: Sequence[Any] | np.ndarray | Config | None = None,
                *, max_pairs: int = MAX_PAIRS, seed: int = 0, tau: float = 0.02
                ) -> WeightSuggestion:
    """Weights maximising a smooth AUC (SLSQP) under weight constraints.

    Objective: mean of sigmoid((score_renewed - score_churned) / tau) over churned x renewed
    pairs (all pairs up to ``max_pairs``, else a seeded sample of that many), scores on a
    0-1 scale (``tau=0.02`` = 2 points). Scores renormalise missing factors per row like the
    scorer (within ``groups`` first when given), with an exact gradient.

    Constraints: weights >= 0 summing to 100%, ``locked`` factors fixed at their % and
    ``bounds`` name -> (min %, max %). Start: ``start`` weights (default: equal weights),
    moved into the constraints. The result is rounded to 0.01% (bounds hold on that grid) and
    its exact in-sample AUC is reported.
    """
    p, names = _points(points, names)
    c = _churned(churned, p.shape[0])
    lo, hi, fixed = _constraints(names, locked or {}, bounds or {})
    if not (isinstance(max_pairs, int) and max_pairs >= 1):
        raise ValueError(f"max_pairs must be a positive integer, got {max_pairs!r}")
    if not (isinstance(tau, int | float) and tau > 0):
        raise ValueError(f"tau must be > 0, got {tau!r}")
    group_of = group_index(groups, p.shape[1])
    notes: list[str] = []
    x0 = np.ones(len(names)) if start is None else _weight_vector(start, names) * 100.0
    free = ~fixed
    room = 100.0 - lo[fixed].sum()
    w = lo.copy()
    x0f = _project(x0[free] * room / max(x0[free].sum(), 1e-12), lo[free], hi[free], room)
    w[free] = x0f
    details: dict[str, Any] = {"pairs": 0, "iterations": 0, "status": "no free weights"}
    if free.any() and room > 0:
        objective = _Surrogate(p, c, group_of, max_pairs, seed, tau)
        details["pairs"] = int(objective.pr.shape[0])

        def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
            full = lo / 100.0
            full[free] = x
            value, grad = objective(full)
            return value, grad[free]

        result = optimize.minimize(
            fun, x0f / 100.0, jac=True, method="SLSQP",
            bounds=list(zip(lo[free] / 100.0, hi[free] / 100.0, strict=True)),
            constraints=[{"type": "eq", "fun": lambda x: x.sum() - room / 100.0,
                          "jac": lambda x: np.ones_like(x)}],
            options={"maxiter": 300, "ftol": 1e-10},
        )
        w[free] = _project(result.x * 100.0, lo[free], hi[free], room)
        details.update(iterations=int(result.nit), status=str(result.message),
                       surrogate_auc=float(-result.fun), success=bool(result.success))
        if not result.success:
            notes.append(f"optimiser stopped early: {result.message}")
    elif free.any():
        notes.append("locked weights already add up to 100%: nothing to optimise")
    w = _round_weights(w, lo, hi, fixed)
    score = _score(p, w / 100.0, group_of)
    unscored = int(np.isnan(score).sum())
    if unscored:
        notes.append(f"{unscored} accounts have no weighted factor and are left out of AUC")
    details.update(tau=tau, seed=seed, locked=dict(locked or {}),
                   bounds={k: list(v) for k, v in (bounds or {}).items()})
    return WeightSuggestion(_as_dict(w, names), "auc", _auc(score, c), notes, details)


def suggest(points: ArrayLike | FactorMatrix, churned: ArrayLike,
            names: Sequence[str] | None = None, method: Method = "auc",
            **options: Any) -> WeightSuggestion:
    """Dispatch to :func:`suggest_logit` or :func:`suggest_auc` by ``method``."""
    if method == "logit":
        return suggest_logit(points, churned, names, **options)
    if method == "auc":
        return suggest_auc(points, churned, names, **options)
    raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
