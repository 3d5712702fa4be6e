"""Start tags with thousands of attributes are refused before libxml2 parses them (quadratic, one C call)."""

from __future__ import annotations

import pytest

from extractors._crowded import MAX_ATTRIBUTES, CrowdedTagError, refuse_crowded_tags
from extractors.article import ExtractionError, extract_article
from extractors.links import page_links

STORY = "<p>The harbour reopened on Monday after a week of repairs to the quay and its cranes.</p>" * 8


def crowded(attributes: int, *, first: str = "") -> str:
    tag = "<p " + first + " ".join(f"a{i}=1" for i in range(attributes)) + ">"
    return f"<html><body><article><h1>Harbour reopens</h1>{tag}x</p>{STORY}</article></body></html>"


@pytest.mark.parametrize("first", ["", 'title="a > b" ', "data-x='<' "])
def test_a_page_with_a_tag_of_thousands_of_attributes_is_refused_saying_why(first: str) -> None:
    # 150,000 attributes in 1.3 MB held a worker for a minute in libxml2; a quoted ">" or "<" ends no tag.
    count = f"{1_500 + bool(first):,}"
    with pytest.raises(ExtractionError, match=rf"a <p> tag with {count} attributes \(more than 1,000\): libxml2"):
        extract_article(crowded(1_500, first=first), url="https://news.example/a")
    with pytest.raises(CrowdedTagError, match="1,500 attributes"):
        page_links(crowded(1_500), page_url="https://news.example/")


def test_tags_under_the_limit_scripts_and_long_attribute_values_are_parsed() -> None:
    assert "harbour reopened" in extract_article(crowded(MAX_ATTRIBUTES), url="https://news.example/a").text
    # Minified JavaScript after "i<n " reads like a tag of thousands of attributes; in a script it is no tag.
    script = "<script>for(i=0;i<n " + " ".join(f"x{i}=y{i};" for i in range(3_000)) + "</script>"
    refuse_crowded_tags(f"<html><head>{script}</head><body>{STORY}</body></html>", what="page")
    # A single large attribute (server-side rendered JSON) is one attribute.
    json = "{" + ", ".join(f'"k{i}": "v {i}"' for i in range(5_000)) + "}"
    refuse_crowded_tags(f"<html><body><div data-props='{json}'>{STORY}</div></body></html>", what="page")


@pytest.mark.parametrize("stray", ['<div class="entry-content"">', '<img alt="A 6" pipe" src="/p.jpg">'])
def test_a_stray_quote_opens_no_value_that_swallows_the_rest_of_the_page(stray: str) -> None:
    # A theme's doubled closing quote, an inch mark in alt text: the quote is a character. Read as opening a value,
    # it made every word of the rest of the page an attribute, once a long SVG path had made the page a suspect.
    path = " ".join(f"L {i % 997} {i * 7 % 991}" for i in range(800))
    story = "".join(f'<p>The council voted again, <a href="/2024/05/story-{i}">read more</a>.</p>' for i in range(300))
    page = f'<html><body><svg><path d="M 0 0 {path}"/></svg>{stray}{story}</div></body></html>'
    refuse_crowded_tags(page, what="page")


@pytest.mark.parametrize("opener", ["<!-- <script> -->", '<div data-embed="<script async src=/w.js>"></div>'])
def test_a_script_tag_in_a_comment_or_an_attribute_value_hides_no_crowded_tag(opener: str) -> None:
    crowded_tag = "<p " + " ".join(f"a{i}=1" for i in range(5_000)) + ">x</p>"
    with pytest.raises(CrowdedTagError):
        refuse_crowded_tags(f"<html><body>{opener}{crowded_tag}<script>var a = 1;</script></body></html>", what="page")
