"""Percentile bootstrap CIs of AUC, point-biserial r and band churn rates (vectorised)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from calibration.metrics.base import (
    BAND_NAMES,
    Result,
    _check_band,
    _check_churned,
    _check_score,
    _check_score_band,
    _class_reason,
    _num,
    _ok,
    _undefined,
)

BOOTSTRAP_BIN_WIDTH = 0.1
"""Score bin width of the bootstrap when a sample has more distinct scores than bins."""
_MAX_EXACT_BINS = 1001


@dataclass(frozen=True)
class _Cells:
    """Non-empty (score bin, band) cells of one outcome, sorted by score bin."""

    count: np.ndarray  # accounts per cell
    score_bin: np.ndarray  # score bin index per cell (non-decreasing)
    band: np.ndarray  # band code per cell
    mean: np.ndarray  # mean score in cell
    mean_sq: np.ndarray  # mean squared score in cell


def _bin_keys(s: np.ndarray) -> tuple[np.ndarray, int, bool]:
    """Score bin per row, number of bins, and whether binning is exact (distinct values)."""
    values, inverse = np.unique(s, return_inverse=True)
    if values.shape[0] <= _MAX_EXACT_BINS:
        return inverse, values.shape[0], True
    n_bins = round(100 / BOOTSTRAP_BIN_WIDTH) + 1
    return np.rint(s / BOOTSTRAP_BIN_WIDTH).astype(np.int64), n_bins, False


def _cells(key: np.ndarray, b: np.ndarray, s: np.ndarray, n_bins: int) -> _Cells:
    """Aggregate rows of one outcome into (score bin, band) cells."""
    cell = key * 3 + b
    size = n_bins * 3
    count = np.bincount(cell, minlength=size)
    total = np.bincount(cell, weights=s, minlength=size)
    total_sq = np.bincount(cell, weights=s * s, minlength=size)
    nz = np.flatnonzero(count)
    cnt = count[nz].astype(np.float64)
    return _Cells(cnt, nz // 3, nz % 3, total[nz] / cnt, total_sq[nz] / cnt)


def _per_bin(draws: np.ndarray, cells: _Cells, n_bins: int) -> np.ndarray:
    """Resampled counts per score bin (R x n_bins) from per-cell draws (R x cells)."""
    out = np.zeros((draws.shape[0], n_bins))
    if cells.count.shape[0] == 0:
        return out
    starts = np.flatnonzero(np.r_[True, np.diff(cells.score_bin) > 0])
    out[:, cells.score_bin[starts]] = np.add.reduceat(draws, starts, axis=1)
    return out


def _per_band(draws: np.ndarray, cells: _Cells) -> np.ndarray:
    """Resampled counts per band (R x 3)."""
    onehot = (cells.band[:, None] == np.arange(3)[None, :]).astype(np.float64)
    return np.einsum("rc,cb->rb", draws, onehot)


def _draw(rng: np.random.Generator, cells: _Cells, n_resamples: int) -> np.ndarray:
    """Multinomial resample of cell counts with the outcome total fixed (R x cells)."""
    n = int(cells.count.sum())
    return rng.multinomial(n, cells.count / n, size=n_resamples).astype(np.float64)


def _auc_rows(renewed: np.ndarray, churned: np.ndarray) -> np.ndarray:
    """Row-wise AUC from per-bin counts (R x bins)."""
    below = np.cumsum(churned, axis=1) - churned
    u = np.einsum("ij,ij->i", renewed, below + 0.5 * churned)
    return u / (renewed.sum(axis=1) * churned.sum(axis=1))


def _r_rows(dr: np.ndarray, dc: np.ndarray, r_cells: _Cells, c_cells: _Cells) -> np.ndarray:
    """Row-wise point-biserial r from per-cell draws and cell means."""
    n1, n0 = dr.sum(axis=1), dc.sum(axis=1)
    s1 = np.einsum("rc,c->r", dr, r_cells.mean)
    s0 = np.einsum("rc,c->r", dc, c_cells.mean)
    sq = np.einsum("rc,c->r", dr, r_cells.mean_sq) + np.einsum("rc,c->r", dc, c_cells.mean_sq)
    n = n1 + n0
    var = np.maximum(sq / n - ((s1 + s0) / n) ** 2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (s1 / n1 - s0 / n0) * np.sqrt(n1 * n0) / n / np.sqrt(var)
    return np.where(var > 1e-12, r, np.nan)


def _ci(samples: np.ndarray, point: float | None, level: float) -> Result:
    """Percentile CI of finite ``samples``."""
    finite = samples[np.isfinite(samples)]
    if finite.shape[0] < 2:
        return _undefined("too few resamples where the metric is defined", ci=None, point=point)
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(finite, [tail, 100.0 - tail])
    return _ok([float(lo), float(hi)], point=point, n_defined=int(finite.shape[0]))


def bootstrap(
    score: ArrayLike,
    churned: ArrayLike,
    band: ArrayLike,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> Result:
    """Percentile bootstrap CIs for AUC, point-biserial r and each band's churn rate.

    Approach (vectorised; 1,000 resamples at N = 100,000 take well under a second):
    scored rows are aggregated into cells (score bin x band x outcome). Score bins are the
    distinct scores when there are at most 1,001 of them (results then exact), else 0.1-point
    bins on 0-100 (exact up to that rounding). Each resample draws multinomial cell counts
    with the churned and renewed totals fixed (a stratified bootstrap, equivalent to
    resampling accounts with replacement within each outcome). AUC follows from cumulative
    sums of the per-bin counts, r from per-cell score sums and sums of squares (cell means,
    exact when each cell holds one distinct score), and band churn rates from per-band
    counts (the band is kept per cell, so guardrail-capped bands stay right).

    Returns
    -------
    dict
        ``value`` (n_resamples), ``auc`` / ``point_biserial_r``: ``{"value": [lo, hi],
        "point", ...}``; ``bands``: the same per band name; ``auc_binned``, ``exact_binning``,
        ``method``, ``seed``, ``level``, ``reason``.
    """
    s = _check_score(score)
    c = _check_churned(churned, s.shape[0])
    b = _check_band(band, s.shape[0])
    _check_score_band(s, b)
    _check_bootstrap_args(n_resamples, level)
    keep = ~np.isnan(s)
    s, c, b = s[keep], c[keep], b[keep]
    reason = _class_reason(int(c.sum()), int((~c).sum()))
    if reason:
        return _undefined(reason, **_empty_bootstrap(seed, level))
    key, n_bins, exact = _bin_keys(s)
    r_cells, c_cells = _cells(key[~c], b[~c], s[~c], n_bins), _cells(key[c], b[c], s[c], n_bins)
    rng = np.random.default_rng(seed)
    dr, dc = _draw(rng, r_cells, n_resamples), _draw(rng, c_cells, n_resamples)
    point_r = _r_rows(r_cells.count[None], c_cells.count[None], r_cells, c_cells)[0]
    auc_binned = float(
        _auc_rows(
            _per_bin(r_cells.count[None], r_cells, n_bins),
            _per_bin(c_cells.count[None], c_cells, n_bins),
        )[0]
    )
    aucs = _auc_rows(_per_bin(dr, r_cells, n_bins), _per_bin(dc, c_cells, n_bins))
    return _ok(
        int(n_resamples),
        auc=_ci(aucs, auc_binned, level),
        point_biserial_r=_ci(_r_rows(dr, dc, r_cells, c_cells), _num(point_r), level),
        bands=_band_cis(dr, dc, r_cells, c_cells, level),
        auc_binned=auc_binned,
        exact_binning=exact,
        **_method_info(seed, level),
    )


def _check_bootstrap_args(n_resamples: int, level: float) -> None:
    """Upfront checks of the bootstrap options."""
    if not isinstance(n_resamples, int | np.integer) or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")


def _method_info(seed: int, level: float) -> dict[str, Any]:
    """Descriptive fields shared by every bootstrap result."""
    return {
        "method": "stratified multinomial bootstrap over (score bin, band, outcome) cells",
        "seed": int(seed),
        "level": float(level),
    }


def _empty_bootstrap(seed: int, level: float) -> dict[str, Any]:
    """Fields of an undefined bootstrap result."""
    return {
        "auc": None,
        "point_biserial_r": None,
        "bands": None,
        "auc_binned": None,
        "exact_binning": None,
        **_method_info(seed, level),
    }


def _band_cis(
    dr: np.ndarray, dc: np.ndarray, r_cells: _Cells, c_cells: _Cells, level: float
) -> dict[str, Result]:
    """Percentile CI of each band's churn rate."""
    ren, chu = _per_band(dr, r_cells), _per_band(dc, c_cells)
    ren0 = np.bincount(r_cells.band, weights=r_cells.count, minlength=3)
    chu0 = np.bincount(c_cells.band, weights=c_cells.count, minlength=3)
    out = {}
    for i, name in enumerate(BAND_NAMES):
        if ren0[i] + chu0[i] == 0:
            out[name] = _undefined("empty band", ci=None, point=None)
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            rates = chu[:, i] / (chu[:, i] + ren[:, i])
        out[name] = _ci(rates, float(chu0[i] / (chu0[i] + ren0[i])), level)
    return out
