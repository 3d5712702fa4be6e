"""DuckDB load benchmark: article rows/s through storage.load (Arrow, one transaction per batch) vs executemany."""

from __future__ import annotations

import hashlib
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flows.config import Settings
from storage.db import writing
from storage.load import load_articles
from storage.rows import ArticleRow

BATCH = Settings().batch_size  # as the flow writes them


def article_rows(n: int, *, seed: int = 0) -> list[ArticleRow]:
    """Articles of ~600 words with a title, authors and a caption, like a stored news page."""
    rng, words = random.Random(seed), [f"w{i}" for i in range(5_000)]
    now = datetime(2026, 11, 25, tzinfo=UTC)
    rows = []
    for i in range(n):
        text = " ".join(rng.choices(words, k=600))
        rows.append(
            ArticleRow(
                url=f"https://news.example/{i}",
                source="bench",
                text=text,
                content_hash=hashlib.sha1(text.encode()).hexdigest(),
                fetched_at=now,
                title=f"Story {i}",
                authors=("Jo Roe",),
                published_at=now - timedelta(hours=i),
                captions=(("A caption", "AFP"),),
            )  # type: ignore[arg-type]
        )
    return rows


def _executemany(path: Path, rows: list[ArticleRow]) -> None:
    with writing(path) as con:
        con.executemany(
            "INSERT INTO articles (article_id, url, source, text, content_hash, fetched_at, title, first_run_id, "
            "last_run_id) VALUES (nextval('article_ids'), ?, ?, ?, ?, ?, ?, 'r', 'r')",
            [(r.url, r.source, r.text, r.content_hash, r.fetched_at, r.title) for r in rows],
        )


def bench_load(*, rows: int = 20_000) -> dict[str, Any]:
    data = article_rows(rows)
    results: dict[str, Any] = {"rows": rows, "batch": BATCH}
    with tempfile.TemporaryDirectory(prefix="copydesk-bench-load-") as tmp:
        db = Path(tmp) / "batches.duckdb"
        start = time.perf_counter()
        for i in range(0, rows, BATCH):
            with writing(db) as con:
                load_articles(con, "r", data[i : i + BATCH])
        results["load_articles_batches_rows_per_s"] = rows / (time.perf_counter() - start)

        db = Path(tmp) / "one.duckdb"
        start = time.perf_counter()
        with writing(db) as con:
            load_articles(con, "r", data)
        results["load_articles_one_txn_rows_per_s"] = rows / (time.perf_counter() - start)

        sample = data[:2_000]
        start = time.perf_counter()
        _executemany(Path(tmp) / "many.duckdb", sample)
        results["executemany_one_txn_rows_per_s"] = len(sample) / (time.perf_counter() - start)
    return results
