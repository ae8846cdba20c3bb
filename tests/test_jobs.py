"""Background jobs: stale ones are cancelled when no session wants them any more."""

from __future__ import annotations

import threading

import pytest

from ui import jobs


def _blocking(started: threading.Event, release: threading.Event, calls: list):
    """Work that reports progress until ``release`` is set, then returns 42."""

    def work(progress):
        calls.append("started")
        started.set()
        while not release.wait(0.01):
            progress(0.5)
        progress(1.0)
        return 42

    return work


def test_a_cancelled_job_stops_at_its_next_progress_report_and_a_new_one_replaces_it():
    table = jobs._Jobs()
    started, release, calls = threading.Event(), threading.Event(), []
    job = table.start(("suggest", 1), "fit", _blocking(started, release, calls), keep=4)
    assert started.wait(5)
    job.cancel()
    assert job.wait(5)
    with pytest.raises(jobs.Cancelled):
        job.value()
    release.set()
    again = table.start(("suggest", 1), "fit", lambda progress: 7, keep=4)
    assert again is not job
    assert again.value() == 7


def test_release_cancels_only_what_no_session_holds_and_is_not_done():
    table = jobs._Jobs()
    started, release, calls = threading.Event(), threading.Event(), []
    shared = table.start(("suggest", "old"), "fit", _blocking(started, release, calls), 4, "a")
    table.start(("suggest", "old"), "fit", lambda progress: 0, 4, "b")  # same job, 2nd holder
    assert started.wait(5)
    done = table.start(("suggest", "done"), "fit", lambda progress: 1, 4, "a")
    assert done.wait(5)
    other_kind = table.start(("export", "x"), "boot", lambda progress: 2, 4, "a")
    kept = table.start(("suggest", "new"), "fit", lambda progress: 3, 4, "a")

    assert table.release(("suggest",), "a", {kept.key}) == []  # "b" still waits for it
    assert not shared.cancelled and shared.holders == {"b"}
    assert table.release(("suggest",), "b", set()) == [shared]
    assert shared.cancelled and ("suggest", "old") not in table.jobs
    assert shared.wait(5)
    with pytest.raises(jobs.Cancelled):
        shared.value()
    assert done.value() == 1 and not done.cancelled  # finished work is kept for others
    assert other_kind.value() == 2 and kept.value() == 3
    release.set()


def test_a_job_cancelled_while_queued_never_starts():
    table = jobs._Jobs()
    gates = [(threading.Event(), threading.Event(), []) for _ in range(jobs.WORKERS)]
    busy = [table.start(("curves", i), "busy", _blocking(*gate), 4)
            for i, gate in enumerate(gates)]
    for started, _, _ in gates:
        assert started.wait(5)  # every worker is busy now
    calls = []
    queued = table.start(("suggest", "q"), "fit", lambda progress: calls.append("ran"), 4)
    queued.cancel()
    for _, release, _ in gates:
        release.set()
    assert queued.wait(5) and all(job.wait(5) for job in busy)
    assert calls == []
    with pytest.raises(jobs.Cancelled):
        queued.value()


def _idle(table: jobs._Jobs) -> bool:
    """True once no heavy slot is taken (a job is done just before its slot is free)."""
    import time

    deadline = time.monotonic() + 5
    while table.heavy_running and time.monotonic() < deadline:
        time.sleep(0.01)
    return table.heavy_running == 0


def test_heavy_jobs_run_one_at_a_time_in_the_order_asked_and_light_ones_meanwhile():
    table = jobs._Jobs()
    log: list[str] = []
    gates = {name: (threading.Event(), threading.Event(), []) for name in "ab"}
    first = table.start(("export-bootstrap", 1), "a", _blocking(*gates["a"]), 4, heavy=True)
    second = table.start(("export-bundle", 1), "b", _blocking(*gates["b"]), 4, heavy=True)
    third = table.start(("renewals-lead", 1), "c", lambda progress: log.append("c"), 4,
                        heavy=True)
    assert gates["a"][0].wait(5)
    # the queued heavy jobs hold no worker: a light job runs while the first one does
    light = table.start(("renewals-logit", 1), "light", lambda progress: "light", 4)
    assert light.value() == "light"
    assert not gates["b"][0].is_set() and log == [] and not second.done()
    gates["a"][1].set()
    assert gates["b"][0].wait(5) and first.value() == 42
    assert log == [] and not third.done()  # still one at a time
    gates["b"][1].set()
    assert third.wait(5) and log == ["c"] and second.value() == 42
    assert _idle(table) and not table.heavy_queue


def test_a_heavy_job_waiting_for_a_heavy_job_queued_behind_it_lets_it_run_first():
    """The export bundle waits for the bootstrap's verdict: the bootstrap (queued behind
    it) runs meanwhile, and the bundle runs on before heavy jobs asked for later."""
    table = jobs._Jobs()
    log: list[str] = []
    waiting, later_started = threading.Event(), threading.Event()
    holder: dict[str, jobs.Job] = {}
    go = threading.Event()

    def bundle(progress):
        log.append("bundle starts")
        assert go.wait(5)
        waiting.set()
        holder["check"].wait(8)  # queued behind this job (bounded: no hung worker)
        verdict = holder["check"].value() if holder["check"].done() else "no verdict"
        log.append(f"bundle resumes after {verdict}")
        return "bundle"

    def check(progress):
        log.append("check runs")
        assert later_asked.wait(5)
        return "verdict"

    later_asked = threading.Event()
    first = table.start(("export-bundle", 1), "bundle", bundle, 4, heavy=True)
    holder["check"] = table.start(("export-bootstrap", 1), "check", check, 4, heavy=True)
    go.set()
    assert waiting.wait(5)
    later = table.start(("renewals-lead", 1), "later",
                        lambda progress: log.append("later runs") or later_started.set(), 4,
                        heavy=True)
    later_asked.set()
    assert first.wait(10), "deadlock: the bundle never got its verdict"
    assert first.value() == "bundle" and later.wait(10)
    assert log == ["bundle starts", "check runs", "bundle resumes after verdict",
                   "later runs"]
    assert _idle(table) and table.resuming == 0


def test_two_heavy_jobs_waiting_for_jobs_queued_behind_them_do_not_hold_every_worker():
    """Two sessions' export bundles, each started before its bootstrap and waiting for it:
    with both workers taken by waiting bundles, a bootstrap handed to the pool would never
    start. Each bootstrap runs in the thread of the bundle waiting for it."""
    table = jobs._Jobs()
    checks: dict[int, jobs.Job] = {}
    both_asked = threading.Event()

    def bundle(n):
        def work(progress):
            assert both_asked.wait(5)
            checks[n].wait(8)  # bounded: a deadlock shows as "no verdict", not a hang
            return checks[n].value() if checks[n].done() else "no verdict"
        return work

    bundles = [table.start(("export-bundle", n), "bundle", bundle(n), 4, heavy=True)
               for n in (1, 2)]
    for n in (1, 2):
        checks[n] = table.start(("export-bootstrap", n), "check",
                                lambda progress, n=n: f"verdict {n}", 4, heavy=True)
    both_asked.set()
    assert [b.wait(20) for b in bundles] == [True, True]
    assert [b.value() for b in bundles] == ["verdict 1", "verdict 2"]
    assert _idle(table) and not table.heavy_queue and table.resuming == 0


def test_release_free_memory_runs_anywhere():
    jobs.release_free_memory()  # glibc: malloc_trim; elsewhere nothing
