"""An archived copy of a moved story's old address, older than the move and ingested after it, neither undoes the
move nor becomes a second row (found by a review of the moves change)."""

from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.flows.test_warc_ingest import query, run_cli

OLD, NEW = "http://news.example/news/a.html", "http://news.example/news/b.html"


def body(canonical: str | None) -> bytes:
    words = " ".join(f"w1x{i}" for i in range(300))
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (
        f"<html><head><title>Story 1</title>{head}</head><body><article><h1>Story 1</h1>"
        f"<p>{words}.</p><p>{words} again.</p></article></body></html>"
    ).encode()


def warc(path: Path, url: str, page: bytes, date: str) -> None:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(page),
                length=len(page),
                http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )
        )


def test_an_older_copy_of_the_old_address_does_not_undo_a_move(prefect_harness: None, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    warc(tmp_path / "1.warc.gz", OLD, body(None), "2024-01-10T00:00:00Z")
    run_cli("ingest-warc", str(tmp_path / "1.warc.gz"), "--db", str(db))
    # March: the publisher gave the story a new slug; the old page names it as canonical.
    warc(tmp_path / "2.warc.gz", OLD, body(NEW), "2024-03-01T00:00:00Z")
    run_cli("ingest-warc", str(tmp_path / "2.warc.gz"), "--db", str(db))
    assert query(db, "SELECT url FROM articles") == [(NEW,)]
    assert query(db, "SELECT alias_url, url FROM url_aliases") == [(OLD, NEW)]
    # A backfill of an older crawl (January 5th) has the page before the move.
    warc(tmp_path / "0.warc.gz", OLD, body(None), "2024-01-05T00:00:00Z")
    run_cli("ingest-warc", str(tmp_path / "0.warc.gz"), "--db", str(db))
    state = (query(db, "SELECT url FROM articles"), query(db, "SELECT alias_url, url FROM url_aliases"))
    assert state == ([(NEW,)], [(OLD, NEW)]), state
