"""Objectives (ranking / catch churn / no surprises), band rules, exact previews, verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import objectives as obj
from calibration.accounts import load_accounts
from calibration.config import Config, load_config
from calibration.cs_metrics import paired_cs_metrics
from calibration.outcomes import cs_numbers
from calibration.scoring import FactorMatrix, GuardrailHits, score_frame
from calibration.validation import judged_rows
from calibration.verdicts import judge
from tests.conftest import DEMO_CONFIG, DEMO_DATA, make_config


def decisions_of(table_frame: pd.DataFrame, config: Config, rows: np.ndarray,
                 churned: np.ndarray, arr=None, dates=None) -> obj.DecisionScores:
    scored = score_frame(table_frame, config)
    return obj.DecisionScores(
        FactorMatrix(scored.matrix.points[rows], scored.matrix.names), scored.segments[rows],
        GuardrailHits(scored.hits.cap[rows], scored.hits.rule[rows], scored.hits.names),
        churned, arr, dates)


@pytest.fixture(scope="module")
def demo():
    raw = load_config(DEMO_CONFIG).model_dump()
    raw["guardrails"][0]["enabled"] = True  # no executive sponsor -> at most yellow
    config = Config.model_validate(raw)
    table = load_accounts(DEMO_DATA, config)
    judged = judged_rows(table, 90)
    decisions = obj.decision_scores(judged, score_frame(table.frame, config))
    return {"config": config, "table": table, "judged": judged, "rows": judged.rows,
            "decisions": decisions}


def test_decision_scores_take_outcome_date_and_arr_from_the_decisions(demo):
    judged, decisions = demo["judged"], demo["decisions"]
    np.testing.assert_array_equal(decisions.churned, judged.outcome == "churned")
    np.testing.assert_array_equal(decisions.dates, judged.renewal_date)
    np.testing.assert_array_equal(decisions.arr, judged.arr)
    assert decisions.n == judged.n_judged


# --------------------------------------------------------------------------- CS numbers
def test_cs_numbers_match_a_hand_written_pandas_selection():
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame({"band": rng.integers(-1, 3, n), "churned": rng.random(n) < 0.2,
                          "arr": rng.lognormal(9, 1, n)})
    frame.loc[::17, "arr"] = np.nan
    base = rng.integers(0, 3, n)
    got = cs_numbers(frame["band"].to_numpy(), frame["churned"].to_numpy(),
                     frame["arr"].to_numpy(), base)
    s = frame[frame["band"] >= 0].fillna({"arr": 0})
    churned = s[s["churned"]]
    assert got["accounts"] == len(s)
    assert got["red_share"] == pytest.approx((s["band"] == 0).mean())
    assert got["red_churned_arr_share"] == pytest.approx(
        churned.loc[churned["band"] == 0, "arr"].sum() / churned["arr"].sum())
    assert got["surprise_churn_count"] == int((churned["band"] == 2).sum())
    assert got["surprise_churn_arr"] == pytest.approx(churned.loc[churned["band"] == 2,
                                                                  "arr"].sum())
    assert got["green_churn_rate"] == pytest.approx(s.loc[s["band"] == 2, "churned"].mean())
    assert got["red_churn_rate"] == pytest.approx(s.loc[s["band"] == 0, "churned"].mean())
    assert got["changed_band"] == int((base[frame["band"] >= 0] != s["band"]).sum())


# --------------------------------------------------------------------------- bands
def _hostile_config() -> Config:
    """Two factors, a red and a yellow guardrail, a segment with its own weights and bands."""
    return make_config(
        columns={"account_id": "id", "snapshot_date": None, "segment": "tier", "arr": "arr",
                 "outcome": "outcome", "renewal_date": None, "reference_label": None},
        guardrails=[
            {"name": "fraud", "column": "flag", "operator": "==", "value": True, "cap": "red"},
            {"name": "young", "column": "age", "operator": "<", "value": 3, "cap": "yellow"}],
        segments=[{"name": "Ent", "match": {"column": "tier", "values": ["ent"]},
                   "weights": {"usage": 10}, "bands": {"red_max": 40, "yellow_max": 60}}])


def _hostile_frame(n=300, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    usage = rng.uniform(0, 100, n)
    frame = pd.DataFrame({
        "id": [f"a{i}" for i in range(n)], "usage": usage,
        "tickets": rng.poisson(3, n).astype(float), "flag": rng.random(n) < 0.05,
        "age": rng.integers(0, 12, n), "tier": rng.choice(["ent", "smb", "mid"], n),
        "arr": rng.lognormal(9, 1, n)})
    frame.loc[rng.random(n) < 0.1, "usage"] = np.nan
    churn_p = 1 / (1 + np.exp(-(-1 - 0.03 * (np.nan_to_num(usage, nan=50) - 50))))
    frame["outcome"] = np.where(rng.random(n) < churn_p, "churned", "renewed")
    return frame


@pytest.mark.parametrize("kind", obj.OBJECTIVES)
def test_choose_bands_equals_brute_force_through_the_scorer(kind):
    config = _hostile_config()
    frame = _hostile_frame()
    rows = np.arange(len(frame))
    churned = (frame["outcome"] == "churned").to_numpy()
    decisions = decisions_of(frame, config, rows, churned, frame["arr"].to_numpy())
    objective = obj.Objective(kind, red_max_share=0.3, green_min_share=0.3,
                              min_band_share=0.08)
    got = obj.choose_bands(decisions.score(config), config, decisions, objective)
    assert got.feasible
    best, best_key = None, None
    arr = frame["arr"].to_numpy()
    for red in range(0, 100, 1):
        for yellow in range(red + objective.min_yellow_width, 100):
            band = score_frame(frame, obj.with_bands(config, red, yellow)).result.band \
                if (red, yellow) == (got.red_max, got.yellow_max) else None
            # fast path for the rest: bands from the scorer's own rules via combine
            band = decisions.score(obj.with_bands(config, red, yellow)).band \
                if band is None else band
            share = np.bincount(band[band >= 0], minlength=3) / (band >= 0).sum()
            if (share < 0.08 - 1e-12).any() or share[0] > 0.3 + 1e-12 or share[2] < 0.3 - 1e-12:
                continue
            caught = arr[(band == 0) & churned].sum()
            surprise = arr[(band == 2) & churned].sum()
            key = (-surprise, caught) if kind == "no_surprises" else (caught, -surprise)
            key = (*key, yellow - red)
            if best_key is None or key > best_key:
                best, best_key = (red, yellow), key
        if red > 60:
            break
    assert (got.red_max, got.yellow_max) == best


def test_choose_bands_refuses_when_scores_bunch_up():
    config = make_config()
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"] * 10, "usage": 50.0, "tickets": 5.0,
                          "arr": 1.0, "outcome": ["churned", "renewed"] * 20})
    churned = (frame["outcome"] == "churned").to_numpy()
    decisions = decisions_of(frame, config, np.arange(40), churned)
    choice = obj.choose_bands(decisions.score(config), config, decisions, obj.Objective())
    assert not choice.feasible
    assert "bunch up" in choice.messages[0]


def test_objective_rejects_impossible_rules():
    with pytest.raises(ValueError, match="objective must be one of"):
        obj.Objective("auc")
    with pytest.raises(ValueError, match="share between 0 and 1"):
        obj.Objective(red_max_share=15)
    with pytest.raises(ValueError, match="leaves no room"):
        obj.Objective(green_min_share=0.95)
    with pytest.raises(ValueError, match="below the minimum band share"):
        obj.Objective(red_max_share=0.03)


# --------------------------------------------------------------------------- demo
def test_preview_equals_the_applied_result_with_a_guardrail(demo):
    config, table, rows = demo["config"], demo["table"], demo["rows"]
    assert any(g.enabled for g in config.guardrails)
    suggestion = obj.suggest_for(config, demo["decisions"], obj.Objective("catch_churn"))
    assert suggestion.feasible
    applied = score_frame(table.frame, suggestion.config).result  # what the draft shows
    preview = demo["decisions"].score(suggestion.config)
    np.testing.assert_array_equal(preview.band, applied.band[rows])
    np.testing.assert_array_equal(preview.score, applied.score[rows])
    assert (applied.guardrail[rows] >= 0).any()  # the guardrail really capped some accounts
    judged = demo["judged"]
    base = score_frame(table.frame, config).result.band[rows]
    assert cs_numbers(applied.band[rows], judged.churned, judged.arr, base) == \
        suggestion.numbers
    assert float(suggestion.red_max).is_integer() and float(suggestion.yellow_max).is_integer()
    assert suggestion.yellow_max - suggestion.red_max >= 5


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["catch_churn", "no_surprises"])
def test_demo_cs_objectives_improve_out_of_sample(demo, kind):
    """Done-when of issue 12 on the shipped demo config (its guardrail is off)."""
    config = load_config(DEMO_CONFIG)
    decisions = obj.decision_scores(demo["judged"], score_frame(demo["table"].frame, config))
    # the team works the same share of the book red and green stays as big as the draft's
    objective = obj.Objective(kind, red_max_share=0.15, green_min_share=0.40)
    check = obj.check_out_of_sample(config, decisions, objective, n_resamples=1000)
    assert check.label.startswith("time split")
    key = check.verdict.objective_metric
    assert key == {"catch_churn": "red_churned_arr_share",
                   "no_surprises": "surprise_churn_arr"}[kind]
    lo, hi = check.metrics[key]["ci"]
    assert (lo > 0) if kind == "catch_churn" else (hi < 0)
    assert check.verdict.label == "improvement is real"
    for band in ("red", "yellow", "green"):
        assert check.suggestion.numbers[f"{band}_share"] >= 0.05
        assert check.numbers[f"{band}_share"] >= 0.05  # also on the test period


# --------------------------------------------------------------------------- verdicts
def _metric(status, diff=1.0, ci=(0.5, 1.5), baseline=1.0):
    return {"status": status, "diff": diff, "ci": list(ci), "baseline": baseline,
            "draft": baseline + diff}


def test_verdict_is_a_trade_off_when_auc_rises_but_surprise_arr_gets_worse():
    metrics = {"auc": _metric("better", 0.1, (0.05, 0.15), 0.7),
               "surprise_churn_arr": _metric("worse", 1e6, (2e5, 2e6), 3e6),
               "green_churn_rate": _metric("no real change", 0.0, (-0.01, 0.01), 0.05)}
    verdict = judge(metrics, "ranking")
    assert verdict.label == "trade-off" and not verdict.real
    assert verdict.worse == ["surprise_churn_arr"]
    assert "surprise churn (ARR)" in verdict.text and "got worse" in verdict.text
    metrics["surprise_churn_arr"] = _metric("no real change", 1e5, (-1e5, 3e5), 3e6)
    assert judge(metrics, "ranking").label == "improvement is real"
    assert judge(metrics, "no_surprises").label == "no real difference"
    metrics["auc"] = _metric("worse", -0.1, (-0.15, -0.05), 0.7)
    assert judge(metrics, "ranking").label == "worse"


def test_verdict_from_bootstrapped_hand_made_scores():
    """Draft ranks better (AUC up) but lets the biggest churned account slip into green."""
    rng = np.random.default_rng(0)
    n = 400
    churned = np.zeros(n, dtype=bool)
    churned[:80] = True
    arr = np.full(n, 1_000.0)
    arr[:20] = 200_000.0  # a few big churned accounts
    base_score = np.where(churned, rng.uniform(0, 60, n), rng.uniform(30, 100, n))
    base_band = np.where(base_score <= 30, 0, np.where(base_score <= 70, 1, 2))
    draft_score = np.where(churned, rng.uniform(0, 40, n), rng.uniform(30, 100, n))
    draft_band = np.where(draft_score <= 30, 0, np.where(draft_score <= 70, 1, 2))
    draft_band[:20] = 2  # the big churned accounts now look green
    base_band[:20] = 1
    metrics = paired_cs_metrics(base_score, base_band, draft_score, draft_band, churned, arr,
                                n_resamples=400)
    assert metrics["auc"]["status"] == "better"
    assert metrics["surprise_churn_arr"]["status"] == "worse"
    verdict = judge(metrics, "ranking")
    assert verdict.label == "trade-off"
    assert "surprise_churn_arr" in verdict.worse


# --------------------------------------------------------------------------- CLI
def test_cli_suggest_objective_writes_integer_bands_and_a_verdict(tmp_path, capsys):
    import json

    from calibration.cli import main

    frame = _hostile_frame(n=1200, seed=4)
    data = tmp_path / "accounts.csv"
    frame.to_csv(data, index=False)
    config_path = tmp_path / "config.json"
    config_path.write_text(_hostile_config().to_json())
    out = tmp_path / "suggested.json"
    code = main(["suggest", "--data", str(data), "--config", str(config_path),
                 "--objective", "no-surprises", "--capacity", "240", "--green-min-share",
                 "0.3", "--count", "accounts", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    suggested = json.loads(out.read_text())
    red, yellow = suggested["bands"]["red_max"], suggested["bands"]["yellow_max"]
    assert float(red).is_integer() and float(yellow).is_integer() and yellow - red >= 5
    assert "random holdout" in printed and "Verdict:" in printed
    assert "red at most 20%" in printed  # 240 of 1,200 accounts
    assert main(["suggest", "--data", str(data), "--config", str(config_path), "--objective",
                 "catch-churn", "--capacity", "240", "--red-max-share", "0.2"]) == 1
    assert "not both" in capsys.readouterr().err


def test_cli_compare_judges_the_chosen_objective(tmp_path, capsys):
    import json

    from calibration.cli import main

    frame = _hostile_frame(n=600, seed=5)
    data = tmp_path / "accounts.csv"
    frame.to_csv(data, index=False)
    base = tmp_path / "base.json"
    base.write_text(_hostile_config().to_json())
    draft = tmp_path / "draft.json"
    draft.write_text(obj.with_bands(_hostile_config(), 45, 70).to_json())
    assert main(["compare", "--data", str(data), "--baseline", str(base), "--config",
                 str(draft), "--objective", "catch-churn", "--format", "json",
                 "--resamples", "300"]) == 0
    result = json.loads(capsys.readouterr().out)
    detail = result["verdict_detail"]
    assert detail["objective"] == "catch_churn"
    assert detail["objective_metric"] == "red_churned_arr_share"
    # a wider red band catches more churn but red precision and band sizes move: the verdict
    # must follow judge() on the printed metrics
    assert detail == judge(result["metrics"], "catch_churn").to_dict()


# --------------------------------------------------------------------------- properties
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(30, 600),
       kind=st.sampled_from(obj.OBJECTIVES), red=st.integers(5, 40),
       green=st.integers(10, 60), minimum=st.integers(1, 15), lumpy=st.booleans())
def test_chosen_bands_always_keep_the_rules_when_scored_by_the_scorer(seed, n, kind, red,
                                                                      green, minimum, lumpy):
    frame = _hostile_frame(n=n, seed=seed)
    if lumpy:  # heavy ties: few distinct scores
        frame["usage"] = frame["usage"].round(-1)
        frame["tickets"] = 3.0
    config = _hostile_config()
    churned = (frame["outcome"] == "churned").to_numpy()
    if churned.all() or not churned.any():
        return
    decisions = decisions_of(frame, config, np.arange(n), churned, frame["arr"].to_numpy())
    try:
        objective = obj.Objective(kind, red_max_share=red / 100, green_min_share=green / 100,
                                  min_band_share=minimum / 100)
    except ValueError:
        return  # impossible rules are refused up front (tested elsewhere)
    choice = obj.choose_bands(decisions.score(config), config, decisions, objective)
    if not choice.feasible:
        assert choice.messages
        return
    assert choice.yellow_max - choice.red_max >= objective.min_yellow_width
    band = score_frame(frame, obj.with_bands(config, choice.red_max, choice.yellow_max)
                       ).result.band
    scored = band[band >= 0]
    share = np.bincount(scored, minlength=3) / scored.size
    assert (share >= minimum / 100 - 1e-9).all()
    assert share[0] <= red / 100 + 1e-9
    assert share[2] >= green / 100 - 1e-9
