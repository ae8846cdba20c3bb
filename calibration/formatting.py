"""Numbers in the words a CS leader reads: one place for money, percentages, deltas and
"n/a", shared by the pages, the HTML report, the CLI text and the comparison.

Rules: money has no cents ("$1,234,567"); rates are percentages ("12.3%"); a change of a rate
is in percentage points ("+3.2 pts"); what cannot be computed is "n/a", never "None", "nan"
or "$0"; a change that rounds to nothing is no change (``delta`` returns None), never a red
"-0.000". Pure Python (no streamlit).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import pandas as pd

NA = "n/a"
Kind = Literal["money", "percent", "count", "ratio", "number", "score", "days"]

# Words that stay upper case in headers ("arr" -> "ARR", "csm_name" -> "CSM name").
ACRONYMS = {"arr", "mrr", "csm", "nps", "csat", "id", "auc", "ks", "qbr", "sla", "ci", "roi",
            "url", "sso", "api", "ebr"}


def number_or_none(value: Any) -> float | None:
    """``value`` as a finite float, or None (None, NaN, inf, text, a metric without value).

    A metric dict (``{"value": ..., "reason": ...}``) gives its value.
    """
    if isinstance(value, Mapping):
        value = value.get("value")
    if value is None or isinstance(value, bool | str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _known(value: Any, text: Callable[[float], str]) -> str:
    """``text(number)`` for a finite number, else :data:`NA` (the shared rule of the
    formatters below)."""
    number = number_or_none(value)
    return NA if number is None else text(number)


def _dollars(number: float) -> str:
    rounded = round(number)
    return f"{'-' if rounded < 0 else ''}${abs(rounded):,.0f}"


def money(value: Any) -> str:
    """Whole dollars with thousands separators: ``-$1,234`` / ``$3,381,300``; n/a if unknown."""
    return _known(value, _dollars)


def percent(value: Any, digits: int = 1) -> str:
    """A share (0.123) as ``12.3%``; n/a if unknown."""
    return _known(value, lambda number: f"{number:.{digits}%}")


def count(value: Any) -> str:
    """A whole count with separators (``1,234``); n/a if unknown."""
    return _known(value, lambda number: f"{round(number):,}")


def ratio(value: Any, digits: int = 1) -> str:
    """A multiple (``3.4x``); n/a if unknown."""
    return _known(value, lambda number: f"{number:.{digits}f}x")


def decimal(value: Any, digits: int = 3) -> str:
    """A plain statistic (``0.712``); n/a if unknown."""
    return _known(value, lambda number: f"{number:.{digits}f}")


def days(value: Any) -> str:
    """Whole days (``45 days``); n/a if unknown."""
    return _known(value, lambda number: f"{round(number):,} days")


FORMATS = {"money": money, "percent": percent, "count": count, "ratio": ratio,
           "number": decimal, "score": lambda v: decimal(v, 1), "days": days}


def fmt(value: Any, kind: Kind) -> str:
    """``value`` formatted as ``kind`` (money, percent, count, ratio, number, score, days)."""
    return FORMATS[kind](value)


def signed(change: Any, kind: Kind, zero: str | None = "no change") -> str:
    """A change with its sign: ``+$12,300``, ``-4``, ``+3.2 pts`` (percent changes are in
    percentage points), ``+0.021``; n/a if unknown. A change that rounds to nothing reads
    ``zero`` ("no change"; None: the unsigned zero, e.g. for a CI bound)."""
    number = number_or_none(change)
    if number is None:
        return NA
    text = _magnitude(abs(number), kind)
    if text == _magnitude(0.0, kind):
        return text if zero is None else zero
    return ("-" if number < 0 else "+") + text


def _magnitude(number: float, kind: Kind) -> str:
    if kind == "percent":
        return f"{number * 100:.1f} pts"
    return fmt(number, kind)


def delta(now: Any, before: Any, kind: Kind) -> str | None:
    """The signed change from ``before`` to ``now`` for a metric card, or None when either is
    unknown or the two show the same (so no arrow is drawn for "no change")."""
    a, b = number_or_none(now), number_or_none(before)
    if a is None or b is None or fmt(a, kind) == fmt(b, kind):
        return None
    text = signed(a - b, kind)
    return None if text == "no change" else text


def likely_range(interval: Any, kind: Kind = "number") -> str:
    """A 95% interval as ``likely 10.2% to 15.3%`` words' core (``10.2% to 15.3%``); n/a if
    absent. Accepts ``[lo, hi]`` or a metric dict whose value is ``[lo, hi]``."""
    if isinstance(interval, Mapping):
        interval = interval.get("value")
    if not isinstance(interval, list | tuple) or len(interval) != 2:
        return NA
    lo, hi = (number_or_none(x) for x in interval)
    if lo is None or hi is None:
        return NA
    return f"{fmt(lo, kind)} to {fmt(hi, kind)}"


def p_value(value: Any) -> str:
    """A p-value people can read: ``p < 0.001`` instead of ``4.1e-23``, else ``p = 0.042``;
    n/a if unknown."""
    number = number_or_none(value)
    if number is None:
        return NA
    return "p < 0.001" if number < 0.001 else f"p = {number:.3f}"


def header(name: Any) -> str:
    """A column name for people: ``account_id`` -> ``Account ID``, ``arr`` -> ``ARR``,
    ``activeUsers`` -> ``Active users``; names already in words are kept."""
    text = str(name)
    if " " in text.strip() or (text[:1].isupper() and "_" not in text):
        return text
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text).replace("_", " ").replace("-", " ")
    parts = [w.upper() if w.lower() in ACRONYMS else w.lower() for w in words.split()]
    if not parts:
        return text
    first = parts[0]
    parts[0] = first if first.isupper() else first.capitalize()
    return " ".join(parts)


def cell(value: Any) -> str:
    """Any table value as text: n/a for missing, yes/no for booleans, whole numbers without
    decimals, dates as YYYY-MM-DD."""
    if value is None or value is pd.NaT:
        return NA
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int | float) or hasattr(value, "dtype"):
        try:
            if pd.isna(value):
                return NA
        except (TypeError, ValueError):
            pass
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int | float):
            number = float(value)
            if not math.isfinite(number):
                return NA
            return f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"
    return str(value)


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with human column headers and no Python ``None``/``nan`` in text columns
    (they read "n/a"); numeric columns stay numeric so they sort and format."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not (pd.api.types.is_numeric_dtype(series.dtype)
                or pd.api.types.is_datetime64_any_dtype(series.dtype)):
            out[column] = series.map(cell).astype("string")
    return out.rename(columns={c: header(c) for c in out.columns})


__all__ = ["NA", "cell", "count", "days", "decimal", "delta", "fmt", "for_display", "header",
           "likely_range", "money", "number_or_none", "p_value", "percent", "ratio", "signed"]
