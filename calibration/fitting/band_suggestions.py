"""Suggested band cut-offs from a red (and optional yellow) target, and plain-words warnings
about implausible bands."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize

from calibration import metrics
from calibration.scoring import assign_bands

GREEN_SAFETY = 0.5
"""Green is "too generous" when its churn rate is clearly at least this share of the overall
churn rate: a green account should be much safer than the average one."""


@dataclass(frozen=True)
class BandSuggestion:
    """Suggested band cut-offs and what they achieve on the given accounts.

    ``red_max`` / ``yellow_max`` are None when their target cannot be met (see ``messages``);
    ``achieved`` describes the bands with the suggestion (falling back to ``current``).
    """

    red_max: float | None
    yellow_max: float | None
    feasible: bool
    messages: list[str]
    achieved: dict[str, Any]
    targets: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def churn_curve(score: ArrayLike, churned: ArrayLike) -> pd.DataFrame:
    """Estimated churn rate by score: isotonic (non-increasing in score) fit of churn on score.

    Returns
    -------
    pd.DataFrame
        One row per distinct score (ascending): ``score``, ``accounts``, ``churned``,
        ``churn_rate`` (observed) and ``estimated_churn_rate`` (monotone).
    """
    s = np.asarray(score, dtype=float)
    c = np.asarray(churned, dtype=bool)
    if s.shape != c.shape or s.ndim != 1:
        raise ValueError("score and churned must be 1-D arrays of the same length")
    keep = ~np.isnan(s)
    if not keep.any():
        raise ValueError("no scored accounts")
    values, inverse = np.unique(s[keep], return_inverse=True)
    n = np.bincount(inverse, minlength=values.size).astype(float)
    k = np.bincount(inverse, weights=c[keep].astype(float), minlength=values.size)
    fitted = optimize.isotonic_regression(k / n, weights=n, increasing=False).x
    return pd.DataFrame({"score": values, "accounts": n.astype(int), "churned": k.astype(int),
                         "churn_rate": k / n, "estimated_churn_rate": fitted})


def _cut(values: np.ndarray, i: int) -> float:
    """A round cut-off t with values[i] <= t < values[i + 1] (band: score <= t)."""
    v = float(values[i])
    upper = float(values[i + 1]) if i + 1 < values.size else math.inf
    for digits in (0, 1, 2):
        t = math.ceil(v * 10**digits - 1e-9) / 10**digits
        if v <= t < upper:
            return min(t, 100.0)
    return v


def _fraction(value: float | None, name: str) -> None:
    if value is not None and not (isinstance(value, int | float) and 0 < value <= 1):
        raise ValueError(f"{name} is a fraction between 0 and 1 (0.3 = 30%), got {value!r}")


def suggest_bands(score: ArrayLike, churned: ArrayLike, arr: ArrayLike | None = None, *,
                  red_risk: float | None = None, red_capture: float | None = None,
                  red_max_accounts: float | None = None, capacity: int | None = None,
                  green_max_churn: float | None = None, yellow_risk: float | None = None,
                  current: tuple[float, float] = (30.0, 70.0)) -> BandSuggestion:
    """Band cut-offs from one red target and optionally one yellow target.

    Red targets (give exactly one; fractions, 0.3 = 30%):

    - ``red_risk``: red = accounts whose estimated churn rate is at least this; the rate
      curve is :func:`churn_curve` (isotonic), ``red_max`` = highest score at that risk.
    - ``red_capture`` (+ optional ``red_max_accounts``): the lowest ``red_max`` whose red band
      holds this share of churned ARR (churned accounts if no ARR), with at most
      ``red_max_accounts`` of all accounts.
    - ``capacity``: red holds at most this many accounts (e.g. CSMs x accounts per CSM); pass
      the scores of the accounts the team will work (e.g. latest snapshot of open accounts).

    Yellow targets (optional): ``green_max_churn`` (the largest green band whose churn rate is
    at most this) or ``yellow_risk`` (as ``red_risk``). Without one, ``current[1]`` is kept.
    """
    s = np.asarray(score, dtype=float)
    c = np.asarray(churned, dtype=bool)
    if s.ndim != 1 or c.shape != s.shape:
        raise ValueError("score and churned must be 1-D arrays of the same length")
    a = None if arr is None else np.asarray(arr, dtype=float)
    if a is not None and a.shape != s.shape:
        raise ValueError("arr must have one value per account")
    for value, name in ((red_risk, "red_risk"), (red_capture, "red_capture"),
                        (red_max_accounts, "red_max_accounts"),
                        (green_max_churn, "green_max_churn"), (yellow_risk, "yellow_risk")):
        _fraction(value, name)
    given = [n for n, v in (("red_risk", red_risk), ("red_capture", red_capture),
                            ("capacity", capacity)) if v is not None]
    if len(given) != 1:
        raise ValueError("give exactly one red target: red_risk, red_capture or capacity "
                         f"(got {', '.join(given) or 'none'})")
    if red_max_accounts is not None and red_capture is None:
        raise ValueError("red_max_accounts goes with red_capture")
    if green_max_churn is not None and yellow_risk is not None:
        raise ValueError("give at most one yellow target: green_max_churn or yellow_risk")
    if capacity is not None and not (isinstance(capacity, int | np.integer) and capacity >= 0):
        raise ValueError(f"capacity must be a whole number of accounts >= 0, got {capacity!r}")
    keep = ~np.isnan(s)
    if keep.sum() == 0:
        raise ValueError("no scored accounts")
    curve = churn_curve(s, c)
    values = curve["score"].to_numpy()
    n_cum = curve["accounts"].cumsum().to_numpy()
    k_cum = curve["churned"].cumsum().to_numpy()
    rate = curve["estimated_churn_rate"].to_numpy()
    total_n, total_k = n_cum[-1], k_cum[-1]
    messages: list[str] = []
    feasible = True
    red_i: int | None = None

    if red_risk is not None:
        hits = np.flatnonzero(rate >= red_risk)
        if hits.size:
            red_i = int(hits[-1])
        else:
            feasible = False
            messages.append(f"no score range reaches a {red_risk:.0%} churn risk (highest "
                            f"estimated rate {rate.max():.1%}): no red cut-off suggested")
    elif red_capture is not None:
        weights = c[keep].astype(float)
        unit = "churned accounts"
        if a is not None and np.nansum(a[keep] * c[keep]) > 0:
            weights = np.where(c[keep], np.nan_to_num(a[keep]), 0.0)
            unit = "churned ARR"
        inv = np.searchsorted(values, s[keep])
        captured = np.cumsum(np.bincount(inv, weights=weights, minlength=values.size))
        share = captured / captured[-1] if captured[-1] > 0 else np.zeros_like(captured)
        red_i = int(np.argmax(share >= red_capture - 1e-12))
        held = n_cum[red_i] / total_n
        if red_max_accounts is not None and held > red_max_accounts + 1e-12:
            feasible = False
            within = np.flatnonzero(n_cum / total_n <= red_max_accounts + 1e-12)
            if within.size:
                best = int(within[-1])
                messages.append(f"capturing {red_capture:.0%} of {unit} needs {held:.0%} of "
                                f"accounts in red (limit {red_max_accounts:.0%}); at the limit "
                                f"red captures {share[best]:.0%}")
                red_i = best
            else:
                messages.append(f"even the lowest score holds more than {red_max_accounts:.0%} "
                                "of accounts: no red cut-off suggested")
                red_i = None
    else:
        within = np.flatnonzero(n_cum <= capacity)
        if capacity >= total_n:
            red_i = values.size - 1
            messages.append(f"capacity ({capacity:,}) covers every account: all would be red")
        elif within.size:
            red_i = int(within[-1])
            if n_cum[red_i] < capacity:
                messages.append(f"red holds {int(n_cum[red_i]):,} accounts (capacity "
                                f"{capacity:,}): tied scores cannot be split")
        else:
            feasible = False
            messages.append(f"{int(n_cum[0]):,} accounts share the lowest score, more than the "
                            f"capacity of {capacity:,}: no red cut-off suggested")

    red_max = None if red_i is None else _cut(values, red_i)
    yellow_i: int | None = None
    start = -1 if red_i is None else red_i
    if green_max_churn is not None:
        above_n = total_n - n_cum
        with np.errstate(invalid="ignore", divide="ignore"):
            above_rate = (total_k - k_cum) / above_n
        ok = (np.arange(values.size) > start) & (above_n > 0) & (above_rate <= green_max_churn)
        if ok.any():
            yellow_i = int(np.argmax(ok))
        else:
            feasible = False
            candidates = (np.arange(values.size) > start) & (above_n > 0)
            best = np.nanmin(above_rate[candidates]) if candidates.any() else float("nan")
            messages.append(f"no green band above red churns at most {green_max_churn:.0%} "
                            f"(lowest achievable {best:.1%}): no yellow cut-off suggested")
    elif yellow_risk is not None:
        hits = np.flatnonzero((rate >= yellow_risk) & (np.arange(values.size) > start))
        if hits.size:
            yellow_i = int(hits[-1])
        else:
            feasible = False
            messages.append(f"no scores above red reach a {yellow_risk:.0%} churn risk: the "
                            "yellow band would be empty; no yellow cut-off suggested")
    yellow_max = None if yellow_i is None else _cut(values, yellow_i)
    if yellow_max is not None and yellow_max >= 100.0 and yellow_i < values.size - 1:
        yellow_max = float(values[yellow_i])

    red_use = current[0] if red_max is None else red_max
    yellow_use = current[1] if yellow_max is None else yellow_max
    if red_use >= yellow_use:
        feasible = False
        messages.append(f"red cut-off {red_use:g} is not below the yellow cut-off "
                        f"{yellow_use:g}: set a yellow target")
        achieved: dict[str, Any] = {}
    else:
        achieved = _achieved(s, c, a, red_use, yellow_use)
    targets = {"red_risk": red_risk, "red_capture": red_capture,
               "red_max_accounts": red_max_accounts, "capacity": capacity,
               "green_max_churn": green_max_churn, "yellow_risk": yellow_risk,
               "current": list(current)}
    return BandSuggestion(red_max, yellow_max, feasible, messages, achieved, targets)


def _achieved(s: np.ndarray, c: np.ndarray, a: np.ndarray | None, red_max: float,
              yellow_max: float) -> dict[str, Any]:
    """Share of accounts, churn rate and share of churned ARR per band."""
    band = assign_bands(s, red_max, yellow_max)
    table = metrics.band_table(band, c, a)
    scored = band >= 0
    n = max(int(scored.sum()), 1)
    total_churned_arr = sum(r["churned_arr"] or 0.0 for r in table["rows"])
    out: dict[str, Any] = {"red_max": red_max, "yellow_max": yellow_max}
    for row in table["rows"]:
        out[row["band"]] = {
            "accounts": row["accounts"], "share_of_accounts": row["accounts"] / n,
            "churn_rate": row["churn_rate"],
            "share_of_churned_arr": (row["churned_arr"] / total_churned_arr
                                     if total_churned_arr else None),
        }
    out["warnings"] = band_warnings(band, c)
    return out


def band_warnings(band: ArrayLike, churned: ArrayLike) -> list[str]:
    """Plain-words warnings about implausible bands (codes 0 red, 1 yellow, 2 green, -1 none).

    Flags: red or yellow empty; green too generous (green's own churn rate is clearly, beyond
    its Wilson 95% CI, at least half the overall churn rate); over
    half the accounts red; churn rate clearly (beyond the Wilson 95% CIs) not falling
    red -> yellow -> green; fewer than 20 churned accounts.
    """
    b = np.asarray(band)
    c = np.asarray(churned, dtype=bool)
    if b.shape != c.shape or b.ndim != 1:
        raise ValueError("band and churned must be 1-D arrays of the same length")
    scored = b >= 0
    b, c = b[scored], c[scored]
    out: list[str] = []
    if b.size == 0:
        return ["no scored accounts"]
    n = np.bincount(b, minlength=3)
    k = np.bincount(b, weights=c.astype(float), minlength=3)
    share = n / b.size
    churn = c.mean()
    if n[0] == 0:
        out.append("red is empty: the score flags no account as at risk")
    if n[1] == 0:
        out.append("yellow is empty: every account is either red or green")
    if n[2] and churn > 0:
        green_low = float(metrics.wilson_ci(k[2], n[2])[0])
        if green_low >= GREEN_SAFETY * churn:
            out.append(f"green churns at {k[2] / n[2]:.1%} ({share[2]:.0%} of accounts) while "
                       f"{churn:.1%} churn overall: green is too generous (a green account is "
                       "not clearly safer than half the average risk)")
    if share[0] > 0.5:
        out.append(f"{share[0]:.0%} of accounts are red: alerts on over half the book lose "
                   "meaning")
    monotone = metrics.band_table(b, c)["monotone"]
    if monotone.get("value") is False and not monotone.get("noise_only"):
        rates = {name: k[i] / n[i] for i, name in enumerate(("red", "yellow", "green"))
                 if n[i]}
        for pair in monotone.get("clear_reversals", []):
            higher, lower = pair.split(" above ")
            out.append(f"churn is higher in {higher} ({rates[higher]:.1%}) than in {lower} "
                       f"({rates[lower]:.1%}), beyond the 95% CIs: bands are not ordered "
                       "by risk")
    if c.sum() < metrics.MIN_CHURNED:
        out.append(f"only {int(c.sum())} churned accounts: band churn rates are very uncertain")
    return out
