"""AppTest: the Export page compares draft and baseline with calibration.compare's numbers,
and what it offers for download is built by calibration/ (tested there)."""

from __future__ import annotations

import json

import pytest

from calibration.accounts import load_accounts
from calibration.compare import compare
from calibration.config import load_config
from calibration.weights import apply_flat_weights, flat_weights, rebalance, round_to_total
from tests import independent
from tests.apptest_support import assert_clean, move_weight, run_app, until_jobs_done
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = pytest.mark.xdist_group("app")


def test_export_shows_comparison_of_tuned_draft():
    at = run_app()
    move_weight(at, "Executive sponsor", 30)
    at.switch_page("app_pages/export.py").run()
    assert_clean(at)
    # the comparison (point job) or the bootstrap still runs: a progress bar says so
    if not at.dataframe or "checking..." in set(at.dataframe[0].value["Result"]):
        assert at.get("progress"), "no progress bar while the comparison runs"
    until_jobs_done(at)
    assert "checking..." not in set(at.dataframe[0].value["Result"])
    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    flat = rebalance(round_to_total(flat_weights(config), digits=0), "Executive sponsor", 30,
                     digits=0)
    draft = apply_flat_weights(config, flat)
    expected = compare(table, config, draft, n_resamples=1000)
    shown = at.dataframe[0].value.set_index("Measure")
    auc = "AUC (ranking)"
    assert shown.loc[auc, "Baseline"] == f"{expected.metrics['auc']['baseline']:.3f}"
    assert shown.loc[auc, "Draft"] == f"{expected.metrics['auc']['draft']:.3f}"
    baseline_auc = independent.auc(independent.judged_accounts(table, config))
    draft_auc = independent.auc(independent.judged_accounts(table, draft))
    assert shown.loc[auc, "Baseline"] == f"{baseline_auc:.3f}"  # pandas + scipy, not compare()
    assert shown.loc[auc, "Draft"] == f"{draft_auc:.3f}"
    for key, label in (("auc", auc), ("surprise_churn_arr", "Surprise churn (ARR)"),
                       ("green_churn_rate", "Green churn rate")):
        assert shown.loc[label, "Result"] == expected.metrics[key]["status"]
    assert shown.loc["Surprise churn (ARR)", "Direction"] == "lower is better"
    verdict = expected.verdict_detail["label"]
    shown_verdict = [*at.success, *at.warning, *at.info, *at.error]
    assert any(m.value == expected.verdict for m in shown_verdict), verdict
    assert any("Executive sponsor" in m.value for m in at.markdown)
    movers = at.dataframe[1].value
    assert len(movers) == len(expected.movers)
    labels = [b.label for b in at.get("download_button")]
    assert len(labels) == 4, labels
    assert "Scored accounts (CSV)" in labels  # one row per account (test_speed_paths)
    # the every-snapshot file: prepared in the background on request, then offered
    at.button(key="ex::prepare_csv").click().run()
    until_jobs_done(at)
    labels = [b.label for b in at.get("download_button")]
    assert "History (CSV)" in labels, labels
    assert any(f"every snapshot scored ({len(table):,} rows)" in c.value for c in at.caption)


def test_bad_config_import_leaves_draft_untouched():
    at = run_app(page="export")
    before = at.session_state["workspace"].draft
    at.file_uploader(key="ex::import").set_value(
        ("broken.json", json.dumps({"schema_version": 1, "factors": [{"name": "x"}]}).encode(),
         "application/json")).run()
    assert_clean(at)
    assert any("was not imported; your draft is unchanged" in e.value for e in at.error)
    assert at.session_state["workspace"].draft == before
