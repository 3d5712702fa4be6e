"""HTML bytes -> text, choosing the encoding roughly the way a browser does (WHATWG Encoding standard).

Order: byte-order mark, HTTP Content-Type charset (the last valid one), <meta> charset in the first 4 KB,
UTF-8 if the bytes are valid UTF-8, else windows-1252. Never raises: undecodable bytes become U+FFFD.
Labels are mapped as browsers map them (iso-8859-1, latin1 and ascii all mean windows-1252); labels outside
the WHATWG set are ignored.
"""

from __future__ import annotations

import codecs
import re

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_WINDOW = 4096
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([^\s"';>/]+)""", re.IGNORECASE)
_LABEL = re.compile(r"[a-z0-9._:-]{1,40}")
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s"';,]+)""", re.IGNORECASE)

# WHATWG labels whose encoding differs from what Python's codec of the same name does.
_WHATWG_ALIASES = {
    **dict.fromkeys(
        "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 "
        "iso_8859-1 iso_8859-1:1987 l1 latin1 latin-1 us-ascii windows-1252 x-cp1252".split(),
        "windows-1252",
    ),
    **dict.fromkeys("iso-8859-9 iso8859-9 iso88599 iso_8859-9 latin5 l5 windows-1254".split(), "cp1254"),
    **dict.fromkeys("iso-8859-11 iso8859-11 tis-620 windows-874 dos-874".split(), "cp874"),
    **dict.fromkeys("gb2312 gbk x-gbk chinese csgb2312 iso-ir-58 gb_2312 gb_2312-80 gb18030".split(), "gb18030"),
    **dict.fromkeys("euc-kr ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 korean windows-949".split(), "cp949"),
    **dict.fromkeys("shift_jis shift-jis sjis ms_kanji csshiftjis windows-31j x-sjis".split(), "cp932"),
    **dict.fromkeys("big5 big5-hkscs cn-big5 csbig5 x-x-big5".split(), "big5hkscs"),
    **dict.fromkeys("iso-8859-8-i iso-8859-8-e logical visual".split(), "iso8859-8"),
    **dict.fromkeys("utf-16 utf-16le unicode unicodefeff ucs-2 csunicode iso-10646-ucs-2".split(), "utf-16-le"),
    "utf-16be": "utf-16-be",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-user-defined": "windows-1252",  # close enough: x-user-defined maps high bytes to private-use points
}
# Python codecs (by their canonical codecs.lookup name) that implement a WHATWG encoding. Anything else a
# label might name in Python (utf-7, rot13, base64, idna, unicode_escape, ...) is not an HTML encoding.
_WHATWG_CODECS = frozenset(
    codecs.lookup(name).name
    for name in (
        "utf-8 cp866 iso8859-2 iso8859-3 iso8859-4 iso8859-5 iso8859-6 iso8859-7 iso8859-8 iso8859-10 "
        "iso8859-13 iso8859-14 iso8859-15 iso8859-16 koi8-r koi8-u mac-roman mac-cyrillic cp874 "
        "cp1250 cp1251 "
        "cp1253 cp1254 cp1255 cp1256 cp1257 cp1258 gb18030 big5hkscs euc-jp iso2022-jp cp932 cp949 "
        "utf-16-le utf-16-be"
    ).split()
)
# Python's cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; WHATWG maps them to the C1 code points.
_WINDOWS_1252 = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256))


def decode_html(body: bytes, *, content_type: str | None) -> str:
    """The text of an HTML response body, decoded with the encoding a browser would pick."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return _decode(body[len(bom) :], encoding)
    declared = header_encoding(content_type) or _meta_encoding(body[:_META_WINDOW])
    if declared:
        return _decode(body, declared)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return _decode(body, "windows-1252")


def encoding_for_label(label: str) -> str | None:
    """The codec a browser would use for a charset label ("latin1" -> "windows-1252"); None if unknown."""
    label = label.strip().strip("\"'").lower()
    if label in _WHATWG_ALIASES:
        return _WHATWG_ALIASES[label]
    if not _LABEL.fullmatch(label):  # codecs.lookup raises ValueError/UnicodeError on NULs and surrogates
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return name if name in _WHATWG_CODECS else None


def header_encoding(content_type: str | None) -> str | None:
    """The codec a Content-Type header names: its last charset parameter with a known label.

    The last, because httpx joins repeated headers with a comma ("text/html, text/html; charset=iso-8859-7")
    and browsers take the last one; an unknown label ("charset=none") is skipped, not the header.
    """
    for label in reversed(_HEADER_CHARSET.findall(content_type or "")):
        encoding = encoding_for_label(label)
        if encoding:
            return encoding
    return None


def _meta_encoding(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if not match:
        return None
    encoding = encoding_for_label(match.group(1).decode("ascii", errors="replace"))
    # WHATWG: a <meta> claiming UTF-16 was just read as ASCII-compatible bytes, so it is wrong; use UTF-8.
    return "utf-8" if encoding in ("utf-16-le", "utf-16-be") else encoding


def _decode(body: bytes, encoding: str) -> str:
    if encoding == "windows-1252":
        return codecs.charmap_decode(body, "strict", _WINDOWS_1252)[0]
    return body.decode(encoding, errors="replace")
