"""Language of an article: what the page declares, and what its text is.

langdetect is random by design (it samples n-grams); a corpus must give the same label to the
same text on every run, so the detector is seeded, and its profiles (slow to load) are loaded
once per process. Only a bounded sample from the middle of the body is read: headlines,
bylines and footers at the edges are the least representative part, and cost stays flat.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import urlsplit

SAMPLE_CHARS = 1000
MIN_LETTERS = 20
MIN_PROBABILITY = 0.5
SEED = 0

_factory_lock = threading.Lock()
_factory: Any = None


def _detector_factory() -> Any:
    global _factory
    if _factory is None:
        with _factory_lock:
            if _factory is None:
                from langdetect import DetectorFactory, detector_factory

                factory = DetectorFactory()
                factory.load_profile(detector_factory.PROFILES_DIRECTORY)
                factory.seed = SEED
                _factory = factory
    return _factory


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when too short or undecidable."""
    if not text:
        return None
    sample = language_sample(text)
    if sum(1 for ch in sample if ch.isalpha()) < MIN_LETTERS:
        return None
    from langdetect.lang_detect_exception import LangDetectException

    detector = _detector_factory().create()
    detector.append(sample)
    try:
        best = max(detector.get_probabilities(), key=lambda p: p.prob, default=None)
    except LangDetectException:
        return None
    if best is None or best.prob < MIN_PROBABILITY:
        return None
    return primary_subtag(best.lang)


def language_sample(text: str, limit: int = SAMPLE_CHARS) -> str:
    """At most ``limit`` characters: whole paragraphs from the middle of the text outwards."""
    if len(text) <= limit:
        return text
    paragraphs = [p.strip() for p in re.split(r"\n+", text) if p.strip()]
    if len(paragraphs) <= 1:
        middle = len(text) // 2
        return text[max(0, middle - limit // 2): middle + limit // 2]
    middle = len(paragraphs) // 2
    picked: list[tuple[int, str]] = []
    total = 0
    for offset in range(len(paragraphs)):
        index = middle + (offset + 1) // 2 * (1 if offset % 2 else -1)
        if not 0 <= index < len(paragraphs):
            continue
        paragraph = paragraphs[index][: limit - total]
        picked.append((index, paragraph))
        total += len(paragraph) + 1
        if total >= limit:
            break
    return "\n".join(p for _, p in sorted(picked))


def primary_subtag(tag: str | None) -> str | None:
    """"ar-SA", "ru_RU", "zh-cn", " EN " -> "ar", "ru", "zh", "en"; None if not a language tag."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def declared_language(root: Any, url: str, site: Any = None) -> str | None:
    """The language the page says it is in: <html lang>/xml:lang, Content-Language meta, else
    the site's URL language prefix (longest matching prefix)."""
    if root is not None:
        rtl = _page_direction(root) == "rtl"
        for value in _declared_values(root):
            code = _LANGUAGE_NAMES.get(value.strip().lower()) or primary_subtag(value)
            if code and rtl and code not in RTL_LANGUAGES:
                # CMS default left in place (WordPress 'en-US' on an Arabic dir=rtl page).
                continue
            if code:
                return code
    return language_of_url(url, site)


RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "yi", "ps", "ckb", "ku", "dv", "sd", "ug"})
# Names some pages put where a code belongs (<meta name="language" content="Arabic">).
_LANGUAGE_NAMES = {
    "arabic": "ar", "russian": "ru", "english": "en", "العربية": "ar", "русский": "ru",
    "persian": "fa", "farsi": "fa", "turkish": "tr", "french": "fr", "german": "de",
}


def _page_direction(root: Any) -> str:
    try:
        html = root.getroottree().getroot()
    except AttributeError:
        return ""
    return (html.get("dir") or "").strip().lower()


def _declared_values(root: Any) -> list[str]:
    values = []
    try:
        html = root.getroottree().getroot()
    except AttributeError:
        html = None
    if html is not None:
        values += [html.get("lang"), html.get("{http://www.w3.org/XML/1998/namespace}lang"), html.get("xml:lang")]
    for meta in root.iter("meta"):
        key = (meta.get("http-equiv") or meta.get("name") or meta.get("property") or "").strip().lower()
        if key in ("content-language", "language", "dc.language", "og:locale"):
            # Content-Language may list several ("ar, en"): the first is the main one.
            values.append((meta.get("content") or "").split(",")[0])
    return [v for v in values if v]


def language_of_url(url: str, site: Any) -> str | None:
    """The language whose prefix (e.g. /ar/) is the longest one the URL path starts with."""
    languages = getattr(site, "languages", None)
    if not url or not languages:
        return None
    try:
        path = urlsplit(url).path or "/"
    except ValueError:
        return None
    best = None
    for code, language in languages.items():
        prefix = language.prefix
        if path.startswith(prefix) or path + "/" == prefix:
            if best is None or len(prefix) > len(languages[best].prefix):
                best = code
    return best
