"""The SQL box's worker process: runs one SELECT in a locked-down DuckDB and streams the
result as Arrow IPC on stdout. Started by :mod:`calibration.sandbox`, never imported by it.

Self-contained on purpose (standard library, duckdb and pyarrow only) so it runs with
``python -I``: no ``PYTHON*`` variables, no user site, not the app's import path.

Layers, outermost first:

1. operating-system limits set before DuckDB is imported: address space (a backstop for
   memory DuckDB does not track), CPU seconds, and a maximum file size of 0 bytes, so the
   process cannot write any file;
2. an empty working directory and ``HOME`` (no extensions to load, nothing to read there);
3. DuckDB: external access off except the listed input files, extensions never installed
   or loaded, no spilling to disk, one thread, a memory limit, configuration locked (and read
   back to prove it);
4. exactly one statement, and it must be a SELECT (checked again here);
5. an interrupt after the time limit, and row, cell and byte caps on the result.

Protocol: stdin carries one JSON request; on success the exit code is 0 and stdout is an Arrow
IPC stream; on refusal the exit code is 3 and stderr is one JSON object ``{"kind", "message"}``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import warnings

EXIT_REFUSED = 3
VIRTUAL_OVERHEAD_MB = 1536


def _refuse(kind: str, message: str) -> None:
    sys.stderr.write(json.dumps({"kind": kind, "message": message}))
    _exit(EXIT_REFUSED)


def _exit(code: int) -> None:
    """Flush and leave at once: interpreter finalisation with DuckDB's threads alive can
    abort the process ("exception not rethrown") after the answer was written."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _set_os_limits(memory_mb: int, cpu_seconds: int) -> None:
    # Address space, not resident memory: DuckDB and pyarrow reserve about 1 GB of virtual
    # memory at start, so the backstop is twice DuckDB's own limit plus that.
    memory = (2 * memory_mb + VIRTUAL_OVERHEAD_MB) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _connect(duckdb, tables: dict[str, list[str]], memory_mb: int):
    """A DuckDB connection that can read only ``tables`` (views over the allowed files)."""
    con = duckdb.connect(":memory:", config={
        "threads": 1,
        "memory_limit": f"{memory_mb}MB",
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        "allow_unsigned_extensions": False,
    })
    paths = [path for path, _ in tables.values()]
    con.execute(f"SET allowed_paths = [{', '.join(_quote(p) for p in paths)}]")
    con.execute("SET temp_directory = ''")
    con.execute("SET enable_external_access = false")
    for name, (path, kind) in tables.items():
        reader = "read_parquet" if kind == "parquet" else "read_csv"
        con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM {reader}({_quote(path)})')
    con.execute("SET lock_configuration = true")
    settings = dict(con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
        "'lock_configuration', 'autoinstall_known_extensions', 'autoload_known_extensions', "
        "'allow_community_extensions')").fetchall())
    expected = {"enable_external_access": "false", "lock_configuration": "true",
                "autoinstall_known_extensions": "false", "autoload_known_extensions": "false",
                "allow_community_extensions": "false"}
    if {k: str(v).lower() for k, v in settings.items()} != expected:
        _refuse("internal", f"the SQL sandbox could not be locked down ({settings})")
    return con


def _only_select(duckdb, query: str) -> None:
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as error:
        _refuse("syntax", str(error))
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        _refuse("statement", "only one SELECT statement is allowed")


def _stream(con, query: str, request: dict) -> None:
    import pyarrow as pa
    import pyarrow.ipc

    reader = con.sql(query).to_arrow_reader(batch_size=65_536)
    columns = len(reader.schema)
    if columns > request["max_columns"]:
        _refuse("limit:max_columns", f"the query returns {columns:,} columns")
    rows = size = 0
    out = sys.stdout.buffer
    with pa.ipc.new_stream(out, reader.schema) as writer:
        for batch in reader:
            rows += batch.num_rows
            size += batch.nbytes
            if rows > request["max_rows"]:
                _refuse("limit:max_rows", "the query returns more than "
                        f"{request['max_rows']:,} rows")
            if rows * max(columns, 1) > request["max_cells"]:
                _refuse("limit:max_cells", "the query returns more than "
                        f"{request['max_cells']:,} cells")
            if size > request["max_bytes"]:
                _refuse("limit:session_memory_mb", "the query result takes more than "
                        f"{size / 1e6:,.0f} MB")
            writer.write_batch(batch)


def main() -> None:
    """Read the request from stdin, run it, write the result or a refusal."""
    warnings.simplefilter("ignore")  # stderr carries only the refusal
    request = json.loads(sys.stdin.read())
    _set_os_limits(request["memory_mb"], request["time_limit_s"] + 2)
    import duckdb

    _only_select(duckdb, request["query"])
    con = _connect(duckdb, request["tables"], request["memory_mb"])
    timer = threading.Timer(request["time_limit_s"], con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        _stream(con, request["query"], request)
    except duckdb.InterruptException:
        _refuse("limit:sql_time_limit_s", "the query ran too long")
    except (duckdb.OutOfMemoryException, MemoryError):
        _refuse("limit:sql_memory_mb", "the query needed too much memory")
    except duckdb.PermissionException as error:
        _refuse("permission", str(error).split("\n")[0])
    except duckdb.Error as error:
        _refuse("query", str(error))
    finally:
        timer.cancel()
    _exit(0)


if __name__ == "__main__":
    main()
