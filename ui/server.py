"""Process-wide settings of the app server, applied once when the frame first imports this.

One BLAS thread per computation: numpy's OpenBLAS otherwise starts a thread per core for
every matrix product, and on a busy server (several sessions, 2 cores) those threads spin
against each other: the weighted sum of a slider move at 100,000 accounts took 15 ms instead
of 1.4 ms (scripts/bench_ui.py). Sessions run in their own threads, so the cores are used
anyway. The CLI keeps numpy's default.

Big arrays go back to the operating system when freed (:func:`return_big_arrays`): glibc's
malloc raises its mmap threshold to the size of the largest block freed so far (up to
32 MB), so after the first 14 MB column of a 1.8M-row table is freed every later column
below that size comes from the heap, where freed blocks between live ones are never handed
back; with one malloc arena per thread (up to 8 per core) each session's thread kept its
own. The server then held gigabytes more than its live data after a visit of every page.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy  # noqa: F401 - loads numpy's OpenBLAS, so the limit below reaches it
import scipy.linalg  # noqa: F401 - and scipy's own copy
from threadpoolctl import threadpool_limits

BLAS_THREADS = 1
MMAP_THRESHOLD = 1 << 20
"""Blocks of at least this many bytes (131,072 float64 values) that the heap has no free
room for are mapped on their own and unmapped when freed. The slider path's arrays (one value
per judged account, e.g. 80k x 8 bytes) stay below it."""
MALLOC_ARENAS = 2
"""At most this many malloc arenas for all threads (glibc's default: 8 per core)."""
_M_MMAP_THRESHOLD = -3  # mallopt parameters (glibc's malloc.h)
_M_ARENA_MAX = -8

_limits = threadpool_limits(limits=BLAS_THREADS, user_api="blas")


def return_big_arrays() -> bool:
    """Fix glibc's mmap threshold at :data:`MMAP_THRESHOLD` and cap its arenas at
    :data:`MALLOC_ARENAS`. True when applied; False where the C library is not glibc
    (nothing to do there)."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) & bool(
        mallopt(_M_ARENA_MAX, MALLOC_ARENAS))


MALLOC_TUNED = return_big_arrays()
