"""How far apart churned and renewed scores lie: AUC, ROC, KS, correlations, logit."""

from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.typing import ArrayLike

from calibration.metrics import exact
from calibration.metrics.base import (
    Result,
    _auc_groups,
    _auc_result,
    _check_arr,
    _check_churned,
    _check_score,
    _class_reason,
    _dot,
    _group,
    _Groups,
    _num,
    _ok,
    _scored,
    _undefined,
)


def auc(score: ArrayLike, churned: ArrayLike, weights: ArrayLike | None = None) -> Result:
    """ROC AUC of the health score predicting renewal, with Gini = 2 AUC - 1.

    Parameters
    ----------
    score, churned : array_like
        Scores 0-100 (NaN rows excluded) and churn flags.
    weights : array_like, optional
        Per-account weights (e.g. ARR). Pairs are then weighted by ``w_i * w_j``
        (weighted Mann-Whitney); rows with NaN weight are excluded.

    Returns
    -------
    dict
        ``value`` (AUC), ``gini``, ``n_churned``, ``n_renewed`` (weight totals if weighted),
        ``n_unscored``, ``reason``.

    Notes
    -----
    Ties count one half. Computed from counts per distinct score (equivalent to average
    ranks), so it is exact.
    """
    s = _check_score(score)
    c = _check_churned(churned, s.shape[0])
    w = _check_arr(weights, s.shape[0], "weights")
    keep = ~np.isnan(s)
    n_unscored = int((~keep).sum())
    if w is not None:
        keep &= ~np.isnan(w)
    g = _group(s[keep], c[keep], None if w is None else w[keep])
    return {**_auc_result(g, weighted=w is not None), "n_unscored": n_unscored}


def _thin(n: int, max_points: int) -> np.ndarray:
    """At most ``max_points`` evenly spread indices of ``range(n)`` keeping both ends."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))


def _roc_groups(g: _Groups, max_points: int) -> Result:
    """ROC points (churn-alert framing) from groups."""
    reason = _class_reason(g.n_churned, g.n_renewed)
    if reason:
        return _undefined(reason, fpr=[], tpr=[], threshold=[])
    tpr = np.concatenate(([0.0], np.cumsum(g.churned) / g.n_churned))
    fpr = np.concatenate(([0.0], np.cumsum(g.renewed) / g.n_renewed))
    idx = _thin(tpr.shape[0], max_points)
    # point i flags scores <= values[i - 1] (point 0: nothing); only the kept points' values
    # become Python floats, not every distinct score's
    picked = g.values[np.maximum(idx - 1, 0)].tolist()
    return _ok(
        _auc_groups(g),
        fpr=fpr[idx].tolist(),
        tpr=tpr[idx].tolist(),
        threshold=[None if i == 0 else v for i, v in zip(idx.tolist(), picked, strict=True)],
    )


def roc_curve(score: ArrayLike, churned: ArrayLike, max_points: int = 200) -> Result:
    """ROC curve points for charts, thinned to at most ``max_points``.

    Framed as a churn alert: flag accounts with ``score <= threshold``; ``tpr`` is the share
    of churned accounts flagged, ``fpr`` the share of renewed accounts flagged. The first
    point (0, 0) flags nothing (threshold None). The area under it equals :func:`auc`.

    Returns
    -------
    dict
        ``value`` (AUC), ``fpr``, ``tpr``, ``threshold`` lists, ``reason``.
    """
    if not isinstance(max_points, int | np.integer) or max_points < 2:
        raise ValueError(f"max_points must be an integer >= 2, got {max_points!r}")
    s, c, _ = _scored(score, churned)
    return _roc_groups(_group(s, c), int(max_points))


def _ks_groups(g: _Groups, p_value: bool = True) -> Result:
    """Two-sample KS statistic between churned and renewed score distributions (its
    ``p_value`` None unless ``p_value``)."""
    reason = _class_reason(g.n_churned, g.n_renewed)
    if reason is None and g.values.shape[0] < 2:
        reason = "all scores are equal"
    if reason:
        return _undefined(reason, p_value=None, at_score=None)
    gap = np.cumsum(g.churned) / g.n_churned - np.cumsum(g.renewed) / g.n_renewed
    peak = int(np.argmax(np.abs(gap)))
    d = float(abs(gap[peak]))
    return _ok(
        d,
        p_value=_ks_p_value(g, d) if p_value else None,
        at_score=float(g.values[peak]),
        churned_lower=bool(gap[peak] > 0),
    )


def _ks_p_value(g: _Groups, d: float) -> float:
    """Two-sided KS p-value as ``scipy.stats.ks_2samp`` (method "auto") computes it."""
    return exact.ks_p_value(int(g.n_churned), int(g.n_renewed), d, g.values,
                            g.churned.astype(np.int64), g.renewed.astype(np.int64))


def ks(score: ArrayLike, churned: ArrayLike) -> Result:
    """Kolmogorov-Smirnov statistic between churned and renewed score distributions.

    Returns
    -------
    dict
        ``value`` (max CDF gap), ``at_score`` (score where the gap peaks: flagging
        ``score <= at_score`` separates best), ``churned_lower`` (True if churned accounts
        are concentrated below it, the healthy direction), ``p_value`` (two-sided, as
        ``scipy.stats.ks_2samp``: exact up to 10,000 per class, else asymptotic), ``reason``.
    """
    s, c, _ = _scored(score, churned)
    return _ks_groups(_group(s, c))


def _t_p_value(r: float, n: float) -> float:
    """Two-sided p-value of a Pearson-type r with ``n - 2`` degrees of freedom."""
    if abs(r) >= 1.0:
        return 0.0
    from scipy import special  # here: a caller without p-values never imports scipy

    t = abs(r) * math.sqrt((n - 2) / (1.0 - r * r))
    return float(min(1.0, 2.0 * special.stdtr(n - 2, -t)))


def _binary_r(x: np.ndarray, g: _Groups) -> float:
    """Pearson r between grouped values ``x`` and renewal (renewed = 1)."""
    n1, n0 = g.n_renewed, g.n_churned
    n = n1 + n0
    counts = g.renewed + g.churned
    mean = _dot(counts, x) / n
    sd = math.sqrt(_dot(counts, (x - mean) ** 2) / n)
    m1 = _dot(g.renewed, x) / n1
    m0 = _dot(g.churned, x) / n0
    r = (m1 - m0) / sd * math.sqrt(n1 * n0) / n
    return max(-1.0, min(1.0, r))


def _average_ranks(g: _Groups) -> np.ndarray:
    """Average rank (1-based) of each distinct value."""
    counts = g.renewed + g.churned
    return np.cumsum(counts) - counts + (counts + 1.0) / 2.0


def _correlation_reason(g: _Groups) -> str | None:
    """Why a correlation with renewal is undefined, or None."""
    if g.n < 3:
        return f"fewer than 3 scored accounts ({int(g.n)})"
    reason = _class_reason(g.n_churned, g.n_renewed)
    if reason is None and g.values.shape[0] < 2:
        reason = "all scores are equal"
    return reason


def _correlations_groups(g: _Groups, p_values: bool = True) -> dict[str, Result]:
    """Point-biserial r and Spearman rho of score with renewal from groups (their
    ``p_value`` None unless ``p_values``)."""
    reason = _correlation_reason(g)
    if reason:
        return {
            "point_biserial_r": _undefined(reason, p_value=None),
            "spearman": _undefined(reason, p_value=None),
        }
    r = _binary_r(g.values, g)
    rho = _binary_r(_average_ranks(g), g)
    return {
        "point_biserial_r": _ok(r, p_value=_t_p_value(r, g.n) if p_values else None),
        "spearman": _ok(rho, p_value=_t_p_value(rho, g.n) if p_values else None),
    }


def correlations(score: ArrayLike, churned: ArrayLike) -> dict[str, Result]:
    """Point-biserial r and Spearman rho of score with renewal (renewed = 1).

    Returns
    -------
    dict
        ``{"point_biserial_r": {...}, "spearman": {...}}``, each with ``value``,
        ``p_value`` (two-sided, t with n-2 df) and ``reason``.
    """
    s, c, _ = _scored(score, churned)
    return _correlations_groups(_group(s, c))


def _separation(g: _Groups) -> str | None:
    """Reason text if churned and renewed scores do not overlap (MLE does not exist)."""
    churned_at = g.values[g.churned > 0]
    renewed_at = g.values[g.renewed > 0]
    if churned_at.max() <= renewed_at.min():
        return "perfect separation: every churned account scores at or below every renewed one"
    if renewed_at.max() <= churned_at.min():
        return "perfect separation: every renewed account scores at or below every churned one"
    return None


def _logit_reason(g: _Groups) -> str | None:
    """Why the logistic regression cannot be fitted, or None."""
    reason = _correlation_reason(g)
    return reason or _separation(g)


_LOGIT_EMPTY = {"ci": None, "p_value": None, "coef": None, "intercept": None, "converged": None}


def logit(score: ArrayLike, churned: ArrayLike) -> Result:
    """Logistic regression of churn on score (with constant), as statsmodels fits it.

    Returns
    -------
    dict
        ``value``: churn odds ratio per +10 score points (below 1 = healthier scores churn
        less), ``ci`` 95% CI of it, ``p_value`` of the score coefficient, ``coef`` and
        ``intercept`` (per point, log-odds), ``converged``, ``warning`` (fit warnings or
        None), ``reason``. Single class, constant score and perfect separation are undefined.
    """
    s, c, _ = _scored(score, churned)
    reason = _logit_reason(_group(s, c))
    if reason:
        return _undefined(reason, **_LOGIT_EMPTY, warning=None)
    return _fit_logit(s, c)


def _fit_logit(s: np.ndarray, c: np.ndarray, p_value: bool = True) -> Result:
    """Fit ``churned ~ 1 + score`` (statsmodels' Newton fit, repeated in
    :func:`calibration.metrics.exact.logit_fit` without importing statsmodels: same numbers);
    failures become reasons. The p-value is None unless ``p_value``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = exact.logit_fit(c.astype(np.float64), s, maxiter=100, p_value=p_value)
        except exact.LogitFailed as exc:
            return _undefined(f"logistic fit failed: {exc}", **_LOGIT_EMPTY, warning=None)
    b0, b1 = (float(v) for v in fit["params"])
    lo, hi = (float(v) for v in fit["ci"])
    p = None if fit["p_value"] is None else float(fit["p_value"])
    # the p-value, 2 ndtr(-|z|), is finite unless z is NaN (ndtr(-inf) = 0): the same check
    # whether or not it was computed
    if not all(math.isfinite(v) for v in (b0, b1, lo, hi)) or math.isnan(fit["z"]):
        return _undefined("logistic fit gave non-finite estimates", **_LOGIT_EMPTY, warning=None)
    messages = sorted({str(w.message).splitlines()[0] for w in caught})
    return _ok(
        _num(math.exp(10.0 * b1)),
        ci=[_num(math.exp(10.0 * lo)), _num(math.exp(10.0 * hi))],
        p_value=p,
        coef=b1,
        intercept=b0,
        converged=bool(fit["converged"]),
        warning="; ".join(messages) or None,
    )
