"""The `ingest-warc` flow: WARC files (Common Crawl's CC-NEWS layout, or copydesk's own archive) through the same
extract -> load -> sign -> cluster path as a crawl, with no network.

Files are streamed record by record (memory stays that of a few batches, whatever a file's size) in a thread,
pages are extracted in the extraction worker processes while the next batch is read, and batches are written in
file order, each in one transaction with the file's progress (`warc_files.done_offset`): a killed ingest resumes
at the first record not yet written, and a finished file is not read again. Only HTTP 200 HTML responses are
extracted; other records are counted by reason (`warc_files.skipped`). A page's source is the sources file's
source whose feeds, sitemaps or homepage are on its host, else the host itself. Articles already stored (by a
crawl or an earlier ingest) are deduplicated as a crawl's are: the same URL is one row, copies join clusters.
Each page's `pages` row points at its record in the file where it lies, so `copydesk reextract` can extract it
again from there.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from crawl.fetch import Fetched
from extractors.fingerprint import U32, DedupParams, Scheme
from extractors.hints import ExtractionHints
from flows.config import Settings, load_config
from flows.extraction import ExtractionPool, extract_batch
from flows.ingest import canonical_rule, dedup_params, dedupe, run_name
from flows.pipeline import (
    EXTRACT_CHUNK,
    database_turns,
    distributed,
    load_rows,
    quoted,
    report_progress,
    single_error,
)
from flows.publish import ProgressArtifact, publish_run
from flows.report import RunSummary
from flows.runs import begin_run, ending, stop_on_signals, worth_retrying
from flows.steps import BatchRows, PlannedFetch, utcnow
from flows.warc_input import (
    WarcBatch,
    WarcInputError,
    as_it_is_now,
    by_source,
    page_skips,
    read_batches,
    source_namer,
    warc_paths,
)
from storage.db import writing
from storage.dedup import signing_params
from storage.load import finish_run, load_errors
from storage.pages import WarcProgress, archived_here, save_progress, warc_progress
from storage.rows import ErrorRow, LoadResult, RunStatus

# Batches read ahead of the one being written: bounds memory (pages x batch size x this) and keeps the worker
# processes busy while the flow reads and writes.
BATCHES_IN_FLIGHT = 2
# A WARC batch holds this many times `batch_size` pages. With nothing to fetch, a batch is read in a blink and
# extracted as a whole, so larger batches cost fewer task runs (two per batch, ~35 ms of CPU each in the client and
# Prefect's server) and transactions for the same pages; in flight, 2 x 600 pages of ~65 KB is ~80 MB of HTML.
WARC_BATCH_SCALE = 3
# Articles whose shingles, made by the extraction workers, are kept for the dedup step (~3 KB each for a 700-word
# story): past this many, the rest are shingled by the dedup step as before, so memory stays bounded on any input.
MAX_SHINGLED = 20_000
# Pages a Dask task reads and extracts from one WARC file (see _ingest_distributed): 2,000 pages are ~15 CPU
# seconds of extraction and ~20-40 MB of rows, where a CC-NEWS file of 40,000 pages would come back as ~0.5 GB,
# held at once on the worker and in the flow.
SEGMENT_PAGES = 2_000
# WARC files a Dask ingest works on at once: each has at most one segment out or waiting to be written, so this
# bounds the rows the flow can hold (~32 x 40 MB) when workers extract faster than the database takes them.
FILES_IN_FLIGHT = 32


@dataclass(slots=True)
class WarcSummary:
    """What an ingest of WARC files did."""

    run_id: str
    db: str
    files: int = 0
    files_done_before: int = 0
    records: int = 0
    pages: int = 0
    stored: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0  # of the unchanged: copies older than the stored article, whose text differs (kept out)
    not_extracted: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    unexpected: int = 0
    failed_files: list[str] = field(default_factory=list)  # why each file that could not be read to its end


@dataclass(slots=True)
class _Writing:
    """What writing an ingest's batches updates: its log, settings, counts and report, and the shingles the
    workers made (for the dedup step after the last batch)."""

    log: Any
    settings: Settings
    summary: WarcSummary
    report: RunSummary
    shingled: dict[str, tuple[Scheme, U32]] = field(default_factory=dict)
    # Each file's progress as this run found it: a file's stored counts run across ingests (one resumed, one
    # appended to), and this run's are what it adds to them.
    before: dict[str, WarcProgress] = field(default_factory=dict)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5, retry_condition_fn=worth_retrying)
async def load_warc_batch(db: str, run_id: str, rows: BatchRows, progress: WarcProgress) -> dict[str, LoadResult]:
    """Write a batch's rows and its file's progress in one transaction."""
    return await asyncio.to_thread(_load_warc_batch, db, run_id, rows, progress)


def _load_warc_batch(db: str, run_id: str, rows: BatchRows, progress: WarcProgress) -> dict[str, LoadResult]:
    with database_turns.turn(), writing(db) as con:
        loaded = load_rows(con, run_id, rows)
        if progress.error:
            load_errors(con, run_id, [ErrorRow("warc", progress.path, "WarcFileError", progress.error, utcnow())])
        save_progress(con, run_id, progress, now=utcnow())
    return loaded


@flow(name="ingest-warc", flow_run_name=run_name("ingest-warc"))
async def ingest_warc(paths: list[str], db: str | None = None, sources: str | None = None) -> dict[str, Any]:
    """Extract, load and cluster the news pages of WARC files (files, folders or globs; .warc and .warc.gz).

    Args:
        paths: WARC files, folders holding them, or glob patterns.
        db: DuckDB file (default: [settings].db of `sources`, else copydesk.duckdb).
        sources: sources TOML: [settings], each source's extraction hints, and which host is which source.
    """
    log = get_run_logger()
    config = load_config(sources) if sources else None
    settings = (config.settings if config else Settings()).with_overrides(db=db)
    files = warc_paths(paths)
    summary = WarcSummary(run_id=flow_run.id or uuid.uuid4().hex, db=settings.db)
    report, started = RunSummary(run_id=summary.run_id, db=settings.db), utcnow()
    Path(settings.db).parent.mkdir(parents=True, exist_ok=True)
    files, progress, shingle_with = _begin(
        settings.db, summary.run_id, paths, files, started, dedup_params(settings), settings.archive_path()
    )
    summary.files = len(files)
    progress = {path: as_it_is_now(done, Path(path)) for path, done in progress.items()}
    summary.files_done_before = sum(p.finished for p in progress.values())
    log.info("ingest-warc: %d files (%d finished before)", len(files), summary.files_done_before)
    hints = {s.name: s.hints for s in config.sources} if config else {}
    source_of = source_namer(config.sources if config else ())
    ingest = _ingest_distributed if distributed() else _ingest
    writing = _Writing(log, settings, summary, report, before=dict(progress))
    task = asyncio.current_task()
    assert task is not None  # a coroutine of the flow's event loop
    # SIGINT and SIGTERM cancel the ingest at its next await, as they do a crawl: Prefect's own SIGTERM handler
    # raised at whatever line ran (a traceback, exit 1), and a SIGINT there was once lost.
    with stop_on_signals(task) as stop:
        try:
            await ingest(writing, files, progress, source_of, hints, shingle_with)
            result, report.new_clusters = await dedupe(
                settings.db,
                summary.run_id,
                shingle_with,
                settings.db_memory_limit,
                canonical_rule(settings),
                shingled=quoted(writing.shingled),
            )
        except BaseException as exc:  # recorded as the run's end (a kill -9 is marked abandoned by the next run)
            _finish(settings.db, summary, stopped=ending(exc, stopped_by=stop.signum))
            raise
    summary.duplicates = report.duplicates = result.matches
    finished = _finish(settings.db, summary)
    report.seconds = (finished - started).total_seconds()
    report.sources, report.status = len(report.per_source), "failed" if _failure(summary) else "completed"
    await publish_run(report, flow="ingest-warc", finished_at=finished)
    log.info(
        "ingest-warc: %d records, %d pages, %d stored (%d new), %d not articles, %d duplicates; skipped %s",
        summary.records,
        summary.pages,
        summary.stored,
        summary.new,
        summary.not_extracted,
        summary.duplicates,
        summary.skipped or "none",
    )
    if summary.unexpected:
        raise RuntimeError(
            f"{summary.unexpected} unexpected errors; see the errors table where run_id = {summary.run_id!r}"
        )
    return asdict(summary)


def extract_file(
    path: Path,
    progress: WarcProgress | None,
    *,
    source_of: Callable[[str], str],
    hints: dict[str, Any],
    max_bytes: int,
    timeout: float,
    segment_pages: int = SEGMENT_PAGES,
    shingle_with: DedupParams | None = None,
) -> tuple[BatchRows, WarcProgress, Counter[str]]:
    """The next segment of a file, from where `progress` stopped, read and extracted here (on a Dask worker):
    its rows, the file's progress after it (finished at the file's end) and its pages per source. Pages are
    read until at least `segment_pages` are extracted; a source's pages with its hints."""
    rows, done, pages = BatchRows(), WarcProgress(str(path), path.stat().st_size, finished=True), Counter[str]()
    known = {str(path): progress} if progress else {}
    size = min(EXTRACT_CHUNK * 8, segment_pages)
    for batch in read_batches([path], known, size=size, source_of=source_of, max_bytes=max_bytes):
        for source, (planned, responses) in by_source(batch).items():
            rows.extend(
                extract_batch(planned, responses, timeout=timeout, hints=hints.get(source), shingle_with=shingle_with)
            )
            pages[source] += len(planned)
        rows.pages += batch.pages
        rows.errors += batch.errors
        done = batch.progress
        if pages.total() >= segment_pages:
            break  # the file's progress says where the next segment starts
    return rows, done, pages


# On Dask: a WARC file is read where it lies (shared storage) and extracted on a worker, SEGMENT_PAGES pages per
# task, and only its rows come back to the flow, which writes them with the file's progress; then the file's next
# segment goes out. Files run side by side; a task is retried as a whole if its worker is lost.
@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5, task_run_name="extract-warc-{path.name}")
async def extract_warc_file(
    path: Path,
    progress: WarcProgress | None,
    source_of: Callable[[str], str],
    hints: dict[str, Any],
    max_bytes: int,
    timeout: float,
    segment_pages: int = SEGMENT_PAGES,
    shingle_with: DedupParams | None = None,
) -> tuple[BatchRows, WarcProgress, Counter[str]]:
    """Read and extract the next segment of one WARC file on a worker."""
    return extract_file(
        path,
        progress,
        source_of=source_of,
        hints=hints,
        max_bytes=max_bytes,
        timeout=timeout,
        segment_pages=segment_pages,
        shingle_with=shingle_with,
    )


async def _ingest_distributed(
    writing: _Writing,
    files: Sequence[Path],
    progress: dict[str, WarcProgress],
    source_of: Callable[[str], str],
    hints: dict[str, Any],
    shingle_with: DedupParams,
) -> None:
    """Every unfinished file as a chain of Dask tasks, a segment each; each segment's rows written, with its
    file's progress, as it comes back, so a killed ingest resumes after the last segment written."""
    settings = writing.settings
    one_writer = asyncio.Lock()  # segments of several files come back at once; the database takes one at a time
    files_at_once = asyncio.Semaphore(FILES_IN_FLIGHT)

    async def ingest_file(path: Path) -> None:
        known = progress.get(str(path))  # an error it stopped at last time is tried again (read_batches)
        async with files_at_once:
            while True:
                future: Any = extract_warc_file.submit(  # PrefectFuture[...]; typed as a coroutine's
                    path,
                    known,
                    source_of,
                    hints,
                    settings.fetch.max_bytes,
                    settings.extract_timeout,
                    SEGMENT_PAGES,
                    shingle_with,
                )
                rows, known, pages = await asyncio.to_thread(future.result)
                async with one_writer:
                    await _write(writing, rows, known, pages)
                if known.finished or known.error:
                    return

    try:
        async with asyncio.TaskGroup() as files_in_flight:
            for path in files:
                if not (progress.get(str(path)) and progress[str(path)].finished):
                    files_in_flight.create_task(ingest_file(path))
    except BaseExceptionGroup as group:
        raise single_error(group) from None


def _begin(
    db: str,
    run_id: str,
    paths: Sequence[str],
    files: Sequence[Path],
    started: datetime,
    dedup: DedupParams,
    archive: Path,
) -> tuple[list[Path], dict[str, WarcProgress], DedupParams]:
    """Record the run's start; the files to read, their stored progress, and the parameters the workers shingle
    with (those of the stored index: an index signed under older shingle rules keeps them).

    Files of the database's own archive that its crawls wrote (`pages` rows name them) are left out: read again,
    each page had a second `pages` row. A new database rebuilt from the archive reads them all.

    Not in the flow's body: on Dask the flow function is pickled by value, with the globals it names, and
    `database_turns` holds a lock.
    """
    with database_turns.turn(), writing(db) as con:
        crawled = archived_here(con, files, archive)
        kept = [f for f in files if f not in crawled]
        if crawled and not kept:
            shown = ", ".join(map(str, sorted(crawled)[:3])) + (" ..." if len(crawled) > 3 else "")
            raise WarcInputError(
                f"{shown}: written by this database's own crawls into its archive ({archive}), whose pages it "
                "stores already; `copydesk reextract` extracts them again"
            )
        if crawled:
            get_run_logger().warning(
                "ingest-warc: %d files this database's crawls wrote into its archive left out: stored already",
                len(crawled),
            )
        params = {"paths": list(paths)}
        begin_run(con, run_id, flow="ingest-warc", started_at=started, params=params)
        return kept, warc_progress(con, [str(p) for p in kept]), signing_params(con, dedup)


async def _ingest(
    writing: _Writing,
    files: Sequence[Path],
    progress: dict[str, WarcProgress],
    source_of: Callable[[str], str],
    hints: dict[str, Any],
    shingle_with: DedupParams,
) -> None:
    """Read, extract and write every batch: reading and extraction run ahead, writes go in file order; the
    articles' shingles (made by the workers) are kept in `writing.shingled` for the dedup step."""
    settings = writing.settings
    bar, total = ProgressArtifact("ingest-warc"), sum(p.stat().st_size for p in files)
    batches = read_batches(
        files,
        progress,
        size=settings.batch_size * WARC_BATCH_SCALE,
        source_of=source_of,
        max_bytes=settings.fetch.max_bytes,
    )
    in_flight: deque[tuple[WarcBatch, asyncio.Future[BatchRows]]] = deque()
    # Every core from the start: files are streamed, so their batches are not counted ahead.
    with ExtractionPool(workers=settings.extract_workers, batches=os.cpu_count() or 1) as pool:
        while (batch := await asyncio.to_thread(next, batches, None)) is not None:
            in_flight.append((batch, asyncio.ensure_future(_extracted(pool, settings, batch, hints, shingle_with))))
            if len(in_flight) >= BATCHES_IN_FLIGHT:
                await _write_next(writing, in_flight)
                bar.update(_bytes_done(files, in_flight, progress), total, stage="read + extract + load")
        while in_flight:
            await _write_next(writing, in_flight)
    bar.update(total, total, stage="read + extract + load")
    await bar.flush()


async def _write_next(writing: _Writing, in_flight: deque[tuple[WarcBatch, asyncio.Future[BatchRows]]]) -> None:
    batch, extracting = in_flight.popleft()
    pages = Counter(p.candidate.source for p in batch.planned)
    rows = await extracting
    rows.pages += batch.pages
    rows.errors += batch.errors
    await _write(writing, rows, batch.progress, pages)


def _bytes_done(
    files: Sequence[Path], in_flight: Sequence[tuple[WarcBatch, Any]], progress: dict[str, WarcProgress]
) -> int:
    """Bytes of the files written so far: finished files whole, the current one to its written offset."""
    current = in_flight[0][0].progress.path if in_flight else None
    done = 0
    for path in files:
        if str(path) == current:
            break
        done += path.stat().st_size
    written = progress.get(current or "")
    return done + (written.done_offset if written else 0)


async def _extracted(
    pool: ExtractionPool, settings: Settings, batch: WarcBatch, hints: dict[str, Any], shingle_with: DedupParams
) -> BatchRows:
    """A batch's rows; its pages extracted per source, each with its source's hints (CC-NEWS files mix hosts)."""
    groups = [(planned, responses, hints.get(source)) for source, (planned, responses) in by_source(batch).items()]
    executor = pool.executor_for(batch.responses)
    return await extract_pages(quoted(groups), executor, settings.extract_timeout, shingle_with)


# One task run per batch, whatever the number of sources in it: a task run costs ~50 ms of CPU, a tenth of a
# 200-page batch's extraction when CC-NEWS's hosts split it into many.
@task(cache_policy=NO_CACHE)
async def extract_pages(
    groups: Sequence[tuple[list[PlannedFetch], list[Fetched], ExtractionHints | None]],
    pool: Executor | None,
    timeout: float,
    shingle_with: DedupParams | None = None,
) -> BatchRows:
    """Extract each group of pages (one source's, with its hints) in `pool`, EXTRACT_CHUNK pages per job; with
    `shingle_with`, the articles' shingles are made there too."""
    loop = asyncio.get_running_loop()
    jobs = [
        loop.run_in_executor(
            pool,
            partial(extract_batch, timeout=timeout, hints=hints, shingle_with=shingle_with),
            planned[i : i + (EXTRACT_CHUNK if pool else len(planned))],
            responses[i : i + (EXTRACT_CHUNK if pool else len(planned))],
        )
        for planned, responses, hints in groups
        for i in range(0, len(planned), EXTRACT_CHUNK if pool else max(len(planned), 1))
    ]
    return BatchRows.joined(await asyncio.gather(*jobs))


async def _write(writing: _Writing, rows: BatchRows, progress: WarcProgress, pages: Counter[str]) -> None:
    """Write a batch (or a whole file) with its file's progress, and count it; keep its shingles (up to
    MAX_SHINGLED articles' in all)."""
    log, summary, report, shingled = writing.log, writing.summary, writing.report, writing.shingled
    loaded = await load_warc_batch(writing.settings.db, summary.run_id, quoted(rows), progress)
    shingled.update(islice(rows.shingled.items(), max(MAX_SHINGLED - len(shingled), 0)))
    summary.pages += pages.total()
    summary.new += sum(r.new for r in loaded.values())
    summary.updated += sum(r.updated for r in loaded.values())
    summary.unchanged += sum(r.unchanged for r in loaded.values())
    summary.older += sum(r.older for r in loaded.values())
    for source, n in pages.items():
        report.add(source, discovered=n, fetched=n)
    for source, result in loaded.items():
        stored = result.new + result.updated + result.unchanged
        report.add(source, stored=stored, new=result.new, updated=result.updated, unchanged=result.unchanged)
    summary.stored = summary.new + summary.updated + summary.unchanged
    summary.not_extracted += pages.total() - len(rows.articles) - rows.unexpected
    summary.unexpected += rows.unexpected
    report_progress("extract", summary.pages, summary.pages)
    if progress.error or progress.finished:
        records, pages_read, skipped = _this_run(progress, writing.before.get(progress.path))
        summary.records += records
        for reason, count in skipped.items():
            summary.skipped[reason] = summary.skipped.get(reason, 0) + count
        if progress.error:
            summary.failed_files.append(progress.error)
            log.error("ingest-warc: %s (%d records read before it in this run)", progress.error, records)
        else:
            log.info(
                "ingest-warc: %s: %d records, %d pages, skipped %s",
                Path(progress.path).name,
                records,
                pages_read,
                dict(skipped) or "none",
            )


def _this_run(progress: WarcProgress, before: WarcProgress | None) -> tuple[int, int, dict[str, int]]:
    """(records, pages, skipped per reason) read from a file in this run: its counts less those it started from."""
    if before is None or before.finished:  # a finished file read again (it grew, or changed) counts from nothing
        return progress.records, progress.pages, {r: n for r, n in progress.skipped.items() if n}
    skipped = {r: n - before.skipped.get(r, 0) for r, n in progress.skipped.items()}
    return progress.records - before.records, progress.pages - before.pages, {r: n for r, n in skipped.items() if n}


def _failure(summary: WarcSummary) -> str | None:
    """Why the run failed, if it did: files it could not read to their end, or unexpected errors."""
    why = []
    if summary.failed_files:
        files = len(summary.failed_files)
        why.append(f"{files} WARC file{'s' * (files > 1)} could not be read to the end: {summary.failed_files[0]}")
    if summary.unexpected:
        why.append(f"{summary.unexpected} unexpected errors")
    return "; ".join(why) or None


def _finish(db: str, summary: WarcSummary, *, stopped: tuple[RunStatus, str] | None = None) -> datetime:
    """Record the run's end and counts; when it is returned."""
    counts = {
        "stored": summary.stored,
        "new": summary.new,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "skipped": summary.not_extracted + page_skips(summary.skipped),  # pages, not requests or metadata
        "duplicates": summary.duplicates,
        "errors": summary.unexpected + len(summary.failed_files),
    }
    error = stopped[1] if stopped else _failure(summary)
    finished = utcnow()
    with database_turns.turn(), writing(db, checkpoint=True) as con:
        status = stopped[0] if stopped else "failed" if error else "completed"
        finish_run(con, summary.run_id, finished_at=finished, status=status, counts=counts, error=error)
    return finished
