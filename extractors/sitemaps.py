"""Sitemap bytes -> page URLs (with lastmod, Google News titles and dates) and child sitemaps, gzipped or not.

Reads <urlset> (including Google News sitemaps), <sitemapindex>, plain-text sitemaps (one URL per line, as
the protocol allows) and RSS/Atom feeds given as sitemaps (the protocol allows those too). A sitemap that
is not well-formed, such as a truncated download, is read leniently and says so (`Sitemap.recovered`). At
most `max_urls` URLs are read per file (`Sitemap.over_cap` says there were more). Pure: following child
sitemaps and capping a whole source are the caller's job. Raises SitemapError for anything that is no
sitemap even read leniently.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from lxml import etree

from extractors._xml import (
    XmlDocument,
    any_ns,
    child_text,
    decode_xml,
    http_url,
    inflated,
    read_xml,
    split_tag,
    start_tags,
    stream_xml,
)
from extractors.dates import parse_published
from extractors.feeds import feed_entries
from extractors.urls import canonicalize_url

T = TypeVar("T")
# The sitemap protocol's limit per file (sitemaps.org, 2008); a file listing more is cut there.
MAX_URLS_PER_SITEMAP = 50_000


class SitemapError(ValueError):
    """The bytes are not a sitemap, sitemap index, text sitemap or feed, even read leniently."""


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One <url> of a urlset: the page (clean_url form), when it last changed, its news:title if any."""

    url: str
    lastmod: datetime | None = None
    title: str | None = None
    # Listed with <news:news>, or as a feed item: the site says the page is a news article.
    news: bool = False
    # <news:publication_date>, or a feed item's date.
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: pages of a <urlset> or child sitemap URLs of a <sitemapindex>; the other is empty."""

    pages: list[SitemapEntry] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    # Why the file had to be read leniently (None if it did not), and whether it lists more than max_urls URLs.
    recovered: str | None = None
    over_cap: bool = False
    # Entries that named no page to read (no usable <loc>, or lost to broken markup), and why, the first few.
    skipped: int = 0
    skipped_why: list[str] = field(default_factory=list)
    # The <lastmod>s of the first of `children`, those the index dates (newest first; the undated come after them).
    child_lastmods: tuple[datetime, ...] = ()


@dataclass(slots=True)
class _Skips:
    """Entries of a sitemap that named no page: how many, and why the first few did not."""

    count: int = 0
    why: list[str] = field(default_factory=list)
    read: int = 0  # entries read from the tree, usable or not

    def add(self, why: str, count: int = 1) -> None:
        self.count += count
        if len(self.why) < _SKIPPED_NAMED:
            self.why.append(why)


_SKIPPED_NAMED = 5


def parse_sitemap(
    content: bytes,
    *,
    sitemap_url: str,
    content_type: str | None = None,
    max_urls: int = MAX_URLS_PER_SITEMAP,
    fetched_at: datetime | None = None,
) -> Sitemap:
    """Pages (in document order) or child sitemaps (newest first) of a sitemap, one per canonical URL, at most
    max_urls.

    A lastmod or publication date that is no plausible one (a zero time, a year past 2100, or later than
    `fetched_at` allows; extractors.dates.plausible) is None.
    """
    source = f"sitemap {sitemap_url!r}"
    content, cut = inflated(content, source=source, error=SitemapError)  # sitemap.xml.gz, and sitemap.txt.gz too
    if _is_text_sitemap(content):
        return _text_sitemap(decode_xml(content, content_type=content_type), sitemap_url, max_urls, cut)
    try:
        # A cut file is not streamed: the stream would end in an error at the cut, read_xml reads up to it.
        streamed = None if cut else _streamed_urlset(content, source, sitemap_url, max_urls, fetched_at, content_type)
    except (etree.LxmlError, ValueError) as exc:
        if isinstance(exc, SitemapError):
            raise
        streamed = None  # not well-formed: read whole below, leniently
    if streamed is not None:
        return streamed
    document = read_xml(content, source=source, error=SitemapError, content_type=content_type, cut=cut)
    # Match on local names only: sitemaps in the wild use the 0.9 namespace, Google's old 0.84 one, or none.
    name, skips = split_tag(document.root)[1], _Skips()
    if name == "urlset":
        urls = _counted(_children(document, "url"), skips)
        pages = _unique(_pages(urls, sitemap_url, fetched_at, document, skips), key=_url_of, limit=max_urls + 1)
        # Read to its end, not cut short (whose last entry the cut took), and the lenient reading stopped at its
        # depth limit: what the tree lost can be counted.
        if document.depth_cut and document.text_end is None and len(pages) <= max_urls:
            _lost(content, "url", skips)
        return _capped(pages, [], document.recovered, max_urls, skips)
    if name == "sitemapindex":
        children, lastmods = _newest_first(document, sitemap_url, skips, fetched_at)
        if document.depth_cut and document.text_end is None:
            _lost(content, "sitemap", skips)
        return _capped([], children, document.recovered, max_urls, skips, child_lastmods=lastmods)
    entries = feed_entries(document, feed_url=sitemap_url, fetched_at=fetched_at)
    if entries is not None:
        feed_pages = (
            SitemapEntry(e.url, e.published_at, e.title, news=True, published_at=e.published_at) for e in entries
        )
        pages = _unique(feed_pages, key=_url_of, limit=max_urls + 1)
        return _capped(pages, [], document.recovered, max_urls)
    raise SitemapError(
        f"{source} has root element <{document.root.tag}>, not <urlset>, <sitemapindex> or a feed's; "
        "is the URL an HTML page?"
    )


def _streamed_urlset(
    content: bytes,
    source: str,
    sitemap_url: str,
    max_urls: int,
    fetched_at: datetime | None,
    content_type: str | None,
) -> Sitemap | None:
    """The pages of a well-formed <urlset>, parsed one <url> at a time; None for any other root."""
    stream = stream_xml(
        content, root="urlset", children="url", source=source, error=SitemapError, content_type=content_type
    )
    if stream is None:
        return None
    urls, skips = stream.children, _Skips()
    # One past the cap tells a longer sitemap from one of exactly max_urls; parsing on would cost ~6 us a URL (a
    # 3 MB gzip can hold a million of them) for URLs that are dropped anyway.
    pages = _unique(_pages(urls, sitemap_url, fetched_at, skips=skips), key=_url_of, limit=max_urls + 1)
    return _capped(pages, [], stream.recovered, max_urls, skips)


def _url_of(page: SitemapEntry) -> str:
    return page.url


# How far past an index's fetch a child's lastmod is a placeholder, not the end of the period the file covers.
_PLACEHOLDER_AHEAD = timedelta(days=365)


def _newest_first(
    document: XmlDocument, sitemap_url: str, skips: _Skips, fetched_at: datetime | None
) -> tuple[list[str], tuple[datetime, ...]]:
    """An index's child sitemaps, those with the latest <lastmod> first, the rest in document order after them;
    and the lastmods of the dated ones. A lastmod more than a year after the index's fetch is no date (a
    placeholder year 2099 would otherwise put its file ahead of the day's, run after run); one a few days or weeks
    ahead is a period's end (a monthly file dated the month's last day) and ranks as it says.

    Indexes list their children oldest first (Yoast's post-sitemap1..N, WordPress's, monthly archives), and a
    crawl reads a bounded number of them: the files that change are the ones whose new articles it wants.
    """
    dated: list[tuple[datetime | None, str]] = []
    for element in _counted(_children(document, "sitemap"), skips):
        if url := _loc(document, element, sitemap_url, skips):
            when = parse_published(child_text(element, "lastmod"))
            dated.append((None if when and fetched_at and when > fetched_at + _PLACEHOLDER_AHEAD else when, url))
    by_date = sorted(dated, key=lambda d: (d[0] is None, -(d[0].timestamp() if d[0] else 0.0)))  # stable
    children = _unique((url for _, url in by_date), key=lambda url: url)
    first_date: dict[str, datetime] = {}
    for when, url in by_date:
        if when is not None:
            first_date.setdefault(url, when)
    return children, tuple(first_date[url] for url in children if url in first_date)


def _capped(
    pages: list[SitemapEntry],
    children: list[str],
    recovered: str | None,
    max_urls: int,
    skips: _Skips | None = None,
    *,
    child_lastmods: tuple[datetime, ...] = (),
) -> Sitemap:
    over_cap = len(pages) > max_urls or len(children) > max_urls
    skips = skips or _Skips()
    lastmods = child_lastmods[:max_urls]
    return Sitemap(pages[:max_urls], children[:max_urls], recovered, over_cap, skips.count, skips.why, lastmods)


def _pages(
    urls: Iterable[etree._Element],
    sitemap_url: str,
    fetched_at: datetime | None,
    document: XmlDocument | None = None,
    skips: _Skips | None = None,
) -> Iterator[SitemapEntry]:
    """The entries of <url> elements; `document` is the recovered tree they are in, if they were read whole."""
    for element in urls:
        url = _loc(document, element, sitemap_url, skips)
        if url is None:  # a <url> without a usable <loc> names no page (counted in skips)
            continue
        news = element.find(any_ns("news"))
        title = None if news is None else child_text(news, "title")
        # A truncated download's last date may be cut short ("2024-05" of 2024-05-17): no date, not another one.
        published = None
        if news is not None:
            published_text = _whole(document, child_text(news, "publication_date"), element)
            published = parse_published(published_text, fetched_at=fetched_at)
        lastmod_text = _whole(document, child_text(element, "lastmod"), element)
        lastmod = parse_published(lastmod_text, fetched_at=fetched_at) or published
        yield SitemapEntry(url=url, lastmod=lastmod, title=title, news=news is not None, published_at=published)


def _loc(
    document: XmlDocument | None, element: etree._Element, sitemap_url: str, skips: _Skips | None = None
) -> str | None:
    text = child_text(element, "loc")
    # A truncated download may end inside the last <loc>: not counted, the file was cut.
    raw = _whole(document, text, element)
    url = None if raw is None else http_url(raw, base=sitemap_url)
    cut = document is not None and document.text_end is not None  # a <url> with no <loc> may be the cut's
    if url is None and skips is not None and (raw is not None or (text is None and not cut)):
        entry = split_tag(element)[1]
        skips.add(f"a <{entry}> with no <loc>" if text is None else f"<loc> {_shown(text)} is no http(s) URL")
    return url


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _counted(elements: Iterator[etree._Element], skips: _Skips) -> Iterator[etree._Element]:
    """The elements, each counted (skips.read): what _lost compares with the file's own count."""
    for element in elements:
        skips.read += 1
        yield element


def _lost(content: bytes, name: str, skips: _Skips) -> None:
    """Count the entries a leniently read file holds past the tree: libxml2's recover mode nests what follows an
    unclosed element inside it, and stops at a depth of 256, dropping the rest without a word."""
    written = start_tags(content, name)
    if written > skips.read:
        missing = written - skips.read
        entries = f"{missing:,} <{name}> entr{'ies' if missing > 1 else 'y'}"
        skips.add(f"{entries} past where broken markup ended the lenient reading", missing)


def _whole(document: XmlDocument | None, value: str | None, entry: etree._Element) -> str | None:
    """value (of `entry`), unless the recovered document it was read from (if any) may have cut it short."""
    return value if document is None else document.whole(value, within=entry)


def _is_text_sitemap(content: bytes) -> bool:
    """The first line that is not blank or a `#` comment is an http(s) URL (in UTF-8, or UTF-16 with its BOM).

    sitemaps.org's text file holds URLs alone, but generators head it with a comment ("# generated by ..."),
    and Windows tools save it as UTF-16: such files were refused as malformed XML, every URL in them lost.
    """
    head = content[:_TEXT_HEAD]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="ignore").encode()
    for line in head.removeprefix(codecs.BOM_UTF8).splitlines():
        line = line.strip().lower()
        if line and not line.startswith(b"#"):
            return line.startswith((b"http://", b"https://"))
    return False


_TEXT_HEAD = 4096  # bytes of a file looked at to tell a text sitemap: room for a few comment lines


def _text_sitemap(text: str, sitemap_url: str, max_urls: int, cut: str | None = None) -> Sitemap:
    """One URL per line (sitemaps.org "Text file"); lines that are no http(s) URL (comments) are skipped.

    `cut` says the file was cut short (a gzip stream that ended early): its last line, which the cut may have
    shortened into another URL, is dropped."""
    # Otherwise the last line is kept without its newline: most text files end that way, truncated or not.
    if cut:
        text = text[: max(text.rfind("\n"), text.rfind("\r"), 0)]
    lines = (line.strip() for line in text.removeprefix("\ufeff").splitlines())
    skips = _Skips()

    def usable(line: str) -> str | None:
        # A path ("/news/1") is read against the sitemap's URL; a line of words ("/* end */") is no URL.
        link = line.lower().startswith(("http://", "https://")) or (line.startswith("/") and len(line.split()) == 1)
        url = http_url(line, base=sitemap_url) if link else None
        if url is None:
            skips.add(f"line {_shown(line)} is no http(s) URL")
        return url

    found = (usable(line) for line in lines if line and not line.startswith("#"))
    urls = _unique((url for url in found if url), key=lambda url: url, limit=max_urls + 1)
    return _capped([SitemapEntry(url) for url in urls], [], cut, max_urls, skips)


def _children(document: XmlDocument, local_name: str) -> Iterator[etree._Element]:
    """The entries of a sitemap's root; in a file read leniently, also those nested in an entry left unclosed
    (recover mode puts the rest of the file inside it: one unclosed <url> or <image:image> lost every URL after
    it), if in the root's namespace, none or a sitemap one: an extension's element of the same name is none."""
    root = document.root
    if not document.lenient:
        return (el for el in root.iterchildren() if split_tag(el)[1] == local_name)
    namespace = split_tag(root)[0]
    return (el for el in root.iterdescendants() if _entry_namespace(el, local_name, namespace))


def _entry_namespace(element: etree._Element, local_name: str, root_namespace: str) -> bool:
    """An entry: its name, in the root's namespace, none (`<sm:urlset>` of bare `<url>`s), or a sitemap one."""
    namespace, name = split_tag(element)
    return name == local_name and (namespace in (root_namespace, "") or "sitemap" in namespace)


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
