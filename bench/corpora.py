"""copydesk's parsers against peers' test corpora (issue 16): feeds, dates, robots.txt, URLs, charsets.

    .venv/bin/pip install feedparser w3lib     # the peers, for measuring only
    .venv/bin/python bench/corpora.py [--corpora ../shared/corpora] [--show feeds,dates,robots,urls,charset]

Reads the corpora folder (never copied by this script); tests/ hold the ported cases. Prints one line per
measure and, with --show, every case that differs.
- feeds: each corpus file through feedparser (its HTTP Content-Type from the file's `Header:` comment) and
  through parse_feed; a feed counts when either side finds an http(s) item link, and agrees when both find
  the same canonical links. "lost whole": feedparser finds links and copydesk none.
- dates: feedparser's test_date_parsers.py cases (empty inputs left out) through parse_datetime, in UTC.
- robots: Google's robots_test.cc EXPECT_TRUE/FALSE cases, ID_* (the RFC part) and GoogleOnly_*.
- urls: w3lib's SAFE_URL_URL_CASES with an http(s) input: clean_url(input) must equal clean_url(expected), or
  raise InvalidURLError where w3lib raises (clean_url drops userinfo, fragments, default ports and tracking
  parameters by design; comparing both sides through it leaves those out).
- charset: w3lib's test_encoding.py html_to_unicode cases with a str expectation, by decoded text.
"""

from __future__ import annotations

import argparse
import ast
import datetime as datetime_module
import json
import re
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from extractors.charset import decode_html  # noqa: E402
from extractors.feeds import FeedError, parse_feed  # noqa: E402
from extractors.metadata import parse_datetime  # noqa: E402
from extractors.robots import RobotsRules, is_product_token  # noqa: E402
from extractors.urls import InvalidURLError, canonicalize_url, clean_url  # noqa: E402

PATHOLOGICAL_LENGTH = 2000
FEED_DIRS = ("wellformed", "illformed", "encoding", "entities")
_HEADER = re.compile(r"^Header:\s+([^:]+):(.*)$", re.MULTILINE)
_EXPECT = re.compile(r"Expect:\s*(.*?)\s*-->", re.DOTALL)


def _canonical_links(links: list[str]) -> set[str]:
    out = set()
    for link in links:
        try:
            out.add(canonicalize_url(link))
        except InvalidURLError:
            continue
    return out


def feedparser_links(data: bytes, *, url: str, content_type: str) -> tuple[list[str], Any]:
    import feedparser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = feedparser.parse(data, response_headers={"content-location": url, "content-type": content_type})
    links = [str(entry.get("link") or "") for entry in result.entries]
    return [link for link in links if link.lower().startswith(("http://", "https://"))], result


def fails_own_test(data: bytes, result: Any) -> bool:
    """Whether feedparser's result fails the file's own `Expect:` line (its maintainers' intended answer)."""
    match = _EXPECT.search(data.decode("utf-8", errors="ignore"))
    if not match:
        return False
    try:
        return not eval(match.group(1), {"datetime": datetime_module}, result)  # the corpus' own expectation
    except Exception:  # an expectation about a key this result lacks
        return True


def feed_cases(corpora: Path) -> list[tuple[str, bytes, str]]:
    cases = []
    for folder in FEED_DIRS:
        for path in sorted((corpora / "feedparser" / folder).rglob("*.xml")):
            data = path.read_bytes()
            head = data[:2000].decode("utf-8", errors="ignore")
            headers = {k.strip().lower(): v.strip() for k, v in _HEADER.findall(head)}
            cases.append((str(path.relative_to(corpora / "feedparser")), data, headers.get("content-type", "")))
    return cases


def compare_feeds(corpora: Path, show: bool) -> dict[str, int]:
    counted = same = lost = errors = feedparser_wrong = 0
    for name, data, content_type in feed_cases(corpora):
        url = f"http://127.0.0.1:8097/tests/{name}"
        links, result = feedparser_links(data, url=url, content_type=content_type or "text/xml")
        theirs = _canonical_links(links)
        try:
            parsed = parse_feed(data, feed_url=url, content_type=content_type or None)
            ours = _canonical_links([entry.url for entry in parsed.entries])
        except FeedError as exc:
            ours, errors = set(), errors + 1
            if show and theirs:
                print(f"  feed error {name}: {exc}")
        if not ours and not theirs:
            continue
        counted += 1
        same += ours == theirs
        lost += bool(theirs) and not ours
        wrong = ours != theirs and fails_own_test(data, result)
        feedparser_wrong += wrong
        if show and ours != theirs:
            note = " (feedparser fails this file's own Expect)" if wrong else ""
            only_ours, only_theirs = sorted(ours - theirs), sorted(theirs - ours)
            print(f"  feed differs {name}{note}: only copydesk {only_ours}, only feedparser {only_theirs}")
    return {
        "feeds_counted": counted,
        "feeds_same": same,
        "feeds_differ_where_feedparser_fails_own_test": feedparser_wrong,
        "feeds_lost_whole": lost,
        "feed_errors": errors,
    }


def date_cases(corpora: Path) -> list[tuple[str, tuple[int, ...] | None]]:
    source = (corpora / "feedparser" / "test_date_parsers.py").read_text()
    tree = ast.parse(source)
    cases = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple) and len(node.elts) == 3 and isinstance(node.elts[0], ast.Name):
            if not node.elts[0].id.startswith("_parse_date"):
                continue
            value, expected = ast.literal_eval(node.elts[1]), ast.literal_eval(node.elts[2])
            if value:
                cases.append((value, None if expected is None else tuple(expected[:6])))
    return cases


def compare_dates(corpora: Path, show: bool) -> dict[str, int]:
    cases = date_cases(corpora)
    ok = 0
    for value, expected in cases:
        parsed = parse_datetime(value)
        got = None if parsed is None else tuple(parsed.astimezone(UTC).timetuple()[:6])
        ok += got == expected
        if show and got != expected:
            print(f"  date differs {value!r}: copydesk {got}, feedparser {expected}")
    return {"dates_cases": len(cases), "dates_same": ok}


_CC_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _cc_literal(text: str) -> str:
    """A C++ string literal concatenation ("a\\n" "b") as Python text."""
    parts = _CC_STRING.findall(text)
    return "".join(ast.literal_eval('"' + part + '"') for part in parts)


def robots_cases(corpora: Path) -> list[tuple[str, str, str, str, bool]]:
    """(test name, robots.txt, user agent, url, expected allowed) for every IsUserAgentAllowed expectation."""
    source = (corpora / "robotstxt" / "robots_test.cc").read_text()
    cases = []
    for test in re.finditer(r"TEST\(RobotsUnittest, (\w+)\) \{(.*?)\n\}", source, re.DOTALL):
        name, body = test.group(1), test.group(2)
        names: dict[str, str] = {}
        statements = re.finditer(
            r"(?:const )?(?:absl::string_view|std::string) (\w+) =\s*((?:\s*\"(?:[^\"\\]|\\.)*\")+)\s*;"
            r"|EXPECT_(TRUE|FALSE)\(\s*IsUserAgentAllowed\((.*?)\)\);"
            r"|EXPECT_(TRUE|FALSE)\(RobotsMatcher::IsValidUserAgentToObey\((.*?)\)\);",
            body,
            re.DOTALL,
        )
        for statement in statements:
            if statement.group(1):
                names[statement.group(1)] = _cc_literal(statement.group(2))
                continue
            if statement.group(5):  # a product token check, as (name, "", "", "", expected) with url "token:"
                token = _cc_literal(statement.group(6))
                cases.append((name, "", token, "token:", statement.group(5) == "TRUE"))
                continue
            args = [arg.strip() for arg in _split_args(statement.group(4))]
            values = [names[arg] if arg in names else _cc_literal(arg) for arg in args]
            cases.append((name, values[0], values[1], values[2], statement.group(3) == "TRUE"))
    return cases


def _split_args(text: str) -> list[str]:
    args, depth, current, quoted = [], 0, "", False
    for i, char in enumerate(text):
        if char == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        if char == "," and not quoted and depth == 0:
            args.append(current)
            current = ""
            continue
        current += char
    return [*args, current]


def robots_allowed(robotstxt: str, agent: str, url: str) -> bool:
    """Google's IsUserAgentAllowed on our rules: an empty file or agent allows all, an empty URL nothing."""
    if not robotstxt or not agent:
        return True
    return RobotsRules.parse(robotstxt, user_agent=agent).allowed(url) if url else False


def compare_robots(corpora: Path, show: bool) -> dict[str, int]:
    results: dict[str, int] = {"robots_rfc_cases": 0, "robots_rfc_same": 0, "robots_google_cases": 0}
    results["robots_google_same"] = 0
    for name, robotstxt, agent, url, expected in robots_cases(corpora):
        part = "rfc" if name.startswith("ID_") else "google"
        got = is_product_token(agent) if url == "token:" else robots_allowed(robotstxt, agent, url)
        results[f"robots_{part}_cases"] += 1
        results[f"robots_{part}_same"] += got == expected
        if show and got != expected:
            print(f"  robots differs {name} agent={agent!r} url={url!r}: expected {expected}\n{robotstxt!r}")
    # The pathological pattern of issue 16: backtracking costs grow with every star.
    rules = RobotsRules.parse("User-agent: *\nDisallow: /*a*a*a*a*a*a*a*a$\n", user_agent="copydesk")
    url = "http://example.com/" + "a" * PATHOLOGICAL_LENGTH + "b"
    start = time.perf_counter()
    for _ in range(10):
        rules.allowed(url)
    results["robots_pathological_us_per_url"] = int((time.perf_counter() - start) / 10 * 1e6)
    return results


def url_cases(corpora: Path) -> list[tuple[str, Any]]:
    """w3lib's SAFE_URL_URL_CASES whose input is an http(s) URL (after WHATWG's stripping)."""
    sys.path.insert(0, str(corpora / "w3lib"))
    import test_url  # w3lib's test module: needs w3lib and hypothesis installed

    strip = test_url._C0_CONTROL_OR_SPACE
    return [
        (value, expected)
        for value, expected in test_url.SAFE_URL_URL_CASES
        if isinstance(value, str)
        and re.sub(r"[\t\n\r]", "", value.strip(strip)).lower().startswith(("http://", "https://"))
    ]


def compare_urls(corpora: Path, show: bool) -> dict[str, int]:
    cases = url_cases(corpora)
    ok = 0
    for value, expected in cases:
        got = _clean_or_error(value)
        want = "error" if not isinstance(expected, str) else _clean_or_error(expected)
        ok += got == want
        if show and got != want:
            print(f"  url differs {value!r}: copydesk {got!r}, w3lib {expected!r}")
    return {"urls_cases": len(cases), "urls_same": ok}


def _clean_or_error(url: str) -> str:
    try:
        return clean_url(url)
    except InvalidURLError:
        return "error"


def compare_charsets(corpora: Path, show: bool) -> dict[str, int]:
    source = (corpora / "w3lib" / "test_encoding.py").read_text()
    cases = []
    for match in re.finditer(r"self\._assert_encoding\(\s*(.*?)\)\s*\n", source, re.DOTALL):
        try:
            args = ast.literal_eval(f"({match.group(1)},)")
        except (ValueError, SyntaxError):
            continue
        if len(args) == 4 and isinstance(args[1], bytes) and isinstance(args[3], str):
            cases.append(args)
    ok = 0
    for content_type, body, _encoding, expected in cases:
        header = f"text/html; charset={content_type}" if content_type else None  # w3lib's ct()
        got = decode_html(body, content_type=header)
        ok += got == expected
        if show and got != expected:
            print(f"  charset differs {content_type!r} {body[:60]!r}: copydesk {got[:40]!r}, w3lib {expected!r}")
    return {"charset_cases": len(cases), "charset_same": ok}


def port(corpora: Path, fixtures: Path) -> None:
    """Copy the cases tests/extractors/test_corpora.py runs into fixtures/, each corpus with its licence.

    Feeds keep feedparser's item links as the expectation, except where feedparser fails the file's own
    `Expect:` line: there the expectation is copydesk's answer, marked "feedparser_fails_own_test".
    """
    feeds = fixtures / "feedparser"
    (feeds / "feeds").mkdir(parents=True, exist_ok=True)
    shutil.copy(corpora / "feedparser" / "LICENSE", feeds / "LICENSE")
    expected = {}
    for name, data, content_type in feed_cases(corpora):
        url = f"http://127.0.0.1:8097/tests/{name}"
        links, result = feedparser_links(data, url=url, content_type=content_type or "text/xml")
        theirs = sorted(_canonical_links(links))
        try:
            ours = sorted(
                _canonical_links(
                    [e.url for e in parse_feed(data, feed_url=url, content_type=content_type or None).entries]
                )
            )
        except FeedError:
            ours = []
        if not theirs and not ours and not name.startswith(("illformed/", "encoding/")):
            continue
        target = feeds / "feeds" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        own_test_fails = ours != theirs and fails_own_test(data, result)
        expected[name] = {
            "content_type": content_type or None,
            "links": ours if own_test_fails else theirs,
            **({"feedparser_links": theirs, "feedparser_fails_own_test": True} if own_test_fails else {}),
        }
    (feeds / "feeds.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    entities = []
    for path in sorted((corpora / "feedparser" / "entities").glob("*.xml")):
        text = path.read_text(encoding="utf-8")
        raw = re.search(r"<title>(.*?)</title>", text, re.DOTALL)
        want = re.search(r"Expect:\s*feed\['title'\] == (u?'.*?')\s*$", text, re.MULTILINE)
        if raw and want:
            entities.append([path.stem, raw.group(1), ast.literal_eval(want.group(1).lstrip("u"))])
    (feeds / "entities.json").write_text(json.dumps(entities, indent=0, ensure_ascii=False) + "\n")
    dates = [[value, expected] for value, expected in date_cases(corpora)]
    (feeds / "dates.json").write_text(json.dumps(dates, indent=0, ensure_ascii=False) + "\n")
    robots = fixtures / "robotstxt"
    robots.mkdir(exist_ok=True)
    shutil.copy(corpora / "robotstxt" / "LICENSE", robots / "LICENSE")
    (robots / "cases.json").write_text(json.dumps(robots_cases(corpora), indent=0, ensure_ascii=False) + "\n")
    w3lib = fixtures / "w3lib"
    w3lib.mkdir(exist_ok=True)
    shutil.copy(corpora / "w3lib" / "LICENSE", w3lib / "LICENSE")
    cases = [[value, expected if isinstance(expected, str) else None] for value, expected in url_cases(corpora)]
    (w3lib / "safe_url_cases.json").write_text(json.dumps(cases, indent=0, ensure_ascii=False) + "\n")


MEASURES: dict[str, Callable[[Path, bool], dict[str, int]]] = {
    "feeds": compare_feeds,
    "dates": compare_dates,
    "robots": compare_robots,
    "urls": compare_urls,
    "charset": compare_charsets,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=HERE.parent.parent / "shared" / "corpora")
    parser.add_argument("--only", default=",".join(MEASURES), help="comma-separated measures")
    parser.add_argument("--show", action="store_true", help="print every case that differs")
    parser.add_argument("--port", type=Path, help="write the test fixtures into this folder (tests/fixtures)")
    args = parser.parse_args()
    if args.port:
        port(args.corpora, args.port)
        return
    for name in args.only.split(","):
        for key, value in MEASURES[name](args.corpora, args.show).items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
