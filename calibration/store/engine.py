"""Where the workspace store lives and how to open it.

SQLite by default (one file, created on first run); PostgreSQL when a database URL is
configured. Opening a store migrates it to the current schema.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from calibration.store.schema import migrate

STORE_FILE = "workspace.db"
URL_ENV = "HSC_DATABASE_URL"
DIR_ENVS = ("HSC_WORKSPACE_DIR", "HSC_DRAFTS_DIR")  # the second is the pre-store name
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "drafts"
ID_BYTES = 16  # 128 random bits


class StoreError(Exception):
    """A store operation that cannot be done; the message is meant for the user."""


class NotFound(StoreError):
    """No such record for this user (also what another user's record looks like)."""


R = TypeVar("R")


def from_row(record_type: type[R], row: Mapping[str, Any]) -> R:
    """The record dataclass ``record_type`` from a database row (or the dict of values just
    inserted) holding at least its fields."""
    return record_type(**{f.name: row[f.name] for f in fields(record_type)})


def new_id() -> str:
    """A fresh random id (128 bits, 32 lowercase hex characters)."""
    return secrets.token_hex(ID_BYTES)


def workspace_dir(environ: dict[str, str] | None = None) -> Path:
    """The folder holding the SQLite store and uploaded files (``HSC_WORKSPACE_DIR``)."""
    environ = os.environ if environ is None else environ
    for name in DIR_ENVS:
        if environ.get(name):
            return Path(environ[name])
    return DEFAULT_DIR


def store_url(url: str | URL | None = None, environ: dict[str, str] | None = None) -> URL:
    """The database URL: ``url`` if given, else ``HSC_DATABASE_URL``, else SQLite in the
    workspace folder. ``postgresql://`` means the psycopg 3 driver."""
    environ = os.environ if environ is None else environ
    raw = url or environ.get(URL_ENV)
    if not raw:
        return URL.create("sqlite", database=str(workspace_dir(environ) / STORE_FILE))
    try:
        parsed = make_url(raw)
    except ArgumentError:
        raise StoreError("the workspace database URL is not a valid SQLAlchemy URL "
                         "(expected e.g. postgresql://user@host/dbname)") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"the workspace store supports SQLite and PostgreSQL, not "
                         f"{parsed.get_backend_name()}")
    return parsed


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # atomic commits; crash-safe in WAL mode
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # writes take the write lock up front: two tabs saving at once queue up (busy_timeout)
    # instead of one failing with "database is locked" halfway through its transaction
    immediate = conn.get_execution_options().get("write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: URL) -> Engine:
    """An engine for ``url``; SQLite files (and their folder) are created on first use."""
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


@dataclass
class Store:
    """An open, migrated workspace store."""

    engine: Engine

    @property
    def url(self) -> str:
        """The database URL without password (safe to show)."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.url.get_backend_name()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            yield conn

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def open_store(url: str | URL | None = None, environ: dict[str, str] | None = None) -> Store:
    """Open (creating and migrating when needed) the workspace store."""
    engine = make_engine(store_url(url, environ))
    migrate(engine)
    return Store(engine)
