"""The persistent near-duplicate index: LSH band keys in DuckDB, the edges that joined clusters, stable cluster ids.

Each run matches only its pending articles (those without a stored signature) against everything
stored before. Band keys since the last flush are in `lsh_bands`; older ones in sorted run files next to the
database (storage/_bandruns.py, flush_bands), where a lookup reads only the buckets the chunk hits. A stored
article found there is checked by its 8-bit MinHash sketch and shingle count (_may_match) before its signature
and text are loaded, and its shingles are recomputed from its text: the cost of a run follows the batch and
the true copies it has, not the store (bench/README.md, "LSH index at archive scale"). A new article is
verified against a few representatives of each cluster its LSH buckets reach (storage/_clusters.py), and
`dup_pairs` keeps one edge per joined article (the member, the representative it matched, the figures),
plus one per extra cluster an article bridged: space and time grow with the cluster, not its square.
A cluster's id is the article id of its first member, so ids never change when members join; when an
article bridges two clusters the older (smaller) id wins and the merge is recorded in `cluster_merges`.
An article whose text changed keeps its cluster only while its new text matches a member; otherwise it leaves
it, its stored edges go, and a cluster whose id it took along goes on under the smallest id left in it.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import logging
import os
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa

from extractors.fingerprint import (
    EDITED_CONTAINMENT,
    EDITED_JACCARD,
    SHINGLE_RULES_HISTORY,
    U32,
    UNSPACED_PATTERN,
    DedupParams,
    Scheme,
    band_hashes,
    normalize_text,
    shingle_scheme,
    shingles,
    signatures,
)
from storage import _bandruns
from storage._bandruns import RunHits
from storage._clusters import BUCKET_CLUSTERS, BUCKET_MEMBERS, ChunkLinker, DupMatch, Fingerprint
from storage.db import DiskFullError

log = logging.getLogger(__name__)
# The shingle rules of indexes written before rules had names (legacy_params_key).
LEGACY_SHINGLE_RULES = SHINGLE_RULES_HISTORY[0]

# Pending articles are signed and matched this many at a time, which bounds memory per step.
CHUNK_SIZE = 2_000
# Stored fingerprints (signature, text and its shingles) loaded at once. Unrelated stories collide in LSH with
# p ≈ 5e-5 per pair at 51 x 2 (~50 per new article against 1M stored, 500 against 10M), but the sketch check
# (_may_match) drops nearly all of those before anything is loaded; this bounds memory when many are real.
VERIFY_SIZE = 20_000
# Articles whose band keys stay in `lsh_bands` before flush_bands moves them into a sorted run file: a run of
# 100k articles is 66 MB of keys, and the DuckDB table a lookup scans stays under 5M rows.
FLUSH_ARTICLES = 100_000
# Overrides FLUSH_ARTICLES (threshold and slice size), for tests and tuning: tests/test_crash.py sets a few
# articles so that its kills land while run files are written, merged and removed.
FLUSH_ARTICLES_ENV = "COPYDESK_LSH_FLUSH_ARTICLES"
# Runs are merged like an LSM tree's levels: whenever the newest run holds at least 1/MERGE_RATIO of the
# articles of the run before it, the two become one (streamed, ~100 MB of memory whatever their size). Run
# sizes then grow geometrically, so a store holds O(log N) runs: a lookup does one binary search per key and
# run, and each key is rewritten about MERGE_RATIO times per level.
MERGE_RATIO = 4
# Sketches (the low byte of each MinHash value) of two unrelated values agree by chance with p = 1/256.
_SKETCH_CHANCE = 1 / 256
# Standard deviations of the Jaccard estimate added before a pair is judged hopeless: with 128 values a
# pair that can match is dropped with p < 1e-4.
_SKETCH_MARGIN_SD = 4.0
# The same for the heads of run files (their first _bandruns.HEAD_SKETCH = 60 values), checked before the
# records. Exact binomial figures: pairs at the edge of the match rule (containment 0.65, sizes 1:1.5 to 1:8)
# are dropped by the head with p <= 3.3e-3 (by the full sketch alone: <= 7.7e-3, at 1:8); a truncated copy
# (containment 1) with p <= 1.4e-5; and unrelated stories that share a band pass it with p <= 0.002 up to
# sizes 1:3, 0.016 at 1:4. With 4 SD the worst edge case was 1e-2; with 28 values, 1.7e-2 (or 9.6e-3 at 5 SD,
# letting 22 % of unrelated pairs through at 1:3).
_HEAD_MARGIN_SD = 5.0


@dataclass(frozen=True, slots=True)
class CanonicalRule:
    """Which member of a cluster is its canonical article.

    `earliest`: first published (then first stored) of the cluster's whole copies; `longest`: most text;
    `source_priority`: the first source in `sources` that carries the story, then earliest. Two members that are
    near-identical copies (a stored edge of Jaccard >= TWIN_JACCARD) agree on the whole story, as long as the
    shorter of them; a member with under WHOLE_SHARE of that is no whole copy: a one-paragraph alert sent minutes
    before the story, or a partner's copy cut to a third, is no canonical (`unique_articles` shows its text).
    Without such a pair nothing says which member is whole: the wire's story beside later copies that each add
    their own local paragraphs, or beside briefings that carry it with other stories, stays the canonical.
    """

    rule: Literal["earliest", "longest", "source_priority"] = "earliest"
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.rule not in ("earliest", "longest", "source_priority"):
            raise ValueError(f"canonical rule {self.rule!r} is unknown; use earliest, longest or source_priority")
        if self.rule == "source_priority" and not self.sources:
            raise ValueError("canonical rule 'source_priority' needs the source names in priority order")

    def order_by(self) -> str:
        """The window ORDER BY that ranks a cluster's canonical member first (no user text in it)."""
        earliest = "cut_short, coalesce(published_at, fetched_at), article_id"
        if self.rule == "longest":
            return f"length(text) DESC, {earliest}"
        if self.rule == "source_priority":
            return f"coalesce(list_position($sources, source), 2147483647), {earliest}"
        return earliest

    def parameters(self) -> dict[str, object]:
        """The named parameters of order_by()."""
        return {"sources": list(self.sources)} if self.rule == "source_priority" else {}


# Jaccard of two copies of one story that differ only in a byline, a dateline or a few words (estimated from the
# signatures: edited copies of the adversarial set measured 0.8-1.0, copies with added paragraphs 0.5-0.7).
TWIN_JACCARD = 0.75
# An alert is a paragraph of the story (12 % of it in the adversarial set), a partner's cut a third to a half; a
# wire story is 40-60 % of a chain's copy with local paragraphs, posted on two of its sites (twins): kept whole.
WHOLE_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class DedupResult:
    """What one dedup pass did."""

    signed: int = 0
    matches: int = 0  # edges stored: one per article that joined a cluster, one more per extra cluster it bridged
    merges: int = 0


class StaleIndexError(ValueError):
    """The stored signatures were made another way than the current settings make them."""


class RebuildInProgressError(StaleIndexError):
    """A `rebuild-clusters` was stopped half way: the index holds part of the store, so nothing may match yet."""


def params_key(params: DedupParams) -> str:
    """A string that identifies signature-compatible parameters, including how shingles are made."""
    return (
        f"perm={params.num_perm};shingle={params.shingle_size};chars={params.char_shingle_size};"
        f"rules={params.shingle_rules};seed={params.seed};b={params.bands};r={params.rows}"
    )


def legacy_params_key(params: DedupParams) -> str:
    """The key copydesk wrote before script-aware shingling (every article word-shingled).

    Its words were made as under LEGACY_SHINGLE_RULES, which upgrade_legacy_signatures relabels it to.
    """
    return f"perm={params.num_perm};shingle={params.shingle_size};seed={params.seed};b={params.bands};r={params.rows}"


def assign_clusters(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    params: DedupParams,
    *,
    canonical: CanonicalRule = CanonicalRule(),
    progress: Callable[[int, int], None] | None = None,
    window_days: float | None = None,
    flush_articles: int | None = None,
    shingled: Mapping[str, tuple[Scheme, U32]] | None = None,
    chunk_size: int = CHUNK_SIZE,
    max_chunks: int | None = None,
    rebuilding: bool = False,
) -> DedupResult:
    """Sign every pending article, match it against the index, and give it a cluster id.

    `progress(signed, total)` is called after each chunk of `chunk_size` articles. With `window_days`, only
    stored articles published (or, without a date, fetched) that many days before now are candidates.
    Once `lsh_bands` holds `flush_articles` (default flush_size()) articles, their keys move into run files
    within the transaction (flush_bands), so a `rebuild-clusters` of millions of articles looks up a bounded table.
    `shingled`: shingles already made under `params` (by the extraction workers), keyed by the SHA-256 of the text
    they were made of (`content_hash`); a pending article whose text is not there is shingled here.
    With `max_chunks`, it stops after that many chunks (storage/rebuild.py commits a rebuild chunk by chunk).
    While a rebuild is half done, only the rebuild itself (`rebuilding`) may match: RebuildInProgressError.
    """
    if not rebuilding:
        _check_no_rebuild(con)
    signing = _checked_params(con, params)
    if signing != params:  # the index keeps older shingle rules: shingles made elsewhere used the newest
        params, shingled = signing, None
    upgrade_runs(con)
    since = None if window_days is None else datetime.now(UTC) - timedelta(days=window_days)
    total = DedupResult()
    span = _pending_span(con)
    ((count,),) = con.execute(f"SELECT count(*) FROM articles WHERE {_UNSIGNED}", [*span, *span]).fetchall()
    written: set[str] = set()  # runs this transaction wrote: deleted as soon as they are merged away
    for _ in itertools.count() if max_chunks is None else range(max_chunks):
        pending = _pending(con, span, chunk_size)
        if not pending:
            break
        step = _assign_chunk(con, run_id, params, pending, canonical, since, shingled or {})
        flush_bands(con, min_articles=flush_articles, written=written)
        total = DedupResult(*(a + b for a, b in zip(_astuple(total), _astuple(step), strict=True)))
        if progress is not None:
            progress(total.signed, max(count, total.signed))
    return total


def reset_index(con: duckdb.DuckDBPyConnection) -> None:
    """Forget every signature, band key, stored edge and cluster id, so the next assign_clusters starts over."""
    # Run files stay on disk until remove_orphan_runs removes them: this transaction may still be rolled back.
    for statement in (
        "DELETE FROM lsh_runs",
        "DELETE FROM lsh_bands",
        "DELETE FROM signatures",
        "DELETE FROM dup_pairs",
        "UPDATE articles SET cluster_id = NULL, is_canonical = NULL",
    ):
        con.execute(statement)


def has_pending(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any article waits for a signature (stored by a run that was stopped before its dedup step)."""
    span = _pending_span(con)
    ((pending,),) = con.execute(f"SELECT EXISTS (SELECT 1 FROM articles WHERE {_UNSIGNED})", [*span, *span]).fetchall()
    return bool(pending)


# Articles of [?, ?) without a signature. The id range lets DuckDB skip the row groups of both tables outside
# it (zone maps), so the anti-join reads the blocks that hold pending articles, not the whole store.
_UNSIGNED = (
    "article_id >= ? AND article_id < ? "
    "AND article_id NOT IN (SELECT article_id FROM signatures WHERE article_id >= ? AND article_id < ?)"
)
# Article ids are counted per block of 2^16 ids.
_ID_BLOCK_BITS = 16


def _pending_span(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """An id range [lo, hi) holding every article without a signature (empty when there is none).

    Per block of ids, articles and signatures are counted: a block where they differ holds pending articles
    (new ones: the newest block; changed ones: wherever they are). Counting scans two integer columns (~30 ms
    per 10M rows); the anti-join over the whole store it replaces took 0.25 s per 1M and a hash table of
    every signed id.
    """
    # The common case first, in ~25 ms against 10M stored: when every article up to the newest signed one is
    # signed (two counts and two maxima, no grouping), the pending ones are the newer ones.
    ((signed, newest_signed),) = con.execute("SELECT count(*), max(article_id) FROM signatures").fetchall()
    if newest_signed is not None:
        ((older, newest),) = con.execute(
            "SELECT count(*) FILTER (WHERE article_id <= ?), max(article_id) FROM articles", [newest_signed]
        ).fetchall()
        if older == signed:
            return (newest_signed + 1, newest + 1) if newest > newest_signed else (0, 0)
    ((lo, hi),) = con.execute(
        f"""
        SELECT min(block), max(block) FROM (
            SELECT article_id >> {_ID_BLOCK_BITS} AS block, count(*) AS n FROM articles GROUP BY ALL
        ) a FULL JOIN (
            SELECT article_id >> {_ID_BLOCK_BITS} AS block, count(*) AS n FROM signatures GROUP BY ALL
        ) s USING (block)
        WHERE a.n IS DISTINCT FROM s.n
        """
    ).fetchall()
    if lo is None:
        return (0, 0)
    return (int(lo) << _ID_BLOCK_BITS, (int(hi) + 1) << _ID_BLOCK_BITS)


def _pending(
    con: duckdb.DuckDBPyConnection, span: tuple[int, int], chunk_size: int
) -> list[tuple[int, str, int | None]]:
    """The next `chunk_size` articles without a signature in the id range `span`, oldest first."""
    # Ids first, then the text of those rows only: a single query read (and buffered) every pending
    # article's text to keep 2,000 of them, once per chunk (rebuild-clusters over 10k articles: +57 MB).
    return con.execute(
        f"""
        SELECT article_id, text, cluster_id FROM articles WHERE article_id IN (
            SELECT article_id FROM articles WHERE {_UNSIGNED}
            ORDER BY article_id LIMIT ?
        ) ORDER BY article_id
        """,
        [*span, *span, chunk_size],
    ).fetchall()


def _assign_chunk(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    params: DedupParams,
    pending: Sequence[tuple[int, str, int | None]],
    canonical: CanonicalRule,
    since: datetime | None = None,
    shingled: Mapping[str, tuple[Scheme, U32]] | None = None,
) -> DedupResult:
    ids = [row[0] for row in pending]
    schemes, hashes = zip(*(_shingles_of(row[1], params, shingled or {}) for row in pending), strict=True)
    sigs = signatures(hashes, num_perm=params.num_perm, seed=params.seed)
    keys = band_hashes(sigs, bands=params.bands, rows=params.rows)
    sizes = np.fromiter((len(h) for h in hashes), np.int64, len(hashes))
    # Before the chunk's own bands go in: those are matched in memory.
    stored = _candidates(con, keys, sigs, sizes, params, since, {row[2] for row in pending if row[2] is not None})
    _store_signatures(con, ids, sigs, hashes, schemes, params)
    _store_bands(con, ids, keys)
    current = {row[0]: row[2] for row in pending}
    linker = ChunkLinker(stored, _canonicals(con, {row[2] for row in stored}), current)
    local = {i: (sigs[k], hashes[k], schemes[k], pending[k][1]) for k, i in enumerate(ids)}
    edges = _link(con, linker, ids, local, _shared_buckets(keys, stored), params)
    merges, touched = _apply_links(con, run_id, linker, current)
    _drop_edges(con, list(linker.left()), [a for a, cluster_id in current.items() if cluster_id is not None])
    if edges:
        _insert_matches(con, run_id, edges)
    mark_canonical(con, touched, canonical)  # after the edges: they say which members are whole copies
    return DedupResult(signed=len(ids), matches=len(edges), merges=merges)


def _shingles_of(text: str, params: DedupParams, shingled: Mapping[str, tuple[Scheme, U32]]) -> tuple[Scheme, U32]:
    """The shingles of `text`: made where it was extracted when `shingled` has them (by its SHA-256), else here."""
    if shingled:
        made = shingled.get(hashlib.sha256(text.encode("utf-8")).hexdigest())
        if made is not None:
            return made
    return shingles(text, params)


def _store_signatures(
    con: duckdb.DuckDBPyConnection,
    ids: Sequence[int],
    sigs: np.ndarray,
    hashes: Sequence[np.ndarray],
    schemes: Sequence[Scheme],
    params: DedupParams,
) -> None:
    table = pa.table(
        {
            "article_id": pa.array(ids, pa.int64()),
            "params": pa.array([params_key(params)] * len(ids), pa.string()),
            "scheme": pa.array(schemes, pa.string()),
            "minhash": pa.array([_pack(s) for s in sigs], pa.binary()),
            "shingle_count": pa.array([len(h) for h in hashes], pa.int32()),
        }
    )
    con.register("new_signatures", table)
    con.execute("INSERT INTO signatures BY NAME SELECT * FROM new_signatures")
    con.unregister("new_signatures")


def _store_bands(con: duckdb.DuckDBPyConnection, ids: Sequence[int], keys: np.ndarray) -> None:
    con.register("new_bands", _band_rows(ids, keys))
    con.execute("INSERT INTO lsh_bands SELECT band, bucket, article_id FROM new_bands")
    con.unregister("new_bands")


def _band_rows(ids: Sequence[int], keys: np.ndarray) -> pa.Table:
    n_docs, n_bands = keys.shape
    return pa.table(
        {
            "band": pa.array(np.tile(np.arange(n_bands, dtype=np.int16), n_docs)),
            "bucket": pa.array(keys.astype(np.int64).ravel()),
            "article_id": pa.array(np.repeat(np.asarray(ids, dtype=np.int64), n_bands)),
        }
    )


def _candidates(
    con: duckdb.DuckDBPyConnection,
    keys: np.ndarray,
    sigs: np.ndarray,
    sizes: np.ndarray,
    params: DedupParams,
    since: datetime | None = None,
    own_clusters: Iterable[int] = (),
) -> list[tuple[int, int, int, int]]:
    """(band, bucket, cluster_id, article_id) of signed articles in the LSH buckets the chunk hits, oldest first.

    Band keys come from the run files (a binary search per key) and from `lsh_bands` (keys since the last
    flush); a stored article is kept only if its sketch says that it may still match a chunk article sharing
    the bucket (_may_match): unrelated stories that collide in one band are dropped here, before their
    signatures and texts are loaded. Bounded per bucket: the BUCKET_MEMBERS oldest members of each cluster, of
    the BUCKET_CLUSTERS oldest clusters. A bucket holding 10,000 copies of one story gives 8 rows, not 10,000
    per new article. With `since`, only articles published (or fetched) since then are kept, and members of
    `own_clusters` (those the chunk's re-signed articles are in): an updated story stays in its cluster if it
    still matches a member, however old its copies are.
    """
    own_clusters = set(own_clusters)
    flat = keys.ravel()
    unique, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    key_of, sketch = inverse.reshape(keys.shape), _bandruns.sketches(sigs)
    # A key names its band (fingerprint.band_hashes), so a stored entry's band is that of the chunk's key.
    by_heads = head_check(key_of, sketch, sizes, params)
    run_hits = _run_hits(con, unique, first % keys.shape[1], params.num_perm, by_heads)
    hits = RunHits.concat([run_hits, _recent_hits(con, unique)], params.num_perm)
    keep = _may_match(hits.key_index, hits.sketch, hits.size, key_of, sketch, sizes, params)
    found = np.unique(hits.article_id[keep]).tolist()
    # An article re-signed under its id may still have its old keys in a run file; one waiting to be re-signed
    # has no signature (its old keys are stale): only signed articles with a cluster are candidates.
    signed = {row[0] for row in _rows_by_id(con, "article_id", "signatures", found)}
    clusters = {
        article_id: cluster_id
        for article_id, cluster_id, dated in _rows_by_id(
            con, "article_id, cluster_id, coalesce(published_at, fetched_at)", "articles", found
        )
        if cluster_id is not None
        and article_id in signed
        and (since is None or cluster_id in own_clusters or (dated is not None and dated >= since))
    }
    kept = np.flatnonzero(keep)
    kept = kept[np.isin(hits.article_id[kept], np.fromiter(clusters, np.int64, len(clusters)))]
    ids = hits.article_id[kept]
    table = pa.table(
        {
            "band": pa.array(hits.band[kept]),
            "bucket": pa.array(hits.bucket[kept]),
            "cluster_id": pa.array([clusters[i] for i in ids.tolist()], pa.int64()),
            "article_id": pa.array(ids),
        }
    )
    con.register("bucket_hits", table)
    try:
        # DISTINCT: a run file may hold an article's keys twice (its old and new text gave the same key).
        return con.execute(
            """
            WITH members AS (
                SELECT band, bucket, cluster_id, article_id
                FROM (SELECT DISTINCT band, bucket, cluster_id, article_id FROM bucket_hits)
                QUALIFY row_number() OVER (PARTITION BY band, bucket, cluster_id ORDER BY article_id) <= ?
            )
            SELECT band, bucket, cluster_id, article_id FROM members
            QUALIFY dense_rank() OVER (PARTITION BY band, bucket ORDER BY cluster_id) <= ?
            ORDER BY article_id, band
            """,
            [BUCKET_MEMBERS, BUCKET_CLUSTERS],
        ).fetchall()
    finally:
        con.unregister("bucket_hits")


# DuckDB finds the rows of an `article_id IN (?, ...)` list in the primary-key index when the list holds at most
# `index_scan_max_count` (2,048) values; a longer list, or `IN (SELECT ...)`, scans the whole table. 3,137
# candidates' signatures against 10M stored: 0.63 s scanned, 0.07 s looked up 2,000 at a time (0.06 s at 1M).
_IDS_PER_LOOKUP = 2_000
# An id looked up costs about what scanning this many rows does (35 us against 63 ns a row at 10M, 28 us
# against 54 ns at 1M): more ids than rows / this, and one scan is cheaper (a 10k batch against 100k stored).
_ROWS_PER_LOOKUP = 500


def _rows_by_id(con: duckdb.DuckDBPyConnection, columns: str, table: str, ids: Sequence[int]) -> list[Any]:
    """`columns` of the rows of `table` whose article_id is one of `ids`: looked up in its index, or scanned."""
    # The table's size from its metadata (a count(*) of `articles` took 17 ms at 10M): an estimate is enough here.
    ((rows_in_table,),) = con.execute(
        "SELECT estimated_size FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = current_schema() AND table_name = ?",
        [table],
    ).fetchall()
    if len(ids) * _ROWS_PER_LOOKUP > rows_in_table:
        return con.execute(
            f"SELECT {columns} FROM {table} WHERE article_id IN (SELECT unnest(?))", [list(ids)]
        ).fetchall()
    rows: list[Any] = []
    for lo in range(0, len(ids), _IDS_PER_LOOKUP):
        part = list(ids[lo : lo + _IDS_PER_LOOKUP])
        marks = ", ".join("?" * len(part))
        rows += con.execute(f"SELECT {columns} FROM {table} WHERE article_id IN ({marks})", part).fetchall()
    return rows


def _run_hits(
    con: duckdb.DuckDBPyConnection,
    unique_keys: np.ndarray,
    key_bands: np.ndarray,
    num_perm: int,
    prefilter: _bandruns.Prefilter | None = None,
) -> RunHits:
    directory = index_directory(con)
    names = [r[0] for r in con.execute("SELECT name FROM lsh_runs ORDER BY name").fetchall()]
    if directory is None or not names:
        return RunHits.empty(num_perm)
    missing = [n for n in names if not all((directory / n / f"{a}.npy").is_file() for a in _bandruns.RUN_ARRAYS)]
    if missing:
        raise StaleIndexError(
            f"{directory} lacks the run files {', '.join(missing)} that the database's near-duplicate index "
            "names (the directory was not copied with the database?): put it back next to the file, or run "
            "`copydesk rebuild-clusters` once to rebuild the index from the stored signatures' articles"
        )
    return _bandruns.lookup(directory, names, unique_keys, key_bands, num_perm, prefilter=prefilter)


def _recent_hits(con: duckdb.DuckDBPyConnection, unique_keys: np.ndarray) -> RunHits:
    """Hits among the band keys not flushed yet, with the sketch and size of their articles."""
    con.register("chunk_keys", pa.table({"key_index": np.arange(len(unique_keys)), "bucket": unique_keys}))
    try:
        rows = con.execute(
            """
            SELECT k.key_index, o.band, o.bucket, o.article_id, s.minhash, coalesce(s.shingle_count, 0)
            FROM lsh_bands o JOIN chunk_keys k USING (bucket) JOIN signatures s USING (article_id)
            """
        ).fetchall()
    finally:
        con.unregister("chunk_keys")
    if not rows:
        return RunHits.empty(1)
    columns = list(zip(*rows, strict=True))
    return RunHits(
        key_index=np.array(columns[0], np.int64),
        band=np.array(columns[1], np.int16),
        bucket=np.array(columns[2], np.int64),
        article_id=np.array(columns[3], np.int64),
        sketch=_bandruns.sketches(np.stack([_unpack(b) for b in columns[4]])),
        size=np.array(columns[5], np.int64),
    )


def head_check(key_of: np.ndarray, sketch: np.ndarray, sizes: np.ndarray, params: DedupParams) -> _bandruns.Prefilter:
    """_may_match for the heads of run files (their first HEAD_SKETCH sketch values), with _HEAD_MARGIN_SD."""

    def check(key_index: np.ndarray, size: np.ndarray, head: np.ndarray) -> np.ndarray:
        return _may_match(key_index, head, size, key_of, sketch[:, : head.shape[1]], sizes, params, _HEAD_MARGIN_SD)

    return check


def _may_match(
    hit_keys: np.ndarray,
    hit_sketch: np.ndarray,
    hit_sizes: np.ndarray,
    key_of: np.ndarray,
    sketch: np.ndarray,
    sizes: np.ndarray,
    params: DedupParams,
    margin_sd: float = _SKETCH_MARGIN_SD,
) -> np.ndarray:
    """Per hit (stored article k in the bucket of chunk key hit_keys[k], with its sketch and shingle count):
    whether a chunk article holding that key (key_of: key index per article and band) may match it.

    8-bit sketches agree where the MinHash values do (p = J) or by chance (p = 1/256), so agreement a of n
    values estimates J = (a/n - 1/256) / (1 - 1/256). Adding `margin_sd` standard deviations gives an
    upper bound J+; with shingle counts |A|, |B|, the shared shingles are J (|A| + |B|) / (1 + J), which
    bounds containment. A pair is dropped only if neither bound reaches the match rule (is_duplicate without
    its stricter short-text rule). Unrelated stories that share one band (2 of 128 values) estimate J ~0.016,
    J+ ~0.07, containment+ ~0.13 for similar lengths: far below 0.55. `n` is the sketches' width: 128, or
    the 60 of a run file's heads, checked first with _HEAD_MARGIN_SD.
    """
    if not len(hit_keys):
        return np.zeros(0, dtype=bool)
    # Which chunk articles hold each key: sort the chunk's (article, band) cells by key index.
    cells = np.argsort(key_of.ravel(), kind="stable")
    cell_keys = key_of.ravel()[cells]
    lo = np.searchsorted(cell_keys, hit_keys, side="left")
    hi = np.searchsorted(cell_keys, hit_keys, side="right")
    counts = hi - lo
    hit_of_pair = np.repeat(np.arange(len(counts)), counts)
    doc_of_pair = cells[_bandruns.concatenated_ranges(lo, counts)] // key_of.shape[1]
    n = sketch.shape[1]
    keep = np.zeros(len(hit_keys), dtype=bool)
    step = max(1, 4_000_000 // max(n, 1))  # pairs compared at once: ~4 MB of sketch bytes
    for lo_pair in range(0, len(hit_of_pair), step):
        h = hit_of_pair[lo_pair : lo_pair + step]
        d = doc_of_pair[lo_pair : lo_pair + step]
        # Byte by byte: 2.6x faster here (numpy 2.4) than XOR-ing eight bytes at a time and counting zero bytes.
        agree = np.count_nonzero(_bandruns.rows(hit_sketch, h) == _bandruns.rows(sketch, d), axis=1) / n
        jaccard = np.maximum(agree - _SKETCH_CHANCE, 0.0) / (1 - _SKETCH_CHANCE)
        upper = np.minimum(jaccard + margin_sd * np.sqrt(np.maximum(jaccard, 0.02) * (1 - jaccard) / n), 1.0)
        a, b = sizes[d].astype(np.float64), hit_sizes[h].astype(np.float64)
        smaller = np.minimum(a, b)
        contained = np.where(smaller > 0, upper * (a + b) / ((1 + upper) * np.maximum(smaller, 1)), 1.0)
        may = (
            (upper >= params.threshold)
            | (contained >= params.containment_threshold)
            | ((upper >= EDITED_JACCARD) & (contained >= EDITED_CONTAINMENT))
        )
        keep[h[may]] = True
    return keep


def index_directory(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Where the database's run files live (`<db>.lsh/`); None for an in-memory database."""
    ((path,),) = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return Path(f"{path}.lsh") if path else None


def has_orphan_runs(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether run files exist that no `lsh_runs` row names (merged away, or from a kill or a rollback)."""
    directory = index_directory(con)
    if directory is None:
        return False
    registered = {r[0] for r in con.execute("SELECT name FROM lsh_runs").fetchall()}
    return bool(_bandruns.unregistered(directory, registered))


def flush_size() -> int:
    """Articles per run file flush: FLUSH_ARTICLES, or the environment's COPYDESK_LSH_FLUSH_ARTICLES."""
    value = os.environ.get(FLUSH_ARTICLES_ENV, "").strip()
    if not value:
        return FLUSH_ARTICLES
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{FLUSH_ARTICLES_ENV}={value!r}: give a whole number of articles, 1 or more")
    return int(value)


def bands_to_flush(con: duckdb.DuckDBPyConnection, *, min_articles: int | None = None) -> bool:
    """Whether `lsh_bands` holds enough articles (default flush_size()) for flush_bands to write a run."""
    ((count,),) = con.execute("SELECT count(DISTINCT article_id) FROM lsh_bands").fetchall()
    return bool(count >= max(flush_size() if min_articles is None else min_articles, 1))


def remove_orphan_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Delete the run files no `lsh_runs` row names; call it first in a transaction of its own.

    Only committed rows are then in `lsh_runs`: deleting files while an open transaction has unregistered them
    (a `rebuild-clusters`, a merge) would leave them missing if it rolled back. Returns the names removed.
    """
    directory = index_directory(con)
    if directory is None:
        return []
    registered = {r[0] for r in con.execute("SELECT name FROM lsh_runs").fetchall()}
    return _bandruns.remove_unregistered(directory, registered)


def flush_bands(
    con: duckdb.DuckDBPyConnection,
    *,
    min_articles: int | None = None,
    slice_articles: int | None = None,
    written: set[str] | None = None,
) -> int:
    """Move the band keys of `lsh_bands` into sorted run files once they hold `min_articles`; merge runs.

    Keys are written `slice_articles` articles at a time, in article id order, each
    slice its own run, which the streamed merges then join: memory follows the slice, not the table.
    Files are written first, then registered in the connection's transaction while their rows leave
    `lsh_bands`, so a kill or a rollback leaves an orphan file, never a lost or doubled key. A run merged away
    that this transaction wrote (named in `written`, which collects them across calls) is deleted at once:
    nothing committed names it. A run committed before stays until remove_orphan_runs, after the commit.
    Both sizes default to flush_size(). Returns the number of articles flushed.
    """
    directory = index_directory(con)
    if directory is None:
        return 0
    written = set() if written is None else written
    if not bands_to_flush(con, min_articles=min_articles):
        return 0
    # Article ids holding band keys, as one int64 array (80 MB at 10M): the slices' bounds.
    pending = np.asarray(
        con.execute(
            "SELECT DISTINCT article_id FROM lsh_bands WHERE article_id IN (SELECT article_id FROM signatures) "
            "ORDER BY article_id"
        ).fetchnumpy()["article_id"],
        np.int64,
    )
    step = max(1, flush_size() if slice_articles is None else slice_articles)
    for lo in range(0, len(pending), step):
        first, last = int(pending[lo]), int(pending[min(lo + step, len(pending)) - 1])
        written.add(_flush_slice(con, directory, first, last))
        _merge_runs(con, directory, written)
    con.execute("DELETE FROM lsh_bands")
    return len(pending)


def _flush_slice(con: duckdb.DuckDBPyConnection, directory: Path, first: int, last: int) -> str:
    """Write the band keys of articles `first`..`last` as one run and register it (in the open transaction).

    A slice at a time, each through Arrow and NumPy: the first flush after upgrading a database moves every key
    of `lsh_bands` (51 rows per article), and reading and sorting them at once took ~5.3 kB per article.
    """
    members = con.sql(
        "SELECT article_id, minhash, coalesce(shingle_count, 0) AS size FROM signatures "
        "WHERE article_id BETWEEN ? AND ? AND article_id IN (SELECT article_id FROM lsh_bands "
        "WHERE article_id BETWEEN ? AND ?) ORDER BY article_id",
        params=[first, last, first, last],
    ).to_arrow_table()
    ids = members["article_id"].to_numpy().astype(np.int64, copy=False)
    sigs = _unpack_column(members["minhash"], len(ids))
    sizes = members["size"].to_numpy().astype(np.int64, copy=False)
    del members
    entries = con.execute(
        "SELECT bucket, article_id FROM lsh_bands WHERE article_id BETWEEN ? AND ? "
        "AND article_id IN (SELECT article_id FROM signatures WHERE article_id BETWEEN ? AND ?)",
        [first, last, first, last],
    ).fetchnumpy()
    bucket = np.asarray(entries["bucket"], np.int64)
    member = np.searchsorted(ids, np.asarray(entries["article_id"], np.int64))
    del entries
    registered = [r[0] for r in con.execute("SELECT name FROM lsh_runs").fetchall()]
    name = _next_run_name(registered, directory)
    with _disk_full_as_error(directory):
        _bandruns.write_run(directory, name, ids, sigs, sizes, bucket=bucket, member=member)
    _register(con, name, len(ids), len(bucket))
    return name


# What write() says when the disk, the quota or the file size limit is reached.
_NO_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


@contextmanager
def _disk_full_as_error(directory: Path) -> Iterator[None]:
    """A run file that cannot be written for lack of space raises DiskFullError, as DuckDB's writes do."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _NO_SPACE_ERRNOS:
            raise
        raise DiskFullError(
            f"{directory}: out of space while writing a run file of band keys ({os.strerror(exc.errno)}). The "
            "batch is rolled back and every batch committed before it is intact; free space (or raise the file "
            "size limit) and run again"
        ) from exc


def _unpack_column(column: pa.ChunkedArray, rows: int) -> np.ndarray:
    """Packed signatures (equal-length blobs) as one (rows, num_perm) uint32 array, without a Python object each."""
    if rows == 0:
        return np.empty((0, 0), np.uint32)
    blobs = column.combine_chunks()
    offsets = np.frombuffer(blobs.buffers()[1], np.int32, len(blobs) + 1, blobs.offset * 4)
    data = np.frombuffer(blobs.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    return data.view("<u4").reshape(rows, -1)


def _next_run_name(registered: Iterable[str], directory: Path) -> str:
    """A name no registered run and no file (an orphan kept for a possible rollback) has."""
    on_disk = [p.name.removesuffix(".tmp") for p in directory.iterdir()] if directory.is_dir() else []
    numbers = [int(n.removeprefix("run-")) for n in (*registered, *on_disk) if n.removeprefix("run-").isdigit()]
    return f"run-{max(numbers, default=0) + 1:06d}"


def _register(con: duckdb.DuckDBPyConnection, name: str, articles: int, entries: int) -> None:
    con.execute("INSERT INTO lsh_runs VALUES (?, ?, ?, ?)", [name, articles, entries, datetime.now(UTC)])


def _merge_runs(con: duckdb.DuckDBPyConnection, directory: Path, written: set[str]) -> None:
    """Merge the two newest runs while the newer holds at least 1/MERGE_RATIO of the older's articles.

    Sources in `written` (runs of the open transaction) are deleted once merged; the merged run joins them.
    """
    while True:
        runs = con.execute("SELECT name, articles, entries FROM lsh_runs ORDER BY name").fetchall()
        if len(runs) < 2 or runs[-1][1] * MERGE_RATIO < runs[-2][1]:
            return
        older, newer = runs[-2], runs[-1]
        written.add(replace_runs(con, directory, [older, newer]))
        for source in (older[0], newer[0]):
            if source in written:
                _bandruns.remove_run(directory, source)
                written.discard(source)


def replace_runs(con: duckdb.DuckDBPyConnection, directory: Path, runs: Sequence[tuple[str, int, int]]) -> str:
    """Merge `runs` (name, articles, entries: their `lsh_runs` rows) into one new run (streamed) that takes their
    place in `lsh_runs`, in the open transaction; returns its name. Their files stay: see _merge_runs."""
    registered = [r[0] for r in con.execute("SELECT name FROM lsh_runs").fetchall()]
    name = _next_run_name(registered, directory)
    with _disk_full_as_error(directory):
        _bandruns.merge_runs(directory, name, [run[0] for run in runs])
    con.execute("DELETE FROM lsh_runs WHERE name IN (SELECT unnest(?))", [[run[0] for run in runs]])
    _register(con, name, sum(run[1] for run in runs), sum(run[2] for run in runs))
    return name


def upgrade_runs(con: duckdb.DuckDBPyConnection) -> int:
    """Rewrite, in the open transaction, the runs written before heads (_bandruns.LEGACY_RUN_ARRAYS) in the
    current layout; returns how many. Each is merged alone (streamed, ~100 MB of memory; 39 s for a
    10M-article run here) under a new name, newer than any run's; the old files stay until the commit makes
    them orphans for remove_orphan_runs, so a kill or a rollback loses nothing.
    """
    directory = index_directory(con)
    if directory is None:
        return 0
    runs = con.execute("SELECT name, articles, entries FROM lsh_runs ORDER BY name").fetchall()
    legacy = [run for run in runs if _bandruns.is_legacy(directory / run[0])]
    for run in legacy:
        replace_runs(con, directory, [run])
    return len(legacy)


def _canonicals(con: duckdb.DuckDBPyConnection, cluster_ids: Iterable[int]) -> dict[int, int]:
    """Cluster id -> its canonical article, for the given clusters."""
    cluster_ids = list(cluster_ids)
    if not cluster_ids:
        return {}
    rows = con.execute(
        "SELECT cluster_id, min(article_id) FROM articles WHERE is_canonical AND cluster_id IN (SELECT unnest(?)) "
        "GROUP BY cluster_id",
        [cluster_ids],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def _link(
    con: duckdb.DuckDBPyConnection,
    linker: ChunkLinker,
    ids: Sequence[int],
    local: dict[int, Fingerprint],
    buckets: Sequence[list[tuple[int, int]]],
    params: DedupParams,
) -> list[DupMatch]:
    """Join the chunk's articles to clusters in id order, loading stored fingerprints VERIFY_SIZE at a time."""
    needs = [{i for i in linker.stored_needs(row) if i not in local} for row in buckets]
    edges: list[DupMatch] = []
    for lo, hi in _parts(needs, VERIFY_SIZE):
        fingerprints = ChainMap(local, _load_signatures(con, set().union(*needs[lo:hi]), params))
        for k in range(lo, hi):
            edges += linker.link(ids[k], buckets[k], fingerprints, params)
    return edges


def _shared_buckets(keys: np.ndarray, stored: Sequence[tuple[int, int, int, int]]) -> list[list[tuple[int, int]]]:
    """Per article of the chunk, its (band, bucket) pairs that a stored article or another chunk article shares.

    Most of an article's 51 buckets hold nobody else; leaving them out of the in-memory linking (a Python
    loop per bucket) halved the linking of a 10k batch against 100k stored. Band keys differ between bands
    (fingerprint.band_hashes), so a key seen twice anywhere is shared or, with p ~2^-64, kept for nothing.
    """
    flat = keys.ravel()
    _, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    shared = (counts[inverse] > 1) | np.isin(flat, np.fromiter((r[1] for r in stored), np.int64, len(stored)))
    rows, bands = np.nonzero(shared.reshape(keys.shape))
    out: list[list[tuple[int, int]]] = [[] for _ in range(len(keys))]
    for row, band, bucket in zip(rows.tolist(), bands.tolist(), keys[rows, bands].tolist(), strict=True):
        out[row].append((band, bucket))
    return out


def _parts(needs: Sequence[set[int]], limit: int) -> Iterator[tuple[int, int]]:
    """Consecutive ranges of articles whose needs together hold at most `limit` ids (or one article)."""
    lo, seen = 0, set[int]()
    for k, need in enumerate(needs):
        if seen and len(seen) + len(need - seen) > limit:
            yield lo, k
            lo, seen = k, set[int]()
        seen |= need
    if lo < len(needs):
        yield lo, len(needs)


def _load_signatures(con: duckdb.DuckDBPyConnection, ids: Iterable[int], params: DedupParams) -> dict[int, Fingerprint]:
    """Stored signatures of these articles, with shingles recomputed from their text (as they were signed) and
    the text.

    Shingles are not stored (issue 20: they were ~2.5 of the ~4 kB an article cost in the index); a file
    written before still holding them for an article is read as it is.
    """
    ids = sorted(ids)
    if not ids:
        return {}
    texts = dict(_rows_by_id(con, "article_id, text", "articles", ids))
    out = {}
    for article_id, minhash, scheme, stored in _rows_by_id(
        con, "article_id, minhash, scheme, shingles", "signatures", ids
    ):
        if article_id not in texts:
            continue
        hashes = _sorted_unique(_unpack(stored)) if stored is not None else shingles(texts[article_id], params)[1]
        out[article_id] = (_unpack(minhash), hashes, _scheme(scheme), texts[article_id])
    return out


def _scheme(value: str | None) -> Scheme:
    return "char" if value == "char" else "word"


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # Stored shingles are written sorted and unique; a row that is not (hand-edited, older writer) is made so,
    # which is what fingerprint.containment would do with it anyway.
    if len(values) > 1 and not bool(np.all(values[1:] > values[:-1])):
        return np.unique(values)
    return values


def _apply_links(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    linker: ChunkLinker,
    current: dict[int, int | None],
) -> tuple[int, list[int]]:
    """Write the chunk's cluster ids, merges and renames; the number of merges, and the clusters whose canonical
    is to be marked again.

    Merges and renames move the stored members of a cluster; each article of the chunk is then written with
    the cluster it ended in, which is not always the one its old cluster went to (it may have left it).
    """
    chunk = list(current)
    merged = linker.merges()
    for keep, old in merged:
        _move_members(con, old, keep, chunk)
    renamed = _rename_vacated(con, linker.vacated(), chunk)
    now = datetime.now(UTC)
    for keep, old in merged:
        if renamed.get(keep, keep) != old:  # a cluster merged into one a leaver took its id to: no merge
            con.execute("INSERT INTO cluster_merges VALUES (?, ?, ?, ?)", [run_id, renamed.get(keep, keep), old, now])
    final = {article_id: linker.cluster_of(article_id, renamed) for article_id in current}
    _apply_assignments(con, {a: c for a, c in final.items() if c != current[a]})
    # The clusters that leavers left lost a member, maybe their canonical one.
    left = {linker.cluster_now(c, renamed) for c in linker.left().values()}
    return len(merged), sorted(set(final.values()) | {renamed.get(k, k) for k, _ in merged} | left)


def _move_members(con: duckdb.DuckDBPyConnection, cluster_id: int, to: int, chunk: Sequence[int]) -> None:
    """Give the stored members of a cluster (not the chunk's articles) another cluster id."""
    con.execute(
        "UPDATE articles SET cluster_id = ? WHERE cluster_id = ? AND article_id NOT IN (SELECT unnest(?))",
        [to, cluster_id, list(chunk)],
    )


def _rename_vacated(
    con: duckdb.DuckDBPyConnection, vacated: Mapping[int, Sequence[int]], chunk: Sequence[int]
) -> dict[int, int]:
    """New ids for the clusters whose id an article that left them took along (ChunkLinker.vacated): the
    smallest id of a member left, as the older id wins when clusters merge. Returns old id -> new id; a cluster
    that nobody is left in has none."""
    if not vacated:
        return {}
    stored = con.execute(
        "SELECT cluster_id, min(article_id) FROM articles "
        "WHERE cluster_id IN (SELECT unnest(?)) AND article_id NOT IN (SELECT unnest(?)) GROUP BY cluster_id",
        [list(vacated), list(chunk)],
    ).fetchall()
    smallest_stored = dict(stored)
    renamed = {}
    for cluster_id, members in vacated.items():
        remaining = [*members, *([smallest_stored[cluster_id]] if cluster_id in smallest_stored else [])]
        if remaining:
            renamed[cluster_id] = min(remaining)
            _move_members(con, cluster_id, renamed[cluster_id], chunk)
    return renamed


def _drop_edges(con: duckdb.DuckDBPyConnection, left: Sequence[int], resigned: Sequence[int]) -> None:
    """Forget the stored edges verified on the old texts of re-signed articles: all of those that left their
    cluster (they claim the article and its old cluster's members are copies), and the edge each re-signed
    article joined by (the chunk writes the one its new text joined by: an updated story kept gaining rows)."""
    if left:
        con.execute(
            "DELETE FROM dup_pairs WHERE article_id IN (SELECT unnest(?)) OR matched_article_id IN (SELECT unnest(?))",
            [left, left],
        )
    if resigned:
        con.execute("DELETE FROM dup_pairs WHERE article_id IN (SELECT unnest(?))", [resigned])


def _apply_assignments(con: duckdb.DuckDBPyConnection, assignments: dict[int, int]) -> None:
    if assignments:
        table = pa.table(
            {
                "article_id": pa.array(list(assignments), pa.int64()),
                "cluster_id": pa.array(list(assignments.values()), pa.int64()),
            }
        )
        con.register("new_clusters", table)
        con.execute(
            "UPDATE articles SET cluster_id = c.cluster_id FROM new_clusters c WHERE articles.article_id = c.article_id"
        )
        con.unregister("new_clusters")


def mark_canonical(
    con: duckdb.DuckDBPyConnection, cluster_ids: Sequence[int], rule: CanonicalRule = CanonicalRule()
) -> None:
    """Mark one canonical article per given cluster, by the rule."""
    # Only rows whose mark changes are written: a cluster of 10,000 copies grows by 2,000 a chunk, and
    # rewriting every member each time kept an undo version of each in the dedup step's transaction.
    if not cluster_ids:
        return
    con.execute(
        f"""
        UPDATE articles SET is_canonical = ranked.rank = 1
        FROM (
            SELECT article_id, row_number() OVER (PARTITION BY cluster_id ORDER BY {rule.order_by()}) AS rank
            FROM (
                SELECT a.*, coalesce(length(a.text) < {WHOLE_SHARE} * whole.size, false) AS cut_short
                FROM articles a
                LEFT JOIN (  -- per cluster, the longest story two near-identical members agree on
                    SELECT one.cluster_id, max(least(one.size, other.size)) AS size
                    FROM dup_pairs p
                    JOIN (SELECT article_id, cluster_id, length(text) AS size FROM articles) one
                        ON one.article_id = p.article_id
                    JOIN (SELECT article_id, cluster_id, length(text) AS size FROM articles) other
                        ON other.article_id = p.matched_article_id AND other.cluster_id = one.cluster_id
                    WHERE p.jaccard >= {TWIN_JACCARD} AND one.cluster_id IN (SELECT unnest($clusters))
                    GROUP BY one.cluster_id
                ) whole USING (cluster_id)
                WHERE a.cluster_id IN (SELECT unnest($clusters))
            )
        ) ranked
        WHERE articles.article_id = ranked.article_id AND articles.is_canonical IS DISTINCT FROM (ranked.rank = 1)
        """,
        {"clusters": list(cluster_ids), **rule.parameters()},
    )


def _insert_matches(con: duckdb.DuckDBPyConnection, run_id: str, matches: Sequence[DupMatch]) -> None:
    table = pa.table(
        {
            "article_id": pa.array([m.article_id for m in matches], pa.int64()),
            "matched_article_id": pa.array([m.matched_article_id for m in matches], pa.int64()),
            "jaccard": pa.array([m.jaccard for m in matches], pa.float64()),
            "containment": pa.array([m.containment for m in matches], pa.float64()),
        }
    )
    con.register("new_matches", table)
    con.execute("INSERT INTO dup_pairs SELECT *, ? AS run_id FROM new_matches", [run_id])
    con.unregister("new_matches")


def _check_no_rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse to match against an index that a stopped `rebuild-clusters` has only partly rebuilt."""
    rows = con.execute("SELECT started_at FROM index_rebuilds").fetchall()
    if not rows:
        return
    ((signed, stored),) = con.execute(
        "SELECT (SELECT count(*) FROM signatures), (SELECT count(*) FROM articles)"
    ).fetchall()
    started = rows[0][0].astimezone(UTC)
    raise RebuildInProgressError(
        f"a `copydesk rebuild-clusters` started at {started:%Y-%m-%d %H:%M} UTC is not finished ({signed:,} of "
        f"{stored:,} articles re-signed), so the near-duplicate index holds only part of the store; run "
        "`copydesk rebuild-clusters` (same --db or --sources) to finish it. Articles stored meanwhile are kept "
        "and the rebuild clusters them"
    )


def signing_params(con: duckdb.DuckDBPyConnection, params: DedupParams) -> DedupParams:
    """`params`, or them under the older shingle rules that the stored index was made with.

    An index signed under older rules (SHINGLE_RULES_HISTORY) keeps them, so an upgraded desk goes on matching
    its past without re-signing it; `copydesk rebuild-clusters` re-signs every article under the newest.
    """
    return _signing_params(params, _stored_keys(con))


def _stored_keys(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT DISTINCT params FROM signatures").fetchall()}


def _signing_params(params: DedupParams, stored: set[str]) -> DedupParams:
    if not stored or params_key(params) in stored:
        return params
    for older in reversed(SHINGLE_RULES_HISTORY[: SHINGLE_RULES_HISTORY.index(params.shingle_rules)]):
        kept = replace(params, shingle_rules=older)
        if params_key(kept) in stored or (older == LEGACY_SHINGLE_RULES and legacy_params_key(params) in stored):
            return kept
    return params


def _checked_params(con: duckdb.DuckDBPyConnection, params: DedupParams) -> DedupParams:
    """signing_params, checked: signatures made with other parameters are never compared. Upgrade them in place
    if nothing changes, or refuse."""
    stored = _stored_keys(con)
    signing = _signing_params(params, stored)
    if signing.shingle_rules != SHINGLE_RULES_HISTORY[-1]:
        log.warning(
            "The near-duplicate index was signed under shingle rules %r, so new articles are signed the same way "
            "to match it. `copydesk rebuild-clusters` re-signs every article under %r (see "
            "extractors/fingerprint.py, SHINGLE_RULES_HISTORY, for what that finds)",
            signing.shingle_rules,
            SHINGLE_RULES_HISTORY[-1],
        )
    params = signing
    key = params_key(params)
    others = sorted(stored - {key})
    if others == [legacy_params_key(params)]:
        upgrade_legacy_signatures(con, params)
    elif others:
        raise StaleIndexError(
            f"the database holds signatures made with {others[0]!r}, not {key!r}; "
            "use the same dedup settings or run `copydesk rebuild-clusters` to re-sign every article"
        )
    return params


def upgrade_legacy_signatures(con: duckdb.DuckDBPyConnection, params: DedupParams) -> int:
    """Relabel signatures from before script-aware shingling when they are what re-signing would make.

    Word shingles are made exactly as before, so only articles that are now shingled by characters (Chinese,
    Japanese, Thai...) would change. If there are none, the stored signatures are relabelled with the current
    key (no re-signing); otherwise StaleIndexError says to run `copydesk rebuild-clusters`, because their old
    signatures decided clusters that other articles joined. Returns the number of relabelled signatures.
    """
    legacy, key = legacy_params_key(params), params_key(params)
    # Only texts holding an unspaced-script character can change scheme: DuckDB's regex finds them without
    # reading every text into Python.
    rows = con.execute(
        "SELECT s.article_id, a.text FROM signatures s JOIN articles a USING (article_id) "
        "WHERE s.params = ? AND regexp_matches(a.text, ?)",
        [legacy, UNSPACED_PATTERN],
    ).fetchall()
    changed = [article_id for article_id, text in rows if shingle_scheme(normalize_text(text)) == "char"]
    if changed:
        raise StaleIndexError(
            f"the database's near-duplicate index predates script-aware shingling, and {len(changed)} stored "
            f"articles (ids {', '.join(map(str, changed[:5]))}{'...' if len(changed) > 5 else ''}) are in "
            "Chinese, Japanese, Thai or another script now shingled by characters; run `copydesk "
            "rebuild-clusters` (with the same --db or --sources) once to re-sign every article"
        )
    ((count,),) = con.execute(  # DuckDB answers an UPDATE with the number of rows it changed
        "UPDATE signatures SET params = ?, scheme = 'word' WHERE params = ?", [key, legacy]
    ).fetchall()
    return int(count)


def _pack(values: np.ndarray) -> bytes:
    return np.asarray(values, dtype="<u4").tobytes()


def _unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4")


def _astuple(result: DedupResult) -> tuple[int, int, int]:
    return (result.signed, result.matches, result.merges)
