"""Paired, outcome-stratified bootstrap of the CS metrics in bounded memory.

Each resample draws, within each outcome class, as many accounts as the class holds,
uniformly with replacement (the churned and renewed counts stay fixed), and the same draw
scores both candidates, so a CI is for the *difference*. A resample is represented by its
multiplicities ``w`` (how often each account was drawn); every metric is a weighted sum over
accounts, or a ratio of such sums, or the weighted Mann-Whitney AUC.

Speed and memory (80k decisions x 1,000 resamples): resamples are processed in chunks of
:data:`CHUNK`, so at most ``N x CHUNK`` multiplicities exist at a time (the former
formulation held the whole ``1000 x N`` float64 matrix, 640 MB at 80k, several times over
in temporaries); the linear sums are one matrix product per chunk; the AUC is a cumulative
sum of weights over the smaller outcome class sorted by score, read at each account of the
other class (ties count one half), instead of a group-by over every distinct score.

Seed semantics are unchanged: the multiplicities are exactly the former ones (same
generator, same order of draws), so every interval is the same as before to float
rounding, for any chunk size. Pure computation; never imports streamlit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

RED, YELLOW, GREEN = 0, 1, 2
CHUNK = 50
"""Resamples per chunk (memory: ``CHUNK x N`` float32 multiplicities, 16 MB at 80k)."""
DRAW_ROWS = 1
"""Resamples drawn per numpy call (numpy keeps the GIL for the whole call: one resample of
64k renewed decisions holds it ~5 ms, so the page thread is not held up behind a job)."""


def check_resamples(n_resamples: int, level: float) -> None:
    """Upfront checks of the bootstrap options (ValueError with the bad value)."""
    if not isinstance(n_resamples, int | np.integer) or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")


def stratified_weights(churned: np.ndarray, n_resamples: int, seed: int,
                       chunk: int = CHUNK) -> Iterator[np.ndarray]:
    """Bootstrap multiplicities in chunks, accounts by resamples (N x ``<= chunk``,
    float32: whole counts, exact): column ``r`` counts how often each account is drawn when
    each outcome class is resampled with replacement to its own size.

    The draws are exactly those of
    :func:`calibration.fitting.paired_bootstrap.stratified_draws` (one
    multinomial per resample and class from ``default_rng(seed)``, churned for every
    resample first, then renewed), whatever the ``chunk`` size: the first class's counts
    are kept compactly (``n_resamples x class size`` 16-bit integers, 32 MB for 16k
    churned decisions) while the second class is drawn chunk by chunk.
    """
    c = np.asarray(churned, dtype=bool)
    classes = [idx for idx in (np.flatnonzero(c), np.flatnonzero(~c)) if idx.size]
    rng = np.random.default_rng(seed)
    starts = range(0, n_resamples, chunk)

    def draws(idx: np.ndarray, start: int) -> Iterator[tuple[slice, np.ndarray]]:
        size = min(chunk, n_resamples - start)
        p = np.full(idx.size, 1.0 / idx.size)
        # a few rows per call: numpy holds the GIL while it draws, and the app's page thread
        # should not wait long behind a background bootstrap (same draws for any split);
        # the caller puts each call's rows in place (not stacked first: 2 x 26 MB at 64k)
        for done in range(0, size, DRAW_ROWS):
            rows = rng.multinomial(idx.size, p, size=min(DRAW_ROWS, size - done))
            yield slice(done, done + rows.shape[0]), rows

    first, rest = classes[0], classes[1:]
    kept = np.empty((n_resamples, first.size),
                    dtype=np.uint16 if first.size < 2**16 else np.uint32)
    for start in starts:
        block = kept[start:start + chunk]
        for at, rows in draws(first, start):
            block[at] = rows
    for start in starts:
        w = np.empty((c.shape[0], min(chunk, n_resamples - start)), dtype=np.float32)
        w[first] = kept[start:start + chunk].T
        for idx in rest:
            for at, rows in draws(idx, start):
                w[idx, at] = rows.T
        yield w


@dataclass(frozen=True)
class _Prepared:
    """One candidate's per-account columns for the weighted sums and its AUC order.

    The AUC takes a cumulative sum of weights over the smaller outcome class sorted by
    score (``cum_class``) and reads it at each account of the other class (``others``):
    ``left`` / ``right`` count the ``cum_class`` accounts scoring below / at or below it.
    """

    linear: np.ndarray  # N x k columns; w.T @ linear gives every sum a metric needs
    cum_churned: bool  # True: the cumulative sum runs over churned accounts
    cum_sorted: np.ndarray  # positions of the cumulated class, by score
    others: np.ndarray  # positions of the other class
    left: np.ndarray
    right: np.ndarray


_COLUMNS = ("total", "score", "score2", "score_y", "y", "red", "yellow", "green", "red_c",
            "green_c", "c", "c_arr", "red_c_arr", "green_c_arr")
_AT = {name: k for k, name in enumerate(_COLUMNS)}


def _prepare(score: np.ndarray, band: np.ndarray, c: np.ndarray, arr: np.ndarray
             ) -> _Prepared:
    y = (~c).astype(float)
    red, yellow, green = band == RED, band == YELLOW, band == GREEN
    linear = np.column_stack([
        np.ones_like(score), score, score * score, score * y, y, red, yellow, green,
        red & c, green & c, c, c * arr, (red & c) * arr, (green & c) * arr]).astype(float)
    cum_churned = int(c.sum()) <= int((~c).sum())
    cum_class = np.flatnonzero(c if cum_churned else ~c)
    others = np.flatnonzero(~c if cum_churned else c)
    cum_sorted = cum_class[np.argsort(score[cum_class], kind="stable")]
    ordered = score[cum_sorted]
    return _Prepared(linear, cum_churned, cum_sorted, others,
                     np.searchsorted(ordered, score[others], side="left"),
                     np.searchsorted(ordered, score[others], side="right"))


def _auc(w: np.ndarray, w64: np.ndarray, prep: _Prepared) -> np.ndarray:
    """Weighted Mann-Whitney AUC per column of ``w`` (accounts x resamples; ``w64`` the
    same as float64): weighted share of (renewed, churned) pairs where the renewed account
    scores higher, ties one half."""
    cum = np.zeros((prep.cum_sorted.size + 1, w.shape[1]), dtype=w.dtype)
    np.cumsum(w[prep.cum_sorted], axis=0, out=cum[1:])  # whole counts: exact in float32
    total = cum[-1].astype(np.float64)
    # per account of the other class: cumulated weight below it, plus half of the ties
    half = cum[prep.left] + cum[prep.right]  # whole counts below 2**24: exact
    w_other = w64[prep.others]
    if prep.cum_churned:  # renewed account i beats the churned weight below it
        u = 0.5 * np.einsum("ij,ij->j", w_other, half, dtype=np.float64)
    else:  # churned account j loses to the renewed weight above it
        u = w_other.sum(axis=0) * total - 0.5 * np.einsum("ij,ij->j", w_other, half,
                                                           dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return u / (total * w_other.sum(axis=0))


def _metrics(w: np.ndarray, w64: np.ndarray, prep: _Prepared) -> dict[str, np.ndarray]:
    """Every metric for each column of multiplicities ``w`` (accounts x resamples; ``w64``
    the same as float64)."""
    # (w.T @ linear).T: this layout stays fast with threaded OpenBLAS on a busy machine
    s = (w64.T @ prep.linear).T
    col = {name: s[k] for name, k in _AT.items()}
    total = col["total"]
    mean_s, mean_y = col["score"] / total, col["y"] / total
    cov = col["score_y"] / total - mean_s * mean_y
    var_s = np.maximum(col["score2"] / total - mean_s**2, 0.0)
    var_y = mean_y * (1 - mean_y)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(var_s * var_y > 1e-12, cov / np.sqrt(var_s * var_y), np.nan)
        red_rate = col["red_c"] / col["red"]
        green_rate = col["green_c"] / col["green"]
        lift = np.where(green_rate > 0, red_rate / green_rate, np.nan)
        churned_arr = col["c_arr"]
        red_arr_share = np.where(churned_arr > 0, col["red_c_arr"] / churned_arr, np.nan)
        red_share_churned = col["red_c"] / col["c"]
    return {
        "auc": _auc(w, w64, prep),
        "point_biserial_r": r,
        "lift": lift,
        "red_churned_arr_share": red_arr_share,
        "red_churned_share": red_share_churned,
        "red_churn_rate": red_rate,
        "green_churn_rate": green_rate,
        "surprise_churn_count": col["green_c"],
        "surprise_churn_arr": col["green_c_arr"],
        "red_share": col["red"] / total,
        "yellow_share": col["yellow"] / total,
        "green_share": col["green"] / total,
    }


def paired_metric_draws(score_a: np.ndarray, band_a: np.ndarray, score_b: np.ndarray,
                        band_b: np.ndarray, churned: np.ndarray, arr: np.ndarray,
                        n_resamples: int, seed: int,
                        progress: Callable[[float], None] | None = None
                        ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every metric of candidates A and B on all accounts (row 0) and on each paired
    resample (rows 1..``n_resamples``).

    Inputs are the kept (scored by both) decisions: finite scores, bands 0-2, ``arr`` with
    NaN already 0. ``progress`` is called with the share of resamples done after each chunk.
    """
    c = np.asarray(churned, dtype=bool)
    preps = [_prepare(np.asarray(s, float), np.asarray(b), c, arr)
             for s, b in ((score_a, band_a), (score_b, band_b))]
    ones = np.ones((c.size, 1), dtype=np.float32)
    parts = [[_metrics(ones, ones.astype(np.float64), p)] for p in preps]
    done = 0
    for w in stratified_weights(c, n_resamples, seed) if n_resamples else ():
        w64 = w.astype(np.float64)
        for part, prep in zip(parts, preps, strict=True):
            part.append(_metrics(w, w64, prep))
        done += w.shape[1]
        if progress is not None:
            progress(done / n_resamples)
    a, b = ({name: np.concatenate([p[name] for p in part]) for name in part[0]}
            for part in parts)
    return a, b


__all__ = ["CHUNK", "check_resamples", "paired_metric_draws", "stratified_weights"]
