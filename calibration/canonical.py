"""The canonical scoring content of a config: what the config hash is computed over.

Two configs with the same canonical content give every account the same score, band,
guardrail and segment label; every edit that can change one of those changes the content.
What is left out: descriptions, names/notes/evidence, factor and group order, the order of
mapping categories and segment match values, their case and surrounding blanks, disabled
guardrails, ``missing_points`` of factors that skip missing values, the direction of rules it
does not flip, proportional scaling of weights (only shares count), overrides equal to the
default, column roles that no score reads, and the rules of factors that weigh nothing
anywhere.
"""

from __future__ import annotations

from typing import Any

from calibration.config import BAND_NAMES, Config, Factor
from calibration.values import fold

_SIGNIFICANT = 12
"""Digits kept of weight shares (float noise of renormalisation must not change the hash)."""


def _share(value: float, total: float) -> float:
    return float(f"{value / total:.{_SIGNIFICANT}g}") if total > 0 else 0.0


def _rule(rule: Any, direction: str) -> dict[str, Any]:
    raw = rule.model_dump(mode="json")
    if rule.kind == "mapping":
        raw["points"] = {fold(k): v for k, v in sorted(rule.points.items(),
                                                         key=lambda kv: fold(kv[0]))}
    if rule.kind in ("linear", "percentile"):
        raw["direction"] = direction  # only these rules are flipped by the direction
    return raw


def _factor(factor: Factor) -> dict[str, Any]:
    return {"column": factor.column, "group": factor.group,
            "rule": _rule(factor.rule, factor.direction),
            "missing": None if factor.missing == "skip" else factor.missing_points}


def _weights(config: Config, factor_w: dict[str, float], group_w: dict[str, float]
             ) -> dict[str, Any]:
    """Weight shares: each factor's share of its group, each used group's share of all."""
    groups = config.group_names()
    totals = {g: sum(factor_w[f.name] for f in config.factors if f.group == g) for g in groups}
    used = {g: group_w[g] for g in groups if totals[g] > 0 and group_w[g] > 0}
    grand = sum(used.values())
    return {
        "factors": {f.name: _share(factor_w[f.name], totals[f.group]) for f in config.factors
                    if factor_w[f.name] > 0 and f.group in used},
        "groups": {g: _share(w, grand) for g, w in used.items()},
    }


def canonical_scoring(config: Config) -> dict[str, Any]:
    """JSON-able canonical form of everything that decides scores and their labels."""
    base_f = {f.name: f.weight for f in config.factors}
    base_g = {g: config.group_weight(g) for g in config.group_names()}
    plans = [_weights(config, base_f, base_g)]
    for seg in config.segments:
        plans.append(_weights(config, {**base_f, **seg.weights},
                              {**base_g, **seg.group_weights}))
    live = {name for plan in plans for name in plan["factors"]}
    factors = {}
    for factor in config.factors:
        if factor.name not in live:
            continue
        factors[factor.name] = _factor(factor)
    bands = config.bands.model_dump(mode="json")
    segments = []
    for seg, plan in zip(config.segments, plans[1:], strict=True):
        seg_rules = {n: _rule(r, next(f.direction for f in config.factors if f.name == n))
                     for n, r in sorted(seg.rules.items())
                     if n in live and r != next(f.rule for f in config.factors if f.name == n)}
        segments.append({
            "name": seg.name, "column": seg.match.column,
            "values": sorted({fold(v) for v in seg.match.values}),
            "weights": None if plan == plans[0] else plan, "rules": seg_rules,
            "bands": (seg.bands or config.bands).model_dump(mode="json"),
        })
    rails = sorted(((BAND_NAMES.index(r.cap), i, r) for i, r in enumerate(config.guardrails)
                    if r.enabled), key=lambda t: (t[0], t[1]))
    guardrails = []
    for _, _, rail in rails:
        value = None if rail.operator == "is_missing" else rail.value
        if isinstance(value, str):
            value = fold(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            value = float(value)
        guardrails.append({"name": rail.name, "column": rail.column,
                           "operator": rail.operator, "value": value, "cap": rail.cap})
    roles = config.columns
    return {
        "id": [roles.account_id, roles.snapshot_date],
        "factors": factors, "weights": plans[0], "bands": bands,
        "guardrails": guardrails, "segments": segments,
        "factor_names": sorted(f.name for f in config.factors),
        "group_names": sorted(config.group_names()),
    }
