"""Data-driven linear-rule cut-offs for one raw factor."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats


@dataclass(frozen=True)
class FactorCutoffs:
    """Data-driven cut-offs for a linear rule on one raw factor.

    ``lo`` / ``hi``: 10th / 90th percentiles of the raw values (0 and 100 points, flipped by
    ``direction``), so the middle 80% of accounts spread over the points range and outliers
    do not squash it. ``ks_value``: raw value where the churned and renewed distributions
    differ most (Kolmogorov-Smirnov peak), a natural single threshold. ``direction``:
    higher_is_better when renewed accounts tend to have higher values (``auc`` >= 0.5,
    the renewal AUC of the raw value).
    """

    lo: float
    hi: float
    ks_value: float
    ks_statistic: float
    direction: str
    auc: float
    n: int
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def suggest_factor_cutoffs(values: ArrayLike, churned: ArrayLike, lo_pct: float = 10.0,
                           hi_pct: float = 90.0) -> FactorCutoffs:
    """Linear-rule cut-offs for one raw numeric factor (see :class:`FactorCutoffs`).

    Missing values (NaN) are left out. If the two percentiles coincide the minimum and
    maximum are used instead.
    """
    x = np.asarray(values, dtype=float)
    c = np.asarray(churned, dtype=bool)
    if x.ndim != 1 or x.shape != c.shape:
        raise ValueError("values and churned must be 1-D arrays of the same length")
    if not 0 <= lo_pct < hi_pct <= 100:
        raise ValueError(f"need 0 <= lo_pct < hi_pct <= 100, got {lo_pct}, {hi_pct}")
    keep = np.isfinite(x)
    notes = [f"{int((~keep).sum())} missing values left out"] if (~keep).any() else []
    x, c = x[keep], c[keep]
    if np.unique(x).size < 2:
        raise ValueError("need at least two distinct values to suggest cut-offs")
    if c.all() or not c.any():
        raise ValueError("need both churned and renewed accounts")
    lo, hi = (float(v) for v in np.percentile(x, [lo_pct, hi_pct]))
    if hi <= lo:
        lo, hi = float(x.min()), float(x.max())
        notes.append("most accounts share one value: cut-offs widened to the min and max")
    grid = np.unique(x)
    f_churned = np.searchsorted(np.sort(x[c]), grid, side="right") / c.sum()
    f_renewed = np.searchsorted(np.sort(x[~c]), grid, side="right") / (~c).sum()
    gap = np.abs(f_churned - f_renewed)
    peak = int(np.argmax(gap))
    ranks = stats.rankdata(x)
    n_renewed, n_churned = int((~c).sum()), int(c.sum())
    auc = (ranks[~c].sum() - n_renewed * (n_renewed + 1) / 2) / (n_renewed * n_churned)
    return FactorCutoffs(lo, hi, float(grid[peak]), float(gap[peak]),
                         "higher_is_better" if auc >= 0.5 else "lower_is_better", float(auc),
                         int(x.size), notes)
