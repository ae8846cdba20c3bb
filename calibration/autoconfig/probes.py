"""Column-name words and value probes (dates, numbers, levels, uniqueness) that the
detection of roles and factors reads."""

from __future__ import annotations

import re

import pandas as pd

from calibration.values import (
    as_number,
    is_blank,
    normalise_text,
)


# --------------------------------------------------------------------------- names
def _tokens(name: str) -> list[str]:
    """Words of a column name: ``customerID`` -> [customer, id], ``as_of`` -> [as, of]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced) if t]


def _key(name: str) -> str:
    """Normalised column name: lower case, letters and digits only."""
    return "".join(_tokens(name)).lower()


def prettify(column: str) -> str:
    """Readable factor name: ``TotalCharges`` -> ``Total charges``, ``NPS`` stays ``NPS``.

    Parameters
    ----------
    column : str
        A data column name.

    Returns
    -------
    str
        Words separated by spaces, first word capitalised, acronyms kept.
    """
    words = _tokens(column) or [str(column)]
    out = []
    for i, word in enumerate(words):
        if word.isupper() and len(word) > 1:
            out.append(word)
        else:
            out.append(word.capitalize() if i == 0 else word.lower())
    return " ".join(out)


# --------------------------------------------------------------------------- value probes
def _non_blank(series: pd.Series) -> pd.Series:
    return series[~is_blank(series)]


def _date_share(series: pd.Series) -> float:
    """Share of non-blank values that read as dates (0 for numbers, even stored as text)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return 1.0
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return 0.0
    values = _non_blank(series).astype("string").str.strip().head(500)
    if values.empty or _numeric_share(values) >= 0.5:
        return 0.0
    looks = values.str.contains(r"\d{1,4}[-/.]\d{1,2}|[A-Za-z]{3}", regex=True).fillna(False)
    parsed = pd.to_datetime(values.where(looks), errors="coerce", format="mixed")
    return float(parsed.notna().mean())


def _is_dateish(series: pd.Series) -> bool:
    return _date_share(series) >= 0.8


def _numeric_share(series: pd.Series) -> float:
    """Share of non-blank values that are numbers."""
    values = _non_blank(series)
    if values.empty:
        return 0.0
    _, bad = as_number(values)
    return float(1.0 - bad.mean())


def _n_levels(series: pd.Series) -> int:
    return int(normalise_text(series).dropna().nunique())


def _unique_share(series: pd.Series) -> float:
    values = _non_blank(series)
    return 0.0 if values.empty else float(values.nunique() / len(values))
