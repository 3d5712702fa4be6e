"""What a run did, as numbers and as the markdown/table content of its Prefect artifacts.

Pure functions over the run summary, the rows a batch wrote and rows read back from DuckDB. The flow
fills a `RunSummary`, queries the database and publishes what these functions return; this module must
not import Prefect or DuckDB, so everything here is unit-tested without either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from crawl.discover import Candidate, Discovery
from crawl.fetch import BODY_STATUSES
from flows.steps import BatchRows, PlannedFetch
from storage.rows import LoadResult, RunStatus

COUNT_KEYS = (
    "sources", "discovered", "fetched", "stored", "new", "updated", "unchanged", "skipped", "duplicates", "errors"
)  # fmt: skip
SOURCE_KEYS = ("discovered", "fetched", "stored", "new", "updated", "unchanged", "skipped", "errors")
# Pages that are not articles (section fronts listed in a sitemap) or not text are skipped, not failed: recorded
# in `errors` with these types so users can see why, but counted among the skipped, not as errors. Nor is a stored
# article's canonical URL that was not used (CanonicalIgnored): a note on a page that went well; nor the sitemap
# URLs a section's source leaves to the rest of its site (OutsideSection, crawl.discover).
NOT_AN_ARTICLE = "NotAnArticleError"
NOT_ERRORS = frozenset({NOT_AN_ARTICLE, "UndecodableError", "CanonicalIgnored", "OutsideSection"})
# A limit of the settings reached (max_items_per_feed, max_urls_per_sitemap, the feeds and sitemap files read per
# source, max_articles_per_source): a row in `errors` says what was left out, but no listing failed, as with
# PagesCapped (max_pages).
CAPS = frozenset({"ListingTruncated", "FeedsCapped", "SitemapCapped", "SitemapFilesCapped", "CandidatesCapped"})
# Extraction's own refusals of a page (extractors.article.ExtractionError, flows.extraction.ExtractionTimeout):
# the page is skipped, with its reason in `errors`.
EXTRACTION_GAVE_UP = frozenset({"ExtractionError", "ExtractionTimeout"})
Stage = Literal["discover", "fetch", "extract", "dedupe"]
# Error messages in the artifact table are cut here: the full text is in the errors/fetches tables.
MAX_MESSAGE = 160


@dataclass(slots=True)
class RunSummary:
    """What one ingest run did; also written to the `runs` table."""

    run_id: str
    db: str
    sources: int = 0
    discovered: int = 0
    fetched: int = 0
    stored: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    duplicates: int = 0
    errors: int = 0
    seconds: float = 0.0
    new_clusters: int = 0
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)
    status: RunStatus = "completed"
    error: str | None = None  # why the run failed (runs.error)

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in COUNT_KEYS}

    def add(self, source: str, **counts: int) -> None:
        """Add to one source's counts and to the run's totals."""
        mine = self.per_source.setdefault(source, dict.fromkeys(SOURCE_KEYS, 0))
        for key, value in counts.items():
            mine[key] += value
            setattr(self, key, getattr(self, key) + value)


@dataclass(frozen=True, slots=True)
class ClusterRow:
    """A syndication cluster that grew in this run (a row of the `clusters` view)."""

    cluster_id: int
    size: int
    sources: Sequence[str]
    canonical_title: str | None
    canonical_url: str | None


@dataclass(frozen=True, slots=True)
class RunError:
    """One failed item of a run: an HTTP attempt or a row of `errors`."""

    stage: str
    url: str | None
    error_type: str
    message: str
    occurred_at: datetime | None = None


def tally_discovery(summary: RunSummary, discoveries: Mapping[str, Discovery], candidates: Sequence[Candidate]) -> None:
    """Count discovery per source: unique article URLs found, failed feed/sitemap requests and their errors."""
    found = Counter(c.source for c in candidates)
    for source, d in discoveries.items():
        failed = sum(not r.ok and r.outcome != "not_modified" for r in d.responses)
        # A source none of whose listings could be read has a row saying so, beside the failed listings it sums
        # up: counted once, as those (one 404 feed made 2 errors), unless it is the only trace.
        problems = sum(e.error_type not in CAPS and e.error_type != "SourceUnreachable" for e in d.errors)
        unreachable = sum(e.error_type == "SourceUnreachable" for e in d.errors)
        summary.add(source, discovered=found[source], errors=(problems + failed) or unreachable)


def tally_batch(
    summary: RunSummary, batch: Sequence[PlannedFetch], rows: BatchRows, loaded: Mapping[str, LoadResult]
) -> None:
    """Count one loaded batch per source; `loaded` is the load result of each source's articles."""
    source_of = {p.candidate.address: p.candidate.source for p in batch} | {
        p.candidate.url: p.candidate.source for p in batch
    }
    fallback = batch[0].candidate.source if batch else "?"
    for f in rows.fetches:
        if f.kind == "article" and f.status in BODY_STATUSES and f.error is None:
            summary.add(source_of.get(f.url, fallback), fetched=1)
    for s in rows.seen:
        source = s.source or fallback
        summary.add(
            source,
            unchanged=int(s.outcome == "not_modified"),
            skipped=int(s.outcome == "skipped"),
            errors=int(s.outcome == "failed"),
        )
    # A page extraction gave up on (no article body, out of time) is skipped, its seen_urls row says: its errors
    # row tells why, and is not counted again as an error (a run's stored + skipped + errors overran what it fetched).
    # What extraction raised unforeseen is skipped too, and counted as the error it is.
    skipped = {url for s in rows.seen if s.outcome == "skipped" for url in (s.url, s.fetch_url)}
    for e in rows.errors:
        gave_up = e.stage == "extract" and e.error_type in EXTRACTION_GAVE_UP and e.url in skipped
        summary.add(source_of.get(e.url or "", fallback), errors=int(e.error_type not in NOT_ERRORS and not gave_up))
    for source, result in loaded.items():
        stored = result.new + result.updated + result.unchanged
        summary.add(source, stored=stored, new=result.new, updated=result.updated, unchanged=result.unchanged)


def summary_markdown(summary: RunSummary, *, flow: str, finished_at: datetime) -> str:
    """The run's markdown artifact: totals, a per-source table, where the data went."""
    lines = [
        f"# copydesk {flow} run",
        "",
        f"Finished {finished_at:%Y-%m-%d %H:%M:%S} UTC in **{summary.seconds:.1f} s**. "
        f"DuckDB file: `{summary.db}`; run id `{summary.run_id}`.",
        "",
        f"**{summary.stored}** articles stored ({summary.new} new, {summary.updated} updated), "
        f"{summary.unchanged} unchanged, {summary.skipped} article URLs skipped "
        "(not articles, 404/410, robots.txt, type, size), "
        f"{summary.duplicates} near-duplicate matches, **{summary.new_clusters}** new clusters, "
        f"{summary.errors} errors (failed article URLs, feeds and sitemaps that failed or did not parse).",
        "",
        *([f"**Run {summary.status}**: {summary.error}", ""] if summary.error else []),
        "| source | " + " | ".join(SOURCE_KEYS) + " |",
        "|---|" + "---:|" * len(SOURCE_KEYS),
    ]
    for source in sorted(summary.per_source):
        counts = summary.per_source[source]
        lines.append(f"| {_cell(source)} | " + " | ".join(str(counts[k]) for k in SOURCE_KEYS) + " |")
    totals = {k: getattr(summary, k) for k in SOURCE_KEYS}
    lines.append("| **total** | " + " | ".join(f"**{totals[k]}**" for k in SOURCE_KEYS) + " |")
    lines += [
        "",
        f"Explore: `copydesk query --db {summary.db} \"SELECT * FROM runs WHERE run_id = '{summary.run_id}'\"`",
    ]
    return "\n".join(lines) + "\n"


def cluster_table(clusters: Sequence[ClusterRow]) -> list[dict[str, str | int]]:
    """Rows of the "largest syndication clusters" table artifact, largest first."""
    ordered = sorted(clusters, key=lambda c: (-c.size, c.cluster_id))
    return [
        {
            "cluster_id": c.cluster_id,
            "size": c.size,
            "sources": ", ".join(c.sources),
            "title": c.canonical_title or "",
            "canonical_url": c.canonical_url or "",
        }
        for c in ordered
    ]


def error_table(errors: Sequence[RunError]) -> list[dict[str, str]]:
    """Rows of the errors table artifact, in the order given."""
    return [
        {
            "stage": e.stage,
            "url": e.url or "",
            "error_type": e.error_type,
            "message": _shorten(e.message),
            "occurred_at": f"{e.occurred_at:%Y-%m-%d %H:%M:%S}" if e.occurred_at else "",
        }
        for e in errors
    ]


def progress_percent(done: int, total: int) -> float:
    """Percent of planned URLs processed; an empty plan is complete."""
    if total <= 0:
        return 100.0
    return round(100.0 * min(done, total) / total, 1)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"
