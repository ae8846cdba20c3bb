"""Renewals' ROC curve, churn-by-decile and lead-time charts as inline SVG markup.

They show what :func:`calibration.charts.roc_chart` and
:func:`calibration.charts.calibration_chart` (the Vega-Lite charts the HTML report keeps)
show, and the lead-time bars (Renewals' only other chart; no Vega version is kept).
Since Calibrate's score chart is SVG (:mod:`calibration.svg_histogram`), these two
were the first Vega charts of a session: the first visit of Renewals loaded ~1 MB of Vega
and Arrow JavaScript (26 files) to draw two small line charts. As markup the browser draws
them at once. Escaping, coordinates, ticks and the viewBox are :mod:`calibration.svg_histogram`'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from calibration.charts import BAND_COLOURS
from calibration.svg_histogram import (
    FONT_SIZE,
    HEIGHT,
    PLOT,
    WIDTH,
    axes,
    nice_ticks,
    num,
    percent,
    text,
)

LINE = "#4c78a8"  # the Vega charts' line colour
GUIDE = "#999999"  # the coin-flip diagonal
ERROR = "#888888"  # a decile's 95% interval


def _x(share: float) -> float:
    """Horizontal position of a 0-1 share."""
    return PLOT.x(100.0 * share)


def _open(summary: str) -> list[str]:
    return [f'<div class="hsc-svg-chart"><svg xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
            f'aria-label="{text(summary)}" font-size="{FONT_SIZE}" '
            'style="display:block;height:auto;max-height:22rem;overflow:visible">']


def roc_svg(roc: dict[str, Any]) -> str:
    """The ROC curve (``roc["fpr"]``, ``roc["tpr"]``: shares 0-1, as
    :func:`calibration.metrics.roc_curve` returns) with the coin-flip diagonal: churned
    accounts flagged (up) against renewed accounts flagged (right)."""
    fpr = [float(v) for v in roc.get("fpr") or []]
    tpr = [float(v) for v in roc.get("tpr") or []]
    if len(fpr) != len(tpr):
        raise ValueError("fpr and tpr need one value per point")
    ticks = [i / 5 for i in range(6)]
    summary = (f"ROC curve: churned accounts flagged against renewed accounts flagged, "
               f"{len(fpr)} cut-offs" + (f", AUC {roc['value']:.3f}"
                                         if roc.get("value") is not None else "") + ".")
    out = _open(summary)
    out += axes([(100 * t, percent(t, 0.2)) for t in ticks], ticks, 0.2,
                "Renewed accounts flagged (false alarms)", "Churned accounts flagged (caught)",
                grid=True)
    out.append(f'<line class="diagonal" x1="{num(_x(0))}" y1="{num(PLOT.y(0, 1))}" '
               f'x2="{num(_x(1))}" y2="{num(PLOT.y(1, 1))}" stroke="{GUIDE}" '
               'stroke-dasharray="4 4"/>')
    points = " ".join(f"{num(_x(x))},{num(PLOT.y(y, 1))}"
                      for x, y in zip(fpr, tpr, strict=True))
    out.append(f'<polyline class="roc" points="{points}" fill="none" stroke="{LINE}" '
               'stroke-width="2"/>')
    out.append("</svg></div>")
    return "".join(out)


def decile_svg(bins: Sequence[dict[str, Any]]) -> str:
    """Churn rate per score decile (``mean_score``, ``churn_rate``, ``accounts`` and an
    optional ``churn_rate_ci`` per bin, as :func:`calibration.metrics.calibration_table`
    returns): a line with a point per decile, its 95% interval as an error bar, and a
    tooltip per point."""
    rows = [(float(b["mean_score"]), float(b["churn_rate"]), int(b["accounts"]),
             b.get("churn_rate_ci") or [None, None]) for b in bins]
    largest = max([rate for _, rate, _, _ in rows]
                  + [float(ci[1]) for *_, ci in rows if ci[1] is not None], default=0.0)
    ticks = nice_ticks(largest)
    top, step = ticks[-1], ticks[1] - ticks[0]
    summary = (f"Churn rate per score decile: {len(rows)} deciles, churn from "
               + (f"{rows[0][1]:.1%} (mean score {rows[0][0]:.1f}) to {rows[-1][1]:.1%} "
                  f"(mean score {rows[-1][0]:.1f})" if rows else "none") + ".")
    out = _open(summary)
    out += axes([(s, str(s)) for s in range(0, 101, 10)], ticks, step,
                "Mean score of the decile", "Churn rate", grid=True)
    out.append(f'<g class="errors" stroke="{ERROR}">')
    for score, _, _, (lo, hi) in rows:
        if lo is None or hi is None:
            continue
        x = num(PLOT.x(score))
        out.append(f'<line class="ci" x1="{x}" x2="{x}" y1="{num(PLOT.y(float(lo), top))}" '
                   f'y2="{num(PLOT.y(float(hi), top))}"/>')
    out.append("</g>")
    points = " ".join(f"{num(PLOT.x(score))},{num(PLOT.y(rate, top))}"
                      for score, rate, _, _ in rows)
    out.append(f'<polyline class="deciles" points="{points}" fill="none" stroke="{LINE}" '
               'stroke-width="2"/>')
    out.append(f'<g class="points" fill="{LINE}">')
    for score, rate, accounts, _ in rows:
        tip = f"Mean score {score:.1f}: {accounts:,} accounts, churn rate {rate:.1%}"
        out.append(f'<g class="point"><title>{text(tip)}</title>'
                   f'<circle cx="{num(PLOT.x(score))}" cy="{num(PLOT.y(rate, top))}" '
                   'r="4"/></g>')
    out.append("</g></svg></div>")
    return "".join(out)


def _spaced(ticks: Sequence[tuple[float, str]], gap: float = 30.0
            ) -> list[tuple[float, str]]:
    """The x ticks whose labels do not overlap: from the last (the look-back) leftwards,
    a tick is left out when it is within ``gap`` units of the one kept after it (e.g.
    360 next to 365)."""
    kept: list[tuple[float, str]] = []
    for position, label in reversed(ticks):
        if not kept or PLOT.x(kept[-1][0]) - PLOT.x(position) >= gap:
            kept.append((position, label))
    return kept[::-1]


def _count(value: float, step: float) -> str:
    return f"{value:,.0f}"


def lead_time_svg(distribution: Sequence[dict[str, Any]]) -> str:
    """Churned accounts by how many days before churn they first turned red: one bar per
    bucket (``from_days``, ``to_days``, ``accounts`` each, as
    :func:`calibration.early_warning.lead_time` returns), a tooltip per bar."""
    rows = [(int(d["from_days"]), int(d["to_days"]), int(d["accounts"]))
            for d in distribution]
    span = max([to for _, to, _ in rows], default=0) or 1
    ticks = nice_ticks(max([n for *_, n in rows], default=0))
    if ticks[1] - ticks[0] < 1:  # whole accounts: no tick between two counts
        ticks = [float(t) for t in range(math.ceil(ticks[-1]) + 1)]
    top, step = ticks[-1], ticks[1] - ticks[0]
    summary = (f"Churned accounts by days before churn they first turned red: "
               f"{sum(n for *_, n in rows):,} accounts in {len(rows)} buckets of days.")
    edges = sorted({f for f, _, _ in rows} | {t for _, t, _ in rows}) or [0]
    out = _open(summary)
    out += axes(_spaced([(100.0 * e / span, str(e)) for e in edges]), ticks, step,
                "Days before churn the account first turned red", "Churned accounts",
                y_label=_count, grid=True)
    out.append(f'<g class="bars" fill="{BAND_COLOURS["red"]}">')
    for start, end, accounts in rows:
        left, right = PLOT.x(100.0 * start / span), PLOT.x(100.0 * end / span)
        y = PLOT.y(accounts, top)
        tip = f"{start}-{end} days: {accounts:,} churned accounts"
        out.append(f'<g class="bar"><title>{text(tip)}</title>'
                   f'<rect x="{num(left + 0.5)}" y="{num(y)}" '
                   f'width="{num(max(right - left - 1.0, 0.0))}" '
                   f'height="{num(PLOT.bottom - y)}"/></g>')
    out.append("</g></svg></div>")
    return "".join(out)
