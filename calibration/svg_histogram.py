"""The renewed-vs-churned score histogram as inline SVG markup (Calibrate's score chart).

It shows what :func:`calibration.charts.score_distribution_chart` (the Vega-Lite chart the
HTML report keeps) shows: each outcome's share of accounts per score bin, overlaid with the
same colours and opacity, the band cut-offs as dashed lines labelled in text, axes, a legend
and a tooltip per bin (score range, each outcome's accounts and share). As plain markup a
browser draws it without Vega (~1 MB of JavaScript for a new session) and a slider step
replaces a few hundred SVG nodes instead of re-running a Vega view.

Text, axes and grid lines are drawn in ``currentColor``, so the chart follows the page's
light or dark theme. The numbers come from :func:`calibration.charts.score_histogram`; this
module only lays them out. Every string put into the markup (names, labels, titles) is
escaped, and characters XML does not allow are replaced, so hostile names stay text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from calibration.charts import BAND_COLOURS, OUTCOME_COLOURS, band_cuts

WIDTH, HEIGHT = 560, 280  # the viewBox; the SVG is scaled to the pane's width
BAR_OPACITY = 0.55  # as the Vega chart's bars: overlaid outcomes stay visible
FONT_SIZE = 12
CHAR_WIDTH = 7.0  # rough width of a character at FONT_SIZE, to space the legend entries


@dataclass(frozen=True)
class Plot:
    """The plotting area inside the viewBox (SVG user units, y grows downwards)."""

    left: float = 58.0
    top: float = 34.0
    right: float = 548.0
    bottom: float = 232.0

    def x(self, score: float) -> float:
        """Horizontal position of a score (0-100; outside values are clamped)."""
        return self.left + min(max(score, 0.0), 100.0) / 100.0 * (self.right - self.left)

    def y(self, value: float, top_value: float) -> float:
        """Vertical position of a share on a 0..``top_value`` axis."""
        return self.bottom - value / top_value * (self.bottom - self.top)


PLOT = Plot()
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}")


def text(value: object) -> str:
    """``value`` as SVG text or attribute content: markup characters escaped (quotes too),
    characters XML forbids replaced by U+FFFD, line breaks as spaces (the markup stays one
    line)."""
    plain = _NOT_XML.sub("\ufffd", str(value))
    return escape(re.sub(r"[\t\n\r]", " ", plain), quote=True)


def num(value: float) -> str:
    """A coordinate: two decimals (finite values only)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite coordinate: {value!r}")
    return f"{value:.2f}"


def colour(value: str) -> str:
    """A hex colour as given, anything else as ``currentColor``."""
    return value if _COLOUR.fullmatch(value) else "currentColor"


def nice_ticks(largest: float, target: int = 6) -> list[float]:
    """Axis ticks from 0 to the first multiple of a 1, 2 or 5 x 10^k step at or above
    ``largest``, at most ``target`` steps (0 to 0.1 when ``largest`` is not positive)."""
    if not largest > 0:
        largest = 0.1
    magnitude = 10.0 ** math.floor(math.log10(largest / target))
    step = next(m * magnitude for m in (1, 2, 5, 10) if largest / (m * magnitude) <= target)
    count = math.ceil(largest / step - 1e-9)
    return [round(i * step, 12) for i in range(count + 1)]


def percent(value: float, step: float) -> str:
    """A share as a percentage with as many decimals as the tick step needs."""
    decimals = max(0, math.ceil(-math.log10(step * 100) - 1e-9))
    return f"{value * 100:.{decimals}f}%"


@dataclass(frozen=True)
class Series:
    """One outcome's bins: accounts and share of the outcome's accounts per bin."""

    name: str
    accounts: np.ndarray
    share: np.ndarray


def _series(hist: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[Series]]:
    """Bin edges and the series of a long-form histogram (series in first-seen order,
    every series on the same bins)."""
    names = list(dict.fromkeys(hist["outcome"].tolist()))
    outcome = hist["outcome"].to_numpy()
    rows = [np.flatnonzero(outcome == name) for name in names]
    starts = hist["bin_start"].to_numpy(float)
    ends = hist["bin_end"].to_numpy(float)
    if not rows:
        return np.empty(0), np.empty(0), []
    first = rows[0]
    for picked in rows[1:]:
        if not (np.array_equal(starts[picked], starts[first])
                and np.array_equal(ends[picked], ends[first])):
            raise ValueError("every series of the histogram needs the same bins")
    accounts = hist["accounts"].to_numpy()
    share = hist["share"].to_numpy(float)
    return starts[first], ends[first], [Series(name, accounts[picked], share[picked])
                                        for name, picked in zip(names, rows, strict=True)]


def histogram_svg(hist: pd.DataFrame, cuts: pd.DataFrame, *,
                  colours: Mapping[str, str], cut_colours: Mapping[str, str],
                  title: str = "Renewed vs churned", x_title: str = "Health score",
                  y_title: str = "Share of accounts", legend_title: str = "Outcome") -> str:
    """Overlaid histograms (one per ``hist["outcome"]`` value) with cut-off lines.

    Parameters
    ----------
    hist
        Long form, one row per bin and series: ``bin_start``, ``bin_end`` (scores 0-100),
        ``outcome`` (series name), ``accounts`` and ``share`` (of the series' accounts), as
        :func:`calibration.charts.score_histogram` returns.
    cuts
        One row per cut-off line: ``score``, ``label`` and ``band`` (a key of
        ``cut_colours``). The first cut's label sits left of its line, the others right,
        so two close cut-offs never print over each other.
    colours, cut_colours
        Hex colours per series name and per band (others: the text colour).
    title, x_title, y_title, legend_title
        The chart's accessible name and its axis and legend titles.

    Returns
    -------
    str
        One line of markup: a ``<div>`` holding an ``<svg role="img">`` whose
        ``aria-label`` summarises the chart, scaled to its container's width.
    """
    starts, ends, series = _series(hist)
    names = [s.name for s in series]
    ticks = nice_ticks(max((float(s.share.max()) for s in series if s.share.size),
                           default=0.0))
    top, step = ticks[-1], ticks[1] - ticks[0]
    widths = sorted({round(e - s, 9) for s, e in zip(starts, ends, strict=True)})
    summary = (f"{title}: histogram of health scores, "
               + " and ".join(f"{int(s.accounts.sum()):,} {s.name}" for s in series)
               + " accounts"
               + (f", each outcome's share per {widths[0]:g}-point score bin"
                  if len(widths) == 1 else "")
               + ("; band cut-offs " + " and ".join(str(v) for v in cuts["label"])
                  if len(cuts) else "") + ".")
    out = [f'<div class="hsc-svg-chart"><svg xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
           f'aria-label="{text(summary)}" font-size="{FONT_SIZE}" '
           'style="display:block;height:auto;max-height:22rem;overflow:visible">']
    out.append('<g class="grid" stroke="currentColor" stroke-opacity="0.15">')
    out += [f'<line x1="{num(PLOT.left)}" x2="{num(PLOT.right)}" y1="{num(PLOT.y(t, top))}" '
            f'y2="{num(PLOT.y(t, top))}"/>' for t in ticks[1:]]
    out.append("</g>")
    fills = [f'fill="{text(colour(colours.get(s.name, "")))}" fill-opacity="{BAR_OPACITY}"'
             for s in series]
    classes = [f'class="bar" data-series="{text(s.name)}"' for s in series]
    full = num(PLOT.bottom - PLOT.top)
    out.append('<g class="bins">')
    for i, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        tip = f"Score {start:g}–{end:g}: " + "; ".join(
            f"{s.name} {int(s.accounts[i]):,} ({s.share[i]:.1%})" for s in series)
        x0, x1 = PLOT.x(start), PLOT.x(end)
        out.append(f'<g class="bin"><title>{text(tip)}</title>'
                   f'<rect class="hit" x="{num(x0)}" y="{num(PLOT.top)}" '
                   f'width="{num(x1 - x0)}" height="{full}" fill="transparent"/>')
        for s, fill, kind in zip(series, fills, classes, strict=True):
            y = PLOT.y(float(s.share[i]), top)
            out.append(f'<rect {kind} x="{num(x0)}" y="{num(y)}" width="{num(x1 - x0)}" '
                       f'height="{num(PLOT.bottom - y)}" {fill}/>')
        out.append("</g>")
    out.append("</g>")
    out += axes([(score, str(score)) for score in range(0, 101, 10)], ticks, step, x_title,
                y_title)
    out += _cut_lines(cuts, cut_colours)
    out += _legend(names, colours, legend_title)
    out.append("</svg></div>")
    return "".join(out)


def axes(x_ticks: Sequence[tuple[float, str]], y_ticks: Sequence[float], y_step: float,
         x_title: str, y_title: str, *,
         y_label: Callable[[float, float], str] | None = None, grid: bool = False
         ) -> list[str]:
    """Both axes with their ticks (x: position 0-100 and label; y: values on a
    0..last-tick axis, labelled by ``y_label(value, step)``: shares by default) and
    titles; with ``grid``, a faint line at every y tick above 0."""
    y_label = y_label or percent
    top = y_ticks[-1]
    out = []
    if grid:
        out += ['<g class="grid" stroke="currentColor" stroke-opacity="0.15">']
        out += [f'<line x1="{num(PLOT.left)}" x2="{num(PLOT.right)}" '
                f'y1="{num(PLOT.y(t, top))}" y2="{num(PLOT.y(t, top))}"/>'
                for t in y_ticks[1:]]
        out += ['</g>']
    out += ['<g class="axes" fill="currentColor" stroke="currentColor">',
            f'<line class="x-axis" x1="{num(PLOT.left)}" x2="{num(PLOT.right)}" '
            f'y1="{num(PLOT.bottom)}" y2="{num(PLOT.bottom)}"/>',
            f'<line class="y-axis" x1="{num(PLOT.left)}" x2="{num(PLOT.left)}" '
            f'y1="{num(PLOT.top)}" y2="{num(PLOT.bottom)}"/>']
    for position, label in x_ticks:
        x = num(PLOT.x(position))
        out.append(f'<line x1="{x}" x2="{x}" y1="{num(PLOT.bottom)}" '
                   f'y2="{num(PLOT.bottom + 5)}"/><text class="x-tick" x="{x}" '
                   f'y="{num(PLOT.bottom + 18)}" text-anchor="middle" '
                   f'stroke="none">{text(label)}</text>')
    for tick in y_ticks:
        y = num(PLOT.y(tick, top))
        out.append(f'<line x1="{num(PLOT.left - 5)}" x2="{num(PLOT.left)}" y1="{y}" '
                   f'y2="{y}"/><text class="y-tick" x="{num(PLOT.left - 8)}" y="{y}" '
                   f'text-anchor="end" dominant-baseline="middle" '
                   f'stroke="none">{text(y_label(tick, y_step))}</text>')
    middle = (PLOT.top + PLOT.bottom) / 2
    out.append(f'<text class="x-title" x="{num((PLOT.left + PLOT.right) / 2)}" '
               f'y="{num(HEIGHT - 8)}" text-anchor="middle" font-weight="bold" '
               f'stroke="none">{text(x_title)}</text>')
    out.append(f'<text class="y-title" x="14" y="{num(middle)}" text-anchor="middle" '
               f'font-weight="bold" stroke="none" dominant-baseline="middle" '
               f'transform="rotate(-90 14 {num(middle)})">{text(y_title)}</text>')
    out.append("</g>")
    return out


def _cut_lines(cuts: pd.DataFrame, cut_colours: Mapping[str, str]) -> list[str]:
    """Dashed cut-off lines, each labelled in bold text of its band's colour at the top."""
    out = ['<g class="cuts">']
    for i, (score, label, band) in enumerate(zip(cuts["score"], cuts["label"], cuts["band"],
                                                 strict=True)):
        x, paint = PLOT.x(float(score)), text(colour(cut_colours.get(band, "")))
        left = i == 0 and len(cuts) > 1
        out.append(f'<g class="cut" data-band="{text(band)}">'
                   f'<line x1="{num(x)}" x2="{num(x)}" y1="{num(PLOT.top)}" '
                   f'y2="{num(PLOT.bottom)}" stroke="{paint}" stroke-width="2" '
                   'stroke-dasharray="5 3"/>'
                   f'<text x="{num(x - 4 if left else x + 4)}" y="{num(PLOT.top + 2)}" '
                   f'text-anchor="{"end" if left else "start"}" '
                   f'dominant-baseline="hanging" font-weight="bold" '
                   f'fill="{paint}">{text(label)}</text></g>')
    out.append("</g>")
    return out


def _legend(names: Sequence[str], colours: Mapping[str, str], legend_title: str
            ) -> list[str]:
    """The legend above the plot: its title, then a swatch and a name per series."""
    y = 14.0
    out = ['<g class="legend" fill="currentColor">',
           f'<text x="{num(PLOT.left)}" y="{num(y)}" dominant-baseline="middle" '
           f'font-weight="bold">{text(legend_title)}</text>']
    x = PLOT.left + CHAR_WIDTH * len(legend_title) + 16
    for name in names:
        out.append(f'<rect x="{num(x)}" y="{num(y - 5)}" width="10" height="10" '
                   f'fill="{text(colour(colours.get(name, "")))}" '
                   f'fill-opacity="{BAR_OPACITY}"/>'
                   f'<text class="legend-label" x="{num(x + 14)}" y="{num(y)}" '
                   f'dominant-baseline="middle">{text(name)}</text>')
        x += 14 + CHAR_WIDTH * len(name) + 16
    out.append("</g>")
    return out


def score_distribution_svg(hist: pd.DataFrame, red_max: float, yellow_max: float) -> str:
    """Calibrate's renewed-vs-churned chart: :func:`histogram_svg` with the outcome and
    band colours and the cut-off labels of :func:`calibration.charts.band_cuts`."""
    return histogram_svg(hist, band_cuts(red_max, yellow_max), colours=OUTCOME_COLOURS,
                         cut_colours=BAND_COLOURS)
