"""The address guard: which addresses are refused (IPv6 forms judged by the IPv4 they embed), looked up once."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from crawl.addresses import AddressGuard, embedded_ipv4, refused_address

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
