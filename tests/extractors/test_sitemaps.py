from __future__ import annotations

import contextlib
import gzip
import zlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors import sitemaps
from extractors._xml import stream_xml
from extractors.sitemaps import Sitemap, SitemapEntry, SitemapError, parse_sitemap
from extractors.urls import canonicalize_url

BASE = "http://127.0.0.1:8001"
INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{BASE}/sitemap-news.xml</loc><lastmod>2024-03-01</lastmod></sitemap>
<sitemap><loc>{BASE}/sitemap-pages.xml</loc><lastmod>2024-03-01</lastmod></sitemap>
<sitemap><loc>{BASE}/sitemap-news.xml</loc></sitemap>
</sitemapindex>
""".encode()
NEWS = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{BASE}/news/a</loc><lastmod>2024-03-01T10:00:00Z</lastmod>
  <news:news><news:publication><news:name>Site</news:name><news:language>en</news:language></news:publication>
  <news:publication_date>2024-02-29T08:00:00+00:00</news:publication_date><news:title>A &amp; B</news:title>
  </news:news></url>
<url><loc>{BASE}/news/b</loc>
  <news:news><news:publication_date>2024-02-28</news:publication_date><news:title>Only news date</news:title>
  </news:news></url>
<url><loc> {BASE}/section/world/ </loc><lastmod>2024-03-01T00:00:00Z</lastmod></url>
<url><loc>{BASE}/section/world</loc></url>
<url><lastmod>2024-03-01</lastmod></url>
<url><loc>mailto:desk@example.com</loc></url>
</urlset>
""".encode()


def test_sitemap_index_lists_child_sitemaps_once() -> None:
    sitemap = parse_sitemap(INDEX, sitemap_url=f"{BASE}/sitemap.xml")
    children = [f"{BASE}/sitemap-news.xml", f"{BASE}/sitemap-pages.xml"]
    march = datetime(2024, 3, 1, tzinfo=UTC)
    assert sitemap == Sitemap(pages=[], children=children, child_lastmods=(march, march))  # both have a <lastmod>


def test_a_child_dated_years_after_the_index_was_fetched_is_not_ranked_newest() -> None:
    # A placeholder year would put its file ahead of the day's, run after run. A month's file dated the month's
    # last day ranks as it says (the review of a first version that dropped every date after the fetch).
    dates = {"archive-2019": "2099-01-01", "march": "2024-03-31", "today": "2024-03-01", "yesterday": "2024-02-29"}
    entries = "".join(f"<sitemap><loc>http://h/{k}.xml</loc><lastmod>{v}</lastmod></sitemap>" for k, v in dates.items())
    index = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'.encode()
    fetched = datetime(2024, 3, 1, 12, tzinfo=UTC)
    sitemap = parse_sitemap(index, sitemap_url="http://h/index.xml", fetched_at=fetched)
    names = ["march", "today", "yesterday", "archive-2019"]
    assert sitemap.children == [f"http://h/{name}.xml" for name in names]
    assert sitemap.child_lastmods == tuple(datetime.fromisoformat(dates[n]).replace(tzinfo=UTC) for n in names[:3])


def test_news_sitemap_pages_with_titles_publication_dates_and_lastmod_fallback() -> None:
    pages = parse_sitemap(NEWS, sitemap_url=f"{BASE}/sitemap-news.xml").pages
    published, only_date = datetime(2024, 2, 29, 8, tzinfo=UTC), datetime(2024, 2, 28, tzinfo=UTC)
    assert pages == [
        SitemapEntry(
            f"{BASE}/news/a", datetime(2024, 3, 1, 10, tzinfo=UTC), "A & B", news=True, published_at=published
        ),
        SitemapEntry(f"{BASE}/news/b", only_date, "Only news date", news=True, published_at=only_date),
        SitemapEntry(f"{BASE}/section/world/", datetime(2024, 3, 1, tzinfo=UTC), None, news=False),
    ]


def test_sitemap_without_namespace_is_read() -> None:
    sitemap = parse_sitemap(b"<urlset><url><loc>/a</loc></url></urlset>", sitemap_url="http://h/sitemap.xml")
    assert sitemap.pages == [SitemapEntry("http://h/a")] and sitemap.children == []


def test_gzipped_sitemap_is_read_transparently() -> None:
    url = f"{BASE}/sitemap-news.xml.gz"
    assert parse_sitemap(gzip.compress(NEWS), sitemap_url=url) == parse_sitemap(NEWS, sitemap_url=url)


def test_a_gzip_file_of_several_members_is_read_whole() -> None:
    # RFC 1952 2.2: `cat a.gz b.gz` is a gzip file; only the first member was read, the rest lost as a truncation.
    half = len(NEWS) // 2
    content = gzip.compress(NEWS[:half]) + gzip.compress(NEWS[half:]) + b"\x00" * 8  # and padding after them
    url = "http://h/s.xml.gz"
    assert parse_sitemap(content, sitemap_url=url) == parse_sitemap(NEWS, sitemap_url=url)


def test_a_gzip_file_of_many_empty_members_is_read_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each member was given all the rest of the file, which zlib copies after the member's end: quadratic in the
    # members (8 MB of empty ones took minutes, past every budget). Counted here: the bytes zlib is given.
    members = 20_000
    content = gzip.compress(b"") * members + gzip.compress(NEWS)
    fed: list[int] = []
    real = zlib.decompressobj

    class Counted:
        def __init__(self, *args: object, **kwargs: object) -> None:
            self._real = real(*args, **kwargs)  # type: ignore[arg-type]

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            fed.append(len(data))
            return self._real.decompress(data, max_length)

        def __getattr__(self, name: str) -> object:
            return getattr(self._real, name)

    monkeypatch.setattr(zlib, "decompressobj", Counted)
    url = "http://h/s.xml.gz"
    assert parse_sitemap(content, sitemap_url=url) == parse_sitemap(NEWS, sitemap_url=url)
    assert len(fed) >= members
    assert sum(fed) < 20 * len(content)  # once, plus at most a few hundred bytes a member: not once per member


NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"'


@pytest.mark.parametrize(
    "broken",
    [
        "<url><loc>http://h/1</loc>",
        "<url><loc>http://h/1</loc><image:image><image:loc>http://h/i.jpg</image:loc></url>",
    ],
    ids=["url", "image"],
)
def test_an_entry_left_unclosed_loses_none_of_the_urls_after_it(broken: str) -> None:
    # Recover mode nests the rest of the file inside the unclosed element: 101 URLs listed, 1 read.
    rest = "".join(f"<url><loc>http://h/{k}</loc></url>" for k in range(2, 102))
    sitemap = parse_sitemap(f"<urlset {NS}>{broken}{rest}</urlset>".encode(), sitemap_url="http://h/s.xml")
    assert sitemap.recovered is not None
    assert [p.url for p in sitemap.pages] == [f"http://h/{k}" for k in range(1, 102)]
    assert sitemap.skipped == 0
    children = "".join(f"<sitemap><loc>http://h/{k}.xml</loc></sitemap>" for k in range(9))
    index = "<sitemap><loc>http://h/a.xml</loc>" + children
    nested = parse_sitemap(f"<sitemapindex {NS}>{index}</sitemapindex>".encode(), sitemap_url="http://h/i.xml")
    assert len(nested.children) == 10 and nested.skipped == 0


def test_entries_past_the_depth_the_lenient_reader_stops_at_are_counted() -> None:
    # 1,000 unclosed <url>s nest 1,000 deep; libxml2 stops at 256 and drops the rest without a word.
    urls = "".join(f"<url><loc>http://h/{k}</loc>" for k in range(1000))
    sitemap = parse_sitemap(f"<urlset {NS}>{urls}</urlset>".encode(), sitemap_url="http://h/s.xml")
    assert 0 < len(sitemap.pages) < 1000
    assert len(sitemap.pages) + sitemap.skipped == 1000
    assert sitemap.skipped_why[-1].endswith(" <url> entries past where broken markup ended the lenient reading")


def test_a_lenient_reading_finds_bare_entries_of_a_prefixed_root_and_counts_nothing_a_cut_or_comment_holds() -> None:
    # Bare & make these files recovered. <sm:urlset> of bare <url>s gave no URL; a file cut after "<url>" counted
    # the cut entry as one with no <loc>; a commented-out <url> was counted as lost.
    urls = "".join(f"<url><loc>https://h/b/{k}?x=1&y=2</loc></url>" for k in range(5))
    prefixed = f'<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</sm:urlset>'
    cut = f"<urlset {NS}>{urls}<url>\n  "
    commented = f"<urlset {NS}><!-- <url><loc>https://h/old</loc></url> -->{urls}</urlset>"
    for content in (prefixed, cut, commented):
        sitemap = parse_sitemap(content.encode(), sitemap_url="http://h/s.xml")
        assert sitemap.recovered is not None
        assert ([p.url for p in sitemap.pages], sitemap.skipped) == ([f"https://h/b/{k}?x=1&y=2" for k in range(5)], 0)


def test_entries_without_a_usable_loc_are_counted_with_why() -> None:
    urls = [
        "<url><loc>https://h/a</loc></url>",
        "<url><loc>ftp://h/b</loc></url>",
        "<url><loc>http://[bad/c</loc></url>",
        "<url><lastmod>2024-05-05</lastmod></url>",
    ]
    sitemap = parse_sitemap(f"<urlset {NS}>{''.join(urls)}</urlset>".encode(), sitemap_url="http://h/s.xml")
    assert [p.url for p in sitemap.pages] == ["https://h/a"]
    assert (sitemap.skipped, sitemap.recovered) == (3, None)
    assert sitemap.skipped_why == [
        "<loc> 'ftp://h/b' is no http(s) URL",
        "<loc> 'http://[bad/c' is no http(s) URL",
        "a <url> with no <loc>",
    ]
    text = parse_sitemap(b"# made by hand\nhttps://h/1\nhttp://[bad/2\n", sitemap_url="http://h/s.txt")
    assert ([p.url for p in text.pages], text.skipped) == (["https://h/1"], 1)
    entries = "<sitemap><loc>mailto:x@h</loc></sitemap><sitemap><loc>/a.xml</loc></sitemap>"
    index = f"<sitemapindex {NS}>{entries}</sitemapindex>"
    children = parse_sitemap(index.encode(), sitemap_url="http://h/i.xml")
    assert (children.children, children.skipped) == (["http://h/a.xml"], 1)


def _story_urlset(count: int) -> bytes:
    urls = b"".join(
        b"<url><loc>https://example.com/news/story-%d</loc><lastmod>2026-12-01</lastmod></url>" % i
        for i in range(count)
    )
    return b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + urls + b"</urlset>"


def test_a_gzip_sitemap_cut_short_keeps_every_whole_url_before_the_cut() -> None:
    # A large sitemap.xml.gz whose download ended early lost all its URLs. The cut here falls inside a <loc>,
    # "https://example.com/news/story-24..": that one is dropped (it may be another URL), while the earlier,
    # whole story-24 is kept (it was dropped too, being equal to the cut text).
    compressed = gzip.compress(_story_urlset(5000))
    sitemap = parse_sitemap(compressed[: len(compressed) // 2], sitemap_url="https://example.com/sitemap.xml.gz")
    numbers = [int(page.url.rsplit("-", 1)[1]) for page in sitemap.pages]
    assert numbers == list(range(len(numbers))) and len(numbers) > 2000
    assert sitemap.recovered is not None and sitemap.recovered.startswith("a truncated gzip stream (")
    assert "read leniently" in sitemap.recovered


def test_a_plain_sitemap_cut_inside_a_loc_drops_only_that_loc() -> None:
    content = _story_urlset(300)
    cut = content[: content.index(b"story-250<") + len(b"story-25")]  # ".../story-25" as the cut's last text
    numbers = [
        int(page.url.rsplit("-", 1)[1]) for page in parse_sitemap(cut, sitemap_url="https://example.com/s.xml").pages
    ]
    assert numbers == list(range(250))  # story-25, equal to the cut text but whole, is kept


def test_a_gzip_text_sitemap_cut_short_drops_only_its_cut_last_line() -> None:
    text = b"\n".join(b"https://example.com/a/%d" % i for i in range(3000))
    sitemap = parse_sitemap(gzip.compress(text)[:3000], sitemap_url="https://example.com/sitemap.txt.gz")
    urls = [page.url for page in sitemap.pages]
    assert urls == [f"https://example.com/a/{i}" for i in range(len(urls))] and len(urls) > 500
    whole = gzip.decompress(gzip.compress(text))  # the last kept URL is a whole line of the file
    assert f"{urls[-1]}\n".encode() in whole
    assert sitemap.recovered is not None and "truncated gzip" in sitemap.recovered


def test_corrupt_gzip_raises_with_the_sitemap_url() -> None:
    corrupt = gzip.compress(NEWS)[:10] + b"\x00garbage" * 8
    with pytest.raises(SitemapError, match=r"sitemap 'http://h/s.xml.gz' starts like gzip but is corrupt"):
        parse_sitemap(corrupt, sitemap_url="http://h/s.xml.gz")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><body><p>Moved</p></body></html>", "not <urlset>, <sitemapindex> or a feed's"),
        (b"", "not XML, even read leniently"),
        # A doctype the XML reader cannot read past: it said "not XML ... no element found", naming no cause.
        (b"<!-- x --><!doctype html><html><body><a href='/a'>a</a></body></html>", "is an HTML page, not XML"),
    ],
)
def test_bad_sitemaps_raise(content: bytes, message: str) -> None:
    with pytest.raises(SitemapError, match=message):
        parse_sitemap(content, sitemap_url="http://h/sitemap.xml")


def test_entity_declarations_are_refused() -> None:
    xxe = b'<!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]><urlset><url><loc>&x;</loc></url></urlset>'
    with pytest.raises(SitemapError, match="declares XML entities"):
        parse_sitemap(xxe, sitemap_url="http://h/sitemap.xml")


@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_a_sitemap_or_sitemap_error(content: bytes) -> None:
    with contextlib.suppress(SitemapError):  # the only exception allowed
        parse_sitemap(content, sitemap_url="http://h/sitemap.xml")


FRAGMENTS = st.sampled_from(
    ["<url>", "</url>", "<sitemap>", "</sitemap>", "<loc>", "</loc>", "<lastmod>", "</lastmod>",
     "<news:news>", "</news:news>", "<news:title>", "</news:title>", "http://h/", "/a", "ftp://x",
     "2024-03-01", "2024-99-01", "[", "::", "%", " "]
)  # fmt: skip


@given(st.lists(FRAGMENTS, max_size=30), st.sampled_from(["urlset", "sitemapindex"]))
def test_sitemap_shaped_noise_gives_a_sitemap_or_sitemap_error(parts: list[str], root: str) -> None:
    xml = f'<{root} xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{"".join(parts)}</{root}>'
    try:
        sitemap = parse_sitemap(xml.encode(), sitemap_url="http://h/sitemap.xml")
    except SitemapError:
        return
    assert all(page.url.startswith("http") for page in sitemap.pages)
    assert all(child.startswith("http") for child in sitemap.children)


def test_a_text_sitemap_lists_one_url_per_line() -> None:
    content = b"\xef\xbb\xbfhttp://h/a\r\nhttp://h/b\r\n\r\nnot a url\r\nhttp://h/a\r\n"
    assert [p.url for p in parse_sitemap(content, sitemap_url="http://h/sitemap.txt").pages] == [
        "http://h/a",
        "http://h/b",
    ]


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16"], ids=["utf-8", "utf-8 with BOM", "utf-16 with BOM"]
)
def test_a_text_sitemap_headed_by_comments_or_in_utf16_is_read(encoding: str) -> None:
    # Refused before as malformed XML: every URL of the file was lost.
    text = "# Generated by SitemapGen 2.1 on 2024-03-01\n#\n\nhttp://h/a\nhttp://h/b\n# end\n"
    pages = parse_sitemap(text.encode(encoding), sitemap_url="http://h/sitemap.txt").pages
    assert [p.url for p in pages] == ["http://h/a", "http://h/b"]


def test_a_feed_given_as_a_sitemap_lists_its_items_as_news() -> None:
    content = b"<rss><channel><item><title>T</title><link>http://h/a</link></item></channel></rss>"
    (page,) = parse_sitemap(content, sitemap_url="http://h/sitemap.xml").pages
    assert page.url == "http://h/a" and page.title == "T" and page.news


def test_a_truncated_sitemap_keeps_its_complete_urls_and_says_why() -> None:
    content = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://h/a</loc></url><url><loc>http://h/b'
    sitemap = parse_sitemap(content, sitemap_url="http://h/sitemap.xml")
    assert [p.url for p in sitemap.pages] == ["http://h/a"]
    assert sitemap.recovered is not None and "not well-formed XML" in sitemap.recovered


@pytest.mark.parametrize("cut", ["<lastmod>2024", "<news:news><news:publication_date>2024-05"])
def test_a_date_a_truncation_cut_short_is_no_date(cut: str) -> None:
    # "2024-05" of 2024-05-17 read as 2024-05-01 was stored as a confident published_at.
    content = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/'
        f'sitemap-news/0.9"><url><loc>http://h/a</loc><lastmod>2024-05-16</lastmod></url><url><loc>http://h/b</loc>{cut}'
    ).encode()
    pages = parse_sitemap(content, sitemap_url="http://h/sitemap.xml").pages
    assert [(p.url, p.lastmod, p.published_at) for p in pages] == [
        ("http://h/a", datetime(2024, 5, 16, tzinfo=UTC), None),
        ("http://h/b", None, None),
    ]


def test_urls_over_max_urls_are_not_read_and_said_to_be_there() -> None:
    locs = "".join(f"<url><loc>http://h/{i}</loc></url>" for i in range(5))
    sitemap = parse_sitemap(f"<urlset>{locs}</urlset>".encode(), sitemap_url="http://h/s.xml", max_urls=3)
    assert [p.url for p in sitemap.pages] == ["http://h/0", "http://h/1", "http://h/2"]
    assert sitemap.over_cap
    exactly = parse_sitemap(f"<urlset>{locs}</urlset>".encode(), sitemap_url="http://h/s.xml", max_urls=5)
    assert len(exactly.pages) == 5 and not exactly.over_cap


def test_a_huge_sitemap_is_read_no_further_than_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each URL read costs ~30 us of canonicalizing: a million past the cap took 40 s of a shared parser thread.
    read: list[str] = []

    def counted(url: str) -> str:
        read.append(url)
        return canonicalize_url(url)

    monkeypatch.setattr(sitemaps, "canonicalize_url", counted)
    locs = "".join(f"<url><loc>http://h/{i}</loc></url>" for i in range(10_000))
    sitemap = parse_sitemap(f"<urlset>{locs}</urlset>".encode(), sitemap_url="http://h/s.xml", max_urls=10)
    assert len(sitemap.pages) == 10 and sitemap.over_cap
    assert len(read) == 11  # the cap and the one past it, which says there are more


def test_sitemap_dates_no_story_can_have_are_none() -> None:
    news = "<news:news><news:publication_date>{}</news:publication_date></news:news>"
    urls = [
        ("1970-01-01T00:00:00Z", news.format("2077-01-01")),
        ("2077-01-01", news.format("1900-01-01")),
        ("0001-01-01T00:00:00Z", ""),
        ("2024-05-06T10:00:00Z", news.format("2024-05-06T08:00:00Z")),
    ]
    body = "".join(f"<url><loc>{BASE}/news/{k}</loc><lastmod>{m}</lastmod>{n}</url>" for k, (m, n) in enumerate(urls))
    content = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        f' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{body}</urlset>'
    ).encode()
    fetched = datetime(2024, 5, 7, tzinfo=UTC)
    pages = parse_sitemap(content, sitemap_url=f"{BASE}/sitemap.xml", fetched_at=fetched).pages
    assert [(p.lastmod, p.published_at) for p in pages[:3]] == [(None, None)] * 3
    assert (pages[3].lastmod, pages[3].published_at) == (
        datetime(2024, 5, 6, 10, tzinfo=UTC),
        datetime(2024, 5, 6, 8, tzinfo=UTC),
    )


def test_a_gzipped_text_sitemap_is_read() -> None:
    # sitemap.txt.gz is served as application/gzip, so the body arrives gzipped, like sitemap.xml.gz.
    content = gzip.compress(b"http://h/a\nhttp://h/b\n")
    assert [p.url for p in parse_sitemap(content, sitemap_url="http://h/sitemap.txt.gz").pages] == [
        "http://h/a",
        "http://h/b",
    ]


def test_a_sitemap_is_parsed_one_url_at_a_time() -> None:
    # A whole tree costs ~6x the bytes (300 MB for a 50 MB sitemap, two parsed at a time); the stream holds what lxml
    # parsed ahead of the <url> read (a read buffer, ~64 kB here), never the whole.
    template = "<url><loc>http://h/{}</loc><image:image><url>x</url></image:image></url><x/>"
    locs = "".join(template.format(i) for i in range(5000))
    content = f'<urlset xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">{locs}</urlset>'.encode()
    stream = stream_xml(content, root="urlset", children="url", source="s", error=SitemapError)
    assert stream is not None
    held = []
    for url in stream.children:
        held.append(len(url.getparent()))
        assert url.findtext("loc") == f"http://h/{len(held) - 1}"  # the whole <url>, its nested one not on its own
    assert len(held) == 5000 and max(held) < 2000  # of 10,000 children
    assert stream_xml(INDEX, root="urlset", children="url", source="s", error=SitemapError) is None


def test_a_sitemap_malformed_past_its_cap_is_not_parsed_that_far() -> None:
    locs = "".join(f"<url><loc>http://h/{i}</loc></url>" for i in range(3_000))
    content = f"<urlset>{locs}<url><loc>http://h/&nbsp;</loc></urlset>".encode()
    capped = parse_sitemap(content, sitemap_url="http://h/s.xml", max_urls=5)
    assert len(capped.pages) == 5 and capped.over_cap and capped.recovered is None
    whole = parse_sitemap(content, sitemap_url="http://h/s.xml")
    # The lenient reader reads "&nbsp;" as U+00A0: one more URL.
    assert len(whole.pages) == 3_001 and whole.recovered is not None and "not well-formed XML" in whole.recovered


def test_a_sitemap_labelled_latin_1_but_in_utf_8_is_read_as_utf_8() -> None:
    content = '<?xml version="1.0" encoding="ISO-8859-1"?><urlset><url><loc>http://h/café</loc></url></urlset>'
    sitemap = parse_sitemap(content.encode("utf-8"), sitemap_url="http://h/s.xml")
    assert [p.url for p in sitemap.pages] == ["http://h/caf%C3%A9"]
    assert sitemap.recovered == "declares windows-1252 but is UTF-8; read as UTF-8"


def test_a_sitemap_is_read_in_its_served_charset_where_the_bytes_are_text_in_it() -> None:
    content = '<?xml version="1.0" encoding="iso-8859-1"?><urlset><url><loc>http://h/новости</loc></url></urlset>'
    sitemap = parse_sitemap(
        content.encode("cp1251"), sitemap_url="http://h/s.xml", content_type="text/xml; charset=windows-1251"
    )
    assert [p.url for p in sitemap.pages] == ["http://h/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"]
    assert sitemap.recovered == "served as cp1251 but declares windows-1252; read as cp1251"


URL_PARTS = st.lists(
    st.tuples(
        st.sampled_from(["http://h/a", "http://h/b", "https://h/c?x=1&amp;y=2", "/rel", "mailto:x@h", " http://h/d "]),
        st.sampled_from(["", "<lastmod>2024-05-06</lastmod>", "<lastmod>junk</lastmod>"]),
        st.sampled_from(["", "<news:news><news:title>T &amp; U</news:title></news:news>", "<image:image/>", "<x/>"]),
    ),
    max_size=12,
)


@given(URL_PARTS, st.integers(min_value=1, max_value=8), st.booleans())
def test_a_streamed_urlset_gives_what_the_whole_tree_gives(
    parts: list[tuple[str, str, str]], max_urls: int, between: bool
) -> None:
    from extractors._xml import read_xml

    urls = "".join(
        f"<url><loc>{loc}</loc>{lastmod}{extra}</url>" + ("<other/>" if between else "")
        for loc, lastmod, extra in parts
    )
    content = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/'
        f'sitemap-news/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">{urls}</urlset>'
    ).encode()
    streamed = parse_sitemap(content, sitemap_url="http://h/s.xml", max_urls=max_urls)
    document = read_xml(content, source="s", error=SitemapError)
    whole = sitemaps._pages(sitemaps._children(document, "url"), "http://h/s.xml", None, document)
    pages = sitemaps._unique(whole, key=lambda page: page.url, limit=max_urls + 1)
    assert (streamed.pages, streamed.over_cap, streamed.recovered) == (pages[:max_urls], len(pages) > max_urls, None)


def test_a_cdata_section_left_open_in_a_sitemap_swallows_no_url() -> None:
    # Well-formed up to the next "]]>": the streaming reader took /b for part of /a's address.
    content = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc><![CDATA[http://h/a]]></loc></url>"
        b"<url><loc><![CDATA[http://h/b</loc></url>"
        b"<url><loc><![CDATA[http://h/c]]></loc></url>"
        b"<url><loc>http://h/d</loc></url></urlset>"
    )
    sitemap = parse_sitemap(content, sitemap_url="http://h/sitemap.xml")
    assert [p.url for p in sitemap.pages] == ["http://h/a", "http://h/b", "http://h/c", "http://h/d"]
    assert (
        sitemap.recovered is not None
        and "CDATA section on line 1 runs past the end of its element" in sitemap.recovered
    )


def test_a_sitemap_cut_inside_its_last_lastmod_keeps_every_equal_lastmod_before_it() -> None:
    # Every entry's <lastmod> equals the cut text "2024-05-01": only the last entry's may be cut short.
    entries = b"".join(
        b"<url><loc>https://ex.com/a/%d</loc><lastmod>2024-05-01</lastmod></url>" % i for i in range(300)
    )
    content = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + entries
    cut = content[: content.rindex(b"</lastmod>")]
    pages = parse_sitemap(cut, sitemap_url="https://ex.com/s.xml").pages
    assert len(pages) == 300 and all(p.lastmod is not None for p in pages[:-1]) and pages[-1].lastmod is None


def test_a_gzip_text_sitemap_with_cr_line_ends_cut_short_keeps_its_whole_lines() -> None:
    text = b"\r".join(b"https://example.com/a/%d" % i for i in range(3000))
    sitemap = parse_sitemap(gzip.compress(text)[:3000], sitemap_url="https://example.com/sitemap.txt.gz")
    assert len(sitemap.pages) > 500


def test_a_text_sitemaps_paths_are_read_against_its_url_and_other_lines_are_counted() -> None:
    # A review of hostile listings (2026-12-07): "/a/relative-2" was dropped with no row saying so.
    data = b"# generated\nhttps://x.example/a/1\n/a/relative-2\nsome junk line\nftp://x.example/f\n"
    sitemap = sitemaps.parse_sitemap(data, sitemap_url="https://x.example/sitemap.txt")
    assert [p.url for p in sitemap.pages] == ["https://x.example/a/1", "https://x.example/a/relative-2"]
    assert sitemap.skipped == 2 and "some junk line" in sitemap.skipped_why[0]
