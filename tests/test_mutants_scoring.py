"""Scoring details found by mutation testing: which guardrail is named when two cap alike."""

from __future__ import annotations

import numpy as np

from calibration.scoring import RED, YELLOW, score_frame
from tests.conftest import make_config
from tests.test_scoring import hand_frame


def test_of_two_guardrails_with_the_same_cap_the_first_listed_is_named():
    rails = [
        {"name": "No sponsor", "column": "sponsor", "operator": "==", "value": False,
         "cap": "yellow"},
        {"name": "Many tickets", "column": "tickets", "operator": ">=", "value": 0,
         "cap": "yellow"},
        {"name": "Escalated", "column": "tickets", "operator": ">=", "value": 10, "cap": "red"},
    ]
    frame = hand_frame().assign(sponsor=["no", "no", "yes", "no"])
    result = score_frame(frame, make_config(guardrails=rails)).result
    tickets = frame["tickets"].to_numpy()
    # every row has tickets >= 0; rows without a sponsor hit "No sponsor" too (listed first);
    # tickets >= 10 caps red, which beats any yellow cap
    expected = np.where(tickets >= 10, 2, np.where(frame["sponsor"] == "no", 0, 1))
    scored = ~np.isnan(result.score)
    assert result.guardrail[scored].tolist() == expected[scored].tolist()
    assert set(result.band[scored].tolist()) <= {RED, YELLOW}


def test_band_names_by_code():
    from calibration.scoring import band_names

    names = band_names(np.array([0, 1, 2, -1, 0], dtype=np.int8)).tolist()
    assert names == ["red", "yellow", "green", "", "red"]
