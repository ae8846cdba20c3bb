"""The app server hands big arrays back to the operating system when they are freed
(ui/server.py): checked through glibc's own counters of mapped blocks."""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np
import pytest


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def mapped_blocks() -> int:
    """Blocks glibc's malloc has mapped on their own (freed = unmapped at once)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.mallinfo2.restype = MallInfo2
    return libc.mallinfo2().hblks


def glibc() -> bool:
    name = ctypes.util.find_library("c")
    try:
        return name is not None and hasattr(ctypes.CDLL(name), "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not glibc(), reason="glibc's malloc only")
def test_freed_big_arrays_go_back_to_the_system():
    from ui import server

    assert server.MALLOC_TUNED
    # glibc alone would now raise its threshold to 16 MB: every later array below that
    # size would come from the heap and stay there after being freed
    freed = np.ones(2 * 2**20)
    del freed
    before = mapped_blocks()
    column = np.ones(server.MMAP_THRESHOLD // 8 + 1024)  # just above the threshold
    assert mapped_blocks() == before + 1
    del column
    assert mapped_blocks() == before
    small = np.ones(80_000)  # one value per judged account: from the heap as before
    assert mapped_blocks() == before
    del small
