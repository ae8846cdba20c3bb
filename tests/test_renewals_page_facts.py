"""What the Renewals page's background jobs skip changes nothing: decided renewals without
their ARR are the same decisions."""

from __future__ import annotations

import pandas as pd

from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.decisions import decided_renewals
from tests.conftest import DEMO_CONFIG, DEMO_DATA


def test_decided_renewals_without_arr_are_the_same_decisions():
    table = load_accounts(DEMO_DATA, load_config(DEMO_CONFIG))
    frame = table.canonical()
    full = decided_renewals(frame)
    lean = decided_renewals(frame, with_arr=False)
    assert "arr" in full.columns and "arr" not in lean.columns
    pd.testing.assert_frame_equal(lean, full.drop(columns="arr"))
    assert (lean["outcome"] == "churned").any() and (lean["outcome"] == "renewed").any()
