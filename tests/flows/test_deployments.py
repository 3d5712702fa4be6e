"""prefect.yaml and `copydesk serve` offer the same deployments, each of a flow that takes its parameters."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from flows.serve import deployments

PROJECT = Path(__file__).resolve().parents[2]


def yaml_deployments() -> dict[str, dict[str, Any]]:
    spec = yaml.safe_load((PROJECT / "prefect.yaml").read_text(encoding="utf-8"))
    return {d["name"]: d for d in spec["deployments"]}


def test_a_worker_loads_each_prefect_yaml_deployments_flow_and_it_takes_the_parameters() -> None:
    # A worker loads an entrypoint as a script, in a fresh process, with the script's folder first on
    # sys.path: a module in flows/ named like a top-level package (flows/crawl.py once) hid that package.
    entrypoints = {name: d["entrypoint"] for name, d in yaml_deployments().items()}
    script = (
        "import inspect, json, sys\n"
        "from prefect.flows import load_flow_from_entrypoint\n"
        "entrypoint = sys.argv[1]\n"
        "flow = load_flow_from_entrypoint(entrypoint)\n"
        "print(json.dumps([flow.name, list(inspect.signature(flow.fn).parameters)]))\n"
    )
    for name, entrypoint in entrypoints.items():
        done = subprocess.run(
            [sys.executable, "-c", script, entrypoint], cwd=PROJECT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{name}: {entrypoint} does not load: {done.stderr[-2000:]}"
        flow_name, accepted = json.loads(done.stdout.strip().splitlines()[-1])
        parameters = set(yaml_deployments()[name].get("parameters") or {})
        assert parameters <= set(accepted), f"{name}: {flow_name} does not take {parameters - set(accepted)}"


def test_serve_offers_the_deployments_of_prefect_yaml_with_the_same_flows() -> None:
    served = deployments(parameters={"sources": "s.toml", "db": "d.duckdb", "allow_private": True}, cron="5 * * * *")
    from_yaml = yaml_deployments()
    assert {d.name for d in served} == set(from_yaml)
    for d in served:
        assert d.entrypoint.replace("\\", "/").endswith(from_yaml[d.name]["entrypoint"]), d.name
    by_name = {d.name: d for d in served}
    assert by_name["ingest-hourly"].parameters == {"sources": "s.toml", "db": "d.duckdb", "allow_private": True}
    assert [s.schedule.cron for s in by_name["ingest-hourly"].schedules] == ["5 * * * *"]
    # The maintenance flows get the store's db and sources, never the crawl's allow_private, and no schedule.
    for maintenance in ("rebuild-clusters", "reextract", "ingest-warc"):
        assert by_name[maintenance].parameters == {"sources": "s.toml", "db": "d.duckdb"}
        assert not by_name[maintenance].schedules
    assert by_name["ingest-warc"]._parameter_openapi_schema.required == ["paths"]  # each run names its files


def test_no_module_in_flows_shares_a_name_with_a_module_a_worker_could_import() -> None:
    # A worker keeps flows/ first on sys.path for the whole process, so a later (lazy) import of a package or
    # stdlib module named like a file in flows/ would get that file instead.
    importable = {module.name for module in pkgutil.iter_modules()} | set(sys.stdlib_module_names)
    stems = {path.stem for path in (PROJECT / "flows").glob("*.py")} - {"__init__"}
    assert "pipeline" in stems and not stems & importable
