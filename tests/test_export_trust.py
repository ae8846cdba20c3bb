"""Exports production can trust: config numbers, one YAML reader, unique output names, the
canonical config hash, and a CSV that equals the SQL output and joins back on the id."""

from __future__ import annotations

import io
import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from calibration.accounts import load_accounts
from calibration.config import Config, ConfigError, config_from_json, load_config
from calibration.configfile import import_config
from calibration.export import csv_bytes
from calibration.outputs import output_names
from calibration.scored import scored_table
from calibration.scoring import score_frame
from calibration.sql import compile_sql, get_dialect
from tests.conftest import DEMO_CONFIG, DEMO_DATA, make_config


# --------------------------------------------------------------------------- config numbers
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_weight_is_refused_naming_the_field(literal):
    raw = DEMO_CONFIG.read_text()
    data = json.loads(raw)
    first = data["factors"][0]["name"]
    text = raw.replace('"weight": ' + json.dumps(data["factors"][0]["weight"]),
                       f'"weight": {literal}', 1)
    assert text != raw
    with pytest.raises(ConfigError) as info:
        config_from_json(text, "cfg.json")
    assert f"factors['{first}'].weight" in str(info.value)
    assert "finite" in str(info.value)


@pytest.mark.parametrize(("field", "value"), [("lo", ".nan"), ("hi", ".inf"), ("hi", "1e400")])
def test_non_finite_rule_numbers_are_refused_in_yaml(tmp_path, field, value):
    config = make_config()
    from calibration.configfile import to_yaml

    text = to_yaml(config).replace(f"{field}: {100.0 if field == 'hi' else 0.0}",
                                   f"{field}: {value}", 1)
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"factors\['usage'\]\.rule\.{field}"):
        load_config(path)


def test_guardrail_and_band_infinity_are_refused():
    with pytest.raises(ConfigError, match=r"guardrails\['g'\]\.value"):
        config_from_json(json.dumps({**json.loads(make_config().to_json()), "guardrails": [
            {"name": "g", "column": "usage", "operator": "<", "value": float("inf")}]}))


def test_exported_json_round_trips_and_never_holds_null_numbers():
    config = make_config()
    text = config.to_json()
    assert "Infinity" not in text and "NaN" not in text
    assert config_from_json(text) == config


def test_tiny_points_are_refused_with_the_reason():
    with pytest.raises(ValidationError, match="points must be 0 or at least 1e-09"):
        make_config(factors=[{"name": "x", "column": "x", "weight": 1, "rule": {
            "kind": "boolean", "true_points": 1e-320}}])


def test_category_that_reads_as_missing_is_refused():
    with pytest.raises(ValidationError, match="reads as a missing value"):
        make_config(factors=[{"name": "x", "column": "x", "weight": 1, "rule": {
            "kind": "mapping", "points": {"N/A": 10}}}])


# --------------------------------------------------------------------------- one YAML reader
DUPLICATE = """schema_version: 1
name: a
name: b
factors:
  - {name: x, column: x, weight: 1, rule: {kind: linear, lo: 0, hi: 1}}
"""


def test_duplicate_yaml_keys_are_refused_by_every_reader(tmp_path, capsys):
    from calibration.cli import main

    path = tmp_path / "dup.yaml"
    path.write_text(DUPLICATE)
    with pytest.raises(ConfigError, match="duplicate key 'name'"):
        load_config(path)
    with pytest.raises(ConfigError, match="duplicate key 'name'"):
        import_config(path.read_bytes(), str(path))
    data = tmp_path / "d.csv"
    pd.DataFrame({"account_id": ["a"], "x": [1]}).to_csv(data, index=False)
    commands = [["score", "--data", str(data), "--config", str(path), "--out",
                 str(tmp_path / "o.csv")], ["diff", str(path), str(path)],
                ["sql", "--config", str(path)],
                ["validate", "--data", str(data), "--config", str(path)],
                ["export-config", "--data", str(data), "--config", str(path), "--out",
                 str(tmp_path / "e.json")]]
    for argv in commands:
        assert main(argv) == 1, argv
        assert "duplicate key 'name'" in capsys.readouterr().err, argv


# --------------------------------------------------------------------------- output names
def test_factor_named_guardrail_gets_its_own_column():
    config = make_config(factors=[
        {"name": "guardrail", "column": "usage", "weight": 1,
         "rule": {"kind": "linear", "lo": 0, "hi": 100}},
        {"name": "Guardrail 2", "column": "tickets", "weight": 1,
         "rule": {"kind": "linear", "lo": 0, "hi": 10}}])
    names = output_names(config)
    assert names["cap"] == "points: guardrail"
    assert names[("factor", 0)] == "points: guardrail 2"
    assert names[("factor", 1)] == "points: Guardrail 2 2"
    assert len({n.casefold() for n in names.values()}) == len(names)


def test_bigquery_labels_that_collapse_are_made_unique():
    config = make_config(factors=[
        {"name": "NPS score", "column": "usage", "weight": 1,
         "rule": {"kind": "linear", "lo": 0, "hi": 100}},
        {"name": "NPS-score", "column": "tickets", "weight": 1,
         "rule": {"kind": "linear", "lo": 0, "hi": 10}}])
    sql = compile_sql(config, "t", "bigquery")
    assert "AS `points_NPS_score`" in sql and "AS `points_NPS_score_2`" in sql
    names = output_names(config, get_dialect("bigquery").label_text)
    assert len(set(names.values())) == len(names)


def test_view_with_a_factor_named_guardrail_runs_and_csv_keeps_both(tmp_path):
    config = make_config(factors=[
        {"name": "guardrail", "column": "usage", "weight": 1,
         "rule": {"kind": "linear", "lo": 0, "hi": 100}}],
        guardrails=[{"name": "low", "column": "usage", "operator": "<", "value": 10,
                     "cap": "red"}])
    frame = pd.DataFrame({"id": ["a", "b"], "usage": [5.0, 80.0], "tickets": [1, 2],
                          "outcome": "open", "arr": 1.0})
    con = duckdb.connect()
    con.register("accounts", frame)
    con.execute("CREATE VIEW health AS " + compile_sql(config, "accounts"))
    columns = [c[0] for c in con.execute("SELECT * FROM health").description]
    assert "points: guardrail" in columns and "points: guardrail 2" in columns
    path = tmp_path / "a.csv"
    frame.to_csv(path, index=False)
    table = load_accounts(path, config)
    csv = pd.read_csv(io.BytesIO(csv_bytes(scored_table(
        table, config, score_frame(table.frame, config).result))))
    assert {"points: guardrail", "points: guardrail 2"} <= set(csv.columns)


# --------------------------------------------------------------------------- CSV == SQL
def test_csv_and_sql_name_and_round_every_shared_column_the_same(demo_config):
    table = load_accounts(DEMO_DATA, demo_config)
    result = score_frame(table.frame, demo_config).result
    csv = pd.read_csv(io.BytesIO(csv_bytes(scored_table(table, demo_config, result))))
    con = duckdb.connect()
    con.register("accounts", pd.read_parquet(DEMO_DATA))
    sql = con.execute(compile_sql(demo_config, "accounts")).df()
    shared = [c for c in csv.columns if c in sql.columns]
    names = output_names(demo_config)
    assert names["id"] in shared and names["score"] in shared
    assert len(shared) >= len(demo_config.factors) + 8
    key = [names["id"], names["snapshot"]]
    csv[names["snapshot"]] = pd.to_datetime(csv[names["snapshot"]])
    sql[names["snapshot"]] = pd.to_datetime(sql[names["snapshot"]])
    both = csv.merge(sql, on=key, suffixes=("_csv", "_sql"), validate="one_to_one")
    assert len(both) == len(csv) == len(sql)
    score_csv = both[names["score"] + "_csv"].to_numpy(dtype=float)
    score_sql = both[names["score"] + "_sql"].to_numpy(dtype=float)
    mismatches = int((~np.isclose(score_csv, score_sql, rtol=0, atol=0, equal_nan=True)).sum())
    assert mismatches == 0, f"{mismatches} scores differ between CSV and SQL"
    bands = both[names["band"] + "_csv"].fillna("").to_numpy(dtype=object) != \
        both[names["band"] + "_sql"].fillna("").to_numpy(dtype=object)
    assert int(bands.sum()) == 0


@pytest.mark.parametrize("account", ["=A-1", "+44 20", "-7", "@acme", "=HYPERLINK(\"x\")"])
def test_csv_ids_that_look_like_formulas_still_join(tmp_path, account):
    config = make_config()
    frame = pd.DataFrame({"id": [account, "plain"], "usage": [50.0, 60.0], "tickets": [1, 2],
                          "outcome": "open", "arr": 1.0, "note": ["=cmd", "x"]})
    path = tmp_path / "a.parquet"
    frame.to_parquet(path)
    table = load_accounts(path, config)
    scored = scored_table(table, config, score_frame(table.frame, config).result)
    csv = pd.read_csv(io.BytesIO(csv_bytes(scored)), dtype={"account_id": str})
    joined = csv.merge(frame.astype({"id": str}), left_on="account_id", right_on="id")
    assert len(joined) == 2  # the id is written verbatim: it joins back to the source


# --------------------------------------------------------------------------- config hash
def _edit(config: Config, **changes) -> Config:
    return Config.model_validate({**config.model_dump(), **changes})


def _demo() -> Config:
    return load_config(DEMO_CONFIG)


def no_op_edits(config: Config) -> dict[str, Config]:
    raw = config.model_dump()
    factors = raw["factors"]
    rail = {"name": "off", "column": factors[0]["column"], "operator": "<", "value": 1.0,
            "cap": "red", "enabled": False}
    mapping = next(i for i, f in enumerate(factors) if f["rule"]["kind"] == "mapping")
    reordered_points = dict(reversed(list(factors[mapping]["rule"]["points"].items())))
    recased = {f" {k.upper()} ": v for k, v in factors[mapping]["rule"]["points"].items()}
    skip = next(i for i, f in enumerate(factors) if f["missing"] == "skip")

    def with_factor(i: int, **update) -> list[dict]:
        return [{**f, **update} if j == i else f for j, f in enumerate(factors)]

    return {
        "description": _edit(config, factors=with_factor(0, description="new words")),
        "disabled guardrail": _edit(config, guardrails=[*raw["guardrails"], rail]),
        "disabled guardrail value": _edit(config, guardrails=[*raw["guardrails"], rail]),
        "factor order": _edit(config, factors=list(reversed(factors))),
        "group order": _edit(config, groups=list(reversed(raw["groups"]))),
        "mapping order": _edit(config, factors=with_factor(mapping, rule={
            **factors[mapping]["rule"], "points": reordered_points})),
        "mapping case and blanks": _edit(config, factors=with_factor(mapping, rule={
            **factors[mapping]["rule"], "points": recased})),
        "weights scaled": _edit(config, factors=[{**f, "weight": f["weight"] * 3}
                                                 for f in factors]),
        "missing points while skipping": _edit(config, factors=with_factor(
            skip, missing_points=12.0)),
        "name and notes": _edit(config, name="Renamed", notes="n", author="me"),
        "outcome role": _edit(config, columns={**raw["columns"],
                                               "churned_values": ["lost"]}),
    }


def scoring_edits(config: Config) -> dict[str, Config]:
    raw = config.model_dump()
    factors = raw["factors"]
    linear = next(i for i, f in enumerate(factors) if f["rule"]["kind"] == "linear")

    def with_factor(i: int, **update) -> list[dict]:
        return [{**f, **update} if j == i else f for j, f in enumerate(factors)]

    return {
        # a factor alone in its group keeps 100% of it whatever its weight: change a partner
        "weight": _edit(config, factors=with_factor(linear + 1, weight=factors[linear + 1][
            "weight"] + 0.5)),
        "cut-off": _edit(config, factors=with_factor(linear, rule={
            **factors[linear]["rule"], "hi": factors[linear]["rule"]["hi"] + 1})),
        "direction": _edit(config, factors=with_factor(linear, direction="lower_is_better"
                                                       if factors[linear]["direction"] ==
                                                       "higher_is_better" else
                                                       "higher_is_better")),
        "band": _edit(config, bands={"red_max": 31.0, "yellow_max": 70.0}),
        "guardrail on": _edit(config, guardrails=[*raw["guardrails"], {
            "name": "on", "column": factors[linear]["column"], "operator": "<", "value": 50.0,
            "cap": "red", "enabled": True}]),
        "missing policy": _edit(config, factors=with_factor(linear, missing="points")),
        "segment": _edit(config, segments=[{"name": "S", "match": {
            "column": "segment", "values": ["enterprise"]}, "weights": {
            factors[linear]["name"]: 0.0}}]),
    }


def test_hash_ignores_edits_that_change_no_score():
    base = _demo()
    for label, edited in no_op_edits(base).items():
        assert edited.fingerprint() == base.fingerprint(), label


def test_hash_follows_every_scoring_edit_and_the_scores_move():
    base = _demo()
    frame = pd.read_parquet(DEMO_DATA)
    frame.loc[:20, base.factors[0].column] = np.nan  # so the missing policy matters
    base_scores = score_frame(frame, base, explain=False).result
    for label, edited in scoring_edits(base).items():
        assert edited.fingerprint() != base.fingerprint(), label
        moved = score_frame(frame, edited, explain=False).result
        assert not (np.array_equal(moved.score, base_scores.score, equal_nan=True)
                    and np.array_equal(moved.band, base_scores.band)), label


def test_no_op_edits_really_score_the_same():
    base = _demo()
    frame = pd.read_parquet(DEMO_DATA)
    expected = score_frame(frame, base, explain=False).result
    for label, edited in no_op_edits(base).items():
        got = score_frame(frame, edited, explain=False).result
        differ = int((~np.isclose(got.score, expected.score, rtol=0, atol=1e-9,
                                  equal_nan=True)).sum())
        assert differ == 0, f"{label}: {differ} scores differ"
        assert np.array_equal(got.band, expected.band), label
