"""``init``: a first config for a new account file (roles, outcome values, starter factors)."""

from __future__ import annotations

import argparse
import sys

from calibration.cli import EXTRA_COMMANDS


def _init(args: argparse.Namespace) -> int:
    from calibration.autoconfig.outcome_values import detect_outcome_values
    from calibration.autoconfig.roles import detect_roles
    from calibration.autoconfig.starter import default_factor_columns, starter_config
    from calibration.configfile import write_config
    from calibration.data_files import read_table
    from calibration.data_quality import DataError, QualityReport

    frame = read_table(args.data)
    roles = detect_roles(frame)
    if args.outcome:
        roles = roles.model_copy(update={"outcome": args.outcome})
    if roles.outcome is None:
        report = QualityReport(args.data)
        report.add("error", "no outcome column found: name it with --outcome COLUMN")
        raise DataError(report)
    if args.churned or args.renewed:
        churned, renewed = args.churned or [], args.renewed or []
        sentence = f"churned = {churned}, renewed = {renewed} (from the command line)"
    else:
        guess = detect_outcome_values(frame[roles.outcome], roles.outcome)
        if not guess.confident:
            report = QualityReport(args.data)
            report.add("error", f"{guess.reason} Say which with --churned VALUE ... and "
                       "--renewed VALUE ...", roles.outcome)
            raise DataError(report)
        churned, renewed, sentence = guess.churned_values, guess.renewed_values, guess.sentence
    roles = roles.model_copy(update={"churned_values": list(churned),
                                     "renewed_values": list(renewed)})
    columns = args.factors or default_factor_columns(frame, roles)
    if not args.factors:
        from calibration.autoconfig.starter import excluded_columns

        for why in excluded_columns(frame, roles).values():
            print(f"WARNING: not picked: {why}", file=sys.stderr)
    config = starter_config(frame, roles, columns, args.name)
    write_config(config, args.out, overwrite=args.force)
    mapped = ", ".join(f"{role}={column}" for role, column in roles.model_dump().items()
                       if isinstance(column, str) and not role.endswith("_values"))
    print(f"roles: {mapped}\noutcome: {sentence}\nfactors ({len(columns)}): "
          f"{', '.join(columns)}\nwrote {args.out} (config {config.fingerprint()}); check the "
          "roles and factors, then `validate` it", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``init``."""
    init = sub.add_parser("init", help="write a starter config for a new account file")
    init.add_argument("--data", required=True, help="CSV or Parquet account file")
    init.add_argument("--out", required=True, help="config file to write (.json or .yaml)")
    init.add_argument("--name", default="Starter config")
    init.add_argument("--outcome", default=None, help="outcome column (default: detected)")
    init.add_argument("--churned", nargs="+", default=None,
                      help="outcome values that mean churned (default: detected)")
    init.add_argument("--renewed", nargs="+", default=None,
                      help="outcome values that mean renewed (default: detected)")
    init.add_argument("--factors", nargs="+", default=None,
                      help="columns to use as factors (default: the strongest candidates)")
    init.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    init.set_defaults(run=_init)


EXTRA_COMMANDS.append(register)
