"""Process-wide settings of the app server, applied once when the frame first imports this.

One BLAS thread per computation: numpy's OpenBLAS otherwise starts a thread per core for
every matrix product, and on a busy server (several sessions, 2 cores) those threads spin
against each other: the weighted sum of a slider move at 100,000 accounts took 15 ms instead
of 1.4 ms (scripts/bench_ui.py). Sessions run in their own threads, so the cores are used
anyway. The CLI keeps numpy's default.
"""

from __future__ import annotations

import numpy  # noqa: F401 - loads numpy's OpenBLAS, so the limit below reaches it
import scipy.linalg  # noqa: F401 - and scipy's own copy
from threadpoolctl import threadpool_limits

BLAS_THREADS = 1

_limits = threadpool_limits(limits=BLAS_THREADS, user_api="blas")
