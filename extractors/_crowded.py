"""Markup libxml2 would parse for minutes: start tags with thousands of attributes.

libxml2 checks each attribute of a tag against the ones before it, so one tag's parse is quadratic in its
attribute count (lxml 6.0 / libxml2 2.14 on the 2-core EPYC: 20,000 attributes 0.37 s, 40,000 1.6 s, 150,000 in
1.3 MB about a minute; 10 MB of 9,000-attribute tags ~14 s). It is one C call: no time budget in the process can
interrupt it (flows/extraction.py). Real tags have a few dozen attributes; a page with a tag of more than
MAX_ATTRIBUTES is refused before it is parsed, and the refusal says why (10 MB of 999-attribute tags: 2.5 s).
"""

from __future__ import annotations

import re

MAX_ATTRIBUTES = 1_000
# A tag of MAX_ATTRIBUTES attributes is at least this long (a one-letter name and a separator each): only the text
# after a "<" that runs this far before the next is looked at.
_LONG_RUN = 2 * MAX_ATTRIBUTES
_NAME = r"[A-Za-z][A-Za-z0-9:_-]*"
_STARTS_ATTRIBUTES = re.compile(rf"{_NAME}\s")
# A comment, or a start tag's name: what the document pass steps over.
_OPEN = re.compile(rf"<!--|<({_NAME})")
# A start tag's attributes, quoted values whole (a quoted ">" does not end the tag). A quote opens a value only
# after "=", as in HTML's tokenizer: a stray one (class="entry-content"", an inch mark in alt="A 6" pipe") is a
# character, or every word after it would count as an attribute.
_ATTRIBUTES = re.compile(r"""(?:[^<>"'=]+|=\s*"[^"]*"|=\s*'[^']*'|[="'])*""")
_ATTRIBUTE = re.compile(r"""[^\s"'=<>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]*))?""")
_SEPARATORS = (" ", "\t", "\n", "\r", "\f", "=")
# Elements whose content libxml2 reads as text: a "<" in a script is no tag.
_RAW_TEXT = frozenset({"script", "style"})


class CrowdedTagError(ValueError):
    """A start tag with more than MAX_ATTRIBUTES attributes: refused before parsing."""


def refuse_crowded_tags(html: str, *, what: str) -> None:
    """Raise CrowdedTagError if a start tag of `html` has more than MAX_ATTRIBUTES attributes."""
    # The text after each "<" first, as if every "<" began a tag; then, for the rare page where one may be crowded,
    # the tags as libxml2 reads them, stepping over comments and scripts (minified JavaScript after an "i<n " reads
    # like a thousand attributes). 0.2 ms a page on average, 3,000 pages of the bench WARC and Readability's set.
    if len(html) < _LONG_RUN or not any(_suspect(run) for run in html.split("<")):
        return
    lowered, position = html.lower(), 0
    while (tag := _OPEN.search(html, position)) is not None:
        if tag.group(1) is None:  # a comment: a "<script" in it is no script
            position = html.find("-->", tag.end())
        else:
            count, end = _attributes(html, tag.end())
            if count > MAX_ATTRIBUTES:
                raise CrowdedTagError(
                    f"{what}: a <{tag.group(1)[:40]}> tag with {count:,} attributes (more than {MAX_ATTRIBUTES:,}): "
                    "libxml2 parses a tag's attributes in quadratic time, and no time budget can interrupt it"
                )
            name = tag.group(1).lower()  # from past its attributes: a "<script" in a value is no script either
            position = lowered.find(f"</{name}", end) if name in _RAW_TEXT else end
        if position < 0:
            return


def _suspect(run: str) -> bool:
    """Whether the text after a "<" may hold a crowded tag: its first ">" is far (a quoted "<" split the tag), or
    the attributes it begins with are many (a quoted ">" does not end them)."""
    if len(run) < _LONG_RUN:
        return False
    end = run.find(">")
    end = len(run) if end < 0 else end
    if end >= _LONG_RUN:  # attributes are set apart by whitespace, or follow a value ('a="1"b="2"'): an upper bound
        return sum(run.count(c, 0, end) for c in _SEPARATORS) >= MAX_ATTRIBUTES
    name = _STARTS_ATTRIBUTES.match(run)
    return name is not None and _attributes(run, name.end())[0] > MAX_ATTRIBUTES


def _attributes(text: str, start: int) -> tuple[int, int]:
    """(how many attributes, where they end) of the start tag whose name ends at `start`; 0 attributes when they are
    shorter than a crowded tag's."""
    attributes = _ATTRIBUTES.match(text, start)
    assert attributes is not None  # the pattern matches the empty string
    if attributes.end() - start < _LONG_RUN:
        return 0, attributes.end()
    return sum(1 for _ in _ATTRIBUTE.finditer(attributes.group())), attributes.end()
