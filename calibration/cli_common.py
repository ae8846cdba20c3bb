"""Arguments and data loading shared by the CLI commands that judge renewal decisions.

Light on purpose: building the parser must not import pandas (see ``cli.py``); the data is
loaded by :func:`load_table`, which imports what it needs when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

DEFAULT_HORIZON_DAYS = 90  # = decisions.DEFAULT_HORIZON_DAYS (tests/test_cli_imports.py)
MAX_HORIZON_DAYS = 3650  # = decisions.MAX_HORIZON_DAYS
HORIZON_HELP = ("judge each renewal decision on the account as it stood N days before its "
                "renewal date (the judge date); 0 to {max:,} (default {default}; ignored for "
                "single-snapshot data)")
RENEWALS_HELP = ("separate renewals table (CSV/Parquet): one row per renewal with account id, "
                 "renewal date, outcome and optionally ARR, joined to --data by account id; "
                 "when given, outcomes come from it and not from --data")


DEFINITIONS = (
    "Each renewal decision (account, renewal date, decided outcome) is judged on the "
    "account's latest snapshot on or before its judge date = renewal date - horizon. Lead "
    "time: days from the first red snapshot in the year before a churn to the churn date; it "
    "also looks at snapshots after the judge date, so 'red at the judge date' (the share of "
    "churned renewals already red on their judged snapshot) is reported beside it. Score "
    "drop: the score fell 15+ points during the 90 days up to the judge date.")


def horizon_days(text: str) -> int:
    """argparse type: a whole number of days from 0 to MAX_HORIZON_DAYS."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number of days (e.g. 90)") from None
    if not 0 <= value <= MAX_HORIZON_DAYS:
        raise argparse.ArgumentTypeError(
            f"{value:,} days is not a usable horizon: use 0 (judge on the renewal date) to "
            f"{MAX_HORIZON_DAYS:,} days before each renewal")
    return value


MAX_RESAMPLES = 10_000  # bootstrap memory grows with resamples x decisions


def whole_number(low: int, high: int, what: str):
    """argparse type factory: a whole number from ``low`` to ``high`` (``what`` names it in
    the error, e.g. "bootstrap resamples")."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text[:40]!r} is not a whole number of {what}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{value:,} {what} is out of range: use {low:,} to {high:,}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def add_data_arguments(parser: argparse.ArgumentParser, *, horizon: bool = True,
                       horizon_default: int | None = DEFAULT_HORIZON_DAYS,
                       horizon_help: str | None = None) -> None:
    """Add ``--data``, ``--renewals`` and (optionally) ``--horizon-days``."""
    parser.add_argument("--data", required=True, help="CSV or Parquet account (snapshot) file")
    parser.add_argument("--renewals", default=None, metavar="FILE", help=RENEWALS_HELP)
    if horizon:
        parser.add_argument("--horizon-days", type=horizon_days, default=horizon_default,
                            metavar="N", help=horizon_help or HORIZON_HELP.format(
                                max=MAX_HORIZON_DAYS, default=horizon_default))


class BadInput(ValueError):
    """An input file or option that cannot be used; the message names file, row and value."""


TAGS_HELP = ("reference tags CSV (columns account_id, tag = healthy / struggling): accounts "
             "the team knows are healthy or struggling, laid over the data's reference column; "
             "validation reports how many land in the right band")
WORKSPACE_TAGS_HELP = ("use the reference tags saved in the workspace store (tagged on the app's "
                       "Accounts page) for this data, matched by its content fingerprint")


def add_tag_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--tags FILE`` / ``--workspace-tags`` (with ``--owner``)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--tags", metavar="CSV", default=None, help=TAGS_HELP)
    group.add_argument("--workspace-tags", action="store_true", help=WORKSPACE_TAGS_HELP)
    parser.add_argument("--owner", default="local",
                        help="with --workspace-tags: whose tags (the signed-in e-mail on a team "
                             "server; local on your own machine)")


def load_table(args: argparse.Namespace, config: Any):
    """The account table named by ``--data`` (with ``--renewals`` attached and ``--tags`` /
    ``--workspace-tags`` laid over its reference labels), its data-quality reports printed
    to stderr."""
    from calibration.renewals import load_with_renewals

    table, renewals_report = load_with_renewals(args.data, config,
                                                getattr(args, "renewals", None))
    if table.report.issues:
        print(table.report.describe(), file=sys.stderr)
    if renewals_report is not None and renewals_report.issues:
        print(renewals_report.describe(), file=sys.stderr)
    return _with_reference_tags(args, table)


def _with_reference_tags(args: argparse.Namespace, table: Any):
    from pathlib import Path

    from calibration import reference_tags

    if getattr(args, "tags", None):
        try:
            tags = reference_tags.read_tags_file(args.tags)
        except ValueError as error:
            raise BadInput(str(error)) from None
        where = Path(args.tags).name
    elif getattr(args, "workspace_tags", False):
        tags = _store_tags(args, table)
        where = f"the workspace store ({args.owner})"
    else:
        return table
    present = set(reference_tags.account_ids_text(table))
    absent = sum(account not in present for account in tags)
    print(f"reference tags: {len(tags) - absent:,} tagged accounts from {where}"
          + (f" ({absent:,} tagged accounts are not in this data)" if absent else ""),
          file=sys.stderr)
    return reference_tags.with_tags(table, tags)


def _store_tags(args: argparse.Namespace, table: Any) -> dict[str, str]:
    from pathlib import Path

    from calibration import reference_tags
    from calibration.store import StoreError, open_store
    from calibration.store.tags import tags_for

    try:
        found = tags_for(open_store(), args.owner, reference_tags.dataset_key(table),
                         legacy_dataset=Path(args.data).name,
                         present=lambda: reference_tags.account_ids_text(table))
    except StoreError as error:
        raise BadInput(f"the workspace store cannot be read: {error}") from None
    except Exception as error:  # the database is down, unreachable or not ours
        raise BadInput(f"the workspace store cannot be read ({type(error).__name__}: "
                       f"{str(error).splitlines()[0][:200] if str(error) else ''})") from None
    return {t.account_id: t.tag for t in found}


RESAMPLES = whole_number(0, MAX_RESAMPLES, "bootstrap resamples")
SEED = whole_number(0, 2**32 - 1, "seed")


def write_suggestion(suggested: Any, args: argparse.Namespace, say: Any) -> None:
    """Write a suggested config to ``--out`` (refusing to overwrite unless ``--force``) and
    say where, or print its JSON on stdout when no ``--out`` was given."""
    from calibration.config import save_config

    if args.out:
        save_config(suggested, args.out, overwrite=args.force)
        say(f"\nwrote suggested config to {args.out} (config {suggested.fingerprint()})")
    else:
        print(suggested.to_json())
