"""The CS outcomes a health score is judged by, in the words a CS leader uses.

Computed from :func:`calibration.metrics.evaluate` output (its band rows and surprise churn),
so they describe exactly the accounts validation judged, each as it stood ``horizon_days``
before its renewal:

- *churned ARR red ahead*: the share of churned ARR whose account was red at that time,
- *surprise churn*: churned while green (accounts and ARR),
- *green churn rate*: how often a green account churned (with its likely range),
- *red list precision*: of the accounts on the red list, the share that churned.

Pure computation (no streamlit).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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


def _band(evidence: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return next((row for row in evidence.get("bands") or [] if row.get("band") == name), {})


def _no_arr(evidence: Mapping[str, Any]) -> bool:
    """True when the data has no ARR, or no judged account has a known ARR."""
    rows = [r for r in evidence.get("bands") or [] if r.get("accounts")]
    return not rows or any(r.get("arr") is None for r in rows) or all(
        r.get("arr_unknown") == r.get("accounts") for r in rows)


def red_arr_share(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Share of churned ARR (known ARR only) that was red when judged; ``arr`` the amount."""
    if _no_arr(evidence):
        return _na("no ARR in the data", arr=None, churned_arr=None)
    churned = sum(r.get("churned_arr") or 0.0 for r in evidence["bands"])
    red = _band(evidence, "red").get("churned_arr") or 0.0
    if churned <= 0:
        return _na("no churned account has a known ARR", arr=red, churned_arr=churned)
    return _ok(red / churned, arr=red, churned_arr=churned)


def surprise_accounts(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Churned while green: number of accounts."""
    surprise = evidence.get("surprise_churn") or {}
    if surprise.get("count") is None:
        return _na("not computed")
    return _ok(float(surprise["count"]))


def surprise_arr(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Churned while green: their ARR (n/a without ARR, never a misleading $0)."""
    surprise = evidence.get("surprise_churn") or {}
    if _no_arr(evidence) or surprise.get("arr") is None:
        return _na("no ARR in the data")
    return _ok(float(surprise["arr"]))


def green_churn_rate(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Churn rate of the green band with its 95% Wilson interval as ``ci``."""
    green = _band(evidence, "green")
    if not green.get("accounts"):
        return _na("no account is green", ci=None)
    return _ok(float(green["churn_rate"]), ci=green.get("churn_rate_ci"))


def red_precision(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Of the red accounts, the share that churned (the red list's hit rate), with ``ci``."""
    red = _band(evidence, "red")
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
        Outcome("red_arr_share", f"Churned ARR red {when}", "percent", False,
                f"Of the ARR that churned, the share whose account was red {when}: the "
                "revenue the score gave you time to save. Higher is better."),
        Outcome("surprise_accounts", "Surprise churn (accounts)", "count", True,
                "Accounts that churned while green: the churn the score did not see coming. "
                "Lower is better."),
        Outcome("surprise_arr", "Surprise churn ARR", "money", True,
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


def cs_outcomes(evidence: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every headline outcome of one evaluation (``{"value", "reason", ...}`` each)."""
    return {key: compute(evidence) for key, compute in COMPUTE.items()}


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
        caught = _band(draft, "red").get("churned")
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


__all__ = ["COMPUTE", "Outcome", "cs_outcomes", "green_churn_rate", "outcome_list",
           "red_arr_share", "red_precision", "summary_sentence", "surprise_accounts",
           "surprise_arr", "when_words"]
