"""Feed bytes -> the article links they announce: RSS 0.9x/1.0 (RDF)/2.0, Atom 0.3/1.0, CDF and JSON Feed 1.x,
gzipped or not.

Elements are matched by local name, so RSS in a namespace and Atom without one are read too. Only article
links become entries, in this order of preference: a FeedBurner <feedburner:origLink>; an item's own <link>
or an alternate atom:link (an Atom entry's alternate link), an HTML one before one of another type and never
one typed as a feed, JSON or media; a permalink <guid> or an Atom <id> that is an http(s) URL; RSS 1.0's
rdf:about. Never enclosure, licence, self, related, via or itunes:link links. A link to the site's front
page, the feed's own home page or a dead feedproxy.google.com redirect gives way to any later candidate
(WordPress themes that put the home page in every <link> keep the article in <guid>). Items with no article
link are counted and named (`Feed.skipped`), and a feed that is not well-formed XML is read leniently
(extractors/_xml.py) and says so (`Feed.recovered`), for the caller to record. Pure: no network, no
database; raises FeedError only when no feed can be read at all.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urljoin

from lxml import etree

from extractors._json_feed import JsonFeed, is_json_feed, read_json_feed
from extractors._xml import (
    MAX_DECOMPRESSED_BYTES,
    XmlDocument,
    base_url,
    http_url,
    inflated,
    read_xml,
    split_tag,
    start_tags,
    text_of,
)
from extractors.dates import parse_datetime, plausible
from extractors.urls import canonicalize_url, is_front_page

__all__ = ["MAX_DECOMPRESSED_BYTES", "Feed", "FeedEntry", "FeedError", "is_feed", "parse_datetime", "parse_feed"]

_ATOM_NS = frozenset({"http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#", ""})  # 1.0, 0.3 draft, none
# Atom's namespace as generators misspell it (https, a trailing slash, a draft's "#draft-ietf-atompub-...").
_ATOM_LIKE = re.compile(r"\bw3\.org/2005/atom\b|\bpurl\.org/atom/", re.IGNORECASE)
_ATOM_DATES = ("published", "updated", "issued", "modified")
_ARTICLE_RELS = frozenset({"alternate", ""})
_IANA_RELATIONS = "http://www.iana.org/assignments/relation/"
_PAGE_TYPES = frozenset({"", "text/html", "application/xhtml+xml"})
# Feeds (a WordPress entry's comments feed), JSON (its wp-json API record), media: never the article page.
_NOT_PAGE_TYPE = re.compile(r"(?:xml|json)$|^(?:audio|video|image)/")
_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
# FeedBurner's redirectors, switched off in 2022: their links now 404 where <feedburner:origLink> still works.
_DEAD_REDIRECTORS = ("feedproxy.google.com", "feeds.feedburner.com/~r/")
# How many skipped items a Feed names; the rest are only counted.
_SKIPPED_NAMED = 5
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
    """A feed's entries in order; `recovered` says why it had to be read leniently (None if it did not).

    `skipped` counts the items that named no page to fetch; `skipped_why` names the first few, and why.
    """

    entries: list[FeedEntry] = field(default_factory=list)
    recovered: str | None = None
    skipped: int = 0
    skipped_why: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Skipped:
    """An item with no article link: which one (its title, else its position), and why."""

    why: str


def parse_feed(
    content: bytes,
    *,
    feed_url: str,
    content_type: str | None = None,
    max_items: int | None = None,
    fetched_at: datetime | None = None,
) -> Feed:
    """Entries of a feed in order, one per canonical URL; items with no article link are skipped and counted.

    content_type is the HTTP Content-Type: its charset decodes a feed that its own declaration does not, and
    a JSON type (or a body naming a jsonfeed.org version) makes it a JSON Feed. Reading stops after
    `max_items` entries: each costs ~40 us of Python, so a hostile feed of a million items would otherwise
    hold its caller for half a minute. An item's date that is no plausible publication date (a zero time, a
    year past 2100, or later than `fetched_at` allows; extractors.dates.plausible) is None.
    """
    source = f"feed {feed_url!r}"
    content, cut = inflated(content, source=source, error=FeedError)
    if is_json_feed(content, content_type=content_type):
        json_feed = read_json_feed(content, source=source, error=FeedError, content_type=content_type)
        entries = _json_entries(json_feed, feed_url)
        recovered = "; ".join(n for n in (cut, json_feed.recovered) if n) or None
        return _collect(entries, limit=max_items, recovered=recovered, fetched_at=fetched_at)
    document = read_xml(content, source=source, error=FeedError, content_type=content_type, cut=cut)
    items = _items(document, feed_url=feed_url)
    if items is None:
        raise FeedError(
            f"{source} has root element <{document.root.tag}>, not <rss>, <rdf:RDF>, an Atom <feed>, a CDF "
            "<CHANNEL> or a JSON Feed; is the URL an HTML page or a sitemap?"
        )
    # Read leniently, a feed may hold items its tree lost: libxml2 nests what follows an unclosed element in it and
    # stops at a depth of 256, dropping the rest without a word. Where it stopped so, they are counted against the
    # file's own (not in a file cut short, whose last item is lost to the cut: the recovered note says so).
    whole = document.depth_cut and document.text_end is None
    written = start_tags(content, "item", "entry", "ITEM") if whole else None  # RSS (any version), Atom, CDF
    return _collect(items, limit=max_items, recovered=document.recovered, fetched_at=fetched_at, written=written)


def is_feed(root: etree._Element) -> bool:
    """Whether a parsed document's root is one parse_feed reads (sitemaps.py takes feeds as sitemaps)."""
    return _kind(root) is not None


def feed_entries(
    document: XmlDocument, *, feed_url: str, fetched_at: datetime | None = None
) -> Iterator[FeedEntry] | None:
    """The entries of a parsed feed, or None if its root is no feed's; implausible dates are None (parse_feed)."""
    items = _items(document, feed_url=feed_url)
    if items is None:
        return None
    return (_plausibly_dated(item, fetched_at) for item in items if isinstance(item, FeedEntry))


def _items(document: XmlDocument, *, feed_url: str) -> Iterator[FeedEntry | _Skipped] | None:
    kind = _kind(document.root)
    if kind == "rss":
        return _rss_items(document, feed_url)
    if kind == "atom":
        return _atom_entries(document, feed_url)
    if kind == "cdf":
        return _cdf_items(document, feed_url)
    return None


def _plausibly_dated(entry: FeedEntry, fetched_at: datetime | None) -> FeedEntry:
    """The entry, a date that is no publication date (extractors.dates.plausible) made None."""
    when = entry.published_at
    return entry if when is None or plausible(when, fetched_at=fetched_at) else replace(entry, published_at=None)


def _kind(root: etree._Element) -> str | None:
    namespace, name = split_tag(root)
    if name in ("rss", "RDF") or (name.lower() == "rss" and not namespace):  # <RSS>: see _in_spec_case
        return "rss"
    if name == "feed" and (namespace in _ATOM_NS or _ATOM_LIKE.search(namespace)):
        return "atom"
    if name.lower() == "channel" and not namespace:
        # CDF's <ITEM HREF="...">, or an RSS <channel> served without its <rss> (a feed cut out of a page, an
        # old generator): items with a <link> or <guid> of their own are RSS's.
        return "rss" if _RSS_ITEM_LINKS(root) else "cdf"
    return None


_RSS_ITEM_LINKS = etree.XPath(
    "boolean(//*[translate(local-name(), 'ITEM', 'item') = 'item' and not(@HREF or @href)]"
    "/*[translate(local-name(), 'LINKGUD', 'linkgud') = 'link'"
    " or translate(local-name(), 'LINKGUD', 'linkgud') = 'guid'])"
)


# RSS 0.9x/2.0's element names as the specs spell them. Feeds written by hand or by old tools vary the case
# (<Item>, <Link>, <PubDate>, <pubdate>, <RSS>), which feedparser reads (it lowercases every name); here, elements
# without a namespace are renamed to the spec's spelling. A feed keeps one style throughout, so its first elements
# tell whether it needs it (a check of every element cost RSS parsing 13 %).
_RSS_NAMES = {n.lower(): n for n in ("rss", "channel", "item", "link", "title", "guid", "pubDate", "description")}
_SAMPLE = 200


def _in_spec_case(root: etree._Element) -> None:
    """Rename RSS elements written in another case to the spec's spelling, in place."""
    if not any(_miscased(element.tag) for element in itertools.islice(root.iter(tag=etree.Element), _SAMPLE)):
        return
    for element in root.iter(tag=etree.Element):
        if _miscased(element.tag):
            element.tag = _RSS_NAMES[element.tag.lower()]


def _miscased(name: object) -> bool:
    if not isinstance(name, str) or "}" in name:  # namespaced (RSS 1.0's are lower-case by its spec)
        return False
    canonical = _RSS_NAMES.get(name.lower())
    return canonical is not None and canonical != name


def _rss_items(document: XmlDocument, feed_url: str) -> Iterator[FeedEntry | _Skipped]:
    _in_spec_case(document.root)
    home = _rss_home(document.root, feed_url)
    # RSS 2.0 nests items in <channel>; RSS 1.0 and 0.90 put them next to it, in their own namespaces.
    for number, item in enumerate(document.root.iter("{*}item"), 1):
        parent = item.getparent()
        # Anywhere but inside an item's own elements (a wrapper such as <channel><items> is kept, as feedparser
        # does); inside another item, or one of its elements, when recover mode nested the rest of the file in an
        # element left unclosed (an item's <title> without its end tag held the 10 items after it).
        if parent is None or (split_tag(parent)[1] != "item" and not _nested_by_recovery(document, item, parent)):
            continue
        link = _rss_link(item, feed_url, home=home, lenient=document.recovered is not None)
        if link is None and not _cut_off(document, item):
            yield _skipped(_title(_own_child(item, "title")), number, "no http(s) link, permalink guid or rdf:about")
        url = _accept(document, link, item)
        if url is None:
            continue
        # RSS 2.0's pubDate, else dc:date, else .NET's a10:updated: the first that reads as a date.
        dates = (_own_text(item, "pubDate"), _child_text_any(item, "date"), _child_text_any(item, "updated"))
        published = next(filter(None, (parse_datetime(document.whole(when, within=item)) for when in dates)), None)
        yield FeedEntry(url=url, title=_title(_own_child(item, "title")), published_at=published)


def _rss_link(
    item: etree._Element, feed_url: str, *, home: str | None = None, lenient: bool = False
) -> tuple[str, str] | None:
    """(raw link, absolute http(s) URL) of an item: see the module's order of preference.

    home: the feed's own home page (its channel <link>), which only a link with no alternative may be.
    lenient: also a <link> deeper in the item, where recover mode puts it after an unclosed <title>.
    """
    base = base_url(item, feed_url)
    # lazily: the first usable candidate is nearly always it
    candidates = ((raw, http_url(raw, base=base)) for raw in _rss_link_candidates(item, lenient=lenient))
    return _choose(candidates, home=home)


def _rss_link_candidates(item: etree._Element, *, lenient: bool) -> Iterator[str | None]:
    yield from _orig_links(item)
    namespace = split_tag(item)[0]
    tag = f"{{{namespace}}}link" if namespace else "link"
    links = list(item.iterchildren(tag))
    if lenient and not links:
        links = [link for link in item.iter(tag) if _nearest_item(link) is item]
    # <link href="..."/> written Atom-style in RSS (podlove.org, 2012); rel="enclosure" ones are not the page
    for link in _page_links(links):
        yield text_of(link) or link.get("href")
    for link in _page_links(item.iterchildren("{http://www.w3.org/2005/Atom}link")):
        yield link.get("href")
    guid = _own_child(item, "guid", strict=True)
    permalink = (guid.get("isPermaLink") or "").strip().lower() if guid is not None else "false"
    if permalink == "true":  # said outright: a relative path is resolved like a link (xml:base, the feed's URL)
        text = text_of(guid)  # "1013" or a UUID, said to be a permalink all the same, is no path
        yield text if text and "/" in text else None
    elif permalink != "false":
        # "isPermaLink" defaults to true, and many feeds leave it out of guids like "12345": only a URL is one.
        yield _absolute(text_of(guid))
    yield _absolute(item.get(_RDF_ABOUT))  # RSS 1.0: the item's URI, where it has no <link>


def _orig_links(element: etree._Element) -> Iterator[str | None]:
    """FeedBurner's <feedburner:origLink>: the publisher's own address behind a feedproxy <link>."""
    # Any namespace; recover mode leaves an undeclared "feedburner:" prefix in the tag.
    for child in element.iterchildren("{*}origLink", "feedburner:origLink"):
        yield text_of(child)


def _page_links(links: Iterable[etree._Element]) -> list[etree._Element]:
    """The article-rel links among these, typed as a page (or untyped) first; never feed, JSON or media ones."""
    pages, others = [], []
    for link in links:
        # Case-insensitive, and the IANA registry's full URI is the same relation (RFC 4287 4.2.7.2).
        rel = (link.get("rel") or "alternate").strip().lower().removeprefix(_IANA_RELATIONS)
        if rel not in _ARTICLE_RELS:
            continue
        media_type = (link.get("type") or "").partition(";")[0].strip().lower()
        if media_type in _PAGE_TYPES:
            pages.append(link)
        elif not _NOT_PAGE_TYPE.search(media_type):
            others.append(link)
    return pages + others


def _absolute(raw: str | None) -> str | None:
    return raw if raw and raw.strip().lower().startswith(("http://", "https://")) else None


def _choose(candidates: Iterable[tuple[str | None, str | None]], *, home: str | None) -> tuple[str, str] | None:
    """The first usable (raw, URL) candidate that may be an article; a front or home page only if none is."""
    fallback = None
    for raw, url in candidates:
        if not raw or not url:
            continue
        if not _front_or_dead(url, home):
            return raw, url
        fallback = fallback or (raw, url)
    return fallback


def _front_or_dead(url: str, home: str | None) -> bool:
    """Whether a link is the site's front page, the feed's home page or a dead FeedBurner redirect."""
    if is_front_page(url) or (home is not None and url.rstrip("/") == home):
        return True
    return url.partition("://")[2].startswith(_DEAD_REDIRECTORS)  # clean_url form: scheme://host/path


def _rss_home(root: etree._Element, feed_url: str) -> str | None:
    """The channel's own <link> (not an atom:link, which is the feed's), without its trailing slash."""
    channel = root if split_tag(root)[1] == "channel" else _own_child(root, "channel")
    link = None if channel is None else _own_child(channel, "link", strict=True)
    home = None if link is None else http_url(text_of(link) or link.get("href"), base=base_url(link, feed_url))
    return home.rstrip("/") if home else None


def _cut_off(document: XmlDocument, element: etree._Element) -> bool:
    """Whether an element may have lost its link to a truncation: it ends a document that was cut short."""
    if document.text_end is None:
        return False
    return all(next(el.itersiblings(), None) is None for el in (element, *element.iterancestors()))


def _skipped(title: str | None, number: int, why: str) -> _Skipped:
    return _Skipped(f"{title!r}: {why}" if title else f"item {number}: {why}")


def _nested_by_recovery(document: XmlDocument, item: etree._Element, parent: etree._Element) -> bool:
    """Whether an item is where it is because recover mode nested it in an element left unclosed: read leniently,
    and an item of the same kind as the one whose element holds it (not mod_content's <content:item>). An item in
    no item is in a wrapper (<channel><items>): read too."""
    holder = _nearest_item(parent)
    return holder is None or (document.lenient and split_tag(holder)[0] == split_tag(item)[0])


def _nearest_item(element: etree._Element) -> etree._Element | None:
    return next((el for el in element.iterancestors() if split_tag(el)[1] == "item"), None)


def _atom_entries(document: XmlDocument, feed_url: str) -> Iterator[FeedEntry | _Skipped]:
    namespace = split_tag(document.root)[0]
    ns = f"{{{namespace}}}" if namespace else ""
    home = next(iter(_page_links(document.root.iterchildren(f"{ns}link"))), None)
    home_url = None if home is None else http_url(home.get("href") or text_of(home), base=base_url(home, feed_url))
    # Nested entries only come from recover mode, after an entry that was never closed.
    for number, entry in enumerate(document.root.iter(f"{ns}entry"), 1):
        if entry.getparent() is not document.root and split_tag(entry.getparent())[1] != "entry":
            continue
        link = _atom_link(entry, ns, feed_url, home=home_url.rstrip("/") if home_url else None)
        if link is None and not _cut_off(document, entry):
            yield _skipped(_title(entry.find(f"{ns}title")), number, "no alternate http(s) link or http(s) <id>")
        url = _accept(document, link, entry)
        if url is None:
            continue
        # Atom 1.0's names, then 0.3's: the first that reads (an unreadable <published> has a readable <updated>).
        dates = (parse_datetime(document.whole(_text(entry.find(ns + tag)), within=entry)) for tag in _ATOM_DATES)
        published = next((when for when in dates if when is not None), None)
        yield FeedEntry(url=url, title=_title(entry.find(f"{ns}title")), published_at=published)


def _atom_link(entry: etree._Element, ns: str, feed_url: str, *, home: str | None = None) -> tuple[str, str] | None:
    """(raw link, URL) of an entry: its FeedBurner origLink, its alternate page link (Atom 0.3 may put it
    in the text), else its id; the feed's home page (`home`) or front page only if nothing else."""
    return _choose(_atom_link_candidates(entry, ns, feed_url), home=home)


def _atom_link_candidates(entry: etree._Element, ns: str, feed_url: str) -> Iterator[tuple[str | None, str | None]]:
    for raw in _orig_links(entry):
        yield raw, http_url(raw, base=base_url(entry, feed_url))
    for link in _page_links(entry.iterchildren(f"{ns}link")):
        raw = link.get("href") or text_of(link)
        yield raw, http_url(raw, base=base_url(link, feed_url))
    id_element = entry.find(f"{ns}id")
    entry_id = _text(id_element)
    # RFC 4287 4.2.6 wants an absolute IRI, but some feeds write a relative one ("/2024/05/story"); read
    # against xml:base and the feed URL as feedparser does. tag:, urn: and other schemes name no page.
    if id_element is None or not entry_id:
        return
    if _SCHEME.match(entry_id) and not entry_id.lower().startswith(("http://", "https://")):
        return
    yield entry_id, http_url(entry_id, base=base_url(id_element, feed_url))


def _cdf_items(document: XmlDocument, feed_url: str) -> Iterator[FeedEntry | _Skipped]:
    # Microsoft's Channel Definition Format (1997): <ITEM HREF="..."> with <TITLE>, in any case.
    number = 0
    for item in document.root.iter():
        if not isinstance(item.tag, str) or item.tag.lower() != "item":
            continue
        number += 1
        raw = item.get("HREF") or item.get("href")
        found = http_url(raw, base=_cdf_base(item, feed_url))
        title = next((child for child in item if isinstance(child.tag, str) and child.tag.lower() == "title"), None)
        if not (raw and found) and not _cut_off(document, item):
            yield _skipped(_title(title), number, "no http(s) HREF")
        url = _accept(document, (raw, found) if raw and found else None, item)
        if url is not None:
            yield FeedEntry(url=url, title=_title(title))


def _cdf_base(item: etree._Element, feed_url: str) -> str:
    """CDF's BASE attribute on the item's ancestors, over xml:base and the feed URL."""
    base = base_url(item, feed_url)
    for ancestor in reversed(list(item.iterancestors())):
        if ancestor.get("BASE"):
            try:
                base = urljoin(base, str(ancestor.get("BASE")).strip())
            except ValueError:  # a broken host ("http://[::1"): the enclosing base stands, as for xml:base
                continue
    return base


def _json_entries(feed: JsonFeed, feed_url: str) -> Iterator[FeedEntry | _Skipped]:
    home = http_url(feed.home_page_url, base=feed_url)
    for number, item in enumerate(feed.items, 1):
        link = _choose(((raw, http_url(raw, base=feed_url)) for raw in item.links), home=home and home.rstrip("/"))
        if link is None:
            yield _skipped(item.title, number, "no http(s) url, and no id that is one")
            continue
        yield FeedEntry(url=link[1], title=item.title, published_at=parse_datetime(item.date))


def _accept(document: XmlDocument, link: tuple[str, str] | None, entry: etree._Element) -> str | None:
    """The URL of a link found in `entry`, unless a truncated download may have cut it short."""
    if link is None or document.cut_short(link[0], within=entry):
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
    text = text_of(element) or ""
    if element.get("type") in ("html", "text/html") or (element.get("mode") == "escaped"):  # escaped HTML
        text = html.unescape(_TAG.sub("", text))
    return _SPACE.sub(" ", text).strip() or None


def _collect(
    items: Iterator[FeedEntry | _Skipped],
    *,
    limit: int | None,
    recovered: str | None = None,
    fetched_at: datetime | None = None,
    written: int | None = None,
) -> Feed:
    """The feed of these items: entries one per canonical URL, up to `limit`, dated plausibly or not at all;
    skipped ones counted, and, read to the end, those of the `written` items (the file's own count) not read."""
    seen: set[str] = set()
    unique: list[FeedEntry] = []
    skipped: list[str] = []
    count = read = 0
    for item in items:
        if limit is not None and len(unique) >= limit:
            break
        read += 1
        if isinstance(item, _Skipped):
            count += 1
            if len(skipped) < _SKIPPED_NAMED:
                skipped.append(item.why)
            continue
        key = canonicalize_url(item.url)
        if key not in seen:
            seen.add(key)
            unique.append(_plausibly_dated(item, fetched_at))
    else:
        if written is not None and written > read:
            count += written - read
            if len(skipped) < _SKIPPED_NAMED:
                lost = written - read
                named = f"{lost:,} item{'s' * (lost > 1)}"
                skipped.append(f"{named} the lenient reading lost (broken markup or a cut-off file)")
    return Feed(unique, recovered, count, skipped)
