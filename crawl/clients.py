"""The run's HTTP clients: one httpx.AsyncClient per host and fetch policy, direct or through a proxy.

One pool per host rather than one for the run: httpcore checks every pooled connection on each request (a
getpeername() and a poll per connection), which with 32 connections across hosts cost about a fifth of the
flow process's time in the 2,900-page benchmark. Sources with their own user agent, headers, cookies, proxy
or timeouts get their own client for a host. Redirects are never followed by a client (the fetcher follows
them by hand, so every hop passes the address guard).

Direct connections go only to the addresses the address guard checked (crawl.addresses.PinnedTransport), so
a DNS answer that changes between the check and the connection cannot reach an address nobody checked. A
request through a proxy connects to the proxy, which resolves the target itself: the guard has still
checked the target by resolving it before the request, but a rebinding between that lookup and the
proxy's is not caught. That is the trade-off of a forward proxy (the proxy is the network's own guard).
httpx ignores the proxy environment variables once a transport is passed, so crawl.proxies decides here.
"""

from __future__ import annotations

import asyncio
from http.cookiejar import Cookie, CookieJar

import httpx

from crawl.addresses import AddressGuard, PinnedTransport
from crawl.policy import FetchPolicy
from crawl.proxies import ProxyEnvironment, proxy_for


class Clients:
    """Creates and keeps the run's clients; `aclose` closes them all."""

    def __init__(self, *, guard: AddressGuard | None, proxies: ProxyEnvironment) -> None:
        self._guard = guard
        self._proxies = proxies
        self._ssl = httpx.create_ssl_context()  # one CA bundle load for all the hosts' clients
        self._clients: dict[tuple[str, FetchPolicy], httpx.AsyncClient] = {}

    def proxy(self, target: httpx.URL, policy: FetchPolicy) -> str | None:
        """The proxy a request to `target` goes through under `policy`, or None (direct)."""
        port = target.port or (443 if target.scheme == "https" else 80)
        host = target.raw_host.decode("ascii")
        return proxy_for(target.scheme, host, port, configured=policy.proxy, environment=self._proxies)

    def client(self, origin: str, target: httpx.URL, policy: FetchPolicy) -> httpx.AsyncClient:
        """The client for requests to `origin` (scheme://host:port) under `policy`."""
        key = (origin, policy)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._new_client(self.proxy(target, policy), policy)
        return client

    async def aclose(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients.values()))

    def _new_client(self, proxy: str | None, policy: FetchPolicy) -> httpx.AsyncClient:
        timeout = httpx.Timeout(
            connect=policy.connect_timeout, read=policy.read_timeout, write=10.0, pool=policy.total_timeout
        )
        size = policy.per_host_concurrency
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        transport: httpx.AsyncHTTPTransport
        if proxy is not None:
            transport = httpx.AsyncHTTPTransport(retries=1, limits=limits, verify=self._ssl, proxy=proxy)
        elif self._guard is None:
            transport = httpx.AsyncHTTPTransport(retries=1, limits=limits, verify=self._ssl)
        else:
            transport = PinnedTransport(self._guard, retries=1, limits=limits, verify=self._ssl)
        cookies = httpx.Cookies(BoundedCookieJar())
        for name, value in policy.cookies:
            cookies.set(name, value)
        return httpx.AsyncClient(
            timeout=timeout,
            limits=limits,
            headers=policy.request_headers,
            cookies=cookies.jar,
            follow_redirects=False,
            transport=transport,
        )


class BoundedCookieJar(CookieJar):
    """The cookies one host's servers set during a run, kept within a browser's limits (RFC 6265 6.1: 50 cookies
    and 4,096 bytes each): a site setting 300 cookies a page had grown every later request's Cookie header by
    17 kB a page, to 610 kB, until its own server refused them all. A cookie past the limits is not kept; one
    that replaces a kept one (same domain, path and name) always is."""

    MAX_COOKIES = 50
    MAX_COOKIE_BYTES = 4096

    def set_cookie(self, cookie: Cookie) -> None:
        if len(cookie.name) + len(cookie.value or "") > self.MAX_COOKIE_BYTES:
            return
        replaces = cookie.name in self._cookies.get(cookie.domain, {}).get(cookie.path, {})  # type: ignore[attr-defined]
        if replaces or len(self) < self.MAX_COOKIES:
            super().set_cookie(cookie)
