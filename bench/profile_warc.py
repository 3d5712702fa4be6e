"""Where `copydesk ingest-warc` spends its CPU, stage by stage, on the benchmark's WARC files, in one process.

Each stage runs as ingest-warc runs it (the same functions, batch sizes and chunks), timed with
time.process_time(): reading and gunzipping records (storage.archive.read_records, through
flows.warc_input.read_batches), pickling a chunk of pages to a worker and its rows back, decoding HTML, our
extraction (extractors.article.extract_article) next to trafilatura alone (`fast=True`,
`include_comments=False`) on the same decoded pages, the rest of a page's rows (flows.steps.rows_for_page minus
the two above), loading the rows into a fresh DuckDB file (load_rows, a transaction per batch), and
the dedup step (storage.dedup.assign_clusters: MinHash signing apart from LSH lookup and clustering).
Prefect's share is not here: compare with the flow process's CPU in bench_warc.py's run.

Run: `python bench/bench_warc.py --keep-archive /tmp/warc` once, then `python bench/profile_warc.py /tmp/warc`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pickle
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trafilatura  # noqa: E402

from extractors.article import ExtractionError, extract_article  # noqa: E402
from extractors.charset import decode_html  # noqa: E402
from flows.config import Settings  # noqa: E402
from flows.extraction import extract_batch  # noqa: E402
from flows.ingest import canonical_rule, dedup_params  # noqa: E402
from flows.steps import BatchRows  # noqa: E402
from flows.warc_ingest import EXTRACT_CHUNK, load_rows  # noqa: E402  (as ingest-warc has them, wherever they live)
from flows.warc_input import by_source, read_batches, source_namer  # noqa: E402
from storage.archive import read_records  # noqa: E402
from storage.db import writing  # noqa: E402
from storage.dedup import assign_clusters  # noqa: E402
from storage.load import start_run  # noqa: E402


def clock() -> float:
    return time.process_time()


def profile(folder: Path) -> dict[str, Any]:
    settings = Settings()
    files = sorted(folder.glob("*.warc.gz"))
    seconds: dict[str, float] = {}

    started = clock()
    records = sum(1 for path in files for _ in read_records(path, max_bytes=settings.fetch.max_bytes))
    seconds["read_records (gunzip + warcio)"] = clock() - started

    started = clock()
    batches = list(
        read_batches(
            files, {}, size=settings.batch_size, source_of=source_namer(()), max_bytes=settings.fetch.max_bytes
        )
    )
    seconds["read_batches (the above + page_of)"] = clock() - started
    pages = sum(len(b.planned) for b in batches)

    started = clock()
    htmls = [(r.final_url, decode_html(r.body, content_type=r.content_type)) for b in batches for r in b.responses]
    seconds["decode_html"] = clock() - started

    started = clock()
    for url, html in htmls:
        try:
            extract_article(html, url=url)
        except ExtractionError:
            pass  # an index page: rejected, as ingest rejects it
    seconds["extract_article (ours)"] = clock() - started

    started = clock()
    for url, html in htmls:
        trafilatura.extract(html, url=url, fast=True, include_comments=False)
    seconds["trafilatura.extract fast (alone)"] = clock() - started

    all_rows: list[BatchRows] = []
    pickled_bytes, pickling = 0, 0.0
    started = clock()
    for batch in batches:
        parts = []
        for planned, responses in by_source(batch).values():
            for i in range(0, len(planned), EXTRACT_CHUNK):
                t0 = clock()
                sent = pickle.loads(
                    blob := pickle.dumps((planned[i : i + EXTRACT_CHUNK], responses[i : i + EXTRACT_CHUNK]))
                )
                pickling += clock() - t0
                pickled_bytes += len(blob)
                rows = extract_batch(*sent, timeout=settings.extract_timeout)
                t0 = clock()
                parts.append(pickle.loads(back := pickle.dumps(rows)))
                pickling += clock() - t0
                pickled_bytes += len(back)
        all_rows.append(BatchRows.joined(parts))
    extract_total = clock() - started - pickling
    seconds["extract_batch (rows_for_page: decode + ours + rows)"] = extract_total
    seconds["pickling to and from workers"] = pickling

    with tempfile.TemporaryDirectory(prefix="copydesk-profile-warc-") as tmp:
        db = str(Path(tmp) / "profile.duckdb")
        with writing(db) as con:
            from datetime import UTC, datetime

            start_run(con, "profile", started_at=datetime.now(UTC), params={}, pid=0, hostname="profile")
        started = clock()
        for rows in all_rows:
            with writing(db) as con:
                load_rows(con, "profile", rows)
        seconds["load_rows into DuckDB (a transaction per batch)"] = clock() - started

        profiler = cProfile.Profile()
        started = clock()
        profiler.enable()
        with writing(db) as con:
            result = assign_clusters(con, "profile", dedup_params(settings), canonical=canonical_rule(settings))
        profiler.disable()
        seconds["assign_clusters (all of dedup)"] = clock() - started
        stats = pstats.Stats(profiler)
        for name in ("shingles", "signatures"):
            seconds[f"  of which fingerprint.{name}"] = sum(
                cumulative
                for (filename, _, function), (_, _, _, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
                if function == name and filename.endswith("fingerprint.py")
            )

    return {
        "files": len(files),
        "records": records,
        "pages": pages,
        "articles": sum(len(r.articles) for r in all_rows),
        "signed": result.signed,
        "pickled_mb": round(pickled_bytes / 1e6, 1),
        "cpu_seconds": {k: round(v, 2) for k, v in seconds.items()},
        "cpu_ms_per_page": {k: round(1000 * v / pages, 2) for k, v in seconds.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder of .warc.gz files (bench_warc.py --keep-archive)")
    args = parser.parse_args()
    print(json.dumps(profile(args.folder), indent=2))


if __name__ == "__main__":
    main()
