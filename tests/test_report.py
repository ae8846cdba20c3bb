"""The HTML report and account explanation: escaping, undefined metrics, offline rendering."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest

from calibration import charts
from calibration.accounts import load_accounts
from calibration.cli import main
from calibration.config import load_config
from calibration.report import account_explanation_html, build_report, explain_account
from calibration.scoring import score_frame
from calibration.validation import validate
from tests.conftest import DEMO_CONFIG, DEMO_DATA

EVIL = '<script>alert("x")</script> Labs'
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def demo():
    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    scored = score_frame(table.frame, config)
    evidence = validate(table, config, scored, bootstrap_resamples=200)
    evidence["data"] = table.fingerprint()
    ids = evidence["surprise_churn"]["ids"]
    accounts = pd.DataFrame({"account_id": ids, "account": [EVIL] + ["Acme"] * (len(ids) - 1),
                             "ARR": np.arange(len(ids), dtype=float) * 1000, "band": "green"})
    return config, table, scored, evidence, accounts


def report_html(demo, **kwargs) -> str:
    config, _, _, evidence, accounts = demo
    bands = charts.band_churn_chart(evidence["bands"]).properties(width=500,
                                                                  title="Churn rate by band")
    roc = charts.roc_chart(evidence["roc"]).properties(width=500)
    return build_report(config, evidence, charts=[bands, roc], accounts=accounts, **kwargs)


def test_every_data_value_is_escaped(demo):
    config = demo[0].model_copy(update={"name": EVIL, "notes": EVIL, "author": EVIL})
    html = build_report(config, {**demo[3], "warnings": [EVIL]}, accounts=demo[4],
                        charts=[charts.band_churn_chart(demo[3]["bands"]).properties(title=EVIL)])
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Labs" in html
    assert "\\u003cscript\\u003ealert" in html  # inside the chart spec JSON


def test_report_sections_and_offline_charts(demo):
    html = report_html(demo)
    for heading in ("What the score would have caught", "Advanced statistics", "Churn by band",
                    "Surprise churn", "Configuration", "Guardrails", "Charts"):
        assert heading in html
    assert "Likely range" in html and "sha256" in html and "vegaEmbed" in html
    assert not re.search(r"<(script|link)[^>]+(src|href)=", html)  # nothing fetched
    assert "https://cdn" not in html


def test_undefined_and_missing_metrics_show_their_reason(demo):
    evidence = {"auc": {"value": None, "reason": "only one outcome class"},
                "lift": {"value": None, "reason": "green band is empty"},
                "bands": [{"band": "red", "accounts": 0, "churned": 0, "churn_rate": None,
                           "churn_rate_ci": None, "notes": ["empty band"]}]}
    html = build_report(demo[0], evidence)
    assert "n/a (only one outcome class)" in html and "n/a (green band is empty)" in html
    assert "empty band" in html
    assert "<html" in build_report(demo[0], {})  # nothing at all: still a page


def test_baseline_and_comparison_sections(demo):
    config, table, _, evidence, _ = demo
    from calibration.compare import compare

    draft = config.with_weights({"Active users": 10, "Logins": 90})
    comparison = compare(table, config, draft, n_resamples=50)
    html = build_report(draft, evidence, baseline={**evidence, "name": EVIL},
                        comparison=comparison)
    assert "Against the baseline (&lt;script&gt;" in html
    assert "Draft vs baseline" in html and "Band migration" in html
    assert "<script>alert" not in html


def test_report_speaks_cs_to_an_executive(demo):
    """Summary paragraph first, the draft's name/author/notes, CS outcomes equal to
    calibration.outcomes, every money figure in dollars without cents, statistics explained."""
    from calibration import formatting, outcomes
    from calibration.glossary import HELP

    config, table, _, evidence, accounts = demo
    draft = config.model_copy(update={"name": "Q3 draft", "author": "Dana (VP CS)",
                                      "notes": "Sponsor weight up after the Q2 losses."})
    raw = config.model_dump()
    raw["bands"] = {"red_max": 30.0, "yellow_max": 50.0}
    base_config = type(config).model_validate(raw)
    baseline = validate(table, base_config, score_frame(table.frame, base_config),
                        by_segment=False, include_factors=False)
    baseline["name"] = "Last quarter"
    html = build_report(draft, evidence, baseline=baseline, accounts=accounts)
    now, before = outcomes.cs_outcomes(evidence), outcomes.cs_outcomes(baseline)
    share, old = now["red_arr_share"]["value"], before["red_arr_share"]["value"]
    summary = (f"This config would have flagged {share:.0%} of churned ARR red "
               f"{evidence['horizon_days']} days ahead (vs {old:.0%} for “Last quarter”).")
    assert html.index('class="summary"') < html.index("What the score would have caught")
    assert summary in html
    assert "Q3 draft" in html and "Dana (VP CS)" in html and "after the Q2 losses" in html
    for outcome in outcomes.outcome_list(evidence["horizon_days"], False):
        assert outcome.label in html
        assert formatting.fmt(now[outcome.key]["value"], outcome.kind) in html
    assert formatting.money(now["surprise_arr"]["value"]) in html
    # no raw keys, no cents, no Python words
    assert "surprise churn arr" not in html.lower().replace("surprise churn arr<", "")
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert not re.search(r"\$[\d,]+\.\d", text), "money with cents"
    assert ">None<" not in text and ">nan<" not in text
    assert HELP["auc"] in html and HELP["lift"] in html  # each statistic explained


def test_account_explanation_bars_add_up(demo):
    config, table, *_ = demo
    frame = table.frame.copy()
    frame.loc[0, "account_name"] = EVIL
    html = explain_account(frame, config, 0)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "What makes up the score" in html and "Sub-scores" in html
    html = account_explanation_html(
        {"account_id": "A-1", "account_name": "Acme"}, {"Active users": 20.0, "NPS": 30.0},
        config=config, score=40.0, band="yellow", guardrail="No sponsor",
        guardrail_points=-10.0)
    assert "Guardrail <b>No sponsor</b>" in html and "-10.0" in html


def test_report_cli_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "report.html"
    out.write_text("keep")
    args = ["report", "--data", str(DEMO_DATA), "--config", str(DEMO_CONFIG), "--out",
            str(out), "--bootstrap", "0"]
    assert main(args) == 1 and out.read_text() == "keep"
    assert "already exists" in capsys.readouterr().err
    assert main([*args, "--force", "--baseline", str(DEMO_CONFIG)]) == 0
    html = out.read_text()
    assert "Against the baseline" in html and "vegaEmbed" in html


# --------------------------------------------------------------------------- browser
def chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium")
                                        .exists() else None)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (CI must install Debian's chromium)")
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    return path


def render(html_path: Path, screenshot: Path | None = None) -> tuple[list[str], int]:
    """Open a file in headless chromium with the network blocked; (errors, svg count)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1700})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            def block(route):
                errors.append(f"network request: {route.request.url}")
                route.abort()

            page.route(re.compile(r"^(?!file:).*"), block)
            page.goto(html_path.as_uri())
            page.wait_for_load_state("load")
            svgs = 0
            if "vegaEmbed" in html_path.read_text():
                page.wait_for_selector(".chart svg", timeout=20_000)
                svgs = page.locator(".chart svg").count()
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot))  # the top: metrics, bands, charts
        finally:
            browser.close()
    return errors, svgs


@pytest.mark.browser
def test_report_renders_in_chromium_without_errors(demo, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(report_html(demo), encoding="utf-8")
    errors, svgs = render(path, tmp_path / "report.png")  # docs/ is refreshed by hand
    assert errors == []
    assert svgs == 2


@pytest.mark.browser
def test_account_explanation_renders_in_chromium(demo, tmp_path):
    config, table, *_ = demo
    path = tmp_path / "account.html"
    path.write_text(explain_account(table.frame, config, 3), encoding="utf-8")
    errors, _ = render(path, tmp_path / "account.png")
    assert errors == []


def test_charts_are_left_out_with_a_note_without_vl_convert(demo, monkeypatch):
    from calibration import report

    monkeypatch.setattr(report, "_vega_bundle", lambda: None)
    html = build_report(demo[0], demo[3], charts=[alt.Chart(pd.DataFrame({"x": [1]}))
                                                  .mark_point().encode(x="x")])
    assert "vl-convert-python" in html and "vegaEmbed" not in html


BUNDLE_CHECK = r'''
import sys
from calibration import report

text = report._vega_bundle()
assert "vl_convert" not in sys.modules, "the chart library was bundled in this process"
assert "vegaEmbed" in text and "</script" not in text
report._vega_bundle.cache_clear()
sys.executable = "/nonexistent/python"  # the child cannot start: bundled here instead
assert report._vega_bundle() == text
assert "vl_convert" in sys.modules
print("ok")
'''


def test_chart_library_is_bundled_in_a_child_process():
    """vl_convert's V8 engine stays in the process that bundles (~120 MB in the app server):
    the bundle comes from a child process, the same text as bundling here."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-c", BUNDLE_CHECK], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
