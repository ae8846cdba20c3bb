"""Compare on hand-made cases: a significant loss and gain with every number recomputed with
pandas and scipy, band movers worked out by hand, the text report (mutation-testing kills)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from calibration.accounts import prepare
from calibration.cli import main
from calibration.compare import (
    band_movers,
    compare,
    compare_rows,
    compare_scored,
    take_rows,
    with_bootstrap,
)
from calibration.config import ColumnRoles, Config
from calibration.cs_metrics import METRIC_LABELS
from calibration.scoring import score_frame
from calibration.validation import judged_rows
from tests import layouts
from tests.conftest import make_config
from tests.test_compare import noise_table, two_factor


@pytest.fixture(scope="module")
def tickets_predict_churn():
    table = noise_table()
    churned = table.outcome == "churned"
    noise = np.random.default_rng(0).uniform(-2, 2, len(churned))
    frame = table.frame.assign(tickets=np.where(churned, 7.0, 3.0) + noise)
    return prepare(frame, make_config().columns, make_config())


def auc(score, churned):
    u = stats.mannwhitneyu(score[~churned], score[churned]).statistic
    return u / (churned.sum() * (~churned).sum())


def test_a_significant_loss_is_called_worse_with_every_number_checked(tickets_predict_churn):
    table = tickets_predict_churn
    good, bad = two_factor(10, 90), two_factor(90, 10)  # tickets carry the signal
    result = compare(table, good, bad, n_resamples=300)
    churned = table.outcome == "churned"
    s_good = score_frame(table.frame, good).result
    s_bad = score_frame(table.frame, bad).result
    auc_good, auc_bad = auc(s_good.score, churned), auc(s_bad.score, churned)
    assert auc_good - auc_bad > 0.3  # the hand-made loss is large
    metrics = result.metrics
    assert metrics["auc"]["baseline"] == pytest.approx(auc_good, abs=1e-12)
    assert metrics["auc"]["draft"] == pytest.approx(auc_bad, abs=1e-12)
    assert metrics["auc"]["diff"] == pytest.approx(auc_bad - auc_good, abs=1e-12)
    assert metrics["auc"]["ci"][1] < 0
    green_churn = [int((churned & (s.band == 2)).sum()) for s in (s_good, s_bad)]
    assert [metrics["surprise_churn_count"]["baseline"],
            metrics["surprise_churn_count"]["draft"]] == green_churn
    r = stats.pointbiserialr((~churned).astype(int), s_bad.score).statistic
    assert metrics["point_biserial_r"]["draft"] == pytest.approx(r, abs=1e-9)
    assert not result.real
    assert not result.verdict.startswith("improvement is real")
    assert "worse" in result.verdict
    assert "auc" in result.verdict_detail["worse"]


def test_the_mirror_image_is_a_real_improvement(tickets_predict_churn):
    result = compare(tickets_predict_churn, two_factor(90, 10), two_factor(10, 90),
                     n_resamples=300)
    assert result.real and result.verdict.startswith("improvement is real")
    assert result.metrics["auc"]["ci"][0] > 0
    assert result.verdict_detail["worse"] == []


def test_identical_configs_are_no_real_difference(tickets_predict_churn):
    result = compare(tickets_predict_churn, two_factor(50, 50), two_factor(50, 50),
                     n_resamples=100)
    assert result.metrics["auc"]["diff"] == 0
    assert not result.real and "improvement is real" not in result.verdict
    assert len(result.movers) == 0


# --------------------------------------------------------------------------- band movers
def five_accounts():
    """Five hand-made accounts (see the scores worked out in each test)."""
    frame = pd.DataFrame({
        "id": ["red", "capped", "no usage", "only logins", "steady"],
        "usage": [0.0, 2.0, np.nan, np.nan, 40.0],
        "tickets": [2.6, 0.0, 1.0, np.nan, 5.0],
        "logins": [10.0, 10.0, 10.0, 80.0, 10.0],
        "outcome": ["churned", "renewed", "renewed", "churned", "renewed"],
        "arr": [1.0, 2.0, 3.0, 4.0, 5.0]})
    return prepare(frame, make_config().columns, make_config())


def with_logins() -> Config:
    factors = [*make_config().model_dump()["factors"],
               {"name": "logins", "column": "logins", "weight": 10,
                "rule": {"kind": "linear", "lo": 0, "hi": 100}}]
    return make_config(factors=factors)


def test_a_removed_guardrail_is_named_as_the_mover_with_its_points():
    # capped: usage 2 -> 2 points x 0.6 = 1.2, tickets 0 -> 100 points x 0.4 = 40: raw 41.2,
    # capped at red_max 30 by the guardrail; without it 41.2 (yellow). The others do not
    # move (red: usage 0 is capped too, but its raw 0.4 x 74 = 29.6 is below the cap).
    guard = [{"name": "No usage", "column": "usage", "operator": "<", "value": 5,
              "cap": "red"}]
    result = compare(five_accounts(), make_config(guardrails=guard), make_config(),
                     n_resamples=0)
    assert result.movers.to_dict("records") == [{
        "account_id": "capped", "baseline_score": 30.0, "draft_score": 41.2,
        "baseline_band": "red", "draft_band": "yellow", "moved_by": "guardrail",
        "moved_by_points": 11.2}]


def test_movers_losing_their_score_come_first_and_missing_factors_never_move_anyone():
    # baseline usage 60 / tickets 40 / logins 10 (out of 110); draft tickets only
    result = compare(five_accounts(), with_logins(), two_factor(0, 100), n_resamples=0)
    movers = result.movers
    assert list(movers["account_id"]) == ["only logins", "capped", "red"]
    lost = movers.iloc[0]  # scored on logins alone (80), unscored without it: listed first
    assert (lost["baseline_score"], lost["baseline_band"], lost["draft_band"]) == (
        80.0, "green", "unscored")
    assert np.isnan(lost["draft_score"])
    assert (lost["moved_by"], lost["moved_by_points"]) == ("logins", -80.0)
    capped, red = movers.iloc[1], movers.iloc[2]
    assert capped["baseline_score"] == round((2 * 60 + 100 * 40 + 10 * 10) / 110, 2)
    assert (capped["draft_score"], capped["moved_by"]) == (100.0, "tickets")
    assert capped["moved_by_points"] == round(100 - 100 * 40 / 110, 2)
    assert red["baseline_score"] == round((0 * 60 + 74 * 40 + 10 * 10) / 110, 2)
    assert (red["baseline_band"], red["draft_band"]) == ("red", "green")
    assert red["moved_by_points"] == round(74 - 74 * 40 / 110, 2)

    # no usage: usage missing (skipped) under both configs; tickets 1 is 90 points under
    # 0-10 but 50 under 0-2, so tickets moved it (90 -> 50, green -> yellow); steady: 24 +
    # 20 -> 24 + 0 (yellow -> red)
    raw = make_config().model_dump()
    raw["factors"][1]["rule"] = {"kind": "linear", "lo": 0, "hi": 2}
    result = compare(five_accounts(), make_config(), Config.model_validate(raw),
                     n_resamples=0)
    assert result.movers[["account_id", "draft_band", "moved_by", "moved_by_points"]].to_dict(
        "records") == [{"account_id": "no usage", "draft_band": "yellow", "moved_by": "tickets",
                        "moved_by_points": -40.0},
                       {"account_id": "steady", "draft_band": "red", "moved_by": "tickets",
                        "moved_by_points": -20.0}]


def test_an_account_gaining_a_score_and_unrounded_draft_scores():
    # the reverse of the comparison above: tickets only -> usage 60 / tickets 40 / logins 10
    movers = compare(five_accounts(), two_factor(0, 100), with_logins(),
                     n_resamples=0).movers.set_index("account_id")
    assert list(movers.index) == ["only logins", "capped", "red"]
    gained = movers.loc["only logins"]
    assert (gained["baseline_band"], gained["draft_band"], gained["draft_score"]) == (
        "unscored", "green", 80.0)
    assert np.isnan(gained["baseline_score"])
    assert (gained["moved_by"], gained["moved_by_points"]) == ("logins", 80.0)
    assert movers.loc["capped", "draft_score"] == round((2 * 60 + 100 * 40 + 10 * 10) / 110, 2)
    assert movers.loc["red", "draft_score"] == round((74 * 40 + 10 * 10) / 110, 2)


def test_band_movers_called_directly_names_the_factor_of_an_account_losing_its_score():
    # logins at weight 0: "only logins" has nothing weighted left, so it is unscored (its
    # contributions NaN); band_movers itself, not only compare, must name logins
    table = five_accounts()
    names = with_logins().factor_names
    no_logins = with_logins().with_weights({"usage": 60, "tickets": 40, "logins": 0})
    a = score_frame(table.frame, with_logins(), explain=True).result
    b = score_frame(table.frame, no_logins, explain=True).result
    assert np.isnan(b.score[3]) and np.isnan(b.contributions[3]).all()
    for base, draft, points in ((a, b, -80.0), (b, a, 80.0)):
        movers = band_movers(base, draft, names, ids=table.account_id).set_index("account_id")
        assert movers.loc["only logins", ["moved_by", "moved_by_points"]].tolist() == [
            "logins", points]


def test_band_movers_refuses_results_without_contributions():
    table = five_accounts()
    explained = score_frame(table.frame, make_config(), explain=True).result
    plain = score_frame(table.frame, make_config(), explain=False).result
    names = make_config().factor_names
    for base, draft in ((plain, explained), (explained, plain)):
        with pytest.raises(ValueError, match="contributions"):
            band_movers(base, draft, names)


# --------------------------------------------------------------------------- the report
def test_the_text_report_shows_each_metric_in_its_unit_and_the_differences():
    table = five_accounts()
    result = compare(table, with_logins(), two_factor(0, 100), n_resamples=0)
    # AUC on the accounts both configs score (only logins is unscored by the draft)
    churned = table.outcome == "churned"
    both = table.account_id != "only logins"
    s_base = score_frame(table.frame, with_logins()).result.score
    s_draft = score_frame(table.frame, two_factor(0, 100)).result.score
    a_base, a_draft = auc(s_base[both], churned[both]), auc(s_draft[both], churned[both])
    text = result.describe()
    line = next(t for t in text.splitlines() if t.startswith(METRIC_LABELS["auc"]))
    assert line.split()[-5:] == [f"{a_base:.3f}", f"{a_draft:.3f}",
                                 f"{a_draft - a_base:+.3f}", "n/a", "n/a"]
    lift = next(t for t in text.splitlines() if t.startswith(METRIC_LABELS["lift"]))
    assert lift.split()[-5:] == ["n/a"] * 5  # no churned account is green: undefined
    assert "  - factor logins removed" in text and "(none)" not in text
    rows = text.split("top 3):\n")[1].splitlines()
    assert rows[1].split()[:2] == ["only", "logins"]  # no index column before the id
    assert "top 2):" in result.describe(max_movers=2)
    same = compare(table, make_config(), make_config(), n_resamples=0).describe()
    assert "Config differences:\n  (none)" in same
    assert "Accounts changing band" not in same


def test_the_api_defaults_are_the_cli_defaults(tmp_path, capsys):
    """compare(), compare_scored(), compare_rows() and with_bootstrap() without a seed or
    resample count give exactly the CI the command line prints by default."""
    table = noise_table(n=120)
    data = tmp_path / "accounts.csv"
    table.frame.to_csv(data, index=False)
    paths = []
    for name, config in (("base", two_factor(60, 40)), ("draft", two_factor(20, 80))):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(config.to_json())
    assert main(["compare", "--data", str(data), "--baseline", str(paths[0]), "--config",
                 str(paths[1]), "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)["metrics"]
    api = compare(table, two_factor(60, 40), two_factor(20, 80)).to_dict()["metrics"]
    base = score_frame(table.frame, two_factor(60, 40), explain=True).result
    draft = score_frame(table.frame, two_factor(20, 80), explain=True).result
    scored = compare_scored(table, two_factor(60, 40), two_factor(20, 80), base, draft,
                            judged_rows(table, 90)).to_dict()["metrics"]
    judged = judged_rows(table, 90)  # single-snapshot data: every row is a latest row
    base_j, draft_j = take_rows(base, judged.rows), take_rows(draft, judged.rows)
    rows = compare_rows(two_factor(60, 40), two_factor(20, 80), judged, base_j, draft_j,
                        table.account_id, base.band, draft.band,
                        lambda at: (take_rows(base, at), take_rows(draft, at)))
    later = with_bootstrap(replace(rows, metrics={}), base_j, draft_j, judged)
    for name in ("auc", "green_churn_rate", "surprise_churn_arr"):
        assert cli[name]["ci"] == api[name]["ci"] == scored[name]["ci"], name
        assert rows.metrics[name]["ci"] == later.metrics[name]["ci"] == cli[name]["ci"], name
    comparison = compare(table, two_factor(60, 40), two_factor(20, 80), n_resamples=0)
    assert len(comparison.movers) > 20
    movers_text = comparison.describe().split("top 20):\n")[1].split("\n\n")[0]
    assert len(movers_text.splitlines()) == 1 + 20  # header and the 20 biggest moves


# --------------------------------------------------------------------------- dated history
def test_migration_and_movers_on_a_history_use_each_accounts_latest_snapshot():
    """Band migration and movers read each account's latest snapshot (pandas idxmax), the
    judged migration the independently selected decisions; the app's path, which explains
    only the accounts that move, finds the same movers."""
    frame, truth = layouts.history(seed=4, n_accounts=40)
    snapshots = layouts.layout_repeated(frame)
    base = Config.model_validate(layouts.config_dict())
    draft = base.with_weights({"usage": 20, "tickets": 80})
    table = prepare(snapshots, ColumnRoles(**layouts.ROLES), base)
    result = compare(table, base, draft, n_resamples=0)  # documented default: 90 days
    assert result.horizon_days == 90

    bands = snapshots.assign(base=score_frame(snapshots, base).result.band,
                             draft=score_frame(snapshots, draft).result.band)
    latest = bands.loc[bands.groupby("account")["as_of"].idxmax()]
    names = {0: "red", 1: "yellow", 2: "green"}
    expected = pd.crosstab(latest["base"].map(names), latest["draft"].map(names))
    got = result.migration_latest
    for b in expected.index:
        for d in expected.columns:
            assert got.loc[b, d] == expected.loc[b, d], (b, d)
    assert got.to_numpy().sum() == len(latest) < len(snapshots)
    moved = latest.loc[latest["base"] != latest["draft"], "account"]
    assert sorted(result.movers["account_id"]) == sorted(moved)
    assert 0 < len(moved) < (bands["base"] != bands["draft"]).sum()  # earlier rows move too

    picked = layouts.expected_decisions(snapshots, truth, 90).merge(
        bands.rename(columns={"account": "account_id"}), on=["account_id", "as_of"])
    judged = pd.crosstab(picked["base"].map(names), picked["draft"].map(names))
    assert result.migration_judged.to_numpy().sum() == len(picked)
    for b in judged.index:
        for d in judged.columns:
            assert result.migration_judged.loc[b, d] == judged.loc[b, d], (b, d)

    plain_base = score_frame(table.frame, base, explain=False).result
    plain_draft = score_frame(table.frame, draft, explain=False).result
    asked = []

    def explain_rows(rows):
        asked.append(len(rows))
        sub = table.frame.iloc[rows]
        return (score_frame(sub, base, explain=True).result,
                score_frame(sub, draft, explain=True).result)

    app = compare_scored(table, base, draft, plain_base, plain_draft,
                         judged_rows(table, 90), n_resamples=0, explain_rows=explain_rows)
    assert asked == [len(moved)]  # only the movers are explained
    pd.testing.assert_frame_equal(app.movers, result.movers)
