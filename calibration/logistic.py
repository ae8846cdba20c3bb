"""Ridge logistic regression of renewal with box-constrained coefficients.

One problem, two solvers: minimise the (weighted) mean log-loss + ``l2 * |beta|^2`` (the
intercept free and unpenalised) subject to per-coefficient bounds (the sign constraints that
keep a fitted points curve monotone or unimodal, see :mod:`calibration.curves`).

- :func:`fit_newton`: projected Newton with the exact Hessian (free coefficients take a
  Newton step, those held at a bound by the gradient stay there, a projected backtracking
  line search). The problem is convex (strictly, for ``l2 > 0``), so it reaches the optimum
  in a handful of iterations and converges much tighter (projected gradient <=
  :data:`TOLERANCE`) than the quasi-Newton solver; it can start from a nearby solution (a
  warm start along a penalty path). If a step ever fails to decrease the loss it hands the
  problem to :func:`fit_tnc` from where it got.
- :func:`fit_tnc`: scipy's truncated Newton (TNC) with finite-difference Hessian products,
  the solver this project used first (~300 loss evaluations per fit).

Both take the design without the intercept column; never imports streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np
from scipy import linalg, optimize, special
from scipy.linalg import blas

__all__ = ["TOLERANCE", "fit_newton", "fit_tnc", "newton_path"]

TOLERANCE = 1e-12
"""Largest projected-gradient entry at which :func:`fit_newton` stops (the gradient of the
mean log-loss; its rounding noise is ~1e-15)."""
MAX_ITER = 100
SETTLED = 1e-14
"""A Newton step whose predicted decrease of the loss is below this is taken in full (the
loss, ~0.5, cannot show it: its rounding is ~1e-16 per row summed)."""
GIVE_UP = 1e-8
"""A line search that cannot decrease the loss with the projected gradient still above this
is a failed Newton step (handed to TNC); below it the point is optimal to rounding."""


def _arrays(x: np.ndarray, y: np.ndarray, bounds: list,
            sample_weight: np.ndarray | None) -> tuple[np.ndarray, ...]:
    n, p = x.shape
    xi = np.empty((n, p + 1))
    xi[:, 0] = 1.0
    xi[:, 1:] = x
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    sw = sw / sw.mean()
    lo = np.array([-np.inf] + [-np.inf if b[0] is None else b[0] for b in bounds], float)
    hi = np.array([np.inf] + [np.inf if b[1] is None else b[1] for b in bounds], float)
    return xi, np.asarray(y, float), sw, lo, hi


def _start(y: np.ndarray, sw: np.ndarray, p: int) -> np.ndarray:
    prior = np.clip(np.average(y, weights=sw), 1e-6, 1 - 1e-6)
    return np.r_[math.log(prior / (1 - prior)), np.zeros(p)]


def fit_tnc(x: np.ndarray, y: np.ndarray, bounds: list, l2: float,
            sample_weight: np.ndarray | None = None, start: np.ndarray | None = None
            ) -> np.ndarray:
    """Minimises the (weighted) mean log-loss + l2 * |beta|^2 (intercept free, unpenalised)
    by truncated Newton (scipy TNC; L-BFGS-B gives the same optimum ~10x slower here).
    ``start``: initial [intercept, beta] (default: the base rate, zero coefficients).
    Returns [intercept, beta]."""
    n, p = x.shape
    xi = np.column_stack([np.ones(n), x])
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    sw = sw / sw.mean()

    def fun(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = xi @ w
        loss = np.mean(sw * (np.logaddexp(0, z) - y * z)) + l2 * np.sum(w[1:] ** 2)
        grad = xi.T @ (sw * (special.expit(z) - y)) / n
        grad[1:] += 2 * l2 * w[1:]
        return float(loss), grad

    w0 = _start(np.asarray(y, float), sw, p) if start is None else np.asarray(start, float)
    result = optimize.minimize(fun, w0, jac=True, method="TNC",
                               bounds=[(None, None), *bounds],
                               options={"maxfun": 5000, "ftol": 1e-12, "gtol": 1e-9})
    return result.x


def fit_newton(x: np.ndarray, y: np.ndarray, bounds: list, l2: float,
               sample_weight: np.ndarray | None = None, start: np.ndarray | None = None
               ) -> np.ndarray:
    """The same problem as :func:`fit_tnc`, solved by projected Newton (see the module
    docstring). ``start``: a warm start (clipped into the bounds). Returns [intercept, beta]."""
    return next(newton_path(x, y, bounds, [l2], sample_weight, start))


def newton_path(x: np.ndarray, y: np.ndarray, bounds: list, penalties: Iterable[float],
                sample_weight: np.ndarray | None = None, start: np.ndarray | None = None
                ) -> Iterator[np.ndarray]:
    """:func:`fit_newton` for each penalty in turn, each fit starting from the previous
    one's optimum (a warm start), on one copy of the design; yields [intercept, beta] per
    penalty, each fitted when asked for."""
    xi, yv, sw, lo, hi = _arrays(x, y, bounds, sample_weight)
    p = xi.shape[1]
    w = _start(yv, sw, p - 1) if start is None else np.asarray(start, float)
    scaled = np.empty_like(xi)  # the Hessian's rows, reused by every iteration
    for l2 in penalties:
        pen = np.r_[0.0, np.full(p - 1, 2.0 * l2)]
        w, optimal = _newton(xi, yv, sw, lo, hi, pen, np.clip(w, lo, hi), scaled)
        if not optimal:  # a failed Newton step: TNC from where it got
            w = fit_tnc(x, y, bounds, l2, sample_weight, start=w)
        yield w


def _newton(xi: np.ndarray, yv: np.ndarray, sw: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            pen: np.ndarray, w: np.ndarray, scaled: np.ndarray) -> tuple[np.ndarray, bool]:
    """Projected Newton from ``w``: (the optimum, True), or (the point it got to, False)
    after a failed step."""
    n = yv.size

    def loss(w_: np.ndarray) -> tuple[float, np.ndarray]:
        z_ = xi @ w_
        value = np.sum(sw * (np.logaddexp(0, z_) - yv * z_)) / n + 0.5 * (pen @ (w_ * w_))
        return float(value), z_

    f, z = loss(w)
    for _ in range(MAX_ITER):
        s = special.expit(z)
        g = xi.T @ (sw * (s - yv)) / n + pen * w
        free = ~(((w <= lo) & (g > 0)) | ((w >= hi) & (g < 0)))
        gap = float(np.max(np.abs(g[free]), initial=0.0))
        if gap <= TOLERANCE:
            return w, True
        # upper triangle of the Hessian on every column (no copy of the free columns: the
        # product costs less than the copy), then its free rows and columns
        np.multiply(xi, np.sqrt(sw * s * (1 - s) / n)[:, None], out=scaled)
        h = blas.dsyrk(1.0, scaled.T)
        h[np.diag_indices_from(h)] += pen
        if not free.all():
            h = h[np.ix_(free, free)]
        step = np.zeros_like(w)
        try:
            step[free] = -linalg.solve(h, g[free], assume_a="pos", lower=False,
                                       check_finite=False)
        except (linalg.LinAlgError, ValueError):
            break
        # near the optimum the loss cannot show the (quadratically small) decrease of a
        # Newton step: then the full step is taken as it is
        t, settled = 1.0, -float(g @ step) <= SETTLED
        while t > 1e-10:
            w_new = np.clip(w + t * step, lo, hi)
            f_new, z_new = loss(w_new)
            if settled or f_new <= f + 1e-4 * min(float(g @ (w_new - w)), 0.0):
                break
            t *= 0.5
        else:  # no decrease along the step: optimal to rounding, or a failed step
            if gap <= GIVE_UP:
                return w, True
            break
        w, f, z = w_new, f_new, z_new
    return w, False
