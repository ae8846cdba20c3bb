"""Metrics checked where a small slip would still look plausible (mutation-testing kills).

Bootstrap intervals are checked against a plain percentile bootstrap written here (resample
accounts with replacement within each outcome, recompute with scipy), not just for containing
the point estimate: a 90% interval reported as 95% covers ~90% of the plain bootstrap draws.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from calibration import metrics as m
from tests.metrics_samples import bands_of, make_sample


def plain_bootstrap(score, churned, statistic, n_resamples=2000, seed=99):
    """Statistic on accounts resampled with replacement within each outcome class."""
    rng = np.random.default_rng(seed)
    pos_c, pos_r = np.flatnonzero(churned), np.flatnonzero(~churned)
    out = np.empty(n_resamples)
    for i in range(n_resamples):
        rows = np.r_[rng.choice(pos_c, pos_c.size), rng.choice(pos_r, pos_r.size)]
        out[i] = statistic(score[rows], churned[rows])
    return out


def auc_by_counting(score, churned):
    """Share of (renewed, churned) pairs where the renewed account scores higher (ties 1/2)."""
    below = np.sort(score[churned])
    renewed = score[~churned]
    less = np.searchsorted(below, renewed, side="left")
    equal = np.searchsorted(below, renewed, side="right") - less
    return (less + 0.5 * equal).sum() / (renewed.size * below.size)


def r_pearson(score, churned):
    return np.corrcoef(score, (~churned).astype(float))[0, 1]


def coverage(draws, interval):
    lo, hi = interval
    return float(np.mean((draws >= lo) & (draws <= hi)))


@pytest.fixture(scope="module")
def sample():
    score, churned = make_sample(600, 41)
    return score, churned, bands_of(score)


@pytest.fixture(scope="module")
def auc_draws(sample):
    score, churned, _ = sample
    draws = plain_bootstrap(score, churned, auc_by_counting)
    u = stats.mannwhitneyu(score[~churned], score[churned]).statistic
    assert auc_by_counting(score, churned) == pytest.approx(
        u / (churned.sum() * (~churned).sum()), abs=1e-12)  # the counting agrees with scipy
    return draws


@pytest.mark.parametrize("level", [0.95, 0.90, 0.80])
def test_auc_interval_covers_its_level_of_a_plain_bootstrap(sample, auc_draws, level):
    score, churned, band = sample
    res = m.bootstrap(score, churned, band, n_resamples=4000, seed=3, level=level)
    draws = auc_draws
    assert coverage(draws, res["auc"]["value"]) == pytest.approx(level, abs=0.02)
    lo, hi = np.percentile(draws, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    sd = draws.std()
    assert res["auc"]["value"] == pytest.approx([lo, hi], abs=0.15 * sd)


def test_point_biserial_interval_covers_95_percent_of_a_plain_bootstrap(sample):
    score, churned, band = sample
    res = m.bootstrap(score, churned, band, n_resamples=4000, seed=3)
    draws = plain_bootstrap(score, churned, r_pearson, seed=7)
    assert coverage(draws, res["point_biserial_r"]["value"]) == pytest.approx(0.95, abs=0.02)


def test_band_churn_interval_covers_95_percent_of_a_plain_bootstrap(sample):
    score, churned, band = sample
    res = m.bootstrap(score, churned, band, n_resamples=4000, seed=3)
    for code, name in enumerate(m.BAND_NAMES):
        def rate(s, c, code=code):
            in_band = bands_of(s) == code
            return c[in_band].mean()
        draws = plain_bootstrap(score, churned, rate, n_resamples=1500, seed=11 + code)
        assert coverage(draws, res["bands"][name]["value"]) == pytest.approx(0.95, abs=0.025)
        assert res["bands"][name]["point"] == pytest.approx(churned[band == code].mean(),
                                                            rel=1e-12)


@pytest.mark.parametrize("n", [12, 25, 400])
def test_correlation_p_values_use_n_minus_2_degrees_of_freedom(n):
    score, churned = make_sample(n, 42 + n, decimals=None)
    churned[:3], churned[3:6] = True, False  # both classes present
    res = m.correlations(score, churned)
    pb = stats.pointbiserialr((~churned).astype(int), score)
    sp = stats.spearmanr(score, (~churned).astype(int))
    assert res["point_biserial_r"]["p_value"] == pytest.approx(pb.pvalue, rel=1e-9, abs=0)
    assert res["spearman"]["p_value"] == pytest.approx(sp.pvalue, rel=1e-9, abs=0)


def weighted_auc_by_pairs(score, churned, w):
    """Weighted Mann-Whitney by brute force over every renewed x churned pair."""
    sr, wr = score[~churned], w[~churned]
    sc, wc = score[churned], w[churned]
    win = (sr[:, None] > sc[None, :]) + 0.5 * (sr[:, None] == sc[None, :])
    return float((wr[:, None] * wc[None, :] * win).sum() / (wr.sum() * wc.sum()))


def test_revenue_metrics_use_the_accounts_with_known_arr_when_some_is_missing():
    score, churned = make_sample(300, 43, decimals=0)
    rng = np.random.default_rng(5)
    arr = rng.lognormal(10, 1, 300)
    arr[::7] = np.nan  # 43 accounts with unknown ARR
    res = m.evaluate(score, churned, bands_of(score), arr=arr, include_logit=False)
    known = ~np.isnan(arr)
    weighted = res["arr_weighted"]
    assert weighted["arr_unknown"] == 43
    assert weighted["auc"]["reason"] is None
    assert weighted["auc"]["value"] == pytest.approx(
        weighted_auc_by_pairs(score[known], churned[known], arr[known]), rel=1e-12)
    assert any("43 scored accounts have unknown ARR" in w for w in res["warnings"])
    assert not any("no account has a known ARR" in w for w in res["warnings"])
    band = bands_of(score)
    for row in res["bands"]:
        mine = band == row["code"]
        assert row["arr"] == pytest.approx(np.nansum(arr[mine]))
        assert row["churned_arr"] == pytest.approx(np.nansum(arr[mine & churned]))
        assert row["arr_unknown"] == int((mine & ~known).sum())


def test_revenue_metrics_say_unknown_only_when_no_arr_is_known():
    score, churned = make_sample(100, 44, decimals=0)
    res = m.evaluate(score, churned, bands_of(score), arr=np.full(100, np.nan),
                     include_logit=False)
    assert res["arr_weighted"]["auc"]["value"] is None
    assert res["arr_weighted"]["arr_unknown"] == 100
    assert any("no account has a known ARR" in w for w in res["warnings"])
    one_known = np.full(100, np.nan)
    one_known[0] = 1000.0
    res = m.evaluate(score, churned, bands_of(score), arr=one_known, include_logit=False)
    assert not any("no account has a known ARR" in w for w in res["warnings"])
    assert any("99 scored accounts have unknown ARR" in w for w in res["warnings"])


def test_reference_agreement_counts_by_hand():
    # bands: -1 unscored, 0 red, 1 yellow, 2 green
    band = np.array([2, 2, 0, 1, -1, -1, 0, 0, 2, -1, 1])
    ref = np.array(["known_healthy"] * 5 + ["known_struggling"] * 5 + [""])
    res = m.reference_agreement(band, ref)
    # healthy: green, green, red, yellow (+1 unscored); struggling: red, red, green (+2
    # unscored); the unlabelled account counts nowhere
    assert res["n_labelled"] == 7
    assert res["n_labelled_unscored"] == 3
    assert res["value"] == pytest.approx((2 + 2) / 7)
    assert res["healthy_green_rate"] == pytest.approx(2 / 4)
    assert res["struggling_red_rate"] == pytest.approx(2 / 3)
    assert (res["healthy_red"], res["struggling_green"]) == (1, 1)


def test_factor_correlation_diagonal_is_one_only_where_defined():
    rng = np.random.default_rng(2)
    churned = rng.random(50) < 0.3
    varying = rng.uniform(0, 100, 50)
    points = np.column_stack([varying, np.full(50, 40.0), 100 - varying])
    res = m.factor_signal(points, ["a", "constant", "mirror"], churned)
    corr = res["correlation"]
    assert corr[0][0] == 1.0 and corr[2][2] == 1.0
    assert corr[1][1] is None and corr[0][1] is None  # a constant has no correlation
    assert corr[0][2] == pytest.approx(np.corrcoef(varying, 100 - varying)[0, 1])
    assert res["double_counting"] == [{"a": "a", "b": "mirror", "r": pytest.approx(-1.0),
                                       "effect": "cancel_out"}]


def test_one_calibration_bin_is_the_overall_churn_rate_and_zero_bins_are_refused():
    score, churned = make_sample(200, 45)
    table = m.calibration_table(score, churned, n_bins=1)
    assert table["value"] == 1
    assert [row["accounts"] for row in table["bins"]] == [200]
    assert table["bins"][0]["churn_rate"] == pytest.approx(churned.mean())
    with pytest.raises(ValueError, match="n_bins must be a positive integer"):
        m.calibration_table(score, churned, n_bins=0)


@pytest.mark.parametrize("roc_points", [1, 0, 2.5])
def test_evaluate_refuses_fewer_than_two_roc_points(roc_points):
    score, churned = make_sample(100, 46)
    with pytest.raises(ValueError, match="roc_points must be an integer >= 2"):
        m.evaluate(score, churned, bands_of(score), roc_points=roc_points)
    assert len(m.evaluate(score, churned, bands_of(score), roc_points=2)["roc"]["fpr"]) == 2


def test_factor_correlation_never_exceeds_one_by_rounding():
    # two factors moving in lockstep: r is 1 mathematically, 1.0000000000000004 in floating
    # point for this draw before clamping
    x = np.random.default_rng(0).uniform(0, 7, 50)
    churned = np.arange(50) % 3 == 0
    res = m.factor_signal(np.column_stack([x, 3.0 * x]), ["a", "b"], churned)
    assert res["correlation"][0][1] == 1.0
    assert res["double_counting"][0]["r"] == 1.0


def test_two_distinct_scores_perfectly_separated_give_r_one_and_p_zero():
    churned = np.array([True] * 5 + [False] * 7)
    score = np.where(churned, 20.0, 80.0)
    res = m.correlations(score, churned)
    pb = stats.pointbiserialr((~churned).astype(int), score)
    assert res["point_biserial_r"]["value"] == pytest.approx(pb.statistic) == 1.0
    assert res["point_biserial_r"]["p_value"] == pb.pvalue == 0.0
    # two distinct scores that do not separate fully: defined, as scipy computes it
    score[0] = 80.0
    res = m.correlations(score, churned)
    pb = stats.pointbiserialr((~churned).astype(int), score)
    assert res["point_biserial_r"]["value"] == pytest.approx(pb.statistic, abs=1e-12)
    assert res["point_biserial_r"]["p_value"] == pytest.approx(pb.pvalue, rel=1e-9, abs=0)


def test_evaluate_churn_rate_is_the_share_of_scored_accounts_that_churned():
    score, churned = make_sample(300, 47)
    score[:20] = np.nan
    res = m.evaluate(score, churned, bands_of(score), include_logit=False)
    assert res["churn_rate"]["value"] == pytest.approx(churned[20:].mean(), rel=1e-12)


def test_wilson_interval_stays_a_probability_when_every_trial_succeeds():
    # in exact arithmetic the upper bound at k = n is exactly 1; in floating point it lands
    # a few ulp above 1 for many n (n = 9 at 95%): a share is never reported above 100%
    from calibration.metrics import wilson_ci

    n = np.arange(1, 400)
    for alpha in (0.05, 0.1, 0.01):
        lo, hi = wilson_ci(n, n, alpha)
        assert (hi <= 1.0).all() and np.allclose(hi, 1.0, rtol=0, atol=1e-12)
        lo0, hi0 = wilson_ci(np.zeros_like(n), n, alpha)
        assert (lo0 >= 0.0).all() and np.allclose(lo0, 0.0, rtol=0, atol=1e-12)
        assert (lo <= hi).all() and (lo0 <= hi0).all()
