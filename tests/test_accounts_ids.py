"""Account ids are normalised once per distinct value (one shared string per account) and
read exactly as normalising every row by itself does; a table keeps the rows as read when
nothing is excluded (no copy of every column), apart from the caller's frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.accounts import normalise_ids, prepare
from calibration.config import ColumnRoles
from calibration.values import WHOLE_LIMIT


def by_hand(value: object, numeric_column: bool) -> str:
    """One id as the loader documents it, without pandas: blank -> ''; in a numeric column
    whole-number floats without '.0' and booleans 'true'/'false'; any other column's values
    as their text, stripped of white space."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if not numeric_column:
        return str(value).strip()
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        number = float(value)
        if np.isfinite(number) and number == int(number) and abs(number) < WHOLE_LIMIT:
            return str(int(number))
        return repr(number)
    return str(int(value))


COLUMNS = {
    "text with blanks and spaces": pd.Series(["a1", " a1", "a1 ", None, "", "B 2", "a1", "\tc"]),
    "arrow text": pd.Series(["x", " x", None, "y", "x"], dtype="str"),
    "nullable text": pd.Series(["x", pd.NA, " y ", "x"], dtype="string"),
    "integers": pd.Series([7, 12345678901234567, 7, -3]),
    "nullable integers": pd.Series([7, pd.NA, 7, 8], dtype="Int64"),
    "floats": pd.Series([1.0, 2.5, np.nan, -0.0, 0.0, 1.0, 1e20, np.inf]),
    "booleans": pd.Series([True, False, True]),
    # 1 and 1.0 are one key to pandas but two texts: never merged
    "mixed Python types": pd.Series([1, 1.0, "1", " 1", True, None], dtype=object),
    "empty": pd.Series([], dtype=object),
}


@pytest.mark.parametrize("name", list(COLUMNS))
def test_ids_read_as_each_value_by_itself(name):
    values = COLUMNS[name]
    ids = normalise_ids(values)
    assert ids.dtype == object and len(ids) == len(values)
    numeric = pd.api.types.is_numeric_dtype(values.dtype)
    assert list(ids) == [by_hand(v, numeric) for v in values.astype(object)]
    assert all(type(i) is str for i in ids)


def test_rows_of_one_account_share_one_string():
    values = pd.Series([f"acc-{i % 1000:04d}" for i in range(20_000)], dtype="str")
    ids = normalise_ids(values)
    assert len({id(i) for i in ids}) == 1000
    assert list(ids[:3]) == ["acc-0000", "acc-0001", "acc-0002"]


ROLES = ColumnRoles(account_id="id", snapshot_date="date", segment=None, arr="arr",
                    outcome="outcome", renewal_date=None, reference_label=None)


def rows(index: list[int]) -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["a", "a", "b", "c"], "date": ["2026-01-31", "2026-02-28", "2026-01-31",
                                            "2026-01-31"],
        "arr": [100.0, 100.0, 50.0, 20.0], "outcome": ["renewed", "renewed", "churned", "open"],
        "usage": [1.5, 2.5, np.nan, 4.0]}, index=index)


@pytest.mark.parametrize("index", [[0, 1, 2, 3], [10, 11, 12, 13], [3, 2, 1, 0]])
def test_nothing_excluded_keeps_every_row_as_read(index):
    frame = rows(index)
    expected = frame.reset_index(drop=True).copy(deep=True)
    table = prepare(frame, ROLES)
    pd.testing.assert_frame_equal(table.frame, expected)
    assert table.frame.index.equals(pd.RangeIndex(4))
    frame.loc[frame.index[0], "usage"] = -1.0  # the caller's frame changes later...
    frame.loc[frame.index[1], "id"] = "z"
    pd.testing.assert_frame_equal(table.frame, expected)  # ...the table does not
    assert list(table.account_id) == ["a", "a", "b", "c"]


def test_excluded_rows_are_left_out_of_the_frame():
    frame = rows([0, 1, 2, 3])
    frame.loc[1, "id"] = "  "
    table = prepare(frame, ROLES)
    pd.testing.assert_frame_equal(table.frame, frame.iloc[[0, 2, 3]].reset_index(drop=True))
    assert list(table.row_number) == [2, 4, 5]


def test_outcomes_are_the_three_shared_labels():
    frame = rows([0, 1, 2, 3])
    frame["outcome"] = [" Renewed", "RENEWED", "churned", None]
    roles = ROLES.model_copy(update={"renewed_values": ["renewed"], "churned_values":
                                     ["Churned"], "open_values": ["open", ""]})
    many = pd.concat([frame] * 500, ignore_index=True)
    many["id"] = [f"acc-{i}" for i in range(len(many))]
    table = prepare(many, roles)
    assert len(table) == 2000
    assert list(table.outcome[:4]) == ["renewed", "renewed", "churned", "open"]
    assert len({id(label) for label in table.outcome}) == 3
