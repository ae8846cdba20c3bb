"""The text report of a run: the score table per module, then every survivor (with the
reason when it is listed as harmless)."""

from __future__ import annotations

import resource


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and every finished child: on a shared
    machine the wall time says more about the neighbours than about the run."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def report_text(results: list[dict], elapsed: float, cpu: float | None = None) -> str:
    lines = ["", f"{'module':<12}{'killed':>8}{'run':>6}{'rate':>8}{'equivalent':>12}"
             f"{'timeouts':>10}{'generated':>11}{'wall min':>10}{'CPU min':>9}"]
    for r in results:
        if r.get("skipped"):
            lines.append(f"{r['module']:<12}  skipped {r.get('baseline', '')}")
            continue
        rate = f"{r['kill_rate']:.0%}" if r["kill_rate"] is not None else "-"
        lines.append(f"{r['module']:<12}{r['n_killed']:>8}{r['n_run']:>6}{rate:>8}"
                     f"{r['n_equivalent']:>12}{r['n_timeout']:>10}{r['n_generated']:>11}"
                     f"{r.get('wall_seconds', 0) / 60:>10.1f}"
                     f"{r.get('cpu_seconds', 0) / 60:>9.1f}")
    total_run = sum(r.get("n_run", 0) for r in results)
    total_killed = sum(r.get("n_killed", 0) for r in results)
    if total_run:
        lines.append(f"{'all':<12}{total_killed:>8}{total_run:>6}"
                     f"{total_killed / total_run:>8.0%}")
    cpu_text = f", {cpu / 60:.1f} CPU-min" if cpu is not None else ""
    lines.append(f"({elapsed / 60:.1f} min wall{cpu_text})")
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
