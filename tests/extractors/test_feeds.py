from __future__ import annotations

import contextlib
import gzip
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.dates import parse_datetime
from extractors.feeds import MAX_DECOMPRESSED_BYTES, FeedError, parse_feed

FEED_URL = "http://127.0.0.1:8001/rss.xml"
RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Site One</title><link>http://127.0.0.1:8001/</link>
<item><title>First &amp; best</title><link>http://127.0.0.1:8001/news/first?utm_source=rss&amp;utm_medium=feed</link>
<guid isPermaLink="false">a1</guid><pubDate>Fri, 01 Mar 2024 10:00:00 GMT</pubDate></item>
<item><title>First &amp; best</title><link>http://127.0.0.1:8001/news/first?utm_source=rss&amp;utm_medium=feed</link>
<guid isPermaLink="false">a1</guid><pubDate>Fri, 01 Mar 2024 10:00:00 GMT</pubDate></item>
<item><title><![CDATA[Second]]></title><link>/news/second</link><pubDate>not a date</pubDate></item>
<item><title>Permalink guid</title><guid>http://127.0.0.1:8001/news/third</guid></item>
<item><title>No link at all</title><description>nothing to fetch</description></item>
</channel></rss>
"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Site Two</title><link href="http://h/"/>
<entry><title type="html">&lt;b&gt;Bold&lt;/b&gt; news</title>
  <link rel="edit" href="http://h/api/1"/><link rel="alternate" href="http://h/news/one"/>
  <published>2024-03-01T10:00:00+01:00</published><updated>2024-03-02T00:00:00Z</updated></entry>
<entry xml:base="http://h/section/"><title>Relative</title><link href="two"/>
  <updated>2024-03-02</updated></entry>
<entry><title>Only an edit link</title><link rel="edit" href="/news/three"/></entry>
</feed>
"""
RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://h/"><title>RDF site</title><link>http://h/</link></channel>
<item rdf:about="http://h/a"><title>RDF item</title><link>http://h/a</link><dc:date>2024-03-01T00:00:00Z</dc:date></item>
</rdf:RDF>
"""
# newsroom's flaky /rss.xml: a raw "&" and an unclosed <item> (world.py _feed(broken=True))
MALFORMED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Flaky</title>
<item><title>Markets & more</title><description>no link here</description></item>
<item><title>Unclosed item<link>http://h/news/missing-story</link>
</channel></rss>
"""


def test_rss_entries_are_clean_unique_and_dated() -> None:
    entries = parse_feed(RSS, feed_url=FEED_URL).entries
    assert [e.url for e in entries] == [
        "http://127.0.0.1:8001/news/first",
        "http://127.0.0.1:8001/news/second",
        "http://127.0.0.1:8001/news/third",
    ]
    assert entries[0].title == "First & best"
    assert entries[0].published_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert entries[1].title == "Second" and entries[1].published_at is None


def test_atom_takes_alternate_links_only_and_resolves_xml_base() -> None:
    entries = parse_feed(ATOM, feed_url="http://h/atom.xml").entries
    # The third entry has only an edit link: an API address, not the article page.
    assert [e.url for e in entries] == ["http://h/news/one", "http://h/section/two"]
    assert entries[0].title == "Bold news"
    assert entries[0].published_at == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert entries[1].published_at == datetime(2024, 3, 2, tzinfo=UTC)


def test_rdf_items_are_read() -> None:
    [entry] = parse_feed(RDF, feed_url="http://h/index.rdf").entries
    assert entry.url == "http://h/a" and entry.title == "RDF item"
    assert entry.published_at == datetime(2024, 3, 1, tzinfo=UTC)


def test_gzipped_feed_is_read_transparently() -> None:
    assert parse_feed(gzip.compress(RSS), feed_url=FEED_URL) == parse_feed(RSS, feed_url=FEED_URL)


def test_malformed_feed_is_recovered_and_says_why() -> None:
    feed = parse_feed(MALFORMED, feed_url="http://h/rss.xml")
    assert [e.url for e in feed.entries] == ["http://h/news/missing-story"]
    assert feed.recovered is not None and feed.recovered.startswith("not well-formed XML")


def test_well_formed_feed_needs_no_recovery() -> None:
    assert parse_feed(RSS, feed_url=FEED_URL).recovered is None


@pytest.mark.parametrize(
    "content",
    [b"<html><body>hi</body></html>", b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>'],
)
def test_documents_that_are_not_feeds_raise(content: bytes) -> None:
    with pytest.raises(FeedError, match="not <rss>"):
        parse_feed(content, feed_url=FEED_URL)


def test_empty_feed_has_no_entries() -> None:
    assert parse_feed(b"<rss><channel><title>t</title></channel></rss>", feed_url=FEED_URL).entries == []


def test_external_entities_are_never_read() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><item><title>&x;</title><link>http://h/a</link></item></channel></rss>"
    )
    with pytest.raises(FeedError, match="declares XML entities") as info:
        parse_feed(xxe, feed_url=FEED_URL)
    assert "root:" not in str(info.value)


@pytest.mark.parametrize("levels", [3, 10])
def test_billion_laughs_is_refused_quickly(levels: int) -> None:
    entities = b'<!ENTITY l0 "lol">' + b"".join(
        b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, levels)
    )
    bomb = b"<!DOCTYPE rss [" + entities + b"]><rss><channel><item><title>&l%d;</title>" % (levels - 1)
    start = time.perf_counter()
    with pytest.raises(FeedError, match=FEED_URL):
        parse_feed(bomb + b"<link>http://h/a</link></item></channel></rss>", feed_url=FEED_URL)
    assert time.perf_counter() - start < 1


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<rss>" + b" " * MAX_DECOMPRESSED_BYTES + b"</rss>", compresslevel=1)
    with pytest.raises(FeedError, match="inflates to more than"):
        parse_feed(bomb, feed_url=FEED_URL)


def test_truncated_gzip_raises() -> None:
    with pytest.raises(FeedError, match="truncated gzip"):
        parse_feed(gzip.compress(RSS)[:-20], feed_url=FEED_URL)


@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_entries_or_feed_error(content: bytes) -> None:
    with contextlib.suppress(FeedError):  # the only exception allowed
        parse_feed(content, feed_url=FEED_URL)


FRAGMENTS = st.sampled_from(
    ["<item>", "</item>", "<link>", "</link>", "<title>", "</title>", "<guid>", "</guid>", "<pubDate>",
     "</pubDate>", "<entry>", "</entry>", '<link href="', '"/>', "http://h/", "/a", "mailto:x", "&amp;",
     "Fri, 01 Mar 2024", "2024-13-45T99:00", "[", "::", "%", "\u00e9", " "]
)  # fmt: skip


@given(st.lists(FRAGMENTS, max_size=30), st.sampled_from(["rss", "atom"]))
def test_feed_shaped_noise_gives_entries_or_feed_error(parts: list[str], kind: str) -> None:
    head, tail = ("<rss><channel>", "</channel></rss>")
    if kind == "atom":
        head, tail = ('<feed xmlns="http://www.w3.org/2005/Atom">', "</feed>")
    try:
        entries = parse_feed((head + "".join(parts) + tail).encode(), feed_url=FEED_URL).entries
    except FeedError:
        return
    assert all(e.url.startswith("http") for e in entries)
    assert len({e.url for e in entries}) == len(entries)


@given(st.text(max_size=40))
def test_parse_datetime_never_raises_and_is_aware(text: str) -> None:
    parsed = parse_datetime(text)
    assert parsed is None or parsed.tzinfo is not None


def _rss(*items: str, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link></item>" for title, link in zip(items, LINKS, strict=True)
    )
    return f'{declaration}\n<rss version="2.0"><channel><title>t</title>{body}</channel></rss>\n'


LINKS = ["http://h/a", "http://h/b?x=1&amp;y=2", "http://h/c"]
GOOD = _rss("Café", "Tea “time”", "Plain")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\n\n" + GOOD.encode(), id="blank line before <?xml (WordPress)"),
        pytest.param(b"\xef\xbb\xbf\n" + GOOD.encode(), id="BOM and newline before <?xml"),
        pytest.param(_rss("a&nbsp;b", "&rsquo;quoted&rsquo;", "&eacute;t&eacute;").encode(), id="HTML entities"),
        pytest.param(GOOD.replace("&amp;y", "&y").encode(), id="bare & in a link"),
        pytest.param(_rss("Form\x0cfeed", "b", "c").encode(), id="form feed in a title"),
        pytest.param(GOOD.encode("cp1252"), id="UTF-8 declared, cp1252 bytes"),
        pytest.param(_rss("Привет", "мир", "!", declaration="").encode("cp1251"), id="cp1251, no declaration"),
        pytest.param(("<b>Notice</b>: PHP warning<br />\n" + GOOD).encode(), id="HTML before the feed"),
        pytest.param(_rss("1 < 2", "b", "c").encode(), id="stray < in a title"),
    ],
)
def test_a_feed_with_one_common_fault_keeps_every_item(content: bytes) -> None:
    feed = parse_feed(content, feed_url=FEED_URL)
    assert [e.url for e in feed.entries] == ["http://h/a", "http://h/b?x=1&y=2", "http://h/c"]
    assert feed.recovered is not None


def test_cp1252_bytes_in_a_utf8_feed_keep_their_characters() -> None:
    feed = parse_feed(GOOD.encode("cp1252"), feed_url=FEED_URL)
    assert [e.title for e in feed.entries] == ["Café", "Tea “time”", "Plain"]


def test_a_feed_declared_latin1_but_utf8_has_no_mojibake() -> None:
    feed = parse_feed(
        _rss("Café", "b", "c", declaration='<?xml version="1.0" encoding="iso-8859-1"?>').encode(), feed_url=FEED_URL
    )
    assert feed.entries[0].title == "Café"
    assert feed.recovered == "declares windows-1252 but is UTF-8; read as UTF-8"


def test_the_http_charset_decodes_a_feed_its_declaration_does_not() -> None:
    content = _rss("Ελληνικά", "b", "c").encode("iso-8859-7")
    feed = parse_feed(content, feed_url=FEED_URL, content_type="text/xml; charset=iso-8859-7")
    assert feed.entries[0].title == "Ελληνικά"


def test_a_truncated_feed_keeps_the_complete_items_and_drops_a_cut_link() -> None:
    content = GOOD.encode()
    cut_after_b = content[: content.index(b"</item>", content.index(b"/b?")) + 7]
    assert [e.url for e in parse_feed(cut_after_b, feed_url=FEED_URL).entries] == ["http://h/a", "http://h/b?x=1&y=2"]
    cut_inside_c = content[: content.index(b"http://h/c") + len("http://h/")]
    assert [e.url for e in parse_feed(cut_inside_c, feed_url=FEED_URL).entries] == ["http://h/a", "http://h/b?x=1&y=2"]


def test_only_article_links_become_entries() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
    <entry><link rel="enclosure" href="http://h/movie.mp4"/><link rel="license" href="http://creativecommons.org/l"/>
      <link rel="self" href="http://h/api/1"/><link rel="related" href="http://h/other"/><id>tag:h,2024:1</id></entry>
    <entry><link rel="via" href="http://h/via"/><id>http://h/news/by-id</id></entry>
    <entry><itunes:link rel="image" href="http://h/logo.jpg"/><link href="http://h/news/alternate"/></entry>
    </feed>"""
    assert [e.url for e in parse_feed(atom, feed_url=FEED_URL).entries] == [
        "http://h/news/by-id",
        "http://h/news/alternate",
    ]
    rss = b"""<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><item>
      <itunes:link rel="image" href="http://h/logo.jpg"/><enclosure url="http://h/a.mp3"/><link>http://h/story</link>
    </item><item><itunes:link href="http://h/logo.jpg"/></item></channel></rss>"""
    assert [e.url for e in parse_feed(rss, feed_url=FEED_URL).entries] == ["http://h/story"]


@pytest.mark.parametrize(
    "content",
    [
        b'<rss xmlns="http://backend.userland.com/rss2"><channel><item><link>http://h/a</link></item></channel></rss>',
        b"<feed><entry><link href='http://h/a'/></entry></feed>",
        b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><link rel="alternate">http://h/a</link></entry></feed>',
        b'<CHANNEL HREF="http://h/"><ITEM HREF="http://h/a"><TITLE>t</TITLE></ITEM></CHANNEL>',
    ],
    ids=["RSS in a namespace", "Atom without namespace", "Atom 0.3 link text", "CDF"],
)
def test_feed_dialects_are_read(content: bytes) -> None:
    assert [e.url for e in parse_feed(content, feed_url=FEED_URL).entries] == ["http://h/a"]


def test_feed_dates_no_story_can_have_are_none() -> None:
    dates = [
        "Thu, 01 Jan 1970 00:00:00 +0000",
        "1970-01-01T00:00:00Z",
        "Mon, 01 Jan 1900 00:00:00 GMT",
        "Fri, 01 Jan 2077 10:00:00 +0000",
        "2567-05-06T10:00:00+07:00",
        "Mon, 06 May 2024 10:00:00 +0200",
    ]
    items = "".join(f"<item><link>http://h/{k}</link><pubDate>{d}</pubDate></item>" for k, d in enumerate(dates))
    content = f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    feed = parse_feed(content, feed_url=FEED_URL, fetched_at=datetime(2024, 5, 7, tzinfo=UTC))
    assert [e.published_at for e in feed.entries][:5] == [None] * 5
    assert feed.entries[5].published_at == parse_datetime(dates[5])
