"""``sql``, ``report`` and ``export-config`` sub-commands: getting a config to production."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from calibration.cli import EXTRA_COMMANDS
from calibration.cli_common import RESAMPLES

# A copy of sql.DIALECTS, so building the parser imports no pandas (tests/test_cli_imports.py
# checks that they agree).
DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "spark")
IDENTIFIER_CASES = ("exact", "upper", "lower")  # a copy of sql.IDENTIFIER_CASES


def _sql(args: argparse.Namespace) -> int:
    from calibration.config import load_config
    from calibration.sql import compile_sql

    config = load_config(args.config)
    if args.dbt:
        return _dbt(args, config)
    if args.ref or args.source or args.table.lstrip().startswith("{"):
        print("error: --ref, --source and {{ ref() }}/{{ source() }} tables need --dbt DIR "
              "(plain SQL reads a table by name)", file=sys.stderr)
        return 2
    parts = [p for p in args.table.split(".")] if args.table else ["accounts"]
    if not all(parts):
        print(f"error: bad table name {args.table!r}", file=sys.stderr)
        return 2
    sys.stdout.write(compile_sql(config, parts, args.dialect,
                                 identifier_case=args.identifier_case))
    return 0


def _dbt(args: argparse.Namespace, config) -> int:
    from calibration.sql.dbt import dbt_model, relation_expr

    try:
        if args.ref or args.source:
            relation = relation_expr(ref=args.ref, source=args.source)
        elif args.table.lstrip().startswith("{"):
            relation = relation_expr(relation=args.table)
        else:  # a bare name is another dbt model
            relation = relation_expr(ref=args.table)
        model = dbt_model(config, relation, args.dialect, model_name=args.model,
                          materialized=args.materialized, identifier_case=args.identifier_case)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    folder = Path(args.dbt)
    folder.mkdir(parents=True, exist_ok=True)
    files = {folder / f"{model.name}.sql": model.sql, folder / f"{model.name}.yml":
             model.properties}
    for path in files:
        _refuse_overwrite(path, args.force)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote dbt model {', '.join(str(p) for p in files)} (config "
          f"{config.fingerprint()}, reads {relation})", file=sys.stderr)
    return 0


def _bundle(args: argparse.Namespace, with_baseline: bool):
    """Load the data and configs named on the command line and gather the evidence."""
    from calibration.cli_common import load_table
    from calibration.configfile import import_config
    from calibration.evidence import gather

    config = import_config(Path(args.config).read_bytes(), args.config)
    table = load_table(args, config)
    baseline = None
    if with_baseline and getattr(args, "baseline", None):
        baseline = import_config(Path(args.baseline).read_bytes(), args.baseline)
    return gather(table, config, baseline, horizon_days=args.horizon_days,
                  bootstrap_resamples=args.bootstrap)


def _refuse_overwrite(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise FileExistsError(f"{out} already exists (use --force to overwrite)")


def _report(args: argparse.Namespace) -> int:
    from calibration.evidence import report_html

    out = Path(args.out)
    _refuse_overwrite(out, args.force)
    bundle = _bundle(args, with_baseline=True)
    html = report_html(bundle)
    out.write_text(html, encoding="utf-8")
    print(f"wrote {out} ({len(html.encode()) / 1e6:.1f} MB, config "
          f"{bundle.config.fingerprint()})", file=sys.stderr)
    return 0


def _export_config(args: argparse.Namespace) -> int:
    from calibration.configfile import export_config, write_config

    out = Path(args.out)
    _refuse_overwrite(out, args.force)
    bundle = _bundle(args, with_baseline=True)
    exported = export_config(bundle.config, bundle.evidence, author=args.author,
                             notes=args.notes)
    write_config(exported, out, args.format, overwrite=args.force)
    print(f"wrote {out} (config {exported.fingerprint()}, validated on "
          f"{bundle.evidence['data']['rows']:,} rows)", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sql``, ``report`` and ``export-config``."""
    from calibration.cli_common import add_data_arguments, add_tag_arguments

    sql = sub.add_parser("sql", help="print one SQL SELECT that scores accounts in a warehouse")
    sql.add_argument("--config", required=True, help="config JSON/YAML file")
    sql.add_argument("--dialect", choices=DIALECTS, default="duckdb")
    sql.add_argument("--table", default="accounts",
                     help="account table, optionally qualified: schema.table (with --dbt: "
                          "a model name, or {{ ref('...') }} / {{ source('...', '...') }})")
    sql.add_argument("--identifier-case", choices=IDENTIFIER_CASES, default=None,
                     help="write table and column names as given (exact) or upper/lower-cased;"
                          " default: upper on snowflake (matches unquoted objects), else exact")
    sql.add_argument("--dbt", metavar="DIR", default=None,
                     help="write a dbt model (<model>.sql + <model>.yml with column docs and "
                          "tests) into DIR instead of printing SQL")
    sql.add_argument("--ref", default=None, help="with --dbt: read {{ ref('REF') }}")
    sql.add_argument("--source", default=None,
                     help="with --dbt: read {{ source('SOURCE', 'TABLE') }}, given as "
                          "SOURCE.TABLE")
    sql.add_argument("--model", default="health_scores", help="with --dbt: model name")
    sql.add_argument("--materialized", choices=("view", "table"), default="view",
                     help="with --dbt: materialization (default view)")
    sql.add_argument("--force", action="store_true", help="with --dbt: overwrite the files")
    sql.set_defaults(run=_sql)

    report = sub.add_parser("report", help="self-contained HTML calibration report")
    add_data_arguments(report)
    report.add_argument("--config", required=True, help="config JSON/YAML file")
    add_tag_arguments(report)
    report.add_argument("--baseline", default=None, help="baseline config to compare with")
    report.add_argument("--bootstrap", type=RESAMPLES, default=1000,
                        help="bootstrap resamples for confidence intervals (0 = none)")
    report.add_argument("--out", required=True, help="output HTML file")
    report.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    report.set_defaults(run=_report)

    export = sub.add_parser("export-config",
                            help="write the config with its validation evidence attached")
    add_data_arguments(export)
    export.add_argument("--config", required=True, help="config JSON/YAML file")
    add_tag_arguments(export)
    export.add_argument("--baseline", default=None,
                        help="baseline config: the evidence records the comparison with it")
    export.add_argument("--out", required=True, help="output config file")
    export.add_argument("--author", default=None)
    export.add_argument("--notes", default=None)
    export.add_argument("--format", choices=["json", "yaml"], default=None,
                        help="default: from the --out extension (.yaml/.yml: yaml)")
    export.add_argument("--bootstrap", type=RESAMPLES,
                        default=1000)
    export.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    export.set_defaults(run=_export_config)


EXTRA_COMMANDS.append(register)
