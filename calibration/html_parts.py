"""HTML building blocks of the reports: CSS, escaping, formatted cells, tables, cards, bars.

Every value goes through :func:`e` (``html.escape``); numbers are formatted by
:mod:`calibration.formatting` and "n/a" is greyed out.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from calibration import formatting
from calibration.config import BAND_NAMES

BAND_COLOURS = {"red": "#d64545", "yellow": "#e3b341", "green": "#3a9e5c"}

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2430;
background:#f6f7f9;line-height:1.45}
main{max-width:1080px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.2rem;margin:28px 0 8px;
border-bottom:2px solid #e4e7ec;padding-bottom:4px}h3{font-size:1rem;margin:16px 0 6px}
.sub{color:#5b6475;margin:0 0 12px}.muted{color:#6b7385}.small{font-size:.85rem}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:.9rem}
th,td{padding:5px 8px;border-bottom:1px solid #e8eaef;text-align:left;vertical-align:top}
th{background:#f1f3f6;font-weight:600}td.num,th.num{text-align:right;
font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
.card{flex:1 1 150px;border:1px solid #e1e4ea;border-radius:8px;padding:10px 12px}
.card .label{font-size:.8rem;color:#5b6475}.card .value{font-size:1.35rem;font-weight:650}
.card .note{font-size:.78rem;color:#6b7385}
.band{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:.8rem;
font-weight:600}.band.red{background:#d64545}.band.yellow{background:#c9981f}
.band.green{background:#3a9e5c}.band.none{background:#8a8f99}
.bar{height:12px;border-radius:3px;display:inline-block;vertical-align:middle}
.barcell{width:40%}.track{background:#eef0f3;border-radius:3px;width:100%;height:12px;
position:relative}.track .bar{position:absolute;top:0}
.warn{background:#fff6e0;border-left:4px solid #e3b341;padding:6px 10px;margin:6px 0}
.good{color:#2d7d4a}.bad{color:#b23636}
.chart{margin:8px 0 16px}.charts-note{font-size:.85rem;color:#6b7385}
code{background:#f1f3f6;padding:1px 4px;border-radius:3px;font-size:.85em}
footer{margin-top:32px;font-size:.8rem;color:#6b7385}
.summary{font-size:1.08rem;background:#f1f5fb;border-left:4px solid #4c78a8;padding:10px 14px;
margin:12px 0}.notes{white-space:pre-wrap;color:#3b4252}
@media print{body{background:#fff}main{padding:0}}
"""


def e(value: Any) -> str:
    """Escaped text of any value (None -> empty)."""
    return "" if value is None else html.escape(str(value), quote=True)


# --------------------------------------------------------------------------- formatting
def _metric(metric: Any, fmt: str = "{:.3f}") -> str:
    """A metric's value, or why it is undefined (escaped HTML)."""
    if isinstance(metric, Mapping):
        value = metric.get("value")
        if value is None:
            reason = metric.get("reason") or "not computed"
            return f'<span class="muted">n/a ({e(reason)})</span>'
        metric = value
    if metric is None:
        return '<span class="muted">n/a</span>'
    if isinstance(metric, bool):
        return "yes" if metric else "no"
    try:
        number = float(metric)
    except (TypeError, ValueError):
        return e(metric)
    return e(fmt.format(number)) if math.isfinite(number) else '<span class="muted">n/a</span>'


def _ci(ci: Any, fmt: str = "{:.3f}") -> str:
    """' (95% CI lo-hi)' for a CI result or [lo, hi]; a reason when undefined; '' if absent."""
    value = ci.get("value") if isinstance(ci, Mapping) else ci
    if isinstance(value, list | tuple) and len(value) == 2 and None not in value:
        return f" <span class='muted small'>(95% CI {e(fmt.format(value[0]))} to " \
               f"{e(fmt.format(value[1]))})</span>"
    if isinstance(ci, Mapping) and ci.get("reason"):
        return f" <span class='muted small'>(no CI: {e(ci['reason'])})</span>"
    return ""


def _html(text: str) -> str:
    """Formatted text as escaped HTML; "n/a" greyed out."""
    return '<span class="muted">n/a</span>' if text == formatting.NA else e(text)


def _pct(value: Any) -> str:
    return _html(formatting.percent(value))


def _money(value: Any) -> str:
    return _html(formatting.money(value))


def _int(value: Any) -> str:
    return _html(formatting.count(value))


def _band_chip(band: Any) -> str:
    name = str(band) if band in BAND_NAMES else "none"
    return f'<span class="band {name}">{e(band if band else "unscored")}</span>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]],
           numeric: Sequence[int] = ()) -> str:
    """HTML table; cells are already-escaped HTML, headers are escaped here."""
    head = "".join(f'<th class="{"num" if i in numeric else ""}">{e(h)}</th>'
                   for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if i in numeric else ""}">{c}</td>'
                         for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _card(label: str, value_html: str, note_html: str = "") -> str:
    note = f'<div class="note">{note_html}</div>' if note_html else ""
    return (f'<div class="card"><div class="label">{e(label)}</div>'
            f'<div class="value">{value_html}</div>{note}</div>')


def _bar(fraction: float | None, colour: str, width_pct: float = 100.0) -> str:
    if fraction is None or not math.isfinite(fraction):
        return ""
    width = max(0.0, min(1.0, fraction)) * width_pct
    return (f'<div class="track"><span class="bar" style="width:{width:.1f}%;'
            f'background:{colour}"></span></div>')
