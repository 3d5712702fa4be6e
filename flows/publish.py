"""Publish a run to the Prefect UI: the summary, cluster and error artifacts, and a live progress bar.

The content comes from flows.report (pure); this module only reads the run's rows back from DuckDB
(read-only) and hands them to Prefect. It is called from flow bodies, never from tasks on workers.
Artifact keys are stable, so the UI's Artifacts page shows each one's history across runs.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from uuid import UUID

import duckdb
from prefect.artifacts import (
    acreate_markdown_artifact,
    acreate_progress_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
)

from flows.report import (
    NOT_ERRORS,
    ClusterRow,
    RunError,
    RunSummary,
    cluster_table,
    error_table,
    progress_percent,
    summary_markdown,
)
from storage.db import connect

# Tables in the UI stay readable at this size; the full lists are one `copydesk query` away.
MAX_TABLE_ROWS = 50

RUN_CLUSTERS_SQL = """
SELECT c.cluster_id, c.size, c.sources, c.canonical_title, c.canonical_url FROM clusters c
WHERE c.size > 1 AND c.cluster_id IN (
    SELECT a.cluster_id FROM dup_pairs p JOIN articles a ON a.article_id = p.article_id WHERE p.run_id = $run_id)
ORDER BY c.size DESC, c.cluster_id LIMIT $limit
"""
# A cluster's id is its first member's article id, so a cluster is new when that article is.
NEW_CLUSTERS_SQL = "SELECT count(*) FROM articles WHERE first_run_id = $run_id AND cluster_id = article_id"
RUN_ERRORS_SQL = """
SELECT 'fetch ' || kind, url, coalesce('HTTP ' || status, 'no response'), coalesce(error, 'HTTP ' || status),
       started_at
FROM fetches WHERE run_id = $run_id AND (error IS NOT NULL OR status >= 400)
UNION ALL
SELECT stage, url, error_type, message, occurred_at FROM errors
WHERE run_id = $run_id AND error_type NOT IN (SELECT unnest($not_errors))  -- skips and notes (report.NOT_ERRORS)
ORDER BY 5 LIMIT $limit
"""


def count_new_clusters(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    ((count,),) = con.execute(NEW_CLUSTERS_SQL, {"run_id": run_id}).fetchall()  # runs inside the dedup transaction
    return int(count)


async def publish_run(summary: RunSummary, *, flow: str, finished_at: datetime) -> None:
    """Create the run's markdown summary and its clusters and errors tables."""
    params = {"run_id": summary.run_id, "limit": MAX_TABLE_ROWS}
    with connect(summary.db, read_only=True) as con:
        clusters = [ClusterRow(*row) for row in con.execute(RUN_CLUSTERS_SQL, params).fetchall()]
        not_errors = {"not_errors": sorted(NOT_ERRORS)}
        errors = [RunError(*row) for row in con.execute(RUN_ERRORS_SQL, params | not_errors).fetchall()]
    await acreate_markdown_artifact(
        summary_markdown(summary, flow=flow, finished_at=finished_at),
        key=f"{flow}-summary",
        description=f"{flow} run {summary.run_id}: per-source counts",
    )
    await acreate_table_artifact(
        cluster_table(clusters),
        key=f"{flow}-clusters",
        description=f"Largest syndication clusters that grew in this run (up to {MAX_TABLE_ROWS})",
    )
    await acreate_table_artifact(
        error_table(errors),
        key=f"{flow}-errors",
        description=f"Failed HTTP attempts (retried ones included) and per-item errors (first {MAX_TABLE_ROWS})",
    )


class ProgressArtifact:
    """A progress artifact of the current flow run, sent in the background as batches finish.

    The run never waits for the UI: each API call took 30-60 ms, which was a sixth of a second run (a run with
    nothing new) spent before its first request and between its writes. One call is in flight at a time and
    the newest figure wins; `flush` waits for the last one.
    """

    def __init__(self, flow: str) -> None:
        self.key = f"{flow}-progress"
        self.artifact_id: UUID | None = None
        self._latest: tuple[int, int, str] | None = None
        self._sending: asyncio.Task[None] | None = None

    def update(self, done: int, total: int, *, stage: str) -> None:
        self._latest = (done, total, stage)
        if self._sending is None or self._sending.done():
            self._sending = asyncio.create_task(self._send())

    async def flush(self) -> None:
        """Wait until the newest figure is sent (raises what a failed API call raised)."""
        # _send returns only once nothing newer is left, and an update after that starts a new task.
        while self._sending is not None and not self._sending.done():
            await self._sending
        if self._sending is not None:
            self._sending.result()

    async def _send(self) -> None:
        while self._latest is not None:
            done, total, stage = self._latest
            self._latest = None
            percent = progress_percent(done, total)
            description = f"{stage}: {done} of {total} URLs"
            if self.artifact_id is None:
                self.artifact_id = await acreate_progress_artifact(percent, key=self.key, description=description)
            else:
                await aupdate_progress_artifact(self.artifact_id, percent, description=description)
