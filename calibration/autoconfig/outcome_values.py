"""What an outcome column's values mean: churned, renewed or open (detected,
described, counted), and churn flags per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calibration.autoconfig.probes import _key
from calibration.config import (
    ColumnRoles,
)
from calibration.values import (
    FALSE_WORDS,
    MISSING_WORDS,
    TRUE_WORDS,
    normalise_text,
)

BLANK_LABEL = "(blank)"


# Outcome vocabulary (normalised text). Yes/no style values depend on the column's meaning.
_CHURN_WORDS = frozenset({
    "churned", "churn", "attrited customer", "attrited", "lost", "closed lost", "closed-lost",
    "cancelled", "canceled", "cancel", "cancellation", "terminated", "left", "exited",
    "inactive", "lapsed", "did not renew", "not renewed", "non-renewal", "nonrenewal",
    "non renewal", "churned customer", "lost customer", "former customer", "gone",
})
_RENEW_WORDS = frozenset({
    "renewed", "renew", "renewal", "existing customer", "existing", "retained", "stayed",
    "won", "closed won", "closed-won", "active", "current", "kept", "expanded", "upsold",
    "current customer", "customer", "retained customer",
})
_OPEN_WORDS = frozenset({
    "open", "pending", "in progress", "upcoming", "unknown", "tbd", "not yet", "undecided",
    "in negotiation", "not due", "ongoing",
}) | MISSING_WORDS
_POSITIVE_MEANS_RENEWED = ("renew", "retain", "active", "stay", "kept", "survive")


# --------------------------------------------------------------------------- outcomes
@dataclass(frozen=True)
class OutcomeGuess:
    """What an outcome column's values probably mean.

    ``reason`` is empty when every value was recognised; otherwise it says what the user
    must choose. Values are listed as they appear in the data (most common spelling).
    """

    churned_values: list[str]
    renewed_values: list[str]
    open_values: list[str]
    sentence: str
    reason: str = ""
    unknown_values: list[str] = field(default_factory=list)

    @property
    def confident(self) -> bool:
        """True when churned and renewed values were both found and nothing is unknown."""
        return not self.reason


@dataclass(frozen=True)
class CountedValues:
    """A column's values counted once (:func:`count_values`). Every function here that
    reads an outcome column accepts it in place of the column, with the same results: a
    page asking several questions of a 1.8M-row column reads it once."""

    name: object
    table: pd.DataFrame  # :func:`_labels` of the column: key, label, rows


def count_values(series: pd.Series) -> CountedValues:
    """The column's distinct values grouped case-insensitively, with their row counts, for
    :func:`outcome_counts`, :func:`detect_outcome_values`, :func:`describe_outcomes` and
    :func:`calibration.autoconfig.roles.roles_with_outcomes` (treat as read-only)."""
    return CountedValues(series.name, _labels(series))


def _labels(series: pd.Series | CountedValues) -> pd.DataFrame:
    """Distinct values grouped case-insensitively: key, label (commonest spelling), rows.

    A long column of text, numbers or booleans is read once per distinct value (1.8M
    snapshot rows hold a handful of outcome values), each with its row count; the table is
    the one :func:`_labels_of_rows` gives from every row (ties between spellings and keys
    are broken by first appearance either way)."""
    if isinstance(series, CountedValues):
        return series.table
    if len(series) <= _DISTINCT_FIRST or not _one_text_per_value(series):
        return _labels_of_rows(series, None)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    distinct = pd.Series(uniques, dtype=series.dtype)
    rows = np.bincount(codes[codes >= 0], minlength=len(distinct)).astype(np.int64)
    blank = int((codes < 0).sum())
    if blank:  # missing values: one group whose only label is "" (its place cannot matter)
        distinct = pd.concat([distinct, pd.Series([None], dtype=series.dtype)],
                             ignore_index=True)
        rows = np.append(rows, blank)
    return _labels_of_rows(distinct, rows)


_DISTINCT_FIRST = 1000
"""Columns longer than this are counted per distinct value first (shorter: every row)."""


def _one_text_per_value(series: pd.Series) -> bool:
    """True when values that pandas counts as equal always read as the same text: typed
    numbers, booleans and strings (an object column mixing ``1`` and ``True`` is not)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.StringDtype):
        return True
    if pd.api.types.is_object_dtype(dtype):
        return pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")
    return pd.api.types.is_numeric_dtype(dtype)


def _labels_of_rows(series: pd.Series, rows: np.ndarray | None) -> pd.DataFrame:
    """:func:`_labels` of ``series`` where value ``i`` stands for ``rows[i]`` rows (None:
    one row each)."""
    keys = normalise_text(series)
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        shown = keys
    else:
        shown = series.astype("string").str.strip().astype(object).where(keys.notna(), None)
    data = pd.DataFrame({"key": keys.fillna("").to_numpy(dtype=object),
                         "label": shown.fillna("").to_numpy(dtype=object)})
    if rows is None:
        counts = data.value_counts(["key", "label"], sort=True).reset_index(name="rows")
    else:  # DataFrame.value_counts: groups in order of appearance, stable sort by count
        grouped = data.assign(rows=rows).groupby(["key", "label"], sort=False)["rows"].sum()
        counts = grouped.sort_values(ascending=False, kind="stable").reset_index(name="rows")
    label = counts.drop_duplicates("key").set_index("key")["label"]
    total = counts.groupby("key", sort=False)["rows"].sum()
    out = pd.DataFrame({"key": total.index, "label": label.reindex(total.index).to_numpy(),
                        "rows": total.to_numpy()})
    return out.sort_values(["rows", "key"], ascending=[False, True]).reset_index(drop=True)


def outcome_counts(series: pd.Series | CountedValues) -> pd.DataFrame:
    """Distinct outcome values with row counts, most common first.

    Parameters
    ----------
    series : pd.Series or CountedValues
        The outcome column.

    Returns
    -------
    pd.DataFrame
        Columns ``value`` (as spelled most often; case variants are merged, blanks shown as
        ``(blank)``) and ``rows``.
    """
    table = _labels(series)
    values = table["label"].where(table["key"] != "", BLANK_LABEL)
    return pd.DataFrame({"value": values.to_numpy(dtype=object),
                         "rows": table["rows"].to_numpy(dtype=int)})


def _quote(values: Iterable[str]) -> str:
    items = [f"'{v}'" for v in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(churned: list[str], renewed: list[str], open_: list[str]) -> str:
    parts = []
    if churned:
        parts.append(f"{_quote(churned)} {'means' if len(churned) == 1 else 'mean'} churned")
    if renewed:
        parts.append(f"{_quote(renewed)} {'means' if len(renewed) == 1 else 'mean'} renewed")
    shown_open = [v for v in open_ if v]
    if shown_open:
        parts.append(f"{_quote(shown_open)} {'means' if len(shown_open) == 1 else 'mean'} "
                     "still open")
    return ", ".join(parts)


def detect_outcome_values(series: pd.Series | CountedValues,
                          column: str | None = None) -> OutcomeGuess:
    """Guess which values of an outcome column mean churned, renewed or still open.

    Parameters
    ----------
    series : pd.Series or CountedValues
        The outcome column (text, numbers or booleans).
    column : str, optional
        Its name (default ``series.name``). Yes/true/1 mean churned unless the name says
        renewal or retention (``Renewed``, ``is_active``...), where they mean renewed.

    Returns
    -------
    OutcomeGuess
        Value lists (blank is always open), a plain sentence ("'Yes' means churned, 'No'
        means renewed") and, when values are unknown or a class is missing, a reason asking
        the user to choose.
    """
    name = _key(str(column if column is not None else series.name or ""))
    positive_renewed = any(word in name for word in _POSITIVE_MEANS_RENEWED)
    churned: list[str] = []
    renewed: list[str] = []
    open_: list[str] = []
    unknown: list[str] = []
    for key, label in zip(*(_labels(series)[c] for c in ("key", "label")), strict=True):
        if key == "" or key in _OPEN_WORDS:
            open_.append(label)
        elif key in _CHURN_WORDS:
            churned.append(label)
        elif key in _RENEW_WORDS:
            renewed.append(label)
        elif key in TRUE_WORDS:
            (renewed if positive_renewed else churned).append(label)
        elif key in FALSE_WORDS:
            (churned if positive_renewed else renewed).append(label)
        else:
            unknown.append(label)
    if "" not in open_:
        open_.append("")
    reasons = []
    if unknown:
        reasons.append(f"could not tell what {_quote(unknown)} "
                       f"{'means' if len(unknown) == 1 else 'mean'}")
    if not churned:
        reasons.append("no value clearly means churned")
    if not renewed:
        reasons.append("no value clearly means renewed")
    reason = ""
    if reasons:
        joined = "; ".join(reasons)
        reason = (joined[0].upper() + joined[1:]
                  + ": choose which values mean churned and which mean renewed.")
    return OutcomeGuess(churned, renewed, open_, _sentence(churned, renewed, open_), reason,
                        unknown)


def describe_outcomes(series: pd.Series | CountedValues, churned_values: Sequence[str],
                      renewed_values: Sequence[str]) -> str:
    """Plain summary of an outcome mapping with row counts.

    Parameters
    ----------
    series : pd.Series or CountedValues
        The outcome column.
    churned_values, renewed_values : sequence of str
        Values meaning churned / renewed (matched ignoring case and spaces).

    Returns
    -------
    str
        E.g. ``Churned = 'Yes' (1,869 rows) · Renewed = 'No' (5,174 rows) · Open = the rest
        (0 rows)``.
    """
    table = _labels(series)
    churn_keys = {str(v).strip().casefold() for v in churned_values}
    renew_keys = {str(v).strip().casefold() for v in renewed_values}
    parts = []
    for title, keys in (("Churned", churn_keys), ("Renewed", renew_keys)):
        hit = table[table["key"].isin(keys)]
        shown = _quote(hit["label"]) or "(nothing chosen)"
        parts.append(f"{title} = {shown} ({int(hit['rows'].sum()):,} rows)")
    rest = table[~table["key"].isin(churn_keys | renew_keys)]
    parts.append(f"Open = the rest ({int(rest['rows'].sum()):,} rows)")
    return " · ".join(parts)


def _covers(roles: ColumnRoles, series: pd.Series) -> bool:
    """True when the roles' outcome values recognise every value of ``series``."""
    known = {v.strip().casefold() for v in (*roles.churned_values, *roles.renewed_values,
                                            *roles.open_values)}
    return set(_labels(series)["key"]) <= known | {""}


def churn_flags(frame: pd.DataFrame, roles: ColumnRoles) -> np.ndarray:
    """Per row: 1.0 churned, 0.0 renewed, NaN open or unknown (all NaN without outcomes).

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    roles : ColumnRoles
        Its roles (outcome column and values).

    Returns
    -------
    np.ndarray
        Float array aligned with ``frame``.
    """
    out = np.full(len(frame), np.nan)
    if not roles.outcome or roles.outcome not in frame.columns:
        return out
    keys = normalise_text(frame[roles.outcome]).fillna("")
    out[keys.isin([v.strip().casefold() for v in roles.churned_values]).to_numpy()] = 1.0
    out[keys.isin([v.strip().casefold() for v in roles.renewed_values]).to_numpy()] = 0.0
    return out
