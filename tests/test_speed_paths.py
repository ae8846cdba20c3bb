"""The app's fast paths give the same numbers as the plain pipeline.

The app scores the judged rows only on a slider move, explains only the rows it shows, builds
the scored CSV in chunks and compares configs from cached scoring; each is checked here
against ``score_frame`` / ``compare`` / ``validate`` on the whole table.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from calibration.accounts import load_accounts
from calibration.compare import compare, paired_metrics
from calibration.config import config_from_dict, load_config
from calibration.export import csv_bytes
from calibration.scored import scored_table
from calibration.scoring import score_frame
from calibration.validation import judged_rows, validate
from calibration.weights import apply_flat_weights, flat_weights
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def setup():
    from ui import state

    base = load_config(DEMO_CONFIG)
    raw = base.model_dump()
    raw["guardrails"][0]["enabled"] = True
    raw["factors"][0]["rule"]["lo"] = float(raw["factors"][0]["rule"]["lo"]) + 7
    draft = apply_flat_weights(config_from_dict(raw), {**flat_weights(base),
                                                       "Executive sponsor": 20.0})
    ws = state.Workspace(draft_id="speedpaths01", source_name="demo",
                         source_path=str(DEMO_DATA), baseline=base, draft=draft)
    table = load_accounts(DEMO_DATA, draft)
    return ws, table, base, draft


def test_judged_evaluation_matches_whole_table_scoring(setup):
    from ui import state

    ws, table, _, draft = setup
    evaluation = state.evaluate(ws, draft, table)
    full = score_frame(table.frame, draft, explain=False)
    rows = judged_rows(table, ws.horizon_days).rows
    np.testing.assert_array_equal(evaluation.rows, rows)
    np.testing.assert_array_equal(evaluation.judged_result.score, full.result.score[rows])
    np.testing.assert_array_equal(evaluation.judged_result.band, full.result.band[rows])
    np.testing.assert_array_equal(evaluation.judged_matrix.points, full.matrix.points[rows])
    np.testing.assert_array_equal(evaluation.result.score, full.result.score)  # every row
    expected = validate(table, draft, full, by_segment=False, include_logit=False,
                        include_factors=False)
    assert evaluation.metrics["auc"]["value"] == pytest.approx(expected["auc"]["value"],
                                                                abs=1e-12)
    assert evaluation.metrics["surprise_churn"]["arr"] == expected["surprise_churn"]["arr"]


def test_explaining_a_few_rows_matches_explaining_all(setup):
    from ui import state

    ws, table, _, draft = setup
    evaluation = state.evaluate(ws, draft, table)
    full = score_frame(table.frame, draft, explain=True).result
    rows = np.array([5, 17, 4000, len(table) - 1])
    points, result = state.explain_rows(evaluation, rows)
    np.testing.assert_array_equal(points.points, evaluation.matrix.points[rows])
    np.testing.assert_allclose(result.contributions, full.contributions[rows], atol=1e-9)
    np.testing.assert_allclose(result.subscores, full.subscores[rows], atol=1e-9)
    np.testing.assert_array_equal(result.score, full.score[rows])


def test_chunked_scored_csv_is_the_one_pass_csv(setup, monkeypatch):
    from ui import evidence, state

    ws, table, _, draft = setup
    monkeypatch.setattr(evidence, "CSV_CHUNK_ROWS", 7_001)  # several chunks, uneven tail
    expected = csv_bytes(scored_table(table, draft, score_frame(table.frame, draft).result))
    shares: list[float] = []
    assert evidence.scored_csv(state.evaluate(ws, draft, table), shares.append) == expected
    assert len(shares) == -(-len(table) // 7_001) and shares == sorted(shares)
    assert shares[-1] == pytest.approx(1.0, abs=1e-3)


def test_latest_scored_csv_is_each_accounts_latest_row(setup):
    """The primary CSV: the whole-table scored file cut to each account's latest snapshot
    (found by pandas here), row for row."""
    from ui import evidence, state

    ws, table, _, draft = setup
    full = scored_table(table, draft, score_frame(table.frame, draft).result)
    latest = full.sort_values("snapshot_date", kind="stable").groupby("account_id").tail(1)
    expected = csv_bytes(latest.sort_index())
    got = evidence.latest_scored_csv(state.evaluate(ws, draft, table))
    assert got == expected
    assert len(latest) == table.frame[draft.columns.account_id].nunique() > 1000


def test_cached_comparison_matches_compare(setup):
    from ui import evidence, state

    ws, table, base, draft = setup
    got = evidence.comparison(state.evaluate(ws, base, table), state.evaluate(ws, draft, table),
                              200)
    expected = compare(table, base, draft, n_resamples=200)
    assert got.metrics == expected.metrics
    assert got.verdict == expected.verdict
    pd.testing.assert_frame_equal(got.movers, expected.movers)
    pd.testing.assert_frame_equal(got.migration_latest, expected.migration_latest)
    assert len(got.movers) > 0


def test_point_estimates_without_bootstrap(setup):
    _, table, base, draft = setup
    decisions = judged_rows(table)
    rows = decisions.rows
    a, b = (score_frame(table.frame, c, explain=False).result for c in (base, draft))
    args = (a.score[rows], a.band[rows], b.score[rows], b.band[rows], decisions.churned,
            decisions.arr)
    quick, boot = paired_metrics(*args, n_resamples=0), paired_metrics(*args, n_resamples=50)
    for name, metric in quick.items():
        assert metric["ci"] is None and not metric["ci_excludes_zero"]
        assert metric["draft"] == pytest.approx(boot[name]["draft"], rel=1e-12)
        assert metric["diff"] == pytest.approx(boot[name]["diff"], rel=1e-9, abs=1e-12)


def test_canonical_is_built_once_and_safe_to_modify(setup):
    _, table, _, _ = setup
    arr, snapshot = table.arr.copy(), table.snapshot_date.copy()
    first = table.canonical()
    first["outcome"] = "changed"
    first.loc[0, "arr"] = -1.0
    first.loc[1, "snapshot_date"] = pd.Timestamp("1999-01-01")
    again = table.canonical()
    assert (again["outcome"].to_numpy() == table.outcome).all()
    assert again.loc[0, "arr"] == table.arr[0] or np.isnan(table.arr[0])
    # the table's own arrays (which the canonical frame shares) are untouched
    np.testing.assert_array_equal(table.arr, arr)
    np.testing.assert_array_equal(table.snapshot_date, snapshot)
    np.testing.assert_array_equal(again["snapshot_date"].to_numpy(), snapshot)


def test_wilson_ci_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    from calibration.metrics import wilson_ci

    rng = np.random.default_rng(3)
    n = rng.integers(1, 5_000, 300)
    k = np.minimum(n, rng.integers(0, 5_000, 300))
    k[:5], n[:5] = 0, [1, 2, 10, 100, 7]
    k[5:10] = n[5:10]
    for alpha in (0.05, 0.1, 0.01):
        lo, hi = wilson_ci(k, n, alpha)
        ref_lo, ref_hi = proportion_confint(k, n, alpha=alpha, method="wilson")
        np.testing.assert_allclose(lo, np.clip(ref_lo, 0, 1), atol=1e-12)
        np.testing.assert_allclose(hi, np.clip(ref_hi, 0, 1), atol=1e-12)


def _without_footer_time(html: bytes) -> str:
    import re

    return re.sub(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", "Generated", html.decode())


def test_prepared_report_is_the_cli_report(setup):
    """The export job's report bytes (built in the background) are the report the CLI's
    path builds from scratch; other draft details get a report built with them."""
    from calibration.evidence import gather, report_html
    from ui import evidence, state

    ws, table, base, draft = setup
    prepared = evidence.bundle_job(ws, state.evaluate(ws, base, table),
                                   state.evaluate(ws, draft, table), 200).value()
    expected = report_html(gather(table, draft, base, horizon_days=ws.horizon_days,
                                  bootstrap_resamples=200)).encode()
    assert _without_footer_time(prepared.report_for(draft)) == \
        _without_footer_time(expected)
    assert prepared.report_for(draft) is prepared.report  # prepared, not rebuilt
    renamed = draft.with_details(name="Q4 proposal for the board")
    assert "Q4 proposal for the board" in prepared.report_for(renamed).decode()
    assert "Q4 proposal for the board" not in prepared.report.decode()


def test_export_evidence_from_cached_parts_is_validate(setup):
    """The export's evidence assembled from the pages' cached parts (judged rows, look-back
    and drop windows) is validate()'s on every scored snapshot, key for key and in order."""
    import json

    from calibration.evidence import BASELINE_OPTIONS
    from ui import export_evidence, state

    ws, table, base, draft = setup
    for config, options, mine in ((draft, {"bootstrap_resamples": 200}, {"resamples": 200}),
                                  (base, BASELINE_OPTIONS, export_evidence.BASELINE)):
        got = export_evidence.validation(state.evaluate(ws, config, table), **mine)
        expected = validate(table, config, score_frame(table.frame, config),
                            horizon_days=ws.horizon_days, **options)
        assert json.dumps(got, default=str) == json.dumps(expected, default=str)
        assert got["score_drops"]["with_drop"]["accounts"] > 0
        assert ("segments" in got) == (config is draft)
        assert config is base or len(got["segments"]) >= 2
    assert len(got["lead_time_days"]["per_account"]) > 0


def _object_tier_table(tiers: list, snapshots: list[str]):
    """Two accounts with a column of Python objects: the rows of some subset (numbers
    only) read 1.0 as the number 1 (mapped to 100 points), the whole column (numbers and
    text) as the text "1.0" (the default, 0 points)."""
    from calibration.accounts import prepare
    from tests.conftest import make_config

    n = len(snapshots)
    frame = pd.DataFrame({
        "id": ["a"] * n + ["b"] * n,
        "outcome": (["open"] * (n - 1) + ["renewed"]) + (["open"] * (n - 1) + ["churned"]),
        "snapshot": pd.to_datetime(snapshots * 2),
        "renewal": pd.to_datetime(([None] * (n - 1) + ["2025-12-31"]) * 2),
        "arr": 10.0, "usage": 90.0, "tier": pd.Series(tiers * 2, dtype=object)})
    config = make_config(columns={
        "account_id": "id", "snapshot_date": "snapshot", "renewal_date": "renewal",
        "segment": None, "arr": "arr", "outcome": "outcome", "reference_label": None},
        factors=[{"name": "usage", "column": "usage", "weight": 50,
                  "rule": {"kind": "linear", "lo": 0, "hi": 100}},
                 {"name": "tier", "column": "tier", "weight": 50,
                  "rule": {"kind": "mapping", "points": {"1": 100, "gold": 60}, "default": 0}}])
    return prepare(frame, config.columns, config), config


def test_latest_csv_and_drops_of_an_object_column_are_every_row_numbers():
    """Scoring a subset of rows by itself would read an object column differently: the
    primary CSV (latest rows) and the export's score drops (window rows) keep the whole
    table's numbers."""
    from calibration.validation import drop_signal
    from ui import evidence, export_evidence, state

    table, config = _object_tier_table(["gold", 1.0], ["2025-01-31", "2025-06-30"])
    full = score_frame(table.frame, config)
    latest = np.array([1, 3])
    assert score_frame(table.frame.iloc[latest], config).matrix.points[0, 1] != \
        full.matrix.points[1, 1]  # the trap is real
    evaluation = state.Evaluation(config, None, None, None, {}, table, "object-tier",
                                  np.array([]))
    expected = csv_bytes(scored_table(table, config, full.result).iloc[latest])
    assert evidence.latest_scored_csv(evaluation) == expected

    # judged on 08-31 (renewal - 90 days); the window opens at 06-30's row: read alone, the
    # window rows (1.0 then 2.0) would fall from 95 to 45 points, the whole table's do not
    table, config = _object_tier_table(["gold", 1.0, 2.0],
                                       ["2025-01-31", "2025-06-30", "2025-08-31"])
    full = score_frame(table.frame, config)
    judged = judged_rows(table, 90)
    view = state.JudgedView(judged, table.frame.iloc[judged.rows], judged.churned, judged.arr,
                            judged.account_id, np.asarray(table.reference[judged.rows]))
    evaluation = state.Evaluation(config, view, None, None, {}, table, "object-tier-2",
                                  np.array([]))
    expected = drop_signal(table, full.result, judged)
    assert expected["with_drop"]["accounts"] == 0
    assert export_evidence.drop_signal(evaluation) == expected


def test_latest_rows_follow_the_roles_the_table_was_read_with(tmp_path):
    """Each account's latest row is cached per data *and* roles: the same file read with
    another snapshot-date column has other latest rows (shared caches keyed by the file
    alone handed one session's positions to another)."""
    from tests.conftest import make_config
    from ui import evidence, state

    frame = pd.DataFrame({
        "id": ["a", "a", "b", "b"], "outcome": ["open", "renewed", "open", "churned"],
        "snap1": pd.to_datetime(["2025-01-31", "2025-06-30"] * 2),
        "snap2": pd.to_datetime(["2025-06-30", "2025-01-31"] * 2),
        "renewal": pd.to_datetime([None, "2025-12-31"] * 2), "arr": 10.0,
        "usage": [10.0, 90.0, 20.0, 80.0]})
    path = tmp_path / "two_dates.parquet"
    frame.to_parquet(path)
    for i, snap in enumerate(("snap1", "snap2")):
        config = make_config(
            columns={"account_id": "id", "snapshot_date": snap, "renewal_date": "renewal",
                     "segment": None, "arr": "arr", "outcome": "outcome",
                     "reference_label": None},
            factors=[{"name": "usage", "column": "usage", "weight": 100,
                      "rule": {"kind": "linear", "lo": 0, "hi": 100}}])
        ws = state.Workspace(draft_id=f"latestroles{i}", source_name=path.name,
                             source_path=str(path), baseline=config, draft=config)
        written = pd.read_csv(io.BytesIO(evidence.latest_scored_csv(state.evaluate(ws, config))))
        # by hand: each account's row with the latest date in this session's column
        want = frame.loc[frame.groupby("id")[snap].idxmax()].sort_values("id")
        assert written["account_id"].tolist() == want["id"].tolist()
        assert written["points: usage"].tolist() == want["usage"].tolist(), snap  # 0-100 linear
        assert written["snapshot_date"].tolist() == want[snap].dt.strftime("%Y-%m-%d").tolist()


def test_chunked_csv_keeps_the_renewal_date_a_later_chunk_needs(tmp_path, monkeypatch):
    """The every-snapshot CSV has the whole file's columns in every chunk: a first chunk of
    early snapshots without renewal dates no longer drops the column for the decided rows
    further down (equal to the file written in one pass)."""
    from calibration.export import csv_bytes
    from tests.conftest import make_config
    from ui import evidence, state

    frame = pd.DataFrame({
        "id": ["a", "b", "a", "b"], "outcome": ["open", "open", "renewed", "churned"],
        "snap": pd.to_datetime(["2025-01-31", "2025-01-31", "2025-06-30", "2025-06-30"]),
        "renewal": pd.to_datetime([None, None, "2025-12-31", "2025-12-31"]), "arr": 10.0,
        "usage": [10.0, 20.0, 90.0, 80.0]})
    path = tmp_path / "renewals_last.parquet"
    frame.to_parquet(path)
    config = make_config(
        columns={"account_id": "id", "snapshot_date": "snap", "renewal_date": "renewal",
                 "segment": None, "arr": "arr", "outcome": "outcome", "reference_label": None},
        factors=[{"name": "usage", "column": "usage", "weight": 100,
                  "rule": {"kind": "linear", "lo": 0, "hi": 100}}])
    ws = state.Workspace(draft_id="chunkrenewal0", source_name=path.name,
                         source_path=str(path), baseline=config, draft=config)
    evaluation = state.evaluate(ws, config)
    table = evaluation.table
    one_pass = csv_bytes(scored_table(table, config, score_frame(table.frame, config).result))
    monkeypatch.setattr(evidence, "CSV_CHUNK_ROWS", 2)  # stands for 200,000 early rows
    chunked = evidence.scored_csv(evaluation)
    assert chunked == one_pass
    assert pd.read_csv(io.BytesIO(chunked))["renewal_date"].notna().sum() == 2
