"""One verdict for a candidate against a baseline, in CS terms.

"Improvement is real" is said only when the candidate's own objective improves beyond noise
(its paired CI excludes 0 in the right direction) **and** no outcome metric got significantly
worse. When something got worse it is a "trade-off" and the verdict names what got worse, so
a suggestion never makes a CS outcome worse without saying so.

Input: the per-metric dicts of :func:`calibration.cs_metrics.paired_cs_metrics`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from calibration import formatting
from calibration.cs_metrics import HIGHER_IS_BETTER, METRIC_LABELS

OBJECTIVE_METRIC = {
    "ranking": "auc",
    "catch_churn": "red_churned_arr_share",
    "no_surprises": "surprise_churn_arr",
}
"""The metric each objective optimises (ARR metrics fall back to accounts without ARR)."""
ACCOUNT_FALLBACK = {"red_churned_arr_share": "red_churned_share",
                    "surprise_churn_arr": "surprise_churn_count"}
JUDGED = ("auc", "red_churned_arr_share", "red_churned_share", "surprise_churn_count",
          "surprise_churn_arr", "green_churn_rate", "red_churn_rate", "lift",
          "point_biserial_r")
"""Metrics whose significant worsening turns a verdict into a trade-off."""


@dataclass(frozen=True)
class Verdict:
    """``label``: improvement is real / trade-off / worse / no real difference / no verdict."""

    label: str
    real: bool
    objective: str
    objective_metric: str
    better: list[str]
    worse: list[str]
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def objective_metric(objective: str, metrics: dict[str, dict[str, Any]],
                     by_arr: bool = True) -> str:
    """The metric that judges ``objective`` (accounts when ARR is not available or
    ``by_arr`` is False)."""
    if objective not in OBJECTIVE_METRIC:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVE_METRIC)}, "
                         f"got {objective!r}")
    name = OBJECTIVE_METRIC[objective]
    if name in ACCOUNT_FALLBACK and (not by_arr or name not in metrics):
        name = ACCOUNT_FALLBACK[name]
    return name


def judge(metrics: dict[str, dict[str, Any]], objective: str = "ranking",
          by_arr: bool = True) -> Verdict:
    """Verdict from paired metrics (``status`` better / worse / no real change per metric).

    - improvement is real: the objective metric is better and nothing in ``JUDGED`` is worse;
    - trade-off: the objective is better but some metric is worse (named);
    - worse: the objective metric is significantly worse;
    - no real difference: the objective's CI includes 0 (anything significantly worse is
      still named).
    """
    key = objective_metric(objective, metrics, by_arr)
    better = [m for m in JUDGED if metrics.get(m, {}).get("status") == "better"]
    worse = [m for m in JUDGED if metrics.get(m, {}).get("status") == "worse"]
    target = metrics.get(key)
    label_of = METRIC_LABELS.get
    what = label_of(key, key)
    if target is None or target.get("status") in (None, "n/a"):
        return Verdict("no verdict", False, objective, key, better, worse,
                       f"no verdict: {what} could not be compared")
    change = _change_text(key, target)
    worse_text = ", ".join(f"{label_of(m, m)} ({_change_text(m, metrics[m])})" for m in worse)
    if target["status"] == "better":
        if worse:
            return Verdict("trade-off", False, objective, key, better, worse,
                           f"trade-off: {what} improves ({change}) but {worse_text} "
                           f"got worse")
        return Verdict("improvement is real", True, objective, key, better, worse,
                       f"improvement is real: {what} {change} and no outcome got worse")
    if target["status"] == "worse":
        return Verdict("worse", False, objective, key, better, worse,
                       f"worse: {what} {change}")
    tail = f"; worse: {worse_text}" if worse else ""
    return Verdict("no real difference", False, objective, key, better, worse,
                   f"no real difference in {what} ({change}, the CI includes 0){tail}")


def _change_text(name: str, metric: dict[str, Any]) -> str:
    """'0.659 -> 0.845, 95% CI +0.15 to +0.22' in the metric's unit."""
    lo, hi = metric.get("ci") or (None, None)
    return (f"{format_value(name, metric.get('baseline'))} -> "
            f"{format_value(name, metric.get('draft'))}; 95% CI "
            f"{format_value(name, lo, True)} to {format_value(name, hi, True)}")


def format_value(name: str, value: float | None, signed: bool = False) -> str:
    """A metric value in its unit (%, $, accounts, 3 decimals); changes of rates in points.
    Formatting itself is :mod:`calibration.formatting`'s (one place for every page)."""
    kind: formatting.Kind = (
        "money" if name.endswith("_arr") else "count" if name.endswith("_count")
        else "percent" if name.endswith(("_share", "_rate")) else "number")
    return formatting.signed(value, kind, zero=None) if signed else formatting.fmt(value, kind)


def direction_word(name: str) -> str:
    """'higher is better' / 'lower is better' / 'no direction'."""
    d = HIGHER_IS_BETTER.get(name)
    return "no direction" if d is None else ("higher is better" if d else "lower is better")
