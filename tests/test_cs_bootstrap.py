"""The chunked paired bootstrap (calibration.cs_bootstrap) against independent sums.

A resample with multiplicities ``w`` is the sample ``np.repeat(accounts, w)``: every metric is
recomputed on that expanded sample with scipy / plain numpy counting and must match. The
former formulation (``former._auc_weighted_rows`` on the same multiplicities) must match
too, and the intervals must cover their level of a plain paired percentile bootstrap
written here with ``rng.choice``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from calibration import cs_bootstrap as pb
from calibration.cs_metrics import cs_numbers, paired_cs_metrics
from calibration.fitting import paired_bootstrap as former


def sample(n=500, seed=0, decimals=0):
    rng = np.random.default_rng(seed)
    churned = rng.random(n) < 0.25
    a = np.round(np.clip(rng.normal(60, 18, n) - 15 * churned, 0, 100), decimals)
    b = np.round(np.clip(a + rng.normal(0, 8, n) - 5 * churned, 0, 100), decimals)
    arr = rng.lognormal(10, 1, n)
    return a, np.digitize(a, [40, 70]), b, np.digitize(b, [40, 70]), churned, arr


def expanded_metrics(score, band, churned, arr, w):
    """Every metric on the expanded sample (accounts repeated ``w`` times)."""
    take = np.repeat(np.arange(score.size), w.astype(int))
    s, b, c, a = score[take], band[take], churned[take], arr[take]
    cs = cs_numbers(b, c, a)
    u = stats.mannwhitneyu(s[~c], s[c]).statistic
    red_rate, green_rate = cs["red_churn_rate"], cs["green_churn_rate"]
    return {
        "auc": u / (c.sum() * (~c).sum()),
        "point_biserial_r": stats.pearsonr(s, (~c).astype(float)).statistic,
        "lift": red_rate / green_rate,
        "red_churned_arr_share": cs["red_churned_arr_share"],
        "red_churned_share": cs["red_churned_share"],
        "red_churn_rate": red_rate,
        "green_churn_rate": green_rate,
        "surprise_churn_count": cs["surprise_churn_count"],
        "surprise_churn_arr": cs["surprise_churn_arr"],
        "red_share": cs["red_share"], "yellow_share": cs["yellow_share"],
        "green_share": cs["green_share"],
    }


@pytest.mark.parametrize("decimals", [0, 3])  # many ties, then nearly none
def test_every_metric_of_a_resample_equals_the_expanded_sample(decimals):
    a, band_a, b, band_b, churned, arr = sample(400, 1, decimals)
    w = next(pb.stratified_weights(churned, 6, seed=5))
    draws_a, draws_b = pb.paired_metric_draws(a, band_a, b, band_b, churned, arr, 6, 5)
    for col in range(6):
        for score, band, draws in ((a, band_a, draws_a), (b, band_b, draws_b)):
            want = expanded_metrics(score, band, churned, arr, w[:, col])
            for name, value in want.items():
                assert draws[name][col + 1] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    # row 0: every account once
    ones = expanded_metrics(a, band_a, churned, arr, np.ones(a.size))
    for name, value in ones.items():
        assert draws_a[name][0] == pytest.approx(value, rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("decimals", [0, 2])
def test_auc_equals_the_former_formulation(decimals):
    a, band_a, *_, churned, arr = sample(700, 2, decimals)
    w = np.hstack(list(pb.stratified_weights(churned, 30, seed=1, chunk=11)))
    prep = pb._prepare(a, band_a, churned, arr)
    new = pb._auc(w, w.astype(np.float64), prep)
    old = former._auc_weighted_rows(a, churned, w.T.astype(np.float64))
    np.testing.assert_allclose(new, old, rtol=1e-12)
    # the smaller class is cumulated either way round: flip which class is smaller
    flipped = ~churned
    prep = pb._prepare(a, band_a, flipped, arr)
    np.testing.assert_allclose(pb._auc(w, w.astype(np.float64), prep),
                               former._auc_weighted_rows(a, flipped, w.T.astype(np.float64)),
                               rtol=1e-12)


@pytest.mark.parametrize("draw_rows", [1, 3])  # resamples per numpy call
@pytest.mark.parametrize("share", [0.2, 0.7])  # churned the smaller, then the larger class
def test_weights_are_the_former_draws_in_any_chunk_size(share, draw_rows, monkeypatch):
    monkeypatch.setattr(pb, "DRAW_ROWS", draw_rows)
    churned = np.random.default_rng(1).random(300) < share
    draws = former.stratified_draws(churned, 40, seed=3)
    for chunk in (7, 40, 50):
        chunks = list(pb.stratified_weights(churned, 40, seed=3, chunk=chunk))
        assert max(w.shape[1] for w in chunks) == min(chunk, 40)
        np.testing.assert_array_equal(np.hstack(chunks), draws.T)
    whole = draws.T
    np.testing.assert_array_equal(whole[churned].sum(axis=0), churned.sum())
    np.testing.assert_array_equal(whole[~churned].sum(axis=0), (~churned).sum())


def test_weights_are_multinomial_within_each_class():
    churned = np.zeros(300, dtype=bool)
    churned[:60] = True
    many = np.hstack(list(pb.stratified_weights(churned, 400, seed=9)))
    # an account's count in a class of n is Binomial(n, 1/n): P(0) = (1 - 1/n)^n
    for cls, n in ((churned, 60), (~churned, 240)):
        assert (many[cls] == 0).mean() == pytest.approx((1 - 1 / n) ** n, abs=0.01)
        assert many[cls].var() == pytest.approx(1 - 1 / n, rel=0.05)


def plain_paired_bootstrap(a, b, churned, statistic, n_resamples, seed):
    """b - a of ``statistic`` on accounts drawn with replacement within each outcome."""
    rng = np.random.default_rng(seed)
    pos_c, pos_r = np.flatnonzero(churned), np.flatnonzero(~churned)
    out = np.empty(n_resamples)
    for i in range(n_resamples):
        rows = np.r_[rng.choice(pos_c, pos_c.size), rng.choice(pos_r, pos_r.size)]
        out[i] = statistic(b[rows], churned[rows]) - statistic(a[rows], churned[rows])
    return out


def test_paired_intervals_cover_their_level_of_a_plain_paired_bootstrap():
    a, band_a, b, band_b, churned, arr = sample(600, 4, decimals=1)

    def auc(s, c):
        return stats.mannwhitneyu(s[~c], s[c]).statistic / (c.sum() * (~c).sum())

    def green_rate(band, c):
        return c[band == 2].mean()

    plain = plain_paired_bootstrap(a, b, churned, auc, 1500, seed=21)
    plain_green = plain_paired_bootstrap(band_a, band_b, churned, green_rate, 1500, seed=22)
    for level in (0.95, 0.8):
        res = paired_cs_metrics(a, band_a, b, band_b, churned, arr, n_resamples=3000, seed=2,
                                level=level)
        for name, draws in (("auc", plain), ("green_churn_rate", plain_green)):
            lo, hi = res[name]["ci"]
            inside = float(np.mean((draws >= lo) & (draws <= hi)))
            assert inside == pytest.approx(level, abs=0.025), (name, level)
        assert res["auc"]["diff"] == pytest.approx(auc(b, churned) - auc(a, churned),
                                                   abs=1e-12)


def test_progress_reports_each_chunk_and_results_are_seeded():
    a, band_a, b, band_b, churned, arr = sample(300, 6)
    seen: list[float] = []
    first = paired_cs_metrics(a, band_a, b, band_b, churned, arr, n_resamples=120, seed=8,
                              progress=seen.append)
    assert seen == pytest.approx([50 / 120, 100 / 120, 1.0])
    again = paired_cs_metrics(a, band_a, b, band_b, churned, arr, n_resamples=120, seed=8)
    assert first == again
    other = paired_cs_metrics(a, band_a, b, band_b, churned, arr, n_resamples=120, seed=9)
    assert other["auc"]["ci"] != first["auc"]["ci"]
