"""Test-wide setup: Prefect offline, with its state in a throwaway home, before anything imports it."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
if "PREFECT_HOME" not in os.environ:
    _throwaway_home = tempfile.mkdtemp(prefix="copydesk-prefect-")
    os.environ["PREFECT_HOME"] = _throwaway_home
    # Each session's home (its SQLite database, logs) would otherwise pile up in /tmp run after run.
    atexit.register(shutil.rmtree, _throwaway_home, ignore_errors=True)
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
