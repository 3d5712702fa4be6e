"""prefect.yaml and `copydesk serve` offer the same deployments, each of a flow that takes its parameters."""

from __future__ import annotations

import contextlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
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


def test_copydesk_serve_registers_on_the_server_it_started_and_ctrl_c_pauses_and_stops_it(tmp_path: Path) -> None:
    """The cron check imported Prefect before the server's URL was set, and Prefect reads its settings once: serve
    started a temporary server of its own (in the terminal's process group) and served from it, so the UI showed
    no deployment and Ctrl-C killed that server under it (a traceback, ~75 s, exit 1, the schedule still on)."""
    import contextlib
    import os
    import re
    import signal
    import socket
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "s.toml").write_text('[[sources]]\nname = "site"\nfeeds = ["http://127.0.0.1:9/feed.xml"]\n')
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "import sys; from flows.cli import main; sys.exit(main())"]
    command += ["serve", "--sources", "s.toml", "--allow-private", "--port", str(port)]
    log = tmp_path / "serve.txt"
    with log.open("w") as out:
        serving = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 180
            while "Your deployments are being served" not in log.read_text() and time.monotonic() < deadline:
                assert serving.poll() is None, log.read_text()
                time.sleep(0.5)
            answer = httpx.post(f"http://127.0.0.1:{port}/api/deployments/filter", json={}, timeout=30)
            registered = {d["name"]: d for d in answer.json()}
            os.killpg(serving.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
            serving.wait(timeout=60)
        finally:
            if serving.poll() is None:
                os.killpg(serving.pid, signal.SIGKILL)
            # The server runs in a session of its own: killed with serve's group, it would stay up.
            if (started := re.search(r"Prefect server \(PID (\d+)\)", log.read_text())) and serving.returncode != 0:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(int(started.group(1)), signal.SIGKILL)
    output = log.read_text()
    assert set(registered) == set(yaml_deployments()), output
    assert registered["ingest-hourly"]["paused"] is False  # scheduled while served
    assert "Starting temporary server" not in output and "Traceback" not in output, output
    assert "Paused the schedules of the 5 served deployments" in output, output
    with pytest.raises(httpx.TransportError):  # the server it started is stopped with it
        httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5)


def test_the_server_copydesk_serve_started_stops_when_serve_is_killed(tmp_path: Path) -> None:
    """kill -9 of serve (or the OOM killer) left its `prefect server start` running, and the next serve found the
    port taken (an operator's review)."""
    import os
    import re
    import signal
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "s.toml").write_text('[[sources]]\nname = "site"\nfeeds = ["http://127.0.0.1:9/feed.xml"]\n')
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "import sys; from flows.cli import main; sys.exit(main())"]
    command += ["serve", "--sources", "s.toml", "--allow-private", "--port", str(port)]
    log, server = tmp_path / "serve.txt", 0
    with log.open("w") as out:
        serving = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while not (started := re.search(r"Prefect server \(PID (\d+)\)", log.read_text())):
                assert serving.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            server = int(started.group(1))
            serving.kill()
            serving.wait(timeout=30)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    os.killpg(server, 0)
                except ProcessLookupError:
                    return  # the server's process group is gone
                time.sleep(0.2)
            pytest.fail(f"the Prefect server (PID {server}) outlived serve killed with SIGKILL")
        finally:
            serving.kill()
            if server:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server, signal.SIGKILL)


def test_every_deployment_says_its_schedules_so_prefect_deploy_asks_nothing() -> None:
    """Without a `schedules` key, `prefect deploy --all` in a terminal asked four times whether to configure
    schedules, defaulting to yes, for deployments that are manual runs only."""
    assert all("schedules" in d for d in yaml_deployments().values())
    assert [name for name, d in yaml_deployments().items() if d["schedules"]] == ["ingest-hourly"]
