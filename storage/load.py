"""Loading rows into DuckDB through Arrow (not executemany: ~50x faster), idempotently; and the `runs` rows.

Each function writes one kind of row and expects to run inside the caller's transaction
(`storage.db.writing`), so a batch lands whole or not at all. A run's row says `running` until the run
records how it ended (completed, failed, interrupted); a later run marks one whose process is gone `abandoned`.
Deciding that a process is gone is the flow's job: nothing here looks at processes or the clock.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_args

import duckdb
import pyarrow as pa

from extractors.charset import without_lone_surrogates
from storage.rows import (
    AliasRow,
    ArticleRow,
    ErrorRow,
    FetchRow,
    GoneRow,
    LoadResult,
    PageRow,
    RunStatus,
    SeenRow,
)

_TS = pa.timestamp("us", tz="UTC")
# Arrow types of the row dataclasses' field annotations (without "| None": every column is nullable).
_ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "datetime": _TS,
    "bool": pa.bool_(),
    "tuple[str, ...]": pa.list_(pa.string()),
    "DateSource": pa.string(),
}


def arrow_schema(row_type: type) -> pa.Schema:
    """The Arrow schema of a row dataclass: one column per field, typed by its annotation.

    A tuple of pairs becomes a list of structs whose field names the dataclass field's metadata gives
    (`metadata={"struct": ("text", "credit")}`).
    """
    columns = []
    for f in dataclasses.fields(row_type):
        annotation = str(f.type).removesuffix(" | None")
        if "struct" in f.metadata:
            first, second = f.metadata["struct"]
            columns.append((f.name, pa.list_(pa.struct([(first, pa.string()), (second, pa.string())]))))
        elif annotation in _ARROW_TYPES:
            columns.append((f.name, _ARROW_TYPES[annotation]))
        else:
            raise TypeError(f"{row_type.__name__}.{f.name}: no Arrow type for {f.type}; add it to _ARROW_TYPES")
    return pa.schema(columns)


ARTICLE_SCHEMA = arrow_schema(ArticleRow)
FETCH_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("kind", pa.string()),
        ("started_at", _TS),
        ("status", pa.int32()),
        ("error", pa.string()),
        ("elapsed_ms", pa.int32()),
        ("bytes", pa.int64()),
        ("conditional", pa.bool_()),
        ("reason", pa.string()),
    ]
)
ERROR_SCHEMA = pa.schema(
    [
        ("stage", pa.string()),
        ("url", pa.string()),
        ("error_type", pa.string()),
        ("message", pa.string()),
        ("occurred_at", _TS),
        ("text", pa.string()),
    ]
)
SEEN_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("kind", pa.string()),
        ("source", pa.string()),
        ("outcome", pa.string()),
        ("last_checked_at", _TS),
        ("fetch_url", pa.string()),
        ("article_url", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("published_at", _TS),
        ("reason", pa.string()),
        ("listed", pa.bool_()),
    ]
)
PAGE_SCHEMA = arrow_schema(PageRow)
GONE_SCHEMA = arrow_schema(GoneRow)
ALIAS_SCHEMA = pa.schema([("alias_url", pa.string()), ("url", pa.string()), ("first_seen_at", _TS)])

# The single `author` column users expect, derived from the list.
_AUTHOR = "nullif(array_to_string({}authors, '; '), '')"
# Article columns rewritten when a page's text changed.
_CONTENT_COLUMNS = [f.name for f in ARTICLE_SCHEMA if f.name not in ("url", "source", "fetched_at")]


def to_arrow(rows: Sequence[Any], schema: pa.Schema) -> pa.Table:
    """Dataclass rows -> an Arrow table with the given schema (column names = field names)."""
    columns: dict[str, list[Any]] = {name: [getattr(row, name) for row in rows] for name in schema.names}
    for f in schema:
        if pa.types.is_list(f.type) and pa.types.is_struct(f.type.value_type):  # pairs -> dicts
            first, second = (f.type.value_type.field(i).name for i in (0, 1))
            columns[f.name] = [[{first: a, second: b} for a, b in pairs] for pairs in columns[f.name]]
    try:
        return pa.table(columns, schema=schema)
    except UnicodeEncodeError:  # a lone surrogate from some page's JSON: one bad string must not sink the batch
        return pa.table({name: without_lone_surrogates(values) for name, values in columns.items()}, schema=schema)


RUN_STATUSES: frozenset[str] = frozenset(get_args(RunStatus))
_RUN_COUNTS = frozenset(
    {"sources", "discovered", "fetched", "stored", "new", "updated", "unchanged", "skipped", "duplicates", "errors"}
)


@dataclass(frozen=True, slots=True)
class RunningRun:
    """A `runs` row still marked running, and the process that claimed it."""

    run_id: str
    started_at: datetime
    pid: int | None
    hostname: str | None
    flow: str = "ingest"


def start_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    flow: str,
    started_at: datetime,
    params: Mapping[str, Any],
    pid: int | None = None,
    hostname: str | None = None,
) -> None:
    """Record that a run of `flow` (ingest, backfill, ingest-warc, reextract) began (idempotent: a retried flow
    run keeps its first start time)."""
    con.execute(
        "INSERT INTO runs (run_id, flow, started_at, status, params, pid, hostname) "
        "VALUES (?, ?, ?, 'running', ?, ?, ?) "
        "ON CONFLICT (run_id) DO UPDATE SET status = 'running', finished_at = NULL, error = NULL, "
        "pid = excluded.pid, hostname = excluded.hostname",
        [run_id, flow, started_at, json.dumps(params, default=str), pid, hostname],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    finished_at: datetime,
    status: RunStatus,
    counts: Mapping[str, int],
    error: str | None = None,
) -> None:
    """Record a run's end, its counts and, unless it completed, why."""
    if status not in RUN_STATUSES:
        raise ValueError(f"run status {status!r} is unknown; use one of {sorted(RUN_STATUSES)}")
    unknown = set(counts) - _RUN_COUNTS
    if unknown:
        raise ValueError(f"unknown run counts: {sorted(unknown)}")
    assignments = "".join(f", {name} = ?" for name in counts)
    con.execute(
        f"UPDATE runs SET finished_at = ?, status = ?, error = ?{assignments} WHERE run_id = ?",
        [finished_at, status, error, *counts.values(), run_id],
    )


def running_runs(con: duckdb.DuckDBPyConnection, *, other_than: str) -> list[RunningRun]:
    """Runs other than `other_than` whose row still says running: going on elsewhere, or dead."""
    rows = con.execute(
        "SELECT run_id, started_at, pid, hostname, flow FROM runs WHERE status = 'running' AND run_id <> ? "
        "ORDER BY started_at",
        [other_than],
    ).fetchall()
    return [RunningRun(*row) for row in rows]


def mark_abandoned(con: duckdb.DuckDBPyConnection, reasons: Mapping[str, str], *, finished_at: datetime) -> None:
    """Mark runs whose process is gone as abandoned, each with the reason it was judged so."""
    for run_id, reason in reasons.items():
        con.execute(
            "UPDATE runs SET status = 'abandoned', finished_at = ?, error = ? WHERE run_id = ? AND status = 'running'",
            [finished_at, reason, run_id],
        )


def load_fetches(con: duckdb.DuckDBPyConnection, run_id: str, rows: Sequence[FetchRow]) -> None:
    """Append HTTP attempts."""
    if rows:
        _insert(con, "fetches", to_arrow(rows, FETCH_SCHEMA), run_id=run_id)


def load_errors(con: duckdb.DuckDBPyConnection, run_id: str, rows: Sequence[ErrorRow]) -> None:
    """Append per-item failures."""
    if rows:
        _insert(con, "errors", to_arrow(rows, ERROR_SCHEMA), run_id=run_id)


def load_pages(con: duckdb.DuckDBPyConnection, run_id: str, rows: Sequence[PageRow]) -> None:
    """Append where archived pages' records are (after the records are on disk: storage/archive.py)."""
    if rows:
        _insert(con, "pages", to_arrow(rows, PAGE_SCHEMA), run_id=run_id)


def load_seen(con: duckdb.DuckDBPyConnection, run_id: str, rows: Sequence[SeenRow]) -> None:
    """Upsert the crawl memory; validators and the article link survive a 304 or a failed retry."""
    if not rows:
        return
    con.register("incoming_seen", _latest_per_key(to_arrow(rows, SEEN_SCHEMA), "url"))
    con.execute(
        """
        INSERT INTO seen_urls BY NAME
        SELECT *, last_checked_at AS first_seen_at, ? AS last_run_id FROM incoming_seen
        ON CONFLICT (url) DO UPDATE SET
            kind = excluded.kind,
            source = coalesce(excluded.source, seen_urls.source),
            fetch_url = coalesce(excluded.fetch_url, seen_urls.fetch_url),
            outcome = excluded.outcome,
            article_url = coalesce(excluded.article_url, seen_urls.article_url),
            etag = coalesce(excluded.etag, seen_urls.etag),
            last_modified = coalesce(excluded.last_modified, seen_urls.last_modified),
            published_at = coalesce(excluded.published_at, seen_urls.published_at),
            last_checked_at = excluded.last_checked_at,
            last_run_id = excluded.last_run_id,
            reason = excluded.reason,
            listed = coalesce(excluded.listed, seen_urls.listed)
        """,
        [run_id],
    )
    # A 304 confirms the stored article as a 200 with the same text does: it was seen by this run, now. Its
    # last_run_id and fetched_at stayed at the run that last got a 200 (clusters.last_seen_at lagged with them).
    con.execute(
        """
        UPDATE articles SET last_run_id = ?, fetched_at = greatest(articles.fetched_at, confirmed.checked_at),
            gone_at = NULL, gone_status = NULL
        FROM (
            SELECT coalesce(s.article_url, s.url) AS url, max(i.last_checked_at) AS checked_at
            FROM incoming_seen i JOIN seen_urls s USING (url)
            WHERE i.kind = 'article' AND i.outcome = 'not_modified'
            GROUP BY ALL
        ) AS confirmed
        WHERE articles.url = confirmed.url
        """,
        [run_id],
    )
    con.unregister("incoming_seen")


def mark_gone(con: duckdb.DuckDBPyConnection, run_id: str, rows: Sequence[GoneRow]) -> None:
    """Mark the stored articles these URLs led to as gone (`gone_at`, `gone_status`), rows and text kept.

    Only the URL an article is at, or whose page gave its text (page_url), says it is gone: an AMP page or a
    variant that 404s leaves the story it led to alone. An article this run has already had again (a 200 or a
    304) is not gone; one already marked keeps the time it was first found gone.
    """
    if not rows:
        return
    con.register("incoming_gone", to_arrow(rows, GONE_SCHEMA))
    try:
        con.execute(
            """
            UPDATE articles SET gone_at = g.checked_at, gone_status = g.status
            FROM (
                SELECT a.url, max(i.checked_at) AS checked_at, arg_max(i.status, i.checked_at) AS status
                FROM incoming_gone i LEFT JOIN seen_urls s USING (url)
                    JOIN articles a ON a.url = coalesce(s.article_url, i.url)
                WHERE a.url = i.url OR a.page_url = i.url
                GROUP BY a.url
            ) AS g
            WHERE articles.url = g.url AND articles.gone_at IS NULL AND articles.last_run_id <> ?
            """,
            [run_id],
        )
    finally:
        con.unregister("incoming_gone")


def load_aliases(con: duckdb.DuckDBPyConnection, rows: Sequence[AliasRow]) -> None:
    """Remember other URLs of stored articles; an alias keeps the article it first pointed to."""
    rows = [r for r in rows if r.alias_url != r.url]
    if rows:
        _insert(
            con,
            "url_aliases",
            _latest_per_key(to_arrow(rows, ALIAS_SCHEMA), "alias_url"),
            ignore_conflicts=True,
        )


def load_articles(con: duckdb.DuckDBPyConnection, run_id: str, rows: Sequence[ArticleRow]) -> LoadResult:
    """Insert new articles, update changed ones in place, touch unchanged ones; one row per URL."""
    if not rows:
        return LoadResult()
    incoming = _latest_per_key(to_arrow(rows, ARTICLE_SCHEMA), "url", by="fetched_at")
    con.register("incoming", incoming)
    try:
        # One join finds the stored ones and which of them changed; each statement below scans `articles`,
        # so those with nothing to do are skipped (a first crawl's batches only insert, a re-check's only touch).
        # An incoming copy fetched before the stored one (an older WARC ingested after a newer one) with other
        # text does not put the older text back: it is counted `older` and the row is left as it is.
        matched = con.execute(
            "SELECT a.article_id, a.content_hash <> i.content_hash, i.fetched_at < a.fetched_at "
            "FROM articles a JOIN incoming i USING (url)"
        ).fetchall()
        changed_ids = [article_id for article_id, changed, older in matched if changed and not older]
        older = sum(1 for _, changed, older in matched if changed and older)
        existing = len(matched)
        if changed_ids:
            set_changed = ", ".join(f"{c} = i.{c}" for c in _CONTENT_COLUMNS)
            con.execute(
                f"UPDATE articles SET {set_changed}, author = {_AUTHOR.format('i.')}, "
                "fetched_at = i.fetched_at, updated_at = i.fetched_at, last_run_id = ?, text_run_id = ?, "
                "gone_at = NULL, gone_status = NULL "
                "FROM incoming i WHERE articles.url = i.url AND articles.article_id IN (SELECT unnest(?))",
                [run_id, run_id, changed_ids],
            )
            _unsign(con, changed_ids)
        if existing > len(changed_ids) + older:
            # greatest(): an archived copy (ingest-warc: fetched_at is its WARC-Date) older than the stored fetch
            # does not move the stored one back in time.
            # The validators and the page's address are the newer fetch's too.
            con.execute(
                "UPDATE articles SET fetched_at = greatest(articles.fetched_at, i.fetched_at), "
                "etag = CASE WHEN i.fetched_at >= articles.fetched_at THEN i.etag ELSE articles.etag END, "
                "last_modified = CASE WHEN i.fetched_at >= articles.fetched_at THEN i.last_modified "
                "ELSE articles.last_modified END, "
                "last_run_id = ?, gone_at = NULL, gone_status = NULL, "
                "page_url = CASE WHEN i.fetched_at >= articles.fetched_at THEN i.page_url "
                "ELSE articles.page_url END "
                "FROM incoming i WHERE articles.url = i.url AND articles.content_hash = i.content_hash",
                [run_id],
            )
        if existing < incoming.num_rows:
            columns = ", ".join(ARTICLE_SCHEMA.names)
            new_only = " WHERE url NOT IN (SELECT url FROM articles)" if existing else ""
            con.execute(
                f"INSERT INTO articles (article_id, {columns}, author, first_run_id, last_run_id, text_run_id) "
                f"SELECT nextval('article_ids'), {columns}, {_AUTHOR.format('')}, ?, ?, ? FROM incoming"
                f"{new_only} ORDER BY fetched_at, url",
                [run_id, run_id, run_id],
            )
    finally:
        con.unregister("incoming")
    new = incoming.num_rows - existing
    # A URL the batch holds twice (a WARC with two captures of a page) is loaded once, its latest copy; the others
    # count as unchanged, so that every page is counted (a review: "27 pages, 25 stored").
    twice = len(rows) - incoming.num_rows
    unchanged = existing - len(changed_ids) + twice
    return LoadResult(new=new, updated=len(changed_ids), unchanged=unchanged, older=older)


# What re-extraction compares: the columns extraction decides (not the HTTP validators of the fetch).
_EXTRACTED_COLUMNS = [c for c in _CONTENT_COLUMNS if c not in ("etag", "last_modified", "page_url")]


def reload_articles(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    rows: Sequence[ArticleRow],
    *,
    updated_at: datetime,
    text_runs: Mapping[str, str | None] | None = None,
) -> LoadResult:
    """Articles extracted again from their archived pages: rows whose extracted fields differ are updated (text
    changed: their signature is dropped, so the dedup step signs and clusters them again), new ones inserted,
    the rest left as they are, untouched (`updated` counts the rows that changed).

    `text_runs`: each article URL's `text_run_id` when its page was read. A row whose text another run has
    written since is left as it is: a crawl that refetched the article while re-extraction went on wrote newer
    text, which the older page must not undo.
    """
    if not rows:
        return LoadResult()
    incoming = _latest_per_key(to_arrow(rows, ARTICLE_SCHEMA), "url")
    read = pa.table(
        {"url": list(text_runs or {}), "text_run_id": list((text_runs or {}).values())},
        schema=pa.schema([("url", pa.string()), ("text_run_id", pa.string())]),
    )
    con.register("incoming", incoming)
    con.register("read_text_runs", read)
    try:
        differs = " OR ".join(f"a.{c} IS DISTINCT FROM i.{c}" for c in _EXTRACTED_COLUMNS)
        matched = con.execute(
            f"SELECT a.article_id, a.content_hash <> i.content_hash, ({differs}) "
            "AND NOT coalesce(r.url IS NOT NULL AND a.text_run_id IS DISTINCT FROM r.text_run_id, false) "
            "FROM articles a JOIN incoming i USING (url) LEFT JOIN read_text_runs r USING (url)"
        ).fetchall()
        changed = [article_id for article_id, _, differ in matched if differ]
        rewritten = [article_id for article_id, text_changed, differ in matched if differ and text_changed]
        if changed:
            assignments = ", ".join(f"{c} = i.{c}" for c in _EXTRACTED_COLUMNS)
            con.execute(
                f"UPDATE articles SET {assignments}, author = {_AUTHOR.format('i.')}, updated_at = ?, "
                "last_run_id = ? FROM incoming i WHERE articles.url = i.url AND articles.article_id IN "
                "(SELECT unnest(?))",
                [updated_at, run_id, changed],
            )
        if rewritten:
            _unsign(con, rewritten)
        if len(matched) < incoming.num_rows:
            columns = ", ".join(ARTICLE_SCHEMA.names)
            con.execute(
                f"INSERT INTO articles (article_id, {columns}, author, first_run_id, last_run_id) "
                f"SELECT nextval('article_ids'), {columns}, {_AUTHOR.format('')}, ?, ? FROM incoming "
                "WHERE url NOT IN (SELECT url FROM articles) ORDER BY fetched_at, url",
                [run_id, run_id],
            )
    finally:
        con.unregister("incoming")
        con.unregister("read_text_runs")
    new = incoming.num_rows - len(matched)
    return LoadResult(new=new, updated=len(changed), unchanged=len(matched) - len(changed))


def _insert(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    rows: pa.Table,
    *,
    run_id: str | None = None,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT an Arrow table by column name, with the run id as an extra column when given."""
    con.register("incoming_rows", rows)
    try:
        run_column = ", ? AS run_id" if run_id is not None else ""
        conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        params = [run_id] if run_id is not None else []
        con.execute(f"INSERT INTO {table_name} BY NAME SELECT *{run_column} FROM incoming_rows{conflict}", params)
    finally:
        con.unregister("incoming_rows")


def _unsign(con: duckdb.DuckDBPyConnection, article_ids: Sequence[int]) -> None:
    """Changed text needs a new signature: drop the old one (and its band keys) so the dedup step signs it again.

    The cluster id stays: the dedup step keeps it if the new text still matches a member, or moves the article out.
    """
    con.execute("DELETE FROM lsh_bands WHERE article_id IN (SELECT unnest(?))", [article_ids])
    con.execute("DELETE FROM signatures WHERE article_id IN (SELECT unnest(?))", [article_ids])


def _latest_per_key(table: pa.Table, key: str, *, by: str | None = None) -> pa.Table:
    """Keep one row for each key, so one batch never writes a key twice: the last, or with `by`, the one with
    the greatest `by` (ties: the last), as two captures of a page in one WARC file may come in any order."""
    keys = table.column(key).to_pylist()
    order = table.column(by).to_pylist() if by else None
    kept: dict[object, int] = {}
    for i, k in enumerate(keys):
        if order is None or k not in kept or order[i] >= order[kept[k]]:
            kept[k] = i
    if len(kept) == len(keys):
        return table
    return table.take(sorted(kept.values()))
