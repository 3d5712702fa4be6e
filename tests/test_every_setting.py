"""Every setting has an effect: each [settings] and [[sources]] key names the test that shows what it changes.

A key without an entry fails the walk, and so does an entry naming a test that does not exist. Fetch-policy keys
are exercised on FetchPolicy directly: Settings holds the FetchPolicy the flow hands to its Fetcher
(`Fetcher(settings.fetch)`; test_fetch_settings_are_the_fetch_policy shows [settings] keys land there). A few
dedup and discovery keys are shown here, through the functions the flow builds those steps' parameters with.
"""

from __future__ import annotations

import importlib
import random
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawl.discover import Limits
from flows.config import SETTING_KEYS, SOURCE_KEYS, Settings
from flows.ingest import _assign_clusters, canonical_rule, dedup_params
from flows.pipeline import discovery_limits
from storage.db import writing
from storage.dedup import StaleIndexError, assign_clusters
from storage.load import load_articles
from storage.rows import ArticleRow

FETCH, SOURCES, FLOWS = (
    "tests/crawl/test_fetch.py",
    "tests/crawl/test_sources.py",
    "tests/flows/test_source_settings.py",
)
HOSTILE, PROXIES, DISCOVER = (
    "tests/flows/test_hostile_fetch.py",
    "tests/crawl/test_proxies.py",
    "tests/crawl/test_discover.py",
)
ARCHIVE = "tests/flows/test_archive_flow.py"
HERE, RUNS, STEPS = "tests/test_every_setting.py", "tests/flows/test_hostile_runs.py", "tests/flows/test_steps.py"
PER_HOST = "test_a_sources_per_host_concurrency_is_how_many_of_its_requests_a_host_sees_at_once"

SETTINGS = {
    "db": f"{FLOWS}::test_the_settings_db_is_the_file_written_without_a_db_flag",
    "dedup_threshold": f"{HERE}::test_dedup_threshold_decides_whether_an_edited_copy_joins_the_cluster",
    "dedup_window_days": f"{HERE}::test_dedup_window_days_leaves_older_stored_articles_out_of_the_dedup_step",
    "num_perm": f"{HERE}::test_num_perm_and_shingle_size_make_signatures_of_their_own",
    "shingle_size": f"{HERE}::test_num_perm_and_shingle_size_make_signatures_of_their_own",
    "canonical_rule": f"{FLOWS}::test_the_canonical_rule_picks_each_clusters_canonical_article",
    "source_priority": f"{FLOWS}::test_the_canonical_rule_picks_each_clusters_canonical_article",
    "refetch_window_hours": f"{FLOWS}::test_refetch_window_hours_decides_which_stored_articles_a_run_rechecks",
    "retry_failed_after_minutes": f"{FLOWS}::test_retry_failed_after_minutes_decides_when_a_failed_url_is_tried_again",
    "batch_size": f"{FLOWS}::test_batch_size_is_how_many_urls_are_extracted_and_written_together",
    "max_articles_per_source": f"{FLOWS}::test_max_articles_per_source_caps_what_discovery_keeps",
    "max_pages": f"{FLOWS}::test_max_pages_leaves_the_rest_of_a_source_for_the_next_run",
    "max_sitemap_urls": f"{HERE}::test_discovery_limits_come_from_the_settings",
    "source_timeout": f"{RUNS}::test_sources_past_their_time_budget_are_cut_off_and_the_others_stored",
    "max_items_per_feed": f"{HERE}::test_discovery_limits_come_from_the_settings",
    "max_urls_per_sitemap": f"{HERE}::test_discovery_limits_come_from_the_settings",
    # Crawl() builds ExtractionPool(workers=settings.extract_workers): one worker extracts in a thread, more start
    # processes (once there is more than one batch).
    "extract_workers": f"{STEPS}::test_no_worker_processes_start_for_one_batch_or_for_pages_not_modified",
    # The extract task gets settings.extract_timeout and hands it to within_budget.
    "extract_timeout": "tests/flows/test_extraction.py::test_worker_processes_interrupt_a_page_past_its_budget",
    # The dedup step opens its connection with writing(db, memory_limit=settings.db_memory_limit).
    "db_memory_limit": "tests/storage/test_db.py::test_memory_limit_bounds_duckdb",
    "archive": f"{ARCHIVE}::test_with_archive_off_nothing_is_archived",
    # The archive test's runs set archive_dir (the files are there) and a small archive_file_bytes (several files).
    "archive_dir": f"{ARCHIVE}::test_every_article_page_is_archived_once_and_its_row_points_at_its_record",
    "archive_file_bytes": f"{ARCHIVE}::test_the_files_roll_at_their_size_and_read_back_whole_with_warcio",
    "archive_listings": f"{ARCHIVE}::test_with_archive_listings_the_feeds_and_sitemaps_read_are_archived_too",
    "user_agent": f"{HOSTILE}::test_a_disallowed_url_has_a_row_with_reason_robots",
    "contact_url": f"{SOURCES}::test_a_sources_user_agent_headers_and_cookies_reach_its_requests_only",
    "headers": f"{SOURCES}::test_a_sources_user_agent_headers_and_cookies_reach_its_requests_only",
    "cookies": f"{SOURCES}::test_a_sources_user_agent_headers_and_cookies_reach_its_requests_only",
    "proxy": f"{PROXIES}::test_the_proxy_setting_carries_requests_without_any_environment_variable",
    "connect_timeout": f"{FETCH}::test_connect_timeout_bounds_the_address_guards_lookup",
    "read_timeout": f"{FETCH}::test_slow_server_times_out_instead_of_hanging",
    "total_timeout": f"{HOSTILE}::test_a_hostile_answer_is_that_urls_outcome_and_reason",
    "max_bytes": f"{FETCH}::test_bad_responses_end_with_a_clear_outcome",
    "max_redirects": f"{HOSTILE}::test_too_many_redirects_end_with_a_row_for_the_url_not_followed",
    "retries": f"{FETCH}::test_transient_503_is_retried_until_it_succeeds",
    "backoff": f"{FETCH}::test_backoff_spaces_the_retries_of_a_server_error_without_retry_after",
    "max_retry_after": f"{FETCH}::test_max_retry_after_caps_how_long_a_retry_after_is_waited",
    "per_host_concurrency": f"{SOURCES}::{PER_HOST}",
    "per_host_delay": f"{FETCH}::test_one_host_never_sees_more_than_one_request_per_delay",
    "concurrency": f"{SOURCES}::test_concurrency_is_how_many_requests_are_in_flight_across_hosts",
    "allow_private": f"{PROXIES}::test_the_address_guard_judges_the_target_not_the_proxy",
    "allow_hosts": f"{HOSTILE}::test_dns_rebinding_cannot_reach_an_address_nobody_checked",
    "max_crawl_delay": f"{HOSTILE}::test_a_huge_crawl_delay_is_capped",
    "crawl_delay_over_cap": f"{HOSTILE}::test_a_crawl_delay_over_the_cap_can_skip_the_host",
}
SOURCE_SETTINGS = {
    "name": f"{FLOWS}::test_max_pages_leaves_the_rest_of_a_source_for_the_next_run",  # each row's `source`
    "homepage": f"{DISCOVER}::test_link_discovery_follows_menus_to_the_depth_limit",
    "feeds": f"{DISCOVER}::test_feed_and_sitemap_index_urls_are_merged_once_each_without_tracking",
    "sitemaps": f"{DISCOVER}::test_feed_and_sitemap_index_urls_are_merged_once_each_without_tracking",
    "autodiscover": f"{DISCOVER}::test_a_homepage_alone_finds_its_advertised_feeds_and_the_sitemaps_robots_txt_lists",
    "discover_links": f"{DISCOVER}::test_link_discovery_follows_menus_to_the_depth_limit",
    "link_depth": f"{DISCOVER}::test_link_discovery_follows_menus_to_the_depth_limit",
    "enabled": f"{FLOWS}::test_a_disabled_source_is_not_crawled_unless_named",
    "max_pages": f"{FLOWS}::test_max_pages_leaves_the_rest_of_a_source_for_the_next_run",
    "user_agent": f"{SOURCES}::test_robots_txt_is_read_once_per_host_and_obeyed_per_user_agent",
    "headers": f"{SOURCES}::test_a_sources_user_agent_headers_and_cookies_reach_its_requests_only",
    "cookies": f"{SOURCES}::test_a_sources_user_agent_headers_and_cookies_reach_its_requests_only",
    "proxy": f"{PROXIES}::test_each_source_uses_its_own_proxy_in_one_run",
    "per_host_delay": f"{SOURCES}::test_a_sources_per_host_delay_spaces_its_host_only",
    "per_host_concurrency": f"{SOURCES}::{PER_HOST}",
    "timeout": f"{SOURCES}::test_a_sources_timeout_bounds_its_requests_only",
    "body_selector": f"{FLOWS}::test_a_sources_body_selector_reaches_its_extraction",
    "exclude_selectors": "tests/extractors/test_hints.py::test_exclude_selectors_drop_elements_before_extraction",
}


def test_every_key_names_the_test_that_shows_its_effect() -> None:
    assert sorted(SETTINGS) == sorted(SETTING_KEYS)
    assert sorted(SOURCE_SETTINGS) == sorted(SOURCE_KEYS)
    for reference in [*SETTINGS.values(), *SOURCE_SETTINGS.values()]:
        path, name = reference.split("::")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert callable(getattr(module, name, None)), f"{reference} does not exist"
        assert (Path(__file__).parents[1] / path).is_file()


def test_discovery_limits_come_from_the_settings() -> None:
    settings = Settings.of(
        {"max_articles_per_source": 7, "max_items_per_feed": 8, "max_urls_per_sitemap": 9, "max_sitemap_urls": 10}
    )
    assert discovery_limits(settings) == Limits(
        max_candidates=7, max_items_per_feed=8, max_urls_per_sitemap=9, max_sitemap_urls=10
    )
    # What each limit does to discovery: tests/crawl/test_discover.py (caps per feed, per sitemap and per source).


WORDS = "harbour council vote ferry storm budget school rail bridge market river energy police court".split()


def article(url: str, words: list[str]) -> ArticleRow:
    text = " ".join(words)
    when = datetime(2026, 6, 1, tzinfo=UTC)
    return ArticleRow(url=url, source=url.split("/")[2], text=text, content_hash=str(hash(text)), fetched_at=when)


def edited_pair() -> list[ArticleRow]:
    rng = random.Random(7)
    words = [rng.choice(WORDS) + str(rng.randint(0, 999)) for _ in range(300)]
    # One word in nine changed: Jaccard 0.29 and containment 0.45, under the edited-copy rule (0.3 and 0.55).
    edited = [w if i % 9 else w + "x" for i, w in enumerate(words)]
    return [article("http://a.example/wire", words), article("http://b.example/copy", edited)]


@pytest.mark.parametrize(("threshold", "joined"), [(0.2, True), (0.5, False)])
def test_dedup_threshold_decides_whether_an_edited_copy_joins_the_cluster(
    tmp_path: Path, threshold: float, joined: bool
) -> None:
    with writing(tmp_path / "d.duckdb") as con:
        load_articles(con, "r1", edited_pair())
        assign_clusters(con, "r1", dedup_params(Settings.of({"dedup_threshold": threshold})))
        (clusters,) = con.execute("SELECT count(DISTINCT cluster_id) FROM articles").fetchone() or (0,)
    assert (clusters == 1) is joined


@pytest.mark.parametrize(("window_days", "joined"), [(None, True), (7.0, False), (60.0, True)])
def test_dedup_window_days_leaves_older_stored_articles_out_of_the_dedup_step(
    tmp_path: Path, window_days: float | None, joined: bool
) -> None:
    db, settings = tmp_path / "d.duckdb", Settings.of({"dedup_window_days": window_days})
    wire, copy = edited_pair()
    month_old = replace(wire, fetched_at=datetime.now(UTC) - timedelta(days=30))
    with writing(db) as con:
        load_articles(con, "r1", [month_old])
    # What the dedupe task runs, with the settings' window.
    args = (dedup_params(settings), None, canonical_rule(settings), settings.dedup_window_days)
    _assign_clusters(str(db), "r1", *args)
    with writing(db) as con:
        load_articles(con, "r2", [replace(copy, text=wire.text)])
    _assign_clusters(str(db), "r2", *args)
    with writing(db) as con:
        (clusters,) = con.execute("SELECT count(DISTINCT cluster_id) FROM articles").fetchone() or (0,)
    assert (clusters == 1) is joined


@pytest.mark.parametrize("key", [("num_perm", 64), ("shingle_size", 3)])
def test_num_perm_and_shingle_size_make_signatures_of_their_own(tmp_path: Path, key: tuple[str, int]) -> None:
    with writing(tmp_path / "d.duckdb") as con:
        load_articles(con, "r1", edited_pair()[:1])
        assign_clusters(con, "r1", dedup_params(Settings()))
        load_articles(con, "r2", edited_pair()[1:])
        with pytest.raises(StaleIndexError, match=f"{key[0].replace('_size', '').replace('num_', '')}={key[1]}"):
            assign_clusters(con, "r2", dedup_params(Settings.of(dict([key]))))


def test_every_key_is_in_the_readme() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert [key for key in (*SETTING_KEYS, *SOURCE_KEYS) if not re.search(rf"\b{key}\b", readme)] == []
