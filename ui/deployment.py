"""Where the app runs (a leader's own machine or a shared server) and what that allows.

Settings, each from an environment variable or from the ``[hsc]`` table of
``.streamlit/secrets.toml`` (the variable wins):

- ``HSC_DEPLOYMENT`` / ``deployment``: ``local`` or ``shared``. Unset, the app counts as
  shared when the server listens on anything but the loopback address.
- ``HSC_SQL_BOX`` / ``sql_box``: ``on`` or ``off``: the Data page's DuckDB SQL box. Default:
  on locally, off on a shared server.
- ``HSC_TEAM_DATABASE`` / ``team_database``: the name of a ``[connections.<name>]`` entry in
  secrets (a SQLAlchemy URL, ideally for a read-only role) the Data page may query. Default:
  ``team_db`` when that connection is configured.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

LOOPBACK = {"127.0.0.1", "localhost", "::1", ""}
TRUE, FALSE = {"1", "true", "on", "yes"}, {"0", "false", "off", "no"}
_RUN_MEMO = "_hsc_secrets_this_run"


def _this_run() -> dict[str, Any] | None:
    """A dict that lasts for the current script run (a fragment rerun counts as one run),
    or None outside a run. Secrets do not change within a run, and without a secrets file every
    ``st.secrets`` read makes Streamlit look for the files again (~0.2 ms of CPU): a
    Calibrate step read them ~20 times (every ``workspace()`` asks who the user is)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    # a new object for every run (ScriptRunContext.reset), kept while fragments run (unlike
    # ctx.cursors, which each fragment replaces)
    run = getattr(ctx, "parallel_coordinator", None)
    if run is None:
        return None
    memo = getattr(ctx, _RUN_MEMO, None)
    if memo is None or memo[0] is not run:
        memo = (run, {})
        try:
            setattr(ctx, _RUN_MEMO, memo)
        except AttributeError:  # a context that takes no attributes: read every time
            return None
    return memo[1]


def secrets_once_per_run(key: str, read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``read()`` (a section of secrets as a dict), read once per script run: a copy of the
    run's first answer. Outside a run it is read every time."""
    memo = _this_run()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return dict(memo[key])


def _read_section(name: str) -> dict[str, Any]:
    try:
        section = st.secrets.get(name, {})
    except Exception:  # no secrets.toml, or one that does not parse: no settings from it
        return {}
    return dict(section) if hasattr(section, "keys") else {}


def _secrets_section(name: str) -> dict[str, Any]:
    return secrets_once_per_run(f"section:{name}", lambda: _read_section(name))


def setting(env: str, key: str) -> str | None:
    """A deployment setting: the environment variable ``env``, else ``[hsc] key``."""
    if (value := os.environ.get(env)) is not None and value.strip():
        return value.strip()
    value = _secrets_section("hsc").get(key)
    return None if value is None else str(value).strip()


def _flag(env: str, key: str, default: bool) -> bool:
    value = (setting(env, key) or "").casefold()
    return True if value in TRUE else False if value in FALSE else default


def is_shared() -> bool:
    """True on a shared server (several users): the cautious defaults apply."""
    mode = (setting("HSC_DEPLOYMENT", "deployment") or "").casefold()
    if mode in ("shared", "local"):
        return mode == "shared"
    address = str(st.get_option("server.address") or "")
    return address not in LOOPBACK


def sql_box_enabled() -> bool:
    """Whether the Data page offers the DuckDB SQL box."""
    return _flag("HSC_SQL_BOX", "sql_box", default=not is_shared())


def team_database() -> str | None:
    """The configured team-database connection name, or None."""
    name = setting("HSC_TEAM_DATABASE", "team_database") or "team_db"
    return name if connection_settings(name) else None


def connection_settings(name: str) -> dict[str, Any]:
    """The ``[connections.<name>]`` table of secrets (url, dialect, create_engine_args...)."""
    section = _secrets_section("connections").get(name)
    return {k: (dict(v) if hasattr(v, "keys") else v) for k, v in section.items()} \
        if hasattr(section, "items") else {}
