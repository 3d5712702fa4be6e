"""Stories that move or are taken down between runs: one row per story, and a mark on the ones that are gone.

Real ingest flows (the package's Prefect harness) over one loopback site whose pages change after the first run,
as publishers change them: a new slug behind a 301, a new rel=canonical, a 404, a 410, a redirect to the front
page, and a page redirected onto another stored story.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.ingest import ingest
from storage.db import writing
from tests.loopback import Route, Site, page, serve

STORIES = 8


def story(k: int, *, canonical: str | None = None, edited: bool = False) -> str:
    """Story k's page: 130 words of its own (one changed when `edited`), under an optional rel=canonical."""
    words = " ".join(f"story{k}word{j}" for j in range(130))
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    lede = "An editor changed this lede." if edited else "The first lede."
    return (
        f"<html><head><title>Story {k}</title>{head}</head><body><article><h1>Story {k}</h1>"
        f"<p>{lede} {words}.</p><p>{words.upper()}.</p></article></body></html>"
    )


def redirect(location: str, status: int = 301) -> Route:
    return lambda request: (status, {"Location": location, "Content-Length": "0"}, b"")


def front_page(base: str) -> str:
    links = "".join(f'<li><a href="{base}/news/s{k}.html">Headline number {k} of the day</a></li>' for k in range(40))
    return f"<html><head><title>The Daily</title></head><body><h1>The Daily</h1><ul>{links}</ul></body></html>"


@pytest.fixture
def site() -> Iterator[Site]:
    with serve({}) as served:
        base = served.base
        served.routes.update(
            {
                "/robots.txt": page("User-agent: *\nAllow: /\n", "text/plain"),
                "/rss.xml": rss([f"{base}/news/s{k}.html" for k in range(STORIES)]),
                "/": page(front_page(base)),
                **{f"/news/s{k}.html": page(story(k)) for k in range(STORIES)},
            }
        )
        yield served


def sources_file(tmp_path: Path, base: str) -> Path:
    """A sources file naming the site's feed, with no politeness delay and one extraction worker."""
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[[sources]]\nname = "daily"\nfeeds = ["{base}/rss.xml"]\n'
        "[settings]\nper_host_delay = 0.0\nextract_workers = 1\n"
    )
    return path


def rss(urls: list[str]) -> Route:
    items = "".join(f"<item><title>t</title><link>{url}</link></item>" for url in urls)
    return page(f'<rss version="2.0"><channel><title>d</title>{items}</channel></rss>')


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_moved_stories_keep_their_row_and_gone_ones_are_marked_not_deleted(
    prefect_harness: None, site: Site, tmp_path: Path
) -> None:
    base, db = site.base, tmp_path / "news.duckdb"
    sources = sources_file(tmp_path, base)
    asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
    first = dict(query(db, "SELECT url, article_id FROM articles"))
    assert len(first) == STORIES

    # Between runs the publisher moves, edits and takes down stories.
    site.routes.update(
        {
            "/news/s0.html": page("not here", "text/plain", status=404),
            "/news/s1.html": page("removed", "text/plain", status=410),
            "/news/s2.html": redirect(f"{base}/"),  # taken down the usual way: readers sent to the front page
            "/news/s3.html": redirect(f"{base}/news/2026/s3-new-slug.html"),
            "/news/2026/s3-new-slug.html": page(story(3, edited=True)),
            "/news/s4.html": page(story(4, canonical=f"{base}/news/s4-renamed.html")),
            "/news/s5.html": redirect(f"{base}/news/s6.html"),  # two stored pages of one story: one now leads on
        }
    )
    asyncio.run(ingest(str(sources), db=str(db), allow_private=True))

    rows = {
        url: rest
        for url, *rest in query(db, "SELECT url, article_id, gone_status, gone_at IS NOT NULL, text FROM articles")
    }
    # A moved story is its old row under its new address (same id, so the same cluster and history), edited.
    assert f"{base}/news/s3.html" not in rows
    assert rows[f"{base}/news/2026/s3-new-slug.html"][:3] == [first[f"{base}/news/s3.html"], None, False]
    assert "An editor changed this lede." in rows[f"{base}/news/2026/s3-new-slug.html"][3]
    assert rows[f"{base}/news/s4-renamed.html"][:3] == [first[f"{base}/news/s4.html"], None, False]
    assert f"{base}/news/s4.html" not in rows
    # Gone stories keep their row and text, marked with what said so.
    assert {url.rsplit("/", 1)[1]: (status, marked) for url, (_, status, marked, _) in rows.items() if marked} == {
        "s0.html": (404, True),
        "s1.html": (410, True),
        "s2.html": (301, True),
        "s5.html": (301, True),
    }
    assert all(text.startswith("The first lede.") for url, (*_, text) in rows.items() if url.endswith("s0.html"))
    assert len(rows) == STORIES
    # The front page a taken-down story now redirects to is not stored as the story; the errors table says why.
    assert f"{base}/" not in rows
    assert query(db, "SELECT url, error_type FROM errors") == [(f"{base}/news/s2.html", "RedirectedToFrontPage")]
    # The old addresses lead to the new ones.
    aliases = dict(query(db, "SELECT alias_url, url FROM url_aliases"))
    assert aliases[f"{base}/news/s3.html"] == f"{base}/news/2026/s3-new-slug.html"
    assert aliases[f"{base}/news/s4.html"] == f"{base}/news/s4-renamed.html"
    assert aliases[f"{base}/news/s5.html"] == f"{base}/news/s6.html"

    # The story comes back: no longer gone. Its URL waits a refetch window after a 404, so the test moves time.
    site.routes["/news/s0.html"] = page(story(0))
    with writing(db) as con:
        con.execute("UPDATE seen_urls SET last_checked_at = last_checked_at - INTERVAL 2 DAY WHERE url LIKE '%s0%'")
    asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
    assert query(db, f"SELECT article_id, gone_at, gone_status FROM articles WHERE url = '{base}/news/s0.html'") == [
        (first[f"{base}/news/s0.html"], None, None)
    ]
    # A third run moves nothing again and stores no second row of a moved story.
    assert len(query(db, "SELECT url FROM articles")) == STORIES


def test_stories_whose_template_gives_them_one_canonical_each_keep_their_own_row(
    prefect_harness: None, tmp_path: Path
) -> None:
    # A canonical that is neither the front page nor a folder above (a fixed story's address, from a template)
    # keyed every story on one row, each overwriting the last, with nothing in `errors`. A page and its AMP
    # version, which share a canonical as they should, stay one row.
    with serve({}) as site:
        base = site.base
        shared = f"{base}/news/top-story"
        listed = [f"{base}/news/c{k}.html" for k in range(3)] + [f"{base}/news/c0.amp.html"]
        site.routes.update(
            {
                "/robots.txt": page("User-agent: *\nAllow: /\n", "text/plain"),
                "/rss.xml": rss(listed),
                **{f"/news/c{k}.html": page(story(k, canonical=shared)) for k in range(3)},
                "/news/c0.amp.html": page(story(0, canonical=shared, edited=True)),
            }
        )
        db, sources = tmp_path / "news.duckdb", sources_file(tmp_path, base)
        asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        rows = dict(query(db, "SELECT url, left(text, 40) FROM articles"))
        # The first story to claim the canonical keeps it (with its AMP page); the others are their own rows.
        stories = {url: text.split()[-1].split("word")[0] for url, text in rows.items()}
        assert stories == {shared: "story0", f"{base}/news/c1.html": "story1", f"{base}/news/c2.html": "story2"}
        assert sorted(query(db, "SELECT url FROM errors WHERE error_type = 'CanonicalIgnored'")) == [
            (f"{base}/news/c1.html",),
            (f"{base}/news/c2.html",),
        ]
        # A later run: a new story with the same template takes no stored story's row.
        site.routes["/news/c3.html"] = page(story(3, canonical=shared))
        site.routes["/rss.xml"] = rss([*listed, f"{base}/news/c3.html"])
        asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        rows = dict(query(db, "SELECT url, left(text, 40) FROM articles"))
    assert len(rows) == 4
    assert rows[shared].split()[-1].startswith("story0")
    assert rows[f"{base}/news/c3.html"].split()[-1].startswith("story3")
    assert query(db, f"SELECT article_url FROM seen_urls WHERE url = '{base}/news/c3.html'") == [
        (f"{base}/news/c3.html",)
    ]


def test_a_page_that_comes_back_after_redirecting_onto_another_story_leaves_that_story_alone(
    prefect_harness: None, site: Site, tmp_path: Path
) -> None:
    # Its URL still led to the story it had redirected to (seen_urls): its comeback read as "s6 moved to s5",
    # marking the live s6 gone and each URL an alias of the other (found by a review of this change).
    base, db = site.base, tmp_path / "news.duckdb"
    sources = sources_file(tmp_path, base)
    asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
    site.routes["/news/s5.html"] = redirect(f"{base}/news/s6.html")
    asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
    assert query(db, f"SELECT gone_status FROM articles WHERE url = '{base}/news/s5.html'") == [(301,)]

    site.routes["/news/s5.html"] = page(story(5))  # the redirect was a mistake
    asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
    assert query(db, "SELECT url FROM articles WHERE gone_at IS NOT NULL") == []
    assert query(db, "SELECT alias_url, url FROM url_aliases") == []
    assert len(query(db, "SELECT url FROM articles")) == STORIES


def test_the_story_at_a_shared_canonical_does_not_overwrite_the_page_that_claimed_it_first(
    prefect_harness: None, tmp_path: Path
) -> None:
    # The first page to claim a template's canonical keeps it; the story at that address, fetched in a later run
    # without the claimer, overwrote it (found by a review of this change).
    with serve({}) as site:
        base = site.base
        shared = f"{base}/news/top-story"

        site.routes.update(
            {
                "/robots.txt": page("User-agent: *\nAllow: /\n", "text/plain"),
                "/rss.xml": rss([f"{base}/news/c1.html"]),
                "/news/c1.html": page(story(1, canonical=shared)),  # the template names the top story
                "/news/top-story": page(story(9, canonical=shared)),
            }
        )
        db, sources = tmp_path / "news.duckdb", sources_file(tmp_path, base)
        asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        # The next run's feed also lists the top story itself (c1 has left the feed).
        site.routes["/rss.xml"] = rss([f"{base}/news/top-story"])
        site.routes["/news/c1.html"] = page("gone", "text/plain", status=500)  # c1 not re-read this run
        asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        rows = dict(query(db, "SELECT url, text FROM articles"))
    # Story 1 went back to its own page's address; the top story is at its own.
    assert {url: text.split()[3][:6] for url, text in rows.items()} == {
        shared: "story9",
        f"{base}/news/c1.html": "story1",
    }


def test_the_old_address_of_a_moved_story_going_404_leaves_the_story_alone(
    prefect_harness: None, site: Site, tmp_path: Path
) -> None:
    # The page_url of a story moved unchanged stayed its old address, whose 404 then marked the live story gone
    # (found by a review of this change).
    base, db = site.base, tmp_path / "news.duckdb"
    sources = sources_file(tmp_path, base)
    asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
    new = f"{base}/news/2026/s3-new-slug.html"
    site.routes["/news/s3.html"] = redirect(new)  # a new slug, the story unchanged
    site.routes["/news/2026/s3-new-slug.html"] = page(story(3))
    asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
    # The page the text now comes from is the new slug's.
    assert query(db, f"SELECT page_url FROM articles WHERE url = '{new}'") == [(new,)]
    # Later the publisher drops the old slug's redirect: the old address 404s, the story is live at the new one.
    site.routes["/news/s3.html"] = page("not here", "text/plain", status=404)
    asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
    assert query(db, f"SELECT gone_at, gone_status FROM articles WHERE url = '{new}'") == [(None, None)]


def live(k: int, canonical: str) -> str:
    words = " ".join(f"update{k}word{j}" for j in range(130))
    return (
        f'<html><head><title>Live: the storm</title><link rel="canonical" href="{canonical}"></head><body>'
        f"<article><h1>Live: the storm</h1><p>Latest. {words}.</p><p>{words.upper()}.</p></article></body></html>"
    )


def test_a_rewritten_story_read_first_through_its_amp_page_keeps_one_row(prefect_harness: None, tmp_path: Path) -> None:
    # Its row went back to the AMP address when the story at the canonical address had been rewritten, and the
    # rewrite got a second row (found by a review of this change).
    with serve({}) as site:
        base = site.base
        canonical, amp = f"{base}/news/storm-live.html", f"{base}/amp/news/storm-live.html"

        site.routes.update(
            {
                "/robots.txt": page("User-agent: *\nAllow: /\n", "text/plain"),
                "/rss.xml": rss([amp]),  # the feed links the AMP version
                "/amp/news/storm-live.html": page(live(1, canonical)),
                "/news/storm-live.html": page(live(1, canonical)),
            }
        )
        db, sources = tmp_path / "news.duckdb", sources_file(tmp_path, base)
        asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        assert query(db, "SELECT url, page_url FROM articles") == [(canonical, amp)]
        (first_id,) = query(db, "SELECT article_id FROM articles")[0]
        # The live page is rewritten; the feed now links the page itself (the AMP page is down this run).
        site.routes["/rss.xml"] = rss([canonical])
        site.routes["/news/storm-live.html"] = page(live(2, canonical))
        site.routes["/amp/news/storm-live.html"] = page("down", "text/plain", status=500)
        asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        rows = query(db, "SELECT url, article_id, substr(text, 1, 20) FROM articles ORDER BY url")
    # One story, one row: under its canonical address, with its id and the new text.
    assert [(url, article_id) for url, article_id, _ in rows] == [(canonical, first_id)], rows
