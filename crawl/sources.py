"""A news site to crawl (`Source`): where its article URLs are listed, and how it differs from the run's policy.

Each `[[sources]]` table of the sources file is one Source. Besides its feeds, sitemaps and homepage it may
override the run's `[settings]` for its own requests (user agent, headers, cookies, proxy, timeouts, per-host
politeness), cap the pages it fetches per run, be switched off, and carry extraction hints: selectors that
point the generic extractor at its story. Values are checked when a Source is built, with the messages of
crawl.policy. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crawl.policy import FETCH_RANGES, FETCH_RULES, FetchPolicy, Range, checked
from extractors.hints import ExtractionHints
from extractors.urls import clean_url

SOURCE_RANGES: dict[str, Range] = {**FETCH_RANGES, "max_pages": Range(1, 10_000_000, "pages per run")}


# Where a source's articles are listed; every other field is a setting of the source.
_WHERE_FIELDS = frozenset({"name", "homepage", "feeds", "sitemaps", "autodiscover", "discover_links", "link_depth"})


@dataclass(frozen=True, slots=True)
class Source:
    """One news site: where to look for article URLs, and what it needs other than the run's settings."""

    name: str
    homepage: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    # Find the homepage's advertised feeds and robots.txt's sitemaps (crawl.discover); flows.config turns it on
    # for a source that gives only its homepage.
    autodiscover: bool = False
    # Off by default: link discovery fetches listing pages and finds fewer dates than feeds do.
    discover_links: bool = False
    # Levels of listing pages followed from the homepage when discover_links is on (1 = homepage only).
    link_depth: int = 2
    # A disabled source stays in the file but is not crawled.
    enabled: bool = True
    # Article URLs fetched or re-checked per run at most; the rest wait for the next run (None: no cap).
    max_pages: int | None = None
    # Overrides of [settings] for this source's requests (None, or empty: the run's).
    user_agent: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    proxy: str | None = None
    per_host_delay: float | None = None
    per_host_concurrency: int | None = None
    timeout: float | None = None
    # Extraction hints: the element(s) holding the story, and elements to drop first (CSS or XPath).
    body_selector: str | None = None
    exclude_selectors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name not in _WHERE_FIELDS:  # those are checked as URLs by flows.config
                value = checked(f.name, str(f.type), getattr(self, f.name), ranges=SOURCE_RANGES, rules=FETCH_RULES)
                object.__setattr__(self, f.name, value)
        self.hints  # noqa: B018 - compiles the selectors: a bad one is refused now, not at the first page

    @property
    def section(self) -> str | None:
        """The path the homepage names when it is a section of its site ("/sport/" of https://host/sport/), else
        None: only a folder counts, since "/news" or "/index.html" name the site's front, not a part of it. The path
        as clean_url writes the URLs it is compared with ("/actualit%C3%A9/" for "/actualité/")."""
        path = urlsplit(clean_url(self.homepage)).path if self.homepage else ""
        return path if path.endswith("/") and path != "/" else None

    @property
    def hints(self) -> ExtractionHints | None:
        """The source's extraction hints, or None when it has none."""
        if self.body_selector is None and not self.exclude_selectors:
            return None
        return ExtractionHints(body_selector=self.body_selector, exclude_selectors=self.exclude_selectors)

    def fetch_policy(self, run: FetchPolicy) -> FetchPolicy:
        """The run's policy with this source's overrides: headers and cookies merged name by name."""
        changes: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("user_agent", "proxy", "per_host_delay", "per_host_concurrency")
            if getattr(self, name) is not None
        }
        if self.headers:
            changes["headers"] = _merged(run.headers, self.headers, fold=str.lower)
        if self.cookies:
            changes["cookies"] = _merged(run.cookies, self.cookies, fold=str)
        if self.timeout is not None:
            changes |= dict(connect_timeout=self.timeout, read_timeout=self.timeout, total_timeout=self.timeout)
        return dataclasses.replace(run, **changes) if changes else run


def _merged(
    base: tuple[tuple[str, str], ...], mine: tuple[tuple[str, str], ...], *, fold: Any
) -> tuple[tuple[str, str], ...]:
    """`base` with `mine` over it, names compared after `fold` (header names are case-insensitive)."""
    names = {fold(name) for name, _ in mine}
    return tuple((name, value) for name, value in base if fold(name) not in names) + mine
