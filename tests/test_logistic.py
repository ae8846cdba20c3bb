"""The box-constrained ridge logistic regression (calibration.logistic) checked against
independent fits: scikit-learn's Newton-Cholesky where no bound holds (or with the held
coefficients' columns dropped), the optimality conditions computed here, scipy's L-BFGS-B,
repeated rows for sample weights; and the cross-validated penalty of the curves against a
cross-validation done here with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize
from sklearn.linear_model import LogisticRegression

from calibration import curves, logistic
from calibration.fitting.out_of_sample import _folds


def _data(n=3000, p=8, seed=0, binary=True):
    rng = np.random.default_rng(seed)
    x = (rng.random((n, p)) < 0.4).astype(float) if binary else rng.normal(size=(n, p))
    beta = np.linspace(-1.2, 1.2, p)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.5 + x @ beta)))).astype(float)
    return x, y


def _sklearn(x, y, l2, sample_weight=None):
    """Mean log-loss + l2 |beta|^2 <=> C = 1 / (2 n l2) (n = the weights' sum)."""
    n = y.size if sample_weight is None else float(np.sum(sample_weight))
    model = LogisticRegression(C=1 / (2 * n * l2), solver="newton-cholesky", tol=1e-14,
                               max_iter=1000)
    model.fit(x, y.astype(int), sample_weight=sample_weight)
    return np.r_[model.intercept_, model.coef_[0]]


def _kkt_gap(x, y, bounds, l2, w):
    """Largest violation of the optimality conditions, computed without the module."""
    z = w[0] + x @ w[1:]
    g = np.r_[np.mean(1 / (1 + np.exp(-z)) - y), x.T @ (1 / (1 + np.exp(-z)) - y) / y.size
              + 2 * l2 * w[1:]]
    lo = np.array([-np.inf] + [-np.inf if b[0] is None else b[0] for b in bounds])
    hi = np.array([np.inf] + [np.inf if b[1] is None else b[1] for b in bounds])
    assert (w >= lo).all() and (w <= hi).all()
    return float(np.max(np.abs(np.where((w <= lo) & (g > 0) | (w >= hi) & (g < 0), 0, g))))


@pytest.mark.parametrize("l2", [1e-4, 1e-3, 1e-2])
def test_unconstrained_fit_equals_scikit_learn(l2):
    x, y = _data(binary=False)
    ours = logistic.fit_newton(x, y, [(None, None)] * x.shape[1], l2)
    np.testing.assert_allclose(ours, _sklearn(x, y, l2), atol=1e-7)


def test_held_coefficients_stay_at_their_bound_and_the_rest_is_the_reduced_fit():
    x, y = _data(seed=1)
    # the true effects run from -1.2 to 1.2: forcing the first four >= 0 holds some at 0
    bounds = [(0.0, None)] * 4 + [(None, None)] * 4
    l2 = 1e-3
    ours = logistic.fit_newton(x, y, bounds, l2)
    held = np.flatnonzero(ours[1:] == 0.0)
    assert held.size >= 2 and _kkt_gap(x, y, bounds, l2, ours) < 1e-12
    # independent: scikit-learn on the design without the held columns gives the rest
    keep = np.setdiff1d(np.arange(x.shape[1]), held)
    reduced = _sklearn(x[:, keep], y, l2)
    np.testing.assert_allclose(np.r_[ours[0], ours[1:][keep]], reduced, atol=1e-7)
    # and scipy's L-BFGS-B on the same objective agrees to its own (looser) accuracy
    n = y.size

    def fun(w):
        z = w[0] + x @ w[1:]
        r = 1 / (1 + np.exp(-z)) - y
        return (np.mean(np.logaddexp(0, z) - y * z) + l2 * w[1:] @ w[1:],
                np.r_[r.mean(), x.T @ r / n + 2 * l2 * w[1:]])

    other = optimize.minimize(fun, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B",
                              bounds=[(None, None), *bounds],
                              options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000}).x
    np.testing.assert_allclose(ours, other, atol=1e-5)


def test_upper_bounds_and_the_first_solver_agree():
    x, y = _data(seed=2)
    bounds = [(None, 0.0)] * 4 + [(0.0, None)] * 2 + [(None, None)] * 2
    ours = logistic.fit_newton(x, y, bounds, 1e-4)
    assert _kkt_gap(x, y, bounds, 1e-4, ours) < 1e-12
    # TNC (the solver used before) stops ~1e-5 from the optimum
    np.testing.assert_allclose(ours, logistic.fit_tnc(x, y, bounds, 1e-4), atol=1e-4)


def test_sample_weights_count_like_repeated_rows():
    x, y = _data(n=800, seed=3)
    counts = np.random.default_rng(3).integers(1, 4, y.size)
    bounds = [(0.0, None)] * 4 + [(None, None)] * 4
    weighted = logistic.fit_newton(x, y, bounds, 1e-3, sample_weight=counts)
    repeated = logistic.fit_newton(np.repeat(x, counts, axis=0), np.repeat(y, counts), bounds,
                                   1e-3)
    np.testing.assert_allclose(weighted, repeated, atol=1e-9)
    free = logistic.fit_newton(x, y, [(None, None)] * 8, 1e-3, sample_weight=counts)
    np.testing.assert_allclose(free, _sklearn(x, y, 1e-3, sample_weight=counts), atol=1e-7)


def test_a_warm_start_reaches_the_same_optimum():
    x, y = _data(seed=4)
    bounds = [(0.0, None)] * 4 + [(None, None)] * 4
    cold = logistic.fit_newton(x, y, bounds, 1e-2)
    for start in (logistic.fit_newton(x, y, bounds, 1e-4), np.full(9, -3.0), np.full(9, 5.0)):
        np.testing.assert_allclose(logistic.fit_newton(x, y, bounds, 1e-2, start=start), cold,
                                   atol=1e-10)


def test_a_failed_newton_step_hands_over_to_tnc(monkeypatch):
    x, y = _data(seed=5)
    bounds = [(0.0, None)] * 4 + [(None, None)] * 4

    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("not positive definite")

    expected = logistic.fit_newton(x, y, bounds, 1e-3)
    monkeypatch.setattr(logistic.linalg, "solve", broken)
    np.testing.assert_allclose(logistic.fit_newton(x, y, bounds, 1e-3), expected, atol=1e-4)


def test_design_with_empty_and_constant_columns():
    x, y = _data(n=500, seed=6)
    x[:, 2] = 0.0  # a bin nobody is in
    x[:, 3] = 1.0  # a bin everybody is in (collinear with the intercept: the ridge decides)
    bounds = [(0.0, None)] * 8
    w = logistic.fit_newton(x, y, bounds, 1e-4)
    assert w[3] == 0.0 and _kkt_gap(x, y, bounds, 1e-4, w) < 1e-12
    assert logistic.fit_newton(np.zeros((500, 0)), y, [], 1e-3) == pytest.approx(
        [np.log(y.mean() / (1 - y.mean()))], abs=1e-12)


def test_curves_penalty_is_chosen_like_an_independent_cross_validation():
    """Unranked categories are free (one-hot) columns: each fold's fit is scikit-learn's,
    so the cross-validated log-loss per penalty can be computed without the module."""
    rng = np.random.default_rng(7)
    n = 2500
    plan = rng.choice(list("abcdefgh"), n).astype(object)
    region = rng.choice(["n", "s", "e"], n).astype(object)
    effect = dict(zip("abcdefgh", [0.0, 0.9, -0.7, 0.3, 0.05, -0.1, 0.2, -0.3], strict=True))
    logit = 1.0 + np.vectorize(effect.get)(plan) + 0.4 * (region == "s")
    churned = rng.random(n) < 1 / (1 + np.exp(logit))
    values = {"plan": ("category", plan), "region": ("category", region)}
    fit = curves.fit_curves(values, churned, folds=4, seed=3)
    design = curves._design(fit.bins, {k: fit.bins[k].assign(v[1]) for k, v in values.items()},
                            fit.peaks)
    assert all(b == (None, None) for b in design.bounds)
    y = (~churned).astype(float)
    fold = _folds(churned, 4, 3)
    losses = []
    for l2 in curves.L2_GRID:
        loss = 0.0
        for f in range(4):
            w = _sklearn(design.x[fold != f], y[fold != f], l2)
            z = w[0] + design.x[fold == f] @ w[1:]
            loss += np.sum(np.logaddexp(0, z) - y[fold == f] * z)
        losses.append(loss)
    assert fit.l2 == curves.L2_GRID[int(np.argmin(losses))]
    assert min(losses) < max(losses) - 1e-6  # the choice is not a tie
    expected = _sklearn(design.x, y, fit.l2)
    np.testing.assert_allclose(np.concatenate([fit.coef[k] for k in fit.bins]), expected[1:],
                               atol=1e-7)
    assert fit.intercept == pytest.approx(expected[0], abs=1e-7)


def test_a_penalty_path_equals_a_cold_fit_per_penalty(monkeypatch):
    x, y = _data(seed=8)
    bounds = [(0.0, None)] * 4 + [(None, 0.0)] * 2 + [(None, None)] * 2
    path = list(logistic.newton_path(x, y, bounds, curves.L2_GRID))
    assert len(path) == len(curves.L2_GRID)
    for l2, w in zip(curves.L2_GRID, path, strict=True):
        assert _kkt_gap(x, y, bounds, l2, w) < 1e-12
        np.testing.assert_allclose(w, logistic.fit_newton(x, y, bounds, l2), atol=1e-10)
    # a step that fails on the second penalty hands that one to TNC; the path goes on
    real, solves = logistic.linalg.solve, []
    counting = logistic.newton_path(x, y, bounds, curves.L2_GRID)
    monkeypatch.setattr(logistic.linalg, "solve", lambda *a, **k: solves.append(1) or real(*a, **k))
    next(counting)
    first = len(solves)  # the first penalty's Newton steps
    calls, tnc = [], []

    def fails_on_the_second_penalty(*args, **kwargs):
        calls.append(1)
        if len(calls) == first + 1:
            raise np.linalg.LinAlgError("not positive definite")
        return real(*args, **kwargs)

    real_tnc = logistic.fit_tnc
    monkeypatch.setattr(logistic.linalg, "solve", fails_on_the_second_penalty)
    monkeypatch.setattr(logistic, "fit_tnc", lambda *a, **k: tnc.append(a[3]) or real_tnc(*a, **k))
    again = list(logistic.newton_path(x, y, bounds, curves.L2_GRID))
    assert tnc == [curves.L2_GRID[1]]
    np.testing.assert_allclose(again[0], path[0], atol=0)
    np.testing.assert_allclose(np.array(again[1:]), np.array(path[1:]), atol=1e-4)
