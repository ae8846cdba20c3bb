"""The factor scoring rules: linear, steps, mapping, boolean, percentile."""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from calibration.config.base import MIN_POINTS, Points, _Model
from calibration.values import MISSING_WORDS, fold


class LinearRule(_Model):
    """Straight line from ``lo`` (0 points) to ``hi`` (100 points), flipped by direction.

    With ``higher_is_better`` a raw value at or below ``lo`` scores 0 and at or above ``hi``
    scores 100; ``lower_is_better`` mirrors that (``lo`` scores 100, ``hi`` scores 0).
    """

    kind: Literal["linear"] = "linear"
    lo: float
    hi: float

    @model_validator(mode="after")
    def _ordered(self) -> LinearRule:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)) or self.hi <= self.lo:
            raise ValueError(f"linear rule needs lo < hi (got lo={self.lo}, hi={self.hi})")
        if not math.isfinite(self.hi - self.lo):
            raise ValueError(f"linear rule range hi - lo is too large to compute (lo={self.lo}, "
                             f"hi={self.hi})")
        return self


class StepsRule(_Model):
    """Piecewise-constant points: value < cutoffs[0] -> points[0], ... value >= cutoffs[-1]
    -> points[-1]. Points are literal (direction does not flip them)."""

    kind: Literal["steps"] = "steps"
    cutoffs: list[float] = Field(min_length=1)
    points: list[Points]

    @model_validator(mode="after")
    def _shape(self) -> StepsRule:
        if len(self.points) != len(self.cutoffs) + 1:
            raise ValueError(
                f"steps rule needs one more points entry than cutoffs "
                f"(got {len(self.cutoffs)} cutoffs and {len(self.points)} points)"
            )
        if any(b <= a for a, b in zip(self.cutoffs, self.cutoffs[1:], strict=False)):
            raise ValueError(f"steps cutoffs must be strictly increasing (got {self.cutoffs})")
        return self


class MappingRule(_Model):
    """Category -> points (e.g. CSM assessment red/yellow/green, contract type).

    Matching ignores case and surrounding spaces. A category not listed gets ``default``
    points, or counts as missing when ``default`` is null.
    """

    kind: Literal["mapping"] = "mapping"
    points: dict[str, Points] = Field(min_length=1)
    default: Points | None = None

    @field_validator("points")
    @classmethod
    def _unique_keys(cls, value: dict[str, float]) -> dict[str, float]:
        seen: dict[str, str] = {}
        for key in value:
            norm = fold(key)
            if norm in MISSING_WORDS:
                raise ValueError(f"category {key!r} reads as a missing value; score missing "
                                 "values with the factor's missing policy instead")
            if norm in seen:
                raise ValueError(f"mapping categories {seen[norm]!r} and {key!r} are the same")
            seen[norm] = key
        return value


class BooleanRule(_Model):
    """Yes/no factor (executive sponsor present, champion change): points for true/false."""

    kind: Literal["boolean"] = "boolean"
    true_points: Points = 100.0
    false_points: Points = 0.0


class PercentileRule(_Model):
    """Percentile rank against a frozen reference distribution.

    ``values`` (strictly increasing raw values) and ``percentiles`` (strictly increasing,
    0-100) are captured from calibration data, so the score is reproducible on new data and
    in SQL: points = linear interpolation of the percentile, clamped at both ends, flipped for
    ``lower_is_better``. Build one from data with :func:`calibration.scoring.percentile_rule`.
    """

    kind: Literal["percentile"] = "percentile"
    values: list[float] = Field(min_length=2)
    percentiles: list[Points] = Field(min_length=2)

    @model_validator(mode="after")
    def _aligned(self) -> PercentileRule:
        if len(self.values) != len(self.percentiles):
            raise ValueError(
                f"percentile rule needs as many percentiles as values "
                f"(got {len(self.values)} values, {len(self.percentiles)} percentiles)"
            )
        if any(not math.isfinite(v) for v in self.values):
            raise ValueError("percentile values must be finite numbers")
        for label, seq in (("values", self.values), ("percentiles", self.percentiles)):
            if any(b <= a for a, b in itertools.pairwise(seq)):
                raise ValueError(f"percentile {label} must be strictly increasing")
        if any(not math.isfinite(b - a) for a, b in itertools.pairwise(self.values)):
            raise ValueError("percentile values are too far apart to compute")
        if any(b - a < MIN_POINTS for a, b in itertools.pairwise(self.percentiles)):
            raise ValueError(f"percentiles must increase by at least {MIN_POINTS:g}")
        return self


Rule = Annotated[
    LinearRule | StepsRule | MappingRule | BooleanRule | PercentileRule,
    Field(discriminator="kind"),
]
RULE_KINDS = ("linear", "steps", "mapping", "boolean", "percentile")
