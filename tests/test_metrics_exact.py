"""calibration.metrics.exact gives the very numbers of scipy.stats.ks_2samp and statsmodels'
Logit (same bits, same warnings), and alarms' ranks are scipy.stats.rankdata's."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels.discrete.discrete_model import Logit

from calibration import metrics
from calibration.alarms import _average_ranks
from calibration.metrics import exact


def _ks_cases():
    rng = np.random.default_rng(14)
    cases = [(5, 5, 1), (1, 1, 3), (7, 3, 10), (30, 30, 5), (376, 2007, 40)]
    for trial in range(120):
        n1 = int(rng.integers(1, 300))
        n2 = n1 if trial % 4 == 0 else int(rng.integers(1, 2500))
        cases.append((n1, n2, int(rng.integers(2, 60))))
    return cases


@pytest.mark.parametrize(("n1", "n2", "levels"), _ks_cases())
def test_ks_p_value_is_scipys(n1, n2, levels):
    rng = np.random.default_rng(n1 * 10_007 + n2)
    a = rng.integers(0, levels, n1).astype(float)
    b = rng.integers(0, levels, n2).astype(float) + (rng.integers(0, 3) if levels > 1 else 0)
    ref = stats.ks_2samp(a, b, method="auto")
    values = np.unique(np.r_[a, b])
    counts = [np.array([(x == v).sum() for v in values]) for x in (a, b)]
    d = float(ref.statistic)
    mine = exact.ks_p_value(n1, n2, d, values, *counts, use_scipy=False)
    assert mine == ref.pvalue  # the same bits, not just close
    assert exact.ks_p_value(n1, n2, d, values, *counts, use_scipy=True) == ref.pvalue


def test_ks_p_value_of_the_metrics_is_scipys_on_scores():
    rng = np.random.default_rng(3)
    score = rng.uniform(0, 100, 2400).round(1)
    churned = rng.random(2400) < 0.15 + 0.2 * (score < 40)
    ref = stats.ks_2samp(score[churned], score[~churned])
    assert metrics.ks(score, churned)["p_value"] == ref.pvalue
    values, inverse = np.unique(score, return_inverse=True)
    counts = [np.bincount(inverse[mask], minlength=values.shape[0])
              for mask in (churned, ~churned)]
    assert exact.ks_p_value(int(churned.sum()), int((~churned).sum()), ref.statistic, values,
                            *counts, use_scipy=False) == ref.pvalue


def test_ks_square_and_band_agree_where_both_apply():
    # equal sizes: the closed form and the path count are two different computations
    for n, h in [(10, 3), (50, 7), (200, 31), (999, 100)]:
        assert exact.ks_outside_square(n, h) == pytest.approx(
            exact.ks_outside_band(n, n, n, h), rel=1e-10)


def _logit_cases():
    rng = np.random.default_rng(15)
    cases = []
    for _ in range(40):
        n = int(rng.integers(20, 4000))
        x = np.round(rng.uniform(0, 100, n), int(rng.integers(0, 4)))
        y = rng.random(n) < 1 / (1 + np.exp(rng.normal(0, 0.1) * (x - 50) + rng.normal()))
        if 0 < y.sum() < n:
            cases.append((x, y.astype(float)))
    # hard ones: a near-separation that overflows exp, one that does not converge
    x = np.r_[np.arange(1000.0), 500.5]
    cases.append((x, np.r_[(np.arange(1000) < 500).astype(float), 0.0]))
    cases.append((np.r_[np.zeros(1000), np.full(3, 100.0)],
                  np.r_[np.zeros(999), 1.0, np.ones(3)]))
    x = np.linspace(0, 100, 5000)
    y = (x < 50).astype(float)
    y[2499:2501] = 1 - y[2499:2501]
    cases.append((x, y))
    return cases


def _messages(caught) -> list[str]:
    return sorted({str(w.message).splitlines()[0] for w in caught})


@pytest.mark.parametrize("case", range(len(_logit_cases())))
def test_logit_fit_is_statsmodels(case):
    x, y = _logit_cases()[case]
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        fit = Logit(y, np.column_stack([np.ones_like(x), x])).fit(disp=0, maxiter=100)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        mine = exact.logit_fit(y, x, maxiter=100)
    assert list(mine["params"]) == list(fit.params)
    assert list(mine["ci"]) == list(fit.conf_int(0.05)[1])
    assert mine["p_value"] == fit.pvalues[1]
    assert mine["converged"] == fit.mle_retvals["converged"]
    assert _messages(ours) == _messages(theirs)
    # without the p-value (no scipy.special): the same fit, and z = slope / its standard
    # error, NaN exactly when the p-value is not finite (the check metrics.logit makes)
    with warnings.catch_warnings(record=True) as without_p:
        warnings.simplefilter("always")
        lean = exact.logit_fit(y, x, maxiter=100, p_value=False)
    assert lean["p_value"] is None and _messages(without_p) == _messages(theirs)
    assert list(lean["params"]) == list(mine["params"]) and lean["ci"] == mine["ci"]
    assert lean["converged"] == mine["converged"]
    assert lean["z"] == mine["z"] == fit.tvalues[1]
    assert math.isnan(lean["z"]) != math.isfinite(fit.pvalues[1])


def test_the_95_percent_normal_quantile_is_scipys():
    from scipy import special

    assert special.ndtri(1 - 0.05 / 2) == exact.Z_975


def test_metrics_logit_reports_the_statsmodels_fit():
    x, y = _logit_cases()[0]
    fit = Logit(y, np.column_stack([np.ones_like(x), x])).fit(disp=0, maxiter=100)
    res = metrics.logit(x, y.astype(bool))
    lo, hi = fit.conf_int(0.05)[1]
    assert res["coef"] == fit.params[1] and res["intercept"] == fit.params[0]
    assert res["value"] == math.exp(10 * fit.params[1])
    assert res["ci"] == [math.exp(10 * lo), math.exp(10 * hi)]
    assert res["p_value"] == fit.pvalues[1] and res["converged"] is True
    assert res["warning"] is None


def test_logit_fit_singular_matrix_is_a_failure():
    y, x = np.array([0.0, 1.0, 0.0, 1.0]), np.full(4, 5.0)  # the score adds nothing
    with pytest.raises(np.linalg.LinAlgError, match="Singular matrix"):
        Logit(y, np.column_stack([np.ones_like(x), x])).fit(disp=0, maxiter=100)
    with pytest.raises(exact.LogitFailed, match="Singular matrix"):
        exact.logit_fit(y, x)


def test_average_ranks_are_rankdata():
    rng = np.random.default_rng(4)
    for n in (0, 1, 2, 7, 500, 20_000):
        for levels in (1, 3, 100, 10**9):
            values = rng.integers(0, levels, n).astype(float)
            assert np.array_equal(_average_ranks(values), stats.rankdata(values))


def test_large_exact_ks_sums_go_to_scipys_compiled_loop(monkeypatch):
    """Without scipy.stats loaded, a small exact sum runs in Python and a large one (over
    KS_PYTHON_MAX_CELLS, seconds of Python at 1,500 x 8,500) goes to scipy; both give
    ks_2samp's p-value."""
    import sys

    rng = np.random.default_rng(3)
    calls = []
    scipy_p = exact._scipy_ks_p_value
    monkeypatch.setattr(exact, "_scipy_ks_p_value",
                        lambda *a: calls.append(a[:2]) or scipy_p(*a))
    monkeypatch.delitem(sys.modules, "scipy.stats")  # a short command's process
    monkeypatch.setattr(exact, "_python_cells", [0])
    for n1, n2, python in ((300, 70, True), (1500, 8500, False)):
        a, b = rng.integers(0, 60, n1), rng.integers(5, 70, n2)
        values = np.unique(np.concatenate([a, b]))
        counts = [np.bincount(np.searchsorted(values, x), minlength=values.size)
                  for x in (a, b)]
        d = float(stats.ks_2samp(a, b).statistic)
        g = math.gcd(n1, n2)
        cells = exact.ks_python_cells(n1, n2, g, int(np.round(d * (n1 // g) * n2)))
        assert (exact._python_cells[0] + cells <= exact.KS_PYTHON_MAX_CELLS) is python
        calls.clear()
        got = exact.ks_p_value(n1, n2, d, values, *counts)
        assert got == stats.ks_2samp(a, b, method="auto").pvalue
        assert calls == ([] if python else [(n1, n2)])


def test_exact_ks_sums_in_python_stop_at_the_process_budget(monkeypatch):
    """Repeated small sums (a benchmark, a server without scipy.stats) run in Python only
    until KS_PYTHON_MAX_CELLS cells in all; then scipy's loop, with the same p-value."""
    import sys

    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 60, 300), rng.integers(5, 70, 70)
    values = np.unique(np.concatenate([a, b]))
    counts = [np.bincount(np.searchsorted(values, x), minlength=values.size) for x in (a, b)]
    d = float(stats.ks_2samp(a, b).statistic)
    want = stats.ks_2samp(a, b, method="auto").pvalue
    calls = []
    scipy_p = exact._scipy_ks_p_value
    monkeypatch.setattr(exact, "_scipy_ks_p_value",
                        lambda *args: calls.append(1) or scipy_p(*args))
    monkeypatch.delitem(sys.modules, "scipy.stats")
    cells = exact.ks_python_cells(300, 70, math.gcd(300, 70),
                                  int(np.round(d * (300 // math.gcd(300, 70)) * 70)))
    monkeypatch.setattr(exact, "_python_cells", [exact.KS_PYTHON_MAX_CELLS - 2 * cells])
    got = [exact.ks_p_value(300, 70, d, values, *counts) for _ in range(3)]
    assert got == [want] * 3
    assert len(calls) == 1  # the third sum would pass the budget
    assert exact._python_cells[0] == exact.KS_PYTHON_MAX_CELLS


def test_evaluate_without_p_values_differs_only_in_the_p_values():
    # the CLI's text report asks for no p-value (and so never imports scipy): every other
    # number is the same
    from tests.metrics_samples import bands_of, make_sample

    samples = [make_sample(n, seed) for n, seed in [(800, 0), (60, 1), (5, 2)]]
    score, churned = make_sample(300, 3)
    samples += [(score, np.zeros(300, dtype=bool)), (np.full(300, 50.0), churned)]
    keys = ("ks", "point_biserial_r", "spearman", "logit")
    for i, (score, churned) in enumerate(samples):
        band, arr = bands_of(score), np.linspace(1_000, 50_000, score.size)
        full = metrics.evaluate(score, churned, band, arr=arr, bootstrap_resamples=50, seed=3)
        lean = metrics.evaluate(score, churned, band, arr=arr, bootstrap_resamples=50, seed=3,
                                p_values=False)
        if i == 0:  # a sample where every p-value is defined
            assert all(0 < full[key]["p_value"] < 1 for key in keys)
        for key in keys:
            assert lean[key].pop("p_value") is None
            full[key].pop("p_value")
        assert lean == full
