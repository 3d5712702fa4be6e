"""Date strings from feeds, sitemaps and pages -> timezone-aware datetimes, or None when unreadable.

Reads W3C-DTF / ISO 8601 (partial precision: "2003", "2003-12", date-only; compact forms such as "031231"; the
basic format "20180619T055000+0900", as Japanese news sites write JSON-LD),
RFC 822/2822 as feeds write it (any offset form "+0200", "+02:00", "GMT-01:01", US and European zone names,
long month names, no seconds, no time, swapped month and day, stray commas), asctime, and the Greek,
Hungarian, Korean and Perforce formats feedparser's maintainers met in real feeds (tables after feedparser's
datetimes package, BSD-2-Clause, tests/fixtures/feedparser/LICENSE), and day-first dates with dots as German or
Russian sites write them in JSON-LD ("07.12.2026 14:05"), and year-first times with unpadded fields, slashes or dots
and a zone ("2024/5/6 9:05 +0900"). A value without any zone is UTC; a zone
we cannot read makes the whole value None, never UTC: a date hours off is worse than none.
Pure and total: never raises, whatever the input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

_MONTHS = {name: number for number, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
# Hours east of UTC. US and European names as feeds use them; AT/ET/CT/MT/PT without S/D are feedparser's
# reading of Disney's feeds (standard time). A name that means two zones is left out, so its value reads as None:
# IST (India, Israel, Ireland), AST/ADT (Atlantic, Arabia: -4 or +3), BST (British Summer, Bangladesh: +1 or +6).
# RFC 822's own US names (EST, EDT, CST, CDT, MST, MDT, PST, PDT) stay, though CST is China's too: the RFC
# defines them, and feeds in that format mean them.
_ZONES: dict[str, float] = {
    **dict.fromkeys(("ut", "utc", "gmt", "z", "etc/gmt", "etc/utc", "wet"), 0),
    "at": -4,
    "edt": -4,
    "est": -5,
    "et": -5,
    "cdt": -5,
    "cst": -6,
    "ct": -6,
    "mdt": -6,
    "mst": -7,
    "mt": -7,
    "pdt": -7,
    "pst": -8,
    "pt": -8,
    "akdt": -8,
    "akst": -9,
    "hst": -10,
    "west": 1,
    "cet": 1,
    "met": 1,
    "mez": 1,
    "cest": 2,
    "mest": 2,
    "mesz": 2,
    "eet": 2,
    "eest": 3,
    "msk": 3,
    "jst": 9,
    "kst": 9,
    "hkt": 8,
    "sgt": 8,
    "awst": 8,
    "acst": 9.5,
    "aest": 10,
    "aedt": 11,
    "nzst": 12,
    "nzdt": 13,
}
_OFFSET = r"[+-]\d{1,2}(?::?\d{2})?"
_ZONE = rf"(?:{_OFFSET}|(?:gmt|utc|ut)\s*{_OFFSET}|[a-z]+(?:/[a-z]+)?)"
_W3DTF = re.compile(
    r"(\d{4})(?:-(0?\d{2})(?:-(\d{2}))?)?"
    rf"(?:[t ](\d{{1,2}}):(\d{{2}})(?::(\d{{2}})(?:[.,](\d+))?)?\s*(z|{_OFFSET})?)?"
)
_RFC822 = re.compile(
    # A weekday, ignored (feeds get it wrong), ends at a comma or a space: "Fri,24 Nov" has no space, and
    # without either "June 7, 2013" read as the weekday "jun" and the month "e".
    r"(?:[^\W\d_]+\.?(?:\s*,\s*|\s+))?"
    # Day month or month day, then the year; a month in any script (_month_number tells which are months).
    r"(?:(\d{1,2})\s+([^\W\d_]+)\.?|([^\W\d_]+)\.?\s+(\d{1,2}))\s*,?\s+(\d{2}|\d{4})"
    # The time, after a comma too ("June 7, 2013, 10:30 a.m.", as US pages write it), on a 12-hour clock or 24.
    rf"(?:\s*,?\s+(\d{{1,2}}):(\d{{2}})(?::(\d{{2}}))?(?:\s*([ap])\.?m\b\.?)?)?(?:\s*({_ZONE}))?"
)
_ASCTIME = re.compile(r"[a-z]{3}\s+([a-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s+([+-]\d{4}))?\s+(\d{4})")
# ISO 8601's basic format (no separators): "20180619", "20180619T0550Z", "20180619T055000.5+0900".
_ISO_BASIC = re.compile(
    r"(\d{4})(\d{2})(\d{2})(?:t(\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?\s*(z|[+-]\d{2}(?::?\d{2})?)?)?"
)
# ISO 8601 with two-digit years (feedparser's iso8601 templates): -YYMM, YYMMDD, YY-MM-DD, -YY-MM.
_COMPACT = [re.compile(p) for p in (r"-(\d{2})(\d{2})()", r"(\d{2})(\d{2})(\d{2})", r"(\d{2})-(\d{2})-(\d{2})")]
_COMPACT.append(re.compile(r"-(\d{2})-(\d{2})()"))
_PERFORCE = re.compile(r"[a-z]{0,3},?\s*(\d{4})/(\d{1,2})/(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+([a-z]+)")
_GREEK_MONTHS = {
    "Ιαν": "jan", "Φεβ": "feb", "Μάώ": "mar", "Μαώ": "mar", "Απρ": "apr", "Μάι": "may", "Μαϊ": "may", "Μαι": "may",
    "Ιούν": "jun", "Ιον": "jun", "Ιούλ": "jul", "Ιολ": "jul", "Αύγ": "aug", "Αυγ": "aug", "Σεπ": "sep",
    "Οκτ": "oct", "Νοέ": "nov", "Νοε": "nov", "Δεκ": "dec",
}  # fmt: skip
_HUNGARIAN_MONTHS = {
    "január": 1, "február": 2, "februári": 2, "március": 3, "április": 4, "május": 5, "máujus": 5,
    "június": 6, "július": 7, "augusztus": 8, "szeptember": 9, "október": 10, "november": 11, "december": 12,
}  # fmt: skip
_HUNGARIAN = re.compile(rf"(\d{{4}})-([^\W\d_]+)-(\d{{1,2}})t(\d{{1,2}}):(\d{{2}})({_OFFSET})")
# Korean blogs (2004): "2004년 05월 28일 01:31:15" (OnBlog) and "2004-05-25 오후 11:23:17" (Nate), both KST.
_ONBLOG = re.compile(r"(\d{4})년\s+(\d{1,2})월\s+(\d{1,2})일\s+(\d{1,2}):(\d{2}):(\d{2})")
_NATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\s+(오전|오후)\s+(\d{1,2}):(\d{2}):(\d{2})")
# Day first with dots, as German, Russian, Polish or Turkish sites write dates in their JSON-LD and <meta>s
# ("07.12.2026 14:05", "7.12.2026"): no locale writes the month first between dots.
_DOTTED = re.compile(
    rf"(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}})(?:,?\s+(\d{{1,2}})[:.](\d{{2}})(?::(\d{{2}}))?)?(?:\s*({_ZONE}))?"
)
# Year first with one-digit fields or other separators, as CMSs and JSON-LD write them: "2024-5-6 9:05 +0900",
# "2024/05/06 10:00 JST", "2024.05.06 10:00:00 +0900" (Japanese, Chinese and Korean sites). No locale puts the day
# before the month after a four-digit year. A time only with its zone: those sites write local time, and a value read as
# UTC is 8-9 hours off (and, first among a page's dates, outranks the <time> that gives the zone).
_YEAR_FIRST = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    rf"(?:(?:t|\s+)(\d{{1,2}}):(\d{{2}})(?::(\d{{2}})(?:[.,](\d+))?)?\s*(z|{_ZONE}))?"
)
_ZONE_OFFSET = re.compile(r"(?:gmt|utc|ut)?\s*([+-])(\d{1,2}):?(\d{2})?")
_KST = timezone(timedelta(hours=9))


# Where a CMS has no date it may write its language's zero time instead (Go and .NET: 0001-01-01, read from
# "0000-00-00" too; SQL and spreadsheets: 1900-01-01 at midnight; Unix time 0, in any zone). These are not
# when a story appeared, and no news page was printed before 1800.
_EARLIEST = datetime(1800, 1, 1, tzinfo=UTC)
_UNIX_ZERO = datetime(1970, 1, 1, tzinfo=UTC)
_ZERO_DAYS = {(1900, 1, 1), (1970, 1, 1)}
# Later than this is no publication date, whoever asks: Thai sites write the Buddhist era's year (2567 for 2024,
# 543 on), and placeholders run to 2099, 2999, 9999. A fixed bound, so a caller that cannot say when it fetched
# still gets it; it rejects no real date for seventy years.
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# A story is published before it is fetched. Two days past the fetch allow a local time written as UTC (up to
# 14 h early) and a server's clock that is off; a "2077-01-01" in a feed fetched today is no date.
_AFTER_FETCH = timedelta(days=2)


def plausible(when: datetime, *, fetched_at: datetime | None = None) -> bool:
    """Whether `when` can be when a story appeared: after 1800, no zero-time placeholder, not after its fetch.

    `fetched_at`: when the page, feed or sitemap that gave the date was fetched (timezone-aware). Extraction
    does not read the clock, so the caller says; without it only a fixed bound (2100) applies.
    """
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    latest = _LATEST if fetched_at is None else min(_LATEST, fetched_at + _AFTER_FETCH)
    if aware < _EARLIEST or aware == _UNIX_ZERO or aware >= latest:
        return False
    return (when.year, when.month, when.day) not in _ZERO_DAYS or (when.hour, when.minute, when.second) != (0, 0, 0)


def parse_published(value: object, *, fetched_at: datetime | None = None) -> datetime | None:
    """A publication date as parse_datetime reads it, or None when it is no plausible one (see plausible)."""
    when = parse_datetime(value)
    return when if when is not None and plausible(when, fetched_at=fetched_at) else None


def parse_datetime(value: object) -> datetime | None:
    """A feed, sitemap or page timestamp as an aware datetime (its own offset kept); None if unreadable."""
    if not isinstance(value, str):
        return None
    # ISO 8601 date or date-time, as most feeds and sitemaps write it: the C parser first.
    if value[:4].isdigit() and value[4:5] == "-" and (len(value) == 10 or value[10:11] in ("T", " ")):
        stripped = value.strip()
        # "2024-05-06T10:00:00 GMT": the zone's name where ISO 8601 writes Z (feedparser reads it so).
        iso_text = stripped[:-4] + "+00:00" if stripped[-4:].upper() in (" GMT", " UTC") else stripped
        try:
            iso = datetime.fromisoformat(iso_text)
        except ValueError:  # a form it does not take ("2004-07-08 23:56:58 -00:20"), or a field out of range
            pass
        else:
            return iso if iso.tzinfo else iso.replace(tzinfo=UTC)
    # A comment after the date names its zone (RFC 5322's "+0000 (UTC)", JavaScript's Date.toString "GMT+0100
    # (Central European Standard Time)"): the offset before it says the same.
    text = _ZONE_COMMENT.sub(lambda m: m[1] or m[2], " ".join(value.split())).lower()
    if not text or len(text) > 100:
        return None
    for parse in _PARSERS:
        try:
            parsed = parse(text)
        except (ValueError, OverflowError):  # a field out of range: 25 h, day 99, offset -99:99
            return None
        if parsed is not None:
            return parsed
    return None


# Only after an offset or GMT/UTC: a comment that alone names the zone ("10:00:00 (PST)") leaves the date unread.
# A zone's abbreviation after an offset says the same as the offset ("-0500 CDT", "+0000 GMT": feedparser reads them).
# Only RFC 822's offset (no colon) after a space, and a name in capitals but AM/PM: "10:00-12:00 Uhr", "10:00 -12:00
# MEZ" (a time range), "2024 -2024 News" and "10:00 -1130 PM" name no zone.
_ZONE_COMMENT = re.compile(
    r"([+-]\d\d:?\d\d|\b(?:GMT|UTC|Z)) \([^()]{1,60}\)$"
    r"|(?<=\s)([+-](?:0\d|1[0-4])[0-5]\d) (?-i:(?!AM$|PM$)[A-Z]{2,5})$",
    re.IGNORECASE,
)


def _w3dtf(text: str) -> datetime | None:
    return _iso_8601(_W3DTF.fullmatch(text))


def _iso_basic(text: str) -> datetime | None:
    return _iso_8601(_ISO_BASIC.fullmatch(text))


def _year_first(text: str) -> datetime | None:
    return _iso_8601(_YEAR_FIRST.fullmatch(text))


def _iso_8601(match: re.Match[str] | None) -> datetime | None:
    """The datetime of an ISO 8601 match, extended or basic: year, month, day, hour, minute, second, fraction,
    zone (a missing month or day is the first)."""
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    when = _datetime(int(year), int(month or 1), int(day or 1), hour, minute, second, micro)
    return when.replace(tzinfo=_zone(zone) if zone else UTC)


def _rfc822(text: str) -> datetime | None:
    match = _RFC822.fullmatch(text)
    if not match:
        return None
    day, month, swapped_month, swapped_day, year, hour, minute, second, half, zone = match.groups()
    number = _month_number(month or swapped_month)
    if number is None:
        return None
    if half and hour:  # 12:30 a.m. is 00:30, 12:30 p.m. is 12:30; "13:00 pm" is no time
        if not 1 <= int(hour) <= 12:
            raise ValueError(f"{hour} o'clock on a 12-hour clock")
        hour = str(int(hour) % 12 + (12 if half == "p" else 0))
    when = _datetime(_year(year), number, int(day or swapped_day), hour, minute, second)
    return when.replace(tzinfo=_zone(zone) if zone else UTC)


def _asctime(text: str) -> datetime | None:
    match = _ASCTIME.fullmatch(text)
    if not match or match.group(1) not in _MONTHS:
        return None
    month, day, hour, minute, second, zone, year = match.groups()
    when = _datetime(int(year), _MONTHS[month], int(day), hour, minute, second)
    return when.replace(tzinfo=_zone(zone) if zone else UTC)


def _compact(text: str) -> datetime | None:
    for pattern in _COMPACT:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = match.groups()
            return datetime(_year(year), int(month), int(day or 1), tzinfo=UTC)
    return None


def _perforce(text: str) -> datetime | None:
    match = _PERFORCE.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    return _datetime(int(year), int(month), int(day), hour, minute, second).replace(tzinfo=_zone(zone))


def _greek(text: str) -> datetime | None:
    parts = text.split()
    if len(parts) < 3 or parts[2].title() not in _GREEK_MONTHS:
        return None
    parts[2] = _GREEK_MONTHS[parts[2].title()]
    return _rfc822(" ".join(parts[1:]))  # the Greek weekday is dropped like any other


def _hungarian(text: str) -> datetime | None:
    match = _HUNGARIAN.fullmatch(text)
    if not match or match.group(2) not in _HUNGARIAN_MONTHS:
        return None
    year, month, day, hour, minute, zone = match.groups()
    when = _datetime(int(year), _HUNGARIAN_MONTHS[month], int(day), hour, minute, None)
    return when.replace(tzinfo=_zone(zone))


def _korean(text: str) -> datetime | None:
    onblog, nate = _ONBLOG.fullmatch(text), _NATE.fullmatch(text)
    if onblog:
        year, month, day, hour, minute, second = onblog.groups()
        return _datetime(int(year), int(month), int(day), hour, minute, second).replace(tzinfo=_KST)
    if nate:
        year, month, day, half, hour, minute, second = nate.groups()
        hours = int(hour) % 12 + (12 if half == "오후" else 0)
        return _datetime(int(year), int(month), int(day), str(hours), minute, second).replace(tzinfo=_KST)
    return None


def _dotted(text: str) -> datetime | None:
    match = _DOTTED.fullmatch(text)
    if not match:
        return None
    day, month, year, hour, minute, second, zone = match.groups()
    return _datetime(int(year), int(month), int(day), hour, minute, second).replace(tzinfo=_zone(zone) if zone else UTC)


_PARSERS: tuple[Callable[[str], datetime | None], ...] = (
    _w3dtf,
    _iso_basic,
    _rfc822,
    _asctime,
    _compact,
    _perforce,
    _greek,
    _hungarian,
    _korean,
    _dotted,
    _year_first,
)


def _datetime(
    year: int, month: int, day: int, hour: str | None, minute: str | None, second: str | None, micro: int = 0
) -> datetime:
    """A naive datetime; raises ValueError for any field out of range."""
    return datetime(year, month, day, int(hour or 0), int(minute or 0), int(second or 0), micro)


def _year(digits: str) -> int:
    # RFC 2822 4.3: a two-digit year 00-49 is 20xx, 50-99 is 19xx.
    year = int(digits)
    if len(digits) == 2:
        return year + (2000 if year < 50 else 1900)
    return year


def _month_number(name: str) -> int | None:
    """1-12 for an English month's name or abbreviation, or one of the other languages feeds are written in."""
    number = _MONTHS.get(name[:3])
    if number is not None and name in _month_spellings(number):
        return number
    return _OTHER_MONTHS.get(name)


# Months as Portuguese, Spanish, Italian, French, German and Dutch feeds write them in RFC 822 dates (UOL's
# "Seg, 24 Set 2018 19:42:40 -0300"): abbreviations and names that are no English month's (those are read above).
_OTHER_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "jan janv janeiro enero ene gennaio gen januar janvier januari",
            "fev fevereiro febrero febbraio febr fév févr février februar februari",
            "março marzo mär märz mrz mars maart",
            "abr abril aprile avr avril",
            "mai maio mayo maggio mag mei",
            "junho junio giugno giu juin juni",
            "julho julio luglio lug juil juillet juli",
            "ago agosto août aoû",
            "set setembro septiembre settembre sept septembre",
            "out outubro octubre ottobre ott okt oktober octobre",
            "novembro noviembre novembre",
            "dez dezembro diciembre dicembre dic déc décembre dezember",
        ),
        1,
    )
    for name in names.split()
}


def _month_spellings(number: int) -> tuple[str, ...]:
    full = "january february march april may june july august september october november december".split()
    name = full[number - 1]
    return name[:3], name, name[:4]  # "sept" as well as "sep"


def _zone(zone: str | None) -> timezone:
    """The tzinfo of a zone name or offset; raises ValueError for one we cannot read."""
    if zone is None:
        raise ValueError("no zone")
    if zone in _ZONES:
        return timezone(timedelta(hours=_ZONES[zone]))
    match = _ZONE_OFFSET.fullmatch(zone)
    if not match:
        raise ValueError(f"unknown zone {zone!r}")
    sign, hours, minutes = match.groups()
    if int(hours) > 23 or int(minutes or 0) > 59:
        raise ValueError(f"offset {zone!r} out of range")
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-offset if sign == "-" else offset)
