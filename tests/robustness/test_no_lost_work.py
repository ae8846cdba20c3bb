"""No lost work: drafts are saved atomically and survive restarts, exports never overwrite
without asking, a failed config import changes nothing."""

from __future__ import annotations

import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from calibration.config import ConfigError
from calibration.configfile import import_config
from tests.apptest_support import APP, assert_clean, move_weight, run_app, weight
from tests.conftest import DEMO_CONFIG, DEMO_DATA
from tests.robustness.support import run_cli


def draft_id_of(at) -> str:
    value = at.query_params["draft"]
    return value[0] if isinstance(value, list) else value


def restart_app() -> None:
    """What a server restart forgets: every cache and session (files stay)."""
    st.cache_data.clear()
    st.cache_resource.clear()


def stored(ws):
    """The draft as the workspace store holds it."""
    from calibration.store import get_draft
    from ui.store import get_store

    return get_draft(get_store(), ws.draft_id, ws.owner)


@pytest.mark.xdist_group("app")
def test_draft_is_restored_after_a_restart(isolated_drafts):
    from calibration.store import get_draft, open_store

    at = run_app()
    assert "draft" not in at.query_params  # nothing changed yet: nothing stored
    move_weight(at, "NPS", 15)
    assert_clean(at)
    draft_id = draft_id_of(at)
    store = open_store(environ={"HSC_WORKSPACE_DIR": str(isolated_drafts)})
    saved = json.loads(get_draft(store, draft_id, "local").draft_json)
    nps = next(f for f in saved["factors"] if f["name"] == "NPS")
    assert nps["weight"] > 0
    restart_app()
    again = run_app(draft_id=draft_id)
    assert weight(again, "NPS") == 15
    assert draft_id_of(again) == draft_id


def test_a_crash_while_saving_keeps_the_previous_draft(isolated_drafts, demo_config,
                                                       monkeypatch):
    from calibration.store import audit
    from ui import state

    ws = state.Workspace(draft_id="crashtest01", source_name="demo",
                         source_path=str(DEMO_DATA), baseline=demo_config, draft=demo_config)
    assert ws.save()
    before = stored(ws)

    def killed(*args, **kwargs):  # the transaction dies after the UPDATE, before COMMIT
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(audit, "record", killed)
        ws.set_draft(demo_config.with_weights({"NPS": 50.0}))  # warns instead of crashing
    assert stored(ws) == before
    assert "could not be saved" in st.session_state["autosave_error"]
    restored = state.Workspace.restore("crashtest01")
    assert restored.draft == demo_config and restored.version == before.version


@pytest.mark.xdist_group("app")
@pytest.mark.parametrize("content", [
    b'{"draft_id": "broken0001", "source_name": "x", "baseline": {',
    b"",
    b"\x00\xff\xfe garbage \x81",
    json.dumps({"draft_id": "broken0001", "source_name": "x", "source_path": str(DEMO_DATA),
                "baseline": {"schema_version": 1, "factors": []},
                "draft": {"schema_version": 1}}).encode(),
    b"[]",
], ids=["truncated", "empty", "binary", "invalid config", "wrong shape"])
def test_corrupt_old_drafts_file_is_left_alone(content, isolated_drafts):
    """A drafts/<id>.json of the previous release that cannot be imported is left on disk
    and its id shows "not found" with a fresh draft (or, when the file held a draft whose
    config is invalid, the draft is imported and shown with what is wrong)."""
    from tests.apptest_support import metric
    from ui.fragments import ADVANCED_OPEN

    isolated_drafts.mkdir(parents=True, exist_ok=True)
    (isolated_drafts / "broken0001.json").write_bytes(content)
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[ADVANCED_OPEN] = True  # the AUC card below is drawn only while open
    at.query_params["draft"] = "broken0001"
    at.run()
    assert not at.exception
    assert (isolated_drafts / "broken0001.json").read_bytes() == content  # left for rescue
    if b"invalid config" in content or b'"factors": []' in content:
        assert at.title[0].value == "This draft cannot be opened"
        problems = at.code[0].value
        assert "baseline" in problems and "factors" in problems
        return
    assert_clean(at)
    ws = at.session_state["workspace"]
    assert ws.draft_id != "broken0001" and ws.source_path == str(DEMO_DATA)
    assert any("was not found" in w.value for w in at.warning)
    assert metric(at, "AUC") != "n/a"


# --------------------------------------------------------------------------- exports
EXPORTS = [
    ["score", "--horizon-days", "90"],
    ["suggest", "--folds", "2"],
    ["report", "--bootstrap", "0"],
    ["export-config", "--bootstrap", "0"],
]


@pytest.mark.parametrize("command", EXPORTS, ids=[c[0] for c in EXPORTS])
def test_exports_never_overwrite_without_force(command, tmp_path):
    out = tmp_path / "existing.out"
    out.write_bytes(b"last quarter's work")
    code, _, err = run_cli(command[0], "--data", str(DEMO_DATA), "--config", str(DEMO_CONFIG),
                           "--out", str(out), *command[1:])
    assert code == 1, err
    assert "already exists" in err and "--force" in err and "Traceback" not in err
    assert out.read_bytes() == b"last quarter's work"


# --------------------------------------------------------------------------- config import
BAD_UPLOADS = [
    ("bad.json", b"{"),
    ("bad.json", b""),
    ("bad.json", b'{"schema_version": 1, "factors": []}'),
    ("bad.json", json.dumps({"schema_version": 1, "factors": [
        {"name": "x", "column": "x", "weight": -1, "rule": {"kind": "linear", "lo": 1,
                                                            "hi": 0}}]}).encode()),
    ("bad.yaml", b"factors: [unclosed"),
    ("bad.yml", b"- just\n- a list\n"),
    ("bad.json", bytes(range(256))),
]


@pytest.mark.parametrize(("name", "raw"), BAD_UPLOADS)
def test_failed_config_import_leaves_the_draft_untouched(name, raw, isolated_drafts,
                                                         demo_config):
    from ui import data_actions, state

    ws = state.Workspace(draft_id="importtest01", source_name="demo",
                         source_path=str(DEMO_DATA), baseline=demo_config,
                         draft=demo_config.with_weights({"NPS": 25.0}))
    ws.save()
    saved = stored(ws)
    with pytest.raises(ConfigError) as caught:
        import_config(raw, name)
    assert str(caught.value).startswith(name) and caught.value.problems
    with pytest.raises(ConfigError):
        data_actions.import_baseline(ws, name, raw)
    assert stored(ws) == saved
    assert ws.baseline == demo_config and ws.draft == demo_config.with_weights({"NPS": 25.0})


def test_failed_autosave_keeps_draft_and_warns(isolated_drafts, monkeypatch):
    """The store cannot be written (disk full, database down): the draft stays in memory,
    the user is told, the stored draft is unchanged."""
    from sqlalchemy.exc import OperationalError

    import ui.drafts as drafts
    import ui.state as state
    from calibration.config import load_config
    from calibration.demo import DEMO_CONFIG, DEMO_DATA

    config = load_config(DEMO_CONFIG)
    ws = state.Workspace(draft_id="abcdefgh12", source_name="demo",
                         source_path=str(DEMO_DATA), baseline=config, draft=config)
    ws.save()
    before = stored(ws)

    def disk_full(*args, **kwargs):
        raise OperationalError("UPDATE drafts", {}, Exception("database or disk is full"))

    changed = config.with_weights({"NPS": 50})
    with monkeypatch.context() as patch:
        patch.setattr(drafts, "save_draft", disk_full)
        ws.set_draft(changed)
    assert ws.draft == changed
    assert "could not be saved" in st.session_state["autosave_error"]
    assert stored(ws) == before
