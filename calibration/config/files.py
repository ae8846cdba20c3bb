"""Config errors, reading and writing config files, column checks and the JSON Schema."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from calibration.config.base import SCHEMA_VERSION
from calibration.config.model import Config
from calibration.config.rules import RULE_KINDS


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


SCHEMA_PATH = Path(__file__).parent.parent / "config.schema.json"


def write_json_schema(path: Path = SCHEMA_PATH) -> Path:
    """Regenerate the committed JSON Schema file."""
    path.write_text(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
