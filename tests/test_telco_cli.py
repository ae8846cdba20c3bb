"""The CLI on real public data nobody here wrote: IBM Telco Customer Churn (one snapshot).

Skipped, with the reason, only when ../shared/data/telco is absent (outside this project's CI).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from scipy import stats

from calibration.cli import main
from tests.conftest import ROOT, TELCO

pytestmark = pytest.mark.skipif(not TELCO.exists(),
                                reason=f"Telco data not found at {TELCO} (shared/ absent)")
EXAMPLE = ROOT / "examples" / "telco_config.json"


def test_init_detects_roles_outcome_and_factors(tmp_path, capsys):
    out = tmp_path / "starter.json"
    assert main(["init", "--data", str(TELCO), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "account_id=customerID" in err and "outcome=Churn" in err
    assert "'Yes' means churned, 'No' means renewed" in err
    config = json.loads(out.read_text())
    assert config["columns"]["snapshot_date"] is None
    contract = next(f for f in config["factors"] if f["column"] == "Contract")
    points = contract["rule"]["points"]
    assert contract["rule"]["kind"] == "mapping"
    assert points["Month-to-month"] < points["One year"] < points["Two year"]


def test_validate_matches_independent_computation(tmp_path, capsys):
    scored_csv = tmp_path / "scored.csv"
    args = ["--data", str(TELCO), "--config", str(EXAMPLE)]
    assert main(["score", *args, "--out", str(scored_csv), "--horizon-days", "90"]) == 0
    err = capsys.readouterr().err
    # the 11 blank TotalCharges are counted and listed, never silently dropped
    assert "11 rows (0.2%) have no value" in err and "rows 490, 755, 938" in err
    assert main(["validate", *args, "--format", "json", "--bootstrap", "200"]) == 0
    evidence = json.loads(capsys.readouterr().out)
    scored = pd.read_csv(scored_csv)
    assert "snapshot_date" not in scored.columns  # single-snapshot data
    assert len(scored) == 7043 and evidence["n_scored"] == 7043
    churned = scored["outcome"].eq("churned")
    assert churned.sum() == 1869 == evidence["n_churned"]
    u = stats.mannwhitneyu(scored.loc[~churned, "score"], scored.loc[churned, "score"]).statistic
    assert evidence["auc"]["value"] == pytest.approx(u / (1869 * 5174), abs=1e-12)
    rates = scored.assign(churned=churned).groupby("band")["churned"].agg(["size", "mean"])
    for row in evidence["bands"]:
        assert row["accounts"] == rates.loc[row["band"], "size"]
        assert row["churn_rate"] == pytest.approx(rates.loc[row["band"], "mean"], abs=1e-12)
    assert evidence["cross_sectional"] is True and evidence["horizon_days"] is None
    assert "single-snapshot" in evidence["lead_time_days"]["reason"]


def test_shipped_example_is_current_and_reproducible(capsys):
    """The example config's evidence is what validate says today (same data, same config)."""
    example = json.loads(EXAMPLE.read_text())
    assert main(["validate", "--data", str(TELCO), "--config", str(EXAMPLE), "--format", "json",
                 "--bootstrap", "0"]) == 0
    evidence = json.loads(capsys.readouterr().out)
    assert example["validation"]["data"]["sha256"] == evidence["data"]["sha256"]
    assert example["validation"]["auc"]["value"] == pytest.approx(evidence["auc"]["value"])
    assert example["validation"]["baseline"]["verdict"].startswith("improvement is real")
