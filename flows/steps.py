"""The glue between stages: which URLs to fetch, a batch's fetches within its source's budget, and fetched
pages -> rows to load.

Plain functions with no Prefect, so the flow's tasks stay thin and this logic is unit-tested directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import zip_longest
from typing import Any
from urllib.parse import urlsplit

from crawl.discover import Budget, Candidate
from crawl.fetch import REDIRECT_STATUSES, Attempt, Fetched, Fetcher, Validators
from extractors.article import Article, ExtractionError, NotAnArticleError, extract_article
from extractors.charset import UndecodableError, decode_html
from extractors.fingerprint import U32, Scheme
from extractors.hints import ExtractionHints
from extractors.metadata import accessible_for_free
from extractors.urls import InvalidURLError, canonical_problem, canonicalize_url, is_front_page, is_same_site
from flows.runs import innermost, one_line
from storage.archive import Exchange
from storage.rows import AliasRow, ArticleRow, DateSource, ErrorRow, FetchRow, GoneRow, PageRow, SeenRow
from storage.state import SeenState

# Skips that say nothing about the page, only about this run's view of its host: retried as soon as a
# failure would be (retry_failed_after), not a whole refetch window later, and while no listing names them.
# robots.txt is read afresh every run: a section disallowed for one run, then allowed again, kept its stories
# from being fetched for a day, and one that left its feed meanwhile was never fetched (a review's week of
# hourly runs). Checking a URL robots.txt still disallows costs no request.
RETRY_SOON = frozenset({"robots_unreachable", "robots", "guard"})


@dataclass(frozen=True, slots=True)
class PlannedFetch:
    """An article URL to request, conditionally when we hold validators for it."""

    candidate: Candidate
    validators: Validators | None = None


@dataclass(slots=True)
class BatchRows:
    """Everything one batch writes, in one transaction."""

    articles: list[ArticleRow] = field(default_factory=list)
    fetches: list[FetchRow] = field(default_factory=list)
    seen: list[SeenRow] = field(default_factory=list)
    aliases: list[AliasRow] = field(default_factory=list)
    errors: list[ErrorRow] = field(default_factory=list)
    gone: list[GoneRow] = field(default_factory=list)
    # Where pages' records lie in WARC files ingest-warc read (a crawl's go through the archive writer instead).
    pages: list[PageRow] = field(default_factory=list)
    not_modified: int = 0
    unexpected: int = 0
    # The articles' shingles, made where they were extracted (extract_batch's `shingle_with`) for the dedup step,
    # keyed by content_hash; not written.
    shingled: dict[str, tuple[Scheme, U32]] = field(default_factory=dict)

    @classmethod
    def joined(cls, parts: Iterable[BatchRows]) -> BatchRows:
        """The rows of several parts (chunks of a batch, or batches written together) as one."""
        rows = cls()
        for part in parts:
            rows.extend(part)
        return rows

    def extend(self, other: BatchRows) -> None:
        self.articles += other.articles
        self.fetches += other.fetches
        self.seen += other.seen
        self.aliases += other.aliases
        self.errors += other.errors
        self.gone += other.gone
        self.pages += other.pages
        self.not_modified += other.not_modified
        self.unexpected += other.unexpected
        self.shingled |= other.shingled


@dataclass(slots=True)
class FetchedBatch:
    """What fetching a batch gave: the URLs that got a response, with it, and error rows for those that did not.

    A URL gets no response when its source's time budget ran out first, or when fetching it raised something
    unexpected; it is left out of `seen_urls`, so the next run fetches it like a new one.
    """

    answered: list[PlannedFetch] = field(default_factory=list)
    responses: list[Fetched] = field(default_factory=list)
    errors: list[ErrorRow] = field(default_factory=list)
    unexpected: int = 0
    # The requests of URLs cut off by the budget: those that ended, and one for the cut.
    fetches: list[FetchRow] = field(default_factory=list)


async def fetch_batch(fetcher: Fetcher, batch: Sequence[PlannedFetch], *, budget: Budget | None) -> FetchedBatch:
    """Fetch a batch concurrently within the fetcher's politeness, stopping at the budget's deadline."""
    if budget is not None and budget.remaining() <= 0:
        return _not_fetched(batch, budget)  # its turn came after the source's time: no request is sent
    attempts: list[list[Attempt]] = [[] for _ in batch]
    requests = [
        asyncio.ensure_future(fetcher.fetch(p.candidate.address, kind="article", validators=p.validators, attempts=a))
        for p, a in zip(batch, attempts, strict=True)
    ]
    try:
        if requests:
            await asyncio.wait(requests, timeout=None if budget is None else max(budget.remaining(), 0))
    finally:  # also when the run itself is cancelled: no request outlives its batch
        for request in requests:
            request.cancel()
        await asyncio.gather(*requests, return_exceptions=True)
    fetched, now = FetchedBatch(), utcnow()
    for planned, request, made in zip(batch, requests, attempts, strict=True):
        address = planned.candidate.address
        if request.cancelled():
            assert budget is not None  # without a deadline every request ends
            message = (
                f"cut off: source {planned.candidate.source!r} used up its source_timeout of {budget.seconds:g} s"
                " before this URL's fetch ended (it is fetched again next run)"
            )
            fetched.errors.append(ErrorRow("fetch", address, "SourceTimeout", message, now))
            # The requests it made (a slow answer, a Retry-After waited out) are the run's too.
            cut = FetchRow(made[-1].url if made else address, "article", now, None, message, 0, 0, False, "timeout")
            fetched.fetches += [*attempt_rows(made), cut]
        elif isinstance(exc := request.exception(), Exception):  # per-URL boundary: recorded, counted, batch goes on
            fetched.errors.append(ErrorRow("fetch", address, type(innermost(exc)).__name__, one_line(exc), now))
            fetched.unexpected += 1
        elif exc is not None:
            raise exc  # KeyboardInterrupt, a termination signal: the run's to handle
        else:
            fetched.answered.append(planned)
            fetched.responses.append(request.result())
    return fetched


def _not_fetched(batch: Sequence[PlannedFetch], budget: Budget) -> FetchedBatch:
    """The rows of a batch whose source had used up its time before the batch's turn came: each URL's error and its
    fetch-log line (status NULL, reason timeout, nothing sent)."""
    fetched, now = FetchedBatch(), utcnow()
    for planned in batch:
        address = planned.candidate.address
        message = (
            f"not fetched: source {planned.candidate.source!r} had used up its source_timeout of {budget.seconds:g} s"
            " before this URL's turn (it is fetched again next run)"
        )
        fetched.errors.append(ErrorRow("fetch", address, "SourceTimeout", message, now))
        fetched.fetches.append(FetchRow(address, "article", now, None, message, 0, 0, False, "timeout"))
    return fetched


def failed_batch_rows(stage: str, batch: Sequence[PlannedFetch], exc: Exception) -> BatchRows:
    """Rows for a batch whose whole task raised: one error per URL, each counted as unexpected."""
    now, kind, message = utcnow(), type(innermost(exc)).__name__, one_line(exc)
    errors = [ErrorRow(stage, p.candidate.address, kind, message, now) for p in batch]
    return BatchRows(errors=errors, unexpected=len(errors))


def plan_fetches(
    candidates: Iterable[Candidate],
    states: Mapping[str, SeenState],
    *,
    recent: AbstractSet[str],
    now: datetime,
    refetch_window: timedelta,
    retry_failed_after: timedelta,
) -> list[PlannedFetch]:
    """Which article URLs to request this run, and which of them conditionally.

    New URLs are fetched. Stored articles whose key is in `recent`, or whose sitemap lastmod is newer
    than our last check, are re-checked with their validators (a 304 costs no extraction and no write).
    Failed URLs wait `retry_failed_after` (a server that timed out should not cost every run its
    timeout), and so do URLs skipped for what the next run may not meet (robots.txt, the address guard of a run
    without allow_private) and a recent stored article a re-check did not give (a 404 during a CMS's deploy: its
    `gone_at` is cleared by the next fetch that gives it); other skipped ones (404, not HTML) wait a whole
    refetch window.
    """
    planned = []
    for candidate in candidates:
        state = states.get(candidate.url)
        if state is None:
            planned.append(PlannedFetch(candidate))
        elif state.outcome in ("ok", "not_modified"):
            changed = candidate.lastmod is not None and candidate.lastmod > state.last_checked_at
            if candidate.url in recent or changed:
                planned.append(PlannedFetch(candidate, Validators(state.etag, state.last_modified)))
        else:
            soon = (
                state.outcome == "failed"
                or state.reason in RETRY_SOON
                or _recent_article_gone(state, now, refetch_window)
            )
            if now - state.last_checked_at >= (retry_failed_after if soon else refetch_window):
                planned.append(PlannedFetch(candidate))
    return planned


def _recent_article_gone(state: SeenState, now: datetime, window: timedelta) -> bool:
    """Whether the URL gave a stored article published (or first seen, if undated) within `window` of now, and its
    last re-check an HTTP status that may pass (404, 410). One it redirected away, or that is no article (any
    more), waits the window: each request would be another row in `errors`."""
    when = state.published_at or state.first_seen_at
    recent = state.article_url is not None and when is not None and now - when <= window
    return recent and state.reason == "http_status"


def rows_for_page(
    fetched: Fetched, candidate: Candidate, *, now: datetime, hints: ExtractionHints | None = None
) -> BatchRows:
    """Rows for one article fetch: its attempts, its crawl memory, and the article if there is one."""
    rows = BatchRows(fetches=fetch_rows([fetched]))
    key, source = candidate.url, candidate.source
    if fetched.outcome == "not_modified":
        rows.not_modified = 1
        rows.seen.append(seen_row(fetched, source, key=key, now=now, listed=candidate.listed))
        return rows
    if not fetched.ok:
        rows.seen.append(seen_row(fetched, source, key=key, now=now, listed=candidate.listed))
        if fetched.status in GONE_STATUSES:
            rows.gone.append(GoneRow(key, fetched.status, now))
        if fetched.reason == "unexpected":  # recorded in fetches; also an unexpected error of the run
            error_type = (fetched.error or "").partition(":")[0] or "Exception"
            rows.errors.append(ErrorRow("fetch", fetched.url, error_type, fetched.error or "", now))
            rows.unexpected += 1
        return rows
    if (status := redirected_away(fetched, front_page_only=True)) is not None:
        message = f"redirected ({status}) to the site's front page, {fetched.final_url}: the story is no longer there"
        rows.errors.append(ErrorRow("extract", fetched.url, "RedirectedToFrontPage", message, now))
        rows.seen.append(
            seen_row(
                fetched, source, key=key, now=now, listed=candidate.listed, outcome="skipped", reason="redirected_away"
            )
        )
        rows.gone.append(GoneRow(key, status, now))
        return rows
    # An archived page was fetched when its WARC record says; the crawl memory is of this run's look at it.
    fetched_at = fetched.received_at(now)
    try:
        html = decode_html(fetched.body, content_type=fetched.content_type)
        article = extract_article(
            html,
            url=fetched.final_url,
            listed=candidate.listed,
            hints=hints,
            fetched_at=fetched_at,
            # else its listing's date stands in for a missing one; a stored guess is guessed again from these bytes
            guess_date=candidate.published_at is None or candidate.published_from == "guessed",
        )
    except (ExtractionError, UndecodableError) as exc:  # a page whose bytes are no text is skipped, recorded
        rejected = exc.text if isinstance(exc, NotAnArticleError) else None
        rows.errors.append(ErrorRow("extract", fetched.url, type(exc).__name__, str(exc), now, text=rejected))
        reason = "not_an_article" if isinstance(exc, NotAnArticleError) else "extract"
        rows.seen.append(
            seen_row(fetched, source, key=key, now=now, listed=candidate.listed, outcome="skipped", reason=reason)
        )
        if isinstance(exc, NotAnArticleError) and (status := redirected_away(fetched)):
            rows.gone.append(GoneRow(key, status, now))
        return rows
    url, ignored = article_url(article, fetched)
    if ignored:  # said, since two pages declaring one canonical are usually one article
        rows.errors.append(ErrorRow("extract", fetched.url, "CanonicalIgnored", ignored, now))
    row = article_row(article, url=url, source=source, fetched=fetched, now=fetched_at, candidate=candidate)
    rows.articles.append(dataclasses.replace(row, is_accessible_for_free=accessible_for_free(html)))
    rows.aliases += [AliasRow(alias, url, now) for alias in {key, _canonical(fetched.final_url)} - {url}]
    rows.seen.append(
        seen_row(
            fetched, source, key=key, now=now, listed=candidate.listed, article_url=url, published_at=row.published_at
        )
    )
    return rows


# Answers that say a page was taken down (401, 403 and 451 say who may read it, not that it is gone).
GONE_STATUSES = frozenset({404, 410})


def redirected_away(fetched: Fetched, *, front_page_only: bool = False) -> int | None:
    """The redirect's status when a page now sends its readers to the site's front page or a section above it (the
    way publishers take stories down without a 404), else None.

    A front page is never a story's new address. A section is only where nothing there is an article: a story
    at /a/12345/its-headline may well move to /a/12345, so the caller asks about sections only after extraction
    found no article on the page it landed on.
    """
    redirect = next((a.status for a in fetched.attempts if a.status in REDIRECT_STATUSES), None)
    if redirect is None:
        return None
    try:
        requested, landed = canonicalize_url(fetched.url), canonicalize_url(fetched.final_url)
    except InvalidURLError:
        return None
    if requested == landed or not is_same_site(landed, requested):
        return None
    if front_page_only:
        return redirect if is_front_page(landed) and not is_front_page(requested) else None
    return None if canonical_problem(landed, requested) is None else redirect


def article_url(article: Article, fetched: Fetched) -> tuple[str, str | None]:
    """The key of an article: its rel=canonical/og:url when on the same site and not a listing's address (see
    extractors.urls.canonical_problem), else the URL it came from; and why a declared canonical was not used."""
    final = _canonical(fetched.final_url)
    if article.canonical_url:
        try:
            declared = canonicalize_url(article.canonical_url)
        except InvalidURLError:
            return final, None
        if not is_same_site(declared, final):
            return final, None
        if problem := canonical_problem(declared, final):
            return final, f"canonical URL {declared} {problem}; the article is stored under {final}"
        return declared, None
    return final, None


# Article fields stored as they are (the row's url is the key article_url chose; captions and related links
# become pairs). A field both have is copied without naming it here: a new one is one edit (plus the schema).
_COPIED = tuple(
    f.name
    for f in dataclasses.fields(ArticleRow)
    if f.name in {g.name for g in dataclasses.fields(Article)} and f.name != "url"
)


def article_row(
    article: Article, *, url: str, source: str, fetched: Fetched, now: datetime, candidate: Candidate | None = None
) -> ArticleRow:
    """An extracted article as a row of `articles`; without a date of its own, the one its feed or sitemap gave
    (`candidate.published_at`), else the one guessed from its URL or visible dates."""
    published_at = article.published_at
    published_from: DateSource | None = "page" if published_at else None
    # A stored guess is no listing's date: guessed again from the bytes, as reextract does.
    if published_at is None and candidate is not None and candidate.published_from != "guessed":
        if candidate.published_at is not None:
            published_at, published_from = candidate.published_at, candidate.published_from
    if published_at is None and article.guessed_published_at is not None:
        published_at, published_from = article.guessed_published_at, "guessed"
    copied: dict[str, Any] = {name: _plain(getattr(article, name)) for name in _COPIED}
    return ArticleRow(
        **copied | dict(url=url, source=source, published_at=published_at, published_from=published_from),
        content_hash=hashlib.sha256(article.text.encode("utf-8")).hexdigest(),
        fetched_at=now,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        page_url=_canonical(fetched.final_url),
    )


def _plain(value: object) -> object:
    """A tuple of dataclasses (captions, related links) as a tuple of tuples; anything else as it is."""
    if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
        return tuple(dataclasses.astuple(item) for item in value)
    return value


def as_article(page: Fetched) -> Fetched:
    """A link page discovery read, as the article fetch it stands for (its request is logged once, as this)."""
    attempts = tuple(dataclasses.replace(attempt, kind="article") for attempt in page.attempts)
    return dataclasses.replace(page, kind="article", attempts=attempts)


def fetch_rows(responses: Iterable[Fetched]) -> list[FetchRow]:
    """Every attempt behind the given responses, as rows of `fetches`."""
    return attempt_rows(a for response in responses for a in response.attempts)


def attempt_rows(attempts: Iterable[Attempt]) -> list[FetchRow]:
    return [
        FetchRow(a.url, a.kind, a.started_at, a.status, a.error, a.elapsed_ms, a.bytes, a.conditional, a.reason)
        for a in attempts
    ]


def seen_row(
    fetched: Fetched,
    source: str | None,
    *,
    now: datetime,
    key: str | None = None,
    outcome: str | None = None,
    article_url: str | None = None,
    published_at: datetime | None = None,
    reason: str | None = None,
    listed: bool | None = None,
) -> SeenRow:
    """Crawl memory for one requested URL (`key`: the URL it is remembered under, if not the one fetched)."""
    return SeenRow(
        url=key or fetched.url,
        kind=fetched.kind,
        source=source,
        outcome=outcome or fetched.outcome,
        last_checked_at=now,
        fetch_url=fetched.url,
        article_url=article_url,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        published_at=published_at,
        reason=reason or fetched.reason,
        listed=listed,
    )


def exchanges(batch: Sequence[PlannedFetch], responses: Sequence[Fetched]) -> list[Exchange]:
    """The exchanges of a fetched batch worth archiving: pages that came back (200) or did not change (304)."""
    return [
        exchange_of(
            response, url=planned.candidate.url, source=planned.candidate.source, listed=planned.candidate.listed
        )
        for planned, response in zip(batch, responses, strict=True)
        if response.outcome in ("ok", "not_modified") and response.headers
    ]


def listing_exchanges(source: str, responses: Sequence[Fetched]) -> list[Exchange]:
    """The exchanges of a source's feeds, sitemaps and link pages worth archiving, under the URL asked for
    (the key their validators are kept under in seen_urls); not one whose body was cut short."""
    return [
        exchange_of(response, url=response.url, source=source, listed=False)
        for response in responses
        if response.outcome in ("ok", "not_modified") and response.headers and response.cut_short is None
    ]


def exchange_of(response: Fetched, *, url: str, source: str, listed: bool) -> Exchange:
    return Exchange(
        url=url,
        fetch_url=response.url,
        target_url=response.final_url,
        source=source,
        kind=response.kind,
        status=response.status or 0,
        fetched_at=response.attempts[-1].started_at if response.attempts else utcnow(),
        body=response.body,
        headers=response.headers,
        request_headers=response.request_headers,
        http_version=response.http_version,
        listed=listed,
    )


def host_batches(items: Sequence[PlannedFetch], size: int) -> list[list[PlannedFetch]]:
    """Batches of at most `size` URLs of one host each, hosts interleaved so all start early."""
    by_host: dict[str, list[PlannedFetch]] = {}
    for item in items:
        by_host.setdefault(urlsplit(item.candidate.address).netloc, []).append(item)
    per_host = [[urls[i : i + size] for i in range(0, len(urls), size)] for urls in by_host.values()]
    return [batch for round_ in zip_longest(*per_host) for batch in round_ if batch]


def _canonical(url: str) -> str:
    try:
        return canonicalize_url(url)
    except InvalidURLError:
        return url


def utcnow() -> datetime:
    return datetime.now(UTC)
