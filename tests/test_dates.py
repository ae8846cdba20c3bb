"""One date normalisation for CSV text, Parquet/SQL timestamps and renewals tables."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.accounts import prepare
from calibration.config import ColumnRoles
from calibration.dates import parse_dates

UTC_9 = np.datetime64("2024-02-01T09:00:00", "ns")


def test_mixed_offsets_are_converted_to_utc():
    parsed = parse_dates(pd.Series(["2024-02-01T09:00:00Z", "2024-02-01T11:00:00+02:00",
                                    "2024-02-01T04:00:00-05:00", None]), "snapshot date")
    assert list(parsed.values[:3]) == [UTC_9] * 3 and np.isnat(parsed.values[3])
    assert not parsed.unreadable.any()
    assert any("different UTC offsets" in message for _, message, _ in parsed.notes)


def test_aware_timestamps_from_parquet_or_sql_become_naive_utc():
    local = pd.Series(pd.to_datetime(["2024-02-01 10:00"]).tz_localize("Europe/Berlin"))
    assert parse_dates(local).values[0] == UTC_9
    frame = duckdb.sql("SELECT TIMESTAMPTZ '2024-02-01 14:00:00+05' AS at").df()
    assert parse_dates(frame["at"]).values[0] == UTC_9


def test_mixed_aware_and_plain_dates_are_read_with_a_warning_naming_rows_and_examples():
    frame = pd.DataFrame({"id": ["a", "a", "b"], "at": ["2024-02-01T09:00:00Z", "2024-04-20",
                                                        "2024-03-01T00:00:00+01:00"],
                          "outcome": "open"})
    roles = ColumnRoles(account_id="id", snapshot_date="at", segment=None, arr=None,
                        renewal_date=None, reference_label=None)
    table = prepare(frame, roles)
    assert list(table.snapshot_date) == [UTC_9, np.datetime64("2024-04-20", "ns"),
                                         np.datetime64("2024-02-29T23:00", "ns")]
    [warning] = [i for i in table.report.issues if i.severity == "warning"]
    assert warning.column == "at" and warning.rows == (3,)
    assert "'2024-02-01T09:00:00Z'" in warning.message and "'2024-04-20'" in warning.message


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=30), st.none(),
                          st.sampled_from(["2024-02-01T09:00:00Z", "2024-02-30", "0000-00-00",
                                           "9999-12-31T23:59:59+14:00", "1e400", "Z",
                                           "2024-07-31", "1999-01-09", " n/a "])),
                max_size=20))
def test_any_text_is_read_or_reported_never_raises(values):
    parsed = parse_dates(pd.Series(values, dtype=object))
    assert parsed.values.dtype == np.dtype("datetime64[ns]")
    assert len(parsed.values) == len(values)
    readable = ~np.isnat(parsed.values)
    assert not (readable & parsed.unreadable).any()
    # never a silent loss: a value that is not blank is either read or reported unreadable
    blank = np.array([v is None or v.strip().casefold() in ("", "na", "n/a", "nan", "null",
                                                            "none", "-")
                      for v in values], dtype=bool)
    assert (readable | parsed.unreadable | blank).all()
    # and a plain ISO date is always read, to the day
    for k, v in enumerate(values):
        if v is not None and len(v) == 10 and v[4] == v[7] == "-" and v.replace("-", "").isdigit():
            expected = pd.to_datetime(v, format="%Y-%m-%d", errors="coerce")
            if not pd.isna(expected):
                assert parsed.values[k] == expected.to_datetime64(), v
