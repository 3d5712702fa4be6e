"""The fetcher: one URL's way from a checked address to its outcome, through redirects and retries.

Every attempt is returned as an `Attempt` so the caller can write it to `fetches`; a URL's final outcome is a
`Fetched` with a `Reason` when it is not ok. `Fetcher.fetch` never raises for a URL: whatever one URL's
address, server or headers do ends as that URL's outcome and row, and the batch goes on. The other jobs sit
in their own modules and are shared by the run's fetchers (one per source policy, `for_source`): the address
guard (crawl.addresses), robots.txt (crawl.robots), politeness (crawl.politeness), the HTTP clients and
proxies (crawl.clients, crawl.proxies), and what is accepted from a server (crawl._http). No Prefect and no
DuckDB here, so this is tested against loopback servers.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import random
import re
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import httpx

from crawl._http import (
    REASONS,
    Answer,
    BodyCutShort,
    FetchFailure,
    Kind,
    Outcome,
    Reason,
    body_cap,
    checked_url,
    conditional_headers,
    content_type_problem,
    drain,
    parse_retry_after,
    read_capped,
    redirect_target,
    refresh_target,
    whole_range,
)
from crawl.addresses import AddressGuard, Resolver
from crawl.clients import Clients
from crawl.policy import RUN_FIELDS, FetchPolicy
from crawl.politeness import Politeness, RequestTrace
from crawl.proxies import NO_PROXY_ENVIRONMENT, ProxyEnvironment
from crawl.robots import ROBOTS_REDIRECTS, RobotsCache

__all__ = ["REASONS", "Attempt", "Fetched", "Fetcher", "FetchPolicy", "Kind", "Outcome", "Reason", "Validators"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SKIP_STATUSES = frozenset({401, 403, 404, 410, 451})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Answers with the page in their body: 203 is a 200 a transforming proxy passed on; 206 counts only when its
# Content-Range is the whole page (we ask for no range; some servers send one anyway).
BODY_STATUSES = frozenset({200, 203, 206})


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
    # The final exchange as it went over the wire (for the WARC archive): request and response headers.
    headers: tuple[tuple[str, str], ...] = ()
    request_headers: tuple[tuple[str, str], ...] = ()
    http_version: str = "HTTP/1.1"
    # When the response was received, if not during this run: an archived response's WARC-Date (ingest-warc).
    fetched_at: datetime | None = None
    # Why a feed's or sitemap's body ends early: the connection broke mid-body on every try, and the entries
    # before the break are read (the outcome is "ok"; no validators are kept, so the next run asks for it whole).
    cut_short: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def received_at(self, now: datetime) -> datetime:
        """When the page was received: `fetched_at` for an archived response, else now; never after now (a
        record dated in the future would make every later fetch of the page look older)."""
        return min(self.fetched_at, now) if self.fetched_at else now


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


# A host that refused this many connections in a row, or left the requests on them unanswered, with no answer
# between them, is left alone for the rest of the run: one that went down mid-run cost each of its remaining
# URLs every retry and its Crawl-delay (190 URLs, a 1 s delay, 3 tries: 3.5 minutes of nothing). The next run
# tries it again.
HOST_DOWN_AFTER = 6


@dataclass(slots=True)
class _Shared:
    """What every fetcher of a run shares: the guard, the clients, politeness and robots.txt, and the
    connections each origin refused in a row."""

    guard: AddressGuard | None
    clients: Clients
    politeness: Politeness
    robots: RobotsCache
    refused: dict[tuple[str, _Group], int] = field(default_factory=dict)


class Fetcher:
    """Fetches URLs politely: robots.txt first, per-host limits and delays, a global limit."""

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        resolver: Resolver | None = None,
        proxies: ProxyEnvironment = NO_PROXY_ENVIRONMENT,
    ) -> None:
        """`resolver` answers a host's addresses for the address guard (unused with allow_private; by default the
        system's, AddressGuard);
        `proxies` are the environment's (ProxyEnvironment.from_environ), used where policy.proxy is None."""
        self.policy = policy
        guard = (
            None
            if policy.allow_private
            else AddressGuard(allow_hosts=policy.allow_hosts, resolver=resolver, timeout=policy.connect_timeout)
        )
        self._shared = _Shared(
            guard,
            Clients(guard=guard, proxies=proxies),
            Politeness(policy.concurrency),
            RobotsCache(self._fetch_robots),
        )

    def for_source(self, policy: FetchPolicy) -> Fetcher:
        """A fetcher for one source's policy that shares this run's guard, clients, politeness and robots.txt."""
        differing = [name for name in RUN_FIELDS if getattr(policy, name) != getattr(self.policy, name)]
        if differing:
            raise ValueError(f"a source cannot change the run's {', '.join(differing)}; set them in [settings]")
        other = copy.copy(self)
        other.policy = policy
        return other

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._shared.robots.cancel()
        if self._shared.guard is not None:
            self._shared.guard.close()
        await self._shared.clients.aclose()

    def take_robots_responses(self) -> list[Fetched]:
        """The robots.txt responses of the run since the last call, for the caller to record in `fetches`."""
        return self._shared.robots.take_responses()

    async def fetch(
        self, url: str, *, kind: Kind, validators: Validators | None = None, attempts: list[Attempt] | None = None
    ) -> Fetched:
        """Fetch one URL: robots check, redirects, retries. Never raises: a failure is the URL's outcome.

        `attempts`: a list of the caller's that gets each attempt as it ends, so that a caller who cancels the fetch
        (a source's time budget) still has the requests it made.
        """
        trail = _Trail(url, url, attempts if attempts is not None else [])
        try:
            return await self._follow(trail, kind, validators)
        except FetchFailure as exc:
            failure = exc
        except Exception as exc:  # per-URL boundary: whatever one URL's address or server causes stays its own
            failure = FetchFailure.of(exc)
        return trail.failed(kind, failure)

    async def robots_sitemaps(self, url: str) -> tuple[str, ...]:
        """The sitemaps the robots.txt of url's host lists (its Sitemap lines): fetched first if not yet this run.

        Empty when robots.txt could not be read, or url is no address we may fetch (fetching url itself records
        why)."""
        try:
            target = checked_url(url)
            await self._guard_address(target.raw_host.decode("ascii"))
        except FetchFailure:
            return ()
        origin = f"{target.scheme}://{target.netloc.decode('ascii')}"
        pace = self._shared.politeness.pace(origin, self.policy)
        return await self._shared.robots.sitemaps(origin, self.policy, pace)

    async def _fetch_robots(self, url: str, policy: FetchPolicy) -> Fetched:
        return await self.for_source(policy).fetch(url, kind="robots")

    async def _follow(self, trail: _Trail, kind: Kind, validators: Validators | None) -> Fetched:
        seen, revisited = {trail.url}, set[str]()
        # RFC 9309 2.3.1.2: robots.txt redirects are followed for at least five hops, whatever max_redirects says.
        hops = max(self.policy.max_redirects, ROBOTS_REDIRECTS) if kind == "robots" else self.policy.max_redirects
        for _ in range(hops + 1):
            response = await self._get_with_retries(trail.current, kind, validators, trail.attempts)
            if response.status_code in REDIRECT_STATUSES:
                trail.current = redirect_target(trail.current, response)
            elif kind in ("article", "page") and (refresh := refresh_target(trail.current, response)) is not None:
                trail.current = refresh  # a page that sends the browser on at once: a redirect
            else:
                return self._finish(trail, kind, response)
            if trail.current in seen:
                # A site that sets a cookie and sends the browser back to the same address (a consent or session
                # check) answers the second visit; without the cookie it is a loop.
                if trail.current in revisited or not response.headers.get_list("set-cookie"):
                    raise FetchFailure("failed", f"redirect loop back to {trail.current!r}", reason="redirects")
                revisited.add(trail.current)
            seen.add(trail.current)
            validators = None  # validators belong to the original URL only
        raise FetchFailure("failed", f"more than {hops} redirects", reason="redirects")

    def _finish(self, trail: _Trail, kind: Kind, response: Answer) -> Fetched:
        status = response.status_code
        # The final exchange as a 304's outcome; a 200 adds its body and validators below.
        exchange = Fetched(
            trail.url,
            kind,
            "not_modified",
            trail.current,
            status,
            attempts=tuple(trail.attempts),
            headers=response.header_pairs,
            request_headers=response.request_header_pairs,
            http_version=response.http_version,
        )
        if status == 304 and (kind == "robots" or _conditional(response)):  # robots.txt: as robots.py reads it
            return exchange
        if status == 304:  # "not modified" since nothing: the page would count as unchanged run after run, unread
            message = "HTTP 304 Not Modified to a request that asked nothing conditional"
            raise FetchFailure("failed", message, reason="http_status", status=status)
        ranged = response.headers.get("content-range")
        if status == 206 and not whole_range(ranged, len(response.body)):
            message = f"HTTP 206 Partial Content (Content-Range {ranged!r}) to a request for the whole page"
            raise FetchFailure("failed", message, reason="http_status", status=status)
        if status not in BODY_STATUSES:
            outcome: Outcome = "skipped" if status in SKIP_STATUSES else "failed"
            raise FetchFailure(outcome, f"HTTP {status}", reason="http_status", status=status)
        ctype = response.content_type
        problem = content_type_problem(kind, ctype)
        if problem:
            raise FetchFailure("skipped", problem, reason="type", status=status)
        if not response.body:
            raise FetchFailure("skipped", "empty body", reason="empty", status=status)
        whole = response.cut_short is None
        return dataclasses.replace(
            exchange,
            outcome="ok",
            body=response.body,
            content_type=ctype,
            etag=response.etag if whole else None,
            last_modified=response.last_modified if whole else None,
            cut_short=response.cut_short,
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
                    if exc.partial is not None:  # a listing cut short on every try: its first entries
                        return exc.partial
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
        await self._guard_address(target.raw_host.decode("ascii"))  # the target's host, proxy or not
        origin = f"{target.scheme}://{target.netloc.decode('ascii')}"
        shared = self._shared
        self._unless_down(origin, kind)
        pace = shared.politeness.pace(origin, self.policy)
        if kind != "robots":
            # Checked as sent (httpx percent-encodes the path), the form robots.txt rules are matched against.
            await shared.robots.check(origin, str(target), self.policy, pace)
        client = shared.clients.client(origin, target, self.policy)
        async with shared.politeness.turn(pace) as trace:
            self._unless_down(origin, kind)  # again: the host may have gone down while this URL waited its turn
            try:
                response = await self._get_once(client, trace, url, kind, validators, attempts)
            except (_Retryable, FetchFailure) as exc:
                cause = exc.__cause__  # (a cause only when no status line came)
                if isinstance(cause, _NO_ANSWER):
                    for group in _GROUPS if isinstance(cause, _NO_CONNECTION) else (_group(kind),):
                        shared.refused[origin, group] = shared.refused.get((origin, group), 0) + 1
                raise
            for group in _GROUPS:  # it answered
                shared.refused.pop((origin, group), None)
            retry_after = parse_retry_after(response.retry_after) if response.status_code in RETRY_STATUSES else None
            if retry_after is not None:
                # "Come back in n seconds" speaks for the host, not the URL: its other URLs wait too (each went on
                # at the host's pace, 20 requests within a Retry-After of 8 s).
                pace.pause(min(retry_after, self.policy.max_retry_after))
            return response

    def _unless_down(self, origin: str, kind: Kind) -> None:
        """Raise if the host refused or left unanswered HOST_DOWN_AFTER requests (of this kind's group) in a row
        this run."""
        group = _group(kind)
        refused = self._shared.refused.get((origin, group), 0)
        if refused >= HOST_DOWN_AFTER:
            requests = "feed and sitemap requests" if group == "listings" else "requests"
            message = (
                f"{origin} refused or left unanswered its last {refused} {requests} this run: "
                "left alone until the next run"
            )
            raise FetchFailure("failed", message, reason="network")

    async def _guard_address(self, hostname: str) -> None:
        guard = self._shared.guard
        if guard is None:
            return
        check = await guard.check(hostname)
        if check.refusal is not None:
            outcome: Outcome = "failed" if check.reason == "dns" else "skipped"  # a DNS failure may pass
            raise FetchFailure(outcome, check.refusal, reason=check.reason or "guard")

    async def _get_once(
        self,
        client: httpx.AsyncClient,
        trace: RequestTrace,
        url: str,
        kind: Kind,
        validators: Validators | None,
        attempts: list[Attempt],
    ) -> Answer:
        """One GET, recorded as one Attempt whatever happens; a connection-level failure raises _Retryable."""
        headers = conditional_headers(validators.etag, validators.last_modified) if validators else {}
        started_at, t0 = datetime.now(UTC), time.perf_counter()
        status: int | None = None
        size = 0
        failure: FetchFailure | None = None
        retryable = False
        caught: BaseException | None = None
        partial: Answer | None = None
        try:
            # The total timeout bounds one request, so a trickling body cannot hold a slot for long.
            async with asyncio.timeout(self.policy.total_timeout):
                async with client.stream("GET", url, headers=headers, extensions={"trace": trace}) as response:
                    status = response.status_code
                    body = b""
                    if status in BODY_STATUSES:
                        cap = body_cap(kind, self.policy.max_bytes)
                        try:
                            body = await read_capped(
                                response, cap, cut=kind == "robots", partial=kind in _LISTINGS and status == 200
                            )
                        except BodyCutShort as cut:
                            why = f"{_described(cut.cause)}, after {len(cut.body):,} bytes of the body"
                            partial = dataclasses.replace(Answer.of(response, cut.body), cut_short=why)
                            raise cut.cause from None
                        size = len(body)
                    else:
                        await drain(response)
                    result = Answer.of(response, body)
        except FetchFailure as exc:
            failure = exc
        except (TimeoutError, httpx.HTTPError, httpx.InvalidURL) as exc:
            if _refused_location(exc):  # an answer came, and httpx refused its Location: its status is in the trace
                status = trace.status
            failure, retryable, caught = *self._failure(exc, status, location=trace.location), exc
        elapsed_ms = int((time.perf_counter() - t0) * 1000)
        error, reason = (str(failure), failure.reason) if failure else (None, None)
        attempts.append(Attempt(url, kind, started_at, status, error, elapsed_ms, size, bool(headers), reason))
        # What kept the request from an answer (HOST_DOWN_AFTER): not an answer h11 refused, which is an answer.
        cause = caught if status is None and not _answered(caught) else None
        if retryable:
            raise _Retryable(error, partial) from cause
        if failure is not None:
            if partial is not None:
                return partial
            raise failure from cause
        return result

    def _failure(
        self, exc: TimeoutError | httpx.HTTPError | httpx.InvalidURL, status: int | None, *, location: str | None = None
    ) -> tuple[FetchFailure, bool]:
        """What an exception of one GET means for the URL, and whether another try may help."""
        policy = self.policy
        if isinstance(exc, TimeoutError):
            message = f"no complete response within total_timeout={policy.total_timeout:g} s"
            return FetchFailure("failed", message, reason="timeout", status=status), False
        if isinstance(exc, httpx.ConnectTimeout):
            message = f"ConnectTimeout: no connection within connect_timeout={policy.connect_timeout:g} s"
        elif isinstance(exc, httpx.ReadTimeout):
            message = f"ReadTimeout: no data within read_timeout={policy.read_timeout:g} s"
        elif isinstance(exc, httpx.TimeoutException):
            message = f"{type(exc).__name__}: {exc or 'timed out'}"
        elif isinstance(exc, httpx.DecodingError):
            return FetchFailure("failed", f"DecodingError: {exc}", reason="decoding", status=status), False
        elif _refused_location(exc):
            # Our URL was checked, so this is httpx preparing the redirect its answer's Location names (it
            # does so even when not following): `Location: http:x` raises here, before the response is ours,
            # and `http://0177.0.0.1/` as a RemoteProtocolError. Asking again gets the same Location.
            answer = f"redirect {status}" if status is not None else "redirect"
            named = f" {location!r}" if location is not None else ""
            message = f"{answer} to an invalid Location{named}: {exc}"
            return FetchFailure("failed", message, reason="redirects", status=status), False
        elif _malformed_answer(exc):
            # An answer came, but not one h11 reads ("Cache-Control : max-age=60", a header line with no colon);
            # browsers and curl read it. The same answer comes back on every try, and the host is no less up.
            message = f"the server's answer is not valid HTTP/1.1 (browsers tolerate it; we do not): {_described(exc)}"
            return FetchFailure("failed", message, reason="network", status=status), False
        elif (unresolved := _name_error(exc)) is not None:
            # Where the address guard is off (allow_private), httpx resolves the name: a failure said "network"
            # and was tried again, where the guard says "dns" and does not.
            message = f"cannot resolve {_host_of(exc)!r}: {unresolved.strerror or unresolved}"
            return FetchFailure("failed", message, reason="dns", status=status), False
        else:
            return FetchFailure("failed", _described(exc), reason="network", status=status), True
        return FetchFailure("failed", message, reason="timeout", status=status), False


def _malformed_answer(exc: BaseException | None) -> bool:
    """Whether h11 refused the head of an answer that came (a header line it calls illegal, two Content-Lengths, a
    megabyte of headers, a 101 nobody asked for): the server sends it again on every try."""
    return isinstance(exc, httpx.RemoteProtocolError) and _MALFORMED.search(str(exc)) is not None


def _answered(exc: BaseException | None) -> bool:
    """Whether some answer came before h11 refused it, rather than the connection ending before one did. Bytes an
    earlier answer left on a reused connection ("no response line received") are worth another try, but they are
    no sign of a host down either."""
    return isinstance(exc, httpx.RemoteProtocolError) and _CUT_OFF.search(str(exc)) is None


# h11's words for an answer's head it will not read (its LocalProtocolError messages, passed on by httpcore).
_MALFORMED = re.compile(
    r"illegal (?:header|status) line|illegal chunk|malformed|invalid (?:header|status)|content-length"
    r"|receive buffer too long"
    r"|transfer-encoding|_SWITCH_UPGRADE",
    re.IGNORECASE,
)
# httpcore's and h11's words for a connection that ended ("Server disconnected without sending a response", "peer
# closed connection without sending complete message body").
_CUT_OFF = re.compile(r"disconnected|closed|peer state is ERROR", re.IGNORECASE)


def _host_of(exc: BaseException) -> str:
    try:
        return exc.request.url.host if isinstance(exc, httpx.RequestError) else "?"
    except RuntimeError:  # an httpx error raised without its request
        return "?"


def _name_error(exc: BaseException) -> socket.gaierror | None:
    """The name-resolution failure under a connection error (httpx -> httpcore -> socket.gaierror), if any."""
    seen: BaseException | None = exc
    for _ in range(8):  # a chain of causes, bounded
        if seen is None:
            return None
        if isinstance(seen, socket.gaierror):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _described(exc: BaseException) -> str:
    """`Type: message` of a network error, never an empty message: a reset connection raises ReadError("")."""
    detail = str(exc) or str(exc.__context__ or "") or _NO_DETAIL.get(type(exc).__name__, "no detail given")
    return f"{type(exc).__name__}: {detail}"


_NO_DETAIL = {
    "ReadError": "the connection broke (reset or closed) while reading the response",
    "WriteError": "the connection broke (reset or closed) while sending the request",
    "RemoteProtocolError": "the server broke the HTTP protocol",
}


def _refused_location(exc: BaseException) -> bool:
    """Whether httpx raised for the Location of an answer (InvalidURL, or a RemoteProtocolError it words so)."""
    return isinstance(exc, httpx.InvalidURL) or _bad_location(exc)


def _bad_location(exc: BaseException) -> bool:
    """Whether httpx refused the answer for its Location header (a RemoteProtocolError it words so)."""
    return isinstance(exc, httpx.RemoteProtocolError) and "invalid url in location header" in str(exc).lower()


class _Retryable(Exception):
    """Internal: a connection-level failure worth another try; `partial`, a listing's body up to it."""

    def __init__(self, message: str | None, partial: Answer | None = None) -> None:
        super().__init__(message)
        self.partial = partial


# Kinds whose body is read up to a broken connection: a feed's or a sitemap's entries before it are whole, where
# a page cut short is no page.
_LISTINGS = frozenset({"feed", "sitemap"})


def _conditional(response: Answer) -> bool:
    """Whether the request that got this answer carried a validator (If-None-Match or If-Modified-Since)."""
    return any(name.lower() in ("if-none-match", "if-modified-since") for name, _ in response.request_header_pairs)


# A host's feeds and sitemaps, and its pages, are counted toward HOST_DOWN_AFTER apart: a site whose sitemaps take
# longer than read_timeout to generate answers its articles at once, but seven slow sitemaps made it "down", and
# its articles were never asked for, run after run (a review, 2026-12). No connection at all counts for both.
_Group = Literal["listings", "pages"]
_GROUPS: tuple[_Group, ...] = ("listings", "pages")
_NO_CONNECTION = (httpx.ConnectError, httpx.ConnectTimeout)


def _group(kind: Kind) -> _Group:
    return "listings" if kind in ("feed", "sitemap") else "pages"


# What counts toward HOST_DOWN_AFTER: no connection at all (refused, unreachable, or none within connect_timeout),
# or a connection with no answer (no status line within read_timeout or total_timeout: a dead backend behind a
# live load balancer cost a read_timeout a URL, every URL of the source).
# A host that takes the connection and closes or resets it before a status line ("Server disconnected without
# sending a response", ReadError) answers no better: each such URL was tried retries + 1 times.
_NO_ANSWER = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    TimeoutError,
    httpx.RemoteProtocolError,
    httpx.ReadError,
)
