"""The DuckDB file shared with other processes: readers wait instead of failing, and a read-only path or a full
disk becomes a clear error that loses nothing already committed. Every process here is real."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

import storage.db
from storage.db import DatabaseCorruptError, DatabaseLockedError, DatabaseUnwritableError, connect, lock_holder, writing

ROWS_PER_BATCH = 500


def python(script: str, *args: str) -> subprocess.Popen[str]:
    """Start a Python process running `script`; it prints one line per step on stdout."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# Writes batches through storage.db.writing, each of ROWS_PER_BATCH rows of incompressible text, and says
# "committed N" after each commit. argv: db path, batches, file size limit in bytes (0 = none).
BATCH_WRITER = f"""
    import resource, signal, sys
    from storage.db import DiskFullError, writing
    db, batches, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with writing(db) as con:
        con.execute("CREATE TABLE IF NOT EXISTS probe (batch INT, payload VARCHAR)")
    if limit:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write() instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    print("ready", flush=True)
    for batch in range(batches):
        try:
            with writing(db) as con:
                con.execute(
                    "INSERT INTO probe SELECT ?, md5(random()::VARCHAR) || md5(random()::VARCHAR) "
                    "FROM range({ROWS_PER_BATCH})",
                    [batch],
                )
        except DiskFullError as exc:
            print(f"error {{exc}}", flush=True)
            sys.exit(1)
        print(f"committed {{batch + 1}}", flush=True)
"""


@pytest.fixture
def probe_db(tmp_path: Path) -> Path:
    return tmp_path / "probe.duckdb"


def test_a_reader_waits_for_the_writer_then_gets_its_answer(probe_db: Path) -> None:
    with writing(probe_db) as con:
        con.execute("CREATE TABLE probe AS SELECT 42 AS answer")
    # The writer lets go once the reader has had to wait (its standard input closes), not after a second: a
    # reader held up that long by a busy machine would have found the file free and never waited.
    script = """
        import sys, duckdb
        con = duckdb.connect(sys.argv[1])
        print("holding", flush=True)
        sys.stdin.read()
    """
    waits: list[str] = []
    with python(script, str(probe_db)) as holder:
        assert holder.stdout is not None and holder.stdin is not None and holder.stdout.readline() == "holding\n"

        def waited(message: str) -> None:
            waits.append(message)
            holder.stdin.close()  # type: ignore[union-attr]

        with connect(probe_db, read_only=True, wait_seconds=30, on_wait=waited) as con:
            assert con.execute("SELECT answer FROM probe").fetchone() == (42,)
    assert waits and f"locked by PID {holder.pid}" in waits[0]


def test_a_writer_kept_out_says_once_that_it_waits_then_names_the_holder(
    probe_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    connect(probe_db).close()
    script = """
        import sys, duckdb
        con = duckdb.connect(sys.argv[1], read_only=True)
        print("holding", flush=True)
        sys.stdin.read()
    """
    with python(script, str(probe_db)) as holder, caplog.at_level(logging.WARNING, logger="storage.db"):
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        with pytest.raises(DatabaseLockedError) as refused:
            connect(probe_db, wait_seconds=0.5)
        assert holder.stdin is not None
        holder.stdin.close()
    waits = [r.getMessage() for r in caplog.records if r.name == "storage.db"]
    assert len(waits) == 1 and f"locked by PID {holder.pid}" in waits[0] and "up to 0.5 s" in waits[0]
    assert f"locked by PID {holder.pid}" in str(refused.value) and "a notebook or a duckdb shell" in str(refused.value)


def test_a_concurrent_reader_sees_whole_batches_only(probe_db: Path) -> None:
    answers: list[tuple[int, int]] = []
    with python(BATCH_WRITER, str(probe_db), "12", "0") as writer:
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        while writer.poll() is None:
            with connect(probe_db, read_only=True, wait_seconds=30, on_wait=lambda _: None) as con:
                answers.append(con.execute("SELECT count(*), count(DISTINCT batch) FROM probe").fetchone())  # type: ignore[arg-type]
        assert writer.wait() == 0, writer.stderr.read() if writer.stderr else ""
    assert answers, "the reader never got in between two batches"
    assert all(rows == batches * ROWS_PER_BATCH for rows, batches in answers)
    assert [rows for rows, _ in answers] == sorted(rows for rows, _ in answers)


def test_a_full_disk_is_a_clear_error_and_keeps_the_committed_batches(probe_db: Path) -> None:
    # RLIMIT_FSIZE makes write() fail with EFBIG exactly as a full disk fails it with ENOSPC, without root.
    with python(BATCH_WRITER, str(probe_db), "400", str(800_000)) as writer:
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 1, err
    lines = out.splitlines()
    committed = sum(line.startswith("committed") for line in lines)
    assert committed > 0 and lines[-1].startswith("error ")
    assert "out of space" in lines[-1] and "File too large" in lines[-1] and "rolled back" in lines[-1]
    assert str(probe_db) in lines[-1]
    with duckdb.connect(str(probe_db), read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT batch) FROM probe").fetchone() == (
            committed * ROWS_PER_BATCH,
            committed,
        )


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory in which nobody may create files: chmod for users; root ignores modes, so it gets sysfs."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
    elif Path("/sys").is_dir() and not os.access("/sys", os.W_OK, effective_ids=True) or _sysfs_refuses():
        yield Path("/sys")
    else:
        pytest.skip("running as root without a read-only location to write to")


def _sysfs_refuses() -> bool:
    try:
        duckdb.connect("/sys/copydesk-probe.duckdb").close()
    except duckdb.IOException as exc:
        return "Permission denied" in str(exc)
    return False


def test_a_read_only_path_names_the_path_and_the_fix(unwritable_dir: Path) -> None:
    path = unwritable_dir / "news.duckdb"
    with pytest.raises(DatabaseUnwritableError) as error, writing(path):
        pass
    message = str(error.value)
    assert str(path) in message and "Permission denied" in message and "--db" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write read-only files")
def test_a_read_only_file_keeps_its_rows_and_still_answers_readers(probe_db: Path) -> None:
    with writing(probe_db) as con:
        con.execute("CREATE TABLE probe AS SELECT range AS i FROM range(10)")
    probe_db.chmod(0o444)
    with pytest.raises(DatabaseUnwritableError, match="cannot open the database for writing"), writing(probe_db):
        pass
    with connect(probe_db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM probe").fetchone() == (10,)


def test_memory_limit_bounds_duckdb(tmp_path: Path) -> None:
    with writing(tmp_path / "x.duckdb", memory_limit="100MB") as con:
        (limit,) = con.execute("SELECT current_setting('memory_limit')").fetchone() or ("",)
    assert limit == "95.3 MiB"


def test_every_file_opened_for_writing_has_the_whole_schema(tmp_path: Path) -> None:
    # A process skips the DDL for files whose columns match what it applied before; these must not be skipped.
    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    with writing(first) as con:
        columns = con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'main'").fetchone()
    with writing(second) as con:  # a new file
        assert con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'main'").fetchone() == columns
    first.unlink()
    with writing(first) as con:  # deleted and created again under the same name
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (0,)
    with duckdb.connect(str(second)) as con:  # a file from before a column was added
        con.execute("ALTER TABLE runs DROP COLUMN skipped")
    with writing(second) as con:
        assert con.execute("SELECT skipped FROM runs").fetchall() == []


def test_a_file_from_before_the_reason_columns_gets_them_with_null_for_old_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with writing(path) as con:
        con.execute("INSERT INTO fetches (run_id, url, kind, started_at) VALUES ('r', 'http://a.test', 'feed', now())")
    with duckdb.connect(str(path)) as con:  # as copydesk files were before the column
        con.execute("ALTER TABLE fetches DROP COLUMN reason")
        con.execute("ALTER TABLE seen_urls DROP COLUMN reason")
    with writing(path) as con:
        assert con.execute("SELECT reason FROM fetches").fetchall() == [(None,)]
        assert con.execute("SELECT reason FROM seen_urls").fetchall() == []


def test_runs_recorded_before_the_flow_column_was_written_get_their_flow_from_params(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.duckdb"
    with writing(path) as con:  # as copydesk wrote them before: the column's default, the flow in params
        for run_id, params in (("r1", {}), ("r2", {"flow": "reextract"}), ("r3", {"flow": "ingest-warc"})):
            con.execute(
                "INSERT INTO runs (run_id, started_at, status, params) VALUES (?, now(), 'completed', ?)",
                [run_id, json.dumps(params)],
            )
    monkeypatch.setattr(storage.db, "_applied_fingerprint", None)  # a new process: its first connect applies DDL
    with writing(path) as con:
        flows = con.execute("SELECT run_id, flow FROM runs ORDER BY run_id").fetchall()
    assert flows == [("r1", "ingest"), ("r2", "reextract"), ("r3", "ingest-warc")]


@pytest.fixture
def shut_db(tmp_path: Path) -> Path:
    """A copydesk database, and beside it a file that SQL must not read."""
    path = tmp_path / "news.duckdb"
    connect(path).close()
    (tmp_path / "secret.txt").write_text("host secret\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT 1) TO '{dir}/x.csv'",
        "SELECT * FROM read_text('{dir}/secret.txt')",
        "SELECT * FROM glob('{dir}/*')",
        "ATTACH '{dir}/other.duckdb'",
        "LOAD httpfs",  # not INSTALL or an https URL: were the guard broken, the test would reach the internet
    ],
)
def test_without_external_access_sql_reaches_no_file_url_or_extension(shut_db: Path, sql: str) -> None:
    with connect(shut_db, read_only=True, external_access=False) as con:
        with pytest.raises(duckdb.PermissionException):
            con.execute(sql.format(dir=shut_db.parent))
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (0,)
    assert not (shut_db.parent / "x.csv").exists() and not (shut_db.parent / "other.duckdb").exists()


@pytest.mark.parametrize("setting", ["enable_external_access = true", "lock_configuration = false"])
def test_sql_cannot_turn_external_access_back_on(shut_db: Path, setting: str) -> None:
    with connect(shut_db, read_only=True, external_access=False) as con:
        with pytest.raises(duckdb.InvalidInputException, match="the configuration has been locked"):
            con.execute(f"SET {setting}")


def test_an_allowed_directory_is_the_only_place_sql_may_write(shut_db: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "out"
    allowed.mkdir()
    with connect(shut_db, read_only=True, external_access=False, allowed_directories=[f"{allowed}/"]) as con:
        con.execute(f"COPY (SELECT 1 AS x) TO '{allowed}/x.csv'")
        for escape in (f"{allowed}/../x.csv", f"{tmp_path}/x.csv"):
            with pytest.raises(duckdb.PermissionException):
                con.execute(f"COPY (SELECT 1 AS x) TO '{escape}'")
    assert (allowed / "x.csv").read_text(encoding="utf-8") == "x\n1\n"
    assert not (tmp_path / "x.csv").exists()


def test_batches_go_to_the_wal_and_a_runs_last_write_folds_them_into_the_file(tmp_path: Path) -> None:
    # A checkpoint rewrites DuckDB's metadata block in place, and a kill can tear that write: batches must not
    # checkpoint on close. The run's last write does, so that the file alone holds the run.
    db, wal = tmp_path / "news.duckdb", tmp_path / "news.duckdb.wal"
    with writing(db) as con:
        con.execute("CREATE TABLE notes (n INTEGER)")
    file_after_first = db.read_bytes()
    for batch in range(3):
        with writing(db) as con:
            con.execute("INSERT INTO notes SELECT range FROM range(?, ?)", [batch * 100, batch * 100 + 100])
        assert db.read_bytes() == file_after_first, "a batch rewrote the database file"
    assert wal.stat().st_size > 0
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM notes").fetchone() == (300,)  # readers replay the WAL

    with writing(db, checkpoint=True) as con:
        con.execute("INSERT INTO notes VALUES (-1)")
    assert not wal.exists() or wal.stat().st_size == 0
    alone = tmp_path / "copy" / "news.duckdb"
    alone.parent.mkdir()
    alone.write_bytes(db.read_bytes())  # the file without its WAL, as a user copying it would have it
    with connect(alone, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM notes").fetchone() == (301,)


def damage_first_block(db: Path) -> bytes:
    """Flip a byte inside DuckDB's first block (its metadata), so that its checksum fails on open; the new bytes."""
    damaged = bytearray(db.read_bytes())
    damaged[12288 + 5000] ^= 0xFF  # after the file's three 4 kB headers
    db.write_bytes(bytes(damaged))
    return bytes(damaged)


def test_a_file_duckdb_refuses_is_one_error_that_says_how_to_recover(tmp_path: Path) -> None:
    db = tmp_path / "news.duckdb"
    with writing(db, checkpoint=True) as con:
        con.execute("CREATE TABLE notes (n INTEGER)")
    damaged = damage_first_block(db)
    for read_only in (True, False):
        with pytest.raises(DatabaseCorruptError) as error:
            connect(db, read_only=read_only, wait_seconds=5)
        said = str(error.value)
        assert said.startswith(f"{db}: DuckDB cannot read this file (Corrupt database file: computed checksum")
        assert "copydesk changed nothing in it" in said and "`copydesk ingest-warc ARCHIVE_DIR --db NEW.duckdb`" in said
    assert db.read_bytes() == damaged
    (tmp_path / "news-archive").mkdir()  # the archive of fetched pages a run keeps next to the file
    archive = tmp_path / "news-archive"
    with pytest.raises(DatabaseCorruptError, match=f"`copydesk ingest-warc {archive} --db NEW.duckdb`"):
        connect(db)


def test_a_lock_is_the_word_lock_not_a_block_location() -> None:
    assert lock_holder("IO Error: Could not set lock on file: Conflicting lock is held in /bin/python (PID 7)") == (
        "PID 7 (/bin/python)"
    )
    assert (
        lock_holder(
            "Corrupt database file: computed checksum 1 does not match stored checksum 2 in block at location 12288"
        )
        is None
    )


# Holds the file in back-to-back write transactions of 0.2 s each, as a rebuild's steps do, sharing it between
# them as rebuild.continue_rebuild does; "ready" once it has the file. argv: db path.
LONG_JOB = """
    import sys, time
    from storage.db import share_the_file, writing
    db, end = sys.argv[1], time.monotonic() + 30
    with writing(db) as con:
        con.execute("CREATE TABLE IF NOT EXISTS probe (n INT)")
    print("ready", flush=True)
    held_since = time.monotonic()
    while time.monotonic() < end:
        with writing(db) as con:
            con.execute("INSERT INTO probe VALUES (1)")
            time.sleep(0.2)
        held_since = share_the_file(held_since)
"""


def test_a_long_job_of_many_transactions_lets_a_waiting_writer_in(probe_db: Path) -> None:
    # A review: a rebuild's steps, committed back to back, left no gap a crawl's batch polling every 2 s landed in,
    # and the batch failed after waiting 60 s.
    with python(LONG_JOB, str(probe_db)) as job:
        assert job.stdout is not None and job.stdout.readline() == "ready\n", job.stderr.read() if job.stderr else ""
        with connect(probe_db, wait_seconds=20, on_wait=lambda _: None) as con:
            still_running = job.poll() is None
            con.execute("INSERT INTO probe VALUES (2)")
        job.kill()
    assert still_running, "the writer got in only once the job had ended"
