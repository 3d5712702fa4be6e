"""How a run ends: its status and one-line reason from what happened, and which earlier runs were abandoned.

No Prefect and no DuckDB: the flow records in `runs` what these decide. A run ends `completed`, `failed` (an
error, or nothing could be reached) or `interrupted` (the process was told to stop: SIGINT, SIGTERM,
cancellation); a run still marked `running` whose process is gone is `abandoned`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from storage.archive import ArchiveFullError
from storage.db import (
    CommittedButNotFoldedError,
    DatabaseCorruptError,
    DatabaseUnwritableError,
    DiskFullError,
    NotADatabaseError,
)
from storage.dedup import StaleIndexError
from storage.load import RunningRun, mark_abandoned, running_runs, start_run
from storage.rows import RunStatus

log = logging.getLogger(__name__)

# A run still marked running this long after it started is abandoned even when its process cannot be checked
# (another host, or no /proc to tell a reused pid). Hourly runs take minutes; a day is far past any.
STALE_AFTER = timedelta(hours=24)
# Sources named in a failed run's message; the rest are in the errors table.
MAX_NAMED_SOURCES = 5


# Flows that fetch from the sources' sites: two at once on one database would fetch every page twice.
CRAWL_FLOWS = frozenset({"ingest", "backfill"})


class NoSourceReachedError(RuntimeError):
    """Not one source of the run could be reached, so the run did nothing."""


class CrawlInProgressError(RuntimeError):
    """Another crawl of the same database is still going, so this one did nothing."""


@dataclass(slots=True)
class Stop:
    """The signal that stopped a run, once one has."""

    signum: int | None = None


_last_stop = Stop()


def last_stop_signal() -> int | None:
    """The signal that last stopped a run in this process (the CLI names it when the flow was cancelled)."""
    return _last_stop.signum


@contextmanager
def stop_on_signals(task: asyncio.Task[Any]) -> Iterator[Stop]:
    """While a run goes on, SIGINT and SIGTERM cancel `task` at its next await, so the run ends where its
    code expects it: in-flight work is dropped or committed whole and the run is marked interrupted.

    Otherwise Prefect's SIGTERM handler raises at whatever line runs when the signal lands. A second signal
    gets the handling there was before (Prefect's, asyncio's). Outside the main thread signals cannot be
    handled here and stay with whoever handles them.
    """
    loop, stop = asyncio.get_running_loop(), Stop()
    previous: dict[int, Any] = {}

    def restore(signum: int) -> None:
        if loop.remove_signal_handler(signum):
            signal.signal(signum, previous[signum] if previous[signum] is not None else signal.SIG_DFL)

    def stopped(signum: int) -> None:
        stop.signum = _last_stop.signum = signum
        task.cancel()
        restore(signum)

    signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
    try:
        for signum in signals:
            previous[signum] = signal.getsignal(signum)
            loop.add_signal_handler(signum, stopped, signum)
    except (ValueError, RuntimeError):  # not the main thread, or a loop without signal support
        for signum in previous:
            restore(signum)
        yield stop
        return
    try:
        yield stop
    finally:
        for signum in previous:
            restore(signum)


def ending(exc: BaseException, *, stopped_by: int | None = None) -> tuple[RunStatus, str]:
    """The status and one-line reason of a run that ended with `exc` raised (after `stopped_by`, if a signal)."""
    leaves = _leaves(exc)
    stops = [leaf for leaf in leaves if not isinstance(leaf, Exception)]
    if stops and stopped_by is not None:
        return "interrupted", f"interrupted by {_signal_name(stopped_by)}"
    if stops:
        return "interrupted", _interruption(stops[0])
    return "failed", one_line(exc)


def one_line(exc: BaseException) -> str:
    """`Type: message` on one line; for a group of exceptions (a task group's), each one inside it."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(dict.fromkeys(one_line(leaf) for leaf in _leaves(exc)))
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """Whether a failed database task is worth its retries (a task's retry_condition_fn): a file another process
    held locked may be free seconds later; a full disk, a file that is no database, a read-only path, or an index
    that only `copydesk rebuild-clusters` mends (StaleIndexError) fail the same way again, 5 s later, twice; and a
    batch that committed although its checkpoint failed would have its rows written twice."""
    lasting = (
        StaleIndexError,
        CommittedButNotFoldedError,
        DiskFullError,
        ArchiveFullError,
        NotADatabaseError,
        DatabaseCorruptError,
        DatabaseUnwritableError,
    )
    return not isinstance(state.data, lasting)


def innermost(exc: BaseException) -> BaseException:
    """The first exception inside a group (nested task groups wrap the one that matters), else `exc`."""
    return _leaves(exc)[0]


def unreached_message(reasons: Mapping[str, str], *, run_id: str) -> str:
    """Why a run in which no source could be reached failed: each source's first reason, a few of them, and the
    advice they all end with once ("pass --allow-private ..." was repeated for each of 5 sources)."""
    advice = {reason.rpartition("; ")[2] for reason in reasons.values() if "; " in reason}
    shared = advice.pop() if len(advice) == 1 and all("; " in r for r in reasons.values()) else None
    if shared:
        reasons = {source: reason.rpartition("; ")[0] for source, reason in reasons.items()}
    named = [f"{source}: {reason}" for source, reason in list(reasons.items())[:MAX_NAMED_SOURCES]]
    more = len(reasons) - len(named)
    tail = f"; and {more} more" if more > 0 else ""
    return (
        f"no source could be reached ({len(reasons)} tried): " + "; ".join(named) + tail
        + (f". All: {shared}" if shared else "") + f". See the errors table where run_id = {run_id!r}"
    )  # fmt: skip


def abandoned_runs(
    running: Sequence[RunningRun],
    *,
    host: str,
    pid: int,
    now: datetime,
    alive: Callable[[int, datetime], bool],
    stale_after: timedelta = STALE_AFTER,
) -> dict[str, str]:
    """Which runs still marked running are abandoned, with why: their process on this host is gone (`alive(pid,
    started_at)`: the process with that id is the one that started the run), or they started more than
    `stale_after` ago. Runs of this very process are never judged here."""
    reasons: dict[str, str] = {}
    for run in running:
        if run.pid == pid and run.hostname == host:
            continue
        if run.hostname == host and run.pid is not None and not alive(run.pid, run.started_at):
            reasons[run.run_id] = f"abandoned: its process (pid {run.pid} on {host}) ended without recording an end"
        elif now - run.started_at > stale_after:
            where = f"pid {run.pid} on {run.hostname}" if run.hostname else "an unrecorded process"
            reasons[run.run_id] = f"abandoned: still marked running {now - run.started_at} after it started ({where})"
    return reasons


def begin_run(
    con: duckdb.DuckDBPyConnection, run_id: str, *, flow: str, started_at: datetime, params: Mapping[str, Any]
) -> list[RunningRun]:
    """Record that this process's run of `flow` began, after marking abandoned the runs whose process is gone
    (every flow does, so a killed ingest-warc is settled by the next ingest-warc, not only by a crawl); the other
    runs still going."""
    host, pid = socket.gethostname(), os.getpid()
    running = running_runs(con, other_than=run_id)
    abandoned = abandoned_runs(running, host=host, pid=pid, now=started_at, alive=pid_alive)
    mark_abandoned(con, abandoned, finished_at=started_at)
    for old, reason in abandoned.items():
        log.warning("Run %s marked %s", old, reason)
    start_run(con, run_id, flow=flow, started_at=started_at, params=params, pid=pid, hostname=host)
    return [run for run in running if run.run_id not in abandoned]


def crawl_in_progress(running: Sequence[RunningRun]) -> RunningRun | None:
    """The first crawl of another process among the runs still going (begin_run's)."""
    host, pid = socket.gethostname(), os.getpid()
    return next(
        (run for run in running if run.flow in CRAWL_FLOWS and not (run.pid == pid and run.hostname == host)),
        None,
    )


def crawl_in_progress_message(db: str, run: RunningRun) -> str:
    where = f"pid {run.pid} on {run.hostname}" if run.hostname else "an unrecorded process"
    return (
        f"{db}: another crawl is still running on this database (run {run.run_id}, {run.flow}, started "
        f"{run.started_at:%Y-%m-%d %H:%M:%S %Z}, {where}), so this run fetched nothing: two crawls at once "
        "would fetch every page twice and double each site's request rate. Let it finish, or stop it "
        "(a run whose process is gone is marked abandoned by the next one)"
    )


# /proc gives a process's start to the clock tick, but the boot time it counts from only to the second.
_START_TOLERANCE = timedelta(seconds=2)


def pid_alive(pid: int, since: datetime | None = None) -> bool:
    """Whether a process with this id exists on this host (a zombie, exited but not yet reaped, does not), and,
    given `since` (when the run it is asked about started), already ran then: pids are reused, and a process
    that started after the run is another one that got its id."""
    if pid <= 0:  # 0 and -1 would address process groups, not one process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True  # no /proc (macOS): the process exists, whenever it started
    if fields[0] == "Z":
        return False
    started = _process_start(int(fields[19]))  # field 22 of stat, starttime: clock ticks after boot
    return since is None or started is None or started <= since + _START_TOLERANCE


def _process_start(ticks_after_boot: int) -> datetime | None:
    try:
        boot = next(line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime "))
    except (OSError, StopIteration):
        return None
    seconds = int(boot.split()[1]) + ticks_after_boot / os.sysconf("SC_CLK_TCK")
    return datetime.fromtimestamp(seconds, UTC)


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _interruption(stop: BaseException) -> str:
    number = getattr(stop, "signal", None) or getattr(stop, "signum", None)
    if isinstance(number, int):
        return f"interrupted by {_signal_name(number)}"
    if isinstance(stop, KeyboardInterrupt):
        return "interrupted by SIGINT"
    if isinstance(stop, asyncio.CancelledError):
        return "interrupted: the run was cancelled (SIGINT or SIGTERM to its process, or its runner stopped it)"
    return f"interrupted: {one_line(stop)}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:  # not a signal this platform names
        return f"signal {number}"
