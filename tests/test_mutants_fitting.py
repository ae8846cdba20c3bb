"""Fitting verdicts and warnings on hand-made cases (mutation-testing kills).

Thresholds come from the documented behaviour (an overfitting warning when in-sample AUC
beats out-of-sample by more than 0.05 AUC; "green too generous" when green's own churn rate
is clearly, beyond its Wilson 95% CI, at least half the overall churn rate), never from the
module's own constants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from calibration import fitting

DOCUMENTED_OVERFIT_GAP = 0.05


def auc(score, churned):
    u = stats.mannwhitneyu(score[~churned], score[churned]).statistic
    return u / (churned.sum() * (~churned).sum())


def weak_signal(n, k, seed, signal=20.0):
    rng = np.random.default_rng(seed)
    points = rng.uniform(0, 100, size=(n, k))
    churned = rng.random(n) < 0.25
    points[:, 0] -= signal * churned
    dates = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    return np.clip(points, 0, 100), churned, dates, [f"f{j}" for j in range(k)]


def test_significant_loss_is_real_and_called_worse():
    # a: a near-perfect score; b: the same accounts scored by noise -> a clear loss
    rng = np.random.default_rng(3)
    churned = rng.random(400) < 0.3
    a = np.where(churned, rng.uniform(0, 45, 400), rng.uniform(40, 100, 400))
    b = rng.uniform(0, 100, 400)
    boot = fitting.paired_auc_bootstrap(a, b, churned, n_resamples=500, seed=1)
    assert boot["diff"] == pytest.approx(auc(b, churned) - auc(a, churned), abs=1e-12)
    assert boot["diff"] < -0.3
    assert boot["ci"][1] < 0 and boot["real"] is True
    # the mirror image is a real improvement
    gain = fitting.paired_auc_bootstrap(b, a, churned, n_resamples=500, seed=1)
    assert gain["ci"][0] > 0 and gain["real"] is True
    # a score against itself is no real difference
    same = fitting.paired_auc_bootstrap(a, a, churned, n_resamples=100, seed=1)
    assert same["real"] is False


def test_time_split_verdict_on_a_significant_loss_says_worse():
    points, churned, dates, names = weak_signal(600, 3, 5, signal=40)
    # the baseline scores are the truth itself (churned low), far better than any weights
    truth = np.where(churned, 10.0, 90.0)
    split = fitting.time_split(points, churned, dates, method="auc", names=names,
                               baseline=truth, n_resamples=300)
    assert split["ci"][1] < 0 and split["real"] is True
    assert split["verdict"].startswith("the new weights are worse")


@pytest.mark.parametrize(("n", "k", "seed"), [(250, 10, 0), (250, 10, 2), (150, 5, 1)])
def test_cross_validation_warns_exactly_when_the_gap_exceeds_0_05(n, k, seed):
    points, churned, _, names = weak_signal(n, k, seed)
    cv = fitting.cross_validate(points, churned, "auc", k=4, names=names)
    gap = (np.mean([f["in_sample_auc"] for f in cv["folds"]])
           - np.mean([f["out_of_sample_auc"] for f in cv["folds"]]))
    assert cv["gap"] == pytest.approx(gap, abs=1e-12)
    warned = any("overfitting" in w for w in cv["warnings"])
    assert warned == (gap > DOCUMENTED_OVERFIT_GAP)


def test_the_gap_cases_above_straddle_the_threshold():
    gaps = []
    for n, k, seed in [(250, 10, 0), (250, 10, 2)]:
        points, churned, _, names = weak_signal(n, k, seed)
        gaps.append(fitting.cross_validate(points, churned, "auc", k=4, names=names)["gap"])
    # one between 0.05 and 0.10 (a doubled threshold would miss it), one just under 0.05
    assert DOCUMENTED_OVERFIT_GAP < gaps[0] < 2 * DOCUMENTED_OVERFIT_GAP
    assert 0 < gaps[1] < DOCUMENTED_OVERFIT_GAP


@pytest.mark.parametrize(("n", "k", "seed"), [(200, 6, 0), (150, 5, 1), (300, 8, 2)])
def test_time_split_warns_exactly_when_the_gap_exceeds_0_05(n, k, seed):
    points, churned, dates, names = weak_signal(n, k, seed)
    split = fitting.time_split(points, churned, dates, method="auc", names=names)
    test = np.asarray(dates >= pd.Timestamp(split["test_from"]))
    assert split["n_test"] == test.sum()
    w = np.array([split["weights"][name] for name in names])
    score = points @ w / w.sum()  # no missing values: the weighted mean of the points
    assert split["test_auc"] == pytest.approx(auc(score[test], churned[test]), abs=1e-9)
    assert split["train_auc"] == pytest.approx(auc(score[~test], churned[~test]), abs=1e-9)
    gap = split["train_auc"] - split["test_auc"]
    warned = any("overfitting" in w for w in split["warnings"])
    assert warned == (gap > DOCUMENTED_OVERFIT_GAP)
    if (n, k, seed) != (150, 5, 1):
        assert DOCUMENTED_OVERFIT_GAP < gap < 2 * DOCUMENTED_OVERFIT_GAP and warned


def bands_and_churn(n_green: int, n_churned: int, n: int = 100):
    band = np.array([0] * 10 + [1] * (n - 10 - n_green) + [2] * n_green)
    churned = np.zeros(n, dtype=bool)
    churned[:n_churned] = True  # churn sits in red (and yellow): bands stay ordered
    return band, churned


@pytest.mark.parametrize(("n_green", "n_churned"), [(70, 10), (71, 10), (80, 10), (80, 9)])
def test_a_big_green_band_that_does_not_churn_is_not_too_generous(n_green, n_churned):
    """Issue 12: the old size-only rule fired on green bands churning at 0-4%."""
    band, churned = bands_and_churn(n_green, n_churned)
    assert churned[band == 2].sum() == 0
    assert not any("too generous" in w for w in fitting.band_warnings(band, churned))


@pytest.mark.parametrize("green_churned", range(4, 16))
def test_green_too_generous_boundary(green_churned):
    """100 accounts, 20 churned; green holds 60 with ``green_churned`` of them churned."""
    from statsmodels.stats.proportion import proportion_confint

    band = np.array([0] * 20 + [1] * 20 + [2] * 60)
    churned = np.zeros(100, dtype=bool)
    churned[: 20 - green_churned] = True  # the rest of the churn sits in red
    churned[40: 40 + green_churned] = True
    low = proportion_confint(green_churned, 60, alpha=0.05, method="wilson")[0]
    generous = low >= 0.5 * 0.20  # documented: clearly at least half the overall churn rate
    warnings = fitting.band_warnings(band, churned)
    assert any("green is too generous" in w for w in warnings) == generous
    if generous:
        assert f"green churns at {green_churned / 60:.1%} (60% of accounts)" in " ".join(
            warnings)


@pytest.mark.parametrize(("n_red", "flagged"), [(50, False), (51, True)])
def test_over_half_red_boundary(n_red, flagged):
    band = np.array([0] * n_red + [1] * (90 - n_red) + [2] * 10)
    churned = np.zeros(100, dtype=bool)
    churned[:30] = True
    warnings = fitting.band_warnings(band, churned)
    assert any("accounts are red" in w for w in warnings) == flagged


# --------------------------------------------------------------------------- band cut-offs
def test_red_capture_weighs_churned_arr_in_any_unit():
    """One churned account holds nearly all churned ARR: capturing 90% of churned ARR needs
    only it (red_max 10); capturing 90% of churned *accounts* needs both (red_max 30). Money
    in dollars or in millions must give the same band."""
    score = np.array([10.0, 20, 30, 40, 50, 60, 80, 90])
    churned = np.array([1, 0, 1, 0, 0, 0, 0, 0], dtype=bool)
    arr = np.array([1000.0, 5, 1, 5, 5, 5, 5, 5])
    by_accounts = fitting.suggest_bands(score, churned, red_capture=0.9)
    assert by_accounts.red_max == 30.0
    for unit in (1.0, 1e-6):
        by_arr = fitting.suggest_bands(score, churned, arr * unit, red_capture=0.9)
        assert by_arr.red_max == 10.0, unit
        red = by_arr.achieved["red"]
        assert red["accounts"] == 1
        assert red["share_of_churned_arr"] == pytest.approx(1000 / 1001, rel=1e-12)
        within = fitting.suggest_bands(score, churned, arr * unit, red_capture=0.9,
                                       red_max_accounts=0.2)  # red holds 1 of 8 = 12.5%
        assert (within.red_max, within.feasible, within.messages) == (10.0, True, [])
    # by accounts, 90% needs 3 of 8 accounts (38%) red; at a 20% limit red holds 1 of 8
    # accounts and captures 1 of the 2 churned
    limited = fitting.suggest_bands(score, churned, red_capture=0.9, red_max_accounts=0.2)
    assert (limited.red_max, limited.feasible) == (10.0, False)
    assert limited.messages == ["capturing 90% of churned accounts needs 38% of accounts in "
                                "red (limit 20%); at the limit red captures 50%"]


def test_a_red_cut_off_equal_to_the_yellow_one_is_refused():
    # 5 accounts at each score 10, 20, ..., 100; 3 of 5 churn up to 70, none above: a 50%
    # churn risk reaches up to 70, the current yellow cut-off, so red would swallow yellow
    score = np.repeat(np.arange(10.0, 101.0, 10.0), 5)
    churned = np.tile([True, True, True, False, False], 10) & (score <= 70)
    result = fitting.suggest_bands(score, churned, red_risk=0.5, current=(30.0, 70.0))
    assert result.red_max == 70.0
    assert not result.feasible and result.achieved == {}
    assert "red cut-off 70 is not below the yellow cut-off 70" in " ".join(result.messages)
    below = fitting.suggest_bands(score, churned, red_risk=0.5, current=(30.0, 80.0))
    assert below.feasible and below.achieved["red"]["accounts"] == 35


# --------------------------------------------------------------------------- factor cut-offs
def test_factor_cut_offs_default_to_the_10th_and_90th_percentiles():
    rng = np.random.default_rng(8)
    churned = rng.random(300) < 0.3
    values = rng.normal(50, 15, 300) + 8 * ~churned
    cut = fitting.suggest_factor_cutoffs(values, churned)
    assert (cut.lo, cut.hi) == (np.percentile(values, 10), np.percentile(values, 90))
    renewal_auc = stats.mannwhitneyu(values[~churned], values[churned]).statistic / (
        churned.sum() * (~churned).sum())
    assert cut.auc == pytest.approx(renewal_auc, abs=1e-12)
    assert cut.direction == "higher_is_better"
    ks = stats.ks_2samp(values[churned], values[~churned])
    assert cut.ks_statistic == pytest.approx(ks.statistic, abs=1e-12)
    flipped = fitting.suggest_factor_cutoffs(-values, churned)
    assert flipped.auc == pytest.approx(1 - renewal_auc, abs=1e-12)
    assert flipped.direction == "lower_is_better"


# --------------------------------------------------------------------------- honest checks
def test_two_fold_cross_validation_is_allowed_and_stratified():
    points, churned, _, names = weak_signal(40, 2, 3)
    churned = np.zeros(40, dtype=bool)
    churned[:10] = True
    cv = fitting.cross_validate(points, churned, "logit", k=2, names=names)
    assert [(f["n_test"], f["n_test_churned"]) for f in cv["folds"]] == [(20, 5), (20, 5)]
    with pytest.raises(ValueError, match="k must be"):
        fitting.cross_validate(points, churned, "logit", k=1, names=names)


def _split_case(n_test_churned: int, seed: int = 0):
    """120 renewals in the first half of 2024 (30 churned), 100 from October (the test
    period) of which ``n_test_churned`` churned; factor 0 carries the signal."""
    rng = np.random.default_rng(seed)
    churned = np.r_[np.arange(120) < 30, np.arange(100) < n_test_churned]
    dates = np.r_[pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 180, 120), "D"),
                  pd.Timestamp("2024-10-01") + pd.to_timedelta(rng.integers(0, 90, 100), "D")]
    points = rng.uniform(0, 100, (220, 2))
    points[:, 0] = np.clip(points[:, 0] - 30 * churned, 0, 100)
    return points, churned, dates


@pytest.mark.parametrize(("n_test_churned", "warned"), [(19, True), (20, False)])
def test_time_split_warns_below_20_churned_test_accounts(n_test_churned, warned):
    points, churned, dates = _split_case(n_test_churned)
    split = fitting.time_split(points, churned, dates, test_from="2024-09-01",
                               method="logit", names=["a", "b"])
    assert (split["n_test"], split["n_test_churned"]) == (100, n_test_churned)
    assert any("churned accounts in the test period" in w
               for w in split["warnings"]) == warned


def test_time_split_refuses_a_period_with_one_outcome():
    points, churned, dates = _split_case(0)
    with pytest.raises(ValueError, match=r"test period \(100 renewals\) needs both"):
        fitting.time_split(points, churned, dates, test_from="2024-09-01", method="logit",
                           names=["a", "b"])


# --------------------------------------------------------------------------- weights
def test_weight_stability_on_three_accounts_uses_their_rank_correlation():
    points = np.array([[60.0, 40.0], [40.0, 62.0], [100.0, 0.0]])
    table = fitting.weight_stability(points, ["a", "b"], {"a": 50, "b": 50}, nudge=10)
    row = table.set_index("factor").loc["a"]
    base = points @ [0.5, 0.5]
    up, down = points @ [0.6, 0.4], points @ [0.4, 0.6]
    rho_up = stats.spearmanr(base, up).statistic
    rho_down = stats.spearmanr(base, down).statistic
    assert (row["spearman_up"], row["spearman_down"]) == pytest.approx((rho_up, rho_down))
    assert min(rho_up, rho_down) < 1  # the nudge really reorders these three


def test_all_weights_locked_means_nothing_is_optimised():
    points, churned, _, names = weak_signal(60, 2, 1)
    result = fitting.suggest_auc(points, churned, names, locked={"f0": 70, "f1": 30})
    assert result.weights == {"f0": 70.0, "f1": 30.0}
    assert (result.details["pairs"], result.details["iterations"]) == (0, 0)
    assert result.auc == pytest.approx(auc(points @ [0.7, 0.3], churned), abs=1e-12)


def test_the_smooth_auc_gradient_is_exact_even_for_a_group_at_zero_weight():
    """Forward differences of the surrogate AUC match its analytic gradient, including the
    weight of a group that is switched off (weight 0) and rows with missing points."""
    from calibration.fitting.weight_suggestions import _Surrogate

    rng = np.random.default_rng(2)
    points = rng.uniform(0, 100, (40, 4))
    points[rng.random((40, 4)) < 0.2] = np.nan
    churned = rng.random(40) < 0.4
    surrogate = _Surrogate(points, churned, np.array([0, 0, 1, 2]), 10_000, 0, tau=0.1)
    w = np.array([0.3, 0.2, 0.0, 0.5])  # group 1 (factor 2) is off
    value, grad = surrogate(w)
    h = 1e-7
    numeric = [(surrogate(w + h * np.eye(4)[j])[0] - value) / h for j in range(4)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)
    assert abs(grad[2]) > 1e-3  # the switched-off group's gradient is not trivially 0


# --------------------------------------------------------------------------- more edges
def test_paired_bootstrap_ci_is_the_percentile_interval_of_weighted_aucs():
    """Each resample's AUCs recomputed with sklearn (resample multiplicities as sample
    weights, tied scores counting half), the 95% CI as numpy's 2.5th/97.5th percentiles."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(11)
    churned = rng.random(120) < 0.3
    a = np.round(rng.uniform(2, 10, 120) - 2 * churned)  # few distinct values: many ties
    b = np.round(rng.uniform(4, 10, 120) - 4 * churned)
    boot = fitting.paired_auc_bootstrap(a, b, churned, n_resamples=200, seed=4)
    draws = fitting.stratified_draws(churned, 200, 4)
    assert (draws[:, churned].sum(axis=1) == churned.sum()).all()  # counts kept per outcome
    diffs = np.array([roc_auc_score(~churned, b, sample_weight=w)
                      - roc_auc_score(~churned, a, sample_weight=w) for w in draws])
    np.testing.assert_allclose(boot["ci"], np.percentile(diffs, [2.5, 97.5]), atol=1e-12)
    assert boot["share_not_better"] == pytest.approx((diffs <= 0).mean())
    assert boot["diff"] == pytest.approx(
        roc_auc_score(~churned, b) - roc_auc_score(~churned, a), abs=1e-12)


def test_out_of_range_inputs_are_refused_with_a_message():
    points, churned, _, names = weak_signal(60, 2, 1)
    with pytest.raises(ValueError, match="0 <= min <= max <= 100"):
        fitting.suggest_auc(points, churned, names, bounds={"f0": (0, 100.5)})
    with pytest.raises(ValueError, match="positive total"):
        fitting.score_points(points, {"f0": 0, "f1": 0}, names=names)
    with pytest.raises(ValueError, match="need 0 <= lo_pct < hi_pct <= 100"):
        fitting.suggest_factor_cutoffs(points[:, 0], churned, 10, 100.5)
    cut = fitting.suggest_factor_cutoffs(points[:, 0], churned, 0, 100)  # the limits are fine
    assert (cut.lo, cut.hi) == (points[:, 0].min(), points[:, 0].max())


def test_a_one_month_test_window_is_allowed():
    points, churned, dates = _split_case(20)
    split = fitting.time_split(points, churned, dates, test_months=1, method="logit",
                               names=["a", "b"])
    latest = pd.Series(dates).max()
    expected = pd.Series(dates) >= latest - pd.DateOffset(months=1)
    assert split["n_test"] == expected.sum() > 0


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")
def test_identical_accounts_keep_their_ranking_under_any_nudge():
    points = np.tile([[40.0, 80.0]], (5, 1))  # every account scores the same
    table = fitting.weight_stability(points, ["a", "b"], {"a": 50, "b": 50}, nudge=10)
    assert table["spearman"].tolist() == [1.0, 1.0]
    assert table["band_changed"].tolist() == [0.0, 0.0]


@pytest.mark.parametrize(("counts", "empty"), [((10, 0, 90), "yellow"), ((0, 10, 90), "red"),
                                                ((10, 10, 80), None)])
def test_an_empty_band_is_named_and_only_then(counts, empty):
    band = np.repeat([0, 1, 2], counts)
    churned = np.zeros(100, dtype=bool)
    churned[::4] = True
    warnings = " ".join(fitting.band_warnings(band, churned))
    for name in ("red", "yellow"):
        assert (f"{name} is empty" in warnings) == (name == empty), (counts, name)
