"""HTML bytes -> text, choosing the encoding roughly the way a browser does (WHATWG Encoding standard).

Order: byte-order mark, HTTP Content-Type charset (the last valid one), <meta> charset in the first 4 KB, then
what the bytes are. A declaration is believed unless the bytes contradict it: valid multi-byte UTF-8 under a
legacy label is UTF-8 (the feed reader, _xml.py, shares this rule), and bytes that are not valid in
the declared encoding (beyond a stray byte or two) are read as undeclared ones. Undeclared bytes are UTF-8 if
they are valid UTF-8, windows-1252 if they read as Western text (windows-1254 if as Turkish), else what
charset_normalizer detects (on a bounded sample, so a huge page costs no more than a typical one), else
windows-1252. A page that still comes out as mostly U+FFFD is refused (UndecodableError), not stored as
replacement characters.
Labels are mapped as browsers map them (iso-8859-1, latin1 and ascii all mean windows-1252); labels outside
the WHATWG set are ignored.
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
from collections.abc import Sequence
from functools import partial
from typing import Any

import charset_normalizer

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# A <meta> charset is looked for in the page's head, up to this many bytes: browsers honour one after their
# 1,024-byte prescan too (the parser switches encoding), and a head can open with kilobytes of inline style.
_META_WINDOW = 64 * 1024
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([^\s"';>/]+)""", re.IGNORECASE)
_HEAD_END = re.compile(rb"</head\b|<body\b", re.IGNORECASE)
# A comment's <meta> (a template's old declaration left in "<!-- -->") is none, as in the browsers' prescan.
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.S)
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
    # The rest of the Encoding Standard's labels that Python's codecs do not know by these names (a review,
    # 2026-12, against its table: 46 of 214 were unknown; iso-2022-kr and hz-gb-2312 stay so, as browsers
    # refuse them).
    **{f"x-cp125{n}": f"cp125{n}" for n in range(9)},
    **{f"iso8859{n}": f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8)},
    **{f"iso8859{n}": f"iso8859-{n}" for n in (10, 13, 14, 15)},
    **dict.fromkeys("csiso88596e csiso88596i iso-8859-6-e iso-8859-6-i".split(), "iso8859-6"),
    **dict.fromkeys("csiso88598e csiso88598i".split(), "iso8859-8"),
    **dict.fromkeys("csisolatin5 iso-ir-148 iso_8859-9:1989".split(), "cp1254"),
    **dict.fromkeys("csksc56011987 iso-ir-149 cseuckr".split(), "cp949"),
    **dict.fromkeys("csmacintosh mac".split(), "mac-roman"),
    **dict.fromkeys("koi koi8".split(), "koi8-r"),
    "csisolatin9": "iso8859-15",
    "iso885911": "cp874",
    "sun_eu_greek": "iso8859-7",
    "csiso58gb231280": "gb18030",
    **dict.fromkeys("unicode-1-1-utf-8 unicode11utf8 unicode20utf8 x-unicode20utf8".split(), "utf-8"),
    "unicodefffe": "utf-16-be",
    **dict.fromkeys("x-euc-jp cseucpkdfmtjapanese".split(), "euc-jp"),
    "x-mac-ukrainian": "mac-cyrillic",
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
# Labels whose bytes any text decodes under, so UTF-8 declared as one of them shows as "CafÃ©".
SINGLE_BYTE_WESTERN = frozenset({"windows-1252", "iso8859-15"})
_UNICODE = frozenset({"utf-8", "utf-16-le", "utf-16-be"})
# Different non-ASCII characters valid UTF-8 must read as to overrule a label other than a Western one (see
# mislabeled_utf8): a line of Russian or Chinese has that many.
_UTF8_EVIDENCE = 8
_ASCII = frozenset(map(chr, range(128)))
# Encodings detection may choose among: the WHATWG ones an undeclared page could be in (UTF-8 was tried), less
# those browsers' detectors never guess, whose high bytes are nearly all letters of some language, so any Latin
# text reads as them without chaos (Polish in ISO-8859-2 came out as Celtic ISO-8859-14: "Gġówny", "miesiḟca").
_RARE = frozenset(codecs.lookup(name).name for name in ("iso8859-3", "iso8859-10", "iso8859-14", "iso8859-16"))
_DETECTABLE = sorted({"cp1252", *_WHATWG_CODECS} - {"utf-8", "utf-16-le", "utf-16-be"} - _RARE)
# Detection reads this much: charset_normalizer's time grows with it; 64 KB of text is ample evidence.
_DETECT_WINDOW = 64 * 1024
_NON_ASCII_BYTE = re.compile(rb"[\x80-\xff]")
# Letters windows-1252 has beyond ASCII (not the symbols, not × and ÷).
_ACCENTED = "ŠŒŽšœžŸ" + "".join(chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7))
# A word with an accented letter; matched from a word's start, ASCII letters possessively, so linear in the text.
_ACCENTED_WORD = re.compile(f"(?<![A-Za-z{_ACCENTED}])[A-Za-z]*+[{_ACCENTED}][A-Za-z{_ACCENTED}]*+")
# A non-ASCII symbol between letters; apostrophe, dashes, soft hyphen and middle dot (Catalan l·l) belong there.
_SYMBOL_IN_WORD = re.compile(f"(?<=[A-Za-z{_ACCENTED}])[^\\x00-\\x7f{_ACCENTED}’–—\xad·]++(?=[A-Za-z{_ACCENTED}])")
# The bytes windows-1252 leaves undefined (read as C1 controls): never in Western text.
_C1_CONTROL = re.compile("[\x81\x8d\x8f\x90\x9d]")
# Share of accented letters in the words that have one: Spanish, German and English pages of the multilingual
# fixtures measure 0.08-0.5 (the short ones highest: "à", "é", "déjà"; "Ça va, à é" 0.75); Cyrillic, Greek,
# Arabic and Hebrew bytes read as windows-1252 0.97-1.0, CJK ones 0.9-1.0 (and those have symbols in words).
_MAX_ACCENTED_SHARE = 0.8
# U+FFFD count from which a page that is mostly U+FFFD (of its non-ASCII characters) is refused; below it, a few
# broken bytes in a short text are not worth losing the page for.
_GARBLED_MIN = 16
# ...and from this share of all the page's characters, markup included (1 in 100): fewer stray bytes than that
# leave a page in its declared encoding (read another way its real UTF-8 letters would turn to mojibake).
_GARBLED_SHARE_OF_PAGE = 100
# See _turkish_or_western: the six letters, the letters that say Icelandic or Faroese, how many of the six a
# text needs at least, and how many times more of them than of those (the tests' Icelandic and Faroese samples
# write 9 of the six against 7 accents, and 3 against 4; a short Icelandic one 13 against 2, left to the rest).
_TURKISH_LETTERS_AS_1252 = re.compile("[ÐÝÞðýþ]")
_NORDIC_ACUTES = re.compile("[áéíóúæÁÉÍÓÚÆ]")
_TURKISH_MIN = 3
_TURKISH_ODDS = 3  # 10 kept a Süper Lig report naming Sánchez and Rodríguez in windows-1252 (a review)
# Non-ASCII words _reads_as_western looks at: enough to tell, few enough to cost well under a millisecond.
_EVIDENCE_WORDS = 500
# Python's cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; WHATWG maps them to the C1 code points.
_WINDOWS_1252 = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256))


# A UTF-16 surrogate code point: in a Python str only a lone one (a pair is one character), which no UTF-8 writer
# accepts. JSON allows it: "\ud83d" is half an emoji, as CMSs that cut strings by UTF-16 units write them.
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def without_lone_surrogates(value: Any) -> Any:
    """The value (a str, or lists, tuples and dicts of them, as json.loads gives) with each lone surrogate as
    U+FFFD: text that UTF-8, Arrow and DuckDB can hold."""
    if isinstance(value, str):
        return value if value.isascii() or not _SURROGATE.search(value) else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list | tuple):
        return type(value)(without_lone_surrogates(v) for v in value)
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    return value


def loads_json(text: str) -> Any:
    """json.loads, with lone surrogates its escapes name replaced (see without_lone_surrogates)."""
    document = json.loads(text)
    return without_lone_surrogates(document) if _ESCAPED_SURROGATE.search(text) else document


class UndecodableError(ValueError):
    """The bytes are not text in the encoding they declare, nor in any other we can tell."""


def decode_html(body: bytes, *, content_type: str | None) -> str:
    """The text of an HTML response body, decoded with the encoding a browser would pick.

    Raises UndecodableError when even the best reading is mostly U+FFFD (bytes invalid in what they declare); for
    a body that is gzip data (compressed twice, or served without its Content-Encoding) it says so too.
    """
    try:
        return _decoded_html(body, content_type=content_type)
    except UndecodableError as exc:
        if body.startswith(b"\x1f\x8b\x08"):
            raise UndecodableError(
                f"{exc}; the body is gzip data, not text: compressed once more than its Content-Encoding says, "
                "or served without one"
            ) from None
        raise


def _decoded_html(body: bytes, *, content_type: str | None) -> str:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return _refuse_garbled(_decode(body[len(bom) :], encoding), f"{encoding}, which its byte-order mark names")
    declared, source = header_encoding(content_type), "the Content-Type header"
    if declared in _UTF_16 and b"\x00" not in body[:_META_WINDOW]:
        # UTF-16 markup is every other byte NUL; bytes without one are ASCII-compatible, the label a server's
        # mistake (a page read as UTF-16 was CJK mojibake, then "not an HTML document": a review, 2026-12).
        declared = None
    if declared is None:
        declared, source = _meta_encoding(body[:_META_WINDOW]), "its <meta> charset"
    if declared is None:
        return _sniff(body) or _decode(body, "windows-1252")
    if mislabeled_utf8(body, declared):
        return body.decode("utf-8")
    try:
        return _decode(body, declared, errors="strict")  # as fast as the lenient decode, and no count after
    except UnicodeDecodeError:
        text = _decode(body, declared)
    if declared == "utf-8" and not _non_ascii(body.decode("utf-8", errors="ignore")):
        # Invalid bytes and not one valid multi-byte character: a legacy page under a UTF-8 label (a French page
        # in windows-1252: 103 U+FFFD for its accented letters, under 1 in 100 of its characters, so it "fit"),
        # not UTF-8 with a byte or two gone wrong. Browsers show U+FFFD; read as what the bytes are.
        return _sniff(body) or text
    if _fits(text):
        return text
    return _sniff(body) or _refuse_garbled(text, f"{declared}, which {source} declares, and detection finds no other")


def mislabeled_utf8(body: bytes, encoding: str | None) -> bool:
    """Whether a legacy label (any but UTF-8 and UTF-16) covers bytes that are valid multi-byte UTF-8.

    Such bytes are almost never intended text in the label's encoding ("CafÃ©", "ÐÐ¾Ð²Ð¾ÑÑÐ¸" for
    "Новости"): the label is the mistake, read them as UTF-8. Text in a legacy encoding is not valid UTF-8 past a
    few letters: windows-1251's Cyrillic letters and GBK's or Shift_JIS's lead bytes are not followed by the
    continuation bytes UTF-8 needs. A server's default charset left over from before a site moved to UTF-8 (a
    feed served as windows-1251 gave mojibake article URLs, each a 404) is the usual cause.
    """
    if encoding is None or encoding in _UNICODE or body.isascii():
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # Under a Western label any multi-byte sequence will do ("CafÃ©"). A word or two of a multi-byte legacy
    # encoding can be valid UTF-8 by chance (EUC-KR's "홈" is C8 A8, GBK's "图片" CD BC C6 AC), however often a
    # page repeats it: other labels need as many different characters as chance does not give (a review: an
    # English page's one GBK word read as "ͼƬ").
    return encoding in SINGLE_BYTE_WESTERN or len(set(text)) - len(set(text) & _ASCII) >= _UTF8_EVIDENCE


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


_UTF_16 = ("utf-16-le", "utf-16-be")


def _meta_encoding(head: bytes) -> str | None:
    end = _HEAD_END.search(head)
    match = _META_CHARSET.search(_COMMENT.sub(b"", head[: end.start()] if end else head))
    if not match:
        return None
    encoding = encoding_for_label(match.group(1).decode("ascii", errors="replace"))
    # WHATWG: a <meta> claiming UTF-16 was just read as ASCII-compatible bytes, so it is wrong; use UTF-8.
    return "utf-8" if encoding in _UTF_16 else encoding


def _decode(body: bytes, encoding: str, *, errors: str = "replace") -> str:
    if encoding == "windows-1252":  # every byte has a character: never fails
        return codecs.charmap_decode(body, "strict", _WINDOWS_1252)[0]
    if encoding == "gb18030" and errors == "strict" and b"\x80" in body:
        # Only where the whole body is GBK: read leniently, UTF-8 under a GBK label ("、" is E3 80 81) would pass
        # for GBK with euro signs, and the UTF-8 reading would never be tried.
        errors = _GB_EURO_STRICT
    if encoding in ("euc_jp", "euc-jp"):
        errors = _EUC_JP_STRICT if errors == "strict" else _EUC_JP_REPLACE
    text = body.decode(encoding, errors=errors)
    if encoding == "cp932" and not text.isascii():
        text = text.translate(_SHIFT_JIS_AS_WHATWG)
    return text


# Where browsers read a byte otherwise than Python's codec of the same encoding (the Encoding Standard's indexes):
# a lone 0x80 is the euro sign in GBK (as in Windows' code page 936), where Python's gb18030 has no character;
# Shift_JIS's 81 60, 81 61 and 81 7C are the wave dash, double vertical line and minus sign (as EUC-JP's are
# here), where Python's cp932 gives the fullwidth tilde, the parallel sign and the fullwidth hyphen-minus (only
# those bytes give those three in cp932, so the text can be mapped after decoding).
_SHIFT_JIS_AS_WHATWG = str.maketrans({"\uff5e": "\u301c", "\u2225": "\u2016", "\uff0d": "\u2212"})


def _gb_euro(error: UnicodeError) -> tuple[str, int]:
    if isinstance(error, UnicodeDecodeError) and error.object[error.start] == 0x80:
        return "\u20ac", error.start + 1
    raise error


_GB_EURO_STRICT = "copydesk-gb-euro-strict"
codecs.register_error(_GB_EURO_STRICT, _gb_euro)


def _euc_jp_as_whatwg(error: UnicodeError, *, strict: bool) -> tuple[str, int]:
    """An EUC-JP pair Python's codec has no character for, read as browsers read it.

    The Encoding Standard's EUC-JP uses the jis0208 index, which holds NEC's row 13 (①, Ⅱ, №, ㈱) and the IBM
    extension kanji (髙, 﨑) that Python's euc_jp lacks; Shift_JIS shares that index, so the pair's pointer read
    through cp932 is the browser's character. A pair with no character is one U+FFFD for both bytes (Python's
    replace took the lead byte only, and its trail byte then garbled the text up to the next ASCII byte); an
    ASCII byte after a lead byte is read again.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    body, start = error.object, error.start
    lead, trail = body[start], body[start + 1] if start + 1 < len(body) else None
    if 0xA1 <= lead <= 0xFE and trail is not None and 0xA1 <= trail <= 0xFE:
        pointer = (lead - 0xA1) * 94 + trail - 0xA1
        row, cell = divmod(pointer, 188)
        shift_jis = bytes([row + (0x81 if row < 0x1F else 0xC1), cell + (0x40 if cell < 0x3F else 0x41)])
        try:
            return shift_jis.decode("cp932"), start + 2
        except UnicodeDecodeError:
            if strict:
                raise error from None
            return "\ufffd", start + 2
    if strict:
        raise error
    return "\ufffd", start + 1 if trail is None or trail < 0x80 else start + 2


_EUC_JP_STRICT, _EUC_JP_REPLACE = "copydesk-euc-jp-strict", "copydesk-euc-jp"
codecs.register_error(_EUC_JP_STRICT, partial(_euc_jp_as_whatwg, strict=True))
codecs.register_error(_EUC_JP_REPLACE, partial(_euc_jp_as_whatwg, strict=False))


def _fits(text: str) -> bool:
    """Whether a decoding went through, a stray invalid byte or two (or one in a hundred) aside."""
    bad = text.count("\ufffd")
    return bad <= 2 or bad <= _non_ascii(text) // 100 or bad * _GARBLED_SHARE_OF_PAGE < len(text)


def _refuse_garbled(text: str, encoding: str) -> str:
    """The text, unless it is mostly U+FFFD: then UndecodableError, saying which encoding failed and why."""
    bad = text.count("\ufffd")
    # Of the page too, not only of its non-ASCII characters: an English page with a few stray bytes (17 of 0x80
    # before its <html>) has almost no other non-ASCII characters, and is a page to keep.
    if bad >= _GARBLED_MIN and bad * 2 > _non_ascii(text) and bad * _GARBLED_SHARE_OF_PAGE >= len(text):
        raise UndecodableError(
            f"{bad:,} of its {_non_ascii(text):,} non-ASCII characters are not valid in {encoding}; refusing it"
            " rather than storing U+FFFD replacement characters"
        )
    return text


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", errors="ignore"))


def _sniff(body: bytes) -> str | None:
    """Undeclared bytes as text: UTF-8 (a stray byte or a last character cut short aside), Western windows-1252,
    or a confident detection; else None."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="replace")
    if _mostly_utf8(text):
        return body.decode("utf-8", errors=UTF8_WITH_CP1252)
    sample = _detection_sample(body)
    western = _decode(sample, "windows-1252")
    if _reads_as_western(western):
        return _decode(body, _turkish_or_western(western))
    # A body cut short in its last character (a size cap) defeats detection: then once more, up to its last tag.
    last_tag = sample.rfind(b"<")
    encoding = _detect(sample) or (_detect(sample[:last_tag]) if last_tag > 0 else None)
    if encoding is None:
        return None
    text = _decode(body, encoding)
    return text if _fits(text) else None


def _mostly_utf8(text: str) -> bool:
    """UTF-8 (decoded with U+FFFD for invalid bytes) with ten valid multi-byte characters or more for each invalid
    byte: a body cut in the middle of its last character (at a size cap), or cp1252 bytes pasted into a UTF-8
    page. Read as windows-1252, the whole page was mojibake. A page in windows-1252 has an invalid byte for
    each accented letter and hardly a valid multi-byte sequence."""
    bad = text.count("\ufffd")
    valid = _non_ascii(text) - bad
    return valid >= 10 * bad


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("cp1252", errors="replace"), error.end


# Error handler: UTF-8 with each invalid byte read as windows-1252, so a page (or feed) mixing the two, a cp1252
# quote pasted into a UTF-8 template, keeps both, where a whole-document guess ruins one.
UTF8_WITH_CP1252 = "copydesk-cp1252"
codecs.register_error(UTF8_WITH_CP1252, _cp1252_fallback)


def _detection_sample(body: bytes) -> bytes:
    """Up to _DETECT_WINDOW bytes from the tag holding the first non-ASCII byte (head scripts and styles tell
    nothing), ending before a "<" so no multi-byte character is cut (the bytes of one are all >= 0x40 in
    every ASCII-compatible encoding detection returns)."""
    first = _NON_ASCII_BYTE.search(body)
    start = max(body.rfind(b"<", 0, first.start()), 0) if first else 0
    sample = body[start : start + _DETECT_WINDOW]
    if len(sample) == _DETECT_WINDOW:
        cut = sample.rfind(b"<")
        sample = sample[:cut] if cut > 0 else sample
    return sample


def _reads_as_western(text: str) -> bool:
    """Whether windows-1252 text looks like a Western language's, not another script's bytes misread.

    Western words carry an accented letter or two among ASCII ones ("café", "Straße"); Cyrillic, Greek,
    Arabic or Hebrew bytes read this way give words of nothing but accented letters ("Ïðåçèäåíò"), and CJK
    or Central European bytes give symbols inside words ("‚±‚ê", "Za¿ó³æ") or undefined bytes.
    """
    if _C1_CONTROL.search(text):
        return False
    # The words with non-ASCII characters are the evidence (split and isascii run in C; the regexes see only them).
    evidence = " ".join(itertools.islice((word for word in text.split() if not word.isascii()), _EVIDENCE_WORDS))
    accented = letters = words = 0
    for match in _ACCENTED_WORD.finditer(evidence):
        word = match.group()
        words += 1
        letters += len(word)
        accented += len(word) - len(word.encode("ascii", errors="ignore"))
    odd = len(_SYMBOL_IN_WORD.findall(evidence))
    return accented <= letters * _MAX_ACCENTED_SHARE and odd <= words // 50


def _turkish_or_western(western: str) -> str:
    """windows-1254 (Turkish) for text that reads as Western with the letters only Turkish bytes give, else
    windows-1252.

    The two differ in six letters: Turkish ğ ı ş Ğ İ Ş read as windows-1252 are ð ý þ Ð Ý Þ ("baþkenti",
    "toplantýda"), which only Icelandic and Faroese write, and those write á é í ó ú and æ all the time, where
    Turkish never does, and ð more than ý, where Turkish writes ı more than ğ.
    """
    six, acutes = len(_TURKISH_LETTERS_AS_1252.findall(western)), len(_NORDIC_ACUTES.findall(western))
    if six < _TURKISH_MIN or acutes * _TURKISH_ODDS > six:
        return "windows-1252"
    # More evidence where the accents leave doubt: Turkish writes ç and ü, which Icelandic and Faroese never do,
    # and its dotless ı (ý) more than ğ (ð), where they write ð far more than ý. A text with a dotless ı and none
    # of those accents is Turkish ("Doğan Holding, Ağaoğlu ile ... ortaklığa"): a sentence of Icelandic has an á,
    # í or ó, and an English page naming Sigurðsson or Guðjohnsen has no ý.
    dotless, eth = western.count("ý") + western.count("Ý"), western.count("ð") + western.count("Ð")
    turkish_only = any(letter in western for letter in "çüÇÜ")
    return "cp1254" if (dotless and not acutes) or turkish_only or dotless > eth else "windows-1252"


def _detect(sample: bytes) -> str | None:
    """The WHATWG encoding charset_normalizer finds for non-UTF-8 bytes, if it finds one."""
    best = charset_normalizer.from_bytes(sample, cp_isolation=_DETECTABLE, preemptive_behaviour=False).best()
    if best is None:
        return None
    return encoding_for_label(best.encoding)


def content_type_of(values: Sequence[str]) -> str | None:
    """The media type of a response's Content-Type header fields as a browser reads them (the Fetch standard's
    "extract a MIME type"): the last valid one, with the charset an earlier field of the same type gave if it
    gives none; None if no field names a type. PHP behind a proxy often sends two ("text/html", then "text/html;
    charset=UTF-8"), which httpx joins: "text/html, text/html; ..." was no HTML, and the article was skipped for
    good. An empty field is no type, as a missing header is none."""
    essence, charset = None, None
    for value in values:
        kind, _, parameters = value.partition(";")
        kind = kind.strip().lower()
        if "/" not in kind or kind == "*/*" or not all(kind.split("/")):
            continue
        found = next((m.group(1) for m in map(_CHARSET_PARAMETER.match, parameters.split(";")) if m), None)
        charset = found if found or kind != essence else charset
        essence = kind
    if essence is None:
        return None
    return f"{essence}; charset={charset}" if charset else essence


_CHARSET_PARAMETER = re.compile(r"""\s*charset\s*=\s*["']?([^"'\s;]+)""", re.IGNORECASE)
