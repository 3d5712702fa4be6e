"""Loading into a real DuckDB file: idempotent, one row per URL, updates in place."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.db import DatabaseLockedError, connect, writing
from storage.load import (
    RunningRun,
    finish_run,
    load_aliases,
    load_articles,
    load_seen,
    mark_abandoned,
    mark_gone,
    running_runs,
    start_run,
)
from storage.moves import claimed_canonicals
from storage.rows import AliasRow, ArticleRow, GoneRow, LoadResult, SeenRow

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def article(url: str, text: str = "Body text.", **extra: object) -> ArticleRow:
    return ArticleRow(url=url, source="s", text=text, content_hash=str(hash(text)), fetched_at=NOW, **extra)  # type: ignore[arg-type]


def test_loading_twice_adds_no_rows(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    rows = [article("http://a.example/1"), article("http://a.example/2")]
    with writing(db) as con:
        first = load_articles(con, "r1", rows)
    with writing(db) as con:
        second = load_articles(con, "r2", rows)
        count = con.execute("SELECT count(*) FROM articles").fetchone()
    assert (first.new, second.new, second.unchanged) == (2, 0, 2)
    assert count == (2,)


def test_changed_text_updates_the_row_in_place(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    with writing(db) as con:
        load_articles(con, "r1", [article("http://a.example/1", "First version.")])
    with writing(db) as con:
        result = load_articles(con, "r2", [article("http://a.example/1", "Second version.")])
        row = con.execute("SELECT article_id, text, updated_at, first_run_id, last_run_id FROM articles").fetchall()
    assert result.updated == 1
    assert row == [(1, "Second version.", NOW, "r1", "r2")]


def test_a_batch_of_new_changed_and_unchanged_articles_takes_each_path(tmp_path: Path) -> None:
    db, later = tmp_path / "c.duckdb", datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    with writing(db) as con:
        load_articles(con, "r1", [article("http://a.example/same", "Same."), article("http://a.example/edit", "Old.")])
    batch = [
        ArticleRow(url=u, source="s", text=t, content_hash=str(hash(t)), fetched_at=later, etag=f'"{t}"')
        for u, t in [("http://a.example/same", "Same."), ("http://a.example/edit", "New."), ("http://a.example/3", "3")]
    ]
    with writing(db) as con:
        result = load_articles(con, "r2", batch)
        rows = con.execute(
            "SELECT article_id, url, text, etag, fetched_at, updated_at, first_run_id, last_run_id "
            "FROM articles ORDER BY article_id"
        ).fetchall()
    assert (result.new, result.updated, result.unchanged) == (1, 1, 1)
    assert rows == [
        (1, "http://a.example/same", "Same.", '"Same."', later, None, "r1", "r2"),
        (2, "http://a.example/edit", "New.", '"New."', later, later, "r1", "r2"),
        (3, "http://a.example/3", "3", '"3"', later, None, "r2", "r2"),
    ]


def test_captions_and_related_links_round_trip(tmp_path: Path) -> None:
    row = article(
        "http://a.example/1",
        captions=(("Crowds gather at the quay", "Photo: Reuters"),),
        related_links=(("Ferry fares rise", "http://a.example/2"),),
        authors=("Ann Lee", "Bo Chen"),
    )
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "r1", [row])
        stored = con.execute("SELECT captions, related_links, authors, author FROM articles").fetchone()
    assert stored == (
        [{"text": "Crowds gather at the quay", "credit": "Photo: Reuters"}],
        [{"title": "Ferry fares rise", "url": "http://a.example/2"}],
        ["Ann Lee", "Bo Chen"],
        "Ann Lee; Bo Chen",
    )


def test_a_batch_naming_one_url_twice_stores_it_once(tmp_path: Path) -> None:
    with writing(tmp_path / "c.duckdb") as con:
        result = load_articles(con, "r1", [article("http://a.example/1"), article("http://a.example/1", "v2")])
        texts = con.execute("SELECT text FROM articles").fetchall()
    assert result.new == 1 and texts == [("v2",)]
    assert result.unchanged == 1  # the earlier copy is counted (a review: "27 pages, 25 stored")


def test_the_newest_capture_wins_in_a_batch_and_an_older_one_changes_nothing_later(tmp_path: Path) -> None:
    """Two captures of a page in one WARC file come in any order; a copy older than the stored one (an older
    WARC ingested after) neither puts its text back nor its validators."""
    earlier, later = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    newer = replace(article("http://a.example/1", "Newer text.", etag='"new"'), fetched_at=later)
    older = replace(article("http://a.example/1", "Older text.", etag='"old"'), fetched_at=earlier)
    query = "SELECT text, etag, fetched_at FROM articles"
    with writing(tmp_path / "c.duckdb") as con:
        assert load_articles(con, "r1", [newer, older]).new == 1
        assert con.execute(query).fetchall() == [("Newer text.", '"new"', later)]
        assert load_articles(con, "r2", [older]) == LoadResult(unchanged=1, older=1)
        same_text_older = replace(newer, etag='"old"', fetched_at=earlier)
        assert load_articles(con, "r3", [same_text_older]) == LoadResult(unchanged=1)
        assert con.execute(query).fetchall() == [("Newer text.", '"new"', later)]


def test_seen_urls_keep_validators_across_a_304(tmp_path: Path) -> None:
    with writing(tmp_path / "c.duckdb") as con:
        load_seen(
            con,
            "r1",
            [
                SeenRow(
                    "http://a.example/1",
                    "article",
                    "s",
                    "ok",
                    NOW,
                    article_url="http://a.example/1",
                    etag='"e1"',
                )
            ],
        )
        load_seen(con, "r2", [SeenRow("http://a.example/1", "article", "s", "not_modified", NOW)])
        row = con.execute("SELECT outcome, etag, article_url, last_run_id FROM seen_urls").fetchone()
    assert row == ("not_modified", '"e1"', "http://a.example/1", "r2")


def test_a_304_marks_the_stored_article_seen_by_the_run(tmp_path: Path) -> None:
    # Its last_run_id and fetched_at stayed at the run of the last 200, so "seen this run" queries and
    # clusters.last_seen_at missed articles that answered 304.
    later = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "r1", [article("http://a.example/story"), article("http://a.example/other")])
        load_seen(
            con,
            "r1",
            [SeenRow("http://a.example/s?id=1", "article", "s", "ok", NOW, article_url="http://a.example/story")],
        )
        load_seen(con, "r2", [SeenRow("http://a.example/s?id=1", "article", "s", "not_modified", later)])
        rows = con.execute("SELECT url, last_run_id, fetched_at FROM articles ORDER BY url").fetchall()
    assert rows == [("http://a.example/other", "r1", NOW), ("http://a.example/story", "r2", later)]


def test_a_404_marks_the_article_of_its_page_gone_unless_the_run_had_it_again(tmp_path: Path) -> None:
    later = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    stories = [
        article("http://a.example/story", page_url="http://a.example/s?id=1"),  # its text came from s?id=1
        article("http://a.example/other", "Other.", page_url="http://a.example/o?id=2"),
        article("http://a.example/x", "X.", page_url="http://a.example/x"),
    ]
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "r1", stories)
        load_seen(
            con,
            "r1",
            [
                SeenRow(f"http://a.example/{key}", "article", "s", "ok", NOW, article_url=f"http://a.example/{url}")
                for key, url in (("s?id=1", "story"), ("o?id=2", "other"), ("x.amp", "x"), ("x", "x"))
            ],
        )
        # Run r2 had /other again (a 200), then its page answered 404: it is not gone.
        load_articles(con, "r2", [stories[1]])
        mark_gone(con, "r2", [GoneRow("http://a.example/o?id=2", 404, later)])
        mark_gone(con, "r2", [GoneRow("http://a.example/s?id=1", 410, later)])
        mark_gone(con, "r2", [GoneRow("http://a.example/x.amp", 404, later)])  # the AMP page, not the story's
        mark_gone(con, "r3", [GoneRow("http://a.example/story", 404, later.replace(hour=12))])  # keeps the first
        rows = con.execute("SELECT url, gone_at, gone_status FROM articles ORDER BY url").fetchall()
    assert rows == [
        ("http://a.example/other", None, None),
        ("http://a.example/story", later, 410),
        ("http://a.example/x", None, None),
    ]


def test_a_lone_surrogate_in_any_field_is_stored_as_a_replacement_character(tmp_path: Path) -> None:
    # Whatever let one through (a page's JSON, a feed's), Arrow refuses it and the batch would not load.
    rows = [article("http://a.example/1", title="A \ud83d", authors=("B \udc00",), captions=(("c \ud800", None),))]
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "r1", rows)
        stored = con.execute("SELECT title, authors, captions[1].text FROM articles").fetchall()
    assert stored == [("A \ufffd", ["B \ufffd"], "c \ufffd")]


def test_aliases_keep_their_first_target(tmp_path: Path) -> None:
    with writing(tmp_path / "c.duckdb") as con:
        load_aliases(con, [AliasRow("http://a.example/old", "http://a.example/1", NOW)])
        load_aliases(con, [AliasRow("http://a.example/old", "http://a.example/2", NOW)])
        rows = con.execute("SELECT alias_url, url FROM url_aliases").fetchall()
    assert rows == [("http://a.example/old", "http://a.example/1")]


def test_a_failed_batch_leaves_nothing_behind(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    with pytest.raises(RuntimeError), writing(db) as con:
        load_articles(con, "r1", [article("http://a.example/1")])
        raise RuntimeError("crash mid-batch")
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (0,)


def test_a_locked_file_gives_a_clear_message_naming_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    connect(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(DatabaseLockedError, match=rf"locked by PID {holder.pid}"):
            connect(db, read_only=True, wait_seconds=0.5)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_a_run_row_records_its_process_and_how_it_ended(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    with writing(db) as con:
        start_run(con, "r1", flow="ingest", started_at=NOW, params={}, pid=41, hostname="desk1")
        start_run(con, "r2", flow="ingest", started_at=NOW, params={}, pid=42, hostname="desk1")
        assert running_runs(con, other_than="r2") == [RunningRun("r1", NOW, 41, "desk1")]
        finish_run(con, "r1", finished_at=NOW, status="failed", counts={"errors": 3}, error="RuntimeError: x")
        mark_abandoned(con, {"r2": "abandoned: its process is gone"}, finished_at=NOW)
        rows = con.execute("SELECT run_id, status, error, errors FROM runs ORDER BY run_id").fetchall()
    assert rows == [("r1", "failed", "RuntimeError: x", 3), ("r2", "abandoned", "abandoned: its process is gone", None)]


def test_a_run_status_outside_the_known_ones_is_refused(tmp_path: Path) -> None:
    with writing(tmp_path / "c.duckdb") as con:
        start_run(con, "r1", flow="ingest", started_at=NOW, params={})
        with pytest.raises(ValueError, match="run status 'done' is unknown"):
            finish_run(con, "r1", finished_at=NOW, status="done", counts={})  # type: ignore[arg-type]


def test_a_run_that_finished_is_not_marked_abandoned(tmp_path: Path) -> None:
    with writing(tmp_path / "c.duckdb") as con:
        start_run(con, "r1", flow="ingest", started_at=NOW, params={})
        finish_run(con, "r1", finished_at=NOW, status="completed", counts={})
        mark_abandoned(con, {"r1": "abandoned: late"}, finished_at=NOW)
        assert con.execute("SELECT status, error FROM runs").fetchall() == [("completed", None)]


def test_reloading_rewrites_only_what_extraction_changed_and_unsigns_changed_text(tmp_path: Path) -> None:
    from extractors.fingerprint import DedupParams
    from storage.dedup import assign_clusters
    from storage.load import reload_articles

    words = " ".join(f"word{i}" for i in range(60))
    rows = [article(f"http://a.example/{n}", f"{words} story {n}", title=f"T{n}") for n in range(3)]
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "r1", rows)
        assign_clusters(con, "r1", DedupParams())
        later = datetime(2026, 12, 1, tzinfo=UTC)
        edited = [rows[0], replace(rows[1], title="New title"), replace(rows[2], text="Other text.", content_hash="x")]
        result = reload_articles(con, "r2", [*edited, article("http://a.example/new")], updated_at=later)
        stored = con.execute("SELECT url, title, updated_at, last_run_id FROM articles ORDER BY url").fetchall()
        signed = {
            r[0] for r in con.execute("SELECT a.url FROM articles a JOIN signatures USING (article_id)").fetchall()
        }
    assert (result.updated, result.new, result.unchanged) == (2, 1, 1)
    assert stored[0] == ("http://a.example/0", "T0", None, "r1")  # unchanged: untouched
    assert stored[1] == ("http://a.example/1", "New title", later, "r2")
    assert stored[2][2:] == (later, "r2")
    assert signed == {"http://a.example/0", "http://a.example/1"}  # changed text waits to be signed again


def test_reloading_leaves_text_that_a_later_run_wrote_while_it_went_on(tmp_path: Path) -> None:
    from storage.load import reload_articles

    url = "http://a.example/1"
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "first", [article(url, "Text as first published.")])
        # Re-extraction read the page while the first run's text was stored (text_runs); then a crawl refetched
        # the article and stored its corrected text.
        load_articles(con, "crawl", [replace(article(url, "Corrected text."), fetched_at=datetime.now(UTC))])
        older = article(url, "Text as first published, extracted again.")
        now = datetime.now(UTC)
        result = reload_articles(con, "reextract", [older], updated_at=now, text_runs={url: "first"})
        stored = con.execute("SELECT text, last_run_id FROM articles").fetchall()
        # A page read after the crawl (text_run_id "crawl" then) is extracted again as usual.
        again = reload_articles(con, "reextract", [older], updated_at=now, text_runs={url: "crawl"})
        after = con.execute("SELECT text FROM articles").fetchall()
    assert (result.updated, result.unchanged) == (0, 1)
    assert stored == [("Corrected text.", "crawl")]
    assert again.updated == 1 and after == [("Text as first published, extracted again.",)]


def test_a_version_of_the_canonicals_own_page_claims_it_whatever_its_text_and_another_page_does_not(
    tmp_path: Path,
) -> None:
    words = " ".join(f"alpha{k}" for k in range(120))
    other = " ".join(f"beta{k}" for k in range(120))
    canonical = "http://a.example/news/storm-live.html"
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "r1", [article(canonical, words, page_url=canonical)])
        claims = claimed_canonicals(
            con,
            [
                article(canonical, other, page_url="http://a.example/amp/news/storm-live.html"),  # rewritten since
                article(canonical, other, page_url="http://a.example/news/another-story.html"),  # a template's
            ],
        )
    assert [(c.index, c.own_url) for c in claims] == [(1, "http://a.example/news/another-story.html")]


def test_pages_a_query_names_are_not_versions_of_the_canonical_without_it(tmp_path: Path) -> None:
    # /news/articleView.html?idxno=N (many Korean and PHP sites) whose template's canonical drops the query:
    # read as AMP-like versions of one page, every story of the site overwrote one row, with nothing said.
    canonical = "http://a.example/news/articleView.html"
    stories = [" ".join(f"story{n}word{k}" for k in range(120)) for n in range(4)]
    stored = f"{canonical}?idxno=4"
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "r1", [article(stored, "An earlier text. " * 40, page_url=stored)])
        claims = claimed_canonicals(
            con,
            [
                article(canonical, stories[0], page_url=f"{canonical}?idxno=1"),  # the first to claim it keeps it
                article(canonical, stories[1], page_url=f"{canonical}?idxno=2"),
                article(canonical, stories[2], page_url=f"{canonical}?amp=1&idxno=3"),
                # A canonical that keeps the query: its AMP version is that page, whatever its text says now.
                article(stored, stories[3], page_url=f"{stored}&outputType=amp"),
            ],
        )
    assert [(c.index, c.own_url) for c in claims] == [
        (1, f"{canonical}?idxno=2"),
        (2, f"{canonical}?amp=1&idxno=3"),
    ]
    assert "holds another story" in claims[0].message


@pytest.mark.parametrize(
    "query", ["ref=rss", "mod=rss_topnews", "cmpid=123", "sh=3f2a1b", "_amp=true", "tmpl=component&print=1"]
)
def test_a_story_whose_slug_names_it_is_its_canonicals_version_whatever_its_query(tmp_path: Path, query: str) -> None:
    # Feeds' and campaigns' parameters survive URL cleaning; a live story rewritten since its row was stored
    # is still that row (found by a review of the query rule above).
    canonical = "http://a.example/news/storm-live.html"
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "r1", [article(canonical, "An earlier text. " * 40, page_url=canonical)])
        rewritten = " ".join(f"update{k}" for k in range(120))
        assert claimed_canonicals(con, [article(canonical, rewritten, page_url=f"{canonical}?{query}")]) == []
