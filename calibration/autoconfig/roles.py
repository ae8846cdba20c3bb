"""Which column plays which role (account id, dates, segment, ARR, outcome, ...):
detected from names checked against values, or taken from the user's choices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from calibration.autoconfig.outcome_values import (
    CountedValues,
    _covers,
    _labels,
    _quote,
    detect_outcome_values,
)
from calibration.autoconfig.probes import (
    _is_dateish,
    _key,
    _n_levels,
    _numeric_share,
    _tokens,
    _unique_share,
)
from calibration.config import (
    ColumnRoles,
)
from calibration.values import (
    is_blank,
)

ROLE_NAMES = ("account_id", "snapshot_date", "renewal_date", "segment", "arr", "outcome",
              "reference_label", "account_name")

# Normalised column names (lower case, letters and digits only) per role, best first.
_ID_NAMES = ("accountid", "customerid", "clientid", "companyid", "subscriberid", "userid",
             "clientnum", "customernumber", "accountnumber", "accountkey", "id")
_SNAPSHOT_NAMES = ("snapshotdate", "snapshot", "asofdate", "asof", "observationdate",
                   "reportdate", "scoredate", "month", "snapshotmonth", "period", "date")
_RENEWAL_NAMES = ("renewaldate", "renewsat", "renewson", "renewal", "contractenddate",
                  "contractend", "enddate", "termenddate", "expirationdate", "expirydate")
_SEGMENT_NAMES = ("segment", "customersegment", "accountsegment", "tier", "customertier",
                  "plantier", "lifecyclestage")
_ARR_NAMES = ("arr", "acv", "annualrecurringrevenue", "annualrevenue",
              "annualcontractvalue", "arrusd", "currentarr")
_OUTCOME_NAMES = ("outcome", "renewaloutcome", "churn", "churned", "churnflag", "churnstatus",
                  "attritionflag", "attrition", "exited", "renewalstatus", "status",
                  "renewed", "retained")
_REFERENCE_NAMES = ("referencelabel", "reference", "healthlabel", "knownhealth")
_NAME_NAMES = ("accountname", "customername", "companyname", "clientname", "company", "name")


def _is_idlike_name(name: str) -> bool:
    tokens = [t.lower() for t in _tokens(name)]
    key = "".join(tokens)
    return key in _ID_NAMES or (bool(tokens) and tokens[-1] in ("id", "uuid", "key", "num",
                                                                 "number") and len(tokens) > 1)


# --------------------------------------------------------------------------- roles
def _pick(frame: pd.DataFrame, names: Sequence[str], taken: set[str], accept) -> str | None:
    """The first column, in ``names`` order of preference, that ``accept`` accepts."""
    by_key: dict[str, list[str]] = {}
    for column in frame.columns:
        if column not in taken:
            by_key.setdefault(_key(column), []).append(column)
    for wanted in names:
        for column in by_key.get(wanted, []):
            if accept(frame[column]):
                return column
    return None


def _pick_contains(frame: pd.DataFrame, parts: Sequence[str], taken: set[str],
                   accept) -> str | None:
    for column in frame.columns:
        if column in taken:
            continue
        key = _key(column)
        if any(part in key for part in parts) and accept(frame[column]):
            return column
    return None


def _detect_account_id(frame: pd.DataFrame, dated: bool) -> str:
    min_unique = 0.05 if dated else 0.95

    def accept(series: pd.Series) -> bool:
        return _unique_share(series) >= min_unique and not _is_dateish(series)

    found = _pick(frame, _ID_NAMES, set(), accept)
    if found:
        return found
    for column in frame.columns:
        if _is_idlike_name(column) and accept(frame[column]):
            return column
    for column in frame.columns:  # fall back: the first column of unique non-float values
        series = frame[column]
        if pd.api.types.is_float_dtype(series.dtype) or _is_dateish(series):
            continue
        if _unique_share(series) >= 0.999 and not is_blank(series).any():
            return column
    return str(frame.columns[0])


def detect_roles(frame: pd.DataFrame) -> ColumnRoles:
    """Guess which column plays which role from column names, checked against the values.

    Parameters
    ----------
    frame : pd.DataFrame
        The account data as read (one row per account, or per account and snapshot).

    Returns
    -------
    ColumnRoles
        Detected roles; roles not found are None (the account id falls back to the first
        column of unique values, else the first column). Outcome values come from
        :func:`detect_outcome_values` (defaults when they cannot be told apart).

    Notes
    -----
    ARR is only taken from a name that says annual revenue (arr, acv, annual...): monthly
    charges times 12 is not ARR.
    """
    if frame.shape[1] == 0:
        raise ValueError("the data has no columns")
    taken: set[str] = set()
    snapshot = _pick(frame, _SNAPSHOT_NAMES, taken, _is_dateish)
    if snapshot:
        taken.add(snapshot)
    renewal = _pick(frame, _RENEWAL_NAMES, taken, _is_dateish) or _pick_contains(
        frame, ("renewal", "renews"), taken, _is_dateish)
    if snapshot is None:  # a date-typed column not named like a renewal date
        for column in frame.columns:
            if column != renewal and pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
                snapshot = column
                break
    taken |= {c for c in (snapshot, renewal) if c}
    dated = snapshot is not None
    account_id = _detect_account_id(frame.drop(columns=list(taken)), dated) if len(
        frame.columns) > len(taken) else str(frame.columns[0])
    taken.add(account_id)

    def few_levels(limit: int):
        return lambda s: 1 <= _n_levels(s) <= limit and not _is_dateish(s)

    outcome = _pick(frame, _OUTCOME_NAMES, taken, few_levels(10))
    if outcome:
        taken.add(outcome)
    arr = _pick(frame, _ARR_NAMES, taken, lambda s: _numeric_share(s) >= 0.95) or \
        _pick_contains(frame, ("annualrecurring", "annualrevenue", "annualcontract"), taken,
                       lambda s: _numeric_share(s) >= 0.95)
    if arr:
        taken.add(arr)
    segment = _pick(frame, _SEGMENT_NAMES, taken, few_levels(50)) or _pick_contains(
        frame, ("segment",), taken, few_levels(50))
    if segment:
        taken.add(segment)
    reference = _pick(frame, _REFERENCE_NAMES, taken, few_levels(10))
    if reference:
        taken.add(reference)
    name = _pick(frame, _NAME_NAMES, taken, lambda s: _numeric_share(s) < 0.5)

    raw: dict[str, Any] = {
        "account_id": account_id, "snapshot_date": snapshot, "renewal_date": renewal,
        "segment": segment, "arr": arr, "outcome": outcome, "reference_label": reference,
        "account_name": name,
    }
    if outcome:
        guess = detect_outcome_values(frame[outcome])
        if guess.churned_values and guess.renewed_values:
            raw.update(churned_values=guess.churned_values,
                       renewed_values=guess.renewed_values, open_values=guess.open_values)
    return ColumnRoles.model_validate(raw)


def roles_with_outcomes(roles: dict[str, str | None],
                        series: pd.Series | CountedValues | None,
                        churned_values: Sequence[str], renewed_values: Sequence[str]
                        ) -> ColumnRoles:
    """Column roles from the user's choices; every other outcome value counts as open.

    Parameters
    ----------
    roles : dict
        Role name -> column (None for not mapped); ``account_id`` is required.
    series : pd.Series, CountedValues or None
        The chosen outcome column's values (None when no outcome column).
    churned_values, renewed_values : sequence of str
        The values the user marked as churned / renewed.

    Returns
    -------
    ColumnRoles
        Validated roles.

    Raises
    ------
    ValueError
        When the account id is missing, a column plays two roles, the outcome needs churned
        and renewed values, or a value is marked both churned and renewed.
    """
    unknown_roles = set(roles) - set(ROLE_NAMES)
    if unknown_roles:
        raise ValueError(f"unknown role(s): {', '.join(sorted(unknown_roles))}")
    if not roles.get("account_id"):
        raise ValueError("choose the account id column")
    used = [c for c in roles.values() if c]
    twice = sorted({c for c in used if used.count(c) > 1})
    if twice:
        raise ValueError(f"a column can play only one role: {', '.join(twice)}")
    raw: dict[str, Any] = {role: roles.get(role) for role in ROLE_NAMES}
    if roles.get("outcome"):
        churned = [str(v) for v in churned_values]
        renewed = [str(v) for v in renewed_values]
        if not churned or not renewed:
            raise ValueError("choose at least one value that means churned and one that means "
                             "renewed")
        both = {v.strip().casefold() for v in churned} & {v.strip().casefold() for v in renewed}
        if both:
            raise ValueError(f"{_quote(sorted(both))} cannot mean both churned and renewed")
        chosen = {v.strip().casefold() for v in churned + renewed}
        rest = [] if series is None else [
            label for key, label in zip(*(_labels(series)[c] for c in ("key", "label")),
                                        strict=True) if key not in chosen and key != ""]
        raw.update(churned_values=churned, renewed_values=renewed, open_values=[*rest, ""])
    return ColumnRoles.model_validate(raw)


def initial_roles(frame: pd.DataFrame, current: ColumnRoles) -> ColumnRoles:
    """Roles to pre-fill: the current config's columns where the data has them, else detected.

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    current : ColumnRoles
        The draft config's roles.

    Returns
    -------
    ColumnRoles
        Merged roles: when the data has the current account id column, every current role
        whose column exists (or that is unmapped) is kept, the others detected; otherwise
        all detected. Outcome values are kept from ``current`` when its outcome column is
        kept and they recognise every value in the data, else detected.
    """
    columns = set(frame.columns)
    keep_id = current.account_id in columns
    # detection reads every row: only when a role is not kept (data the draft does not fit)
    detected = None if keep_id and all(
        getattr(current, role) in (None, *columns) for role in ROLE_NAMES) else (
        detect_roles(frame))
    raw: dict[str, Any] = {}
    used: set[str] = set()
    for role in ROLE_NAMES:
        mine = getattr(current, role)
        keep = keep_id and (mine is None or mine in columns)
        chosen = mine if keep else getattr(detected, role)
        if chosen in used:
            chosen = None
        raw[role] = chosen
        if chosen:
            used.add(chosen)
    if not raw["account_id"]:  # only without the current id column: detected is set
        raw["account_id"] = detected.account_id
    return with_outcome_values(raw, current, frame)


def with_outcome_values(raw: dict[str, Any], current: ColumnRoles,
                        frame: pd.DataFrame) -> ColumnRoles:
    """``raw`` roles completed with outcome values: ``current``'s when ``raw`` keeps its
    outcome column and they recognise every value in the data, else detected (none when
    detection finds no churned and renewed values)."""
    values = ColumnRoles()
    if raw["outcome"] and raw["outcome"] == current.outcome and _covers(
            current, frame[raw["outcome"]]):
        values = current
    elif raw["outcome"]:
        guess = detect_outcome_values(frame[raw["outcome"]])
        if guess.churned_values and guess.renewed_values:
            values = ColumnRoles(churned_values=guess.churned_values,
                                 renewed_values=guess.renewed_values,
                                 open_values=guess.open_values)
    raw.update(churned_values=values.churned_values, renewed_values=values.renewed_values,
               open_values=values.open_values)
    return ColumnRoles.model_validate(raw)
