"""Whether two ingest databases hold the same result: every article's text and metadata, its dedup cluster (as a
partition of URLs, whatever the cluster ids), its canonical flag, and the stored signatures.

Used to check that a speed change to ingest-warc (bench/README-warc.md) leaves its output alone:
`python bench/compare_ingests.py before.duckdb after.duckdb` prints the differences and exits 1 if there are any.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

ARTICLE_COLUMNS = (
    "url, source, text, content_hash, title, authors, published_at, language, extractor, captions, related_links"
)


def snapshot(db: Path) -> dict[str, object]:
    with duckdb.connect(str(db), read_only=True) as con:
        articles = con.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY url").fetchall()
        members = con.execute("SELECT cluster_id, url, is_canonical FROM articles ORDER BY url").fetchall()
        signatures = con.execute(
            "SELECT a.url, s.* EXCLUDE (article_id) FROM signatures s JOIN articles a USING (article_id) ORDER BY a.url"
        ).fetchall()
    clusters: dict[object, set[str]] = {}
    for cluster_id, url, _ in members:
        clusters.setdefault(cluster_id, set()).add(url)
    return {
        "articles": articles,
        "partition": sorted(sorted(urls) for urls in clusters.values()),
        "canonical": sorted(url for _, url, canonical in members if canonical),
        "signatures": signatures,
    }


def main() -> None:
    before, after = (snapshot(Path(p)) for p in sys.argv[1:3])
    different = [name for name in before if before[name] != after[name]]
    clusters = len(before["partition"])  # type: ignore[arg-type]
    print(f"{len(before['articles'])} articles, {clusters} clusters; different: {different or 'nothing'}")  # type: ignore[arg-type]
    sys.exit(1 if different else 0)


if __name__ == "__main__":
    main()
