"""Row types written to DuckDB. The flow converts extractor and fetcher results into these.

`ArticleRow` is the one definition of an article's stored fields: storage/load.py derives the Arrow schema
from it, and tests/test_article_fields.py fails the moment it, extractors' `Metadata` and `Article`,
flows.steps.article_row and storage/schema.sql (with its migration for older files) disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# How a run ended (`runs.status`; a run not yet ended is 'running').
RunStatus = Literal["completed", "failed", "interrupted", "abandoned"]
# Where an article's published_at came from: its page, else the feed or sitemap that listed it.
DateSource = Literal["page", "feed", "sitemap", "guessed"]


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """One extracted article, ready to load (a row of `articles`, minus ids and clustering)."""

    url: str
    source: str
    text: str
    content_hash: str
    fetched_at: datetime
    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    published_from: DateSource | None = None
    modified_at: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    image_url: str | None = None
    # The page's paywall markup (JSON-LD isAccessibleForFree): False marks a likely teaser; None, unsaid.
    is_accessible_for_free: bool | None = None
    # Pairs stored as a list of structs with these field names.
    captions: tuple[tuple[str, str | None], ...] = field(default=(), metadata={"struct": ("text", "credit")})
    related_links: tuple[tuple[str, str | None], ...] = field(default=(), metadata={"struct": ("title", "url")})
    gallery_titles: tuple[str, ...] = ()
    extractor: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # The address the text was fetched from, after redirects (`url` is the page's canonical when it names one).
    page_url: str | None = None


@dataclass(frozen=True, slots=True)
class FetchRow:
    """One HTTP attempt (a row of `fetches`)."""

    url: str
    kind: str
    started_at: datetime
    status: int | None
    error: str | None
    elapsed_ms: int
    bytes: int
    conditional: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """A per-item failure outside the HTTP attempt (a row of `errors`)."""

    stage: str
    url: str | None
    error_type: str
    message: str
    occurred_at: datetime
    # The text the item would have given, when a rule rejected it (a page judged not an article): kept so that
    # a wrong verdict loses nothing.
    text: str | None = None


@dataclass(frozen=True, slots=True)
class SeenRow:
    """What the last request of a URL returned (a row of `seen_urls`)."""

    url: str
    kind: str
    source: str | None
    outcome: str
    last_checked_at: datetime
    fetch_url: str | None = None
    article_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    published_at: datetime | None = None
    reason: str | None = None
    listed: bool | None = None  # whether a feed or news sitemap named it an article (None: not an article URL)


@dataclass(frozen=True, slots=True)
class GoneRow:
    """A URL that says the article it led to is gone: 404, 410, or a redirect to the site's front page or a section
    above the article (`status` is that answer's). Marks the stored article (`articles.gone_at`), deletes nothing."""

    url: str  # the URL asked for, as remembered in seen_urls
    status: int
    checked_at: datetime


@dataclass(frozen=True, slots=True)
class AliasRow:
    """Another URL that leads to a stored article (a row of `url_aliases`)."""

    alias_url: str
    url: str
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class PageRow:
    """Where one fetched page's record is in the WARC archive (a row of `pages`, minus the run id)."""

    url: str  # the key the page is remembered under (seen_urls.url)
    fetch_url: str
    target_url: str  # the response's URL after redirects (WARC-Target-URI)
    source: str | None
    kind: str
    listed: bool
    record_type: str  # response | revisit
    record_id: str
    warc_file: str  # relative to the archive folder; absolute for a file ingest-warc read where it lies
    record_offset: int
    record_length: int
    payload_digest: str
    status: int
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What loading a batch of articles did. `unchanged`: stored rows left as they were, and the earlier copies of a
    URL the batch held twice; among them `older`: copies fetched before the stored text (an archived page,
    ingest-warc) whose text differs from it."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0
