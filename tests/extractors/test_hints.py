"""Extraction hints: a source's selectors reach the page before the generic extractor does."""

from __future__ import annotations

import pytest

from extractors.article import ExtractionError, extract_article
from extractors.hints import ExtractionHints, apply_hints

STORY = " ".join(
    f"The ferry council met on day {n} and agreed the harbour timetable would change for winter." for n in range(8)
)
PROMO = " ".join(
    f"Subscribers also read about gardening tip number {n} in our weekly magazine section." for n in range(8)
)
PAGE = f"""<html><head><title>Ferry timetable changes</title>
<meta property="og:title" content="Ferry timetable changes">
<meta property="article:published_time" content="2026-05-01T10:00:00Z"></head>
<body><article><div class="c1"><p>{PROMO}</p></div>
<div id="story"><p>{STORY}</p><aside class="teaser"><p>Read this too: other things.</p></aside></div></article>
<script type="application/ld+json">{{"@type": "NewsArticle", "author": {{"name": "Ana Ruiz"}}}}</script>
</body></html>"""


def test_without_hints_the_generic_extractor_keeps_a_promo_it_cannot_tell_from_the_story() -> None:
    # The premise of the hints below: on this page the promo reads like a story paragraph.
    assert "gardening tip" in extract_article(PAGE, url="https://news.example/a").text


@pytest.mark.parametrize("selector", ["#story", "div#story", "//div[@id='story']"])
def test_a_body_selector_in_css_or_xpath_keeps_only_the_story(selector: str) -> None:
    article = extract_article(PAGE, url="https://news.example/a", hints=ExtractionHints(body_selector=selector))
    assert "harbour timetable" in article.text and "gardening tip" not in article.text


def test_the_head_and_json_ld_survive_a_body_selector() -> None:
    hints = ExtractionHints(body_selector="#story")
    article = extract_article(PAGE, url="https://news.example/a", hints=hints)
    assert article.title == "Ferry timetable changes"
    assert article.published_at is not None and article.authors == ("Ana Ruiz",)


def test_exclude_selectors_drop_elements_before_extraction() -> None:
    hints = ExtractionHints(exclude_selectors=(".c1", "//aside"))
    html = apply_hints(PAGE, hints, url="https://news.example/a")
    assert "gardening tip" not in html and "Read this too" not in html and "harbour timetable" in html
    assert "gardening tip" not in extract_article(PAGE, url="https://news.example/a", hints=hints).text


def test_a_body_selector_that_matches_nothing_is_an_extraction_error_naming_it() -> None:
    with pytest.raises(ExtractionError, match=r"body_selector '\.story-body' matches nothing in 'https://news"):
        extract_article(PAGE, url="https://news.example/a", hints=ExtractionHints(body_selector=".story-body"))


@pytest.mark.parametrize(
    ("hints", "message"),
    [
        (dict(body_selector="div[["), "body_selector 'div[[' is not a valid CSS selector or XPath"),
        (dict(body_selector="//div[@id="), "body_selector '//div[@id=' is not a valid CSS selector or XPath"),
        (dict(exclude_selectors=("",)), "exclude_selectors entry '' is not a valid CSS selector or XPath: it is empty"),
    ],
)
def test_a_bad_selector_is_refused_when_the_hints_are_built(hints: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        ExtractionHints(**hints)  # type: ignore[arg-type]


def test_an_xpath_that_selects_no_elements_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match=r"selects values other than elements \(text, numbers\)"):
        extract_article(PAGE, url="https://news.example/a", hints=ExtractionHints(body_selector="//p/text()"))
