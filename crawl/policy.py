"""How to fetch: `FetchPolicy`, validated when it is built, and the checks every setting goes through.

A FetchPolicy holds everything the fetcher needs to know (user agent, extra headers and cookies, proxy,
timeouts, size and redirect limits, retries, politeness, the address guard's exceptions). The run's policy
comes from `[settings]`; a source's is the run's with that source's overrides (crawl.sources). Each value
is checked against its type and range here, with a message that names the setting and says what would be
valid; flows/config.py checks the other settings with the same functions. Pure: no I/O, no environment.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import idna

DEFAULT_USER_AGENT = "copydesk/0.1 (+https://github.com/copydesk/copydesk; news archiving bot)"
HOST_RULE = "a host name is dot-separated labels of 1-63 letters, digits or hyphens (or an IP address)"

# What a check of a string setting says is wrong with `value` (None: nothing), given the setting's name.
Rule = Callable[[str, str], "str | None"]


@dataclass(frozen=True, slots=True)
class Range:
    """The valid values of a numeric setting; bounds are inclusive unless marked open."""

    low: float
    high: float
    unit: str = ""
    open_low: bool = False
    open_high: bool = False
    hint: str = ""

    def __contains__(self, value: float) -> bool:
        above = value > self.low if self.open_low else value >= self.low
        below = value < self.high if self.open_high else value <= self.high
        return above and below

    def describe(self, *, integer: bool) -> str:
        """What a valid value is, in words: "an integer from 0 to 10", "a number greater than 0 ..."."""
        kind = "an integer" if integer else "a number"
        low, high = (_figure(b) for b in (self.low, self.high))
        if self.open_low and self.open_high:
            text = f"{kind} between {low} and {high}, exclusive"
        elif self.open_low:
            text = f"{kind} greater than {low} and at most {high}"
        else:
            text = f"{kind} from {low} to {high}"
        return f"{text} ({self.unit})" if self.unit else text


def _figure(bound: float) -> str:
    """A bound as TOML would take it: 3600, 10_000_000, 0.5."""
    if bound != int(bound):
        return f"{bound:g}"
    return f"{int(bound):_}" if bound >= 10_000 else str(int(bound))


# Upper bounds keep one setting from holding a run for days or the machine's memory; NaN and inf never pass.
_TIMEOUT = Range(0, 3600, "seconds", open_low=True)
FETCH_RANGES: dict[str, Range] = {
    "concurrency": Range(1, 1024, "requests in flight"),
    "per_host_concurrency": Range(1, 64, "requests in flight per host"),
    "per_host_delay": Range(0, 3600, "seconds"),
    "connect_timeout": _TIMEOUT,
    "read_timeout": _TIMEOUT,
    "total_timeout": _TIMEOUT,
    # A source's `timeout`: its connect, read and total timeouts at once.
    "timeout": _TIMEOUT,
    "max_bytes": Range(1, 1_000_000_000, "bytes"),
    "max_redirects": Range(0, 50),
    "retries": Range(0, 10),
    "backoff": Range(0, 60, "seconds", hint="0.5 is the default"),
    "max_retry_after": Range(0, 86_400, "seconds"),
    "max_crawl_delay": Range(0, 86_400, "seconds", hint="30 is the default"),
}

_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")  # RFC 9110 field values without obs-text: httpx sends str as ASCII
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 5.6.2: a header or cookie name
_COOKIE_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")  # RFC 6265 4.1.1 cookie-octets
_LABEL = re.compile(r"[a-z0-9-]{1,63}", re.IGNORECASE)
_IPV4_STYLE = re.compile(r"[0-9]+(?:\.[0-9]+){3}")  # httpx reads such a host as an IPv4 address or refuses it
# Headers the HTTP client or copydesk itself sets; setting them by hand would break a request or a re-check.
_OWN_HEADERS = {
    "host": "the HTTP client sets it from the URL",
    "content-length": "the HTTP client sets it",
    "transfer-encoding": "the HTTP client sets it",
    "connection": "the HTTP client manages connections",
    "keep-alive": "the HTTP client manages connections",
    "te": "the HTTP client sets it",
    "upgrade": "the HTTP client manages connections",
    "proxy-connection": "the HTTP client manages connections",
    "user-agent": "set user_agent instead",
    "cookie": "set cookies instead",
    "if-none-match": "copydesk sends it from the validators it stored",
    "if-modified-since": "copydesk sends it from the validators it stored",
    "accept-encoding": "copydesk decodes gzip and deflate, and asks for those",
}


def checked(
    name: str,
    annotation: str,
    value: Any,
    *,
    ranges: Mapping[str, Range],
    rules: Mapping[str, Rule] | None = None,
) -> Any:
    """`value` as setting `name` holds it (an int for a float becomes a float, a list a tuple), or ValueError.

    `annotation` is the setting's type as written in its dataclass; `ranges` give numeric bounds by name and
    `rules` further checks of a string (or of each item or pair of a list or table) by name.
    """
    rule = (rules or {}).get(name)
    if value is None and annotation.endswith("| None"):
        return None
    annotation = annotation.removesuffix(" | None")
    if annotation == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false, got {shown(value)}")
        return value
    if annotation in ("int", "float"):
        return _number(name, value, ranges[name], integer=annotation == "int")
    if annotation == "tuple[str, ...]":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name} must be a list of strings, got {shown(value)}")
        for item in value:
            _apply(rule, name, item)
        return tuple(value)
    if annotation == "tuple[tuple[str, str], ...]":
        return _pairs(name, value, rule)
    if annotation == "str" or annotation.startswith("Literal["):
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string, got {shown(value)}")
        _apply(rule, name, value)
        return value
    raise TypeError(f"setting {name}: no validation for the type {annotation}; add it to crawl.policy.checked")


def _number(name: str, value: Any, valid: Range, *, integer: bool) -> int | float:
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    finite = ok_type and not (isinstance(value, float) and not math.isfinite(value))
    if isinstance(value, bool) or not finite or value not in valid:
        hint = f"; {valid.hint}" if valid.hint else ""
        raise ValueError(f"{name} must be {valid.describe(integer=integer)}, got {shown(value)}{hint}")
    return value if integer else float(value)


def _pairs(name: str, value: Any, rule: Rule | None) -> tuple[tuple[str, str], ...]:
    """A TOML table of strings (or the pairs it became) as (key, value) pairs, each checked by `rule`."""
    if isinstance(value, Mapping):
        value = tuple(value.items())
    pairs = value if isinstance(value, list | tuple) else None
    if pairs is None or not all(
        isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in pairs
    ):
        raise ValueError(
            f'{name} must be a table of strings such as {{ "Accept-Language" = "en" }}, got {shown(value)}'
        )
    for key, item in pairs:
        _apply(rule, name, f"{key}\n{item}")  # one string, so pair rules share the Rule signature
    return tuple((key, item) for key, item in pairs)


def _apply(rule: Rule | None, name: str, value: str) -> None:
    problem = rule(name, value) if rule else None
    if problem:
        raise ValueError(problem)


def shown(value: Any) -> str:
    """A value as the user wrote it in TOML, named by its type where that is the mistake."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {_clip(repr(value))}"
    if isinstance(value, int | float):
        return _clip(repr(value))
    if isinstance(value, list | tuple):
        return f"the list {_clip(repr(list(value)))}"
    if isinstance(value, Mapping):
        return "a table"
    return f"{type(value).__name__} {_clip(repr(value))}"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def header_value(name: str, value: str) -> str | None:
    """A value sent as an HTTP header: printable ASCII, not empty."""
    if not value.strip():
        return f"{name} must not be empty: it is sent in every request's User-Agent header"
    if not _HEADER_VALUE.fullmatch(value):
        bad = next(c for c in value if not " " <= c <= "~")
        return (
            f"{name} must be printable ASCII without control characters (it is sent as an HTTP header), "
            f"got {shown(value)} with {bad!r}"
        )
    return None


def _header(name: str, pair: str) -> str | None:
    key, _, value = pair.partition("\n")
    if not _TOKEN.fullmatch(key):
        return f"{name}: {key!r} is not a header name (letters, digits and !#$%&'*+.^_`|~-)"
    if key.lower() in _OWN_HEADERS:
        return f"{name}: {key!r} cannot be set here: {_OWN_HEADERS[key.lower()]}"
    if not _HEADER_VALUE.fullmatch(value):
        return f"{name}: the value of {key!r} must be printable ASCII without control characters, got {value!r}"
    return None


def _cookie(name: str, pair: str) -> str | None:
    key, _, value = pair.partition("\n")
    if not _TOKEN.fullmatch(key):
        return f"{name}: {key!r} is not a cookie name (letters, digits and !#$%&'*+.^_`|~-)"
    if not _COOKIE_VALUE.fullmatch(value):
        return (
            f"{name}: the value of cookie {key!r} may hold printable ASCII except spaces, quotes, commas, "
            f"semicolons and backslashes (RFC 6265), got {value!r}"
        )
    return None


def proxy_problem(name: str, value: str) -> str | None:
    """What makes `value` unusable as a proxy URL, or None ("" means: no proxy)."""
    if value == "":
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError as exc:
        return f"{name}={value!r} is not a valid URL ({exc}); write it as 'http://proxy.example:3128'"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return (
            f"{name}={value!r} is not an http:// or https:// proxy URL with a host, such as "
            "'http://proxy.example:3128' ('' means no proxy)"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return f"{name}={value!r} has a path or query; a proxy URL is 'http://[user:password@]host[:port]'"
    problem = host_problem(parts.hostname)
    return f"{name}={value!r} has an invalid host: {problem}; {HOST_RULE}" if problem else None


def _allow_entry(name: str, entry: str) -> str | None:
    """allow_hosts takes host names, IP addresses and IP networks (CIDR)."""
    if "/" in entry:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return f"{name} entry {entry!r} is not a valid network such as 10.0.0.0/8"
        return None
    if entry.startswith("[") or "*" in entry:
        fix = "write IPv6 addresses without brackets" if "[" in entry else "wildcards are not supported"
        return f"{name} entry {entry!r}: {fix}; list host names, IP addresses or networks such as 10.0.0.0/8"
    problem = host_problem(entry)
    if problem:
        return f"{name} entry {entry!r} is not a host name, IP address or network (CIDR): {problem}; {HOST_RULE}"
    return None


def _crawl_delay_over_cap(name: str, value: str) -> str | None:
    if value in ("cap", "skip"):
        return None
    return f"{name}={value!r} is unknown; use 'cap' (crawl at max_crawl_delay) or 'skip' (do not crawl the host)"


def host_problem(host: str) -> str | None:
    """What makes `host` (as urlsplit gives it: no brackets, no port) unusable as a host, or None."""
    if not host:
        return "it is empty"
    if ":" in host or _IPV4_STYLE.fullmatch(host):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return f"{host!r} is not a valid IP address"
        return None
    name = host
    if not host.isascii():
        try:
            name = idna.encode(host.lower()).decode("ascii")  # as httpx will encode it
        except UnicodeError as exc:  # idna.IDNAError is one
            return f"{host!r} is not a valid international (IDNA) host name: {exc}"
    name = name.removesuffix(".")  # the root label: "example.org." is fully qualified
    if len(name) > 253:
        return f"it is {len(name)} characters long, over the 253 of a DNS name"
    for label in name.split("."):
        if not label:
            return f"{_clip(host, 60)!r} has an empty label (two dots in a row, or a leading dot)"
        if len(label) > 63:
            return f"its label {label[:20]}... is {len(label)} characters long, over 63"
        if not _LABEL.fullmatch(label):
            bad = next(c for c in label if not (c.isascii() and (c.isalnum() or c == "-")))
            return f"its label {_clip(label, 60)!r} has the character {bad!r}"
    return None


# Checks of string settings beyond their type (or of each item or table entry), by setting name.
FETCH_RULES: dict[str, Rule] = {
    "user_agent": header_value,
    "contact_url": header_value,
    "headers": _header,
    "cookies": _cookie,
    "proxy": proxy_problem,
    "allow_hosts": _allow_entry,
    "crawl_delay_over_cap": _crawl_delay_over_cap,
}


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How politely and defensively to fetch; each field is a `[settings]` key of the same name.

    `concurrency`, `allow_private` and `allow_hosts` are the run's (one limit and one guard for every
    source); a source may set its own user agent, headers, cookies, proxy, timeouts and per-host politeness.
    """

    user_agent: str = DEFAULT_USER_AGENT
    # Appended to the User-Agent as "(+url)" unless the user agent already names it.
    contact_url: str | None = None
    # Sent with every request (a source's are merged over these, name by name), cookies beside those the
    # servers set during the run.
    headers: tuple[tuple[str, str], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()
    # None: the standard environment variables (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY) decide;
    # "": no proxy; else an http(s):// proxy URL (NO_PROXY still applies).
    proxy: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    retries: int = 2
    # Exponential back-off between retries: up to backoff * 2^attempt seconds, with full jitter.
    backoff: float = 0.5
    max_retry_after: float = 30.0
    per_host_concurrency: int = 2
    # Seconds between two requests to one host (robots.txt Crawl-delay wins when larger).
    per_host_delay: float = 0.25
    concurrency: int = 16
    allow_private: bool = False
    allow_hosts: tuple[str, ...] = ()
    # A robots.txt Crawl-delay over this many seconds is capped to it ("cap") or its host is not crawled
    # ("skip", recorded with reason crawl_delay): one site asking for an hour between requests holds a run.
    max_crawl_delay: float = 30.0
    crawl_delay_over_cap: Literal["cap", "skip"] = "cap"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = checked(f.name, str(f.type), getattr(self, f.name), ranges=FETCH_RANGES, rules=FETCH_RULES)
            object.__setattr__(self, f.name, value)

    @property
    def agent(self) -> str:
        """The User-Agent header: the user agent, with the contact URL if it does not name it already."""
        if self.contact_url and self.contact_url not in self.user_agent:
            return f"{self.user_agent} (+{self.contact_url})"
        return self.user_agent

    @property
    def request_headers(self) -> dict[str, str]:
        """The headers every request under this policy carries (conditional ones are added per request)."""
        return {"User-Agent": self.agent, "Accept-Encoding": "gzip, deflate", **dict(self.headers)}


# The fields that hold for the whole run: one global request limit and one address guard for all sources.
RUN_FIELDS = ("concurrency", "allow_private", "allow_hosts")
