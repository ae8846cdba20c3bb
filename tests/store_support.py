"""Workspace stores to test against: a SQLite file, and a fresh database on the throwaway
PostgreSQL server (tests/conftest.py ``postgres``)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import URL

from calibration.store import Store, open_store


def postgres_url(connect, dbname: str) -> URL:
    """SQLAlchemy URL of ``dbname`` on the test server."""
    info = connect.conninfo
    return URL.create("postgresql+psycopg", username=info["user"], database=dbname,
                      query={"host": info["host"], "port": str(info["port"])})


@contextmanager
def postgres_store(connect) -> Iterator[Store]:
    """A migrated store in a brand-new PostgreSQL database, dropped afterwards."""
    dbname = f"store_{secrets.token_hex(6)}"
    with connect() as conn:
        conn.execute(f"CREATE DATABASE {dbname}")
    store = open_store(postgres_url(connect, dbname))
    try:
        yield store
    finally:
        store.close()
        with connect() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
