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


def load_table(args: argparse.Namespace, config: Any):
    """The account table named by ``--data`` (with ``--renewals`` attached), its data-quality
    reports printed to stderr."""
    from calibration.renewals import load_with_renewals

    table, renewals_report = load_with_renewals(args.data, config,
                                                getattr(args, "renewals", None))
    if table.report.issues:
        print(table.report.describe(), file=sys.stderr)
    if renewals_report is not None and renewals_report.issues:
        print(renewals_report.describe(), file=sys.stderr)
    return table


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
