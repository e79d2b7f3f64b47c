"""decode_html on real-shaped pages in the encodings Arabic and Russian sites use, with right,
missing and wrong declarations; normalize_text on the invisible characters of RTL pages."""

import unicodedata
from pathlib import Path

import pytest

from crawler.extract.decode import decode_html, lookup_encoding, normalize_text

ARTICLE_TXT = Path(__file__).parent / "mirror" / "content" / "real_ar_527c77f4d0382ed9.txt"
# Body paragraphs of the real Arabic article (windows-1256 has no Arabic-Indic digits, so the
# date line is left out; real windows-1256 pages print ASCII digits).
ARABIC = (
    "تنوي كل من روسيا وتركيا تشكيل مجموعة عمل مشتركة لحل الوضع في ليبيا. "
    "وجاء ذلك في بيان مشترك صادر عن البلدين ونشرته وزارة الخارجية الروسية على موقعها الإلكتروني "
    "اليوم الأربعاء 22 تموز/ يوليو، عقب المشاورات التي جرت في العاصمة أنقرة."
)
RUSSIAN = (
    "Президент России Владимир Путин провёл телефонный разговор с наследным принцем "
    "Саудовской Аравии. Стороны обсудили ситуацию на Ближнем Востоке и сотрудничество в рамках ОПЕК+."
)


def page(text: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body><h1>News</h1><p>{text}</p></body></html>"


def test_windows_1256_arabic_page_with_http_charset():
    body = page(ARABIC).encode("cp1256")
    text, encoding = decode_html(body, [("Content-Type", "text/html; charset=windows-1256")])
    assert encoding == "windows-1256"
    assert ARABIC in text


def test_windows_1251_russian_page_with_meta_charset_only():
    body = page(RUSSIAN, '<meta charset="windows-1251">').encode("cp1251")
    text, encoding = decode_html(body, [("Content-Type", "text/html")])
    assert (encoding, RUSSIAN in text) == ("windows-1251", True)


def test_meta_http_equiv_with_alias_label_and_mapping_headers():
    head = '<meta http-equiv="Content-Type" content="text/html; charset=x-cp1251">'
    text, encoding = decode_html(page(RUSSIAN, head).encode("cp1251"), {"CONTENT-TYPE": "text/html"})
    assert (encoding, RUSSIAN in text) == ("windows-1251", True)


def test_headers_as_bytes_pairs_like_scrapy_gives_them():
    body = page(RUSSIAN).encode("cp1251")
    text, encoding = decode_html(body, [(b"Content-Type", b"text/html; charset=cp1251")])
    assert (encoding, RUSSIAN in text) == ("windows-1251", True)


@pytest.mark.parametrize(
    "codec, text, expected",
    [
        ("cp1256", ARABIC, "windows-1256"),
        ("cp1251", RUSSIAN, "windows-1251"),
        ("koi8_r", RUSSIAN, "koi8-r"),
        ("utf-8", ARABIC, "utf-8"),
        ("cp1251", RUSSIAN[:80], "windows-1251"),
    ],
    ids=["cp1256", "cp1251", "koi8-r", "utf-8", "cp1251-short"],
)
def test_no_charset_anywhere_is_detected(codec, text, expected):
    decoded, encoding = decode_html(page(text).encode(codec), [])
    assert encoding == expected
    assert text in decoded


@pytest.mark.parametrize(
    "codec, declared, text, expected",
    [
        # A page converted to UTF-8 whose header still says windows-1256 / cp1251.
        ("utf-8", "windows-1256", ARABIC, "utf-8"),
        ("utf-8", "cp1251", RUSSIAN, "utf-8"),
        # latin-1 announced for Cyrillic / Arabic bytes.
        ("cp1251", "iso-8859-1", RUSSIAN, "windows-1251"),
        ("cp1256", "latin1", ARABIC, "windows-1256"),
        # UTF-8 announced, single-byte bytes sent.
        ("cp1251", "utf-8", RUSSIAN, "windows-1251"),
        ("cp1256", "utf8", ARABIC, "windows-1256"),
        # An unknown label is ignored.
        ("cp1251", "no-such-charset", RUSSIAN, "windows-1251"),
    ],
    ids=["utf8-as-1256", "utf8-as-1251", "1251-as-latin1", "1256-as-latin1", "1251-as-utf8",
         "1256-as-utf8", "1251-as-unknown"],
)
def test_wrong_declared_charset_is_corrected(codec, declared, text, expected):
    body = page(text).encode(codec)
    decoded, encoding = decode_html(body, [("content-type", f"text/html; charset={declared}")])
    assert encoding == expected
    assert text in decoded


def test_true_latin_page_declared_latin1_stays_windows_1252():
    text = "Café résumé naïve: plain English text about the meeting in Kazan."
    decoded, encoding = decode_html(page(text).encode("cp1252"), [("content-type", "text/html; charset=ISO-8859-1")])
    assert (encoding, text in decoded) == ("windows-1252", True)


@pytest.mark.parametrize("bom, codec, name", [
    (b"\xef\xbb\xbf", "utf-8", "utf-8"),
    (b"\xff\xfe", "utf-16-le", "utf-16le"),
    (b"\xfe\xff", "utf-16-be", "utf-16be"),
])
def test_bom_wins_over_every_declaration(bom, codec, name):
    body = bom + page(RUSSIAN).encode(codec)
    decoded, encoding = decode_html(body, [("Content-Type", "text/html; charset=windows-1251")])
    assert encoding == name
    assert decoded.startswith("<html>") and RUSSIAN in decoded


def test_empty_body():
    assert decode_html(b"", [("Content-Type", "text/html; charset=utf-8")]) == ("", "utf-8")
    assert decode_html(b"", None) == ("", "utf-8")


def test_binary_garbage_never_raises():
    garbage = bytes(range(256)) * 50 + b"\x00\xff\xfe\x81"
    for headers in ([], [("content-type", "text/html; charset=bogus")], [("content-type", "text/html; charset=utf-8")]):
        text, encoding = decode_html(garbage, headers)
        assert isinstance(text, str) and text
        assert lookup_encoding(encoding) is not None


@pytest.mark.parametrize("declaration", [
    ("content-type", "text/html; charset=idna"), ("content-type", "text/html; charset=punycode"),
    ("content-type", "text/html; charset=undefined"),
])
def test_charsets_of_python_codecs_that_are_no_page_encoding_are_ignored(declaration):
    ascii_page = page("Putin met Erdogan in Sochi").encode("ascii")
    assert decode_html(ascii_page, [declaration]) == (ascii_page.decode("ascii"), "utf-8")
    text, encoding = decode_html(b"\xa8\xd9\x86 \xa7" * 3, [declaration])  # nothing detects it: replaced
    assert encoding in ("utf-8", "windows-1252") and text


def test_undecodable_bytes_in_utf8_page_become_replacement_chars():
    body = page(RUSSIAN).encode("utf-8").replace("Путин".encode(), b"\xff\xfe\xfa")
    text, _ = decode_html(body, [("content-type", "text/html; charset=utf-8")])
    assert "Владимир" in text and "провёл" in text


def test_meta_claiming_utf16_in_ascii_readable_page_means_utf8():
    body = page(ARABIC, '<meta charset="utf-16">').encode("utf-8")
    text, encoding = decode_html(body, [])
    assert (encoding, ARABIC in text) == ("utf-8", True)


def test_real_article_text_round_trips_in_utf8():
    original = ARTICLE_TXT.read_text(encoding="utf-8")
    text, encoding = decode_html(page(original).encode("utf-8"), [])
    assert encoding == "utf-8" and original in text


@pytest.mark.parametrize("label, codec", [
    ("cp1256", "cp1256"), ("windows-1256", "cp1256"), ("x-cp1251", "cp1251"), ("utf8", "utf-8"),
    ("UTF-8", "utf-8"), ("latin-1", "cp1252"), ("ISO-8859-6", "iso8859-6"), ("koi8-r", "koi8-r"),
    ('"windows-1251"', "cp1251"), ("nonsense", None), ("", None),
    # Python codecs that are no page charset: "undefined" fails on any byte, idna and punycode
    # on ordinary text, base64 and rot13 are no text encodings
    ("undefined", None), ("idna", None), ("punycode", None), ("base64", None), ("rot13", None),
])
def test_lookup_encoding_labels(label, codec):
    assert lookup_encoding(label) == codec


def test_normalize_text_invisibles_spaces_and_nfc():
    raw = "\u200f  روسيا\u00a0وتركيا\u200b  \u202bبصدد\u202c\u2066 إطلاق\u2069\n\t مجموعة\u200e "
    assert normalize_text(raw) == "روسيا وتركيا بصدد إطلاق مجموعة"
    # Decomposed "й" and "ё" are composed (NFC); tatweel and ZWNJ are kept.
    assert normalize_text("и\u0306 е\u0308") == "й ё"
    assert normalize_text("مــجموعة") == "مــجموعة"
    assert normalize_text("می\u200cخواهم") == "می\u200cخواهم"
    assert normalize_text("\u00a0") == "" and normalize_text("") == ""
    composed = normalize_text("آ")
    assert composed == unicodedata.normalize("NFC", "آ")
