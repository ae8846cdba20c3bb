"""The CS outcomes a health score is judged by, in the words a CS leader uses.

The one computation of them, used by the pages, the report and the CLI: from the churn-by-band
rows of :func:`calibration.metrics.band_table` (what :func:`calibration.metrics.evaluate`
returns as ``bands``, or :func:`cs_numbers` on plain arrays), so they describe exactly the
accounts validation judged, each as it stood ``horizon_days`` before its renewal:

- *churned ARR red ahead*: the share of churned ARR whose account was red at that time,
- *surprise churn*: churned while green (accounts and ARR),
- *green churn rate*: how often a green account churned (with its likely range),
- *red list precision*: of the accounts on the red list, the share that churned.

The paired bootstrap of :mod:`calibration.cs_metrics` resamples the same quantities for a
confidence interval of a change; its point values are these.

Pure computation (no streamlit).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from calibration import formatting
from calibration.formatting import Kind


@dataclass(frozen=True)
class Outcome:
    """How one outcome is shown: label, number kind, and which way is better."""

    key: str
    label: str
    kind: Kind
    lower_is_better: bool
    help: str


def _ok(value: float, **extra: Any) -> dict[str, Any]:
    return {"value": value, "reason": None, **extra}


def _na(reason: str, **extra: Any) -> dict[str, Any]:
    return {"value": None, "reason": reason, **extra}


def _rows(evidence_or_rows: Mapping[str, Any] | Sequence[Mapping[str, Any]]
          ) -> list[Mapping[str, Any]]:
    """The band rows of an evaluation (``evidence["bands"]``), or the rows themselves."""
    if isinstance(evidence_or_rows, Mapping):
        rows = evidence_or_rows.get("bands")
        return list(rows) if isinstance(rows, list) else []
    return list(evidence_or_rows)


def _band(rows: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any]:
    return next((row for row in rows if row.get("band") == name), {})


def _no_arr(rows: Sequence[Mapping[str, Any]]) -> bool:
    """True when the data has no ARR, or no judged account has a known ARR."""
    rows = [r for r in rows if r.get("accounts")]
    return not rows or any(r.get("arr") is None for r in rows) or all(
        r.get("arr_unknown") == r.get("accounts") for r in rows)


def red_arr_share(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Share of churned ARR (known ARR only) that was red when judged; ``arr`` the amount."""
    if _no_arr(rows):
        return _na("no ARR in the data", arr=None, churned_arr=None)
    churned = sum(r.get("churned_arr") or 0.0 for r in rows)
    red = _band(rows, "red").get("churned_arr") or 0.0
    if churned <= 0:
        return _na("no churned account has a known ARR", arr=red, churned_arr=churned)
    return _ok(red / churned, arr=red, churned_arr=churned)


def red_account_share(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Share of churned accounts that were red when judged (the same in accounts)."""
    churned = sum(r.get("churned") or 0 for r in rows)
    if not churned:
        return _na("no judged account churned")
    return _ok((_band(rows, "red").get("churned") or 0) / churned)


def surprise_accounts(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Churned while green: number of accounts."""
    return _ok(float(_band(rows, "green").get("churned") or 0))


def surprise_arr(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Churned while green: their known ARR (n/a without ARR, never a misleading $0)."""
    if _no_arr(rows):
        return _na("no ARR in the data")
    return _ok(float(_band(rows, "green").get("churned_arr") or 0.0))


def green_churn_rate(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Churn rate of the green band with its 95% Wilson interval as ``ci``."""
    green = _band(rows, "green")
    if not green.get("accounts"):
        return _na("no account is green", ci=None)
    return _ok(float(green["churn_rate"]), ci=green.get("churn_rate_ci"))


def red_precision(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Of the red accounts, the share that churned (the red list's hit rate), with ``ci``."""
    red = _band(rows, "red")
    if not red.get("accounts"):
        return _na("no account is red", ci=None)
    return _ok(float(red["churn_rate"]), ci=red.get("churn_rate_ci"))


def when_words(horizon_days: int | None, cross_sectional: bool) -> str:
    """"90 days ahead", or "on its snapshot" for single-snapshot data."""
    if cross_sectional or not horizon_days:
        return "on the snapshot"
    return f"{horizon_days} days ahead"


def outcome_list(horizon_days: int | None, cross_sectional: bool) -> list[Outcome]:
    """The headline outcomes, in reading order, labelled for this horizon."""
    when = when_words(horizon_days, cross_sectional)
    return [
        Outcome("red_arr_share", f"Churned ARR caught red {when}", "percent", False,
                f"Of the ARR that churned, the share whose account was red {when}: the "
                "revenue the score gave you time to save. Higher is better."),
        Outcome("surprise_accounts", "Surprise churn (accounts)", "count", True,
                "Accounts that churned while green: the churn the score did not see coming. "
                "Lower is better."),
        Outcome("surprise_arr", "Surprise churn (ARR)", "money", True,
                "The ARR of the accounts that churned while green. Lower is better."),
        Outcome("green_churn_rate", "Green churn rate", "percent", True,
                "How often a green account churned. Green should mean safe: lower is "
                "better. The likely range is the 95% interval for this many accounts."),
        Outcome("red_precision", "Red list precision", "percent", False,
                "Of the accounts on the red list, the share that really churned: how much "
                "CSM attention on red accounts was well spent. Higher is better."),
    ]


COMPUTE = {"red_arr_share": red_arr_share, "surprise_accounts": surprise_accounts,
           "surprise_arr": surprise_arr, "green_churn_rate": green_churn_rate,
           "red_precision": red_precision}


def cs_outcomes(evidence: Mapping[str, Any] | Sequence[Mapping[str, Any]]
                ) -> dict[str, dict[str, Any]]:
    """Every headline outcome of one evaluation (``{"value", "reason", ...}`` each).

    The one computation of the CS outcomes: from the churn-by-band rows of
    :func:`calibration.metrics.band_table` (``evidence["bands"]`` of an evaluation, or the
    rows themselves); :func:`cs_numbers` feeds it plain arrays."""
    rows = _rows(evidence)
    return {key: compute(rows) for key, compute in COMPUTE.items()}


#: cs_numbers key -> outcome behind it (the paired comparison's metric names)
NUMBER_KEYS = {"red_churned_arr_share": red_arr_share, "red_churned_share": red_account_share,
               "surprise_churn_count": surprise_accounts, "surprise_churn_arr": surprise_arr,
               "green_churn_rate": green_churn_rate, "red_churn_rate": red_precision}


#: headline outcome key -> its cs_numbers key
NUMBER_OF = {"red_arr_share": "red_churned_arr_share", "surprise_accounts":
             "surprise_churn_count", "surprise_arr": "surprise_churn_arr",
             "green_churn_rate": "green_churn_rate", "red_precision": "red_churn_rate"}


def cs_numbers(band: np.ndarray, churned: np.ndarray, arr: np.ndarray | None = None,
               reference_band: np.ndarray | None = None) -> dict[str, Any]:
    """The CS outcomes of one banding of plain arrays, under the comparison's metric names.

    Parameters
    ----------
    band : codes 0 red, 1 yellow, 2 green, -1 unscored (unscored rows are left out).
    churned : bool per decision.
    arr : ARR per decision (NaN = unknown, left out of ARR sums); None when the data has no
        ARR. ARR outcomes are None when no judged account has a known ARR.
    reference_band : another banding of the same decisions; ``changed_band`` counts the
        scored decisions whose band differs.

    Returns
    -------
    dict
        ``accounts``, ``churned``, ``{red,yellow,green}_accounts`` and ``_share``, and every
        outcome of :data:`NUMBER_KEYS` (None where it cannot be computed; the surprise count
        is an int). Values are those of :func:`cs_outcomes` on the same band rows.
    """
    from calibration.metrics import band_table

    b = np.asarray(band)
    rows = band_table(b, np.asarray(churned, dtype=bool), arr)["rows"]
    n = sum(r["accounts"] for r in rows)
    out: dict[str, Any] = {"accounts": n, "churned": sum(r["churned"] for r in rows)}
    for r in rows:
        out[f"{r['band']}_accounts"] = r["accounts"]
    for r in rows:
        out[f"{r['band']}_share"] = r["accounts"] / n if n else None
    for key, compute in NUMBER_KEYS.items():
        out[key] = compute(rows)["value"]
    if out["surprise_churn_count"] is not None:
        out["surprise_churn_count"] = int(out["surprise_churn_count"])
    if reference_band is not None:
        ref = np.asarray(reference_band)
        out["changed_band"] = int(((ref != b) & (b >= 0) & (ref >= 0)).sum())
    return out


def summary_sentence(draft: Mapping[str, Any], baseline: Mapping[str, Any] | None,
                     horizon_days: int | None, cross_sectional: bool,
                     baseline_name: str = "the baseline") -> str:
    """One paragraph an executive reads first: ARR caught red, surprise churn, green churn
    and the red list, each against the baseline when there is one."""
    now = cs_outcomes(draft)
    before = cs_outcomes(baseline) if baseline is not None else None
    when = when_words(horizon_days, cross_sectional)

    def versus(key: str, shown=formatting.percent) -> str:
        if before is None or before[key]["value"] is None:
            return ""
        return f" (vs {shown(before[key]['value'])} for {baseline_name})"

    parts = []
    share = now["red_arr_share"]
    if share["value"] is not None:
        whole = functools.partial(formatting.percent, digits=0)
        parts.append(f"This config would have flagged {whole(share['value'])} of churned ARR "
                     f"red {when}{versus('red_arr_share', whole)}.")
    else:
        caught = _band(_rows(draft), "red").get("churned")
        total = draft.get("n_churned")
        if caught is not None and total:
            parts.append(f"This config would have flagged {formatting.count(caught)} of "
                         f"{formatting.count(total)} churned accounts red {when} (ARR: "
                         f"{share['reason']}).")
    count = now["surprise_accounts"]["value"]
    if count is not None:
        money = now["surprise_arr"]["value"]
        arr_words = "" if money is None else f" worth {formatting.money(money)}"
        noun = "account" if count == 1 else "accounts"
        parts.append(f"Surprise churn: {formatting.count(count)} {noun}{arr_words} churned "
                     f"while green{versus('surprise_accounts', formatting.count)}.")
    rates = []
    if (green := now["green_churn_rate"]["value"]) is not None:
        rates.append(f"green accounts churned {formatting.percent(green)} of the time"
                     f"{versus('green_churn_rate')}")
    if (red := now["red_precision"]["value"]) is not None:
        rates.append(f"{formatting.percent(red)} of red accounts churned"
                     f"{versus('red_precision')}")
    if rates:
        text = "; ".join(rates) + "."
        parts.append(text[0].upper() + text[1:])
    return " ".join(parts)


REFERENCE_LABEL = "Known accounts in the right band"
REFERENCE_HELP = ("Accounts the team already knows: known-healthy ones should be green, "
                  "known-struggling ones red. Higher is better.")


def reference_words(reference: Mapping[str, Any] | None) -> str | None:
    """The reference agreement in one sentence (None when no scored account is labelled or
    tagged): how many known accounts land in the right band and the worst misses."""
    if not reference or reference.get("value") is None:
        return None
    right = round(reference["value"] * reference["n_labelled"])
    return (f"{formatting.count(right)} of {formatting.count(reference['n_labelled'])} known "
            f"accounts ({formatting.percent(reference['value'])}) are in the right band: "
            f"{formatting.count(reference['healthy_red'])} known-healthy accounts are red and "
            f"{formatting.count(reference['struggling_green'])} known-struggling accounts are "
            "green.")


__all__ = [
    "COMPUTE",
    "NUMBER_KEYS",
    "NUMBER_OF",
    "REFERENCE_HELP",
    "REFERENCE_LABEL",
    "Outcome",
    "cs_numbers",
    "cs_outcomes",
    "green_churn_rate",
    "outcome_list",
    "red_account_share",
    "red_arr_share",
    "red_precision",
    "reference_words",
    "summary_sentence",
    "surprise_accounts",
    "surprise_arr",
    "when_words",
]
