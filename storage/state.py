"""Reading the crawl memory: what we fetched before, with which validators, and what it led to."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

import duckdb

from storage.rows import DateSource


@dataclass(frozen=True, slots=True)
class SeenState:
    """The last outcome of requesting one URL."""

    url: str
    kind: str
    outcome: str
    last_checked_at: datetime
    article_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    published_at: datetime | None = None
    first_seen_at: datetime | None = None
    reason: str | None = None


def seen_states(con: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> dict[str, SeenState]:
    """Crawl memory for the given URLs (missing URLs were never requested).

    A feed's or sitemap's validators are kept only if the run that last checked it completed: a run killed,
    interrupted or failed after loading its discovery batch may not have fetched everything the listing
    named, so a 304 for it next time would hide those articles. Without validators the listing is fetched
    whole and planning skips what is already stored.
    """
    urls = list(urls)
    if not urls:
        return {}
    rows = con.execute(
        """
        SELECT s.url, s.kind, s.outcome, s.last_checked_at, s.article_url,
               CASE WHEN s.kind = 'article' OR r.status = 'completed' THEN s.etag END,
               CASE WHEN s.kind = 'article' OR r.status = 'completed' THEN s.last_modified END,
               s.published_at, s.first_seen_at, s.reason
        FROM seen_urls s LEFT JOIN runs r ON r.run_id = s.last_run_id
        WHERE s.url IN (SELECT unnest(?))
        """,
        [urls],
    ).fetchall()
    return {r[0]: SeenState(*r) for r in rows}


def known_listings(con: duckdb.DuckDBPyConnection, source: str, kind: Literal["feed", "sitemap"]) -> list[str]:
    """Feeds or sitemaps of a source that answered in their last run (children of sitemap indexes included), and
    feeds that failed in it."""
    # A feed that failed (5xx, timeout) in the run its site was down is still the site's feed; one that went away
    # (404, 410) or that robots.txt now disallows is not.
    outcomes = ("ok", "not_modified", "failed") if kind == "feed" else ("ok", "not_modified")
    rows = con.execute(
        "SELECT url FROM seen_urls WHERE kind = ? AND source = ? AND outcome IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY url",
        [kind, source, list(outcomes)],
    ).fetchall()
    return [r[0] for r in rows]


def recent_articles(
    con: duckdb.DuckDBPyConnection, *, now: datetime, window: timedelta
) -> list[tuple[str, str, str | None, datetime | None, DateSource | None]]:
    """(url, source, fetch_url, published_at, published_from) of stored articles recent enough to check for updates.

    Recent means published within `window` before the source's newest article (or now, if earlier):
    a source's own newest story is its clock, so a skewed or replayed site still has recent articles
    and an old archive is not re-checked whole. Undated articles count from when we first saw them.
    """
    rows = con.execute(
        """
        WITH newest AS (
            SELECT source, least(max(published_at), ?::TIMESTAMPTZ) AS reference
            FROM seen_urls WHERE kind = 'article' GROUP BY source
        )
        SELECT s.url, s.source, s.fetch_url, s.published_at, a.published_from
        FROM seen_urls s JOIN newest n USING (source) LEFT JOIN articles a ON a.url = s.article_url
        WHERE s.kind = 'article' AND s.outcome IN ('ok', 'not_modified')
          AND CASE WHEN s.published_at IS NULL THEN s.first_seen_at >= ?::TIMESTAMPTZ - ?
                   ELSE s.published_at >= n.reference - ? END
        ORDER BY s.url
        """,
        [now, now, window, window],
    ).fetchall()
    return [(r[0], r[1], r[2], r[3], cast("DateSource | None", r[4])) for r in rows]


def failed_articles(
    con: duckdb.DuckDBPyConnection, source: str, *, now: datetime, horizon: timedelta, retry_reasons: Collection[str]
) -> list[tuple[str, str | None, bool]]:
    """(url, fetch_url, listed) of a source's article URLs whose last fetch failed (or was skipped for one of
    `retry_reasons`), first seen within `horizon`: tried again whether or not a listing still names them, as listed
    as they were then (rows from before that was kept: listed)."""
    rows = con.execute(
        """
        SELECT url, fetch_url, coalesce(listed, true) FROM seen_urls
        WHERE kind = 'article' AND source = ? AND (outcome = 'failed' OR reason IN (SELECT unnest(?::VARCHAR[])))
          AND first_seen_at >= ?::TIMESTAMPTZ - ?
        ORDER BY url
        """,
        [source, list(retry_reasons), now, horizon],
    ).fetchall()
    return [(url, fetch_url, listed) for url, fetch_url, listed in rows]
