"""The real ingest flow over the bundled sample newsroom on loopback, into a real DuckDB file."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.demo import DemoSites, load_expected, serve_demo_sites
from flows.ingest import ingest

EXPECTED = load_expected()
WIRE = EXPECTED["wire_stories"][0]
FOLLOWUP_ID = EXPECTED["hard_negatives"][0]["ids"][0]


@dataclass
class Crawl:
    sites: DemoSites
    db: Path
    sources: Path
    first: dict[str, Any]
    second: dict[str, Any]
    first_rows: dict[str, tuple[Any, ...]]

    def url(self, article_id: str) -> str:
        article = next(a for a in EXPECTED["articles"] if a["id"] == article_id)
        return self.sites.base_urls[article["site"]] + article["path"]

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def crawl(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    tmp = tmp_path_factory.mktemp("e2e")
    db, sources = tmp / "news.duckdb", tmp / "sources.toml"
    with serve_demo_sites() as sites:
        sources.write_text(sites.sources_toml() + "\n[settings]\nper_host_delay = 0.0\n", encoding="utf-8")
        first = asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        with duckdb.connect(str(db), read_only=True) as con:
            rows = {
                r[0]: r
                for r in con.execute("SELECT url, article_id, cluster_id, content_hash FROM articles").fetchall()
            }
        second = asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        yield Crawl(sites, db, sources, first, second, rows)


def test_every_sample_article_is_stored_once(crawl: Crawl) -> None:
    stored = [r[0] for r in crawl.query("SELECT url FROM articles")]
    expected = {crawl.url(a["id"]) for a in EXPECTED["articles"]}
    assert sorted(stored) == sorted(expected)
    assert crawl.first["new"] == len(expected)


def test_a_finished_run_leaves_its_batches_in_the_file_not_the_wal(crawl: Crawl) -> None:
    wal = Path(f"{crawl.db}.wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_text_keeps_the_paragraphs_and_drops_every_kind_of_boilerplate(crawl: Crawl) -> None:
    # Every article and every kind the sites' truth lists: the metrowire pages' newsletter box ("... lands in your
    # inbox at 6pm. Sign me up") stayed in their text while this test checked galleries and captions only.
    for article in EXPECTED["articles"]:
        ((text, captions),) = crawl.query(
            "SELECT text, captions FROM articles WHERE url = ?", [crawl.url(article["id"])]
        )
        for paragraph in article["paragraphs"]:
            assert paragraph in text
        for piece in article["boilerplate"]:
            assert piece["text"] not in text, (article["id"], piece)
        if article["has_gallery"]:
            assert captions, f"{article['id']}: removed captions should be kept as data"


def test_wire_copies_share_a_cluster_and_the_followup_does_not(crawl: Crawl) -> None:
    clusters = dict(crawl.query("SELECT url, cluster_id FROM articles"))
    wire = {clusters[crawl.url(c["id"])] for c in WIRE["copies"]}
    assert len(wire) == 1 and None not in wire
    assert clusters[crawl.url(FOLLOWUP_ID)] not in wire
    sizes = crawl.query("SELECT size FROM clusters WHERE cluster_id = ?", [wire.pop()])
    assert sizes == [(len(WIRE["copies"]),)]


def test_syndication_view_explains_each_join(crawl: Crawl) -> None:
    pairs = crawl.query("SELECT url, matched_url, jaccard, containment FROM syndication")
    wire_urls = {crawl.url(c["id"]) for c in WIRE["copies"]}
    assert pairs and all({url, matched} <= wire_urls for url, matched, _, _ in pairs)
    assert all(max(j, c) > 0.5 for _, _, j, c in pairs)


def test_every_request_is_logged_and_robots_is_obeyed(crawl: Crawl) -> None:
    sql = "SELECT kind, count(*) FROM fetches WHERE run_id = ? GROUP BY kind"
    kinds = dict(crawl.query(sql, [crawl.first["run_id"]]))
    assert kinds["robots"] == 3 and kinds["feed"] == 4 and kinds["sitemap"] >= 4
    assert kinds["article"] == len(EXPECTED["articles"])
    assert not [r for r in crawl.sites.requests if r.path.startswith("/private/")]


def test_a_second_run_adds_nothing_and_keeps_cluster_ids(crawl: Crawl) -> None:
    rows = {r[0]: r for r in crawl.query("SELECT url, article_id, cluster_id, content_hash FROM articles")}
    assert rows == crawl.first_rows
    assert crawl.second["new"] == 0 and crawl.second["updated"] == 0
    runs = crawl.query("SELECT status, new FROM runs ORDER BY started_at")
    assert runs == [("completed", len(rows)), ("completed", 0)]
    feeds = [r for r in crawl.sites.requests if r.path.endswith((".xml",)) and r.headers.get("If-None-Match")]
    assert feeds, "the second run should ask for feeds and sitemaps conditionally"


def recent_sample_articles(window: timedelta = timedelta(hours=24)) -> set[str]:
    """Sample articles published within `window` of their site's newest article."""
    published = {a["id"]: datetime.fromisoformat(a["published_at"]) for a in EXPECTED["articles"]}
    newest: dict[str, datetime] = {}
    for a in EXPECTED["articles"]:
        newest[a["site"]] = max(newest.get(a["site"], published[a["id"]]), published[a["id"]])
    return {a["id"] for a in EXPECTED["articles"] if published[a["id"]] >= newest[a["site"]] - window}


def test_a_second_run_rechecks_recent_articles_conditionally(crawl: Crawl) -> None:
    rechecks = crawl.query(
        "SELECT url, status, conditional FROM fetches WHERE run_id = ? AND kind = 'article'", [crawl.second["run_id"]]
    )
    recent = recent_sample_articles()
    assert 0 < len(recent) < len(EXPECTED["articles"])  # the fixture exercises both sides of the window
    assert sorted(url for url, _, _ in rechecks) == sorted(crawl.url(i) for i in recent)
    assert {(status, conditional) for _, status, conditional in rechecks} == {(304, True)}
    assert crawl.second["unchanged"] == len(recent)
