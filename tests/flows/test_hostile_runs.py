"""Runs against sites that are slow, hang, refuse us or break: each run ends in a state, the healthy sources are
stored in full and every bad source has its reason in `errors`.

Real ingest flows (the package's Prefect harness) over loopback sites; one test runs the real CLI in a process
of its own, against the harness's API. A route that hangs waits for the test to release it, with a bound, so
no server thread outlives its test for long. Timeouts that would keep a hanging request alive (read_timeout)
stay at their defaults, far above the `source_timeout` these runs set.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
import pytest

import flows.pipeline
from flows.config import ConfigError
from flows.ingest import ingest
from flows.runs import CrawlInProgressError
from storage.db import writing
from storage.load import start_run
from tests.loopback import Raw, Request, Route, Site, html, page, serve

Answer = tuple[int, dict[str, str], bytes]
Wrapper = Callable[[Request, Route], Answer]  # a route around a site's own answer for the path
HANG_BOUND = 30.0  # seconds a hanging route waits at most for its test to release it


@dataclass
class Newsroom:
    """One loopback news site: robots.txt, a feed (with an ETag) of its article pages, and the pages."""

    name: str
    site: Site
    paths: list[str] = field(default_factory=list)

    @property
    def feed(self) -> str:
        return f"{self.site.base}/rss.xml"

    def urls(self) -> set[str]:
        return {self.site.base + p for p in self.paths}

    def source(self, *, host: str = "127.0.0.1") -> str:
        return f'[[sources]]\nname = "{self.name}"\nfeeds = ["{self.feed.replace("127.0.0.1", host)}"]\n'


@pytest.fixture
def newsroom() -> Iterator[Callable[..., Newsroom]]:
    """`newsroom(name, articles=3, feed=wrapper, article=wrapper, robots=text)`; every site stops at the end."""
    with ExitStack() as stack:

        def start(
            name: str,
            articles: int = 3,
            *,
            feed: Wrapper | None = None,
            article: Wrapper | None = None,
            robots: str = "User-agent: *\nAllow: /\n",
        ) -> Newsroom:
            room = Newsroom(name, stack.enter_context(serve({})))
            room.paths = [f"/news/{name}-{k}.html" for k in range(articles)]
            items = "".join(f"<item><title>t</title><link>{room.site.base}{p}</link></item>" for p in room.paths)
            rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'
            routes: dict[str, tuple[Route, Wrapper | None]] = {
                "/robots.txt": (page(robots, "text/plain"), None),
                "/rss.xml": (
                    lambda r: (200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, rss.encode()),
                    feed,
                ),
            }
            for k, path in enumerate(room.paths):
                words = " ".join(f"{name}{k}w{j}" for j in range(120))
                routes[path] = (page(html(f"{name} story {k}", [words + "."])), article)
            for path, (own, wrapper) in routes.items():
                room.site.routes[path] = own if wrapper is None else (lambda r, own=own, w=wrapper: w(r, own))
            return room

        yield start


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set when the test ends, so routes that hang until released let their server threads go."""
    event = threading.Event()
    yield event
    event.set()


def hanging(release: threading.Event, *, reached: threading.Event | None = None) -> Wrapper:
    """A wrapper whose route answers only once the test is over (or after HANG_BOUND seconds); `reached` is set
    when a request arrives."""

    def wrapper(request: Request, own: Route) -> Answer:
        if reached is not None:
            reached.set()
        release.wait(HANG_BOUND)
        return own(request)

    return wrapper


def sources_file(tmp_path: Path, *blocks: str, settings: str = "") -> str:
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(blocks) + "\n[settings]\nper_host_delay = 0.0\nextract_workers = 1\n" + settings)
    return str(path)


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def stored(db: Path) -> set[str]:
    return {url for (url,) in query(db, "SELECT url FROM articles")}


def source_errors(db: Path) -> dict[str, tuple[str, str]]:
    """(error_type, message) of each source-level error row, by the source named in its message."""
    rows = query(db, "SELECT error_type, message FROM errors WHERE stage = 'source' ORDER BY occurred_at")
    return {message.split("'")[1]: (error_type, message) for error_type, message in rows}


def test_a_slow_source_does_not_hold_back_a_healthy_ones_articles(
    prefect_harness: None, newsroom: Callable[..., Newsroom], tmp_path: Path
) -> None:
    # The slow feed answers once every healthy article has been requested, or after HANG_BOUND seconds: in a run
    # that fetched articles only after all discovery had finished (before per-source pipelines), they came that
    # late. (8 s it was: a run slowed that much by a loaded machine would have failed without the bug.)
    healthy_fetched, released = threading.Event(), []

    def counting(request: Request, own: Route) -> Answer:
        if request.path.endswith("-3.html"):
            healthy_fetched.set()
        return own(request)

    def slow(request: Request, own: Route) -> Answer:
        released.append(healthy_fetched.wait(HANG_BOUND))
        return own(request)

    healthy, late = newsroom("healthy", 4, article=counting), newsroom("late", 2, feed=slow)
    db = tmp_path / "news.duckdb"
    asyncio.run(ingest(sources_file(tmp_path, late.source(), healthy.source()), db=str(db), allow_private=True))
    assert released == [True], "the healthy source's articles waited for the slow source's feed"
    assert stored(db) == healthy.urls() | late.urls()
    sql = "SELECT started_at + to_milliseconds(elapsed_ms) FROM fetches WHERE url = ?"
    ((late_feed_answered,),) = query(db, sql, [late.feed])
    sql = "SELECT max(started_at), count(*) FROM fetches WHERE kind = 'article' AND starts_with(url, ?)"
    ((last_healthy_article, articles),) = query(db, sql, [healthy.site.base])
    assert articles == 4 and last_healthy_article < late_feed_answered
    assert query(db, "SELECT status, error FROM runs") == [("completed", None)]


def test_a_source_of_many_hanging_batches_leaves_slots_for_the_others(
    prefect_harness: None, newsroom: Callable[..., Newsroom], release: threading.Event, tmp_path: Path
) -> None:
    # Its batches queued first and held all eight batch slots until its source_timeout, waiting on its host's
    # pace; the healthy source, cut off at the same moment, had not sent one article request (a review).
    def late(request: Request, own: Route) -> Answer:
        time.sleep(0.5)  # the hanging source's batches get in line first
        return own(request)

    hung = newsroom("hungpages", 12, article=hanging(release))
    healthy = newsroom("healthy", 2, feed=late)
    db = tmp_path / "news.duckdb"
    settings = "batch_size = 1\nsource_timeout = 6.0\n"
    asyncio.run(
        ingest(
            sources_file(tmp_path, hung.source(), healthy.source(), settings=settings), db=str(db), allow_private=True
        )
    )
    assert stored(db) == healthy.urls()
    assert source_errors(db).keys() == {"hungpages"}


def test_a_source_waiting_for_the_other_sources_batches_is_not_on_its_clock(
    prefect_harness: None, newsroom: Callable[..., Newsroom], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Other sources' slow batches took the run's batch slots in turn (one slot here, eight in a run), and a source
    # whose turn came once its source_timeout had passed, spent waiting, was cut off without one request.
    monkeypatch.setattr(flows.pipeline, "MAX_BATCHES_IN_FLIGHT", 1)

    def slow(request: Request, own: Route) -> Answer:
        time.sleep(0.8)
        return own(request)

    def late(request: Request, own: Route) -> Answer:
        time.sleep(0.3)  # the slow sources' batches get in line first
        return own(request)

    slow_ones = [newsroom(f"slow{k}", 2, article=slow) for k in range(3)]
    waiting = newsroom("waiting", 2, feed=late)
    db = tmp_path / "news.duckdb"
    blocks = *(room.source() for room in slow_ones), waiting.source()
    # Each slow source works 1.6 s; the last one waits 4.8 s, of which 4 (its source_timeout) are not counted.
    settings = "batch_size = 1\nsource_timeout = 4.0\n"
    asyncio.run(ingest(sources_file(tmp_path, *blocks, settings=settings), db=str(db), allow_private=True))
    assert stored(db) == set().union(*(room.urls() for room in [*slow_ones, waiting]))
    assert source_errors(db) == {}


def test_sources_past_their_time_budget_are_cut_off_and_the_others_stored(
    prefect_harness: None, newsroom: Callable[..., Newsroom], release: threading.Event, tmp_path: Path
) -> None:
    healthy = newsroom("healthy")
    hung_feed = newsroom("hungfeed", feed=hanging(release))
    hung_pages = newsroom("hungpages", article=hanging(release))
    db = tmp_path / "news.duckdb"
    blocks = healthy.source(), hung_feed.source(), hung_pages.source()
    result = asyncio.run(
        ingest(sources_file(tmp_path, *blocks, settings="source_timeout = 2.0\n"), db=str(db), allow_private=True)
    )
    assert not release.is_set() and stored(db) == healthy.urls()  # returned while both sites still hang
    cut = source_errors(db)
    assert cut.keys() == {"hungfeed", "hungpages"} and {t for t, _ in cut.values()} == {"SourceTimeout"}
    assert f"while discovering: no answer from {hung_feed.feed}" in cut["hungfeed"][1]
    assert "3 of its 3 article URLs not fetched" in cut["hungpages"][1]
    sql = "SELECT url FROM errors WHERE stage = 'fetch' AND error_type = 'SourceTimeout'"
    assert {url for (url,) in query(db, sql)} == hung_pages.urls()
    # Each was asked for, and its fetches row says it was cut off (a review: the requests left no row).
    sql = "SELECT url, reason, error FROM fetches WHERE kind = 'article' AND status IS NULL"
    cut_rows = query(db, sql)
    assert {url for url, _, _ in cut_rows} == hung_pages.urls() and {r for _, r, _ in cut_rows} == {"timeout"}
    assert all("used up its source_timeout of 2 s" in error for _, _, error in cut_rows)
    # Cut-off pages are left for the next run, and so is the feed's "changed since" that would hide them.
    assert not query(
        db, "SELECT url FROM seen_urls WHERE kind = 'article' AND NOT starts_with(url, ?)", [healthy.site.base]
    )
    etags = dict(query(db, "SELECT url, etag FROM seen_urls WHERE kind = 'feed'"))
    assert etags == {healthy.feed: '"v1"', hung_pages.feed: None}
    assert query(db, "SELECT status FROM runs") == [("completed",)] and result["new"] == 3


def test_a_run_where_no_source_can_be_reached_fails_with_each_reason(
    prefect_harness: None, newsroom: Callable[..., Newsroom], release: threading.Event, tmp_path: Path
) -> None:
    guarded = newsroom("guarded")  # asked for as localhost: a loopback address the guard refuses
    shut = newsroom("shut", robots="User-agent: *\nDisallow: /\n")
    hung = newsroom("hung", feed=hanging(release))
    db = tmp_path / "news.duckdb"
    settings = 'source_timeout = 2.0\nallow_hosts = ["127.0.0.1"]\n'
    sources = sources_file(tmp_path, guarded.source(host="localhost"), shut.source(), hung.source(), settings=settings)
    state = asyncio.run(ingest(sources, db=str(db), return_state=True))
    assert state.is_failed()
    message = str(state.message)
    assert "no source could be reached (3 tried)" in message and all(
        f"{n}:" in message for n in ("guarded", "shut", "hung")
    )
    ((status, error),) = query(db, "SELECT status, error FROM runs")
    assert status == "failed" and error.startswith("no source could be reached (3 tried)")
    reasons = source_errors(db)
    assert {name: kind for name, (kind, _) in reasons.items()} == {
        "guarded": "SourceUnreachable",
        "shut": "SourceUnreachable",
        "hung": "SourceTimeout",
    }
    assert "robots.txt" in reasons["shut"][1] and "localhost" in reasons["guarded"][1]


def test_a_run_where_some_sources_answer_completes_and_records_the_others(
    prefect_harness: None, newsroom: Callable[..., Newsroom], tmp_path: Path
) -> None:
    healthy, guarded = newsroom("healthy"), newsroom("guarded")
    db = tmp_path / "news.duckdb"
    sources = sources_file(
        tmp_path, healthy.source(), guarded.source(host="localhost"), settings='allow_hosts = ["127.0.0.1"]\n'
    )
    state = asyncio.run(ingest(sources, db=str(db), return_state=True))
    assert state.is_completed() and stored(db) == healthy.urls()
    assert source_errors(db).keys() == {"guarded"}
    assert query(db, "SELECT status, error FROM runs") == [("completed", None)]


def test_an_article_that_failed_is_tried_again_though_its_feed_answers_304_or_drops_it(
    prefect_harness: None, newsroom: Callable[..., Newsroom], tmp_path: Path
) -> None:
    down = {"/news/flaky-0.html": True, "/news/flaky-1.html": True}

    def unchanged_feed(request: Request, own: Route) -> Answer:
        if request.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        answer = own(request)
        assert not isinstance(answer, Raw)
        return answer

    def server_error_while_down(request: Request, own: Route) -> Answer:
        if down.get(request.path):
            return 500, {"Content-Type": "text/plain"}, b"try later"
        answer = own(request)
        assert not isinstance(answer, Raw)
        return answer

    room = newsroom("flaky", feed=unchanged_feed, article=server_error_while_down)
    db = tmp_path / "news.duckdb"
    sources = sources_file(tmp_path, room.source(), settings="retry_failed_after_minutes = 0\n")
    asyncio.run(ingest(sources, db=str(db), allow_private=True))
    assert stored(db) == {room.site.base + "/news/flaky-2.html"}
    down["/news/flaky-0.html"] = False
    asyncio.run(ingest(sources, db=str(db), allow_private=True))  # the feed answers 304: nothing listed
    assert len(room.site.hits("/rss.xml")) == 2
    assert stored(db) == {room.site.base + p for p in ("/news/flaky-0.html", "/news/flaky-2.html")}
    with writing(db) as con:  # first seen over a week ago: no longer tried unless listed again
        con.execute("UPDATE seen_urls SET first_seen_at = first_seen_at - INTERVAL 8 DAY WHERE url LIKE '%flaky-1%'")
    down["/news/flaky-1.html"] = False
    tries = len(room.site.hits("/news/flaky-1.html"))
    asyncio.run(ingest(sources, db=str(db), allow_private=True))
    assert len(room.site.hits("/news/flaky-1.html")) == tries


def test_what_one_url_or_one_source_raises_is_recorded_and_the_run_reaches_dedup(
    prefect_harness: None, newsroom: Callable[..., Newsroom], tmp_path: Path
) -> None:
    # Location: http://[x/ made urljoin raise ("Invalid IPv6 URL"): for a page, then for a whole feed.
    def broken_redirect(request: Request, own: Route) -> Answer:
        return (302, {"Location": "http://[x/"}, b"") if request.path.endswith("-2.html") else own(request)

    pages, feedless = (
        newsroom("pages", article=broken_redirect),
        newsroom("feedless", feed=lambda r, own: (302, {"Location": "http://[x/"}, b"")),
    )
    db = tmp_path / "news.duckdb"
    state = asyncio.run(
        ingest(
            sources_file(tmp_path, pages.source(), feedless.source()), db=str(db), allow_private=True, return_state=True
        )
    )
    bad = pages.site.base + pages.paths[2]
    assert stored(db) == pages.urls() - {bad}
    assert query(db, "SELECT count(*) FROM articles WHERE cluster_id IS NULL") == [(0,)]  # dedup ran
    recorded = query(
        db,
        "SELECT url FROM errors WHERE url = ? UNION ALL SELECT url FROM fetches WHERE url = ? AND error IS NOT NULL",
        [bad, bad],
    )
    assert recorded and "feedless" in source_errors(db)
    ((status, finished),) = query(db, "SELECT status, finished_at IS NOT NULL FROM runs")
    assert finished and status == ("failed" if state.is_failed() else "completed")


def test_a_huge_feed_is_read_up_to_its_cap(
    prefect_harness: None, newsroom: Callable[..., Newsroom], tmp_path: Path
) -> None:
    huge = newsroom("huge", 60)
    db = tmp_path / "news.duckdb"
    sources = sources_file(tmp_path, huge.source(), settings="max_items_per_feed = 5\n")
    asyncio.run(ingest(sources, db=str(db), allow_private=True))
    assert stored(db) == {huge.site.base + p for p in huge.paths[:5]}
    ((kind, message),) = query(db, "SELECT error_type, message FROM errors")
    assert kind == "ListingTruncated" and "first 5 (max_items_per_feed)" in message


def test_runs_left_running_by_a_dead_process_are_marked_abandoned(
    prefect_harness: None, newsroom: Callable[..., Newsroom], tmp_path: Path
) -> None:
    db, host, now = tmp_path / "news.duckdb", socket.gethostname(), datetime.now(UTC)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait(timeout=30)
    with writing(db) as con:
        start_run(con, "dead", flow="ingest", started_at=now, params={}, pid=ended.pid, hostname=host)
        # A live ingest of WARC files fetches nothing from the sites, so it does not hold the crawl back.
        start_run(con, "alive", flow="ingest-warc", started_at=now, params={}, pid=os.getppid(), hostname=host)
        start_run(
            con, "elsewhere", flow="ingest", started_at=now - timedelta(days=2), params={}, pid=1, hostname="desk2"
        )
    asyncio.run(ingest(sources_file(tmp_path, newsroom("site").source()), db=str(db), allow_private=True))
    runs = dict(query(db, "SELECT run_id, status FROM runs WHERE run_id IN ('dead', 'alive', 'elsewhere')"))
    assert runs == {"dead": "abandoned", "alive": "running", "elsewhere": "abandoned"}
    ((error,),) = query(db, "SELECT error FROM runs WHERE run_id = 'dead'")
    assert f"pid {ended.pid} on {host}" in error
    assert query(db, "SELECT count(*) FROM articles") == [(3,)]


def test_a_crawl_whose_archive_cannot_be_written_fails_before_fetching_a_page(
    prefect_harness: None, newsroom: Callable[..., Newsroom], tmp_path: Path
) -> None:
    site, db = newsroom("site"), tmp_path / "news.duckdb"
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    sources = sources_file(tmp_path, site.source(), settings=f'archive_dir = "{tmp_path / "a-file"}"\n')
    with pytest.raises(ConfigError, match="archive_dir = .*a-file: cannot write the page archive there"):
        asyncio.run(ingest(sources, db=str(db), allow_private=True))
    assert site.site.log == [], "nothing is fetched for an archive that cannot keep it"
    ((status, error),) = query(db, "SELECT status, error FROM runs")
    assert status == "failed" and "archive = false" in error


def test_a_crawl_is_refused_while_another_crawl_of_the_database_is_running(
    prefect_harness: None, newsroom: Callable[..., Newsroom], tmp_path: Path
) -> None:
    db, host, now = tmp_path / "news.duckdb", socket.gethostname(), datetime.now(UTC)
    with writing(db) as con:  # this test's parent process stands for the hourly run still going
        start_run(con, "going", flow="backfill", started_at=now, params={}, pid=os.getppid(), hostname=host)
    site = newsroom("site")
    with pytest.raises(CrawlInProgressError, match=r"another crawl is still running .*\(run going, backfill"):
        asyncio.run(ingest(sources_file(tmp_path, site.source()), db=str(db), allow_private=True))
    assert site.site.log == [], "a refused run fetches nothing"
    rows = query(db, "SELECT run_id, flow, status, error FROM runs ORDER BY started_at")
    assert [row[:3] for row in rows] == [("going", "backfill", "running"), (rows[1][0], "ingest", "failed")]
    assert f"pid {os.getppid()} on {host}" in rows[1][3] and "fetched nothing" in rows[1][3]
    assert query(db, "SELECT count(*) FROM articles") == [(0,)]


def _copydesk() -> list[str]:
    script = shutil.which("copydesk", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-c", "import sys; from flows.cli import main; sys.exit(main())"]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_interrupts_the_run_which_says_so_and_exits_non_zero(
    stop: signal.Signals,
    prefect_harness: None,
    newsroom: Callable[..., Newsroom],
    release: threading.Event,
    tmp_path: Path,
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    fetching = threading.Event()
    site, db = newsroom("site", 4, article=hanging(release, reached=fetching)), tmp_path / "news.duckdb"
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PYTHONUNBUFFERED": "1"}
    command = [
        *_copydesk(),
        "run",
        "--sources",
        sources_file(tmp_path, site.source()),
        "--db",
        str(db),
        "--allow-private",
    ]
    with (tmp_path / "out.txt").open("w") as out, (tmp_path / "err.txt").open("w") as errors:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=errors)
        try:
            assert fetching.wait(120), "the run never requested an article"
            proc.send_signal(stop)
            proc.wait(timeout=60)
        finally:
            proc.kill()
    err = (tmp_path / "err.txt").read_text()
    assert proc.returncode == 128 + stop
    assert f"copydesk: interrupted by {stop.name}" in err and "Traceback" not in err
    ((run_id, status, error, finished),) = query(db, "SELECT run_id, status, error, finished_at IS NOT NULL FROM runs")
    assert (status, error, finished) == ("interrupted", f"interrupted by {stop.name}", True)

    async def flow_state() -> Any:
        async with get_client() as client:
            return (await client.read_flow_run(UUID(run_id))).state

    state = asyncio.run(flow_state())
    assert state.is_crashed() or state.is_cancelled()


# Pages enough for an ingest to be seconds from its end when a signal comes a second after it starts reading: two
# of ingest-warc's 600-page batches, ~8 s of extraction on 2 cores (2,500 took a minute of CI per signal, for a
# rerun to extract them all).
INTERRUPTED_PAGES = 1200


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_interrupts_an_ingest_warc_which_says_so_and_a_rerun_finishes_it(
    stop: signal.Signals, prefect_harness: None, tmp_path: Path
) -> None:
    """SIGTERM printed a traceback (Prefect's handler raised mid-code) and exited 1; a SIGINT was once lost and the
    ingest ran to its end, recorded completed."""
    from prefect.settings import PREFECT_API_URL

    from tests.flows.test_warc_ingest import story, write_warc

    warc, db = tmp_path / "big.warc.gz", tmp_path / "w.duckdb"
    write_warc(
        warc,
        [(f"http://news.example/{n}", "200 OK", "text/html", story(n)) for n in range(INTERRUPTED_PAGES)],
        gzip=True,
    )
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PYTHONUNBUFFERED": "1"}
    command = [*_copydesk(), "ingest-warc", str(warc), "--db", str(db)]
    with (tmp_path / "err.txt").open("w") as errors:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            deadline = time.monotonic() + 120
            while "files (0 finished before)" not in (tmp_path / "err.txt").read_text():
                assert time.monotonic() < deadline and proc.poll() is None, (tmp_path / "err.txt").read_text()
                time.sleep(0.1)
            time.sleep(1.0)  # reading and extracting
            proc.send_signal(stop)
            proc.wait(timeout=120)
        finally:
            proc.kill()
    err = (tmp_path / "err.txt").read_text()
    assert proc.returncode == 128 + stop, err
    assert f"copydesk: interrupted by {stop.name}" in err and "Traceback" not in err
    assert query(db, "SELECT status, error FROM runs") == [("interrupted", f"interrupted by {stop.name}")]
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM articles") == [(INTERRUPTED_PAGES, INTERRUPTED_PAGES)]


def test_a_ctrl_c_in_a_terminal_stops_an_ingest_warc_at_once_with_its_temporary_server_alive_to_the_end(
    tmp_path: Path,
) -> None:
    """A terminal's Ctrl-C signals the whole process group: Prefect's temporary server died with it, and the
    flow's end waited ~90 s on the dead API, then failed with "All connection attempts failed" and exit 1."""
    from tests.flows.test_warc_ingest import story, write_warc

    warc, db = tmp_path / "big.warc.gz", tmp_path / "w.duckdb"
    write_warc(warc, [(f"http://news.example/{n}", "200 OK", "text/html", story(n)) for n in range(6000)], gzip=True)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONUNBUFFERED": "1"}
    command = [*_copydesk(), "ingest-warc", str(warc), "--db", str(db)]
    with (tmp_path / "err.txt").open("w") as errors:
        # Its own process group, as a shell gives a foreground job.
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
        try:
            deadline = time.monotonic() + 180
            while "files (0 finished before)" not in (tmp_path / "err.txt").read_text():
                assert time.monotonic() < deadline and proc.poll() is None, (tmp_path / "err.txt").read_text()
                time.sleep(0.1)
            time.sleep(1.0)
            os.killpg(proc.pid, signal.SIGINT)
            stopped = time.monotonic()
            proc.wait(timeout=120)
            took = time.monotonic() - stopped
        finally:
            proc.kill()
    err = (tmp_path / "err.txt").read_text()
    assert proc.returncode == 128 + signal.SIGINT, err
    assert "copydesk: interrupted by SIGINT" in err and "All connection attempts failed" not in err
    assert took < 45, f"{took:.0f} s from Ctrl-C to exit"
    assert query(db, "SELECT status FROM runs") == [("interrupted",)]


def test_a_run_whose_output_reader_goes_away_finishes_its_job(
    prefect_harness: None, newsroom: Callable[..., Newsroom], tmp_path: Path
) -> None:
    """`copydesk run ... | head -3`: the reader leaves after a few lines, and the crawl must not go with it."""
    from prefect.settings import PREFECT_API_URL

    site, db = newsroom("site", 4), tmp_path / "news.duckdb"
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PYTHONUNBUFFERED": "1"}
    command = [*_copydesk(), "run", "--sources", sources_file(tmp_path, site.source()), "--db", str(db)]
    proc = subprocess.Popen([*command, "--allow-private"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # as `head -1` does once it has its line
        proc.wait(timeout=120)
    finally:
        proc.kill()
    assert first and proc.returncode == 0
    assert query(db, "SELECT flow, status, stored FROM runs") == [("ingest", "completed", 4)]
    assert query(db, "SELECT count(*) FROM articles") == [(4,)]


def test_prefects_temporary_server_ends_with_a_run_killed_by_sigkill(
    newsroom: Callable[..., Newsroom], release: threading.Event, tmp_path: Path
) -> None:
    """Without PREFECT_API_URL a run starts Prefect's temporary server (a uvicorn child). `kill -9` leaves
    Prefect no chance to stop it; copydesk's watchdog (flows/ephemeral.py) must."""
    fetching = threading.Event()
    site, db = newsroom("site", 2, article=hanging(release, reached=fetching)), tmp_path / "news.duckdb"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONUNBUFFERED": "1"}
    command = [*_copydesk(), "run", "--sources", sources_file(tmp_path, site.source()), "--db", str(db)]
    log = tmp_path / "out.txt"
    with log.open("w") as out:
        proc = subprocess.Popen([*command, "--allow-private"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            assert fetching.wait(120), log.read_text()
            proc.kill()
            proc.wait(timeout=30)
        finally:
            proc.kill()
    started = re.search(r"Starting temporary server on http://127\.0\.0\.1:(\d+)", log.read_text())
    assert started, log.read_text()
    port, deadline = int(started.group(1)), time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return  # nothing listens there any more: the server is gone
        time.sleep(0.2)
    pytest.fail(f"Prefect's temporary server on port {port} outlived the killed run")


def test_prefects_temporary_server_ends_with_a_run_killed_while_it_starts(
    newsroom: Callable[..., Newsroom], tmp_path: Path
) -> None:
    """The watchdog was started once the server answered: 7-14 s on a loaded machine, in which a run killed with
    SIGKILL left the server running (~210 MB, its port taken; an operator's review)."""
    site, db = newsroom("site", 1), tmp_path / "news.duckdb"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONUNBUFFERED": "1"}
    command = [*_copydesk(), "run", "--sources", sources_file(tmp_path, site.source()), "--db", str(db)]
    proc = subprocess.Popen([*command, "--allow-private"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert proc.stdout is not None
        line = b""
        while b"Starting temporary server" not in line:
            line = proc.stdout.readline()
            assert line, "the run ended before it started Prefect's temporary server"
        started = re.search(rb"Starting temporary server on http://127\.0\.0\.1:(\d+)", line)
        assert started, line
        deadline = time.monotonic() + 30
        while not _servers_on(int(started.group(1))) and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.kill()  # as soon as the server's process exists, before it answers
        proc.wait(timeout=30)
    finally:
        proc.kill()
        if proc.stdout is not None:
            proc.stdout.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not _servers_on(int(started.group(1))):
            return
        time.sleep(0.2)
    pytest.fail(
        f"Prefect's temporary server on port {started.group(1).decode()} outlived the run killed while it started"
    )


def _servers_on(port: int) -> list[int]:
    """Pids of live processes whose command line runs a Prefect server on `port`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"prefect" in part for part in cmdline) and str(port).encode() in cmdline:
            found.append(int(entry.name))
    return found


def test_the_temporary_servers_own_output_goes_to_a_log_in_prefect_home_not_the_terminal(tmp_path: Path) -> None:
    """A failing command ends with its one error line: the server's services, stopped at exit, printed ~200 lines
    of tracebacks of the events they were still recording after it (a reextract whose archive had moved)."""
    (tmp_path / "broken.warc.gz").write_bytes(b"this is not a warc file\n" * 10)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONUNBUFFERED": "1"}
    command = [*_copydesk(), "ingest-warc", str(tmp_path / "broken.warc.gz"), "--db", str(tmp_path / "w.duckdb")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Starting temporary server on http://127.0.0.1:" in done.stderr  # copydesk's own log stays
    assert "ingest-warc: failed: " in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "prefect" / "temporary-server.log").is_file()


@pytest.mark.parametrize("command", ["reextract", "rebuild-clusters"])
def test_a_flow_that_fails_ends_in_one_error_line_without_tracebacks(
    command: str, prefect_harness: None, tmp_path: Path
) -> None:
    """ingest-warc, reextract and rebuild-clusters printed 2-6 Prefect tracebacks before their error line (a
    helper's sweep: a full disk); `run` already printed none. And a --db that is no DuckDB file said only
    DuckDB's "IO Error: ... is not a valid DuckDB database file!"."""
    (tmp_path / "notes.duckdb").write_text("meeting notes, not a database\n")
    from prefect.settings import PREFECT_API_URL

    # The harness's API: the console's lines are the same with a temporary server, which costs ~10 s to start.
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        [*_copydesk(), command, "--db", str(tmp_path / "notes.duckdb")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("copydesk: error: ")]
    assert "notes.duckdb is not a DuckDB database" in line, done.stderr
    assert "Retry 1/2" not in done.stderr  # a file that is no database is one 5 s later, too
    assert (tmp_path / "notes.duckdb").read_text() == "meeting notes, not a database\n"


def test_a_prefect_home_that_cannot_be_written_leaves_the_servers_output_on_the_terminal(tmp_path: Path) -> None:
    from flows.ephemeral import _stderr_to

    (tmp_path / "home").write_text("a file where PREFECT_HOME's folder would be")
    terminal = os.fstat(2)
    with _stderr_to(tmp_path / "home" / "temporary-server.log"):  # it did not start at all
        assert os.fstat(2).st_ino == terminal.st_ino
    with _stderr_to(tmp_path / "temporary-server.log"):
        assert os.fstat(2).st_ino == (tmp_path / "temporary-server.log").stat().st_ino
    assert os.fstat(2).st_ino == terminal.st_ino


def test_half_an_emoji_in_one_pages_json_ld_neither_fails_the_run_nor_loses_its_batch(
    prefect_harness: None, newsroom: Callable[..., Newsroom], tmp_path: Path
) -> None:
    # "\ud83d" in JSON-LD is valid JSON (a CMS that cut a string by UTF-16 units) and was the title: Arrow refused
    # it, the batch's write failed three times and the run with it, and the next run fetched the page again.
    words = " ".join(f"poison{j}" for j in range(150))
    ld = '{"@type": "NewsArticle", "headline": "Council \\ud83d meets", "datePublished": "2024-05-01T10:00:00Z"}'
    room = newsroom("poison", 3)
    room.site.routes[room.paths[0]] = page(
        f'<html><head><script type="application/ld+json">{ld}</script></head><body><article><h1>Council meets</h1>'
        f"<p>{words}.</p><p>{words.upper()}.</p></article></body></html>"
    )
    db = tmp_path / "news.duckdb"
    state = asyncio.run(
        ingest(sources_file(tmp_path, room.source()), db=str(db), allow_private=True, return_state=True)
    )
    assert state.is_completed()
    assert stored(db) == room.urls()
    assert query(db, "SELECT title FROM articles WHERE url = ?", [room.site.base + room.paths[0]]) == [
        ("Council \ufffd meets",)
    ]


STORY_WORDS = " ".join(f"word{j}" for j in range(150)) + "."


def section_page() -> str:
    def card(i: int) -> str:
        teaser = " ".join(f"teaser{i}w{j}" for j in range(40))
        return (
            f'<div class="card"><h2><a href="/news/story-{i}.html">Council approves budget number {i}</a></h2>'
            f"<p>{teaser}.</p></div>"
        )

    return (
        "<html><head><title>Politics</title></head><body><main><h1>Politics</h1>"
        f"<p>Latest stories from the council chamber.</p>{card(1)}{card(2)}</main></body></html>"
    )


def test_a_failed_url_retried_after_its_listing_dropped_it_is_not_promoted_to_listed(
    prefect_harness: None, tmp_path: Path
) -> None:
    # A plain sitemap (no news:) lists a section page: listed=False, so extraction rejects it as an index page.
    # Run 1 it answers 503 (failed). Run 2 the sitemap no longer names it; flows/pipeline.py:544 retries it from
    # failed_articles as Candidate(..., listed=True), "the site lists it as an article" - which it never did -
    # and the index page is stored as an article. Had the sitemap still listed it, it would have been rejected.
    index_path, story_path = "/news/politics-desk", "/news/a-real-story.html"
    up = {"index": False}
    with serve({}) as site:
        ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'

        def urlset(*paths: str) -> str:
            return f"<urlset {ns}>" + "".join(f"<url><loc>{site.base}{p}</loc></url>" for p in paths) + "</urlset>"

        site.routes["/robots.txt"] = page("User-agent: *\nAllow: /\n", "text/plain")
        site.routes["/sitemap.xml"] = page(urlset(index_path), "application/xml")
        site.routes[index_path] = lambda r: (
            (200, {"Content-Type": "text/html"}, section_page().encode())
            if up["index"]
            else (503, {"Content-Type": "text/plain"}, b"down")
        )
        site.routes[story_path] = page(html("A real story", [STORY_WORDS, STORY_WORDS]))
        block = f'[[sources]]\nname = "idx"\nsitemaps = ["{site.base}/sitemap.xml"]\n'
        settings = "retry_failed_after_minutes = 0\nretries = 0\n"
        sources = sources_file(tmp_path, block, settings=settings)
        db = tmp_path / "news.duckdb"
        asyncio.run(ingest(sources, db=str(db), allow_private=True, return_state=True))
        assert query(db, "SELECT outcome FROM seen_urls WHERE url = ?", [site.base + index_path]) == [("failed",)]
        # Run 2: the page answers now (an index page), and the sitemap lists another URL only.
        up["index"] = True
        site.routes["/sitemap.xml"] = page(urlset(story_path), "application/xml")
        asyncio.run(ingest(sources, db=str(db), allow_private=True, return_state=True))
        assert stored(db) == {site.base + story_path}
        assert query(db, "SELECT outcome, reason FROM seen_urls WHERE url = ?", [site.base + index_path]) == [
            ("skipped", "not_an_article")
        ]
