"""Command line: ``python -m calibration <command>``.

Every failure prints a specific message (which file, column, rows) and exits non-zero; no
traceback reaches the user.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence

# Heavy modules (pandas, scipy, statsmodels, pydantic models) are imported by each command when
# it runs, never at module level here or in the cli_*.py modules: `--help` must stay instant.
EXIT_BAD_INPUT = 1


class CliParser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit 1 (like every other bad input), with the
    usage line and a specific message; ``--help`` still exits 0."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _score(args: argparse.Namespace) -> int:
    from calibration.cli_common import load_table
    from calibration.config import load_config
    from calibration.export import write_csv
    from calibration.scored import scored_table
    from calibration.scoring import score_frame

    config = load_config(args.config)
    table = load_table(args, config)
    result = score_frame(table.frame, config).result
    judged = None
    if args.horizon_days is not None:
        from calibration.validation import judged_rows

        judged = judged_rows(table, args.horizon_days)
        print(judged.describe(), file=sys.stderr)
    frame = scored_table(table, config, result, judged)
    write_csv(frame, args.out, overwrite=args.force)
    print(f"wrote {len(frame):,} scored rows to {args.out} (config {config.fingerprint()})",
          file=sys.stderr)
    return 0


def _schema(args: argparse.Namespace) -> int:
    from calibration.config import write_json_schema

    print(f"wrote {write_json_schema()}")
    return 0


def _print_report(report) -> None:
    if report.issues:
        print(report.describe(), file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one sub-command per task)."""
    parser = CliParser(prog="python -m calibration", description="Health Score Calibrator")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=CliParser)

    from calibration.cli_common import add_data_arguments

    score = sub.add_parser("score", help="score every account with a config")
    add_data_arguments(score, horizon_default=None, horizon_help=(
        "write one row per renewal decision validation judges instead of every snapshot: the "
        "account as it stood N days before the renewal, with the decision's outcome, renewal "
        "date, judge date and ARR (default: off, every snapshot row is written)"))
    score.add_argument("--config", required=True, help="config JSON/YAML file")
    score.add_argument("--out", required=True, help="output CSV")
    score.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    score.set_defaults(run=_score)

    schema = sub.add_parser("schema", help="regenerate calibration/config.schema.json")
    schema.set_defaults(run=_schema)
    for register in EXTRA_COMMANDS:
        register(sub)
    for command in sub.choices.values():
        _state_defaults(command)
    return parser


def _state_defaults(parser: argparse.ArgumentParser) -> None:
    """Append "(default: X)" to every option whose help does not already state its default,
    so --help always shows the real defaults (tests/test_cli_help_defaults.py)."""
    for action in parser._actions:
        if (not action.option_strings or action.default in (None, False, argparse.SUPPRESS)
                or action.help == argparse.SUPPRESS
                or re.search(r"default:? [^;),]", action.help or "")):
            continue  # no default, or the help already names its value
        shown = str(action.default).replace("%", "%%")
        action.help = f"{action.help} (default: {shown})" if action.help else (
            f"default: {shown}")


EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = build_parser().parse_args(argv)
    from calibration.cli_common import BadInput
    from calibration.cli_output import OutputRefused, check_output
    from calibration.config import ConfigError
    from calibration.data_quality import DataError

    try:
        check_output(args)
        return int(args.run(args) or 0)
    except (BadInput, ConfigError, DataError, FileExistsError, OutputRefused) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FileNotFoundError as error:
        print(f"error: file not found: {error.filename}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:  # permission denied, disk full, a directory in the way ...
        where = f": {error.filename}" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return 0


# Sub-command modules register themselves in EXTRA_COMMANDS (imported last: they import cli).
from calibration import (  # noqa: E402, F401, I001
    cli_init,  # init
    cli_validate,  # validate, bench
    cli_fitting,  # suggest, compare, diff
    cli_export,  # sql, report, export-config
    cli_workspace,  # workspace info / cleanup / backup
)
