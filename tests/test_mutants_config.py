"""Config boundaries that a one-character slip would open (mutation-testing kills).

Each test states a rule of the documented config contract on a hand-made edge case: equal
band cut-offs, equal step cut-offs, an invalid segment band override, mapping keys that differ
only in case or spaces, ``schema_version: 0`` and an outcome value listed twice.
"""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from calibration.config import ConfigError, config_from_dict
from tests.conftest import make_config


def _raw(**overrides) -> dict:
    raw = make_config().model_dump(mode="json")
    raw.update(overrides)
    return copy.deepcopy(raw)


def _problems(raw: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        config_from_dict(raw)
    return "\n".join(caught.value.problems)


def test_equal_band_cutoffs_are_refused_and_adjacent_ones_accepted():
    # red_max == yellow_max would leave the yellow band empty: refused
    assert "bands" in _problems(_raw(bands={"red_max": 50, "yellow_max": 50}))
    ok = config_from_dict(_raw(bands={"red_max": 49.5, "yellow_max": 50}))
    assert (ok.bands.red_max, ok.bands.yellow_max) == (49.5, 50)


def test_segment_band_override_is_validated_like_the_default_bands():
    segment = {"name": "Enterprise", "match": {"column": "tier", "values": ["ent"]},
               "bands": {"red_max": 60, "yellow_max": 60}}
    problems = _problems(_raw(segments=[segment]))
    assert "segments" in problems and "bands" in problems
    segment["bands"] = {"red_max": 40, "yellow_max": 60}
    ok = config_from_dict(_raw(segments=[segment]))
    assert ok.segments[0].bands.red_max == 40


@pytest.mark.parametrize("cutoffs", [[10, 10, 20], [10, 20, 20], [30, 20, 40]])
def test_step_cutoffs_must_strictly_increase(cutoffs):
    raw = _raw()
    raw["factors"][0]["rule"] = {"kind": "steps", "cutoffs": cutoffs, "points": [0, 25, 50, 100]}
    problems = _problems(raw)
    assert "factors['usage']" in problems and "increasing" in problems
    raw["factors"][0]["rule"]["cutoffs"] = [10, 20, 30]
    assert config_from_dict(raw).factors[0].rule.cutoffs == [10, 20, 30]


@pytest.mark.parametrize("second", ["Red", " red ", "RED"])
def test_mapping_categories_equal_after_case_and_space_folding_are_refused(second):
    raw = _raw()
    raw["factors"][0]["rule"] = {"kind": "mapping", "points": {"red": 0, second: 100}}
    problems = _problems(raw)
    assert "factors['usage']" in problems and "same" in problems
    raw["factors"][0]["rule"]["points"] = {"red": 0, "green": 100}
    assert config_from_dict(raw).factors[0].rule.points == {"red": 0, "green": 100}


@pytest.mark.parametrize("version", [0, -1])
def test_schema_version_below_one_is_refused(version):
    assert f"schema_version {version}" in _problems(_raw(schema_version=version))


def test_schema_version_one_is_accepted():
    assert config_from_dict(_raw(schema_version=1)).schema_version == 1


@pytest.mark.parametrize(("churned", "renewed", "open_"), [
    (["churned", "lost"], ["renewed", "Lost"], ["open"]),
    (["churned"], ["renewed"], ["open", " churned"]),
])
def test_an_outcome_value_cannot_mean_two_things(churned, renewed, open_):
    raw = _raw()
    raw["columns"].update(churned_values=churned, renewed_values=renewed, open_values=open_)
    problems = _problems(raw)
    assert "listed as both" in problems
    # the same value twice in one list is harmless (it means one thing)
    raw["columns"].update(churned_values=["churned", "churned"], renewed_values=["renewed"],
                          open_values=["open"])
    assert config_from_dict(raw).columns.churned_values == ["churned", "churned"]


@pytest.mark.parametrize(("values", "percentiles"), [
    ([1, 1, 3], [10, 50, 90]),     # a repeated value
    ([1, 2, 3], [10, 10, 90]),     # a repeated percentile
])
def test_percentile_rule_needs_strictly_increasing_values_and_percentiles(values, percentiles):
    raw = _raw()
    raw["factors"][0]["rule"] = {"kind": "percentile", "values": values,
                                 "percentiles": percentiles}
    assert "strictly increasing" in _problems(raw)
    raw["factors"][0]["rule"] = {"kind": "percentile", "values": [1, 2, 3],
                                 "percentiles": [10, 50, 90]}
    assert config_from_dict(raw).factors[0].rule.values == [1, 2, 3]


def test_a_config_cannot_be_changed_in_place():
    config = make_config()
    with pytest.raises(ValidationError):
        config.name = "edited behind the model's back"
    with pytest.raises(ValidationError):
        config.bands.red_max = 90
    assert config.with_weights({"usage": 10}).factors[0].weight == 10
    assert config.factors[0].weight == 60


def test_fingerprint_ignores_the_order_keys_were_written_in():
    def with_mapping(points: dict) -> dict:
        raw = _raw()
        raw["factors"][0]["rule"] = {"kind": "mapping", "points": points}
        return raw
    a = config_from_dict(with_mapping({"red": 0, "yellow": 50, "green": 100}))
    b = config_from_dict(with_mapping({"green": 100, "red": 0, "yellow": 50}))
    c = config_from_dict(with_mapping({"green": 100, "red": 0, "yellow": 40}))
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    assert a.rules_fingerprint() == b.rules_fingerprint() != c.rules_fingerprint()


@pytest.mark.parametrize("version", ["1", 1.0, True])
def test_schema_version_must_be_a_whole_number_not_text_float_or_bool(version):
    assert "schema_version must be a whole number" in _problems(_raw(schema_version=version))


def _grouped(adoption_weight: float, support_weight: float, usage: float, tickets: float):
    raw = _raw(groups=[{"name": "Adoption", "weight": adoption_weight},
                       {"name": "Support", "weight": support_weight}])
    raw["factors"][0].update(group="Adoption", weight=usage)
    raw["factors"][1].update(group="Support", weight=tickets)
    return raw


def test_a_small_group_weight_is_enough():
    # 0.5% on the only group with weighted factors is a valid (if odd) config
    config = config_from_dict(_grouped(0.5, 0, usage=60, tickets=40))
    assert [g.weight for g in config.groups] == [0.5, 0]


def test_weighted_groups_whose_factors_all_weigh_zero_are_refused():
    # Adoption has weight but no weighted factor; Support has weighted factors but no weight
    problems = _problems(_grouped(50, 0, usage=0, tickets=40))
    assert "all group weights are zero" in problems
    assert config_from_dict(_grouped(50, 10, usage=0, tickets=40)).groups[1].weight == 10


def test_with_rule_replaces_one_rule_and_refuses_unknown_factors():
    config = make_config()
    steps = {"kind": "steps", "cutoffs": [10, 50], "points": [0, 50, 100]}
    changed = config.with_rule("usage", steps, missing_points=20)
    assert changed.factors[0].rule.cutoffs == [10, 50]
    assert (changed.factors[0].missing, changed.factors[0].missing_points) == ("points", 20)
    assert changed.factors[1] == config.factors[1]
    with pytest.raises(ValueError, match="unknown factor: nope"):
        config.with_rule("nope", steps)


def test_missing_column_notes_name_a_segment_whose_match_column_is_missing():
    from calibration.config import missing_column_notes

    config = make_config(segments=[
        {"name": "Enterprise", "match": {"column": "tier", "values": ["ent"]}},
        {"name": "Onboarding", "match": {"column": "stage", "values": ["new"]}}])
    assert missing_column_notes(config, ["usage", "tickets", "tier"]) == [
        "Segment Onboarding: it picks accounts by column 'stage', which is not in the data"]
    assert missing_column_notes(config, ["usage", "tickets", "tier", "stage"]) == []


def test_fingerprint_is_the_documented_recipe():
    # docs/architecture.md: SHA-256 of the canonical scoring content as JSON with sorted keys
    # and no spaces, first 12 hex digits (stable across releases: exports keep it)
    import hashlib
    import json

    from calibration.canonical import canonical_scoring

    config = make_config(segments=[{"name": "S", "match": {"column": "tier", "values": ["a"]},
                                    "weights": {"usage": 10}}])
    text = json.dumps(canonical_scoring(config), sort_keys=True, separators=(",", ":"))
    assert config.fingerprint() == hashlib.sha256(text.encode()).hexdigest()[:12]


def test_percentiles_closer_than_1e9_are_refused():
    for percentiles in ([10.0, 10.0000000005], [99.9999999995, 100.0]):
        with pytest.raises(ConfigError, match="increase by at least"):
            config_from_dict({**make_config().model_dump(mode="json"), "factors": [
                {"name": "x", "column": "x", "weight": 1, "rule": {
                    "kind": "percentile", "values": [1.0, 2.0], "percentiles": percentiles}}]})
