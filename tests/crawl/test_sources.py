"""A source's own policy: its user agent, headers, cookies, timeout and politeness reach its requests only."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Sequence
from typing import Any

import pytest

from crawl.fetch import Fetched, Fetcher
from crawl.policy import FetchPolicy
from crawl.sources import Source
from tests.loopback import Request, fetch_all, html, page, serve

ARTICLE = html("Harbour reopens", ["The harbour reopened on Monday after a week of repairs."])
RUN = FetchPolicy(
    user_agent="copydesk-test/1.0",
    allow_private=True,
    per_host_delay=0.0,
    headers=(("Accept-Language", "en"), ("X-Run", "1")),
    cookies=(("edition", "intl"),),
    contact_url="https://desk.example/bot",
    read_timeout=2.0,
    retries=0,
)


def source(**settings: Any) -> Source:
    return Source("s", feeds=("http://s.example/rss",), **settings)


def fetch_as(sources: Sequence[Source | None], urls: Sequence[str]) -> list[Fetched]:
    """Fetch `urls[i]` with the policy of `sources[i]` (None: the run's), all in one run."""

    async def go() -> list[Fetched]:
        async with Fetcher(RUN) as fetcher:
            fetchers = [fetcher.for_source(s.fetch_policy(RUN)) if s else fetcher for s in sources]
            return list(
                await asyncio.gather(*(f.fetch(u, kind="article") for f, u in zip(fetchers, urls, strict=True)))
            )

    return asyncio.run(go())


def test_a_sources_user_agent_headers_and_cookies_reach_its_requests_only() -> None:
    own = source(
        user_agent="special-bot/2", headers={"accept-language": "de", "X-Source": "s"}, cookies={"consent": "yes"}
    )
    with serve({"/a": page(ARTICLE)}) as mine, serve({"/a": page(ARTICLE)}) as other:
        results = fetch_as([own, None], [mine.base + "/a", other.base + "/a"])
        sent, plain = mine.hits("/a")[0].headers, other.hits("/a")[0].headers
    assert [r.outcome for r in results] == ["ok", "ok"]
    assert sent["User-Agent"] == "special-bot/2 (+https://desk.example/bot)"
    assert sorted(sent["Cookie"].split("; ")) == ["consent=yes", "edition=intl"]  # merged by name
    assert (sent["accept-language"], sent["X-Source"], sent["X-Run"]) == ("de", "s", "1")
    assert plain["User-Agent"] == "copydesk-test/1.0 (+https://desk.example/bot)" and plain["Accept-Language"] == "en"
    assert plain["Cookie"] == "edition=intl" and "X-Source" not in plain


def test_robots_txt_is_read_once_per_host_and_obeyed_per_user_agent() -> None:
    robots = page("User-agent: special-bot\nDisallow: /\n\nUser-agent: *\nAllow: /\n", content_type="text/plain")
    with serve({"/robots.txt": robots, "/a": page(ARTICLE), "/b": page(ARTICLE)}) as site:
        mine, theirs = fetch_as([source(user_agent="special-bot/2"), None], [site.base + "/a", site.base + "/b"])
        assert len(site.hits("/robots.txt")) == 1 and site.hits("/a") == []
    assert (mine.outcome, mine.reason, theirs.outcome) == ("skipped", "robots", "ok")


def slow(request: Request) -> tuple[int, dict[str, str], bytes]:
    threading.Event().wait(0.6)  # a slow server, not synchronization: the answer comes late
    return 200, {"Content-Type": "text/html"}, ARTICLE.encode()


def test_a_sources_timeout_bounds_its_requests_only() -> None:
    with serve({"/slow": slow}) as site:
        mine, theirs = fetch_as([source(timeout=0.2), None], [site.base + "/slow", site.base + "/slow"])
    assert (mine.outcome, mine.reason) == ("failed", "timeout") and "0.2 s" in (mine.error or "")
    assert theirs.outcome == "ok"


def starts(results: Sequence[Fetched]) -> list[float]:
    """When each request left, as the fetcher recorded it (a server under load may see two closer)."""
    return sorted(a.started_at.timestamp() for r in results for a in r.attempts)


def test_a_sources_per_host_delay_spaces_its_host_only() -> None:
    with (
        serve({f"/a{i}": page(ARTICLE) for i in range(4)}) as mine,
        serve({f"/b{i}": page(ARTICLE) for i in range(4)}) as other,
    ):
        urls = [mine.base + f"/a{i}" for i in range(4)] + [other.base + f"/b{i}" for i in range(4)]
        results = fetch_as([source(per_host_delay=0.3)] * 4 + [None] * 4, urls)
    assert all(r.outcome == "ok" for r in results)
    slow, fast = starts(results[:4]), starts(results[4:])
    assert min(b - a for a, b in zip(slow, slow[1:], strict=False)) >= 0.3
    # The other host is not held to that pace: two of its requests (concurrency 2, no delay) leave together.
    assert min(b - a for a, b in zip(fast, fast[1:], strict=False)) < 0.3


def meeting(parties: int) -> tuple[dict[str, Any], list[str]]:
    """Routes whose requests wait (up to 1 s) for `parties` of them to be in flight at once; what each saw."""
    barrier, seen = threading.Barrier(parties, timeout=1.0), []

    def route(request: Request) -> tuple[int, dict[str, str], bytes]:
        try:
            barrier.wait()
            seen.append("together")
        except threading.BrokenBarrierError:
            seen.append("alone")
        return 200, {"Content-Type": "text/html"}, ARTICLE.encode()

    return {f"/m{i}": route for i in range(parties)}, seen


@pytest.mark.parametrize(("concurrency", "expected"), [(2, {"together"}), (1, {"alone"})])
def test_a_sources_per_host_concurrency_is_how_many_of_its_requests_a_host_sees_at_once(
    concurrency: int, expected: set[str]
) -> None:
    routes, seen = meeting(2)
    with serve(routes) as site:
        urls = [site.base + "/m0", site.base + "/m1"]
        results = fetch_as([source(per_host_concurrency=concurrency)] * 2, urls)
    assert all(r.outcome == "ok" for r in results) and set(seen) == expected


@pytest.mark.parametrize(("concurrency", "expected"), [(2, {"together"}), (1, {"alone"})])
def test_concurrency_is_how_many_requests_are_in_flight_across_hosts(concurrency: int, expected: set[str]) -> None:
    routes, seen = meeting(2)
    with serve({"/m0": routes["/m0"]}) as first, serve({"/m1": routes["/m1"]}) as second:
        run = dataclasses.replace(RUN, concurrency=concurrency)

        async def go() -> list[Fetched]:
            async with Fetcher(run) as fetcher:
                return await fetch_all(fetcher, [first.base + "/m0", second.base + "/m1"], kind="article")

        results = asyncio.run(go())
    assert all(r.outcome == "ok" for r in results) and set(seen) == expected


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"per_host_delay": -1}, "per_host_delay must be a number from 0 to 3600 (seconds), got -1"),
        ({"timeout": 0}, "timeout must be a number greater than 0 and at most 3600 (seconds), got 0"),
        ({"max_pages": 0}, "max_pages must be an integer from 1 to 10_000_000 (pages per run), got 0"),
        ({"headers": {"Host": "x"}}, "headers: 'Host' cannot be set here: the HTTP client sets it from the URL"),
        ({"headers": {"User-Agent": "x"}}, "headers: 'User-Agent' cannot be set here: set user_agent instead"),
        ({"headers": {"X-A": "caf\u00e9"}}, "headers: the value of 'X-A' must be printable ASCII"),
        ({"headers": ["X-A"]}, "headers must be a table of strings"),
        ({"cookies": {"consent": "a b"}}, "cookies: the value of cookie 'consent' may hold printable ASCII except"),
        ({"cookies": {"a=b": "1"}}, "cookies: 'a=b' is not a cookie name"),
        ({"proxy": "socks5://p:1080"}, "proxy='socks5://p:1080' is not an http:// or https:// proxy URL"),
        ({"proxy": "http://p:1080/path"}, "proxy='http://p:1080/path' has a path or query"),
        ({"user_agent": "bot\r\nX: 1"}, "user_agent must be printable ASCII without control characters"),
        ({"enabled": "no"}, "enabled must be true or false, got the string 'no'"),
        ({"body_selector": "div[["}, "body_selector 'div[[' is not a valid CSS selector or XPath"),
    ],
)
def test_a_bad_source_setting_is_refused_naming_it(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as error:
        source(**settings)
    assert message in str(error.value)


def test_a_source_cannot_change_the_runs_guard_or_global_limit() -> None:
    with pytest.raises(ValueError, match="a source cannot change the run's concurrency, allow_private"):
        Fetcher(RUN).for_source(FetchPolicy(concurrency=1, allow_private=False))
