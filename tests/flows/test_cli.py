"""The `copydesk` command line: help on every command, exports, one-line errors, README drift."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from flows.cli import _parser, main
from storage.db import writing
from storage.load import load_articles
from storage.rows import ArticleRow

README = Path(__file__).parents[2] / "README.md"
COMMANDS = sorted(_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Three articles: a wire story and its copy (one cluster), and an older singleton."""
    path = tmp_path / "news.duckdb"
    rows = [
        ArticleRow("http://a.test/wire", "a", "Wire text.", "h1", datetime(2025, 6, 5, tzinfo=UTC), title="Wire"),
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
    with writing(path) as con:
        load_articles(con, "r1", rows)
        con.execute(
            "UPDATE articles SET cluster_id = 1, is_canonical = (url = 'http://a.test/wire') WHERE title IS NOT NULL"
        )
    return path


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
        urls = [row["url"] for row in csv.DictReader(out.read_text(encoding="utf-8").splitlines())]
    assert sorted(urls) == ["http://a.test/old", "http://a.test/wire", "http://b.test/wire"]


def test_export_since_and_unique_filter_articles(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "unique.jsonl"
    args = ["export", "--db", str(db), "--format", "jsonl", "--out", str(out), "--since", "2025-06-01", "--unique"]
    assert main(args) == 0
    assert [json.loads(line)["url"] for line in out.read_text(encoding="utf-8").splitlines()] == ["http://a.test/wire"]
    assert capsys.readouterr().out.strip() == f"wrote 1 articles to {out}"


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
