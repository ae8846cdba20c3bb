"""SQL details no equivalence run on DuckDB can see (mutation-testing kills): the infinity
literal per engine, BigQuery column names, and scores of exactly 100 at the top of the range."""

from __future__ import annotations

import math
import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calibration.scoring import score_frame
from calibration.sql import DIALECTS, compile_sql, get_dialect
from tests.conftest import make_config

# Spellings each engine documents for an infinite DOUBLE read from text. Spark 2.x parses
# text with Java's Double.parseDouble, which knows only "[+-]Infinity" ("inf" arrived in 3.0),
# so the portable Spark spelling is Infinity. PostgreSQL documents 'Infinity' and '-Infinity'.
INFINITY_TEXT = {
    "spark": re.compile(r"[+-]?Infinity"),
    "postgres": re.compile(r"(?i)[+-]?(inf|infinity)"),
    "duckdb": re.compile(r"(?i)[+-]?(inf|infinity)"),
    "snowflake": re.compile(r"(?i)[+-]?(inf|infinity)"),
    "bigquery": re.compile(r"(?i)[+-]?(inf|infinity)"),
}
CAST_TEXT = re.compile(r"^(?:CAST\('([^']*)' AS [A-Z0-9]+\)|'([^']*)'::[a-z0-9A-Z]+)$")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("sign", [1, -1])
def test_infinity_literal_is_a_spelling_the_engine_reads(dialect, sign):
    literal = get_dialect(dialect).number(sign * math.inf)
    match = CAST_TEXT.match(literal)
    assert match, literal
    text = match.group(1) or match.group(2)
    assert INFINITY_TEXT[dialect].fullmatch(text), (dialect, literal)
    assert text.startswith("-") == (sign < 0)


def test_infinity_literals_read_back_on_duckdb():
    con = duckdb.connect()
    d = get_dialect("duckdb")
    assert con.execute(f"SELECT {d.number(-math.inf)}").fetchone()[0] == -math.inf
    # the Spark/PostgreSQL spelling is also one DuckDB reads (a second engine agreeing)
    assert con.execute("SELECT CAST('-Infinity' AS DOUBLE)").fetchone()[0] == -math.inf


BIGQUERY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # BigQuery: letter or _ first


@pytest.mark.parametrize(("text", "expected"), [
    ("90d usage", "_90d_usage"),
    ("3", "_3"),
    ("score", "score"),
    ("points: Active users", "points_Active_users"),
    ("% ☃ %", "col"),
])
def test_bigquery_labels_through_dialect_label(text, expected):
    assert get_dialect("bigquery").label(text) == f"`{expected}`"


@given(st.text(min_size=1, max_size=30))
def test_every_bigquery_label_is_a_legal_column_name(text):
    label = get_dialect("bigquery").label(text)
    assert label.startswith("`") and label.endswith("`")
    assert BIGQUERY_NAME.fullmatch(label[1:-1]), (text, label)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "snowflake", "spark"])
def test_other_dialects_keep_the_label_text(dialect):
    d = get_dialect(dialect)
    assert d.label("90d usage") == d.ident("90d usage")


@pytest.mark.parametrize("weights", [(57.0, 80.2), (71.9, 16.1), (64.8, 16.9)])
def test_full_points_score_exactly_100_in_sql_and_python(weights):
    # sum(w * 100) / sum(w) is 100.00000000000001 in floating point for these weights: the
    # rounding to 1e-9 that Python and SQL share brings it back to exactly 100 (no clamp)
    config = make_config().with_weights({"usage": weights[0], "tickets": weights[1]})
    frame = pd.DataFrame({"id": ["a", "b", "c"], "usage": [100.0, 100.0, 0.0],
                          "tickets": [0.0, 0.0, 10.0], "arr": [1.0, 1.0, 1.0],
                          "outcome": ["renewed", "churned", "renewed"]})
    raw = sum(w * 100.0 for w in weights) / sum(weights)
    assert raw > 100  # the floating-point overshoot this test is about
    con = duckdb.connect()
    con.register("accounts", frame)
    # the SQL names the id column like the CSV export: account_id
    out = con.execute(compile_sql(config, "accounts", "duckdb")).df().set_index("account_id")
    assert out.loc[["a", "b"], "score"].tolist() == [100.0, 100.0]
    assert out.loc[["a", "b"], "raw_score"].tolist() == [100.0, 100.0]
    assert out.loc["c", "score"] == 0.0
    result = score_frame(frame, config).result
    np.testing.assert_array_equal(result.score, [100.0, 100.0, 0.0])


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("value", [1e40, -1e40, -(2.0**60), 2.0**60, -1e300])
def test_huge_whole_numbers_are_never_written_as_long_integer_literals(dialect, value):
    # Spark and Snowflake parse a bare integer literal as DECIMAL (at most 38 digits), so a
    # whole number too big for exact integer handling must be written in exponent form
    literal = get_dialect(dialect).number(value)
    assert not re.search(r"\d{17,}", literal), literal
    if dialect == "duckdb":
        assert duckdb.connect().execute(f"SELECT {literal}").fetchone()[0] == value


def test_trim_uses_each_engines_documented_form():
    # Spark: only the ANSI form names the characters (its two-argument TRIM takes them first)
    assert re.fullmatch(r"TRIM\(BOTH '.+' FROM x\)", get_dialect("spark").trim("x"))
    assert get_dialect("postgres").trim("x").startswith("BTRIM(x, ")
    for name in ("duckdb", "snowflake", "bigquery"):
        assert get_dialect(name).trim("x").startswith("TRIM(x, ")
    # and the DuckDB form strips every ASCII whitespace character, inner ones kept
    sql = get_dialect("duckdb").trim(get_dialect("duckdb").string(" \t\x0b a b\x0c\r\n"))
    assert duckdb.connect().execute(f"SELECT {sql}").fetchone()[0] == "a b"


def read_literal(dialect: str, literal: str) -> str:
    """Undo a string literal the way the engine reads it (quotes, backslash escapes; on
    DuckDB/PostgreSQL control characters are ``chr(n)`` pieces joined with ``||``)."""
    if dialect in ("duckdb", "postgres"):
        if literal.startswith("("):
            pieces = re.findall(r"'(?:[^']|'')*'|chr\((\d+)\)", literal[1:-1])
            rebuilt = re.sub(r"'(?:[^']|'')*'|chr\(\d+\)| \|\| ", "", literal[1:-1])
            assert rebuilt == "", literal
            parts = re.finditer(r"'((?:[^']|'')*)'|chr\((\d+)\)", literal[1:-1])
            assert pieces
            return "".join(m.group(1).replace("''", "'") if m.group(2) is None
                           else chr(int(m.group(2))) for m in parts)
        assert literal[0] == literal[-1] == "'"
        return literal[1:-1].replace("''", "'")
    assert literal[0] == literal[-1] == "'"
    body = literal[1:-1]
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char == "'" and body[i + 1:i + 2] == "'":  # snowflake doubles quotes
            out.append("'")
            i += 2
        elif char == "\\":
            code = body[i + 1]
            if code == "x":
                out.append(chr(int(body[i + 2:i + 4], 16)))
                i += 4
            elif code == "u":
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
            elif code == "U":
                out.append(chr(int(body[i + 2:i + 10], 16)))
                i += 10
            else:
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(code, code))
                i += 2
        else:
            assert char != "'", f"unescaped quote in {literal!r}"
            out.append(char)
            i += 1
    return "".join(out)


@pytest.mark.parametrize("dialect", DIALECTS)
@given(text=st.text(max_size=20))
def test_string_literals_read_back_and_carry_no_raw_control_characters(dialect, text):
    literal = get_dialect(dialect).string(text)
    # a text-mode read or an editor must not change the SQL: no raw control characters
    assert not any(ord(c) < 32 or ord(c) == 127 for c in literal), literal
    assert read_literal(dialect, literal) == text


@pytest.mark.parametrize(("dialect", "pattern"), [
    ("spark", r"CAST\(-?\d+ AS DOUBLE\)"),  # `::` casts arrived only in Spark 4
    ("bigquery", r"-?\d+\.0"),
    ("duckdb", r"-?\d+::DOUBLE"),
    ("postgres", r"-?\d+::float8"),
    ("snowflake", r"-?\d+::FLOAT"),
])
def test_whole_number_literals_use_each_engines_cast(dialect, pattern):
    for value in (30.0, -7.0, 0.0):
        assert re.fullmatch(pattern, get_dialect(dialect).number(value))


def test_case_folding_matches_python_when_the_compared_text_is_exactly_a_fold():
    # a category value "ss": every letter of it is also what "ß" (and "ẞ") fold to, so the
    # SQL fold must turn those into "ss" like str.casefold, even though the alphabet is
    # exactly the fold's letters (not a larger set)
    from calibration.sql.text import fold_sql

    d = get_dialect("duckdb")
    con = duckdb.connect()
    for value in ["ß", "ẞ", "SS", "Ss", "s", "straße"]:
        for alphabet in ("s", "ss", "stra", "straße"):
            expr = fold_sql(d, d.string(value), alphabet)
            folded = con.execute(f"SELECT {expr}").fetchone()[0]
            is_match = folded == alphabet.casefold()
            assert is_match == (value.casefold() == alphabet.casefold()), (value, alphabet)


@pytest.mark.parametrize("char", ["\uffff", "\U000e0001", "\U000f0000"])
def test_invisible_characters_at_and_above_the_basic_plane(char):
    # DuckDB and PostgreSQL write any invisible character as chr(n). Elsewhere U+FFFF (a
    # noncharacter) is the last code point a \uXXXX escape can write; above it only BigQuery
    # has an escape (\UXXXXXXXX, its documented form) and the other engines get the character
    # itself inside the quotes
    for dialect in DIALECTS:
        literal = get_dialect(dialect).string(f"a{char}b")
        if dialect in ("duckdb", "postgres"):
            assert char not in literal and f"chr({ord(char)})" in literal, dialect
        elif ord(char) <= 0xFFFF:
            assert char not in literal and f"\\u{ord(char):04x}" in literal, dialect
        elif dialect == "bigquery":
            assert literal == f"'a\\U{ord(char):08x}b'"
        else:
            assert literal == f"'a{char}b'", dialect
    duck = get_dialect("duckdb").string(f"a{char}b")
    assert duckdb.connect().execute(f"SELECT {duck}").fetchone()[0] == f"a{char}b"


@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d != "postgres"])
def test_the_last_cte_has_no_trailing_comma(dialect):
    # DuckDB forgives "WITH a AS (...), SELECT ..."; Snowflake, BigQuery and Spark do not
    sql = compile_sql(make_config(), "accounts", dialect)
    assert sql.count(" AS (\n") >= 2  # several CTEs, each closed by ")" and a separator
    assert re.search(r"\),\s*SELECT\b", sql) is None
    assert re.search(r"\)\nSELECT\b", sql)


@pytest.mark.parametrize(("dialect", "form"), [
    ("duckdb", r"regexp_full_match\(x, '\^\(a\.c\)\$'\)"),
    ("postgres", r"x ~ '\^\(a\.c\)\$'"),                       # POSIX regex operator
    ("snowflake", r"REGEXP_LIKE\(x, '\^\(a\.c\)\$'\)"),
    ("bigquery", r"REGEXP_CONTAINS\(x, '\^\(a\.c\)\$'\)"),
    ("spark", r"x RLIKE '\^\(a\.c\)\$'"),
])
def test_full_match_uses_each_engines_documented_regex_form(dialect, form):
    assert re.fullmatch(form, get_dialect(dialect).full_match("x", "a.c"))


def test_full_match_on_duckdb_matches_the_whole_text_only():
    d = get_dialect("duckdb")
    con = duckdb.connect()
    for text, expected in [("abc", True), ("xabc", False), ("abcx", False), ("a-c", True)]:
        got = con.execute(f"SELECT {d.full_match(d.string(text), 'a.c')}").fetchone()[0]
        assert got is expected, text


def test_postgres_overflow_bound_is_where_a_double_rounds_to_infinity():
    # PostgreSQL numbers go through NUMERIC, clamped at the exact value from which a double
    # rounds to infinity: Python's correctly rounded int -> float conversion shows where
    import sys

    from calibration.sql import dialects

    bound = int(dialects._PG_OVERFLOW)
    with pytest.raises(OverflowError):
        float(bound)
    assert float(bound - 1) == sys.float_info.max
