"""Feed bytes -> the article links they announce: RSS 0.9x/1.0 (RDF)/2.0, Atom 0.3/1.0 and CDF, gzipped or not.

Elements are matched by local name, so RSS in a namespace and Atom without one are read too. Only article
links become entries: an item's own <link> (or an alternate atom:link, or a permalink <guid>), an Atom
entry's alternate link, else its <id> when that is an http(s) URL; never enclosure, licence, self, related,
via or itunes:link links. A feed that is not well-formed XML is read leniently (extractors/_xml.py) and the
result says so (`Feed.recovered`), for the caller to record. Pure: no network, no database; raises FeedError
only when no feed can be read at all.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urljoin

from lxml import etree

from extractors._xml import (
    MAX_DECOMPRESSED_BYTES,
    XmlDocument,
    base_url,
    http_url,
    read_xml,
    split_tag,
    text_of,
)
from extractors.dates import parse_datetime, plausible
from extractors.urls import canonicalize_url

__all__ = ["MAX_DECOMPRESSED_BYTES", "Feed", "FeedEntry", "FeedError", "is_feed", "parse_datetime", "parse_feed"]

_ATOM_NS = frozenset({"http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#", ""})  # 1.0, 0.3 draft, none
_ATOM_DATES = ("published", "updated", "issued", "modified")
_ARTICLE_RELS = frozenset({"alternate", ""})
_TAG = re.compile(r"<[^>]*>")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_SPACE = re.compile(r"\s+")


class FeedError(ValueError):
    """The bytes are not an RSS, RDF, Atom or CDF feed, even read leniently."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed: the page it links to (clean_url form), its title and publication time."""

    url: str
    title: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed's entries in order; `recovered` says why it had to be read leniently (None if it did not)."""

    entries: list[FeedEntry] = field(default_factory=list)
    recovered: str | None = None


def parse_feed(
    content: bytes,
    *,
    feed_url: str,
    content_type: str | None = None,
    max_items: int | None = None,
    fetched_at: datetime | None = None,
) -> Feed:
    """Entries of a feed in order, one per canonical URL; items with no article link are skipped.

    content_type is the HTTP Content-Type: its charset decodes a feed that its own declaration does not.
    Reading stops after `max_items` entries: each costs ~40 us of Python, so a hostile feed of a million
    items would otherwise hold its caller for half a minute. An item's date that is no plausible publication
    date (a zero time, a year 2077 or later than `fetched_at` allows; extractors.dates.plausible) is None.
    """
    source = f"feed {feed_url!r}"
    document = read_xml(content, source=source, error=FeedError, content_type=content_type)
    entries = feed_entries(document, feed_url=feed_url, fetched_at=fetched_at)
    if entries is None:
        raise FeedError(
            f"{source} has root element <{document.root.tag}>, not <rss>, <rdf:RDF>, an Atom <feed> or a CDF "
            "<CHANNEL>; is the URL an HTML page or a sitemap?"
        )
    return Feed(_unique_by_url(entries, limit=max_items), document.recovered)


def is_feed(root: etree._Element) -> bool:
    """Whether a parsed document's root is one parse_feed reads (sitemaps.py takes feeds as sitemaps)."""
    return _kind(root) is not None


def feed_entries(
    document: XmlDocument, *, feed_url: str, fetched_at: datetime | None = None
) -> Iterator[FeedEntry] | None:
    """The entries of a parsed feed, or None if its root is no feed's; implausible dates are None (parse_feed)."""
    kind = _kind(document.root)
    if kind == "rss":
        return _plausibly_dated(_rss_items(document, feed_url), fetched_at)
    if kind == "atom":
        return _plausibly_dated(_atom_entries(document, feed_url), fetched_at)
    if kind == "cdf":
        return _plausibly_dated(_cdf_items(document, feed_url), fetched_at)
    return None


def _plausibly_dated(entries: Iterator[FeedEntry], fetched_at: datetime | None) -> Iterator[FeedEntry]:
    """The entries, a date that is no publication date (extractors.dates.plausible) made None."""
    for entry in entries:
        when = entry.published_at
        yield entry if when is None or plausible(when, fetched_at=fetched_at) else replace(entry, published_at=None)


def _kind(root: etree._Element) -> str | None:
    namespace, name = split_tag(root)
    if name in ("rss", "RDF"):
        return "rss"
    if name == "feed" and namespace in _ATOM_NS:
        return "atom"
    if name.lower() == "channel" and not namespace:
        return "cdf"
    return None


def _rss_items(document: XmlDocument, feed_url: str) -> Iterator[FeedEntry]:
    # RSS 2.0 nests items in <channel>; RSS 1.0 and 0.90 put them next to it, in their own namespaces.
    for item in document.root.iter("{*}item"):
        parent = item.getparent()
        # Inside another item only when that one was never closed and recover mode nested the rest in it.
        if parent is None or split_tag(parent)[1] not in ("channel", "rss", "RDF", "item"):
            continue
        url = _accept(document, _rss_link(item, feed_url, lenient=document.recovered is not None))
        if url is None:
            continue
        when = _own_text(item, "pubDate") or _child_text_any(item, "date")  # RSS 2.0 or dc:date
        yield FeedEntry(url=url, title=_title(_own_child(item, "title")), published_at=parse_datetime(when))


def _rss_link(item: etree._Element, feed_url: str, *, lenient: bool = False) -> tuple[str, str] | None:
    """(raw link, absolute http(s) URL) of an item: its own <link>, an alternate atom:link, a permalink guid.

    lenient: also a <link> deeper in the item, where recover mode puts it after an unclosed <title>.
    """
    base = base_url(item, feed_url)
    for raw in _rss_link_candidates(item, lenient=lenient):  # lazily: the first usable one is nearly always it
        url = http_url(raw, base=base) if raw else None
        if raw and url:
            return raw, url
    return None


def _rss_link_candidates(item: etree._Element, *, lenient: bool) -> Iterator[str | None]:
    namespace = split_tag(item)[0]
    tag = f"{{{namespace}}}link" if namespace else "link"
    links = list(item.iterchildren(tag))
    if lenient and not links:
        links = [link for link in item.iter(tag) if _nearest_item(link) is item]
    for link in links:
        # <link href="..."/> written Atom-style in RSS (podlove.org, 2012); rel="enclosure" ones are not the page
        if (link.get("rel") or "alternate").strip() in _ARTICLE_RELS:
            yield text_of(link) or link.get("href")
    for link in item.iterchildren("{http://www.w3.org/2005/Atom}link"):
        if (link.get("rel") or "alternate").strip() in _ARTICLE_RELS:
            yield link.get("href")
    guid = _own_child(item, "guid", strict=True)
    if guid is not None and (guid.get("isPermaLink") or "true").strip().lower() != "false":
        yield text_of(guid)


def _nearest_item(element: etree._Element) -> etree._Element | None:
    return next((el for el in element.iterancestors() if split_tag(el)[1] == "item"), None)


def _atom_entries(document: XmlDocument, feed_url: str) -> Iterator[FeedEntry]:
    namespace = split_tag(document.root)[0]
    ns = f"{{{namespace}}}" if namespace else ""
    # Nested entries only come from recover mode, after an entry that was never closed.
    for entry in document.root.iter(f"{ns}entry"):
        if entry.getparent() is not document.root and split_tag(entry.getparent())[1] != "entry":
            continue
        url = _accept(document, _atom_link(entry, ns, feed_url))
        if url is None:
            continue
        when = None
        for tag in _ATOM_DATES:  # Atom 1.0, then 0.3's names
            when = _text(entry.find(ns + tag))
            if when:
                break

        yield FeedEntry(url=url, title=_title(entry.find(f"{ns}title")), published_at=parse_datetime(when))


def _atom_link(entry: etree._Element, ns: str, feed_url: str) -> tuple[str, str] | None:
    """(raw link, URL) of an entry: its first alternate link (Atom 0.3 may put it in the text), else its id."""
    for link in entry.iterchildren(f"{ns}link"):
        if (link.get("rel") or "alternate").strip() not in _ARTICLE_RELS:
            continue
        raw = link.get("href") or text_of(link)
        url = http_url(raw, base=base_url(link, feed_url))
        if raw and url:
            return raw, url
    id_element = entry.find(f"{ns}id")
    entry_id = _text(id_element)
    # RFC 4287 4.2.6 wants an absolute IRI, but some feeds write a relative one ("/2024/05/story"); read
    # against xml:base and the feed URL as feedparser does. tag:, urn: and other schemes name no page.
    if id_element is None or not entry_id:
        return None
    if _SCHEME.match(entry_id) and not entry_id.lower().startswith(("http://", "https://")):
        return None
    url = http_url(entry_id, base=base_url(id_element, feed_url))
    return (entry_id, url) if url else None


def _cdf_items(document: XmlDocument, feed_url: str) -> Iterator[FeedEntry]:
    # Microsoft's Channel Definition Format (1997): <ITEM HREF="..."> with <TITLE>, in any case.
    for item in document.root.iter():
        if not isinstance(item.tag, str) or item.tag.lower() != "item":
            continue
        raw = item.get("HREF") or item.get("href")
        found = http_url(raw, base=_cdf_base(item, feed_url))
        url = _accept(document, (raw, found) if raw and found else None)
        if url is not None:
            title = next((child for child in item if isinstance(child.tag, str) and child.tag.lower() == "title"), None)
            yield FeedEntry(url=url, title=_title(title))


def _cdf_base(item: etree._Element, feed_url: str) -> str:
    """CDF's BASE attribute on the item's ancestors, over xml:base and the feed URL."""
    base = base_url(item, feed_url)
    for ancestor in reversed(list(item.iterancestors())):
        if ancestor.get("BASE"):
            base = urljoin(base, str(ancestor.get("BASE")).strip())
    return base


def _accept(document: XmlDocument, link: tuple[str, str] | None) -> str | None:
    """The URL of a found link, unless a truncated download may have cut it short."""
    if link is None or document.cut_short(link[0]):
        return None
    return link[1]


def _own_child(element: etree._Element, local_name: str, *, strict: bool = False) -> etree._Element | None:
    """The first child with this local name in the element's own namespace; else, unless strict, in any."""
    namespace = split_tag(element)[0]
    own = element.find(f"{{{namespace}}}{local_name}" if namespace else local_name)
    if own is not None or strict:
        return own
    return element.find(f"{{*}}{local_name}")


def _own_text(element: etree._Element, local_name: str) -> str | None:
    return _text(_own_child(element, local_name))


def _child_text_any(element: etree._Element, local_name: str) -> str | None:
    return _text(element.find(f"{{*}}{local_name}"))


def _text(element: etree._Element | None) -> str | None:
    return None if element is None else text_of(element)


def _title(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = "".join(str(part) for part in element.itertext(with_tail=False))
    if element.get("type") in ("html", "text/html") or (element.get("mode") == "escaped"):  # escaped HTML
        text = html.unescape(_TAG.sub("", text))
    return _SPACE.sub(" ", text).strip() or None


def _unique_by_url(entries: Iterator[FeedEntry], *, limit: int | None = None) -> list[FeedEntry]:
    seen: set[str] = set()
    unique: list[FeedEntry] = []
    for entry in entries:
        if limit is not None and len(unique) >= limit:
            break
        key = canonicalize_url(entry.url)
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    return unique
