"""Bad input, clear errors: mutation fuzzing of every parser that meets bytes from the network or a user's file.

The property tests next to each parser feed it random bytes and hand-picked fragments (~100 examples). These start
from real documents (the demo newsroom's feeds, sitemaps and pages, the golden pages, a valid sources file) and
corrupt them byte by byte, which reaches far deeper into each parser, thousands of times each
(COPYDESK_FUZZ_EXAMPLES, default 2000). The contract: a result, or our own error type; never anything else.
"""

from __future__ import annotations

import gzip
import json
import os
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from extractors.article import ExtractionError, extract_article
from extractors.charset import UndecodableError, decode_html
from extractors.feeds import FeedError, parse_feed
from extractors.sitemaps import SitemapError, parse_sitemap
from extractors.urls import InvalidURLError, canonicalize_url
from flows.config import SETTING_KEYS as ALL_SETTING_KEYS
from flows.config import SOURCE_KEYS as ALL_SOURCE_KEYS
from flows.config import ConfigError, Settings, load_config, parse_config

EXAMPLES = int(os.environ.get("COPYDESK_FUZZ_EXAMPLES", "2000"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Extraction runs trafilatura (~10 ms a page): a quarter of the budget keeps CI near 20 s for it.
FUZZ_SLOW = settings(FUZZ, max_examples=max(EXAMPLES // 4, 100))

DEMO = files("flows") / "demo_sites"
PAGES = Path(__file__).parent / "fixtures" / "pages"


def _demo_files(name: str) -> list[bytes]:
    found = []
    for site in DEMO.iterdir():
        if site.is_dir():
            found += [f.read_bytes() for f in site.iterdir() if f.name.startswith(name)]
    return found


FEEDS = _demo_files("rss") + _demo_files("atom")
SITEMAPS = _demo_files("sitemap")
HTML = [gzip.decompress(p.read_bytes()) for p in sorted(PAGES.glob("*.html.gz"))] + _demo_files("index")


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed document with a few bytes replaced, inserted or deleted, or cut short."""
    doc = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(doc)))
        op = draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
        chunk = draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b"<", b">", b"&", b"]]>", b"\x00", b"\xff"]))
        if op == "replace":
            doc[at : at + len(chunk)] = chunk
        elif op == "insert":
            doc[at:at] = chunk
        elif op == "delete":
            del doc[at : at + len(chunk)]
        else:
            del doc[at:]
    return bytes(doc)


def test_the_seed_documents_are_there() -> None:
    assert FEEDS and SITEMAPS and len(HTML) >= 3


@FUZZ
@given(mutated(FEEDS))
def test_a_corrupted_feed_gives_entries_or_feed_error(content: bytes) -> None:
    try:
        entries = parse_feed(content, feed_url="https://news.example/rss.xml").entries
    except FeedError:
        return
    assert all(e.url.startswith(("http://", "https://")) for e in entries)


@FUZZ
@given(mutated(SITEMAPS))
def test_a_corrupted_sitemap_gives_pages_or_sitemap_error(content: bytes) -> None:
    try:
        sitemap = parse_sitemap(content, sitemap_url="https://news.example/sitemap.xml")
    except SitemapError:
        return
    assert all(isinstance(p.url, str) for p in sitemap.pages)


LABELS = st.sampled_from(["utf-8", "windows-1252", "latin1", "shift_jis", "utf-16", "utf-7", "x-user-defined", "bogus"])


@FUZZ
@given(mutated(HTML), st.none() | LABELS.map(lambda c: f"text/html; charset={c}") | st.text(max_size=30), LABELS)
def test_decoding_a_corrupted_page_raises_only_undecodable_error(
    body: bytes, content_type: str | None, meta: str
) -> None:
    declared = f'<meta charset="{meta}">'.encode() + body
    try:
        assert isinstance(decode_html(declared, content_type=content_type), str)
    except UndecodableError as exc:  # mostly U+FFFD: refused, with the reason
        assert "U+FFFD" in str(exc)


URL_PART = st.sampled_from(
    ["http://", "https://", "HTTP://", "ftp://", "//", "[", "]", "::1", "xn--", "%", "%2F", "%zz", "@", ":", ":80",
     ":99999", "/", "..", ".", "?", "#", "&", "=", "utm_source", "ü", "\u3002", " ", "\t", "\x00", "localhost",
     "127.0.0.1", "news.example", "EXAMPLE.com", "a" * 70]
)  # fmt: skip


@FUZZ
@given(st.lists(URL_PART | st.text(max_size=4), max_size=12).map("".join))
@example("http://0\u3002")  # IDNA maps IDEOGRAPHIC FULL STOP to a trailing root dot
def test_url_soup_is_canonical_or_invalid(url: str) -> None:
    try:
        canonical = canonicalize_url(url)
    except InvalidURLError:
        return
    assert canonicalize_url(canonical) == canonical


@FUZZ_SLOW
@given(mutated(HTML))
def test_extracting_a_corrupted_page_gives_an_article_or_extraction_error(body: bytes) -> None:
    try:
        html = decode_html(body, content_type=None)
    except UndecodableError as exc:  # its documented refusal, recorded per page by the crawl
        assert "U+FFFD" in str(exc)  # (hypothesis found 16 stray bytes under a cut <meta charset="utf">)
        return
    try:
        article = extract_article(html, url="https://news.example/2024/05/story.html")
    except ExtractionError:
        return
    assert article.text.strip()


# --- the config loader: a user's file, so every error must name the file and the key --------------------------

VALID = """
[[sources]]
name = "site1"
homepage = "https://news.example/"
feeds = ["https://news.example/rss.xml"]
sitemaps = ["https://news.example/sitemap.xml"]

[settings]
db = "news.duckdb"
concurrency = 16
per_host_delay = 0.25
dedup_threshold = 0.5
allow_hosts = ["10.1.2.0/24"]
"""
SETTING_KEYS = list(ALL_SETTING_KEYS)
SOURCE_KEYS = list(ALL_SOURCE_KEYS)
SCALARS = (
    st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.text(max_size=20)
    | st.sampled_from(["https://news.example/", "ftp://x", "http://[::1", "http://[x]/", "10.0.0.0/33", ""])
)
URLS = st.sampled_from(["https://", "http://", "ftp://", "", "http://[", "http://["]).flatmap(
    lambda scheme: st.lists(URL_PART, max_size=6).map(lambda parts: scheme + "".join(parts))
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)  # a JSON string is a TOML basic string


# Per key: mostly the right type (so validation gets past it to the next key), sometimes anything at all.
SOURCE_VALUES = {
    "name": st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
    "homepage": URLS,
    "feeds": st.lists(URLS, max_size=3),
    "sitemaps": st.lists(URLS, max_size=3),
    "discover_links": st.booleans(),
}
SETTING_VALUES = {
    name: st.from_type(type(value)) if isinstance(value, bool | int | float) and not isinstance(value, bool) else VALUES
    for name, value in ((f, Settings().value(f)) for f in SETTING_KEYS)
}


@st.composite
def configs(draw: st.DrawFn) -> str:
    """A sources file of known keys with plausible or arbitrary values, now and then an unknown key."""
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        lines.append("[[sources]]")
        for key in draw(st.lists(st.sampled_from(SOURCE_KEYS), max_size=5, unique=True)):
            value = draw(SOURCE_VALUES.get(key, VALUES) | VALUES) if draw(st.integers(0, 9)) else draw(VALUES)
            lines.append(f"{key} = {_toml(value)}")
        if not draw(st.integers(0, 19)):
            lines.append(f"{draw(st.from_regex(r'[a-z_]{1,8}', fullmatch=True))} = 1")
    if draw(st.integers(0, 3)) == 0:
        lines.append("[settings]")
        for key in draw(st.lists(st.sampled_from(SETTING_KEYS), max_size=3, unique=True)):
            lines.append(f"{key} = {_toml(draw(SETTING_VALUES[key]))}")
    return "\n".join(lines) + "\n"


def _check(path: Path) -> None:
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(exc).startswith(f"{path}: "), str(exc)


@pytest.fixture(scope="module")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "sources.toml"


def test_the_valid_config_loads(config_path: Path) -> None:
    config_path.write_text(VALID, encoding="utf-8")
    assert load_config(config_path).settings.fetch.concurrency == 16


@pytest.mark.parametrize("url", ["http://[::1", "http://[x]/", "http://host:99999/"])
def test_a_malformed_feed_url_names_the_file_and_the_key(url: str) -> None:
    with pytest.raises(ConfigError, match=r"^sources.toml: source 'a': feeds"):
        parse_config({"sources": [{"name": "a", "feeds": [url]}]}, origin="sources.toml")


@FUZZ
@given(configs())
def test_any_sources_file_loads_or_names_the_file(config_path: Path, text: str) -> None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return  # the generator made invalid TOML (say, a key twice); the byte fuzzer below covers that path
    config_path.write_text(text, encoding="utf-8")
    _check(config_path)


@FUZZ
@given(mutated([VALID.encode()]))
def test_a_corrupted_sources_file_loads_or_names_the_file(config_path: Path, content: bytes) -> None:
    config_path.write_bytes(content)
    _check(config_path)


@FUZZ
@given(st.sampled_from(SETTING_KEYS), VALUES)
def test_a_bad_setting_names_its_key(key: str, value: Any) -> None:
    raw = tomllib.loads(VALID)
    raw["settings"] = {key: value}
    try:
        parse_config(raw, origin="sources.toml")
    except ConfigError as exc:
        assert str(exc).startswith("sources.toml: [settings]") and key in str(exc), str(exc)
