"""The Data page's SQL box is no shell: each attack from issue #15 is replayed and must be
refused with a clear message, reading nothing and writing nothing outside the workspace."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from calibration.data_quality import DataError
from calibration.limits import LimitError, Limits
from calibration.sandbox import SqlRefused, check_select, run_select
from tests.conftest import DEMO_DATA, ROOT

CANARY = "canary-7f3a9c-do-not-leak"


def _tree_state(root: Path) -> dict[str, str]:
    """Path -> sha256 of every file under ``root`` (a snapshot to compare)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def world(tmp_path):
    """A user's upload, another user's upload, a secret file and a draft, side by side."""
    uploads = tmp_path / "drafts" / "uploads"
    uploads.mkdir(parents=True)
    mine = uploads / "mine0000.csv"
    pd.DataFrame({"account_id": ["a", "b", "c"], "usage": [1, 50, 90],
                  "outcome": ["churned", "renewed", "renewed"]}).to_csv(mine, index=False)
    theirs = uploads / "theirs00.csv"
    theirs.write_text(f"account_id,secret\nx,{CANARY}\n")
    secret = tmp_path / "secret.txt"
    secret.write_text(f"password={CANARY}\n")
    (tmp_path / "drafts" / "deadbeef0001.json").write_text(f'{{"note": "{CANARY}"}}')
    return {"root": tmp_path, "mine": mine, "theirs": theirs, "secret": secret,
            "tables": {"accounts": str(mine), "demo_accounts": str(DEMO_DATA)}}


FAST = Limits(sql_time_limit_s=5)


def _refused(query: str, world: dict, kind=SqlRefused, budget: Limits = FAST) -> str:
    before = _tree_state(world["root"])
    pages = _tree_state(ROOT / "app_pages")
    with pytest.raises(kind) as info:
        run_select(query, world["tables"], budget)
    message = str(info.value)
    assert CANARY not in message
    assert _tree_state(world["root"]) == before, "a file changed in the workspace"
    assert _tree_state(ROOT / "app_pages") == pages, "a page file changed"
    return message


def test_a_select_over_the_offered_tables_works(world):
    frame = run_select("SELECT account_id, usage * 2 AS u FROM accounts WHERE usage > 10 "
                       "ORDER BY account_id", world["tables"], FAST)
    assert frame.to_dict("list") == {"account_id": ["b", "c"], "u": [100, 180]}
    demo = run_select("SELECT count(*) AS n FROM demo_accounts", world["tables"], FAST)
    assert demo["n"][0] == len(pd.read_parquet(DEMO_DATA))


def test_copy_to_a_page_file_is_refused(world):
    target = ROOT / "app_pages" / "renewals.py"
    message = _refused(f"COPY (SELECT 'import os' AS c) TO '{target}' "
                       "(FORMAT csv, HEADER false, QUOTE '')", world)
    assert "only a SELECT query is allowed, not COPY" in message


@pytest.mark.parametrize("query", [
    "SELECT * FROM read_csv('{secret}', header=false)",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/proc/self/environ')",
    "SELECT * FROM read_text('{root}/drafts/*.json')",
    "SELECT * FROM glob('{root}/drafts/*.json')",
    "SELECT * FROM read_csv('{root}/drafts/uploads/*.csv')",
    "SELECT * FROM read_csv('{theirs}')",
    "SELECT * FROM read_csv(['{mine}', '{theirs}'], union_by_name=true)",
    "SELECT * FROM read_parquet('https://example.com/x.parquet')",
    "SELECT * FROM sniff_csv('{secret}')",
])
def test_reading_any_file_but_the_offered_tables_is_refused(world, query):
    message = _refused(query.format(**world), world)
    assert "may read only the tables offered here" in message or "stopped" in message


@pytest.mark.parametrize(("query", "kind"), [
    ("ATTACH '{root}/new.db' AS x", "ATTACH"),
    ("INSTALL httpfs FROM 'http://127.0.0.1:9/'", "LOAD"),
    ("LOAD httpfs", "LOAD"),
    ("SET enable_external_access = true", "SET"),
    ("RESET lock_configuration", "SET"),
    ("PRAGMA enable_profiling", "PRAGMA"),
    ("EXPORT DATABASE '{root}/dump'", "EXPORT"),
    ("CALL pragma_version()", "CALL"),
    ("CREATE TABLE t AS SELECT 1", "CREATE"),
])
def test_statements_other_than_select_are_refused(world, query, kind):
    message = _refused(query.format(**world), world)
    assert f"not {kind}" in message
    assert not (world["root"] / "new.db").exists() and not (world["root"] / "dump").exists()


def test_several_statements_are_refused(world):
    message = _refused("SELECT 1; COPY (SELECT 1) TO '{root}/x.csv'".format(**world), world)
    assert "one statement only" in message and "holds 2" in message


def test_a_select_that_writes_through_a_table_function_is_refused(world):
    # query() runs a string as SQL: DuckDB itself refuses anything but a SELECT there
    message = _refused("SELECT * FROM query('COPY (SELECT 1) TO ''{root}/x.csv''')"
                       .format(**world), world)
    assert "SELECT" in message


def test_time_and_memory_limits_stop_runaway_queries(world):
    slow = _refused("SELECT count(*) FROM range(1000000000000)", world, LimitError,
                    Limits(sql_time_limit_s=2))
    assert "HSC_SQL_TIME_LIMIT_S" in slow
    big = _refused("SELECT * FROM range(100000)", world, LimitError, Limits(max_rows=1000))
    assert "1,000 rows" in big and "HSC_MAX_ROWS" in big
    huge = _refused("SELECT list(range) FROM range(200000000)", world, LimitError,
                    Limits(sql_memory_mb=128, sql_time_limit_s=20))
    assert "HSC_SQL_MEMORY_MB" in huge


def test_the_worker_runs_with_no_secrets_in_its_environment(world, monkeypatch):
    monkeypatch.setenv("HSC_TEST_SECRET", CANARY)
    # getenv is not even a function in the locked-down connection
    _refused("SELECT getenv('HSC_TEST_SECRET') AS v", world)


def test_check_select_accepts_selects_only():
    for good in ("SELECT 1", "FROM accounts", "WITH a AS (SELECT 1) SELECT * FROM a",
                 "SELECT 1 -- a comment; with a semicolon", "(SELECT 1) UNION (SELECT 2)"):
        assert check_select(good) == good
    for bad in ("", "   ", "SELEC 1", "SELECT 1; SELECT 2", "DROP TABLE accounts",
                "SET VARIABLE x = 1", "INSERT INTO accounts VALUES (1)", "x" * 100_001):
        with pytest.raises(SqlRefused):
            check_select(bad)


# --------------------------------------------------------------------------- through the app
def _data_page(monkeypatch, **env):
    from tests.apptest_support import run_app

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return run_app(page="data")


def _errors(at) -> str:
    return " ".join(str(e.value).replace("\\", "") for e in at.error)


@pytest.mark.xdist_group("app")
def test_the_app_refuses_copy_to_a_page_and_keeps_the_source(monkeypatch):
    at = _data_page(monkeypatch)
    source = at.session_state["workspace"].source_path
    pages = _tree_state(ROOT / "app_pages")
    target = ROOT / "app_pages" / "renewals.py"
    at.radio(key="data::source").set_value("SQL query (DuckDB)").run()
    assert not [w for w in at.text_input if "database file" in w.label.lower()]
    at.text_area(key="data::sql").set_value(
        f"COPY (SELECT 'import os' AS c) TO '{target}' (FORMAT csv, HEADER false)").run()
    at.button(key="data::run_sql").click().run()
    assert not at.exception
    assert "only a SELECT query is allowed, not COPY" in _errors(at)
    assert _tree_state(ROOT / "app_pages") == pages
    assert at.session_state["workspace"].source_path == source
    at.text_area(key="data::sql").set_value("SELECT * FROM read_text('/etc/passwd')").run()
    at.button(key="data::run_sql").click().run()
    assert "may read only the tables offered here" in _errors(at)
    assert "root:" not in " ".join(str(e.value) for e in at.markdown)


@pytest.mark.xdist_group("app")
def test_a_shared_server_has_no_sql_box_unless_the_operator_enables_it(monkeypatch):
    at = _data_page(monkeypatch, HSC_DEPLOYMENT="shared", HSC_REQUIRE_LOGIN="0")
    assert "SQL query (DuckDB)" not in at.radio(key="data::source").options
    at = _data_page(monkeypatch, HSC_DEPLOYMENT="shared", HSC_SQL_BOX="on",
                    HSC_REQUIRE_LOGIN="0")  # no login here: one shared workspace
    assert "SQL query (DuckDB)" in at.radio(key="data::source").options
    at = _data_page(monkeypatch, HSC_DEPLOYMENT="local", HSC_SQL_BOX="off")
    assert "SQL query (DuckDB)" not in at.radio(key="data::source").options


@pytest.mark.xdist_group("app")
def test_a_non_loopback_address_counts_as_shared(monkeypatch):
    from streamlit import config

    monkeypatch.delenv("HSC_DEPLOYMENT", raising=False)
    monkeypatch.delenv("HSC_SQL_BOX", raising=False)
    from ui import deployment

    original = config.get_option("server.address")
    try:
        config.set_option("server.address", "0.0.0.0")
        assert deployment.is_shared() and not deployment.sql_box_enabled()
        config.set_option("server.address", "127.0.0.1")
        assert not deployment.is_shared() and deployment.sql_box_enabled()
    finally:
        config.set_option("server.address", original)


@pytest.mark.xdist_group("app")
def test_team_database_goes_through_a_configured_read_only_connection(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.apptest_support import APP, assert_clean

    database = tmp_path / "team.db"
    with sqlite3.connect(database) as con:
        con.execute("CREATE TABLE accounts (account_id TEXT, usage REAL, outcome TEXT)")
        con.executemany("INSERT INTO accounts VALUES (?, ?, ?)",
                        [("a", 1, "churned"), ("b", 50, "renewed"), ("c", 90, "renewed")])
    monkeypatch.setenv("HSC_SQL_BOX", "off")
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["connections"] = {"team_db": {"url": f"sqlite:///{database}"}}
    at.run()
    at.switch_page("app_pages/data.py").run()
    assert_clean(at)
    radio = at.radio(key="data::source")
    assert "Team database" in radio.options and "SQL query (DuckDB)" not in radio.options
    radio.set_value("Team database").run()
    at.text_area(key="data::team_sql").set_value("DELETE FROM accounts").run()
    at.button(key="data::run_team_sql").click().run()
    assert "only a SELECT query is allowed" in _errors(at)
    at.text_area(key="data::team_sql").set_value(
        "SELECT * FROM accounts WHERE usage > 10").run()
    at.button(key="data::run_team_sql").click().run()
    assert_clean(at)
    ws = at.session_state["workspace"]
    assert ws.source_name.startswith("Team database: SELECT")
    assert sorted(pd.read_parquet(ws.source_path)["account_id"]) == ["b", "c"]
    with sqlite3.connect(database) as con:
        assert con.execute("SELECT count(*) FROM accounts").fetchone() == (3,)


def test_team_database_transaction_is_read_only(tmp_path, monkeypatch):
    from sqlalchemy import create_engine

    from calibration import team_db
    from calibration.team_db import run_readonly

    database = tmp_path / "team.db"
    with sqlite3.connect(database) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
        con.execute("INSERT INTO t VALUES (1)")
    engine = create_engine(f"sqlite:///{database}")
    assert run_readonly(engine, "SELECT x FROM t")["x"].tolist() == [1]
    with pytest.raises(SqlRefused, match="not INSERT"):
        run_readonly(engine, "WITH d AS (SELECT 1) INSERT INTO t SELECT 2")
    # were the statement check fooled, the connection itself is read-only
    monkeypatch.setattr(team_db, "check_select", lambda query: query)
    with pytest.raises(SqlRefused, match=r"refused the query.*readonly"):
        run_readonly(engine, "INSERT INTO t SELECT 2")
    with pytest.raises(LimitError, match="HSC_MAX_ROWS"):
        run_readonly(engine, "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r "
                     "WHERE i < 500) SELECT i FROM r", Limits(max_rows=100))
    with sqlite3.connect(database) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_use_sql_reports_refusals_as_data_errors(isolated_drafts):
    from calibration.config import load_config
    from tests.conftest import DEMO_CONFIG
    from ui import data_actions, state

    demo = load_config(DEMO_CONFIG)
    ws = state.Workspace(draft_id="abcdef777777", source_name=state.DEMO_NAME,
                         source_path=str(DEMO_DATA), baseline=demo, draft=demo)
    with pytest.raises(DataError, match="not ATTACH"):
        data_actions.use_sql(ws, "ATTACH 'x.db'")
    assert not Path("x.db").exists() and ws.source_path == str(DEMO_DATA)
    frame = data_actions.use_sql(ws, "SELECT * FROM accounts LIMIT 10")
    assert len(frame) == 10 and ws.source_name.startswith("SQL: SELECT * FROM accounts")
    from calibration.store.uploads import owner_folder

    # kept in the owner's own upload folder
    assert os.path.dirname(ws.source_path) == str(owner_folder(isolated_drafts, ws.owner))
