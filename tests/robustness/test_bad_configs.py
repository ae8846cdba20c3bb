"""Bad config files: every problem listed at once, through the loader and the CLI."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest

from calibration.config import ConfigError, config_from_dict, load_config
from calibration.scoring import score_frame
from tests.robustness.support import GOOD_ROWS, HEADER, config, run_cli


def good() -> dict:
    return json.loads(config().to_json())


def edited(**changes) -> dict:
    raw = good()
    for path, value in changes.items():
        node = raw
        *parents, leaf = path.split("__")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is ...:
            del node[leaf]
        else:
            node[int(leaf) if leaf.isdigit() else leaf] = value
    return raw


def guardrails_on_missing_columns() -> dict:
    raw = good()
    raw["guardrails"] = [
        {"name": "No sponsor", "column": "exec_sponsor", "operator": "==", "value": False},
        {"name": "Escalated", "column": "escalations", "operator": ">", "value": 2},
    ]
    return raw


# (name, file text or bytes, fragments every one of which the error must contain)
BAD_CONFIGS = [
    ("unknown top-level field", json.dumps({**good(), "weights": {"usage": 1}}),
     ["weights: unknown field"]),
    ("unknown factor field", json.dumps(edited(factors__0__wieght=5)),
     ["factors['usage'].wieght: unknown field"]),
    ("wrong type: weight text", json.dumps(edited(factors__0__weight="heavy")),
     ["factors['usage'].weight"]),
    ("wrong type: factors not a list", json.dumps(edited(factors={"usage": 1})),
     ["factors"]),
    ("wrong type: lo text", json.dumps(edited(factors__0__rule={"kind": "linear", "lo": "zero",
                                                                "hi": 1})),
     ["factors['usage'].rule.lo"]),
    ("negative weight", json.dumps(edited(factors__1__weight=-5)),
     ["factors['tickets'].weight: Input should be greater than or equal to 0"]),
    ("inverted bands", json.dumps(edited(bands={"red_max": 80, "yellow_max": 20})),
     ["bands overlap or are inverted: red_max (80) must be below yellow_max (20)"]),
    ("band out of range", json.dumps(edited(bands={"red_max": -1, "yellow_max": 200})),
     ["bands.red_max", "bands.yellow_max"]),
    ("inverted linear rule", json.dumps(edited(factors__0__rule={"kind": "linear", "lo": 9,
                                                                 "hi": 1})),
     ["linear rule needs lo < hi"]),
    ("unknown rule kind", json.dumps(edited(factors__0__rule={"kind": "sigmoid"})),
     ["unknown rule kind 'sigmoid'"]),
    ("all weights zero", json.dumps(edited(factors__0__weight=0, factors__1__weight=0)),
     ["all factor weights are zero"]),
    ("several problems at once", json.dumps(edited(factors__0__weight=-1, factors__1__bogus=1,
                                                   bands={"red_max": 90, "yellow_max": 10})),
     ["3 problem(s)", "weight", "bogus: unknown field", "bands"]),
    ("missing schema_version", json.dumps(edited(schema_version=...)),
     ["schema_version is missing"]),
    ("future schema_version", json.dumps(edited(schema_version=99)), ["newer than this app"]),
    ("top-level list", "[1, 2, 3]", ["expected a JSON object at the top level, got list"]),
    ("invalid JSON", '{"schema_version": 1, "factors": [', ["not valid JSON (line 1"]),
    ("trailing comma JSON", '{"schema_version": 1,}', ["not valid JSON"]),
    ("empty file", "", ["not valid JSON"]),
    ("binary garbage", random.Random(3).randbytes(2048), ["not valid JSON"]),
    ("UTF-16 garbage", "\ufeff{{{".encode("utf-16"), ["not valid JSON"]),
]


@pytest.mark.parametrize(("raw", "fragments"), [c[1:] for c in BAD_CONFIGS],
                         ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_lists_every_problem(raw, fragments, tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(raw if isinstance(raw, bytes) else raw.encode())
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message
    data = tmp_path / "d.csv"
    data.write_text(HEADER + GOOD_ROWS)
    for command in (["score", "--out", str(tmp_path / "o.csv")], ["validate"]):
        code, _, err = run_cli(command[0], "--data", str(data), "--config", str(path),
                               *command[1:])
        assert code == 1 and "Traceback" not in err
        assert str(path) in err and all(fragment in err for fragment in fragments)
    assert not (tmp_path / "o.csv").exists()


def test_invalid_yaml_and_a_directory_are_clean_errors(tmp_path):
    yaml_path = tmp_path / "c.yaml"
    yaml_path.write_text("factors: [unclosed\n  - : :")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(yaml_path)
    folder = tmp_path / "c.json"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot read file: Is a directory"):
        load_config(folder)
    code, _, err = run_cli("validate", "--data", str(folder), "--config", str(folder))
    assert code == 1 and "Is a directory" in err and "Traceback" not in err


def test_guardrails_on_missing_columns_are_all_listed(tmp_path):
    cfg = config_from_dict(guardrails_on_missing_columns())
    frame = pd.DataFrame({"id": ["a"], "usage": [1], "tickets": [1], "outcome": ["renewed"],
                          "arr": [1]})
    with pytest.raises(ConfigError) as caught:
        score_frame(frame, cfg)
    assert caught.value.problems == [
        "guardrails[No sponsor]: column 'exec_sponsor' is not in the data",
        "guardrails[Escalated]: column 'escalations' is not in the data",
    ]
    path = tmp_path / "c.json"
    path.write_text(cfg.to_json())
    data = tmp_path / "d.csv"
    data.write_text(HEADER + GOOD_ROWS)
    code, _, err = run_cli("score", "--data", str(data), "--config", str(path), "--out",
                           str(tmp_path / "o.csv"))
    assert code == 1 and "'exec_sponsor'" in err and "'escalations'" in err
