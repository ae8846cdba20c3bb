"""Tests of calibration.metrics against independent computations (scipy, statsmodels, hand)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from calibration import metrics as m

Z95 = 1.959963984540054


def make_sample(n: int, seed: int = 0, decimals: int | None = 1):
    """Scores that separate churned from renewed a little, with ties when rounded."""
    rng = np.random.default_rng(seed)
    churned = rng.random(n) < 0.2
    score = np.clip(rng.normal(55 + 12 * (~churned), 18), 0, 100)
    if decimals is not None:
        score = np.round(score, decimals)
    return score, churned


def bands_of(score: np.ndarray, red_max: float = 40, yellow_max: float = 70) -> np.ndarray:
    """Band codes like calibration.scoring.assign_bands."""
    band = np.where(score <= red_max, 0, np.where(score <= yellow_max, 1, 2))
    return np.where(np.isnan(score), -1, band).astype(np.int8)


def assert_plain_json(obj) -> None:
    """Only plain Python types, and JSON without NaN/inf."""
    json.dumps(obj, allow_nan=False)

    def walk(x):
        if isinstance(x, dict):
            assert all(isinstance(k, str) for k in x)
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        else:
            assert x is None or type(x) in (bool, int, float, str), (type(x), x)

    walk(obj)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval written out by hand."""
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


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


# 10 accounts:        red red red  yel yel yel yel  grn grn grn
HAND_BAND = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2], dtype=np.int8)
HAND_CHURN = np.array([1, 1, 0, 1, 0, 0, 0, 1, 0, 0], dtype=bool)
HAND_ARR = np.array([100, 200, 300, 100, 100, 100, 100, 400, 500, 600], dtype=float)
HAND_IDS = np.array([f"a{i}" for i in range(10)])


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


# ----------------------------------------------------------------------------- edge cases


def _edge_inputs():
    n = 12
    base = np.linspace(5, 95, n)
    alternating = np.arange(n) % 2 == 0
    yield "one class only", base, np.zeros(n, bool)
    yield "all churned", base, np.ones(n, bool)
    yield "ties everywhere", np.round(base / 50) * 50, alternating
    yield "all scores equal", np.full(n, 50.0), alternating
    with_nan = base.copy()
    with_nan[::3] = np.nan
    yield "nan scores", with_nan, alternating
    yield "all unscored", np.full(n, np.nan), alternating
    yield "empty green band", base * 0.5, alternating
    yield "empty red band", 50 + base * 0.5, alternating
    for k in (1, 2, 3):
        yield f"{k} rows", base[:k], alternating[:k]
    yield "0 rows", np.array([]), np.array([], bool)


@pytest.mark.parametrize(("label", "score", "churned"), list(_edge_inputs()))
def test_evaluate_edge_cases_never_crash_or_nan(label, score, churned):
    n = score.shape[0]
    band = bands_of(score)
    rng = np.random.default_rng(0)
    factors = np.column_stack([score, np.full(n, 50.0)])
    ref = np.array(["known_healthy", "known_struggling", ""] * 5)[:n]
    res = m.evaluate(
        score,
        churned,
        band,
        arr=rng.uniform(0, 100, n),
        ids=np.arange(n),
        reference=ref,
        factor_scores=factors,
        factor_names=["f", "flat"],
        bootstrap_resamples=50,
    )
    assert_plain_json(res)
    for key in (
        "auc",
        "gini",
        "ks",
        "point_biserial_r",
        "spearman",
        "logit",
        "lift",
        "monotone",
        "calibration",
        "reference",
        "auc_ci",
    ):
        assert res[key]["value"] is not None or res[key]["reason"], key
    assert res["n_scored"] + res["n_unscored"] == n
    assert any("too few churned" in w for w in res["warnings"])


def test_edge_case_reasons():
    score = np.linspace(10, 90, 12)
    churned = np.arange(12) % 2 == 0
    one = m.evaluate(score, np.zeros(12, bool), bands_of(score))
    assert one["auc"]["reason"] == "only one outcome class (no churned accounts)"
    assert one["bootstrap"]["reason"] == "bootstrap not requested"
    flat = m.evaluate(np.full(12, 50.0), churned, bands_of(np.full(12, 50.0)))
    assert flat["auc"]["value"] == 0.5
    assert flat["ks"]["reason"] == "all scores are equal"
    assert flat["point_biserial_r"]["reason"] == "all scores are equal"
    low = score * 0.5  # no green
    empty = m.evaluate(low, churned, bands_of(low))
    assert empty["lift"]["reason"] == "green band is empty"
    assert empty["bands"][2]["churn_rate"] is None and "empty band" in empty["bands"][2]["notes"]
    assert empty["monotone"]["compared"] == ["red", "yellow"]
    tiny = m.evaluate(score[:2], churned[:2], bands_of(score[:2]))
    assert tiny["point_biserial_r"]["reason"] == "fewer than 3 scored accounts (2)"
    none = m.evaluate(np.array([np.nan]), np.array([True]), np.array([-1], np.int8))
    assert none["auc"]["reason"] == "no scored accounts"
    assert none["n_unscored_churned"] == 1
    no_arr = m.evaluate(score, churned, bands_of(score))
    assert no_arr["arr_weighted"]["auc"]["reason"] == "no ARR supplied"
    assert no_arr["factors"]["reason"] == "no factor scores supplied"


def test_lift_undefined_when_green_never_churns():
    res = m.band_table(HAND_BAND, HAND_BAND == 0)
    assert res["lift"]["value"] is None and "no churn in the green band" in res["lift"]["reason"]


def test_min_churned_warning():
    score, churned = make_sample(400, 13)
    idx = np.flatnonzero(churned)[:19]
    few = np.zeros(400, bool)
    few[idx] = True
    res = m.evaluate(score, few, bands_of(score))
    assert "too few churned accounts to judge: 19 (minimum 20)" in res["warnings"]
    few[np.flatnonzero(churned)[19]] = True
    assert not any("too few" in w for w in m.evaluate(score, few, bands_of(score))["warnings"])
    assert m.MIN_CHURNED == 20


def test_bad_arguments_raise_value_error():
    score, churned = make_sample(20, 14)
    band = bands_of(score)
    with pytest.raises(ValueError, match="rows"):
        m.auc(score, churned[:-1])
    with pytest.raises(ValueError, match="0-100"):
        m.auc(score + 200, churned)
    with pytest.raises(ValueError, match="churned"):
        m.auc(score, np.full(20, 2))
    with pytest.raises(ValueError, match="band codes"):
        m.band_table(band + 5, churned)
    with pytest.raises(ValueError, match="exactly where score is NaN"):
        m.evaluate(np.where(band == 0, np.nan, score), churned, band)
    with pytest.raises(ValueError, match=">= 0"):
        m.band_table(band, churned, arr=np.full(20, -1.0))
    with pytest.raises(ValueError, match="factor_names"):
        m.factor_signal(np.zeros((20, 2)), ["a"], churned)
    with pytest.raises(ValueError, match="n_resamples"):
        m.bootstrap(score, churned, band, n_resamples=0)
    with pytest.raises(ValueError, match="1-D"):
        m.ks(score.reshape(4, 5), churned)


# ----------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_reproducible_and_contains_point():
    score, churned = make_sample(5000, 15)
    band = bands_of(score)
    a = m.bootstrap(score, churned, band, n_resamples=300, seed=4)
    b = m.bootstrap(score, churned, band, n_resamples=300, seed=4)
    c = m.bootstrap(score, churned, band, n_resamples=300, seed=5)
    assert a == b and a != c
    assert_plain_json(a)
    exact = m.auc(score, churned)["value"]
    lo, hi = a["auc"]["value"]
    assert lo < exact < hi
    lo, hi = a["point_biserial_r"]["value"]
    assert lo < m.correlations(score, churned)["point_biserial_r"]["value"] < hi
    rates = m.band_table(band, churned)["rows"]
    for row in rates:
        lo, hi = a["bands"][row["band"]]["value"]
        assert lo < row["churn_rate"] < hi
        assert a["bands"][row["band"]]["point"] == pytest.approx(row["churn_rate"])


def test_bootstrap_ci_shrinks_with_n():
    widths = []
    for n in (1000, 30000):
        score, churned = make_sample(n, 16)
        res = m.bootstrap(score, churned, bands_of(score), n_resamples=400)
        widths.append(res["auc"]["value"][1] - res["auc"]["value"][0])
    assert widths[1] < widths[0] / 3  # ~ 1 / sqrt(30)


def test_bootstrap_binned_estimates_are_exact_on_a_01_grid():
    score, churned = make_sample(20000, 17, decimals=1)
    res = m.bootstrap(score, churned, bands_of(score), n_resamples=20)
    assert res["exact_binning"] is True
    assert res["auc_binned"] == pytest.approx(m.auc(score, churned)["value"], abs=1e-12)
    r = m.correlations(score, churned)["point_biserial_r"]["value"]
    assert res["point_biserial_r"]["point"] == pytest.approx(r, abs=1e-9)


def test_bootstrap_continuous_scores_are_binned_to_01():
    score, churned = make_sample(20000, 18, decimals=None)
    res = m.bootstrap(score, churned, bands_of(score), n_resamples=20)
    assert res["exact_binning"] is False
    rounded = np.round(score / 0.1) * 0.1
    assert res["auc_binned"] == pytest.approx(m.auc(rounded, churned)["value"], abs=1e-12)
    assert res["auc_binned"] == pytest.approx(m.auc(score, churned)["value"], abs=2e-3)


def test_bootstrap_keeps_capped_bands():
    # a guardrail caps some high scores to red: band churn CIs follow the band, not the score
    score, churned = make_sample(4000, 19)
    band = bands_of(score)
    capped = (score > 80) & (np.arange(4000) % 4 == 0)
    band[capped] = 0
    res = m.bootstrap(score, churned, band, n_resamples=100)
    for code, name in enumerate(["red", "yellow", "green"]):  # the capped band, not the score
        assert res["bands"][name]["point"] == pytest.approx(churned[band == code].mean(),
                                                            rel=1e-12)
    assert res["bands"]["red"]["point"] != pytest.approx(churned[score <= 40].mean(), rel=1e-3)


def test_evaluate_bootstrap_auc_ci():
    score, churned = make_sample(3000, 20)
    res = m.evaluate(score, churned, bands_of(score), bootstrap_resamples=200, seed=1)
    assert res["auc_ci"]["value"][0] < res["auc"]["value"] < res["auc_ci"]["value"][1]
    assert res["bootstrap"]["seed"] == 1
    assert_plain_json(res)


# ----------------------------------------------------------------------------- properties


def _to_arrays(rows):
    """(score on a 0.1 grid, churned) arrays from (tenths, churned) tuples."""
    return np.array([r[0] for r in rows], float) / 10, np.array([r[1] for r in rows], bool)


samples = st.lists(st.tuples(st.integers(0, 1000), st.booleans()), min_size=0, max_size=60).map(
    _to_arrays
)


@settings(max_examples=150, deadline=None)
@given(samples)
def test_auc_properties(sample):
    score, churned = sample
    res = m.auc(score, churned)
    assert_plain_json(res)
    if churned.all() or not churned.any():
        assert res["value"] is None and res["reason"]
        return
    value = res["value"]
    # the value itself against scipy (the symmetries below hold for a constant 0.5 too):
    # P(renewed scores above churned) + half the ties = U / (n_renewed * n_churned)
    u = stats.mannwhitneyu(score[~churned], score[churned]).statistic
    assert value == pytest.approx(u / (churned.sum() * (~churned).sum()), abs=1e-12)
    assert m.auc(100 - score, churned)["value"] == pytest.approx(1 - value, abs=1e-12)
    assert m.auc(10 * np.sqrt(score), churned)["value"] == pytest.approx(value, abs=1e-12)
    assert m.auc(score, ~churned)["value"] == pytest.approx(1 - value, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(samples)
def test_ks_and_binned_bootstrap_agree_with_exact(sample):
    score, churned = sample
    res = m.ks(score, churned)
    boot = m.bootstrap(score, churned, bands_of(score), n_resamples=5)
    assert_plain_json(res)
    assert_plain_json(boot)
    if churned.all() or not churned.any():
        assert boot["reason"] and res["reason"]
        return
    assert boot["auc_binned"] == pytest.approx(m.auc(score, churned)["value"], abs=1e-12)
    if np.unique(score).shape[0] > 1:
        ref = stats.ks_2samp(score[churned], score[~churned]).statistic
        assert res["value"] == pytest.approx(ref, abs=1e-12)


def test_monotone_noise_only_distinguishes_bumps_from_clear_reversals():
    from calibration.metrics import band_table

    # red 30/100, yellow 10/100, green 12/100: a bump within noise
    band = np.repeat([0, 1, 2], 100)
    churned = np.zeros(300, dtype=bool)
    churned[:30] = True
    churned[100:110] = True
    churned[200:212] = True
    mono = band_table(band, churned)["monotone"]
    assert mono["value"] is False and mono["noise_only"] is True
    # green 60/100 vs yellow 10/100: CIs do not overlap: a clear reversal
    churned[200:260] = True
    mono = band_table(band, churned)["monotone"]
    assert mono["value"] is False and mono["noise_only"] is False
    # green's CI [50%, 69%] lies above red's [22%, 40%] and yellow's [6%, 17%]
    assert mono["clear_reversals"] == ["green above red", "green above yellow"]
