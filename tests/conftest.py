"""Shared fixtures: small hand-made configs and frames."""

from __future__ import annotations

import json
import os
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


@pytest.fixture(autouse=True)
def isolated_drafts(tmp_path, monkeypatch):
    """Every test gets its own drafts folder (the app autosaves there)."""
    drafts = tmp_path / "drafts"
    monkeypatch.setenv("HSC_DRAFTS_DIR", str(drafts))
    try:
        import ui.state

        monkeypatch.setattr(ui.state, "DRAFTS_DIR", drafts)
    except ImportError:  # pragma: no cover - ui needs streamlit
        pass
    return drafts
