"""Constants and the strict base model every config part derives from."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
)

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
    """Strict base: unknown fields are errors (a typo must never be silently ignored).

    ``defer_build``: a model's validator is built when it is first used, not when its class
    is defined; validating a Config then builds one validator for it and its parts instead
    of one per class at import (~15 ms of every command's start-up)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              defer_build=True)
