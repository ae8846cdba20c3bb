"""The health-score configuration model: what a CS leader tunes and what gets exported.

A config is plain JSON. Loading it validates every field and reports *all* problems at once
(:class:`ConfigError`), so a bad file is fixed in one pass rather than one error at a time.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from calibration.values import MISSING_WORDS, fold

SCHEMA_VERSION = 1
"""Current config schema version. Bump it (and add a migration) on incompatible changes."""

BAND_NAMES = ("red", "yellow", "green")
MIN_POINTS = 1e-9
"""Smallest non-zero points value (smaller ones could only underflow, never move a score)."""


def _points_resolution(value: float) -> float:
    if 0 < value < MIN_POINTS:
        raise ValueError(f"points must be 0 or at least {MIN_POINTS:g} (got {value!r})")
    return value


Points = Annotated[float, Field(ge=0, le=100), AfterValidator(_points_resolution)]


class _Model(BaseModel):
    """Strict base: unknown fields are errors (a typo must never be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- scoring rules
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


# --------------------------------------------------------------------------- factors & groups
class Factor(_Model):
    """One input of the health score: a data column, how it is turned into 0-100 points,
    and how much it weighs inside its group."""

    name: str = Field(min_length=1)
    column: str = Field(min_length=1)
    group: str = "Overall"
    weight: float = Field(ge=0, description="Percent of the group's score (renormalised).")
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    rule: Rule
    missing: Literal["skip", "points"] = Field(
        "skip",
        description="skip: leave the factor out and renormalise the other weights for that "
        "account; points: score a missing value as `missing_points`.",
    )
    missing_points: Points = 50.0
    description: str = ""


class Group(_Model):
    """A sub-score (Adoption, Relationship, Support, Sentiment, ...) and its weight."""

    name: str = Field(min_length=1)
    weight: float = Field(ge=0, description="Percent of the overall score (renormalised).")


class Bands(_Model):
    """Band cut-offs: red if score <= red_max, yellow if <= yellow_max, else green."""

    red_max: float = Field(30.0, ge=0, le=100)
    yellow_max: float = Field(70.0, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.red_max >= self.yellow_max:
            raise ValueError(
                f"bands overlap or are inverted: red_max ({self.red_max:g}) must be below "
                f"yellow_max ({self.yellow_max:g})"
            )
        return self


Operator = Literal["==", "!=", "<", "<=", ">", ">=", "is_missing"]


class Guardrail(_Model):
    """Cap the band whatever the score: e.g. no executive sponsor -> at most yellow.

    The score is capped at the top of the ``cap`` band, so score and band stay consistent;
    the capped points are shown as a separate guardrail line in every explanation.
    """

    name: str = Field(min_length=1)
    column: str = Field(min_length=1)
    operator: Operator
    value: float | bool | str | None = None
    cap: Literal["red", "yellow"] = "yellow"
    enabled: bool = True

    @model_validator(mode="after")
    def _value_given(self) -> Guardrail:
        if self.operator != "is_missing" and self.value is None:
            raise ValueError(f"guardrail {self.name!r}: operator {self.operator} needs a value")
        if self.operator in ("<", "<=", ">", ">=") and isinstance(self.value, str | bool):
            raise ValueError(
                f"guardrail {self.name!r}: operator {self.operator} needs a number, "
                f"got {self.value!r}"
            )
        if isinstance(self.value, str) and fold(self.value) in MISSING_WORDS:
            raise ValueError(f"guardrail {self.name!r}: value {self.value!r} reads as a missing "
                             "value; use operator is_missing")
        return self


class SegmentMatch(_Model):
    """Accounts whose ``column`` value is one of ``values`` (case-insensitive)."""

    column: str = Field(min_length=1)
    values: list[str] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _not_blank(cls, value: list[str]) -> list[str]:
        blank = [v for v in value if fold(v) in MISSING_WORDS]
        if blank:
            raise ValueError(f"{blank[0]!r} reads as a missing value and can never match")
        return value


class Segment(_Model):
    """A segment-specific variant of the default config (Onboarding, Enterprise, ...).

    Segments are tried in order; an account uses the first that matches, else the default.
    """

    name: str = Field(min_length=1)
    match: SegmentMatch
    weights: dict[str, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict, description="factor name -> weight override"
    )
    group_weights: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    rules: dict[str, Rule] = Field(default_factory=dict, description="factor name -> rule")
    bands: Bands | None = None


class ColumnRoles(_Model):
    """Which data column plays which role, and which outcome values mean what."""

    account_id: str = "account_id"
    snapshot_date: str | None = "snapshot_date"
    segment: str | None = "segment"
    arr: str | None = "arr"
    outcome: str | None = "outcome"
    renewal_date: str | None = "renewal_date"
    reference_label: str | None = "reference_label"
    account_name: str | None = None
    churned_values: list[str] = Field(default_factory=lambda: ["churned"], min_length=1)
    renewed_values: list[str] = Field(default_factory=lambda: ["renewed"], min_length=1)
    open_values: list[str] = Field(default_factory=lambda: ["open", ""])

    @model_validator(mode="after")
    def _disjoint_outcomes(self) -> ColumnRoles:
        groups = {
            "churned": self.churned_values,
            "renewed": self.renewed_values,
            "open": self.open_values,
        }
        owner: dict[str, str] = {}
        for label, values in groups.items():
            for value in values:
                key = value.strip().casefold()
                if key in owner and owner[key] != label:
                    raise ValueError(
                        f"outcome value {value!r} is listed as both {owner[key]} and {label}"
                    )
                owner[key] = label
        return self


# --------------------------------------------------------------------------- the config
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


# --------------------------------------------------------------------------- errors & IO
class ConfigError(ValueError):
    """A config that cannot be used, with every problem listed (field path: message)."""

    def __init__(self, problems: list[str], source: str = "config") -> None:
        self.problems = problems
        self.source = source
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source} has {len(problems)} problem(s):\n{listing}")


def _location(loc: tuple[Any, ...], raw: Any) -> str:
    """Readable field path; list items are named when they have a name (factors[usage])."""
    parts: list[str] = []
    node = raw
    for part in loc:
        if isinstance(part, int):
            label = str(part)
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                if isinstance(node, dict) and isinstance(node.get("name"), str):
                    label = repr(node["name"])
            else:
                node = None
            parts[-1:] = [f"{parts[-1]}[{label}]"] if parts else [f"[{label}]"]
            continue
        node = node.get(part) if isinstance(node, dict) else None
        if part in RULE_KINDS:
            continue  # the discriminator tag pydantic adds to union locations
        parts.append(str(part))
    return ".".join(parts)


def _format_validation_error(error: ValidationError, raw: Any = None) -> list[str]:
    problems = []
    for item in error.errors():
        loc = _location(item["loc"], raw)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; unknown fields are not ignored)"
        elif item["type"] == "union_tag_invalid":
            message = (
                f"unknown rule kind {item.get('input', {}).get('kind')!r}: expected one of "
                f"{', '.join(RULE_KINDS)}"
            )
        problems.append(f"{loc}: {message}" if loc else message)
    return problems


def migrate(raw: dict[str, Any], source: str = "config") -> dict[str, Any]:
    """Bring an older config dict to the current schema, or refuse with a clear message."""
    version = raw.get("schema_version")
    if version is None:
        raise ConfigError(
            [f"schema_version is missing (this app writes schema_version {SCHEMA_VERSION})"],
            source,
        )
    if not isinstance(version, int) or isinstance(version, bool):
        raise ConfigError([f"schema_version must be a whole number, got {version!r}"], source)
    if version > SCHEMA_VERSION:
        raise ConfigError(
            [
                f"schema_version {version} is newer than this app supports "
                f"({SCHEMA_VERSION}): upgrade Health Score Calibrator to read it"
            ],
            source,
        )
    if version < 1:
        raise ConfigError([f"schema_version {version} is not a known version"], source)
    return raw


@contextmanager
def parse_errors(source: str, kind: str) -> Iterator[None]:
    """Turn what a parser or validator raises on hostile text (nesting deeper than Python
    recurses, an integer of more than 4,300 digits) into a :class:`ConfigError`."""
    try:
        yield
    except (ConfigError, json.JSONDecodeError, UnicodeDecodeError):
        raise  # the callers word these
    except RecursionError:
        raise ConfigError([f"not a usable {kind} config: nested too deeply (a config is a few "
                           "levels deep)"], source) from None
    except (ValueError, OverflowError) as error:
        message = ("a number has more than 4,300 digits" if "integer string conversion" in
                   str(error) else str(error)[:200])
        raise ConfigError([f"not a usable {kind} config: {message}"], source) \
            from None


def config_from_dict(raw: Any, source: str = "config") -> Config:
    """Validate a parsed config, raising :class:`ConfigError` listing every problem."""
    if not isinstance(raw, dict):
        raise ConfigError([f"expected a JSON object at the top level, got {type(raw).__name__}"],
                          source)
    with parse_errors(source, "JSON/YAML"):
        raw = migrate(raw, source)
        try:
            return Config.model_validate(raw)
        except ValidationError as error:
            raise ConfigError(_format_validation_error(error, raw), source) from None


def config_from_json(text: str | bytes, source: str = "config") -> Config:
    """Parse and validate config JSON text. ``NaN``, ``Infinity`` and numbers too large for
    a float (``1e400``) parse, then validation refuses them naming the field."""
    try:
        with parse_errors(source, "JSON"):
            raw = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        where = f" (line {error.lineno}, column {error.colno})" if hasattr(error, "lineno") else ""
        raise ConfigError([f"not valid JSON{where}: {error}"], source) from None
    return config_from_dict(raw, source)


def load_config(path: str | Path) -> Config:
    """Read a config from a JSON or YAML file (one reader for every command: duplicate YAML
    keys, NaN and Infinity are refused the same way everywhere)."""
    from calibration.configfile import import_config

    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as error:
        raise ConfigError([f"cannot read file: {error.strerror}"], str(path)) from None
    return import_config(text, str(path))


def save_config(config: Config, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a config as JSON; refuses to replace an existing file unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists (pass overwrite=True to replace it)")
    path.write_text(config.to_json() + "\n", encoding="utf-8")
    return path


def stamp(config: Config, *, author: str | None = None) -> Config:
    """Copy with ``created_at`` set to now (UTC, ISO 8601) and optionally the author."""
    update: dict[str, Any] = {"created_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if author is not None:
        update["author"] = author
    return config.model_copy(update=update)


def check_columns(config: Config, columns: Iterable[str]) -> list[str]:
    """Problems for config columns absent from the data (one message per column)."""
    available = set(columns)
    problems = []
    for factor in config.factors:
        if factor.column not in available:
            problems.append(
                f"factors[{factor.name}]: column {factor.column!r} is not in the data"
            )
    for rail in config.guardrails:
        if rail.column not in available:
            problems.append(f"guardrails[{rail.name}]: column {rail.column!r} is not in the data")
    for segment in config.segments:
        if segment.match.column not in available:
            problems.append(
                f"segments[{segment.name}]: match column {segment.match.column!r} is not in "
                "the data"
            )
    return problems


def missing_column_notes(config: Config, columns: Iterable[str]) -> list[str]:
    """:func:`check_columns` in the words of the screen, one line per config part, e.g.
    ``Active users: column 'active_user_pct' is not in the data`` (factors by their name,
    guardrails and segments named as such)."""
    available = set(columns)
    notes = [f"{f.name}: column {f.column!r} is not in the data"
             for f in config.factors if f.column not in available]
    notes += [f"Guardrail {r.name}: column {r.column!r} is not in the data"
              for r in config.guardrails if r.column not in available]
    notes += [f"Segment {s.name}: it picks accounts by column {s.match.column!r}, which is "
              "not in the data" for s in config.segments if s.match.column not in available]
    return notes


def json_schema() -> dict[str, Any]:
    """JSON Schema of the config file (committed as ``calibration/config.schema.json``)."""
    schema = Config.model_json_schema()
    schema["$id"] = f"https://health-score-calibrator/config.v{SCHEMA_VERSION}.schema.json"
    schema["title"] = "Health Score Calibrator config"
    return schema


SCHEMA_PATH = Path(__file__).with_name("config.schema.json")


def write_json_schema(path: Path = SCHEMA_PATH) -> Path:
    """Regenerate the committed JSON Schema file."""
    path.write_text(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
