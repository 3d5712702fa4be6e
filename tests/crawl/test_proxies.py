"""Proxies: the standard environment variables and the `proxy` setting, through a real loopback forward proxy.

The proxy (tests/proxy.py) logs every request it passes on; the target server logs what reaches it. The
address guard judges the target, never the proxy, and NO_PROXY sends a host's requests direct.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from crawl.fetch import Fetched, Fetcher
from crawl.policy import FetchPolicy
from crawl.proxies import ProxyEnvironment, proxy_for
from crawl.sources import Source
from tests.loopback import html, page, serve
from tests.proxy import serve_proxy

ARTICLE = html("Harbour reopens", ["The harbour reopened on Monday after a week of repairs."])


def fetch(url: str, *, environ: dict[str, str] | None = None, **policy: Any) -> Fetched:
    settings: dict[str, Any] = dict(user_agent="copydesk-test/1.0", allow_private=True, per_host_delay=0.0, retries=0)
    proxies = ProxyEnvironment.from_environ(environ or {})

    async def go() -> Fetched:
        async with Fetcher(FetchPolicy(**settings | policy), proxies=proxies) as fetcher:
            return await fetcher.fetch(url, kind="article")

    return asyncio.run(go())


def test_http_proxy_in_the_environment_carries_every_request() -> None:
    with serve({"/a": page(ARTICLE)}) as site, serve_proxy() as proxy:
        result = fetch(site.base + "/a", environ={"HTTP_PROXY": proxy.url})
        assert [r.path for r in site.log] == ["/robots.txt", "/a"]
    assert result.outcome == "ok" and result.body == ARTICLE.encode()
    assert [(p.method, p.target) for p in proxy.log] == [("GET", site.base + "/robots.txt"), ("GET", site.base + "/a")]
    assert proxy.log[-1].headers["User-Agent"] == "copydesk-test/1.0"


def test_the_proxy_setting_carries_requests_without_any_environment_variable() -> None:
    with serve({"/a": page(ARTICLE)}) as site, serve_proxy() as proxy:
        result = fetch(site.base + "/a", proxy=proxy.url)
    assert result.outcome == "ok" and [p.target for p in proxy.log][-1] == site.base + "/a"


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "127.0.0.0/8", "localhost,127.0.0.1", "*"])
def test_no_proxy_sends_a_hosts_requests_direct(no_proxy: str) -> None:
    with serve({"/a": page(ARTICLE)}) as site, serve_proxy() as proxy:
        result = fetch(site.base + "/a", environ={"http_proxy": proxy.url, "NO_PROXY": no_proxy})
        assert [r.path for r in site.log] == ["/robots.txt", "/a"]
    assert result.outcome == "ok" and proxy.log == []


def test_an_empty_proxy_setting_means_direct_whatever_the_environment_says() -> None:
    with serve({"/a": page(ARTICLE)}) as site, serve_proxy() as proxy:
        result = fetch(site.base + "/a", environ={"HTTP_PROXY": proxy.url}, proxy="")
    assert result.outcome == "ok" and proxy.log == []


def test_the_address_guard_judges_the_target_not_the_proxy() -> None:
    with serve({"/a": page(ARTICLE)}) as site, serve_proxy() as proxy:
        port = site.base.rsplit(":", 1)[1]
        # The target 127.0.0.1 is loopback and not allowed: refused before anything is sent to the proxy.
        refused = fetch(site.base + "/a", proxy=proxy.url, allow_private=False)
        assert proxy.log == []
        # The target trusted by name is fetched through the proxy, whose own loopback address is not judged.
        allowed = fetch(f"http://localhost:{port}/a", proxy=proxy.url, allow_private=False, allow_hosts=("localhost",))
    assert (refused.outcome, refused.reason) == ("skipped", "guard") and "127.0.0.1" in (refused.error or "")
    assert allowed.outcome == "ok" and [p.target for p in proxy.log][-1] == f"http://localhost:{port}/a"


def test_an_https_url_goes_through_the_proxy_as_a_connect_tunnel() -> None:
    # The target speaks plain HTTP, so TLS fails inside the tunnel: what matters is that the tunnel was asked for.
    with serve({}) as site, serve_proxy() as proxy:
        port = site.base.rsplit(":", 1)[1]
        result = fetch(f"https://127.0.0.1:{port}/a", environ={"HTTPS_PROXY": proxy.url})
    assert [(p.method, p.target) for p in proxy.log] == [("CONNECT", f"127.0.0.1:{port}")]
    assert result.outcome == "skipped" and result.reason == "robots_unreachable"


def test_each_source_uses_its_own_proxy_in_one_run() -> None:
    with serve({"/a": page(ARTICLE)}) as first, serve({"/a": page(ARTICLE)}) as second, serve_proxy() as proxy:
        run = FetchPolicy(user_agent="copydesk-test/1.0", allow_private=True, per_host_delay=0.0)

        async def go() -> list[Fetched]:
            async with Fetcher(run) as fetcher:
                proxied = fetcher.for_source(Source("p", feeds=("x",), proxy=proxy.url).fetch_policy(run))
                return [
                    await proxied.fetch(first.base + "/a", kind="article"),
                    await fetcher.fetch(second.base + "/a", kind="article"),
                ]

        results = asyncio.run(go())
    assert [r.outcome for r in results] == ["ok", "ok"]
    assert {p.target.rsplit("/", 1)[0] for p in proxy.log} == {first.base}


@pytest.mark.parametrize(
    ("environ", "http", "https"),
    [
        ({"HTTP_PROXY": "http://p:1"}, "http://p:1", None),
        ({"https_proxy": "p:2"}, None, "http://p:2"),  # without a scheme, http:// as requests assumes
        ({"ALL_PROXY": "http://all:3", "HTTP_PROXY": "http://p:1"}, "http://p:1", "http://all:3"),
        ({"http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:1"}, "http://lower:1", None),
        ({"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"}, None, None),  # CGI: the client may set HTTP_PROXY
        ({"HTTP_PROXY": " "}, None, None),
    ],
)
def test_proxy_variables_are_read_as_curl_and_requests_read_them(
    environ: dict[str, str], http: str | None, https: str | None
) -> None:
    proxies = ProxyEnvironment.from_environ(environ)
    assert (proxies.http, proxies.https) == (http, https)


@pytest.mark.parametrize(
    ("entry", "host", "port", "bypassed"),
    [
        ("example.org", "news.example.org", 80, True),
        (".example.org", "example.org", 80, True),
        ("*.example.org", "a.example.org", 443, True),
        ("example.org", "badexample.org", 80, False),
        ("10.0.0.0/8", "10.1.2.3", 80, True),
        ("10.0.0.0/8", "news.example", 80, False),
        ("::1", "::1", 80, True),
        ("[::1]:8080", "::1", 8080, True),
        ("example.org:8080", "example.org", 80, False),
        ("EXAMPLE.org", "example.org", 80, True),
    ],
)
def test_no_proxy_entries_match_names_subdomains_addresses_networks_and_ports(
    entry: str, host: str, port: int, bypassed: bool
) -> None:
    proxies = ProxyEnvironment.from_environ({"HTTP_PROXY": "http://p:1", "NO_PROXY": f"other.test, {entry}"})
    assert (proxy_for("http", host, port, configured=None, environment=proxies) is None) is bypassed


def test_a_bad_proxy_variable_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"environment variable HTTPS_PROXY='socks5://p:1080' is not an http:// or"):
        ProxyEnvironment.from_environ({"HTTPS_PROXY": "socks5://p:1080"})


def test_a_name_trusted_in_allow_hosts_goes_to_the_proxy_without_a_local_lookup() -> None:
    # Where only the proxy resolves names (README), the guard refuses every host it must look up itself; a name in
    # allow_hosts is not looked up, and its request reaches the proxy (which cannot resolve .invalid either).
    with serve_proxy() as proxy:
        trusted = fetch("http://news.invalid/a", proxy=proxy.url, allow_private=False, allow_hosts=("news.invalid",))
        looked_up = fetch("http://other.invalid/a", proxy=proxy.url, allow_private=False)
    # The proxy answers 502 for robots.txt, and an unreachable robots.txt holds the host's pages back (RFC 9309).
    assert [p.target for p in proxy.log] == ["http://news.invalid/robots.txt"]
    assert trusted.outcome != "ok" and trusted.reason != "dns", trusted
    assert (looked_up.outcome, looked_up.reason) == ("failed", "dns")
    assert looked_up.error is not None and looked_up.error.startswith("cannot resolve 'other.invalid'")
