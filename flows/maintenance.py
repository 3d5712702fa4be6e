"""The `rebuild-clusters` maintenance flow: drop the near-duplicate index and cluster every article again.

Use it after changing dedup settings (threshold, num_perm, shingle size), which the incremental index
refuses to mix, and once on a database whose index predates script-aware shingling if it holds Chinese,
Japanese, Thai or similar text (the dedup step says so). It logs its progress after every chunk of
articles. Articles are re-signed in article-id order, so a cluster keeps the id of its first member as
before, unless the new settings split or merge it. It commits every 20,000 articles (storage/rebuild.py,
COPYDESK_REBUILD_ARTICLES), so its memory does not grow with the store. A rebuild that was stopped (killed,
failed) is finished by running it again, with the same clusters; until then the dedup step of `copydesk run`
refuses to match against the half-built index.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from extractors.fingerprint import DedupParams
from flows.config import Settings, load_config
from flows.ingest import canonical_rule, dedup_params, run_name
from flows.runs import worth_retrying
from storage.db import writing
from storage.dedup import CanonicalRule, DedupResult
from storage.rebuild import RebuildState, begin_rebuild, continue_rebuild, rebuild_size


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5, retry_condition_fn=worth_retrying)
def begin(db: str, run_id: str, params: DedupParams, memory_limit: str, canonical: CanonicalRule) -> RebuildState:
    """Empty the dedup index and record the rebuild, or resume the one left half done with these settings."""
    with writing(db, memory_limit=memory_limit) as con:
        state = begin_rebuild(con, run_id, params, canonical)
    get_run_logger().info("rebuild-clusters: %s", describe(state))
    return state


# A task of its own, so that a retry (a locked file, say) goes on from the last commit instead of starting the
# rebuild over. Not retried when another rebuild took the index over (RebuildInProgressError): a retry would
# take it back.
@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5, retry_condition_fn=worth_retrying)
def recluster(
    db: str, state: RebuildState, params: DedupParams, memory_limit: str, canonical: CanonicalRule
) -> DedupResult:
    """Assign every article a cluster again, a transaction per rebuild_size() articles, from where it stands."""
    log = get_run_logger()  # the core calls back once per chunk, in this task's context

    def report(signed: int, total: int) -> None:
        log.info("rebuild-clusters: %d of %d articles signed", signed, total)

    return continue_rebuild(
        db, state, params, canonical=canonical, articles=rebuild_size(), memory_limit=memory_limit, progress=report
    )


def describe(state: RebuildState) -> str:
    """One line on what the rebuild starts from."""
    if state.resumed:
        return (
            f"resuming the rebuild started at {state.started_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC: "
            f"{state.signed} of {state.articles} articles signed"
        )
    return f"index emptied, {state.articles} articles to sign"


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
    canonical = canonical_rule(settings)
    state = begin(settings.db, run_id, params, settings.db_memory_limit, canonical)
    result = recluster(settings.db, state, params, settings.db_memory_limit, canonical)
    log.info("rebuild-clusters: %d signed, %d matches, %d merges", result.signed, result.matches, result.merges)
    return {"db": settings.db, **asdict(result)}
