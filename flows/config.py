"""The sources file: `[[sources]]` to crawl and `[settings]` for the run, validated once.

A config error names the file, the key and what is wrong, so a user can fix it without reading code.
CLI flags override `[settings]`; nothing else in copydesk reads files or the environment for settings.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_USER_AGENT = "copydesk/0.1 (+https://github.com/copydesk/copydesk; news archiving bot)"


class ConfigError(ValueError):
    """The sources file cannot be used as it is."""


_MEMORY_LIMIT = re.compile(r"\d+(?:\.\d+)?\s*(?:[KMGT]i?B)", re.IGNORECASE)


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
    """Run-wide settings; every field can be set under [settings] or overridden by a CLI flag."""

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
    # DuckDB's memory for the dedup step, which scans the whole LSH index: against 1M stored articles it
    # took 25 s and 4.4 GB unbounded, 30 s and 1.4 GB at "1GB" (bench/README.md). DuckDB units: MB, GB, GiB...
    db_memory_limit: str = "2GB"

    def __post_init__(self) -> None:
        positive = (
            "concurrency",
            "per_host_concurrency",
            "max_bytes",
            "batch_size",
            "num_perm",
            "max_items_per_feed",
            "max_urls_per_sitemap",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)!r} must be at least 1")
        non_negative = (
            "per_host_delay",
            "connect_timeout",
            "read_timeout",
            "total_timeout",
            "max_retry_after",
            "refetch_window_hours",
            "retry_failed_after_minutes",
            "extract_workers",
        )
        for name in non_negative:
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)!r} must not be negative")
        if not 0 < self.source_timeout <= 86_400:  # also refuses NaN; infinity would never cut a source off
            raise ValueError(f"source_timeout={self.source_timeout!r} must be more than 0 and at most 86400 seconds")
        if not 0 < self.dedup_threshold < 1:
            raise ValueError(
                f"dedup_threshold={self.dedup_threshold} is outside (0, 1); pass a Jaccard similarity such as 0.5"
            )
        for entry in self.allow_hosts:
            _check_allow_entry(entry)
        if not _MEMORY_LIMIT.fullmatch(self.db_memory_limit):
            raise ValueError(f"db_memory_limit={self.db_memory_limit!r} is not a size such as '2GB' or '512MiB'")
        if self.canonical_rule not in ("earliest", "longest", "source_priority"):
            raise ValueError(
                f"canonical_rule={self.canonical_rule!r} is unknown; use earliest, longest or source_priority"
            )
        if self.canonical_rule == "source_priority" and not self.source_priority:
            raise ValueError("canonical_rule = 'source_priority' needs source_priority = [names, in order]")

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given fields replaced; None values mean "not given" and are ignored."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **given)


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
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    _reject_unknown(raw, set(fields), where=where)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = getattr(Settings(), key)
        values[key] = _coerce(value, default, where=f"{where}: {key}")
    try:
        return Settings(**values)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _coerce(value: Any, default: Any, *, where: str) -> Any:
    """Check a settings value against the type of its default."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, tuple):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    else:  # str or optional str
        ok = isinstance(value, str)
    if not ok:
        expected = "a list of strings" if isinstance(default, tuple) else type(default or "").__name__
        raise ConfigError(f"{where}: expected {expected}, got {value!r}")
    return value


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
    return value.strip()


def _check_allow_entry(entry: str) -> None:
    """allow_hosts takes host names or IP networks (CIDR)."""
    if "/" in entry:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"allow_hosts entry {entry!r} is not a valid network such as 10.0.0.0/8") from None
    elif not entry.strip():
        raise ValueError("allow_hosts has an empty entry")


def _reject_unknown(raw: Mapping[str, Any], known: set[str], *, where: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(known))}")
