"""Fitted point curves checked against independent fits (scikit-learn isotonic / logistic)
and against the scorer; headroom references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from calibration import binning, curves, headroom
from calibration.config import MappingRule, StepsRule
from calibration.scoring import score_frame
from tests.conftest import make_config


def _step_data(n=4000, seed=0):
    """Renewal jumps twice with usage (a staircase) and falls with tickets."""
    rng = np.random.default_rng(seed)
    usage = rng.uniform(0, 100, n)
    tickets = rng.poisson(3, n).astype(float)
    logit = 2.0 - 2.5 * (usage < 30) - 1.0 * (usage < 60) - 0.4 * tickets
    churned = rng.random(n) < 1 / (1 + np.exp(logit))
    return usage, tickets, churned


def test_monotone_bins_follow_an_independent_isotonic_fit():
    usage, _, churned = _step_data()
    bins = curves.fit_bins("numeric", usage, churned)
    assert bins.shape == "increasing"
    assert 1 <= len(bins.cutoffs) <= 5  # README: at most 6 steps, each >= 5% of accounts
    idx = bins.assign(usage)
    shares = np.bincount(idx) / usage.size
    assert (shares >= 0.05 - 1e-12).all()
    # the true jumps at 30 and 60 are found (within one pre-bin of 5% of accounts)
    assert any(abs(c - 30) < 6 for c in bins.cutoffs)
    assert any(abs(c - 60) < 6 for c in bins.cutoffs)
    # independent: scikit-learn's isotonic regression on the raw data is non-decreasing
    # across our bins too (each bin's mean of the sklearn fit rises)
    iso = IsotonicRegression(increasing=True).fit(usage, (~churned).astype(float))
    fitted = iso.predict(usage)
    means = [fitted[idx == j].mean() for j in range(idx.max() + 1)]
    assert np.all(np.diff(means) >= -1e-12)


def test_shape_fit_equals_scikit_learn_isotonic_on_the_pre_bins():
    rng = np.random.default_rng(1)
    n = rng.integers(20, 200, 20).astype(float)
    k = np.round(n * np.clip(np.linspace(0.5, 0.9, 20) + rng.normal(0, 0.08, 20), 0, 1))
    shape, fitted, _ = binning._shape_fit(k, n)
    increasing = shape == "increasing"
    assert shape in ("increasing", "decreasing")
    expected = IsotonicRegression(increasing=increasing).fit(
        np.arange(20), k / n, sample_weight=n).predict(np.arange(20))
    np.testing.assert_allclose(fitted, expected, atol=1e-9)


def test_unimodal_only_where_the_data_clearly_needs_it():
    rng = np.random.default_rng(2)
    n = 5000
    logins = rng.uniform(0, 400, n)
    peaked = 1.5 - 3.0 * ((logins - 200) / 200) ** 2  # renewal best in the middle
    churned = rng.random(n) < 1 / (1 + np.exp(peaked))
    assert curves.fit_bins("numeric", logins, churned).shape == "peak"
    linear = -1.0 + 0.006 * logins
    churned = rng.random(n) < 1 / (1 + np.exp(linear))
    assert curves.fit_bins("numeric", logins, churned).shape == "increasing"


def test_small_categories_are_pooled_and_ordered_by_the_current_rule():
    rng = np.random.default_rng(3)
    values = np.array(["gold"] * 500 + ["silver"] * 400 + ["bronze"] * 300 + ["tin"] * 10
                      + ["lead"] * 5, dtype=object)
    churned = rng.random(values.size) < 0.2
    current = MappingRule(points={"gold": 100, "silver": 50, "bronze": 0})
    bins = curves.fit_bins("category", values, churned, current=current)
    assert bins.categories[:3] == [["bronze"], ["silver"], ["gold"]]
    assert sorted(bins.categories[3]) == sorted(["tin", "lead", curves.OTHER])
    assert bins.ranks == [0, 50, 100, None]
    assert (bins.assign(np.array(["unseen", None], dtype=object)) == [3, -1]).all()


def test_joint_fit_equals_scikit_learn_logistic_regression_when_unconstrained():
    rng = np.random.default_rng(4)
    n = 3000
    plan = rng.choice(["a", "b", "c", "d"], n)
    region = rng.choice(["north", "south"], n)
    effect = {"a": 0.0, "b": 0.8, "c": -0.6, "d": 0.3}
    logit = 1.0 + np.vectorize(effect.get)(plan) + 0.5 * (region == "south")
    churned = rng.random(n) < 1 / (1 + np.exp(logit))
    values = {"plan": ("category", plan.astype(object)),
              "region": ("category", region.astype(object))}
    l2 = 1e-3
    fit = curves.fit_curves(values, churned, l2=l2)
    # the same design, fitted by scikit-learn: mean log-loss + l2 |w|^2 <=> C = 1 / (2 n l2)
    bins = fit.bins
    design = curves._design(bins, {k: bins[k].assign(v[1]) for k, v in values.items()},
                            fit.peaks)
    model = LogisticRegression(C=1 / (2 * n * l2), tol=1e-10, max_iter=10_000)
    model.fit(design.x, (~churned).astype(int))
    ours = np.concatenate([fit.coef[k] for k in bins])
    np.testing.assert_allclose(ours, model.coef_[0], atol=2e-3)
    assert fit.intercept == pytest.approx(model.intercept_[0], abs=2e-3)


def test_points_table_ranks_like_the_binned_regression_and_scores_through_the_scorer():
    usage, tickets, churned = _step_data(seed=5)
    usage[::13] = np.nan  # missing usage gets its own points
    frame = pd.DataFrame({"id": [f"a{i}" for i in range(usage.size)], "usage": usage,
                          "tickets": tickets, "arr": 1.0,
                          "outcome": np.where(churned, "churned", "renewed")})
    config = make_config()
    values = curves.factor_values(frame, config)
    fit = curves.fit_curves(values, churned, current=curves.config_rules(config))
    assert isinstance(fit.curves["usage"].rule, StepsRule)
    assert fit.curves["usage"].missing_points is not None
    pts = fit.curves["usage"].rule.points
    assert np.all(np.diff(pts) >= 0)  # monotone by default
    assert np.all(np.diff(fit.curves["tickets"].rule.points) <= 0)
    applied = fit.apply_to(config)
    scored = score_frame(frame, applied).result.score
    through_module = curves.curve_points(fit, values, config) @ np.array(
        [fit.weights[n] for n in config.factor_names]) / 100
    np.testing.assert_allclose(scored, through_module, atol=1e-6)
    rho = spearmanr(scored, fit.log_odds(values)).statistic
    assert rho > 0.999
    assert headroom._auc(scored, churned) == pytest.approx(
        headroom._auc(fit.log_odds(values), churned), abs=2e-3)


def test_bin_tables_count_accounts_and_churn_like_a_groupby():
    usage, tickets, churned = _step_data(seed=9)
    usage[::11] = np.nan
    rng = np.random.default_rng(9)
    plan = rng.choice(["a", "b", "c", None], usage.size).astype(object)
    values = {"usage": ("numeric", usage), "tickets": ("numeric", tickets),
              "plan": ("category", plan),
              "flag": ("boolean", np.where(rng.random(usage.size) < 0.1, np.nan,
                                           (rng.random(usage.size) < 0.5).astype(float)))}
    fit = curves.fit_curves(values, churned, l2=1e-3)
    for name, curve in fit.curves.items():
        table = curve.table
        assert list(table.columns) == ["factor", "bin", "from", "points", "accounts",
                                       "churn_rate"]
        assert (table["factor"] == name).all()
        idx = fit.bins[name].assign(values[name][1])
        groups = pd.DataFrame({"bin": idx, "churned": churned}).groupby("bin")["churned"]
        order = [*range(fit.bins[name].n_bins)] + ([-1] if fit.bins[name].has_missing else [])
        assert table["accounts"].tolist() == groups.size().reindex(order, fill_value=0).tolist()
        np.testing.assert_allclose(table["churn_rate"], groups.mean().reindex(order),
                                   equal_nan=True)
        assert table["accounts"].sum() == usage.size
        assert (table["bin"].iloc[-1] == curves.MISSING) == fit.bins[name].has_missing


def test_accepting_one_curve_changes_only_that_factor():
    usage, tickets, churned = _step_data(seed=6)
    frame = pd.DataFrame({"id": [f"a{i}" for i in range(usage.size)], "usage": usage,
                          "tickets": tickets, "arr": 1.0,
                          "outcome": np.where(churned, "churned", "renewed")})
    config = make_config()
    fit = curves.fit_curves(curves.factor_values(frame, config), churned)
    one = fit.apply_to(config, ["usage"])
    assert one.factors[0].rule == fit.curves["usage"].rule
    assert one.factors[1] == config.factors[1]
    assert [f.weight for f in one.factors] == [f.weight for f in config.factors]
    with pytest.raises(ValueError, match="unknown factor"):
        config.with_rule("nope", fit.curves["usage"].rule)


@pytest.mark.slow
def test_headroom_reference_beats_a_draft_that_ignores_the_signal():
    usage, tickets, churned = _step_data(n=900, seed=7)
    frame = pd.DataFrame({"id": [f"a{i}" for i in range(usage.size)], "usage": usage,
                          "tickets": tickets, "arr": 1.0,
                          "outcome": np.where(churned, "churned", "renewed")})
    config = make_config(factors=[
        {"name": "usage", "column": "usage", "weight": 5,
         "rule": {"kind": "linear", "lo": 0, "hi": 100}},
        {"name": "tickets", "column": "tickets", "weight": 95, "direction": "higher_is_better",
         "rule": {"kind": "linear", "lo": 0, "hi": 10}}])  # tickets the wrong way round
    scored = score_frame(frame, config)
    out = headroom.headroom(curves.factor_values(frame, config), scored.matrix.points,
                            churned, scored.result.score, config, folds=3)
    assert out["auc"]["draft"] < 0.6 < out["auc"]["binned_logistic"]
    assert out["captured"] < 0.5
    assert "ranking signal" in out["sentence"]


@pytest.mark.slow
def test_bench_headroom_prints_every_model_on_the_same_split(tmp_path, capsys):
    import json

    from calibration.cli import main

    usage, tickets, churned = _step_data(n=1500, seed=8)
    frame = pd.DataFrame({"id": [f"a{i}" for i in range(usage.size)], "usage": usage,
                          "tickets": tickets, "arr": 1.0,
                          "outcome": np.where(churned, "churned", "renewed")})
    data = tmp_path / "accounts.csv"
    frame.to_csv(data, index=False)
    config = tmp_path / "config.json"
    config.write_text(make_config().to_json())
    assert main(["bench", "--headroom", "--dataset", str(data), str(config),
                 "--format", "json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["split"].startswith("random holdout")
    assert result["n_test"] == pytest.approx(0.3 * 1500, abs=2)
    assert set(result["auc"]) == set(headroom.MODELS)
    assert abs(result["gap_to_binned_logistic"]) < 0.01
    assert result["auc"]["binned_logistic"] > result["auc"]["draft"] - 0.01


# --------------------------------------------------------------------------- properties
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(40, 400),
       missing=st.sampled_from([0.0, 0.3, 1.0]), constant=st.booleans(),
       hostile=st.booleans())
def test_curves_survive_hostile_columns_and_keep_their_promises(seed, n, missing, constant,
                                                                 hostile):
    rng = np.random.default_rng(seed)
    usage = np.full(n, 7.0) if constant else rng.lognormal(2, 2, n)
    if hostile:
        usage[rng.random(n) < 0.05] = np.inf  # the scorer gives it the top step's points
    usage[rng.random(n) < missing] = np.nan
    plan = rng.choice(["a", "b", " A ", "ünï", None], n).astype(object)
    churned = rng.random(n) < 0.3
    churned[:2] = [True, False]
    values = {"usage": ("numeric", curves.read_values(pd.Series(usage), "numeric")),
              "plan": ("category", curves.read_values(pd.Series(plan), "category")),
              "flag": ("boolean", curves.read_values(pd.Series(rng.random(n) < 0.5),
                                                     "boolean"))}
    fit = curves.fit_curves(values, churned, l2=1e-3)
    assert sum(fit.weights.values()) == pytest.approx(100.0) or all(
        w == 0 for w in fit.weights.values())
    usage_curve = fit.curves["usage"]
    if usage_curve.rule is not None:
        points = np.asarray(usage_curve.rule.points)
        assert len(points) <= 6  # the documented limits (README), not the module's constants
        assert ((points >= 0) & (points <= 100)).all()
        diffs = np.diff(points)
        if usage_curve.shape == "increasing":
            assert (diffs >= -1e-9).all()
        if usage_curve.shape == "decreasing":
            assert (diffs <= 1e-9).all()
        idx = fit.bins["usage"].assign(values["usage"][1])
        known = idx[idx >= 0]
        assert (np.bincount(known) >= 0.05 * known.size - 1e-9).all()


def test_curve_check_reports_rising_progress_and_stops_when_it_raises():
    usage, tickets, churned = _step_data(n=600, seed=3)
    frame = pd.DataFrame({"id": [f"a{i}" for i in range(usage.size)], "usage": usage,
                          "tickets": tickets, "arr": 1.0,
                          "outcome": np.where(churned, "churned", "renewed")})
    config = make_config()
    scored = score_frame(frame, config)
    values = curves.factor_values(frame, config)
    train = np.arange(usage.size) < 400
    args = (values, scored.matrix.points, churned, scored.result.score, config, train, ~train)
    seen: list[float] = []
    followed = headroom.curve_check(*args, folds=3, progress=seen.append)
    assert followed == headroom.curve_check(*args, folds=3)  # progress changes nothing
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 3 * 10

    class Stop(Exception):
        pass

    def stop_at_the_first_report(share: float) -> None:
        if share > 0:
            raise Stop

    with pytest.raises(Stop):
        headroom.curve_check(*args, folds=3, progress=stop_at_the_first_report)
    fit_seen: list[float] = []
    fit = curves.fit_curves(values, churned, folds=3, progress=fit_seen.append)
    assert fit.weights == curves.fit_curves(values, churned, folds=3).weights
    assert fit_seen == sorted(fit_seen) and fit_seen[-1] == 1.0
    assert len(fit_seen) == len(curves.L2_GRID) * 3 + 1


@settings(max_examples=60, deadline=None)
@given(picks=st.lists(st.integers(0, 9), max_size=300),
       ranked=st.booleans())
def test_category_bins_assign_like_a_lookup_per_value(picks, ranked):
    """Distinct texts looked up once equal a dictionary lookup per value, whatever the
    missing values (None: missing; NaN, pd.NA: unknown, i.e. "other") or non-text values."""
    pool = ["gold", "silver", "bronze", "tin", "unseen", None, np.nan, pd.NA, 7, "Gold"]
    values = np.array([pool[i] for i in picks], dtype=object)
    current = MappingRule(points={"gold": 100, "silver": 50, "bronze": 0}) if ranked else None
    train = np.array(["gold"] * 50 + ["silver"] * 40 + ["bronze"] * 30 + ["tin"] * 2,
                     dtype=object)
    bins = curves.fit_bins("category", train, np.arange(train.size) % 3 == 0,
                           current=current)
    lookup = {c: i for i, members in enumerate(bins.categories) for c in members}
    expected = [-1 if v is None else lookup.get(v, lookup.get(curves.OTHER, -1))
                for v in values]
    assert bins.assign(values).tolist() == expected
    texts = values[[isinstance(v, str) or v is None for v in values]]
    assert bins.assign(texts).tolist() == [e for v, e in zip(values, expected, strict=True)
                                           if isinstance(v, str) or v is None]
