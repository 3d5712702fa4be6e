"""Rebuilding the near-duplicate index in transactions of bounded size, resumable after a kill.

`rebuild-clusters` empties the index and re-signs every article in article-id order, a chunk at a time, as
assign_clusters does; here each transaction signs `rebuild_size()` articles and commits. DuckDB then holds one
transaction's new signatures, band keys and cluster updates, not the whole store's (one transaction over 1M
articles peaked at 4.95 GB of RSS), and a kill loses one transaction at most.

The marker is the row of `index_rebuilds`, written by the transaction that empties the index and deleted by
the one that signs the last article. How far the rebuild got is what has a signature, committed together
with the clusters those articles decided, so a rerun with the same settings goes on with the next pending
article: chunks start where they would have, and the clusters and their ids are those of an undisturbed
rebuild. While the row is there, the dedup step of a run refuses to match (dedup.RebuildInProgressError),
because the index holds only part of the store; the articles that run stores wait for the rebuild.

Run files: the emptying transaction unregisters the old index's runs, and their files are deleted
(remove_orphan_runs) only at the start of a later transaction, after that commit: no committed row ever names
a missing file. It does not log (the flow reports through `progress`); rebuild_size is its one read of the
environment.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from extractors.fingerprint import DedupParams
from storage.db import share_the_file, writing
from storage.dedup import (
    CHUNK_SIZE,
    CanonicalRule,
    DedupResult,
    RebuildInProgressError,
    assign_clusters,
    flush_bands,
    has_pending,
    params_key,
    remove_orphan_runs,
    reset_index,
)

# Articles re-signed per transaction: 10 chunks. DuckDB holds ~25 MB per 2,000 articles until the commit
# (bench/README.md, "Large clusters"), so ~250 MB; smaller transactions cost a connection and a commit each.
REBUILD_ARTICLES = 20_000
# Overrides REBUILD_ARTICLES, for tests (a few articles per transaction, so that kills land between commits)
# and tuning. Below CHUNK_SIZE it is the chunk size too.
REBUILD_ARTICLES_ENV = "COPYDESK_REBUILD_ARTICLES"


@dataclass(frozen=True, slots=True)
class RebuildState:
    """The rebuild this process works on: a new one, or one a stopped process left half done."""

    run_id: str  # of the process that started it: every edge and merge of the rebuild carries it
    started_at: datetime
    resumed: bool
    signed: int  # articles re-signed when this process took over
    articles: int  # articles stored then


def rebuild_size(environ: Mapping[str, str] = os.environ) -> int:
    """Articles per rebuild transaction: REBUILD_ARTICLES, or the environment's COPYDESK_REBUILD_ARTICLES."""
    value = environ.get(REBUILD_ARTICLES_ENV, "").strip()
    if not value:
        return REBUILD_ARTICLES
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{REBUILD_ARTICLES_ENV}={value!r}: give a whole number of articles, 1 or more")
    return int(value)


def rebuild_settings(params: DedupParams, canonical: CanonicalRule) -> str:
    """Everything that decides the clusters: a rerun with other settings starts over instead of mixing them.

    params_key adds what the code fixes about signatures (its shingle rules): a rebuild killed before an
    upgrade that changed them starts over, instead of resuming into signatures it would refuse to match."""
    return f"{params!r}; {params_key(params)}; {canonical!r}"


def begin_rebuild(
    con: duckdb.DuckDBPyConnection, run_id: str, params: DedupParams, canonical: CanonicalRule
) -> RebuildState:
    """Resume the recorded rebuild if it has these settings; otherwise empty the index and record a new one."""
    settings = rebuild_settings(params, canonical)
    recorded = con.execute("SELECT run_id, started_at, settings FROM index_rebuilds").fetchall()
    resumed = len(recorded) == 1 and recorded[0][2] == settings
    if resumed:
        run_id, started_at = recorded[0][0], recorded[0][1]
    else:
        started_at = datetime.now(UTC)
        reset_index(con)
        con.execute("DELETE FROM index_rebuilds")
        con.execute("INSERT INTO index_rebuilds VALUES (?, ?, ?)", [run_id, settings, started_at])
    ((signed, articles),) = con.execute(
        "SELECT (SELECT count(*) FROM signatures), (SELECT count(*) FROM articles)"
    ).fetchall()
    return RebuildState(run_id, started_at, resumed, int(signed), int(articles))


def rebuild_step(
    con: duckdb.DuckDBPyConnection,
    state: RebuildState,
    params: DedupParams,
    *,
    canonical: CanonicalRule,
    articles: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[DedupResult, bool]:
    """Re-sign the next `articles` pending articles (whole chunks) in the open transaction; True once all are.

    The transaction that signs the last article also deletes the marker, so no moment exists where the index
    is whole but runs still refuse it, or the marker is gone and the index is not whole.
    """
    remove_orphan_runs(con)  # first in the transaction: lsh_runs holds committed rows only
    # Another rebuild started since this one began (with other settings, say) owns the index now: matching
    # under its marker would cluster one store under two sets of settings.
    marker = con.execute("SELECT run_id, settings FROM index_rebuilds").fetchall()
    if marker != [(state.run_id, rebuild_settings(params, canonical))]:
        owner = f"rebuild {marker[0][0]!r}" if marker else "no rebuild (it finished or was undone)"
        raise RebuildInProgressError(
            f"rebuild {state.run_id!r} stopped: the index now belongs to {owner}; run `copydesk rebuild-clusters` "
            "once, and let only one rebuild run at a time"
        )
    chunk = min(CHUNK_SIZE, articles)
    ((signed,),) = con.execute("SELECT count(*) FROM signatures").fetchall()

    def overall(done: int, total: int) -> None:
        if progress is not None:
            progress(signed + done, signed + total)

    result = assign_clusters(
        con,
        state.run_id,
        params,
        canonical=canonical,
        progress=overall,
        chunk_size=chunk,
        max_chunks=-(-articles // chunk),
        rebuilding=True,
    )
    if has_pending(con):
        return result, False
    con.execute("DELETE FROM index_rebuilds")
    return result, True


def continue_rebuild(
    db: str | Path,
    state: RebuildState,
    params: DedupParams,
    *,
    canonical: CanonicalRule,
    articles: int,
    memory_limit: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DedupResult:
    """Run rebuild steps, one write connection and transaction each, until every article is signed.

    Between transactions the file is free: `copydesk query` gets in, and so does a run (its dedup step refuses).
    The band keys left in `lsh_bands` are then flushed as after any run.
    """
    total, done = DedupResult(), False
    with writing(db, memory_limit=memory_limit) as con:
        # No marker: the rebuild is over, and this is a retry after its last step committed (the final flush
        # failed, say): only the flush is left. Articles pending now are a later run's to cluster. A marker,
        # this rebuild's or another's, is for rebuild_step to judge.
        ((markers,),) = con.execute("SELECT count(*) FROM index_rebuilds").fetchall()
        done = markers == 0
    held_since = time.monotonic()
    while not done:
        with writing(db, memory_limit=memory_limit) as con:
            step, done = rebuild_step(con, state, params, canonical=canonical, articles=articles, progress=progress)
        total = DedupResult(total.signed + step.signed, total.matches + step.matches, total.merges + step.merges)
        if not done:
            held_since = share_the_file(held_since)
    with writing(db, memory_limit=memory_limit, checkpoint=True) as con:
        remove_orphan_runs(con)
        flush_bands(con)
    return total
