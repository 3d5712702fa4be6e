"""Canonical URLs: one spelling per page, so an article found via feed, sitemap and home page is one row.

Pure string work (RFC 3986 normalisation plus tracking-parameter removal); no network, no DNS. Raises
InvalidURLError for anything that is not an absolute http(s) URL with a host.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

import idna


class InvalidURLError(ValueError):
    """The string is not an absolute http(s) URL with a host."""


# Query parameters that identify a campaign, click or share, never the page. Matched case-insensitively on the
# decoded parameter name; any name starting with "utm_" (Google Analytics / Urchin) or "mtm_" (Matomo) is dropped
# as well.
# Kept to names that are tracking-only everywhere: generic names such as "ref", "source" or "id" select
# content on some sites, so they stay.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # ad-click ids: Facebook, Google Ads, Microsoft Ads, Yandex, TikTok, X, LinkedIn
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ttclid", "twclid", "li_fat_id",
        # Mailchimp, HubSpot, Marketo, Vero, Oracle Eloqua
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "__hssc", "__hstc", "__hsfp", "mkt_tok", "vero_id",
        "elqtrackid",
        # Google Analytics cross-domain linker and search-result ids; Instagram share id
        "_ga", "_gl", "srsltid", "igshid",
        # share/referral markers added by news sites: Twitter ref_src/ref_url, NYT smid/smtyp, Guardian CMP,
        # Yahoo/AOL ncid, Microsoft Start ocid, Outbrain/Taboola/Piano ids
        "ref_src", "ref_url", "smid", "smtyp", "cmp", "ncid", "ocid", "obOrigUrl", "tblci", "oly_anon_id",
        "oly_enc_id",
        # AT Internet / Piano Analytics campaign markers: the BBC's feeds (at_medium=RSS&at_campaign=...), and
        # xtor on French publishers' (Le Monde's ?xtor=RSS-3208)
        "at_medium", "at_campaign", "at_creation", "at_format", "at_variant", "at_platform", "at_send_date",
        "at_link_id", "at_link_origin", "at_link_type", "at_ptr_name", "at_bbc_team", "at_custom1", "at_custom2",
        "at_custom3", "at_custom4", "xtor",
        # Webtrekk / Mapp media codes (heise's feeds: ?wt_mc=rss.developer...), comScore's ns_* (the Daily
        # Mail's), Matomo / Piwik campaigns (pk_*; Matomo Tag Manager's mtm_* are dropped as a prefix, like utm_)
        "wt_mc", "wt_zmc", "ns_campaign", "ns_mchannel", "ns_source", "ns_linkname", "ns_fee", "pk_campaign",
        "pk_kwd", "pk_keyword", "pk_source", "pk_medium", "pk_content", "pk_cid",
        # Session ids of PHP and Java servlets, put in links when a client keeps no cookie: a new one every visit
        # made the same story a new article every run (not "sid", Slashdot's story id, nor "sessionid", which
        # names a legislature's session or a conference's talk on some sites)
        "phpsessid", "jsessionid",
    }
)  # fmt: skip
# A Java servlet's session id as a path parameter: /story/42;jsessionid=0A1B...
_PATH_SESSION_ID = re.compile(r";jsessionid=[^/;?#]*", re.IGNORECASE)
_TRACKING_LOWER = frozenset(name.lower() for name in TRACKING_PARAMS)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are (RFC 3986 pchar plus "/" and "?"); "&", "=" and "+" keep their query meaning.
_SAFE_PATH = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
# WHATWG's special-query set escapes "'" as well (w3lib does the same).
_SAFE_QUERY = (_SAFE_PATH | frozenset("?")) - frozenset("'")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_C0_CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
# WHATWG "ends in a number": the last label is decimal digits or 0x-hex; such a host must parse as IPv4.
_ENDS_IN_NUMBER = re.compile(r"(?:^|\.)(?:\d+|0x[0-9a-f]*)$")
_IPV4_PART = re.compile(r"0x([0-9a-f]*)|0([0-7]+)|(0|[1-9]\d*)")
_HOST_CHARS = re.compile(r"[a-z0-9._-]+|\[[0-9a-f:.]+\]")


def canonicalize_url(url: str) -> str:
    """The canonical spelling of an http(s) URL: the key that identifies a page."""
    cleaned = clean_url(url)
    parts = urlsplit(cleaned)
    if parts.path == "/" or not parts.path.endswith("/"):
        return cleaned
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") or "/"))


def clean_url(url: str) -> str:
    """canonicalize_url but keeping a trailing slash: the address to fetch (many servers 404 without it)."""
    parts = _split(url)
    return urlunsplit((parts.scheme.lower(), _netloc(parts, url), _path(parts.path), _query(parts.query), ""))


def site_key(url: str) -> str:
    """Host and non-default port without a leading "www.": pages with equal keys are on the same site."""
    # The port stays in the key: two sites on one host (127.0.0.1:8001, :8002) are different sites.
    return urlsplit(clean_url(url)).netloc.removeprefix("www.")


def is_same_site(a: str, b: str) -> bool:
    """Whether two URLs are on the same site (see site_key)."""
    return site_key(a) == site_key(b)


def canonical_problem(declared: str, page: str) -> str | None:
    """Why a page's declared canonical URL (rel=canonical, og:url) cannot be its article's own address, or None.

    Templates that set one canonical for every page of a site or section are common: keyed on it, every
    article would land in one row, each overwriting the last. So a canonical is refused when it is the site's
    front page (for any other page), or a folder above the page that holds the article's own name (a
    `/news/` for `/news/story-5.html`). A short last step stays allowed: `/story/amp` or `/story/2` naming
    `/story` as their canonical is the usual AMP or pagination markup.
    """
    canonical, own = urlsplit(declared), urlsplit(page)
    canonical_path, own_path = canonical.path.rstrip("/"), own.path.rstrip("/")
    if is_front_page(declared):
        return None if is_front_page(page) else "is the site's front page"
    if own_path.startswith(canonical_path + "/"):
        rest = own_path[len(canonical_path) + 1 :]
        if "/" in rest or (len(rest) >= _MIN_OWN_NAME and any(c.isalpha() for c in rest)):
            return f"is {canonical.path!r}, a folder above the page"
    return None


# A page's own step below its canonical from this length on names an article, not an AMP or page-2 variant.
_MIN_OWN_NAME = 6


def is_front_page(url: str) -> bool:
    """Whether a clean http(s) URL is a site's front page: path "/" and no query (/?p=12 is a WordPress post)."""
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(_whatwg_preprocess(url))
    except ValueError as exc:  # e.g. an unbalanced "[" in the host
        raise InvalidURLError(f"cannot parse URL {url!r}: {exc}") from exc
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise InvalidURLError(f"URL {url!r} has scheme {parts.scheme!r}; only http and https are crawled")
    if not parts.hostname:
        raise InvalidURLError(f"URL {url!r} has no host")
    return parts


def _whatwg_preprocess(url: str) -> str:
    """What a browser does before parsing (WHATWG URL standard, basic URL parser).

    Leading and trailing C0 controls and spaces are stripped, tabs and newlines removed anywhere, and a "\\"
    before the query or fragment read as "/": "https://evil.com\\@good.com/" is a page on evil.com, and
    reading it as userinfo@good.com (as urlsplit does) would send us somewhere the page's author did not.
    """
    url = url.strip(_C0_CONTROL_OR_SPACE)
    if "\t" in url or "\n" in url or "\r" in url:
        url = _TAB_OR_NEWLINE.sub("", url)
    if "\\" not in url:
        return url
    end = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    return url[:end].replace("\\", "/") + url[end:]


def _netloc(parts: SplitResult, url: str) -> str:
    host = _host(_hostname_as_written(parts), url)
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidURLError(f"URL {url!r} has an invalid port: {exc}") from exc
    netloc = host  # user:password@ is dropped: credentials are not part of a page's identity
    if port is not None and port != _DEFAULT_PORTS[parts.scheme.lower()]:
        netloc += f":{port}"
    return netloc


def _hostname_as_written(parts: SplitResult) -> str:
    """The URL's host name before urlsplit lowercased it, where it is not ASCII: str.lower() makes a closing "Σ"
    the final "ς", which UTS #46 keeps (another domain), where it folds "Σ" to "σ" as browsers do."""
    hostname = parts.hostname or ""
    if hostname.isascii():
        return hostname
    written = parts.netloc.rpartition("@")[2]
    name, colon, port = written.rpartition(":")
    written = name if colon else port
    return written if written.lower() == hostname else hostname


def _host(hostname: str, url: str) -> str:
    host = hostname
    if ":" in host:  # urlsplit strips the brackets of an IPv6 literal
        host = f"[{host}]"
    elif not host.isascii():
        try:
            host = ascii_host(host)
        except UnicodeError as exc:
            raise InvalidURLError(f"URL {url!r} has a host that is not valid IDNA: {exc}") from exc
    # After IDNA, which maps dot-like characters ("。", "․") to ".": the root label's dot is never part of the key.
    host = host.rstrip(".").lower()
    if _ENDS_IN_NUMBER.search(host):
        host = _ipv4(host, url)
    if not _HOST_CHARS.fullmatch(host):
        raise InvalidURLError(f"URL {url!r} has an invalid host {host!r}")
    return host


def ascii_host(host: str) -> str:
    """A host name in ASCII as browsers write it, so that the page fetched is the one a reader reaches.

    The WHATWG URL standard's domain to ASCII: UTS #46 mapping, not transitional (case folded, full-width letters
    and ideographic dots mapped; "ß", "ς" and joiners kept: "straße.de" is xn--strae-oqa.de, where IDNA 2003 and
    Python's codec make "strasse.de", another domain), then each label that is not ASCII in Punycode, with no
    check of hyphens or of symbols IDNA 2008 refuses ("i❤.ws" is xn--i-7iq.ws), as browsers. A code point UTS #46
    disallows falls back on IDNA 2003, as before. Raises UnicodeError when neither encodes the host."""
    if host.isascii():
        return host
    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
    except idna.IDNAError:
        return host.encode("idna").decode("ascii")
    return ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii") for label in mapped.split(".")
    )


def _ipv4(host: str, url: str) -> str:
    """A host ending in a number is an IPv4 address in any WHATWG form ("0x7f.1" is 127.0.0.1), or invalid."""
    numbers = []
    for part in host.split("."):
        match = _IPV4_PART.fullmatch(part)
        if not match:
            raise InvalidURLError(f"URL {url!r} has a host {host!r} that ends in a number but is no IPv4 address")
        hexadecimal, octal, decimal = match.groups()
        numbers.append(
            int(hexadecimal or "0", 16) if hexadecimal is not None else int(octal, 8) if octal else int(decimal)
        )
    last = numbers.pop()
    if len(numbers) > 3 or any(n > 255 for n in numbers) or last >= 256 ** (4 - len(numbers)):
        raise InvalidURLError(f"URL {url!r} has an IPv4 host {host!r} out of range")
    address = sum(n << (8 * (3 - i)) for i, n in enumerate(numbers)) + last
    return ".".join(str((address >> shift) & 255) for shift in (24, 16, 8, 0))


def _path(path: str) -> str:
    if ";" in path:
        path = _PATH_SESSION_ID.sub("", path)
    return _remove_dot_segments(_normalize_percent(path, _SAFE_PATH)) or "/"


def _query(query: str) -> str:
    kept = []
    for pair in query.split("&"):
        name = unquote_plus(pair.partition("=")[0]).lower()
        if pair and name not in _TRACKING_LOWER and not name.startswith(("utm_", "mtm_")):
            kept.append(_normalize_percent(pair, _SAFE_QUERY))
    return "&".join(kept)


def _normalize_percent(text: str, safe: frozenset[str]) -> str:
    """Uppercase %xx escapes, decode escaped unreserved characters, escape what is unsafe (RFC 3986 6.2.2)."""
    if "%" not in text and safe.issuperset(text):
        # Nothing to change, as for most URLs: the loop below is a third of discovery's CPU time on a
        # 2,900-URL sitemap crawl, which the extraction workers wait for.
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        escape = _PERCENT.match(text, i)
        if escape:
            char = chr(int(escape.group(1), 16))
            out.append(char if char in _UNRESERVED else f"%{escape.group(1).upper()}")
            i += 3
            continue
        char = text[i]
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, on whole segments: "/a/./b/../c" -> "/a/c"."""
    if "." not in path:
        return path
    segments = path.split("/")
    out: list[str] = []
    for segment in segments[1:] if path.startswith("/") else segments:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    trailing = "/" if segments[-1] in (".", "..") else ""
    return "/" + "/".join(out) + trailing if out else "/"
