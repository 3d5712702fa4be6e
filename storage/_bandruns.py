"""Sorted run files of LSH band keys next to the database: a lookup reads the buckets a batch hits, not the store.

DuckDB can only scan `lsh_bands`: a batch's 51 x n bucket keys are spread over the whole key space, so no
zone map or row group is ever skipped, and the scan grows with everything stored (2.7 s per 10k batch against
1M articles). So band keys older than the last flush live in immutable files, each sorted by bucket: a lookup
reads, per key and run, the page of entries the fence points to, per hit its member's head, and the record of
the few hits the heads leave.

A run is a directory `<db>.lsh/run-NNNNNN/` of .npy arrays:
  entries.npy  (bucket int64, member uint32), sorted by bucket: a band key (fingerprint.band_hashes; keys of
               different bands differ, so a key names its band) and the row of the member arrays below. One
               array, so the page a lookup searches for a key also holds the key's members: one page fault
               per key, not one per array (10M stored, 1k batch: 0.11 s against 0.40 s with three arrays).
  fence.npy    int64                   every FENCE_EVERY-th bucket key
  heads.npy    per member: size (uint32, its shingle count: with Jaccard, it bounds containment) and the first
               HEAD_SKETCH bytes of its sketch; what the first check of a hit reads (64 bytes, not 140)
  records.npy  per member: id (int64, the article), size, sketch (uint8 x num_perm, the low byte of every
               MinHash value: agreement estimates Jaccard); read only for the hits the heads kept
That is 12 bytes per band key and num_perm + 76 per article: ~820 bytes an article at 51 bands x 128.
Runs written before (`buckets`, `members`, `bands` as three arrays, no heads: LEGACY_RUN_ARRAYS) are read
only by merge_runs, which storage/dedup.upgrade_runs uses to rewrite them.

Crash safety: a run is written to `run-NNNNNN.tmp/`, fsynced and renamed, and only then registered in
`lsh_runs` in the same transaction that deletes its rows from `lsh_bands`. A run that was never registered
(a kill in between, a rolled back transaction, a `rebuild-clusters` that unregistered it) is an orphan: ignored
by lookups and deleted by storage/dedup.remove_orphan_runs at the start of a later transaction. Runs are never
changed, only replaced by a merged run.
Entries of articles whose text changed since (re-signed under the same id) stay in old runs; their sketch no
longer matches their signature, so storage/dedup.py checks every candidate against the stored signature.
"""

from __future__ import annotations

import itertools
import mmap
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from storage import _pagecache

RUN_ARRAYS = ("entries", "fence", "heads", "records")
LEGACY_RUN_ARRAYS = ("buckets", "fence", "members", "bands", "records")
ENTRY_TYPE = np.dtype([("bucket", "<i8"), ("member", "<u4")])
# Sketch bytes in a member's head (with its uint32 shingle count, 64 bytes): enough to drop nearly every
# unrelated story that shares a band before its 140-byte record is read, and few enough that the heads of a
# 10M-article run are 640 MB to the records' 1.4 GB. storage/dedup.py checks heads with a wider margin than
# records (_HEAD_MARGIN_SD), so that few pairs the full sketch would keep are dropped by the head (the figures
# are there).
HEAD_SKETCH = 60
# fence.npy holds every FENCE_EVERY-th bucket key (one per 6 kB of entries.npy): read whole (1/512 of the
# keys), it says which page of entries a key can be on, so a lookup touches one or two pages per key.
FENCE_EVERY = 512
# Band keys a merge holds at once (12 bytes each, a few copies while sorting): ~100 MB.
MERGE_STEP = 2_000_000
# Hits whose heads are checked at once: their heads and the check's copies, ~200 bytes a hit, stay ~50 MB
# (a 2,000-article chunk against 10M stored has 1M hits).
PREFILTER_HITS = 250_000
# Bytes of one array file a lookup maps at once (see lookup): what it adds to the process's RSS at most.
WINDOW_BYTES = 32 << 20

_Side = Literal["left", "right"]


@dataclass(frozen=True, slots=True)
class RunHits:
    """Band keys of stored articles equal to some of the query keys: one row per (key, stored article)."""

    key_index: npt.NDArray[np.int64]  # position in the sorted unique query keys
    band: npt.NDArray[np.int16]
    bucket: npt.NDArray[np.int64]
    article_id: npt.NDArray[np.int64]
    sketch: npt.NDArray[np.uint8]  # (hits, num_perm)
    size: npt.NDArray[np.int64]

    @staticmethod
    def empty(num_perm: int) -> RunHits:
        return RunHits(
            np.empty(0, np.int64),
            np.empty(0, np.int16),
            np.empty(0, np.int64),
            np.empty(0, np.int64),
            np.empty((0, num_perm), np.uint8),
            np.empty(0, np.int64),
        )

    @staticmethod
    def concat(parts: Sequence[RunHits], num_perm: int) -> RunHits:
        parts = [p for p in parts if len(p.article_id)]
        if not parts:
            return RunHits.empty(num_perm)
        if len(parts) == 1:
            return parts[0]
        return RunHits(
            key_index=np.concatenate([p.key_index for p in parts]),
            band=np.concatenate([p.band for p in parts]),
            bucket=np.concatenate([p.bucket for p in parts]),
            article_id=np.concatenate([p.article_id for p in parts]),
            sketch=np.concatenate([p.sketch for p in parts]),
            size=np.concatenate([p.size for p in parts]),
        )


def record_type(num_perm: int) -> np.dtype:
    """One member of a run: its article id, shingle count and sketch, packed (140 bytes at num_perm 128)."""
    return np.dtype([("id", "<i8"), ("size", "<u4"), ("sketch", "u1", (num_perm,))])


def head_type(num_perm: int) -> np.dtype:
    """What the first check of a hit reads: shingle count and the sketch's first bytes (64 bytes at 128)."""
    return np.dtype([("size", "<u4"), ("sketch", "u1", (min(HEAD_SKETCH, num_perm),))])


def heads_of(records: np.ndarray) -> np.ndarray:
    """The heads of some members, from their records."""
    heads = np.empty(len(records), dtype=head_type(records.dtype["sketch"].shape[0]))
    heads["size"] = records["size"]
    heads["sketch"] = records["sketch"][:, : heads.dtype["sketch"].shape[0]]
    return heads


def member_records(
    ids: npt.NDArray[np.integer], sizes: npt.NDArray[np.integer], sigs: npt.NDArray[np.uint32]
) -> np.ndarray:
    records = np.empty(len(ids), dtype=record_type(np.asarray(sigs).shape[1]))
    records["id"], records["size"], records["sketch"] = ids, sizes, sketches(sigs)
    return records


def sketches(sigs: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
    """The low byte of every MinHash value (b-bit minwise hashing, b = 8)."""
    return (np.asarray(sigs, dtype=np.uint32) & np.uint32(0xFF)).astype(np.uint8)


def write_run(
    directory: Path,
    name: str,
    ids: npt.NDArray[np.int64],
    sigs: npt.NDArray[np.uint32],
    sizes: npt.NDArray[np.integer],
    *,
    bucket: npt.NDArray[np.int64],
    member: npt.NDArray[np.integer],
) -> Path:
    """Write one run durably: articles `ids` (sorted) with their signatures and shingle counts, and band keys
    (`bucket`, `member`: the row of `ids` the key belongs to). Returns the run's path."""
    if not len(ids) == len(sigs) == len(sizes):
        raise ValueError(f"a run needs one signature and size per article ({len(ids)} ids, {len(sigs)} signatures)")
    if len(ids) >= 2**32:
        raise ValueError(f"{len(ids)} articles do not fit one run (member rows are uint32)")
    order = np.argsort(bucket, kind="stable")
    entries = np.empty(len(order), ENTRY_TYPE)
    entries["bucket"] = np.asarray(bucket, dtype=np.int64)[order]
    entries["member"] = np.asarray(member, dtype=np.uint32)[order]
    records = member_records(ids, sizes, sigs)
    arrays: dict[str, np.ndarray] = {
        "entries": entries,
        "fence": entries["bucket"][::FENCE_EVERY].copy(),
        "heads": heads_of(records),
        "records": records,
    }
    return _write_arrays(directory, name, arrays)


def merge_runs(directory: Path, name: str, sources: Sequence[str], *, step: int = MERGE_STEP) -> Path:
    """One run holding every entry of `sources`, streamed: memory holds about `step` entries at a time.

    Members are numbered in `sources` order; band keys are merged by bucket, `step` entries a round: each
    round takes, from every source, the entries up to the smallest of their `step / len(sources)`-th keys, so
    no round takes more than `step` (plus the copies of its last key). Sources are mapped afresh each round,
    so the process never holds more than a round of their pages either. A source may be a legacy run
    (LEGACY_RUN_ARRAYS): merging it alone rewrites it in the current layout.
    """
    counts = [_counts(directory / s) for s in sources]
    offsets = np.cumsum([0] + [c["records"] for c in counts[:-1]]).tolist()
    total = sum(c["entries"] for c in counts)
    members_total = sum(c["records"] for c in counts)
    if members_total >= 2**32:
        raise ValueError(f"{members_total} articles do not fit one run (member rows are uint32)")
    kind = np.load(directory / sources[0] / "records.npy", mmap_mode="r").dtype
    final, tmp = _begin(directory, name)
    out: dict[str, _Appender] = {}
    try:
        out["entries"] = _Appender(tmp / "entries.npy", ENTRY_TYPE, (total,))
        positions = [0] * len(sources)
        share = max(1, step // len(sources))
        fence, written = [], 0
        while any(p < c["entries"] for p, c in zip(positions, counts, strict=True)):
            runs = [_keys_and_members(directory / s) for s in sources]
            bounds = [
                int(keys[min(p + share, c["entries"]) - 1])
                for (keys, _), p, c in zip(runs, positions, counts, strict=True)
                if p < c["entries"]
            ]
            boundary = min(bounds)
            parts = []
            for k, (keys, members) in enumerate(runs):
                lo = positions[k]
                hi = lo + int(np.searchsorted(keys[lo : lo + share + 1], boundary, side="right"))
                if hi == lo + share + 1:  # copies of the boundary key run past the window: find their end
                    hi = int(np.searchsorted(keys, boundary, side="right"))
                if hi > lo:
                    parts.append((np.array(keys[lo:hi]), np.array(members[lo:hi], dtype=np.int64) + offsets[k]))
                positions[k] = hi
            del runs
            buckets = np.concatenate([p[0] for p in parts])
            order = np.argsort(buckets, kind="stable")  # sorted pieces: a merge, not a full sort
            merged = np.empty(len(order), ENTRY_TYPE)
            merged["bucket"] = buckets[order]
            merged["member"] = np.concatenate([p[1] for p in parts])[order]
            out["entries"].write(merged)
            # A copy: a slice is a view that keeps the round's whole array alive (16 MB a round, 0.8 GB at 1M+1M).
            fence.append(merged["bucket"][(-written) % FENCE_EVERY :: FENCE_EVERY].copy())
            written += len(merged)
        fence_values = np.concatenate(fence) if fence else np.empty(0, np.int64)
        out["fence"] = _Appender(tmp / "fence.npy", np.int64, fence_values.shape)
        out["fence"].write(fence_values)
        out["records"] = _Appender(tmp / "records.npy", kind, (members_total,))
        out["heads"] = _Appender(tmp / "heads.npy", head_type(kind["sketch"].shape[0]), (members_total,))
        rows = max(1, step // 16)
        for source in sources:
            # Read, not mapped: a mapped page counts in the process's RSS until the map is closed, so copying a
            # source's records through one map held all of them (140 MB per 1M articles) at the end.
            with _Run(directory / source) as read:
                length = read.length("records")
                for lo in range(0, length, rows):
                    records = read.span("records", lo, min(rows, length - lo))
                    out["records"].write(records)
                    out["heads"].write(heads_of(records))
        for appender in out.values():
            appender.close()
    except BaseException:
        for appender in out.values():
            appender.abort()
        shutil.rmtree(tmp, ignore_errors=True)  # a half-written run frees its space at once (disk full)
        raise
    return _finish(directory, final, tmp)


def is_legacy(path: Path) -> bool:
    """Whether a run is whole in the layout written before heads (LEGACY_RUN_ARRAYS): only merge_runs reads it.
    A run missing some file is neither (storage/dedup._run_hits says which are missing)."""
    return not (path / "entries.npy").is_file() and all((path / f"{a}.npy").is_file() for a in LEGACY_RUN_ARRAYS)


def _keys_and_members(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A run's sorted band keys and their member rows, memory-mapped, in either layout."""
    if is_legacy(path):
        return (np.load(path / "buckets.npy", mmap_mode="r"), np.load(path / "members.npy", mmap_mode="r"))
    entries = np.load(path / "entries.npy", mmap_mode="r")
    return entries["bucket"], entries["member"]


class _Appender:
    """An .npy file of a known shape written front to back, without holding it in memory.

    A write or close that fails closes the file before raising: the caller deletes the half-written run.
    """

    def __init__(self, path: Path, dtype: type | np.dtype, shape: tuple[int, ...]) -> None:
        self._handle = open(path, "wb")  # noqa: SIM115 (closed by close(), or by a failing write)
        self._dtype, self._left = np.dtype(dtype), int(np.prod(shape))
        header = {"descr": np.lib.format.dtype_to_descr(self._dtype), "fortran_order": False, "shape": shape}
        with self._closed_on_error():
            np.lib.format.write_array_header_2_0(self._handle, header)

    @property
    def closed(self) -> bool:
        return self._handle.closed

    @contextmanager
    def _closed_on_error(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self._handle.close()
            raise

    def write(self, values: np.ndarray) -> None:
        with self._closed_on_error():
            values = np.ascontiguousarray(values, dtype=self._dtype)
            self._left -= values.size
            if self._left < 0:
                raise ValueError("more values than the array's shape holds")
            # file.write, not ndarray.tofile: a full disk raises OSError with its errno (tofile says "n requested
            # and m written"), and no copy of the values is made.
            self._handle.write(values.reshape(-1).view(np.uint8).data)

    def close(self) -> None:
        with self._closed_on_error():
            if self._left:
                raise ValueError(f"{self._left} values short of the array's shape")
            self._handle.flush()
            os.fsync(self._handle.fileno())
        self._handle.close()

    def abort(self) -> None:
        """Close the file without completing it (a merge that failed)."""
        self._handle.close()


def _counts(path: Path) -> dict[str, int]:
    """How many band keys (entries) and members (records) a run holds, in either layout."""
    arrays = {"entries": "buckets" if is_legacy(path) else "entries", "records": "records"}
    return {count: len(np.load(path / f"{array}.npy", mmap_mode="r")) for count, array in arrays.items()}


def load_run(path: Path, *, mmap: bool = True) -> dict[str, np.ndarray]:
    """A run's arrays, memory-mapped (only the pages a lookup touches are read)."""
    return {a: np.load(path / f"{a}.npy", mmap_mode="r" if mmap else None) for a in RUN_ARRAYS}


# A first check of hits by their heads: (key index, shingle count, head sketch) per hit -> which may match.
Prefilter = Callable[[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.uint8]], npt.NDArray[np.bool_]]


def lookup(
    directory: Path,
    names: Sequence[str],
    keys: npt.NDArray[np.int64],
    key_bands: npt.NDArray[np.integer],
    num_perm: int,
    *,
    prefilter: Prefilter | None = None,
    window_bytes: int = WINDOW_BYTES,
) -> RunHits:
    """Every stored entry of the runs `names` whose band key is one of `keys` (sorted, unique; keys[k] is a key of
    band key_bands[k]), less the hits `prefilter` drops by their members' heads.

    Read through memory maps of one window of a file at a time (_Run.take): a mapped page counts in the
    process's RSS until its map is closed, and Linux maps the cached pages (or whole large folios) around each
    one touched, so one map of a 10M-article run held 1.5-3.6 GB after a 1k batch. A window holds
    `window_bytes` at most; inside it a page fault maps many neighbours at once, which is why this is faster
    than a pread per key and per hit (10M stored, 1k batch: 0.66 M preads, 1.5 s; bench/README.md). Records
    (140 bytes) are read only for the hits the prefilter keeps: the heads of 0.5M hits are 32 MB on 640 MB of
    file at 10M stored, their records 70 MB on 1.4 GB. Pages that have left the page cache are read first, many
    at a time (storage/_pagecache.py): one fault at a time, each waiting on the disk, a cold 10M store took 9.5 s.
    """
    parts = []
    for name in names:
        path = directory / name
        with _Run(path, window_bytes) as run:
            key_index, members = run.entries_of(keys, np.load(path / "fence.npy"))
            if prefilter is not None:
                slices = [
                    lo + np.flatnonzero(_kept_by_heads(run, prefilter, key_index[lo:hi], members[lo:hi]))
                    for lo, hi in _slices(len(members), PREFILTER_HITS)
                ]
                kept = np.concatenate([np.empty(0, np.int64), *slices])
                key_index, members = key_index[kept], members[kept]
            unique, inverse = np.unique(members, return_inverse=True)
            records = _fields_per_hit(run.take("records", unique), run.dtype("records"), inverse)
        parts.append(
            RunHits(
                key_index=key_index,
                band=np.asarray(key_bands, np.int16)[key_index],
                bucket=keys[key_index].astype(np.int64, copy=False),
                article_id=records["id"].astype(np.int64, copy=False),
                sketch=records["sketch"],
                size=records["size"].astype(np.int64, copy=False),
            )
        )
    return RunHits.concat(parts, num_perm)


def _kept_by_heads(
    run: _Run, prefilter: Prefilter, key_index: npt.NDArray[np.int64], members: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    unique, inverse = np.unique(members, return_inverse=True)
    head = _fields_per_hit(run.take("heads", unique), run.dtype("heads"), inverse)
    return prefilter(key_index, head["size"].astype(np.int64), head["sketch"])


def _slices(length: int, size: int) -> Iterator[tuple[int, int]]:
    return ((lo, min(lo + size, length)) for lo in range(0, length, size))


def concatenated_ranges(starts: npt.NDArray[np.int64], counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """starts[k] .. starts[k] + counts[k] - 1 of every k, concatenated."""
    total = int(counts.sum())
    if not total:
        return np.empty(0, np.int64)
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(total, dtype=np.int64)


def rows(matrix: np.ndarray, index: npt.NDArray[np.int64]) -> np.ndarray:
    """matrix[index] of a 2-D array, each row copied as one value (numpy copies a uint8 row byte by byte)."""
    opaque = np.ascontiguousarray(matrix).view(np.dtype((np.void, matrix.shape[1] * matrix.itemsize)))
    return np.take(opaque.ravel(), index).view(matrix.dtype).reshape(len(index), matrix.shape[1])


def _fields_per_hit(raw: np.ndarray, kind: np.dtype, hit_record: npt.NDArray[np.int64]) -> dict[str, np.ndarray]:
    """The fields (id, size, sketch) of record hit_record[k] for every hit k, from records (or heads) read as raw bytes.

    Each field is taken as one opaque value per hit, straight from the records: numpy copies a strided uint8
    sketch byte by byte (0.2 s for the 0.5M hits of a 1k batch against 10M stored).
    """
    assert kind.fields is not None  # records are a struct (record_type)
    out = {}
    for field, (dtype, offset, *_) in kind.fields.items():
        if len(raw):
            column = np.ndarray(
                (len(raw),), (np.void, dtype.itemsize), buffer=raw, offset=offset, strides=(kind.itemsize,)
            )
        else:  # no record: a buffer of 0 bytes has no field at `offset`
            column = np.empty(0, (np.void, dtype.itemsize))
        out[field] = np.take(column, hit_record).view(dtype.base).reshape(len(hit_record), *dtype.shape)
    return out


class _Run:
    """Access to the .npy arrays of one run: spans by pread, scattered elements through windowed maps."""

    def __init__(self, path: Path, window_bytes: int = WINDOW_BYTES) -> None:
        if window_bytes <= 0 or window_bytes % mmap.ALLOCATIONGRANULARITY:
            raise ValueError(f"window_bytes must be a positive multiple of {mmap.ALLOCATIONGRANULARITY}")
        self._path, self._window = path, window_bytes
        self._files: dict[str, tuple[int, int, np.dtype, int]] = {}

    def __enter__(self) -> _Run:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd, _, _, _ in self._files.values():
            os.close(fd)

    def _open(self, name: str) -> tuple[int, int, np.dtype, int]:
        if name not in self._files:
            array = np.load(self._path / f"{name}.npy", mmap_mode="r")
            offset, dtype, length = int(array.offset), array.dtype, len(array)
            del array
            self._files[name] = (os.open(self._path / f"{name}.npy", os.O_RDONLY), offset, dtype, length)
        return self._files[name]

    def length(self, name: str) -> int:
        return self._open(name)[3]

    def span(self, name: str, start: int, count: int) -> np.ndarray:
        """Elements start .. start + count - 1, read (a merge copies records front to back)."""
        fd, offset, dtype, _ = self._open(name)
        return np.frombuffer(os.pread(fd, count * dtype.itemsize, offset + start * dtype.itemsize), dtype=dtype)

    def take(self, name: str, index: npt.NDArray[np.int64]) -> np.ndarray:
        """The elements at `index` (sorted ascending; records come back as raw bytes, see _fields_per_hit)."""
        fd, offset, dtype, _ = self._open(name)
        _pagecache.warm(fd, offset + index * dtype.itemsize, offset + (index + 1) * dtype.itemsize)
        out = np.empty(len(index), self._element(name))
        for first, last, within in self._windows(name, index):

            def gather(array: np.ndarray, w: np.ndarray = within, f: int = first) -> np.ndarray:
                taken: np.ndarray = array[index[w] - f]
                return taken

            out[within] = self._in_map(name, first, last, gather)
        return out

    def entries_of(
        self, keys: npt.NDArray[np.int64], fence: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(key index, member) of every entry whose bucket is one of `keys` (sorted), in key order.

        The fence says on which page of FENCE_EVERY entries each end of a key's entries lies (the page before
        the first fence key past it, or that page's end). Both ends are searched, and the members between them
        taken, in one map of their window: a page touched costs a fault (10M stored, 1k batch: 51k keys, one
        page each, on 1.5M pages).
        """
        n = self.length("entries")
        if not n or not len(keys):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        left, right = (
            np.maximum(np.searchsorted(fence, keys, side=side) - 1, 0).astype(np.int64) for side in ("left", "right")
        )
        fd, offset, dtype, _ = self._open("entries")
        size = dtype.itemsize
        _pagecache.warm(
            fd, offset + left * FENCE_EVERY * size, offset + np.minimum((right + 1) * FENCE_EVERY, n) * size
        )
        key_parts, member_parts = [], []
        for first, _, within in self._windows("entries", left * FENCE_EVERY):
            last = min(int(right[within[-1]] + 1) * FENCE_EVERY, n) - 1

            def found(entries: np.ndarray, w: np.ndarray = within, f: int = first) -> np.ndarray:
                buckets = entries["bucket"]
                lo = _search_pages(buckets, f, keys[w], left[w], "left")
                hi = _search_pages(buckets, f, keys[w], right[w], "right")
                counts = hi - lo
                hit = np.flatnonzero(counts)
                members = entries["member"][concatenated_ranges(lo[hit] - f, counts[hit])].astype(np.int64)
                return np.stack([np.repeat(w[hit], counts[hit]), members])

            key_index, members = self._in_map("entries", first, last, found, structured=True)
            key_parts.append(key_index)
            member_parts.append(members)
        return np.concatenate(key_parts), np.concatenate(member_parts)

    def dtype(self, name: str) -> np.dtype:
        return self._open(name)[2]

    def _element(self, name: str) -> np.dtype:
        """How elements are copied: records (a packed struct) as raw bytes, in one copy each."""
        dtype = self.dtype(name)
        return dtype if dtype.fields is None else np.dtype((np.void, dtype.itemsize))

    def _windows(self, name: str, index: npt.NDArray[np.int64]) -> Iterator[tuple[int, int, np.ndarray]]:
        """(first, last, positions in `index`) per window of the file that `index` (sorted) touches."""
        if not len(index):
            return
        window = index // max(1, self._window // self.dtype(name).itemsize)
        bounds = np.concatenate(([0], np.flatnonzero(np.diff(window)) + 1, [len(index)]))
        for lo, hi in itertools.pairwise(bounds.tolist()):
            yield int(index[lo]), int(index[hi - 1]), np.arange(lo, hi)

    def _in_map(
        self, name: str, first: int, last: int, read: Callable[[np.ndarray], np.ndarray], *, structured: bool = False
    ) -> np.ndarray:
        """read(elements first .. last of `name`, mapped): what it returns must be a copy, not a view of the map.

        Elements of a struct come as raw bytes (_element), or as the struct with `structured`.
        """
        fd, offset, dtype, _ = self._open(name)
        start, end = offset + first * dtype.itemsize, offset + (last + 1) * dtype.itemsize
        aligned = start - start % mmap.ALLOCATIONGRANULARITY
        element = dtype if structured else self._element(name)
        with mmap.mmap(fd, end - aligned, access=mmap.ACCESS_READ, offset=aligned) as mapped:
            return read(np.frombuffer(mapped, element, count=last - first + 1, offset=start - aligned))


def _search_pages(
    array: np.ndarray, first: int, keys: npt.NDArray[np.int64], pages: npt.NDArray[np.int64], side: _Side
) -> npt.NDArray[np.int64]:
    """np.searchsorted(array, keys, side) + first, knowing each answer is within its key's page or at its end."""
    lo = pages * FENCE_EVERY - first
    hi = np.minimum(lo + FENCE_EVERY, len(array))
    while True:
        open_ = lo < hi
        if not open_.any():
            return lo + first
        mid = (lo + hi) // 2
        value = array[np.minimum(mid, len(array) - 1)]
        below = (value < keys) if side == "left" else (value <= keys)
        go_right = open_ & below
        lo = np.where(go_right, mid + 1, lo)
        hi = np.where(open_ & ~below, mid, hi)


def unregistered(directory: Path, registered: set[str]) -> list[str]:
    """Run directories (`run-*`, written or half-written) in `directory` that no database row names."""
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("run-") and p.name not in registered)


def remove_unregistered(directory: Path, registered: set[str]) -> list[str]:
    """Delete run directories no database row names (orphans of a kill, a rollback or a rebuild)."""
    removed = unregistered(directory, registered)
    for name in removed:
        shutil.rmtree(directory / name)
    return removed


def remove_run(directory: Path, name: str) -> None:
    """Delete one run (a run merged away that nothing committed names)."""
    shutil.rmtree(directory / name)


def _write_arrays(directory: Path, name: str, arrays: dict[str, np.ndarray]) -> Path:
    final, tmp = _begin(directory, name)
    try:
        for key, values in arrays.items():
            out = _Appender(tmp / f"{key}.npy", values.dtype, values.shape)
            out.write(values)
            out.close()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # a half-written run frees its space at once (disk full)
        raise
    return _finish(directory, final, tmp)


def _begin(directory: Path, name: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    final, tmp = directory / name, directory / f"{name}.tmp"
    if final.exists():
        raise FileExistsError(f"{final} exists: run names are never reused")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    return final, tmp


def _finish(directory: Path, final: Path, tmp: Path) -> Path:
    _fsync_dir(tmp)
    os.rename(tmp, final)
    _fsync_dir(directory)
    return final


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
