"""Leak and fairness alarms: init never picks an outcome-encoding or protected-looking column,
validate and suggest warn when a config uses one."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from calibration.alarms import protected_attribute
from calibration.cli import main
from tests import layouts


@pytest.fixture(scope="module")
def leaky_file(tmp_path_factory):
    frame, _ = layouts.history(seed=5, n_accounts=120)
    data = layouts.layout_repeated(frame)
    rng = np.random.default_rng(0)
    # recorded because of the decision: high on every row of a cycle that ended in churn
    data["health_flag"] = (data["status"] == "churned").astype(int) * 7 + rng.integers(
        0, 2, len(data))
    # only written after the renewal decision
    data["exit_reason"] = np.where(data["as_of"] > data["renews_on"], "price", "")
    data["gender"] = rng.choice(["f", "m"], len(data))
    path = tmp_path_factory.mktemp("leak") / "accounts.csv"
    data.to_csv(path, index=False)
    return path


def test_protected_attribute_names():
    assert protected_attribute("customer_age") == "age"
    assert protected_attribute("Gender") == "gender"
    assert protected_attribute("MaritalStatus") == "marital status"
    assert protected_attribute("SeniorCitizen") == "age"
    assert protected_attribute("usage") is None and protected_attribute("page_views") is None


def test_init_skips_leaks_and_protected_columns_and_validate_suggest_warn(leaky_file, tmp_path,
                                                                         capsys):
    out = tmp_path / "starter.json"
    assert main(["init", "--data", str(leaky_file), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    config = json.loads(out.read_text())
    picked = {f["column"] for f in config["factors"]}
    assert "usage" in picked
    assert not picked & {"health_flag", "exit_reason", "gender"}
    for column in ("health_flag", "gender"):
        assert f"not picked: column {column!r}" in err
    # a config that uses them anyway is flagged by validate and suggest
    config["factors"] += [
        {"name": "Flag", "column": "health_flag", "weight": 10,
         "rule": {"kind": "linear", "lo": 0, "hi": 8}},
        {"name": "Gender", "column": "gender", "weight": 10,
         "rule": {"kind": "mapping", "points": {"f": 50, "m": 50}}},
    ]
    out.write_text(json.dumps(config))
    assert main(["validate", "--data", str(leaky_file), "--config", str(out), "--bootstrap",
                 "0"]) == 0
    text = capsys.readouterr().out
    assert "WARNING: column 'health_flag' looks like it encodes the outcome" in text
    assert "WARNING: column 'gender' looks like a protected attribute" in text
    assert main(["suggest", "--data", str(leaky_file), "--config", str(out), "--folds", "3",
                 "--method", "logit", "--out", str(tmp_path / "s.json")]) == 0
    text = capsys.readouterr().out
    assert "WARNING: column 'health_flag' looks like it encodes the outcome" in text
    assert "WARNING: column 'gender' looks like a protected attribute" in text


def test_a_column_filled_only_after_the_decision_is_flagged(leaky_file):
    from calibration.accounts import load_accounts
    from calibration.alarms import leak_alarms
    from calibration.config import Config
    from calibration.validation import judged_rows

    config = Config.model_validate(layouts.config_dict())
    table = load_accounts(leaky_file, config)
    judged = judged_rows(table, 90)
    flagged = leak_alarms(table.frame, judged.rows, judged.churned,
                          ["usage", "exit_reason", "health_flag"])
    by_column = {a["column"]: a["message"] for a in flagged}
    assert set(by_column) == {"exit_reason", "health_flag"}
    assert "only written after the renewal decision" in by_column["exit_reason"]
    assert "almost perfectly" in by_column["health_flag"]


def test_horizon_out_of_range_is_a_clear_error(leaky_file, capsys):
    for bad in ("-5", "100000", "ninety"):
        with pytest.raises(SystemExit) as stop:
            main(["validate", "--data", str(leaky_file), "--config", "x.json",
                  "--horizon-days", bad])
        assert stop.value.code == 1
        err = capsys.readouterr().err
        assert "--horizon-days" in err and "Traceback" not in err
    assert pd.Timestamp  # keep pandas import used


def test_double_counting_uses_the_configured_directions():
    from calibration import evidence_words, metrics

    rng = np.random.default_rng(1)
    base = rng.uniform(0, 100, 400)
    churned = rng.random(400) < 0.3
    together = np.column_stack([base, np.clip(base + rng.normal(0, 3, 400), 0, 100)])
    opposed = np.column_stack([base, np.clip(100 - base + rng.normal(0, 3, 400), 0, 100)])
    same = metrics.factor_signal(together, ["a", "b"], churned)["double_counting"]
    against = metrics.factor_signal(opposed, ["a", "b"], churned)["double_counting"]
    assert [p["effect"] for p in same] == ["count_twice"]
    assert [p["effect"] for p in against] == ["cancel_out"]
    assert "cancel each other out" in evidence_words.double_counting_sentences(
        {"double_counting": against})[0]
    assert "twice" in evidence_words.double_counting_sentences({"double_counting": same})[0]
