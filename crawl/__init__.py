"""Crawling: discovery of article URLs and polite, guarded fetching. Imports extractors/ and httpx, never
Prefect or DuckDB (tests/crawl/test_layout.py fails if it does).

discover.py   feeds, sitemaps and links of a source -> candidate article URLs
fetch.py      Fetcher: one URL through redirects and retries to its outcome and `fetches` rows
politeness.py requests in flight (all, per host) and the spacing of request starts per host
robots.py     robots.txt once per host and run, its rules per user agent, Crawl-delay
addresses.py  the address guard: resolve once, refuse non-public addresses, connect only to those checked
clients.py    one httpx client per host and policy, direct (pinned addresses) or through a proxy
proxies.py    which proxy a request goes through: the `proxy` setting, else HTTP(S)_PROXY / NO_PROXY
policy.py     FetchPolicy and the checks every setting goes through
sources.py    Source: a site to crawl, with its own overrides of the run's policy and extraction hints
_http.py      what the fetcher accepts from a server and sends back
"""

from crawl._http import REASONS, Kind, Outcome, Reason
from crawl.discover import Budget, Candidate, Discovery, Limits, Problem, discover_source
from crawl.fetch import Attempt, Fetched, Fetcher, Validators
from crawl.policy import FetchPolicy
from crawl.proxies import ProxyEnvironment
from crawl.sources import Source

__all__ = [
    "REASONS",
    "Attempt",
    "Budget",
    "Candidate",
    "Discovery",
    "FetchPolicy",
    "Fetched",
    "Fetcher",
    "Kind",
    "Limits",
    "Outcome",
    "Problem",
    "ProxyEnvironment",
    "Reason",
    "Source",
    "Validators",
    "discover_source",
]
