"""Test-wide setup: Prefect offline, with its state in a throwaway home, before anything imports it; a
hypothesis profile that does not depend on how fast the machine is; no proxy from the caller's environment."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
if "PREFECT_HOME" not in os.environ:
    _throwaway_home = tempfile.mkdtemp(prefix="copydesk-prefect-")
    os.environ["PREFECT_HOME"] = _throwaway_home
    # Each session's home (its SQLite database, logs) would otherwise pile up in /tmp run after run.
    atexit.register(shutil.rmtree, _throwaway_home, ignore_errors=True)
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# As flows.cli sets it: copydesk's loggers, sent to Prefect's API, also speak outside a flow run. Without it, a
# test that logs a warning after another ran the CLI in this process failed on Prefect's UserWarning.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")

# Every request in the suite goes to loopback servers the tests start. A proxy set where the suite runs would
# carry them (and Prefect's calls to its test API) elsewhere; tests of proxies name theirs explicitly.
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
    os.environ.pop(_name, None)
    os.environ.pop(_name.lower(), None)

# Property tests are about inputs, never about time: hypothesis's default 200 ms deadline per example (and its
# too_slow health check) fail a test at random on a loaded machine, as CI's can be. On CI (CI set, as .ci/run
# runs) the examples are also derandomized and no example database is read or written, so a run there is the
# same run every time: a failure is reproducible, never a new random input found on the day of a delivery. Off
# CI, each run draws new examples and keeps failing ones in .hypothesis/, so the fuzzing still explores.
# HYPOTHESIS_PROFILE=ci (or dev) picks one explicitly.
# (Built on hypothesis's "default" profile: hypothesis loads its own "ci" one when CI is set at all, even empty.)
_PATIENT = settings(settings.get_profile("default"), deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", _PATIENT)
settings.register_profile("ci", _PATIENT, derandomize=True, database=None, print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() not in ("", "0", "false") else "dev")
)

# The order xdist hands files out in (the Makefile runs `--dist loadfile --no-loadscope-reorder`: whole files, in
# collection order; xdist's default reorder put the files with most tests first, so the few slow files of kills
# and signals came last and one worker ran them alone at the end). First the files whose tests start whole
# processes and wait on kills, signals and Prefect servers (minutes each), then the rest of tests/flows/
# together, then everything else. Together, because tests/flows/' Prefect harness is package-scoped
# (tests/flows/conftest.py): a worker that went from a flow file to another package and back tore it down and
# started a new one, ~20 s each time, 9 times a run (`pytest --durations`, 2026-12-07).
_SLOWEST_FIRST = (
    "tests/test_crash.py",
    "tests/flows/test_hostile_runs.py",
    "tests/flows/test_dask.py",
    "tests/flows/test_deployments.py",
)


def _hand_out_rank(item: pytest.Item) -> tuple[int, int]:
    path = item.nodeid.split("::")[0]
    if path in _SLOWEST_FIRST:
        return 0, _SLOWEST_FIRST.index(path)
    return (1 if path.startswith("tests/flows/") else 2), 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_hand_out_rank)  # stable: within a rank, as collected
