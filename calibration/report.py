"""Self-contained HTML reports: the calibration report and a per-account explanation.

One HTML file, no network: CSS is inline and charts are Vega-Lite specs rendered by the
vega / vega-lite / vega-embed JavaScript that ``vl-convert-python`` ships (inlined once). When
that package is missing, charts are left out with a note; every table still renders.

Every data value goes through :func:`html.escape`; chart specs are embedded as JSON with
``<``, ``>`` and ``&`` escaped, so account names cannot inject markup or scripts.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from calibration import formatting, outcomes, report_outcomes
from calibration.config import BAND_NAMES, Config
from calibration.cs_metrics import METRIC_LABELS
from calibration.html_parts import (
    BAND_COLOURS,
    CSS,
    _band_chip,
    _bar,
    _ci,
    _html,
    _int,
    _metric,
    _money,
    _pct,
    _table,
    e,
)
from calibration.verdicts import format_value
from calibration.weights import flat_weights

MAX_LISTED_ACCOUNTS = 100

def rule_text(rule: Any, direction: str = "higher_is_better") -> str:
    """Plain words for a scoring rule."""
    kind = rule.kind
    if kind == "linear":
        if direction == "lower_is_better":
            return f"linear: {rule.lo:g} or less scores 100, {rule.hi:g} or more scores 0"
        return f"linear: {rule.lo:g} or less scores 0, {rule.hi:g} or more scores 100"
    if kind == "steps":
        edges = [f"< {rule.cutoffs[0]:g}: {rule.points[0]:g}"]
        edges += [f">= {c:g}: {p:g}" for c, p in zip(rule.cutoffs, rule.points[1:],
                                                     strict=True)]
        return "steps: " + "; ".join(edges)
    if kind == "mapping":
        items = ", ".join(f"{k}: {v:g}" for k, v in rule.points.items())
        other = "missing" if rule.default is None else f"{rule.default:g}"
        return f"categories: {items}; anything else: {other}"
    if kind == "boolean":
        return f"yes: {rule.true_points:g}, no: {rule.false_points:g}"
    flip = " (flipped: lower is better)" if direction == "lower_is_better" else ""
    return (f"percentile against {len(rule.values)} frozen reference values "
            f"({rule.values[0]:g} to {rule.values[-1]:g}){flip}")


# --------------------------------------------------------------------------- charts
_BUNDLE = ("import sys, vl_convert; "
           "sys.stdout.buffer.write(vl_convert.javascript_bundle().encode('utf-8'))")


@functools.lru_cache(maxsize=1)
def _vega_bundle() -> str | None:
    """vega + vega-lite + vega-embed as one inline script (None when not installed).

    Bundled in a child process: vl_convert bundles in an embedded V8 engine that stays in
    the process once started (~120 MB resident in the app server, for 0.9 MB of text);
    in this process only when the child fails (the same text either way)."""
    if importlib.util.find_spec("vl_convert") is None:
        return None
    try:
        done = subprocess.run([sys.executable, "-c", _BUNDLE], capture_output=True,
                              check=True, timeout=300)
        text = done.stdout.decode("utf-8")
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        import vl_convert

        text = vl_convert.javascript_bundle()
    return text.replace("</script", "<\\/script")


def _json_for_script(value: Any) -> str:
    """JSON that is safe inside a <script> element."""
    text = json.dumps(value, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _charts_html(charts: Sequence[Any] | None) -> tuple[str, str]:
    """(HTML of the chart slots, the script that renders them)."""
    if not charts:
        return "", ""
    bundle = _vega_bundle()
    if bundle is None:
        return ('<p class="charts-note">Charts are not included: install '
                '<code>vl-convert-python</code> to embed them offline.</p>', "")
    slots, specs = [], []
    for i, chart in enumerate(charts):
        spec = chart.to_dict() if hasattr(chart, "to_dict") else dict(chart)
        slots.append(f'<div class="chart" id="hs-chart-{i}"></div>')
        specs.append(spec)
    script = (
        f"<script>{bundle}</script>\n"
        f'<script type="application/json" id="hs-chart-specs">{_json_for_script(specs)}'
        "</script>\n<script>(function(){var specs=JSON.parse(document.getElementById("
        "'hs-chart-specs').textContent);specs.forEach(function(s,i){vegaEmbed('#hs-chart-'+i,"
        "s,{actions:false,renderer:'svg'}).catch(function(err){document.getElementById("
        "'hs-chart-'+i).textContent='Chart could not be drawn: '+err;});});})();</script>")
    return "".join(slots), script


# --------------------------------------------------------------------------- sections
def _config_section(config: Config) -> str:
    shares = flat_weights(config)
    rows = []
    for factor in config.factors:
        missing = ("skipped (weights renormalised)" if factor.missing == "skip"
                   else f"scored {factor.missing_points:g}")
        rows.append([e(factor.name), f"<code>{e(factor.column)}</code>", e(factor.group),
                     e(f"{factor.weight:g}"), e(f"{shares[factor.name]:.1f}%"),
                     e(factor.direction.replace("_", " ")),
                     e(rule_text(factor.rule, factor.direction)), e(missing)])
    parts = ["<h2>Configuration</h2>",
             f'<p class="sub">{e(config.name)} &middot; config <code>{e(config.fingerprint())}'
             f"</code>{' &middot; by ' + e(config.author) if config.author else ''}"
             f"{' &middot; ' + e(config.created_at) if config.created_at else ''}</p>"]
    if config.notes:
        parts.append(f"<p>{e(config.notes)}</p>")
    parts.append(_table(["Factor", "Column", "Group", "Weight", "Share of score", "Direction",
                         "Rule", "Missing values"], rows, numeric=(3, 4)))
    groups = [[e(g), e(f"{config.group_weight(g):g}")] for g in config.group_names()]
    parts += ["<h3>Groups</h3>", _table(["Group", "Weight"], groups, numeric=(1,))]
    b = config.bands
    parts.append(f"<h3>Bands</h3><p>{_band_chip('red')} score &le; {e(f'{b.red_max:g}')} "
                 f"&nbsp; {_band_chip('yellow')} score &le; {e(f'{b.yellow_max:g}')} &nbsp; "
                 f"{_band_chip('green')} above</p>")
    if config.guardrails:
        rows = [[e(g.name), f"<code>{e(g.column)}</code> {e(g.operator)} "
                 f"{'' if g.operator == 'is_missing' else e(repr(g.value))}",
                 _band_chip(g.cap), "on" if g.enabled else '<span class="muted">off</span>']
                for g in config.guardrails]
        parts += ["<h3>Guardrails</h3>", _table(["Guardrail", "When", "At most", "Enabled"],
                                                rows)]
    if config.segments:
        rows = []
        for seg in config.segments:
            changes = [f"{k} weight {v:g}" for k, v in seg.weights.items()]
            changes += [f"group {k} weight {v:g}" for k, v in seg.group_weights.items()]
            changes += [f"{k}: {rule_text(r)}" for k, r in seg.rules.items()]
            if seg.bands:
                changes.append(f"bands: red <= {seg.bands.red_max:g}, yellow <= "
                               f"{seg.bands.yellow_max:g}")
            rows.append([e(seg.name), f"<code>{e(seg.match.column)}</code> in "
                         f"{e(', '.join(seg.match.values))}",
                         "<br>".join(e(c) for c in changes)
                         or '<span class="muted">same as default</span>'])
        parts += ["<h3>Segments (first match wins)</h3>",
                  _table(["Segment", "Matches", "Overrides"], rows)]
    return "\n".join(parts)


def _data_section(evidence: Mapping[str, Any]) -> str:
    data = evidence.get("data") or {}
    sample = evidence.get("sample") or {}
    bits = []
    if isinstance(data, Mapping) and data:
        period = data.get("period")
        bits.append(f"Data <code>{e(data.get('source'))}</code>: {_int(data.get('rows'))} rows, "
                    f"{_int(data.get('accounts'))} accounts"
                    + (f", {e(period[0])} to {e(period[1])}" if period else "")
                    + f" &middot; sha256 <code>{e(data.get('sha256'))}</code>")
    if isinstance(sample, Mapping) and sample.get("description"):
        bits.append(e(sample["description"]))
    return "".join(f'<p class="sub">{b}</p>' for b in bits)


def _bands_section(ev: Mapping[str, Any]) -> str:
    rows_in = ev.get("bands")
    if not isinstance(rows_in, Sequence) or not rows_in:
        return "<h2>Churn by band</h2><p class='muted'>n/a (no band table in the evidence)</p>"
    rates = [r.get("churn_rate") for r in rows_in if isinstance(r, Mapping)]
    top = max([x for x in rates if isinstance(x, int | float)] or [0]) or 1.0
    rows = []
    for r in rows_in:
        if not isinstance(r, Mapping):
            continue
        ci = r.get("churn_rate_ci")
        ci_html = (f"{_pct(ci[0])} to {_pct(ci[1])}" if isinstance(ci, list | tuple)
                   and len(ci) == 2 else '<span class="muted">n/a</span>')
        rate = r.get("churn_rate")
        rows.append([_band_chip(r.get("band")), _int(r.get("accounts")), _int(r.get("churned")),
                     _pct(rate), ci_html, _money(r.get("arr")), _money(r.get("churned_arr")),
                     _bar(None if rate is None else rate / top,
                          BAND_COLOURS.get(str(r.get("band")), "#8a8f99")),
                     e("; ".join(map(str, r.get("notes") or [])))])
    return "<h2>Churn by band</h2>" + _table(
        ["Band", "Accounts", "Churned", "Churn rate", "Likely range (95%)", "ARR",
         "Churned ARR", "Churn rate, drawn to scale", "Notes"], rows, numeric=(1, 2, 3, 5, 6)) + (
        '<p class="small muted">The likely range is where the churn rate would plausibly '
        "fall with another sample of this many accounts (Wilson 95% interval).</p>")


def _surprise_section(ev: Mapping[str, Any], accounts: pd.DataFrame | None) -> str:
    surprise = ev.get("surprise_churn")
    if not isinstance(surprise, Mapping):
        return ""
    ids = list(surprise.get("ids") or [])
    parts = ["<h2>Surprise churn: churned while green</h2>",
             f"<p>{_int(surprise.get('count'))} accounts, ARR {_money(surprise.get('arr'))}. "
             "These are the accounts the score missed; look for what they have in common.</p>"]
    alarms = ev.get("false_alarms")
    if isinstance(alarms, Mapping):
        parts.append(f"<p>False alarms (renewed while red): {_int(alarms.get('count'))} "
                     f"accounts, ARR {_money(alarms.get('arr'))}.</p>")
    if not ids:
        return "\n".join(parts)
    shown = ids[:MAX_LISTED_ACCOUNTS]
    if accounts is not None and len(accounts) and "account_id" in accounts.columns:
        lookup = accounts.drop_duplicates("account_id", keep="last").set_index("account_id")
        known = [i for i in shown if i in lookup.index]
        table = lookup.loc[known].reset_index()
        money = next((c for c in table.columns if str(c).lower() == "arr"), None)
        if money is not None and pd.api.types.is_numeric_dtype(table[money].dtype):
            table = table.sort_values(money, ascending=False, kind="stable")  # costliest first
        headers = [formatting.header(c) for c in table.columns]
        rows = [[_money(v) if c == money else _cell(v) for c, v in zip(table.columns, rec,
                                                                        strict=True)]
                for rec in table.itertuples(index=False)]
        numeric = [i for i, c in enumerate(table.columns)
                   if pd.api.types.is_numeric_dtype(table[c].dtype)]
        parts.append(_table(headers, rows, numeric))
    else:
        parts.append(_table(["Account"], [[e(i)] for i in shown]))
    if len(ids) > len(shown):
        parts.append(f'<p class="muted">First {len(shown):,} of {len(ids):,} listed.</p>')
    return "\n".join(parts)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return '<span class="muted">n/a</span>'
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return e(f"{int(value):,}")
    if isinstance(value, float | np.floating):
        number = float(value)
        return e(f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}")
    if isinstance(value, pd.Timestamp):
        return "" if pd.isna(value) else e(value.strftime("%Y-%m-%d"))
    if value is pd.NaT:
        return ""
    if isinstance(value, str) and value in BAND_NAMES:
        return _band_chip(value)
    return e(value)


def _segments_section(ev: Mapping[str, Any]) -> str:
    segments = ev.get("segments")
    if not isinstance(segments, Mapping) or not segments:
        return ""
    rows = [[e(name), _int(seg.get("n_scored")), _int(seg.get("n_churned")),
             _metric(seg.get("auc")) + _ci(seg.get("auc_ci")), _metric(seg.get("lift"), "{:.2f}x")]
            for name, seg in segments.items() if isinstance(seg, Mapping)]
    return "<h2>By segment</h2>" + _table(["Segment", "Scored", "Churned", "AUC", "Lift"],
                                          rows, numeric=(1, 2))


_BASELINE_ROWS = (("AUC (ranking)", "auc", "{:.3f}"), ("Gini", "gini", "{:.3f}"),
                  ("KS", "ks", "{:.3f}"),
                  ("Correlation with renewal", "point_biserial_r", "{:.3f}"),
                  ("Red vs green lift", "lift", "{:.2f}x"))


def _baseline_section(ev: Mapping[str, Any], baseline: Mapping[str, Any]) -> str:
    horizon, cross = ev.get("horizon_days"), bool(ev.get("cross_sectional"))
    now = outcomes.cs_outcomes(ev) if ev.get("bands") else {}
    before = outcomes.cs_outcomes(baseline) if baseline.get("bands") else {}
    rows = [[e(o.label), _html(formatting.fmt((before.get(o.key) or {}).get("value"), o.kind)),
             _html(formatting.fmt((now.get(o.key) or {}).get("value"), o.kind))]
            for o in outcomes.outcome_list(horizon, cross)]
    rows.append([e("False alarms (renewed while red)"),
                 _int((baseline.get("false_alarms") or {}).get("count")),
                 _int((ev.get("false_alarms") or {}).get("count"))])
    rows += [[e(label), _metric(baseline.get(key), fmt), _metric(ev.get(key), fmt)]
             for label, key, fmt in _BASELINE_ROWS]
    name = baseline.get("name") or baseline.get("config_name") or "baseline"
    return (f"<h2>Against the baseline ({e(name)})</h2>"
            + _table(["Measure", "Baseline", "This config"], rows, numeric=(1, 2)))


def _comparison_section(comparison: Any) -> str:
    if hasattr(comparison, "to_dict"):
        comparison = comparison.to_dict()
    if not isinstance(comparison, Mapping):
        return ""
    parts = [f"<h2>Draft vs baseline: {e(comparison.get('draft'))} vs "
             f"{e(comparison.get('baseline'))}</h2>"]
    if comparison.get("verdict"):
        cls = "good" if comparison.get("real") else ""
        parts.append(f'<p><b class="{cls}">{e(comparison["verdict"])}</b></p>')
    metrics = comparison.get("metrics")
    if isinstance(metrics, Mapping) and metrics:
        rows = []
        for name, m in metrics.items():
            if not isinstance(m, Mapping):
                continue
            ci = m.get("ci")
            label = METRIC_LABELS.get(name, formatting.header(name))
            rows.append([e(label[:1].upper() + label[1:]),
                         _html(format_value(name, m.get("baseline"))),
                         _html(format_value(name, m.get("draft"))),
                         _html(format_value(name, m.get("diff"), signed=True)),
                         (f"{_html(format_value(name, ci[0], True))} to "
                          f"{_html(format_value(name, ci[1], True))}"
                          if isinstance(ci, list | tuple) and len(ci) == 2 else
                          '<span class="muted">n/a</span>'),
                         e(m.get("status") or "")])
        parts.append(_table(["Measure", "Baseline", "Draft", "Change",
                             "Likely range of change", "Result"], rows, numeric=(1, 2, 3)))
        parts.append('<p class="small muted">The likely range comes from a paired bootstrap: '
                     "both configs re-scored on the same resampled accounts. A change is real "
                     "when its likely range excludes zero.</p>")
    matrix = comparison.get("migration_latest")
    if isinstance(matrix, Mapping) and matrix:
        cols = list(next(iter(matrix.values())).keys()) if matrix else []
        rows = [[_band_chip(r) if r in BAND_NAMES else e(r)]
                + [_int(v.get(c)) for c in cols] for r, v in matrix.items()
                if isinstance(v, Mapping)]
        parts += ["<h3>Band migration, latest snapshot (rows: baseline, columns: draft)</h3>",
                  _table(["", *map(str, cols)], rows, numeric=tuple(range(1, len(cols) + 1)))]
    diffs = comparison.get("differences")
    if diffs:
        parts.append("<h3>What changed</h3><ul>" + "".join(f"<li>{e(d)}</li>" for d in diffs)
                     + "</ul>")
    for warning in comparison.get("warnings") or []:
        parts.append(f'<div class="warn">{e(warning)}</div>')
    return "\n".join(parts)


def _page(title: str, body: str, scripts: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{e(title)}</title><style>{CSS}</style></head>\n<body><main>\n{body}\n"
            f"<footer>Generated {e(datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC'))} by "
            f"Health Score Calibrator.</footer></main>\n{scripts}</body></html>\n")


# --------------------------------------------------------------------------- public API
def build_report(config: Config, evidence: Mapping[str, Any], baseline: Mapping[str, Any] |
                 None = None, comparison: Any = None, charts: Sequence[Any] | None = None, *,
                 accounts: pd.DataFrame | None = None, title: str | None = None) -> str:
    """The calibration report as one self-contained HTML page.

    Parameters
    ----------
    config : the config the evidence was measured with
    evidence : :func:`calibration.validation.validate` output (optionally with ``data``, the
        data fingerprint); missing keys and undefined metrics show their reason
    baseline : evidence of the baseline config, shown side by side (``name`` key optional)
    comparison : :class:`calibration.compare.Comparison` or its ``to_dict()``
    charts : altair charts to embed (drawn offline by the inlined vega-embed)
    accounts : per-account details (``account_id`` column) listed for surprise churn
    title : page title (default: the config name)
    """
    evidence = evidence or {}
    title = title or f"Health score report: {config.name}"
    chart_slots, scripts = _charts_html(charts)
    sections = [
        f"<h1>{e(title)}</h1>",
        report_outcomes.draft_section(config),
        report_outcomes.summary_section(evidence, baseline if isinstance(baseline, Mapping)
                                        else None),
        _data_section(evidence),
        report_outcomes.outcomes_section(evidence, baseline if isinstance(baseline, Mapping)
                                         else None),
        _bands_section(evidence),
        report_outcomes.statistics_section(evidence),
        f"<h2>Charts</h2>{chart_slots}" if chart_slots else "",
        _baseline_section(evidence, baseline) if isinstance(baseline, Mapping) else "",
        _comparison_section(comparison) if comparison is not None else "",
        _surprise_section(evidence, accounts),
        _segments_section(evidence),
        _config_section(config),
    ]
    return _page(title, "\n".join(s for s in sections if s), scripts)


def account_explanation_html(account_row: Mapping[str, Any], contributions: Mapping[str, float],
                             *, config: Config, score: float | None, band: str | None,
                             subscores: Mapping[str, float] | None = None,
                             guardrail: str | None = None, guardrail_points: float = 0.0,
                             factor_points: Mapping[str, float] | None = None,
                             segment: str | None = None) -> str:
    """One-page explanation of one account's score that a CSM can share.

    ``contributions`` are the points each factor adds (they sum to the score before
    guardrails); ``factor_points`` the 0-100 points of each factor; ``guardrail_points`` the
    (negative) points a guardrail cap removed.
    """
    roles = config.columns
    account_id = account_row.get(roles.account_id, "")
    name = account_row.get(roles.account_name) if roles.account_name else None
    heading = f"{name} ({account_id})" if name not in (None, "") else str(account_id)
    score_text = _metric(score, "{:.1f}")
    parts = [f"<h1>{e(heading)}</h1>",
             f'<p class="sub">Health score {score_text} / 100 &nbsp; {_band_chip(band)}'
             + (f" &middot; {e(segment)} settings" if segment and segment != "Default" else "")
             + (f" &middot; as of {e(str(account_row.get(roles.snapshot_date))[:10])}"
                if roles.snapshot_date and account_row.get(roles.snapshot_date) is not None
                else "") + "</p>"]
    if guardrail:
        parts.append(f'<div class="warn">Guardrail <b>{e(guardrail)}</b> capped this score'
                     f" ({_metric(guardrail_points, '{:+.1f}')} points).</div>")
    values = [(k, v) for k, v in contributions.items()
              if v is not None and math.isfinite(float(v))]
    top = max([abs(float(v)) for _, v in values] + [abs(guardrail_points or 0.0), 1e-9])
    rows = []
    by_name = {f.name: f for f in config.factors}
    for factor_name, points in sorted(values, key=lambda kv: -float(kv[1])):
        factor = by_name.get(factor_name)
        raw = account_row.get(factor.column) if factor else None
        fp = (factor_points or {}).get(factor_name)
        rows.append([e(factor_name), _cell(raw),
                     _metric(fp, "{:.0f}") if factor_points is not None else "",
                     _metric(points, "{:+.1f}"),
                     _bar(float(points) / top, "#4a7fd6")])
    if guardrail and guardrail_points:
        rows.append([e(f"Guardrail: {guardrail}"), "", "", _metric(guardrail_points, "{:+.1f}"),
                     _bar(abs(float(guardrail_points)) / top, BAND_COLOURS["red"])])
    parts += ["<h2>What makes up the score</h2>",
              _table(["Factor", "Value", "Factor points (0-100)", "Adds to score", ""], rows,
                     numeric=(2, 3))]
    if subscores:
        rows = [[e(g), _metric(v, "{:.1f}"), _bar(None if v is None or not
                                                   math.isfinite(float(v)) else float(v) / 100,
                                                   "#6c8fc7")]
                for g, v in subscores.items()]
        parts += ["<h2>Sub-scores</h2>", _table(["Group", "Score (0-100)", ""], rows,
                                                numeric=(1,))]
    parts.append(f'<p class="muted small">Config {e(config.name)} (<code>'
                 f"{e(config.fingerprint())}</code>). Bands: red &le; "
                 f"{e(f'{config.bands.red_max:g}')}, yellow &le; "
                 f"{e(f'{config.bands.yellow_max:g}')}, green above. A factor with no data "
                 "is left out and the other weights share its weight.</p>")
    return _page(f"Health score: {heading}", "\n".join(parts))


def explain_account(frame: pd.DataFrame, config: Config, row: int) -> str:
    """:func:`account_explanation_html` for row ``row`` of ``frame`` (scored here)."""
    from calibration.scoring import band_names, score_frame

    one = frame.iloc[[row]].reset_index(drop=True)
    scored = score_frame(one, config)
    result = scored.result
    groups = config.group_names()
    guard = int(result.guardrail[0])
    segment = int(result.segment[0])
    return account_explanation_html(
        one.iloc[0].to_dict(),
        dict(zip(config.factor_names, result.contributions[0].tolist(), strict=True)),
        config=config, score=float(result.score[0]), band=str(band_names(result.band)[0]),
        subscores=dict(zip(groups, result.subscores[0].tolist(), strict=True)),
        guardrail=config.guardrails[guard].name if guard >= 0 else None,
        guardrail_points=float(result.guardrail_points[0]),
        factor_points=dict(zip(config.factor_names, scored.matrix.points[0].tolist(),
                               strict=True)),
        segment=config.segments[segment].name if segment >= 0 else "Default")


__all__ = ["account_explanation_html", "build_report", "explain_account", "rule_text"]
