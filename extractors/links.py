"""HTML of a home or section page -> links to other pages of the same site that might be articles.

For optional link discovery next to feeds and sitemaps. Pure: no fetching, no robots.txt check (the caller
applies RobotsRules). Never raises on bad HTML: a page without links gives [].
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree

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


@dataclass(frozen=True, slots=True)
class Link:
    """A same-site link and the words on it."""

    url: str
    text: str

    @property
    def looks_like_menu(self) -> bool:
        """Whether the anchor reads like a section menu label rather than a headline."""
        return 0 < len(self.text.split()) <= MENU_LABEL_MAX_WORDS


def same_site_anchors(html: str, *, page_url: str) -> list[Link]:
    """Same-site http(s) links of a page in document order, once each, in clean_url form, minus assets, each with
    its anchor text (of its first occurrence)."""
    root = etree.fromstring(
        html.encode("utf-8", errors="replace"),
        etree.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True),
    )
    if root is None:  # empty or whitespace-only document
        return []
    base = _base_url(root, page_url)
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
