"""The page archive in real runs over the bundled sample newsroom, and `copydesk reextract` over it.

One module fixture crawls twice (the second run's re-checks answer 304), re-extracts right after (nothing may
change), then re-extracts one source with an extraction hint added (only its changed pages may change).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from warcio.archiveiterator import ArchiveIterator

from extractors.fingerprint import DedupParams
from flows.cli import main
from flows.demo import DemoSites, load_expected, serve_demo_sites
from flows.ingest import ingest
from flows.pipeline import load_batch
from flows.reextract import archived_batch
from flows.steps import BatchRows
from storage.archive import Exchange, WarcArchive, read_response
from storage.db import writing
from storage.dedup import assign_clusters, params_key, signing_params
from storage.load import load_articles, start_run
from storage.pages import archived_pages
from storage.rows import ArticleRow
from tests.loopback import Route, html, page, serve

EXPECTED = load_expected()
PARAMS = DedupParams()
OLD_STORY = " ".join(f"Stored story sentence {n} about the harbour ferry timetable and its budget." for n in range(40))
# Small enough that the first crawl's ~50 KB of pages fill several files.
FILE_BYTES = 20_000
ROWS = "SELECT url, article_id, cluster_id, content_hash, title, text, updated_at, last_run_id FROM articles"
# A hint that changes the text of one source's pages: its first paragraph dropped.
HINTED = "harbourtimes"
HINT = 'exclude_selectors = ["article p:first-of-type"]\n'


@dataclass
class Archived:
    sites: DemoSites
    db: Path
    archive: Path
    runs: list[dict[str, Any]]
    before: dict[str, tuple[Any, ...]]  # articles after the crawls
    plain: str  # `copydesk reextract` output right after the crawls
    after_plain: dict[str, tuple[Any, ...]]
    hinted: str  # output of a reextract of HINTED with the hint added
    after_hint: dict[str, tuple[Any, ...]]
    signed_after_hint: int

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


def articles(db: Path) -> dict[str, tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {row[0]: row for row in con.execute(ROWS).fetchall()}


def reextract_cli(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> str:
    assert main(["reextract", *args]) == code
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def archived(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archived]:
    tmp = tmp_path_factory.mktemp("archive")
    db, sources, hinted, folder = tmp / "news.duckdb", tmp / "sources.toml", tmp / "hinted.toml", tmp / "warcs"
    settings = f'\n[settings]\nper_host_delay = 0.0\narchive_dir = "{folder}"\narchive_file_bytes = {FILE_BYTES}\n'
    with serve_demo_sites() as sites:
        sources.write_text(sites.sources_toml() + settings, encoding="utf-8")
        blocks = sites.sources_toml().replace(f'name = "{HINTED}"\n', f'name = "{HINTED}"\n{HINT}')
        hinted.write_text(blocks + settings, encoding="utf-8")
        runs = [asyncio.run(ingest(str(sources), db=str(db), allow_private=True)) for _ in range(2)]
    before = articles(db)
    yield Archived(sites, db, folder, runs, before, *_reextracts(db, sources, hinted))


def _reextracts(db: Path, sources: Path, hinted: Path) -> tuple[str, dict[str, Any], str, dict[str, Any], int]:
    """`copydesk reextract` as is, then of one source with a hint added; the CLI's output captured by hand (a
    module fixture cannot take the function-scoped capsys)."""
    plain = io.StringIO()
    with contextlib.redirect_stdout(plain):
        assert main(["reextract", "--sources", str(sources), "--db", str(db)]) == 0
    after_plain = articles(db)
    hint = io.StringIO()
    with contextlib.redirect_stdout(hint):
        assert main(["reextract", "--sources", str(hinted), "--db", str(db), "--source", HINTED]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        ((signed,),) = con.execute(
            "SELECT count(*) FROM articles WHERE article_id IN (SELECT article_id FROM signatures)"
        ).fetchall()
    return plain.getvalue(), after_plain, hint.getvalue(), articles(db), signed


def sha1_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


def test_every_article_page_is_archived_once_and_its_row_points_at_its_record(archived: Archived) -> None:
    rows = archived.query(
        "SELECT url, warc_file, record_offset, record_length, payload_digest, run_id FROM pages "
        "WHERE record_type = 'response'"
    )
    assert len(rows) == len({r[0] for r in rows}) == len(EXPECTED["articles"])
    assert {r[5] for r in rows} == {archived.runs[0]["run_id"]}
    for _, warc_file, offset, length, digest, _ in rows:
        response = read_response(archived.archive, warc_file, offset, length)
        assert response.status == 200 and sha1_digest(response.body) == digest


def test_a_recheck_answered_304_is_a_revisit_of_the_stored_response(archived: Archived) -> None:
    revisits = archived.query(
        "SELECT v.payload_digest = r.payload_digest, v.status FROM pages v JOIN pages r USING (url) "
        "WHERE v.record_type = 'revisit' AND r.record_type = 'response' AND v.run_id = ?",
        [archived.runs[1]["run_id"]],
    )
    assert len(revisits) == archived.runs[1]["unchanged"] > 0
    assert set(revisits) == {(True, 304)}


def test_a_site_without_validators_answering_unchanged_pages_is_archived_once_and_reextracts(
    prefect_harness: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every re-check of a page without ETag or Last-Modified is a 200 with the whole page: the unchanged ones
    # are revisits of the stored response, not the page archived again each run.
    paths = [f"/news/story-{k}.html" for k in range(3)]
    words = {p: " ".join(hashlib.sha256(f"{p}{j}".encode()).hexdigest()[:9] for j in range(300)) for p in paths}
    routes: dict[str, Route] = {p: page(html(f"Story {p}", [words[p] + "."])) for p in paths}
    db, sources = tmp_path / "news.duckdb", tmp_path / "sources.toml"
    with serve(routes) as site:
        items = "".join(f"<item><title>t</title><link>{site.base}{p}</link></item>" for p in paths)
        site.routes["/rss.xml"] = page(
            f'<rss version="2.0"><channel><title>s</title>{items}</channel></rss>', "text/xml"
        )
        site.routes["/robots.txt"] = page("User-agent: *\nAllow: /\n", "text/plain")
        sources.write_text(
            f'[[sources]]\nname = "s"\nfeeds = ["{site.base}/rss.xml"]\n[settings]\nper_host_delay = 0\n'
        )
        first = asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        site.routes[paths[0]] = page(html(f"Story {paths[0]}", [words[paths[0]] + " Corrected."]))
        second = asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        assert len(site.hits(paths[1])) == 2  # re-checked in full: no validators to ask with
    with duckdb.connect(str(db), read_only=True) as con:
        pages = con.execute(
            "SELECT split_part(url, '/', -1), record_type, status, record_length FROM pages WHERE run_id = ? "
            "ORDER BY url",
            [second["run_id"]],
        ).fetchall()
        ((first_bytes,),) = con.execute(
            "SELECT min(record_length) FROM pages WHERE run_id = ?", [first["run_id"]]
        ).fetchall()
    assert [row[:3] for row in pages] == [
        ("story-0.html", "response", 200),
        ("story-1.html", "revisit", 200),
        ("story-2.html", "revisit", 200),
    ]
    assert all(length < first_bytes / 2 for *_, length in pages[1:])
    for path in (tmp_path / "news-archive").glob("*.warc.gz"):  # every record whole, as a third party reads it
        with path.open("rb") as stream:
            assert sum(1 for _ in ArchiveIterator(stream, check_digests="raise")) > 0
    before = articles(db)
    out = reextract_cli(capsys, "--sources", str(sources), "--db", str(db))
    assert "3 archived pages, 0 rows changed" in out and "3 unchanged" in out and "0 stale" in out
    assert articles(db) == before
    # The second run's extractor (a newer release, say) read story-1's unchanged bytes into other text: the page
    # as of that run is the archived response its revisit points at, so reextract may rewrite it; not stale.
    url = site.base + paths[1]
    with writing(db) as con:
        con.execute(
            "UPDATE articles SET text = 'What another release kept.', text_run_id = ? WHERE url = ?",
            [second["run_id"], url],
        )
    out = reextract_cli(capsys, "--sources", str(sources), "--db", str(db))
    assert "1 rows changed (1 updated" in out and "0 stale" in out
    assert articles(db)[url][5] == before[url][5]


def test_an_unchanged_page_whose_archived_response_is_gone_is_archived_whole_again(
    prefect_harness: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Old archive files removed (a retention policy): a revisit of a record no file holds would leave the page
    # archived nowhere, run after run.
    paths = [f"/news/story-{k}.html" for k in range(2)]
    words = {p: " ".join(hashlib.sha256(f"{p}{j}".encode()).hexdigest()[:9] for j in range(300)) for p in paths}
    db, sources = tmp_path / "news.duckdb", tmp_path / "sources.toml"
    with serve({p: page(html(f"Story {p}", [words[p] + "."])) for p in paths}) as site:
        items = "".join(f"<item><title>t</title><link>{site.base}{p}</link></item>" for p in paths)
        site.routes["/rss.xml"] = page(
            f'<rss version="2.0"><channel><title>s</title>{items}</channel></rss>', "text/xml"
        )
        sources.write_text(
            f'[[sources]]\nname = "s"\nfeeds = ["{site.base}/rss.xml"]\n[settings]\nper_host_delay = 0\n'
        )
        asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        for old in (tmp_path / "news-archive").glob("*.warc.gz"):
            old.unlink()
        second = asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
    with duckdb.connect(str(db), read_only=True) as con:
        kinds = con.execute(
            "SELECT record_type FROM pages WHERE run_id = ? AND kind = 'article'", [second["run_id"]]
        ).fetchall()
    assert kinds == [("response",), ("response",)]
    out = reextract_cli(capsys, "--sources", str(sources), "--db", str(db))
    assert "2 archived pages, 0 rows changed" in out and "0 unreadable" in out


def test_the_files_roll_at_their_size_and_read_back_whole_with_warcio(archived: Archived) -> None:
    files = sorted(archived.archive.glob("*.warc.gz"))
    assert len(files) > 1
    assert all(f.stat().st_size < FILE_BYTES + 20_000 for f in files)  # closed once past the limit
    types: list[str] = []
    for path in files:
        with path.open("rb") as stream:
            types += [record.rec_type for record in ArchiveIterator(stream, check_digests="raise")]
    (pages,) = archived.query("SELECT count(*) FROM pages")
    assert types.count("request") == pages[0]
    assert types.count("response") + types.count("revisit") == pages[0]


def test_reextract_right_after_a_crawl_changes_nothing(archived: Archived) -> None:
    assert f"{len(EXPECTED['articles'])} archived pages, 0 rows changed" in archived.plain
    assert archived.after_plain == archived.before  # every row as it was: text, cluster ids, updated_at
    statuses = archived.query("SELECT status FROM runs WHERE flow = 'reextract'")
    assert len(statuses) >= 2 and set(statuses) == {("completed",)}


def test_reextract_with_a_new_hint_updates_only_the_pages_it_changes(archived: Archived) -> None:
    (stored,) = archived.query("SELECT count(*) FROM articles WHERE source = ?", [HINTED])
    assert f"{stored[0]} archived pages, {stored[0]} rows changed ({stored[0]} updated, 0 new)" in archived.hinted
    changed = {url for url, row in archived.after_hint.items() if row != archived.before[url]}
    sources = dict(archived.query("SELECT url, source FROM articles"))
    assert changed and {sources[url] for url in changed} == {HINTED}
    for url in changed:
        old, new = archived.before[url], archived.after_hint[url]
        assert new[1] == old[1] and len(new[5]) < len(old[5])  # same article id, text without its first paragraph
        assert new[6] is not None  # updated_at says when
    assert archived.signed_after_hint == len(archived.before)  # the changed ones were signed again


def test_reextract_filters_by_time_and_url(
    archived: Archived, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, sources = str(archived.db), str(archived.db.parent / "sources.toml")  # its archive_dir
    assert "0 archived pages" in reextract_cli(capsys, "--db", db, "--since", "2999-01-01")
    assert "1 archived pages" in reextract_cli(capsys, "--db", db, "--sources", sources, "--url-like", "%late-frost%")
    # Without the sources file, its archive_dir is not known: the page is looked for next to the database.
    assert "1 unreadable" in reextract_cli(capsys, "--db", db, "--url-like", "%late-frost%", code=1)


def test_with_archive_off_nothing_is_archived(prefect_harness: None, tmp_path: Path) -> None:
    db, sources = tmp_path / "news.duckdb", tmp_path / "sources.toml"
    with serve_demo_sites() as sites:
        sources.write_text(sites.sources_toml() + "\n[settings]\nper_host_delay = 0.0\narchive = false\n")
        summary = asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
    assert summary["new"] == len(EXPECTED["articles"])
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM pages").fetchall() == [(0,)]
    assert not (tmp_path / "news-archive").exists()


def test_a_corrupt_archived_record_is_an_error_row_and_the_other_pages_are_reextracted(
    archived: Archived, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, folder = tmp_path / "copy.duckdb", tmp_path / "copy-archive"  # the archive next to the database
    shutil.copy(archived.db, db)
    shutil.copytree(archived.archive, folder)
    (url, warc_file, offset, length), *_ = archived.query(
        "SELECT url, warc_file, record_offset, record_length FROM pages "
        "WHERE kind = 'article' AND record_type = 'response' ORDER BY url"
    )
    with (folder / warc_file).open("r+b") as file:  # garble the middle of the record's gzip member
        file.seek(offset + length // 2)
        file.write(b"\x00garbled\xff" * 4)
    out = reextract_cli(capsys, "--db", str(db), code=1)  # the one page it could not read
    pages = len(archived.query("SELECT DISTINCT url FROM pages WHERE kind = 'article' AND record_type = 'response'"))
    # every other page extracted again (the hinted source's rows go back to the crawl's: no hint given here)
    assert f"{pages} archived pages, " in out and "0 not articles, 1 unreadable" in out
    with duckdb.connect(str(db), read_only=True) as con:
        errors = con.execute(
            "SELECT e.url, e.error_type, e.message FROM errors e JOIN runs r USING (run_id) "
            "WHERE r.flow = 'reextract' AND r.started_at = (SELECT max(started_at) FROM runs)"
        ).fetchall()
    assert [(u, t) for u, t, _ in errors] == [(url, "ArchiveError")]
    assert warc_file in errors[0][2]


def test_reextract_leaves_an_article_whose_text_a_later_run_fetched(
    archived: Archived, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(archived.db, db)
    shutil.copytree(archived.archive, tmp_path / "copy-archive")
    later = datetime.now(UTC) + timedelta(days=1)
    with writing(db) as con:  # a later run, archive off, fetched a new version of one article
        ((url, source),) = con.execute("SELECT url, source FROM articles ORDER BY url LIMIT 1").fetchall()
        start_run(con, "later", flow="ingest", started_at=later, params={})
        newer = ArticleRow(url=url, source=source, text="The newer text.", content_hash="newer", fetched_at=later)
        assert load_articles(con, "later", [newer]).updated == 1
    out = reextract_cli(capsys, "--db", str(db))
    assert "1 stale" in out
    with duckdb.connect(str(db), read_only=True) as con:
        ((text,),) = con.execute("SELECT text FROM articles WHERE url = ?", [url]).fetchall()
    assert text == "The newer text."  # not the archived page's older text


def test_a_page_read_back_carries_its_own_fetch_time_for_the_staleness_check_in_the_write(
    archived: Archived,
) -> None:
    # reload_articles keeps a row whose text a run begun after the page's fetch gave: that needs the page's
    # fetch time on the extracted row, not the time of the re-extraction.
    with duckdb.connect(str(archived.db), read_only=True) as con:
        pages = archived_pages(con)
    planned, responses, errors = archived_batch(archived.archive, pages)
    assert not errors and len(responses) == len(pages) > 0
    assert [r.fetched_at for r in responses] == [p.fetched_at for p in pages]


def test_with_archive_listings_the_feeds_and_sitemaps_read_are_archived_too(
    prefect_harness: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, sources = tmp_path / "news.duckdb", tmp_path / "sources.toml"
    with serve_demo_sites() as sites:
        # A first run without it, then two with it: the listings answer 304 to the stored validators by then,
        # but one never archived is fetched whole once, so that later 304s have a response to revisit.
        sources.write_text(sites.sources_toml() + "\n[settings]\nper_host_delay = 0.0\n")
        runs = [asyncio.run(ingest(str(sources), db=str(db), allow_private=True))]
        sources.write_text(sites.sources_toml() + "\n[settings]\nper_host_delay = 0.0\narchive_listings = true\n")
        runs += [asyncio.run(ingest(str(sources), db=str(db), allow_private=True)) for _ in range(2)]
    assert runs[0]["new"] == len(EXPECTED["articles"])
    first, on, again = (run["run_id"] for run in runs)
    with duckdb.connect(str(db), read_only=True) as con:

        def listings_archived(run_id: str, record_type: str) -> list[tuple[Any, ...]]:
            return con.execute(
                "SELECT kind, url, source, warc_file, record_offset, record_length, payload_digest FROM pages "
                "WHERE kind <> 'article' AND record_type = ? AND run_id = ?",
                [record_type, run_id],
            ).fetchall()

        def listings_fetched(run_id: str, status: int) -> list[tuple[Any, ...]]:
            return con.execute(
                "SELECT DISTINCT kind, url FROM fetches WHERE kind IN ('feed', 'sitemap', 'page') AND status = ? "
                "AND run_id = ?",
                [status, run_id],
            ).fetchall()

        assert listings_archived(first, "response") == []  # off by default
        listings = listings_archived(on, "response")
        # Every feed and sitemap read with success (fetches says which) is archived, once, none asked "changed?"
        assert sorted((kind, url) for kind, url, *_ in listings) == sorted(listings_fetched(on, 200))
        assert listings_fetched(on, 304) == []
        revisits, unchanged = listings_archived(again, "revisit"), listings_fetched(again, 304)
    assert {kind for kind, *_ in listings} >= {"feed", "sitemap"}
    assert {source for _, _, source, *_ in listings} == set(sites.base_urls)
    for _, _, _, warc_file, offset, length, digest in listings:
        response = read_response(tmp_path / "news-archive", warc_file, offset, length)
        assert response.status == 200 and sha1_digest(response.body) == digest and response.body.lstrip()[:1] == b"<"
    # a listing that answered 304 the third time is a revisit of its response
    assert len(unchanged) > 0 and sorted((kind, url) for kind, url, *_ in revisits) == sorted(unchanged)
    # reextract reads article pages only
    out = reextract_cli(capsys, "--db", str(db))
    assert f"{len(EXPECTED['articles'])} archived pages, 0 rows changed" in out


def test_the_archive_alone_rebuilds_the_articles_and_clusters_in_a_new_file(
    archived: Archived, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What copydesk tells a user whose database file DuckDB refuses (storage.db.corrupt_message).
    rebuilt, sources = tmp_path / "rebuilt.duckdb", archived.db.parent / "sources.toml"
    assert main(["ingest-warc", str(archived.archive), "--db", str(rebuilt), "--sources", str(sources)]) == 0
    capsys.readouterr()
    with duckdb.connect(str(rebuilt), read_only=True) as con:
        got = con.execute("SELECT url, title, text, content_hash, cluster_id FROM articles").fetchall()
    # As the crawls stored them (`before`: the fixture's reextract with a hint changed some afterwards).
    assert {r[0]: (r[4], r[5], r[3]) for r in archived.before.values()} == {r[0]: r[1:4] for r in got}
    assert partition({r[0]: r[2] for r in archived.before.values()}) == partition({r[0]: r[4] for r in got})


def test_the_archive_its_own_crawls_wrote_is_not_ingested_into_the_same_database_again(
    archived: Archived, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each page had a second `pages` row (the file's absolute path beside the crawl's name); a copy of the database
    # (its pages rows) keeps its archive's files out too, while a new database reads them (the test above).
    copy = tmp_path / "copy.duckdb"
    shutil.copy(archived.db, copy)
    pages = archived.query("SELECT count(*) FROM pages")
    sources = archived.db.parent / "sources.toml"
    assert main(["ingest-warc", str(archived.archive), "--db", str(copy), "--sources", str(sources)]) == 1
    assert "written by this database's own crawls into its archive" in capsys.readouterr().err
    with duckdb.connect(str(copy), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM pages").fetchall() == pages


def test_ingest_into_a_database_signed_under_older_shingle_rules_signs_as_that_index_was(
    archived: Archived, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A desk upgraded past a change of shingle rules ingests WARC files under the rules its index was signed with."""
    db, sources, older = (
        tmp_path / "older.duckdb",
        archived.db.parent / "sources.toml",
        replace(PARAMS, shingle_rules="script1"),
    )
    with writing(db) as con:
        start_run(con, "r0", flow="ingest", started_at=datetime.now(UTC), params={})
        load_articles(
            con,
            "r0",
            [
                ArticleRow(
                    url="http://old.example/a",
                    source="old",
                    text=OLD_STORY,
                    content_hash="a",
                    fetched_at=datetime.now(UTC),
                )
            ],
        )
        assign_clusters(con, "r0", older)
        assert signing_params(con, PARAMS) == older
    assert main(["ingest-warc", str(archived.archive), "--db", str(db), "--sources", str(sources)]) == 0
    capsys.readouterr()
    with duckdb.connect(str(db), read_only=True) as con:
        keys = con.execute("SELECT DISTINCT params FROM signatures").fetchall()
        got = dict(con.execute("SELECT url, cluster_id FROM articles WHERE url <> 'http://old.example/a'").fetchall())
    assert keys == [(params_key(older),)]
    assert partition({r[0]: r[2] for r in archived.before.values()}) == partition(got)


def partition(cluster_of: dict[str, Any]) -> set[frozenset[str]]:
    members: dict[Any, set[str]] = {}
    for url, cluster in cluster_of.items():
        members.setdefault(cluster, set()).add(url)
    return {frozenset(m) for m in members.values()}


# Loads batches through flows.pipeline.load_batch, each with 3 archived pages and an errors row of 300 KB, under a
# soft file size limit the WAL passes after a few batches (RLIMIT_FSIZE makes write() fail with EFBIG as a full
# disk fails it with ENOSPC, without root; the archive's files stay far below it). A batch that fails is retried
# once the limit is lifted, as the load task retries it. argv: db, archive folder, limit. Prints the errors.
FULL_DATABASE_LOADER = """
import os, random, resource, signal, sys
from datetime import UTC, datetime
from flows.pipeline import load_batch
from flows.steps import BatchRows
from storage.archive import Exchange, WarcArchive
from storage.db import DiskFullError, writing
from storage.load import start_run
from storage.rows import ErrorRow
db, folder, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
with writing(db) as con:
    start_run(con, "r1", flow="ingest", started_at=datetime.now(UTC), params={})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
with WarcArchive(folder, max_file_bytes=30_000) as archive:
    batch = 0
    while batch < 8:
        noise = random.Random(batch)
        pages = [
            Exchange(url=f"http://a.example/{batch}-{n}", fetch_url=f"http://a.example/{batch}-{n}",
                     target_url=f"http://a.example/{batch}-{n}", source="a", kind="article", status=200,
                     fetched_at=datetime.now(UTC), body=noise.randbytes(3000).hex().encode(),
                     headers=(("Content-Type", "text/html"),), request_headers=(("Host", "a.example"),))
            for n in range(3)
        ]
        rows = BatchRows(errors=[ErrorRow("fetch", None, "Probe", noise.randbytes(150_000).hex(), datetime.now(UTC))])
        try:
            load_batch(db, "r1", rows, archive, pages)
        except DiskFullError as exc:
            print("error", exc, flush=True)
            resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            continue
        batch += 1
"""


def test_a_batch_the_database_could_not_take_is_not_archived_twice_by_its_retry(tmp_path: Path) -> None:
    """A load whose transaction failed after its pages' records were on disk left them there, and its retry
    archived them again (helper sweep: 3 copies of a batch's pages in files no row pointed at, which a later run
    never cut, and which ingest-warc of the folder read as pages)."""
    import subprocess
    import sys

    db, folder = tmp_path / "news.duckdb", tmp_path / "archive"
    done = subprocess.run(
        [sys.executable, "-c", FULL_DATABASE_LOADER, str(db), str(folder), "1500000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    errors = done.stdout.splitlines()
    assert len(errors) == 1 and "out of space" in errors[0] and str(db) in errors[0], done.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT url, warc_file, record_offset, record_length FROM pages").fetchall()
        ends = dict(
            con.execute("SELECT warc_file, max(record_offset + record_length) FROM pages GROUP BY 1").fetchall()
        )
    assert sorted(url for url, *_ in rows) == sorted(f"http://a.example/{b}-{n}" for b in range(8) for n in range(3))
    files = {path.name: path for path in folder.glob("*.warc.gz")}
    assert set(files) == set(ends), "every file holds committed records, and only those"
    assert all(files[name].stat().st_size == end for name, end in ends.items())
    archived = []
    for path in files.values():
        with path.open("rb") as stream:
            archived += [
                r.rec_headers.get_header("WARC-Target-URI")
                for r in ArchiveIterator(stream, check_digests="raise")
                if r.rec_type == "response"
            ]
    assert sorted(archived) == sorted(url for url, *_ in rows)  # each page once
    for url, warc_file, offset, length in rows:
        assert read_response(folder, warc_file, offset, length).status == 200, url


def test_a_load_that_ran_out_of_disk_is_not_retried_and_one_that_found_the_file_locked_is() -> None:
    """Each disk-full batch was retried twice, 5 s apart, to fail the same way."""
    from prefect.states import Failed

    from flows.pipeline import load
    from storage.archive import ArchiveFullError
    from storage.db import DatabaseLockedError, DiskFullError

    worth_retrying = load.retry_condition_fn
    assert worth_retrying is not None
    assert not worth_retrying(load, None, Failed(data=DiskFullError("news.duckdb: out of space")))  # type: ignore[arg-type]
    assert not worth_retrying(load, None, Failed(data=ArchiveFullError("archive: out of space")))  # type: ignore[arg-type]
    assert worth_retrying(load, None, Failed(data=DatabaseLockedError("news.duckdb is locked")))  # type: ignore[arg-type]


# One batch of 3 archived pages loaded with checkpoint_threshold at 1 KB (set on a connection this process keeps
# open, so the batch's connection shares the database instance and its setting; it stands in for a WAL past
# 16 MB), under a file size limit the WAL stays within and the checkpoint's growth of the file does not.
# argv: db, archive folder. Prints the error.
CHECKPOINT_FAILING_LOADER = """
import os, random, resource, signal, sys
from datetime import UTC, datetime
import duckdb
from flows.pipeline import load_batch
from flows.steps import BatchRows
from storage.archive import Exchange, WarcArchive
from storage.db import writing
from storage.load import start_run
from storage.rows import ErrorRow
db, folder = sys.argv[1], sys.argv[2]
with writing(db) as con:
    start_run(con, "r1", flow="ingest", started_at=datetime.now(UTC), params={})
keeper = duckdb.connect(db)
keeper.execute("SET checkpoint_threshold = '1KB'")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(db) + 100_000, resource.RLIM_INFINITY))
noise = random.Random(1)
pages = [
    Exchange(url=f"http://a.example/{n}", fetch_url=f"http://a.example/{n}", target_url=f"http://a.example/{n}",
             source="a", kind="article", status=200, fetched_at=datetime.now(UTC),
             body=noise.randbytes(3000).hex().encode(), headers=(("Content-Type", "text/html"),),
             request_headers=(("Host", "a.example"),))
    for n in range(3)
]
rows = BatchRows(errors=[ErrorRow("fetch", None, "Probe", noise.randbytes(30_000).hex(), datetime.now(UTC))])
with WarcArchive(folder, max_file_bytes=10**9) as archive:
    try:
        load_batch(db, "r1", rows, archive, pages)
    except Exception as exc:
        print(type(exc).__name__, exc)
"""


def test_a_commit_whose_checkpoint_failed_keeps_its_pages_records(tmp_path: Path) -> None:
    """DuckDB checkpoints within a commit that takes the WAL past checkpoint_threshold; when that fails (a full
    disk's likeliest moment), the commit raises although it is durable. Taking the batch's records back then
    left its committed pages rows pointing past the end of the file (a review of this change)."""
    import subprocess
    import sys

    db, folder = tmp_path / "news.duckdb", tmp_path / "archive"
    done = subprocess.run(
        [sys.executable, "-c", CHECKPOINT_FAILING_LOADER, str(db), str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"CommittedButNotFoldedError {db}: the batch was committed and is kept (in the WAL beside the file), but "
        "folding the WAL into the file then failed: out of space (File too large)"
    ), done.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT url, warc_file, record_offset, record_length FROM pages ORDER BY url").fetchall()
    assert [url for url, *_ in rows] == [f"http://a.example/{n}" for n in range(3)]
    for url, warc_file, offset, length in rows:
        assert read_response(folder, warc_file, offset, length).status == 200, url


def _archived_pages(batch: int) -> list[Exchange]:
    return [
        Exchange(
            url=f"http://a.example/{batch}-{n}",
            fetch_url=f"http://a.example/{batch}-{n}",
            target_url=f"http://a.example/{batch}-{n}",
            source="a",
            kind="article",
            status=200,
            fetched_at=datetime.now(UTC),
            body=f"<p>Story {batch}-{n}</p>".encode() * 50,
            headers=(("Content-Type", "text/html"),),
            request_headers=(("Host", "a.example"),),
        )
        for n in range(3)
    ]


def test_a_copy_of_the_database_sharing_its_archive_leaves_the_originals_later_records(tmp_path: Path) -> None:
    """A copy of the database whose archive_dir is the original's (or the database restored from a backup) cut
    the archive file back to its own last record at its next run: the original's later pages rows then pointed
    past the file's end (an operator's review)."""
    db, copy, folder = tmp_path / "news.duckdb", tmp_path / "copy.duckdb", tmp_path / "archive"
    with writing(db) as con:
        start_run(con, "r1", flow="ingest", started_at=datetime.now(UTC), params={})
    with WarcArchive(folder, max_file_bytes=10**9) as archive:
        load_batch(str(db), "r1", BatchRows(), archive, _archived_pages(0))
    for suffix in ("", ".wal"):  # a backup of the file and its WAL
        if Path(f"{db}{suffix}").exists():
            shutil.copy(f"{db}{suffix}", f"{copy}{suffix}")
    with WarcArchive(folder, max_file_bytes=10**9) as archive:
        load_batch(str(db), "r1", BatchRows(), archive, _archived_pages(1))  # the original goes on
    with WarcArchive(folder, max_file_bytes=10**9) as archive:
        load_batch(str(copy), "r1", BatchRows(), archive, _archived_pages(2))  # the copy's next run
    for database in (db, copy):
        with duckdb.connect(str(database), read_only=True) as con:
            rows = con.execute("SELECT url, warc_file, record_offset, record_length FROM pages").fetchall()
            skipped = con.execute("SELECT message FROM errors WHERE error_type = 'ArchiveFileSkipped'").fetchall()
        assert len(rows) == 6
        for url, warc_file, offset, length in rows:
            assert read_response(folder, warc_file, offset, length).target_url == url
        if database == copy:
            ((message,),) = skipped
            assert "committed by another copy of this database" in message
    assert len(list(folder.glob("*.warc.gz"))) == 2  # the copy's pages went to a file of its own


def test_records_no_row_points_at_are_still_cut_after_a_committed_batch(tmp_path: Path) -> None:
    """The committed mark beside a file keeps another writer's records, not a crashed batch's: a process killed
    between archiving a batch and committing it leaves records past the mark, which the next run cuts."""
    db, folder = tmp_path / "news.duckdb", tmp_path / "archive"
    with writing(db) as con:
        start_run(con, "r1", flow="ingest", started_at=datetime.now(UTC), params={})
    with WarcArchive(folder, max_file_bytes=10**9) as archive:
        load_batch(str(db), "r1", BatchRows(), archive, _archived_pages(0))
        archive.write(_archived_pages(1), refers_to={}.get, committed_end=lambda name: 0)  # never committed
    (path,) = folder.glob("*.warc.gz")
    crashed_size = path.stat().st_size
    with WarcArchive(folder, max_file_bytes=10**9) as archive:
        load_batch(str(db), "r1", BatchRows(), archive, _archived_pages(2))
    with duckdb.connect(str(db), read_only=True) as con:
        urls = [url for (url,) in con.execute("SELECT url FROM pages ORDER BY record_offset").fetchall()]
    assert urls == [f"http://a.example/{b}-{n}" for b in (0, 2) for n in range(3)]
    assert list(folder.glob("*.warc.gz")) == [path]  # cut back and resumed
    with path.open("rb") as stream:
        archived = [
            r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(stream) if r.rec_type == "response"
        ]
    assert archived == urls and path.stat().st_size != crashed_size
