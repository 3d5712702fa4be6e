"""Discovery: feeds, sitemaps (with indexes) and optional homepage links -> candidate article URLs.

Async, on the run's shared Fetcher; no Prefect and no DuckDB. A broken feed or sitemap becomes an
ErrorRow and the rest of the source goes on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

from extractors.charset import decode_html
from extractors.feeds import FeedError, parse_feed
from extractors.links import same_site_anchors
from extractors.sitemaps import MAX_URLS_PER_SITEMAP, SitemapError, parse_sitemap
from extractors.urls import InvalidURLError, canonicalize_url, clean_url
from flows.config import Source
from flows.fetch import Fetched, Fetcher, Validators
from storage.rows import ErrorRow

# A sitemap index may point at indexes; stop following after this depth and this many files.
MAX_SITEMAP_DEPTH = 3
MAX_SITEMAPS_PER_SOURCE = 50
# Link discovery fetches at most this many listing pages (homepage included) per source and run.
MAX_LISTING_PAGES = 30


@dataclass(frozen=True, slots=True)
class Candidate:
    """An article found by discovery: `url` is its key, `fetch_url` the address to request.

    The key is canonical (no tracking parameters, no trailing slash); the fetch URL keeps the path as
    published, because some servers answer only with their trailing slash.
    """

    url: str
    source: str
    published_at: datetime | None = None
    fetch_url: str = ""
    # When the site says the page last changed (sitemap <lastmod>): newer than our last check means re-check.
    lastmod: datetime | None = None
    # The site lists it as an article (a feed item, a news sitemap entry) or we stored it as one before: only a
    # page that proves otherwise is judged an index (extract_article's `listed`).
    listed: bool = False

    @property
    def address(self) -> str:
        return self.fetch_url or self.url


class _Add(Protocol):
    def __call__(
        self, url: str, published_at: datetime | None = None, lastmod: datetime | None = None, listed: bool = False
    ) -> None: ...


@dataclass(slots=True)
class Discovery:
    """Everything discovery found and every request it made."""

    candidates: list[Candidate] = field(default_factory=list)
    responses: list[Fetched] = field(default_factory=list)
    errors: list[ErrorRow] = field(default_factory=list)


async def discover_source(
    fetcher: Fetcher,
    source: Source,
    *,
    validators: Mapping[str, Validators],
    known_sitemaps: Sequence[str] = (),
    limit: int = 10_000,
    max_sitemap_urls: int = 100_000,
) -> Discovery:
    """Candidate article URLs of one source, in discovery order, without duplicates."""
    found = Discovery()
    seen: dict[str, Candidate] = {}

    def add(
        url: str, published_at: datetime | None = None, lastmod: datetime | None = None, listed: bool = False
    ) -> None:
        try:
            canonical, address = canonicalize_url(url), clean_url(url)
        except InvalidURLError as exc:
            found.errors.append(_error("discover", url, exc))
            return
        if urlsplit(canonical).path in ("", "/"):
            return  # a site's front page is an index of articles, never one (sitemaps often list it)
        if canonical in seen:
            if listed and not seen[canonical].listed:
                seen[canonical] = replace(seen[canonical], listed=True)
        elif len(seen) < limit:
            seen[canonical] = Candidate(canonical, source.name, published_at, address, lastmod, listed)

    feeds = await fetcher.fetch_all(list(source.feeds), kind="feed", validators=dict(validators))
    for response in feeds:
        found.responses.append(response)
        if response.ok:
            try:
                feed = parse_feed(response.body, feed_url=response.final_url, content_type=response.content_type)
            except FeedError as exc:
                found.errors.append(_error("discover", response.url, exc))
                continue
            if feed.recovered:  # its items are kept; the row says the feed needs fixing at its source
                found.errors.append(
                    ErrorRow("discover", response.url, "FeedRecovered", feed.recovered, datetime.now(UTC))
                )
            for entry in feed.entries:
                add(entry.url, entry.published_at, listed=True)

    await _walk_sitemaps(fetcher, source, found, add, validators, known_sitemaps, max_sitemap_urls)

    if source.discover_links and source.homepage:
        await _walk_links(fetcher, source.homepage, found, add, depth=source.link_depth)
    found.candidates = list(seen.values())
    return found


async def _walk_links(
    fetcher: Fetcher,
    homepage: str,
    found: Discovery,
    add: _Add,
    *,
    depth: int,
) -> None:
    """Links from the homepage and, `depth` levels down, from the listing pages its menus point to.

    A link whose anchor reads like a menu label leads to a listing page, followed but not stored;
    any other same-site link may be an article. Index pages that slip through are recognised at
    extraction (NotAnArticleError), so this needs to be cheap, not perfect.
    """
    frontier, visited = [homepage], set[str]()
    for _ in range(depth):
        pages = [u for u in dict.fromkeys(frontier) if u not in visited][: MAX_LISTING_PAGES - len(visited)]
        if not pages:
            return
        visited.update(pages)
        frontier = []
        for page in await fetcher.fetch_all(pages, kind="page"):
            found.responses.append(page)
            if not page.ok:
                continue
            html = decode_html(page.body, content_type=page.content_type)
            for link in same_site_anchors(html, page_url=page.final_url):
                if link.looks_like_menu:
                    frontier.append(link.url)
                else:
                    add(link.url)


async def _walk_sitemaps(
    fetcher: Fetcher,
    source: Source,
    found: Discovery,
    add: _Add,
    validators: Mapping[str, Validators],
    known_sitemaps: Sequence[str],
    max_urls: int,
) -> None:
    """Breadth-first over sitemap indexes; children we saw before are checked even if their index is unchanged.

    At most max_urls page URLs are read from all the source's sitemaps together; the rest are counted.
    """
    queue = list(dict.fromkeys([*source.sitemaps, *known_sitemaps]))
    visited: set[str] = set()
    depth = 0
    budget = max_urls
    while queue and depth <= MAX_SITEMAP_DEPTH and len(visited) < MAX_SITEMAPS_PER_SOURCE and budget > 0:
        batch = [u for u in queue if u not in visited][: MAX_SITEMAPS_PER_SOURCE - len(visited)]
        visited.update(batch)
        queue = []
        for response in await fetcher.fetch_all(batch, kind="sitemap", validators=dict(validators)):
            found.responses.append(response)
            if not response.ok:
                continue
            try:
                sitemap = parse_sitemap(
                    response.body,
                    sitemap_url=response.final_url,
                    content_type=response.content_type,
                    max_urls=min(MAX_URLS_PER_SITEMAP, max(budget, 1)),
                )
            except SitemapError as exc:
                found.errors.append(_error("discover", response.url, exc))
                continue
            if sitemap.recovered:
                found.errors.append(
                    ErrorRow("discover", response.url, "SitemapRecovered", sitemap.recovered, datetime.now(UTC))
                )
            pages = sitemap.pages[: max(budget, 0)]
            dropped = sitemap.dropped + len(sitemap.pages) - len(pages)
            budget -= len(pages)
            if dropped:
                message = f"{dropped:,} URLs not read: over 50,000 in the file or max_sitemap_urls={max_urls:,}"
                found.errors.append(ErrorRow("discover", response.url, "SitemapCapped", message, datetime.now(UTC)))
            for page in pages:
                add(page.url, lastmod=page.lastmod, listed=page.news)
            queue += sitemap.children
        depth += 1


def _error(stage: str, url: str | None, exc: Exception) -> ErrorRow:
    return ErrorRow(stage, url, type(exc).__name__, str(exc), datetime.now(UTC))
