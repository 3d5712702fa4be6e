"""Feed bytes -> the article links they announce: RSS 2.0 (and 0.9x), RSS 1.0/RDF and Atom, gzipped or not.

Pure: no network, no database. XML is parsed with entity expansion, DTD loading and network access off, and
documents that declare entities are refused, so a hostile feed cannot read files or blow up memory.
Raises FeedError for anything that is not a well-formed feed.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree

from extractors.urls import InvalidURLError, canonicalize_url, clean_url

# The sitemap protocol's own limit for an uncompressed sitemap; no honest feed comes near it.
MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ATOM_NS = ("http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#")  # 1.0 and the 0.3 draft
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


class FeedError(ValueError):
    """The bytes are not a well-formed RSS, RDF or Atom feed."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed: the page it links to (clean_url form), its title and publication time."""

    url: str
    title: str | None = None
    published_at: datetime | None = None


def parse_feed(content: bytes, *, feed_url: str, max_items: int | None = None) -> list[FeedEntry]:
    """Entries of an RSS, RDF or Atom feed in order, one per canonical URL; items with no link are skipped.

    Reading stops after `max_items` entries: each costs ~40 us of Python, so a hostile feed of a million
    items would otherwise hold its caller for half a minute.
    """
    root = _parse_xml(content, source=f"feed {feed_url!r}", error=FeedError)
    namespace, name = _split_tag(root)
    if (name == "rss" and not namespace) or (name == "RDF" and namespace == _RDF_NS):
        entries = _rss_items(root, feed_url)
    elif name == "feed" and namespace in _ATOM_NS:
        entries = _atom_entries(root, feed_url)
    else:
        raise FeedError(
            f"feed {feed_url!r} has root element <{root.tag}>, not <rss>, <rdf:RDF> or an Atom <feed>; "
            "is the URL an HTML page or a sitemap?"
        )
    return _unique_by_url(entries, limit=max_items)


def _rss_items(root: etree._Element, feed_url: str) -> Iterator[FeedEntry]:
    # RSS 2.0 nests items in <channel>; RSS 1.0 and 0.90 put them next to it, in their own namespaces.
    for item in root.iter(_any_ns("item")):
        parent = item.getparent()
        if parent is None or _split_tag(parent)[1] not in ("channel", "rss", "RDF"):
            continue
        url = _http_url(_rss_link(item) or _permalink_guid(item), base=_base(item, feed_url))
        if url is None:
            continue
        when = _child_text(item, "pubDate") or _child_text(item, "date")  # RSS 2.0 or dc:date
        yield FeedEntry(url=url, title=_title(_own_child(item, "title")), published_at=parse_datetime(when))


def _rss_link(item: etree._Element) -> str | None:
    """The item's <link> text; an atom:link href when that is all there is."""
    links = list(item.iterchildren(_any_ns("link")))
    texts = [_text(el) for el in links] + [el.get("href") for el in links]
    return next((str(text) for text in texts if text), None)


def _own_child(element: etree._Element, local_name: str) -> etree._Element | None:
    """The first child with this local name, preferring the element's own namespace over extensions."""
    namespace = _split_tag(element)[0]
    own = element.find(f"{{{namespace}}}{local_name}" if namespace else local_name)
    return own if own is not None else element.find(_any_ns(local_name))


def _atom_entries(root: etree._Element, feed_url: str) -> Iterator[FeedEntry]:
    namespace = _split_tag(root)[0]
    for entry in root.iterchildren(f"{{{namespace}}}entry"):
        links = entry.findall(f"{{{namespace}}}link")
        with_href = [el for el in links if el.get("href")]
        alternate = [el for el in with_href if el.get("rel", "alternate") == "alternate"]
        if not with_href:
            continue
        chosen = (alternate or with_href)[0]
        url = _http_url(chosen.get("href"), base=_base(chosen, feed_url))
        if url is None:
            continue
        when = _child_text(entry, f"{{{namespace}}}published") or _child_text(entry, f"{{{namespace}}}updated")
        title = _title(entry.find(f"{{{namespace}}}title"))
        yield FeedEntry(url=url, title=title, published_at=parse_datetime(when))


def _permalink_guid(item: etree._Element) -> str | None:
    guid = item.find("guid")
    if guid is None or guid.get("isPermaLink", "true").strip().lower() == "false":
        return None
    return _text(guid)


def _title(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = "".join(str(part) for part in element.itertext(with_tail=False))
    if element.get("type") == "html":  # Atom: the title is escaped HTML
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


def parse_datetime(value: str | None) -> datetime | None:
    """A feed or sitemap timestamp (RFC 822 or ISO 8601/W3C) as an aware datetime; naive ones are read as UTC.

    An unreadable timestamp gives None: a bad date must not cost us the link it came with.
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (ValueError, TypeError, IndexError, OverflowError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# TODO(#4): the helpers below are shared with sitemaps.py; move them to extractors/_xml.py.


def _parse_xml(content: bytes, *, source: str, error: Callable[[str], Exception]) -> etree._Element:
    """The root element of an XML document (gunzipped if needed), parsed so it cannot reach out or blow up."""
    if content[:2] == _GZIP_MAGIC:
        content = _gunzip(content, source=source, error=error)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise error(f"{source} is not well-formed XML: {exc}") from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise error(f"{source} declares XML entities in its DOCTYPE; refusing it (entity expansion attacks)")
    return root


def _gunzip(content: bytes, *, source: str, error: Callable[[str], Exception]) -> bytes:
    decompressor = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer
    try:
        data = decompressor.decompress(content, MAX_DECOMPRESSED_BYTES + 1)
    except zlib.error as exc:
        raise error(f"{source} starts like gzip but is corrupt: {exc}") from exc
    if len(data) > MAX_DECOMPRESSED_BYTES:
        raise error(f"{source} inflates to more than {MAX_DECOMPRESSED_BYTES:,} bytes; refusing it")
    if not decompressor.eof:
        raise error(f"{source} is a truncated gzip stream ({len(content):,} compressed bytes)")
    return data


def _split_tag(element: etree._Element) -> tuple[str, str]:
    """(namespace, local name) of an element; ("", "") for comments and other non-elements."""
    if not isinstance(element.tag, str):
        return "", ""
    qname = etree.QName(element)
    return qname.namespace or "", qname.localname


def _any_ns(local_name: str) -> str:
    return f"{{*}}{local_name}"


def _child_text(element: etree._Element, tag: str) -> str | None:
    """Text of the first child with this tag; a bare local name matches it in any namespace or none."""
    child = element.find(tag if tag.startswith("{") else _any_ns(tag))
    return None if child is None else _text(child)


def _text(element: etree._Element) -> str | None:
    text = "".join(str(part) for part in element.itertext(with_tail=False)).strip()
    return text or None


def _base(element: etree._Element, document_url: str) -> str:
    """The URL relative links in this element resolve against: xml:base attributes over the document URL."""
    base = document_url
    for el in [*reversed(list(element.iterancestors())), element]:
        relative = el.get(_XML_BASE)
        if relative:
            base = urljoin(base, str(relative).strip())
    return base


def _http_url(link: str | None, *, base: str) -> str | None:
    """The absolute http(s) address of a link in clean_url form, or None if it is not one."""
    if not link:
        return None
    try:
        return clean_url(urljoin(base, link.strip()))
    except (InvalidURLError, ValueError):  # mailto:, tag: URIs, broken hosts: nothing we could fetch
        return None
