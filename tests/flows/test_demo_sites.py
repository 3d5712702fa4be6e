"""The bundled demo newsroom: the loopback server behaves like a polite web server, and expected.json is
consistent with the pages it describes, so the end-to-end tests that rely on it test the pipeline."""

from __future__ import annotations

import http.client
import re
import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import httpx
import lxml.etree
import lxml.html
import pytest
import trafilatura

from flows.cli import main
from flows.demo import DemoSites, load_expected, serve_demo_sites

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM_NS = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoSites]:
    with serve_demo_sites() as sites:
        yield sites


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as http:
        yield http


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    return load_expected()


def page_text(html: str) -> str:
    """Whitespace-normalised visible text of the <body>: what a reader could copy from the page."""
    return " ".join(lxml.html.fromstring(html).body.text_content().split())


def raw_get(base_url: str, target: str) -> tuple[int, bytes]:
    """GET with the target sent byte for byte (httpx would normalise "/../" away)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_pages_are_served_with_the_site_base_url(demo: DemoSites, client: httpx.Client) -> None:
    base = demo.base_urls["harbourtimes"]
    response = client.get(f"{base}/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert int(response.headers["content-length"]) == len(response.content)
    assert "{{BASE}}" not in response.text
    assert f'href="{base}/"' in response.text
    assert "?utm_source=homepage" in response.text


@pytest.mark.parametrize(
    ("site", "path", "content_type"),
    [
        ("harbourtimes", "/rss.xml", "application/rss+xml"),
        ("valleypost", "/atom.xml", "application/atom+xml"),
        ("valleypost", "/sitemap-stories.xml", "application/xml"),
        ("metrowire", "/robots.txt", "text/plain; charset=utf-8"),
    ],
)
def test_content_type_follows_the_file(
    demo: DemoSites, client: httpx.Client, site: str, path: str, content_type: str
) -> None:
    response = client.get(demo.base_urls[site] + path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type


def test_matching_etag_or_date_gets_304(demo: DemoSites, client: httpx.Client) -> None:
    url = demo.base_urls["metrowire"] + "/rss.xml"
    first = client.get(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong: no W/ prefix
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    changed = client.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": last_modified})
    assert changed.status_code == 200  # If-None-Match takes precedence over the date
    assert changed.content == first.content


def test_head_sends_length_but_no_body(demo: DemoSites) -> None:
    parts = urlsplit(demo.base_urls["valleypost"])
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        conn.request("HEAD", "/atom.xml")
        head = conn.getresponse()
        assert head.read() == b""
        conn.request("GET", "/atom.xml")  # same keep-alive connection: HEAD must not have left a body behind
        get = conn.getresponse()
        assert int(head.headers["Content-Length"]) == len(get.read()) > 0
    finally:
        conn.close()


def test_unknown_path_is_404_and_query_string_is_ignored(demo: DemoSites, client: httpx.Client) -> None:
    base = demo.base_urls["harbourtimes"]
    assert client.get(f"{base}/news/no-such-story.html").status_code == 404
    assert client.get(f"{base}/news/").status_code == 404
    with_query = client.get(f"{base}/rss.xml?utm_source=x&page=2")
    assert with_query.status_code == 200
    assert with_query.content == client.get(f"{base}/rss.xml").content


@pytest.mark.parametrize(
    "target",
    [
        "/../expected.json",
        "/%2e%2e/expected.json",
        "/..%2fexpected.json",
        "/news/../../valleypost/index.html",
        "/%2e%2e%2fvalleypost%2findex.html",
        "/../../../../../../etc/passwd",
        "//etc/passwd",
        "/..\\expected.json",
    ],
)
def test_directory_traversal_is_blocked(demo: DemoSites, target: str) -> None:
    status, body = raw_get(demo.base_urls["harbourtimes"], target)
    assert status == 404
    assert b"articles" not in body and b"root:" not in body


def test_request_log_shows_conditional_requests_and_no_private_fetch(client: httpx.Client) -> None:
    with serve_demo_sites() as sites:
        url = sites.base_urls["valleypost"] + "/atom.xml?utm_source=test"
        etag = client.get(url).headers["etag"]
        client.get(url, headers={"If-None-Match": etag, "User-Agent": "copydesk-test"})
        log = sites.requests
    assert [(r.site, r.method, r.path, r.status) for r in log] == [
        ("valleypost", "GET", "/atom.xml?utm_source=test", 200),
        ("valleypost", "GET", "/atom.xml?utm_source=test", 304),
    ]
    assert log[1].headers == {"If-None-Match": etag, "User-Agent": "copydesk-test"}
    assert not any(r.path.startswith("/private/") for r in log)


def test_private_area_is_disallowed_but_linked(demo: DemoSites, client: httpx.Client) -> None:
    for base in demo.base_urls.values():
        robots = client.get(f"{base}/robots.txt").text
        assert "User-agent: *\nDisallow: /private/\n" in robots
        assert 'href="/private/"' in client.get(f"{base}/").text


def test_server_writes_nothing_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    with serve_demo_sites() as sites:
        parts = urlsplit(sites.base_urls["metrowire"])
        raw_get(sites.base_urls["metrowire"], "/missing")
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
            sock.sendall(b"GET / FOO/1.1\r\n\r\n")  # malformed: answered with an error page, logged by default
            assert b"Bad request version" in sock.recv(4096)
    assert capfd.readouterr().err == ""


def test_sources_toml_round_trips(demo: DemoSites) -> None:
    parsed = tomllib.loads(demo.sources_toml())
    assert parsed["sources"] == demo.sources
    assert {s["name"] for s in demo.sources} == {"harbourtimes", "valleypost", "metrowire"}
    metrowire = next(s for s in demo.sources if s["name"] == "metrowire")
    assert [url.rsplit("/", 1)[1] for url in metrowire["feeds"]] == ["rss.xml", "atom.xml"]


def test_stop_closes_the_ports() -> None:
    sites = serve_demo_sites()
    parts = urlsplit(sites.base_urls["harbourtimes"])
    sites.stop()
    sites.stop()  # idempotent
    with pytest.raises(OSError):
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()


def listed_paths(client: httpx.Client, source: dict[str, Any]) -> set[str]:
    """Paths (queries dropped) named by a site's feeds and sitemaps, following sitemap indexes."""
    urls: list[str] = []
    for feed in source["feeds"]:
        root = lxml.etree.fromstring(client.get(feed).content)
        urls += root.xpath("//item/link/text()")
        urls += root.xpath("//a:entry/a:link[@rel='alternate']/@href", namespaces={"a": ATOM_NS[1:-1]})
    pending = list(source["sitemaps"])
    while pending:
        root = lxml.etree.fromstring(client.get(pending.pop()).content)
        locs = [loc.text.strip() for loc in root.iter(f"{SITEMAP_NS}loc")]
        if root.tag == f"{SITEMAP_NS}sitemapindex":
            pending += locs
        else:
            assert root.tag == f"{SITEMAP_NS}urlset"
            urls += locs
    assert all(url.startswith(source["homepage"]) for url in urls)
    return {urlsplit(url).path for url in urls}


def test_every_expected_article_is_listed_in_a_feed_or_sitemap(
    demo: DemoSites, client: httpx.Client, expected: dict[str, Any]
) -> None:
    for source in demo.sources:
        paths = listed_paths(client, dict(source))
        wanted = {a["path"] for a in expected["articles"] if a["site"] == source["name"]}
        assert 4 <= len(wanted) <= 6
        assert wanted <= paths, source["name"]


def test_truth_matches_the_pages(demo: DemoSites, client: httpx.Client, expected: dict[str, Any]) -> None:
    for article in expected["articles"]:
        response = client.get(demo.base_urls[article["site"]] + article["path"])
        assert response.status_code == 200, article["id"]
        assert f'<meta property="og:title" content="{article["title"]}">' in response.text.replace("&#x27;", "'")
        text = page_text(response.text)
        assert 6 <= len(article["paragraphs"]) <= 12, article["id"]
        for paragraph in article["paragraphs"]:
            assert paragraph in text, (article["id"], paragraph)
        for item in article["boilerplate"]:
            assert item["text"] in text, (article["id"], item)
            assert not any(item["text"] in p for p in article["paragraphs"]), (article["id"], item)


def test_paragraphs_are_unique_to_their_story(expected: dict[str, Any]) -> None:
    shared = {p for negative in expected["hard_negatives"] for p in negative["shared_paragraphs"]}
    owner: dict[str, str] = {}
    for article in expected["articles"]:
        for paragraph in article["paragraphs"]:
            key = paragraph.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
            if key not in shared:
                assert owner.setdefault(key, article["story_id"]) == article["story_id"], paragraph


def test_wire_story_is_syndicated_as_edited_copies(expected: dict[str, Any]) -> None:
    by_id = {a["id"]: a for a in expected["articles"]}
    [wire] = expected["wire_stories"]
    copies = [by_id[c["id"]] for c in wire["copies"]]
    assert len({c["site"] for c in copies}) == len(copies) == 3
    assert {c["story_id"] for c in copies} == {wire["story_id"]}
    assert len({c["title"] for c in copies}) == 3
    firsts = [c["paragraphs"][0] for c in copies]
    assert any(p.startswith("GENEVA (Reuters) - ") for p in firsts)
    assert any(not p.startswith("GENEVA") for p in firsts)
    assert any("\u201c" in p for c in copies for p in c["paragraphs"])  # curly on one site, straight elsewhere
    lengths = sorted(len(c["paragraphs"]) for c in copies)
    assert lengths[0] <= 0.6 * lengths[1]


def test_followup_shares_exactly_one_paragraph_with_the_wire_story(expected: dict[str, Any]) -> None:
    by_id = {a["id"]: a for a in expected["articles"]}
    [negative] = expected["hard_negatives"]
    followup, original = (by_id[i] for i in negative["ids"])
    assert followup["story_id"] != original["story_id"]
    assert set(followup["paragraphs"]) & set(original["paragraphs"]) == set(negative["shared_paragraphs"])
    assert len(negative["shared_paragraphs"]) == 1


def test_fast_trafilatura_leaks_gallery_captions(
    demo: DemoSites, client: httpx.Client, expected: dict[str, Any]
) -> None:
    """Proves the fixtures are a real test of boilerplate removal: plain trafilatura keeps some captions."""
    galleries = [a for a in expected["articles"] if a["has_gallery"]]
    assert len(galleries) >= 3
    leaking = []
    for article in galleries:
        html = client.get(demo.base_urls[article["site"]] + article["path"]).text
        text = trafilatura.extract(html, fast=True) or ""
        captions = [b["text"] for b in article["boilerplate"] if b["kind"] == "gallery_caption"]
        if any(caption in text for caption in captions):
            leaking.append(article["id"])
    assert len(leaking) >= 2, leaking


def test_the_demo_starts_from_nothing_each_time(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`copydesk demo` (the README's first command) on a folder where an earlier demo left its files: the
    archive of the last demo's pages (other ports) and its index are cleared with the database."""
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "copydesk-demo.duckdb"
    old_archive, old_index = tmp_path / "copydesk-demo-archive", tmp_path / "copydesk-demo.duckdb.lsh"
    for folder in (old_archive, old_index):
        folder.mkdir()
        (folder / "left-by-the-last-demo").write_text("", encoding="utf-8")
    assert main(["demo", "--db", str(db)]) == 0
    assert "Explore it yourself" in capsys.readouterr().out
    assert not (old_archive / "left-by-the-last-demo").exists() and not (old_index / "left-by-the-last-demo").exists()
    with duckdb.connect(str(db), read_only=True) as con:
        ((articles,),) = con.execute("SELECT count(*) FROM articles").fetchall()
        files = {Path(f) for (f,) in con.execute("SELECT DISTINCT warc_file FROM pages").fetchall()}
    assert articles == len(load_expected()["articles"])
    # The README's example queries run as written, and the wire story carried by all three outlets is found.
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    examples = readme.split("```sql\n", 1)[1].split("```", 1)[0]
    statements = [s for s in examples.split(";") if s.strip()]
    assert len(statements) >= 4
    with duckdb.connect(str(db), read_only=True) as con:
        answers = [con.execute(statement).fetchall() for statement in statements]
    assert [row[1] for row in answers[1]] == [3]
    archived = {p.name for p in old_archive.glob("*.warc.gz")}
    assert archived == {f.name for f in files}, "every archive file is one the pages table names"
    others = [p.name for p in old_archive.iterdir() if p.name not in archived]
    marks = {name.removeprefix(".").removesuffix(".committed") for name in others}
    assert marks == archived, "and nothing else is there but each file's committed mark"

    # A database holding a real crawl's articles, given to the demo by mistake, is refused, not deleted with its
    # archive (an earlier demo's database, all on 127.0.0.1, is replaced, as above).
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE articles SET url = replace(url, 'http://127.0.0.1', 'https://x.example') WHERE rowid = 0")
    assert main(["demo", "--db", str(db)]) != 0
    assert "holds articles the demo did not write" in capsys.readouterr().err
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchall() == [(articles,)]
    assert {p.name for p in old_archive.glob("*.warc.gz")} == archived
    # So is a crawl of the user's own sites on 127.0.0.1 (other source names), and a database with no article.
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE articles SET url = replace(url, 'https://x.example', 'http://127.0.0.1:8000')")
        con.execute("UPDATE articles SET source = 'my-test-site' WHERE rowid = 0")
    assert main(["demo", "--db", str(db)]) != 0
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM articles")
    assert main(["demo", "--db", str(db)]) != 0
    assert "or none" in capsys.readouterr().err
    assert {p.name for p in old_archive.glob("*.warc.gz")} == archived
