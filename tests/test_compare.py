"""Baseline vs draft: paired metrics, band migration, band movers, config diff, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from calibration import fitting
from calibration.accounts import prepare
from calibration.cli import main
from calibration.compare import (
    compare,
    compare_scored,
    config_diff,
    migration_matrix,
    take_rows,
    with_bootstrap,
)
from calibration.config import Config
from tests.conftest import make_config


def two_factor(usage: float, tickets: float, **kw) -> Config:
    config = make_config(**kw)
    return config.with_weights({"usage": usage, "tickets": tickets})


def small_table():
    """Five accounts; baseline = 60 usage / 40 tickets, draft = tickets only."""
    frame = pd.DataFrame({
        "id": ["a", "b", "c", "d", "e"],
        "usage": [90, 10, 50, 20, 80],
        "tickets": [10, 0, 5, 9, 1],
        "outcome": ["renewed", "churned", "renewed", "churned", "renewed"],
        "arr": [100, 200, 300, 400, 500],
    })
    return prepare(frame, make_config().columns, make_config())


def test_migration_matrix_and_band_movers_by_hand():
    table = small_table()
    # baseline scores: a 0.6*90+0.4*0=54 Y, b 6+40=46 Y, c 30+20=50 Y, d 12+4=16 R, e 48+36=84 G
    # draft (tickets only): a 0 R, b 100 G, c 50 Y, d 10 R, e 90 G
    result = compare(table, two_factor(60, 40), two_factor(0, 100), n_resamples=50)
    expected = pd.DataFrame([[1, 0, 0], [1, 1, 1], [0, 0, 1]],
                            index=["red", "yellow", "green"], columns=["red", "yellow", "green"])
    np.testing.assert_array_equal(result.migration_latest.to_numpy(), expected.to_numpy())
    assert list(result.migration_latest.index) == ["red", "yellow", "green"]
    movers = result.movers.set_index("account_id")
    assert sorted(result.movers["account_id"]) == ["a", "b"]  # both move 54 points
    assert movers.loc["a", ["baseline_band", "draft_band"]].tolist() == ["yellow", "red"]
    # a: usage 54 -> 0 points, tickets 0 -> 0: usage moved it
    assert movers.loc["a", "moved_by"] == "usage"
    assert movers.loc["a", "moved_by_points"] == pytest.approx(-54)
    # b: usage 6 -> 0, tickets 40 -> 100: tickets moved it
    assert movers.loc["b", "moved_by"] == "tickets"
    assert movers.loc["b", "moved_by_points"] == pytest.approx(60)
    assert result.metrics["auc"]["baseline"] == 1.0  # every renewed above every churned
    assert result.metrics["auc"]["draft"] == pytest.approx(2 / 6)  # c, e above d only
    assert result.metrics["surprise_churn_count"]["draft"] == 1  # b churned while green
    assert result.metrics["surprise_churn_arr"]["draft"] == 200
    assert any("churned accounts" in w for w in result.warnings)
    json.dumps(result.to_dict())
    assert "Verdict" in result.describe()


def test_migration_matrix_shows_unscored_only_when_present():
    assert migration_matrix(np.array([0, 1, 2]), np.array([0, 1, 2])).shape == (3, 3)
    frame = migration_matrix(np.array([0, -1]), np.array([2, 2]))
    assert list(frame.columns) == ["red", "yellow", "green", "unscored"]
    assert frame.loc["unscored", "green"] == 1


def noise_table(n=800, seed=3):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "id": [f"x{i}" for i in range(n)], "usage": rng.uniform(0, 100, n),
        "tickets": rng.uniform(0, 10, n), "arr": rng.uniform(1, 100, n),
        "outcome": np.where(rng.random(n) < 0.2, "churned", "renewed"),
    })
    return prepare(frame, make_config().columns, make_config())


def test_compare_on_pure_noise_finds_no_real_improvement():
    result = compare(noise_table(), two_factor(60, 40), two_factor(20, 80), n_resamples=500)
    lo, hi = result.metrics["auc"]["ci"]
    assert lo < 0 < hi
    assert not result.real and result.verdict.startswith("no real difference")


def test_compare_finds_a_real_improvement():
    table = noise_table()
    churned = table.outcome == "churned"
    frame = table.frame.assign(tickets=np.where(churned, 7.0, 3.0) + np.random.default_rng(
        0).uniform(-2, 2, len(churned)))
    table = prepare(frame, make_config().columns, make_config())
    result = compare(table, two_factor(90, 10), two_factor(10, 90), n_resamples=300)
    assert result.real and result.verdict.startswith("improvement is real")
    assert result.metrics["auc"]["ci"][0] > 0 and result.metrics["auc"]["draft_better"]


def test_bootstrap_added_later_equals_comparing_with_it():
    """The Export page shows point estimates first and adds the bootstrap in a job."""
    from calibration.band_rules import with_bands
    from calibration.scoring import score_frame
    from calibration.validation import judged_rows

    table = noise_table()
    base_config = two_factor(60, 40)
    draft_config = with_bands(two_factor(20, 80), 45, 75)
    base = score_frame(table.frame, base_config).result
    draft = score_frame(table.frame, draft_config).result
    judged = judged_rows(table, 90)
    whole = compare_scored(table, base_config, draft_config, base, draft, judged, 300,
                           objective="catch_churn")
    first = compare_scored(table, base_config, draft_config, base, draft, judged, 0,
                           objective="catch_churn")
    assert first.metrics["auc"]["ci"] is None and first.verdict_detail["label"] == "no verdict"
    seen = []
    later = with_bootstrap(first, take_rows(base, judged.rows), take_rows(draft, judged.rows),
                           judged, 300, objective="catch_churn", progress=seen.append)
    assert seen[-1] == 1.0
    assert later.metrics == whole.metrics and later.verdict == whole.verdict
    assert later.verdict_detail == whole.verdict_detail and later.real == whole.real
    pd.testing.assert_frame_equal(later.movers, whole.movers)
    pd.testing.assert_frame_equal(later.migration_latest, whole.migration_latest)
    assert later.metrics == compare(table, base_config, draft_config, n_resamples=300,
                                    objective="catch_churn").metrics


def test_config_diff_wording():
    base = make_config(
        guardrails=[{"name": "No usage", "column": "usage", "operator": "<", "value": 5,
                     "cap": "red"}],
        segments=[{"name": "Big", "match": {"column": "tier", "values": ["ent"]},
                   "weights": {"usage": 10}}],
    )
    raw = base.model_dump()
    raw["factors"][0]["weight"] = 20
    raw["factors"][1]["weight"] = 80
    raw["factors"][0]["rule"] = {"kind": "linear", "lo": 10, "hi": 90}
    raw["factors"][1]["direction"] = "higher_is_better"
    raw["factors"][1]["missing"] = "points"
    raw["bands"] = {"red_max": 35, "yellow_max": 65}
    raw["guardrails"][0]["enabled"] = False
    raw["guardrails"].append({"name": "Many tickets", "column": "tickets", "operator": ">=",
                              "value": 9, "cap": "yellow"})
    raw["segments"][0]["weights"] = {"usage": 30}
    raw["name"] = "renamed"
    draft = Config.model_validate(raw)
    lines = config_diff(base, draft)
    assert "usage: weight 60% -> 20% of the score" in lines
    assert "tickets: weight 40% -> 80% of the score" in lines
    assert "usage: cut-offs 0-100 -> 10-90" in lines
    assert "tickets: now higher is better (was lower is better)" in lines
    assert "tickets: missing values skipped -> scored 50 points" in lines
    assert "red band: score <= 30 -> <= 35" in lines
    assert "yellow band: score <= 70 -> <= 65 (green above)" in lines
    assert "guardrail 'No usage' disabled" in lines
    assert "new guardrail 'Many tickets': tickets >= 9 caps at yellow" in lines
    assert "segment 'Big': weight of usage 10 -> 30" in lines
    assert not any("renamed" in line for line in lines)
    assert config_diff(base, base) == []


def test_config_diff_mapping_and_rule_kinds():
    base = make_config(factors=[
        {"name": "csm", "column": "csm", "weight": 1,
         "rule": {"kind": "mapping", "points": {"red": 0, "yellow": 50, "green": 100}}},
        {"name": "usage", "column": "usage", "weight": 1,
         "rule": {"kind": "linear", "lo": 0, "hi": 100}}])
    raw = base.model_dump()
    raw["factors"][0]["rule"]["points"] = {"red": 0, "yellow": 40, "green": 100, "gray": 20}
    raw["factors"][1]["rule"] = {"kind": "steps", "cutoffs": [50], "points": [0, 100]}
    lines = config_diff(base, Config.model_validate(raw))
    assert "csm: 'yellow' 50 -> 40 points" in lines
    assert "csm: new category 'gray' = 20 points" in lines
    assert "usage: rule linear from 0 to 100 -> steps at 50 giving 0, 100 points" in lines


# --------------------------------------------------------------------------- CLI
def write_inputs(tmp_path):
    table = noise_table(n=300)
    frame = table.frame.copy()
    churned = table.outcome == "churned"
    frame["tickets"] = np.clip(np.where(churned, 7.0, 3.0) + np.random.default_rng(1).uniform(
        -3, 3, len(frame)), 0, 10)
    data = tmp_path / "accounts.csv"
    frame.to_csv(data, index=False)
    config = tmp_path / "config.json"
    config.write_text(two_factor(80, 20).to_json())
    return data, config


def test_cli_suggest_compare_and_diff(tmp_path, capsys):
    data, config = write_inputs(tmp_path)
    out = tmp_path / "suggested.json"
    assert main(["suggest", "--data", str(data), "--config", str(config), "--method", "logit",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "out-of-sample" in text and "Time split: not possible" in text  # no renewal dates
    suggested = Config.model_validate_json(out.read_text())
    assert suggested.name.endswith("(suggested: logit)") and "CV AUC" in suggested.notes
    weights = fitting.flat_weights(suggested)
    assert weights["tickets"] > weights["usage"]

    assert main(["compare", "--data", str(data), "--baseline", str(config), "--config",
                 str(out), "--format", "json", "--resamples", "200"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["real"] and report["metrics"]["auc"]["diff"] > 0

    assert main(["diff", str(config), str(out)]) == 0
    assert "- usage: weight 80% ->" in capsys.readouterr().out


def test_cli_suggest_without_out_prints_only_the_config(tmp_path, capsys):
    data, config = write_inputs(tmp_path)
    assert main(["suggest", "--data", str(data), "--config", str(config)]) == 0
    captured = capsys.readouterr()
    Config.model_validate_json(captured.out)
    assert "In-sample AUC" in captured.err
