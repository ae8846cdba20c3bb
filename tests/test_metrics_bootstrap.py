"""calibration.metrics.bootstrap: reproducible, exact where binning is exact, intervals that
behave."""

from __future__ import annotations

import numpy as np
import pytest

from calibration import metrics as m
from tests.metrics_samples import assert_plain_json, bands_of, make_sample

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
