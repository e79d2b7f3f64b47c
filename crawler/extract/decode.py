"""Bytes of a page to text, and text normalisation shared by every extracted field.

Arabic and Russian news sites still serve windows-1256, windows-1251 and koi8-r pages, and their
declarations are often wrong (latin-1 announced for Cyrillic bytes, windows-1256 announced for
a page converted to UTF-8 long ago). A wrong guess ruins a whole article silently, so every
declaration is checked against the bytes before it is believed.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Iterable

log = logging.getLogger(__name__)

META_SCAN_BYTES = 4096
# Detection runs on a sample: enough non-ASCII text to decide, cheap on large pages.
DETECTION_SAMPLE_BYTES = 64 * 1024
# Tried first by detection: the encodings of Arabic, Russian and English news sites.
PREFERRED_ENCODINGS = (
    "utf_8", "cp1256", "cp1251", "koi8_r", "iso8859_6", "iso8859_5", "cp866", "mac_cyrillic",
    "cp1252",
)

# WHATWG Encoding Standard labels Python's codecs do not know, or knows differently.
_LABEL_ALIASES = {
    "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8", "x-unicode20utf8": "utf-8",
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "l1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252", "iso_8859-1": "cp1252",
    "x-cp1251": "cp1251", "x-cp1256": "cp1256", "x-cp1252": "cp1252",
    "windows-1256": "cp1256", "windows-1251": "cp1251", "windows-1252": "cp1252",
    "cp-1256": "cp1256", "cp-1251": "cp1251", "win-1251": "cp1251", "win1251": "cp1251",
    "win-1256": "cp1256", "win1256": "cp1256", "arabic": "iso8859_6", "asmo-708": "iso8859_6",
    "iso-8859-6-i": "iso8859_6", "iso-8859-6-e": "iso8859_6", "cyrillic": "iso8859_5",
    "koi": "koi8_r", "koi8": "koi8_r", "csKOI8R": "koi8_r", "koi8-u": "koi8_u", "koi8-ru": "koi8_u",
    "x-mac-cyrillic": "mac_cyrillic", "ibm866": "cp866", "866": "cp866",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "shift-jis": "shift_jis",
    "tis-620": "cp874", "iso-8859-9": "cp1254", "latin5": "cp1254", "iso-8859-11": "cp874",
    "unicode": "utf_16_le", "utf-16": "utf_16_le", "ucs-2": "utf_16_le",
}
# Python codec name -> the name given back to callers (web-style).
_WEB_NAMES = {
    "utf-8": "utf-8", "cp1256": "windows-1256", "cp1251": "windows-1251", "cp1252": "windows-1252",
    "cp1254": "windows-1254", "koi8-r": "koi8-r", "koi8-u": "koi8-u", "iso8859-6": "iso-8859-6",
    "iso8859-5": "iso-8859-5", "cp866": "ibm866", "mac-cyrillic": "x-mac-cyrillic",
    "utf-16-le": "utf-16le", "utf-16-be": "utf-16be", "utf-32-le": "utf-32le",
    "utf-32-be": "utf-32be", "gb18030": "gb18030", "cp874": "windows-874",
}
_SINGLE_BYTE_LATIN = {"cp1252", "latin-1", "iso8859-15", "cp1254", "ascii"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_META_RE = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)


def decode_html(body: bytes, headers: Any = None) -> tuple[str, str]:
    """(text, encoding name) of an HTML page. Order: BOM, HTTP charset, <meta> charset,
    detection; a declaration that does not fit the bytes loses to UTF-8 or to detection.
    Never raises: undecodable bytes become U+FFFD."""
    if not body:
        return "", "utf-8"
    if isinstance(body, str):  # already text (a caller's shortcut): nothing to decode
        return body, "utf-8"
    body = bytes(body)
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, errors="replace"), _web_name(codec)

    declared = [c for c in (_http_charset(headers), _meta_charset(body)) if c]
    for codec in declared:
        text = _strict(body, codec)
        if text is None:
            log.debug("declared charset %s does not decode the page", codec)
            continue
        if codec != "utf-8" and _is_non_ascii_utf8(body):
            # Valid multi-byte UTF-8 by chance in a single-byte page is vanishingly rare:
            # the declaration is stale.
            return body.decode("utf-8"), "utf-8"
        if codec in _SINGLE_BYTE_LATIN and _looks_misdeclared_latin(text):
            detected = _detect(body)
            if detected and detected not in _SINGLE_BYTE_LATIN:
                return _decode(body, detected)
        return text, _web_name(codec)

    if _strict(body, "utf-8") is not None:
        return body.decode("utf-8"), "utf-8"
    detected = _detect(body)
    if detected:
        return _decode(body, detected)
    # Last resort: the first declaration, else UTF-8, replacing what does not decode.
    return _decode(body, declared[0] if declared else "utf-8")


def lookup_encoding(label: str | None) -> str | None:
    """A charset label as found in headers or HTML -> Python codec name, or None if unknown."""
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    key = _LABEL_ALIASES.get(key, key)
    try:
        info = codecs.lookup(key)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_PAGE_ENCODINGS:
        return None  # base64, rot13, idna, punycode...: Python codecs, not charsets of any page
    return _codec_name(info.name)


# Python text codecs that are no page charset and fail on ordinary bytes with a bare UnicodeError.
_NOT_PAGE_ENCODINGS = frozenset({"undefined", "idna", "punycode"})


def _codec_name(name: str) -> str:
    name = name.replace("_", "-")
    return {"iso8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252"}.get(name, name)


def _web_name(codec: str) -> str:
    return _WEB_NAMES.get(codec, codec)


def _header_values(headers: Any, wanted: str) -> Iterable[str]:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    values = []
    try:
        for name, value in items:
            if isinstance(name, bytes):
                name = name.decode("latin-1")
            if str(name).lower() != wanted:
                continue
            for v in value if isinstance(value, (list, tuple)) else [value]:
                values.append(v.decode("latin-1") if isinstance(v, bytes) else str(v))
    except (TypeError, ValueError):
        log.debug("unusable headers object %r", type(headers))
    return values


def _http_charset(headers: Any) -> str | None:
    for value in _header_values(headers, "content-type"):
        m = _CHARSET_RE.search(value.encode("latin-1", "replace"))
        if m:
            codec = lookup_encoding(m.group(1).decode("ascii", "replace"))
            if codec:
                return codec
    return None


def _meta_charset(body: bytes) -> str | None:
    head = body[:META_SCAN_BYTES]
    for tag in _META_RE.findall(head):
        m = _CHARSET_RE.search(tag)
        if m:
            codec = lookup_encoding(m.group(1).decode("ascii", "replace"))
            if codec and codec.startswith(("utf-16", "utf-32")):
                # An ASCII-readable <meta> cannot be in UTF-16: WHATWG reads it as UTF-8.
                return "utf-8"
            if codec:
                return codec
    return None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeError, LookupError):
        return None


def _decode(body: bytes, codec: str) -> tuple[str, str]:
    try:
        return body.decode(codec, errors="replace"), _web_name(codec)
    except (UnicodeError, LookupError):  # a codec without the "replace" handler
        return body.decode("utf-8", errors="replace"), "utf-8"


def _is_non_ascii_utf8(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _looks_misdeclared_latin(text: str) -> bool:
    """Cyrillic or Arabic bytes read as latin-1 give runs of accented capitals and symbols
    (ÐÑÓÇáí...): many Latin-1 supplement letters and few ASCII letters in the words."""
    sample = text[:20000]
    high = sum(1 for ch in sample if "\u00c0" <= ch <= "\u00ff")
    letters = sum(1 for ch in sample if ch.isalpha())
    return letters > 0 and high / letters > 0.3


def _detect(body: bytes) -> str | None:
    """charset-normalizer on a sample, trying the expected encodings first."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return None
    sample = _detection_sample(body)
    for isolation in (list(PREFERRED_ENCODINGS), None):
        try:
            best = from_bytes(sample, cp_isolation=isolation).best()
        except Exception as exc:  # the detector must never break a crawl
            log.debug("charset detection failed: %s", exc)
            return None
        if best is not None:
            return lookup_encoding(best.encoding)
    return None


def _detection_sample(body: bytes) -> bytes:
    """The part of the page with text in it: markup-heavy heads dilute the detector."""
    if len(body) <= DETECTION_SAMPLE_BYTES:
        return body
    first = next((i for i, b in enumerate(body) if b >= 0x80), 0)
    start = max(0, first - 256)
    return body[start:start + DETECTION_SAMPLE_BYTES]


# --- text normalisation ------------------------------------------------------------------------

# Invisible characters removed outright: zero-width space, word joiner, BOM, soft hyphen and
# bidi controls (LRM/RLM/ALM, embeddings, overrides, isolates). ZWNJ/ZWJ (U+200C/U+200D) stay:
# they change letter shapes in Persian and Urdu words and join emoji. Tatweel (U+0640) stays:
# it is part of how the text was printed.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]+")


def normalize_text(s: str) -> str:
    """NFC, invisible controls removed, every whitespace run (nbsp included) one space, stripped."""
    if not s:
        return ""
    if len(s) <= _MEMO_CHARS:
        return _short_normalized(s)
    return _normalized(s)


# Menus, sidebars and labels repeat on every page of a site (and are read several times per
# page): the forms of short texts are memoised.
_MEMO_CHARS = 300


@lru_cache(maxsize=4096)  # at most a few MB
def _short_normalized(s: str) -> str:
    return _normalized(s)


def _normalized(s: str) -> str:
    if not s.isascii():  # ASCII is already NFC and has no invisible characters
        s = unicodedata.normalize("NFC", s)
        if _INVISIBLE.search(s):
            s = _INVISIBLE.sub("", s)
    # str.split() splits at every str.isspace() character: all Unicode spaces, nbsp, U+202F,
    # U+3000, line and paragraph separators included (checked over every code point).
    return " ".join(s.split())
