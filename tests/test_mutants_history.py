"""History helpers against independent computations (mutation-testing kills): the score trend
against a per-account pandas/scipy brute force, the row helpers, argument checks and the
band history, each on hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from calibration.history import (
    band_history,
    bands,
    check_int,
    date_ns,
    id_list,
    latest_rows,
    outcome_codes,
    plural,
    score_drops,
    score_trend,
    scores,
)

BASE = pd.Timestamp("2024-01-01")
DAY = pd.Timedelta(days=1)


def trend_frame(shuffle: bool = True) -> pd.DataFrame:
    """Accounts with uneven snapshots, unscored rows, a tie on the latest date, a snapshot
    exactly ``window`` days before the latest one and an account with one date only (in
    file order, or shuffled)."""
    rows = [
        ("a", 0, 80.0), ("a", 30, 74.0), ("a", 61, 70.5), ("a", 90, 66.0), ("a", 120, 61.0),
        ("b", 0, 50.0), ("b", 45, np.nan), ("b", 90, 58.0), ("b", 100, 57.0),
        ("c", 10, 90.0), ("c", 10, 30.0),  # two rows on one day: the later row is latest
        ("d", 0, 20.0), ("d", 89, 40.0), ("d", 90, 45.0), ("d", 179, 40.0), ("d", 180, np.nan),
        ("e", 5, 70.0), ("e", 7, 70.0), ("e", 96, 79.0),
    ]
    frame = pd.DataFrame(rows, columns=["account_id", "day", "score"])
    frame["snapshot_date"] = BASE + frame["day"] * DAY
    frame = frame.drop(columns="day")
    return frame.sample(frac=1, random_state=3).reset_index(drop=True) if shuffle else frame


def brute_trend(frame: pd.DataFrame, window: int) -> pd.DataFrame:
    out = {}
    for account, rows in frame.groupby("account_id", sort=False):
        latest = rows.loc[rows["snapshot_date"] == rows["snapshot_date"].max()].iloc[-1]
        start = latest["snapshot_date"] - window * DAY
        scored = rows.dropna(subset=["score"])
        before = scored[scored["snapshot_date"] <= start]
        earlier = before.loc[before["snapshot_date"] == before["snapshot_date"].max()]
        inside = scored[scored["snapshot_date"] >= start]
        days = (inside["snapshot_date"] - latest["snapshot_date"]) / DAY
        slope = (stats.linregress(days, inside["score"]).slope * 30
                 if days.nunique() >= 2 else np.nan)
        out[account] = {
            "latest_date": latest["snapshot_date"], "latest_score": latest["score"],
            "earlier_date": before["snapshot_date"].max() if len(before) else pd.NaT,
            "earlier_score": earlier["score"].iloc[-1] if len(earlier) else np.nan,
            "slope_per_30d": slope, "n_points": len(inside)}
    return pd.DataFrame.from_dict(out, orient="index")


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("window", [1, 30, 90, 120, 200])
def test_score_trend_matches_a_per_account_brute_force(window, shuffle):
    frame = trend_frame(shuffle)
    got = score_trend(frame, window_days=window).set_index("account_id")
    want = brute_trend(frame, window)
    assert list(got.index) == list(frame["account_id"].drop_duplicates())
    for column in ("latest_date", "earlier_date"):
        assert got[column].to_dict() == want[column].to_dict(), column
    for column in ("latest_score", "earlier_score", "slope_per_30d"):
        np.testing.assert_allclose(got[column].loc[want.index], want[column].astype(float),
                                   rtol=1e-9, atol=1e-12, err_msg=column)
    np.testing.assert_allclose(got["change"], got["latest_score"] - got["earlier_score"])
    assert got["n_points"].loc[want.index].tolist() == want["n_points"].tolist()
    missing = got["earlier_score"].isna()
    assert got["earlier_date"][missing].isna().all()


def test_trend_and_drops_refuse_bad_arguments():
    frame = trend_frame()
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="window_days"):
            score_trend(frame, window_days=bad)
        with pytest.raises(ValueError, match="within_days"):
            score_drops(frame, within_days=bad)
    for bad in (0, -1, True, float("nan"), "15"):
        with pytest.raises(ValueError, match="min_drop"):
            score_drops(frame, min_drop=bad)
    assert score_trend(frame, window_days=1)["n_points"].ge(1).all()
    with pytest.raises(ValueError, match="'score'"):
        score_trend(frame.drop(columns="score"))
    with pytest.raises(TypeError, match="DataFrame"):
        score_trend(frame.to_dict())


def test_a_drop_written_with_floating_point_noise_still_counts():
    # 64.02 - 49.02 is 14.999999999999993 in floating point: a drop of 15 all the same;
    # a drop one score step short (scores are rounded to 1e-9) is not, though 70 -
    # 55.000000001 is 14.999999999000003 in floating point
    frame = pd.DataFrame({"account_id": ["x", "x", "y", "y"],
                          "snapshot_date": [BASE, BASE + DAY] * 2,
                          "score": [64.02, 49.02, 70.0, 55.000000001]})
    assert 64.02 - 49.02 < 15
    assert score_drops(frame, min_drop=15)["account_id"].tolist() == ["x"]


def test_check_int_bounds():
    assert check_int(5, "n", minimum=5) == 5
    assert check_int(np.int64(7), "n", minimum=1) == 7
    with pytest.raises(ValueError, match=">= 5"):
        check_int(4, "n", minimum=5)
    with pytest.raises(ValueError, match="integer"):
        check_int(False, "n", minimum=0)


def test_date_columns_timezones_and_blanks():
    utc = pd.Series(pd.to_datetime(["2024-03-01T10:00:00+02:00", None], utc=True))
    frame = pd.DataFrame({"at": utc, "blank": [None, None], "text": ["2024-01-01", "x"]})
    ns = date_ns(frame, "at")
    assert ns[0] == pd.Timestamp("2024-03-01T08:00:00").value
    assert ns[1] == np.iinfo(np.int64).min
    assert (date_ns(frame, "blank") == np.iinfo(np.int64).min).all()
    assert (date_ns(frame, "absent") == np.iinfo(np.int64).min).all()
    with pytest.raises(ValueError, match="datetime64"):
        date_ns(frame, "text")
    berlin = frame.assign(at=utc.dt.tz_convert("Europe/Berlin"))
    assert date_ns(berlin, "at")[0] == ns[0]


def test_score_and_band_columns():
    frame = pd.DataFrame({"score": pd.array([1.5, None], dtype="Float64"),
                          "band": pd.array([2, None], dtype="Int8")})
    np.testing.assert_array_equal(scores(frame), [1.5, np.nan])
    assert bands(frame).tolist() == [2, -1]
    assert bands(pd.DataFrame({"band": [None, None]})).tolist() == [-1, -1]
    with pytest.raises(ValueError, match="numeric"):
        scores(pd.DataFrame({"score": ["high"]}))
    with pytest.raises(ValueError, match="band codes"):
        bands(pd.DataFrame({"band": ["red"]}))


def test_outcome_codes_with_and_without_open_default():
    frame = pd.DataFrame({"account_id": ["a", "b", "c", "d"],
                          "outcome": ["churned", "renewed", "open", "churned"]})
    assert outcome_codes(frame).tolist() == [0, 1, 2, 0]
    blanks = frame.assign(outcome=["churned", None, "  ", "renewed"])
    assert outcome_codes(blanks, default_open=True).tolist() == [0, 2, 2, 1]
    assert outcome_codes(frame.iloc[:0], default_open=True).tolist() == []
    with pytest.raises(ValueError, match="account 'b'"):
        outcome_codes(blanks)
    with pytest.raises(ValueError, match="unexpected value"):
        outcome_codes(frame.assign(outcome=["won", "lost", "open", "open"]))
    with pytest.raises(ValueError, match="unexpected value"):
        outcome_codes(frame.assign(outcome=["won", None, "open", "open"]), default_open=True)


def test_latest_rows_and_small_helpers():
    frame = trend_frame()
    latest = frame.iloc[latest_rows(frame)]
    assert sorted(latest["account_id"]) == ["a", "b", "c", "d", "e"]
    assert latest.set_index("account_id").loc["c", "score"] == frame.loc[
        frame["account_id"] == "c", "score"].iloc[-1]  # the later of two rows on one day
    undated = pd.DataFrame({"account_id": ["a", "b", "a"], "snapshot_date": pd.NaT})
    assert latest_rows(undated).tolist() == [0, 1, 2]  # cross-sectional: every row
    assert plural(1, "account") == "1 account"
    assert plural(0, "account") == "0 accounts"
    assert plural(1234, "entry", "entries") == "1,234 entries"
    assert id_list(np.array([10, "9", 2], dtype=object)) == [10, 2, "9"]


def test_band_history_sorts_and_flags_changes():
    frame = pd.DataFrame({
        "account_id": ["a", "b", "a", "a", "a"],
        "snapshot_date": [BASE + 2 * DAY, BASE, pd.NaT, BASE, BASE + DAY],
        "score": [50.0, 1.0, 90.0, 80.0, np.nan], "band": [1, 0, 2, 2, -1]})
    history = band_history(frame, "a")
    assert history["score"].tolist()[:3] == [80.0, pytest.approx(np.nan, nan_ok=True), 50.0]
    assert history["band"].tolist() == [2, -1, 1, 2]  # undated row last
    assert history["band_changed"].tolist() == [False, True, True, True]
    assert list(history.index) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="'zz' not found"):
        band_history(frame, "zz")


def test_on_equal_highs_the_latest_is_the_from_snapshot():
    # documented: on equal highs the most recent one is the "from" snapshot
    frame = pd.DataFrame({"account_id": ["a"] * 4,
                          "snapshot_date": [BASE + d * DAY for d in (0, 10, 20, 30)],
                          "score": [90.0, 85.0, 90.0, 60.0]})
    (row,) = score_drops(frame, min_drop=15, within_days=90).itertuples()
    assert (row.from_date, row.to_date, row.drop) == (BASE + 20 * DAY, BASE + 30 * DAY, 30.0)


def test_trend_of_the_first_account_whose_earlier_snapshot_is_its_first_row():
    # the first account's first snapshot opens the sorted rows (position 0): it must still be
    # found as the score "window_days ago" (a found position is any index >= 0)
    frame = pd.DataFrame({
        "account_id": ["a", "a", "b", "b", "b"],
        "snapshot_date": [BASE, BASE + 90 * DAY, BASE, BASE + 30 * DAY, BASE + 120 * DAY],
        "score": [50.0, 40.0, 70.0, 75.0, 60.0],
    })
    trend = score_trend(frame, 90).set_index("account_id")
    # by hand: a's earlier row is its first (day 0); b's is day 30 (the last <= day 30)
    assert trend.loc["a", "earlier_date"] == BASE and trend.loc["a", "change"] == -10
    assert trend.loc["b", "earlier_date"] == BASE + 30 * DAY
    assert trend.loc["b", "earlier_score"] == 75 and trend.loc["b", "change"] == -15
