"""The workspace store's tables and its versioned migrations.

A small ``schema_migrations`` table records which numbered migrations ran; each migration runs
in its own transaction, so a store is either at version N or N+1, never in between.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    insert,
    inspect,
    select,
)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and read back timezone-aware (SQLite and PostgreSQL
    agree)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


ID = String(64)
USER = String(320)
NAME = String(200)

metadata = MetaData()

migrations_table = Table(
    "schema_migrations", metadata,
    Column("version", Integer, primary_key=True),
    Column("description", Text, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

meta = Table(
    "workspace_meta", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

drafts = Table(
    "drafts", metadata,
    Column("id", ID, primary_key=True),
    Column("owner", USER, nullable=False),
    Column("name", NAME, nullable=False),
    Column("author", NAME, nullable=False, default=""),
    Column("notes", Text, nullable=False, default=""),
    Column("source_name", Text, nullable=False),
    Column("source_path", Text, nullable=False),
    Column("horizon_days", Integer, nullable=False),
    Column("renewals_name", Text, nullable=True),  # a separate renewals table, when used
    Column("renewals_path", Text, nullable=True),
    Column("baseline_json", Text, nullable=False),
    Column("draft_json", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", USER, nullable=False),
    Index("ix_drafts_owner_updated", "owner", "updated_at"),
)

scenarios = Table(
    "scenarios", metadata,
    Column("id", ID, primary_key=True),
    Column("draft_id", ID, ForeignKey("drafts.id", ondelete="CASCADE"), nullable=False),
    Column("owner", USER, nullable=False),
    Column("name", NAME, nullable=False),
    Column("config_json", Text, nullable=False),
    Column("config_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", USER, nullable=False),
    UniqueConstraint("draft_id", "name", name="uq_scenario_name"),
)

versions = Table(
    "published_versions", metadata,
    Column("id", ID, primary_key=True),
    Column("name", NAME, nullable=False, unique=True),
    Column("author", NAME, nullable=False),
    Column("notes", Text, nullable=False),
    Column("config_hash", String(64), nullable=False),
    Column("config_json", Text, nullable=False),
    Column("data_name", Text, nullable=False),
    Column("horizon_days", Integer, nullable=False),
    Column("draft_id", ID, nullable=True),
    Column("published_at", UTCDateTime, nullable=False),
    Column("published_by", USER, nullable=False),
)

reference_tags = Table(
    "reference_tags", metadata,
    Column("owner", USER, primary_key=True),
    Column("dataset", String(400), primary_key=True),
    Column("account_id", String(400), primary_key=True),
    Column("tag", String(20), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("updated_at", UTCDateTime, nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", USER, nullable=False),
    Column("owner", USER, nullable=False),
    Column("subject", String(20), nullable=False),  # draft / scenario / version
    Column("subject_id", ID, nullable=False),
    Column("action", String(40), nullable=False),
    Column("summary", Text, nullable=False),
    Index("ix_audit_subject", "subject_id", "at"),
)

V1_TABLES = [meta, drafts, scenarios, versions, reference_tags, audit_log]


def _create_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=V1_TABLES)


Migration = tuple[int, str, Callable[[Connection], None]]
MIGRATIONS: list[Migration] = [
    (1, "drafts, scenarios, published versions, reference tags, audit log", _create_v1),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def current_version(engine: Engine) -> int:
    """The highest migration applied (0 for an empty database)."""
    if not inspect(engine).has_table(migrations_table.name):
        return 0
    with engine.connect() as conn:
        versions_done = conn.execute(select(migrations_table.c.version)).scalars().all()
    return max(versions_done, default=0)


def migrate(engine: Engine) -> int:
    """Bring the database to the latest schema; returns the version reached.

    Refuses (RuntimeError) a database written by a newer release instead of guessing.
    """
    metadata.create_all(engine, tables=[migrations_table])
    done = current_version(engine)
    if done > SCHEMA_VERSION:
        raise RuntimeError(
            f"the workspace database is at schema version {done}, newer than this release "
            f"understands ({SCHEMA_VERSION}): upgrade the app or point it at another store")
    for number, description, step in MIGRATIONS:
        if number <= done:
            continue
        with engine.begin() as conn:
            step(conn)
            conn.execute(insert(migrations_table).values(
                version=number, description=description, applied_at=datetime.now(UTC)))
    return SCHEMA_VERSION
