"""Running mutants: one copy of the repository per worker, each mutant's tests in a forked
pytest (the heavy libraries imported once), killed / survived / timeout per mutant."""

from __future__ import annotations

import ast
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .catalogue import EQUIVALENT, HAND_WRITTEN, MODULES, ROOT
from .generate import generated_mutants, hand_mutants, module_sources, mutated_source, select
from .report import cpu_seconds

PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
               "-m", "not slow and not browser and not postgres", "--no-header", "-rN"]


def _copy_repo(dest: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for rel in listed.splitlines():
        src = ROOT / rel
        if not src.is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def _preload() -> None:
    """Import the heavy third-party libraries once; every forked test run inherits them
    (nothing of this repository is imported here: each child imports its mutated copy)."""
    for name in ("numpy", "pandas", "scipy.stats", "scipy.special", "scipy.optimize",
                 "statsmodels.api", "pydantic", "yaml", "duckdb", "pyarrow", "pyarrow.parquet",
                 "hypothesis", "pytest", "streamlit", "altair"):
        with contextlib.suppress(ImportError):
            __import__(name)


@dataclass
class _Job:
    key: int
    module: str
    texts: dict[str, str]  # path -> the text to run the tests on
    originals: dict[str, str]  # path -> the text to restore afterwards
    tests: list[str]
    timeout: float
    result: tuple[str, float, str] | None = None


def _stages(tests: list[str]) -> list[list[str]]:
    """One pytest run per test file, in the order given: the first failing file ends the
    mutant's run (a killed mutant rarely pays for collecting every file)."""
    return [[test] for test in tests]


def _pytest(copy_dir: Path, tests: list[str]) -> None:
    """Run pytest on ``tests`` in this forked process (never returns)."""
    code = 3
    try:
        os.chdir(copy_dir)
        sys.path.insert(0, str(copy_dir))
        sys.dont_write_bytecode = True
        os.environ.update(PYTHONPATH=str(copy_dir), PYTHONDONTWRITEBYTECODE="1", CI="true",
                          HSC_DRAFTS_DIR=str(copy_dir / "drafts"))
        import pytest

        code = int(pytest.main([*PYTEST_ARGS, *tests]))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _child(copy_dir: Path, tests: list[str], log: Path) -> None:
    """Run each stage in its own forked pytest, stopping at the first failing one (never
    returns). The child leads a process group so a timeout kills every stage."""
    code = 3
    try:
        os.setpgid(0, 0)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        for stage in _stages(tests):
            pid = os.fork()
            if pid == 0:
                _pytest(copy_dir, stage)
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            if code != 0:
                break
    finally:
        os._exit(code)


def _outcome(status: int, log: Path, seconds: float) -> tuple[str, float, str]:
    code = os.waitstatus_to_exitcode(status)
    lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
    last = lines[-1] if lines else ""
    if code == 0:
        return "survived", seconds, last[:200]
    if code == 1:
        failed = next((t for t in lines if t.startswith("FAILED")), last)
        return "killed", seconds, failed[:200]
    return "error", seconds, f"pytest exit {code}: {last[:200]}"


class Pool:
    """One copy of the repository per slot; each job writes its mutated module into a free
    slot's copy, forks a pytest run there, and restores the module when it ends."""

    def __init__(self, n: int, base: Path) -> None:
        self.slots = []
        for i in range(n):
            path = base / f"worker{i}"
            _copy_repo(path)
            self.slots.append(path)
        _preload()

    def run(self, jobs: list[_Job], on_done) -> None:
        pending = list(jobs)
        running: dict[int, tuple[_Job, Path, float]] = {}
        free = list(self.slots)
        while pending or running:
            while pending and free:
                job, slot = pending.pop(0), free.pop(0)
                for path, text in job.texts.items():
                    (slot / path).write_text(text, "utf-8")
                pid = os.fork()
                if pid == 0:
                    _child(slot, job.tests, slot / "pytest.log")
                running[pid] = (job, slot, time.monotonic())
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                now = time.monotonic()
                for other, (job, _, began) in list(running.items()):
                    if now - began > job.timeout:
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(other, signal.SIGKILL)
                        os.waitpid(other, 0)
                        job.result = ("timeout", now - began,
                                      f"no result after {job.timeout:.0f} s")
                        self._release(running.pop(other), free, on_done)
                time.sleep(0.05)
                continue
            job, slot, began = running[pid]
            job.result = _outcome(status, slot / "pytest.log", time.monotonic() - began)
            self._release(running.pop(pid), free, on_done)

    @staticmethod
    def _release(entry: tuple[_Job, Path, float], free: list[Path], on_done) -> None:
        job, slot, _ = entry
        for path, text in job.originals.items():
            (slot / path).write_text(text, "utf-8")
        free.append(slot)
        on_done(job)


def _ordered_tests(module: str) -> list[str]:
    """The module's existing test files in :data:`MODULES` order (the quickest, broadest
    first: each file is a stage that ends the run when it fails)."""
    return [t for t in MODULES[module] if (ROOT / t).is_file()]


def run_module(module: str, pool: Pool, per_module: int, log,
               only: set[str] | None = None) -> dict:
    """Mutate ``module``: a baseline run, then the sampled (or ``only``) mutants; the
    result dict also has the module's wall and CPU seconds."""
    started, cpu = time.monotonic(), cpu_seconds()
    result = _run_module(module, pool, per_module, log, only)
    result["wall_seconds"] = time.monotonic() - started
    result["cpu_seconds"] = cpu_seconds() - cpu
    return result


def _run_module(module: str, pool: Pool, per_module: int, log,
                only: set[str] | None = None) -> dict:
    sources = module_sources(module)
    tests = _ordered_tests(module)
    if not sources or not tests:
        log(f"{module}: skipped ({'no module' if not sources else 'no tests'})")
        return {"module": module, "skipped": True}
    unparsed = {path: ast.unparse(ast.parse(source)) for path, source in sources.items()}
    # baseline: the tests pass on the (unparsed) unmutated module, or nothing here means much
    baseline = _Job(-1, module, unparsed, sources, tests, timeout=1800)
    pool.run([baseline], lambda job: None)
    outcome, seconds, detail = baseline.result
    if outcome != "survived":
        log(f"{module}: baseline FAILED ({outcome}: {detail}); module skipped. Run its tests "
            f"to see why: python -m pytest {' '.join(tests)}")
        return {"module": module, "skipped": True, "baseline": detail}
    # generous: on a busy machine a slow run is not a detected bug (timeouts are reported)
    timeout = max(600.0, 10 * seconds)
    generated = generated_mutants(module, sources)
    chosen = select(generated, per_module) + hand_mutants(module, sources)
    if only:
        chosen = [m for m in [*generated, *hand_mutants(module, sources)] if m.id in only]
    log(f"{module}: {len(generated)} generated mutants, running {len(chosen)} "
        f"(tests: {', '.join(tests)}; baseline {seconds:.1f} s)")
    jobs = []
    for key, mutant in enumerate(chosen):
        if mutant.outcome == "stale":
            continue
        source = sources[mutant.path]
        text = mutated_source(source, mutant)
        if text == (source if mutant.hand else unparsed[mutant.path]):
            mutant.outcome, mutant.detail = "error", "mutation changed nothing"
            continue
        jobs.append(_Job(key, module, {mutant.path: text}, {mutant.path: source}, tests,
                         timeout))

    def done(job: _Job) -> None:
        mutant = chosen[job.key]
        mutant.outcome, mutant.seconds, mutant.detail = job.result
        if mutant.outcome == "survived":
            mutant.equivalent = EQUIVALENT.get(mutant.id, "")
        log(f"  {mutant.outcome:8} {mutant.seconds:5.1f}s  {mutant.id}  line {mutant.line}")

    pool.run(jobs, done)
    counted = [m for m in chosen if m.outcome != "stale"]
    killed = [m for m in counted if m.outcome in ("killed", "timeout", "error")]
    survivors = [m for m in counted if m.outcome == "survived"]
    return {"module": module, "tests": tests, "n_generated": len(generated),
            "n_run": len(counted), "n_killed": len(killed), "n_survived": len(survivors),
            "n_equivalent": sum(1 for m in survivors if m.equivalent),
            "n_timeout": sum(1 for m in counted if m.outcome == "timeout"),
            "kill_rate": len(killed) / len(counted) if counted else None,
            "baseline_seconds": seconds, "mutants": [m.to_dict() for m in chosen],
            "stale_equivalent": stale_equivalent(module, generated)}


def stale_equivalent(module: str, generated: list) -> list[str]:
    """EQUIVALENT entries of ``module`` that name no mutant any more (code moved or changed:
    re-check the survivor and update or drop its entry)."""
    ids = {m.id for m in generated} | {f"{module}:hand:{k + 1}" for k in range(len(
        [h for h in HAND_WRITTEN if h.module == module]))}
    return sorted(k for k in EQUIVALENT if k.split(":")[0] == module and k not in ids)
