"""Calibrate's score chart as inline SVG (calibration.svg_histogram): the markup parses as XML,
its bars, ticks, tooltips and cut-off lines match an independent numpy histogram, and hostile
names stay text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from calibration import charts, svg_histogram

SVG = "{http://www.w3.org/2000/svg}"
TOL = 0.006  # coordinates are written with two decimals


def parse(markup: str) -> ET.Element:
    """The ``<svg>`` element inside the chart's ``<div>``."""
    div = ET.fromstring(markup)
    assert div.tag == "div"
    (svg,) = list(div)
    assert svg.tag == f"{SVG}svg"
    return svg


def find(svg: ET.Element, path: str) -> list[ET.Element]:
    return svg.findall(path.replace("svg:", SVG))


def independent(score: np.ndarray, churned: np.ndarray, width: float = 2.5
                ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Accounts and share per bin for each outcome (np.histogram with an edge array)."""
    edges = np.linspace(0, 100, round(100 / width) + 1)
    out = {}
    for name, mask in (("renewed", ~churned), ("churned", churned)):
        counts, _ = np.histogram(score[mask & ~np.isnan(score)], bins=edges)
        out[name] = (counts, counts / max(counts.sum(), 1))
    return out


class Axes:
    """The scales as the markup's own axes state them: x from the "0" and "100" tick
    labels, y from the x-axis line (0) and the top y tick's label and position."""

    def __init__(self, svg: ET.Element):
        xticks = {t.text: float(t.get("x")) for t in find(svg, ".//svg:text[@class='x-tick']")}
        assert list(xticks) == [str(v) for v in range(0, 101, 10)]
        self.x0, self.x100 = xticks["0"], xticks["100"]
        (axis,) = find(svg, ".//svg:line[@class='x-axis']")
        self.bottom = float(axis.get("y1"))
        self.yticks = [(float(t.text.rstrip("%")) / 100, float(t.get("y")))
                       for t in find(svg, ".//svg:text[@class='y-tick']")]
        self.top_value, self.top = max(self.yticks)

    def x(self, score: float) -> float:
        return self.x0 + score / 100 * (self.x100 - self.x0)

    def height(self, share: float) -> float:
        return share / self.top_value * (self.bottom - self.top)


def sample(seed: int, n: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    churned = rng.random(n) < 0.25
    score = np.clip(np.where(churned, rng.normal(35, 15, n), rng.normal(65, 15, n)), 0, 100)
    score[rng.random(n) < 0.01] = np.nan
    score[:3] = [0.0, 100.0, 2.5]  # both ends and a bin edge
    return score, churned


@pytest.mark.parametrize(("seed", "bands"), [(0, (30.0, 70.0)), (1, (12.5, 88.0)),
                                             (2, (55.0, 56.0))])
def test_bars_match_an_independent_histogram(seed, bands):
    score, churned = sample(seed)
    svg = parse(svg_histogram.score_distribution_svg(charts.score_histogram(score, churned),
                                                     *bands))
    expected = independent(score, churned)
    axes = Axes(svg)
    largest = max(share.max() for _, share in expected.values())
    assert largest <= axes.top_value < 2.5 * largest  # a nice axis end above the top bar
    for value, y in axes.yticks:  # every tick where the scale puts it
        assert y == pytest.approx(axes.bottom - axes.height(value), abs=TOL)
    groups = find(svg, ".//svg:g[@class='bin']")
    assert len(groups) == 40
    for i, group in enumerate(groups):
        start, end = i * 2.5, (i + 1) * 2.5
        bars = group.findall(f"{SVG}rect[@class='bar']")
        assert [b.get("data-series") for b in bars] == ["renewed", "churned"]
        for bar in bars:
            share = expected[bar.get("data-series")][1]
            assert float(bar.get("x")) == pytest.approx(axes.x(start), abs=TOL)
            assert float(bar.get("width")) == pytest.approx(axes.x(end) - axes.x(start),
                                                            abs=TOL)
            assert float(bar.get("height")) == pytest.approx(axes.height(share[i]), abs=TOL)
            assert float(bar.get("y")) + float(bar.get("height")) == pytest.approx(
                axes.bottom, abs=2 * TOL)  # bars stand on the x axis
            assert bar.get("fill") == charts.OUTCOME_COLOURS[bar.get("data-series")]
            assert bar.get("fill-opacity") == "0.55"
        (title,) = group.findall(f"{SVG}title")
        renewed, churn = expected["renewed"], expected["churned"]
        assert title.text == (f"Score {start:g}–{end:g}: renewed {renewed[0][i]:,} "
                              f"({renewed[1][i]:.1%}); churned {churn[0][i]:,} "
                              f"({churn[1][i]:.1%})")
    label = svg.get("aria-label")
    assert svg.get("role") == "img" and svg.get("viewBox") and svg.get("width") == "100%"
    assert f"{expected['renewed'][0].sum():,} renewed" in label
    assert f"{expected['churned'][0].sum():,} churned" in label
    assert f"red ≤ {bands[0]:g}" in label and f"green > {bands[1]:g}" in label


@pytest.mark.parametrize("bands", [(30.0, 70.0), (12.5, 88.0), (55.0, 56.0), (0.0, 100.0)])
def test_cut_off_lines_are_dashed_labelled_and_placed(bands):
    score, churned = sample(3)
    svg = parse(svg_histogram.score_distribution_svg(charts.score_histogram(score, churned),
                                                     *bands))
    axes = Axes(svg)
    cuts = find(svg, ".//svg:g[@class='cut']")
    assert [c.get("data-band") for c in cuts] == ["red", "green"]
    for cut, value, label, side in zip(cuts, bands, (f"red ≤ {bands[0]:g}",
                                                     f"green > {bands[1]:g}"), (-1, 1),
                                       strict=True):
        (line,) = cut.findall(f"{SVG}line")
        (text,) = cut.findall(f"{SVG}text")
        colour = charts.BAND_COLOURS[cut.get("data-band")]
        assert float(line.get("x1")) == float(line.get("x2")) == pytest.approx(
            axes.x(value), abs=TOL)
        assert float(line.get("y1")) == pytest.approx(axes.top, abs=TOL)
        assert float(line.get("y2")) == pytest.approx(axes.bottom, abs=TOL)
        assert line.get("stroke-dasharray") == "5 3" and line.get("stroke") == colour
        assert text.text == label and text.get("fill") == colour
        # the red label ends left of its line, the green one starts right of it
        assert np.sign(float(text.get("x")) - axes.x(value)) == side
        assert text.get("text-anchor") == ("end" if side < 0 else "start")


def test_legend_and_theme_colours():
    score, churned = sample(4)
    markup = svg_histogram.score_distribution_svg(charts.score_histogram(score, churned),
                                                  30, 70)
    svg = parse(markup)
    (legend,) = find(svg, ".//svg:g[@class='legend']")
    assert [t.text for t in legend.findall(f"{SVG}text")] == ["Outcome", "renewed", "churned"]
    assert [r.get("fill") for r in legend.findall(f"{SVG}rect")] == [
        charts.OUTCOME_COLOURS["renewed"], charts.OUTCOME_COLOURS["churned"]]
    # text, axes and grid follow the page's text colour (light and dark theme): no fixed
    # black, white or grey anywhere, only the outcome and band colours
    assert legend.get("fill") == "currentColor"
    (axes,) = find(svg, ".//svg:g[@class='axes']")
    assert axes.get("fill") == axes.get("stroke") == "currentColor"
    (grid,) = find(svg, ".//svg:g[@class='grid']")
    assert grid.get("stroke") == "currentColor"
    colours = set(re.findall(r"#[0-9a-fA-F]{3,8}\b", markup))
    assert colours == set(charts.OUTCOME_COLOURS.values()) | {charts.BAND_COLOURS["red"],
                                                             charts.BAND_COLOURS["green"]}
    titles = [t.text for t in find(svg, ".//svg:text[@font-weight='bold']")]
    assert {"Outcome", "Health score", "Share of accounts"} <= set(titles)


def test_no_churned_accounts_and_empty_bins():
    score = np.full(50, 42.0)
    svg = parse(svg_histogram.score_distribution_svg(
        charts.score_histogram(score, np.zeros(50, bool)), 30, 70))
    axes = Axes(svg)
    heights = {(i, b.get("data-series")): float(b.get("height"))
               for i, g in enumerate(find(svg, ".//svg:g[@class='bin']"))
               for b in g.findall(f"{SVG}rect[@class='bar']")}
    assert axes.top_value == 1.0
    assert heights[(16, "renewed")] == pytest.approx(axes.bottom - axes.top, abs=TOL)
    assert sum(heights.values()) == heights[(16, "renewed")]
    assert "0 churned" in svg.get("aria-label")
    empty = parse(svg_histogram.score_distribution_svg(
        charts.score_histogram(np.array([np.nan]), np.array([False])), 30, 70))
    assert Axes(empty).top_value == pytest.approx(0.1)


HOSTILE = ['<script>alert(1)</script>', '" onmouseover="alert(1)', "a'b&amp;c<!--",
           "x]]><img src=x onerror=alert(1)>", "line\nbreak\r\n\ttab", "nul\x00\x1bend",
           "\n\n# heading *em* $x$ :red[y]"]


def test_hostile_strings_stay_text():
    rng = np.random.default_rng(5)
    score, churned = rng.uniform(0, 100, 300), rng.random(300) < 0.5
    hist = charts.score_histogram(score, churned)
    names = {"renewed": HOSTILE[0] + HOSTILE[1], "churned": HOSTILE[3] + HOSTILE[2]}
    hist["outcome"] = hist["outcome"].map(names)
    cuts = pd.DataFrame({"score": [20.0, 80.0], "label": [HOSTILE[4], HOSTILE[5]],
                         "band": [HOSTILE[1], "green"]})
    markup = svg_histogram.histogram_svg(
        hist, cuts, colours={names["renewed"]: 'red" onload="alert(1)'},
        cut_colours={"green": "#2e9e5b"}, title=HOSTILE[6], x_title=HOSTILE[0],
        y_title=HOSTILE[2], legend_title=HOSTILE[3])
    svg = parse(markup)

    def shown(value: str) -> str:  # what XML can hold: control characters replaced
        return re.sub(r"[\t\n\r]", " ", re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", value))

    elements = list(svg.iter())
    assert {e.tag.removeprefix(SVG) for e in elements} <= {"svg", "g", "rect", "line", "text",
                                                          "title"}
    assert not [a for e in elements for a in e.attrib if a.lower().startswith("on")]
    by_class = {e.get("class"): e.text for e in elements if e.tag == f"{SVG}text"}
    assert by_class["x-title"] == HOSTILE[0] and by_class["y-title"] == HOSTILE[2]
    legend = [t.text for t in find(svg, ".//svg:g[@class='legend']/svg:text")]
    assert legend == [HOSTILE[3], names["renewed"], names["churned"]]
    cut_texts = [t.text for t in find(svg, ".//svg:g[@class='cut']/svg:text")]
    assert cut_texts == [shown(HOSTILE[4]), shown(HOSTILE[5])]
    assert [c.get("data-band") for c in find(svg, ".//svg:g[@class='cut']")] == [
        HOSTILE[1], "green"]
    bars = find(svg, ".//svg:rect[@class='bar']")
    assert [b.get("data-series") for b in bars[:2]] == [names["renewed"], names["churned"]]
    # a colour that is not a hex colour is not passed on; unknown names get the text colour
    assert {b.get("fill") for b in bars} == {"currentColor"}
    assert [c.get("stroke") for c in find(svg, ".//svg:g[@class='cut']/svg:line")] == [
        "currentColor", "#2e9e5b"]
    assert svg.get("aria-label").startswith(shown(HOSTILE[6]) + ":")
    assert names["churned"] in find(svg, ".//svg:g[@class='bin']/svg:title")[0].text
    assert "\n" not in markup  # one line (the browser test draws such markup: test_attacks)


def test_series_need_the_same_bins():
    hist = charts.score_histogram(np.array([10.0, 60.0]), np.array([False, True]))
    hist.loc[hist["outcome"] == "churned", "bin_start"] += 1
    with pytest.raises(ValueError, match="same bins"):
        svg_histogram.histogram_svg(hist, charts.band_cuts(30, 70), colours={},
                                    cut_colours={})


@pytest.mark.parametrize("largest", [1e-4, 0.013, 0.05, 0.0501, 0.19, 0.2, 0.37, 1.0])
def test_nice_ticks(largest):
    ticks = svg_histogram.nice_ticks(largest)
    steps = np.diff(ticks)
    assert ticks[0] == 0 and ticks[-1] >= largest and ticks[-2] < largest
    assert np.allclose(steps, steps[0]) and len(ticks) <= 7
    mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
    assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-9
    labels = [svg_histogram.percent(t, steps[0]) for t in ticks]
    assert len(set(labels)) == len(labels)  # enough decimals to tell ticks apart
