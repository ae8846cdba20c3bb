"""No tracebacks, no lost state: hostile CLI arguments and config files end with exit code 1
(2 for argparse usage errors) and a message; uploads are written atomically and verified;
a full disk on the first visit keeps the app working; tables cannot export formulas."""

from __future__ import annotations

import errno
import io
import json
import os
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibration.data_quality import DataError
from tests.conftest import DEMO_CONFIG, DEMO_DATA, ROOT
from tests.robustness.support import run_cli

DATA, CONFIG = str(DEMO_DATA), str(DEMO_CONFIG)


def _clean_failure(code: int, err: str) -> None:
    assert code == 1, (code, err)
    assert "Traceback" not in err and "error:" in err, err


# --------------------------------------------------------------------------- CLI arguments
@pytest.mark.parametrize(("args", "expected"), [
    (["validate", "--data", DATA, "--config", CONFIG, "--bootstrap", "-5"], "0 to 10,000"),
    (["validate", "--data", DATA, "--config", CONFIG, "--bootstrap", "100000000"],
     "100,000,000 bootstrap resamples is out of range"),
    (["bench", "--accounts", "-5"], "-5 accounts is out of range"),
    (["score", "--data", DATA, "--config", CONFIG, "--out", "x.csv", "--horizon-days",
      "1e20"], "not a whole number of days"),
    (["compare", "--data", DATA, "--baseline", CONFIG, "--config", CONFIG, "--resamples",
      "-1"], "out of range"),
])
def test_bad_numbers_are_usage_errors(args, expected, capsys):
    from calibration.cli import main

    with pytest.raises(SystemExit) as info:
        main(args)
    err = capsys.readouterr().err
    assert info.value.code == 1 and expected in err and "Traceback" not in err


def test_out_is_never_an_input_or_a_directory(tmp_path):
    data = tmp_path / "in.parquet"
    data.write_bytes(DEMO_DATA.read_bytes())
    before = data.read_bytes()
    for out in (data, tmp_path / "." / "in.parquet"):
        code, _, err = run_cli("score", "--data", str(data), "--config", CONFIG, "--out",
                               str(out), "--force")
        assert code == 1 and "same file as --data" in err
    link = tmp_path / "link.parquet"
    link.symlink_to(data)
    code, _, err = run_cli("score", "--data", str(link), "--config", CONFIG, "--out",
                           str(data), "--force")
    assert code == 1 and "refusing to overwrite an input" in err
    assert data.read_bytes() == before
    config_copy = tmp_path / "config.json"
    config_copy.write_text(DEMO_CONFIG.read_text())
    code, _, err = run_cli("report", "--data", str(data), "--config", str(config_copy),
                           "--out", str(config_copy), "--force", "--bootstrap", "0")
    assert code == 1 and "same file as --config" in err
    code, _, err = run_cli("score", "--data", str(data), "--config", CONFIG, "--out",
                           str(tmp_path), "--force")
    assert code == 1 and "is a directory" in err


def test_unwritable_out_is_a_message(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        code, _, err = run_cli("score", "--data", DATA, "--config", CONFIG, "--out",
                               str(locked / "out.csv"))
    finally:
        locked.chmod(0o700)
    _clean_failure(code, err)
    assert "Permission denied" in err


def test_out_under_a_file_is_a_message(tmp_path):
    code, _, err = run_cli("score", "--data", DATA, "--config", CONFIG, "--out",
                           str(DEMO_CONFIG / "x.csv"))
    _clean_failure(code, err)


# --------------------------------------------------------------------------- config files
@pytest.mark.parametrize(("name", "text", "expected"), [
    ("deep.json", "[" * 200_000 + "]" * 200_000, "nested too deeply"),
    ("deep.yaml", "[" * 200_000 + "]" * 200_000, "nested too deeply"),
    ("deep_notes.json", '{"schema_version": 1, "notes": ' + "[" * 200_000 + "]" * 200_000
     + "}", "nested too deeply"),
    ("bigint.json", '{"schema_version": 1, "factors": ' + "9" * 5000 + "}",
     "more than 4,300 digits"),
    ("bigint.yaml", "schema_version: 1\nfactors: " + "9" * 5000 + "\n",
     "more than 4,300 digits"),
])
def test_hostile_config_files_are_clean_errors(tmp_path, name, text, expected):
    from calibration.config import ConfigError
    from calibration.configfile import import_config

    path = tmp_path / name
    path.write_text(text)
    code, _, err = run_cli("score", "--data", DATA, "--config", str(path), "--out",
                           str(tmp_path / "out.csv"))
    _clean_failure(code, err)
    assert code == 1 and expected in err
    with pytest.raises(ConfigError, match=expected):
        import_config(text.encode(), name)


CONFIG_TEXT = st.one_of(
    st.text(max_size=300),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                     st.text(max_size=10), inner, max_size=4), max_leaves=20).map(
        lambda value: json.dumps(value)),
    st.builds(lambda depth, digits: "[" * depth + "9" * digits + "]" * depth,
              st.integers(0, 3000), st.integers(1, 6000)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(text=CONFIG_TEXT, suffix=st.sampled_from([".json", ".yaml"]))
def test_fuzzed_config_files_never_crash(tmp_path, text, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    code, _, err = run_cli("diff", str(path), CONFIG)
    _clean_failure(code, err)  # no such text is a whole valid config: exit 1 with a message


ARGUMENT = st.one_of(
    st.sampled_from(["-5", "0", "1e20", "100000000", "nan", "-1", "", "99999999999999999999",
                     "--force", "/", ".", "/dev/null", "/etc/passwd", "x" * 300]),
    st.integers(-10**12, 10**12).map(str), st.text(max_size=12))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(["score", "validate", "bench", "compare", "report", "suggest",
                                "sql", "export-config", "diff", "init"]),
       flag=st.sampled_from(["--bootstrap", "--accounts", "--horizon-days", "--repeats",
                             "--resamples", "--seed", "--folds", "--out", "--data",
                             "--config", "--dialect"]),
       value=ARGUMENT)
def test_fuzzed_cli_arguments_never_crash(tmp_path, capsys, command, flag, value):
    from calibration.cli import main

    out = tmp_path / "out.file"
    base = {"score": ["--data", DATA, "--config", CONFIG, "--out", str(out)],
            "validate": ["--data", DATA, "--config", CONFIG, "--bootstrap", "0"],
            "bench": ["--accounts", "50", "--repeats", "1", "--bootstrap", "0"],
            "compare": ["--data", DATA, "--baseline", CONFIG, "--config", CONFIG,
                        "--resamples", "0"],
            "report": ["--data", DATA, "--config", CONFIG, "--out", str(out), "--bootstrap",
                       "0"],
            "suggest": ["--data", DATA, "--config", CONFIG],
            "sql": ["--config", CONFIG],
            "export-config": ["--data", DATA, "--config", CONFIG, "--out", str(out),
                              "--bootstrap", "0"],
            "diff": [CONFIG, CONFIG],
            "init": ["--data", DATA, "--out", str(out)]}[command]
    args = [*base, flag, value]
    if flag in ("--horizon-days", "--seed", "--folds", "--repeats", "--accounts",
                "--bootstrap", "--resamples") and value.lstrip("-").isdigit() and \
            abs(int(value)) < 10**7 and command in ("bench", "suggest", "report",
                                                   "export-config", "compare", "validate"):
        return  # a valid run of a slow command: covered by the commands' own tests
    try:
        code = main(args)
    except SystemExit as stop:  # argument errors: usage line + message, exit 1
        code = stop.code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert code in (0, 1), (args, code, captured.err[-500:])
    if code:
        assert "error: " in captured.err, (args, captured.err[-500:])
    assert not Path(CONFIG).with_suffix(".csv").exists()


# --------------------------------------------------------------------------- uploads
def test_an_upload_is_written_atomically_and_verified(isolated_drafts, monkeypatch):
    from calibration.store import uploads as store_uploads
    from ui import state

    raw = DEMO_DATA.read_bytes()
    path = state.save_upload("accounts.parquet", raw)
    owner_folder = store_uploads.owner_folder(isolated_drafts, "local")
    assert path.read_bytes() == raw and path.parent == owner_folder
    path.write_bytes(b"")  # a broken earlier copy under the same (content-hash) name
    assert state.save_upload("accounts.parquet", raw) == path and path.read_bytes() == raw

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_uploads.os, "replace", disk_full)
    other = raw + b"\n"  # new content, new name
    with pytest.raises(OSError):
        state.save_upload("other.csv", other)
    leftovers = sorted(p.name for p in owner_folder.iterdir())
    assert leftovers == [path.name], leftovers  # no 0-byte file, no .tmp


def test_a_failed_upload_leaves_the_workspace_unchanged(isolated_drafts, monkeypatch,
                                                        demo_config):
    from calibration.store import uploads as store_uploads
    from ui import data_actions, state

    ws = state.Workspace(draft_id="abcdef999999", source_name=state.DEMO_NAME,
                         source_path=str(DEMO_DATA), baseline=demo_config, draft=demo_config)

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_uploads.os, "replace", disk_full)
    buffer = io.BytesIO()
    pd.DataFrame({"id": ["a", "b"], "x": [1, 2]}).to_parquet(buffer)
    with pytest.raises(DataError, match="could not be saved on the server"):
        data_actions.use_upload(ws, "a.parquet", buffer.getvalue())
    assert ws.source_path == str(DEMO_DATA)
    uploads = isolated_drafts / "uploads"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


@pytest.mark.xdist_group("app")
def test_disk_full_on_the_first_visit_keeps_the_app_working(isolated_drafts, monkeypatch):
    """The workspace store cannot be created (disk full): the app still works in memory and
    says, once something changes, that the draft is not saved."""
    from tests.apptest_support import move_weight, run_app
    from ui import store

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "open_store", disk_full)
    at = run_app()
    assert not at.exception
    move_weight(at, "NPS", 20)
    assert not at.exception
    assert any("could not be saved" in str(e.value) for e in at.sidebar.error)


# --------------------------------------------------------------------------- tables
def test_tables_cannot_export_formulas():
    settings_ = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings_["client"]["disableDataExport"] is True
