"""First guesses for new data: column roles, outcome labels, factor rules, a starter config.

Everything here is a *suggestion* the Data page pre-fills and the user confirms; nothing is
applied silently. Detection is name-based first and checked against the values (a column
called ``month`` is only a snapshot date if its values read as dates).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from calibration.config import (
    BooleanRule,
    ColumnRoles,
    Config,
    ConfigError,
    Factor,
    LinearRule,
    MappingRule,
    config_from_dict,
)
from calibration.values import (
    FALSE_WORDS,
    MISSING_WORDS,
    TRUE_WORDS,
    as_boolean,
    as_number,
    is_blank,
    normalise_text,
)

MAX_LEVELS = 20
"""Most categories a text column may have to be scored as a category (else: free text)."""
MAX_STARTER_FACTORS = 12
BLANK_LABEL = "(blank)"
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


def _labels(series: pd.Series) -> pd.DataFrame:
    """Distinct values grouped case-insensitively: key, label (commonest spelling), rows."""
    keys = normalise_text(series)
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        shown = keys
    else:
        shown = series.astype("string").str.strip().astype(object).where(keys.notna(), None)
    data = pd.DataFrame({"key": keys.fillna("").to_numpy(dtype=object),
                         "label": shown.fillna("").to_numpy(dtype=object)})
    counts = data.value_counts(["key", "label"], sort=True).reset_index(name="rows")
    label = counts.drop_duplicates("key").set_index("key")["label"]
    rows = counts.groupby("key", sort=False)["rows"].sum()
    out = pd.DataFrame({"key": rows.index, "label": label.reindex(rows.index).to_numpy(),
                        "rows": rows.to_numpy()})
    return out.sort_values(["rows", "key"], ascending=[False, True]).reset_index(drop=True)


def outcome_counts(series: pd.Series) -> pd.DataFrame:
    """Distinct outcome values with row counts, most common first.

    Parameters
    ----------
    series : pd.Series
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


def detect_outcome_values(series: pd.Series, column: str | None = None) -> OutcomeGuess:
    """Guess which values of an outcome column mean churned, renewed or still open.

    Parameters
    ----------
    series : pd.Series
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


def describe_outcomes(series: pd.Series, churned_values: Sequence[str],
                      renewed_values: Sequence[str]) -> str:
    """Plain summary of an outcome mapping with row counts.

    Parameters
    ----------
    series : pd.Series
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


def roles_with_outcomes(roles: dict[str, str | None], series: pd.Series | None,
                        churned_values: Sequence[str], renewed_values: Sequence[str]
                        ) -> ColumnRoles:
    """Column roles from the user's choices; every other outcome value counts as open.

    Parameters
    ----------
    roles : dict
        Role name -> column (None for not mapped); ``account_id`` is required.
    series : pd.Series or None
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
    detected = detect_roles(frame)
    columns = set(frame.columns)
    keep_id = current.account_id in columns
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
    if not raw["account_id"]:
        raw["account_id"] = detected.account_id
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


# --------------------------------------------------------------------------- factors
def _flags(churned: Any, n: int) -> np.ndarray | None:
    """Churn flags as float (1 churned, 0 renewed, NaN unknown), or None when not known."""
    if churned is None:
        return None
    array = np.asarray(churned)
    if array.shape != (n,):
        raise ValueError(f"churned has shape {array.shape} for {n} rows")
    if array.dtype.kind in "biuf":
        numbers = array.astype(float)
        out = np.where(numbers == 1, 1.0, np.where(numbers == 0, 0.0, np.nan))
    else:
        text = normalise_text(pd.Series(array, dtype=object)).fillna("").to_numpy(dtype=object)
        out = np.full(n, np.nan)
        out[np.isin(text, ["1", "1.0", "true", "churned"])] = 1.0
        out[np.isin(text, ["0", "0.0", "false", "renewed"])] = 0.0
    decided = out[~np.isnan(out)]
    if decided.size == 0 or decided.min() == decided.max():
        return None  # one class only: nothing to learn a direction from
    return out


def _kind(series: pd.Series) -> str:
    """boolean / numeric / text-numeric / category / free-text / constant."""
    values = _non_blank(series)
    if values.empty:
        return "constant"
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean" if values.nunique() == 2 else "constant"
    keys = set(normalise_text(values).dropna())
    if len(keys) <= 1:
        return "constant"
    if len(keys) == 2 and keys <= (TRUE_WORDS | FALSE_WORDS) and keys & TRUE_WORDS and \
            keys & FALSE_WORDS:
        return "boolean"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "numeric"
    if _numeric_share(series) >= 0.95:
        return "text-numeric"
    if _is_dateish(series):
        return "date"
    return "category" if len(keys) <= MAX_LEVELS else "free-text"


def _churn_mean_rank_gap(numbers: np.ndarray, flags: np.ndarray) -> float:
    """Mean rank of churned minus renewed values (positive: churned accounts are higher)."""
    known = ~np.isnan(numbers) & ~np.isnan(flags)
    if known.sum() < 2:
        return 0.0
    ranks = pd.Series(numbers[known]).rank().to_numpy()
    churn = flags[known] == 1.0
    if churn.all() or not churn.any():
        return 0.0
    return float(ranks[churn].mean() - ranks[~churn].mean())


def _round(value: float) -> float:
    if value == 0 or not math.isfinite(value):
        return float(value)
    digits = max(0, 3 - math.floor(math.log10(abs(value))))
    return float(round(value, digits))


def suggest_factor(frame: pd.DataFrame, column: str, churned: Any = None) -> Factor:
    """A first scoring rule for one column.

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    column : str
        The column to score.
    churned : array_like, optional
        Per row 1/True/"churned" for churned, 0/False/"renewed" for renewed, anything else
        (NaN, "open") unknown. When given with both classes, directions and category points
        follow the data.

    Returns
    -------
    Factor
        Weight 1 (set real weights afterwards), group "Overall", name = prettified column:

        - numbers (also numbers stored as text, noted in the description): linear from the
          10th to the 90th percentile; lower_is_better when churned accounts have higher
          values, else higher_is_better;
        - two yes/no-style values: boolean (true scores 0 when "yes" churns more);
        - other text with at most 20 categories: mapping whose points are each category's
          renewal rate rescaled to 0-100 (evenly spaced, alphabetical, without outcomes);
          unlisted categories count as missing.

    Raises
    ------
    ValueError
        For a missing column, a constant column, dates, or free text with too many values.
    """
    if column not in frame.columns:
        raise ValueError(f"column {column!r} is not in the data")
    series = frame[column]
    flags = _flags(churned, len(frame))
    kind = _kind(series)
    name = prettify(column)
    base: dict[str, Any] = {"name": name, "column": column, "weight": 1.0}
    if kind == "constant":
        raise ValueError(f"column {column!r} has fewer than two different values")
    if kind == "date":
        raise ValueError(f"column {column!r} holds dates, not a health signal")
    if kind == "free-text":
        raise ValueError(f"column {column!r} has more than {MAX_LEVELS} different values: "
                         "free text cannot be scored as categories")
    if kind == "boolean":
        truth, _ = as_boolean(series)
        churn_true = flags is not None and _rate(flags, truth == 1.0) > _rate(
            flags, truth == 0.0)
        note = ("From the data: accounts with 'yes' churn more, so 'yes' scores 0."
                if churn_true else "")
        return Factor(**base, direction="lower_is_better" if churn_true else "higher_is_better",
                      rule=BooleanRule(true_points=0.0 if churn_true else 100.0,
                                       false_points=100.0 if churn_true else 0.0),
                      description=note)
    if kind in ("numeric", "text-numeric"):
        numbers, bad = as_number(series)
        finite = numbers[np.isfinite(numbers)]
        lo, hi = (float(x) for x in np.percentile(finite, [10, 90]))
        if hi <= lo:
            lo, hi = float(finite.min()), float(finite.max())
        lo, hi = _round(lo), _round(hi)
        if hi <= lo:
            raise ValueError(f"column {column!r} has fewer than two different numbers")
        gap = 0.0 if flags is None else _churn_mean_rank_gap(numbers, flags)
        direction = "lower_is_better" if gap > 0 else "higher_is_better"
        notes = []
        if kind == "text-numeric":
            blank = int(is_blank(series).sum())
            notes.append(f"Numbers stored as text: {blank:,} blank and {int(bad.sum()):,} "
                         "unreadable values are scored as missing.")
        if flags is not None:
            notes.append("From the data: churned accounts have "
                         f"{'higher' if gap > 0 else 'lower'} values.")
        notes.append("Scale runs from the 10th to the 90th percentile.")
        return Factor(**base, direction=direction, rule=LinearRule(lo=lo, hi=hi),
                      description=" ".join(notes))
    return _mapping_factor(series, base, flags)


def _rate(flags: np.ndarray, rows: np.ndarray) -> float:
    """Churn rate among decided rows of ``rows`` (NaN when none)."""
    decided = rows & ~np.isnan(flags)
    return float(flags[decided].mean()) if decided.any() else math.nan


def _mapping_factor(series: pd.Series, base: dict[str, Any], flags: np.ndarray | None
                    ) -> Factor:
    table = _labels(series)
    table = table[~table["key"].isin(list(MISSING_WORDS))]
    table = table.sort_values("key").reset_index(drop=True)
    keys = normalise_text(series).fillna("").to_numpy(dtype=object)
    if flags is None:
        step = 100.0 / (len(table) - 1)
        points = {label: round(i * step, 1) for i, label in enumerate(table["label"])}
        note = ("Evenly spaced points (alphabetical order): no outcomes to learn from; set "
                "them by hand.")
    else:
        renewal = {key: 1.0 - _rate(flags, keys == key) for key in table["key"]}
        known = [r for r in renewal.values() if not math.isnan(r)]
        lo, hi = (min(known), max(known)) if known else (0.0, 0.0)
        points = {}
        for key, label in zip(table["key"], table["label"], strict=True):
            rate = renewal[key]
            scaled = 50.0 if math.isnan(rate) or hi <= lo else 100.0 * (rate - lo) / (hi - lo)
            points[label] = round(scaled, 1)
        note = ("Points = each category's renewal rate in this data, rescaled so the worst "
                "category scores 0 and the best 100.")
    return Factor(**base, rule=MappingRule(points=points, default=None), description=note)


def candidate_factor_columns(frame: pd.DataFrame, roles: ColumnRoles) -> list[str]:
    """Columns that could become factors: not a role, not an id, not constant, not free text.

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    roles : ColumnRoles
        Mapped roles (their columns are excluded).

    Returns
    -------
    list of str
        Candidate columns in data order.
    """
    role_columns = {getattr(roles, r) for r in ROLE_NAMES} - {None}
    out = []
    for column in frame.columns:
        if column in role_columns or _is_idlike_name(column):
            continue
        series = frame[column]
        kind = _kind(series)
        if kind not in ("boolean", "numeric", "text-numeric", "category"):
            continue
        if kind in ("numeric", "text-numeric") and _unique_share(series) >= 0.999 and \
                not pd.api.types.is_float_dtype(series.dtype) and len(series) > 50:
            continue  # a running number such as a row id
        out.append(column)
    return out


def rank_factor_columns(frame: pd.DataFrame, columns: Sequence[str], churned: Any = None
                        ) -> list[str]:
    """Columns ordered by how well each alone separates churned from renewed accounts.

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    columns : sequence of str
        Candidate factor columns.
    churned : array_like, optional
        Churn flags as for :func:`suggest_factor`. Without both classes the order is kept.

    Returns
    -------
    list of str
        Strongest first (by distance of the suggested factor's AUC from 0.5).
    """
    flags = _flags(churned, len(frame))
    if flags is None:
        return list(columns)
    from calibration.scoring import rule_points

    strength = {}
    decided = ~np.isnan(flags)
    for column in columns:
        points = rule_points(frame[column], suggest_factor(frame, column, flags))
        gap = _churn_mean_rank_gap(np.where(decided, points, np.nan), flags)
        n = int((decided & ~np.isnan(points)).sum())
        strength[column] = abs(gap) / max(n, 1)
    return sorted(columns, key=lambda c: -strength[c])


def default_factor_columns(frame: pd.DataFrame, roles: ColumnRoles,
                           limit: int = MAX_STARTER_FACTORS) -> list[str]:
    """Candidates to pre-select: all of them, or the ``limit`` strongest (data order).

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    roles : ColumnRoles
        Mapped roles (outcomes rank the candidates when there are more than ``limit``).
    limit : int
        Most columns to pre-select.

    Returns
    -------
    list of str
        Selected candidate columns in data order; never a column that looks like it encodes
        the outcome or like a protected attribute (see :func:`excluded_columns`).
    """
    candidates = candidate_factor_columns(frame, roles)
    excluded = excluded_columns(frame, roles, candidates)
    candidates = [c for c in candidates if c not in excluded]
    if len(candidates) <= limit:
        return candidates
    best = set(rank_factor_columns(frame, candidates, churn_flags(frame, roles))[:limit])
    return [c for c in candidates if c in best]


def excluded_columns(frame: pd.DataFrame, roles: ColumnRoles,
                     candidates: Sequence[str] | None = None) -> dict[str, str]:
    """Candidate columns never pre-selected, with why (:mod:`calibration.alarms`): names that
    look like protected attributes, and columns that look like they encode the outcome
    (judged point in time, 90 days before each renewal, when the data allows)."""
    from calibration import alarms

    if candidates is None:
        candidates = candidate_factor_columns(frame, roles)
    out = {a["column"]: a["message"] for a in alarms.fairness_alarms(candidates)}
    try:
        from calibration.accounts import prepare
        from calibration.decisions import for_table

        table = prepare(frame, roles, None)
        judged = for_table(table, 90)
    except ValueError:  # unusable roles or outcomes: nothing to judge leaks on
        return out
    for alarm in alarms.leak_alarms(table.frame, judged.rows, judged.churned, candidates):
        out.setdefault(alarm["column"], alarm["message"])
    return out


def starter_config(frame: pd.DataFrame, roles: ColumnRoles, factor_columns: Sequence[str],
                   name: str = "Starter config") -> Config:
    """A complete first config: one suggested factor per column, equal weights.

    Parameters
    ----------
    frame : pd.DataFrame
        The data.
    roles : ColumnRoles
        Mapped roles; known outcomes set directions and category points.
    factor_columns : sequence of str
        Columns to score (at least one).
    name : str
        Config name.

    Returns
    -------
    Config
        Validated config: group "Overall" (100%), each factor 100/K %, bands red <= 30,
        green > 70, no guardrails or segments.

    Raises
    ------
    ConfigError
        Listing every column that cannot be scored (or no column chosen).
    """
    columns = list(dict.fromkeys(factor_columns))
    if not columns:
        raise ConfigError(["choose at least one column to score"], name)
    flags = churn_flags(frame, roles)
    flags_or_none = None if np.isnan(flags).all() else flags
    factors, problems = [], []
    for column in columns:
        try:
            factors.append(suggest_factor(frame, column, flags_or_none))
        except ValueError as error:
            problems.append(str(error))
    if problems:
        raise ConfigError(problems, name)
    names = [f.name for f in factors]
    for i, factor in enumerate(factors):  # prettified names may collide (a_b vs aB)
        if names.count(factor.name) > 1:
            factors[i] = factor.model_copy(update={"name": f"{factor.name} ({factor.column})"})
    weight = round(100.0 / len(factors), 6)
    learned = "from this data's renewal rates" if flags_or_none is not None else (
        "without outcomes")
    raw = {
        "schema_version": 1, "name": name,
        "notes": f"Starter config built {learned} from {len(factors)} columns with equal "
                 "weights. Category points and directions were learned on the same data they "
                 "are validated on: check them out of sample before trusting the AUC.",
        "columns": roles.model_dump(),
        "groups": [{"name": "Overall", "weight": 100.0}],
        "factors": [{**f.model_dump(), "group": "Overall", "weight": weight} for f in factors],
        "bands": {"red_max": 30.0, "yellow_max": 70.0},
    }
    return config_from_dict(raw, name)


def with_roles(config: Config, roles: ColumnRoles) -> Config:
    """Copy of ``config`` with its column roles replaced (validated)."""
    return config_from_dict({**config.model_dump(), "columns": roles.model_dump()},
                            config.name)
