"""Sorted run files of LSH band keys next to the database: a lookup reads the buckets a batch hits, not the store.

DuckDB can only scan `lsh_bands`: a batch's 51 x n bucket keys are spread over the whole key space, so no
zone map or row group is ever skipped, and the scan grows with everything stored (2.7 s per 10k batch against
1M articles). So band keys older than the last flush live in immutable files, each sorted by bucket: a lookup
is a binary search per key (`np.searchsorted` on a memory map), touching a page or two per key and run.

A run is a directory `<db>.lsh/run-NNNNNN/` of .npy arrays:
  buckets.npy  int64, sorted           band key (fingerprint.band_hashes; keys of different bands differ)
  members.npy  uint32, per bucket      row of the member arrays below
  bands.npy    uint8,  per bucket      band number
  ids.npy      int64,  per member      article id
  sketch.npy   uint8,  per member      low byte of every MinHash value: agreement estimates Jaccard
  sizes.npy    uint32, per member      shingle count: with Jaccard, it bounds containment
That is 13 bytes per band key and num_perm + 12 per article: ~800 bytes an article at 51 bands x 128.

Crash safety: a run is written to `run-NNNNNN.tmp/`, fsynced and renamed, and only then registered in
`lsh_runs` in the same transaction that deletes its rows from `lsh_bands`. A run that was never registered
(a kill in between, a rolled back transaction, a `rebuild-clusters` that unregistered it) is an orphan: ignored
by lookups and deleted by the next flush. Runs are never changed, only replaced by a merged run.
Entries of articles whose text changed since (re-signed under the same id) stay in old runs; their sketch no
longer matches their signature, so storage/dedup.py checks every candidate against the stored signature.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

RUN_ARRAYS = ("buckets", "members", "bands", "ids", "sketch", "sizes")


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
        return RunHits(
            key_index=np.concatenate([p.key_index for p in parts]),
            band=np.concatenate([p.band for p in parts]),
            bucket=np.concatenate([p.bucket for p in parts]),
            article_id=np.concatenate([p.article_id for p in parts]),
            sketch=np.concatenate([p.sketch for p in parts]),
            size=np.concatenate([p.size for p in parts]),
        )


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
        "members": np.asarray(member, dtype=np.uint32)[order],
        "bands": np.asarray(band, dtype=np.uint8)[order],
        "ids": np.asarray(ids, dtype=np.int64),
        "sketch": sketches(sigs),
        "sizes": np.asarray(sizes, dtype=np.uint32),
    }
    return _write_arrays(directory, name, arrays)


def merge_runs(directory: Path, name: str, sources: Sequence[str]) -> Path:
    """One run holding every entry of `sources` (read whole: callers bound their total size)."""
    parts = [load_run(directory / s, mmap=False) for s in sources]
    offsets = np.cumsum([0] + [len(p["ids"]) for p in parts[:-1]])
    buckets = np.concatenate([p["buckets"] for p in parts])
    # Each part is sorted: a stable merge sort finds the runs, so this costs a merge, not a full sort.
    order = np.argsort(buckets, kind="stable")
    arrays = {
        "buckets": buckets[order],
        "members": np.concatenate([p["members"].astype(np.int64) + off for p, off in zip(parts, offsets, strict=True)])[
            order
        ].astype(np.uint32),
        "bands": np.concatenate([p["bands"] for p in parts])[order],
        "ids": np.concatenate([p["ids"] for p in parts]),
        "sketch": np.concatenate([p["sketch"] for p in parts]),
        "sizes": np.concatenate([p["sizes"] for p in parts]),
    }
    return _write_arrays(directory, name, arrays)


def load_run(path: Path, *, mmap: bool = True) -> dict[str, np.ndarray]:
    """A run's arrays, memory-mapped (only the pages a lookup touches are read)."""
    return {a: np.load(path / f"{a}.npy", mmap_mode="r" if mmap else None) for a in RUN_ARRAYS}


def lookup(directory: Path, names: Sequence[str], keys: npt.NDArray[np.int64], num_perm: int) -> RunHits:
    """Every stored entry of the runs `names` whose band key is one of `keys` (sorted, unique)."""
    parts = [_lookup_one(load_run(directory / name), keys) for name in names]
    return RunHits.concat(parts, num_perm)


def _lookup_one(run: dict[str, np.ndarray], keys: npt.NDArray[np.int64]) -> RunHits:
    buckets = run["buckets"]
    lo = np.searchsorted(buckets, keys, side="left")
    hi = np.searchsorted(buckets, keys, side="right")
    counts = hi - lo
    found = np.flatnonzero(counts)
    if not len(found):
        return RunHits.empty(run["sketch"].shape[1])
    counts = counts[found]
    # Positions lo[k]..hi[k]-1 of every key that was found, as one index array.
    starts = np.repeat(lo[found] - np.cumsum(counts) + counts, counts)
    positions = starts + np.arange(int(counts.sum()))
    members = np.asarray(run["members"][positions], dtype=np.int64)
    return RunHits(
        key_index=np.repeat(found.astype(np.int64), counts),
        band=np.asarray(run["bands"][positions], dtype=np.int16),
        bucket=np.asarray(buckets[positions], dtype=np.int64),
        article_id=np.asarray(run["ids"][members], dtype=np.int64),
        sketch=np.asarray(run["sketch"][members], dtype=np.uint8),
        size=np.asarray(run["sizes"][members], dtype=np.int64),
    )


def remove_unregistered(directory: Path, registered: set[str]) -> list[str]:
    """Delete run directories no database row names (orphans of a kill, a rollback or a rebuild)."""
    if not directory.is_dir():
        return []
    removed = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith("run-") and path.name not in registered:
            shutil.rmtree(path)
            removed.append(path.name)
    return removed


def _write_arrays(directory: Path, name: str, arrays: dict[str, np.ndarray]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    final, tmp = directory / name, directory / f"{name}.tmp"
    if final.exists():
        raise FileExistsError(f"{final} exists: run names are never reused")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    for key, values in arrays.items():
        with open(tmp / f"{key}.npy", "wb") as handle:
            np.save(handle, np.ascontiguousarray(values))
            handle.flush()
            os.fsync(handle.fileno())
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
