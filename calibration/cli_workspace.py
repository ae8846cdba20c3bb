"""``workspace``: where the store is, retention cleanup, a consistent SQLite backup."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from calibration.cli import EXIT_BAD_INPUT, EXTRA_COMMANDS


def _open():
    from calibration.store import StoreError, open_store

    try:
        return open_store()
    except StoreError as error:
        raise _Refused(str(error)) from None
    except Exception as error:  # the database is down, unreachable or not ours
        raise _Refused(f"the workspace store cannot be opened ({type(error).__name__}: "
                       f"{str(error).splitlines()[0][:200]})") from None


class _Refused(Exception):
    pass


def _guarded(run):
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except _Refused as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
    return wrapper


def _info(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from calibration.store.engine import workspace_dir
    from calibration.store.schema import SCHEMA_VERSION, drafts, scenarios, versions

    store = _open()
    with store.engine.connect() as conn:
        counts = {name: conn.execute(select(func.count()).select_from(table)).scalar()
                  for name, table in (("drafts", drafts), ("scenarios", scenarios),
                                      ("published versions", versions))}
    print(f"store: {store.url} (schema version {SCHEMA_VERSION})")
    print(f"uploads: {workspace_dir() / 'uploads'}")
    print(", ".join(f"{n:,} {name}" for name, n in counts.items()))
    return 0


def _cleanup(args: argparse.Namespace) -> int:
    from calibration.store.engine import workspace_dir
    from calibration.store.retention import cleanup, retention_days

    try:
        draft_days, upload_days = retention_days()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    draft_days = args.draft_days or draft_days
    upload_days = args.upload_days or upload_days
    report = cleanup(_open(), workspace_dir(), draft_days=draft_days,
                     upload_days=upload_days, dry_run=args.dry_run)
    print(report.describe(args.dry_run) + f" (drafts kept {draft_days} days after their last "
          f"change, unused uploads {upload_days} days)")
    return 0


def _backup(args: argparse.Namespace) -> int:
    import sqlite3

    store = _open()
    out = Path(args.out)
    if store.backend != "sqlite":
        print("error: this store is on PostgreSQL: back it up with pg_dump (see README)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if out.exists():
        print(f"error: {out} already exists (choose a new file name)", file=sys.stderr)
        return EXIT_BAD_INPUT
    source = sqlite3.connect(store.engine.url.database)
    try:
        target = sqlite3.connect(out)
        with target:
            source.backup(target)  # consistent even while the app is writing
        target.close()
    except sqlite3.Error as error:
        out.unlink(missing_ok=True)
        print(f"error: backup to {out} failed: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        source.close()
    print(f"backed up {store.url} to {out}")
    return 0


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") \
            from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"expected 1 to 100000 days, got {value}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``workspace`` command and its sub-commands."""
    workspace = sub.add_parser("workspace", help="the workspace store: info, cleanup, backup")
    actions = workspace.add_subparsers(dest="action", required=True)
    info = actions.add_parser("info", help="where the store is and what it holds")
    info.set_defaults(run=_guarded(_info))
    clean = actions.add_parser(
        "cleanup", help="delete drafts past retention, unused uploads, stray temp files")
    clean.add_argument("--dry-run", action="store_true", help="only say what would go")
    clean.add_argument("--draft-days", type=_days, default=None,
                       help="keep drafts this many days after their last change "
                            "(default HSC_DRAFT_RETENTION_DAYS or 180)")
    clean.add_argument("--upload-days", type=_days, default=None,
                       help="keep uploads no draft uses this many days after last use "
                            "(default HSC_UPLOAD_RETENTION_DAYS or 7)")
    clean.set_defaults(run=_guarded(_cleanup))
    backup = actions.add_parser("backup", help="copy the SQLite store to a new file, safely "
                                               "while the app runs")
    backup.add_argument("out", help="the backup file to create")
    backup.set_defaults(run=_guarded(_backup))


EXTRA_COMMANDS.append(register)
