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
