"""How a run ends and which earlier runs are abandoned: the decisions, without Prefect or a database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flows.runs import abandoned_runs, begin_run, ending, one_line, pid_alive, unreached_message
from storage.db import writing
from storage.load import RunningRun, start_run

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def exited_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def test_an_exception_fails_the_run_with_its_type_and_message_on_one_line() -> None:
    assert ending(RuntimeError("disk\nfull")) == ("failed", "RuntimeError: disk full")


def test_a_task_group_failure_is_told_by_the_exceptions_inside_it() -> None:
    group = ExceptionGroup("unhandled errors in a TaskGroup", [ValueError("Invalid IPv6 URL")])
    assert ending(group) == ("failed", "ValueError: Invalid IPv6 URL")
    assert one_line(group) == "ValueError: Invalid IPv6 URL"


@pytest.mark.parametrize(
    ("stop", "stopped_by", "reason"),
    [
        (asyncio.CancelledError(), signal.SIGTERM, "interrupted by SIGTERM"),
        (asyncio.CancelledError(), signal.SIGINT, "interrupted by SIGINT"),
        (KeyboardInterrupt(), None, "interrupted by SIGINT"),
        (BaseExceptionGroup("g", [ValueError("x"), KeyboardInterrupt()]), None, "interrupted by SIGINT"),
    ],
)
def test_a_stop_signal_interrupts_the_run(stop: BaseException, stopped_by: int | None, reason: str) -> None:
    assert ending(stop, stopped_by=stopped_by) == ("interrupted", reason)


def test_runs_whose_process_is_gone_are_abandoned_and_live_ones_are_not() -> None:
    dead, host, now = exited_pid(), "desk1", datetime.now(UTC)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as later:
        try:
            running = [
                RunningRun("dead", now - timedelta(minutes=5), dead, host),
                RunningRun("alive", now + timedelta(seconds=5), later.pid, host),
                # A run started before the process that has its pid now: that pid was reused.
                RunningRun("pid reused", now - timedelta(minutes=5), later.pid, host),
                RunningRun("mine", now - timedelta(days=3), os.getpid(), host),
                RunningRun("elsewhere", now - timedelta(minutes=5), 1, "desk2"),
                RunningRun("stale", now - timedelta(days=2), 1, "desk2"),
                RunningRun("old file", now - timedelta(days=2), None, None),
            ]
            reasons = abandoned_runs(running, host=host, pid=os.getpid(), now=now, alive=pid_alive)
        finally:
            later.kill()
    assert sorted(reasons) == ["dead", "old file", "pid reused", "stale"]
    assert f"pid {dead} on desk1" in reasons["dead"] and "2 days" in reasons["stale"]


def test_pid_alive_knows_a_live_process_from_an_ended_one_or_one_that_took_its_id() -> None:
    assert pid_alive(os.getpid()) and not pid_alive(exited_pid())
    assert not pid_alive(0) and not pid_alive(-1)  # process groups, never one process
    now = datetime.now(UTC)
    assert pid_alive(os.getpid(), now)  # this process was running at `now`
    assert pid_alive(1, now)  # init, someone else's process, started long before
    if Path("/proc/stat").exists():  # where a process's start can be read, one started after `since` is another
        assert not pid_alive(os.getpid(), now - timedelta(days=365 * 30))


def test_an_unreached_run_names_a_few_sources_and_where_the_rest_are() -> None:
    reasons = {f"site{i}": f"reason {i}" for i in range(8)}
    message = unreached_message(reasons, run_id="r1")
    assert message.startswith("no source could be reached (8 tried): site0: reason 0; site1: reason 1")
    assert "site5" not in message and "and 3 more" in message and "run_id = 'r1'" in message
    assert "\n" not in message


def test_an_unreached_run_gives_the_advice_every_reason_ends_with_once() -> None:
    hint = "pass --allow-private or list it in settings.allow_hosts"
    reasons = {f"site{i}": f"'127.0.0.{i}' resolves to non-public address 127.0.0.{i}; {hint}" for i in range(8)}
    message = unreached_message(reasons, run_id="r1")
    assert message.count(hint) == 1 and "site0: '127.0.0.0' resolves to non-public address 127.0.0.0;" in message
    mixed = unreached_message({"a": f"x; {hint}", "b": "connection refused"}, run_id="r1")
    assert mixed.count(hint) == 1 and "b: connection refused" in mixed  # not shared: left where it stands


@pytest.mark.parametrize("flow", ["ingest", "ingest-warc", "reextract"])
def test_every_flow_marks_runs_of_dead_processes_abandoned_as_it_begins(flow: str, tmp_path: Path) -> None:
    """A killed ingest-warc is settled by the next run of any flow: a data team that only backfills runs no crawl."""
    host, now = socket.gethostname(), datetime.now(UTC)
    with writing(tmp_path / "news.duckdb") as con:
        start_run(con, "killed", flow="ingest-warc", started_at=now, params={}, pid=exited_pid(), hostname=host)
        start_run(con, "going", flow="ingest", started_at=now, params={}, pid=os.getppid(), hostname=host)
        still = begin_run(con, "next", flow=flow, started_at=now, params={"paths": []})
        rows = dict(con.execute("SELECT run_id, status || ' ' || flow FROM runs").fetchall())
    assert [run.run_id for run in still] == ["going"]
    assert rows == {"killed": "abandoned ingest-warc", "going": "running ingest", "next": f"running {flow}"}
