"""Suggest weights and band cut-offs from renewal outcomes, and check them honestly.

Everything here works on the point-in-time judged rows (:func:`calibration.validation.
judged_rows`): an N x K matrix of factor points (0-100, NaN = missing) and churn flags. Weights
are *flat* percentages of the whole score (summing to 100), the way a CS leader reads them;
:func:`calibration.weights.apply_flat_weights` writes them back into the config's group
hierarchy.

Scoring a points matrix with flat weights (:func:`score_points`) follows the scorer: missing
factors are left out per row and the remaining weights renormalised, first within each group
(when ``groups`` are given), then across groups. Guardrails and segment overrides are not
applied here; :mod:`calibration.compare` scores full configs.

Pure computation (numpy, scipy, statsmodels); never imports streamlit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, special, stats

from calibration import metrics
from calibration.config import Config
from calibration.scoring import FactorMatrix, assign_bands
from calibration.weights import flat_weights

DEFAULT_TEST_MONTHS = 6
"""Time-split test window: the latest two quarters of renewals. One quarter usually holds too
few churned renewals to judge (30 on the demo data, where its CI could not tell a real
improvement from noise)."""

Method = Literal["logit", "auc"]
METHODS = ("logit", "auc")
MAX_PAIRS = 200_000
"""Churned x renewed pairs the AUC surrogate uses at most (a seeded sample beyond this)."""
OVERFIT_GAP = 0.05
"""In-sample minus out-of-sample AUC above this is reported as overfitting."""
MIN_TEST_CHURNED = metrics.MIN_CHURNED
GREEN_SAFETY = 0.5
"""Green is "too generous" when its churn rate is clearly at least this share of the overall
churn rate: a green account should be much safer than the average one."""
RIDGE_FALLBACK = 1e-3
"""L2 penalty used when the plain logit cannot be fitted (separation, collinear factors)."""

__all__ = [
    "BandSuggestion",
    "FactorCutoffs",
    "WeightSuggestion",
    "band_warnings",
    "churn_curve",
    "cross_validate",
    "flat_weights",
    "group_index",
    "paired_auc_bootstrap",
    "score_points",
    "suggest",
    "suggest_auc",
    "suggest_bands",
    "suggest_factor_cutoffs",
    "suggest_logit",
    "time_split",
    "weight_stability",
]


# --------------------------------------------------------------------------- weights
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


# --------------------------------------------------------------------------- suggestions
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


# --------------------------------------------------------------------------- bands
@dataclass(frozen=True)
class BandSuggestion:
    """Suggested band cut-offs and what they achieve on the given accounts.

    ``red_max`` / ``yellow_max`` are None when their target cannot be met (see ``messages``);
    ``achieved`` describes the bands with the suggestion (falling back to ``current``).
    """

    red_max: float | None
    yellow_max: float | None
    feasible: bool
    messages: list[str]
    achieved: dict[str, Any]
    targets: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def churn_curve(score: ArrayLike, churned: ArrayLike) -> pd.DataFrame:
    """Estimated churn rate by score: isotonic (non-increasing in score) fit of churn on score.

    Returns
    -------
    pd.DataFrame
        One row per distinct score (ascending): ``score``, ``accounts``, ``churned``,
        ``churn_rate`` (observed) and ``estimated_churn_rate`` (monotone).
    """
    s = np.asarray(score, dtype=float)
    c = np.asarray(churned, dtype=bool)
    if s.shape != c.shape or s.ndim != 1:
        raise ValueError("score and churned must be 1-D arrays of the same length")
    keep = ~np.isnan(s)
    if not keep.any():
        raise ValueError("no scored accounts")
    values, inverse = np.unique(s[keep], return_inverse=True)
    n = np.bincount(inverse, minlength=values.size).astype(float)
    k = np.bincount(inverse, weights=c[keep].astype(float), minlength=values.size)
    fitted = optimize.isotonic_regression(k / n, weights=n, increasing=False).x
    return pd.DataFrame({"score": values, "accounts": n.astype(int), "churned": k.astype(int),
                         "churn_rate": k / n, "estimated_churn_rate": fitted})


def _cut(values: np.ndarray, i: int) -> float:
    """A round cut-off t with values[i] <= t < values[i + 1] (band: score <= t)."""
    v = float(values[i])
    upper = float(values[i + 1]) if i + 1 < values.size else math.inf
    for digits in (0, 1, 2):
        t = math.ceil(v * 10**digits - 1e-9) / 10**digits
        if v <= t < upper:
            return min(t, 100.0)
    return v


def _fraction(value: float | None, name: str) -> None:
    if value is not None and not (isinstance(value, int | float) and 0 < value <= 1):
        raise ValueError(f"{name} is a fraction between 0 and 1 (0.3 = 30%), got {value!r}")


def suggest_bands(score: ArrayLike, churned: ArrayLike, arr: ArrayLike | None = None, *,
                  red_risk: float | None = None, red_capture: float | None = None,
                  red_max_accounts: float | None = None, capacity: int | None = None,
                  green_max_churn: float | None = None, yellow_risk: float | None = None,
                  current: tuple[float, float] = (30.0, 70.0)) -> BandSuggestion:
    """Band cut-offs from one red target and optionally one yellow target.

    Red targets (give exactly one; fractions, 0.3 = 30%):

    - ``red_risk``: red = accounts whose estimated churn rate is at least this; the rate
      curve is :func:`churn_curve` (isotonic), ``red_max`` = highest score at that risk.
    - ``red_capture`` (+ optional ``red_max_accounts``): the lowest ``red_max`` whose red band
      holds this share of churned ARR (churned accounts if no ARR), with at most
      ``red_max_accounts`` of all accounts.
    - ``capacity``: red holds at most this many accounts (e.g. CSMs x accounts per CSM); pass
      the scores of the accounts the team will work (e.g. latest snapshot of open accounts).

    Yellow targets (optional): ``green_max_churn`` (the largest green band whose churn rate is
    at most this) or ``yellow_risk`` (as ``red_risk``). Without one, ``current[1]`` is kept.
    """
    s = np.asarray(score, dtype=float)
    c = np.asarray(churned, dtype=bool)
    if s.ndim != 1 or c.shape != s.shape:
        raise ValueError("score and churned must be 1-D arrays of the same length")
    a = None if arr is None else np.asarray(arr, dtype=float)
    if a is not None and a.shape != s.shape:
        raise ValueError("arr must have one value per account")
    for value, name in ((red_risk, "red_risk"), (red_capture, "red_capture"),
                        (red_max_accounts, "red_max_accounts"),
                        (green_max_churn, "green_max_churn"), (yellow_risk, "yellow_risk")):
        _fraction(value, name)
    given = [n for n, v in (("red_risk", red_risk), ("red_capture", red_capture),
                            ("capacity", capacity)) if v is not None]
    if len(given) != 1:
        raise ValueError("give exactly one red target: red_risk, red_capture or capacity "
                         f"(got {', '.join(given) or 'none'})")
    if red_max_accounts is not None and red_capture is None:
        raise ValueError("red_max_accounts goes with red_capture")
    if green_max_churn is not None and yellow_risk is not None:
        raise ValueError("give at most one yellow target: green_max_churn or yellow_risk")
    if capacity is not None and not (isinstance(capacity, int | np.integer) and capacity >= 0):
        raise ValueError(f"capacity must be a whole number of accounts >= 0, got {capacity!r}")
    keep = ~np.isnan(s)
    if keep.sum() == 0:
        raise ValueError("no scored accounts")
    curve = churn_curve(s, c)
    values = curve["score"].to_numpy()
    n_cum = curve["accounts"].cumsum().to_numpy()
    k_cum = curve["churned"].cumsum().to_numpy()
    rate = curve["estimated_churn_rate"].to_numpy()
    total_n, total_k = n_cum[-1], k_cum[-1]
    messages: list[str] = []
    feasible = True
    red_i: int | None = None

    if red_risk is not None:
        hits = np.flatnonzero(rate >= red_risk)
        if hits.size:
            red_i = int(hits[-1])
        else:
            feasible = False
            messages.append(f"no score range reaches a {red_risk:.0%} churn risk (highest "
                            f"estimated rate {rate.max():.1%}): no red cut-off suggested")
    elif red_capture is not None:
        weights = c[keep].astype(float)
        unit = "churned accounts"
        if a is not None and np.nansum(a[keep] * c[keep]) > 0:
            weights = np.where(c[keep], np.nan_to_num(a[keep]), 0.0)
            unit = "churned ARR"
        inv = np.searchsorted(values, s[keep])
        captured = np.cumsum(np.bincount(inv, weights=weights, minlength=values.size))
        share = captured / captured[-1] if captured[-1] > 0 else np.zeros_like(captured)
        red_i = int(np.argmax(share >= red_capture - 1e-12))
        held = n_cum[red_i] / total_n
        if red_max_accounts is not None and held > red_max_accounts + 1e-12:
            feasible = False
            within = np.flatnonzero(n_cum / total_n <= red_max_accounts + 1e-12)
            if within.size:
                best = int(within[-1])
                messages.append(f"capturing {red_capture:.0%} of {unit} needs {held:.0%} of "
                                f"accounts in red (limit {red_max_accounts:.0%}); at the limit "
                                f"red captures {share[best]:.0%}")
                red_i = best
            else:
                messages.append(f"even the lowest score holds more than {red_max_accounts:.0%} "
                                "of accounts: no red cut-off suggested")
                red_i = None
    else:
        within = np.flatnonzero(n_cum <= capacity)
        if capacity >= total_n:
            red_i = values.size - 1
            messages.append(f"capacity ({capacity:,}) covers every account: all would be red")
        elif within.size:
            red_i = int(within[-1])
            if n_cum[red_i] < capacity:
                messages.append(f"red holds {int(n_cum[red_i]):,} accounts (capacity "
                                f"{capacity:,}): tied scores cannot be split")
        else:
            feasible = False
            messages.append(f"{int(n_cum[0]):,} accounts share the lowest score, more than the "
                            f"capacity of {capacity:,}: no red cut-off suggested")

    red_max = None if red_i is None else _cut(values, red_i)
    yellow_i: int | None = None
    start = -1 if red_i is None else red_i
    if green_max_churn is not None:
        above_n = total_n - n_cum
        with np.errstate(invalid="ignore", divide="ignore"):
            above_rate = (total_k - k_cum) / above_n
        ok = (np.arange(values.size) > start) & (above_n > 0) & (above_rate <= green_max_churn)
        if ok.any():
            yellow_i = int(np.argmax(ok))
        else:
            feasible = False
            candidates = (np.arange(values.size) > start) & (above_n > 0)
            best = np.nanmin(above_rate[candidates]) if candidates.any() else float("nan")
            messages.append(f"no green band above red churns at most {green_max_churn:.0%} "
                            f"(lowest achievable {best:.1%}): no yellow cut-off suggested")
    elif yellow_risk is not None:
        hits = np.flatnonzero((rate >= yellow_risk) & (np.arange(values.size) > start))
        if hits.size:
            yellow_i = int(hits[-1])
        else:
            feasible = False
            messages.append(f"no scores above red reach a {yellow_risk:.0%} churn risk: the "
                            "yellow band would be empty; no yellow cut-off suggested")
    yellow_max = None if yellow_i is None else _cut(values, yellow_i)
    if yellow_max is not None and yellow_max >= 100.0 and yellow_i < values.size - 1:
        yellow_max = float(values[yellow_i])

    red_use = current[0] if red_max is None else red_max
    yellow_use = current[1] if yellow_max is None else yellow_max
    if red_use >= yellow_use:
        feasible = False
        messages.append(f"red cut-off {red_use:g} is not below the yellow cut-off "
                        f"{yellow_use:g}: set a yellow target")
        achieved: dict[str, Any] = {}
    else:
        achieved = _achieved(s, c, a, red_use, yellow_use)
    targets = {"red_risk": red_risk, "red_capture": red_capture,
               "red_max_accounts": red_max_accounts, "capacity": capacity,
               "green_max_churn": green_max_churn, "yellow_risk": yellow_risk,
               "current": list(current)}
    return BandSuggestion(red_max, yellow_max, feasible, messages, achieved, targets)


def _achieved(s: np.ndarray, c: np.ndarray, a: np.ndarray | None, red_max: float,
              yellow_max: float) -> dict[str, Any]:
    """Share of accounts, churn rate and share of churned ARR per band."""
    band = assign_bands(s, red_max, yellow_max)
    table = metrics.band_table(band, c, a)
    scored = band >= 0
    n = max(int(scored.sum()), 1)
    total_churned_arr = sum(r["churned_arr"] or 0.0 for r in table["rows"])
    out: dict[str, Any] = {"red_max": red_max, "yellow_max": yellow_max}
    for row in table["rows"]:
        out[row["band"]] = {
            "accounts": row["accounts"], "share_of_accounts": row["accounts"] / n,
            "churn_rate": row["churn_rate"],
            "share_of_churned_arr": (row["churned_arr"] / total_churned_arr
                                     if total_churned_arr else None),
        }
    out["warnings"] = band_warnings(band, c)
    return out


def band_warnings(band: ArrayLike, churned: ArrayLike) -> list[str]:
    """Plain-words warnings about implausible bands (codes 0 red, 1 yellow, 2 green, -1 none).

    Flags: red or yellow empty; green too generous (green's own churn rate is clearly, beyond
    its Wilson 95% CI, at least half the overall churn rate); over
    half the accounts red; churn rate clearly (beyond the Wilson 95% CIs) not falling
    red -> yellow -> green; fewer than 20 churned accounts.
    """
    b = np.asarray(band)
    c = np.asarray(churned, dtype=bool)
    if b.shape != c.shape or b.ndim != 1:
        raise ValueError("band and churned must be 1-D arrays of the same length")
    scored = b >= 0
    b, c = b[scored], c[scored]
    out: list[str] = []
    if b.size == 0:
        return ["no scored accounts"]
    n = np.bincount(b, minlength=3)
    k = np.bincount(b, weights=c.astype(float), minlength=3)
    share = n / b.size
    churn = c.mean()
    if n[0] == 0:
        out.append("red is empty: the score flags no account as at risk")
    if n[1] == 0:
        out.append("yellow is empty: every account is either red or green")
    if n[2] and churn > 0:
        green_low = float(metrics.wilson_ci(k[2], n[2])[0])
        if green_low >= GREEN_SAFETY * churn:
            out.append(f"green churns at {k[2] / n[2]:.1%} ({share[2]:.0%} of accounts) while "
                       f"{churn:.1%} churn overall: green is too generous (a green account is "
                       "not clearly safer than half the average risk)")
    if share[0] > 0.5:
        out.append(f"{share[0]:.0%} of accounts are red: alerts on over half the book lose "
                   "meaning")
    monotone = metrics.band_table(b, c)["monotone"]
    if monotone.get("value") is False and not monotone.get("noise_only"):
        rates = {name: k[i] / n[i] for i, name in enumerate(("red", "yellow", "green"))
                 if n[i]}
        for pair in monotone.get("clear_reversals", []):
            higher, lower = pair.split(" above ")
            out.append(f"churn is higher in {higher} ({rates[higher]:.1%}) than in {lower} "
                       f"({rates[lower]:.1%}), beyond the 95% CIs: bands are not ordered "
                       "by risk")
    if c.sum() < metrics.MIN_CHURNED:
        out.append(f"only {int(c.sum())} churned accounts: band churn rates are very uncertain")
    return out


@dataclass(frozen=True)
class FactorCutoffs:
    """Data-driven cut-offs for a linear rule on one raw factor.

    ``lo`` / ``hi``: 10th / 90th percentiles of the raw values (0 and 100 points, flipped by
    ``direction``), so the middle 80% of accounts spread over the points range and outliers
    do not squash it. ``ks_value``: raw value where the churned and renewed distributions
    differ most (Kolmogorov-Smirnov peak), a natural single threshold. ``direction``:
    higher_is_better when renewed accounts tend to have higher values (``auc`` >= 0.5,
    the renewal AUC of the raw value).
    """

    lo: float
    hi: float
    ks_value: float
    ks_statistic: float
    direction: str
    auc: float
    n: int
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def suggest_factor_cutoffs(values: ArrayLike, churned: ArrayLike, lo_pct: float = 10.0,
                           hi_pct: float = 90.0) -> FactorCutoffs:
    """Linear-rule cut-offs for one raw numeric factor (see :class:`FactorCutoffs`).

    Missing values (NaN) are left out. If the two percentiles coincide the minimum and
    maximum are used instead.
    """
    x = np.asarray(values, dtype=float)
    c = np.asarray(churned, dtype=bool)
    if x.ndim != 1 or x.shape != c.shape:
        raise ValueError("values and churned must be 1-D arrays of the same length")
    if not 0 <= lo_pct < hi_pct <= 100:
        raise ValueError(f"need 0 <= lo_pct < hi_pct <= 100, got {lo_pct}, {hi_pct}")
    keep = np.isfinite(x)
    notes = [f"{int((~keep).sum())} missing values left out"] if (~keep).any() else []
    x, c = x[keep], c[keep]
    if np.unique(x).size < 2:
        raise ValueError("need at least two distinct values to suggest cut-offs")
    if c.all() or not c.any():
        raise ValueError("need both churned and renewed accounts")
    lo, hi = (float(v) for v in np.percentile(x, [lo_pct, hi_pct]))
    if hi <= lo:
        lo, hi = float(x.min()), float(x.max())
        notes.append("most accounts share one value: cut-offs widened to the min and max")
    grid = np.unique(x)
    f_churned = np.searchsorted(np.sort(x[c]), grid, side="right") / c.sum()
    f_renewed = np.searchsorted(np.sort(x[~c]), grid, side="right") / (~c).sum()
    gap = np.abs(f_churned - f_renewed)
    peak = int(np.argmax(gap))
    ranks = stats.rankdata(x)
    n_renewed, n_churned = int((~c).sum()), int(c.sum())
    auc = (ranks[~c].sum() - n_renewed * (n_renewed + 1) / 2) / (n_renewed * n_churned)
    return FactorCutoffs(lo, hi, float(grid[peak]), float(gap[peak]),
                         "higher_is_better" if auc >= 0.5 else "lower_is_better", float(auc),
                         int(x.size), notes)


# --------------------------------------------------------------------------- stability
def weight_stability(points: ArrayLike | FactorMatrix, names: Sequence[str] | None,
                     flat_weights: Mapping[str, float], nudge: float = 5.0,
                     bands: tuple[float, float] = (30.0, 70.0),
                     groups: Sequence[Any] | np.ndarray | Config | None = None
                     ) -> pd.DataFrame:
    """How much the ranking and bands move when one weight is nudged by +/- ``nudge`` points.

    For each factor its flat % is raised and lowered by ``nudge`` (within 0-100; the other
    weights are rescaled in proportion to keep the total at 100, shared equally when they are
    all 0), accounts are rescored, and compared with the current scores: Spearman rank
    correlation and share of scored accounts whose band changes (``bands`` = red_max,
    yellow_max). Sorted by impact (largest band change, then lowest correlation).
    """
    _names_for(flat_weights, points, names)
    p, names = _points(points, names)
    w = _weight_vector(flat_weights, names) * 100.0
    if not (isinstance(nudge, int | float) and 0 < nudge <= 100):
        raise ValueError(f"nudge must be between 0 and 100 points, got {nudge!r}")
    red_max, yellow_max = bands
    if not red_max < yellow_max:
        raise ValueError(f"bands must be (red_max, yellow_max) with red_max < yellow_max, "
                         f"got {bands!r}")
    group_of = group_index(groups, p.shape[1])
    base = _score(p, w / 100.0, group_of)
    base_band = assign_bands(base, red_max, yellow_max)
    rows = []
    for j, name in enumerate(names):
        row: dict[str, Any] = {"factor": name, "weight": float(w[j])}
        for label, sign in (("up", 1.0), ("down", -1.0)):
            target = float(np.clip(w[j] + sign * nudge, 0.0, 100.0))
            new = _nudged(w, j, target)
            if new is None:
                row[f"spearman_{label}"], row[f"band_changed_{label}"] = 1.0, 0.0
                continue
            score = _score(p, new / 100.0, group_of)
            both = ~(np.isnan(score) | np.isnan(base))
            rho = stats.spearmanr(base[both], score[both]).statistic if both.sum() > 2 else 1.0
            changed = assign_bands(score, red_max, yellow_max) != base_band
            row[f"spearman_{label}"] = float(np.nan_to_num(rho, nan=1.0))
            row[f"band_changed_{label}"] = float(changed[both].mean()) if both.any() else 0.0
        row["band_changed"] = max(row["band_changed_up"], row["band_changed_down"])
        row["spearman"] = min(row["spearman_up"], row["spearman_down"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sort_values(["band_changed", "spearman"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def _nudged(w: np.ndarray, j: int, target: float) -> np.ndarray | None:
    """Weights (%) with factor ``j`` at ``target`` and the others rescaled to total 100."""
    if math.isclose(target, w[j]):
        return None
    others = np.delete(np.arange(w.size), j)
    if others.size == 0:
        return None
    rest = w[others]
    new = w.copy()
    new[j] = target
    room = 100.0 - target
    new[others] = rest / rest.sum() * room if rest.sum() > 0 else room / others.size
    if new.sum() <= 0:
        return None
    return new


# --------------------------------------------------------------------------- honest evaluation
def _auc_weighted_rows(score: np.ndarray, churned: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """AUC per row of ``draws`` (R x N multiplicities of each account)."""
    _, inverse = np.unique(score, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(inverse[order]) > 0])
    ren = np.add.reduceat((draws * ~churned)[:, order], starts, axis=1)
    chu = np.add.reduceat((draws * churned)[:, order], starts, axis=1)
    below = np.cumsum(chu, axis=1) - chu
    u = np.einsum("ij,ij->i", ren, below + 0.5 * chu)
    return u / (ren.sum(axis=1) * chu.sum(axis=1))


def stratified_draws(churned: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """Bootstrap multiplicities (R x N): accounts resampled with replacement within each
    outcome, so every resample keeps the churned and renewed counts."""
    rng = np.random.default_rng(seed)
    draws = np.zeros((n_resamples, churned.shape[0]))
    for cls in (churned, ~churned):
        idx = np.flatnonzero(cls)
        if idx.size:
            draws[:, idx] = rng.multinomial(idx.size, np.full(idx.size, 1.0 / idx.size),
                                            size=n_resamples)
    return draws


def _check_resamples(n_resamples: int, level: float) -> None:
    if not isinstance(n_resamples, int | np.integer) or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")


def paired_auc_bootstrap(score_a: ArrayLike, score_b: ArrayLike, churned: ArrayLike,
                         n_resamples: int = 1000, seed: int = 0, level: float = 0.95
                         ) -> dict[str, Any]:
    """AUC of two scores on the same accounts and a paired bootstrap CI of ``b - a``.

    Each resample draws accounts with replacement (within each outcome) and uses the same
    draw for both scores, so their correlation is kept. Rows where either score is NaN are
    left out. ``real`` is True when the CI excludes 0.
    """
    a = np.asarray(score_a, dtype=float)
    b = np.asarray(score_b, dtype=float)
    c = np.asarray(churned, dtype=bool)
    if not (a.shape == b.shape == c.shape) or a.ndim != 1:
        raise ValueError("score_a, score_b and churned must be 1-D arrays of the same length")
    _check_resamples(n_resamples, level)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b, c = a[keep], b[keep], c[keep]
    out: dict[str, Any] = {"n": int(keep.sum()), "n_churned": int(c.sum()),
                           "n_left_out": int((~keep).sum()), "n_resamples": int(n_resamples),
                           "seed": seed, "level": level}
    if c.all() or not c.any():
        return {**out, "auc_a": None, "auc_b": None, "diff": None, "ci": None, "real": False,
                "reason": "need both churned and renewed accounts"}
    draws = stratified_draws(c, n_resamples, seed)
    diffs = _auc_weighted_rows(b, c, draws) - _auc_weighted_rows(a, c, draws)
    tail = (1 - level) / 2 * 100
    lo, hi = (float(v) for v in np.percentile(diffs, [tail, 100 - tail]))
    auc_a, auc_b = _auc(a, c), _auc(b, c)
    return {**out, "auc_a": auc_a, "auc_b": auc_b, "diff": auc_b - auc_a, "ci": [lo, hi],
            "real": bool(lo > 0 or hi < 0), "share_not_better": float((diffs <= 0).mean()),
            "reason": None}


def _folds(c: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Stratified fold number per row: each outcome shuffled and dealt round-robin."""
    rng = np.random.default_rng(seed)
    fold = np.empty(c.shape[0], dtype=int)
    offset = 0
    for cls in (c, ~c):
        idx = rng.permutation(np.flatnonzero(cls))
        fold[idx] = (np.arange(idx.size) + offset) % k
        offset += idx.size
    return fold


def _baseline_scores(baseline: Mapping[str, float] | ArrayLike | None, p: np.ndarray,
                     names: list[str], group_of: np.ndarray) -> np.ndarray | None:
    """Scores of the current config: given directly, or from its flat weights."""
    if baseline is None:
        return None
    if isinstance(baseline, Mapping):
        return _score(p, _weight_vector(baseline, names), group_of)
    s = np.asarray(baseline, dtype=float)
    if s.shape != (p.shape[0],):
        raise ValueError(f"baseline scores need one value per row ({p.shape[0]}), "
                         f"got shape {s.shape}")
    return s


def cross_validate(points: ArrayLike | FactorMatrix, churned: ArrayLike, method: Method = "auc",
                   k: int = 5, seed: int = 0, *, names: Sequence[str] | None = None,
                   baseline: Mapping[str, float] | ArrayLike | None = None,
                   groups: Sequence[Any] | np.ndarray | Config | None = None,
                   **options: Any) -> dict[str, Any]:
    """Stratified k-fold check of a weight suggestion: fit on k-1 folds, AUC on the held-out.

    Returns in-sample (fitting folds) and out-of-sample (held-out fold) AUC per fold and their
    means; with ``baseline`` (current flat weights or scores) also its AUC on each held-out
    fold. Warns when in-sample minus out-of-sample mean AUC exceeds 0.05 (overfitting).
    """
    p, names = _points(points, names)
    c = _churned(churned, p.shape[0])
    if not (isinstance(k, int) and k >= 2):
        raise ValueError(f"k must be an integer >= 2, got {k!r}")
    if c.sum() < k or (~c).sum() < k:
        raise ValueError(f"need at least {k} churned and {k} renewed accounts for {k} folds")
    group_of = group_index(groups, p.shape[1])
    base = _baseline_scores(baseline, p, names, group_of)
    fold = _folds(c, k, seed)
    rows = []
    for f in range(k):
        train, test = fold != f, fold == f
        fit = suggest(p[train], c[train], names, method, groups=groups, **options)
        score = _score(p[test], np.array([fit.weights[n] for n in names]) / 100.0, group_of)
        row = {"fold": f, "n_test": int(test.sum()), "n_test_churned": int(c[test].sum()),
               "in_sample_auc": fit.auc, "out_of_sample_auc": _auc(score, c[test])}
        if base is not None:
            row["baseline_auc"] = _auc(base[test], c[test])
        rows.append(row)
    out: dict[str, Any] = {"method": method, "k": k, "seed": seed, "folds": rows}
    for key in ("in_sample_auc", "out_of_sample_auc", "baseline_auc"):
        vals = [r[key] for r in rows if r.get(key) is not None]
        out[key] = float(np.mean(vals)) if vals else None
    out["warnings"] = []
    if out["in_sample_auc"] is not None and out["out_of_sample_auc"] is not None:
        gap = out["in_sample_auc"] - out["out_of_sample_auc"]
        out["gap"] = gap
        if gap > OVERFIT_GAP:
            out["warnings"].append(f"overfitting: in-sample AUC is {gap:.3f} above "
                                   "out-of-sample")
    return out


def time_split(points: ArrayLike | FactorMatrix, churned: ArrayLike, decision_dates: ArrayLike,
               test_from: Any = None, method: Method = "auc", *,
               test_months: int = DEFAULT_TEST_MONTHS,
               judge_dates: ArrayLike | None = None,
               names: Sequence[str] | None = None,
               baseline: Mapping[str, float] | ArrayLike | None = None,
               groups: Sequence[Any] | np.ndarray | Config | None = None,
               n_resamples: int = 1000, seed: int = 0, **options: Any) -> dict[str, Any]:
    """Fit on earlier renewals, test on the latest ones: the most honest check.

    Rows decided before ``test_from`` (default: the latest renewal date minus ``test_months``
    months, i.e. the latest two quarters are the test set) fit
    the suggestion; later ones test it. Reports the suggestion's AUC on the fitting and test
    rows, the current config's (``baseline``: flat weights or scores) test AUC and a paired
    bootstrap CI of the test AUC difference (suggestion - baseline). Warns on overfitting
    (fitting minus test AUC > 0.05) and on fewer than 20 churned test accounts.

    With ``judge_dates`` (each decision's renewal date - horizon) the split is purged: the
    test decisions were judged on snapshots from ``first_test_judge_date`` on, so only
    decisions renewed *before* that date fit the weights (``train_before``); decisions in the
    gap are used by neither side (``n_purged``). Without it, fitting uses every decision
    renewed before ``test_from``.
    """
    p, names = _points(points, names)
    c = np.asarray(churned, dtype=bool)
    if c.shape != (p.shape[0],):
        raise ValueError(f"churned must have one flag per row ({p.shape[0]})")
    dates = pd.to_datetime(pd.Series(np.asarray(decision_dates)), errors="coerce")
    if dates.shape[0] != p.shape[0]:
        raise ValueError(f"decision_dates must have one date per row ({p.shape[0]})")
    if dates.isna().all():
        raise ValueError("no decision (renewal) dates: a time split needs dated renewals")
    if not (isinstance(test_months, int) and test_months >= 1):
        raise ValueError(f"test_months must be a whole number >= 1, got {test_months!r}")
    cut = (dates.max() - pd.DateOffset(months=test_months)) if test_from is None else (
        pd.Timestamp(test_from))
    known = dates.notna().to_numpy()
    test = known & (dates >= cut).to_numpy()
    train_before = cut
    if judge_dates is not None and test.any():
        judged_at = pd.to_datetime(pd.Series(np.asarray(judge_dates)), errors="coerce")
        if judged_at.shape[0] != p.shape[0]:
            raise ValueError(f"judge_dates must have one date per row ({p.shape[0]})")
        first_judge = judged_at[test].min()
        if pd.notna(first_judge):
            train_before = min(cut, first_judge)
    train = known & (dates < train_before).to_numpy()
    group_of = group_index(groups, p.shape[1])
    base = _baseline_scores(baseline, p, names, group_of)
    out: dict[str, Any] = {
        "method": method, "test_from": str(cut.date()),
        "train_before": str(train_before.date()),
        "n_purged": int((known & ~train & ~test).sum()), "n_train": int(train.sum()),
        "n_train_churned": int(c[train].sum()), "n_test": int(test.sum()),
        "n_test_churned": int(c[test].sum()), "n_undated": int((~known).sum()), "warnings": [],
    }
    for part, mask in (("fitting", train), ("test", test)):
        if c[mask].all() or not c[mask].any():
            raise ValueError(f"the {part} period ({int(mask.sum())} renewals) needs both "
                             f"churned and renewed accounts; choose another test_from")
    fit = suggest(p[train], c[train], names, method, groups=groups, **options)
    w = np.array([fit.weights[n] for n in names]) / 100.0
    test_score = _score(p[test], w, group_of)
    out.update(weights=fit.weights, train_auc=fit.auc, test_auc=_auc(test_score, c[test]),
               notes=fit.notes)
    if base is not None:
        out["baseline_train_auc"] = _auc(base[train], c[train])
        boot = paired_auc_bootstrap(base[test], test_score, c[test], n_resamples, seed)
        out.update(baseline_test_auc=boot["auc_a"], diff=boot["diff"], ci=boot["ci"],
                   real=boot["real"])
        out["verdict"] = _verdict(boot)
    if out["train_auc"] is not None and out["test_auc"] is not None:
        gap = out["train_auc"] - out["test_auc"]
        if gap > OVERFIT_GAP:
            out["warnings"].append(f"overfitting: AUC drops by {gap:.3f} from the fitting "
                                   "period to the test period")
    if out["n_test_churned"] < MIN_TEST_CHURNED:
        out["warnings"].append(f"only {out['n_test_churned']} churned accounts in the test "
                               "period: the comparison is very uncertain")
    return out


def _verdict(boot: dict[str, Any]) -> str:
    """Plain-words verdict on a paired AUC difference (b - a)."""
    if boot.get("ci") is None:
        return f"no verdict: {boot.get('reason')}"
    lo, hi = boot["ci"]
    ci = f"AUC difference {boot['diff']:+.3f}, 95% CI {lo:+.3f} to {hi:+.3f}"
    if lo > 0:
        return f"improvement is real ({ci})"
    if hi < 0:
        return f"the new weights are worse ({ci})"
    return f"no real difference: the CI includes 0 ({ci})"
