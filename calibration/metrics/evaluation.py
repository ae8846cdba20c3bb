"""Every metric of one scored sample in one JSON-serialisable dict (:func:`evaluate`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from calibration.metrics.bands import (
    _calibration_groups,
    alert_precision_recall,
    band_table,
    surprise_churn,
)
from calibration.metrics.base import (
    MIN_CHURNED,
    Result,
    _auc_result,
    _check_arr,
    _check_band,
    _check_churned,
    _check_ids,
    _check_n_bins,
    _check_score,
    _check_score_band,
    _group,
    _Groups,
    _groups_with_arr,
    _ok,
    _undefined,
    too_few_churned_warning,
)
from calibration.metrics.factors import factor_signal
from calibration.metrics.reference import reference_agreement
from calibration.metrics.resampling import bootstrap
from calibration.metrics.separation import (
    _LOGIT_EMPTY,
    _correlations_groups,
    _fit_logit,
    _ks_groups,
    _logit_reason,
    _roc_groups,
)


def _arr_weighted(s: np.ndarray, c: np.ndarray, a: np.ndarray | None,
                  g: _Groups | None = None) -> Result:
    """ARR-weighted AUC over scored rows with known ARR (``g``: those rows grouped by
    :func:`~calibration.metrics.base._groups_with_arr`, when already done)."""
    if a is None:
        return {"auc": _undefined("no ARR supplied", gini=None), "arr_unknown": None}
    known = ~np.isnan(a)
    if g is None:
        g = _group(s[known], c[known], a[known])
    return {"auc": _auc_result(g, weighted=True), "arr_unknown": int((~known).sum())}


def _warnings(n_churned: int, n_unscored: int, arr_unknown: int | None,
              n_scored: int | None = None) -> list[str]:
    """Sample-size and data-coverage warnings."""
    out = [w for w in [too_few_churned_warning(n_churned)] if w]
    if n_unscored:
        out.append(f"{n_unscored:,} unscored accounts excluded from score metrics")
    if arr_unknown and arr_unknown == n_scored:
        out.append("no account has a known ARR: revenue figures are not available")
    elif arr_unknown:
        out.append(f"{arr_unknown:,} scored accounts have unknown ARR (left out of ARR "
                   "figures)")
    return out


def evaluate(
    score: ArrayLike,
    churned: ArrayLike,
    band: ArrayLike,
    arr: ArrayLike | None = None,
    ids: ArrayLike | None = None,
    reference: ArrayLike | None = None,
    factor_scores: ArrayLike | None = None,
    factor_names: Sequence[str] | None = None,
    bootstrap_resamples: int = 0,
    seed: int = 0,
    include_logit: bool = True,
    include_factors: bool = True,
    p_values: bool = True,
    roc_points: int = 200,
    n_bins: int = 10,
) -> dict[str, Any]:
    """Every metric in one JSON-serialisable dict (see module docstring for conventions).

    ``include_logit=False`` / ``include_factors=False`` skip the slow parts (their keys then
    hold a reason); ``bootstrap_resamples=0`` skips the bootstrap; ``p_values=False`` leaves
    the p-values of KS, the correlations and the logit None (for a caller that shows none:
    they need scipy.special and the exact KS sum).

    Returns
    -------
    dict
        Counts ``n_rows``, ``n_scored``, ``n_unscored``, ``n_unscored_churned``,
        ``n_churned``, ``n_renewed``, ``min_churned``; metric dicts ``churn_rate``, ``auc``,
        ``gini``, ``auc_ci``, ``roc``, ``ks``, ``point_biserial_r``, ``spearman``, ``logit``,
        ``lift``, ``monotone``, ``calibration``, ``reference``, ``factors``, ``bootstrap``;
        ``bands`` (rows of :func:`band_table`), ``surprise_churn``, ``false_alarms``,
        ``alert``, ``arr_weighted`` (ARR-weighted AUC) and ``warnings`` (list of str).
    """
    s = _check_score(score)
    n = s.shape[0]
    c, b = _check_churned(churned, n), _check_band(band, n)
    _check_score_band(s, b)
    a, id_arr = _check_arr(arr, n), _check_ids(ids, n)
    if factor_scores is not None and factor_names is None:
        raise ValueError("factor_names are required with factor_scores")
    _check_n_bins(n_bins)
    if not isinstance(roc_points, int | np.integer) or roc_points < 2:
        raise ValueError(f"roc_points must be an integer >= 2, got {roc_points!r}")
    keep = ~np.isnan(s)
    ss, cs = s[keep], c[keep]
    a_scored = None if a is None else a[keep]
    if a_scored is None:
        g, g_arr = _group(ss, cs), None
    else:  # one sort of the scores for both groupings
        g, g_arr = _groups_with_arr(ss, cs, a_scored)
    table = band_table(b, c, a)
    misses = surprise_churn(b, c, a, id_arr)
    weighted = _arr_weighted(ss, cs, a_scored, g_arr)
    auc_res = _auc_result(g)
    out: dict[str, Any] = {
        "n_rows": n,
        "n_scored": int(keep.sum()),
        "n_unscored": int((~keep).sum()),
        "n_unscored_churned": int(c[~keep].sum()),
        "n_churned": int(cs.sum()),
        "n_renewed": int((~cs).sum()),
        "churn_rate": _rate_result(int(cs.sum()), int(keep.sum())),
        "min_churned": MIN_CHURNED,
        "auc": auc_res,
        "gini": _gini(auc_res),
        "roc": _roc_groups(g, roc_points),
        "ks": _ks_groups(g, p_values),
        **_correlations_groups(g, p_values),
        "logit": _maybe_logit(g, ss, cs, include_logit, p_values),
        "bands": table["rows"],
        "lift": table["lift"],
        "monotone": table["monotone"],
        **misses,
        "alert": alert_precision_recall(b, c),
        "calibration": _calibration_groups(g, n_bins),
        "reference": reference_agreement(b, reference),
        "factors": _maybe_factors(factor_scores, factor_names, c, include_factors, n_bins),
        "arr_weighted": weighted,
        "warnings": _warnings(int(cs.sum()), int((~keep).sum()), weighted["arr_unknown"],
                              int(keep.sum())),
    }
    out["bootstrap"] = _maybe_bootstrap(s, c, b, bootstrap_resamples, seed)
    out["auc_ci"] = _auc_ci(out["bootstrap"])
    return out


def _gini(auc_res: Result) -> Result:
    """Gini as its own metric dict."""
    if auc_res["reason"] is None:
        return _ok(auc_res["gini"])
    return _undefined(auc_res["reason"])


def _rate_result(k: int, n: int) -> Result:
    """``k / n`` as a metric dict."""
    return _ok(k / n) if n else _undefined("no scored accounts")


def _maybe_logit(g: _Groups, s: np.ndarray, c: np.ndarray, include: bool,
                 p_value: bool = True) -> Result:
    """Logistic fit unless skipped or undefined."""
    if not include:
        return _undefined("logit not requested", **_LOGIT_EMPTY, warning=None)
    reason = _logit_reason(g)
    if reason:
        return _undefined(reason, **_LOGIT_EMPTY, warning=None)
    return _fit_logit(s, c, p_value)


def _maybe_factors(
    factor_scores: ArrayLike | None,
    factor_names: Sequence[str] | None,
    c: np.ndarray,
    include: bool,
    n_bins: int,
) -> Result:
    """Factor signal unless skipped or not supplied (all rows, scored or not)."""
    if factor_scores is None or factor_names is None:
        return _undefined("no factor scores supplied")
    if not include:
        return _undefined("factor analysis not requested")
    return _ok(len(factor_names), **factor_signal(factor_scores, factor_names, c, n_bins))


def _maybe_bootstrap(
    s: np.ndarray, c: np.ndarray, b: np.ndarray, n_resamples: int, seed: int
) -> Result:
    """Bootstrap unless ``n_resamples`` is 0."""
    if not n_resamples:
        return _undefined("bootstrap not requested")
    return bootstrap(s, c, b, n_resamples=n_resamples, seed=seed)


def _auc_ci(boot: Result) -> Result:
    """The AUC interval out of a bootstrap result."""
    if boot["reason"]:
        return _undefined(boot["reason"])
    return boot["auc"]
