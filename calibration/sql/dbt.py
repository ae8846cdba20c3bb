"""A ready dbt model of the scoring query: model SQL plus a properties file (schema.yml) with
column docs and tests.

dbt renders every model and properties file with Jinja before the warehouse sees it, so text
from the config (names, categories) that contains ``{{``, ``{%`` or ``{#`` is written as
``{{ '{' }}{...``: Jinja prints it back verbatim instead of running it. The relation scored
is a ``{{ ref('model') }}`` or ``{{ source('source', 'table') }}`` call.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import yaml

from calibration.config import Config
from calibration.outputs import output_names
from calibration.sql.compiler import build_query
from calibration.sql.dialects import get_dialect

_JINJA_OPEN = re.compile(r"\{(?=[{%#])")
_NAME = r"'(?:[^'\\]|\\.)*'"
RELATION = re.compile(
    rf"^\{{\{{\s*(ref\(\s*{_NAME}(\s*,\s*{_NAME})?\s*\)|source\(\s*{_NAME}\s*,\s*{_NAME}\s*\))"
    r"\s*\}\}$")
"""A ``{{ ref(...) }}`` or ``{{ source(...) }}`` expression given verbatim."""
MATERIALIZATIONS = ("view", "table")


def jinja_safe(text: str) -> str:
    """Text that Jinja renders back to exactly ``text`` (no tag can start inside it)."""
    return _JINJA_OPEN.sub("{{ '{' }}", text)


def _jinja_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def relation_expr(*, ref: str | None = None, source: str | None = None,
                  relation: str | None = None) -> str:
    """The Jinja relation to score: ``ref='accounts'``, ``source='raw.accounts'`` (source
    name, then table) or a verbatim ``{{ ref(...) }}`` / ``{{ source(...) }}``."""
    given = [v for v in (ref, source, relation) if v]
    if len(given) != 1:
        raise ValueError("name exactly one of ref, source or a {{ ref() }}/{{ source() }} "
                         "relation for the dbt model")
    if relation:
        if not RELATION.match(relation.strip()):
            raise ValueError(f"not a dbt relation: {relation!r} (expected {{{{ ref('model') }}}}"
                             " or {{ source('source', 'table') }})")
        return relation.strip()
    if ref:
        return f"{{{{ ref({_jinja_string(ref)}) }}}}"
    name, dot, table = source.partition(".")
    if not (name and dot and table):
        raise ValueError(f"source must be 'source_name.table_name', got {source!r}")
    return f"{{{{ source({_jinja_string(name)}, {_jinja_string(table)}) }}}}"


@dataclass(frozen=True)
class DbtModel:
    """The files of one dbt model."""

    name: str
    sql: str
    properties: str


def dbt_model(config: Config, relation: str, dialect: str = "duckdb", *,
              model_name: str = "health_scores", materialized: str = "view",
              identifier_case: str | None = None) -> DbtModel:
    """Model SQL (``{{ config(...) }}`` + the scoring query reading ``relation``, see
    :func:`relation_expr`) and its properties YAML (model and column docs, tests)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", model_name):
        raise ValueError(f"dbt model name must be letters, digits and underscores: "
                         f"{model_name!r}")
    if materialized not in MATERIALIZATIONS:
        raise ValueError(f"materialized must be one of {', '.join(MATERIALIZATIONS)}")
    d = get_dialect(dialect, identifier_case)
    token = f"hs_relation_{secrets.token_hex(8)}"
    body = jinja_safe(build_query(config, token, d).render()).replace(token, relation)
    sql = f"{{{{ config(materialized='{materialized}') }}}}\n\n{body}"
    return DbtModel(model_name, sql, _properties(config, d, model_name))


def _properties(config: Config, d, model_name: str) -> str:
    names = output_names(config, d.label_text)
    hash_ = config.fingerprint()
    docs = {
        "id": ("Account id (from column " f"{config.columns.account_id}).",
               [*(["unique"] if not config.columns.snapshot_date else []), "not_null"]),
        "snapshot": (f"Snapshot date (from column {config.columns.snapshot_date}).", []),
        "segment_config": ("Segment whose weights/rules scored the row ('Default' when none "
                           "matched).", ["not_null"]),
        "score": ("Health score 0-100 after guardrail caps, rounded half up to 9 decimals "
                  "(NULL: no factor had data).", []),
        "band": (f"red (score <= {config.bands.red_max:g}), yellow (<= "
                 f"{config.bands.yellow_max:g}), green; segments may set their own cut-offs.",
                 [{"accepted_values": {"values": ["red", "yellow", "green"]}}]),
        "raw_score": ("Weighted factor score before guardrail caps.", []),
        "guardrail": ("Guardrail that capped the band (NULL: none).", []),
        "cap": ("Points removed by a guardrail cap (<= 0).", []),
        "config_hash": ("Hash of the scoring content of the config that produced the row.",
                        ["not_null", {"accepted_values": {"values": [hash_]}}]),
    }
    columns = []
    keys = ["id", *(["snapshot"] if config.columns.snapshot_date else []), "segment_config",
            "score", "band", "raw_score", "guardrail"]
    for key in keys:
        columns.append(_column(names[key], *docs[key]))
    for k, factor in enumerate(config.factors):
        text = f"Points factor '{factor.name}' adds to raw_score (column {factor.column})."
        if factor.description:
            text += f" {factor.description}"
        columns.append(_column(names[("factor", k)], text, []))
    columns.append(_column(names["cap"], *docs["cap"]))
    for g, group in enumerate(config.group_names()):
        columns.append(_column(names[("group", g)], f"Sub-score 0-100 of group '{group}'.", []))
    columns.append(_column(names["config_hash"], *docs["config_hash"]))
    model = {
        "name": model_name,
        "description": jinja_safe(f"Health score '{config.name}' (config {hash_}), generated "
                                  "by Health Score Calibrator: one row per source row."),
        "columns": columns,
    }
    return yaml.safe_dump({"version": 2, "models": [model]}, sort_keys=False,
                          allow_unicode=True, width=100)


def _column(name: str, description: str, tests: list) -> dict:
    column = {"name": name, "description": jinja_safe(description)}
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        column["quote"] = True
    if tests:
        column["data_tests"] = tests
    return column
