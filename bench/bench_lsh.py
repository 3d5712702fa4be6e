"""LSH index benchmark: a batch of new articles matched against 100k / 1M stored signatures in DuckDB.

Usage:
    .venv/bin/python bench/bench_lsh.py [--stored 100000 1000000] [--batch 10000] [--explain]

For each store size it writes a real DuckDB file in a temp dir with the copydesk schema, seeded in bulk
through Arrow: `articles` (stored rows with ~3 kB of text, plus `--batch` pending rows), `signatures` and
`lsh_bands`. Stored filler signatures are random; a set of stored "originals" are real signatures of
synthetic stories, and `--dup-share` of the batch are edited copies of them (truncated, word-swapped or with
a local paragraph), a further `--dup-share / 2` copies of other batch articles, so true candidates exist.
Unrelated stories also collide in LSH now and then: `--spurious-rate` (per stored article and new article)
plants that many extra band collisions with filler rows. 5e-5 is what the newsroom worlds (seeds 2, 5, 9)
gave for different-story pairs at 51 bands x 2 rows (6 of 123k pairs).

Then a fresh child process (so its peak RSS covers only the dedup work) opens the file with
storage.db.connect and, inside a transaction that is rolled back:
  1. times `assign_clusters` end to end (the real code path, CHUNK_SIZE pending articles per step);
  2. replays the same steps with the module's own helpers (_pending, _candidates, _store_*,
     _load_signatures, ChunkLinker.link, _apply_links) to split that time into stages.
With --explain it writes EXPLAIN ANALYZE of the candidate and signature queries next to the results.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import ChainMap
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractors.fingerprint import DedupParams, band_hashes, shingle_hashes, signatures  # noqa: E402
from storage import dedup  # noqa: E402
from storage._clusters import ChunkLinker  # noqa: E402
from storage.db import connect  # noqa: E402

PARAMS = DedupParams()
SEED_CHUNK = 100_000
WORDS_PER_STORY = 500  # ~470 shingles: the median of the newsroom worlds' article bodies
FILLER_TEXT_BYTES = 3_000


# --- synthetic text ---------------------------------------------------------------------------------------


def vocabulary(rng: np.random.Generator, size: int = 30_000) -> np.ndarray:
    letters = np.array(list("etaoinshrdlcumwfgypbvkjxqz"))
    return np.array(["".join(rng.choice(letters, rng.integers(2, 10))) for _ in range(size)])


def stories(rng: np.random.Generator, vocab: np.ndarray, n: int) -> list[list[str]]:
    """Word lists with a Zipf vocabulary (unrelated stories share almost no 5-word shingles)."""
    ranks = np.minimum(rng.zipf(1.1, size=(n, WORDS_PER_STORY)) - 1, len(vocab) - 1)
    return [list(row) for row in vocab[ranks]]


def edited_copy(rng: np.random.Generator, words: list[str], vocab: np.ndarray) -> list[str]:
    """A syndicated copy: truncated to 50-80%, 3% of words swapped, or with a local paragraph added."""
    kind = rng.integers(3)
    if kind == 0:
        return words[: int(len(words) * rng.uniform(0.5, 0.8))]
    if kind == 1:
        out = list(words)
        for i in rng.choice(len(out), len(out) // 33, replace=False):
            out[i] = str(vocab[rng.integers(len(vocab))])
        return out
    return list(vocab[rng.integers(0, len(vocab), 60)]) + words


def text_of(words: list[str]) -> str:
    return " ".join(words)


# --- seeding ----------------------------------------------------------------------------------------------


def filler_text(rng: np.random.Generator, vocab: np.ndarray, n: int, corpus: bytes) -> pa.Array:
    """n distinct ~3 kB ASCII texts: random windows of one corpus (compresses like real prose)."""
    starts = rng.integers(0, len(corpus) - FILLER_TEXT_BYTES, n)
    data = b"".join(corpus[s : s + FILLER_TEXT_BYTES] for s in starts)
    offsets = np.arange(n + 1, dtype=np.int32) * FILLER_TEXT_BYTES
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data))


def filler_shingles(rng: np.random.Generator, n: int) -> pa.Array:
    """n sorted unique uint32 sets of 200-800 values, packed like storage/dedup.py packs shingles."""
    sizes = rng.integers(200, 800, n)
    total = int(sizes.sum())
    gaps = rng.integers(1, 2**32 // 800, total, dtype=np.uint64)
    ends = np.cumsum(sizes)
    values = np.cumsum(gaps)
    values -= np.repeat(values[ends - sizes] - gaps[ends - sizes], sizes)  # restart each set at its first gap
    data = values.astype("<u4").tobytes()
    offsets = np.concatenate([[0], ends * 4]).astype(np.int32)
    return pa.BinaryArray.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)])


def binary_rows(matrix: np.ndarray) -> pa.Array:
    n, width = matrix.shape
    offsets = np.arange(n + 1, dtype=np.int32) * width * 4
    data = np.ascontiguousarray(matrix, dtype="<u4").tobytes()
    return pa.BinaryArray.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)])


def insert(con: object, name: str, table: pa.Table) -> None:
    con.register("seed_rows", table)  # type: ignore[attr-defined]
    con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM seed_rows")  # type: ignore[attr-defined]
    con.unregister("seed_rows")  # type: ignore[attr-defined]


def article_table(ids: np.ndarray, texts: pa.Array, *, clustered: bool) -> pa.Table:
    n = len(ids)
    now = pa.array(np.full(n, np.datetime64("2026-11-25T10:00:00", "us")), pa.timestamp("us", tz="UTC"))
    urls = pa.array([f"https://site{i % 50}.example/story/{i}" for i in ids.tolist()])
    return pa.table(
        {
            "article_id": pa.array(ids),
            "url": urls,
            "source": pa.array([f"site{i % 50}" for i in ids.tolist()]),
            "text": texts,
            "fetched_at": now,
            "content_hash": urls,
            "cluster_id": pa.array(ids if clustered else np.full(n, None), pa.int64()),
            "is_canonical": pa.array(np.full(n, True) if clustered else np.full(n, None), pa.bool_()),
            "first_run_id": pa.array(["seed"] * n),
            "last_run_id": pa.array(["seed"] * n),
        }
    )


def seed(path: Path, *, stored: int, batch: int, dup_share: float, spurious_rate: float, seed: int) -> dict:
    """Write the store and the pending batch; returns what was planted."""
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    n_orig = int(batch * dup_share)
    n_inner = int(batch * dup_share / 2)
    originals = stories(rng, vocab, n_orig)
    # Originals sit anywhere in the store (not only among recent ids): the worst case for range pruning.
    orig_ids = np.sort(rng.choice(np.arange(1, stored + 1), n_orig, replace=False))
    fresh = stories(rng, vocab, batch - n_orig - n_inner)
    new_words = [edited_copy(rng, w, vocab) for w in originals] + fresh
    new_words += [edited_copy(rng, new_words[i], vocab) for i in rng.choice(len(new_words), n_inner, replace=False)]
    order = rng.permutation(batch)
    new_texts = [text_of(new_words[i]) for i in order]
    new_ids = np.arange(stored + 1, stored + batch + 1, dtype=np.int64)
    new_sigs = signatures([shingle_hashes(t, size=PARAMS.shingle_size) for t in new_texts], num_perm=PARAMS.num_perm)
    orig_hashes = [shingle_hashes(text_of(w), size=PARAMS.shingle_size) for w in originals]
    orig_sigs = signatures(orig_hashes, num_perm=PARAMS.num_perm)

    # Spurious collisions: each new article shares one band with Poisson(rate * stored) filler rows.
    per_new = rng.poisson(spurious_rate * stored, batch)
    spur_rows = rng.integers(1, stored + 1, int(per_new.sum()))
    spur_src = np.repeat(np.arange(batch), per_new)
    spur_band = rng.integers(0, PARAMS.bands, len(spur_rows))

    corpus = " ".join(vocab[np.minimum(rng.zipf(1.1, 3_000_000) - 1, len(vocab) - 1)]).encode()
    con = connect(path)
    t0 = time.perf_counter()
    is_orig = np.zeros(stored + 1, dtype=bool)
    is_orig[orig_ids] = True
    for lo in range(1, stored + 1, SEED_CHUNK):
        ids = np.arange(lo, min(lo + SEED_CHUNK, stored + 1), dtype=np.int64)
        sigs = rng.integers(0, 2**32, (len(ids), PARAMS.num_perm), dtype=np.uint32)
        shingles = filler_shingles(rng, len(ids))
        hit = np.flatnonzero((spur_rows >= lo) & (spur_rows < lo + len(ids)))
        for k in hit:
            cols = slice(spur_band[k] * PARAMS.rows, (spur_band[k] + 1) * PARAMS.rows)
            sigs[spur_rows[k] - lo, cols] = new_sigs[spur_src[k], cols]
        texts = filler_text(rng, vocab, len(ids), corpus)
        own = np.flatnonzero(is_orig[ids])
        if len(own):
            pos = np.searchsorted(orig_ids, ids[own])
            sigs[own] = orig_sigs[pos]
            texts = texts.to_pylist()
            shingles = shingles.to_pylist()
            for row, p in zip(own.tolist(), pos.tolist(), strict=True):
                texts[row] = text_of(originals[p])
                shingles[row] = np.asarray(orig_hashes[p], dtype="<u4").tobytes()
            texts, shingles = pa.array(texts, pa.string()), pa.array(shingles, pa.binary())
        insert(con, "articles", article_table(ids, texts, clustered=True))
        n = len(ids)
        insert(
            con,
            "signatures",
            pa.table(
                {
                    "article_id": pa.array(ids),
                    "params": pa.array([dedup.params_key(PARAMS)] * n),
                    "minhash": binary_rows(sigs),
                    "shingles": shingles,
                }
            ),
        )
        keys = band_hashes(sigs, bands=PARAMS.bands, rows=PARAMS.rows)
        insert(
            con,
            "lsh_bands",
            pa.table(
                {
                    "band": pa.array(np.tile(np.arange(PARAMS.bands, dtype=np.int16), n)),
                    "bucket": pa.array(keys.ravel()),
                    "article_id": pa.array(np.repeat(ids, PARAMS.bands)),
                }
            ),
        )
    insert(con, "articles", article_table(new_ids, pa.array(new_texts, pa.string()), clustered=False))
    con.execute("CHECKPOINT")
    con.close()
    return {
        "seed_s": round(time.perf_counter() - t0, 1),
        "planted_copies_of_stored": n_orig,
        "planted_copies_in_batch": n_inner,
        "planted_spurious": int(per_new.sum()),
        "db_mb": round(path.stat().st_size / 2**20),
    }


# --- measuring (child process) ----------------------------------------------------------------------------


def rss_mb() -> float:
    """Peak RSS of this process so far. VmHWM, not ru_maxrss: Linux keeps ru_maxrss across fork + exec, so
    a child would report the seeding parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status; this benchmark needs Linux")


def measure(path: Path, explain: Path | None) -> dict:
    con = connect(path)
    out: dict = {"rss_after_connect_mb": round(rss_mb())}
    con.begin()
    t0 = time.perf_counter()
    result = dedup.assign_clusters(con, "bench", PARAMS)
    out["assign_clusters_s"] = round(time.perf_counter() - t0, 2)
    out["matches"], out["merges"] = result.matches, result.merges
    out["rss_after_assign_mb"] = round(rss_mb())
    con.rollback()

    # The same steps again, one stage at a time (the helpers _assign_chunk and _link call, in their order).
    stages = dict.fromkeys(("pending", "sign", "candidates", "store", "load", "link", "cluster"), 0.0)
    n_candidates, n_edges, first = 0, 0, True
    con.begin()
    while True:
        t = time.perf_counter()
        pending = dedup._pending(con)
        stages["pending"] += time.perf_counter() - t
        if not pending:
            break
        ids = [r[0] for r in pending]
        t = time.perf_counter()
        hashes = [shingle_hashes(r[1], size=PARAMS.shingle_size) for r in pending]
        sigs = signatures(hashes, num_perm=PARAMS.num_perm, seed=PARAMS.seed)
        keys = band_hashes(sigs, bands=PARAMS.bands, rows=PARAMS.rows)
        stages["sign"] += time.perf_counter() - t
        t = time.perf_counter()
        stored = dedup._candidates(con, ids, keys)
        stages["candidates"] += time.perf_counter() - t
        n_candidates += len(stored)
        if explain is not None and first:
            write_explain(con, ids, keys, stored, explain)
            first = False
        t = time.perf_counter()
        dedup._store_signatures(con, ids, sigs, hashes, PARAMS)
        dedup._store_bands(con, ids, keys)
        stages["store"] += time.perf_counter() - t
        t = time.perf_counter()
        current = {r[0]: r[2] for r in pending}
        linker = ChunkLinker(stored, dedup._canonicals(con, {r[2] for r in stored}), current)
        local = {i: (sigs[k], hashes[k]) for k, i in enumerate(ids)}
        buckets = dedup._shared_buckets(keys, stored)
        needs = [{i for i in linker.stored_needs(row) if i not in local} for row in buckets]
        stages["link"] += time.perf_counter() - t
        edges = []
        for lo, hi in dedup._parts(needs, dedup.VERIFY_SIZE):
            t = time.perf_counter()
            fingerprints = ChainMap(local, dedup._load_signatures(con, set().union(*needs[lo:hi])))
            stages["load"] += time.perf_counter() - t
            t = time.perf_counter()
            for k in range(lo, hi):
                edges += linker.link(ids[k], buckets[k], fingerprints, PARAMS)
            stages["link"] += time.perf_counter() - t
        t = time.perf_counter()
        dedup._apply_links(con, "bench", linker, current, dedup.CanonicalRule())
        if edges:
            dedup._insert_matches(con, "bench", edges)
        n_edges += len(edges)
        stages["cluster"] += time.perf_counter() - t
    con.rollback()
    out |= {f"{k}_s": round(v, 2) for k, v in stages.items()}
    out["candidate_rows"], out["edges"] = n_candidates, n_edges
    out["peak_rss_mb"] = round(rss_mb())
    con.close()
    return out


def write_explain(con: object, ids: list[int], keys: np.ndarray, stored: list, path: Path) -> None:
    """EXPLAIN ANALYZE of the candidate query and of loading the candidates' signatures (first chunk):
    one line per operator with its rows, time and (shortened) details."""
    lines = []
    for name, call in (
        ("candidates", lambda: dedup._candidates(con, ids, keys)),
        ("load", lambda: dedup._load_signatures(con, {r[3] for r in stored[: dedup.VERIFY_SIZE]})),
    ):
        profile = path.with_suffix(f".{name}.json")
        con.execute("PRAGMA enable_profiling = 'json'")  # type: ignore[attr-defined]
        con.execute(f"PRAGMA profiling_output = '{profile}'")  # type: ignore[attr-defined]
        call()
        con.execute("PRAGMA disable_profiling")  # type: ignore[attr-defined]
        tree = json.loads(profile.read_text())
        total = sum(op_time(op) for op in tree.get("operator", []))
        lines.append(f"== {name}: {total:.3f} s in operators, io {tree.get('io', {})}")
        for op in tree.get("operator", []):
            lines += operator_lines(op, 0)
    path.with_suffix(".txt").write_text("\n".join(lines) + "\n")


def operator_lines(node: dict, depth: int) -> list[str]:
    info = " ".join(f"{k}={v}" for k, v in node.get("extra_info", {}).items())
    scanned = f" scanned={node['rows_scanned']:,} rg={node.get('row_groups_scanned')}" if "rows_scanned" in node else ""
    out = [
        f"{'  ' * depth}{node.get('name', '?'):<20} rows={node.get('intermediate_rows', 0):>10,} "
        f"time={node.get('timing', 0):.3f}s{scanned}  {info[:200]}"
    ]
    for child in node.get("children", []):
        out += operator_lines(child, depth + 1)
    return out


def op_time(node: dict) -> float:
    return node.get("timing", 0) + sum(op_time(c) for c in node.get("children", []))


# --- driver -----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--dup-share", type=float, default=0.1)
    parser.add_argument("--spurious-rate", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--explain", action="store_true", help="write EXPLAIN ANALYZE profiles to --dir")
    parser.add_argument("--dir", type=Path, help="keep the DuckDB files here (default: a temp dir)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args()
    if args.measure:
        explain = args.measure if args.explain else None
        print(json.dumps(measure(args.measure, explain)))
        return
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-lsh-", dir=args.dir) as tmp:
        for stored in args.stored:
            path = Path(tmp) / f"lsh-{stored}.duckdb"
            row = {"stored": stored, "batch": args.batch}
            row |= seed(
                path,
                stored=stored,
                batch=args.batch,
                dup_share=args.dup_share,
                spurious_rate=args.spurious_rate,
                seed=args.seed,
            )
            cmd = [sys.executable, __file__, "--measure", str(path)] + (["--explain"] if args.explain else [])
            row |= json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            if args.explain and args.dir:
                path.with_suffix(".txt").rename(Path(args.dir) / f"explain-{stored}.txt")
            print(json.dumps(row), flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
