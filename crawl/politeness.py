"""Politeness: how many requests are in flight (in all, and per host) and how far apart they start per host.

A host's pace is set by the policy of the first request to it (its source's per_host_delay and
per_host_concurrency; a host shared by two sources keeps the first one's) and slowed by its robots.txt
Crawl-delay, which also makes its requests go one at a time. Requests are spaced by when they are sent
(RequestTrace, an httpx trace hook, says so). Requests hold their host's slot before a global one, so a request
waiting for a busy host never holds a global slot meanwhile. No HTTP here: the fetcher takes a turn, then sends
its request with the turn's trace hook.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from crawl.policy import FetchPolicy

# Added to each gap between requests to one host, the larger of the two: requests leave `delay` apart, but the
# server sees them closer when it is slower to take up one than the next (a new connection's handshake, a busy
# machine): ~10 ms put 1/delay + 1 requests into one clock second on the newsroom's request log, and with
# per_host_delay = 2 on a loaded 2-core machine one gap in 40 was 1.94 s there.
SPACING_MARGIN = 0.02
SPACING_SHARE = 0.05
# A new connection waits for the last one opened to answer, but no longer than this: a server that trickles its
# headers (or thinks for 30 s) has taken that connection off its accept queue, and holding every other new
# connection behind it for the whole total_timeout made their waits count as their own timeouts.
CONNECTING_TURN = 2.0


@dataclass(slots=True)
class HostPace:
    """One host's politeness state, shared by every request to it in this run."""

    slots: asyncio.Semaphore
    delay: float
    # When the last request to the host went out (its headers were sent): the next one waits `delay` from then.
    last_start: float = float("-inf")
    # With a Crawl-delay, requests go one at a time and the delay counts from the end of the previous one.
    serial: bool = False
    # Held from a request's turn until its headers are sent: the next request's wait counts from that moment.
    spacing: asyncio.Lock = field(default_factory=asyncio.Lock)
    one_at_a_time: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Held while one new connection to the host opens and waits for its first response (RequestTrace).
    connecting: asyncio.Lock = field(default_factory=asyncio.Lock)
    # No request goes out before this (time.monotonic()): the host answered 429 or 503 with a Retry-After.
    paused_until: float = float("-inf")

    def obey_crawl_delay(self, seconds: float) -> None:
        """A robots.txt Crawl-delay: at least that far apart, one at a time, counted from robots.txt itself."""
        self.delay = max(self.delay, seconds)
        self.serial = True
        self.last_start = time.monotonic()

    def pause(self, seconds: float) -> None:
        """The host asked for `seconds` without requests (Retry-After): every request to it waits them out."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    async def paused(self) -> None:
        """Wait until the host's Retry-After pause, if any, has passed."""
        while (wait := self.paused_until - time.monotonic()) > 0:
            await asyncio.sleep(wait)

    async def wait_turn(self) -> None:
        """Wait until the host's delay (the larger of ours and its Crawl-delay) has passed since the last request
        went out, then hold `spacing` until this one goes out (RequestTrace releases it).

        Spaced by when requests are sent, not when they were due: a request held up after its turn (a busy event
        loop, a connection opening) would otherwise reach the server closer to the next one than the delay. Under
        load the newsroom's request log showed 1.89 s between two requests with per_host_delay = 2.
        """
        await self.spacing.acquire()
        try:
            # The current delay, so a Crawl-delay learned from robots.txt already spaces the request after it.
            margin = max(SPACING_MARGIN, SPACING_SHARE * self.delay) if self.delay else 0.0
            # A loop: a request that waited may find a pause that began meanwhile (another URL's 503); it waits
            # holding its global slot, which `paused` spares every request that comes after.
            while (wait := max(self.last_start + self.delay + margin, self.paused_until) - time.monotonic()) > 0:
                await asyncio.sleep(wait)
        except BaseException:
            self.spacing.release()
            raise


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
    async def turn(self, pace: HostPace) -> AsyncIterator[RequestTrace]:
        """Hold a slot of the host, then a global one (in that order, see the module), at the host's pace; the
        trace hook to pass to the request marks when it goes out."""
        # `serial` is read once the slots are held: robots.txt may have set it meanwhile.
        async with pace.slots:
            await pace.paused()  # a Retry-After is waited out before a global slot is taken: other hosts go on
            async with self._slots, pace.one_at_a_time if pace.serial else contextlib.nullcontext():
                await pace.wait_turn()
                trace = RequestTrace(pace)
                try:
                    yield trace
                finally:
                    trace.finish()


class RequestTrace:
    """httpx trace hook of one request: marks when it goes out, and opens the host's new connections one at a time.

    Connections to a host otherwise open all at once when a batch starts (up to per_host_concurrency). A burst
    like that overflows a small listen backlog (Python's socketserver default is 5) while the server is slow to
    accept; the dropped SYN is resent after a whole second, which was most of a second run's time in the
    benchmark. A new connection therefore waits until the last one opened has answered (at most CONNECTING_TURN
    seconds); reused ones never wait.
    """

    def __init__(self, pace: HostPace) -> None:
        self._pace = pace
        self._connecting = False
        self._turn_over: asyncio.TimerHandle | None = None
        self._spacing = True  # held since wait_turn
        # The status and Location of the response head, as read: httpx raises on an invalid Location before the
        # response is handed over, and the error then names them from here.
        self.status: int | None = None
        self.location: str | None = None

    async def __call__(self, event: str, info: dict[str, object]) -> None:
        if event == "connection.connect_tcp.started":
            await self._pace.connecting.acquire()
            self._connecting = True
            self._turn_over = asyncio.get_running_loop().call_later(CONNECTING_TURN, self._opened)
        elif event == "http11.send_request_headers.complete":
            self._sent()
        elif event == "http11.receive_response_headers.complete" or event.endswith(".failed"):
            self._opened()
            self._note_head(info.get("return_value"))

    def _note_head(self, head: object) -> None:
        """httpcore's (http_version, status, reason, headers) of a response head."""
        if not (isinstance(head, tuple) and len(head) == 4 and isinstance(head[1], int)):
            return
        self.status = head[1]
        for name, value in head[3] if isinstance(head[3], list) else ():
            if isinstance(name, bytes) and name.lower() == b"location" and isinstance(value, bytes):
                self.location = value.decode("latin-1")

    def finish(self) -> None:
        """The request is over, whatever happened: release what it holds (serial hosts count from its end)."""
        self._sent()
        self._opened()
        if self._pace.serial:
            self._pace.last_start = time.monotonic()

    def _sent(self) -> None:
        if self._spacing:
            self._spacing = False
            self._pace.last_start = time.monotonic()
            self._pace.spacing.release()

    def _opened(self) -> None:
        if self._turn_over is not None:
            self._turn_over.cancel()
            self._turn_over = None
        if self._connecting:
            self._connecting = False
            self._pace.connecting.release()
