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
`--inside` instead splits our extraction per host: parsing, prune_tree, trafilatura run on the pruned tree and
the rest, beside trafilatura alone on the same pages, to show what a cheaper extractor could still save.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import json
import pickle
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trafilatura  # noqa: E402

import extractors.article  # noqa: E402
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


def ours(pages: list[tuple[str, str]]) -> float:
    """CPU seconds of extract_article over (url, html) pages."""
    started = clock()
    for url, html in pages:
        try:
            extract_article(html, url=url)
        except ExtractionError:
            pass  # an index page: rejected, as ingest rejects it
    return clock() - started


def trafilatura_alone(pages: list[tuple[str, str]]) -> float:
    """CPU seconds of trafilatura.extract as the benchmarks run it, over (url, html) pages."""
    started = clock()
    for url, html in pages:
        trafilatura.extract(html, url=url, fast=True, include_comments=False)
    return clock() - started


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

    seconds["extract_article (ours)"] = ours(htmls)
    seconds["trafilatura.extract fast (alone)"] = trafilatura_alone(htmls)

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

            start_run(
                con, "profile", flow="ingest-warc", started_at=datetime.now(UTC), params={}, pid=0, hostname="profile"
            )
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


# The steps of extract_article timed by --inside, as extractors.article calls them.
INSIDE = {"_parse": "parse", "prune_tree": "prune_tree", "_trafilatura_text": "trafilatura on the pruned tree"}


@contextlib.contextmanager
def timed_steps(seconds: collections.Counter[str]) -> Iterator[None]:
    """Add the CPU time of each INSIDE step of extractors.article to seconds[step] while inside."""
    originals = {name: getattr(extractors.article, name) for name in INSIDE}

    def timed(name: str, step: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = clock()
            try:
                return step(*args, **kwargs)
            finally:
                seconds[INSIDE[name]] += clock() - started

        return run

    for name, step in originals.items():
        setattr(extractors.article, name, timed(name, step))
    try:
        yield
    finally:
        for name, step in originals.items():
            setattr(extractors.article, name, step)


def inside(folder: Path) -> dict[str, Any]:
    """Per host: ms per page of trafilatura alone and of our extraction, split into INSIDE's steps and the rest."""
    settings = Settings()
    files = sorted(folder.glob("*.warc.gz"))
    batches = read_batches(
        files, {}, size=settings.batch_size, source_of=source_namer(()), max_bytes=settings.fetch.max_bytes
    )
    by_host: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for batch in batches:
        for r in batch.responses:
            by_host[urlsplit(r.final_url).netloc].append(
                (r.final_url, decode_html(r.body, content_type=r.content_type))
            )
    out: dict[str, Any] = {}
    for host, pages in sorted(by_host.items()):
        seconds: collections.Counter[str] = collections.Counter()
        seconds["trafilatura alone"] = trafilatura_alone(pages)
        with timed_steps(seconds):
            seconds["ours"] = ours(pages)
        seconds["ours: the rest"] = seconds["ours"] - sum(seconds[step] for step in INSIDE.values())
        out[host] = {
            "pages": len(pages),
            "html_kb_per_page": round(sum(len(html) for _, html in pages) / len(pages) / 1000, 1),
            "cpu_ms_per_page": {k: round(1000 * v / len(pages), 2) for k, v in seconds.items()},
            "ours / trafilatura alone": round(seconds["ours"] / seconds["trafilatura alone"], 2),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder of .warc.gz files (bench_warc.py --keep-archive)")
    parser.add_argument("--inside", action="store_true", help="split our extraction into its steps, per host")
    args = parser.parse_args()
    print(json.dumps(inside(args.folder) if args.inside else profile(args.folder), indent=2))


if __name__ == "__main__":
    main()
