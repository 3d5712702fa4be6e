"""The day a page prints by its headline, read in the page's language (extractors/datelines.py), and the guess
extract_article stores from it for a page whose markup gives no date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from extractors.article import extract_article
from extractors.datelines import read_day

FETCHED = datetime(2026, 12, 7, 20, tzinfo=UTC)
DECEMBER_7 = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("line", "locale", "day"),
    [
        ("7 de diciembre de 2026", "es", DECEMBER_7),
        ("07/12/2026 14h05", "pt-BR", DECEMBER_7),
        ("7 dicembre 2026, ore 14:05", "it", DECEMBER_7),
        ("7 декабря 2026, 14:05", "ru", DECEMBER_7),
        ("٧ ديسمبر ٢٠٢٦", "ar", DECEMBER_7),  # Arabic-Indic digits
        ("الاثنين 7 ديسمبر 2026", "ar", DECEMBER_7),  # a weekday first
        ("7 grudnia 2026", "pl", DECEMBER_7),
        ("7 Aralık 2026", "tr", DECEMBER_7),
        ("7. Dezember 2026", "de", DECEMBER_7),
        ("07.12.2026", "de", DECEMBER_7),
        ("Publié le 7 décembre 2026 à 14h05", "fr", DECEMBER_7),
        ("1er décembre 2026", "fr", date(2026, 12, 1)),
        ("2026. december 7.", "hu", DECEMBER_7),  # Hungarian writes the year first
        ("2026. 12. 7. 14:05", "ko", DECEMBER_7),
        ("2026年12月7日 14:05", "ja", DECEMBER_7),
        ("2026-12-07", None, DECEMBER_7),
        ("7. 12. 2026 14:05", "cs", DECEMBER_7),
        ("Publisert 3. desember 2026", "no", date(2026, 12, 3)),  # "no": Norwegian, CLDR's "nb"
        ("03.12.2026", "no", date(2026, 12, 3)),
        # A dash after a name or a time is no span: an agency's, a byline's dateline.
        ("Agencia EFE - 7 dic 2026", "es", DECEMBER_7),
        ("14:05 - 07/12/2026", "pt", DECEMBER_7),
        # Other calendars: the Japanese era (令和 8 = 2026), the Thai Buddhist era (2569 = 2026), Persian (Jalali).
        ("令和8年12月7日 14時05分", "ja", DECEMBER_7),
        ("令和元年5月1日", "ja", date(2019, 5, 1)),
        ("7 ธันวาคม 2569 14:05 น.", "th", DECEMBER_7),
        ("۱۶ آذر ۱۴۰۵ - ۱۴:۰۵", "fa", DECEMBER_7),
        ("1 فروردین 1399", "fa", date(2020, 3, 20)),  # Nowruz 2020
        ("۱۴۰۵/۰۹/۱۶", "fa", DECEMBER_7),  # numeric, the Persian year first
        ("1448/06/06", "ar", None),  # a year of the Hijri calendar: none read as Gregorian
        ("12 بهمن 1357", "fa", date(1979, 2, 1)),
        # English, and the numeric order of the locale's region; English without one orders no d/m/y date.
        ("December 7, 2026", "en", DECEMBER_7),
        ("Dec. 7, 2026 at 2:05 p.m. ET", "en", DECEMBER_7),
        ("Mon 7 Dec 2026 14.05 GMT", "en-GB", DECEMBER_7),
        ("By Jane Doe, Staff Writer December 7, 2026", "en", DECEMBER_7),
        ("12/07/2026", "en", None),
        ("12/07/2026", "en-US", DECEMBER_7),
        ("12/07/2026", "en-GB", date(2026, 7, 12)),
        ("12/07/2026", "en_AU", date(2026, 7, 12)),
        ("25/07/2026", "en", date(2026, 7, 25)),  # a day above 12 decides alone
        ("07/07/2026", "en", date(2026, 7, 7)),  # the same either way
        ("12/07/2026", "ja", None),  # a year-first locale: which one is the month, nothing says
        ("12/07/2026", None, None),
        # The update is no publication: its segment is skipped, the first publication in the line read.
        ("Updated December 7, 2026 · Originally published December 3, 2026", "en", date(2026, 12, 3)),
        ("Aktualisiert am 07.12.2026, 09:12 Uhr · Erstveröffentlichung 03.12.2026", "de", date(2026, 12, 3)),
        ("Updated December 7, 2026", "en", None),
        ("Correction appended December 5, 2026", "en", None),
        ("Stand: 07.12.2026", "de", None),  # "as of": the update
        ("Oppdatert 5. desember 2026 · Publisert 3. desember 2026", "nb", date(2026, 12, 3)),
        ("Aktualizováno 5. prosince 2026", "cs", None),
        # A day that ends a span, or that something happened since, is not the page's.
        ("12–14 March 2026", "en", None),
        ("12 – 14 March 2026", "en", None),
        ("3 December – 7 December 2026", "en", None),
        ("Scheme shelved since 3 March 2026", "en", None),
        ("Tras el rechazo del 3 de marzo de 2026", "es", None),
        # A sentence that mentions a date is no dateline; nor a month that is no month; nor a day that is none.
        ("The council met on 7 December 2026 to vote on the plan.", "en", None),
        ("The council finally approved the bus plan on 3 March 2026.", "en", None),
        ('He said: "The vote on 3 March 2026 changes everything for us."', "en", None),
        ("7 deals 2026", "en", None),
        ("31/02/2026", "de", None),
        ("", "en", None),
    ],
)
def test_a_dateline_is_read_in_its_language(line: str, locale: str | None, day: date | None) -> None:
    assert read_day(line, locale=locale) == day


BODY = (
    "<p>" + "The council approved the transit budget after a long debate, officials said on the record. " * 6 + "</p>"
)


def _guessed(
    article_html: str,
    *,
    lang: str = "en",
    head: str = "",
    title: str = "Council approves bus plan",
    url: str = "https://ledger.example/news/bus-plan",
) -> date | None:
    html = (
        f'<html lang="{lang}"><head><title>{title}</title>{head}</head><body>'
        '<header><a href="/">Daily Ledger</a></header>'
        f"<main><article>{article_html}</article></main></body></html>"
    )
    return _guess_of(html, url)


def _guess_of(html: str, url: str = "https://ledger.example/news/bus-plan") -> date | None:
    article = extract_article(html, url=url, fetched_at=FETCHED, guess_date=True)
    assert article.published_at is None  # no markup date: what is checked is the guess
    return article.guessed_published_at.date() if article.guessed_published_at else None


def test_the_day_under_the_headline_is_the_guess() -> None:
    headline = "<h1>Council approves bus plan</h1>"
    assert _guessed(f'{headline}<p class="fecha">7 de diciembre de 2026</p>{BODY}', lang="es") == DECEMBER_7
    # In the header box before the story's body, after a byline; above the headline.
    header = f"<header>{headline}<p>By Jane Doe</p><p>12/07/2026</p></header><div>{BODY}</div>"
    assert _guessed(header, lang="en-US") == DECEMBER_7
    assert _guessed(header, lang="en-GB") == date(2026, 7, 12)
    assert _guessed(f"<p>Sport · 7 December 2026</p>{headline}{BODY}") == DECEMBER_7


def test_dates_beyond_the_dateline_are_not_the_storys() -> None:
    headline = "<h1>Council approves bus plan</h1>"
    # A date after the story's first paragraph is the story's text, not its dateline.
    assert _guessed(f"{headline}{BODY}<p>7 December 2025</p>") is None
    # The update stamp (by its words or its class), a date after the fetch, a sentence in the standfirst.
    assert _guessed(f"{headline}<p>Updated 7 December 2026</p>{BODY}") is None
    assert _guessed(f'{headline}<p class="updated-date">7 December 2026</p>{BODY}') is None
    assert _guessed(f"{headline}<p>20 December 2026</p>{BODY}") is None
    assert _guessed(f"{headline}<p>The plan was first put to the council on 7 December 2025.</p>{BODY}") is None


def test_the_dateline_is_read_before_htmldates_guess() -> None:
    # htmldate's fast search reads "12/07/2026" day first (July 12): on a US page it is December 7; on a page in
    # English of no region, no guess at all rather than one read in an order nothing gives (htmldate's).
    html = '<h1>Council approves bus plan</h1><p class="date">12/07/2026</p>' + BODY
    assert _guessed(html, lang="en-US") == DECEMBER_7
    assert _guessed(html, lang="en") is None
    assert _guessed(html, lang="en", head='<meta property="og:locale" content="en_GB">') == date(2026, 7, 12)
    # Where no dateline says, htmldate's guess from the URL stays.
    page = f"<h1>Council approves bus plan</h1>{BODY}"
    assert _guessed(page, url="https://ledger.example/2026/12/05/bus-plan") == date(2026, 12, 5)


def test_a_byline_date_is_read_past_what_is_not_the_publication() -> None:
    headline = "<h1>Council approves bus plan</h1>"
    byline = "<p>By Jane Smith · 4 December 2026</p>"
    # A WordPress byline box whose update stamp comes first; a correction line; a subtitle about an older day.
    stamp = '<p><time class="entry-updated updated">7 December 2026</time> | By Jane Smith</p>'
    assert _guessed(f"{headline}{stamp}{byline}{BODY}") == date(2026, 12, 4)
    correction = "<p>Correction: an earlier version published 3 Dec 2026 misstated the cost</p>"
    assert _guessed(f"{headline}{correction}{byline}{BODY}") == date(2026, 12, 4)
    subtitle = "<div>Scheme shelved on 3 March 2026 is back on the table</div>"
    assert _guessed(f"{headline}{subtitle}{byline}{BODY}") == date(2026, 12, 4)
    # A link to another story (part one of a series) is not the dateline.
    series = '<p><a href="/part-one">Read part one, published December 1, 2026</a></p>'
    assert _guessed(f"{headline}{series}{BODY}") is None


def test_the_headline_is_the_storys_not_the_sites() -> None:
    # The site's name as the page's only <h1>, with today's date beside it: not the story's dateline.
    masthead = "<h1>Daily Ledger</h1><p>lunes, 7 de diciembre de 2026</p>"
    og_title = '<meta property="og:title" content="Council approves bus plan">'
    assert _guessed(f"{masthead}<h2>Council approves bus plan</h2>{BODY}", lang="es", head=og_title) is None
    story = "<h1>Council approves bus plan</h1><p>lunes, 7 de diciembre de 2026</p>"
    assert _guessed(f"{story}{BODY}", lang="es") == DECEMBER_7
    # The headline with typographic quotes where the title has straight ones is the story's.
    quoted = f"<h1>Council approves ‘bus plan’</h1><p>3 December 2026</p>{BODY}"
    assert _guessed(quoted, title="Council approves 'bus plan'") == date(2026, 12, 3)


def test_the_story_in_an_article_box_is_read_before_its_comments() -> None:
    # hacks.mozilla.org: <main><article>story</article><section id="comments">: the walk went past the
    # <article> (no line of its own) into the comments, and read a commenter's day.
    story = f"<article><header><p>By Jane Smith</p><p>March 10, 2015</p></header>{BODY}</article>"
    comments = '<section id="comments"><p>Alexander Petrov wrote on March 11th, 2015 at 02:57:</p></section>'
    html = (
        '<html lang="en"><head><title>Council approves bus plan</title></head><body><h1>Council approves bus plan</h1>'
        f"<main>{story}{comments}</main></body></html>"
    )
    assert _guess_of(html) == date(2015, 3, 10)


def test_a_dateline_in_inline_pieces_is_one_line() -> None:
    # Reuters: the day and the time in two <span>s with nothing between them.
    line = "<p><span>December 7, 2026</span><span>2:05 PM GMT</span></p>"
    assert _guessed(f"<h1>Council approves bus plan</h1>{line}{BODY}") == DECEMBER_7


def test_ideographic_spaces_set_a_portals_fields_apart() -> None:
    # A Chinese portal's info line: the day, the time, the source and the author, each after an ideographic space.
    # Squeezed into one segment, the date had too many words around it to be read.
    info = "2026年12月07日 09:30\u3000来源：中原新闻网\u3000作者：王磊"
    assert read_day(info, locale="zh") == DECEMBER_7
    body = "".join(
        f"<p>\u3000\u3000{s}</p>"
        for s in ("记者从铁路部门获悉，受强降雨影响，部分列车今日停运。", "车站已开设退票改签专门窗口。")
    )
    html = f"<h1>暴雨致部分列车停运</h1><div class='info'>{info}</div>{body}"
    assert _guessed(html, lang="zh", title="暴雨致部分列车停运 - 中原新闻网") == DECEMBER_7


@pytest.mark.parametrize(
    ("line", "day"),
    [
        ("公開日：2026年12月7日\u3000更新日：2026年12月8日", DECEMBER_7),  # a field each
        ("2026年\u300012月\u30007日", DECEMBER_7),  # a date's padding
        ("令和８年12月\u3000７日", DECEMBER_7),
        ("2026年12月7日\u3000更新", None),  # the update's label beside its date
        ("最終更新日：\u30002026年12月7日", None),
    ],
)
def test_an_ideographic_space_splits_fields_not_dates_or_labels(line: str, day: date | None) -> None:
    assert read_day(line, locale="ja") == day
