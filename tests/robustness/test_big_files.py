"""Size limits: a 1,000,000-account file loads, scores and writes every row through the CLI.

Only correctness is asserted here; how long it takes is measured by
``python -m calibration bench`` (timing asserts in tests fail on a busy machine, not on slow
code).
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from calibration.bench import synthetic_accounts
from calibration.demo import DEMO_CONFIG
from tests.robustness.support import run_cli

N = 1_000_000


@pytest.mark.slow
def test_one_million_rows_load_and_score(tmp_path):
    data = tmp_path / "million.parquet"
    synthetic_accounts(N).to_parquet(data)
    out = tmp_path / "scored.csv"
    code, _, err = run_cli("score", "--data", str(data), "--config", str(DEMO_CONFIG),
                           "--out", str(out))
    assert code == 0, err
    assert "Traceback" not in err and f"wrote {N:,} scored rows" in err
    with out.open("rb") as handle:
        assert sum(1 for _ in handle) == N + 1  # header + one line per account
    assert pq.ParquetFile(data).metadata.num_rows == N
