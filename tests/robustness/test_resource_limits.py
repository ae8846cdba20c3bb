"""Small files, huge memory: shapes are checked before anything is materialised, and every
refusal names its limit and the variable that raises it."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import textwrap

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from calibration.data_files import read_table
from calibration.data_quality import DataError
from calibration.limits import LimitError, Limits
from calibration.sizecheck import csv_shape, parquet_shape
from tests.conftest import DEMO_CONFIG, DEMO_DATA, ROOT
from tests.robustness.support import run_cli


def _parquet(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _refusal(raw: bytes, name: str) -> str:
    with pytest.raises(DataError) as info:
        read_table(raw, name)
    return str(info.value)


def test_a_one_line_csv_of_commas_is_refused_from_its_header():
    raw = b"," * 52_000_000  # 52 MB, one line: pandas took 500 s and 11 GB on it
    message = _refusal(raw, "commas.csv")
    assert "52,000,001 columns" in message and "limit of 2,000 columns" in message
    assert "HSC_MAX_COLUMNS" in message


def test_two_million_columns_are_refused():
    header = ",".join(f"c{i}" for i in range(2_000_000))
    raw = (header + "\n" + ",".join("1" for _ in range(2_000_000)) + "\n").encode()
    assert len(raw) > 18_000_000
    assert "2,000,000 columns" in _refusal(raw, "wide.csv")


def test_rows_cells_and_size_limits_are_named_and_can_be_raised(monkeypatch):
    raw = ("id,usage\n" + "".join(f"a{i},{i}\n" for i in range(50))).encode()
    monkeypatch.setenv("HSC_MAX_ROWS", "10")
    message = _refusal(raw, "rows.csv")
    assert "up to 50 rows" in message and "HSC_MAX_ROWS" in message
    monkeypatch.setenv("HSC_MAX_ROWS", "1_000")
    assert len(read_table(raw, "rows.csv")) == 50
    monkeypatch.setenv("HSC_MAX_CELLS", "99")
    assert "HSC_MAX_CELLS" in _refusal(raw, "rows.csv")
    monkeypatch.setenv("HSC_MAX_CELLS", "100")
    assert len(read_table(raw, "rows.csv")) == 50
    monkeypatch.setenv("HSC_MAX_ROWS", "many")
    assert "HSC_MAX_ROWS='many' is not a positive whole number" in _refusal(raw, "rows.csv")


def test_parquet_shape_comes_from_the_footer_and_matches_the_data():
    frame = pd.DataFrame({"id": [f"a{i}" for i in range(1000)], "x": range(1000)})
    raw = _parquet(pa.Table.from_pandas(frame, preserve_index=False))
    shape, schema = parquet_shape(raw)
    assert (shape.rows, shape.columns) == frame.shape
    assert schema.names == ["id", "x"]
    text = frame.to_csv(index=False)
    assert (csv_shape(text, ",").rows, csv_shape(text, ",").columns) == frame.shape


def test_parquet_decompressed_size_is_a_limit(monkeypatch):
    table = pa.table({"text": [f"{i:04d}" + "x" * 996 for i in range(3000)]})  # 3 MB
    buffer = io.BytesIO()
    pq.write_table(table, buffer, use_dictionary=False, compression="zstd")
    raw = buffer.getvalue()
    assert len(raw) < 200_000
    monkeypatch.setenv("HSC_MAX_DATA_MB", "1")
    message = _refusal(raw, "text.parquet")
    assert "MB of decompressed data" in message and "HSC_MAX_DATA_MB" in message
    monkeypatch.setenv("HSC_MAX_DATA_MB", "4")
    assert len(read_table(raw, "text.parquet")) == 3000


def test_a_dictionary_bomb_stops_at_the_session_memory_budget(monkeypatch):
    # one 100 KB string repeated 100,000 times: a 5 KB file that decodes to 10 GB
    bomb = pa.DictionaryArray.from_arrays(pa.array([0] * 100_000, pa.int32()),
                                          pa.array(["x" * 100_000]))
    raw = _parquet(pa.table({"id": range(100_000), "text": bomb}))
    assert len(raw) < 1_000_000
    message = _refusal(raw, "bomb.parquet")
    assert re.search(r"decodes to 9,53\d MB", message) and "HSC_SESSION_MEMORY_MB" in message
    # the same file shape with short strings takes the exact path and loads
    small = pa.DictionaryArray.from_arrays(pa.array([0, 1] * 50_000, pa.int32()),
                                           pa.array(["a" * 100, "b" * 100]))
    monkeypatch.setenv("HSC_SESSION_MEMORY_MB", "12")
    frame = read_table(_parquet(pa.table({"text": small})), "small.parquet")
    assert frame["text"].tolist() == ["a" * 100, "b" * 100] * 50_000


def test_the_cli_refuses_an_oversized_file_before_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_bytes(b"id,usage\n" + b"a,1\n" * 600_000)  # 2.4 MB
    monkeypatch.setenv("HSC_MAX_DATA_MB", "1")
    code, _, err = run_cli("score", "--data", str(path), "--config", str(DEMO_CONFIG),
                           "--out", str(tmp_path / "out.csv"))
    assert code == 1 and "HSC_MAX_DATA_MB" in err and "Traceback" not in err


def test_limit_messages_say_how_to_raise_them():
    with pytest.raises(LimitError) as info:
        Limits(max_rows=5).check("max_rows", 6, "the file has")
    assert str(info.value) == (
        "the file has 6 rows, over the limit of 5 rows (HSC_MAX_ROWS); an administrator "
        "can raise it by setting the environment variable HSC_MAX_ROWS before starting "
        "the app or CLI")


# --------------------------------------------------------------------------- memory
WRITE = textwrap.dedent("""
    import sys
    import numpy as np, pyarrow as pa, pyarrow.parquet as pq
    batch = pa.table({"account_id": np.full(1_000_000, 7, dtype=np.int64)})
    with pq.ParquetWriter(sys.argv[1], batch.schema, compression="zstd") as writer:
        for _ in range(40):
            writer.write_table(batch, row_group_size=1_000_000)
""")
MEASURE = textwrap.dedent("""
    import json, sys
    from calibration.data_files import read_table
    from calibration.data_quality import DataError
    raw = open(sys.argv[1], "rb").read()
    try:
        read_table(raw, "forty-million.parquet")
        message = None
    except DataError as error:
        message = str(error)
    # VmHWM: peak resident memory of this program (ru_maxrss would include the forked
    # pytest parent's pages, as it survives exec)
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    peak = int(status.split()[0])
    print(json.dumps({"size": len(raw), "message": message, "peak_kb": peak}))
""")


@pytest.mark.slow
def test_forty_million_row_parquet_is_refused_within_500_mb(tmp_path):
    path = tmp_path / "forty-million.parquet"
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin"}
    subprocess.run([sys.executable, "-c", WRITE, str(path)], env=env, timeout=600, check=True)
    # a fresh process, so its peak resident memory is the read alone (plus imports)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=600, check=True)
    result = json.loads(done.stdout)
    assert result["size"] < 400_000  # a few hundred KB on disk
    assert "40,000,000 rows" in result["message"] and "HSC_MAX_ROWS" in result["message"]
    assert result["peak_kb"] < 500 * 1024, result


# --------------------------------------------------------------------------- nested columns
def _nested_demo(tmp_path):
    frame = pd.read_parquet(DEMO_DATA)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    n = len(frame)
    table = table.append_column("tags", pa.array([["a", "b"] if i % 2 else [] for i in
                                                  range(n)]))
    table = table.append_column("meta", pa.array([{"k": i % 3, "v": "x"} for i in range(n)]))
    path = tmp_path / "nested.parquet"
    pq.write_table(table, path)
    return path


def test_list_and_struct_columns_read_as_text(tmp_path):
    frame = read_table(_nested_demo(tmp_path))
    assert frame["tags"].iloc[1] == '["a", "b"]' and frame["tags"].iloc[0] == "[]"
    assert json.loads(frame["meta"].iloc[4]) == {"k": 1, "v": "x"}
    assert frame["meta"].nunique() == 3


def test_report_cli_on_nested_columns(tmp_path):
    out = tmp_path / "report.html"
    code, _, err = run_cli("report", "--data", str(_nested_demo(tmp_path)), "--config",
                           str(DEMO_CONFIG), "--out", str(out), "--bootstrap", "0")
    assert code == 0, err
    assert out.exists() and "Traceback" not in err


@pytest.mark.xdist_group("app")
@pytest.mark.parametrize("page", ["segments", "export"])
def test_pages_on_nested_columns(tmp_path, isolated_drafts, demo_config, page):
    from tests.apptest_support import run_app
    from ui.state import Workspace

    config = demo_config.model_copy(update={"columns": demo_config.columns.model_copy(
        update={"segment": "meta"})})
    ws = Workspace(draft_id="nested000001", source_name="nested.parquet",
                   source_path=str(_nested_demo(tmp_path)), baseline=config, draft=config)
    ws.save()
    at = run_app(page=page, draft_id=ws.draft_id)
    assert not at.exception


@pytest.mark.slow
@pytest.mark.xdist_group("app")
def test_the_data_page_refuses_the_forty_million_row_upload(tmp_path):
    from tests.apptest_support import assert_clean, run_app

    path = tmp_path / "forty-million.parquet"
    subprocess.run([sys.executable, "-c", WRITE, str(path)], timeout=600, check=True)
    at = run_app(page="data")
    source = at.session_state["workspace"].source_path
    at.radio(key="data::source").set_value("Upload a file (CSV or Parquet)").run()
    at.file_uploader(key="data::upload").set_value(
        ("forty-million.parquet", path.read_bytes(), "application/octet-stream")).run()
    assert_clean(at)
    errors = " ".join(str(e.value).replace("\\", "") for e in at.error)
    assert "40,000,000 rows" in errors and "HSC_MAX_ROWS" in errors
    assert at.session_state["workspace"].source_path == source
