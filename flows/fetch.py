"""HTTP edge: polite, bounded, SSRF-guarded fetching with one shared httpx.AsyncClient per run.

Every attempt is returned as an `Attempt` so the caller can write it to `fetches`; a URL's final
outcome is a `Fetched`. Nothing here raises for a bad URL or a bad server: one bad URL never stops
a batch. No Prefect and no DuckDB here, so this is tested against loopback servers directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import random
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import SplitResult, urljoin, urlsplit

import httpx

from extractors.robots import RobotsRules

Kind = Literal["article", "feed", "sitemap", "robots", "page"]
# Added to each gap between request starts to one host: requests leave exactly `delay` apart, but the server
# sees them up to ~10 ms closer (a new connection's handshake delays one more than the next), which put
# 1/delay + 1 requests into one clock second on the newsroom's request log.
SPACING_MARGIN = 0.02
Outcome = Literal["ok", "not_modified", "skipped", "failed"]

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Feeds and sitemaps are served with many content types in the wild; reject only the clearly wrong.
NOT_XML_TYPES = ("image/", "video/", "audio/", "application/pdf", "application/zip")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SKIP_STATUSES = frozenset({401, 403, 404, 410, 451})


class BlockedAddressError(Exception):
    """The URL resolves to an address we refuse to fetch (private, loopback, link-local, ...)."""


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

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass(frozen=True, slots=True)
class Validators:
    """Stored cache validators for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


class _Failed(Exception):
    """Internal: ends one URL's fetch with an outcome and a message."""

    def __init__(self, outcome: Outcome, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.status = status


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
    # With a Crawl-delay, requests go one at a time and the delay counts from the end of the previous one.
    serial: bool = False
    exclusive: asyncio.Lock = field(default_factory=asyncio.Lock)
    robots_loaded: asyncio.Event = field(default_factory=asyncio.Event)
    robots_started: bool = False


class Fetcher:
    """Fetches URLs politely: robots.txt first, per-host limits and delays, a global limit."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        # One CA bundle load for all the hosts' clients.
        self._ssl = httpx.create_ssl_context()
        self._global = asyncio.Semaphore(policy.concurrency)
        self._hosts: dict[str, _Host] = {}
        self._resolved: dict[str, str | None] = {}
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
        return httpx.AsyncClient(
            timeout=timeout,
            limits=limits,
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,  # followed by hand so every hop passes the address guard
            transport=httpx.AsyncHTTPTransport(retries=1, limits=limits, verify=self._ssl),
        )

    async def fetch_all(
        self, urls: Sequence[str], *, kind: Kind, validators: dict[str, Validators] | None = None
    ) -> list[Fetched]:
        """Fetch many URLs concurrently within the policy's limits; results in input order."""
        validators = validators or {}
        return list(await asyncio.gather(*(self.fetch(u, kind=kind, validators=validators.get(u)) for u in urls)))

    async def fetch(self, url: str, *, kind: Kind, validators: Validators | None = None) -> Fetched:
        """Fetch one URL: robots check, redirects, retries; never raises for network trouble."""
        attempts: list[Attempt] = []
        current = url
        seen = {url}
        try:
            for _ in range(self.policy.max_redirects + 1):
                response = await self._get_with_retries(current, kind, validators, attempts)
                if response.status_code not in (301, 302, 303, 307, 308):
                    return self._finish(url, kind, current, response, attempts)
                location = response.headers.get("location")
                if not location:
                    raise _Failed("failed", f"redirect {response.status_code} without Location")
                current = urljoin(current, location)
                if current in seen:
                    raise _Failed("failed", f"redirect loop back to {current!r}")
                seen.add(current)
                validators = None  # validators belong to the original URL only
            raise _Failed("failed", f"more than {self.policy.max_redirects} redirects")
        except _Failed as exc:
            return Fetched(url, kind, exc.outcome, current, exc.status, error=str(exc), attempts=tuple(attempts))

    def _finish(self, url: str, kind: Kind, final_url: str, response: _Response, attempts: list[Attempt]) -> Fetched:
        status = response.status_code
        common = dict(status=status, attempts=tuple(attempts))
        if status == 304:
            return Fetched(url, kind, "not_modified", final_url, **common)  # type: ignore[arg-type]
        if status != 200:
            outcome: Outcome = "skipped" if status in SKIP_STATUSES else "failed"
            return Fetched(url, kind, outcome, final_url, error=f"HTTP {status}", **common)  # type: ignore[arg-type]
        ctype = response.content_type
        problem = _content_type_problem(kind, ctype) or (None if response.body else "empty body")
        if problem:
            return Fetched(url, kind, "skipped", final_url, error=problem, **common)  # type: ignore[arg-type]
        return Fetched(
            url,
            kind,
            "ok",
            final_url,
            body=response.body,
            content_type=ctype,
            etag=response.etag,
            last_modified=response.last_modified,
            **common,  # type: ignore[arg-type]
        )

    async def _get_with_retries(
        self, url: str, kind: Kind, validators: Validators | None, attempts: list[Attempt]
    ) -> _Response:
        for attempt in range(self.policy.retries + 1):
            try:
                response = await self._polite_get(url, kind, validators, attempts)
            except _Retryable as exc:
                if attempt == self.policy.retries:
                    raise _Failed("failed", str(exc)) from None
                await asyncio.sleep(self._backoff(attempt))
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.policy.retries:
                await asyncio.sleep(self._retry_wait(response, attempt))
                continue
            return response
        raise AssertionError("unreachable: the loop returns or raises")

    def _backoff(self, attempt: int) -> float:
        # Exponential backoff with full jitter, so retries from many tasks do not arrive together.
        return random.uniform(0, self.policy.backoff * 2**attempt)

    def _retry_wait(self, response: _Response, attempt: int) -> float:
        retry_after = _parse_retry_after(response.retry_after)
        if retry_after is None:
            return self._backoff(attempt) + self.policy.backoff
        return min(retry_after, self.policy.max_retry_after) + 0.05

    async def _polite_get(
        self, url: str, kind: Kind, validators: Validators | None, attempts: list[Attempt]
    ) -> _Response:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Failed("skipped", f"not an http(s) URL: {url!r}")
        await self._guard_address(parts.hostname)
        host = await self._host_for(parts, skip_robots=kind == "robots")
        if kind != "robots" and host.robots is not None and not host.robots.allowed(url):
            raise _Failed("skipped", f"disallowed by robots.txt for {self.policy.user_agent!r}")
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

    async def _host_for(self, parts: SplitResult, *, skip_robots: bool) -> _Host:
        key = f"{parts.scheme}://{parts.netloc.lower()}"
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
                host.robots = await self._load_robots(key)
                if host.robots.crawl_delay:
                    host.delay = max(host.delay, host.robots.crawl_delay)
                    host.serial = True
                    host.last_start = time.monotonic()  # robots.txt itself was the previous request
            finally:
                host.robots_loaded.set()
        await host.robots_loaded.wait()
        return host

    async def _load_robots(self, origin: str) -> RobotsRules:
        """robots.txt once per host per run; a missing or broken file allows everything (RFC 9309)."""
        result = await self.fetch(f"{origin}/robots.txt", kind="robots")
        self.robots_fetches.append(result)
        if result.status is not None and 500 <= result.status < 600:
            # RFC 9309 2.3.1.4: an unreachable robots.txt means "disallow everything" for now.
            return RobotsRules.parse("User-agent: *\nDisallow: /\n", user_agent=self.policy.user_agent)
        text = result.body.decode("utf-8", errors="replace") if result.ok else ""
        return RobotsRules.parse(text, user_agent=self.policy.user_agent)

    async def _guard_address(self, hostname: str) -> None:
        if self.policy.allow_private:
            return
        if hostname not in self._resolved:
            self._resolved[hostname] = await _blocked_reason(hostname, self.policy.allow_hosts)
        reason = self._resolved[hostname]
        if reason:
            raise _Failed("skipped", reason)

    async def _get_once(
        self, host: _Host, url: str, kind: Kind, validators: Validators | None, attempts: list[Attempt]
    ) -> _Response:
        headers = _conditional_headers(validators)
        started_at, t0 = datetime.now(UTC), time.perf_counter()
        status: int | None = None
        size = 0
        gate = _OpeningGate(host.opening)
        try:
            # The total timeout bounds one request, so a trickling body cannot hold a slot for long.
            async with asyncio.timeout(self.policy.total_timeout):
                async with host.client.stream("GET", url, headers=headers, extensions={"trace": gate}) as response:
                    status = response.status_code
                    body = b""
                    if status == 200:
                        body = await _read_capped(response, self.policy.max_bytes)
                        size = len(body)
                    else:
                        await _drain(response)
                    result = _Response.of(response, body)
        except TimeoutError:
            message = f"no complete response within total_timeout={self.policy.total_timeout:g} s"
            attempts.append(_attempt(url, kind, started_at, t0, status, message, size, headers))
            raise _Failed("failed", message, status) from None
        except _Failed as exc:
            attempts.append(_attempt(url, kind, started_at, t0, status, str(exc), size, headers))
            raise
        except (httpx.TimeoutException, httpx.DecodingError) as exc:
            message = f"{type(exc).__name__}: {str(exc) or 'no data within read_timeout'}"
            attempts.append(_attempt(url, kind, started_at, t0, status, message, size, headers))
            raise _Failed("failed", message, status) from None
        except httpx.HTTPError as exc:
            message = f"{type(exc).__name__}: {exc}"
            attempts.append(_attempt(url, kind, started_at, t0, status, message, size, headers))
            raise _Retryable(message) from None
        finally:
            gate.release()
        attempts.append(_attempt(url, kind, started_at, t0, status, None, size, headers))
        return result


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


@dataclass(frozen=True, slots=True)
class _Response:
    status_code: int
    body: bytes
    headers: httpx.Headers

    @classmethod
    def of(cls, response: httpx.Response, body: bytes) -> _Response:
        return cls(response.status_code, body, response.headers)

    def _header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return str(value) if value is not None else None

    @property
    def content_type(self) -> str | None:
        return self._header("content-type")

    @property
    def etag(self) -> str | None:
        return self._header("etag")

    @property
    def last_modified(self) -> str | None:
        return self._header("last-modified")

    @property
    def retry_after(self) -> str | None:
        return self._header("retry-after")


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The decoded body, refusing more than max_bytes while streaming (and before, by Content-Length)."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _Failed("skipped", f"body of {int(declared):,} bytes exceeds max_bytes={max_bytes:,}")
    chunks, total = [], 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise _Failed("skipped", f"body exceeds max_bytes={max_bytes:,}")
        chunks.append(chunk)
    return b"".join(chunks)


# A connection goes back to the pool only once its response has been read to the end. Unread, a 304 (empty
# body) or a small error page closed it: every conditional re-check of a second run opened a new connection.
DRAIN_LIMIT = 64 * 1024


async def _drain(response: httpx.Response) -> None:
    """Read and drop a body we do not keep, so the connection can be reused.

    Only a 304 (no body) or a body that declares a small Content-Length: an unknown or large one closes the
    connection instead, and reading the body never turns the status we already have into a failure.
    """
    declared = response.headers.get("content-length", "")
    if response.status_code != 304 and not (declared.isdigit() and int(declared) <= DRAIN_LIMIT):
        return
    try:
        async for _ in response.aiter_raw():
            pass
    except httpx.HTTPError:
        return  # the body is dropped either way; httpx closes the connection it could not finish reading


def _attempt(
    url: str,
    kind: Kind,
    started_at: datetime,
    t0: float,
    status: int | None,
    error: str | None,
    size: int,
    headers: dict[str, str],
) -> Attempt:
    elapsed_ms = int((time.perf_counter() - t0) * 1000)
    return Attempt(url, kind, started_at, status, error, elapsed_ms, size, conditional=bool(headers))


def _conditional_headers(validators: Validators | None) -> dict[str, str]:
    headers = {}
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _content_type_problem(kind: Kind, content_type: str | None) -> str | None:
    """Why a 200 response is not what this kind of URL should return, or None if it is fine."""
    if content_type is None or kind == "robots":
        return None
    mime = content_type.split(";")[0].strip().lower()
    if kind in ("article", "page") and mime not in HTML_TYPES:
        return f"content type {mime!r} is not HTML"
    if kind in ("feed", "sitemap") and mime.startswith(NOT_XML_TYPES):
        return f"content type {mime!r} is not XML"
    return None


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


async def _blocked_reason(hostname: str, allow_hosts: Iterable[str]) -> str | None:
    """Why fetching this host is refused (SSRF guard), or None when every address it resolves to is public."""
    allow = tuple(allow_hosts)
    if hostname.lower() in {a.lower() for a in allow if "/" not in a}:
        return None
    networks = [ipaddress.ip_network(a, strict=False) for a in allow if "/" in a]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(hostname, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve {hostname!r}: {exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if any(address in n for n in networks):
            continue
        if not address.is_global or address.is_multicast:
            return (
                f"{hostname!r} resolves to non-public address {address}; "
                "pass --allow-private or list it in settings.allow_hosts"
            )
    return None
