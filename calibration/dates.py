"""One date normalisation for every source (CSV, Parquet, SQL, renewals tables).

Every date becomes a timezone-naive ``datetime64[ns]`` in UTC: timezone-aware values are
converted to UTC and the zone dropped; plain values are taken as they are (as UTC). So a CSV
with ``2024-02-01T09:00:00+05:00`` and a Parquet file with the same instant agree, and a
column mixing offsets is read instead of failing.

Pure pandas; never imports streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calibration.values import is_blank

_AWARE = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"


@dataclass
class ParsedDates:
    """Parsed dates plus what the reader should be told.

    ``values``: datetime64[ns], naive UTC, NaT for blank or unreadable. ``unreadable``: rows
    that had a value that is not a date. ``notes``: ``(severity, message, rows mask)``.
    """

    values: np.ndarray
    unreadable: np.ndarray
    notes: list[tuple[str, str, np.ndarray]] = field(default_factory=list)


def to_utc_naive(values: pd.Series) -> pd.Series:
    """A datetime Series as naive UTC (aware: converted; naive: unchanged)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.to_datetime(values)


def parse_dates(values: pd.Series, what: str = "date") -> ParsedDates:
    """Parse one date column (any dtype) into naive UTC datetimes.

    Text is read as ISO 8601 first, then in any common format (ambiguous day/month read as
    month/day, with a note). Values carrying a UTC offset (``Z``, ``+02:00``) are converted to
    UTC; when a column mixes offset-carrying and plain values the plain ones are taken as UTC
    and a warning names the rows and an example of each kind.
    """
    n = len(values)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = to_utc_naive(values)
        return ParsedDates(parsed.to_numpy(dtype="datetime64[ns]"), np.zeros(n, dtype=bool))
    blank = np.asarray(is_blank(values), dtype=bool)
    text = values.astype("string").str.strip()
    aware = text.str.contains(_AWARE, case=False, regex=True, na=False).to_numpy(dtype=bool)
    aware &= ~blank
    utc = bool(aware.any())
    parsed = _to_datetime(text, "ISO8601", utc)
    notes: list[tuple[str, str, np.ndarray]] = []
    retry = (parsed.isna().to_numpy() & ~blank)
    if retry.any():
        again = _to_datetime(text[retry], "mixed", utc)
        parsed[retry] = again
        read = retry & parsed.notna().to_numpy()
        if read.any():
            notes.append(("info", f"{what}s in more than one format: non-ISO dates were read "
                          "as month/day/year where ambiguous; use YYYY-MM-DD to be sure", read))
    if utc:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        naive = ~aware & ~blank & parsed.notna().to_numpy()
        if naive.any():
            minority = naive if naive.sum() <= aware.sum() else aware
            notes.append(("warning", f"{what}s mix values with a time zone (e.g. "
                          f"{text[aware].iloc[0]!r}) and without one (e.g. "
                          f"{text[naive].iloc[0]!r}): all were converted to UTC, values "
                          "without a zone were taken as UTC already; give every value the "
                          "same form to be sure", minority))
        else:
            offsets = text[aware].str.extract(r"(Z|[+-]\d{2}(?::?\d{2})?)$", expand=False)
            kinds = offsets.str.upper().unique()
            if len(kinds) > 1:
                notes.append(("info", f"{what}s carry different UTC offsets (e.g. "
                              f"{kinds[0]!r} and {kinds[1]!r}): all converted to UTC", aware))
    else:
        parsed = pd.to_datetime(parsed)
    unreadable = parsed.isna().to_numpy() & ~blank
    return ParsedDates(parsed.to_numpy(dtype="datetime64[ns]"), unreadable, notes)


def _to_datetime(text: pd.Series, fmt: str, utc: bool) -> pd.Series:
    """``pd.to_datetime`` that never raises: unreadable values become NaT."""
    try:
        return pd.to_datetime(text, errors="coerce", format=fmt, utc=utc)
    except (ValueError, TypeError, OverflowError):
        return pd.Series([_one(v, utc) for v in text], index=text.index,
                         dtype="datetime64[ns, UTC]" if utc else "datetime64[ns]")


def _one(value: object, utc: bool) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value) if value is not None and value is not pd.NA else pd.NaT
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    if stamp is pd.NaT:
        return pd.NaT
    if utc:
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
