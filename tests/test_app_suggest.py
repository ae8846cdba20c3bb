"""AppTest: the Suggest page shows calibration.fitting's numbers and applies them."""

from __future__ import annotations

import pytest

from calibration import fitting
from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.scoring import score_frame
from calibration.validation import judged_rows
from calibration.weights import apply_flat_weights, flat_weights, round_to_total
from tests import independent
from tests.apptest_support import assert_clean, metric, run_app
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = pytest.mark.xdist_group("app")


def test_suggestion_is_checked_out_of_sample_and_applied():
    at = run_app(page="suggest")
    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    scored = score_frame(table.frame, config)
    judged = judged_rows(table, 90)
    rows, churned = judged.rows, judged.churned
    suggestion = fitting.suggest(scored.matrix.points[rows], churned, config.factor_names,
                                 method="auc", groups=config)
    logit = fitting.suggest(scored.matrix.points[rows], churned, config.factor_names,
                            method="logit", groups=config, l2=0.0)
    shown = at.dataframe[0].value.set_index("Factor")
    for name in config.factor_names:
        assert shown.loc[name, "AUC search %"] == pytest.approx(
            round(suggestion.weights[name], 1))
        assert shown.loc[name, "Logistic regression %"] == pytest.approx(
            round(logit.weights[name], 1))
    checks = at.dataframe[1].value.set_index("Check")
    assert checks.iloc[0]["AUC search AUC"] == pytest.approx(suggestion.auc)
    assert checks.iloc[0]["Logistic regression AUC"] == pytest.approx(logit.auc)
    # in-sample AUC of the suggested weights, rescored through the config and scipy (the
    # config keeps weights to a few decimals: AUC then agrees to ~1e-6)
    suggested = apply_flat_weights(config, suggestion.weights)
    assert checks.iloc[0]["AUC search AUC"] == pytest.approx(
        independent.auc(independent.judged_accounts(table, suggested)), abs=1e-5)
    split = fitting.time_split(scored.matrix.points[rows], churned, judged.renewal_date,
                               method="auc", test_months=6, names=config.factor_names,
                               baseline=scored.result.score[rows], groups=config,
                               judge_dates=judged.judge_date)
    assert checks.iloc[2]["AUC search AUC"] == pytest.approx(split["test_auc"])
    assert any("improvement is real" in s.value for s in at.success)
    at.button(key="sg::apply::auc").click().run()
    assert_clean(at)
    at.switch_page("app_pages/calibrate.py").run()
    assert_clean(at)
    # sliders show the applied weights' true values to one decimal (no display rounding
    # forced to add up to 100)
    want = round(flat_weights(apply_flat_weights(config, suggestion.weights))["Feature adoption"],
                 1)
    assert at.slider(key="w::Feature adoption").value == pytest.approx(want)
    assert float(metric(at, "AUC")) > 0.8
    assert round_to_total(flat_weights(config), digits=0)["Active users"] == 40
