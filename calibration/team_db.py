"""Read accounts from a team database through an operator-configured SQLAlchemy engine.

The operator configures the connection (URL and credentials, ideally of a read-only role);
the page only supplies one SELECT. On top of the role, the transaction is made read-only
where the database supports it (PostgreSQL, SQLite), PostgreSQL gets a statement timeout,
and rows are fetched in chunks under the row and cell limits.
"""

from __future__ import annotations

import pandas as pd

from calibration.limits import Limits, limits
from calibration.sandbox import SqlRefused, check_select

CHUNK_ROWS = 50_000


def run_readonly(engine, query: str, budget: Limits | None = None) -> pd.DataFrame:
    """Run one SELECT on ``engine`` (a SQLAlchemy Engine) read-only, within the limits.

    Raises :class:`SqlRefused` or :class:`~calibration.limits.LimitError` with a message for
    the user.
    """
    from sqlalchemy.exc import SQLAlchemyError

    budget = budget or limits()
    check_select(query)
    try:
        with engine.connect() as connection:
            _read_only(connection, budget)
            result = connection.execution_options(stream_results=True).exec_driver_sql(query)
            frame = _fetch(result, budget)
            connection.rollback()
            return frame
    except SQLAlchemyError as error:
        message = str(getattr(error, "orig", None) or error).strip().split("\n")[0]
        raise SqlRefused(f"the team database refused the query: {message}") from None


def _read_only(connection, budget: Limits) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        connection.exec_driver_sql(
            f"SET LOCAL statement_timeout = {int(budget.sql_time_limit_s) * 1000}")
    elif dialect == "sqlite":
        connection.exec_driver_sql("PRAGMA query_only = ON")


def _fetch(result, budget: Limits) -> pd.DataFrame:
    columns = list(result.keys())
    budget.check("max_columns", len(columns), "the query returns")
    chunks, rows = [], 0
    while batch := result.fetchmany(CHUNK_ROWS):
        rows += len(batch)
        if rows > budget.max_rows:
            raise budget.refusal("max_rows", f"the query returns more than {budget.max_rows:,}"
                                 " rows")
        budget.check("max_cells", rows * max(len(columns), 1), "the query returns at least")
        chunks.append(pd.DataFrame.from_records(batch, columns=columns))
    if not chunks:
        return pd.DataFrame(columns=columns)
    return pd.concat(chunks, ignore_index=True)
