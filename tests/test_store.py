"""The workspace store on SQLite and on a real PostgreSQL server: drafts (create, rename,
resume), stale saves refused, ownership, interrupted writes, audit log, scenarios,
published versions, migrations, the one-time import of JSON drafts, retention."""

from __future__ import annotations

import json
import os
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from calibration import store as st_
from calibration.compare import config_diff
from calibration.store import (
    DraftContent,
    NotFound,
    StaleDraft,
    StoreError,
    create_draft,
    delete_draft,
    get_draft,
    list_scenarios,
    list_versions,
    open_store,
    publish,
    recent_drafts,
    save_draft,
    save_scenario,
    trail,
)
from calibration.store import audit as audit_module
from calibration.store.legacy import import_json_drafts
from calibration.store.retention import cleanup, retention_days
from calibration.store.schema import SCHEMA_VERSION, audit_log, drafts, migrations_table
from calibration.store.uploads import owner_folder, save_upload
from tests.conftest import DEMO_CONFIG, DEMO_DATA
from tests.store_support import postgres_store

ALICE, BOB = "alice@example.com", "bob@example.com"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=[
    pytest.mark.postgres, pytest.mark.xdist_group("postgres")])])
def store(request, tmp_path):
    if request.param == "sqlite":
        opened = open_store(environ={"HSC_WORKSPACE_DIR": str(tmp_path / "ws")})
        yield opened
        opened.close()
    else:
        with postgres_store(request.getfixturevalue("postgres")) as opened:
            yield opened


def content(name: str = "Q1 draft", draft_json: str = '{"n": 1}', **changes) -> DraftContent:
    values = {"name": name, "author": "Dana", "notes": "", "source_name": "demo",
              "source_path": str(DEMO_DATA), "horizon_days": 90, "baseline_json": "{}",
              "draft_json": draft_json}
    return DraftContent(**{**values, **changes})


# --------------------------------------------------------------------------- drafts
def test_create_rename_resume(store, tmp_path):
    created = create_draft(store, ALICE, content())
    assert re.fullmatch(r"[0-9a-f]{32}", created.id) and created.version == 1
    renamed = save_draft(store, created.id, ALICE, content(name="  Sponsor-heavy \n Q1 "), 1)
    assert renamed.version == 2 and renamed.name == "Sponsor-heavy Q1"
    again = get_draft(store, created.id, ALICE)
    assert again == renamed  # what was written is what is read back (timestamps included)
    assert again.created_at == created.created_at and again.updated_at > created.created_at


def test_resume_after_reopening_the_store(tmp_path):
    environ = {"HSC_WORKSPACE_DIR": str(tmp_path / "ws")}
    first = open_store(environ=environ)
    created = create_draft(first, ALICE, content(draft_json='{"weights": [1, 2]}'))
    first.close()
    assert (tmp_path / "ws" / "workspace.db").is_file()
    second = open_store(environ=environ)
    assert get_draft(second, created.id, ALICE).draft_json == '{"weights": [1, 2]}'


def test_recent_drafts_newest_first_and_only_mine(store):
    now = datetime.now(UTC)
    old = create_draft(store, ALICE, content("old"), now=now - timedelta(days=3))
    new = create_draft(store, ALICE, content("new"), now=now - timedelta(days=1))
    create_draft(store, BOB, content("bob's"), now=now)
    assert [r.name for r in recent_drafts(store, ALICE)] == ["new", "old"]
    save_draft(store, old.id, ALICE, content("old, edited"), 1, now=now)
    assert [r.id for r in recent_drafts(store, ALICE)] == [old.id, new.id]
    assert [r.name for r in recent_drafts(store, ALICE, limit=1)] == ["old, edited"]


def test_stale_save_is_refused_with_when_and_what_to_do(store):
    created = create_draft(store, ALICE, content())
    mine = created.version
    later = created.updated_at + timedelta(minutes=1)
    save_draft(store, created.id, ALICE, content(draft_json='{"tab": "A"}'), mine, now=later)
    with pytest.raises(StaleDraft) as caught:
        save_draft(store, created.id, ALICE, content(draft_json='{"tab": "B"}'), mine,
                   now=later + timedelta(minutes=2))
    message = str(caught.value)
    assert "changed in another tab 2 minutes ago" in message
    assert "reload, or save yours as a copy" in message
    kept = get_draft(store, created.id, ALICE)
    assert kept.draft_json == '{"tab": "A"}' and kept.version == 2


def test_another_users_draft_is_not_found(store):
    created = create_draft(store, ALICE, content())
    with pytest.raises(NotFound, match="not found"):
        get_draft(store, created.id, BOB)
    with pytest.raises(NotFound):
        save_draft(store, created.id, BOB, content(draft_json='{"evil": 1}'), 1)
    with pytest.raises(NotFound):
        delete_draft(store, created.id, BOB)
    with pytest.raises(NotFound):
        save_scenario(store, created.id, BOB, "mine now", "{}", "abc")
    assert get_draft(store, created.id, ALICE).draft_json == '{"n": 1}'
    assert recent_drafts(store, BOB) == []
    assert all(e.subject_id != created.id for e in trail(store, BOB))


def test_ids_are_128_random_bits(store):
    ids = {create_draft(store, ALICE, content(str(k))).id for k in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)  # 32 hex digits = 128 bits
    assert len({i[:8] for i in ids}) == 50  # no shared prefix: not a counter


def test_interrupted_write_leaves_the_previous_draft(store, monkeypatch):
    created = create_draft(store, ALICE, content(draft_json='{"good": 1}'))
    entries = len(trail(store, ALICE))

    def crash(*args, **kwargs):  # fails after the UPDATE ran, before the commit
        raise RuntimeError("server killed")

    with monkeypatch.context() as patch, pytest.raises(RuntimeError):
        patch.setattr(audit_module, "record", crash)
        save_draft(store, created.id, ALICE, content(draft_json='{"half": 1}'), 1)
    kept = get_draft(store, created.id, ALICE)
    assert kept.draft_json == '{"good": 1}' and kept.version == 1
    assert len(trail(store, ALICE)) == entries
    assert save_draft(store, created.id, ALICE, content(draft_json='{"next": 1}'), 1).version == 2


def test_audit_log_says_who_when_and_what_in_plain_words(store, demo_config):
    created = create_draft(store, ALICE, content(draft_json=demo_config.to_json()))
    changed = demo_config.with_weights({"Executive sponsor": 50.0})
    save_draft(store, created.id, ALICE, content(name="Usage-first", notes="why",
                                                 draft_json=changed.to_json()),
               1, actor="Alice", changes=config_diff(demo_config, changed))
    latest, first = trail(store, ALICE, created.id)
    assert first.action == "created" and latest.action == "edited"
    assert latest.actor == "Alice" and latest.at >= first.at
    assert "Name: Q1 draft → Usage-first" in latest.summary
    assert "Notes edited" in latest.summary
    assert "Executive sponsor: weight 0% -> 10% of the score" in latest.summary.splitlines()


def test_delete_draft_removes_its_scenarios(store):
    created = create_draft(store, ALICE, content())
    save_scenario(store, created.id, ALICE, "A", "{}", "h1")
    delete_draft(store, created.id, ALICE)
    with pytest.raises(NotFound):
        get_draft(store, created.id, ALICE)
    assert list_scenarios(store, created.id, ALICE) == []


# --------------------------------------------------------------------------- scenarios
def test_scenarios_named_per_draft(store):
    created = create_draft(store, ALICE, content())
    save_scenario(store, created.id, ALICE, "Sponsor-heavy", '{"s": 1}', "h1")
    save_scenario(store, created.id, ALICE, "Usage-first", '{"s": 2}', "h2")
    with pytest.raises(StoreError, match="already exists"):
        save_scenario(store, created.id, ALICE, " Sponsor-heavy ", "{}", "h3")
    with pytest.raises(StoreError, match="name"):
        save_scenario(store, created.id, ALICE, "   ", "{}", "h3")
    names = [s.name for s in list_scenarios(store, created.id, ALICE)]
    assert names == ["Sponsor-heavy", "Usage-first"]
    assert list_scenarios(store, created.id, BOB) == []
    one = list_scenarios(store, created.id, ALICE)[1]
    assert st_.get_scenario(store, one.id, ALICE).config_json == '{"s": 2}'
    st_.delete_scenario(store, one.id, ALICE)
    assert [s.name for s in list_scenarios(store, created.id, ALICE)] == ["Sponsor-heavy"]
    actions = [e.action for e in trail(store, ALICE, created.id)]
    assert actions.count("scenario saved") == 2 and "scenario deleted" in actions


# --------------------------------------------------------------------------- versions
def test_publish_list_and_names_never_reused(store):
    when = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    q3 = publish(store, name="Q3 2026", author="Dana", notes="first", config_hash="aaa",
                 config_json='{"q": 3}', data_name="demo", horizon_days=90, actor=ALICE,
                 published_at=when)
    q4 = publish(store, name="Q4 2026", author="Dana", notes="", config_hash="bbb",
                 config_json='{"q": 4}', data_name="demo", horizon_days=60, actor=BOB)
    with pytest.raises(StoreError, match="already published"):
        publish(store, name="Q4  2026", author="x", notes="", config_hash="ccc",
                config_json="{}", data_name="demo", horizon_days=90, actor=ALICE)
    listed = list_versions(store)
    assert [v.name for v in listed] == ["Q4 2026", "Q3 2026"]  # newest first
    assert listed[1].published_at == when and listed[1] == q3
    assert st_.get_version(store, q4.id).config_json == '{"q": 4}'
    assert [e.action for e in trail(store, ALICE) if e.subject == "version"] == [
        "published", "published"]  # the team record is visible to everyone


# --------------------------------------------------------------------------- migrations
def test_migrations_recorded_once(store):
    with store.engine.connect() as conn:
        versions = conn.execute(select(migrations_table.c.version)).scalars().all()
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    from calibration.store.schema import migrate

    assert migrate(store.engine) == SCHEMA_VERSION  # re-running is a no-op
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(migrations_table)).scalar() == \
            SCHEMA_VERSION


def test_a_newer_schema_is_refused(store):
    from calibration.store.schema import migrate

    with store.transaction() as conn:
        conn.execute(update(migrations_table).values(version=SCHEMA_VERSION + 5))
    with pytest.raises(RuntimeError, match="newer than this release"):
        migrate(store.engine)


def test_bad_database_url_is_a_clear_error():
    with pytest.raises(StoreError, match="SQLite and PostgreSQL"):
        st_.store_url("mysql://x@y/z")
    with pytest.raises(StoreError, match="not a valid"):
        st_.store_url("::nonsense::")
    assert st_.store_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


# --------------------------------------------------------------------------- legacy import
def test_json_drafts_of_the_previous_release_imported_once(tmp_path, demo_config):
    folder = tmp_path / "drafts"
    folder.mkdir()
    draft = demo_config.with_weights({"NPS": 25.0})
    payload = {"draft_id": "abc123def456", "source_name": "demo", "source_path": str(DEMO_DATA),
               "horizon_days": 60, "saved_at": "2026-11-02T10:00:00+00:00",
               "baseline": json.loads(demo_config.to_json()),
               "draft": json.loads(draft.to_json())}
    (folder / "abc123def456.json").write_text(json.dumps(payload))
    (folder / "broken000001.json").write_bytes(b'{"draft": {')
    store = open_store(environ={"HSC_WORKSPACE_DIR": str(folder)})
    done = import_json_drafts(store, folder, "local")
    assert done["imported"] == ["abc123def456"]
    assert done["skipped"] == ["broken000001.json: JSONDecodeError"]
    record = get_draft(store, "abc123def456", "local")
    assert json.loads(record.draft_json) == json.loads(draft.to_json())
    assert record.horizon_days == 60 and record.updated_at == datetime(2026, 11, 2, 10,
                                                                       tzinfo=UTC)
    assert import_json_drafts(store, folder, "local") is None  # once
    assert (folder / "broken000001.json").exists()  # left for rescue


# --------------------------------------------------------------------------- retention
def test_cleanup_removes_old_drafts_unused_uploads_and_stray_temp_files(tmp_path):
    root = tmp_path / "ws"
    store = open_store(environ={"HSC_WORKSPACE_DIR": str(root)})
    now = datetime.now(UTC)
    used = save_upload(root, ALICE, "used.csv", b"a,b\n1,2\n")
    unused = save_upload(root, ALICE, "unused.csv", b"a,b\n3,4\n")
    fresh_unused = save_upload(root, BOB, "fresh.csv", b"a,b\n5,6\n")
    old_source = save_upload(root, ALICE, "old.csv", b"a,b\n7,8\n")
    month_ago = time.time() - 30 * 86_400
    for path in (used, unused, old_source):
        os.utime(path, (month_ago, month_ago))
    keep = create_draft(store, ALICE, content(source_path=str(used)), now=now)
    stale = create_draft(store, ALICE, content(source_path=str(old_source)),
                         now=now - timedelta(days=200))
    stray = root / "uploads" / "half.tmp"
    stray.write_bytes(b"x")
    os.utime(stray, (month_ago, month_ago))
    dry = cleanup(store, root, draft_days=180, upload_days=7, dry_run=True)
    assert dry.drafts == [stale.id] and sorted(dry.uploads) == sorted(
        [str(unused), str(old_source)]) and dry.temp_files == [str(stray)]
    assert stray.exists() and unused.exists() and get_draft(store, stale.id, ALICE)
    done = cleanup(store, root, draft_days=180, upload_days=7)
    assert "removed 1 draft(s)" in done.describe()
    assert not stray.exists() and not unused.exists() and not old_source.exists()
    assert used.exists() and fresh_unused.exists()
    assert get_draft(store, keep.id, ALICE)
    with pytest.raises(NotFound):
        get_draft(store, stale.id, ALICE)


def test_retention_settings_are_checked():
    assert retention_days({}) == (180, 7)
    assert retention_days({"HSC_DRAFT_RETENTION_DAYS": "30",
                           "HSC_UPLOAD_RETENTION_DAYS": "2"}) == (30, 2)
    with pytest.raises(ValueError, match="HSC_DRAFT_RETENTION_DAYS must be a whole number"):
        retention_days({"HSC_DRAFT_RETENTION_DAYS": "forever"})
    with pytest.raises(ValueError, match="HSC_UPLOAD_RETENTION_DAYS must be at least 1"):
        retention_days({"HSC_UPLOAD_RETENTION_DAYS": "0"})


# --------------------------------------------------------------------------- uploads
def test_uploads_are_per_owner_atomic_and_repair_a_broken_copy(tmp_path):
    raw = b"account_id,arr\n1,100\n"
    mine = save_upload(tmp_path, ALICE, "accounts.csv", raw)
    theirs = save_upload(tmp_path, BOB, "accounts.csv", raw)
    assert mine != theirs and mine.parent == owner_folder(tmp_path, ALICE)
    assert ALICE not in str(mine)  # no e-mail address in paths
    mine.write_bytes(b"")  # a 0-byte leftover of an older release
    assert save_upload(tmp_path, ALICE, "accounts.csv", raw).read_bytes() == raw
    assert not list(tmp_path.rglob("*.tmp"))


# --------------------------------------------------------------------------- crash safety
CHILD = """
import json, sys
from calibration.store import open_store, get_draft, save_draft, DraftContent
store = open_store(environ={"HSC_WORKSPACE_DIR": sys.argv[1]})
draft_id = sys.argv[2]
print("ready", flush=True)
while True:
    rec = get_draft(store, draft_id, "local")
    n = rec.version + 1
    body = json.dumps({"n": n, "pad": "x" * 20000})
    save_draft(store, draft_id, "local", DraftContent(
        name=f"v{n}", author="", notes="", source_name="d", source_path="p",
        horizon_days=90, baseline_json=body, draft_json=body), rec.version)
"""


@pytest.mark.slow
def test_killing_a_writer_never_leaves_a_half_written_draft(tmp_path):
    import signal
    import subprocess
    import sys

    root = tmp_path / "ws"
    store = open_store(environ={"HSC_WORKSPACE_DIR": str(root)})
    body = json.dumps({"n": 1})
    draft_id = create_draft(store, "local", content(draft_json=body, baseline_json=body,
                                                    name="v1")).id
    env = {**os.environ, "PYTHONPATH": str(DEMO_CONFIG.parents[1])}
    for delay in (0.4, 0.9, 1.3):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(root), draft_id],
                                 stdout=subprocess.PIPE, env=env)
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        record = get_draft(store, draft_id, "local")
        assert json.loads(record.draft_json)["n"] == record.version
        assert json.loads(record.baseline_json)["n"] == record.version
        assert record.name == f"v{record.version}"
    assert record.version > 3  # the writer really was writing when killed
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        logged = conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.subject_id == draft_id)).scalar()
        assert logged == record.version  # one audit entry per committed version
        assert conn.execute(select(drafts.c.version)).scalar() == record.version



# --------------------------------------------------------------------------- CLI
def test_workspace_cli_info_cleanup_backup(tmp_path, monkeypatch, capsys):
    import sqlite3

    from calibration.cli import main

    root = tmp_path / "ws"
    monkeypatch.setenv("HSC_WORKSPACE_DIR", str(root))
    store = open_store()
    create_draft(store, ALICE, content(), now=datetime.now(UTC) - timedelta(days=40))
    assert main(["workspace", "info"]) == 0
    assert "1 drafts" in capsys.readouterr().out
    assert main(["workspace", "cleanup", "--dry-run", "--draft-days", "30"]) == 0
    assert "would remove 1 draft(s)" in capsys.readouterr().out
    assert len(recent_drafts(store, ALICE)) == 1
    out = tmp_path / "backup.db"
    assert main(["workspace", "backup", str(out)]) == 0
    with sqlite3.connect(out) as copy:
        assert copy.execute("SELECT name FROM drafts").fetchall() == [("Q1 draft",)]
    assert main(["workspace", "backup", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["workspace", "cleanup", "--draft-days", "30"]) == 0
    assert recent_drafts(store, ALICE) == []
    monkeypatch.setenv("HSC_DATABASE_URL", "mysql://nobody@nowhere/db")
    assert main(["workspace", "info"]) == 1
    assert "SQLite and PostgreSQL" in capsys.readouterr().err
    monkeypatch.setenv("HSC_DATABASE_URL", f"postgresql://x@/db?host={tmp_path}/nosock")
    assert main(["workspace", "info"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the workspace store cannot be opened") and "Traceback" not in err


# --------------------------------------------------------------------------- reference tags
def test_reference_tags_per_owner_and_data_set(store):
    from calibration.store.tags import set_tag, tags_for

    set_tag(store, ALICE, "demo", "A-1", "healthy", "renewed early twice")
    set_tag(store, ALICE, "demo", "A-2", "struggling")
    set_tag(store, ALICE, "demo", "A-1", "struggling")  # re-tagging replaces
    set_tag(store, ALICE, "other.csv", "A-1", "healthy")
    set_tag(store, BOB, "demo", "A-3", "healthy")
    assert [(t.account_id, t.tag) for t in tags_for(store, ALICE, "demo")] == [
        ("A-1", "struggling"), ("A-2", "struggling")]
    set_tag(store, ALICE, "demo", "A-2", None)
    assert [t.account_id for t in tags_for(store, ALICE, "demo")] == ["A-1"]
    assert [t.account_id for t in tags_for(store, BOB, "demo")] == ["A-3"]
    with pytest.raises(StoreError, match="healthy, struggling"):
        set_tag(store, ALICE, "demo", "A-1", "fine")


def test_tags_keyed_by_file_name_move_to_the_data_fingerprint_once(store):
    """Tags saved under a file name (before fingerprints) follow the data they tag: the
    first read of a data set with those accounts moves them; another file with the same name
    and other accounts takes none; every move is audited."""
    from sqlalchemy import select

    from calibration.store.schema import audit_log
    from calibration.store.tags import set_tag, tags_for

    for account, tag in (("A-1", "healthy"), ("A-2", "struggling"), ("Z-9", "healthy")):
        set_tag(store, ALICE, "accounts.csv", account, tag)
    set_tag(store, BOB, "accounts.csv", "A-1", "struggling")
    asked = []

    def present():
        asked.append(1)
        return ["A-1", "A-2", "A-3"]

    moved = tags_for(store, ALICE, "sha256:aaaa", legacy_dataset="accounts.csv", present=present)
    assert [(t.account_id, t.tag) for t in moved] == [("A-1", "healthy"), ("A-2", "struggling")]
    assert [t.account_id for t in tags_for(store, ALICE, "accounts.csv")] == ["Z-9"]
    assert [t.tag for t in tags_for(store, BOB, "accounts.csv")] == ["struggling"]  # Bob's own
    # already keyed: no second look at the legacy tags, no call for the account ids
    again = tags_for(store, ALICE, "sha256:aaaa", legacy_dataset="accounts.csv", present=present)
    assert [t.account_id for t in again] == ["A-1", "A-2"] and asked == [1]
    # another file with the same name: only its own accounts' tags, here none
    other = tags_for(store, ALICE, "sha256:bbbb", legacy_dataset="accounts.csv",
                     present=lambda: ["B-1"])
    assert other == []
    with store.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_log).where(
            audit_log.c.subject == "tags"))]
    assert actions.count("reference tags moved") == 1
