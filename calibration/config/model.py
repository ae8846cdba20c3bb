"""The complete config (:class:`Config`) and its cross-field checks."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import (
    Field,
    model_validator,
)

from calibration.config.base import SCHEMA_VERSION, _Model
from calibration.config.parts import Bands, ColumnRoles, Factor, Group, Guardrail, Segment


class Config(_Model):
    """A complete, exportable health-score configuration."""

    schema_version: int = SCHEMA_VERSION
    name: str = "Health score"
    created_at: str | None = None
    author: str = ""
    notes: str = ""
    columns: ColumnRoles = Field(default_factory=ColumnRoles)
    groups: list[Group] = Field(default_factory=list)
    factors: list[Factor] = Field(min_length=1)
    bands: Bands = Field(default_factory=Bands)
    guardrails: list[Guardrail] = Field(default_factory=list)
    segments: list[Segment] = Field(default_factory=list)
    validation: dict[str, Any] | None = Field(
        None, description="Evidence captured at export: data fingerprint, metrics with CIs."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        problems = _cross_field_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # ---- convenience -------------------------------------------------------------
    @property
    def factor_names(self) -> list[str]:
        """Factor names in config order."""
        return [f.name for f in self.factors]

    def group_names(self) -> list[str]:
        """Group names: declared groups first, then groups only named by factors."""
        names = [g.name for g in self.groups]
        for factor in self.factors:
            if factor.group not in names:
                names.append(factor.group)
        return names

    def group_weight(self, name: str) -> float:
        """Declared weight of a group (undeclared groups share equally: weight 1 each)."""
        for group in self.groups:
            if group.name == name:
                return group.weight
        return 1.0 if not self.groups else 0.0

    def required_columns(self) -> list[str]:
        """Every data column the scoring needs (factors, guardrails, segment matches)."""
        cols = [f.column for f in self.factors]
        cols += [g.column for g in self.guardrails]
        cols += [s.match.column for s in self.segments]
        return list(dict.fromkeys(cols))

    def fingerprint(self) -> str:
        """Short hash of the canonical scoring content (:func:`calibration.canonical.
        canonical_scoring`): every edit that can change a score, band, guardrail or segment
        label changes it; descriptions, factor order, disabled guardrails, proportional
        weight scaling and the like do not.

        Written beside every score so a score can be traced to the exact config.
        """
        from calibration.canonical import canonical_scoring

        canonical = json.dumps(canonical_scoring(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def cache_key(self) -> str:
        """Hash of every field but name, notes, author, date and evidence, in order: the key
        for caching results whose layout follows the config (factor and group order)."""
        scoring = self.model_dump(
            mode="json", include={"columns", "groups", "factors", "bands", "guardrails",
                                  "segments"}
        )
        canonical = json.dumps(scoring, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def rules_fingerprint(self) -> str:
        """Hash of what factor points depend on (rules, columns, segment matching and rule
        overrides, guardrails) but not weights or bands: the cache key of factor scoring."""
        raw = self.model_dump(mode="json", include={"columns", "factors", "guardrails",
                                                   "segments"})
        for factor in raw["factors"]:
            factor.pop("weight")
        for segment in raw["segments"]:
            for key in ("weights", "group_weights", "bands"):
                segment.pop(key)
        canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def with_weights(self, weights: dict[str, float]) -> Config:
        """Copy with factor weights replaced (names not given keep their weight)."""
        unknown = set(weights) - set(self.factor_names)
        if unknown:
            raise ValueError(f"unknown factor(s): {', '.join(sorted(unknown))}")
        factors = [
            f.model_copy(update={"weight": float(weights.get(f.name, f.weight))})
            for f in self.factors
        ]
        return self.model_validate({**self.model_dump(), "factors": [
            f.model_dump() for f in factors]})

    def with_rule(self, name: str, rule: Any, *, missing_points: float | None = None
                  ) -> Config:
        """Copy with factor ``name``'s points rule replaced; with ``missing_points`` a
        missing value scores that many points (``missing="points"``) instead of being
        skipped. Segment rule overrides are left as they are."""
        if name not in self.factor_names:
            raise ValueError(f"unknown factor: {name}")
        raw = self.model_dump()
        for factor in raw["factors"]:
            if factor["name"] == name:
                factor["rule"] = rule.model_dump() if hasattr(rule, "model_dump") else rule
                if missing_points is not None:
                    factor["missing"] = "points"
                    factor["missing_points"] = float(missing_points)
        return self.model_validate(raw)

    def with_details(self, *, name: str | None = None, author: str | None = None,
                     notes: str | None = None) -> Config:
        """Copy with the name, author or notes replaced (None keeps them); the score and
        its fingerprint are unchanged."""
        update = {k: v for k, v in (("name", name), ("author", author), ("notes", notes))
                  if v is not None}
        return self.model_copy(update=update) if update else self

    def to_json(self, *, indent: int = 2) -> str:
        """Serialise to JSON text (round-trips exactly through :func:`config_from_json`)."""
        return self.model_dump_json(indent=indent, exclude_none=False)


def _cross_field_problems(config: Config) -> list[str]:
    problems: list[str] = []
    names = config.factor_names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"factor names must be unique (repeated: {', '.join(dupes)})")
    if not any(f.weight > 0 for f in config.factors):
        problems.append("all factor weights are zero: at least one factor needs weight > 0")
    group_names = [g.name for g in config.groups]
    if len(set(group_names)) != len(group_names):
        problems.append("group names must be unique")
    if config.groups:
        undeclared = sorted({f.group for f in config.factors} - set(group_names))
        if undeclared:
            problems.append(
                f"factor group(s) {', '.join(undeclared)} are not declared in groups "
                f"(declared: {', '.join(group_names)})"
            )
        used = {f.group for f in config.factors if f.weight > 0}
        if not any(g.weight > 0 and g.name in used for g in config.groups):
            problems.append("all group weights are zero (or their factors all weigh zero)")
    for segment in config.segments:
        unknown = (set(segment.weights) | set(segment.rules)) - set(names)
        if unknown:
            problems.append(
                f"segment {segment.name!r} overrides unknown factor(s): "
                f"{', '.join(sorted(unknown))}"
            )
        unknown_groups = set(segment.group_weights) - set(config.group_names())
        if unknown_groups:
            problems.append(
                f"segment {segment.name!r} overrides unknown group(s): "
                f"{', '.join(sorted(unknown_groups))}"
            )
        merged = {f.name: segment.weights.get(f.name, f.weight) for f in config.factors}
        if not any(w > 0 for w in merged.values()):
            problems.append(f"segment {segment.name!r}: all factor weights are zero")
    return problems
