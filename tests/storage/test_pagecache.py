"""A lookup against run files that have left the page cache reads their pages many at a time first."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from storage import _bandruns, _pagecache
from storage._pagecache import PAGE, cached_pages, page_spans, warm


def evicted(path: Path) -> bool:
    """Drop a file's pages from the page cache; False where this file system keeps them (tmpfs)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        cached = cached_pages(fd, np.arange(os.fstat(fd).st_size // PAGE))
    finally:
        os.close(fd)
    return cached is not None and not cached.any()


def test_wanted_pages_are_read_in_spans_merged_where_they_touch_and_cut_where_they_are_long() -> None:
    first = np.array([0, 1, 3, 4, 10, 10, 11], dtype=np.int64)
    last = np.array([0, 2, 3, 9, 10, 12, 11], dtype=np.int64)
    # Pages 0-12 are all wanted (0, 1-2, 3, 4-9, 10-12): one span, cut every MAX_SPAN bytes.
    spans = page_spans(first, last)
    assert spans[0] == (0, min(13 * PAGE, _pagecache.MAX_SPAN))
    assert sum(length for _, length in spans) == 13 * PAGE
    assert [offset for offset, _ in spans] == sorted({offset for offset, _ in spans})
    assert page_spans(np.array([0, 5]), np.array([1, 6])) == [(0, 2 * PAGE), (5 * PAGE, 2 * PAGE)]
    per_span = _pagecache.MAX_SPAN // PAGE
    assert page_spans(np.array([0]), np.array([per_span])) == [(0, _pagecache.MAX_SPAN), (_pagecache.MAX_SPAN, PAGE)]


def test_pages_out_of_the_cache_are_read_and_a_cached_file_is_not_read_again(tmp_path: Path) -> None:
    path = tmp_path / "entries.npy"
    path.write_bytes(os.urandom(300 * PAGE))
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        if not evicted(path):
            pytest.skip(f"{tmp_path} keeps its pages cached (tmpfs?): nothing to read back")
        wanted = np.array([3, 40, 41, 250], dtype=np.int64) * PAGE + 100
        assert warm(fd, wanted, wanted + 200) == 3 * PAGE + PAGE  # pages 3, 40-41 (adjacent: one span) and 250
        cached = cached_pages(fd, np.arange(300))
        assert cached is not None
        assert cached[[3, 40, 41, 250]].all()
        assert not cached[[0, 100, 299]].any()  # only the wanted pages were read
        assert warm(fd, wanted, wanted + 200) == 0  # cached now: only the sample's check
        assert warm(fd, np.empty(0, np.int64), np.empty(0, np.int64)) == 0
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the mean of no sample was nan, with a RuntimeWarning, and a prefetch
            assert warm(fd, np.array([10**9]), np.array([10**9 + 10])) == 0  # past the end of the file
    finally:
        os.close(fd)


def test_a_lookup_on_run_files_out_of_the_cache_reads_them_ahead_and_finds_what_it_finds_on_cached_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(5)
    n, bands = 20_000, 8
    ids = np.arange(n, dtype=np.int64) + 1
    bucket = rng.integers(-(2**62), 2**62, n * bands)
    member = np.repeat(np.arange(n), bands)
    sigs = rng.integers(0, 2**32, (n, 16), dtype=np.uint32)
    run = _bandruns.write_run(tmp_path, "run-000000", ids, sigs, np.arange(n) + 30, bucket=bucket, member=member)
    keys = np.unique(np.concatenate([rng.choice(bucket, 500, replace=False), rng.integers(-(2**62), 2**62, 50)]))
    key_bands = np.zeros(len(keys), dtype=np.int16)
    read_ahead: list[int] = []
    real_warm = _pagecache.warm

    def counted_warm(fd: int, starts: np.ndarray, ends: np.ndarray) -> int:
        read_ahead.append(real_warm(fd, starts, ends))
        return read_ahead[-1]

    monkeypatch.setattr(_pagecache, "warm", counted_warm)

    def every_hit(key_index: np.ndarray, size: np.ndarray, head: np.ndarray) -> np.ndarray:
        return np.ones(len(key_index), dtype=bool)

    def lookup() -> list[tuple[int, int]]:
        hits = _bandruns.lookup(tmp_path, [run.name], keys, key_bands, 16, prefilter=every_hit)
        return sorted(zip(hits.bucket.tolist(), hits.article_id.tolist(), strict=True))

    cached = lookup()
    assert len(cached) >= 500
    assert read_ahead and not any(read_ahead)  # just written: cached, nothing read ahead
    if not all(evicted(run / f"{array}.npy") for array in ("entries", "heads", "records")):
        pytest.skip(f"{tmp_path} keeps its pages cached (tmpfs?)")
    read_ahead.clear()
    assert lookup() == cached
    # entries, heads and records were each read ahead: 550 keys on ~23 pages of entries, ~500 heads and records
    assert len(read_ahead) == 3
    assert all(read_ahead)
