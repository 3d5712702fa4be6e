"""`copydesk` command line: run, demo, clean, query, stats.

Our own errors become a one-line message and exit code 1; tracebacks only with --debug.
Prefect is imported lazily, after its offline settings are in the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEMO_DB = "copydesk-demo.duckdb"
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `copydesk` console script."""
    args = _parser().parse_args(argv)
    _offline_prefect_env()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # httpx logs every request at INFO
    try:
        return int(args.command(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"copydesk: error: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="copydesk", description="Ingest news sites, strip boilerplate, cluster wire copies, load DuckDB."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the ingest flow once over a sources file")
    run.add_argument("--sources", required=True, help="sources TOML ([[sources]] and [settings])")
    run.add_argument("--db", help="DuckDB file to write (default: [settings].db)")
    run.add_argument("--allow-private", action="store_true", default=None, help="allow private and loopback addresses")
    run.add_argument("--source", action="append", dest="source_names", help="only this source (repeatable)")
    run.add_argument("--refetch-window-hours", type=float, help="re-check articles published this recently")
    run.set_defaults(command=_cmd_run)

    demo = commands.add_parser("demo", help="serve the bundled sample newsroom on loopback and ingest it")
    demo.add_argument("--db", default=DEMO_DB, help=f"DuckDB file to write (default: {DEMO_DB}, recreated)")
    demo.set_defaults(command=_cmd_demo)

    clean = commands.add_parser("clean", help="print the clean text of an HTML or plain-text file")
    clean.add_argument("file", help="HTML or plain-text file ('-' for standard input)")
    clean.add_argument("--url", help="the page's URL, for metadata and relative links")
    clean.set_defaults(command=_cmd_clean)

    query = commands.add_parser("query", help="run SQL against the database (read-only) and print a table")
    query.add_argument("sql")
    query.add_argument("--db", default="copydesk.duckdb")
    query.set_defaults(command=_cmd_query)

    stats = commands.add_parser("stats", help="per-source and cluster statistics")
    stats.add_argument("--db", default="copydesk.duckdb")
    stats.set_defaults(command=_cmd_stats)
    return parser


def _offline_prefect_env() -> None:
    """Prefect must never phone home; its state lives next to the project unless told otherwise."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_HOME", str(Path.cwd() / ".prefect"))
    # The ephemeral API server needs ~10 s to start on a 2-core machine; the default budget is tight.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "extractors,storage,flows")


def _cmd_run(args: argparse.Namespace) -> int:
    summary = run_ingest(
        args.sources,
        db=args.db,
        allow_private=args.allow_private,
        source_names=args.source_names,
        refetch_window_hours=args.refetch_window_hours,
    )
    print_summary(summary)
    return 0


def run_ingest(sources: str, **parameters: Any) -> dict[str, Any]:
    """Run the ingest flow in this process, against Prefect's ephemeral API (no server needed)."""
    from flows.config import load_config
    from flows.ingest import ingest

    load_config(sources)  # fail fast with a clear message before Prefect starts
    return asyncio.run(ingest(sources, **parameters))


def print_summary(summary: dict[str, Any]) -> None:
    rows = [
        ("sources", summary["sources"]),
        ("URLs discovered", summary["discovered"]),
        ("fetched", summary["fetched"]),
        ("stored", f"{summary['stored']} ({summary['new']} new, {summary['updated']} updated)"),
        ("unchanged", summary["unchanged"]),
        ("duplicates found", summary["duplicates"]),
        ("errors", summary["errors"]),
        ("wall time", f"{summary['seconds']:.1f} s"),
        ("database", summary["db"]),
        ("run id", summary["run_id"]),
    ]
    width = max(len(k) for k, _ in rows)
    print("\ncopydesk run summary")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


def _cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo import serve_demo_sites

    db = Path(args.db)
    for stale in (db, Path(f"{db}.wal")):
        stale.unlink(missing_ok=True)  # the demo's ports change each time, so start from an empty file
    with serve_demo_sites() as sites, tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "demo-sources.toml"
        sources.write_text(sites.sources_toml() + "\n[settings]\nper_host_delay = 0.05\n", encoding="utf-8")
        print(f"Serving {len(sites.sources)} sample sites on 127.0.0.1; ingesting into {db}")
        summary = run_ingest(str(sources), db=str(db), allow_private=True)
    print_summary(summary)
    for title, sql in DEMO_QUERIES:
        print(f"\n-- {title}\n{sql};")
        print_query(db, sql)
    print(f'\nExplore it yourself: copydesk query --db {db} "SELECT url, title FROM articles"')
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    from extractors.article import clean_document

    content = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    article = clean_document(content, url=args.url)
    print(article.text)
    if article.captions:
        print("\n--- removed captions and gallery ---")
        for caption in article.captions:
            print(f"{caption.text}" + (f"  [{caption.credit}]" if caption.credit else ""))
    if article.related_links:
        print("\n--- removed related links ---")
        for link in article.related_links:
            print(link.title + (f"  <{link.url}>" if link.url else ""))
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    print_query(Path(args.db), args.sql)
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    db = Path(args.db)
    print("-- per source")
    print_query(
        db,
        "SELECT source, count(*) AS articles, count(DISTINCT cluster_id) AS clusters, "
        "sum((NOT is_canonical)::INT) AS syndicated_copies, max(fetched_at) AS last_fetched "
        "FROM articles GROUP BY source ORDER BY source",
    )
    print("\n-- largest clusters")
    print_query(db, "SELECT cluster_id, size, sources, canonical_title FROM clusters ORDER BY size DESC LIMIT 10")
    print("\n-- recent runs")
    print_query(
        db,
        "SELECT run_id, status, started_at, finished_at, discovered, fetched, new, updated, errors "
        "FROM runs ORDER BY started_at DESC LIMIT 5",
    )
    return 0


def print_query(db: Path, sql: str) -> None:
    """Run SQL on a read-only connection and print the result as a table."""
    from rich.console import Console
    from rich.table import Table

    from storage.db import connect

    def waiting(message: str) -> None:
        print(f"waiting: {message}", file=sys.stderr)

    with connect(db, read_only=True, on_wait=waiting) as con:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchall()
    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console(width=160).print(table)
