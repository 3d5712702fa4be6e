"""`copydesk serve`: one command for scheduled runs plus the Prefect UI.

Starts `prefect server start` as a child process (unless PREFECT_API_URL names a server already),
waits for its health check, then serves the `ingest-hourly`, `backfill`, `rebuild-clusters`, `reextract`
and `ingest-warc` deployments from this process with `prefect.serve` (no work pool or worker needed). Ctrl-C or SIGTERM
stops serving, pauses the schedules and stops the child server. Prefect reads its settings when first
imported, so the server's URL goes into its settings as well as into the environment.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from flows.ephemeral import watch_server

log = logging.getLogger(__name__)

# `prefect server start` answers its health check in ~4 s on 2 cores (shared FACTS); allow for a cold cache.
SERVER_STARTUP_SECONDS = 90.0


class ServerStartError(RuntimeError):
    """The local Prefect server did not come up."""


def serve(*, parameters: Mapping[str, Any], cron: str, port: int = 4200) -> None:
    """Serve the copydesk deployments until interrupted, against PREFECT_API_URL or a local server."""
    with _api(port):
        from prefect import serve as prefect_serve

        served = deployments(parameters=parameters, cron=cron)
        try:
            with _ctrl_c_as_sigterm():
                prefect_serve(*served)
        finally:
            _pause(served)


def _pause(served: Sequence[Any]) -> None:
    """Pause the served deployments' schedules, whatever stopped serving. Prefect's runner pauses them when it
    stops gracefully, but not when a signal came in the second after it printed that it serves them (it exits
    before it has started): the hourly schedule stayed on, with nothing serving it."""
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    paused = 0
    try:
        with get_client(sync_client=True) as client:
            for deployment in served:
                try:
                    found = client.read_deployment_by_name(deployment.full_name)
                except ObjectNotFound:  # serving stopped before it was registered
                    continue
                # One of a work pool has the name but was never served from here (serving stopped before it
                # registered its own): it is the pool's to pause.
                if found.work_pool_name is None:
                    client.pause_deployment(found.id)
                    paused += 1
    except Exception as exc:  # serving has stopped either way; the user must know the schedule may still be on
        print(
            f"copydesk: could not pause the served deployments' schedules ({exc}); pause them in the UI",
            file=sys.stderr,
        )
        return
    print(f"Paused the schedules of the {paused} served deployments", flush=True)


@contextmanager
def _ctrl_c_as_sigterm() -> Iterator[None]:
    """Ctrl-C stops serving as SIGTERM does. Prefect's runner stops gracefully on SIGTERM, pausing the schedules
    first; a KeyboardInterrupt cancels it wherever it is, sometimes before the pause (the hourly schedule went
    on, with nothing serving it). Before the runner has its SIGTERM handler, Ctrl-C interrupts as usual."""

    def interrupt(signum: int, frame: Any) -> None:
        terminate = signal.getsignal(signal.SIGTERM)
        if not callable(terminate):
            raise KeyboardInterrupt
        terminate(signal.SIGTERM, frame)

    previous = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:  # and the runner's SIGTERM handler goes with it: a signal while pausing is no runner's to handle
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


def deployments(*, parameters: Mapping[str, Any], cron: str) -> list[Any]:
    """The deployments `copydesk serve` offers, the same as prefect.yaml's: the crawl's `parameters` (sources,
    db, allow_private) go to ingest-hourly and backfill, its db and sources to the maintenance flows."""
    from flows.ingest import backfill, ingest
    from flows.maintenance import rebuild_clusters
    from flows.reextract import reextract
    from flows.warc_ingest import ingest_warc

    store_parameters = {k: parameters[k] for k in ("db", "sources") if k in parameters}
    # to_deployment is sync-compatible: called outside an event loop it returns the deployment itself.
    return [
        ingest.to_deployment("ingest-hourly", cron=cron, parameters=dict(parameters)),
        backfill.to_deployment("backfill", parameters=dict(parameters)),
        rebuild_clusters.to_deployment("rebuild-clusters", parameters=dict(store_parameters)),
        reextract.to_deployment("reextract", parameters=dict(store_parameters)),
        # paths has no default: each run names its WARC files (`prefect deployment run ... --param paths=`).
        ingest_warc.to_deployment("ingest-warc", parameters=dict(store_parameters)),
    ]


@contextmanager
def _api(port: int) -> Iterator[str]:
    """The API URL to use: PREFECT_API_URL if set, else a local server started here and stopped on exit."""
    if url := os.environ.get("PREFECT_API_URL"):
        print(f"Using the Prefect API at {url}")
        yield url
        return
    url = f"http://127.0.0.1:{port}/api"
    _refuse_taken(port)
    home = Path(os.environ.get("PREFECT_HOME", ".prefect"))
    home.mkdir(parents=True, exist_ok=True)
    server_log = home / "server.log"
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with server_log.open("ab") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    # A serve killed with SIGKILL left the server running, and the next serve found its port taken.
    watch_server(server.pid, group=True)
    try:
        _wait_healthy(url, server, server_log)
        print(f"Prefect server (PID {server.pid}) UI at http://127.0.0.1:{port}; its log: {server_log}")
        os.environ["PREFECT_API_URL"] = url  # for the flow runs' subprocesses
        # And for this process, whose settings Prefect read when first imported (the cron check imports it): with
        # the variable alone, serving started a temporary server of its own and registered the deployments there.
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        _stop(server)


def _refuse_taken(port: int) -> None:
    """A ServerStartError naming the port when something listens on it already: the server would exit after ~14 s
    with "exited with code 1: flag.", its reason only in server.log."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port whose last connections wait out TIME_WAIT (a server just stopped) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise ServerStartError(
                f"port {port} on 127.0.0.1 is taken ({exc.strerror}): another Prefect server, or another program; "
                "pass --port with a free one, or set PREFECT_API_URL to serve through a server already running"
            ) from None


def _wait_healthy(url: str, server: subprocess.Popen[bytes], server_log: Path) -> None:
    deadline = time.monotonic() + SERVER_STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = server_log.read_text(errors="replace").strip().splitlines()[-1:]
            raise ServerStartError(f"prefect server exited with code {server.returncode}: {' '.join(tail)}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet: poll again
        time.sleep(0.5)
    raise ServerStartError(f"prefect server did not answer {url}/health within {SERVER_STARTUP_SECONDS:.0f} s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)  # the server runs uvicorn children in its own session
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    log.info("Stopped the Prefect server (PID %d)", server.pid)
