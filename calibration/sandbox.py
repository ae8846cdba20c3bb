"""The Data page's SQL box without a shell: one SELECT, run in a locked-down worker process.

The worker (:mod:`calibration.sandbox_worker`) can read only the files it is given, as
named tables (``accounts``, ...); it cannot write any file, load extensions, open network
connections, change its settings or run past its time and memory limits. See the worker's
docstring for the layers.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from calibration.limits import LimitError, Limits, limits

WORKER = Path(__file__).with_name("sandbox_worker.py")
TABLE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")
MAX_QUERY_CHARS = 100_000


class SqlRefused(ValueError):
    """The query was refused or failed; the message says why in the user's terms."""


def check_select(query: str) -> str:
    """The query if it is exactly one SELECT statement, else :class:`SqlRefused`."""
    import duckdb

    if not query.strip():
        raise SqlRefused("write a query first")
    if len(query) > MAX_QUERY_CHARS:
        raise SqlRefused(f"the query is longer than {MAX_QUERY_CHARS:,} characters")
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as error:
        raise SqlRefused(f"the query is not valid SQL: {_first_line(error)}") from None
    if len(statements) != 1:
        raise SqlRefused(f"one statement only: this text holds {len(statements)} (remove the "
                         "extra ';' parts)")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise SqlRefused(f"only a SELECT query is allowed, not {kind.name} (COPY, ATTACH, "
                         "INSTALL, LOAD, SET, PRAGMA, EXPORT, CALL and changes to data are "
                         "refused)")
    return query


def run_select(query: str, tables: Mapping[str, str | Path],
               budget: Limits | None = None) -> pd.DataFrame:
    """Run one SELECT over ``tables`` (name -> CSV/Parquet file) in the sandbox.

    Raises :class:`SqlRefused` (or :class:`~calibration.limits.LimitError` for a limit)
    with a message for the user; nothing else escapes.
    """
    budget = budget or limits()
    check_select(query)
    request = {
        "query": query, "tables": _table_files(tables),
        "memory_mb": budget.sql_memory_mb, "time_limit_s": budget.sql_time_limit_s,
        "max_rows": budget.max_rows, "max_columns": budget.max_columns,
        "max_cells": budget.max_cells,
        "max_bytes": min(budget.session_memory_mb, budget.sql_memory_mb) * 1024 * 1024,
    }
    with tempfile.TemporaryDirectory(prefix="hsc-sql-") as empty:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": empty,
               "LC_ALL": "C.UTF-8"}
        try:
            done = subprocess.run(
                [sys.executable, "-I", str(WORKER)], input=json.dumps(request).encode(),
                capture_output=True, cwd=empty, env=env,
                timeout=budget.sql_time_limit_s + 5, check=False)
        except subprocess.TimeoutExpired:
            raise _limit(budget, "sql_time_limit_s", "the query ran too long") from None
        except OSError as error:
            raise SqlRefused(f"the SQL worker could not start ({error.strerror})") from None
    if done.returncode == 0:
        return _read_result(done.stdout)
    raise _refusal(done.returncode, done.stderr, budget)


def _table_files(tables: Mapping[str, str | Path]) -> dict[str, list[str]]:
    out = {}
    for name, path in tables.items():
        if not name or set(name) - TABLE_NAME_CHARS:
            raise ValueError(f"bad table name {name!r}")
        resolved = Path(path).resolve()
        kind = "parquet" if resolved.suffix.lower() in (".parquet", ".pq") else "csv"
        out[name] = [str(resolved), kind]
    return out


def _read_result(raw: bytes) -> pd.DataFrame:
    import pyarrow as pa

    try:
        table = pa.ipc.open_stream(io.BytesIO(raw)).read_all()
    except pa.ArrowInvalid as error:
        raise SqlRefused(f"the query result could not be read ({error})") from None
    nested = [f.name for f in table.schema if pa.types.is_nested(f.type)]
    if nested:
        raise SqlRefused("the result has list or struct columns ("
                         + ", ".join(repr(n) for n in nested[:5]) + "); select plain text, "
                         "number or date columns (e.g. unnest them or cast them to VARCHAR)")
    return table.to_pandas()


def _refusal(code: int, stderr: bytes, budget: Limits) -> Exception:
    text = stderr.decode("utf-8", errors="replace").strip()
    try:
        detail = json.loads(text.splitlines()[-1])
        kind, message = detail["kind"], detail["message"]
    except (ValueError, KeyError, TypeError, IndexError):
        if code < 0:  # killed: CPU time, memory, a file write (SIGXFSZ) or a DuckDB abort
            return LimitError(
                f"the query was stopped (signal {-code}): it used too much memory or CPU "
                f"time, or tried a forbidden operation. The limits are {budget.sql_memory_mb:,}"
                f" MB (HSC_SQL_MEMORY_MB) and {budget.sql_time_limit_s:,} s "
                "(HSC_SQL_TIME_LIMIT_S); an administrator can raise them")
        return SqlRefused(f"the query failed in the SQL worker (exit {code}): "
                          + _first_line(text[-300:]))
    if kind.startswith("limit:"):
        return _limit(budget, kind.removeprefix("limit:"), message)
    if kind == "permission":
        return SqlRefused("the query may read only the tables offered here ("
                          "accounts and the other listed tables), not files or URLs: "
                          + _first_line(message))
    if kind in ("statement", "syntax"):
        return SqlRefused(message)
    return SqlRefused(f"query failed: {_first_line(message)}")


def _limit(budget: Limits, name: str, message: str) -> LimitError:
    return budget.refusal(name, message)


def _first_line(error: object) -> str:
    return str(error).strip().split("\n")[0]
