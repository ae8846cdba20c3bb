"""Benchmark of the whole-file paths the tests check only for correctness.

``python scripts/bench_pipeline.py`` times, with wall and CPU time (the machine may be
shared, so both are printed):

* generating the seeded demo data set (``data/generate_demo.py``, what ``make demo-data``
  runs), which tests/test_demo_data.py checks for content only;
* the CLI ``score`` of a 1,000,000-account parquet file (read, score, write every row as
  CSV), which tests/robustness/test_big_files.py checks for correctness only.

Timing asserts in tests fail on a busy machine, not on slow code: the budgets live here.
The former test budgets were 5 s for the demo data and 30 s (CPU) for the million rows; the
exit code is 1 when a CPU time exceeds its budget (``--no-budget`` only prints).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEMO_BUDGET_S = 5.0
MILLION_BUDGET_S = 30.0


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def timed(func: Callable[[], Any]) -> tuple[Any, float, float]:
    """``func()`` with its wall and CPU seconds (this process)."""
    wall, cpu = time.perf_counter(), _cpu_seconds()
    value = func()
    return value, time.perf_counter() - wall, _cpu_seconds() - cpu


def bench_demo_data() -> dict[str, Any]:
    """Generate the default demo data set in memory (nothing is written)."""
    spec = importlib.util.spec_from_file_location("generate_demo",
                                                  ROOT / "data" / "generate_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    frame, wall, cpu = timed(module.generate_demo)
    return {"stage": "demo data generation", "rows": len(frame), "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2), "budget_cpu_s": DEMO_BUDGET_S}


def bench_million(accounts: int = 1_000_000) -> dict[str, Any]:
    """``python -m calibration score`` on ``accounts`` synthetic accounts (parquet -> CSV)."""
    from calibration.bench import synthetic_accounts
    from calibration.cli import main
    from calibration.demo import DEMO_CONFIG

    with tempfile.TemporaryDirectory(prefix="hsc-bench-") as tmp:
        data, out = Path(tmp) / "accounts.parquet", Path(tmp) / "scored.csv"
        synthetic_accounts(accounts).to_parquet(data)
        argv = ["score", "--data", str(data), "--config", str(DEMO_CONFIG), "--out", str(out)]
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code, wall, cpu = timed(lambda: main(argv))
        if code != 0:
            raise SystemExit(f"score failed: {err.getvalue()[-500:]}")
    return {"stage": "CLI score: load + score + write CSV", "rows": accounts,
            "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "budget_cpu_s": MILLION_BUDGET_S}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000,
                        help="accounts for the CLI score run (default 1,000,000)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--no-budget", action="store_true",
                        help="print only; exit 0 even when over budget")
    args = parser.parse_args(argv)
    results = [bench_demo_data(), bench_million(args.accounts)]
    if args.format == "json":
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(f"{r['stage']:<40}{r['rows']:>11,} rows  {r['wall_s']:>7.2f} s wall  "
                  f"{r['cpu_s']:>7.2f} s CPU  (budget {r['budget_cpu_s']:g} s CPU)")
    over = [r["stage"] for r in results if r["cpu_s"] > r["budget_cpu_s"]]
    if over and not args.no_budget:
        print(f"over budget: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
