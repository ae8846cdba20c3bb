"""Hand-made bad account files, through ``read_table`` + ``prepare`` and through the CLI.

Every case either works (and lists what it excluded or read differently) or fails with a
message naming the file, the column and the rows; no case shows a traceback and no row is
dropped without being counted.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibration.accounts import prepare
from calibration.data_files import read_table
from calibration.data_quality import DataError
from tests.robustness.support import (
    DATED_ROLES,
    GOOD_ROWS,
    HEADER,
    ROLES,
    assert_accounted,
    config,
    run_cli,
    score_cli,
)


def garbage(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


# --------------------------------------------------------------------------- readable files
# (name, file bytes, file name): all of these must load with every row accounted for.
READABLE = [
    ("semicolon", (HEADER + GOOD_ROWS).replace(",", ";").encode(), "d.csv"),
    ("tab", (HEADER + GOOD_ROWS).replace(",", "\t").encode(), "d.tsv"),
    ("pipe", (HEADER + GOOD_ROWS).replace(",", "|").encode(), "d.csv"),
    ("cp1252", (HEADER + "Café Noël,50,1,renewed,10\n" + GOOD_ROWS).encode("cp1252"), "d.csv"),
    ("cp1252 semicolon", (HEADER + "Zoë,50,1,renewed,10\n").replace(",", ";").encode(
        "cp1252"), "d.csv"),
    ("utf-16 BOM", (HEADER + "Café,50,1,renewed,10\n" + GOOD_ROWS).encode("utf-16"), "d.csv"),
    ("utf-16-be BOM", b"\xfe\xff" + (HEADER + GOOD_ROWS).encode("utf-16-be"), "d.csv"),
    ("utf-16 tab", (HEADER + GOOD_ROWS).replace(",", "\t").encode("utf-16"), "d.csv"),
    ("utf-8 BOM", b"\xef\xbb\xbf" + (HEADER + GOOD_ROWS).encode(), "d.csv"),
    ("CRLF", (HEADER + GOOD_ROWS).replace("\n", "\r\n").encode(), "d.csv"),
    ("spaces after commas", (HEADER + GOOD_ROWS).replace(",", ", ").encode(), "d.csv"),
    ("trailing delimiter", (HEADER + GOOD_ROWS.replace("\n", ",\n")).encode(), "d.csv"),
    ("quoted fields", (HEADER + '"a, inc",50,1,renewed,"1,000"\n' + GOOD_ROWS).encode(),
     "d.csv"),
    ("NUL byte in a cell", (HEADER + "a\x00b,50,1,renewed,10\n" + GOOD_ROWS).encode(),
     "d.csv"),
    ("no trailing newline", (HEADER + GOOD_ROWS).rstrip("\n").encode(), "d.csv"),
    ("one account", (HEADER + "a,50,1,renewed,10\n").encode(), "d.csv"),
    ("huge id cell", (HEADER + "x" * 1_000_000 + ",50,1,renewed,10\n" + GOOD_ROWS).encode(),
     "d.csv"),
]


@pytest.mark.parametrize(("raw", "name"), [c[1:] for c in READABLE],
                         ids=[c[0] for c in READABLE])
def test_readable_variants_load_every_row(raw, name, tmp_path):
    frame = read_table(raw, name)
    assert list(frame.columns) == ["id", "usage", "tickets", "outcome", "arr"]
    table = prepare(frame, ROLES, config(), name)
    assert_accounted(table.report)
    assert table.report.n_rows_used == len(frame) == len(table)
    assert set(table.outcome) <= {"churned", "renewed"}
    path = tmp_path / name
    path.write_bytes(raw)
    code, err, out = score_cli(tmp_path, path)
    assert code == 0, err
    assert len(pd.read_csv(out)) == len(frame)


def test_encodings_decode_accented_ids():
    for raw in (READABLE[3][1], READABLE[5][1]):
        assert read_table(raw, "d.csv")["id"][0] in ("Café Noël", "Café")


# --------------------------------------------------------------------------- unusable files
def _directory(tmp_path: Path) -> Path:
    folder = tmp_path / "accounts.csv"
    folder.mkdir()
    return folder


# (name, file bytes or a path factory, file name, message fragments)
UNUSABLE = [
    ("empty file", b"", "d.csv", ["the file is empty"]),
    ("blank lines only", b"\n \n\r\n\t\n", "d.csv", ["the file is empty"]),
    ("header only", HEADER.encode(), "d.csv", ["no data rows"]),
    ("binary garbage", garbage(4096), "d.csv", ["not a readable CSV file"]),
    ("binary garbage as parquet", garbage(4096), "d.parquet",
     ["not a readable Parquet file"]),
    ("parquet magic then garbage", b"PAR1" + garbage(300), "d.bin",
     ["not a readable Parquet file"]),
    ("truncated parquet", None, "d.parquet", ["not a readable Parquet file"]),
    ("ragged first row", (HEADER + "a,50,1,renewed,10,extra,more\n" + GOOD_ROWS).encode(),
     "d.csv", ["row 2 has 7 fields but the header has 5"]),
    ("ragged later row", (HEADER + GOOD_ROWS + "d,1,1,open,1,x,y\n").encode(), "d.csv",
     ["row 5 has 7 fields but the header has 5", "separator"]),
    ("unclosed quote", (HEADER + 'a,"50,1,renewed,10\n' + GOOD_ROWS).encode(), "d.csv",
     ["not a readable CSV file"]),
    ("renamed id column", (HEADER.replace("id", "ID") + GOOD_ROWS).encode(), "d.csv",
     ["account id column 'id' is not in the file (did you mean 'ID'?)"]),
    ("renamed outcome column", (HEADER.replace("outcome", "Outcomes") + GOOD_ROWS).encode(),
     "d.csv", ["outcome column 'outcome'", "did you mean 'Outcomes'?"]),
    ("missing factor columns", b"id,outcome,arr\na,renewed,1\n", "d.csv",
     ["factors[usage]: column 'usage' is not in the data",
      "factors[tickets]: column 'tickets' is not in the data"]),
    ("outcome spellings", (HEADER + "a,50,1,Churned,10\nb,20,5,CHURN,5\nc,1,1,yes,1\n"
                           "d,1,1,renewed,1\n").encode(), "d.csv",
     ["unknown outcome label(s): 'CHURN' (1), 'yes' (1)", "churned_values", "rows 3, 4"]),
    ("outcome numbers", (HEADER + "a,50,1,1,10\nb,20,5,0,5\n").encode(), "d.csv",
     ["unknown outcome label(s): '1' (1), '0' (1)", "rows 2, 3"]),
    ("all ids blank", (HEADER + ",50,1,renewed,10\n ,20,5,churned,5\n").encode(), "d.csv",
     ["blank account id", "no usable rows left"]),
    ("semicolon file, comma-less header mismatch", b"id;usage\na;1\n", "d.csv",
     ["tickets", "outcome"]),
]


@pytest.mark.parametrize(("raw", "name", "fragments"), [c[1:] for c in UNUSABLE],
                         ids=[c[0] for c in UNUSABLE])
def test_unusable_files_fail_with_a_specific_message(raw, name, fragments, tmp_path):
    path = tmp_path / name
    if raw is None:  # a real parquet file cut in half
        buffer = tmp_path / "full.parquet"
        pd.DataFrame({"id": list("abc"), "usage": [1, 2, 3]}).to_parquet(buffer)
        raw = buffer.read_bytes()[: buffer.stat().st_size // 2]
    path.write_bytes(raw)
    with pytest.raises(DataError) as caught:
        prepare(read_table(path), ROLES, config(), str(path))
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message
    report = caught.value.report
    assert not report.ok
    assert report.n_rows_read >= report.n_rows_used + report.n_rows_excluded
    code, err, _ = score_cli(tmp_path, path)
    assert code == 1
    assert err.startswith("error: ") and str(path) in err
    for fragment in fragments:
        assert fragment in err


@pytest.mark.parametrize("make", [_directory, lambda tmp: tmp / "missing.csv"],
                         ids=["directory", "missing file"])
def test_a_directory_or_missing_path_is_a_clean_error(make, tmp_path):
    path = make(tmp_path)
    with pytest.raises(DataError, match="cannot read the file"):
        read_table(path)
    code, err, _ = score_cli(tmp_path, path)
    assert code == 1 and "cannot read the file" in err and str(path) in err


# --------------------------------------------------------------------------- usable but flawed
def report_of(text: str, dated: bool = False):
    roles = DATED_ROLES if dated else ROLES
    table = prepare(read_table(text.encode(), "f.csv"), roles, config(dated), "f.csv")
    assert_accounted(table.report)
    return table


def issue(table, fragment: str):
    return next(i for i in table.report.issues if fragment in i.message)


def test_text_in_numeric_columns_lists_and_counts_rows():
    rows = "".join(f"r{k},{'lots' if k % 3 == 0 else k},{'x' if k % 5 == 0 else 1},renewed,1\n"
                   for k in range(60))
    table = report_of(HEADER + rows)
    usage = issue(table, "factor 'usage': text in a numeric column")
    assert usage.column == "usage" and usage.n_rows == 20
    assert usage.rows[:3] == (2, 5, 8) and len(usage.rows) == 20
    tickets = issue(table, "factor 'tickets': text in a numeric column")
    assert tickets.n_rows == 12 and "and" not in tickets.describe()
    assert len(table) == 60  # kept and scored as missing, not dropped


def test_blank_and_nan_values_are_counted():
    table = report_of(HEADER + "a,,1,renewed,10\nb,NaN,,churned,\nc,NULL,n/a,renewed,-\n"
                      ",1,1,renewed,1\nd,1,1,,1\n")
    assert issue(table, "blank account id").rows == (5,)
    assert issue(table, "factor 'usage'").n_rows == 3
    assert "3 rows (75.0%) have no value" in issue(table, "factor 'usage'").message
    assert issue(table, "factor 'tickets'").rows == (3, 4)
    assert list(table.outcome) == ["renewed", "churned", "renewed", "open"]
    assert np.isnan(table.arr[1:3]).all()


def test_duplicated_accounts_keep_the_first_and_list_the_rest():
    table = report_of(HEADER + "a,50,1,renewed,10\na,20,5,churned,5\nb,1,1,renewed,1\n"
                      "a,9,9,renewed,9\n b ,1,1,renewed,1\n")
    dupes = issue(table, "duplicate account")
    assert dupes.rows == (3, 5, 6) and dupes.excluded
    assert list(table.account_id) == ["a", "b"]


def test_dates_in_mixed_formats_are_read_or_listed():
    text = ("id,date,renewal,usage,tickets,outcome,arr\n"
            "a,2026-01-31,2026-12-31,1,1,renewed,1\n"
            "b,02/28/2026,12/31/2026,1,1,churned,1\n"
            "c,31.03.2026,2026-12-31,1,1,renewed,1\n"
            "d,\"March 5, 2026\",2026-12-31,1,1,renewed,1\n"
            "e,2026-01-31T10:00:00,2026-12-31,1,1,renewed,1\n"
            "f,not a date,2026-12-31,1,1,renewed,1\n"
            "g,2026-01-31,someday,1,1,renewed,1\n"
            "h,,2026-12-31,1,1,renewed,1\n")
    table = report_of(text, dated=True)
    mixed = issue(table, "snapshot dates in more than one format")
    assert mixed.rows == (3, 4, 5) and not mixed.excluded
    bad = issue(table, "unreadable snapshot date")
    assert bad.rows == (7,) and bad.excluded and "rows excluded" in bad.message
    renewal = issue(table, "unreadable renewal date")
    assert renewal.rows == (8,) and not renewal.excluded
    assert "treated as unknown" in renewal.message
    blank = issue(table, "blank snapshot date in dated data")
    assert blank.rows == (9,) and blank.excluded
    assert [str(d)[:10] for d in table.snapshot_date] == [
        "2026-01-31", "2026-02-28", "2026-03-31", "2026-03-05", "2026-01-31", "2026-01-31"]


def test_a_row_with_two_exclusion_reasons_is_counted_once():
    text = ("id,date,renewal,usage,tickets,outcome,arr\n"
            ",garbage,2026-12-31,1,1,renewed,1\n"
            "a,2026-01-31,2026-12-31,1,1,renewed,1\n"
            "a,garbage,2026-12-31,1,1,renewed,1\n")
    table = report_of(text, dated=True)
    assert issue(table, "blank account id").rows == (2,)
    assert issue(table, "unreadable snapshot date").rows == (4,)
    assert table.report.n_rows_excluded == 2


def test_an_excluded_row_never_makes_a_later_row_a_duplicate():
    text = ("id,date,renewal,usage,tickets,outcome,arr\n"
            "a,garbage,2026-12-31,1,1,renewed,1\n"
            "a,2026-01-31,2026-12-31,1,1,renewed,1\n")
    table = report_of(text, dated=True)
    assert list(table.account_id) == ["a"]
    assert not any("duplicate" in i.message for i in table.report.issues)


def test_large_integer_ids_stay_distinct(tmp_path):
    frame = pd.DataFrame({"id": [123456789012345678, 123456789012345679], "usage": [1, 2],
                          "tickets": [1, 1], "outcome": ["renewed", "churned"], "arr": [1, 2]})
    table = prepare(frame, ROLES, config())
    assert list(table.account_id) == ["123456789012345678", "123456789012345679"]
    assert_accounted(table.report)


def test_huge_cell_in_a_numeric_column_is_listed(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(HEADER + "h," + "9" * 500_000 + "x" * 500_000 + ",1,renewed,10\n"
                    + GOOD_ROWS)
    table = prepare(read_table(path), ROLES, config(), str(path))
    assert issue(table, "text in a numeric column").rows == (2,)
    code, err, out = score_cli(tmp_path, path)
    assert code == 0 and "(rows 2)" in err
    assert len(pd.read_csv(out)) == 4


# --------------------------------------------------------------------------- validation edge cases
def validate_json(tmp_path: Path, text: str) -> dict:
    import json

    data = tmp_path / "d.csv"
    data.write_text(text)
    cfg = tmp_path / "c.json"
    cfg.write_text(config().to_json())
    code, out, err = run_cli("validate", "--data", str(data), "--config", str(cfg),
                             "--bootstrap", "50", "--format", "json")
    assert code == 0, err
    assert "Traceback" not in err
    return json.loads(out)


@pytest.mark.parametrize("rows", [
    "a,50,1,renewed,10\nb,20,5,renewed,5\nc,80,0,renewed,7\nd,1,1,renewed,1\n",
    "a,50,1,renewed,10\nb,20,5,open,5\nc,80,0,renewed,7\nd,1,1,open,1\n",
], ids=["single outcome class", "zero churned"])
def test_no_churned_accounts_gives_undefined_metrics_with_a_reason(rows, tmp_path):
    evidence = validate_json(tmp_path, HEADER + rows)
    assert evidence["n_churned"] == 0
    for key in ("auc", "gini"):
        assert evidence[key]["value"] is None
        assert "only one outcome class" in evidence[key]["reason"]
    text_code, text, _ = run_cli("validate", "--data", str(tmp_path / "d.csv"), "--config",
                                 str(tmp_path / "c.json"), "--bootstrap", "0")
    assert text_code == 0 and "n/a (only one outcome class" in text


def test_single_churned_account_only(tmp_path):
    evidence = validate_json(tmp_path, HEADER + "a,50,1,churned,10\n")
    assert evidence["n_scored"] == 1 and evidence["auc"]["value"] is None
    assert evidence["auc"]["reason"]

