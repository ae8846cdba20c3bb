"""The Scenarios and Versions pages driven through the real app (AppTest)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from calibration import formatting, outcomes
from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.store import list_versions, open_store, trail
from tests import independent
from tests.apptest_support import assert_clean, move_weight, run_app
from tests.conftest import DEMO_CONFIG, DEMO_DATA

pytestmark = pytest.mark.xdist_group("app")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, isolated_drafts, monkeypatch):
    """The app's store: the default SQLite file, or a fresh PostgreSQL database configured
    the way a team server is (HSC_DATABASE_URL)."""
    if request.param == "sqlite":
        yield
        return
    from tests.store_support import postgres_store

    with postgres_store(request.getfixturevalue("postgres")) as store:
        monkeypatch.setenv("HSC_DATABASE_URL",
                           store.engine.url.render_as_string(hide_password=False))
        yield


def texts(at, kind: str) -> str:
    return " ".join(str(e.value).replace("\\", "") for e in getattr(at, kind))


def save_scenario(at, name: str) -> None:
    at.text_input(key="sc::name").input(name)
    at.button[[b.label for b in at.button].index("Save scenario")].click().run()
    assert_clean(at)


def test_save_compare_promote_and_delete_scenarios(backend):
    at = run_app(page="scenarios")
    assert "No scenarios yet" in texts(at, "info")
    save_scenario(at, "Gut feel copy")
    assert "Saved scenario “Gut feel copy”" in texts(at, "success")
    assert at.query_params["draft"]  # saving a scenario stored the draft
    at.switch_page("app_pages/calibrate.py").run()
    move_weight(at, "Executive sponsor", 20)
    at.switch_page("app_pages/scenarios.py").run()
    save_scenario(at, "Sponsor-heavy")
    save_scenario(at, "Sponsor-heavy")  # same name again: refused, nothing overwritten
    assert "already exists" in texts(at, "error")
    picked = at.multiselect(key="sc::picked")
    assert picked.value == ["Current draft (unsaved as a scenario)", "Gut feel copy"]
    picked.set_value(["Gut feel copy", "Sponsor-heavy"]).run()
    metrics = at.dataframe[1].value
    assert list(metrics.columns) == ["Gut feel copy", "Sponsor-heavy"]
    assert "churned ARR caught red" in metrics.index
    weights = at.dataframe[2].value
    assert weights.loc["Executive sponsor", "Gut feel copy"] == 0
    assert weights.loc["Executive sponsor", "Sponsor-heavy"] > 0
    ws = at.session_state["workspace"]
    sponsor_draft = ws.draft
    # headline outcomes equal a pandas recount of the judged accounts under each scenario
    from calibration.verdicts import format_value

    table = load_accounts(DEMO_DATA, sponsor_draft)
    for name, config in (("Gut feel copy", load_config(DEMO_CONFIG)),
                         ("Sponsor-heavy", sponsor_draft)):
        by_pandas = independent.cs_outcomes(independent.judged_accounts(table, config))
        for label, key, number in (("churned ARR caught red", "red_arr_share",
                                    "red_churned_arr_share"),
                                   ("surprise churn (accounts)", "surprise_accounts",
                                    "surprise_churn_count"),
                                   ("green churn rate", "green_churn_rate",
                                    "green_churn_rate")):
            cell = metrics.loc[label, name]
            assert cell.split(" (")[0] == format_value(number, by_pandas[key]), (name, label)
    at.selectbox(key="sc::target").set_value("Gut feel copy")
    at.button(key="sc::promote").click().run()
    assert_clean(at)
    ws = at.session_state["workspace"]
    assert ws.draft.fingerprint() == load_config(DEMO_CONFIG).fingerprint()
    assert ws.draft.name == sponsor_draft.name  # the draft keeps its own name
    store = open_store()  # the one the app uses (SQLite file or PostgreSQL)
    actions = [e.action for e in trail(store, "local", ws.draft_id)]
    assert "promoted scenario “Gut feel copy”" in actions
    at.selectbox(key="sc::target").set_value("Sponsor-heavy")
    at.button(key="sc::delete").click().run()
    assert_clean(at)
    assert at.selectbox(key="sc::target").options == ["Gut feel copy"]


@pytest.mark.slow
def test_publish_list_diff_and_since(backend):
    at = run_app(page="versions")
    assert "Nothing published yet" in texts(at, "info")
    old = json.loads(DEMO_CONFIG.read_text())
    old["created_at"] = "2025-12-03T09:00:00+00:00"
    at.file_uploader(key="ver::import").set_value(
        ("last_quarter.json", json.dumps(old).encode(), "application/json")).run()
    at.text_input(key="ver::import_name").input("Q3 2025").run()
    at.button(key="ver::import_go").click().run()
    assert_clean(at)
    assert "Recorded “Q3 2025” as published on 03 Dec 2025" in texts(at, "success")
    # next quarter: tune, then publish the draft
    at.switch_page("app_pages/calibrate.py").run()
    move_weight(at, "Executive sponsor", 20)
    at.switch_page("app_pages/versions.py").run()
    at.text_input(key="ver::name").input("Q4 2026")
    at.text_area(key="ver::notes").input("Sponsor matters.")
    at.button[[b.label for b in at.button].index("Publish")].click().run()
    assert_clean(at)
    assert "Published “Q4 2026”" in texts(at, "success")
    store = open_store()  # the one the app uses (SQLite file or PostgreSQL)
    q4, q3 = list_versions(store)
    assert (q4.name, q3.name) == ("Q4 2026", "Q3 2025") and q4.notes == "Sponsor matters."
    frozen = json.loads(q4.config_json)
    assert frozen["validation"]["config_hash"] == q4.config_hash
    assert frozen["validation"]["auc_ci"]  # evidence with bootstrap CIs
    # the same name is never reused
    at.text_input(key="ver::name").input("Q4 2026")
    at.button[[b.label for b in at.button].index("Publish")].click().run()
    assert "already published" in texts(at, "error")
    # diff any two
    at.selectbox(key="ver::from").set_value("Q3 2025")
    at.selectbox(key="ver::to").set_value("Q4 2026").run()
    assert "Executive sponsor: weight 0% ->" in at.text[0].value
    # how Q3 2025 did since 3 Dec 2025 (the demo has renewals until Oct 2026)
    at.selectbox(key="ver::since").set_value("Q3 2025").run()
    summary = texts(at, "markdown")
    assert "renewal decisions after 03 Dec 2025" in summary
    # the since-published cards equal a pandas recount of the decisions renewed after it
    config = load_config(DEMO_CONFIG)
    judged = independent.judged_accounts(load_accounts(DEMO_DATA, config), config)
    after = judged[judged["final_renewal"] > pd.Timestamp("2025-12-03 09:00:00")]
    by_pandas = independent.cs_outcomes(after)
    cards = {m.label: m.value for m in at.metric}
    for outcome in outcomes.outcome_list(90, False):
        assert cards[outcome.label] == formatting.fmt(by_pandas[outcome.key], outcome.kind)
    at.button(key="ver::as_baseline").click().run()
    assert_clean(at)
    ws = at.session_state["workspace"]
    assert ws.baseline.fingerprint() == q3.config_hash
    log = at.dataframe[-1].value  # the audit log: who, when, what, in plain words
    assert list(log["What"][:2]) == ["baseline set to published “Q3 2025”", "published"]
    assert "Executive sponsor: weight 0% ->" in " ".join(log["Changes"])
