"""HTML of a news page -> its article: clean body text, metadata, and the boilerplate we removed.

Pure: no network, no database, no Prefect. Raises ExtractionError when a page holds no article.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from trafilatura.utils import is_dubious_html, repair_faulty_html

from extractors._boilerplate import (
    INLINE_TAGS,
    PRUNE_STEPS,
    Removed,
    clean_text,
    prune_tree,
    story_subheadings,
    unmask_embedded_posts,
)
from extractors._crowded import CrowdedTagError, refuse_crowded_tags
from extractors._dense import dense_text, join_cms_story_parts, join_split_story, mark_story_container, split_story
from extractors._index_pages import index_page_reason, not_found_reason, teaser_cards
from extractors._shapes import credit_ending, shapes_for
from extractors._trim import is_crumb, looks_broken, trim_crumbs
from extractors._words import (
    CLOSING_AFTER_A_STOP,
    CLOSING_CHARS,
    SENTENCE_END_CHARS,
    weighted_length,
    word_count,
    written_in,
)
from extractors.hints import ExtractionHints, apply_hints
from extractors.metadata import Metadata, declares_article, extract_metadata, guess_published


class ExtractionError(ValueError):
    """The page holds no extractable article body."""


class NotAnArticleError(ExtractionError):
    """The page is an index of articles (front page, section, tag page), not an article.

    `text` is what would have been stored, kept so a wrong verdict loses nothing (the errors table holds it).
    """

    def __init__(self, message: str, *, text: str = "") -> None:
        super().__init__(message)
        self.text = text


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
    # htmldate's reading of the page's URL and visible dates, where its markup gives no publication date (only
    # when asked: extract_article(guess_date=True)). Less sure than a date the page or its listing states.
    guessed_published_at: datetime | None = None


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
    _unwrap_source_lines(tree)
    return tree


# Text with a line break of the HTML source in it (outside preformatted text), white space alone left out:
# 0.4 ms a page of 190 kB (`descendant::`, not `//`: libxml2 builds and sorts a node set at each `//` step).
# An element's style attribute lower-cased and without white space, where "white-space:pre" is looked for.
_STYLE = "translate(@style, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ \t\r\n', 'abcdefghijklmnopqrstuvwxyz')"
_SOURCE_WRAPPED = etree.XPath(
    "/html/body/descendant::text()[contains(., '\n') and normalize-space(.)][not(ancestor::pre or ancestor::textarea"
    " or ancestor::script or ancestor::style or ancestor::code or ancestor::listing or ancestor::plaintext"
    # white-space: pre, pre-wrap, pre-line, break-spaces (a poem's lines): the source's lines are the page's
    f" or ancestor::*[contains({_STYLE}, 'white-space:pre') or contains({_STYLE}, 'white-space:break-spaces')])]"
)
_SOURCE_BREAK = re.compile(r"[ \t\r\f]*\n[ \t\r\n\f]*")  # ASCII white space, as browsers collapse it
_EDGE_BREAKS = re.compile(r"^([ \t\r\n\f]*)(.*?)([ \t\r\n\f]*)$", re.DOTALL)


def _unwrap_source_lines(tree: HtmlElement) -> None:
    """Join the lines a page's source wraps inside a sentence, as a browser shows them.

    trafilatura keeps the source's line breaks in some places (an element holding a <br>, text in spans in a
    <div>), and clean_text makes each line a paragraph: a hand-wrapped page read "the editor wrapped\n\nin the
    source", a blogspot story broke every sentence in two. A break after a sentence's end or a closing bracket
    stays, as does one at a text's edge beside a block or a <br>: there the source's line may be the only sign
    that an "Advertisement" label or a photo credit ("... (AFP/Getty)") is a line of its own, where an unclosed
    tag ran it into the story.
    """
    for text in _SOURCE_WRAPPED(tree):
        owner = text.getparent()
        if text.is_tail:
            before, after = owner, owner.getnext()
        else:  # the start of a block's text is a line's start; an inline element's continues one
            before, after = (owner if owner.tag in INLINE_TAGS else None), (owner[0] if len(owner) else None)
        lead, middle, trail = _EDGE_BREAKS.match(str(text)).groups()  # type: ignore[union-attr]
        joined = "".join(
            (
                _SOURCE_BREAK.sub(_spaces, lead) if _continues_line(before) else lead,
                _within_sentences(middle),
                _SOURCE_BREAK.sub(_spaces, trail) if _continues_line(after) and not _ends_line(middle) else trail,
            )
        )
        if text.is_tail:
            owner.tail = joined
        else:
            owner.text = joined


_LINE_ENDS = tuple(SENTENCE_END_CHARS + CLOSING_CHARS + ":;")
_STOPS = tuple(SENTENCE_END_CHARS)


def _within_sentences(text: str) -> str:
    """text with each line break inside a sentence joined: one after ".", ")" or ":", after a line that is a
    label ("ADVERTISEMENT") or a photo credit ("Photo: Jane Doe/Reuters"), is kept. Between two Chinese or
    Japanese characters the break is dropped (CSS Text 3's segment break rule), elsewhere it is a space."""

    def joined(m: re.Match[str]) -> str:
        before, after = text[m.start() - 1], text[m.end() : m.end() + 1]
        if before in _LINE_ENDS or (before in CLOSING_AFTER_A_STOP and text[m.start() - 2 : m.start() - 1] in _STOPS):
            return m.group(0)
        # A line ending in an agency's name goes on in lower case: "... in an interview with Reuters⏎on Wednesday".
        if not after.islower() and _is_label_line(text[text.rfind("\n", 0, m.start()) + 1 : m.start()]):
            return m.group(0)
        return "" if _UNSPACED_SCRIPT.match(before) and _UNSPACED_SCRIPT.match(after) else _spaces(m)

    return _SOURCE_BREAK.sub(joined, text)


def _spaces(m: re.Match[str]) -> str:
    """As many spaces as the break and its indentation: trafilatura measures text with its white space, and a
    short story joined shorter fell under its minimum size (250), where it returns the whole page instead
    (clean_text makes each run one space)."""
    return " " * len(m.group(0))


def _ends_line(text: str) -> bool:
    return text.endswith(_LINE_ENDS) or _is_label_line(text[text.rfind("\n") + 1 :])


# Han, kana and CJK punctuation: scripts written without spaces between words.
_UNSPACED_SCRIPT = re.compile("[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]")


def _is_label_line(line: str) -> bool:
    return shapes_for(None).line_kind(line) is not None or credit_ending(line) is not None


def _continues_line(element: HtmlElement | None) -> bool:
    """Whether inline markup (not a <br>) continues a line beside a text."""
    return element is not None and isinstance(element.tag, str) and element.tag in INLINE_TAGS


def _trafilatura_text(tree: HtmlElement, url: str) -> str:
    doc = trafilatura.bare_extraction(tree, url=url, fast=True, include_comments=False, with_metadata=False)
    if isinstance(doc, dict):  # only with the deprecated as_dict=True; kept for the type checker
        return str(doc.get("text") or "")
    return (doc.text or "") if doc is not None else ""


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
        # A language declared for the page whose script the story is not written in is not the story's.
        language=None if meta.language and written_in(meta.language, text) is False else meta.language,
        site_name=meta.site_name,
        description=meta.description,
        image_url=meta.image_url,
        canonical_url=meta.canonical_url,
        captions=tuple(Caption(t, c) for t, c in removed.captions),
        related_links=tuple(RelatedLink(t, u) for t, u in removed.related_links),
        gallery_titles=removed.gallery_titles,
        extractor=extractor,
    )


def extract_article(
    html: str,
    *,
    url: str,
    listed: bool = False,
    hints: ExtractionHints | None = None,
    fetched_at: datetime | None = None,
    guess_date: bool = False,
) -> Article:
    """Main text and metadata of a news page, without captions, galleries, related links or promos.

    Args:
        listed: the site lists the page as an article (a feed item, a news sitemap entry): only a page made of
            teaser cards alone, with nothing of its own, is then judged an index.
        hints: the source's selectors (extractors.hints), applied to the page before anything else reads it.
        fetched_at: when the page was fetched: a date it gives for later than that is none (dates.plausible).
        guess_date: where the page's markup gives no publication date, guess one from its URL and visible dates
            (Article.guessed_published_at): ~1-7 ms a page, worth it where no feed or sitemap gives a date.
    """
    if not isinstance(html, str) or not html.strip():
        raise ExtractionError(f"empty page {url!r}")
    try:
        refuse_crowded_tags(html, what=url)
    except CrowdedTagError as exc:
        raise ExtractionError(str(exc)) from None
    if hints is not None:
        html = apply_hints(html, hints, url=url)
    tree = _parse(html, url)
    meta = extract_metadata(tree, url=url, fetched_at=fetched_at)
    declared = declares_article(tree)
    cards = [] if declared else teaser_cards(tree, url=url, canonical=meta.canonical_url)
    # Asked of a page that declares no article and gives no date (a soft 404 does neither).
    soft_404 = not meta.published_at and not declared
    title = tree.findtext(".//title") if soft_404 else None
    headings = [" ".join(h.text_content().split()) for h in tree.iter("h1")] if soft_404 else []
    paragraphs = weighted_length(" ".join(_paragraph_text(tree)))
    draft = _draft(tree, url, meta)
    if weighted_length(draft.text) < _CHECK_SHARE * paragraphs or not draft.text:
        draft = _without_the_culprit(html, url, meta, draft)
    text, cleaned = clean_text(
        draft.text,
        title=meta.title,
        language=meta.language,
        subheadings=story_subheadings(tree),
        numbered_galleries=False,
    )
    text = _without_section_label(text, _section_label(tree, meta.title, url))
    if not text:
        raise ExtractionError(f"no article body in {url!r} ({len(html):,} characters of HTML)")
    if _is_unrendered_template(text):
        raise ExtractionError(f"no article body in {url!r}: an unrendered client-side template ({{{{ ... }}}})")
    if draft.crumbs and word_count(text) < _MIN_WORDS and not _is_whole_page(text, html, url):
        raise ExtractionError(
            f"no article body in {url!r}: {word_count(text):.0f} words of crumbs, the page's chrome and no story"
        )
    reason = (not_found_reason(title, headings, text) if soft_404 else None) or index_page_reason(
        text, cards, listed=listed
    )
    if reason:
        raise NotAnArticleError(f"{url!r} is {reason}", text=text)
    article = _article(url, text, meta, _merge(draft.removed, cleaned), draft.extractor)
    if guess_date and not meta.published_at:
        # Read on the pruned page: a comment's, a teaser's or a related story's date is gone with its box.
        return replace(
            article,
            guessed_published_at=guess_published(
                tree, url=url, fetched_at=fetched_at, title=meta.title, language=meta.language
            ),
        )
    return article


def _section_label(tree: HtmlElement, title: str | None, url: str) -> str | None:
    """The section a story's header names just above its headline (a kicker): a link to the section's page
    (WordPress news themes' `<h3 class="post-cat"><a href="/tech/">Tech</a></h3>`), or a short text its class
    names as a label (`<div class="kicker">Sport</div>`)."""
    headline = next((h for h in tree.iter("h1") if title and " ".join(h.text_content().split()) == title), None)
    for level in (headline, headline.getparent() if headline is not None else None):
        if level is None:
            return None
        before = next((el for el in level.itersiblings(preceding=True) if el.text_content().strip()), None)
        if before is None:
            continue  # the headline opens its box: what stands before the box
        text = " ".join(before.text_content().split())
        if word_count(text) > _LABEL_WORDS or text[-1] in SENTENCE_END_CHARS:
            return None
        links = [before] if before.tag == "a" else list(before.iter("a"))
        if len(links) == 1 and " ".join(links[0].text_content().split()) == text:
            return text if _is_section(links[0].get("href"), url) else None
        return text if not links and _LABEL_CLASS.search(before.get("class") or "") else None
    return None


_LABEL_WORDS = 3
# Class words of a kicker over a headline.
_LABEL_CLASS = re.compile(r"kicker|eyebrow|overline|rubric|category|section[-_]?(?:label|name|title)", re.IGNORECASE)


def _is_section(href: str | None, url: str) -> bool:
    """Whether a link goes to another page of the story's site at a shallow path ("/tech/", "/news/world")."""
    if not href:
        return False
    target, page = urlsplit(urljoin(url, href.strip())), urlsplit(url)
    path = target.path.strip("/")
    return target.netloc == page.netloc and bool(path) and path != page.path.strip("/") and path.count("/") < 2


def _without_section_label(text: str, label: str | None) -> str:
    """The text without the section label as its first or last line: trafilatura keeps the header's label, and
    puts it after the story where the header is the story box's tail (the demo's metrowire pages)."""
    if label is None:
        return text
    first, _, rest = text.partition("\n\n")
    if first.strip() == label and rest:
        return rest
    rest, _, last = text.rpartition("\n\n")
    return rest if last.strip() == label and rest else text


# The steps that change the page before trafilatura reads it: prune_tree's, then the three that point it at the story.
_STEPS = (*PRUNE_STEPS, "cms_story_parts", "split_story", "story_container")
# The pruned result must keep this share of what trafilatura finds on the unpruned page. Readability's and the
# newsroom's pages, 2026-12: where pruning lost a story (salon-1, mozilla-2, yahoo-4) it kept 5-25 % of it.
_LOST_SHARE = 0.5
# trafilatura reads the unpruned page (the cost of a second extraction) only when the pruned text is under this
# share of the page's <p> text, which also counts comments and teasers. Readability's and the ScrapingHub pages,
# 2026-12: every page where the unpruned text was better by 0.05+ had a share under 0.3; at 0.5 the check ran
# on 7 % of pages, at 1/3 on 3 %.
_CHECK_SHARE = 1 / 3
# Pages whose story is short: trafilatura's text is compared with the densest block's (see _second_strategy).
_CHECK_BELOW_CHARS = 1200
_MIN_WORDS = 20
# Fewer words than _MIN_WORDS are crumbs of page chrome, unless they are most of the page's own text ("Test").
_WHOLE_PAGE = 0.5


# {{ expression }} placeholders of AngularJS, Vue, Handlebars: a page served before its script renders the story
# (the story comes from an API) shows them, and never shows them as reader text once rendered.
_TEMPLATE_EXPRESSION = re.compile(r"\{\{.{0,300}?\}\}", re.S)


def _is_unrendered_template(text: str) -> bool:
    """The text is mostly template placeholders and, without them, under _MIN_WORDS: no story was served."""
    bare = _TEMPLATE_EXPRESSION.sub(" ", text)
    return len(bare) < len(text) / 2 and word_count(bare) < _MIN_WORDS


def _paragraph_text(tree: HtmlElement) -> Iterator[str]:
    """The texts inside <p> elements, as XPath's //p//text() gives them: that XPath took time quadratic in the
    page's paragraphs (libxml2 merges each one's node set into the whole; 90,000 took 19 s)."""
    for p in tree.iter("p"):
        if not any(a.tag == "p" for a in p.iterancestors()):  # a nested <p>'s text is its outer one's
            yield from p.itertext()


# The page's own text: not scripts or styles, not the chrome around it, not its <h1> name or its links (a section
# page without stories still has those).
_VISIBLE_TEXT = etree.XPath(
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::nav or ancestor::header"
    " or ancestor::footer or ancestor::aside or ancestor::h1"
    " or ancestor::a[@href and not(starts-with(@href, 'javascript:'))])]",
    smart_strings=False,
)


@dataclass(frozen=True, slots=True)
class _Draft:
    """Text of one extraction path before clean_text, with what its pruning removed and the steps that ran."""

    text: str
    extractor: str
    removed: Removed = Removed()
    steps: tuple[str, ...] = ()
    crumbs: bool = False  # the text is mostly lines of a few words (see looks_broken)


def _draft(tree: HtmlElement, url: str, meta: Metadata, *, skip: Collection[str] = ()) -> _Draft:
    """Prune tree in place (but the `skip`ped steps), run trafilatura on it, and try the dense strategy."""
    removed = prune_tree(tree, base_url=url, skip=skip, language=meta.language)
    steps = list(removed.steps)
    if "cms_story_parts" not in skip and join_cms_story_parts(tree):
        steps.append("cms_story_parts")
    if "story_container" not in skip and mark_story_container(tree):
        steps.append("story_container")
    unmask_embedded_posts(tree)
    page_days = [stamp.date() for stamp in (meta.published_at, meta.modified_at) if stamp is not None]
    text = trim_crumbs(_trafilatura_text(tree, url), meta.title, meta.authors, page_days)
    split = None if "split_story" in skip else split_story(tree)
    if split is not None:
        # Joining the boxes helped a wired.com page (0.62 -> 0.96) and cost an engadget review its first
        # sections (0.995 -> 0.90); it is rare (3 of 574 dev pages), so both are read and the longer wins.
        joined = copy.deepcopy(tree)
        paths = tree.getroottree()
        join_split_story(*_in_copy(joined, [paths.getpath(split[0]), *map(paths.getpath, split[1])]))
        joined_text = trim_crumbs(_trafilatura_text(joined, url), meta.title, meta.authors, page_days)
        if len(joined_text) > len(text):
            tree, text = joined, joined_text
            steps.append("split_story")
    text, extractor, crumbs = _second_strategy(tree, text, meta.title)
    return _Draft(text, extractor, removed, tuple(steps), crumbs=crumbs)


def _in_copy(copied: HtmlElement, paths: list[str]) -> tuple[HtmlElement, list[HtmlElement]]:
    """The elements at `paths` (of the tree `copied` was copied from) in the copy: the first, and the rest."""
    found = [copied.getroottree().xpath(path)[0] for path in paths]
    return found[0], found[1:]


def _second_strategy(tree: HtmlElement, text: str, title: str | None) -> tuple[str, str, bool]:
    """trafilatura's text, or the densest block's where trafilatura returned crumbs or dropped paragraphs; the
    extractor that won, and whether its text is crumbs (looks_broken).

    trafilatura drops a paragraph that repeats the one before it, and on pages without a container it may
    return the whole page as crumbs. The dense text wins when trafilatura's is broken and the dense one is
    shorter (the story without the chrome), or when it holds trafilatura's lines and half as many words again.
    """
    code = _preformatted_lines(tree)
    broken = looks_broken(text, title, code)
    if not broken and len(text) >= _CHECK_BELOW_CHARS:
        return text, "trafilatura", False
    dense = dense_text(tree, vouched=text)
    if broken:
        # Shorter wins only as the story without trafilatura's chrome: a dense block trafilatura did not read at
        # all (a footer's copyright line, where the story is lines too short to score) is not the story.
        shorter = len(dense) < len(text) and _holds_lines_of(text, dense)
        if dense and (not text or shorter or _holds_more(dense, text)):
            return dense, "dense", looks_broken(dense, title, code)
        return text, "trafilatura", True
    if _holds_more(dense, text):
        return dense, "dense", looks_broken(dense, title, code)
    return text, "trafilatura", False


def _preformatted_lines(tree: HtmlElement) -> frozenset[str]:
    """The lines of the page's <pre> blocks, whitespace squeezed (see looks_broken)."""
    return frozenset(
        squeezed
        for pre in tree.iter("pre")
        for line in pre.text_content().splitlines()
        if (squeezed := " ".join(line.split()))
    )


def _holds_more(dense: str, text: str) -> bool:
    """The dense text holds trafilatura's lines and half as many words again: paragraphs trafilatura dropped."""
    return word_count(dense) >= 1.5 * word_count(text) and _holds_lines_of(dense, text)


def _holds_lines_of(container: str, text: str, share: float = 0.8) -> bool:
    flat = "".join(container.split())
    lines = [squeezed for line in text.splitlines() if (squeezed := "".join(line.split()))]
    return bool(lines) and sum(line in flat for line in lines) >= share * len(lines)


def _without_the_culprit(html: str, url: str, meta: Metadata, pruned: _Draft) -> _Draft:
    """The pruned draft, unless it lost most of what trafilatura finds on the unpruned page: then the draft
    without the step that lost it, or failing that the unpruned page's text. `extractor` says which.

    What the page itself labels boilerplate ("Comments", "Related stories", gallery numbers) is not counted as
    lost: trafilatura keeps such blocks on pages whose markup does not name them.
    """
    raw = _parse(html, url)
    # The densest block of the unpruned page first (~2 ms, a tenth of a second extraction): where it is no larger
    # than the pruned text, nothing was lost, as on pages whose <p> text is mostly comments (9 of the 10 pages
    # of the Readability and ScrapingHub dev sets that reach this check).
    if weighted_length(pruned.text) >= _LOST_SHARE * weighted_length(_not_known(dense_text(raw), pruned.removed)):
        return pruned
    unpruned = _draft(raw, url, meta, skip=_STEPS)
    if unpruned.crumbs:  # the unpruned page has no story either, only chrome (a section page without cards)
        return pruned
    wanted = _LOST_SHARE * weighted_length(_not_known(unpruned.text, pruned.removed))
    if weighted_length(pruned.text) >= wanted:
        return pruned
    # Each step that changed the page is left out in turn; the shortest draft that keeps enough wins, as it
    # keeps the most of the other steps' pruning.
    drafts = [_draft(_parse(html, url), url, meta, skip={step}) for step in pruned.steps]
    enough = [(weighted_length(d.text), step, d) for step, d in zip(pruned.steps, drafts, strict=True)]
    enough = [e for e in enough if e[0] >= wanted and not e[2].crumbs]
    if enough:
        _, step, draft = min(enough, key=lambda e: e[0])
        extractor = f"{draft.extractor}-without-{step}"
    else:
        draft, extractor = unpruned, f"{unpruned.extractor}-unpruned"
    text = _minus_boilerplate(draft.text, pruned)
    return replace(draft, text=text, extractor=extractor, removed=_merge(pruned.removed, draft.removed))


def _not_known(text: str, removed: Removed) -> str:
    """text, whitespace removed, without what pruning took out on strong evidence: blocks the page labels
    ("Comments", "Related stories"), and caption-sized captions, gallery titles and related-link titles.

    A brief of one paragraph with two captioned photos, a "Read more" link and a newsletter box has less story
    than boilerplate; measured with that boilerplate, pruning looked as if it had lost the story, and the
    unpruned page's text (every caption and link) was stored instead (newsroom, mixed markup, 2 of 291 pages).
    Longer "captions" still count: on broken markup a caption can swallow the story.
    """
    flat = "".join(text.split())
    short = (*removed.gallery_titles, *(c for c, _ in removed.captions), *(t for t, _ in removed.related_links))
    known = [*removed.labelled, *(squeezed for t in short if len(squeezed := "".join(t.split())) <= _CAPTION_SIZED)]
    for snippet in sorted(set(known), key=len, reverse=True):
        if len(snippet) >= _SNIPPET_MIN:
            flat = flat.replace(snippet, "")
    return flat


_CAPTION_SIZED = 300  # characters without whitespace: two or three sentences
_SNIPPET_MIN = 12  # shorter ones ("Close", "AP") could be words of the story


def _minus_boilerplate(text: str, pruned: _Draft) -> str:
    """text without the lines that full pruning took out: the fallback gives back the story a step lost, not the
    captions, gallery titles, related links, labelled blocks and crumbs ("1 of 5", "Close") that step had found.
    """
    removed = pruned.removed
    known = {"".join(t.split()) for t in (*removed.gallery_titles, *(c for c, _ in removed.captions))}
    known |= {"".join(t.split()) for t, _ in removed.related_links}
    labelled = "\n".join(removed.labelled)
    before = {"".join(line.split()) for line in pruned.text.splitlines()}
    kept = []
    for line in text.splitlines():
        flat = "".join(line.split())
        # A paragraph-length line stays: on broken markup a caption or a "Read more" link swallows the story.
        boilerplate = len(flat) <= _BOILERPLATE_LINE and (flat in known or flat in labelled or is_crumb(line))
        if flat and boilerplate and flat not in before:
            continue
        kept.append(line)
    return "\n".join(kept)


_BOILERPLATE_LINE = 120


def _is_whole_page(text: str, html: str, url: str) -> bool:
    """Whether a few words of text are most of the page's own text (a tiny page), not crumbs of its chrome."""
    visible = _visible_length(_parse(html, url))  # the unpruned page: rare enough to parse again
    return 0 < _WHOLE_PAGE * visible <= weighted_length(text)


def _visible_length(tree: HtmlElement) -> int:
    return weighted_length(_NOT_WORD.sub("", " ".join(_VISIBLE_TEXT(tree))))


_NOT_WORD = re.compile(r"\W+")


_HTML_SNIFF = re.compile(r"<\s*(?:!doctype|html|head|body|article|div|p|main|section)\b", re.IGNORECASE)


def clean_document(content: str, *, url: str | None = None) -> Article:
    """Clean an HTML page or a plain-text article: text, plus the captions, galleries and links removed."""
    if _HTML_SNIFF.search(content[:4096]):
        return extract_article(content, url=url or "about:blank")
    text, removed = clean_text(content, headlines=True)
    if not text:
        raise ExtractionError(f"no article text in {url or 'the input'!r} ({len(content):,} characters)")
    return _article(url or "", text, Metadata(), removed, "text")
