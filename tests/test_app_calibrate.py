"""AppTest: the Calibrate page shows exactly what calibration/ computes, and keeps the draft."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import formatting, outcomes
from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.scoring import score_frame
from calibration.validation import validate
from calibration.weights import apply_flat_weights, flat_weights, round_to_total
from tests import independent
from tests.apptest_support import (
    assert_clean,
    held_weights,
    hold_weight,
    markdown_table,
    metric,
    move_weight,
    open_rules,
    run_app,
    weight,
    weight_groups,
)
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
    move_weight(at, "Executive sponsor", 20)
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
    assert [weight(at, f"{n}") for n in ("Active users", "Open tickets")] == [32, 24]
    auc_delta = next(m.delta for m in at.metric if m.label == "AUC")
    assert auc_delta.startswith("+")


def test_locked_weight_holds(demo):
    at = run_app()
    hold_weight(at, "CSM assessment")
    assert held_weights(at) == ["CSM assessment"]
    move_weight(at, "Active users", 10)
    assert_clean(at)
    assert weight(at, "CSM assessment") == 30
    assert weight(at, "Open tickets") == 60
    move_weight(at, "Open tickets", 40)
    assert weight(at, "CSM assessment") == 30
    assert weight(at, "Active users") == 30
    at.run()
    assert held_weights(at) == ["CSM assessment"]
    hold_weight(at, "CSM assessment", held=False)
    assert held_weights(at) == []
    move_weight(at, "Active users", 40)
    assert weight(at, "CSM assessment") != 30  # released: it rescales again


def test_bands_slider_changes_band_table(demo):
    config, table = demo
    at = run_app()
    at.slider(key="band::range").set_value((40.0, 60.0)).run()
    assert_clean(at)
    raw = config.model_dump()
    raw["bands"] = {"red_max": 40.0, "yellow_max": 60.0}
    evidence = expected(type(config).model_validate(raw), table)
    shown = markdown_table(at, "Band")
    assert list(shown["Accounts"]) == [f"{row['accounts']:,}" for row in evidence["bands"]]
    assert list(shown["Churned ARR"]) == [f"${row['churned_arr']:,.0f}"
                                          for row in evidence["bands"]]
    assert "None" not in shown.to_string() and "." not in "".join(shown["ARR"])


def outcome_cards(at) -> dict[str, tuple[str, str | None]]:
    labels = [o.label for o in outcomes.outcome_list(90, False)]
    return {m.label: (m.value, m.delta or None) for m in at.metric if m.label in labels}


def test_cs_outcomes_come_first_and_equal_calibration(demo):
    """The headline cards show exactly calibration.outcomes' numbers, with the change
    against the baseline; the statistics sit in an Advanced statistics expander."""
    config, table = demo
    at = run_app()
    at.slider(key="band::range").set_value((45.0, 70.0)).run()
    assert_clean(at)
    raw = config.model_dump()
    raw["bands"] = {"red_max": 45.0, "yellow_max": 70.0}
    now = outcomes.cs_outcomes(expected(type(config).model_validate(raw), table))
    before = outcomes.cs_outcomes(expected(config, table))
    cards = outcome_cards(at)
    shown = outcomes.outcome_list(90, False)
    assert [m.label for m in at.metric][:len(shown)] == [o.label for o in shown]
    for outcome in shown:
        value, delta = cards[outcome.label]
        assert value == formatting.fmt(now[outcome.key]["value"], outcome.kind), outcome.key
        assert delta == formatting.delta(now[outcome.key]["value"],
                                         before[outcome.key]["value"], outcome.kind)
    # and equal to a plain pandas recount of the judged accounts (no calibration code)
    by_pandas = independent.cs_outcomes(independent.judged_accounts(
        table, type(config).model_validate(raw)))
    for outcome in shown:
        assert cards[outcome.label][0] == formatting.fmt(by_pandas[outcome.key],
                                                         outcome.kind), outcome.key
    assert cards["Churned ARR caught red 90 days ahead"][1].startswith("+")  # wider red band
    assert cards["Churned ARR caught red 90 days ahead"][0].endswith("%")
    assert cards["Surprise churn (ARR)"][0].startswith("$") and "." not in cards[
        "Surprise churn (ARR)"][0]
    at.run()  # the expander is static (drawn by a full run): the band step re-sent its cards
    assert [e.label for e in at.expander][:1] == ["Advanced statistics"]
    auc_card = next(m for m in at.expander[0].get("metric") if m.label == "AUC")
    auc = expected(type(config).model_validate(raw), table)["auc"]["value"]
    assert auc_card.value == f"{auc:.3f}"
    assert any("likely range" in c.value for c in at.caption)


def test_reference_agreement_beside_the_outcomes(demo):
    """Known accounts while tuning: agreement with the reference labels and its change."""
    config, table = demo
    at = run_app()
    at.slider(key="band::range").set_value((45.0, 70.0)).run()
    raw = config.model_dump()
    raw["bands"] = {"red_max": 45.0, "yellow_max": 70.0}
    now = expected(type(config).model_validate(raw), table)["reference"]
    before = expected(config, table)["reference"]
    if now["value"] is None:
        pytest.skip("demo data has no reference labels")
    card = next(m for m in at.metric if m.label == "Known accounts in the right band")
    assert card.value == formatting.percent(now["value"])
    assert (card.delta or None) == formatting.delta(now["value"], before["value"], "percent")


def test_unchanged_draft_shows_no_deltas(demo):
    at = run_app()
    assert all(delta is None for _, delta in outcome_cards(at).values())
    assert not any(m.delta for m in at.metric)  # no red "-0.000" for no change


def test_draft_survives_reload_and_page_switch(demo):
    at = run_app()
    move_weight(at, "NPS", 15)
    draft_id = at.query_params["draft"]
    draft_id = draft_id[0] if isinstance(draft_id, list) else draft_id
    at.switch_page("app_pages/data.py").run()
    at.switch_page("app_pages/calibrate.py").run()
    assert weight(at, "NPS") == 15
    # a browser reload = a new session with the same URL
    again = run_app(draft_id=draft_id)
    assert weight(again, "NPS") == 15
    assert metric(again, "AUC") == metric(at, "AUC")


def test_undo_and_reset(demo):
    at = run_app()
    move_weight(at, "NPS", 15)
    at.sidebar.button[0].click().run()  # Undo
    assert weight(at, "NPS") == 0
    move_weight(at, "NPS", 10)
    at.sidebar.button[1].click().run()  # Reset draft
    assert weight(at, "NPS") == 0
    assert_clean(at)


def test_data_driven_cutoffs_apply_to_the_rule(demo):
    from calibration import fitting
    from calibration.validation import judged_rows
    from calibration.values import as_number

    _, table = demo
    at = run_app()
    open_rules(at)
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
    open_rules(at)
    at.selectbox(key="rule::selected").set_value("Active users").run()
    at.selectbox(key="rule::Active users::group").set_value("New sub-score…").run()
    at.text_input(key="rule::Active users::new_group").input("Usage").run()
    assert_clean(at)
    draft = at.session_state["workspace"].draft
    assert [f.group for f in draft.factors if f.name == "Active users"] == ["Usage"]
    assert weight(at, "Active users") == 40
    usage = {g["name"]: g for g in weight_groups(at)}["Usage"]  # a heading with its total
    assert (usage["total"], [f["name"] for f in usage["factors"]]) == (40, ["Active users"])


def test_one_keyboard_step_sticks_and_moves_the_auc():
    at = run_app(page="calibrate")
    before = metric(at, "AUC")
    assert weight(at, "Active users") == 40.0
    move_weight(at, "Active users", 40.1)
    assert_clean(at)
    assert weight(at, "Active users") == pytest.approx(40.1)
    move_weight(at, "Active users", 41.0)
    assert weight(at, "Active users") == pytest.approx(41.0)
    assert metric(at, "AUC") != before


def test_equal_weights_show_true_values_and_rescale_in_proportion():
    from ui.state import Workspace

    config = load_config(DEMO_CONFIG)
    names = config.factor_names
    equal = apply_flat_weights(config, dict.fromkeys(names, 100 / len(names)))
    Workspace(draft_id="equalweights01", source_name="demo", source_path=str(DEMO_DATA),
              baseline=config, draft=equal).save()
    at = run_app(page="calibrate", draft_id="equalweights01")
    share = round(100 / len(names), 1)
    assert [weight(at, f"{n}") for n in names] == [share] * len(names)
    move_weight(at, f"{names[0]}", 20.0)
    assert_clean(at)
    after = flat_weights(at.session_state["workspace"].draft)
    assert after[names[0]] == pytest.approx(20.0)
    rest = [after[n] for n in names[1:]]
    assert max(rest) - min(rest) < 1e-5  # the others shrank in proportion (all equal)
    assert sum(after.values()) == pytest.approx(100)


def test_calibrate_flags_a_leaking_and_a_protected_factor(tmp_path):
    from ui.state import Workspace

    frame = pd.read_parquet(DEMO_DATA)
    frame["cancel_flag"] = (frame["outcome"] == "churned").astype(int)  # encodes the outcome
    frame["gender"] = np.where(np.arange(len(frame)) % 2, "f", "m")
    path = tmp_path / "leaky.parquet"
    frame.to_parquet(path)
    raw = load_config(DEMO_CONFIG).model_dump()
    raw["factors"] += [
        {"name": "Cancel flag", "column": "cancel_flag", "weight": 5, "group": "Relationship",
         "direction": "lower_is_better", "rule": {"kind": "boolean"}},
        {"name": "Gender", "column": "gender", "weight": 5, "group": "Relationship",
         "rule": {"kind": "mapping", "points": {"f": 50, "m": 50}}}]
    config = type(load_config(DEMO_CONFIG)).model_validate(raw)
    Workspace(draft_id="leakyconfig01", source_name="leaky.parquet", source_path=str(path),
              baseline=config, draft=config).save()
    at = run_app(page="calibrate", draft_id="leakyconfig01")
    errors = [e.value.replace("\\", "") for e in at.error]
    assert any("Possible leak" in e and "cancel_flag" in e for e in errors)
    assert any("Fairness" in e and "gender" in e for e in errors)


def test_threshold_range_slider_rescores_live(demo):
    """Thresholds are sliders: moving a linear rule's range changes the draft's rule and the
    headline numbers to what the scorer gives for that rule (recomputed with pandas)."""
    from calibration.config import LinearRule

    config, table = demo
    at = run_app()
    open_rules(at)
    at.selectbox(key="rule::selected").set_value("Active users").run()
    slider = at.slider(key="rule::Active users::range")
    low, high = slider.min, slider.max
    from calibration.validation import judged_rows

    rows = judged_rows(table, 90).rows  # the slider spans the judged accounts' values
    column = table.frame["active_user_pct"].iloc[rows].astype(float)
    assert low <= column.quantile(0.01) and high >= column.quantile(0.99)
    assert low <= 20.0 and high >= 80.0  # the current rule's ends are on the scale
    slider.set_value((35.0, 60.0)).run()
    assert_clean(at)
    rule = next(f.rule for f in at.session_state["workspace"].draft.factors
                if f.name == "Active users")
    assert (rule.kind, rule.lo, rule.hi) == ("linear", 35.0, 60.0)
    moved = config.with_rule("Active users", LinearRule(lo=35.0, hi=60.0))
    judged = independent.judged_accounts(table, moved)
    assert metric(at, "AUC") == f"{independent.auc(judged):.3f}"
    assert metric(at, "Surprise churn (accounts)") == f"{independent.surprise_churn(judged)[0]:,}"
    assert metric(at, "AUC") != f"{independent.auc(independent.judged_accounts(table, config)):.3f}"
    # the typed exact values follow the slider
    assert at.number_input(key="rule::Active users::lo").value == 35.0


def test_step_cutoff_slider_rescores_live(demo):
    from calibration.config import StepsRule

    config, table = demo
    at = run_app()
    open_rules(at)
    at.selectbox(key="rule::selected").set_value("Logins").run()
    at.selectbox(key="rule::Logins::kind").set_value("steps").run()
    rule = next(f.rule for f in at.session_state["workspace"].draft.factors
                if f.name == "Logins")
    assert rule.kind == "steps" and len(rule.cutoffs) == 1
    at.slider(key="rule::Logins::cut::0").set_value(150.0).run()
    assert_clean(at)
    rule = next(f.rule for f in at.session_state["workspace"].draft.factors
                if f.name == "Logins")
    assert rule.cutoffs == [150.0]
    moved = config.with_rule("Logins", StepsRule(cutoffs=[150.0], points=[0.0, 100.0]))
    judged = independent.judged_accounts(table, moved)
    assert metric(at, "AUC") == f"{independent.auc(judged):.3f}"
    assert metric(at, "Surprise churn (accounts)") == f"{independent.surprise_churn(judged)[0]:,}"
    assert at.text_input(key="rule::Logins::cutoffs").value == "150"


def test_slider_scale_spans_the_data_and_the_rule():
    from ui.rule_sliders import slider_scale

    values = np.array([np.nan, np.inf, *np.linspace(0, 1000, 1001)])
    scale = slider_scale(values, [20.0, 5000.0])
    assert scale.low <= 10 and scale.high >= 5000 and scale.step == 10
    assert slider_scale(np.array([3.0, 3.0]), [3.0]).low < 3.0 < slider_scale(
        np.array([3.0, 3.0]), [3.0]).high
    tiny = slider_scale(np.linspace(0, 0.02, 50), [0.001, 0.015])
    assert tiny.step == 0.00001 and tiny.format == "%.5f" and tiny.low <= 0.001
    assert slider_scale(np.array([np.nan]), [1.0, 2.0]).low <= 1.0
