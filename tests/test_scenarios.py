"""Scenario comparison and "how a published version did since", checked against pandas
selections written here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from calibration.accounts import load_accounts
from calibration.config import load_config
from calibration.scenarios import compare_scenarios
from calibration.scoring import band_names, score_frame
from calibration.since_published import performance_since
from calibration.validation import judged_rows
from tests.conftest import DEMO_CONFIG, DEMO_DATA


@pytest.fixture(scope="module")
def demo():
    config = load_config(DEMO_CONFIG)
    table = load_accounts(DEMO_DATA, config)
    sponsor = config.with_weights({"Executive sponsor": 50.0})
    raw = config.model_dump()
    raw["bands"] = {"red_max": 40, "yellow_max": 75}
    strict = type(config).model_validate(raw)
    return table, [("Gut feel", config), ("Sponsor-heavy", sponsor), ("Strict bands", strict)]


def latest_bands(table, config) -> pd.Series:
    """Each account's band at its latest snapshot (pandas, independent of compare.py)."""
    frame = pd.DataFrame({"account": table.frame[table.roles.account_id].to_numpy(),
                          "date": table.frame[table.roles.snapshot_date].to_numpy(),
                          "band": band_names(score_frame(table.frame, config).result.band)})
    latest = frame.sort_values(["account", "date"]).groupby("account").tail(1)
    return latest.set_index("account")["band"]


def test_side_by_side_numbers_match_independent_counts(demo):
    table, scenarios = demo
    result = compare_scenarios(table, scenarios, horizon_days=90, n_resamples=50)
    assert result.names == ["Gut feel", "Sponsor-heavy", "Strict bands"]
    # weights: shares of the score, summing to 100 per scenario
    assert np.allclose(result.weights.sum(axis=0), 100, atol=0.2)
    assert result.weights.loc["Executive sponsor", "Gut feel"] == 0
    assert result.weights.loc["Executive sponsor", "Sponsor-heavy"] == pytest.approx(10, 0.05)
    assert result.bands.loc["red up to"].tolist() == [30, 30, 40]
    # band sizes and accounts that move, from each account's latest snapshot
    bands = {name: latest_bands(table, config) for name, config in scenarios}
    for name in result.names:
        counts = bands[name].value_counts()
        for band in ("red", "yellow", "green"):
            assert result.band_sizes.loc[band, name] == counts.get(band, 0), (name, band)
    moved = dict(zip(result.moved["scenario"], result.moved["accounts that change band"],
                     strict=True))
    for name in ("Sponsor-heavy", "Strict bands"):
        assert moved[name] == int((bands[name] != bands["Gut feel"]).sum()) > 0
    # surprise churn: judged decisions that churned while green, per scenario
    decisions = judged_rows(table, 90)
    for name, config in scenarios:
        band = score_frame(table.frame, config).result.band[decisions.rows]
        surprise = int(((band == 2) & (decisions.outcome == "churned")).sum())
        cell = result.metrics.loc["surprise churn (accounts)", name]
        assert cell.split(" ")[0] == f"{surprise:,}", (name, cell)
    assert "likely range" in result.metrics.loc["surprise churn (accounts)", "Sponsor-heavy"]
    assert "CI" not in result.metrics.loc["surprise churn (accounts)", "Gut feel"]


@pytest.mark.parametrize("count", [1, 5])
def test_two_to_four_scenarios(demo, count):
    table, scenarios = demo
    many = [(f"s{k}", scenarios[0][1]) for k in range(count)]
    with pytest.raises(ValueError, match="2 to 4"):
        compare_scenarios(table, many)


def test_scenario_names_must_differ(demo):
    table, scenarios = demo
    with pytest.raises(ValueError, match="own name"):
        compare_scenarios(table, [scenarios[0], ("Gut feel", scenarios[1][1])])


# --------------------------------------------------------------------------- since published
def test_since_published_counts_only_later_decisions(demo):
    table, scenarios = demo
    config = scenarios[1][1]
    published = datetime(2025, 12, 3, tzinfo=UTC)
    since = performance_since(table, config, published, horizon_days=90)
    decisions = judged_rows(table, 90)
    frame = pd.DataFrame({"renewal": decisions.renewal_date, "outcome": decisions.outcome,
                          "arr": decisions.arr, "band": band_names(
                              score_frame(table.frame, config).result.band[decisions.rows])})
    later = frame[frame["renewal"] > pd.Timestamp("2025-12-03")]
    churned = later[later["outcome"] == "churned"]
    assert since.decisions == len(later) and since.churned == len(churned)
    red_share = churned.loc[churned["band"] == "red", "arr"].sum() / churned["arr"].sum()
    assert since.numbers["red_churned_arr_share"] == pytest.approx(red_share)
    green = churned[churned["band"] == "green"]
    assert since.numbers["surprise_churn_count"] == len(green)
    assert since.numbers["surprise_churn_arr"] == pytest.approx(green["arr"].sum())
    assert f"{len(later):,} renewal decisions after 03 Dec 2025" in since.summary
    assert f"{red_share:.0%} of churned ARR was red 90 days before renewal" in since.summary


def test_a_decision_on_the_publish_day_is_not_after_it(demo):
    table, scenarios = demo
    decisions = judged_rows(table, 90)
    day = pd.Timestamp(np.sort(decisions.renewal_date)[len(decisions.rows) // 2])
    on_day = int((decisions.renewal_date == day.to_datetime64()).sum())
    assert on_day > 0
    at = performance_since(table, scenarios[0][1], day.to_pydatetime().replace(tzinfo=UTC))
    before = performance_since(table, scenarios[0][1],
                               (day - timedelta(seconds=1)).to_pydatetime().replace(
                                   tzinfo=UTC))
    assert before.decisions - at.decisions == on_day


def test_nothing_since_and_single_snapshot_data_say_so(demo, tmp_path):
    table, scenarios = demo
    future = performance_since(table, scenarios[0][1], datetime(2027, 1, 1, tzinfo=UTC))
    assert future.numbers is None and "No renewal decided after 01 Jan 2027" in future.summary
    frame = pd.read_parquet(DEMO_DATA).sort_values("snapshot_date")
    latest = frame.drop_duplicates("account_id", keep="last").copy()
    latest["snapshot_date"] = pd.NaT
    path = tmp_path / "single.csv"
    latest.to_csv(path, index=False)
    single = load_accounts(path, scenarios[0][1])
    result = performance_since(single, scenarios[0][1], datetime(2025, 1, 1, tzinfo=UTC))
    assert result.numbers is None and "no snapshot dates" in result.summary
    with pytest.raises(ValueError, match="timezone-aware"):
        performance_since(table, scenarios[0][1], datetime(2025, 1, 1))
