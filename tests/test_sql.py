"""The SQL compiler: generated SQL scores exactly like Python, on DuckDB and real PostgreSQL."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from calibration.config import Config
from calibration.outputs import output_names
from calibration.scoring import band_names, percentile_rule, score_frame
from calibration.sql import DIALECTS, compile_sql, get_dialect
from tests.conftest import DEMO_DATA

WEIRD = 'we"ird col'
TOL = 1e-9


def assert_same_labels(got, expected, what: str) -> None:
    """Element-wise equality of two long label columns, failing fast with a mismatch count
    (``list == list`` on ~70k items makes pytest build a diff that runs for minutes)."""
    got = np.asarray(got, dtype=object)
    expected = np.asarray(expected, dtype=object)
    assert got.shape == expected.shape, f"{what}: {got.shape} rows vs {expected.shape}"
    bad = np.flatnonzero(got != expected)
    assert bad.size == 0, (f"{what}: {bad.size} of {got.size} rows differ, first at rows "
                           f"{bad[:5].tolist()}: {got[bad[:5]].tolist()} vs "
                           f"{expected[bad[:5]].tolist()}")


# --------------------------------------------------------------------------- configs & data
def demo_frame() -> pd.DataFrame:
    """The demo data plus a text column with an awkward name and quote-laden categories."""
    frame = pd.read_parquet(DEMO_DATA)
    rng = np.random.default_rng(6)
    choices = np.array(["O'Brien", " o'BRIEN ", "Smith", "n/a", "", None, "Back\\slash"],
                       dtype=object)
    frame[WEIRD] = choices[rng.integers(0, len(choices), len(frame))]
    return frame


def variant_config(frame: pd.DataFrame, raw: dict) -> Config:
    """Demo config exercising every rule kind, missing=points, groups, guardrails, segments."""
    raw = {**raw, "name": "SQL equivalence variant"}
    raw["groups"] = [{"name": "Adoption", "weight": 35}, {"name": "Support", "weight": 25},
                     {"name": "Relationship", "weight": 25}, {"name": "Sentiment", "weight": 15},
                     {"name": "Commercial", "weight": 0}]
    factors = {f["name"]: dict(f) for f in raw["factors"]}
    factors["Logins"].update(weight=40, rule=percentile_rule(
        frame["logins_30d"].to_numpy(float)).model_dump())
    factors["Open tickets"].update(rule={"kind": "steps", "cutoffs": [1, 3, 6],
                                         "points": [100, 70, 30, 0]})
    factors["Escalations"].update(weight=30)
    factors["Executive sponsor"].update(weight=50)
    factors["Champion change"].update(weight=20)
    factors["NPS"].update(weight=60, missing="points", missing_points=35)
    factors["CSAT"].update(weight=40)
    factors["Late invoices"].update(weight=100)
    factors["Family"] = {
        "name": "Family", "column": WEIRD, "group": "Relationship", "weight": 25,
        "rule": {"kind": "mapping", "points": {"O'Brien": 80, "smith": 40, "Back\\slash": 10},
                 "default": 55}}
    raw["factors"] = list(factors.values())
    raw["guardrails"] = [
        {"name": "No executive sponsor", "column": "exec_sponsor", "operator": "==",
         "value": False, "cap": "yellow", "enabled": True},
        {"name": "Very low CSAT", "column": "csat", "operator": "<", "value": 2.5,
         "cap": "red", "enabled": True},
        {"name": "CSM says red", "column": "csm_assessment", "operator": "==", "value": " RED",
         "cap": "red", "enabled": True},
        {"name": "No NPS answer", "column": "nps", "operator": "is_missing", "cap": "yellow",
         "enabled": True},
        {"name": "Disabled", "column": "open_tickets", "operator": ">=", "value": 0,
         "cap": "red", "enabled": False},
    ]
    raw["segments"] = [
        {"name": "Onboarding", "match": {"column": "lifecycle_stage", "values": [" onboarding"]},
         "weights": {"Active users": 20, "Logins": 80, "Family": 0},
         "group_weights": {"Support": 5},
         "rules": {"Active users": {"kind": "linear", "lo": 5, "hi": 50},
                   "CSM assessment": {"kind": "mapping", "points": {"green": 90, "yellow": 60},
                                      "default": 10}},
         "bands": {"red_max": 25, "yellow_max": 60}},
        {"name": "Enterprise", "match": {"column": "segment", "values": ["ENTERPRISE"]},
         "bands": {"red_max": 40, "yellow_max": 75}},
    ]
    return Config.model_validate(raw)


def messy_frame() -> pd.DataFrame:
    """Text that must be parsed the way calibration.values parses it, and typed columns."""
    num_text = ["1,000", " 3 ", "N/A", "oops", None, "1e3", "inf", "-Infinity", ".5", "5.",
                "", "nan", "+2", "1e999", "-", "2.5E-1", "0x10", "1_000", "7", "null"]
    bool_text = ["Yes", " no ", "Y", "f", "1", "0.0", "maybe", None, "TRUE", "1.00",
                 "t", "n", "", "N/A", "false", "0", "1.0", "yes", "No", "x"]
    cats = [" Green", "RED", "yellow ", "blue", None, "", "n/a", "O'Brien", "o'brien",
            "GREEN", "red", "Yellow", "2", "2.0", "green", None, "purple", "yellow", "red", "x"]
    n = len(num_text)
    return pd.DataFrame({
        "id": [f"a{i}" for i in range(n)],
        "num_text": pd.Series(num_text, dtype=object),
        "bool_text": pd.Series(bool_text, dtype=object),
        "cat": pd.Series(cats, dtype=object),
        "flag": [i % 3 == 0 for i in range(n)],
        "count": np.arange(n) % 4,
        "tier": [1.0, 2.0, 2.5, np.nan] * (n // 4),
        "usage": np.linspace(-10, 130, n),
    })


def messy_config() -> Config:
    factors = [
        {"name": "parsed", "column": "num_text", "weight": 10, "group": "A",
         "rule": {"kind": "linear", "lo": 0, "hi": 10}},
        {"name": "words", "column": "bool_text", "weight": 10, "group": "A",
         "rule": {"kind": "boolean", "true_points": 90, "false_points": 20}},
        {"name": "category", "column": "cat", "weight": 10, "group": "B",
         "rule": {"kind": "mapping", "points": {"green": 100, "YELLOW ": 50, "red": 0,
                                                "O'Brien": 70, "2": 33}}},
        {"name": "flag as number", "column": "flag", "weight": 5, "group": "B",
         "rule": {"kind": "linear", "lo": 0, "hi": 1}, "missing": "points"},
        {"name": "count as yes/no", "column": "count", "weight": 5, "group": "B",
         "rule": {"kind": "boolean"}},
        {"name": "tier", "column": "tier", "weight": 5, "group": "C",
         "rule": {"kind": "mapping", "points": {"1": 10, "2": 20, "2.5": 25}, "default": 5}},
        {"name": "usage", "column": "usage", "weight": 5, "group": "C",
         "direction": "lower_is_better",
         "rule": {"kind": "percentile", "values": [0, 50, 100], "percentiles": [0, 80, 100]}},
    ]
    return Config.model_validate({
        "schema_version": 1,
        "columns": {"account_id": "id", "snapshot_date": None},
        "groups": [{"name": "A", "weight": 2}, {"name": "B", "weight": 1},
                   {"name": "C", "weight": 1}],
        "factors": factors,
        "guardrails": [
            {"name": "tier two", "column": "tier", "operator": "==", "value": "2",
             "cap": "yellow"},
            {"name": "flag", "column": "flag", "operator": "!=", "value": True, "cap": "red"},
            {"name": "blank cat", "column": "cat", "operator": "is_missing", "cap": "red"},
        ],
    })


# --------------------------------------------------------------------------- comparison
def assert_same_scores(out: pd.DataFrame, frame: pd.DataFrame, config: Config) -> float:
    """Every output column equals the Python reference; returns the max abs score diff."""
    result = score_frame(frame, config).result
    assert len(out) == len(frame)
    out = out.rename(columns={v: k for k, v in output_names(config).items()
                              if isinstance(k, str) and k in ("id", "snapshot")})
    out = out.set_index(out["id"].astype(str))
    keys = frame[config.columns.account_id].astype(str)
    if config.columns.snapshot_date:
        out = out.set_index(pd.to_datetime(out["snapshot"]), append=True)
        dates = pd.to_datetime(frame[config.columns.snapshot_date])
        keys = pd.MultiIndex.from_arrays([keys, dates])
    out = out.loc[keys]

    def numbers(name: str) -> np.ndarray:
        return pd.to_numeric(out[name], errors="raise").to_numpy(dtype=float, na_value=np.nan)

    score = numbers("score")
    np.testing.assert_array_equal(np.isnan(score), np.isnan(result.score))
    diff = float(np.nanmax(np.abs(score - result.score), initial=0.0))
    assert diff <= TOL
    np.testing.assert_allclose(numbers("raw_score"), result.raw_score, atol=TOL, rtol=0)
    assert_same_labels(out["band"].fillna(""), band_names(result.band), "band")
    names = np.array([g.name for g in config.guardrails] + [""], dtype=object)
    assert_same_labels(out["guardrail"].fillna(""), names[result.guardrail], "guardrail")
    segments = np.array([s.name for s in config.segments] + ["Default"], dtype=object)
    assert_same_labels(out["segment_config"], segments[result.segment], "segment_config")
    scored = ~np.isnan(result.score)[:, None]
    # Python leaves NaN for a present factor of a zero-weight group; it adds 0 points
    expected = np.where(np.isnan(result.contributions) & scored, 0.0, result.contributions)
    for k, name in enumerate(config.factor_names):
        np.testing.assert_allclose(numbers(f"points: {name}"), expected[:, k], atol=TOL,
                                   rtol=0, err_msg=name)
    np.testing.assert_allclose(numbers("points: guardrail"), result.guardrail_points, atol=TOL)
    for g, name in enumerate(config.group_names()):
        np.testing.assert_allclose(numbers(f"sub-score: {name}"), result.subscores[:, g],
                                   atol=TOL, rtol=0, err_msg=name)
    assert set(out["config_hash"]) == {config.fingerprint()}
    return diff


def run_duckdb(frame: pd.DataFrame, config: Config, table: str = "accounts") -> pd.DataFrame:
    con = duckdb.connect()
    con.register(table, frame)
    return con.execute(compile_sql(config, table, "duckdb")).df()


@pytest.fixture(scope="module")
def demo(demo_config_dict_module):
    frame = demo_frame()
    return frame, variant_config(frame, demo_config_dict_module)


@pytest.fixture(scope="module")
def demo_config_dict_module():
    import json

    from tests.conftest import DEMO_CONFIG

    return json.loads(DEMO_CONFIG.read_text())


# --------------------------------------------------------------------------- DuckDB
def test_variant_exercises_everything(demo):
    frame, config = demo
    kinds = {f.rule.kind for f in config.factors if f.weight > 0}
    assert kinds == {"linear", "steps", "mapping", "boolean", "percentile"}
    result = score_frame(frame, config).result
    assert (result.segment == 0).sum() > 1000 and (result.segment == 1).sum() > 1000
    assert len(set(result.guardrail[result.guardrail >= 0])) == 4
    assert any(f.missing == "points" for f in config.factors)


def test_duckdb_matches_python_on_demo_data(demo):
    frame, config = demo
    diff = assert_same_scores(run_duckdb(frame, config), frame, config)
    print(f"duckdb max abs score diff: {diff:.3g}")


def test_duckdb_matches_python_on_shipped_demo_config(demo_config):
    frame = pd.read_parquet(DEMO_DATA)
    assert_same_scores(run_duckdb(frame, demo_config), frame, demo_config)


def test_duckdb_reads_messy_values_like_python():
    frame, config = messy_frame(), messy_config()
    assert_same_scores(run_duckdb(frame, config), frame, config)


def test_duckdb_table_with_awkward_name():
    frame, config = messy_frame(), messy_config()
    con = duckdb.connect()
    con.register('acc"ounts', frame)
    out = con.execute(compile_sql(config, 'acc"ounts')).df()
    assert_same_scores(out, frame, config)


# --------------------------------------------------------------------------- quoting
@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_compiles_and_quotes(dialect, demo):
    _, config = demo
    sql = compile_sql(config, ("analytics", "accounts"), dialect)
    assert sql.count("SELECT") == 14  # thirteen layers and the final select
    if dialect == "snowflake":  # unquoted Snowflake objects are stored upper-case
        assert '"WE""IRD COL"' in sql and '"ANALYTICS"."ACCOUNTS"' in sql
    elif dialect in ("duckdb", "postgres"):
        assert '"we""ird col"' in sql and '"analytics"."accounts"' in sql
    else:
        assert "`we\"ird col`" in sql and "`analytics`.`accounts`" in sql
    if dialect in ("duckdb", "postgres"):
        assert "'o''brien'" in sql and "'back\\slash'" in sql
    elif dialect == "snowflake":
        assert "'o''brien'" in sql and "'back\\\\slash'" in sql
    else:
        assert "'o\\'brien'" in sql and "'back\\\\slash'" in sql
    assert config.fingerprint() in sql
    assert "O'Brien" not in sql.replace("'O''Brien'", "")  # only escaped forms appear


def test_identifier_escaping_per_dialect():
    assert get_dialect("postgres").ident('a"b') == '"a""b"'
    assert get_dialect("spark").ident("a`b") == "`a``b`"
    assert get_dialect("bigquery").ident("a`b") == "`a\\`b`"
    assert get_dialect("bigquery").string("it's\n") == "'it\\'s\\n'"
    assert get_dialect("spark").string("a\x0bb") == "'a\\u000bb'"
    assert get_dialect("duckdb").string("it's") == "'it''s'"


def test_bigquery_labels_are_plain_names(demo):
    _, config = demo
    sql = compile_sql(config, "accounts", "bigquery")
    assert "AS `points_Active_users`" in sql and "AS `sub_score_Adoption`" in sql


def test_literals_read_back_exactly():
    con = duckdb.connect()
    d = get_dialect("duckdb")
    for value in (0.1, 20.540540540540542, 1e-05, 123456789.123456789, -3.0, 2.0**60):
        assert con.execute(f"SELECT {d.number(value)}").fetchone()[0] == value
    assert con.execute(f"SELECT {d.number(math.inf)}").fetchone()[0] == math.inf


def test_unknown_dialect_is_a_clear_error(demo):
    with pytest.raises(ValueError, match="expected one of duckdb, postgres"):
        compile_sql(demo[1], dialect="oracle")


def test_config_name_cannot_break_out_of_the_comment(demo):
    config = demo[1].model_copy(update={"name": "x\nDROP TABLE accounts; --"})
    sql = compile_sql(config)
    assert "\nDROP TABLE" not in sql


# --------------------------------------------------------------------------- PostgreSQL
def _pg_type(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values.dtype):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(values.dtype):
        return "BIGINT"
    if pd.api.types.is_float_dtype(values.dtype):
        return "DOUBLE PRECISION"
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return "TIMESTAMP"
    return "TEXT"


def load_postgres(conn, table: str, frame: pd.DataFrame) -> None:
    """CREATE TABLE with matching types and COPY the rows in (NaN floats stay NaN)."""
    d = get_dialect("postgres")
    columns = ", ".join(f"{d.ident(c)} {_pg_type(frame[c])}" for c in frame.columns)
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {d.ident(table)}")
        cur.execute(f"CREATE TABLE {d.ident(table)} ({columns})")
        cells = [frame[c].astype(object).where(frame[c].notna(), None).tolist()
                 if not pd.api.types.is_float_dtype(frame[c].dtype) else frame[c].tolist()
                 for c in frame.columns]
        names = ", ".join(d.ident(c) for c in frame.columns)
        with cur.copy(f"COPY {d.ident(table)} ({names}) FROM STDIN") as copy:
            for row in zip(*cells, strict=True):
                copy.write_row(row)


def run_postgres(connect, frame: pd.DataFrame, config: Config, table: str) -> pd.DataFrame:
    with connect() as conn:
        load_postgres(conn, table, frame)
        with conn.cursor() as cur:
            cur.execute(compile_sql(config, table, "postgres"))
            names = [c.name for c in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=names)


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_matches_python_on_demo_data(postgres, demo):
    frame, config = demo
    out = run_postgres(postgres, frame, config, "accounts")
    diff = assert_same_scores(out, frame, config)
    print(f"postgres max abs score diff: {diff:.3g}")


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_reads_messy_values_like_python(postgres):
    frame, config = messy_frame(), messy_config()
    assert_same_scores(run_postgres(postgres, frame, config, 'me"ssy'), frame, config)


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_survives_out_of_range_numbers(postgres):
    text = ["1e400", "-1e400", "1e-400", "1e99999999", "-1e99999", "0e99999", "5e-324",
            "2.4703282292062328e-324", "2.4703282292062327e-324", "1.7976931348623158e308",
            "1.7976931348623159e308", "1e308", "-1e-310", "4e-320"]
    frame = pd.DataFrame({"id": [f"a{i}" for i in range(len(text))], "num_text": text,
                          "num": [float(t) for t in text]})
    config = Config.model_validate({
        "schema_version": 1, "columns": {"account_id": "id", "snapshot_date": None},
        "factors": [{"name": "x", "column": "num_text", "weight": 5e306,
                     "rule": {"kind": "linear", "lo": -1, "hi": 1}},
                    {"name": "y", "column": "num", "weight": 1e307,
                     "rule": {"kind": "percentile", "values": [0, 1e-300, 1],
                              "percentiles": [0, 50, 100]}},
                    {"name": "z", "column": "num", "weight": 5e-324,
                     "rule": {"kind": "linear", "lo": 0, "hi": 1e-300}}]})
    out = run_postgres(postgres, frame, config, "huge")
    assert out["score"].notna().all()  # no row lost to an out-of-range error
    assert_same_scores(out, frame, config)


# --------------------------------------------------------------------------- CLI
def test_sql_cli_prints_a_select_that_runs(tmp_path, capsys, demo):
    from calibration.cli import main
    from calibration.configfile import to_yaml

    frame, config = demo
    path = tmp_path / "variant.yaml"
    path.write_text(to_yaml(config))
    assert main(["sql", "--config", str(path), "--dialect", "duckdb", "--table",
                 "main.accounts"]) == 0
    sql = capsys.readouterr().out
    assert '"main"."accounts"' in sql
    con = duckdb.connect()
    con.register("accounts", frame)
    assert_same_scores(con.execute(sql).df(), frame, config)
    for dialect in DIALECTS:
        assert main(["sql", "--config", str(path), "--dialect", dialect]) == 0
        assert capsys.readouterr().out.count("SELECT") == 14


def test_sql_cli_rejects_unknown_dialect(tmp_path, capsys):
    from calibration.cli import main
    from tests.conftest import DEMO_CONFIG

    with pytest.raises(SystemExit) as info:
        main(["sql", "--config", str(DEMO_CONFIG), "--dialect", "oracle"])
    assert info.value.code == 1
    assert "invalid choice" in capsys.readouterr().err
