from __future__ import annotations

import math
import re
from random import Random
from urllib.robotparser import RobotFileParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.robots import MAX_ROBOTS_BYTES, RobotsRule, RobotsRules, is_product_token

UA = "copydesk/0.1 (+https://example.com/bot)"
SEGMENT = st.text(alphabet="abcxyz-_.~", min_size=1, max_size=4)
PATH = st.lists(SEGMENT, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
NEWSROOM = (
    "User-agent: *\nDisallow: /private/\nDisallow: /r01/private/\nCrawl-delay: 1\nSitemap: http://h/sitemap.xml\n"
)


@given(PATH, st.text(alphabet="abc/-?=&", max_size=6), st.lists(PATH, max_size=4))
def test_disallow_prefix_blocks_unless_a_longer_allow_matches(disallowed: str, suffix: str, allows: list[str]) -> None:
    text = "User-agent: *\n" + "".join(f"Allow: {a}\n" for a in allows) + f"Disallow: {disallowed}\n"
    url = f"http://h{disallowed}{suffix}"
    rescued = any((disallowed + suffix).startswith(a) and len(a) >= len(disallowed) for a in allows)
    assert RobotsRules.parse(text, user_agent=UA).allowed(url) == rescued


@given(st.lists(st.tuples(st.booleans(), PATH), max_size=6), st.randoms(use_true_random=False), PATH)
def test_rule_order_does_not_matter(rules: list[tuple[bool, str]], rng: Random, path: str) -> None:
    shuffled = list(rules)
    rng.shuffle(shuffled)

    def text(rs: list[tuple[bool, str]]) -> str:
        return "User-agent: *\n" + "".join(f"{'Allow' if a else 'Disallow'}: {p}\n" for a, p in rs)

    url = f"http://h{path}"
    assert RobotsRules.parse(text(rules), user_agent=UA).allowed(url) == RobotsRules.parse(
        text(shuffled), user_agent=UA
    ).allowed(url)


@given(st.text(max_size=300), st.text(max_size=40))
def test_parse_never_raises(text: str, path: str) -> None:
    RobotsRules.parse(text, user_agent=UA).allowed("http://h/" + path)


def test_newsroom_robots_blocks_private_and_reads_crawl_delay_and_sitemaps() -> None:
    rules = RobotsRules.parse(NEWSROOM, user_agent=UA)
    assert not rules.allowed("http://h/private/secret")
    assert not rules.allowed("http://h/r01/private/x")
    assert rules.allowed("http://h/news/story?utm_source=x")
    assert rules.allowed("http://h/privateer")
    assert rules.crawl_delay == 1.0
    assert rules.sitemaps == ("http://h/sitemap.xml",)


def test_longest_match_wins_where_the_stdlib_takes_the_first() -> None:
    text = "User-agent: *\nDisallow: /a\nAllow: /a/b\n"
    stdlib = RobotFileParser()
    stdlib.parse(text.splitlines())
    assert not stdlib.can_fetch(UA, "http://h/a/b")  # the stdlib bug this module exists for
    rules = RobotsRules.parse(text, user_agent=UA)
    assert rules.allowed("http://h/a/b")
    assert not rules.allowed("http://h/a/c")


def test_allow_wins_a_tie() -> None:
    assert RobotsRules.parse("User-agent: *\nDisallow: /a\nAllow: /a\n", user_agent=UA).allowed("http://h/a")


@pytest.mark.parametrize(
    ("pattern", "path", "allowed"),
    [
        ("/*.pdf$", "/docs/x.pdf", False),
        ("/*.pdf$", "/docs/x.pdf?download=1", True),
        ("/*?sessionid=", "/a?sessionid=3", False),
        ("/news/*/print", "/news/2024/print/", False),
        ("/exact$", "/exact/more", True),
        ("/caf%c3%a9", "/caf%C3%A9", False),  # URLs are checked as sent, percent-encoded (the fetcher's)
        ("/%7Euser", "/~user/x", False),
        ("/~user", "/%7euser/x", False),
    ],
)
def test_wildcards_anchors_and_percent_encoding(pattern: str, path: str, allowed: bool) -> None:
    rules = RobotsRules.parse(f"User-agent: *\nDisallow: {pattern}\n", user_agent=UA)
    assert rules.allowed(f"http://h{path}") is allowed


def test_our_group_replaces_the_star_group_and_same_agent_groups_combine() -> None:
    text = (
        "User-agent: *\nDisallow: /\n\n"
        "User-agent: CopyDesk\nDisallow: /x\n\n"
        "User-agent: other\nUser-agent: copydesk\nDisallow: /y\nCrawl-delay: 2.5\n"
    )
    rules = RobotsRules.parse(text, user_agent=UA)
    assert rules.allowed("http://h/news/a")
    assert not rules.allowed("http://h/x/1")
    assert not rules.allowed("http://h/y/1")
    assert rules.crawl_delay == 2.5


@pytest.mark.parametrize(
    ("text", "path", "allowed"),
    [
        ("User-agent: *\nDisallow:\n", "/anything", True),  # empty Disallow: allow everything
        ("Disallow: /\nUser-agent: *\nAllow: /x\n", "/y", True),  # rules before any user-agent belong to none
        ("User-agent: *\nDisallow: / # everything\n", "/y", False),
        ("User-agent: *\nDisallow: /\n", "/robots.txt", True),
        ("user-agent: *\ndisallow: /a\n", "/a", False),
    ],
)
def test_file_format_edge_cases(text: str, path: str, allowed: bool) -> None:
    assert RobotsRules.parse(text, user_agent=UA).allowed(f"http://h{path}") is allowed


@pytest.mark.parametrize("value", ["soon", "-1", "nan", ""])
def test_unreadable_crawl_delay_is_none(value: str) -> None:
    assert RobotsRules.parse(f"User-agent: *\nCrawl-delay: {value}\n", user_agent=UA).crawl_delay is None


@pytest.mark.parametrize(
    ("value", "seconds"), [("10", 10.0), ("0.5", 0.5), ("0", 0.0), ("1e9", 1e9), ("inf", math.inf)]
)
def test_any_non_negative_crawl_delay_is_kept_however_large(value: str, seconds: float) -> None:
    # Capping is the fetcher's job (max_crawl_delay): a huge delay dropped here would mean no delay at all.
    assert RobotsRules.parse(f"User-agent: *\nCrawl-delay: {value}\n", user_agent=UA).crawl_delay == seconds


def _regex_allowed(pattern: str, path: str) -> bool:
    """The reference reading of a pattern ("*" any run, trailing "$" the end), as a backtracking regex."""
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(part) for part in body.split("*")) + (r"\Z" if anchored else "")
    return re.match(regex, path, re.DOTALL) is not None


@given(st.text(alphabet="ab*/", max_size=8).map(lambda p: "/" + p), st.booleans(), st.text(alphabet="ab/", max_size=12))
def test_linear_matching_agrees_with_the_regex_reading(pattern: str, anchored: bool, path: str) -> None:
    pattern += "$" if anchored else ""
    rule = RobotsRule.of(allow=False, pattern=pattern)
    assert rule.matches("/" + path) == _regex_allowed(pattern, "/" + path)


def test_the_pathological_pattern_still_matches_correctly() -> None:
    rules = RobotsRules.parse("User-agent: *\nDisallow: /*a*a*a*a*a*a*a*a$\n", user_agent=UA)
    assert rules.allowed("http://h/" + "a" * 2000 + "b")
    assert not rules.allowed("http://h/" + "a" * 2000)


@pytest.mark.parametrize(
    "text",
    [
        "\ufeffUser-agent: *\nDisallow: /private/\n",
        "User-agent: *\rDisallow: /private/\r",
        "User-agent: *\r\nDisallow: /private/\r\n",
        "user-agent *\ndisallow /private/\n",
    ],
    ids=["BOM", "CR", "CRLF", "no colons"],
)
def test_bom_line_endings_and_missing_colons_are_read(text: str) -> None:
    assert not RobotsRules.parse(text, user_agent=UA).allowed("http://h/private/x")


def test_only_the_first_500_kib_are_read_and_a_cut_line_is_dropped() -> None:
    head = b"User-agent: *\nDisallow: /early/\n" + b"#" * (MAX_ROBOTS_BYTES - 40) + b"\n"
    rules = RobotsRules.from_bytes(head + b"Disallow: /late/\n", user_agent=UA)
    assert not rules.allowed("http://h/early/a") and rules.allowed("http://h/late/a")
    cut = RobotsRules.from_bytes(head[: MAX_ROBOTS_BYTES - 10] + b"\nDisallow: /x" + b"y" * 100, user_agent=UA)
    assert cut.allowed("http://h/xy")


def test_product_tokens_are_letters_underscores_and_hyphens() -> None:
    assert is_product_token("Foo_Bar-bot") and not is_product_token("Foobot/2.1") and not is_product_token("")


@pytest.mark.parametrize(
    ("rule", "url"),
    [
        # robots-parser's cases (npm, MIT): a "%" that starts no escape is the same on both sides
        ("Disallow: /%a%a", "http://www.example.com/%a%a"),
        ("Disallow: /%a%a", "http://www.example.com/%a%a/index.html"),
        ("Disallow: /✿%a", "http://www.example.com/%E2%9C%BF%atest"),
        # a faceted search's "[", "]" and a "|" as httpx sends them (a redirect's Location is not cleaned first)
        ("Disallow: /*?f[0]=", "https://example.com/search?f[0]=type"),
        ("Disallow: /*|", "https://example.com/a|b"),
    ],
)
def test_a_rule_matches_its_url_however_the_url_escapes_its_ascii(rule: str, url: str) -> None:
    # The patterns escaped what the URL side left as it was: none of these rules ever matched.
    assert not RobotsRules.parse(f"User-agent: *\n{rule}\n", user_agent="copydesk").allowed(url)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_a_robots_txt_saved_as_utf16_with_its_byte_order_mark_is_obeyed(codec: str) -> None:
    # Read as UTF-8 it held no rules, and what it forbids was fetched.
    body = "User-agent: *\r\nDisallow: /private/\r\n".encode(codec)
    if codec == "utf-16-be":
        body = b"\xfe\xff" + body
    rules = RobotsRules.from_bytes(body, user_agent="copydesk")
    assert not rules.allowed("https://news.example/private/a") and rules.allowed("https://news.example/news/a")


@pytest.mark.parametrize("key", ["Dissallow", "dissalow", "Disalow", "diasllow", "disallaw"])
def test_the_misspellings_googles_parser_obeys_are_obeyed(key: str) -> None:
    # A review: "Dissallow: /private/" kept nothing out, where Google's parser (and protego) obey it.
    rules = RobotsRules.parse(f"User-agent: *\n{key}: /private/\nSite-map: https://h/s.xml\n", user_agent=UA)
    assert not rules.allowed("http://h/private/a") and rules.allowed("http://h/public/a")
    assert rules.sitemaps == ("https://h/s.xml",)


@pytest.mark.parametrize(
    "user_agent", ["copydesk/0.1 (+https://h/bot)", "Mozilla/5.0 (compatible; copydesk/0.1; +https://h/bot)"]
)
def test_a_browser_like_user_agent_is_matched_by_the_name_it_says_it_is_compatible_with(user_agent: str) -> None:
    # A review: "Mozilla/5.0 (compatible; copydesk/0.1)" looked for "mozilla" groups; the site's copydesk group
    # went unread, and its "Disallow: /" with it.
    rules = RobotsRules.parse("User-agent: copydesk\nDisallow: /\n\nUser-agent: *\nAllow: /\n", user_agent=user_agent)
    assert not rules.allowed("http://h/a")
