"""The robots.txt cache: one robots.txt request per host and run, its rules per user agent, what they mean.

RFC 9309: a host whose robots.txt cannot be fetched (timeout, network, 5xx) counts as disallowing everything
for the run (2.3.1.4); a 4xx, a redirect that goes nowhere or an empty file allows everything (2.3.1.2,
2.3.1.3). A 429 is the host asking us to slow down, not a missing file: it counts as a 5xx, as Google's crawler
counts it. The file is parsed off the event loop, once per user agent that asks (sources may have their own),
and its Crawl-delay slows the host's pace, capped at max_crawl_delay (or the host is skipped). Nothing is
kept across runs. No Prefect, no DuckDB: the fetcher hands its own fetch function in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crawl._http import FetchFailure, Reason
from crawl.policy import FetchPolicy
from crawl.politeness import HostPace
from extractors.robots import RobotsRules

if TYPE_CHECKING:
    from crawl.fetch import Fetched

# RFC 9309 2.3.1.2: robots.txt redirects are followed for at least five hops, whatever max_redirects says.
ROBOTS_REDIRECTS = 5
# After robots.txt fails this way, the host is treated as disallowing everything for the run (RFC 9309
# 2.3.1.4). A 4xx, a redirect that goes nowhere or an empty file allows everything (2.3.1.2, 2.3.1.3).
ROBOTS_UNREACHABLE: frozenset[Reason] = frozenset({"timeout", "network", "dns", "decoding", "unexpected"})

FetchRobots = Callable[[str, FetchPolicy], Awaitable["Fetched"]]


@dataclass(frozen=True, slots=True)
class _Verdict:
    """What a host's robots.txt says to one user agent: its rules, or why none of its URLs is fetched."""

    rules: RobotsRules | None = None
    refusal: tuple[Reason, str] | None = None


class RobotsCache:
    """robots.txt per host for one run, fetched with `fetch(url, policy)` by the first request to the host."""

    def __init__(self, fetch: FetchRobots) -> None:
        self._fetch = fetch
        # Tasks, so that concurrent first requests to a host share one request and one parse.
        self._files: dict[str, asyncio.Task[Fetched]] = {}
        self._verdicts: dict[tuple[str, str], asyncio.Task[_Verdict]] = {}
        self._responses: list[Fetched] = []

    async def check(self, origin: str, url: str, policy: FetchPolicy, pace: HostPace) -> None:
        """Raise a skipping FetchFailure unless robots.txt lets `policy`'s user agent fetch `url`."""
        verdict = await self._verdict_for(origin, policy, pace)
        if verdict.refusal is not None:
            reason, message = verdict.refusal
            raise FetchFailure("skipped", message, reason=reason)
        if verdict.rules is not None and not verdict.rules.allowed(url):
            raise FetchFailure("skipped", f"disallowed by robots.txt for {policy.agent!r}", reason="robots")

    async def sitemaps(self, origin: str, policy: FetchPolicy, pace: HostPace) -> tuple[str, ...]:
        """The Sitemap lines of the host's robots.txt (none if it could not be read), in file order."""
        verdict = await self._verdict_for(origin, policy, pace)
        return verdict.rules.sitemaps if verdict.rules is not None else ()

    async def _verdict_for(self, origin: str, policy: FetchPolicy, pace: HostPace) -> _Verdict:
        key = (origin, policy.agent)
        task = self._verdicts.get(key)
        if task is None:
            task = self._verdicts[key] = asyncio.ensure_future(self._verdict(origin, policy, pace))
        return await asyncio.shield(task)

    def take_responses(self) -> list[Fetched]:
        """The robots.txt responses since the last call, for the caller to record in `fetches`."""
        taken, self._responses = self._responses, []
        return taken

    def cancel(self) -> None:
        """Stop what is still loading (the run is over)."""
        for task in [*self._files.values(), *self._verdicts.values()]:
            task.cancel()

    async def _file(self, origin: str, policy: FetchPolicy) -> Fetched:
        task = self._files.get(origin)
        if task is None:
            task = self._files[origin] = asyncio.ensure_future(self._fetch(f"{origin}/robots.txt", policy))
            task.add_done_callback(self._keep)
        return await asyncio.shield(task)

    def _keep(self, done: asyncio.Task[Fetched]) -> None:
        if not done.cancelled() and done.exception() is None:
            self._responses.append(done.result())

    async def _verdict(self, origin: str, policy: FetchPolicy, pace: HostPace) -> _Verdict:
        result = await self._file(origin, policy)
        if result.reason in ROBOTS_UNREACHABLE or (result.status or 0) >= 500 or result.status == 429:
            why = "429 Too Many Requests, after retries" if result.status == 429 else result.error
            message = (
                f"robots.txt of {origin} could not be fetched ({why}); the host counts as disallowing "
                "everything until it can be, at the latest next run (RFC 9309 2.3.1.4)"
            )
            return _Verdict(refusal=("robots_unreachable", message))
        # Parsed off the event loop: up to 500 KiB of rules (RFC 9309 2.5) would stall every other host.
        body = result.body if result.ok else b""
        rules = await asyncio.to_thread(RobotsRules.from_bytes, body, user_agent=policy.agent)
        delay, cap = rules.crawl_delay, policy.max_crawl_delay
        if delay is not None and delay > cap:
            if policy.crawl_delay_over_cap == "skip":
                message = (
                    f"robots.txt of {origin} asks for Crawl-delay {delay:g} s, over max_crawl_delay={cap:g} s "
                    "(crawl_delay_over_cap = 'skip')"
                )
                return _Verdict(rules, ("crawl_delay", message))
            delay = cap
        if delay:
            pace.obey_crawl_delay(delay)
        return _Verdict(rules)
