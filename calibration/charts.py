"""Altair chart builders shared by the app and the HTML report.

Every builder takes aggregated data (histogram bins, curve points), never one mark per account,
so charts stay fast at 100k+ accounts. Band colours are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

BAND_COLOURS = {"red": "#d64545", "yellow": "#e0a526", "green": "#2e9e5b"}
OUTCOME_COLOURS = {"renewed": "#4c78a8", "churned": "#d64545"}
BAND_ORDER = ["red", "yellow", "green"]


def band_scale() -> alt.Scale:
    """Colour scale mapping band names to the shared colours."""
    return alt.Scale(domain=BAND_ORDER, range=[BAND_COLOURS[b] for b in BAND_ORDER])


def score_histogram(score: np.ndarray, churned: np.ndarray, bin_width: float = 2.5
                    ) -> pd.DataFrame:
    """Share of renewed and of churned accounts per score bin (each outcome sums to 1)."""
    edges = np.arange(0, 100 + bin_width, bin_width)
    # equally spaced edges (2.5: 0, 2.5, ..., 100 exactly) take numpy's linear-time path; an
    # array of edges makes np.histogram sort the scores (a third of a slider move's chart)
    uniform = np.array_equal(np.linspace(edges[0], edges[-1], edges.size), edges)
    bins, span = (edges.size - 1, (edges[0], edges[-1])) if uniform else (edges, None)
    rows = []
    known = ~np.isnan(score)
    for outcome, mask in (("renewed", ~churned), ("churned", churned)):
        counts, _ = np.histogram(score[known & mask], bins=bins, range=span)
        total = max(counts.sum(), 1)
        rows.append(pd.DataFrame({"bin_start": edges[:-1], "bin_end": edges[1:],
                                  "outcome": outcome, "accounts": counts,
                                  "share": counts / total}))
    return pd.concat(rows, ignore_index=True)


def band_cuts(red_max: float, yellow_max: float) -> pd.DataFrame:
    """The band cut-off lines of :func:`score_distribution_chart` (its second dataset)."""
    return pd.DataFrame({"score": [red_max, yellow_max],
                         "label": [f"red ≤ {red_max:g}", f"green > {yellow_max:g}"],
                         "band": ["red", "green"]})


def score_distribution_chart(hist: pd.DataFrame, red_max: float, yellow_max: float,
                             height: int = 260) -> alt.LayerChart:
    """Renewed vs churned score distributions with the band cut-offs as lines."""
    bars = alt.Chart(hist).mark_bar(opacity=0.55, binSpacing=0).encode(
        x=alt.X("bin_start:Q", bin="binned", title="Health score",
                scale=alt.Scale(domain=[0, 100])),
        x2="bin_end:Q",
        y=alt.Y("share:Q", stack=None, title="Share of accounts", axis=alt.Axis(format="%")),
        color=alt.Color("outcome:N", scale=alt.Scale(
            domain=list(OUTCOME_COLOURS), range=list(OUTCOME_COLOURS.values())),
            title="Outcome"),
        tooltip=["outcome:N", alt.Tooltip("bin_start:Q", title="from"),
                 alt.Tooltip("bin_end:Q", title="to"), "accounts:Q",
                 alt.Tooltip("share:Q", format=".1%")],
    )
    lines = alt.Chart(band_cuts(red_max, yellow_max)).encode(x="score:Q", color=alt.Color(
        "band:N", scale=band_scale(), legend=None), tooltip=["label:N"])
    rules = lines.mark_rule(strokeDash=[5, 3], strokeWidth=2)
    # the cut-offs are named in text, so colour is never the only cue; the red label sits
    # left of its line and the green one right, so close cut-offs never print over each other
    red_label = lines.transform_filter(alt.datum.band == "red").mark_text(
        align="right", dx=-4, baseline="top", fontWeight="bold").encode(
        text="label:N", y=alt.value(2))
    green_label = lines.transform_filter(alt.datum.band == "green").mark_text(
        align="left", dx=4, baseline="top", fontWeight="bold").encode(
        text="label:N", y=alt.value(2))
    return alt.layer(bars, rules, red_label, green_label).resolve_scale(
        color="independent").properties(height=height)


def band_churn_chart(bands: Sequence[dict[str, Any]], height: int = 200) -> alt.Chart:
    """Churn rate per band with its Wilson 95% CI."""
    rows = [{"band": b["band"], "churn_rate": b["churn_rate"], "accounts": b["accounts"],
             "lo": (b.get("churn_rate_ci") or [None, None])[0],
             "hi": (b.get("churn_rate_ci") or [None, None])[1]} for b in bands]
    data = pd.DataFrame(rows)
    base = alt.Chart(data).encode(x=alt.X("band:N", sort=BAND_ORDER, title=None))
    bars = base.mark_bar().encode(
        y=alt.Y("churn_rate:Q", title="Churn rate", axis=alt.Axis(format="%")),
        color=alt.Color("band:N", scale=band_scale(), legend=None),
        tooltip=["band:N", "accounts:Q", alt.Tooltip("churn_rate:Q", format=".1%"),
                 alt.Tooltip("lo:Q", format=".1%", title="95% CI low"),
                 alt.Tooltip("hi:Q", format=".1%", title="95% CI high")])
    errors = base.mark_errorbar(color="#333").encode(y=alt.Y("lo:Q", title="Churn rate"),
                                                      y2="hi:Q")
    return alt.layer(bars, errors).properties(height=height)


def roc_chart(roc: dict[str, Any], height: int = 280) -> alt.LayerChart:
    """ROC curve of the score as a churn alert, with the coin-flip diagonal."""
    data = pd.DataFrame({"fpr": roc.get("fpr") or [], "tpr": roc.get("tpr") or []})
    curve = alt.Chart(data).mark_line(color="#4c78a8").encode(
        x=alt.X("fpr:Q", title="Renewed accounts flagged (false alarms)",
                axis=alt.Axis(format="%")),
        y=alt.Y("tpr:Q", title="Churned accounts flagged (caught)", axis=alt.Axis(format="%")))
    diagonal = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]})).mark_line(
        strokeDash=[4, 4], color="#999").encode(x="x:Q", y="y:Q")
    return alt.layer(diagonal, curve).properties(height=height)


def calibration_chart(bins: Sequence[dict[str, Any]], height: int = 240) -> alt.Chart:
    """Churn rate per score decile (should fall as the score rises)."""
    data = pd.DataFrame([{"mean_score": b["mean_score"], "churn_rate": b["churn_rate"],
                          "accounts": b["accounts"],
                          "lo": (b.get("churn_rate_ci") or [None, None])[0],
                          "hi": (b.get("churn_rate_ci") or [None, None])[1]} for b in bins])
    base = alt.Chart(data).encode(x=alt.X("mean_score:Q", title="Mean score of the decile",
                                          scale=alt.Scale(domain=[0, 100])))
    line = base.mark_line(point=True, color="#4c78a8").encode(
        y=alt.Y("churn_rate:Q", title="Churn rate", axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("mean_score:Q", format=".1f"), "accounts:Q",
                 alt.Tooltip("churn_rate:Q", format=".1%")])
    band = base.mark_errorbar(color="#888").encode(y=alt.Y("lo:Q", title="Churn rate"),
                                                    y2="hi:Q")
    return alt.layer(band, line).properties(height=height)


def contributions_chart(names: Sequence[str], points: Sequence[float],
                        guardrail_points: float = 0.0, height: int | None = None
                        ) -> alt.Chart:
    """Points each factor adds to one account's score (a horizontal bar per factor)."""
    rows = [{"factor": n, "points": float(p)} for n, p in zip(names, points, strict=True)
            if np.isfinite(p)]
    if guardrail_points:
        rows.append({"factor": "Guardrail cap", "points": float(guardrail_points)})
    data = pd.DataFrame(rows)
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("factor:N", sort=None, title=None),
        x=alt.X("points:Q", title="Points added to the score"),
        color=alt.condition("datum.points < 0", alt.value(BAND_COLOURS["red"]),
                            alt.value("#4c78a8")),
        tooltip=["factor:N", alt.Tooltip("points:Q", format=".1f")],
    ).properties(height=height or 24 * max(len(rows), 1))


def history_chart(history: pd.DataFrame, red_max: float, yellow_max: float,
                  height: int = 220) -> alt.LayerChart:
    """One account's score over time, points coloured by band, with band cut-offs."""
    data = history.assign(band_name=np.array([*BAND_ORDER, ""], dtype=object)[
        np.where(history["band"] < 0, 3, history["band"])])
    line = alt.Chart(data).mark_line(color="#888").encode(
        x=alt.X("snapshot_date:T", title=None),
        y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 100]), title="Score"))
    dots = alt.Chart(data).mark_circle(size=60).encode(
        x="snapshot_date:T", y="score:Q",
        color=alt.Color("band_name:N", scale=band_scale(), title="Band"),
        tooltip=[alt.Tooltip("snapshot_date:T", title="date"),
                 alt.Tooltip("score:Q", format=".1f"), "band_name:N"])
    cuts = alt.Chart(pd.DataFrame({"y": [red_max, yellow_max]})).mark_rule(
        strokeDash=[4, 4], color="#aaa").encode(y="y:Q")
    return alt.layer(cuts, line, dots).properties(height=height)


def factor_distribution_chart(values: np.ndarray, churned: np.ndarray, title: str,
                              bins: int = 20, height: int = 160) -> alt.Chart:
    """One factor's raw values for renewed vs churned accounts (share per bin)."""
    finite = np.isfinite(values)
    if not finite.any():
        return alt.Chart(pd.DataFrame({"x": []})).mark_bar()
    lo, hi = np.nanmin(values[finite]), np.nanmax(values[finite])
    edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
    rows = []
    for outcome, mask in (("renewed", ~churned), ("churned", churned)):
        counts, _ = np.histogram(values[finite & mask], bins=edges)
        rows.append(pd.DataFrame({"from": edges[:-1], "to": edges[1:], "outcome": outcome,
                                  "share": counts / max(counts.sum(), 1)}))
    data = pd.concat(rows, ignore_index=True)
    return alt.Chart(data).mark_bar(opacity=0.55, binSpacing=0).encode(
        x=alt.X("from:Q", bin="binned", title=title), x2="to:Q",
        y=alt.Y("share:Q", stack=None, title="Share", axis=alt.Axis(format="%")),
        color=alt.Color("outcome:N", scale=alt.Scale(
            domain=list(OUTCOME_COLOURS), range=list(OUTCOME_COLOURS.values()))),
    ).properties(height=height)


def migration_chart(matrix: pd.DataFrame, height: int = 200) -> alt.LayerChart:
    """Band migration heat map: rows = baseline band, columns = draft band, counts."""
    data = matrix.reset_index().melt(id_vars=matrix.index.name or "index",
                                     var_name="draft", value_name="accounts")
    data = data.rename(columns={matrix.index.name or "index": "baseline"})
    base = alt.Chart(data).encode(
        x=alt.X("draft:N", sort=BAND_ORDER, title="Draft band"),
        y=alt.Y("baseline:N", sort=BAND_ORDER, title="Baseline band"))
    heat = base.mark_rect().encode(color=alt.Color("accounts:Q", scale=alt.Scale(
        scheme="blues"), legend=None))
    text = base.mark_text(fontSize=14).encode(text="accounts:Q")
    return alt.layer(heat, text).properties(height=height)


def curve_chart(data: pd.DataFrame, numeric: bool, height: int = 220) -> alt.Chart:
    """Current rule vs fitted curve for one factor.

    ``data``: columns ``x`` (raw value, or category label), ``points`` and ``rule``
    ("current rule" / "fitted curve"). Numeric factors draw step lines over the value range;
    categories draw grouped bars.
    """
    colours = alt.Scale(domain=["current rule", "fitted curve"], range=["#9aa3af", "#2563eb"])
    if numeric:
        return alt.Chart(data).mark_line(interpolate="step-after", strokeWidth=2.5).encode(
            x=alt.X("x:Q", title="Value"), y=alt.Y("points:Q", title="Points",
                                                   scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("rule:N", scale=colours, title=None),
        ).properties(height=height)
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("x:N", title=None), xOffset="rule:N",
        y=alt.Y("points:Q", title="Points", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("rule:N", scale=colours, title=None),
    ).properties(height=height)


def _outcome_colour() -> alt.Scale:
    return alt.Scale(domain=list(OUTCOME_COLOURS), range=list(OUTCOME_COLOURS.values()))


def factor_comparison_chart(values: Sequence[Any] | np.ndarray, churned: np.ndarray,
                            title: str, kind: str = "number", bins: int = 20,
                            height: int = 180, top: int = 8) -> alt.Chart | alt.LayerChart:
    """One factor for renewed vs churned accounts, readable at a glance.

    ``kind`` "boolean": two bars per outcome (share yes); "category": the ``top`` most common
    categories as bars, renewed and churned side by side; "number": a back-to-back histogram
    (renewed above the axis, churned below), never two overlaid translucent histograms.
    Missing values are left out; outcomes are told apart by position and label, not colour
    alone.
    """
    churned = np.asarray(churned, dtype=bool)
    if kind == "category":
        series = pd.Series(values, dtype=object)
        known = series.notna().to_numpy()
        text = series[known].astype(str)
        common = text.value_counts().index[:top].tolist()
        rows = []
        for outcome, mask in (("renewed", ~churned[known]), ("churned", churned[known])):
            counts = text[mask].value_counts()
            total = max(int(mask.sum()), 1)
            rows += [{"category": c, "outcome": outcome, "share": counts.get(c, 0) / total}
                     for c in common]
        data = pd.DataFrame(rows, columns=["category", "outcome", "share"])
        return alt.Chart(data).mark_bar().encode(
            y=alt.Y("category:N", sort=common, title=title),
            yOffset=alt.YOffset("outcome:N", sort=list(OUTCOME_COLOURS)),
            x=alt.X("share:Q", title="Share of accounts", axis=alt.Axis(format="%")),
            color=alt.Color("outcome:N", scale=_outcome_colour(), title="Outcome"),
            tooltip=["category:N", "outcome:N", alt.Tooltip("share:Q", format=".1%")],
        ).properties(height=max(height, 28 * len(common) + 40))
    numbers = np.asarray(values, dtype=float)
    finite = np.isfinite(numbers)
    if kind == "boolean":
        rows = []
        for outcome, mask in (("renewed", ~churned & finite), ("churned", churned & finite)):
            n = int(mask.sum())
            rows.append({"outcome": outcome, "accounts": n,
                         "share": float(numbers[mask].mean()) if n else 0.0})
        data = pd.DataFrame(rows)
        base = alt.Chart(data).encode(
            x=alt.X("outcome:N", sort=list(OUTCOME_COLOURS), title=None),
            y=alt.Y("share:Q", title=f"Share with {title}: yes",
                    axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])))
        bars = base.mark_bar(size=48).encode(
            color=alt.Color("outcome:N", scale=_outcome_colour(), legend=None),
            tooltip=["outcome:N", "accounts:Q", alt.Tooltip("share:Q", format=".1%")])
        labels = base.mark_text(dy=-8, fontWeight="bold").encode(
            text=alt.Text("share:Q", format=".0%"))
        return alt.layer(bars, labels).properties(height=height)
    if not finite.any():
        return alt.Chart(pd.DataFrame({"x": []})).mark_bar()
    lo, hi = np.nanmin(numbers[finite]), np.nanmax(numbers[finite])
    edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
    rows = []
    for outcome, mask, sign in (("renewed", ~churned, 1), ("churned", churned, -1)):
        counts, _ = np.histogram(numbers[finite & mask], bins=edges)
        share = counts / max(counts.sum(), 1)
        rows.append(pd.DataFrame({"from": edges[:-1], "to": edges[1:], "outcome": outcome,
                                  "share": share, "plotted": sign * share}))
    data = pd.concat(rows, ignore_index=True)
    return alt.Chart(data).mark_bar(binSpacing=1).encode(
        x=alt.X("from:Q", bin="binned", title=title), x2="to:Q",
        y=alt.Y("plotted:Q", title="↑ renewed · churned ↓",
                axis=alt.Axis(format="%", labelExpr="replace(datum.label, '-', '')")),
        color=alt.Color("outcome:N", scale=_outcome_colour(), title="Outcome"),
        tooltip=["outcome:N", alt.Tooltip("from:Q", format=",.1f"),
                 alt.Tooltip("to:Q", format=",.1f"), alt.Tooltip("share:Q", format=".1%")],
    ).properties(height=height)
