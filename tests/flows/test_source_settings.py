"""Settings that reach a real ingest run: the canonical rule, per-source caps, switches, hints and proxies.

Three loopback outlets carry copies of two wire stories: outlet a publishes the shortest copy first, b a longer
one later, c the whole story last, so each canonical rule picks a different member of each cluster.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.cli import main
from flows.config import ConfigError, enabled_sources, load_config
from flows.ingest import ingest
from flows.maintenance import rebuild_clusters
from tests.loopback import Route, Site, html, page, serve
from tests.proxy import serve_proxy

WORDS = (
    "harbour council ferry quay tide fishers crab quota library glacier museum bronze marathon rents tram "
    "orchard bakery lantern meadow violin"
).split()
# Sentences kept by each outlet's copy: a and b truncate the wire story, c carries all of it.
KEPT = {"a": 7, "b": 9, "c": 12}
# Hour of publication of story 0 per outlet; story 1 an hour later.
PUBLISHED = {"a": 6, "b": 8, "c": 10}
FAST = "per_host_delay = 0.0\nextract_workers = 1\nread_timeout = 2.0\nretries = 0\n"


def sentences(story: int) -> list[str]:
    return [
        " ".join(WORDS[(story * 11 + i * 7 + j * (i + 3)) % len(WORDS)] for j in range(15)).capitalize() + "."
        for i in range(12)
    ]


def copy_page(outlet: str, story: int) -> str:
    kept = sentences(story)[: KEPT[outlet]]
    body = "".join(f"<p>{' '.join(kept[i : i + 2])}</p>" for i in range(0, len(kept), 2))
    promo = (
        "<div class='c9'><p>" + "Our outlet's own sponsored words about garden furniture and sofas. " * 6 + "</p></div>"
    )
    return (
        f"<html><head><title>Wire story {story}</title><meta property='og:type' content='article'></head><body>"
        f"<article>{promo}<div id='story'><h1>Wire story {story}</h1>{body}</div></article></body></html>"
    )


def feed(site: Site, outlet: str, stories: range) -> Route:
    items = "".join(
        f"<item><title>Story {n}</title><link>{site.base}/news/{n}</link>"
        f"<pubDate>Mon, 01 Jun 2026 {PUBLISHED[outlet] + n:02d}:00:00 GMT</pubDate></item>"
        for n in stories
    )
    xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>{items}</channel></rss>'
    return page(xml, content_type="application/rss+xml")


@dataclass
class World:
    sites: dict[str, Site]

    def sources(self, path: Path, settings: str = "", **per_source: str) -> Path:
        blocks = [
            f'[[sources]]\nname = "{name}"\nfeeds = ["{site.base}/rss.xml"]\n{per_source.get(name, "")}'
            for name, site in self.sites.items()
        ]
        path.write_text("\n".join(blocks) + "\n[settings]\n" + FAST + settings, encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    # Not on 127.0.0.1, where Prefect's API runs: a run through a proxy can leave that address out (NO_PROXY).
    with serve({}, host="127.0.0.2") as a, serve({}, host="127.0.0.3") as b, serve({}, host="127.0.0.4") as c:
        sites = {"a": a, "b": b, "c": c}
        for outlet, site in sites.items():
            site.routes |= {f"/news/{n}": page(copy_page(outlet, n)) for n in range(2)}
            site.routes["/rss.xml"] = feed(site, outlet, range(2))
        yield World(sites)


def run(sources: Path, db: Path, **flags: Any) -> dict[str, Any]:
    return asyncio.run(ingest(str(sources), db=str(db), allow_private=True, **flags))


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


CANONICALS = """
SELECT a.cluster_id, a.source, length(a.text) = max(length(a.text)) OVER (PARTITION BY a.cluster_id) AS longest
FROM articles a WHERE a.cluster_id IN (SELECT cluster_id FROM clusters WHERE size > 1) AND a.is_canonical
ORDER BY a.cluster_id
"""


@pytest.mark.parametrize(
    ("settings", "outlet"),
    [
        ("", "a"),  # earliest (the default): the first published copy, here the shortest
        ('canonical_rule = "longest"\n', "c"),
        ('canonical_rule = "source_priority"\nsource_priority = ["b", "c"]\n', "b"),
    ],
)
def test_the_canonical_rule_picks_each_clusters_canonical_article(
    prefect_harness: None, world: World, tmp_path: Path, settings: str, outlet: str
) -> None:
    db = tmp_path / "n.duckdb"
    run(world.sources(tmp_path / "s.toml", settings), db)
    canonicals = query(db, CANONICALS)
    assert len(canonicals) == 2 and {source for _, source, _ in canonicals} == {outlet}
    if outlet == "c":  # with "longest", each cluster's canonical row is its longest text
        assert all(longest for _, _, longest in canonicals)
    assert query(db, "SELECT count(*) FROM unique_articles") == [(2,)]


def test_rebuild_clusters_applies_the_canonical_rule_of_the_sources_file(
    prefect_harness: None, world: World, tmp_path: Path
) -> None:
    db = tmp_path / "n.duckdb"
    run(world.sources(tmp_path / "s.toml"), db)
    rebuild_clusters(db=str(db), sources=str(world.sources(tmp_path / "longest.toml", 'canonical_rule = "longest"\n')))
    assert {source for _, source, _ in query(db, CANONICALS)} == {"c"}


def test_max_pages_leaves_the_rest_of_a_source_for_the_next_run(
    prefect_harness: None, world: World, tmp_path: Path
) -> None:
    db, sources = tmp_path / "n.duckdb", world.sources(tmp_path / "s.toml", "max_pages = 2\n", b="max_pages = 1\n")
    first = run(sources, db)
    assert {s: first["per_source"][s]["stored"] for s in "abc"} == {"a": 2, "b": 1, "c": 2}
    (message,) = [m for (m,) in query(db, "SELECT message FROM errors WHERE error_type = 'PagesCapped'")]
    assert message.startswith("source 'b': 1 of 2 article URLs left for later runs (max_pages=1)")
    run(sources, db)
    assert query(db, "SELECT source, count(*) FROM articles GROUP BY ALL ORDER BY source") == [
        ("a", 2),
        ("b", 2),
        ("c", 2),
    ]


def test_a_disabled_source_is_not_crawled_unless_named(
    prefect_harness: None, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = world.sources(tmp_path / "s.toml", c="enabled = false\n")
    before = len(world.sites["c"].log)
    summary = run(sources, tmp_path / "n.duckdb")
    assert summary["sources"] == 2 and len(world.sites["c"].log) == before
    with pytest.raises(ConfigError, match="source 'c' is disabled"):
        enabled_sources(load_config(sources), ["c"])
    assert main(["run", "--sources", str(sources), "--source", "c", "--allow-private"]) == 1  # before Prefect starts
    assert "copydesk: error: source 'c' is disabled (enabled = false in" in capsys.readouterr().err
    every = {name: "enabled = false\n" for name in world.sites}
    sources = world.sources(tmp_path / "none.toml", **every)
    assert main(["run", "--sources", str(sources), "--allow-private"]) == 1  # a run that would crawl nothing
    assert f"copydesk: error: every source in {sources} is disabled" in capsys.readouterr().err


def test_a_sources_body_selector_reaches_its_extraction(prefect_harness: None, world: World, tmp_path: Path) -> None:
    db = tmp_path / "n.duckdb"
    run(world.sources(tmp_path / "s.toml", a='body_selector = "#story"\n'), db)
    promo = "sponsored words about garden furniture"
    texts = dict(query(db, f"SELECT source, bool_or(contains(text, '{promo}')) FROM articles GROUP BY source"))
    assert texts == {"a": False, "b": True, "c": True}


def test_a_run_with_http_proxy_set_sends_every_request_through_it_and_stores_the_same(
    prefect_harness: None, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = world.sources(tmp_path / "s.toml")
    direct = run(sources, tmp_path / "direct.duckdb")
    with serve_proxy() as proxy:
        for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
            monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # Prefect's own API; the outlets are on 127.0.0.2-4
        requests = {name: len(site.log) for name, site in world.sites.items()}
        proxied = run(sources, tmp_path / "proxied.duckdb")
        reached = sum(len(site.log) - requests[name] for name, site in world.sites.items())
    assert len(proxy.log) == reached == proxied["fetched"] + 3 + 3  # articles, robots.txt and feeds, all proxied
    assert {p.method for p in proxy.log} == {"GET"} and proxied["stored"] == direct["stored"] == 6
    sql = "SELECT url, text, cluster_id FROM articles ORDER BY url"
    assert query(tmp_path / "direct.duckdb", sql) == query(tmp_path / "proxied.duckdb", sql)


def test_the_settings_db_is_the_file_written_without_a_db_flag(
    prefect_harness: None, world: World, tmp_path: Path
) -> None:
    db = tmp_path / "from-settings.duckdb"
    asyncio.run(ingest(str(world.sources(tmp_path / "s.toml", f'db = "{db}"\n')), allow_private=True))
    assert query(db, "SELECT count(*) FROM articles") == [(6,)]


@pytest.mark.parametrize(("window", "rechecked"), [(24.0, 6), (0.0, 3)])
def test_refetch_window_hours_decides_which_stored_articles_a_run_rechecks(
    prefect_harness: None, world: World, tmp_path: Path, window: float, rechecked: int
) -> None:
    db, sources = tmp_path / "n.duckdb", world.sources(tmp_path / "s.toml", f"refetch_window_hours = {window}\n")
    run(sources, db)
    second = run(sources, db)
    sql = f"SELECT count(*) FROM fetches WHERE run_id = '{second['run_id']}' AND kind = 'article'"
    # Within a day of each outlet's newest story: both of its stories; within no time: the newest only.
    assert query(db, sql) == [(rechecked,)]


@pytest.mark.parametrize(("minutes", "retried"), [(30.0, 0), (0.0, 1)])
def test_retry_failed_after_minutes_decides_when_a_failed_url_is_tried_again(
    prefect_harness: None, world: World, tmp_path: Path, minutes: float, retried: int
) -> None:
    site = world.sites["a"]
    site.routes["/rss-broken.xml"] = page(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><link>{site.base}/boom</link>'
        "</item></channel></rss>",
        content_type="application/rss+xml",
    )
    site.routes["/boom"] = page("down", status=500)
    sources = tmp_path / "s.toml"
    sources.write_text(
        f'[[sources]]\nname = "a"\nfeeds = ["{site.base}/rss-broken.xml"]\n[settings]\n{FAST}'
        f"retry_failed_after_minutes = {minutes}\n",
        encoding="utf-8",
    )
    db = tmp_path / "n.duckdb"
    run(sources, db)
    before = len(site.hits("/boom"))
    run(sources, db)
    assert len(site.hits("/boom")) - before == retried


@pytest.mark.parametrize(("size", "stamps"), [(200, 3), (1, 6)])
def test_batch_size_is_how_many_urls_are_extracted_and_written_together(
    prefect_harness: None, world: World, tmp_path: Path, size: int, stamps: int
) -> None:
    db = tmp_path / "n.duckdb"
    run(world.sources(tmp_path / "s.toml", f"batch_size = {size}\n"), db)
    # A batch's articles share the moment it was extracted: one per outlet with big batches, one per URL with 1.
    assert query(db, "SELECT count(DISTINCT fetched_at) FROM articles") == [(stamps,)]


def test_max_articles_per_source_caps_what_discovery_keeps(prefect_harness: None, world: World, tmp_path: Path) -> None:
    db = tmp_path / "n.duckdb"
    summary = run(world.sources(tmp_path / "s.toml", "max_articles_per_source = 1\n"), db)
    assert summary["discovered"] == 3 and query(db, "SELECT count(*) FROM articles") == [(3,)]


def test_a_source_given_only_its_homepage_is_crawled_through_the_feeds_and_sitemaps_it_names(
    prefect_harness: None, tmp_path: Path
) -> None:
    with serve({}, host="127.0.0.5") as site:
        feed_link = '<link rel="alternate" type="application/rss+xml" title="News" href="/rss.xml">'
        site.routes |= {f"/news/{n}": page(copy_page("c", n)) for n in range(4)}
        site.routes["/"] = page(f"<html><head>{feed_link}</head><body><p>Front page</p></body></html>")
        site.routes["/robots.txt"] = page(f"User-agent: *\nSitemap: {site.base}/news.xml\n", "text/plain")
        news = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{site.base}/news/2</loc></url>'
        site.routes["/news.xml"] = page(news + "</urlset>", "application/xml")
        site.routes["/rss.xml"] = feed(site, "c", range(2))
        sources = tmp_path / "s.toml"
        sources.write_text(f'[[sources]]\nname = "home"\nhomepage = "{site.base}/"\n[settings]\n{FAST}')
        db = tmp_path / "n.duckdb"
        assert run(sources, db)["stored"] == 3
        # The whole site is down for a run, then its homepage still is when the feed gains a story: the feed read
        # in earlier runs is read without the homepage.
        site.routes["/"] = site.routes["/rss.xml"] = page("down for maintenance", status=503)
        run(sources, db)
        site.routes["/rss.xml"] = feed(site, "c", range(4))
        assert run(sources, db)["new"] == 1
    assert query(db, "SELECT url FROM articles ORDER BY url") == [(f"{site.base}/news/{n}",) for n in range(4)]
    assert query(db, "SELECT count(*) FROM errors") == [(0,)]  # its sitemap answered all along


def test_a_link_page_a_listing_also_gave_as_an_article_is_requested_once(prefect_harness: None, tmp_path: Path) -> None:
    """With discover_links, a sitemap's section page and a story whose link reads like a menu label were
    requested twice a run: once as a listing page whose links were followed, once more as an article
    (a helper's sweep: 10 of a site's 45 requests)."""
    story = {name: html(f"The {name} story", sentences(n)) for n, name in enumerate(["briefing", "first", "second"])}
    teasers = "".join(
        f'<div class="card"><h2><a href="/news/{name}">Harbour council votes on the {name} ferry timetable</a></h2>'
        "<p>The budget meeting runs late into the night.</p></div>"
        for name in ("second", "first", "briefing")
    )
    routes: dict[str, Route] = {
        "/": page(
            '<html><body><nav><a href="/section/world/">World</a> <a href="/news/briefing">Briefing</a></nav>'
            "<p>Front page of the Harbour Times.</p></body></html>"
        ),
        "/section/world/": page(f"<html><body><h1>World</h1>{teasers}</body></html>"),
        "/news/briefing": page(story["briefing"]),
        "/news/first": page(story["first"]),
        "/news/second": page(story["second"]),
    }
    with serve(routes) as site:
        listed = "".join(
            f"<url><loc>{site.base}{path}</loc></url>" for path in ("/section/world/", "/news/briefing", "/news/first")
        )
        routes["/sitemap.xml"] = page(
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{listed}</urlset>', "application/xml"
        )
        sources = tmp_path / "s.toml"
        sources.write_text(
            f'[[sources]]\nname = "harbour"\nhomepage = "{site.base}/"\nsitemaps = ["{site.base}/sitemap.xml"]\n'
            "discover_links = true\n[settings]\nper_host_delay = 0\n",
            encoding="utf-8",
        )
        db = tmp_path / "n.duckdb"
        summary = run(sources, db)
    for path in ("/section/world/", "/news/briefing", "/news/first", "/news/second"):
        assert len(site.hits(path)) == 1, (path, [r.path for r in site.log])
    assert query(db, "SELECT title FROM articles ORDER BY title") == [
        ("The briefing story",),
        ("The first story",),
        ("The second story",),
    ]
    logged = query(db, "SELECT url, kind FROM fetches WHERE url LIKE '%/news/briefing' OR url LIKE '%/section/%'")
    assert sorted(logged) == [(f"{site.base}/news/briefing", "article"), (f"{site.base}/section/world/", "article")]
    assert summary["fetched"] == 4 and summary["stored"] == 3  # the section page is fetched, and no article


def test_a_link_page_read_before_a_later_listing_names_it_as_an_article_is_requested_once(
    prefect_harness: None, tmp_path: Path
) -> None:
    """The other order: /news/briefing is read as a listing first (its link on the front page reads like a menu
    label), and only a page one level further down links it by its headline. It was requested again."""
    story = {name: html(f"The {name} story", sentences(n)) for n, name in enumerate(["briefing", "first"])}
    routes: dict[str, Route] = {
        "/": page(
            '<html><body><nav><a href="/section/world/">World</a> <a href="/news/briefing">Briefing</a></nav>'
            "<p>Front page of the Harbour Times.</p></body></html>"
        ),
        "/section/world/": page('<html><body><h1>World</h1><a href="/section/world/more/">More</a></body></html>'),
        "/section/world/more/": page(
            '<html><body><h2><a href="/news/briefing">Harbour council votes on the ferry timetable tonight</a></h2>'
            '<h2><a href="/news/first">Harbour council votes on the first budget of the year</a></h2></body></html>'
        ),
        "/news/briefing": page(story["briefing"]),
        "/news/first": page(story["first"]),
    }
    with serve(routes) as site:
        sources = tmp_path / "s.toml"
        sources.write_text(
            f'[[sources]]\nname = "harbour"\nhomepage = "{site.base}/"\ndiscover_links = true\nlink_depth = 3\n'
            "[settings]\nper_host_delay = 0\n",
            encoding="utf-8",
        )
        db = tmp_path / "n.duckdb"
        run(sources, db)
    for path in ("/news/briefing", "/news/first"):
        assert len(site.hits(path)) == 1, (path, [r.path for r in site.log])
    assert query(db, "SELECT title FROM articles ORDER BY title") == [("The briefing story",), ("The first story",)]
    assert query(db, "SELECT kind FROM fetches WHERE url LIKE '%/news/briefing'") == [("article",)]
