"""One Prefect test harness for the flow tests: it costs ~10 s to start.

Package scope, not session: the harness's background threads draw from the global `random` state, and a
hypothesis test running while they live fails with "Do not use the random module inside strategies".
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="package")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
