"""The app server hands big arrays back to the operating system when they are freed
(ui/server.py): checked through glibc's own mark on a block mapped by itself."""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np
import pytest

IS_MMAPPED = 0x2  # glibc's flag in a chunk's size field (the word before the block)


def mapped_on_its_own(array: np.ndarray) -> bool:
    """Whether glibc's malloc mapped this array's block by itself (freed = unmapped at
    once). numpy hands out the block malloc returned, so its header is the word before."""
    return bool(ctypes.c_size_t.from_address(array.ctypes.data - 8).value & IS_MMAPPED)


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
    assert mapped_on_its_own(freed)
    del freed
    column = np.ones(server.MMAP_THRESHOLD // 8 + 1024)  # just above the threshold
    assert mapped_on_its_own(column)
    small = np.ones(80_000)  # one value per judged account: from the heap as before
    assert not mapped_on_its_own(small)
