"""The numbers a CS leader judges a health score by, with paired bootstrap CIs.

A candidate score (the draft, a suggestion, the baseline) is judged on the same renewal
decisions by what it means for the team, statistics second. The point values are those of
:func:`calibration.outcomes.cs_numbers` (the one CS computation); this module resamples them
for the confidence interval of a change:

- ``red_churned_arr_share``: share of churned ARR that was red at the horizon (caught in time);
- ``red_churned_share``: the same in accounts;
- ``surprise_churn_count`` / ``surprise_churn_arr``: churned while green (nobody looked);
- ``green_churn_rate``: how often a green account still churns;
- ``red_churn_rate`` (red precision): how often a red account really churns;
- band sizes and the accounts that change band against a reference banding.

:func:`paired_cs_metrics` resamples the same accounts for both candidates (stratified by
outcome) so each CI is for the *difference*: a CI that excludes 0 is a real change, one that
includes 0 is noise. Takes plain arrays; never imports streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from calibration.cs_bootstrap import check_resamples, paired_metric_draws
from calibration.outcomes import cs_numbers

RED, YELLOW, GREEN = 0, 1, 2

HIGHER_IS_BETTER: dict[str, bool | None] = {
    "auc": True, "point_biserial_r": True, "lift": True,
    "red_churned_arr_share": True, "red_churned_share": True,
    "red_churn_rate": True, "green_churn_rate": False,
    "surprise_churn_count": False, "surprise_churn_arr": False,
    "red_share": None, "yellow_share": None, "green_share": None,
}
"""Direction of each metric; None = no better or worse (band sizes are a choice)."""

METRIC_LABELS = {
    "auc": "AUC (ranking)", "point_biserial_r": "correlation with renewal",
    "lift": "red vs green lift",
    "red_churned_arr_share": "churned ARR caught red", "red_churned_share":
        "churned accounts caught red",
    "red_churn_rate": "red list precision", "green_churn_rate": "green churn rate",
    "surprise_churn_count": "surprise churn (accounts)", "surprise_churn_arr":
        "surprise churn (ARR)",
    "red_share": "red share of accounts", "yellow_share": "yellow share of accounts",
    "green_share": "green share of accounts",
    "changed_band": "accounts changing band",
}

CS_METRICS = ("red_churned_arr_share", "red_churned_share", "surprise_churn_count",
              "surprise_churn_arr", "green_churn_rate", "red_churn_rate")
"""The outcome metrics a suggestion must never make significantly worse without saying so."""


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def paired_cs_metrics(score_a: np.ndarray, band_a: np.ndarray, score_b: np.ndarray,
                      band_b: np.ndarray, churned: np.ndarray, arr: np.ndarray | None = None,
                      n_resamples: int = 1000, seed: int = 0, level: float = 0.95,
                      progress: Callable[[float], None] | None = None
                      ) -> dict[str, dict[str, Any]]:
    """A (baseline), B (candidate), B - A and its paired bootstrap CI for every metric.

    Rows unscored by either candidate are left out. Resampling is stratified by outcome
    (churned and renewed counts fixed) and uses the same draw for both, so the correlation
    between them is kept (:mod:`calibration.cs_bootstrap`: bounded memory, seeded).
    ``status`` is ``better`` / ``worse`` when the CI excludes 0 (by the
    metric's direction), ``no real change`` when it includes 0, ``changed`` for band sizes
    that moved beyond noise (no direction) and ``n/a`` when undefined. ARR metrics are
    dropped when ``arr`` is None. ``n_resamples=0`` gives the point estimates only (every
    ``ci`` None, status ``n/a``), e.g. to show them while the bootstrap runs. ``progress``
    is called with the share of resamples done (0-1) as the bootstrap goes.
    """
    if n_resamples != 0:
        check_resamples(n_resamples, level)
    score_a, score_b = np.asarray(score_a, float), np.asarray(score_b, float)
    band_a, band_b = np.asarray(band_a), np.asarray(band_b)
    keep = ~(np.isnan(score_a) | np.isnan(score_b)) & (band_a >= 0) & (band_b >= 0)
    c = np.asarray(churned, dtype=bool)[keep]
    if c.all() or not c.any():
        raise ValueError("need both churned and renewed accounts (scored by both configs) to "
                         "compare")
    a_arr = np.zeros(c.shape[0]) if arr is None else np.nan_to_num(
        np.asarray(arr, dtype=float)[keep])
    ma, mb = paired_metric_draws(score_a[keep], band_a[keep], score_b[keep], band_b[keep], c,
                                 a_arr, n_resamples, seed, progress)
    kept_arr = None if arr is None else np.asarray(arr, dtype=float)[keep]
    # point values: the one CS computation (calibration.outcomes); resamples only give the CI
    na, nb = cs_numbers(band_a[keep], c, kept_arr), cs_numbers(band_b[keep], c, kept_arr)
    tail = (1 - level) / 2 * 100
    out: dict[str, dict[str, Any]] = {}
    for name in ma:
        if arr is None and name in ("surprise_churn_arr", "red_churned_arr_share"):
            continue
        diffs = mb[name][1:] - ma[name][1:]
        finite = diffs[np.isfinite(diffs)]
        ci = [float(v) for v in np.percentile(finite, [tail, 100 - tail])] \
            if finite.size >= 2 else None
        point_a, point_b = ((_num(na[name]) if na[name] is not None else None,
                             _num(nb[name]) if nb[name] is not None else None)
                            if name in na else (_num(ma[name][0]), _num(mb[name][0])))
        diff = None if point_a is None or point_b is None else point_b - point_a
        excludes = ci is not None and (ci[0] > 0 or ci[1] < 0) and diff is not None
        direction = HIGHER_IS_BETTER[name]
        better = None if not excludes or direction is None else (ci[0] > 0) == direction
        if diff is None or ci is None:
            status = "n/a"
        elif not excludes:
            status = "no real change"
        elif direction is None:
            status = "changed"
        else:
            status = "better" if better else "worse"
        out[name] = {"baseline": point_a, "draft": point_b, "diff": diff, "ci": ci,
                     "ci_excludes_zero": bool(excludes), "draft_better": better,
                     "higher_is_better": direction, "status": status,
                     "n_defined": int(finite.size)}
    return out
