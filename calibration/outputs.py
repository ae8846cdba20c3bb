"""Names of the scored-output columns, shared by the CSV export and the SQL compiler.

Every name is unique (ignoring case: DuckDB, BigQuery and Snowflake column names are
case-insensitive) and stable: fixed columns keep their names, then the guardrail line, then
factors and groups in config order; a name already taken gets `` 2``, `` 3``... appended
(before the engine's own rewriting, e.g. BigQuery's underscores). So a factor named
``guardrail`` becomes ``points: guardrail 2`` and BigQuery's ``NPS score`` / ``NPS-score``
become ``points_NPS_score`` / ``points_NPS_score_2``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from calibration.config import Config

FIXED = ("id", "snapshot", "outcome", "renewal_date", "judge_date", "arr", "account_name",
         "segment_config", "score", "band", "raw_score", "guardrail", "config_hash", "cap")
_BASE = {"id": "account_id", "snapshot": "snapshot_date", "cap": "points: guardrail"}


def output_names(config: Config, transform: Callable[[str], str] = str
                 ) -> dict[Any, str]:
    """Output column name per key: the :data:`FIXED` keys, ``("factor", k)`` and
    ``("group", g)``. ``transform`` maps a wanted name to the name the engine stores."""
    wanted: list[tuple[Any, str]] = [(key, _BASE.get(key, key)) for key in FIXED]
    wanted += [(("factor", k), f"points: {name}") for k, name in enumerate(config.factor_names)]
    wanted += [(("group", g), f"sub-score: {name}")
               for g, name in enumerate(config.group_names())]
    taken: set[str] = set()
    names: dict[Any, str] = {}
    for key, base in wanted:
        name, n = transform(base), 1
        while name.casefold() in taken:
            n += 1
            name = transform(f"{base} {n}")
        taken.add(name.casefold())
        names[key] = name
    return names
