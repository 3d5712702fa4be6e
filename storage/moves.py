"""Which row a fetched story belongs in when its address changes, or when a template gives many stories one.

Both run in the batch's transaction before its articles are loaded (flows.pipeline.load_rows): a story keeps one
row, under its current address, and no story takes another's row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pyarrow as pa

from extractors.fingerprint import DedupParams, containment, shingles
from storage.rows import ArticleRow, SeenRow

_TS = pa.timestamp("us", tz="UTC")

# gone_status of an article whose URL now leads to another stored article (as HTTP's "moved permanently").
MOVED = 301


def follow_moves(
    con: duckdb.DuckDBPyConnection, rows: Sequence[SeenRow], articles: Sequence[ArticleRow]
) -> list[tuple[str, str]]:
    """Stored articles whose URL now leads to another article address (a redirect to a new slug, or a new
    rel=canonical), as (old, new) URLs; to run before the batch's articles are loaded.

    An article moved to an address no other row has is renamed: the fetch then updates its row (id, cluster and
    history kept) instead of storing the story a second time. Where the new address is already another row,
    the old one is marked gone (gone_status 301), not deleted. Either way the old URL becomes an alias of the new.
    Only the URL a stored article is at, or whose page gave its text (page_url), moves it: a URL that once
    redirected onto another story and now serves its own moves nothing. A URL that gives an article of its own
    is nobody's alias any more. A page older than the stored article (an archived copy ingested after a newer
    one) moves nothing and unmakes no alias.
    """
    fetched: dict[str, datetime] = {}
    for article in articles:
        fetched[article.url] = max(article.fetched_at, fetched.get(article.url, article.fetched_at))
    leads = [r for r in rows if r.kind == "article" and r.article_url in fetched]
    if not leads:
        return []
    incoming = pa.table(
        {
            "url": [r.url for r in leads],
            "article_url": [r.article_url for r in leads],
            "checked_at": [r.last_checked_at for r in leads],
            "fetched_at": [fetched[r.article_url] for r in leads if r.article_url],
        },
        schema=pa.schema(
            [("url", pa.string()), ("article_url", pa.string()), ("checked_at", _TS), ("fetched_at", _TS)]
        ),
    )
    con.register("incoming_leads", incoming)
    try:
        moves = con.execute(
            """
            SELECT s.article_url, arg_max(i.article_url, i.checked_at), max(i.checked_at)
            FROM incoming_leads i JOIN seen_urls s USING (url) JOIN articles a ON a.url = s.article_url
            WHERE i.article_url <> s.article_url AND (a.url = i.url OR a.page_url = i.url)
              AND i.fetched_at >= a.fetched_at
            GROUP BY s.article_url ORDER BY s.article_url
            """
        ).fetchall()
        con.execute(
            """
            DELETE FROM url_aliases WHERE alias_url IN (
                SELECT i.article_url FROM incoming_leads i JOIN url_aliases al ON al.alias_url = i.article_url
                    LEFT JOIN articles a ON a.url = al.url
                WHERE a.fetched_at IS NULL OR i.fetched_at >= a.fetched_at
            )
            """
        )
    finally:
        con.unregister("incoming_leads")
    if not moves:
        return []
    news = [new for _, new, _ in moves]
    stored = con.execute("SELECT url FROM articles WHERE url IN (SELECT unnest(?))", [news]).fetchall()
    taken = {url for (url,) in stored}
    for old, new, checked_at in moves:
        if new in taken:
            con.execute(
                "UPDATE articles SET gone_at = ?, gone_status = ? WHERE url = ? AND gone_at IS NULL",
                [checked_at, MOVED, old],
            )
        else:
            con.execute("UPDATE articles SET url = ? WHERE url = ?", [new, old])
            con.execute("UPDATE seen_urls SET article_url = ? WHERE article_url = ?", [new, old])
            con.execute("UPDATE url_aliases SET url = ? WHERE url = ?", [new, old])
            taken.add(new)
            taken.discard(old)
        con.execute(
            "INSERT INTO url_aliases VALUES (?, ?, ?) ON CONFLICT (alias_url) DO UPDATE SET url = excluded.url",
            [old, new, checked_at],
        )
    return [(old, new) for old, new, _ in moves]


def older_copies_of_moved(con: duckdb.DuckDBPyConnection, rows: Sequence[ArticleRow]) -> list[tuple[int, str]]:
    """Rows of this batch at an address that is now an alias of a stored article, fetched before that article
    was (an archived copy from before a move, ingested after it): (index in rows, the article's address), so the
    copy reaches the article it is an older version of, which keeps its newer text, instead of a row of its own.
    """
    if not rows:
        return []
    incoming = pa.table(
        {"i": list(range(len(rows))), "url": [r.url for r in rows], "fetched_at": [r.fetched_at for r in rows]},
        schema=pa.schema([("i", pa.int64()), ("url", pa.string()), ("fetched_at", _TS)]),
    )
    con.register("incoming_copies", incoming)
    try:
        found = con.execute(
            """
            SELECT i.i, al.url FROM incoming_copies i JOIN url_aliases al ON al.alias_url = i.url
                JOIN articles a ON a.url = al.url
            WHERE i.fetched_at < a.fetched_at AND i.url NOT IN (SELECT url FROM articles)
            ORDER BY i.i
            """
        ).fetchall()
    finally:
        con.unregister("incoming_copies")
    return [(int(index), url) for index, url in found]


# Share of the shorter text's shingles the longer must hold for two pages under one canonical to be one story
# (a page and its AMP or print version share most of theirs, an edited version still a good part; two stories
# next to none: a template's shared canonical).
SAME_STORY_CONTAINMENT = 0.2
_PARAMS = DedupParams()


@dataclass(frozen=True, slots=True)
class Claim:
    """An article row that may not take the row of the canonical URL its page declares, and why."""

    index: int  # in the batch's article rows
    own_url: str  # the page's own address, to store it under instead
    message: str


def claimed_canonicals(con: duckdb.DuckDBPyConnection, rows: Sequence[ArticleRow]) -> list[Claim]:
    """Rows of this batch keyed on a canonical URL (one their page declares) that holds another story.

    Templates can give many pages one canonical that is neither the site's front page nor a folder above them
    (a fixed article's address): keyed on it, each story would overwrite the last. A canonical is a page's key
    while the story under it is the same one: the story of the page at that address, else the one stored under
    it, else the first of the batch to claim it. A page whose text shares little with that story's is stored
    under its own address instead (the caller re-keys it and says why in `errors`).
    """
    # An AMP or print version of the canonical's own page is that page, whatever its text says now.
    claims = [
        i
        for i, r in enumerate(rows)
        if r.page_url and r.page_url != r.url and not versions_of_one_page(r.page_url, r.url)
    ]
    if not claims:
        return []
    keys = sorted({rows[i].url for i in claims})
    stored = dict(con.execute("SELECT url, text FROM articles WHERE url IN (SELECT unnest(?))", [keys]).fetchall())
    owners: dict[str, str] = {}  # canonical URL -> the text of the story it belongs to
    for row in rows:  # the page at the address itself comes first
        if row.page_url == row.url and row.url in keys:
            owners.setdefault(row.url, row.text)
    found: list[Claim] = []
    for i in claims:
        row = rows[i]
        owner = owners.get(row.url, stored.get(row.url))
        if owner is None:
            owners[row.url] = row.text  # the first to claim it takes it
            continue
        if owner == row.text or same_story(owner, row.text):
            continue
        assert row.page_url is not None
        message = (
            f"canonical URL {row.url} holds another story (pages of a template that gives them all one "
            f"canonical); this page is stored under its own address, {row.page_url}"
        )
        found.append(Claim(i, row.page_url, message))
    return found


def return_claimed_rows(con: duckdb.DuckDBPyConnection, rows: Sequence[ArticleRow]) -> list[tuple[str, str]]:
    """Rows another page's canonical put under an address whose own page this batch now brings, with another
    story: each goes back to the address of the page it came from (page_url), if no row has it, so the story at
    the address does not overwrite it. Returns (address, where its row went)."""
    own = {r.url: r for r in rows if r.page_url == r.url}
    if not own:
        return []
    con.register("own_pages", pa.table({"url": list(own)}, schema=pa.schema([("url", pa.string())])))
    try:
        held = con.execute(
            "SELECT a.url, a.page_url, a.text FROM articles a JOIN own_pages USING (url) "
            "WHERE a.page_url IS NOT NULL AND a.page_url <> a.url"
        ).fetchall()
    finally:
        con.unregister("own_pages")
    returned = []
    for url, page_url, text in held:
        if page_url in own or versions_of_one_page(page_url, url) or same_story(text, own[url].text):
            continue  # an AMP or print version's row, whose story was rewritten since, stays the story's
        if con.execute("SELECT 1 FROM articles WHERE url = ?", [page_url]).fetchone():
            continue  # its page has a row of its own by now
        con.execute("UPDATE articles SET url = ? WHERE url = ?", [page_url, url])
        con.execute("UPDATE seen_urls SET article_url = ? WHERE url = ? AND article_url = ?", [page_url, page_url, url])
        con.execute("DELETE FROM url_aliases WHERE alias_url = ?", [page_url])
        returned.append((url, page_url))
    return returned


def versions_of_one_page(a: str, b: str) -> bool:
    """Whether two addresses name one page: the same last name in their paths, once "amp", "print" and the like
    and the file extension are left out (/amp/news/storm-live.html and /news/storm-live.html; http and www
    variants too), and the same query but for version parameters (?amp=1, ?outputType=amp, ?print=1). A
    template's canonical names another story's page: /news/articleView.html for /news/articleView.html?idxno=3,
    where the query names the story."""
    return _page_name(a) == _page_name(b) != "" and _naming_query(a) == _naming_query(b)


_VERSION_STEPS = frozenset({"", "amp", "print", "mobile", "m", "index.html", "index.htm", "index.php"})
_VERSION_SUFFIX = re.compile(r"(?:[.-]amp)?(?:\.[a-z0-9]{1,5})?$", re.IGNORECASE)
# Query parameters that ask for a version of a page (AMP, print, mobile), not for another page.
_VERSION_PARAMETERS = frozenset(
    {"amp", "_amp", "amp_markup", "outputtype", "output", "format", "print", "printable", "tmpl", "view", "mobile", "m"}
)


def _page_name(url: str) -> str:
    steps = [step for step in urlsplit(url).path.split("/") if step.lower() not in _VERSION_STEPS]
    return _VERSION_SUFFIX.sub("", steps[-1]).lower() if steps else ""


def _naming_query(url: str) -> list[tuple[str, str]]:
    """The query parameters that may name a page: numbers (idxno=3, id=45) after a script's name with no slug
    (articleView.html, view.php). After a slug (/news/storm-live.html) the story is named and a query is a feed's
    or a campaign's (?ref=rss, ?mod=, ?cmpid=123), which a review found everywhere."""
    parts = urlsplit(url)
    if "-" in parts.path.rstrip("/").rsplit("/", 1)[-1]:
        return []
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return sorted((key, value) for key, value in pairs if key.lower() not in _VERSION_PARAMETERS and value.isdigit())


def same_story(a: str, b: str) -> bool:
    """Whether two texts share enough shingles to be versions of one story (SAME_STORY_CONTAINMENT)."""
    (_, first), (_, second) = shingles(a, _PARAMS), shingles(b, _PARAMS)
    return containment(first, second) >= SAME_STORY_CONTAINMENT
