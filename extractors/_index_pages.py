"""Is this page an article, or an index of articles (front page, section, tag page)? Decided on evidence.

An index page is a list of teaser cards: a headline that links to another page, perhaps a teaser sentence
and a date, in a small box. What proves a page is an index is that the text extracted from it is made of
such cards, with no running prose of its own. Counting headline links alone is not proof: blogs link their
own and their neighbours' post titles, newspapers put menus and logos in headings, and a sidebar of
teasers sits beside many stories. So cards are looked for only outside page chrome (header, nav, footer,
aside, menus, logos), and the verdict weighs how much of the extracted text they explain.

Pure: reads a parsed tree and the extracted text, never modifies the tree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from extractors._labels import NOT_FOUND_TITLES
from extractors._words import weighted_length, word_count

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_HEADING_LINKS = etree.XPath("//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]//a[@href]")
# Headline lists: list items (or paragraphs) that are one link to another page, perhaps with a date beside it.
_LIST_LINKS = etree.XPath("//li[count(.//a[@href]) = 1]//a[@href] | //p[count(.//a[@href]) = 1]//a[@href]")
# Page chrome: headline links here are navigation, a logo or a widget, never the page's own content.
_CHROME_TAGS = frozenset(["header", "nav", "footer", "aside"])
_CHROME_WORDS = frozenset(
    "nav navbar navigation menu menubar header masthead banner footer sidebar widget widgets logo brand"
    " breadcrumb breadcrumbs branding".split()
)
_WORD_SPLIT = re.compile(r"[^A-Za-z]+|(?<=[a-z])(?=[A-Z])")
_NORM_LEN = etree.XPath("string-length(normalize-space(.))")
# A headline names something: 2+ words. Single words ("Sport", "Home", "Next") label sections and pagers.
_HEADLINE_WORDS = 2
# A card holds a headline plus a teaser of a few sentences and a date; a box with more text is a post or story.
_CARD_EXTRA_CHARS = 500
# A headline list's item is its link and little else (a date, a comment count): the link's text is at least this
# share of the item's. A bullet or paragraph of prose that links a few words is not a card, however short.
# Its link names a story in 4+ words, where menus, tags and topic lists name a section in one to three.
_LIST_LINK_SHARE = 0.6
_LIST_HEADLINE_WORDS = 4
# How the extracted text marks a list item ("- Headline"): not in the item's own text.
_LIST_MARK = "-"
# The verdict. Newsroom worlds (4 seeds, 288 section and home pages) and real article sets (Readability's 130,
# the ScrapingHub dev 90), 2026-12: index pages have no text outside their cards but an "h1" title and labels
# ("Latest news", a date); every article has 200+ characters outside cards.
_MIN_CARDS = 2
_MAX_OWN_TEXT = 150
_MIN_LISTED_CARDS = 3
_MAX_LISTED_OWN_TEXT = 0
# Headline lists: a section page lists a dozen or more; a story's bullets of earlier coverage are a few, under a
# sentence or two of its own (a review: a one-sentence breaking stub over three bullets was refused).
_MIN_LIST_ITEMS = 5
_MAX_LIST_OWN_TEXT = 40
# Own text is counted by weighted_length: a Chinese or Japanese character as three, about a word.


@dataclass(frozen=True, slots=True)
class Card:
    """A teaser card: a headline link to another page and the text of its box, whitespace removed."""

    target: str
    headline: str
    box: str
    in_list: bool = False  # an item of a headline list, not a box under a heading


def teaser_cards(tree: HtmlElement, *, url: str, canonical: str | None = None) -> list[Card]:
    """The teaser cards of a page: headline links to other pages, outside page chrome, in small boxes (under a
    heading), or items of a headline list (a list item or paragraph that is one link and perhaps a date)."""
    own = {_page_key(u) for u in (url, canonical) if u}
    links: list[tuple[HtmlElement, str, str]] = []
    for a in _HEADING_LINKS(tree):
        target = _target(a, url, own)
        headline = " ".join(a.text_content().split())
        if target and _is_headline(headline) and not _in_chrome(a):
            links.append((next(h for h in a.iterancestors() if h.tag in _HEADINGS), target, headline))
    headings = {heading for heading, _, _ in links}
    cards = [
        Card(target, _squeeze(headline), _squeeze(_card_box(heading, headline, headings).text_content()))
        for heading, target, headline in links
    ]
    for a in _LIST_LINKS(tree):
        headline = " ".join(a.text_content().split())
        if word_count(headline) < _LIST_HEADLINE_WORDS or not (target := _target(a, url, own)):
            continue
        # (An ancestor test in the XPath cost 0.7 ms a page; few links get this far.)
        ancestors = list(a.iterancestors())
        item = next(el for el in ancestors if el.tag in ("li", "p"))
        if not any(el.tag in _HEADINGS for el in ancestors) and not _in_chrome(a):
            box = _squeeze(item.text_content())
            if len(_squeeze(headline)) >= _LIST_LINK_SHARE * len(box):
                cards.append(Card(target, _squeeze(headline), box, in_list=True))
    return cards


def _target(a: HtmlElement, url: str, own: set[str]) -> str | None:
    """The page a link leads to, or None for a link within the page, to the page itself, or to no page."""
    href = str(a.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:")):
        return None
    target = urljoin(url, href).split("#")[0]
    return None if _page_key(target) in own else target


def index_page_reason(text: str, cards: Sequence[Card], *, listed: bool = False) -> str | None:
    """Why a page whose extracted text is `text` is an index of articles, or None when it may be an article.

    A page the site lists as an article (`listed`) must prove otherwise with more: 3+ cards and no text of its
    own, as one card may be a link-blog post's heading that links to the story it comments on. Items of headline
    lists prove less than cards under headings, as a story's bullets of earlier coverage are such items too: 5+
    of them, and no more text of the page's own than a label.
    """
    under_headings = [c for c in cards if not c.in_list]
    if len(under_headings) == 1 and not listed:
        target = _teaser_of(text, under_headings[0])
        return f"an index page: its only text is the teaser of {target!r}" if target else None
    if len(under_headings) >= (_MIN_LISTED_CARDS if listed else _MIN_CARDS):
        teaser_chars, own_chars = _split(text, under_headings)
        if teaser_chars and own_chars <= (_MAX_LISTED_OWN_TEXT if listed else _MAX_OWN_TEXT):
            return _verdict(teaser_chars, len(under_headings), own_chars)
    if len(cards) - len(under_headings) >= _MIN_LIST_ITEMS:
        teaser_chars, own_chars = _split(text, cards)
        if teaser_chars and own_chars <= (_MAX_LISTED_OWN_TEXT if listed else _MAX_LIST_OWN_TEXT):
            return _verdict(teaser_chars, len(cards), own_chars)
    return None


def _split(text: str, cards: Sequence[Card]) -> tuple[int, int]:
    """Characters of text's lines inside the cards' boxes, and weighted characters of the others."""
    boxes = "\n".join(c.box for c in cards)
    own_chars = teaser_chars = 0
    for line in filter(None, map(_squeeze, text.splitlines())):
        if line in boxes or (line.startswith(_LIST_MARK) and line[len(_LIST_MARK) :] in boxes):
            teaser_chars += len(line)
        else:
            own_chars += weighted_length(line)
    return teaser_chars, own_chars


def _verdict(teaser_chars: int, cards: int, own_chars: int) -> str:
    return (
        f"an index page: {teaser_chars:,} characters of its text are in the teaser cards of {cards} headline"
        f" links to other pages, {own_chars} are not"
    )


def _teaser_of(text: str, card: Card) -> str | None:
    """The card's target when a short text is all inside the card's box: a section page with one story on it."""
    flat = _squeeze(text)
    if not flat or len(flat) > len(card.box) or flat not in card.box:
        return None
    return card.target if card.headline in flat or len(card.box) <= len(flat) + _MAX_OWN_TEXT else None


def _is_headline(text: str) -> bool:
    return word_count(text) >= _HEADLINE_WORDS


def _in_chrome(el: HtmlElement) -> bool:
    """Inside a header, nav, footer, aside, menu or logo, and not inside an <article> (a post's own header)."""
    for anc in el.iterancestors():
        if anc.tag == "article":
            return False
        if anc.tag in _CHROME_TAGS:
            return True
        hints = f"{anc.get('class') or ''} {anc.get('id') or ''} {anc.get('role') or ''}"
        if hints.strip() and _names_chrome(hints):
            return True
    return False


@lru_cache(maxsize=4096)
def _names_chrome(hints: str) -> bool:
    return any(word.lower() in _CHROME_WORDS for word in _WORD_SPLIT.split(hints))


def _card_box(heading: HtmlElement, headline: str, headings: set[HtmlElement]) -> HtmlElement:
    """The widest ancestor of a card's heading that adds at most a teaser's text and no other card."""
    box, limit = heading, len(headline) + _CARD_EXTRA_CHARS
    for anc in heading.iterancestors():
        if anc.tag in ("body", "html") or int(_NORM_LEN(anc)) > limit:
            break
        if any(h is not heading and h in headings for h in anc.iter(*_HEADINGS)):
            break
        box = anc
    return box


def _page_key(url: str) -> str:
    """Host and path without "www.", scheme, query or trailing slash: a link to the page itself in another form."""
    parts = urlsplit(url)
    return f"{(parts.hostname or '').removeprefix('www.')}{parts.path.rstrip('/')}"


def _squeeze(text: str) -> str:
    # Without any whitespace: extracted lines and a box's text_content() (which runs blocks together) then
    # compare as one string.
    return "".join(text.split())


def not_found_reason(title: str | None, headings: Sequence[str], text: str) -> str | None:
    """Why a page is a "page not found" page answered with 200 (a soft 404), or None: its <title> (less the site's
    name at one end) or an <h1> says so and nothing else (extractors._labels.NOT_FOUND_TITLES; "404" and "error"
    aside), and its text is no longer than such a page's apology. The caller asks only of pages that declare no
    article and give no date: a story about a 404, or titled "Not Found", is not refused."""
    if weighted_length(text) > _NOT_FOUND_MAX_TEXT:
        return None
    parts = [p for p in _TITLE_PARTS.split(title or "") if p.strip()]
    named = [parts[:-1], parts[1:]] if len(parts) > 1 else [parts]
    for said, what in [*((n, title) for n in named), *(([h], h) for h in headings)]:
        if said and _says_not_found(said):
            return f"a 'page not found' page answered with 200 (a soft 404): it reads {what!r}"
    return None


def _says_not_found(parts: Sequence[str]) -> bool:
    """Every part is "404", "error" or a not-found phrase, and one is more than "error"."""
    found = False
    for part in (p for text in parts for p in _TITLE_PARTS.split(text)):
        key = " ".join(_NOT_FOUND_NOISE.sub(" ", part.casefold()).replace("’", "'").split()).strip(" .!:")
        if key in _not_found_titles() or (not key and _ERROR_404.search(part)):
            found = True
        elif key:
            return False
    return found


@lru_cache(maxsize=1)
def _not_found_titles() -> frozenset[str]:
    return frozenset(t.casefold() for titles in NOT_FOUND_TITLES.values() for t in titles)


# A soft 404's apology and suggestions: a few short paragraphs (Apache's, WordPress themes', newsroom CMSs').
_NOT_FOUND_MAX_TEXT = 1500
_TITLE_PARTS = re.compile(r"\s+[|–—-]\s+|\s*[|–—]\s*")
_NOT_FOUND_NOISE = re.compile(r"\b(?:error|erreur|fehler|ошибка)\b|\b404\b|[()\[\]]")
_ERROR_404 = re.compile(r"\b404\b")
