"""Segment candidates: the columns a segment can match on and their values."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from calibration.config import Config

MAX_SEGMENT_VALUES = 30
"""A segment candidate has at most this many distinct values."""
_EARLY_ROWS = 50_000


def few_valued_columns(frame: pd.DataFrame, skip: Iterable[object] = (),
                       limit: int = MAX_SEGMENT_VALUES) -> dict[object, list[str]]:
    """Columns with at most ``limit`` distinct values, each with its values as text.

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    skip : iterable
        Columns never offered (e.g. the account id and the outcome).
    limit : int
        Most distinct (non-missing) values a candidate may hold.

    Returns
    -------
    dict
        Column -> its distinct non-missing values as text, sorted (``str`` of each value),
        in the frame's column order. One pass over a candidate's rows (its distinct values
        give both the count and the list); a column whose first 50,000 rows already hold
        more than ``limit`` values is not read further.
    """
    skipped = set(skip)
    out: dict[object, list[str]] = {}
    for column in frame.columns:
        if column in skipped:
            continue
        values = frame[column]
        if values.iloc[:_EARLY_ROWS].nunique(dropna=True) > limit:
            continue
        distinct = pd.Series(values.unique(), dtype=values.dtype).dropna()
        if len(distinct) <= limit:
            out[column] = sorted(distinct.astype(str).unique())
    return out


def match_columns(config: Config) -> list[str]:
    """The columns the config's segments match on, once each (all that assigning a
    segment reads: :func:`calibration.scoring.assign_segments`)."""
    return list(dict.fromkeys(segment.match.column for segment in config.segments))
