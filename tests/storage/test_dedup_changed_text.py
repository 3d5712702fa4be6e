"""Articles whose text changed are clustered by the text they have now: one that no longer matches its cluster
leaves it, one that still does keeps it and its id, and the clusters equal those of a fresh database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.db import writing
from storage.dedup import assign_clusters
from storage.load import load_articles, reload_articles
from storage.rows import ArticleRow
from tests.storage.test_dedup import PARAMS, load_and_cluster, row, story

# A wire placeholder two outlets publish word for word before each puts its own story under the URL.
PLACEHOLDER = story(70)


def partition(clusters: dict[str, int]) -> set[frozenset[str]]:
    """The clusters as sets of URLs: what two databases must agree on whatever ids they gave."""
    members: dict[int, set[str]] = {}
    for url, cluster_id in clusters.items():
        members.setdefault(cluster_id, set()).add(url)
    return {frozenset(urls) for urls in members.values()}


def fresh_clusters(tmp_path: Path, rows: list[ArticleRow]) -> dict[str, int]:
    return load_and_cluster(tmp_path / "fresh.duckdb", "fresh", rows)


def facts(db: Path) -> tuple[dict[str, int], dict[str, int], dict[int, int], list[tuple[str, str]]]:
    """URL -> cluster id, URL -> article id, cluster id -> how many members are canonical, syndication edges."""
    with writing(db) as con:
        clusters = dict(con.execute("SELECT url, cluster_id FROM articles").fetchall())
        ids = dict(con.execute("SELECT url, article_id FROM articles").fetchall())
        canonicals = dict(
            con.execute("SELECT cluster_id, count_if(is_canonical) FROM articles GROUP BY ALL").fetchall()
        )
        edges = con.execute("SELECT url, matched_url FROM syndication ORDER BY ALL").fetchall()
    return clusters, ids, canonicals, edges


def test_placeholders_that_became_unrelated_stories_leave_their_cluster_as_a_fresh_database_clusters_them(
    tmp_path: Path,
) -> None:
    db = tmp_path / "c.duckdb"
    first = load_and_cluster(
        db, "r1", [row("http://a.example/port", PLACEHOLDER), row("http://b.example/storm", PLACEHOLDER)]
    )
    assert len(set(first.values())) == 1
    final = [
        row("http://a.example/port", story(71)),
        row("http://b.example/storm", story(72)),
        row("http://c.example/port-copy", story(71)),
    ]
    load_and_cluster(db, "r2", final)
    clusters, ids, canonicals, edges = facts(db)
    assert partition(clusters) == partition(fresh_clusters(tmp_path, final))
    assert partition(clusters) == {
        frozenset({"http://a.example/port", "http://c.example/port-copy"}),
        frozenset({"http://b.example/storm"}),
    }
    assert clusters["http://b.example/storm"] == ids["http://b.example/storm"]  # its own cluster, named by it
    assert set(canonicals.values()) == {1}
    assert edges == [("http://c.example/port-copy", "http://a.example/port")]  # not "a matched b" any more


def test_an_updated_story_keeps_its_cluster_id_and_its_copies(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    wire = story(73)
    copies = [row("http://b.example/w", wire), row("http://c.example/w", ["A local paragraph on the vote."] + wire)]
    first = load_and_cluster(db, "r1", [row("http://a.example/w", wire), *copies, row("http://z.example/o", story(74))])
    # The wire story, oldest of its cluster and named by it, gets a paragraph; its copies are all newer.
    again = load_and_cluster(db, "r2", [row("http://a.example/w", wire + ["Updated at noon: the vote passed."])])
    assert again == first
    clusters, ids, _, _ = facts(db)
    assert clusters["http://a.example/w"] == ids["http://a.example/w"]


def test_when_the_article_naming_a_cluster_leaves_the_others_keep_one_cluster_under_the_smallest_id_left(
    tmp_path: Path,
) -> None:
    db = tmp_path / "c.duckdb"
    wire = story(75)
    load_and_cluster(db, "r1", [row(f"http://{s}.example/w", wire) for s in "abc"])
    load_and_cluster(db, "r2", [row("http://a.example/w", story(76))])  # the page now carries another story
    clusters, ids, canonicals, edges = facts(db)
    assert clusters["http://a.example/w"] == ids["http://a.example/w"]
    assert clusters["http://b.example/w"] == clusters["http://c.example/w"] == ids["http://b.example/w"]
    assert canonicals == {ids["http://a.example/w"]: 1, ids["http://b.example/w"]: 1}
    # b and c joined by matching a's old text: those edges are gone with it, and none claims a matches them
    assert all("a.example" not in url for edge in edges for url in edge)


def test_members_that_changed_together_leave_together_and_the_unchanged_one_keeps_its_story(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    load_and_cluster(db, "r1", [row(f"http://{s}.example/w", PLACEHOLDER) for s in "abc"])
    final = [row("http://a.example/w", story(77)), row("http://b.example/w", story(77))]
    load_and_cluster(db, "r2", final)
    clusters, ids, canonicals, _ = facts(db)
    assert partition(clusters) == partition(fresh_clusters(tmp_path, [*final, row("http://c.example/w", PLACEHOLDER)]))
    assert clusters["http://a.example/w"] == clusters["http://b.example/w"] == ids["http://a.example/w"]
    assert clusters["http://c.example/w"] == ids["http://c.example/w"]
    assert set(canonicals.values()) == {1}


def test_an_article_whose_new_text_is_a_newer_stored_story_joins_that_cluster(tmp_path: Path) -> None:
    """The leaver is older than the copies it now matches: they are checked too (a fresh database would have
    checked each of them against it), and their cluster keeps its id."""
    db = tmp_path / "c.duckdb"
    wire = story(78)
    placeholders = [row(f"http://{s}.example/w", PLACEHOLDER) for s in "ab"]
    first = load_and_cluster(db, "r1", placeholders)
    stories = [row(f"http://{s}.example/story", wire) for s in "cd"]
    second = load_and_cluster(db, "r2", stories)
    third = load_and_cluster(db, "r3", [row("http://a.example/w", wire)])
    assert third["http://a.example/w"] == second["http://c.example/story"] == third["http://d.example/story"]
    assert third["http://b.example/w"] != first["http://b.example/w"]  # the id went with the article that named it
    rows = [row("http://a.example/w", wire), placeholders[1], *stories]
    assert partition(third) == partition(fresh_clusters(tmp_path, rows))


def test_reextracted_boilerplate_leaves_the_cluster_it_was_put_in(tmp_path: Path) -> None:
    """A soft-404 page under two URLs, extracted again after an extractor fix: each gets its own story."""
    db = tmp_path / "c.duckdb"
    load_and_cluster(db, "r1", [row("http://a.example/1", PLACEHOLDER), row("http://b.example/2", PLACEHOLDER)])
    with writing(db) as con:
        fixed = [row("http://a.example/1", story(79)), row("http://b.example/2", story(80))]
        reload_articles(con, "r2", fixed, updated_at=datetime(2026, 12, 1, tzinfo=UTC))
        assign_clusters(con, "r2", PARAMS)
    clusters, ids, canonicals, edges = facts(db)
    assert clusters == ids
    assert set(canonicals.values()) == {1} and edges == []


def test_an_updated_story_keeps_its_cluster_when_its_copies_are_older_than_the_dedup_window(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    wire, month_ago = story(81), datetime.now(UTC) - timedelta(days=30)
    copies = [replace(row(f"http://{s}.example/w", wire), fetched_at=month_ago) for s in "abc"]
    first = load_and_cluster(db, "r1", copies)
    updated = replace(copies[0], text="\n\n".join([*wire, "Updated: the council meets again on Monday."]))
    with writing(db) as con:
        load_articles(con, "r2", [replace(updated, content_hash="updated", fetched_at=datetime.now(UTC))])
        assign_clusters(con, "r2", PARAMS, window_days=7)
        again = dict(con.execute("SELECT url, cluster_id FROM articles").fetchall())
    assert again == first


def test_an_updated_story_that_stays_keeps_one_edge_not_one_per_update(tmp_path: Path) -> None:
    # Each update wrote a new edge for the story and kept the old one, verified on a text it no longer has.
    db = tmp_path / "c.duckdb"
    wire = story(111, 8)
    load_and_cluster(db, "r1", [row(f"http://{site}.example/wire", wire) for site in "abc"])
    for k in range(1, 4):
        update = [*wire, f"Update {k}: the vote passed at noon on day {k}."]
        load_and_cluster(db, f"u{k}", [row("http://a.example/wire", update)])
    with writing(db) as con:
        edges = con.execute("SELECT article_id, run_id FROM dup_pairs WHERE article_id = 1").fetchall()
    assert edges == [(1, "u3")]
