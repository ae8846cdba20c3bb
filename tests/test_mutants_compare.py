"""Compare on a hand-made significant loss and gain, every number recomputed with pandas and
scipy (mutation-testing kills)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from calibration.accounts import prepare
from calibration.compare import compare
from calibration.scoring import score_frame
from tests.conftest import make_config
from tests.test_compare import noise_table, two_factor


@pytest.fixture(scope="module")
def tickets_predict_churn():
    table = noise_table()
    churned = table.outcome == "churned"
    noise = np.random.default_rng(0).uniform(-2, 2, len(churned))
    frame = table.frame.assign(tickets=np.where(churned, 7.0, 3.0) + noise)
    return prepare(frame, make_config().columns, make_config())


def auc(score, churned):
    u = stats.mannwhitneyu(score[~churned], score[churned]).statistic
    return u / (churned.sum() * (~churned).sum())


def test_a_significant_loss_is_called_worse_with_every_number_checked(tickets_predict_churn):
    table = tickets_predict_churn
    good, bad = two_factor(10, 90), two_factor(90, 10)  # tickets carry the signal
    result = compare(table, good, bad, n_resamples=300)
    churned = table.outcome == "churned"
    s_good = score_frame(table.frame, good).result
    s_bad = score_frame(table.frame, bad).result
    auc_good, auc_bad = auc(s_good.score, churned), auc(s_bad.score, churned)
    assert auc_good - auc_bad > 0.3  # the hand-made loss is large
    metrics = result.metrics
    assert metrics["auc"]["baseline"] == pytest.approx(auc_good, abs=1e-12)
    assert metrics["auc"]["draft"] == pytest.approx(auc_bad, abs=1e-12)
    assert metrics["auc"]["diff"] == pytest.approx(auc_bad - auc_good, abs=1e-12)
    assert metrics["auc"]["ci"][1] < 0
    green_churn = [int((churned & (s.band == 2)).sum()) for s in (s_good, s_bad)]
    assert [metrics["surprise_churn_count"]["baseline"],
            metrics["surprise_churn_count"]["draft"]] == green_churn
    r = stats.pointbiserialr((~churned).astype(int), s_bad.score).statistic
    assert metrics["point_biserial_r"]["draft"] == pytest.approx(r, abs=1e-9)
    assert not result.real
    assert not result.verdict.startswith("improvement is real")
    assert "worse" in result.verdict
    assert "auc" in result.verdict_detail["worse"]


def test_the_mirror_image_is_a_real_improvement(tickets_predict_churn):
    result = compare(tickets_predict_churn, two_factor(90, 10), two_factor(10, 90),
                     n_resamples=300)
    assert result.real and result.verdict.startswith("improvement is real")
    assert result.metrics["auc"]["ci"][0] > 0
    assert result.verdict_detail["worse"] == []


def test_identical_configs_are_no_real_difference(tickets_predict_churn):
    result = compare(tickets_predict_churn, two_factor(50, 50), two_factor(50, 50),
                     n_resamples=100)
    assert result.metrics["auc"]["diff"] == 0
    assert not result.real and "improvement is real" not in result.verdict
    assert len(result.movers) == 0
