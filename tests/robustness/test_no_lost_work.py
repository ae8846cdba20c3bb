"""No lost work: drafts are saved atomically and survive restarts, exports never overwrite
without asking, a failed config import changes nothing."""

from __future__ import annotations

import json

import pytest
import streamlit as st

from calibration.config import ConfigError
from calibration.configfile import import_config
from tests.apptest_support import assert_clean, run_app
from tests.conftest import DEMO_CONFIG, DEMO_DATA
from tests.robustness.support import run_cli


def draft_id_of(at) -> str:
    value = at.query_params["draft"]
    return value[0] if isinstance(value, list) else value


def restart_app() -> None:
    """What a server restart forgets: every cache and session (files stay)."""
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.xdist_group("app")
def test_draft_is_restored_after_a_restart(isolated_drafts):
    at = run_app()
    at.slider(key="w::NPS").set_value(15).run()
    assert_clean(at)
    draft_id = draft_id_of(at)
    saved = json.loads((isolated_drafts / f"{draft_id}.json").read_text())
    nps = next(f for f in saved["draft"]["factors"] if f["name"] == "NPS")
    assert nps["weight"] > 0
    assert not list(isolated_drafts.glob("*.tmp"))  # written via a temp file + rename
    restart_app()
    again = run_app(draft_id=draft_id)
    assert again.slider(key="w::NPS").value == 15
    assert draft_id_of(again) == draft_id


def test_a_crash_while_saving_keeps_the_previous_file(isolated_drafts, demo_config,
                                                      monkeypatch):
    from ui import state

    ws = state.Workspace(draft_id="crashtest01", source_name="demo",
                         source_path=str(DEMO_DATA), baseline=demo_config, draft=demo_config)
    ws.save()
    before = ws.path.read_bytes()

    def half_written(payload, handle, **kwargs):
        handle.write(json.dumps(payload)[:100])
        raise OSError("disk full")

    real_dump = state.json.dump
    monkeypatch.setattr(state.json, "dump", half_written)
    ws.set_draft(demo_config.with_weights({"NPS": 50.0}))  # warns instead of crashing
    monkeypatch.setattr(state.json, "dump", real_dump)
    assert not list(ws.path.parent.glob("*.tmp"))
    assert ws.path.read_bytes() == before
    restored = state.Workspace.restore("crashtest01")
    assert restored is not None and restored.draft == demo_config


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
def test_corrupt_drafts_file_falls_back_to_the_demo(content, isolated_drafts):
    from tests.apptest_support import metric

    isolated_drafts.mkdir(parents=True, exist_ok=True)
    (isolated_drafts / "broken0001.json").write_bytes(content)
    at = run_app(draft_id="broken0001")  # asserts no exception and the frame rendered
    ws = at.session_state["workspace"]
    assert ws.draft_id != "broken0001" and ws.source_path == str(DEMO_DATA)
    assert metric(at, "AUC") != "n/a"
    assert (isolated_drafts / "broken0001.json").read_bytes() == content  # left for rescue


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
    saved = ws.path.read_bytes()
    with pytest.raises(ConfigError) as caught:
        import_config(raw, name)
    assert str(caught.value).startswith(name) and caught.value.problems
    with pytest.raises(ConfigError):
        data_actions.import_baseline(ws, name, raw)
    assert ws.path.read_bytes() == saved
    assert ws.baseline == demo_config and ws.draft == demo_config.with_weights({"NPS": 25.0})


def test_failed_autosave_keeps_draft_and_warns(tmp_path, monkeypatch):
    """Disk full while autosaving: no stray temp file, the draft stays in memory, the user is
    told."""
    import streamlit as st

    import ui.state as state
    from calibration.config import load_config
    from calibration.demo import DEMO_CONFIG, DEMO_DATA

    drafts = tmp_path / "full"
    monkeypatch.setattr(state, "DRAFTS_DIR", drafts)
    config = load_config(DEMO_CONFIG)
    ws = state.Workspace(draft_id="abcdefgh12", source_name="demo",
                         source_path=str(DEMO_DATA), baseline=config, draft=config)
    ws.save()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(state.json, "dump", disk_full)
    changed = config.with_weights({"NPS": 50})
    ws.set_draft(changed)
    assert ws.draft == changed
    assert "could not be autosaved" in st.session_state["autosave_error"]
    assert sorted(p.name for p in drafts.iterdir()) == ["abcdefgh12.json"]
