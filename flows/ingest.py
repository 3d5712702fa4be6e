"""The `ingest` and `backfill` Prefect flows: a run's life around its crawl (flows.pipeline) and dedup step.

A run is recorded in `runs` before anything is fetched and always ends in a state: `completed`; `failed`, with
the error (an unexpected error, no source reached, the database refusing a write); or `interrupted` (SIGINT,
SIGTERM, cancellation), after the batch being written is committed. A run found still `running` whose process
is gone is marked `abandoned` by the next one. Prefect's state follows: Failed for failed, Crashed for
interrupted. The flow is the only DuckDB writer and holds the write connection per batch, so readers get in
between batches and a killed run loses at most the batches in flight.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from crawl.fetch import Fetcher
from crawl.proxies import ProxyEnvironment
from crawl.sources import Source
from extractors.fingerprint import U32, DedupParams, Scheme
from flows.config import Settings, enabled_sources, load_config
from flows.pipeline import Crawl, CrawlResult, Listing, database_turns, listings, report_progress
from flows.pipeline import progress_hook as progress_hook  # the CLI's progress bars hook in here
from flows.publish import count_new_clusters, publish_run
from flows.report import RunSummary
from flows.runs import (
    CrawlInProgressError,
    NoSourceReachedError,
    begin_run,
    crawl_in_progress,
    crawl_in_progress_message,
    ending,
    stop_on_signals,
    unreached_message,
    worth_retrying,
)
from flows.steps import utcnow
from storage.archive import WarcArchive
from storage.db import writing
from storage.dedup import (
    CanonicalRule,
    DedupResult,
    assign_clusters,
    bands_to_flush,
    flush_bands,
    has_orphan_runs,
    has_pending,
    remove_orphan_runs,
)
from storage.load import finish_run
from storage.rows import RunStatus

# How long a stopped run waits for the batch being written before it records how it ended.
WRITE_SETTLE_SECONDS = 60.0


def dedup_params(settings: Settings) -> DedupParams:
    return DedupParams(
        num_perm=settings.num_perm, shingle_size=settings.shingle_size, threshold=settings.dedup_threshold
    )


def canonical_rule(settings: Settings) -> CanonicalRule:
    """Which member of a cluster is its canonical article: canonical_rule and source_priority."""
    return CanonicalRule(settings.canonical_rule, settings.source_priority)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5, retry_condition_fn=worth_retrying)
async def dedupe(
    db: str,
    run_id: str,
    params: DedupParams,
    memory_limit: str | None,
    canonical: CanonicalRule,
    window_days: float | None = None,
    shingled: Mapping[str, tuple[Scheme, U32]] | None = None,
) -> tuple[DedupResult, int]:
    """Sign pending articles and give them cluster ids, in one transaction; also the run's new clusters.

    Then, in a transaction of its own, band keys past FLUSH_ARTICLES move into a sorted run file. `shingled`: the
    articles' shingles made by the extraction workers (by content hash), not made again.
    """
    return await asyncio.to_thread(_assign_clusters, db, run_id, params, memory_limit, canonical, window_days, shingled)


def _assign_clusters(
    db: str,
    run_id: str,
    params: DedupParams,
    memory_limit: str | None,
    canonical: CanonicalRule,
    window_days: float | None,
    shingled: Mapping[str, tuple[Scheme, U32]] | None = None,
) -> tuple[DedupResult, int]:
    with database_turns.turn(), writing(db, memory_limit=memory_limit) as con:
        result = assign_clusters(con, run_id, params, canonical=canonical, window_days=window_days, shingled=shingled)
        new_clusters = count_new_clusters(con, run_id)
        # Run files merged away in that transaction, or orphans of an earlier kill, can go once it committed.
        flush = bands_to_flush(con) or has_orphan_runs(con)
    if flush:
        with database_turns.turn(), writing(db, memory_limit=memory_limit) as con:
            remove_orphan_runs(con)  # first: nothing uncommitted in lsh_runs yet
            flush_bands(con)
    return result, new_clusters


def run_name(prefix: str) -> Callable[[], str]:
    """A flow-run namer: `<prefix>-YYYY-MM-DDTHH-MM` of the scheduled (or actual) start, in UTC."""

    def name() -> str:
        started = flow_run.scheduled_start_time or utcnow()
        return f"{prefix}-{started:%Y-%m-%dT%H-%M}"

    return name


@flow(name="ingest", flow_run_name=run_name("ingest"))
async def ingest(
    sources: str,
    db: str | None = None,
    allow_private: bool | None = None,
    source_names: list[str] | None = None,
    refetch_window_hours: float | None = None,
) -> dict[str, Any]:
    """Discover, fetch, extract, load and dedupe articles from the sites in a sources TOML file.

    Args:
        sources: path of the sources TOML file.
        db: DuckDB file to write (default: [settings].db of the sources file).
        allow_private: allow private/loopback addresses (tests, local sites).
        source_names: only these sources (default: all).
        refetch_window_hours: re-check (conditionally) articles published within this many hours.
    """
    log = get_run_logger()
    config = load_config(sources)
    settings = config.settings.with_overrides(
        db=db, allow_private=allow_private, refetch_window_hours=refetch_window_hours
    )
    summary = await _run(log, "ingest", sources, settings, enabled_sources(config, source_names))
    return asdict(summary)


@flow(name="backfill", flow_run_name=run_name("backfill"))
async def backfill(
    sources: str,
    source_names: list[str],
    refetch_window_hours: float = 24.0 * 7,
    db: str | None = None,
    allow_private: bool | None = None,
) -> dict[str, Any]:
    """Re-crawl some sources and re-check their stored articles over a wider window than the hourly run.

    Args:
        sources: path of the sources TOML file.
        source_names: the sources to backfill (at least one).
        refetch_window_hours: re-check (conditionally) articles published within this many hours of the
            source's newest one (default: a week).
        db: DuckDB file to write (default: [settings].db of the sources file).
        allow_private: allow private/loopback addresses (tests, local sites).
    """
    log = get_run_logger()
    if not source_names:
        raise ValueError("backfill needs source_names: the sources to re-crawl, e.g. ['site1']")
    config = load_config(sources)
    settings = config.settings.with_overrides(
        db=db, allow_private=allow_private, refetch_window_hours=refetch_window_hours
    )
    summary = await _run(log, "backfill", sources, settings, enabled_sources(config, source_names))
    return asdict(summary)


async def _run(log: Any, flow_name: str, sources: str, settings: Settings, selected: list[Source]) -> RunSummary:
    """One crawl of `selected` into the database, recorded in `runs` and published as artifacts."""
    run_id = flow_run.id or uuid.uuid4().hex
    Path(settings.db).parent.mkdir(parents=True, exist_ok=True)
    summary = RunSummary(run_id=run_id, db=settings.db, sources=len(selected))
    started = utcnow()
    with database_turns.turn(), writing(settings.db) as con:
        params = {"sources": sources, "source_names": [s.name for s in selected], **settings.as_keys()}
        busy = crawl_in_progress(begin_run(con, run_id, flow=flow_name, started_at=started, params=params))
        if busy is not None:  # recorded, so `runs` says why this hour's run did nothing
            refusal = crawl_in_progress_message(settings.db, busy)
            finish_run(con, run_id, finished_at=utcnow(), status="failed", counts={}, error=refusal)
        else:
            left_pending = has_pending(con)  # by a run stopped before its dedup step: this one finishes the job
            memory = listings(con, selected, archived_only=settings.archive and settings.archive_listings)
    if busy is not None:
        raise CrawlInProgressError(refusal)
    task = asyncio.current_task()
    assert task is not None  # a coroutine of the flow's event loop
    with stop_on_signals(task) as stop:
        try:
            result = await _crawl(log, flow_name, settings, selected, memory, run_id, summary)
            await _dedupe(log, settings, run_id, summary, pending=left_pending)
        except BaseException as exc:
            status, reason = ending(exc, stopped_by=stop.signum)
            _record_end(settings.db, run_id, summary, started, status=status, error=reason, exc=exc)
            raise
        error = _failure(result, summary, run_id)
        summary.status, summary.error = ("failed", error) if error else ("completed", None)
        # No await until the end is written: a signal now cancels the publishing, never this write.
        finished = _record_end(settings.db, run_id, summary, started, status=summary.status, error=error)
        await publish_run(summary, flow=flow_name, finished_at=finished)
    if error and len(result.unreached) == summary.sources:
        raise NoSourceReachedError(error)
    if error:
        raise RuntimeError(error)
    return summary


async def _crawl(
    log: Any,
    flow_name: str,
    settings: Settings,
    sources: Sequence[Source],
    memory: dict[str, Listing],
    run_id: str,
    summary: RunSummary,
) -> CrawlResult:
    """Every source's pipeline, to the last row written; then one summary line."""
    # The environment's proxy variables, read here (once per run), as curl and httpx read them.
    settings.check_folders()  # before the first request: a folder it cannot write would cost every page
    archive = WarcArchive(settings.archive_path(), max_file_bytes=settings.archive_file_bytes)
    async with Fetcher(settings.fetch, proxies=ProxyEnvironment.from_environ(os.environ)) as fetcher:
        with archive:
            crawl = Crawl(log, flow_name, settings, run_id, summary, fetcher, archive if settings.archive else None)
            result = await crawl.run(sources, memory)
    log.info(
        "fetch: %d fetched, %d stored (%d new, %d updated, %d unchanged), %d errors",
        summary.fetched,
        summary.stored,
        summary.new,
        summary.updated,
        summary.unchanged,
        summary.errors,
    )
    return result


async def _dedupe(log: Any, settings: Settings, run_id: str, summary: RunSummary, *, pending: bool) -> None:
    report_progress("dedupe", 0, 1)
    if pending or summary.new or summary.updated:
        result, summary.new_clusters = await dedupe(
            settings.db,
            run_id,
            dedup_params(settings),
            settings.db_memory_limit,
            canonical_rule(settings),
            settings.dedup_window_days,
        )
        log.info(
            "dedupe: %d signed, %d near-duplicate matches, %d merges", result.signed, result.matches, result.merges
        )
    else:  # nothing new, changed or left over: no write, no task run (a re-check run's last ~70 ms)
        result = DedupResult()
        log.info("dedupe: nothing to sign (no new or changed articles)")
    report_progress("dedupe", 1, 1)
    summary.duplicates = result.matches


def _failure(result: CrawlResult, summary: RunSummary, run_id: str) -> str | None:
    """Why a crawl that ran to its end failed, or None: no source could be reached, or unexpected errors."""
    reasons = []
    if summary.sources and len(result.unreached) == summary.sources:
        reasons.append(unreached_message(result.unreached, run_id=run_id))
    if result.unexpected:
        reasons.append(f"{result.unexpected} unexpected errors; see the errors table where run_id = {run_id!r}")
    return "; ".join(reasons) or None


def _record_end(
    db: str,
    run_id: str,
    summary: RunSummary,
    started: datetime,
    *,
    status: RunStatus,
    error: str | None,
    exc: BaseException | None = None,
) -> datetime:
    """Write how the run ended; for a run stopped by `exc`, after the batch being written has committed.

    If even that write fails (the disk that failed the run), the run's own error is what the caller raises,
    with this one as a note, and the next run marks this one abandoned.
    """
    summary.seconds = (utcnow() - started).total_seconds()
    finished = utcnow()
    try:
        with database_turns.turn(WRITE_SETTLE_SECONDS if exc else -1), writing(db, checkpoint=True) as con:
            finish_run(con, run_id, finished_at=finished, status=status, counts=summary.counts(), error=error)
    except Exception as failure:
        if exc is None:
            raise
        exc.add_note(f"the run could not be marked {status}: {failure}")
    return finished
