"""Config files for production: JSON or YAML, with the validation evidence attached.

:func:`export_config` stamps a config with who exported it, when, and the evidence it was
validated on (data fingerprint and metrics), so a production score can be traced back to why
it was trusted. :func:`import_config` reads JSON or YAML and lists every problem at once.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from calibration.config import (
    Config,
    ConfigError,
    config_from_dict,
    config_from_json,
    parse_errors,
)

YAML_SUFFIXES = (".yaml", ".yml")
Format = Literal["json", "yaml"]


def _plain(value: Any) -> Any:
    """JSON-able copy: numpy scalars/arrays to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return _plain(value.tolist())
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


ACCOUNT_LISTS = frozenset({"ids", "per_account", "excluded_no_early_snapshot",
                           "excluded_no_renewal_date"})
"""Evidence keys that list individual accounts: counted, not copied, into exported configs."""


def without_account_lists(evidence: Any) -> Any:
    """Evidence with every per-account list replaced by its length (``n_<key>``).

    An exported config goes to production systems and is shared; it should prove how the
    config performed without carrying customer identifiers. The HTML report keeps the lists.
    """
    if isinstance(evidence, dict):
        out: dict[str, Any] = {}
        for key, value in evidence.items():
            if key in ACCOUNT_LISTS and isinstance(value, list):
                out.setdefault(f"n_{key}", len(value))
            else:
                out[key] = without_account_lists(value)
        return out
    if isinstance(evidence, list):
        return [without_account_lists(v) for v in evidence]
    return evidence


def export_config(config: Config, evidence: dict[str, Any] | None, author: str | None = None,
                  notes: str | None = None) -> Config:
    """Copy of ``config`` ready for production: ``created_at`` now (UTC), author, notes and
    ``validation`` = the evidence (data fingerprint, metrics with CIs), JSON-safe.

    ``author`` / ``notes`` left as None keep the config's own. The evidence records the
    config hash it was measured with; a mismatch with this config is refused. Lists of
    account ids are reduced to counts (:func:`without_account_lists`).
    """
    validation = None
    if evidence is not None:
        validation = without_account_lists(_plain(evidence))
        measured = validation.get("config_hash")
        if measured is not None and measured != config.fingerprint():
            raise ValueError(
                f"evidence was measured with config {measured}, not this config "
                f"({config.fingerprint()}): validate the config being exported")
        validation["config_hash"] = config.fingerprint()
    update: dict[str, Any] = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "validation": validation,
    }
    if author is not None:
        update["author"] = author
    if notes is not None:
        update["notes"] = notes
    # re-validate so the result is exactly what import_config would read back
    return Config.model_validate({**config.model_dump(mode="json"), **update})


def to_yaml(config: Config) -> str:
    """YAML text of a config (same content and field order as the JSON file)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True,
                          width=100)


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loader that refuses duplicate keys (the later one would silently win)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def from_yaml(text: str | bytes, source: str = "config") -> Config:
    """Parse and validate YAML config text (:class:`ConfigError` lists every problem)."""
    if isinstance(text, bytes):
        text = _decode(text, source)
    try:
        with parse_errors(source, "YAML"):
            raw = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError([f"not valid YAML{where}: {problem}"], source) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"expected a mapping of config fields at the top level, got "
                           f"{type(raw).__name__}"], source)
    return config_from_dict(raw, source)


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError([f"not UTF-8 text: {error}"], source) from None


def detect_format(text: str | bytes, filename: str = "") -> Format:
    """``yaml`` for .yaml/.yml names, ``json`` for .json, else by content."""
    suffix = Path(filename).suffix.lower()
    if suffix in YAML_SUFFIXES:
        return "yaml"
    if suffix == ".json":
        return "json"
    head = text.lstrip()[:1] if isinstance(text, str) else text.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if head in ("{", b"{", "[", b"[") else "yaml"


def import_config(text: str | bytes, filename: str = "config") -> Config:
    """Read a config file's content (JSON or YAML, by extension or content).

    Raises
    ------
    ConfigError
        with one ``field.path: message`` line per problem.
    """
    if detect_format(text, filename) == "yaml":
        return from_yaml(text, filename)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ConfigError([f"not valid JSON: not UTF-8 text ({error})"], filename) from None
    return config_from_json(text, filename)


def config_text(config: Config, fmt: Format = "json") -> str:
    """File content of a config in ``json`` or ``yaml``."""
    if fmt == "yaml":
        return to_yaml(config)
    if fmt == "json":
        return config.to_json() + "\n"
    raise ValueError(f"unknown config format {fmt!r}: expected json or yaml")


def write_config(config: Config, path: str | Path, fmt: Format | None = None, *,
                 overwrite: bool = False) -> Path:
    """Write a config file (format from ``fmt`` or the extension); refuses to replace an
    existing file unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists (use --force to overwrite)")
    fmt = fmt or ("yaml" if path.suffix.lower() in YAML_SUFFIXES else "json")
    path.write_text(config_text(config, fmt), encoding="utf-8")
    return path


def evidence_json(evidence: dict[str, Any]) -> str:
    """Evidence as strict JSON text (NaN-free)."""
    return json.dumps(_plain(evidence), indent=2, allow_nan=False)


__all__ = ["detect_format", "export_config", "from_yaml", "import_config", "to_yaml",
           "write_config"]
