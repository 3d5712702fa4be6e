"""HTTP edge: polite, bounded, SSRF-guarded fetching with one httpx.AsyncClient per host and run.

Every attempt is returned as an `Attempt` so the caller can write it to `fetches`; a URL's final
outcome is a `Fetched` with a `Reason` when it is not ok. `Fetcher.fetch` never raises for a URL:
whatever one URL's address, server or headers do ends as that URL's outcome and row, and the batch goes
on. Header values from a server are bytes from a stranger: validators are kept and sent back only when
they are valid field values. No Prefect and no DuckDB here, so this is tested against loopback servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import httpx

from crawl._http import (
    REASONS,
    Answer,
    FetchFailure,
    Kind,
    Outcome,
    Reason,
    checked_url,
    conditional_headers,
    content_type_problem,
    drain,
    parse_retry_after,
    read_capped,
    redirect_target,
)
from crawl.addresses import AddressGuard, PinnedTransport, Resolver, system_resolver
from extractors.robots import RobotsRules

__all__ = ["REASONS", "Attempt", "Fetched", "Fetcher", "FetchPolicy", "Kind", "Outcome", "Reason", "Validators"]

# Added to each gap between request starts to one host: requests leave exactly `delay` apart, but the server
# sees them up to ~10 ms closer (a new connection's handshake delays one more than the next), which put
# 1/delay + 1 requests into one clock second on the newsroom's request log.
SPACING_MARGIN = 0.02
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SKIP_STATUSES = frozenset({401, 403, 404, 410, 451})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# After robots.txt fails this way, the host is treated as disallowing everything for the run (RFC 9309
# 2.3.1.4). A 4xx, a redirect that goes nowhere or an empty file allows everything (2.3.1.2, 2.3.1.3).
ROBOTS_REDIRECTS = 5
ROBOTS_UNREACHABLE: frozenset[Reason] = frozenset({"timeout", "network", "dns", "decoding", "size", "unexpected"})


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How politely and defensively to fetch."""

    user_agent: str
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    retries: int = 2
    backoff: float = 0.5
    max_retry_after: float = 30.0
    per_host_concurrency: int = 2
    per_host_delay: float = 0.25
    concurrency: int = 16
    allow_private: bool = False
    allow_hosts: tuple[str, ...] = ()
    # A robots.txt Crawl-delay over this is capped to it ("cap") or the host is not crawled ("skip").
    max_crawl_delay: float = 30.0
    crawl_delay_over_cap: Literal["cap", "skip"] = "cap"

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            _check_number(self, name, low=0.0, low_open=True, example="5-30 seconds")
        for name in ("backoff", "max_retry_after", "per_host_delay", "max_crawl_delay"):
            _check_number(self, name, low=0.0, example="0.25-30 seconds")
        for name, low, example in (
            ("max_bytes", 1, "10_000_000"),
            ("max_redirects", 0, "5"),
            ("retries", 0, "2"),
            ("per_host_concurrency", 1, "2"),
            ("concurrency", 1, "16"),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(
                    f"FetchPolicy {name}={value!r} must be an integer of at least {low}, such as {example}"
                )
        if self.crawl_delay_over_cap not in ("cap", "skip"):
            raise ValueError(f"FetchPolicy crawl_delay_over_cap={self.crawl_delay_over_cap!r} must be 'cap' or 'skip'")


def _check_number(policy: FetchPolicy, name: str, *, low: float, example: str, low_open: bool = False) -> None:
    value = getattr(policy, name)
    number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not number or value < low or (low_open and value == low):
        bound = f"more than {low:g}" if low_open else f"at least {low:g}"
        raise ValueError(f"FetchPolicy {name}={value!r} must be a finite number of {bound}, e.g. {example}")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP request and what came of it (a row of `fetches`)."""

    url: str
    kind: Kind
    started_at: datetime
    status: int | None
    error: str | None
    elapsed_ms: int
    bytes: int
    conditional: bool
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """The final outcome of fetching one URL, after redirects and retries."""

    url: str
    kind: Kind
    outcome: Outcome
    final_url: str
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    attempts: tuple[Attempt, ...] = ()
    reason: Reason | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True, slots=True)
class Validators:
    """Stored cache validators for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(slots=True)
class _Trail:
    """One URL's way through redirects: where it is now and every attempt so far."""

    url: str
    current: str
    attempts: list[Attempt] = field(default_factory=list)

    def failed(self, kind: Kind, failure: FetchFailure) -> Fetched:
        """The URL's outcome, with its reason on a `fetches` row: the last attempt's, or a row of its own."""
        message = str(failure)
        last = self.attempts[-1] if self.attempts else None
        if last is not None and last.url == self.current and last.error in (None, message):
            self.attempts[-1] = dataclasses.replace(last, error=message, reason=failure.reason)
        else:  # decided before any request to this address (guard, robots, a bad URL or redirect): no HTTP answer
            self.attempts.append(
                Attempt(self.current, kind, datetime.now(UTC), None, message, 0, 0, False, failure.reason)
            )
        return Fetched(
            self.url,
            kind,
            failure.outcome,
            self.current,
            failure.status,
            error=message,
            attempts=tuple(self.attempts),
            reason=failure.reason,
        )


@dataclass
class _Host:
    """Per-host politeness state, shared by every request to that host in this run."""

    semaphore: asyncio.Semaphore
    client: httpx.AsyncClient
    # Held while one new connection to the host opens and waits for its first response (_OpeningGate).
    opening: asyncio.Lock = field(default_factory=asyncio.Lock)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_start: float = float("-inf")
    delay: float = 0.0
    robots: RobotsRules | None = None
    # Set when no URL of the host is fetched this run (robots.txt unreachable, Crawl-delay over the cap).
    refusal: tuple[Reason, str] | None = None
    # With a Crawl-delay, requests go one at a time and the delay counts from the end of the previous one.
    serial: bool = False
    exclusive: asyncio.Lock = field(default_factory=asyncio.Lock)
    robots_loaded: asyncio.Event = field(default_factory=asyncio.Event)
    robots_started: bool = False


class Fetcher:
    """Fetches URLs politely: robots.txt first, per-host limits and delays, a global limit."""

    def __init__(self, policy: FetchPolicy, *, resolver: Resolver = system_resolver) -> None:
        """`resolver` answers a host's addresses for the address guard (unused with allow_private)."""
        self.policy = policy
        # One CA bundle load for all the hosts' clients.
        self._ssl = httpx.create_ssl_context()
        self._global = asyncio.Semaphore(policy.concurrency)
        self._hosts: dict[str, _Host] = {}
        self._guard = (
            None
            if policy.allow_private
            else AddressGuard(allow_hosts=policy.allow_hosts, resolver=resolver, timeout=policy.connect_timeout)
        )
        self.robots_fetches: list[Fetched] = []  # recorded by the caller in `fetches`

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.gather(*(host.client.aclose() for host in self._hosts.values()))

    def _new_client(self) -> httpx.AsyncClient:
        """An HTTP client for one host, with connections for its per-host concurrency.

        One pool per host rather than one for the run: httpcore checks every pooled connection on each
        request (a getpeername() and a poll per connection), which with 32 connections across hosts cost
        about a fifth of the flow process's time in the 2,900-page benchmark.
        """
        policy = self.policy
        timeout = httpx.Timeout(
            connect=policy.connect_timeout, read=policy.read_timeout, write=10.0, pool=policy.total_timeout
        )
        size = policy.per_host_concurrency
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        transport = (
            httpx.AsyncHTTPTransport(retries=1, limits=limits, verify=self._ssl)
            if self._guard is None
            else PinnedTransport(self._guard, retries=1, limits=limits, verify=self._ssl)
        )
        return httpx.AsyncClient(
            timeout=timeout,
            limits=limits,
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,  # followed by hand so every hop passes the address guard
            transport=transport,
        )

    async def fetch_all(
        self, urls: Sequence[str], *, kind: Kind, validators: dict[str, Validators] | None = None
    ) -> list[Fetched]:
        """Fetch many URLs concurrently within the policy's limits; results in input order."""
        validators = validators or {}
        return list(await asyncio.gather(*(self.fetch(u, kind=kind, validators=validators.get(u)) for u in urls)))

    async def fetch(self, url: str, *, kind: Kind, validators: Validators | None = None) -> Fetched:
        """Fetch one URL: robots check, redirects, retries. Never raises: a failure is the URL's outcome."""
        trail = _Trail(url, url)
        try:
            return await self._follow(trail, kind, validators)
        except FetchFailure as exc:
            failure = exc
        except Exception as exc:  # per-URL boundary: whatever one URL's address or server causes stays its own
            failure = FetchFailure.of(exc)
        return trail.failed(kind, failure)

    async def _follow(self, trail: _Trail, kind: Kind, validators: Validators | None) -> Fetched:
        seen = {trail.url}
        # RFC 9309 2.3.1.2: robots.txt redirects are followed for at least five hops, whatever max_redirects says.
        hops = max(self.policy.max_redirects, ROBOTS_REDIRECTS) if kind == "robots" else self.policy.max_redirects
        for _ in range(hops + 1):
            response = await self._get_with_retries(trail.current, kind, validators, trail.attempts)
            if response.status_code not in REDIRECT_STATUSES:
                return self._finish(trail, kind, response)
            trail.current = redirect_target(trail.current, response)
            if trail.current in seen:
                raise FetchFailure("failed", f"redirect loop back to {trail.current!r}", reason="redirects")
            seen.add(trail.current)
            validators = None  # validators belong to the original URL only
        raise FetchFailure("failed", f"more than {hops} redirects", reason="redirects")

    def _finish(self, trail: _Trail, kind: Kind, response: Answer) -> Fetched:
        status = response.status_code
        if status == 304:
            return Fetched(trail.url, kind, "not_modified", trail.current, status, attempts=tuple(trail.attempts))
        if status != 200:
            outcome: Outcome = "skipped" if status in SKIP_STATUSES else "failed"
            raise FetchFailure(outcome, f"HTTP {status}", reason="http_status", status=status)
        ctype = response.content_type
        problem = content_type_problem(kind, ctype)
        if problem:
            raise FetchFailure("skipped", problem, reason="type", status=status)
        if not response.body:
            raise FetchFailure("skipped", "empty body", reason="empty", status=status)
        return Fetched(
            trail.url,
            kind,
            "ok",
            trail.current,
            status,
            body=response.body,
            content_type=ctype,
            etag=response.etag,
            last_modified=response.last_modified,
            attempts=tuple(trail.attempts),
        )

    async def _get_with_retries(
        self, url: str, kind: Kind, validators: Validators | None, attempts: list[Attempt]
    ) -> Answer:
        attempt = 0
        while True:
            try:
                response = await self._polite_get(url, kind, validators, attempts)
            except _Retryable as exc:
                if attempt >= self.policy.retries:
                    raise FetchFailure("failed", str(exc), reason="network") from None
                await asyncio.sleep(self._backoff(attempt))
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= self.policy.retries:
                    return response
                await asyncio.sleep(self._retry_wait(response, attempt))
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        # Exponential backoff with full jitter, so retries from many tasks do not arrive together.
        return random.uniform(0, self.policy.backoff * 2**attempt)

    def _retry_wait(self, response: Answer, attempt: int) -> float:
        retry_after = parse_retry_after(response.retry_after)
        if retry_after is None:
            return self._backoff(attempt) + self.policy.backoff
        return min(retry_after, self.policy.max_retry_after) + 0.05

    async def _polite_get(self, url: str, kind: Kind, validators: Validators | None, attempts: list[Attempt]) -> Answer:
        target = checked_url(url)
        await self._guard_address(target.raw_host.decode("ascii"))
        host = await self._host_for(target, skip_robots=kind == "robots")
        if kind != "robots" and host.refusal is not None:
            reason, message = host.refusal
            raise FetchFailure("skipped", message, reason=reason)
        # Checked as sent (httpx percent-encodes the path), the form robots.txt rules are matched against.
        if kind != "robots" and host.robots is not None and not host.robots.allowed(str(target)):
            raise FetchFailure("skipped", f"disallowed by robots.txt for {self.policy.user_agent!r}", reason="robots")
        # The host's slot first, then a global one: a request waiting for its busy host must not hold a global
        # slot meanwhile. In the other order one big host's batch (100 URLs, 8 at a time) held all 32 global
        # slots and the other hosts' requests waited behind it.
        async with host.semaphore, self._global, host.exclusive if host.serial else contextlib.nullcontext():
            await self._wait_turn(host)
            try:
                return await self._get_once(host, url, kind, validators, attempts)
            finally:
                if host.serial:
                    host.last_start = time.monotonic()

    async def _wait_turn(self, host: _Host) -> None:
        """Space request starts to one host by the larger of our delay and its Crawl-delay."""
        async with host.lock:
            now = time.monotonic()
            # Computed from the previous start with the current delay, so a Crawl-delay learned from
            # robots.txt already spaces the request that follows robots.txt itself.
            start = max(now, host.last_start + host.delay + (SPACING_MARGIN if host.delay else 0.0))
            host.last_start = start
        if start > now:
            await asyncio.sleep(start - now)

    async def _host_for(self, target: httpx.URL, *, skip_robots: bool) -> _Host:
        key = f"{target.scheme}://{target.netloc.decode('ascii')}"
        host = self._hosts.get(key)
        if host is None:
            host = _Host(semaphore=asyncio.Semaphore(self.policy.per_host_concurrency), client=self._new_client())
            host.delay = self.policy.per_host_delay
            self._hosts[key] = host
        if skip_robots:
            return host
        if not host.robots_started:
            host.robots_started = True
            try:
                await self._load_robots(key, host)
            finally:
                host.robots_loaded.set()
        await host.robots_loaded.wait()
        return host

    async def _load_robots(self, origin: str, host: _Host) -> None:
        """robots.txt once per host per run (never kept across runs), and what it means for the host's URLs."""
        result = await self.fetch(f"{origin}/robots.txt", kind="robots")
        self.robots_fetches.append(result)
        if result.reason in ROBOTS_UNREACHABLE or (result.status or 0) >= 500:
            host.refusal = (
                "robots_unreachable",
                f"robots.txt of {origin} could not be fetched ({result.error}); the host counts as disallowing "
                "everything until it can be, at the latest next run (RFC 9309 2.3.1.4)",
            )
            return
        # Parsed off the event loop: up to 500 KiB of rules (RFC 9309 2.5) would stall every other host.
        body = result.body if result.ok else b""
        host.robots = await asyncio.to_thread(RobotsRules.from_bytes, body, user_agent=self.policy.user_agent)
        self._apply_crawl_delay(origin, host, host.robots.crawl_delay)

    def _apply_crawl_delay(self, origin: str, host: _Host, delay: float | None) -> None:
        cap = self.policy.max_crawl_delay
        if delay is not None and delay > cap:
            if self.policy.crawl_delay_over_cap == "skip":
                host.refusal = (
                    "crawl_delay",
                    f"robots.txt of {origin} asks for Crawl-delay {delay:g} s, over max_crawl_delay={cap:g} s "
                    "(crawl_delay_over_cap = 'skip')",
                )
                return
            delay = cap
        if delay:
            host.delay = max(host.delay, delay)
            host.serial = True
            host.last_start = time.monotonic()  # robots.txt itself was the previous request

    async def _guard_address(self, hostname: str) -> None:
        if self._guard is None:
            return
        check = await self._guard.check(hostname)
        if check.refusal is not None:
            outcome: Outcome = "failed" if check.reason == "dns" else "skipped"  # a DNS failure may pass
            raise FetchFailure(outcome, check.refusal, reason=check.reason or "guard")

    async def _get_once(
        self, host: _Host, url: str, kind: Kind, validators: Validators | None, attempts: list[Attempt]
    ) -> Answer:
        headers = conditional_headers(validators.etag, validators.last_modified) if validators else {}
        started_at, t0 = datetime.now(UTC), time.perf_counter()
        status: int | None = None
        size = 0
        gate = _OpeningGate(host.opening)
        failure: FetchFailure | None = None
        try:
            # The total timeout bounds one request, so a trickling body cannot hold a slot for long.
            async with asyncio.timeout(self.policy.total_timeout):
                async with host.client.stream("GET", url, headers=headers, extensions={"trace": gate}) as response:
                    status = response.status_code
                    body = b""
                    if status == 200:
                        body = await read_capped(response, self.policy.max_bytes)
                        size = len(body)
                    else:
                        await drain(response)
                    result = Answer.of(response, body)
        except TimeoutError:
            message = f"no complete response within total_timeout={self.policy.total_timeout:g} s"
            failure = FetchFailure("failed", message, reason="timeout", status=status)
        except FetchFailure as exc:
            failure = exc
        except httpx.TimeoutException as exc:
            failure = FetchFailure("failed", self._timeout_message(exc), reason="timeout", status=status)
        except httpx.DecodingError as exc:
            failure = FetchFailure("failed", f"DecodingError: {exc}", reason="decoding", status=status)
        except httpx.InvalidURL as exc:
            # Our URL was checked, so this is httpx preparing the redirect its answer's Location names (it
            # does so even when not following): `Location: http:x` raises here, before the response is ours.
            message = f"redirect to an invalid Location: {exc}"
            failure = FetchFailure("failed", message, reason="redirects", status=status)
        except httpx.HTTPError as exc:
            message = f"{type(exc).__name__}: {exc}"
            attempts.append(_attempt(url, kind, started_at, t0, status, message, size, headers, "network"))
            raise _Retryable(message) from None
        finally:
            gate.release()
        if failure is not None:
            attempts.append(_attempt(url, kind, started_at, t0, status, str(failure), size, headers, failure.reason))
            raise failure
        attempts.append(_attempt(url, kind, started_at, t0, status, None, size, headers))
        return result

    def _timeout_message(self, exc: httpx.TimeoutException) -> str:
        policy = self.policy
        if isinstance(exc, httpx.ConnectTimeout):
            return f"ConnectTimeout: no connection within connect_timeout={policy.connect_timeout:g} s"
        if isinstance(exc, httpx.ReadTimeout):
            return f"ReadTimeout: no data within read_timeout={policy.read_timeout:g} s"
        return f"{type(exc).__name__}: {exc or 'timed out'}"


class _OpeningGate:
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


class _Retryable(Exception):
    """Internal: a connection-level failure worth another try."""


def _attempt(
    url: str,
    kind: Kind,
    started_at: datetime,
    t0: float,
    status: int | None,
    error: str | None,
    size: int,
    headers: dict[str, str],
    reason: Reason | None = None,
) -> Attempt:
    elapsed_ms = int((time.perf_counter() - t0) * 1000)
    return Attempt(url, kind, started_at, status, error, elapsed_ms, size, bool(headers), reason)
