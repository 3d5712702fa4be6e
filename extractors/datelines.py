"""The day a page prints beside its headline ("7 de diciembre de 2026", "07.12.2026", "2026年12月7日"), in its language.

For pages whose markup gives no date (metadata.guess_published asks here before htmldate): many sites without
JSON-LD or <meta> dates still print a dateline under or over the headline. htmldate's fast search reads English
month names and a few English class names; its full search scans the whole text and takes copyright years and
dates the story mentions. So this reads only the short lines next to the headline, up to the story's first
paragraph, and only a line that is a date with a few words around it (a label, a byline, a time), not a sentence.

Month names come from CLDR as dateparser ships it (htmldate's own dependency) for the page's language, besides
English. Day and month order of a numeric date is the locale's: "12/07/2026" is December 7 on a page in "en-US"
and 12 July in "en-GB", "fr" or "de"; a day above 12 decides alone; a locale that writes years first (ja, zh,
ko, hu, sv), or English without a region (see _order), reads no d/m/y date it cannot decide. Years of the Thai
Buddhist era, Japanese eras (令和, 平成) and the Persian solar calendar are converted. What says it is not the
publication is skipped: an update or a correction (its words, or a stamp's class), a day that ends a span or
follows "since", a link to another story, an embedded post, a sentence.
Pure: never raises, whatever the page.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from datetime import date
from functools import lru_cache
from typing import Final, Literal

from lxml import etree
from lxml.html import HtmlElement

from extractors._words import weighted_length, word_count

# Words that say a date is the update, not the publication, in the languages news sites write them.
UPDATE_WORDS = re.compile(
    r"(?:updated|modified|last edited|revised|aktualisiert|geändert|modifié|mis à jour|actualisé|actualiza|atualiza"
    r"|aggiorna|bijgewerkt|uppdaterad|aktualizac|aktualizov|zaktualizowano|güncelle|oppdater|opdater|päivite"
    r"|frissít|cập nhật|diperbarui|ενημερ|עודכן|تحديث|अपडेट|обновл[её]н|обновен|оновлен|изменен|ажурир"
    r"|ažurir|atnaujin|uuendat|更新|수정)",
    re.IGNORECASE,
)
# A segment that is not the publication: an update (UPDATE_WORDS), a correction, "as of" (German "Stand:").
_NOT_PUBLICATION = re.compile(
    rf"{UPDATE_WORDS.pattern}|correct|clarifi|amended|rectifica|berichtig|korrektur|rettific|^stand\b",
    re.IGNORECASE,
)
# Before a day, these make it the edge of a span or the day of something else ("12–14 March", "since 3 March",
# "vom 3. März", "del 3 de marzo", "du 12 au 14 mars"): not the day the page was printed.
_SPAN_BEFORE = re.compile(r"\b(?:to|until|till|since|from|au|al|bis|vom|seit|depuis|desde|del|du|dal|dall|от|с|до)\s*$")
# A dash after a day or a month name ("12–14 March", "3 December – 7 December"); not after a name or a time
# ("Agencia EFE - 7 dic 2026", "14:05 - 07/12/2026").
_DASH_BEFORE = re.compile(r"(?:(?<![\d:.])(\d{1,2})|([^\W\d_]+))\.?\s*[–—-]\s*$")
# A line longer than this (weighted: a Chinese or Japanese character counts three) is no dateline: it is the
# story's text, or a box holding several lines.
_LINE_CHARS = 160
# Lines read after the headline before giving up (kicker, byline, date, share bar, image, caption...).
_LINES_AFTER = 8
# Words besides the date in a dateline's segment: "Publié le ... à 14h05", "By Jane Doe, Staff Writer". A
# segment with at most _FEW_WORDS of them is read first: "Scheme shelved since 3 March 2026 is back" in a
# subtitle is not the byline's "5 December 2026" after it.
_OTHER_WORDS = 8
_FEW_WORDS = 3
# Words a line may hold before it reads as a sentence of the story, when it ends like one.
_SENTENCE_WORDS = 5
_BLOCKS = frozenset(
    "p div section article main hgroup address header footer aside figure figcaption ul ol li dl dt dd table tbody"
    " tr td blockquote".split()
)
# Not the page's own lines: an embedded post (its date is its author's), scripts, what a browser does not show.
_NOT_LINES = frozenset("blockquote script style template noscript iframe svg form nav".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# Where a line splits into segments ("Updated December 7, 2026 · Originally published December 3, 2026").
# A line's white space is squeezed first (a <time> breaks its date over lines); an ideographic space before a
# label is a Chinese or Japanese portal's next field (_FIELD_AFTER).
_SEGMENT = re.compile(r"\s+[·|•–—]\s+|\s*[·|•]\s*")
# A word starts where no letter is before it: a pattern tried at every letter of a long word is quadratic.
_WORD = r"(?<![^\W\d_])[^\W\d_][^\s\d.,;:/|()\[\]·•–—-]*+"
_DMY_TEXT = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:\.|º|°|er|st|nd|rd|th)?\s*(?:de\s+|of\s+)?({_WORD})\.?\s*,?\s*(?:de\s+|del\s+)?(\d{{4}})(?!\d)"
)
_MDY_TEXT = re.compile(rf"({_WORD})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(\d{{4}})(?!\d)")
_YMD_TEXT = re.compile(rf"(?<!\d)(\d{{4}})\.?\s+({_WORD})\.?\s+(\d{{1,2}})(?!\d)")
_YMD_NUMBERS = re.compile(r"(?<![\d.])(\d{4})\s*([-./])\s*(\d{1,2})\s*\2\s*(\d{1,2})(?!\d)")
_DMY_NUMBERS = re.compile(r"(?<![\d./-])(\d{1,2})([-./])\s?(\d{1,2})\2\s?(\d{4})(?!\d)")
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

    The first segment of the text (see _SEGMENT) that is not an update or a correction and holds a date with at
    most a few other words around it decides.
    """
    day = _read(text, locale, _OTHER_WORDS)
    return day if isinstance(day, date) else None


def is_dateline(text: str, *, locale: str | None) -> bool:
    """Whether text is a dateline: a date with at most a few other words around it (a byline's "Von Thomas Berger
    | 15. September 2025, 20:15 Uhr"), whether or not the locale orders its day and month."""
    words = word_count(_NUMBERS.sub(" ", text))
    if words > _DATELINE_WORDS or (words > _SENTENCE_WORDS and _SENTENCE_END.search(text)):
        return False  # a lead that opens with its place and day ("Berlin, 15. September 2025 – Die Bahn hat …")
    return _read(text, locale, _OTHER_WORDS) is not None


# Words of a whole dateline, beside its numbers: a byline's name and role, a place, labels, separators.
_DATELINE_WORDS = 12


# A numeric date in a dateline whose day and month nothing tells apart ("03/11/2026" on a page in "en"): the
# page has a date, and no other date in its text is the guess (htmldate would read this one day first).
UNDECIDED: Final = "undecided"


def dateline_day(headline: HtmlElement, *, locale: str | None) -> date | Literal["undecided"] | None:
    """The day printed in the short lines after the headline (up to the story's first paragraph), or in the
    line just over it; UNDECIDED for a d/m/y date the locale does not order; None when no line is a dateline.
    A line that is little more than its date is read first, then one with a byline or a label around it."""
    after, before = _lines_near(headline)
    for most_words in (_FEW_WORDS, _OTHER_WORDS):
        for line in [*after, *before]:
            day = _read(line, locale, most_words)
            if day is not None:
                return day
    return None


def _read(text: str, locale: str | None, most_words: int) -> date | Literal["undecided"] | None:
    language, order = _language(locale), _order(locale)
    undecided = False
    line = _squeezed(text[:_READ_CHARS].translate(_DIGITS)).casefold()
    start = 0
    for separator in [*_SEGMENT.finditer(line), None]:
        end = separator.start() if separator is not None else len(line)
        segment, before = line[start:end], line[max(0, start - 30) : start]
        start = separator.end() if separator is not None else end
        if segment and not _NOT_PUBLICATION.search(segment):
            found = _date_in(segment, before, language, order, most_words)
            if isinstance(found, date):
                return found
            undecided = undecided or found == UNDECIDED
    return UNDECIDED if undecided else None


# Characters of a text read_day reads: a dateline is a line.
_READ_CHARS = 1_000


def _date_in(
    segment: str, context: str, language: str, order: str, most_words: int
) -> date | Literal["undecided"] | None:
    """The date in one segment of a line; `context` is the text before the segment (its separator included)."""
    for pattern, read in _READERS:
        for match in pattern.finditer(segment):
            if _ends_span(context + segment[: match.start()], language):
                continue
            day = read(match, language, order)
            if day is None:
                continue
            after = " ".join(_NUMBERS.sub(" ", segment[match.end() :]).split())
            rest = " ".join(_NUMBERS.sub(" ", segment[: match.start()]).split() + [after])
            words = word_count(rest)
            if words > most_words or (words > _SENTENCE_WORDS and _SENTENCE_END.search(rest)):
                return None  # a sentence that mentions a date, not a dateline
            if word_count(" ".join(w for w in after.split() if len(_LETTERS.sub("", w)) >= 3)) > _WORDS_AFTER:
                return None  # the date inside a phrase ("reverses 3 March 2026 decision", "2026年3月3日に公表")
            return day
    return None


def _ends_span(before: str, language: str) -> bool:
    if _SPAN_BEFORE.search(before):
        return True
    dash = _DASH_BEFORE.search(before)
    return dash is not None and (dash.group(1) is not None or _month(dash.group(2), language) is not None)


# Words after a dateline's date: a time's ("à 14h05", "Uhr", "GMT", "at 2:05 p.m. ET": words of fewer than
# three letters do not count).
_WORDS_AFTER = 2
_LETTERS = re.compile(r"[\W\d_]")
_NUMBERS = re.compile(r"\S*\d\S*")  # a time ("14:05", "14h05", "2:05"), not a word
# A sentence ends in a letter and a full stop, question or exclamation mark, then maybe a closing quote.
_SENTENCE_END = re.compile(r"[^\W\d_]\s?[.!?。！？][\"'”’»)\]]*\s*$")


def _day(year: int, month: int | None, day: int) -> date | None:
    if month is None or year < 1800:  # no news page was printed before (dates.plausible): read on
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
    return _numbers_day(int(year), int(month), int(day), language)


def _numbers_day(year: int, month: int, day: int, language: str) -> date | None:
    """A numeric date's day; a Persian page's year 1300-1499 is of its solar calendar ("۱۴۰۵/۰۹/۱۶")."""
    if 1300 <= year < 1500:
        return _from_jalali(year, month, day) if language == "fa" and 1 <= month <= 12 else None
    return _day(_year(year, language), month, day)


def _numbers_dmy(match: re.Match[str], language: str, order: str) -> date | Literal["undecided"] | None:
    first, _, second, year = (int(g) if g.isdigit() else 0 for g in match.groups())
    if first > 12 or first == second or (second <= 12 and order == "DMY"):
        day, month = first, second
    elif second > 12 or order == "MDY":
        day, month = second, first
    else:
        return UNDECIDED  # which of the two is the month, nothing says
    return _numbers_day(year, month, day, language)


def _cjk(match: re.Match[str], language: str, order: str) -> date | None:
    year, month, day = map(int, match.groups())
    return _day(year, month, day)


def _japanese_era(match: re.Match[str], language: str, order: str) -> date | None:
    era, year, month, day = match.groups()
    return _day(_ERA_START[era] + (1 if year == "元" else int(year)), int(month), int(day))


def _jalali(match: re.Match[str], language: str, order: str) -> date | None:
    day, word, year = match.groups()
    month = _JALALI_MONTHS.get(word)
    return _from_jalali(int(year), month, int(day)) if month is not None else None


def _from_jalali(year: int, month: int, day: int) -> date | None:
    if not 1 <= day <= (31 if month <= 6 else 30):
        return None
    return date.fromordinal(_NOWRUZ_1403 + _jalali_days(year, month, day) - _jalali_days(1403, 1, 1))


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
    language = (locale or "").replace("_", "-").split("-")[0].casefold()
    return _LEGACY_CODES.get(language, language)


# Language codes sites still write that CLDR replaced: Norwegian (Bokmål), Hebrew, Indonesian.
_LEGACY_CODES = {"no": "nb", "iw": "he", "in": "id"}


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
    """The locale's day, month and year order (DMY, MDY, YMD) from CLDR, by its region when it has one.

    English without a region reads as YMD (no d/m/y date a day above 12 does not decide): CLDR's "en" is US
    English, but British, Indian or Nigerian sites write lang="en" too, and a date months off is worse than none.
    """
    parts = (locale or "").replace("_", "-").split("-")
    language = _language(parts[0])
    info = _cldr_info(f"{language}-{parts[1].upper()}") if len(parts) > 1 else None
    if info is None and language != "en":
        info = _cldr_info(language)
    return str(info.get("date_order", "DMY")) if info is not None else "YMD"


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


def _lines_near(headline: HtmlElement) -> tuple[list[str], list[str]]:
    """The text of the short lines after the headline, up to the story's first paragraph, and of the line just
    over it (a dateline above the headline)."""
    after = list(itertools.islice(_lines_after(headline), _LINES_AFTER))
    for level in (headline, headline.getparent()):
        if level is None:
            break
        before = next((el for el in level.itersiblings(preceding=True) if isinstance(el.tag, str) and _text(el)), None)
        if before is not None:
            text = _line_text(before) if before.tag not in _NOT_LINES else ""
            # A kicker's "Sport · 7 December 2026", a byline's "Von Moritz Bachmann publiziert am 25. September 2018".
            few = word_count(_NUMBERS.sub(" ", text)) <= _OTHER_WORDS + 1
            return after, [text] if few and weighted_length(text) <= _LINE_CHARS else []
    return after, []


def _lines_after(headline: HtmlElement) -> Iterator[str]:
    headings = [0]
    level: HtmlElement | None = headline
    for _ in range(3):  # the headline's box and the two around it (a header, then the story's body)
        if level is None or level.tag in ("body", "html"):
            return
        for sibling in level.itersiblings():
            for line in _short_lines(sibling, headings):
                if line is None:
                    return
                yield line
        level = level.getparent()


def _short_lines(el: HtmlElement, headings: list[int]) -> Iterator[str | None]:
    """The short lines in `el`, in document order; None where the story's text (or a second heading: another
    section, another story) begins."""
    if not isinstance(el.tag, str) or el.tag in _NOT_LINES:
        return
    if el.tag in _HEADINGS:
        headings[0] += 1  # a subtitle; the next heading starts something else
        if headings[0] > 1:
            yield None
        return
    text = _text(el)
    classes = f"{el.get('class') or ''} {el.get('itemprop') or ''}"
    if not text or (UPDATE_WORDS.search(classes) and "published" not in classes):
        return  # <p class="updated">December 7, 2026</p>: the update, whatever its text says
    if weighted_length(text) <= _LINE_CHARS:
        if _SENTENCE_END.search(text) and word_count(_NUMBERS.sub(" ", text)) > _SENTENCE_WORDS:
            yield None  # the story's first paragraph, a short one
        else:
            yield _line_text(el)
        return
    children = [
        child for child in el if isinstance(child.tag, str) and (child.tag in _BLOCKS or child.tag in _HEADINGS)
    ]
    if not children or (el.text and el.text.strip()):
        yield None  # the story's first paragraph
        return
    for child in children:
        for line in _short_lines(child, headings):
            yield line
            if line is None:
                return


def _line_text(el: HtmlElement) -> str:
    """A line's text without what is not the page's own date: an update stamp inside it (<time class="updated">),
    a link to another story (three words or more), an embedded post; what is left out splits the line."""
    pieces: list[str] = []
    walk = etree.iterwalk(el, events=("start", "end", "comment", "pi"))
    for event, node in walk:
        if event == "start":
            if node is not el and _left_out(node):
                pieces.append(" · ")
                walk.skip_subtree()
            else:  # a space at each element's edge: "<span>December 7, 2026</span><span>2:05 PM</span>"
                pieces.append(f" {node.text or ''}")
        elif node is not el:
            pieces.append(f" {node.tail or ''}" if event == "end" else node.tail or "")
    return _squeezed("".join(pieces))


def _squeezed(text: str) -> str:
    """text with one space for each run of white space, but an ideographic space before a field's label: a segment
    break (_SEGMENT)."""
    return " ".join(_FIELD_AFTER.sub(" · ", text).split())


# An ideographic space before a label and its colon: a Chinese or Japanese portal's next field ("…09:30　来源：新华网
# 　作者：王磊", "公開日：2025年7月20日　更新日：2025年7月21日"). Elsewhere it pads ("2025年　7月20日") or sets a label
# beside its date ("2025年7月20日　更新"), inside one segment.
_FIELD_AFTER = re.compile(r"\u3000+(?=[^\s:：]{1,8}[:：])")


def _left_out(node: HtmlElement) -> bool:
    if node.tag in _NOT_LINES:
        return True
    marks = f"{node.get('class') or ''} {node.get('itemprop') or ''}"
    if UPDATE_WORDS.search(marks) and "published" not in marks.lower():
        return True
    return node.tag == "a" and len(_LETTER_WORDS.findall(_NUMBERS.sub(" ", _text(node)))) >= 3


_LETTER_WORDS = re.compile(r"[^\W\d_]\w*")


def _text(el: HtmlElement) -> str:
    try:
        return " ".join(el.text_content().split())
    except (ValueError, etree.LxmlError):
        return ""
