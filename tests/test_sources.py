"""Attribution lines in the three languages of the site, photo credits, and name matching
with the site's real configuration (crawler/config/sites/rusislam.yaml + crawler/config/sources.yaml)."""

from pathlib import Path

import pytest

from crawler.extract.siteconfig import load_site_config, load_source_aliases
from crawler.extract.sources import SourceMatcher, name_key

SITE = load_site_config("rusislam")
MATCHER = SourceMatcher.from_site(SITE)
ARTICLE_TXT = Path(__file__).parent / "mirror" / "content" / "real_ar_527c77f4d0382ed9.txt"


@pytest.mark.parametrize(
    "line, language, expected",
    [
        ("المصدر: تاس", "ar", {"name": "TASS", "raw": "تاس"}),
        ("المصدر : وكالة تاس", "ar", {"name": "TASS", "raw": "وكالة تاس"}),
        ("المصدر:ريا نوفوستي", "ar", {"name": "RIA Novosti", "raw": "ريا نوفوستي"}),
        ("(المصدر: سبوتنيك)", "ar", {"name": "Sputnik", "raw": "سبوتنيك"}),
        ("المصدر: وكالة الأناضول", "ar", {"name": "Anadolu Agency", "raw": "وكالة الأناضول"}),
        ("المصدر: الاناضول", "ar", {"name": "Anadolu Agency", "raw": "الاناضول"}),
        ("المصدر: إنترفاكس.", "ar", {"name": "Interfax", "raw": "إنترفاكس"}),
        ("مصدر: روسيا اليوم", "ar", {"name": "RT", "raw": "روسيا اليوم"}),
        ("المصدر: تاس الروسية", "ar", {"name": "TASS", "raw": "تاس الروسية"}),
        ("Источник: РИА Новости", "ru", {"name": "RIA Novosti", "raw": "РИА Новости"}),
        ("Источник: «Интерфакс»", "ru", {"name": "Interfax", "raw": "Интерфакс"}),
        ("Источник: ИА «Татар-информ»", "ru", {"name": "Tatar-inform", "raw": "ИА «Татар-информ»"}),
        ("источник — ТАСС", "ru", {"name": "TASS", "raw": "ТАСС"}),
        ("Источник: https://tass.ru/politika/8836033", "ru", {"name": "TASS", "raw": "https://tass.ru/politika/8836033"}),
        ("Source: TASS", "en", {"name": "TASS", "raw": "TASS"}),
        ("Source - Sputnik", "en", {"name": "Sputnik", "raw": "Sputnik"}),
        ("Source: the Associated Press", "en", {"name": "Associated Press", "raw": "the Associated Press"}),
        ("Source: TASS, RIA Novosti", "en", {"name": "TASS", "raw": "TASS, RIA Novosti"}),
        ("Source TASS", "en", {"name": "TASS", "raw": "TASS"}),
        # Labels of every language whatever the page language.
        ("Источник: ТАСС", "ar", {"name": "TASS", "raw": "ТАСС"}),
        ("المصدر: تاس", "ru", {"name": "TASS", "raw": "تاس"}),
        ("المصدر: تاس", None, {"name": "TASS", "raw": "تاس"}),
        # Unknown source: the line is still an attribution.
        ("المصدر: صحيفة الوطن", "ar", {"name": None, "raw": "صحيفة الوطن"}),
        ("Источник: пресс-служба муфтията", "ru", {"name": None, "raw": "пресс-служба муфтията"}),
    ],
)
def test_attribution_lines(line, language, expected):
    assert MATCHER.parse_attribution(line, language) == expected


@pytest.mark.parametrize(
    "line",
    [
        "Фото: ТАСС", "фото РИА Новости", "Фото: Сергей Бобылев/ТАСС", "الصورة: سبوتنيك",
        "صورة: رويترز", "Photo: Sputnik/Reuters", "Источник фото: ТАСС", "Source photo: TASS",
        "(Фото: РИА Новости)",
    ],
)
def test_photo_credits_are_not_attributions(line):
    assert MATCHER.parse_attribution(line, "ru") is None


@pytest.mark.parametrize(
    "line",
    [
        "", "   ", "تاس", "ТАСС",
        "وقال مصدر مطلع إن المشاورات ستستمر",
        "Source of the conflict is unclear, diplomats said",
        "Источник в правительстве сообщил об этом журналистам",
        "Источник: " + "ТАСС сообщает, что " * 10,
        'مجموعة الرؤية الاستراتيجية "روسيا - العالم الإسلامي"',
    ],
)
def test_lines_that_are_not_attributions(line):
    assert MATCHER.parse_attribution(line, "ar") is None


@pytest.mark.parametrize(
    "raw, name",
    [
        ("وكالة تاس", "TASS"), ("تاس", "TASS"), ("ТАСС", "TASS"), ("тасс", "TASS"), ("ИТАР-ТАСС", "TASS"),
        ("«ТАСС»", "TASS"), ('"TASS"', "TASS"), ("the Tass", "TASS"), ("агентство ТАСС", "TASS"),
        ("ريـا نوفوستي", "RIA Novosti"), ("ريا نُوفُوستي", "RIA Novosti"), ("انترفاكس", "Interfax"),
        ("إنترفاكس", "Interfax"), ("الأناضول", "Anadolu Agency"), ("أناضول", "Anadolu Agency"),
        ("سبوتنيك عربي", "Sputnik"), ("Sputnik Arabic", "Sputnik"), ("arabic.sputniknews.com", "Sputnik"),
        ("www.rt.com", "RT"), ("Коммерсантъ", "Kommersant"), ("МИД России", "Ministry of Foreign Affairs of Russia"),
        ("الخارجية الروسية", "Ministry of Foreign Affairs of Russia"), ("Известия", "Izvestia"),
        ("وكالة الأنباء السعودية", "SPA"), ("unknown outlet", None), ("", None), ("   ", None),
    ],
)
def test_canonical_name(raw, name):
    assert MATCHER.canonical_name(raw) == name


def test_name_key_folds_arabic_variants_case_quotes_and_yo():
    assert name_key("أَإِآ ى ة") == name_key("ااا ي ه")
    assert name_key("«Коммерсантъ»") == name_key("коммерсантъ")
    assert name_key("Ёлка") == name_key("елка")


def test_real_article_source_line():
    lines = [line.strip() for line in ARTICLE_TXT.read_text(encoding="utf-8").splitlines() if line.strip()]
    found = [(i, MATCHER.parse_attribution(line, "ar")) for i, line in enumerate(lines)]
    found = [(i, a) for i, a in found if a]
    # Only the last line is an attribution; the body's "وزارة الخارجية الروسية" mentions are not.
    assert found == [(len(lines) - 1, {"name": "TASS", "raw": "تاس"})]


def test_labels_come_from_the_site_config_not_from_code():
    matcher = SourceMatcher(SITE.source_aliases, {"ru": ["По материалам"]})
    assert matcher.parse_attribution("По материалам: ТАСС") == {"name": "TASS", "raw": "ТАСС"}
    assert matcher.parse_attribution("Источник: ТАСС") is None


def test_every_alias_in_sources_yaml_maps_back_to_its_own_source():
    aliases = load_source_aliases()
    for canonical, names in aliases.items():
        for name in names:
            assert MATCHER.canonical_name(name) == canonical, (name, canonical)
