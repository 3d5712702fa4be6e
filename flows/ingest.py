"""The `ingest` Prefect flow: discover -> fetch + extract (batches) -> load -> dedupe -> summary.

Tasks are thin wrappers over flows.discover / flows.steps / storage; each works on a batch, because a
Prefect task run costs ~25 ms. The flow is the only DuckDB writer and holds the write connection
per batch, so readers get in between batches and a killed run loses at most one batch.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from extractors.fingerprint import DedupParams
from flows.config import Settings, Source, load_config
from flows.discover import Candidate, Discovery, discover_source
from flows.fetch import Fetched, Fetcher, FetchPolicy, Validators
from flows.steps import (
    BatchRows,
    PlannedFetch,
    fetch_rows,
    host_batches,
    plan_fetches,
    rows_for_page,
    seen_row,
    utcnow,
)
from storage.db import connect, writing
from storage.dedup import DedupResult, assign_clusters
from storage.load import (
    finish_run,
    load_aliases,
    load_articles,
    load_errors,
    load_fetches,
    load_seen,
    start_run,
)
from storage.rows import ErrorRow, LoadResult
from storage.state import known_sitemaps, recent_articles, seen_states

# Batches fetched at once; bounds the page bodies held in memory (batch_size x this x page size).
MAX_BATCHES_IN_FLIGHT = 8


@dataclass(slots=True)
class RunSummary:
    """What one ingest run did; also written to the `runs` table."""

    run_id: str
    db: str
    sources: int = 0
    discovered: int = 0
    fetched: int = 0
    stored: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    errors: int = 0
    seconds: float = 0.0
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        keys = (
            "sources",
            "discovered",
            "fetched",
            "stored",
            "new",
            "updated",
            "unchanged",
            "duplicates",
            "errors",
        )
        return {k: getattr(self, k) for k in keys}


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
    )


def dedup_params(settings: Settings) -> DedupParams:
    return DedupParams(
        num_perm=settings.num_perm, shingle_size=settings.shingle_size, threshold=settings.dedup_threshold
    )


@task(cache_policy=NO_CACHE)
async def discover(fetcher: Fetcher, sources: Sequence[Source], db: str, limit: int) -> list[Discovery]:
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
                discover_source(fetcher, s, validators=validators, known_sitemaps=known[s.name], limit=limit)
                for s in sources
            )
        )
    )


@task(cache_policy=NO_CACHE)
async def fetch(fetcher: Fetcher, batch: Sequence[PlannedFetch]) -> list[Fetched]:
    """Fetch a batch of article URLs concurrently, within the fetcher's politeness limits."""
    return await fetcher.fetch_all(
        [p.candidate.address for p in batch],
        kind="article",
        validators={p.candidate.address: p.validators for p in batch if p.validators},
    )


@task(cache_policy=NO_CACHE)
def extract(batch: Sequence[PlannedFetch], responses: Sequence[Fetched]) -> BatchRows:
    """Extract each fetched page of a batch into the rows to load."""
    rows, now = BatchRows(), utcnow()
    for planned, response in zip(batch, responses, strict=True):
        try:
            rows.extend(rows_for_page(response, planned.candidate, now=now))
        except Exception as exc:  # per-item boundary: recorded, counted as unexpected, batch goes on
            rows.errors.append(ErrorRow("extract", response.url, type(exc).__name__, str(exc), now))
            rows.unexpected += 1
    return rows


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def load(db: str, run_id: str, rows: BatchRows) -> LoadResult:
    """Write one batch in one transaction (retried as a whole if the file is locked)."""
    with writing(db) as con:
        result = load_articles(con, run_id, rows.articles)
        load_aliases(con, rows.aliases)
        load_fetches(con, run_id, rows.fetches)
        load_seen(con, run_id, rows.seen)
        load_errors(con, run_id, rows.errors)
    return result


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def dedupe(db: str, run_id: str, params: DedupParams) -> DedupResult:
    """Sign pending articles and give them cluster ids, in one transaction."""
    with writing(db) as con:
        return assign_clusters(con, run_id, params)


def _run_name() -> str:
    started = flow_run.scheduled_start_time or utcnow()
    return f"ingest-{started:%Y-%m-%dT%H-%M}"


@flow(name="ingest", flow_run_name=_run_name)
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
    selected = _select(config.sources, source_names)
    run_id = flow_run.id or uuid.uuid4().hex
    Path(settings.db).parent.mkdir(parents=True, exist_ok=True)
    summary = RunSummary(run_id=run_id, db=settings.db, sources=len(selected))
    started = utcnow()
    with writing(settings.db) as con:
        start_run(con, run_id, started_at=started, params={"sources": sources, **asdict(settings)})

    unexpected = await _crawl(log, settings, selected, run_id, summary)
    result = dedupe(settings.db, run_id, dedup_params(settings))
    summary.duplicates = result.matches
    summary.seconds = (utcnow() - started).total_seconds()
    log.info(
        "dedupe: %d signed, %d near-duplicate matches, %d merges",
        result.signed,
        result.matches,
        result.merges,
    )
    status = "failed" if unexpected else "completed"
    with writing(settings.db) as con:
        finish_run(con, run_id, finished_at=utcnow(), status=status, counts=summary.counts())
    if unexpected:
        raise RuntimeError(f"{unexpected} unexpected errors; see the errors table where run_id = {run_id!r}")
    return asdict(summary)


async def _crawl(log: Any, settings: Settings, sources: Sequence[Source], run_id: str, summary: RunSummary) -> int:
    """Discovery, then fetch + extract + load batch by batch; returns the count of unexpected errors."""
    async with Fetcher(fetch_policy(settings)) as fetcher:
        discoveries = await discover(fetcher, sources, settings.db, settings.max_articles_per_source)
        found = BatchRows(fetches=fetch_rows(fetcher.robots_fetches))
        for source, d in zip(sources, discoveries, strict=True):
            found.fetches += fetch_rows(d.responses)
            found.seen += [seen_row(r, source.name, now=utcnow()) for r in d.responses]
            found.errors += d.errors
        fetcher.robots_fetches.clear()
        load(settings.db, run_id, found)
        candidates = _unique_candidates(d.candidates for d in discoveries)
        summary.discovered = len(candidates)
        summary.errors += len(found.errors) + sum(
            not r.ok and r.outcome != "not_modified" for d in discoveries for r in d.responses
        )
        log.info("discover: %d article URLs from %d sources", len(candidates), len(sources))

        plan = _plan(settings, candidates)
        log.info("plan: %d of %d URLs to fetch", len(plan), len(candidates))
        unexpected = 0
        # One host per batch, batches concurrently: a slow or Crawl-delayed host holds up only its own
        # batches. Each batch is extracted and loaded as soon as it is fetched.
        in_flight = asyncio.Semaphore(MAX_BATCHES_IN_FLIGHT)

        async def fetch_batch(batch: list[PlannedFetch]) -> tuple[list[PlannedFetch], list[Fetched]]:
            async with in_flight:
                return batch, await fetch(fetcher, batch)

        pending = [fetch_batch(b) for b in host_batches(plan, settings.batch_size)]
        for done in asyncio.as_completed(pending):
            batch, responses = await done
            rows = extract(batch, responses)
            rows.fetches += fetch_rows(fetcher.robots_fetches)
            fetcher.robots_fetches.clear()
            loaded = load(settings.db, run_id, rows)
            _count(summary, rows, loaded)
            unexpected += rows.unexpected
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


def _plan(settings: Settings, candidates: Sequence[Candidate]) -> list[PlannedFetch]:
    now = utcnow()
    window = timedelta(hours=settings.refetch_window_hours)
    with connect(settings.db, read_only=True) as con:
        known = {c.url for c in candidates}
        recent = [
            Candidate(url, source, published, fetch_url or "")
            for url, source, fetch_url, published in recent_articles(con, now=now, window=window)
        ]
        every = list(candidates) + [c for c in recent if c.url not in known]
        states = seen_states(con, [c.url for c in every])
    retry_after = timedelta(minutes=settings.retry_failed_after_minutes)
    recent_keys = {c.url for c in recent}
    return plan_fetches(
        every, states, recent=recent_keys, now=now, refetch_window=window, retry_failed_after=retry_after
    )


def _count(summary: RunSummary, rows: BatchRows, loaded: LoadResult) -> None:
    summary.fetched += sum(1 for f in rows.fetches if f.kind == "article" and f.status == 200)
    summary.stored += len(rows.articles)
    summary.new += loaded.new
    summary.updated += loaded.updated
    summary.unchanged += loaded.unchanged + rows.not_modified
    summary.errors += len(rows.errors) + sum(1 for s in rows.seen if s.outcome == "failed")


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
