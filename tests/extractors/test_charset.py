from __future__ import annotations

import codecs
import gzip
import json
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.charset import UndecodableError, decode_html, encoding_for_label
from extractors.feeds import parse_feed

FIXTURES = Path(__file__).parent.parent / "fixtures" / "charset"
CASES = json.loads((FIXTURES / "cases.json").read_text(encoding="utf-8"))

WORDS = "Le café était naïve — 5 € "
CP1252_BODY = f"<html><body><p>{WORDS}</p></body></html>".encode("cp1252")


def decodes_or_refuses(body: bytes, content_type: str | None) -> None:
    try:
        assert isinstance(decode_html(body, content_type=content_type), str)
    except UndecodableError as exc:
        assert "U+FFFD" in str(exc)


@given(st.binary(max_size=300), st.none() | st.text(max_size=40))
def test_decode_html_raises_only_undecodable_error(body: bytes, content_type: str | None) -> None:
    decodes_or_refuses(body, content_type)


@given(st.binary(max_size=200), st.text(max_size=20))
def test_decode_html_raises_only_undecodable_error_on_meta_declarations(body: bytes, label: str) -> None:
    head = f'<meta charset="{label}"><meta http-equiv="Content-Type" content="text/html; charset={label}">'
    decodes_or_refuses(head.encode("utf-8", errors="surrogatepass") + body, f"text/html; charset={label}")


@given(st.binary(max_size=300))
def test_undeclared_bytes_are_never_refused(body: bytes) -> None:
    assert isinstance(decode_html(body.lstrip(b"\xef\xbb\xbf\xff\xfe"), content_type=None), str)


@pytest.mark.parametrize("name", sorted(CASES))
def test_pages_decode_as_what_their_bytes_are(name: str) -> None:
    content_type, real, headline = CASES[name]
    body = (FIXTURES / name).read_bytes()
    text = decode_html(body, content_type=content_type)
    assert headline in text
    assert text == body.decode(real)


@pytest.mark.parametrize(
    "words",
    [
        "Le café était fermé.",
        "Ça va? à é",
        "Crème brûlée à la française, s’il vous plaît.",
        "Über die Straße, für Müller.",
        "Año nuevo: el niño pidió más información.",
    ],
)
def test_short_undeclared_western_text_stays_windows_1252(words: str) -> None:
    # charset_normalizer alone reads several of these as cp1250, cp1257 or mac-roman
    assert decode_html(f"<p>{words}</p>".encode("cp1252"), content_type=None) == f"<p>{words}</p>"


def test_a_stray_invalid_byte_keeps_a_declared_utf8_page_utf8() -> None:
    body = "<p>Déjà vu: “quoted” naïve</p>".encode() + b"<p>a stray \x92 quote</p>"
    assert decode_html(body, content_type="text/html; charset=utf-8") == (
        "<p>Déjà vu: “quoted” naïve</p><p>a stray \ufffd quote</p>"
    )


@pytest.mark.parametrize(
    ("prefix", "content_type", "named"),
    [
        (b"", "text/html; charset=utf-8", "utf-8, which the Content-Type header declares"),
        (b'<meta charset="utf-8">', None, "utf-8, which its <meta> charset declares"),
        (codecs.BOM_UTF8, None, "utf-8, which its byte-order mark names"),
    ],
)
def test_a_mostly_undecodable_page_is_refused(prefix: bytes, content_type: str | None, named: str) -> None:
    # Bytes from 0x80 up with no structure (a corrupt or binary body): invalid UTF-8, and undetectable.
    junk = bytes(random.Random(7).choices(range(0x80, 0x100), k=3000))
    with pytest.raises(UndecodableError, match=f"non-ASCII characters are not valid in {named}"):
        decode_html(prefix + b"<p>" + junk + b"</p>", content_type=content_type)


@pytest.mark.parametrize("label", ["windows-1252", "ISO-8859-1", "latin1", "us-ascii", '"cp1252"'])
def test_cp1252_page_declared_in_header_decodes(label: str) -> None:
    text = decode_html(CP1252_BODY, content_type=f"text/html; charset={label}")
    assert "café" in text and "naïve" in text and "€" in text


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="windows-1252">',
        "<meta charset=iso-8859-1>",
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=ISO-8859-1">',
    ],
)
def test_cp1252_page_declared_in_meta_decodes(meta: str) -> None:
    body = f"<html><head>{meta}</head><body><p>{WORDS}</p></body></html>".encode("cp1252")
    text = decode_html(body, content_type="text/html")
    assert "café" in text and "naïve" in text and "€" in text


def test_undeclared_cp1252_falls_back_to_windows_1252() -> None:
    assert WORDS in decode_html(CP1252_BODY, content_type=None)


def test_undeclared_utf8_is_read_as_utf8() -> None:
    assert WORDS in decode_html(WORDS.encode("utf-8"), content_type="text/html")


def test_bom_wins_over_header_and_meta() -> None:
    body = codecs.BOM_UTF8 + '<meta charset="windows-1252">café'.encode()
    assert decode_html(body, content_type="text/html; charset=iso-8859-1").endswith("café")
    utf16 = codecs.BOM_UTF16_LE + "naïve".encode("utf-16-le")
    assert decode_html(utf16, content_type="text/html; charset=utf-8") == "naïve"


def test_header_wins_over_meta() -> None:
    body = '<meta charset="windows-1252">café'.encode()
    assert decode_html(body, content_type="text/html; charset=utf-8").endswith("café")


def test_a_meta_in_the_body_is_ignored() -> None:
    body = b"<head><title>x</title></head><body>" + b" " * 5000 + b'<meta charset="koi8-r">' + "café".encode()
    assert decode_html(body, content_type=None).endswith("café")


def test_a_meta_after_kilobytes_of_inline_style_in_the_head_counts() -> None:
    # Only the first 4 KB were looked at: a Turkish page declaring ISO-8859-9 after its styles became mojibake.
    story = "İstanbul'da toplu taşımaya zam geldi."
    head = b"<head><style>" + b"p{margin:0}" * 500 + b'</style><meta charset="iso-8859-9"></head>'
    assert decode_html(head + f"<body><p>{story}</p>".encode("iso-8859-9"), content_type=None).count(story) == 1


def test_a_meta_inside_a_comment_is_no_declaration() -> None:
    story = "В понедельник в Москве открылась новая станция метро."
    body = b'<head><!-- <meta charset="iso-8859-1"> --><meta charset="windows-1251"></head><body>'
    assert story in decode_html(body + story.encode("cp1251"), content_type=None)


@pytest.mark.parametrize(
    ("body", "story"),
    [
        ("<p>気象庁と環境省は２日、熱中症警戒アラートを発表した。</p>".encode()[:-5], "気象庁と環境省は２日"),
        (
            ("<p>La SNCF prévoit un trafic très perturbé à Noël, a déclaré la direction.</p>" * 3)
            .encode()
            .replace("très".encode(), b"tr\x96s", 1),
            "prévoit un trafic",
        ),
        ("<p>気象庁と環境省は２日、熱中症警戒アラートを発表した。</p>".encode("cp932")[:-6], "気象庁と環境省は２日"),
    ],
    ids=["utf-8 cut in its last character", "utf-8 with one cp1252 byte", "shift_jis cut in its last character"],
)
def test_an_undeclared_page_with_a_stray_byte_or_cut_short_is_not_mojibake(body: bytes, story: str) -> None:
    # Strict UTF-8 failed and detection found nothing, so the whole page was read as windows-1252.
    assert story in decode_html(body, content_type=None)


@pytest.mark.parametrize(
    ("label", "encoding"),
    [
        ("x-cp1258", "cp1258"),
        ("iso88592", "iso8859-2"),
        ("koi8", "koi8-r"),
        ("unicodefffe", "utf-16-be"),
        ("cseuckr", "cp949"),
        ("unicode-1-1-utf-8", "utf-8"),
    ],
)
def test_every_label_of_the_encoding_standard_is_known(label: str, encoding: str) -> None:
    assert encoding_for_label(label) == encoding


def test_unknown_and_non_text_labels_fall_back() -> None:
    body = "café".encode()
    for label in ("no-such-charset", "rot13", "base64", "utf-7", "x\x00y"):
        assert decode_html(body, content_type=f"text/html; charset={label}") == "café"


def test_meta_claiming_utf16_means_utf8() -> None:
    assert decode_html(b'<meta charset="utf-16">caf\xc3\xa9', content_type=None).endswith("café")


@pytest.mark.parametrize("label", ["utf-16", "utf-16le", "UTF-16BE"])
def test_a_utf_16_header_over_bytes_without_a_nul_is_the_servers_mistake(label: str) -> None:
    # A review's page: "charset=utf-16" over UTF-8 bytes read as CJK mojibake, and the article was lost as "not an
    # HTML document". UTF-16 markup is every other byte NUL.
    page = '<html><head><meta charset="utf-8"><title>Café</title></head><body><p>Un café.</p></body></html>'
    assert decode_html(page.encode(), content_type=f"text/html; charset={label}") == page
    # Real UTF-16 without a byte-order mark keeps its label.
    codec = "utf-16-be" if label.lower().endswith("be") else "utf-16-le"
    assert decode_html(page.encode(codec), content_type=f"text/html; charset={label}") == page


def test_cp1252_bytes_python_leaves_undefined_map_to_c1_controls() -> None:
    assert decode_html(b"\x81\x8d\x8f\x90\x9d", content_type="text/html; charset=windows-1252") == (
        "\x81\x8d\x8f\x90\x9d"
    )


@pytest.mark.parametrize(
    ("label", "codec"),
    [("ISO-8859-1", "windows-1252"), ("gb2312", "gb18030"), ("Shift_JIS", "cp932"), ("utf8", "utf-8")],
)
def test_labels_map_as_browsers_map_them(label: str, codec: str) -> None:
    assert encoding_for_label(label) == codec


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html, text/html; charset=iso-8859-7",  # httpx joins two Content-Type headers with a comma
        "text/html; charset=utf-8, text/html; charset=iso-8859-7",
        "text/html; charset=iso-8859-7; charset=none",  # an unknown label is skipped, not the header
    ],
)
def test_the_last_valid_charset_of_a_content_type_wins(content_type: str) -> None:
    assert decode_html("<p>Ελληνικά</p>".encode("iso-8859-7"), content_type=content_type) == "<p>Ελληνικά</p>"


def test_a_page_with_a_few_stray_bytes_among_much_ascii_is_kept() -> None:
    # Found by test_fuzz: 17 bytes of 0x80 before <html> were most of an English page's non-ASCII characters.
    body = b"\x80" * 17 + b'<html><head><meta charset="utf-8"></head><body><p>' + b"Council approves budget. " * 80
    text = decode_html(body + "Caf\u00e9 \u2014 late vote.</p></body></html>".encode(), content_type=None)
    assert text.count("\ufffd") == 17 and "Café — late vote." in text


def test_an_undeclared_utf8_page_with_cp1252_quotes_pasted_in_keeps_both() -> None:
    # Twenty cp1252 curly quotes in a UTF-8 page of Russian: read whole as windows-1252, the Russian was mojibake.
    story = "В понедельник в Москве открылась новая станция метро. " * 10
    body = ("<p>" + story + "</p>").encode() + b"<p>\x93Quoted\x94 " * 10 + b"</p>"
    text = decode_html(body, content_type=None)
    assert story in text and text.count("“Quoted”") == 10


@pytest.mark.parametrize(("content_type", "head"), [("text/html; charset=utf-8", ""), (None, '<meta charset="utf-8">')])
def test_a_windows_1252_page_under_a_utf8_label_is_read_as_windows_1252(content_type: str | None, head: str) -> None:
    # Not one valid multi-byte character: each accented letter was a U+FFFD (103 on a review's page, under 1 in
    # 100 of its characters, so the declared reading "fit").
    story = "<p>The minister said on Monday that the budget of the city of Orléans would be voted in June.</p>" * 60
    body = f"<html><head>{head}</head><body>{story}</body></html>".encode("cp1252")
    assert story in decode_html(body, content_type=content_type)


def test_a_utf8_page_with_a_few_stray_bytes_keeps_them_as_replacement_characters_as_browsers_do() -> None:
    story = "Le café de la gare a fermé ses portes après trente ans. " * 20
    body = f"<p>{story}</p>".encode() + b"<p>\x93Quoted\x94</p>"
    text = decode_html(body, content_type="text/html; charset=utf-8")
    assert story in text and "\ufffdQuoted\ufffd" in text


def test_an_undeclared_windows_1252_page_is_still_read_as_windows_1252() -> None:
    text = "<p>Le café de la gare a fermé ses portes après trente ans, a déclaré le maire.</p>"
    assert decode_html(text.encode("cp1252"), content_type=None) == text


_TURKISH = (
    "Türkiye'nin başkenti Ankara'da düzenlenen toplantıda, ekonomi bakanı yeni vergi düzenlemelerini açıkladı."
    " Öğrenciler sınavlara hazırlanıyor. İstanbul'da yağışlı hava bekleniyor."
)
_SUPER_LIG = (
    "Galatasaray, Süper Lig'in 20. haftasında sahasında Kasımpaşa'yı 3-1 yendi. İlk yarıda Fernando Muslera'nın"
    " kurtarışları öne çıktı; ikinci yarıda Lucas Torreira'nın pasında Mauro Icardi golü attı. Okan Buruk"
    " açıklamada Davinson Sánchez ve Rodrigo Fernández'in performansından memnun olduğunu söyledi. Kasımpaşa'da"
    " ise José Rodríguez'in kırmızı kartı maçın kırılma anı oldu."
)
_ERDOGAN = "Erdoğan: Doğu Akdeniz"
_DOGAN = "Doğan Holding"


@pytest.mark.parametrize(
    ("title", "body", "encoding"),
    [
        # Turkish: read as windows-1252, ş ı ğ İ were þ ý ð Ý ("baþkenti", "toplantýda")
        ("Haber", f"<p>{_TURKISH}</p>", "cp1254"),
        # Icelandic and Faroese write ð þ ý too, with á é í ó ú æ: still windows-1252
        (
            "Haber",
            "<p>Það var þá sem ég sá hann í fyrsta sinn. Þú veist að þetta er satt, sagði hún. Ríkisstjórnin"
            " kynnti nýtt frumvarp um veðrið.</p>",
            "cp1252",
        ),
        (
            "Haber",
            "<p>Føroyar eru ein oyggjaflokkur í Norðuratlantshavi. Tað búgva umleið 54.000 fólk í landinum.</p>",
            "cp1252",
        ),
        # a review: a Süper Lig report naming Sánchez, Fernández and José Rodríguez stayed windows-1252 ("Kasýmpaþa")
        ("Galatasaray 3-1", f"<p>{_SUPER_LIG}</p>", "cp1254"),
        # a second review: 13 of the six letters against 2 acutes passed the 3:1 odds; Icelandic writes ð far more
        # than ý, where Turkish writes its dotless ı far more than ğ
        (
            "Veðrið",
            "<h1>Veðrið</h1><p>Það verður að segja það: veðrið var gott og við fórum út að ganga með hundinn.</p>",
            "cp1252",
        ),
        # a third review: short Turkish pages heavy in ğ (Erdoğan, Doğan) were read as windows-1252
        (
            _ERDOGAN,
            f"<h1>{_ERDOGAN}</h1><p>Cumhurbaşkanı Erdoğan, Doğu Akdeniz'de doğalgaz arama çalışmalarının süreceğini"
            " söyledi.</p>",
            "cp1254",
        ),
        (
            _DOGAN,
            f"<h1>{_DOGAN}</h1><p>Doğan Holding, Ağaoğlu ile yeni bir ortaklığa gideceğini duyurdu.</p>",
            "cp1254",
        ),
        # ð in English text naming Icelanders, no Icelandic accent and no dotless ı: still Western text
        (
            "Iceland win",
            "<p>Gylfi Sigurðsson and Eiður Guðjohnsen scored as Iceland beat the hosts; Sigurðsson took the"
            " corner.</p>",
            "cp1252",
        ),
    ],
)
def test_undeclared_western_looking_bytes_are_read_as_turkish_or_as_windows_1252(
    title: str, body: str, encoding: str
) -> None:
    page = f"<html><head><title>{title}</title></head><body>{body}</body></html>"
    assert decode_html(page.encode(encoding), content_type="text/html") == page


@pytest.mark.parametrize("label", ["windows-1251", "koi8-r", "iso-8859-7", "gbk", "shift_jis", "big5", "euc-kr"])
def test_utf8_under_any_legacy_label_is_utf8(label: str) -> None:
    # A server's charset left over from before the site moved to UTF-8: the header wins over the <meta>, and
    # the page came out as mojibake ("Ð\x9dÐ¾Ð²Ð¾Ñ\x81Ñ\x82Ð¸").
    story = "Новости дня: 東京の天気、晴れ。Ειδήσεις. 今日新闻。"
    body = f"<html><head><meta charset='utf-8'></head><body><p>{story}</p></body></html>".encode()
    assert story in decode_html(body, content_type=f"text/html; charset={label}")


@pytest.mark.parametrize(
    ("label", "story"),
    [("windows-1251", "Новости дня"), ("koi8-r", "Новости дня"), ("gbk", "今日新闻"), ("shift_jis", "東京の天気")],
)
def test_a_page_truly_in_its_legacy_label_stays_in_it(label: str, story: str) -> None:
    body = f"<html><body><p>{story}, {story}.</p></body></html>".encode(label)
    assert story in decode_html(body, content_type=f"text/html; charset={label}")


@pytest.mark.parametrize(("label", "word"), [("gbk", "图片"), ("euc-kr", "홈")])
def test_a_legacy_word_that_happens_to_be_valid_utf8_stays_in_its_label(label: str, word: str) -> None:
    # GBK's 图片 is CD BC C6 AC, EUC-KR's 홈 C8 A8: valid UTF-8 ("ͼƬ", "Ȩ"), however often a page repeats them.
    items = "".join(f"<p>Photo {n}: <a href='/{word}/{n}'>{word}</a></p>" for n in range(20))
    body = f"<html><head><meta charset='{label}'></head><body>{items}</body></html>".encode(label)
    for content_type in (f"text/html; charset={label}", None):
        assert word in decode_html(body, content_type=content_type)
    feed = f"<rss version='2.0'><channel><item><title>{word}</title><link>https://n.example/a/1</link></item>"
    feed += "</channel></rss>"
    parsed = parse_feed(feed.encode(label), feed_url="https://n.example/rss", content_type=f"text/xml; charset={label}")
    assert [e.title for e in parsed.entries] == [word]


@pytest.mark.parametrize("label", ["gbk", "gb2312", "gb18030"])
def test_gbk_byte_0x80_is_the_euro_sign_as_browsers_read_it(label: str) -> None:
    # The Encoding Standard's gb18030 decoder (every GBK label's) and Windows' code page 936 read a lone 0x80 as
    # U+20AC; Python's gb18030 codec has no character there, so "15 €" was stored as "15 \ufffd" (a review).
    before, after = "<html><body><p>票价约为 15 ", "，比去年上涨。</p></body></html>"
    body = before.encode("gbk") + b"\x80" + after.encode("gbk")  # Windows' GBK; Python's codec writes no €
    assert "票价约为 15 €，比去年上涨。" in decode_html(body, content_type=f"text/html; charset={label}")


@pytest.mark.parametrize("content_type", ["text/html; charset=gbk", None])
def test_utf8_under_a_gbk_label_with_a_stray_byte_is_still_utf8(content_type: str | None) -> None:
    # A review of the euro sign: UTF-8's "、" and "。" are E3 80 81 and E3 80 82; with 0x80 read as € the GBK
    # reading passed as text and the page was mojibake ("鏂伴椈" for "新闻").
    story = "国务院常务会议周四审议通过了明年的预算草案。财政部长表示，赤字率将保持在百分之三左右、地方债规模扩大。"
    body = b"<html><head><meta charset='gb2312'></head><body>\x96<h1>" + "新闻".encode() + b"</h1><p>"
    body += story.encode() + b"</p></body></html>"
    assert story in decode_html(body, content_type=content_type)


def test_shift_jis_reads_the_wave_dash_minus_and_double_bar_as_browsers_do() -> None:
    # 81 60, 81 7C and 81 61 are U+301C, U+2212 and U+2016 in the Encoding Standard's index (and in EUC-JP here);
    # Python's cp932 gives the fullwidth tilde, hyphen-minus and parallel sign (a review).
    body = b"<html><body><p>\x8c\xdf\x91\x4f9\x8e\x9e\x81\x60 \x81\x7c5 \x81\x61</p></body></html>"
    text = decode_html(body, content_type="text/html; charset=Shift_JIS")
    assert "午前9時〜 −5 ‖" in text
    euc_jp = "<html><body><p>午前9時〜 −5 ‖</p></body></html>".encode("euc_jp")
    assert text == decode_html(euc_jp, content_type="text/html; charset=EUC-JP")


def test_euc_jp_reads_necs_row_13_and_ibms_kanji_as_browsers_do() -> None:
    # ① (AD A1), ㈱ (AD EA) and 髙 (FC E2) are in the Encoding Standard's jis0208 index, not in Python's euc_jp:
    # each was a U+FFFD for its lead byte, and its trail byte garbled the text after it.
    story = "株式会社トヨタ自動車の社長は、売上高が増加したと述べた。"
    body = b'<meta charset="euc-jp"><p>\xad\xa1' + story.encode("euc_jp") + b"\xad\xea\xfc\xe2\xb6\xb6</p>"
    assert decode_html(body, content_type=None) == f'<meta charset="euc-jp"><p>①{story}㈱髙橋</p>'


def test_an_euc_jp_pair_with_no_character_is_one_replacement_character() -> None:
    body = '<meta charset="euc-jp"><p>あ'.encode("euc_jp") + b"\xa9\xa1" + "いう</p>".encode("euc_jp")
    assert decode_html(body, content_type=None) == '<meta charset="euc-jp"><p>あ\ufffdいう</p>'


def test_a_body_still_gzipped_says_so() -> None:
    # Gzipped twice and declared once: "474 of its 509 non-ASCII characters are not valid in utf-8" named no cause.
    # (Refused as any body mostly invalid in its declared encoding is: a few bytes of gzip are not.)
    body = gzip.compress(random.Random(7).randbytes(4_000))
    with pytest.raises(UndecodableError, match="the body is gzip data, not text"):
        decode_html(body, content_type="text/html; charset=utf-8")
