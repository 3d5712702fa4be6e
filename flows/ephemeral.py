"""Prefect's temporary API server: ended with the copydesk process that started it, however that ends, and
handed to Dask workers.

Without a PREFECT_API_URL, a flow run starts Prefect's temporary server: a uvicorn child process (~230 MB)
that Prefect stops at exit. A copydesk killed by SIGKILL (the OOM killer, `kill -9`, a scheduler's hard
timeout) never gets there, and the server lived on, adopted by init, one more after every such kill. Here the
server is started before the flow (Prefect then finds it running: one instance per port) and a watchdog
process holds the read end of a pipe whose write end only this process has: end of file, without the byte
a normal exit writes, means this process is gone, and the watchdog terminates the server. What the server
prints goes to PREFECT_HOME/temporary-server.log, not the terminal.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Reads one byte or end of file; only end of file (the parent died) ends the server. SIGTERM lets uvicorn
# shut down as Prefect's own stop does.
_WATCHDOG = (
    "import os, signal, sys\n"
    "kill = os.killpg if sys.argv[2:] == ['group'] else os.kill\n"
    "if not sys.stdin.buffer.read(1):\n"
    "    try:\n"
    "        kill(int(sys.argv[1]), signal.SIGTERM)\n"
    "    except ProcessLookupError:\n"
    "        pass  # it ended on its own\n"
)


_watched: set[int] = set()  # pids of the servers this process has a watchdog for


def start_temporary_server() -> int | None:
    """Start Prefect's temporary server (unless an API URL is set) with a watchdog; the server's pid, or None."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return None  # a server someone else runs, or none allowed (the flow then says so)
    server = SubprocessASGIServer()  # the instance Prefect's client uses when no API URL is set
    log, start_child = _server_log(), server._run_uvicorn_command

    def start_quietly() -> subprocess.Popen[Any]:  # only the child's output moves: copydesk's own stays put
        with _stderr_to(log), _in_a_session_of_its_own():  # the child inherits file descriptor 2
            child = start_child()
        # Watched from its start, not once it answers: it takes 7-14 s to start on a loaded 2-core machine, and a
        # copydesk killed meanwhile left it running (~210 MB, its port taken).
        watch_server(child.pid)
        return child

    server._run_uvicorn_command = start_quietly  # type: ignore[method-assign]
    try:
        server.start()
    except Exception as exc:
        exc.add_note(f"the temporary server's output is in {log}")
        raise
    process = server.server_process
    return None if process is None else process.pid


def watch_server(pid: int, *, group: bool = False) -> None:
    """Start the watchdog that stops the server `pid` (with `group`, its process group) once this process is gone
    without standing it down (killed with SIGKILL, by the OOM killer)."""
    if pid in _watched:
        return
    _watched.add(pid)
    read_end, write_end = os.pipe()
    with open(read_end, "rb") as watched:
        subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(pid), *(["group"] if group else [])],
            stdin=watched,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in the terminal is for copydesk, which stops the server itself
        )

    def stand_down() -> None:  # a normal exit: Prefect's atexit hook, registered before this one, stops it
        os.write(write_end, b"x")
        os.close(write_end)

    atexit.register(stand_down)


# The temporary server's own output: the services it stops at exit print tracebacks of the events they were
# still recording (task_run_recorder's CancelledError, ~200 lines after a run whose last step wrote many errors),
# after copydesk's one-line summary. Kept in PREFECT_HOME, started afresh past this size.
SERVER_LOG = "temporary-server.log"
SERVER_LOG_MAX_BYTES = 1 << 20


def _server_log() -> Path:
    from prefect.settings import PREFECT_HOME

    return Path(PREFECT_HOME.value()).expanduser() / SERVER_LOG


@contextmanager
def _in_a_session_of_its_own() -> Iterator[None]:
    """Processes Prefect starts meanwhile (its server) get a session of their own, out of the terminal's process
    group: a Ctrl-C there is for copydesk, which stops the server itself. In the group, the server died with the
    SIGINT, and the flow's end then waited ~90 s on the dead API and failed ("All connection attempts failed").
    Prefect's server module calls subprocess.Popen itself, so its name there is wrapped for the call."""
    from prefect.server.api import server as prefect_server

    setattr(prefect_server, "subprocess", _Subprocess(subprocess.Popen))  # noqa: B010 (not a name it exports)
    try:
        yield
    finally:
        setattr(prefect_server, "subprocess", subprocess)  # noqa: B010


class _Subprocess:
    """The subprocess module as Prefect's server module sees it while the server starts."""

    def __init__(self, popen: Any) -> None:
        self._popen = popen

    def Popen(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 (subprocess's name)
        return self._popen(*args, **{**kwargs, "start_new_session": True})

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)


@contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """File descriptor 2 appends to `path` meanwhile (what a child process started now inherits); unchanged
    where `path` cannot be written (the server then prints to the terminal, as Prefect's own start does)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log = path.open("ab" if path.exists() and path.stat().st_size < SERVER_LOG_MAX_BYTES else "wb")
    except OSError:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
    finally:
        os.close(saved)
        log.close()


@contextmanager
def api_for_workers(task_runner: Any) -> Iterator[None]:
    """Dask workers report their task runs to the flow's API: without PREFECT_API_URL each worker would
    start an ephemeral API of its own, so start the ephemeral server here and hand its URL to them."""
    if task_runner is None or os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.logging.handlers import APILogWorker
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = SubprocessASGIServer()
    server.start(timeout=int(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]))
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield
            # Logs still queued (the Dask cluster's shutdown) go out while the server is up; sent after it
            # stopped, they end in "--- Error logging to API --- All connection attempts failed".
            APILogWorker.drain_all(timeout=5)
    finally:
        server.stop()
