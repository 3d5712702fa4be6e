"""Which matching pairs a change of the numbers rule's MIN_NUMBERS would split (extractors/fingerprint.py).

    .venv/bin/python bench/numbers_rule.py NEWS.duckdb [TEXTS.jsonl ...] [--was 3 --now 2]

For every pair of articles that passes the shingle rules (all pairs: estimated Jaccard >= 0.05 first, then the
exact containment), the numbers rule is decided with MIN_NUMBERS = --was and = --now; the pairs whose decision
differs are printed with their figures and numbers. Sources: copydesk databases (their `articles`) or JSON lines
of {"url", "text"}. All pairs, so a few thousand articles at most.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractors import fingerprint  # noqa: E402


def texts(source: str) -> list[tuple[str, str]]:
    if source.endswith(".duckdb"):
        with duckdb.connect(source, read_only=True) as con:
            return [(url, text) for url, text in con.execute("SELECT url, text FROM articles").fetchall()]
    with open(source, encoding="utf-8") as lines:
        return [(r["url"], r["text"]) for r in map(json.loads, lines)]


def agree(a: frozenset[str], b: frozenset[str], min_numbers: int) -> bool:
    was, fingerprint.MIN_NUMBERS = fingerprint.MIN_NUMBERS, min_numbers
    try:
        return fingerprint.numbers_agree(a, b)
    finally:
        fingerprint.MIN_NUMBERS = was


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+")
    parser.add_argument("--was", type=int, default=3)
    parser.add_argument("--now", type=int, default=2)
    args = parser.parse_args()
    params = fingerprint.DedupParams()
    for source in args.sources:
        rows = texts(source)
        shingled = [fingerprint.shingles(text, params) for _, text in rows]
        sigs = fingerprint.signatures([hashes for _, hashes in shingled], num_perm=params.num_perm)
        passing, changed = 0, []
        for i, (scheme, a) in enumerate(shingled):
            near = np.nonzero((sigs[i + 1 :] == sigs[i]).mean(axis=1) >= 0.05)[0] + i + 1
            for j in near:
                scheme_b, b = shingled[j]
                if scheme_b != scheme or not len(a) or not len(b):
                    continue
                jaccard = fingerprint.estimate_jaccard(sigs[i], sigs[j])
                contained = len(np.intersect1d(a, b, assume_unique=True)) / min(len(a), len(b))
                if not params.is_duplicate(
                    jaccard=jaccard, containment=contained, sizes=(len(a), len(b)), scheme=scheme
                ):
                    continue
                passing += 1
                na, nb = fingerprint.numbers_of(rows[i][1]), fingerprint.numbers_of(rows[j][1])
                if agree(na, nb, args.was) != agree(na, nb, args.now):
                    changed.append(
                        (rows[i][0], rows[j][0], round(jaccard, 3), round(contained, 3), sorted(na), sorted(nb))
                    )
        print(
            f"{source}: {len(rows):,} articles, {passing:,} pairs pass the shingle rules,"
            f" {len(changed)} decided otherwise"
        )
        for pair in changed:
            print("  ", *pair)


if __name__ == "__main__":
    main()
