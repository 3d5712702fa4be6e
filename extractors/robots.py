"""robots.txt text -> the rules for our crawler, per RFC 9309 (the Robots Exclusion Protocol).

Not a wrapper around urllib.robotparser (3.11): it applies the first matching rule in file order (RFC 9309:
the longest match wins, Allow on ties), treats "*" and "$" in paths literally, and reads only the first group
naming our agent (RFC 9309: combine them); tests/extractors/test_robots.py pins each difference.
Patterns match in time linear in the URL (no regular expressions: "/*a*a*a*a*a*a*a*a$" backtracked for
minutes), and at most MAX_ROBOTS_BYTES of a file are read, so the work per file and per URL is bounded.
Pure: fetching robots.txt, treating a 4xx as "allow all" and a 5xx as "disallow all" (RFC 9309 2.3.1),
and capping a Crawl-delay (kept here as given, however large) are the caller's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from extractors.urls import _UNRESERVED, _normalize_percent

# RFC 9309 2.5: crawlers must parse at least the first 500 KiB; nothing after it is read.
MAX_ROBOTS_BYTES = 500 * 1024
_UTF16_BOMS = ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# RFC 9309 2.2.2: a rule path is matched against the URL's path and query, percent-encoded.
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?$")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_PRODUCT_TOKEN = re.compile(r"[A-Za-z_-]+")
_LINE = re.compile(r"^\s*([A-Za-z_ -]+?)\s*:\s*(.*?)\s*$")
# Google, 2019: "disallow /" without its colon is obvious enough to obey (robots_test.cc ID_LineSyntax_Line).
_LINE_WITHOUT_COLON = re.compile(r"^\s*(user-agent|allow|disallow|crawl-delay|sitemap)\s+(\S.*?)\s*$", re.IGNORECASE)
_NEWLINE = re.compile(r"\r\n|\r|\n")
_USER_AGENT_KEYS = frozenset({"user-agent", "useragent", "user agent"})


@dataclass(frozen=True, slots=True)
class RobotsRule:
    """One Allow or Disallow line: its path pattern ("*" any run of characters, trailing "$" end of URL)."""

    allow: bool
    pattern: str
    # The pattern split at its stars, and whether it ends in "$": matched by matches(), never by a regex.
    parts: tuple[str, ...] = field(compare=False, repr=False)
    anchored: bool = field(compare=False, repr=False)

    @classmethod
    def of(cls, *, allow: bool, pattern: str) -> RobotsRule:
        """A rule with its pattern percent-normalized and split at its stars."""
        pattern = _normalize_percent(pattern, _SAFE)
        anchored = pattern.endswith("$")
        body = pattern[:-1] if anchored else pattern
        return cls(allow=allow, pattern=pattern, parts=tuple(body.split("*")), anchored=anchored)

    def matches(self, target: str) -> bool:
        """Whether the pattern matches the start of target (all of it with "$"), in time linear in target.

        Greedy leftmost matching of the literal parts between stars is exact for patterns whose only
        wildcard is "*": if any placement of the parts matches, the leftmost one does.
        """
        first, *middle = self.parts
        if not target.startswith(first):
            return False
        if not middle:
            return not self.anchored or len(target) == len(first)
        *inner, last = middle
        position = len(first)
        for part in inner:
            found = target.find(part, position)
            if found < 0:
                return False
            position = found + len(part)
        if self.anchored:
            return len(target) - len(last) >= position and target.endswith(last)
        return target.find(last, position) >= 0


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """The rules of one robots.txt that apply to one user agent."""

    rules: tuple[RobotsRule, ...] = ()
    crawl_delay: float | None = None
    sitemaps: tuple[str, ...] = ()

    @classmethod
    def from_bytes(cls, body: bytes, *, user_agent: str) -> RobotsRules:
        """The rules in a robots.txt response body: its first MAX_ROBOTS_BYTES, as UTF-8 (RFC 9309 2.3), or as
        UTF-16 where a byte-order mark says so (Windows editors save it so; read as UTF-8, its Disallow lines were
        no rules, and what they forbid was fetched)."""
        if len(body) > MAX_ROBOTS_BYTES:
            body = body[:MAX_ROBOTS_BYTES]
            body = body[: max(body.rfind(b"\n"), body.rfind(b"\r")) + 1]  # a line cut in half is not read
        utf16 = next((codec for bom, codec in _UTF16_BOMS if body.startswith(bom)), None)
        if utf16 is not None:
            text = body[2:].decode(utf16, errors="replace")
        else:
            text = body.decode("utf-8", errors="replace")
        return cls.parse(text, user_agent=user_agent)

    @classmethod
    def parse(cls, text: str, *, user_agent: str) -> RobotsRules:
        """The rules for user_agent (a product token such as "copydesk", or a full User-Agent header)."""
        token = _crawler_token(user_agent)
        groups = _groups(text)
        mine = [group for agents, group in groups if token in agents]
        if not mine:
            mine = [group for agents, group in groups if "*" in agents]
        # RFC 9309 2.2.1: several groups for the same agent are combined into one.
        rules = tuple(rule for group in mine for rule in group.rules)
        delay = next((group.crawl_delay for group in mine if group.crawl_delay is not None), None)
        return cls(rules=rules, crawl_delay=delay, sitemaps=_sitemaps(text))

    def allowed(self, url: str) -> bool:
        """Whether the rules let us fetch url: the longest matching pattern decides, Allow wins a tie."""
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            return True
        target = _as_patterns_are((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        best: RobotsRule | None = None
        for rule in self.rules:
            if rule.matches(target) and (
                best is None
                or len(rule.pattern) > len(best.pattern)
                or (len(rule.pattern) == len(best.pattern) and rule.allow)
            ):
                best = rule
        return best is None or best.allow


@dataclass(slots=True)
class _Group:
    rules: list[RobotsRule] = field(default_factory=list)
    crawl_delay: float | None = None


def _groups(text: str) -> list[tuple[frozenset[str], _Group]]:
    """(user agents, their rules) for each group, in file order; lines outside any group are dropped."""
    groups: list[tuple[frozenset[str], _Group]] = []
    agents: set[str] = set()
    group: _Group | None = None
    for key, value in _lines(text):
        if key in _USER_AGENT_KEYS:
            if group is not None:  # a user-agent line after rules starts the next group
                groups.append((frozenset(agents), group))
                agents, group = set(), None
            agents.add(_product_token(value) if value != "*" else "*")
            continue
        if not agents or key not in ("allow", "disallow", "crawl-delay"):
            continue  # rules before any user-agent line belong to no group; Sitemap lines to none either
        group = group or _Group()
        if key == "crawl-delay":
            group.crawl_delay = group.crawl_delay if group.crawl_delay is not None else _seconds(value)
        elif value:  # an empty Disallow allows everything: no rule
            group.rules.append(RobotsRule.of(allow=key == "allow", pattern=value))
    if agents:
        groups.append((frozenset(agents), group or _Group()))
    return groups


def _lines(text: str) -> list[tuple[str, str]]:
    """(lowercased key, value) of each "key: value" line, comments stripped."""
    pairs = []
    # RFC 9309 2.2: lines end in CR, LF or CRLF (str.splitlines also splits at form feeds and U+2028).
    for line in _NEWLINE.split(text.removeprefix("\ufeff")):
        content = line.split("#", 1)[0]
        match = _LINE.match(content) or _LINE_WITHOUT_COLON.match(content)
        if match:
            key = match.group(1).lower()
            pairs.append((_TYPOS.get(key, key), match.group(2)))
    return pairs


# The misspellings Google's parser obeys (robots.cc, kAllowFrequentTypos): "Dissallow: /private/" kept nothing out.
_TYPOS = {
    **dict.fromkeys(("dissallow", "dissalow", "disalow", "diasllow", "disallaw"), "disallow"),
    "site-map": "sitemap",
}


def _sitemaps(text: str) -> tuple[str, ...]:
    # Sitemap lines belong to no group (RFC 9309 2.2.4): every one counts, whoever we are.
    return tuple(value for key, value in _lines(text) if key == "sitemap" and value)


def _as_patterns_are(target: str) -> str:
    """A URL's path and query percent-encoded the way each rule's pattern is (RFC 9309 2.2.2), its ASCII at least.

    A URL as httpx sends it leaves "[", "]", "|" and a "%" that starts no escape as they are, where the patterns
    escape them: "Disallow: /*?f[0]=" never matched a redirect to "/search?f[0]=type" (robots-parser's cases).
    A character outside ASCII is left as it is: a URL is sent percent-encoded, and one that is not matches no
    pattern, as in Google's matcher (its ID_Encoding cases).
    """
    if not _UNSAFE_ASCII.search(target) and ("%" not in target or not _BARE_PERCENT.search(target)):
        return _normalize_escapes(target)  # most URLs: only their escapes to normalize, if they have any
    return "".join(part if not part.isascii() else _normalize_percent(part, _SAFE) for part in _NON_ASCII.split(target))


_NON_ASCII = re.compile(r"([^\x00-\x7f]+)")
# What a pattern would escape: ASCII outside _SAFE, a "%" that starts no escape.
_UNSAFE_ASCII = re.compile("[^" + re.escape("".join(sorted(_SAFE))) + r"%\x80-\U0010ffff]")
_BARE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _normalize_escapes(text: str) -> str:
    """%xx escapes uppercased, escaped unreserved characters decoded (RFC 9309 2.2.2); nothing else changes."""
    if "%" not in text:
        return text

    def normal(escape: re.Match[str]) -> str:
        char = chr(int(escape.group(1), 16))
        return char if char in _UNRESERVED else f"%{escape.group(1).upper()}"

    return _ESCAPE.sub(normal, text)


def is_product_token(name: str) -> bool:
    """Whether name is a valid crawler name for robots.txt (RFC 9309 2.2.1: letters, "_" and "-" only)."""
    return _PRODUCT_TOKEN.fullmatch(name) is not None


def _product_token(user_agent: str) -> str:
    """ "Copydesk/0.1 (+https://...)" -> "copydesk": groups name product tokens, matched caselessly."""
    match = _PRODUCT_TOKEN.match(user_agent.strip())
    return match.group(0).lower() if match else user_agent.strip().lower()


def _crawler_token(user_agent: str) -> str:
    """The name our groups are under: the User-Agent's product token, or, in a browser-like one, the name after
    "compatible;" ("Mozilla/5.0 (compatible; copydesk/0.1)" -> "copydesk", as Googlebot's is matched). A review: such a
    User-Agent looked for "mozilla" groups, and a site's "User-agent: copydesk" group went unread."""
    compatible = _COMPATIBLE.search(user_agent) if user_agent.lstrip().lower().startswith("mozilla/") else None
    return compatible.group(1).lower() if compatible else _product_token(user_agent)


_COMPATIBLE = re.compile(r"\(\s*compatible\s*;\s*([A-Za-z_-]+)", re.IGNORECASE)


def _seconds(value: str) -> float | None:
    """A Crawl-delay as seconds: any non-negative number, however large ("1e9", "inf"); capping is the caller's.

    A huge delay is kept, never dropped: dropping it would crawl the site with no delay at all.
    """
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None  # NaN compares false: no number, no delay
