"""Shared fixtures: small hand-made configs and frames."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import settings

from calibration.config import Config, load_config

# CI explores the same examples every run (a landing never hinges on a lucky draw);
# locally hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "data" / "demo_config.json"
DEMO_DATA = ROOT / "data" / "demo_accounts.parquet"
TELCO = ROOT.parent / "shared" / "data" / "telco" / "Telco-Customer-Churn.csv"


def make_config(**overrides) -> Config:
    """A two-factor config (usage linear 0->100, tickets lower-is-better 0->10)."""
    raw = {
        "schema_version": 1,
        "columns": {"account_id": "id", "snapshot_date": None, "segment": None, "arr": "arr",
                    "outcome": "outcome", "renewal_date": None, "reference_label": None},
        "factors": [
            {"name": "usage", "column": "usage", "weight": 60,
             "rule": {"kind": "linear", "lo": 0, "hi": 100}},
            {"name": "tickets", "column": "tickets", "weight": 40,
             "direction": "lower_is_better", "rule": {"kind": "linear", "lo": 0, "hi": 10}},
        ],
    }
    raw.update(overrides)
    return Config.model_validate(raw)


@pytest.fixture
def demo_config() -> Config:
    return load_config(DEMO_CONFIG)


@pytest.fixture
def demo_config_dict() -> dict:
    return json.loads(DEMO_CONFIG.read_text())


def second_outcome_column(folder: Path, flip: bool = True) -> tuple[Path, Config, Config]:
    """The demo accounts with a second outcome column ``renewal_result`` (every decision
    the other way round with ``flip``), saved in ``folder``; the demo config and the same
    config reading ``renewal_result`` (same fingerprint: the outcome column is not in it).
    For caches shared by sessions, whose keys must tell the two mappings apart."""
    import pandas as pd

    path = folder / "accounts.parquet"
    frame = pd.read_parquet(DEMO_DATA)
    frame["renewal_result"] = (frame["outcome"].map({"churned": "renewed",
                                                     "renewed": "churned"})
                               if flip else frame["outcome"])
    frame.to_parquet(path, index=False)
    base = load_config(DEMO_CONFIG)
    raw = base.model_dump()
    raw["columns"]["outcome"] = "renewal_result"
    return path, base, Config.model_validate(raw)


# --------------------------------------------------------------------------- PostgreSQL
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the postgres tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server on a unix socket in a temp dir (one per test worker);
    yields a connect() whose ``conninfo`` attribute holds host (socket dir), port, user."""
    import psycopg

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = found[-1] if found else shutil.which("initdb")
    if not initdb:
        _missing("no PostgreSQL initdb found (apt-get install postgresql)")
    bindir = Path(initdb).parent
    base = Path(tempfile.mkdtemp(prefix="hs-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    server = None
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8", "--no-locale"], check=True,
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
        server = subprocess.Popen(
            [*prefix, str(bindir / "postgres"), "-D", str(data), "-k", str(sock), "-p",
             str(port), "-c", "listen_addresses=", "-c", "fsync=off"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(base / "server.log", "wb"))  # noqa: SIM115
        conninfo = {"host": str(sock), "port": port, "user": "postgres", "dbname": "postgres"}
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(**conninfo, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = (base / "server.log").read_text(errors="replace")
                    pytest.fail(f"PostgreSQL did not start:\n{log[-2000:]}")
                time.sleep(0.2)

        def connect():
            return psycopg.connect(**conninfo, autocommit=True)

        connect.conninfo = conninfo
        yield connect
    finally:
        if server is not None:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "stop", "-m",
                            "fast", "-w"], capture_output=True, stdin=subprocess.DEVNULL,
                           timeout=60)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=30)
            if server.poll() is None:
                server.kill()
                server.wait()
        shutil.rmtree(base, ignore_errors=True)



@pytest.fixture(autouse=True)
def isolated_drafts(tmp_path, monkeypatch):
    """Every test gets its own workspace folder (the store file, uploads, old JSON drafts)."""
    drafts = tmp_path / "drafts"
    monkeypatch.setenv("HSC_WORKSPACE_DIR", str(drafts))
    monkeypatch.setenv("HSC_DRAFTS_DIR", str(drafts))
    monkeypatch.delenv("HSC_DATABASE_URL", raising=False)
    return drafts
