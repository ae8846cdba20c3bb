"""Side-by-side comparison of two to four named scenarios on the same accounts.

The first scenario is the reference: every other one is compared with it by
:func:`calibration.compare.compare` (paired bootstrap CIs of each difference, band migration,
accounts that move), so a "+2.1 pts" next to a scenario is a change against the reference
whose CI says whether it is real. Pure computation; never imports streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from calibration.accounts import AccountTable
from calibration.compare import Comparison, compare
from calibration.config import BAND_NAMES, Config
from calibration.cs_metrics import METRIC_LABELS
from calibration.verdicts import format_value
from calibration.weights import flat_weights

MIN_SCENARIOS, MAX_SCENARIOS = 2, 4
HEADLINE = ("red_churned_arr_share", "surprise_churn_arr", "surprise_churn_count",
            "green_churn_rate", "red_churn_rate", "auc", "lift")
"""CS outcomes first, then the statistics."""


@dataclass(frozen=True)
class ScenarioComparison:
    """Everything shown side by side; ``comparisons[name]`` is the full comparison of a
    scenario with the reference (the first)."""

    names: list[str]
    weights: pd.DataFrame  # factor x scenario, % of the score
    bands: pd.DataFrame  # red up to / yellow up to, per scenario
    metrics: pd.DataFrame  # metric x scenario, display text
    band_sizes: pd.DataFrame  # band x scenario, accounts at their latest snapshot
    moved: pd.DataFrame  # per scenario: accounts whose band differs from the reference
    comparisons: dict[str, Comparison]


def _cell(name: str, value: float | None, metric: dict | None = None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    text = format_value(name, value)
    if metric is None or metric.get("diff") is None:
        return text
    ci = metric.get("ci")
    change = format_value(name, metric["diff"], True)
    if not ci:
        return f"{text} ({change})"
    real = "real" if metric.get("ci_excludes_zero") else "noise"
    return (f"{text} ({change}; likely range {format_value(name, ci[0], True)} to "
            f"{format_value(name, ci[1], True)}: {real})")


def compare_scenarios(table: AccountTable, scenarios: list[tuple[str, Config]], *,
                      horizon_days: int = 90, n_resamples: int = 300, seed: int = 0
                      ) -> ScenarioComparison:
    """Compare 2-4 ``(name, config)`` scenarios on ``table``; the first is the reference.

    Raises ValueError for fewer than two or more than four scenarios, or repeated names.
    """
    names = [name for name, _ in scenarios]
    if not MIN_SCENARIOS <= len(scenarios) <= MAX_SCENARIOS:
        raise ValueError(f"pick {MIN_SCENARIOS} to {MAX_SCENARIOS} scenarios to compare, "
                         f"not {len(scenarios)}")
    if len(set(names)) != len(names):
        raise ValueError("each scenario compared must have its own name")
    (ref_name, reference), others = scenarios[0], scenarios[1:]
    comparisons = {name: compare(table, reference, config, horizon_days=horizon_days,
                                 n_resamples=n_resamples, seed=seed)
                   for name, config in others}
    first = next(iter(comparisons.values()))

    factors = list(dict.fromkeys(f for _, c in scenarios for f in c.factor_names))
    weights = pd.DataFrame({name: [round(flat_weights(c).get(f, 0.0), 1) for f in factors]
                            for name, c in scenarios}, index=pd.Index(factors, name="factor"))
    bands = pd.DataFrame({name: [c.bands.red_max, c.bands.yellow_max]
                          for name, c in scenarios},
                         index=pd.Index(["red up to", "yellow up to"], name="band"))
    rows = {}
    for key in HEADLINE:
        if key not in first.metrics:
            continue
        row = {ref_name: _cell(key, first.metrics[key]["baseline"])}
        for name, comparison in comparisons.items():
            metric = comparison.metrics.get(key)
            row[name] = _cell(key, metric["draft"], metric) if metric else "n/a"
        rows[METRIC_LABELS.get(key, key)] = row
    metrics = pd.DataFrame.from_dict(rows, orient="index")[names]
    metrics.index.name = "Outcome"

    labels = [b for b in BAND_NAMES] + ["unscored"]
    sizes = {ref_name: first.migration_latest.sum(axis=1)}
    for name, comparison in comparisons.items():
        sizes[name] = comparison.migration_latest.sum(axis=0)
    band_sizes = pd.DataFrame(sizes).reindex(labels).fillna(0).astype(int)
    if not band_sizes.loc["unscored"].any():
        band_sizes = band_sizes.drop(index="unscored")
    band_sizes.index.name = "accounts (latest snapshot)"
    moved = pd.DataFrame({
        "scenario": list(comparisons),
        "accounts that change band": [len(c.movers) for c in comparisons.values()],
        "verdict": [c.verdict for c in comparisons.values()],
    })
    return ScenarioComparison(names, weights, bands, metrics, band_sizes, moved, comparisons)
