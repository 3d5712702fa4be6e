"""Reading the `pages` table: where the archive's records are, for the archive writer and for re-extraction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from storage.archive import StoredResponse
from storage.rows import DateSource


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """The latest archived response of one page, and what re-extracting it needs from the crawl."""

    url: str
    fetch_url: str
    source: str | None
    listed: bool
    warc_file: str
    record_offset: int
    record_length: int
    payload_digest: str  # the record's WARC-Payload-Digest: what it read back must match
    fetched_at: datetime
    # The date its feed or sitemap gave, kept on the stored article (the crawl's fallback for an undated page).
    listing_date: datetime | None = None
    listing_date_from: DateSource | None = None
    # The stored article's text came from a later run's fetch (archiving off then, or an ingest-warc):
    # extracting this page again would put older text back.
    stale: bool = False
    # The stored article this page gave, and the run whose fetch gave its text, when the page was listed:
    # re-extraction leaves the row alone if another run has rewritten its text since (storage.load.reload_articles).
    article_url: str | None = None
    text_run_id: str | None = None
    record_id: str = ""  # the record's WARC-Record-ID: what it read back must match ("" if it had none)


def archived_here(con: duckdb.DuckDBPyConnection, files: Sequence[Path], archive: Path) -> set[Path]:
    """The files in the archive folder `archive` that this database's crawls wrote: `pages` rows name them (by
    their name in the folder)."""
    own = archive.resolve()
    names = {f.resolve().relative_to(own).as_posix(): f for f in files if f.resolve().is_relative_to(own)}
    if not names:
        return set()
    rows = con.execute(
        "SELECT DISTINCT warc_file FROM pages WHERE list_contains(?::VARCHAR[], warc_file)", [list(names)]
    ).fetchall()
    return {names[name] for (name,) in rows}


def committed_end(con: duckdb.DuckDBPyConnection, warc_file: str) -> int:
    """The end of the last record of `warc_file` a `pages` row points at (0 if none does)."""
    ((end,),) = con.execute(  # fetchall: no unfinished result left on the batch's connection
        "SELECT coalesce(max(record_offset + record_length), 0) FROM pages WHERE warc_file = ?", [warc_file]
    ).fetchall()
    return int(end)


def stored_responses(
    con: duckdb.DuckDBPyConnection, urls: Iterable[str], archive_dir: Path | None = None
) -> dict[str, StoredResponse]:
    """The latest archived response record of each URL (by the key it is remembered under), for revisits.

    With `archive_dir`, only responses in that folder's files that are still there: a revisit of a record in a
    removed file, or in a WARC that ingest-warc read where it lay, would leave the page archived nowhere."""
    urls = list(urls)
    if not urls:
        return {}
    rows = con.execute(
        """
        SELECT url, r.record_id, r.payload_digest, r.target_url, r.fetched_at, r.warc_file
        FROM (SELECT url, arg_max(p, fetched_at) AS r FROM pages p
              WHERE record_type = 'response' AND url IN (SELECT unnest(?)) GROUP BY url)
        """,
        [urls],
    ).fetchall()
    exists: dict[str, bool] = {}
    if archive_dir is not None:
        for file in {row[5] for row in rows}:
            exists[file] = not Path(file).is_absolute() and (archive_dir / file).is_file()
    return {
        url: StoredResponse(record_id, digest, target, at)
        for url, record_id, digest, target, at, file in rows
        if archive_dir is None or exists[file]
    }


def archived_pages(
    con: duckdb.DuckDBPyConnection,
    *,
    sources: Iterable[str] = (),
    since: datetime | None = None,
    url_like: str | None = None,
) -> list[ArchivedPage]:
    """The latest archived response of every article page, optionally of some sources, fetched since a
    time, or whose URL (or the article URL it gave) matches a SQL LIKE pattern; in fetch order."""
    names = list(sources)
    rows = con.execute(
        """
        WITH latest AS (  -- one whole row per URL: the newest fetch; of equal ones the latest run's (a file
                          -- ingested again from where it was moved), then by position, never mixed
            SELECT p.url, p.fetch_url, p.source, p.listed, p.warc_file, p.record_offset, p.record_length,
                   p.payload_digest, p.fetched_at, p.run_id, p.record_id
            FROM pages p LEFT JOIN runs r USING (run_id) WHERE p.kind = 'article' AND p.record_type = 'response'
            QUALIFY row_number() OVER (
                PARTITION BY p.url
                ORDER BY p.fetched_at DESC, r.started_at DESC NULLS LAST, p.warc_file DESC, p.record_offset DESC
            ) = 1
        ),
        again AS (  -- later fetches that gave the same payload (a 200 archived as a revisit of it): the page as of
                    -- the newest one, whose run may have extracted its text
            SELECT url, max(p.fetched_at) AS fetched_at, arg_max(p.run_id, p.fetched_at) AS run_id
            FROM pages p JOIN latest l USING (url, payload_digest)
            WHERE p.kind = 'article' AND p.record_type = 'revisit' AND p.status IN (200, 203, 206)
                AND p.fetched_at > l.fetched_at
            GROUP BY url
        ),
        latest_fetch AS (
            SELECT l.* REPLACE (
                coalesce(g.fetched_at, l.fetched_at) AS fetched_at, coalesce(g.run_id, l.run_id) AS run_id
            )
            FROM latest l LEFT JOIN again g USING (url)
        )
        SELECT l.url, l.fetch_url, l.source, l.listed, l.warc_file, l.record_offset, l.record_length,
               l.payload_digest, l.fetched_at,
               CASE WHEN a.published_from IN ('feed', 'sitemap') THEN a.published_at END,
               CASE WHEN a.published_from IN ('feed', 'sitemap') THEN a.published_from END,
               -- Stale: another run gave the text from a fetch newer than this page (a crawl with archiving off;
               -- or the page is an ingested WARC record older than a crawl's text, which its ingest kept). A
               -- later capture with the same text moved the article's fetched_at up to its own: not stale.
               coalesce(
                   a.text_run_id <> l.run_id AND text_run.started_at > l.fetched_at AND a.fetched_at > l.fetched_at,
                   false
               ),
               a.url, a.text_run_id, l.record_id
        FROM latest_fetch l LEFT JOIN seen_urls s USING (url) LEFT JOIN articles a ON a.url = s.article_url
            LEFT JOIN runs text_run ON text_run.run_id = a.text_run_id
        WHERE (len(?::VARCHAR[]) = 0 OR l.source IN (SELECT unnest(?::VARCHAR[])))
          AND (?::TIMESTAMPTZ IS NULL OR l.fetched_at >= ?::TIMESTAMPTZ)
          AND (?::VARCHAR IS NULL OR l.url LIKE ? OR s.article_url LIKE ?)
        ORDER BY l.fetched_at, l.url
        """,
        [names, names, since, since, url_like, url_like, url_like],
    ).fetchall()
    return [ArchivedPage(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class WarcProgress:
    """How far `copydesk ingest-warc` got through one WARC file."""

    path: str
    size: int
    done_offset: int = 0
    records: int = 0
    pages: int = 0
    skipped: Mapping[str, int] = field(default_factory=dict)
    finished: bool = False
    # Why the file could not be read past done_offset (a malformed or torn file): the next ingest tries again.
    error: str | None = None


def warc_progress(con: duckdb.DuckDBPyConnection, paths: Iterable[str]) -> dict[str, WarcProgress]:
    """The stored progress of the given files (absent: never started)."""
    rows = con.execute(
        "SELECT path, size, done_offset, records, pages, skipped, finished_at IS NOT NULL, error FROM warc_files "
        "WHERE path IN (SELECT unnest(?))",
        [list(paths)],
    ).fetchall()
    return {
        path: WarcProgress(path, size, done, records, pages, json.loads(skipped or "{}"), finished, error)
        for path, size, done, records, pages, skipped, finished, error in rows
    }


def save_progress(con: duckdb.DuckDBPyConnection, run_id: str, progress: WarcProgress, *, now: datetime) -> None:
    """Record how far a file got (in the transaction of the batch that got it there)."""
    con.execute(
        """
        INSERT INTO warc_files
            (path, size, done_offset, records, pages, skipped, started_at, finished_at, run_id, error)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (path) DO UPDATE SET size = excluded.size, done_offset = excluded.done_offset,
            records = excluded.records, pages = excluded.pages, skipped = excluded.skipped,
            finished_at = excluded.finished_at, run_id = excluded.run_id, error = excluded.error
        """,
        [
            progress.path,
            progress.size,
            progress.done_offset,
            progress.records,
            progress.pages,
            json.dumps(dict(progress.skipped), sort_keys=True),
            now,
            now if progress.finished else None,
            run_id,
            progress.error,
        ],
    )
