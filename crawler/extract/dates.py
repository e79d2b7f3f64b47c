"""Publication dates: native parsing (ar/ru/en), finding a date in a page, the date in a URL.

dateparser is the engine; this module first finds *where* a date is printed (regex spans per
language, so the printed form can be kept as ``raw``) and normalises what dateparser does not
know: Arabic-Indic/Persian digits, Levantine month names (تموز, تشرين الأول ...) and the double
month form of Arabic news sites ("ابريل/نيسان", "تموز/ يوليو").
"""

from __future__ import annotations

import heapq
import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser

log = logging.getLogger(__name__)

MIN_YEAR = 1990
# A candidate more than this many days away from the URL date disagrees with it.
URL_AGREEMENT_DAYS = 3
# How far past the title element the printed date is looked for.
MAX_TEXT_NODES_AFTER_TITLE = 40
MAX_CHARS_AFTER_TITLE = 3000

# --- digits ------------------------------------------------------------------------------

# One character in, one character out, so spans found in the normalised text are spans of the
# original text too (``raw`` keeps the printed digits).
_DIGIT_TABLE = str.maketrans(
    {
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic ٠-٩
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Extended Arabic-Indic (Persian) ۰-۹
        "\u060c": ",",  # Arabic comma ،
        "\u060d": "/",  # Arabic date separator ؍
        "\u066b": ".",  # Arabic decimal separator ٫
        "\u066c": ",",  # Arabic thousands separator ٬
        "\u061b": ";",  # Arabic semicolon ؛
        "\u00a0": " ",
        "\u202f": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u200e": " ",  # bidi marks often wrap digits in RTL pages
        "\u200f": " ",
        "\u061c": " ",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u0640": " ",  # tatweel inside a month name would break the match
    }
)


def normalize_digits(text: str) -> str:
    """Arabic-Indic and Persian digits to ASCII, Arabic punctuation to ASCII; same length."""
    return text.translate(_DIGIT_TABLE)


# --- month and weekday names ---------------------------------------------------------------

_A = "[اأإآ]"  # alef with or without hamza: printed pages mix them freely
_Y = "[يى]"
_H = "[هة]"

# (regex, month number). Egyptian/Gulf, Maghreb/Algerian and Levantine (Syriac) names.
_ARABIC_MONTHS: list[tuple[str, int]] = [
    (f"كانون\\s+(?:ال)?ثان{_Y}", 1), (f"كانون\\s+{_A}ل{_A}ول", 12),
    (f"تشر{_Y}ن\\s+(?:ال)?ثان{_Y}", 11), (f"تشر{_Y}ن\\s+{_A}ل{_A}ول", 10),
    ("شباط", 2), (f"{_A}ذار", 3), (f"ن{_Y}سان", 4), (f"{_A}{_Y}ار", 5), (f"حز{_Y}ران", 6),
    ("تموز", 7), (f"{_A}{_Y}لول", 9), (f"{_A}ب", 8),
    (f"{_Y}نا{_Y}ر", 1), (f"جانف{_Y}", 1), (f"فبرا{_Y}ر", 2), (f"ف{_Y}فر{_Y}", 2), ("مارس", 3),
    (f"{_A}برا?{_Y}ل", 4), (f"{_A}فر{_Y}ل", 4), (f"ما{_Y}و", 5), (f"ما{_Y}", 5),
    (f"{_Y}ون{_Y}و", 6), (f"{_Y}ون{_Y}{_H}", 6), ("جوان", 6),
    (f"{_Y}ول{_Y}وز?", 7), (f"{_Y}ول{_Y}{_H}", 7), (f"جو{_Y}ل{_Y}{_H}", 7),
    (f"{_A}غسطس", 8), (f"{_A}وت", 8), ("غشت", 8),
    ("سبتمبر", 9), ("شتنبر", 9), (f"{_A}كتوبر", 10), ("نوفمبر", 11), ("نونبر", 11),
    ("د[يى]سمبر", 12), ("دجنبر", 12),
]
# The name dateparser knows for each month number (Egyptian/Gulf forms).
_ARABIC_MONTH_NAMES = {
    1: "يناير", 2: "فبراير", 3: "مارس", 4: "أبريل", 5: "مايو", 6: "يونيو",
    7: "يوليو", 8: "أغسطس", 9: "سبتمبر", 10: "أكتوبر", 11: "نوفمبر", 12: "ديسمبر",
}
_RUSSIAN_MONTHS = (
    r"января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|"
    r"январь|февраль|март|апрель|май|июнь|июль|август|сентябрь|октябрь|ноябрь|декабрь|"
    r"янв|фев|февр|мар|апр|июн|июл|авг|сен|сент|окт|ноя|нояб|дек"
)
_ENGLISH_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_ARABIC_WEEKDAYS = f"(?:ال)?(?:{_A}حد|اثن{_Y}ن|إثن{_Y}ن|ثلاثاء|{_A}ربعاء|خم{_Y}س|جمع{_H}|سبت)"
_RUSSIAN_WEEKDAYS = r"понедельник|вторник|среда|среду|четверг|пятница|пятницу|суббота|субботу|воскресенье|пн|вт|ср|чт|пт|сб|вс"
_ENGLISH_WEEKDAYS = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun"

_ARABIC_MONTH_RE = "|".join(f"(?:{p})" for p, _ in _ARABIC_MONTHS)
_ARABIC_MONTH_LOOKUP = [(re.compile(f"^(?:{p})$"), n) for p, n in _ARABIC_MONTHS]
# "ابريل/نيسان", "تموز/ يوليو", "يوليو (تموز)": one month printed under two names.
_ARABIC_MONTH_EXPR = (
    f"(?P<armonth>(?:{_ARABIC_MONTH_RE})(?:\\s*[/\\-]\\s*(?:{_ARABIC_MONTH_RE})|\\s*\\(\\s*(?:{_ARABIC_MONTH_RE})\\s*\\))?)"
)
_AR_WORD_END = r"(?![\u0621-\u064a])"
_AR_WORD_START = r"(?<![\u0621-\u064a])"

_AR_MORNING = "(?:صباح[اًا]*|ص)"
_AR_EVENING = "(?:مساء[ًا]*|م)"
_TIME = rf"\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:\s*(?:[AaPp]\.?[Mm]\.?|{_AR_MORNING}|{_AR_EVENING})(?![\w]))?"
_TIME_AFTER = (
    rf"(?:\s*(?:,|\||-|в|at|الساعة|الساعه|،)?\s*(?P<time>{_TIME})"
    r"(?:\s*(?P<tz>[+-]\d{2}:?\d{2}|UTC|GMT|МСК|MSK|\(МСК\)))?)?"
)
_TIME_BEFORE = rf"(?:(?P<time0>{_TIME})\s*(?:,|\||-|/)?\s*)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})(?!\d)"

_ISO = re.compile(
    r"(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
)
_NUMERIC = re.compile(
    _TIME_BEFORE
    + r"(?<!\d)(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d{2}|(?:19|20)\d{2}[./]\d{1,2}[./]\d{1,2})(?![\d.]\d)"
    + r"(?:\s*г\.?)?"
    + _TIME_AFTER
)
_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "ar": [
        re.compile(
            rf"(?:{_AR_WORD_START}{_ARABIC_WEEKDAYS}\s*[,،]?\s*)?"
            rf"(?<!\d)\d{{1,2}}\s*(?:من\s+)?{_AR_WORD_START}{_ARABIC_MONTH_EXPR}{_AR_WORD_END}\s*[,،]?\s*(?:عام\s+|سن[ةه]\s+)?{_YEAR}"
            rf"(?:\s*م(?![\u0621-\u064a]))?{_TIME_AFTER}"
        ),
    ],
    "ru": [
        re.compile(
            rf"{_TIME_BEFORE}(?:(?:{_RUSSIAN_WEEKDAYS})\.?,?\s+)?"
            rf"(?<!\d)\d{{1,2}}\s+(?:{_RUSSIAN_MONTHS})\.?,?\s+{_YEAR}(?:\s*(?:г\.|года|год|г)(?!\w))?{_TIME_AFTER}",
            re.IGNORECASE,
        ),
    ],
    "en": [
        re.compile(
            rf"{_TIME_BEFORE}(?:(?:{_ENGLISH_WEEKDAYS})\.?,?\s+)?"
            rf"(?:(?:{_ENGLISH_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?"
            rf"|(?<!\d)\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_ENGLISH_MONTHS})\.?),?\s+{_YEAR}{_TIME_AFTER}",
            re.IGNORECASE,
        ),
    ],
}
_LANGUAGES = ("ar", "ru", "en")
# Anchors of the patterns above, cheap to search for: every match of a pattern holds a place
# where its anchor matches (the day number before a month name, a month name before a day...).
# The full patterns are slow (optional times and weekdays tried at every position of the text),
# so they only run around each anchor (_matches), with the same matches as a scan of the text.
_NUMERIC_ANCHOR = re.compile(r"\d[./-]\d{1,2}[./-]\d")
_PATTERN_ANCHORS: dict[str, re.Pattern[str]] = {
    "ar": re.compile(r"\d\s*(?:من\s+)?[\u0621-\u064a]"),
    "ru": re.compile(r"\d\s+(?:янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек)", re.IGNORECASE),
    "en": re.compile(
        r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d"
        r"|\d(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
        re.IGNORECASE,
    ),
}
# The English anchor run case-sensitively on the lower-cased text (three times faster; same
# positions when no character lower-cases to two, i.e. no "İ"): besides upper case, the
# IGNORECASE anchor accepts "ſ" for "s" and "ı", "ſ" in [a-z], which lower() keeps.
_EN_MONTH_PREFIXES = "jan|feb|mar|apr|may|jun|jul|aug|[sſ]ep|oct|nov|dec"
_EN_ANCHOR_LOWERED = re.compile(
    rf"(?:{_EN_MONTH_PREFIXES})[a-zſı]*\.?\s+\d|\d(?:[sſ]t|nd|rd|th)?\s+(?:of\s+)?(?:{_EN_MONTH_PREFIXES})"
)


@dataclass(frozen=True)
class PublishedDate:
    """A publication date: ``iso`` is YYYY-MM-DD, or a full ISO datetime with offset when a
    time is printed; ``raw`` is the text as the page (or URL) printed it."""

    iso: str
    raw: str

    @property
    def day(self) -> date:
        return date.fromisoformat(self.iso[:10])


# --- parsing one date ------------------------------------------------------------------------


def parse_date(
    text: str, language: str | None, *, timezone: str = "Europe/Moscow"
) -> PublishedDate | None:
    """The date printed in a short string (a date line, a meta value); None when there is none
    or it is implausible (before 1990, or after next year)."""
    if not text or not isinstance(text, str):
        return None
    text = text.strip()
    found = _first_date(text, language, timezone)
    if found:
        return found
    if len(text) <= 64 and re.search(r"(?:19|20)\d{2}", normalize_digits(text)):
        # Forms no span pattern covers ("Wed, 22 Jul 2020 10:00:00 GMT"): the whole string.
        return _parse_span(text, "other", language, timezone)
    return None


def find_date_in_text(
    text: str, language: str | None, *, timezone: str = "Europe/Moscow", max_chars: int = 5000
) -> PublishedDate | None:
    """The first date expression in a longer text (the lines after a title), or None."""
    if not text:
        return None
    return _first_date(text[:max_chars], language, timezone)


_ANY_YEAR = re.compile(r"(?:19|20)\d{2}")
_SPACE_RUN = re.compile(r"\s{2,}")
_ALEF_RUN = re.compile("[\u0627\u064b]{2,}")  # the repeatable tail of صباحاً / مساءً in _TIME


def _reach(norm: str) -> tuple[int, int]:
    """(before, after): a match of any pattern above holding an anchor at q lies within
    [q - before, q + after) of ``norm``, the character after it included. Its parts are
    bounded (a time and its AM/PM word, separators, a weekday, day, month and year names, a
    time zone) but for runs of spaces and the alefs of صباحاً, at most the longest in the text."""
    spaces = max(map(len, _SPACE_RUN.findall(norm)), default=1)
    alefs = max(map(len, _ALEF_RUN.findall(norm)), default=1)
    return 64 + 4 * spaces + alefs, 256 + 24 * spaces + 4 * alefs


def _matches(pattern: re.Pattern[str], anchor: re.Pattern[str], norm: str,
             reach: list[tuple[int, int]], anchor_text: str | None = None) -> Iterator[re.Match]:
    """``pattern.finditer(norm)``, the pattern tried only near each anchor (looked for in
    ``anchor_text``, a same-length form of ``norm``, when given). ``reach`` holds _reach(norm)
    once computed (shared by the patterns of one text).

    Matches are found left to right from ``position``: none starts before the next anchor q
    minus ``before``; a search in [q - before, q + after) gives the same answer as in the whole
    text for every start up to q (no attempt from there reaches q + after); when it finds none
    starting by q, the next anchor is looked for after q."""
    position = 0
    while True:
        found = anchor.search(norm if anchor_text is None else anchor_text, position)
        if found is None:
            return
        anchor_at = found.start()
        if not reach:
            reach.append(_reach(norm))
        before, after = reach[0]
        nearby = pattern.search(norm, max(position, anchor_at - before), anchor_at + after)
        if nearby is None or nearby.start() > anchor_at:
            position = anchor_at + 1
            continue
        match = pattern.match(norm, nearby.start())  # the whole text decides where it ends
        if match is None:  # not reachable by the bound above; scan rather than guess
            match = pattern.search(norm, nearby.start())
            if match is None:
                return
        yield match
        position = match.end()  # no pattern matches an empty string


def _first_date(text: str, language: str | None, timezone: str) -> PublishedDate | None:
    if not _ANY_YEAR.search(normalize_digits(text)):
        return None  # every plausible date has a year 19xx or 20xx (most lines have none)
    for start, end, kind in _iter_candidate_spans(text, language):
        found = _parse_span(text[start:end], kind, language, timezone)
        if found:
            return found
    return None


def _candidate_spans(text: str, language: str | None) -> list[tuple[int, int, str]]:
    """Spans that look like one date, in text order: ISO, numeric, then month-name forms of the
    page language first and of the others after (a Russian page may print an English date).
    At one position the longest span is kept; spans inside an earlier one are dropped."""
    return list(_iter_candidate_spans(text, language))


def _iter_candidate_spans(text: str, language: str | None) -> Iterator[tuple[int, int, str]]:
    """``_candidate_spans`` lazily: each pattern's matches are found only as far as the spans
    asked for need (the first date that parses is usually the first span)."""
    norm = normalize_digits(text)
    reach: list[tuple[int, int]] = []
    lowered = norm.lower()
    english = (_EN_ANCHOR_LOWERED, lowered) if len(lowered) == len(norm) else (_PATTERN_ANCHORS["en"], None)
    anchors = {**_PATTERN_ANCHORS, "en": english[0]}
    anchor_texts = {"en": english[1]}

    def spans(matches: Iterable[re.Match], kind: str) -> Iterator[tuple[int, int, str]]:
        return ((m.start(), m.end(), kind) for m in matches)

    sources = [spans(_ISO.finditer(norm), "iso"), spans(_matches(_NUMERIC, _NUMERIC_ANCHOR, norm, reach), "numeric")]
    order = [language] if language in _PATTERNS else []
    order += [lang for lang in _LANGUAGES if lang not in order]
    for lang in order:
        for pattern in _PATTERNS[lang]:
            sources.append(spans(_matches(pattern, anchors[lang], norm, reach, anchor_texts.get(lang)), lang))
    # Earliest first; at one position the longest (ties: in the order of ``sources``, as a
    # stable sort of all the spans would give); drop spans inside an earlier one.
    kept_end = -1
    for span in heapq.merge(*sources, key=lambda s: (s[0], -(s[1] - s[0]))):
        if span[0] < kept_end:
            continue
        kept_end = span[1]
        yield span


def _parse_span(raw: str, kind: str, language: str | None, timezone: str) -> PublishedDate | None:
    raw = raw.strip(" \t\r\n,|-،")
    norm = normalize_digits(raw).strip()
    if kind == "iso":
        value = _parse_iso(norm)
    else:
        prepared, languages = _prepare_for_dateparser(norm, kind, language)
        value = _dateparse(prepared, languages)
    if value is None or not _plausible(value):
        return None
    has_time = bool(re.search(r"\d{1,2}:\d{2}", norm))
    return PublishedDate(_iso(value, has_time, timezone), raw)


def _parse_iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None


def _prepare_for_dateparser(text: str, kind: str, language: str | None) -> tuple[str, tuple[str, ...] | None]:
    if kind == "ar" or re.search(r"[\u0621-\u064a]", text):
        text = _arabic_months_to_standard(text)
        text = re.sub(rf"(\d{{1,2}}:\d{{2}}(?::\d{{2}})?)\s*{_AR_MORNING}(?![\u0621-\u064a])", r"\1 AM", text)
        text = re.sub(rf"(\d{{1,2}}:\d{{2}}(?::\d{{2}})?)\s*{_AR_EVENING}(?![\u0621-\u064a])", r"\1 PM", text)
        # "22 من يوليو عام 2020 م": words dateparser does not skip.
        text = re.sub(r"(?<![\u0621-\u064a])(?:من|عام|سن[ةه]|الساعة|الساعه|م)(?![\u0621-\u064a])", " ", text)
        return re.sub(r"\s+", " ", text).strip(), ("ar", "en")
    if kind == "ru":
        text = re.sub(r"(?<=\d)\s*(?:г\.|года|год|г)(?!\w)", " ", text)
        text = re.sub(r"\(?МСК\)?|MSK", "+03:00", text)
        return re.sub(r"\s+", " ", text).strip(), ("ru",)
    if kind == "en":
        return text, ("en",)
    if kind == "numeric":
        text = re.sub(r"(?<=\d)\s*г\.?", " ", text)
        return text, None
    hint = (language,) if language in _LANGUAGES else None
    return text, hint


def _arabic_months_to_standard(text: str) -> str:
    """Replace each (possibly doubled) Arabic month expression by the name dateparser knows."""

    def one(match: re.Match[str]) -> str:
        names = re.split(r"\s*[/\-()]\s*", match.group("armonth").strip(" )"))
        numbers = [n for n in (_arabic_month_number(x) for x in names if x) if n]
        return f" {_ARABIC_MONTH_NAMES[numbers[0]]} " if numbers else match.group(0)

    return re.sub(f"{_AR_WORD_START}{_ARABIC_MONTH_EXPR}{_AR_WORD_END}", one, text)


def _arabic_month_number(name: str) -> int | None:
    name = re.sub(r"\s+", " ", name.strip())
    for pattern, number in _ARABIC_MONTH_LOOKUP:
        if pattern.match(name):
            return number
    return None


_DP_SETTINGS = {
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PREFER_DAY_OF_MONTH": "first",
    "DATE_ORDER": "DMY",
    "PREFER_DATES_FROM": "past",
}


# The commonest printed forms, parsed without dateparser (about 3 ms a call, and half a second
# to load a language's data the first time): "22 يوليو 2020", "الأربعاء, 07 أكتوبر 2020 - 12:09 PM",
# "09 июня 2021 14:30", "Четверг, 3 декабря 2020", "22 July 2020", "July 22, 2020". Only a
# complete, valid date in exactly these shapes is taken; anything else goes to dateparser.
# tests/test_extract_fast_paths.py checks that both give the same datetime on random dates,
# with and without weekday and time.
_NATIVE_MONTHS: dict[tuple[str, ...], dict[str, int]] = {
    ("ar", "en"): {name: number for number, name in _ARABIC_MONTH_NAMES.items()},
    ("ru",): {name: number for number, name in enumerate(
        "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split(), 1)},
    ("en",): {name: number for number, name in enumerate(
        "january february march april may june july august september october november december".split(), 1)},
}
_NATIVE_WEEKDAYS: dict[tuple[str, ...], frozenset[str]] = {
    ("ar", "en"): frozenset("الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة السبت".split()),
    ("ru",): frozenset("понедельник вторник среда четверг пятница суббота воскресенье".split()),
    ("en",): frozenset("monday tuesday wednesday thursday friday saturday sunday".split()),
}
_NATIVE_TIME = r"(?:(?: - | |, )(?P<hour>\d{1,2}):(?P<minute>\d{2})(?: (?P<half>AM|PM))?)?"
_NATIVE_DAY_FIRST = re.compile(
    r"(?:(?P<weekday>\w+),? )?(?P<day>\d{1,2}) (?P<month>\w+) (?P<year>(?:19|20)\d{2})" + _NATIVE_TIME)
_NATIVE_MONTH_FIRST = re.compile(
    r"(?:(?P<weekday>[A-Za-z]+),? )?(?P<month>[A-Za-z]+) (?P<day>\d{1,2}), (?P<year>(?:19|20)\d{2})" + _NATIVE_TIME)


def _native_parse(text: str, languages: tuple[str, ...] | None) -> datetime | None:
    """"[Weekday[,] ]D Month YYYY[ HH:MM[ AM|PM]]" (and "Month D, YYYY..." in English) with
    month and weekday names of the languages given; None for any other form or an impossible
    date or time (dateparser decides)."""
    months = _NATIVE_MONTHS.get(languages) if languages else None
    if months is None:
        return None
    match = _NATIVE_DAY_FIRST.fullmatch(text)
    if match is None and languages == ("en",):
        match = _NATIVE_MONTH_FIRST.fullmatch(text)
    if match is None:
        return None
    month = months.get(match.group("month").lower())
    weekday = match.group("weekday")
    if month is None or weekday is not None and weekday.lower() not in _NATIVE_WEEKDAYS[languages]:
        return None
    hour, minute, half = match.group("hour"), match.group("minute"), match.group("half")
    hour = int(hour) if hour else 0
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "PM" else 0)
    try:
        value = datetime(int(match.group("year")), month, int(match.group("day")), hour, int(minute or 0))
    except ValueError:
        return None
    return value


@lru_cache(maxsize=4096)
def _dateparse(text: str, languages: tuple[str, ...] | None) -> datetime | None:
    """dateparser with day, month and year required (no guessing from "today")."""
    if not text or len(text) > 120:
        return None
    native = _native_parse(text, languages)
    if native is not None:
        return native
    orders = ["DMY"]
    if re.fullmatch(r"\d{4}[./-]\d{1,2}[./-]\d{1,2}.*", text):
        orders = ["YMD"]
    elif re.match(r"\d{1,2}[./-]\d{1,2}[./-]\d{4}", text) and languages == ("en",):
        orders = ["DMY", "MDY"]
    for order in orders:
        try:
            value = dateparser.parse(
                text,
                languages=list(languages) if languages else None,
                settings={**_DP_SETTINGS, "DATE_ORDER": order},
            )
        except Exception as exc:  # dateparser raises assorted errors on odd input
            log.debug("dateparser failed on %r: %s", text, exc)
            value = None
        if value is not None:
            return value
    return None


def _plausible(value: datetime | date) -> bool:
    return MIN_YEAR <= value.year <= datetime.now().year + 1


def _iso(value: datetime, has_time: bool, timezone: str) -> str:
    if not has_time:
        return value.date().isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=_zone(timezone))
    return value.replace(microsecond=0).isoformat()


@lru_cache(maxsize=32)
def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown timezone %r, using UTC", name)
        return ZoneInfo("UTC")


# --- the date in a URL -----------------------------------------------------------------------

_URL_DATE_PATTERNS = [
    # /2020/8/24/ or /2020/08/24/ (or at the end of the path)
    re.compile(r"(?<![\d])((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?=/|$|[?#])"),
    # -2020-07-22- , /2020-07-22/ , _2020_07_22
    re.compile(r"(?<![\d])((?:19|20)\d{2})[-_.](\d{2})[-_.](\d{2})(?![\d])"),
    # 20200722 alone, or opening a long numeric id (news ids like 202003171044893040)
    re.compile(r"(?<![\d])((?:19|20)\d{2})(\d{2})(\d{2})(?=(?:\d{4,})?(?!\d))"),
]


def date_from_url(url: str, pattern: re.Pattern[str] | None = None) -> str | None:
    """YYYY-MM-DD from a URL: the ``date`` group of the site's article pattern when it matches
    (against the path), else the first generic date form in the path (validated, plausible)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    path = unquote(parts.path or "")
    if pattern is not None and "date" in pattern.groupindex:
        # The site's own rule when it matches; an unmatched URL still gets the generic search.
        for candidate in (path, unquote(url)):
            m = pattern.search(candidate)
            if m and m.group("date"):
                found = parse_date(m.group("date"), None)
                return found.iso[:10] if found else None
    for regex in _URL_DATE_PATTERNS:
        for m in regex.finditer(path):
            try:
                value = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
            if _plausible(value) and value <= date.today() + timedelta(days=2):
                return value.isoformat()
    return None


# --- finding the publication date of a page ---------------------------------------------------

_META_NAMES = (
    "article:published_time", "og:article:published_time", "article:published",
    "datepublished", "pubdate", "publishdate", "publish_date", "publish-date", "published_time",
    "published-date", "date", "dc.date.issued", "dc.date", "dcterms.issued", "dcterms.date",
    "dcterms.created", "sailthru.date", "parsely-pub-date", "cxenseparse:recs:publishtime",
    "originalpublicationdate", "article.published", "ya:ovs:upload_date", "mediator_published_time",
    "created", "citation_publication_date", "citation_date",
)
_JSONLD_KINDS_SKIPPED = {"website", "organization", "webpage", "breadcrumblist", "person"}


def find_published(
    root: Any,
    url: str,
    language: str | None,
    *,
    site: Any = None,
    after: Any = None,
    timezone: str = "Europe/Moscow",
) -> PublishedDate | None:
    """The publication date of a parsed page (lxml.html root).

    Candidates, best first: (1) the site's date selectors, (2) structured metadata
    (article:published_time and similar metas, itemprop=datePublished, <time datetime> in the
    article, JSON-LD datePublished), (3) the first date printed in the text after ``after``
    (the title element), (4) htmldate's original-date guess, (5) the URL date.

    Rules: a printed date after the title (3) wins over metadata (2) when it falls on the day
    of any metadata value (pages often give one instant twice, in UTC and local time), so
    ``raw`` keeps the printed form; otherwise the metadata wins. When the URL carries a date, the first candidate within
    URL_AGREEMENT_DAYS of it wins; when none agrees, the URL date itself is returned
    (raw = the date as written in the URL), since a URL date is fixed at publication while
    page furniture (related items, "updated" stamps) drifts. Without a URL date the first
    candidate wins.
    """
    pattern = getattr(site, "article_url_pattern", None)
    url_iso = date_from_url(url, pattern) if url else None
    url_day = date.fromisoformat(url_iso) if url_iso else None

    def agrees(found: PublishedDate) -> bool:
        return url_day is None or abs((found.day - url_day).days) <= URL_AGREEMENT_DAYS

    metadata: list[PublishedDate] = []
    for kind, compute in _candidates(root, url, language, site, after, timezone):
        if kind == "guess" and metadata:
            break  # metadata outranks the guess: do not pay for htmldate
        found = compute()
        if found is None or not agrees(found):
            continue
        if kind == "selector":
            return found
        if kind == "meta":
            metadata.append(found)
            continue
        if kind == "text":
            # Metadata often carries the same instant twice (UTC and local): the printed day
            # wins when any of them agrees with it.
            if not metadata or any(found.day == m.day for m in metadata):
                return _with_metadata_time(found, metadata)
            return _local_form(metadata)
        return found
    if metadata:
        return _local_form(metadata)
    if url_iso:
        return PublishedDate(url_iso, _url_date_raw(url, url_iso))
    return None


def _with_metadata_time(printed: PublishedDate, metadata: list[PublishedDate]) -> PublishedDate:
    """A printed day without a time takes the time of a metadata value on that day given in a
    local offset (``<time datetime="2024-05-16T09:30:00+03:00">May 16, 2024</time>``); ``raw``
    stays as printed. A UTC value is not taken: its day may not be the publisher's."""
    if "T" in printed.iso:
        return printed
    for value in metadata:
        if "T" in value.iso and value.day == printed.day and not value.iso.endswith(("+00:00", "Z")):
            return PublishedDate(value.iso, printed.raw)
    return printed


def _local_form(metadata: list[PublishedDate]) -> PublishedDate:
    """The first metadata value, in the publisher's local offset when another value gives the
    same instant in it: readers see (and archives cite) the local day, not the UTC one."""
    first = metadata[0]
    if not first.iso.endswith("+00:00"):
        return first
    instant = datetime.fromisoformat(first.iso)
    for other in metadata[1:]:
        if "T" in other.iso and not other.iso.endswith("+00:00"):
            if datetime.fromisoformat(other.iso) == instant:
                return other
    return first


def _candidates(
    root: Any, url: str, language: str | None, site: Any, after: Any, timezone: str
) -> Iterator[tuple[str, Callable[[], PublishedDate | None]]]:
    """(kind, compute) best source first, computed only when asked; kinds: selector, meta,
    text (printed after the title), guess (htmldate)."""
    if root is None:
        return
    extract = getattr(site, "extract", None)
    selectors = extract.selectors.get("date", ()) if extract is not None else ()
    for element in _select_all(root, selectors):
        yield "selector", lambda element=element: _date_of_element(element, language, timezone)
    for value in _metadata_values(root):
        yield "meta", lambda value=value: parse_date(value, language, timezone=timezone)
    if after is not None:
        yield "text", lambda: find_date_in_text(_text_after(after), language, timezone=timezone)

    def guess() -> PublishedDate | None:
        found = _htmldate_guess(root, url)
        # htmldate often reads the URL itself: keep the URL's spelling then.
        return PublishedDate(found, _url_date_raw(url, found) if url else found) if found else None

    yield "guess", guess


@lru_cache(maxsize=256)
def _compiled_selector(selector: str) -> Callable[[Any], Any]:
    """A site's date selector, compiled once (compiling a CSS selector costs more than running it)."""
    from lxml import etree
    from lxml.cssselect import CSSSelector

    if selector.startswith(("/", "(")):
        return etree.XPath(selector)
    return CSSSelector(selector)


def _select_all(root: Any, selectors: Iterable[str]) -> Iterator[Any]:
    from lxml import etree
    from lxml.cssselect import SelectorError

    for selector in selectors:
        try:
            found = _compiled_selector(selector)(root)
        except (SelectorError, etree.XPathError) as exc:
            log.warning("bad date selector %r: %s", selector, exc)
            continue
        for element in found:
            if isinstance(element, str):  # an XPath selecting text or an attribute
                yield _TextOnly(str(element))
            else:
                yield element


class _TextOnly:
    """A text result of an XPath date selector, shaped like an element for _date_of_element."""

    def __init__(self, text: str):
        self.text = text

    def get(self, _name: str) -> None:
        return None

    def text_content(self) -> str:
        return self.text


def _date_of_element(element: Any, language: str | None, timezone: str) -> PublishedDate | None:
    printed = parse_date(_element_text(element), language, timezone=timezone)
    if printed:
        return printed
    for attribute in ("datetime", "content", "title"):
        value = element.get(attribute)
        if value:
            found = parse_date(value, language, timezone=timezone)
            if found:
                return found
    return None


def _element_text(element: Any) -> str:
    try:
        return " ".join(element.text_content().split())[:300]
    except (AttributeError, ValueError):
        return ""


def _metadata_values(root: Any) -> Iterator[str]:
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if key in _META_NAMES and meta.get("content"):
            yield meta.get("content")
    for element in root.xpath('//*[@itemprop="datePublished"]'):
        value = element.get("content") or element.get("datetime") or _element_text(element)
        if value:
            yield value
    for element in root.xpath("//article//time[@datetime] | //time[@pubdate][@datetime]"):
        yield element.get("datetime")
    yield from _jsonld_dates(root)


def json_ld_documents(root: Any) -> Iterator[Any]:
    """The parsed JSON-LD scripts of a page; one that does not parse (or nests deeper than
    the parser's recursion limit) is skipped."""
    for script in root.xpath('//script[contains(@type, "ld+json")]'):
        try:
            yield json.loads(script.text or "")
        except (ValueError, TypeError, RecursionError):
            continue


def _jsonld_dates(root: Any) -> Iterator[str]:
    for data in json_ld_documents(root):
        yield from _date_published(data)


def _date_published(data: Any, depth: int = 0) -> Iterator[str]:
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from _date_published(item, depth + 1)
    elif isinstance(data, dict):
        kind = data.get("@type")
        kinds = {str(k).lower() for k in (kind if isinstance(kind, list) else [kind])}
        if isinstance(data.get("datePublished"), str) and not kinds & _JSONLD_KINDS_SKIPPED:
            yield data["datePublished"]
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in data:
                yield from _date_published(data[key], depth + 1)


# Text nodes fetched at first by _text_after: enough for the bounds above on any real page
# (empty and script nodes included); all of them only when these run out first.
_TEXT_NODES_FETCHED = 400


def _text_after(after: Any) -> str:
    """Text of the nodes following ``after`` in document order (not its own text), bounded."""
    try:
        nodes = after.xpath(f"following::text()[position() <= {_TEXT_NODES_FETCHED}]")
        text, bounded = _joined_text_nodes(nodes)
        if not bounded and len(nodes) >= _TEXT_NODES_FETCHED:
            text, _ = _joined_text_nodes(after.xpath("following::text()"))
    except (AttributeError, ValueError):
        return ""
    return text


def _joined_text_nodes(nodes: list) -> tuple[str, bool]:
    """(the text, True when a bound was reached before the nodes ran out)."""
    pieces: list[str] = []
    total = 0
    count = 0
    for node in nodes:
        parent = node.getparent()
        if parent is not None and parent.tag in ("script", "style", "noscript"):
            continue
        text = " ".join(str(node).split())
        if not text:
            continue
        pieces.append(text)
        count += 1
        total += len(text)
        if count >= MAX_TEXT_NODES_AFTER_TITLE or total >= MAX_CHARS_AFTER_TITLE:
            return "\n".join(pieces), True
    return "\n".join(pieces), False


def _htmldate_guess(root: Any, url: str) -> str | None:
    try:
        from htmldate import find_date
    except ImportError:
        return None
    try:
        found = find_date(root, extensive_search=True, original_date=True, url=url or None)
    except Exception as exc:  # htmldate is a heuristic; never let it break extraction
        log.debug("htmldate failed on %s: %s", url, exc)
        return None
    if found and re.fullmatch(r"\d{4}-\d{2}-\d{2}", found) and _plausible(date.fromisoformat(found)):
        return found
    return None


def _url_date_raw(url: str, iso: str) -> str:
    """The URL's own spelling of its date (e.g. "2020/8/24"), else the ISO form."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return iso
    y, m, d = iso[:10].split("-")
    for mm in dict.fromkeys((m, str(int(m)))):
        for dd in dict.fromkeys((d, str(int(d)))):
            for sep in ("-", "/", "_", ".", ""):
                candidate = f"{y}{sep}{mm}{sep}{dd}"
                if candidate in path:
                    return candidate
    return iso
