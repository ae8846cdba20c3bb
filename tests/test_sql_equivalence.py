"""Python == DuckDB == PostgreSQL (C and UTF-8 locales) on every row, for generated configs and
hostile tables; and the band cut-off regressions.

Configs cover every rule kind, groups, guardrails of every operator, segments with overrides
and band edges placed on reachable scores; tables hold NaN, NULL, +-inf, subnormals, huge
values, unicode (``ß``, ``İ``, ``É``, the Kelvin sign, Greek), NBSP and other blanks, control
characters and booleans with blanks.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calibration.config import Config
from calibration.outputs import output_names
from calibration.scoring import band_names, score_frame
from calibration.sql import compile_sql, get_dialect
from calibration.values import infer_kind

# --------------------------------------------------------------------------- hostile values
FLOATS = [np.nan, np.inf, -np.inf, 5e-324, -5e-324, 1e-310, 2.2250738585072014e-308, 1e308,
          -1.7976931348623157e308, -0.0, 0.0, 1.0, 2.0, 2.5, 3.0, 30.0, 49.99999999999999,
          50.0, 70.0, 99.5, 100.0, 1e16, 9.1e18, -7.25]
NUMBER_TEXT = ["1,000", " 3\xa0", "5\r", "\u20037\u3000", "INF", "-Infinity", "+inf", "1E400",
               "-1e400", "1e-400", "5e-324", "1e99999", "0e99999", "N/A", "nan", "", None, "-",
               "null", "oops", "１２", "٣", ".5", "5.", "+2", "2.5E-1", "0x10", "1_000", "30",
               "\x0c42\x0b", "\x1c7\x1f", "1e308", "-0", "70.000", "\x85 9 \u2028"]
CATEGORIES = ["Green", "GREEN\xa0", " green ", "gReEn\r", "Red", "\x0bred\x0c", "RED\u2009",
              "yellow", "YELLOW", "Straße", "STRASSE", "strasse", "İstanbul", "i̇stanbul",
              "istanbul", "École", "ÉCOLE", "école", "\u212aelvin", "kelvin", "KELVIN",
              "ΣΟΦΙΑ", "σοφια", "σοφιας", "ΣΟΦΙΑΣ", "n/a", "N/A", "", None, "NULL", "2", "2.0",
              "tab\there", "zero\u200bwidth", "emoji 🙂", "ﬁne", "FINE", "O'Brien", "o'brien",
              "back\\slash", "{{ jinja }}", "{% tag %}"]
KEYS = ["green", "Red", "YELLOW ", "straße", "İstanbul", "école", "kelvin", "σοφιας", "2",
        "O'Brien", "fine", "{{ jinja }}", "emoji 🙂", "back\\slash"]
BOOL_TEXT = ["Yes", " no ", "Y", "f", "1", "0.0", "maybe", None, "TRUE\xa0", "1.00", "t",
             "n", "", "N/A", "false", "0", "1.0", "yes\r", "No", "x", "ＹＥＳ"]


def hostile_table(draw, n: int) -> pd.DataFrame:
    pick = lambda pool: draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))  # noqa: E731
    floats = pick(FLOATS)
    bools = pick([True, False, None])
    frame = pd.DataFrame({
        "id": [f"r{i}" for i in range(n)],
        "num_f": np.array(floats, dtype=float),
        "num_t": pd.Series(pick(NUMBER_TEXT), dtype=object),
        "cat": pd.Series(pick(CATEGORIES), dtype=object),
        "cat2": pd.Series(pick(CATEGORIES), dtype=object),
        "flag_obj": pd.Series(bools, dtype=object),  # booleans with blanks
        "flag_text": pd.Series(pick(BOOL_TEXT), dtype=object),
        "count": np.array(pick([0, 1, 2, 3, -1, 2**53 + 1]), dtype=np.int64),
        "tier": np.array(pick([1.0, 2.0, 2.5, np.nan, 0.0]), dtype=float),
    })
    return frame


NUMERIC_COLUMNS = ["num_f", "num_t", "count", "tier", "flag_obj"]
ANY_COLUMNS = [*NUMERIC_COLUMNS, "cat", "cat2", "flag_text"]
EDGES = [0.0, 1.0, 2.0, 2.5, 30.0, 50.0, 70.0, 100.0, -1.0, 1e-300, 1e300]


@st.composite
def rules(draw, column: str):
    kind = draw(st.sampled_from(["linear", "steps", "mapping", "boolean", "percentile"]))
    if kind == "linear":
        lo, hi = sorted(draw(st.lists(st.sampled_from(EDGES), min_size=2, max_size=2,
                                      unique=True)))
        return {"kind": "linear", "lo": lo, "hi": hi}
    if kind == "steps":
        cuts = sorted(draw(st.lists(st.sampled_from(EDGES), min_size=1, max_size=3, unique=True)))
        points = draw(st.lists(st.sampled_from([0.0, 10.0, 30.0, 50.0, 70.0, 100.0, 33.3]),
                               min_size=len(cuts) + 1, max_size=len(cuts) + 1))
        return {"kind": "steps", "cutoffs": cuts, "points": points}
    if kind == "percentile":
        values = sorted(draw(st.lists(st.sampled_from(EDGES), min_size=2, max_size=4,
                                      unique=True)))
        pcts = sorted(draw(st.lists(st.sampled_from([0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 100.0]),
                                    min_size=len(values), max_size=len(values), unique=True)))
        return {"kind": "percentile", "values": values, "percentiles": pcts}
    if kind == "boolean":
        return {"kind": "boolean", "true_points": draw(st.sampled_from([100.0, 90.0, 30.0])),
                "false_points": draw(st.sampled_from([0.0, 50.0, 30.0]))}
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=5, unique_by=str.casefold))
    keys = list({k.strip().casefold(): k for k in keys}.values())
    return {"kind": "mapping",
            "points": {k: draw(st.sampled_from([0.0, 30.0, 45.5, 70.0, 100.0])) for k in keys},
            "default": draw(st.sampled_from([None, 50.0, 30.0]))}


@st.composite
def configs(draw):
    n_factors = draw(st.integers(1, 5))
    groups = ["A", "B", "C"][: draw(st.integers(1, 3))]
    factors = []
    for k in range(n_factors):
        rule = draw(rules(""))
        pool = ANY_COLUMNS if rule["kind"] in ("mapping", "boolean") else NUMERIC_COLUMNS
        factors.append({
            "name": draw(st.sampled_from([f"f{k}", f"F{k} score", f"f{k}-score", "guardrail"]))
            if k == 0 else f"f{k}",
            "column": draw(st.sampled_from(pool)), "group": draw(st.sampled_from(groups)),
            "weight": draw(st.sampled_from([0.0, 1.0, 7.03, 19.73, 35.88, 50.0, 1e307,
                                            5e-324])),
            "direction": draw(st.sampled_from(["higher_is_better", "lower_is_better"])),
            "rule": rule,
            "missing": draw(st.sampled_from(["skip", "points"])),
            "missing_points": draw(st.sampled_from([30.0, 50.0])),
        })
    if not any(f["weight"] > 0 for f in factors):
        factors[0]["weight"] = 1.0
    used = sorted({f["group"] for f in factors})
    group_list = [{"name": g, "weight": draw(st.sampled_from([1.0, 2.0, 35.0]))} for g in used]
    red = draw(st.sampled_from([0.0, 25.0, 30.0, 45.5, 50.0]))
    yellow = draw(st.sampled_from([y for y in (50.0, 60.0, 70.0, 90.0, 100.0) if y > red]))
    guardrails = []
    for i in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["==", "!=", "<", ">=", "is_missing"]))
        column = draw(st.sampled_from(ANY_COLUMNS))
        if op == "is_missing":
            value = None
        elif op in ("<", ">="):
            value = draw(st.sampled_from([0.0, 1.0, 2.5, 50.0]))
        else:
            value = draw(st.sampled_from([True, False, 2.0, "green", "STRASSE", "ﬁne", "2"]))
        guardrails.append({"name": f"g{i}", "column": column, "operator": op, "value": value,
                           "cap": draw(st.sampled_from(["red", "yellow"])),
                           "enabled": draw(st.booleans())})
    segments = []
    for i in range(draw(st.integers(0, 2))):
        target = factors[draw(st.integers(0, n_factors - 1))]
        seg = {"name": f"s{i}", "match": {"column": draw(st.sampled_from(["cat", "cat2"])),
                                          "values": draw(st.lists(st.sampled_from(KEYS),
                                                                  min_size=1, max_size=3))}}
        if draw(st.booleans()):
            seg["weights"] = {target["name"]: draw(st.sampled_from([0.0, 3.0, 80.0]))}
            if all(f["weight"] == 0 for f in factors if f is not target) and \
                    seg["weights"][target["name"]] == 0:
                seg["weights"][target["name"]] = 1.0
        if draw(st.booleans()):
            seg["group_weights"] = {used[0]: draw(st.sampled_from([0.5, 5.0]))}
        if draw(st.booleans()):
            pool = NUMERIC_COLUMNS if target["rule"]["kind"] not in ("mapping", "boolean") \
                else ANY_COLUMNS
            if target["column"] in pool:
                seg["rules"] = {target["name"]: draw(rules(""))}
        if draw(st.booleans()):
            seg["bands"] = {"red_max": 30.0, "yellow_max": 70.0}
        segments.append(seg)
    return Config.model_validate({
        "schema_version": 1, "columns": {"account_id": "id", "snapshot_date": None},
        "groups": group_list, "factors": factors, "bands": {"red_max": red, "yellow_max": yellow},
        "guardrails": guardrails, "segments": segments})


@st.composite
def cases(draw):
    config = draw(configs())
    return config, hostile_table(draw, draw(st.integers(1, 14)))


# --------------------------------------------------------------------------- engines
def run_duckdb(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("accounts", frame)
    return con.execute(compile_sql(config, "accounts", "duckdb")).df()


def _pg_type(values: pd.Series) -> str:
    kind = infer_kind(values)
    if kind == "bool":
        return "BOOLEAN"
    if kind == "num":
        return "BIGINT" if pd.api.types.is_integer_dtype(values.dtype) else "DOUBLE PRECISION"
    return "TEXT"


def run_postgres(connect, frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Load ``frame`` with the types Python infers (NaN stays NaN, None is NULL) and score."""
    d = get_dialect("postgres")
    with connect() as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS accounts")
        cur.execute("CREATE TABLE accounts (" + ", ".join(
            f"{d.ident(c)} {_pg_type(frame[c])}" for c in frame.columns) + ")")
        cells = [[None if v is None or (not isinstance(v, float) and pd.isna(v)) else v
                  for v in frame[c].astype(object).tolist()] for c in frame.columns]
        with cur.copy("COPY accounts FROM STDIN") as copy:
            for row in zip(*cells, strict=True):
                copy.write_row([int(v) if isinstance(v, np.integer) else v for v in row])
        cur.execute(compile_sql(config, "accounts", "postgres"))
        names = [c.name for c in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=names)


@pytest.fixture(scope="module")
def databases(postgres):
    """connect() per locale: the server's own C-locale database and a UTF-8 one."""
    import psycopg

    with postgres() as conn:
        info = conn.info.get_parameters()
        conn.execute("DROP DATABASE IF EXISTS hs_utf8")
        conn.execute("CREATE DATABASE hs_utf8 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' "
                     "LC_CTYPE 'C.UTF-8' TEMPLATE template0")
        conn.execute("DROP DATABASE IF EXISTS hs_c")
        conn.execute("CREATE DATABASE hs_c ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' "
                     "TEMPLATE template0")
    out = {}
    for name in ("hs_c", "hs_utf8"):
        params = {**info, "dbname": name}
        out[name] = (lambda p=params: psycopg.connect(**p, autocommit=True))
    with out["hs_c"]() as conn:
        assert conn.execute("SHOW lc_ctype").fetchone()[0] == "C"
    return out


def assert_engine_matches(out: pd.DataFrame, frame: pd.DataFrame, config: Config,
                          engine: str) -> None:
    """Score and band of every row equal Python's (mismatches counted in the message)."""
    result = score_frame(frame, config).result
    names = output_names(config)
    out = out.set_index(out[names["id"]].astype(str)).loc[frame["id"].astype(str)]
    sql_score = pd.to_numeric(out[names["score"]]).to_numpy(dtype=float, na_value=np.nan)
    py_score = result.score
    same_nan = np.isnan(sql_score) == np.isnan(py_score)
    close = np.where(np.isnan(py_score) | np.isnan(sql_score), same_nan,
                     np.abs(np.nan_to_num(sql_score) - np.nan_to_num(py_score)) <= 1e-9)
    sql_band = out[names["band"]].fillna("").to_numpy(dtype=object)
    py_band = band_names(result.band)
    band_ok = sql_band == py_band
    bad = np.flatnonzero(~close | ~band_ok)
    assert bad.size == 0, (
        f"{engine}: {int((~close).sum())} score and {int((~band_ok).sum())} band mismatches "
        f"of {len(frame)} rows; first rows: "
        + "; ".join(f"{frame['id'].iloc[i]} python {py_score[i]!r} {py_band[i]} vs "
                    f"{engine} {sql_score[i]!r} {sql_band[i]}" for i in bad[:5]))


# --------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=cases())
def test_duckdb_equals_python_on_hostile_tables(case):
    config, frame = case
    assert_engine_matches(run_duckdb(frame, config), frame, config, "duckdb")


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=cases())
def test_postgres_c_and_utf8_equal_python_on_hostile_tables(databases, case):
    config, frame = case
    for name, connect in databases.items():
        assert_engine_matches(run_postgres(connect, frame, config), frame, config, name)


# --------------------------------------------------------------------------- cut-off cases
def cutoff_config(weights: list[float], points: float, red_max: float) -> Config:
    """Every factor maps to ``points``: the exact score is ``points``, on the red cut-off."""
    return Config.model_validate({
        "schema_version": 1, "columns": {"account_id": "id", "snapshot_date": None},
        "factors": [{"name": f"f{k}", "column": "cat", "weight": w,
                     "rule": {"kind": "mapping", "points": {"x": points}, "default": points}}
                    for k, w in enumerate(weights)],
        "bands": {"red_max": red_max, "yellow_max": 90.0}})


CUTOFF_CASES = [([35.88, 7.03, 19.73], 30.0, 30.0), ([1, 1, 1], 70 / 3, 70 / 3),
                ([0.1, 0.2, 0.3], 30.0, 30.0), ([3.3, 3.3, 3.4, 9.1], 45.5, 45.5)]


@pytest.mark.parametrize(("weights", "points", "red_max"), CUTOFF_CASES)
def test_score_on_a_cutoff_is_red_in_python_and_duckdb(weights, points, red_max):
    config = cutoff_config(weights, points, red_max)
    frame = pd.DataFrame({"id": ["a", "b"], "cat": ["x", "y"]})
    result = score_frame(frame, config).result
    assert band_names(result.band).tolist() == ["red", "red"]
    assert_engine_matches(run_duckdb(frame, config), frame, config, "duckdb")


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
@pytest.mark.parametrize(("weights", "points", "red_max"), CUTOFF_CASES)
def test_score_on_a_cutoff_is_red_in_postgres(databases, weights, points, red_max):
    config = cutoff_config(weights, points, red_max)
    frame = pd.DataFrame({"id": ["a", "b"], "cat": ["x", "y"]})
    for name, connect in databases.items():
        assert_engine_matches(run_postgres(connect, frame, config), frame, config, name)


@settings(max_examples=40, deadline=None)
@given(weights=st.lists(st.floats(0.01, 100, allow_subnormal=False), min_size=2, max_size=6),
       points=st.sampled_from([30.0, 45.5, 70.0, 33.3, 12.34]))
@example(weights=[35.88, 7.03, 19.73], points=30.0)
def test_random_weights_on_a_cutoff_agree(weights, points):
    config = cutoff_config(weights, points, points)
    frame = pd.DataFrame({"id": ["a"], "cat": ["x"]})
    assert band_names(score_frame(frame, config).result.band).tolist() == ["red"]
    assert_engine_matches(run_duckdb(frame, config), frame, config, "duckdb")
