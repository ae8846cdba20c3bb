"""Scoring against hand-worked examples, plus hypothesis properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from calibration.config import Config, ConfigError, Factor
from calibration.scoring import (
    GREEN,
    RED,
    UNSCORED,
    YELLOW,
    assign_bands,
    percentile_rule,
    rule_points,
    score_frame,
)
from tests.conftest import make_config


def factor(rule: dict, direction: str = "higher_is_better", **kw) -> Factor:
    return Factor.model_validate({"name": "f", "column": "x", "weight": 1, "rule": rule,
                                  "direction": direction, **kw})


def points(values, rule, direction="higher_is_better"):
    return rule_points(pd.Series(values), factor(rule, direction))


def test_linear_rule_both_directions():
    rule = {"kind": "linear", "lo": 20, "hi": 80}
    np.testing.assert_allclose(points([0, 20, 50, 80, 100], rule), [0, 0, 50, 100, 100])
    np.testing.assert_allclose(points([0, 20, 50, 80, 100], rule, "lower_is_better"),
                               [100, 100, 50, 0, 0])


def test_steps_rule_edges():
    rule = {"kind": "steps", "cutoffs": [1, 3], "points": [100, 60, 0]}
    # value < 1 -> 100; 1 <= value < 3 -> 60; value >= 3 -> 0
    np.testing.assert_allclose(points([0, 0.99, 1, 2.5, 3, 9], rule), [100, 100, 60, 60, 0, 0])


def test_mapping_rule_is_case_insensitive_with_default():
    rule = {"kind": "mapping", "points": {"Green": 100, "yellow": 50, "red": 0}, "default": 25}
    got = points(["green", " RED ", "Yellow", "purple", None], rule)
    np.testing.assert_allclose(got, [100, 0, 50, 25, np.nan])


def test_mapping_without_default_treats_unknown_as_missing():
    got = points(["a", "b"], {"kind": "mapping", "points": {"a": 10}})
    np.testing.assert_allclose(got, [10, np.nan])


def test_boolean_rule_reads_words_and_numbers():
    rule = {"kind": "boolean", "true_points": 100, "false_points": 20}
    got = points(["Yes", "no", "TRUE", "0", "maybe", None], rule)
    np.testing.assert_allclose(got, [100, 20, 100, 20, np.nan, np.nan])
    np.testing.assert_allclose(rule_points(pd.Series([True, False]), factor(rule)), [100, 20])


def test_percentile_rule_interpolates_and_clamps():
    rule = {"kind": "percentile", "values": [0, 10, 30], "percentiles": [0, 50, 100]}
    np.testing.assert_allclose(points([-5, 0, 5, 10, 20, 30, 99], rule),
                               [0, 0, 25, 50, 75, 100, 100])
    np.testing.assert_allclose(points([5], rule, "lower_is_better"), [75])


def test_percentile_rule_from_data_merges_ties():
    rule = percentile_rule(np.array([0, 0, 0, 0, 0, 0, 1, 2, 3, 4.0]), n_points=11)
    assert rule.values == sorted(set(rule.values))
    assert rule.values[0] == 0 and rule.values[-1] == 4
    # the six zeros span the 0-50% quantiles, merged into their mean percentile
    assert rule.percentiles[0] == pytest.approx(np.mean([0, 10, 20, 30, 40, 50]))


def test_text_numbers_are_read():
    np.testing.assert_allclose(points(["1,000", " 50 ", "x"], {"kind": "linear", "lo": 0,
                                                              "hi": 1000}), [100, 5, np.nan])


def hand_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["a", "b", "c", "d"],
        "usage": [50.0, 100.0, np.nan, np.nan],
        "tickets": [5.0, 0.0, 10.0, np.nan],
        "outcome": ["renewed"] * 4,
        "arr": [1.0] * 4,
    })


def test_composite_hand_worked_with_skip_renormalisation():
    scored = score_frame(hand_frame(), make_config()).result
    # a: usage 50 pts * .6 + tickets 50 pts * .4 = 50
    # b: 100*.6 + 100*.4 = 100
    # c: usage missing -> tickets alone: 0 pts (10 tickets)
    # d: nothing to score -> NaN, unscored
    np.testing.assert_allclose(scored.score, [50, 100, 0, np.nan])
    assert scored.band.tolist() == [YELLOW, GREEN, RED, UNSCORED]
    np.testing.assert_allclose(scored.contributions[0], [30, 20])
    np.testing.assert_allclose(scored.contributions[2], [0, 0])


def test_missing_points_policy():
    raw = make_config().model_dump()
    raw["factors"][0]["missing"] = "points"
    raw["factors"][0]["missing_points"] = 40
    scored = score_frame(hand_frame(), Config.model_validate(raw)).result
    # c: usage 40 (missing) *.6 + tickets 0 *.4 = 24; d: 40*.6 / .6 (tickets skipped) = 40
    np.testing.assert_allclose(scored.score, [50, 100, 24, 40])


def test_groups_renormalise_within_group_first():
    raw = make_config().model_dump()
    raw["groups"] = [{"name": "A", "weight": 50}, {"name": "B", "weight": 50}]
    raw["factors"][0]["group"] = "A"
    raw["factors"][1]["group"] = "A"
    raw["factors"].append({"name": "nps", "column": "nps", "group": "B", "weight": 100,
                           "rule": {"kind": "linear", "lo": 0, "hi": 10}})
    frame = hand_frame().assign(nps=[10.0, np.nan, 0.0, 5.0])
    result = score_frame(frame, Config.model_validate(raw)).result
    # a: A = 50 (as before), B = 100 -> 75; b: A = 100, B missing -> 100
    # c: A = 0 (tickets only), B = 0 -> 0; d: A missing, B = 50 -> 50
    np.testing.assert_allclose(result.score, [75, 100, 0, 50])
    np.testing.assert_allclose(result.subscores[0], [50, 100])
    np.testing.assert_allclose(result.contributions[0], [15, 10, 50])
    np.testing.assert_allclose(np.nansum(result.contributions, axis=1), result.raw_score)


def test_guardrail_caps_score_and_band():
    config = make_config(guardrails=[
        {"name": "No sponsor", "column": "sponsor", "operator": "==", "value": False,
         "cap": "yellow"},
        {"name": "Escalated", "column": "tickets", "operator": ">=", "value": 10, "cap": "red"},
    ])
    frame = hand_frame().assign(sponsor=["yes", "no", "no", None])
    result = score_frame(frame, config).result
    # b would be 100/green but has no sponsor: capped at yellow_max 70
    np.testing.assert_allclose(result.score, [50, 70, 0, np.nan])
    assert result.band.tolist() == [YELLOW, YELLOW, RED, UNSCORED]
    assert result.guardrail.tolist() == [-1, 0, 1, -1]
    np.testing.assert_allclose(result.guardrail_points, [0, -30, 0, 0])


def test_disabled_guardrail_does_nothing():
    config = make_config(guardrails=[{"name": "g", "column": "sponsor", "operator": "==",
                                      "value": False, "enabled": False}])
    frame = hand_frame().assign(sponsor=["no"] * 4)
    result = score_frame(frame, config).result
    assert (result.guardrail == -1).all()
    # scores as without any guardrail (hand-worked in test_guardrail_caps_score_and_band),
    # while the same guardrail enabled would cap b (100) to the red_max of 30
    np.testing.assert_allclose(result.score, [50, 100, 0, np.nan])
    enabled = make_config(guardrails=[{"name": "g", "column": "sponsor", "operator": "==",
                                       "value": False, "cap": "red"}])
    assert score_frame(frame, enabled).result.score[1] == 30


def test_segment_overrides_weights_rules_and_bands():
    config = make_config(segments=[{
        "name": "Onboarding", "match": {"column": "stage", "values": ["onboarding"]},
        "weights": {"tickets": 0},
        "rules": {"usage": {"kind": "linear", "lo": 0, "hi": 50}},
        "bands": {"red_max": 10, "yellow_max": 40},
    }])
    frame = hand_frame().assign(stage=["Onboarding", "Adopted", "ONBOARDING", "x"])
    result = score_frame(frame, config).result
    # a (onboarding): usage 50 on 0->50 = 100 pts, tickets weight 0 -> 100
    # c (onboarding): usage missing, tickets weight 0 -> nothing to score
    np.testing.assert_allclose(result.score, [100, 100, np.nan, np.nan])
    assert result.segment.tolist() == [0, -1, 0, -1]


def test_segment_bands_apply():
    config = make_config(segments=[{"name": "S", "match": {"column": "stage",
                                    "values": ["s"]}, "bands": {"red_max": 60,
                                                                "yellow_max": 90}}])
    result = score_frame(hand_frame().assign(stage=["s", "t", "s", "t"]), config).result
    assert result.band.tolist()[:2] == [RED, GREEN]


def test_missing_column_raises_config_error():
    with pytest.raises(ConfigError, match="'tickets' is not in the data"):
        score_frame(hand_frame().drop(columns="tickets"), make_config())


def test_assign_bands_boundaries():
    assert assign_bands(np.array([0, 30, 30.01, 70, 70.01, np.nan]), 30, 70).tolist() == [
        RED, RED, YELLOW, YELLOW, GREEN, UNSCORED]


# --------------------------------------------------------------------------- properties
values = arrays(np.float64, 30, elements=st.floats(-50, 150) | st.just(np.nan))
weights = st.lists(st.floats(0, 100), min_size=2, max_size=2).filter(lambda w: sum(w) > 0)


@settings(max_examples=80, deadline=None)
@given(usage=values, tickets=values, w=weights)
@example(usage=np.full(30, np.nan), tickets=np.full(30, 0.25), w=[0.0, 5e-324])  # underflow
def test_properties_range_and_contributions(usage, tickets, w):
    frame = pd.DataFrame({"id": range(30), "usage": usage, "tickets": tickets,
                          "outcome": "open", "arr": 1.0})
    config = make_config().with_weights({"usage": w[0], "tickets": w[1]})
    result = score_frame(frame, config).result
    scored = ~np.isnan(result.score)
    assert ((result.score[scored] >= 0) & (result.score[scored] <= 100)).all()
    np.testing.assert_allclose(np.nansum(result.contributions[scored], axis=1),
                               result.score[scored], atol=1e-9)
    # and the score is the weighted mean of the present factors' points, written out here
    # (a 0-100 range alone holds for any implementation that clips)
    points = np.column_stack([np.clip(usage, 0, 100), 100 - np.clip(tickets / 10, 0, 1) * 100])
    # weights relative to the largest; below 1e-12 of it a weight counts as 0 (the documented
    # rule Python and SQL share so no product can underflow)
    weight = np.asarray(w, dtype=float) / max(w)
    weight = np.where(weight < 1e-12, 0.0, weight)
    present = ~np.isnan(points) & (weight > 0)
    total = (present * weight).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(total > 0, np.where(present, points, 0) @ weight / total, np.nan)
    np.testing.assert_allclose(result.score, expected, atol=1e-8, rtol=0)


@settings(max_examples=60, deadline=None)
@given(base=st.floats(0, 100), bump=st.floats(0, 50), other=st.floats(0, 10),
       w=weights)
def test_monotone_in_each_factor_direction(base, bump, other, w):
    frame = pd.DataFrame({"id": [1, 2, 3, 4], "usage": [base, base + bump, 50, 50],
                          "tickets": [other, other, other, other + bump / 5],
                          "outcome": "open", "arr": 1.0})
    config = make_config().with_weights({"usage": w[0], "tickets": w[1]})
    score = score_frame(frame, config).result.score
    assert score[1] >= score[0] - 1e-9  # more usage (higher is better) never lowers the score
    assert score[3] <= score[2] + 1e-9  # more tickets (lower is better) never raises it


def test_fast_and_explain_paths_give_identical_scores(demo_config):
    from calibration.accounts import load_accounts
    from calibration.scoring import combine
    from tests.conftest import DEMO_DATA

    table = load_accounts(DEMO_DATA, demo_config)
    config = demo_config  # its weights make the two summation orders differ by ~4e-14
    scored = score_frame(table.frame, config)
    fast = combine(scored.matrix, config, scored.segments, scored.hits, explain=False)
    np.testing.assert_array_equal(fast.score, scored.result.score)
    np.testing.assert_array_equal(fast.band, scored.result.band)


def test_weightless_factors_contribute_zero_not_nan(demo_config):
    frame = pd.DataFrame({
        "account_id": ["a"], "active_user_pct": [50.0], "feature_adoption_pct": [40.0],
        "top_user_share_pct": [30.0], "logins_30d": [100], "open_tickets": [2],
        "unresolved_tickets_30d": [1], "escalations_90d": [0], "csm_assessment": ["green"],
        "exec_sponsor": [True], "champion_change_90d": [False], "nps": [9.0], "csat": [4.0],
        "late_invoices_90d": [0],
    })
    result = score_frame(frame, demo_config).result
    nps = demo_config.factor_names.index("NPS")  # weight 0 in the weightless Sentiment group
    assert result.contributions[0, nps] == 0.0
    assert not np.isnan(result.contributions).any()
    assert np.sum(result.contributions[0]) == pytest.approx(result.score[0])

