"""The day a page prints beside its headline ("7 de diciembre de 2026", "07.12.2026", "2026年12月7日"), in its language.

For pages whose markup gives no date (metadata.guess_published asks here before htmldate): many sites without
JSON-LD or <meta> dates still print a dateline under or over the headline. htmldate's fast search reads English
month names and a few English class names; its full search scans the whole text and takes copyright years and
dates the story mentions. So this reads only the short lines next to the headline, up to the story's first
paragraph, and only a line that is a date with a few words around it (a label, a byline, a time), not a sentence.

Month names come from CLDR as dateparser ships it (htmldate's own dependency) for the page's language, besides
English. Day and month order of a numeric date is the locale's: CLDR's "en" is US English, so "12/07/2026" on a
page in "en" or "en-US" is December 7, and on one in "en-GB", "fr" or "de" 12 July; a day above 12 decides
alone; a locale that writes years first (ja, zh, ko, hu, sv) reads no d/m/y date it cannot decide. Years of the
Thai Buddhist era, Japanese eras (令和, 平成) and the Persian solar calendar are converted. A segment of the line
that says it is the update ("Updated ...", "Aktualisiert am ...") is skipped: an update is no publication.
Pure: never raises, whatever the page.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from datetime import date
from functools import lru_cache

from lxml import etree
from lxml.html import HtmlElement

# Words that say a date is the update, not the publication, in the languages news sites write them.
UPDATE_WORDS = re.compile(
    r"(?:updated|modified|aktualisiert|geändert|modifié|mis à jour|actualizado|atualizado|aggiornato|更新|обновлен)",
    re.IGNORECASE,
)
# A line longer than this is no dateline: it is the story's text, or a box holding several lines.
_LINE_CHARS = 160
# Lines read after the headline before giving up (kicker, byline, date, share bar, image, caption...).
_LINES_AFTER = 8
# Words besides the date in a dateline's segment: "Publié le ... à 14h05", "By Jane Doe, Staff Writer".
_OTHER_WORDS = 8
_BLOCKS = frozenset(
    "p div section header footer aside figure figcaption ul ol li dl dt dd table tbody tr td blockquote".split()
)
# Where a line splits into segments ("Updated December 7, 2026 · Originally published December 3, 2026").
_SEGMENT = re.compile(r"\s+[·|•–—]\s+|\s{2,}|\s*[·|•]\s*|\n")
_WORD = r"[^\W\d_][^\s\d.,;:/|()\[\]·•–—-]*"
_DMY_TEXT = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:\.|º|°|er|st|nd|rd|th)?\s*(?:de\s+|of\s+)?({_WORD})\.?\s*,?\s*(?:de\s+|del\s+)?(\d{{4}})(?!\d)"
)
_MDY_TEXT = re.compile(rf"({_WORD})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(\d{{4}})(?!\d)")
_YMD_TEXT = re.compile(rf"(?<!\d)(\d{{4}})\.?\s+({_WORD})\.?\s+(\d{{1,2}})(?!\d)")
_YMD_NUMBERS = re.compile(r"(?<![\d.])(\d{4})\s*([-./])\s*(\d{1,2})\s*\2\s*(\d{1,2})(?!\d)")
_DMY_NUMBERS = re.compile(r"(?<![\d./-])(\d{1,2})([-./])(\d{1,2})\2(\d{4})(?!\d)")
_CJK = re.compile(r"(?<!\d)(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")
_JAPANESE_ERA = re.compile(r"(令和|平成)\s*(\d{1,2}|元)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ERA_START = {"令和": 2018, "平成": 1988}  # the year before each era's first (元年)
_JALALI_MONTHS = {
    name: number
    for number, name in enumerate("فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند".split(), 1)
}
_JALALI = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_WORD})\s+(1[34]\d\d)(?!\d)")
# Arabic-Indic, Extended Arabic-Indic (Persian, Urdu), Devanagari, Bengali, Thai and full-width digits.
_DIGITS = {
    ord(digit): str(value) for zero in "٠۰०০๐０" for value, digit in enumerate(chr(ord(zero) + n) for n in range(10))
}
_ENGLISH = "january february march april may june july august september october november december".split()


def read_day(text: str, *, locale: str | None) -> date | None:
    """The day a dateline's text names, read in `locale` (a language tag: "es", "en-GB", "pt_BR"), or None.

    The first segment of the text (see _SEGMENT) that is not an update and holds a date with at most a few
    other words around it decides.
    """
    for segment in _SEGMENT.split(" ".join(text.translate(_DIGITS).split()).casefold()):
        if not segment or UPDATE_WORDS.search(segment):
            continue
        found = _date_in(segment, _language(locale), _order(locale))
        if found is not None:
            return found
    return None


def dateline_day(headline: HtmlElement, *, locale: str | None) -> date | None:
    """The day printed in the short lines after the headline (up to the story's first paragraph), or in the
    line just over it; None when none of them is a dateline."""
    for line in _lines_near(headline):
        day = read_day(line, locale=locale)
        if day is not None:
            return day
    return None


def _date_in(segment: str, language: str, order: str) -> date | None:
    for pattern, read in _READERS:
        for match in pattern.finditer(segment):
            day = read(match, language, order)
            if day is None:
                continue
            rest = f"{segment[: match.start()]} {segment[match.end() :]}"
            if len(_WORDS.findall(rest)) > _OTHER_WORDS or _SENTENCE_END.search(rest):
                return None  # a sentence that mentions a date, not a dateline
            return day
    return None


_WORDS = re.compile(r"[^\W\d_]\w*")
_SENTENCE_END = re.compile(r"\w\w[.!?。]\s*$")


def _day(year: int, month: int | None, day: int) -> date | None:
    if month is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(year: int, language: str) -> int:
    return year - 543 if language == "th" and year > 2400 else year  # the Thai Buddhist era


def _text_dmy(match: re.Match[str], language: str, order: str) -> date | None:
    day, word, year = match.groups()
    return _day(_year(int(year), language), _month(word, language), int(day))


def _text_mdy(match: re.Match[str], language: str, order: str) -> date | None:
    word, day, year = match.groups()
    return _day(_year(int(year), language), _month(word, language), int(day))


def _text_ymd(match: re.Match[str], language: str, order: str) -> date | None:
    year, word, day = match.groups()
    return _day(int(year), _month(word, language), int(day))


def _numbers_ymd(match: re.Match[str], language: str, order: str) -> date | None:
    year, _, month, day = match.groups()
    return _day(int(year), int(month), int(day))


def _numbers_dmy(match: re.Match[str], language: str, order: str) -> date | None:
    first, _, second, year = (int(g) if g.isdigit() else 0 for g in match.groups())
    if first > 12 or (second <= 12 and order == "DMY"):
        day, month = first, second
    elif second > 12 or order == "MDY":
        day, month = second, first
    else:
        return None  # a locale that writes the year first: which of the two is the month, nothing says
    return _day(_year(year, language), month, day)


def _cjk(match: re.Match[str], language: str, order: str) -> date | None:
    year, month, day = map(int, match.groups())
    return _day(year, month, day)


def _japanese_era(match: re.Match[str], language: str, order: str) -> date | None:
    era, year, month, day = match.groups()
    return _day(_ERA_START[era] + (1 if year == "元" else int(year)), int(month), int(day))


def _jalali(match: re.Match[str], language: str, order: str) -> date | None:
    day, word, year = match.groups()
    month = _JALALI_MONTHS.get(word)
    if month is None or not 1 <= int(day) <= (31 if month <= 6 else 30):
        return None
    return date.fromordinal(_NOWRUZ_1403 + _jalali_days(int(year), month, int(day)) - _jalali_days(1403, 1, 1))


def _jalali_days(year: int, month: int, day: int) -> int:
    """Days of the Persian solar calendar counted from a fixed day, leap years by the arithmetic 33-year cycle
    (exact for the years 1178-1633, Pournader and Toossi's jalali.js)."""
    year += 1595
    days = 365 * year + (year // 33) * 8 + ((year % 33) + 3) // 4 + day
    return days + ((month - 1) * 31 if month < 7 else (month - 7) * 30 + 186)


_NOWRUZ_1403 = date(2024, 3, 20).toordinal()  # 1 Farvardin 1403

# Tried in this order: unambiguous forms before numeric day/month ones.
_READERS = (
    (_JAPANESE_ERA, _japanese_era),
    (_CJK, _cjk),
    (_JALALI, _jalali),
    (_DMY_TEXT, _text_dmy),
    (_MDY_TEXT, _text_mdy),
    (_YMD_TEXT, _text_ymd),
    (_YMD_NUMBERS, _numbers_ymd),
    (_DMY_NUMBERS, _numbers_dmy),
)


def _language(locale: str | None) -> str:
    return (locale or "").replace("_", "-").split("-")[0].casefold()


def _month(word: str, language: str) -> int | None:
    return _month_names(language).get(word.rstrip("."))


@lru_cache(maxsize=64)
def _month_names(language: str) -> dict[str, int]:
    """Month names and abbreviations, casefolded: English, and the language's from dateparser's CLDR data."""
    names = {short: number for number, name in enumerate(_ENGLISH, 1) for short in (name[:3], name)}
    names["sept"] = 9
    info = _cldr_info(language)
    for number, key in enumerate(_ENGLISH, 1):
        words = info.get(key) if info is not None else None
        for word in words if isinstance(words, list) else []:
            names[str(word).casefold().rstrip(".")] = number
    return names


@lru_cache(maxsize=64)
def _order(locale: str | None) -> str:
    """The locale's day, month and year order (DMY, MDY, YMD) from CLDR, by its region when it has one."""
    tag = (locale or "").replace("_", "-")
    parts = tag.split("-")
    for name in (f"{parts[0].lower()}-{parts[1].upper()}" if len(parts) > 1 else None, parts[0].lower()):
        info = _cldr_info(name) if name else None
        if info is not None:
            return str(info.get("date_order", "DMY"))
    return "YMD"  # no language: read no d/m/y date that a day above 12 does not decide


def _cldr_info(name: str) -> Mapping[str, object] | None:
    """dateparser's CLDR data for a language ("ru") or a language and region ("en-GB"), or None."""
    if not name or not re.fullmatch(r"[a-z]{2,3}(?:-[A-Z]{2})?", name):
        return None
    from dateparser.languages.loader import default_loader  # ~0.2 s to import: only pages that need it pay

    try:
        info: Mapping[str, object] = default_loader.get_locale(name).info
    except ValueError:  # a language CLDR (or dateparser) does not have
        return None
    return info


def _lines_near(headline: HtmlElement) -> Iterator[str]:
    """The text of the short lines after the headline, up to the story's first paragraph, then of the line
    just over it (a dateline above the headline)."""
    yield from itertools.islice(_lines_after(headline), _LINES_AFTER)
    for level in (headline, headline.getparent()):
        if level is None:
            break
        before = next((text for el in level.itersiblings(preceding=True) if (text := _text(el))), None)
        if before is not None:
            if len(before) <= _LINE_CHARS:
                yield before
            break


def _lines_after(headline: HtmlElement) -> Iterator[str]:
    level: HtmlElement | None = headline
    for _ in range(3):  # the headline's box and the two around it (a header, then the story's body)
        if level is None or level.tag in ("body", "html"):
            return
        for sibling in level.itersiblings():
            for line in _short_lines(sibling):
                if line is None:
                    return
                yield line
        level = level.getparent()


def _short_lines(el: HtmlElement) -> Iterator[str | None]:
    """The short lines in `el`, in document order; None at the first long one that is not a box of lines."""
    if not isinstance(el.tag, str) or el.tag in ("script", "style", "h1", "h2", "h3", "h4", "h5", "h6"):
        return
    text = _text(el)
    classes = el.get("class") or ""
    if not text or (UPDATE_WORDS.search(classes) and "published" not in classes):
        return  # <p class="updated">December 7, 2026</p>: the update, whatever its text says
    if len(text) <= _LINE_CHARS:
        yield text
        return
    children = [child for child in el if isinstance(child.tag, str) and child.tag in _BLOCKS]
    if not children or (el.text and el.text.strip()):
        yield None  # the story's first paragraph
        return
    for child in children:
        for line in _short_lines(child):
            yield line
            if line is None:
                return


def _text(el: HtmlElement) -> str:
    try:
        return " ".join(el.text_content().split())
    except (ValueError, etree.LxmlError):
        return ""
