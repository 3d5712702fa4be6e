"""The `rebuild-clusters` maintenance flow: drop the near-duplicate index and cluster every article again.

Use it after changing dedup settings (threshold, num_perm, shingle size), which the incremental index
refuses to mix, and once on a database whose index predates script-aware shingling if it holds Chinese,
Japanese, Thai or similar text (the dedup step says so). It logs its progress after every chunk of
articles. Articles are re-signed in article-id order, so a cluster keeps the id of its first member as
before, unless the new settings split or merge it. Like `ingest`, it is the only writer of the database
while it runs, and it does all of it in one transaction: a failed rebuild changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from extractors.fingerprint import DedupParams
from flows.config import Settings, load_config
from flows.ingest import canonical_rule, dedup_params, run_name
from storage.db import writing
from storage.dedup import CanonicalRule, DedupResult, assign_clusters, flush_bands, remove_orphan_runs, reset_index


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def recluster(db: str, run_id: str, params: DedupParams, memory_limit: str, canonical: CanonicalRule) -> DedupResult:
    """Empty the dedup index and assign every article a cluster again, in one transaction."""
    log = get_run_logger()  # the core calls back once per chunk, in this task's context

    def report(signed: int, total: int) -> None:
        log.info("rebuild-clusters: %d of %d articles signed", signed, total)

    with writing(db, memory_limit=memory_limit) as con:
        reset_index(con)
        result = assign_clusters(con, run_id, params, canonical=canonical, progress=report)
    with writing(db, memory_limit=memory_limit) as con:  # the old run files go, the new keys are flushed
        remove_orphan_runs(con)
        flush_bands(con)
    return result


@flow(name="rebuild-clusters", flow_run_name=run_name("rebuild-clusters"))
def rebuild_clusters(
    db: str | None = None, sources: str | None = None, dedup_threshold: float | None = None
) -> dict[str, Any]:
    """Re-sign every stored article and rebuild the clusters from scratch.

    Args:
        db: DuckDB file (default: [settings].db of `sources`, else copydesk.duckdb).
        sources: sources TOML whose [settings] give the dedup parameters (default: built-in settings).
        dedup_threshold: estimated Jaccard above which two articles are copies (overrides the settings).
    """
    log = get_run_logger()
    settings = load_config(sources).settings if sources else Settings()
    settings = settings.with_overrides(db=db, dedup_threshold=dedup_threshold)
    run_id, params = flow_run.id or "rebuild-clusters", dedup_params(settings)
    result = recluster(settings.db, run_id, params, settings.db_memory_limit, canonical_rule(settings))
    log.info("rebuild-clusters: %d signed, %d matches, %d merges", result.signed, result.matches, result.merges)
    return {"db": settings.db, **asdict(result)}
