"""MinHash benchmark: signatures/s of extractors.fingerprint vs datasketch (and rensa, when importable).

Usage:
    .venv/bin/python bench/bench_minhash.py [--docs 20000] [--slow-sample 100] [--sample 1000]

Every method starts from the same raw text and ends with a 128-value signature per document, so the
shared work (normalize_text, splitting into words) is inside every figure. datasketch needs shingle strings;
ours hashes words once and folds them into shingle hashes with numpy. The slow methods run on the first
--slow-sample / --sample documents and are extrapolated (docs/s is per document).
Checks that our signatures equal datasketch's (hashfunc=shingle_hash) on a sample before printing figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import xxhash
from datasketch import MinHash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractors.fingerprint import (  # noqa: E402
    DedupParams,
    normalize_text,
    shingle_hash,
    shingle_hashes,
    shingles,
    signatures,
)

NUM_PERM, SEED, SIZE = 128, 1, 5
BATCH = 2_000  # storage/dedup.py signs pending articles this many at a time


def synthetic_docs(n: int, *, words_per_doc: int = 720, seed: int = 0) -> list[str]:
    """News-like text: Zipf-distributed vocabulary, capitalized sentences, typographic quotes, a dateline."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlcumwfgypbvkjxqz"))
    vocab = np.array(["".join(rng.choice(letters, rng.integers(2, 10))) for _ in range(30_000)])
    ranks = np.minimum(rng.zipf(1.1, size=(n, words_per_doc)) - 1, len(vocab) - 1)
    docs = []
    for row in vocab[ranks]:
        sentences = [" ".join(row[i : i + 18]).capitalize() + "." for i in range(0, len(row), 18)]
        sentences[1] = f"“{sentences[1]}” he said —"
        docs.append("LONDON (Reuters) - " + "  ".join(sentences))
    return docs


def chinese_docs(n: int, *, chars_per_doc: int = 900, seed: int = 0) -> list[str]:
    """Chinese-like text: Zipf-distributed characters from the common Han block, full-width punctuation."""
    rng = np.random.default_rng(seed)
    han = np.array([chr(c) for c in range(0x4E00, 0x4E00 + 3_000)])
    ranks = np.minimum(rng.zipf(1.2, size=(n, chars_per_doc)) - 1, len(han) - 1)
    return ["，".join("".join(row[i : i + 30]) for i in range(0, len(row), 30)) + "。" for row in han[ranks]]


def dedup_path(docs: Sequence[str]) -> object:
    """What storage/dedup.py runs per chunk: the scheme per article, its shingles, the signatures."""
    params = DedupParams()
    return [
        signatures([shingles(t, params)[1] for t in docs[i : i + BATCH]], num_perm=NUM_PERM, seed=SEED)
        for i in range(0, len(docs), BATCH)
    ]


def words_of(text: str) -> list[str]:
    """The words shingle_hashes makes shingles of: tokens of the normalized text that hold a letter or digit."""
    return [token for token in normalize_text(text).split(" ") if any(c.isalnum() for c in token)]


def shingle_bytes(text: str) -> list[bytes]:
    words = words_of(text)
    return [" ".join(words[i : i + SIZE]).encode() for i in range(max(1, len(words) - SIZE + 1))]


def per_shingle(hashfunc: Callable[[bytes], int] | None) -> Callable[[Sequence[str]], object]:
    def run(docs: Sequence[str]) -> object:
        out = []
        for text in docs:
            minhash = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=hashfunc)
            for shingle in shingle_bytes(text):
                minhash.update(shingle)
            out.append(minhash.hashvalues)
        return out

    return run


def update_batch(hashfunc: Callable[[bytes], int] | None) -> Callable[[Sequence[str]], object]:
    def run(docs: Sequence[str]) -> object:
        out = []
        for text in docs:
            minhash = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=hashfunc)
            minhash.update_batch(shingle_bytes(text))
            out.append(minhash.hashvalues)
        return out

    return run


def bulk(hashfunc: Callable[[bytes], int] | None) -> Callable[[Sequence[str]], object]:
    def run(docs: Sequence[str]) -> object:
        kwargs = {"num_perm": NUM_PERM, "seed": SEED} | ({"hashfunc": hashfunc} if hashfunc else {})
        return MinHash.bulk((shingle_bytes(t) for t in docs), **kwargs)

    return run


def rensa_run(docs: Sequence[str]) -> object:
    from rensa import RMinHash

    sets = [[" ".join(w[i : i + SIZE]) for i in range(max(1, len(w) - SIZE + 1))] for w in _words(docs)]
    return RMinHash.digests_from_token_sets(sets, NUM_PERM, SEED)


def _words(docs: Sequence[str]) -> list[list[str]]:
    return [words_of(t) for t in docs]


def ours(docs: Sequence[str]) -> object:
    return [
        signatures([shingle_hashes(t, size=SIZE) for t in docs[i : i + BATCH]], num_perm=NUM_PERM, seed=SEED)
        for i in range(0, len(docs), BATCH)
    ]


def rate(run: Callable[[Sequence[str]], object], docs: Sequence[str]) -> float:
    start = time.perf_counter()
    run(docs)
    return len(docs) / (time.perf_counter() - start)


def check_identical(docs: Sequence[str]) -> None:
    sigs = signatures([shingle_hashes(t, size=SIZE) for t in docs], num_perm=NUM_PERM, seed=SEED)
    for text, row in zip(docs, sigs, strict=True):
        reference = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=shingle_hash)
        reference.update_batch(shingle_bytes(text))
        assert np.array_equal(row, reference.hashvalues), f"signature differs from datasketch for {text[:60]!r}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--slow-sample", type=int, default=100, help="docs for the per-shingle update rows")
    parser.add_argument("--sample", type=int, default=1_000, help="docs for update_batch, bulk and rensa")
    args = parser.parse_args()

    docs = synthetic_docs(args.docs)
    shingles = np.mean([len(shingle_hashes(t, size=SIZE)) for t in docs[:200]])
    check_identical(docs[:50])
    print(f"{args.docs:,} docs, ~{shingles:.0f} unique {SIZE}-word shingles each, num_perm={NUM_PERM}")
    print("signatures identical to datasketch (hashfunc=shingle_hash) on 50 docs\n")

    slow, sample = docs[: args.slow_sample], docs[: args.sample]
    rows: list[tuple[str, int, float]] = [
        (
            "datasketch `MinHash.update` per shingle (default sha1_hash32)",
            len(slow),
            rate(per_shingle(None), slow),
        ),
        (
            "datasketch `MinHash.update` per shingle (xxh32)",
            len(slow),
            rate(per_shingle(xxhash.xxh32_intdigest), slow),
        ),
        ("datasketch `update_batch` (sha1_hash32)", len(sample), rate(update_batch(None), sample)),
        (
            "datasketch `update_batch` (xxh32)",
            len(sample),
            rate(update_batch(xxhash.xxh32_intdigest), sample),
        ),
        ("datasketch `MinHash.bulk` (sha1_hash32)", len(sample), rate(bulk(None), sample)),
        ("datasketch `MinHash.bulk` (xxh32)", len(sample), rate(bulk(xxhash.xxh32_intdigest), sample)),
    ]
    try:
        rows.append(("rensa `RMinHash` (own format, not comparable)", len(sample), rate(rensa_run, sample)))
    except ImportError:
        print("rensa not importable: skipped")
    rows.append(("normalize_text + words only (shared floor)", len(docs), rate(_words, docs)))
    hashes = [shingle_hashes(t, size=SIZE) for t in sample]
    start = time.perf_counter()
    signatures(hashes, num_perm=NUM_PERM, seed=SEED)
    rows.append(
        (
            "ours: `signatures()` alone, from shingle hashes",
            len(sample),
            len(sample) / (time.perf_counter() - start),
        )
    )
    rows.append(("**ours: `shingle_hashes` + `signatures`**", len(docs), rate(ours, docs)))
    rows.append(
        ("ours: dedup path (`shingles`: scheme + word shingles) + `signatures`", len(docs), rate(dedup_path, docs))
    )
    chinese = chinese_docs(len(docs) // 4)
    rows.append(
        ("ours: dedup path on ~900-character Chinese docs (character 4-grams)", len(chinese), rate(dedup_path, chinese))
    )

    base = rows[0][2]
    print("| method | docs timed | docs/s | vs per-shingle update |")
    print("|---|---:|---:|---:|")
    for name, n, docs_per_s in rows:
        print(f"| {name} | {n:,} | {docs_per_s:,.0f} | {docs_per_s / base:.1f}x |")
    speedup = next(r for r in rows if r[0].startswith("**ours"))[2] / base
    print(f"\nours / datasketch per-shingle update = {speedup:.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()
