"""Config files with evidence: export, JSON/YAML round trips, readable import errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml

from calibration.cli import main
from calibration.config import ConfigError
from calibration.configfile import (
    detect_format,
    export_config,
    from_yaml,
    import_config,
    to_yaml,
    write_config,
)
from tests.conftest import DEMO_CONFIG, DEMO_DATA, make_config


def evidence_for(config) -> dict:
    return {"config_hash": config.fingerprint(), "n_scored": np.int64(100),
            "auc": {"value": np.float64(0.71), "reason": None},
            "auc_ci": {"value": (0.65, 0.77), "reason": None},
            "ks": {"value": math.nan, "reason": "all scores equal"},
            "data": {"rows": 100, "sha256": "abc", "period": None}}


def test_export_sets_stamp_author_notes_and_json_safe_evidence():
    config = make_config()
    out = export_config(config, evidence_for(config), author="Dana", notes="Q3 tune")
    assert out.created_at and out.author == "Dana" and out.notes == "Q3 tune"
    assert out.validation["n_scored"] == 100 and out.validation["auc_ci"]["value"] == [0.65, 0.77]
    assert out.validation["ks"]["value"] is None  # NaN is not JSON
    assert out.validation["data"]["sha256"] == "abc"
    assert out.fingerprint() == config.fingerprint()  # evidence never changes the score
    json.loads(out.to_json())  # strict JSON
    assert export_config(config, None).validation is None
    assert export_config(config, None).author == config.author  # None keeps the config's


def test_export_refuses_evidence_of_another_config():
    config = make_config()
    other = make_config(bands={"red_max": 10, "yellow_max": 20})
    with pytest.raises(ValueError, match="measured with config"):
        export_config(other, evidence_for(config))


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_round_trip(fmt, demo_config, tmp_path):
    out = export_config(demo_config, evidence_for(demo_config), author="O'Neil: \"ops\"")
    path = write_config(out, tmp_path / f"c.{fmt}")
    back = import_config(path.read_bytes(), path.name)
    assert back == out


def test_yaml_is_readable_and_detected_by_content(demo_config):
    text = to_yaml(demo_config)
    assert text.startswith("schema_version: 1\n") and "factors:" in text
    assert detect_format(text, "upload") == "yaml"
    assert detect_format(demo_config.to_json(), "upload") == "json"
    assert detect_format(b"\xef\xbb\xbf{}", "x.txt") == "json"
    assert import_config(text, "upload") == demo_config
    assert import_config(text.encode("utf-8-sig"), "c.yml") == demo_config


def test_import_lists_every_problem_by_field(demo_config_dict):
    raw = demo_config_dict
    raw["factors"][0]["weight"] = -5
    raw["factors"][1]["rule"] = {"kind": "linear", "lo": 9, "hi": 1}
    raw["bands"]["colour"] = "blue"
    for text, name in ((json.dumps(raw), "c.json"), (yaml.safe_dump(raw), "c.yaml")):
        with pytest.raises(ConfigError) as info:
            import_config(text, name)
        problems = info.value.problems
        assert len(problems) == 3, problems
        assert any(p.startswith("factors['Active users'].weight:") for p in problems)
        assert any(p.startswith("factors['Feature adoption'].rule") for p in problems)
        assert any(p.startswith("bands.colour: unknown field") for p in problems)
        assert info.value.source == name


def test_yaml_errors_are_specific():
    with pytest.raises(ConfigError, match=r"not valid YAML \(line 3"):
        from_yaml("schema_version: 1\nfactors: [\n", "bad.yaml")
    with pytest.raises(ConfigError, match="duplicate key 'name'"):
        from_yaml("schema_version: 1\nname: a\nname: b\n", "dup.yaml")
    with pytest.raises(ConfigError, match="mapping of config fields"):
        from_yaml("- just\n- a list\n", "list.yaml")
    with pytest.raises(ConfigError, match="not valid JSON"):
        import_config("{oops", "c.json")
    with pytest.raises(ConfigError, match="not UTF-8"):
        import_config(b"\xff\xfe{", "c.yaml")


def test_write_refuses_to_overwrite(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("keep")
    with pytest.raises(FileExistsError):
        write_config(make_config(), path)
    assert path.read_text() == "keep"


def test_export_config_cli_writes_yaml_with_evidence(tmp_path, capsys):
    out = tmp_path / "prod.yaml"
    args = ["export-config", "--data", str(DEMO_DATA), "--config", str(DEMO_CONFIG), "--out",
            str(out), "--author", "Dana", "--notes", "for prod", "--bootstrap", "50"]
    assert main(args) == 0
    config = import_config(out.read_text(), out.name)
    assert config.author == "Dana" and config.notes == "for prod" and config.created_at
    evidence = config.validation
    assert evidence["data"]["rows"] > 50_000 and len(evidence["data"]["sha256"]) == 16
    assert evidence["auc"]["value"] > 0.5 and evidence["auc_ci"]["value"][0] < 0.7
    assert evidence["config_hash"] == config.fingerprint()
    assert main(args) == 1 and "already exists" in capsys.readouterr().err
    assert main([*args, "--force", "--format", "json"]) == 0
    assert out.read_text().startswith("{")


def test_exported_evidence_counts_accounts_but_lists_none():
    from calibration.configfile import without_account_lists

    evidence = {"surprise_churn": {"count": 2, "ids": ["A-1", "A-2"], "arr": 5.0},
                "lead_time_days": {"per_account": [{"account_id": "A-1"}], "median_days": 40},
                "sample": {"excluded_no_early_snapshot": ["A-9"], "n_judged": 3},
                "segments": {"SMB": {"false_alarms": {"ids": ["A-3"], "count": 1}}}}
    out = without_account_lists(evidence)
    assert out == {"surprise_churn": {"count": 2, "n_ids": 2, "arr": 5.0},
                   "lead_time_days": {"n_per_account": 1, "median_days": 40},
                   "sample": {"n_excluded_no_early_snapshot": 1, "n_judged": 3},
                   "segments": {"SMB": {"false_alarms": {"n_ids": 1, "count": 1}}}}
    assert "A-" not in json.dumps(out)
