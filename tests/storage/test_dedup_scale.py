"""The dedup index at archive scale: band keys in sorted run files, the sketch check, the window, the migration."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from extractors.fingerprint import DedupParams, band_hashes, shingles, signatures
from storage import _bandruns, dedup
from storage.db import connect, writing
from storage.dedup import (
    StaleIndexError,
    _may_match,
    assign_clusters,
    flush_bands,
    has_orphan_runs,
    index_directory,
    params_key,
    remove_orphan_runs,
    reset_index,
)
from storage.load import load_articles
from storage.rows import ArticleRow
from tests.storage.test_dedup import PARAMS, row, story

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def batches() -> list[list[ArticleRow]]:
    """Six runs: wire stories, then edited, truncated and prefixed copies of them in later runs, and strangers."""
    wires = [story(100 + k) for k in range(12)]
    runs = [[row(f"http://wire.example/{k}", w) for k, w in enumerate(wires)]]
    for r in range(1, 6):
        batch = [row(f"http://other{r}.example/{k}", story(1000 + 10 * r + k)) for k in range(4)]
        for k, wire in enumerate(wires):
            if k % 5 == r % 5:
                batch.append(row(f"http://site{r}.example/cut-{k}", wire[: 3 + r % 3]))  # truncated: containment
            if k % 4 == r % 4:
                batch.append(
                    row(f"http://site{r}.example/local-{k}", ["A local paragraph on the harbour vote."] + wire)
                )
        runs.append(batch)
    return runs


def crawl(db: Path, *, flush: bool) -> dict[str, int]:
    for r, batch in enumerate(batches()):
        with writing(db) as con:
            load_articles(con, f"r{r}", batch)
            assign_clusters(con, f"r{r}", PARAMS)
        if flush:
            with writing(db) as con:
                flush_bands(con, min_articles=1)
    with writing(db) as con:
        return dict(con.execute("SELECT url, cluster_id FROM articles").fetchall())


def test_band_keys_in_run_files_give_the_same_clusters_as_the_table(tmp_path: Path) -> None:
    in_table = crawl(tmp_path / "table.duckdb", flush=False)
    in_runs = crawl(tmp_path / "runs.duckdb", flush=True)
    assert in_runs == in_table
    assert len(set(in_table.values())) < len(in_table)  # copies did cluster
    assert in_table["http://site1.example/cut-1"] == in_table["http://wire.example/1"]
    with writing(tmp_path / "runs.duckdb") as con:
        assert has_orphan_runs(con)  # committed runs merged away, kept until a transaction of their own
        remove_orphan_runs(con)
        runs = con.execute("SELECT name, articles FROM lsh_runs ORDER BY name").fetchall()
        ((left,),) = con.execute("SELECT count(*) FROM lsh_bands").fetchall()
        ((signed,),) = con.execute("SELECT count(*) FROM signatures").fetchall()
        directory = index_directory(con)
    assert left == 0 and sum(n for _, n in runs) == signed
    assert len(runs) < len(batches())  # runs of like size were merged
    assert directory is not None and sorted(p.name for p in directory.iterdir()) == [name for name, _ in runs]


def test_candidates_looked_up_in_the_index_a_few_ids_at_a_time_give_the_same_clusters_as_a_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stores as small as a test's are scanned; a big store's candidates are looked up in lists of ids."""
    scanned = crawl(tmp_path / "scanned.duckdb", flush=True)
    monkeypatch.setattr(dedup, "_ROWS_PER_LOOKUP", 0)  # every store is big enough to look ids up
    monkeypatch.setattr(dedup, "_IDS_PER_LOOKUP", 2)  # and lists are short: many per step
    looked_up = crawl(tmp_path / "looked-up.duckdb", flush=True)
    assert looked_up == scanned
    assert len(set(scanned.values())) < len(scanned)


def test_a_run_file_nobody_registered_is_ignored_then_removed(tmp_path: Path) -> None:
    db = tmp_path / "orphan.duckdb"
    wire = story(7)
    with writing(db) as con:
        load_articles(con, "r0", [row("http://a.example/w", wire)])
        assign_clusters(con, "r0", PARAMS)
        ((stored,),) = con.execute("SELECT article_id FROM articles").fetchall()
        # The stored copy's keys are now only in a run written but never registered (a kill before the
        # registering commit): reading that file is the only way the next copy could find it.
        con.execute("DELETE FROM lsh_bands")
        directory = index_directory(con)
    assert directory is not None
    _, hashes = shingles("\n\n".join(wire), PARAMS)
    sigs = signatures([hashes])
    keys = band_hashes(sigs, bands=PARAMS.bands, rows=PARAMS.rows)
    _bandruns.write_run(
        directory,
        "run-000001",
        np.array([stored], np.int64),
        sigs,
        np.array([len(hashes)]),
        bucket=keys[0],
        member=np.zeros(PARAMS.bands, np.int64),
    )
    (directory / "notes.txt").write_text("not a run: neither an orphan nor removed")
    with writing(db) as con:
        assert has_orphan_runs(con)
        load_articles(con, "r1", [row("http://b.example/w", wire)])
        assign_clusters(con, "r1", PARAMS)  # had the orphan been read, b.example would join a.example's cluster
    with writing(db) as con:
        assert remove_orphan_runs(con) == ["run-000001"]
        assert not has_orphan_runs(con)  # notes.txt is no run file
        flush_bands(con, min_articles=1)
        runs = [r[0] for r in con.execute("SELECT name FROM lsh_runs").fetchall()]
        clusters = dict(con.execute("SELECT url, cluster_id FROM articles").fetchall())
    assert clusters["http://a.example/w"] != clusters["http://b.example/w"]
    assert runs == ["run-000001"]  # the orphan's name was free again once it was removed
    assert sorted(p.name for p in directory.iterdir()) == ["notes.txt", "run-000001"]


def test_an_array_file_whose_write_fails_is_closed(tmp_path: Path) -> None:
    out = _bandruns._Appender(tmp_path / "a.npy", np.int64, (2,))
    with pytest.raises(ValueError, match="more values"):
        out.write(np.arange(3))
    assert out.closed


def test_an_article_whose_text_changed_after_its_keys_were_flushed_is_matched_by_its_new_text(tmp_path: Path) -> None:
    db = tmp_path / "changed.duckdb"
    old, new = story(40), story(41)
    with writing(db) as con:
        load_articles(con, "r0", [row("http://a.example/s", old)])
        assign_clusters(con, "r0", PARAMS)
        flush_bands(con, min_articles=1)
    with writing(db) as con:  # the page now carries another story: re-signed under its id
        load_articles(con, "r1", [row("http://a.example/s", new)])
        assign_clusters(con, "r1", PARAMS)
    clusters = crawl_one(db, "r2", [row("http://b.example/old", old), row("http://c.example/new", new)])
    assert clusters["http://c.example/new"] == clusters["http://a.example/s"]
    assert clusters["http://b.example/old"] != clusters["http://a.example/s"]


def crawl_one(db: Path, run_id: str, rows: list[ArticleRow], window_days: float | None = None) -> dict[str, int]:
    with writing(db) as con:
        load_articles(con, run_id, rows)
        assign_clusters(con, run_id, PARAMS, window_days=window_days)
        return dict(con.execute("SELECT url, cluster_id FROM articles").fetchall())


def test_the_sketch_check_keeps_copies_and_drops_unrelated_stories_sharing_a_band() -> None:
    wire = "\n\n".join(story(50))
    texts = [wire, "\n\n".join(story(50)[:2]), "\n\n".join(story(51)), "\n\n".join(story(50)[1:] + story(52))]
    hashes = [shingles(t, PARAMS)[1] for t in texts]
    sigs = signatures(hashes)
    stranger = sigs[2].copy()
    stranger[:2] = sigs[0][:2]  # shares band 0 with the wire story, nothing else
    stored = _bandruns.sketches(np.stack([sigs[1], stranger, sigs[3]]))
    sizes = np.array([len(hashes[1]), len(hashes[2]), len(hashes[3])])
    wire_key, wire_sketch, wire_size = np.zeros((1, 1), np.int64), _bandruns.sketches(sigs[:1]), [len(hashes[0])]
    keep = _may_match(np.zeros(3, np.int64), stored, sizes, wire_key, wire_sketch, np.array(wire_size), PARAMS)
    assert keep.tolist() == [True, False, True]  # truncated copy (containment 1), stranger, half-shared copy
    # A run file's heads (their first HEAD_SKETCH values), checked first with a wider margin, agree.
    by_heads = dedup.head_check(wire_key, wire_sketch, np.array(wire_size), PARAMS)
    assert by_heads(np.zeros(3, np.int64), sizes, stored[:, : _bandruns.HEAD_SKETCH]).tolist() == [True, False, True]


@pytest.mark.parametrize("window_bytes", [4096, 8192, 32 << 20])
def test_a_lookup_through_small_windows_finds_exactly_the_stored_entries_of_its_keys(
    tmp_path: Path, window_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys before the first entry and after the last, absent keys, and a hot key whose 2,000 entries cross
    several fence pages and windows, against a brute-force scan of what was written."""
    rng = np.random.default_rng(11)
    n, bands = 3_000, 16
    ids = np.arange(10_000, 10_000 + n, dtype=np.int64)
    sigs = rng.integers(0, 2**32, (n, bands), dtype=np.uint32)
    bucket = rng.integers(-(2**40), 2**40, n * bands)
    bucket[rng.choice(n * bands, 2_000, replace=False)] = 77  # one story's key shared by 2,000 articles
    member = np.repeat(np.arange(n), bands)
    _bandruns.write_run(tmp_path, "run-000000", ids, sigs, np.arange(n) + 5, bucket=bucket, member=member)
    present = rng.choice(np.unique(bucket), 700, replace=False)
    keys = np.unique(np.concatenate([present, [77, -(2**62), 2**62], rng.integers(-(2**40), 2**40, 300)]))
    key_bands = rng.integers(0, bands, len(keys))  # what the caller knows of each key: its band
    hits = _bandruns.lookup(tmp_path, ["run-000000"], keys, key_bands, bands, window_bytes=window_bytes)
    got = sorted(
        zip(hits.bucket.tolist(), hits.article_id.tolist(), hits.band.tolist(), hits.size.tolist(), strict=True)
    )
    wanted = np.isin(bucket, keys)
    expected = sorted(
        zip(
            bucket[wanted].tolist(),
            ids[member[wanted]].tolist(),
            key_bands[np.searchsorted(keys, bucket[wanted])].tolist(),
            (member[wanted] + 5).tolist(),
            strict=True,
        )
    )
    assert got == expected
    assert hits.bucket.tolist() == keys[hits.key_index].tolist()
    by_id = {int(i): k for k, i in enumerate(ids)}
    assert all(
        np.array_equal(sketch, _bandruns.sketches(sigs[by_id[a]][None])[0])
        for sketch, a in zip(hits.sketch, hits.article_id.tolist(), strict=True)
    )
    # A prefilter sees each hit's head (shingle count, first sketch bytes) and drops hits before their records.
    seen: list[tuple[int, int, bytes]] = []

    def odd_sizes(key_index: np.ndarray, size: np.ndarray, head: np.ndarray) -> np.ndarray:
        seen.extend(zip(keys[key_index].tolist(), size.tolist(), map(bytes, head), strict=True))
        return size % 2 == 1

    monkeypatch.setattr(_bandruns, "PREFILTER_HITS", 97)  # heads checked in slices of 97 hits
    kept = _bandruns.lookup(tmp_path, ["run-000000"], keys, key_bands, bands, prefilter=odd_sizes)
    assert sorted(kept.article_id.tolist()) == sorted(a for a in hits.article_id.tolist() if (a - 10_000 + 5) % 2)
    assert sorted(seen) == sorted(
        (b, s, bytes(_bandruns.sketches(sigs[by_id[a]][None])[0][: _bandruns.HEAD_SKETCH]))
        for b, a, s in zip(hits.bucket.tolist(), hits.article_id.tolist(), hits.size.tolist(), strict=True)
    )


def test_dedup_window_days_leaves_older_stories_out_and_rebuilding_matches_everything(tmp_path: Path) -> None:
    db = tmp_path / "window.duckdb"
    wire = story(60)
    now = datetime.now(UTC)
    old = replace(row("http://a.example/w", wire), fetched_at=now - timedelta(days=30))
    crawl_one(db, "r0", [old])
    fresh = replace(row("http://b.example/w", wire), fetched_at=now)
    windowed = crawl_one(db, "r1", [fresh], window_days=7)
    assert windowed["http://b.example/w"] != windowed["http://a.example/w"]
    copy = row("http://c.example/w", wire)
    everything = crawl_one(db, "r2", [copy], window_days=None)
    assert everything["http://c.example/w"] == everything["http://a.example/w"]


def test_a_database_written_by_the_previous_schema_migrates_and_keeps_matching(tmp_path: Path) -> None:
    """The file layout of copydesk before issue 20: stored shingle hashes, NOT NULL, no shingle_count."""
    db = tmp_path / "previous.duckdb"
    wire, other = story(70), story(71)
    raw = duckdb.connect(str(db))
    raw.execute((FIXTURES / "schema-before-issue20.sql").read_text())
    # This release's load_articles also writes text_run_id (issue 19), page_url and the gone columns, which
    # schema.sql adds to older files; the signatures and band tables, what this test is about, stay as they were
    # before issue 20.
    for column in ("text_run_id VARCHAR", "page_url VARCHAR", "gone_at TIMESTAMPTZ", "gone_status SMALLINT"):
        raw.execute(f"ALTER TABLE articles ADD COLUMN {column}")
    load_articles(raw, "r0", [row("http://a.example/w", wire), row("http://x.example/o", other)])
    ids, texts = zip(*raw.execute("SELECT article_id, text FROM articles ORDER BY article_id").fetchall(), strict=True)
    hashes = [shingles(t, PARAMS)[1] for t in texts]
    sigs = signatures(hashes)
    keys = band_hashes(sigs, bands=PARAMS.bands, rows=PARAMS.rows)
    old_rows = pa.table(
        {
            "article_id": pa.array(ids, pa.int64()),
            "params": pa.array([params_key(PARAMS)] * 2),
            "minhash": pa.array([s.astype("<u4").tobytes() for s in sigs], pa.binary()),
            "shingles": pa.array([h.astype("<u4").tobytes() for h in hashes], pa.binary()),
            "scheme": pa.array(["word", "word"]),
        }
    )
    raw.register("old_rows", old_rows)
    raw.execute("INSERT INTO signatures BY NAME SELECT * FROM old_rows")
    for article_id, row_keys in zip(ids, keys, strict=True):
        for band, bucket in enumerate(row_keys.tolist()):
            raw.execute("INSERT INTO lsh_bands VALUES (?, ?, ?)", [band, bucket, article_id])
    raw.execute("UPDATE articles SET cluster_id = article_id, is_canonical = true")
    raw.close()

    con = connect(db)  # the migration runs on connect
    counts = con.execute("SELECT shingle_count, shingles IS NULL FROM signatures ORDER BY article_id").fetchall()
    con.close()
    assert counts == [(len(hashes[0]), True), (len(hashes[1]), True)]
    clusters = crawl_one(db, "r1", [row("http://b.example/w", wire[:3])])
    assert clusters["http://b.example/w"] == clusters["http://a.example/w"] != clusters["http://x.example/o"]


def test_a_rebuild_flushes_as_it_goes_and_a_rolled_back_one_leaves_the_old_runs_in_use(tmp_path: Path) -> None:
    db = tmp_path / "rebuild.duckdb"
    before = crawl(db, flush=True)
    with writing(db) as con:
        old_runs = con.execute("SELECT name FROM lsh_runs ORDER BY name").fetchall()
    failed = RuntimeError("stopped mid-rebuild")
    try:
        with writing(db) as con:
            reset_index(con)
            assign_clusters(con, "rebuild-1", PARAMS, flush_articles=3)  # runs written, merged, registered
            assert con.execute("SELECT count(*) FROM lsh_runs").fetchall() != [(0,)]
            raise failed
    except RuntimeError as exc:
        assert exc is failed
    with writing(db) as con:
        assert con.execute("SELECT name FROM lsh_runs ORDER BY name").fetchall() == old_runs
        assert has_orphan_runs(con)  # the rolled back rebuild's files
        remove_orphan_runs(con)
        assert not has_orphan_runs(con)
    after_rollback = crawl_one(db, "r9", [row("http://late.example/cut-3", story(103)[:4])])
    assert after_rollback["http://late.example/cut-3"] == before["http://wire.example/3"]
    with writing(db) as con:
        reset_index(con)
        assign_clusters(con, "rebuild-2", PARAMS, flush_articles=3)
        rebuilt = dict(con.execute("SELECT url, cluster_id FROM articles").fetchall())
        ((left,),) = con.execute("SELECT count(DISTINCT article_id) FROM lsh_bands").fetchall()
    assert left < 3 + 2_000  # flushed after every chunk that took it to 3 articles or more
    assert {u: c for u, c in rebuilt.items() if u in before} == before


def test_a_streamed_merge_holds_every_entry_of_its_runs_in_bucket_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fence pages of 4 keys: keys whose entries cross page ends, keys equal to a fence key, absent keys.
    monkeypatch.setattr(_bandruns, "FENCE_EVERY", 4)
    rng = np.random.default_rng(3)
    names, expected = [], []
    for k, n in enumerate((40, 7, 25)):
        ids = np.arange(1000 * k, 1000 * k + n, dtype=np.int64)
        sigs = rng.integers(0, 2**32, (n, 16), dtype=np.uint32)
        bucket = rng.integers(0, 12, n * 3)  # few distinct keys: long runs of one key cross the merge's rounds
        member = np.repeat(np.arange(n), 3)
        write = _bandruns.write_run if k != 1 else write_legacy_run  # a run of the previous release among them
        write(tmp_path, f"run-{k:06d}", ids, sigs, np.arange(n), bucket=bucket, member=member)
        names.append(f"run-{k:06d}")
        expected += list(zip(bucket.tolist(), ids[member].tolist(), strict=True))
    assert _bandruns.is_legacy(tmp_path / "run-000001") and not _bandruns.is_legacy(tmp_path / "run-000000")
    _bandruns.merge_runs(tmp_path, "run-000009", names, step=5)
    merged = _bandruns.load_run(tmp_path / "run-000009")
    buckets, members = merged["entries"]["bucket"], merged["entries"]["member"].astype(np.int64)
    assert np.all(np.diff(buckets) >= 0)
    assert sorted(zip(buckets.tolist(), merged["records"]["id"][members].tolist(), strict=True)) == sorted(expected)
    first = _bandruns.load_run(tmp_path / "run-000000")
    assert np.array_equal(merged["records"][:40], first["records"])
    assert merged["records"]["size"].tolist()[:40] == list(range(40))
    assert np.array_equal(merged["heads"], _bandruns.heads_of(merged["records"]))
    assert merged["fence"].tolist() == buckets[::4].tolist()
    for wanted in ([3, 11], [-1, 0, 5, 6, 7, 12], list(range(12))):
        hits = _bandruns.lookup(tmp_path, ["run-000009"], np.array(wanted), np.arange(len(wanted)), 16)
        assert sorted(zip(hits.bucket.tolist(), hits.article_id.tolist(), strict=True)) == sorted(
            (b, a) for b, a in expected if b in wanted
        )
        assert hits.bucket.tolist() == np.array(wanted)[hits.key_index].tolist()
        assert hits.band.tolist() == hits.key_index.tolist()  # the band the caller gave each key


def write_legacy_run(
    directory: Path,
    name: str,
    ids: np.ndarray,
    sigs: np.ndarray,
    sizes: np.ndarray,
    *,
    bucket: np.ndarray,
    member: np.ndarray,
    band: np.ndarray | None = None,
) -> Path:
    """A run as copydesk wrote it before heads (its write_run then): buckets, members and bands apart."""
    order = np.argsort(bucket, kind="stable")
    path = directory / name
    path.mkdir(parents=True)
    arrays = {
        "buckets": np.asarray(bucket, np.int64)[order],
        "fence": np.asarray(bucket, np.int64)[order][:: _bandruns.FENCE_EVERY],
        "members": np.asarray(member, np.uint32)[order],
        "bands": np.zeros(len(order), np.uint16) if band is None else np.asarray(band, np.uint16)[order],
        "records": _bandruns.member_records(ids, sizes, sigs),
    }
    for array, values in arrays.items():
        np.save(path / f"{array}.npy", values)
    return path


def flush_as_previous_release(db: Path) -> Path:
    """Move the database's `lsh_bands` keys into one run, run-000001, as the previous release's flush_bands wrote
    it; returns the run's folder."""
    with writing(db) as con:
        ids, blobs, sizes = zip(
            *con.execute("SELECT article_id, minhash, shingle_count FROM signatures ORDER BY article_id").fetchall(),
            strict=True,
        )
        band, bucket, member_id = map(
            np.array, zip(*con.execute("SELECT band, bucket, article_id FROM lsh_bands").fetchall(), strict=True)
        )
        directory = index_directory(con)
        assert directory is not None
        sigs = np.stack([np.frombuffer(b, "<u4") for b in blobs])
        member = np.searchsorted(np.array(ids), member_id)
        write_legacy_run(
            directory, "run-000001", np.array(ids), sigs, np.array(sizes), bucket=bucket, member=member, band=band
        )
        con.execute("INSERT INTO lsh_runs VALUES ('run-000001', ?, ?, now())", [len(ids), len(bucket)])
        con.execute("DELETE FROM lsh_bands")
    return directory / "run-000001"


def test_run_files_of_the_previous_release_are_rewritten_once_and_keep_matching(tmp_path: Path) -> None:
    """A database whose keys the previous release flushed: the first dedup pass rewrites its run (in the
    transaction, the old files left for the orphan sweep) and the copy still finds the stored story."""
    db = tmp_path / "previous-runs.duckdb"
    crawl_one(db, "r0", [row(f"http://a.example/{k}", story(90 + k)) for k in range(3)])
    directory = flush_as_previous_release(db).parent
    clusters = crawl_one(db, "r1", [row("http://b.example/copy", story(91))])
    assert clusters["http://b.example/copy"] == clusters["http://a.example/1"]
    assert len(set(clusters.values())) == 3
    with writing(db) as con:
        assert remove_orphan_runs(con) == ["run-000001"]  # the previous release's files, rewritten
        runs = [r[0] for r in con.execute("SELECT name FROM lsh_runs").fetchall()]
    assert runs == ["run-000002"] and not _bandruns.is_legacy(directory / "run-000002")
    assert sorted(p.name for p in (directory / "run-000002").iterdir()) == sorted(
        f"{a}.npy" for a in _bandruns.RUN_ARRAYS
    )


def test_a_run_of_the_previous_release_missing_a_file_is_not_rewritten_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "previous-partial.duckdb"
    crawl_one(db, "r0", [row("http://a.example/w", story(95))])
    run = flush_as_previous_release(db)
    (run / "records.npy").unlink()
    with writing(db) as con:
        load_articles(con, "r1", [row("http://b.example/w", story(95))])
        with pytest.raises(StaleIndexError, match=r"lacks the run files run-000001.*rebuild-clusters"):
            assign_clusters(con, "r1", PARAMS)
    assert sorted(p.name for p in run.parent.iterdir()) == ["run-000001"]  # nothing half-rewritten beside it


def test_a_database_copied_without_its_run_files_says_so(tmp_path: Path) -> None:
    db = tmp_path / "copied.duckdb"
    crawl_one(db, "r0", [row("http://a.example/w", story(80))])
    with writing(db) as con:
        flush_bands(con, min_articles=1)
        directory = index_directory(con)
    assert directory is not None
    shutil.rmtree(directory)
    with writing(db) as con:
        load_articles(con, "r1", [row("http://b.example/w", story(80))])
        with pytest.raises(StaleIndexError, match=r"lacks the run files run-000001.*rebuild-clusters"):
            assign_clusters(con, "r1", PARAMS)
    with writing(db) as con:  # what rebuild-clusters does
        reset_index(con)
        assign_clusters(con, "rebuild", PARAMS)
        clusters = dict(con.execute("SELECT url, cluster_id FROM articles").fetchall())
    assert clusters["http://a.example/w"] == clusters["http://b.example/w"]


def test_a_flush_writes_its_keys_a_slice_of_articles_at_a_time_and_every_key_is_found_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgraded database flushes its whole `lsh_bands` at once: memory must follow the slice, not the table."""
    db = tmp_path / "slices.duckdb"
    with writing(db) as con:
        load_articles(con, "r0", [row(f"http://s.example/{k}", story(200 + k)) for k in range(23)])
        assign_clusters(con, "r0", PARAMS)
        keys = con.execute("SELECT band, bucket, article_id FROM lsh_bands ORDER BY ALL").fetchall()
    written: list[int] = []
    write_run = _bandruns.write_run

    def counting_write_run(directory: Path, name: str, ids: np.ndarray, *args: object, **kwargs: object) -> Path:
        written.append(len(ids))
        return write_run(directory, name, ids, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_bandruns, "write_run", counting_write_run)
    with writing(db) as con:
        assert flush_bands(con, min_articles=1, slice_articles=5) == 23
        runs = [r[0] for r in con.execute("SELECT name FROM lsh_runs ORDER BY name").fetchall()]
        directory = index_directory(con)
    assert directory is not None
    assert written == [5, 5, 5, 5, 3]
    band_of = {bucket: band for band, bucket, _ in keys}
    buckets = np.unique(np.array(list(band_of), np.int64))
    hits = _bandruns.lookup(directory, runs, buckets, np.array([band_of[b] for b in buckets.tolist()]), PARAMS.num_perm)
    found = sorted(zip(hits.band.tolist(), hits.bucket.tolist(), hits.article_id.tolist(), strict=True))
    assert found == keys


def test_runs_a_transaction_wrote_are_deleted_once_merged_and_committed_runs_wait_for_the_commit(
    tmp_path: Path,
) -> None:
    db = tmp_path / "merged.duckdb"
    before = crawl(db, flush=True)
    with writing(db) as con:
        remove_orphan_runs(con)
        committed = {r[0] for r in con.execute("SELECT name FROM lsh_runs").fetchall()}
        directory = index_directory(con)
    assert directory is not None and committed
    failed = RuntimeError("stopped after the flush")
    with pytest.raises(RuntimeError) as caught, writing(db) as con:
        reset_index(con)
        assign_clusters(con, "rebuild", PARAMS)
        written: set[str] = set()
        flush_bands(con, min_articles=1, slice_articles=4, written=written)  # slices of 4, merged as they go
        registered = {r[0] for r in con.execute("SELECT name FROM lsh_runs").fetchall()}
        on_disk = {p.name for p in directory.iterdir()}
        assert len(registered) < len(before) / 4  # slices were merged
        # On disk: the runs this transaction registers, and the committed ones a rollback must find again.
        assert on_disk == registered | committed
        assert written == registered
        raise failed
    assert caught.value is failed
    with writing(db) as con:
        assert {r[0] for r in con.execute("SELECT name FROM lsh_runs").fetchall()} == committed
        assert {p.name for p in directory.iterdir()} >= committed


# Flushes a database's band keys with a file size limit smaller than the run: says what flush_bands raised.
FLUSH_WITH_SIZE_LIMIT = """
    import resource, signal, sys
    from storage.db import DiskFullError, writing
    from storage.dedup import flush_bands
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG from write() instead of being killed
    try:
        with writing(sys.argv[1]) as con:
            unlimited = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4096, unlimited[1]))
            try:
                flush_bands(con, min_articles=1)
            finally:
                resource.setrlimit(resource.RLIMIT_FSIZE, unlimited)  # the database's own writes: no limit
    except DiskFullError as exc:
        print(type(exc.__cause__).__name__, exc)
"""


def test_a_run_file_that_does_not_fit_raises_disk_full_and_leaves_no_partial_run(tmp_path: Path) -> None:
    db = tmp_path / "full.duckdb"
    with writing(db) as con:
        load_articles(con, "r0", [row(f"http://f.example/{k}", story(300 + k)) for k in range(40)])
        assign_clusters(con, "r0", PARAMS)
        directory = index_directory(con)
    assert directory is not None
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FLUSH_WITH_SIZE_LIMIT), str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OSError ") and "out of space while writing a run file" in done.stdout
    assert not directory.exists() or list(directory.iterdir()) == []


def test_band_numbers_past_255_survive_a_lookup(tmp_path: Path) -> None:
    """num_perm 1024 gives 301 bands: the linker matches on (band, bucket), so a band number must not wrap."""
    params = DedupParams(num_perm=1024)
    assert params.bands > 255
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 2**32, (2, params.num_perm), dtype=np.uint32)
    keys = band_hashes(sigs, bands=params.bands, rows=params.rows)
    ids = np.array([10, 11], np.int64)
    member = np.repeat(np.arange(2), params.bands)
    _bandruns.write_run(tmp_path, "run-000000", ids, sigs, np.ones(2), bucket=keys.ravel(), member=member)
    unique, first = np.unique(keys.ravel(), return_index=True)
    hits = _bandruns.lookup(tmp_path, ["run-000000"], unique, first % params.bands, params.num_perm)
    got = zip(hits.bucket.tolist(), hits.article_id.tolist(), hits.band.tolist(), strict=True)
    expected = [(keys[m, b], ids[m], b) for m in range(2) for b in range(params.bands)]
    assert sorted(got) == sorted(expected)
    assert max(hits.band.tolist()) == params.bands - 1


def test_the_flush_size_can_be_set_in_the_environment_for_tests_and_tuning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "env.duckdb"
    monkeypatch.setenv("COPYDESK_LSH_FLUSH_ARTICLES", "3")
    crawl_one(db, "r0", [row(f"http://e.example/{k}", story(400 + k)) for k in range(7)])
    with writing(db) as con:
        ((left,),) = con.execute("SELECT count(DISTINCT article_id) FROM lsh_bands").fetchall()
        ((flushed,),) = con.execute("SELECT sum(articles) FROM lsh_runs").fetchall()
    assert (left, flushed) == (0, 7)
    monkeypatch.setenv("COPYDESK_LSH_FLUSH_ARTICLES", "none")
    with pytest.raises(ValueError, match="COPYDESK_LSH_FLUSH_ARTICLES='none'"), writing(db) as con:
        flush_bands(con)
