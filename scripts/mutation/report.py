"""The text report of a run: the score table per module, then every survivor (with the
reason when it is listed as harmless)."""

from __future__ import annotations


def report_text(results: list[dict], elapsed: float) -> str:
    lines = ["", f"{'module':<12}{'killed':>8}{'run':>6}{'rate':>8}{'equivalent':>12}"
             f"{'timeouts':>10}{'generated':>11}"]
    for r in results:
        if r.get("skipped"):
            lines.append(f"{r['module']:<12}  skipped {r.get('baseline', '')}")
            continue
        rate = f"{r['kill_rate']:.0%}" if r["kill_rate"] is not None else "-"
        lines.append(f"{r['module']:<12}{r['n_killed']:>8}{r['n_run']:>6}{rate:>8}"
                     f"{r['n_equivalent']:>12}{r['n_timeout']:>10}{r['n_generated']:>11}")
    total_run = sum(r.get("n_run", 0) for r in results)
    total_killed = sum(r.get("n_killed", 0) for r in results)
    if total_run:
        lines.append(f"{'all':<12}{total_killed:>8}{total_run:>6}"
                     f"{total_killed / total_run:>8.0%}")
    lines.append(f"({elapsed / 60:.1f} min)")
    for r in results:
        for m in r.get("mutants", []):
            if m["outcome"] in ("survived", "stale"):
                why = f"  HARMLESS: {m['equivalent']}" if m["equivalent"] else ""
                lines.append(f"{m['outcome'].upper()} {m['id']} ({m['path']}:{m['line']}): "
                             f"{m['description']}: {m['source_line'][:90]}{why}")
                if m["outcome"] == "stale":
                    lines.append(f"    {m['detail']}")
        for key in r.get("stale_equivalent", []):
            lines.append(f"STALE EQUIVALENT entry {key}: no such mutant now; re-check and "
                         "update or drop it")
    return "\n".join(lines)
