"""`copydesk` command line: run, backfill, rebuild-clusters, reextract, ingest-warc, serve, demo, clean, query,
export, stats.

Our own errors become a one-line message and exit code 1; tracebacks only with --debug, Prefect's log lines
included. SIGINT or SIGTERM stop a crawl: the run is marked interrupted and the exit code is 128 + the signal.
Prefect is imported lazily, after its offline settings are in the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import select
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flows.config import ConfigError, Settings, enabled_sources, load_config
from flows.ephemeral import start_temporary_server
from flows.inputs import InputError, database_path, output_path, read_document, refuse_binary

DEMO_DB = "copydesk-demo.duckdb"
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


class Interrupted(BaseException):
    """The process was told to stop (SIGTERM) during a crawl; a BaseException, like KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _OutlivedStream:
    """A standard stream that a job outlives: once its reader is gone (`copydesk run | head`), what is written
    goes nowhere instead of raising BrokenPipeError. Rich (Prefect's log handler, our progress bars) answers a
    broken pipe with SystemExit(1), which stopped the crawl mid-way, with nothing said and its rows half-loaded.
    """

    def __init__(self, stream: Any) -> None:
        self._stream, self._gone = stream, False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                return int(self._stream.write(text))
            except BrokenPipeError:
                self._gone = True
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def _outliving_readers(job: bool) -> Iterator[None]:
    """For the commands that write the database (`job`), standard streams whose reader may go away early."""
    if not job:
        yield
        return
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _OutlivedStream(sys.stdout), _OutlivedStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = streams
        for stream in streams:  # Python flushes them again at exit: into a closed pipe, it would say so
            if stream is not None and _reader_gone(stream):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `copydesk` console script."""
    args = _parser().parse_args(argv)
    _offline_prefect_env()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # httpx logs every request at INFO
    try:
        with _outliving_readers(args.job):
            return int(args.command(args) or 0)
    except KeyboardInterrupt:
        print("copydesk: interrupted by SIGINT", file=sys.stderr)
        return 128 + signal.SIGINT
    except Interrupted as stop:
        print(f"copydesk: interrupted by {stop}", file=sys.stderr)
        return 128 + stop.signum
    except Exception as exc:
        if isinstance(exc, BrokenPipeError) and _reader_gone(sys.stdout):
            # `copydesk stats | head`: the reader has what it wanted, which is not an error. Python flushes
            # stdout again at exit, into the same closed pipe: what is left goes nowhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 128 + signal.SIGPIPE
        if args.debug:
            raise
        print(f"copydesk: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def _reader_gone(stream: Any) -> bool:
    """Whether `stream` is a pipe whose reader has closed it (not some other connection's broken pipe)."""
    try:
        poller = select.poll()
        poller.register(stream.fileno(), 0)  # POLLERR is reported whatever is asked for
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), or stdout replaced by a non-file
        return False


def _one_line(exc: BaseException) -> str:
    """The first line of an error: DuckDB adds the SQL and a caret under it (--debug shows all of it), and
    its suggestion ("Did you mean "articles"?"), which is kept."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return " ".join([lines[0], *(line for line in lines[1:] if line.startswith("Did you mean"))])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="copydesk", description="Ingest news sites, strip boilerplate, cluster wire copies, load DuckDB."
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.set_defaults(job=False)  # commands that write the database set it: see _outliving_readers
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
    run.add_argument("--dask-workers", type=int, help="workers of the local Dask cluster (default: CPU count)")
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
        help="where files are read and extracted: this process's workers, or Dask workers (a whole file each)",
    )
    warc.add_argument("--dask-address", help="scheduler of an existing Dask cluster whose workers see the files")
    warc.add_argument("--dask-workers", type=int, help="workers of the local Dask cluster (default: CPU count)")
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
    serve.add_argument("--port", type=int, default=4200, help="port of the local Prefect server and UI")
    serve.set_defaults(command=_cmd_serve, job=True)

    demo = commands.add_parser("demo", help="serve the bundled sample newsroom on loopback and ingest it")
    demo.add_argument("--db", default=DEMO_DB, help=f"DuckDB file to write (default: {DEMO_DB}, recreated)")
    demo.set_defaults(command=_cmd_demo, job=True)

    clean = commands.add_parser("clean", help="print the clean text of an HTML or plain-text file")
    clean.add_argument("file", help="HTML or plain-text file ('-' for standard input)")
    clean.add_argument("--url", help="the page's URL, for metadata and relative links")
    clean.add_argument("--max-bytes", type=int, help="refuse bigger files (default: the crawl's max_bytes, 10 MB)")
    clean.add_argument("--extract-timeout", type=float, help="seconds the extraction may take (default: 10)")
    clean.set_defaults(command=_cmd_clean)

    query = commands.add_parser("query", help="run SQL against the database (read-only) and print a table")
    query.add_argument("sql", help='one SQL statement, e.g. "SELECT source, count(*) FROM articles GROUP BY ALL"')
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
    export.add_argument("--out", required=True, help="file to write (replaced if it exists)")
    export.add_argument("--since", type=date.fromisoformat, help="only articles published on or after YYYY-MM-DD")
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
    result = rebuild_clusters(db=args.db, sources=args.sources, dedup_threshold=args.dedup_threshold)
    print(f"rebuilt clusters of {result['db']}: {result['signed']} articles signed, {result['matches']} matches")
    return 0


def _cmd_reextract(args: argparse.Namespace) -> int:
    from flows.reextract import reextract

    settings = load_config(args.sources).settings if args.sources else Settings()
    settings = overridden(settings, db=args.db)
    database_path(settings.db, flag=chosen_by(args.sources, args.db, settings), must_exist=True)
    start_temporary_server()
    result = asyncio.run(
        reextract(
            db=args.db, sources=args.sources, source_names=args.source_names, since=args.since, url_like=args.url_like
        )
    )
    print(
        f"reextract {result['db']}: {result['pages']} archived pages, {result['changed']} rows changed "
        f"({result['updated']} updated, {result['new']} new), {result['unchanged']} unchanged, "
        f"{result['not_extracted']} not articles, {result['unreadable']} unreadable, {result['stale']} stale"
    )
    return 0


def _cmd_ingest_warc(args: argparse.Namespace) -> int:
    from flows.warc_ingest import ingest_warc
    from flows.warc_input import warc_paths

    settings = overridden(load_config(args.sources).settings if args.sources else Settings(), db=args.db)
    database_path(settings.db, flag=chosen_by(args.sources, args.db, settings), must_exist=False)
    warc_paths(args.paths)  # nothing to ingest: one line before Prefect starts
    runner = _task_runner(args.task_runner, address=args.dask_address, workers=args.dask_workers)
    flow = ingest_warc.with_options(task_runner=runner) if runner is not None else ingest_warc
    with _api_for_workers(runner):
        start_temporary_server()
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
    serve(parameters={k: v for k, v in parameters.items() if v is not None}, cron=args.cron, port=args.port)
    return 0


def _task_runner(name: str, *, address: str | None, workers: int | None) -> Any:
    """None for the flow's default runner, else a DaskTaskRunner (local cluster unless an address is given)."""
    if name == "default":
        if address or workers:
            raise ValueError("--dask-address and --dask-workers need --task-runner dask")
        return None
    try:
        from prefect_dask.task_runners import DaskTaskRunner
    except ModuleNotFoundError:
        raise ValueError("--task-runner dask needs prefect-dask: pip install 'copydesk[dask]'") from None

    if address:
        return DaskTaskRunner(address=address)
    # One thread per worker process: extraction is CPU-bound Python, so threads would share one GIL.
    cluster = {"n_workers": workers or os.cpu_count() or 1, "threads_per_worker": 1, "dashboard_address": None}
    return DaskTaskRunner(cluster_kwargs=cluster)


def run_ingest(
    sources: str, *, flow: Any = None, task_runner: Any = None, tracebacks: bool = True, **parameters: Any
) -> dict[str, Any]:
    """Run a crawl flow (default: ingest) in this process, against Prefect's ephemeral API unless
    PREFECT_API_URL names a server, with progress bars on standard error.

    SIGTERM raises Interrupted, as SIGINT raises KeyboardInterrupt; both reach the flow, which marks its run
    interrupted. Without `tracebacks`, Prefect's console log lines keep their message and drop the traceback.
    """
    from prefect.exceptions import TerminationSignal

    from flows.ingest import ingest
    from flows.runs import last_stop_signal

    _checked_crawl(sources, parameters)
    flow = flow or ingest
    if task_runner is not None:
        flow = flow.with_options(task_runner=task_runner)
    try:
        with _sigterm_interrupts(), _console_tracebacks(tracebacks), _progress_bars():
            start_temporary_server()
            with _api_for_workers(task_runner):  # Dask workers get the server just started
                return asyncio.run(flow(sources, **parameters))
    except TerminationSignal as stop:  # Prefect's own SIGTERM handler, in place while the flow starts and ends
        raise Interrupted(stop.signal) from None
    except asyncio.CancelledError:  # the flow's signal handler cancelled it (flows.runs.stop_on_signals)
        raise Interrupted(last_stop_signal() or signal.SIGTERM) from None


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises Interrupted (outside a flow run; inside one, Prefect's handler raises its own signal)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return

    def interrupt(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _WithoutTraceback(logging.Formatter):
    """A console formatter that writes a record's message but not its traceback (shown with --debug)."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info:
            # A copy: the record goes on to other handlers (Prefect's API log) with its traceback.
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None, "stack_info": None})
        return self.inner.format(record)


@contextmanager
def _console_tracebacks(shown: bool) -> Iterator[None]:
    """Prefect logs a failed flow's traceback to the console; without --debug its one-line message is enough."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    if shown or not handlers:
        yield
        return
    formatters = [h.formatter for h in handlers]
    for handler, formatter in zip(handlers, formatters, strict=True):
        handler.setFormatter(_WithoutTraceback(formatter))
    try:
        yield
    finally:
        for handler, formatter in zip(handlers, formatters, strict=True):
            handler.setFormatter(formatter)


@contextmanager
def _api_for_workers(task_runner: Any) -> Iterator[None]:
    """Dask workers report their task runs to the flow's API: without PREFECT_API_URL each worker would
    start an ephemeral API of its own, so start the ephemeral server here and hand its URL to them."""
    if task_runner is None or os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.logging.handlers import APILogWorker
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = SubprocessASGIServer()
    server.start(timeout=int(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]))
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield
            # Logs still queued (the Dask cluster's shutdown) go out while the server is up; sent after it
            # stopped, they end in "--- Error logging to API --- All connection attempts failed".
            APILogWorker.drain_all(timeout=5)
    finally:
        server.stop()


@contextmanager
def _progress_bars() -> Iterator[None]:
    """Rich progress bars for discovery, fetching, extraction and dedup, fed by the flow's progress hook."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from flows.ingest import progress_hook

    labels = {"discover": "discovery", "fetch": "fetching", "extract": "extraction", "dedupe": "dedup"}
    columns = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    bars: dict[str, TaskID] = {}
    with Progress(*columns, console=Console(stderr=True)) as progress:

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = progress.add_task(labels[stage], total=total)
            progress.update(bars[stage], completed=done, total=total)

        with progress_hook(advance):
            yield


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
        ("wall time", f"{summary['seconds']:.1f} s"),
        ("database", summary["db"]),
        ("run id", summary["run_id"]),
        ("details", f"copydesk stats --db {summary['db']} (each skipped or failed URL by reason)"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"\ncopydesk {command} summary")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


def _cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo import serve_demo_sites
    from storage.archive import default_archive_dir

    db = Path(args.db)
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


def _cmd_clean(args: argparse.Namespace) -> int:
    from extractors.article import clean_document
    from extractors.charset import decode_html
    from flows.extraction import ExtractionTimeout, within_budget_isolated

    settings = overridden(Settings(), max_bytes=args.max_bytes, extract_timeout=args.extract_timeout)
    raw = read_document(args.file, max_bytes=settings.fetch.max_bytes)
    # The bytes are decoded as a page would be (BOM, <meta charset>, then UTF-8 or windows-1252), so a saved
    # windows-1252 page works too.
    content = decode_html(raw, content_type=None)
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
    if not args.sql.strip():
        raise InputError('no SQL to run; pass a statement, e.g. copydesk query "SELECT count(*) FROM articles"')
    print_query(database_path(args.db, must_exist=True), args.sql, allow_files=args.allow_files, fmt=args.format)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    db, out = database_path(args.db, must_exist=True), output_path(args.out)
    count = export_articles(db, out, fmt=args.format, since=args.since, unique=args.unique)
    print(f"wrote {count} articles to {out}")
    return 0


def export_articles(db: Path, out: Path, *, fmt: str, since: date | None = None, unique: bool = False) -> int:
    """Write articles (or one per story) to `out` with DuckDB's COPY; returns the row count.

    The connection may write only in a fresh temporary directory beside `out` (external access is off
    elsewhere); the finished file is then renamed over `out`, so a failed export leaves no partial file.
    """
    from storage.db import connect

    table = "unique_articles" if unique else "articles"
    # A date and a path are quoted as literals: COPY takes no prepared parameters.
    where = f" WHERE coalesce(published_at, fetched_at) >= DATE '{since.isoformat()}'" if since else ""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".copydesk-export-") as tmp:
        staged = Path(tmp) / f"export.{fmt}"
        target = str(staged).replace("'", "''")
        with connect(db, read_only=True, external_access=False, allowed_directories=[f"{tmp}{os.sep}"]) as con:
            query = f"SELECT * FROM {table}{where} ORDER BY article_id"
            (count,) = con.execute(f"COPY ({query}) TO '{target}' ({EXPORT_FORMATS[fmt]})").fetchone() or (0,)
        os.replace(staged, out)
    return int(count)


# Each skipped or failed URL once, by its latest outcome and reason (crawl.fetch.Reason, or not_an_article /
# extract from extraction). Rows from before the reason column: a NotAnArticleError in `errors` still names it.
SKIP_REASONS_SQL = """
SELECT coalesce(s.source, '-') AS source,
       coalesce(s.reason, CASE WHEN EXISTS (SELECT 1 FROM errors e WHERE e.url = s.fetch_url
                                            AND e.error_type = 'NotAnArticleError') THEN 'not_an_article' END,
                'unrecorded') AS reason,
       count(*) FILTER (WHERE s.outcome = 'skipped') AS skipped,
       count(*) FILTER (WHERE s.outcome = 'failed') AS failed,
       count(*) FILTER (WHERE s.last_run_id = (SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1))
           AS in_last_run
FROM seen_urls s
WHERE s.outcome IN ('skipped', 'failed')
GROUP BY ALL
ORDER BY source, skipped + failed DESC, reason
"""


def _cmd_stats(args: argparse.Namespace) -> int:
    db = database_path(args.db, must_exist=True)
    per_source = (
        "SELECT source, count(*) AS articles, count(DISTINCT cluster_id) AS clusters, "
        "sum((NOT is_canonical)::INT) AS syndicated_copies, max(fetched_at) AS last_fetched "
        "FROM articles GROUP BY source ORDER BY source"
    )
    recent_runs = (
        "SELECT run_id, status, started_at, finished_at, discovered, fetched, new, updated, errors "
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
    )
    return 0


def print_query(db: Path, sql: str, *, allow_files: bool = False, fmt: str = "table") -> None:
    """Run SQL on a read-only connection and print the result as a table, CSV or JSON lines (`fmt`).

    Read-only for the machine too: unless `allow_files`, the SQL reaches this database and nothing else
    (no files, URLs or extensions; see storage.db.connect), so a query box cannot read or write the host.
    """
    print_queries(db, [(None, sql)], allow_files=allow_files, fmt=fmt)


def print_queries(
    db: Path, queries: Sequence[tuple[str | None, str]], *, allow_files: bool = False, fmt: str = "table"
) -> None:
    """print_query for several queries, each after its heading, on one connection: one snapshot of the file, and
    one open (each replays the WAL a run is writing), and no heading printed for a file that cannot be read."""
    import duckdb
    from rich.console import Console
    from rich.table import Table

    from storage.db import connect

    def waiting(message: str) -> None:
        print(f"waiting: {message}", file=sys.stderr)

    with connect(db, read_only=True, on_wait=waiting, external_access=allow_files) as con:
        for heading, sql in queries:
            try:
                cursor = con.execute(sql)
            except duckdb.PermissionException as exc:
                raise InputError(
                    f"copydesk query reads only the database ({_one_line(exc)}); pass --allow-files to let SQL "
                    "read and write files"
                ) from None
            if cursor is None or cursor.description is None:
                raise InputError(f"no statement in {sql!r} returns rows; pass a query such as SELECT ...")
            if heading is not None:
                print(heading)
            if fmt != "table":
                write_rows(cursor, fmt, sys.stdout)
                continue
            table = Table(*[d[0] for d in cursor.description], show_lines=False)
            for row in cursor.fetchall():
                table.add_row(*("" if v is None else str(v) for v in row))
            Console(width=160).print(table)


def write_rows(cursor: Any, fmt: str, out: Any, *, chunk: int = 10_000) -> None:
    """A query's rows as CSV (with a header) or JSON lines, whole and streamed (a table cuts long cells).

    Lists and structs are written as JSON in a CSV cell; times and decimals as their text.
    """
    import csv
    import json

    columns = [d[0] for d in cursor.description]
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(columns)
    while rows := cursor.fetchmany(chunk):
        for row in rows:
            if writer is None:
                out.write(json.dumps(dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False) + "\n")
            else:
                writer.writerow(
                    "" if v is None else json.dumps(v, default=str) if isinstance(v, list | dict) else v for v in row
                )
