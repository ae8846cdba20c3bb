"""Turning raw column values into numbers, booleans and categories, the same way everywhere.

Scoring, guardrails, data-quality checks and the SQL compiler (:mod:`calibration.sql`) all
rely on these rules, so a value means the same thing in every place it is read:

- **text normalisation** (:func:`fold_text`): strip the characters of :data:`WHITESPACE`
  (every character Python counts as white space, including the non-breaking space and the
  ASCII separators ``\\x1c``-``\\x1f``) from both ends, then Unicode case-fold. SQL
  reproduces the fold exactly for the characters a comparison can depend on
  (:mod:`calibration.sql.text`), independent of the database locale;
- **type inference** (:func:`infer_kind`): a column is ``bool`` (boolean dtype, or Python
  booleans with blanks), ``num`` (numeric dtype, or Python numbers with blanks) or ``text``;
  the SQL compiler reads the database column type the same way;
- **numbers from text** (:func:`parse_numbers`): after folding and removing commas, the text
  must match :data:`NUMBER_PATTERN` (ASCII digits, optional sign, point and exponent) or be
  an infinity word; anything else is not a number;
- **blanks** (:func:`is_blank`): missing values and the words of :data:`MISSING_WORDS`;
  a blank category is missing too (:func:`category_text`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0"})
MISSING_WORDS = frozenset({"", "na", "n/a", "nan", "null", "none", "-"})
INFINITY_WORDS = frozenset({"inf", "+inf", "infinity", "+infinity"})
NEG_INFINITY_WORDS = frozenset({"-inf", "-infinity"})
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""Characters stripped from both ends of every text value (Python's ``str.isspace`` set)."""
NUMBER_PATTERN = r"[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)(e[+-]?[0-9]+)?"
"""Grammar of a number written as text (after folding and removing thousands commas).
Unambiguous on purpose: ``[0-9]+[.]?[0-9]*`` backtracks quadratically on a long run of
digits followed by a letter (a 1 MB hostile cell took minutes)."""
WHOLE_LIMIT = 9.0e18
"""Whole numbers below this magnitude read as integer text in categories ("2.0" -> "2")."""
_NUMBER = re.compile(NUMBER_PATTERN)


def fold_text(values: pd.Series) -> pd.Series:
    """Text values stripped of :data:`WHITESPACE` and case-folded (object dtype, missing
    stays None). The one text normalisation: categories, words and numbers all use it.

    A column of text is folded once per distinct value (1.8M snapshot rows of 100k account
    names fold 100k strings), the same strings as folding every row."""
    if _all_text(values) and len(values) > _DISTINCT_FIRST:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        folded = _fold_every(pd.Series(uniques, dtype=values.dtype))
        table = np.append(folded.to_numpy(dtype=object), None)  # code -1 (missing): None
        return pd.Series(table[codes], index=values.index, dtype=object)
    return _fold_every(values)


_DISTINCT_FIRST = 1000
"""Columns longer than this are folded per distinct value (shorter: the direct path)."""


def _fold_every(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip(WHITESPACE).str.casefold()
    return text.astype(object).where(text.notna(), None)


def _all_text(values: pd.Series) -> bool:
    """Only Python strings (or blanks): equal values are the same text, so folding each
    distinct value gives every row's fold (1 and 1.0 are equal keys but not the same text:
    mixed columns take the direct path)."""
    if isinstance(values.dtype, pd.StringDtype):
        return True
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
        "string", "empty")


def fold(value: str) -> str:
    """:func:`fold_text` of one string (config keys, segment values, guardrail values)."""
    return value.strip(WHITESPACE).casefold()


def infer_kind(values: pd.Series) -> str:
    """``'bool'``, ``'num'`` or ``'text'``: how a column's values are read.

    Boolean and numeric dtypes are what they say; an object column holding only Python
    booleans (or only numbers) and blanks is boolean (numeric), as a database column would
    be; anything else is text.
    """
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "num"
    if pd.api.types.is_object_dtype(dtype):
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if inferred == "boolean":
            return "bool"
        if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
            return "num"
    return "text"


def _float_array(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan) \
        if values.dtype == object else values.to_numpy(dtype=float, na_value=np.nan)


def _bool_array(values: pd.Series) -> np.ndarray:
    if values.dtype == object:
        out = np.full(len(values), np.nan)
        flags = values.to_numpy(dtype=object)
        known = ~pd.isna(values).to_numpy()
        out[known] = np.array([bool(v) for v in flags[known]], dtype=float)
        return out
    return values.to_numpy(dtype=float, na_value=np.nan)


def parse_numbers(text: pd.Series) -> np.ndarray:
    """Numbers from folded text (see :data:`NUMBER_PATTERN`); NaN where not a number."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    table = np.array([_parse_one(u) for u in uniques] + [np.nan], dtype=float)
    return table[codes]


def _parse_one(word: object) -> float:
    if not isinstance(word, str):
        return np.nan
    word = word.replace(",", "")
    if word in INFINITY_WORDS:
        return np.inf
    if word in NEG_INFINITY_WORDS:
        return -np.inf
    if _NUMBER.fullmatch(word):
        return float(word)
    return np.nan


def normalise_text(values: pd.Series) -> pd.Series:
    """Folded text of any column; missing stays missing. Booleans read ``true``/``false``;
    whole-number floats lose ``.0`` (``2.0`` -> ``"2"``), integers are exact."""
    kind = infer_kind(values)
    if kind == "bool":
        flags = _bool_array(values)
        text = np.where(flags == 1.0, "true", "false").astype(object)
        return pd.Series(text, index=values.index, dtype=object).where(~np.isnan(flags), None)
    if kind == "num":
        if pd.api.types.is_integer_dtype(values.dtype) or (
                values.dtype == object and pd.api.types.infer_dtype(values, skipna=True)
                == "integer"):  # exact: large ids must not collide
            text = values.astype("string")
            return text.astype(object).where(text.notna(), None)
        numbers = _float_array(values)
        # repr once per distinct bit pattern (exact: -0.0 and 0.0, NaNs stay apart)
        bits, inverse = np.unique(numbers.view(np.int64), return_inverse=True)
        text = np.array([repr(float(v)) for v in bits.view(np.float64)],
                        dtype=object)[inverse.reshape(-1)]
        whole = np.isfinite(numbers) & (numbers == np.trunc(numbers)) & (
            np.abs(numbers) < WHOLE_LIMIT)
        text[whole] = numbers[whole].astype(np.int64).astype(str)
        return pd.Series(text, index=values.index, dtype=object).where(~np.isnan(numbers), None)
    return fold_text(values)


def category_text(values: pd.Series) -> pd.Series:
    """:func:`normalise_text` with blank values (see :func:`is_blank`) as None: what mapping
    rules, segment matches and text guardrails compare."""
    text = normalise_text(values)
    return text.where(~text.isin(list(MISSING_WORDS)), None)


def is_blank(values: pd.Series) -> np.ndarray:
    """True where a value is missing: NaN/None/NaT or blank / 'NA'-style text."""
    missing = values.isna().to_numpy().copy()
    if infer_kind(values) == "text" and (
            values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        text = fold_text(values)
        missing |= text.isin(list(MISSING_WORDS)).to_numpy(dtype=bool)
    return missing


def as_number(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numeric view of a column and a mask of non-blank values that are not numbers.

    Booleans read 1 / 0; text is parsed with :func:`parse_numbers`.

    Returns
    -------
    numbers : float64 array, NaN where blank or unparseable
    bad : bool array, True where a non-blank value could not be read as a number
    """
    kind = infer_kind(values)
    if kind == "bool":
        return _bool_array(values), np.zeros(len(values), dtype=bool)
    if kind == "num":
        return _float_array(values), np.zeros(len(values), dtype=bool)
    numbers = parse_numbers(fold_text(values))
    bad = np.isnan(numbers) & ~is_blank(values)
    return numbers, bad


def as_boolean(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Boolean view of a column as floats (1.0 / 0.0 / NaN) and a mask of unreadable values.

    Accepts real booleans, the numbers 1/0, and yes/no, true/false, y/n, t/f in any case.
    """
    kind = infer_kind(values)
    if kind == "bool":
        return _bool_array(values), np.zeros(len(values), dtype=bool)
    if kind == "num":
        numbers = _float_array(values)
        out = np.where(numbers == 1, 1.0, np.where(numbers == 0, 0.0, np.nan))
        bad = ~np.isnan(numbers) & np.isnan(out)
        return out, bad
    text = fold_text(values)
    out = np.full(len(values), np.nan)
    out[text.isin(list(TRUE_WORDS)).to_numpy(dtype=bool)] = 1.0
    out[text.isin(list(FALSE_WORDS)).to_numpy(dtype=bool)] = 0.0
    bad = np.isnan(out) & ~is_blank(values)
    return out, bad
