"""Is a page an article or an index of articles? Pages written after the patterns that fooled the old count."""

from __future__ import annotations

import pytest

from extractors.article import ExtractionError, NotAnArticleError, extract_article

STORY = " ".join(
    f"Paragraph {i} of the story says what the council decided on Tuesday, who voted for it, and why the"
    " residents of the harbour district had asked for the change in the first place."
    for i in range(6)
)
STORY_HTML = "".join(f"<p>{sentence}.</p>" for sentence in STORY.split(". ") if sentence)


def card(n: int, *, teaser: bool = True) -> str:
    body = f"<p class='teaser'>The opening sentence of story {n}, as the section page shows it to readers.</p>"
    return (
        f"<div class='card'><h3><a href='/news/story-{n}'>Headline number {n} about the harbour</a></h3>"
        f"{body if teaser else ''}<time datetime='2025-03-0{n % 9 + 1}'>March {n % 9 + 1}</time></div>"
    )


def page(main: str, *, chrome: str = "", head: str = "") -> str:
    return (
        f"<html><head><title>The Harbour Times</title>{head}</head><body>"
        f"<header><h1><a href='/'>The Harbour Times</a></h1><nav><a href='/news'>News</a>"
        f"<a href='/sport'>Sport</a></nav></header>{chrome}<main>{main}</main>"
        "<footer><p>Copyright The Harbour Times</p></footer></body></html>"
    )


def test_section_page_of_teaser_cards_is_not_an_article_and_keeps_its_text() -> None:
    html = page("<h1>Harbour news</h1>" + "".join(card(n) for n in range(1, 7)))
    with pytest.raises(NotAnArticleError, match="teaser cards of 6 headline links") as caught:
        extract_article(html, url="https://harbour.example/news/")
    assert "The opening sentence of story 3" in caught.value.text


def test_section_page_in_chinese_is_not_an_article() -> None:
    teaser = "<p>市议会周二决定，港口区的居民此前要求改变。</p>"
    cards = "".join(
        f"<div><h3><a href='/n/{n}'>港口区居民要求市议会改变计划第{n}号</a></h3>{teaser}</div>" for n in range(1, 6)
    )
    with pytest.raises(NotAnArticleError):
        extract_article(page(cards), url="https://harbour.example/zh/")


def test_blog_post_whose_title_tags_and_neighbours_are_heading_links_is_an_article() -> None:
    # nymag's Daily Intel, 2009: the site name, the post's own title (another URL form), tag headings and the
    # neighbouring posts' headlines are all links inside headings.
    main = (
        "<div class='post'><h2><a href='https://www.harbour.example/blog/council-vote?src=home'>Council votes"
        " yes on the harbour plan</a></h2>"
        f"<div class='entry'>{STORY_HTML}</div>"
        "<h3><a href='/tag/council'>Tags: council, harbour</a></h3></div>"
        "<div class='next'><h2><a href='/blog/ferry'>Ferry terminal reopens after repairs</a></h2>"
        "<h2><a href='/blog/library'>Library to open until midnight</a></h2></div>"
    )
    article = extract_article(page(main), url="https://harbour.example/blog/council-vote")
    assert "Paragraph 5 of the story" in article.text


def test_menus_and_logo_in_headings_do_not_make_an_index() -> None:
    # canada.com, 2008: an <h4> menu and a logo heading link, outside any <nav>.
    chrome = (
        "<div id='topmenu'><h4><a href='/classifieds'>local classifieds</a></h4><h4><a href='/jobs'>find jobs"
        "</a></h4><h4><a href='/cars'>new cars</a></h4></div><h3 class='logo'><a href='/'>Harbour Times home</a></h3>"
    )
    article = extract_article(page(STORY_HTML, chrome=chrome), url="https://harbour.example/news/council")
    assert "Paragraph 0 of the story" in article.text


def test_story_beside_a_sidebar_of_teasers_is_an_article() -> None:
    main = f"<article>{STORY_HTML}</article><div class='more'>{''.join(card(n) for n in range(1, 9))}</div>"
    article = extract_article(page(main), url="https://harbour.example/news/council")
    assert "Paragraph 3 of the story" in article.text


def test_page_declaring_an_article_is_never_an_index() -> None:
    head = "<meta property='og:type' content='article'>"
    html = page("".join(card(n) for n in range(1, 5)), head=head)
    assert "The opening sentence of story 2" in extract_article(html, url="https://harbour.example/live/harbour").text


def test_a_tiny_page_whose_only_text_is_its_story_is_kept() -> None:
    # Readability's 005-unescape-html-entities and js-link-replacement: trafilatura reads them, so do we.
    assert extract_article("<html><body><p>abc</p><p>def</p></body></html>", url="https://a.example/x").text


def test_crumbs_of_page_chrome_are_not_a_story() -> None:
    html = page("<h1>Harbour news</h1>", chrome="<div><a href='/a'>Home</a> | <a href='/b'>World</a></div>")
    with pytest.raises(ExtractionError):
        extract_article(html, url="https://harbour.example/news/")


def test_a_link_blog_post_listed_in_the_feed_is_an_article() -> None:
    # A link-blog post: its heading links to the story it comments on, and its text sits under that heading.
    main = (
        "<div class='linked'><h2><a href='https://other.example/report'>Harbour report is out today</a></h2>"
        "<p>The port authority's yearly report is worth reading for its traffic figures alone.</p></div>"
    )
    url = "https://blog.example/2025/03/harbour-report"
    with pytest.raises(NotAnArticleError):
        extract_article(page(main), url=url)
    assert "worth reading" in extract_article(page(main), url=url, listed=True).text


def test_a_section_page_listed_in_the_feed_is_still_an_index() -> None:
    html = page("".join(card(n) for n in range(1, 6)))
    with pytest.raises(NotAnArticleError):
        extract_article(html, url="https://harbour.example/news/", listed=True)


def headline_list(n: int, *, tag: str = "li") -> str:
    items = "".join(
        f"<{tag}><a href='/news/2025/story-{k}'>Council approves new budget plan for district {k}</a>"
        f" <span class='date'>March {k}, 2025</span></{tag}>"
        for k in range(1, n + 1)
    )
    return f"<ul class='stories'>{items}</ul>" if tag == "li" else items


@pytest.mark.parametrize("tag", ["li", "p"])
def test_section_page_that_lists_headlines_without_headings_is_an_index(tag: str) -> None:
    html = page("<h1>Harbour news</h1>" + headline_list(12, tag=tag))
    with pytest.raises(NotAnArticleError, match="teaser cards of 12 headline links") as caught:
        extract_article(html, url="https://harbour.example/news/")
    assert "district 7" in caught.value.text


def test_story_that_ends_with_a_list_of_related_headlines_is_an_article() -> None:
    article = extract_article(page(STORY_HTML + headline_list(8)), url="https://harbour.example/news/council")
    assert "Paragraph 4 of the story" in article.text


def test_explainer_of_linked_bullets_is_an_article() -> None:
    # Each bullet links a few of its words: prose, not a headline list, however short the intro.
    bullets = "".join(
        f"<li>The council's <a href='/docs/{k}'>decision number {k} on the harbour</a> moves the ferry stop,"
        " closes the old pier at night and sets a new fee for the boats that moor there in winter.</li>"
        for k in range(1, 7)
    )
    html = page(f"<h1>What we know</h1><p>Six decisions changed the harbour.</p><ul>{bullets}</ul>")
    article = extract_article(html, url="https://harbour.example/news/what-we-know")
    assert "decision number 6 on the harbour" in article.text


def test_a_menu_of_short_section_links_outside_chrome_does_not_make_an_index() -> None:
    menu = "<ul class='topics'>" + "".join(f"<li><a href='/t/{w}'>{w} news</a></li>" for w in "abcdefgh") + "</ul>"
    article = extract_article(page(menu + STORY_HTML), url="https://harbour.example/news/council")
    assert "Paragraph 0 of the story" in article.text


def test_a_breaking_stub_over_a_few_bullets_of_earlier_coverage_is_an_article() -> None:
    # A review of this stop's headline lists: one sentence of story and three linked bullets was refused.
    bullets = "".join(
        f"<li><a href='/news/2025/harbour-street-{k}'>{headline}</a></li>"
        for k, headline in enumerate(
            [
                "Residents of Harbour Street warned the council about faulty wiring in March",
                "Fire service inspection found the block's alarms had been switched off",
                "Council promised a review of every tower block in the borough",
            ]
        )
    )
    main = (
        "<h1>Two dead in Harbour Street fire</h1><p>Two people died in a fire in a tower block on Harbour Street"
        f" early on Tuesday, police said.</p><ul>{bullets}</ul>"
    )
    article = extract_article(page(main), url="https://harbour.example/news/2025/harbour-street-fire")
    assert "Two people died" in article.text


SORRY = "".join(
    f"<p>{line}</p>"
    for line in (
        "Sorry, the page you were looking for could not be found. It may have been moved or deleted.",
        "Please check the address and try again, or use the search box below to find what you are looking for.",
        "You can also return to our home page to read the latest news, sport and business stories.",
    )
)


@pytest.mark.parametrize(
    ("title", "h1"),
    [
        ("Page not found | The Harbour Times", "404 - Page not found"),
        ("Error 404", "Oops! Page not found"),
        ("The Harbour Times", "Seite nicht gefunden"),
        ("Страница не найдена — Harbour", "Ошибка 404"),
        ("ページが見つかりません", "ページが見つかりません"),
    ],
)
def test_a_page_not_found_answered_with_200_is_no_article(title: str, h1: str) -> None:
    html = f"<html><head><title>{title}</title></head><body><main><h1>{h1}</h1>{SORRY}</main></body></html>"
    with pytest.raises(NotAnArticleError, match="soft 404"):
        extract_article(html, url="https://harbour.example/news/2025/moved-story")


def test_a_story_about_a_404_is_an_article() -> None:
    html = page(f"<h1>404 Not Found: the error page that shaped the web</h1>{STORY_HTML}")
    assert "Paragraph 2 of the story" in extract_article(html, url="https://harbour.example/tech/404").text
    html = f"<html><head><title>Not found</title></head><body><article><h1>Not found</h1>{STORY_HTML * 3}</article>"
    assert "Paragraph 2 of the story" in extract_article(html + "</body></html>", url="https://harbour.example/a").text


@pytest.mark.parametrize(
    ("title", "head"),
    [
        ("Missing fishing boat – not found | Harbour Times", ""),
        ("Vermisstes Boot – nicht gefunden | Hafenblatt", ""),
        ("Not Found | Harbour Times", "<meta property='og:type' content='article'>"),
        ("Not Found", "<meta property='article:published_time' content='2025-03-02T10:00:00Z'>"),
    ],
)
def test_a_short_story_whose_title_says_not_found_is_an_article(title: str, head: str) -> None:
    # A review of the soft-404 rule: a title's part after a dash, a film review titled "Not Found".
    html = (
        f"<html><head><title>{title}</title>{head}</head><body><article><h1>{title.split(' | ')[0]}</h1>"
        "<p>The fishing boat that left the harbour on Monday has still not been found, the coastguard said.</p>"
        "<p>Two helicopters searched the bay until dark, and the search resumes at first light.</p></article>"
        "</body></html>"
    )
    assert "still not been found" in extract_article(html, url="https://harbour.example/news/boat").text
