"""Discovery: feeds, sitemaps (with indexes) and optional homepage links -> candidate article URLs.

A source that gives only its homepage has its feeds and sitemaps found for it (`Source.autodiscover`): the
feeds its homepage advertises (`<link rel="alternate">`), those found in earlier runs, and the sitemaps its
robots.txt lists (else `/sitemap.xml`).

Async, on the source's Fetcher; no Prefect and no DuckDB. A broken feed or sitemap becomes a `Problem`
(the flow writes it to `errors`) and the rest of the source goes on. A candidate keeps the date its feed or
sitemap gave, for an article whose page has none. Bounded: feeds and sitemaps are parsed in a small thread
pool (never on the event loop, at most two at a time), only their first items are read, their bodies are
dropped once their URLs are taken, and a source past its time budget stops with what it has.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal, TypeVar
from urllib.parse import urljoin, urlsplit

from crawl.fetch import Fetched, Fetcher, Kind, Validators
from crawl.sources import Source
from extractors._crowded import CrowdedTagError
from extractors.charset import UndecodableError, decode_html
from extractors.feeds import Feed, FeedEntry, FeedError, parse_feed
from extractors.links import Link, PageLinks, page_links
from extractors.sitemaps import Sitemap, SitemapError, parse_sitemap
from extractors.urls import InvalidURLError, canonicalize_url, clean_url, is_front_page

T = TypeVar("T")
# Where a candidate's date came from: the feed or sitemap that listed it, or ("page") the article stored
# before, which gave its own. The same values as storage.rows.DateSource, which crawl/ does not import.
DateSource = Literal["page", "feed", "sitemap", "guessed"]  # guessed: a stored guess (storage.rows)

# A sitemap index may point at indexes; stop following after this depth and this many files.
MAX_SITEMAP_DEPTH = 3
MAX_SITEMAPS_PER_SOURCE = 50
# Link discovery fetches at most this many listing pages (homepage included) per source and run.
MAX_LISTING_PAGES = 30
# Sitemaps taken from a robots.txt (large publishers list dozens: video, products, years of archive). News
# sitemaps go first; MAX_SITEMAPS_PER_SOURCE and max_sitemap_urls still bound what is read.
MAX_ROBOTS_SITEMAPS = 20
# Feeds, sitemaps and pages of one source fetched or parsed at once (per_host_concurrency's default): a body
# waiting for a parser thread is memory held.
LISTINGS_IN_HAND = 2
# Parsing a 10 MB feed builds ~100 MB of lxml tree: two at a time bounds that memory across sources, and the
# parsing is CPU-bound anyway (two cores). A process-wide pool, so it outlives each run's event loop.
_PARSERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="copydesk-parse")


@dataclass(frozen=True, slots=True)
class Problem:
    """A feed, sitemap or page of a source that could not be read, or only in part (a row of `errors`)."""

    stage: Literal["discover", "source"]
    url: str | None
    error_type: str
    message: str
    occurred_at: datetime


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
    # Where published_at came from (a stored article's: wherever its row's date came from).
    published_from: DateSource | None = None

    @property
    def address(self) -> str:
        return self.fetch_url or self.url


@dataclass(slots=True)
class Budget:
    """The time one source may take in a run: `seconds` of its own work, ending at `deadline` (event-loop clock).

    The clock stops while the source only waits for the run's other sources (`pause`), for up to `seconds` in all:
    its deadline moves on by the time it waited (`waited`). So no source is cut off for waiting its turn behind
    a few slow ones, and a run of many slow sources still ends (each within twice its source_timeout). Nothing
    of the source may be under way with a timeout taken from the deadline meanwhile.
    """

    seconds: float
    deadline: float
    paused_at: float | None = None
    waited: float = 0.0  # not counted (at most `seconds`)
    waited_in_all: float = 0.0

    @classmethod
    def starting_now(cls, seconds: float) -> Budget:
        return cls(seconds, asyncio.get_running_loop().time() + seconds)

    def remaining(self) -> float:
        now = asyncio.get_running_loop().time()
        return self.deadline + self._credit(now) - now

    def pause(self) -> None:
        if self.paused_at is None:
            self.paused_at = asyncio.get_running_loop().time()

    def resume(self) -> None:
        if self.paused_at is not None:
            now = asyncio.get_running_loop().time()
            credit = self._credit(now)
            self.deadline += credit
            self.waited += credit
            self.waited_in_all += now - self.paused_at
            self.paused_at = None

    def _credit(self, now: float) -> float:
        """The waiting of the pause under way that does not count, at `now`."""
        return 0.0 if self.paused_at is None else min(now - self.paused_at, self.seconds - self.waited)


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of one source discovery reads."""

    max_candidates: int = 10_000
    max_items_per_feed: int = 5_000
    max_urls_per_sitemap: int = 50_000
    # Page URLs read from all of a source's sitemaps together in one run (the rest are counted, not read).
    max_sitemap_urls: int = 100_000


@dataclass(slots=True)
class Discovery:
    """Everything discovery found and every request it made.

    `responses` keep no bodies: discovery holds a source's feeds and sitemaps only while it reads them.
    `cut_off` says why discovery stopped before its end (the source's time budget), else None.
    """

    candidates: list[Candidate] = field(default_factory=list)
    responses: list[Fetched] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    cut_off: str | None = None
    requested: list[str] = field(default_factory=list)
    # Link pages read whole (200) whose URL a feed, a sitemap or a link gave as a candidate too (before or after),
    # with their bodies, by candidate URL: the crawl extracts them as they are instead of requesting them again (a
    # sitemap's section pages, a story whose link reads like a menu label). At most MAX_LISTING_PAGES.
    pages: dict[str, Fetched] = field(default_factory=dict)

    def waiting(self) -> list[str]:
        """URLs requested that have not answered (yet)."""
        answered = {r.url for r in self.responses}
        return [url for url in self.requested if url not in answered]

    @property
    def reached(self) -> bool:
        """Whether any feed, sitemap or page of the source answered with something usable (a 304 counts)."""
        return any(r.outcome in ("ok", "not_modified") for r in self.responses)

    def failure_reasons(self) -> list[str]:
        """Why the source's requests and listings failed, each reason once, in the order met."""
        reasons = [self.cut_off] if self.cut_off else []
        reasons += [r.error for r in self.responses if r.error and r.outcome in ("failed", "skipped")]
        reasons += [e.message for e in self.errors]
        return list(dict.fromkeys(reasons))


async def discover_source(
    fetcher: Fetcher,
    source: Source,
    *,
    validators: Mapping[str, Validators],
    known_sitemaps: Sequence[str] = (),
    known_feeds: Sequence[str] = (),
    limits: Limits | None = None,
    budget: Budget | None = None,
    keep: Callable[[Fetched], None] | None = None,
) -> Discovery:
    """Candidate article URLs of one source, in discovery order, without duplicates.

    Past the budget's deadline discovery stops: what was found by then is kept, with `cut_off` saying why.
    `keep`, if given, is handed each feed, sitemap or page that answered (200 or 304) with its body, once read:
    the crawl archives them from there, and discovery itself lets every body go. `known_feeds` are the feeds
    earlier runs read for the source: an autodiscovering source reads them when its homepage fails or
    advertises none, so a homepage down for a run loses nothing.
    """
    found = Discovery()
    try:
        async with asyncio.timeout_at(budget.deadline if budget else None):
            listings = _Listings(fetcher, source, found, validators, limits or Limits(), keep)
            feeds, sitemaps, home = list(source.feeds), list(source.sitemaps), None
            if source.autodiscover and source.homepage:
                home = await listings.home(source.homepage)
                # Feeds read before stand in for those of a homepage that failed or advertised none this run; a
                # homepage that answers with its feed links says which feeds are the site's now.
                feeds += home.feeds if home and home.feeds else known_feeds
                sitemaps += await listings.robots_sitemaps(
                    list(dict.fromkeys([source.homepage, *([home.url] if home else [])]))
                )
            await listings.feeds(feeds)
            # Sitemaps read in earlier runs stand in for the children of an index answering 304 (which lists none),
            # or of one down this run. A source given no sitemaps and not autodiscovering has none of its own any
            # more: its old ones were read run after run, and their articles stored.
            await listings.sitemaps(sitemaps, known_sitemaps if source.sitemaps or source.autodiscover else ())
            if source.autodiscover and source.homepage:
                listings.nothing_found(source.homepage)
            if source.discover_links and source.homepage:
                await listings.links(source.homepage, depth=source.link_depth, home=home)
            listings.capped()
    except TimeoutError:
        assert budget is not None  # no deadline, no timeout
        waiting = found.waiting()
        doing = f"no answer from {', '.join(waiting[:3])}{' and more' if len(waiting) > 3 else ''}"
        found.cut_off = (
            f"source {source.name!r} cut off after {budget.seconds:g} s (source_timeout) while discovering: "
            f"{doing if waiting else 'reading what it fetched'}; its article URLs wait for the next run"
        )
        found.errors.append(Problem("source", first_url(source), "SourceTimeout", found.cut_off, _now()))
    return found


class _Listings:
    """One source's discovery under way: the candidates so far, and the feeds, sitemaps and pages being read.

    At most LISTINGS_IN_HAND of them are fetched, parsed or waiting for an earlier one at once, so a sitemap
    index of 49 children cannot have them all held in memory waiting for a parser thread; and nothing more is
    fetched once the source has `max_candidates` URLs, because nothing more would be kept.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        source: Source,
        found: Discovery,
        validators: Mapping[str, Validators],
        limits: Limits,
        keep: Callable[[Fetched], None] | None = None,
    ) -> None:
        self.fetcher, self.source, self.found, self.validators, self.limits = fetcher, source, found, validators, limits
        self.keep = keep
        self.seen: dict[str, int] = {}  # canonical URL -> its place in found.candidates
        self.sitemap_urls_left = limits.max_sitemap_urls
        self.over_cap = 0  # URLs listed after the source had max_candidates: counted in an errors row
        self.section = _section(source)
        self.homepage = _canonical_or_none(source.homepage)
        self.out_of_section = 0  # sitemap URLs outside it: counted in an errors row

    def add(
        self,
        url: str,
        published_at: datetime | None = None,
        lastmod: datetime | None = None,
        listed: bool = False,
        dated_by: DateSource | None = None,
    ) -> None:
        """A URL found by discovery, with the date its listing (`dated_by`: feed or sitemap) gave it."""
        try:
            canonical, address = canonicalize_url(url), clean_url(url)
        except InvalidURLError as exc:
            self.found.errors.append(_problem(url, exc))
            return
        parts = urlsplit(canonical)
        if (parts.path in ("", "/") and not (listed and parts.query)) or canonical == self.homepage:
            # A site's front page, or the source's homepage (a section's front), is an index of articles, never one
            # (sitemaps often list it); but a listed "/?p=123" is a WordPress post under plain permalinks.
            return
        dated_by = dated_by if published_at is not None else None
        place = self.seen.get(canonical)
        if place is not None:
            known = self.found.candidates[place]
            changes: dict[str, object] = {}
            if listed and not known.listed:  # a feed lists what a plain sitemap also had: an article
                changes["listed"] = True
            if known.published_at is None and published_at is not None:  # the first listing with a date gives it
                changes |= dict(published_at=published_at, published_from=dated_by)
            if changes:  # in place: a search of the list per URL made a 10,000-URL source quadratic (9 s)
                self.found.candidates[place] = replace(known, **changes)  # type: ignore[arg-type]
        elif not self.full():
            candidate = Candidate(canonical, self.source.name, published_at, address, lastmod, listed, dated_by)
            self.seen[canonical] = len(self.found.candidates)
            self.found.candidates.append(candidate)
        else:
            self.over_cap += 1

    def capped(self) -> None:
        """An errors row for the URLs listed past max_candidates (those of a listing read after it count too), and
        one for the sitemap URLs outside the source's section."""
        if self.out_of_section:
            message = (
                f"source {self.source.name!r}: {self.out_of_section:,} URLs of its host's sitemaps lie outside its "
                f"homepage's section {self.section} and were not kept (the section's feeds list its own stories); "
                "give 'sitemaps' to read them whole"
            )
            self.found.errors.append(Problem("discover", self.source.homepage, "OutsideSection", message, _now()))
        if self.over_cap:
            message = (
                f"source {self.source.name!r}: {self.over_cap:,} more URLs were listed after the first "
                f"{self.limits.max_candidates:,} (max_articles_per_source) and not kept this run; "
                "feeds first, then sitemaps (newest first) and links, as listed"
            )
            self.found.errors.append(Problem("discover", first_url(self.source), "CandidatesCapped", message, _now()))

    def full(self) -> bool:
        return len(self.seen) >= self.limits.max_candidates

    async def each(
        self,
        urls: Sequence[str],
        kind: Kind,
        read: Callable[[Fetched], Awaitable[T]],
        use: Callable[[T], None],
        expected: tuple[type[Exception], ...],
    ) -> int:
        """Fetch and read `urls`, each reading used in the order of `urls` as soon as those before it are; how many
        of them were not fetched because the source filled.

        Each response is recorded without its body once read, so a source cut off halfway keeps the requests
        it made. A reading that raises one of `expected` becomes an error row, and so does one that raises anything
        else (a parser's defect): one odd listing does not end the source's discovery.
        """
        # A sliding window rather than a semaphore: a permit freed when a reading is done, not when it is used,
        # let later listings be fetched while an earlier one was still on its way, past the source's fill.
        in_hand: deque[asyncio.Task[T | None]] = deque()
        async with asyncio.TaskGroup() as group:
            for position, url in enumerate(urls):
                if self.full():
                    return len(urls) - position
                in_hand.append(group.create_task(self._read(url, kind, read, expected)))
                if len(in_hand) >= LISTINGS_IN_HAND:
                    self._use(await in_hand.popleft(), use)
            while in_hand:
                self._use(await in_hand.popleft(), use)
        return 0

    @staticmethod
    def _use(reading: T | None, use: Callable[[T], None]) -> None:
        if reading is not None:
            use(reading)

    async def _read(
        self, url: str, kind: Kind, read: Callable[[Fetched], Awaitable[T]], expected: tuple[type[Exception], ...]
    ) -> T | None:
        self.found.requested.append(url)
        response = await self.fetcher.fetch(url, kind=kind, validators=self.validators.get(url))
        try:
            return await read(response) if response.ok else None
        except expected as exc:
            self.found.errors.append(_problem(response.url, exc))
            return None
        except Exception as exc:  # a parser's defect on one listing: it is named, and the other listings are read
            message = f"reading this {kind} failed unexpectedly (a copydesk defect, please report it): {exc!r}"
            self.found.errors.append(Problem("discover", response.url, type(exc).__name__, message, _now()))
            return None
        finally:
            if self.keep is not None and response.outcome in ("ok", "not_modified"):
                self.keep(response)
            self.found.responses.append(dataclasses.replace(response, body=b""))

    async def home(self, homepage: str) -> _Home | None:
        """The homepage's links and advertised feeds, or None if it could not be read (its fetch row says why)."""

        async def read(page: Fetched) -> _Home:
            links = await _parsed(_page_links, page.body, content_type=page.content_type, page_url=page.final_url)
            # A section's feeds: their stories are mostly in the first ones and the sitemaps. Those the source
            # lists itself are read anyway.
            listed = {canonicalize_url(feed) for feed in self.source.feeds}
            unread = [feed for feed in links.feeds_left if canonicalize_url(feed) not in listed]
            if unread:
                message = (
                    f"the homepage advertises {len(links.feeds) + len(links.feeds_left):,} feeds; the first "
                    f"{len(links.feeds)} are read, {len(unread):,} left unread: {', '.join(unread[:5])}"
                    f"{' ...' if len(unread) > 5 else ''} (list the ones wanted in the source's `feeds`)"
                )
                self.found.errors.append(Problem("discover", page.url, "FeedsCapped", message, _now()))
            return _Home(page.final_url, links)

        homes: list[_Home] = []
        await self.each([homepage], "page", read, homes.append, (UndecodableError, CrowdedTagError))
        return homes[0] if homes else None

    async def robots_sitemaps(self, homepages: Sequence[str]) -> list[str]:
        """The sitemaps the robots.txt of the homepage's hosts list (as configured, and where it redirected:
        a consent or bot wall's robots.txt is no publisher's), news sitemaps first, then undated ones, then the
        newest years; else the usual /sitemap.xml."""
        origins = list(dict.fromkeys(f"{p.scheme}://{p.netloc}" for p in map(urlsplit, homepages)))
        listed: list[str] = []
        for origin in origins:
            # Sitemap lines should be absolute (RFC 9309 2.2.4); a relative one is read against robots.txt's URL.
            listed += [urljoin(f"{origin}/robots.txt", url) for url in await self.fetcher.robots_sitemaps(origin)]
        listed = list(dict.fromkeys(listed))  # the same sitemap on two lines is one sitemap
        if not listed:
            return [f"{origin}/sitemap.xml" for origin in origins]
        chosen = sorted(listed, key=_sitemap_rank)[:MAX_ROBOTS_SITEMAPS]
        if len(listed) > len(chosen):
            message = (
                f"source {self.source.name!r}: robots.txt lists {len(listed):,} sitemaps; {len(chosen)} are read "
                "(news sitemaps first, then undated ones, then the newest years)"
            )
            self.found.errors.append(Problem("discover", homepages[0], "SitemapFilesCapped", message, _now()))
        return chosen

    def nothing_found(self, homepage: str) -> None:
        """An errors row when an autodiscovering source's feeds and sitemaps gave no URL at all (and no links
        will be followed): what was tried, and what the user can give instead."""
        if self.seen or self.source.discover_links or not self.found.reached:  # unreached: its own row says why
            return
        if any(r.kind in ("feed", "sitemap") and r.outcome == "not_modified" for r in self.found.responses):
            return  # a listing unchanged since it was last read (304) listed its URLs then

        def tried(kind: str) -> str:
            urls = [f"{r.url} ({r.status or r.outcome})" for r in self.found.responses if r.kind == kind]
            return ", ".join(urls[:3]) + (f" and {len(urls) - 3} more" if len(urls) > 3 else "") or "none"

        message = (
            f"source {self.source.name!r}: no article URL found from its homepage {homepage}. Feeds it advertises "
            f'(<link rel="alternate"> or rel="feed", else links to /feed/ and the like) or earlier runs read: '
            f"{tried('feed')}; sitemaps from robots.txt or "
            f"/sitemap.xml: {tried('sitemap')}. Give 'feeds' or 'sitemaps', or set discover_links = true"
        )
        self.found.errors.append(Problem("discover", homepage, "ListingsNotFound", message, _now()))

    def _note_cut_short(self, response: Fetched) -> None:
        """A listing whose connection broke mid-body on every try is read up to the break; a row says so."""
        if response.cut_short is not None:
            message = (
                f"the {response.kind}'s body was cut short on every try ({response.cut_short}); the entries before "
                "the cut were read, and the next run asks for it whole"
            )
            self.found.errors.append(Problem("discover", response.url, "ListingCutShort", message, _now()))

    async def feeds(self, urls: Sequence[str]) -> None:
        cap = self.limits.max_items_per_feed

        async def read(response: Fetched) -> list[FeedEntry]:
            self._note_cut_short(response)
            # One more than the cap, to tell a feed of exactly `cap` items from a longer one.
            feed = await _parsed(
                parse_feed,
                response.body,
                feed_url=response.final_url,
                content_type=response.content_type,
                max_items=cap + 1,
                fetched_at=response.fetched_at or _now(),
            )
            if feed.recovered:  # its items are kept; the row says the feed needs fixing at its source
                self.found.errors.append(Problem("discover", response.url, "FeedRecovered", feed.recovered, _now()))
            if len(feed.entries) > cap:
                self.found.errors.append(_truncated("feed", response.url, cap, "max_items_per_feed"))
            skipped = _skipped_items(feed, response.url, cap)
            if skipped:
                self.found.errors.append(skipped)
            return [entry for entry in feed.entries[:cap] if not is_front_page(entry.url)]

        def use(entries: list[FeedEntry]) -> None:
            for entry in entries:
                self.add(entry.url, entry.published_at, listed=True, dated_by="feed")

        await self.each(list(dict.fromkeys(urls)), "feed", read, use, (FeedError,))

    async def sitemaps(self, urls: Sequence[str], known: Sequence[str]) -> None:
        """Breadth-first over sitemap indexes (children newest first), then the children we saw before that no
        index listed this run (an index answering 304 lists none), up to MAX_SITEMAPS_PER_SOURCE files."""
        cap = self.limits.max_urls_per_sitemap
        queue = list(dict.fromkeys(urls))
        visited: set[str] = set()

        async def read(response: Fetched) -> Sitemap:
            self._note_cut_short(response)
            sitemap = await _parsed(
                parse_sitemap,
                response.body,
                sitemap_url=response.final_url,
                content_type=response.content_type,
                max_urls=cap,
                fetched_at=response.fetched_at or _now(),
            )
            if sitemap.recovered:
                self.found.errors.append(
                    Problem("discover", response.url, "SitemapRecovered", sitemap.recovered, _now())
                )
            if sitemap.over_cap:
                self.found.errors.append(_truncated("sitemap", response.url, cap, "max_urls_per_sitemap"))
            if sitemap.skipped:
                self.found.errors.append(_skipped_entries(sitemap, response.url))
            return sitemap

        def use(sitemap: Sitemap) -> None:
            listed = sitemap.pages
            if self.section is not None:
                listed = [page for page in listed if urlsplit(page.url).path.startswith(self.section)]
                self.out_of_section += len(sitemap.pages) - len(listed)
            pages = listed[: max(self.sitemap_urls_left, 0)]
            if len(pages) < len(listed):
                message = (
                    f"{len(listed) - len(pages):,} URLs of a sitemap not read: the source's sitemaps listed"
                    f" more than max_sitemap_urls={self.limits.max_sitemap_urls:,} this run"
                )
                self.found.errors.append(Problem("discover", None, "SitemapCapped", message, _now()))
            self.sitemap_urls_left -= len(pages)
            for page in pages:
                # news:publication_date, else lastmod: for a story never updated the two are the same.
                published = page.published_at or page.lastmod
                self.add(page.url, published, lastmod=page.lastmod, listed=page.news, dated_by="sitemap")
            if self.sitemap_urls_left > 0:
                queue.extend(sitemap.children)
                dated.update(zip(sitemap.children, sitemap.child_lastmods, strict=False))  # the dated come first
            else:
                unread["max_sitemap_urls"] += len(sitemap.children)

        # The index tree level by level (MAX_SITEMAP_DEPTH deep), then the known children no index listed. On each
        # level the files never read before go first: a capped index's new files are where its new articles are,
        # even when its lastmods do not tell them apart, and each run reaches further into a large one. But half
        # a level's files are the ones its indexes date newest, read before or not: behind 150 daily sitemaps
        # never read, the newest one, read last run and changed since, waited three runs (a review, 2026-12).
        seen_before = set(known)
        dated: dict[str, datetime] = {}  # children an index gave a <lastmod>, and it
        levels: list[Sequence[str]] = [queue, *([] for _ in range(MAX_SITEMAP_DEPTH)), known]
        not_read: set[str] = set()
        # Child sitemaps left unread for a reason of their own, each said in an errors row (by count).
        unread = {"max_sitemap_urls": 0, "depth": 0, "full": 0}
        for level, listed in enumerate(levels):
            room = MAX_SITEMAPS_PER_SOURCE - len(visited)
            in_order = [u for u in dict.fromkeys([*queue, *listed]) if u not in visited]
            newest = sorted((u for u in in_order if u in dated), key=lambda u: dated[u], reverse=True)[: room // 2]
            chosen = set(newest)
            others = (u for u in in_order if u not in chosen)
            waiting = newest + sorted(others, key=lambda u: u in seen_before)
            batch = waiting[:room]
            not_read.update(waiting[len(batch) :])
            if self.full():
                unread["full"] += len(batch)
                break
            visited.update(batch)
            queue.clear()
            if batch:
                unread["full"] += await self.each(batch, "sitemap", read, use, (SitemapError,))
            if level == MAX_SITEMAP_DEPTH:
                unread["depth"] = len(set(queue) - visited)
                queue.clear()  # children past the depth are not followed
        if not_read - visited:
            self._sitemaps_capped(len(not_read - visited))
        self._sitemaps_unread(unread)

    def _sitemaps_unread(self, unread: dict[str, int]) -> None:
        """An errors row for each reason child sitemaps went unread: what they list is not lost without a word."""
        name = self.source.name
        why = {
            "max_sitemap_urls": f"the source's sitemaps had listed max_sitemap_urls={self.limits.max_sitemap_urls:,}"
            " URLs already",
            "depth": f"they are nested deeper than {MAX_SITEMAP_DEPTH} levels of sitemap indexes",
            "full": f"the source had its max_articles_per_source={self.limits.max_candidates:,} URLs already",
        }
        for reason, count in unread.items():
            if not count:
                continue
            message = f"source {name!r}: {count:,} sitemaps not read this run: {why[reason]}"
            self.found.errors.append(Problem("discover", first_url(self.source), "SitemapFilesCapped", message, _now()))

    def _sitemaps_capped(self, left: int) -> None:
        message = (
            f"source {self.source.name!r}: {left:,} sitemaps not read this run: a source's sitemaps are read up to "
            f"{MAX_SITEMAPS_PER_SOURCE} files a run (indexes' children newest first, by lastmod)"
        )
        self.found.errors.append(Problem("discover", first_url(self.source), "SitemapFilesCapped", message, _now()))

    async def links(self, homepage: str, *, depth: int, home: _Home | None = None) -> None:
        """Links from the homepage and, `depth` levels down, from the listing pages its menus point to.

        A link whose anchor reads like a menu label leads to a listing page, followed but not stored;
        any other same-site link may be an article. Index pages that slip through are recognised at
        extraction (NotAnArticleError), so this needs to be cheap, not perfect. An autodiscovering source's
        homepage is not fetched again: `home` is what autodiscovery read of it (None: it failed).
        """
        frontier, visited = [homepage], set[str]()
        # Feeds and sitemaps read this run are no listing pages to fetch again ("Entries feed" reads like a menu).
        listings = {r.url for r in self.found.responses if r.kind in ("feed", "sitemap")}

        read_whole: dict[str, Fetched] = {}

        async def read(page: Fetched) -> list[Link]:
            found = await _parsed(_page_links, page.body, content_type=page.content_type, page_url=page.final_url)
            if (url := _canonical_or_none(page.url)) is not None:
                read_whole[url] = page  # a candidate already, or one a later listing may give
            return found.links

        def use(links: list[Link]) -> None:
            for link in links:
                if link.looks_like_menu:
                    frontier.append(link.url)
                else:
                    self.add(link.url)

        if self.source.autodiscover:
            visited.update([homepage, *([home.url] if home else [])])
            frontier.clear()
            if home is not None:
                use(home.links.links)
            depth -= 1
        try:
            for _ in range(depth):
                waiting = (u for u in dict.fromkeys(frontier) if u not in visited and u not in listings)
                pages = list(waiting)[: MAX_LISTING_PAGES - len(visited)]
                if not pages:
                    return
                visited.update(pages)
                frontier.clear()
                await self.each(pages, "page", read, use, (UndecodableError, CrowdedTagError))
        finally:
            # What the crawl would ask for again: the pages whose URL is a candidate by now, whichever came first.
            self.found.pages.update((url, page) for url, page in read_whole.items() if url in self.seen)


@dataclass(frozen=True, slots=True)
class _Home:
    """A source's homepage as read: where it ended up (after redirects) and what it links to."""

    url: str
    links: PageLinks

    @property
    def feeds(self) -> list[str]:
        return self.links.feeds


def _canonical_or_none(url: str | None) -> str | None:
    try:
        return canonicalize_url(url) if url else None
    except InvalidURLError:  # flows.config checked it; a Source built elsewhere may hold anything
        return None


def _section(source: Source) -> str | None:
    """The section an autodiscovering source keeps of its host's sitemaps (Source.section), or None.

    Its host's sitemaps (from robots.txt) list the whole site: a source given as https://host/sport/ keeps their
    URLs under /sport/, so that two sections crawled as two sources do not take each other's stories. Sitemaps
    the source gives are read whole.
    """
    return source.section if source.autodiscover and not source.sitemaps else None


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _sitemap_rank(url: str) -> tuple[int, int]:
    """Which robots.txt sitemaps to read first: news sitemaps (by path, not host: www.dailynews.example's
    sitemaps are not all news), then those naming no year (indexes, the current one), then the newest years."""
    parts = urlsplit(url)
    where = f"{parts.path}?{parts.query}"
    years = [int(y) for y in _YEAR.findall(where)]
    return (0 if "news" in where.lower() else 1, -max(years) if years else -10_000)


def _page_links(body: bytes, *, content_type: str | None, page_url: str) -> PageLinks:
    return page_links(decode_html(body, content_type=content_type), page_url=page_url)


async def _parsed(parse: Callable[..., T], body: bytes, **options: object) -> T:
    """`parse(body, **options)` in the parser threads, so the event loop goes on fetching meanwhile."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_PARSERS, lambda: parse(body, **options))


def _skipped_items(feed: Feed, url: str, cap: int) -> Problem | None:
    """The row naming a feed's items that gave no article URL: no usable link, or only the site's front page."""
    front = [entry for entry in feed.entries[:cap] if is_front_page(entry.url)]
    count = feed.skipped + len(front)
    if not count:
        return None
    fronts = (f"{e.title or 'an item'!r}: links only to the front page {e.url}" for e in front)
    named = [*feed.skipped_why, *fronts][:5]
    more = f"; and {count - len(named):,} more" if count > len(named) else ""
    message = f"{count:,} items of feed {url!r} name no article page and were skipped: {'; '.join(named)}{more}"
    return Problem("discover", url, "FeedItemsSkipped", message, _now())


def _skipped_entries(sitemap: Sitemap, url: str) -> Problem:
    """The row naming a sitemap's entries that gave no page to read: no usable <loc>, or lost to broken markup."""
    why = "; ".join(sitemap.skipped_why)
    message = f"{sitemap.skipped:,} entries of sitemap {url!r} name no page and were skipped: {why}"
    return Problem("discover", url, "SitemapEntriesSkipped", message, _now())


def _truncated(kind: str, url: str, cap: int, setting: str) -> Problem:
    message = f"{kind} {url!r} lists more than {cap:,} URLs; read the first {cap:,} ({setting})"
    return Problem("discover", url, "ListingTruncated", message, _now())


def first_url(source: Source) -> str | None:
    """The URL a source-level error row names: its first feed, else sitemap, else homepage."""
    return next(iter((*source.feeds, *source.sitemaps, source.homepage or "")), "") or None


def _problem(url: str | None, exc: Exception) -> Problem:
    return Problem("discover", url, type(exc).__name__, str(exc), _now())


def _now() -> datetime:
    return datetime.now(UTC)
