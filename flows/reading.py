"""What the reading commands print and write: SQL results as a table, CSV or JSON lines (query, stats, the
demo's queries) and article exports. Every connection is read-only, and shut out of files unless allowed.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import tempfile
from collections.abc import Collection, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from flows.inputs import InputError
from flows.terminal import error_line

# DuckDB COPY options per export format; "json" writes newline-delimited JSON.
EXPORT_FORMATS = {"parquet": "FORMAT parquet", "jsonl": "FORMAT json", "csv": "FORMAT csv, HEADER"}


DEMO_QUERIES = [
    (
        "Syndicated wire copies: one cluster, several outlets",
        "SELECT cluster_id, size, sources, canonical_title FROM clusters WHERE size > 1 ORDER BY size DESC",
    ),
    (
        "What was removed from the text is kept as data",
        "SELECT source, title, len(captions) AS captions, len(related_links) AS related_links "
        "FROM articles ORDER BY len(captions) DESC LIMIT 5",
    ),
    (
        "Every HTTP attempt is logged",
        "SELECT kind, status, count(*) AS requests, round(avg(elapsed_ms), 1) AS avg_ms "
        "FROM fetches GROUP BY ALL ORDER BY kind, status",
    ),
]


def export_articles(db: Path, out: Path, *, fmt: str, since: date | None = None, unique: bool = False) -> int:
    """Write articles (or one per story) to `out` with DuckDB's COPY; returns the row count.

    The connection may write only in a fresh temporary directory beside `out` (external access is off
    elsewhere); the finished file is then renamed over `out`, so a failed export leaves no partial file.
    """
    import duckdb

    from storage.db import connect, no_space_reason, require_copydesk

    table = "unique_articles" if unique else "articles"
    # A date and a path are quoted as literals: COPY takes no prepared parameters.
    where = f" WHERE coalesce(published_at, fetched_at) >= DATE '{since.isoformat()}'" if since else ""
    kept = f"; {out} is as it was" if out.exists() else ""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = tempfile.TemporaryDirectory(dir=out.parent, prefix=".copydesk-export-")
    except OSError as exc:  # read-only, full, or not a folder (the message named our staging folder)
        raise InputError(f"--out {out}: cannot write in {out.parent}: {exc.strerror or exc}{kept}") from exc
    with staging as tmp:
        staged = Path(tmp) / f"export.{fmt}"
        target = str(staged).replace("'", "''")
        with connect(db, read_only=True, external_access=False, allowed_directories=[f"{tmp}{os.sep}"]) as con:
            require_copydesk(con, db)
            query = f"SELECT {_columns(con, table, fmt)} FROM {table}{where} ORDER BY article_id"
            try:
                (count,) = con.execute(f"COPY ({query}) TO '{target}' ({EXPORT_FORMATS[fmt]})").fetchone() or (0,)
            except duckdb.IOException as exc:  # DuckDB's message for a full disk is a JSON record of its own
                reason = no_space_reason(str(exc))
                if reason is None:
                    raise
                message = f"--out {out}: out of space in {out.parent} ({reason}); nothing was written{kept}"
                raise InputError(message) from None
        os.replace(staged, out)
    return int(count)


def _columns(con: Any, table: str, fmt: str) -> str:
    """The select list: every column, lists and structs as JSON in a CSV (COPY writes them as DuckDB literals,
    [{'text': Police officers, carry ...}], unquoted strings nothing can parse back; `query --format csv` too)."""
    if fmt != "csv":
        return "*"
    described = con.execute(f"DESCRIBE {table}").fetchall()
    nested = ("[]", "STRUCT", "MAP", "UNION")
    return ", ".join(
        f'to_json("{name}")::VARCHAR AS "{name}"' if any(t in str(kind) for t in nested) else f'"{name}"'
        for name, kind, *_ in described
    )


# Each skipped or failed URL once, by its latest outcome and reason (crawl.fetch.Reason, or not_an_article /
# extract from extraction). Rows from before the reason column: a NotAnArticleError in `errors` still names it.
# `in_last_run`: of the last run that checked URLs (a reextract, or a crawl refused beside a running one, checks none).
SKIP_REASONS_SQL = """
SELECT coalesce(s.source, '-') AS source,
       coalesce(s.reason, CASE WHEN EXISTS (SELECT 1 FROM errors e WHERE e.url = s.fetch_url
                                            AND e.error_type = 'NotAnArticleError') THEN 'not_an_article' END,
                'unrecorded') AS reason,
       count(*) FILTER (WHERE s.outcome = 'skipped') AS skipped,
       count(*) FILTER (WHERE s.outcome = 'failed') AS failed,
       count(*) FILTER (WHERE s.last_run_id = (SELECT last_run_id FROM seen_urls ORDER BY last_checked_at DESC
                                               LIMIT 1)) AS in_last_run
FROM seen_urls s
WHERE s.outcome IN ('skipped', 'failed')
GROUP BY ALL
ORDER BY source, skipped + failed DESC, reason
"""


def print_queries(
    db: Path,
    queries: Sequence[tuple[str | None, str]],
    *,
    allow_files: bool = False,
    fmt: str = "table",
    quiet: Collection[int] = (),
    ours: bool = False,
) -> None:
    """Run SQL queries on one read-only connection and print each result, after its heading, as a table, CSV or
    JSON lines (`fmt`): one snapshot of the file, and one open (each replays the WAL a run is writing), and no
    heading printed for a file that cannot be read. The queries at the positions `quiet` are run, not printed (a
    script's CREATE TEMP MACRO).

    Read-only for the machine too: unless `allow_files`, the SQL reaches this database and nothing else
    (no files, URLs or extensions; see storage.db.connect), so a query box cannot read or write the host.
    """
    import duckdb
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from storage.db import columns_missing, connect, require_copydesk

    class PipedConsole(Console):
        def on_broken_pipe(self) -> None:
            # A reader gone from the pipe (`copydesk stats | head -1`) ends the command with 141 in
            # flows.cli.main, as CSV and JSON output do; Rich's own handling exits 1 and says nothing.
            self.quiet = True
            raise BrokenPipeError

    def waiting(message: str) -> None:
        print(f"waiting: {message}", file=sys.stderr)

    with connect(db, read_only=True, on_wait=waiting, external_access=allow_files) as con:
        if ours:  # copydesk's own queries (stats): another tool's file gets that said, not "no table articles"
            require_copydesk(con, db)
            if missing := columns_missing(con):  # said before anything is printed
                raise InputError(_older_release(db, missing))
        for position, (heading, sql) in enumerate(queries):
            try:
                cursor = con.execute(sql)
            except duckdb.PermissionException as exc:
                raise InputError(
                    f"copydesk query reads only the database ({error_line(exc)}); pass --allow-files to let SQL "
                    "read and write files"
                ) from None
            except (duckdb.BinderException, duckdb.CatalogException) as exc:
                if missing := columns_missing(con):
                    raise InputError(f"{error_line(exc)}; {_older_release(db, missing)}") from None
                raise
            if position in quiet:
                continue
            if cursor is None or cursor.description is None:
                raise InputError(f"no statement in {sql!r} returns rows; pass a query such as SELECT ...")
            if heading is not None:
                print(heading)
            if fmt != "table":
                write_rows(cursor, fmt, sys.stdout)
                continue
            # Text, not markup: an article's "[button]...[/button]" shortcode is no Rich style tag (it raised).
            table = Table(show_lines=False)
            for column in cursor.description:
                table.add_column(Text(column[0]))
            for row in cursor.fetchall():
                table.add_row(*(Text("" if v is None else str(v)) for v in row))
            PipedConsole(width=160).print(table)


def _older_release(db: Path, missing: Sequence[str]) -> str:
    shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
    return (
        f"{db} was written by an older copydesk (it has no {shown}); the first writing command (`copydesk run`, "
        "`reextract` or `rebuild-clusters`) upgrades it in place, and reading commands leave it as it is"
    )


def write_rows(cursor: Any, fmt: str, out: Any, *, chunk: int = 10_000) -> None:
    """A query's rows as CSV (with a header) or JSON lines, whole and streamed (a table cuts long cells).

    Lists and structs are written as JSON in a CSV cell; times and decimals as their text, blobs in hex. In JSON
    lines a NaN or infinite number is null: JSON has no such values (json.dumps would write `NaN`, which
    JSON.parse and most readers refuse).
    """
    columns = [d[0] for d in cursor.description]
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(columns)
    while rows := cursor.fetchmany(chunk):
        for row in rows:
            if writer is None:
                record = dict(zip(columns, (_json_value(v) for v in row), strict=True))
                out.write(json.dumps(record, default=_text, ensure_ascii=False, allow_nan=False) + "\n")
            else:
                writer.writerow(_csv_cell(v) for v in row)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(_json_value(value), default=_text, allow_nan=False)
    return _text(value) if isinstance(value, bytes | bytearray | memoryview) else value


def _json_value(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _text(value: Any) -> str:
    """A value JSON has no type for: a blob in hex, anything else (times, decimals, intervals) as its text."""
    return value.hex() if isinstance(value, bytes | bytearray | memoryview) else str(value)
