"""``python -m calibration bench``: the timings that decide whether sliders feel instant."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np
import pandas as pd

from calibration import metrics
from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.demo import DEMO_CONFIG
from calibration.scoring import assign_segments, combine, factor_points, guardrail_hits
from calibration.weights import apply_flat_weights, flat_weights


def synthetic_accounts(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` one-row accounts with the demo config's columns and a churn outcome that
    depends on them (for timing only)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "account_id": np.char.add("A", np.arange(n).astype(str)),
        "account_name": np.char.add("Account ", np.arange(n).astype(str)),
        "snapshot_date": pd.NaT, "renewal_date": pd.NaT,
        "segment": rng.choice(["Enterprise", "Mid-market", "SMB"], n),
        "arr": rng.lognormal(10, 1, n).round(),
        "reference_label": "",
        "active_user_pct": rng.uniform(0, 100, n),
        "feature_adoption_pct": rng.uniform(0, 100, n),
        "top_user_share_pct": rng.uniform(5, 95, n),
        "logins_30d": rng.poisson(150, n),
        "open_tickets": rng.poisson(2, n),
        "unresolved_tickets_30d": rng.poisson(1, n),
        "escalations_90d": rng.poisson(0.3, n),
        "csm_assessment": rng.choice(["red", "yellow", "green"], n),
        "exec_sponsor": rng.random(n) < 0.8,
        "champion_change_90d": rng.random(n) < 0.1,
        "nps": np.where(rng.random(n) < 0.5, np.nan, rng.integers(0, 11, n)),
        "csat": rng.uniform(1, 5, n),
        "late_invoices_90d": rng.poisson(0.2, n),
    })
    risk = (-2 + 0.02 * (50 - frame["feature_adoption_pct"]) - 1.0 * frame["exec_sponsor"])
    frame["outcome"] = np.where(rng.random(n) < 1 / (1 + np.exp(-risk)), "churned", "renewed")
    return frame


def _median_ms(func: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def bench_size(n: int, repeats: int = 5, bootstrap_resamples: int = 1000) -> dict[str, Any]:
    """Time each stage for ``n`` accounts (medians in milliseconds)."""
    config = load_config(DEMO_CONFIG)
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "accounts.parquet"
        synthetic_accounts(n).to_parquet(path)
        load_ms = _median_ms(lambda: load_accounts(path, config), max(1, repeats // 2))
        table = load_accounts(path, config)
    frame = table.frame
    segments = assign_segments(frame, config)
    hits = guardrail_hits(frame, config)
    factor_ms = _median_ms(lambda: factor_points(frame, config, segments), repeats)
    matrix = factor_points(frame, config, segments)
    churned = table.outcome == "churned"
    flat = flat_weights(config)
    variants = [apply_flat_weights(config, {**flat, "Executive sponsor": float(w)})
                for w in (5, 10, 15, 20, 25)]
    state = {"i": 0}

    def weight_change() -> dict[str, Any]:
        state["i"] += 1
        draft = variants[state["i"] % len(variants)]
        result = combine(matrix, draft, segments, hits)
        return metrics.evaluate(result.score, churned, result.band, arr=table.arr,
                                ids=table.account_id, include_logit=False,
                                include_factors=False)

    change_ms = _median_ms(weight_change, repeats)
    result = combine(matrix, config, segments, hits)
    boot_ms = _median_ms(lambda: metrics.bootstrap(result.score, churned, result.band,
                                                   n_resamples=bootstrap_resamples), 3)
    return {"accounts": n, "load_ms": load_ms, "factor_scoring_ms": factor_ms,
            "weight_change_ms": change_ms, "bootstrap_ms": boot_ms,
            "bootstrap_resamples": bootstrap_resamples, "factors": len(config.factors)}


def run_bench(sizes: list[int], repeats: int = 5, bootstrap_resamples: int = 1000
              ) -> list[dict[str, Any]]:
    """Benchmark every size."""
    # a long-running process's steady state: KS p-values from scipy's compiled loop (a
    # short command computes a few small exact sums in Python instead: metrics.exact)
    import scipy.stats  # noqa: F401
    return [bench_size(n, repeats, bootstrap_resamples) for n in sizes]


def format_table(results: list[dict[str, Any]]) -> str:
    """Plain-text table of :func:`run_bench` results."""
    head = (f"{'accounts':>10}{'load':>10}{'factor scoring':>16}"
            f"{'weight change*':>16}{'bootstrap':>12}")
    lines = [head]
    for r in results:
        lines.append(f"{r['accounts']:>10,}{r['load_ms']:>8.0f}ms{r['factor_scoring_ms']:>14.1f}ms"
                     f"{r['weight_change_ms']:>14.1f}ms{r['bootstrap_ms']:>10.0f}ms")
    lines.append(f"* rescore + all metrics except logit, per-factor signal and bootstrap; "
                 f"bootstrap = {results[0]['bootstrap_resamples']} resamples; "
                 f"{results[0]['factors']} factors; medians")
    return "\n".join(lines)
