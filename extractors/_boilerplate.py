"""DOM pruning of what trafilatura leaks: galleries, captions, credits, related links, ads, promos, comments.

Works on an lxml tree parsed once by the caller and prunes it in place (the caller owns that tree), returning
what it removed as data. Patterns are generic, never a site's class names: semantic tags (figure, figcaption),
class/id/aria hints as whole tokens, and text shapes that survive hashed class names and <div>-only markup
("3/11 caption EPA", "11 show all", "Read more:", "(AFP/Getty)", "Advertisement", a form with an e-mail field),
in the page's language (extractors/_labels.py, compiled by extractors/_shapes.py). clean_text applies the same
shapes to plain text, line by line. This module must not parse or fetch anything.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Collection, Container, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, get_args
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement

from extractors._shapes import (
    GALLERY_COUNT,
    GALLERY_NUMBER,
    Shapes,
    credit_ending,
    credit_label_split,
    is_agency_credit,
    label_in_a_phrase,
    shapes_for,
    split_credit,
)
from extractors._words import (
    CLOSING_AFTER_A_STOP,
    CLOSING_CHARS,
    QUOTED_STOP,
    SENTENCE_END_CHARS,
    weighted_length,
    word_count,
)

_SENTENCE_END = re.compile(f"(?:[{re.escape(SENTENCE_END_CHARS + CLOSING_CHARS)}:;]|{QUOTED_STOP})\\s*$")


# Inline tags never own a block of text: a text node inside them belongs to the nearest non-inline ancestor.
INLINE_TAGS = _INLINE = frozenset(
    "a abbr b bdi bdo cite code data dfn em font i kbd mark q s samp small span strong sub sup time u var wbr".split()
)
_NEVER_PRUNE = frozenset(["html", "body", "head", "main", "article"])
_SHORT = 400  # characters: longer blocks are paragraphs, never boilerplate by text shape alone
_CAPTION_MAX = 500
# Hint words in class/id/aria-label/role/itemprop, after splitting on non-letters and camelCase.
_HINTS: dict[str, str] = {
    **dict.fromkeys("gallery galleries slideshow slides carousel lightbox".split(), "gallery"),
    **dict.fromkeys("caption figcaption credit credits".split(), "caption"),
    **dict.fromkeys(
        "related recommended recommendations readmore outbrain taboola yarpp relatedposts".split(), "related"
    ),
    **dict.fromkeys("newsletter newsletters signup subscribe subscription".split(), "newsletter"),
    **dict.fromkeys("share sharing sharebar social sharedaddy addtoany shareaholic".split(), "share"),
    **dict.fromkeys("cookie cookies consent gdpr".split(), "cookie"),
    **dict.fromkeys("ad ads advert adverts advertisement adslot dfp adsbygoogle sponsored promo".split(), "ad"),
    **dict.fromkeys("comments comment disqus".split(), "comment"),
}
# Prefilter: attribute strings (cheap, no element proxies) that contain a hint word somewhere; _hint()
# decides.
# Test ids name components as classes do, where CSS-in-JS hashes the classes ("wpds-c-130381" with
# data-qa="newsletter-signup-inline": the Washington Post's Arc pages; Wix's data-hook).
_TEST_ID_ATTRS = ("data-testid", "data-qa", "data-component", "data-hook")
_HINT_ATTRS = etree.XPath(
    "|".join(f".//@{name}" for name in ("class", "id", "aria-label", "role", "itemprop", *_TEST_ID_ATTRS))
)
# Matched on the lowercased value: an IGNORECASE alternation is about 8x slower in CPython's re.
_HINT_FAST = re.compile("|".join(sorted(_HINTS, key=len, reverse=True)))
_WORD_SPLIT = re.compile(r"[^A-Za-z]+|(?<=[a-z])(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class Removed:
    """What prune_tree took out of a page, kept so users can still query it."""

    captions: tuple[tuple[str, str | None], ...] = ()
    related_links: tuple[tuple[str, str | None], ...] = ()
    gallery_titles: tuple[str, ...] = ()
    # The pruning steps that changed the page (PRUNE_STEPS), in the order they ran.
    steps: tuple[str, ...] = ()
    # Text (whitespace removed) of what was dropped because the page labels it boilerplate in words.
    labelled: tuple[str, ...] = ()


class _Collector:
    """Mutable accumulator used only while one tree is pruned."""

    def __init__(self, base_url: str | None, shapes: Shapes) -> None:
        self.base_url = base_url
        self.shapes = shapes
        self.captions: list[tuple[str, str | None]] = []
        self.related: list[tuple[str, str | None]] = []
        self.titles: list[str] = []
        self.changes = 0  # elements dropped or rewritten, so prune_tree can tell which steps changed the page
        self.labelled: list[str] = []  # text of what was dropped on a label's evidence, whitespace removed

    def link(self, a: HtmlElement) -> None:
        title = _norm(a.text_content())
        href = a.get("href")
        if title:
            url = urljoin(self.base_url, href) if href and self.base_url else href
            self.related.append((title, url))

    def frozen(self, steps: Sequence[str] = ()) -> Removed:
        titles = {t.casefold() for t in self.titles}  # a gallery's title line is not one of its captions
        captions = [c for c in self.captions if c[0].casefold() not in titles]
        return Removed(
            tuple(dict.fromkeys(captions)),
            tuple(dict.fromkeys(self.related)),
            tuple(dict.fromkeys(self.titles)),
            tuple(steps),
            tuple(self.labelled),
        )


def _norm(s: str) -> str:
    return " ".join(s.split())


# Lengths of a subtree's text computed inside libxml2, without building the string in Python: the ancestors
# of a block can be the whole page, and most rules only compare a length with a bound.
_RAW_LEN = etree.XPath("string-length(.)")
_NORM_LEN = etree.XPath("string-length(normalize-space(.))")


def _raw_len(el: HtmlElement) -> int:
    return int(_RAW_LEN(el))


def _norm_len(el: HtmlElement) -> int:
    return int(_NORM_LEN(el))


def _drop(el: HtmlElement, out: _Collector, *, labelled: bool = False) -> None:
    """Remove el but keep its tail text, which belongs to the parent.

    `labelled`: the page labels el as boilerplate in words ("Comments", "Related stories", "Advertisement",
    "3/12" gallery numbers), the strongest evidence there is; its text is kept for the caller's checks.
    """
    if el.getparent() is not None:
        if labelled:
            out.labelled.append("".join(el.text_content().split()))
        el.drop_tree()
        out.changes += 1


def _hint(el: HtmlElement) -> str | None:
    """Boilerplate kind that el's class, id, role, itemprop or aria-label names, if any.

    A class or id token names a kind only as a whole: its parts (split at "-", "_", digits and camelCase) are
    hint words and words that place or package a thing ("ad-slot", "shareBar", "article-comments",
    "gallery-item-3"). "section-and-ad" names a box holding a section and an ad (refinery29, 2026-12: the
    story was split over such boxes), "download-ad-free" a link: neither is an ad. aria-label is a phrase
    written for people ("Share this article", "Advertisement"), so any hint word in it counts.
    """
    get = el.get
    test_id = next((value for name in _TEST_ID_ATTRS if (value := get(name))), None)
    return _hint_of(get("class"), get("id"), get("role"), get("itemprop"), get("aria-label"), test_id)


def box_kind(el: HtmlElement) -> str | None:
    """The kind of boilerplate box el's own markup names ("comment", "related", "ad", ...), if any."""
    return _hint(el)


@lru_cache(maxsize=8192)  # elements of one kind share their attributes, on a page and across a site's pages
def _hint_of(
    class_: str | None,
    id_: str | None,
    role: str | None,
    itemprop: str | None,
    aria_label: str | None,
    test_id: str | None = None,
) -> str | None:
    for value in (class_, id_, test_id):
        for token in (value or "").split():
            kind = _token_hint(token)
            if kind:
                return kind
    for value in (role, itemprop):
        kind = _HINTS.get((value or "").strip().lower())
        if kind:
            return kind
    for word in _WORD_SPLIT.split(aria_label or ""):
        kind = _HINTS.get(word.lower())
        if kind:
            return kind
    return None


# The hash CSS Modules append to a class name (Next.js: "NewsletterSignup_body__fab8e"): its letters are no
# words, and "fab" made the token mean something else, so a sign-up box leaked or not by the luck of its hash.
# A hash with a digit anywhere, or any five characters after a "Component_part" name (BEM's "block__element"
# has no "_" before its "__").
_CSS_MODULE_HASH = re.compile(r"__(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{5}$")
_CSS_MODULE_NAME = re.compile(r"([A-Za-z][A-Za-z0-9]*_[A-Za-z0-9]+)__[\w-]{5}")


def _without_css_hash(token: str) -> str:
    if name := _CSS_MODULE_NAME.fullmatch(token):
        return name.group(1)
    return _CSS_MODULE_HASH.sub("", token)


@lru_cache(maxsize=4096)  # class names repeat on every element of a kind and across a site's pages
def _token_hint(token: str) -> str | None:
    kind = None
    parts = [w for w in (p.lower() for p in _WORD_SPLIT.split(_without_css_hash(token))) if w]
    for word in parts:
        if word in _BRANDS:
            return _HINTS[word]
    for k, word in enumerate(parts):
        if word in _HINT_COMPANIONS or (k == 0 and len(parts) > 1 and _is_namespace(word)):
            continue
        if word not in _HINTS:
            return None
        kind = kind or _HINTS[word]
    return kind


def _is_namespace(word: str) -> bool:
    """A plugin's or framework's two-letter prefix before the name (symfony's "sf_comment_list", "fb-comments",
    tagDiv's "td-post-sharing"): no word of its own, unless it is a hint word ("ad")."""
    return len(word) == 2 and word not in _HINTS


# Names of ad, recommendation and comment services: they name the kind wherever they appear in a token.
# WordPress's most installed share and related-post plugins too (Jetpack's sharedaddy and jp-relatedposts, YARPP,
# AddToAny, Shareaholic): "sd-sharing-enabled" or "yarpp-related" would name nothing otherwise.
_BRANDS = frozenset(
    "taboola outbrain disqus adsbygoogle dfp gdpr sharebar sharedaddy relatedposts yarpp addtoany shareaholic".split()
)


# Words that may stand beside a hint word in one class or id token without changing what it names: where a
# thing sits, what wraps it, its parts, its state. Generated from the class names of the newsroom templates and
# the Readability and ScrapingHub pages (2026-12); a word outside this list makes the token mean something else.
_HINT_COMPANIONS = frozenset(
    """
    a an the of on in to for this our your my
    wrapper wrap wrp container cont box block blocks slot slots unit units inner outer holder frame zone spot tr
    space area region panel module mod widget widgets component section sections part row rows col column grid
    top bottom left right side center middle inline sticky fixed float floating first last next prev
    mobile desktop tablet small large big mini full half wide narrow
    list lists item items entry entries card cards tile tiles link links btn button buttons icon icons bar bars
    tools toolbar label labels text title titles heading header head footer foot count counter number counters
    placement placeholder banner main primary secondary extra more all
    article articles story stories post posts news page site body content contents feed thumbnail thumbnails thumbs
    media image images photo photos picture pictures video single multi layout below above after before under
    js is has no show hide hidden open visible active v
    """.split()
)


def _block_of(el: HtmlElement) -> HtmlElement:
    while el.tag in _INLINE or not isinstance(el.tag, str):
        parent = el.getparent()
        if parent is None:
            break
        el = parent
    return el


def text_blocks(body: HtmlElement) -> list[HtmlElement]:
    """Elements that own text directly (after lifting inline tags), in document order.

    One walk over the tree, each text met where it stands (an element's text as it opens, its tail as it
    closes): the XPath `.//text()[normalize-space()]` it replaces took time quadratic in the text nodes of a
    flat page (a 600 KB page of "line<br>" took 195 s, and a 10 MB one would take hours).
    """
    seen: dict[HtmlElement, None] = {}
    for event, el in etree.iterwalk(body, events=("start", "end")):
        if event == "start":
            owner = el if isinstance(el.tag, str) and _has_text(el.text) else None  # a comment's text is no text
        elif el is not body and _has_text(el.tail):
            owner = el.getparent()
        else:
            continue
        if owner is not None and owner.tag not in ("script", "style", "noscript", "template"):
            seen.setdefault(_block_of(owner), None)
    return list(seen)


def _has_text(text: str | None) -> bool:
    """XPath's normalize-space() test: more than XML whitespace (a no-break space is text)."""
    return text is not None and bool(text.strip(" \t\r\n"))


def own_text(el: HtmlElement, hidden: Container[HtmlElement] = ()) -> str:
    """Text of el and its inline children, not of nested blocks nor of `hidden` children; <br> becomes a line break.

    Line breaks of the HTML source are spaces: a paragraph hard-wrapped in the source is one line of text.
    """
    parts = [_spaced(el.text)]
    for child in el:
        if isinstance(child.tag, str) and child.tag == "br":
            parts.append("\n")
        elif isinstance(child.tag, str) and child.tag in _INLINE and child not in hidden:
            parts.append(_spaced(child.text_content()))
        parts.append(_spaced(child.tail))
    return "".join(parts)


def _spaced(text: str | None) -> str:
    return text.replace("\n", " ").replace("\r", " ") if text else ""


def _is_main(el: HtmlElement, total: int, *, lines: tuple[str, ...] = ()) -> bool:
    """True when el holds story text: much of the page's text, or several real paragraphs, or long lines: text
    after one of `lines` if "br" is among them, a box's text before its first child if "div" is."""
    if el.tag in _NEVER_PRUNE or _raw_len(el) > max(1500, 0.4 * total):
        return True
    # Real paragraphs mark the story even when a class word says "lightbox" or "comments" on its wrapper. Lines
    # count only in a box that never holds prose (an unclosed "Advertisement" label swallowed a story written in
    # lines): readers' comments are written in lines too.
    long_paras = 0
    for node in el.iter("p", *lines):
        if node.tag == "p":
            long = _raw_len(node) > 120 and not GALLERY_NUMBER.match(node.text_content())
        else:  # the line after a <br>, or before a box's first child
            long = len(((node.tail if node.tag == "br" else node.text) or "").strip()) > 120
        if long:
            long_paras += 1
            if long_paras >= 3:
                return True
    return False


def _caption_of(el: HtmlElement) -> tuple[str, str | None] | None:
    """(caption, credit) of a figure-like element; the credit may sit in its own trailing element."""
    text = _norm(GALLERY_NUMBER.sub("", _norm(el.text_content()), count=1))
    if not text:
        return None
    last = el[-1] if len(el) else None
    if last is not None and last.tail is None or (last is not None and not last.tail.strip()):
        tail_text = _norm(last.text_content()) if last is not None else ""
        if tail_text and len(tail_text) <= 40 and text.endswith(tail_text) and len(text) > len(tail_text):
            return text[: -len(tail_text)].rstrip(" -–—|/"), tail_text
    return split_credit(text)


@lru_cache(maxsize=8192)  # a site's pages repeat their class names on element after element
def _may_hint(value: str) -> bool:
    return _HINT_FAST.search(value.lower()) is not None


def _prune_by_hints(body: HtmlElement, total: int, out: _Collector) -> None:
    candidates = dict.fromkeys(body.iter("figure", "figcaption"))
    for value in _HINT_ATTRS(body):
        if _may_hint(str(value)):  # str(): a cached lxml string would keep its page's tree alive
            candidates.setdefault(value.getparent(), None)
    for el in candidates:
        if el.tag in _NEVER_PRUNE:
            continue
        kind = "caption" if el.tag in ("figure", "figcaption") else _hint(el)
        if kind == "caption" and el.tag == "figure" and (_is_table_figure(el) or _HOLDS_EMBEDDED_POST(el)):
            # Its <figcaption>, a candidate of its own, is the table's caption. WordPress wraps each post a story
            # quotes in `<figure class="wp-block-embed">`: the post is the story's quote, not a photo's caption.
            continue
        if kind is None:
            continue
        if kind in _SWALLOWING_KINDS:
            _release_swallowed(el, out)
        if _is_main(el, total, lines=_line_tags(el, kind)) or (kind in _NEVER_PROSE_KINDS and _holds_paragraphs(el)):
            if kind in _OWN_WORDS_KINDS:
                _drop_lead(el, kind, out)
            if kind in _UNNAMED_WHEN_MAIN:
                _unname(el, out)
            continue
        if kind in ("caption", "gallery"):
            _record_figure(el, out)
        elif kind == "related":
            for a in el.iter("a"):
                out.link(a)
        _drop(el, out)  # a candidate inside an already dropped one is dropped from the detached copy: harmless


# What makes a <figure> a picture's: a table in a figure with none of these is the story's data.
_MEDIA = ("img", "picture", "video", "audio", "iframe", "svg", "object", "embed", "canvas", "amp-img", "amp-video")


def _drawn(el: HtmlElement) -> bool:
    """Whether a script or a stylesheet draws a picture on el (a lazy image's data-src, a background)."""
    return bool(el.get("data-src") or el.get("data-bg") or "background" in (el.get("style") or ""))


def _is_table_figure(figure: HtmlElement) -> bool:
    """A figure that holds a table of data and no picture: WordPress wraps every table of a post in
    `<figure class="wp-block-table">` (a fuel-price table in a story went as a caption, 2026-12). A table that
    lays out a photo drawn by a script or a stylesheet and its caption, or an ad, is no grid of rows and cells."""
    table = figure.find(".//table")
    if table is None or next(figure.iter(*_MEDIA), None) is not None:
        return False
    if any(_drawn(el) for el in figure.iter()):
        return False
    return sum(1 for row in table.iter("tr") if sum(1 for cell in row if cell.tag in ("td", "th")) >= 2) >= 2


# Kinds of box that never hold prose of their own: one that holds the story swallowed it (a closing tag went
# missing). Comment threads, related-story rails, galleries and cookie notices can be long of their own.
_NEVER_PROSE_KINDS = frozenset({"ad", "share", "newsletter"})
# Kinds of box that lose their name where they hold the story, as trafilatura discards boxes by it: those, and a
# gallery that an unclosed "show all" link or item swallowed the story into (newsroom's malformed page: recall 0.37).
_UNNAMED_WHEN_MAIN = _NEVER_PROSE_KINDS | {"gallery"}


def _holds_paragraphs(box: HtmlElement) -> bool:
    """Whether a box of _NEVER_PROSE_KINDS holds a run of the story's paragraphs, short ones included: an unclosed
    "Advertisement" slot swallowed the end of a story written in short <p> lines (a results table, a Q&A), which
    _is_main, counting long paragraphs, let go (newsroom malformed page: recall 0.81). A newsletter box's pitch and
    fine print, or a sponsored box's blurbs, are a few paragraphs, or links."""
    count = 0
    for p in box.iter("p"):
        text = _norm(p.text_content())
        if word_count(text) < 2 or any(a.tag == "a" for a in p.iterancestors()):
            continue
        if sum(len(_norm(a.text_content())) for a in p.iter("a")) * 2 >= len(text):
            continue
        count += 1
        if count >= _SWALLOWED_PARAGRAPH_RUN:
            return True
    return False


# Paragraphs in an ad, share or newsletter box that make it a story's: more than such a box's own ever are.
_SWALLOWED_PARAGRAPH_RUN = 6


def _line_tags(box: HtmlElement, kind: str) -> tuple[str, ...]:
    """The tags whose loose text counts as a story's lines in `box` (_is_main): in a box that never holds prose,
    lines after <br>s; and a <div>'s text where the story runs in lines before the box (a newsletter box's
    paragraphs are often <div>s)."""
    if kind not in _NEVER_PROSE_KINDS:
        return ()
    return ("br", "div") if _written_in_lines_before(box) else ("br",)


def _written_in_lines_before(box: HtmlElement) -> bool:
    """Whether a long line of text, in no block of its own, comes before the box in its parent or an ancestor's: a
    story written in lines runs around it (a newsletter box of long <div>s in a story of <p>s is no such place)."""
    for inner in (box, *box.iterancestors()):
        parent = inner.getparent()
        if parent is None or inner.tag in _NEVER_PRUNE:
            return False
        # Loose text, or inline markup's (<span>Line one ...</span><br>), before the box: not a <p>'s.
        before = [parent.text] + [
            (sibling.text_content() if sibling.tag in _INLINE else "") + (sibling.tail or "")
            for sibling in inner.itersiblings(preceding=True)
            if isinstance(sibling.tag, str)
        ]
        if any(len((text or "").strip()) > 120 for text in before):
            return True
    return False


def _unname(box: HtmlElement, out: _Collector) -> None:
    """Take the class and id off a box of _UNNAMED_WHEN_MAIN that holds the story: trafilatura discards a box by
    such a name ("ad-slot", "share-", "slideshow"), and the story with it (an unclosed ad slot held 3,300
    characters)."""
    if "class" in box.attrib or "id" in box.attrib:
        box.attrib.pop("class", None)
        box.attrib.pop("id", None)
        out.changes += 1


# Kinds whose own words are never the story's. When an element of such a kind holds the story, a closing tag
# was missing (`<div class="share-bar">Share on Facebook · Share via Email<div class="story-body">...`): the
# story stays, and the words before it are still the share bar's.
_OWN_WORDS_KINDS = frozenset({"share", "newsletter", "cookie", "ad", "comment", "gallery", "caption"})
# At most this many characters before the first block are taken for the element's own words: a share bar's
# or a consent line's length, not a paragraph's.
_OWN_WORDS_LIMIT = 160


def _drop_lead(el: HtmlElement, kind: str, out: _Collector) -> None:
    """Drop el's text and inline children before its first block child: its own words, not what it swallowed.

    A gallery's own words are its title, a caption's its caption: kept as such.
    """
    lead = list(itertools.takewhile(lambda c: not (isinstance(c.tag, str) and c.tag in _BLOCK), el))
    if len(lead) == len(el):
        return  # no block inside: el did not swallow anything
    words = " ".join([el.text or ""] + [etree.tostring(c, method="text", encoding="unicode") for c in lead])
    if not words.strip() or len(_norm(words)) > _OWN_WORDS_LIMIT:
        return
    out.labelled.append("".join(words.split()))
    text = _norm(words)
    if kind == "caption" or kind == "gallery" and GALLERY_NUMBER.match(text):
        if caption := _norm(GALLERY_NUMBER.sub("", text, count=1)):
            out.captions.append(split_credit(caption))
    elif kind == "gallery":
        out.titles.append(text)
    el.text = None
    for child in lead:
        el.remove(child)  # with its tail: text between the lead's elements is the lead's too
    out.changes += 1


# A caption that swallowed the story goes on, after its own words, with paragraphs: at least this many of
# _STORY_PARAGRAPH characters or more, ending a sentence, and _SWALLOWED_MIN characters of blocks in all.
_SWALLOWED_PARAGRAPHS = 2
_SWALLOWING_KINDS = ("caption", "gallery")  # "gallery-caption" names a gallery first
_STORY_PARAGRAPH = 80
_SWALLOWED_MIN = 300


def _release_swallowed(el: HtmlElement, out: _Collector) -> None:
    """Move the story that a caption at el's end swallowed, because a closing tag was missing, out of el and of
    the galleries around it, to just after them.

    `<div class="gallery-caption">6/6 Soldiers queue ... <p>An Associated Press journalist ...` nests the rest of
    the story in the caption, and the caption in the gallery: dropping the gallery dropped the story with it. A
    caption's own words come first, as text; story paragraphs after them, two or more, are the swallowed part.
    Only at el's very end: what a missing closing tag swallows runs on to the end of every box around it.
    """
    for caption in el.iter(etree.Element):
        if not (caption.tag == "figcaption" or _hint(caption) in _SWALLOWING_KINDS):
            continue
        children = list(caption)
        first = next((i for i, c in enumerate(children) if c.tag in _BLOCK and _norm_len(c)), None)
        if first is None or not _has_own_words(caption, children[:first]) or not _ends(caption, el):
            continue
        swallowed = children[first:]
        paragraphs = [
            c
            for c in swallowed
            if c.tag == "p" and _norm_len(c) >= _STORY_PARAGRAPH and _SENTENCE_END.search(c.text_content())
        ]
        if len(paragraphs) < _SWALLOWED_PARAGRAPHS or sum(map(_norm_len, swallowed)) < _SWALLOWED_MIN:
            continue
        box = _outermost_box(el)
        parent, tail, box.tail = box.getparent(), box.tail, None
        pos = parent.index(box)
        for offset, child in enumerate(swallowed, start=1):
            parent.insert(pos + offset, child)
        if tail and tail.strip():
            swallowed[-1].tail = (swallowed[-1].tail or "") + tail
        out.changes += 1
        return


def _outermost_box(el: HtmlElement) -> HtmlElement:
    """el, or the outermost caption, gallery or figure that el ends (galleries nest items, items captions)."""
    while (parent := el.getparent()) is not None and el.getnext() is None and parent.tag not in _NEVER_PRUNE:
        if not (parent.tag in ("figure", "figcaption") or _hint(parent) in _SWALLOWING_KINDS):
            break
        el = parent
    return el


def _has_own_words(el: HtmlElement, lead: list[HtmlElement]) -> bool:
    return _has_text(el.text) or any((isinstance(c.tag, str) and _norm_len(c)) or _has_text(c.tail) for c in lead)


def _ends(el: HtmlElement, box: HtmlElement) -> bool:
    """el is the last element of box, of its parent inside box, and so on up (no element follows it in box)."""
    while el is not box:
        parent = el.getparent()
        if parent is None or el.getnext() is not None:
            return False
        el = parent
    return True


def _record_figure(el: HtmlElement, out: _Collector) -> None:
    blocks = text_blocks(el)
    items = [b for b in blocks if GALLERY_NUMBER.match(_norm(b.text_content()))]
    if len(items) >= 2 or el.xpath(".//img|.//picture") and not items:
        for item in items:
            cap = _caption_of(item)
            if cap:
                out.captions.append(cap)
        for b in blocks:
            if b not in items:
                _record_loose_text(b, out)
    else:
        for b in blocks or [el]:
            _record_loose_text(b, out)


def _record_loose_text(b: HtmlElement, out: _Collector) -> None:
    text = _norm(b.text_content())
    if len(text) > _CAPTION_MAX and any(isinstance(c.tag, str) and c.tag in _BLOCK for c in b):
        # A block that swallowed others (a gallery's unclosed title, all its items): its own words.
        text = _norm(own_text(b)) or text
    m = GALLERY_COUNT.match(text)
    if m:
        if m.group("title"):
            out.titles.append(m.group("title"))
    elif GALLERY_NUMBER.match(text):
        cap = _caption_of(b)
        if cap:
            out.captions.append(cap)
    elif text and not out.shapes.is_share_text(text):
        cap = split_credit(text)
        out.captions.append(cap)


def _prune_by_text(body: HtmlElement, total: int, out: _Collector) -> None:
    """Text-shape rules for pages whose markup says nothing (hashed classes, <div> everywhere)."""
    blocks = text_blocks(body)
    texts = {b: _norm(b.text_content()) for b in blocks}
    _prune_galleries(body, blocks, texts, total, out)
    for b in blocks:
        text = texts[b]
        if len(text) > _SHORT:
            continue
        target = _classify_short(b, text, out)
        if target is not None and not _is_main(target, total):
            _drop(target, out, labelled=True)
    _prune_figures(body, total, out)


def _classify_short(b: HtmlElement, text: str, out: _Collector) -> HtmlElement | None:
    """The element to drop for a short text block, or None to keep it."""
    shapes = out.shapes
    if (
        (shapes.related_prefix_end(text) is not None and b.find(".//a") is not None)
        or _is_labelled_link(b, shapes)
        or _is_shouted_link(b, text)
    ):
        for a in b.iter("a"):
            out.link(a)
        return b
    if b.tag in ("td", "th") and _in_data_table(b):
        return None  # a table's "Share" or "Comments" column heading, a cell among others
    kind = shapes.line_kind(text)
    if kind == "ad" or shapes.is_share_text(text):
        return _widest_same_text(b, text)
    if any(isinstance(c.tag, str) and c.tag not in _INLINE for c in b):
        # A promo sentence is found anywhere in a text, so a block with blocks inside is judged by its own: a
        # brief's <div> holding the story and, in a child, a newsletter sign-up is not a sign-up (newsroom
        # obfuscated world, seed 13, 2026-12: the brief was lost whole).
        text = _norm(own_text(b))
    # A paywall's prompt is left to the text's lines: dropped here alone, it left the rest of its box (heading,
    # pitch, button) to trafilatura, which had discarded the box whole.
    if shapes.is_promo(text, paywall=False):
        return _widest_same_text(b, text, slack=80)
    if kind is not None and b.tag in ("h2", "h3", "h4", "h5", "h6", "div", "span", "p", "strong"):
        return _section_after_heading(b, related=kind == "related", out=out)
    if GALLERY_COUNT.match(text):
        _record_loose_text(b, out)
        return b
    return None


def _is_labelled_link(b: HtmlElement, shapes: Shapes) -> bool:
    """A related label in an element of its own or before the block's first element, where a line has its ":",
    then links that are the rest of the block's text: "<span>Leggi anche</span> <a>Portici di Bologna, al via i
    restauri</a>", "<p>Soma pia <a>Treni ya SGR…</a></p>"."""
    first = next((c for c in b if isinstance(c.tag, str)), None)
    if first is None:
        return False
    own = _norm(b.text or "")
    if own:
        label, links = own, list(b.iter("a"))
    elif first.tag != "a":
        label, links = _norm(first.text_content()), [a for a in b.iter("a") if first not in a.iterancestors()]
    else:
        return False
    if not shapes.is_related_prefix(label):
        return False
    linked = sum(len(_norm(a.text_content())) for a in links)
    return linked > 0 and linked >= _LINKED_REST * (len(_norm(b.text_content())) - len(label))


# A labelled link's block may hold a little besides its links: a date, a bracket, a "|".
_LINKED_REST = 0.8


def _is_shouted_link(b: HtmlElement, text: str) -> bool:
    """A paragraph that is one link to another page, all in capitals: Fox News's and other American sites' related
    headlines and app promos between a story's paragraphs ("SEAN SPICER ELIMINATED FROM 'DANCING WITH THE
    STARS'", "CLICK HERE TO GET THE FOX NEWS APP"). A story's own sentences are not links, and its headings not
    whole-paragraph links. Scripts without capitals never match."""
    if b.tag != "p" or not text.isupper() or word_count(text) < _SHOUTED_WORDS:
        return False
    links = b.findall(".//a")
    if len(links) != 1 or not links[0].get("href", "").strip().startswith(("http", "/")):
        return False
    return len(_norm(links[0].text_content())) >= len(text) - _SHOUTED_SLACK


# A shouted link names a story or an action in a few words; what may stand beside it in its paragraph (a closing
# bracket, a dash).
_SHOUTED_WORDS = 4
_SHOUTED_SLACK = 3


def _in_data_table(cell: HtmlElement) -> bool:
    """The cell's row has other cells with text: a table of data, not a one-cell layout box around a label."""
    row = cell.getparent()
    return row is not None and any(c is not cell and _norm_len(c) for c in row.iterchildren("td", "th"))


def _widest_same_text(b: HtmlElement, text: str, slack: int = 10) -> HtmlElement | None:
    """The highest ancestor of b whose text is still (about) b's text: the ad slot, not just its label.

    None when b itself holds more than that text (a block judged by its own text, with a story in a child).
    """
    if _norm_len(b) > len(text) + slack:
        return None
    best = b
    for anc in b.iterancestors():
        if anc.tag in _NEVER_PRUNE or _norm_len(anc) > len(text) + slack:
            break
        best = anc
    return best


def _section_after_heading(h: HtmlElement, *, related: bool, out: _Collector) -> HtmlElement | None:
    """A "Related stories"/"N comments" heading's container, when the container is mostly that list."""
    box = h.getparent()
    # A heading alone in a wrapper of its own (`<header><h4>Next in Business</h4></header>`): the wrapper heads
    # the section.
    for _ in range(3 if related else 0):  # a comment count's wrapper's parent may be the story's own box
        if box is None or box.tag in _NEVER_PRUNE or _norm_len(box) > _norm_len(h):
            break
        h, box = box, box.getparent()
    if not related and _story_goes_on(h):
        return None
    if box is None or box.tag in _NEVER_PRUNE:
        # Right in <article> or <body>, the heading is a section of the page, not a box's title: what follows it
        # may be the story itself (a what's-on guide's "Don't miss", a briefing's "Top stories"), so it stays.
        return h
    links = box.findall(".//a")
    link_text = sum(len(_norm(a.text_content())) for a in links)
    box_text = len(_norm(box.text_content()))
    if related and links and link_text >= 0.6 * (box_text - len(_norm(h.text_content()))):
        for a in links:
            out.link(a)
        return box
    if not related and box_text < 5000:
        # The box is the comments section when the heading opens it; a short story before the heading in the
        # same box (a brief, then "Comments" and the thread, all in one content <div>) went with it, and with
        # under 1,500 characters nothing called the box the story's. Then the heading and what follows it go.
        if not _story_before(h, box):
            return box
        # Under a section's heading the thread goes too, but not a block of real paragraphs.
        if h.tag in SECTION_HEADINGS:
            for after in [s for s in h.itersiblings() if isinstance(s.tag, str)]:
                if not _is_main(after, 0):
                    _drop(after, out, labelled=True)
        return h  # a count or a "Leave a comment" line between the story's paragraphs: only the line
    if related:
        _drop_list_after(h, out)
    return h


def _drop_list_after(h: HtmlElement, out: _Collector) -> None:
    """The list after a related heading in the story's own container: "You may also like..." and then paragraphs
    that are nothing but links, or teaser cards. Those go with the heading; the first block with other text ends
    the list."""
    for item in _links_after(h) or _cards_after(h):
        for a in item.iter("a"):
            out.link(a)
        _drop(item, out, labelled=True)


def _story_before(h: HtmlElement, box: HtmlElement) -> bool:
    """Whether box holds a paragraph's worth of text that is no link before its child h."""
    size = weighted_length(_norm(box.text or ""))
    for sibling in h.itersiblings(preceding=True):
        size += weighted_length(_norm(sibling.tail or ""))
        if isinstance(sibling.tag, str):
            size += weighted_length(_norm(sibling.text_content()))
            size -= sum(weighted_length(_norm(a.text_content())) for a in sibling.iter("a"))
    return size >= _STORY_BEFORE


def _story_goes_on(h: HtmlElement) -> bool:
    """A bare "Comments" <h2>-<h6> between paragraphs of a story, in the story's own box: an editor's subheading.

    The words that head a readers' thread also head a story's section of reactions ("Réactions", "תגובות",
    "Yorumlar", "评论", "Σχόλια"). A thread is counted ("3 Comments") or invites ("Leave a comment"), and opens
    its own box or follows a notice; a section goes on with a story's paragraphs after the story's paragraphs.
    """
    if h.tag not in SECTION_HEADINGS or any(ch.isdigit() for ch in h.text_content()):
        return False
    after = _paragraph_after(h)
    if after is None or not _is_story_paragraph(after) or _is_signed(after):
        return False
    # The story's paragraphs are the heading's siblings (each alone in a wrapper, at most): a story's box, then a
    # thread after it, is no section.
    before = (_paragraph_of(s) for s in h.itersiblings(preceding=True) if isinstance(s.tag, str))
    return sum(1 for p in itertools.islice(before, 50) if p is not None and _is_story_paragraph(p)) >= 2


def _paragraph_after(h: HtmlElement) -> HtmlElement | None:
    """The paragraph right after a heading (its next element, or the one paragraph that wraps: _paragraph_of)."""
    return _paragraph_of(next((s for s in h.itersiblings() if isinstance(s.tag, str)), None))


def _paragraph_of(el: HtmlElement | None) -> HtmlElement | None:
    """el if it is a paragraph, or the one paragraph it wraps (`<div class="paragraph"><p>…</p></div>`)."""
    if el is None or el.tag == "p":
        return el
    inner = el.findall(".//p") if el.tag in ("div", "section") else []
    return inner[0] if len(inner) == 1 else None


def _is_signed(p: HtmlElement) -> bool:
    """A paragraph that opens with its writer's name: in bold or a link before any text ("<b>Mark T.</b> — ..."),
    or a name's few capitalised words (or words of a script without case) and a colon or a dash ("Mark T. — ...",
    "たろう：..."); "Le maire a déclaré : « … »" is a story's. So is a name and then only a quotation: a section of
    reactions or a press review quotes people and papers ("<b>Le maire :</b> « … »", "<b>taz:</b> „…“"), where a
    reader who quotes goes on in his own words ('<b>Mark</b>: "…," says the article. I disagree')."""
    text = _norm(p.text_content())
    first = next((c for c in p if isinstance(c.tag, str)), None)
    if not (p.text or "").strip() and first is not None and first.tag in _SIGNATURE_TAGS:
        return not _QUOTATION.fullmatch(text[len(_norm(first.text_content())) :])
    m = _SIGNATURE.match(text)
    if m is None or any(word[0].islower() for word in m["name"].split()):
        return False
    return not _QUOTATION.fullmatch(text[m.end() :])


_SIGNATURE_TAGS = frozenset({"b", "strong", "a", "cite", "span"})
# What follows a name when a story quotes its words: a quotation (after the colon or dash, if any) to the
# paragraph's end, its closing quote last or before the full stop.
_QUOTATION = re.compile(r"\s*[:：—–-]?\s*[«„“\"‚‘「『‹»”].+[»“”\"’‘」』«›‹][.!?…。]?\s*")
# A name of up to three words, then a colon or a dash: how a thread in plain paragraphs says who wrote each comment.
_SIGNATURE = re.compile(r"(?P<name>[^\s:：—–]{1,30}(?: [^\s:：—–]{1,30}){0,2}) ?(?:[:：]| [—–] )")


def _is_story_paragraph(p: HtmlElement) -> bool:
    """A sentence of some words at least, mostly not link text."""
    text = _norm(p.text_content())
    if word_count(text) < _STORY_SENTENCE_WORDS or not _SENTENCE_END.search(text):
        return False
    linked = sum(weighted_length(_norm(a.text_content())) for a in p.iter("a"))
    return linked < weighted_length(text) / 3


# The words of a sentence in a story's paragraph (Hebrew's and Arabic's are short: one may be 50 characters).
_STORY_SENTENCE_WORDS = 8


# The headings of a story's sections (its <h1> is the page's headline).
SECTION_HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
# Text before a comments heading in its box that makes the box a story's: a sentence or two.
_STORY_BEFORE = 80
# A link-only block after a related heading holds a headline's length per link, not a paragraph's.
_LINK_ITEM_LIMIT = 200
# What may stand between a link list's headlines: tags ("[INSIGHT]", "(VIDEO)") and separators (express.co.uk).
_LINK_TAGS = re.compile(r"\[[^\]\[]{1,20}\]|\([A-Z ]{1,20}\)|[|•·/–—-]+")
# A teaser card: a linked headline of this many characters at least, and a summary of a sentence or two.
_CARD_HEADLINE_MIN = 20
_CARD_LIMIT = 400


def _cards_after(h: HtmlElement) -> list[HtmlElement]:
    """The teaser cards after a related heading, when all that follows it is two or more: each a linked
    headline and at most a short summary (reuters.com's "Next In Business News"). Cards stand alone or in
    wrappers of their own."""
    following = [s for s in h.itersiblings() if isinstance(s.tag, str)]
    for _ in range(3):  # wrappers around the list of cards
        children = [c for c in following[0] if isinstance(c.tag, str)] if len(following) == 1 else []
        if not children:
            break
        following = children
    if len(following) < 2 or not all(_is_card(item) for item in following):
        return []
    return following


def _is_card(item: HtmlElement) -> bool:
    if item.tag in _INLINE or weighted_length(_norm(item.text_content())) > _CARD_LIMIT:
        return False
    return any(weighted_length(_norm(a.text_content())) >= _CARD_HEADLINE_MIN for a in item.iter("a"))


def _links_after(h: HtmlElement) -> list[HtmlElement]:
    """The blocks right after h that hold one or more links and no other text (nothing between them either)."""
    items: list[HtmlElement] = []
    tail = h.tail
    for sibling in h.itersiblings():
        if (tail and tail.strip()) or not isinstance(sibling.tag, str) or sibling.tag in _INLINE:
            break
        text = _norm(sibling.text_content())
        links = sibling.findall(".//a")
        if not links or not text or len(text) > _LINK_ITEM_LIMIT * len(links):
            break
        linked = "".join(_norm(a.text_content()) for a in links).replace(" ", "")
        if len(linked) < len(_LINK_TAGS.sub("", text).replace(" ", "")):
            break
        items.append(sibling)
        tail = sibling.tail
    return items


def _prune_galleries(
    body: HtmlElement, blocks: list[HtmlElement], texts: dict[HtmlElement, str], total: int, out: _Collector
) -> None:
    """Numbered "k/N caption CREDIT" items: drop them, their shared container when it holds nothing else."""
    numbered = [b for b in blocks if GALLERY_NUMBER.match(texts[b])]
    # A gallery counts its photos out of one total ("1/6 ... 2/6 ..."); "1/2 cup" and "3/4 cup" of a recipe, or
    # a timeline's "1/9", "2/6" dates, do not (they were dropped as a gallery, and a story box with them).
    items = [numbered[i] for i in sorted(_numbered_lines([texts[b] for b in numbered]))]
    if len(items) < 2:
        return
    done: set[HtmlElement] = set()
    for item in items:
        if item in done:
            continue
        box = _common_box(item, items)
        members = [i for i in items if i is box or box in set(i.iterancestors())]
        done.update(members)
        # A gallery shows its photos: numbered lines with fewer pictures than half of them in their box, or one
        # each beside it (captions listed apart from the slides, as the Independent's), are a thread quoted as
        # "1/4 ... 4/4", or a timeline of days written "3/12" (a Vietnamese or Portuguese story's days went as a
        # gallery, and the story's box with them).
        if len(members) < 2 or not _shows_pictures(box, len(members)):
            continue
        box = _widen_to_header(box, total)
        # Weighted: a Chinese story of three paragraphs is ~150 characters, and went with its gallery's box.
        rest = weighted_length(_norm(box.text_content())) - sum(weighted_length(texts[m]) for m in members)
        if box.tag not in _NEVER_PRUNE and not _is_main(box, total) and rest < 300:
            _record_figure(box, out)
            _drop(box, out, labelled=True)
        else:
            for m in members:
                cap = _caption_of(m)
                if cap:
                    out.captions.append(cap)
                _drop(m, out, labelled=True)


# A gallery's header (title, "7 photos | Show all") often sits beside its items' container, not in it.
_GALLERY_HEADER_MAX = 150


def _pictures(box: HtmlElement) -> int:
    """Pictures in box: images and videos (not avatars), slides a script or a stylesheet draws one on (a lazy
    gallery's data-src, data-bgset, a background), links to a picture a lightbox opens, and video frames. Not
    _MEDIA's icons (svg) and players (audio): a story's share bar is no gallery."""
    return sum(1 for el in box.iter(etree.Element) if _is_picture(el))


def _is_picture(el: HtmlElement) -> bool:
    if el.tag in _PICTURES:
        return not _is_avatar(el)
    if el.tag == "a" and _IMAGE_FILE.search(el.get("href") or ""):
        return True
    if el.tag == "iframe":
        return _VIDEO_HOST.search(el.get("src") or el.get("data-src") or "") is not None
    return _drawn(el) or any(k.startswith("data-") and _IMAGE_FILE.search(v) for k, v in el.attrib.items())


def _is_avatar(img: HtmlElement) -> bool:
    """A post's author's face (a quoted thread's embeds show one each): no photo of a gallery or a story."""
    return _AVATAR.search(f"{img.get('class', '')} {img.get('alt', '')} {img.get('src', '')}") is not None


_PICTURES = frozenset(["img", "picture", "amp-img", "video", "amp-video"])
_AVATAR = re.compile(r"avatar|profile_image|profile-pic", re.IGNORECASE)
_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|webp|gif|avif)(?:[?#]|$)", re.IGNORECASE)
_VIDEO_HOST = re.compile(r"youtube(?:-nocookie)?\.com/embed|player\.vimeo\.com|dailymotion\.com/embed")


def _shows_pictures(box: HtmlElement, items: int) -> bool:
    """Whether box holds a picture for half of its `items` numbered lines, or one of the two boxes around it one
    for each (captions listed apart from their slides, a level or two down in a carousel's wrappers)."""
    if 2 * _pictures(box) >= items:
        return True
    around = list(itertools.islice(box.iterancestors(), 2))
    return any(el.tag not in _NEVER_PRUNE and _pictures(el) >= items for el in around)


def _widen_to_header(box: HtmlElement, total: int) -> HtmlElement:
    """The gallery box widened to ancestors that add only a short header and no paragraphs."""
    while True:
        parent = box.getparent()
        if parent is None or parent.tag in _NEVER_PRUNE or _is_main(parent, total):
            return box
        # Weighted (a Chinese or Japanese character counts three): a short story beside its gallery is no header.
        extra = _text_beside(box, parent)
        has_paragraph = any(p is not box and box not in set(p.iterancestors()) for p in parent.iter("p"))
        if extra > _GALLERY_HEADER_MAX or has_paragraph:
            return box
        box = parent


def _common_box(item: HtmlElement, items: Iterable[HtmlElement]) -> HtmlElement:
    """Nearest ancestor of item that holds at least one other numbered item."""
    others = [i for i in items if i is not item]
    for anc in item.iterancestors():
        if any(anc in set(o.iterancestors()) for o in others[:3]):
            return anc
    return item


def _prune_figures(body: HtmlElement, total: int, out: _Collector) -> None:
    """An image with a short text next to it inside a small box is a photo and its caption."""
    for img in list(body.iter("img")):
        if "emoji" in (img.get("class") or ""):
            continue
        box = img.getparent()
        if box is None or box.tag in _NEVER_PRUNE or box.tag == "a":
            box = box.getparent() if box is not None and box.tag == "a" else None
        if box is None or box.tag in _NEVER_PRUNE:
            continue
        text = _norm(box.text_content())
        if not text or len(text) > _CAPTION_MAX or _is_main(box, total):
            continue
        if box.find(".//h2") is not None or box.find(".//h3") is not None or box.find(".//h4") is not None:
            continue  # a card with its own heading (a feature, a team member), not a photo with a caption
        if _numbered_item(box, text):
            continue  # a list's item under its picture: "<strong>2. Monsanto</strong> A village built ..."
        if (box.tag == "p" or _within_a_sentence(img)) and not split_credit(text)[1]:
            continue  # an inline picture in a real paragraph; only a credit marks it as a caption
        links = [a for a in box.iter("a") if _norm(a.text_content())]
        linked = sum(len(_norm(a.text_content())) for a in links)
        if linked < 0.5 * len(text) and _story_lines(box) >= 2:
            continue  # a brief's box with its photo: paragraphs beside the image, not one caption
        if links and linked >= 0.9 * len(text):
            for a in links:  # a teaser (thumbnail and linked headline) or a logo and menu: links, not a caption
                out.link(a)
        else:
            out.captions.append(split_credit(GALLERY_NUMBER.sub("", text, count=1).strip()))
        _drop(box, out)


# A list item's number before its name: "2. Monsanto", "2) Monsanto", "#2 Monsanto", "2 – Monsanto".
_ITEM_NUMBER = re.compile(r"(?:#\d{1,3}[.):]?|\d{1,3}(?:[.)]|\s*[–—-]))\s*(?=\S)")


def _numbered_item(box: HtmlElement, text: str) -> bool:
    """Whether box's text opens with a number and a name in bold, as a listicle's items do ("<strong>2. Monsanto
    </strong> A village ...", "2. <strong>Monsanto</strong> ...", "<b>2.</b> <b>Monsanto</b> ..."): a caption is no
    list's."""
    number = _ITEM_NUMBER.match(text)
    if number is None:
        return False
    rest = text[number.end() :]
    bold = [name for b in itertools.islice(box.iter("strong", "b"), 2) if (name := _norm(b.text_content()))]
    # The name in bold after the number, or the number and the name in one bold run, with words after it.
    return any((rest.startswith(name) or text.startswith(name) and len(name) > number.end()) for name in bold) and (
        len(rest) > min(map(len, bold), default=0)
    )


def _within_a_sentence(img: HtmlElement) -> bool:
    """Text runs on both sides of img in its parent: an icon inside a line of text ("shares [up arrow] rose")."""
    parent = img.getparent()
    if parent is None or not _has_text(img.tail):
        return False
    before = [parent.text]
    for sibling in img.itersiblings(preceding=True):
        if isinstance(sibling.tag, str):  # a comment's text is no text; its tail is
            before.append(sibling.text_content())
        before.append(sibling.tail)
    return any(_has_text(t) for t in before)


# A caption is one line; a story is lines of sentences. Weighted length: 60 is ~20 Chinese or Japanese characters.
_STORY_LINE = 60


def _story_lines(box: HtmlElement) -> int:
    """Lines of box's text (its blocks, and their <br>-separated lines) that are sentences of story length."""
    lines = (line for block in text_blocks(box) for line in own_text(block).split("\n"))
    return sum(1 for line in lines if weighted_length(_norm(line)) >= _STORY_LINE and _SENTENCE_END.search(line))


# Polls, search boxes and sign-up forms: form controls in a small form, fieldset or table. Only a small one: an
# ASP.NET page wraps the whole page, story included, in one <form> (Big5/L3S-era sites, 2026-12 issue 14).
_WIDGET_CHARS = 300


def _prune_forms(body: HtmlElement, total: int, out: _Collector) -> None:
    """Drop the nearest form, fieldset or table around visible form controls when it holds little text."""
    for control in list(body.iter("input", "select", "textarea")):
        if (control.get("type") or "").lower() == "hidden":
            continue
        box = next((a for a in control.iterancestors() if a.tag in ("form", "fieldset", "table")), None)
        if box is None or box.getparent() is None or _norm_len(box) > _WIDGET_CHARS or _is_main(box, total):
            continue
        _drop(_signup_box(box, total) if _asks_for_email(control) else box, out)


# A sign-up box's name and pitch beside its e-mail form ("The Morning Briefing", "Get the day's most important
# stories delivered to your inbox every weekday morning."): weighted characters, at most.
_SIGNUP_WORDS = 250
# ... and a share of the page's text at most: a two-line brief with a sign-up form in its box is a story.
_SIGNUP_SHARE = 0.15


def _text_beside(box: HtmlElement, parent: HtmlElement) -> int:
    """How much text parent holds beside box, weighted (a Chinese or Japanese character as three)."""
    return weighted_length(_norm(parent.text_content())) - weighted_length(_norm(box.text_content()))


def _asks_for_email(control: HtmlElement) -> bool:
    get = control.get
    return (get("type") or "").lower() == "email" or any(
        "mail" in (get(a) or "").lower() for a in ("name", "id", "placeholder", "autocomplete")
    )


def _signup_box(form: HtmlElement, total: int) -> HtmlElement:
    """An e-mail form, widened to the box that holds it with only a short name and pitch.

    Dropped alone, the form left the box's words in the story where neither markup nor words said "newsletter"
    (a review's Arc, Next.js and WordPress styles: 16 of 20 pages leaked them). Never a box with an <h1>, nor
    one holding a large share of the page's text.
    """
    box = form
    while (parent := box.getparent()) is not None and parent.tag not in _NEVER_PRUNE and not _is_main(parent, total):
        extra = _text_beside(box, parent)
        if extra > _SIGNUP_WORDS or _raw_len(parent) > _SIGNUP_SHARE * total or parent.find(".//h1") is not None:
            break
        # A name and one sentence of pitch; a second sentence is a story's (a sign-up box left unclosed holds
        # the paragraph after it).
        if sum(1 for b in text_blocks(parent) if _SENTENCE_END.search(_norm(own_text(b)))) > 1:
            break
        box = parent
    return box


# A menu is a box of nothing but short links: section names, breadcrumbs, footer links. With <nav> or a "menu"
# class trafilatura drops it; with hashed classes and <div>s it keeps the whole page when it finds no article
# container. Newsroom mixed/obfuscated worlds, 2026-11: site6 and site5 pages leaked "Home World Politics ...".
_MENU_LINK_WORDS = 4  # mean words per link; related-story lists carry whole headlines
_MENU_LINK_CHARS = 60  # a cheap bound checked first: no menu has more text per link
_MENU_RESIDUE = re.compile(r"^\s*[\w ]{1,20}:|[\s|·•›»>/,;–—-]+")  # a "Topics:" label and separators
_CRUMB_SEPARATOR = re.compile(r"[›»>/]")
_MENU_LABEL = re.compile(r"^\s*[\w ]{1,20}:")


def _prune_link_lists(body: HtmlElement, total: int, out: _Collector) -> None:
    """Drop menus: boxes of 3+ short links (or a 2+ link breadcrumb trail) and no other text."""
    boxes: dict[HtmlElement, list[HtmlElement]] = {}
    for a in body.iter("a"):
        box = a.getparent()
        if box is not None and box.tag == "li":
            box = box.getparent()
        if box is not None and box.tag not in _NEVER_PRUNE:
            boxes.setdefault(box, []).append(a)
    for box, links in boxes.items():
        if len(links) < 2 or box.getparent() is None or _norm_len(box) > _MENU_LINK_CHARS * len(links):
            continue
        texts = [_norm(a.text_content()) for a in links]
        words = sum(word_count(t) for t in texts)
        if not all(texts) or words > _MENU_LINK_WORDS * len(links):
            continue
        rest = _norm(box.text_content())
        for t in texts:
            rest = rest.replace(t, " ", 1)
        if len(links) == 2 and not (_CRUMB_SEPARATOR.search(rest) or _MENU_LABEL.match(rest)):
            continue
        if _MENU_RESIDUE.sub("", rest):
            continue
        widest = _widest_same_text(box, _norm(box.text_content()))
        target = box if widest is None else widest
        if not _is_main(target, total):
            _drop(target, out)


_BLOCK = frozenset(
    "p div h1 h2 h3 h4 h5 h6 figure section article aside ul ol table blockquote form header footer".split()
)


def _repair_unclosed(body: HtmlElement, out: _Collector) -> None:
    """Move blocks out of an <a>, <p> or <span> that swallowed them because a closing tag was missing.

    libxml2 nests everything after an unclosed <a> inside it, so the story looks like one long link to
    trafilatura's link-density test. A real block link (a teaser card) holds far less text than 300
    characters.
    """
    # Innermost first: blocks an unclosed <a> swallowed inside an unclosed <span> move out of both.
    for el in reversed(list(body.iter("a", "p", "span"))):
        first = next((c for c in el if isinstance(c.tag, str) and c.tag in _BLOCK), None)
        if first is None or el.getparent() is None:
            continue
        moved = list(el)[el.index(first) :]
        if sum(len(c.text_content()) for c in moved) < 300:
            continue
        tail, el.tail = el.tail, None
        pos = el.getparent().index(el)
        for offset, child in enumerate(moved, start=1):
            el.getparent().insert(pos + offset, child)
        if tail and tail.strip():
            moved[-1].tail = (moved[-1].tail or "") + tail
        out.changes += 1


# Posts embedded in a story (a tweet it quotes) are <blockquote>s of these classes, as the platforms' embed codes
# write them.
_EMBEDDED_POST = (
    "blockquote[contains(@class, 'twitter-tweet') or contains(@class, 'twitter-video')"
    " or contains(@class, 'instagram-media') or contains(@class, 'tiktok-embed')]"
)
_EMBEDDED_POSTS = etree.XPath(f"//{_EMBEDDED_POST}")
_HOLDS_EMBEDDED_POST = etree.XPath(f"boolean(.//{_EMBEDDED_POST})")


def unmask_embedded_posts(tree: HtmlElement) -> None:
    """Take the class and id off the boxes that hold an embedded post and nothing else.

    trafilatura discards elements whose class says "social" or "embed" as share bars, and with them the tweets a
    story quotes when its CMS wraps each one in such a box (`div.social-media-embed` on nj.com: ScrapingHub's
    3f65af7b, 4 of 5 quoted tweets lost). Posts in unnamed boxes were kept already. A <figure> among those boxes
    (WordPress's embed block) becomes a <div>: trafilatura drops figures whole. Not a pruning step: it removes
    nothing, so article.py runs it whatever steps it skips.
    """
    for post in _EMBEDDED_POSTS(tree):
        length = _norm_len(post)
        for box in post.iterancestors():
            if box.tag in ("body", "html", "article", "main") or _norm_len(box) != length:
                break
            box.attrib.pop("class", None)
            box.attrib.pop("id", None)
            if box.tag == "figure":
                box.tag = "div"


def _unwrap_layout_tables(body: HtmlElement, out: _Collector) -> None:
    """A table of at most 3 rows holding the headline or a long text cell is page layout: make it divs."""
    for table in list(body.iter("table")):
        rows = table.xpath("./tr|./tbody/tr|./thead/tr")
        if len(rows) > 3:
            continue
        cells = [c for r in rows for c in r if c.tag in ("td", "th")]
        if table.find(".//h1") is None and not any(len(c.text_content()) > 1000 for c in cells):
            continue
        for el in [table, *table.xpath("./tbody|./thead|./tfoot"), *rows, *cells]:
            el.tag = "div"
        out.changes += 1


PruneStep = Literal["unclosed_tags", "layout_tables", "class_hints", "forms", "menus", "text_shapes", "pull_quotes"]
PRUNE_STEPS: tuple[PruneStep, ...] = get_args(PruneStep)


def prune_tree(
    tree: HtmlElement, *, base_url: str | None = None, skip: Collection[str] = (), language: str | None = None
) -> Removed:
    """Remove galleries, captions, related links, ads, promos and comments from tree in place; return them.

    Args:
        skip: steps (PRUNE_STEPS) not to run: the caller's way back when one of them cost the page its story.
        language: the page's language (BCP 47), whose boilerplate labels are looked for with English's.
    """
    body = tree.find(".//body") if tree.tag != "body" else tree
    if body is None:
        body = tree
    # The page's visible text length: script and style hold only text (no child elements), so subtracting
    # theirs is exact, and libxml2 counts without building ~300 text nodes a page as Python strings.
    total = _raw_len(body) - sum(_raw_len(el) for el in body.iter("script", "style"))
    out = _Collector(base_url, shapes_for(language))
    steps: dict[PruneStep, Callable[[], None]] = {
        "unclosed_tags": lambda: _repair_unclosed(body, out),
        "layout_tables": lambda: _unwrap_layout_tables(body, out),
        "class_hints": lambda: _prune_by_hints(body, total, out),
        "forms": lambda: _prune_forms(body, total, out),
        "menus": lambda: _prune_link_lists(body, total, out),
        "text_shapes": lambda: _prune_by_text(body, total, out),
        "pull_quotes": lambda: _prune_pull_quotes(body, out),
    }
    changed: list[PruneStep] = []
    for name, step in steps.items():
        if name in skip:
            continue
        before = out.changes
        step()
        if out.changes > before:
            changed.append(name)
    return out.frozen(changed)


# A pull quote repeats a sentence of the story in large type, in a <blockquote>, an <aside> or a box its class
# names ("pull-quote"). It is found by its text appearing again on the page; a quotation the story makes (a
# tweet, a statement) appears once. Not only inside a <p>: a newsroom template separates paragraphs with <br>.
_PULL_QUOTE_TAGS = ("blockquote", "aside")
_PULL_QUOTE_CLASS = re.compile(r"pull[-_]?quote", re.IGNORECASE)
_PULL_QUOTE_CHARS = (20, 400)
_WORD = re.compile(r"\w")
# Elements whose text a reader does not see. A script's JSON-LD articleBody or a reader app's state (Medium)
# repeats the whole story, every quotation in it included: counted, each would look like a pull quote
# (Readability's medium-3, 2026-12: 38 of a story's 50 quoted tweets were dropped).
_UNSEEN = ("script", "style", "noscript", "template")


def _prune_pull_quotes(body: HtmlElement, out: _Collector) -> None:
    """Drop blockquotes, asides and pull-quote boxes whose whole text appears again on the page."""
    # One pass over the elements in Python: half the CPU of an XPath that lowercases every class to find "quote".
    boxes = [el for el in body.iterdescendants() if _PULL_QUOTE_CLASS.search(el.get("class") or "")]
    low, high = _PULL_QUOTE_CHARS
    # A box its class names a pull quote is one at any length ("Why?", a whole 500-character paragraph) if it holds
    # a word (not medicalnewstoday's <span class="pullquote">"</span>, the opening mark of a quotation); a bare
    # <blockquote> or <aside> only within the bounds, where a repeat of its text is no accident.
    quotes = [q for q in body.iter(*_PULL_QUOTE_TAGS) if low <= _norm_len(q) < high]
    quotes += [box for box in boxes if _WORD.search(box.text_content())]
    if not quotes:
        return
    # The whole page's text less what its unseen elements hold: 0.65 ms a real page (newsroom archive), where an
    # XPath collecting only the seen text nodes took 1.07 ms.
    page = _norm(body.text_content())
    unseen = [text for el in body.iter(*_UNSEEN) if (text := _norm(el.text_content()))]
    # A headline quoting the words is no second copy in the story ("'Lisbon is not for sale': tens of thousands
    # march", over the banner's words in a <blockquote>); a heading that is itself a quote box still counts.
    boxed = set(quotes)
    unseen += [
        text
        for el in body.iter("h1", *SECTION_HEADINGS)
        if el not in boxed and boxed.isdisjoint(el.iterancestors()) and (text := _norm(el.text_content()))
    ]
    by_text: dict[str, list[HtmlElement]] = {}
    for quote in dict.fromkeys(quotes):
        by_text.setdefault(_norm(quote.text_content()), []).append(quote)
    for text, copies in by_text.items():
        seen = page.count(text) - sum(hidden.count(text) for hidden in unseen)
        if seen < 2:
            continue
        if seen <= len(copies):
            # Every copy is a quote box: a statement the story quotes in a <blockquote>, and the pull quote
            # repeating it. The story's copy stays (dropping both lost the statement).
            story = _story_copy(copies)
            copies = [c for c in copies if c is not story]
        for quote in copies:
            _drop(quote, out)


def _story_copy(copies: list[HtmlElement]) -> HtmlElement | None:
    """Of quote boxes with the same text, the one the story quotes: a <blockquote> no pull-quote class names."""
    return next(
        (c for c in copies if c.tag == "blockquote" and not _PULL_QUOTE_CLASS.search(c.get("class") or "")), None
    )


def _numbered_lines(lines: list[str]) -> set[int]:
    """Indexes of "k/N ..." lines forming a gallery: same N, >= min(N, 3) distinct k (not "1/2 cup"), counted
    one after another (photos 1, 2, 3; not a timeline's days "3/12", "5/12", "7/12" of one month)."""
    by_total: dict[int, list[tuple[int, int]]] = {}
    for i, line in enumerate(lines):
        m = GALLERY_NUMBER.match(line)
        if m and 0 < int(m["k"]) <= int(m["n"]) and len(line) <= _CAPTION_MAX:
            by_total.setdefault(int(m["n"]), []).append((i, int(m["k"])))
    keep: set[int] = set()
    for n, hits in by_total.items():
        numbers = sorted({k for _, k in hits})
        # A caption may be missing (a photo without one): most steps are 1, not all.
        steps = [b - a for a, b in itertools.pairwise(numbers)]
        if n >= 2 and len(numbers) >= min(n, 3) and 2 * steps.count(1) >= len(steps):
            keep.update(i for i, _ in hits)
    return keep


def _is_headline(lines: list[str], i: int) -> bool:
    """A lone unpunctuated line of 5-20 words between two finished paragraphs: a related-story headline."""
    line = lines[i]
    if not 5 <= word_count(line) <= 20 or _SENTENCE_END.search(line) or not (0 < i < len(lines) - 1):
        return False
    return bool(_SENTENCE_END.search(lines[i - 1])) and word_count(lines[i + 1]) > 20


def clean_text(
    text: str,
    *,
    title: str | None = None,
    headlines: bool = False,
    language: str | None = None,
    subheadings: Collection[str] = (),
    numbered_galleries: bool = True,
) -> tuple[str, Removed]:
    """Drop caption, gallery, related, ad, share, cookie and newsletter lines from plain text; return them.

    Args:
        title: the article's headline; a line equal to it is dropped (extractors repeat the <h1>).
        subheadings: the story's section headings (story_subheadings): none that only ends like a photo credit
            ("Child tax credit: Who qualifies", "1. Reuters") is a caption (_heading_like_a_credit), and none
            after a "Watch:" or "Read:" label is a related story's headline (a culture desk's picks).
        headlines: plain text: also treat a lone unpunctuated line between paragraphs as a related-story
            headline, and a short paragraph repeating a sentence of a longer one as a pull quote, where no markup
            tells them apart.
        language: the text's language (BCP 47), whose boilerplate labels are looked for with English's.
        numbered_galleries: drop "k/N ..." lines counted like a gallery's photos. Off for a page's text:
            prune_tree judged them with the pictures beside them, and a quoted thread's "1/4 ... 4/4" has none.
    """
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    shapes = shapes_for(language)
    out = _Collector(None, shapes)
    titles = {m["title"].casefold() for line in lines if (m := GALLERY_COUNT.match(line)) and m["title"]}
    numbered = _numbered_lines(lines) if numbered_galleries else set()
    cites = _cites_sources(lines)
    kept: list[str] = []
    for i, line in enumerate(lines):
        folded = line.casefold()
        if m := GALLERY_COUNT.match(line):
            out.titles.append(m["title"]) if m["title"] else None
        elif folded in titles:
            out.titles.append(line)
        elif i in numbered:
            out.captions.append(split_credit(GALLERY_NUMBER.sub("", line, count=1)))
        elif (end := shapes.related_prefix_end(line)) is not None and line not in subheadings:
            if len(line) <= _SHORT and not _reads_on(line[end:].strip()):
                out.related.append((line[end:].strip(), None))
            else:
                kept.append(line)
        elif title and _is_title_line(folded, " ".join(title.split()).casefold()):
            continue
        elif shapes.line_kind(line) == "ad" or shapes.is_share_text(line):
            continue
        elif len(line) <= _SHORT and (shapes.is_promo(line) or shapes.is_rights_line(line)):
            continue
        elif (
            len(line) <= _CAPTION_MAX
            and _is_caption_line(line)
            and not (cites and _is_citation(line))
            and not (line in subheadings and _heading_like_a_credit(line))
            and not _labelled_item(lines, i)
        ):
            out.captions.append(split_credit(line))
        elif headlines and _is_headline(lines, i):
            out.related.append((line, None))
        else:
            kept.append(line)
    # In plain text a pull quote is only a repeated sentence; on a page, _prune_pull_quotes found it by its markup.
    return "\n\n".join(_drop_pull_quotes(kept) if headlines else kept), out.frozen()


# What may follow the headline in a page's <title> or og:title: the outlet, in brackets or after a separator.
_TITLE_SUFFIX = re.compile(r"^\s*(?:[(（\[【].{1,60}[)）\]】]|[|·•:–—-]\s*.{1,60})\s*$")


def _is_title_line(line: str, title: str) -> bool:
    """The headline repeated as a line of text: the title, or the title without its outlet suffix."""
    if line == title:
        return True
    return len(line) >= 10 and title.startswith(line) and bool(_TITLE_SUFFIX.match(title[len(line) :]))


# A sentence, then its source in brackets: "Crypto stocks are tumbling in response. (Bloomberg)".
_CITATION = re.compile(f"[{re.escape(SENTENCE_END_CHARS)}][\"'”’»]?\\s*[(（][^()（）]{{1,40}}[)）]$")


# News agencies a story cites as its source; photo agencies (Getty Images, Shutterstock, EPA) only credit photos.
_NEWS_AGENCY = re.compile(r"AFP|AP|Reuters|REUTERS|Bloomberg|dpa|DPA|Xinhua|Kyodo|ANSA|AAP|Anadolu|Associated Press|PA")


def _is_citation(line: str) -> bool:
    """A sentence, then a news agency alone in brackets: "... in response. (Bloomberg)"."""
    return bool(_CITATION.search(line)) and bool((credit := split_credit(line)[1]) and _NEWS_AGENCY.fullmatch(credit))


def _cites_sources(lines: Sequence[str]) -> bool:
    """Whether the text cites its sources in brackets after sentences, on two lines at least whose source is no
    photo credit ("(Wired)", "(WSJ $)"): a news round-up. There, "... in response. (Bloomberg)" is a citation
    too, not a caption that lost its photo (a round-up lost every line an agency was cited on)."""
    cited = (line for line in lines if line.endswith((")", "）")) and _CITATION.search(line))
    return sum(1 for line in cited if credit_ending(line) is None) >= 2


def _is_caption_line(line: str) -> bool:
    """A short line ending in a photo credit; a bare agency name counts only on an unpunctuated line."""
    ending = credit_ending(line)
    if ending == "label":
        # A list item ("- " from trafilatura) of a story's list: "- Best picture: Oppenheimer" is no caption.
        if line.startswith("- ") and label_in_a_phrase(line):
            return False
        # Nor is a figure after the label ("Crédit : 280 000 euros sur 25 ans.", "Credit: $2,000 per child."), or
        # a sentence after a label a sentence runs into ("… ein gemischtes Bild: Strom wird billiger, Lebensmittel
        # teurer."), where a caption's credit follows its sentence or stands alone ("… Foto: aus dem Archiv.").
        parts = credit_label_split(line)
        if parts is None:
            return True
        in_a_phrase = parts[0].rstrip()[-1:].isalnum()
        return not (_is_figure(parts[2]) or (in_a_phrase and _is_sentence(parts[2])))
    if ending == "parenthesis":
        return not line.rstrip().endswith(tuple(SENTENCE_END_CHARS))
    return ending == "agency" and not _SENTENCE_END.search(line)


def _labelled_item(lines: list[str], i: int) -> bool:
    """Whether lines[i] ends like a labelled credit in a phrase ("Best picture: The Fisherman's Daughter") in a
    list of lines of its shape, one paragraph each: an awards list's winners. Its shape: the same first word, a
    colon, and no credit at the end or a credit in a phrase that names no agency ("Best director: Joana Lima",
    "Best wildlife photo: Tom Reed, Kenya"). A list is three such lines, or two where one ends in no credit at all
    (the category "director" is no picture's). "Main image credit: Getty" stands alone under its story; "Top left
    photo: Jane Doe" beside "Top right photo: Tom Reed" are a picture's two credits."""
    if _labelled_credit_in_a_phrase(lines[i]) is None:
        return False
    first = lines[i].split(maxsplit=1)[0].casefold()

    def same_shape(j: int) -> bool:
        line = lines[j]
        if line.split(maxsplit=1)[0].casefold() != first or ":" not in line:
            return False
        return credit_ending(line) is None or _labelled_credit_in_a_phrase(line) is not None

    before = next((k for k in range(i - 1, -1, -1) if not same_shape(k)), -1)
    after = next((k for k in range(i + 1, len(lines)) if not same_shape(k)), len(lines))
    run = lines[before + 1 : after]
    # A list names a category a line ("Best picture", "Best director"); a picture's credits may be set out by
    # place ("Top left photo: ...", "Top right photo: ...") or as a credits block ("Cover photo: ...", "Cover
    # design: ...", "Additional reporting: ..."), or repeat their label ("Image credit: NASA" x3).
    categories = {line.split(":", 1)[0].casefold() for line in run}
    if len(categories) < len(run) or first in _PLACES_AND_CREDITS:
        return False
    return len(run) >= _LIST_ITEMS or (len(run) >= 2 and any(credit_ending(line) is None for line in run))


def _labelled_credit_in_a_phrase(line: str) -> str | None:
    """The credit of a line ending in a label in a phrase and a credit that names no agency, else None."""
    parts = credit_label_split(line) if label_in_a_phrase(line) else None
    return None if parts is None or is_agency_credit(parts[2]) else parts[2]


# Lines of one shape that make a list: an awards list names a dozen categories, a picture's credits two or three.
_LIST_ITEMS = 3
# First words of credit lines that name where a picture is, or what a credits block credits.
_PLACES_AND_CREDITS = frozenset(
    {"top", "bottom", "left", "right", "above", "below", "main", "lead", "cover", "header", "hero", "featured"}
    | {"feature", "inset", "additional", "image", "video", "picture", "photo", "credito", "crédito", "crédit"}
)


def story_subheadings(tree: HtmlElement) -> frozenset[str]:
    """The texts (white space collapsed) of the <h2>-<h6> a story paragraph follows: its sections' headings. Not a
    heading that is a link ("Read more: <a>Council approves budget</a>"): a promo set as a heading."""
    out = set()
    for h in tree.iter(*SECTION_HEADINGS):
        after = _paragraph_after(h)
        if after is not None and _is_story_paragraph(after) and h.find(".//a") is None:
            out.add(_norm(h.text_content()))
    return frozenset(out)


def _heading_like_a_credit(line: str) -> bool:
    """A section heading that only ends like a photo credit: a label in a phrase, then words no credit is made
    of ("Child tax credit: Who qualifies in 2027", "The big picture: Fewer changes than feared"), or an agency's
    name after a list's number ("2. Reuters"). Headings a CMS prints credits in read otherwise: "Photo: AP",
    "Image credit: Jane Doe/Reuters", "Crowds on Tuesday (AP Photo/Jane Doe)", "Jane Doe/Reuters"."""
    ending = credit_ending(line)
    if ending == "label":
        parts = credit_label_split(line)
        words = [w.strip(".,;") for w in parts[2].split()] if parts is not None and label_in_a_phrase(line) else []
        if any(w.casefold() in _CREDIT_MARKERS for w in words):
            return False
        return any(w[:1].islower() and w not in _CREDIT_WORDS for w in words)
    if ending == "agency":
        return _LIST_NUMBER.fullmatch(split_credit(line)[0]) is not None
    return False


# Words that make a photo credit of what follows its label ("courtesy of the family", "Jane Doe via Getty"), and
# the words in lower case a credit's names are joined with ("Foto: privat", "picture alliance / dpa").
_CREDIT_MARKERS = frozenset("courtesy handout supplied via ©".split())
_CREDIT_WORDS = frozenset(
    "of the for and by file archive archives staff pool photo photos picture alliance privat "
    "de del des di da do dos du la le el van von der den und et e y".split()
)
# A list's number before a heading: "2.", "3)", "#4" (and the article of "3. The Associated Press").
_LIST_NUMBER = re.compile(r"#?\d{1,3}[.)]?(?: The)?")


def _reads_on(rest: str) -> bool:
    """What follows a "More information:" label in plain text is the story's sentence, not a headline: it goes on in
    lower case or in some words, and ends with a full stop ("Más información: el teléfono de emergencias 112
    atiende las 24 horas.", "Siehe auch: Die Stadt hat die Richtlinien im Amtsblatt veröffentlicht."), where a
    headline has none ("Read more: iPhone 16 review"). On a page the label's link tells them apart; in plain text
    only the words do."""
    if rest.rstrip(CLOSING_CHARS + CLOSING_AFTER_A_STOP)[-1:] not in (".", "。"):
        return False
    return rest[:1].islower() or word_count(rest) >= _STORY_SENTENCE_WORDS


def _is_sentence(credit: str) -> bool:
    """What follows a photo label is a sentence, not a name: it ends as one, in four words or more, with two of
    them in lower case where the script has case ("Photo: John Smith/AP" is a credit)."""
    words = credit.rstrip(CLOSING_CHARS + CLOSING_AFTER_A_STOP).split()
    if not words or words[-1][-1] not in SENTENCE_END_CHARS or word_count(credit) < _SENTENCE_WORDS:
        return False
    lower = sum(1 for w in words if w[0].islower())
    return lower >= 2 or not any(w[0].isupper() for w in words)


def _is_figure(credit: str) -> bool:
    """An amount of money or a share and no name: "280 000 euros sur 25 ans.", "$2,000 per child.". A credit's
    numbers are a year, a gallery's count or part of a name: "dpa, 2019", "3/12", "123rf.com", "imago/ 7aktuell"."""
    return not any(w[0].isupper() for w in credit.split()) and _AMOUNT.search(credit) is not None


# A number with a currency or a percent sign before or after it ("140.000 de euro").
_AMOUNT = re.compile(
    r"[$€£¥₹]\s?\d|\d[\d.,  ]*\s?(?:%|[$€£¥₹]"
    r"|(?:de\s)?(?:euros?|dollars?|pounds?|francs?|yuan|yen|rubles?|lei|zł|kč|ft|kr|eur|usd|gbp)\b)",
    re.IGNORECASE,
)


# A photo credit names a person or an agency in a word or three.
_SENTENCE_WORDS = 4


def _drop_pull_quotes(paras: list[str]) -> list[str]:
    """Drop a short paragraph that repeats a whole sentence of a longer paragraph verbatim (a pull quote).

    Only a sentence counts: a repeated recipe line ("Tomato Salad (1 cup ...)") that a longer line
    continues with ", 1 cup grapes" is content, and so is a short line that ends without punctuation.
    """
    if len(paras) < 3:
        return paras
    joined, exact = "\n".join(paras), Counter(paras)
    return [p for p in paras if not (_is_pull_quote(p) and joined.count(p) > exact[p] and _repeats_sentence(p, paras))]


def _is_pull_quote(p: str) -> bool:
    return 20 <= len(p) < 300 and bool(_SENTENCE_END.search(p))


def _repeats_sentence(p: str, paras: list[str]) -> bool:
    for q in paras:
        if len(q) <= len(p):
            continue
        start = q.find(p)
        while start >= 0:
            end = start + len(p)
            if (start == 0 or _SENTENCE_END.match(q[start - 2 : start])) and (end == len(q) or q[end].isspace()):
                return True
            start = q.find(p, start + 1)
    return False
