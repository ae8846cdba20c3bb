"""Loading and validating account files: specific messages, nothing dropped silently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.accounts import prepare
from calibration.config import ColumnRoles
from calibration.data_files import read_table
from calibration.data_quality import DataError
from tests.conftest import make_config

ROLES = ColumnRoles(account_id="id", snapshot_date="date", segment=None, arr="arr",
                    outcome="outcome", renewal_date=None, reference_label=None)


def csv(text: str) -> bytes:
    return text.strip().encode() + b"\n"


def test_semicolon_delimiter_and_cp1252_are_detected():
    raw = "id;usage;tickets;outcome;arr\nA\xe9;1;2;renewed;3\n".encode("cp1252")
    frame = read_table(raw, "x.csv")
    assert list(frame.columns) == ["id", "usage", "tickets", "outcome", "arr"]
    assert frame.attrs["delimiter"] == ";" and frame.attrs["encoding"] == "cp1252"
    assert frame["id"][0] == "Aé"


def test_parquet_round_trip(tmp_path):
    path = tmp_path / "a.parquet"
    pd.DataFrame({"id": ["a"], "x": [1.5]}).to_parquet(path)
    assert read_table(path)["x"][0] == 1.5


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "the file is empty"),
    (b"PAR1garbage", "not a readable Parquet file"),
])
def test_unreadable_files(raw, message):
    with pytest.raises(DataError, match=message):
        read_table(raw, "bad.parquet")


def test_missing_role_column_suggests_closest():
    frame = read_table(csv("ID,date,arr,outcome,usage,tickets\na,2026-01-31,1,renewed,1,1"),
                       "f.csv")
    with pytest.raises(DataError) as caught:
        prepare(frame, ROLES, make_config(), "f.csv")
    text = str(caught.value)
    assert "account id column 'id' is not in the file (did you mean 'ID'?)" in text


def test_problems_listed_with_spreadsheet_rows():
    frame = read_table(csv("""
id,date,arr,outcome,usage,tickets
a,2026-01-31,100,renewed,50,1
a,2026-01-31,100,renewed,60,1
b,not a date,100,renewed,50,1
,2026-01-31,100,renewed,50,1
c,2026-01-31,lots,churned,fifty,2
d,2026-01-31,100,open,,2
"""), "f.csv")
    table = prepare(frame, ROLES, make_config(), "f.csv")
    issues = {i.message.split(":")[0]: i for i in table.report.issues}
    assert issues["duplicate account + snapshot date"].rows == (3,)
    assert issues["unreadable snapshot date"].rows == (4,)
    assert issues["blank account id"].rows == (5,)
    assert issues["ARR is not a number"].rows == (6,)
    text_issue = next(i for i in table.report.issues if "text in a numeric column" in i.message)
    assert text_issue.column == "usage" and text_issue.rows == (6,)
    assert table.report.n_rows_read == 6 and table.report.n_rows_used == 3
    assert list(table.account_id) == ["a", "c", "d"]
    assert np.isnan(table.arr[1])


def test_unknown_outcome_labels_are_an_error_naming_values():
    frame = read_table(csv("id,date,arr,outcome,usage,tickets\na,2026-01-31,1,Lost,1,1\n"
                           "b,2026-01-31,1,renewed,1,1"), "f.csv")
    with pytest.raises(DataError) as caught:
        prepare(frame, ROLES, make_config(), "f.csv")
    assert "unknown outcome label(s): 'Lost' (1)" in str(caught.value)
    assert "rows 2" in str(caught.value)


def test_outcome_values_are_configurable():
    roles = ROLES.model_copy(update={"churned_values": ["Yes"], "renewed_values": ["No"]})
    frame = pd.DataFrame({"id": ["a", "b"], "date": [None, None], "arr": [1, 2],
                          "outcome": ["yes", "No"], "usage": [1, 2], "tickets": [0, 0]})
    table = prepare(frame, roles, make_config())
    assert list(table.outcome) == ["churned", "renewed"]
    assert table.cross_sectional


def test_mixed_date_formats_are_read_and_noted():
    frame = pd.DataFrame({"id": ["a", "b"], "date": ["2026-01-31", "02/28/2026"],
                          "arr": [1, 1], "outcome": ["open", "open"], "usage": [1, 1],
                          "tickets": [1, 1]})
    table = prepare(frame, ROLES, make_config())
    assert [str(d)[:10] for d in table.snapshot_date] == ["2026-01-31", "2026-02-28"]
    assert any("more than one format" in i.message for i in table.report.issues)


def test_no_usable_rows_is_an_error():
    frame = pd.DataFrame({"id": ["", ""], "date": [None, None], "arr": [1, 1],
                          "outcome": ["open", "open"], "usage": [1, 1], "tickets": [1, 1]})
    with pytest.raises(DataError, match="no usable rows"):
        prepare(frame, ROLES, make_config())
