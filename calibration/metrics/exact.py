"""The KS p-value and the one-variable logit as ``scipy.stats`` and ``statsmodels`` compute
them, without importing either (together ~1.3 s of a short command's start-up).

Both repeat the reference computation operation for operation, so the numbers are the same
bits, not just close: ``tests/test_metrics_exact.py`` compares them with
``scipy.stats.ks_2samp`` and ``statsmodels`` ``Logit`` on many samples. Only the logit's
p-value uses ``scipy.special`` (``ndtr``), imported when one is asked for: the CLI's text
report prints no p-value and so never imports scipy (~0.2 s).
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np

KS_EXACT_MAX_N = 10_000
"""As ``scipy.stats.ks_2samp(method="auto")``: the exact p-value up to this many per sample."""

KS_PYTHON_MAX_CELLS = 1_500_000
"""The most path-table cells the exact sums visit in Python in one process (~0.25 s; the
demo's overall sum is 345k, its segments' smaller). Past that, scipy's compiled loop
computes them: its import (~0.6 s, once per process) then costs less than going on in
Python (sums of 0.1-1 s each: the benchmark runs one per weight change at 10k accounts)."""

Z_975 = 1.959963984540054
"""``scipy.special.ndtri(1 - 0.05 / 2)``, the normal quantile of statsmodels' 95% intervals
(the same bits: tests/test_metrics_exact.py)."""

_python_cells = [0]  # cells the exact sums of this process have visited in Python


def ks_outside_square(n: int, h: int) -> float:
    """P(D >= h / n) for two samples of ``n`` each (two-sided, exact).

    The alternating sum 2 (C(2n, n-h) - C(2n, n-2h) + ...) / C(2n, n), each term divided by
    C(2n, n) and nested (Horner form), evaluated in the same order as scipy's
    ``_compute_prob_outside_square``.
    """
    total = 0.0
    for k in range(n // h, -1, -1):
        term = 1.0
        for j in range(h):
            term = (n - k * h - j) * term / (n + k * h + j + 1)
        total = term * (1.0 - total)
    return 2 * total


def ks_outside_band(m: int, n: int, g: int, h: int) -> float:
    """Share of the lattice paths from (0, 0) to (m, n) that leave the band
    ``|x/m - y/n| < h / lcm(m, n)`` (two-sided exact KS p-value, unequal sizes).

    One column of the path table at a time, holding for each cell the share of paths that
    have already left the band (Viehmann's recursion for 1 - p, arXiv:2102.08037), in the
    order of scipy's compiled ``_compute_outer_prob_inside_method``. ``g`` = gcd(m, n).
    """
    if m < n:
        m, n = n, m
    mg, ng = m // g, n // g
    low, high = 0, min(-(-h // mg), n + 1)
    width = high - low
    column = [1.0] * min(2 * high + 2, n + 1)
    for j in range(low, high):
        column[j] = 0.0
    for i in range(1, m + 1):
        last_low, last_width = low, width
        low = min(max((ng * i - h) // mg + 1, 0), n)
        high = min(-(-(ng * i + h) // mg), n + 1)
        if high <= low:
            return 1.0
        value = 0.0 if low == 0 else 1.0
        shift = low - last_low
        for offset in range(high - low):
            j = offset + low
            value = (column[offset + shift] * i + value * j) / (i + j)
            column[offset] = value
        width = high - low
        for k in range(width, last_width):  # cells that slid out of the band: all left it
            column[k] = 1.0
    return column[high - low - 1]


def ks_python_cells(n1: int, n2: int, g: int, h: int) -> int:
    """About how many cells the exact sum visits for sizes ``n1``, ``n2`` (gcd ``g``) and
    ``h`` = D * lcm: a column of ~2h/(m/g) cells per step of the larger sample (the
    equal-size sum, :func:`ks_outside_square`, only ~n)."""
    return max(n1, n2) if n1 == n2 else max(n1, n2) + 2 * h * g


def ks_p_value(n1: int, n2: int, d: float, values: np.ndarray, counts1: np.ndarray,
               counts2: np.ndarray, use_scipy: bool | None = None) -> float:
    """Two-sided KS p-value for sample sizes ``n1``, ``n2`` and statistic ``d``, as
    ``scipy.stats.ks_2samp(method="auto")`` gives it for the samples ``values`` repeated
    ``counts1`` / ``counts2`` times.

    The exact path runs here in Python when scipy.stats is not loaded yet and the process's
    sums stay small (a short command: importing scipy.stats costs more than the loop,
    ~60 ms at 2,000 x 400; up to :data:`KS_PYTHON_MAX_CELLS` in all); otherwise, and for
    the asymptotic case (a sample above 10,000) or when the exact sum fails, scipy computes
    it. ``use_scipy`` True / False forces either way for the exact case (tests).
    """
    if max(n1, n2) <= KS_EXACT_MAX_N and use_scipy is not True:
        g = math.gcd(n1, n2)
        lcm = (n1 // g) * n2
        h = int(np.round(d * lcm))
        if use_scipy is None:
            cells = ks_python_cells(n1, n2, g, h)
            use_scipy = ("scipy.stats" in sys.modules
                         or _python_cells[0] + cells > KS_PYTHON_MAX_CELLS)
            if not use_scipy:
                _python_cells[0] += cells
        if not use_scipy:
            if h == 0:
                return 1.0
            try:
                prob = ks_outside_square(n1, h) if n1 == n2 else ks_outside_band(n1, n2, g, h)
            except (OverflowError, ZeroDivisionError):
                prob = math.nan
            if 0 <= prob <= 1:
                return float(prob)
    return _scipy_ks_p_value(n1, n2, d, values, counts1, counts2)


def _scipy_ks_p_value(n1: int, n2: int, d: float, values: np.ndarray, counts1: np.ndarray,
                      counts2: np.ndarray) -> float:
    from scipy import stats

    if max(n1, n2) <= KS_EXACT_MAX_N:
        samples = [np.repeat(values, k) for k in (counts1, counts2)]
        return float(stats.ks_2samp(*samples, method="auto").pvalue)
    m, n = sorted([n1, n2], reverse=True)
    return float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0.0, 1.0))


class LogitFailed(Exception):
    """The Newton iteration hit a singular matrix (statsmodels raises ``LinAlgError``)."""


_PERFECT = "Perfect separation or prediction detected, parameter may not be identified"
_NOT_CONVERGED = "Maximum Likelihood optimization failed to converge. Check mle_retvals"


def logit_fit(y: np.ndarray, x: np.ndarray, maxiter: int = 100,
              p_value: bool = True) -> dict[str, object]:
    """``Logit(y, [1, x]).fit(method="newton", maxiter=maxiter, disp=0)`` of statsmodels.

    Same start (zeros), steps (Newton with a 1e-10 ridge on the Hessian's diagonal, tolerance
    1e-8 on every parameter), perfect-prediction check after each step, covariance (inverse
    of the final Hessian) and normal-theory interval and p-value, computed with the same
    numpy operations; warnings it would emit are emitted (perfect prediction, no
    convergence, numpy's floating-point warnings).

    Returns
    -------
    dict
        ``params`` (intercept, slope), ``ci`` (95% interval of the slope), ``z`` (the
        slope's Wald statistic, slope / standard error), ``p_value`` (of the slope; None
        when ``p_value`` is False), ``converged``. Raises :class:`LogitFailed` on a singular
        matrix.
    """
    endog = np.asarray(y, dtype=np.float64)
    exog = np.column_stack([np.ones_like(x), x])
    nobs = endog.shape[0]

    def mean(params: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(np.dot(exog, params) + 0.0)))

    def neg_score(params: np.ndarray) -> np.ndarray:
        return -np.dot(endog - mean(params), exog) / nobs

    def neg_hessian(params: np.ndarray) -> np.ndarray:
        fitted = mean(params)
        return np.dot(fitted * (1 - fitted) * exog.T, exog) / nobs  # -(-H): exact

    def neg_loglike(params: np.ndarray) -> float:
        q = 2 * endog - 1
        return -np.sum(np.log(1 / (1 + np.exp(-(q * (np.dot(exog, params) + 0.0)))))) / nobs

    try:
        iterations = 0
        old: np.ndarray | float = np.inf
        new = np.asarray([0.0] * exog.shape[1])
        while iterations < maxiter and np.any(np.abs(new - old) > 1e-8):
            hessian = np.asarray(neg_hessian(new))
            hessian[np.diag_indices(hessian.shape[0])] += 1e-10
            old = new
            new = old - np.linalg.solve(hessian, neg_score(old))
            if np.allclose(mean(new) - endog, 0):
                warnings.warn(_PERFECT, RuntimeWarning, stacklevel=2)
            iterations += 1
        neg_loglike(new)
        neg_loglike(new)  # statsmodels evaluates it twice (its warnings, if any, twice)
        neg_score(new)
        cov = np.linalg.inv(neg_hessian(new)) / nobs
    except np.linalg.LinAlgError as error:
        raise LogitFailed(str(error)) from None
    converged = iterations != maxiter
    if not converged:
        warnings.warn(_NOT_CONVERGED, RuntimeWarning, stacklevel=2)
    params = new
    cov = cov * 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bse = np.sqrt(np.diag(cov))
    lower, upper = params - Z_975 * bse, params + Z_975 * bse
    p = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        z = params / bse
        if p_value:
            from scipy import special

            p = (special.ndtr(-np.abs(z)) * 2)[1]
    return {"params": params, "ci": (lower[1], upper[1]), "z": z[1], "p_value": p,
            "converged": converged}
