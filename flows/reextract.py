"""The `reextract` flow: extraction run again over the archived pages (storage/archive.py), with no network.

For when the extractor improved, or a site's hints changed: each page's latest archived response is read from
its WARC file and extracted as the crawl would (same source hints, same listing date for an undated page), in
the extraction worker processes. Only the rows whose extracted fields differ are written (storage.load.
reload_articles); those whose text changed lose their signature, and the dedup step signs and clusters them
again, as after a crawl that found them changed. Run right after a crawl, it changes nothing. Recorded in
`runs` like a crawl (flow = reextract); each batch is one transaction.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from crawl.discover import Candidate
from crawl.fetch import Fetched
from extractors.hints import ExtractionHints
from flows.config import Settings, load_config
from flows.extraction import ExtractionPool
from flows.ingest import canonical_rule, dedup_params, dedupe, run_name
from flows.pipeline import database_turns, extract, quoted, report_progress
from flows.runs import begin_run, ending, stop_on_signals, worth_retrying
from flows.steps import BatchRows, PlannedFetch, utcnow
from storage.archive import ArchiveError, read_response
from storage.db import writing
from storage.load import finish_run, load_errors, reload_articles
from storage.pages import ArchivedPage, archived_pages
from storage.rows import ErrorRow, LoadResult, RunStatus

# Pages read, extracted and written together (one transaction each).
BATCH_SIZE = 200


@dataclass(slots=True)
class ReextractSummary:
    """What a re-extraction did: pages read, rows changed (updated or new), and the rest."""

    run_id: str
    db: str
    pages: int = 0
    changed: int = 0
    updated: int = 0
    new: int = 0
    unchanged: int = 0
    not_extracted: int = 0  # pages that gave no article (an index page, a failure), as in the crawl
    unreadable: int = 0  # records that could not be read back from the archive
    stale: int = 0  # pages older than the stored article's text (a later run's fetch): left alone
    duplicates: int = 0
    unexpected: int = 0


def archived_batch(
    archive_dir: Path, pages: Sequence[ArchivedPage]
) -> tuple[list[PlannedFetch], list[Fetched], list[ErrorRow]]:
    """The archived responses of `pages`, as the crawl's planned fetches and responses; unreadable ones as errors."""
    planned, responses, errors = [], [], []
    for page in pages:
        try:
            response = read_response(
                archive_dir,
                page.warc_file,
                page.record_offset,
                page.record_length,
                payload_digest=page.payload_digest,
                # An absolute path: a file ingest-warc read where it lies, whose records it took as they were.
                check_digests=not Path(page.warc_file).is_absolute(),
                record_id=page.record_id,
            )
        except ArchiveError as exc:
            errors.append(ErrorRow("reextract", page.url, type(exc).__name__, str(exc), utcnow()))
            continue
        candidate = Candidate(
            page.url,
            page.source or "",
            page.listing_date,
            page.fetch_url,
            listed=page.listed,
            published_from=page.listing_date_from,
        )
        planned.append(PlannedFetch(candidate))
        responses.append(
            Fetched(
                page.fetch_url,
                "article",
                "ok",
                response.target_url,
                response.status,
                body=response.body,
                content_type=response.content_type,
                etag=response.header("etag"),
                last_modified=response.header("last-modified"),
                # The page's own fetch time: reload_articles leaves a row whose text a later run gave as it is.
                fetched_at=page.fetched_at,
            )
        )
    return planned, responses, errors


@task(cache_policy=NO_CACHE)
async def read_archived(
    archive_dir: Path, pages: Sequence[ArchivedPage]
) -> tuple[list[PlannedFetch], list[Fetched], list[ErrorRow]]:
    """Read a batch of pages' records from the archive (a thread: file reads and gzip)."""
    return await asyncio.to_thread(archived_batch, archive_dir, pages)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5, retry_condition_fn=worth_retrying)
async def reload(db: str, run_id: str, rows: BatchRows, text_runs: Mapping[str, str | None]) -> LoadResult:
    """Write the articles whose extraction changed, and the batch's errors, in one transaction."""
    return await asyncio.to_thread(_reload, db, run_id, rows, text_runs)


def _reload(db: str, run_id: str, rows: BatchRows, text_runs: Mapping[str, str | None]) -> LoadResult:
    with database_turns.turn(), writing(db) as con:
        result = reload_articles(con, run_id, rows.articles, updated_at=utcnow(), text_runs=text_runs)
        load_errors(con, run_id, rows.errors)
    return result


@flow(name="reextract", flow_run_name=run_name("reextract"))
async def reextract(
    db: str | None = None,
    sources: str | None = None,
    source_names: list[str] | None = None,
    since: datetime | None = None,
    url_like: str | None = None,
) -> dict[str, Any]:
    """Extract archived pages again (no network) and update the articles whose extraction changed.

    Args:
        db: DuckDB file (default: [settings].db of `sources`, else copydesk.duckdb).
        sources: sources TOML: its [settings] (archive folder, dedup) and each source's extraction hints.
        source_names: only pages of these sources (default: all).
        since: only pages fetched at or after this time.
        url_like: only pages whose URL, or the article URL they gave, matches this SQL LIKE pattern.
    """
    log = get_run_logger()
    config = load_config(sources) if sources else None
    settings = (config.settings if config else Settings()).with_overrides(db=db)
    hints = {s.name: s.hints for s in config.sources} if config else {}
    summary = ReextractSummary(run_id=flow_run.id or uuid.uuid4().hex, db=settings.db)
    params = {
        "sources": sources,
        "source_names": source_names,
        "since": since,
        "url_like": url_like,
    }
    started = utcnow()
    with database_turns.turn(), writing(settings.db) as con:
        begin_run(con, summary.run_id, flow="reextract", started_at=started, params=params)
        pages = archived_pages(con, sources=source_names or (), since=since, url_like=url_like)
    summary.pages = len(pages)
    fresh = [page for page in pages if not page.stale]
    summary.stale = len(pages) - len(fresh)
    log.info("reextract: %d archived pages (%d stale) in %s", len(pages), summary.stale, settings.archive_path())
    task = asyncio.current_task()
    assert task is not None  # a coroutine of the flow's event loop
    with stop_on_signals(task) as stop:  # SIGINT and SIGTERM cancel it at its next await, as a crawl
        try:
            await _extract_all(log, settings, hints, fresh, summary)
            result, _ = await dedupe(
                settings.db, summary.run_id, dedup_params(settings), settings.db_memory_limit, canonical_rule(settings)
            )
        except BaseException as exc:  # recorded as the run's end (a kill -9 is marked abandoned by the next run)
            _finish(settings.db, summary, stopped=ending(exc, stopped_by=stop.signum))
            raise
    summary.duplicates = result.matches
    error = _finish(settings.db, summary)
    log.info(
        "reextract: %d pages, %d changed (%d updated, %d new), %d unchanged, %d not articles, %d unreadable, %d stale",
        summary.pages,
        summary.changed,
        summary.updated,
        summary.new,
        summary.unchanged,
        summary.not_extracted,
        summary.unreadable,
        summary.stale,
    )
    if error:
        raise RuntimeError(error)
    return asdict(summary)


def _finish(db: str, summary: ReextractSummary, *, stopped: tuple[RunStatus, str] | None = None) -> str | None:
    """Record the run's end and counts (failed, with why, when pages could not be read back or an error was
    unexpected); the unexpected errors, which fail the flow too. Unreadable pages leave their rows as they were
    and are the CLI's to report (exit status 1)."""
    counts = {
        "stored": summary.changed,
        "new": summary.new,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "skipped": summary.not_extracted + summary.stale,
        "duplicates": summary.duplicates,
        "errors": summary.unreadable + summary.unexpected,
    }
    why = [f"{summary.unreadable} archived pages could not be read back"] if summary.unreadable else []
    why += [f"{summary.unexpected} unexpected errors"] if summary.unexpected else []
    failure = f"{'; '.join(why)}; see the errors table where run_id = {summary.run_id!r}" if why else None
    status, error = stopped or (("failed", failure) if failure else ("completed", None))
    with database_turns.turn(), writing(db, checkpoint=True) as con:
        finish_run(con, summary.run_id, finished_at=utcnow(), status=status, counts=counts, error=error)
    return error if summary.unexpected and not stopped else None


async def _extract_all(
    log: Any,
    settings: Settings,
    hints: Mapping[str, ExtractionHints | None],
    pages: Sequence[ArchivedPage],
    summary: ReextractSummary,
) -> None:
    """Every page, batch by batch of one source (its hints), extracted in the worker processes and written."""
    batches = [
        list(group[i : i + BATCH_SIZE])
        for _, grouped in groupby(sorted(pages, key=lambda p: p.source or ""), key=lambda p: p.source or "")
        for group in [list(grouped)]
        for i in range(0, len(group), BATCH_SIZE)
    ]
    done = 0
    report_progress("extract", 0, len(pages))
    with ExtractionPool(workers=settings.extract_workers, batches=len(batches)) as pool:
        for batch in batches:
            planned, responses, unreadable = await read_archived(settings.archive_path(), quoted(batch))
            rows = await extract(
                quoted(planned),
                quoted(responses),
                pool.executor_for(responses),
                settings.extract_timeout,
                hints.get(batch[0].source or ""),
            )
            rows.errors += unreadable
            text_runs = {page.article_url: page.text_run_id for page in batch if page.article_url}
            loaded = await reload(settings.db, summary.run_id, quoted(rows), text_runs)
            summary.updated += loaded.updated
            summary.new += loaded.new
            summary.changed += loaded.updated + loaded.new
            summary.unchanged += loaded.unchanged
            summary.not_extracted += len(planned) - len(rows.articles) - rows.unexpected
            summary.unreadable += len(unreadable)
            summary.unexpected += rows.unexpected
            done += len(batch)
            report_progress("extract", done, len(pages))
            log.info("reextract: %d of %d pages extracted, %d changed so far", done, len(pages), summary.changed)
