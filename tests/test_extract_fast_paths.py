"""The fast paths of the extraction code give exactly what the slow forms they replace give.

Each speed-up of crawler/extract (langdetect's loops rewritten, dates parsed without
dateparser, date patterns run near anchors only, URL forms memoised, text normalised without a
translate table, comparison keys built by string methods, element text serialised, long texts
measured by a prefix, invisible elements found by XPath) is checked here against the reference
it must equal: the langdetect Detector itself, dateparser itself, a plain ``finditer`` scan, the
uncached URL computation, the former normalisation, the regex form of comparison keys,
``text_content()``, the whole normal form, a walk of every element. A difference is a changed
record, so none is tolerated.
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import dateparser
import lxml.html
import pytest

from crawler.extract import dates
from crawler.extract.boilerplate import text_key
from crawler.extract.decode import normalize_text
from crawler.extract.language import _detector_factory, _fast_detector_class, language_sample
from crawler.extract.siteconfig import load_site_config
from crawler.extract.urls import SiteUrls

DATA = Path(__file__).parent / "data" / "htmldate-ar-ru"
ARTICLE_TXT = Path(__file__).parent / "mirror" / "content" / "real_ar_527c77f4d0382ed9.txt"


def page_texts() -> list[str]:
    texts = [ARTICLE_TXT.read_text(encoding="utf-8")]
    for path in sorted(DATA.glob("*.html")):
        texts.append(lxml.html.fromstring(path.read_bytes()).text_content())
    return texts


# --- language: the rewritten Detector against langdetect's --------------------------------------


def test_fast_detector_gives_langdetects_probabilities():
    """The rewritten detector on its compact profiles against langdetect's own, untouched."""
    from langdetect import DetectorFactory, detector_factory
    from langdetect.detector import Detector
    from langdetect.lang_detect_exception import LangDetectException

    reference = DetectorFactory()
    reference.load_profile(detector_factory.PROFILES_DIRECTORY)
    reference.seed = _detector_factory().seed
    factories = {_fast_detector_class(): _detector_factory(), Detector: reference}
    fast = _fast_detector_class()
    rng = random.Random(5)
    samples = ["Путин Эрдоган Сирия мир", "Дагестан Чечня Ингушетия", "mail a@b.com http://x.y/z  ok   ok",
               "Ẩn  ẩn  Việt Nam  tiếng", "ș ț România", "日本語のテキスト と カタカナ", "ABC DEF ghi", ""]
    for text in page_texts():
        samples.append(language_sample(text))
        samples += [text[start:start + rng.choice([8, 40, 300])] for start in rng.sample(range(len(text)), 4)]
    # Texts in two or three languages, whose trials disagree: the early exit must wait
    ru = "Президент России провёл переговоры с наследным принцем Саудовской Аравии в Москве".split()
    en = "The president of Russia held talks with the crown prince of Saudi Arabia in Moscow".split()
    ar = "أجرى رئيس روسيا محادثات مع ولي العهد السعودي في موسكو".split()
    for _ in range(100):
        words = rng.sample(ru, 4) + rng.sample(en, 4) + rng.sample(ar, rng.choice([0, 2]))
        rng.shuffle(words)
        samples.append(" ".join(words))

    def probabilities(detector_class, text):
        detector = detector_class(factories[detector_class])
        detector.append(text)
        try:
            return [(p.lang, p.prob) for p in detector.get_probabilities()]
        except LangDetectException as exc:
            return str(exc)

    def best_language(text, min_probability):  # what detect_language asks: the early exit
        detector = fast(factories[fast])
        detector.append(text)
        try:
            return detector.best_language(min_probability)
        except LangDetectException as exc:
            return str(exc)

    def reference_best(text, min_probability):
        found = probabilities(Detector, text)
        if isinstance(found, str):
            return found
        best = max(found, key=lambda p: p[1], default=None)
        return best[0] if best is not None and best[1] >= min_probability else None

    for text in samples:
        assert probabilities(fast, text) == probabilities(Detector, text), text[:60]
        for min_probability in (0.3, 0.5, 0.9, 0.99):
            assert best_language(text, min_probability) == reference_best(text, min_probability), text[:60]


def test_clear_text_settles_its_language_before_the_last_trial():
    detector = _fast_detector_class()(_detector_factory())
    detector.append("Президент России провёл переговоры с наследным принцем Саудовской Аравии в Москве.")
    assert detector.best_language(0.5) == "ru"
    assert sum(detector.langprob) == pytest.approx(4 / 7)  # 4 of 7 trials: 3 left cannot outweigh 4


def test_compact_profiles_hold_langdetects_table():
    from langdetect import DetectorFactory, detector_factory

    reference = DetectorFactory()
    reference.load_profile(detector_factory.PROFILES_DIRECTORY)
    compact = _detector_factory().word_lang_prob_map
    assert compact.keys() == reference.word_lang_prob_map.keys()
    for ngram, probabilities in reference.word_lang_prob_map.items():
        assert compact.dense(ngram) == probabilities, ngram


# --- dates: the native parser against dateparser ------------------------------------------------

_MONTHS = {
    ("ar", "en"): list(dates._ARABIC_MONTH_NAMES.values()),
    ("ru",): "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split(),
    ("en",): "January February March April May June July August September October November December".split(),
}
_WEEKDAYS = {
    ("ar", "en"): ["الأحد", "الإثنين", "الأربعاء", "الجمعة", "السبت"],
    ("ru",): ["понедельник", "Четверг", "суббота"],
    ("en",): ["Monday", "thursday", "SUNDAY"],
}
_TIMES = ["", " 00:00", " 14:30", " 9:05", " - 12:09 PM", " 12:09 AM", " 09:22 PM", ", 10:15", " 13:30 PM",
          " 0:30 AM", " 24:00", " 12:60"]


def _date_forms(count: int, seed: int) -> list[tuple[str, tuple[str, ...]]]:
    """Random dates in the shapes the native parser takes (and near misses it must leave)."""
    rng = random.Random(seed)
    forms = []
    for _ in range(count):
        languages = rng.choice(list(_MONTHS))
        month = rng.choice(_MONTHS[languages])
        day = rng.choice([str(d) for d in range(0, 33)] + ["07", "09", "31"])
        year = rng.choice(["1999", "2020", "2024", "2021"])
        weekday = rng.choice(_WEEKDAYS[languages] + ["", "", "Пятница"])
        prefix = f"{weekday}{rng.choice([', ', ' '])}" if weekday else ""
        shape = f"{prefix}{month} {day}, {year}" if languages == ("en",) and rng.random() < 0.3 \
            else f"{prefix}{day} {month} {year}"
        forms.append((shape + rng.choice(_TIMES), languages))
    return forms


def test_native_date_parser_agrees_with_dateparser():
    taken = 0
    for text, languages in _date_forms(1500, seed=7):
        native = dates._native_parse(text, languages)
        if native is None:
            continue  # left to dateparser
        taken += 1
        expected = dateparser.parse(text, languages=list(languages), settings=dates._DP_SETTINGS)
        assert native == expected, (text, languages)
    assert taken > 800  # the shapes above are mostly taken natively


@pytest.mark.parametrize("text, languages, expected", [
    ("22 يوليو 2020", ("ar", "en"), datetime(2020, 7, 22)),
    ("الأربعاء, 07 أكتوبر 2020 - 12:09 PM", ("ar", "en"), datetime(2020, 10, 7, 12, 9)),
    ("الجمعة 24 أبريل 2020 09:22 PM", ("ar", "en"), datetime(2020, 4, 24, 21, 22)),
    ("09 июня 2021 14:30", ("ru",), datetime(2021, 6, 9, 14, 30)),
    ("July 22, 2020", ("en",), datetime(2020, 7, 22)),
    ("31 June 2020", ("en",), None),  # impossible: dateparser decides
    ("22 يوليو 2020", ("ru",), None),  # month of another language: dateparser decides
    ("Пятница 3 декабря 2020", ("en",), None),
    ("22.07.2020", None, None),
])
def test_native_date_parser_forms(text, languages, expected):
    assert dates._native_parse(text, languages) == expected


# --- dates: patterns run near their anchors against a full scan ---------------------------------


def _reference_spans(text: str, language: str | None) -> list[tuple[int, int, str]]:
    """The candidate spans by plain finditer scans of every pattern (the former code)."""
    norm = dates.normalize_digits(text)
    spans = [(m.start(), m.end(), "iso") for m in dates._ISO.finditer(norm)]
    spans += [(m.start(), m.end(), "numeric") for m in dates._NUMERIC.finditer(norm)]
    order = [language] if language in dates._PATTERNS else []
    order += [lang for lang in dates._LANGUAGES if lang not in order]
    for lang in order:
        for pattern in dates._PATTERNS[lang]:
            spans += [(m.start(), m.end(), lang) for m in pattern.finditer(norm)]
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int, str]] = []
    for span in spans:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def test_anchored_date_search_finds_every_span_a_scan_finds():
    rng = random.Random(3)
    pieces = [form for form, _ in _date_forms(200, seed=11)] + [
        "٢٢ يوليو ٢٠٢٠", "21 ابريل/نيسان 2025", "22 تموز/ يوليو 2020", "3 تشرين الأول 2023", "14:30, 09 июня 2021",
        "Опубликовано: 09.06.2021 в 14:30", "2020/12/25 - 1:59 صباحًا", "السبت ١٩ ديسمبر ٢٠٢٠ - ٠٢:٤٥ م",
        "Wed, 22 Jul 2020 10:00:00 GMT", "2020-07-22T10:00:00+03:00", "the 3rd of June, 2021", "ſeptember 3, 2020",
        "10:00     صباحاااااا     22     يوليو 2020", "12 may 2020", "1 мая   2020 г.", "5 \t June\n2019",
    ]
    texts = page_texts()
    for _ in range(300):
        filler = rng.choice(texts)
        start = rng.randrange(len(filler))
        parts = [filler[start:start + rng.randint(0, 400)]]
        for _ in range(rng.randint(0, 4)):
            parts += [rng.choice(pieces), rng.choice([" ", "\n", "  ", ", ", ""]), filler[start:start + rng.randint(0, 60)]]
        text = "".join(parts)
        language = rng.choice(["ar", "ru", "en", None])
        assert dates._candidate_spans(text, language) == _reference_spans(text, language), text[:80]
    for text in texts:
        for language in ("ar", "ru", "en"):
            assert dates._candidate_spans(text[:5000], language) == _reference_spans(text[:5000], language)


# --- URLs: memoised forms against the direct computation ----------------------------------------


def _reference_crawl_url(urls: SiteUrls, href: str, base: str | None) -> str | None:
    """SiteUrls.to_crawl_url as it was: join with the whole page URL, then check the origin."""
    href = href.strip()
    if base is not None:
        href = urljoin(base, href)
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https") or not urls.is_own(href):
        return None
    return urlunsplit((*urlsplit(urls.crawl_origin)[:2], parts.path or "/", parts.query, ""))


def test_memoised_crawl_urls_equal_the_direct_join():
    site = load_site_config("rusislam").with_origin("http://127.0.0.1:8765")
    urls = SiteUrls(site, ["sid"])
    rng = random.Random(9)
    alphabet = ["/", "//", "?", "#", ".", "..", "a", "novosti", "ar", ":", "http:", "https://", "127.0.0.1:8765",
                "russia-islworld.ru", "\t", "\n", " ", "%D8%B1", "ر", "-2020-01-01-1", "=", "&", "\\", "@"]
    bases = ["http://127.0.0.1:8765/novosti/page-2020-01-01-1", "http://127.0.0.1:8765/ar/novosti//x?a=1",
             "http://127.0.0.1:8765", "HTTP://127.0.0.1:8765/Q", "http://user@127.0.0.1:8765/p", None]
    for _ in range(4000):
        href = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
        base = rng.choice(bases)
        try:
            expected = _reference_crawl_url(urls, href, base)
        except ValueError:
            with pytest.raises(ValueError):
                urls.to_crawl_url(href, base)
            continue
        assert urls.to_crawl_url(href, base) == expected, (href, base)


# --- text: normalisation and comparison keys --------------------------------------------------


_INVISIBLE = dict.fromkeys([0x200B, 0x2060, 0xFEFF, 0x00AD, 0x200E, 0x200F, 0x061C,
                            *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def test_normalize_text_equals_the_translate_table_form():
    rng = random.Random(2)
    chars = [chr(c) for c in [*range(0x20, 0x80), *range(0x2000, 0x2070), 0xA0, 0xAD, 0xFEFF, 0x61C, 0x640, 0x301,
                              0x308, 0x627, 0x653, 0x654, 0x410, 0x306, 0x3000, 0x1680, 0x85, 0x1C, 0x1F, 0x9, 0xA]]
    for _ in range(20000):
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 12)))
        expected = _SPACES.sub(" ", unicodedata.normalize("NFC", text).translate(_INVISIBLE)).strip()
        assert normalize_text(text) == expected, repr(text)


def _reference_text_key(text: str) -> str:
    text = normalize_text(text).casefold()
    text = re.sub(r"[\"'«»“”„‟‘’‚‛`´″]", "", text)
    text = re.sub(r"\s*[-‐‑‒–—―]\s*", "-", text)
    return re.sub(r"^[\s.,:;!?|·•*–—-]+|[\s.,:;!?|·•*–—-]+$", "", text)


def test_text_key_equals_the_regex_form():
    rng = random.Random(6)
    chars = list("ab \u00a0\t\n\"'«»“”-‐–—―.,:;!?|·•*ßİ\u200b\u2003ﬁ") + ["ё", "ع"]
    texts = [text for page in page_texts() for text in page.splitlines()]
    texts += ["".join(rng.choice(chars) for _ in range(rng.randint(0, 14))) for _ in range(50000)]
    for text in texts:
        assert text_key(text) == _reference_text_key(text), repr(text)


def test_element_text_equals_text_content():
    """The text serialisation ``element_text`` reads against lxml's ``text_content()``, on real
    pages and on markup mixing comments, PIs, CDATA, scripts, entities and foreign elements."""
    from lxml import etree

    from crawler.extract.boilerplate import element_text

    rng = random.Random(7)
    parts = ["<p>", "</p>", "<div>", "</div>", "<a href='x'>", "</a>", "<!-- c -->", "<?pi x?>", "<![CDATA[x]]>",
             "<script>var a='<b>';</script>", "<style>p{}</style>", "&amp;", "&nbsp;", "&#1570;", "&#0;", "&#x1F600;",
             "&unknown;", "<br>", "text ", "عربي ", "\u00a0", "\r\n", "<table><tr><td>", "</td></tr></table>",
             "<textarea>t</textarea>", "<noscript>n</noscript>", "<svg><text>s</text></svg>", "<template>t</template>"]
    pages = [path.read_bytes() for path in sorted(DATA.glob("*.html"))]
    pages += ["<html><body>" + "".join(rng.choice(parts) for _ in range(rng.randint(1, 30))) + "</body></html>"
              for _ in range(1500)]
    checked = 0
    for page in pages:
        for element in lxml.html.document_fromstring(page).iter():
            try:
                expected = normalize_text(element.text_content())
            except ValueError:  # comments and PIs: no text of their own for element_text
                expected = ""
            assert element_text(element) == expected, (page[:200], element.tag)
            checked += isinstance(element.tag, str)
    assert checked > 10000
    assert element_text(etree.fromstring("<p>not HTML</p>")) == ""  # plain etree elements have no text_content


def test_text_longer_than_equals_the_length_of_the_whole_normal_form():
    from crawler.extract.boilerplate import element_text, text_longer_than

    rng = random.Random(9)
    # Mostly blanks and invisible characters: long raw texts with short normal forms, so that
    # the prefix is read for every limit, up to and past the whole length.
    pieces = ["w", " ", "   ", "\n\t\t", "\u00a0 ", "\u200b", "\u00ad", "e\u0301", "\u0301", "\u1100\u1161\u11a8",
              "\u0344", "ع", "ـ", "\u3000", "<b>x</b>", "<p>  </p>", "<span>\u200b </span>"]
    weights = [3, 8, 8, 6, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    checked = 0
    for _ in range(300):
        body = "".join(rng.choices(pieces, weights, k=rng.randint(0, 600)))
        element = lxml.html.fragment_fromstring(f"<div>{body}</div>")
        length = len(element_text(element))
        for limit in range(length + 2):
            assert text_longer_than(element, limit) == (length > limit), (body, limit)
            checked += 1
    assert checked > 10000


def test_invisible_elements_found_by_xpath_are_those_a_walk_finds():
    """``PageCleaner._drop_invisible`` (XPath candidates) against a walk of every element with
    the same rule, outermost match dropped, the title and its ancestors kept."""
    from lxml import etree

    from crawler.extract.boilerplate import NON_TEXT_TAGS, PageCleaner, _is_hidden, remove, tag_name

    def walk_and_drop(root, protected):
        doomed = []
        walker = etree.iterwalk(root, events=("start",))
        for _event, element in walker:
            if element is not root and element not in protected and (
                    not isinstance(element.tag, str) or tag_name(element) in NON_TEXT_TAGS or _is_hidden(element)):
                doomed.append(element)
                walker.skip_subtree()
        for element in doomed:
            remove(element)

    rng = random.Random(8)
    parts = ["<div>", "</div>", "<p>", "</p>", "<h1>", "</h1>", "<span hidden>", "</span>", "<div aria-hidden='true'>",
             "<div aria-hidden='false'>", "<div style='color: red'>", "<p style='DISPLAY : none'>", "<i style='visibility:hidden'>",
             "</i>", "<script>x()</script>", "<noscript><p>n</p></noscript>", "<style>p{}</style>", "<svg><g>s</g></svg>",
             "<iframe src=x></iframe>", "<template><p>t</p></template>", "text ", "tail ", "<!-- c -->", "<br>"]
    pages = [path.read_bytes() for path in sorted(DATA.glob("*.html"))]
    pages += ["<html hidden><body>" + "".join(rng.choice(parts) for _ in range(rng.randint(1, 40))) + "</body></html>"
              for _ in range(2000)]
    site = load_site_config("rusislam")
    urls = SiteUrls(site)
    for page in pages:
        trees = [lxml.html.document_fromstring(page) for _ in range(2)]
        titles = [next(tree.iter("h1"), None) for tree in trees]
        cleaner = PageCleaner(urls, site.origin + "/", site.origin, ())
        cleaner.root, cleaner.protected = trees[0], set()
        cleaner._protect(titles[0])
        cleaner._drop_invisible()
        protected = set()
        node = titles[1]
        while node is not None:
            protected.add(node)
            node = node.getparent()
        walk_and_drop(trees[1], protected)
        assert etree.tostring(trees[0]) == etree.tostring(trees[1]), page[:300]


def test_title_search_skips_only_containers_that_cannot_match():
    from crawler.extract.article import _memo_key

    rng = random.Random(4)
    chars = list("ab AB-–—«»\"'.,:;!?ßﬁİıſ\u0301\u200b e\u00a0ё") + ["\u1100", "\u1161", "\u11a8", "Σ", "ς"]
    for _ in range(20000):
        text = normalize_text("".join(rng.choice(chars) for _ in range(rng.randint(0, 14))))
        for key in (text_key(text), text_key(text[:-2]), text_key(rng.choice(chars) * 3)):
            assert (_memo_key({}, text, len(key)) == key) == (text_key(text) == key), (text, key)
