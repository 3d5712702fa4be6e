"""The page archive: every fetched response kept as WARC records (ISO 28500), in rolling gzipped files.

Each exchange is a `request` record and a `response` record, each its own gzip member, so a record can be read
alone from its offset. A re-check that brings nothing new is a `revisit` record that points at the stored response
by its payload digest: a 304 Not Modified, or a 200 whose payload is the stored one byte for byte (a site without
validators, re-checked every run: its unchanged pages would otherwise be archived whole each time). A file is
rolled once it passes its size limit. The `pages` table says where each record is; it is written in the batch's
transaction after the records are on disk (flushed and fsynced), so no row ever points at a missing or partial
record. A process killed mid-write leaves a torn tail, and records nobody points at:
the next writer of the same database cuts the file back to the end of its last record a `pages` row points
at (`committed_end`), and the pages behind the lost records, never stored, are fetched and archived again.
Unless another writer committed them: after each batch commits, a file's committed end is also noted beside it
(hidden: `.<file>.committed`), and records past this database's end but within that mark belong to a copy of the
database sharing the folder, or to this database before it was restored from a backup: they are left, and a new
file is started.

Files are locked (flock) by the process appending to them: a second run at the same time starts a file of
its own instead of writing into, or cutting back, the first one's. Only files named `copydesk-*` that this
database's `pages` rows point into are ever resumed: another database's files, or foreign WARCs, in the same
folder are left alone. No DuckDB here: the caller passes what the database says.
"""

from __future__ import annotations

import base64
import errno
import fcntl
import hashlib
import io
import logging
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import quote, urlsplit, urlunsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from extractors.charset import content_type_of
from storage.rows import PageRow

log = logging.getLogger(__name__)

PREFIX = "copydesk-"  # the files the archive writes; any other file of the folder is left alone
SUFFIX = ".warc.gz"
GZIP_LEVEL = 6
# WARC 1.1: a 304 is a revisit with the server-not-modified profile (1.0 knows only identical-payload-digest);
# a 200 with the stored payload, one with the identical-payload-digest profile (warcio's default).
WARC_VERSION = "1.1"
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL_PAYLOAD_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# httpx hands us bodies decoded: headers that described the bytes on the wire would lie about the record's.
_WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class ArchiveError(RuntimeError):
    """A record cannot be read back from the archive (missing file, or bytes that are not that record)."""


class ArchiveFullError(OSError):
    """The archive's disk is full: the batch's records were taken back, and its rows not stored."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One HTTP exchange to archive: the URL it is remembered under, what was asked and what came back."""

    url: str
    fetch_url: str
    target_url: str
    source: str | None
    kind: str
    status: int
    fetched_at: datetime
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    request_headers: tuple[tuple[str, str], ...] = ()
    http_version: str = "HTTP/1.1"
    listed: bool = False


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """Where the response a revisit refers to is: its record id, payload digest, URL and date."""

    record_id: str
    payload_digest: str
    target_url: str
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class ArchivedResponse:
    """A response record read back: status, headers and the payload as fetched."""

    target_url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: datetime | None

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def content_type(self) -> str | None:
        """The media type its Content-Type fields give, read as the crawl read them (extractors.charset): fields
        joined with commas are split as httpx splits them ("text/html, text/html; charset=UTF-8", which
        requests-based WARC writers make of two fields, was skipped as no HTML)."""
        fields = [v for k, v in self.headers if k.lower() == "content-type"]
        return content_type_of([part.strip() for value in fields for part in value.split(",")])


def default_archive_dir(db: str | Path) -> Path:
    """The archive folder next to a database: news.duckdb -> news-archive/."""
    path = Path(db)
    return path.with_name(path.stem + "-archive")


def writable_problem(directory: str | Path) -> str | None:
    """Why no WARC file can be written in `directory` (created if missing), or None: checked before a crawl
    fetches anything, so that an unusable folder costs no request (a probe file is made and removed)."""
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".copydesk-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return f"{exc.strerror or exc} ({exc.filename or folder})"
    return None


class WarcArchive:
    """Appends exchanges to the newest of this database's WARC files of a folder that no other process is
    writing, rolling at a size."""

    def __init__(self, directory: str | Path, *, max_file_bytes: int) -> None:
        if max_file_bytes < 1:
            raise ValueError(f"max_file_bytes={max_file_bytes} must be positive, e.g. 1_000_000_000")
        self.directory = Path(directory)
        self.max_file_bytes = max_file_bytes
        self._file: IO[bytes] | None = None
        self._name = ""
        self._sequence = 0
        self._opened = False
        # The files the batch being written went into, each with where the batch started in it: what
        # discard_batch cuts back when the batch's transaction fails.
        self._batch: list[tuple[str, int]] = []
        # Files the batch filled and rolled, still open and locked until its rows commit or are taken back: a
        # writer sharing the folder (a copy of this database) would otherwise resume one and cut the batch off.
        self._rolled: dict[str, IO[bytes]] = {}
        # What went wrong resuming a file (it was left alone): for the caller to record with the batch.
        self.problems: list[str] = []
        # Exchanges that could not be archived, (url, why): their pages are stored, not archived.
        self.not_archived: list[tuple[str, str]] = []

    def write(
        self,
        exchanges: Sequence[Exchange],
        *,
        refers_to: Callable[[str], StoredResponse | None],
        committed_end: Callable[[str], int],
    ) -> list[PageRow]:
        """Write each exchange's records to disk (flushed and fsynced before returning); their `pages` rows.

        A 304 is archived as a revisit of the response `refers_to(url)` names; without one (the page was
        fetched before archiving was on) it is not archived. A 200 whose payload digest is that response's is
        archived as a revisit of it too. `committed_end(name)` is the end of the last
        record of file `name` a `pages` row points at (0: none, the file is not this database's), asked when the
        archive opens, of its own files newest first until one is resumed.
        """
        if exchanges:
            self.open(committed_end)
        self._batch = [(self._name, self._file.tell())] if self._file is not None else []
        self.not_archived = []  # this batch's (a retried batch is written again whole)
        rows = []
        try:
            for exchange in exchanges:
                stored = refers_to(exchange.url)
                if exchange.status == 304 and stored is None:
                    continue
                if exchange.status != 304 and stored is not None and stored.payload_digest != _digest(exchange.body):
                    stored = None
                try:
                    rows.append(self._append(exchange, stored))
                except (ValueError, UnicodeError) as exc:  # a record warcio cannot make: that page, not the batch
                    self.not_archived.append((exchange.url, f"not archived: {type(exc).__name__}: {exc}"))
            if rows and self._file is not None:  # (a file the last record filled was synced as it was closed)
                self._file.flush()
                os.fsync(self._file.fileno())
        except BaseException as exc:
            self.discard_batch()
            if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
                raise ArchiveFullError(
                    f"{self.directory}: out of space while archiving a batch's pages ({exc.strerror}). The batch "
                    "was not stored and its records were taken back; every batch before it is intact. Free space "
                    "(or set archive = false) and run again"
                ) from exc
            raise
        return rows

    def discard_batch(self) -> None:
        """Take back what the last `write` put in its files: its transaction failed, so no row points at those
        records, and a retry would write them again beside the first copies (as would a later run, with no rows
        pointing into a file, which it leaves alone). Files the batch started are removed, the others cut back to
        where the batch began (maybe mid-record, where a write failed)."""
        for name, start in reversed(self._batch):
            path = self.directory / name
            if name == self._name and self._file is not None:
                self._file.truncate(start)
                self._file.seek(start)
            elif start == 0:
                path.unlink(missing_ok=True)  # started by this batch and rolled full: nothing else in it
            else:  # the file the batch began in, rolled full on the way, still held
                try:
                    rolled = self._rolled[name]
                    rolled.truncate(start)
                    os.fsync(rolled.fileno())
                except (KeyError, OSError) as exc:  # the batch's own error is the one to raise; this one is recorded
                    self.problems.append(f"{path}: records past byte {start:,} no row points at were left: {exc!r}")
        self._release_rolled()
        self._batch = [(self._name, self._file.tell())] if self._file is not None else []

    def committed(self) -> None:
        """The last `write`'s rows committed: note beside each file it wrote how far its records are committed,
        for another writer of the folder (see _resumed). Written after the commit, so a crash in between leaves the
        mark behind the database, never ahead of it."""
        for name, _ in self._batch:
            path = self.directory / name
            mark = _mark_of(path)
            tmp = mark.with_name(mark.name + ".tmp")
            try:
                end = self._file.tell() if name == self._name and self._file is not None else path.stat().st_size
                if end == 0:  # nothing archived (a batch of 304s with no stored response): the file goes at close
                    continue
                tmp.write_text(f"{end}\n")
                os.replace(tmp, mark)
            except OSError as exc:  # the batch is committed: only a copy sharing the folder would miss the mark
                problem = f"{mark}: the committed end could not be noted ({exc.strerror or exc})"
                log.warning("%s", problem)
                self.problems.append(problem)  # recorded with the next batch
        self._release_rolled()

    def _release_rolled(self) -> None:
        for rolled in self._rolled.values():
            rolled.close()
        self._rolled = {}

    def _append(self, exchange: Exchange, stored: StoredResponse | None) -> PageRow:
        file = self._current()
        writer = _MemberWriter(file)
        date = _warc_date(exchange.fetched_at)
        record = _revisit(writer, exchange, stored, date) if stored else _response(writer, exchange, date)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        request = writer.create_warc_record(
            ascii_uri(exchange.target_url),
            "request",
            http_headers=_request_headers(exchange),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id},
        )
        # Both records are made whole before either is written: one that cannot be made leaves nothing behind.
        request_bytes, record_bytes = writer.member(request), writer.member(record)
        _write_all(file, request_bytes)
        offset = file.tell()
        _write_all(file, record_bytes)
        row = PageRow(
            url=exchange.url,
            fetch_url=exchange.fetch_url,
            target_url=exchange.target_url,
            source=exchange.source,
            kind=exchange.kind,
            listed=exchange.listed,
            record_type="revisit" if stored else "response",
            record_id=record_id,
            warc_file=self._name,
            record_offset=offset,
            record_length=file.tell() - offset,
            payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
            status=exchange.status,
            fetched_at=exchange.fetched_at,
        )
        if file.tell() >= self.max_file_bytes:
            self._roll()
        return row

    def open(self, committed_end: Callable[[str], int]) -> None:
        """Take this database's newest file no one else is writing, cut back to its committed end (once)."""
        if not self._opened:
            self._file, self._name = self._resumed(committed_end)
            self._opened = True

    def _current(self) -> IO[bytes]:
        if self._file is None:  # rolled: never the file just closed, whose rows are not committed yet
            self._file, self._name = self._create()
            self._batch.append((self._name, 0))
        return self._file

    def _resumed(self, committed_end: Callable[[str], int]) -> tuple[IO[bytes], str]:
        """The newest of this database's files no one else is writing, cut back to its committed end, if it has
        room; else a new one.

        A file is this database's when a `pages` row points into it (`committed_end` > 0): a file another
        database wrote into the same folder, or a WARC that is not copydesk's, is never cut or appended to.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.directory.glob(f"{PREFIX}*{SUFFIX}"), reverse=True):
            end = committed_end(path.name)
            if end == 0:  # not ours, or nothing of it ever committed: left as it is
                continue
            file = path.open("r+b", buffering=0)  # unbuffered: see _write_all
            if not _try_lock(file):
                file.close()
                continue
            size = path.stat().st_size
            if end > size:  # shorter than its committed records: cut elsewhere; writing here would leave a hole
                file.close()
                self.problems.append(
                    f"{path}: {size:,} bytes, but pages rows point at records up to byte {end:,} "
                    "(cut short or replaced by something else?); a new file is started"
                )
                break
            marked = _committed_mark(path)
            if marked is None or marked > end:  # another writer's committed records follow ours: theirs to keep
                file.close()
                self.problems.append(
                    f"{path}: {_mark_of(path).name} cannot be read; the file is left as it is and a new file started"
                    if marked is None
                    else f"{path}: records up to byte {marked:,} were committed by another copy of this database "
                    f"(or by this one before it was restored from a backup), past its own at byte {end:,}; they are "
                    "left as they are and a new file is started"
                )
                break
            if end < size:
                file.truncate(end)  # a torn record, or records whose rows never committed
                os.fsync(file.fileno())
            if end < self.max_file_bytes:
                file.seek(end)
                return file, path.name
            file.close()
            break  # the newest file we may write is full: start another
        return self._create()

    def _create(self) -> tuple[IO[bytes], str]:
        while True:
            self._sequence += 1
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
            name = f"{PREFIX}{stamp}-{os.getpid()}-{self._sequence:05d}{SUFFIX}"
            try:
                file = (self.directory / name).open("x+b", buffering=0)
            except FileExistsError:
                continue
            _try_lock(file)
            return file, name

    def _roll(self) -> None:
        """Put the full file aside (held until the batch's rows commit); the next record starts a new one."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._rolled[self._name] = self._file
            self._file = None

    def close(self) -> None:
        """Close the current file; one still empty (a batch taken back, or nothing written) is removed."""
        self._release_rolled()
        if self._file is not None:
            empty = self._file.tell() == 0 and os.fstat(self._file.fileno()).st_size == 0
            self._file.close()
            self._file = None
            if empty:
                (self.directory / self._name).unlink(missing_ok=True)

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _mark_of(path: Path) -> Path:
    """Where a file's committed end is noted: beside it, hidden, so that no glob of the folder (`ingest-warc
    news-archive/*`, `warcio index news-archive/*`) takes it for a WARC file."""
    return path.with_name(f".{path.name}.committed")


def _committed_mark(path: Path) -> int | None:
    """The committed end noted beside a file: 0 if none is (files written before marks were), None if the note
    cannot be read (then no writer knows whose records follow its own, and the file is left alone)."""
    try:
        return int(_mark_of(path).read_text().strip())
    except FileNotFoundError:
        return 0
    except (OSError, ValueError):
        return None


class _MemberWriter:
    """warcio's records, each compressed as its own gzip member at zlib's default level.

    warcio's own gzip writer uses level 9: on 2,869 news pages (65 KB each) it took 4.5 s against 3.2 s at
    level 6, for files 0.5 % smaller. The records are warcio's; only the compression level is ours.
    """

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._builder = WARCWriter(io.BytesIO(), gzip=False, warc_version=WARC_VERSION)

    def __getattr__(self, name: str) -> Any:  # create_warc_record, create_revisit_record: warcio's
        return getattr(self._builder, name)

    def member(self, record: ArcWarcRecord) -> bytes:
        """The record as one gzip member."""
        plain = io.BytesIO()
        WARCWriter(plain, gzip=False, warc_version=WARC_VERSION).write_record(record)
        member = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)  # +16: a gzip header
        return member.compress(plain.getbuffer()) + member.flush()


def _write_all(file: IO[bytes], data: bytes) -> None:
    """Write `data` whole to an unbuffered file (a raw write may take only part of it).

    Archive files are unbuffered so that a batch that fails (a full disk) can be cut back: a buffered file
    flushes before it truncates, fails the same way, and was left torn, with bytes still buffered for its close.
    """
    view = memoryview(data)
    while view:
        written = file.write(view)
        if not written:  # None: a non-blocking file would block; 0: nothing could be written
            raise OSError(f"wrote nothing of {len(view):,} bytes to {getattr(file, 'name', 'the archive')}")
        view = view[written:]


def read_response(
    directory: str | Path,
    warc_file: str,
    offset: int,
    length: int,
    *,
    payload_digest: str | None = None,
    check_digests: bool = True,
    record_id: str | None = None,
) -> ArchivedResponse:
    """The response record at `offset` of a file of the archive (or of the absolute path `warc_file`), its
    digests checked (and its payload digest the `pages` row's, when given); ArchiveError for anything that is
    not that record whole.

    `check_digests=False` for a file ingest-warc read where it lies: ingest took its records as they were, so
    re-extraction does too (a crawler's wrong digest would otherwise make a page it stored unreadable), and
    only the payload digest header (and `record_id`, the WARC-Record-ID, when given) is compared with the row's,
    to tell a rewritten file."""
    path = Path(directory) / warc_file
    try:
        with path.open("rb") as file:
            file.seek(offset)
            data = file.read(length)
    except FileNotFoundError:
        raise ArchiveError(f"{path}: no such archive file (moved or deleted?)") from None
    if len(data) != length:
        raise ArchiveError(f"{path}: {length} bytes expected at offset {offset}, the file ends after {len(data)}")
    try:
        # check_digests: warcio compares the bytes read with the record's block and payload digests.
        records = ArchiveIterator(io.BytesIO(data), check_digests="raise" if check_digests else False)
        record = next(records, None)
        if record is None or record.rec_type != "response" or record.http_headers is None:
            raise ArchiveError(f"{path}: the record at offset {offset} is not an HTTP response record")
        response = _response_of(record)
        records.read_to_end(record)
        missing = getattr(record.raw_stream, "limit", 0)
        stored_digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
        stored_id = record.rec_headers.get_header("WARC-Record-ID") or ""
    except ArchiveError:
        raise
    except Exception as exc:  # warcio's ArchiveLoadFailed, zlib.error, EOFError, ...: bytes that are not a record
        raise ArchiveError(
            f"{path}: the record at offset {offset} cannot be read: {type(exc).__name__}: {exc}"
        ) from exc
    if missing:
        raise ArchiveError(f"{path}: the record at offset {offset} ends {missing:,} bytes short of its length")
    if record_id and stored_id != record_id:
        raise ArchiveError(
            f"{path}: the record at offset {offset} is {stored_id or 'one without a WARC-Record-ID'}, not {record_id} "
            "(another record, or a file rewritten since)"
        )
    if payload_digest is not None and stored_digest != payload_digest:
        raise ArchiveError(
            f"{path}: the record at offset {offset} has payload digest {stored_digest}, not {payload_digest} "
            "(another record, or a file rewritten since)"
        )
    return response


@dataclass(frozen=True, slots=True)
class WarcRecord:
    """One record of a WARC file read for ingest: its type, where the next record starts, and the response if
    it is one (an HTTP response record; other records, requests, metadata, warcinfo, carry None)."""

    record_type: str
    end: int
    response: ArchivedResponse | None = None
    # WARC-Truncated: the crawler kept only part of the payload (its reason: length, time, disconnect, ...).
    truncated: str | None = None
    offset: int = 0  # where the record starts (its gzip member, in a .warc.gz): read_response reads it back
    record_id: str = ""
    payload_digest: str = ""  # WARC-Payload-Digest ("" if it has none)


_GZIP_MAGIC = b"\x1f\x8b"
# Bytes after a .warc.gz's last member that are still its end: a line break, a tar block's NULs.
_PADDING_MAX = 4096
# Bytes read at a record's start to skip the blank lines before it.
_BLANK_LINES_READ = 4096


def record_starts_at(path: str | Path, offset: int) -> bool:
    """Whether a WARC record (a gzip member, or "WARC/" after the CRLFs ending the last) begins at byte `offset`."""
    if offset < 0:
        return False
    with Path(path).open("rb") as stream:
        stream.seek(offset)
        head = stream.read(64).lstrip(b"\r\n")
    return head.startswith((_GZIP_MAGIC, b"WARC/"))


def _until_padding(records: ArchiveIterator, check: BinaryIO, start: int) -> Iterator[ArcWarcRecord]:
    """warcio's records, ending where only padding is left of the file (line breaks, a tar block's NULs), which
    warcio would take for a record it cannot read."""
    end = start
    iterator = iter(records)
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            return
        except Exception:
            if _only_padding_at(check, end):
                return
            raise
        yield record
        end = records.get_record_offset() + records.get_record_length()


def _only_padding_at(stream: BinaryIO, offset: int) -> bool:
    """Whether the file holds nothing but a few bytes of padding from `offset` to its end."""
    stream.seek(offset)
    after = stream.read(_PADDING_MAX + 1)
    return len(after) <= _PADDING_MAX and not after.strip(b"\r\n\t \x00")


def _member_ends_at(stream: BinaryIO, offset: int) -> bool:
    """Whether a gzip member of a .warc.gz ends at byte `offset`: another member's start, or the file's end, with
    at most a few bytes of padding (line breaks, NULs) after it. The file is looked at as it is now: one still
    written grows while it is read."""
    if offset <= 0:
        return False
    stream.seek(offset)
    return stream.read(2) == _GZIP_MAGIC or _only_padding_at(stream, offset)


def _one_member(stream: BinaryIO, offset: int, end: int) -> bool:
    """Whether the bytes from `offset` to `end` are one whole gzip member: a record read whole, whatever follows it.
    A hole a crash left after it (NULs, a torn write) made it look like a file compressed as one stream, and the
    record was lost with the file (a review, 2026-12). Decompressed a megabyte at a time, and thrown away."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    stream.seek(offset)
    left = end - offset
    try:
        while left > 0 and not decompressor.eof:
            data = stream.read(min(left, _SCAN_CHUNK))
            if not data:
                return False
            left -= len(data)
            while data and not decompressor.eof:
                decompressor.decompress(data, _SCAN_CHUNK)
                data = decompressor.unconsumed_tail
    except zlib.error:
        return False
    return decompressor.eof and left == 0 and not decompressor.unused_data


def next_record_after(path: str | Path, offset: int) -> int | None:
    """Where the first readable record after byte `offset` starts (a gzip member, or "WARC/" at a line's start in an
    uncompressed file), or None: where ingest reads on past a record it cannot read. Found by scanning the file
    for the start of one and reading a record there; a spot that only looks like one is passed by."""
    with Path(path).open("rb") as stream:
        stream.seek(0)
        marker = _GZIP_MEMBER if stream.read(2) == _GZIP_MAGIC else b"\nWARC/"
        skip = 0 if marker == _GZIP_MEMBER else 1  # the record starts after the line break
        position, tail = offset + 1, b""
        stream.seek(position)
        while chunk := stream.read(_SCAN_CHUNK):
            window, base = tail + chunk, position - len(tail)
            found = window.find(marker)
            while found != -1:
                candidate = base + found + skip
                if candidate > offset and _reads_a_record(path, candidate):
                    return candidate
                found = window.find(marker, found + 1)
            tail, position = window[-(len(marker) - 1) :], position + len(chunk)
    return None


def _reads_a_record(path: str | Path, offset: int) -> bool:
    try:
        next(read_records(path, start=offset, max_bytes=0))  # its headers: a body may be hundreds of megabytes
    except Exception:  # noqa: BLE001 (any failure to read one says the same: no record starts here)
        return False
    return True


_GZIP_MEMBER = b"\x1f\x8b\x08"  # magic and the deflate method: how every gzip member of a .warc.gz begins
_SCAN_CHUNK = 1 << 20


def read_records(path: str | Path, *, start: int = 0, max_bytes: int | None = None) -> Iterator[WarcRecord]:
    """The records of a WARC file (.warc or .warc.gz), from the record starting at byte `start`, one at a time.

    Memory stays that of one record whatever the file's size; a response body over `max_bytes` is not read
    (its record comes with an empty body and the header `X-Copydesk-Truncated: 1`). A record the file ends
    inside (shorter than its Content-Length: a torn or cut file) raises ArchiveError after the records before it.
    """
    with Path(path).open("rb") as stream, Path(path).open("rb") as check:
        # In an uncompressed file a record is followed by CRLF CRLF, which warcio leaves out of its length, and some
        # writers put more blank lines between records: warcio took what followed them for one headless record.
        stream.seek(start)
        head = stream.read(_BLANK_LINES_READ)
        stream.seek(start + len(head) - len(head.lstrip(b"\r\n")))
        gzipped = head.startswith(_GZIP_MAGIC)
        records = ArchiveIterator(stream)
        for record in _until_padding(records, check, start):
            if record.format != "warc":  # warcio would read lines of any text as ARC records
                raise ArchiveError(f"{path}: no WARC record at byte {records.offset:,} ({record.format} format)")
            response = None
            if record.rec_type == "response" and record.http_headers is not None:
                response = _response_of(record, max_bytes=max_bytes)
            records.read_to_end(record)
            missing = getattr(record.raw_stream, "limit", 0)  # bytes of its Content-Length the stream ended without
            if missing:
                raise ArchiveError(
                    f"{path}: the record at byte {records.get_record_offset():,} ends {missing:,} bytes short of its "
                    "Content-Length (a torn or cut file)"
                )
            # warcio counts offsets from the start of the file, not from where the stream began.
            offset = records.get_record_offset()
            end = offset + records.get_record_length()
            if gzipped and not _member_ends_at(check, end) and not _one_member(check, offset, end):
                # `gzip file.warc` makes one stream of all records: warcio reads it, but its offsets are then
                # positions in no file, and no record could be read back or resumed from (stored, they were < 0).
                raise ArchiveError(
                    f"{path}: its records are not each a gzip member (the whole file was compressed as one stream, "
                    "as `gzip file.warc` does), so none can be read back by its offset: recompress it one member "
                    "per record (`warcio recompress IN OUT.warc.gz`) and ingest that"
                )
            headers = record.rec_headers
            yield WarcRecord(
                record.rec_type,
                end,
                response,
                headers.get_header("WARC-Truncated"),
                offset=offset,
                record_id=headers.get_header("WARC-Record-ID") or "",
                payload_digest=headers.get_header("WARC-Payload-Digest") or "",
            )


def _response_of(record: ArcWarcRecord, *, max_bytes: int | None = None) -> ArchivedResponse:
    rec_headers = record.rec_headers
    http = record.http_headers
    date = rec_headers.get_header("WARC-Date")
    undecoded = _with_codings_warcio_reads(http)
    headers = tuple(http.headers)
    if undecoded:
        headers = (*headers, (UNDECODED_HEADER, undecoded))
    stream = record.content_stream()
    body = stream.read(max_bytes + 1) if max_bytes is not None else stream.read()
    if max_bytes is not None and len(body) > max_bytes:
        body, headers = b"", (*headers, ("X-Copydesk-Truncated", "1"))
    elif _cut_short(stream, body):
        headers = (*headers, (UNDECODED_HEADER, f"{http.get_header('Content-Encoding')} (damaged or cut short)"))
    try:
        fetched_at = datetime.fromisoformat(date.replace("Z", "+00:00")) if date else None
    except ValueError:
        fetched_at = None
    if fetched_at is not None and fetched_at.tzinfo is None:  # the standard says UTC; some writers omit the Z
        fetched_at = fetched_at.replace(tzinfo=UTC)
    return ArchivedResponse(
        target_url=rec_headers.get_header("WARC-Target-URI") or "",
        status=int(http.get_statuscode() or 0) if str(http.get_statuscode() or "").isdigit() else 0,
        headers=headers,
        body=body,
        fetched_at=fetched_at,
    )


# Set on a response whose Content-Encoding is none warcio decodes (br without brotli, compress, zstd): its body is
# still compressed, no page (flows.warc_input counts it as `encoding`).
UNDECODED_HEADER = "X-Copydesk-Undecoded"


def _cut_short(content: object, body: bytes) -> bool:
    """Whether a body warcio decompressed ended before its compressed stream did, or failed in its first block.
    warcio writes a zlib error to stderr and goes on with what it had, and never checks the end: a gzip body cut
    to a third, or with a bad CRC, was stored as a whole page (a review's WARC, 2026-12; a crawl refuses both).
    Failing in the first block, it takes the body for one the server did not compress, and hands it on as is."""
    decompressor = getattr(content, "decompressor", None)
    if decompressor is None:  # no coding, or one warcio found not applied: gzip's magic says it was
        return getattr(content, "decomp_type", None) == "gzip" and body.startswith(_GZIP_MAGIC)
    return bool(body) and not getattr(decompressor, "eof", True)  # an empty body is counted as one


def _with_codings_warcio_reads(http: StatusAndHeaders) -> str | None:
    """Spell a response's codings as warcio matches them; the compressions it cannot undo, if any.

    warcio dechunks only "Transfer-Encoding: chunked" as written so ("Chunked" left the chunk sizes in the page's
    text) and ignores a Content-Encoding it has no decoder for, "x-gzip" (gzip, RFC 9110) among them. Names of no
    compression ("identity", and "UTF-8", "none", "binary" that servers send) leave the body as it is, as a crawl
    reads it.
    """
    transfer = http.get_header("Transfer-Encoding")
    if transfer is not None and transfer.strip().lower() == "chunked":
        http.replace_header("Transfer-Encoding", "chunked")
    named = (c.strip().lower() for c in (http.get_header("Content-Encoding") or "").split(","))
    compressions = ["gzip" if c == "x-gzip" else c for c in named if c in _COMPRESSIONS]
    if not compressions:
        return None
    if len(compressions) == 1 and compressions[0] in BufferedReader.get_supported_decompressors():
        http.replace_header("Content-Encoding", compressions[0])
        return None
    return ", ".join(compressions)  # one warcio has no decoder for, or two stacked ("gzip, gzip")


# Content-Encoding names of compressions (IANA's registry, and the old x- spellings).
_COMPRESSIONS = frozenset(
    "gzip x-gzip deflate br zstd compress x-compress dcb dcz aes128gcm exi pack200-gzip bzip2 x-bzip2 lzma xz".split()
)


def ascii_uri(url: str) -> str:
    """A URL as a WARC-Target-URI and request line need it (ASCII, RFC 3986): a host in IDNA, other
    non-ASCII characters and spaces percent-encoded as UTF-8. A redirect's raw Location can carry either."""
    if url.isascii() and " " not in url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    host = parts.hostname or ""
    if not host.isascii():
        try:
            netloc = netloc.replace(host, host.encode("idna").decode("ascii"))
        except UnicodeError:
            netloc = quote(netloc, safe=_URI_SAFE)
    rest = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    return urlunsplit((parts.scheme, netloc, "", "", "")) + quote(rest, safe=_URI_SAFE)


# Printable ASCII but the space: what a URI may hold as it is (a "%" is taken as already encoding a byte).
_URI_SAFE = "".join(chr(c) for c in range(33, 127))


def _ascii_headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Header fields as a record can hold them: a value's non-ASCII bytes (as sent: httpx reads values as Latin-1)
    percent-encoded. warcio encodes only a parameter's quoted value, and failed on the rest: a page that sent
    'Link: <http://x/é>; rel=preload' was stored, never archived, and every run said so (a review, 2026-12)."""
    return [(k, v if v.isascii() else quote(_sent_bytes(v), safe=_HEADER_SAFE)) for k, v in pairs]


def _sent_bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # a value made here, not read off the wire
        return value.encode("utf-8")


# What a header's value may hold as it is: what a URI may (_URI_SAFE), and the space.
_HEADER_SAFE = " " + _URI_SAFE


def _response(writer: _MemberWriter, exchange: Exchange, date: str) -> ArcWarcRecord:
    headers = _ascii_headers((k, v) for k, v in exchange.headers if k.lower() not in _WIRE_HEADERS)
    headers.append(("Content-Length", str(len(exchange.body))))
    http = StatusAndHeaders(_status_line(exchange.status), headers, protocol=exchange.http_version)
    return writer.create_warc_record(
        ascii_uri(exchange.target_url),
        "response",
        payload=io.BytesIO(exchange.body),
        length=len(exchange.body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": date},
    )


def _revisit(writer: _MemberWriter, exchange: Exchange, stored: StoredResponse, date: str) -> ArcWarcRecord:
    headers = _ascii_headers(exchange.headers)
    if exchange.status != 304:  # the stored payload's length, as its response record says
        headers = [(k, v) for k, v in headers if k.lower() not in _WIRE_HEADERS]
        headers.append(("Content-Length", str(len(exchange.body))))
    http = StatusAndHeaders(_status_line(exchange.status), headers, protocol=exchange.http_version)
    record = writer.create_revisit_record(
        ascii_uri(exchange.target_url),
        stored.payload_digest,
        ascii_uri(stored.target_url),
        _warc_date(stored.fetched_at),
        http_headers=http,
        warc_headers_dict={"WARC-Date": date, "WARC-Refers-To": stored.record_id},
    )
    if exchange.status == 304:
        record.rec_headers.replace_header("WARC-Profile", NOT_MODIFIED_PROFILE)
    return record


def _digest(body: bytes) -> str:
    """A payload's WARC-Payload-Digest as warcio writes it (sha1, base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body, usedforsecurity=False).digest()).decode("ascii")


def _request_headers(exchange: Exchange) -> StatusAndHeaders:
    parts = urlsplit(ascii_uri(exchange.target_url))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = _ascii_headers(exchange.request_headers)
    return StatusAndHeaders(f"GET {path} {exchange.http_version}", request, is_http_request=True)


_REASONS: dict[int, str] = {200: "OK", 304: "Not Modified"}


def _status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, '')}".strip()


def _warc_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _try_lock(file: IO[bytes]) -> bool:
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
