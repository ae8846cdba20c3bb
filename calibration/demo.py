"""Paths of the bundled demo dataset and the shipped "gut feel" config.

``HSC_DEMO_DATA`` (an environment variable) points the demo at another account file with the
demo's columns, e.g. the 100,000-account set ``scripts/bench_ui.py`` generates.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEMO_DATA = Path(os.environ.get("HSC_DEMO_DATA") or DATA_DIR / "demo_accounts.parquet")
DEMO_CONFIG = DATA_DIR / "demo_config.json"
