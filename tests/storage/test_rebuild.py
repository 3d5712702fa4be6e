"""rebuild-clusters in bounded transactions: the clusters of one transaction, resumable, refused by runs meanwhile."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from extractors.fingerprint import SHINGLE_RULES_HISTORY, DedupParams
from storage.db import writing
from storage.dedup import (
    FLUSH_ARTICLES_ENV,
    CanonicalRule,
    RebuildInProgressError,
    assign_clusters,
    remove_orphan_runs,
    reset_index,
)
from storage.load import load_articles
from storage.rebuild import begin_rebuild, continue_rebuild, rebuild_settings, rebuild_size
from tests.storage.test_dedup import PARAMS, row, story
from tests.storage.test_dedup_scale import crawl

CHUNK = 4  # articles per chunk and per rebuild transaction: the store below takes ~15 of them


class Stop(Exception):
    """Raised from the progress callback: the open transaction rolls back, as a failure mid-rebuild would."""


def copy_store(db: Path, to: Path) -> Path:
    """The file, its WAL (batches not checkpointed yet) and its run files: the database whole."""
    shutil.copy(db, to)
    if Path(f"{db}.wal").exists():
        shutil.copy(f"{db}.wal", f"{to}.wal")
    shutil.copytree(f"{db}.lsh", f"{to}.lsh")
    return to


def index_of(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Cluster ids, canonicals and stored edges (without the run id, which names the process that wrote them)."""
    with writing(db) as con:
        return {
            "articles": con.execute(
                "SELECT article_id, url, cluster_id, is_canonical FROM articles ORDER BY 1"
            ).fetchall(),
            "edges": con.execute(
                "SELECT article_id, matched_article_id, jaccard, containment FROM dup_pairs ORDER BY ALL"
            ).fetchall(),
        }


def one_shot_rebuild(db: Path, *, chunk_size: int) -> dict[str, list[tuple[object, ...]]]:
    with writing(db) as con:
        reset_index(con)
        assign_clusters(con, "one-shot", PARAMS, chunk_size=chunk_size)
    return index_of(db)


def chunked_rebuild(
    db: Path, run_id: str = "chunked", *, stop_after: int | None = None, params: DedupParams = PARAMS
) -> int:
    """begin_rebuild + continue_rebuild as the flow runs them; returns the number of progress calls."""
    calls: list[int] = []

    def progress(signed: int, total: int) -> None:
        calls.append(signed)
        assert 0 < signed <= total
        if stop_after is not None and len(calls) == stop_after:
            raise Stop

    with writing(db) as con:
        state = begin_rebuild(con, run_id, params, CanonicalRule())
    continue_rebuild(db, state, params, canonical=CanonicalRule(), articles=CHUNK, progress=progress)
    return len(calls)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, int]]:
    """A store with wire stories and planted copies (edited, truncated, prefixed), band keys in run files."""
    monkeypatch.setenv(FLUSH_ARTICLES_ENV, "3")  # rebuild transactions then write, merge and drop run files
    db = tmp_path / "store.duckdb"
    return db, crawl(db, flush=True)


def test_a_chunked_rebuild_gives_the_clusters_of_a_one_shot_rebuild(
    store: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    db, crawled = store
    small = one_shot_rebuild(copy_store(db, tmp_path / "small.duckdb"), chunk_size=CHUNK)
    default = one_shot_rebuild(copy_store(db, tmp_path / "default.duckdb"), chunk_size=2_000)
    steps = chunked_rebuild(db)
    chunked = index_of(db)
    assert steps == len(chunked["articles"]) // CHUNK + (len(chunked["articles"]) % CHUNK > 0)
    assert chunked == small == default
    assert {url: cluster for _, url, cluster, _ in chunked["articles"]} == crawled
    assert len({cluster for _, _, cluster, _ in chunked["articles"]}) < len(crawled)  # the copies did cluster
    with writing(db) as con:
        assert con.execute("SELECT count(*) FROM index_rebuilds").fetchall() == [(0,)]
        assert con.execute("SELECT DISTINCT run_id FROM dup_pairs").fetchall() == [("chunked",)]
        remove_orphan_runs(con)
        runs = {name for (name,) in con.execute("SELECT name FROM lsh_runs").fetchall()}
    assert runs and {p.name for p in Path(f"{db}.lsh").iterdir()} == runs


def test_a_rebuild_stopped_half_way_is_refused_by_runs_and_finished_by_the_next_rebuild(
    store: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    db, _ = store
    reference = one_shot_rebuild(copy_store(db, tmp_path / "reference.duckdb"), chunk_size=CHUNK)
    with pytest.raises(Stop):
        chunked_rebuild(db, "first", stop_after=5)  # 4 transactions committed, the 5th rolled back
    with writing(db) as con:
        assert con.execute("SELECT count(*) FROM signatures").fetchall() == [(4 * CHUNK,)]
        load_articles(con, "run-meanwhile", [row("http://late.example/w", story(100)[:5])])  # a copy of wire 0
    with pytest.raises(RebuildInProgressError, match=r"\(16 of \d+ articles re-signed\).*`copydesk rebuild-clusters`"):
        with writing(db) as con:
            assign_clusters(con, "run-meanwhile", PARAMS)
    with writing(db) as con:
        state = begin_rebuild(con, "second", PARAMS, CanonicalRule())
    assert (state.resumed, state.run_id, state.signed) == (True, "first", 4 * CHUNK)
    continue_rebuild(db, state, PARAMS, canonical=CanonicalRule(), articles=CHUNK)
    finished = index_of(db)
    late = finished["articles"].pop()  # the newest id
    edges = [edge for edge in finished["edges"] if edge[0] != late[0]]
    assert {**finished, "edges": edges} == reference  # the same ids, canonicals and edges as an undisturbed rebuild
    wire = next(cluster for _, url, cluster, _ in finished["articles"] if url == "http://wire.example/0")
    assert late[1:3] == ("http://late.example/w", wire)  # stored during the half rebuild, clustered by it
    with writing(db) as con:
        assert con.execute("SELECT DISTINCT run_id FROM dup_pairs").fetchall() == [("first",)]
        assert con.execute("SELECT count(*) FROM index_rebuilds").fetchall() == [(0,)]
        load_articles(con, "next-run", [row("http://later.example/w", story(101))])
        assert assign_clusters(con, "next-run", PARAMS).matches == 1  # matching again, against the whole index


def test_a_rerun_with_other_settings_starts_the_rebuild_over(store: tuple[Path, dict[str, int]]) -> None:
    db, _ = store
    with pytest.raises(Stop):
        chunked_rebuild(db, "first", stop_after=3)
    stricter = replace(PARAMS, threshold=0.9)
    with writing(db) as con:
        state = begin_rebuild(con, "second", stricter, CanonicalRule())
        rows = con.execute("SELECT run_id, settings FROM index_rebuilds").fetchall()
    assert (state.resumed, state.run_id, state.signed) == (False, "second", 0)
    assert rows == [("second", rebuild_settings(stricter, CanonicalRule()))]


def test_a_rerun_after_an_upgrade_that_changed_the_shingle_rules_starts_over(
    store: tuple[Path, dict[str, int]],
) -> None:
    db, _ = store
    with pytest.raises(Stop):  # a rebuild by the release before, under its rules
        chunked_rebuild(db, "first", stop_after=3, params=replace(PARAMS, shingle_rules=SHINGLE_RULES_HISTORY[-2]))
    with writing(db) as con:
        state = begin_rebuild(con, "second", PARAMS, CanonicalRule())
    assert (state.resumed, state.signed) == (False, 0)  # resumed, it would refuse its own signatures forever
    continue_rebuild(db, state, PARAMS, canonical=CanonicalRule(), articles=CHUNK)
    with writing(db) as con:
        assert con.execute("SELECT count(*) FROM index_rebuilds").fetchall() == [(0,)]


def test_a_rebuild_whose_marker_another_rebuild_took_stops_instead_of_mixing_settings(
    store: tuple[Path, dict[str, int]],
) -> None:
    db, _ = store
    stricter = replace(PARAMS, threshold=0.9)
    with writing(db) as con:
        first = begin_rebuild(con, "first", PARAMS, CanonicalRule())
    with writing(db) as con:
        begin_rebuild(con, "second", stricter, CanonicalRule())  # a second rebuild started meanwhile
    with pytest.raises(RebuildInProgressError, match="now belongs to rebuild 'second'"):
        continue_rebuild(db, first, PARAMS, canonical=CanonicalRule(), articles=CHUNK)
    with writing(db) as con:
        assert con.execute("SELECT count(*) FROM signatures").fetchall() == [(0,)]  # nothing signed under it
        assert con.execute("SELECT run_id FROM index_rebuilds").fetchall() == [("second",)]


def test_the_rebuild_size_comes_from_the_environment_or_says_what_is_wrong() -> None:
    assert rebuild_size({}) == 20_000
    assert rebuild_size({"COPYDESK_REBUILD_ARTICLES": " 500 "}) == 500
    with pytest.raises(ValueError, match="COPYDESK_REBUILD_ARTICLES='0': give a whole number"):
        rebuild_size({"COPYDESK_REBUILD_ARTICLES": "0"})


def test_a_rebuild_continued_again_after_its_last_commit_only_flushes(store: tuple[Path, dict[str, int]]) -> None:
    """A retry of the rebuild task after its final flush failed goes on from there, not from an empty index."""
    db, _ = store
    with writing(db) as con:
        state = begin_rebuild(con, "first", PARAMS, CanonicalRule())
    first = continue_rebuild(db, state, PARAMS, canonical=CanonicalRule(), articles=CHUNK)
    finished = index_of(db)
    again = continue_rebuild(db, state, PARAMS, canonical=CanonicalRule(), articles=CHUNK)
    assert first.signed > 0 and again.signed == 0
    assert index_of(db) == finished
