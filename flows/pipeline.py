"""One run's crawl: a pipeline per source (discover -> plan -> batches) over shared fetching, extraction and one writer.

Each source goes at its own pace: its articles are fetched as soon as its own discovery has found them, and a
source that is slow, failing or past `source_timeout` is cut off with a recorded reason while the others go on.
The pipelines share the run's fetching (each source through its own view of it, Fetcher.for_source, with its
user agent, headers, proxy and timeouts; per-host politeness stays global), the extraction workers and the one
DuckDB writer, which writes batches in the order they are ready, those that wait together in one transaction.
Anything one source or one batch raises becomes its rows in `errors`; only the writer failing, or the process
being told to stop, ends the crawl early. Tasks are thin wrappers over crawl.discover / flows.steps / storage,
each over a batch: a Prefect task run costs ~50 ms of CPU.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar, cast

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from crawl.discover import Budget, Candidate, Discovery, Limits, Problem, discover_source, first_url
from crawl.fetch import Fetched, Fetcher, Validators
from crawl.sources import Source
from extractors.hints import ExtractionHints
from flows.config import Settings
from flows.extraction import EXTRACT_TIMEOUT, ExtractionPool, extract_batch
from flows.publish import ProgressArtifact
from flows.report import RunSummary, Stage, tally_batch, tally_discovery
from flows.runs import innermost, one_line, worth_retrying
from flows.steps import (
    RETRY_SOON,
    BatchRows,
    FetchedBatch,
    PlannedFetch,
    as_article,
    exchanges,
    failed_batch_rows,
    fetch_batch,
    fetch_rows,
    host_batches,
    listing_exchanges,
    plan_fetches,
    seen_row,
    utcnow,
)
from storage.archive import Exchange, WarcArchive
from storage.db import connect, writing
from storage.load import (
    load_aliases,
    load_articles,
    load_errors,
    load_fetches,
    load_pages,
    load_seen,
    mark_gone,
)
from storage.moves import Claim, claimed_canonicals, follow_moves, older_copies_of_moved, return_claimed_rows
from storage.pages import committed_end, stored_responses
from storage.rows import ArticleRow, ErrorRow, LoadResult, SeenRow
from storage.state import SeenState, failed_articles, known_listings, recent_articles, seen_states

T = TypeVar("T")

# How long an article URL whose fetch failed is tried again (every retry_failed_after_minutes) when no listing
# names it any more: a feed that answers 304, or that rolled the item off before the server came back, would
# otherwise hide it for good. URLs a listing still names are retried as long as it does.
RETRY_UNLISTED_FOR = timedelta(days=7)

# Batches fetched at once; bounds the page bodies held in memory (batch_size x this x page size).
MAX_BATCHES_IN_FLIGHT = 8
# Of them, one source's: a batch holds its slot while it waits on its host's pace, so a source of many slow
# batches (a Crawl-delay, pages that trickle, a feed of URLs on many hosts) held all eight until its
# source_timeout, and every later source was cut off at its own without one request (a review). Batches of
# one host gain nothing from more: its requests wait on per_host_concurrency anyway.
MAX_BATCHES_PER_SOURCE = 3
# Pages per extraction job in the worker processes (~0.25 s of work: small enough to share a batch out).
EXTRACT_CHUNK = 25

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


def report_progress(stage: Stage, done: int, total: int) -> None:
    """Tell the progress hooks how far a stage is."""
    for hook in _progress_hooks:
        hook(stage, done, total)


class DatabaseTurns:
    """One DuckDB connection at a time in the flow's process, taken in turns by the threads that write and read.

    DuckDB's Python client is not safe with connections opened from several threads at once: a batch write
    failed with "Table Function with name python_arrow_scan does not exist!" while another source's plan was
    read in a second thread. And a run stopped while a batch is being written (the thread goes on when the
    flow is cancelled) must let that write commit before it records its own end.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @contextmanager
    def turn(self, timeout: float = -1) -> Iterator[bool]:
        """Hold the database for this thread; yields False if `timeout` seconds passed first (then it is not held)."""
        held = self._lock.acquire(timeout=timeout)
        try:
            yield held
        finally:
            if held:
                self._lock.release()


database_turns = DatabaseTurns()


@dataclass(frozen=True, slots=True)
class Listing:
    """What earlier runs left for one source's discovery: validators of its feeds and sitemaps, sitemaps seen,
    and (for a source that autodiscovers them) feeds read."""

    validators: Mapping[str, Validators] = field(default_factory=dict)
    sitemaps: Sequence[str] = ()
    feeds: Sequence[str] = ()


@dataclass(slots=True)
class CrawlResult:
    """How the crawl went, beyond the summary's counts."""

    unexpected: int = 0
    # Sources nothing of which could be read (no feed, sitemap or page answered), with the first reason.
    unreached: dict[str, str] = field(default_factory=dict)


def discovery_limits(settings: Settings) -> Limits:
    """How much of each source discovery reads, from the run's settings."""
    return Limits(
        max_candidates=settings.max_articles_per_source,
        max_items_per_feed=settings.max_items_per_feed,
        max_urls_per_sitemap=settings.max_urls_per_sitemap,
        max_sitemap_urls=settings.max_sitemap_urls,
    )


def listings(con: Any, sources: Sequence[Source], *, archived_only: bool = False) -> dict[str, Listing]:
    """Each source's listing memory, read once at the start of a run (`con`: a DuckDB connection).

    With `archived_only` (archive_listings), only listings whose response is archived get validators: one that
    answers 304 run after run would otherwise never be archived, a revisit needing a response to point at.
    """
    known = {s.name: known_listings(con, s.name, "sitemap") for s in sources}
    feeds = {s.name: known_listings(con, s.name, "feed") if s.autodiscover else [] for s in sources}
    urls = {s.name: list(dict.fromkeys([*s.feeds, *feeds[s.name], *s.sitemaps, *known[s.name]])) for s in sources}
    states = seen_states(con, [u for group in urls.values() for u in group])
    if archived_only:
        archived = stored_responses(con, states)
        states = {url: state for url, state in states.items() if url in archived}
    return {
        s.name: Listing(
            {u: Validators(state.etag, state.last_modified) for u in urls[s.name] if (state := states.get(u))},
            known[s.name],
            feeds[s.name],
        )
        for s in sources
    }


# One discovery per source, not retried: what it fetched is recorded as it goes, and anything it raises is the
# source's error row. Named after the source in the UI.
@task(cache_policy=NO_CACHE, task_run_name="discover-{source.name}")
async def discover(
    fetcher: Fetcher,
    source: Source,
    listing: Listing,
    limits: Limits,
    budget: Budget,
    keep: Callable[[Fetched], None] | None = None,
) -> Discovery:
    """Feeds, sitemaps and links of one source, within its time budget (each listing read handed to `keep`)."""
    return await discover_source(
        fetcher,
        source,
        validators=listing.validators,
        known_sitemaps=listing.sitemaps,
        known_feeds=listing.feeds,
        limits=limits,
        budget=budget,
        keep=keep,
    )


# Network tasks retry as a whole once: for trouble with the whole batch (the fetcher's own retries and
# back-off cover single URLs). Each URL's outcome is recorded, so a retried batch writes no duplicates.
@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10)
async def fetch(fetcher: Fetcher, batch: Sequence[PlannedFetch], budget: Budget | None = None) -> FetchedBatch:
    """Fetch a batch of article URLs concurrently, within the fetcher's politeness and the source's budget."""
    return await fetch_batch(fetcher, batch, budget=budget)


# extract and load are async tasks over synchronous cores run elsewhere (extract in worker processes or a
# thread, load in a thread): called from the async flow, a sync task costs ~110 ms of Prefect overhead per
# call and an async one ~12 ms (Prefect 3.9.1, measured in README "Scaling out"), and the event loop goes on
# fetching while they work.
@task(cache_policy=NO_CACHE)
async def extract(
    batch: Sequence[PlannedFetch],
    responses: Sequence[Fetched],
    pool: Executor | None = None,
    timeout: float = EXTRACT_TIMEOUT,
    hints: ExtractionHints | None = None,
) -> BatchRows:
    """Extract each fetched page of a batch (of one source, with its `hints`) into the rows to load, in `pool`
    (default: a thread).

    In the worker processes a batch goes as chunks of EXTRACT_CHUNK pages, so that every worker takes part in
    the last batches of a run instead of one extracting a whole batch while the others wait.
    """
    loop = asyncio.get_running_loop()
    size = EXTRACT_CHUNK if pool is not None else max(len(batch), 1)
    parts = await asyncio.gather(
        *(
            loop.run_in_executor(
                pool, partial(extract_batch, timeout=timeout, hints=hints), batch[i : i + size], responses[i : i + size]
            )
            for i in range(0, len(batch), size)
        )
    )
    return BatchRows.joined(parts)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5, retry_condition_fn=worth_retrying)
async def load(
    db: str, run_id: str, rows: BatchRows, archive: WarcArchive | None = None, pages: Sequence[Exchange] = ()
) -> dict[str, LoadResult]:
    """Write one batch in one transaction (retried as a whole if the file is locked), its pages archived first."""
    return await asyncio.to_thread(load_batch, db, run_id, rows, archive, pages)


def load_batch(
    db: str, run_id: str, rows: BatchRows, archive: WarcArchive | None = None, pages: Sequence[Exchange] = ()
) -> dict[str, LoadResult]:
    """Write one batch in one transaction; the articles' load result per source.

    The pages' WARC records are written and fsynced before the rows that point at them commit: a process
    killed in between leaves records no row points at, which the next writer cuts off (storage/archive.py). A
    transaction that fails takes its records back at once, so that its retry does not archive them twice.
    """
    archiving = False  # set once this batch writes to the archive: before that, its last batch is committed

    def take_back() -> None:
        if archiving and archive is not None:
            archive.discard_batch()

    with database_turns.turn(), writing(db, rolled_back=take_back) as con:
        if archive is not None and pages:
            refers = stored_responses(con, [p.url for p in pages], archive.directory)  # a 304, or a 200 maybe unchanged
            archiving = True
            written = archive.write(pages, refers_to=refers.get, committed_end=partial(committed_end, con))
            load_pages(con, run_id, written)
            skipped = [
                ErrorRow("archive", None, "ArchiveFileSkipped", problem, utcnow()) for problem in archive.problems
            ]
            skipped += [ErrorRow("archive", url, "NotArchived", why, utcnow()) for url, why in archive.not_archived]
            load_errors(con, run_id, skipped)
        loaded = load_rows(con, run_id, rows)
    if archive is not None:
        archive.problems.clear()  # recorded: committed with the batch
        archive.not_archived.clear()
        if archiving:
            archive.committed()  # what goes wrong noting it is recorded with the next batch
    return loaded


def load_rows(con: duckdb.DuckDBPyConnection, run_id: str, rows: BatchRows) -> dict[str, LoadResult]:
    """A batch's rows, in the caller's transaction; the articles' load result per source."""
    return_claimed_rows(con, rows.articles)  # a row a template's canonical took goes back to its own page
    rows = _own_addresses(rows, claimed_canonicals(con, rows.articles))
    rows = _to_their_articles(rows, older_copies_of_moved(con, rows.articles))
    by_source: dict[str, list[ArticleRow]] = {}
    for article in rows.articles:
        by_source.setdefault(article.source, []).append(article)
    follow_moves(con, rows.seen, rows.articles)  # before the articles: a moved one updates its row, not a second one
    loaded = {source: load_articles(con, run_id, articles) for source, articles in by_source.items()}
    load_aliases(con, rows.aliases)
    load_fetches(con, run_id, rows.fetches)
    load_seen(con, run_id, rows.seen)
    mark_gone(con, run_id, rows.gone)
    load_errors(con, run_id, rows.errors)
    load_pages(con, run_id, rows.pages)
    return loaded


def _own_addresses(rows: BatchRows, claims: Sequence[Claim]) -> BatchRows:
    """The batch with each claimed article under its page's own address (its crawl memory and aliases with it),
    and an errors row saying why. A new BatchRows: a load retried after a locked file starts from the same rows."""
    if not claims:
        return rows
    articles, seen, aliases = list(rows.articles), list(rows.seen), list(rows.aliases)
    errors = list(rows.errors)
    for claim in claims:
        row = articles[claim.index]
        articles[claim.index] = replace(row, url=claim.own_url)
        seen = [
            replace(s, article_url=claim.own_url) if s.url == claim.own_url and s.article_url == row.url else s
            for s in seen
        ]
        aliases = [a for a in aliases if not (a.alias_url == claim.own_url and a.url == row.url)]
        errors.append(ErrorRow("extract", claim.own_url, "CanonicalIgnored", claim.message, row.fetched_at))
    return replace(rows, articles=articles, seen=seen, aliases=aliases, errors=errors)


def _to_their_articles(rows: BatchRows, copies: Sequence[tuple[int, str]]) -> BatchRows:
    """The batch with each older copy of a moved article under the article's address (see older_copies_of_moved)."""
    if not copies:
        return rows
    articles, seen = list(rows.articles), list(rows.seen)
    for index, target in copies:
        old = articles[index].url
        articles[index] = replace(articles[index], url=target)
        seen = [replace(s, article_url=target) if s.article_url == old else s for s in seen]
    return replace(rows, articles=articles, seen=seen)


class _SourceTurns:
    """A source's way into the run's batch slots: at most MAX_BATCHES_PER_SOURCE of them, taken before a run-wide
    slot so that its waiting batches never queue ahead of another source's; and its clock, stopped while none of
    its batches holds a slot. A source waiting behind the others' batches is not using its source_timeout: many
    sources queued from the run's start were cut off at it without one request (a review, 2026-12). Up to
    source_timeout of waiting is not counted (Budget)."""

    def __init__(self, budget: Budget, run_slots: asyncio.Semaphore) -> None:
        self._budget = budget
        self._run_slots = run_slots
        self._own_slots = asyncio.Semaphore(MAX_BATCHES_PER_SOURCE)
        self._working = 0
        budget.pause()  # until its first batch has a slot

    async def __aenter__(self) -> None:
        await self._own_slots.acquire()
        try:
            await self._run_slots.acquire()
        except BaseException:  # cancelled while waiting: the source's slot is not kept
            self._own_slots.release()
            raise
        self._working += 1
        self._budget.resume()

    async def __aexit__(self, *exc_info: object) -> None:
        self._working -= 1
        if not self._working:
            self._budget.pause()
        self._run_slots.release()
        self._own_slots.release()


@dataclass(slots=True)
class _Ready:
    """Rows waiting for the writer; `batch` is empty for a source's discovery and source-level rows."""

    batch: list[PlannedFetch]
    rows: BatchRows
    pages: list[Exchange] = field(default_factory=list)  # to archive before the rows commit


class Crawl:
    """The crawl of one run: `run` starts a pipeline per source and returns once every row is written."""

    def __init__(
        self,
        log: Any,
        flow: str,
        settings: Settings,
        run_id: str,
        summary: RunSummary,
        fetcher: Fetcher,
        archive: WarcArchive | None = None,
    ) -> None:
        self.log, self.settings, self.run_id, self.summary, self.fetcher = log, settings, run_id, summary, fetcher
        self.archive = archive
        self.result = CrawlResult()
        self.progress = ProgressArtifact(flow)
        self._ready: asyncio.Queue[_Ready | None] = asyncio.Queue()
        self._in_flight = asyncio.Semaphore(MAX_BATCHES_IN_FLIGHT)
        self._claimed: dict[str, str] = {}  # article URL -> the source whose pipeline fetches it
        self._reached: set[str] = set()
        self._reasons: dict[str, str] = {}
        self._planned, self._fetched, self._written, self._discovered = 0, 0, 0, 0
        self._offload = distributed()
        self._pool = ExtractionPool(workers=1 if self._offload else settings.extract_workers, batches=0)
        self._limits = discovery_limits(settings)

    async def run(self, sources: Sequence[Source], listings: Mapping[str, Listing]) -> CrawlResult:
        report_progress("discover", 0, len(sources))
        try:
            with self._pool:
                async with asyncio.TaskGroup() as writer:
                    writer.create_task(self._write())
                    async with asyncio.TaskGroup() as pipelines:
                        for source in sources:
                            pipelines.create_task(self._source(source, listings.get(source.name, Listing())))
                    await self._ready.put(None)
        except BaseExceptionGroup as group:
            raise single_error(group) from None
        self.result.unreached = {
            s.name: self._reasons.get(s.name, "no answer") for s in sources if s.name not in self._reached
        }
        self.progress.update(self._written, self._planned, stage="fetch + extract + load")
        await self.progress.flush()
        return self.result

    async def _source(self, source: Source, listing: Listing) -> None:
        try:
            await self._pipeline(source, listing)
        except Exception as exc:  # per-source boundary: anything else this source raised is its error row
            message = f"source {source.name!r} stopped: {one_line(exc)}"
            self._reasons.setdefault(source.name, message)
            self.summary.add(source.name, errors=1)
            self.result.unexpected += 1
            row = ErrorRow("source", first_url(source), type(innermost(exc)).__name__, message, utcnow())
            await self._ready.put(_Ready([], BatchRows(errors=[row])))

    async def _pipeline(self, source: Source, listing: Listing) -> None:
        budget = Budget.starting_now(self.settings.source_timeout)
        fetcher = self.fetcher.for_source(source.fetch_policy(self.settings.fetch))
        discovery = await discover(fetcher, source, listing, self._limits, budget, self._archiver(source))
        candidates = [c for c in discovery.candidates if self._claimed.setdefault(c.url, source.name) == source.name]
        if discovery.cut_off:
            self._record_discovery(source, discovery, candidates, {})
            return
        try:
            plan, left = self._capped(source, await self._plan(source, candidates))
        except BaseException:  # the source's error row says why; what discovery did is recorded all the same
            self._record_discovery(source, discovery, candidates, {})
            raise
        # Link pages discovery read whole that are planned as articles too: extracted as read, not asked for again.
        reused = {p.candidate.url: discovery.pages[p.candidate.url] for p in plan if p.candidate.url in discovery.pages}
        self._record_discovery(source, discovery, candidates, reused)
        batches = host_batches(plan, self.settings.batch_size)
        self._pool.expect(len(batches))
        downloads = any(p.validators is None for p in plan)  # pages to download, not only re-checks
        if downloads and not self._offload and not self._pool.started and self._pool.workers > 1:
            self._pool.warm_up()
        turns = _SourceTurns(budget, self._in_flight)
        outcomes = await asyncio.gather(
            *(self._batch(fetcher, source, batch, budget, reused, turns) for batch in batches)
        )
        cut_off = sum(cut for cut, _ in outcomes)
        if cut_off:
            waited = (
                f"; it also waited {budget.waited_in_all:.0f} s for other sources' batches, {budget.waited:.0f} s of "
                "them not counted"
                if budget.waited_in_all >= 1
                else ""
            )
            message = (
                f"source {source.name!r} cut off after {budget.seconds:g} s (source_timeout){waited}: {cut_off} of "
                f"its {len(plan)} article URLs not fetched; they wait for the next run"
            )
            row = ErrorRow("source", first_url(source), "SourceTimeout", message, utcnow())
            self.summary.add(source.name, errors=1)
            await self._ready.put(_Ready([], BatchRows(errors=[row])))
        elif all(clean for _, clean in outcomes) and not left:
            # Only now may its feeds and sitemaps be asked "changed since?": a 304 next run must not hide an
            # article this run listed but did not get to (written after, or with, the source's last batch).
            await self._ready.put(_Ready([], BatchRows(seen=_listing_rows(source, discovery, validators=True))))

    def _archiver(self, source: Source) -> Callable[[Fetched], None] | None:
        """With archive_listings, each feed, sitemap and link page discovery reads goes to the writer to be
        archived as soon as it is read, so that a source's listings are not all held until its discovery ends."""
        if self.archive is None or not self.settings.archive_listings:
            return None

        def keep(response: Fetched) -> None:
            if pages := listing_exchanges(source.name, [response]):
                self._ready.put_nowait(_Ready([], BatchRows(), pages))

        return keep

    def _capped(self, source: Source, plan: list[PlannedFetch]) -> tuple[list[PlannedFetch], int]:
        """The plan within the source's max_pages, and how many URLs wait for later runs (with a row saying so).

        New URLs go first, in discovery order, then re-checks: re-checking what is stored must not use up the
        cap run after run while new articles wait.
        """
        cap = source.max_pages or self.settings.max_pages
        if cap is None or len(plan) <= cap:
            return plan, 0
        plan = sorted(plan, key=lambda planned: planned.validators is not None)
        message = (
            f"source {source.name!r}: {len(plan) - cap} of {len(plan)} article URLs left for later runs "
            f"(max_pages={cap}); new URLs first, in discovery order, then re-checks"
        )
        row = ErrorRow("source", first_url(source), "PagesCapped", message, utcnow())
        self._ready.put_nowait(_Ready([], BatchRows(errors=[row])))
        self._planned -= len(plan) - cap
        return plan[:cap], len(plan) - cap

    def _record_discovery(
        self, source: Source, discovery: Discovery, candidates: list[Candidate], reused: Mapping[str, Fetched]
    ) -> None:
        """Discovery's requests, errors and listings, to be written; the requests of `reused` pages are written
        with their batch, as the article fetches they now are."""
        if discovery.reached:
            self._reached.add(source.name)
        reasons = discovery.failure_reasons()
        if reasons:
            self._reasons.setdefault(source.name, reasons[0])
        if not discovery.reached and not discovery.cut_off:
            message = f"source {source.name!r}: no feed, sitemap or page could be read: " + "; ".join(reasons[:3])
            discovery.errors.append(Problem("source", first_url(source), "SourceUnreachable", message, utcnow()))
        tally_discovery(self.summary, {source.name: discovery}, candidates)
        errors = [ErrorRow(p.stage, p.url, p.error_type, p.message, p.occurred_at) for p in discovery.errors]
        handed_over = {page.url for page in reused.values()}
        requests = [r for r in discovery.responses if not (r.kind == "page" and r.url in handed_over)]
        rows = BatchRows(fetches=fetch_rows(requests), errors=errors)
        rows.seen = _listing_rows(source, discovery, validators=False)
        self._ready.put_nowait(_Ready([], rows))
        self._discovered += 1
        report_progress("discover", self._discovered, self.summary.sources)
        self.log.info(
            "discover: %r: %d article URLs%s",
            source.name,
            len(candidates),
            f" ({discovery.cut_off})" if discovery.cut_off else "",
        )

    async def _plan(self, source: Source, candidates: list[Candidate]) -> list[PlannedFetch]:
        now, window = utcnow(), timedelta(hours=self.settings.refetch_window_hours)
        recent, states = await asyncio.to_thread(_plan_inputs, self.settings.db, source.name, candidates, now, window)
        known = {c.url for c in candidates}
        # Recent stored articles this run's discovery did not list are re-checked too; those it did list are
        # re-checked as candidates (still recent, so `recent` names them all).
        unlisted = [
            c for c in recent if c.url not in known and self._claimed.setdefault(c.url, source.name) == source.name
        ]
        plan = plan_fetches(
            [*candidates, *unlisted],
            states,
            recent={c.url for c in recent},
            now=now,
            refetch_window=window,
            retry_failed_after=timedelta(minutes=self.settings.retry_failed_after_minutes),
        )
        self._planned += len(plan)
        self.log.info(
            "plan: %r: %d URLs to fetch or re-check (of %d discovered, plus stored recent articles)",
            source.name,
            len(plan),
            len(candidates),
        )
        return plan

    async def _batch(
        self,
        fetcher: Fetcher,
        source: Source,
        batch: list[PlannedFetch],
        budget: Budget,
        reused: Mapping[str, Fetched],
        turns: _SourceTurns,
    ) -> tuple[int, bool]:
        """Fetch and extract one batch and hand its rows to the writer: (URLs cut off, whether all went well).

        Its URLs in `reused` are not fetched: discovery read them whole already."""
        async with turns:
            pages: list[Exchange] = []
            try:
                requested = [p for p in batch if p.candidate.url not in reused]
                fetched = await fetch(fetcher, quoted(requested), budget) if requested else FetchedBatch()
                for planned in batch:
                    if (page := reused.get(planned.candidate.url)) is not None:
                        fetched.answered.append(planned)
                        fetched.responses.append(as_article(page))
            except Exception as exc:  # per-batch boundary: every URL of it gets the error row
                rows = failed_batch_rows("fetch", batch, exc)
            else:
                rows = await self._extracted(fetched, source.hints)
                if self.archive is not None:
                    pages = exchanges(fetched.answered, fetched.responses)
            self._fetched += len(batch)
            report_progress("fetch", self._fetched, self._planned)
        await self._ready.put(_Ready(batch, rows, pages))
        return sum(e.error_type == "SourceTimeout" for e in rows.errors), rows.unexpected == 0

    async def _extracted(self, fetched: FetchedBatch, hints: ExtractionHints | None) -> BatchRows:
        batch, responses = fetched.answered, fetched.responses
        try:
            if not any(r.ok for r in responses):  # all 304, failed or skipped: rows only, no extraction
                rows = extract_batch(batch, responses)
            elif not self._offload:
                executor = self._pool.executor_for(responses)
                timeout = self.settings.extract_timeout
                rows = await extract(quoted(batch), quoted(responses), executor, timeout, hints)
            else:  # Dask: extraction runs on a worker while this process goes on fetching other batches.
                # PrefectFuture[BatchRows]; typed as a coroutine's
                future: Any = extract.submit(batch, responses, timeout=self.settings.extract_timeout, hints=hints)
                rows = await asyncio.to_thread(future.result)
        except Exception as exc:  # per-batch boundary (a worker process died, say): the pages' error rows
            rows = failed_batch_rows("extract", batch, exc)
            rows.fetches = fetch_rows(responses)
        rows.errors += fetched.errors
        rows.fetches += fetched.fetches
        rows.unexpected += fetched.unexpected
        return rows

    async def _write(self) -> None:
        """The run's one writer: rows in the order they are ready; those that waited together in one transaction.

        Group commit saves a connection (~50 ms with schema and checkpoint) per batch when batches come in
        together, as the 304-only batches of a re-check do.
        """
        while True:
            ready = [await self._ready.get()]
            while not self._ready.empty():
                ready.append(self._ready.get_nowait())
            parts = [r for r in ready if r is not None]
            if parts:
                await self._write_parts(parts)
            if None in ready:
                return

    async def _write_parts(self, parts: list[_Ready]) -> None:
        rows = BatchRows.joined(p.rows for p in parts)
        rows.fetches += fetch_rows(self.fetcher.take_robots_responses())
        pages = [page for p in parts for page in p.pages]
        loaded = await load(self.settings.db, self.run_id, quoted(rows), self.archive, quoted(pages))
        articles = [p for p in parts if p.batch]
        batch = [planned for p in articles for planned in p.batch]
        tally_batch(self.summary, batch, BatchRows.joined(p.rows for p in articles), loaded)
        self.result.unexpected += sum(p.rows.unexpected for p in articles)
        self._written += len(batch)
        report_progress("extract", self._written, self._planned)
        self.progress.update(self._written, self._planned, stage="fetch + extract + load")


def _plan_inputs(
    db: str, source: str, candidates: Sequence[Candidate], now: Any, window: timedelta
) -> tuple[list[Candidate], dict[str, SeenState]]:
    """The source's stored recent articles (to re-check) and the crawl memory of every URL it may fetch.

    A read-write connection, like the writer's: DuckDB refuses a read-only one in a process that has a
    read-write one open (the dedup step's, if a stopped run left it behind).
    """
    with database_turns.turn(), connect(db) as con:
        recent = [
            # Stored as an article before; its stored date stands in for the page's, as its listing's would.
            Candidate(url, name, published, fetch_url or "", listed=True, published_from=dated_by)
            for url, name, fetch_url, published, dated_by in recent_articles(con, now=now, window=window)
            if name == source
        ]
        # Failed before: tried again when due (plan_fetches) even if no listing names them this run.
        failed = failed_articles(con, source, now=now, horizon=RETRY_UNLISTED_FOR, retry_reasons=RETRY_SOON)
        recent += [
            Candidate(url, source, fetch_url=fetch_url or "", listed=listed) for url, fetch_url, listed in failed
        ]
        states = seen_states(con, [c.url for c in [*candidates, *recent]])
    return recent, states


def _listing_rows(source: Source, discovery: Discovery, *, validators: bool) -> list[SeenRow]:
    """Crawl memory for a source's feed, sitemap and page requests; their validators only when asked."""
    now = utcnow()
    return [
        seen_row(r if validators else replace(r, etag=None, last_modified=None), source.name, now=now)
        for r in discovery.responses
        if validators is False or r.etag or r.last_modified
    ]


def single_error(group: BaseExceptionGroup[Any]) -> BaseException:
    """The one exception inside nested task groups, else the group: "unhandled errors in a TaskGroup" says nothing."""
    inner: BaseException = group
    while isinstance(inner, BaseExceptionGroup) and len(inner.exceptions) == 1:
        inner = inner.exceptions[0]
    return inner


def quoted(value: T) -> T:
    """`value` wrapped so Prefect passes it to a task without walking it for futures (typed as itself)."""
    return cast(T, quote(value))


def distributed() -> bool:
    """Whether the flow's task runner runs tasks outside this process (Dask), so extraction is submitted."""
    context = FlowRunContext.get()
    return context is not None and not isinstance(context.task_runner, ThreadPoolTaskRunner)
