"""`copydesk` command line: run, backfill, rebuild-clusters, reextract, ingest-warc, serve, demo, clean, query,
export, stats.

Our own errors become a one-line message and exit code 1; tracebacks only with --debug, Prefect's log lines
included. SIGINT or SIGTERM stop a crawl: the run is marked interrupted and the exit code is 128 + the signal.
Prefect is imported lazily, after its offline settings are in the environment. What the reading commands print
is in flows/reading.py; signals, streams and progress bars around a flow in flows/terminal.py.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from crawl.proxies import ProxyEnvironment
from flows.config import ConfigError, Settings, enabled_sources, load_config
from flows.ephemeral import api_for_workers, start_temporary_server
from flows.inputs import InputError, database_path, output_path, read_document, refuse_binary
from flows.reading import DEMO_QUERIES, EXPORT_FORMATS, SKIP_REASONS_SQL, export_articles, print_queries
from flows.terminal import (
    Interrupted,
    console_tracebacks,
    error_line,
    outliving_readers,
    progress_bars,
    reader_gone,
    sigterm_interrupts,
)

DEMO_DB = "copydesk-demo.duckdb"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `copydesk` console script."""
    args = _parser().parse_args(argv)
    _offline_prefect_env()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # httpx logs every request at INFO
    try:
        with outliving_readers(args.job):
            return int(args.command(args) or 0)
    except KeyboardInterrupt:
        print("copydesk: interrupted by SIGINT", file=sys.stderr)
        return 128 + signal.SIGINT
    except Interrupted as stop:
        print(f"copydesk: interrupted by {stop}", file=sys.stderr)
        return 128 + stop.signum
    except Exception as exc:
        if isinstance(exc, BrokenPipeError) and reader_gone(sys.stdout):
            # `copydesk stats | head`: the reader has what it wanted, which is not an error. Python flushes
            # stdout again at exit, into the same closed pipe: what is left goes nowhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 128 + signal.SIGPIPE
        if args.debug:
            raise
        from storage.db import explained

        print(f"copydesk: error: {error_line(explained(exc))}", file=sys.stderr)
        return 1


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("copydesk")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="copydesk", description="Ingest news sites, strip boilerplate, cluster wire copies, load DuckDB."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"copydesk {_version()}")
    parser.set_defaults(job=False)  # commands that write the database set it: see outliving_readers
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the ingest flow once over a sources file")
    _crawl_arguments(run)
    run.add_argument("--source", action="append", dest="source_names", help="only this source (repeatable)")
    run.add_argument("--refetch-window-hours", type=float, help="re-check articles published this recently")
    run.add_argument(
        "--task-runner",
        choices=("default", "dask"),
        default="default",
        help="where extraction runs: this process (default) or Dask workers (a local cluster unless --dask-address)",
    )
    run.add_argument("--dask-address", help="scheduler of an existing Dask cluster, e.g. tcp://10.0.0.5:8786")
    run.add_argument(
        "--dask-workers", type=_worker_count, help="workers of the local Dask cluster (default: CPU count)"
    )
    run.set_defaults(command=_cmd_run, job=True)

    backfill = commands.add_parser("backfill", help="re-crawl some sources, re-checking a wider window of articles")
    _crawl_arguments(backfill)
    backfill.add_argument("--source", action="append", dest="source_names", required=True, help="source (repeatable)")
    backfill.add_argument("--refetch-window-hours", type=float, default=24.0 * 7, help="default: 168 (a week)")
    backfill.set_defaults(command=_cmd_backfill, job=True)

    rebuild = commands.add_parser(
        "rebuild-clusters",
        help="drop the dedup index and cluster every article again (rerun it to finish a stopped one)",
    )
    rebuild.add_argument("--db", help="DuckDB file (default: [settings].db of --sources, else copydesk.duckdb)")
    rebuild.add_argument("--sources", help="sources TOML whose [settings] hold the dedup parameters")
    rebuild.add_argument("--dedup-threshold", type=float, help="estimated Jaccard above which articles are copies")
    rebuild.set_defaults(command=_cmd_rebuild, job=True)

    reextract = commands.add_parser(
        "reextract", help="extract archived pages again (no network) and update the articles that changed"
    )
    reextract.add_argument("--db", help="DuckDB file (default: [settings].db of --sources, else copydesk.duckdb)")
    reextract.add_argument("--sources", help="sources TOML: [settings] (archive_dir, dedup) and extraction hints")
    reextract.add_argument("--source", action="append", dest="source_names", help="only this source (repeatable)")
    reextract.add_argument("--since", type=_utc_datetime, help="only pages fetched since, e.g. 2025-06-01")
    reextract.add_argument("--url-like", help="only URLs matching this SQL LIKE pattern, e.g. '%%/2025/06/%%'")
    reextract.set_defaults(command=_cmd_reextract, job=True)

    warc = commands.add_parser(
        "ingest-warc", help="extract, load and cluster the pages of WARC files (CC-NEWS, or copydesk's archive)"
    )
    warc.add_argument("paths", nargs="+", metavar="PATH", help="WARC files (.warc, .warc.gz), folders or globs")
    warc.add_argument("--db", help="DuckDB file (default: [settings].db of --sources, else copydesk.duckdb)")
    warc.add_argument("--sources", help="sources TOML: [settings], extraction hints, and which host is which source")
    warc.add_argument(
        "--task-runner",
        choices=("default", "dask"),
        default="default",
        help="where files are read and extracted: this process's workers, or Dask workers (2,000 pages of a file "
        "a task, files side by side)",
    )
    warc.add_argument("--dask-address", help="scheduler of an existing Dask cluster whose workers see the files")
    warc.add_argument(
        "--dask-workers", type=_worker_count, help="workers of the local Dask cluster (default: CPU count)"
    )
    warc.set_defaults(command=_cmd_ingest_warc, job=True)

    serve = commands.add_parser(
        "serve", help="start a local Prefect server (unless PREFECT_API_URL is set) and serve the deployments"
    )
    serve.add_argument(
        "--sources", default="sources.toml", help="sources TOML of the scheduled runs (default: sources.toml)"
    )
    serve.add_argument("--db", help="DuckDB file (default: [settings].db)")
    serve.add_argument("--cron", default="0 * * * *", help="schedule of ingest-hourly (default: hourly, UTC)")
    serve.add_argument(
        "--allow-private", action="store_true", default=None, help="allow private and loopback addresses"
    )
    serve.add_argument("--port", type=_port, default=4200, help="port of the local Prefect server and UI")
    serve.set_defaults(command=_cmd_serve, job=True)

    demo = commands.add_parser("demo", help="serve the bundled sample newsroom on loopback and ingest it")
    demo.add_argument(
        "--db", default=DEMO_DB, help=f"DuckDB file to write (default: {DEMO_DB}; an earlier demo's is recreated)"
    )
    demo.add_argument(
        "--serve-only",
        metavar="SOURCES_TOML",
        help="only serve the sample sites, until Ctrl-C, and write their sources file here (to try `copydesk "
        "serve` or a Prefect deployment against them, with allow_private)",
    )
    demo.set_defaults(command=_cmd_demo, job=True)

    clean = commands.add_parser("clean", help="print the clean text of an HTML or plain-text file")
    clean.add_argument("file", help="HTML or plain-text file ('-' for standard input)")
    clean.add_argument("--url", help="the page's URL, for metadata and relative links")
    clean.add_argument("--max-bytes", type=int, help="refuse bigger files (default: the crawl's max_bytes, 10 MB)")
    clean.add_argument("--extract-timeout", type=float, help="seconds the extraction may take (default: 10)")
    clean.set_defaults(command=_cmd_clean)

    query = commands.add_parser("query", help="run SQL against the database (read-only) and print a table")
    query.add_argument(
        "sql",
        help='SQL, e.g. "SELECT source, count(*) FROM articles GROUP BY ALL" (several statements: each result in '
        "turn); - reads stdin",
    )
    query.add_argument("--db", default="copydesk.duckdb", help="DuckDB file to read (default: copydesk.duckdb)")
    query.add_argument(
        "--allow-files", action="store_true", help="let the SQL read and write files, URLs and extensions"
    )
    query.add_argument(
        "--format",
        choices=("table", "csv", "jsonl"),
        default="table",
        help="table (default; long cells cut to fit), or every value whole: csv (with a header) or JSON lines",
    )
    query.set_defaults(command=_cmd_query)

    export = commands.add_parser("export", help="write articles to a Parquet, JSON lines or CSV file")
    export.add_argument("--db", default="copydesk.duckdb", help="DuckDB file to read (default: copydesk.duckdb)")
    export.add_argument("--format", choices=sorted(EXPORT_FORMATS), required=True)
    export.add_argument("--out", required=True, help="file to write (replaced if it exists); - for standard output")
    export.add_argument("--since", type=_iso_date, help="only articles published on or after YYYY-MM-DD")
    export.add_argument("--unique", action="store_true", help="one article per story (the unique_articles view)")
    export.set_defaults(command=_cmd_export)

    stats = commands.add_parser("stats", help="per-source and cluster statistics")
    stats.add_argument("--db", default="copydesk.duckdb", help="DuckDB file to read (default: copydesk.duckdb)")
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
    # Those loggers also speak outside a flow run (a database lock waited for before the run, a flow that ended):
    # their lines go to the terminal, without Prefect's UserWarning that they could not go to the API.
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    # Prefect's client reads HTTP_PROXY too, and through a proxy "127.0.0.1" is the proxy's machine: a run's
    # temporary server went unreached, the run failing after two minutes of health checks. This machine's
    # addresses go direct (a crawl's pages on loopback too, which a proxy elsewhere cannot reach either).
    _bypass_proxies_for_loopback(os.environ)


def _bypass_proxies_for_loopback(environ: MutableMapping[str, str]) -> None:
    """Add loopback to no_proxy (both spellings: one set alone would hide the other) when a proxy is set, the
    variables read as the crawl reads them (crawl.proxies)."""
    try:
        proxies = ProxyEnvironment.from_environ(environ)
    except ValueError:
        return  # a bad proxy variable: the run itself says so, in its own words
    if proxies.http is None and proxies.https is None:
        return
    entries = list(proxies.no_proxy)
    environ["no_proxy"] = environ["NO_PROXY"] = ",".join([*entries, *(h for h in _LOOPBACK if h not in entries)])


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _crawl_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", required=True, help="sources TOML ([[sources]] and [settings])")
    parser.add_argument("--db", help="DuckDB file to write (default: [settings].db)")
    parser.add_argument(
        "--allow-private", action="store_true", default=None, help="allow private and loopback addresses"
    )


def _cmd_run(args: argparse.Namespace) -> int:
    runner = _task_runner(args.task_runner, address=args.dask_address, workers=args.dask_workers)
    return _crawl(args, task_runner=runner)


def _cmd_backfill(args: argparse.Namespace) -> int:
    from flows.ingest import backfill

    # A backfill widens what a database already holds: without one it would start a crawl in a new file.
    settings = overridden(load_config(args.sources).settings, db=args.db)
    database_path(settings.db, flag=chosen_by(args.sources, args.db, settings), must_exist=True)
    return _crawl(args, flow=backfill)


# The CLI flag behind each setting it overrides, to name it in an error.
_FLAGS = {
    "db": "--db",
    "allow_private": "--allow-private",
    "refetch_window_hours": "--refetch-window-hours",
    "dedup_threshold": "--dedup-threshold",
    "max_bytes": "--max-bytes",
    "extract_timeout": "--extract-timeout",
}


def overridden(settings: Settings, **flags: Any) -> Settings:
    """`settings` with the given CLI flags (None: not given) applied, each validated as the sources file is."""
    for key, value in flags.items():
        if value is not None:
            try:
                settings = settings.with_overrides(**{key: value})
            except ValueError as exc:
                raise ConfigError(f"{_FLAGS[key]}: {exc}") from None
    return settings


def chosen_by(sources: str | None, db_flag: str | None, settings: Settings) -> str:
    """What chose the database path, to name it in an error about the path: --db, the sources file, or neither."""
    if db_flag is not None:
        return "--db"
    if settings.db != Settings().db:
        return f"{sources}: [settings]: db ="
    return f"the default database (no --db, no db in {sources})" if sources else "the default database"


def _checked_crawl(sources: str, parameters: dict[str, Any]) -> None:
    """Refuse here, with one line and before Prefect starts, everything the crawl flow would refuse later."""
    config = load_config(sources)
    flags = {k: v for k, v in parameters.items() if k in _FLAGS}
    settings = overridden(config.settings, **flags)
    names = parameters.get("source_names") or []
    unknown = sorted(set(names) - {s.name for s in config.sources})
    if unknown:
        raise ConfigError(
            f"--source {unknown[0]}: no such source in {sources}; it has {[s.name for s in config.sources]}"
        )
    enabled_sources(config, names)  # a disabled source named with --source
    database_path(settings.db, flag=chosen_by(sources, flags.get("db"), settings), must_exist=False)
    settings.check_folders()


def _crawl(args: argparse.Namespace, *, flow: Any = None, task_runner: Any = None) -> int:
    summary = run_ingest(
        args.sources,
        flow=flow,
        task_runner=task_runner,
        tracebacks=args.debug,
        db=args.db,
        allow_private=args.allow_private,
        source_names=args.source_names,
        refetch_window_hours=args.refetch_window_hours,
    )
    print_summary(summary, command="backfill" if flow is not None else "run")
    return 0


def _cmd_rebuild(args: argparse.Namespace) -> int:
    from flows.maintenance import rebuild_clusters

    settings = load_config(args.sources).settings if args.sources else Settings()
    settings = overridden(settings, db=args.db, dedup_threshold=args.dedup_threshold)
    database_path(settings.db, flag=chosen_by(args.sources, args.db, settings), must_exist=True)
    start_temporary_server()
    with console_tracebacks(args.debug):
        result = rebuild_clusters(db=args.db, sources=args.sources, dedup_threshold=args.dedup_threshold)
    print(f"rebuilt clusters of {result['db']}: {result['signed']} articles signed, {result['matches']} matches")
    return 0


def _refuse_unknown_sources(db: Path, names: Sequence[str]) -> None:
    """An InputError naming the sources of which the archive holds no page (a typo re-extracted nothing)."""
    if not names:
        return
    import duckdb

    from storage.db import connect

    with connect(db, read_only=True) as con:
        try:
            archived = [n for (n,) in con.execute("SELECT DISTINCT source FROM pages ORDER BY source").fetchall()]
        except duckdb.CatalogException:  # a database from before the archive: no page of any source
            archived = []
    unknown = [name for name in names if name not in archived]
    if unknown:
        raise InputError(f"no archived page of source {', '.join(map(repr, unknown))} in {db}; it has {archived}")


def _cmd_reextract(args: argparse.Namespace) -> int:
    from flows.reextract import reextract

    settings = load_config(args.sources).settings if args.sources else Settings()
    settings = overridden(settings, db=args.db)
    db = database_path(settings.db, flag=chosen_by(args.sources, args.db, settings), must_exist=True)
    _refuse_unknown_sources(db, args.source_names or [])
    with stops_interrupt(), console_tracebacks(args.debug):
        start_temporary_server()
        result = asyncio.run(
            reextract(
                db=args.db,
                sources=args.sources,
                source_names=args.source_names,
                since=args.since,
                url_like=args.url_like,
            )
        )
    print(
        f"reextract {result['db']}: {result['pages']} archived pages, {result['changed']} rows changed "
        f"({result['updated']} updated, {result['new']} new), {result['unchanged']} unchanged, "
        f"{result['not_extracted']} not articles, {result['unreadable']} unreadable, {result['stale']} stale"
    )
    if result["unreadable"]:  # their rows are as they were; a moved or deleted archive is the usual cause
        print(
            f"reextract: {result['unreadable']} archived pages could not be read (the errors table says why, stage "
            f"'reextract'); archived pages are looked for in {settings.archive_path().resolve()}, ingested WARC "
            "files where they were ingested from",
            file=sys.stderr,
        )
        return 1
    return 0


def _cmd_ingest_warc(args: argparse.Namespace) -> int:
    from flows.warc_ingest import ingest_warc
    from flows.warc_input import warc_paths

    settings = overridden(load_config(args.sources).settings if args.sources else Settings(), db=args.db)
    database_path(settings.db, flag=chosen_by(args.sources, args.db, settings), must_exist=False)
    warc_paths(args.paths)  # nothing to ingest: one line before Prefect starts
    runner = _task_runner(args.task_runner, address=args.dask_address, workers=args.dask_workers)
    flow = ingest_warc.with_options(task_runner=runner) if runner is not None else ingest_warc
    with stops_interrupt(), console_tracebacks(args.debug):
        start_temporary_server()
        with api_for_workers(runner):  # Dask workers get the server just started
            result = asyncio.run(flow(paths=args.paths, db=args.db, sources=args.sources))
    skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(result["skipped"].items())) or "none"
    # An older copy than the stored article's (a backfill after a crawl), with other text, leaves it as it is.
    older = f", {result['older']} of them older copies than the stored text" if result["older"] else ""
    print(
        f"ingest-warc {result['db']}: {result['files']} files ({result['files_done_before']} done before), "
        f"{result['records']} records, {result['pages']} pages, {result['stored']} stored ({result['new']} new, "
        f"{result['updated']} updated, {result['unchanged']} unchanged{older}), "
        f"{result['not_extracted']} not articles, {result['duplicates']} duplicates; skipped: {skipped}"
    )
    for problem in result["failed_files"]:  # the rest of the files were ingested; this one is tried again next time
        print(f"ingest-warc: failed: {problem}", file=sys.stderr)
    return 1 if result["failed_files"] else 0


def _checked_cron(cron: str) -> None:
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    try:
        CronSchedule(cron=cron)
    except ValidationError:
        raise InputError(
            f"--cron {cron!r} is not a cron schedule; give five fields, minute hour day month weekday, in UTC: "
            "'0 * * * *' is hourly, '*/15 * * * *' every 15 minutes, '30 6 * * 1-5' at 6:30 on weekdays"
        ) from None


def _port(value: str) -> int:
    """A --port (`--port 99999` got as far as "prefect server exited with code 1: An exception occurred.")."""
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a TCP port, 1 to 65535 (4200 is Prefect's own)")
    return int(value)


def _worker_count(value: str) -> int:
    """A --dask-workers (-1 started a cluster of no workers, and the run waited for ever)."""
    if not (value.isascii() and value.isdigit()):
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of workers: 1 or more (0: one per CPU)")
    return int(value)


def _iso_date(value: str) -> date:
    """An --since day of `export` (argparse said only "invalid fromisoformat value")."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day such as 2025-06-01") from None


def _utc_datetime(value: str) -> datetime:
    """A --since value: an ISO date or date-time, UTC unless it says otherwise."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date such as 2025-06-01 or 2025-06-01T12:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _cmd_serve(args: argparse.Namespace) -> int:
    from flows.serve import serve

    parameters = {"sources": args.sources, "db": args.db, "allow_private": args.allow_private}
    _checked_crawl(args.sources, parameters)  # now, not at the first scheduled run an hour from now
    _checked_cron(args.cron)  # before a Prefect server is started for nothing
    serve(parameters={k: v for k, v in parameters.items() if v is not None}, cron=args.cron, port=args.port)
    return 0


def _task_runner(name: str, *, address: str | None, workers: int | None) -> Any:
    """None for the flow's default runner, else a DaskTaskRunner (local cluster unless an address is given)."""
    if name == "default":
        if address or workers is not None:  # (--dask-workers 0 too)
            raise ValueError("--dask-address and --dask-workers need --task-runner dask")
        return None
    try:
        from prefect_dask.task_runners import DaskTaskRunner
    except ModuleNotFoundError:
        raise ValueError("--task-runner dask needs prefect-dask: pip install 'copydesk[dask]'") from None

    if address:
        address = _scheduler_address(address)
        _reachable_scheduler(address)
        return DaskTaskRunner(address=address)
    # One thread per worker process: extraction is CPU-bound Python, so threads would share one GIL.
    cluster = {"n_workers": workers or os.cpu_count() or 1, "threads_per_worker": 1, "dashboard_address": None}
    return DaskTaskRunner(cluster_kwargs=cluster)


def _scheduler_address(address: str) -> str:
    """A --dask-address as Dask reads it: without surrounding spaces, its scheme in lower case ("TCP://" and " tcp://"
    passed the check and failed every page with "unknown address scheme")."""
    scheme, sep, rest = address.strip().rpartition("://")
    return f"{scheme.lower()}{sep}{rest}"


def _reachable_scheduler(address: str, timeout: float = 10.0) -> None:
    """Refuse a --dask-address where nothing answers, before anything is fetched: each page's extraction waited
    30 s for the scheduler, and the run ended in "N unexpected errors". Only tcp:// (Dask's default) is tried."""
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp"):
        return
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--dask-address {address}: give the scheduler as tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ValueError(
            f"--dask-address {address}: no Dask scheduler answers there ({exc.strerror or exc}); start one with "
            "`dask scheduler`, or leave out --dask-address for a local cluster"
        ) from None


def run_ingest(
    sources: str, *, flow: Any = None, task_runner: Any = None, tracebacks: bool = True, **parameters: Any
) -> dict[str, Any]:
    """Run a crawl flow (default: ingest) in this process, against Prefect's ephemeral API unless
    PREFECT_API_URL names a server, with progress bars on standard error.

    SIGTERM raises Interrupted, as SIGINT raises KeyboardInterrupt; both reach the flow, which marks its run
    interrupted. Without `tracebacks`, Prefect's console log lines keep their message and drop the traceback.
    """

    from flows.ingest import ingest

    _checked_crawl(sources, parameters)
    flow = flow or ingest
    if task_runner is not None:
        flow = flow.with_options(task_runner=task_runner)
    with stops_interrupt(), console_tracebacks(tracebacks), progress_bars():
        start_temporary_server()
        with api_for_workers(task_runner):  # Dask workers get the server just started
            return asyncio.run(flow(sources, **parameters))


@contextmanager
def stops_interrupt() -> Iterator[None]:
    """SIGTERM and SIGINT during a flow raise Interrupted (one line, exit 128 + the signal), however they land."""
    from prefect.exceptions import TerminationSignal

    from flows.runs import last_stop_signal

    try:
        with sigterm_interrupts():
            yield
    except TerminationSignal as stop:  # Prefect's own SIGTERM handler, in place while the flow starts and ends
        raise Interrupted(stop.signal) from None
    except asyncio.CancelledError:
        signum = last_stop_signal()
        if signum is None:  # no signal of ours: something else cancelled it, which is no interruption
            raise RuntimeError("the flow was cancelled, though copydesk received no stop signal") from None
        raise Interrupted(signum) from None  # the flow's signal handler cancelled it (flows.runs.stop_on_signals)


def print_summary(summary: dict[str, Any], *, command: str = "run") -> None:
    rows = [
        ("sources", summary["sources"]),
        ("URLs discovered", summary["discovered"]),
        ("fetched", summary["fetched"]),
        ("stored", f"{summary['stored']} ({summary['new']} new, {summary['updated']} updated)"),
        ("unchanged", summary["unchanged"]),
        ("skipped", f"{summary['skipped']} article URLs (not articles, 404/410, robots.txt, type, size)"),
        ("duplicates found", summary["duplicates"]),
        ("errors", f"{summary['errors']} (failed article URLs, feeds and sitemaps that failed or did not parse)"),
    ]
    # A source that gave nothing but errors (a feed URL that is a web page, a homepage that leads nowhere) is
    # named here: the totals hid it among the others, with exit code 0.
    empty = [
        name
        for name, counts in sorted(summary.get("per_source", {}).items())
        if counts["errors"] and not (counts["discovered"] or counts["stored"] or counts["unchanged"])
    ]
    if empty:
        where = f"copydesk query --db {summary['db']} \"SELECT * FROM errors WHERE run_id = '{summary['run_id']}'\""
        rows.append(("no articles from", f"{', '.join(empty)}: only errors; see {where}"))
    rows += [
        ("wall time", f"{summary['seconds']:.1f} s"),
        ("database", summary["db"]),
        ("run id", summary["run_id"]),
        ("details", f"copydesk stats --db {summary['db']} (each skipped or failed URL by reason)"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"\ncopydesk {command} summary")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


def _holds_only_demo_articles(db: Path) -> bool:
    """Whether a database holds articles, all of the demo's sites (their names, on 127.0.0.1): an earlier demo's,
    safe to replace.

    A user's crawl given as --db by mistake was deleted with its WARC archive, the one copy of its pages; so was
    a crawl of the user's own loopback test sites, and a database with no article yet (a first run that failed).
    """
    import duckdb

    from flows.demo import demo_site_names
    from storage.db import connect

    with connect(db, read_only=True) as con:  # a locked, corrupt or foreign file: its own error says so
        try:
            row = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE source IN (SELECT unnest(?)) "
                "AND regexp_matches(url, '^http://127\\.0\\.0\\.1:[0-9]+/')) FROM articles",
                [sorted(demo_site_names())],
            ).fetchone()
        except duckdb.CatalogException:  # a DuckDB file without articles: not the demo's either
            return False
    return row is not None and row[0] > 0 and row[0] == row[1]


def _cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo import serve_demo_sites
    from storage.archive import default_archive_dir

    if args.serve_only:
        return _serve_demo_sites(output_path(args.serve_only, flag="--serve-only"))
    db = Path(args.db)
    if db.exists() and not _holds_only_demo_articles(db):
        raise InputError(
            f"{db} exists and is no earlier demo's database (it holds articles the demo did not write, or none); "
            f"the demo starts its database from nothing and would delete it and its archive "
            f"{default_archive_dir(db)}. Give --db a new path, or delete the file yourself"
        )
    # The demo's ports change each time, so it starts from nothing: its file, the WAL, the near-duplicate
    # index and the page archive (whose records name the last demo's ports; `pages` would name none of them).
    for stale in (db, Path(f"{db}.wal")):
        stale.unlink(missing_ok=True)
    for folder in (Path(f"{db}.lsh"), default_archive_dir(db)):
        shutil.rmtree(folder, ignore_errors=True)
    with serve_demo_sites() as sites, tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "demo-sources.toml"
        sources.write_text(sites.sources_toml() + "\n[settings]\nper_host_delay = 0.05\n", encoding="utf-8")
        print(f"Serving {len(sites.sources)} sample sites on 127.0.0.1; ingesting into {db}")
        summary = run_ingest(str(sources), db=str(db), allow_private=True)
    print_summary(summary)
    print_queries(db, [(f"\n-- {title}\n{sql};", sql) for title, sql in DEMO_QUERIES])
    print(f'\nExplore it yourself: copydesk query --db {db} "SELECT url, title FROM articles"')
    return 0


# The first line of a sources file `demo --serve-only` writes: such a file, and no other, it may write over.
DEMO_SOURCES_MARK = "# The sample sites of `copydesk demo --serve-only`, on ports valid while it runs."


def _serve_demo_sites(sources: Path) -> int:
    """Serve the sample sites until interrupted, their sources file written to `sources` (valid while they run:
    their ports change each time)."""
    from flows.demo import serve_demo_sites

    if sources.exists() and not sources.read_text(encoding="utf-8", errors="replace").startswith(DEMO_SOURCES_MARK):
        raise InputError(
            f"--serve-only {sources}: the file exists and is not a sources file an earlier demo wrote; name a new "
            "file (the demo's sources name its sites' ports, which change each time)"
        )
    sources.parent.mkdir(parents=True, exist_ok=True)
    with serve_demo_sites() as sites:
        sources.write_text(f"{DEMO_SOURCES_MARK}\n{sites.sources_toml()}", encoding="utf-8")
        print(f"Serving {len(sites.sources)} sample sites on 127.0.0.1 until Ctrl-C; their sources file: {sources}")
        print(f"  e.g. copydesk run --sources {sources} --db demo.duckdb --allow-private", flush=True)
        with sigterm_interrupts():
            threading.Event().wait()
    return 0  # (never reached: interrupted)


def _cmd_clean(args: argparse.Namespace) -> int:
    from extractors.article import clean_document
    from extractors.charset import UndecodableError, decode_html
    from flows.extraction import ExtractionTimeout, within_budget_isolated

    settings = overridden(Settings(), max_bytes=args.max_bytes, extract_timeout=args.extract_timeout)
    raw = read_document(args.file, max_bytes=settings.fetch.max_bytes)
    # The bytes are decoded as a page would be (BOM, <meta charset>, then what the bytes are), so a saved
    # windows-1252 or Shift_JIS page works too.
    try:
        content = decode_html(raw, content_type=None)
    except UndecodableError as exc:
        refuse_binary(args.file, raw, "")  # a known binary format says what to do with it ("gunzip" it first)
        raise InputError(f"{'standard input' if args.file == '-' else args.file} is not text or HTML: {exc}") from None
    refuse_binary(args.file, raw, content)
    try:
        article = within_budget_isolated(
            settings.extract_timeout, clean_document, content, url=args.url, what=args.file
        )
    except ExtractionTimeout as exc:
        raise InputError(f"{exc}; pass --extract-timeout SECONDS to allow more") from None
    print(article.text)
    if article.captions or article.gallery_titles:
        print("\n--- removed captions and gallery ---")
        for title in article.gallery_titles:
            print(f"gallery: {title}")
        for caption in article.captions:
            print(f"{caption.text}" + (f"  [{caption.credit}]" if caption.credit else ""))
    if article.related_links:
        print("\n--- removed related links ---")
        for link in article.related_links:
            print(link.title + (f"  <{link.url}>" if link.url else ""))
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    if args.sql == "-":  # the statement on standard input, as `copydesk clean -` reads its page
        args.sql = sys.stdin.read()
    if not args.sql.strip():
        raise InputError('no SQL to run; pass a statement, e.g. copydesk query "SELECT count(*) FROM articles"')
    db = database_path(args.db, must_exist=True)
    statements = _statements(args.sql)
    # Each statement that returns rows is printed in turn (DuckDB runs them all but returns the last one's: "SELECT
    # 1; SELECT 2" printed 2); a report's setup (CREATE TEMP MACRO, SET VARIABLE) runs without a table of its own.
    printed = [k for k, (_, returns_rows) in enumerate(statements) if returns_rows] or [len(statements) - 1]
    if len(printed) > 1 and args.format != "table":
        raise InputError(
            f"{len(printed)} SQL statements return rows, for one {args.format} output; run them one at a time (a "
            "table prints each statement's result)"
        )
    quiet = [k for k in range(len(statements)) if k not in printed]
    print_queries(
        db, [(None, sql) for sql, _ in statements], allow_files=args.allow_files, fmt=args.format, quiet=quiet
    )
    return 0


# Statements that give rows to print; the others (CREATE, SET, a transaction's BEGIN) set up the ones that do.
_ROW_STATEMENTS = ("SELECT", "PRAGMA", "EXPLAIN", "CALL", "RELATION")


def _statements(sql: str) -> list[tuple[str, bool]]:
    """The statements of `sql`, each with whether it returns rows; `sql` whole where DuckDB cannot parse it
    (running it says what is wrong)."""
    import duckdb

    try:
        parsed = duckdb.extract_statements(sql)
    except duckdb.Error:
        return [(sql, True)]
    return [(s.query, s.type.name in _ROW_STATEMENTS) for s in parsed] or [(sql, True)]


def _cmd_export(args: argparse.Namespace) -> int:
    db = database_path(args.db, must_exist=True)
    if args.out == "-":  # standard output, as in curl and sqlite-utils: written whole to a file first, then copied
        count = _export_into(db, sys.stdout.buffer, args)
        sys.stdout.flush()
        print(f"wrote {count} articles to standard output", file=sys.stderr)
        return 0
    out = output_path(args.out)
    _not_the_database(out, db)
    if out.exists() and not out.is_file():
        # A pipe (mkfifo) or a device is written into, as standard output is: the staged file renamed over it
        # replaced it with a regular file, and a reader waiting on the pipe got nothing and hung.
        try:
            with out.open("wb") as stream:
                count = _export_into(db, stream, args)
        except OSError as exc:
            raise InputError(f"--out {out}: cannot write to it: {exc.strerror or exc}") from exc
    else:
        count = export_articles(db, out, fmt=args.format, since=args.since, unique=args.unique)
    print(f"wrote {count} articles to {out}")
    return 0


def _export_into(db: Path, stream: BinaryIO, args: argparse.Namespace) -> int:
    """Export to a file in a temporary folder, then copy it into `stream` (standard output, a pipe, a device)."""
    with tempfile.TemporaryDirectory(prefix="copydesk-export-") as tmp:
        staged = Path(tmp) / f"articles.{args.format}"
        count = export_articles(db, staged, fmt=args.format, since=args.since, unique=args.unique)
        with staged.open("rb") as exported:
            shutil.copyfileobj(exported, stream)
    return count


def _not_the_database(out: Path, db: Path) -> None:
    """Refuse an --out that is the database or one of its files: `--out news.duckdb` wrote CSV over the crawl."""
    from storage.archive import default_archive_dir

    # DuckDB names its files after the path it was given, so a symlinked database has its .wal beside the link.
    theirs = [
        path.resolve()
        for base in {db.absolute(), db.resolve()}
        for path in (base, Path(f"{base}.wal"), Path(f"{base}.lsh"), default_archive_dir(base))
    ]
    same_file = out.exists() and any(path.exists() and out.samefile(path) for path in theirs)  # a hard link
    if same_file or any(out == path or path in out.parents for path in theirs):
        raise InputError(
            f"--out {out} is the database {db.resolve()} or one of its files; name a new file to export to"
        )


def _cmd_stats(args: argparse.Namespace) -> int:
    db = database_path(args.db, must_exist=True)
    per_source = (
        "SELECT source, count(*) AS articles, count(DISTINCT cluster_id) AS clusters, "
        "sum((NOT is_canonical)::INT) AS syndicated_copies, max(fetched_at) AS last_fetched "
        "FROM articles GROUP BY source ORDER BY source"
    )
    recent_runs = (
        "SELECT run_id, flow, status, started_at, finished_at, discovered, fetched, new, updated, errors "
        "FROM runs ORDER BY started_at DESC LIMIT 5"
    )
    print_queries(
        db,
        [
            ("-- per source", per_source),
            (
                "\n-- largest clusters",
                "SELECT cluster_id, size, sources, canonical_title FROM clusters ORDER BY size DESC LIMIT 10",
            ),
            ("\n-- skipped and failed URLs by reason (each URL's latest outcome)", SKIP_REASONS_SQL),
            ("\n-- recent runs", recent_runs),
        ],
        ours=True,
    )
    return 0


if __name__ == "__main__":  # python -m flows.cli, as the copydesk command
    sys.exit(main())
