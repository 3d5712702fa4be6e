"""Politeness: how many requests are in flight (in all, and per host) and how far apart they start per host.

A host's pace is set by the policy of the first request to it (its source's per_host_delay and
per_host_concurrency; a host shared by two sources keeps the first one's) and slowed by its robots.txt
Crawl-delay, which also makes its requests go one at a time. Requests hold their host's slot before a
global one, so a request waiting for a busy host never holds a global slot meanwhile. No HTTP here: the
fetcher takes a turn, then sends its request.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from crawl.policy import FetchPolicy

# Added to each gap between request starts to one host: requests leave exactly `delay` apart, but the server
# sees them up to ~10 ms closer (a new connection's handshake delays one more than the next), which put
# 1/delay + 1 requests into one clock second on the newsroom's request log.
SPACING_MARGIN = 0.02


@dataclass(slots=True)
class HostPace:
    """One host's politeness state, shared by every request to it in this run."""

    slots: asyncio.Semaphore
    delay: float
    last_start: float = float("-inf")
    # With a Crawl-delay, requests go one at a time and the delay counts from the end of the previous one.
    serial: bool = False
    spacing: asyncio.Lock = field(default_factory=asyncio.Lock)
    one_at_a_time: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Held while one new connection to the host opens and waits for its first response (OpeningGate).
    connecting: asyncio.Lock = field(default_factory=asyncio.Lock)

    def obey_crawl_delay(self, seconds: float) -> None:
        """A robots.txt Crawl-delay: at least that far apart, one at a time, counted from robots.txt itself."""
        self.delay = max(self.delay, seconds)
        self.serial = True
        self.last_start = time.monotonic()

    def opening_gate(self) -> OpeningGate:
        """A trace hook for one request: if it opens a connection, it opens it alone."""
        return OpeningGate(self.connecting)

    async def wait_turn(self) -> None:
        """Space request starts to the host by its delay (the larger of ours and its Crawl-delay)."""
        async with self.spacing:
            now = time.monotonic()
            # Computed from the previous start with the current delay, so a Crawl-delay learned from
            # robots.txt already spaces the request that follows robots.txt itself.
            start = max(now, self.last_start + self.delay + (SPACING_MARGIN if self.delay else 0.0))
            self.last_start = start
        if start > now:
            await asyncio.sleep(start - now)


class Politeness:
    """The run's limit on requests in flight, and each host's pace."""

    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, HostPace] = {}

    def pace(self, origin: str, policy: FetchPolicy) -> HostPace:
        """The pace of `origin` (scheme://host:port), set by `policy` if this is the first request to it."""
        pace = self._hosts.get(origin)
        if pace is None:
            pace = self._hosts[origin] = HostPace(asyncio.Semaphore(policy.per_host_concurrency), policy.per_host_delay)
        return pace

    @contextlib.asynccontextmanager
    async def turn(self, pace: HostPace) -> AsyncIterator[None]:
        """Hold a slot of the host, then a global one (in that order, see the module), at the host's pace."""
        # `serial` is read once the slots are held: robots.txt may have set it meanwhile.
        async with pace.slots, self._slots, pace.one_at_a_time if pace.serial else contextlib.nullcontext():
            await pace.wait_turn()
            try:
                yield
            finally:
                if pace.serial:
                    pace.last_start = time.monotonic()


class OpeningGate:
    """httpx trace hook: a host's new connections open one at a time, each after the last one has answered.

    Connections to a host otherwise open all at once when a batch starts (up to per_host_concurrency). A burst
    like that overflows a small listen backlog (Python's socketserver default is 5) while the server is slow to
    accept; the dropped SYN is resent after a whole second, which was most of a second run's time in the
    benchmark. Reused connections never wait here: only a request that opens one does.
    """

    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock
        self._held = False

    async def __call__(self, event: str, info: dict[str, object]) -> None:
        if event == "connection.connect_tcp.started":
            await self._lock.acquire()
            self._held = True
        elif event == "http11.receive_response_headers.complete" or event.endswith(".failed"):
            self.release()

    def release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()
