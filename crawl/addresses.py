"""The address guard: resolve a host once, judge every address, and connect only to the addresses judged.

A host name is resolved once per run. If any of its addresses is not public (private, loopback, link-local,
multicast, reserved; an IPv6 form that embeds an IPv4 address is judged as that IPv4), the host is refused.
Otherwise its addresses are pinned: the transport built here dials them and never resolves the name again,
so a DNS answer that changes between the check and the connection (DNS rebinding) cannot reach an address
nobody checked. The URL, the Host header and TLS SNI keep the host name. No Prefect and no DuckDB; nothing
here sends a request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import httpcore
import httpx

from extractors.urls import ascii_host

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Answers the addresses (as text) a host name resolves to; raises OSError when it does not resolve.
Resolver = Callable[[str], Awaitable[Sequence[str]]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: the IPv4 address is the last 32 bits
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use prefix, any RFC 6052 prefix length
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d (RFC 4291 2.5.5.1)
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT's ::ffff:0:a.b.c.d (RFC 2765 2.1)
# Where RFC 6052 puts the IPv4 address's four bytes for each prefix length up to /96 (byte 8 is always zero).
_RFC6052_BYTES = ((6, 7, 9, 10), (7, 9, 10, 11), (9, 10, 11, 12), (12, 13, 14, 15))


# Lookups a run has under way at once, each on a thread of its run's own. getaddrinfo holds its thread until the
# name's servers answer or the stub resolver gives up (glibc: 5 s per server and attempt, two attempts; longer behind
# a recursive resolver that retries), and a wait given up does not free the thread. On asyncio's default executor
# (min(32, cpus + 4) threads: 6 on two cores, shared with every to_thread) eight lookups of one black-holed domain
# took every thread, and each host the run met in the next 15 s waited in the queue past the guard's timeout and
# was refused for the whole run (a security review, 2026-12). So each guard has a pool of its own, holds one of
# its threads per lookup until the lookup itself ends, and times a lookup from when it has a thread.
LOOKUP_THREADS = 32


def system_lookup(host: str) -> list[str]:
    """The host's addresses from the operating system's resolver, in its order, without repeats (blocking)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 transition form carries (mapped, translated, compatible, NAT64, 6to4, Teredo),
    else []."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.teredo is not None:
        return [address.teredo[1]]  # the client, stored inverted (the stdlib undoes the XOR with 0xffffffff)
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address in _NAT64 or address in _IPV4_COMPATIBLE or address in _IPV4_TRANSLATED:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address in _NAT64_LOCAL:
        # The prefix length in use is the operator's choice: every placement it allows is judged.
        packed = address.packed
        return [ipaddress.IPv4Address(bytes(packed[i] for i in places)) for places in _RFC6052_BYTES]
    return []


def refused_address(address: IPAddress) -> IPAddress | None:
    """The address that makes `address` unfetchable (itself, or the IPv4 it embeds), or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address) and not (address.is_loopback or address.is_unspecified):
        embedded = embedded_ipv4(address)
        if embedded:
            return next((v4 for v4 in embedded if _not_public(v4)), None)
    return address if _not_public(address) else None


def _not_public(address: IPAddress) -> bool:
    # The stdlib calls IANA's reserved IPv6 ranges and the deprecated site-local fec0::/10 global.
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    return not address.is_global or address.is_multicast or address.is_reserved or site_local


@dataclass(frozen=True, slots=True)
class HostCheck:
    """What the guard decided about one host name: the addresses to connect to, or why it is refused.

    No addresses and no refusal: the name is trusted by `allow_hosts` and resolved when connecting.
    """

    host: str
    addresses: tuple[str, ...] = ()
    refusal: str | None = None
    reason: Literal["guard", "dns"] | None = None


class AddressGuard:
    """Resolves each host once per run, refuses non-public ones and pins the addresses of the others."""

    def __init__(self, *, allow_hosts: Iterable[str] = (), resolver: Resolver | None = None, timeout: float) -> None:
        """`resolver`: None for the system's (system_lookup, on LOOKUP_THREADS threads of the guard's own)."""
        allow = tuple(allow_hosts)
        # A name or an address listed alone allows URLs that name it; a network (a /32 for one address) allows the
        # addresses names resolve to: listing 127.0.0.1 for one local service lets no name point at it.
        self._names = {_name_key(a) for a in allow if "/" not in a}
        self._networks = [ipaddress.ip_network(a, strict=False) for a in allow if "/" in a]
        self._resolver = resolver
        self._pool = ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="copydesk-dns") if resolver is None else None
        self._timeout = timeout
        # One check per host, shared by every request to it (tasks, so concurrent first requests share it too).
        self._checks: dict[str, asyncio.Task[HostCheck]] = {}
        self._waiting: dict[str, int] = {}
        self._pinned: dict[str, tuple[str, ...]] = {}
        # One lookup per host: it goes on after a request stopped waiting for it, and the next request waits
        # for the same lookup again. A slot is held until the lookup itself ends, not the wait for it.
        self._lookups: dict[str, asyncio.Task[Sequence[str]]] = {}
        self._lookup_slots = asyncio.Semaphore(LOOKUP_THREADS)

    async def check(self, host: str) -> HostCheck:
        """The guard's decision for `host` (an IP literal or an ASCII host name), looked up once."""
        task = self._checks.get(host)
        if task is None:
            task = self._checks[host] = asyncio.ensure_future(self._check(host))
        self._waiting[host] = self._waiting.get(host, 0) + 1
        try:
            return await asyncio.shield(task)
        finally:
            self._waiting[host] -= 1
            if not self._waiting[host] and not task.done():
                # Every request that wanted it was cancelled (a source's time budget): a check still queued for
                # a lookup slot would start a lookup nobody waits for. A lookup under way goes on.
                task.cancel()
                if self._checks.get(host) is task:
                    del self._checks[host]

    def pinned(self, host: str) -> tuple[str, ...] | None:
        """The checked addresses to dial for `host`; () when trusted by name; None when never checked."""
        return self._pinned.get(host)

    async def _check(self, host: str) -> HostCheck:
        if _name_key(host) in self._names:
            self._pinned[host] = ()
            return HostCheck(host)
        try:
            addresses = [ipaddress.ip_address(host)]  # an IP literal is its own answer
        except ValueError:
            addresses = []
        try:
            if not addresses:
                lookup = await self._lookup(host)
                waited = asyncio.timeout(self._timeout)
                try:
                    async with waited:
                        answers = list(await asyncio.shield(lookup))
                except TimeoutError:
                    if not waited.expired():
                        raise  # the resolver's own answer, a failure like any other
                    # Not this run's answer for the host: its lookup goes on, and the next request waits for it again.
                    del self._checks[host]
                    silent = f"cannot resolve {host!r}: no answer within {self._timeout:g} s"
                    return HostCheck(host, refusal=silent, reason="dns")
                addresses = [ipaddress.ip_address(a) for a in answers]
        except (OSError, UnicodeError, ValueError) as exc:
            return HostCheck(host, refusal=f"cannot resolve {host!r}: {exc or 'no answer'}", reason="dns")
        if not addresses:
            return HostCheck(host, refusal=f"cannot resolve {host!r}: no addresses", reason="dns")
        for address in addresses:
            refused = self._refused(address)
            if refused is not None:
                embeds = f" (which embeds {refused})" if refused != address else ""
                # A review: with allow_hosts = ["127.0.0.1"], "localhost" was told to list what was listed.
                hint = (
                    f"{refused} is listed in settings.allow_hosts as a host URLs name; list {refused}/"
                    f"{refused.max_prefixlen} there to allow the names that resolve to it"
                    if _name_key(str(refused)) in self._names
                    else "pass --allow-private or list it in settings.allow_hosts"
                )
                return HostCheck(
                    host, refusal=f"{host!r} resolves to non-public address {address}{embeds}; {hint}", reason="guard"
                )
        self._pinned[host] = tuple(str(a) for a in addresses)
        return HostCheck(host, addresses=self._pinned[host])

    async def _lookup(self, host: str) -> asyncio.Task[Sequence[str]]:
        """The host's lookup: under way, ended, or started once a slot is free (the wait for a slot is not timed)."""
        lookup = self._lookups.get(host)
        if lookup is None:
            await self._lookup_slots.acquire()
            try:
                lookup = self._lookups.get(host)  # another request may have started it while this one waited
                if lookup is not None:
                    self._lookup_slots.release()
                    return lookup
                lookup = self._lookups[host] = asyncio.ensure_future(self._resolve(host))
            except BaseException:
                self._lookup_slots.release()
                raise
            lookup.add_done_callback(lambda _: self._lookup_slots.release())
        return lookup

    async def _resolve(self, host: str) -> Sequence[str]:
        if self._resolver is not None:
            return await self._resolver(host)
        return await asyncio.get_running_loop().run_in_executor(self._pool, system_lookup, host)

    def close(self) -> None:
        """Stops the checks and lookups under way and starts no more (a lookup's thread ends with the system
        resolver's own timeout)."""
        for task in [*self._checks.values(), *self._lookups.values()]:
            task.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _refused(self, address: IPAddress) -> IPAddress | None:
        """The address that makes `address` unfetchable under `allow_hosts` (itself, or an IPv4 address it embeds),
        or None. A listed network lets in its addresses and the IPv6 forms embedding one (NAT64, 6to4, mapped)
        whose other embedded IPv4 addresses are listed or public: a review (2026-12) found an address embedding a
        listed 10.0.0.5 in one NAT64 layout and 192.168.1.1 in another allowed."""
        if self._listed(address):
            return None
        embedded = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else []
        if any(self._listed(a) for a in embedded):
            return next((a for a in embedded if not self._listed(a) and refused_address(a) is not None), None)
        return refused_address(address)

    def _listed(self, address: IPAddress) -> bool:
        return any(address in n for n in self._networks if address.version == n.version)


def _name_key(host: str) -> str:
    """A host name as the guard compares it: in ASCII as URLs reach it ("bücher.example" is xn--bcher-kva.example
    in a request), lowercase, without the root's dot."""
    try:
        name = ascii_host(host)
    except UnicodeError:  # not a name any URL can reach: kept as written, it matches nothing
        name = host
    return name.lower().rstrip(".")


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, dialling the guard's pinned addresses instead of resolving the host name."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = self._guard.pinned(host)
        if addresses is None:
            raise httpcore.ConnectError(f"{host!r} was not checked by the address guard; refusing to connect")
        options = dict(timeout=timeout, local_address=local_address, socket_options=socket_options)
        if not addresses:  # trusted by name (allow_hosts)
            return await self._inner.connect_tcp(host, port, **options)  # type: ignore[arg-type]
        *others, last = addresses
        for address in others:  # in the resolver's order, the next one when a connection fails
            try:
                return await self._inner.connect_tcp(address, port, **options)  # type: ignore[arg-type]
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue
        return await self._inner.connect_tcp(last, port, **options)  # type: ignore[arg-type]

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport whose connections go only to the addresses the guard checked."""

    def __init__(self, guard: AddressGuard, *, verify: ssl.SSLContext, limits: httpx.Limits, retries: int) -> None:
        super().__init__(verify=verify, limits=limits, retries=retries)
        # httpx (0.28, 0.29) takes no network backend, so its pool is replaced by the same pool with ours;
        # tests/flows/test_hostile_fetch.py's DNS-rebinding test fails if this stops taking effect.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            retries=retries,
            network_backend=PinnedBackend(guard),
        )
