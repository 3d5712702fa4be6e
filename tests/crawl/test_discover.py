"""Discovery against a loopback site: feeds, sitemap indexes, broken feeds, depth-limited link following."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from crawl import discover as discover_module
from crawl.discover import Budget, Discovery, Limits, discover_source
from crawl.fetch import Fetched, Fetcher, FetchPolicy, Validators
from crawl.sources import Source
from extractors.urls import clean_url
from tests.loopback import Raw, Request, Route, page, serve

XML = "application/xml"


def rss(*paths: str) -> str:
    items = "".join(f"<item><title>t</title><link>@@{p}?utm_source=rss</link></item>" for p in paths)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'


def sitemap_index(*paths: str) -> str:
    maps = "".join(f"<sitemap><loc>@@{p}</loc></sitemap>" for p in paths)
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'


def urlset(*paths: str) -> str:
    urls = "".join(f"<url><loc>@@{p}</loc></url>" for p in paths)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def listing(*links: tuple[str, str]) -> str:
    return "<html><body>" + "".join(f'<a href="{href}">{text}</a>' for href, text in links) + "</body></html>"


def slowly(route: Route, seconds: float) -> Route:
    def answer(request: Request) -> tuple[int, dict[str, str], bytes] | Raw:
        time.sleep(seconds)
        return route(request)

    return answer


def discover(
    routes: Mapping[str, str | tuple[str, str] | tuple[str, str, float]],
    source: Source,
    requested: list[str] | None = None,
    limits: Limits | None = None,
    keep: Callable[[Fetched], None] | None = None,
    known_feeds: tuple[str, ...] = (),
) -> tuple[Discovery, list[str]]:
    with serve({}) as site:
        for path, body in routes.items():
            text, ctype, pause = (*body, 0.0)[:3] if isinstance(body, tuple) else (body, "text/html", 0.0)
            site.routes[path] = slowly(page(text.replace("@@", site.base), content_type=ctype), pause)
        resolved = Source(
            name=source.name,
            homepage=site.base + "/",
            feeds=tuple(site.base + f for f in source.feeds),
            sitemaps=tuple(site.base + s for s in source.sitemaps),
            autodiscover=source.autodiscover,
            discover_links=source.discover_links,
            link_depth=source.link_depth,
        )
        known = [site.base + f for f in known_feeds]

        async def go() -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0)) as fetcher:
                return await discover_source(
                    fetcher, resolved, validators={}, known_feeds=known, limits=limits, keep=keep
                )

        found = asyncio.run(go())
        paths = [c.url.removeprefix(site.base) for c in found.candidates]
        if requested is not None:
            requested += [r.path for r in site.log]
    return found, paths


def test_feed_and_sitemap_index_urls_are_merged_once_each_without_tracking() -> None:
    routes = {
        "/rss.xml": (rss("/a", "/b", "/a"), XML),
        "/sitemap.xml": (sitemap_index("/sitemap-news.xml"), XML),
        "/sitemap-news.xml": (urlset("/b", "/c/", "/"), XML),
    }
    found, paths = discover(routes, Source("s", feeds=("/rss.xml",), sitemaps=("/sitemap.xml",)))
    assert paths == ["/a", "/b", "/c"]  # keyed without slash; the front page "/" is never a candidate
    assert [c.fetch_url.endswith("/c/") for c in found.candidates] == [False, False, True]
    # Feed items are listed as articles; a plain sitemap entry is not (sitemaps list section pages too).
    assert [c.listed for c in found.candidates] == [True, True, False]


def test_a_malformed_feed_is_recorded_and_the_sitemap_still_counts() -> None:
    routes = {"/rss.xml": ("<html><body>&broken", XML), "/sitemap.xml": (urlset("/a"), XML)}
    found, paths = discover(routes, Source("s", feeds=("/rss.xml",), sitemaps=("/sitemap.xml",)))
    assert paths == ["/a"]
    (error,) = found.errors
    assert error.stage == "discover" and error.url.endswith("/rss.xml") and error.error_type == "FeedError"


def test_a_parser_defect_on_one_feed_is_an_error_row_and_the_other_feeds_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stands in for a defect like the LookupError an EUC-JP feed raised: anything a parser raises beyond its own
    # FeedError ended the source's discovery, the sitemap and the other feed with it.
    real = discover_module.parse_feed

    def parse_feed(content: bytes, **kwargs: object) -> object:
        if b"/odd" in content:
            raise LookupError("unknown encoding: 'b'euc_jp''")
        return real(content, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(discover_module, "parse_feed", parse_feed)
    routes = {"/odd.xml": (rss("/odd"), XML), "/rss.xml": (rss("/a"), XML), "/sitemap.xml": (urlset("/b"), XML)}
    source = Source("s", feeds=("/odd.xml", "/rss.xml"), sitemaps=("/sitemap.xml",))
    found, paths = discover(routes, source)
    assert paths == ["/a", "/b"]
    (error,) = found.errors
    assert error.url.endswith("/odd.xml") and error.error_type == "LookupError"
    assert "unexpectedly" in error.message and "euc_jp" in error.message


def test_a_recovered_feed_keeps_its_items_and_is_recorded() -> None:
    truncated = rss("/a", "/b").split("</item>")[0] + "</item><item><title>cut"
    found, paths = discover({"/rss.xml": (truncated, XML)}, Source("s", feeds=("/rss.xml",)))
    assert paths == ["/a"]
    (error,) = found.errors
    assert error.error_type == "FeedRecovered" and error.message.startswith("not well-formed XML")


def test_link_discovery_follows_menus_to_the_depth_limit() -> None:
    routes = {
        "/robots.txt": ("User-agent: *\nDisallow: /private/\n", "text/plain"),
        "/": listing(
            ("/world/", "World"), ("/news/1", "Harbour reopens after a week of repairs"), ("/private/", "Staff")
        ),
        "/world/": listing(("/tech/", "Tech"), ("/news/2", "Ferry fares rise for the second time this year")),
        "/tech/": listing(("/news/3", "A story only two levels of menus down")),
        "/private/": "secret",
    }
    source = Source("s", feeds=(), discover_links=True, link_depth=2)
    requested: list[str] = []
    found, paths = discover(routes, source, requested)
    assert paths == ["/news/1", "/news/2"]
    assert "/private/" not in requested and requested[0] == "/robots.txt"
    assert sorted(r.url.split("/", 3)[-1] for r in found.responses if r.kind == "page" and r.ok) == ["", "world/"]


def test_a_short_headline_or_read_more_link_to_an_article_is_a_candidate_not_a_listing() -> None:
    routes = {
        "/": listing(
            ("/news/", "News"),
            ("/2024/05/06/budget-passed/", "Budget passed"),
            ("/2024/05/06/road-closures/", "Read more"),
        ),
        "/news/": listing(("/news/harbour-reopens-after-repairs", "Harbour reopens after a week of repairs")),
    }
    found, paths = discover(routes, Source("s", feeds=(), discover_links=True, link_depth=2))
    assert paths == ["/2024/05/06/budget-passed", "/2024/05/06/road-closures", "/news/harbour-reopens-after-repairs"]
    assert sorted(r.url.split("/", 3)[-1] for r in found.responses if r.kind == "page") == ["", "news/"]


def test_sitemap_urls_over_the_per_source_cap_are_counted_not_read() -> None:
    with serve({}) as site:
        site.routes["/sitemap.xml"] = page(urlset("/a", "/b", "/c").replace("@@", site.base), content_type=XML)
        source = Source(name="s", sitemaps=(site.base + "/sitemap.xml",))

        async def go() -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0)) as fetcher:
                return await discover_source(fetcher, source, validators={}, limits=Limits(max_sitemap_urls=2))

        found = asyncio.run(go())
    assert [c.url.removeprefix(site.base) for c in found.candidates] == ["/a", "/b"]
    (error,) = found.errors
    assert error.error_type == "SitemapCapped" and error.message.startswith("1 URLs of a sitemap not read")


def test_a_feed_and_a_sitemap_past_their_caps_are_read_in_part_and_recorded() -> None:
    paths = [f"/n/{i}" for i in range(30)]
    routes = {"/rss.xml": (rss(*paths), XML), "/sitemap.xml": (urlset(*paths[::-1]), XML)}
    limits = Limits(max_items_per_feed=10, max_urls_per_sitemap=5)
    found, found_paths = discover(routes, Source("s", feeds=("/rss.xml",), sitemaps=("/sitemap.xml",)), limits=limits)
    assert found_paths == paths[:10] + paths[::-1][:5]
    messages = {e.url.rsplit("/", 1)[-1]: e.message for e in found.errors}
    assert {(e.stage, e.error_type) for e in found.errors} == {("discover", "ListingTruncated")}
    assert "first 10 (max_items_per_feed)" in messages["rss.xml"]
    assert "first 5 (max_urls_per_sitemap)" in messages["sitemap.xml"]


def test_a_feed_at_its_cap_is_not_called_truncated() -> None:
    routes = {"/rss.xml": (rss("/a", "/b"), XML)}
    found, paths = discover(routes, Source("s", feeds=("/rss.xml",)), limits=Limits(max_items_per_feed=2))
    assert paths == ["/a", "/b"] and found.errors == []


def test_discovery_keeps_each_request_but_not_its_body() -> None:
    routes = {"/rss.xml": (rss("/a"), XML), "/sitemap.xml": (urlset("/b"), XML)}
    found, _ = discover(routes, Source("s", feeds=("/rss.xml",), sitemaps=("/sitemap.xml",)))
    assert sorted(r.kind for r in found.responses) == ["feed", "sitemap"]
    assert all(r.ok and r.attempts and r.body == b"" for r in found.responses)
    assert found.reached


def test_each_listing_that_answered_is_handed_to_keep_with_its_body() -> None:
    routes = {"/rss.xml": (rss("/a"), XML), "/sitemap.xml": (urlset("/b"), XML)}
    kept: list[Fetched] = []
    source = Source("s", feeds=("/rss.xml", "/missing.xml"), sitemaps=("/sitemap.xml",))
    found, paths = discover(routes, source, keep=kept.append)
    assert paths == ["/a", "/b"]
    assert sorted((r.kind, r.status) for r in found.responses) == [("feed", 200), ("feed", 404), ("sitemap", 200)]
    assert sorted(r.kind for r in kept) == ["feed", "sitemap"]  # the 404 is not kept
    assert [r.body.count(b"<item>") for r in kept if r.kind == "feed"] == [1]
    assert [r.body.count(b"<url>") for r in kept if r.kind == "sitemap"] == [1]


def test_no_more_listings_are_fetched_once_a_source_has_its_fill_of_urls() -> None:
    children = {f"/c{k}.xml": (urlset(*(f"/n/{k}-{i}" for i in range(3))), XML) for k in range(5)}
    routes = {"/sitemap.xml": (sitemap_index(*children), XML), **children}
    requested: list[str] = []
    _, paths = discover(routes, Source("s", sitemaps=("/sitemap.xml",)), requested, Limits(max_candidates=4))
    assert paths == ["/n/0-0", "/n/0-1", "/n/0-2", "/n/1-0"]  # document order, though fetched concurrently
    assert "/c3.xml" not in requested and "/c4.xml" not in requested


def test_urls_listed_past_a_sources_fill_are_counted_in_an_errors_row() -> None:
    routes = {"/rss.xml": (rss(*(f"/n/{i}" for i in range(5))), XML)}
    found, paths = discover(routes, Source("s", feeds=("/rss.xml",)), limits=Limits(max_candidates=3))
    assert paths == ["/n/0", "/n/1", "/n/2"]
    (error,) = found.errors
    assert error.error_type == "CandidatesCapped" and "2 more URLs were listed after the first 3" in error.message


def test_an_indexs_newest_children_are_read_first_and_files_past_the_cap_are_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discover_module, "MAX_SITEMAPS_PER_SOURCE", 4)
    # Oldest first, as Yoast and WordPress list them; c5 has no lastmod.
    children = {f"/c{k}.xml": (urlset(f"/n/{k}"), XML) for k in range(6)}
    maps = "".join(
        f"<sitemap><loc>@@/c{k}.xml</loc>{f'<lastmod>2026-0{k + 1}-01</lastmod>' if k < 5 else ''}</sitemap>"
        for k in range(6)
    )
    index = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'
    requested: list[str] = []
    found, paths = discover(
        {"/sitemap.xml": (index, XML), **children}, Source("s", sitemaps=("/sitemap.xml",)), requested
    )
    assert sorted(paths) == ["/n/2", "/n/3", "/n/4"]  # the index, then its three newest children
    (error,) = found.errors
    assert error.error_type == "SitemapFilesCapped" and error.message.startswith("source 's': 3 sitemaps not read")


def test_child_sitemaps_left_unread_are_counted_in_an_errors_row_with_their_reason() -> None:
    # Children past the depth, and children of an index read after the URL cap, were dropped without a word.
    deep = {f"/d{k}.xml": (sitemap_index(f"/d{k + 1}.xml"), XML) for k in range(5)}
    found, paths = discover({**deep, "/d5.xml": (urlset("/n/deep"), XML)}, Source("s", sitemaps=("/d0.xml",)))
    assert paths == []
    assert [(e.error_type, e.message) for e in found.errors] == [
        (
            "SitemapFilesCapped",
            "source 's': 1 sitemaps not read this run: they are nested deeper than 3 levels of sitemap indexes",
        ),
    ]
    # An index read once the URL cap is used up (it answers after the sitemap that used it up).
    routes = {"/a.xml": (urlset("/n/a", "/n/b"), XML), "/idx.xml": (sitemap_index("/c0.xml", "/c1.xml"), XML, 0.3)}
    found, paths = discover(
        {**routes, "/c0.xml": (urlset("/n/c"), XML), "/c1.xml": (urlset("/n/d"), XML)},
        Source("s", sitemaps=("/a.xml", "/idx.xml")),
        limits=Limits(max_sitemap_urls=2),
    )
    assert sorted(paths) == ["/n/a", "/n/b"]
    assert [e.message for e in found.errors if e.error_type == "SitemapFilesCapped"] == [
        "source 's': 2 sitemaps not read this run: the source's sitemaps had listed max_sitemap_urls=2 URLs already"
    ]


def test_child_sitemaps_left_when_the_source_is_full_are_counted_where_no_url_was_cut() -> None:
    # The index's urlset fills the source exactly; its other child, an index, names one more sitemap.
    routes = {
        "/idx.xml": (sitemap_index("/c0.xml", "/c1.xml"), XML),
        "/c0.xml": (urlset("/n/a", "/n/b"), XML),
        "/c1.xml": (sitemap_index("/c2.xml"), XML),
        "/c2.xml": (urlset("/n/c"), XML),
    }
    found, paths = discover(routes, Source("s", sitemaps=("/idx.xml",)), limits=Limits(max_candidates=2))
    assert sorted(paths) == ["/n/a", "/n/b"]
    assert [e.message for e in found.errors] == [
        "source 's': 1 sitemaps not read this run: the source had its max_articles_per_source=2 URLs already"
    ]


def test_child_sitemaps_cut_off_when_the_source_fills_are_counted_beside_the_urls_cut() -> None:
    # The source fills on the index's first children: the children never fetched were counted nowhere, as
    # CandidatesCapped counts only the URLs of listings read.
    children = {f"/c{k}.xml": (urlset(f"/n/{k}-a", f"/n/{k}-b"), XML) for k in range(8)}
    requested: list[str] = []
    found, paths = discover(
        {"/idx.xml": (sitemap_index(*children), XML), **children},
        Source("s", sitemaps=("/idx.xml",)),
        requested,
        Limits(max_candidates=3),
    )
    assert len(paths) == 3
    fetched = [path for path in requested if path.startswith("/c")]
    assert 2 <= len(fetched) < 8
    messages = {e.error_type: e.message for e in found.errors}
    assert set(messages) == {"CandidatesCapped", "SitemapFilesCapped"}
    assert messages["SitemapFilesCapped"] == (
        f"source 's': {8 - len(fetched)} sitemaps not read this run: "
        "the source had its max_articles_per_source=3 URLs already"
    )


def test_children_seen_before_are_read_after_those_the_index_lists() -> None:
    children = {f"/c{k}.xml": (urlset(f"/n/{k}"), XML) for k in range(3)}
    routes = {"/sitemap.xml": (sitemap_index("/c2.xml"), XML), **children}
    with serve({}) as site:
        for path, (text, ctype) in routes.items():
            site.routes[path] = page(text.replace("@@", site.base), content_type=ctype)
        source = Source(name="s", sitemaps=(site.base + "/sitemap.xml",))
        known = [site.base + "/c0.xml", site.base + "/c1.xml"]

        async def go() -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0)) as fetcher:
                return await discover_source(fetcher, source, validators={}, known_sitemaps=known)

        found = asyncio.run(go())
        asked = [r.path for r in site.log if r.path != "/robots.txt"]
    assert asked[:2] == ["/sitemap.xml", "/c2.xml"] and sorted(asked[2:]) == ["/c0.xml", "/c1.xml"]
    assert sorted(c.url.removeprefix(site.base) for c in found.candidates) == ["/n/0", "/n/1", "/n/2"]


def test_an_indexs_files_never_read_before_go_first_when_not_all_can_be_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discover_module, "MAX_SITEMAPS_PER_SOURCE", 3)
    children = {f"/c{k}.xml": (urlset(f"/n/{k}"), XML) for k in range(4)}
    routes = {"/sitemap.xml": (sitemap_index(*children), XML), **children}  # no lastmods, oldest first
    with serve({}) as site:
        for path, (text, ctype) in routes.items():
            site.routes[path] = page(text.replace("@@", site.base), content_type=ctype)
        source = Source(name="s", sitemaps=(site.base + "/sitemap.xml",))
        known = [site.base + "/c0.xml", site.base + "/c1.xml"]  # read by earlier runs

        async def go() -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0)) as fetcher:
                return await discover_source(fetcher, source, validators={}, known_sitemaps=known)

        found = asyncio.run(go())
    assert sorted(c.url.removeprefix(site.base) for c in found.candidates) == ["/n/2", "/n/3"]
    (error,) = found.errors
    assert error.error_type == "SitemapFilesCapped" and "2 sitemaps not read" in error.message


def test_the_newest_dated_files_keep_half_the_reads_beside_those_never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # A review: 200 daily sitemaps, the 49 newest read by the first run; the next run read 49 older ones never read
    # and not the newest, changed since with the day's new story, which waited ~3 runs.
    monkeypatch.setattr(discover_module, "MAX_SITEMAPS_PER_SOURCE", 5)  # the index and 4 files
    days = [f"/day{k:02d}.xml" for k in range(12)]  # day11 the newest
    maps = "".join(
        f"<sitemap><loc>@@{d}</loc><lastmod>2026-12-{k + 1:02d}</lastmod></sitemap>" for k, d in enumerate(days)
    )
    index = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'
    with serve({}) as site:
        site.routes["/sitemap.xml"] = page(index.replace("@@", site.base), content_type=XML)
        for k, day in enumerate(days):
            site.routes[day] = page(urlset(f"/n/{k}").replace("@@", site.base), content_type=XML)
        source = Source(name="s", sitemaps=(site.base + "/sitemap.xml",))
        known = [site.base + d for d in days[8:]]  # the last run read the four newest

        async def go() -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0)) as fetcher:
                return await discover_source(fetcher, source, validators={}, known_sitemaps=known)

        found = asyncio.run(go())
    # The two newest (read before or not), then the newest of those never read.
    assert sorted(c.url.removeprefix(site.base) for c in found.candidates) == ["/n/10", "/n/11", "/n/6", "/n/7"]


def test_the_newest_dated_files_are_chosen_by_date_across_indexes(monkeypatch: pytest.MonkeyPatch) -> None:
    # The review of the rule above: taken in queue order, the first index's dated files (an archive) took the
    # newest half, and a later index's file of today waited behind the archive's never-read ones.
    monkeypatch.setattr(discover_module, "MAX_SITEMAPS_PER_SOURCE", 5)  # the two indexes and 3 files

    def index(files: dict[str, str]) -> str:
        maps = "".join(f"<sitemap><loc>@@{f}</loc><lastmod>{d}</lastmod></sitemap>" for f, d in files.items())
        return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'

    archive = {f"/archive/{k}.xml": f"2026-11-{k + 1:02d}" for k in range(8)}
    with serve({}) as site:
        site.routes["/archive.xml"] = page(index(archive).replace("@@", site.base), content_type=XML)
        site.routes["/news.xml"] = page(index({"/today.xml": "2026-12-07"}).replace("@@", site.base), content_type=XML)
        for k, path in enumerate([*archive, "/today.xml"]):
            site.routes[path] = page(urlset(f"/n/{k}").replace("@@", site.base), content_type=XML)
        source = Source(name="s", sitemaps=(site.base + "/archive.xml", site.base + "/news.xml"))
        known = [site.base + path for path in list(archive)[:4]]  # read by earlier runs

        async def go() -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0)) as fetcher:
                return await discover_source(fetcher, source, validators={}, known_sitemaps=known)

        found = asyncio.run(go())
    assert "/n/8" in [c.url.removeprefix(site.base) for c in found.candidates]  # today's file's story


def test_a_slow_first_listing_does_not_let_later_ones_past_the_fill() -> None:
    # c1 and c2 answer while c0 is still on its way: done but unused, they must still count as in hand
    children = {f"/c{k}.xml": (urlset(*(f"/n/{k}-{i}" for i in range(3))), XML) for k in range(5)}
    routes = {"/sitemap.xml": (sitemap_index(*children), XML), **children, "/c0.xml": (*children["/c0.xml"], 0.5)}
    requested: list[str] = []
    _, paths = discover(routes, Source("s", sitemaps=("/sitemap.xml",)), requested, Limits(max_candidates=4))
    assert paths == ["/n/0-0", "/n/0-1", "/n/0-2", "/n/1-0"]
    # c0 and c1 are requested at once, on two connections: which one the server logs first is the machine's say
    # (a loaded CI-like run logged c1 first); c2 only once c0 is read.
    asked = [p for p in requested if p.startswith("/c")]
    assert sorted(asked) == ["/c0.xml", "/c1.xml", "/c2.xml"] and asked[-1] == "/c2.xml"


def test_a_candidate_keeps_the_first_date_its_feed_or_sitemap_gave() -> None:
    feed = '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>' + "".join(
        f"<item><link>@@{p}</link>{date}</item>"
        for p, date in (("/a", "<pubDate>Fri, 01 May 2026 09:00:00 GMT</pubDate>"), ("/b", ""))
    )
    feed += "</channel></rss>"
    news = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        "<url><loc>@@/a</loc><lastmod>2026-05-03T00:00:00Z</lastmod></url>"
        "<url><loc>@@/b</loc><news:news><news:publication_date>2026-05-02T07:00:00Z</news:publication_date>"
        "</news:news><lastmod>2026-05-04T00:00:00Z</lastmod></url>"
        "<url><loc>@@/c</loc><lastmod>2026-05-05T00:00:00Z</lastmod></url></urlset>"
    )
    routes = {"/rss.xml": (feed, XML), "/sitemap.xml": (news, XML)}
    found, paths = discover(routes, Source("s", feeds=("/rss.xml",), sitemaps=("/sitemap.xml",)))
    dates = {
        p: (c.published_at.isoformat() if c.published_at else None, c.published_from)
        for p, c in zip(paths, found.candidates, strict=True)
    }
    assert dates == {
        "/a": ("2026-05-01T09:00:00+00:00", "feed"),  # the feed's, though the sitemap has one too
        "/b": ("2026-05-02T07:00:00+00:00", "sitemap"),  # undated in the feed: news:publication_date
        "/c": ("2026-05-05T00:00:00+00:00", "sitemap"),  # no news date: lastmod
    }


def test_a_second_sitemap_dates_every_url_the_first_listed_undated_in_their_order() -> None:
    # Each dated URL was found again with a search of the source's whole list: 10,000 URLs (the default fill)
    # held the event loop for 9 s, no other source fetching meanwhile. Now a lookup.
    paths = [f"/news/story-{k}.html" for k in range(10_000)]
    dated = "".join(f"<url><loc>@@{p}</loc><lastmod>2024-05-01</lastmod></url>" for p in paths)
    routes = {
        "/a.xml": (urlset(*paths), XML),
        "/b.xml": (f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{dated}</urlset>', XML),
    }
    found, listed = discover(routes, Source("big", sitemaps=("/a.xml", "/b.xml")))
    assert listed == paths
    assert {(c.published_at, c.published_from) for c in found.candidates} == {
        (datetime(2024, 5, 1, tzinfo=UTC), "sitemap")
    }


def test_feed_items_that_name_no_article_are_recorded_not_lost() -> None:
    # A theme that puts the home page in every <link>: the permalink guid is the story; an item with only the
    # home page, and one with no link at all, give no candidate but are named in one row.
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><link>@@/</link>'
        "<item><title>Story</title><link>@@/</link><guid>@@/news/story.html</guid></item>"
        "<item><title>Home only</title><link>@@/?utm_source=rss</link></item>"
        "<item><title>No link</title><description>d</description></item></channel></rss>"
    )
    found, paths = discover({"/rss.xml": (feed, XML)}, Source("s", feeds=("/rss.xml",)))
    assert paths == ["/news/story.html"]
    (error,) = found.errors
    assert (error.stage, error.error_type) == ("discover", "FeedItemsSkipped") and error.url.endswith("/rss.xml")
    assert error.message.startswith("2 items of feed")
    assert (
        "'No link': no http(s) link" in error.message and "'Home only': links only to the front page" in error.message
    )


def test_a_json_feed_gives_dated_listed_candidates() -> None:
    feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "home_page_url": "@@/", "items": ['
        '{"id": "1", "url": "@@/2024/05/01/ferry/", "date_published": "2024-05-01T09:00:00+01:00"},'
        '{"id": "@@/2024/05/02/library/"}]}'
    )
    found, paths = discover({"/feed.json": (feed, "application/feed+json")}, Source("s", feeds=("/feed.json",)))
    assert paths == ["/2024/05/01/ferry", "/2024/05/02/library"] and found.errors == []
    assert [(c.listed, c.published_from) for c in found.candidates] == [(True, "feed"), (True, None)]
    assert found.candidates[0].published_at == datetime(2024, 5, 1, 8, tzinfo=UTC)


def test_a_feed_item_under_wordpress_plain_permalinks_is_a_candidate() -> None:
    # WordPress with Settings > Permalinks > Plain links each post as "/?p=123": a query, not the front page.
    feed = rss("/x").replace("/x?utm_source=rss", "/?p=123")
    found, paths = discover({"/rss.xml": (feed, XML)}, Source("s", feeds=("/rss.xml",)))
    assert paths == ["/?p=123"] and found.errors == []


def advertising(*feeds: str) -> str:
    tags = "".join(f'<link rel="alternate" type="application/rss+xml" href="{href}">' for href in feeds)
    return f"<html><head>{tags}</head><body><p>Today's news</p></body></html>"


def test_a_homepage_alone_finds_its_advertised_feeds_and_the_sitemaps_robots_txt_lists() -> None:
    robots = "User-agent: *\nDisallow: /private/\nSitemap: @@/maps/archive.xml\nSitemap: /maps/news.xml\n"
    robots += "Sitemap: @@/maps/news.xml\n"  # listed twice (by hand and by a plugin): one sitemap
    routes = {
        "/robots.txt": (robots, "text/plain"),
        "/": advertising("/feed.xml", "/comments/feed/"),
        "/feed.xml": (rss("/a"), XML),
        "/maps/news.xml": (urlset("/b", "/a"), XML),
        "/maps/archive.xml": (urlset("/c"), XML),
    }
    requested: list[str] = []
    found, paths = discover(routes, Source("s", autodiscover=True), requested)
    assert paths == ["/a", "/b", "/c"]  # the feed, then the news sitemap before the archive
    # The two sitemaps are fetched at once: which one the server logs first is the machine's say.
    assert requested[:3] == ["/robots.txt", "/", "/feed.xml"]
    assert sorted(requested[3:]) == ["/maps/archive.xml", "/maps/news.xml"]
    assert found.errors == []


def test_feeds_a_homepage_advertises_past_the_first_few_are_named_in_an_errors_row() -> None:
    # A homepage of 200 section feeds: the first 5 were read, the rest dropped with no trace.
    feeds = [f"/cat{k}.rss" for k in range(8)]
    routes = {"/robots.txt": ("User-agent: *\nDisallow:\n", "text/plain"), "/": advertising(*feeds)}
    routes |= {f: (rss(f"/story/{k}"), XML) for k, f in enumerate(feeds)}
    requested: list[str] = []
    found, paths = discover(routes, Source("s", autodiscover=True), requested)
    assert sorted(paths) == [f"/story/{k}" for k in range(5)] and "/cat5.rss" not in requested
    (note,) = [e for e in found.errors if e.error_type == "FeedsCapped"]
    assert note.message.startswith("the homepage advertises 8 feeds; the first 5 are read, 3 left unread: http://")
    assert note.message.count("/cat") == 3 and "/cat7.rss" in note.message
    # Listed in the source's `feeds`, as the row advises: read, and no row.
    found, paths = discover(routes, Source("s", autodiscover=True, feeds=tuple(feeds[5:])))
    assert len(paths) == 8 and [e for e in found.errors if e.error_type == "FeedsCapped"] == []


def test_sitemap_entries_that_name_no_page_are_counted_in_an_errors_row() -> None:
    entries = "<url><loc>@@/a</loc></url><url><loc>ftp://h/b</loc></url><url><lastmod>2024-05-05</lastmod></url>"
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    found, paths = discover({"/s.xml": (body, XML)}, Source("s", sitemaps=("/s.xml",)))
    assert paths == ["/a"]
    (note,) = found.errors
    assert note.error_type == "SitemapEntriesSkipped" and note.message.endswith(
        "/s.xml' name no page and were skipped: <loc> 'ftp://h/b' is no http(s) URL; a <url> with no <loc>"
    )


def test_a_homepage_whose_robots_txt_names_no_sitemap_has_its_sitemap_xml_tried() -> None:
    routes = {"/robots.txt": ("User-agent: *\nDisallow:\n", "text/plain"), "/": advertising()}
    routes["/sitemap.xml"] = (sitemap_index("/sitemap-news.xml"), XML)
    routes["/sitemap-news.xml"] = (urlset("/2026/05/01/harbour-reopens"), XML)
    found, paths = discover(routes, Source("s", autodiscover=True))
    assert paths == ["/2026/05/01/harbour-reopens"] and found.errors == []


def test_a_homepage_libxml2_would_parse_for_minutes_is_an_error_row_and_its_sitemap_is_still_read() -> None:
    # A tag of 150,000 attributes held the parser threads for a minute (quadratic in libxml2, one C call).
    crowded = "<html><body><p " + " ".join(f"a{i}=1" for i in range(5_000)) + ">x</p></body></html>"
    routes = {"/robots.txt": ("User-agent: *\nDisallow:\n", "text/plain"), "/": crowded}
    routes["/sitemap.xml"] = (urlset("/2026/05/01/harbour-reopens"), XML)
    found, paths = discover(routes, Source("s", autodiscover=True))
    assert paths == ["/2026/05/01/harbour-reopens"]
    (error,) = found.errors
    assert error.error_type == "CrowdedTagError" and "a <p> tag with 5,000 attributes" in error.message


def test_a_homepage_that_leads_nowhere_says_what_was_tried() -> None:
    found, paths = discover({"/": advertising("/gone.xml")}, Source("s", autodiscover=True))
    assert paths == []
    (error,) = found.errors
    assert error.error_type == "ListingsNotFound" and error.url is not None and error.url.endswith("/")
    assert "/gone.xml (404)" in error.message and "/sitemap.xml (404)" in error.message
    assert "discover_links = true" in error.message


def test_feeds_found_in_earlier_runs_are_read_when_the_homepage_fails() -> None:
    routes = {"/feed.xml": (rss("/a"), XML), "/sitemap.xml": (urlset("/b"), XML)}  # "/" answers 404
    found, paths = discover(routes, Source("s", autodiscover=True), known_feeds=("/feed.xml",))
    assert paths == ["/a", "/b"] and found.errors == []


def test_autodiscovery_and_link_discovery_share_one_fetch_of_the_homepage() -> None:
    home = advertising("/feed.xml").replace("<p>", '<a href="/world/">World</a><p>')
    routes = {
        "/": home,
        "/world/": listing(("/news/harbour-reopens-after-a-week", "Harbour reopens after a week of repairs")),
        "/feed.xml": (rss("/a"), XML),
    }
    requested: list[str] = []
    _, paths = discover(routes, Source("s", autodiscover=True, discover_links=True, link_depth=2), requested)
    assert paths == ["/a", "/news/harbour-reopens-after-a-week"]
    assert requested.count("/") == 1 and "/world/" in requested


def test_an_unchanged_feed_answering_304_is_no_homepage_that_leads_nowhere() -> None:
    def feed(request: Request) -> tuple[int, dict[str, str], bytes]:
        return (304, {"ETag": '"v1"'}, b"") if request.headers.get("If-None-Match") == '"v1"' else (500, {}, b"")

    with serve({}) as site:
        site.routes |= {"/": page(advertising("/feed.xml")), "/feed.xml": feed, "/sitemap.xml": page("", status=404)}

        async def go() -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0)) as fetcher:
                source = Source("s", homepage=site.base + "/", autodiscover=True)
                return await discover_source(fetcher, source, validators={site.base + "/feed.xml": Validators('"v1"')})

        found = asyncio.run(go())
    assert [r.outcome for r in found.responses if r.kind == "feed"] == ["not_modified"]
    assert found.candidates == [] and found.errors == []  # its URLs were listed when it last changed


def test_feeds_read_before_stand_in_only_for_a_homepage_that_advertises_none() -> None:
    routes = {"/": advertising("/new.xml"), "/new.xml": (rss("/a"), XML), "/old.xml": (rss("/b"), XML)}
    requested: list[str] = []
    _, paths = discover(routes, Source("s", autodiscover=True), requested, known_feeds=("/old.xml",))
    assert paths == ["/a"] and "/old.xml" not in requested  # the redesigned homepage says which feeds are its own


def test_robots_txt_sitemaps_are_read_news_first_then_undated_then_the_newest_years(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discover_module, "MAX_ROBOTS_SITEMAPS", 3)
    years = [f"/sitemap-{year}.xml" for year in (2003, 2004, 2025, 2026)]
    robots = "".join(f"Sitemap: {path}\n" for path in [*years, "/sitemap-news.xml", "/sitemap-pages.xml"])
    routes = {"/robots.txt": (robots, "text/plain"), "/": advertising()}
    routes |= {path: (urlset(f"/n{path.removesuffix('.xml')}"), XML) for path in [*years, "/sitemap-news.xml"]}
    routes["/sitemap-pages.xml"] = (urlset("/about-us-and-our-newsroom-staff"), XML)
    found, paths = discover(routes, Source("s", autodiscover=True))
    assert paths == ["/n/sitemap-news", "/about-us-and-our-newsroom-staff", "/n/sitemap-2026"]
    (error,) = found.errors
    assert error.error_type == "SitemapFilesCapped" and "robots.txt lists 6 sitemaps; 3 are read" in error.message


def test_news_sitemaps_are_told_by_their_path_not_a_host_named_news() -> None:
    listed = [f"https://www.dailynews.example/sitemaps/{name}.xml" for name in ("video", "2024", "news", "sections")]
    ranked = sorted(listed, key=discover_module._sitemap_rank)
    assert [url.rsplit("/", 1)[1] for url in ranked] == ["news.xml", "video.xml", "sections.xml", "2024.xml"]


def test_a_homepage_redirected_elsewhere_keeps_its_own_hosts_sitemaps_read_against_robots_txt() -> None:
    # An EU publisher's homepage sends visitors to a consent host first; its robots.txt lists a relative sitemap.
    with serve({}) as consent, serve({}) as publisher:
        consent.routes["/"] = page("<html><body><form>Accept cookies</form></body></html>")
        publisher.routes["/"] = lambda request: (302, {"Location": consent.base + "/"}, b"")
        publisher.routes["/robots.txt"] = page("User-agent: *\nSitemap: news/sitemap.xml\n", "text/plain")
        publisher.routes["/news/sitemap.xml"] = page(urlset("/2026/05/01/harbour").replace("@@", publisher.base), XML)

        async def go() -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0)) as fetcher:
                source = Source("s", homepage=publisher.base + "/", autodiscover=True)
                return await discover_source(fetcher, source, validators={})

        found = asyncio.run(go())
    assert [c.url for c in found.candidates] == [publisher.base + "/2026/05/01/harbour"] and found.errors == []


def test_link_discovery_fetches_neither_a_failed_homepage_nor_a_feed_again() -> None:
    requested: list[str] = []
    with serve({}) as site:
        site.routes["/"] = page("down", status=503)
        site.routes["/feed/"] = page(rss("/a").replace("@@", site.base), XML)

        async def go() -> Discovery:
            policy = FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0, retries=1, backoff=0)
            async with Fetcher(policy) as fetcher:
                source = Source("s", homepage=site.base + "/", autodiscover=True, discover_links=True)
                return await discover_source(fetcher, source, validators={}, known_feeds=[site.base + "/feed/"])

        found = asyncio.run(go())
        requested += [r.path for r in site.log]
    assert requested.count("/") == 2  # one fetch and its one retry, not a second fetch by link discovery
    assert [c.url.removeprefix(site.base) for c in found.candidates] == ["/a"]

    home = advertising("/feed/").replace("<p>", '<a href="/feed/">Entries feed</a><p>')
    requested = []
    _, paths = discover(
        {"/": home, "/feed/": (rss("/a"), XML)}, Source("s", autodiscover=True, discover_links=True), requested
    )
    assert paths == ["/a"] and requested.count("/feed/") == 1  # read as a feed, not again as a listing page


def test_a_source_given_as_a_section_of_its_site_keeps_the_host_sitemaps_urls_in_that_section() -> None:
    with serve({}) as site:
        site.routes["/robots.txt"] = page("User-agent: *\nSitemap: /sitemap.xml\n", "text/plain")
        site.routes["/sitemap.xml"] = page(
            urlset("/sport/cup-final", "/news/budget", "/sport/").replace("@@", site.base), XML
        )
        site.routes["/sport/"] = page(advertising("/sport/feed.xml"))
        site.routes["/sport/feed.xml"] = page(rss("/2026/05/01/derby-report").replace("@@", site.base), XML)
        site.routes["/"] = page(advertising())

        async def go(homepage: str) -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0)) as fetcher:
                source = Source("s", homepage=site.base + homepage, autodiscover=True)
                return await discover_source(fetcher, source, validators={})

        sport, whole = asyncio.run(go("/sport/")), asyncio.run(go("/"))
    paths = [c.url.removeprefix(site.base) for c in sport.candidates]
    assert paths == ["/2026/05/01/derby-report", "/sport/cup-final"]  # its feed's stories, and its sitemap URLs
    (error,) = sport.errors
    assert error.error_type == "OutsideSection" and "1 URLs of its host's sitemaps lie outside" in error.message
    # The whole site's source keeps every URL; the section's front, "/sport/", is left for extraction to judge.
    assert [c.url.removeprefix(site.base) for c in whole.candidates] == ["/sport/cup-final", "/news/budget", "/sport"]


@pytest.mark.parametrize("section", ["/actualité/", "/%e6%96%b0%e9%97%bb/"])
def test_a_section_named_in_letters_or_lower_case_escapes_keeps_its_sitemap_urls(section: str) -> None:
    # A review's French site: "/actualité/" was compared with the sitemap's URLs as clean_url writes them
    # ("/actualit%C3%A9/..."), so every URL of the section went as outside it.
    with serve({}) as site:
        site.routes["/robots.txt"] = page("User-agent: *\nSitemap: /sitemap.xml\n", "text/plain")
        site.routes["/sitemap.xml"] = page(urlset(f"{section}2026/a", "/sport/b").replace("@@", site.base), XML)
        site.routes["/"] = page(advertising())

        async def go() -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0)) as fetcher:
                source = Source("s", homepage=site.base + section, autodiscover=True)
                return await discover_source(fetcher, source, validators={})

        found = asyncio.run(go())
    assert [urlsplit(c.url).path for c in found.candidates] == [urlsplit(clean_url(f"http://h{section}2026/a")).path]
    (error,) = found.errors
    assert error.error_type == "OutsideSection" and "1 URLs of its host's sitemaps lie outside" in error.message


def test_sitemaps_of_earlier_runs_are_not_read_for_a_source_given_no_sitemaps_any_more() -> None:
    # A user who removed a source's sitemaps from sources.toml: its old ones were still read (remembered by source
    # name), and the articles they listed stored.
    with serve({}) as site:
        site.routes["/old.xml"] = page(urlset("/n/old").replace("@@", site.base), content_type=XML)
        site.routes["/feed.xml"] = page(rss("/n/new").replace("@@", site.base), content_type=XML)
        source = Source(name="s", feeds=(site.base + "/feed.xml",))

        async def go() -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0)) as fetcher:
                return await discover_source(fetcher, source, validators={}, known_sitemaps=[site.base + "/old.xml"])

        found = asyncio.run(go())
        assert site.hits("/old.xml") == []
    assert [c.url.removeprefix(site.base) for c in found.candidates] == ["/n/new"]


def test_sitemaps_of_earlier_runs_stand_in_for_an_index_that_is_down_or_unchanged() -> None:
    # A review of a stricter rule: children on a CDN host, or an index answering 503 for a run, lost their articles.
    with serve({}) as site, serve({}) as cdn:
        site.routes["/sitemap.xml"] = page("busy", status=503)
        cdn.routes["/child.xml"] = page(urlset("/n/a").replace("@@", site.base), content_type=XML)
        source = Source(name="s", sitemaps=(site.base + "/sitemap.xml",))

        async def go() -> Discovery:
            async with Fetcher(FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0, retries=0)) as fetcher:
                return await discover_source(fetcher, source, validators={}, known_sitemaps=[cdn.base + "/child.xml"])

        found = asyncio.run(go())
    assert [c.url.removeprefix(site.base) for c in found.candidates] == ["/n/a"]


def test_a_sources_budget_does_not_count_waiting_for_the_others_up_to_its_own_length() -> None:
    async def go() -> tuple[float, float, float, float]:
        budget = Budget.starting_now(0.3)
        budget.pause()
        await asyncio.sleep(0.2)
        budget.resume()
        after_a_short_wait = budget.remaining()  # the 0.2 s waited are not counted
        budget.pause()
        await asyncio.sleep(0.3)
        while_waiting = budget.remaining()  # only 0.1 s more of waiting is free: 0.2 s of this one count
        budget.resume()
        return after_a_short_wait, while_waiting, budget.remaining(), budget.waited

    after_a_short_wait, while_waiting, resumed, waited = asyncio.run(go())
    assert 0.25 < after_a_short_wait <= 0.3
    assert while_waiting <= 0.1 and abs(resumed - while_waiting) < 0.02
    assert waited == pytest.approx(0.3)


def _cut_short(body: bytes, at: int, *, content_type: str) -> Route:
    """A server that promises the whole body and closes the connection after its first `at` bytes, every time."""

    def answer(request: Request) -> Raw:
        head = [b"HTTP/1.1 200 OK", f"Content-Type: {content_type}".encode(), f"Content-Length: {len(body)}".encode()]
        return Raw(head=[*head, b'ETag: "v1"'], chunks=[body[:at]])

    return answer


def test_a_listing_cut_short_on_every_try_gives_the_entries_before_the_cut_and_keeps_no_validators() -> None:
    # A feed whose connection broke mid-body was a failed fetch, and every article it listed went unseen.
    feed = rss("/a", "/b", "/c").encode()
    with serve({}) as site:
        feed = feed.replace(b"@@", site.base.encode())
        site.routes["/rss.xml"] = _cut_short(feed, feed.index(b"/c?"), content_type=XML)
        site.routes["/story"] = _cut_short(b"<html><body><p>A story</p></body></html>", 20, content_type="text/html")
        source = Source("s", homepage=site.base + "/", feeds=(site.base + "/rss.xml",))

        async def go() -> tuple[Discovery, Fetched, Fetched]:
            policy = FetchPolicy(user_agent="t", allow_private=True, per_host_delay=0, backoff=0)
            async with Fetcher(policy) as fetcher:
                found = await discover_source(fetcher, source, validators={})
                listing = await fetcher.fetch(site.base + "/rss.xml", kind="feed")
                story = await fetcher.fetch(site.base + "/story", kind="article")
            return found, listing, story

        found, listing, story = asyncio.run(go())
        asked = [r.path for r in site.log if r.path == "/rss.xml"]
    assert [c.url.removeprefix(site.base) for c in found.candidates] == ["/a", "/b"]
    cut = [e for e in found.errors if e.error_type == "ListingCutShort"]
    assert len(cut) == 1 and "the feed's body was cut short on every try" in cut[0].message
    assert listing.ok and listing.cut_short is not None and listing.etag is None  # asked for whole next run
    assert len(asked) == 2 * 3  # each fetch tried three times (retries = 2) before it took the first part
    assert story.outcome == "failed" and not story.body  # a page cut short is no page
