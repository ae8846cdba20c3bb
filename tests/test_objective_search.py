"""The fast objective search judges every candidate exactly like the former config-building
path (``objectives._evaluate``) and finds exactly the former weights."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration import fitting, objective_search
from calibration import objectives as obj
from calibration.config import Config
from calibration.scoring import FactorMatrix, GuardrailHits, score_frame
from calibration.weights import apply_flat_weights, flat_weights


def _config() -> Config:
    """Four factors in two groups, missing points, a red and a yellow
    guardrail, one segment with its own weights, group weights and bands, one without."""
    return Config.model_validate({
        "schema_version": 1,
        "columns": {"account_id": "id", "snapshot_date": None, "segment": "tier",
                    "arr": "arr", "outcome": "outcome", "renewal_date": None,
                    "reference_label": None},
        "groups": [{"name": "Adoption", "weight": 70}, {"name": "Support", "weight": 30}],
        "factors": [
            {"name": "usage", "column": "usage", "group": "Adoption", "weight": 60,
             "rule": {"kind": "linear", "lo": 0, "hi": 100}},
            {"name": "seats", "column": "seats", "group": "Adoption", "weight": 40,
             "rule": {"kind": "linear", "lo": 0, "hi": 50}},
            {"name": "tickets", "column": "tickets", "group": "Support", "weight": 50,
             "direction": "lower_is_better", "rule": {"kind": "linear", "lo": 0, "hi": 10}},
            {"name": "nps", "column": "nps", "group": "Support", "weight": 50,
             "rule": {"kind": "linear", "lo": -100, "hi": 100}},
        ],
        "guardrails": [
            {"name": "fraud", "column": "flag", "operator": "==", "value": True, "cap": "red"},
            {"name": "young", "column": "age", "operator": "<", "value": 2, "cap": "yellow"}],
        "segments": [
            {"name": "Ent", "match": {"column": "tier", "values": ["ent"]},
             "weights": {"usage": 10}, "group_weights": {"Support": 80},
             "bands": {"red_max": 40, "yellow_max": 60}},
            {"name": "Mid", "match": {"column": "tier", "values": ["mid"]},
             "weights": {"tickets": 90}}],
    })


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    usage = rng.uniform(0, 100, n)
    frame = pd.DataFrame({
        "id": [f"a{i}" for i in range(n)], "usage": usage,
        "seats": rng.integers(0, 60, n).astype(float),
        "tickets": rng.poisson(3, n).astype(float),
        "nps": rng.choice([-50.0, 0.0, 30.0, 70.0], n),  # ties: scores repeat
        "flag": rng.random(n) < 0.05, "age": rng.integers(0, 12, n),
        "tier": rng.choice(["ent", "smb", "mid"], n), "arr": rng.lognormal(9, 1, n)})
    frame.loc[rng.random(n) < 0.15, "usage"] = np.nan
    frame.loc[rng.random(n) < 0.3, "nps"] = np.nan
    frame.loc[rng.random(n) < 0.05, "arr"] = np.nan
    churn_p = 1 / (1 + np.exp(-(-1.2 - 0.03 * (np.nan_to_num(usage, nan=50) - 50))))
    frame["outcome"] = np.where(rng.random(n) < churn_p, "churned", "renewed")
    return frame


def _decisions(n: int = 400, seed: int = 0, arr: bool = True) -> obj.DecisionScores:
    config, frame = _config(), _frame(n, seed)
    scored = score_frame(frame, config, explain=False)
    return obj.DecisionScores(
        FactorMatrix(scored.matrix.points, scored.matrix.names), scored.segments,
        GuardrailHits(scored.hits.cap, scored.hits.rule, scored.hits.names),
        (frame["outcome"] == "churned").to_numpy(),
        frame["arr"].to_numpy() if arr else None)


DECISIONS = _decisions()
OBJECTIVE = obj.Objective("catch_churn", red_max_share=0.3, green_min_share=0.3,
                          min_band_share=0.08)
weights = st.lists(st.floats(0, 100, allow_nan=False) | st.just(0.0), min_size=4,
                   max_size=4).filter(lambda w: sum(w) > 1e-3)


# --------------------------------------------------------------------------- the old path
def _old_coordinate_search(config, weights_, names, decisions, objective, key):
    """The search as it was: every candidate through ``objectives._evaluate``."""
    w = np.asarray(weights_, dtype=float)
    w = w / w.sum() * 100.0
    for step in objective_search.STEPS:
        for _ in range(objective_search.MAX_ROUNDS):
            improved = False
            for j in range(len(names)):
                for sign in (1.0, -1.0):
                    target = float(np.clip(w[j] + sign * step, 0.0, 100.0))
                    new = fitting.stability._nudged(w, j, target)
                    if new is None:
                        continue
                    got = obj._evaluate(config, new, names, decisions, objective)
                    if got[0] > key:
                        w, key = new, got[0]
                        improved = True
            if not improved:
                break
    return w


def _old_bagged_search(config, start, names, decisions, objective, seed):
    draws = fitting.stratified_draws(decisions.churned, obj.BAGS, seed)
    found = []
    for draw in draws:
        sample = decisions.subset(np.repeat(np.arange(decisions.n), draw.astype(int)))
        key = obj._evaluate(config, start, names, sample, objective)[0]
        w = _old_coordinate_search(config, start, names, sample, objective, key)
        found.append(np.asarray(w) / np.sum(w) * 100.0)
    return np.mean(found, axis=0)


# --------------------------------------------------------------------------- candidates
@settings(max_examples=60, deadline=None)
@given(w=weights)
def test_scores_equal_the_scorer_on_the_written_config_bit_for_bit(w):
    config = _config()
    judge = objective_search.CandidateJudge(config, config.factor_names, DECISIONS, OBJECTIVE)
    flat = dict(zip(config.factor_names, w, strict=True))
    expected = DECISIONS.score(apply_flat_weights(config, flat))
    got = judge.score(np.array(w))
    np.testing.assert_array_equal(got.raw_score, expected.raw_score)
    np.testing.assert_array_equal(got.score, expected.score)
    np.testing.assert_array_equal(got.band, expected.band)


@settings(max_examples=60, deadline=None)
@given(w=weights, kind=st.sampled_from(["catch_churn", "no_surprises"]),
       by_arr=st.booleans(), red=st.sampled_from([0.1, 0.3]))
def test_key_and_bands_equal_the_former_evaluation(w, kind, by_arr, red):
    config = _config()
    objective = obj.Objective(kind, red_max_share=red, green_min_share=0.3,
                              min_band_share=0.08, by_arr=by_arr)
    judge = objective_search.CandidateJudge(config, config.factor_names, DECISIONS, objective)
    key, bands = judge.judge(np.array(w))
    old_key, _, old_bands = obj._evaluate(config, np.array(w), config.factor_names,
                                          DECISIONS, objective)
    assert key.as_tuple() == old_key
    assert (bands.red_max, bands.yellow_max) == (old_bands.red_max, old_bands.yellow_max)
    assert judge.start_key(np.array(w)) == old_key


@settings(max_examples=40, deadline=None)
@given(w=weights, red=st.sampled_from([0.1, 0.3]), green=st.sampled_from([0.3, 0.8]))
def test_ranking_start_key_equals_the_former_evaluation(w, red, green):
    config = _config()
    objective = obj.Objective("ranking", red_max_share=red, green_min_share=green,
                              min_band_share=0.08)
    judge = objective_search.CandidateJudge(config, config.factor_names, DECISIONS, objective)
    old_key = obj._evaluate(config, np.array(w), config.factor_names, DECISIONS, objective)[0]
    assert judge.start_key(np.array(w)) == old_key


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["catch_churn", "no_surprises"]),
       by_arr=st.booleans(), unknown=st.sampled_from([0.0, 0.3, 1.0]))
def test_value_of_a_banding_equals_objective_value(seed, kind, by_arr, unknown):
    """Any banding (unscored rows, empty bands, unknown or no ARR)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    band = rng.integers(-1, 3, n).astype(np.int8)
    band[rng.random(n) < rng.random()] = rng.integers(-1, 3)  # often a band left empty
    arr = rng.lognormal(5, 2, n)
    arr[rng.random(n) < unknown] = np.nan
    churned = rng.random(n) < rng.random()
    decisions = obj.DecisionScores(FactorMatrix(np.zeros((n, 1)), ["f"]), np.full(n, -1),
                                   GuardrailHits(np.full(n, 2), np.full(n, -1), []), churned,
                                   arr if by_arr or seed % 2 else None)
    objective = obj.Objective(kind, by_arr=by_arr)
    value = objective_search.ObjectiveValue(churned, decisions.arr, kind,
                                            objective.by_arr and decisions.has_arr)
    result = type("R", (), {"band": band})()
    expected = obj.objective_value(result, decisions, objective) or 0.0
    got = value.of_band(band)
    assert got == expected and type(got) is float


finite_or_inf = st.floats(allow_nan=False) | st.just(-math.inf)


@settings(deadline=None)
@given(a=st.tuples(finite_or_inf, st.floats(0, 1)), b=st.tuples(finite_or_inf, st.floats(0, 1)))
def test_search_key_orders_like_the_tuple(a, b):
    ka = objective_search.SearchKey(a[0], lambda: a[1])
    kb = objective_search.SearchKey(b[0], lambda: b[1])
    assert (ka > kb) == (a > b)


def test_the_auc_is_computed_only_to_break_a_tie():
    calls = []
    left = objective_search.SearchKey(1.0, lambda: calls.append("left") or 0.5)
    right = objective_search.SearchKey(2.0, lambda: calls.append("right") or 0.6)
    assert right > left and not left > right
    assert calls == []
    assert objective_search.SearchKey(2.0, lambda: 0.7) > right
    assert calls == ["right"]


def test_a_segment_left_without_weight_is_refused_like_the_config():
    config = _config()
    raw = config.model_dump()
    raw["segments"][1]["weights"] = {"usage": 0, "seats": 0, "nps": 0}  # Mid: tickets only
    config = Config.model_validate(raw)
    judge = objective_search.CandidateJudge(config, config.factor_names, DECISIONS, OBJECTIVE)
    w = np.array([50.0, 50.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="Mid"):
        apply_flat_weights(config, dict(zip(config.factor_names, w, strict=True)))
    with pytest.raises(ValueError, match="Mid"):
        judge.judge(w)


# --------------------------------------------------------------------------- whole search
@pytest.mark.parametrize(("kind", "by_arr", "seed"), [("catch_churn", True, 0),
                                                      ("no_surprises", True, 1),
                                                      ("catch_churn", False, 2)])
def test_bagged_search_finds_exactly_the_former_weights(kind, by_arr, seed):
    config = _config()
    decisions = _decisions(300, seed)
    objective = obj.Objective(kind, red_max_share=0.3, green_min_share=0.3,
                              min_band_share=0.08, by_arr=by_arr)
    names = config.factor_names
    current = flat_weights(config)
    start = np.array([current[n] for n in names]) * 0.7  # not normalised, like a start
    new = obj._bagged_search(config, start, names, decisions, objective, seed)
    old = _old_bagged_search(config, start, names, decisions, objective, seed)
    np.testing.assert_array_equal(new, old)
    assert not np.allclose(new, start / start.sum() * 100)  # the search did move


def test_progress_rises_and_can_stop_the_search():
    config = _config()
    names = config.factor_names
    seen = []

    class Stop(Exception):
        pass

    def progress(share):
        seen.append(share)
        if len(seen) > 30:
            raise Stop

    with pytest.raises(Stop):
        obj.suggest_for(config, DECISIONS, OBJECTIVE, progress=progress)
    assert seen == sorted(seen) and 0 < seen[-1] < 1
    full = []
    obj.suggest_for(config, DECISIONS, OBJECTIVE, progress=full.append)
    assert full == sorted(full) and full[-1] == 1.0
    assert names == config.factor_names
