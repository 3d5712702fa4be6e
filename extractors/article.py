"""HTML of a news page -> its article: clean body text, metadata, and the boilerplate we removed.

Pure: no network, no database, no Prefect. Raises ExtractionError when a page holds no article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import trafilatura


class ExtractionError(ValueError):
    """The page holds no extractable article body."""


@dataclass(frozen=True, slots=True)
class Caption:
    """A photo caption or gallery caption removed from the text, with its credit when one was found."""

    text: str
    credit: str | None = None


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """A "Read more"/"Related" headline removed from the text."""

    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """One extracted article."""

    url: str
    text: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    image_url: str | None = None
    canonical_url: str | None = None
    captions: tuple[Caption, ...] = field(default=())
    related_links: tuple[RelatedLink, ...] = field(default=())
    extractor: str = "trafilatura"


def extract_article(html: str, *, url: str) -> Article:
    """Main text and metadata of a news page."""
    doc = trafilatura.bare_extraction(
        html, url=url, fast=True, include_comments=False, with_metadata=True
    )
    if doc is None or not doc.text:
        raise ExtractionError(f"no article body in {url!r} ({len(html):,} characters of HTML)")
    return Article(
        url=url,
        text=doc.text,
        title=doc.title,
        authors=tuple(a.strip() for a in (doc.author or "").split(";") if a.strip()),
        language=doc.language,
        site_name=doc.sitename,
        description=doc.description,
        image_url=doc.image,
    )
