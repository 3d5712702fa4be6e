"""Sorted run files of LSH band keys next to the database: a lookup reads the buckets a batch hits, not the store.

DuckDB can only scan `lsh_bands`: a batch's 51 x n bucket keys are spread over the whole key space, so no
zone map or row group is ever skipped, and the scan grows with everything stored (2.7 s per 10k batch against
1M articles). So band keys older than the last flush live in immutable files, each sorted by bucket: a lookup
reads, per key and run, the one 4 kB page of keys the fence points to, and per hit its member's record.

A run is a directory `<db>.lsh/run-NNNNNN/` of .npy arrays:
  buckets.npy  int64, sorted           band key (fingerprint.band_hashes; keys of different bands differ)
  members.npy  uint32, per bucket      row of the member arrays below
  bands.npy    uint16, per bucket      band number (num_perm 1024 gives 301 bands)
  fence.npy    int64                   every FENCE_EVERY-th bucket key
  records.npy  per member: id (int64, the article), size (uint32, its shingle count: with Jaccard, it
               bounds containment), sketch (uint8 x num_perm, the low byte of every MinHash value:
               agreement estimates Jaccard); one record, so a hit costs one random read
That is 14 bytes per band key and num_perm + 12 per article: ~850 bytes an article at 51 bands x 128
(bench/README.md: 1.28 kB an article in all, with the signature in DuckDB, measured with 1-byte band numbers).

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

RUN_ARRAYS = ("buckets", "fence", "members", "bands", "records")
# fence.npy holds every FENCE_EVERY-th bucket key (one per 4 kB page of buckets.npy): read whole (1/512 of the
# keys), it says which page of buckets.npy a key can be on, so a lookup touches one page per key.
FENCE_EVERY = 512
# Band keys a merge holds at once (~14 bytes each, a few copies while sorting): ~100 MB.
MERGE_STEP = 2_000_000
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
    band: npt.NDArray[np.integer],
    bucket: npt.NDArray[np.int64],
    member: npt.NDArray[np.integer],
) -> Path:
    """Write one run durably: articles `ids` (sorted) with their signatures and shingle counts, and band keys
    (`band`, `bucket`, `member`: the row of `ids` the key belongs to). Returns the run's path."""
    if not len(ids) == len(sigs) == len(sizes):
        raise ValueError(f"a run needs one signature and size per article ({len(ids)} ids, {len(sigs)} signatures)")
    if len(ids) >= 2**32:
        raise ValueError(f"{len(ids)} articles do not fit one run (member rows are uint32)")
    order = np.argsort(bucket, kind="stable")
    arrays: dict[str, np.ndarray] = {
        "buckets": np.asarray(bucket, dtype=np.int64)[order],
        "fence": np.asarray(bucket, dtype=np.int64)[order][::FENCE_EVERY],
        "members": np.asarray(member, dtype=np.uint32)[order],
        "bands": np.asarray(band, dtype=np.uint16)[order],
        "records": member_records(ids, sizes, sigs),
    }
    return _write_arrays(directory, name, arrays)


def merge_runs(directory: Path, name: str, sources: Sequence[str], *, step: int = MERGE_STEP) -> Path:
    """One run holding every entry of `sources`, streamed: memory holds about `step` entries at a time.

    Members are numbered in `sources` order; band keys are merged by bucket, `step` entries a round: each
    round takes, from every source, the entries up to the smallest of their `step / len(sources)`-th keys, so
    no round takes more than `step` (plus the copies of its last key). Sources are mapped afresh each round,
    so the process never holds more than a round of their pages either.
    """
    heads = [_header(directory / s) for s in sources]
    offsets = np.cumsum([0] + [h["records"] for h in heads[:-1]]).tolist()
    total = sum(h["buckets"] for h in heads)
    members_total = sum(h["records"] for h in heads)
    if members_total >= 2**32:
        raise ValueError(f"{members_total} articles do not fit one run (member rows are uint32)")
    kind = np.load(directory / sources[0] / "records.npy", mmap_mode="r").dtype
    final, tmp = _begin(directory, name)
    out: dict[str, _Appender] = {}
    try:
        out["buckets"] = _Appender(tmp / "buckets.npy", np.int64, (total,))
        out["members"] = _Appender(tmp / "members.npy", np.uint32, (total,))
        out["bands"] = _Appender(tmp / "bands.npy", np.uint16, (total,))
        positions = [0] * len(sources)
        share = max(1, step // len(sources))
        fence, written = [], 0
        while any(p < h["buckets"] for p, h in zip(positions, heads, strict=True)):
            runs = [load_run(directory / s) for s in sources]
            bounds = [
                int(r["buckets"][min(p + share, h["buckets"]) - 1])
                for r, p, h in zip(runs, positions, heads, strict=True)
                if p < h["buckets"]
            ]
            boundary = min(bounds)
            parts = []
            for k, run in enumerate(runs):
                lo = positions[k]
                hi = lo + int(np.searchsorted(run["buckets"][lo : lo + share + 1], boundary, side="right"))
                if hi == lo + share + 1:  # copies of the boundary key run past the window: find their end
                    hi = int(np.searchsorted(run["buckets"], boundary, side="right"))
                if hi > lo:
                    parts.append(
                        (
                            np.array(run["buckets"][lo:hi]),
                            np.array(run["members"][lo:hi], dtype=np.int64) + offsets[k],
                            np.array(run["bands"][lo:hi]),
                        )
                    )
                positions[k] = hi
            del runs
            buckets = np.concatenate([p[0] for p in parts])
            order = np.argsort(buckets, kind="stable")  # sorted pieces: a merge, not a full sort
            merged = buckets[order]
            out["buckets"].write(merged)
            # A copy: a slice is a view that keeps the round's whole array alive (16 MB a round, 0.8 GB at 1M+1M).
            fence.append(merged[(-written) % FENCE_EVERY :: FENCE_EVERY].copy())
            written += len(merged)
            out["members"].write(np.concatenate([p[1] for p in parts])[order].astype(np.uint32))
            out["bands"].write(np.concatenate([p[2] for p in parts])[order])
        fence_values = np.concatenate(fence) if fence else np.empty(0, np.int64)
        out["fence"] = _Appender(tmp / "fence.npy", np.int64, fence_values.shape)
        out["fence"].write(fence_values)
        out["records"] = _Appender(tmp / "records.npy", kind, (members_total,))
        rows = max(1, step // 16)
        for source in sources:
            # Read, not mapped: a mapped page counts in the process's RSS until the map is closed, so copying a
            # source's records through one map held all of them (140 MB per 1M articles) at the end.
            with _Run(directory / source) as read:
                length = read.length("records")
                for lo in range(0, length, rows):
                    out["records"].write(read.span("records", lo, min(rows, length - lo)))
        for appender in out.values():
            appender.close()
    except BaseException:
        for appender in out.values():
            appender.abort()
        shutil.rmtree(tmp, ignore_errors=True)  # a half-written run frees its space at once (disk full)
        raise
    return _finish(directory, final, tmp)


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


def _header(path: Path) -> dict[str, int]:
    return {a: len(np.load(path / f"{a}.npy", mmap_mode="r")) for a in ("buckets", "records")}


def load_run(path: Path, *, mmap: bool = True) -> dict[str, np.ndarray]:
    """A run's arrays, memory-mapped (only the pages a lookup touches are read)."""
    return {a: np.load(path / f"{a}.npy", mmap_mode="r" if mmap else None) for a in RUN_ARRAYS}


def lookup(
    directory: Path,
    names: Sequence[str],
    keys: npt.NDArray[np.int64],
    num_perm: int,
    *,
    window_bytes: int = WINDOW_BYTES,
) -> RunHits:
    """Every stored entry of the runs `names` whose band key is one of `keys` (sorted, unique).

    Read through memory maps of one window of a file at a time (_Run.take): a mapped page counts in the
    process's RSS until its map is closed, and Linux maps the cached pages (or whole large folios) around each
    one touched, so one map of a 10M-article run held 1.5-3.6 GB after a 1k batch. A window holds
    `window_bytes` at most; inside it a page fault maps many neighbours at once, which is why this is faster
    than a pread per key and per hit (10M stored, 1k batch: 0.66 M preads, 1.5 s; bench/README.md).
    """
    parts = []
    for name in names:
        path = directory / name
        fence = np.load(path / "fence.npy")
        with _Run(path, window_bytes) as run:
            lo, hi = _positions(run, fence, keys)
            counts = hi - lo
            found = np.flatnonzero(counts)
            entries = concatenated_ranges(lo[found], counts[found])
            members = run.take("members", entries).astype(np.int64)
            bands = run.take("bands", entries).astype(np.int16)
            unique, inverse = np.unique(members, return_inverse=True)
            records = _fields_per_hit(run.take("records", unique), run.dtype("records"), inverse)
        key_index = np.repeat(found.astype(np.int64), counts[found])
        parts.append(
            RunHits(
                key_index=key_index,
                band=bands,
                bucket=keys[key_index].astype(np.int64, copy=False),
                article_id=records["id"].astype(np.int64, copy=False),
                sketch=records["sketch"],
                size=records["size"].astype(np.int64, copy=False),
            )
        )
    return RunHits.concat(parts, num_perm)


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
    """id, size and sketch of record hit_record[k] for every hit k, from records read as raw bytes.

    Each field is taken as one opaque value per hit, straight from the records: numpy copies a strided uint8
    sketch byte by byte (0.2 s for the 0.5M hits of a 1k batch against 10M stored).
    """
    assert kind.fields is not None  # records are a struct (record_type)
    out = {}
    for field in ("id", "size", "sketch"):
        dtype, offset = kind.fields[field][:2]
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
        out = np.empty(len(index), self._element(name))
        for first, last, within in self._windows(name, index):

            def gather(array: np.ndarray, w: np.ndarray = within, f: int = first) -> np.ndarray:
                taken: np.ndarray = array[index[w] - f]
                return taken

            out[within] = self._in_map(name, first, last, gather)
        return out

    def key_ranges(
        self, name: str, keys: npt.NDArray[np.int64], left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """For each of `keys` (sorted), [first, last + 1) of its elements in the sorted array `name`.

        `left[k]` and `right[k]` are the pages of FENCE_EVERY elements that hold the two ends (or whose ends they
        are). Both ends are searched in one map of their window: its pages are touched once, and a page touched
        costs a fault (10M stored, 1k batch: 51k keys, one page each, on 1M pages).
        """
        lo, hi = np.empty(len(keys), np.int64), np.empty(len(keys), np.int64)
        n = self.length(name)
        for first, _, within in self._windows(name, left * FENCE_EVERY):
            last = min(int(right[within[-1]] + 1) * FENCE_EVERY, n) - 1

            def search(array: np.ndarray, w: np.ndarray = within, f: int = first) -> np.ndarray:
                return np.stack(
                    [
                        _search_pages(array, f, keys[w], left[w], "left"),
                        _search_pages(array, f, keys[w], right[w], "right"),
                    ]
                )

            lo[within], hi[within] = self._in_map(name, first, last, search)
        return lo, hi

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

    def _in_map(self, name: str, first: int, last: int, read: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """read(elements first .. last of `name`, mapped): what it returns must be a copy, not a view of the map."""
        fd, offset, dtype, _ = self._open(name)
        start, end = offset + first * dtype.itemsize, offset + (last + 1) * dtype.itemsize
        aligned = start - start % mmap.ALLOCATIONGRANULARITY
        with mmap.mmap(fd, end - aligned, access=mmap.ACCESS_READ, offset=aligned) as mapped:
            return read(np.frombuffer(mapped, self._element(name), count=last - first + 1, offset=start - aligned))


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


def _positions(
    run: _Run, fence: npt.NDArray[np.int64], keys: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For each key, [first, last + 1) of its entries in buckets.npy (equal when it has none)."""
    if not run.length("buckets"):
        empty = np.zeros(len(keys), np.int64)
        return empty, empty.copy()
    # The fence says on which page a boundary lies: the page before the first fence key past it (or the
    # page's end, which is the next page's first element).
    left, right = (np.maximum(np.searchsorted(fence, keys, side=side) - 1, 0) for side in ("left", "right"))
    return run.key_ranges("buckets", keys, left.astype(np.int64), right.astype(np.int64))


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
