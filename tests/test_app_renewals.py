"""AppTest: the Renewals page shows exactly what calibration.validation computes."""

from __future__ import annotations

import numpy as np
import pytest

from calibration import formatting, outcomes, svg_lines
from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.scoring import score_frame
from calibration.validation import validate
from tests import independent
from tests.apptest_support import (
    metric,
    run_app,
    single_snapshot_workspace,
    svg_charts,
    until_jobs_done,
)
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = pytest.mark.xdist_group("app")


@pytest.fixture(scope="module")
def evidence():
    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    scored = score_frame(table.frame, config, explain=False)
    return validate(table, config, scored, bootstrap_resamples=1000, by_segment=True)


def ci_text(result) -> str:
    lo, hi = result["auc_ci"]["value"]
    return f"{lo:.3f} to {hi:.3f}"


def shown(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_headline_numbers_equal_validation(evidence):
    at = until_jobs_done(run_app(page="renewals"))  # the slow parts come from jobs
    values = shown(at)
    assert values["AUC"] == f"{evidence['auc']['value']:.3f}"
    assert values["AUC likely range"] == ci_text(evidence)
    assert values["KS"] == f"{evidence['ks']['value']:.3f}"
    assert values["Correlation with renewal"] == f"{evidence['point_biserial_r']['value']:.3f}"
    assert values["Revenue-weighted AUC"] == (
        f"{evidence['arr_weighted']['auc']['value']:.3f}")
    config = load_config(DEMO_CONFIG)
    judged = independent.judged_accounts(load_accounts(DEMO_DATA, config), config)
    assert values["AUC"] == f"{independent.auc(judged):.3f}"
    assert values["KS"] == f"{independent.ks(judged):.3f}"
    assert values["Correlation with renewal"] == f"{independent.point_biserial(judged):.3f}"
    assert values["Revenue-weighted AUC"] == f"{independent.weighted_auc(judged):.3f}"
    lead = evidence["lead_time_days"]
    assert values["Median lead time"] == f"{lead['median_days']:.0f} days"
    assert values["Churned, never red"] == f"{lead['n_never_red']:,}"
    red = lead["red_at_judge_date"]
    assert any(f"{red['recall']:.0%}** of churned renewals" in c.value for c in at.caption)
    signal = at.dataframe[0].value
    assert list(signal["Factor"]) == [f["factor"] for f in evidence["factors"]["factors"]]
    assert np.allclose(signal["AUC alone"],
                       [f["auc"]["value"] for f in evidence["factors"]["factors"]])
    assert len(at.get("vega_lite_chart")) == 0  # every chart on the page is inline SVG
    svgs = svg_charts(at)  # drawn by the chart component, none through Markdown
    assert svgs == {"roc": svg_lines.roc_svg(evidence["roc"]),
                    "deciles": svg_lines.decile_svg(evidence["calibration"]["bins"]),
                    "lead-time": svg_lines.lead_time_svg(lead["distribution"])}
    assert list(svgs) == ["roc", "deciles", "lead-time"]
    assert not [m for m in at.markdown if "<svg" in m.value]
    assert f"AUC {independent.auc(judged):.3f}" in svgs["roc"]
    odds = evidence["logit"]["value"]
    assert any(f"{1 - odds:.0%}" in m.value for m in at.markdown)
    # every metric card carries plain-language help
    assert all(m.proto.help for m in at.metric)
    # CS outcomes come first, equal to calibration.outcomes on the same judged accounts
    want = outcomes.cs_outcomes(evidence)
    listed = outcomes.outcome_list(evidence["horizon_days"], False)
    assert [m.label for m in at.metric][:len(listed)] == [o.label for o in listed]
    by_pandas = independent.cs_outcomes(judged)  # and a plain pandas recount
    for outcome in listed:
        assert values[outcome.label] == formatting.fmt(want[outcome.key]["value"],
                                                       outcome.kind)
        assert values[outcome.label] == formatting.fmt(by_pandas[outcome.key], outcome.kind)
    assert "Advanced statistics" in at.expander[0].label


@pytest.mark.parametrize("segment", ["SMB", "Enterprise"])
def test_segment_selection_shows_that_segments_validation(evidence, segment):
    at = run_app(page="renewals")
    overall = metric(at, "AUC")
    at.selectbox(key="renewals::segment").set_value(segment).run()
    until_jobs_done(at)
    seg = evidence["segments"][segment]
    values = shown(at)
    assert values["AUC"] == f"{seg['auc']['value']:.3f}" != overall
    assert values["AUC likely range"] == ci_text(seg)
    assert values["KS"] == f"{seg['ks']['value']:.3f}"
    assert values["Revenue-weighted AUC"] == f"{seg['arr_weighted']['auc']['value']:.3f}"
    assert any(f"{seg['n_churned']:,} churned" in c.value for c in at.caption)
    want = outcomes.cs_outcomes(seg)
    assert values["Green churn rate"] == formatting.percent(want["green_churn_rate"]["value"])
    assert values["Surprise churn (ARR)"] == formatting.money(want["surprise_arr"]["value"])
    lead = seg["lead_time_days"]  # the segment's own lead time, not the overall one
    assert values["Median lead time"] == f"{lead['median_days']:.0f} days"
    assert values["Churned, never red"] == f"{lead['n_never_red']:,}"
    assert lead["n_never_red"] != evidence["lead_time_days"]["n_never_red"]
    signal = at.dataframe[0].value
    assert np.allclose(signal["AUC alone"], [f["auc"]["value"] for f in seg["factors"]["factors"]])
    odds = seg["logit"]["value"]
    assert any(f"{1 - odds:.0%}" in m.value for m in at.markdown)
    config = load_config(DEMO_CONFIG)
    judged = independent.judged_accounts(load_accounts(DEMO_DATA, config), config)
    by_pandas = independent.cs_outcomes(judged[judged["segment"] == segment])
    assert values["Green churn rate"] == formatting.percent(by_pandas["green_churn_rate"])
    assert values["Surprise churn (ARR)"] == formatting.money(by_pandas["surprise_arr"])


@pytest.fixture
def cross_sectional_draft(tmp_path, isolated_drafts):
    """A saved workspace on a single-snapshot copy of the demo data (latest row each)."""
    return single_snapshot_workspace(tmp_path, "crosssection01")


def test_cross_sectional_data_explains_missing_lead_time(cross_sectional_draft):
    at = run_app(draft_id=cross_sectional_draft)
    at.switch_page("app_pages/renewals.py").run()
    until_jobs_done(at)
    assert not any(m.label == "Median lead time" for m in at.metric)
    assert any("single-snapshot" in i.value for i in at.info)
    assert metric(at, "AUC") != "n/a"
