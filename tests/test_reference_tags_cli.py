"""Reference tags outside the app: keyed by the data's fingerprint, and counted by the CLI's
validate, report and export-config (from a tags file or the workspace store), checked
against a pandas recount of the judged accounts."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from calibration import formatting
from calibration.accounts import load_accounts
from calibration.cli import main
from calibration.reference_tags import dataset_key, read_tags_file, with_tags
from tests.conftest import DEMO_CONFIG, DEMO_DATA

ARGS = ["--data", str(DEMO_DATA), "--config", str(DEMO_CONFIG), "--bootstrap", "0"]


@pytest.fixture(scope="module")
def judged(tmp_path_factory) -> pd.DataFrame:
    """The judged rows (`score --horizon-days 90`) with the data's own reference column."""
    out = tmp_path_factory.mktemp("judged") / "judged.csv"
    assert main(["score", "--data", str(DEMO_DATA), "--config", str(DEMO_CONFIG),
                 "--horizon-days", "90", "--out", str(out)]) == 0
    rows = pd.read_csv(out, usecols=["account_id", "snapshot_date", "band"],
                       parse_dates=["snapshot_date"])
    data = pd.read_parquet(DEMO_DATA, columns=["account_id", "snapshot_date",
                                               "reference_label"])
    data["snapshot_date"] = pd.to_datetime(data["snapshot_date"])
    return rows.merge(data, on=["account_id", "snapshot_date"], how="left", validate="1:1")


def pandas_agreement(judged: pd.DataFrame, tags: dict[str, str]) -> tuple[float, int]:
    """Known accounts in the right band: tags replace the data's label for their account."""
    label = judged["reference_label"].fillna("").astype(str)
    tagged = judged["account_id"].map({k: "known_" + v for k, v in tags.items()})
    label = tagged.astype(object).where(tagged.notna(), label)
    known = judged[label != ""]
    label = label[label != ""]
    right = ((label == "known_healthy") & (known["band"] == "green")) | (
        (label == "known_struggling") & (known["band"] == "red"))
    return right.mean(), len(known)


@pytest.fixture(scope="module")
def tags(judged) -> dict[str, str]:
    """Six tags that move the agreement: green unlabelled accounts tagged healthy (right),
    green known-healthy accounts tagged struggling (now wrong), and an id not in the data."""
    green = judged[judged["band"] == "green"]
    plain = green[green["reference_label"].fillna("") == ""]["account_id"].head(3)
    flipped = green[green["reference_label"] == "known_healthy"]["account_id"].head(3)
    out = {a: "healthy" for a in plain} | {a: "struggling" for a in flipped}
    assert len(out) == 6
    return out | {"NOT-IN-DATA": "healthy"}


def write_tags(path, tags: dict[str, str]) -> None:
    pd.DataFrame({"account_id": list(tags), "tag": list(tags.values())}).to_csv(path,
                                                                                index=False)


def validate_json(capsys, *extra) -> dict:
    assert main(["validate", *ARGS, "--format", "json", *extra]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out) | {"_stderr": captured.err}


def test_validate_counts_a_tags_file(judged, tags, tmp_path, capsys):
    path = tmp_path / "tags.csv"
    write_tags(path, tags)
    plain = validate_json(capsys)["reference"]
    with_file = validate_json(capsys, "--tags", str(path))
    want, n = pandas_agreement(judged, tags)
    assert with_file["reference"]["value"] == pytest.approx(want)
    assert with_file["reference"]["n_labelled"] == n
    assert plain["value"] == pytest.approx(pandas_agreement(judged, {})[0])
    assert plain["value"] != pytest.approx(want)
    assert "6 tagged accounts from tags.csv (1 tagged accounts are not in this data)" in \
        with_file["_stderr"]
    assert main(["validate", *ARGS, "--tags", str(path)]) == 0
    text = capsys.readouterr().out
    right = round(want * n)
    assert f"Known accounts: {right:,} of {n:,} known accounts ({want:.1%})" in text


def test_report_and_export_carry_the_tags(judged, tags, tmp_path, capsys):
    path = tmp_path / "tags.csv"
    write_tags(path, tags)
    report = tmp_path / "report.html"
    assert main(["report", *ARGS, "--baseline", str(DEMO_CONFIG), "--tags", str(path),
                 "--out", str(report)]) == 0
    html = report.read_text()
    want, n = pandas_agreement(judged, tags)
    assert "Known accounts in the right band" in html
    assert f"{formatting.count(round(want * n))} of {formatting.count(n)} known accounts " \
           f"({formatting.percent(want)})" in html
    exported = tmp_path / "exported.json"
    assert main(["export-config", *ARGS, "--tags", str(path), "--out", str(exported)]) == 0
    evidence = json.loads(exported.read_text())["validation"]
    assert evidence["reference"]["value"] == pytest.approx(want)


def test_workspace_tags_follow_the_data_not_its_file_name(judged, tags, tmp_path, capsys,
                                                          monkeypatch, demo_config):
    from calibration.store import open_store
    from calibration.store.tags import set_tag

    monkeypatch.setenv("HSC_WORKSPACE_DIR", str(tmp_path / "ws"))
    store = open_store()
    table = load_accounts(DEMO_DATA, demo_config)
    # half keyed by the data's fingerprint, half under the file name (saved before keys were
    # fingerprints): the first read moves the file-name tags of accounts in this data
    items = sorted(tags.items())
    for account, tag in items[:3]:
        set_tag(store, "local", dataset_key(table), account, tag)
    shown = validate_json(capsys, "--workspace-tags")
    assert shown["reference"]["value"] == pytest.approx(pandas_agreement(
        judged, dict(items[:3]))[0])
    for account, tag in items[3:]:
        set_tag(store, "local", DEMO_DATA.name, account, tag)
    # keyed tags exist, so nothing moves: the file-name tags wait
    assert validate_json(capsys, "--workspace-tags")["reference"]["value"] == \
        pytest.approx(shown["reference"]["value"])
    fresh = tmp_path / "renamed.parquet"  # the same data under another name: same tags
    shutil.copy(DEMO_DATA, fresh)
    args = ["validate", "--data", str(fresh), "--config", str(DEMO_CONFIG), "--bootstrap",
            "0", "--format", "json", "--workspace-tags"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["reference"]["value"] == pytest.approx(
        shown["reference"]["value"])
    # another user sees only the data's own labels
    assert main([*args, "--owner", "bob@example.com"]) == 0
    assert json.loads(capsys.readouterr().out)["reference"]["value"] == pytest.approx(
        pandas_agreement(judged, {})[0])


def test_legacy_file_name_tags_move_on_first_cli_read(judged, tags, tmp_path, capsys,
                                                      monkeypatch):
    from calibration.store import open_store
    from calibration.store.tags import set_tag

    monkeypatch.setenv("HSC_WORKSPACE_DIR", str(tmp_path / "ws"))
    store = open_store()
    for account, tag in tags.items():
        set_tag(store, "local", DEMO_DATA.name, account, tag)
    shown = validate_json(capsys, "--workspace-tags")
    assert shown["reference"]["value"] == pytest.approx(pandas_agreement(judged, tags)[0])
    assert "6 tagged accounts from the workspace store (local)" in shown["_stderr"]


def test_fingerprint_key_same_content_same_key(tmp_path, demo_config):
    frame = pd.read_parquet(DEMO_DATA).head(400)
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    frame.to_csv(a, index=False)
    frame.to_csv(b, index=False)  # renamed copy
    frame.iloc[:-1].to_csv(c, index=False)  # different content
    key_a = dataset_key(load_accounts(a, demo_config))
    assert key_a == dataset_key(load_accounts(b, demo_config, name="a.csv"))
    assert key_a != dataset_key(load_accounts(c, demo_config, name="a.csv"))
    assert key_a.startswith("sha256:")
    table = load_accounts(a, demo_config)
    tagged = with_tags(table, {str(table.account_id[0]): "struggling"})
    assert tagged.fingerprint() == table.fingerprint()
    assert (tagged.reference[table.account_id == table.account_id[0]] ==
            "known_struggling").all()


@pytest.mark.parametrize(("content", "message"), [
    ("account_id,tag\nACC-1,fine\n", "row 2, column tag: 'fine' is not a tag"),
    ("account,tag\nACC-1,healthy\n", "needs the columns account_id and tag"),
    ("account_id,tag\n,healthy\n", "row 2: account_id is empty"),
])
def test_bad_tags_file_says_where(tmp_path, capsys, content, message):
    path = tmp_path / "tags.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        read_tags_file(path)
    assert main(["validate", *ARGS, "--tags", str(path)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_tags_file_reads_both_spellings(tmp_path):
    path = tmp_path / "tags.csv"
    path.write_text("Account_ID,Tag\nA,known_healthy\nB,Known Struggling\nC,\nD,none\n")
    assert read_tags_file(path) == {"A": "healthy", "B": "struggling"}
