"""AppTest: the Calibrate page shows exactly what calibration/ computes, and keeps the draft."""

from __future__ import annotations

import pytest

from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.scoring import score_frame
from calibration.validation import validate
from calibration.weights import apply_flat_weights, flat_weights, round_to_total
from tests import independent
from tests.apptest_support import assert_clean, metric, run_app
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = pytest.mark.xdist_group("app")


@pytest.fixture(scope="module")
def demo():
    config = load_config(DEMO_CONFIG)
    return config, load_accounts(DEMO_DATA, config)


def expected(config, table):
    scored = score_frame(table.frame, config, explain=False)
    return validate(table, config, scored, by_segment=False, include_logit=False,
                    include_factors=False)


def test_every_run_renders_the_frame_and_baseline_metrics(demo):
    at = run_app()
    config, table = demo
    evidence = expected(config, table)
    assert metric(at, "AUC") == f"{evidence['auc']['value']:.3f}"
    assert metric(at, "Surprise churn (accounts)") == f"{evidence['surprise_churn']['count']:,}"
    judged = independent.judged_accounts(table, config)  # pandas + scipy, not validate()
    assert metric(at, "AUC") == f"{independent.auc(judged):.3f}"
    assert metric(at, "Surprise churn (accounts)") == f"{independent.surprise_churn(judged)[0]:,}"
    at.run()  # a second run in the same process must still go through app.py
    assert_clean(at)


def test_moving_a_weight_updates_metrics_to_computed_values(demo):
    config, table = demo
    at = run_app()
    at.slider(key="w::Executive sponsor").set_value(20).run()
    assert_clean(at)
    flat = round_to_total(flat_weights(config), digits=0)
    # the UI rebalances the unlocked others proportionally: 40/30/30 -> 32/24/24
    wanted = {**flat, "Executive sponsor": 20.0, "Active users": 32.0, "Open tickets": 24.0,
              "CSM assessment": 24.0}
    evidence = expected(apply_flat_weights(config, wanted), table)
    assert metric(at, "AUC") == f"{evidence['auc']['value']:.3f}"
    judged = independent.judged_accounts(table, apply_flat_weights(config, wanted))
    assert metric(at, "AUC") == f"{independent.auc(judged):.3f}"
    assert metric(at, "Correlation with renewal") == f"{independent.point_biserial(judged):.3f}"
    assert metric(at, "Correlation with renewal") == (
        f"{evidence['point_biserial_r']['value']:.3f}")
    assert metric(at, "Surprise churn (accounts)") == f"{evidence['surprise_churn']['count']:,}"
    assert [at.slider(key=f"w::{n}").value for n in ("Active users", "Open tickets")] == [32, 24]
    auc_delta = next(m.delta for m in at.metric if m.label == "AUC")
    assert auc_delta.startswith("+")


def test_locked_weight_holds(demo):
    at = run_app()
    at.checkbox(key="lock::CSM assessment").check().run()
    at.slider(key="w::Active users").set_value(10).run()
    assert_clean(at)
    assert at.slider(key="w::CSM assessment").value == 30
    assert at.slider(key="w::Open tickets").value == 60


def test_bands_slider_changes_band_table(demo):
    config, table = demo
    at = run_app()
    at.slider(key="band::range").set_value((40.0, 60.0)).run()
    assert_clean(at)
    raw = config.model_dump()
    raw["bands"] = {"red_max": 40.0, "yellow_max": 60.0}
    evidence = expected(type(config).model_validate(raw), table)
    shown = at.dataframe[0].value
    assert list(shown["Accounts"]) == [row["accounts"] for row in evidence["bands"]]


def test_draft_survives_reload_and_page_switch(demo):
    at = run_app()
    at.slider(key="w::NPS").set_value(15).run()
    draft_id = at.query_params["draft"]
    draft_id = draft_id[0] if isinstance(draft_id, list) else draft_id
    at.switch_page("app_pages/data.py").run()
    at.switch_page("app_pages/calibrate.py").run()
    assert at.slider(key="w::NPS").value == 15
    # a browser reload = a new session with the same URL
    again = run_app(draft_id=draft_id)
    assert again.slider(key="w::NPS").value == 15
    assert metric(again, "AUC") == metric(at, "AUC")


def test_undo_and_reset(demo):
    at = run_app()
    at.slider(key="w::NPS").set_value(15).run()
    at.sidebar.button[0].click().run()  # Undo
    assert at.slider(key="w::NPS").value == 0
    at.slider(key="w::NPS").set_value(10).run()
    at.sidebar.button[1].click().run()  # Reset draft
    assert at.slider(key="w::NPS").value == 0
    assert_clean(at)


def test_data_driven_cutoffs_apply_to_the_rule(demo):
    from calibration import fitting
    from calibration.validation import judged_rows
    from calibration.values import as_number

    _, table = demo
    at = run_app()
    at.selectbox(key="rule::selected").set_value("Feature adoption").run()
    at.button(key="rule::Feature adoption::use_cutoffs").click().run()
    assert_clean(at)
    rows = judged_rows(table, 90).rows
    values, _ = as_number(table.frame["feature_adoption_pct"].iloc[rows])
    cut = fitting.suggest_factor_cutoffs(values, table.outcome[rows] == "churned")
    factor = next(f for f in at.session_state["workspace"].draft.factors
                  if f.name == "Feature adoption")
    assert (factor.rule.lo, factor.rule.hi, factor.direction) == (cut.lo, cut.hi,
                                                                   cut.direction)


def test_new_sub_score_keeps_weights(demo):
    at = run_app()
    at.selectbox(key="rule::selected").set_value("Active users").run()
    at.selectbox(key="rule::Active users::group").set_value("New sub-score…").run()
    at.text_input(key="rule::Active users::new_group").input("Usage").run()
    assert_clean(at)
    draft = at.session_state["workspace"].draft
    assert [f.group for f in draft.factors if f.name == "Active users"] == ["Usage"]
    assert at.slider(key="w::Active users").value == 40
    assert any(m.value.startswith("**Usage**") for m in at.markdown)


def test_one_keyboard_step_sticks_and_moves_the_auc():
    at = run_app(page="calibrate")
    before = metric(at, "AUC")
    assert at.slider(key="w::Active users").value == 40.0
    at.slider(key="w::Active users").set_value(40.1).run()
    assert_clean(at)
    assert at.slider(key="w::Active users").value == pytest.approx(40.1)
    at.slider(key="w::Active users").set_value(41.0).run()
    assert at.slider(key="w::Active users").value == pytest.approx(41.0)
    assert metric(at, "AUC") != before
