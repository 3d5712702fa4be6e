"""The WARC archive on real files, read back with warcio's own reader (a third-party view of the files)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from storage.archive import (
    IDENTICAL_PAYLOAD_PROFILE,
    NOT_MODIFIED_PROFILE,
    ArchiveError,
    Exchange,
    StoredResponse,
    WarcArchive,
    default_archive_dir,
    read_response,
)
from storage.rows import PageRow

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def exchange(n: int, *, status: int = 200, body: bytes | None = None, **extra: object) -> Exchange:
    page = body if body is not None else f"<html><body><p>Story {n}.</p></body></html>".encode() * 20
    made = Exchange(
        url=f"http://a.example/news/{n}",
        fetch_url=f"http://a.example/news/{n}?utm=x",
        target_url=f"http://a.example/news/{n}",
        source="a",
        kind="article",
        status=status,
        fetched_at=AT,
        body=page if status == 200 else b"",
        headers=(("Content-Type", "text/html; charset=utf-8"), ("ETag", f'"e{n}"')),
        request_headers=(("Host", "a.example"), ("User-Agent", "copydesk-test")),
    )
    return dataclasses.replace(made, **extra)  # type: ignore[arg-type]


def committed(rows: list[PageRow]) -> dict[str, int]:
    """What `pages` would say once these rows committed: each file's end of the last record they point at."""
    ends: dict[str, int] = {}
    for row in rows:
        ends[row.warc_file] = max(ends.get(row.warc_file, 0), row.record_offset + row.record_length)
    return ends


def write(archive: WarcArchive, exchanges: list[Exchange], ends: Mapping[str, int] | None = None) -> list[PageRow]:
    refs: dict[str, StoredResponse] = {}
    return archive.write(exchanges, refers_to=refs.get, committed_end=lambda name: (ends or {}).get(name, 0))


def warcio_records(path: Path) -> list[tuple[str, str | None]]:
    """(type, target URI) of every record, read by warcio with digest checking on: raises on a torn record."""
    with path.open("rb") as stream:
        return [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
            for r in ArchiveIterator(stream, check_digests="raise")
        ]


def sha1_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


def test_each_page_is_a_request_and_a_response_record_whose_row_points_at_the_response(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        rows = write(archive, [exchange(1), exchange(2)])
    (path,) = tmp_path.glob("*.warc.gz")
    assert warcio_records(path) == [
        ("request", "http://a.example/news/1"),
        ("response", "http://a.example/news/1"),
        ("request", "http://a.example/news/2"),
        ("response", "http://a.example/news/2"),
    ]
    for n, row in enumerate(rows, start=1):
        back = read_response(tmp_path, row.warc_file, row.record_offset, row.record_length)
        assert back.body == exchange(n).body and back.status == 200
        assert row.payload_digest == sha1_digest(back.body)
        assert back.header("etag") == f'"e{n}"'


def test_a_304_is_a_revisit_of_the_stored_response(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        (first,) = write(archive, [exchange(1)])
        stored = StoredResponse(first.record_id, first.payload_digest, first.target_url, first.fetched_at)
        (revisit,) = archive.write(
            [exchange(1, status=304)], refers_to={first.url: stored}.get, committed_end=lambda name: 0
        )
        # A 304 of a page never archived (archiving was off when it was fetched) has nothing to point at.
        unknown = archive.write([exchange(9, status=304)], refers_to={}.get, committed_end=lambda name: 0)
    assert unknown == []
    assert (revisit.record_type, revisit.status, revisit.payload_digest) == ("revisit", 304, first.payload_digest)
    (path,) = tmp_path.glob("*.warc.gz")
    with path.open("rb") as stream:
        (record,) = [r for r in ArchiveIterator(stream) if r.rec_type == "revisit"]
        headers = dict(record.rec_headers.headers)
    assert headers["WARC-Refers-To"] == first.record_id
    assert headers["WARC-Profile"] == NOT_MODIFIED_PROFILE
    assert headers["WARC-Payload-Digest"] == first.payload_digest


def test_a_200_with_the_stored_payload_is_a_revisit_of_it_and_a_changed_one_a_response(tmp_path: Path) -> None:
    # A site without validators answers every re-check with the whole page: unchanged, it is not archived again.
    story = "".join(f"<p>{hashlib.sha256(bytes([n])).hexdigest()}</p>" for n in range(200)).encode()  # 8 kB
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        (first,) = write(archive, [exchange(1, body=story)])
        stored = StoredResponse(first.record_id, first.payload_digest, first.target_url, first.fetched_at)
        again, changed = archive.write(
            [exchange(1, body=story, fetched_at=AT.replace(hour=13)), exchange(1, body=b"<p>Corrected story.</p>")],
            refers_to={first.url: stored}.get,
            committed_end=lambda name: 0,
        )
    assert (again.record_type, again.status, again.payload_digest) == ("revisit", 200, first.payload_digest)
    assert (changed.record_type, changed.payload_digest) == ("response", sha1_digest(b"<p>Corrected story.</p>"))
    assert again.record_length < first.record_length / 5
    (path,) = tmp_path.glob("*.warc.gz")
    with path.open("rb") as stream:
        (record,) = [r for r in ArchiveIterator(stream, check_digests="raise") if r.rec_type == "revisit"]
        headers = dict(record.rec_headers.headers)
        assert record.http_headers.get_statuscode() == "200"
        assert record.http_headers.get_header("Content-Length") == str(len(story))
    assert headers["WARC-Profile"] == IDENTICAL_PAYLOAD_PROFILE
    assert (headers["WARC-Refers-To"], headers["WARC-Payload-Digest"]) == (first.record_id, first.payload_digest)
    assert headers["WARC-Refers-To-Date"] == "2026-06-01T12:00:00.000000Z"


def test_headers_describing_the_wire_bytes_are_replaced_by_the_records_own(tmp_path: Path) -> None:
    # httpx hands over the body decoded: a record that kept "Content-Encoding: gzip" would lie to its readers.
    wire = exchange(1, headers=(("Content-Encoding", "gzip"), ("Content-Length", "12"), ("Content-Type", "text/html")))
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        (row,) = write(archive, [wire])
    back = read_response(tmp_path, row.warc_file, row.record_offset, row.record_length)
    assert back.header("content-encoding") is None
    assert back.header("content-length") == str(len(wire.body))


def test_a_header_value_with_non_ascii_bytes_is_archived_percent_encoded(tmp_path: Path) -> None:
    # A review's page sent "Link: <http://x/é>; rel=preload" in Latin-1: warcio encodes only quoted parameter
    # values and failed on it, so the page was stored but never archived, run after run.
    sent = (("Content-Type", "text/html"), ("Link", "<http://x/é>; rel=preload"), ("X-Title", 'Café "Noir"'))
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        (row,) = write(archive, [exchange(1, headers=sent)])
    back = read_response(tmp_path, row.warc_file, row.record_offset, row.record_length)
    assert back.header("link") == "<http://x/%E9>; rel=preload"
    assert back.header("x-title") == 'Caf%E9 "Noir"' and back.header("content-type") == "text/html"


def test_a_torn_tail_and_records_no_row_points_at_are_cut_off_by_the_next_writer(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        kept = write(archive, [exchange(1)])
        write(archive, [exchange(2)])  # on disk, but its rows never committed (the process died first)
    (path,) = tmp_path.glob("*.warc.gz")
    response = kept[0]
    with path.open("ab") as file:  # half a record: killed mid-write
        file.write(path.read_bytes()[response.record_offset : response.record_offset + response.record_length // 2])
    torn_size = path.stat().st_size
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        again = write(archive, [exchange(3)], committed(kept))
    assert again[0].warc_file == path.name  # resumed the same file, cut back to the committed end
    assert again[0].record_offset > kept[0].record_offset
    assert path.stat().st_size == again[0].record_offset + again[0].record_length < torn_size
    assert [uri for kind, uri in warcio_records(path) if kind == "response"] == [
        "http://a.example/news/1",
        "http://a.example/news/3",
    ]


def test_a_file_another_database_wrote_into_the_same_folder_is_never_cut_or_appended_to(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        theirs = write(archive, [exchange(1), exchange(2)])  # committed in another database, not in ours
    (their_file,) = tmp_path.glob("*.warc.gz")
    before = their_file.read_bytes()
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        (ours,) = write(archive, [exchange(3)], {})  # our database has no pages row in their file
    assert ours.warc_file != their_file.name
    assert their_file.read_bytes() == before
    assert read_response(tmp_path, theirs[1].warc_file, theirs[1].record_offset, theirs[1].record_length).status == 200


def test_a_warc_that_is_not_copydesks_is_left_alone(tmp_path: Path) -> None:
    foreign = tmp_path / "zz-crawl-00001.warc.gz"  # sorts after copydesk-*: the newest by name
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        write(archive, [exchange(1)])
    next(tmp_path.glob("copydesk-*.warc.gz")).rename(foreign)
    before = foreign.read_bytes()
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        (row,) = write(archive, [exchange(2)], {foreign.name: len(before)})
    assert row.warc_file.startswith("copydesk-")
    assert foreign.read_bytes() == before


def test_a_file_shorter_than_its_committed_records_is_left_alone_and_reported(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        kept = write(archive, [exchange(1)])
    (path,) = tmp_path.glob("*.warc.gz")
    ends = {path.name: committed(kept)[path.name] + 5_000}  # rows point past the end of the file
    before = path.read_bytes()
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        (row,) = write(archive, [exchange(2)], ends)
        (problem,) = archive.problems
    assert row.warc_file != path.name
    assert path.read_bytes() == before  # not extended with a hole of zeros
    assert path.name in problem and "a new file is started" in problem


def test_a_batch_that_fails_midway_leaves_no_record_and_a_retry_appends_after_the_last_whole_one(
    tmp_path: Path,
) -> None:
    def no_database(url: str) -> StoredResponse | None:
        raise OSError("the database went away")

    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        kept = write(archive, [exchange(1)])
        with pytest.raises(OSError, match="went away"):  # exchange 2 is on disk before the 304 asks the database
            archive.write([exchange(2), exchange(3, status=304)], refers_to=no_database, committed_end=lambda _: 0)
        (path,) = tmp_path.glob("*.warc.gz")
        assert path.stat().st_size == kept[0].record_offset + kept[0].record_length
        again = write(archive, [exchange(2)])
    assert path.stat().st_size == again[0].record_offset + again[0].record_length
    assert warcio_records(path) == [  # whole records only, each page once
        (kind, f"http://a.example/news/{n}") for n in (1, 2) for kind in ("request", "response")
    ]


def test_a_batch_whose_transaction_failed_is_taken_back_from_every_file_it_wrote(tmp_path: Path) -> None:
    """A load that failed after its records were on disk (the database's disk full) left them there, and its
    retry wrote them again: ingest-warc of the folder then read each page two or three times."""
    big = [exchange(n, body=bytes(range(256)) * 8 * (n % 3 + 1)) for n in range(9)]
    with WarcArchive(tmp_path, max_file_bytes=4_000) as archive:
        kept = write(archive, big[:2])
        sizes = {path.name: path.stat().st_size for path in tmp_path.glob("*.warc.gz")}
        taken_back = write(archive, big[2:], committed(kept))
        assert len({row.warc_file for row in taken_back}) > 1  # the batch rolled into files of its own
        archive.discard_batch()
        after = {path.name: path.stat().st_size for path in tmp_path.glob("*.warc.gz")}
        assert {name: size for name, size in after.items() if size} == sizes  # (the file in hand, emptied, stays open)
        again = write(archive, big[2:], committed(kept))
    rows = kept + again
    assert {path.name for path in tmp_path.glob("*.warc.gz")} == {row.warc_file for row in rows}
    uris = [uri for path in tmp_path.glob("*.warc.gz") for kind, uri in warcio_records(path) if kind == "response"]
    assert sorted(uris) == sorted(e.url for e in big)  # each page once
    for path in tmp_path.glob("*.warc.gz"):
        assert path.stat().st_size == committed(rows)[path.name]
    for row in rows:
        assert (
            read_response(tmp_path, row.warc_file, row.record_offset, row.record_length).body
            == big[int(row.url.rsplit("/", 1)[1])].body
        )


def test_no_empty_file_is_left_behind(tmp_path: Path) -> None:
    """A batch whose last record filled its file opened the next one just to flush it: an empty file per run."""
    with WarcArchive(tmp_path, max_file_bytes=100) as archive:
        rows = write(archive, [exchange(1), exchange(2)])
    assert sorted(path.name for path in tmp_path.glob("*.warc.gz")) == sorted({row.warc_file for row in rows})
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:  # nothing to archive: a 304 with no stored response
        assert write(archive, [exchange(3, status=304)]) == []
    assert len(list(tmp_path.glob("*.warc.gz"))) == 2


def test_files_roll_at_their_size_limit_and_every_record_stays_readable(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, max_file_bytes=2_000) as archive:
        rows = write(archive, [exchange(n, body=bytes(range(256)) * 8 * (n + 1)) for n in range(5)])
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) == len({row.warc_file for row in rows}) > 1
    assert sum(len(warcio_records(f)) for f in files) == 10
    for row in rows:
        assert read_response(tmp_path, row.warc_file, row.record_offset, row.record_length).status == 200


def test_a_file_another_writer_holds_is_left_to_it(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, max_file_bytes=10**9) as first, WarcArchive(tmp_path, max_file_bytes=10**9) as second:
        (one,) = write(first, [exchange(1)])
        (two,) = write(second, [exchange(2)], committed([one]))
    assert one.warc_file != two.warc_file
    assert all(len(warcio_records(f)) == 2 for f in tmp_path.glob("*.warc.gz"))


def test_a_missing_file_or_a_wrong_offset_is_a_clear_error(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        (row,) = write(archive, [exchange(1)])
    with pytest.raises(ArchiveError, match="no such archive file"):
        read_response(tmp_path, "gone.warc.gz", 0, 10)
    with pytest.raises(ArchiveError, match="the file ends"):
        read_response(tmp_path, row.warc_file, row.record_offset, row.record_length + 10**6)


def test_a_garbled_record_or_one_that_is_not_the_rows_is_an_archive_error(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        first, second = write(archive, [exchange(1), exchange(2)])
    assert (
        read_response(
            tmp_path, first.warc_file, first.record_offset, first.record_length, payload_digest=first.payload_digest
        ).body
        == exchange(1).body
    )
    with pytest.raises(ArchiveError, match="not " + second.payload_digest):  # the row says another record
        read_response(
            tmp_path, first.warc_file, first.record_offset, first.record_length, payload_digest=second.payload_digest
        )
    with (tmp_path / first.warc_file).open("r+b") as file:
        file.seek(first.record_offset + first.record_length // 2)
        file.write(b"\x00garbled\xff" * 4)
    with pytest.raises(ArchiveError, match=f"{first.warc_file}: the record at offset {first.record_offset}"):
        read_response(tmp_path, first.warc_file, first.record_offset, first.record_length)


def test_the_archive_folder_sits_next_to_the_database() -> None:
    assert default_archive_dir("/data/news.duckdb") == Path("/data/news-archive")


# Writes batches of incompressible pages to a WarcArchive under a file size limit (RLIMIT_FSIZE makes write()
# fail with EFBIG as a full disk fails it with ENOSPC, without root) and prints each batch's rows, then the error.
FULL_DISK_WRITER = """
import json, os, resource, signal, sys
from datetime import UTC, datetime
from storage.archive import Exchange, WarcArchive
folder, limit = sys.argv[1], int(sys.argv[2])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
ends = {}
with WarcArchive(folder, max_file_bytes=10**9) as archive:
    for batch in range(100):
        pages = [
            Exchange(url=f"http://a.example/{batch}-{n}", fetch_url=f"http://a.example/{batch}-{n}",
                     target_url=f"http://a.example/{batch}-{n}", source="a", kind="article", status=200,
                     fetched_at=datetime.now(UTC), body=os.urandom(3000).hex().encode(),
                     headers=(("Content-Type", "text/html"),), request_headers=(("Host", "a.example"),))
            for n in range(3)
        ]
        try:
            rows = archive.write(pages, refers_to=lambda url: None, committed_end=lambda name: ends.get(name, 0))
        except OSError as exc:
            print("error", exc, flush=True)
            break
        for row in rows:
            ends[row.warc_file] = max(ends.get(row.warc_file, 0), row.record_offset + row.record_length)
        print("rows", json.dumps(ends), flush=True)
"""


def test_a_batch_a_full_disk_stops_is_cut_back_to_whole_records(tmp_path: Path) -> None:
    """A buffered file flushed before truncating, failed the same way, and was left torn: every later reader
    (ingest-warc of the folder) stopped at its half record."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK_WRITER, str(tmp_path), "40000"], capture_output=True, text=True, timeout=60
    )
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("error ") and "File too large" in lines[-1], done.stdout + done.stderr
    assert f"{tmp_path}: out of space while archiving" in lines[-1]  # which disk: the archive's, not the database's
    committed = json.loads(lines[-2].removeprefix("rows ")) if len(lines) > 1 else {}
    (path,) = tmp_path.glob("*.warc.gz")
    assert committed and path.stat().st_size == committed[path.name], "the failed batch is cut off"
    assert len(warcio_records(path)) == 2 * 3 * (len(lines) - 1)  # request and response of every page written


def test_a_redirect_to_a_non_ascii_address_is_archived_under_its_percent_encoded_uri(tmp_path: Path) -> None:
    # A raw UTF-8 Location (/news/göod) made the request line unencodable, and the batch failed on every retry.
    moved = exchange(1, target_url="http://a.example/news/göod", url="http://a.example/news/g%C3%B6od")
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        (row,) = write(archive, [moved])
        assert archive.not_archived == []
    (path,) = tmp_path.glob("*.warc.gz")
    uri = "http://a.example/news/g%C3%B6od"
    assert warcio_records(path) == [("request", uri), ("response", uri)]
    assert read_response(tmp_path, row.warc_file, row.record_offset, row.record_length).body == moved.body


def test_an_exchange_no_record_can_be_made_of_is_left_out_and_the_others_archived(tmp_path: Path) -> None:
    broken = exchange(2, http_version="HTTP/1.1\u00e9")  # a protocol name no request line can carry
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        rows = write(archive, [exchange(1), broken, exchange(3)])
        ((url, why),) = archive.not_archived
    assert [r.url for r in rows] == ["http://a.example/news/1", "http://a.example/news/3"]
    assert url == "http://a.example/news/2" and why.startswith("not archived: UnicodeEncodeError")
    (path,) = tmp_path.glob("*.warc.gz")
    assert len(warcio_records(path)) == 4  # nothing of the one left out


def test_a_committed_mark_that_cannot_be_read_leaves_its_file_alone(tmp_path: Path) -> None:
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        kept = write(archive, [exchange(1)])
        archive.committed()
        write(archive, [exchange(2)])  # not committed
    (path,) = tmp_path.glob("*.warc.gz")
    mark = path.with_name(f".{path.name}.committed")
    assert int(mark.read_text()) == committed(kept)[path.name]
    mark.write_text("garbled")
    before = path.read_bytes()
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        (row,) = write(archive, [exchange(3)], committed(kept))
        (problem,) = archive.problems
    assert row.warc_file != path.name and path.read_bytes() == before
    assert "cannot be read; the file is left as it is" in problem


def test_a_file_a_batch_rolled_is_held_until_its_rows_commit(tmp_path: Path) -> None:
    # The review of the committed marks: a batch filled its file and rolled it, unlocked, before its rows
    # committed; a copy of the database sharing the folder resumed the file at its own end and cut the batch off.
    with WarcArchive(tmp_path, max_file_bytes=10**9) as probe:
        write(probe, [exchange(1)])
    one_page = next(tmp_path.glob("*.warc.gz")).stat().st_size
    for path in tmp_path.iterdir():
        path.unlink()
    with WarcArchive(tmp_path, max_file_bytes=one_page + 200) as original:
        first = write(original, [exchange(1)])
        original.committed()
        (name,) = committed(first)
        write(original, [exchange(2), exchange(3)])  # fills the file, rolls it; its rows are not committed yet
        size = (tmp_path / name).stat().st_size
        assert size > committed(first)[name]
        with WarcArchive(tmp_path, max_file_bytes=one_page + 200) as copy:
            (row,) = write(copy, [exchange(4)], committed(first))  # the copy's rows end where the first batch did
        assert row.warc_file != name and (tmp_path / name).stat().st_size == size
        original.committed()


def test_a_committed_batch_that_archived_nothing_leaves_no_file_and_no_mark(tmp_path: Path) -> None:
    # A batch of 304s with no stored response left a mark of 0 with no file beside it, one per run.
    with WarcArchive(tmp_path, max_file_bytes=10**9) as archive:
        assert write(archive, [exchange(1, status=304)]) == []
        archive.committed()
    assert list(tmp_path.iterdir()) == []
