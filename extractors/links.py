"""HTML of a home or section page -> links to other pages of the same site that might be articles, and the
feeds the page advertises.

For link discovery next to feeds and sitemaps, and for finding a site's feeds from its homepage (RSS
autodiscovery: `<link rel="alternate" type="application/rss+xml" href="...">`). Pure: no fetching, no
robots.txt check (the caller applies RobotsRules). Never raises on bad HTML: a page without links gives [].
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import etree

from extractors._crowded import refuse_crowded_tags
from extractors.urls import InvalidURLError, canonicalize_url, clean_url, is_same_site

# Links to files, not pages. Feeds and sitemaps are found through their own parsers, not through <a> tags.
ASSET_EXTENSIONS: frozenset[str] = frozenset(
    """
    jpg jpeg png gif webp avif svg ico bmp tif tiff heic
    css js mjs json map woff woff2 ttf otf eot
    pdf doc docx xls xlsx ppt pptx odt csv txt rtf epub
    zip gz tgz bz2 xz 7z rar tar dmg exe apk msi iso
    mp3 m4a aac ogg oga wav flac mp4 m4v mov avi mkv webm wmv flv m3u8
    xml rss atom rdf ics vcf
    """.split()
)


# A menu label ("World", "Tech & Science") names a listing page; a headline names an article.
MENU_LABEL_MAX_WORDS = 3
# What an article's address has and a section's rarely does: a name under a date (/2024/05/06/budget-passed/,
# not the archive /2024/05/), a date in one piece (2024-05-06, 20240506), a long numeric id, or a headline slug
# of four words or more ("arts-and-culture" is a section).
_ARTICLE_PATH = re.compile(
    r"/(?:19|20)\d\d/(?:0?[1-9]|1[0-2])/(?:(?:0?[1-9]|[12]\d|3[01])/)?(?!page(?:/|$))[^/\d][^/]*"
    r"|(?<!\d)(?:19|20)\d\d-?(?:0[1-9]|1[0-2])-?(?:0[1-9]|[12]\d|3[01])(?!\d)"
    r"|(?<![\w.])\d{5,}(?!\w)|[^\W_]+(?:[-_][^\W_]+){3,}",
)


# The media types of feed autodiscovery (the RSS Advisory Board's "RSS Autodiscovery", and the JSON Feed spec);
# plain application/json only as _is_feed_type allows.
FEED_TYPES: frozenset[str] = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/x-rss+xml",  # older spellings, still in themes (feedfinder reads them)
        "application/x.atom+xml",
        "application/x-atom+xml",
    }
)
# Plain XML types name a feed only when its title or address does (they also label sitemaps and page exports).
_XML_TYPES = frozenset({"text/xml", "application/xml", "text/rss+xml", "text/atom+xml"})
_FEED_NAME = re.compile(r"\b(?:feed|rss|atom)\b", re.IGNORECASE)
# Where sites keep feeds they link to but do not advertise: /feed/, /rss, /atom.xml, /feed.xml, /index.rss,
# /all.atom.xml. Read from <a> links only when no <link> advertises a feed.
_FEED_PATH = re.compile(r"(?:^|/)(?:feed|rss|atom)(?:\.xml)?/?$|\.(?:rss|atom)(?:\.xml)?$", re.IGNORECASE)
# A homepage advertising more feeds than this lists per-section feeds; the first ones are the site's own.
MAX_ADVERTISED_FEEDS = 5
# A comments feed lists comments, not stories: WordPress titles it "Comments Feed", "Kommentar-Feed", "Flux des
# commentaires", "Feed de comentarios", "Feed dei commenti" or "Reacties feed", at /comments/feed/. Words, not any
# "comment" inside one: "Commentary Magazine » Feed" and the Guardian's /commentisfree/rss are a site's stories,
# and so is a /comment/ (opinion) section's feed.
_COMMENTS_TITLE = re.compile(
    r"\bcomments\b|\bcomment[- ]?feed|kommentar-?feed|commentaires|\bcommenti\b|comentarios|comentários|reacties"
    r"|комментари",
    re.IGNORECASE,
)
_COMMENTS_PATH = re.compile(r"/comments(?:/|$)", re.IGNORECASE)
# JSON Feed 1.0 was announced as type="application/json", which WordPress also gives its REST API's page records
# (/wp-json/...): such a link counts as a feed only when its title or address says so.
_JSON_FEED_NAME = re.compile(r"\bfeed\b|json ?feed", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Link:
    """A same-site link and the words on it."""

    url: str
    text: str

    @property
    def looks_like_menu(self) -> bool:
        """Whether the link reads like a section menu label rather than a headline: a few words, to an address
        that does not look like an article's ("Read more" or a two-word headline to /2024/05/06/budget-passed/
        is an article)."""
        return 0 < len(self.text.split()) <= MENU_LABEL_MAX_WORDS and not looks_like_article_url(self.url)


def looks_like_article_url(url: str) -> bool:
    """Whether a URL's path has what article addresses have and section pages rarely do (see _ARTICLE_PATH)."""
    return bool(_ARTICLE_PATH.search(urlsplit(url).path))


@dataclass(frozen=True, slots=True)
class PageLinks:
    """What a home or section page points to.

    links: same-site http(s) links in document order, once each, in clean_url form, minus assets, each with its
        anchor text (of its first occurrence).
    feeds: the feeds the page names in `<link rel="alternate">` with a feed's media type or `rel="feed"`, else in
        `<a>` links to a feed's usual address (/feed/, /rss.xml), in clean_url form, once each; comments feeds and
        the page itself left out, and every feed past the first MAX_ADVERTISED_FEEDS (in feeds_left).
        Feeds may live on another host (a feed service), unlike page links.
    """

    links: list[Link]
    feeds: list[str]
    # The feeds named past the first MAX_ADVERTISED_FEEDS: left unread, for the caller to record.
    feeds_left: list[str] = field(default_factory=list)


def page_links(html: str, *, page_url: str) -> PageLinks:
    """A page's same-site links and advertised feeds, from one parse (CrowdedTagError for markup libxml2 would
    take minutes over)."""
    refuse_crowded_tags(html, what=page_url)
    root = _parse(html)
    if root is None:  # empty or whitespace-only document
        return PageLinks([], [])
    base = _base_url(root, page_url)
    feeds = _feeds(root, base=base, page_url=page_url)
    anchors = _anchors(root, base=base, page_url=page_url)
    return PageLinks(anchors, feeds[:MAX_ADVERTISED_FEEDS], feeds[MAX_ADVERTISED_FEEDS:])


def _parse(html: str) -> etree._Element | None:
    return etree.fromstring(
        html.encode("utf-8", errors="replace"),
        etree.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True),
    )


def _feeds(root: etree._Element, *, base: str, page_url: str) -> list[str]:
    """The feeds <link>s advertise (rel="alternate" with a feed's type, or rel="feed"), else those <a>s link to
    at a feed's usual address."""
    advertised = (
        (element.get("href"), element.get("title") or "") for element in root.iter("link") if _advertises_feed(element)
    )
    feeds = _feed_urls(advertised, base=base, page_url=page_url)
    if not feeds:
        linked = (
            (a.get("href"), "".join(a.itertext())) for a in root.iter("a") if _FEED_PATH.search(_path(a.get("href")))
        )
        feeds = _feed_urls(linked, base=base, page_url=page_url)
    return feeds


def _advertises_feed(element: etree._Element) -> bool:
    rel = (element.get("rel") or "").lower().split()
    media_type = (element.get("type") or "").split(";")[0].strip().lower()
    href = (element.get("href") or "").strip()
    if "feed" in rel and (not media_type or media_type in FEED_TYPES or media_type in _XML_TYPES):
        return True  # HTML's own keyword for a feed link
    return "alternate" in rel and _is_feed_type(media_type, element.get("title") or "", href)


def _feed_urls(links: Iterable[tuple[str | None, str]], *, base: str, page_url: str) -> list[str]:
    """The links' feed URLs in clean_url form, once each; comments feeds and the page itself left out."""
    feeds: list[str] = []
    itself = canonicalize_url(page_url)
    for href, title in links:
        href = (href or "").strip()
        if not href or _COMMENTS_TITLE.search(title) or _COMMENTS_PATH.search(_path(href)):
            continue
        try:
            url = clean_url(urljoin(base, href))
        except (InvalidURLError, ValueError):  # a broken href is no feed
            continue
        if url not in feeds and canonicalize_url(url) != itself:  # href="#" or "": the page itself, no feed
            feeds.append(url)
    return feeds


def _path(href: str | None) -> str:
    try:
        return urlsplit((href or "").strip()).path
    except ValueError:  # "http://[x/": an unbalanced bracket
        return ""


def _is_feed_type(media_type: str, title: str, href: str) -> bool:
    if media_type in FEED_TYPES:
        return True
    words = f"{title} {_path(href).replace('/', ' ')}"
    if media_type in _XML_TYPES:
        return bool(_FEED_NAME.search(words))
    return media_type == "application/json" and bool(_JSON_FEED_NAME.search(words)) and "/wp-json/" not in href


def _anchors(root: etree._Element, *, base: str, page_url: str) -> list[Link]:
    seen = {canonicalize_url(page_url)}
    links = []
    for anchor in root.iter("a"):
        url = _page_link(anchor.get("href"), base=base, page_url=page_url)
        if url is not None and canonicalize_url(url) not in seen:
            seen.add(canonicalize_url(url))
            links.append(Link(url, " ".join("".join(anchor.itertext()).split())))
    return links


def _base_url(root: etree._Element, page_url: str) -> str:
    """page_url, or the first <base href> resolved against it."""
    for element in root.iter("base"):
        href = element.get("href")
        if href and href.strip():
            return urljoin(page_url, str(href).strip())
    return page_url


def _page_link(href: str | None, *, base: str, page_url: str) -> str | None:
    """The clean URL an href points to if it is a same-site page, else None."""
    if not href or not href.strip():
        return None
    try:
        url = clean_url(urljoin(base, href.strip()))
    except (InvalidURLError, ValueError):  # mailto:, javascript:, tel:, data:, broken hosts: not pages
        return None
    if not is_same_site(url, page_url):
        return None
    last_segment = urlsplit(url).path.rsplit("/", 1)[-1]
    extension = last_segment.rpartition(".")[2].lower() if "." in last_segment else ""
    return None if extension in ASSET_EXTENSIONS else url
