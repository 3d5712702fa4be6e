"""Sitemap bytes -> page URLs (with lastmod and Google News titles) and child sitemaps, gzipped or not.

Handles <urlset> (including Google News sitemaps) and <sitemapindex>. Pure: following child sitemaps is
the caller's job. Parsed with the same hardened XML settings as feeds. Raises SitemapError for anything
that is not a well-formed sitemap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from lxml import etree

from extractors.feeds import _any_ns, _child_text, _http_url, _parse_xml, _split_tag, parse_datetime
from extractors.urls import canonicalize_url

T = TypeVar("T")


class SitemapError(ValueError):
    """The bytes are not a well-formed sitemap or sitemap index."""


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One <url> of a urlset: the page (clean_url form), when it last changed, and its news:title if any."""

    url: str
    lastmod: datetime | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: pages of a <urlset> or child sitemap URLs of a <sitemapindex>; the other is empty."""

    pages: list[SitemapEntry] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


def parse_sitemap(content: bytes, *, sitemap_url: str, max_urls: int | None = None) -> Sitemap:
    """Pages or child sitemaps of a sitemap, in document order, one per canonical URL; at most `max_urls` of them."""
    root = _parse_xml(content, source=f"sitemap {sitemap_url!r}", error=SitemapError)
    # Match on local names only: sitemaps in the wild use the 0.9 namespace, Google's old 0.84 one, or none.
    name = _split_tag(root)[1]
    if name == "urlset":
        return Sitemap(pages=_unique(_pages(root, sitemap_url), key=lambda page: page.url, limit=max_urls))
    if name == "sitemapindex":
        children = (_http_url(_child_text(el, "loc"), base=sitemap_url) for el in _children(root, "sitemap"))
        return Sitemap(children=_unique((url for url in children if url), key=lambda url: url, limit=max_urls))
    raise SitemapError(
        f"sitemap {sitemap_url!r} has root element <{root.tag}>, not <urlset> or <sitemapindex>; "
        "is the URL a feed or an HTML page?"
    )


def _pages(root: etree._Element, sitemap_url: str) -> Iterator[SitemapEntry]:
    for element in _children(root, "url"):
        url = _http_url(_child_text(element, "loc"), base=sitemap_url)
        if url is None:  # a <url> without a usable <loc> names no page
            continue
        news = element.find(_any_ns("news"))
        title = None if news is None else _child_text(news, "title")
        lastmod = parse_datetime(_child_text(element, "lastmod"))
        if lastmod is None and news is not None:
            lastmod = parse_datetime(_child_text(news, "publication_date"))
        yield SitemapEntry(url=url, lastmod=lastmod, title=title)


def _children(root: etree._Element, local_name: str) -> Iterator[etree._Element]:
    return (el for el in root.iterchildren() if _split_tag(el)[1] == local_name)


def _unique(items: Iterable[T], *, key: Callable[[T], str], limit: int | None = None) -> list[T]:
    """Items in order, without those whose URL canonicalizes like an earlier one's; the first `limit` of them."""
    seen: set[str] = set()
    unique: list[T] = []
    for item in items:
        if limit is not None and len(unique) >= limit:
            break
        canonical = canonicalize_url(key(item))
        if canonical not in seen:
            seen.add(canonical)
            unique.append(item)
    return unique
