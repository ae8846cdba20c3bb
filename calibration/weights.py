"""Weights as a CS leader sees them: flat percentages of the whole score that sum to 100.

The config stores weights hierarchically (group weight x factor weight within its group);
these helpers convert both ways and rebalance sliders so the total stays 100.
"""

from __future__ import annotations

import numpy as np

from calibration.config import Config, Group
from calibration.scoring import plans


def flat_weights(config: Config, segment: int = -1) -> dict[str, float]:
    """Each factor's share of the overall score in percent (sums to 100) when no data is
    missing; ``segment`` picks a segment's plan (-1: the default config)."""
    shares = plans(config)[segment + 1].flat_weights * 100.0
    return dict(zip(config.factor_names, (float(s) for s in shares), strict=True))


def round_to_total(values: dict[str, float], total: float = 100.0, digits: int = 1,
                   fixed: frozenset[str] | set[str] = frozenset()) -> dict[str, float]:
    """Round to ``digits`` decimals so the values still add up to ``total`` (for display and
    readable exports only: never write the result back as the user's weights).

    Largest-remainder rounding: every value not in ``fixed`` is rounded down, then the units
    still missing go one each to the values that lost the most, so no value moves by more
    than one unit of the last digit (12 equal weights of 8.33 become 8.4 x 4 and 8.3 x 8).
    """
    unit = 10.0 ** -digits
    rounded = {k: round(v, digits) for k, v in values.items()}
    adjustable = [k for k in values if k not in fixed]
    if not adjustable:
        return rounded
    floors = {k: np.floor(values[k] / unit + 1e-9) for k in adjustable}
    missing = round((total - sum(rounded[k] for k in fixed)) / unit) - sum(floors.values())
    order = sorted(adjustable, key=lambda k: (-(values[k] / unit - floors[k]), -values[k]))
    step = 1 if missing >= 0 else -1
    pool = order if missing >= 0 else order[::-1]
    for i in range(int(abs(missing))):
        k = pool[i % len(pool)]
        floors[k] = max(floors[k] + step, 0.0)
    return {k: (round(floors[k] * unit, digits) if k in floors else rounded[k]) for k in values}


def apply_flat_weights(config: Config, flat: dict[str, float], digits: int | None = None
                       ) -> Config:
    """Write flat percentages back as group weights (sum of their factors) and
    within-group weights (share of the group, in percent). Factors not named get 0.

    Scoring the result gives exactly the shares in ``flat`` (renormalised to 100). With
    ``digits`` (e.g. 2, for a config people will read) group weights and each group's factor
    weights are rounded and still add up to 100; scores then move by at most ~0.02 points.
    """
    unknown = set(flat) - set(config.factor_names)
    if unknown:
        raise ValueError(f"unknown factor(s): {', '.join(sorted(unknown))}")
    full = {f.name: float(flat.get(f.name, 0.0)) for f in config.factors}
    if any(v < 0 for v in full.values()) or sum(full.values()) <= 0:
        raise ValueError("weights must be >= 0 with a positive total")
    groups = config.group_names()
    group_total = {g: sum(full[f.name] for f in config.factors if f.group == g) for g in groups}
    factors = []
    for factor in config.factors:
        total = group_total[factor.group]
        within = 100.0 * full[factor.name] / total if total > 0 else 0.0
        factors.append({**factor.model_dump(), "weight": round(within, 6)})
    scale = 100.0 / sum(group_total.values())
    new_groups = [Group(name=g, weight=round(group_total[g] * scale, 6)) for g in groups]
    raw = config.model_dump()
    raw["factors"] = factors
    raw["groups"] = [g.model_dump() for g in new_groups]
    if digits is not None:
        _round_hierarchy(raw, digits)
    return Config.model_validate(raw)


def _round_hierarchy(raw: dict, digits: int) -> None:
    """Round group weights, and each group's factor weights, keeping each set at 100."""
    groups = round_to_total({g["name"]: g["weight"] for g in raw["groups"]}, digits=digits)
    raw["groups"] = [{**g, "weight": groups[g["name"]]} for g in raw["groups"]]
    for name in {f["group"] for f in raw["factors"]}:
        members = [f for f in raw["factors"] if f["group"] == name]
        if sum(f["weight"] for f in members) <= 0:
            continue
        rounded = round_to_total({f["name"]: f["weight"] for f in members}, digits=digits)
        for f in members:
            f["weight"] = rounded[f["name"]]


def rebalance(weights: dict[str, float], changed: str, value: float,
              locked: frozenset[str] | set[str] = frozenset(), digits: int | None = None
              ) -> dict[str, float]:
    """Set one factor's weight and rescale the other unlocked factors so the total is 100.

    Locked factors keep their weight exactly. The changed factor is limited to what the
    locked ones leave free (0 to 100 - locked). Free factors shrink or grow in proportion to
    their current weights (equally when they are all zero), so their ratios never change.
    Exact by default; ``digits`` rounds the result for display (still adding up to 100).
    """
    if changed not in weights:
        raise ValueError(f"unknown factor {changed!r}")
    locked_total = sum(w for k, w in weights.items() if k in locked and k != changed)
    free = [k for k in weights if k not in locked and k != changed]
    room = max(100.0 - locked_total, 0.0)
    value = float(np.clip(value, 0.0, room)) if free else room
    rest = room - value
    current = np.array([weights[k] for k in free], dtype=float)
    if free:
        share = current / current.sum() if current.sum() > 0 else np.full(len(free),
                                                                            1 / len(free))
        new_free = dict(zip(free, share * rest, strict=True))
    else:
        new_free = {}
    result = {k: (value if k == changed else new_free.get(k, weights[k])) for k in weights}
    if digits is None:
        return result
    return round_to_total(result, digits=digits, fixed={k for k in locked if k != changed})


def apply_segment_flat_weights(config: Config, segment: int, flat: dict[str, float]
                               ) -> Config:
    """Store flat percentages as a segment's weight overrides (factor and group weights),
    leaving the default config's weights untouched."""
    if not 0 <= segment < len(config.segments):
        raise ValueError(f"no segment number {segment}")
    converted = apply_flat_weights(config, flat)
    raw = config.model_dump()
    raw["segments"][segment]["weights"] = {f.name: f.weight for f in converted.factors}
    raw["segments"][segment]["group_weights"] = {g.name: g.weight for g in converted.groups}
    return Config.model_validate(raw)


def move_to_group(config: Config, factor: str, group: str) -> Config:
    """Move a factor to another sub-score (created if new) without changing any factor's
    share of the score; sub-scores left without factors are removed."""
    if factor not in config.factor_names:
        raise ValueError(f"unknown factor {factor!r}")
    group = group.strip()
    if not group:
        raise ValueError("a sub-score needs a name")
    shares = flat_weights(config)
    raw = config.model_dump()
    for item in raw["factors"]:
        if item["name"] == factor:
            item["group"] = group
    used = list(dict.fromkeys(item["group"] for item in raw["factors"]))
    raw["groups"] = [{"name": name, "weight": 1.0} for name in used]  # recomputed below
    for segment in raw["segments"]:
        segment["group_weights"] = {g: w for g, w in segment["group_weights"].items()
                                    if g in used}
    return apply_flat_weights(Config.model_validate(raw), shares)
