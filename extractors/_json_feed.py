"""JSON Feed 1.0/1.1 bytes (https://www.jsonfeed.org/version/1.1/) -> its items' link candidates, titles and dates.

Used by feeds.py, which chooses among the links and parses the dates as it does for RSS and Atom. Only the
fields discovery needs are read: an item's `url`, its `id` when that is an http(s) URL (the spec lets `id`
be any string, and `external_url` names the page the item is about, not the item's own), `title`,
`date_published` (else `date_modified`), and the feed's `home_page_url`. Pure; the body is already
size-capped by the fetcher. A feed cut short (a download that ended early) keeps its complete items and says
so (`JsonFeed.recovered`), as a truncated XML feed does. Raises the caller's error type for anything that is
not a JSON Feed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from textwrap import shorten
from typing import Any

from extractors._xml import decode_xml
from extractors.charset import loads_json, without_lone_surrogates

_VERSION = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/')
_JSON_TYPE = re.compile(r"^\s*application/(?:[\w.+-]+\+)?json\s*(?:;|$)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_ITEMS_START = re.compile(r'"items"\s*:\s*\[')
_HOME_PAGE = re.compile(r'"home_page_url"\s*:\s*("(?:[^"\\]|\\.)*")')
_BETWEEN_ITEMS = re.compile(r"[\s,]*")


@dataclass(frozen=True, slots=True)
class JsonItem:
    """One item: its link candidates in order of preference (raw strings), title and date text."""

    links: list[str] = field(default_factory=list)
    title: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class JsonFeed:
    """A JSON Feed's items in order, and the site it belongs to (`home_page_url`)."""

    items: list[JsonItem]
    home_page_url: str | None = None
    # Why the feed had to be read leniently (None if it did not): it is cut short, its complete items kept.
    recovered: str | None = None


def is_json_feed(content: bytes, *, content_type: str | None = None) -> bool:
    """Whether the bytes are to be read as a JSON Feed: a JSON body served as JSON, or one naming its version."""
    head = content[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return False
    return bool(content_type and _JSON_TYPE.match(content_type)) or (
        head.startswith(b"{") and _VERSION.search(content) is not None
    )


def read_json_feed(
    content: bytes, *, source: str, error: Callable[[str], Exception], content_type: str | None = None
) -> JsonFeed:
    """The items of a JSON Feed; error(...) for malformed JSON or JSON that is no feed."""
    text = decode_xml(content, content_type=content_type)
    note = None
    try:
        document = loads_json(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, or an integer of 5,000 digits
        document, note = _before_trailing_markup(text, exc)
        if note is None:
            salvaged = _cut_short(text, exc)
            if salvaged is None:
                raise error(f"{source} is served as a JSON Feed but is not valid JSON ({exc})") from exc
            return salvaged
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise error(f'{source} is JSON but not a JSON Feed: it has no "items" list (jsonfeed.org/version/1.1)')
    home = document.get("home_page_url")
    return JsonFeed([_item(item) for item in items], home if isinstance(home, str) else None, note)


def _before_trailing_markup(text: str, problem: Exception) -> tuple[Any, str | None]:
    """The JSON document a cache plugin or a PHP notice appended to ("}<!-- Cached by WP-Super-Cache -->"), and a
    note saying so; (None, None) where the text holds more than one document and markup after it."""
    if not isinstance(problem, json.JSONDecodeError) or not problem.msg.startswith("Extra data"):
        return None, None
    rest = text[problem.pos :].strip()
    if not rest.startswith("<") or "{" in rest:
        return None, None
    document = loads_json(text[: problem.pos])
    return document, f"not valid JSON ({problem}): markup after the document ({shorten(rest, 60)!r}) left out"


def _cut_short(text: str, problem: Exception) -> JsonFeed | None:
    """The complete items of a feed whose JSON ends early (in its "items" list); None if it has none or is broken
    elsewhere."""
    start = _ITEMS_START.search(text)
    if start is None or not isinstance(problem, json.JSONDecodeError):
        return None
    # The text ended where more was due: at its very end, or in a string still open there.
    if problem.pos < len(text.rstrip()) and not problem.msg.startswith("Unterminated string"):
        return None  # broken before its end, not cut short: no guessing at what it meant
    decoder, at, items = json.JSONDecoder(), start.end(), []
    while True:
        at = _BETWEEN_ITEMS.match(text, at).end()  # type: ignore[union-attr]  # (matches the empty string)
        try:
            item, at = decoder.raw_decode(text, at)
        except (ValueError, RecursionError):
            break  # the item the download ended in
        items.append(_item(without_lone_surrogates(item)))
    if not items:
        return None  # nothing to keep: the feed failed, as it did
    home = _HOME_PAGE.search(text, 0, start.start())
    # A valid JSON string: the text before the items list parsed, or the error would lie before its end.
    home_page_url = loads_json(home.group(1)) if home else None
    note = f"not valid JSON ({problem}): cut short; its {len(items):,} complete items read"
    return JsonFeed(items, home_page_url, note)


def _item(item: object) -> JsonItem:
    if not isinstance(item, dict):
        return JsonItem()
    links = [url] if isinstance(url := item.get("url"), str) and url.strip() else []
    # `id` may be any unique string ("1234", a tag: URI); only an http(s) URL names a page.
    if isinstance(id_ := item.get("id"), str) and id_.strip().lower().startswith(("http://", "https://")):
        links.append(id_)
    date = _text(item.get("date_published")) or _text(item.get("date_modified"))
    return JsonItem(links, _text(item.get("title")), date)


def _text(value: object) -> str | None:
    return (_SPACE.sub(" ", value).strip() or None) if isinstance(value, str) else None
