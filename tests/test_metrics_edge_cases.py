"""calibration.metrics on edge cases (never a crash, NaN or silent nonsense), bad arguments
and properties over generated samples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from calibration import metrics as m
from tests.metrics_samples import HAND_BAND, assert_plain_json, bands_of, make_sample

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
