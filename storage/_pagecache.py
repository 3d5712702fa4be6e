"""Reading a lookup's scattered pages from disk many at a time, when the store has left the page cache.

A lookup (storage/_bandruns.py) reads its run files through memory maps: each page it touches costs a page
fault, which is cheap when the page is cached. When it is not (an hourly desk whose 10M-article store was
evicted by other work since the last run), each fault waits for one read from disk, one after the other: a
1k batch against 10M stored then spent 7 of its 9.6 s waiting on 0.2M faults, one at a time
(bench/README.md). A disk serves many reads at once, so `warm` first checks a sample of the pages a lookup
will touch and, if some are not cached, reads them all with PREFETCH_THREADS threads (`os.pread` releases the
GIL); the lookup's faults then find them in the cache: 2.9-4.1 s instead of 9.5 for that batch. A cached
store pays only the sample's check (~5 ms a lookup at 10M stored).

Linux answers mincore for a file's pages only to a process that may write the file; to others it reports
every page it has not mapped as not cached. So only the files' owner (who wrote the index, and runs dedup) or
root asks; anyone else reads pages as they are touched, as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import numpy.typing as npt

PAGE = mmap.PAGESIZE
# Reads in flight at once: enough to keep a virtual or NVMe disk's queue busy, few enough that 16 idle
# threads cost nothing worth counting.
PREFETCH_THREADS = 16
# Pages whose residency is checked before deciding (one mincore call each, ~2 µs): a store that is cached
# but for a few pages is not worth a prefetch, and a cold one shows in any sample.
SAMPLE_PAGES = 64
# A cached fraction of the sample below which every page is read first.
CACHED_ENOUGH = 0.9
# Spans a thread reads per task: one task per span would cost more in dispatch than a cached read.
SPANS_PER_TASK = 256
# Longest single read: a long run of wanted pages (the heads of a 10M store are wanted nearly whole) is split
# so that every thread gets a share of it.
MAX_SPAN = 1 << 20


def warm(fd: int, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]) -> int:
    """Read the byte ranges [starts[k], ends[k]) of file `fd` (sorted by start) into the page cache if a sample
    of their pages shows them not cached. Returns the number of bytes read (0: cached, or no way to tell)."""
    if not len(starts):
        return 0
    first, last = starts // PAGE, (np.maximum(ends, starts + 1) - 1) // PAGE
    sample = first[np.unique(np.linspace(0, len(first) - 1, min(SAMPLE_PAGES, len(first))).astype(np.int64))]
    cached = cached_pages(fd, sample)
    if cached is None or not len(cached) or cached.mean() >= CACHED_ENOUGH:
        return 0
    spans = page_spans(first, last)
    tasks = [spans[k : k + SPANS_PER_TASK] for k in range(0, len(spans), SPANS_PER_TASK)]
    with ThreadPoolExecutor(PREFETCH_THREADS, thread_name_prefix="copydesk-prefetch") as pool:
        return sum(pool.map(lambda task: _read(fd, task), tasks))


def page_spans(first: npt.NDArray[np.int64], last: npt.NDArray[np.int64]) -> list[tuple[int, int]]:
    """(offset, length) in bytes of the runs of pages first[k] .. last[k] (sorted by first), overlapping or
    adjacent runs merged, none longer than MAX_SPAN."""
    end = np.maximum.accumulate(last)
    # A new span starts where a range begins past every page before it (plus one: adjacent ranges merge).
    starts = np.concatenate(([0], np.flatnonzero(first[1:] > end[:-1] + 1) + 1))
    spans = []
    per_span = MAX_SPAN // PAGE
    for lo, hi in zip(
        first[starts].tolist(), end[np.concatenate((starts[1:], [len(first)])) - 1].tolist(), strict=True
    ):
        for page in range(lo, hi + 1, per_span):
            spans.append((page * PAGE, (min(page + per_span - 1, hi) - page + 1) * PAGE))
    return spans


def _read(fd: int, spans: list[tuple[int, int]]) -> int:
    done = 0
    for offset, length in spans:
        done += len(os.pread(fd, length, offset))
    return done


def cached_pages(fd: int, pages: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_] | None:
    """Whether each page of file `fd` is in the page cache (mincore), or None where that cannot be asked."""
    mincore, status_of_file = _mincore(), os.fstat(fd)
    size = status_of_file.st_size
    if mincore is None or not size or os.geteuid() not in (0, status_of_file.st_uid):
        return None  # (not the file's owner: Linux would answer "not cached" for every page we have not mapped)
    pages = pages[pages * PAGE < size]
    out = np.zeros(len(pages), dtype=bool)
    status = ctypes.c_ubyte()
    with mmap.mmap(fd, size, access=mmap.ACCESS_READ) as mapped:
        view = np.frombuffer(mapped, np.uint8)
        try:
            base = view.ctypes.data
            for k, page in enumerate(pages.tolist()):
                if mincore(ctypes.c_void_p(base + page * PAGE), PAGE, ctypes.byref(status)) != 0:
                    return None  # not a reason to fail a lookup: it reads the pages as before
                out[k] = bool(status.value & 1)
        finally:
            del view  # the map cannot close while an array holds its buffer
    return out


@lru_cache(maxsize=1)
def _mincore() -> Callable[..., int] | None:
    if not sys.platform.startswith(("linux", "darwin", "freebsd")):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        function = libc.mincore
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]
    function.restype = ctypes.c_int
    return function
