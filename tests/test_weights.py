"""Flat weights <-> config hierarchy, and slider rebalancing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.scoring import score_frame
from calibration.weights import (
    apply_flat_weights,
    apply_segment_flat_weights,
    flat_weights,
    rebalance,
    round_to_total,
)


def test_demo_flat_weights_are_the_gut_feel_split(demo_config):
    flat = flat_weights(demo_config)
    assert round_to_total(flat) == {**dict.fromkeys(flat, 0.0), "Active users": 40.0,
                                    "Open tickets": 30.0, "CSM assessment": 30.0}


def test_apply_flat_weights_scores_like_the_flat_shares(demo_config):
    wanted = dict.fromkeys(demo_config.factor_names, 0.0) | {
        "Active users": 10, "Executive sponsor": 25, "User breadth": 15, "NPS": 20,
        "Open tickets": 30}
    config = apply_flat_weights(demo_config, wanted)
    assert round_to_total(flat_weights(config)) == round_to_total(
        {k: float(v) for k, v in wanted.items()})
    frame = pd.DataFrame({
        "account_id": ["a"], "active_user_pct": [50.0], "exec_sponsor": [True],
        "top_user_share_pct": [50.0], "nps": [8.0], "open_tickets": [4.0],
        **{c: [0] for c in ("feature_adoption_pct", "logins_30d", "unresolved_tickets_30d",
                            "escalations_90d", "late_invoices_90d", "csat")},
        "csm_assessment": ["green"], "champion_change_90d": [False],
    })
    score = score_frame(frame, config).result.score[0]
    # 10% x 50 + 25% x 100 + 15% x 50 + 20% x 80 + 30% x 50 = 68.5
    assert score == np.float64(68.5) or abs(score - 68.5) < 1e-9


def test_rebalance_respects_locks():
    weights = {"a": 40.0, "b": 30.0, "c": 30.0}
    assert rebalance(weights, "a", 60, locked={"c"}) == {"a": 60.0, "b": 10.0, "c": 30.0}
    # a cannot exceed what the locked factor leaves
    assert rebalance(weights, "a", 90, locked={"c"}) == {"a": 70.0, "b": 0.0, "c": 30.0}
    # free factors at zero share the rest equally
    assert rebalance({"a": 100.0, "b": 0.0, "c": 0.0}, "a", 50) == {"a": 50.0, "b": 25.0,
                                                                     "c": 25.0}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=2, max_size=8), st.floats(0, 100),
       st.data())
def test_rebalance_always_sums_to_100(raw, value, data):
    names = [f"f{i}" for i in range(len(raw))]
    total = sum(raw) or 1.0
    weights = round_to_total({n: 100 * w / total for n, w in zip(names, raw, strict=True)})
    locked = set(data.draw(st.lists(st.sampled_from(names[1:]), max_size=len(names) - 2)))
    out = rebalance(weights, names[0], value, locked)
    assert abs(sum(out.values()) - 100) < 1e-6
    assert all(v >= -1e-9 for v in out.values())
    for name in locked:
        assert out[name] == weights[name]


def test_segment_flat_weights_only_change_that_segment(demo_config):
    raw = demo_config.model_dump()
    raw["segments"] = [{"name": "Onboarding", "match": {"column": "lifecycle_stage",
                                                         "values": ["Onboarding"]}}]
    config = type(demo_config).model_validate(raw)
    wanted = dict.fromkeys(config.factor_names, 0.0) | {"Feature adoption": 60.0,
                                                        "CSM assessment": 40.0}
    updated = apply_segment_flat_weights(config, 0, wanted)
    assert round_to_total(flat_weights(updated, segment=0)) == round_to_total(wanted)
    assert flat_weights(updated) == flat_weights(config)  # default untouched


def test_move_to_group_keeps_every_share(demo_config):
    from calibration.weights import move_to_group

    before = flat_weights(demo_config)
    moved = move_to_group(demo_config, "Active users", "Usage")
    assert [f.group for f in moved.factors if f.name == "Active users"] == ["Usage"]
    assert "Usage" in moved.group_names()
    assert round_to_total(flat_weights(moved)) == round_to_total(before)
    # Commercial's only factor moves away: the empty sub-score disappears
    moved = move_to_group(moved, "Late invoices", "Support")
    assert "Commercial" not in moved.group_names()
    assert round_to_total(flat_weights(moved)) == round_to_total(before)


@st.composite
def slider_sessions(draw):
    """Random starting weights and a sequence of slider moves with random locks."""
    n = draw(st.integers(2, 12))
    names = [f"f{i}" for i in range(n)]
    raw = draw(st.lists(st.floats(0, 100), min_size=n, max_size=n))
    total = sum(raw)
    weights = ({k: 100 * w / total for k, w in zip(names, raw, strict=True)} if total > 0
               else dict.fromkeys(names, 100 / n))
    steps = draw(st.lists(st.tuples(st.sampled_from(names),
                                    st.floats(0, 100).map(lambda v: round(v, 1)),
                                    st.sets(st.sampled_from(names))), min_size=1, max_size=12))
    return weights, steps


@settings(max_examples=150, deadline=None)
@given(slider_sessions())
def test_rebalance_steps_stick_and_rescale_the_unlocked_others_in_proportion(session):
    weights, steps = session
    for changed, value, locks in steps:
        locked = locks - {changed}
        new = rebalance(weights, changed, value, locked)
        free = [k for k in weights if k not in locked and k != changed]
        room = 100 - sum(weights[k] for k in locked)
        assert sum(new.values()) == pytest.approx(100, abs=1e-9)
        assert all(v >= 0 for v in new.values())
        for k in locked:  # locked weights never move, not even by rounding
            assert new[k] == weights[k]
        if free:  # the step sticks: exactly the chosen value, within what locks leave
            assert new[changed] == pytest.approx(min(max(value, 0), room), abs=1e-9)
            before = sum(weights[k] for k in free)
            after = sum(new[k] for k in free)
            if before > 1e-9 and after > 1e-9:  # ratios among the free factors are kept
                for k in free:
                    assert new[k] / after == pytest.approx(weights[k] / before, abs=1e-9)
        weights = new


def test_round_to_total_spreads_the_rounding_instead_of_dumping_it_on_one_factor():
    equal = {f"f{i}": 100 / 12 for i in range(12)}
    shown = round_to_total(equal, digits=1)
    assert sum(shown.values()) == pytest.approx(100)
    assert sorted(set(shown.values())) == [8.3, 8.4]
    assert all(abs(shown[k] - equal[k]) <= 0.1 for k in equal)
    assert round_to_total(equal, digits=0) == {**dict.fromkeys(list(equal)[:4], 9.0),
                                               **dict.fromkeys(list(equal)[4:], 8.0)}


def test_slider_steps_survive_the_config_round_trip(demo_config):
    """A 0.1-point step written into the config reads back as that step (nothing rounds it
    away), and the others keep their proportions."""
    before = flat_weights(demo_config)
    moved = rebalance(before, "Active users", round(before["Active users"] + 0.1, 1))
    config = apply_flat_weights(demo_config, moved)
    after = flat_weights(config)
    assert after["Active users"] == pytest.approx(before["Active users"] + 0.1, abs=1e-6)
    for name in before:
        assert after[name] == pytest.approx(moved[name], abs=1e-6)
