"""Scored-accounts CSV: spreadsheet-safe (no formula injection), numbers stay numbers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.accounts import load_accounts
from calibration.export import FORMULA_PREFIXES, csv_bytes, neutralise_formulas
from calibration.scored import scored_table
from calibration.scoring import score_frame
from tests.conftest import DEMO_DATA


def test_formula_cells_are_neutralised_numbers_are_not():
    frame = pd.DataFrame({
        "name": ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "Acme",
                 None],
        "score": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, np.nan],
    })
    out = pd.read_csv(io.BytesIO(csv_bytes(frame)))
    assert list(out["name"][:6]) == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3",
                                     "'@SUM(A1)", "'\tcmd", "Acme"]
    assert out["name"].isna().iloc[6]
    assert out["score"].iloc[0] == -5.0  # a negative number is data, not a formula


@settings(deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_no_text_cell_can_start_a_formula(cells):
    out = neutralise_formulas(pd.DataFrame({"x": cells}))
    for before, after in zip(cells, out["x"], strict=True):
        if before.startswith(FORMULA_PREFIXES):
            assert after == "'" + before
        else:
            assert after == before


def test_demo_account_named_like_a_formula_is_safe(demo_config):
    table = load_accounts(DEMO_DATA, demo_config)
    result = score_frame(table.frame, demo_config).result
    text = csv_bytes(scored_table(table, demo_config, result)).decode()
    assert "'=HYPERLINK Holdings" in text
    assert ",=HYPERLINK" not in text


def test_csv_text_reads_back_to_the_values_written():
    """The one writer (pyarrow) of every scored CSV: numbers in their shortest exact form,
    missing as empty, dates as dates, booleans and mixed text as Python prints them."""
    frame = pd.DataFrame({
        "account_id": ["a,1", "b\"2", "c"],
        "score": [30.0, 0.1, np.nan],
        "count": [1, -2, 3],
        "day": pd.to_datetime(["2024-01-31", None, "2024-02-29"]),
        "when": pd.to_datetime(["2024-01-31 12:30:00", "2024-02-01", None], format="ISO8601"),
        "flag": [True, False, True],
        "mixed": pd.Series([1, "x", None], dtype=object),
        "name": ["Acme", None, "=cmd"],
    })
    text = csv_bytes(frame).decode()
    lines = text.splitlines()
    assert lines[1].startswith('"a,1",30,1,2024-01-31,2024-01-31 12:30:00,"True","1","Acme"')
    assert lines[2] == '"b""2",0.1,-2,,2024-02-01 00:00:00,"False","x",'
    back = pd.read_csv(io.StringIO(text), keep_default_na=False, dtype=str)
    assert back["account_id"].tolist() == ["a,1", 'b"2', "c"]
    assert [float(v) if v else None for v in back["score"]] == [30.0, 0.1, None]
    assert back["count"].tolist() == ["1", "-2", "3"]
    assert back["day"].tolist() == ["2024-01-31", "", "2024-02-29"]
    assert back["flag"].tolist() == ["True", "False", "True"]
    assert back["mixed"].tolist() == ["1", "x", ""]
    assert back["name"].tolist() == ["Acme", "", "'=cmd"]
    assert csv_bytes(frame, header=False).decode().splitlines() == lines[1:]


def test_csv_keeps_integers_wider_than_64_bits_and_nullable_booleans():
    """A text column read as Python integers too wide for int64 (an id or name such as
    12345678901234567890123) is written as its digits, not a crash; a nullable boolean
    column reads True / False / empty like a numpy one."""
    frame = pd.DataFrame({
        "account_name": pd.Series([12345678901234567890123, 7, None], dtype=object),
        "flag": pd.Series([True, None, False], dtype="boolean"),
        "plain": [False, True, True],
    })
    back = pd.read_csv(io.StringIO(csv_bytes(frame).decode()), keep_default_na=False,
                       dtype=str)
    assert back["account_name"].tolist() == ["12345678901234567890123", "7", ""]
    assert back["flag"].tolist() == ["True", "", "False"]
    assert back["plain"].tolist() == ["False", "True", "True"]


def test_csv_writes_zoned_dates_durations_and_periods_as_pandas_prints_them():
    """Kinds pyarrow prints differently (a zoned date in UTC without its offset, a duration
    as microseconds) or not at all (periods, intervals): each cell reads exactly as in
    pandas' own ``to_csv``, missing as empty."""
    zoned = pd.to_datetime(["2024-03-01 09:00", None, "2024-07-01 18:30"]).tz_localize(
        "Europe/Paris")
    frame = pd.DataFrame({
        "zoned": zoned,
        "utc": zoned.tz_convert("UTC"),
        "duration": pd.to_timedelta(["1 days 02:00:00", None, "45s"]),
        "month": pd.Series(pd.period_range("2024-01", periods=3, freq="M")).where(
            [True, True, False]),
        "range": pd.arrays.IntervalArray.from_breaks([0, 1, 2, 3]),
        "zoned_category": pd.Series(zoned).astype("category"),
    })
    ours = pd.read_csv(io.BytesIO(csv_bytes(frame)), keep_default_na=False, dtype=str)
    theirs = pd.read_csv(io.StringIO(frame.to_csv(index=False)), keep_default_na=False,
                         dtype=str)
    pd.testing.assert_frame_equal(ours, theirs)
    assert ours["zoned"].tolist() == ["2024-03-01 09:00:00+01:00", "",
                                      "2024-07-01 18:30:00+02:00"]


def test_scored_csv_parses_to_the_scored_values(demo_config):
    """The whole scored file read back equals the scored table it was written from, value
    by value (the writer prints 30 for 30.0: a parsed comparison, not a text one)."""
    table = load_accounts(DEMO_DATA, demo_config)
    frame = scored_table(table, demo_config, score_frame(table.frame, demo_config).result)
    back = pd.read_csv(io.BytesIO(csv_bytes(frame)), dtype=str, keep_default_na=False)
    expected = neutralise_formulas(frame)
    assert list(back.columns) == list(frame.columns) and len(back) == len(frame)
    for column in frame.columns:
        values, text = expected[column], back[column]
        if pd.api.types.is_float_dtype(values.dtype):
            np.testing.assert_array_equal(
                text.map(lambda v: float(v) if v else np.nan).to_numpy(dtype=float),
                values.to_numpy(dtype=float), err_msg=column)
        elif pd.api.types.is_datetime64_any_dtype(values.dtype):
            assert text.tolist() == values.dt.strftime("%Y-%m-%d").fillna("").tolist()
        else:
            assert text.tolist() == values.astype(object).fillna("").astype(str).tolist()


def test_scored_rows_equal_those_rows_of_every_row(demo_config):
    """Some rows (unsorted, one repeated), with missing and formula-like account names:
    each column equals the every-row table's at those rows."""
    table = load_accounts(DEMO_DATA, demo_config)
    name = table.roles.account_name
    names = table.frame[name].where(np.arange(len(table)) % 9 != 0, None)
    table.frame[name] = names.where(np.arange(len(table)) % 11 != 1, "=cmd")
    result = score_frame(table.frame, demo_config).result
    every = scored_table(table, demo_config, result)
    rows = np.random.default_rng(2).permutation(len(table))[:500]
    rows[7] = rows[3]
    some = scored_table(table, demo_config, result, rows=rows)
    expected = every.iloc[rows].reset_index(drop=True)
    pd.testing.assert_frame_equal(some, expected)
    assert some["account_name"].isna().any() and (some["account_name"] == "=cmd").any()
