"""Drafts that follow you (AppTest on the real app): stored only once changed, the id kept in
the URL across pages and restarts, recent drafts to resume, editable details used by the
export, stale tabs refused, other users' drafts not found, broken drafts kept and shown."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from calibration.config import load_config
from calibration.store import (
    DraftContent,
    create_draft,
    get_draft,
    open_store,
    recent_drafts,
    trail,
)
from tests.apptest_support import APP, assert_clean, move_weight, run_app, weight
from tests.conftest import DEMO_CONFIG, DEMO_DATA
from ui.sidebar import DETAILS_OPEN, RECENT_OPEN

pytestmark = pytest.mark.xdist_group("app")


def draft_id_of(at: AppTest) -> str | None:
    value = at.query_params.get("draft")
    return value[0] if isinstance(value, list) else value


def store_of(folder):
    return open_store(environ={"HSC_WORKSPACE_DIR": str(folder)})


def saved_workspace(draft_id: str, name: str, **changes):
    from ui.state import Workspace

    config = load_config(DEMO_CONFIG)
    values = {"source_name": "demo", "source_path": str(DEMO_DATA), **changes}
    ws = Workspace(draft_id=draft_id, baseline=config, draft=config.with_details(name=name),
                   **values)
    assert ws.save()
    return ws


def test_a_visit_stores_nothing_until_something_changes(isolated_drafts):
    at = run_app()
    assert draft_id_of(at) is None
    at.switch_page("app_pages/accounts.py").run()
    assert_clean(at)
    assert recent_drafts(store_of(isolated_drafts), "local") == []
    at.switch_page("app_pages/calibrate.py").run()
    move_weight(at, "Executive sponsor", 10)
    assert_clean(at)
    [record] = recent_drafts(store_of(isolated_drafts), "local")
    assert draft_id_of(at) == record.id and len(record.id) == 32
    assert record.notes == "" and record.name.startswith("New draft")


def test_draft_id_stays_in_the_url_on_every_page(isolated_drafts):
    at = run_app()
    move_weight(at, "Executive sponsor", 10)
    draft_id = draft_id_of(at)
    for page in ("accounts", "renewals", "segments", "data", "export", "calibrate"):
        at.query_params.pop("draft", None)  # what a page switch in the browser does
        at.switch_page(f"app_pages/{page}.py").run()
        assert_clean(at)
        assert draft_id_of(at) == draft_id, page
    again = run_app(draft_id=draft_id)  # a reload: a new session with the URL
    assert weight(again, "Executive sponsor") == 10


def test_resume_a_recent_draft_from_the_sidebar(isolated_drafts):
    older = saved_workspace("olderdraft01", "Sponsor-heavy")
    older.set_draft(older.draft.with_weights({"Executive sponsor": 50.0}))
    saved_workspace("newerdraft01", "Usage-first")
    at = run_app()
    assert not [b for b in at.button if (b.key or "").startswith("recent::")]  # closed
    at.session_state[RECENT_OPEN] = True  # what opening the expander does
    at.run()
    labels = [b.label for b in at.button if (b.key or "").startswith("recent::")]
    assert labels == ["Usage\\-first", "Sponsor\\-heavy"]  # newest first, Markdown-escaped
    at.button(key="recent::olderdraft01").click().run()
    assert_clean(at)
    assert draft_id_of(at) == "olderdraft01"
    ws = at.session_state["workspace"]
    assert ws.draft.name == "Sponsor-heavy" and ws.draft == older.draft
    assert any("Sponsor\\-heavy" in c.value for c in at.sidebar.caption)


def test_rename_author_and_notes_reach_the_export(isolated_drafts):
    at = run_app(page="export")
    assert at.text_input(key="details::export::name").value.startswith("New draft")
    assert at.text_area(key="details::export::notes").value == ""  # notes start empty
    at.text_input(key="details::export::name").input("Q1 2027 proposal").run()
    at.text_input(key="details::export::author").input("Dana Whitfield").run()
    at.text_area(key="details::export::notes").input("Sponsor matters more.").run()
    assert_clean(at)
    ws = at.session_state["workspace"]
    assert (ws.draft.name, ws.draft.author, ws.draft.notes) == (
        "Q1 2027 proposal", "Dana Whitfield", "Sponsor matters more.")
    record = get_draft(store_of(isolated_drafts), draft_id_of(at), "local")
    assert (record.name, record.author, record.notes) == (
        "Q1 2027 proposal", "Dana Whitfield", "Sponsor matters more.")
    at.switch_page("app_pages/calibrate.py").run()  # the sidebar editor shows the same
    at.session_state[DETAILS_OPEN] = True  # once its expander is open
    at.run()
    assert at.sidebar.text_input(key="details::sidebar::name").value == "Q1 2027 proposal"
    created, *edits = reversed(trail(store_of(isolated_drafts), "local", draft_id_of(at)))
    assert created.action == "created" and "Name: New draft" in created.summary
    assert "→ Q1 2027 proposal" in created.summary
    assert [e.summary for e in edits] == ["Author: (blank) → Dana Whitfield", "Notes edited"]


def test_exported_files_and_report_carry_the_draft_details(isolated_drafts):
    from calibration.evidence import gather, report_html

    ws = saved_workspace("detailsdraft1", "Q1 2027 proposal")
    ws.set_details(author="Dana Whitfield", notes="Sponsor <b>matters</b> more.")
    at = run_app(page="export", draft_id="detailsdraft1")
    assert "Q1 2027 proposal" in at.caption[0].value.replace("\\", "")
    from calibration.accounts import load_accounts

    table = load_accounts(DEMO_DATA, ws.draft)
    html = report_html(gather(table, ws.draft, ws.baseline, bootstrap_resamples=0))
    assert "Q1 2027 proposal" in html and "Dana Whitfield" in html
    assert "Sponsor &lt;b&gt;matters&lt;/b&gt; more." in html


def test_second_tab_on_the_same_draft_gets_the_conflict(isolated_drafts):
    saved_workspace("sharedtab001", "Shared")
    first, second = run_app(draft_id="sharedtab001"), run_app(draft_id="sharedtab001")
    move_weight(first, "Executive sponsor", 10)
    move_weight(second, "NPS", 20)
    assert_clean(second)
    error = " ".join(e.value for e in second.sidebar.error)
    assert "changed in another tab just now" in error
    assert "reload, or save yours as a copy" in error
    stored = json.loads(get_draft(store_of(isolated_drafts), "sharedtab001", "local").draft_json)
    weights = {f["name"]: f["weight"] for f in stored["factors"]}
    assert weights["Executive sponsor"] > 0 and weights["NPS"] == 0  # first tab's, kept
    second.button(key="draft::copy").click().run()
    assert_clean(second)
    copy_id = draft_id_of(second)
    assert copy_id != "sharedtab001"
    copy = json.loads(get_draft(store_of(isolated_drafts), copy_id, "local").draft_json)
    assert {f["name"]: f["weight"] for f in copy["factors"]}["NPS"] > 0
    assert copy["name"] == "Shared (copy)"
    assert not second.sidebar.error
    move_weight(first, "Executive sponsor", 15)  # first tab carries on
    assert not first.sidebar.error


def test_reload_after_a_conflict_takes_the_saved_draft(isolated_drafts):
    saved_workspace("sharedtab002", "Shared")
    first, second = run_app(draft_id="sharedtab002"), run_app(draft_id="sharedtab002")
    move_weight(first, "Executive sponsor", 10)
    move_weight(second, "NPS", 20)
    second.button(key="draft::reload").click().run()
    assert_clean(second)
    assert not second.sidebar.error
    assert weight(second, "Executive sponsor") == 10
    assert weight(second, "NPS") == 0


def test_another_users_draft_is_not_found(isolated_drafts):
    config = load_config(DEMO_CONFIG)
    theirs = create_draft(store_of(isolated_drafts), "bob@example.com", DraftContent(
        name="Bob's secret", author="Bob", notes="", source_name="bob.csv",
        source_path=str(DEMO_DATA), horizon_days=90, baseline_json=config.to_json(),
        draft_json=config.to_json()))
    at = run_app(draft_id=theirs.id)
    assert any("was not found" in w.value for w in at.sidebar.warning)
    ws = at.session_state["workspace"]
    assert ws.draft_id != theirs.id and "Bob" not in ws.draft.name
    assert draft_id_of(at) is None
    move_weight(at, "NPS", 20)  # and nothing is written into Bob's draft
    assert get_draft(store_of(isolated_drafts), theirs.id, "bob@example.com").version == 1


def test_draft_with_missing_upload_is_kept_and_explained(isolated_drafts, tmp_path):
    gone = tmp_path / "gone.csv"
    gone.write_text("account_id\n1\n")
    saved_workspace("missingup001", "Tuned on my upload", source_path=str(gone))
    gone.unlink()
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["draft"] = "missingup001"
    at.run()
    assert not at.exception
    assert any("no longer on the server" in e.value for e in at.error)
    ws = at.session_state["workspace"]
    assert ws.draft_id == "missingup001" and ws.draft.name == "Tuned on my upload"
    assert draft_id_of(at) == "missingup001"
    at.switch_page("app_pages/data.py").run()  # where the user loads the data again
    assert not at.exception
    assert get_draft(store_of(isolated_drafts), "missingup001", "local").version == 1


def test_draft_whose_config_no_longer_validates_is_shown_not_replaced(isolated_drafts):
    config = load_config(DEMO_CONFIG)
    broken = json.loads(config.to_json())
    broken["bands"] = {"red_max": 80, "yellow_max": 20}
    store = store_of(isolated_drafts)
    record = create_draft(store, "local", DraftContent(
        name="Broken", author="", notes="", source_name="demo", source_path=str(DEMO_DATA),
        horizon_days=90, baseline_json=config.to_json(), draft_json=json.dumps(broken)))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["draft"] = record.id
    at.run()
    assert not at.exception
    assert at.title[0].value == "This draft cannot be opened"
    assert "red_max" in at.code[0].value
    at.switch_page("app_pages/accounts.py").run()  # every page shows the same
    assert at.title[0].value == "This draft cannot be opened"
    assert get_draft(store, record.id, "local") == record  # untouched
    at.button(key="broken::repair").click().run()  # only when the user asks
    assert_clean(at)
    repaired = get_draft(store, record.id, "local")
    assert repaired.version == 2 and json.loads(repaired.draft_json)["bands"]["red_max"] == 30
    assert "Unreadable config replaced" in trail(store, "local", record.id)[0].summary


def test_shared_server_asks_for_login_first(isolated_drafts):
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "x" * 32, "client_id": "id",
                          "client_secret": "secret",
                          "server_metadata_url": "https://idp.invalid/.well-known/x"}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.slider and not at.metric  # no data before login
    assert "workspace" not in at.session_state


def test_shared_server_without_login_configured_refuses_to_mix_users(monkeypatch):
    monkeypatch.setenv("HSC_DEPLOYMENT", "shared")
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception
    assert "no login is configured" in at.error[0].value
    assert not at.slider and "workspace" not in at.session_state
    monkeypatch.setenv("HSC_REQUIRE_LOGIN", "0")  # the operator accepts one shared workspace
    assert_clean(run_app())
