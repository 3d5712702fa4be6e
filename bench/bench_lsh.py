"""LSH index benchmark: batches of new articles matched against 100k / 1M / 10M stored articles.

Usage:
    .venv/bin/python bench/bench_lsh.py [--stored 100000 1000000 10000000] [--batch 1000 10000]
        [--cache DIR] [--index-size] [--cache-state {cold,warm,both}]

Stores are built once per machine (in `--cache`, default `$TMPDIR/copydesk-bench-lsh`, outside the repo) and
reused: a DuckDB file with the copydesk schema, seeded in bulk through Arrow, and its run files, laid out as
copydesk leaves them after its flushes: `articles` (short filler texts), `signatures` (random filler
signatures), band keys written in sorted run files of 1M articles then merged by copydesk's own policy
(storage/dedup._merge_runs, streamed), and the newest 50,000 articles' keys still in `lsh_bands`. 2,000 stored
"originals" are real signatures of synthetic stories; 10 % of each batch are edited copies of them (truncated,
word-swapped or with a local paragraph), a further 5 % copies of other batch articles. Unrelated stories also
collide in LSH: `--spurious-rate` per stored article and new article plants a filler row sharing one band with
the new article. 5e-5 is what the newsroom worlds (seeds 2, 5, 9) gave for different-story pairs at 51 bands x 2
rows (6 of 123k pairs): ~500 per new article against 10M stored.

Each measurement runs in a fresh child process (so its peak RSS covers only the dedup work): it opens the file
with storage.db.connect and, inside a transaction that is rolled back, inserts the batch as pending articles
and times `assign_clusters` (the real code path), then the candidate lookup alone (run files and `lsh_bands`),
counting band hits before and after the sketch check.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractors.fingerprint import DedupParams, band_hashes, shingle_hashes, signatures  # noqa: E402
from storage import _bandruns, dedup  # noqa: E402
from storage.db import connect, writing  # noqa: E402

PARAMS = DedupParams()
SEED_CHUNK = 500_000
WORDS_PER_STORY = 500  # ~470 shingles: the median of the newsroom worlds' article bodies
N_ORIGINALS = 2_000
MAX_BATCH = 10_000
RECENT = 50_000  # newest articles whose keys are not flushed yet
RUN_ARTICLES = 1_000_000  # articles per run file as written by the builder, before copydesk merges them
# Bump when the store layout or how its signatures are made changes, so cached stores are rebuilt (2: shingle
# rules words2, 2026-12-05; 3: words3, 2026-12-06; a cached store of an older version would be matched under its
# older rules).
STORE_VERSION = 3


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
    urls = pa.array(np.char.add("https://s.example/", ids.astype(str)))
    return pa.table(
        {
            "article_id": pa.array(ids),
            "url": urls,
            "source": pa.array(np.char.add("site", (ids % 50).astype(str))),
            "text": texts,
            "fetched_at": now,
            "content_hash": urls,
            "cluster_id": pa.array(ids if clustered else np.full(n, None), pa.int64()),
            "is_canonical": pa.array(np.full(n, True) if clustered else np.full(n, None), pa.bool_()),
            "first_run_id": pa.array(np.full(n, "seed")),
            "last_run_id": pa.array(np.full(n, "seed")),
        }
    )


def batch_texts(seed: int) -> tuple[list[list[str]], list[str], np.ndarray]:
    """The originals' words, the MAX_BATCH new texts (copies first-come in a shuffled order), and which original
    each planted copy is of (-1: none)."""
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    originals = stories(rng, vocab, N_ORIGINALS)
    n_copies, n_inner = MAX_BATCH // 10, MAX_BATCH // 20
    pick = rng.choice(N_ORIGINALS, n_copies, replace=False)
    words = [edited_copy(rng, originals[i], vocab) for i in pick]
    words += stories(rng, vocab, MAX_BATCH - n_copies - n_inner)
    words += [edited_copy(rng, words[i], vocab) for i in rng.choice(len(words), n_inner, replace=False)]
    order = rng.permutation(MAX_BATCH)
    return originals, [text_of(words[i]) for i in order], order


def store_path(cache: Path, stored: int, spurious_rate: float, seed: int) -> Path:
    return cache / f"store-v{STORE_VERSION}-{stored}-{spurious_rate:g}-{seed}.duckdb"


def build_store(path: Path, *, stored: int, spurious_rate: float, seed: int) -> dict[str, float]:
    """Write the store (once); returns what it cost."""
    rng = np.random.default_rng(seed + 1)
    originals, new_texts, _ = batch_texts(seed)
    new_sigs = signatures([shingle_hashes(t, size=PARAMS.shingle_size) for t in new_texts], num_perm=PARAMS.num_perm)
    orig_hashes = [shingle_hashes(text_of(w), size=PARAMS.shingle_size) for w in originals]
    orig_sigs = signatures(orig_hashes, num_perm=PARAMS.num_perm)
    orig_ids = np.sort(rng.choice(np.arange(1, stored + 1), N_ORIGINALS, replace=False))
    orig_of = np.full(stored + 1, -1, dtype=np.int64)
    orig_of[orig_ids] = np.arange(N_ORIGINALS)

    # Spurious collisions: each new article shares one band with Poisson(rate * stored) filler rows.
    per_new = rng.poisson(spurious_rate * stored, MAX_BATCH)
    spur_rows = rng.integers(1, stored + 1, int(per_new.sum()))
    spur_src = np.repeat(np.arange(MAX_BATCH), per_new)
    spur_band = rng.integers(0, PARAMS.bands, len(spur_rows))
    order = np.argsort(spur_rows, kind="stable")
    spur_rows, spur_src, spur_band = spur_rows[order], spur_src[order], spur_band[order]

    tmp = path.with_suffix(".building")
    for leftover in (tmp, Path(f"{tmp}.wal")):
        leftover.unlink(missing_ok=True)
    con = connect(tmp)
    t0 = time.perf_counter()
    key = dedup.params_key(PARAMS)
    directory = Path(f"{tmp}.lsh")
    shutil.rmtree(directory, ignore_errors=True)  # a build that was stopped
    directory.mkdir()  # a store of RECENT articles or fewer has every key in lsh_bands and no run
    run_start, run_ids, run_sigs, run_sizes, runs = 1, [], [], [], []
    flushed_until = stored - RECENT
    for lo in range(1, stored + 1, SEED_CHUNK):
        ids = np.arange(lo, min(lo + SEED_CHUNK, stored + 1), dtype=np.int64)
        sigs = rng.integers(0, 2**32, (len(ids), PARAMS.num_perm), dtype=np.uint32)
        sizes = rng.integers(200, 800, len(ids))
        a, b = np.searchsorted(spur_rows, [lo, lo + len(ids)])
        for r, src, band in zip(spur_rows[a:b], spur_src[a:b], spur_band[a:b], strict=True):
            cols = slice(band * PARAMS.rows, (band + 1) * PARAMS.rows)
            sigs[r - lo, cols] = new_sigs[src, cols]
        texts = pa.array(np.char.add("filler story number ", ids.astype(str)))
        own = np.flatnonzero(orig_of[ids] >= 0)
        if len(own):
            texts = texts.to_pylist()
            for row in own.tolist():
                p = int(orig_of[ids[row]])
                sigs[row], sizes[row] = orig_sigs[p], len(orig_hashes[p])
                texts[row] = text_of(originals[p])
            texts = pa.array(texts, pa.string())
        insert(con, "articles", article_table(ids, texts, clustered=True))
        n = len(ids)
        insert(
            con,
            "signatures",
            pa.table(
                {
                    "article_id": pa.array(ids),
                    "params": pa.array(np.full(n, key)),
                    "scheme": pa.array(np.full(n, "word")),
                    "minhash": binary_rows(sigs),
                    "shingle_count": pa.array(sizes.astype(np.int32)),
                }
            ),
        )
        flushed = ids <= flushed_until
        if (~flushed).any():
            keys = band_hashes(sigs[~flushed], bands=PARAMS.bands, rows=PARAMS.rows)
            insert(
                con,
                "lsh_bands",
                pa.table(
                    {
                        "band": pa.array(np.tile(np.arange(PARAMS.bands, dtype=np.int16), len(keys))),
                        "bucket": pa.array(keys.ravel()),
                        "article_id": pa.array(np.repeat(ids[~flushed], PARAMS.bands)),
                    }
                ),
            )
        run_ids.append(ids[flushed])
        run_sigs.append(sigs[flushed])
        run_sizes.append(sizes[flushed])
        held = sum(len(x) for x in run_ids)
        if held and (held >= RUN_ARTICLES or ids[-1] >= flushed_until):
            runs.append(write_run(directory, len(runs) + 1, run_ids, run_sigs, run_sizes))
            run_ids, run_sigs, run_sizes = [], [], []
            run_start = ids[-1] + 1
    for name, articles, entries in runs:
        con.execute("INSERT INTO lsh_runs VALUES (?, ?, ?, now())", [name, articles, entries])
    con.execute("CHECKPOINT")
    con.close()
    del run_start
    os.rename(directory, f"{path}.lsh")
    os.rename(tmp, path)
    return {"build_s": round(time.perf_counter() - t0, 1), "planted_spurious": int(per_new.sum())}


def settle(path: Path, *, merge: bool = True) -> None:
    """Merge the store's runs into one, streamed (a no-op once done), then drop the merged-away files. Runs of
    a store cached before run files had heads are rewritten first (dedup.upgrade_runs), merged or not.

    One run is where copydesk's policy (storage/dedup._merge_runs) puts a store right after a merge reached
    its oldest run; between such merges it holds O(log N) runs. `--runs-as-built` measures the 10 runs of the
    builder instead, the worst case of 10M.
    """
    with writing(path) as con:
        dedup.upgrade_runs(con)  # a store cached before run files had heads
        directory = dedup.index_directory(con)
        runs = con.execute("SELECT name, articles, entries FROM lsh_runs ORDER BY name").fetchall()
        if directory is not None and len(runs) >= 2 and merge:
            dedup.replace_runs(con, directory, runs)
    with writing(path, checkpoint=True) as con:  # the cached store is then the file alone, without a WAL
        dedup.remove_orphan_runs(con)  # the merged-away (or rewritten) files


def write_run(
    directory: Path, number: int, ids: list[np.ndarray], sigs: list[np.ndarray], sizes: list[np.ndarray]
) -> tuple[str, int, int]:
    all_ids, all_sigs, all_sizes = np.concatenate(ids), np.concatenate(sigs), np.concatenate(sizes)
    keys = band_hashes(all_sigs, bands=PARAMS.bands, rows=PARAMS.rows)
    name = f"run-{number:06d}"
    _bandruns.write_run(
        directory,
        name,
        all_ids,
        all_sigs,
        all_sizes,
        bucket=keys.ravel(),
        member=np.repeat(np.arange(len(all_ids)), PARAMS.bands),
    )
    return name, len(all_ids), keys.size


# --- measuring (child process) ----------------------------------------------------------------------------

# Page-cache states a batch is measured in. Some hosts evict file pages nobody touched for a while: the VM these
# figures come from runs DAMON's `pageout` scheme on every page not accessed for 60 s (kdamond, 12 x 5 s
# aggregation intervals, 128 MB/s), so an hourly desk always meets a cold store there, and only a measurement
# taken within a minute of another sees a warm one. Each row says which it measured.
STATES = ("cold", "warm")


def evict(path: Path) -> int:
    """Drop the store's files (DuckDB file, WAL, run files) from the page cache; returns their bytes."""
    files = [path, Path(f"{path}.wal"), *Path(f"{path}.lsh").rglob("*.npy")]
    total = 0
    for file in files:
        if not file.exists():
            continue
        fd = os.open(file, os.O_RDONLY)
        try:
            os.fsync(fd)  # dirty pages are not dropped
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            total += os.fstat(fd).st_size
        finally:
            os.close(fd)
    return total


def rss_mb() -> float:
    """Peak RSS of this process so far. VmHWM, not ru_maxrss: Linux keeps ru_maxrss across fork + exec, so
    a child would report the seeding parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status; this benchmark needs Linux")


def batch_file(cache: Path, seed: int) -> Path:
    """The MAX_BATCH new texts, written once, so the measuring child does not hold the generator's memory."""
    path = cache / f"batch-v{STORE_VERSION}-{seed}.json"
    if not path.exists():
        path.write_text(json.dumps(batch_texts(seed)[1]))
    return path


def measure(path: Path, texts_path: Path, batch: int, stored: int) -> dict[str, float | int]:
    texts = json.loads(texts_path.read_text())[:batch]
    con = connect(path, memory_limit="1GB")
    out: dict[str, float | int] = {"rss_after_connect_mb": round(rss_mb())}
    con.begin()
    ids = np.arange(stored + 1, stored + batch + 1, dtype=np.int64)
    insert(con, "articles", article_table(ids, pa.array(texts, pa.string()), clustered=False))
    t0, cpu0 = time.perf_counter(), time.process_time()
    result = dedup.assign_clusters(con, "bench", PARAMS)
    out["assign_clusters_s"] = round(time.perf_counter() - t0, 2)
    # CPU seconds (user + system, page faults included) move less than wall time on a shared machine.
    out["assign_clusters_cpu_s"] = round(time.process_time() - cpu0, 2)
    out["matches"] = result.matches
    out["peak_rss_mb"] = round(rss_mb())
    con.rollback()
    # The lookup alone, for the whole batch at once: band hits before and after the sketch check.
    hashes = [shingle_hashes(t, size=PARAMS.shingle_size) for t in texts]
    sigs = signatures(hashes, num_perm=PARAMS.num_perm, seed=PARAMS.seed)
    keys = band_hashes(sigs, bands=PARAMS.bands, rows=PARAMS.rows)
    unique, first, inverse = np.unique(keys.ravel(), return_index=True, return_inverse=True)
    key_of, sketch, key_bands = inverse.reshape(keys.shape), _bandruns.sketches(sigs), first % PARAMS.bands
    sizes = np.array([len(h) for h in hashes])
    by_heads = dedup.head_check(key_of, sketch, sizes, PARAMS)
    t0 = time.perf_counter()
    runs = dedup._run_hits(con, unique, key_bands, PARAMS.num_perm, by_heads)
    out["run_lookup_s"] = round(time.perf_counter() - t0, 3)  # the heads' check included
    t0 = time.perf_counter()
    recent = dedup._recent_hits(con, unique)
    out["table_lookup_s"] = round(time.perf_counter() - t0, 3)
    hits = _bandruns.RunHits.concat([runs, recent], PARAMS.num_perm)
    t0 = time.perf_counter()
    keep = dedup._may_match(hits.key_index, hits.sketch, hits.size, key_of, sketch, sizes, PARAMS)
    out["sketch_check_s"] = round(time.perf_counter() - t0, 3)
    every_hit = len(dedup._run_hits(con, unique, key_bands, PARAMS.num_perm).article_id) + len(recent.article_id)
    out["band_hits"], out["after_heads"], out["after_sketch"] = every_hit, len(keep), int(keep.sum())
    ((n_runs,),) = con.execute("SELECT count(*) FROM lsh_runs").fetchall()
    out["runs"] = n_runs
    con.close()
    return out


# Articles of a store that index_size rebuilds in the previous layout (bytes per article do not depend on it).
PREVIOUS_SAMPLE = 1_000_000


def index_size(cache: Path, stored: int, spurious_rate: float, seed: int) -> dict[str, float]:
    """Bytes per article of the index, new layout (signatures without shingles + run files) against the
    previous one (signatures with shingle hashes + every band key in `lsh_bands`), on a copy of the store's
    signatures. The previous layout is built in memory, ~3 kB an article: from the first PREVIOUS_SAMPLE
    articles at most (a 10M store took 24 GB and was killed)."""
    import duckdb

    src = store_path(cache, stored, spurious_rate, seed)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        for layout in ("previous", "new"):
            target = Path(tmp) / f"{layout}.duckdb"
            con = duckdb.connect(str(target))
            con.execute(f"ATTACH '{src}' AS store (READ_ONLY)")
            if layout == "new":
                con.execute("CREATE TABLE signatures AS SELECT * EXCLUDE (shingles) FROM store.signatures")
            else:
                # Shingle hashes as copydesk stored them: shingle_count random (incompressible) uint32 values.
                counts = con.execute(
                    "SELECT article_id, shingle_count FROM store.signatures ORDER BY article_id LIMIT ?",
                    [PREVIOUS_SAMPLE],
                ).fetchnumpy()
                n_values = np.asarray(counts["shingle_count"], np.int64)
                data = np.random.default_rng(0).integers(0, 2**32, int(n_values.sum()), dtype=np.uint32)
                offsets = np.concatenate([[0], np.cumsum(n_values) * 4]).astype(np.int64)
                blobs = pa.LargeBinaryArray.from_buffers(
                    pa.large_binary(),
                    len(n_values),
                    [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data.tobytes())],
                )
                con.register("old_shingles", pa.table({"article_id": counts["article_id"], "shingles": blobs}))
                con.execute(
                    "CREATE TABLE signatures AS SELECT s.* EXCLUDE (shingles, shingle_count), "
                    "o.shingles::BLOB AS shingles FROM store.signatures s JOIN old_shingles o USING (article_id)"
                )
                con.execute("CREATE TABLE lsh_bands (band SMALLINT, bucket BIGINT, article_id BIGINT)")
                sigs = con.execute("SELECT article_id, minhash FROM signatures ORDER BY article_id").fetchall()
                ids = np.array([r[0] for r in sigs], np.int64)
                keys = band_hashes(
                    np.stack([np.frombuffer(r[1], "<u4") for r in sigs]), bands=PARAMS.bands, rows=PARAMS.rows
                )
                insert(
                    con,
                    "lsh_bands",
                    pa.table(
                        {
                            "band": pa.array(np.tile(np.arange(PARAMS.bands, dtype=np.int16), len(ids))),
                            "bucket": pa.array(keys.ravel()),
                            "article_id": pa.array(np.repeat(ids, PARAMS.bands)),
                        }
                    ),
                )
            con.execute("DETACH store")
            con.execute("CHECKPOINT")
            con.close()
            size = target.stat().st_size
            if layout == "new":
                size += sum(p.stat().st_size for p in Path(f"{src}.lsh").rglob("*.npy"))
            articles = stored if layout == "new" else min(stored, PREVIOUS_SAMPLE)
            out[f"{layout}_bytes_per_article"] = round(size / articles)
    return out


# --- driver -----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--batch", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--spurious-rate", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "copydesk-bench-lsh")
    parser.add_argument("--index-size", action="store_true", help="bytes per article, new vs previous layout")
    parser.add_argument("--runs-as-built", action="store_true", help="measure without merging the builder's runs")
    parser.add_argument(
        "--cache-state",
        choices=(*STATES, "both"),
        default="both",
        help="cold: the store's files evicted from the page cache first; warm: the second of two measurements "
        "in a row; both (default): cold, then warm",
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child process mode
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.texts, args.batch[0], args.stored[0])))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    for stored in args.stored:
        path = store_path(args.cache, stored, args.spurious_rate, args.seed)
        built: dict[str, float] = {}
        if not path.exists():
            built = build_store(path, stored=stored, spurious_rate=args.spurious_rate, seed=args.seed)
        t0 = time.perf_counter()
        settle(path, merge=not args.runs_as_built)
        built["settle_s"] = round(time.perf_counter() - t0, 1)
        files = path.stat().st_size + sum(p.stat().st_size for p in Path(f"{path}.lsh").rglob("*.npy"))
        if args.index_size:
            print(json.dumps({"stored": stored, **index_size(args.cache, stored, args.spurious_rate, args.seed)}))
        for batch in args.batch:
            cmd = [sys.executable, __file__, "--measure", str(path), "--stored", str(stored), "--batch", str(batch)]
            cmd += ["--texts", str(batch_file(args.cache, args.seed))]
            states = STATES if args.cache_state == "both" else (args.cache_state,)
            for state in states:
                row: dict[str, object] = {"stored": stored, "batch": batch, "files_mb": round(files / 2**20), **built}
                row["cache_state"] = state
                if state == "cold":
                    row["evicted_mb"] = round(evict(path) / 2**20)
                elif "cold" not in states:  # warm: the second of two measurements in a row
                    subprocess.run(cmd, check=True, capture_output=True)
                row |= json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
