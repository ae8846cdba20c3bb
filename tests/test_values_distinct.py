"""Text folding per distinct value (the fast path for long columns) gives every row the
fold of its own text, like folding row by row, for every kind of column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import values

WORDS = [" Yes", "no ", "N/A", "", "Ünïcödé", "\u00a0x\u2003", "ß", "İ", "NaN", "1,000", "2.0",
         "-", "ǅ", "TRUE", "\x1cf\x1f"]


def row_by_row(column: pd.Series) -> list:
    """The fold of each row on its own (str.strip + casefold in plain Python)."""
    return [None if pd.isna(v) else str(v).strip(values.WHITESPACE).casefold()
            for v in column.tolist()]


def columns(n: int = 4000, seed: int = 0) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    text = rng.choice(WORDS, n)
    holes = [None if i % 7 == 0 else w for i, w in enumerate(text)]
    return {
        "object": pd.Series(text.astype(object)),
        "object with None and NaN": pd.Series(
            [np.nan if i % 11 == 0 else w for i, w in enumerate(holes)], dtype=object),
        "string": pd.Series(holes, dtype="string"),
        "str (Arrow)": pd.Series(holes, dtype="str"),
        "mixed numbers and text": pd.Series([1, 1.0, True, "1", None, " A"] * (n // 6),
                                            dtype=object),
    }


@pytest.mark.parametrize("name", list(columns()))
def test_fold_per_distinct_value_equals_row_by_row(name):
    column = columns()[name].set_axis(np.arange(4000)[::-1][:len(columns()[name])])
    assert len(column) > values._DISTINCT_FIRST  # the distinct-value path is taken
    folded = values.fold_text(column)
    assert folded.dtype == object and folded.index.equals(column.index)
    if name == "mixed numbers and text":  # 1, 1.0 and True are equal keys, not equal text
        assert folded.tolist()[:3] == ["1", "1.0", "true"]
    else:
        assert folded.tolist() == row_by_row(column)
    blank = values.is_blank(column)
    assert blank.tolist() == [f is None or f in values.MISSING_WORDS for f in row_by_row(
        column)] or name == "mixed numbers and text"


def test_number_text_per_distinct_value_keeps_every_float():
    numbers = pd.Series([0.0, -0.0, 2.0, 0.1, 1e20, -3.0, np.inf, -np.inf, np.nan, 1 / 3]
                        * 300)
    text = values.normalise_text(numbers).tolist()
    want = [None if np.isnan(v) else str(int(v)) if np.isfinite(v) and v == int(v)
            and abs(v) < values.WHOLE_LIMIT else repr(float(v)) for v in numbers]
    assert text == want
    assert text[:10] == ["0", "0", "2", "0.1", "1e+20", "-3", "inf", "-inf",
                         None, repr(1 / 3)]
