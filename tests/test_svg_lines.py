"""Renewals' ROC and churn-by-decile charts as SVG (calibration/svg_lines.py): the markup
draws the points it is given, read back from the coordinates, checked against numbers
computed here with numpy."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from calibration import metrics, svg_lines
from calibration.svg_histogram import PLOT

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    assert "\n" not in markup  # one line: a blank line would end Streamlit's HTML block
    return ET.fromstring(markup).find(f"{SVG}svg")


def polyline(svg: ET.Element, kind: str) -> np.ndarray:
    line = svg.find(f".//{SVG}polyline[@class='{kind}']")
    return np.array([[float(v) for v in p.split(",")] for p in line.get("points").split()])


def share_x(x: np.ndarray) -> np.ndarray:
    return (x - PLOT.left) / (PLOT.right - PLOT.left)


def share_y(y: np.ndarray, top: float) -> np.ndarray:
    return (PLOT.bottom - y) / (PLOT.bottom - PLOT.top) * top


@pytest.fixture(scope="module")
def scored():
    rng = np.random.default_rng(3)
    churned = rng.random(4_000) < 0.2
    score = np.clip(rng.normal(np.where(churned, 45, 62), 15), 0, 100).round(1)
    return score, churned


def test_roc_curve_is_the_share_flagged_at_each_cut_off(scored):
    score, churned = scored
    roc = metrics.roc_curve(score, churned)
    svg = parse(svg_lines.roc_svg(roc))
    points = polyline(svg, "roc")
    fpr, tpr = share_x(points[:, 0]), share_y(points[:, 1], 1.0)
    assert len(points) == len(roc["fpr"]) > 50
    # each point flags the accounts at or below a cut-off: by hand, per distinct score
    cuts = np.unique(score)
    by_hand = np.array([(0.0, 0.0)] + [((score[~churned] <= c).mean(),
                                        (score[churned] <= c).mean()) for c in cuts])
    for point in zip(fpr, tpr, strict=True):  # to the coordinates' resolution
        assert np.abs(by_hand - point).max(axis=1).min() < 3e-4
    assert np.allclose([fpr[0], tpr[0], fpr[-1], tpr[-1]], [0, 0, 1, 1], atol=1e-4)
    assert np.all(np.diff(fpr) >= -1e-9) and np.all(np.diff(tpr) >= -1e-9)
    diagonal = svg.find(f".//{SVG}line[@class='diagonal']")
    assert diagonal.get("stroke-dasharray") == "4 4"
    assert f"AUC {roc['value']:.3f}" in svg.get("aria-label")
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "x-tick"] == [
        "0%", "20%", "40%", "60%", "80%", "100%"]


def test_deciles_are_each_deciles_churn_rate_and_interval(scored):
    score, churned = scored
    bins = metrics.calibration_table(score, churned)["bins"]
    svg = parse(svg_lines.decile_svg(bins))
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "y-tick"]
    top = float(ticks[-1].rstrip("%")) / 100
    points = polyline(svg, "deciles")
    # by hand: deciles of the scores (ties never straddle an edge), churn share in each
    for (x, y), b in zip(points, bins, strict=True):
        inside = (score >= b["score_min"]) & (score <= b["score_max"])
        assert share_y(np.array([y]), top)[0] == pytest.approx(churned[inside].mean(), abs=2e-4)
        assert x == pytest.approx(PLOT.x(score[inside].mean()), abs=0.006)
    cis = svg.findall(f".//{SVG}line[@class='ci']")
    assert len(cis) == len(bins) == 10
    for line, b in zip(cis, bins, strict=True):
        lo, hi = b["churn_rate_ci"]
        assert share_y(np.array([float(line.get("y1"))]), top)[0] == pytest.approx(lo, abs=2e-4)
        assert share_y(np.array([float(line.get("y2"))]), top)[0] == pytest.approx(hi, abs=2e-4)
        assert lo <= b["churn_rate"] <= hi
    tips = [t.text for t in svg.iter(f"{SVG}title")]
    assert tips[0] == (f"Mean score {bins[0]['mean_score']:.1f}: {bins[0]['accounts']:,} "
                       f"accounts, churn rate {bins[0]['churn_rate']:.1%}")
    assert top >= max(b["churn_rate_ci"][1] for b in bins)


def test_empty_and_mismatched_inputs():
    assert "points=\"\"" in svg_lines.roc_svg({"fpr": [], "tpr": []})
    assert re.search(r'aria-label="Churn rate per score decile: 0 deciles, churn from none',
                     svg_lines.decile_svg([]))
    with pytest.raises(ValueError):
        svg_lines.roc_svg({"fpr": [0.0, 1.0], "tpr": [0.0]})


def test_lead_time_bars_read_back_as_the_buckets_counted_here():
    """Each 30-day bucket of lead days (counted here with numpy) is a bar spanning its days,
    as tall as its accounts on the count axis, with a tooltip naming both."""
    rng = np.random.default_rng(5)
    days = rng.integers(0, 180, 700)
    counts, edges = np.histogram(days, bins=np.arange(0, 181, 30))
    buckets = [{"from_days": int(a), "to_days": int(b), "accounts": int(n)}
               for a, b, n in zip(edges[:-1], edges[1:], counts, strict=True)]
    svg = parse(svg_lines.lead_time_svg(buckets))
    bars = svg.findall(f".//{SVG}g[@class='bar']")
    assert len(bars) == len(buckets)
    top = max(float(t.text.replace(",", "")) for t in svg.iter(f"{SVG}text")
              if t.get("class") == "y-tick")
    assert top >= counts.max()
    for bar, bucket in zip(bars, buckets, strict=True):
        rect = bar.find(f"{SVG}rect")
        left = float(rect.get("x")) - 0.5
        right = left + float(rect.get("width")) + 1.0
        assert share_x(np.array([left, right])) * 180 == pytest.approx(
            [bucket["from_days"], bucket["to_days"]], abs=0.02)
        height = float(rect.get("height"))
        assert height / (PLOT.bottom - PLOT.top) * top == pytest.approx(
            bucket["accounts"], abs=0.02)
        assert bar.find(f"{SVG}title").text == (
            f"{bucket['from_days']}-{bucket['to_days']} days: "
            f"{bucket['accounts']:,} churned accounts")
    ticks = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "y-tick"]
    assert all(t.replace(",", "").isdigit() for t in ticks)  # whole accounts


def test_lead_time_chart_of_few_or_no_accounts_has_whole_ticks():
    few = parse(svg_lines.lead_time_svg([{"from_days": 0, "to_days": 30, "accounts": 2}]))
    assert [t.text for t in few.iter(f"{SVG}text") if t.get("class") == "y-tick"] == [
        "0", "1", "2"]
    empty = parse(svg_lines.lead_time_svg([]))
    assert empty.findall(f".//{SVG}g[@class='bar']") == []


def test_lead_time_tick_labels_do_not_overlap():
    """The default 365-day look-back ends in a 5-day bucket: its 360 and 365 labels would
    print on top of each other; the last one (the look-back) is kept."""
    buckets = [{"from_days": a, "to_days": min(a + 30, 365), "accounts": 3}
               for a in range(0, 365, 30)]
    svg = parse(svg_lines.lead_time_svg(buckets))
    ticks = [(float(t.get("x")), t.text) for t in svg.iter(f"{SVG}text")
             if t.get("class") == "x-tick"]
    labels = [label for _, label in ticks]
    assert labels[0] == "0" and labels[-1] == "365" and "360" not in labels
    assert all(b[0] - a[0] >= 30 for a, b in itertools.pairwise(ticks))
