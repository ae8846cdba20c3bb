"""The parts of a config: factors, groups, bands, guardrails, segments and column roles."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from calibration.config.base import Points, _Model
from calibration.config.rules import Rule
from calibration.values import MISSING_WORDS, fold


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
