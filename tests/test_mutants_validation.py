"""Validation glue against independent pandas computations (mutation-testing kills):
per-segment metrics against a groupby, the default horizon on hand-dated snapshots, and
falling scores at exactly the minimum drop."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from calibration import decisions, history
from calibration.accounts import prepare
from calibration.config import ColumnRoles
from calibration.scoring import score_frame
from calibration.validation import (
    by_config_segment,
    falling_accounts,
    judged_rows,
    segment_labels,
    validate,
)
from tests.conftest import make_config
from tests.test_validation import table_with

SEG_ROLES = ColumnRoles(account_id="id", snapshot_date=None, segment="tier", arr="arr",
                        outcome="outcome", renewal_date=None, reference_label=None)
# segment order matters: an account uses the first segment that matches
SEGMENTS = [
    {"name": "Enterprise", "match": {"column": "tier", "values": ["ent"]},
     "weights": {"usage": 90, "tickets": 10}},
    {"name": "Mid-market", "match": {"column": "tier", "values": ["mid"]},
     "bands": {"red_max": 50, "yellow_max": 80}},
]
SEGMENT_OF_TIER = {"ent": "Enterprise", "mid": "Mid-market", "smb": "Default"}


@pytest.fixture(scope="module")
def segmented():
    rng = np.random.default_rng(8)
    n = 900
    tier = rng.choice(["ent", "mid", "smb"], n, p=[0.25, 0.35, 0.40])
    churned = rng.random(n) < np.select([tier == "ent", tier == "mid"], [0.15, 0.25], 0.35)
    frame = pd.DataFrame({
        "id": [f"a{i}" for i in range(n)],
        "tier": tier,
        "usage": np.clip(rng.normal(60 - 25 * churned, 20), 0, 100).round(),
        "tickets": rng.poisson(3 + 2 * churned),
        "arr": rng.lognormal(9, 1, n).round(2),
        "outcome": np.where(churned, "churned", "renewed"),
    })
    config = make_config(columns=SEG_ROLES.model_dump(), segments=SEGMENTS)
    table = prepare(frame, SEG_ROLES, config)
    return frame, table, config, score_frame(table.frame, config)


def test_per_config_segment_metrics_match_a_pandas_groupby(segmented):
    frame, table, config, scored = segmented
    got = {row["segment"]: row for row in by_config_segment(table, config, scored)}
    assert [row["segment"] for row in by_config_segment(table, config, scored)] == [
        "Enterprise", "Mid-market", "Default"]
    scores = frame.assign(score=scored.result.score, segment=frame["tier"].map(SEGMENT_OF_TIER))
    for name, group in scores.groupby("segment"):
        metrics = got[name]["metrics"]
        churned = group["outcome"].eq("churned").to_numpy()
        assert metrics["n_scored"] == len(group)
        assert metrics["n_churned"] == churned.sum()
        s = group["score"].to_numpy()
        u = stats.mannwhitneyu(s[~churned], s[churned]).statistic
        assert metrics["auc"]["value"] == pytest.approx(u / (churned.sum() * (~churned).sum()),
                                                        rel=1e-12)
        assert metrics["surprise_churn"]["arr"] == pytest.approx(
            group.loc[churned & (scored.result.band[group.index] == 2), "arr"].sum())


def test_validate_per_segment_label_matches_a_pandas_groupby(segmented):
    frame, table, config, scored = segmented
    evidence = validate(table, config, scored, include_logit=False, include_factors=False)
    assert list(evidence["segments"]) == ["ent", "mid", "smb"]  # in label order
    scores = frame.assign(score=scored.result.score)
    for tier, group in scores.groupby("tier"):
        churned = group["outcome"].eq("churned").to_numpy()
        seg = evidence["segments"][tier]
        assert (seg["n_scored"], seg["n_churned"]) == (len(group), churned.sum())
        s = group["score"].to_numpy()
        u = stats.mannwhitneyu(s[~churned], s[churned]).statistic
        assert seg["auc"]["value"] == pytest.approx(u / (churned.sum() * (~churned).sum()),
                                                    rel=1e-12)


def dated_frame(days_before_renewal: list[int]) -> pd.DataFrame:
    renewal = pd.Timestamp("2025-12-31")
    return pd.DataFrame({
        "account_id": "acme",
        "snapshot_date": [renewal - pd.Timedelta(days=d) for d in days_before_renewal],
        "renewal_date": renewal,
        "outcome": "churned",
        "marker": days_before_renewal,
    })


def test_default_horizon_judges_the_snapshot_three_months_before_renewal():
    # snapshots 120, 91, 90, 89, 60 and 30 days before the renewal: the latest one at least
    # 90 days before it is the 90-day one (a 60-day default would pick the 60-day one)
    frame = dated_frame([120, 91, 90, 89, 60, 30])
    pit = decisions.derive(frame)
    assert frame["marker"].iloc[pit.rows].tolist() == [90]
    assert pit.horizon_days == 90
    table, _ = table_with({"a": [50] * 6}, {"a": "churned"})
    # validation's default is the same 90 days: renewal 2025-09-30 -> the 2025-06-30 snapshot
    judged = judged_rows(table)
    assert table.snapshot_date[judged.rows].astype("datetime64[D]").tolist() == [
        pd.Timestamp("2025-06-30").date()]


def test_horizon_of_zero_and_of_more_than_all_history():
    frame = dated_frame([120, 91, 90, 89, 60, 30])
    assert frame["marker"].iloc[decisions.derive(frame, 0).rows].tolist() == [30]
    pit = decisions.derive(frame, 121)
    assert pit.rows.tolist() == [] and pit.excluded_no_early_snapshot == ["acme"]


def test_a_fall_of_exactly_the_minimum_drop_is_listed():
    # score = 0.6 * usage + 40: usage 100 -> 75 over the last 90 days is exactly 15 points
    table, config = table_with({
        "exact": [100, 100, 100, 100, 100, 75],
        "short": [100, 100, 100, 100, 100, 76],
    }, {"exact": "open", "short": "open"})
    result = score_frame(table.frame, config).result
    falling = falling_accounts(table, result, min_drop=15, window_days=90)
    assert falling["account_id"].tolist() == ["exact"]
    assert "index" not in falling.columns and falling.index.tolist() == [0]
    assert falling.loc[0, "change"] == pytest.approx(-15)
    drops = history.score_drops(table.canonical().assign(score=result.score), 15, 90)
    assert drops["account_id"].tolist() == ["exact"]


def test_validate_counts_a_drop_of_exactly_15_points_by_default():
    # score = 0.6 * usage + 40: usage 100 -> 75 in the quarter before the 2025-06-30 judge
    # date (90 days before the 2025-09-30 renewal) is a fall of exactly 15 points
    table, config = table_with({
        "exact": [100, 100, 100, 100, 100, 75],
        "short": [100, 100, 100, 100, 100, 76],
    }, {"exact": "churned", "short": "renewed"})
    scored = score_frame(table.frame, config)
    drops = validate(table, config, scored, include_logit=False,
                     include_factors=False)["score_drops"]
    assert drops["with_drop"]["accounts"] == 1 and drops["with_drop"]["churned"] == 1
    assert drops["without_drop"]["accounts"] == 1 and drops["without_drop"]["churned"] == 0


def test_a_drop_from_the_snapshot_on_the_window_edge_counts():
    # judge date 2025-07-02 (90 days before the renewal); a 93-day window starts on
    # 2025-03-31, itself a snapshot: that snapshot is inside the window, so the one before it
    # (2025-02-28, score 100) opens it and the fall to 85 (usage 75) is 15 points
    table, config = table_with({"edge": [100, 100, 80, 75, 75, 75],
                                "flat": [90, 90, 90, 90, 90, 90]},
                               {"edge": "churned", "flat": "renewed"})
    result = score_frame(table.frame, config).result
    from calibration.validation import drop_signal

    signal = drop_signal(table, result, judged_rows(table, 90), min_drop=15, within_days=93)
    assert signal["with_drop"] == {"accounts": 1, "churned": 1, "churn_rate": 1.0}
    # a window starting a day later leaves 2025-03-31 (score 88) as the opening: 3 points
    later = drop_signal(table, result, judged_rows(table, 90), min_drop=15, within_days=92)
    assert later["with_drop"]["accounts"] == 0


def test_validate_by_default_includes_each_factors_own_signal(segmented):
    frame, table, config, scored = segmented
    evidence = validate(table, config, scored, by_segment=False)
    factors = evidence["factors"]
    assert factors["reason"] is None
    assert [f["factor"] for f in factors["factors"]] == config.factor_names
    churned = frame["outcome"].eq("churned").to_numpy()
    for k, row in enumerate(factors["factors"]):
        points = scored.matrix.points[:, k]
        u = stats.mannwhitneyu(points[~churned], points[churned]).statistic
        assert row["auc"]["value"] == pytest.approx(
            u / (churned.sum() * (~churned).sum()), rel=1e-12)
    assert evidence["logit"]["reason"] is None and evidence["logit"]["value"] is not None


def test_segments_page_metrics_skip_the_logistic_fit(segmented):
    # by_config_segment feeds the Segments page on every rerun: no logistic fit there (the
    # full evidence of validate has one, see the test above, on the same accounts)
    _, table, config, scored = segmented
    for row in by_config_segment(table, config, scored):
        assert row["metrics"]["n_churned"] >= 20  # enough for a fit had one been asked for
        assert row["metrics"]["logit"]["value"] is None, row["segment"]


def test_app_and_cli_show_the_same_interval_by_default(segmented, tmp_path, capsys):
    # the app (ui/evidence.py) calls validate without a seed; `validate --bootstrap N` has
    # --seed 0 by default: the same data and config must give the same interval in both
    from calibration.cli import main

    frame, table, config, scored = segmented
    data, config_path = tmp_path / "accounts.csv", tmp_path / "config.json"
    frame.to_csv(data, index=False)
    config_path.write_text(config.to_json())
    capsys.readouterr()
    assert main(["validate", "--data", str(data), "--config", str(config_path),
                 "--bootstrap", "40", "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    app = validate(table, config, scored, bootstrap_resamples=40, by_segment=False,
                   include_logit=False, include_factors=False)
    assert cli["auc_ci"]["value"] == app["auc_ci"]["value"]
    assert cli["bootstrap"]["seed"] == app["bootstrap"]["seed"]


def test_a_segment_role_the_data_lacks_gives_no_segments(segmented):
    # defensive: an AccountTable whose segment role names no column of its frame (prepare
    # refuses such a file; a table built by hand can still have it)
    _, table, config, scored = segmented
    lost = dataclasses.replace(table, roles=table.roles.model_copy(update={"segment": "region"}))
    assert segment_labels(lost) is None
    evidence = validate(lost, config, scored, include_logit=False, include_factors=False)
    assert evidence["segments"] == {}
    # segments in alphabetical order, as the JSON and the report list them (set order would
    # depend on the string hash seed)
    assert list(validate(table, config, scored, include_logit=False,
                         include_factors=False)["segments"]) == ["ent", "mid", "smb"]


def test_drop_signal_churn_rates_are_churned_over_accounts():
    from calibration.validation import drop_signal

    # four accounts fall by 36 points (one churned), three stay flat (two churned)
    falls, flat = [100, 100, 100, 40, 40, 40], [80] * 6
    usage = {**{f"fall{k}": falls for k in range(4)}, **{f"flat{k}": flat for k in range(3)}}
    outcome = {"fall0": "churned", "fall1": "renewed", "fall2": "renewed", "fall3": "renewed",
               "flat0": "churned", "flat1": "churned", "flat2": "renewed"}
    table, config = table_with(usage, outcome)
    result = score_frame(table.frame, config).result
    signal = drop_signal(table, result, judged_rows(table, 90), min_drop=15, within_days=90)
    assert signal["with_drop"] == {"accounts": 4, "churned": 1, "churn_rate": 1 / 4}
    assert signal["without_drop"] == {"accounts": 3, "churned": 2, "churn_rate": 2 / 3}


def test_falling_accounts_by_default_lists_a_fall_of_exactly_ten_points():
    # score = 0.6 * usage + 40: usage 100 -> 100 - 50/3 over the last 90 days is a fall of
    # exactly 10 points, the documented default (10 points over 90 days); 9.6 is not listed
    table, config = table_with({
        "ten": [100, 100, 100, 100, 100, 100 - 50 / 3],
        "less": [100, 100, 100, 100, 100, 84],
    }, {"ten": "open", "less": "open"})
    result = score_frame(table.frame, config).result
    falling = falling_accounts(table, result)
    assert falling["account_id"].tolist() == ["ten"]
    assert falling.loc[0, "change"] == pytest.approx(-10, abs=1e-9)


DATED_SEG_ROLES = ColumnRoles(account_id="id", snapshot_date="date", segment="tier",
                              arr="arr", outcome="outcome", renewal_date="renewal",
                              reference_label=None)


def _dated_segmented_table():
    """Eight segment labels (named out of alphabetical order), six monthly snapshots per
    account; usage falls for the churned accounts so some of them turn red."""
    rng = np.random.default_rng(3)
    tiers = ["zeta", "alpha", "mu", "beta", "omega", "delta", "kappa", "gamma"]
    dates = pd.date_range("2025-01-31", periods=6, freq="ME")
    rows = []
    for k in range(96):
        churned = k % 3 == 0
        start = rng.uniform(20, 100)
        for step, date in enumerate(dates):
            usage = max(0.0, start - (15 * step if churned else 0))
            rows.append({"id": f"acc{k}", "date": date, "tier": tiers[k % len(tiers)],
                         "usage": usage, "tickets": int(rng.integers(0, 30)),
                         "outcome": "churned" if churned else "renewed",
                         "renewal": pd.Timestamp("2025-09-30"), "arr": 1.0})
    frame = pd.DataFrame(rows)
    config = make_config(columns=DATED_SEG_ROLES.model_dump())
    return frame, prepare(frame, DATED_SEG_ROLES, config), config


def test_lead_time_per_segment_in_label_order_and_from_the_plan_of_each_segment():
    from calibration import early_warning
    from calibration.validation import lead_time_by_segment, lead_time_plan

    frame, table, config = _dated_segmented_table()
    result = score_frame(table.frame, config).result
    scored = table.canonical().assign(score=result.score, band=result.band)
    per_segment = lead_time_by_segment(scored, segment_labels(table), 365, table.renewals)
    assert list(per_segment) == sorted(frame["tier"].unique())
    churned_per_tier = frame.loc[frame["outcome"] == "churned"].groupby("tier")["id"].nunique()
    for tier, lead in per_segment.items():
        plan, positions = lead_time_plan(table, 365, segment=tier)
        assert len(plan.churn) == churned_per_tier[tier]  # a pandas count per segment
        assert set(table.account_id[positions]) <= set(frame.loc[frame["tier"] == tier, "id"])
        from_plan = early_warning.lead_time_from_bands(plan, result.band[positions])
        assert from_plan == lead, tier


@pytest.mark.parametrize("values", ["text", "blanks", "numbers", "categories"])
def test_segment_positions_are_where_the_labels_equal_the_segment(values):
    """Column-wise, as :func:`segment_labels` (text, missing as "(blank)") compared per row."""
    from calibration.validation import segment_positions

    _, table, _ = _dated_segmented_table()
    tier = table.frame["tier"]
    column = {"text": tier,
              "blanks": tier.where(np.arange(len(tier)) % 5 != 0),
              "numbers": tier.map({name: i for i, name in enumerate(sorted(set(tier)))}
                                  ).astype(float).where(np.arange(len(tier)) % 7 != 0),
              "categories": tier.astype("category")}[values]
    changed = dataclasses.replace(table, frame=table.frame.assign(tier=column))
    labels = segment_labels(changed)
    assert len(set(labels.tolist())) > 2
    for name in [*set(labels.tolist()), "no such segment"]:
        np.testing.assert_array_equal(segment_positions(changed, name),
                                      np.flatnonzero(labels == name))
    assert (segment_positions(changed, "(blank)").size > 0) == (values in ("blanks",
                                                                           "numbers"))
    plain = dataclasses.replace(table, roles=table.roles.model_copy(update={"segment": None}))
    assert segment_positions(plain, "alpha").tolist() == []


def test_lead_time_plan_of_a_segment_when_the_data_has_no_segments():
    _, table, _ = _dated_segmented_table()
    from calibration.validation import lead_time_plan

    plain = dataclasses.replace(table, roles=table.roles.model_copy(update={"segment": None}))
    plan, positions = lead_time_plan(plain, 365, segment="alpha")
    assert positions.tolist() == [] and plan.rows.tolist() == [] and len(plan.churn) == 0
