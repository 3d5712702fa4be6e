"""The sources file: `[[sources]]` to crawl and `[settings]` for the run, validated once.

A config error names the file, the key and what is wrong, so a user can fix it without reading code.
CLI flags override `[settings]`; nothing else in copydesk reads files or the environment for settings.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import idna

DEFAULT_USER_AGENT = "copydesk/0.1 (+https://github.com/copydesk/copydesk; news archiving bot)"


class ConfigError(ValueError):
    """The sources file cannot be used as it is."""


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


# The valid values of every numeric setting, checked whenever Settings is built: from the sources file, CLI
# flags or Prefect parameters. A new numeric setting needs its line here (tests/flows/test_config.py checks).
# Upper bounds keep one setting from holding a run for days or the machine's memory; NaN and inf never pass.
RANGES: dict[str, Range] = {
    "concurrency": Range(1, 1024, "requests in flight"),
    "per_host_concurrency": Range(1, 64, "requests in flight per host"),
    "per_host_delay": Range(0, 3600, "seconds"),
    "connect_timeout": Range(0, 3600, "seconds", open_low=True),
    "read_timeout": Range(0, 3600, "seconds", open_low=True),
    "total_timeout": Range(0, 3600, "seconds", open_low=True),
    "max_bytes": Range(1, 1_000_000_000, "bytes"),
    "max_redirects": Range(0, 50),
    "retries": Range(0, 10),
    "max_retry_after": Range(0, 86_400, "seconds"),
    "dedup_threshold": Range(0, 1, open_low=True, open_high=True, hint="pass a Jaccard similarity such as 0.5"),
    "num_perm": Range(16, 1024, hint="128 is the default; 64-512 are usual"),
    "shingle_size": Range(1, 32, "words", hint="5 is the default"),
    # Windows reach back from now: 100 years means "all of them", and datetime arithmetic stays in range.
    "refetch_window_hours": Range(0, 876_000, "hours"),
    "retry_failed_after_minutes": Range(0, 52_560_000, "minutes"),
    "batch_size": Range(1, 10_000, "URLs"),
    "max_articles_per_source": Range(1, 10_000_000),
    "extract_workers": Range(0, 256, hint="0 means one per CPU core"),
    "extract_timeout": Range(0, 3600, "seconds per page", open_low=True),
    "max_crawl_delay": Range(0, 86_400, "seconds", hint="30 is the default"),
    "max_sitemap_urls": Range(1, 10_000_000, "URLs per source and run"),
    "source_timeout": Range(0, 86_400, "seconds", open_low=True, hint="600 is the default"),
    "max_items_per_feed": Range(1, 1_000_000, "items"),
    "max_urls_per_sitemap": Range(1, 50_000, "URLs", hint="50,000 is the sitemap protocol's limit per file"),
}
CANONICAL_RULES = ("earliest", "longest", "source_priority")
_MEMORY_LIMIT = re.compile(r"\d+(?:\.\d+)?\s*(?:[KMGT]i?B)", re.IGNORECASE)
# RFC 9110 field values, without obs-text: httpx sends str headers as ASCII and refuses anything else.
_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")
_LABEL = re.compile(r"[a-z0-9-]{1,63}", re.IGNORECASE)
_IPV4_STYLE = re.compile(r"[0-9]+(?:\.[0-9]+){3}")  # httpx reads such a host as an IPv4 address or refuses it
HOST_RULE = "a host name is dot-separated labels of 1-63 letters, digits or hyphens (or an IP address)"


@dataclass(frozen=True, slots=True)
class Source:
    """One news site: where to look for article URLs."""

    name: str
    homepage: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    # Off by default: link discovery fetches listing pages and finds fewer dates than feeds do.
    discover_links: bool = False
    # Levels of listing pages followed from the homepage when discover_links is on (1 = homepage only).
    link_depth: int = 2


@dataclass(frozen=True, slots=True)
class Settings:
    """Run-wide settings; every field can be set under [settings] or overridden by a CLI flag.

    Built from anywhere (the sources file, CLI flags, Prefect parameters), a Settings is checked field by
    field against its type and range (RANGES), with a message that says what would be valid.
    """

    db: str = "copydesk.duckdb"
    user_agent: str = DEFAULT_USER_AGENT
    contact_url: str | None = None
    concurrency: int = 16
    per_host_concurrency: int = 2
    # Seconds between two requests to one host (robots.txt Crawl-delay wins when larger).
    per_host_delay: float = 0.25
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    retries: int = 2
    max_retry_after: float = 30.0
    # A robots.txt Crawl-delay over this many seconds is capped to it ("cap") or its host is not crawled
    # ("skip", recorded with reason crawl_delay): one site asking for an hour between requests holds a run.
    max_crawl_delay: float = 30.0
    crawl_delay_over_cap: str = "cap"
    allow_private: bool = False
    allow_hosts: tuple[str, ...] = ()
    # Estimated Jaccard for "same story"; see extractors.fingerprint.DedupParams for the reasoning.
    dedup_threshold: float = 0.5
    num_perm: int = 128
    shingle_size: int = 5
    # Which copy of a syndicated story is its cluster's canonical article: earliest | longest |
    # source_priority (the first source in `source_priority` that carries it).
    canonical_rule: str = "earliest"
    source_priority: tuple[str, ...] = ()
    # Re-check (conditional GET) articles published within this many hours of their source's newest
    # article, to catch corrections and updates; most happen on a story's first day.
    refetch_window_hours: float = 24.0
    # A URL that failed (timeout, 5xx after retries) is tried again by runs at least this much later.
    retry_failed_after_minutes: float = 30.0
    # URLs per batch: a batch is fetched, extracted and loaded as one task run each, and one transaction. A
    # task run costs ~50 ms of CPU (~12 ms in the flow, ~40 ms in Prefect's server recording its states),
    # ~10% of a 2,900-page crawl's CPU with batches of 100 and ~5% with 200; a killed run re-fetches at most
    # the batches in flight.
    batch_size: int = 200
    max_articles_per_source: int = 10_000
    # URLs read from one source's sitemaps per run, all files together (each file also stops at the protocol's
    # 50,000): a 348k-URL sitemap took 447 MB. URLs over it are counted in an errors row (SitemapCapped).
    max_sitemap_urls: int = 100_000
    # Seconds one source may take per run, discovery and its article fetches together: past it the source
    # is cut off (recorded in `errors`) so a slow or hanging site cannot hold the run.
    source_timeout: float = 600.0
    # Items read from one feed, and page URLs from one sitemap: a hostile 1M-item feed took 33 s and 732 MB
    # to parse whole. 50,000 is the sitemap protocol's own limit per file.
    max_items_per_feed: int = 5_000
    max_urls_per_sitemap: int = 50_000
    # Processes that extract fetched pages, beside the flow's own (which fetches, loads and dedupes):
    # 0 = one per CPU core, 1 = none (extract in the flow's process, in a thread).
    extract_workers: int = 0
    # Seconds one page's extraction may take. Worker processes interrupt it (SIGALRM) once it is back in
    # Python code: a single long C call (libxml2 XPath over a huge tree) runs to its end first. Extraction in
    # a thread (extract_workers = 1, Dask) cannot be interrupted, so there it is measured and recorded after
    # the fact. Either way the page becomes an error row and the batch goes on. `clean` kills at the budget.
    extract_timeout: float = 10.0
    # DuckDB's memory for the dedup step, which scans the whole LSH index: against 1M stored articles it
    # took 25 s and 4.4 GB unbounded, 30 s and 1.4 GB at "1GB" (bench/README.md). DuckDB units: MB, GB, GiB...
    db_memory_limit: str = "2GB"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _valid(f.name, str(f.type), getattr(self, f.name)))
        if self.canonical_rule == "source_priority" and not self.source_priority:
            raise ValueError("canonical_rule = 'source_priority' needs source_priority = [names, in order]")

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given fields replaced; None values mean "not given" and are ignored."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **given)


def _valid(name: str, annotation: str, value: Any) -> Any:
    """`value` as setting `name` holds it (an int for a float becomes a float, a list a tuple), or ValueError."""
    if annotation == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false, got {_shown(value)}")
        return value
    if annotation in ("int", "float"):
        return _number(name, value, integer=annotation == "int")
    if annotation == "tuple[str, ...]":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name} must be a list of strings, got {_shown(value)}")
        for item in value:
            _check_text(name, item, _ITEM_RULES.get(name))
        return tuple(value)
    if annotation in ("str", "str | None"):
        if value is None and annotation == "str | None":
            return value
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string, got {_shown(value)}")
        _check_text(name, value, _TEXT_RULES.get(name))
        return value
    raise TypeError(f"Settings.{name}: no validation for the type {annotation}; add it to config._valid")


def _number(name: str, value: Any, *, integer: bool) -> int | float:
    valid = RANGES[name]
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    finite = ok_type and not (isinstance(value, float) and not math.isfinite(value))
    if isinstance(value, bool) or not finite or value not in valid:
        hint = f"; {valid.hint}" if valid.hint else ""
        raise ValueError(f"{name} must be {valid.describe(integer=integer)}, got {_shown(value)}{hint}")
    return value if integer else float(value)


def _check_text(name: str, value: str, rule: Callable[[str, str], str | None] | None) -> None:
    problem = rule(name, value) if rule else None
    if problem:
        raise ValueError(problem)


def _shown(value: Any) -> str:
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


def _db_path(name: str, value: str) -> str | None:
    if not value.strip() or "\x00" in value:
        return f"{name} must be the path of a DuckDB file such as 'news.duckdb', got {_shown(value)}"
    return None


def _header_value(name: str, value: str) -> str | None:
    if not value.strip():
        return f"{name} must not be empty: it is sent in every request's User-Agent header"
    if not _HEADER_VALUE.fullmatch(value):
        bad = next(c for c in value if not " " <= c <= "~")
        return (
            f"{name} must be printable ASCII without control characters (it is sent as an HTTP header), "
            f"got {_shown(value)} with {bad!r}"
        )
    return None


def _memory_limit(name: str, value: str) -> str | None:
    return None if _MEMORY_LIMIT.fullmatch(value) else f"{name}={value!r} is not a size such as '2GB' or '512MiB'"


def _canonical_rule(name: str, value: str) -> str | None:
    if value in CANONICAL_RULES:
        return None
    return f"{name}={value!r} is unknown; use earliest, longest or source_priority"


def _crawl_delay_over_cap(name: str, value: str) -> str | None:
    if value in ("cap", "skip"):
        return None
    return f"{name}={value!r} is unknown; use 'cap' (crawl at max_crawl_delay) or 'skip' (do not crawl the host)"


def _source_name(name: str, value: str) -> str | None:
    return None if value.strip() else f"{name} has an empty name; list source names, in order"


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


# Checks of string settings beyond their type, by field name; each returns what is wrong, or None.
_TEXT_RULES: dict[str, Callable[[str, str], str | None]] = {
    "db": _db_path,
    "user_agent": _header_value,
    "contact_url": _header_value,
    "db_memory_limit": _memory_limit,
    "canonical_rule": _canonical_rule,
    "crawl_delay_over_cap": _crawl_delay_over_cap,
}
# The same for each item of a list setting.
_ITEM_RULES: dict[str, Callable[[str, str], str | None]] = {
    "allow_hosts": _allow_entry,
    "source_priority": _source_name,
}


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


@dataclass(frozen=True, slots=True)
class Config:
    """A validated sources file."""

    sources: tuple[Source, ...]
    settings: Settings = field(default_factory=Settings)
    path: str | None = None


def load_config(path: str | Path) -> Config:
    """Read and validate a sources TOML file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; pass --sources with the path of a sources TOML") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(raw, origin=str(path))


def parse_config(raw: Mapping[str, Any], *, origin: str = "<config>") -> Config:
    """Validate an already-parsed TOML document."""
    _reject_unknown(raw, {"sources", "settings"}, where=origin)
    settings = _parse_settings(raw.get("settings", {}), origin=origin)
    sources_raw = raw.get("sources", [])
    if not isinstance(sources_raw, list) or not sources_raw:
        raise ConfigError(f"{origin}: no [[sources]] tables; add at least one source with a name and a feed")
    sources = tuple(_parse_source(s, index=i, origin=origin) for i, s in enumerate(sources_raw))
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{origin}: source names must be unique; repeated: {', '.join(duplicates)}")
    strangers = [n for n in settings.source_priority if n not in names]
    if strangers:
        raise ConfigError(
            f"{origin}: [settings]: source_priority names {strangers}, which are not sources; use {names}"
        )
    return Config(sources=sources, settings=settings, path=origin)


def _parse_source(raw: Any, *, index: int, origin: str) -> Source:
    where = f"{origin}: sources[{index}]"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a table, got {type(raw).__name__}")
    _reject_unknown(raw, {f.name for f in dataclasses.fields(Source)}, where=where)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' is missing or empty")
    where = f"{origin}: source {name!r}"
    homepage = raw.get("homepage")
    if homepage is not None:
        homepage = _check_url(homepage, where=f"{where}: homepage")
    feeds = tuple(_check_url(u, where=f"{where}: feeds") for u in _as_list(raw, "feeds", where))
    sitemaps = tuple(_check_url(u, where=f"{where}: sitemaps") for u in _as_list(raw, "sitemaps", where))
    discover_links = raw.get("discover_links", False)
    if not isinstance(discover_links, bool):
        raise ConfigError(f"{where}: 'discover_links' must be true or false, got {discover_links!r}")
    link_depth = raw.get("link_depth", 2)
    if isinstance(link_depth, bool) or not isinstance(link_depth, int) or not 1 <= link_depth <= 5:
        raise ConfigError(f"{where}: 'link_depth' must be an integer from 1 to 5, got {link_depth!r}")
    if not (feeds or sitemaps or (homepage and discover_links)):
        raise ConfigError(
            f"{where}: nothing to discover articles from; give 'feeds' or 'sitemaps' "
            "(or 'homepage' with discover_links = true)"
        )
    return Source(
        name=name.strip(),
        homepage=homepage,
        feeds=feeds,
        sitemaps=sitemaps,
        discover_links=discover_links,
        link_depth=link_depth,
    )


def _parse_settings(raw: Any, *, origin: str) -> Settings:
    where = f"{origin}: [settings]"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a table")
    _reject_unknown(raw, {f.name for f in dataclasses.fields(Settings)}, where=where)
    try:
        return Settings(**raw)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _as_list(raw: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key, [])
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ConfigError(f"{where}: '{key}' must be a list of URLs, got {value!r}")
    return value


def _check_url(value: Any, *, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a URL string, got {value!r}")
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in 0-65535
    except ValueError as exc:  # "Invalid IPv6 URL" for an unclosed bracket
        raise ConfigError(f"{where}: {value!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: {value!r} is not an http(s) URL with a host")
    problem = host_problem(parts.hostname)
    if problem:
        raise ConfigError(f"{where}: {value!r} has an invalid host: {problem}; {HOST_RULE}")
    return value.strip()


def _reject_unknown(raw: Mapping[str, Any], known: set[str], *, where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(known))}")
