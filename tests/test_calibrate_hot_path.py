"""The short cuts of a slider move on Calibrate give what the plain computations give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import charts


def edge_scores(bin_width: float, seed: int) -> np.ndarray:
    """Scores on, just below and just above every bin edge, 0 and 100, NaN, and random."""
    edges = np.arange(0, 100 + bin_width, bin_width)
    near = np.concatenate([edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)])
    rng = np.random.default_rng(seed)
    scores = np.concatenate([near[(near >= 0) & (near <= 100)], [0.0, 100.0, np.nan],
                             np.round(rng.uniform(0, 100, 3000), 9),
                             np.round(rng.uniform(0, 100, 300), 1)])
    return rng.permutation(scores)


def histogram_by_edges(score: np.ndarray, churned: np.ndarray, bin_width: float
                       ) -> pd.DataFrame:
    """The plain histogram: bins as an array of edges (np.histogram's sorting path)."""
    edges = np.arange(0, 100 + bin_width, bin_width)
    frames = []
    for outcome, mask in (("renewed", ~churned), ("churned", churned)):
        counts, _ = np.histogram(score[~np.isnan(score) & mask], bins=edges)
        frames.append(pd.DataFrame({"bin_start": edges[:-1], "bin_end": edges[1:],
                                    "outcome": outcome, "accounts": counts,
                                    "share": counts / max(counts.sum(), 1)}))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("bin_width", [2.5, 5.0, 10.0, 3.0, 0.1, 7.5])
@pytest.mark.parametrize("seed", [0, 1])
def test_score_histogram_equals_histogram_by_edges(bin_width, seed):
    score = edge_scores(bin_width, seed)
    churned = np.random.default_rng(seed + 10).random(score.size) < 0.3
    got = charts.score_histogram(score, churned, bin_width)
    pd.testing.assert_frame_equal(got, histogram_by_edges(score, churned, bin_width))
    assert got["accounts"].sum() == np.isfinite(score).sum()  # 100 falls in the last bin
