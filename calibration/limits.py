"""Resource limits for reading account data and running SQL, set by environment variables.

Every limit is checked *before* the data is materialised, and every refusal names the limit
and the variable that raises it. Defaults fit a leader's laptop and a shared server alike.

=============================  =========================================  =============
Variable                       Meaning                                    Default
=============================  =========================================  =============
``HSC_MAX_ROWS``               rows in one account file or query result   10,000,000
``HSC_MAX_COLUMNS``            columns in one file or query result        2,000
``HSC_MAX_CELLS``              rows x columns                             200,000,000
``HSC_MAX_DATA_MB``            decompressed size of one file, in MB       2,048
``HSC_SESSION_MEMORY_MB``      estimated memory one loaded table may use  4,096
``HSC_SQL_TIME_LIMIT_S``       wall-clock time of one SQL query, seconds  30
``HSC_SQL_MEMORY_MB``          DuckDB memory of one SQL query, in MB      512
=============================  =========================================  =============
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

_ENV = {
    "max_rows": ("HSC_MAX_ROWS", 10_000_000),
    "max_columns": ("HSC_MAX_COLUMNS", 2_000),
    "max_cells": ("HSC_MAX_CELLS", 200_000_000),
    "max_data_mb": ("HSC_MAX_DATA_MB", 2_048),
    "session_memory_mb": ("HSC_SESSION_MEMORY_MB", 4_096),
    "sql_time_limit_s": ("HSC_SQL_TIME_LIMIT_S", 30),
    "sql_memory_mb": ("HSC_SQL_MEMORY_MB", 512),
}
_WHAT = {
    "max_rows": "rows", "max_columns": "columns", "max_cells": "cells (rows x columns)",
    "max_data_mb": "MB of decompressed data", "session_memory_mb": "MB of memory",
    "sql_time_limit_s": "seconds", "sql_memory_mb": "MB of memory",
}


class LimitError(ValueError):
    """A configured limit was exceeded; the message says which and how to raise it."""


@dataclass(frozen=True)
class Limits:
    """Resource limits (see the module docstring for the variables that set them)."""

    max_rows: int = _ENV["max_rows"][1]
    max_columns: int = _ENV["max_columns"][1]
    max_cells: int = _ENV["max_cells"][1]
    max_data_mb: int = _ENV["max_data_mb"][1]
    session_memory_mb: int = _ENV["session_memory_mb"][1]
    sql_time_limit_s: int = _ENV["sql_time_limit_s"][1]
    sql_memory_mb: int = _ENV["sql_memory_mb"][1]

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """Limits from ``HSC_*`` environment variables (a bad value is a clear error)."""
        environ = os.environ if environ is None else environ
        values = {}
        for name, (variable, default) in _ENV.items():
            raw = environ.get(variable, "").strip().replace("_", "").replace(",", "")
            if not raw:
                values[name] = default
                continue
            if not raw.isdigit() or not 0 < int(raw) < 10**15:
                raise LimitError(f"{variable}={environ[variable]!r} is not a positive whole "
                                 "number")
            values[name] = int(raw)
        return cls(**values)

    def check(self, name: str, value: float, what: str) -> None:
        """Raise :class:`LimitError` when ``value`` exceeds the limit ``name``.

        ``what`` names the thing measured, e.g. "the file 'x.csv' has".
        """
        if value > getattr(self, name):
            raise self.refusal(name, f"{what} {value:,.0f} {_WHAT[name]}")

    def refusal(self, name: str, what: str) -> LimitError:
        """The error for exceeding limit ``name``: what happened, the limit, how to raise it."""
        variable = _ENV[name][0]
        return LimitError(
            f"{what}, over the limit of {getattr(self, name):,} {_WHAT[name]} ({variable}); "
            f"an administrator can raise it by setting the environment variable {variable} "
            "before starting the app or CLI")

    def check_shape(self, rows: int, columns: int, what: str) -> None:
        """Check rows, columns and cells of a table about to be read."""
        self.check("max_columns", columns, what)
        self.check("max_rows", rows, what)
        self.check("max_cells", rows * max(columns, 1), what)


LIMIT_NAMES = tuple(f.name for f in fields(Limits))


def limits() -> Limits:
    """The limits in force now (read from the environment on every call: cheap)."""
    return Limits.from_env()
