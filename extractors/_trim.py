"""Trimming what trafilatura keeps around a story: leading page crumbs and trailing bylines, dates and labels.

Pure text functions over trafilatura's output lines; `looks_broken` says when that output is not a story at all.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

from extractors._shapes import shapes_for
from extractors._words import CLOSING_CHARS, QUOTED_STOP, SENTENCE_END_CHARS, script_length, word_count
from extractors.datelines import is_dateline, read_day

# Below this much text, output with the headline run into a line is suspect (see looks_broken).
_SHORT_TEXT = 600  # script_length: a Chinese or Japanese character counts as three
# Or below this much when the output is one line: trafilatura's fallback gives a short page's whole <body> as one
# line, menus, headline and story run together (a 230-character Chinese brief is 690).
_SHORT_LINE = 1500
# Crumbs are most of the lines and at least this share of the text: a short story whose timetable or address
# block is most of its lines ("Warm Up 11:00 Uhr", "41542 Dormagen") keeps its prose paragraphs' weight
# (skateboardmsm.de: 7 of 13 lines, 10 % of the text, lost 4 paragraphs to the dense strategy).
_CRUMB_MASS = 0.25


def looks_broken(text: str, title: str | None, preformatted: Collection[str] = ()) -> bool:
    """trafilatura's output is missing, mostly crumbs of 1-4 words, or short with the headline run in.

    `preformatted`: the page's lines of <pre> blocks, whitespace squeezed. Code and verse are short lines by
    nature, not crumbs, so they are left out of the count (Readability's 001 and toc-missing, 2026-12: tech posts
    whose code made them look broken lost it to the dense strategy).
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return True
    prose = [line for line in lines if " ".join(line.split()) not in preformatted] if preformatted else lines
    crumbs = [line for line in prose if word_count(line) < 5]
    if len(crumbs) > 0.5 * len(prose) and sum(map(script_length, crumbs)) >= _CRUMB_MASS * sum(
        map(script_length, prose)
    ):
        return True
    if not title or script_length(text) >= (_SHORT_TEXT if len(lines) > 1 else _SHORT_LINE):
        return False
    return any(title in line and title != line.strip() for line in lines)


# When trafilatura finds no article container it returns the whole page, one line per element: the site name,
# "Skip to main content", the headline, "By", the author, "·", the date. A leading run of 3+ such crumbs (under
# 5 words and no sentence end, or the headline) is page chrome. Newsroom obfuscated worlds, 2026-11: site5/site6
# pages. Not at the end: real stories end in short lines (ticket prices, poll results) on 2 archive pages.
_CRUMB_RUN = 3
_CRUMB_WORDS = 5
_SENTENCE_END = re.compile(f"(?:[{re.escape(SENTENCE_END_CHARS + CLOSING_CHARS)}]|{QUOTED_STOP})\\s*$")


# After the story, trafilatura's recovery pass can pick up the byline box: only lines that are certainly
# metadata (an author's name, a bare date, a lone "Tags:" label) are trimmed there. Archive, 2026-11:
# linknaija.com ended in "LinkNaija / August 08, 2018 / Tags:" once its menus were pruned.
_META_LINE = re.compile(
    r"^(?:(?:\w+, )?(?:\d{1,2} )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? "
    r"\d{1,2}(?:st|nd|rd|th)?,? \d{4}"
    r"|\d{4}-\d{2}-\d{2}(?:[t ][\d:.]+z?)?|\d{1,2}[./]\d{1,2}[./]\d{2,4}|[\w ]{1,20}:)$"
)


def trim_crumbs(text: str, title: str | None, authors: tuple[str, ...] = (), page_days: Collection[date] = ()) -> str:
    """Drop a leading run of 3+ crumb lines (site chrome kept by trafilatura's whole-page fallback)
    and a trailing run of 2+ bylines, dates or labels.

    `page_days`: the days the page says it was published or updated; a labelled date line of the run ("When: 5
    March 2024") is the page's dateline only when it names one of them (or the page names none)."""
    headline = " ".join((title or "").split()).casefold()
    lines = [line for line in text.splitlines() if line.strip()]
    # Only the leading lines are judged, up to the first that is neither: a story's lines are not looked at.
    start = next((i for i, line in enumerate(lines) if not (is_crumb(line) or _is_line(line, headline))), len(lines))
    if start == len(lines):
        return text
    names = {a.casefold() for a in authors}
    end = len(lines)
    while end > start and _is_meta_line(lines[end - 1], names):
        end -= 1
    # A run is the page's chrome where it holds the headline, a byline, a date, or a menu's or a toolbar's words:
    # a poem's opening lines or an "At a glance" list of figures before the story end no sentence either.
    chrome = any(
        _is_line(lines[i], headline) or _is_leading_meta(lines, i, names) or _is_chrome(lines[i], page_days)
        for i in range(start)
    )
    if start < _CRUMB_RUN or not chrome:  # only the headline and bylines go ("By Tom Reed ·")
        start = next(
            (i for i in range(start) if not (_is_line(lines[i], headline) or _is_leading_meta(lines, i, names))),
            start,
        )
    return "\n".join(lines[start : end if len(lines) - end >= 2 else len(lines)])


def _is_line(line: str, folded: str) -> bool:
    """Whether line is the casefolded, whitespace-squeezed text `folded`."""
    return " ".join(line.split()).casefold() == folded


def is_crumb(line: str) -> bool:
    """A line of a few words that ends no sentence: a menu item, a button, a label, a counter, "Loading..."."""
    if word_count(line) >= _CRUMB_WORDS:
        return False
    return not _SENTENCE_END.search(line) or line.rstrip().endswith(("...", "…"))


def _is_chrome(line: str, page_days: Collection[date]) -> bool:
    """A line only a page's chrome writes: a byline, a date or a time ago, a skip link, share or toolbar buttons."""
    if _CHROME_LINE.search(line) is not None or shapes_for(None).is_share_text(line) or _is_byline(line):
        return True
    if not is_dateline(line, locale=None):
        return False
    # A labelled date may be an event's ("When: 5 March 2024", a timeline's "12 March 2024: filed"), which opens a
    # fact box as a page's dateline opens its chrome: only the page's own day tells them apart. A bare date is
    # chrome, the page's or the masthead's today.
    if ":" not in _TIMES.sub("", line):
        return True
    day = read_day(line, locale=None)
    return not page_days or day is None or any(abs((day - page_day).days) <= 1 for page_day in page_days)


def _is_byline(line: str) -> bool:
    """A byline: "By Jane Smith", "By The Associated Press", "von dpa", "Par la rédaction", "by staff"; not a fact
    box's "By the numbers" or "By road: A64 closed" (a label), nor "By then" (no name)."""
    byline = _BYLINE.match(line)
    if byline is None or ":" in _TIMES.sub("", line):
        return False
    name = byline["name"]
    first_letter = name.lstrip("0123456789")[:1]  # "By 9News Staff"
    return name.casefold() in _NEWSROOMS or (first_letter.isupper() and name.casefold() != "numbers")


# "Published 3 hours ago", "Skip to main content", "Listen to this article", "Text size".
_CHROME_LINE = re.compile(
    r"\b\d+\s+(?:minutes?|hours?|days?)\s+ago$|^skip to\b|^listen to this\b"
    r"|^(?:text size|font size|save for later|gift (?:this )?article|sign in|log in|subscribe|menu|search)$",
    re.IGNORECASE,
)
_TIMES = re.compile(r"\d:\d")
# "By Jane Smith", "von Thomas Berger", "By The Associated Press", "Par Le Figaro": a capitalised name, after an
# article or not; or a newsroom's word, which a byline writes in lower case ("by staff", "Par la rédaction").
_BYLINE = re.compile(
    r"(?i:by|von|par|por|di|door)\s+(?:(?i:the|der|die|das|le|la|les|el|los|il|de)\s+|(?i:l['’]))?(?P<name>[^\W_]+)"
)
_NEWSROOMS = frozenset(
    {"staff", "our", "dpa", "afp", "rédaction", "redacción", "redaktion", "redazione", "redactie", "onze"}
)


def _is_meta_line(line: str, authors: set[str]) -> bool:
    folded = _folded(line)
    return folded.removeprefix("by ") in authors or bool(_META_LINE.match(folded))


def _is_leading_meta(lines: list[str], i: int, authors: set[str]) -> bool:
    """_is_meta_line for a line before the story: a lone label there is a byline's or a date's ("Published:", then
    the date) only when one follows it; before other lines it heads a fact box ("Key points:", "What we know:")."""
    if not _is_meta_line(lines[i], authors):
        return False
    if not _LABEL_ONLY.match(_folded(lines[i])):
        return True
    after = lines[i + 1] if i + 1 < len(lines) else ""
    return _is_meta_line(after, authors) and not _LABEL_ONLY.match(_folded(after))


def _folded(line: str) -> str:
    return " ".join(line.split()).casefold().strip(_BYLINE_SEPARATORS)


_LABEL_ONLY = re.compile(r"^[\w ]{1,20}:$")


_BYLINE_SEPARATORS = " ·•|,/-–—"
