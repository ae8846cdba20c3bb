"""A separate renewals table: one row per renewal (account id, renewal date, outcome, ARR).

CRMs keep renewal opportunities apart from usage data. Given such a table, decisions come
from it (joined to the snapshot table by account id) instead of from outcome columns in the
snapshots; see :mod:`calibration.decisions`. Columns are found under the config's role names
(``columns.account_id``, ``renewal_date``, ``outcome``, ``arr``), else detected by name.
Outcome values are mapped with the same ``churned_values`` / ``renewed_values`` /
``open_values`` as the snapshot table; dates get the one normalisation of
:mod:`calibration.dates`.

Pure computation; never imports streamlit.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.accounts import AccountTable, _closest, _dates, _outcomes, normalise_ids, prepare
from calibration.config import ColumnRoles, Config
from calibration.data_files import read_table
from calibration.data_quality import DataError, QualityReport

CANONICAL = ("account_id", "renewal_date", "outcome", "arr")


def renewal_roles(frame: pd.DataFrame, roles: ColumnRoles) -> dict[str, str | None]:
    """Which column of a renewals table holds the account id, renewal date, outcome and ARR:
    the config's column names when present, else the detected ones (ARR may be None)."""
    from calibration.autoconfig.roles import detect_roles

    found: dict[str, str | None] = {}
    detected = None
    for role in CANONICAL:
        name = getattr(roles, role)
        if name is not None and name in frame.columns:
            found[role] = name
            continue
        if detected is None:
            try:
                detected = detect_roles(frame)
            except ValueError:
                detected = ColumnRoles(account_id=str(frame.columns[0]) if len(
                    frame.columns) else "account_id", snapshot_date=None, segment=None,
                    arr=None, outcome=None, renewal_date=None, reference_label=None)
        guess = getattr(detected, role)
        found[role] = guess if guess in frame.columns else None
    return found


def prepare_renewals(frame: pd.DataFrame, roles: ColumnRoles, source: str = "renewals"
                     ) -> tuple[pd.DataFrame, QualityReport]:
    """Validate a renewals table and return it in canonical form with its quality report.

    Blank account ids are excluded (listed); unreadable renewal dates become unknown (the
    decision is then reported as having no renewal date); unknown outcome labels are an
    error naming the labels and rows. Raises :class:`~calibration.data_quality.DataError`.
    """
    report = QualityReport(source, n_rows_read=len(frame))
    row_number = np.arange(len(frame)) + 2
    columns = renewal_roles(frame, roles)
    for role in ("account_id", "renewal_date", "outcome"):
        if columns[role] is None:
            wanted = getattr(roles, role) or role
            close = _closest(wanted, list(frame.columns))
            hint = f" (did you mean {close!r}?)" if close else ""
            report.add("error", f"the renewals table needs a column for the "
                       f"{role.replace('_', ' ')}: {wanted!r} is not in it{hint}; columns "
                       f"found: {', '.join(map(str, list(frame.columns)[:30]))} (rename the "
                       f"column to {wanted!r}, or set columns.{role} in the config)")
    if len(frame) == 0:
        report.add("error", "the renewals table has no data rows (only a header)")
    if not report.ok:
        raise DataError(report)
    ids = normalise_ids(frame[columns["account_id"]])
    blank = ids == ""
    if blank.any():
        report.add("warning", "blank account id: renewals excluded", columns["account_id"],
                   blank, row_number, excluded=True)
    renewal = _dates(frame, columns["renewal_date"], report, row_number, "renewal date")
    mapped = _outcome_roles(frame[columns["outcome"]], roles, report).model_copy(
        update={"outcome": columns["outcome"]})
    outcome = _outcomes(frame, mapped, report, row_number)
    if not report.ok:
        raise DataError(report)
    arr = np.full(len(frame), np.nan)
    if columns["arr"] is not None:
        from calibration.accounts import _arr

        arr = _arr(frame, columns["arr"], report, row_number)
    keep = ~blank
    report.n_rows_used = int(keep.sum())
    report.n_accounts = int(pd.unique(ids[keep]).size)
    canonical = pd.DataFrame({"account_id": ids[keep], "renewal_date": renewal[keep],
                              "outcome": outcome[keep], "arr": arr[keep]})
    canonical.attrs["columns"] = columns
    canonical.attrs["source"] = source
    return canonical, report


def _outcome_roles(series: pd.Series, roles: ColumnRoles, report: QualityReport
                   ) -> ColumnRoles:
    """The roles' outcome values when they cover the renewals table's labels; else the
    detected meaning of its labels (CRM words such as Closed Lost / Closed Won), noted."""
    from calibration.autoconfig.outcome_values import detect_outcome_values
    from calibration.values import normalise_text

    known = {v.strip().casefold() for v in
             [*roles.churned_values, *roles.renewed_values, *roles.open_values]}
    labels = set(normalise_text(series).dropna().tolist()) - {""}
    if labels <= known:
        return roles
    guess = detect_outcome_values(series)
    if not guess.confident:
        return roles  # the unknown labels are then reported as an error, with the rows
    report.add("info", f"renewals table outcomes read as: {guess.sentence}", series.name)
    return roles.model_copy(update={"churned_values": guess.churned_values,
                                    "renewed_values": guess.renewed_values,
                                    "open_values": [*guess.open_values, ""]})


def attach_renewals(table: AccountTable, renewals: pd.DataFrame) -> AccountTable:
    """The same table with its decisions taken from ``renewals`` (canonical form, see
    :func:`prepare_renewals`)."""
    return dataclasses.replace(table, renewals=renewals)


def snapshot_roles(frame: pd.DataFrame, roles: ColumnRoles) -> ColumnRoles:
    """Roles for a snapshot table whose outcomes live in a renewals table: the outcome and
    renewal-date roles are dropped when the snapshot file lacks those columns."""
    update = {role: None for role in ("outcome", "renewal_date")
              if getattr(roles, role) is not None and getattr(roles, role) not in frame.columns}
    return roles.model_copy(update=update) if update else roles


def load_with_renewals(data: str | Path, config: Config, renewals: str | Path | None = None
                       ) -> tuple[AccountTable, QualityReport | None]:
    """Read the snapshot file (and the renewals file, when given) with the config's roles.

    Returns the table (renewals attached) and the renewals table's quality report (None
    without one). Raises :class:`~calibration.data_quality.DataError` naming the file.
    """
    frame = read_table(data)
    if renewals is None:
        return prepare(frame, config.columns, config, source=str(data)), None
    roles = snapshot_roles(frame, config.columns)
    table = prepare(frame, roles, config.model_copy(update={"columns": roles}),
                    source=str(data))
    canonical, report = prepare_renewals(read_table(renewals), config.columns, str(renewals))
    return attach_renewals(table, canonical), report
