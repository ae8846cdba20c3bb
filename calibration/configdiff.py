"""What changed between two configs: in plain words (:func:`config_diff`) and, on data, in
scores (:func:`score_diff`: how many accounts change score or band, and the largest moves).

The field diff covers every part of the canonical scoring content
(:mod:`calibration.canonical`); when two configs hash differently but no line describes why,
it says so instead of claiming there is no difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from calibration.config import Config, Guardrail, LinearRule, MappingRule, Segment
from calibration.values import fold
from calibration.weights import flat_weights

_LABELS = np.array(["red", "yellow", "green", "unscored"], dtype=object)


def _pct(x: float) -> str:
    """A weight share in percent: one decimal, more when that would hide a change."""
    return f"{abs(x) + 0.0:.1f}%".replace(".0%", "%")


def _pct_pair(x: float, y: float) -> tuple[str, str]:
    for digits in range(1, 8):
        a, b = f"{abs(x) + 0.0:.{digits}f}%", f"{abs(y) + 0.0:.{digits}f}%"
        if a != b:
            return (_pct(x), _pct(y)) if digits == 1 else (a, b)
    return f"{x:.10g}%", f"{y:.10g}%"


def _direction(d: str) -> str:
    return d.replace("_", " ")


def _numbers(values: list[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def _rule_text(rule: Any) -> str:
    kind = rule.kind
    if kind == "linear":
        return f"linear from {rule.lo:g} to {rule.hi:g}"
    if kind == "steps":
        return f"steps at {_numbers(rule.cutoffs)} giving {_numbers(rule.points)} points"
    if kind == "mapping":
        text = ", ".join(f"{k} {v:g}" for k, v in rule.points.items())
        return f"mapping ({text}; other {'missing' if rule.default is None else rule.default})"
    if kind == "boolean":
        return f"yes {rule.true_points:g} / no {rule.false_points:g} points"
    pairs = ", ".join(f"{v:.6g}->{p:.4g}" for v, p in zip(rule.values, rule.percentiles,
                                                           strict=True))
    return f"percentile rule (value->percentile: {pairs})"


def _rule_changes(name: str, a: Any, b: Any) -> list[str]:
    if a == b:
        return []
    if isinstance(a, LinearRule) and isinstance(b, LinearRule):
        return [f"{name}: cut-offs {a.lo:g}-{a.hi:g} -> {b.lo:g}-{b.hi:g}"]
    if isinstance(a, MappingRule) and isinstance(b, MappingRule):
        out = []
        pa = {fold(k): (k, v) for k, v in a.points.items()}
        pb = {fold(k): (k, v) for k, v in b.points.items()}
        for key in dict.fromkeys([*pa, *pb]):
            if key not in pb:
                out.append(f"{name}: category '{pa[key][0]}' removed (was {pa[key][1]:g} points)")
            elif key not in pa:
                out.append(f"{name}: new category '{pb[key][0]}' = {pb[key][1]:g} points")
            elif pa[key][1] != pb[key][1]:
                out.append(f"{name}: '{pb[key][0]}' {pa[key][1]:g} -> {pb[key][1]:g} points")
        if a.default != b.default:
            out.append(f"{name}: unlisted categories {_points_or_missing(a.default)} -> "
                       f"{_points_or_missing(b.default)}")
        return out
    if a.kind == b.kind == "percentile":
        return [f"{name}: percentile rule changed: {_rule_text(a).split(': ', 1)[1]} -> "
                f"{_rule_text(b).split(': ', 1)[1]}"]
    return [f"{name}: rule {_rule_text(a)} -> {_rule_text(b)}"]


def _points_or_missing(value: float | None) -> str:
    return "count as missing" if value is None else f"{value:g} points"


def _guardrail_text(g: Guardrail) -> str:
    value = g.value
    shown = f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) \
        else repr(value)
    cond = "is missing" if g.operator == "is_missing" else f"{g.operator} {shown}"
    state = "" if g.enabled else " (disabled)"
    return f"{g.column} {cond} caps at {g.cap}{state}"


def _segment_changes(a: Segment, b: Segment, base_a: Config, base_b: Config) -> list[str]:
    out = []
    label = f"segment '{b.name}'"
    if a.match.column != b.match.column or sorted({fold(v) for v in a.match.values}) != sorted(
            {fold(v) for v in b.match.values}):
        out.append(f"{label}: now matches {b.match.column} in {b.match.values} (was "
                   f"{a.match.column} in {a.match.values})")
    for key in dict.fromkeys([*a.weights, *b.weights]):
        wa, wb = a.weights.get(key), b.weights.get(key)
        if wa != wb:
            out.append(f"{label}: weight of {key} {_override(wa)} -> {_override(wb)}")
    for key in dict.fromkeys([*a.group_weights, *b.group_weights]):
        wa, wb = a.group_weights.get(key), b.group_weights.get(key)
        if wa != wb:
            out.append(f"{label}: weight of group {key} {_override(wa)} -> {_override(wb)}")
    for key in dict.fromkeys([*a.rules, *b.rules]):
        ra, rb = a.rules.get(key), b.rules.get(key)
        if ra != rb:
            out.append(f"{label}: rule for {key} "
                       f"{'default' if ra is None else _rule_text(ra)} -> "
                       f"{'default' if rb is None else _rule_text(rb)}")
    bands_a, bands_b = a.bands or base_a.bands, b.bands or base_b.bands
    if bands_a != bands_b:
        out.append(f"{label}: bands {_bands_text(bands_a)} -> {_bands_text(bands_b)}"
                   + (" (the default bands)" if b.bands is None else ""))
    return out


def _override(value: float | None) -> str:
    return "default" if value is None else f"{value:g}"


def _bands_text(bands: Any) -> str:
    return f"red <= {bands.red_max:g}, yellow <= {bands.yellow_max:g}"


def _weight_lines(a: Config, b: Config, seg_a: int, seg_b: int, label: str) -> list[str]:
    """Effective share changes of factors present in both configs (any size, no threshold)."""
    wa, wb = flat_weights(a, seg_a), flat_weights(b, seg_b)
    out = []
    for name in [n for n in a.factor_names if n in wb]:
        x, y = wa[name], wb[name]
        if x != y:  # any change can move a score across its last (1e-9) digit
            before, after = _pct_pair(x, y)
            out.append(f"{label}{name}: weight {before} -> {after} of the score")
    return out


def config_diff(a: Config, b: Config) -> list[str]:
    """Plain-words differences from config ``a`` to ``b`` that change scores or bands.

    Covers factors added/removed, effective weights (flat % of the score, by segment too),
    group moves, columns, directions, missing-value policies, rules and cut-offs, bands,
    guardrails, segments and column roles. Names, notes, descriptions and evidence are not
    compared. If the configs score differently (different hash) and no line explains it,
    a last line says so.
    """
    out: list[str] = []
    fa = {f.name: f for f in a.factors}
    fb = {f.name: f for f in b.factors}
    for name in [n for n in fa if n not in fb]:
        out.append(f"factor {name} removed")
    for name in [n for n in fb if n not in fa]:
        out.append(f"new factor {name} ({_rule_text(fb[name].rule)} on column "
                   f"{fb[name].column}, {_pct(flat_weights(b)[name])} of the score)")
    out += _weight_lines(a, b, -1, -1, "")
    for name in [n for n in a.factor_names if n in fb]:
        x, y = fa[name], fb[name]
        if x.group != y.group:
            out.append(f"{name}: moved from group {x.group} to {y.group}")
        if x.column != y.column:
            out.append(f"{name}: reads column {y.column} (was {x.column})")
        if x.direction != y.direction:
            out.append(f"{name}: now {_direction(y.direction)} (was {_direction(x.direction)})")
        if (x.missing, x.missing_points if x.missing == "points" else None) != (
                y.missing, y.missing_points if y.missing == "points" else None):
            out.append(f"{name}: missing values {_missing_text(x)} -> {_missing_text(y)}")
        out += _rule_changes(name, x.rule, y.rule)
    if a.bands.red_max != b.bands.red_max:
        out.append(f"red band: score <= {a.bands.red_max:g} -> <= {b.bands.red_max:g}")
    if a.bands.yellow_max != b.bands.yellow_max:
        out.append(f"yellow band: score <= {a.bands.yellow_max:g} -> <= "
                   f"{b.bands.yellow_max:g} (green above)")
    out += _guardrail_lines(a, b)
    out += _segment_lines(a, b)
    if a.columns != b.columns:
        ca, cb = a.columns.model_dump(), b.columns.model_dump()
        changed = [f"{k} {ca[k]!r} -> {cb[k]!r}" for k in ca if ca[k] != cb[k]]
        out.append(f"column roles: {'; '.join(changed)}")
    if not out and a.fingerprint() != b.fingerprint():
        out.append(f"scoring differs in a way not itemised above (config {a.fingerprint()} -> "
                   f"{b.fingerprint()}): run diff with --data to see which accounts move")
    return out


def _guardrail_lines(a: Config, b: Config) -> list[str]:
    out = []
    ga = {g.name: g for g in a.guardrails}
    gb = {g.name: g for g in b.guardrails}
    for name in [n for n in ga if n not in gb]:
        out.append(f"guardrail '{name}' removed ({_guardrail_text(ga[name])})")
    for name in [n for n in gb if n not in ga]:
        out.append(f"new guardrail '{name}': {_guardrail_text(gb[name])}")
    for name in [n for n in ga if n in gb and ga[n] != gb[n]]:
        x, y = ga[name], gb[name]
        if not x.enabled and not y.enabled:
            continue  # edits to a guardrail that stays off change no score
        if x.model_copy(update={"enabled": y.enabled}) == y:
            out.append(f"guardrail '{name}' {'enabled' if y.enabled else 'disabled'}")
        else:
            out.append(f"guardrail '{name}': {_guardrail_text(x)} -> {_guardrail_text(y)}")
    order_a = [g.name for g in a.guardrails if g.enabled and g.name in gb]
    order_b = [g.name for g in b.guardrails if g.enabled and g.name in ga]
    if order_a != order_b and sorted(order_a) == sorted(order_b):
        out.append("guardrail order changed (on a tie the first listed is reported)")
    return out


def _segment_lines(a: Config, b: Config) -> list[str]:
    out = []
    sa = {s.name: (i, s) for i, s in enumerate(a.segments)}
    sb = {s.name: (i, s) for i, s in enumerate(b.segments)}
    for name in [n for n in sa if n not in sb]:
        out.append(f"segment '{name}' removed (its accounts use the default config)")
    for name in [n for n in sb if n not in sa]:
        seg = sb[name][1]
        out.append(f"new segment '{name}' for {seg.match.column} in {seg.match.values}")
    for name in [n for n in sa if n in sb]:
        (ia, x), (ib, y) = sa[name], sb[name]
        out += _segment_changes(x, y, a, b)
        out += _weight_lines(a, b, ia, ib, f"segment '{name}': ")
    if [s.name for s in a.segments if s.name in sb] != [s.name for s in b.segments
                                                        if s.name in sa]:
        out.append("segment order changed (the first matching segment wins)")
    return list(dict.fromkeys(out))


def _missing_text(f: Any) -> str:
    return "skipped" if f.missing == "skip" else f"scored {f.missing_points:g} points"


# --------------------------------------------------------------------------- score diff
@dataclass(frozen=True)
class ScoreDiff:
    """How scores and bands move from config ``a`` to ``b`` on the same rows."""

    rows: int
    score_changed: int
    band_changed: int
    newly_unscored: int
    newly_scored: int
    max_move: float
    mean_abs_move: float
    migration: pd.DataFrame
    largest: pd.DataFrame

    def describe(self, top: int = 10) -> list[str]:
        """Plain-text lines for the CLI."""
        lines = [f"on {self.rows:,} rows: {self.score_changed:,} change score, "
                 f"{self.band_changed:,} change band"
                 + (f", largest move {self.max_move:.2f} points, mean move "
                    f"{self.mean_abs_move:.3f}" if self.score_changed else "")]
        if self.newly_unscored or self.newly_scored:
            lines.append(f"{self.newly_unscored:,} become unscored, {self.newly_scored:,} "
                         "become scored")
        if self.band_changed:
            moves = self.migration.stack()
            lines.append("band moves: " + ", ".join(
                f"{a} -> {b} {n:,}" for (a, b), n in moves.items() if a != b and n))
        if len(self.largest):
            lines += [f"largest moves (top {min(top, len(self.largest))}):",
                      self.largest.head(top).to_string(index=False)]
        return lines


def score_diff(frame: pd.DataFrame, a: Config, b: Config, ids: np.ndarray | None = None,
               top: int = 20) -> ScoreDiff:
    """Score ``frame`` with both configs and count the accounts whose score or band moves.

    ``ids`` label the rows (default: the account id column, else the row number). The
    largest moves list the factor (or guardrail) whose points moved most for each account,
    matching factors by name, so configs with different factors compare too.
    """
    from calibration.scoring import score_frame

    ra = score_frame(frame, a, explain=True).result
    rb = score_frame(frame, b, explain=True).result
    if ids is None:
        column = a.columns.account_id
        ids = (frame[column].to_numpy(dtype=object) if column in frame.columns
               else np.arange(len(frame)))
    sa, sb = ra.score, rb.score
    both = ~np.isnan(sa) & ~np.isnan(sb)
    delta = np.where(both, sb - sa, 0.0)
    moved = both & (np.abs(delta) > 1e-9)
    changed = moved | (np.isnan(sa) != np.isnan(sb))
    band_changed = ra.band != rb.band
    names = list(dict.fromkeys([*a.factor_names, *b.factor_names]))
    ca = aligned_contributions(ra.contributions, a.factor_names, names)
    cb = aligned_contributions(rb.contributions, b.factor_names, names)
    points = np.column_stack([cb - ca, np.nan_to_num(rb.guardrail_points)
                              - np.nan_to_num(ra.guardrail_points)])
    labels = np.array([*names, "guardrail"], dtype=object)
    size = np.where(both, np.abs(delta), np.where(np.isnan(sa) != np.isnan(sb), 100.0, 0.0))
    order = np.argsort(-size, kind="stable")
    order = order[(changed | band_changed)[order]][:top]
    top_factor = np.argmax(np.abs(points[order]), axis=1) if order.size else np.zeros(0, int)
    largest = pd.DataFrame({
        "account_id": ids[order],
        "score_a": np.round(sa[order], 2), "score_b": np.round(sb[order], 2),
        "move": np.round(np.where(both[order], delta[order], np.nan), 2),
        "band_a": _LABELS[np.where(ra.band[order] < 0, 3, ra.band[order])],
        "band_b": _LABELS[np.where(rb.band[order] < 0, 3, rb.band[order])],
        "moved_by": labels[top_factor],
        "moved_by_points": np.round(points[order, top_factor], 2) if order.size else [],
    })
    from calibration.compare import migration_matrix

    return ScoreDiff(
        rows=len(frame), score_changed=int(changed.sum()), band_changed=int(band_changed.sum()),
        newly_unscored=int((~np.isnan(sa) & np.isnan(sb)).sum()),
        newly_scored=int((np.isnan(sa) & ~np.isnan(sb)).sum()),
        max_move=float(np.abs(delta).max(initial=0.0)),
        mean_abs_move=float(np.abs(delta[moved]).mean()) if moved.any() else 0.0,
        migration=migration_matrix(ra.band, rb.band), largest=largest)


def aligned_contributions(contributions: np.ndarray | None, names: list[str],
                          union: list[str]) -> np.ndarray:
    """N x len(union) contributions, matched by factor name (0 for a factor the config does
    not have), so configs with different factors can be compared row by row."""
    if contributions is None:
        raise ValueError("scores need contributions (score with explain=True)")
    out = np.zeros((contributions.shape[0], len(union)))
    index = {name: i for i, name in enumerate(union)}
    for k, name in enumerate(names):
        out[:, index[name]] = np.nan_to_num(contributions[:, k])
    return out
