"""Source attribution lines ("المصدر: تاس", "Источник: РИА Новости", "Source: TASS").

Researchers count and filter articles by the agency they were taken from, across three
languages, so each attribution gets one canonical English name from crawler/config/sources.yaml
(``name``) next to the text as printed (``raw``). Photo credits name agencies too, but they
credit a picture, not the text, and are never taken for the article's source.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Mapping
from urllib.parse import urlsplit

MAX_ATTRIBUTION_CHARS = 120

# Words that open a photo/video credit in any of the site's languages.
_CREDIT_WORDS = (
    "фото", "фотография", "фотографии", "видео", "иллюстрация", "photo", "photos", "image",
    "picture", "video", "credit", "credits", "illustration", "الصورة", "صورة", "الصور", "صور",
    "فيديو", "الفيديو", "تصوير",
)
_CREDIT_RE = re.compile(
    r"^\W*(?:" + "|".join(map(re.escape, _CREDIT_WORDS)) + r")(?![\w])", re.IGNORECASE
)
# Words dropped from the front of a name before lookup ("وكالة تاس", "агентство ТАСС", "the AP").
_LEADING_WORDS = (
    "وكاله", "وكالات", "موقع", "صحيفه", "قناه", "агентство", "агентства", "информационное",
    "иа", "миа", "издание", "газета", "сайт", "телеканал", "the", "agency", "news agency",
)
_SEPARATORS = r"[:：\-–—]"
# Labels of an attribution line in every language, used besides the site file's own
# (``extract.source_labels``): a minimal site file finds "Source: Reuters" too.
DEFAULT_SOURCE_LABELS: dict[str, tuple[str, ...]] = {
    "en": ("Source", "Sources"),
    "ar": ("المصدر", "مصدر", "المصادر"),
    "ru": ("Источник", "Источники"),
}
# An agency dateline opening the text: "DOHA (Reuters) – ...", "ABU DHABI, May 3 (WAM) – ...",
# "الخرطوم (أسوشيتد برس) - ..."; and the Arabic agencies' slashes: "مسقط في 11 أبريل /العمانية/ ...".
_DATELINE = re.compile(
    r"^(?P<place>[^\W\d_][^()/\n.!?؟]{0,60}?)\s*"
    r"(?:\((?P<name>[^()\n]{1,40})\)\s*[-–—:]|/\s*(?P<slashed>[^/\n]{1,30}?)\s*/)\s*(?P<rest>\S.*)$")
# An agency in brackets closing the text: "... the minister said. (AFP)", "(أ ف ب)", "/واس/".
_CLOSING_MARK = re.compile(r"^(?P<rest>.*?)\s*(?:\((?P<name>[^()\n]{1,40})\)|/\s*(?P<slashed>[^/\n]{1,30}?)\s*/)\s*\.?$")
_DATELINE_PLACE_WORDS = 6
_WORD = re.compile(r"[^\W_]")
_ARABIC_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_QUOTES_AND_PUNCT = re.compile(r"[«»\"“”„‟'‘’`´(){}\[\]<>.,;:!?؟،؛/\\|*_+=~#@&%^$-]")


def name_key(name: str) -> str:
    """Lookup key of a source name: case, Arabic letter variants, diacritics, quotes and
    punctuation do not count."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _ARABIC_DIACRITICS.sub("", text)
    text = text.translate(str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ё": "е"}))
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    text = _QUOTES_AND_PUNCT.sub(" ", text)
    return " ".join(text.split())


def _without_leading_words(key: str) -> str:
    changed = True
    while changed:
        changed = False
        for word in _LEADING_WORDS:
            if key.startswith(word + " ") and len(key) > len(word) + 1:
                key = key[len(word) + 1:]
                changed = True
    return key


def _without_arabic_article(key: str) -> str:
    """Drop "ال" from the start of Arabic words long enough to carry it (الأناضول -> اناضول)."""
    return " ".join(w[2:] if w.startswith("ال") and len(w) > 4 else w for w in key.split())


class SourceMatcher:
    """Finds attribution lines and maps source names to canonical names; built once per site."""

    def __init__(self, aliases: Mapping[str, Any], labels: Mapping[str, Any]):
        self._index: dict[str, str] = {}
        for canonical, names in aliases.items():
            for name in (canonical, *names):
                for key in self._keys(name):
                    self._index.setdefault(key, canonical)
        self._labels: dict[str, tuple[str, ...]] = {
            lang: tuple(sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True))
            for lang, words in labels.items()
        }
        self._patterns: dict[str | None, re.Pattern[str]] = {}

    @classmethod
    def from_site(cls, site: Any) -> SourceMatcher:
        labels = {lang: (*site.extract.source_labels.get(lang, ()), *words)
                  for lang, words in DEFAULT_SOURCE_LABELS.items()}
        for lang, words in site.extract.source_labels.items():
            labels.setdefault(lang, tuple(words))
        return cls(site.source_aliases, labels)

    @staticmethod
    def _keys(name: str) -> list[str]:
        key = name_key(name)
        forms = [key, _without_leading_words(key)]
        forms += [_without_arabic_article(f) for f in forms]
        return [f for f in dict.fromkeys(forms) if f]

    def canonical_name(self, raw: str) -> str | None:
        """Canonical name of a source as printed, or None when it is not a known source."""
        if not raw or not raw.strip():
            return None
        raw = raw.strip()
        host = _hostname(raw)
        if host:
            return self._by_host(host)
        for key in self._keys(raw):
            if key in self._index:
                return self._index[key]
        # "تاس الروسية", "ТАСС (Москва)": a known name followed by a qualifier.
        words = _without_leading_words(name_key(raw)).split()
        for length in range(len(words) - 1, 0, -1):
            if len(words) - length > 2:
                break
            for key in self._keys(" ".join(words[:length])):
                if key in self._index and len(key) >= 2:
                    return self._index[key]
        return None

    def _by_host(self, host: str) -> str | None:
        parts = host.lower().split(".")
        for i in range(len(parts) - 1):
            name = self._index.get(name_key(".".join(parts[i:])))
            if name:
                return name
        return None

    def parse_attribution(self, line: str, language: str | None = None) -> dict | None:
        """{"name": canonical or None, "raw": name as printed} for an attribution line; None for
        any other line, photo credits included."""
        if not line:
            return None
        text = " ".join(line.split()).strip()
        if not text or len(text) > MAX_ATTRIBUTION_CHARS or _CREDIT_RE.match(text):
            return None
        bracketed = _strip_brackets(text)
        m = self._pattern(language).match(bracketed)
        if not m:
            return self._agency_mark(text)
        text = bracketed
        raw = m.group("raw").strip(" .;,،")
        raw = _strip_brackets(raw).strip(" .;,،")
        if not raw or _CREDIT_RE.match(raw):
            return None  # "Источник фото: ТАСС"
        name = self.canonical_name(raw)
        if m.group("sep") is None and name is None:
            # "Source TASS" is an attribution; "Source of the conflict ..." is a sentence.
            return None
        if name is None:
            first = re.split(r"\s*(?:[,;،/]|\s+и\s+|\s+and\s+|\s+و)\s*", raw, maxsplit=1)[0]
            name = self.canonical_name(first) if first != raw else None
        return {"name": name, "raw": raw}

    def _agency_mark(self, line: str) -> dict | None:
        """A line that is only a known agency in brackets or slashes: "(AFP)", "(أ ف ب)", "/واس/"."""
        mark = _CLOSING_MARK.match(line)
        if mark is None or mark.group("rest").strip():
            return None
        raw = (mark.group("name") or mark.group("slashed") or "").strip()
        name = self.canonical_name(raw)
        return {"name": name, "raw": raw} if name else None

    def take_agency_marks(self, lines: list[str]) -> tuple[list[str], dict | None]:
        """The body without the agency marks that open or close its text, and the agency they name.

        A mark closing the last paragraph ("... the minister said. (AFP)") is looked for first,
        then an opening dateline ("DOHA (Reuters) – ..."). (A mark on a line of its own is an
        attribution line: ``parse_attribution``.) Only known agencies count: "(2024)" or
        "Paris (France) – ..." is prose and stays."""
        if not lines:
            return lines, None
        lines, source = list(lines), None
        closing = _CLOSING_MARK.match(lines[-1])
        if closing and closing.group("rest").strip():
            raw = (closing.group("name") or closing.group("slashed") or "").strip()
            name = self.canonical_name(raw)
            if name:
                source = {"name": name, "raw": raw}
                rest = closing.group("rest").strip()
                lines = lines[:-1] + ([rest] if _WORD.search(rest) else [])  # "-- (بترا)": nothing left
        opening = _DATELINE.match(lines[0]) if lines else None
        if opening and len(opening.group("place").split()) <= _DATELINE_PLACE_WORDS:
            raw = (opening.group("name") or opening.group("slashed") or "").strip()
            name = self.canonical_name(raw)
            if name:
                source = source or {"name": name, "raw": raw}
                lines[0] = opening.group("rest").strip()
        return lines, source

    def _pattern(self, language: str | None) -> re.Pattern[str]:
        """Labels of every language, the page language's first."""
        if language not in self._patterns:
            order = ([language] if language in self._labels else []) + [
                lang for lang in self._labels if lang != language
            ]
            words = [w for lang in order for w in self._labels[lang]]
            alternation = "|".join(map(re.escape, dict.fromkeys(words))) or r"(?!x)x"
            self._patterns[language] = re.compile(
                rf"^(?:{alternation})(?![\w])\s*(?:(?P<sep>{_SEPARATORS})\s*|\s)(?P<raw>\S.*)$",
                re.IGNORECASE,
            )
        return self._patterns[language]


def _strip_brackets(text: str) -> str:
    text = text.strip()
    while len(text) > 2 and text[0] + text[-1] in ("()", "[]", "{}", "«»"):
        text = text[1:-1].strip()
    return text


def _hostname(raw: str) -> str | None:
    candidate = raw.strip()
    if re.match(r"^(?:https?://|www\.)", candidate, re.IGNORECASE):
        if not candidate.lower().startswith("http"):
            candidate = "http://" + candidate
        try:
            host = urlsplit(candidate).hostname
        except ValueError:
            return None
        return host.removeprefix("www.") if host else None
    if re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", candidate, re.IGNORECASE):
        return candidate.lower().removeprefix("www.")
    return None
