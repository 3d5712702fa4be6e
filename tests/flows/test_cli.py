"""The `copydesk` command line: help on every command, exports, one-line errors, README drift."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import gzip
import io
import json
import os
import socket
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

import storage.db as storage_db
from flows.cli import _bypass_proxies_for_loopback, _offline_prefect_env, _parser, main
from storage.db import writing
from storage.load import load_articles
from storage.rows import ArticleRow
from tests.flows.test_extraction import BUDGET, pathological_page
from tests.storage.test_db import damage_first_block

README = Path(__file__).parents[2] / "README.md"
COMMANDS = sorted(_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Three articles: a wire story and its copy (one cluster), and an older singleton."""
    path = tmp_path / "news.duckdb"
    rows = [
        ArticleRow(
            "http://a.test/wire",
            "a",
            "Wire text.",
            "h1",
            datetime(2025, 6, 5, tzinfo=UTC),
            title="Wire",
            authors=("Ana Ruiz", 'Li "Lee" Wei'),
            captions=(("Police officers, in Lyon, carry supplies", "EPA"),),
        ),
        ArticleRow("http://b.test/wire", "b", "Wire text!", "h2", datetime(2025, 6, 5, tzinfo=UTC), title="Copy"),
        ArticleRow(
            "http://a.test/old",
            "a",
            "Old text.",
            "h3",
            datetime(2025, 6, 5, tzinfo=UTC),
            published_at=datetime(2025, 1, 1, tzinfo=UTC),
        ),
    ]
    with writing(path, checkpoint=True) as con:  # as a finished run leaves it: no WAL beside the file
        load_articles(con, "r1", rows)
        con.execute(
            "UPDATE articles SET cluster_id = 1, is_canonical = (url = 'http://a.test/wire') WHERE title IS NOT NULL"
        )
    return path


def test_version_says_which_copydesk_this_is(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"copydesk {version('copydesk')}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: copydesk {command}" in capsys.readouterr().out


def test_every_command_is_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    assert [c for c in COMMANDS if f"copydesk {c}" not in readme] == []


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_export_writes_every_article(fmt: str, db: Path, tmp_path: Path) -> None:
    out = tmp_path / f"articles.{fmt}"
    assert main(["export", "--db", str(db), "--format", fmt, "--out", str(out)]) == 0
    if fmt == "parquet":
        urls = [r[0] for r in duckdb.sql(f"SELECT url FROM '{out}'").fetchall()]
    elif fmt == "jsonl":
        urls = [json.loads(line)["url"] for line in out.read_text(encoding="utf-8").splitlines()]
    else:
        rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
        urls = [row["url"] for row in rows]
        # Lists and structs as JSON, as `query --format csv` writes them (COPY wrote [{'text': a, b}], unparsable).
        wire = next(row for row in rows if row["url"] == "http://a.test/wire")
        assert json.loads(wire["authors"]) == ["Ana Ruiz", 'Li "Lee" Wei']
        assert json.loads(wire["captions"]) == [{"text": "Police officers, in Lyon, carry supplies", "credit": "EPA"}]
    assert sorted(urls) == ["http://a.test/old", "http://a.test/wire", "http://b.test/wire"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_query_prints_every_value_whole_as_csv_or_json_lines(
    fmt: str, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = "x" * 500  # a table cuts a cell this long to fit the terminal
    sql = (
        f"SELECT url, '{long}' AS long, [url, source] AS pair, fetched_at, 'NaN'::DOUBLE AS nan, "
        "['inf'::DOUBLE, 1.5] AS numbers, '\\xFF\\x00'::BLOB AS blob FROM articles ORDER BY url"
    )
    assert main(["query", "--db", str(db), "--format", fmt, sql]) == 0
    out = capsys.readouterr().out
    if fmt == "csv":
        rows = list(csv.DictReader(out.splitlines()))
        pairs = [json.loads(r["pair"]) for r in rows]
    else:

        def refuse(constant: str) -> None:
            raise AssertionError(f"{constant} is not JSON")

        rows = [json.loads(line, parse_constant=refuse) for line in out.splitlines()]
        pairs = [r["pair"] for r in rows]
        assert {(r["nan"], tuple(r["numbers"])) for r in rows} == {(None, (None, 1.5))}
    assert [r["url"] for r in rows] == ["http://a.test/old", "http://a.test/wire", "http://b.test/wire"]
    assert {r["long"] for r in rows} == {long}
    assert pairs == [["http://a.test/old", "a"], ["http://a.test/wire", "a"], ["http://b.test/wire", "b"]]
    assert all(r["fetched_at"].startswith("2025-06-05") for r in rows)
    assert {r["blob"] for r in rows} == {"ff00"}


def test_a_query_table_prints_brackets_as_text_not_markup(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A WordPress shortcode in an article ("[button]...[/button]") raised Rich's "closing tag doesn't match", and
    # "[bold red]" was eaten as a style.
    sql = "SELECT '[updated] Vote' AS \"[u]\", '[bold red]hello[/bold red] [/button]' AS t"
    assert main(["query", "--db", str(db), sql]) == 0
    out = capsys.readouterr().out
    assert "[u]" in out and "[updated] Vote" in out and "[bold red]hello[/bold red] [/button]" in out


def test_a_backfill_needs_a_database_to_widen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Without one it started a fresh crawl in ./copydesk.duckdb, the default the README never names.
    sources = tmp_path / "sources.toml"
    sources.write_text('[[sources]]\nname = "a"\nhomepage = "https://a.example/"\n', encoding="utf-8")
    missing = tmp_path / "none.duckdb"
    assert main(["backfill", "--sources", str(sources), "--source", "a", "--db", str(missing)]) != 0
    assert "no such database" in capsys.readouterr().err and not missing.exists()


def test_reextract_of_a_source_the_archive_does_not_have_says_so(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reextract", "--db", str(db), "--source", "nosuch"]) != 0
    assert "no archived page of source 'nosuch'" in capsys.readouterr().err


def test_the_summary_names_a_source_that_gave_only_errors(capsys: pytest.CaptureFixture[str]) -> None:
    # A feed URL that is a web page: "errors 2" among the totals, exit code 0, and no word of which source.
    from dataclasses import asdict

    from flows.cli import print_summary
    from flows.report import RunSummary

    summary = RunSummary(run_id="r1", db="news.duckdb")
    summary.add("good", discovered=5, fetched=5, stored=5, new=5)
    summary.add("broken", errors=2)
    summary.add("quiet")  # nothing new and nothing wrong: an unchanged feed
    print_summary(asdict(summary))
    lines = [line for line in capsys.readouterr().out.splitlines() if "no articles from" in line]
    assert len(lines) == 1 and "broken: only errors" in lines[0] and "good" not in lines[0]
    assert "quiet" not in lines[0] and "run_id = 'r1'" in lines[0]


def test_export_to_standard_output(
    db: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # "-" was written as a file of that name
    assert main(["export", "--db", str(db), "--format", "jsonl", "--out", "-"]) == 0
    captured = capsysbinary.readouterr()
    urls = sorted(json.loads(line)["url"] for line in captured.out.decode().splitlines())
    assert urls == ["http://a.test/old", "http://a.test/wire", "http://b.test/wire"]
    assert b"wrote 3 articles to standard output" in captured.err and not (tmp_path / "-").exists()


def test_query_reads_its_statement_from_standard_input(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT count(*) AS n FROM articles\n"))
    assert main(["query", "--db", str(db), "--format", "csv", "-"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "3"]


def test_dask_workers_without_the_dask_runner_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[sources]]\nname = "a"\nhomepage = "https://a.example/"\n', encoding="utf-8")
    assert main(["run", "--sources", str(sources), "--dask-workers", "0"]) != 0
    assert "need --task-runner dask" in capsys.readouterr().err


def test_export_since_and_unique_filter_articles(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "unique.jsonl"
    args = ["export", "--db", str(db), "--format", "jsonl", "--out", str(out), "--since", "2025-06-01", "--unique"]
    assert main(args) == 0
    assert [json.loads(line)["url"] for line in out.read_text(encoding="utf-8").splitlines()] == ["http://a.test/wire"]
    assert capsys.readouterr().out.strip() == f"wrote 1 articles to {out}"


def test_an_export_since_that_is_no_day_says_what_one_looks_like(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--db", str(db), "--format", "csv", "--out", str(tmp_path / "x.csv"), "--since", "yesterday"])
    assert exit_.value.code == 2
    assert "argument --since: 'yesterday' is not a day such as 2025-06-01" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_a_serve_port_that_is_no_port_is_refused_before_anything_starts(
    port: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--sources", str(tmp_path / "s.toml"), "--port", port])
    assert exit_.value.code == 2
    assert f"argument --port: '{port}' is not a TCP port, 1 to 65535" in capsys.readouterr().err


def test_errors_are_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.duckdb"
    assert main(["export", "--db", str(missing), "--format", "csv", "--out", str(tmp_path / "x.csv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("copydesk: error: ") and err.count("\n") == 1 and "missing.duckdb" in err


def test_dask_options_need_the_dask_runner(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[[sources]]\nname = "a"\nhomepage = "http://a.test/"\n', encoding="utf-8")
    assert main(["run", "--sources", str(sources), "--dask-address", "tcp://127.0.0.1:8786"]) == 1
    assert "--dask-address and --dask-workers need --task-runner dask" in capsys.readouterr().err


def test_clean_prints_text_then_what_it_removed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = "The café opened in 1921 and has served naïve tourists and regulars alike ever since, the owner said."
    gallery = "".join(
        f"<div class='x9'><img src='/{k}.jpg'><p>{k}/3 Regulars at the counter on day {k} Reuters</p></div>"
        for k in (1, 2, 3)
    )
    page = (
        "<html><head><meta charset='windows-1252'><title>Caf\u00e9 turns 100</title></head><body><article>"
        f"<h1>Caf\u00e9 turns 100</h1><p>{story}</p><div class='g7'>{gallery}</div><p>{story} Prices: 3 \u20ac.</p>"
        "</article></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_bytes(page.encode("cp1252"))
    assert main(["clean", str(path)]) == 0
    text, removed = capsys.readouterr().out.split("\n--- removed captions and gallery ---\n")
    assert text.strip() == f"{story}\n\n{story} Prices: 3 €."
    assert removed.splitlines() == [f"Regulars at the counter on day {k}  [Reuters]" for k in (1, 2, 3)]


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one line a failed command printed on standard error (and nothing else)."""
    err = capsys.readouterr().err
    assert err.startswith("copydesk: error: ") and err.count("\n") == 1, err
    return err.removeprefix("copydesk: error: ").rstrip("\n")


@pytest.mark.parametrize(
    "sql",
    ["COPY (SELECT 1 AS x) TO '{dir}/x.csv'", "SELECT content FROM read_text('{dir}/secret.txt')"],
)
def test_query_reaches_files_only_with_allow_files(
    sql: str, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "secret.txt").write_text("host secret", encoding="utf-8")
    statement = sql.format(dir=tmp_path)
    assert main(["query", "--db", str(db), statement]) == 1
    assert error_line(capsys).startswith("copydesk query reads only the database (Permission Error: Cannot access")
    assert not (tmp_path / "x.csv").exists()
    assert main(["query", "--db", str(db), "--allow-files", statement]) == 0
    out = capsys.readouterr().out
    assert "host secret" in out if "read_text" in sql else (tmp_path / "x.csv").read_text() == "x\n1\n"


def test_query_cannot_switch_external_access_back_on(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--db", str(db), "SET enable_external_access = true"]) == 1
    assert "the configuration has been locked" in error_line(capsys)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("", "no SQL to run; pass a statement"),
        ("  \n ", "no SQL to run; pass a statement"),
        ("-- a comment", "no statement in '-- a comment' returns rows"),
        ("SELEC 1", 'Parser Error: syntax error at or near "SELEC"'),
        # DuckDB's suggestion is on its own line, which the one-line message keeps; the SQL echoed below it is not.
        ("SELECT * FROM article", 'Catalog Error: Table with name article does not exist! Did you mean "articles"?'),
    ],
)
def test_query_without_a_statement_says_so(
    sql: str, message: str, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "--db", str(db), sql]) == 1
    assert error_line(capsys).startswith(message)


def test_query_prints_the_result_of_each_of_several_statements(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # DuckDB runs every statement and returns the last one's result: "SELECT 1; SELECT 2" printed 2 alone.
    assert main(["query", "--db", str(db), "SELECT 'first' AS a; SELECT 'second' AS b"]) == 0
    out = capsys.readouterr().out
    assert "first" in out and "second" in out and out.index("first") < out.index("second")
    assert main(["query", "--db", str(db), "--format", "csv", "SELECT 1; SELECT 2"]) == 1
    assert error_line(capsys).startswith("2 SQL statements return rows, for one csv output; run them one at a time")
    assert main(["query", "--db", str(db), "--format", "csv", "SELECT ';' AS semicolon"]) == 0  # one statement
    capsys.readouterr()
    # A report's setup runs without a table of its own, in any format: the macro lives for the one connection.
    script = "CREATE TEMP MACRO twice(x) AS x * 2; SET VARIABLE n = 21; SELECT twice(getvariable('n')) AS answer"
    assert main(["query", "--db", str(db), "--format", "csv", script]) == 0
    assert capsys.readouterr().out.splitlines() == ["answer", "42"]


def db_paths(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """--db values that cannot be a database, and the start of the message each gets."""
    (tmp_path / "file").write_text("", encoding="utf-8")
    return {
        "empty": ("", "--db is empty; pass the path of a DuckDB file"),
        "directory": (str(tmp_path), f"--db {tmp_path}: is a directory; pass a DuckDB file in it"),
        "under a file": (
            str(tmp_path / "file" / "x.duckdb"),
            f"--db {tmp_path}/file/x.duckdb: {tmp_path}/file is a file",
        ),
        "missing": (str(tmp_path / "absent.duckdb"), f"--db {tmp_path}/absent.duckdb: no such database; create it"),
    }


@pytest.mark.parametrize("case", ["empty", "directory", "under a file", "missing"])
@pytest.mark.parametrize(
    "command", [["query", "SELECT 1"], ["stats"], ["export", "--format", "csv", "--out", "{tmp}/x.csv"]]
)
def test_a_bad_database_path_is_one_line_for_every_reading_command(
    case: str, command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    value, message = db_paths(tmp_path)[case]
    assert main([*(a.format(tmp=tmp_path) for a in command), "--db", value]) == 1
    assert error_line(capsys).startswith(message)
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(
    "command", [["query", "SELECT 1"], ["stats"], ["export", "--format", "csv", "--out", "{tmp}/x.csv"]]
)
def test_a_file_duckdb_refuses_is_one_line_for_every_reading_command_and_nothing_else(
    command: list[str], db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damage_first_block(db)
    assert main([*(a.format(tmp=tmp_path) for a in command), "--db", str(db)]) == 1
    said = capsys.readouterr()
    assert said.out == ""  # no heading of `stats` before the error
    assert said.err.startswith(f"copydesk: error: {db}: DuckDB cannot read this file (Corrupt database file")
    assert said.err.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("out", ["s3://bucket/x.parquet", "gs://b/x", "http://host/x.csv", "file:///tmp/x.csv"])
def test_export_refuses_a_url_and_writes_nothing(
    out: str, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--db", str(db), "--format", "parquet", "--out", out]) == 1
    assert error_line(capsys) == (
        f"--out {out}: looks like a URL, and copydesk writes local files only; write a local file and copy it "
        "there (e.g. with aws s3 cp, gcloud storage cp)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["news.duckdb"]


@pytest.mark.parametrize("out", ["news.duckdb", "./news.duckdb.wal", "news.duckdb.lsh/run.csv", "news-archive/x.csv"])
def test_export_refuses_to_write_over_the_database_it_reads(
    out: str, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `--out news.duckdb` for `--db news.duckdb` (one word slipped) wrote CSV over the crawl: nothing could undo it.
    monkeypatch.chdir(tmp_path)
    before = db.read_bytes()
    assert main(["export", "--db", str(db), "--format", "csv", "--out", out]) == 1
    assert error_line(capsys).endswith(
        "is the database " + str(db.resolve()) + " or one of its files; name a new file to export to"
    )
    assert db.read_bytes() == before


def test_export_refuses_the_files_of_a_symlinked_or_hard_linked_database(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # DuckDB writes its WAL beside the path it was given: for a link, beside the link, not its target.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "desk").mkdir()
    link = tmp_path / "desk" / "current.duckdb"
    link.symlink_to(db)
    wal = Path(f"{link}.wal")
    wal.write_bytes(b"wal")
    os.link(db, tmp_path / "hard.duckdb")
    before = db.read_bytes()
    for out in (str(wal), "desk/current.duckdb.lsh/x.csv", "desk/current-archive/x.csv", "hard.duckdb"):
        assert main(["export", "--db", str(link), "--format", "csv", "--out", out]) == 1
        assert error_line(capsys).endswith("or one of its files; name a new file to export to"), out
    assert db.read_bytes() == before and wal.read_bytes() == b"wal"


def test_export_prints_the_absolute_path_it_wrote(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--db", str(db), "--format", "csv", "--out", "out/../out/articles.csv"]) == 0
    written = tmp_path / "out" / "articles.csv"
    assert capsys.readouterr().out == f"wrote 3 articles to {written}\n"
    assert len(written.read_text(encoding="utf-8").splitlines()) == 4
    assert [p.name for p in written.parent.iterdir()] == ["articles.csv"]  # no staging directory left behind


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("", "--out is empty"),
        ("{tmp}", "--out {tmp}: is a directory"),
        ("{db}/x.csv", "--out {db}/x.csv: {db} is a file"),
    ],
)
def test_export_refuses_an_output_path_it_cannot_write(
    out: str, message: str, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--db", str(db), "--format", "csv", "--out", out.format(tmp=tmp_path, db=db)]) == 1
    assert error_line(capsys).startswith(message.format(tmp=tmp_path, db=db))


def sources_file(tmp_path: Path, settings: str = "", feed: str = "https://a.example/rss") -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(f'[[sources]]\nname = "a"\nfeeds = ["{feed}"]\n[settings]\n{settings}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("settings", "flags", "message"),
    [
        ("retries = -1", [], "{sources}: [settings]: retries must be an integer from 0 to 10, got -1"),
        (
            'allow_private = "yes"',
            [],
            "{sources}: [settings]: allow_private must be true or false, got the string 'yes'",
        ),
        ("per_host_delay = inf", [], "{sources}: [settings]: per_host_delay must be a number from 0 to 3600"),
        ("", ["--refetch-window-hours", "nan"], "--refetch-window-hours: refetch_window_hours must be a number"),
        ("", ["--db", ""], "--db: db must be the path of a DuckDB file"),
        ("", ["--db", "{tmp}"], "--db {tmp}: is a directory"),
        ('db = "{sources}/x.duckdb"', [], "{sources}: [settings]: db = {sources}/x.duckdb: {sources} is a file"),
        ("", ["--source", "b"], "--source b: no such source in {sources}; it has ['a']"),
        (
            'archive_dir = "/proc/copydesk-archive"',
            [],
            "archive_dir = /proc/copydesk-archive: cannot write the page archive there: No such file or directory",
        ),
        ('archive_dir = "{sources}"', [], "archive_dir = {sources}: cannot write the page archive there: File exists"),
        # /proc takes no new folder, not even from root (a read-only mount would do the same).
        (
            "",
            ["--db", "/proc/copydesk/x.duckdb"],
            "--db /proc/copydesk/x.duckdb: cannot create its folder /proc/copydesk",
        ),
    ],
)
def test_run_refuses_bad_settings_before_prefect_starts(
    settings: str, flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources.toml"
    db = "" if settings.startswith("db =") else f'db = "{tmp_path}/x.duckdb"\n'
    sources_file(tmp_path, db + settings.format(sources=sources))
    assert main(["run", "--sources", str(sources), *(a.format(tmp=tmp_path) for a in flags)]) == 1
    assert error_line(capsys).startswith(message.format(sources=sources, tmp=tmp_path))
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is an empty file"), (b"id,url\n1,x\n", "is not a DuckDB database: the file holds something else")],
)
def test_run_refuses_a_file_that_is_no_duckdb_database_before_prefect_starts_and_makes_nothing_beside_it(
    content: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A run found it out once Prefect had started (~10 s), with the archive and index folders made beside it.
    sources = tmp_path / "sources.toml"
    sources_file(tmp_path, f'db = "{tmp_path}/notes.duckdb"\n')
    (tmp_path / "notes.duckdb").write_bytes(content)
    assert main(["run", "--sources", str(sources)]) == 1
    assert error_line(capsys).startswith(f"{tmp_path}/notes.duckdb {message}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.duckdb", "sources.toml"]
    assert (tmp_path / "notes.duckdb").read_bytes() == content


def test_run_refuses_an_index_folder_it_cannot_write_before_fetching_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A read-only `<db>.lsh/` let the whole crawl run, to fail at its dedup step with a bare "[Errno 30]
    Read-only file system: '.../run-000001.tmp'" (a helper's sweep). Root writes read-only folders, so a file
    stands where the folder would be."""
    sources = tmp_path / "sources.toml"
    sources_file(tmp_path, f'db = "{tmp_path}/x.duckdb"\n')
    (tmp_path / "x.duckdb.lsh").write_text("not a folder")
    assert main(["run", "--sources", str(sources)]) == 1
    assert error_line(capsys).startswith(
        f"the near-duplicate index folder {tmp_path}/x.duckdb.lsh beside the database cannot be written: File exists"
    )
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.parametrize(
    ("settings", "chosen_by"),
    [
        ("", "the default database (no --db, no db in {sources})"),
        ('db = "elsewhere.duckdb"', "{sources}: [settings]: db ="),
    ],
)
@pytest.mark.parametrize("command", ["reextract", "rebuild-clusters"])
def test_a_missing_database_is_named_by_what_chose_it(
    settings: str,
    chosen_by: str,
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    sources = sources_file(tmp_path, settings)
    db = "elsewhere.duckdb" if settings else "copydesk.duckdb"
    assert main([command, "--sources", str(sources)]) == 1
    assert error_line(capsys) == (
        f"{chosen_by.format(sources=sources)} {db}: no such database; create it with `copydesk run --db {db}` first"
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (None, "{sources}: no such file"),
        ("per_host_dealy = 5", "{sources}: [settings]: unknown key 'per_host_dealy'"),
        ('db = "{sources}/x.duckdb"', "{sources}: [settings]: db = {sources}/x.duckdb: {sources} is a file"),
    ],
)
def test_serve_refuses_a_sources_file_its_runs_would_refuse_before_serving(
    settings: str | None, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = tmp_path / "sources.toml"
    if settings is not None:
        sources_file(tmp_path, settings.format(sources=sources))
    # A bad file stops `serve` before it starts a Prefect server (which this test would wait on for minutes).
    assert main(["serve", "--sources", str(sources), "--port", "9"]) == 1
    assert error_line(capsys).startswith(message.format(sources=sources))


@pytest.mark.parametrize("cron", ["every hour", "0 * * *", "61 * * * *"])
def test_serve_refuses_a_cron_that_is_none_before_serving(
    cron: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It was found wrong only once a Prefect server had started, with the first line of pydantic's error.
    sources, db = sources_file(tmp_path), tmp_path / "n.duckdb"  # its folders are checked first: not in the cwd
    assert main(["serve", "--sources", str(sources), "--db", str(db), "--port", "9", "--cron", cron]) == 1
    assert error_line(capsys) == (
        f"--cron {cron!r} is not a cron schedule; give five fields, minute hour day month weekday, in UTC: "
        "'0 * * * *' is hourly, '*/15 * * * *' every 15 minutes, '30 6 * * 1-5' at 6:30 on weekdays"
    )


def test_run_refuses_a_feed_host_that_cannot_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = sources_file(tmp_path, feed=f"https://{'a' * 64}.example/rss")
    assert main(["run", "--sources", str(sources)]) == 1
    assert "feeds: 'https://aaaa" in (line := error_line(capsys)) and "64 characters long, over 63" in line


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"%PDF-1.7\n<html><p>text</p></html>", "a PDF document"),
        (b"PK\x03\x04\x14\x00\x00\x00", "a zip archive"),
        (gzip.compress(b"<html><p>story</p></html>", mtime=0), "gzip-compressed; decompress it first (gunzip)"),
        (b"<html>\x00\x00<p>text</p>", "binary: it has NUL bytes"),
        (bytes(range(1, 32)) * 10 + b"<p>story</p>", "binary: 260 of its first 322 characters are control"),
    ],
)
def test_clean_refuses_a_file_that_is_not_text(
    content: bytes, kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(content)
    assert main(["clean", str(path)]) == 1
    assert error_line(capsys).startswith(f"{path} is not text or HTML: {kind}")
    assert capsys.readouterr().out == ""


def test_clean_reads_utf16_with_a_byte_order_mark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = "Die Stadt hat am Dienstag nach langer Debatte über Schulen und Straßen den neuen Haushalt beschlossen."
    two = "Die Opposition kündigte an, gegen einzelne Posten des Haushalts vor dem Verwaltungsgericht zu klagen."
    path = tmp_path / "page.html"
    path.write_bytes(f"<html><body><article><p>{one}</p><p>{two}</p></article></body></html>".encode("utf-16"))
    assert main(["clean", str(path)]) == 0
    assert capsys.readouterr().out == f"{one}\n\n{two}\n"


@pytest.mark.parametrize(("size", "flags"), [(100_000_000, []), (2_001, ["--max-bytes", "2000"])])
def test_clean_refuses_a_file_over_max_bytes_without_reading_it(
    size: int, flags: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "huge.html"
    with path.open("wb") as file:
        file.truncate(size)  # sparse: 100 MB of nothing on disk, read in no time if it were read
    assert main(["clean", *flags, str(path)]) == 1
    limit = f"{int(flags[1]):,}" if flags else "10,000,000"
    assert error_line(capsys) == (
        f"{path}: {size:,} bytes, over max_bytes={limit}; pass --max-bytes N to read bigger files"
    )


def test_clean_bounds_standard_input_too(tmp_path: Path) -> None:
    copydesk = Path(sys.executable).parent / "copydesk"
    result = subprocess.run(
        [copydesk, "clean", "--max-bytes", "1000", "-"], input=b"<p>story</p>" * 1000, capture_output=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.decode() == (
        "copydesk: error: standard input: more than max_bytes=1,000; pass --max-bytes N to read bigger files\n"
    )


def test_clean_stops_a_pathological_page_at_its_time_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "slow.html"
    # The page and budget of tests/flows/test_extraction.py: 20,000 paragraphs against 0.5 s was 2-3 times the
    # budget at best (8,000 once took 0.36 s), the margin by which a CI run finished the page within it there.
    path.write_bytes(pathological_page(30_000))  # seconds of extraction, 2.4 MB
    assert main(["clean", "--extract-timeout", f"{BUDGET:g}", str(path)]) == 1
    assert error_line(capsys) == (
        f"extraction of {str(path)!r} took longer than extract_timeout={BUDGET:g} s; pass --extract-timeout SECONDS "
        "to allow more"
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--max-bytes", "0"], "--max-bytes: max_bytes must be an integer from 1 to 1_000_000_000 (bytes), got 0"),
        (["--extract-timeout", "inf"], "--extract-timeout: extract_timeout must be a number greater than 0"),
    ],
)
def test_clean_flags_are_validated_like_settings(
    flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "page.txt"
    path.write_text("A story.", encoding="utf-8")
    assert main(["clean", *flags, str(path)]) == 1
    assert error_line(capsys).startswith(message)


def test_output_cut_short_by_its_reader_is_not_an_error(db: Path) -> None:
    # `copydesk stats | head -1`, at its most abrupt: the reader is gone before the first line is written.
    script = "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))"
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, "stats", "--db", str(db)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141  # 128 + SIGPIPE, as a C tool cut short by `head` ends
    assert done.stderr == b""


def test_a_broken_pipe_elsewhere_is_still_an_error(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def stats(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")  # a connection's, while standard output is fine

    monkeypatch.setattr("flows.cli._cmd_stats", stats)
    assert main(["stats", "--db", str(db)]) == 1
    assert error_line(capsys) == "[Errno 32] Broken pipe"


def test_demo_serve_only_serves_the_sample_sites_with_their_sources_file_until_interrupted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's Prefect walkthrough runs a deployment against "a loopback test world" nothing made."""
    import signal
    import time
    import tomllib

    import httpx

    sources = tmp_path / "world" / "sources.toml"  # its folder made, as the README's /tmp/world
    command = [sys.executable, "-c", "import sys; from flows.cli import main; sys.exit(main())"]
    with subprocess.Popen(
        [*command, "demo", "--serve-only", str(sources)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as serving:
        try:
            assert serving.stdout is not None
            first = serving.stdout.readline()
            assert first.startswith("Serving 3 sample sites on 127.0.0.1 until Ctrl-C"), first
            listed = tomllib.loads(sources.read_text(encoding="utf-8"))["sources"]
            for source in listed:
                assert httpx.get(source["feeds"][0], timeout=10).status_code == 200
            time.sleep(0.2)
            # `kill`, as the README's walkthrough stops it (a test runner's worker may ignore SIGINT, and its
            # children with it).
            serving.send_signal(signal.SIGTERM)
            out, err = serving.communicate(timeout=30)
        finally:
            serving.kill()
    assert {source["name"] for source in listed} == {"harbourtimes", "metrowire", "valleypost"}
    assert serving.returncode == 128 + signal.SIGTERM and "interrupted by SIGTERM" in err, err
    with pytest.raises(httpx.TransportError):  # the sites stopped with it
        httpx.get(listed[0]["feeds"][0], timeout=5)
    mine = tmp_path / "sources.toml"
    mine.write_text('[[sources]]\nname = "mine"\nfeeds = ["https://example.org/rss"]\n', encoding="utf-8")
    assert main(["demo", "--serve-only", str(mine)]) == 1  # not a file an earlier demo wrote: left alone
    assert "is not a sources file an earlier demo wrote" in capsys.readouterr().err
    assert mine.read_text(encoding="utf-8").startswith('[[sources]]\nname = "mine"')


def test_an_export_that_runs_out_of_space_says_so_and_keeps_the_file_it_would_replace(db: Path, tmp_path: Path) -> None:
    """A full disk printed DuckDB's own record: 'IO Error: Async write failed for range [...]: {"exception_type":
    "IO", ...}' (a helper's sweep). RLIMIT_FSIZE makes write() fail with EFBIG as a full disk fails it with
    ENOSPC, without root."""
    import resource
    import signal

    out = tmp_path / "articles.csv"
    out.write_text("last week's export\n")

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, resource.RLIM_INFINITY))

    done = subprocess.run(
        [sys.executable, "-c", "import sys; from flows.cli import main; sys.exit(main())", "export"]
        + ["--db", str(db), "--format", "csv", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=small_files,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == (
        f"copydesk: error: --out {out}: out of space in {tmp_path} (File too large); nothing was written; "
        f"{out} is as it was\n"
    )
    assert out.read_text() == "last week's export\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".copydesk-export-")] == []


def test_serve_on_a_port_something_listens_on_says_so_before_starting_a_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server it started exited after ~14 s with "prefect server exited with code 1: flag.", the reason in
    # server.log only.
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    sources = sources_file(tmp_path, "")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        assert main(["serve", "--sources", str(sources), "--db", str(tmp_path / "n.duckdb"), "--port", str(port)]) == 1
    assert f"port {port} on 127.0.0.1 is taken" in error_line(capsys) and time.monotonic() - started < 10


def test_export_into_a_named_pipe_writes_into_it_and_leaves_it_a_pipe(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `mkfifo p; gzip < p > x.gz & copydesk export --out p`: the export was renamed over the pipe, the pipe became a
    # regular file, and its reader got nothing and waited for ever.
    import threading

    pipe = tmp_path / "articles.pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    assert main(["export", "--db", str(db), "--format", "jsonl", "--out", str(pipe)]) == 0
    reader.join(timeout=30)
    assert not reader.is_alive() and pipe.is_fifo()
    urls = sorted(json.loads(line)["url"] for line in received[0].decode().splitlines())
    assert urls == ["http://a.test/old", "http://a.test/wire", "http://b.test/wire"]
    assert f"wrote 3 articles to {pipe}" in capsys.readouterr().out


@pytest.mark.skipif(os.geteuid() != 0 or not sys.platform.startswith("linux"), reason="makes a device node (root)")
def test_export_into_a_full_device_fails_and_leaves_the_device(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A device of our own, as /dev/full is (1, 7): the rename turned the real /dev/full into a regular file.
    device = tmp_path / "full"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    assert main(["export", "--db", str(db), "--format", "csv", "--out", str(device)]) != 0
    assert "No space left on device" in capsys.readouterr().err
    assert device.is_char_device()


@pytest.mark.parametrize("workers", ["-1", "x"])
def test_a_dask_worker_count_below_zero_is_a_usage_error(workers: str, tmp_path: Path) -> None:
    # --dask-workers -1 started a cluster of no workers, and the run waited for ever.
    with pytest.raises(SystemExit) as exited:
        main(["run", "--sources", str(tmp_path / "s.toml"), "--task-runner", "dask", "--dask-workers", workers])
    assert exited.value.code == 2


def test_a_database_file_cut_short_is_named_for_what_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # DuckDB said only "IO Error: Could not read enough bytes from file ...": a copy that lost its end.
    db = tmp_path / "news.duckdb"
    with storage_db.writing(db, checkpoint=True):
        pass
    with db.open("r+b") as file:
        file.truncate(db.stat().st_size // 2)
    for command in (["stats"], ["query", "SELECT count(*) FROM articles"]):
        assert main([command[0], "--db", str(db), *command[1:]]) == 1
        line = error_line(capsys)
        assert line.startswith(f"{db}: DuckDB cannot read this file (it ends before the data its header points to;")
        assert "Restore the file from a copy" in line


def test_an_sqlite_file_given_as_the_database_is_named_for_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # DuckDB reads SQLite files through an extension it fetches from the network: "Extension sqlite_scanner not
    # found" told the user nothing about their --db.
    import sqlite3

    lite = tmp_path / "news.db"
    with sqlite3.connect(lite) as sqlite:
        sqlite.execute("CREATE TABLE t (x)")
    before = lite.read_bytes()
    for command in (["stats"], ["export", "--format", "csv", "--out", str(tmp_path / "o.csv")]):
        assert main([command[0], "--db", str(lite), *command[1:]]) == 1
        assert "is an SQLite database, not a DuckDB one" in capsys.readouterr().err
    with pytest.raises(storage_db.NotADatabaseError, match="SQLite"):
        storage_db.connect(lite)
    assert lite.read_bytes() == before


@pytest.mark.parametrize("table", ["sales (id INTEGER)", "articles (id INTEGER, name VARCHAR)"])
def test_a_duckdb_file_of_another_tool_is_refused_and_left_as_it_was(
    table: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A run added copydesk's 14 tables beside the user's; stats said "Table with name articles does not exist".
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute(f"CREATE TABLE {table}")
    with pytest.raises(storage_db.NotADatabaseError, match="a DuckDB database of something else"):
        storage_db.connect(other)
    assert main(["stats", "--db", str(other)]) == 1
    assert "a DuckDB database of something else" in capsys.readouterr().err
    with duckdb.connect(str(other), read_only=True) as con:
        assert [name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()] == [
            table.split()[0]
        ]


@pytest.mark.parametrize("form", ["tcp://127.0.0.1:{port}", "TCP://127.0.0.1:{port} ", "127.0.0.1:{port}"])
def test_a_dask_address_where_no_scheduler_answers_is_refused_before_anything_is_fetched(
    form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("prefect_dask")
    # Each page waited 30 s for the scheduler, and the run ended in "3 unexpected errors".
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sources = tmp_path / "sources.toml"
    sources.write_text('[[sources]]\nname = "a"\nhomepage = "https://a.example/"\n', encoding="utf-8")
    db = tmp_path / "news.duckdb"
    args = ["run", "--sources", str(sources), "--db", str(db), "--task-runner", "dask"]
    assert main([*args, "--dask-address", form.format(port=port)]) == 1
    read_as = f"tcp://127.0.0.1:{port}" if "://" in form else f"127.0.0.1:{port}"  # as Dask is then given it
    assert f"--dask-address {read_as}: no Dask scheduler answers there" in capsys.readouterr().err
    assert not db.exists()


def test_a_table_whose_reader_has_gone_ends_as_a_broken_pipe_not_as_a_silent_exit_1(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `copydesk stats | head -1`: head has its line and goes; Rich's own handling of the next table exited 1,
    # saying nothing. A BrokenPipeError reaches main, which ends with 141 (test above).
    from flows.reading import print_queries

    read_end, write_end = os.pipe()
    os.close(read_end)
    closed = os.fdopen(write_end, "w")
    monkeypatch.setattr("sys.stdout", closed)
    try:
        with pytest.raises(BrokenPipeError):
            print_queries(db, [(None, "SELECT 1 AS n")])
    finally:
        monkeypatch.undo()
        with contextlib.suppress(BrokenPipeError):
            closed.close()


def test_a_dask_address_is_given_to_dask_as_dask_reads_it() -> None:
    from flows.cli import _scheduler_address

    assert _scheduler_address(" TCP://10.0.0.5:8786 ") == "tcp://10.0.0.5:8786"
    assert _scheduler_address("10.0.0.5:8786") == "10.0.0.5:8786"


def test_prefect_reaches_its_own_server_directly_when_a_proxy_is_set(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A review: with HTTP_PROXY set, Prefect's client sent its calls to the run's temporary server on 127.0.0.1
    # through the proxy (1,201 health checks), and the run failed after two minutes.
    from prefect.client.orchestration import get_client

    for name in ("https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "intranet.example")  # the user's own entries stay
    monkeypatch.setenv("no_proxy", "intranet.example")
    _offline_prefect_env()

    async def health() -> Exception | None:
        async with get_client() as client:
            return await client.api_healthcheck()

    assert asyncio.run(health()) is None
    assert os.environ["no_proxy"] == os.environ["NO_PROXY"] == "intranet.example,127.0.0.1,localhost,::1"


@pytest.mark.parametrize(
    ("environ", "bypassed"),
    [
        # A review: an empty no_proxy (a base image's ENV no_proxy="") hid NO_PROXY's entries, then replaced them.
        ({"HTTPS_PROXY": "http://proxy:3128", "no_proxy": "", "NO_PROXY": "intranet.corp,10.0.0.0/8"}, True),
        ({"HTTPS_PROXY": "http://proxy:3128", "no_proxy": "intranet.corp,10.0.0.0/8"}, True),
        ({"no_proxy": "intranet.corp,10.0.0.0/8"}, False),  # no proxy: nothing to bypass, nothing changed
    ],
)
def test_loopback_is_added_to_the_users_no_proxy_entries(environ: dict[str, str], bypassed: bool) -> None:
    before = dict(environ)
    _bypass_proxies_for_loopback(environ)
    if not bypassed:
        assert environ == before
        return
    assert environ["no_proxy"] == environ["NO_PROXY"] == "intranet.corp,10.0.0.0/8,127.0.0.1,localhost,::1"
