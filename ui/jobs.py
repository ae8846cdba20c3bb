"""Background jobs: slow evidence (bootstrap CIs, export bundles) computed off the page.

A page starts a job with :func:`start` and shows what it already has at once; the job runs in
a worker thread shared by every session (one job per key, like ``st.cache_resource``: a
second tab or user asking for the same key gets the same job) and reports its progress.
:func:`wait_then_rerun` draws a progress bar in a fragment that polls the job and reruns the
page once it is done, so the page never waits on it. Jobs must not call Streamlit.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import streamlit as st

KEEP = 8
"""Jobs kept per kind (the key's first item), oldest dropped first: a dropped job is
recomputed when asked again, and its result is freed once no page holds it."""
WORKERS = 2
HEAVY_AT_ONCE = 1
"""Memory-heavy jobs (``start(..., heavy=True)``: a bootstrap, an export bundle, a plan over
every snapshot; each +100-150 MB at 100k accounts) running at a time. The others wait in a
queue (first come, first run) without taking a worker, so light jobs run meanwhile; two at
once made the Export page's peak: the bootstrap beside the export bundle."""
POLL_SECONDS = 1.0

_held = threading.local()
"""``table``: the :class:`_Jobs` whose heavy slot this worker thread holds (else None)."""


class Cancelled(Exception):
    """Raised inside a job's work (by its progress callback) once the job is cancelled."""


class Job:
    """One computation in a worker thread: ``progress`` (0-1), ``done()``, ``value()``.

    ``holders``: the sessions that asked for it in their latest run (see :func:`release`);
    ``cancel()`` stops the work at its next progress report."""

    def __init__(self, key: Hashable, label: str) -> None:
        self.key = key
        self.label = label
        self.progress = 0.0
        self.holders: set[str] = set()
        self._done = threading.Event()
        self._cancelled = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def run(self, work: Callable[[Callable[[float], None]], Any]) -> None:
        """Run ``work(report_progress)`` and keep its value or exception."""
        try:
            self._report(0.0)  # a job cancelled while queued never starts
            self._value = work(self._report)
        except BaseException as error:  # kept and re-raised by value() on the page
            self._error = error
        finally:
            self.progress = 1.0
            self._done.set()

    def _report(self, share: float) -> None:
        if self._cancelled.is_set():
            raise Cancelled(f"{self.label}: cancelled")
        self.progress = min(max(float(share), 0.0), 1.0)

    def cancel(self) -> None:
        """Stop the work at its next progress report (work that never reports runs on)."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancelled.is_set()

    def done(self) -> bool:
        """True once the work has finished (or failed)."""
        return self._done.is_set()

    def wait(self, seconds: float | None = None) -> bool:
        """Block up to ``seconds`` (None: until done); True if done. A heavy job waiting
        for a queued heavy job runs it in its own thread (whatever ``seconds``); waiting for
        a running one, it lets the next heavy job run meanwhile and runs on before any
        queued one once the wait is over."""
        if self._done.is_set():
            return True
        table = getattr(_held, "table", None)
        if table is None:
            return self._done.wait(seconds)
        if table.run_queued_here(self):  # not started yet: run it in this worker (done)
            return True
        table.lend_slot(waiting_for=self)
        try:
            return self._done.wait(seconds)
        finally:
            table.take_slot_back(waited_for=self)

    def value(self) -> Any:
        """The result (waits until done); re-raises the work's exception."""
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value


class _Jobs:
    """The server's job table (bounded) and its worker threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: OrderedDict[tuple, Job] = OrderedDict()
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="hsc-job")
        self.heavy_queue: deque[tuple[Job, Callable[[Callable[[float], None]], Any]]] = deque()
        self.heavy_running = 0
        self.lenders: list[Job] = []  # the jobs heavy jobs wait for, their slots lent
        self.resuming = 0  # heavy jobs waiting to run on after waiting for another job
        self.slot_free = threading.Condition(self.lock)

    def start(self, key: tuple, label: str, work: Callable[[Callable[[float], None]], Any],
              keep: int, holder: str | None = None, heavy: bool = False) -> Job:
        with self.lock:
            job = self.jobs.get(key)
            if job is not None and not job.cancelled:
                self.jobs.move_to_end(key)
                if holder is not None:
                    job.holders.add(holder)
                return job
            job = Job(key, label)
            if holder is not None:
                job.holders.add(holder)
            self.jobs[key] = job
            same_kind = [k for k in self.jobs if k[0] == key[0]]
            for old in same_kind[:max(0, len(same_kind) - keep)]:
                del self.jobs[old]
            if heavy:
                self.heavy_queue.append((job, work))
        if heavy:
            self._dispatch()
        else:
            self.pool.submit(self._run, job, work)
        return job

    @staticmethod
    def _run(job: Job, work: Callable[[Callable[[float], None]], Any]) -> None:
        try:
            job.run(work)
        finally:
            release_free_memory()

    def _dispatch(self) -> None:
        """Start the next queued heavy job if a heavy slot is free and no heavy job is
        about to run on after a wait (it goes first: its wait is over, or it asks)."""
        with self.lock:
            if (self.heavy_running >= HEAVY_AT_ONCE or self.resuming
                    or any(job.done() for job in self.lenders) or not self.heavy_queue):
                return
            job, work = self.heavy_queue.popleft()
            self.heavy_running += 1
        self.pool.submit(self._run_heavy, job, work)

    def _run_heavy(self, job: Job, work: Callable[[Callable[[float], None]], Any]) -> None:
        _held.table = self
        try:
            self._run(job, work)
        finally:
            _held.table = None
            self.lend_slot()

    def run_queued_here(self, job: Job) -> bool:
        """Run ``job`` in the calling thread, whose heavy slot it takes over, if it is still
        queued (True). A heavy job waiting for a queued one would otherwise need a free
        worker for it: two waiting at once (two sessions' export bundles, each waiting for
        its bootstrap) would hold both workers while their bootstraps wait for one."""
        with self.lock:
            entry = next((e for e in self.heavy_queue if e[0] is job), None)
            if entry is None:
                return False
            self.heavy_queue.remove(entry)
        self._run(*entry)
        return True

    def lend_slot(self, waiting_for: Job | None = None) -> None:
        """This thread's heavy job is done, or waits for the job ``waiting_for``: its slot
        is free."""
        with self.lock:
            self.heavy_running -= 1
            if waiting_for is not None:
                self.lenders.append(waiting_for)
            self.slot_free.notify_all()
        self._dispatch()

    def take_slot_back(self, waited_for: Job) -> None:
        """Block until this thread's heavy job may run on (before any queued one)."""
        with self.lock:
            self.lenders.remove(waited_for)
            self.resuming += 1
            while self.heavy_running >= HEAVY_AT_ONCE:
                self.slot_free.wait()
            self.resuming -= 1
            self.heavy_running += 1

    def release(self, kinds: tuple[str, ...], holder: str, keep: set[tuple]) -> list[Job]:
        with self.lock:
            stale = []
            for key, job in list(self.jobs.items()):
                if key[0] not in kinds or key in keep or holder not in job.holders:
                    continue
                job.holders.discard(holder)
                if not job.holders and not job.done():
                    job.cancel()
                    del self.jobs[key]
                    stale.append(job)
            return stale


@st.cache_resource(show_spinner=False, max_entries=1)
def _jobs() -> _Jobs:
    return _Jobs()


def start(key: tuple, label: str, work: Callable[[Callable[[float], None]], Any],
          keep: int = KEEP, heavy: bool = False) -> Job:
    """The job for ``key`` (a tuple whose first item names its kind), started now with
    ``work(report_progress)`` unless it already exists (running or done); at most ``keep``
    jobs of a kind are kept. ``work`` must not draw anything (no ``st.*`` elements). The
    calling session becomes one of the job's holders (see :func:`release`). ``heavy``:
    it runs when no other heavy job does (:data:`HEAVY_AT_ONCE`), in the order asked."""
    return _jobs().start(key, label, work, keep, _session(), heavy)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def release_free_memory() -> None:
    """Hand the free pages inside the malloc heaps back to the system (glibc's
    ``malloc_trim``; nothing elsewhere), after each job: a job's many small freed blocks
    stay in the heap otherwise (Suggest's jobs left ~200 MB at 100k accounts)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def release(kinds: tuple[str, ...], keep: list[Job]) -> list[Job]:
    """This session no longer wants its jobs of these kinds except ``keep`` (e.g. after a
    draft or data change): each one no other session holds and not yet done is cancelled
    and dropped, so the workers move on to what is wanted now. Returns those cancelled."""
    holder = _session()
    if holder is None:
        return []
    return _jobs().release(kinds, holder, {job.key for job in keep})


def _session() -> str | None:
    """This script run's session id (None outside a Streamlit run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return None if ctx is None else ctx.session_id


def pending(some: list[Job], seconds: float) -> list[Job]:
    """The jobs of ``some`` still running after waiting up to ``seconds`` in all (a small
    data set's jobs finish within it: the page then shows their results at once)."""
    deadline = time.monotonic() + seconds
    return [job for job in some if not job.wait(max(0.0, deadline - time.monotonic()))]


def wait_then_rerun(running: Job | list[Job], key: str) -> None:
    """A progress bar that follows the ``running`` job(s) (a fragment polling every
    :data:`POLL_SECONDS`) and reruns the page once all are done."""
    watched = running if isinstance(running, list) else [running]

    @st.fragment(run_every=POLL_SECONDS, key=key)
    def poll() -> None:
        left = [job for job in watched if not job.done()]
        if not left:
            st.rerun()
        share = sum(job.progress for job in watched) / len(watched)
        st.progress(share, text=f"{left[0].label}... ({share:.0%} done)")

    poll()
