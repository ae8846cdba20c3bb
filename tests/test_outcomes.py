"""CS outcomes (calibration.outcomes) against an independent pandas computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from calibration import metrics, outcomes
from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.outcomes import cs_numbers
from calibration.scoring import score_frame
from calibration.validation import judged_rows, validate
from tests.conftest import DEMO_CONFIG, DEMO_DATA

BANDS = {0: "red", 1: "yellow", 2: "green"}


def by_pandas(band: np.ndarray, churned: np.ndarray, arr: np.ndarray | None) -> dict:
    """The four outcomes by a plain pandas selection (no code shared with metrics)."""
    df = pd.DataFrame({"band": pd.Series(band).map(BANDS), "churned": churned})
    df = df[df["band"].notna()]
    out = {}
    green, red = df[df["band"] == "green"], df[df["band"] == "red"]
    out["green_churn_rate"] = green["churned"].mean() if len(green) else None
    out["red_precision"] = red["churned"].mean() if len(red) else None
    out["surprise_accounts"] = float(len(green[green["churned"]]))
    if arr is None:
        out["red_arr_share"] = out["surprise_arr"] = None
        return out
    df["arr"] = pd.Series(arr)[df.index]
    known = df[df["arr"].notna()]
    lost = known[known["churned"]]["arr"].sum()
    if known.empty:
        out["red_arr_share"] = out["surprise_arr"] = None
        return out
    out["red_arr_share"] = (known[known["churned"] & (known["band"] == "red")]["arr"].sum()
                            / lost) if lost > 0 else None
    out["surprise_arr"] = known[known["churned"] & (known["band"] == "green")]["arr"].sum()
    return out


def check(band, churned, arr) -> None:
    score = np.where(band < 0, np.nan, band * 30.0 + 5)
    evidence = metrics.evaluate(score, churned, band, arr=arr, include_logit=False,
                                include_factors=False)
    got = outcomes.cs_outcomes(evidence)
    want = by_pandas(band, churned, arr)
    for key, value in want.items():
        if value is None:
            assert got[key]["value"] is None, key
            assert got[key]["reason"], key
        else:
            assert got[key]["value"] == pytest.approx(value, rel=1e-9, abs=1e-6), key
    # the array entry (pages' Suggest, objectives, the CLI) against the same pandas selection
    theirs = cs_numbers(band, churned, arr)
    for mine, key in (("red_arr_share", "red_churned_arr_share"),
                      ("surprise_accounts", "surprise_churn_count"),
                      ("surprise_arr", "surprise_churn_arr"),
                      ("green_churn_rate", "green_churn_rate"),
                      ("red_precision", "red_churn_rate")):
        if want[mine] is None:
            assert theirs[key] is None, key
        else:
            assert theirs[key] == pytest.approx(want[mine], rel=1e-9, abs=1e-6), key
    frame = pd.DataFrame({"band": band, "churned": churned})
    lost = frame[(frame["band"] >= 0) & frame["churned"]]
    assert theirs["red_churned_share"] == (
        pytest.approx((lost["band"] == 0).mean()) if len(lost) else None)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_outcomes_equal_a_pandas_selection(data):
    n = data.draw(st.integers(1, 60))
    band = np.array(data.draw(st.lists(st.sampled_from([-1, 0, 1, 2]), min_size=n,
                                       max_size=n)), dtype=np.int8)
    churned = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    with_arr = data.draw(st.booleans())
    arr = None
    if with_arr:
        arr = np.array(data.draw(st.lists(
            st.one_of(st.just(np.nan), st.floats(0, 1e7)), min_size=n, max_size=n)))
    check(band, churned, arr)


def test_green_and_red_likely_ranges_are_wilson_intervals():
    band = np.array([0] * 10 + [2] * 40, dtype=np.int8)
    churned = np.array([True] * 7 + [False] * 3 + [True] * 4 + [False] * 36)
    evidence = metrics.evaluate(band * 40.0, churned, band, include_logit=False,
                                include_factors=False)
    got = outcomes.cs_outcomes(evidence)
    for key, k, n in (("red_precision", 7, 10), ("green_churn_rate", 4, 40)):
        lo, hi = proportion_confint(k, n, method="wilson")
        assert got[key]["value"] == pytest.approx(k / n)
        assert got[key]["ci"] == pytest.approx([lo, hi])


def test_no_arr_is_na_not_zero():
    band = np.array([0, 2, 2], dtype=np.int8)
    evidence = metrics.evaluate(band * 40.0, np.array([True, True, False]), band,
                                include_logit=False, include_factors=False)
    got = outcomes.cs_outcomes(evidence)
    assert got["surprise_arr"]["value"] is None and got["red_arr_share"]["value"] is None
    assert got["surprise_accounts"]["value"] == 1


def test_demo_outcomes_equal_pandas_on_the_judged_rows(demo_config):
    table = load_accounts(DEMO_DATA, demo_config)
    scored = score_frame(table.frame, demo_config, explain=False)
    evidence = validate(table, demo_config, scored, by_segment=False, include_logit=False,
                        include_factors=False)
    rows = judged_rows(table, 90).rows
    want = by_pandas(scored.result.band[rows], table.outcome[rows] == "churned",
                     table.arr[rows])
    got = outcomes.cs_outcomes(evidence)
    for key, value in want.items():
        assert got[key]["value"] == pytest.approx(value), key
    assert 0 < got["red_arr_share"]["value"] < 1


def test_summary_sentence_speaks_cs_against_the_baseline():
    band = np.array([0, 0, 1, 2, 2, 2], dtype=np.int8)
    churned = np.array([True, False, True, True, False, False])
    arr = np.array([600.0, 100.0, 300.0, 100.0, 50.0, 50.0])
    draft = metrics.evaluate(band * 40.0, churned, band, arr=arr, include_logit=False,
                             include_factors=False)
    base_band = np.array([1, 0, 1, 2, 2, 2], dtype=np.int8)
    base = metrics.evaluate(base_band * 40.0, churned, base_band, arr=arr,
                            include_logit=False, include_factors=False)
    text = outcomes.summary_sentence(draft, base, 90, False, "last quarter's")
    assert text.startswith("This config would have flagged 60% of churned ARR red 90 days "
                           "ahead (vs 0% for last quarter's).")
    assert "Surprise churn: 1 account worth $100 churned while green (vs 1 for" in text
    assert "Green accounts churned 33.3% of the time (vs 33.3% for last quarter's)" in text
    assert "50.0% of red accounts churned (vs 0.0% for last quarter's)." in text
    single = outcomes.summary_sentence(draft, None, 90, True)
    assert "red on the snapshot." in single and "vs" not in single


def test_labels_follow_the_horizon():
    labels = [o.label for o in outcomes.outcome_list(60, False)]
    assert labels[0] == "Churned ARR caught red 60 days ahead"
    assert outcomes.outcome_list(60, True)[0].label == "Churned ARR caught red on the snapshot"


def test_demo_config_loads():
    assert load_config(DEMO_CONFIG).factor_names
