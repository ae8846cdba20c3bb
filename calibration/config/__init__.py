"""The health-score configuration model: what a CS leader tunes and what gets exported.

A config is plain JSON. Loading it validates every field and reports *all* problems at once
(:class:`ConfigError`), so a bad file is fixed in one pass rather than one error at a time.

The model is split by concern: :mod:`~calibration.config.base` (constants, strict base
model), :mod:`~calibration.config.rules` (scoring rules), :mod:`~calibration.config.parts`
(factors, groups, bands, guardrails, segments, column roles), :mod:`~calibration.config.model`
(:class:`Config`) and :mod:`~calibration.config.files` (errors, reading and writing, JSON
Schema). ``calibration.config.<name>`` is the public path of every name below.
"""

from calibration.config.base import BAND_NAMES, MIN_POINTS, SCHEMA_VERSION, Points
from calibration.config.files import (
    SCHEMA_PATH,
    ConfigError,
    check_columns,
    config_from_dict,
    config_from_json,
    json_schema,
    load_config,
    migrate,
    missing_column_notes,
    parse_errors,
    save_config,
    stamp,
    write_json_schema,
)
from calibration.config.model import Config
from calibration.config.parts import (
    Bands,
    ColumnRoles,
    Factor,
    Group,
    Guardrail,
    Operator,
    Segment,
    SegmentMatch,
)
from calibration.config.rules import (
    RULE_KINDS,
    BooleanRule,
    LinearRule,
    MappingRule,
    PercentileRule,
    Rule,
    StepsRule,
)

__all__ = [
    "BAND_NAMES", "MIN_POINTS", "RULE_KINDS", "SCHEMA_PATH", "SCHEMA_VERSION", "Bands",
    "BooleanRule", "ColumnRoles", "Config", "ConfigError", "Factor", "Group", "Guardrail",
    "LinearRule", "MappingRule", "Operator", "PercentileRule", "Points", "Rule", "Segment",
    "SegmentMatch", "StepsRule", "check_columns", "config_from_dict", "config_from_json",
    "json_schema", "load_config", "migrate", "missing_column_notes", "parse_errors",
    "save_config", "stamp", "write_json_schema",
]
