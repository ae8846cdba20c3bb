"""``sql --dbt``: a ready dbt model. Jinja-safe literals, ref()/source() relations, schema.yml
with docs and tests; compiled and run by dbt-core + dbt-duckdb, scores equal Python's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from jinja2 import Environment

from calibration.cli import main
from calibration.config import Config
from calibration.scoring import band_names, score_frame
from calibration.sql.dbt import dbt_model, jinja_safe, relation_expr
from tests.test_sql import demo_frame, variant_config


def hostile_variant(demo_config_dict: dict) -> Config:
    """The every-feature variant plus Jinja in a name, a category, a guardrail and a
    segment value."""
    frame = demo_frame()
    raw = variant_config(frame, demo_config_dict).model_dump()
    raw["name"] = "Q3 {{ run_query('drop table x') }} {% if %} {# note"
    family = next(f for f in raw["factors"] if f["name"] == "Family")
    family["name"] = "Family {{ x }}"
    raw["segments"][0]["weights"]["Family {{ x }}"] = raw["segments"][0]["weights"].pop("Family")
    family["rule"]["points"]["{{ ref('evil') }}"] = 5.0
    raw["guardrails"][2]["name"] = "CSM {% raw %}"
    raw["segments"][1]["name"] = "Ent {#"
    return Config.model_validate(raw)


@pytest.mark.parametrize("text", ["{{ x }}", "{%", "{#", "{{{", "a{b}c", "}}", "{ {", "{{%#"])
def test_jinja_safe_renders_back_verbatim(text):
    assert Environment().from_string(jinja_safe(text)).render() == text


def test_relations():
    assert relation_expr(ref="accounts") == "{{ ref('accounts') }}"
    assert relation_expr(source="raw.acc'ts") == "{{ source('raw', 'acc\\'ts') }}"
    assert relation_expr(relation=" {{ ref('a', 'b') }}") == "{{ ref('a', 'b') }}"
    for bad in ("{{ run_query('x') }}", "{{ ref('a') }} ; drop", "{% if %}"):
        with pytest.raises(ValueError, match="not a dbt relation"):
            relation_expr(relation=bad)
    with pytest.raises(ValueError, match=r"source_name\.table_name"):
        relation_expr(source="accounts")


def assert_matches_python(out: pd.DataFrame, frame: pd.DataFrame, config: Config,
                          engine: str) -> None:
    """Score and band per (account, snapshot) equal Python's; mismatches are counted."""
    result = score_frame(frame, config).result
    expected = pd.DataFrame({
        "account_id": frame[config.columns.account_id].astype(str),
        "snapshot_date": pd.to_datetime(frame[config.columns.snapshot_date]),
        "score_py": result.score, "band_py": band_names(result.band)})
    got = out.assign(account_id=out["account_id"].astype(str),
                     snapshot_date=pd.to_datetime(out["snapshot_date"]))
    both = expected.merge(got, on=["account_id", "snapshot_date"], validate="one_to_one")
    assert len(both) == len(frame) == len(out)
    py = both["score_py"].to_numpy(dtype=float)
    sql = pd.to_numeric(both["score"]).to_numpy(dtype=float, na_value=np.nan)
    nan_mismatch = int((np.isnan(py) != np.isnan(sql)).sum())
    far = int((np.abs(np.nan_to_num(py) - np.nan_to_num(sql)) > 1e-9).sum())
    bands = int((both["band_py"].to_numpy(dtype=object)
                 != both["band"].fillna("").to_numpy(dtype=object)).sum())
    assert nan_mismatch == far == bands == 0, (
        f"{engine}: {nan_mismatch} missing-score, {far} score and {bands} band mismatches")


def test_model_renders_to_the_plain_query_reading_the_relation(demo_config_dict):
    config = hostile_variant(demo_config_dict)
    model = dbt_model(config, "{{ ref('accounts') }}", "duckdb")
    assert "run_query" not in model.sql.replace("{{ '{' }}{ run_query", "")
    rendered = Environment().from_string(model.sql).render(
        config=lambda **_: "", ref=lambda name: f'"{name}"')
    assert "Q3 {{ run_query('drop table x') }}" in rendered  # printed back, never run
    con = duckdb.connect()
    frame = demo_frame()
    con.register("accounts", frame)
    out = con.execute(rendered).df()
    assert_matches_python(out, frame, config, "rendered dbt model")
    props = yaml.safe_load(model.properties)["models"][0]
    assert [c["name"] for c in props["columns"]] == list(out.columns)
    assert "points: Family {{ x }}" in list(out.columns)


def test_cli_writes_the_model_and_refuses_plain_jinja_tables(tmp_path, capsys, demo_config):
    path = tmp_path / "c.json"
    path.write_text(demo_config.to_json())
    assert main(["sql", "--config", str(path), "--table", "{{ ref('accounts') }}"]) == 2
    assert "need --dbt" in capsys.readouterr().err
    assert main(["sql", "--config", str(path), "--dbt", str(tmp_path / "m"), "--source",
                 "raw.accounts"]) == 0
    sql = (tmp_path / "m" / "health_scores.sql").read_text()
    assert "FROM {{ source('raw', 'accounts') }}" in sql
    assert (tmp_path / "m" / "health_scores.yml").exists()
    assert main(["sql", "--config", str(path), "--dbt", str(tmp_path / "m"), "--ref",
                 "x"]) == 1  # files exist: --force needed
    assert "already exists" in capsys.readouterr().err


def test_snowflake_identifier_case(demo_config):
    from calibration.sql import compile_sql

    upper = compile_sql(demo_config, ("analytics", "accounts"), "snowflake")
    assert '"ANALYTICS"."ACCOUNTS"' in upper and '"ACTIVE_USER_PCT"' in upper
    assert 'AS "SCORE"' in upper
    exact = compile_sql(demo_config, "accounts", "snowflake", identifier_case="exact")
    assert '"active_user_pct"' in exact and 'AS "score"' in exact


# --------------------------------------------------------------------------- real dbt
def _dbt(project: Path, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("dbt", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "dbt.cli.main"]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    return subprocess.run([*command, *args, "--project-dir", str(project), "--profiles-dir",
                           str(project)], capture_output=True, text=True, env=env,
                          timeout=600, check=False)


@pytest.mark.slow
def test_dbt_core_compiles_runs_and_tests_the_model(tmp_path, demo_config_dict):
    pytest.importorskip("dbt.adapters.duckdb")
    config = hostile_variant(demo_config_dict)
    frame = demo_frame()
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        con.register("frame", frame)
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.accounts AS SELECT * FROM frame")
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(yaml.safe_dump({
        "name": "hs_test", "version": "1.0", "config-version": 2, "profile": "hs_test",
        "model-paths": ["models"]}))
    (project / "profiles.yml").write_text(yaml.safe_dump({"hs_test": {
        "target": "dev", "outputs": {"dev": {"type": "duckdb", "path": str(database),
                                             "threads": 1}}}}))
    (project / "models" / "sources.yml").write_text(yaml.safe_dump({
        "version": 2, "sources": [{"name": "raw", "schema": "raw",
                                   "tables": [{"name": "accounts"}]}]}))
    config_path = tmp_path / "config.json"
    config_path.write_text(config.to_json())
    assert main(["sql", "--config", str(config_path), "--dbt", str(project / "models"),
                 "--source", "raw.accounts", "--materialized", "table"]) == 0
    run = _dbt(project, "run")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    test = _dbt(project, "test")
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-2000:]
    with duckdb.connect(str(database), read_only=True) as con:
        out = con.execute("SELECT * FROM main.health_scores").df()
    assert_matches_python(out, frame, config, "dbt-duckdb")


def test_cli_copy_of_identifier_cases_agrees():
    from calibration import cli_export, sql

    assert cli_export.IDENTIFIER_CASES == sql.IDENTIFIER_CASES


def test_properties_test_id_uniqueness_only_for_one_row_per_account(demo_config_dict):
    # one row per account (no snapshot date): the id is unique; with monthly snapshots each
    # account has many rows, so a unique test would fail every dbt build
    dated = Config.model_validate(demo_config_dict)
    columns = dated.columns.model_copy(update={"snapshot_date": None})
    single = dated.model_copy(update={"columns": columns})
    for config, expected in ((dated, ["not_null"]), (single, ["unique", "not_null"])):
        text = dbt_model(config, "{{ ref('accounts') }}").properties
        assert text.startswith("version: 2\nmodels:\n")  # dbt's own key order, as written
        model = yaml.safe_load(text)["models"][0]
        id_column = next(c for c in model["columns"] if c["name"] == "account_id")
        assert id_column["data_tests"] == expected
        assert list(model) == ["name", "description", "columns"]


def test_generated_sql_does_not_depend_on_the_string_hash_seed(tmp_path):
    # the query lists each column's views in a fixed order: the same config gives the same
    # SQL text in every process (set order of strings changes with PYTHONHASHSEED)
    script = ("import sys; from calibration.config import load_config; "
              "from calibration.sql import build_query, get_dialect; "
              "sys.stdout.write(build_query(load_config('data/demo_config.json'), "
              "'accounts', get_dialect('duckdb')).render())")
    root = Path(__file__).resolve().parents[1]
    texts = {subprocess.run([sys.executable, "-c", script], cwd=root, check=True,
                            capture_output=True, text=True,
                            env={**os.environ, "PYTHONHASHSEED": str(seed),
                                 "PYTHONPATH": str(root)}).stdout
             for seed in range(4)}
    assert len(texts) == 1 and "SELECT" in texts.pop()
