from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.links import MAX_ADVERTISED_FEEDS, Link, page_links

PAGE = "http://127.0.0.1:8001/"
HOME = """<!doctype html><html><head><link rel="stylesheet" href="/style.css"></head><body>
<nav><a href="/section/world/">World</a><a href="#main">Skip</a><a href="/">Home</a></nav>
<a href="/news/a?utm_source=homepage&amp;utm_medium=web">A</a>
<a href="http://127.0.0.1:8001/news/a#comments">A again</a>
<a href="/NEWS/b">B</a>
<a href="HTTP://127.0.0.1:8001/news/c?id=1&amp;fbclid=x">C</a>
<a href="http://127.0.0.1:8002/news/elsewhere">other site, same host</a>
<a href="https://www.example.com/x">other site</a>
<a href="mailto:desk@example.com">mail</a><a href="javascript:void(0)">js</a><a href="tel:+100">tel</a>
<a href="/img/photo.JPG">photo</a><a href="/files/report.pdf?download=1">pdf</a><a href="/rss.xml">feed</a>
<a>no href</a><a href="   ">blank</a><a href="http://[::1">broken</a>
<a href="/private/secret">private</a>
</body></html>"""


def same_site_anchors(html: str, *, page_url: str) -> list[Link]:
    return page_links(html, page_url=page_url).links


def advertised_feeds(html: str, *, page_url: str) -> list[str]:
    return page_links(html, page_url=page_url).feeds


def same_site_links(html: str, *, page_url: str) -> list[str]:
    return [link.url for link in same_site_anchors(html, page_url=page_url)]


def test_same_site_links_are_clean_unique_and_skip_assets_and_other_sites() -> None:
    assert same_site_links(HOME, page_url=PAGE) == [
        "http://127.0.0.1:8001/section/world/",
        "http://127.0.0.1:8001/news/a",
        "http://127.0.0.1:8001/NEWS/b",
        "http://127.0.0.1:8001/news/c?id=1",
        "http://127.0.0.1:8001/private/secret",  # robots.txt is the caller's check
    ]


def test_www_and_bare_host_are_the_same_site() -> None:
    html = '<a href="https://example.com/a">a</a><a href="https://www.example.com/b">b</a>'
    assert same_site_links(html, page_url="https://www.example.com/") == [
        "https://example.com/a",
        "https://www.example.com/b",
    ]


def test_relative_links_resolve_against_base_href() -> None:
    html = '<head><base href="/section/"></head><a href="story">s</a><a href="../top">t</a>'
    assert same_site_links(html, page_url="http://h/index.html") == ["http://h/section/story", "http://h/top"]


def test_trailing_slash_variants_count_once() -> None:
    assert same_site_links('<a href="/a/">1</a><a href="/a">2</a>', page_url="http://h/") == ["http://h/a/"]


def test_empty_and_xml_declared_documents() -> None:
    assert same_site_links("", page_url=PAGE) == []
    assert same_site_links("   \n", page_url=PAGE) == []
    xml_declared = '<?xml version="1.0" encoding="iso-8859-1"?><html><a href="/x">x</a></html>'
    assert same_site_links(xml_declared, page_url=PAGE) == ["http://127.0.0.1:8001/x"]


@given(st.text(max_size=300))
def test_arbitrary_html_never_raises(html: str) -> None:
    links = same_site_links(html, page_url=PAGE)
    assert all(link.startswith("http://127.0.0.1:8001/") for link in links)


HREFS = st.sampled_from(
    ["/a", "/a/", "a", "../b", "//127.0.0.1:8001/c", "http://x.org/", "#f", "?q=1", "/img.png", "mailto:x",
     "http://[", "/%zz", "/é", "javascript:", "/r?utm_source=x", "\x00", ""]
)  # fmt: skip


@given(st.lists(HREFS, max_size=12))
def test_generated_anchors_give_unique_same_site_links(hrefs: list[str]) -> None:
    html = "".join(f'<a href="{href}">x</a>' for href in hrefs)
    links = same_site_links(html, page_url=PAGE + "news/")
    assert len(set(links)) == len(links)
    assert all(link.startswith("http://127.0.0.1:8001/") and "utm_" not in link for link in links)


@pytest.mark.parametrize(
    ("href", "text", "menu"),
    [
        ("/world/", "World", True),
        ("/arts-and-culture/", "Arts & Culture", True),
        ("/2024/05/", "May 2024", True),  # a month's archive
        ("/2024/05/page/2/", "Next page", True),
        ("/author/jane-morrow/", "Jane Morrow", True),
        ("/2024/05/06/budget-passed/", "Budget passed", False),  # a short headline
        ("/2024/05/06/road-closures/", "Read more", False),
        ("/news/2024-05-06/obituary", "Obituary: Mary Hale", False),
        ("/story/4471203", "Flood latest", False),
        ("/news/ferry-strike-called-off-tonight", "Ferry strike", False),
        ("/news/ferry-strike-called-off-as-union-accepts", "Ferry strike called off as union accepts pay offer", False),
    ],
)
def test_a_short_anchor_is_a_menu_unless_its_address_is_an_articles(href: str, text: str, menu: bool) -> None:
    (link,) = same_site_anchors(f'<a href="{href}">{text}</a>', page_url=PAGE)
    assert link.looks_like_menu is menu


def test_a_homepage_advertises_its_feeds_in_link_alternate_tags() -> None:
    html = """<html><head><base href="http://127.0.0.1:8001/en/">
    <link rel="alternate" type="application/rss+xml" title="Desk &raquo; Feed" href="feed/?utm_source=x">
    <link rel="Alternate" type="application/atom+xml; charset=utf-8" href="/atom.xml">
    <link rel="alternate" type="application/rss+xml" title="Desk &raquo; Comments Feed" href="/comments/feed/">
    <link rel="alternate" type="application/rss+xml" title="Kommentar-Feed" href="/k.xml">
    <link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/2">
    <link rel="alternate" type="application/feed+json" href="https://feeds.example/desk.json">
    <link rel="alternate stylesheet" type="text/css" href="/dark.css">
    <link rel="alternate" hreflang="de" href="/de/">
    <link rel="alternate" type="application/rss+xml" href="mailto:x@example.com">
    <link rel="alternate" type="application/rss+xml" href="/en/feed/">
    </head><body><a href="/rss.xml">feed</a></body></html>"""
    assert advertised_feeds(html, page_url=PAGE) == [
        "http://127.0.0.1:8001/en/feed/",  # against <base>, without tracking, once
        "http://127.0.0.1:8001/atom.xml",
        "https://feeds.example/desk.json",  # a feed service's host is the site's feed too
    ]


def test_older_feed_types_and_rel_feed_are_feeds_and_plain_xml_only_when_named_one() -> None:
    # What themes still print (feedfinder reads these); a homepage with only these found nothing.
    tags = """<link rel="alternate" type="text/xml" title="RSS" href="/index.xml">
    <link rel="alternate" type="application/x.atom+xml" href="/atom">
    <link rel="alternate" type="application/x-rss+xml" href="/old.rss">
    <link rel="feed" href="/stories/">
    <link rel="alternate" type="application/xml" href="/export/page.xml">
    <link rel="alternate" type="text/xml+oembed" href="/oembed?url=x">"""
    assert advertised_feeds(f"<html><head>{tags}</head></html>", page_url=PAGE) == [
        "http://127.0.0.1:8001/index.xml",
        "http://127.0.0.1:8001/atom",
        "http://127.0.0.1:8001/old.rss",
        "http://127.0.0.1:8001/stories/",
    ]


def test_a_homepage_that_advertises_no_feed_gives_those_it_links_to_at_a_feeds_usual_address() -> None:
    body = """<a href="/feed/">RSS</a> <a href="/comments/feed/">Comments RSS</a> <a href="/news/rss.xml">News</a>
    <a href="https://feeds.example/desk.atom">Atom</a> <a href="/feedback/">Feedback</a> <a href="/rss-help">?</a>"""
    assert advertised_feeds(f"<html><body>{body}</body></html>", page_url=PAGE) == [
        "http://127.0.0.1:8001/feed/",
        "http://127.0.0.1:8001/news/rss.xml",
        "https://feeds.example/desk.atom",
    ]
    advertising = f'<html><head><link rel="alternate" type="application/rss+xml" href="/a.xml"></head><body>{body}'
    assert advertised_feeds(advertising, page_url=PAGE) == ["http://127.0.0.1:8001/a.xml"]  # the <link>s only


def test_a_homepage_advertising_many_feeds_gives_its_first_few() -> None:
    tags = "".join(f'<link rel="alternate" type="application/rss+xml" href="/s{k}.xml">' for k in range(9))
    feeds = advertised_feeds(f"<html><head>{tags}</head></html>", page_url=PAGE)
    assert feeds == [f"http://127.0.0.1:8001/s{k}.xml" for k in range(MAX_ADVERTISED_FEEDS)]


@given(st.text(max_size=300))
def test_advertised_feeds_never_raise_on_any_text(html: str) -> None:
    assert all(url.startswith("http") for url in advertised_feeds(html, page_url=PAGE))


@pytest.mark.parametrize(
    ("title", "href", "kept"),
    [
        ("Commentary Magazine » Feed", "/feed/", True),  # "comment" inside a word names no comments feed
        ("Opinion", "https://www.theguardian.com/commentisfree/rss", True),
        ("Comment", "/comment/rss.xml", True),  # an opinion section's feed
        ("Desk » Comments Feed", "/feed/", False),
        ("Flux des commentaires", "/fr/feed/", False),
        ("Feed dei commenti", "/it/feed/", False),
        ("Лента комментариев", "/ru/feed/", False),
        ("", "/comments/feed/", False),
    ],
)
def test_comments_feeds_are_told_from_a_sites_story_feeds(title: str, href: str, kept: bool) -> None:
    tag = f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{href}">'
    assert bool(advertised_feeds(f"<html><head>{tag}</head></html>", page_url=PAGE)) is kept


def test_a_json_feed_may_be_advertised_as_plain_json_but_wordpress_api_records_are_no_feeds() -> None:
    tags = (
        '<link rel="alternate" type="application/json" title="JSON Feed" href="/feed.json">'
        '<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/2">'
        '<link rel="alternate" type="application/json" title="Data" href="/data.json">'
        '<link rel="alternate" type="application/rss+xml" href="#">'  # the page itself
    )
    assert advertised_feeds(f"<html><head>{tags}</head></html>", page_url=PAGE) == ["http://127.0.0.1:8001/feed.json"]
