"""One definition of an article's fields: the page's Metadata, the extracted Article, the stored ArticleRow, the
Arrow schema, the articles table (fresh and migrated) and flows.steps.article_row must agree, or a test fails.

Adding a field is: the field in ArticleRow (and in Metadata/Article if the page gives it), a column with its
ALTER TABLE ... ADD COLUMN IF NOT EXISTS in storage/schema.sql. Everything else follows from the dataclass.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from crawl.discover import DateSource as CandidateDateSource
from crawl.fetch import Fetched
from extractors.article import Article, Caption, RelatedLink
from extractors.metadata import Metadata
from flows.steps import article_row
from storage.db import writing
from storage.load import ARTICLE_SCHEMA, load_articles
from storage.rows import ArticleRow, DateSource

# Stored for an article beside what extraction gives: where it came from and what the fetch said.
ROW_ONLY = {
    "source",
    "content_hash",
    "fetched_at",
    "etag",
    "last_modified",
    "published_from",
    "is_accessible_for_free",
    "page_url",
}
# The page's own canonical URL decides the row's key (flows.steps.article_url), it is not a column; a guessed
# date is stored as published_at (published_from 'guessed') where the page and its listing give none.
NOT_STORED = {"canonical_url", "guessed_published_at"}
# Columns the database keeps per article: ids, clustering, the joined author, its history.
TABLE_ONLY = {
    "article_id",
    "author",
    "updated_at",
    "cluster_id",
    "is_canonical",
    "first_run_id",
    "last_run_id",
    "text_run_id",
    "gone_at",
    "gone_status",
}
# DuckDB's name for each Arrow type of ARTICLE_SCHEMA.
DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    pa.timestamp("us", tz="UTC"): "TIMESTAMP WITH TIME ZONE",
    pa.bool_(): "BOOLEAN",
    pa.list_(pa.string()): "VARCHAR[]",
}


def names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'articles' AND schema_name = 'main'"
    ).fetchall()
    return dict(rows)


def test_every_page_field_reaches_the_article_and_every_article_field_the_row() -> None:
    assert names(Metadata) <= names(Article)
    assert names(ArticleRow) == (names(Article) - NOT_STORED) | ROW_ONLY


def test_the_arrow_schema_is_the_rows_fields_in_order() -> None:
    assert ARTICLE_SCHEMA.names == [f.name for f in dataclasses.fields(ArticleRow)]


def test_the_articles_table_has_a_column_of_the_right_type_for_every_row_field(tmp_path: Path) -> None:
    with writing(tmp_path / "fresh.duckdb") as con:
        table = columns(con)
    assert set(table) == names(ArticleRow) | TABLE_ONLY
    for field in ARTICLE_SCHEMA:
        expected = DUCKDB_TYPES.get(field.type)
        if expected is None:  # a list of structs: DuckDB names its fields
            struct = field.type.value_type
            inner = ", ".join(f"{struct.field(i).name} VARCHAR" for i in range(struct.num_fields))
            expected = f"STRUCT({inner})[]"
        assert table[field.name].replace('"', "") == expected, field.name  # DuckDB quotes "text"


def test_a_file_from_before_a_column_was_added_gets_it_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with writing(path) as con:
        fresh = columns(con)
    with duckdb.connect(str(path)) as con:  # as a file written before published_from and the paywall column
        con.execute("DROP VIEW unique_articles")
        for column in ("published_from", "is_accessible_for_free"):
            con.execute(f"ALTER TABLE articles DROP COLUMN {column}")
    with writing(path) as con:
        assert columns(con) == fresh


def test_the_date_sources_of_crawl_and_storage_are_the_same() -> None:
    assert typing.get_args(CandidateDateSource) == typing.get_args(DateSource)


def test_an_article_with_every_field_set_is_stored_and_read_back_whole(tmp_path: Path) -> None:
    when = datetime(2026, 5, 1, 9, tzinfo=UTC)
    values: dict[str, object] = {
        "url": "http://a.example/x",
        "text": "Body.",
        "title": "T",
        "authors": ("A", "B"),
        "published_at": when,
        "modified_at": when,
        "language": "en",
        "site_name": "S",
        "description": "D",
        "image_url": "http://a.example/i.jpg",
        "canonical_url": "http://a.example/x",
        "captions": (Caption("c", "AFP"),),
        "related_links": (RelatedLink("r", "http://a.example/r"),),
        "extractor": "dense",
        "gallery_titles": ("g",),
        "guessed_published_at": None,  # a guess stands in only for a date the page and its listing lack
    }
    assert set(values) == names(Article)  # a new Article field needs a value here
    fetched = Fetched("http://a.example/x", "article", "ok", "http://a.example/x", 200, etag='"e"', last_modified="L")
    row = article_row(Article(**values), url="http://a.example/x", source="s", fetched=fetched, now=when)  # type: ignore[arg-type]
    row = dataclasses.replace(row, is_accessible_for_free=False)
    assert row.captions == (("c", "AFP"),) and row.published_from == "page"
    with writing(tmp_path / "n.duckdb") as con:
        load_articles(con, "r1", [row])
        stored = con.sql(f"SELECT {', '.join(ARTICLE_SCHEMA.names)} FROM articles").to_arrow_table()
    back = stored.cast(ARTICLE_SCHEMA).to_pylist()[0]
    expected = {f.name: getattr(row, f.name) for f in dataclasses.fields(ArticleRow)}
    expected |= {"authors": list(row.authors), "gallery_titles": list(row.gallery_titles)}
    expected |= {
        "captions": [{"text": "c", "credit": "AFP"}],
        "related_links": [{"title": "r", "url": "http://a.example/r"}],
    }
    assert back == expected
