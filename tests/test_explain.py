"""calibration.explain against hand-worked numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from calibration import explain
from calibration.config import Config, Factor
from calibration.scoring import score_frame
from calibration.validation import history, lead_time_by_segment
from tests.conftest import make_config

NAN = np.nan


# --------------------------------------------------------------------------- common traits
def traits_example():
    # rows 0-1: group, rows 2-4: reference, row 5: neither
    values = np.array([
        [1.0, 1.0, NAN],
        [3.0, 0.0, NAN],
        [5.0, 1.0, 2.0],
        [7.0, 1.0, 2.0],
        [NAN, 1.0, 2.0],
        [100.0, 0.0, 9.0],
    ])
    group = np.array([True, True, False, False, False, False])
    reference = np.array([False, False, True, True, True, False])
    return values, group, reference


def test_common_traits_hand_worked():
    values, group, reference = traits_example()
    out = explain.common_traits(values, group, reference, ["Usage", "Sponsor", "NPS"],
                                kinds=["number", "share", "number"], labels=["", "yes", ""],
                                reference_label="renewals")
    by = {row["factor"]: row for row in out}
    usage = by["Usage"]
    # group mean 2 (var 1), reference mean 6 over 5 and 7 (var 1): (2 - 6) / 1 = -4
    assert usage["group_mean"] == 2.0 and usage["reference_mean"] == 6.0
    assert usage["std_diff"] == pytest.approx(-4.0)
    # missing 0 vs 1/3: (0 - 1/3) / sqrt((0 + 2/9) / 2) = -1
    assert usage["reference_missing"] == pytest.approx(1 / 3)
    assert usage["missing_std_diff"] == pytest.approx(-1.0)
    assert usage["strength"] == pytest.approx(4.0)
    assert usage["sentence"] == ("Usage: average 2.0 vs 6.0 for renewals; "
                                 "missing for 0% vs 33%")
    sponsor = by["Sponsor"]
    # 0.5 (var 0.25) vs 1.0 (var 0): -0.5 / sqrt(0.125) = -sqrt(2)
    assert sponsor["std_diff"] == pytest.approx(-math.sqrt(2))
    assert sponsor["missing_std_diff"] == 0.0
    assert sponsor["sentence"] == "Sponsor: 50% yes vs 100% of renewals"
    nps = by["NPS"]  # no values in the group: only the missing rate speaks
    assert nps["group_mean"] is None and nps["std_diff"] is None
    # missing 1 vs 0, both constant: falls back to the SD of both together (sqrt(0.24))
    assert nps["missing_std_diff"] == pytest.approx(1 / math.sqrt(0.24))
    assert nps["sentence"] == "NPS: missing for 100% vs 0% of renewals"
    assert [row["factor"] for row in out] == ["Usage", "NPS", "Sponsor"]  # by strength


def test_common_traits_constant_groups_use_combined_sd():
    values = np.array([[1.0], [1.0], [0.0], [0.0]])
    out = explain.common_traits(values, np.array([1, 1, 0, 0], bool),
                                np.array([0, 0, 1, 1], bool), ["Flag"], kinds=["share"],
                                labels=["yes"])
    assert out[0]["std_diff"] == pytest.approx(2.0)  # 1 / sd of [1, 1, 0, 0] = 1 / 0.5


def test_common_traits_top_and_empty_groups():
    values, group, reference = traits_example()
    names = ["Usage", "Sponsor", "NPS"]
    assert len(explain.common_traits(values, group, reference, names, top=1)) == 1
    assert explain.common_traits(values, np.zeros(6, bool), reference, names) == []
    assert explain.common_traits(values, group, np.zeros(6, bool), names) == []
    with pytest.raises(ValueError):
        explain.common_traits(values, group, reference, ["only one"])
    with pytest.raises(ValueError):
        explain.common_traits(values, group[:3], reference, names)


def test_common_traits_accepts_a_frame():
    values, group, reference = traits_example()
    frame = pd.DataFrame(values, columns=["a", "b", "c"])
    out = explain.common_traits(frame, group, reference, ["a", "b", "c"])
    assert out[0]["factor"] == "a"


def test_misscored_groups():
    band = np.array([2, 2, 0, 0, 1, 2])
    churned = np.array([True, False, False, True, True, False])
    groups = explain.misscored_groups(band, churned)
    assert groups["surprise_churn"]["mask"].tolist() == [1, 0, 0, 0, 0, 0]
    assert groups["surprise_churn"]["reference"].tolist() == [0, 1, 0, 0, 0, 1]
    assert groups["false_alarms"]["mask"].tolist() == [0, 0, 1, 0, 0, 0]
    assert groups["false_alarms"]["reference"].tolist() == [0, 0, 0, 1, 0, 0]


def test_trait_values_per_rule_kind():
    boolean = Factor(name="Sponsor", column="s", weight=1,
                     rule={"kind": "boolean", "true_points": 100, "false_points": 0})
    values, kind, label = explain.trait_values(pd.Series(["yes", "no", None]), boolean)
    assert kind == "share" and label == "yes"
    np.testing.assert_array_equal(values, [1.0, 0.0, NAN])
    mapping = Factor(name="CSM", column="c", weight=1,
                     rule={"kind": "mapping", "points": {"Red": 0, "Green": 100, "Yellow": 50}})
    values, kind, label = explain.trait_values(
        pd.Series([" green", "RED", "yellow", "purple", None]), mapping)
    assert kind == "share" and label == "'Green'"
    np.testing.assert_array_equal(values, [1.0, 0.0, 0.0, NAN, NAN])
    linear = Factor(name="Usage", column="u", weight=1, rule={"kind": "linear", "lo": 0,
                                                              "hi": 1})
    values, kind, _ = explain.trait_values(pd.Series([1.5, None]), linear)
    assert kind == "number"
    np.testing.assert_array_equal(values, [1.5, NAN])


# --------------------------------------------------------------------------- one account
def explained_config() -> Config:
    raw = make_config().model_dump()
    raw["guardrails"] = [{"name": "Many tickets", "column": "tickets", "operator": ">=",
                          "value": 5, "cap": "red"}]
    raw["segments"] = [{"name": "Big", "match": {"column": "tier", "values": ["big"]},
                        "weights": {"usage": 20, "tickets": 80},
                        "bands": {"red_max": 40, "yellow_max": 60}}]
    return Config.model_validate(raw)


def explained_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["a", "b", "c", "d", "e"], "arr": [1.0] * 5, "outcome": ["renewed"] * 5,
        "usage": [50.0, 50.0, NAN, 50.0, NAN],
        "tickets": [2.0, 5.0, 2.0, 2.0, NAN],
        "tier": ["small", "small", "small", "big", "small"],
    })


@pytest.fixture
def story():
    config = explained_config()
    scored = score_frame(explained_frame(), config, explain=True)

    def one(row: int, raw=None):
        return explain.account_explanation(config, scored.matrix, scored.result, row, raw)

    return one


def test_explanation_plain_row(story):
    out = story(0, {"usage": 50.0, "tickets": np.int64(2)})
    # usage 50 points x 60% = 30; tickets 2 of 10 lower-is-better = 80 points x 40% = 32
    assert [f["contribution"] for f in out["factors"]] == pytest.approx([30.0, 32.0])
    assert [f["points"] for f in out["factors"]] == pytest.approx([50.0, 80.0])
    assert [f["weight"] for f in out["factors"]] == pytest.approx([0.6, 0.4])
    assert [f["value"] for f in out["factors"]] == [50.0, 2]
    assert type(out["factors"][1]["value"]) is int
    assert out["score"] == pytest.approx(62.0) and out["raw_score"] == pytest.approx(62.0)
    assert out["band"] == "yellow"
    assert out["guardrail"] is None
    assert out["total"] == pytest.approx(62.0)
    assert out["subscores"] == {"Overall": pytest.approx(62.0)}
    assert out["segment"] == {"name": "Default", "red_max": 30.0, "yellow_max": 70.0,
                              "weights": {"usage": pytest.approx(60.0),
                                          "tickets": pytest.approx(40.0)}}


def test_explanation_guardrail_cap(story):
    out = story(1)
    # 30 + 0.4 x 50 = 50, capped at red (30): guardrail removes 20 points
    assert out["raw_score"] == pytest.approx(50.0)
    assert out["score"] == pytest.approx(30.0)
    assert out["band"] == "red"
    assert out["guardrail"] == {"name": "Many tickets", "cap": "red",
                                "points": pytest.approx(-20.0)}
    assert out["total"] == pytest.approx(30.0)


def test_explanation_missing_factor_renormalises(story):
    out = story(2)
    assert out["factors"][0]["points"] is None
    assert [f["weight"] for f in out["factors"]] == pytest.approx([0.0, 1.0])
    assert [f["contribution"] for f in out["factors"]] == pytest.approx([0.0, 80.0])
    assert out["score"] == pytest.approx(80.0) and out["band"] == "green"


def test_explanation_segment_plan(story):
    out = story(3)
    # Big: 20% x 50 + 80% x 80 = 74, green above 60
    assert out["segment"]["name"] == "Big"
    assert (out["segment"]["red_max"], out["segment"]["yellow_max"]) == (40.0, 60.0)
    assert out["segment"]["weights"] == {"usage": pytest.approx(20.0),
                                         "tickets": pytest.approx(80.0)}
    assert [f["contribution"] for f in out["factors"]] == pytest.approx([10.0, 64.0])
    assert out["score"] == pytest.approx(74.0) and out["band"] == "green"


def test_explanation_unscored_row(story):
    out = story(4)
    assert out["score"] is None and out["band"] == "" and out["total"] is None
    assert all(f["contribution"] is None for f in out["factors"])


def test_explanation_needs_explained_result():
    config = explained_config()
    scored = score_frame(explained_frame(), config, explain=False)
    with pytest.raises(ValueError):
        explain.account_explanation(config, scored.matrix, scored.result, 0)


def test_contributions_add_up_on_demo(demo_config):
    from calibration.accounts import load_accounts
    from tests.conftest import DEMO_DATA

    raw = demo_config.model_dump()
    raw["guardrails"][0]["enabled"] = True
    config = Config.model_validate(raw)
    table = load_accounts(DEMO_DATA, config)
    scored = score_frame(table.frame, config, explain=True)
    capped = np.flatnonzero(scored.result.guardrail_points < -1)[:20]
    assert capped.size
    for row in [*capped.tolist(), *range(0, len(table), 997)]:
        out = explain.account_explanation(config, scored.matrix, scored.result, row)
        assert out["total"] == pytest.approx(out["score"], abs=1e-9)


def test_band_changes():
    frame = pd.DataFrame({
        "account_id": ["a"] * 4, "snapshot_date": pd.to_datetime(
            ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30"]),
        "score": [80.0, 60.0, 65.0, 20.0], "band": [2, 1, 1, 0]})
    past = history.band_history(frame, "a")
    assert explain.band_changes(past) == [
        {"date": "2025-02-28", "from": "green", "to": "yellow", "score": 60.0},
        {"date": "2025-04-30", "from": "yellow", "to": "red", "score": 20.0},
    ]




def test_lead_time_by_segment():
    frame = pd.DataFrame({
        "account_id": ["a", "a", "b", "b"],
        "snapshot_date": pd.to_datetime(["2025-01-01", "2025-03-01"] * 2),
        "renewal_date": pd.to_datetime(["2025-04-01"] * 4),
        "outcome": ["churned"] * 4, "band": [0, 0, 2, 0], "score": [10, 10, 80, 10.0]})
    labels = np.array(["X", "X", "Y", "Y"], dtype=object)
    out = lead_time_by_segment(frame, labels, 365)
    assert out["X"]["median_days"] == 90.0  # red since 1 January, churned 1 April
    assert out["Y"]["median_days"] == 31.0  # red since 1 March
    assert lead_time_by_segment(frame, None, 365) == {}


# --------------------------------------------------------------------------- lists
def test_account_list_sorted_by_arr():
    out = explain.account_list(np.array(["b", "a", "c"], dtype=object),
                               np.array([10.0, NAN, 20.0]), np.array([50.0, 80.0, NAN]),
                               np.array([1, 2, -1]), names=np.array(["B", None, "C"], object))
    assert out["Account"].tolist() == ["c", "b", "a"]
    assert out["Band"].tolist() == ["unscored", "yellow", "green"]
    assert out["Name"].tolist() == ["C", "B", ""]
    assert list(out.columns) == ["Account", "Name", "ARR", "Score", "Band"]


def test_account_order_is_the_whole_lists_order():
    """The first n positions of account_order give account_list's first n rows: ARR ties,
    unknown ARR, repeated ids and ids that sort differently as text than as numbers."""
    rng = np.random.default_rng(7)
    n = 400
    ids = rng.choice(np.array([5, 10, 9, "a", "B", "b", 100, "9"], dtype=object), n)
    arr = rng.choice(np.array([NAN, 0.0, 5.0, 120.0, 1e6, -3.0]), n)
    score, band = rng.uniform(0, 100, n), rng.integers(-1, 3, n)
    names = rng.choice(np.array(["x", "y", None], dtype=object), n)
    # by hand: ARR descending, unknown last, then the id as text, then the original order
    expected = sorted(range(n), key=lambda i: (np.isnan(arr[i]), -np.nan_to_num(arr[i]),
                                               str(ids[i]), i))
    order = explain.account_order(ids, arr)
    assert order.tolist() == expected
    whole = explain.account_list(ids, arr, score, band, names=names)
    for top in (1, 37, n):
        head = order[:top]
        pd.testing.assert_frame_equal(
            explain.account_list(ids[head], arr[head], score[head], band[head],
                                 names=names[head]),
            whole.head(top))


def test_explained_rows_prefers_judged_then_latest():
    ids = np.array(["a", "a", "a", "b", "b"], dtype=object)
    dates = pd.to_datetime(["2025-03-01", "2025-01-01", "2025-02-01", "2025-01-01",
                            "2025-01-01"]).to_numpy()
    assert explain.explained_rows(ids, dates, np.array([], dtype=int)) == {"a": 0, "b": 4}
    assert explain.explained_rows(ids, dates, np.array([2])) == {"a": 2, "b": 4}



def test_factor_in_a_weightless_group_adds_zero_not_nan():
    raw = make_config().model_dump()
    raw["groups"] = [{"name": "Main", "weight": 100}, {"name": "Spare", "weight": 0}]
    raw["factors"][0]["group"] = "Main"
    raw["factors"][1].update(group="Spare", weight=0)
    config = Config.model_validate(raw)
    scored = score_frame(explained_frame(), config, explain=True)
    out = explain.account_explanation(config, scored.matrix, scored.result, 0)
    assert [f["contribution"] for f in out["factors"]] == [50.0, 0.0]
    assert [f["weight"] for f in out["factors"]] == [1.0, 0.0]
    assert out["total"] == out["score"] == 50.0


def test_format_value():
    assert [explain.format_value(v) for v in (None, NAN, True, np.bool_(False), np.int64(3),
                                              2.0, 33.3333, 1234.56, "green")] == [
        "missing", "missing", "yes", "no", "3", "2", "33.3", "1,234.6", "green"]
