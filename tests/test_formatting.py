"""calibration.formatting: money without cents, percentages, signed deltas, n/a, headers."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calibration import formatting as f

MONEY = re.compile(r"^-?\$\d{1,3}(,\d{3})*$")


@pytest.mark.parametrize("value, text", [
    (3381300.0, "$3,381,300"), (0.49, "$0"), (1234.5, "$1,234"), (-1095110.0, "-$1,095,110"),
    (2554812.5, "$2,554,812"), (None, "n/a"), (float("nan"), "n/a"), (float("inf"), "n/a"),
    ({"value": 12.0, "reason": None}, "$12"), ({"value": None, "reason": "no ARR"}, "n/a"),
    ("12", "n/a"), (True, "n/a"), (np.float64(99.6), "$100"), (np.int64(7), "$7"),
])
def test_money(value, text):
    assert f.money(value) == text


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_money_never_has_cents_or_python_words(value):
    text = f.money(value)
    assert text == "n/a" if not math.isfinite(value) else MONEY.match(text), text
    if math.isfinite(value):
        assert int(text.replace("$", "").replace(",", "")) == round(value)


def test_percent_count_ratio_days():
    assert f.percent(0.6834) == "68.3%"
    assert f.percent(0.6834, 0) == "68%"
    assert f.percent(None) == "n/a"
    assert f.count(12345) == "12,345"
    assert f.count(float("nan")) == "n/a"
    assert f.ratio(3.456) == "3.5x"
    assert f.days(44.6) == "45 days"
    assert f.decimal(0.71234) == "0.712"
    assert f.fmt(0.5, "percent") == "50.0%"


@pytest.mark.parametrize("change, kind, text", [
    (12300.4, "money", "+$12,300"), (-4, "count", "-4"), (0.032, "percent", "+3.2 pts"),
    (-0.0004, "number", "no change"), (0.0, "money", "no change"), (-0.0001, "percent",
                                                                    "no change"),
    (None, "money", "n/a"), (0.021, "number", "+0.021"),
])
def test_signed(change, kind, text):
    assert f.signed(change, kind) == text


def test_delta_is_none_for_no_change_or_unknown():
    assert f.delta(0.7121, 0.7124, "number") is None  # both show 0.712
    assert f.delta(0.0, -0.0, "number") is None
    assert f.delta(None, 3, "money") is None
    assert f.delta({"value": None, "reason": "x"}, 3, "money") is None
    assert f.delta(5, 3, "count") == "+2"
    assert f.delta(0.41, 0.68, "percent") == "-27.0 pts"
    assert f.delta(1000, 2500, "money") == "-$1,500"


@given(st.floats(-1e9, 1e9), st.floats(-1e9, 1e9),
       st.sampled_from(["money", "percent", "count", "number"]))
def test_delta_arrow_only_when_the_numbers_shown_differ(now, before, kind):
    text = f.delta(now, before, kind)
    if f.fmt(now, kind) == f.fmt(before, kind):
        assert text is None
    elif text is not None:
        assert text[0] == ("+" if now > before else "-")


def test_likely_range():
    assert f.likely_range([0.102, 0.153], "percent") == "10.2% to 15.3%"
    assert f.likely_range({"value": [0.63, 0.685]}) == "0.630 to 0.685"
    assert f.likely_range({"value": None, "reason": "x"}) == "n/a"
    assert f.likely_range(None) == "n/a"
    assert f.likely_range([-1095110.0, 2554812.5], "money") == "-$1,095,110 to $2,554,812"


@pytest.mark.parametrize("name, text", [
    ("account_id", "Account ID"), ("arr", "ARR"), ("csm_name", "CSM name"),
    ("latest_score", "Latest score"), ("activeUsers", "Active users"), ("Churn rate",
                                                                         "Churn rate"),
    ("ARR", "ARR"), ("nps", "NPS"), ("exec-sponsor", "Exec sponsor"), ("", ""),
    ("Score", "Score"),
])
def test_header(name, text):
    assert f.header(name) == text


def test_for_display_has_no_python_none_and_keeps_numbers_numeric():
    frame = pd.DataFrame({"account_id": ["a", None, "c"], "arr": [1.5, np.nan, 3.0],
                          "segment": [None, "SMB", float("nan")], "flag": [True, None, False]})
    shown = f.for_display(frame)
    assert list(shown.columns) == ["Account ID", "ARR", "Segment", "Flag"]
    assert shown["Account ID"].tolist() == ["a", "n/a", "c"]
    assert shown["Segment"].tolist() == ["n/a", "SMB", "n/a"]
    assert shown["Flag"].tolist() == ["yes", "n/a", "no"]
    assert pd.api.types.is_float_dtype(shown["ARR"].dtype)
    for column in ["Account ID", "Segment", "Flag"]:
        assert not {"None", "nan", "<NA>"} & set(shown[column].tolist())


def test_cell():
    assert f.cell(None) == "n/a"
    assert f.cell(np.nan) == "n/a"
    assert f.cell(np.int64(1200)) == "1,200"
    assert f.cell(2.25) == "2.2" or f.cell(2.25) == "2.3"
    assert f.cell(np.bool_(True)) == "yes"
    assert f.cell(pd.Timestamp("2025-03-01")) == "2025-03-01"
    assert f.cell("ünïcødé") == "ünïcødé"
