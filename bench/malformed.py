"""Malformed feeds and sitemaps made from well-formed ones: how many recoverable items each reader recovers.

    .venv/bin/pip install feedparser           # the peer, for measuring only
    .venv/bin/python bench/malformed.py [--show]

Each case is a well-formed RSS 2.0, RSS 1.0 or Atom 1.0 feed (or a sitemap) with one fault a real server or
CMS makes: a blank line or BOM before <?xml, HTML entities, a bare "&", a form feed, cp1252 bytes in a UTF-8
feed, cp1251 without a declaration, undeclared prefixes, a stray "<", truncation at several points. An item is
recoverable when its link is complete in the bytes (for truncation: its </link> or </loc> lies before the
cut). Prints items recovered out of recoverable for copydesk and feedparser, and wrong links (ones not in the
original feed, such as a link cut short).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from extractors.feeds import FeedError, parse_feed  # noqa: E402
from extractors.sitemaps import SitemapError, parse_sitemap  # noqa: E402
from extractors.urls import canonicalize_url  # noqa: E402

FEED_URL = "http://news.example/feed.xml"
TITLES = ["Café crème", "Tea “time”", "Über alles", "Naïve &amp; nice", "Ελληνικά", "Привет мир", "Plain", "Last"]


def _links(n: int = 8) -> list[str]:
    return [f"http://news.example/2024/05/story-{i}?id={i}&amp;src=feed" for i in range(n)]


def rss(titles: list[str] = TITLES, *, declaration: str = '<?xml version="1.0" encoding="utf-8"?>\n') -> str:
    items = "".join(
        f"<item><title>{title}</title><link>{link}</link><description>Text {i}</description>"
        f"<pubDate>Fri, 01 Mar 2024 10:0{i}:00 +01:00</pubDate></item>\n"
        for i, (title, link) in enumerate(zip(titles, _links(len(titles)), strict=True))
    )
    return f'{declaration}<rss version="2.0"><channel><title>News</title><link>http://news.example/</link>\n{items}</channel></rss>\n'


def atom(titles: list[str] = TITLES) -> str:
    entries = "".join(
        f'<entry><title>{title}</title><link rel="alternate" href="{link}"/>'
        f'<link rel="enclosure" href="http://news.example/a{i}.mp3"/><id>tag:news.example,2024:{i}</id>'
        f"<updated>2024-03-01T10:00:00+02:00</updated></entry>\n"
        for i, (title, link) in enumerate(zip(titles, _links(len(titles)), strict=True))
    )
    return f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>\n{entries}</feed>\n'


def rdf(titles: list[str] = TITLES) -> str:
    items = "".join(
        f'<item rdf:about="{link}"><title>{title}</title><link>{link}</link><dc:date>2024-03-01</dc:date></item>\n'
        for title, link in zip(titles, _links(len(titles)), strict=True)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="http://news.example/"><title>News</title></channel>\n{items}</rdf:RDF>\n'
    )


def expected_links(text: str, closing: str = "</link>") -> list[str]:
    """Links of the items whose link is complete in text: followed by closing ('"' for an Atom href)."""
    found = []
    for link in _links():
        raw = link
        end = text.find(raw)
        if end < 0:
            continue
        after = text[end + len(raw) : end + len(raw) + len(closing)]
        if after.startswith(closing):
            found.append(canonicalize_url(link.replace("&amp;", "&")))
    return found


def feed_cases() -> list[tuple[str, bytes, list[str], str | None]]:
    """(name, bytes, recoverable canonical links, Content-Type) for every malformed feed."""
    cases: list[tuple[str, bytes, list[str], str | None]] = []
    for kind, make in (("rss", rss), ("atom", atom), ("rdf", rdf)):
        good = make()
        closing = '"' if kind == "atom" else "</link>"
        links = expected_links(good, closing)

        def add(
            name: str, data: bytes, recoverable: list[str] = links, ctype: str | None = None, kind: str = kind
        ) -> None:
            cases.append((f"{kind}: {name}", data, recoverable, ctype))

        add("well-formed", good.encode())
        add("blank line before <?xml", b"\n\n" + good.encode())
        add("BOM and newline before <?xml", b"\xef\xbb\xbf\n" + good.encode())
        add("HTML entities", make([*TITLES[:-2], "a&nbsp;b &rsquo;c&eacute;", "&copy; &hellip;"]).encode())
        add("bare & in a title", make([*TITLES[:-1], "Salt & pepper"]).encode())
        add("bare & in every link", good.replace("&amp;src", "&src").encode())
        add("form feed in a title", make([*TITLES[:-1], "Form\x0cfeed"]).encode())
        add("NUL and ESC in titles", make([*TITLES[:-2], "nul\x00here", "esc\x1bhere"]).encode())
        add("UTF-8 declared, cp1252 bytes", good.encode("cp1252", errors="replace"))
        mixed = good.encode().replace("Tea “time”".encode(), "Tea “time”".encode("cp1252"))
        add("UTF-8 with some cp1252 bytes", mixed)
        add("cp1251 bytes, no declaration", make(["Привет мир"] * 8).replace(' encoding="utf-8"', "").encode("cp1251"))
        add("latin-1 declared, UTF-8 bytes", good.replace('"utf-8"', '"iso-8859-1"').encode())
        add(
            "charset only in HTTP header",
            good.encode("cp1251", errors="replace"),
            ctype="text/xml; charset=windows-1251",
        )
        add(
            "undeclared prefix",
            good.replace("<title>Last</title>", "<title>Last</title><media:thumb url='x'/>").encode(),
        )
        add("stray < in a title", make([*TITLES[:-1], "1 < 2"]).encode())
        add("unclosed item", good.replace("</item>\n", "\n", 1).replace("</entry>\n", "\n", 1).encode())
        add("no closing root", good.rsplit("</", 1)[0].encode())
        add("junk after the root", (good + "<p>trailing html</p>").encode())
        add("HTML before the feed", ("<br />\n<b>Warning</b>: PHP notice\n" + good.split("\n", 1)[1]).encode())
        data = good.encode()
        for fraction in (0.3, 0.5, 0.7, 0.9, 0.97):
            cut = data[: int(len(data) * fraction)]
            add(f"truncated at {fraction:.0%}", cut, expected_links(cut.decode(errors="ignore"), closing))
        for offset in (4, 12, 30):  # cut just inside the last complete-looking link
            position = data.rfind(b"story-") + offset
            cut = data[:position]
            add(f"truncated inside a link (+{offset})", cut, expected_links(cut.decode(errors="ignore"), closing))
    return cases


def sitemap_cases() -> list[tuple[str, bytes, list[str]]]:
    locs = [f"http://news.example/2024/05/story-{i}" for i in range(8)]
    body = "".join(f"<url><loc>{loc}</loc><lastmod>2024-03-01</lastmod></url>\n" for loc in locs)
    good = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{body}</urlset>\n'
    data = good.encode()
    cases = [("well-formed", data, locs), ("blank line before <?xml", b"\n" + data, locs)]
    cases.append(("text sitemap", "\n".join(locs).encode(), locs))
    cases.append(("text sitemap with BOM and CRLF", ("\ufeff" + "\r\n".join(locs) + "\r\n").encode(), locs))
    cases.append(("RSS as a sitemap", rss().encode(), expected_links(rss())))
    cases.append(
        (
            "bare & in a loc",
            good.replace("story-3", "story-3?a=1&b=2").encode(),
            [*locs[:3], f"{locs[3]}?a=1&b=2", *locs[4:]],
        )
    )
    for fraction in (0.3, 0.6, 0.9):
        cut = data[: int(len(data) * fraction)]
        text = cut.decode()
        cases.append((f"truncated at {fraction:.0%}", cut, [loc for loc in locs if f"{loc}</loc>" in text]))
    position = data.rfind(b"story-") + 3
    cases.append(
        ("truncated inside a loc", data[:position], [loc for loc in locs if f"{loc}</loc>" in good[:position]])
    )
    return cases


def ours_feed(data: bytes, ctype: str | None) -> list[str]:
    try:
        return [
            canonicalize_url(entry.url) for entry in parse_feed(data, feed_url=FEED_URL, content_type=ctype).entries
        ]
    except FeedError:
        return []


def feedparser_feed(data: bytes, ctype: str | None) -> list[str]:
    import feedparser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = feedparser.parse(
            data, response_headers={"content-location": FEED_URL, "content-type": ctype or "text/xml"}
        )
    out = []
    for entry in result.entries:
        link = str(entry.get("link") or "")
        if link.startswith(("http://", "https://")):
            out.append(canonicalize_url(link))
    return out


def ours_sitemap(data: bytes) -> list[str]:
    try:
        return [page.url for page in parse_sitemap(data, sitemap_url="http://news.example/sitemap.xml").pages]
    except SitemapError:
        return []


def score(
    cases: list[tuple[str, bytes, list[str], str | None]],
    reader: Callable[[bytes, str | None], list[str]],
    show: bool,
    originals: set[str],
) -> tuple[int, int, int]:
    recovered = recoverable = wrong = 0
    for name, data, expected, ctype in cases:
        got = reader(data, ctype)
        recovered += len(set(got) & set(expected))
        recoverable += len(expected)
        bad = [link for link in got if link not in originals]
        wrong += len(bad)
        if show and (set(expected) - set(got) or bad):
            print(f"  {reader.__name__} {name}: missed {len(set(expected) - set(got))}, wrong {bad}")
    return recovered, recoverable, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    cases = feed_cases()
    for reader in (ours_feed, feedparser_feed):
        originals = {canonicalize_url(link.replace("&amp;", "&")) for link in _links()}
        recovered, recoverable, wrong = score(cases, reader, args.show, originals)
        name = reader.__name__
        print(f"{name}: {recovered} of {recoverable} recoverable items in {len(cases)} feeds, {wrong} wrong links")
    sitemaps = [(name, data, expected, None) for name, data, expected in sitemap_cases()]
    originals = {url for _name, _data, expected, _ctype in sitemaps for url in expected}
    recovered, recoverable, wrong = score(sitemaps, lambda data, _ctype: ours_sitemap(data), args.show, originals)
    print(f"ours_sitemap: {recovered} of {recoverable} recoverable URLs in {len(sitemaps)} sitemaps, {wrong} wrong")


if __name__ == "__main__":
    main()
