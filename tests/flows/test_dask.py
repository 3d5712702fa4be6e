"""The ingest flow under the Dask task runner stores what the default runner stores, every run publishes its
artifacts, and a backfill re-checks what ingest stored. One in-process LocalCluster (threads, no worker
processes) keeps this quick."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import duckdb
import pytest

from flows.demo import serve_demo_sites
from flows.ingest import backfill, ingest


@dataclass
class Runs:
    default: dict[str, Any]
    dask: dict[str, Any]
    backfill: dict[str, Any]


@pytest.fixture(scope="module")
def runs(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    from prefect_dask import DaskTaskRunner

    tmp = tmp_path_factory.mktemp("dask")
    sources = tmp / "sources.toml"
    cluster = {"n_workers": 1, "threads_per_worker": 2, "processes": False, "dashboard_address": ":0"}
    with serve_demo_sites() as sites:
        sources.write_text(sites.sources_toml() + "\n[settings]\nper_host_delay = 0.0\n", encoding="utf-8")
        default = asyncio.run(ingest(str(sources), db=str(tmp / "default.duckdb"), allow_private=True))
        on_dask = ingest.with_options(task_runner=DaskTaskRunner(cluster_kwargs=cluster))
        dask = asyncio.run(on_dask(str(sources), db=str(tmp / "dask.duckdb"), allow_private=True))
        again = backfill(
            str(sources), ["harbourtimes"], refetch_window_hours=24 * 365 * 50, db=default["db"], allow_private=True
        )
        refetched = asyncio.run(again)
    yield Runs(default, dask, refetched)


def stored(db: str) -> tuple[dict[str, str], list[list[str]]]:
    """Articles (url -> content hash) and clusters (sorted member URLs) of a database."""
    with duckdb.connect(db, read_only=True) as con:
        articles = dict(con.execute("SELECT url, content_hash FROM articles").fetchall())
        clusters = con.execute("SELECT list(url ORDER BY url) FROM articles GROUP BY cluster_id").fetchall()
    return articles, sorted(c[0] for c in clusters)


def test_dask_runner_stores_the_same_articles_and_clusters(runs: Runs) -> None:
    assert runs.dask["new"] == runs.default["new"] > 0
    assert stored(runs.dask["db"]) == stored(runs.default["db"])


def test_per_source_counts_add_up_to_the_totals(runs: Runs) -> None:
    per_source = runs.default["per_source"]
    assert len(per_source) == runs.default["sources"]
    for key in ("discovered", "fetched", "stored", "new", "errors"):
        assert sum(counts[key] for counts in per_source.values()) == runs.default[key], key


def test_a_run_publishes_summary_clusters_errors_and_progress(runs: Runs) -> None:
    artifacts = asyncio.run(read_artifacts(runs.default["run_id"]))
    assert {a.key: a.type for a in artifacts} == {
        "ingest-summary": "markdown",
        "ingest-clusters": "table",
        "ingest-errors": "table",
        "ingest-progress": "progress",
    }
    summary = next(a for a in artifacts if a.key == "ingest-summary")
    assert runs.default["db"] in str(summary.data) and "| **total** |" in str(summary.data)
    clusters = next(a for a in artifacts if a.key == "ingest-clusters")
    assert '"size": 3' in str(clusters.data)  # the demo's wire story, carried by all three outlets
    progress = next(a for a in artifacts if a.key == "ingest-progress")
    assert progress.data == 100.0


async def read_artifacts(flow_run_id: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    run_filter = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)]))
    async with get_client() as client:
        return await client.read_artifacts(artifact_filter=run_filter)


def test_backfill_rechecks_a_source_and_publishes_its_own_artifacts(runs: Runs) -> None:
    harbourtimes = runs.default["per_source"]["harbourtimes"]
    assert runs.backfill["per_source"].keys() == {"harbourtimes"}
    assert runs.backfill["new"] == 0 and runs.backfill["errors"] == 0
    # Every stored article of the source is re-checked conditionally and answered 304 Not Modified.
    assert runs.backfill["unchanged"] == harbourtimes["stored"] > 0
    keys = {a.key for a in asyncio.run(read_artifacts(runs.backfill["run_id"]))}
    assert keys == {"backfill-summary", "backfill-clusters", "backfill-errors", "backfill-progress"}


def test_runs_say_which_flow_ran_them_and_on_which_sources(runs: Runs) -> None:
    with duckdb.connect(runs.default["db"], read_only=True) as con:
        rows = con.execute("SELECT run_id, flow, params->'source_names' FROM runs ORDER BY started_at").fetchall()
    assert [(flow, sorted(json.loads(names))) for _, flow, names in rows] == [
        ("ingest", sorted(runs.default["per_source"])),
        ("backfill", ["harbourtimes"]),
    ]
    assert [run_id for run_id, _, _ in rows] == [runs.default["run_id"], runs.backfill["run_id"]]


def test_rebuild_clusters_signs_everything_again_and_finds_the_same_clusters(
    runs: Runs, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from flows.maintenance import rebuild_clusters

    db = tmp_path_factory.mktemp("rebuild") / "copy.duckdb"
    shutil.copy(runs.default["db"], db)
    articles, clusters = stored(str(db))
    result = rebuild_clusters(db=str(db))
    assert result["signed"] == len(articles) and result["matches"] > 0
    assert stored(str(db)) == (articles, clusters)
