"""Planning which URLs to fetch, batching them by host, and turning fetched pages into rows."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawl.discover import Budget, Candidate
from crawl.fetch import Fetched
from extractors.urls import canonicalize_url
from flows.extraction import PARENT_CHECK_SECONDS, ExtractionPool, extract_batch
from flows.steps import FetchedBatch, PlannedFetch, fetch_batch, host_batches, plan_fetches, rows_for_page
from storage.db import writing
from storage.load import load_errors, load_seen
from storage.rows import ArticleRow, SeenRow
from storage.state import SeenState, recent_articles

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def state(outcome: str, *, checked: datetime = NOW - HOUR, etag: str | None = '"e"') -> SeenState:
    return SeenState("k", "article", outcome, checked, etag=etag)


def plan(states: dict[str, SeenState], recent: set[str] = frozenset()) -> dict[str, bool]:
    candidates = [Candidate(u, "s") for u in ("http://a.example/new", *states)]
    planned = plan_fetches(
        candidates, states, recent=recent, now=NOW, refetch_window=24 * HOUR, retry_failed_after=0.5 * HOUR
    )
    return {p.candidate.url: p.validators is not None for p in planned}


def test_new_urls_are_fetched_and_stored_old_ones_are_not() -> None:
    assert plan({"http://a.example/old": state("ok")}) == {"http://a.example/new": False}


def test_recent_articles_are_rechecked_with_their_validators() -> None:
    planned = plan({"http://a.example/old": state("ok")}, recent={"http://a.example/old"})
    assert planned == {"http://a.example/new": False, "http://a.example/old": True}


def test_a_sitemap_lastmod_newer_than_our_last_check_triggers_a_recheck() -> None:
    states = {"http://a.example/old": state("ok", checked=NOW - 2 * HOUR)}
    for lastmod, expected in ((NOW - HOUR, True), (NOW - 3 * HOUR, False)):
        candidates = [Candidate("http://a.example/old", "s", lastmod=lastmod)]
        planned = plan_fetches(
            candidates, states, recent=set(), now=NOW, refetch_window=24 * HOUR, retry_failed_after=HOUR
        )
        assert bool(planned) is expected
        assert all(p.validators is not None for p in planned)


def test_failed_urls_cool_down_and_skipped_urls_wait_a_window() -> None:
    states = {
        "http://a.example/failed-now": state("failed", checked=NOW - 0.1 * HOUR),
        "http://a.example/failed-before": state("failed", checked=NOW - HOUR),
        "http://a.example/404-today": state("skipped", checked=NOW - HOUR),
        "http://a.example/404-last-week": state("skipped", checked=NOW - 7 * 24 * HOUR),
    }
    assert set(plan(states)) == {
        "http://a.example/new",
        "http://a.example/failed-before",
        "http://a.example/404-last-week",
    }


def test_urls_skipped_by_robots_txt_are_retried_like_failures() -> None:
    # Unreachable or disallowing, robots.txt is read again next run: the page itself said nothing.
    checked = NOW - HOUR  # past retry_failed_after (30 min), within the refetch window (24 h)
    states = {
        "http://a.example/robots-down": replace(state("skipped", checked=checked), reason="robots_unreachable"),
        "http://a.example/disallowed": replace(state("skipped", checked=checked), reason="robots"),
        "http://a.example/404": replace(state("skipped", checked=checked), reason="http_status"),
    }
    assert set(plan(states)) == {"http://a.example/new", "http://a.example/robots-down", "http://a.example/disallowed"}


def test_a_url_the_address_guard_refused_is_retried_like_a_failure() -> None:
    # A review of the README: one run without --allow-private left a stored article skipped (reason guard) and
    # the runs after it, allowed again, did not re-check it for a day.
    refused = replace(state("skipped", checked=NOW - HOUR), reason="guard")
    assert set(plan({"http://a.example/refused": refused})) == {"http://a.example/new", "http://a.example/refused"}


def test_a_recent_stored_article_a_recheck_found_gone_is_checked_again_soon() -> None:
    # Its gone_at is cleared by the next fetch that gives it: a 404 during a CMS's deploy hid it for a day.
    gone = replace(state("skipped", checked=NOW - HOUR), reason="http_status", article_url="http://a.example/story")
    states = {
        "http://a.example/story": replace(gone, published_at=NOW - 5 * HOUR),
        "http://a.example/undated": replace(gone, article_url="http://a.example/undated", first_seen_at=NOW - 5 * HOUR),
        "http://a.example/old": replace(gone, article_url="http://a.example/old", published_at=NOW - 30 * 24 * HOUR),
        "http://a.example/never-stored": replace(gone, article_url=None, published_at=NOW - 5 * HOUR),
    }
    # A review: not one it redirected away, or that is no article any more: each request is another error row.
    for reason in ("redirected_away", "not_an_article", "type", "size"):
        url = f"http://a.example/{reason}"
        states[url] = replace(gone, article_url=url, published_at=NOW - 5 * HOUR, reason=reason)
    assert set(plan(states)) == {"http://a.example/new", "http://a.example/story", "http://a.example/undated"}


def test_rows_carry_the_reason_of_a_skip_and_an_unexpected_failure_is_an_error() -> None:
    candidate = Candidate("http://a.example/x", "s")
    gone = Fetched("http://a.example/x", "article", "skipped", "http://a.example/x", 404, reason="http_status")
    odd = replace(gone, outcome="failed", status=None, error="RuntimeError: boom", reason="unexpected")
    index = "<html><body>" + "".join(f'<h2><a href="/n/{i}">Council votes on plan {i}</a></h2>' for i in range(12))
    page = Fetched("http://a.example/x", "article", "ok", "http://a.example/x", 200, index.encode(), "text/html")
    assert [r.reason for r in rows_for_page(gone, candidate, now=NOW).seen] == ["http_status"]
    rows = rows_for_page(odd, candidate, now=NOW)
    assert rows.unexpected == 1 and [(e.stage, e.error_type) for e in rows.errors] == [("fetch", "RuntimeError")]
    assert [r.reason for r in rows_for_page(page, candidate, now=NOW).seen] == ["not_an_article"]


def test_batches_hold_one_host_each_and_interleave_hosts() -> None:
    items = plan_fetches(
        [Candidate(f"http://{h}.example/{i}", "s") for h in "ab" for i in range(3)],
        {},
        recent=set(),
        now=NOW,
        refetch_window=HOUR,
        retry_failed_after=HOUR,
    )
    batches = host_batches(items, 2)
    hosts = [{p.candidate.url.split("/")[2] for p in b} for b in batches]
    assert hosts == [{"a.example"}, {"b.example"}, {"a.example"}, {"b.example"}]
    assert sum(len(b) for b in batches) == 6


def test_recent_means_near_the_sources_newest_article(tmp_path: Path) -> None:
    archive_day = datetime(2024, 3, 4, 12, tzinfo=UTC)
    rows = [
        SeenRow(f"http://a.example/{name}", "article", "a", "ok", NOW, published_at=when)
        for name, when in [
            ("newest", archive_day),
            ("same-day", archive_day - 3 * HOUR),
            ("old", archive_day - 72 * HOUR),
        ]
    ]
    with writing(tmp_path / "c.duckdb") as con:
        load_seen(con, "r1", rows)
        recent = {r[0] for r in recent_articles(con, now=NOW, window=24 * HOUR)}
    assert recent == {"http://a.example/newest", "http://a.example/same-day"}


def test_a_redirected_article_is_keyed_by_its_canonical_url_with_aliases() -> None:
    html = (
        '<html><head><link rel="canonical" href="http://a.example/story?utm_source=x">'
        '<meta property="og:type" content="article"><title>Harbour reopens</title></head><body><article>'
        "<h1>Harbour reopens</h1><p>" + "The harbour reopened on Monday after a week of repairs. " * 8 + "</p>"
        "</article></body></html>"
    )
    fetched = Fetched(
        "http://a.example/old", "article", "ok", "http://a.example/story/", 200, html.encode(), "text/html"
    )
    rows = rows_for_page(fetched, Candidate("http://a.example/old", "s", fetch_url="http://a.example/old"), now=NOW)
    (article,) = rows.articles
    assert article.url == "http://a.example/story"
    assert {a.alias_url for a in rows.aliases} == {"http://a.example/old"}
    assert rows.seen[0].article_url == "http://a.example/story"


def _story_declaring(canonical: str, *, at: str) -> tuple[Fetched, Candidate]:
    """A story page at `at` whose rel=canonical is `canonical`, as fetched, and its candidate."""
    html = (
        f'<html><head><link rel="canonical" href="{canonical}"><meta property="og:type" content="article">'
        "<title>Flood defences hold</title></head><body><article><h1>Flood defences hold</h1><p>"
        + "The new flood defences held through the night as the river peaked. " * 8
        + "</p></article></body></html>"
    )
    return Fetched(at, "article", "ok", at, 200, html.encode(), "text/html"), Candidate(at, "s", fetch_url=at)


@pytest.mark.parametrize(
    ("page", "canonical"),
    [
        ("http://a.example/news/2024/flood-defences-hold", "http://a.example/"),
        ("http://a.example/news/flood-defences-hold.html", "http://a.example/news/"),
        ("http://a.example/2024/05/01/flood-defences-hold", "http://a.example/2024/"),
    ],
)
def test_a_canonical_a_template_gives_every_page_is_not_the_articles_key(page: str, canonical: str) -> None:
    """Every article of such a site would otherwise be one row, each overwriting the last; it is said why."""
    rows = rows_for_page(*_story_declaring(canonical, at=page), now=NOW)
    (article,) = rows.articles
    assert article.url == page and not rows.aliases
    (error,) = rows.errors
    assert error.error_type == "CanonicalIgnored" and canonical.rstrip("/") in error.message


@pytest.mark.parametrize(
    ("page", "canonical"),
    [
        ("http://a.example/news/flood-defences-hold/amp", "http://a.example/news/flood-defences-hold"),
        ("http://a.example/news/flood-defences-hold/2", "http://a.example/news/flood-defences-hold"),
        ("http://a.example/news/flood-defences-hold?utm_source=feed", "http://www.a.example/news/flood-defences-hold"),
        ("http://a.example/?p=1234&amp=1", "http://a.example/?p=1234"),
    ],
)
def test_an_amp_page_2_or_mobile_copy_is_keyed_by_its_canonical(page: str, canonical: str) -> None:
    rows = rows_for_page(*_story_declaring(canonical, at=page), now=NOW)
    (article,) = rows.articles
    assert article.url == canonicalize_url(canonical) != canonicalize_url(page) and not rows.errors


def test_a_windows_1252_page_is_stored_with_its_accents() -> None:
    paragraph = "The café on the quay served naïve visitors a €4 coffee while the ferry was delayed again. "
    html = (
        '<html><head><meta property="og:type" content="article"><title>Quay café</title></head>'
        f"<body><article><h1>Quay café</h1><p>{paragraph * 4}</p><p>{paragraph * 3}</p></article></body></html>"
    )
    body = html.encode("cp1252")
    fetched = Fetched(
        "http://a.example/c", "article", "ok", "http://a.example/c", 200, body, "text/html; charset=windows-1252"
    )
    (article,) = rows_for_page(fetched, Candidate("http://a.example/c", "s"), now=NOW).articles
    assert "café" in article.text and "naïve" in article.text and "€4" in article.text


def test_an_undeclared_shift_jis_page_is_stored_as_japanese_text() -> None:
    body = (Path(__file__).parent.parent / "fixtures" / "charset" / "ja-sjis-undeclared.html").read_bytes()
    fetched = Fetched("http://a.example/j", "article", "ok", "http://a.example/j", 200, body, "text/html")
    (article,) = rows_for_page(fetched, Candidate("http://a.example/j", "s"), now=NOW).articles
    assert "大阪府" in article.text and "宿泊税" in article.text and "\ufffd" not in article.text


def test_a_page_of_mostly_undecodable_bytes_is_skipped_and_recorded(tmp_path: Path) -> None:
    junk = bytes(random.Random(7).choices(range(0x80, 0x100), k=3000))  # a corrupt body no encoding reads
    utf8 = "text/html; charset=utf-8"
    fetched = Fetched("http://a.example/u", "article", "ok", "http://a.example/u", 200, b"<p>" + junk, utf8)
    rows = rows_for_page(fetched, Candidate("http://a.example/u", "s"), now=NOW)
    with writing(tmp_path / "c.duckdb") as con:
        load_errors(con, "run-1", rows.errors)
        ((error_type, message),) = con.execute("SELECT error_type, message FROM errors").fetchall()
    assert not rows.articles and rows.seen[0].outcome == "skipped"
    assert error_type == "UndecodableError" and "not valid in utf-8" in message


def test_a_page_judged_not_an_article_keeps_its_reason_and_text_in_the_errors_table(tmp_path: Path) -> None:
    cards = "".join(
        f"<div><h3><a href='/n/{n}'>Headline {n} of the desk</a></h3><p>Teaser sentence {n} of a story.</p></div>"
        for n in range(4)
    )
    html = f"<html><head><title>Harbour</title></head><body><main><h1>Harbour</h1>{cards}</main></body></html>"
    fetched = Fetched("http://a.example/harbour/", "article", "ok", "http://a.example/harbour/", 200, html.encode())
    rows = rows_for_page(fetched, Candidate("http://a.example/harbour", "s"), now=NOW)
    with writing(tmp_path / "c.duckdb") as con:
        load_errors(con, "run-1", rows.errors)
        ((error_type, message, text),) = con.execute("SELECT error_type, message, text FROM errors").fetchall()
    assert not rows.articles and rows.seen[0].outcome == "skipped"
    assert error_type == "NotAnArticleError" and "teaser cards of 4 headline links" in message
    assert "Teaser sentence 2 of a story." in text


def story_page(head: str = "") -> bytes:
    paragraph = "The ferry council met on Monday and agreed the harbour timetable would change for the winter. "
    return (
        f'<html><head><meta property="og:type" content="article"><title>Timetable</title>{head}</head>'
        f"<body><article><h1>Timetable</h1><p>{paragraph * 4}</p><p>{paragraph * 3}</p></article></body></html>"
    ).encode()


def article_of(body: bytes, candidate: Candidate) -> ArticleRow:
    fetched = Fetched(candidate.url, "article", "ok", candidate.url, 200, body, "text/html")
    rows = rows_for_page(fetched, candidate, now=NOW)
    (article,) = rows.articles
    assert rows.seen[0].published_at == article.published_at  # the crawl memory keeps the same date
    return article


def test_an_undated_page_takes_its_feed_or_sitemap_date_and_says_so() -> None:
    listed = datetime(2026, 5, 1, 9, tzinfo=UTC)
    for dated_by in ("feed", "sitemap"):
        candidate = Candidate("http://a.example/t", "s", published_at=listed, published_from=dated_by)
        article = article_of(story_page(), candidate)
        assert (article.published_at, article.published_from) == (listed, dated_by)


def test_a_page_date_wins_over_its_listing_date() -> None:
    head = '<meta property="article:published_time" content="2026-04-30T08:00:00Z">'
    candidate = Candidate("http://a.example/t", "s", published_at=NOW, published_from="feed")
    article = article_of(story_page(head), candidate)
    assert (article.published_at, article.published_from) == (datetime(2026, 4, 30, 8, tzinfo=UTC), "page")


def test_a_page_without_any_date_has_none_and_no_source_for_it() -> None:
    article = article_of(story_page(), Candidate("http://a.example/t", "s"))
    assert (article.published_at, article.published_from) == (None, None)


def test_a_paywalled_page_is_stored_as_not_free_to_read() -> None:
    paywall = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "isAccessibleForFree": false, "hasPart": '
        '{"@type": "WebPageElement", "isAccessibleForFree": false, "cssSelector": ".paywall"}}</script>'
    )
    assert article_of(story_page(paywall), Candidate("http://a.example/t", "s")).is_accessible_for_free is False
    assert article_of(story_page(), Candidate("http://a.example/t", "s")).is_accessible_for_free is None


def test_extraction_in_worker_processes_gives_the_rows_of_extraction_in_this_one() -> None:
    paragraphs = " ".join(["The ferry terminal reopened on Monday after a two-year rebuild of its quay."] * 4)
    pages = {
        "http://a.example/story": f"<html><body><article><h1>Ferry</h1><p>{paragraphs}</p></article></body></html>",
        "http://a.example/broken": "<html><body><nav>Home</nav></body></html>",
    }
    batch = [PlannedFetch(Candidate(url, "a")) for url in pages]
    responses = [
        Fetched(url, "article", "ok", url, status=200, body=html.encode(), content_type="text/html")
        for url, html in pages.items()
    ]
    with ExtractionPool(workers=2, batches=2) as pool:
        workers = pool.executor_for(responses)
        assert workers is not None
        in_workers = workers.submit(extract_batch, batch, responses).result()
    here = extract_batch(batch, responses)
    assert [replace(a, fetched_at=NOW) for a in in_workers.articles] == [
        replace(a, fetched_at=NOW) for a in here.articles
    ]
    assert len(here.articles) == 1
    assert [e.error_type for e in in_workers.errors] == [e.error_type for e in here.errors] == ["ExtractionError"]


def test_no_worker_processes_start_for_one_batch_or_for_pages_not_modified() -> None:
    page = Fetched("http://a.example/1", "article", "ok", "http://a.example/1", status=200, body=b"<p>x</p>")
    unchanged = Fetched("http://a.example/2", "article", "not_modified", "http://a.example/2", status=304)
    with ExtractionPool(workers=0, batches=1) as single:
        assert single.executor_for([page]) is None
    with ExtractionPool(workers=2, batches=5) as pool:
        assert pool.executor_for([unchanged]) is None and not pool.started


KILLED_FLOW = """
import os, signal
from flows.extraction import ExtractionPool
from crawl.fetch import Fetched
page = Fetched("http://a.example/1", "article", "ok", "http://a.example/1", status=200, body=b"<p>x</p>")
with ExtractionPool(workers=2, batches=2) as pool:
    workers = pool.executor_for([page])
    list(workers.map(abs, [-1, -2]))
    print(" ".join(str(p) for p in workers._processes), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_extraction_workers_exit_when_the_flow_process_is_killed() -> None:
    run = subprocess.run([sys.executable, "-c", KILLED_FLOW], capture_output=True, text=True, timeout=60)
    assert run.returncode == -signal.SIGKILL
    pids = [int(p) for p in run.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 10 * PARENT_CHECK_SECONDS
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone too: only its exit status is left, for its new parent to collect.
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split(") ")[-1][0] != "Z"


def test_warm_up_starts_every_worker_before_the_first_batch() -> None:
    with ExtractionPool(workers=2, batches=3) as pool:
        pool.warm_up()
        assert pool.started
        workers = pool.executor_for([Fetched("http://a.example/1", "article", "ok", "http://a.example/1", 200)])
        assert workers is not None
        deadline = time.monotonic() + 60
        while len(workers._processes) < 2 and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.05)
        assert len(workers._processes) == 2  # type: ignore[attr-defined]
    with ExtractionPool(workers=1, batches=3) as single:
        single.warm_up()
        assert not single.started


def test_a_batch_extracted_in_chunks_across_workers_gives_the_rows_of_one_pass() -> None:
    import asyncio

    from flows.pipeline import EXTRACT_CHUNK, extract

    body = " ".join(["The council met on Monday to vote on the harbour budget for the coming year."] * 4)
    urls = [f"http://a.example/story-{i}" for i in range(2 * EXTRACT_CHUNK + 3)]
    batch = [PlannedFetch(Candidate(url, "a")) for url in urls]
    responses = [
        Fetched(url, "article", "ok", url, status=200, content_type="text/html",
                body=f"<html><body><article><h1>Story {i}</h1><p>{i}: {body}</p></article></body></html>".encode())
        for i, url in enumerate(urls)
    ]  # fmt: skip
    with ExtractionPool(workers=2, batches=2) as pool:
        chunked = asyncio.run(extract.fn(batch, responses, pool.executor_for(responses)))
    whole = extract_batch(batch, responses)
    assert [a.url for a in chunked.articles] == [a.url for a in whole.articles] == urls
    assert [replace(s, last_checked_at=NOW) for s in chunked.seen] == [
        replace(s, last_checked_at=NOW) for s in whole.seen
    ]


def _undated_story(url: str, shown: str = "") -> Fetched:
    html = (
        '<html><head><meta property="og:type" content="article"><title>Flood defences hold</title></head><body>'
        f"<article><h1>Flood defences hold</h1>{shown}<p>"
        + "The new flood defences held through the night as the river peaked. " * 8
        + "</p></article></body></html>"
    )
    return Fetched(url, "article", "ok", url, 200, html.encode(), "text/html")


@pytest.mark.parametrize(
    ("url", "shown", "day"),
    [
        ("http://a.example/news/2019/11/19/flood-defences-hold", "", datetime(2019, 11, 19, tzinfo=UTC)),
        ("http://a.example/news/flood-defences-hold", "<p class='date'>Published 18 November 2019</p>", None),
    ],
)
def test_a_page_without_a_date_in_its_markup_or_listing_gets_one_guessed_from_its_url_or_shown_date(
    url: str, shown: str, day: datetime | None
) -> None:
    # An ingested WARC record or a link found on a front page has no listing date: a guess is better than none,
    # and says it is one.
    (article,) = rows_for_page(_undated_story(url, shown), Candidate(url, "s", fetch_url=url), now=NOW).articles
    assert article.published_from == "guessed"
    assert article.published_at == (day or datetime(2019, 11, 18, tzinfo=UTC))
    listed = Candidate(url, "s", fetch_url=url, published_at=NOW - timedelta(days=1), published_from="feed")
    (from_feed,) = rows_for_page(_undated_story(url, shown), listed, now=NOW).articles
    assert (from_feed.published_at, from_feed.published_from) == (NOW - timedelta(days=1), "feed")


def test_a_stored_guess_is_guessed_again_from_the_page_not_kept_as_its_listings_date() -> None:
    # A re-check of a recent article carries its stored date as the candidate's; a guess is no listing's date,
    # and reextract guesses from the archived bytes: the crawl must too, or the two disagree.
    url = "http://a.example/news/flood-defences-hold"
    shown = "<p class='date'>Published 12 March 2017</p>"
    stored = Candidate(url, "s", datetime(2019, 11, 18, tzinfo=UTC), url, listed=True, published_from="guessed")
    (article,) = rows_for_page(_undated_story(url, shown), stored, now=NOW).articles
    assert (article.published_at, article.published_from) == (datetime(2017, 3, 12, tzinfo=UTC), "guessed")


def test_a_batch_whose_turn_comes_after_its_sources_time_sends_nothing_and_says_so() -> None:
    # A review: each URL got "used up its source_timeout before this URL's fetch ended" and a fetch-log line of
    # a request that was never sent.
    asked: list[str] = []

    class Untouched:
        async def fetch(self, url: str, **_: object) -> Fetched:
            asked.append(url)
            raise AssertionError("no request may be sent")

    async def go() -> FetchedBatch:
        spent = Budget.starting_now(0.01)
        await asyncio.sleep(0.02)
        batch = [PlannedFetch(Candidate(f"http://a.example/{i}", "s"), None) for i in range(2)]
        return await fetch_batch(Untouched(), batch, budget=spent)  # type: ignore[arg-type]

    fetched = asyncio.run(go())
    assert asked == [] and not fetched.answered
    assert [(e.url, e.error_type) for e in fetched.errors] == [
        (f"http://a.example/{i}", "SourceTimeout") for i in (0, 1)
    ]
    assert all(e.message.startswith("not fetched: source 's' had used up its source_timeout") for e in fetched.errors)
    assert [(f.status, f.reason) for f in fetched.fetches] == [(None, "timeout")] * 2
