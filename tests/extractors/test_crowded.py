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
