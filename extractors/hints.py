"""Extraction hints: what one publisher's pages need, as data (CSS or XPath selectors), not code.

A source may name the element(s) that hold its story (`body_selector`) and elements to drop before anything
else (`exclude_selectors`), the way fundus keeps per-publisher knowledge. `apply_hints` rewrites the page
accordingly, before the generic extractor sees it: the <head> stays (title, dates, JSON-LD), as do JSON-LD
blocks anywhere in the page; the body keeps only the selected elements. Selectors are compiled when the hints
are built, so a bad one is refused with the sources file. Pure: no I/O.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache

import lxml.html
from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

# An XPath starts at the root, the context node or a parenthesized expression; CSS never does.
_XPATH_STARTS = ("/", "(", "./", "../")
_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)


@dataclass(frozen=True, slots=True)
class ExtractionHints:
    """Selectors (CSS, or XPath when they start with / or ./) for one source's pages."""

    body_selector: str | None = None
    exclude_selectors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, selector in self._selectors():
            try:
                _compiled(selector)
            except ValueError as exc:
                raise ValueError(f"{name} {selector!r} is not a valid CSS selector or XPath: {exc}") from None

    def _selectors(self) -> list[tuple[str, str]]:
        named = [("exclude_selectors entry", s) for s in self.exclude_selectors]
        return named + ([("body_selector", self.body_selector)] if self.body_selector is not None else [])


@lru_cache(maxsize=256)
def _compiled(selector: str) -> etree.XPath:
    """The selector as a compiled XPath (CSS is translated first); ValueError when it is neither."""
    if not selector.strip():
        raise ValueError("it is empty")
    try:
        if selector.lstrip().startswith(_XPATH_STARTS):
            return etree.XPath(selector)
        return CSSSelector(selector, translator="html")
    except (SelectorError, etree.XPathError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from None


def _select(root: HtmlElement, selector: str, *, url: str) -> list[HtmlElement]:
    found = _compiled(selector)(root)
    if not isinstance(found, list) or not all(isinstance(e, HtmlElement) for e in found):
        raise _no_body(f"selector {selector!r} selects values other than elements (text, numbers) in {url!r}")
    return found


def apply_hints(html: str, hints: ExtractionHints, *, url: str) -> str:
    """The page with `exclude_selectors` dropped and, with `body_selector`, a body of the selected elements only.

    Raises ExtractionError when `body_selector` matches nothing: the publisher's markup changed, and the hint
    needs updating (the page is recorded as an extraction error, not extracted from the wrong element).
    """
    root = lxml.html.document_fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
    for selector in hints.exclude_selectors:
        for element in _select(root, selector, url=url):
            if element.getparent() is not None:  # not the root, and not inside an element dropped already
                element.drop_tree()
    if hints.body_selector is not None:
        _keep_only(root, _select(root, hints.body_selector, url=url), hints.body_selector, url=url)
    return str(lxml.html.tostring(root, encoding="unicode"))


def _keep_only(root: HtmlElement, found: list[HtmlElement], selector: str, *, url: str) -> None:
    chosen = set(found)
    outermost = [e for e in found if not any(a in chosen for a in e.iterancestors())]
    if not outermost:
        raise _no_body(f"body_selector {selector!r} matches nothing in {url!r}; has the site's markup changed?")
    head = root.find("head")
    if head is None:
        head = etree.SubElement(root, "head")
        root.insert(0, head)
    for script in root.xpath("//body//script[contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json')]"):
        head.append(copy.deepcopy(script))  # the page's metadata, wherever it sits
    kept = [copy.deepcopy(e) for e in outermost]
    body = root.find("body")
    if body is not None:
        root.remove(body)
    body = etree.SubElement(root, "body")
    for element in kept:
        element.tail = None
        body.append(element)


def _no_body(message: str) -> Exception:
    from extractors.article import ExtractionError  # article.py imports this module, so not at the top

    return ExtractionError(message)
