"""The address guard: which addresses are refused (IPv6 forms judged by the IPv4 they embed), looked up once."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
import time

import pytest

import crawl.addresses
from crawl.addresses import AddressGuard, HostCheck, Resolver, embedded_ipv4, refused_address

# (address, the address that makes it refused, or None when it may be fetched)
FORMS = [
    ("93.184.216.34", None),
    ("2606:4700::1111", None),
    ("127.0.0.1", "127.0.0.1"),
    ("10.1.2.3", "10.1.2.3"),
    ("169.254.169.254", "169.254.169.254"),  # cloud metadata
    ("100.64.0.1", "100.64.0.1"),  # carrier-grade NAT
    ("::1", "::1"),
    ("fe80::1", "fe80::1"),
    ("fc00::1", "fc00::1"),
    ("ff02::1", "ff02::1"),
    # IPv4-mapped ::ffff:a.b.c.d
    ("::ffff:127.0.0.1", "127.0.0.1"),
    ("::ffff:10.0.0.1", "10.0.0.1"),
    ("::ffff:93.184.216.34", None),
    # IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks)
    ("::127.0.0.1", "127.0.0.1"),
    ("::a9fe:a9fe", "169.254.169.254"),
    ("::", "::"),
    # NAT64, well-known prefix 64:ff9b::/96
    ("64:ff9b::7f00:1", "127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
    ("64:ff9b::5db8:d822", None),
    # NAT64, local-use prefix 64:ff9b:1::/48: every RFC 6052 placement is judged
    ("64:ff9b:1:7f00:0:100::", "127.0.0.1"),  # /48 layout: bytes 6-7 and 9-10
    ("64:ff9b:1::a9fe:a9fe", "0.0.0.0"),  # read as /48: 0.0.0.0; as /96: 169.254.169.254; refused either way
    # 93.184.216.34 in the /48 layout; its /96 reading is 0.0.0.0: a local-use address needs every reading public
    ("64:ff9b:1:5db8:d8:2200::", "0.0.0.0"),
    # 6to4 2002::/16
    ("2002:7f00:1::", "127.0.0.1"),
    ("2002:c0a8:101::1", "192.168.1.1"),
    ("2002:5db8:d822::1", None),
    # SIIT's IPv4-translated ::ffff:0:a.b.c.d (a review, 2026-12-07: judged public)
    ("::ffff:0:7f00:1", "127.0.0.1"),
    ("::ffff:0:a9fe:a9fe", "169.254.169.254"),
    ("::ffff:0:5db8:d822", None),
    # Deprecated site-local fec0::/10 and IANA's reserved ranges, which the stdlib calls global
    ("fec0::1", "fec0::1"),
    ("400::1", "400::1"),
    # Teredo 2001::/32: the client is the last 32 bits XOR 0xffffffff
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "10.0.0.1"),
    ("2001:0:4136:e378:8000:63bf:a247:27dd", None),  # client 93.184.216.34
]


@pytest.mark.parametrize(("form", "refused"), FORMS)
def test_addresses_are_judged_by_the_ipv4_they_embed(form: str, refused: str | None) -> None:
    culprit = refused_address(ipaddress.ip_address(form))
    assert culprit == (ipaddress.ip_address(refused) if refused else None)


def test_teredo_client_is_the_inverted_last_32_bits() -> None:
    assert embedded_ipv4(ipaddress.IPv6Address("2001:0:4136:e378:8000:63bf:3fff:fdd2")) == [
        ipaddress.IPv4Address("192.0.2.45")  # RFC 4380's own example
    ]


def check(guard: AddressGuard, *hosts: str) -> list:
    async def go() -> list:
        return list(await asyncio.gather(*(guard.check(h) for h in hosts)))

    return asyncio.run(go())


def test_a_host_is_resolved_once_however_many_requests_ask() -> None:
    calls: list[str] = []

    async def resolver(host: str) -> list[str]:
        calls.append(host)
        await asyncio.sleep(0)  # let the other requests arrive while this lookup is under way
        return ["93.184.216.34"]

    guard = AddressGuard(resolver=resolver, timeout=1.0)
    results = check(guard, "news.example", "news.example", "news.example")
    assert calls == ["news.example"]
    assert {r.addresses for r in results} == {("93.184.216.34",)}
    assert guard.pinned("news.example") == ("93.184.216.34",)


@pytest.mark.parametrize(
    ("answers", "reason", "message"),
    [
        (["93.184.216.34", "10.0.0.1"], "guard", "resolves to non-public address 10.0.0.1"),
        (["64:ff9b::7f00:1"], "guard", "non-public address 64:ff9b::7f00:1 (which embeds 127.0.0.1)"),
        (OSError("Name or service not known"), "dns", "cannot resolve 'news.example': Name or service not known"),
        ([], "dns", "cannot resolve 'news.example': no addresses"),
    ],
)
def test_a_refused_host_says_why_and_pins_nothing(answers: object, reason: str, message: str) -> None:
    async def resolver(host: str) -> list[str]:
        if isinstance(answers, Exception):
            raise answers
        return answers  # type: ignore[return-value]

    guard = AddressGuard(resolver=resolver, timeout=1.0)
    (result,) = check(guard, "news.example")
    assert result.reason == reason and message in (result.refusal or "")
    assert guard.pinned("news.example") is None


def test_allowed_networks_and_names_pass_the_guard() -> None:
    async def resolver(host: str) -> list[str]:
        return ["::ffff:10.1.2.3"]

    guard = AddressGuard(allow_hosts=("10.1.2.0/24", "intranet.example"), resolver=resolver, timeout=1.0)
    by_network, by_name = check(guard, "wire.example", "Intranet.Example")
    assert by_network.refusal is None and by_network.addresses == (str(ipaddress.ip_address("::ffff:10.1.2.3")),)
    assert by_name.refusal is None and guard.pinned("Intranet.Example") == ()  # trusted: resolved at connect


def test_an_address_listed_alone_names_a_host_and_a_refusal_says_how_to_allow_the_names_resolving_to_it() -> None:
    # A review: with allow_hosts = ["127.0.0.1"], "localhost" was refused and told to list it in allow_hosts. Listed
    # alone, an address allows URLs that name it (no other name may point at a local service); a /32 allows names.
    async def resolver(host: str) -> list[str]:
        return ["127.0.0.1"]

    refused, literal = check(
        AddressGuard(allow_hosts=("127.0.0.1",), resolver=resolver, timeout=1.0), "localhost", "127.0.0.1"
    )
    assert refused.refusal is not None and "list 127.0.0.1/32 there to allow the names" in refused.refusal
    assert literal.refusal is None
    (allowed,) = check(AddressGuard(allow_hosts=("127.0.0.1/32",), resolver=resolver, timeout=1.0), "localhost")
    assert allowed.refusal is None and allowed.addresses == ("127.0.0.1",)


def test_an_address_embedding_a_listed_ipv4_and_an_unlisted_private_one_is_refused() -> None:
    # A review: with "10.0.0.5" listed, 64:ff9b:1:a00:0:500:c0a8:101 embeds 10.0.0.5 in one NAT64 layout and
    # 192.168.1.1 in another, and was allowed.
    async def resolver(host: str) -> list[str]:
        return {"mixed.example": ["64:ff9b:1:a00:0:500:c0a8:101"], "mapped.example": ["::ffff:10.0.0.5"]}[host]

    for listed in ("10.0.0.5/32", "10.0.0.0/24"):
        guard = AddressGuard(allow_hosts=(listed,), resolver=resolver, timeout=1.0)
        mixed, mapped = check(guard, "mixed.example", "mapped.example")
        assert mixed.refusal is not None and "embeds 10.0.0.5" not in mixed.refusal  # another, not the listed
        assert mapped.refusal is None


def test_names_whose_lookups_hang_leave_threads_for_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    # A black-holed domain's lookups each hold a thread for their own seconds (glibc gives up after ~10 s).
    # Eight of them took every thread of asyncio's default executor on two cores.
    released = threading.Event()
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: str, *args: object, **kwargs: object) -> list:
        if host.endswith(".tarpit.example"):
            released.wait(10)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real_getaddrinfo("127.0.0.1" if host == "healthy.example" else host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    guard = AddressGuard(allow_hosts=("127.0.0.1/32",), timeout=2.0)  # the system's lookups

    async def go() -> tuple[list, float]:
        hanging = [asyncio.ensure_future(guard.check(f"s{i}.tarpit.example")) for i in range(12)]
        await asyncio.sleep(0.1)  # every hanging lookup is under way
        started = time.monotonic()
        healthy = await guard.check("healthy.example")
        took = time.monotonic() - started
        released.set()
        return [healthy, *await asyncio.gather(*hanging)], took

    try:
        (healthy, *hanging), took = asyncio.run(go())
    finally:
        released.set()
    assert healthy.refusal is None and healthy.addresses == ("127.0.0.1",), healthy
    assert took < 2.0  # answered, not refused after the guard's timeout
    assert {h.reason for h in hanging} == {"dns"}


def answering_after(delay: float) -> tuple[Resolver, list[str]]:
    """A resolver that answers 93.184.216.34 after `delay` seconds, and the hosts it was asked for."""
    asked: list[str] = []

    async def resolver(host: str) -> list[str]:
        asked.append(host)
        await asyncio.sleep(delay)
        return ["93.184.216.34"]

    return resolver, asked


def test_a_lookup_that_outlasts_the_wait_still_answers_the_hosts_next_request() -> None:
    slow, calls = answering_after(0.3)
    guard = AddressGuard(resolver=slow, timeout=0.2)

    async def go() -> tuple:
        first = await guard.check("slow.example")
        second = await guard.check("slow.example")  # waits for the same lookup again: it ends 0.1 s later
        return first, second

    first, second = asyncio.run(go())
    assert first.reason == "dns" and first.refusal == "cannot resolve 'slow.example': no answer within 0.2 s"
    assert second.refusal is None and second.addresses == ("93.184.216.34",)
    assert calls == ["slow.example"]  # one lookup, waited for twice
    assert guard.pinned("slow.example") == ("93.184.216.34",)


def test_a_lookup_waiting_for_a_free_thread_is_not_timed_while_it_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crawl.addresses, "LOOKUP_THREADS", 2)
    ended: list[str] = []

    async def resolver(host: str) -> list[str]:
        await asyncio.sleep(0.5 if host.startswith("stuck") else 0)
        ended.append(host)
        return ["93.184.216.34"]

    guard = AddressGuard(resolver=resolver, timeout=0.2)

    async def go() -> list:
        stuck = [asyncio.ensure_future(guard.check(f"stuck{i}.example")) for i in range(2)]
        await asyncio.sleep(0.05)
        waiting = await guard.check("next.example")  # no thread for ~0.45 s, then answered at once
        return [waiting, *await asyncio.gather(*stuck)]

    waiting, *stuck = asyncio.run(go())
    assert waiting.refusal is None and waiting.addresses == ("93.184.216.34",)
    assert ended.index("next.example") == 2  # it started only after a stuck lookup ended and freed a slot
    assert {s.reason for s in stuck} == {"dns"}  # timed out at 0.2 s: their lookups went on for 0.5 s


def test_a_check_nobody_waits_for_any_more_starts_no_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    # A source cut off by its time budget leaves checks queued for a lookup slot: they must not take one later.
    monkeypatch.setattr(crawl.addresses, "LOOKUP_THREADS", 1)
    resolver, looked_up = answering_after(0.3)
    guard = AddressGuard(resolver=resolver, timeout=1.0)

    async def go() -> HostCheck:
        first = asyncio.ensure_future(guard.check("first.example"))
        await asyncio.sleep(0.05)
        orphan = asyncio.ensure_future(guard.check("orphan.example"))  # queued behind first's slot
        await asyncio.sleep(0.05)
        orphan.cancel()
        answer = await first
        await asyncio.sleep(0.1)  # the slot is free: a queued check would have started its lookup by now
        return answer

    assert asyncio.run(go()).addresses == ("93.184.216.34",)
    assert looked_up == ["first.example"]


def test_a_resolvers_own_timeout_is_its_answer_for_the_run() -> None:
    calls: list[str] = []

    async def resolver(host: str) -> list[str]:
        calls.append(host)
        raise TimeoutError("timed out")  # socket.timeout: the resolver answered, with a failure

    guard = AddressGuard(resolver=resolver, timeout=1.0)
    first, second = check(guard, "a.example"), check(guard, "a.example")
    assert first == second and first[0].refusal == "cannot resolve 'a.example': timed out"
    assert calls == ["a.example"]


def test_a_name_allowed_in_unicode_is_allowed_as_requests_write_it() -> None:
    async def resolver(host: str) -> list[str]:
        raise AssertionError(f"a trusted name is not looked up: {host}")

    guard = AddressGuard(allow_hosts=("Bücher.example",), resolver=resolver, timeout=1.0)
    (trusted,) = check(guard, "xn--bcher-kva.example")
    assert trusted.refusal is None and guard.pinned("xn--bcher-kva.example") == ()
