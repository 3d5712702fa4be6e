"""The persistent dedup index on a real DuckDB file: copies cluster, strangers don't, ids stay put."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from extractors.fingerprint import (
    DedupParams,
    Scheme,
    containment,
    estimate_jaccard,
    numbers_agree,
    numbers_of,
    shingle_hashes,
    shingles,
    signatures,
)
from storage._clusters import BUCKET_MEMBERS, verify
from storage.db import writing
from storage.dedup import (
    LEGACY_SHINGLE_RULES,
    CanonicalRule,
    StaleIndexError,
    _pending,
    _pending_span,
    assign_clusters,
    has_pending,
    legacy_params_key,
    params_key,
    reset_index,
    signing_params,
)
from storage.load import load_articles
from storage.rows import ArticleRow

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PARAMS = DedupParams()
WORDS = "harbour council vote ferry storm budget school rail bridge market river energy police court".split()


def story(seed: int, paragraphs: int = 8) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) + str(rng.randint(0, 999)) for _ in range(40)) for _ in range(paragraphs)]


def row(url: str, paragraphs: list[str]) -> ArticleRow:
    text = "\n\n".join(paragraphs)
    return ArticleRow(url=url, source=url.split("/")[2], text=text, content_hash=str(hash(text)), fetched_at=NOW)


def load_and_cluster(db: Path, run_id: str, rows: list[ArticleRow]) -> dict[str, int]:
    with writing(db) as con:
        load_articles(con, run_id, rows)
        assign_clusters(con, run_id, PARAMS)
        return dict(con.execute("SELECT url, cluster_id FROM articles").fetchall())


def test_edited_copies_share_a_cluster_and_an_unrelated_story_does_not(tmp_path: Path) -> None:
    wire = story(1)
    copies = [
        row("http://a.example/wire", wire),
        row("http://b.example/copy", ["A local paragraph about the town council meeting today."] + wire),
        row("http://c.example/copy", wire[:-1] + [wire[-1].replace("harbour", "port")]),
        row("http://d.example/other", story(2)),
    ]
    clusters = load_and_cluster(tmp_path / "c.duckdb", "r1", copies)
    assert clusters["http://a.example/wire"] == clusters["http://b.example/copy"] == clusters["http://c.example/copy"]
    assert clusters["http://d.example/other"] != clusters["http://a.example/wire"]


def test_a_truncated_copy_joins_by_containment(tmp_path: Path) -> None:
    wire = story(3, paragraphs=10)
    clusters = load_and_cluster(
        tmp_path / "c.duckdb", "r1", [row("http://a.example/w", wire), row("http://b.example/w", wire[:6])]
    )
    assert clusters["http://a.example/w"] == clusters["http://b.example/w"]


def quake_report(magnitude: str, place: str, depth: int, hour: int, km: int, lede: str = "") -> list[str]:
    """An automated earthquake story: the template's words, this quake's numbers."""
    return [
        f"{lede}A magnitude {magnitude} earthquake struck near {place} at {hour}:42 local time on Tuesday, the"
        f" geological survey said. The quake was centred {km} kilometres from the town at a depth of {depth}"
        " kilometres, according to the agency's preliminary reading, which may be revised as more data come in.",
        "There were no immediate reports of damage or injuries. Residents said they felt the shaking for several"
        " seconds, and some left their homes as a precaution. Emergency services said they were assessing the"
        " situation and urged people to follow official guidance and to be ready for possible aftershocks.",
        "The region sits on one of the most active fault systems in the world and experiences frequent tremors,"
        " most of them too weak to be felt. Officials reminded residents to secure heavy furniture and to keep an"
        " emergency kit with water, food, a torch and a radio in case of a stronger earthquake in the coming days.",
    ]


def test_two_stories_of_one_template_with_other_numbers_are_not_copies(tmp_path: Path) -> None:
    # The words of an automated report are the template's; its numbers are the story. Both reviews' templates
    # (earthquakes, lotteries, gold prices, weather) passed the shingle rules and merged.
    one = quake_report("5.4", "Ridgecrest", 10, 14, 23)
    other = quake_report("6.1", "Ridgecrest", 35, 9, 61)
    copy = quake_report("5.4", "Ridgecrest", 10, 14, 23, lede="UPDATED: ")[:2]  # an outlet's cut copy
    clusters = load_and_cluster(
        tmp_path / "c.duckdb",
        "r1",
        [row("http://a.example/q1", one), row("http://a.example/q2", other), row("http://b.example/q1", copy)],
    )
    assert clusters["http://a.example/q1"] == clusters["http://b.example/q1"] != clusters["http://a.example/q2"]


def test_a_copy_that_gives_times_on_the_12_hour_clock_and_converts_units_keeps_its_cluster(tmp_path: Path) -> None:
    # A US outlet's copy of the wire story: "2:42 p.m." for "14:42", miles for kilometres (a review of the numbers
    # rule: it split them, 1 number of 4 in common; the time read on the 24-hour clock makes it 2 of 4).
    wire = quake_report("5.4", "Ridgecrest", 10, 14, 23)
    first = wire[0].replace("14:42 local", "2:42 p.m. local").replace("23 kilometres", "14 miles")
    copy = [first.replace("depth of 10 kilometres", "depth of 6 miles"), *wire[1:]]
    clusters = load_and_cluster(
        tmp_path / "c.duckdb", "r1", [row("http://wire.example/q1", wire), row("http://us.example/q1", copy)]
    )
    assert clusters["http://wire.example/q1"] == clusters["http://us.example/q1"]


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Sales rose 5.4% to 41,500 units by 10:30.", {"54", "41500", "1030"}),
        ("ราคาทองคำ ๔๑,๕๐๐ บาท", {"41500"}),
        ("增长５．０％，１０月份", {"50", "10"}),
        ("ارتفع ٥٫٤ في المئة", {"54"}),
        ("at 2:42 p.m. and 10.05am, not 12:30 AM", {"1442", "1005", "30"}),
        ("9:15 a.m. is 09:15, 12:05 a.m. is 00:05, 007 is 7", {"915", "5", "7"}),
    ],
)
def test_numbers_are_read_in_any_script_with_their_separators(text: str, numbers: set[str]) -> None:
    assert numbers_of(text) == numbers


@pytest.mark.parametrize(
    ("twelve", "twenty_four"),
    [("at 9:15 a.m. local time", "at 09:15 local time"), ("at 12:05 a.m.", "at 00:05"), ("at 2:42 p.m.", "at 14:42")],
)
def test_a_time_reads_the_same_on_either_clock(twelve: str, twenty_four: str) -> None:
    # Morning times lost their leading zero on the 12-hour side only (found by a review of this change).
    assert numbers_of(twelve) == numbers_of(twenty_four)


def test_numbers_tell_only_when_both_texts_state_a_few() -> None:
    assert numbers_agree(frozenset({"1", "2"}), frozenset({"3", "4", "5"}))  # too few to tell
    assert numbers_agree(frozenset({"1", "2", "3"}), frozenset({"1", "2", "9", "10"}))  # 2 of the smaller's 3
    assert not numbers_agree(frozenset({"1", "2", "3"}), frozenset({"1", "7", "8"}))


def test_cluster_ids_are_stable_across_runs_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    wire = story(4)
    first = load_and_cluster(db, "r1", [row("http://a.example/w", wire), row("http://x.example/o", story(5))])
    second = load_and_cluster(db, "r2", [row("http://b.example/w", wire)])
    assert second["http://b.example/w"] == first["http://a.example/w"]
    assert {k: second[k] for k in first} == first
    again = load_and_cluster(db, "r3", [row("http://b.example/w", wire)])
    assert again == second


def test_an_article_bridging_two_clusters_merges_them_into_the_older_id(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    left, right = story(6, 6), story(7, 6)
    first = load_and_cluster(db, "r1", [row("http://a.example/l", left), row("http://b.example/r", right)])
    assert first["http://a.example/l"] != first["http://b.example/r"]
    merged = load_and_cluster(db, "r2", [row("http://c.example/both", left + right)])
    older = min(first.values())
    assert set(merged.values()) == {older}
    with writing(db) as con:
        merges = con.execute("SELECT kept_cluster_id, merged_cluster_id FROM cluster_merges").fetchall()
        edges = con.execute("SELECT url, matched_url FROM syndication ORDER BY matched_url").fetchall()
    assert merges == [(older, max(first.values()))]
    # the bridge keeps one edge into each cluster it joined: that is what explains the merge
    assert edges == [("http://c.example/both", "http://a.example/l"), ("http://c.example/both", "http://b.example/r")]


def test_copies_of_one_story_form_one_cluster_with_one_stored_edge_per_member(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    wire = story(20)
    copies = [
        row(f"http://s{k}.example/w", wire + [f"Local desk note number {k} about the story."]) for k in range(2_000)
    ]
    load_and_cluster(db, "r1", copies[:1_500])  # later copies meet stored members, earlier ones each other
    clusters = load_and_cluster(db, "r2", copies[1_500:])
    with writing(db) as con:
        ((first_id,),) = con.execute("SELECT min(article_id) FROM articles").fetchall()
        edges = con.execute("SELECT count(*), count(DISTINCT article_id) FROM dup_pairs").fetchall()
        view = con.execute("SELECT count(*), min(least(jaccard, containment)) FROM syndication").fetchall()
    assert set(clusters.values()) == {first_id}
    assert edges == [(1_999, 1_999)]  # linear: one edge per member that joined, not 2 million pairs
    assert view[0][0] == 1_999 and view[0][1] > 0.5


def test_clusters_larger_than_the_sample_are_bridged_into_the_older_id(tmp_path: Path) -> None:
    left, right = story(21), story(22)
    rows = [row(f"http://l{k}.example/w", left + [f"Left note {k} for readers."]) for k in range(3 * BUCKET_MEMBERS)]
    rows += [row(f"http://r{k}.example/w", right + [f"Right note {k} for readers."]) for k in range(3 * BUCKET_MEMBERS)]
    rows += [row("http://both.example/w", left + right)]
    rows += [row(f"http://x{k}.example/w", right + [f"Late note {k} for readers."]) for k in range(3 * BUCKET_MEMBERS)]
    clusters = load_and_cluster(tmp_path / "c.duckdb", "r1", rows)
    assert set(clusters.values()) == {clusters["http://l0.example/w"]}
    with writing(tmp_path / "c.duckdb") as con:
        ((edges,),) = con.execute("SELECT count(*) FROM dup_pairs").fetchall()
        ((first_id,),) = con.execute("SELECT min(article_id) FROM articles").fetchall()
    assert clusters["http://l0.example/w"] == first_id
    # every member but the two clusters' first ones joined by one edge, and the bridge by a second one
    assert edges == len(rows) - 2 + 1


def test_signatures_made_with_other_params_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    load_and_cluster(db, "r1", [row("http://a.example/w", story(8))])
    with writing(db) as con:
        load_articles(con, "r2", [row("http://b.example/w", story(9))])
        with pytest.raises(ValueError, match="signatures made with"):
            assign_clusters(con, "r2", DedupParams(num_perm=64))


def test_each_cluster_has_exactly_one_canonical_article(tmp_path: Path) -> None:
    wire = story(10)
    db = tmp_path / "c.duckdb"
    load_and_cluster(
        db, "r1", [row(f"http://{s}.example/w", wire) for s in "abc"] + [row("http://z.example/o", story(11))]
    )
    with writing(db) as con:
        counts = con.execute("SELECT cluster_id, count_if(is_canonical) FROM articles GROUP BY ALL").fetchall()
        view = con.execute("SELECT size FROM clusters ORDER BY size DESC").fetchall()
    assert all(n == 1 for _, n in counts)
    assert view == [(3,), (1,)]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (CanonicalRule("earliest"), "http://a.example/w"),
        (CanonicalRule("longest"), "http://b.example/w"),
        (CanonicalRule("source_priority", ("c.example", "b.example")), "http://c.example/w"),
    ],
)
def test_the_canonical_member_follows_the_configured_rule(tmp_path: Path, rule: CanonicalRule, expected: str) -> None:
    wire = story(12)
    rows = [
        row("http://a.example/w", wire),
        row("http://b.example/w", wire + ["An extra local paragraph with more words than the others have."]),
        row("http://c.example/w", wire),
    ]
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "r1", rows)
        assign_clusters(con, "r1", PARAMS, canonical=rule)
        canonical = con.execute("SELECT url FROM articles WHERE is_canonical").fetchall()
    assert canonical == [(expected,)]


@pytest.mark.parametrize("rule", [CanonicalRule("earliest"), CanonicalRule("source_priority", ("z.example",))])
def test_a_copy_cut_short_is_no_canonical_while_whole_copies_are_in_its_cluster(
    tmp_path: Path, rule: CanonicalRule
) -> None:
    # A partner's copy cut to half, stamped minutes before the wire's own, was the cluster's canonical: the
    # story `unique_articles` showed was half of it (the dedup review: 8 of 10 clusters chose a one-paragraph alert).
    wire, before = story(13), NOW - timedelta(minutes=3)
    rows = [
        replace(row("http://cut.example/w", wire[:3]), published_at=before),
        replace(row("http://wire.example/w", wire), published_at=NOW),
        replace(row("http://copy.example/w", wire), published_at=NOW + timedelta(hours=1)),
    ]
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "r1", rows)
        assign_clusters(con, "r1", PARAMS, canonical=rule)
        clusters = con.execute("SELECT count(DISTINCT cluster_id) FROM articles").fetchall()
        canonical = con.execute("SELECT url FROM articles WHERE is_canonical").fetchall()
    assert clusters == [(1,)] and canonical == [("http://wire.example/w",)]


@pytest.mark.parametrize(
    "later",
    [
        # briefings that carry the wire's story whole beside other stories
        [story(7, 6) + story(13) + story(8, 6), story(9, 6) + story(13) + story(10, 6)],
        # copies with paragraphs of local add-on, each their own
        [story(13) + story(9, 6), story(13) + story(11, 6)],
        [story(13) + story(9, 6)],  # one such copy
    ],
)
def test_without_near_identical_copies_the_earliest_is_canonical_however_long_the_others(
    tmp_path: Path, later: list[list[str]]
) -> None:
    # The reviews of the first versions (shorter than the median member, in any cluster, then in one of 3+): the
    # wire's story was shorter than the later copies that carry it with more, and one of those became canonical.
    rows = [replace(row("http://wire.example/w", story(13)), published_at=NOW)]
    rows += [
        replace(row(f"http://later{n}.example/w", text), published_at=NOW + timedelta(hours=n + 1))
        for n, text in enumerate(later)
    ]
    with writing(tmp_path / "c.duckdb") as con:
        load_articles(con, "r1", rows)
        assign_clusters(con, "r1", PARAMS)
        clusters = con.execute("SELECT count(DISTINCT cluster_id) FROM articles").fetchall()
        canonical = con.execute("SELECT url FROM articles WHERE is_canonical").fetchall()
    assert clusters == [(1,)] and canonical == [("http://wire.example/w",)]


def test_source_priority_without_sources_is_refused() -> None:
    with pytest.raises(ValueError, match="needs the source names"):
        CanonicalRule("source_priority")


def test_articles_stored_without_a_dedup_step_are_pending_until_one_runs(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    with writing(db) as con:
        assert not has_pending(con)  # an empty store
        load_articles(con, "r1", [row("http://a.example/w", story(6))])  # a run killed before its dedup step
        assert has_pending(con)
        assign_clusters(con, "r2", PARAMS)
        assert not has_pending(con)


def test_pending_articles_are_found_after_the_newest_signed_one_and_among_older_ones(tmp_path: Path) -> None:
    """New articles come after every signed one (found without counting the store); an article whose text
    changed is pending where it is (found by counting ids per block)."""
    db = tmp_path / "p.duckdb"

    def pending(con: duckdb.DuckDBPyConnection) -> set[str]:
        ids = [r[0] for r in _pending(con, _pending_span(con), 100)]
        return {
            r[0]
            for r in con.execute("SELECT url FROM articles WHERE article_id IN (SELECT unnest(?))", [ids]).fetchall()
        }

    with writing(db) as con:
        load_articles(con, "r1", [row(f"http://a.example/{k}", story(20 + k)) for k in range(5)])
        assert pending(con) == {f"http://a.example/{k}" for k in range(5)}
        assign_clusters(con, "r1", PARAMS)
        assert pending(con) == set() and _pending_span(con) == (0, 0)
        load_articles(con, "r2", [row("http://a.example/5", story(30)), row("http://a.example/6", story(31))])
        assert pending(con) == {"http://a.example/5", "http://a.example/6"}
        load_articles(con, "r3", [row("http://a.example/2", story(32))])  # its text changed: re-signed
        assert pending(con) == {"http://a.example/2", "http://a.example/5", "http://a.example/6"}
        assign_clusters(con, "r3", PARAMS)
        assert pending(con) == set()


def test_batched_verification_gives_each_candidate_its_own_jaccard_and_containment() -> None:
    rng = np.random.default_rng(7)
    pool = np.arange(5_000, dtype=np.uint32)

    def shingles(n: int) -> np.ndarray:
        return np.sort(rng.choice(pool, size=n, replace=False))

    base = shingles(600)
    sets = [base, base[:400], np.unique(np.concatenate([base[:300], shingles(300)])), shingles(50), shingles(0)]
    sigs = [rng.integers(0, 2**32, size=128, dtype=np.uint64) for _ in sets]
    sigs[1] = sigs[0].copy()
    fingerprints: dict[int, tuple[np.ndarray, np.ndarray, Scheme, str]] = {
        i: (sigs[i], sets[i], "word", "") for i in range(len(sets))
    }
    # a rule that nearly every pair passes, so nearly every pair's figures come back
    lenient = DedupParams(threshold=0.02, containment_threshold=0.01, min_shingles=0, candidate_threshold=0.01)
    for new in range(len(sets)):
        got = {m.matched_article_id: (m.jaccard, m.containment) for m in verify(new, range(new), fingerprints, lenient)}
        for old, figures in got.items():
            assert figures == (estimate_jaccard(sigs[new], sigs[old]), containment(sets[new], sets[old]))
        assert set(got) >= {old for old in range(new) if 4 not in (new, old)}  # 4: the empty set


def legacy_database(db: Path, rows: list[ArticleRow]) -> None:
    """A file as copydesk wrote it before script-aware shingling: word shingles, the old key, no scheme column."""
    with writing(db) as con:
        load_articles(con, "r0", rows)
        assign_clusters(con, "r0", PARAMS)
        con.execute("UPDATE signatures SET params = ?", [legacy_params_key(PARAMS)])
        con.execute("ALTER TABLE signatures DROP COLUMN scheme")
    with writing(db) as con:  # re-sign every article as the old code did: word shingles for all
        for article_id, text in con.execute("SELECT article_id, text FROM articles").fetchall():
            old = signatures([shingle_hashes(text, rules=LEGACY_SHINGLE_RULES)])[0]
            con.execute(
                "UPDATE signatures SET minhash = ? WHERE article_id = ?", [old.astype("<u4").tobytes(), article_id]
            )


def test_an_older_word_only_index_is_relabelled_and_keeps_matching(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    wire = story(30)
    legacy_database(db, [row("http://a.example/w", wire), row("http://x.example/o", story(31))])
    clusters = load_and_cluster(db, "r1", [row("http://b.example/w", wire)])
    assert clusters["http://b.example/w"] == clusters["http://a.example/w"] != clusters["http://x.example/o"]
    with writing(db) as con:
        keys = con.execute("SELECT DISTINCT params, scheme FROM signatures").fetchall()
    assert keys == [(params_key(replace(PARAMS, shingle_rules=LEGACY_SHINGLE_RULES)), "word")]


def standings(rule: str) -> list[str]:
    """A league table as trafilatura renders one ("| 1 | Kyle Busch | 5040 |"), or as a copy flattened it."""
    rng = random.Random(7)
    rows = [
        [str(n), rng.choice(WORDS).title(), rng.choice(WORDS).title(), str(rng.randint(500, 5000))]
        for n in range(1, 26)
    ]
    lines = [f"| {' | '.join(cells)} |" if rule else " ".join(cells) for cells in rows]
    return ["Final standings of the harbour league after 36 races, with points:", *lines]


def test_an_index_signed_under_older_shingle_rules_keeps_them_until_rebuild_clusters(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db, older = tmp_path / "older.duckdb", replace(PARAMS, shingle_rules="script1")
    with writing(db) as con:  # a desk of the release before: "|" was a word
        load_articles(con, "r0", [row("http://a.example/table", standings("|")), row("http://x.example/o", story(40))])
        assign_clusters(con, "r0", older)
        assert signing_params(con, PARAMS) == older  # what ingest-warc's extraction workers shingle with
    clusters = load_and_cluster(
        db, "r1", [row("http://b.example/flat", standings("")), row("http://c.example/same", standings("|"))]
    )
    with writing(db) as con:
        keys = con.execute("SELECT DISTINCT params FROM signatures").fetchall()
    assert keys == [(params_key(older),)]  # new articles signed as the index was, so they match it...
    assert clusters["http://c.example/same"] == clusters["http://a.example/table"]
    assert clusters["http://b.example/flat"] != clusters["http://a.example/table"]  # ...as that release did
    assert "signed under shingle rules 'script1'" in caplog.text and "copydesk rebuild-clusters" in caplog.text
    with writing(db) as con:  # what `copydesk rebuild-clusters` does, in one transaction
        reset_index(con)
        assign_clusters(con, "r2", PARAMS)
        clusters = dict(con.execute("SELECT url, cluster_id FROM articles").fetchall())
        keys = con.execute("SELECT DISTINCT params FROM signatures").fetchall()
    assert keys == [(params_key(PARAMS),)]
    assert clusters["http://b.example/flat"] == clusters["http://a.example/table"] != clusters["http://x.example/o"]


def test_an_older_index_holding_chinese_text_asks_for_rebuild_clusters_which_fixes_it(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    chinese = "国家气象中心今天发布暴雨橙色预警，预计未来三天南方多地将出现强降雨，部分地区可能发生山洪。" * 3
    legacy_database(db, [row("http://a.example/zh", [chinese]), row("http://x.example/o", story(32))])
    with writing(db) as con:
        load_articles(con, "r1", [row("http://b.example/zh", ["新华社北京电", chinese])])
        with pytest.raises(StaleIndexError, match=r"1 stored articles \(ids 1\).*copydesk rebuild-clusters"):
            assign_clusters(con, "r1", PARAMS)
    seen: list[tuple[int, int]] = []
    with writing(db) as con:  # what `copydesk rebuild-clusters` does, in one transaction
        reset_index(con)
        assign_clusters(con, "r2", PARAMS, progress=lambda done, total: seen.append((done, total)))
        clusters = dict(con.execute("SELECT url, cluster_id FROM articles").fetchall())
        schemes = dict(
            con.execute("SELECT a.url, s.scheme FROM signatures s JOIN articles a USING (article_id)").fetchall()
        )
    assert clusters["http://a.example/zh"] == clusters["http://b.example/zh"] != clusters["http://x.example/o"]
    assert schemes == {"http://a.example/zh": "char", "http://b.example/zh": "char", "http://x.example/o": "word"}
    assert seen == [(3, 3)]


def test_shingles_made_elsewhere_are_used_by_text_and_give_the_same_clusters(tmp_path: Path) -> None:
    wire = story(11)
    rows = [
        row("http://a.example/wire", wire),
        row("http://b.example/copy", ["A local paragraph about the ferry timetable."] + wire),
        row("http://c.example/other", story(12)),
    ]
    made = {hashlib.sha256(r.text.encode()).hexdigest(): shingles(r.text, PARAMS) for r in rows[:2]}
    here, given = tmp_path / "here.duckdb", tmp_path / "given.duckdb"
    for db, shingled in ((here, None), (given, made)):
        with writing(db) as con:
            load_articles(con, "r1", rows)
            assign_clusters(con, "r1", PARAMS, shingled=shingled)

    def stored(db: Path) -> list[tuple[object, ...]]:
        with writing(db) as con:
            return con.execute(
                "SELECT url, cluster_id, is_canonical, s.* EXCLUDE (article_id) FROM articles "
                "JOIN signatures s USING (article_id) ORDER BY url"
            ).fetchall()

    assert stored(here) == stored(given)
    assert len({cluster for _, cluster, *_ in stored(given)}) == 2

    # Keyed by the text: shingles given for a text are the ones signed (here another story's), others are made.
    swapped = tmp_path / "swapped.duckdb"
    with writing(swapped) as con:
        load_articles(con, "r1", rows[:1] + rows[2:])
        other = shingles(rows[2].text, PARAMS)
        assign_clusters(con, "r1", PARAMS, shingled={hashlib.sha256(rows[0].text.encode()).hexdigest(): other})
        (first, second) = con.execute(
            "SELECT minhash, shingle_count FROM signatures JOIN articles USING (article_id) ORDER BY url"
        ).fetchall()
    assert first == second  # a.example signed with c.example's shingles
    assert second[1] == len(other[1])
