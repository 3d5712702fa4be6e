"""`copydesk ingest-warc` over WARC files written by warcio itself (capture_http around real loopback requests):
the same articles as a crawl of the same sites, nothing ingested twice, skips counted by reason."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gzip as gzip_module
import io
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawl.sources import Source
from flows import warc_ingest
from flows.cli import main
from flows.demo import DemoSites, load_expected, serve_demo_sites
from flows.ingest import ingest
from flows.warc_ingest import ingest_warc
from flows.warc_input import WarcInputError, page_of, read_batches, source_namer, warc_paths
from storage.archive import ArchivedResponse, read_records, read_response
from storage.db import writing
from storage.pages import WarcProgress
from tests.flows.test_dask import read_artifacts

EXPECTED = load_expected()
ARTICLES = "SELECT url, source, title, text, published_at FROM articles ORDER BY url"


def get(url: str) -> tuple[str, str, str, bytes]:
    """(url, status line, content type, body) of a real request to a loopback site."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return url, f"{response.status} {response.reason}", response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:  # a 404 is archived like any answer
        with exc:
            return url, f"{exc.code} {exc.reason}", exc.headers["Content-Type"] or "text/html", exc.read()


def capture(path: Path, urls: list[str]) -> None:
    """A gzipped WARC, written by warcio, of these URLs as the sites answer them (request and response records)."""
    write_warc(path, [get(url) for url in urls], gzip=True)


def partition(db: Path) -> set[frozenset[str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT cluster_id, list(url) FROM articles GROUP BY cluster_id").fetchall()
    return {frozenset(urls) for _, urls in rows}


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@dataclass
class Ingested:
    sites: DemoSites
    crawled: Path
    ingested: Path
    first: str
    second: str
    warcs: Path
    sources: Path


def run_cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def ingested(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingested]:
    tmp = tmp_path_factory.mktemp("warc")
    sources, crawled, ingested, warcs = tmp / "sources.toml", tmp / "crawl.duckdb", tmp / "warc.duckdb", tmp / "cc"
    warcs.mkdir()
    with serve_demo_sites() as sites:
        sources.write_text(sites.sources_toml() + "\n[settings]\nper_host_delay = 0.0\narchive = false\n")
        asyncio.run(ingest(str(sources), db=str(crawled), allow_private=True))
        pages = [sites.base_urls[a["site"]] + a["path"] for a in EXPECTED["articles"]]
        others = [f"{base}/robots.txt" for base in sites.base_urls.values()]
        others.append(next(iter(sites.base_urls.values())) + "/no-such-page.html")
        capture(warcs / "CC-NEWS-00001.warc.gz", pages[: len(pages) // 2] + others)
        capture(warcs / "CC-NEWS-00002.warc.gz", pages[len(pages) // 2 :])
    first = run_cli("ingest-warc", str(warcs), "--db", str(ingested), "--sources", str(sources))
    second = run_cli("ingest-warc", str(warcs / "*.warc.gz"), "--db", str(ingested), "--sources", str(sources))
    yield Ingested(sites, crawled, ingested, first, second, warcs, sources)


def test_a_warc_of_the_sites_gives_the_same_articles_and_clusters_as_a_crawl(ingested: Ingested) -> None:
    assert len(query(ingested.ingested, ARTICLES)) == len(EXPECTED["articles"])
    assert query(ingested.ingested, ARTICLES) == query(ingested.crawled, ARTICLES)
    assert partition(ingested.ingested) == partition(ingested.crawled)


def test_records_other_than_html_pages_are_skipped_and_counted_by_reason(ingested: Ingested) -> None:
    pages = len(EXPECTED["articles"])
    assert f"{pages} pages, {pages} stored ({pages} new, 0 updated, 0 unchanged)" in ingested.first
    # The 404 and the three robots.txt; a request record per response and a warcinfo record per file.
    assert "skipped: http_status 1, request 19, type 3, warcinfo 2" in ingested.first
    ((skipped,),) = query(ingested.ingested, "SELECT skipped FROM warc_files WHERE path LIKE '%00001%'")
    assert json.loads(skipped) == {"http_status": 1, "type": 3, "request": 11, "warcinfo": 1}
    assert query(ingested.ingested, "SELECT records, pages FROM warc_files WHERE path LIKE '%00001%'") == [(23, 7)]
    # The run counts skipped pages (responses), not the records that never were pages.
    assert query(ingested.ingested, "SELECT flow, skipped FROM runs ORDER BY started_at LIMIT 1") == [
        ("ingest-warc", 4)
    ]


def test_a_second_ingest_of_the_same_files_reads_nothing(ingested: Ingested) -> None:
    assert "2 files (2 done before), 0 records, 0 pages" in ingested.second
    assert query(ingested.ingested, "SELECT count(*), count(DISTINCT url) FROM articles") == [(15, 15)]


@pytest.mark.parametrize("segment_pages", [warc_ingest.SEGMENT_PAGES, 3])
def test_on_dask_each_file_is_read_and_extracted_by_workers_a_segment_at_a_time_with_the_same_result(
    ingested: Ingested, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, segment_pages: int
) -> None:
    from prefect_dask import DaskTaskRunner

    monkeypatch.setattr(warc_ingest, "SEGMENT_PAGES", segment_pages)
    if segment_pages < 15:
        monkeypatch.setattr(warc_ingest, "FILES_IN_FLIGHT", 1)  # and one file after the other
    cluster = {"n_workers": 1, "threads_per_worker": 2, "processes": False, "dashboard_address": ":0"}
    on_dask = ingest_warc.with_options(task_runner=DaskTaskRunner(cluster_kwargs=cluster))
    db = tmp_path / "dask.duckdb"
    summary = asyncio.run(on_dask(paths=[str(ingested.warcs)], db=str(db), sources=str(ingested.sources)))
    assert (summary["files"], summary["pages"], summary["skipped"]) == (
        2,
        15,
        {"http_status": 1, "type": 3, "request": 19, "warcinfo": 2},
    )
    assert query(db, ARTICLES) == query(ingested.crawled, ARTICLES)
    assert partition(db) == partition(ingested.crawled)
    names = {r[0] for r in query(db, "SELECT path FROM warc_files WHERE finished_at IS NOT NULL")}
    assert {Path(n).name for n in names} == {"CC-NEWS-00001.warc.gz", "CC-NEWS-00002.warc.gz"}
    segments = asyncio.run(task_run_names(summary["run_id"]))
    assert all(name.startswith("extract-warc-CC-NEWS-0000") for name in segments)
    # 15 pages in two files: one task a file, or at least one per 3 pages of each file.
    assert len(segments) == 2 if segment_pages > 15 else len(segments) >= 5


async def task_run_names(flow_run_id: str) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter, TaskRunFilterName

    async with get_client() as client:
        runs = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)])),
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="extract-warc-")),
        )
    return [run.name for run in runs]


def test_an_ingest_publishes_the_artifacts_of_a_crawl(ingested: Ingested) -> None:
    ((run_id,),) = query(ingested.ingested, "SELECT run_id FROM runs ORDER BY started_at LIMIT 1")
    artifacts = asyncio.run(read_artifacts(run_id))
    assert {a.key: a.type for a in artifacts} == {
        "ingest-warc-summary": "markdown",
        "ingest-warc-clusters": "table",
        "ingest-warc-errors": "table",
        "ingest-warc-progress": "progress",
    }
    summary = next(a for a in artifacts if a.key == "ingest-warc-summary")
    assert "harbourtimes" in str(summary.data) and "| **total** |" in str(summary.data)
    assert next(a for a in artifacts if a.key == "ingest-warc-progress").data == 100.0
    assert query(ingested.ingested, "SELECT status FROM runs ORDER BY started_at") == [("completed",)] * 2


def write_warc(path: Path, responses: list[tuple[str, str, str, bytes]], *, gzip: bool = False) -> None:
    """A WARC written by warcio: a warcinfo record, then a request and a response per (url, status, type, body)."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for url, status, content_type, body in responses:
            http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            response = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
            )
            writer.write_record(response)


def test_batches_resume_at_the_first_record_not_written(tmp_path: Path) -> None:
    page = b"<html><body><article><p>" + b"Words of a story. " * 40 + b"</p></article></body></html>"
    path = tmp_path / "x.warc"
    write_warc(path, [(f"http://news.example/{n}", "200 OK", "text/html", page) for n in range(5)])
    namer = source_namer(())
    whole = list(read_batches([path], {}, size=2, source_of=namer, max_bytes=10**6))
    assert [len(b.planned) for b in whole] == [2, 2, 1]
    assert whole[-1].progress.finished and whole[-1].progress.records == 11  # warcinfo + 5 x (request, response)
    resumed = list(read_batches([path], {str(path): whole[0].progress}, size=2, source_of=namer, max_bytes=10**6))
    assert [p.candidate.url for b in resumed for p in b.planned] == [f"http://news.example/{n}" for n in (2, 3, 4)]
    finished = WarcProgress(str(path), path.stat().st_size, finished=True)
    assert list(read_batches([path], {str(path): finished}, size=2, source_of=namer, max_bytes=10**6)) == []


def test_large_bodies_and_non_html_are_skipped_with_their_reason(tmp_path: Path) -> None:
    path = tmp_path / "x.warc"
    write_warc(
        path,
        [
            ("http://a.example/big", "200 OK", "text/html", b"<p>" + b"x" * 2000 + b"</p>"),
            ("http://a.example/img", "200 OK", "image/png", b"\x89PNG"),
            ("http://a.example/gone", "410 Gone", "text/html", b"gone"),
            ("http://a.example/empty", "200 OK", "text/html", b""),
        ],
    )
    (batch,) = read_batches([path], {}, size=10, source_of=source_namer(()), max_bytes=1000)
    assert batch.planned == [] and dict(batch.progress.skipped) == {
        "size": 1,
        "type": 1,
        "http_status": 1,
        "empty": 1,
        "request": 4,
        "warcinfo": 1,
    }


def test_paths_are_files_folders_or_globs_of_warc_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    for name in ("a/1.warc.gz", "a/2.warc", "3.warc.gz", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in warc_paths([str(tmp_path / "a")])] == ["1.warc.gz", "2.warc"]
    both = warc_paths([str(tmp_path / "*.warc.gz"), str(tmp_path / "a/2.warc")])
    assert both == [tmp_path / "3.warc.gz", tmp_path / "a/2.warc"]  # by path
    with pytest.raises(WarcInputError, match="not a WARC file"):
        warc_paths([str(tmp_path / "notes.txt")])
    with pytest.raises(WarcInputError, match="missing-\\*.warc: no such file or folder"):
        warc_paths([str(tmp_path / "missing-*.warc")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(WarcInputError, match="no .warc or .warc.gz files"):
        warc_paths([str(tmp_path / "empty")])
    # A review: a file named by a relative path, an absolute one and a link was ingested once per name, and a
    # mistyped name among good ones passed without a word.
    (tmp_path / "link.warc.gz").symlink_to(tmp_path / "3.warc.gz")
    named = [str(tmp_path / "3.warc.gz"), str(tmp_path / "a/../3.warc.gz"), str(tmp_path / "link.warc.gz")]
    assert warc_paths(named) == [(tmp_path / "3.warc.gz").resolve()]
    with pytest.raises(WarcInputError, match="typo.warc.gz: no such file or folder"):
        warc_paths([str(tmp_path / "3.warc.gz"), str(tmp_path / "typo.warc.gz")])
    (tmp_path / "old.warc.gz").symlink_to(tmp_path / "gone.warc.gz")  # a glob's dangling match is passed by
    assert [p.name for p in warc_paths([str(tmp_path / "*.warc.gz")])] == ["3.warc.gz"]


def test_a_pages_source_is_the_sources_file_source_on_its_host_else_the_host() -> None:
    namer = source_namer([Source(name="wire", feeds=("https://www.wire.example/rss",))])
    assert namer("https://wire.example/news/1") == "wire"
    assert namer("http://127.0.0.1:8080/a") == "127.0.0.1:8080"
    assert namer("https://www.other.example/x") == "other.example"


def test_a_page_in_a_section_a_source_is_given_as_belongs_to_that_source() -> None:
    sources = [
        Source(name="desk", homepage="https://host.example/", autodiscover=True),
        Source(name="sport", homepage="https://host.example/sport/", autodiscover=True),
        Source(name="football", homepage="https://www.host.example/sport/football/", autodiscover=True),
    ]
    namer = source_namer(sources)
    assert namer("https://host.example/news/budget") == "desk"
    assert namer("https://host.example/sport/cycling-tour") == "sport"
    assert namer("https://host.example/sport/football/cup-final") == "football"


def story(n: int) -> bytes:
    words = " ".join(f"w{n}x{i}" for i in range(300))
    return (
        f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
        f"<p>{words}.</p><p>{words} again.</p></article></body></html>"
    ).encode()


def test_a_malformed_file_is_recorded_and_the_next_file_is_ingested(prefect_harness: None, tmp_path: Path) -> None:
    warcs, db = tmp_path / "in", tmp_path / "w.duckdb"
    warcs.mkdir()
    (warcs / "a-garbage.warc.gz").write_bytes(b"this is not a warc file\n" * 100)
    (warcs / "c-noise.warc.gz").write_bytes(bytes(range(256)) * 40)  # no newline: warcio quotes all of it
    write_warc(
        warcs / "b-good.warc.gz",
        [(f"http://news.example/{n}", "200 OK", "text/html", story(n)) for n in range(3)],
        gzip=True,
    )
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["ingest-warc", str(warcs), "--db", str(db)]) == 1
    garbage = str((warcs / "a-garbage.warc.gz").resolve())
    assert f"failed: {garbage}: unreadable after byte 0" in err.getvalue()
    assert "3 pages, 3 stored (3 new, 0 updated, 0 unchanged)" in out.getvalue()
    noise = str((warcs / "c-noise.warc.gz").resolve())
    rows = query(db, "SELECT path, finished_at IS NOT NULL, error IS NOT NULL FROM warc_files ORDER BY path")
    assert rows == [
        (garbage, False, True),
        (str((warcs / "b-good.warc.gz").resolve()), True, False),
        (noise, False, True),
    ]
    errors = query(db, "SELECT stage, url, error_type, length(message) FROM errors ORDER BY url")
    assert [e[:3] for e in errors] == [("warc", garbage, "WarcFileError"), ("warc", noise, "WarcFileError")]
    assert all(e[3] < 500 for e in errors)  # bounded, whatever warcio quotes of the file
    # The run failed (exit 1), and its row says so: it read 'completed', with no error and 0 errors.
    ((status, error, counted),) = query(db, "SELECT status, error, errors FROM runs")
    assert (status, counted) == ("failed", 2)
    assert error.startswith(f"2 WARC files could not be read to the end: {garbage}: unreadable after byte 0")


def test_a_cancellation_no_signal_set_off_is_an_error_not_an_interruption(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # It was reported as "interrupted by SIGTERM", exit 143: the CLI named SIGTERM for any cancelled flow.
    import flows.runs
    import flows.warc_ingest

    async def cancelled(*args: object, **kwargs: object) -> None:
        raise asyncio.CancelledError  # a library's own cancel, say; no signal reached copydesk

    monkeypatch.setattr(flows.warc_ingest, "_ingest", cancelled)
    monkeypatch.setattr(flows.runs._last_stop, "signum", None)
    warc = tmp_path / "a.warc.gz"
    write_warc(warc, [(f"http://news.example/{n}", "200 OK", "text/html", story(n)) for n in range(2)], gzip=True)
    assert main(["ingest-warc", str(warc), "--db", str(tmp_path / "w.duckdb")]) == 1
    err = capsys.readouterr().err
    assert "copydesk: error: the flow was cancelled, though copydesk received no stop signal" in err
    assert "interrupted by" not in err


@pytest.mark.parametrize("gzip", [True, False])
def test_a_file_cut_inside_a_record_gives_the_pages_before_it_and_an_error(tmp_path: Path, gzip: bool) -> None:
    path = tmp_path / ("cut.warc.gz" if gzip else "cut.warc")
    write_warc(path, [(f"http://news.example/{n}", "200 OK", "text/html", story(n)) for n in range(5)], gzip=gzip)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) * 9 // 10])  # inside the last response's body
    batches = list(read_batches([path], {}, size=100, source_of=source_namer(()), max_bytes=10**6))
    bodies = [r.body for b in batches for r in b.responses]
    assert bodies == [story(n) for n in range(4)]  # whole pages only: the cut one is not among them
    last = batches[-1].progress
    assert not last.finished and last.error is not None and str(path) in last.error
    assert "short of its Content-Length" in last.error
    assert 0 < last.done_offset < len(whole) * 9 // 10


def test_records_the_crawler_truncated_are_skipped_as_truncated(tmp_path: Path) -> None:
    path = tmp_path / "t.warc.gz"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for n, truncated in ((1, "length"), (2, None)):
            body = story(n)[:300] if truncated else story(n)
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            headers = {"WARC-Truncated": truncated} if truncated else {}
            record = writer.create_warc_record(
                f"http://news.example/{n}",
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict=headers,
            )
            writer.write_record(record)
    (batch,) = read_batches([path], {}, size=10, source_of=source_namer(()), max_bytes=10**6)
    assert [p.candidate.url for p in batch.planned] == ["http://news.example/2"]
    assert batch.progress.finished and dict(batch.progress.skipped) == {"truncated": 1}


def test_an_archived_page_is_stored_as_fetched_when_its_warc_record_says(ingested: Ingested, tmp_path: Path) -> None:
    """WARC-Date is the article's fetched_at (UTC when the writer left out the Z); a date that does not parse is
    the run's time. An older copy of a stored, unchanged article does not move its fetched_at back."""
    pages = [r.response for r in read_records(ingested.warcs / "CC-NEWS-00002.warc.gz") if r.response][:3]
    db, started = tmp_path / "dated.duckdb", datetime.now(UTC)
    write_dated(tmp_path / "dated.warc.gz", pages, ["2024-03-01T12:00:00Z", "2024-03-02T08:30:00", "yesterday"])
    run_cli("ingest-warc", str(tmp_path / "dated.warc.gz"), "--db", str(db), "--sources", str(ingested.sources))
    first = sorted(when for (when,) in query(db, "SELECT fetched_at FROM articles"))
    assert first[:2] == [datetime(2024, 3, 1, 12, 0, tzinfo=UTC), datetime(2024, 3, 2, 8, 30, tzinfo=UTC)]
    assert first[2] >= started
    write_dated(tmp_path / "older.warc.gz", pages[2:], ["2020-01-01T00:00:00Z"])  # the same text, archived earlier
    run_cli("ingest-warc", str(tmp_path / "older.warc.gz"), "--db", str(db), "--sources", str(ingested.sources))
    assert sorted(when for (when,) in query(db, "SELECT fetched_at FROM articles")) == first


def test_an_older_copy_with_other_text_does_not_put_it_back_and_a_newer_one_does(
    ingested: Ingested, tmp_path: Path
) -> None:
    """A backfill of older WARCs after newer ones (or a crawl) keeps the newer text; the run says how many."""
    (page,) = [r.response for r in read_records(ingested.warcs / "CC-NEWS-00002.warc.gz") if r.response][:1]
    edited = dataclasses.replace(page, body=page.body.replace(b"</p>", b" A sentence only this copy has.</p>", 1))
    assert edited.body != page.body
    db, sources = tmp_path / "copies.duckdb", str(ingested.sources)
    write_dated(tmp_path / "1-now.warc.gz", [page], ["2024-03-01T12:00:00Z"])
    run_cli("ingest-warc", str(tmp_path / "1-now.warc.gz"), "--db", str(db), "--sources", sources)
    ((text, fetched_at),) = query(db, "SELECT text, fetched_at FROM articles")
    write_dated(tmp_path / "2-older.warc.gz", [edited], ["2023-01-01T00:00:00Z"])
    out = run_cli("ingest-warc", str(tmp_path / "2-older.warc.gz"), "--db", str(db), "--sources", sources)
    assert "1 stored (0 new, 0 updated, 1 unchanged, 1 of them older copies than the stored text)" in out
    assert query(db, "SELECT text, fetched_at FROM articles") == [(text, fetched_at)]
    write_dated(tmp_path / "3-newer.warc.gz", [edited], ["2025-01-01T00:00:00Z"])
    out = run_cli("ingest-warc", str(tmp_path / "3-newer.warc.gz"), "--db", str(db), "--sources", sources)
    assert "1 stored (0 new, 1 updated, 0 unchanged)" in out
    ((newer, when),) = query(db, "SELECT text, fetched_at FROM articles")
    assert "A sentence only this copy has." in newer and when == datetime(2025, 1, 1, tzinfo=UTC)


def test_a_record_dated_in_the_future_is_stored_as_fetched_now(ingested: Ingested, tmp_path: Path) -> None:
    """Else every later fetch of the page would look older than it, and be left out."""
    (page,) = [r.response for r in read_records(ingested.warcs / "CC-NEWS-00002.warc.gz") if r.response][:1]
    db, before = tmp_path / "future.duckdb", datetime.now(UTC)
    write_dated(tmp_path / "future.warc.gz", [page], ["2999-01-01T00:00:00Z"])
    run_cli("ingest-warc", str(tmp_path / "future.warc.gz"), "--db", str(db), "--sources", str(ingested.sources))
    ((fetched_at,),) = query(db, "SELECT fetched_at FROM articles")
    assert before <= fetched_at <= datetime.now(UTC)


def write_dated(path: Path, pages: list[ArchivedResponse], dates: list[str]) -> None:
    """A gzipped WARC of these archived responses, each with the WARC-Date given."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for page, date in zip(pages, dates, strict=True):
            http = StatusAndHeaders("200 OK", list(page.headers), protocol="HTTP/1.1")
            record = writer.create_warc_record(
                page.target_url,
                "response",
                payload=io.BytesIO(page.body),
                length=len(page.body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )
            writer.write_record(record)


# Re-extraction of an ingested database: the pages are read again from the WARC files where they lie.


def reextract(db: Path, sources: Path) -> str:
    return run_cli("reextract", "--db", str(db), "--sources", str(sources))


def test_each_ingested_page_points_at_its_record_in_the_file_it_came_from(ingested: Ingested) -> None:
    rows = query(
        ingested.ingested,
        "SELECT url, warc_file, record_offset, record_length, payload_digest FROM pages "
        "WHERE kind = 'article' AND record_type = 'response' ORDER BY url",
    )
    # Each HTML 200 page once (not the robots.txt files or the 404 page the first file holds too).
    assert [url for url, *_ in rows] == sorted(url for (url, *_) in query(ingested.ingested, ARTICLES))
    assert {warc_file for _, warc_file, *_ in rows} == {str(p) for p in ingested.warcs.glob("*.warc.gz")}
    for url, warc_file, offset, length, digest in rows:
        response = read_response("/nowhere", warc_file, offset, length, payload_digest=digest)
        assert response.status == 200 and response.target_url == url and response.body.rstrip().endswith(b"</html>")


def test_reextract_of_an_ingested_database_changes_nothing_and_restores_an_old_extraction(
    ingested: Ingested, tmp_path: Path
) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(ingested.ingested, db)
    clusters = query(db, "SELECT url, cluster_id FROM articles ORDER BY url")
    out = reextract(db, ingested.sources)
    assert f"{len(clusters)} archived pages, 0 rows changed" in out and "0 stale" in out
    assert query(db, "SELECT url, cluster_id FROM articles ORDER BY url") == clusters
    # As if an older extractor had stored one page's title and text: re-extraction reads the WARC and mends it.
    ((url, title, text),) = query(db, "SELECT url, title, text FROM articles ORDER BY url LIMIT 1")
    with writing(db) as con:
        con.execute("UPDATE articles SET title = 'Older title', text = 'Older text.' WHERE url = ?", [url])
    out = reextract(db, ingested.sources)
    assert "1 rows changed (1 updated, 0 new)" in out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT title, text FROM articles WHERE url = ?", [url]).fetchall() == [(title, text)]
    assert query(db, "SELECT url, cluster_id FROM articles ORDER BY url") == clusters


def test_reextract_reads_an_uncompressed_warc_and_names_a_file_moved_away(
    ingested: Ingested, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = [r.response for r in read_records(ingested.warcs / "CC-NEWS-00002.warc.gz") if r.response][:3]
    folder, db = tmp_path / "plain", tmp_path / "plain.duckdb"
    folder.mkdir()
    write_warc(folder / "plain.warc", [(p.target_url, "200 OK", "text/html", p.body) for p in pages])
    run_cli("ingest-warc", str(folder), "--db", str(db), "--sources", str(ingested.sources))
    assert "3 archived pages, 0 rows changed" in reextract(db, ingested.sources)
    (folder / "plain.warc").rename(tmp_path / "moved.warc")
    # Exit 1 and one line: the summary's "3 unreadable" alone ended with exit 0 for an archive moved away.
    assert main(["reextract", "--db", str(db), "--sources", str(ingested.sources)]) == 1
    assert "3 archived pages could not be read" in capsys.readouterr().err
    ((status, error),) = query(db, "SELECT status, error FROM runs ORDER BY started_at DESC LIMIT 1")
    assert status == "failed" and error.startswith("3 archived pages could not be read back; see the errors table")
    errors = query(db, "SELECT url, error_type, message FROM errors WHERE stage = 'reextract'")
    assert sorted(u for u, _, _ in errors) == sorted(p.target_url for p in pages)
    assert all(t == "ArchiveError" and "plain.warc: no such archive file" in m for _, t, m in errors)
    assert len(query(db, "SELECT * FROM articles")) == 3  # nothing lost


def test_reextract_leaves_text_a_crawl_gave_after_an_older_ingested_copy(ingested: Ingested, tmp_path: Path) -> None:
    """A backfill of last year's WARC after a crawl (archiving off) keeps the crawl's text; so does reextract."""
    (page,) = [r.response for r in read_records(ingested.warcs / "CC-NEWS-00002.warc.gz") if r.response][:1]
    edited = dataclasses.replace(page, body=page.body.replace(b"</p>", b" A sentence only this copy has.</p>", 1))
    db = tmp_path / "crawled.duckdb"
    shutil.copy(ingested.crawled, db)
    write_dated(tmp_path / "older.warc.gz", [edited], ["2020-01-01T00:00:00Z"])
    run_cli("ingest-warc", str(tmp_path / "older.warc.gz"), "--db", str(db), "--sources", str(ingested.sources))
    before = query(db, "SELECT url, text FROM articles ORDER BY url")
    out = reextract(db, ingested.sources)
    assert "1 archived pages, 0 rows changed" in out and "1 stale" in out
    assert query(db, "SELECT url, text FROM articles ORDER BY url") == before


def test_a_page_captured_again_unchanged_and_ingested_later_is_reextracted_not_stale(
    ingested: Ingested, tmp_path: Path
) -> None:
    # CC-NEWS recaptures a page month after month: the newest capture holds the stored text, so it is not stale.
    pages = [r.response for r in read_records(ingested.warcs / "CC-NEWS-00002.warc.gz") if r.response][:2]
    db, sources = tmp_path / "recaptured.duckdb", str(ingested.sources)
    write_dated(tmp_path / "jan.warc.gz", pages, ["2024-01-01T00:00:00Z"] * 2)
    write_dated(tmp_path / "feb.warc.gz", pages, ["2024-02-01T00:00:00Z"] * 2)
    run_cli("ingest-warc", str(tmp_path / "jan.warc.gz"), "--db", str(db), "--sources", sources)
    run_cli("ingest-warc", str(tmp_path / "feb.warc.gz"), "--db", str(db), "--sources", sources)
    out = reextract(db, ingested.sources)
    assert "2 archived pages, 0 rows changed" in out and "2 unchanged" in out and "0 stale" in out


def test_a_rewritten_file_whose_records_carry_no_digest_is_said_to_be_rewritten(
    ingested: Ingested, tmp_path: Path
) -> None:
    pages = [r.response for r in read_records(ingested.warcs / "CC-NEWS-00002.warc.gz") if r.response][:2]
    folder, db = tmp_path / "plain", tmp_path / "plain.duckdb"
    folder.mkdir()
    write_warc(folder / "f.warc", [(p.target_url, "200 OK", "text/html", p.body) for p in pages])
    run_cli("ingest-warc", str(folder), "--db", str(db), "--sources", str(ingested.sources))
    before = query(db, "SELECT url, text FROM articles ORDER BY url")
    # The same file written again: records of the same lengths, new record ids (warcio writes no digest here)
    write_warc(folder / "f.warc", [(p.target_url, "200 OK", "text/html", p.body) for p in pages])
    assert main(["reextract", "--db", str(db), "--sources", str(ingested.sources)]) == 1  # pages it could not read
    errors = query(db, "SELECT message FROM errors WHERE stage = 'reextract'")
    assert len(errors) == 2 and all("a file rewritten since" in m for (m,) in errors)
    assert query(db, "SELECT url, text FROM articles ORDER BY url") == before


def test_a_finished_file_that_changed_is_read_again_from_where_it_stands(ingested: Ingested, tmp_path: Path) -> None:
    pages = [r.response for r in read_records(ingested.warcs / "CC-NEWS-00002.warc.gz") if r.response][:3]
    folder, db, sources = tmp_path / "growing", tmp_path / "growing.duckdb", str(ingested.sources)
    folder.mkdir()
    write_dated(folder / "f.warc.gz", pages[:1], ["2024-01-01T00:00:00Z"])
    run_cli("ingest-warc", str(folder), "--db", str(db), "--sources", sources)
    with (folder / "f.warc.gz").open("ab") as grown:  # records appended after it was finished
        appended = tmp_path / "more.warc.gz"
        write_dated(appended, pages[1:], ["2024-01-02T00:00:00Z"] * 2)
        grown.write(appended.read_bytes())
    out = run_cli("ingest-warc", str(folder), "--db", str(db), "--sources", sources)
    # This run's records and pages, not the file's totals (it said 3 records: the one read by the run before too).
    assert "1 files (0 done before), 2 records, 2 pages" in out and len(query(db, "SELECT * FROM articles")) == 3
    assert len(query(db, "SELECT * FROM pages")) == 3  # the first record is not read twice
    write_dated(folder / "f.warc.gz", pages[:1], ["2024-03-01T00:00:00Z"])  # another, shorter file now
    run_cli("ingest-warc", str(folder), "--db", str(db), "--sources", sources)
    assert len(query(db, "SELECT * FROM pages")) == 4


def test_a_file_rewritten_past_where_its_ingest_stopped_is_read_again_from_its_start(
    ingested: Ingested, tmp_path: Path
) -> None:
    """A crawl killed mid-batch leaves records no run committed; ingest-warc of the folder reads them; the crawl's
    rerun cuts them off and writes others over them. Reading on from the old end (now inside a new record) failed
    on every later ingest, and the new records were never read."""
    from storage.archive import record_starts_at

    pages = [r.response for r in read_records(ingested.warcs / "CC-NEWS-00002.warc.gz") if r.response][:4]
    folder, db, sources = tmp_path / "rewritten", tmp_path / "rewritten.duckdb", str(ingested.sources)
    folder.mkdir()
    warc = folder / "f.warc.gz"
    write_dated(warc, pages[:2], ["2024-01-01T00:00:00Z"] * 2)
    run_cli("ingest-warc", str(folder), "--db", str(db), "--sources", sources)
    read_to = warc.stat().st_size
    write_dated(warc, [pages[0], pages[3], pages[2]], ["2024-01-01T00:00:00Z"] * 3)  # the rerun's records
    assert warc.stat().st_size > read_to and not record_starts_at(warc, read_to)
    run_cli("ingest-warc", str(folder), "--db", str(db), "--sources", sources)
    assert query(db, "SELECT error, finished_at IS NOT NULL FROM warc_files") == [(None, True)]
    assert len(query(db, "SELECT * FROM articles")) == 4


def test_a_record_is_read_back_as_the_crawl_read_its_answer() -> None:
    # A review: the crawl keeps a 203 and a 206 of the whole page, and reads two Content-Type fields as the last;
    # read back from the archive, the 206 was skipped and the first field's charset-less type decoded Polish text
    # as windows-1252.
    body = "<html><body><p>Piłsudskiego w Łodzi będzie</p></body></html>".encode("iso-8859-2")
    fields = (("Content-Type", "text/html"), ("Content-Type", "text/html; charset=ISO-8859-2"))
    now = datetime.now(UTC)
    for status, extra in ((200, ()), (203, ()), (206, (("Content-Range", f"bytes 0-{len(body) - 1}/{len(body)}"),))):
        record = ArchivedResponse("https://news.example/a", status, fields + extra, body, now)
        kept = page_of(record, source_of=lambda url: "news")
        assert not isinstance(kept, str), (status, kept)
        assert kept[1].content_type == "text/html; charset=ISO-8859-2"
    part = ArchivedResponse("https://news.example/a", 206, (("Content-Range", "bytes 0-9/999"),), body, now)
    assert page_of(part, source_of=lambda url: "news") == "http_status"
    # Two fields joined on one line by the WARC's writer, as httpx joins them for the crawl.
    joined = ArchivedResponse(
        "https://news.example/a", 200, (("Content-Type", ", ".join(v for _, v in fields)),), body, now
    )
    kept = page_of(joined, source_of=lambda url: "news")
    assert not isinstance(kept, str) and kept[1].content_type == "text/html; charset=ISO-8859-2"


def _raw_response(url: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    """A response record with the HTTP headers and body as given, unencoded by warcio (an uncompressed record)."""
    http = "HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    block = http.encode() + body
    warc = (
        f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2026-11-20T10:00:00Z\r\n"
        f"WARC-Record-ID: <urn:uuid:{abs(hash(url)):032x}>\r\nContent-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    )
    return warc.encode() + block + b"\r\n\r\n"


def _chunked(body: bytes, size: int = 300) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces) + b"0\r\n\r\n"


def test_codings_are_read_whatever_their_case_and_one_warcio_cannot_decode_is_skipped(tmp_path: Path) -> None:
    # A review of odd WARCs (2026-12-07): "Transfer-Encoding: Chunked" left the chunk sizes in the page's text
    # ("double over 2bc the coming decade"), "x-gzip" bodies went on compressed, and a brotli body came out as
    # "534 of its 588 non-ASCII characters are not valid in utf-8".
    def record(n: int, coding: tuple[str, str], body: bytes) -> bytes:
        headers = [("Content-Type", "text/html; charset=utf-8"), coding]
        return _raw_response(f"http://news.example/{n}", headers, body)

    records = [
        record(1, ("Transfer-Encoding", "Chunked"), _chunked(story(1))),
        record(2, ("Content-Encoding", "x-gzip"), gzip_module.compress(story(2))),
        record(3, ("Content-Encoding", "GZIP"), gzip_module.compress(story(3))),
        record(4, ("Content-Encoding", "zstd"), b"\x28\xb5\x2f\xfd" + b"\x00" * 40),
    ]
    path = tmp_path / "codings.warc"
    path.write_bytes(b"".join(records))
    (batch,) = read_batches([path], {}, size=10, source_of=source_namer(()), max_bytes=10**6)
    assert [r.body for r in batch.responses] == [story(1), story(2), story(3)]
    assert batch.progress.finished and dict(batch.progress.skipped) == {"encoding": 1}


def test_a_compressed_body_cut_short_or_damaged_is_skipped_not_stored_in_part(tmp_path: Path) -> None:
    # A review's WARC: a gzip body cut to its first third was stored as a story ending mid-sentence, and one with
    # 32 corrupt bytes as 110,000 characters of junk; warcio only wrote "Error -3 ..." to stderr.
    whole = gzip_module.compress(story(1) * 20)
    corrupt = bytearray(whole)
    corrupt[len(whole) // 2 : len(whole) // 2 + 32] = bytes(32)
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]
    records = [
        _raw_response(f"http://news.example/{n}", headers, body)
        for n, body in enumerate([whole, whole[: len(whole) // 3], bytes(corrupt)])
    ]
    path = tmp_path / "damaged.warc"
    path.write_bytes(b"".join(records))
    (batch,) = read_batches([path], {}, size=10, source_of=source_namer(()), max_bytes=10**6)
    assert [r.body for r in batch.responses] == [story(1) * 20]
    assert batch.progress.finished and dict(batch.progress.skipped) == {"encoding": 2}


def test_a_warc_gz_compressed_as_one_stream_is_refused_before_any_page_with_how_to_mend_it(tmp_path: Path) -> None:
    # `gzip file.warc`: warcio reads it, but its offsets are positions in no file; stored, they were negative, and
    # every later ingest and reextract failed on them ("Invalid argument", "read length must be non-negative").
    plain = tmp_path / "x.warc"
    write_warc(plain, [(f"http://news.example/{n}", "200 OK", "text/html", story(n)) for n in range(3)])
    path = tmp_path / "x.warc.gz"
    path.write_bytes(gzip_module.compress(plain.read_bytes()))
    (batch,) = read_batches([path], {}, size=10, source_of=source_namer(()), max_bytes=10**6)
    assert batch.planned == [] and batch.progress.done_offset == 0 and not batch.progress.finished
    assert batch.progress.error is not None and "warcio recompress" in batch.progress.error


def test_blank_lines_before_the_record_an_ingest_resumes_at_are_skipped(tmp_path: Path) -> None:
    # Extra blank lines between records: read on from the end of the first, warcio took the second and all after it
    # for one headless record ("other_record"), and the file was marked finished without them.
    first, second = (
        _raw_response(f"http://news.example/{n}", [("Content-Type", "text/html")], story(n)) for n in (1, 2)
    )
    path = tmp_path / "blank.warc"
    path.write_bytes(first + b"\r\n" * 6 + second)
    done = WarcProgress(str(path), path.stat().st_size, done_offset=len(first) - 4, records=1)
    (batch,) = read_batches([path], {str(path): done}, size=10, source_of=source_namer(()), max_bytes=10**6)
    assert [p.candidate.url for p in batch.planned] == ["http://news.example/2"] and batch.progress.finished


def test_a_host_written_in_unicode_or_in_idna_is_one_source() -> None:
    namer = source_namer([Source(name="buecher", homepage="https://bücher.example/")])
    assert namer("https://xn--bcher-kva.example/news/1") == namer("https://bücher.example/news/2") == "buecher"
    assert source_namer(())("https://bücher.example/x") == "xn--bcher-kva.example"


def _with_a_corrupt_member(path: Path, pages: int, bad: int) -> None:
    """A .warc.gz of `pages` responses, one gzip member each, whose member `bad` (if any: -1) has its compressed
    bytes garbled."""
    members = []
    for n in range(pages):
        part = path.with_suffix(f".{n}")
        write_warc(part, [(f"http://news.example/{n}", "200 OK", "text/html", story(n))], gzip=True)
        data = part.read_bytes()
        part.unlink()
        first_response = data.index(b"\x1f\x8b\x08", 1)  # skip each file's warcinfo member
        second = data.index(b"\x1f\x8b\x08", first_response + 1)  # its request, then the response
        members.append(data[second:])
    if bad >= 0:
        garbled = bytearray(members[bad])
        garbled[20:60] = bytes(40)
        members[bad] = bytes(garbled)
    path.write_bytes(b"".join(members))


def test_an_unreadable_record_between_readable_ones_is_passed_by_and_named(tmp_path: Path) -> None:
    # A review of odd WARCs (2026-12-07): one corrupt gzip member in the middle of a file lost every record after
    # it, at every rerun; so did a response record without a WARC-Target-URI (warcio raised AttributeError).
    path = tmp_path / "x.warc.gz"
    _with_a_corrupt_member(path, 5, bad=2)
    batches = list(read_batches([path], {}, size=100, source_of=source_namer(()), max_bytes=10**6))
    assert [r.body for b in batches for r in b.responses] == [story(n) for n in (0, 1, 3, 4)]
    last = batches[-1].progress
    assert last.finished and last.error is None and dict(last.skipped) == {"unreadable": 1}
    ((error,),) = [b.errors for b in batches if b.errors]
    assert error.error_type == "WarcRecordSkipped" and "read on at byte" in error.message
    assert error.message.isprintable()


def test_a_corrupt_record_is_an_error_row_and_the_file_is_finished(prefect_harness: None, tmp_path: Path) -> None:
    path, db = tmp_path / "x.warc.gz", tmp_path / "w.duckdb"
    _with_a_corrupt_member(path, 3, bad=1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["ingest-warc", str(path), "--db", str(db)]) == 0
    assert query(db, "SELECT url FROM articles ORDER BY url") == [
        ("http://news.example/0",),
        ("http://news.example/2",),
    ]
    assert query(db, "SELECT error_type FROM errors") == [("WarcRecordSkipped",)]
    assert query(db, "SELECT finished_at IS NOT NULL, error FROM warc_files") == [(True, None)]


@pytest.mark.parametrize("padding", [b"\n", b"\r\n\r\n", bytes(512)])
def test_a_warc_gz_padded_after_its_last_member_is_read_whole(tmp_path: Path, padding: bytes) -> None:
    # A review of the one-stream check: a line break or a tar block's NULs after the last member refused the file
    # as one stream, and its last record was lost.
    path = tmp_path / "x.warc.gz"
    write_warc(path, [(f"http://news.example/{n}", "200 OK", "text/html", story(n)) for n in range(3)], gzip=True)
    path.write_bytes(path.read_bytes() + padding)
    batches = list(read_batches([path], {}, size=10, source_of=source_namer(()), max_bytes=10**6))
    assert [r.body for b in batches for r in b.responses] == [story(n) for n in range(3)]
    assert batches[-1].progress.error is None


def test_records_appended_while_a_file_is_read_are_read_too(tmp_path: Path) -> None:
    # A review: the file's size, taken when it was opened, made the first record appended after it "one stream".
    path, more = tmp_path / "x.warc.gz", tmp_path / "more.warc.gz"
    write_warc(path, [(f"http://news.example/{n}", "200 OK", "text/html", story(n)) for n in range(2)], gzip=True)
    write_warc(more, [("http://news.example/9", "200 OK", "text/html", story(9))], gzip=True)
    records = read_records(path)
    first = next(records)
    with path.open("ab") as out:
        out.write(more.read_bytes())
    rest = list(records)
    assert first.record_type == "warcinfo" and [r.record_type for r in rest][-1] == "response"
    assert rest[-1].response is not None and rest[-1].response.body == story(9)


def test_a_hole_after_a_whole_record_loses_only_the_hole(tmp_path: Path) -> None:
    # A review: 8 KiB of NULs (as a crash leaves) after an intact member made that record look like part of a
    # file compressed as one stream, and it was lost, blamed on that.
    path = tmp_path / "x.warc.gz"
    _with_a_corrupt_member(path, 4, bad=-1)
    data = path.read_bytes()
    second = data.index(b"\x1f\x8b\x08", data.index(b"\x1f\x8b\x08", 1) + 1)  # after the first response's member
    path.write_bytes(data[:second] + bytes(8192) + data[second:])
    batches = list(read_batches([path], {}, size=100, source_of=source_namer(()), max_bytes=10**6))
    assert [r.body for b in batches for r in b.responses] == [story(n) for n in range(4)]
    assert dict(batches[-1].progress.skipped).get("unreadable") == 1 and batches[-1].progress.error is None


def test_a_content_encoding_of_no_compression_leaves_the_body_as_it_is(tmp_path: Path) -> None:
    # A review: "UTF-8", "none" or "binary" (misconfigured servers) skipped the page as `encoding`; a crawl reads
    # such a body as it is. "gzip, identity" is gzip.
    records = [
        _raw_response(f"http://news.example/{n}", [("Content-Type", "text/html"), ("Content-Encoding", coding)], body)
        for n, (coding, body) in enumerate(
            [("UTF-8", story(0)), ("none", story(1)), ("gzip, identity", gzip_module.compress(story(2)))]
        )
    ]
    path = tmp_path / "bogus.warc"
    path.write_bytes(b"".join(records))
    (batch,) = read_batches([path], {}, size=10, source_of=source_namer(()), max_bytes=10**6)
    assert [r.body for r in batch.responses] == [story(n) for n in range(3)] and dict(batch.progress.skipped) == {}


def test_an_idn_host_is_encoded_as_browsers_encode_it() -> None:
    # IDNA 2008, as httpx and crawl.policy: "straße" is xn--strae-oqa, not "strasse" (another domain).
    namer = source_namer([Source(name="strasse", homepage="https://straße.example/")])
    assert namer("https://xn--strae-oqa.example/a") == "strasse"
    assert namer("https://strasse.example/a") == "strasse.example"
