"""The `ingest` and `backfill` Prefect flows: discover -> fetch + extract (batches) -> load -> dedupe -> report.

Tasks are thin wrappers over flows.discover / flows.steps / storage; each works on a batch, because a
Prefect task run costs ~25 ms. The flow is the only DuckDB writer and holds the write connection
per batch, so readers get in between batches and a killed run loses at most one batch. Fetching stays
in the flow process too (one Fetcher keeps per-host politeness global). `extract`, the CPU-bound step,
runs in worker processes (flows.extraction) or, with a distributed task runner (`DaskTaskRunner`), on its
workers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from extractors.fingerprint import DedupParams
from flows.config import Settings, Source, load_config
from flows.discover import Candidate, Discovery, discover_source
from flows.extraction import EXTRACT_TIMEOUT, ExtractionPool, extract_batch
from flows.fetch import Fetched, Fetcher, FetchPolicy, Validators
from flows.publish import ProgressArtifact, count_new_clusters, publish_run
from flows.report import RunSummary, Stage, tally_batch, tally_discovery
from flows.steps import (
    BatchRows,
    PlannedFetch,
    fetch_rows,
    host_batches,
    plan_fetches,
    seen_row,
    utcnow,
)
from storage.db import connect, writing
from storage.dedup import DedupResult, assign_clusters, has_pending
from storage.load import (
    finish_run,
    load_aliases,
    load_articles,
    load_errors,
    load_fetches,
    load_seen,
    start_run,
)
from storage.rows import ArticleRow, LoadResult
from storage.state import known_sitemaps, recent_articles, seen_states

T = TypeVar("T")

# Batches fetched at once; bounds the page bodies held in memory (batch_size x this x page size).
MAX_BATCHES_IN_FLIGHT = 8
# Pages per extraction job in the worker processes (~0.25 s of work: small enough to share a batch out).
EXTRACT_CHUNK = 25


def fetch_policy(settings: Settings) -> FetchPolicy:
    """The fetcher's policy from run settings."""
    agent = settings.user_agent
    if settings.contact_url and settings.contact_url not in agent:
        agent = f"{agent} (+{settings.contact_url})"
    return FetchPolicy(
        user_agent=agent,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        total_timeout=settings.total_timeout,
        max_bytes=settings.max_bytes,
        max_redirects=settings.max_redirects,
        retries=settings.retries,
        max_retry_after=settings.max_retry_after,
        per_host_concurrency=settings.per_host_concurrency,
        per_host_delay=settings.per_host_delay,
        concurrency=settings.concurrency,
        allow_private=settings.allow_private,
        allow_hosts=settings.allow_hosts,
        max_crawl_delay=settings.max_crawl_delay,
        crawl_delay_over_cap="skip" if settings.crawl_delay_over_cap == "skip" else "cap",  # validated in Settings
    )


def dedup_params(settings: Settings) -> DedupParams:
    return DedupParams(
        num_perm=settings.num_perm, shingle_size=settings.shingle_size, threshold=settings.dedup_threshold
    )


ProgressHook = Callable[[Stage, int, int], None]
_progress_hooks: list[ProgressHook] = []


@contextmanager
def progress_hook(hook: ProgressHook) -> Iterator[None]:
    """Call `hook(stage, done, total)` as the flows in this process advance (the CLI's progress bars)."""
    _progress_hooks.append(hook)
    try:
        yield
    finally:
        _progress_hooks.remove(hook)


def _progress(stage: Stage, done: int, total: int) -> None:
    for hook in _progress_hooks:
        hook(stage, done, total)


# Network tasks retry as a whole once: for trouble with the whole batch (the fetcher's own retries and
# back-off cover single URLs). Each URL's outcome is recorded, so a retried batch writes no duplicates.
@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10)
async def discover(
    fetcher: Fetcher, sources: Sequence[Source], db: str, limit: int, max_sitemap_urls: int = 100_000
) -> list[Discovery]:
    """Feeds and sitemaps of every source, concurrently."""
    urls = [u for s in sources for u in (*s.feeds, *s.sitemaps)]
    with connect(db, read_only=True) as con:
        states = seen_states(con, urls)
        known = {s.name: known_sitemaps(con, s.name) for s in sources}
        states.update(seen_states(con, [u for k in known.values() for u in k]))
    validators = {u: Validators(s.etag, s.last_modified) for u, s in states.items()}
    return list(
        await asyncio.gather(
            *(
                discover_source(
                    fetcher,
                    s,
                    validators=validators,
                    known_sitemaps=known[s.name],
                    limit=limit,
                    max_sitemap_urls=max_sitemap_urls,
                )
                for s in sources
            )
        )
    )


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10)
async def fetch(fetcher: Fetcher, batch: Sequence[PlannedFetch]) -> list[Fetched]:
    """Fetch a batch of article URLs concurrently, within the fetcher's politeness limits."""
    return await fetcher.fetch_all(
        [p.candidate.address for p in batch],
        kind="article",
        validators={p.candidate.address: p.validators for p in batch if p.validators},
    )


# extract, load and dedupe are async tasks over synchronous cores run elsewhere (extract in worker processes
# or a thread, load and dedupe in a thread): called from the async
# flow, a sync task costs ~110 ms of Prefect overhead per call and an async one ~12 ms (Prefect 3.9.1,
# measured in README "Scaling out"), and the event loop goes on fetching while they work.
@task(cache_policy=NO_CACHE)
async def extract(
    batch: Sequence[PlannedFetch],
    responses: Sequence[Fetched],
    pool: Executor | None = None,
    timeout: float = EXTRACT_TIMEOUT,
) -> BatchRows:
    """Extract each fetched page of a batch into the rows to load, in `pool` (default: a thread).

    In the worker processes a batch goes as chunks of EXTRACT_CHUNK pages, so that every worker takes part in
    the last batches of a run instead of one extracting a whole batch while the others wait.
    """
    loop = asyncio.get_running_loop()
    size = EXTRACT_CHUNK if pool is not None else max(len(batch), 1)
    parts = await asyncio.gather(
        *(
            loop.run_in_executor(
                pool, partial(extract_batch, timeout=timeout), batch[i : i + size], responses[i : i + size]
            )
            for i in range(0, len(batch), size)
        )
    )
    return BatchRows.joined(parts)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
async def load(db: str, run_id: str, rows: BatchRows) -> dict[str, LoadResult]:
    """Write one batch in one transaction (retried as a whole if the file is locked)."""
    return await asyncio.to_thread(load_batch, db, run_id, rows)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
async def dedupe(db: str, run_id: str, params: DedupParams, memory_limit: str | None = None) -> tuple[DedupResult, int]:
    """Sign pending articles and give them cluster ids, in one transaction; also the run's new clusters."""
    return await asyncio.to_thread(_assign_clusters, db, run_id, params, memory_limit)


def load_batch(db: str, run_id: str, rows: BatchRows) -> dict[str, LoadResult]:
    """Write one batch in one transaction; the articles' load result per source."""
    by_source: dict[str, list[ArticleRow]] = {}
    for article in rows.articles:
        by_source.setdefault(article.source, []).append(article)
    with writing(db) as con:
        loaded = {source: load_articles(con, run_id, articles) for source, articles in by_source.items()}
        load_aliases(con, rows.aliases)
        load_fetches(con, run_id, rows.fetches)
        load_seen(con, run_id, rows.seen)
        load_errors(con, run_id, rows.errors)
    return loaded


def _assign_clusters(db: str, run_id: str, params: DedupParams, memory_limit: str | None) -> tuple[DedupResult, int]:
    with writing(db, memory_limit=memory_limit) as con:
        return assign_clusters(con, run_id, params), count_new_clusters(con, run_id)


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
    summary = await _run(log, "ingest", sources, settings, _select(config.sources, source_names))
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
    summary = await _run(log, "backfill", sources, settings, _select(config.sources, source_names))
    return asdict(summary)


async def _run(log: Any, flow_name: str, sources: str, settings: Settings, selected: list[Source]) -> RunSummary:
    """One crawl of `selected` into the database, recorded in `runs` and published as artifacts."""
    run_id = flow_run.id or uuid.uuid4().hex
    Path(settings.db).parent.mkdir(parents=True, exist_ok=True)
    summary = RunSummary(run_id=run_id, db=settings.db, sources=len(selected))
    started = utcnow()
    with writing(settings.db) as con:
        start_run(con, run_id, started_at=started, params={"sources": sources, **asdict(settings)})
        left_pending = has_pending(con)  # by a run stopped before its dedup step: this one finishes the job

    unexpected = await _crawl(log, flow_name, settings, selected, run_id, summary)
    _progress("dedupe", 0, 1)
    if left_pending or summary.new or summary.updated:
        result, summary.new_clusters = await dedupe(
            settings.db, run_id, dedup_params(settings), settings.db_memory_limit
        )
        log.info(
            "dedupe: %d signed, %d near-duplicate matches, %d merges", result.signed, result.matches, result.merges
        )
    else:  # nothing new, changed or left over: no write, no task run (a re-check run's last ~70 ms)
        result = DedupResult()
        log.info("dedupe: nothing to sign (no new or changed articles)")
    _progress("dedupe", 1, 1)
    summary.duplicates = result.matches
    summary.seconds = (utcnow() - started).total_seconds()
    status = "failed" if unexpected else "completed"
    finished = utcnow()
    with writing(settings.db) as con:
        finish_run(con, run_id, finished_at=finished, status=status, counts=summary.counts())
    await publish_run(summary, flow=flow_name, finished_at=finished)
    if unexpected:
        raise RuntimeError(f"{unexpected} unexpected errors; see the errors table where run_id = {run_id!r}")
    return summary


async def _crawl(
    log: Any, flow_name: str, settings: Settings, sources: Sequence[Source], run_id: str, summary: RunSummary
) -> int:
    """Discovery, then fetch + extract + load batch by batch; returns the count of unexpected errors."""
    async with Fetcher(fetch_policy(settings)) as fetcher:
        plan = await _discover(log, fetcher, settings, sources, run_id, summary)
        unexpected, done = 0, {"fetch": 0, "extract": 0}
        _progress("fetch", 0, len(plan))
        _progress("extract", 0, len(plan))
        progress = ProgressArtifact(flow_name)
        progress.update(0, len(plan), stage="fetch + extract + load")
        # One host per batch, batches concurrently: a slow or Crawl-delayed host holds up only its own
        # batches. Each batch is extracted and loaded as soon as it is fetched.
        in_flight = asyncio.Semaphore(MAX_BATCHES_IN_FLIGHT)
        offload = _distributed()
        batches = host_batches(plan, settings.batch_size)
        workers = 1 if offload else settings.extract_workers

        # Each batch is extracted as soon as it is fetched, while other batches are fetched; loading (one
        # writer) takes them as they finish. Big inputs are quoted: Prefect would otherwise walk
        # every page of them looking for futures (~1 ms per batch and page list).
        async def fetch_and_extract(
            batch: list[PlannedFetch], pool: ExtractionPool
        ) -> tuple[list[PlannedFetch], BatchRows]:
            async with in_flight:
                responses = await fetch(fetcher, _quoted(batch))
                done["fetch"] += len(batch)
                _progress("fetch", done["fetch"], len(plan))
                if not any(r.ok for r in responses):  # all 304, failed or skipped: rows only, no extraction
                    return batch, extract_batch(batch, responses)
                if not offload:
                    executor = pool.executor_for(responses)
                    return batch, await extract(_quoted(batch), _quoted(responses), executor, settings.extract_timeout)
                # Dask: extraction runs on a worker while this process goes on fetching other batches.
                # PrefectFuture[BatchRows]; typed as a coroutine's
                future: Any = extract.submit(batch, responses, timeout=settings.extract_timeout)
                return batch, await asyncio.to_thread(future.result)

        async def load_ready(ready: tuple[list[PlannedFetch], BatchRows]) -> int:
            batch, rows = ready
            done["extract"] += len(batch)
            _progress("extract", done["extract"], len(plan))
            rows.fetches += fetch_rows(fetcher.robots_fetches)
            fetcher.robots_fetches.clear()
            tally_batch(summary, batch, rows, await load(settings.db, run_id, _quoted(rows)))
            progress.update(done["extract"], len(plan), stage="fetch + extract + load")
            return rows.unexpected

        with ExtractionPool(workers=workers, batches=len(batches)) as pool:
            if not offload and any(p.validators is None for p in plan):  # pages to download, not only re-checks
                pool.warm_up()
            running = {asyncio.ensure_future(fetch_and_extract(b, pool)) for b in batches}
            try:
                while running:
                    finished, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    # Group commit: the batches that finished while the last write ran go in one transaction,
                    # which saves a connection (~50 ms with schema and checkpoint) per batch when they come
                    # in together, as the 304-only batches of a re-check do.
                    unexpected += await load_ready(_combined(f.result() for f in finished))
            finally:
                for rest in running:
                    rest.cancel()
        await progress.flush()
        log.info(
            "fetch: %d fetched, %d stored (%d new, %d updated, %d unchanged), %d errors",
            summary.fetched,
            summary.stored,
            summary.new,
            summary.updated,
            summary.unchanged,
            summary.errors,
        )
    return unexpected


async def _discover(
    log: Any, fetcher: Fetcher, settings: Settings, sources: Sequence[Source], run_id: str, summary: RunSummary
) -> list[PlannedFetch]:
    """Discovery over all sources, its requests loaded, and the article URLs this run will fetch."""
    _progress("discover", 0, len(sources))
    discoveries = await discover(
        fetcher, sources, settings.db, settings.max_articles_per_source, settings.max_sitemap_urls
    )
    _progress("discover", len(sources), len(sources))
    found = BatchRows(fetches=fetch_rows(fetcher.robots_fetches))
    for source, d in zip(sources, discoveries, strict=True):
        found.fetches += fetch_rows(d.responses)
        found.seen += [seen_row(r, source.name, now=utcnow()) for r in d.responses]
        found.errors += d.errors
    fetcher.robots_fetches.clear()
    await load(settings.db, run_id, found)
    candidates = _unique_candidates(d.candidates for d in discoveries)
    tally_discovery(summary, {s.name: d for s, d in zip(sources, discoveries, strict=True)}, candidates)
    log.info("discover: %d article URLs from %d sources", len(candidates), len(sources))
    plan = _plan(settings, candidates, {s.name for s in sources})
    log.info(
        "plan: %d URLs to fetch or re-check (of %d discovered, plus stored recent articles)", len(plan), len(candidates)
    )
    return plan


def _combined(results: Iterable[tuple[list[PlannedFetch], BatchRows]]) -> tuple[list[PlannedFetch], BatchRows]:
    """Several extracted batches as one, to be written in one transaction."""
    parts = list(results)
    return [p for batch, _ in parts for p in batch], BatchRows.joined(rows for _, rows in parts)


def _quoted(value: T) -> T:
    """`value` wrapped so Prefect passes it to a task without walking it for futures (typed as itself)."""
    return cast(T, quote(value))


def _distributed() -> bool:
    """Whether the flow's task runner runs tasks outside this process (Dask), so extraction is submitted."""
    context = FlowRunContext.get()
    return context is not None and not isinstance(context.task_runner, ThreadPoolTaskRunner)


def _plan(settings: Settings, candidates: Sequence[Candidate], names: set[str]) -> list[PlannedFetch]:
    now = utcnow()
    window = timedelta(hours=settings.refetch_window_hours)
    with connect(settings.db, read_only=True) as con:
        known = {c.url for c in candidates}
        recent = [
            Candidate(url, source, published, fetch_url or "", listed=True)  # stored as an article before
            for url, source, fetch_url, published in recent_articles(con, now=now, window=window)
            if source in names
        ]
        every = list(candidates) + [c for c in recent if c.url not in known]
        states = seen_states(con, [c.url for c in every])
    retry_after = timedelta(minutes=settings.retry_failed_after_minutes)
    recent_keys = {c.url for c in recent}
    return plan_fetches(
        every, states, recent=recent_keys, now=now, refetch_window=window, retry_failed_after=retry_after
    )


def _unique_candidates(groups: Any) -> list[Candidate]:
    seen: dict[str, Candidate] = {}
    for group in groups:
        for c in group:
            seen.setdefault(c.url, c)
    return list(seen.values())


def _select(sources: Sequence[Source], names: Sequence[str] | None) -> list[Source]:
    if not names:
        return list(sources)
    unknown = sorted(set(names) - {s.name for s in sources})
    if unknown:
        raise ValueError(f"unknown source names {unknown}; the sources file has {[s.name for s in sources]}")
    return [s for s in sources if s.name in names]
