"""XML bytes from strangers -> an lxml tree: strict and fast when well-formed, lenient when not.

Shared by feeds.py and sitemaps.py. Parsed with entity expansion, DTD loading and network access off, and a
document that declares entities is refused, so a hostile file cannot read files or blow up memory. When the
strict parse fails, the text is repaired the way lenient feed readers do (encoding re-detected, junk before
the first tag dropped, HTML entities and bare "&" escaped, control characters removed) and parsed with
libxml2's recover mode, which keeps everything up to a truncation. The caller learns that this happened and
why (`XmlDocument.recovered`), to record it. A large document whose parts are read one by one (a sitemap's
<url>s) can be streamed instead (`stream_xml`). Never reads the network or the disk.
"""

from __future__ import annotations

import bisect
import codecs
import html
import html.entities
import io
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin
from xml.sax.saxutils import escape as xml_escape

from lxml import etree

from extractors.charset import (
    SINGLE_BYTE_WESTERN,
    UTF8_WITH_CP1252,
    encoding_for_label,
    header_encoding,
    mislabeled_utf8,
)
from extractors.urls import InvalidURLError, clean_url

# The sitemap protocol's own limit for an uncompressed sitemap; no honest feed comes near it.
MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_TEXT_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_REFERENCE = re.compile(r"&(#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9._-]*;)?")
# XML 1.0 forbids C0 controls other than tab, LF and CR (a form feed in a title breaks a whole feed).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ROOT_START = re.compile(r"<\?xml\b|<(?:[\w.-]+:)?(?:rss|RDF|feed|urlset|sitemapindex|CHANNEL)\b")
_ENTITY_DECLARATION = re.compile(r"<!ENTITY\b")
_HTML_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.IGNORECASE | re.DOTALL)
_STRAY_LT = re.compile(r"<(?![A-Za-z_:/!?])")
# An element that never has content, written open as HTML writes it: a <br> or <img> in an unescaped description,
# an RSS <enclosure ...>, an Atom <link href=...> from an HTML template. Recover mode nests everything after it
# inside it (later items inside earlier ones, an entry's dates inside its link), so items and dates were lost.
# Self-closed unless its end tag follows before any other tag.
# (Not <source>: RSS and Atom both have one with content.) CDATA sections are left as they are.
_OPEN_VOID = re.compile(
    r"<((?:br|hr|img|wbr|input|meta|embed|enclosure|media:thumbnail|media:content|itunes:image"
    r"|category(?=[^<>]*\bterm\s*=)|(?:[\w.-]+:)?link(?=[^<>]*\bhref\s*=)))\b([^<>]*?)(?<!/)>(?![^<]*</\1\s*>)",
    re.IGNORECASE,
)
_CDATA = re.compile(r"(<!\[CDATA\[.*?(?:\]\]>|$))", re.DOTALL)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class XmlDocument:
    """A parsed document, and if it needed the lenient reader, why."""

    root: etree._Element
    recovered: str | None = None
    # Recovered text that ends before its root element closes: the last value in it may be cut short.
    text_end: str | None = None
    # Read by the lenient parser (`recovered` also notes a wrong encoding declaration of a well-formed file), and
    # whether that parser stopped at its depth limit (256): what lay deeper, nested in an element left unclosed,
    # is not in the tree.
    lenient: bool = False
    depth_cut: bool = False
    # The tree's last node, where a cut is (with text_end): found once, not per value (a recovered 50k-entry
    # sitemap whose every <lastmod> equals the cut one asked for it 50k times).
    last_node: etree._Element | None = None

    def whole(self, value: str | None, *, within: etree._Element) -> str | None:
        """value (read in element `within`), or None where a truncation may have cut it short (a date cut to
        "2024-05" is another date)."""
        return None if value is None or self.cut_short(value, within=within) else value

    def cut_short(self, value: str, *, within: etree._Element) -> bool:
        """Whether value, read in element `within` (an item, a <url>), may have been cut by a truncation: the
        recovered document ends with it, and `within` holds the document's last node, where the cut is. (An
        earlier <loc> equal to the cut one's first characters is whole.)"""
        if self.text_end is None or not value.strip():
            return False
        value = value.strip()
        if not self.text_end.endswith((value, xml_escape(value), xml_escape(value, {'"': "&quot;"}))):
            return False
        last = self.last_node if self.last_node is not None else self.root
        return last is within or any(node is within for node in last.iterancestors())


def read_xml(
    content: bytes,
    *,
    source: str,
    error: Callable[[str], Exception],
    content_type: str | None = None,
    cut: str | None = None,
) -> XmlDocument:
    """The root element of an XML document (gunzipped if needed): strict first, then recovered.

    `cut` says why the bytes are incomplete (a gzip stream cut short, from `inflated`): it heads the note."""
    content, cut_here = inflated(content, source=source, error=error)
    cut = cut or cut_here
    content, encoding, note = _wrong_declaration(content, content_type)
    try:
        root = etree.fromstring(content, _parser(recover=False, encoding=encoding))
    except (etree.XMLSyntaxError, ValueError) as exc:
        problem = f"not well-formed XML ({str(exc) or type(exc).__name__})"
    else:
        _refuse_entities(root, source=source, error=error)
        # Well-formed, yet a CDATA section left open may have run to the next one's "]]>", swallowing the
        # items between (latin-1: the markup's positions in any ASCII-compatible encoding).
        unclosed = _unclosed_cdata(content.decode("latin-1")) if b"<![CDATA[" in content else None
        if unclosed is None:
            return XmlDocument(root, "; ".join(n for n in (cut, note) if n) or None)
        problem = f"well-formed XML, but {unclosed}"
    if cut:
        problem = f"{cut}; {problem}"
    text = decode_xml(content, content_type=content_type)
    if _ENTITY_DECLARATION.search(text, 0, _first_element(text)):  # refused strictly too, if it parsed
        raise error(f"{source} declares XML entities in its DOCTYPE; refusing it (entity expansion attacks)")
    if _HTML_START.match(text):  # not repaired into a feed: the repair would start at an "<rss" quoted in it
        raise error(_not_xml(source, text, problem))
    text = _repair(text)
    root, depth_cut = _recover(text, source=source, error=error)
    end = text.rstrip()
    closed = end.endswith(">") and re.search(rf"</(?:[\w.-]+:)?{re.escape(split_tag(root)[1])}\s*>$", end)
    note = f"{problem}; read leniently"
    if closed:
        return XmlDocument(root, note, None, lenient=True, depth_cut=depth_cut)
    return XmlDocument(root, note, end, lenient=True, depth_cut=depth_cut, last_node=_last_node(root))


def _last_node(root: etree._Element) -> etree._Element:
    """The last node of a tree in document order: its last child's last child, and so on."""
    last = root
    while (child := next(last.iterchildren(reversed=True), None)) is not None:
        last = child
    return last


@dataclass(frozen=True, slots=True)
class XmlStream:
    """A well-formed document read as it is used: the children of its root wanted, one at a time."""

    # Each wanted child of the root once parsed whole; emptied and let go when the next one is asked for.
    children: Iterator[etree._Element]
    recovered: str | None = None


def stream_xml(
    content: bytes,
    *,
    root: str,
    children: str,
    source: str,
    error: Callable[[str], Exception],
    content_type: str | None = None,
) -> XmlStream | None:
    """A document (not gzipped) whose root has local name `root`, its `children` (a local name) parsed only as
    they are asked for; None for another root.

    Memory stays that of what lxml parses ahead (a read buffer, tens of kB) and one child, not of a whole tree
    (~6x the bytes: 300 MB for a 50 MB sitemap), and a caller that stops early (at a cap) leaves the rest
    unparsed. Strict only: raises etree.XMLSyntaxError, here or while the children are read, where the document
    is not well-formed; read_xml then recovers what it can.
    """
    content, encoding, note = _wrong_declaration(content, content_type)
    if _root_name(content, encoding, source=source, error=error) != root:
        return None
    if b"<![CDATA[" in content and (unclosed := _unclosed_cdata(content.decode("latin-1"))):
        raise etree.XMLSyntaxError(unclosed, None, 0, 0)  # well-formed, but not as meant: read_xml repairs it
    # Filtered by tag inside lxml: a <url>'s own elements (news, images) cost no Python; as fast as a whole tree.
    ended = etree.iterparse(io.BytesIO(content), events=("end",), tag=any_ns(children), encoding=encoding, **_OPTIONS)
    return XmlStream(_children_as_parsed(element for _, element in ended), note)


def _wrong_declaration(content: bytes, content_type: str | None) -> tuple[bytes, str | None, str | None]:
    """The content to parse, the encoding to parse it with where the document's own declaration is wrong (None:
    it is right), and the note saying so.

    The HTTP charset wins where the bytes are text in it (RFC 7303 3, feedparser, browsers): a cp1251 feed that
    declared ISO-8859-1 gave mojibake article URLs, each a 404. Not a Western single-byte one, though: any bytes
    are text in it, and it is what servers send by default (Apache's AddDefaultCharset) over a feed that rightly
    declares EUC-KR or UTF-8. Nor any legacy label on bytes that are valid UTF-8: it is wrong wherever it
    stands (extractors.charset.mislabeled_utf8). A byte-order mark beats both.

    The served charset's text is handed to libxml2 as UTF-8: its names are Python's (euc_jp, mac_cyrillic),
    which libxml2's iconv does not know, and an EUC-JP feed stopped its source with a LookupError.
    """
    if content.isascii() or content.startswith(tuple(bom for bom, _ in _BOMS)):
        return content, None, None
    declared = _declared_encoding(content) or "utf-8"
    served = header_encoding(content_type)
    if (
        served is not None
        and served != declared
        and served not in SINGLE_BYTE_WESTERN
        and not mislabeled_utf8(content, served)
        and _is_text_in(content, served)
    ):
        if not served.startswith(("utf-16", "utf-32")):
            note = f"served as {served} but declares {declared}; read as {served}"
            return content.decode(served).encode("utf-8"), "utf-8", note
    if mislabeled_utf8(content, declared):
        return content, "utf-8", f"declares {declared} but is UTF-8; read as UTF-8"
    return content, None, None


def _is_text_in(content: bytes, encoding: str) -> bool:
    try:
        content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _root_name(
    content: bytes, encoding: str | None, *, source: str, error: Callable[[str], Exception], chunk: int = 4096
) -> str:
    """The local name of the root element, parsing a few kB past its start tag (the DOCTYPE before it too)."""
    parser = etree.XMLPullParser(events=("start",), encoding=encoding, **_OPTIONS)
    for offset in range(0, len(content), chunk):
        parser.feed(content[offset : offset + chunk])
        for _, element in parser.read_events():
            _refuse_entities(element, source=source, error=error)
            return split_tag(element)[1]
    parser.close()  # raises: a document without an element
    raise etree.XMLSyntaxError("no element found", None, 0, 0)  # (lxml raises before this line)


def _children_as_parsed(ended: Iterator[etree._Element]) -> Iterator[etree._Element]:
    for element in ended:
        parent = element.getparent()
        if parent is None or parent.getparent() is not None:
            continue  # nested deeper than the root's children: not one of them
        yield element
        element.clear()  # lxml's own idiom: the current element stays, emptied; those before it go
        while element.getprevious() is not None:
            del parent[0]


def decode_xml(content: bytes, *, content_type: str | None = None) -> str:
    """The text of an XML document: BOM, else the first of HTTP charset and declaration that decodes it
    (a Western single-byte one only if the bytes are not valid UTF-8: extractors.charset.mislabeled_utf8).

    When neither does, UTF-8 with each invalid byte read as windows-1252: feeds that mix the two (a
    cp1252 quote pasted into a UTF-8 template) keep both, where a whole-document guess ruins one.
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :].decode(encoding, errors="replace")
    utf16 = {b"<\x00?\x00": "utf-16-le", b"\x00<\x00?": "utf-16-be"}.get(content[:4])
    if utf16:
        return content.decode(utf16, errors="replace")
    for declared in (header_encoding(content_type), _declared_encoding(content)):
        if declared and declared not in ("utf-16-le", "utf-16-be") and not mislabeled_utf8(content, declared):
            try:
                return content.decode(declared)
            except UnicodeDecodeError:
                continue
    return content.decode("utf-8", errors=UTF8_WITH_CP1252)


def _first_element(text: str) -> int:
    """Where the first element starts (after declarations and the DOCTYPE), or the end of the text."""
    match = re.search(r"<[A-Za-z_]", text)
    return match.start() if match else len(text)


def _repair(text: str) -> str:
    """Text a strict parser refuses, made well-formed where the intent is plain."""
    # A blank line, a BOM or a PHP warning before <?xml or the root: start at the document proper.
    root = _ROOT_START.search(text, 0, 100_000)
    start = root.start() if root else text.find("<")
    text = _TEXT_DECLARATION.sub("", text[start:] if start > 0 else text)
    text = _cdata_closed(text)
    # Outside CDATA sections: an HTML <summary> (a <details> block) inside one is text already.
    text = "".join(part if part.startswith("<![CDATA[") else _html_quoted(part) for part in _CDATA.split(text))
    text = _ILLEGAL.sub(" ", text)
    # Markup only: a CDATA section's "<" and "&" are its text.
    text = "".join(part if part.startswith("<![CDATA[") else _markup_repaired(part) for part in _CDATA.split(text))
    return _without_stray_end_tags(text)


def _without_stray_end_tags(text: str) -> str:
    """Text whose end tags each close an open element: one that names none is dropped ("</url></url>",
    "</entry></entry>", a "</b>" in a <title>), and one that names an element open below others closes those first
    ("<title>a <i>b</title>", "<link>…</Link>").

    Recover mode takes a mismatched end tag for the end of the element open: at an entry's level that closes the
    root (or RSS's <channel>), and nothing after it is read: a sitemap or an Atom feed lost every entry after a
    doubled "</entry>" (a review's: 4 of 5), with no word. Deeper, an RSS item lost what followed a stray "</b>" in
    its <title>: "</b>" closed the title and "</title>" the item, so its <link> and date were outside it (a review,
    2026-12: 0 of 5 links, where feedparser reads them all).
    """
    open_names: list[str] = []
    open_count: Counter[str] = Counter()  # open elements by name in lower case: one lookup per end tag
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) of the end tags rewritten
    for tag in _TAG.finditer(text):
        name, whole = tag.group("name"), tag.group(0)
        if name is None or whole.endswith("/>"):
            continue  # a CDATA section, comment, declaration, or an empty element
        if not whole.endswith(">") and (not tag.group("end") or tag.group("rest").strip()):
            continue  # "<title<": no tag to libxml2 ("</loc<lastmod>" is an end tag, its ">" left out)
        if not tag.group("end"):
            if _ATTRIBUTES.fullmatch(tag.group("rest")):  # ("a<b && c>d" in a text: an empty element to libxml2)
                open_names.append(name)
                open_count[name.lower()] += 1
        elif open_names and name == open_names[-1]:
            open_count[open_names.pop().lower()] -= 1
        elif open_count[name.lower()]:  # open below others, or written in another case: close down to it
            closed = []
            while True:
                last = open_names.pop()
                open_count[last.lower()] -= 1
                closed.append(f"</{last}>")
                if last.lower() == name.lower():
                    break
            edits.append((*tag.span(), "".join(closed)))
        else:
            edits.append((*tag.span(), ""))
    if not edits:
        return text
    parts, position = [], 0
    for start, end, replacement in edits:
        parts += [text[position:start], replacement]
        position = end
    return "".join(parts) + text[position:]


# What a scan of tags steps over whole (CDATA sections, comments, declarations, to the end where left open), and
# start and end tags. The name is possessive: a "<" and 30,000 letters with no ">" took 4.7 s backtracking.
_TAG = re.compile(
    r"<!\[CDATA\[.*?(?:\]\]>|$)|<!--.*?(?:-->|$)|<[?!][^>]*(?:>|$)"
    r"""|<(?P<end>/)?(?P<name>[A-Za-z_][\w:.-]*+)(?P<rest>(?:[^<>"']++|"[^"<]*+"|'[^'<]*+'|["'])*+)(?:>|(?=<))""",
    re.DOTALL,
)
# A start tag's attributes as libxml2 reads them (a quoted value may hold ">"; recover mode keeps a name without a
# value, or "name=" with none); possessive throughout.
_ATTRIBUTES = re.compile(r"""(?:\s++[\w:.-]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+')?+)?+)*+\s*+""")


# Elements whose content is text, often HTML meant to be escaped (RSS's description, Atom's summary and content,
# content:encoded; not media:content, whose children are elements), and what in such content would be the feed's
# own markup, not the HTML's.
_TEXT_ELEMENT = re.compile(r"<(description|summary|content|(?:[\w.-]+:)?encoded)(\s[^<>]*)?>")
_FEED_MARKUP = re.compile(r"</?(?:[\w.-]+:)?(?:item|entry|channel|feed|rss|description|summary|content|encoded)\b")


def start_tags(content: bytes, *names: str) -> int:
    """How many start tags of these local names (with any prefix and attributes) the file writes as markup:
    outside comments and CDATA sections. What a lenient reading's tree is compared with, to count what it lost."""
    written = re.compile(rb"<(?:[\w.-]+:)?(?:" + b"|".join(re.escape(n.encode()) for n in names) + rb")[\s>/]")
    return len(written.findall(_without_comments_and_cdata(content)))


def _without_comments_and_cdata(content: bytes) -> bytes:
    """The bytes outside comments and CDATA sections (where a start tag is text, not markup); one pass. An
    unclosed one runs to the end, as a parser reads it."""
    out, position = [], 0
    while (start := _COMMENT_OR_CDATA.search(content, position)) is not None:
        out.append(content[position : start.start()])
        closing = b"-->" if start.group() == b"<!--" else b"]]>"
        end = content.find(closing, start.end())
        if end < 0:
            return b"".join(out)
        position = end + len(closing)
    return b"".join([*out, content[position:]]) if out else content


_COMMENT_OR_CDATA = re.compile(rb"<!--|<!\[CDATA\[")


def _html_quoted(text: str) -> str:
    """Raw HTML in a feed's text elements, quoted as the CDATA it was meant to be (`text` holds no CDATA section).

    A hand-written feed's `<description>Lead<p>more</description>` leaves a <p> open: recover mode then nests
    every later item in it, and libxml2 stops at a depth of 256, so a 1,000-item feed gave 252 entries. Content
    holding the feed's own markup (an element left open up to the next item), a "]]>", or XHTML (Atom's
    type="xhtml", markup by design) is left as it is. Linear: each element name's next end tag is found once,
    and what lies between an element's start and end is looked up among positions found in one pass.
    """
    feed_markup = [m.start() for m in _FEED_MARKUP.finditer(text)]
    cdata_ends = [m.start() for m in re.finditer(re.escape("]]>"), text)]
    out: list[str] = []
    position = 0
    next_end: dict[str, int] = {}
    for opened in _TEXT_ELEMENT.finditer(text):
        name, attributes = opened.group(1), opened.group(2) or ""
        if opened.start() < position or "xhtml" in attributes or attributes.rstrip().endswith("/"):
            continue
        end = next_end.get(name, -1)
        if end < opened.end():
            end = text.find(f"</{name}>", opened.end())
            next_end[name] = end = len(text) if end < 0 else end
        if end == len(text) or text.find("<", opened.end(), end) < 0:
            continue
        if _any_between(feed_markup, opened.end(), end) or _any_between(cdata_ends, opened.end(), end):
            continue
        out += [text[position : opened.end()], "<![CDATA[", text[opened.end() : end], "]]>"]
        position = end
    return "".join([*out, text[position:]]) if out else text


def _any_between(positions: list[int], low: int, high: int) -> bool:
    """Whether any of the sorted `positions` is in [low, high)."""
    k = bisect.bisect_left(positions, low)
    return k < len(positions) and positions[k] < high


def _markup_repaired(text: str) -> str:
    text = _STRAY_LT.sub("&#60;", text)  # "1 < 2" in a title; recover mode would read a tag there
    text = _START_TAG.sub(_values_quoted, text)
    text = _OPEN_VOID.sub(r"<\1\2/>", text)
    return _REFERENCE.sub(_escape_reference, text)


# A start tag, and an attribute's value written bare as HTML allows (`<guid isPermaLink=false>`, `<link rel=alternate
# href=http://…/>`): recover mode scrambled the tree around it, and a review's feeds lost every item (feedparser: all).
_START_TAG = re.compile(r"<[A-Za-z_][\w:.-]*\s[^<>]*>")
# Each attribute in turn, a quoted value read whole (so a "k=v" inside one is no attribute of its own).
_ATTRIBUTE = re.compile(r"""(\s[\w:.-]+\s*=\s*)("[^"]*"|'[^']*'|[^\s"'<>`]+?(?=\s|/?>$))""")


def _values_quoted(tag: re.Match[str]) -> str:
    text = tag.group()
    return _ATTRIBUTE.sub(_quoted, text) if "=" in text else text


def _quoted(attribute: re.Match[str]) -> str:
    name, value = attribute.groups()
    return attribute.group() if value[0] in "\"'" else f'{name}"{value}"'


def _cdata_sections(text: str) -> Iterator[tuple[int, int | None]]:
    """(start, where it should have ended) of each CDATA section (None: where it says).

    A section left open runs to the next section's "]]>", swallowing the items between, or to the document's end.
    It was left open where it holds the end tag of the element it is in (`<description><![CDATA[... </description>
    </item><item>...`) and, before its "]]>", a later section's opening: a section that merely holds an end tag's
    text (an Atom summary of HTML with a <details><summary>) is whole. It should have ended before that end tag.
    """
    position, next_close = 0, -1
    while (start := text.find("<![CDATA[", position)) >= 0:
        # The first "]]>" after a section's opening serves every later section opened before it: each part of
        # the text is searched once (len(text): none follows).
        if next_close < start + 9:
            next_close = text.find("]]>", start + 9)
            next_close = len(text) if next_close < 0 else next_close
        close = -1 if next_close == len(text) else next_close
        tag = text.rfind("<", max(0, start - 300), start)
        opened = _LAST_START_TAG.match(text, tag, start) if tag >= 0 else None
        cut = None
        if opened is not None:
            end_tag = re.compile(rf"</{re.escape(opened.group(1))}\s*>")
            found = end_tag.search(text, start + 9, len(text) if close < 0 else close)
            # A later section opened right after a start tag: not a script's "//<![CDATA[" or the split
            # "]]]]><![CDATA[>" that writes "]]>" inside a section.
            if found and (close < 0 or _SECTION_OPENED.search(text, found.end(), close)):
                cut = found.start()
        yield start, cut
        position = cut if cut is not None else (len(text) if close < 0 else close + 3)


# A tag's "<", name (in a group) and attributes, up to its ">".
_TAG_OPENING = r"<([A-Za-z_][\w:.-]*)(?:\s[^<>]*)?"
_SECTION_OPENED = re.compile(rf"{_TAG_OPENING}>\s*<!\[CDATA\[")
# The start tag a CDATA section directly follows (only white space between): the element it is the text of.
_LAST_START_TAG = re.compile(rf"{_TAG_OPENING}(?<!/)>\s*$")


def _unclosed_cdata(text: str) -> str | None:
    """Why the text needs _cdata_closed, or None."""
    for start, cut in _cdata_sections(text):
        if cut is not None:
            line = text.count("\n", 0, start) + 1
            return f"a CDATA section on line {line} runs past the end of its element; closed it there"
    return None


def _cdata_closed(text: str) -> str:
    """Text with every CDATA section left open closed before the end tag of its element."""
    parts, position = [], 0
    for _, cut in _cdata_sections(text):
        if cut is not None:
            parts += [text[position:cut], "]]>"]
            position = cut
    return "".join(parts) + text[position:] if parts else text


def _escape_reference(match: re.Match[str]) -> str:
    """&nbsp; and other HTML entities, XML's five too, as character references; a bare "&" as &#38;.

    libxml2's recover mode drops every &amp; (and &lt;...) after the first error it meets: a stray end tag in one
    title made "?option=com_content&amp;view=article&amp;id=101" of every later link "?option=com_contentview=
    articleid=101". It keeps character references.
    """
    name = match.group(1)
    if name is None:
        return "&#38;"
    if name.startswith("#"):
        return match.group(0)
    char = html.entities.html5.get(name)
    return "".join(f"&#{ord(c)};" for c in char) if char else f"&#38;{name}"


def _recover(text: str, *, source: str, error: Callable[[str], Exception]) -> tuple[etree._Element, bool]:
    """The root recover mode reads, and whether it stopped at libxml2's depth limit."""
    try:
        root = etree.fromstring(text, _parser(recover=True))
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise error(_not_xml(source, text, str(exc))) from exc
    if root is None:
        raise error(_not_xml(source, text, "no element found"))
    _refuse_entities(root, source=source, error=error)
    # The parser's error log keeps its first errors only (a feed of many mismatched tags fills it before the depth
    # limit is reached), so the tree's depth says whether the limit was.
    return root, _depth(root) >= _MAX_DEPTH - 1


# libxml2's limit on element depth without XML_PARSE_HUGE (huge_tree): recover mode stops reading there.
_MAX_DEPTH = 256


def _depth(root: etree._Element) -> int:
    """How deep the tree's deepest element is (the root: 1)."""
    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


# No entity expansion, DTD or network; libxml2's default bounds on depth and text size (huge_tree off).
_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _parser(*, recover: bool, encoding: str | None = None) -> etree.XMLParser:
    return etree.XMLParser(encoding=encoding, recover=recover, **_OPTIONS)


def _not_xml(source: str, text: str, problem: str) -> str:
    if _HTML_START.match(text):  # the usual reason: a web page (a moved feed's redirect to the front page)
        return f"{source} is an HTML page, not XML: is the URL a web page rather than a feed or sitemap?"
    return f"{source} is not XML, even read leniently: {problem}"


def _refuse_entities(root: etree._Element, *, source: str, error: Callable[[str], Exception]) -> None:
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise error(f"{source} declares XML entities in its DOCTYPE; refusing it (entity expansion attacks)")


def _declared_encoding(content: bytes) -> str | None:
    match = _DECLARATION.match(content[:300].lstrip())
    return encoding_for_label(match.group(1).decode("ascii")) if match else None


def inflated(content: bytes, *, source: str, error: Callable[[str], Exception]) -> tuple[bytes, str | None]:
    """The content, gunzipped if it is gzip (a sitemap.xml.gz served as application/gzip, not Content-Encoding),
    and why it is incomplete if the gzip stream was cut short (see gunzip), else None."""
    return gunzip(content, source=source, error=error) if content[:2] == _GZIP_MAGIC else (content, None)


def gunzip(content: bytes, *, source: str, error: Callable[[str], Exception]) -> tuple[bytes, str | None]:
    """The inflated bytes of a gzip file, every member of it (RFC 1952 2.2: a file may be several, as `cat a.gz
    b.gz` makes), refused past MAX_DECOMPRESSED_BYTES or when corrupt.

    A stream cut short (a download that ended early) gives what it inflates to up to the cut, with a note that
    says so: the lenient XML reader keeps every entry before the cut, as it does for a plain file cut short,
    where refusing it lost all of a large sitemap's URLs. A cut before any byte inflates is refused.

    Each member is given its input a growing piece at a time: zlib copies what follows a member's end
    (`unused_data`), so giving each member all the rest copied the file once per member, quadratic in their
    number (8 MB of empty members took minutes). Pieces start small and double, so a member's copy is at most
    about its own size."""
    parts: list[bytes] = []
    room, position, view = MAX_DECOMPRESSED_BYTES + 1, 0, memoryview(content)
    while True:
        decompressor, piece = zlib.decompressobj(wbits=31), _FIRST_PIECE  # 31: gzip header and trailer
        end, member = position, len(parts)
        try:
            while not decompressor.eof and end < len(content):
                given = view[end : end + piece]
                end += len(given)
                parts.append(decompressor.decompress(given, room))
                room -= len(parts[-1])
                if room <= 0:  # (while room > 0, zlib read all of `given`: none is left in unconsumed_tail)
                    raise error(f"{source} inflates to more than {MAX_DECOMPRESSED_BYTES:,} bytes; refusing it")
                piece = min(piece * 2, _LAST_PIECE)
        except zlib.error as exc:
            if position:  # bytes after the last member that are no gzip (padding, junk): gzip(1) ignores them too
                del parts[member:]
                break
            raise error(f"{source} starts like gzip but is corrupt: {exc}") from exc
        if not decompressor.eof:
            parts.append(decompressor.flush())  # what zlib holds back at the cut (all input was read: see above)
            if len(parts[-1]) >= room:
                raise error(f"{source} inflates to more than {MAX_DECOMPRESSED_BYTES:,} bytes; refusing it")
            cut = f"a truncated gzip stream ({len(content):,} compressed bytes)"
            if not any(parts):
                raise error(f"{source} is {cut}")
            return b"".join(parts), f"{cut}, read up to the cut"
        position = end - len(decompressor.unused_data)
        if content[position : position + 2] != _GZIP_MAGIC:
            break
    return b"".join(parts), None


# The first piece of a gzip member given to zlib, and the largest (see gunzip).
_FIRST_PIECE = 256
_LAST_PIECE = 1 << 20


def split_tag(element: etree._Element) -> tuple[str, str]:
    """(namespace, local name) of an element; ("", "") for comments and other non-elements."""
    tag = element.tag
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):  # "{namespace}local"; split by hand: recover mode makes tags QName() refuses
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def any_ns(local_name: str) -> str:
    return f"{{*}}{local_name}"


def child_text(element: etree._Element, tag: str) -> str | None:
    """Text of the first child with this tag; a bare local name matches it in any namespace or none."""
    child = element.find(tag if tag.startswith("{") else any_ns(tag))
    return None if child is None else text_of(child)


def text_of(element: etree._Element) -> str | None:
    """The element's text, its descendants' included (an Atom xhtml title's <b>), stripped; None if empty."""
    text = (element.text or "") if len(element) == 0 else "".join(_texts(element))  # (most have no children)
    return text.strip() or None


def _texts(element: etree._Element) -> Iterator[str]:
    """The text of an element and of its descendants with their tails (not its own tail: itertext's
    with_tail=False drops every descendant's too). An entity a DOCTYPE let stand undefined (RSS 0.91's Netscape
    DTD makes &eacute; legal) is read as its HTML character, as feedparser does."""
    if isinstance(element, etree._Entity):
        yield html.unescape(str(element.text))
    elif element.text and not isinstance(element, (etree._Comment, etree._ProcessingInstruction)):
        yield str(element.text)
    for child in element:
        yield from _texts(child)
        if child.tail:
            yield str(child.tail)


def base_url(element: etree._Element, document_url: str) -> str:
    """The URL relative links in this element resolve against: xml:base attributes over the document URL."""
    base = document_url
    for el in [*reversed(list(element.iterancestors())), element]:
        relative = el.get(_XML_BASE)
        if relative:
            try:
                base = urljoin(base, str(relative).strip())
            except ValueError:  # "http://[::1": a base no link can resolve against; the enclosing one stands
                continue
    return base


def http_url(link: str | None, *, base: str) -> str | None:
    """The absolute http(s) address of a link in clean_url form, or None if it is not one.

    An ampersand escaped twice (WordPress's `&amp;#038;`, `&amp;amp;`) is read as one, as feedparser does: as
    written, `?option=com_content&#038;id=5` is `?option=com_content` with a fragment, and every such item of a
    Joomla feed became one URL.
    """
    if not link:
        return None
    if "&" in link:
        link = _ESCAPED_AMPERSAND.sub("&", link)
    try:
        return clean_url(urljoin(base, link.strip().strip(_INVISIBLE)))
    except (InvalidURLError, ValueError):  # mailto:, tag: URIs, broken hosts: nothing we could fetch
        return None


# Characters a CMS leaves around a link that no URL holds (a byte-order mark, a zero-width space): read as a path,
# "\ufeffhttp://site/a" became "http://site/%EF%BB%BFhttp:/site/a", a 404, and the article was never fetched.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


# An ampersand's character reference left in a link's text: the link was escaped once more than XML needs.
_ESCAPED_AMPERSAND = re.compile(r"&(?:amp|#0*38|#[xX]0*26);")
