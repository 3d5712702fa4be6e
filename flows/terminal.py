"""The command line's process around a flow: its stop signals, its output streams and console logs, and its
progress bars. Nothing here knows copydesk's data; flows/cli.py wires it around each command.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Interrupted(BaseException):
    """The process was told to stop (SIGTERM) during a crawl; a BaseException, like KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class OutlivedStream:
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
def outliving_readers(job: bool) -> Iterator[None]:
    """For the commands that write the database (`job`), standard streams whose reader may go away early."""
    if not job:
        yield
        return
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = OutlivedStream(sys.stdout), OutlivedStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = streams
        for stream in streams:  # Python flushes them again at exit: into a closed pipe, it would say so
            if stream is not None and reader_gone(stream):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def reader_gone(stream: Any) -> bool:
    """Whether `stream` is a pipe whose reader has closed it (not some other connection's broken pipe)."""
    try:
        poller = select.poll()
        poller.register(stream.fileno(), 0)  # POLLERR is reported whatever is asked for
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), or stdout replaced by a non-file
        return False


def error_line(exc: BaseException) -> str:
    """The first line of an error: DuckDB adds the SQL and a caret under it (--debug shows all of it), and
    its suggestion ("Did you mean "articles"?"), which is kept."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return " ".join([lines[0], *(line for line in lines[1:] if line.startswith("Did you mean"))])


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
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
def console_tracebacks(shown: bool) -> Iterator[None]:
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
def progress_bars() -> Iterator[None]:
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
