"""Paths of the bundled demo dataset and the shipped "gut feel" config."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEMO_DATA = DATA_DIR / "demo_accounts.parquet"
DEMO_CONFIG = DATA_DIR / "demo_config.json"
