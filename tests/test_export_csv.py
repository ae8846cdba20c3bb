"""Scored-accounts CSV: spreadsheet-safe (no formula injection), numbers stay numbers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.accounts import load_accounts
from calibration.export import FORMULA_PREFIXES, csv_bytes, neutralise_formulas
from calibration.scored import scored_table
from calibration.scoring import score_frame
from tests.conftest import DEMO_DATA


def test_formula_cells_are_neutralised_numbers_are_not():
    frame = pd.DataFrame({
        "name": ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "Acme",
                 None],
        "score": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, np.nan],
    })
    out = pd.read_csv(io.BytesIO(csv_bytes(frame)))
    assert list(out["name"][:6]) == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3",
                                     "'@SUM(A1)", "'\tcmd", "Acme"]
    assert out["name"].isna().iloc[6]
    assert out["score"].iloc[0] == -5.0  # a negative number is data, not a formula


@settings(deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_no_text_cell_can_start_a_formula(cells):
    out = neutralise_formulas(pd.DataFrame({"x": cells}))
    for before, after in zip(cells, out["x"], strict=True):
        if before.startswith(FORMULA_PREFIXES):
            assert after == "'" + before
        else:
            assert after == before


def test_demo_account_named_like_a_formula_is_safe(demo_config):
    table = load_accounts(DEMO_DATA, demo_config)
    result = score_frame(table.frame, demo_config).result
    text = csv_bytes(scored_table(table, demo_config, result)).decode()
    assert "'=HYPERLINK Holdings" in text
    assert ",=HYPERLINK" not in text
