from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from extractors.urls import (
    TRACKING_PARAMS,
    InvalidURLError,
    canonicalize_url,
    clean_url,
    is_same_site,
    site_key,
)

LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8)
SEGMENT = st.text(
    alphabet=st.characters(exclude_characters="/?#\\", exclude_categories=("Zs", "Zl", "Zp", "Cc"), codec="utf-8"),
    max_size=8,
)
PARAM_NAME = st.sampled_from(["id", "page", "q", "a b", "é", "x%20y"]) | st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=6
)
# No whitespace: canonicalize_url strips it from the ends of the whole URL, as browsers do.
PARAM_VALUE = st.text(
    alphabet=st.characters(exclude_characters="&#", exclude_categories=("Zs", "Zl", "Zp", "Cc"), codec="utf-8"),
    max_size=8,
)
TRACKING = st.sampled_from(sorted(TRACKING_PARAMS) + ["utm_source", "UTM_Medium", "utm_campaign", "utm_"])


@st.composite
def urls(draw: st.DrawFn) -> tuple[str, str, str, list[tuple[str, str]]]:
    """(scheme, host, path, params) of a plausible URL; assembled by _url()."""
    scheme = draw(st.sampled_from(["http", "https"]))
    # A host whose last label is a number must be an IPv4 address (WHATWG); that case has its own tests.
    host = ".".join(draw(st.lists(LABEL, min_size=1, max_size=3).filter(lambda labels: not labels[-1].isdigit())))
    path = "/" + "/".join(draw(st.lists(SEGMENT, max_size=4)))
    params = draw(st.lists(st.tuples(PARAM_NAME, PARAM_VALUE), max_size=3))
    return scheme, host, path, params


def _url(scheme: str, host: str, path: str, params: list[tuple[str, str]], port: str = "", frag: str = "") -> str:
    query = "&".join(f"{name}={value}" for name, value in params)
    return f"{scheme}://{host}{port}{path}" + (f"?{query}" if query else "") + (f"#{frag}" if frag else "")


@given(urls())
def test_canonicalize_url_is_idempotent(parts: tuple[str, str, str, list[tuple[str, str]]]) -> None:
    once = canonicalize_url(_url(*parts))
    assert canonicalize_url(once) == once
    assert clean_url(once) == once


@given(st.text(max_size=60))
@example("\u2024")  # ONE DOT LEADER: IDNA maps it to ".", an empty host once the root dot goes
@example("0\u3002")  # IDEOGRAPHIC FULL STOP: IDNA maps it to a trailing root dot
def test_arbitrary_text_is_canonical_or_invalid(text: str) -> None:
    for candidate in (text, "http://" + text, "https://a.example/" + text):
        try:
            once = canonicalize_url(candidate)
        except InvalidURLError:
            continue
        assert canonicalize_url(once) == once


@given(urls(), st.lists(st.tuples(TRACKING, PARAM_VALUE), min_size=1, max_size=3), st.text(max_size=5))
def test_result_has_no_tracking_params_or_fragment(
    parts: tuple[str, str, str, list[tuple[str, str]]], tracking: list[tuple[str, str]], frag: str
) -> None:
    scheme, host, path, params = parts
    result = canonicalize_url(_url(scheme, host, path, tracking + params + tracking, frag=frag))
    names = [name.lower() for name, _ in parse_qsl(urlsplit(result).query, keep_blank_values=True)]
    assert "#" not in result
    assert not any(name.startswith("utm_") or name in {p.lower() for p in TRACKING_PARAMS} for name in names)


@given(urls(), st.lists(st.tuples(TRACKING, PARAM_VALUE), max_size=2), st.text(max_size=5), st.booleans())
def test_tracking_fragment_host_case_and_default_port_do_not_matter(
    parts: tuple[str, str, str, list[tuple[str, str]]],
    tracking: list[tuple[str, str]],
    frag: str,
    upper: bool,
) -> None:
    scheme, host, path, params = parts
    port = ":80" if scheme == "http" else ":443"
    variant = _url(scheme.upper(), host.upper() if upper else host.lower(), path, params + tracking, port, frag)
    assert canonicalize_url(variant) == canonicalize_url(_url(scheme, host, path, params))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTP://WWW.Example.COM:80/News/Story/?utm_source=rss&utm_medium=feed&id=7#top",
            "http://www.example.com/News/Story?id=7",
        ),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com/a?fbclid=1&b=2&gclid=3&a=1", "http://example.com/a?b=2&a=1"),
        ("http://example.com/%7euser/caf%c3%a9", "http://example.com/~user/caf%C3%A9"),
        ("http://example.com/café story", "http://example.com/caf%C3%A9%20story"),
        ("http://example.com/a/./b/../c/", "http://example.com/a/c"),
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),
        # As browsers (UTS #46, not transitional): "ß" stays, where IDNA 2003 made "strasse.de", another domain.
        ("http://Straße.de/a", "http://xn--strae-oqa.de/a"),
        ("https://ｅｘａｍｐｌｅ.com/x", "https://example.com/x"),  # full-width letters fold
        ("http://i❤.ws/", "http://xn--i-7iq.ws/"),  # a symbol IDNA 2008 refuses, in Punycode as browsers
        ("http://i❤ß.ws/", "http://xn--i-qfa6960a.ws/"),  # ... and the "ß" beside it kept
        ("http://a_b.straße.de/", "http://a_b.xn--strae-oqa.de/"),  # an ASCII label IDNA 2008 refuses stays
        ("http://-straße.de/", "http://xn---strae-fta.de/"),  # no hyphen rules in browsers
        ("http://βόλος.gr/", "http://xn--nxasmm1c.gr/"),  # a final sigma is kept...
        ("http://user@ΒΌΛΟΣ.gr:8080/", "http://xn--nxasmq6b.gr:8080/"),  # ...a capital one folds to σ, not ς
        ("http://user:secret@example.com/a", "http://example.com/a"),
        ("  http://example.com./a  ", "http://example.com/a"),
        # Session ids, new on every visit: the same story stored again each run.
        ("http://example.com/s2?PHPSESSID=9f8e7d&id=2", "http://example.com/s2?id=2"),
        ("http://example.com/story/42;jsessionid=0A1B2C?page=2", "http://example.com/story/42?page=2"),
        ("http://example.com/a;JSESSIONID=x/b;v=1", "http://example.com/a/b;v=1"),
        ("http://example.com/article.pl?sid=07/01/01/1234", "http://example.com/article.pl?sid=07/01/01/1234"),
        ("http://example.com/BillOverview/76904?SessionId=125", "http://example.com/BillOverview/76904?SessionId=125"),
    ],
)
def test_canonicalize_url_examples(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


def test_clean_url_keeps_the_trailing_slash_that_canonicalize_url_drops() -> None:
    url = "http://127.0.0.1:8001/section/world/?utm_source=homepage"
    assert clean_url(url) == "http://127.0.0.1:8001/section/world/"
    assert canonicalize_url(url) == "http://127.0.0.1:8001/section/world"


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/a", "mailto:a@example.com", "javascript:void(0)", "/relative/path", "http:///x", ""],
)
def test_non_http_or_hostless_urls_are_rejected(url: str) -> None:
    with pytest.raises(InvalidURLError, match="URL"):
        canonicalize_url(url)


def test_invalid_port_is_rejected_with_the_url_in_the_message() -> None:
    with pytest.raises(InvalidURLError, match="http://example.com:99999/"):
        canonicalize_url("http://example.com:99999/")


def test_site_key_drops_www_and_keeps_non_default_ports() -> None:
    assert site_key("https://WWW.Example.com/a") == "example.com"
    assert site_key("http://127.0.0.1:8001/") == "127.0.0.1:8001"
    assert is_same_site("https://www.example.com/a", "http://example.com:80/b")
    assert not is_same_site("http://127.0.0.1:8001/", "http://127.0.0.1:8002/")
    assert not is_same_site("https://news.example.com/", "https://example.com/")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://evil.com\\@good.com/", "https://evil.com/@good.com/"),  # browsers go to evil.com
        ("https://example.com\\a?b\\c", "https://example.com/a?b%5Cc"),
        ("\x00\x1b https://example.com/a \x01", "https://example.com/a"),
        ("ht\ttps://exa\nmple.com/a\r", "https://example.com/a"),
        ("http://0x7f.1/", "http://127.0.0.1/"),
        ("http://3232235521/", "http://192.168.0.1/"),
        ("http://0300.0250.0.1/", "http://192.168.0.1/"),
        ("https://example.com/?q='x'", "https://example.com/?q=%27x%27"),
    ],
)
def test_urls_are_read_as_browsers_read_them(url: str, expected: str) -> None:
    assert clean_url(url) == expected


@pytest.mark.parametrize(
    "url", ["http://192.168.0.256/", "http://192.168.0.0.0/", "http://1.2.3.0x100/", "http://a.0/"]
)
def test_a_host_ending_in_a_number_must_be_an_ipv4_address(url: str) -> None:
    with pytest.raises(InvalidURLError, match="IPv4"):
        clean_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.bbc.co.uk/news/articles/c4ng?at_medium=RSS&at_campaign=rss",  # the BBC's feeds
        "https://www.lemonde.fr/international/article/2024/05/07/x_1.html?xtor=RSS-3208",
    ],
)
def test_at_internet_campaign_markers_are_tracking(url: str) -> None:
    # Piano Analytics (AT Internet) markers in publishers' feeds: the same story fetched twice under two URLs.
    assert "?" not in canonicalize_url(url)


@pytest.mark.parametrize(
    ("tracked", "plain"),
    [  # npm feed corpora (rss-parser's heise.atom, node-feedparser's Daily Mail feed, feed-extractor's linker tests)
        ("https://www.heise.de/developer/meldung/WildFly-10-3088438.html?wt_mc=rss.developer.beitrag.atom", None),
        ("https://www.dailymail.co.uk/news/article-2272640/x.html?ns_mchannel=rss&ns_campaign=1490", None),
        ("https://some.where/article/abc?q=3&pk_source=news4&pk_medium=email&pk_campaign=spring", "q=3"),
        ("https://some.where/article/abc?mtm_campaign=rss&mtm_source=feed", None),
    ],
)
def test_webtrekk_comscore_and_matomo_campaign_markers_are_tracking(tracked: str, plain: str | None) -> None:
    # The same story was fetched twice, under its feed's tracked URL and its own.
    assert canonicalize_url(tracked) == tracked.split("?")[0] + (f"?{plain}" if plain else "")
