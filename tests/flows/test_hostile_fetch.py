"""Hostile and broken servers against the fetcher, and against two real ingest runs.

Each case ends as the URL's own outcome with a `Reason` on a `fetches` row (status None when no HTTP answer
came), while a URL on another host is fetched as usual. Policies use sub-second timeouts, so every test is
bounded to a few seconds; the servers are real ThreadingHTTPServers on loopback (tests/loopback.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import math
import re
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crawl._http import MAX_PIECES
from crawl.fetch import REASONS, Fetched, Fetcher, FetchPolicy, Validators
from flows.cli import main
from flows.ingest import ingest
from storage.db import writing
from storage.load import load_errors, load_seen
from storage.rows import ErrorRow, SeenRow
from tests.loopback import HangUp, Raw, Request, Route, Site, fetch_all, html, page, serve

ARTICLE = html("Harbour reopens", ["The harbour reopened on Monday after a week of repairs to the quay."])
LONG_LABEL = "a" * 64
LAST_MODIFIED = "Mon, 01 Jun 2026 10:00:00 GMT"


def policy(**overrides: Any) -> FetchPolicy:
    base: dict[str, Any] = dict(
        user_agent="copydesk-test/1.0",
        allow_private=True,
        per_host_delay=0.0,
        connect_timeout=0.5,
        # The trickle's bytes come 0.1 s apart: a second between reads, not the 0.5 s it was, keeps a busy
        # machine's late server thread from ending it as a read timeout instead of the total_timeout it tests.
        read_timeout=1.0,
        total_timeout=1.5,
        backoff=0.01,
        max_retry_after=0.05,
        retries=1,
        max_bytes=100_000,
    )
    return FetchPolicy(**{**base, **overrides})


@pytest.fixture(scope="module")
def healthy() -> Iterator[Site]:
    """Another host (another port): its article must be fetched whatever the hostile one does."""
    with serve({"/ok": page(ARTICLE)}) as site:
        yield site


def fetch_beside(
    urls: Sequence[str],
    healthy: Site,
    *,
    resolver: Callable[[str], Awaitable[Sequence[str]]] | None = None,
    validators: dict[str, Validators] | None = None,
    **overrides: Any,
) -> tuple[list[Fetched], list[Fetched]]:
    """Fetch `urls` and the healthy host's article in one batch; the hostile results and the robots fetches."""

    async def go() -> tuple[list[Fetched], list[Fetched]]:
        fetcher = Fetcher(policy(**overrides), resolver=resolver) if resolver else Fetcher(policy(**overrides))
        async with fetcher:
            *results, ok = await fetch_all(
                fetcher, [*urls, healthy.base + "/ok"], kind="article", validators=validators
            )
            assert ok.outcome == "ok" and ok.body == ARTICLE.encode(), ok
            return results, fetcher.take_robots_responses()

    return asyncio.run(go())


def assert_recorded(result: Fetched, outcome: str, reason: str, message: str) -> None:
    """The URL's outcome and reason, and the same reason and message on its last `fetches` row."""
    assert (result.outcome, result.reason) == (outcome, reason), result
    assert message in (result.error or ""), result.error
    last = result.attempts[-1]
    assert (last.reason, last.error) == (reason, result.error), last


def raw(*head: bytes | str, body: bytes = b"", pause: float = 0.0) -> Route:
    lines = [h.encode() if isinstance(h, str) else h for h in head]
    return lambda request: Raw(lines, [body] if body else [], pause)


def redirect(location: bytes | str) -> Route:
    location = location.encode() if isinstance(location, str) else location
    return raw(b"HTTP/1.1 302 Found", b"Location: " + location, b"Content-Length: 0")


# Compressed once, here: compressing 20 MB in the server thread took 0.28-0.36 s per request on a loaded machine,
# before any byte of the answer, and a little more would have made the answer a read timeout instead of a bomb.
GZIP_BOMB = gzip.compress(b"\0" * 20_000_000)


def gzip_bomb(request: Request) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, GZIP_BOMB


def _zeros_gzipped(megabytes: int) -> bytes:
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join([*(deflate.compress(block) for _ in range(megabytes)), deflate.flush()])


# Gzipped twice: 256 MB of zeros in ~1 kB. httpx inflates each network read whole, so this became 256 MB in one
# zlib call on the event loop (every other fetch waiting) before max_bytes was looked at.
STACKED_BOMB = gzip.compress(_zeros_gzipped(256), 9)


def stacked_bomb(request: Request) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"}, STACKED_BOMB


HOSTILE = {
    # name: (route at /x, outcome, reason, message)
    "Location http:x": (redirect("http:x"), "failed", "redirects", "redirect 302 to an invalid Location 'http:x': "),
    # httpx refuses these Locations before the answer is handed over: the message named neither them nor the 302.
    "Location data:": (
        redirect("data:text/html,<p>hi</p>"),
        "failed",
        "redirects",
        "302 to an invalid Location 'data:",
    ),
    "Location javascript:": (redirect("javascript:alert(1)"), "failed", "redirects", "Location 'javascript:alert(1)'"),
    "Location mailto:": (redirect("mailto:a@b.example"), "failed", "redirects", "Location 'mailto:a@b.example'"),
    "Location http://[x/": (redirect("http://[x/"), "failed", "redirects", "Invalid IPv6 URL"),
    "Location to an octal address": (redirect("http://0177.0.0.1/"), "failed", "redirects", "Invalid IPv4 address"),
    "Location to port 99999": (redirect("http://127.0.0.1:99999/"), "failed", "redirects", "outside 1-65535"),
    "Location to a 64-char label": (redirect(f"http://{LONG_LABEL}.example/"), "failed", "redirects", "1-63"),
    "redirect without Location": (raw("HTTP/1.1 302 Found", "Content-Length: 0"), "failed", "redirects", "without"),
    "redirect loop": (redirect("/x"), "failed", "redirects", "redirect loop"),
    "Retry-After: ²": (
        raw("HTTP/1.1 503 Busy", "Retry-After: ²".encode(), "Content-Length: 0"),
        "failed",
        "http_status",
        "HTTP 503",
    ),
    "status line garbage": (raw("HTTP/1.1 OK"), "failed", "network", "RemoteProtocolError"),
    "404": (page("gone", status=404), "skipped", "http_status", "HTTP 404"),
    "410": (page("gone", status=410), "skipped", "http_status", "HTTP 410"),
    "500": (page("boom", status=500), "failed", "http_status", "HTTP 500"),
    "PDF": (page(b"%PDF-1.4", content_type="application/pdf"), "skipped", "type", "not HTML"),
    "empty 200": (page(b""), "skipped", "empty", "empty body"),
    "declared too big": (page(b"x" * 200_000), "skipped", "size", "exceeds max_bytes=100,000"),
    "gzip bomb": (gzip_bomb, "skipped", "size", "body exceeds max_bytes=100,000"),
    "gzip, gzip bomb": (stacked_bomb, "skipped", "size", "body exceeds max_bytes=100,000"),
    "endless body": (
        lambda r: Raw([b"HTTP/1.1 200 OK", b"Content-Type: text/html"], iter(lambda: b"x" * 65536, None)),
        "skipped",
        "size",
        "body exceeds max_bytes",
    ),
    "trickle": (
        lambda r: Raw([b"HTTP/1.1 200 OK", b"Content-Type: text/html"], iter([b"x"] * 100), pause=0.1),
        "failed",
        "timeout",
        "total_timeout=1.5 s",
    ),
    "Content-Encoding br, not asked for": (
        raw("HTTP/1.1 200 OK", "Content-Type: text/html", "Content-Encoding: br", body=b"\x8b\x02\x80<p>x</p>\x03"),
        "failed",
        "decoding",
        "Content-Encoding 'br': copydesk decodes gzip and deflate only",
    ),
    "Content-Encoding gzip, zstd": (
        raw("HTTP/1.1 200 OK", "Content-Type: text/html", "Content-Encoding: gzip, zstd", body=b"(\xb5/\xfd"),
        "failed",
        "decoding",
        "Content-Encoding 'gzip, zstd'",
    ),
    "x-gzip bomb": (
        lambda r: (200, {"Content-Type": "text/html", "Content-Encoding": "x-gzip"}, GZIP_BOMB),
        "skipped",
        "size",
        "body exceeds max_bytes=100,000",
    ),
    "corrupt x-gzip": (
        raw("HTTP/1.1 200 OK", "Content-Type: text/html", "Content-Encoding: x-gzip", body=b"\x1f\x8bgarbage"),
        "failed",
        "decoding",
        "Content-Encoding 'x-gzip' (gzip)",
    ),
    "corrupt gzip": (
        raw("HTTP/1.1 200 OK", "Content-Type: text/html", "Content-Encoding: gzip", body=b"\x1f\x8bgarbage"),
        "failed",
        "decoding",
        "DecodingError",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_answer_is_that_urls_outcome_and_reason(case: str, healthy: Site) -> None:
    route, outcome, reason, message = HOSTILE[case]
    with serve({"/x": route}) as site:
        (result,), _ = fetch_beside([site.base + "/x"], healthy)
    assert_recorded(result, outcome, reason, message)


def test_a_location_httpx_refuses_keeps_the_status_of_its_answer(healthy: Site) -> None:
    # The answer came (302), so it is no "no answer" toward HOST_DOWN_AFTER, and its fetches row keeps the status.
    with serve({"/x": redirect("javascript:alert(1)")}) as site:
        (result,), _ = fetch_beside([site.base + "/x"], healthy)
    assert (result.status, [a.status for a in result.attempts]) == (302, [302])


def test_a_body_in_a_hundred_thousand_one_byte_chunks_is_refused(healthy: Site) -> None:
    # A review: 1-byte chunks never reach max_bytes before total_timeout, and parsing them held every other fetch.
    chunks = b"1\r\na\r\n" * (MAX_PIECES + 1_000) + b"0\r\n\r\n"
    route = raw("HTTP/1.1 200 OK", "Content-Type: text/html", "Transfer-Encoding: chunked", body=chunks)
    with serve({"/trickle": route}) as site:
        (result,), _ = fetch_beside([site.base + "/trickle"], healthy, read_timeout=10.0, total_timeout=30.0)
    assert_recorded(result, "skipped", "size", f"body sent in {MAX_PIECES:,} pieces of 1.0 bytes on average")


def test_a_page_written_a_short_line_per_chunk_is_read_whole(healthy: Site) -> None:
    # A review of the rule above: a generated sitemap sent a line per chunk (120,000 chunks of 25 bytes) was refused.
    line = b"<p>line of the page</p>\n"
    chunks = f"{len(line):x}\r\n".encode() + line + b"\r\n"
    route = raw(
        "HTTP/1.1 200 OK", "Content-Type: text/html", "Transfer-Encoding: chunked", body=chunks * 120_000 + b"0\r\n\r\n"
    )
    with serve({"/lines": route}) as site:
        (result,), _ = fetch_beside(
            [site.base + "/lines"], healthy, read_timeout=10.0, total_timeout=30.0, max_bytes=5_000_000
        )
    assert (result.outcome, len(result.body or b"")) == ("ok", len(line) * 120_000), result.error


def test_a_stacked_gzip_bomb_is_refused_without_inflating_it(healthy: Site) -> None:
    with serve({"/x": stacked_bomb}) as site:
        tracemalloc.start()
        try:
            (result,), _ = fetch_beside([site.base + "/x"], healthy)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert (result.outcome, result.reason) == ("skipped", "size")
    assert peak < 20_000_000, f"{peak:,} bytes allocated at once for a body capped at 100,000"


def _raw_deflate(data: bytes) -> bytes:
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    return deflate.compress(data) + deflate.flush()


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip, gzip", gzip.compress(gzip.compress(ARTICLE.encode()))),
        ("deflate", zlib.compress(ARTICLE.encode())),
        ("deflate", _raw_deflate(ARTICLE.encode())),  # RFC 9110 says zlib-wrapped; some servers send it raw
        ("gzip, deflate", zlib.compress(gzip.compress(ARTICLE.encode()))),
        ("x-gzip", gzip.compress(ARTICLE.encode())),
        ("X-GZIP", gzip.compress(ARTICLE.encode())),
        ("utf-8", ARTICLE.encode()),
    ],
)
def test_compressed_bodies_are_inflated_and_a_coding_that_names_no_compression_leaves_the_body_as_it_came(
    coding: str, body: bytes, healthy: Site
) -> None:
    # RFC 9110 8.4.1.3 (x-gzip is gzip; httpx leaves it undecoded); "utf-8" is a misconfigured server's plain body.
    route = raw("HTTP/1.1 200 OK", "Content-Type: text/html", f"Content-Encoding: {coding}", body=body)
    with serve({"/x": route}) as site:
        (result,), _ = fetch_beside([site.base + "/x"], healthy)
    assert (result.outcome, result.body) == ("ok", ARTICLE.encode())


def setting_cookies(names: Sequence[str], value: str = "v") -> Route:
    lines = [f"Set-Cookie: {name}={value if name != 'huge' else 'x' * 5000}; Path=/".encode() for name in names]
    return raw(b"HTTP/1.1 200 OK", b"Content-Type: text/html", *lines, body=ARTICLE.encode())


def test_the_cookies_a_site_sets_are_kept_within_a_browsers_limits() -> None:
    # 300 cookies a page grew every later request's Cookie header by 17 kB, to 610 kB: the site's own server then
    # refused them all (nginx: 8 kB). RFC 6265 6.1 asks a client for 50 cookies of 4,096 bytes; kept to that.
    routes = {
        "/one": setting_cookies(["huge"] + [f"a{i}" for i in range(300)]),  # huge: 5,000 bytes
        "/two": setting_cookies([f"b{i}" for i in range(300)]),
        "/three": setting_cookies(["a0"], value="new"),  # replaces a kept one
        "/last": page(ARTICLE),
    }

    async def go(base: str) -> None:
        async with Fetcher(policy(cookies=(("consent", "yes"),))) as fetcher:
            for path in routes:
                result = await fetcher.fetch(base + path, kind="article")
                assert result.outcome == "ok", result.error

    with serve(routes) as site:
        asyncio.run(go(site.base))
        sent = site.hits("/last")[0].headers["Cookie"].split("; ")
    assert len(sent) == 50 and "consent=yes" in sent and "a0=new" in sent
    assert not any(c.startswith(("b", "huge")) for c in sent)


def test_too_many_redirects_end_with_a_row_for_the_url_not_followed(healthy: Site) -> None:
    routes = {f"/r{i}": redirect(f"/r{i + 1}") for i in range(10)}
    with serve(routes) as site:
        (result,), _ = fetch_beside([site.base + "/r0"], healthy, max_redirects=3)
        assert [r.path for r in site.log] == ["/robots.txt", "/r0", "/r1", "/r2", "/r3"]
    assert_recorded(result, "failed", "redirects", "more than 3 redirects")
    assert [a.status for a in result.attempts] == [302, 302, 302, 302, None]
    assert result.final_url == site.base + "/r4"


def test_a_location_with_credentials_is_followed_without_them(healthy: Site) -> None:
    routes = {"/a": page(ARTICLE)}
    with serve(routes) as site:
        site.routes["/x"] = redirect(site.base.replace("//", "//admin:s3cret@") + "/a")
        (result,), _ = fetch_beside([site.base + "/x"], healthy)
        (hit,) = site.hits("/a")
    assert result.outcome == "ok" and result.final_url == site.base + "/a"
    assert "Authorization" not in hit.headers and not any("s3cret" in a.url for a in result.attempts)


def test_a_non_ascii_location_is_followed_percent_encoded(healthy: Site) -> None:
    routes = {"/x": redirect("/café".encode()), "/caf%C3%A9": page(ARTICLE)}
    with serve(routes) as site:
        (result,), _ = fetch_beside([site.base + "/x"], healthy)
        assert [r.path for r in site.log] == ["/robots.txt", "/x", "/caf%C3%A9"]
    assert result.outcome == "ok" and result.final_url == site.base + "/café"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"http://{LONG_LABEL}.example/x", "is not 1-63 letters"),
        ("http://bad host.example/x", "is not 1-63 letters"),
        ("http://127.0.0.1:99999/x", "port 99999"),
        ("http://127.0.0.1:0/x", "port 0"),
        ("ftp://example.org/x", "not an http(s) URL"),
        ("http:///x", "not an http(s) URL with a host"),
    ],
)
@pytest.mark.parametrize("allow_private", [True, False])
def test_a_url_that_cannot_be_valid_is_skipped_before_any_lookup(
    url: str, message: str, allow_private: bool, healthy: Site
) -> None:
    lookups: list[str] = []

    async def resolver(host: str) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    (result,), _ = fetch_beside(
        [url], healthy, resolver=resolver, allow_private=allow_private, allow_hosts=("127.0.0.1/32",)
    )
    assert_recorded(result, "skipped", "bad_url", message)
    assert result.attempts[-1].status is None and set(lookups) <= {"127.0.0.1"}


def test_any_exception_while_handling_a_url_stays_that_urls(healthy: Site) -> None:
    # The resolver is ours to inject; one that raises what nobody foresaw stands for any such bug.
    async def resolver(host: str) -> list[str]:
        if host == "127.0.0.1":
            return [host]
        raise RuntimeError(f"resolver crashed on {host}")

    (result,), _ = fetch_beside(
        ["http://strange.example/x"], healthy, resolver=resolver, allow_private=False, allow_hosts=("127.0.0.1/32",)
    )
    assert_recorded(result, "failed", "unexpected", "RuntimeError: resolver crashed on strange.example")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"retries": -1}, "retries must be an integer from 0 to 10, got -1"),
        ({"max_redirects": -1}, "max_redirects must be an integer from 0 to 50, got -1"),
        ({"max_bytes": 0}, "max_bytes must be an integer from 1 to 1_000_000_000 (bytes), got 0"),
        ({"connect_timeout": 0}, "connect_timeout must be a number greater than 0 and at most 3600 (seconds), got 0"),
        (
            {"read_timeout": math.nan},
            "read_timeout must be a number greater than 0 and at most 3600 (seconds), got nan",
        ),
        ({"per_host_delay": math.inf}, "per_host_delay must be a number from 0 to 3600 (seconds), got inf"),
        ({"max_crawl_delay": -1.0}, "max_crawl_delay must be a number from 0 to 86_400 (seconds), got -1.0"),
        ({"crawl_delay_over_cap": "wait"}, "crawl_delay_over_cap='wait' is unknown; use 'cap'"),
    ],
)
def test_an_impossible_policy_is_refused_when_built(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        policy(**overrides)


# --- validators: bytes from a stranger ---------------------------------------------------------------------------

BAD_ETAGS = {
    "UTF-8": '"café"'.encode(),
    "Latin-1 byte": b'"caf\xe9"',
    "control character": b'"a\x01b"',
    "over 512 characters": b'"' + b"x" * 600 + b'"',
}


def with_validators(body: bytes, etag: bytes, last_modified: bytes) -> Route:
    head = [b"HTTP/1.1 200 OK", b"Content-Type: text/html", b"ETag: " + etag, b"Last-Modified: " + last_modified]
    return lambda request: Raw(head + [b"Content-Length: %d" % len(body)], [body])


@pytest.mark.parametrize("case", list(BAD_ETAGS))
def test_invalid_validators_are_not_kept_and_stored_ones_are_not_sent(case: str, healthy: Site) -> None:
    last_modified = f"{LAST_MODIFIED}\u00a0"  # a trailing no-break space
    with serve({"/x": with_validators(ARTICLE.encode(), BAD_ETAGS[case], last_modified.encode())}) as site:
        url = site.base + "/x"
        (first,), _ = fetch_beside([url], healthy)
        stored = {url: Validators(BAD_ETAGS[case].decode("latin-1"), last_modified)}  # as a run before this stored
        (again,), _ = fetch_beside([url], healthy, validators=stored)
        sent = [r.headers for r in site.hits("/x")]
    assert first.outcome == "ok" and (first.etag, first.last_modified) == (None, None)
    assert again.outcome == "ok" and not again.attempts[0].conditional
    assert not [h for h in sent if "If-None-Match" in h or "If-Modified-Since" in h]


def test_valid_validators_are_kept_and_sent_back(healthy: Site) -> None:
    def cached(request: Request) -> tuple[int, dict[str, str], bytes]:
        if request.headers.get("If-None-Match") == '"v1"':
            return 304, {}, b""
        return 200, {"Content-Type": "text/html", "ETag": '  "v1"  ', "Last-Modified": LAST_MODIFIED}, ARTICLE.encode()

    with serve({"/x": cached}) as site:
        (first,), _ = fetch_beside([site.base + "/x"], healthy)
        (again,), _ = fetch_beside(
            [site.base + "/x"], healthy, validators={site.base + "/x": Validators(first.etag, first.last_modified)}
        )
    assert (first.etag, first.last_modified) == ('"v1"', LAST_MODIFIED)
    assert again.outcome == "not_modified"


# --- the address guard: resolve once, connect to what was checked -----------------------------------------------


@pytest.fixture(scope="module")
def healthy_elsewhere() -> Iterator[Site]:
    """A healthy host on 127.0.0.3, so that guard tests can refuse 127.0.0.1 and still allow it."""
    with serve({"/ok": page(ARTICLE)}, host="127.0.0.3") as site:
        yield site


def names(table: dict[str, list[str]]) -> Callable[[str], Awaitable[Sequence[str]]]:
    """A resolver answering from `table`, each name's answers in turn (the last one again once used up)."""
    lookups: list[str] = []

    async def resolve(host: str) -> list[str]:
        lookups.append(host)
        answers = table[host]
        return [answers.pop(0) if len(answers) > 1 else answers[0]]

    resolve.lookups = lookups  # type: ignore[attr-defined]
    return resolve


GUARDED: dict[str, Any] = dict(allow_private=False, allow_hosts=("127.0.0.2/32", "127.0.0.3/32"))


def test_dns_rebinding_cannot_reach_an_address_nobody_checked(healthy_elsewhere: Site) -> None:
    # The name answers an allowed address first and loopback after, as a rebinding DNS server does. Standing in
    # for "public" is 127.0.0.2, allowed by allow_hosts, so that no test connects to the internet. Both servers
    # share a port: only the address dialled decides which one gets the request.
    with serve({"/x": page(ARTICLE)}) as victim:
        port = int(victim.base.rsplit(":", 1)[1])
        resolver = names({"rebind.example": ["127.0.0.2", "127.0.0.1"]})
        with serve({"/x": page(ARTICLE)}, host="127.0.0.2", port=port) as checked:
            (result,), _ = fetch_beside(
                [f"http://rebind.example:{port}/x"], healthy_elsewhere, resolver=resolver, **GUARDED
            )
            assert victim.log == []
            assert [r.path for r in checked.log] == ["/robots.txt", "/x"]
            assert checked.log[-1].headers["Host"] == f"rebind.example:{port}"  # the name, not the address
    assert result.outcome == "ok"
    assert resolver.lookups == ["rebind.example"]  # type: ignore[attr-defined]


def test_a_redirect_to_a_name_that_resolves_to_loopback_is_refused(healthy_elsewhere: Site) -> None:
    with serve({"/x": page(ARTICLE)}) as victim:
        port = int(victim.base.rsplit(":", 1)[1])
        routes = {"/a": redirect(f"http://internal.example:{port}/x")}
        with serve(routes, host="127.0.0.2", port=port) as checked:
            resolver = names({"news.example": ["127.0.0.2"], "internal.example": ["127.0.0.1"]})
            (result,), _ = fetch_beside(
                [f"http://news.example:{port}/a"], healthy_elsewhere, resolver=resolver, **GUARDED
            )
            assert victim.log == [] and [r.path for r in checked.log] == ["/robots.txt", "/a"]
    assert_recorded(result, "skipped", "guard", "'internal.example' resolves to non-public address 127.0.0.1")
    assert result.attempts[-1].status is None and result.final_url == f"http://internal.example:{port}/x"


@pytest.mark.parametrize("form", ["::ffff:127.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::"])
def test_an_ipv6_address_embedding_loopback_is_refused_before_connecting(form: str, healthy_elsewhere: Site) -> None:
    (result,), _ = fetch_beside([f"http://[{form}]:9/x"], healthy_elsewhere, resolver=names({}), **GUARDED)
    assert_recorded(result, "skipped", "guard", "(which embeds 127.0.0.1)")
    assert [a.status for a in result.attempts] == [None]


def test_a_name_that_does_not_resolve_fails_with_reason_dns(healthy_elsewhere: Site) -> None:
    async def nxdomain(host: str) -> list[str]:
        raise OSError(-2, "Name or service not known")

    (result,), _ = fetch_beside(["http://gone.example/x"], healthy_elsewhere, resolver=nxdomain, **GUARDED)
    assert_recorded(result, "failed", "dns", "cannot resolve 'gone.example'")


# --- robots.txt ----------------------------------------------------------------------------------------------------

UNREACHABLE_ROBOTS = {
    "503": page("busy", status=503),
    "timeout": lambda r: Raw([b"HTTP/1.1 200 OK", b"Content-Type: text/plain"], iter([b"U"] * 100), pause=0.1),
    "broken answer": raw("HTTP/1.1 garbage"),
}


@pytest.mark.parametrize("case", list(UNREACHABLE_ROBOTS))
def test_an_unreachable_robots_txt_keeps_the_host_out_for_the_run(case: str, healthy: Site) -> None:
    with serve({"/robots.txt": UNREACHABLE_ROBOTS[case], "/a": page(ARTICLE)}) as site:
        (result,), robots = fetch_beside([site.base + "/a"], healthy, retries=0)
        assert site.hits("/a") == []
    assert_recorded(result, "skipped", "robots_unreachable", f"robots.txt of {site.base} could not be fetched")
    assert result.attempts[-1].status is None
    (mine,) = [r for r in robots if r.url.startswith(site.base)]
    assert mine.outcome == "failed" and mine.attempts[-1].error


HUGE_RULES = b"User-agent: *\nDisallow: /private/\n" + b"# padding\n" * 300_000  # 3 MB, max_bytes=100,000
HUGE_ROBOTS = {
    "with Content-Length": page(HUGE_RULES, content_type="text/plain"),
    "endless": lambda r: Raw([b"HTTP/1.1 200 OK", b"Content-Type: text/plain"], iter([HUGE_RULES, *[b"#\n"] * 10**6])),
}


@pytest.mark.parametrize("case", list(HUGE_ROBOTS))
def test_a_robots_txt_over_max_bytes_is_read_to_500_kib_not_refused(case: str, healthy: Site) -> None:
    # RFC 9309 2.5: crawlers parse at least the first 500 KiB. Refused as too big, it kept the host out every run.
    routes = {"/robots.txt": HUGE_ROBOTS[case], "/a": page(ARTICLE), "/private/a": page(ARTICLE)}
    with serve(routes) as site:
        (allowed, disallowed), robots = fetch_beside([site.base + "/a", site.base + "/private/a"], healthy)
        assert site.hits("/private/a") == []
    assert allowed.outcome == "ok" and disallowed.reason == "robots"
    (mine,) = [r for r in robots if r.url.startswith(site.base)]
    assert mine.ok and len(mine.body) == 500 * 1024


def test_robots_txt_is_fetched_again_by_the_next_run(healthy: Site) -> None:
    answers = iter([page("busy", status=503), page("User-agent: *\nAllow: /\n", content_type="text/plain")])
    with serve({"/robots.txt": lambda r: next(answers)(r), "/a": page(ARTICLE)}) as site:
        (first,), _ = fetch_beside([site.base + "/a"], healthy, retries=0)
        (second,), _ = fetch_beside([site.base + "/a"], healthy, retries=0)
        assert len(site.hits("/robots.txt")) == 2
    assert first.reason == "robots_unreachable" and second.outcome == "ok"


@pytest.mark.parametrize(("status", "outcome"), [(401, "ok"), (403, "ok"), (404, "ok"), (429, "skipped")])
def test_a_robots_txt_answered_4xx_allows_everything_but_429_asks_to_wait(
    status: int, outcome: str, healthy: Site
) -> None:
    # RFC 9309 lets a crawler take a 4xx as "no robots.txt"; a 429 is the host asking to slow down, which Google's
    # crawler reads as a 5xx (unreachable: nothing fetched this run), and so does copydesk.
    with serve({"/robots.txt": page("no", status=status), "/a": page(ARTICLE)}) as site:
        (result,), robots = fetch_beside([site.base + "/a"], healthy, retries=0)
    assert result.outcome == outcome
    assert result.outcome == "ok" or result.reason == "robots_unreachable"
    assert [r.status for r in robots if r.url.startswith(site.base)] == [status]


def test_a_disallowed_url_has_a_row_with_reason_robots(healthy: Site) -> None:
    routes = {"/robots.txt": page("User-agent: *\nDisallow: /private/\n", content_type="text/plain")}
    with serve(routes | {"/private/a": page(ARTICLE)}) as site:
        (result,), _ = fetch_beside([site.base + "/private/a"], healthy)
        assert site.hits("/private/a") == []
    assert_recorded(result, "skipped", "robots", "disallowed by robots.txt for 'copydesk-test/1.0'")
    assert [a.status for a in result.attempts] == [None]


def test_a_huge_crawl_delay_is_capped(healthy: Site) -> None:
    routes = {"/robots.txt": page("User-agent: *\nCrawl-delay: 1e9\n", content_type="text/plain")}
    with serve(routes | {"/a": page(ARTICLE), "/b": page(ARTICLE)}) as site:
        results, _ = fetch_beside([site.base + "/a", site.base + "/b"], healthy, max_crawl_delay=0.2)
        a, b = (site.hits(p)[0].at for p in ("/a", "/b"))
    assert [r.outcome for r in results] == ["ok", "ok"]
    assert abs(b - a) >= 0.2  # the cap is a delay, not no delay


def test_a_crawl_delay_over_the_cap_can_skip_the_host(healthy: Site) -> None:
    routes = {"/robots.txt": page("User-agent: *\nCrawl-delay: 3600\n", content_type="text/plain")}
    with serve(routes | {"/a": page(ARTICLE)}) as site:
        (result,), robots = fetch_beside([site.base + "/a"], healthy, crawl_delay_over_cap="skip")
        assert site.hits("/a") == []
    assert_recorded(result, "skipped", "crawl_delay", "Crawl-delay 3600 s, over max_crawl_delay=30 s")
    assert any(r.url == site.base + "/robots.txt" and r.ok for r in robots)


# --- real ingest runs ----------------------------------------------------------------------------------------------

WORDS = "harbour council ferry quay tide fishers crab quota library glacier museum bronze marathon rents tram".split()


def story(n: int) -> str:
    """An article page with enough distinct text to be extracted (and not clustered with the others)."""
    sentences = [" ".join(WORDS[(n * 7 + i * j) % len(WORDS)] for j in range(14)).capitalize() + "." for i in range(8)]
    return html(f"Story {n} of the day", [" ".join(sentences[i : i + 2]) for i in range(0, 8, 2)])


def rss(links: Sequence[str]) -> Route:
    items = "".join(
        f"<item><title>Item {i}</title><link>{link}</link><pubDate>Mon, 01 Jun 2026 0{i % 10}:00 GMT</pubDate></item>"
        for i, link in enumerate(links)
    )
    xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    return page(xml, content_type="application/rss+xml")


def write_sources(path: Path, feeds: dict[str, str], settings: str) -> Path:
    blocks = [f'[[sources]]\nname = "{name}"\nfeeds = ["{feed}"]\n' for name, feed in feeds.items()]
    path.write_text("\n".join(blocks) + "\n[settings]\n" + settings, encoding="utf-8")
    return path


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


FAST = "per_host_delay = 0.0\nextract_workers = 1\nread_timeout = 1.0\ntotal_timeout = 3.0\nretries = 0\n"


def test_two_runs_over_a_site_with_invalid_validators_both_complete(prefect_harness: None, tmp_path: Path) -> None:
    etag, last_modified = '"café"'.encode(), f"{LAST_MODIFIED}\u00a0".encode()
    routes = {f"/news/{n}": with_validators(story(n).encode(), etag, last_modified) for n in range(2)}
    with serve(routes) as site:
        site.routes["/rss.xml"] = rss([f"{site.base}/news/{n}" for n in range(2)])
        sources, db = write_sources(tmp_path / "s.toml", {"wire": site.base + "/rss.xml"}, FAST), tmp_path / "n.duckdb"
        first = asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        with writing(db) as con:  # what a run before validators were checked stored
            con.execute("UPDATE seen_urls SET etag = ?, last_modified = ?", [etag.decode(), last_modified.decode()])
            con.execute("UPDATE articles SET etag = ?, last_modified = ?", [etag.decode(), last_modified.decode()])
        second = asyncio.run(ingest(str(sources), db=str(db), allow_private=True))
        rechecks = [r for r in site.log if r.path.startswith("/news/")][2:]
    assert (first["new"], second["unchanged"]) == (2, 2)
    assert query(db, "SELECT status FROM runs ORDER BY started_at") == [("completed",), ("completed",)]
    assert query(db, "SELECT count(*) FROM articles WHERE etag IS NOT NULL AND etag <> ?", [etag.decode()]) == [(0,)]
    assert len(rechecks) == 2 and not [r for r in rechecks if "If-None-Match" in r.headers]


HOSTILE_ARTICLES: dict[str, tuple[Route, str, str]] = {
    # path on the hostile site: (route, seen_urls outcome, reason)
    "/bad-location": (redirect("http://[x/"), "failed", "redirects"),
    "/private/a": (page(story(10)), "skipped", "robots"),
    "/gone": (page("gone", status=410), "skipped", "http_status"),
    "/doc": (page(b"%PDF-1.4", content_type="application/pdf"), "skipped", "type"),
    "/huge": (page(b"<p>x</p>" * 20_000), "skipped", "size"),
    "/section": (
        page(
            "<html><body>"
            + "".join(
                f'<article><h2><a href="/news/{i}">Council votes on plan {i} after debate</a></h2></article>'
                for i in range(12)
            )
            + "</body></html>"
        ),
        "skipped",
        "not_an_article",
    ),
}


def test_a_hostile_source_leaves_the_healthy_one_whole_and_every_reason_recorded(
    prefect_harness: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    healthy_routes = {f"/news/{n}": page(story(n)) for n in range(3)}
    robots = page("User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    hostile_routes = {"/robots.txt": robots} | {path: route for path, (route, _, _) in HOSTILE_ARTICLES.items()}
    with serve(healthy_routes) as good, serve(hostile_routes) as bad:
        good.routes["/rss.xml"] = rss([f"{good.base}/news/{n}" for n in range(3)])
        refused = f"http://127.0.0.2:{bad.base.rsplit(':', 1)[1]}/x"  # not in allow_hosts: the address guard
        bad.routes["/rss.xml"] = rss([bad.base + path for path in HOSTILE_ARTICLES] + [refused])
        settings = FAST + 'max_bytes = 50000\nallow_hosts = ["127.0.0.1/32"]\n'
        sources = write_sources(
            tmp_path / "s.toml", {"good": good.base + "/rss.xml", "bad": bad.base + "/rss.xml"}, settings
        )
        db = tmp_path / "n.duckdb"
        summary = asyncio.run(ingest(str(sources), db=str(db)))
        assert bad.hits("/private/a") == []
    assert query(db, "SELECT status FROM runs") == [("completed",)]
    assert sorted(u for (u,) in query(db, "SELECT url FROM articles")) == [f"{good.base}/news/{n}" for n in range(3)]
    assert summary["per_source"]["good"]["stored"] == 3
    seen = dict(
        (
            (u, (o, r))
            for u, o, r in query(
                db, "SELECT url, outcome, reason FROM seen_urls WHERE source = 'bad' AND kind = 'article'"
            )
        )
    )
    expected = {bad.base + path: (outcome, reason) for path, (_, outcome, reason) in HOSTILE_ARTICLES.items()}
    assert seen == expected | {refused: ("skipped", "guard")}
    rows = query(db, "SELECT url, reason, error FROM fetches WHERE kind = 'article' AND reason IS NOT NULL")
    assert {r for _, r, _ in rows} == {"redirects", "robots", "http_status", "type", "size", "guard"}
    assert all(error for _, _, error in rows)
    assert main(["stats", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    for reason in ("redirects", "robots", "http_status", "type", "size", "guard", "not_an_article"):
        assert reason in out


def test_stats_name_reasons_of_rows_from_before_the_reason_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now, db = datetime(2026, 6, 1, tzinfo=UTC), tmp_path / "old.duckdb"
    with writing(db) as con:
        load_seen(
            con,
            "r1",
            [
                SeenRow("http://a.test/s", "article", "a", "skipped", now, fetch_url="http://a.test/s"),
                SeenRow("http://a.test/t", "article", "a", "failed", now, fetch_url="http://a.test/t"),
            ],
        )
        load_errors(con, "r1", [ErrorRow("extract", "http://a.test/s", "NotAnArticleError", "an index page", now)])
    assert main(["stats", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "not_an_article" in out and "unrecorded" in out


def test_reading_commands_on_a_file_of_an_older_release_say_how_to_upgrade_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A review (2026-12-07): `stats` on a file an older release wrote printed two tables, then DuckDB's
    # 'Binder Error: Table "s" does not have a column named "reason"'. Reading commands do not change the file.
    db = tmp_path / "old.duckdb"
    with writing(db) as con:
        con.execute("ALTER TABLE seen_urls DROP COLUMN reason")  # as the release before the column wrote it
    before = db.read_bytes()
    assert main(["stats", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "written by an older copydesk" in err and "seen_urls.reason" in err and "copydesk run" in err
    assert main(["query", "--db", str(db), "SELECT reason FROM seen_urls"]) == 1
    assert "written by an older copydesk" in capsys.readouterr().err
    assert db.read_bytes() == before
    assert main(["query", "--db", str(db), "SELECT count(*) AS n FROM seen_urls"]) == 0  # what it has reads as it is
    with writing(db):  # what any writing command does first
        pass
    assert main(["stats", "--db", str(db)]) == 0


def test_every_reason_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert [r for r in REASONS if f" {r} " not in readme.replace("`", " ")] == []


def test_a_host_that_goes_down_mid_run_is_left_alone_after_a_few_refused_connections(healthy: Site) -> None:
    """Its robots.txt and first page answered, then the server went away: without a limit every remaining URL
    paid its retries and the Crawl-delay; after HOST_DOWN_AFTER refused connections in a row the rest are
    recorded as failed at once (tried again next run), and other hosts are fetched as usual."""
    from crawl.fetch import HOST_DOWN_AFTER

    async def go() -> tuple[Fetched, list[Fetched], Fetched]:
        async with Fetcher(policy(retries=2)) as fetcher:
            closing = {"Connection": "close"}  # no kept-alive connection outlives the server
            routes: dict[str, Route] = {
                "/robots.txt": lambda r: (200, {"Content-Type": "text/plain", **closing}, b"User-agent: *\n"),
                "/a": lambda r: (200, {"Content-Type": "text/html", **closing}, ARTICLE.encode()),
            }
            with serve(routes) as site:
                first = await fetcher.fetch(site.base + "/a", kind="article")
            rest = [await fetcher.fetch(f"{site.base}/n{i}", kind="article") for i in range(8)]
            return first, rest, await fetcher.fetch(healthy.base + "/ok", kind="article")

    first, rest, ok = asyncio.run(go())
    assert first.outcome == "ok" and ok.outcome == "ok"
    assert [(r.outcome, r.reason) for r in rest] == [("failed", "network")] * 8  # each URL accounted for
    requested = [a for r in rest for a in r.attempts if a.elapsed_ms or "left alone" not in (a.error or "")]
    assert len(requested) == HOST_DOWN_AFTER, [a.error for a in requested]  # 2 URLs x 3 tries, then no more
    left = [r for r in rest if "left alone until the next run" in (r.error or "")]
    assert len(left) == 8 - HOST_DOWN_AFTER // 3 and all(len(r.attempts) == 1 for r in left)


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_a_host_that_hangs_up_without_a_status_line_is_left_alone_after_a_few_requests(
    healthy: Site, reset: bool
) -> None:
    """Connections accepted, then closed ("Server disconnected without sending a response") or reset: every URL
    was tried retries + 1 times, and a reset was recorded as "ReadError: " with nothing after it."""
    from crawl.fetch import HOST_DOWN_AFTER

    routes: dict[str, Route] = {"/robots.txt": page("User-agent: *\n", content_type="text/plain")}
    routes |= {f"/n{i}": (lambda r: HangUp(reset=reset)) for i in range(10)}
    with serve(routes) as site:
        urls = [f"{site.base}/n{i}" for i in range(10)]
        results, _ = fetch_beside(urls, healthy, retries=1, per_host_concurrency=1)
        asked = sum(len(site.hits(f"/n{i}")) for i in range(10))
    assert asked == HOST_DOWN_AFTER  # 3 URLs x 2 tries, then no more
    assert all((r.outcome, r.reason) == ("failed", "network") for r in results)  # each URL accounted for
    assert all("left unanswered its last" in (r.error or "") for r in results[HOST_DOWN_AFTER // 2 :])
    asked_errors = [a.error or "" for r in results for a in r.attempts if "left unanswered" not in (a.error or "")]
    expected = "ReadError: the connection broke" if reset else "RemoteProtocolError: Server disconnected"
    assert len(asked_errors) == HOST_DOWN_AFTER and all(e.startswith(expected) for e in asked_errors), asked_errors


def test_a_host_that_connects_but_never_answers_is_left_alone_after_a_few_requests(healthy: Site) -> None:
    """A dead backend behind a live load balancer: connections are accepted, no status line comes. Each URL cost
    a read_timeout (a few hundred URLs: the whole source_timeout, every run); now HOST_DOWN_AFTER of them do."""
    from crawl.fetch import HOST_DOWN_AFTER

    def silent(request: Request) -> Raw:
        time.sleep(1.5)  # past read_timeout=0.3; the server thread then writes to a closed connection
        return Raw([b"HTTP/1.1 200 OK"], [])

    routes: dict[str, Route] = {"/robots.txt": page("User-agent: *\n", content_type="text/plain")}
    routes |= {f"/n{i}": silent for i in range(10)}
    with serve(routes) as site:
        urls = [f"{site.base}/n{i}" for i in range(10)]
        results, _ = fetch_beside(urls, healthy, read_timeout=0.3, per_host_concurrency=1)  # one in flight
        asked = sum(len(site.hits(f"/n{i}")) for i in range(10))
    assert [(r.outcome, r.reason) for r in results].count(("failed", "timeout")) == HOST_DOWN_AFTER
    left = [r for r in results if "left unanswered its last" in (r.error or "")]
    assert len(left) == 10 - HOST_DOWN_AFTER and all(r.reason == "network" for r in left)
    assert asked == HOST_DOWN_AFTER


def test_sitemaps_that_never_answer_leave_the_hosts_articles_to_be_fetched(healthy: Site) -> None:
    """A review: a site whose child sitemaps take longer than read_timeout to generate answers its articles at
    once, but seven timed-out sitemaps made the host "down", and its articles were never asked for, run after run.
    The sitemaps are left alone after HOST_DOWN_AFTER; the articles are fetched."""
    from crawl.fetch import HOST_DOWN_AFTER

    def silent(request: Request) -> Raw:
        time.sleep(1.5)  # past read_timeout=0.3
        return Raw([b"HTTP/1.1 200 OK"], [])

    routes: dict[str, Route] = {"/robots.txt": page("User-agent: *\n", content_type="text/plain")}
    routes |= {f"/s{i}.xml": silent for i in range(8)} | {f"/a{i}": page(ARTICLE) for i in range(3)}

    async def go(base: str) -> tuple[list[Fetched], list[Fetched]]:
        async with Fetcher(policy(read_timeout=0.3, per_host_concurrency=1, retries=0)) as fetcher:
            sitemaps = await fetch_all(fetcher, [f"{base}/s{i}.xml" for i in range(8)], kind="sitemap")
            return sitemaps, await fetch_all(fetcher, [f"{base}/a{i}" for i in range(3)], kind="article")

    with serve(routes) as site:
        sitemaps, articles = asyncio.run(go(site.base))
    assert [r.reason for r in sitemaps].count("timeout") == HOST_DOWN_AFTER
    assert all("last 6 feed and sitemap requests" in (r.error or "") for r in sitemaps[HOST_DOWN_AFTER:])
    assert [(r.outcome, r.body) for r in articles] == [("ok", BODY)] * 3


BODY = ARTICLE.encode()


def answer(status: str, *headers: str, body: bytes = BODY) -> Route:
    return raw(f"HTTP/1.1 {status}", *headers, f"Content-Length: {len(body)}", body=body)


# name: (route at /x, the body expected, the content type expected); each answer is the page (outcome ok).
READ_LIKE_A_BROWSER = {
    # PHP behind a proxy: httpx joined the two fields, and "text/html, text/html; charset=UTF-8" was no HTML.
    "Content-Type twice": (
        answer("200 OK", "Content-Type: text/html", "Content-Type: text/html; charset=UTF-8"),
        "text/html; charset=UTF-8",
    ),
    "Content-Type twice, charset first": (
        answer("200 OK", "Content-Type: text/html; charset=windows-1251", "Content-Type: text/html"),
        "text/html; charset=windows-1251",
    ),
    "Content-Type empty": (answer("200 OK", "Content-Type:"), None),
    "203 from a proxy": (answer("203 Non-Authoritative Information", "Content-Type: text/html"), "text/html"),
    "206 of the whole page": (
        answer("206 Partial Content", "Content-Type: text/html", f"Content-Range: bytes 0-{len(BODY) - 1}/{len(BODY)}"),
        "text/html",
    ),
}


@pytest.mark.parametrize("case", list(READ_LIKE_A_BROWSER))
def test_an_answer_a_browser_shows_is_read(case: str, healthy: Site) -> None:
    route, content_type = READ_LIKE_A_BROWSER[case]
    with serve({"/x": route}) as site:
        (result,), _ = fetch_beside([site.base + "/x"], healthy)
    assert (result.outcome, result.body, result.content_type) == ("ok", BODY, content_type), result


def test_a_location_sent_twice_is_followed_once_and_two_that_differ_are_refused(healthy: Site) -> None:
    # httpx joins them: "/ok, /ok" was requested (a 404 skipped the article for good, or stored it under that URL).
    routes = {
        "/same": raw("HTTP/1.1 302 Found", "Location: /ok", "Location: /ok", "Content-Length: 0"),
        "/differ": raw("HTTP/1.1 302 Found", "Location: /ok", "Location: /elsewhere", "Content-Length: 0"),
        "/ok": page(ARTICLE),
    }
    with serve(routes) as site:
        (same, differ), _ = fetch_beside([site.base + "/same", site.base + "/differ"], healthy)
    assert (same.outcome, same.final_url, same.body) == ("ok", site.base + "/ok", BODY)
    assert_recorded(differ, "failed", "redirects", "redirect 302 with conflicting Locations '/ok', '/elsewhere'")


def test_a_206_of_part_of_the_page_is_no_page(healthy: Site) -> None:
    route = answer("206 Partial Content", "Content-Type: text/html", f"Content-Range: bytes 0-99/{len(BODY) * 2}")
    with serve({"/x": route}) as site:
        (result,), _ = fetch_beside([site.base + "/x"], healthy)
    assert_recorded(result, "failed", "http_status", "HTTP 206 Partial Content (Content-Range 'bytes 0-99/")


REFRESH_PAGES = {
    "meta 0": ("<html><head><meta http-equiv='refresh' content='0; url=/real'><title>Redirecting</title></head>", True),
    "meta, quoted URL": ('<html><head><META HTTP-EQUIV="Refresh" CONTENT="1;URL=\'/real\'"></head>', True),
    "meta in noscript": ("<html><head><noscript><meta http-equiv='refresh' content='0;url=/real'></noscript>", False),
    "live page reloading": ("<html><head><meta http-equiv='refresh' content='300; url=/real'></head>", False),
    "meta to itself": ("<html><head><meta http-equiv='refresh' content='0'></head>", False),
    "meta with an empty URL": ("<html><head><meta http-equiv='refresh' content='0; url='></head>", False),
    # A review of this stop's change: what the browser does not act on as markup.
    "meta in a comment": ("<html><head><!-- <meta http-equiv='refresh' content='0; url=/real'> --></head>", False),
    "meta a script writes": (
        '<html><head><script>if (x) document.write(\'<meta http-equiv="refresh" content="0;url=/real">\')'
        "</script></head>",
        False,
    ),
}


@pytest.mark.parametrize("case", list(REFRESH_PAGES))
def test_a_page_that_refreshes_at_once_to_another_address_is_a_redirect(case: str, healthy: Site) -> None:
    # Read as the article, "Redirecting" was stored as the story, and the next run only re-checked it.
    head, followed = REFRESH_PAGES[case]
    routes = {"/x": page(head + "<body><p>Redirecting to the story.</p></body></html>"), "/real": page(ARTICLE)}
    with serve(routes) as site:
        (result,), _ = fetch_beside([site.base + "/x"], healthy)
    assert result.outcome == "ok"
    assert (result.final_url == site.base + "/real", result.body == BODY) == (followed, followed), result


def test_a_refresh_header_is_a_redirect(healthy: Site) -> None:
    route = answer(
        "200 OK", "Content-Type: text/html", "Refresh: 0; url=/real", body=b"<html><body>Moved</body></html>"
    )
    with serve({"/x": route, "/real": page(ARTICLE)}) as site:
        (result,), _ = fetch_beside([site.base + "/x"], healthy)
    assert (result.outcome, result.final_url, result.body) == ("ok", site.base + "/real", BODY)


MALFORMED_ANSWERS = {
    "a space before a header's colon": ("HTTP/1.1 200 OK", "Content-Type: text/html", "Cache-Control : max-age=60"),
    # A review (2026-12-07): h11's other refusals were tried again and counted the host down.
    "two Content-Lengths": ("HTTP/1.1 200 OK", "Content-Type: text/html", "Content-Length: 10", "Content-Length: 20"),
    "a megabyte of headers": ("HTTP/1.1 200 OK", "Content-Type: text/html", "X-Pad: " + "a" * 1_000_000),
    "a transfer coding h11 does not read": ("HTTP/1.1 200 OK", "Content-Type: text/html", "Transfer-Encoding: gzip"),
    "a 101 nobody asked for": ("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade"),
    # A review: a chunk whose size line is no hex number was tried three times.
    "a chunk size that is no number": ("HTTP/1.1 200 OK", "Content-Type: text/html", "Transfer-Encoding: chunked"),
}
MALFORMED_BODIES = {"a chunk size that is no number": b"ZZZ\r\n" + BODY}


@pytest.mark.parametrize("case", list(MALFORMED_ANSWERS))
def test_an_answer_h11_will_not_read_is_not_tried_again_nor_taken_for_a_host_down(case: str, healthy: Site) -> None:
    # "Cache-Control : max-age=60" on every page of a site: each URL was tried three times and, no status line
    # having been read, counted as unanswered, so the host was "down" and its other articles lost.
    route = raw(*MALFORMED_ANSWERS[case], body=MALFORMED_BODIES.get(case, BODY))
    with serve({f"/a/{n}": route for n in range(8)}) as site:
        results, _ = fetch_beside([f"{site.base}/a/{n}" for n in range(8)], healthy)
    for result in results:
        assert_recorded(result, "failed", "network", "is not valid HTTP/1.1 (browsers tolerate it; we do not)")
        assert len(result.attempts) == 1, result.attempts
    # Asked once each (robots.txt aside), and none left alone as a host down.
    assert sorted(r.path for r in site.log if r.path != "/robots.txt") == [f"/a/{n}" for n in range(8)]


@contextlib.contextmanager
def keep_alive_with_a_stray_line_after_each_body() -> Iterator[str]:
    """A server that keeps connections open and sends a CRLF past each body's Content-Length (a PHP/CGI bug): the
    next answer on the connection starts with it, and h11 says "no response line received"."""
    listener = socket.create_server(("127.0.0.1", 0))

    def answer(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # the client may drop a connection it found broken
            pending = b""
            while True:
                while b"\r\n\r\n" not in pending:
                    data = conn.recv(65536)
                    if not data:
                        return
                    pending += data
                _, pending = pending.split(b"\r\n\r\n", 1)
                body = ARTICLE.encode()
                head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n"
                conn.sendall(head.encode() + body + b"\r\n")

    def accept() -> None:
        with contextlib.suppress(OSError):  # the listener closed: the test is over
            while True:
                threading.Thread(target=answer, args=(listener.accept()[0],), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_bytes_an_answer_left_on_a_reused_connection_are_tried_again_on_a_new_one() -> None:
    # A review of the rule above: "no response line received" was taken for a malformed answer, and every other
    # page of such a site failed.
    async def one_by_one(base: str) -> list[Fetched]:  # as a polite crawl asks one host
        async with Fetcher(policy(retries=2)) as fetcher:
            return [await fetcher.fetch(f"{base}/a/{n}", kind="article") for n in range(6)]

    with keep_alive_with_a_stray_line_after_each_body() as base:
        results = asyncio.run(one_by_one(base))
    assert [r.outcome for r in results] == ["ok"] * 6, [r.attempts for r in results]
    assert "no response line received" in (results[1].attempts[0].error or "")  # the reused connection's leftover


def test_a_site_that_sets_a_cookie_and_sends_us_back_is_read_on_the_second_visit(healthy: Site) -> None:
    # A consent or session check: 302 to the same address with Set-Cookie. Called a redirect loop, the article was
    # retried for a week, failing the same way; a browser (and curl -L -b) reads it.
    def wall(request: Request) -> tuple[int, dict[str, str], bytes] | Raw:
        if "seen=1" in request.headers.get("Cookie", ""):
            return 200, {"Content-Type": "text/html"}, BODY
        return raw("HTTP/1.1 302 Found", "Location: /x", "Set-Cookie: seen=1; Path=/", "Content-Length: 0")(request)

    loop = raw("HTTP/1.1 302 Found", "Location: /loop", "Set-Cookie: n=1; Path=/", "Content-Length: 0")
    with serve({"/x": wall, "/loop": loop}) as site:
        (result, looped), _ = fetch_beside([site.base + "/x", site.base + "/loop"], healthy)
    assert (result.outcome, result.body) == ("ok", BODY), result
    assert_recorded(looped, "failed", "redirects", "redirect loop back to")  # a cookie that changes nothing: a loop
