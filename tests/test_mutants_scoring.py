"""Scoring details found by mutation testing: which guardrail is named when two cap alike,
the documented codes, rounding and floors, guardrail operators, groups on both paths."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from calibration.scoring import (
    RED,
    YELLOW,
    combine,
    factor_points,
    guardrail_condition,
    percentile_rule,
    plans,
    score_frame,
)
from tests.conftest import make_config
from tests.test_scoring import hand_frame, points


def test_of_two_guardrails_with_the_same_cap_the_first_listed_is_named():
    rails = [
        {"name": "No sponsor", "column": "sponsor", "operator": "==", "value": False,
         "cap": "yellow"},
        {"name": "Many tickets", "column": "tickets", "operator": ">=", "value": 0,
         "cap": "yellow"},
        {"name": "Escalated", "column": "tickets", "operator": ">=", "value": 10, "cap": "red"},
    ]
    frame = hand_frame().assign(sponsor=["no", "no", "yes", "no"])
    result = score_frame(frame, make_config(guardrails=rails)).result
    tickets = frame["tickets"].to_numpy()
    # every row has tickets >= 0; rows without a sponsor hit "No sponsor" too (listed first);
    # tickets >= 10 caps red, which beats any yellow cap
    expected = np.where(tickets >= 10, 2, np.where(frame["sponsor"] == "no", 0, 1))
    scored = ~np.isnan(result.score)
    assert result.guardrail[scored].tolist() == expected[scored].tolist()
    assert set(result.band[scored].tolist()) <= {RED, YELLOW}


def test_band_names_by_code():
    from calibration.scoring import band_names

    names = band_names(np.array([0, 1, 2, -1, 0], dtype=np.int8)).tolist()
    assert names == ["red", "yellow", "green", "", "red"]


# --------------------------------------------------------------------------- documented codes
def test_band_cap_and_guardrail_codes_are_the_documented_numbers():
    # ScoreResult.band: 0 red, 1 yellow, 2 green, -1 unscored; GuardrailHits.cap: the best
    # band a row may reach (0 red, 1 yellow, 2 = no cap); rule / guardrail: -1 when none.
    # Literal numbers, not the module's constants: other modules and exports read these codes.
    rails = [{"name": "No sponsor", "column": "sponsor", "operator": "==", "value": False,
              "cap": "yellow"}]
    frame = hand_frame().assign(sponsor=["yes", "no", "yes", "no"])
    scored = score_frame(frame, make_config(guardrails=rails))
    assert scored.result.band.tolist() == [1, 1, 0, -1]  # b (100) capped to yellow
    assert scored.hits.cap.tolist() == [2, 1, 2, 1]
    assert scored.hits.rule.tolist() == [-1, 0, -1, 0]
    assert scored.result.guardrail.tolist() == [-1, 0, -1, -1]  # d is unscored
    bare = combine(scored.matrix, make_config(), scored.segments)  # no guardrails at all
    assert bare.guardrail.tolist() == [-1, -1, -1, -1]
    assert bare.contributions is None and bare.subscores is None  # explain is opt-in


def test_scores_are_rounded_half_up_to_nine_decimals():
    config = make_config(factors=[{"name": "usage", "column": "usage", "weight": 1,
                                   "rule": {"kind": "linear", "lo": 0, "hi": 3}}])
    frame = pd.DataFrame({"id": ["a", "b", "c"], "usage": [1.0, 2.0, 0.5],
                          "outcome": "open", "arr": 1.0})
    score = score_frame(frame, config).result.score
    # the points are 100/3, 200/3 and 50/3 as doubles; rounded half up to 9 decimals
    nine = Decimal("1e-9")
    expected = [float(Decimal(p).quantize(nine, ROUND_HALF_UP))
                for p in (1.0 / 3.0 * 100.0, 2.0 / 3.0 * 100.0, 0.5 / 3.0 * 100.0)]
    assert expected == [33.333333333, 66.666666667, 16.666666667]
    assert score.tolist() == expected


# --------------------------------------------------------------------------- rule edges
def test_a_share_at_the_1e14_floor_still_scores_its_line_value():
    # documented: a linear/percentile share *below* 1e-14 of its interval scores the start
    lo_hi = {"kind": "linear", "lo": 0, "hi": 1}
    percentile = {"kind": "percentile", "values": [0, 1], "percentiles": [0, 100]}
    for rule in (lo_hi, percentile):
        got = points([0.5e-14, 1e-14, 1.5e-14], rule)
        assert got[0] == 0.0
        np.testing.assert_allclose(got[1:], [1e-12, 1.5e-12], rtol=1e-9, atol=0)


def test_percentile_rule_top_value_scores_exactly_its_percentile():
    # 0.2 + (0.9 - 0.2) is 0.8999999999999999 in floating point: the end is not interpolated
    rule = {"kind": "percentile", "values": [0, 10], "percentiles": [0.2, 0.9]}
    assert points([10.0, 11.0], rule).tolist() == [0.9, 0.9]


def test_percentile_rule_defaults_to_deciles_and_needs_two_distinct_values():
    data = np.arange(101, dtype=float)
    rule = percentile_rule(data)
    assert rule.percentiles == [float(p) for p in range(0, 101, 10)]
    np.testing.assert_allclose(rule.values, np.percentile(data, range(0, 101, 10)))
    two = percentile_rule(np.array([2.0, 1.0]))  # two distinct values are enough
    assert (two.values[0], two.values[-1]) == (1.0, 2.0)
    for flat in ([5.0, 5.0, 5.0], [7.0], [np.nan, 1.0, np.inf]):
        with pytest.raises(ValueError, match="at least two distinct values"):
            percentile_rule(np.array(flat))


def test_weights_below_1e12_of_the_largest_count_as_zero():
    # documented floor (shared with SQL): below 1e-12 of the largest weight a weight is 0
    # (weights are divided by the largest, which then weighs exactly 1, whatever the scale)
    for top in (1.0, 0.5, 40.0):
        for tiny, kept in ((1.5e-12, True), (1e-12, True), (0.5e-12, False)):
            config = make_config().with_weights({"usage": top, "tickets": tiny * top})
            (plan,) = plans(config)
            assert plan.factor_weight[0] == 1.0
            assert bool(plan.factor_weight[1] > 0) is kept, (top, tiny)
            if kept:
                assert plan.factor_weight[1] == pytest.approx(tiny, rel=1e-9, abs=0)


# --------------------------------------------------------------------------- guardrails
@pytest.mark.parametrize("operator", ["==", "!=", "<", "<=", ">", ">="])
def test_numeric_guardrail_operators_match_pandas(operator):
    values = pd.Series([0, 4.5, 5, 5.5, 10, None, "n/a", "5"], dtype=object)
    numbers = pd.to_numeric(values, errors="coerce")
    compare = {"==": numbers.eq, "!=": numbers.ne, "<": numbers.lt, "<=": numbers.le,
               ">": numbers.gt, ">=": numbers.ge}[operator]
    expected = (compare(5) & numbers.notna()).to_numpy()  # a missing value never matches
    assert guardrail_condition(values, operator, 5).tolist() == expected.tolist()


@pytest.mark.parametrize("operator", ["==", "!="])
def test_text_and_boolean_guardrails_match_pandas(operator):
    text = pd.Series(["Gold", " gold ", "silver", None, "", "N/A"], dtype=object)
    folded = text.str.strip().str.lower()
    known = text.notna() & ~folded.isin(["", "n/a"])
    expected = known & (folded.eq("gold") if operator == "==" else folded.ne("gold"))
    assert guardrail_condition(text, operator, "GOLD").tolist() == expected.tolist()
    flags = pd.Series(["yes", "no", None, "maybe"], dtype=object)
    want = [True, False, False, False] if operator == "==" else [False, True, False, False]
    assert guardrail_condition(flags, operator, True).tolist() == want


# --------------------------------------------------------------------------- weights, paths
def test_factor_points_finds_the_segments_itself():
    config = make_config(segments=[{
        "name": "Onboarding", "match": {"column": "stage", "values": ["onboarding"]},
        "rules": {"usage": {"kind": "linear", "lo": 0, "hi": 50}}}])
    frame = hand_frame().assign(usage=[25.0, 25.0, 60.0, 60.0],
                                stage=["onboarding", "adopted", "Onboarding", "x"])
    usage = factor_points(frame, config).points[:, 0]
    assert usage.tolist() == [50.0, 25.0, 100.0, 60.0]


def grouped_config(c_weight: float = 0.0):
    # A (weight 1): usage 100; B (weight 1): tickets 50; C (weight 1): nps, factor weight c
    return make_config(
        groups=[{"name": "A", "weight": 1}, {"name": "B", "weight": 1},
                {"name": "C", "weight": 1}],
        factors=[
            {"name": "usage", "column": "usage", "group": "A", "weight": 100,
             "rule": {"kind": "linear", "lo": 0, "hi": 100}},
            {"name": "tickets", "column": "tickets", "group": "B", "weight": 50,
             "direction": "lower_is_better", "rule": {"kind": "linear", "lo": 0, "hi": 10}},
            {"name": "nps", "column": "nps", "group": "C", "weight": c_weight,
             "rule": {"kind": "linear", "lo": 0, "hi": 10}}])


def test_groups_weigh_by_group_whatever_their_factor_weights_on_both_paths():
    frame = hand_frame().assign(usage=[40.0, 80.0, 10.0, 0.0], tickets=[2.0, 5.0, 0.0, 10.0],
                                nps=[10.0, 0.0, 5.0, 1.0])
    # C's only factor weighs 0: C drops out; A and B count half each whatever their factors'
    # weights (100 and 50): usage points / 2 + (100 - 10 x tickets) / 2
    expected = [(40 + 80) / 2, (80 + 50) / 2, (10 + 100) / 2, (0 + 0) / 2]
    config = grouped_config()
    fast = score_frame(frame, config, explain=False).result
    slow = score_frame(frame, config, explain=True).result
    assert fast.score.tolist() == expected
    assert slow.score.tolist() == expected
    np.testing.assert_allclose(slow.contributions[:, 2], 0.0)  # C adds 0, not NaN
    np.testing.assert_allclose(slow.contributions.sum(axis=1), expected)
    (plan,) = plans(config)
    np.testing.assert_array_equal(plan.flat_weights, [0.5, 0.5, 0.0])


def test_fast_path_skips_missing_factors_too():
    # explain=False with missing values: the same renormalisation as the explained path
    result = score_frame(hand_frame(), make_config(), explain=False).result
    np.testing.assert_array_equal(result.score, [50, 100, 0, np.nan])
    assert result.contributions is None
