"""How much the ranking and the bands move when one weight is nudged."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from calibration.config import Config
from calibration.fitting.points import _names_for, _points, _score, _weight_vector, group_index
from calibration.scoring import FactorMatrix, assign_bands


def weight_stability(points: ArrayLike | FactorMatrix, names: Sequence[str] | None,
                     flat_weights: Mapping[str, float], nudge: float = 5.0,
                     bands: tuple[float, float] = (30.0, 70.0),
                     groups: Sequence[Any] | np.ndarray | Config | None = None
                     ) -> pd.DataFrame:
    """How much the ranking and bands move when one weight is nudged by +/- ``nudge`` points.

    For each factor its flat % is raised and lowered by ``nudge`` (within 0-100; the other
    weights are rescaled in proportion to keep the total at 100, shared equally when they are
    all 0), accounts are rescored, and compared with the current scores: Spearman rank
    correlation and share of scored accounts whose band changes (``bands`` = red_max,
    yellow_max). Sorted by impact (largest band change, then lowest correlation).
    """
    _names_for(flat_weights, points, names)
    p, names = _points(points, names)
    w = _weight_vector(flat_weights, names) * 100.0
    if not (isinstance(nudge, int | float) and 0 < nudge <= 100):
        raise ValueError(f"nudge must be between 0 and 100 points, got {nudge!r}")
    red_max, yellow_max = bands
    if not red_max < yellow_max:
        raise ValueError(f"bands must be (red_max, yellow_max) with red_max < yellow_max, "
                         f"got {bands!r}")
    group_of = group_index(groups, p.shape[1])
    base = _score(p, w / 100.0, group_of)
    base_band = assign_bands(base, red_max, yellow_max)
    rows = []
    for j, name in enumerate(names):
        row: dict[str, Any] = {"factor": name, "weight": float(w[j])}
        for label, sign in (("up", 1.0), ("down", -1.0)):
            target = float(np.clip(w[j] + sign * nudge, 0.0, 100.0))
            new = _nudged(w, j, target)
            if new is None:
                row[f"spearman_{label}"], row[f"band_changed_{label}"] = 1.0, 0.0
                continue
            score = _score(p, new / 100.0, group_of)
            both = ~(np.isnan(score) | np.isnan(base))
            rho = stats.spearmanr(base[both], score[both]).statistic if both.sum() > 2 else 1.0
            changed = assign_bands(score, red_max, yellow_max) != base_band
            row[f"spearman_{label}"] = float(np.nan_to_num(rho, nan=1.0))
            row[f"band_changed_{label}"] = float(changed[both].mean()) if both.any() else 0.0
        row["band_changed"] = max(row["band_changed_up"], row["band_changed_down"])
        row["spearman"] = min(row["spearman_up"], row["spearman_down"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sort_values(["band_changed", "spearman"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def _nudged(w: np.ndarray, j: int, target: float) -> np.ndarray | None:
    """Weights (%) with factor ``j`` at ``target`` and the others rescaled to total 100."""
    if math.isclose(target, w[j]):
        return None
    others = np.delete(np.arange(w.size), j)
    if others.size == 0:
        return None
    rest = w[others]
    new = w.copy()
    new[j] = target
    room = 100.0 - target
    new[others] = rest / rest.sum() * room if rest.sum() > 0 else room / others.size
    if new.sum() <= 0:
        return None
    return new
