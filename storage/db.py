"""Opening the DuckDB file: schema on connect, and a clear wait when another process holds the lock.

DuckDB lets one process write a file at a time, and while it does, no other process can open it,
not even read-only. So copydesk holds its write connection per batch and everyone else retries.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

import duckdb

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<holder>\S+)(?: \(PID (?P<pid>\d+)\))?")


class DatabaseLockedError(RuntimeError):
    """Another process kept the DuckDB file locked for longer than we were willing to wait."""


class SchemaError(RuntimeError):
    """The file is not a copydesk database we can use."""


def schema_sql() -> str:
    """The DDL of every copydesk table and view."""
    return files("storage").joinpath("schema.sql").read_text(encoding="utf-8")


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables, sequences and views (idempotent)."""
    con.execute(schema_sql())


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait_seconds: float = 60.0,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the database, retrying with backoff while another process holds the file lock."""
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"{path}: no such database; run `copydesk run` first")
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            holder = lock_holder(str(exc))
            if holder is None:
                raise
            if time.monotonic() + delay > deadline:
                raise DatabaseLockedError(
                    f"{path} is locked by {holder}; waited {wait_seconds:g} s. DuckDB allows one writing "
                    "process at a time: retry when that run has finished its batch"
                ) from None
            if on_wait is not None:
                on_wait(f"{path} is locked by {holder}; retrying in {delay:.1f} s")
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    if not read_only:
        apply_schema(con)
    return con


def lock_holder(message: str) -> str | None:
    """The process named in DuckDB's lock-conflict message, or None if the error is not a lock conflict."""
    if "lock" not in message.lower():
        return None
    match = _LOCK_HOLDER.search(message)
    if match is None:
        return "another process"
    pid = match.group("pid")
    return f"PID {pid} ({match.group('holder')})" if pid else match.group("holder")


@contextmanager
def writing(path: str | Path, *, wait_seconds: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection for one batch, inside one transaction: all of the batch or none of it."""
    con = connect(path, wait_seconds=wait_seconds)
    try:
        con.begin()
        try:
            yield con
        except BaseException:
            con.rollback()
            raise
        con.commit()
    finally:
        con.close()
