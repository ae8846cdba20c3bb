"""Load account data (CSV, Parquet, SQL), map column roles, and report data quality
(:mod:`calibration.data_quality`; files are read by :mod:`calibration.data_files`).

Nothing is dropped silently: every excluded or unreadable row is counted and listed in the
:class:`QualityReport`, with row numbers as a spreadsheet shows them (header = row 1).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibration.config import (
    BooleanRule,
    ColumnRoles,
    Config,
    MappingRule,
    check_columns,
)
from calibration.data_files import read_table
from calibration.data_quality import DataError, QualityReport
from calibration.dates import parse_dates
from calibration.values import as_boolean, as_number, is_blank, normalise_text

OUTCOMES = ("churned", "renewed", "open")
REFERENCE_WORDS = {
    "known_healthy": "known_healthy", "healthy": "known_healthy", "good": "known_healthy",
    "known_struggling": "known_struggling", "struggling": "known_struggling",
    "at risk": "known_struggling", "at_risk": "known_struggling", "unhealthy": "known_struggling",
}



# --------------------------------------------------------------------------- prepared table
@dataclass(frozen=True)
class AccountTable:
    """Validated account rows with their roles resolved.

    ``frame`` keeps the user's columns (excluded rows removed, index 0..n-1); the role arrays
    are aligned with it.
    """

    frame: pd.DataFrame
    roles: ColumnRoles
    report: QualityReport
    account_id: np.ndarray
    snapshot_date: np.ndarray  # datetime64[ns], all NaT for single-snapshot data
    renewal_date: np.ndarray  # datetime64[ns]
    outcome: np.ndarray  # "churned" / "renewed" / "open"
    arr: np.ndarray  # float (NaN unknown)
    reference: np.ndarray  # "known_healthy" / "known_struggling" / ""
    row_number: np.ndarray  # spreadsheet row number of each row (header = 1)
    renewals: pd.DataFrame | None = None  # canonical renewals table (calibration.renewals)

    @functools.cached_property
    def cross_sectional(self) -> bool:
        """True when there are no snapshot dates (one row per account, no history). Read
        once per table: the frame and every page ask on each full run, and a scan of every
        snapshot date (1.8M at 100k accounts) cost ~3 ms each time."""
        return bool(np.isnat(self.snapshot_date).all())

    def __len__(self) -> int:
        return len(self.frame)

    def canonical(self) -> pd.DataFrame:
        """Role columns under fixed names (account_id, snapshot_date, renewal_date,
        outcome, arr, reference_label) for history and metrics code.

        Built once per table (2 s at 1.8M rows) and handed out as a copy-on-write copy, so
        callers may modify what they get."""
        return self._canonical.copy(deep=False)

    @functools.cached_property
    def _canonical(self) -> pd.DataFrame:
        # copy=False: the date and ARR columns are the role arrays themselves (~44 MB less
        # at 1.8M rows); copy-on-write copies a column before anyone writes to it
        return pd.DataFrame({
            "account_id": self.account_id, "snapshot_date": self.snapshot_date,
            "renewal_date": self.renewal_date, "outcome": self.outcome, "arr": self.arr,
            "reference_label": self.reference,
        }, copy=False)

    def fingerprint(self) -> dict[str, Any]:
        """Rows, accounts, period and a content hash: identifies the data behind evidence."""
        return dict(self._fingerprint)

    @functools.cached_property
    def _fingerprint(self) -> dict[str, Any]:
        digest = hashlib.sha256(
            pd.util.hash_pandas_object(self.frame, index=False).to_numpy().tobytes()
        ).hexdigest()[:16]
        dates = self.snapshot_date[~np.isnat(self.snapshot_date)]
        period = None if dates.size == 0 else [str(dates.min())[:10], str(dates.max())[:10]]
        out = {"source": self.report.source, "rows": len(self), "accounts":
               int(pd.unique(self.account_id).size), "period": period, "sha256": digest}
        if self.renewals is not None:
            out["renewals"] = {
                "source": self.renewals.attrs.get("source", "renewals table"),
                "rows": len(self.renewals),
                "sha256": hashlib.sha256(pd.util.hash_pandas_object(
                    self.renewals, index=False).to_numpy().tobytes()).hexdigest()[:16]}
        return out


def prepare(frame: pd.DataFrame, roles: ColumnRoles, config: Config | None = None,
            source: str = "data") -> AccountTable:
    """Map roles, validate and build an :class:`AccountTable`.

    Raises :class:`DataError` when the data cannot be used (the report lists every problem).
    """
    report = QualityReport(source, n_rows_read=len(frame))
    row_number = np.arange(len(frame)) + 2
    _check_role_columns(frame, roles, config, report)
    if not report.ok:
        raise DataError(report)
    keep = np.ones(len(frame), dtype=bool)

    ids = normalise_ids(frame[roles.account_id])
    blank_id = ids == ""
    if blank_id.any():
        report.add("warning", "blank account id: rows excluded", roles.account_id, blank_id,
                   row_number, excluded=True)
        keep &= ~blank_id

    snapshot = _dates(frame, roles.snapshot_date, report, row_number, "snapshot date", keep)
    bad_snapshot = np.isnat(snapshot) & ~_blank_column(frame, roles.snapshot_date)
    keep &= ~bad_snapshot
    undated = np.isnat(snapshot) & ~bad_snapshot & keep
    if undated.any() and (~np.isnat(snapshot[keep])).any():
        report.add("warning", "blank snapshot date in dated data: rows excluded (each row "
                   "must say when it was observed)", roles.snapshot_date, undated, row_number,
                   excluded=True)
        keep &= ~undated
    if roles.snapshot_date and np.isnat(snapshot[keep]).all() and keep.any():
        report.add("info", "no snapshot dates: single-snapshot (cross-sectional) data, "
                   "validated without a horizon or history", roles.snapshot_date)
    renewal = _dates(frame, roles.renewal_date, report, row_number, "renewal date")
    outcome = _outcomes(frame, roles, report, row_number)
    arr = _arr(frame, roles.arr, report, row_number)
    reference = _reference(frame, roles.reference_label, report, row_number)

    dupes = np.zeros(len(frame), dtype=bool)  # among kept rows: an excluded row is no original
    dupes[keep] = _duplicates(ids[keep], snapshot[keep])
    if dupes.any():
        report.add("warning", "duplicate account + snapshot date: kept the first row of each, "
                   "later duplicates excluded", roles.account_id, dupes, row_number,
                   excluded=True)
        keep &= ~dupes
    if config is not None:
        _check_factor_values(frame, config, report, row_number, keep)
    report.n_rows_used = int(keep.sum())
    report.n_accounts = int(pd.unique(ids[keep]).size)
    if len(frame) == 0:
        report.add("error", "the file has no data rows (only a header)")
    elif report.n_rows_used == 0:
        report.add("error", "no usable rows left after the exclusions above")
    if not report.ok:
        raise DataError(report)
    rows = np.flatnonzero(keep)
    # nothing excluded: the rows as read (pandas' copy-on-write keeps the caller's frame and
    # this one apart) instead of a copy of every column (1.8M rows: ~0.5 GB and seconds)
    kept = frame.reset_index(drop=True) if rows.size == len(frame) else frame.iloc[
        rows].reset_index(drop=True)
    return AccountTable(
        frame=kept, roles=roles, report=report,
        account_id=ids[rows], snapshot_date=snapshot[rows], renewal_date=renewal[rows],
        outcome=outcome[rows], arr=arr[rows], reference=reference[rows],
        row_number=row_number[rows],
    )


def quality_with_factors(table: AccountTable, frame: pd.DataFrame,
                         config: Config | None) -> QualityReport:
    """``prepare(frame, table.roles, config).report`` without preparing again.

    ``table`` must be ``prepare(frame, table.roles)`` (no config): a config only adds the
    checks of its factors' values (after every other issue, on the rows kept), so this is
    a copy of the table's report with those checks appended. A config whose columns the
    data lacks is left to :func:`prepare` (it reports them as errors).

    Parameters
    ----------
    table : AccountTable
        The prepared table of ``frame``.
    frame : pd.DataFrame
        The data as read (every row, before exclusions).
    config : Config or None
        The config whose factor values to check (None: the table's report as is).

    Returns
    -------
    QualityReport
        Equal to the report :func:`prepare` gives for ``frame``, ``table.roles`` and
        ``config`` (or the one its DataError carries).
    """
    if config is not None and check_columns(config, frame.columns):
        try:
            return prepare(frame, table.roles, config, source=table.report.source).report
        except DataError as error:
            return error.report
    report = replace(table.report, issues=list(table.report.issues))
    if config is not None:
        keep = np.zeros(len(frame), dtype=bool)
        keep[table.row_number - 2] = True
        _check_factor_values(frame, config, report, np.arange(len(frame)) + 2, keep)
    return report


def _check_role_columns(frame: pd.DataFrame, roles: ColumnRoles, config: Config | None,
                        report: QualityReport) -> None:
    available = list(frame.columns)
    for role in ("account_id", "snapshot_date", "segment", "arr", "outcome", "renewal_date",
                 "reference_label", "account_name"):
        column = getattr(roles, role)
        if column is not None and column not in frame.columns:
            close = _closest(column, available)
            hint = f" (did you mean {close!r}?)" if close else ""
            report.add("error", f"the {role.replace('_', ' ')} column {column!r} is not in the "
                       f"file{hint}; columns found: {', '.join(available[:30])}")
    if config is not None:
        for problem in check_columns(config, frame.columns):
            report.add("error", problem)


def _closest(name: str, options: list[str]) -> str | None:
    match = difflib.get_close_matches(name.casefold(), [o.casefold() for o in options], n=1)
    if not match:
        return None
    return next(o for o in options if o.casefold() == match[0])


def normalise_ids(values: pd.Series) -> np.ndarray:
    """Account ids as stripped strings ('' for blank); whole-number floats lose '.0'.

    Normalised once per distinct id and handed out as one shared string object per id
    (1.8M snapshot rows of 100k accounts hold 100k strings, not 1.8M: about 100 MB less),
    the same text as normalising every row. A column mixing Python types (``1`` and
    ``1.0`` are one key but two texts) takes the per-row path."""
    if not (pd.api.types.is_numeric_dtype(values.dtype) or _all_strings(values)):
        return _normalise_ids(values)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = _normalise_ids(pd.Series(uniques, dtype=values.dtype))
    return np.append(distinct, "")[codes]  # code -1 (missing): blank


def _normalise_ids(values: pd.Series) -> np.ndarray:
    text = normalise_text(values) if pd.api.types.is_numeric_dtype(values.dtype) else (
        values.astype("string").str.strip())
    return np.asarray(pd.Series(text).fillna("").astype(object).to_numpy(), dtype=object)


def _all_strings(values: pd.Series) -> bool:
    """Only text (or missing values): equal keys are the same text."""
    if isinstance(values.dtype, pd.StringDtype):
        return True
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
        "string", "empty")


def _blank_column(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.ones(len(frame), dtype=bool)
    return is_blank(frame[column])


def _dates(frame: pd.DataFrame, column: str | None, report: QualityReport,
           row_number: np.ndarray, what: str, keep: np.ndarray | None = None) -> np.ndarray:
    """Parse a date column; with ``keep`` unreadable dates exclude their (still kept) rows,
    without it they only become unknown."""
    if column is None:
        return np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[ns]")
    parsed = parse_dates(frame[column], what)
    for severity, message, mask in parsed.notes:
        report.add(severity, message, column, mask, row_number)
    bad = parsed.unreadable.copy()
    if keep is not None:
        bad &= keep  # rows already excluded for another reason are listed there only
        fate = "rows excluded"
    else:
        fate = f"{what} treated as unknown"
    if bad.any():
        report.add("warning", f"unreadable {what}: {fate} (expected a date such as "
                   "2026-03-31)", column, bad, row_number, excluded=keep is not None)
    return parsed.values


def _outcomes(frame: pd.DataFrame, roles: ColumnRoles, report: QualityReport,
              row_number: np.ndarray) -> np.ndarray:
    if roles.outcome is None:
        return np.full(len(frame), "open", dtype=object)
    text = normalise_text(frame[roles.outcome]).fillna("")
    lookup = {}
    for label, values in (("churned", roles.churned_values), ("renewed", roles.renewed_values),
                          ("open", roles.open_values)):
        lookup.update({v.strip().casefold(): label for v in values})
    # each distinct label looked up once; every row then holds one of the three shared
    # label strings (not a string object of its own: 1.8M rows, ~100 MB)
    codes, distinct = pd.factorize(text)
    mapped = pd.Series(np.array([lookup.get(v) for v in distinct] + [None],
                                dtype=object)[codes], index=text.index, dtype=object)
    unknown = mapped.isna().to_numpy()
    if unknown.any():
        labels = pd.Series(frame[roles.outcome][unknown]).astype(str).value_counts().head(8)
        listing = ", ".join(f"{k!r} ({v})" for k, v in labels.items())
        report.add("error", f"unknown outcome label(s): {listing}; expected churned values "
                   f"{roles.churned_values}, renewed values {roles.renewed_values} or open "
                   f"values {roles.open_values} (map them on the Data page or in "
                   "columns.churned_values / renewed_values)", roles.outcome, unknown,
                   row_number)
    return mapped.fillna("open").to_numpy(dtype=object)


def _arr(frame: pd.DataFrame, column: str | None, report: QualityReport,
         row_number: np.ndarray) -> np.ndarray:
    if column is None:
        return np.full(len(frame), np.nan)
    numbers, bad = as_number(frame[column])
    if bad.any():
        report.add("warning", "ARR is not a number: revenue treated as unknown for these rows",
                   column, bad, row_number)
    negative = numbers < 0
    if negative.any():
        report.add("warning", "negative ARR: treated as unknown", column, negative, row_number)
        numbers = np.where(negative, np.nan, numbers)
    return numbers


def _reference(frame: pd.DataFrame, column: str | None, report: QualityReport,
               row_number: np.ndarray) -> np.ndarray:
    if column is None:
        return np.full(len(frame), "", dtype=object)
    text = normalise_text(frame[column]).fillna("")
    codes, labels = pd.factorize(text)  # every row is text: map each distinct label once
    mapped = pd.Series(np.array([REFERENCE_WORDS.get(v.replace("-", " "), "" if v == "" else None)
                                 for v in labels], dtype=object)[codes], index=text.index,
                       dtype=object)
    unknown = mapped.isna().to_numpy()
    if unknown.any():
        report.add("warning", "reference label not recognised (expected known_healthy or "
                   "known_struggling): treated as no label", column, unknown, row_number)
    return mapped.fillna("").to_numpy(dtype=object)


def _duplicates(ids: np.ndarray, snapshot: np.ndarray) -> np.ndarray:
    keys = pd.DataFrame({"id": ids, "at": snapshot})
    return keys.duplicated(keep="first").to_numpy()


def _check_factor_values(frame: pd.DataFrame, config: Config, report: QualityReport,
                         row_number: np.ndarray, keep: np.ndarray) -> None:
    for factor in config.factors:
        values = frame[factor.column]
        rule = factor.rule
        policy = ("scored as missing (factor left out, weights renormalised)"
                  if factor.missing == "skip" else
                  f"scored as missing ({factor.missing_points:g} points)")
        if isinstance(rule, MappingRule):
            known = {k.strip().casefold() for k in rule.points}
            text = normalise_text(values)
            unmapped = (text.notna() & ~text.isin(known)).to_numpy(dtype=bool) & keep
            if unmapped.any():
                seen = ", ".join(repr(v) for v in pd.unique(values[unmapped].astype(str))[:6])
                fate = (f"given {rule.default:g} points" if rule.default is not None
                        else policy)
                report.add("warning", f"factor {factor.name!r}: categories {seen} are not in "
                           f"the mapping: {fate}", factor.column, unmapped, row_number)
            continue
        if isinstance(rule, BooleanRule):
            _, bad = as_boolean(values)
            what = "not yes/no"
        else:
            _, bad = as_number(values)
            what = "text in a numeric column"
        bad &= keep
        if bad.any():
            report.add("warning", f"factor {factor.name!r}: {what}: {policy}", factor.column,
                       bad, row_number)
        missing = is_blank(values) & keep
        if missing.any():
            share = missing.sum() / max(keep.sum(), 1)
            report.add("info", f"factor {factor.name!r}: {int(missing.sum()):,} rows "
                       f"({share:.1%}) have no value: {policy}", factor.column, missing,
                       row_number)


def load_accounts(path: str | Path, config: Config, name: str | None = None) -> AccountTable:
    """Read a file and prepare it with the config's column roles."""
    frame = read_table(path, name)
    return prepare(frame, config.columns, config, source=name or str(path))
