"""``metrics.evaluate`` sorts the scores once for the account-count and the ARR-weighted
groupings (a slider move on Calibrate pays one sort, not two) and builds the ROC thresholds
of the kept points only: the results are the same, bit for bit, as grouping twice and as the
separate metric functions."""

from __future__ import annotations

import numpy as np
import pytest

from calibration import metrics as m
from calibration.metrics.base import _group, _groups_with_arr
from tests.metrics_samples import bands_of, make_sample


def sample(n: int, seed: int, *, decimals: int | None, unknown: float, zero: float):
    """Scores with ties (rounded), NaN scores, ARR over seven orders of magnitude (so the
    order of summation shows in the last bits), some unknown (NaN) and some exactly 0."""
    rng = np.random.default_rng(seed)
    score, churned = make_sample(n, seed, decimals=decimals)
    score[rng.random(n) < 0.03] = np.nan
    arr = np.exp(rng.uniform(np.log(1e-1), np.log(1e6), n))
    arr[rng.random(n) < zero] = 0.0
    arr[rng.random(n) < unknown] = np.nan
    return score, churned, arr


SAMPLES = [dict(n=3000, seed=0, decimals=0, unknown=0.2, zero=0.05),
           dict(n=3000, seed=1, decimals=None, unknown=0.02, zero=0.0),
           dict(n=500, seed=2, decimals=0, unknown=0.9, zero=0.3),
           dict(n=500, seed=3, decimals=1, unknown=0.0, zero=0.0),
           dict(n=200, seed=4, decimals=0, unknown=1.0, zero=0.0)]


@pytest.mark.parametrize("spec", SAMPLES)
def test_one_sort_gives_both_groupings_bit_for_bit(spec):
    score, churned, arr = sample(**spec)
    keep = ~np.isnan(score)
    s, c, a = score[keep], churned[keep], arr[keep]
    counts, weighted = _groups_with_arr(s, c, a)
    known = ~np.isnan(a)
    for got, want in ((counts, _group(s, c)), (weighted, _group(s[known], c[known], a[known]))):
        for field in ("values", "churned", "renewed"):
            np.testing.assert_array_equal(getattr(got, field), getattr(want, field),
                                          strict=True)
        # exact bits, not just equal numbers
        assert got.churned.tobytes() == want.churned.tobytes()
        assert got.renewed.tobytes() == want.renewed.tobytes()


@pytest.mark.parametrize("spec", SAMPLES)
def test_evaluate_equals_the_separate_metrics(spec):
    score, churned, arr = sample(**spec)
    band = bands_of(score)
    out = m.evaluate(score, churned, band, arr=arr, include_logit=False,
                     include_factors=False)
    plain = {k: v for k, v in m.auc(score, churned).items() if k != "n_unscored"}
    assert out["auc"] == plain
    weighted = {k: v for k, v in m.auc(score, churned, weights=arr).items()
                if k != "n_unscored"}
    assert out["arr_weighted"]["auc"] == weighted
    assert out["arr_weighted"]["arr_unknown"] == int(np.isnan(arr[~np.isnan(score)]).sum())
    assert out["roc"] == m.roc_curve(score, churned)
    assert out["ks"] == m.ks(score, churned)


@pytest.mark.parametrize("max_points", [2, 7, 200, 100_000])
def test_roc_thresholds_are_the_scores_each_point_flags(max_points):
    score, churned = make_sample(2000, 5, decimals=1)
    roc = m.roc_curve(score, churned, max_points=max_points)
    distinct = np.unique(score)
    assert roc["threshold"][0] is None and roc["fpr"][0] == roc["tpr"][0] == 0.0
    assert len(roc["threshold"]) == min(max_points, distinct.size + 1)
    for threshold, fpr, tpr in zip(roc["threshold"][1:], roc["fpr"][1:], roc["tpr"][1:],
                                   strict=True):
        assert type(threshold) is float and threshold in distinct
        flagged = score <= threshold
        assert tpr == (flagged & churned).sum() / churned.sum()
        assert fpr == (flagged & ~churned).sum() / (~churned).sum()
    assert roc["threshold"][-1] == distinct[-1]  # the last point flags every account
