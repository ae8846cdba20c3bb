"""The paired AUC bootstrap streamed in chunks gives the full-matrix result."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration import fitting
from calibration.fitting import paired_bootstrap


def _former(a, b, c, n_resamples, seed, level=0.95):
    """The former formulation: one n_resamples x N matrix of draws."""
    draws = paired_bootstrap.stratified_draws(c, n_resamples, seed)
    diffs = (paired_bootstrap._auc_weighted_rows(b, c, draws)
             - paired_bootstrap._auc_weighted_rows(a, c, draws))
    tail = (1 - level) / 2 * 100
    return diffs, [float(v) for v in np.percentile(diffs, [tail, 100 - tail])]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 300), resamples=st.integers(2, 130),
       levels=st.integers(2, 12))
def test_chunked_diffs_and_ci_equal_the_full_matrix(seed, n, resamples, levels):
    rng = np.random.default_rng(seed)
    c = rng.random(n) < rng.uniform(0.05, 0.95)
    c[0], c[1] = True, False  # both outcomes
    a = rng.integers(0, levels, n).astype(float) * 8  # few levels: many ties
    b = np.where(rng.random(n) < 0.5, a, rng.uniform(0, 100, n))
    diffs, ci = _former(a, b, c, resamples, seed)
    got = paired_bootstrap._paired_auc_diffs(a, b, c, resamples, seed)
    np.testing.assert_allclose(got, diffs, rtol=0, atol=1e-12)
    out = fitting.paired_auc_bootstrap(a, b, c, resamples, seed)
    np.testing.assert_allclose(out["ci"], ci, rtol=0, atol=1e-12)


def test_more_resamples_than_one_chunk_and_nan_rows_left_out():
    rng = np.random.default_rng(1)
    n = 500
    c = rng.random(n) < 0.2
    a, b = rng.uniform(0, 100, n), rng.uniform(0, 70, n) + 30 * ~c
    a[::50] = np.nan
    out = fitting.paired_auc_bootstrap(a, b, c, 260, 3)
    keep = ~np.isnan(a)
    diffs, ci = _former(a[keep], b[keep], c[keep], 260, 3)
    assert out["ci"] == pytest.approx(ci, abs=1e-12)
    assert out["share_not_better"] == float((diffs <= 0).mean())
    assert out["n_left_out"] == 10 and out["real"]
