"""HTML of a news page -> its article: clean body text, metadata, and the boilerplate we removed.

Pure: no network, no database, no Prefect. Raises ExtractionError when a page holds no article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from trafilatura.utils import is_dubious_html, repair_faulty_html
from trafilatura.xpaths import BODY_XPATH

from extractors._boilerplate import INLINE_TAGS, Removed, clean_text, prune_tree, text_blocks
from extractors.metadata import Metadata, declares_article, extract_metadata


class ExtractionError(ValueError):
    """The page holds no extractable article body."""


class NotAnArticleError(ExtractionError):
    """The page is an index of articles (front page, section, tag page), not an article."""


@dataclass(frozen=True, slots=True)
class Caption:
    """A photo caption or gallery caption removed from the text, with its credit when one was found."""

    text: str
    credit: str | None = None


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """A "Read more"/"Related" headline removed from the text."""

    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """One extracted article."""

    url: str
    text: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    image_url: str | None = None
    canonical_url: str | None = None
    captions: tuple[Caption, ...] = field(default=())
    related_links: tuple[RelatedLink, ...] = field(default=())
    extractor: str = "trafilatura"
    gallery_titles: tuple[str, ...] = field(default=())


# trafilatura's parser settings, with lxml's C-level class lookup in place of lxml.html's Python one: that ran
# for every element proxy created (~1,000 per page, by our pruning and by trafilatura), ~6% of extraction.
# Elements are still HtmlElement; form controls lose lxml.html's form helpers, which nothing here uses.
_PARSER = etree.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
)
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
    )
)


def _load_html(html: str) -> HtmlElement | None:
    """trafilatura.utils.load_html for a string, with our parser: the same repairs, fallbacks and rejection."""
    beginning = html[:50].lower()
    html = repair_faulty_html(html, beginning)
    try:
        tree = lxml.html.fromstring(html, parser=_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree = lxml.html.fromstring(html.encode("utf8", "surrogatepass"), parser=_PARSER)
    else:
        if tree is None or len(tree) < 1:
            tree = lxml.html.fromstring(html.encode("utf8", "surrogatepass"), parser=_PARSER)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None  # a fragment or not HTML at all
    return tree


def _parse(html: str, url: str) -> HtmlElement:
    """Parse once, as trafilatura would (see _load_html), so the pruned tree is what it expects."""
    try:
        tree = _load_html(html)
    except (ValueError, TypeError, etree.LxmlError) as exc:
        raise ExtractionError(f"unparsable HTML in {url!r}: {exc}") from exc
    if tree is None or not isinstance(tree, HtmlElement):
        raise ExtractionError(f"not an HTML document: {url!r} ({len(html):,} characters)")
    return tree


def _trafilatura_text(tree: HtmlElement, url: str) -> str:
    doc = trafilatura.bare_extraction(tree, url=url, fast=True, include_comments=False, with_metadata=False)
    if isinstance(doc, dict):  # only with the deprecated as_dict=True; kept for the type checker
        return str(doc.get("text") or "")
    return (doc.text or "") if doc is not None else ""


# trafilatura's fast mode falls back to the whole <body> on pages whose story is one short paragraph; below
# this
# many characters, or when most of its lines are crumbs of a few words, the dense-block strategy is tried too.
_SHORT_TEXT = 600
_MIN_WORDS = 20
_MIN_PARAGRAPH = 40  # characters of non-link text that make a block a paragraph candidate


def _own_text(el: HtmlElement) -> str:
    """Text of el and its inline children, not of nested blocks; <br> becomes a line break."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag == "br":
            parts.append("\n")
        elif isinstance(child.tag, str) and child.tag in INLINE_TAGS:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _densest_container(tree: HtmlElement) -> tuple[HtmlElement | None, list[tuple[HtmlElement, str]]]:
    """The container with the most non-link paragraph text (readability-style), and the paragraphs scored."""
    body = tree.find(".//body")
    paras: list[tuple[HtmlElement, str]] = []
    score: dict[HtmlElement, float] = {}
    for block in text_blocks(body if body is not None else tree):
        text = _own_text(block)
        link = sum(len(a.text_content()) for a in block.iter("a"))
        size = len(" ".join(text.split()))
        if block.tag in ("h1", "li", "a", "button", "label") or size - link < _MIN_PARAGRAPH or link > 0.3 * size:
            continue
        paras.append((block, text))
        for weight, anc in zip((1.0, 0.5, 0.25), block.iterancestors(), strict=False):
            score[anc] = score.get(anc, 0.0) + weight * size
    return (max(score, key=score.__getitem__) if score else None), paras


def _dense_text(tree: HtmlElement) -> str:
    """Second strategy: the paragraphs of the densest container."""
    best, paras = _densest_container(tree)
    if best is None:
        return ""
    lines = [line for b, t in paras if best in set(b.iterancestors()) for line in t.split("\n")]
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def _mark_story_container(tree: HtmlElement) -> None:
    """Make the densest container an <article> when nothing on the page looks like one to trafilatura.

    Without a container (hashed class names, no semantic tags) trafilatura falls back to collecting text
    from the whole page, which brings in site chrome and collapses repeated lines (a recipe's "Eat every
    2-3 hours"). Newsroom mixed worlds, 2026-12: generated-site F1 0.996 -> 0.998, the collapsed recipe
    page 0.57 -> 1.0; no real benchmark page changed.
    """
    # <article> and <main> answer two of trafilatura's container XPaths: checked first, they spare most pages the
    # class-name regex XPaths (~0.8 ms a page, a tenth of extraction).
    if tree.find(".//article") is not None or tree.find(".//main") is not None:
        return
    if _trafilatura_container(tree) is not None:  # an element with no children is falsy: compare with None
        return
    best, _ = _densest_container(tree)
    if best is not None and best.tag not in ("body", "html"):
        best.tag = "article"


def _join_split_story(tree: HtmlElement) -> None:
    """Move the paragraphs of a story split into several same-class boxes into the first box.

    Some layouts cut the story into boxes around mid-article ad rows (archive, 2026-12: a wired.com page,
    `div.body__container` x 3); trafilatura keeps only the first box it finds. Only boxes with the class
    of the container trafilatura would take are joined, and only when the page has such repeated boxes of
    2+ paragraphs (one pass over <p>s), so most pages never evaluate trafilatura's container XPaths here.
    """
    boxes: dict[tuple[str, str], dict[HtmlElement, int]] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        if parent is not None and parent.get("class"):
            counts = boxes.setdefault((parent.tag, parent.get("class", "")), {})
            counts[parent] = counts.get(parent, 0) + 1
    repeated = {key for key, counts in boxes.items() if sum(n >= 2 for n in counts.values()) >= 2}
    if not repeated:
        return
    container = _trafilatura_container(tree)
    if container is None or (container.tag, container.get("class", "")) not in repeated:
        return
    for part in boxes[(container.tag, container.get("class", ""))]:
        if part is container or container in set(part.iterancestors()) or part in set(container.iterancestors()):
            continue
        container.extend(list(part))
        part.drop_tree()


def _trafilatura_container(tree: HtmlElement) -> HtmlElement | None:
    """The element trafilatura's main extractor starts from: the first match of its container XPaths."""
    return next((found[0] for find in BODY_XPATH if (found := find(tree))), None)


def _looks_broken(text: str, title: str | None) -> bool:
    """trafilatura's output is missing, mostly crumbs of 1-4 words, or short with the headline run in."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return True
    if sum(len(line.split()) < 5 for line in lines) > 0.5 * len(lines):
        return True
    if not title or len(text) >= _SHORT_TEXT:
        return False
    return any(title in line and title != line.strip() for line in lines)


# A front or section page is a list of teasers: headlines linking to distinct pages. Its <time> elements
# belong to the teasers, so dates prove nothing; what it lacks is article markup (article:published_time,
# og:type=article, JSON-LD *Article). Newsroom dev world, 2026-11: all 290 article pages either carry
# that markup or have no headline links; 56 of 64 section pages have 2+ headline links and no markup.
_INDEX_HEADLINE_LINKS = 2
_HEADLINE_ANCHORS = etree.XPath("//*[self::h1 or self::h2 or self::h3 or self::h4]//a[@href]")


def _headline_anchors(tree: HtmlElement) -> list[HtmlElement]:
    """Links inside headings, on a page without article markup (an article's own links prove nothing)."""
    return [] if declares_article(tree) else list(_HEADLINE_ANCHORS(tree))


def _index_page_reason(anchors: list[HtmlElement]) -> str | None:
    """Why the page looks like an index of articles, or None when it may be an article."""
    targets = {str(a.get("href")).split("#")[0] for a in anchors} - {""}
    if len(targets) < _INDEX_HEADLINE_LINKS:
        return None
    return f"an index page ({len(targets)} headline links, no article markup)"


# A section page with one story on it is one teaser card: a headline linking to the story, the story's first
# sentences, a date. Its text looks like a brief, so it is told apart by where the text sits: inside the box
# of a headline link to another page, with little else in that box. Newsroom dev worlds, 2026-11: 8 of 64
# section pages had a single card; no article page without article markup has its body in such a box.
_TEASER_HEADLINE_WORDS = 4  # a link to a story carries its headline; "Sport" or "World" is a section link
_TEASER_BOX_SLACK = 120  # characters in the card besides headline and teaser: a date, "Read more"


def _teaser_cards(anchors: list[HtmlElement], *, url: str, canonical: str | None) -> list[tuple[str, str, str]]:
    """(target, headline, box text) of each headline link (`_headline_anchors`) to another page."""
    own = {u.rstrip("/") for u in (url, canonical) if u}
    cards = []
    for a in anchors:
        target = urljoin(url, str(a.get("href"))).split("#")[0]
        headline = " ".join(a.text_content().split())
        heading = next(h for h in a.iterancestors() if h.tag in ("h1", "h2", "h3", "h4"))
        box = heading.getparent()
        if target.rstrip("/") in own or len(headline.split()) < _TEASER_HEADLINE_WORDS or box is None:
            continue
        cards.append((target, _squeeze(headline), _squeeze(box.text_content())))
    return cards


def _squeeze(text: str) -> str:
    # Without any whitespace: the extracted lines and the box's text_content() (which runs blocks together)
    # then compare as one string.
    return "".join(text.split())


def _teaser_of(text: str, cards: list[tuple[str, str, str]]) -> str | None:
    """The link target whose teaser card holds all of a short text, or None."""
    flat = _squeeze(text)
    if not flat or len(text) >= _SHORT_TEXT:
        return None
    for target, headline, box in cards:
        if flat in box and len(box) <= len(headline) + len(flat) + _TEASER_BOX_SLACK:
            return target
    return None


# When trafilatura finds no article container it returns the whole page, one line per element: the site name,
# "Skip to main content", the headline, "By", the author, "·", the date. A leading run of 3+ such crumbs (under
# 5 words and no sentence end, or the headline) is page chrome. Newsroom obfuscated worlds, 2026-11: site5/site6
# pages. Not at the end: real stories end in short lines (ticket prices, poll results) on 2 archive pages.
_CRUMB_RUN = 3
_CRUMB_WORDS = 5
_SENTENCE_END = re.compile(r"[.!?…\"”’)]\s*$")


# After the story, trafilatura's recovery pass can pick up the byline box: only lines that are certainly
# metadata (an author's name, a bare date, a lone "Tags:" label) are trimmed there. Archive, 2026-11:
# linknaija.com ended in "LinkNaija / August 08, 2018 / Tags:" once its menus were pruned.
_META_LINE = re.compile(
    r"^(?:(?:\w+, )?(?:\d{1,2} )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? "
    r"\d{1,2}(?:st|nd|rd|th)?,? \d{4}"
    r"|\d{4}-\d{2}-\d{2}(?:[t ][\d:.]+z?)?|\d{1,2}[./]\d{1,2}[./]\d{2,4}|[\w ]{1,20}:)$"
)


def _trim_crumbs(text: str, title: str | None, authors: tuple[str, ...] = ()) -> str:
    """Drop a leading run of 3+ crumb lines (site chrome kept by trafilatura's whole-page fallback)
    and a trailing run of 2+ bylines, dates or labels."""
    headline = " ".join((title or "").split()).casefold()
    lines = [line for line in text.splitlines() if line.strip()]
    is_headline = [" ".join(line.split()).casefold() == headline for line in lines]
    crumb = [
        (len(line.split()) < _CRUMB_WORDS and not _SENTENCE_END.search(line)) or is_headline[i]
        for i, line in enumerate(lines)
    ]
    start = next((i for i, c in enumerate(crumb) if not c), len(lines))
    if start == len(lines):
        return text
    names = {a.casefold() for a in authors}
    end = len(lines)
    while end > start and _is_meta_line(lines[end - 1], names):
        end -= 1
    if start < _CRUMB_RUN:  # too short a run to be chrome: only the headline and bylines go ("By Tom Reed ·")
        start = next((i for i in range(start) if not (is_headline[i] or _is_meta_line(lines[i], names))), start)
    return "\n".join(lines[start : end if len(lines) - end >= 2 else len(lines)])


def _is_meta_line(line: str, authors: set[str]) -> bool:
    folded = " ".join(line.split()).casefold().strip(_BYLINE_SEPARATORS)
    return folded.removeprefix("by ") in authors or bool(_META_LINE.match(folded))


_BYLINE_SEPARATORS = " ·•|,/-–—"


def _merge(*parts: Removed) -> Removed:
    return Removed(
        tuple(dict.fromkeys(c for p in parts for c in p.captions)),
        tuple(dict.fromkeys(r for p in parts for r in p.related_links)),
        tuple(dict.fromkeys(t for p in parts for t in p.gallery_titles)),
    )


def _article(url: str, text: str, meta: Metadata, removed: Removed, extractor: str) -> Article:
    return Article(
        url=url,
        text=text,
        title=meta.title,
        authors=meta.authors,
        published_at=meta.published_at,
        modified_at=meta.modified_at,
        language=meta.language,
        site_name=meta.site_name,
        description=meta.description,
        image_url=meta.image_url,
        canonical_url=meta.canonical_url,
        captions=tuple(Caption(t, c) for t, c in removed.captions),
        related_links=tuple(RelatedLink(t, u) for t, u in removed.related_links),
        gallery_titles=removed.gallery_titles,
        extractor=extractor,
    )


def extract_article(html: str, *, url: str) -> Article:
    """Main text and metadata of a news page, without captions, galleries, related links or promos."""
    if not isinstance(html, str) or not html.strip():
        raise ExtractionError(f"empty page {url!r}")
    tree = _parse(html, url)
    meta = extract_metadata(tree, url=url)
    anchors = _headline_anchors(tree)
    reason = _index_page_reason(anchors)
    if reason:
        raise NotAnArticleError(f"{url!r} is {reason}")
    cards = _teaser_cards(anchors, url=url, canonical=meta.canonical_url)
    pruned = prune_tree(tree, base_url=url)
    _join_split_story(tree)
    _mark_story_container(tree)
    raw, extractor = _trim_crumbs(_trafilatura_text(tree, url), meta.title, meta.authors), "trafilatura"
    if _looks_broken(raw, meta.title):
        dense = _dense_text(tree)
        if dense and (not raw or len(dense) < len(raw)):
            raw, extractor = dense, "dense"
        elif len(raw.split()) < _MIN_WORDS:  # crumbs only, and no paragraph anywhere: not an article page
            raw = ""
    text, cleaned = clean_text(raw, title=meta.title)
    if not text:
        raise ExtractionError(f"no article body in {url!r} ({len(html):,} characters of HTML)")
    teaser_of = _teaser_of(text, cards)
    if teaser_of:
        raise NotAnArticleError(f"{url!r} is an index page: its only text is the teaser of {teaser_of!r}")
    return _article(url, text, meta, _merge(pruned, cleaned), extractor)


_HTML_SNIFF = re.compile(r"<\s*(?:!doctype|html|head|body|article|div|p|main|section)\b", re.IGNORECASE)


def clean_document(content: str, *, url: str | None = None) -> Article:
    """Clean an HTML page or a plain-text article: text, plus the captions, galleries and links removed."""
    if _HTML_SNIFF.search(content[:4096]):
        return extract_article(content, url=url or "about:blank")
    text, removed = clean_text(content, headlines=True)
    if not text:
        raise ExtractionError(f"no article text in {url or 'the input'!r} ({len(content):,} characters)")
    return _article(url or "", text, Metadata(), removed, "text")
