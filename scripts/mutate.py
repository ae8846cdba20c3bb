"""``make mutate``: mutation testing of the core modules (see :mod:`mutation` for how it
works, :mod:`mutation.catalogue` for the modules, their tests and the harmless survivors)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from mutation.catalogue import MODULES, ROOT
from mutation.generate import generated_mutants, hand_mutants, module_sources, select
from mutation.report import cpu_seconds, report_text
from mutation.runner import Pool, run_module, stale_equivalent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(MODULES),
                        help=f"core modules to mutate (default: all of {', '.join(MODULES)})")
    parser.add_argument("--per-module", type=int, default=30,
                        help="generated mutants sampled per module (0: all); hand-written "
                             "ones always run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=ROOT / "test-artifacts" / "mutation.json")
    parser.add_argument("--list", action="store_true", help="list the sampled mutants only")
    parser.add_argument("--only", nargs="+", default=None, metavar="ID",
                        help="run just these mutant ids (e.g. the survivors of a full run)")
    parser.add_argument("--min-rate", type=float, default=0.9,
                        help="exit 1 when a module kills fewer than this share")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.modules) - set(MODULES))
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    if args.list:
        for module in args.modules:
            sources = module_sources(module)
            if not sources:
                continue
            generated = generated_mutants(module, sources)
            print(f"{module}: {len(generated)} generated")
            for m in select(generated, args.per_module) + hand_mutants(module, sources):
                print(f"  {m.id} {m.path}:{m.line}: {m.description}: {m.source_line[:80]}")
            for key in stale_equivalent(module, generated):
                print(f"  STALE EQUIVALENT entry {key}")
        return 0

    def log(text: str) -> None:
        print(text, flush=True)

    started, cpu_started = time.monotonic(), cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="hsc-mutate-") as tmp:
        pool = Pool(args.workers, Path(tmp))
        only = set(args.only) if args.only else None
        modules = sorted({i.split(":")[0] for i in only}, key=args.modules.index) if only else (
            args.modules)
        results = []
        for module in modules:  # JSON rewritten after each module: a stopped run keeps them
            results.append(run_module(module, pool, args.per_module, log, only))
            r = results[-1]
            if not r.get("skipped"):
                log(f"{module}: {r['n_killed']}/{r['n_run']} killed, "
                    f"{r['wall_seconds'] / 60:.1f} min wall, {r['cpu_seconds'] / 60:.1f} CPU-min")
            _write_json(args, results, started, cpu_started)
    elapsed, cpu = _write_json(args, results, started, cpu_started)
    print(report_text(results, elapsed, cpu))
    print(f"details: {args.json}")
    low = [r["module"] for r in results
           if not r.get("skipped") and r["kill_rate"] is not None
           and r["kill_rate"] < args.min_rate]
    return 1 if low else 0


def _write_json(args: argparse.Namespace, results: list[dict], started: float,
                cpu_started: float) -> tuple[float, float]:
    elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu_started
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"elapsed_seconds": elapsed, "cpu_seconds": cpu,
                                     "per_module": args.per_module, "results": results},
                                    indent=1), encoding="utf-8")
    return elapsed, cpu


if __name__ == "__main__":
    sys.exit(main())
