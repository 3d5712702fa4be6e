"""Large-cluster benchmark: `rebuild-clusters` over N copies of one story (issue 15: clusters must cost linear space).

Usage:
    .venv/bin/python bench/bench_clusters.py [--copies 1000 4000 10000] [--kind identical|edited|templated]

A wire story carried by every outlet, or a site serving one soft-404 page under thousands of URLs, makes one
cluster of thousands of members. For each N it writes a real DuckDB file (temp dir) holding N copies of one
~500-word story under N URLs, plus `--others` unrelated stories, all already clustered as a previous run left
them. `--kind edited`: each copy is an edited version of the story (truncated to 50-80 %, 3 % of words
swapped, or with a local paragraph), so the copies' signatures and LSH buckets differ. `--kind templated`: N
short pages from one template with three words that differ per URL (a soft-404 page echoing its path): pairs
collide in LSH (J ≈ 0.5) but none is a copy (short texts need J >= 0.85), so they must stay N clusters.
Then a fresh child process (so its peak RSS covers only this work) runs what the `rebuild-clusters` task
runs, `reset_index` + `assign_clusters` in one committed transaction with the default 2GB DuckDB memory
limit, and reports its wall and CPU time, peak RSS (VmHWM), the clusters formed and the rows stored in `dup_pairs`.
Prefect's own start (~10 s) is not in it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_lsh import article_table, edited_copy, insert, rss_mb, stories, text_of, vocabulary  # noqa: E402

from extractors.fingerprint import DedupParams  # noqa: E402
from storage import dedup  # noqa: E402
from storage.db import connect, writing  # noqa: E402

PARAMS = DedupParams()
MEMORY_LIMIT = "2GB"  # Settings.db_memory_limit's default, which the rebuild-clusters task passes


def copy_texts(rng: np.random.Generator, vocab: np.ndarray, story: list[str], n: int, kind: str) -> list[str]:
    if kind == "identical":
        return [text_of(story)] * n
    if kind == "edited":
        return [text_of(edited_copy(rng, story, vocab)) for _ in range(n)]
    template = story[:24]
    pages = []
    for _ in range(n):
        words = list(template)
        words[10:13] = vocab[rng.integers(0, len(vocab), 3)]
        pages.append(text_of(words))
    return pages


def seed(path: Path, *, copies: int, others: int, kind: str, seed: int) -> dict:
    """N copies of one story plus unrelated stories, as singletons with stale cluster ids (reset_index clears them)."""
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    story, *unrelated = stories(rng, vocab, 1 + others)
    texts = copy_texts(rng, vocab, story, copies, kind) + [text_of(words) for words in unrelated]
    order = rng.permutation(len(texts))  # copies and others interleaved in article-id order
    ids = np.arange(1, len(texts) + 1, dtype=np.int64)
    con = connect(path)
    insert(con, "articles", article_table(ids, pa.array([texts[i] for i in order], pa.string()), clustered=True))
    con.execute("CHECKPOINT")
    con.close()
    return {"copies": copies, "others": others, "kind": kind, "db_mb": round(path.stat().st_size / 2**20, 1)}


def measure(path: Path) -> dict:
    """In a fresh process: the rebuild-clusters task's work, timed, with its peak RSS."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    with writing(path, memory_limit=MEMORY_LIMIT) as con:
        dedup.reset_index(con)
        result = dedup.assign_clusters(con, "bench", PARAMS)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    peak = rss_mb()
    con = connect(path, read_only=True)
    ((clusters, largest),) = con.execute("SELECT count(*), max(size) FROM clusters").fetchall()
    ((pairs,),) = con.execute("SELECT count(*) FROM dup_pairs").fetchall()
    con.close()
    return {
        "rebuild_s": round(seconds, 2),
        "cpu_s": round(cpu, 2),  # all threads (DuckDB's too); on a shared machine steadier than wall time
        "peak_rss_mb": round(peak),
        "matches": result.matches,
        "clusters": clusters,
        "largest_cluster": largest,
        "dup_pairs_rows": pairs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[1_000, 4_000, 10_000])
    parser.add_argument("--others", type=int, default=200, help="unrelated stories beside the copies")
    parser.add_argument("--kind", choices=("identical", "edited", "templated"), default="identical")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a rebuild is given up")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-clusters-") as tmp:
        for copies in args.copies:
            path = Path(tmp) / f"copies-{copies}.duckdb"
            row = seed(path, copies=copies, others=args.others, kind=args.kind, seed=args.seed)
            cmd = [sys.executable, __file__, "--measure", str(path)]
            try:
                done = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=args.timeout)
                row |= json.loads(done.stdout)
            except subprocess.TimeoutExpired:
                row |= {"rebuild_s": f"> {args.timeout:g} (stopped)"}
            print(json.dumps(row), flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
