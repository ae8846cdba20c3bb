"""Shared helpers for the robustness suite: run the CLI like a user and check the report."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from calibration.cli import main
from calibration.config import ColumnRoles, Config
from calibration.data_quality import QualityReport
from tests.conftest import make_config

HEADER = "id,usage,tickets,outcome,arr\n"
GOOD_ROWS = "a,50,1,renewed,10\nb,20,5,churned,5\nc,80,0,renewed,7\n"
ROLES = ColumnRoles(account_id="id", snapshot_date=None, segment=None, arr="arr",
                    outcome="outcome", renewal_date=None, reference_label=None)
DATED_ROLES = ROLES.model_copy(update={"snapshot_date": "date", "renewal_date": "renewal"})


def config(dated: bool = False) -> Config:
    """The two-factor test config, optionally with snapshot and renewal date columns."""
    if not dated:
        return make_config()
    return make_config(columns=DATED_ROLES.model_dump())


def run_cli(*argv: str) -> tuple[int, str, str]:
    """``python -m calibration argv``: exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def score_cli(tmp_path: Path, data: Path, cfg: Config | Path | None = None,
              *extra: str) -> tuple[int, str, Path]:
    """Run ``score`` on ``data``; returns exit code, stderr and the output path."""
    if not isinstance(cfg, Path):
        path = tmp_path / "config.json"
        path.write_text((cfg or config()).to_json())
        cfg = path
    out = tmp_path / "scored.csv"
    code, _, err = run_cli("score", "--data", str(data), "--config", str(cfg), "--out",
                           str(out), *extra)
    assert "Traceback" not in err
    return code, err, out


def assert_accounted(report: QualityReport) -> None:
    """Nothing dropped silently: read = used + rows listed by the excluding issues."""
    assert report.n_rows_read == report.n_rows_used + report.n_rows_excluded, report.describe()
    for issue in report.issues:
        if issue.excluded:
            assert issue.n_rows > 0 and issue.rows, issue
            assert len(issue.rows) == min(issue.n_rows, 20)
