from __future__ import annotations

from datetime import date

import pytest

from extractors._trim import trim_crumbs

STORY = [
    "The council approved next year's budget on Monday after a debate that ran past midnight.",
    "Spending on roads rises by a tenth, and the library keeps its Sunday hours, officials said.",
]


def test_a_leading_run_of_page_chrome_with_the_headline_and_byline_goes() -> None:
    # trafilatura's whole-page fallback: the site's name, a menu, the headline, the byline, the date.
    chrome = ["The Courier", "Skip to main content", "Council approves budget", "By Tom Reed", "May 12, 2024"]
    text = "\n".join([*chrome, *STORY])
    assert trim_crumbs(text, "Council approves budget", ("Tom Reed",)) == "\n".join(STORY)


@pytest.mark.parametrize(
    "chrome",
    [
        ["Skip to main content", "Home", "News", "Sport", "Weather"],
        ["Home", "News", "World", "Tuesday 5 March 2024"],
        ["Home", "News", "Published 3 hours ago"],
        ["Home", "News", "By Jane Smith"],
        ["Share", "Tweet", "Email", "Print"],
        ["Listen to this article", "Text size", "Save for later", "Gift article"],
    ],
)
def test_a_leading_run_with_a_menus_or_a_toolbars_words_a_byline_or_a_date_goes(chrome: list[str]) -> None:
    # The review of the first version: a run went only with the headline, an author the page names, or a date in
    # one of three forms.
    assert trim_crumbs("\n".join([*chrome, *STORY]), "Floods hit the valley") == "\n".join(STORY)


def test_short_lines_that_open_a_story_without_headline_byline_or_date_stay() -> None:
    # A poem's first lines and an "At a glance" list of figures end no sentence and are under five words: they
    # were dropped as the page's crumbs.
    for opening in (["Salt on the sill,", "bread on the board,", "my father's coat"], ["At a glance", "Dead: 12"]):
        text = "\n".join([*opening, "Missing: 5", *STORY])
        assert trim_crumbs(text, "Council approves budget") == text


@pytest.mark.parametrize(
    "box",
    [
        ["By the numbers", "3,000 homes flooded", "12 people dead"],
        ["By road: A64 closed", "By rail: no trains", "By air: flights normal"],
        ["When: 5 March 2024", "Where: Town Hall, Leeds", "Tickets: £10"],
        ["Key dates", "12 March 2024: filed", "1 May 2024: vote"],
    ],
)
def test_a_fact_box_that_opens_a_story_is_no_byline_or_dateline(box: list[str]) -> None:
    # The review of the second version: "By" before no name and an event's date made a fact box the page's chrome.
    text = "\n".join([*box, *STORY])
    assert trim_crumbs(text, "Floods hit the valley", page_days=[date(2024, 2, 20)]) == text


def test_a_date_line_that_names_the_pages_day_is_its_dateline() -> None:
    chrome = ["Home", "News", "When: 5 March 2024"]
    text = "\n".join([*chrome, *STORY])
    assert trim_crumbs(text, "Floods hit the valley", page_days=[date(2024, 3, 5)]) == "\n".join(STORY)


@pytest.mark.parametrize(
    "chrome",
    [
        ["Home", "Nation", "By The Associated Press"],
        ["Startseite", "Politik", "von dpa"],
        ["Accueil", "Sport", "Par la rédaction"],
        ["Home", "Local", "By 9News Staff"],
        ["Startseite", "Lokales", "Di 05.03.2024 10:30 Uhr"],
        ["The Courier", "Tuesday 10 December 2024", "Home", "News"],  # the masthead's today, not the story's day
    ],
)
def test_a_newsrooms_byline_and_a_bare_date_stay_chrome_whatever_the_pages_day(chrome: list[str]) -> None:
    # The review of the first version of the rules above: an article before the name, a newsroom's lower-case
    # word, a weekday that reads like "di", and a masthead's date other than the page's made chrome a story.
    text = "\n".join([*chrome, *STORY])
    assert trim_crumbs(text, "Floods hit the valley", page_days=[date(2024, 3, 5)]) == "\n".join(STORY)


@pytest.mark.parametrize(
    "box",
    [
        ["Key points:", "Budget passes 7-2", "Roads up 10%", "Library hours kept"],
        ["Key dates:", "12 March: filed", "1 May: vote"],
        ["What we know:"],
    ],
)
def test_a_fact_box_headed_by_a_label_stays(box: list[str]) -> None:
    # A lone label ("Key points:") counted as a byline's or a date's, so the box it heads went as the page's chrome.
    text = "\n".join([*box, *STORY])
    assert trim_crumbs(text, "Floods hit the valley") == text


def test_a_label_before_a_date_or_byline_still_goes() -> None:
    chrome = ["The Courier", "Home", "Published:", "May 12, 2024"]
    assert trim_crumbs("\n".join([*chrome, *STORY]), "Floods hit the valley") == "\n".join(STORY)
    assert trim_crumbs("\n".join(["By:", "Tom Reed", *STORY]), "x", ("Tom Reed",)) == "\n".join(STORY)
