from __future__ import annotations

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


def test_short_lines_that_open_a_story_without_headline_byline_or_date_stay() -> None:
    # A poem's first lines and an "At a glance" list of figures end no sentence and are under five words: they
    # were dropped as the page's crumbs.
    for opening in (["Salt on the sill,", "bread on the board,", "my father's coat"], ["At a glance", "Dead: 12"]):
        text = "\n".join([*opening, "Missing: 5", *STORY])
        assert trim_crumbs(text, "Council approves budget") == text
