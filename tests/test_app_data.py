"""AppTest: the Data page loads files, maps columns, builds a starter config, reports data
problems and refuses bad configs without touching the draft."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from calibration.autoconfig.roles import detect_roles
from calibration.autoconfig.starter import default_factor_columns, starter_config
from calibration.config import ConfigError, load_config
from calibration.data_files import read_table
from calibration.data_quality import DataError
from calibration.scoring import score_frame
from tests.apptest_support import assert_clean, metric, run_app, until_jobs_done
from tests.conftest import DEMO_CONFIG, DEMO_DATA, TELCO

pytestmark = pytest.mark.xdist_group("app")

UPLOAD = "Upload a file (CSV or Parquet)"
needs_telco = pytest.mark.skipif(not TELCO.exists(),
                                 reason=f"telco CSV not found at {TELCO} (shared data absent)")


def texts(at, kind: str) -> list[str]:
    """Displayed text of every element of one kind (markdown escapes removed)."""
    return [str(e.value).replace("\\", "").replace("**", "") for e in getattr(at, kind)]


def workspace(at):
    return at.session_state["workspace"]


def upload(at, name: str, raw: bytes):
    at.radio(key="data::source").set_value(UPLOAD).run()
    at.file_uploader(key="data::upload").set_value((name, raw, "text/csv")).run()
    assert_clean(at)
    return at


def test_demo_smoke():
    at = until_jobs_done(run_app(page="data"))  # the quality report comes from a job
    assert at.title[0].value == "Data"
    roles = {s.key.removeprefix("data::map::"): s.value for s in at.selectbox}
    assert roles["account_id"] == "account_id" and roles["outcome"] == "outcome"
    assert roles["snapshot_date"] == "snapshot_date"
    assert at.multiselect(key="data::map::churned").value == ["churned"]
    assert not at.error
    preview = at.dataframe[0].value
    assert len(preview) == 20  # the preview: the first 8 columns, the others one pick away
    raw = pd.read_parquet(DEMO_DATA)
    assert list(preview.columns) == list(raw.columns[:8])
    assert at.multiselect(key="data::preview").options == list(raw.columns)
    assert f"Showing 8 of {raw.shape[1]} columns: pick others above." in texts(at, "caption")
    at.multiselect(key="data::preview").set_value(["account_id", "arr"]).run()
    assert list(at.dataframe[0].value.columns) == ["account_id", "arr"]
    # the headline counts against pandas: rows, columns and rows per outcome value
    assert any(f"{len(raw):,} rows · {raw.shape[1]} columns" in t for t in texts(at, "markdown"))
    # data-quality notes in CS words: the factor first, no loader jargon, five rows at most
    nps = next(t for t in texts(at, "info") if t.startswith("NPS (column nps): "))
    blank = raw["nps"].isna().to_numpy().nonzero()[0][:5] + 2  # header = row 1
    assert "scored without it (its weight is shared by the other factors)" in nps
    assert f"Spreadsheet rows {', '.join(f'{r:,}' for r in blank)} (" in nps
    assert "renormalised" not in nps and "factor 'NPS'" not in nps
    counts = at.dataframe[1].value
    want = raw["outcome"].astype("string").str.strip().fillna("").replace("", "(blank)")
    assert dict(zip(counts["outcome value"], counts["Rows"], strict=True)) == \
        want.value_counts().to_dict()
    assert at.button(key="data::apply_mapping").disabled  # already the draft's mapping


@needs_telco
def test_telco_upload_starter_config_and_calibrate_auc():
    at = run_app(page="data")
    upload(at, "Telco-Customer-Churn.csv", TELCO.read_bytes())
    ws = workspace(at)
    assert ws.source_name == "Telco-Customer-Churn.csv"
    assert any("7,043 rows, 21 columns" in t for t in texts(at, "success"))
    roles = {s.key.removeprefix("data::map::"): s.value for s in at.selectbox}
    assert roles["account_id"] == "customerID" and roles["outcome"] == "Churn"
    assert roles["snapshot_date"] == "(none)" and roles["arr"] == "(none)"
    assert at.multiselect(key="data::map::churned").value == ["Yes"]
    assert at.multiselect(key="data::map::renewed").value == ["No"]
    assert "Churned = 'Yes' (1,869 rows) · Renewed = 'No' (5,174 rows)" in " ".join(
        texts(at, "markdown"))
    assert any("single-snapshot (cross-sectional)" in t for t in texts(at, "info"))
    gaps = [t for t in texts(at, "warning") if "columns this data does not have" in t]
    assert len(gaps) == 1 and "and the baseline use" in gaps[0]  # said once, for both
    assert "- Active users: column 'active_user_pct'" in gaps[0] and "factors[" not in gaps[0]

    at.button(key="data::build_starter").click().run()
    until_jobs_done(at)  # the quality report under the applied roles comes from a job
    ws = workspace(at)
    frame = read_table(TELCO)
    detected = detect_roles(frame)
    expected = starter_config(frame, detected, default_factor_columns(frame, detected),
                              "Starter config (Telco-Customer-Churn.csv)")
    assert ws.baseline == expected  # the draft takes its scoring, keeping its own name
    # single-snapshot data: no horizon box (it would change nothing), and the sidebar says why
    assert "horizon_days_input" not in [w.key for w in at.sidebar.number_input]
    assert any("Horizon:** not used" in c.value for c in at.sidebar.caption)
    assert ws.draft == expected.with_details(name=ws.draft.name, author=ws.draft.author,
                                             notes=ws.draft.notes)
    assert ws.draft.name.startswith("New draft")
    assert any("both the baseline and the draft" in t for t in texts(at, "success"))
    # the 11 blank TotalCharges are counted and listed, not dropped
    blank = [t for t in texts(at, "info") if "TotalCharges" in t]
    assert len(blank) == 1 and "11 rows" in blank[0]
    rows = np.flatnonzero(frame["TotalCharges"].isna().to_numpy()) + 2  # header = row 1
    assert f"Spreadsheet rows {', '.join(f'{r:,}' for r in rows[:5])} (11 rows in all)." \
        in blank[0]
    assert "7,043 rows read · 7,043 used" in " ".join(texts(at, "caption"))

    at.switch_page("app_pages/calibrate.py").run()
    assert_clean(at)
    score = score_frame(frame, expected, explain=False).result.score
    churned = (frame["Churn"] == "Yes").to_numpy()
    u = mannwhitneyu(score[~churned], score[churned]).statistic
    auc = u / (churned.sum() * (~churned).sum())
    assert metric(at, "AUC") == f"{auc:.3f}"

    # a reload (new session, same URL) finds the saved upload and the starter draft
    again = run_app(page="calibrate", draft_id=ws.draft_id)
    assert metric(again, "AUC") == f"{auc:.3f}"
    assert workspace(again).source_name == "Telco-Customer-Churn.csv"


def test_apply_mapping_updates_baseline_and_draft():
    frame = pd.DataFrame({"Customer ID": [f"c{i}" for i in range(40)],
                          "usage": np.linspace(0, 100, 40),
                          "Status": ["Cancelled", "Active"] * 20})
    at = run_app(page="data")
    upload(at, "accounts.csv", frame.to_csv(index=False).encode())
    assert at.multiselect(key="data::map::churned").value == ["Cancelled"]
    at.button(key="data::apply_mapping").click().run()
    assert_clean(at)
    ws = workspace(at)
    for config in (ws.draft, ws.baseline):
        assert config.columns.account_id == "Customer ID"
        assert config.columns.outcome == "Status"
        assert config.columns.churned_values == ["Cancelled"]
        assert config.columns.renewed_values == ["Active"]
    assert at.button(key="data::apply_mapping").disabled


def test_bad_csv_shows_specific_errors_not_a_traceback():
    raw = b"account_id;usage;outcome\nA1;5;Ja\nA2;7;Nein\nA3;1;Ja\n"
    at = run_app(page="data")
    before = workspace(at).draft
    upload(at, "semikolon.csv", raw)
    shown = " ".join(texts(at, "markdown"))
    assert "delimiter `';'`" in shown
    warnings = " ".join(texts(at, "warning"))
    assert "Could not tell what 'Ja' and 'Nein' mean" in warnings
    errors = " ".join(texts(at, "error"))
    assert "choose at least one value that means churned" in errors
    assert "unknown outcome label(s): 'Ja' (2), 'Nein' (1)" in errors
    assert at.button(key="data::apply_mapping").disabled
    assert workspace(at).draft == before

    # the user says what the labels mean: the mapping applies, no error remains
    at.multiselect(key="data::map::churned").set_value(["Ja"]).run()
    at.multiselect(key="data::map::renewed").set_value(["Nein"]).run()
    assert not [t for t in texts(at, "error") if "outcome" in t]
    at.button(key="data::apply_mapping").click().run()
    assert_clean(at)
    assert workspace(at).draft.columns.churned_values == ["Ja"]


def test_unreadable_upload_keeps_the_current_data():
    at = run_app(page="data")
    source = workspace(at).source_path
    upload(at, "broken.parquet", b"PAR1 this is not parquet")
    assert any("not a readable Parquet file" in t for t in texts(at, "error"))
    assert workspace(at).source_path == source


def test_sql_query_becomes_the_source(tmp_path):
    buffer = io.BytesIO()
    pd.DataFrame({"account_id": ["a", "b", "c"], "churned": [True, False, False],
                  "usage": [1.0, 50.0, 90.0]}).to_parquet(buffer)
    at = run_app(page="data")
    at.radio(key="data::source").set_value(UPLOAD).run()
    at.file_uploader(key="data::upload").set_value(
        ("accounts.parquet", buffer.getvalue(), "application/octet-stream")).run()
    at.radio(key="data::source").set_value("SQL query (DuckDB)").run()
    at.text_area(key="data::sql").set_value("SELECT * FROM accounts WHERE usage < 90").run()
    at.button(key="data::run_sql").click().run()
    assert_clean(at)
    ws = workspace(at)
    assert ws.source_name.startswith("SQL: SELECT * FROM accounts")
    assert sorted(pd.read_parquet(ws.source_path)["account_id"]) == ["a", "b"]
    assert ws.source_path.endswith(".parquet")
    assert at.selectbox(key="data::map::outcome").value == "churned"
    assert at.multiselect(key="data::map::churned").value == ["true"]
    at.text_area(key="data::sql").set_value("SELECT * FROM no_such_table").run()
    at.button(key="data::run_sql").click().run()
    assert_clean(at)
    assert any("query failed" in t for t in texts(at, "error"))
    assert workspace(at).source_path == ws.source_path


def test_bad_config_upload_lists_problems_and_leaves_draft_untouched():
    at = run_app(page="data")
    ws = workspace(at)
    draft, baseline = ws.draft, ws.baseline
    bad = json.loads(DEMO_CONFIG.read_text())
    bad["bands"] = {"red_max": 80, "yellow_max": 40}
    bad["factors"][0]["rule"]["kind"] = "sigmoid"
    at.file_uploader(key="data::baseline_upload").set_value(
        ("last_quarter.json", json.dumps(bad).encode(), "application/json")).run()
    assert_clean(at)
    error = next(t for t in texts(at, "error") if "last_quarter.json" in t)
    assert "2 problem(s)" in error and "sigmoid" in error and "red_max" in error
    assert workspace(at).draft == draft and workspace(at).baseline == baseline

    good = json.loads(DEMO_CONFIG.read_text())
    good["name"] = "Last quarter"
    good["bands"] = {"red_max": 40, "yellow_max": 60}
    at.file_uploader(key="data::baseline_upload").set_value(
        ("last_quarter.json", json.dumps(good).encode(), "application/json")).run()
    assert_clean(at)
    assert workspace(at).baseline.name == "Last quarter"
    assert workspace(at).draft == draft
    name = workspace(at).draft.name
    at.button(key="data::baseline_as_draft").click().run()
    # the draft takes the baseline's scoring but keeps its own name, author and notes
    assert workspace(at).draft.fingerprint() == workspace(at).baseline.fingerprint()
    assert workspace(at).draft.name == name != "Last quarter"


# --------------------------------------------------------------------------- functions
def stored(ws):
    """The draft as the workspace store holds it."""
    from calibration.store import get_draft
    from ui.store import get_store

    return get_draft(get_store(), ws.draft_id, ws.owner)


def test_import_baseline_function_leaves_workspace_untouched(isolated_drafts):
    from ui import data_actions, state

    demo = load_config(DEMO_CONFIG)
    ws = state.Workspace(draft_id="abcdef123456", source_name=state.DEMO_NAME,
                         source_path=str(DEMO_DATA), baseline=demo, draft=demo)
    ws.save()
    saved = stored(ws)
    with pytest.raises(ConfigError) as info:
        data_actions.import_baseline(ws, "bad.yaml", b"schema_version: 1\nfactors: []\n")
    assert info.value.problems
    assert ws.draft == demo and ws.baseline == demo and stored(ws) == saved
    with pytest.raises(ConfigError, match="not valid JSON"):
        data_actions.import_baseline(ws, "bad.json", b"{")
    assert ws.baseline == demo


def test_use_upload_and_sql_refuse_without_changing_the_source(isolated_drafts):
    from ui import data_actions, state

    demo = load_config(DEMO_CONFIG)
    ws = state.Workspace(draft_id="abcdef654321", source_name=state.DEMO_NAME,
                         source_path=str(DEMO_DATA), baseline=demo, draft=demo)
    with pytest.raises(DataError, match="the file is empty"):
        data_actions.use_upload(ws, "x.csv", b"")
    with pytest.raises(DataError, match="write a query"):
        data_actions.use_sql(ws, "  ")
    with pytest.raises(DataError, match="no rows"):
        data_actions.use_sql(ws, "SELECT 1 AS id WHERE false")
    assert ws.source_path == str(DEMO_DATA)
    buffer = io.BytesIO()
    pd.DataFrame({"id": ["a"]}).to_parquet(buffer)
    data_actions.use_upload(ws, "a.parquet", buffer.getvalue())
    assert ws.source_path.startswith(str(isolated_drafts / "uploads"))


def test_missing_columns_said_once_in_cs_words(tmp_path):
    """A file without a factor's column: one warning naming the factor, not the config path;
    a baseline with other gaps gets its own list."""
    from calibration.config import load_config
    from ui.state import Workspace

    frame = pd.read_parquet(DEMO_DATA).drop(columns=["active_user_pct", "nps"])
    path = tmp_path / "fewer.csv"
    frame.to_csv(path, index=False)
    config = load_config(DEMO_CONFIG)
    Workspace(draft_id="gapsonce000001", source_name="fewer.csv", source_path=str(path),
              baseline=config, draft=config).save()
    at = run_app(page="data", draft_id="gapsonce000001")
    gaps = [t for t in texts(at, "warning") if "columns this data does not have" in t]
    assert len(gaps) == 1, gaps
    assert "- Active users: column 'active_user_pct' is not in the data" in gaps[0]
    assert "- NPS: column 'nps' is not in the data" in gaps[0]
    assert "factors[" not in " ".join(texts(at, "warning") + texts(at, "error"))
    assert "horizon_days_input" in [w.key for w in at.sidebar.number_input]  # dated data

    other = config.with_weights({})  # same factors: then drop NPS from the baseline only
    raw = other.model_dump()
    raw["factors"] = [f for f in raw["factors"] if f["column"] != "nps"]
    baseline = type(config).model_validate(raw)
    Workspace(draft_id="gapstwo0000001", source_name="fewer.csv", source_path=str(path),
              baseline=baseline, draft=config).save()
    at = run_app(page="data", draft_id="gapstwo0000001")
    gaps = [t for t in texts(at, "warning") if "columns this data does not have" in t]
    assert len(gaps) == 2 and "NPS" in gaps[0] and "NPS" not in gaps[1]


def test_single_snapshot_data_hides_the_horizon_and_says_why(tmp_path):
    from tests.apptest_support import single_snapshot_workspace

    at = run_app(page="calibrate", draft_id=single_snapshot_workspace(tmp_path, "nohorizon0001"))
    assert "horizon_days_input" not in [w.key for w in at.sidebar.number_input]
    assert any("Horizon:** not used" in c.value and "Single-snapshot data" in c.value
               for c in at.sidebar.caption)


def test_quality_report_is_kept_across_threshold_weight_and_band_changes():
    """The Data page caches the quality report by what it reads from the draft: moving a
    threshold, weight or band gives the same report (so it is not recomputed over every
    row); changing how a column is read gives another key."""
    from calibration.accounts import prepare
    from calibration.config import config_from_dict
    from calibration.data_files import read_table
    from ui.data_actions import quality_key

    base = load_config(DEMO_CONFIG)
    raw = base.model_dump()
    raw["factors"][0]["rule"]["lo"] = raw["factors"][0]["rule"]["lo"] + 7
    raw["factors"][1]["weight"] = raw["factors"][1]["weight"] + 3
    raw["bands"] = {"red_max": 20.0, "yellow_max": 80.0}
    moved = config_from_dict(raw)
    assert moved.rules_fingerprint() != base.rules_fingerprint()
    assert quality_key(moved) == quality_key(base)
    frame = read_table(DEMO_DATA)
    assert prepare(frame, moved.columns, moved).report.describe() == prepare(
        frame, base.columns, base).report.describe()
    for change in ("missing", "mapping", "column"):
        other = base.model_dump()
        if change == "missing":
            other["factors"][10]["missing"] = "points"  # NPS: blanks get points
        elif change == "mapping":
            other["factors"][7]["rule"]["points"].pop("yellow")  # CSM: one category unmapped
        else:
            other["factors"][0]["column"] = "csat"  # a column with blanks
        other = config_from_dict(other)
        assert quality_key(other) != quality_key(base), change
        assert prepare(frame, other.columns, other).report.describe() != prepare(
            frame, base.columns, base).report.describe(), change
