"""Turning raw column values into numbers, booleans and categories, the same way everywhere.

Scoring, guardrails, data-quality checks and the SQL compiler all rely on these rules, so a
value means the same thing in every place it is read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0"})
MISSING_WORDS = frozenset({"", "na", "n/a", "nan", "null", "none", "-"})


def normalise_text(values: pd.Series) -> pd.Series:
    """Strip and case-fold text; missing stays missing. Whole-number floats lose ``.0``."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map({True: "true", False: "false"}).astype(object)
    if pd.api.types.is_integer_dtype(values.dtype):  # exact: large ids must not collide
        text = values.astype("string")
        return text.astype(object).where(text.notna(), None)
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        text = values.astype(str).to_numpy(dtype=object)
        whole = np.isfinite(numbers) & (numbers == np.trunc(numbers)) & (np.abs(numbers) < 2**63)
        text[whole] = numbers[whole].astype(np.int64).astype(str)
        return pd.Series(text, index=values.index, dtype=object).where(~np.isnan(numbers), None)
    text = values.astype("string").str.strip().str.casefold()
    return text.astype(object).where(text.notna(), None)


def is_blank(values: pd.Series) -> np.ndarray:
    """True where a value is missing: NaN/None/NaT or blank / 'NA'-style text."""
    missing = values.isna().to_numpy().copy()
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        text = values.astype("string").str.strip().str.casefold()
        missing |= text.isin(list(MISSING_WORDS)).fillna(False).to_numpy(dtype=bool)
    return missing


def as_number(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numeric view of a column and a mask of non-blank values that are not numbers.

    Returns
    -------
    numbers : float64 array, NaN where blank or unparseable
    bad : bool array, True where a non-blank value could not be read as a number
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.astype(float).to_numpy()
        return numbers, np.zeros(len(values), dtype=bool)
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        return numbers, np.zeros(len(values), dtype=bool)
    text = values.astype("string").str.strip().str.replace(",", "", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(numbers) & ~is_blank(values)
    return numbers, bad


def as_boolean(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Boolean view of a column as floats (1.0 / 0.0 / NaN) and a mask of unreadable values.

    Accepts real booleans, 1/0, and yes/no, true/false, y/n, t/f in any case.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        out = values.to_numpy(dtype=float, na_value=np.nan)
        return out, np.zeros(len(values), dtype=bool)
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        out = np.where(numbers == 1, 1.0, np.where(numbers == 0, 0.0, np.nan))
        bad = ~np.isnan(numbers) & np.isnan(out)
        return out, bad
    text = normalise_text(values)
    out = np.full(len(values), np.nan)
    true_mask = text.isin(list(TRUE_WORDS)).to_numpy(dtype=bool)
    false_mask = text.isin(list(FALSE_WORDS)).to_numpy(dtype=bool)
    out[true_mask] = 1.0
    out[false_mask] = 0.0
    bad = np.isnan(out) & ~is_blank(values)
    return out, bad
