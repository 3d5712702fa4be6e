"""The sources file: `[[sources]]` to crawl and `[settings]` for the run, validated once.

A config error names the file, the key (and the source) and what is wrong, so a user can fix it without reading
code. `[settings]` keys are Settings' fields and, flat beside them, its FetchPolicy's; `[[sources]]` keys are
crawl.sources.Source's. CLI flags override `[settings]`; nothing else in copydesk reads files for settings (the
ingest flow reads the proxy environment variables, as curl does).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from crawl.policy import FETCH_RANGES, HOST_RULE, FetchPolicy, Range, Rule, checked, host_problem, shown
from crawl.sources import Source
from storage.archive import default_archive_dir, writable_problem


class ConfigError(ValueError):
    """The sources file cannot be used as it is."""


# The valid values of every numeric setting, checked whenever Settings is built: from the sources file, CLI
# flags or Prefect parameters. A new numeric setting needs its line here (tests/flows/test_config.py checks);
# the fetch policy's are in crawl.policy.FETCH_RANGES.
RANGES: dict[str, Range] = {
    **{name: FETCH_RANGES[name] for name in FETCH_RANGES if name != "timeout"},
    "dedup_threshold": Range(0, 1, open_low=True, open_high=True, hint="pass a Jaccard similarity such as 0.5"),
    "num_perm": Range(16, 1024, hint="128 is the default; 64-512 are usual"),
    "shingle_size": Range(1, 32, "words", hint="5 is the default"),
    # Windows reach back from now: 100 years means "all of them", and datetime arithmetic stays in range.
    "refetch_window_hours": Range(0, 876_000, "hours"),
    "dedup_window_days": Range(0, 36_500, "days", open_low=True, hint="leave it unset to match every stored article"),
    "retry_failed_after_minutes": Range(0, 52_560_000, "minutes"),
    "batch_size": Range(1, 10_000, "URLs"),
    "max_articles_per_source": Range(1, 10_000_000),
    "max_pages": Range(1, 10_000_000, "pages per source and run"),
    "extract_workers": Range(0, 256, hint="0 means one per CPU core"),
    "extract_timeout": Range(0, 3600, "seconds per page", open_low=True),
    "max_sitemap_urls": Range(1, 10_000_000, "URLs per source and run"),
    "source_timeout": Range(0, 86_400, "seconds", open_low=True, hint="600 is the default"),
    "max_items_per_feed": Range(1, 1_000_000, "items"),
    "max_urls_per_sitemap": Range(1, 50_000, "URLs", hint="50,000 is the sitemap protocol's limit per file"),
    "archive_file_bytes": Range(10_000, 100_000_000_000, "bytes", hint="1,000,000,000 (1 GB) is the default"),
}
CANONICAL_RULES = ("earliest", "longest", "source_priority")
_MEMORY_LIMIT = re.compile(r"\d+(?:\.\d+)?\s*(?:[KMGT]i?B)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Settings:
    """Run-wide settings; every key can be set under [settings] or overridden by a CLI flag.

    The keys are this class's fields and, flat beside them, those of its `fetch` policy (crawl.policy):
    `[settings] per_host_delay = 1` sets `settings.fetch.per_host_delay`. Built from anywhere (the sources
    file, CLI flags, Prefect parameters), a Settings is checked field by field against its type and range
    (RANGES), with a message that says what would be valid.
    """

    db: str = "copydesk.duckdb"
    fetch: FetchPolicy = field(default_factory=FetchPolicy)
    # Estimated Jaccard for "same story"; see extractors.fingerprint.DedupParams for the reasoning.
    dedup_threshold: float = 0.5
    num_perm: int = 128
    shingle_size: int = 5
    # Which copy of a syndicated story is its cluster's canonical article: earliest | longest |
    # source_priority (the first source in `source_priority` that carries it).
    canonical_rule: Literal["earliest", "longest", "source_priority"] = "earliest"
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
    # Article pages fetched or re-checked per source and run (a source's own max_pages wins); the rest wait
    # for the next run, in discovery order. None: no cap.
    max_pages: int | None = None
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
    # a thread (extract_workers = 1, Dask, or a run of one batch whose pages are all under 1 MB) cannot be
    # interrupted, so there it is measured and recorded after the fact. Either way the page becomes an error
    # row and the batch goes on. `clean` kills at the budget.
    extract_timeout: float = 10.0
    # DuckDB's memory for the dedup step, which scans the whole LSH index: against 1M stored articles it
    # took 25 s and 4.4 GB unbounded, 30 s and 1.4 GB at "1GB" (bench/README.md). DuckDB units: MB, GB, GiB...
    db_memory_limit: str = "2GB"
    # Match new articles only against stored ones published (or, undated, fetched) within this many days; None:
    # against everything. Wire copies appear within days of each other, so a week keeps nearly every match and
    # spares the dedup step verifying older candidates (the lookup is bounded either way); a copy of a story
    # older than the window starts a cluster of its own. `rebuild-clusters` always matches everything.
    dedup_window_days: float | None = None
    # Keep every fetched article page (request and response; a 304, or an unchanged 200, as a revisit) in
    # gzipped WARC files, so that pages can be re-extracted without fetching them again (`copydesk reextract`).
    # The folder defaults to one next to the database (news.duckdb -> news-archive/); a file is closed past
    # archive_file_bytes.
    # A folder belongs to one database: its `pages` table says which records of the last file are committed.
    archive: bool = True
    archive_dir: str | None = None
    archive_file_bytes: int = 1_000_000_000
    # Archive the feeds, sitemaps and link pages discovery reads too (pages.kind feed, sitemap, page): what a
    # site listed when, for audits and for re-reading discovery later. Off by default: a large site's sitemaps
    # are re-read every run and can outweigh its new articles many times over.
    archive_listings: bool = False

    def archive_path(self) -> Path:
        """The archive folder: archive_dir, else the one next to the database."""
        return Path(self.archive_dir) if self.archive_dir else default_archive_dir(self.db)

    def check_folders(self) -> None:
        """Refuse a run whose page archive or near-duplicate index (`<db>.lsh/`, storage/_bandruns.py) cannot be
        written, before it fetches a page; the message names what to change. An unwritable index folder failed
        the run at its dedup step, after every page was fetched."""
        problem = writable_problem(self.archive_path()) if self.archive else None
        if problem is not None:
            where = (
                f"archive_dir = {self.archive_dir}" if self.archive_dir else f"the archive folder {self.archive_path()}"
            )
            raise ConfigError(
                f"{where}: cannot write the page archive there: {problem}; set archive_dir to a writable folder, "
                "or archive = false to keep no pages"
            )
        index = Path(f"{self.db}.lsh")
        if problem := writable_problem(index):
            raise ConfigError(
                f"the near-duplicate index folder {index} beside the database cannot be written: {problem}; make it "
                "writable, or pass --db with a database in a writable folder"
            )

    def __post_init__(self) -> None:
        if not isinstance(self.fetch, FetchPolicy):
            raise ValueError(f"fetch must be a FetchPolicy, got {shown(self.fetch)}")
        for f in dataclasses.fields(self):
            if f.name != "fetch":
                value = checked(f.name, str(f.type), getattr(self, f.name), ranges=RANGES, rules=_RULES)
                object.__setattr__(self, f.name, value)
        if self.canonical_rule == "source_priority" and not self.source_priority:
            raise ValueError("canonical_rule = 'source_priority' needs source_priority = [names, in order]")

    @classmethod
    def of(cls, keys: Mapping[str, Any]) -> Settings:
        """Settings from flat keys, as [settings] holds them (the fetch policy's beside the others)."""
        return cls().with_overrides(**keys)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given keys replaced; None values mean "not given" and are ignored."""
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = sorted(set(given) - set(SETTING_KEYS))
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}; known settings: {', '.join(SETTING_KEYS)}")
        fetch = {k: v for k, v in given.items() if k in _FETCH_KEYS}
        rest = {k: v for k, v in given.items() if k not in _FETCH_KEYS}
        policy = dataclasses.replace(self.fetch, **fetch) if fetch else self.fetch
        return dataclasses.replace(self, fetch=policy, **rest)

    def value(self, key: str) -> Any:
        """The value of a flat key: `value("per_host_delay")` is `fetch.per_host_delay`."""
        return getattr(self.fetch if key in _FETCH_KEYS else self, key)

    def as_keys(self) -> dict[str, Any]:
        """Every key and its value, flat, as the sources file would hold them (recorded with each run)."""
        return {key: self.value(key) for key in SETTING_KEYS}


_FETCH_KEYS = frozenset(f.name for f in dataclasses.fields(FetchPolicy))
# Every [settings] key: the run's own, then the fetch policy's.
SETTING_KEYS: tuple[str, ...] = (
    *(f.name for f in dataclasses.fields(Settings) if f.name != "fetch"),
    *(f.name for f in dataclasses.fields(FetchPolicy)),
)
# Every [[sources]] key.
SOURCE_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Source))


def _db_path(name: str, value: str) -> str | None:
    if not value.strip() or "\x00" in value:
        return f"{name} must be the path of a DuckDB file such as 'news.duckdb', got {shown(value)}"
    return None


def _archive_dir(name: str, value: str) -> str | None:
    if not value.strip() or "\x00" in value:
        return f"{name} must be the path of a folder such as 'news-archive', got {shown(value)}"
    return None


def _memory_limit(name: str, value: str) -> str | None:
    return None if _MEMORY_LIMIT.fullmatch(value) else f"{name}={value!r} is not a size such as '2GB' or '512MiB'"


def _canonical_rule(name: str, value: str) -> str | None:
    if value in CANONICAL_RULES:
        return None
    return f"{name}={value!r} is unknown; use earliest, longest or source_priority"


def _source_name(name: str, value: str) -> str | None:
    return None if value.strip() else f"{name} has an empty name; list source names, in order"


# Checks of the settings beyond their type, by name; each returns what is wrong, or None.
_RULES: dict[str, Rule] = {
    "db": _db_path,
    "archive_dir": _archive_dir,
    "db_memory_limit": _memory_limit,
    "canonical_rule": _canonical_rule,
    "source_priority": _source_name,
}


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
        # utf-8-sig: a byte-order mark (Windows editors write one) is no TOML; it read "Invalid statement".
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        # A deployment's run resolves a relative `sources` in its worker's folder, not where it was deployed from.
        where = "" if path.is_absolute() else f" (looked for in {Path.cwd()})"
        raise ConfigError(
            f"{path}: no such file{where}; give the path of a sources TOML: `--sources` to copydesk, the `sources`"
            " parameter to a deployment's run"
        ) from None
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
        raise ConfigError(f"{origin}: no [[sources]] tables; add at least one source with a name and a homepage")
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
    name = raw.get("name")
    if isinstance(name, str) and name.strip():
        where = f"{origin}: source {name!r}"
    _reject_unknown(raw, set(SOURCE_KEYS), where=where)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' is missing or empty")
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
    # A homepage alone is enough: its feeds and sitemaps are found for it, unless autodiscover = false.
    autodiscover = raw.get("autodiscover", bool(homepage) and not (feeds or sitemaps))
    if not isinstance(autodiscover, bool):
        raise ConfigError(f"{where}: 'autodiscover' must be true or false, got {autodiscover!r}")
    if autodiscover and not homepage:
        raise ConfigError(f"{where}: autodiscover = true needs the source's 'homepage'")
    if not (feeds or sitemaps or (homepage and (discover_links or autodiscover))):
        raise ConfigError(
            f"{where}: nothing to discover articles from; give 'feeds' or 'sitemaps', or a 'homepage' "
            "(with autodiscover or discover_links = true)"
        )
    where_keys = {"name", "homepage", "feeds", "sitemaps", "autodiscover", "discover_links", "link_depth"}
    settings = {key: value for key, value in raw.items() if key not in where_keys}
    try:
        return Source(
            name=name.strip(),
            homepage=homepage,
            feeds=feeds,
            sitemaps=sitemaps,
            autodiscover=autodiscover,
            discover_links=discover_links,
            link_depth=link_depth,
            **settings,
        )
    except ValueError as exc:  # a per-source setting: the message starts with its key
        raise ConfigError(f"{where}: {exc}") from None


def _parse_settings(raw: Any, *, origin: str) -> Settings:
    where = f"{origin}: [settings]"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a table")
    _reject_unknown(raw, set(SETTING_KEYS), where=where)
    try:
        return Settings.of(raw)
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


def enabled_sources(config: Config, names: Sequence[str] | None = None) -> list[Source]:
    """The sources a run crawls: those named (each must exist and be enabled), else every enabled one."""
    if not names:
        enabled = [s for s in config.sources if s.enabled]
        if config.sources and not enabled:
            raise ConfigError(f"every source in {config.path} is disabled (enabled = false); enable one to crawl it")
        return enabled
    by_name = {s.name: s for s in config.sources}
    unknown = sorted(set(names) - set(by_name))
    if unknown:
        raise ConfigError(f"unknown source names {unknown}; the sources file has {list(by_name)}")
    disabled = sorted(n for n in set(names) if not by_name[n].enabled)
    if disabled:
        raise ConfigError(
            f"source {disabled[0]!r} is disabled (enabled = false in {config.path}); enable it to crawl it"
        )
    return [s for s in config.sources if s.name in names]
