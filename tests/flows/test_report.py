"""The run report's numbers and artifact content, from hand-made batches: no Prefect, no DuckDB."""

from __future__ import annotations

from datetime import UTC, datetime

from crawl.discover import Candidate, Discovery, Problem
from crawl.fetch import Fetched
from flows.report import (
    ClusterRow,
    RunError,
    RunSummary,
    cluster_table,
    error_table,
    progress_percent,
    summary_markdown,
    tally_batch,
    tally_discovery,
)
from flows.steps import BatchRows, PlannedFetch
from storage.rows import ErrorRow, FetchRow, LoadResult, SeenRow

NOW = datetime(2025, 6, 6, 12, 0, tzinfo=UTC)


def planned(url: str, source: str) -> PlannedFetch:
    return PlannedFetch(Candidate(url, source, fetch_url=url + "?utm_source=feed"))


def fetch_row(url: str, status: int | None) -> FetchRow:
    return FetchRow(url, "article", NOW, status, None if status else "timeout", 5, 100, False)


def seen(url: str, source: str, outcome: str) -> SeenRow:
    return SeenRow(url, "article", source, outcome, NOW)


def test_a_batch_is_counted_per_source_and_in_the_totals() -> None:
    a, b = planned("http://a.test/1", "a"), planned("http://a.test/2", "b")
    rows = BatchRows(
        fetches=[fetch_row(a.candidate.address, 200), fetch_row(b.candidate.address, 304)],
        seen=[seen(a.candidate.url, "a", "ok"), seen(b.candidate.url, "b", "not_modified")],
        errors=[ErrorRow("extract", b.candidate.address, "ExtractionError", "no body", NOW)],
    )
    summary = RunSummary(run_id="r1", db="news.duckdb")
    tally_batch(summary, [a, b], rows, {"a": LoadResult(new=1)})
    assert summary.per_source["a"] == {
        "discovered": 0,
        "fetched": 1,
        "stored": 1,
        "new": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "errors": 0,
    }
    assert (summary.per_source["b"]["unchanged"], summary.per_source["b"]["errors"]) == (1, 1)
    assert (summary.fetched, summary.stored, summary.new, summary.unchanged, summary.errors) == (1, 1, 1, 1, 1)


def test_pages_that_are_not_articles_are_skipped_not_errors() -> None:
    index, gone = planned("http://a.test/section/world/", "a"), planned("http://a.test/old", "a")
    rows = BatchRows(
        fetches=[fetch_row(index.candidate.address, 200), fetch_row(gone.candidate.address, 410)],
        seen=[seen(index.candidate.url, "a", "skipped"), seen(gone.candidate.url, "a", "skipped")],
        errors=[ErrorRow("extract", index.candidate.address, "NotAnArticleError", "an index page", NOW)],
    )
    summary = RunSummary(run_id="r1", db="news.duckdb")
    tally_batch(summary, [index, gone], rows, {})
    assert (summary.skipped, summary.errors) == (2, 0)
    assert summary.per_source["a"]["skipped"] == 2


def test_a_page_extraction_gave_up_on_is_counted_once_as_skipped() -> None:
    # Its seen_urls row says skipped (reason extract) and its errors row says why; it was counted as both, so a
    # run's stored + skipped + errors came to more than the pages it fetched.
    crumbs, slow = planned("http://a.test/section/politics/", "a"), planned("http://a.test/slow", "a")
    rows = BatchRows(
        fetches=[fetch_row(crumbs.candidate.address, 200), fetch_row(slow.candidate.address, 200)],
        seen=[
            SeenRow(crumbs.candidate.url, "article", "a", "skipped", NOW, fetch_url=crumbs.candidate.address),
            SeenRow(slow.candidate.url, "article", "a", "skipped", NOW, fetch_url=slow.candidate.address),
        ],
        errors=[
            ErrorRow("extract", crumbs.candidate.address, "ExtractionError", "6 words of crumbs", NOW),
            ErrorRow("extract", slow.candidate.address, "ExtractionTimeout", "took longer than", NOW),
        ],
    )
    summary = RunSummary(run_id="r1", db="news.duckdb")
    tally_batch(summary, [crumbs, slow], rows, {})
    assert (summary.fetched, summary.skipped, summary.errors) == (2, 2, 0)
    # What extraction raised unforeseen (a bug) is skipped too, and still counted as an error.
    rows.errors[1] = ErrorRow("extract", slow.candidate.address, "KeyError", "'url'", NOW)
    summary = RunSummary(run_id="r1", db="news.duckdb")
    tally_batch(summary, [crumbs, slow], rows, {})
    assert (summary.fetched, summary.skipped, summary.errors) == (2, 2, 1)


def test_undecodable_pages_are_skips_and_an_unused_canonical_is_no_error() -> None:
    garbled, stored = planned("http://a.test/garbled", "a"), planned("http://a.test/story", "a")
    rows = BatchRows(
        fetches=[fetch_row(garbled.candidate.address, 200), fetch_row(stored.candidate.address, 200)],
        seen=[seen(garbled.candidate.url, "a", "skipped"), seen(stored.candidate.url, "a", "ok")],
        errors=[
            ErrorRow("extract", garbled.candidate.address, "UndecodableError", "not valid in utf-8", NOW),
            ErrorRow("extract", stored.candidate.address, "CanonicalIgnored", "is the site's front page", NOW),
        ],
    )
    summary = RunSummary(run_id="r1", db="news.duckdb")
    tally_batch(summary, [garbled, stored], rows, {})
    assert (summary.skipped, summary.errors) == (1, 0)


def test_a_section_sources_sitemap_urls_left_to_other_sections_are_no_error() -> None:
    note = ErrorRow("discover", "http://a.test/sport/", "OutsideSection", "12 URLs ... outside /sport/", NOW)
    summary = RunSummary(run_id="r1", db="news.duckdb")
    tally_batch(summary, [], BatchRows(errors=[note]), {})
    assert summary.errors == 0


def test_discovery_counts_unique_urls_and_failed_feeds_per_source() -> None:
    failed = Fetched("http://a.test/rss.xml", "feed", "failed", "http://a.test/rss.xml", status=503)
    unchanged = Fetched("http://b.test/rss.xml", "feed", "not_modified", "http://b.test/rss.xml", status=304)
    discoveries = {"a": Discovery(responses=[failed]), "b": Discovery(responses=[unchanged])}
    candidates = [
        Candidate("http://a.test/1", "a"),
        Candidate("http://a.test/2", "a"),
        Candidate("http://b.test/1", "b"),
    ]
    summary = RunSummary(run_id="r1", db="news.duckdb")
    tally_discovery(summary, discoveries, candidates)
    assert summary.per_source["a"]["discovered"] == 2 and summary.per_source["a"]["errors"] == 1
    assert summary.per_source["b"]["discovered"] == 1 and summary.per_source["b"]["errors"] == 0
    assert (summary.discovered, summary.errors) == (3, 1)


def test_a_source_whose_one_feed_failed_counts_one_error_not_two() -> None:
    # Its SourceUnreachable row sums up the failed feed: 66 sources with a 404 feed showed 132 errors.
    gone = Fetched("http://a.test/rss.xml", "feed", "skipped", "http://a.test/rss.xml", status=404)
    unreachable = Problem("source", "http://a.test/rss.xml", "SourceUnreachable", "source 'a': no feed ...", NOW)
    summary = RunSummary(run_id="r1", db="news.duckdb")
    tally_discovery(summary, {"a": Discovery(responses=[gone], errors=[unreachable])}, [])
    assert summary.errors == 1
    summary = RunSummary(run_id="r1", db="news.duckdb")
    tally_discovery(summary, {"a": Discovery(errors=[unreachable])}, [])  # the only trace: still counted
    assert summary.errors == 1


def test_a_listing_cut_at_a_settings_limit_is_no_error() -> None:
    # A review of the README: max_items_per_feed and max_urls_per_sitemap made "2 errors" of a run where every
    # feed and sitemap answered 200 and parsed, and no article failed.
    caps = [
        Problem("discover", "http://a.test/rss.xml", "ListingTruncated", "feed cut at max_items_per_feed=2", NOW),
        Problem("discover", "http://a.test/sitemap.xml", "ListingTruncated", "cut at max_urls_per_sitemap=1", NOW),
        Problem("discover", "http://a.test/", "FeedsCapped", "5 of 7 feeds read", NOW),
    ]
    summary = RunSummary(run_id="r1", db="news.duckdb")
    tally_discovery(summary, {"a": Discovery(errors=caps)}, [])
    assert summary.errors == 0
    broken = Problem("discover", "http://a.test/atom.xml", "FeedError", "not a feed", NOW)
    tally_discovery(summary, {"a": Discovery(errors=[*caps, broken])}, [])
    assert summary.errors == 1


def test_markdown_has_a_row_per_source_the_totals_and_the_database() -> None:
    summary = RunSummary(run_id="r1", db="/data/news.duckdb", seconds=12.34, new_clusters=4)
    summary.add("site|one", discovered=3, fetched=2, stored=2, new=2)
    summary.add("site2", discovered=1, errors=1)
    text = summary_markdown(summary, flow="ingest", finished_at=NOW)
    assert "| site\\|one | 3 | 2 | 2 | 2 | 0 | 0 | 0 | 0 |" in text
    assert "| site2 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1 |" in text
    assert "| **total** | **4** | **2** | **2** | **2** | **0** | **0** | **0** | **1** |" in text
    assert "`/data/news.duckdb`" in text and "12.3 s" in text and "**4** new clusters" in text


def test_cluster_table_lists_the_largest_first() -> None:
    clusters = [
        ClusterRow(7, 2, ["a", "b"], "Small", "http://a.test/s"),
        ClusterRow(3, 5, ["a", "b", "c"], None, None),
    ]
    table = cluster_table(clusters)
    assert [row["cluster_id"] for row in table] == [3, 7]
    assert table[0] == {"cluster_id": 3, "size": 5, "sources": "a, b, c", "title": "", "canonical_url": ""}


def test_error_table_shortens_long_messages_to_one_line() -> None:
    error = RunError("extract", None, "ExtractionError", "line one\nline two " + "x" * 500, NOW)
    (row,) = error_table([error])
    assert row["url"] == "" and row["occurred_at"] == "2025-06-06 12:00:00"
    assert "\n" not in row["message"] and len(row["message"]) == 160 and row["message"].endswith("…")


def test_progress_is_a_percentage_and_an_empty_plan_is_complete() -> None:
    assert progress_percent(1, 3) == 33.3
    assert progress_percent(5, 3) == 100.0
    assert progress_percent(0, 0) == 100.0
