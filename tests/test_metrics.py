"""Tests of calibration.metrics against independent computations (scipy, statsmodels, hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from calibration import metrics as m
from tests.metrics_samples import (
    HAND_ARR,
    HAND_BAND,
    HAND_CHURN,
    HAND_IDS,
    assert_plain_json,
    make_sample,
    wilson,
)

# ----------------------------------------------------------------------------- against scipy


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_matches_mann_whitney_with_ties(seed):
    score, churned = make_sample(2000, seed, decimals=0)  # integer scores: many ties
    u = stats.mannwhitneyu(score[~churned], score[churned]).statistic
    expected = u / ((~churned).sum() * churned.sum())
    res = m.auc(score, churned)
    assert res["value"] == pytest.approx(expected, abs=1e-12)
    assert res["gini"] == pytest.approx(2 * expected - 1, abs=1e-12)
    assert (res["n_churned"], res["n_renewed"]) == (churned.sum(), (~churned).sum())


def test_auc_matches_average_ranks():
    score, churned = make_sample(500, 3, decimals=0)
    ranks = stats.rankdata(score)
    n1, n0 = (~churned).sum(), churned.sum()
    expected = (ranks[~churned].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    assert m.auc(score, churned)["value"] == pytest.approx(expected, abs=1e-12)


def test_weighted_auc_matches_brute_force_pairs():
    rng = np.random.default_rng(5)
    score = rng.integers(0, 10, 60).astype(float) * 10  # heavy ties
    churned = rng.random(60) < 0.3
    w = rng.lognormal(10, 1, 60)
    num = den = 0.0
    for i in np.flatnonzero(~churned):
        for j in np.flatnonzero(churned):
            pair = w[i] * w[j]
            den += pair
            num += pair * (1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0)
    res = m.auc(score, churned, weights=w)
    assert res["value"] == pytest.approx(num / den, rel=1e-12)
    assert res["churned_weight"] == pytest.approx(w[churned].sum())


def test_weighted_auc_with_equal_weights_is_plain_auc_and_skips_unknown_weight():
    score, churned = make_sample(300, 6)
    w = np.full(300, 7.0)
    assert m.auc(score, churned, w)["value"] == pytest.approx(m.auc(score, churned)["value"])
    w[:10] = np.nan
    expected = m.auc(score[10:], churned[10:])["value"]
    assert m.auc(score, churned, w)["value"] == pytest.approx(expected)


def test_correlations_match_scipy():
    score, churned = make_sample(1500, 7)
    renewed = (~churned).astype(int)
    res = m.correlations(score, churned)
    pb = stats.pointbiserialr(renewed, score)
    sp = stats.spearmanr(score, renewed)
    assert res["point_biserial_r"]["value"] == pytest.approx(pb.statistic, abs=1e-12)
    assert pb.pvalue < 1e-12  # so the relative tolerance is what is tested (abs=0)
    assert res["point_biserial_r"]["p_value"] == pytest.approx(pb.pvalue, rel=1e-6, abs=0)
    assert res["spearman"]["value"] == pytest.approx(sp.statistic, abs=1e-12)
    assert res["spearman"]["p_value"] == pytest.approx(sp.pvalue, rel=1e-6, abs=0)


@pytest.mark.parametrize(("n", "decimals"), [(3000, 0), (3000, None), (60000, 1)])
def test_ks_matches_scipy(n, decimals):
    score, churned = make_sample(n, 8, decimals=decimals)
    ref = stats.ks_2samp(score[churned], score[~churned])
    res = m.ks(score, churned)
    assert res["value"] == pytest.approx(ref.statistic, abs=1e-12)
    assert res["p_value"] == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-300)
    assert res["churned_lower"] is True
    # the gap really peaks at at_score
    t = res["at_score"]
    gap = abs((score[churned] <= t).mean() - (score[~churned] <= t).mean())
    assert gap == pytest.approx(res["value"], abs=1e-12)


def test_logit_matches_statsmodels():
    score, churned = make_sample(2000, 9)
    fit = sm.Logit(churned.astype(float), sm.add_constant(score)).fit(disp=0)
    res = m.logit(score, churned)
    assert res["reason"] is None and res["converged"] is True
    assert res["value"] == pytest.approx(math.exp(10 * fit.params[1]), rel=1e-6)
    lo, hi = fit.conf_int()[1]
    assert res["ci"] == pytest.approx([math.exp(10 * lo), math.exp(10 * hi)], rel=1e-6)
    assert res["p_value"] == pytest.approx(fit.pvalues[1], rel=1e-4, abs=1e-300)
    assert res["value"] < 1  # healthier scores churn less


def test_logit_perfect_separation_single_class_and_constant_score():
    score = np.array([10.0, 20, 30, 70, 80, 90])
    churned = np.array([True, True, True, False, False, False])
    assert "separation" in m.logit(score, churned)["reason"]
    quasi = np.array([10.0, 20, 50, 50, 80, 90])  # overlap only at the boundary
    assert "separation" in m.logit(quasi, churned)["reason"]
    assert "only one outcome class" in m.logit(score, np.zeros(6, bool))["reason"]
    assert m.logit(np.full(6, 50.0), churned)["reason"] == "all scores are equal"
    for res in (m.logit(score, churned), m.logit(np.full(6, 50.0), churned)):
        assert res["value"] is None
        assert_plain_json(res)


def test_wilson_ci_matches_hand_formula():
    k, n = np.array([0, 1, 7, 30, 50]), np.array([5, 9, 20, 30, 400])
    lo, hi = m.wilson_ci(k, n)
    for i in range(k.shape[0]):
        assert (lo[i], hi[i]) == pytest.approx(wilson(int(k[i]), int(n[i])), abs=1e-12)


# ----------------------------------------------------------------------------- hand-worked


def test_band_table_by_hand():
    # red: 3 accounts, 2 churned -> 2/3; ARR 600, churned ARR 300 -> 0.5
    # yellow: 4 accounts, 1 churned -> 1/4; ARR 400, churned 100 -> 0.25
    # green: 3 accounts, 1 churned -> 1/3; ARR 1500, churned 400 -> 4/15
    # lift = (2/3) / (1/3) = 2; yellow (0.25) < green (1/3) -> not monotone
    res = m.band_table(HAND_BAND, HAND_CHURN, HAND_ARR)
    red, yellow, green = res["rows"]
    assert [r["band"] for r in res["rows"]] == ["red", "yellow", "green"]
    assert (red["accounts"], red["churned"], red["renewed"]) == (3, 2, 1)
    assert (yellow["accounts"], yellow["churned"]) == (4, 1)
    assert (green["accounts"], green["churned"]) == (3, 1)
    assert [r["churn_rate"] for r in res["rows"]] == pytest.approx([2 / 3, 1 / 4, 1 / 3])
    assert red["churn_rate_ci"] == pytest.approx(list(wilson(2, 3)), abs=1e-12)
    assert yellow["churn_rate_ci"] == pytest.approx(list(wilson(1, 4)), abs=1e-12)
    assert [r["arr"] for r in res["rows"]] == [600, 400, 1500]
    assert [r["churned_arr"] for r in res["rows"]] == [300, 100, 400]
    assert [r["arr_churn_rate"] for r in res["rows"]] == pytest.approx([0.5, 0.25, 4 / 15])
    assert res["lift"]["value"] == pytest.approx(2.0)
    assert res["monotone"]["value"] is False
    assert_plain_json(res)


def test_surprise_churn_false_alarms_and_alerts_by_hand():
    res = m.surprise_churn(HAND_BAND, HAND_CHURN, HAND_ARR, HAND_IDS)
    assert res["surprise_churn"] == {"count": 1, "arr": 400.0, "ids": ["a7"]}
    assert res["false_alarms"] == {"count": 1, "arr": 300.0, "ids": ["a2"]}
    no_ids = m.surprise_churn(HAND_BAND, HAND_CHURN)
    assert no_ids["surprise_churn"] == {"count": 1, "arr": None, "ids": [7]}
    alert = m.alert_precision_recall(HAND_BAND, HAND_CHURN)
    # red flags 3, catches 2 of 4 churned; red+yellow flags 7, catches 3
    assert alert["red"]["precision"]["value"] == pytest.approx(2 / 3)
    assert alert["red"]["recall"]["value"] == pytest.approx(2 / 4)
    assert alert["red_or_yellow"]["precision"]["value"] == pytest.approx(3 / 7)
    assert alert["red_or_yellow"]["recall"]["value"] == pytest.approx(3 / 4)
    assert_plain_json(res)
    assert_plain_json(alert)


def test_reference_agreement_by_hand():
    ref = np.array(
        [
            "known_struggling",
            "",
            "known_healthy",
            "",
            "known_healthy",
            "",
            "",
            "known_healthy",
            "known_struggling",
            None,
        ],
        dtype=object,
    )
    # struggling: red (agree), green (worst miss); healthy: red (worst miss), yellow, green
    res = m.reference_agreement(HAND_BAND, ref)
    assert res["value"] == pytest.approx(2 / 5)
    assert res["confusion"]["known_healthy"] == {"red": 1, "yellow": 1, "green": 1, "unscored": 0}
    assert res["confusion"]["known_struggling"] == {
        "red": 1,
        "yellow": 0,
        "green": 1,
        "unscored": 0,
    }
    assert res["healthy_green_rate"] == pytest.approx(1 / 3)
    assert res["struggling_red_rate"] == pytest.approx(1 / 2)
    assert (res["healthy_red"], res["struggling_green"]) == (1, 1)
    assert m.reference_agreement(HAND_BAND, None)["reason"] == "no reference labels supplied"
    unlabelled = m.reference_agreement(HAND_BAND, np.full(10, ""))
    assert unlabelled["value"] is None and unlabelled["reason"]
    with pytest.raises(ValueError, match="unknown reference labels"):
        m.reference_agreement(HAND_BAND, np.full(10, "healthy"))


def test_calibration_table_deciles_by_hand():
    score = np.arange(1, 101, dtype=float)
    churned = score <= 20
    res = m.calibration_table(score, churned)
    assert res["value"] == 10
    assert [b["accounts"] for b in res["bins"]] == [10] * 10
    assert [b["churn_rate"] for b in res["bins"]] == [1, 1] + [0] * 8
    assert res["bins"][0]["score_min"] == 1 and res["bins"][0]["score_max"] == 10
    assert res["bins"][3]["mean_score"] == pytest.approx(35.5)
    assert res["monotone"]["value"] is True
    assert m.calibration_table(score, ~churned)["monotone"]["value"] is False


def test_calibration_table_merges_tied_scores():
    score = np.array([50.0] * 60 + list(range(1, 41)), dtype=float)
    churned = np.arange(100) % 3 == 0
    res = m.calibration_table(score, churned)
    assert res["value"] < 10 and res["notes"]
    assert sum(b["accounts"] for b in res["bins"]) == 100
    assert sum(b["churned"] for b in res["bins"]) == churned.sum()
    tied = next(b for b in res["bins"] if b["score_min"] <= 50 <= b["score_max"])
    assert tied["accounts"] >= 60
    highs = [b["score_max"] for b in res["bins"]]
    lows = [b["score_min"] for b in res["bins"]]
    assert all(h < lo for h, lo in zip(highs, lows[1:], strict=False))  # no straddling


def test_roc_curve_area_and_thinning():
    score, churned = make_sample(3000, 11)
    full = m.roc_curve(score, churned, max_points=10**6)
    area = np.trapezoid(full["tpr"], full["fpr"])
    assert area == pytest.approx(m.auc(score, churned)["value"], abs=1e-12)
    thin = m.roc_curve(score, churned, max_points=50)
    assert len(thin["fpr"]) <= 50 == len(thin["tpr"]) == len(thin["threshold"])
    assert (thin["fpr"][0], thin["tpr"][0], thin["threshold"][0]) == (0.0, 0.0, None)
    assert thin["fpr"][-1] == pytest.approx(1.0) and thin["tpr"][-1] == pytest.approx(1.0)
    assert np.all(np.diff(thin["fpr"]) >= 0) and np.all(np.diff(thin["tpr"]) >= 0)


def test_factor_signal():
    rng = np.random.default_rng(12)
    n = 2000
    churned = rng.random(n) < 0.25
    usage = np.clip(rng.normal(50 + 15 * (~churned), 15), 0, 100)
    usage_copy = np.clip(usage + rng.normal(0, 3, n), 0, 100)
    noise = rng.uniform(0, 100, n)
    usage[:200] = np.nan
    factors = np.column_stack([usage, usage_copy, noise])
    res = m.factor_signal(factors, ["usage", "usage_copy", "noise"], churned)
    first = res["factors"][0]
    assert first["missing_rate"] == pytest.approx(0.1)
    assert first["auc"]["value"] == pytest.approx(m.auc(usage, churned)["value"])
    known = ~np.isnan(usage)
    pb = stats.pointbiserialr((~churned[known]).astype(int), usage[known]).statistic
    assert first["point_biserial_r"]["value"] == pytest.approx(pb)
    assert [(p["a"], p["b"]) for p in res["double_counting"]] == [("usage", "usage_copy")]
    r = stats.pearsonr(usage[known], usage_copy[known]).statistic
    assert res["double_counting"][0]["r"] == pytest.approx(r)
    assert abs(res["correlation"][0][2]) < 0.2
    assert_plain_json(res)


def test_factor_monotone_flag():
    value = np.repeat(np.arange(100, dtype=float), 5)
    churned = value < 30
    factors = np.column_stack([value, 100 - value])
    res = m.factor_signal(factors, ["good", "inverted"], churned)
    assert res["factors"][0]["calibration"]["monotone"]["value"] is True
    assert res["factors"][1]["calibration"]["monotone"]["value"] is False
    assert res["factors"][0]["auc"]["value"] == 1.0
