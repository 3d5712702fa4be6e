"""Where the story is on a page: the densest block of paragraphs, and the DOM repairs that point trafilatura at it.

`dense_text` is the second extraction strategy (readability-like: the paragraphs of the container with the most
non-link text, and the story's lists and headings between them). `mark_story_container` and `join_split_story`
change the tree in place before trafilatura reads it; each returns whether it changed anything, so the caller can
undo a change that cost the page its story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.xpaths import BODY_XPATH

from extractors._boilerplate import SECTION_HEADINGS, own_text, text_blocks
from extractors._words import QUOTED_STOP, SENTENCE_END_CHARS, script_length
from extractors.datelines import is_dateline

# Characters of non-link text that make a block a paragraph candidate, a Chinese or Japanese character counted as
# three (script_length): a whole sentence of a brief ("火灾未造成人员伤亡，过火面积约八百平方米。", 21 characters)
# is a paragraph as much as its English 46 ("The cause of the fire is under investigation.").
_MIN_PARAGRAPH = 40


# What browsers do not show, as Readability judges it: the hidden attribute, display:none or visibility:hidden
# styles, aria-hidden (trafilatura drops these too; Readability's hidden-nodes page, 2026-12).
_HIDDEN = etree.XPath(
    "//body//*[@hidden or @aria-hidden='true'"
    " or contains(translate(@style, ' ', ''), 'display:none')"
    " or contains(translate(@style, ' ', ''), 'visibility:hidden')]"
)


@dataclass(frozen=True, slots=True)
class _Block:
    """A visible element that owns text: its text, and how much of it is text and link text (script_length)."""

    element: HtmlElement
    text: str
    size: int
    link: int

    @property
    def is_links(self) -> bool:
        """Mostly link text, or a control or the headline: a menu, a share bar, a related-story list."""
        return self.element.tag in ("h1", "a", "button", "label") or self.link > 0.3 * self.size

    @property
    def is_paragraph(self) -> bool:
        """Paragraph-sized text of its own (list items are not scored: a menu of long items is not the story)."""
        return not self.is_links and self.element.tag != "li" and self.size - self.link >= _MIN_PARAGRAPH


def _visible_blocks(tree: HtmlElement) -> list[_Block]:
    """The page's visible text blocks, in document order."""
    body = tree.find(".//body")
    hidden = {el for root in _HIDDEN(tree) for el in root.iter()}
    blocks = []
    for block in text_blocks(body if body is not None else tree):
        if block in hidden:
            continue
        text = own_text(block, hidden)  # an icon or a word hidden inside a paragraph is not its text
        link = sum(script_length(a.text_content()) for a in block.iter("a"))
        blocks.append(_Block(block, text, script_length(" ".join(text.split())), link))
    return blocks


def _densest(paras: list[_Block]) -> HtmlElement | None:
    """The ancestor with the most paragraph text: a paragraph counts in full for its parent, half for its
    grandparent, a quarter for the one above."""
    score: dict[HtmlElement, float] = {}
    held: dict[HtmlElement, int] = {}
    for para in paras:
        for weight, anc in zip((1.0, 0.5, 0.25), para.element.iterancestors(), strict=False):
            score[anc] = score.get(anc, 0.0) + weight * para.size
            held[anc] = held.get(anc, 0) + 1
    if not score:
        return None
    best = max(score, key=score.__getitem__)
    parent = best.getparent()
    if held[best] == 1 and parent is not None and _has_twin(best, parent, held):
        # A wrapper of one paragraph beside wrappers like it (<div class="para"><p>): its long paragraph outscored
        # the story's box, which then lost every other paragraph (a two-paragraph brief kept its first).
        return parent
    return best


def _has_twin(box: HtmlElement, parent: HtmlElement, held: dict[HtmlElement, int]) -> bool:
    """Whether another child of `parent` with box's tag and (non-empty) class holds a scored paragraph: class-less
    <div>s beside a story's box are a footer's blurbs as often as its paragraphs."""
    name = (box.get("class") or "").strip()
    return bool(name) and any(
        child is not box and child.tag == box.tag and (child.get("class") or "").strip() == name and child in held
        for child in parent
    )


def densest_container(tree: HtmlElement) -> tuple[HtmlElement | None, list[tuple[HtmlElement, str]]]:
    """The container with the most non-link paragraph text (readability-style), and the paragraphs scored."""
    paras = [block for block in _visible_blocks(tree) if block.is_paragraph]
    return _densest(paras), [(para.element, para.text) for para in paras]


def dense_text(tree: HtmlElement, *, vouched: str = "") -> str:
    """Second strategy: the densest container's paragraphs, and the lines between them that `vouched` holds too.

    Scored paragraphs alone lose a story's lists and its short headings and labels (trafilatura 1.0.0's
    kulinariaathome.com page: a recipe's <ol> of steps and its "Zubereitung:", 250 of 742 characters kept). A block
    that is not paragraph-sized is kept where the first strategy kept its lines too (`vouched`, trafilatura's text),
    as trafilatura's class rules drop share and like widgets we do not name (Readability's social-buttons:
    WordPress's "Like this:"), or where it is a section heading (_heads_a_paragraph). Only blocks between the
    container's first and last paragraph-sized ones count: bylines, dates and tags open or close a box. Menus and
    related-story lists are links, never kept.
    """
    blocks = _visible_blocks(tree)
    best = _densest([block for block in blocks if block.is_paragraph])
    if best is None:
        return ""
    within = set(best.iterdescendants())
    inside = [block for block in blocks if block.element in within]
    agreed = _squeezed_lines(vouched)
    one_line = next(iter(agreed)) if len(agreed) == 1 else ""
    story = [
        block
        for i, block in enumerate(inside)
        if block.is_paragraph
        or (
            not block.is_links
            and (
                _squeezed_lines(block.text) <= agreed
                or (one_line and _a_sentence_of_the_line(block, one_line))
                or _heads_a_paragraph(inside, i)
            )
        )
    ]
    ends = [i for i, block in enumerate(story) if block.size - block.link >= _MIN_PARAGRAPH]
    lines = [line for block in story[ends[0] : ends[-1] + 1] for line in block.text.split("\n")] if ends else []
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def _a_sentence_of_the_line(block: _Block, line: str) -> bool:
    """A list item or a cell that ends a sentence and that trafilatura's one line holds: its fallback on a short page
    gives the whole page as one line (a Japanese brief's seven <li> tips, each ending "。", were lost whole by the
    dense strategy as no line was one of theirs). Only a sentence: the line holds the page's chrome too ("Tags:",
    "Lire aussi", an author's card), which a review found kept on 457 of 23,000 pages without it."""
    text = block.text.strip()
    return (
        block.element.tag in ("li", "dd", "td")
        and _SENTENCE_END.search(text) is not None
        and "".join(text.split()) in line
    )


# Stricter than _boilerplate's and _trim's sentence ends: no colon, and no closing bracket alone ("Tags:", "Comments
# (3)" are chrome the line holds).
_SENTENCE_END = re.compile(f"(?:[{re.escape(SENTENCE_END_CHARS)}]|{QUOTED_STOP})$")


def _heads_a_paragraph(blocks: list[_Block], i: int) -> bool:
    """blocks[i] is a heading (h2-h6) whose next text block is a paragraph: a section of the story, not a widget's
    title ("Like this:" over its buttons). trafilatura's fast mode keeps one of repeated paragraphs and drops the
    headings between them (Readability's missing-paragraphs: "Secondary header" x 2), so none vouches for it."""
    return blocks[i].element.tag in SECTION_HEADINGS and i + 1 < len(blocks) and blocks[i + 1].is_paragraph


def _squeezed_lines(text: str) -> set[str]:
    """The lines of text without whitespace or a list item's "- " (trafilatura's mark for <li>)."""
    return {"".join(line.removeprefix("- ").split()) for line in text.splitlines() if line.strip()}


def mark_story_container(tree: HtmlElement, container: HtmlElement | None = None) -> bool:
    """Make the densest container an <article> when nothing on the page looks like one to trafilatura; True if so.

    Without a container (hashed class names, no semantic tags) trafilatura falls back to collecting text
    from the whole page, which brings in site chrome and collapses repeated lines (a recipe's "Eat every
    2-3 hours"). Newsroom mixed worlds, 2026-12: generated-site F1 0.996 -> 0.998, the collapsed recipe
    page 0.57 -> 1.0; no real benchmark page changed.
    """
    # <article> and <main> answer two of trafilatura's container XPaths: checked first, they spare most pages the
    # class-name regex XPaths (~0.8 ms a page, a tenth of extraction).
    if tree.find(".//article") is not None or tree.find(".//main") is not None:
        return False
    if (container if container is not None else trafilatura_container(tree)) is not None:
        return False  # (an element with no children is falsy: compared with None)
    best, paras = densest_container(tree)
    if best is None or best.tag in ("body", "html") or not _holds_most(best, paras):
        return False
    _take_in_lead(best, paras, tree)
    best.tag = "article"
    return True


def _take_in_lead(box: HtmlElement, paras: list[tuple[HtmlElement, str]], tree: HtmlElement) -> None:
    """Move the story's lead (standfirst, dek) into `box` when it sits outside it, between the headline and it.

    Marked alone, the densest box hides from trafilatura a lead paragraph the layout puts beside it, in the box
    that also holds the headline (DW: <h1>, <p class="intro">, then <div class="longText"> of the body).
    Only paragraphs after the page's <h1> and before the box, children of the box's parent or grandparent, count:
    teasers and meta lists after the story, and paragraphs nested in cards, stay outside. So does a byline's or a
    dateline's line long enough to score ("Par Pauline Girard — Publié le 20 juin 2025 à 11h00"): no lead.
    """
    near = [a for a, _ in zip(box.iterancestors(), range(2), strict=False)]
    # A child of the box's parent or grandparent (so never inside the box), but not the box's parent itself (a
    # scored block holding the box): not a paragraph of a nested card.
    language = tree.getroottree().getroot().get("lang")
    beside = [
        block
        for block, text in paras
        if block.getparent() in near and block not in near and not is_dateline(text, locale=language)
    ]
    headline = tree.find(".//h1") if beside else None
    if headline is None:
        return
    order = {el: i for i, el in enumerate(tree.iter())}
    for i, block in enumerate(b for b in beside if order[headline] < order[b] < order[box]):
        block.tail = None  # the text after it belongs where it stood, outside the story
        box.insert(i, block)


def _holds_most(box: HtmlElement, paras: list[tuple[HtmlElement, str]]) -> bool:
    """Whether `box` holds at least half of the scored paragraph text (densest_container's `paras`).

    Where tags are left unclosed, libxml2 nests each later block in the one before, so the densest container
    is a box deep in the story that holds only some of it (newsroom's malformed-HTML page: 43 % of the
    paragraph text). Marked, it would hide the rest from trafilatura (2.1 of 20 kB kept); unmarked, trafilatura
    reads the whole page, as it does without our marking. Of 744 well-formed pages of Readability, ScrapingHub
    and two newsroom worlds that were marked, every article page's box held 82 % or more.
    """
    sizes = [(block, len(" ".join(text.split()))) for block, text in paras]
    inside = sum(size for block, size in sizes if block is box or box in block.iterancestors())
    return inside >= sum(size for _, size in sizes) / 2


def split_story(
    tree: HtmlElement, container: HtmlElement | None = None
) -> tuple[HtmlElement, list[HtmlElement]] | None:
    """The box trafilatura would take and the other same-class boxes of a story split around ad rows, if any.

    Some layouts cut the story into boxes around mid-article ad rows (archive, 2026-12: a wired.com page,
    `div.body__container` x 3); trafilatura keeps only the first box it finds. Only boxes with the class
    of the container trafilatura would take count, and only when the page has such repeated boxes of
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
        return None
    container = container if container is not None else trafilatura_container(tree)
    if container is None or (container.tag, container.get("class", "")) not in repeated:
        return None
    parts = [
        part
        for part in boxes[(container.tag, container.get("class", ""))]
        if part is not container
        and container not in set(part.iterancestors())
        and part not in set(container.iterancestors())
    ]
    return (container, parts) if parts else None


def join_split_story(container: HtmlElement, parts: list[HtmlElement]) -> None:
    """Move the children of the other boxes of a split story (see split_story) into the first, in place."""
    for part in parts:
        container.extend(list(part))
        part.drop_tree()


# Stories two widespread CMSs split over sibling boxes, by the classes their templates write: the box trafilatura
# takes (itemprop articleBody, or a class its container XPaths know) holds only the body, and the lead before it
# and the rest after it were lost (a markup review's pages: K2 lost the lead on 18 of 23, TYPO3 a quarter to
# two thirds of each story). Each: the body's class, the lead's (a sibling before it), the continuation's (siblings
# after it).
#   Joomla's K2 item view: itemIntroText, then itemFullText.
#   TYPO3's news extension (tx_news): teaser-text, then news-text-wrap, then the item's content elements (each a
#   "frame", or all in news-content-elements).
_CMS_SPLIT_STORIES: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    ("itemFullText", frozenset({"itemIntroText"}), frozenset()),
    ("news-text-wrap", frozenset({"teaser-text"}), frozenset({"news-content-elements", "frame"})),
)
_CMS_BODIES = etree.XPath(
    "//div[@class][" + " or ".join(f"contains(@class, '{body}')" for body, _, _ in _CMS_SPLIT_STORIES) + "]"
)


def join_cms_story_parts(tree: HtmlElement) -> bool:
    """Move the lead and continuation boxes of a CMS-split story (see _CMS_SPLIT_STORIES) into its body box, in
    place and in document order; True if any moved."""
    moved = False
    for body in _CMS_BODIES(tree):
        classes = set(body.get("class", "").split())
        layout = next((layout for layout in _CMS_SPLIT_STORIES if layout[0] in classes), None)
        if layout is None:
            continue
        _, lead, more = layout
        leads = [s for s in body.itersiblings(preceding=True) if lead & set(s.get("class", "").split())]
        rest = [s for s in body.itersiblings() if more & set(s.get("class", "").split())]
        for box in leads:  # nearest first: each goes before the one moved after it
            _leave_tail(box)
            box.attrib.clear()  # "teaser-text" is what trafilatura discards as another story's teaser
            body.insert(0, box)
        if leads and body.text and body.text.strip():  # the body's own opening text comes after the lead
            leads[0].tail, body.text = body.text, None
        for box in rest:
            _leave_tail(box)
            body.append(box)
        moved = moved or bool(leads or rest)
    return moved


def _leave_tail(box: HtmlElement) -> None:
    """Leave the text after box where it stood (on what comes before it), so box can move without it."""
    if box.tail:
        before, parent = box.getprevious(), box.getparent()
        if before is not None:
            before.tail = (before.tail or "") + box.tail
        elif parent is not None:
            parent.text = (parent.text or "") + box.tail
        box.tail = None


def trafilatura_container(tree: HtmlElement) -> HtmlElement | None:
    """The element trafilatura's main extractor starts from: the first match of its container XPaths."""
    return next((found[0] for find in BODY_XPATH if (found := find(tree))), None)
