"""The CLI builds its parser (``--help``) without importing the heavy scientific stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from calibration import cli_export, cli_fitting, fitting, sql, validation

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "pandas", "scipy", "statsmodels", "pydantic", "pyarrow", "duckdb")


def _imported_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\n"
             f"import json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_building_the_parser_imports_no_heavy_module():
    code = ("from calibration.cli import build_parser\n"
            "parser = build_parser()\n"
            "for command in ('score', 'validate', 'suggest', 'compare', 'sql', 'report'):\n"
            "    try:\n"
            "        parser.parse_args([command, '--help'])\n"
            "    except SystemExit:\n"
            "        pass")
    assert _imported_after(code) == []


def test_the_probe_sees_heavy_imports():  # the check above can fail
    assert "pandas" in _imported_after("import calibration.accounts")


def test_parser_defaults_match_the_computation_modules():
    assert cli_fitting.DEFAULT_HORIZON_DAYS == validation.DEFAULT_HORIZON_DAYS
    assert cli_fitting.DEFAULT_TEST_MONTHS == fitting.DEFAULT_TEST_MONTHS
    assert cli_export.DIALECTS == sql.DIALECTS


def test_help_prints_every_command():
    done = subprocess.run([sys.executable, "-m", "calibration", "--help"], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0
    for command in ("score", "validate", "bench", "suggest", "compare", "diff", "sql", "report",
                    "export-config", "init", "schema"):
        assert command in done.stdout


def test_importing_the_config_models_builds_no_validator():
    # defer_build: the validators are built when a config is first validated (once, for the
    # Config and its parts), not for every model class at import
    code = ("import calibration.config as c\n"
            "models = (c.Config, c.Factor, c.LinearRule, c.Segment)\n"
            "print([m.__pydantic_complete__ for m in models])\n"
            "c.load_config('data/demo_config.json')\n"
            "print(c.Config.__pydantic_complete__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, check=True)
    assert done.stdout.split("\n")[:2] == ["[False, False, False, False]", "True"]
