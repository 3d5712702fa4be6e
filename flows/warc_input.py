"""Reading WARC files for `ingest-warc`: which files, which source a page is of, and its records as the crawl's
planned fetches and responses, batch by batch, with each file's progress. No Prefect and no DuckDB here.
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from textwrap import shorten
from urllib.parse import urlsplit

from crawl._http import content_type_problem, whole_range
from crawl.discover import Candidate
from crawl.fetch import BODY_STATUSES, Fetched
from crawl.sources import Source
from extractors.urls import InvalidURLError, ascii_host, canonicalize_url
from flows.steps import PlannedFetch
from storage.archive import (
    UNDECODED_HEADER,
    ArchivedResponse,
    WarcRecord,
    next_record_after,
    read_records,
    record_starts_at,
)
from storage.pages import WarcProgress
from storage.rows import ErrorRow, PageRow

WARC_SUFFIXES = (".warc", ".warc.gz")
MAX_REASON_CHARS = 300  # of why a file could not be read, as recorded


class WarcInputError(ValueError):
    """The paths given to ingest-warc name no WARC file."""


@dataclass(slots=True)
class WarcBatch:
    """Pages read from one file, and the file's progress once they are written."""

    planned: list[PlannedFetch]
    responses: list[Fetched]
    progress: WarcProgress
    # Where each page's record lies in the file, written with the batch: `copydesk reextract` reads it there.
    pages: list[PageRow] = field(default_factory=list)
    # Records read past (unreadable, between readable ones): a row of `errors` each, written with the batch.
    errors: list[ErrorRow] = field(default_factory=list)


def warc_paths(patterns: Sequence[str]) -> list[Path]:
    """The WARC files named by files, folders (their .warc and .warc.gz files, recursively) or globs, sorted."""
    found: set[Path] = set()  # resolved: a file named twice (a relative path, an absolute one, a link) is read once
    for pattern in patterns:
        matches = [Path(p) for p in glob.glob(pattern, recursive=True)]
        if not matches and not Path(pattern).exists():  # a mistyped name among good ones was passed over silently
            raise WarcInputError(f"{pattern}: no such file or folder, and no file matches it as a glob")
        for match in matches or [Path(pattern)]:
            if match.is_dir():
                found.update(p.resolve() for p in match.rglob("*") if p.is_file() and p.name.endswith(WARC_SUFFIXES))
            elif match.is_file() and match.name.endswith(WARC_SUFFIXES):
                found.add(match.resolve())
            elif match.is_file():
                raise WarcInputError(f"{match}: not a WARC file (expected a name ending in .warc or .warc.gz)")
            # (a glob's match that is neither, such as a dangling link, is passed by, as it always was)
    if not found:
        raise WarcInputError(f"no .warc or .warc.gz files in {list(patterns)}; pass files, folders or globs")
    return sorted(found)


def source_namer(sources: Sequence[Source]) -> Callable[[str], str]:
    """A page URL -> its source's name: the source whose homepage is a section of the site holding the page's path
    (the longest), else the source with a feed, sitemap or homepage on its host, else the host."""
    by_host: dict[str, str] = {}
    sections: dict[str, list[tuple[str, str]]] = {}
    for source in sources:
        for url in (source.homepage, *source.feeds, *source.sitemaps):
            if url:
                by_host.setdefault(_host(url), source.name)
        if source.homepage and source.section:
            sections.setdefault(_host(source.homepage), []).append((source.section, source.name))
    for held in sections.values():
        held.sort(key=lambda section: -len(section[0]))

    def name(url: str) -> str:
        host = _host(url)
        path = urlsplit(url).path
        for section, owner in sections.get(host, ()):
            if path.startswith(section):
                return owner
        return by_host.get(host, host)

    return name


def _host(url: str) -> str:
    """A URL's host without www. (and its port, if it names one: sites on one address, other ports), in IDNA:
    CC-NEWS writes "xn--bcher-kva.example" where a sources file, or another crawler, writes "bücher.example"."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    host = _idna(host) if not host.isascii() else host
    return f"{host}:{parts.port}" if parts.port else host


def _idna(host: str) -> str:
    """The host as browsers, the crawl's URL keys and crawl.policy encode it ("straße" is not "strasse")."""
    try:
        return ascii_host(host.lower())
    except UnicodeError:  # idna.IDNAError is one
        return host  # no name IDNA encodes (a label too long, a forbidden character): matched as written


def page_of(response: ArchivedResponse, *, source_of: Callable[[str], str]) -> tuple[PlannedFetch, Fetched] | str:
    """A response record as the crawl's planned fetch and response, or why it is skipped (a `fetches` reason)."""
    whole = response.status != 206 or whole_range(response.header("content-range"), len(response.body))
    if response.status not in BODY_STATUSES or not whole:
        return "http_status"  # 203: a 200 a proxy passed on; a 206 of the whole page: the crawl kept it
    content_type = response.content_type
    if content_type_problem("article", content_type):
        return "type"
    if response.header("x-copydesk-truncated"):
        return "size"
    if response.header(UNDECODED_HEADER):
        return "encoding"
    if not response.body:
        return "empty"
    try:
        key = canonicalize_url(response.target_url)
    except InvalidURLError:
        return "bad_url"
    # Not listed: a WARC does not say whether a feed or a news sitemap named the page, so a page is judged an
    # index as a crawl judges one it found by a link (on a generated world: the same articles as its crawl).
    candidate = Candidate(key, source_of(response.target_url), fetch_url=response.target_url)
    fetched = Fetched(
        response.target_url,
        "article",
        "ok",
        response.target_url,
        200,
        body=response.body,
        content_type=content_type,
        etag=response.header("etag"),
        last_modified=response.header("last-modified"),
        fetched_at=response.fetched_at,
    )
    return PlannedFetch(candidate), fetched


def read_batches(
    paths: Sequence[Path],
    progress: dict[str, WarcProgress],
    *,
    size: int,
    source_of: Callable[[str], str],
    max_bytes: int,
) -> Iterator[WarcBatch]:
    """Batches of pages of each file not yet finished, from where its last ingest stopped; the last of each file
    (possibly without pages) marks it finished, or carries why the rest of the file could not be read."""
    for path in paths:
        done = progress.get(str(path)) or WarcProgress(str(path), path.stat().st_size)
        if done.finished:
            continue
        done = replace(done, error=None)
        batch = WarcBatch([], [], done)
        skipped = dict(done.skipped)
        while True:
            try:
                for record in read_records(path, start=done.done_offset, max_bytes=max_bytes):
                    page = page_of(record.response, source_of=source_of) if record.response else _not_a_page(record)
                    if record.response and record.truncated:  # part of a page: extracted, it'd be stored as whole
                        page = "truncated"
                    if isinstance(page, str):
                        skipped[page] = skipped.get(page, 0) + 1
                    else:
                        batch.planned.append(page[0])
                        batch.responses.append(page[1])
                        batch.pages.append(page_row(path, record, *page))
                    done = replace(done, done_offset=record.end, records=done.records + 1, skipped=dict(skipped))
                    done = replace(done, pages=done.pages + (not isinstance(page, str)))
                    batch.progress = done
                    if len(batch.planned) >= size:
                        yield batch
                        batch = WarcBatch([], [], done)
            except Exception as exc:  # per-record boundary: read on at the next readable record, if there is one
                # Printable only, and bounded: warcio quotes the bytes it could not read, compressed ones too.
                reason = shorten("".join(c if c.isprintable() else "\ufffd" for c in str(exc)), MAX_REASON_CHARS)
                at = done.done_offset
                resume = next_record_after(path, at)
                if resume is None:
                    # Nothing readable after it (a torn or cut end, a file still being written, no WARC at all): the
                    # pages before are kept, and the file stays unfinished, tried again by the next ingest.
                    message = f"{path}: unreadable after byte {at:,}: {type(exc).__name__}: {reason}"
                    batch.progress = replace(done, error=message)
                    break
                # A corrupt gzip member, a record warcio cannot parse, between readable ones: passed by, said why.
                message = (
                    f"{path}: {resume - at:,} bytes at byte {at:,} hold no readable record "
                    f"({type(exc).__name__}: {reason}); read on at byte {resume:,}"
                )
                batch.errors.append(ErrorRow("warc", str(path), "WarcRecordSkipped", message, datetime.now(UTC)))
                skipped["unreadable"] = skipped.get("unreadable", 0) + 1
                done = replace(done, done_offset=resume, records=done.records + 1, skipped=dict(skipped))
                batch.progress = done
                continue
            batch.progress = replace(done, finished=True)
            break
        yield batch


def as_it_is_now(progress: WarcProgress, path: Path) -> WarcProgress:
    """A file's stored progress, against the file as it is now.

    A finished file that grew had records appended since (a file still being written): they are read on from
    where it ended. One shorter than what was read is another file under that name: read from its start; so is
    one where no record starts there any more: a crawl killed mid-batch left records no run committed, its rerun
    cut them off and wrote others over them, and this ingest had read the cut ones (reading on from the middle of
    a new record failed every time). Pages read again are found unchanged.
    """
    size = path.stat().st_size
    if size == progress.size:
        return progress
    if size < progress.done_offset or (
        size > progress.done_offset and not record_starts_at(path, progress.done_offset)
    ):
        return WarcProgress(progress.path, size)
    return replace(progress, size=size, finished=False)


def page_row(path: Path, record: WarcRecord, planned: PlannedFetch, fetched: Fetched) -> PageRow:
    """The `pages` row of a page read from a WARC file: the record where it lies, by the file's absolute path."""
    now = datetime.now(UTC)
    return PageRow(
        url=planned.candidate.url,
        fetch_url=fetched.url,
        target_url=fetched.final_url,
        source=planned.candidate.source,
        kind="article",
        listed=planned.candidate.listed,
        record_type="response",
        record_id=record.record_id,
        warc_file=str(path),
        record_offset=record.offset,
        record_length=record.end - record.offset,
        payload_digest=record.payload_digest,
        status=fetched.status or 200,
        fetched_at=fetched.received_at(now),  # as the article row's (flows.steps)
    )


# Records that hold no page, counted in `skipped` by their WARC-Type (CC-NEWS files hold a request and often a
# metadata record per response): a file's records are then its pages plus its skips.
RECORD_TYPES = frozenset({"warcinfo", "request", "metadata", "revisit", "resource", "conversion", "continuation"})


def _not_a_page(record: WarcRecord) -> str:
    """Why a record without an HTTP response is skipped: its WARC-Type, or `not_http` (a response of another
    protocol, such as dns:)."""
    if record.record_type in RECORD_TYPES:
        return record.record_type
    return "not_http" if record.record_type == "response" else "other_record"


def page_skips(skipped: dict[str, int]) -> int:
    """How many of the skipped records were responses that could have been pages (not requests, metadata...)."""
    return sum(count for reason, count in skipped.items() if reason not in RECORD_TYPES)


def by_source(batch: WarcBatch) -> dict[str, tuple[list[PlannedFetch], list[Fetched]]]:
    """A batch's pages and responses grouped by source (CC-NEWS files mix hosts)."""
    groups: dict[str, tuple[list[PlannedFetch], list[Fetched]]] = {}
    for planned, response in zip(batch.planned, batch.responses, strict=True):
        group = groups.setdefault(planned.candidate.source, ([], []))
        group[0].append(planned)
        group[1].append(response)
    return groups
