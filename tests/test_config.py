"""Config model: validation messages, JSON round trip, schema file, versions."""

from __future__ import annotations

import json

import pytest

from calibration.config import (
    SCHEMA_PATH,
    ConfigError,
    check_columns,
    config_from_dict,
    config_from_json,
    json_schema,
    load_config,
    save_config,
)
from tests.conftest import DEMO_CONFIG, make_config


def test_demo_config_round_trips_exactly(demo_config):
    text = demo_config.to_json()
    again = config_from_json(text)
    assert again == demo_config
    assert again.to_json() == text
    assert json.loads(DEMO_CONFIG.read_text()) == json.loads(text)


def test_demo_config_is_the_gut_feel_split(demo_config):
    weights = {g.name: g.weight for g in demo_config.groups}
    assert weights == {"Adoption": 40, "Support": 30, "Relationship": 30, "Sentiment": 0,
                       "Commercial": 0}
    active = {f.name for f in demo_config.factors if f.weight > 0}
    assert active == {"Active users", "Open tickets", "CSM assessment"}
    assert (demo_config.bands.red_max, demo_config.bands.yellow_max) == (30, 70)


def test_committed_json_schema_is_current():
    committed = json.loads(SCHEMA_PATH.read_text())
    assert committed == json.loads(json.dumps(json_schema(), sort_keys=True)), (
        "calibration/config.schema.json is stale: run `python -m calibration schema`"
    )


def test_every_problem_is_listed_at_once(demo_config_dict):
    raw = demo_config_dict
    raw["factors"][0]["weight"] = -5
    raw["factors"][1]["rule"] = {"kind": "sigmoid"}
    raw["bands"] = {"red_max": 80, "yellow_max": 40}
    raw["factors"][2]["colour"] = "blue"
    with pytest.raises(ConfigError) as caught:
        config_from_dict(raw)
    problems = "\n".join(caught.value.problems)
    assert len(caught.value.problems) == 4
    assert "factors['Active users'].weight" in problems and "greater than or equal to 0" in problems
    assert "unknown rule kind 'sigmoid'" in problems
    assert "bands" in problems and "overlap or are inverted" in problems
    assert "factors['User breadth'].colour: unknown field" in problems


def test_all_zero_weights_rejected():
    with pytest.raises(ConfigError, match="all factor weights are zero"):
        config_from_dict(make_config().model_dump() | {
            "factors": [f | {"weight": 0} for f in make_config().model_dump()["factors"]]})


@pytest.mark.parametrize(("rule", "message"), [
    ({"kind": "linear", "lo": 5, "hi": 5}, "lo < hi"),
    ({"kind": "steps", "cutoffs": [1, 2], "points": [0, 100]}, "one more points entry"),
    ({"kind": "steps", "cutoffs": [2, 1], "points": [0, 50, 100]}, "strictly increasing"),
    ({"kind": "mapping", "points": {"Red": 0, " red": 10}}, "are the same"),
    ({"kind": "percentile", "values": [1, 2], "percentiles": [0, 50, 100]}, "as many"),
    ({"kind": "boolean", "true_points": 120}, "less than or equal to 100"),
])
def test_bad_rules_explained(rule, message):
    raw = make_config().model_dump()
    raw["factors"][0]["rule"] = rule
    with pytest.raises(ConfigError, match=message):
        config_from_dict(raw)


def test_schema_version_checks():
    raw = make_config().model_dump()
    with pytest.raises(ConfigError, match="newer than this app supports"):
        config_from_dict(raw | {"schema_version": 99})
    del raw["schema_version"]
    with pytest.raises(ConfigError, match="schema_version is missing"):
        config_from_dict(raw)


def test_invalid_json_names_line():
    with pytest.raises(ConfigError, match="line 1"):
        config_from_json("{nope")


def test_missing_columns_are_listed():
    config = make_config(guardrails=[{"name": "g", "column": "sponsor", "operator": "==",
                                      "value": False}])
    problems = check_columns(config, ["usage"])
    assert problems == [
        "factors[tickets]: column 'tickets' is not in the data",
        "guardrails[g]: column 'sponsor' is not in the data",
    ]
    from calibration.config import missing_column_notes

    assert missing_column_notes(config, ["usage"]) == [
        "tickets: column 'tickets' is not in the data",
        "Guardrail g: column 'sponsor' is not in the data",
    ]
    assert missing_column_notes(config, ["usage", "tickets", "sponsor"]) == []


def test_segment_override_of_unknown_factor_rejected():
    with pytest.raises(ConfigError, match="overrides unknown factor"):
        make_config_dict = make_config().model_dump()
        make_config_dict["segments"] = [{"name": "Onb", "match": {"column": "stage",
                                         "values": ["Onboarding"]}, "weights": {"nps": 10}}]
        config_from_dict(make_config_dict)


def test_fingerprint_ignores_metadata_but_not_weights():
    config = make_config()
    assert config.fingerprint() == config.model_copy(update={"notes": "x"}).fingerprint()
    assert config.fingerprint() != config.with_weights({"usage": 10}).fingerprint()


def test_save_refuses_overwrite(tmp_path):
    path = tmp_path / "c.json"
    save_config(make_config(), path)
    with pytest.raises(FileExistsError):
        save_config(make_config(), path)
    assert load_config(path) == make_config()


def test_yaml_loads(tmp_path):
    import yaml

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(make_config().model_dump(mode="json")))
    assert load_config(path) == make_config()


def test_rules_fingerprint_ignores_weights_and_bands_only():
    config = make_config()
    assert config.rules_fingerprint() == config.with_weights({"usage": 1}).rules_fingerprint()
    banded = config.model_copy(update={"bands": config.bands.model_copy(
        update={"red_max": 10})})
    assert banded.rules_fingerprint() == config.rules_fingerprint()
    raw = config.model_dump()
    raw["factors"][0]["rule"]["hi"] = 50
    assert type(config).model_validate(raw).rules_fingerprint() != config.rules_fingerprint()
