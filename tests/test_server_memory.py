"""The app server hands big arrays back to the operating system when they are freed
(ui/server.py): checked through glibc's own mark on a block mapped by itself, in a fresh
process (in a long test process an earlier test's freed heap can serve any request)."""

from __future__ import annotations

import ctypes
import ctypes.util
import subprocess
import sys

import pytest

from tests.conftest import ROOT

CHECK = r'''
import ctypes
import numpy as np

IS_MMAPPED = 0x2  # glibc's flag in a chunk's size field (the word before the block)


def mapped_on_its_own(array):
    # numpy hands out the block malloc returned, so its header is the word before
    return bool(ctypes.c_size_t.from_address(array.ctypes.data - 8).value & IS_MMAPPED)


from ui import server

assert server.MALLOC_TUNED
# glibc alone now raises its threshold to 16 MB: every later array below that size would
# come from the heap and stay there after being freed
freed = np.ones(2 * 2**20)
assert mapped_on_its_own(freed)
del freed
column = np.ones(server.MMAP_THRESHOLD // 8 + 1024)  # just above the threshold
assert mapped_on_its_own(column), "a 1 MB column came from the heap"
small = np.ones(80_000)  # one value per judged account: from the heap as before
assert not mapped_on_its_own(small)
print("ok")
'''


def glibc() -> bool:
    name = ctypes.util.find_library("c")
    try:
        return name is not None and hasattr(ctypes.CDLL(name), "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not glibc(), reason="glibc's malloc only")
def test_freed_big_arrays_go_back_to_the_system():
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
