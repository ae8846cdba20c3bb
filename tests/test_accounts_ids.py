"""Account ids are normalised once per distinct value (one shared string per account) and
read exactly as normalising every row by itself does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.accounts import normalise_ids
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
