"""Opening the DuckDB file: schema on connect, and a clear wait when another process holds the lock.

DuckDB lets one process write a file at a time, and while it does, no other process can open it,
not even read-only. So copydesk holds its write connection per batch and everyone else retries.
A path that cannot be written and a disk that fills up mid-batch become one-line errors that say
what was kept: a batch is one transaction, so a failed batch is rolled back and earlier ones stay.
Batches are committed to DuckDB's WAL (`<file>.wal`) and folded into the file when a run ends.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import duckdb

from storage.archive import default_archive_dir

log = logging.getLogger(__name__)

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<holder>\S+)(?: \(PID (?P<pid>\d+)\))?")
# strerror texts of ENOSPC, EFBIG (RLIMIT_FSIZE or the filesystem's file size limit) and EDQUOT, as DuckDB
# passes them on ("Could not write file ...: No space left on device").
NO_SPACE = ("No space left on device", "File too large", "Disk quota exceeded")  # DuckDB's words for a full disk
_UNWRITABLE = ("Permission denied", "Read-only file system")
_CORRUPT = "Corrupt database file"  # DuckDB's words when a block fails its checksum
_NOT_DUCKDB = "is not a valid DuckDB database file"  # DuckDB's words for a file of anything else
# What to do about a file that is not a copydesk database, said by each refusal.
_ANOTHER_DB = "Pass --db with the path of a copydesk database, or of a file that does not exist yet"
# DuckDB's words when a commit is durable but the checkpoint it ran once the WAL passed checkpoint_threshold failed.
_COMMITTED = "COMMIT succeeded"
_FIRST_DELAY = 0.05  # seconds before the first retry of a locked file; doubled up to LOCK_POLL_MAX
# The longest a process kept out of the file sleeps between two tries. A long job of many write transactions
# (rebuild-clusters) lets such a process in by pausing longer than this between two (share_the_file).
LOCK_POLL_MAX = 0.5
# How long such a job may hold the file, transaction after transaction, before it pauses: a crawl's batch waits
# up to 60 s (wait_seconds) for the file, and found no gap in a rebuild's back-to-back transactions.
HOLD_AT_MOST = 5.0
# How often on_wait hears that the wait goes on.
_SAY_EVERY = 2.0
_LOCK_WORD = re.compile(r"\block\b", re.IGNORECASE)


class DatabaseLockedError(RuntimeError):
    """Another process kept the DuckDB file locked for longer than we were willing to wait."""


class DatabaseUnwritableError(RuntimeError):
    """The database file or its directory cannot be written (read-only path or file system, permissions)."""


class DiskFullError(RuntimeError):
    """A write ran out of space; its batch was rolled back and earlier batches are intact."""


class DatabaseCorruptError(RuntimeError):
    """DuckDB refuses to read the file (a block fails its checksum); copydesk changed nothing in it."""


class CommittedButNotFoldedError(RuntimeError):
    """The batch committed (it is in the WAL), but the checkpoint DuckDB ran with the commit failed: not to be
    retried (its rows would be written twice) nor taken back (rows point at its pages' records)."""


class NotADatabaseError(ValueError):
    """The path names a file that is not a DuckDB database at all (a CSV, a SQLite file, a typo'd path)."""


def schema_sql() -> str:
    """The DDL of every copydesk table and view."""
    return files("storage").joinpath("schema.sql").read_text(encoding="utf-8")


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables, sequences and views (idempotent), all or none of them."""
    # One transaction: a process killed while creating a new file must not leave half a schema for readers.
    con.begin()
    try:
        con.execute(schema_sql())
    except BaseException:
        con.rollback()
        raise
    con.commit()


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait_seconds: float = 60.0,
    on_wait: Callable[[str], None] | None = None,
    memory_limit: str | None = None,
    external_access: bool = True,
    allowed_directories: Sequence[str] = (),
) -> duckdb.DuckDBPyConnection:
    """Open the database, retrying with backoff while another process holds the file lock.

    `memory_limit` ("2GB") bounds DuckDB's buffer pool, which otherwise keeps up to 80% of RAM of what it
    scanned: the dedup step reads all of `lsh_bands`, ~4 GB of RSS against 1M stored articles.

    With `external_access` off, SQL on the connection reaches this database and nothing else: no files
    (COPY, read_text, ATTACH, globs), no URLs, no extension installs or loads, except under
    `allowed_directories`; the configuration is locked, so no `SET` turns that back on.
    """
    config: dict[str, str | bool | int | float | list[str]] = {"memory_limit": memory_limit} if memory_limit else {}
    if not external_access:
        config |= {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"{path}: no such database; run `copydesk run` first")
    _refuse_sqlite(path, _file_head(path))
    deadline = time.monotonic() + wait_seconds
    delay, said_at = _FIRST_DELAY, -_SAY_EVERY
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=config)
            break
        except duckdb.Error as exc:
            if _CORRUPT in str(exc):
                raise DatabaseCorruptError(corrupt_message(path, str(exc))) from exc
            if (cut := explained(exc)) is not exc:
                raise cut from exc
            if _NOT_DUCKDB in str(exc):
                raise _not_duckdb(path) from None
            holder = lock_holder(str(exc)) if isinstance(exc, duckdb.IOException) else None
            if holder is None:
                _raise_if_known(exc, path, doing="open the database for writing" if not read_only else "open")
                raise
            if time.monotonic() + delay > deadline:
                raise DatabaseLockedError(
                    f"{path} is locked by {holder}; waited {wait_seconds:g} s. DuckDB lets one process open "
                    "the file while another writes it: retry once that process has closed it (a copydesk run "
                    "holds it for a batch at a time; a notebook or a duckdb shell for as long as it stays open)"
                ) from None
            message = f"{path} is locked by {holder}; retrying in {delay:.1f} s"
            if on_wait is not None and time.monotonic() - said_at >= _SAY_EVERY:  # a line per poll would flood
                on_wait(message)
                said_at = time.monotonic()
            elif delay == _FIRST_DELAY:  # said once: a run is otherwise silent for as long as it waits
                log.warning(
                    "Waiting for %s: it is locked by %s; waiting up to %g s for it to close the file",
                    path,
                    holder,
                    wait_seconds,
                )
            time.sleep(delay)
            delay = min(delay * 2, LOCK_POLL_MAX)
    if not external_access:
        _shut_out(con, allowed_directories)
    if not read_only:
        try:
            # Closing would checkpoint: rewrite DuckDB's metadata block in place with one write that SIGKILL can
            # cut short (Linux ends a buffered write early between page-cache folios), leaving a file DuckDB
            # refuses to open (bench/kill_during_checkpoint.py: 3 of 500 kills). Batches stay in the WAL instead,
            # whose torn last entry is dropped on replay. DuckDB still checkpoints once the WAL passes
            # checkpoint_threshold (16 MB), and a finished run does once (writing(checkpoint=True)).
            con.execute("PRAGMA disable_checkpoint_on_shutdown")
            _ensure_schema(con, path)
        except duckdb.Error as exc:
            con.close()
            _raise_if_known(exc, path, doing="open the database for writing")
            raise
        except NotADatabaseError:
            con.close()
            raise
    return con


_SQLITE_MAGIC = b"SQLite format 3\x00"
# Bytes 8-12 of every DuckDB file, after its header block's checksum.
_DUCKDB_MAGIC = b"DUCK"


def refuse_other_files(path: Path) -> None:
    """Refuse a file that is no DuckDB database, before anything is started or created beside it: a run found it
    out only once Prefect had started, and had made the archive and index folders next to it by then."""
    head = _file_head(path)
    if head is None:
        return
    _refuse_sqlite(path, head)
    if not head:
        raise NotADatabaseError(f"{path} is an empty file, not a DuckDB database, and was left as it is. {_ANOTHER_DB}")
    if head[8:12] != _DUCKDB_MAGIC:
        raise _not_duckdb(path)


def _file_head(path: Path) -> bytes | None:
    """The first 16 bytes of the file (enough for SQLite's and DuckDB's magic), or None if it cannot be read (no
    file yet, or one DuckDB will say more about)."""
    try:
        with path.open("rb") as file:
            return file.read(len(_SQLITE_MAGIC))
    except OSError:
        return None


def _refuse_sqlite(path: Path, head: bytes | None) -> None:
    """An SQLite file is not opened: DuckDB would fetch its sqlite extension from the network to read it, and
    say only that the extension is missing."""
    if head == _SQLITE_MAGIC:
        raise NotADatabaseError(f"{path} is an SQLite database, not a DuckDB one, and was left as it is. {_ANOTHER_DB}")


def _not_duckdb(path: Path) -> NotADatabaseError:
    return NotADatabaseError(
        f"{path} is not a DuckDB database: the file holds something else, and was left as it is. {_ANOTHER_DB}"
    )


# Columns of `articles` that any copydesk database has had: a file whose tables lack them is another tool's.
_OUR_ARTICLE_COLUMNS = frozenset({"article_id", "url", "source", "text"})


def require_copydesk(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a DuckDB file of another tool (tables, but no copydesk `articles`): a run added copydesk's 14 tables
    beside the user's, and `stats` said "Table with name articles does not exist"."""
    tables = {
        name: set(columns)
        for name, columns in con.execute(
            "SELECT table_name, list(column_name) FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'main' GROUP BY table_name"
        ).fetchall()
    }
    if not tables or _OUR_ARTICLE_COLUMNS <= tables.get("articles", set()):
        return
    shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
    why = (
        "its articles table is not copydesk's" if "articles" in tables else f"it holds tables ({shown}) but no articles"
    )
    raise NotADatabaseError(
        f"{path} is a DuckDB database of something else ({why}), and was left as it is. {_ANOTHER_DB}"
    )


def columns_missing(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The columns ("table.column") of copydesk's schema that the open file lacks: a file an older release wrote,
    which the first writing command upgrades (reading commands leave files as they are)."""
    have = set(con.execute(_COLUMNS_OF_FILE).fetchall())
    return [f"{table}.{column}" for table, column in _schema_columns() if (table, column) not in have]


# The columns of tables (views are bound when queried: a view over a missing column fails like the query).
_COLUMNS_OF_FILE = """
SELECT c.table_name, c.column_name FROM duckdb_columns() c
JOIN duckdb_tables() t USING (database_name, schema_name, table_name)
WHERE c.database_name = current_database() AND c.schema_name = 'main'
ORDER BY c.table_name, c.column_index
"""


@lru_cache(maxsize=1)
def _schema_columns() -> tuple[tuple[str, str], ...]:
    """Every table column our schema creates, learnt from applying it to a database in memory."""
    with duckdb.connect(":memory:") as con:
        apply_schema(con)
        return tuple(con.execute(_COLUMNS_OF_FILE).fetchall())


def _shut_out(con: duckdb.DuckDBPyConnection, allowed_directories: Sequence[str]) -> None:
    """Turn external access off, then lock the configuration, before anyone else's SQL runs here."""
    # DuckDB takes allowed_directories only once the database is open and while external access is still on.
    try:
        con.execute("SET allowed_directories = ?", [list(allowed_directories)])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise


# What the file's tables and columns look like once our schema is applied, learnt by this process's first
# apply_schema. A run opens its file once per batch, and the DDL took ~9 ms of each open; comparing a file's
# columns with this takes ~2 ms. A file that differs (new, older, or with tables of the user's) gets the DDL.
_COLUMNS_FINGERPRINT = """
SELECT md5(string_agg(table_name || '.' || column_name || ' ' || data_type, ',' ORDER BY table_name, column_index))
FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main'
"""
_applied_fingerprint: str | None = None


def _ensure_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    global _applied_fingerprint
    if _applied_fingerprint is not None and _fingerprint(con) == _applied_fingerprint:
        return
    require_copydesk(con, path)
    apply_schema(con)
    _applied_fingerprint = _fingerprint(con)


def _fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    ((value,),) = con.execute(_COLUMNS_FINGERPRINT).fetchall()  # fetchall: no unfinished result left behind
    return str(value)


# DuckDB's words when the file ends before a block its header points to: a copy or a disk that lost its end.
_CUT_SHORT = re.compile(r'Could not read enough bytes from file "(?P<path>[^"]+)"')


def explained(exc: BaseException) -> BaseException:
    """A database file cut short, in the words of corrupt_message (DuckDB said only "IO Error: Could not read
    enough bytes from file ..."); any other error as it is."""
    cut = _CUT_SHORT.search(str(exc)) if isinstance(exc, duckdb.Error) else None
    if cut is None:
        return exc
    path = Path(cut["path"].removesuffix(".wal"))
    return DatabaseCorruptError(corrupt_message(path, f"it ends before the data its header points to; {exc}"))


def corrupt_message(path: Path, reason: str) -> str:
    """What to do about a file DuckDB refuses: restore a copy, or rebuild it from the archive of fetched pages."""
    archive = default_archive_dir(path)
    where = archive if archive.is_dir() else "ARCHIVE_DIR"  # a run's archive_dir setting may have put it elsewhere
    return (
        f"{path}: DuckDB cannot read this file ({reason.strip().splitlines()[0]}); copydesk changed nothing in it. "
        "A kill or a power loss while DuckDB rewrote the file in place can leave it so (README, 'What it writes'). "
        "Restore the file from a copy, or build a new file from the archive of every fetched page: "
        f"`copydesk ingest-warc {where} --db NEW.duckdb` (articles and clusters; not the fetch log)"
    )


def lock_holder(message: str) -> str | None:
    """The process named in DuckDB's lock-conflict message, or None if the error is not a lock conflict."""
    if not _LOCK_WORD.search(message):  # "lock" as a word: "block at location" is a corrupt file, not a lock
        return None
    match = _LOCK_HOLDER.search(message)
    if match is None:
        return "another process"
    pid = match.group("pid")
    return f"PID {pid} ({match.group('holder')})" if pid else match.group("holder")


def share_the_file(held_since: float) -> float:
    """Between two write transactions of a long job: once it has held the file HOLD_AT_MOST seconds, sleep longer
    than a waiting process polls, so that one gets its turn (a crawl's batch during a rebuild). Returns when the
    job's hold starts anew."""
    if time.monotonic() - held_since < HOLD_AT_MOST:
        return held_since
    time.sleep(LOCK_POLL_MAX + 0.25)
    return time.monotonic()


@contextmanager
def writing(
    path: str | Path,
    *,
    wait_seconds: float = 60.0,
    memory_limit: str | None = None,
    checkpoint: bool = False,
    rolled_back: Callable[[], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection for one batch, inside one transaction: all of the batch or none of it.

    The batch goes to the WAL beside the file. With `checkpoint` (a run's last write), the WAL is then folded
    into the file, so that the file alone holds the run for whoever copies it. `rolled_back` is called when
    the transaction did not commit (the batch raised, or the commit did): what the batch wrote outside the
    database (its pages' WARC records) is to be taken back.
    """
    con = connect(path, wait_seconds=wait_seconds, memory_limit=memory_limit)
    try:
        con.begin()
        try:
            yield con
        except BaseException:
            try:
                con.rollback()
            finally:
                if rolled_back is not None:
                    rolled_back()
            raise
        try:
            con.commit()
        except duckdb.Error as exc:
            if _COMMITTED in str(exc):
                raise _committed_error(exc, Path(path)) from exc
            if rolled_back is not None:
                rolled_back()
            raise
        if checkpoint:
            _checkpoint(con, Path(path))
    except duckdb.Error as exc:
        _raise_if_known(exc, Path(path), doing="write a batch")
        raise
    finally:
        con.close()


def _checkpoint(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Fold the WAL into the file. A failure loses nothing (the WAL is replayed on every open): a warning."""
    try:
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        log.warning("%s: could not fold its WAL into the file (%s); the WAL keeps every batch", path, exc)


def _committed_error(exc: duckdb.Error, path: Path) -> CommittedButNotFoldedError:
    """The error for a commit DuckDB calls durable although the checkpoint that came with it failed."""
    reason = no_space_reason(str(exc))
    why = f"out of space ({reason}); free space and" if reason else f"{str(exc).splitlines()[0]};"
    return CommittedButNotFoldedError(
        f"{path}: the batch was committed and is kept (in the WAL beside the file), but folding the WAL into the "
        f"file then failed: {why} run the command again: it goes on from what was committed"
    )


def _raise_if_known(exc: duckdb.Error, path: Path, *, doing: str) -> None:
    """Turn DuckDB's errors for a full disk or an unwritable path into ours, with what was kept."""
    message = str(exc)
    if reason := no_space_reason(message):
        raise DiskFullError(
            f"{path}: out of space while trying to {doing} ({reason}). What it wrote was "
            "rolled back, and everything committed before it is intact; free space (or raise the file size limit) "
            "and run the command again: it goes on from what was committed"
        ) from exc
    if any(reason in message for reason in _UNWRITABLE):
        raise DatabaseUnwritableError(
            f"{path}: cannot {doing} ({_reason(message, _UNWRITABLE)}); nothing was written. Pass --db with a "
            "path in a writable directory, or make this file and its directory writable"
        ) from exc


def no_space_reason(message: str) -> str | None:
    """Which of DuckDB's words for a full disk (NO_SPACE) a message of its holds, if any."""
    return next((reason for reason in NO_SPACE if reason in message), None)


def _reason(message: str, reasons: tuple[str, ...]) -> str:
    return next(r for r in reasons if r in message)
